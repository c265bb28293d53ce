/*
 * liaison log key|checkpoint|prove|verify: the node's witnessed ledger as
 * C2SP texts (vkeys, signed checkpoints, tlog-proofs) and its full
 * verification. Read-only: the daemon alone writes the ledger; `verify`
 * records only its result (store meta ledger_last_verify, for the
 * dashboard's ledger page).
 */
#include "cli/cli.h"
#include "exchange/exchange.h"
#include "ledger/ledger.h"
#include "store/store.h"
#include "wire/identity.h"
#include "util/err.h"
#include "util/ts.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int run_key(const struct cli_args *a);
static int run_checkpoint(const struct cli_args *a);
static int run_prove(const struct cli_args *a);
static int run_verify(const struct cli_args *a);

static const struct cli_opt no_opts[] = { { NULL, NULL, 0, NULL } };

static const struct cli_opt prove_opts[] = {
	{ "index", "N", CLI_REQ, "the leaf to prove" },
	{ NULL, NULL, 0, NULL },
};

static const struct cli_opt verify_opts[] = {
	{ "json", NULL, 0, "print the report as JSON" },
	{ NULL, NULL, 0, NULL },
};

static const struct cli_spec key_spec = {
	"log key", NULL, 0, 0,
	"Prints the node's verifier keys in signed-note vkey form, one a line: first its log "
	"key (type 0x01, named by the log's origin), then its witness cosigning key (type 0x04).",
	no_opts, "liaison log key", run_key,
};

static const struct cli_spec checkpoint_spec = {
	"log checkpoint", NULL, 0, 0,
	"Prints the latest checkpoint of the node's log (c2sp.org/tlog-checkpoint) as a signed "
	"note, with the cosignatures partners returned for it.",
	no_opts, "liaison log checkpoint", run_checkpoint,
};

static const struct cli_spec prove_spec = {
	"log prove", NULL, 0, 0,
	"Prints a c2sp.org/tlog-proof@v1 for leaf N against the latest checkpoint a partner "
	"cosigned; its extra line holds the leaf's entry, so anyone can recompute the leaf hash "
	"as SHA-256(0x00 || entry).",
	prove_opts, "liaison log prove --index 0", run_prove,
};

static const struct cli_spec verify_spec = {
	"log verify", NULL, 0, 0,
	"Recomputes the whole tree from the stored entries and checks every stored hash, every "
	"checkpoint this node signed, every cosignature, every partner checkpoint it cosigned and "
	"every envelope against its entry. Exits 1 and names the first bad leaf if anything was "
	"changed, deleted, inserted or reordered. Records the result for the dashboard's ledger "
	"page.",
	verify_opts, "liaison log verify", run_verify,
};

static const struct cli_spec *const subs[] = { &key_spec, &checkpoint_spec, &prove_spec,
	&verify_spec };

int
cli_cmd_log(int argc, char **argv, const char *home)
{
	return cli_run_group("log", subs, sizeof(subs) / sizeof(subs[0]), argc, argv, home);
}

/* The node's store and log identity. */
static int
open_log(const struct cli_args *a, struct cli_node *n, struct ledger_id *id, struct err *err)
{
	struct ident me;
	int r;

	if ((r = cli_node_open(a, n, err)) < 0)
		return r;
	if ((r = cli_identity_load(&n->cfg, &me, NULL, err)) < 0)
		return r;
	return ledger_id_init(id, me.name, me.key, err);
}

static int
run_key(const struct cli_args *a)
{
	struct err err = ERR_INIT;
	struct cli_node n;
	struct ledger_id id;
	char vk[NOTE_VKEY_MAX];
	int r = open_log(a, &n, &id, &err);

	cli_node_close(&n);
	if (r < 0)
		return cli_fail(&err);
	note_vkey_format(&id.log_key, vk);
	printf("%s\n", vk);
	note_vkey_format(&id.witness_key, vk);
	printf("%s\n", vk);
	return CLI_OK;
}

static int
run_checkpoint(const struct cli_args *a)
{
	struct err err = ERR_INIT;
	struct cli_node n;
	struct ledger_id id;
	char note[NOTE_MAX];
	size_t len;
	int r = open_log(a, &n, &id, &err);

	if (r == 0)
		r = ledger_checkpoint_note(n.s, 0, note, sizeof(note), &len, NULL, &err);
	cli_node_close(&n);
	if (r < 0)
		return cli_fail(&err);
	fwrite(note, 1, len, stdout);
	return CLI_OK;
}

static int
run_prove(const struct cli_args *a)
{
	struct err err = ERR_INIT;
	struct cli_node n;
	struct ledger_id id;
	const char *v = cli_get(a, "index");
	char *end, *out;
	size_t cap = 64 * 1024, len;
	uint64_t idx;
	int r;

	idx = strtoull(v, &end, 10);
	if (*v < '0' || *v > '9' || *end != '\0')
		return cli_usage_error(a->spec, "--index takes a leaf index (0, 1, ...), not '%s'", v);
	if ((out = malloc(cap)) == NULL)
		return cli_fail(&(struct err){ LSN_ENOMEM, "out of memory" });
	r = open_log(a, &n, &id, &err);
	if (r == 0)
		r = ledger_prove(n.s, idx, UINT64_MAX, out, cap, &len, &err);
	cli_node_close(&n);
	if (r == 0)
		fwrite(out, 1, len, stdout);
	free(out);
	return r < 0 ? cli_fail(&err) : CLI_OK;
}

static void
print_report(const struct ledger_verify_report *rep, int json)
{
	if (json) {
		cli_json_print(json_pack("{s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:s}", "ok", rep->ok,
		    "leaves", (json_int_t)rep->leaves, "envelope_entries",
		    (json_int_t)rep->n_envelope_leaves, "checkpoints", (json_int_t)rep->checkpoints,
		    "cosignatures", (json_int_t)rep->cosignatures, "partner_checkpoints",
		    (json_int_t)rep->witnessed, "first_bad_index", (json_int_t)rep->first_bad,
		    "problem", rep->problem));
		return;
	}
	if (rep->ok) {
		printf("ledger OK: %" PRIu64 " leaves (%zu envelopes), %" PRIu64 " checkpoints signed, "
		    "%" PRIu64 " cosignatures, %" PRIu64 " partner checkpoints cosigned\n",
		    rep->leaves, rep->n_envelope_leaves, rep->checkpoints, rep->cosignatures,
		    rep->witnessed);
		return;
	}
	if (rep->first_bad >= 0)
		fprintf(stderr, "liaison: ledger BAD at index %" PRId64 ": %s\n", rep->first_bad,
		    rep->problem);
	else
		fprintf(stderr, "liaison: ledger BAD: %s\n", rep->problem);
}

/* Keeps the report where the dashboard reads it; a failure to write it is only a warning. */
static void
record_report(struct store *s, const struct ledger_verify_report *rep)
{
	struct err err = ERR_INIT;
	char ts[TS_US_LEN];
	json_t *doc;
	char *text;

	ts_format_us(clock_now_us(), ts);
	doc = json_pack("{s:s,s:b,s:I,s:I,s:I,s:I,s:s}", "time", ts, "ok", rep->ok,
	    "leaves", (json_int_t)rep->leaves, "checkpoints", (json_int_t)rep->checkpoints,
	    "cosignatures", (json_int_t)rep->cosignatures, "first_bad_index",
	    (json_int_t)rep->first_bad, "problem", rep->problem);
	text = doc ? json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(doc);
	if (text != NULL && store_begin(s, &err) == 0) {
		if (store_meta_set(s, "ledger_last_verify", text, &err) == 0 &&
		    store_commit(s, &err) == 0) {
			free(text);
			return;
		}
		store_rollback(s);
	}
	{
		fprintf(stderr, "liaison: warning: the result was not recorded for the dashboard: %s\n",
		    err.msg[0] ? err.msg : "out of memory");
	}
	free(text);
}

static int
run_verify(const struct cli_args *a)
{
	struct err err = ERR_INIT;
	struct ledger_verify_report rep = { 0 };
	struct cli_node n;
	struct ledger_id id;
	int r = open_log(a, &n, &id, &err);

	if (r == 0 && store_read_begin(n.s, &err) == 0) {
		r = ledger_verify(n.s, &id, &rep, &err);
		if (r == 0)
			r = exchange_verify_entries(n.s, &rep, &err);
		store_read_end(n.s);
		if (r == 0)
			record_report(n.s, &rep);
	}
	cli_node_close(&n);
	if (r < 0) {
		ledger_verify_release(&rep);
		return cli_fail(&err);
	}
	print_report(&rep, cli_has(a, "json"));
	ledger_verify_release(&rep);
	return rep.ok ? CLI_OK : 1;
}
