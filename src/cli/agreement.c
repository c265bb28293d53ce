/*
 * liaison agreement show|set and liaison policy explain|log: the terms of
 * each partnership (files in <home>/agreements, docs/agreements.md) and the
 * decisions taken under them. The daemon applies a changed file within a
 * quarter of a second (woken by SIGHUP) and records its hash in the ledger.
 */
#include "cli/cli.h"
#include "exchange/exchange.h"
#include "policy/policy.h"
#include "store/store.h"
#include "util/enc.h"
#include "util/err.h"
#include "util/ts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int run_show(const struct cli_args *a);
static int run_set(const struct cli_args *a);
static int run_explain(const struct cli_args *a);
static int run_log(const struct cli_args *a);

static const struct cli_opt show_opts[] = {
	{ "json", NULL, 0, "print the terms' hashes as JSON (the file itself on standard output otherwise)" },
	{ NULL, NULL, 0, NULL },
};

static const struct cli_opt set_opts[] = {
	{ "file", "FILE", 0, "replace the whole agreement with FILE (it must name both nodes)" },
	{ NULL, NULL, 0, NULL },
};

static const struct cli_opt explain_opts[] = {
	{ "partner", "NAME", CLI_REQ, "the partner the object would go to" },
	{ "json", NULL, 0, "print the decision as JSON" },
	{ NULL, NULL, 0, NULL },
};

static const struct cli_opt log_opts[] = {
	{ "partner", "NAME", 0, "only decisions about this partner" },
	{ "limit", "N", 0, "show at most N decisions (default 50)" },
	{ "json", NULL, 0, "print {\"decisions\": [...]} as JSON" },
	{ NULL, NULL, 0, NULL },
};

static const struct cli_spec show_spec = {
	"agreement show", "NAME", 1, 1,
	"Prints the agreement with partner NAME as the daemon applies it (the default terms if "
	"none was written), with its hash and whether the partner holds the same.",
	show_opts, "liaison agreement show cert-b", run_show,
};

static const struct cli_spec set_spec = {
	"agreement set", "NAME [KEY=VALUE]...", 1, 8,
	"Changes terms of the agreement with partner NAME: out.KEY for what this node sends, "
	"in.KEY for what it takes, hotline.KEY (keys: collections, types, max_tlp, unmarked, "
	"strip, forwardable; ack, ack_emergency, respond, respond_emergency, preserve_days). "
	"The daemon applies it at once and logs the new hash in the ledger.",
	set_opts, "liaison agreement set cert-b out.max_tlp=green out.strip=x_*", run_set,
};

static const struct cli_spec explain_spec = {
	"policy explain", "OBJECT-ID", 1, 1,
	"Shows whether the latest version of OBJECT-ID may go to partner NAME under the "
	"agreement now in force, and the rule that decides.",
	explain_opts, "liaison policy explain indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f "
	"--partner cert-b", run_explain,
};

static const struct cli_spec log_spec = {
	"policy log", NULL, 0, 0,
	"Lists the most recent objects kept home (egress) or refused (ingress) at the border, "
	"newest first, with the rule and the reason.",
	log_opts, "liaison policy log --partner cert-b --json", run_log,
};

static const struct cli_spec *const agr_subs[] = { &show_spec, &set_spec };
static const struct cli_spec *const pol_subs[] = { &explain_spec, &log_spec };

int
cli_cmd_agreement(int argc, char **argv, const char *home)
{
	return cli_run_group("agreement", agr_subs, 2, argc, argv, home);
}

int
cli_cmd_policy(int argc, char **argv, const char *home)
{
	return cli_run_group("policy", pol_subs, 2, argc, argv, home);
}

void
cli_agreements_dir(const struct lsn_config *cfg, char out[static 4200])
{
	snprintf(out, 4200, "%s/agreements", cfg->home);
}

/* The node, the partner NAME and the agreement in force with it. */
static int
open_agreement(const struct cli_args *a, struct cli_node *n, struct store_partner *p,
    struct agreement *g, int *exists, char dir[static 4200], struct err *err)
{
	int r;

	if ((r = cli_node_open(a, n, err)) < 0 ||
	    (r = store_partner_find(n->s, a->pos[0], p, err)) < 0)
		return r;
	cli_agreements_dir(&n->cfg, dir);
	return exchange_agreement_load(dir, n->cfg.name, p->name, g, exists, err);
}

static const char *
peer_state(const struct store_partner *p, const uint8_t mine[32])
{
	if (!p->has_peer_agreement)
		return "unknown";
	return memcmp(p->peer_agreement, mine, 32) == 0 ? "same" : "DIFFERENT";
}

static int
run_show(const struct cli_args *a)
{
	struct err err = ERR_INIT;
	struct store_partner p;
	struct agreement g;
	struct cli_node n;
	char dir[4200], hex[65], peer[65] = "", *text = malloc(AGR_TEXT_MAX);
	uint8_t h[32];
	size_t len;
	int exists = 0, r;

	r = text == NULL ? err_set(&err, LSN_ENOMEM, "out of memory") :
	    open_agreement(a, &n, &p, &g, &exists, dir, &err);
	if (r == 0)
		r = agreement_format(&g, text, AGR_TEXT_MAX, &len, &err);
	cli_node_close(&n);
	if (r < 0) {
		free(text);
		return cli_fail(&err);
	}
	if (agreement_hash(&g, h, &err) < 0) {
		free(text);
		return cli_fail(&err);
	}
	hex_encode(h, 32, hex);
	if (p.has_peer_agreement)
		hex_encode(p.peer_agreement, 32, peer);
	if (cli_has(a, "json"))
		r = cli_json_print(json_pack("{s:s,s:s,s:b,s:s,s:s,s:s}", "partner", p.name,
		    "sha256", hex, "written", exists, "partner_sha256", peer, "partner_holds",
		    peer_state(&p, h), "text", text));
	else
		printf("%s# sha256 %s (%s); %s holds %s\n", text, hex, exists ? "as written" :
		    "default terms, not written yet", p.name, peer_state(&p, h));
	free(text);
	return r;
}

/* Applies KEY=VALUE arguments, or the whole of --file. */
static int
apply(const struct cli_args *a, const char *self, const char *partner, struct agreement *g,
    struct err *err)
{
	const char *file = cli_get(a, "file");
	char key[64], *text;
	const char *eq;
	size_t len;
	FILE *f;
	int i, r;

	if (file != NULL) {
		if ((f = fopen(file, "r")) == NULL)
			return err_set(err, LSN_EIO, "cannot read %s", file);
		text = malloc(AGR_TEXT_MAX + 1);
		len = text ? fread(text, 1, AGR_TEXT_MAX + 1, f) : 0;
		fclose(f);
		r = text == NULL ? err_set(err, LSN_ENOMEM, "out of memory") :
		    len > AGR_TEXT_MAX ? err_set(err, LSN_ETOOBIG, "%s is too large", file) :
		    agreement_parse(text, len, g, err);
		free(text);
		if (r == 0 && (agreement_dir(g, self) == NULL || agreement_dir(g, partner) == NULL))
			r = err_set(err, LSN_EINVAL, "%s is not an agreement between %s and %s", file,
			    self, partner);
		if (r < 0)
			return r;
	}
	for (i = 1; i < a->npos; i++) {
		if ((eq = strchr(a->pos[i], '=')) == NULL || (size_t)(eq - a->pos[i]) >= sizeof(key))
			return err_set(err, LSN_EINVAL, "'%s' is not KEY=VALUE", a->pos[i]);
		snprintf(key, sizeof(key), "%.*s", (int)(eq - a->pos[i]), a->pos[i]);
		if ((r = agreement_set(g, self, key, eq + 1, err)) < 0)
			return r;
	}
	return 0;
}

/* Collections the agreement names start to be shared (a share keeps its cursor). */
static int
add_shares(struct cli_node *n, const struct store_partner *p, const struct agr_dir *out,
    struct err *err)
{
	struct store_collection c;
	struct store_share sh = { 0 };
	size_t i;
	int r;

	for (i = 0; out != NULL && i < out->n_collections; i++) {
		if ((r = store_coll_find(n->s, out->collections[i], &c, err)) < 0) {
			err_prefix(err, "out.collections: ");
			return r;
		}
		if (c.partner == p->rowid)
			return err_set(err, LSN_EINVAL, "out.collections: %s is %s's own inbox",
			    c.title, p->name);
		sh.partner = p->rowid;
		sh.coll = c.rowid;
		if ((r = store_share_add(n->s, &sh, err)) < 0)
			return r;
	}
	return 0;
}

static int
run_set(const struct cli_args *a)
{
	struct err err = ERR_INIT;
	struct store_partner p;
	struct agreement g;
	struct cli_node n;
	char dir[4200], hex[65];
	uint8_t h[32];
	int exists, r;

	if (a->npos < 2 && cli_get(a, "file") == NULL)
		return cli_usage_error(a->spec, "give KEY=VALUE terms or --file FILE");
	r = open_agreement(a, &n, &p, &g, &exists, dir, &err);
	if (r == 0)
		r = apply(a, n.cfg.name, p.name, &g, &err);
	if (r == 0)
		r = add_shares(&n, &p, agreement_dir(&g, n.cfg.name), &err);
	if (r == 0)
		r = exchange_agreement_save(dir, p.name, &g, &err);
	if (r == 0)
		cli_daemon_reload(&n.cfg);
	cli_node_close(&n);
	if (r < 0)
		return cli_fail(&err);
	if (agreement_hash(&g, h, &err) < 0)
		return cli_fail(&err);
	hex_encode(h, 32, hex);
	printf("agreement with %s: sha256 %s; %s must hold the same terms (liaison agreement "
	    "show %s on both sides)\n", p.name, hex, p.name, p.name);
	return CLI_OK;
}

/*
 * partner add: the agreement file for a new partner, default terms with the
 * shared collections and the --term KEY=VALUE options.
 */
int
cli_agreement_new(const struct lsn_config *cfg, const char *partner, json_t *shares,
    const struct cli_args *a, struct err *err)
{
	struct agreement g;
	char dir[4200], list[AGR_LIST_MAX * AGR_ITEM_MAX] = "";
	size_t i, len = 0;
	int j, r;

	agreement_default(&g, cfg->name, partner);
	for (i = 0; i < json_array_size(shares); i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s", i ? "," : "",
		    json_string_value(json_array_get(shares, i)));
	if (len > 0 && (r = agreement_set(&g, cfg->name, "out.collections", list, err)) < 0)
		return r;
	for (j = 0; j < a->nocc; j++) {
		const char *v = a->occ[j].val, *eq = strchr(v, '=');
		char key[64];

		if (strcmp(a->occ[j].opt->name, "term") != 0)
			continue;
		if (eq == NULL || (size_t)(eq - v) >= sizeof(key))
			return err_set(err, LSN_EINVAL, "--term takes KEY=VALUE, not '%s'", v);
		snprintf(key, sizeof(key), "%.*s", (int)(eq - v), v);
		if ((r = agreement_set(&g, cfg->name, key, eq + 1, err)) < 0)
			return r;
	}
	cli_agreements_dir(cfg, dir);
	return exchange_agreement_save(dir, partner, &g, err);
}

/* ---- policy ---- */

static int
run_explain(const struct cli_args *a)
{
	struct err err = ERR_INIT;
	struct exchange_explanation x;
	struct store_partner p;
	struct cli_node n;
	char dir[4200];
	int r;

	r = cli_node_open(a, &n, &err);
	if (r == 0)
		r = store_partner_find(n.s, cli_get(a, "partner"), &p, &err);
	cli_agreements_dir(&n.cfg, dir);
	if (r == 0)
		r = exchange_explain(n.s, dir, n.cfg.name, &p, a->pos[0], &x, &err);
	cli_node_close(&n);
	if (r < 0)
		return cli_fail(&err);
	if (cli_has(a, "json"))
		return cli_json_print(json_pack("{s:s,s:s,s:s,s:b,s:s,s:s,s:b,s:s}", "object",
		    a->pos[0], "version", x.version, "partner", p.name, "allowed",
		    x.d.rule == POLICY_ALLOW && x.shared, "rule", x.shared ?
		    policy_rule_name(x.d.rule) : "not-shared", "tlp", stix_tlp_name(x.d.tlp),
		    "strip", x.d.strip, "reason", x.d.reason));
	printf("%s (%s, %s) -> %s: %s\n", a->pos[0], x.obj.type, stix_tlp_name(x.d.tlp), p.name,
	    !x.shared ? "KEPT HOME" : x.d.rule == POLICY_ALLOW ? (x.d.strip ?
	    "ALLOWED, with properties removed" : "ALLOWED") : "KEPT HOME");
	printf("rule:   %s\nreason: %s\n", policy_rule_name(x.d.rule), x.d.reason);
	if (!x.shared)
		printf("note:   it is in no collection shared with %s (liaison agreement show %s: "
		    "out.collections)\n", p.name, p.name);
	return CLI_OK;
}

struct log_print {
	json_t *arr;
	int json;
	struct cli_node *n;
};

static int
log_one(void *arg, const struct store_policy_entry *e)
{
	struct log_print *lp = arg;
	struct store_partner p;
	struct err err = ERR_INIT;
	char when[TS_US_LEN];

	ts_format_us(e->time_us, when);
	if (store_partner_get(lp->n->s, e->partner, &p, &err) < 0)
		snprintf(p.name, sizeof(p.name), "#%lld", (long long)e->partner);
	if (lp->json)
		json_array_append_new(lp->arr, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "time", when,
		    "partner", p.name, "direction", e->dir == STORE_OUT ? "out" : "in", "object",
		    e->object, "version", e->version, "rule", e->rule, "reason", e->reason));
	else
		printf("%s  %-12s %-3s %-14s %s\n    %s\n", when, p.name, e->dir == STORE_OUT ? "out" :
		    "in", e->rule, e->object, e->reason);
	return 0;
}

static int
run_log(const struct cli_args *a)
{
	struct err err = ERR_INIT;
	struct store_partner p = { 0 };
	struct cli_node n;
	struct log_print lp = { json_array(), cli_has(a, "json"), &n };
	const char *lim = cli_get(a, "limit");
	long limit = lim ? strtol(lim, NULL, 10) : 50;
	int r;

	if (limit <= 0) {
		json_decref(lp.arr);
		return cli_usage_error(a->spec, "--limit must be a positive number");
	}
	r = cli_node_open(a, &n, &err);
	if (r == 0 && cli_get(a, "partner") != NULL)
		r = store_partner_find(n.s, cli_get(a, "partner"), &p, &err);
	if (r == 0)
		r = store_policy_log_scan(n.s, p.rowid, (size_t)limit, log_one, &lp, &err);
	cli_node_close(&n);
	if (r < 0) {
		json_decref(lp.arr);
		return cli_fail(&err);
	}
	if (lp.json)
		return cli_json_print(json_pack("{s:o}", "decisions", lp.arr));
	json_decref(lp.arr);
	return CLI_OK;
}
