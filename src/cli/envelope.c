/*
 * liaison envelope list: the envelopes exchanged with one partner, newest
 * first, with their receipts (checked against the signer's key as they are
 * shown). Read-only.
 */
#include "cli/cli.h"
#include "wire/envelope.h"
#include "wire/identity.h"
#include "store/store.h"
#include "util/enc.h"
#include "util/err.h"
#include "util/ts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int run_list(const struct cli_args *a);

static const struct cli_opt list_opts[] = {
	{ "partner", "NAME", CLI_REQ, "the partner" },
	{ "in", NULL, 0, "envelopes received from it (default: sent to it)" },
	{ "limit", "N", 0, "show at most N envelopes (default 20)" },
	{ "json", NULL, 0, "print {\"envelopes\": [...]} as JSON" },
	{ NULL, NULL, 0, NULL },
};

static const struct cli_spec list_spec = {
	"envelope list", NULL, 0, 0,
	"Lists the envelopes sent to (or, with --in, received from) a partner, newest first: "
	"sequence number, id, kind, objects, when, and the receipt.",
	list_opts,
	"liaison envelope list --partner cert-b --limit 5",
	run_list,
};

static const struct cli_spec *const subs[] = { &list_spec };

int
cli_cmd_envelope(int argc, char **argv, const char *home)
{
	return cli_run_group("envelope", subs, sizeof(subs) / sizeof(subs[0]), argc, argv, home);
}

struct lister {
	const uint8_t *signer;        /* who signs the receipts of this direction */
	json_t *arr;
	int json;
};

static int
show_one(void *arg, const struct store_envelope *e)
{
	struct lister *ls = arg;
	char id[65], when[TS_US_LEN], rwhen[TS_US_LEN] = "-", counts[64] = "-";
	struct rcpt rc;
	struct err err = ERR_INIT;
	const char *state = "pending";

	hex_encode(e->id, 32, id);
	ts_format_us(e->created_us, when);
	if (e->receipt != NULL) {
		if (rcpt_open(e->receipt, e->receipt_len, ls->signer, &rc, &err) == 0 &&
		    rc.seq == e->seq && memcmp(rc.env_id, e->id, 32) == 0) {
			state = "receipted";
			ts_format_us(rc.time_us, rwhen);
			snprintf(counts, sizeof(counts), "%u new, %u dup, %u refused", rc.stored,
			    rc.duplicate, rc.refused);
		} else {
			state = "BAD RECEIPT";
		}
	}
	if (ls->json)
		json_array_append_new(ls->arr, json_pack("{s:I,s:s,s:s,s:i,s:s,s:s,s:s,s:s}",
		    "seq", (json_int_t)e->seq, "id", id, "kind", env_kind_name(e->kind) ?: "?",
		    "objects", (int)e->items, "time", when, "receipt", state, "receipt_time", rwhen,
		    "receipt_objects", counts));
	else
		printf("%8llu  %.16s  %-8s %7u  %s  %-10s %s\n", (unsigned long long)e->seq, id,
		    env_kind_name(e->kind) ?: "?", e->items, when, state, counts);
	return 0;
}

static int
run_list(const struct cli_args *a)
{
	struct err err = ERR_INIT;
	struct store_partner p;
	struct store_env_query q = { 0 };
	struct cli_node n;
	struct ident me;
	struct lister ls = { NULL, NULL, cli_has(a, "json") };
	const char *lim = cli_get(a, "limit");
	long limit = lim ? strtol(lim, NULL, 10) : 20;
	int r = -1;

	if (limit <= 0)
		return cli_usage_error(a->spec, "--limit must be a positive number");
	ls.arr = json_array();
	if (cli_node_open(a, &n, &err) < 0 ||
	    store_partner_find(n.s, cli_get(a, "partner"), &p, &err) < 0 ||
	    cli_identity_load(&n.cfg, &me, NULL, &err) < 0)
		goto out;
	q.partner = p.rowid;
	q.dir = cli_has(a, "in") ? STORE_IN : STORE_OUT;
	q.flags = STORE_ENV_DESC;
	q.max_n = (size_t)limit;
	ls.signer = q.dir == STORE_OUT ? p.key : me.key;
	if (!ls.json)
		printf("%8s  %-16s  %-8s %7s  %-27s  %-10s %s\n", "SEQ", "ID", "KIND", "OBJECTS",
		    "TIME", "RECEIPT", "RECEIPT OBJECTS");
	r = store_env_scan(n.s, &q, show_one, &ls, &err);
out:
	cli_node_close(&n);
	if (r < 0) {
		json_decref(ls.arr);
		return cli_fail(&err);
	}
	if (ls.json)
		return cli_json_print(json_pack("{s:s,s:s,s:o}", "partner", p.name, "direction",
		    q.dir == STORE_OUT ? "out" : "in", "envelopes", ls.arr));
	json_decref(ls.arr);
	return CLI_OK;
}
