/*
 * A strict, allocation-free JSON scanner (RFC 8259) that finds the byte spans
 * of values without building a tree, so the exact bytes of each element can be
 * kept and signed as received. Validates grammar, UTF-8 and nesting depth.
 * It does not decode strings or numbers and never detects duplicate keys: the
 * full parse of each span (jansson, JSON_REJECT_DUPLICATES) does that.
 */
#ifndef LSN_UTIL_JSCAN_H
#define LSN_UTIL_JSCAN_H

#include <stddef.h>

struct err;

#define JSCAN_DEPTH_MAX 128

struct jscan {
	const char *start;  /* for offsets in error messages */
	const char *p;
	const char *end;
	int depth_max;      /* <= JSCAN_DEPTH_MAX */
};

void jscan_init(struct jscan *js, const char *data, size_t len, int depth_max);

/* Expects '{' and enters the object. */
int jscan_object_begin(struct jscan *js, struct err *err);
/*
 * Moves to the next member: returns 1 and the raw key bytes (between the
 * quotes, escapes not decoded) with the scanner at the value; 0 at '}'.
 */
int jscan_object_next(struct jscan *js, const char **ret_key, size_t *ret_keylen,
    struct err *err);
/* Expects '[' and enters the array. */
int jscan_array_begin(struct jscan *js, struct err *err);
/* Returns 1 when the scanner is at the next element, 0 at ']'. */
int jscan_array_next(struct jscan *js, struct err *err);
/* Skips one whole value, returning its span [*ret_s, *ret_e). */
int jscan_value(struct jscan *js, const char **ret_s, const char **ret_e,
    struct err *err);
/* After the top-level value: only whitespace may remain. */
int jscan_end(struct jscan *js, struct err *err);

/*
 * For documents shaped {..., "key": [elements], ...} (TAXII envelopes, STIX
 * bundles): calls fn(arg, start, end) for the span of each element, in
 * order, and checks the grammar of the whole document on the way. A
 * negative return of fn stops the walk and is returned. Errors name the
 * document as `what` ("the envelope"): -LSN_EINVAL for bad JSON or the key
 * twice, -LSN_ECONFLICT for another shape (not an object, no such list).
 */
int jscan_each(const char *data, size_t len, int depth_max, const char *key, const char *what,
    int (*fn)(void *arg, const char *s, const char *e), void *arg, struct err *err);

/* Whole-document check: one valid JSON value and nothing else. */
int jscan_validate(const char *data, size_t len, int depth_max, struct err *err);

#endif
