/*
 * kevrr/error.h: error codes of the kevrr library.
 *
 * Every fallible function returns 0 on success or a negative KEV_E* code.
 * The codes and their messages come from one X-macro table so that the enum
 * and kev_strerror() can never disagree.
 */
#ifndef KEVRR_ERROR_H
#define KEVRR_ERROR_H

#define KEV_ERRNO_MAP(X)                                                     \
    X(ETRUNC, 1, "input ends before the field being read")                   \
    X(ENOMEM, 2, "out of memory")                                            \
    X(EINVAL, 3, "invalid argument")                                         \
    X(ERANGE, 4, "value out of range")                                       \
    X(ENOENT, 5, "no such entry")                                            \
    X(EFORMAT, 6, "malformed input")                                         \
    X(ETOOBIG, 7, "length exceeds its cap")                                  \
    X(EEXIST, 8, "entry already exists")                                     \
    X(EIO, 9, "input/output error")

enum kev_error {
    KEV_OK = 0,
#define KEV__ERR_ENUM(name, num, msg) KEV_##name = -(num),
    KEV_ERRNO_MAP(KEV__ERR_ENUM)
#undef KEV__ERR_ENUM
};

/* Returns a static, human-readable message for a KEV_E* code (or "success"
 * for 0, "unknown error" for anything else). Never NULL. */
const char *kev_strerror(int err);

/* Returns the symbolic name of a KEV_E* code ("KEV_ETRUNC"), never NULL. */
const char *kev_err_name(int err);

#endif
