/*
 * libFuzzer harness: the JSON span scanner (util/jscan.c) as the TAXII POST
 * path and the partner inbox use it (jscan_each), cross-checked against jansson: a document the scanner accepts
 * must parse, and one jansson rejects for grammar must not be accepted.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/jscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct bounds {
	const char *d;
	size_t n;
};

/* Every span handed out lies inside the input and is not empty. */
static int
on_element(void *arg, const char *s, const char *e)
{
	const struct bounds *b = arg;

	if (s < b->d || e > b->d + b->n || s >= e)
		abort();
	return 0;
}

/* The walk the TAXII POST path and the partner inbox make (jscan_each). */
static int
walk(const char *d, size_t n)
{
	struct bounds b = { d, n };

	return jscan_each(d, n, 64, "objects", "the envelope", on_element, &b, NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *d = (const char *)data;
	json_error_t je;
	json_t *j;
	int ok;

	ok = jscan_validate(d, size, 64, NULL) == 0;
	j = json_loadb(d, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
	/* jansson refuses some valid documents (lone surrogate escapes, deep nesting) */
	if (ok && j == NULL && strstr(je.text, "surrogate") == NULL &&
	    strstr(je.text, "nesting") == NULL && strstr(je.text, "Unicode") == NULL &&
	    strstr(je.text, "too big") == NULL && strstr(je.text, "underflow") == NULL &&
	    strstr(je.text, "overflow") == NULL)
		abort();
	json_decref(j);
	/* a document the walk accepts is one valid JSON value */
	if (walk(d, size) == 0 && !ok)
		abort();
	return 0;
}
