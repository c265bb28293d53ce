/*
 * libFuzzer harness for agreement files (src/policy/agreement.c) and the
 * border's object scanner and stripper (src/policy/policy.c): the first
 * is read from a file an operator edits, the others run on every object
 * that crosses. Never a crash or a read past the input; an accepted
 * agreement formats to a text that parses to the same terms and hash;
 * stripping keeps a JSON object.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"
#include "util/buf.h"
#include "util/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_err(const struct err *err, int r)
{
	if (r < 0 && (err->msg[0] == '\0' || memchr(err->msg, '\0', sizeof(err->msg)) == NULL))
		__builtin_trap();
}

static void
agreement(const uint8_t *data, size_t size)
{
	struct agreement *g = malloc(sizeof(*g)), *g2 = malloc(sizeof(*g2));
	char *out = malloc(AGR_TEXT_MAX);
	uint8_t h1[32], h2[32];
	struct err err = ERR_INIT;
	size_t len;
	int r;

	if (g == NULL || g2 == NULL || out == NULL)
		goto out;
	r = agreement_parse((const char *)data, size, g, &err);
	check_err(&err, r);
	if (r < 0)
		goto out;
	if (agreement_format(g, out, AGR_TEXT_MAX, &len, &err) < 0 ||
	    agreement_parse(out, len, g2, &err) < 0)
		__builtin_trap();
	if (agreement_hash(g, h1, &err) < 0 || agreement_hash(g2, h2, &err) < 0)
		goto out;
	if (memcmp(h1, h2, 32) != 0)
		__builtin_trap();
out:
	free(out);
	free(g2);
	free(g);
}

static void
object(const uint8_t *data, size_t size)
{
	static struct agreement g;
	static int ready;
	struct policy_obj o;
	struct policy_decision d;
	struct buf b = BUF_INIT(1 << 20);
	struct err err = ERR_INIT;
	json_error_t je;
	json_t *j;
	int r;

	if (!ready) {
		agreement_default(&g, "a", "b");
		agreement_set(&g, "a", "out.strip", "x_*,description", &err);
		ready = 1;
	}
	r = policy_scan((const char *)data, size, &g.ab, &o, &err);
	check_err(&err, r);
	if (r < 0)
		return;
	if (policy_egress(&g.ab, NULL, &o, NULL, NULL, &d, &err) < 0 ||
	    policy_ingress(&g.ba, &o, &d) < 0)
		__builtin_trap();
	/* a document jansson takes stays a JSON object once stripped */
	if ((j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &je)) == NULL)
		return;
	json_decref(j);
	if (policy_strip((const char *)data, size, &g.ab, &b, &err) < 0)
		__builtin_trap();
	if ((j = json_loadb(b.data ? b.data : "", b.len, 0, &je)) == NULL || !json_is_object(j))
		__builtin_trap();
	json_decref(j);
	buf_release(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	agreement(data, size);
	object(data, size);
	return 0;
}
