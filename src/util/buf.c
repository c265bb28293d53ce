/* Capped growable buffer: every growth checks the cap before allocating. */
#include "util/buf.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void
buf_release(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

int
buf_reserve(struct buf *b, size_t more)
{
	size_t want, ncap;
	char *p;

	if (more > b->max || b->len > b->max - more)
		return -LSN_ETOOBIG;
	want = b->len + more;
	if (want <= b->cap && b->data != NULL)
		return 0;
	ncap = b->cap ? b->cap : 64;
	while (ncap < want)
		ncap = ncap > SIZE_MAX / 2 ? want : ncap * 2;
	if (ncap > b->max)
		ncap = b->max;
	p = realloc(b->data, ncap + 1);
	if (p == NULL)
		return -LSN_ENOMEM;
	b->data = p;
	b->cap = ncap;
	return 0;
}

int
buf_add(struct buf *b, const void *p, size_t n)
{
	int r = buf_reserve(b, n);

	if (r < 0)
		return r;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
buf_adds(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int
buf_addc(struct buf *b, char c)
{
	return buf_add(b, &c, 1);
}

int
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n, r;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return -LSN_EINVAL;
	r = buf_reserve(b, (size_t)n);
	if (r < 0)
		return r;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return r;
}

static int
json_escape(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0;
	int r;

	if ((r = buf_addc(b, '"')) < 0)
		return r;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[7];

		if (c >= 0x20 && c != '"' && c != '\\') {
			run++;
			continue;
		}
		if (run > 0 && (r = buf_add(b, s + i - run, run)) < 0)
			return r;
		run = 0;
		esc[0] = '\\';
		switch (c) {
		case '"': esc[1] = '"'; r = buf_add(b, esc, 2); break;
		case '\\': esc[1] = '\\'; r = buf_add(b, esc, 2); break;
		case '\n': esc[1] = 'n'; r = buf_add(b, esc, 2); break;
		case '\r': esc[1] = 'r'; r = buf_add(b, esc, 2); break;
		case '\t': esc[1] = 't'; r = buf_add(b, esc, 2); break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			r = buf_add(b, esc, 6);
		}
		if (r < 0)
			return r;
	}
	if (run > 0 && (r = buf_add(b, s + n - run, run)) < 0)
		return r;
	return buf_addc(b, '"');
}

int
buf_add_json_str(struct buf *b, const char *s, size_t n)
{
	size_t start = b->len;
	int r = json_escape(b, s, n);

	/* The escape appends piecemeal; a cap hit midway must not leave half a string. */
	if (r < 0 && b->data != NULL) {
		b->len = start;
		b->data[start] = '\0';
	}
	return r;
}

char *
buf_detach(struct buf *b, size_t *ret_len)
{
	char *p = b->data;

	if (p == NULL) {
		p = calloc(1, 1);
		if (p == NULL)
			return NULL;
	}
	if (ret_len != NULL)
		*ret_len = b->len;
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	return p;
}
