/*
 * libFuzzer harness: the JSON span scanner (util/jscan.c) as the TAXII POST
 * path uses it, cross-checked against jansson: a document the scanner accepts
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

static void
walk(const char *d, size_t n)
{
	struct jscan js;
	const char *k, *s, *e;
	size_t kl;
	int r;

	jscan_init(&js, d, n, 64);
	if (jscan_object_begin(&js, NULL) < 0)
		return;
	while ((r = jscan_object_next(&js, &k, &kl, NULL)) == 1) {
		if (kl == 7 && memcmp(k, "objects", 7) == 0 && jscan_array_begin(&js, NULL) == 0) {
			while (jscan_array_next(&js, NULL) == 1) {
				if (jscan_value(&js, &s, &e, NULL) < 0)
					return;
				if (s < d || e > d + n || s >= e)
					abort();
			}
			continue;
		}
		if (jscan_value(&js, &s, &e, NULL) < 0)
			return;
	}
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
	walk(d, size);
	return 0;
}
