/*
 * Strict JSON span scanner. Bounded work per byte, no allocation, explicit
 * depth stack (no recursion), so hostile input cannot exhaust the C stack.
 */
#include "util/jscan.h"
#include "util/err.h"

#include <string.h>

enum { ST_FIRST = 1, ST_MORE = 2 }; /* inside a container: first element or after one */

void
jscan_init(struct jscan *js, const char *data, size_t len, int depth_max)
{
	js->start = data;
	js->p = data;
	js->end = data + len;
	js->depth_max = depth_max > JSCAN_DEPTH_MAX || depth_max <= 0 ? JSCAN_DEPTH_MAX : depth_max;
}

#define FAIL(js, err, what) \
	err_set((err), LSN_EINVAL, "invalid JSON at byte %d: %s", \
	    (int)((js)->p - (js)->start), (what))

static void
ws(struct jscan *js)
{
	while (js->p < js->end && (*js->p == ' ' || *js->p == '\n' ||
	    *js->p == '\r' || *js->p == '\t'))
		js->p++;
}

/* One UTF-8 sequence starting at a byte >= 0x80; rejects overlongs and surrogates. */
static int
utf8_seq(struct jscan *js)
{
	const unsigned char *s = (const unsigned char *)js->p;
	size_t left = (size_t)(js->end - js->p);
	unsigned c = s[0];

	if (c >= 0xc2 && c <= 0xdf) {
		if (left < 2 || (s[1] & 0xc0) != 0x80)
			return -1;
		js->p += 2;
		return 0;
	}
	if (c >= 0xe0 && c <= 0xef) {
		if (left < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return -1;
		if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f))
			return -1;
		js->p += 3;
		return 0;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (left < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
		    (s[3] & 0xc0) != 0x80)
			return -1;
		if ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] > 0x8f))
			return -1;
		js->p += 4;
		return 0;
	}
	return -1;
}

static int
is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int
string(struct jscan *js, struct err *err)
{
	js->p++; /* opening quote */
	for (;;) {
		const char *q = js->p;

		/* fast path over plain ASCII */
		while (q < js->end && (unsigned char)*q >= 0x20 && (unsigned char)*q < 0x80 &&
		    *q != '"' && *q != '\\')
			q++;
		js->p = q;
		if (js->p >= js->end)
			return FAIL(js, err, "unterminated string");
		unsigned char c = (unsigned char)*js->p;
		if (c == '"') {
			js->p++;
			return 0;
		}
		if (c < 0x20)
			return FAIL(js, err, "control character in string");
		if (c == '\\') {
			if (js->end - js->p < 2)
				return FAIL(js, err, "unterminated escape");
			switch (js->p[1]) {
			case '"': case '\\': case '/': case 'b': case 'f':
			case 'n': case 'r': case 't':
				js->p += 2;
				break;
			case 'u':
				if (js->end - js->p < 6 || !is_hex(js->p[2]) || !is_hex(js->p[3]) ||
				    !is_hex(js->p[4]) || !is_hex(js->p[5]))
					return FAIL(js, err, "bad \\u escape");
				js->p += 6;
				break;
			default:
				return FAIL(js, err, "bad escape");
			}
			continue;
		}
		if (utf8_seq(js) < 0)
			return FAIL(js, err, "invalid UTF-8");
	}
}

static int
number(struct jscan *js, struct err *err)
{
	const char *p = js->p, *e = js->end;

	if (p < e && *p == '-')
		p++;
	if (p >= e || *p < '0' || *p > '9')
		return FAIL(js, err, "bad number");
	if (*p == '0')
		p++;
	else
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	if (p < e && *p == '.') {
		p++;
		if (p >= e || *p < '0' || *p > '9')
			return FAIL(js, err, "bad number fraction");
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < e && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < e && (*p == '+' || *p == '-'))
			p++;
		if (p >= e || *p < '0' || *p > '9')
			return FAIL(js, err, "bad number exponent");
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	}
	js->p = p;
	return 0;
}

static int
literal(struct jscan *js, const char *w, size_t n, struct err *err)
{
	if ((size_t)(js->end - js->p) < n || memcmp(js->p, w, n) != 0)
		return FAIL(js, err, "unexpected character");
	js->p += n;
	return 0;
}

static int
scalar(struct jscan *js, struct err *err)
{
	switch (*js->p) {
	case '"': return string(js, err);
	case 't': return literal(js, "true", 4, err);
	case 'f': return literal(js, "false", 5, err);
	case 'n': return literal(js, "null", 4, err);
	default: return number(js, err);
	}
}

int
jscan_value(struct jscan *js, const char **ret_s, const char **ret_e, struct err *err)
{
	char stack[JSCAN_DEPTH_MAX]; /* '{' or '[' per open container */
	int depth = 0, r;
	const char *s;

	ws(js);
	s = js->p;
	for (;;) {
		ws(js);
		if (js->p >= js->end)
			return FAIL(js, err, "unexpected end of input");
		if (*js->p == '{' || *js->p == '[') {
			if (depth >= js->depth_max)
				return err_set(err, LSN_EINVAL,
				    "invalid JSON at byte %d: nesting deeper than %d levels",
				    (int)(js->p - js->start), js->depth_max);
			stack[depth++] = *js->p++;
			ws(js);
			if (js->p < js->end && (*js->p == '}' || *js->p == ']')) {
				if ((*js->p == '}') != (stack[depth - 1] == '{'))
					return FAIL(js, err, "mismatched bracket");
				js->p++;
				depth--;
				goto after_value;
			}
			if (stack[depth - 1] == '{')
				goto want_key;
			continue;
		}
		if ((r = scalar(js, err)) < 0)
			return r;
after_value:
		for (;;) {
			if (depth == 0) {
				*ret_s = s;
				*ret_e = js->p;
				return 0;
			}
			ws(js);
			if (js->p >= js->end)
				return FAIL(js, err, "unexpected end of input");
			if (*js->p == ',') {
				js->p++;
				if (stack[depth - 1] == '{')
					goto want_key;
				break; /* next array element */
			}
			if ((*js->p == '}' && stack[depth - 1] == '{') ||
			    (*js->p == ']' && stack[depth - 1] == '[')) {
				js->p++;
				depth--;
				continue;
			}
			return FAIL(js, err, "expected ',' or closing bracket");
		}
		continue;
want_key:
		ws(js);
		if (js->p >= js->end || *js->p != '"')
			return FAIL(js, err, "expected a string key");
		if ((r = string(js, err)) < 0)
			return r;
		ws(js);
		if (js->p >= js->end || *js->p != ':')
			return FAIL(js, err, "expected ':'");
		js->p++;
	}
}

int
jscan_object_begin(struct jscan *js, struct err *err)
{
	ws(js);
	if (js->p >= js->end || *js->p != '{')
		return FAIL(js, err, "expected a JSON object");
	js->p++;
	ws(js);
	/* Mark "first member" by leaving p at '"' or '}'; next() handles commas. */
	return 0;
}

/* The last non-whitespace byte before p, or 0 if there is none. */
static char
prev_token(const struct jscan *js)
{
	const char *q = js->p;

	while (q > js->start) {
		q--;
		if (*q != ' ' && *q != '\n' && *q != '\r' && *q != '\t')
			return *q;
	}
	return 0;
}

int
jscan_object_next(struct jscan *js, const char **ret_key, size_t *ret_keylen,
    struct err *err)
{
	const char *k;
	int r;

	ws(js);
	if (js->p >= js->end)
		return FAIL(js, err, "unexpected end of input");
	if (*js->p == '}') {
		js->p++;
		return 0;
	}
	if (*js->p == ',') {
		/* "{ ," too: whitespace may sit between the '{' and the comma */
		if (prev_token(js) == '{')
			return FAIL(js, err, "unexpected ','");
		js->p++;
		ws(js);
	} else if (prev_token(js) != '{') {
		/* must be the first member: the previous token was '{' */
		return FAIL(js, err, "expected ',' or '}'");
	}
	if (js->p >= js->end || *js->p != '"')
		return FAIL(js, err, "expected a string key");
	k = js->p + 1;
	if ((r = string(js, err)) < 0)
		return r;
	*ret_key = k;
	*ret_keylen = (size_t)(js->p - 1 - k);
	ws(js);
	if (js->p >= js->end || *js->p != ':')
		return FAIL(js, err, "expected ':'");
	js->p++;
	ws(js);
	return 1;
}

int
jscan_array_begin(struct jscan *js, struct err *err)
{
	ws(js);
	if (js->p >= js->end || *js->p != '[')
		return FAIL(js, err, "expected a JSON array");
	js->p++;
	return 0;
}

int
jscan_array_next(struct jscan *js, struct err *err)
{
	const char *q;

	ws(js);
	if (js->p >= js->end)
		return FAIL(js, err, "unexpected end of input");
	q = js->p - 1;
	while (q > js->start && (*q == ' ' || *q == '\n' || *q == '\r' || *q == '\t'))
		q--;
	if (*js->p == ']') {
		if (*q == ',')
			return FAIL(js, err, "trailing ',' in array");
		js->p++;
		return 0;
	}
	if (*q == '[')
		return 1;
	if (*js->p != ',')
		return FAIL(js, err, "expected ',' or ']'");
	js->p++;
	ws(js);
	if (js->p < js->end && *js->p == ']')
		return FAIL(js, err, "trailing ',' in array");
	return 1;
}

int
jscan_end(struct jscan *js, struct err *err)
{
	ws(js);
	if (js->p != js->end)
		return FAIL(js, err, "trailing data after the JSON value");
	return 0;
}

int
jscan_validate(const char *data, size_t len, int depth_max, struct err *err)
{
	struct jscan js;
	const char *s, *e;
	int r;

	jscan_init(&js, data, len, depth_max);
	if ((r = jscan_value(&js, &s, &e, err)) < 0)
		return r;
	return jscan_end(&js, err);
}

/*
 * Moves to the array under key (which must appear once) in the top-level
 * object, calling fn for each element. Shape errors (not an object, key
 * twice, not an array, key absent) are -LSN_ECONFLICT so callers can tell
 * them from grammar errors (-LSN_EINVAL).
 */
static int
each_in(struct jscan *js, const char *key, size_t keylen, const char *what,
    int (*fn)(void *arg, const char *s, const char *e), void *arg, struct err *err)
{
	const char *k, *s, *e;
	size_t kl;
	int r, seen = 0;

	while ((r = jscan_object_next(js, &k, &kl, err)) == 1) {
		if (kl != keylen || memcmp(k, key, keylen) != 0) {
			if ((r = jscan_value(js, &s, &e, err)) < 0)
				return r;
			continue;
		}
		if (seen++)
			return err_set(err, LSN_EINVAL, "%s has the key '%s' twice", what, key);
		if ((r = jscan_array_begin(js, err)) < 0)
			return err_set(err, LSN_ECONFLICT, "%s's '%s' must be a list", what, key);
		while ((r = jscan_array_next(js, err)) == 1)
			if ((r = jscan_value(js, &s, &e, err)) < 0 || (r = fn(arg, s, e)) < 0)
				return r;
		if (r < 0)
			return r;
	}
	if (r < 0 || (r = jscan_end(js, err)) < 0)
		return r;
	return seen ? 0 : err_set(err, LSN_ECONFLICT, "%s has no '%s' list", what, key);
}

int
jscan_each(const char *data, size_t len, int depth_max, const char *key, const char *what,
    int (*fn)(void *arg, const char *s, const char *e), void *arg, struct err *err)
{
	struct jscan js;

	jscan_init(&js, data, len, depth_max);
	if (jscan_object_begin(&js, err) < 0) {
		/* grammar first: "not JSON" says more than "not an object" */
		if (jscan_validate(data, len, depth_max, err) < 0)
			return -LSN_EINVAL;
		return err_set(err, LSN_ECONFLICT, "%s must be a JSON object", what);
	}
	return each_in(&js, key, strlen(key), what, fn, arg, err);
}
