# kev_target_setup(TARGET): warnings and sanitizer flags, set per target
# (never by appending to CMAKE_C_FLAGS).
function(kev_target_setup target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
    -Wstrict-prototypes -Wmissing-prototypes -Wcast-align -Wformat=2
    -Wundef -Wvla -Wnull-dereference -Wdouble-promotion)
  if(KEV_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  # macOS hides its BSD interfaces (initgroups, IFF_*, SO_NREAD, PF_SYSTEM)
  # once _POSIX_C_SOURCE is defined, unless _DARWIN_C_SOURCE is too.
  target_compile_definitions(${target} PRIVATE $<$<PLATFORM_ID:Darwin>:_DARWIN_C_SOURCE>)
  if(KEV_SANITIZE)
    target_compile_options(${target} PRIVATE
      -fsanitize=address,undefined -fno-sanitize-recover=all
      -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()
