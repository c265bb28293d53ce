/*
 * liaison evidence export|verify: a signed bundle of the envelopes
 * exchanged with one partner and everything an arbiter needs to check
 * them (docs/evidence.md), and the offline check itself, which needs no
 * node, no key and no network. Options and printing only: the bundle is
 * built and checked in wire/evidence.c.
 */
#include "cli/cli.h"
#include "hotline/hotline.h"
#include "exchange/evidence_export.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/enc.h"
#include "util/err.h"
#include "util/ts.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int run_export(const struct cli_args *a);
static int run_verify(const struct cli_args *a);

static const struct cli_opt export_opts[] = {
	{ "envelope", "ID", 0, "the envelope with this id (64 hex digits; `liaison envelope list "
	    "--json` shows them)" },
	{ "partner", "NAME", 0, "every envelope exchanged with this partner (with --envelope: "
	    "look only there)" },
	{ "since", "TIME", 0, "with --partner: only envelopes signed at or after TIME "
	    "(RFC 3339, e.g. 2026-11-27T00:00:00Z)" },
	{ "output", "FILE", CLI_REQ, "write the bundle to FILE, - for standard output "
	    "(-o FILE works too)" },
	{ NULL, NULL, 0, NULL },
};

static const struct cli_opt verify_opts[] = {
	{ "json", NULL, 0, "print the result as JSON (also when the bundle fails)" },
	{ NULL, NULL, 0, NULL },
};

static const struct cli_spec export_spec = {
	"evidence export", NULL, 0, 0,
	"Writes a bundle, signed with this node's key, of envelopes exchanged with one partner: "
	"each envelope, its receipt, and the proofs of its entry in both nodes' logs under "
	"checkpoints the other node cosigned. Envelopes the partner has not yet witnessed make "
	"it fail; try again a few seconds later.",
	export_opts,
	"liaison evidence export --partner cert-b --since 2026-11-01T00:00:00Z -o cert-b.evidence",
	run_export,
};

static const struct cli_spec verify_spec = {
	"evidence verify", "FILE|-", 1, 1,
	"Checks an evidence bundle offline: the exporter's signature, both identity documents, "
	"each envelope's signature and receipt, and its inclusion in both logs under signed and "
	"cosigned checkpoints. Exits 1 naming the first problem.",
	verify_opts,
	"liaison evidence verify cert-b.evidence",
	run_verify,
};

static const struct cli_spec *const subs[] = { &export_spec, &verify_spec };

/* "-o FILE" is what people type for an output file; the parser knows long options only. */
int
cli_cmd_evidence(int argc, char **argv, const char *home)
{
	char **v = calloc((size_t)argc + 1, sizeof(*v));
	int i, opts = 1, r;

	if (v == NULL) {
		fprintf(stderr, "liaison: out of memory\n");
		return CLI_FAIL;
	}
	for (i = 0; i < argc; i++) {
		opts = opts && strcmp(argv[i], "--") != 0;
		v[i] = opts && strcmp(argv[i], "-o") == 0 ? (char *)"--output" : argv[i];
	}
	r = cli_run_group("evidence", subs, sizeof(subs) / sizeof(subs[0]), argc, v, home);
	free(v);
	return r;
}

/* ---- export ---- */

static int
export_query(const struct cli_args *a, struct evidence_query *q)
{
	const char *id = cli_get(a, "envelope"), *since = cli_get(a, "since");
	struct err err = ERR_INIT;
	struct ts t;

	if (id == NULL && q->partner == NULL)
		return cli_usage_error(a->spec, "say which envelopes: --envelope ID or --partner NAME");
	if (id != NULL && since != NULL)
		return cli_usage_error(a->spec, "--since chooses among a partner's envelopes; leave "
		    "it out with --envelope");
	if (id != NULL && (strlen(id) != 2 * ENV_ID_LEN || hex_decode(id, strlen(id), q->id,
	    ENV_ID_LEN) < 0))
		return cli_usage_error(a->spec, "--envelope takes the 64 hex digits of an envelope "
		    "id, not '%s'", id);
	q->by_id = id != NULL;
	if (since != NULL && ts_parse(since, strlen(since), &t, &err) < 0)
		return cli_usage_error(a->spec, "--since: %s", err.msg);
	if (since != NULL)
		q->since_us = ts_to_us(&t);
	return CLI_OK;
}

static int
write_file(const char *path, const struct buf *b, struct err *err)
{
	FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
	int bad;

	if (f == NULL)
		return err_set(err, LSN_EIO, "cannot create %s: %s", path, strerror(errno));
	bad = fwrite(b->data, 1, b->len, f) != b->len;
	bad = (f == stdout ? fflush(f) : fclose(f)) != 0 || bad;
	if (bad && f != stdout)
		remove(path);
	return bad ? err_set(err, LSN_EIO, "could not write %s: %s", path, strerror(errno)) : 0;
}

static int
run_export(const struct cli_args *a)
{
	struct evidence_query q = { .partner = cli_get(a, "partner"), .since_us = INT64_MIN };
	const char *path = cli_get(a, "output");
	struct buf out = BUF_INIT(EVIDENCE_MAX);
	struct err err = ERR_INIT;
	struct cx_key *key = NULL;
	struct cli_node n = { 0 };
	struct ident me;
	size_t cnt = 0;
	int r;

	if ((r = export_query(a, &q)) != CLI_OK)
		return r;
	if (cli_node_open(a, &n, &err) < 0 || cli_identity_load(&n.cfg, &me, &key, &err) < 0 ||
	    evidence_export(n.s, &q, &me, key, clock_now_us(), &out, &cnt, &err) < 0 ||
	    write_file(path, &out, &err) < 0) {
		r = cli_fail(&err);
	} else {
		int std = strcmp(path, "-") == 0;

		fprintf(std ? stderr : stdout, "wrote %zu envelope%s to %s (%zu bytes); anyone can "
		    "check it with: liaison evidence verify %s\n", cnt, cnt == 1 ? "" : "s",
		    std ? "standard output" : path, out.len, std ? "FILE" : path);
		r = CLI_OK;
	}
	cli_node_close(&n);
	cx_key_free(key);
	buf_release(&out);
	return r;
}

/* ---- verify ---- */


static const char *
kind_name(int kind)
{
	return env_kind_name(kind) ?: "?";
}

/* Cosignatures carry whole seconds: "YYYY-MM-DDTHH:MM:SSZ". */
static void
cosig_time(uint64_t secs, char out[static TS_US_LEN])
{
	ts_format_us((int64_t)secs * 1000000, out);
	memcpy(out + 19, "Z", 2);
}

static void
print_item(size_t i, const struct evidence_summary *sum, const struct evidence_item *it)
{
	const struct ident *from = it->sent ? &sum->exporter : &sum->partner;
	const struct ident *to = it->sent ? &sum->partner : &sum->exporter;
	char id[2 * ENV_ID_LEN + 1], sent[TS_US_LEN], acc[TS_US_LEN], c1[TS_US_LEN], c2[TS_US_LEN];

	hex_encode(it->id, ENV_ID_LEN, id);
	ts_format_us(it->time_us, sent);
	ts_format_us(it->rc.time_us, acc);
	cosig_time(it->sender_log.cosigned, c1);
	cosig_time(it->receiver_log.cosigned, c2);
	printf("\n#%zu  %s -> %s  %s  seq %llu  %u object%s\n", i + 1, from->name, to->name,
	    kind_name(it->kind), (unsigned long long)it->seq, it->items, it->items == 1 ? "" : "s");
	printf("    id        %s\n    signed    %s (by %s, its clock)\n", id, sent, from->name);
	printf("    accepted  %s (receipt by %s: %u new, %u duplicate, %u refused)\n", acc,
	    to->name, it->rc.stored, it->rc.duplicate, it->rc.refused);
	if (it->body != NULL) {
		struct hotline_step_info si;
		if (hotline_describe(it->body, it->body_len, &si) == 0) {
			printf("    case      %s  %s%s%s\n", si.case_id, case_step_name(si.step),
			    si.kind ? " of a " : "", si.kind ? case_kind_name(si.kind) : "");
			if (strcmp(si.text, case_step_name(si.step)) != 0)
				printf("              \"%.200s\"\n", si.text);
		} else
			printf("    case      (the body is not a case step)\n");
	}
	printf("    logged    %s's log, leaf %llu of %llu, cosigned by %s at %s\n", from->name,
	    (unsigned long long)it->sender_log.leaf, (unsigned long long)it->sender_log.size,
	    to->name, c1);
	printf("              %s's log, leaf %llu of %llu, cosigned by %s at %s\n", to->name,
	    (unsigned long long)it->receiver_log.leaf, (unsigned long long)it->receiver_log.size,
	    from->name, c2);
}

static int
print_text(const char *path, const struct evidence_summary *sum)
{
	size_t i;

	printf("%s: VALID evidence bundle (" EVIDENCE_FORMAT "), created %s\n", path,
	    sum->created);
	printf("exporter  %-20s fingerprint %s (signed the bundle)\n", sum->exporter.name,
	    sum->exporter.fingerprint);
	printf("partner   %-20s fingerprint %s\n", sum->partner.name, sum->partner.fingerprint);
	printf("Compare both fingerprints with the ones the two agencies exchanged: the bundle "
	    "proves what the keys behind them signed.\n\n");
	printf("%zu envelope%s, each signed by its sender, receipted by its receiver, and recorded "
	    "in both logs\nunder checkpoints signed by the log's node and cosigned by the other:\n",
	    sum->n, sum->n == 1 ? "" : "s");
	for (i = 0; i < sum->n; i++)
		print_item(i, sum, &sum->items[i]);
	return CLI_OK;
}

static json_t *
json_party(const struct ident *id)
{
	char key[64];

	b64_encode(id->key, sizeof(id->key), key, 0);
	return json_pack("{s:s,s:s,s:s}", "name", id->name, "fingerprint", id->fingerprint,
	    "signing_key", key);
}

static json_t *
json_log(const struct ident *owner, const struct ident *cosigner, const struct evidence_log *l)
{
	char when[TS_US_LEN];

	cosig_time(l->cosigned, when);
	return json_pack("{s:s,s:I,s:I,s:s,s:s}", "log_of", owner->name, "leaf",
	    (json_int_t)l->leaf, "checkpoint_size", (json_int_t)l->size, "cosigned_by",
	    cosigner->name, "cosigned", when);
}

static json_t *
json_item(const struct evidence_summary *sum, const struct evidence_item *it)
{
	const struct ident *from = it->sent ? &sum->exporter : &sum->partner;
	const struct ident *to = it->sent ? &sum->partner : &sum->exporter;
	char id[2 * ENV_ID_LEN + 1], sent[TS_US_LEN], acc[TS_US_LEN];

	hex_encode(it->id, ENV_ID_LEN, id);
	ts_format_us(it->time_us, sent);
	ts_format_us(it->rc.time_us, acc);
	struct hotline_step_info si;
	json_t *j;

	j = json_pack("{s:s,s:s,s:s,s:I,s:s,s:s,s:i,s:s,s:s,s:{s:i,s:i,s:i},s:o,s:o}",
	    "direction", it->sent ? "sent" : "received", "from", from->name, "to", to->name,
	    "seq", (json_int_t)it->seq, "id", id, "kind", kind_name(it->kind), "objects",
	    (int)it->items, "signed", sent, "accepted", acc, "receipt", "stored",
	    (int)it->rc.stored, "duplicate", (int)it->rc.duplicate, "refused", (int)it->rc.refused,
	    "sender_log", json_log(from, to, &it->sender_log),
	    "receiver_log", json_log(to, from, &it->receiver_log));
	if (j != NULL && it->body != NULL && hotline_describe(it->body, it->body_len, &si) == 0)
		json_object_set_new(j, "case", json_pack("{s:s,s:s,s:s?,s:s}", "id", si.case_id,
		    "step", case_step_name(si.step), "kind", si.kind ? case_kind_name(si.kind) :
		    NULL, "text", si.text));
	return j;
}

static int
print_json(const char *path, const struct evidence_summary *sum)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < sum->n; i++)
		json_array_append_new(arr, json_item(sum, &sum->items[i]));
	return cli_json_print(json_pack("{s:b,s:s,s:s,s:s,s:o,s:o,s:o}", "valid", 1, "file", path,
	    "format", EVIDENCE_FORMAT, "created", sum->created, "exporter",
	    json_party(&sum->exporter), "partner", json_party(&sum->partner), "envelopes", arr));
}

static int
verify_failed(const char *path, const struct err *err, int json)
{
	fprintf(stderr, "liaison: %s: NOT VALID: %s\n", path, err->msg);
	if (json)
		cli_json_print(json_pack("{s:b,s:s,s:s}", "valid", 0, "file", path, "problem",
		    err->msg));
	return CLI_FAIL;
}

static int
run_verify(const struct cli_args *a)
{
	struct buf file = BUF_INIT(EVIDENCE_MAX);
	struct evidence_summary sum;
	struct err err = ERR_INIT;
	const char *path = a->pos[0];
	int json = cli_has(a, "json"), r;

	if (cli_read_file(path, &file, &err) < 0) {
		r = json ? verify_failed(path, &err, 1) : cli_fail(&err);
	} else if (evidence_verify(file.data ? file.data : "", file.len, &sum, &err) < 0) {
		r = verify_failed(path, &err, json);
	} else {
		r = json ? print_json(path, &sum) : print_text(path, &sum);
		evidence_summary_release(&sum);
	}
	buf_release(&file);
	return r;
}
