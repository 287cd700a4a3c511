# kev_profiles(OUT): the profile names of the core's profile table
# (kev__profiles[] in src/world.c, one `[KEV_PROFILE_X] = {.name = "x", ...`
# per entry), in table order, so that no list of profiles is written by
# hand. Editing world.c reconfigures.
function(kev_profiles out)
  set(src ${PROJECT_SOURCE_DIR}/src/world.c)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${src})
  file(STRINGS ${src} rows REGEX "^ *\\[KEV_PROFILE_[A-Z0-9]+\\] = {\\.name = \"[a-z0-9]+\"")
  set(names)
  foreach(row IN LISTS rows)
    string(REGEX REPLACE ".*\\.name = \"([a-z0-9]+)\".*" "\\1" name "${row}")
    list(APPEND names ${name})
  endforeach()
  if(NOT names)
    message(FATAL_ERROR "no profiles found in ${src}")
  endif()
  set(${out} ${names} PARENT_SCOPE)
endfunction()
