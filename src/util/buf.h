/*
 * Growable byte buffer with a hard cap set at init (like curl's dynbuf).
 * Invariants: data is NULL or NUL-terminated at data[len]; len <= max.
 * Growing past max returns -LSN_ETOOBIG and leaves the buffer unchanged.
 */
#ifndef LSN_UTIL_BUF_H
#define LSN_UTIL_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;   /* allocated, excluding the NUL */
	size_t max;   /* hard cap on len */
};

#define BUF_INIT(m) { NULL, 0, 0, (m) }

void buf_init(struct buf *b, size_t max);
void buf_release(struct buf *b);            /* frees contents; b stays usable */
void buf_reset(struct buf *b);              /* len = 0, keeps memory */
int  buf_reserve(struct buf *b, size_t more);
int  buf_add(struct buf *b, const void *p, size_t n);
int  buf_adds(struct buf *b, const char *s);
int  buf_addc(struct buf *b, char c);
int  buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int  buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* Appends s as a JSON string literal, quotes included. */
int  buf_add_json_str(struct buf *b, const char *s, size_t n);
/* Hands the memory to the caller (free() it); b is reset to empty. */
char *buf_detach(struct buf *b, size_t *ret_len);

#endif
