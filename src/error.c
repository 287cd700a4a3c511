/*
 * error.c: messages and names for the KEV_E* codes, from the one X-macro
 * table in kevrr/error.h.
 */
#include "kevrr/error.h"

const char *kev_strerror(int err)
{
    switch (err) {
    case KEV_OK:
        return "success";
#define KEV__ERR_MSG(name, num, msg)                                          \
    case KEV_##name:                                                          \
        return msg;
        KEV_ERRNO_MAP(KEV__ERR_MSG)
#undef KEV__ERR_MSG
    default:
        return "unknown error";
    }
}

const char *kev_err_name(int err)
{
    switch (err) {
    case KEV_OK:
        return "KEV_OK";
#define KEV__ERR_NAME(name, num, msg)                                         \
    case KEV_##name:                                                          \
        return "KEV_" #name;
        KEV_ERRNO_MAP(KEV__ERR_NAME)
#undef KEV__ERR_NAME
    default:
        return "KEV_E?";
    }
}
