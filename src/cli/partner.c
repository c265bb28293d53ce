/*
 * liaison partner add|list|remove: pairing with another agency's node. The
 * identity document is checked (signature, fingerprint) and the operator
 * confirms the short fingerprint read to them by the partner's operator;
 * then the partner, its read-only inbox collection `from-NAME` and the
 * collections shared with it are stored in one transaction. A running
 * liaisond is told at once (SIGHUP) and also looks every quarter second.
 */
#include "cli/cli.h"
#include "hotline/hotline.h"
#include "wire/envelope.h"
#include "wire/identity.h"
#include "store/store.h"
#include "util/enc.h"
#include "util/err.h"
#include "util/ts.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int run_add(const struct cli_args *a);
static int run_list(const struct cli_args *a);
static int run_remove(const struct cli_args *a);

static const struct cli_opt add_opts[] = {
	{ "endpoint", "https://HOST:PORT", CLI_REQ | CLI_MULTI,
	  "the partner's peer listener; repeatable for a node that runs several daemons: "
	  "tried in the order given, the next when one cannot be reached or is a standby "
	  "(at most 8)" },
	{ "share", "COLLECTION", CLI_MULTI,
	  "a collection (title or id) whose objects go to this partner; repeatable "
	  "(default: the collection titled 'shared')" },
	{ "term", "KEY=VALUE", CLI_MULTI,
	  "a term of the agreement (as `liaison agreement set`: out.max_tlp=green, in.types=indicator,...); "
	  "repeatable; the rest are the default terms" },
	{ "yes", NULL, 0, "the fingerprint was confirmed: do not ask" },
	{ "json", NULL, 0, "print the new partner as JSON" },
	{ NULL, NULL, 0, NULL },
};

static const struct cli_opt list_opts[] = {
	{ "json", NULL, 0, "print {\"partners\": [...]} as JSON" },
	{ NULL, NULL, 0, NULL },
};

static const struct cli_opt remove_opts[] = {
	{ NULL, NULL, 0, NULL },
};

static const struct cli_spec add_spec = {
	"partner add", "FILE", 1, 1,
	"Pairs with the node whose identity document is FILE (from its `liaison identity "
	"export`): shows its fingerprint to confirm, creates its inbox collection from-NAME "
	"(read-only) and shares the given collections with it. A partner with several daemons "
	"(high availability) gives one endpoint for each.",
	add_opts,
	"liaison partner add cert-b.identity.json --endpoint https://10.0.0.2:8444 "
	"--endpoint https://10.0.0.3:8444 --share shared",
	run_add,
};

static const struct cli_spec list_spec = {
	"partner list", NULL, 0, 0,
	"Lists partners with their endpoints (in the order they are tried) and link health: "
	"last contact, envelopes sent (OUT), receipted, queued (waiting for a receipt) and "
	"received (IN), retries and the last error.",
	list_opts,
	"liaison partner list --json",
	run_list,
};

static const struct cli_spec remove_spec = {
	"partner remove", "NAME", 1, 1,
	"Stops exchanging with a partner and unpins its key. Its inbox collection and every "
	"envelope and receipt exchanged are kept as evidence.",
	remove_opts,
	"liaison partner remove cert-b",
	run_remove,
};

static const struct cli_spec *const subs[] = { &add_spec, &list_spec, &remove_spec };

int
cli_cmd_partner(int argc, char **argv, const char *home)
{
	return cli_run_group("partner", subs, sizeof(subs) / sizeof(subs[0]), argc, argv, home);
}

/*
 * A host name or address, or [an IPv6 address]: never a space, which
 * separates the endpoints in the partner's row, nor a quote or a slash.
 */
static int
host_ok(const char *h, size_t len)
{
	int v6 = len > 2 && h[0] == '[' && h[len - 1] == ']';
	size_t i;

	for (i = v6; i < len - v6; i++)
		if (!isalnum((unsigned char)h[i]) && h[i] != '.' && h[i] != '-' && h[i] != '_' &&
		    !(v6 && h[i] == ':'))
			return 0;
	return len > 0;
}

/* https://HOST:PORT with nothing after the port: the peer API paths are fixed. */
static int
endpoint_ok(const char *e)
{
	const char *colon, *p;

	if (strncmp(e, "https://", 8) != 0 || strlen(e) >= STORE_ENDPOINT_MAX)
		return 0;
	colon = strrchr(e + 8, ':');
	if (colon == NULL || !host_ok(e + 8, (size_t)(colon - (e + 8))) || colon[1] == '\0')
		return 0;
	for (p = colon + 1; *p; p++)
		if (*p < '0' || *p > '9')
			return 0;
	return atoi(colon + 1) > 0 && atoi(colon + 1) < 65536;
}

/* Every --endpoint, checked, as the partner's row keeps them: in order, space-separated. */
static int
endpoints_join(const struct cli_args *a, char out[STORE_ENDPOINT_MAX])
{
	const char *v[STORE_ENDPOINTS_MAX];
	int i, k, n = cli_get_all(a, "endpoint", v, STORE_ENDPOINTS_MAX);
	size_t len = 0;

	if (n > STORE_ENDPOINTS_MAX)
		return cli_usage_error(a->spec, "at most %d --endpoint, not %d", STORE_ENDPOINTS_MAX, n);
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		if (!endpoint_ok(v[i]))
			return cli_usage_error(a->spec, "--endpoint must be https://HOST:PORT, not '%s'",
			    v[i]);
		for (k = 0; k < i; k++)
			if (strcmp(v[k], v[i]) == 0)
				return cli_usage_error(a->spec, "--endpoint %s is given twice", v[i]);
		if (len + (i > 0) + strlen(v[i]) >= STORE_ENDPOINT_MAX)
			return cli_usage_error(a->spec, "the endpoints take more than %d bytes together",
			    STORE_ENDPOINT_MAX - 1);
		len += (size_t)snprintf(out + len, STORE_ENDPOINT_MAX - len, "%s%s", i ? " " : "", v[i]);
	}
	return 0;
}

/* The endpoints of a partner's row as a JSON array, in the order they are tried. */
static json_t *
endpoints_json(const char *list)
{
	const char *ep[STORE_ENDPOINTS_MAX];
	char buf[STORE_ENDPOINT_MAX];
	size_t i, n = store_endpoints_split(list, buf, sizeof(buf), ep);
	json_t *arr = json_array();

	for (i = 0; i < n; i++)
		json_array_append_new(arr, json_string(ep[i]));
	return arr;
}

/* The first endpoint (the one tried first), for the "endpoint" member kept for scripts. */
static const char *
endpoint_first(const char *list, char buf[STORE_ENDPOINT_MAX])
{
	const char *ep[STORE_ENDPOINTS_MAX];

	return store_endpoints_split(list, buf, STORE_ENDPOINT_MAX, ep) > 0 ? ep[0] : "";
}

static int
read_doc(const char *path, char *out, size_t cap, size_t *ret_len, struct err *err)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	size_t n;

	if (f == NULL)
		return err_set(err, LSN_EIO, "cannot open %s: %s", path, strerror(errno));
	n = fread(out, 1, cap, f);
	if (f != stdin)
		fclose(f);
	if (n == cap)
		return err_set(err, LSN_ETOOBIG, "%s is larger than an identity document can be (%zu bytes)",
		    path, cap - 1);
	out[n] = '\0';
	*ret_len = n;
	return 0;
}

/* Asks on the terminal; scripts must say --yes. */
static int
confirm(const struct ident *id, const char *endpoints, int yes, struct err *err)
{
	const char *ep[STORE_ENDPOINTS_MAX];
	char line[16], buf[STORE_ENDPOINT_MAX];
	size_t i, n = store_endpoints_split(endpoints, buf, sizeof(buf), ep);

	fprintf(stderr, "partner:      %s\n", id->name);
	for (i = 0; i < n; i++)
		fprintf(stderr, "endpoint:     %s\n", ep[i]);
	fprintf(stderr, "fingerprint:  %s\n", id->fingerprint);
	if (yes)
		return 0;
	if (!isatty(STDIN_FILENO))
		return err_set(err, LSN_EDENIED, "confirm the fingerprint with the partner's operator, "
		    "then run again with --yes (standard input is not a terminal)");
	fprintf(stderr, "Read the fingerprint to %s's operator. Does it match theirs? [y/N] ", id->name);
	if (fgets(line, sizeof(line), stdin) == NULL || (line[0] != 'y' && line[0] != 'Y'))
		return err_set(err, LSN_EDENIED, "not paired: the fingerprint was not confirmed");
	return 0;
}

/* Shares: local collections only (forwarding what partners sent is the agreement's call). */
static int
add_shares(struct cli_node *n, const struct cli_args *a, int64_t partner, json_t *names,
    struct err *err)
{
	struct store_collection c;
	struct store_share sh;
	int i, any = 0, r;

	for (i = 0; i <= a->nocc; i++) {
		const char *t = i < a->nocc ? a->occ[i].val : (any ? NULL : "shared");
		if (t == NULL || (i < a->nocc && strcmp(a->occ[i].opt->name, "share") != 0))
			continue;
		any = 1;
		if ((r = store_coll_find(n->s, t, &c, err)) < 0)
			return r;
		if (c.partner != 0)
			return err_set(err, LSN_EDENIED, "collection '%s' is a partner's inbox: what a "
			    "partner sent is not passed on to another", c.title);
		sh.partner = partner;
		sh.coll = c.rowid;
		sh.cursor_us = 0; /* everything already in it goes too */
		if ((r = store_share_add(n->s, &sh, err)) < 0)
			return r;
		json_array_append_new(names, json_string(c.title));
	}
	return 0;
}

static int
store_partner(struct cli_node *n, const struct cli_args *a, const struct ident *id,
    const char *doc, struct store_partner *p, json_t *shares, struct err *err)
{
	struct store_collection inbox = { 0 };
	int r;

	if ((r = store_begin(n->s, err)) < 0)
		return r;
	snprintf(inbox.title, sizeof(inbox.title), "from-%s", id->name);
	snprintf(inbox.description, sizeof(inbox.description),
	    "Objects received from partner %s (read-only: only the exchange writes here).", id->name);
	if ((r = cx_uuid4(inbox.id)) < 0)
		err_set(err, LSN_EIO, "cannot read random bytes for a collection id");
	else if ((r = store_coll_add(n->s, &inbox, err)) == 0) {
		p->inbox = inbox.rowid;
		if ((r = store_partner_add(n->s, p, doc, err)) == 0)
			r = add_shares(n, a, p->rowid, shares, err);
	}
	if (r == 0)
		r = store_commit(n->s, err);
	if (r < 0)
		store_rollback(n->s);
	return r;
}

/* The TLS pin decides who a connection is: two partners may not share one. */
static int
spki_unused(struct cli_node *n, const struct ident *id, struct err *err)
{
	struct store_partner *ps = NULL;
	size_t i, cnt = 0;
	int r;

	if ((r = store_partner_list(n->s, &ps, &cnt, err)) < 0)
		return r;
	for (i = 0; i < cnt && r == 0; i++)
		if (memcmp(ps[i].spki, id->spki, 32) == 0)
			r = err_set(err, LSN_EEXIST, "partner '%s' already uses this TLS key", ps[i].name);
	free(ps);
	return r;
}

static int
check_new(struct cli_node *n, const struct ident *id, struct err *err)
{
	struct store_partner old;
	struct ident me;

	if (cli_identity_load(&n->cfg, &me, NULL, err) < 0)
		return -LSN_EINVAL;
	if (memcmp(me.key, id->key, sizeof(me.key)) == 0)
		return err_set(err, LSN_EINVAL, "this is the identity of this node itself");
	if (store_partner_find(n->s, id->name, &old, err) == 0)
		return err_set(err, LSN_EEXIST, "a partner named '%s' is already %s", id->name,
		    old.active ? "paired" : "known (removed); its history is kept under that name");
	if (memcmp(me.spki, id->spki, sizeof(me.spki)) == 0)
		return err_set(err, LSN_EINVAL, "this document names this node's own TLS key");
	return spki_unused(n, id, err);
}

static int
run_add(const struct cli_args *a)
{
	struct err err = ERR_INIT;
	struct store_partner p;
	struct cli_node n;
	struct ident id;
	char doc[IDENT_DOC_MAX + 1], first[STORE_ENDPOINT_MAX];
	json_t *shares;
	size_t len = 0;
	int r = CLI_FAIL;

	memset(&p, 0, sizeof(p));
	if ((r = endpoints_join(a, p.endpoint)) != 0)
		return r;
	r = CLI_FAIL;
	shares = json_array();
	if (read_doc(a->pos[0], doc, sizeof(doc), &len, &err) < 0 ||
	    ident_parse(doc, len, &id, &err) < 0) {
		err_prefix(&err, "%s: ", a->pos[0]);
		json_decref(shares);
		return cli_fail(&err);
	}
	if (cli_node_open(a, &n, &err) < 0 || check_new(&n, &id, &err) < 0 ||
	    confirm(&id, p.endpoint, cli_has(a, "yes"), &err) < 0)
		goto out;
	snprintf(p.name, sizeof(p.name), "%s", id.name);
	memcpy(p.key, id.key, 32);
	env_key_id(id.key, p.key_id);
	memcpy(p.spki, id.spki, 32);
	p.active = 1;
	if (store_partner(&n, a, &id, doc, &p, shares, &err) < 0 ||
	    cli_agreement_new(&n.cfg, id.name, shares, a, &err) < 0)
		goto out;
	cli_daemon_reload(&n.cfg);
	r = CLI_OK;
	snprintf(doc, sizeof(doc), "from-%s", p.name);
	if (cli_has(a, "json"))
		r = cli_json_print(json_pack("{s:s,s:s,s:s,s:o,s:s,s:O}", "name", p.name,
		    "fingerprint", id.fingerprint, "endpoint", endpoint_first(p.endpoint, first),
		    "endpoints", endpoints_json(p.endpoint), "inbox", doc, "shares", shares));
	else
		printf("paired with %s: its objects arrive in collection from-%s\n", p.name, p.name);
out:
	json_decref(shares);
	cli_node_close(&n);
	return r == CLI_OK ? r : cli_fail(&err);
}

static void
fmt_time(int64_t us, char out[TS_US_LEN])
{
	if (us == 0)
		snprintf(out, TS_US_LEN, "never");
	else
		ts_format_us(us, out);
}

/* Whether both sides hold the same agreement (docs/agreements.md). */
static const char *
agreement_state(const struct store_partner *p)
{
	if (!p->has_agreement || !p->has_peer_agreement)
		return "unknown";
	return memcmp(p->agreement, p->peer_agreement, 32) == 0 ? "same" : "DIFFERENT";
}

/* A duration people read at a glance: 850ms, 12.3s, 4m, 5.0h, 2.0d. */
static void
short_dur(int64_t us, char *out, size_t cap)
{
	if (us < 1000000)
		snprintf(out, cap, "%lldms", (long long)(us / 1000));
	else if (us < 60 * 1000000LL)
		snprintf(out, cap, "%.1fs", us / 1e6);
	else if (us < 3600 * 1000000LL)
		snprintf(out, cap, "%.0fm", us / 60e6);
	else if (us < 86400 * 1000000LL)
		snprintf(out, cap, "%.1fh", us / 3600e6);
	else
		snprintf(out, cap, "%.1fd", us / 86400e6);
}

/* "p50/p95/worst" of one clock of the pledge, or "-" when nothing was measured. */
static void
pledge_cell(size_t n, int64_t p50, int64_t p95, int64_t max, char *out, size_t cap)
{
	char a[16], b[16], c[16];

	if (n == 0) {
		snprintf(out, cap, "-");
		return;
	}
	short_dur(p50, a, sizeof(a));
	short_dur(p95, b, sizeof(b));
	short_dur(max, c, sizeof(c));
	snprintf(out, cap, "%s/%s/%s", a, b, c);
}

static json_t *
partner_json(const struct store_partner *p, const char *fpr)
{
	char contact[TS_US_LEN], errat[TS_US_LEN], comp[TS_US_LEN], first[STORE_ENDPOINT_MAX];

	fmt_time(p->last_contact_us, contact);
	fmt_time(p->last_error_us, errat);
	fmt_time(p->compromised_us, comp);
	return json_pack("{s:s,s:s,s:s,s:o,s:b,s:s,s:I,s:I,s:I,s:I,s:I,s:s,s:s,s:b,s:s,s:s}",
	    "name", p->name, "fingerprint", fpr, "endpoint", endpoint_first(p->endpoint, first),
	    "endpoints", endpoints_json(p->endpoint), "active", p->active,
	    "last_contact", contact, "envelopes_out", (json_int_t)p->out_seq,
	    "receipted", (json_int_t)p->out_acked, "queued", (json_int_t)(p->out_seq - p->out_acked),
	    "envelopes_in", (json_int_t)p->in_seq, "retries", (json_int_t)p->retries,
	    "last_error", p->last_error, "last_error_at", p->last_error_us ? errat : "",
	    "compromised", p->compromised_us != 0, "compromised_at", p->compromised_us ? comp : "",
	    "agreement", agreement_state(p));
}

/* The ENDPOINTS column: the list with commas, so the column stays one word. */
static void
endpoints_cell(const char *list, char out[STORE_ENDPOINT_MAX])
{
	size_t i;

	snprintf(out, STORE_ENDPOINT_MAX, "%s", list);
	for (i = 0; out[i]; i++)
		if (out[i] == ' ')
			out[i] = ',';
}

static int
endpoints_width(const struct store_partner *ps, size_t cnt)
{
	size_t i, w = strlen("ENDPOINTS");

	for (i = 0; i < cnt; i++)
		if (strlen(ps[i].endpoint) > w)
			w = strlen(ps[i].endpoint);
	return (int)w;
}

static void
print_row(const struct store_partner *p, const struct hotline_pledge *pl, int epw)
{
	char contact[TS_US_LEN], rcpt[48], ack[48], eps[STORE_ENDPOINT_MAX];

	fmt_time(p->last_contact_us, contact);
	pledge_cell(pl->n_receipt, pl->receipt_p50, pl->receipt_p95, pl->receipt_max, rcpt,
	    sizeof(rcpt));
	pledge_cell(pl->n_ack, pl->ack_p50, pl->ack_p95, pl->ack_max, ack, sizeof(ack));
	endpoints_cell(p->endpoint, eps);
	printf("%-20s %-8s %-27s %8llu %9llu %8llu %8llu %8llu %-9s  %-23s  %-20s  %-*s  %s\n",
	    p->name, p->compromised_us ? "COMPROMISED" : p->active ? "active" : "removed", contact,
	    (unsigned long long)p->out_seq, (unsigned long long)p->out_acked,
	    (unsigned long long)(p->out_seq - p->out_acked), (unsigned long long)p->in_seq,
	    (unsigned long long)p->retries, agreement_state(p), rcpt, ack, epw, eps,
	    p->last_error[0] ? p->last_error : "-");
}

static json_t *
row_json(const struct store_partner *p, const struct hotline_pledge *pl)
{
	char fpr[IDENT_FPR_LEN];
	json_t *pj;

	ident_fingerprint(CX_SIGTYPE_ED25519, p->key, p->spki, fpr);
	pj = partner_json(p, fpr);
	json_object_set_new(pj, "pledge", json_pack("{s:o,s:o}",
	    "receipt", hotline_pledge_json(pl, 0), "human_ack", hotline_pledge_json(pl, 1)));
	return pj;
}

static int
run_list(const struct cli_args *a)
{
	struct err err = ERR_INIT;
	struct store_partner *ps = NULL;
	struct hotline_pledge *pl = NULL;
	struct cli_node n;
	json_t *arr;
	size_t i, cnt = 0;
	int r = 0, epw;

	if (cli_node_open(a, &n, &err) < 0 || store_partner_list(n.s, &ps, &cnt, &err) < 0) {
		cli_node_close(&n);
		return cli_fail(&err);
	}
	/* the measured pledge: how fast each partner receipts and acknowledges our cases */
	pl = calloc(cnt ? cnt : 1, sizeof(*pl));
	if (pl == NULL)
		r = err_set(&err, LSN_ENOMEM, "out of memory");
	for (i = 0; r == 0 && i < cnt; i++)
		r = hotline_pledge(n.s, ps[i].rowid, &pl[i], &err);
	cli_node_close(&n);
	if (r < 0) {
		free(ps);
		free(pl);
		return cli_fail(&err);
	}
	if (cli_has(a, "json")) {
		arr = json_array();
		for (i = 0; i < cnt; i++)
			json_array_append_new(arr, row_json(&ps[i], &pl[i]));
		free(ps);
		free(pl);
		return cli_json_print(json_pack("{s:o}", "partners", arr));
	}
	epw = endpoints_width(ps, cnt);
	if (cnt > 0)
		printf("%-20s %-8s %-27s %8s %9s %8s %8s %8s %-9s  %-23s  %-20s  %-*s  %s\n", "NAME",
		    "STATE", "LAST CONTACT", "OUT", "RECEIPTED", "QUEUED", "IN", "RETRIES",
		    "AGREEMENT", "CASE RECEIPT p50/95/max", "HUMAN ACK p50/95/max", epw, "ENDPOINTS",
		    "LAST ERROR");
	for (i = 0; i < cnt; i++)
		print_row(&ps[i], &pl[i], epw);
	if (cnt == 0)
		printf("no partners (pair with one: liaison partner add FILE --endpoint URL)\n");
	free(ps);
	free(pl);
	return CLI_OK;
}

static int
run_remove(const struct cli_args *a)
{
	struct err err = ERR_INIT;
	struct store_partner p;
	struct cli_node n;

	if (cli_node_open(a, &n, &err) < 0 || store_partner_find(n.s, a->pos[0], &p, &err) < 0 ||
	    store_partner_set_active(n.s, p.rowid, 0, &err) < 0) {
		cli_node_close(&n);
		return cli_fail(&err);
	}
	cli_daemon_reload(&n.cfg);
	cli_node_close(&n);
	printf("removed partner %s: its key is unpinned and its link stops at once; "
	       "from-%s and the envelopes exchanged are kept\n", p.name, p.name);
	return CLI_OK;
}
