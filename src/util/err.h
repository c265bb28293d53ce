/*
 * Error codes and the caller-owned error text every fallible function fills.
 * Functions return 0 or a negative LSN_E* code; the sentence in struct err
 * says what went wrong in words a user can act on. Never logs, never exits.
 */
#ifndef LSN_UTIL_ERR_H
#define LSN_UTIL_ERR_H

#include <stddef.h>

enum lsn_errno {
	LSN_OK = 0,
	LSN_EINVAL = 1,   /* bad argument or malformed input */
	LSN_ENOMEM = 2,   /* allocation failed */
	LSN_ETOOBIG = 3,  /* a cap was exceeded */
	LSN_EIO = 4,      /* file, socket or database I/O failed */
	LSN_ENOTFOUND = 5,
	LSN_EEXIST = 6,   /* already present (duplicate) */
	LSN_EDENIED = 7,  /* not allowed */
	LSN_EBADSIG = 8,  /* signature or MAC did not verify */
	LSN_ECONFLICT = 9,/* same key, different content */
	LSN_EBUSY = 10,   /* try again */
	LSN_EAUTH = 11,   /* not authenticated */
	LSN_EINTERNAL = 12,
	LSN_ENOTSUP = 13, /* not implemented by this backend or build */
};

#define ERR_MSG_MAX 512

struct err {
	int code;                /* last LSN_E* set, positive */
	char msg[ERR_MSG_MAX];   /* one complete sentence, NUL-terminated */
};

#define ERR_INIT { 0, { 0 } }

/* Sets err (if not NULL) and returns -code, so callers can `return err_set(...)`. */
int err_set(struct err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefixes the existing message with more context ("object 3: " + msg). */
void err_prefix(struct err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void err_clear(struct err *err);

/* Short stable name of a code ("EINVAL"), for logs and tests. */
const char *err_name(int code);

#endif
