/* libFuzzer harness: TAXII query-string parsing (http/query.c). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/query.h"
#include "util/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct taxii_query q;
	struct err err = ERR_INIT;
	char *s = malloc(size + 1);
	size_t i;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (taxii_query_parse(s, ~0u, &q, &err) == 0) {
		/* every value the parser returns lies inside its own storage */
		for (i = 0; i < q.n_ids; i++)
			if (q.ids[i] < q.storage || q.ids[i] >= q.storage + sizeof(q.storage))
				abort();
		if (q.n_ids > QUERY_LIST_MAX || q.n_types > QUERY_LIST_MAX || q.n_vkeys > QUERY_LIST_MAX)
			abort();
	} else if (err.msg[0] == '\0') {
		abort(); /* every rejection says why */
	}
	free(s);
	return 0;
}
