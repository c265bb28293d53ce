/*
 * libFuzzer harness for evidence bundles (src/exchange/evidence.c): the
 * verifier an arbiter runs on a file handed to them. Never a crash, leak or
 * read past the input; a refusal is one sentence; an accepted bundle's
 * summary agrees with itself.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire/evidence.h"
#include "util/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct evidence_summary sum;
	struct err err = ERR_INIT;
	char *file = malloc(size + 1);
	json_t *s;
	int r;

	if (file == NULL)
		return 0;
	memcpy(file, data, size);
	file[size] = '\0';
	memset(&sum, 0, sizeof(sum));
	r = evidence_verify(file, size, &sum, &err);
	if (r < 0) {
		if (err.code != -r || err.msg[0] == '\0' ||
		    memchr(err.msg, '\0', sizeof(err.msg)) == NULL)
			__builtin_trap();
		s = json_string(err.msg);
		if (s == NULL)
			__builtin_trap();
		json_decref(s);
	} else if (sum.n == 0) {
		__builtin_trap();             /* an empty bundle is refused */
	}
	evidence_summary_release(&sum);
	free(file);
	return 0;
}
