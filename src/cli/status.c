/*
 * liaison status: what this node is (name, address, identity), how much it
 * stores, and whether liaisond runs (its pid file plus kill(pid, 0)).
 * Reads only; safe to run while the daemon writes.
 */
#include "cli/cli.h"
#include "hotline/hotline.h"
#include "crypto/cx.h"
#include "store/store.h"
#include "util/enc.h"
#include "util/err.h"
#include "util/ts.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATUS_DAEMONS_MAX 8
/* A daemon not heard from for this long is shown as gone. */
#define STATUS_DAEMON_GONE_US 60000000LL

struct status {
	char api[LSN_PATH_MAX];
	long long store_bytes;
	long long ids_bytes;          /* store.db-ids, the index by id (derived) */
	size_t colls;
	int64_t objects;
	char fpr[65];
	char pub[2 * CX_ED25519_PUB_LEN + 1];
	long pid;          /* of a running liaisond, else 0 */
	char daemon[64];   /* "running (pid N)" or "not running" */
	/* partners: active ones, envelopes waiting for receipts, links in error */
	size_t partners, failing, compromised, disagree;  /* disagree: agreement hashes differ */
	unsigned long long queued, sent, received;
	/* ledger: leaves, latest checkpoint, and cosignatures of it; equivocations proven */
	uint64_t log_size, ckpt_size, ckpt_cosigs, equivocations;
	char compromised_names[256];
	/* hotline: open cases, those waiting for this node, overdue ones, open ones by level */
	size_t cases_open, cases_ours, overdue, overdue_level[HOTLINE_LEVELS_MAX + 1];
	int max_level;
	char max_to[64];
	/* the node's daemons (a shared PostgreSQL store): this host's and the others */
	char where[512];
	int ha;
	char role[STORE_DAEMON_ROLE_MAX];   /* this home's liaisond: active, standby, or "" */
	int64_t epoch;
	struct store_daemon daemons[STATUS_DAEMONS_MAX];
	size_t n_daemons;
};

static int
count_cosig(void *arg, const struct store_cosig *c)
{
	(*(uint64_t *)arg)++;
	return 0;
}

static int
add_daemon(void *arg, const struct store_daemon *d)
{
	struct status *st = arg;
	char mine[128], host[64] = "localhost";

	if (d->age_us > STATUS_DAEMON_GONE_US || st->n_daemons == STATUS_DAEMONS_MAX)
		return 0;
	gethostname(host, sizeof(host) - 1);
	snprintf(mine, sizeof(mine), "%s:%ld", host, st->pid);
	if (st->pid != 0 && strcmp(d->name, mine) == 0) {
		snprintf(st->role, sizeof(st->role), "%s", d->role);
		st->epoch = d->epoch;
	}
	st->daemons[st->n_daemons++] = *d;
	return 0;
}

/* Who is active: from the daemons' heartbeats in the store (PostgreSQL), else this one. */
static int
gather_role(struct cli_node *n, struct status *st, struct err *err)
{
	store_spec_where(lsn_config_store(&n->cfg), st->where, sizeof(st->where));
	st->ha = store_has_ha(n->s);
	if (!st->ha) {
		snprintf(st->role, sizeof(st->role), "%s", st->pid ? "active" : "");
		return 0;
	}
	return store_daemon_list(n->s, add_daemon, st, err);
}

static int
gather_ledger(struct cli_node *n, struct status *st, struct err *err)
{
	struct store_checkpoint c;
	int r;

	if ((r = store_log_size(n->s, &st->log_size, err)) < 0 ||
	    (r = store_equivocation_count(n->s, 0, &st->equivocations, err)) < 0)
		return r;
	r = store_ckpt_latest(n->s, 0, &c, err);
	if (r == -LSN_ENOTFOUND)
		return 0;
	if (r < 0)
		return r;
	st->ckpt_size = c.size;
	return store_cosig_scan(n->s, c.size, 0, count_cosig, &st->ckpt_cosigs, err);
}

static int
gather_partners(struct cli_node *n, struct status *st, struct err *err)
{
	struct store_partner *ps = NULL;
	size_t i, cnt = 0;
	int r;

	if ((r = store_partner_list(n->s, &ps, &cnt, err)) < 0)
		return r;
	for (i = 0; i < cnt; i++) {
		if (!ps[i].active)
			continue;
		st->partners++;
		st->failing += ps[i].last_error[0] != '\0';
		st->disagree += ps[i].has_agreement && ps[i].has_peer_agreement &&
		    memcmp(ps[i].agreement, ps[i].peer_agreement, 32) != 0;
		if (ps[i].compromised_us != 0) {
			size_t l = strlen(st->compromised_names);
			st->compromised++;
			snprintf(st->compromised_names + l, sizeof(st->compromised_names) - l, "%s%s",
			    l ? ", " : "", ps[i].name);
		}
		st->queued += ps[i].out_seq - ps[i].out_acked;
		st->sent += ps[i].out_seq;
		st->received += ps[i].in_seq;
	}
	free(ps);
	return 0;
}

struct case_count {
	struct status *st;
	const struct hotline_escalation *e;
	int64_t now;
};

/* The receiver owes the next step unless it waits for the opener. */
static int
count_ours(void *arg, const struct store_case *c)
{
	struct case_count *cc = arg;

	cc->st->cases_ours += c->state != CASE_INFO_REQUESTED && c->state != CASE_ANSWERED;
	return 0;
}

static int
gather_cases(struct cli_node *n, struct status *st, struct err *err)
{
	struct hotline_escalation e;
	struct case_count cc = { st, &e, clock_now_us() };
	struct store_case_counts counts;
	struct store_case_query q;
	int r, k;

	if ((r = hotline_escalation_parse(n->cfg.escalate_after, n->cfg.escalate_to, &e, err)) < 0)
		return err_prefix(err, "[hotline] in liaison.conf: "), r;
	if ((r = store_case_count(n->s, cc.now, &counts, err)) < 0)
		return r;
	for (k = CASE_OPENED; k <= CASE_ANSWERED; k++)
		st->cases_open += counts.by_state[k];
	st->overdue = counts.late;
	for (k = 1; k <= e.n && k <= HOTLINE_LEVELS_MAX; k++) {
		st->overdue_level[k] = counts.open_by_level[k];
		if (counts.open_by_level[k] > 0) {
			st->max_level = k;
			snprintf(st->max_to, sizeof(st->max_to), "%s", e.to[k - 1]);
		}
	}
	/* the open cases this node owes a step */
	memset(&q, 0, sizeof(q));
	q.open_only = 1;
	q.role = CASE_RECEIVER;
	return store_case_scan(n->s, &q, count_ours, &cc, err);
}

static int run_status(const struct cli_args *a);

static const struct cli_opt status_opts[] = {
	{ "json", NULL, 0, "print the status as one JSON document" },
	{ NULL, NULL, 0, NULL },
};

static const struct cli_spec status_spec = {
	"status", NULL, 0, 0,
	"Shows the node's name, address, store size and counts, TLS fingerprint,\n"
	"signing key, and whether liaisond runs. Exits 0 whether it runs or not.",
	status_opts,
	"liaison --home /var/lib/liaison status --json",
	run_status,
};

int
cli_cmd_status(int argc, char **argv, const char *home)
{
	return cli_run(&status_spec, argc, argv, home);
}

static void
daemon_state(const struct lsn_config *cfg, struct status *st)
{
	long pid = cli_daemon_pid(cfg);

	if (pid > 0) {
		st->pid = pid;
		snprintf(st->daemon, sizeof(st->daemon), "running (pid %ld)", pid);
	} else {
		snprintf(st->daemon, sizeof(st->daemon), "not running");
	}
}

static int
gather(struct cli_node *n, struct status *st, struct err *err)
{
	struct store_collection *v = NULL;
	uint8_t pub[CX_ED25519_PUB_LEN];
	struct cx_key *k;
	struct stat sb;
	char ids[sizeof(n->cfg.store_path) + 8];
	int r;

	cli_api_root(&n->cfg, st->api, sizeof(st->api));
	st->store_bytes = stat(n->cfg.store_path, &sb) == 0 ? (long long)sb.st_size : 0;
	snprintf(ids, sizeof(ids), "%s" STORE_IDS_SUFFIX, n->cfg.store_path);
	st->ids_bytes = stat(ids, &sb) == 0 ? (long long)sb.st_size : 0;
	if ((r = store_coll_list(n->s, &v, &st->colls, err)) < 0)
		return r;
	free(v);
	if ((r = store_objects_count(n->s, 0, &st->objects, err)) < 0 ||
	    (r = cx_cert_fingerprint(n->cfg.tls_cert, st->fpr, err)) < 0 ||
	    (r = cx_key_load(n->cfg.signing_key, &k, err)) < 0)
		return r;
	cx_key_public(k, pub);
	cx_key_free(k);
	hex_encode(pub, sizeof(pub), st->pub);
	daemon_state(&n->cfg, st);
	if ((r = gather_role(n, st, err)) < 0 || (r = gather_partners(n, st, err)) < 0 ||
	    (r = gather_cases(n, st, err)) < 0)
		return r;
	return gather_ledger(n, st, err);
}

static json_t *
daemons_json(const struct status *st)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < st->n_daemons; i++) {
		const struct store_daemon *d = &st->daemons[i];

		json_array_append_new(a, json_pack("{s:s,s:s,s:I,s:I,s:s,s:s}", "name", d->name,
		    "role", d->role, "epoch", (json_int_t)d->epoch, "heartbeat_age_ms",
		    (json_int_t)(d->age_us / 1000), "listen", d->taxii, "peer_listen", d->peer));
	}
	return a;
}

static void
print_daemons(const struct status *st)
{
	size_t i;

	if (!st->ha)
		return;
	printf("role:          %s (epoch %lld)\n", st->role[0] ? st->role : "not running here",
	    (long long)st->epoch);
	for (i = 0; i < st->n_daemons; i++)
		printf("daemon:        %s %s, epoch %lld, heartbeat %.1f s ago (%s)\n",
		    st->daemons[i].name, st->daemons[i].role, (long long)st->daemons[i].epoch,
		    (double)st->daemons[i].age_us / 1e6, st->daemons[i].taxii);
}

static int
print_json(const struct lsn_config *c, const struct status *st)
{
	json_t *levels = json_object(), *doc;
	char k[8];
	int i;

	for (i = 1; i <= HOTLINE_LEVELS_MAX; i++) {
		if (st->overdue_level[i] == 0)
			continue;
		snprintf(k, sizeof(k), "%d", i);
		json_object_set_new(levels, k, json_integer((json_int_t)st->overdue_level[i]));
	}
	doc = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:s,s:s,s:s,s:o,"
	    "s:{s:I,s:I,s:I,s:I,s:I,s:I,s:s,s:I},s:{s:I,s:I,s:I,s:I}}",
	    "name", c->name, "home", c->home, "listen", c->listen, "peer_listen", c->peer_listen,
	    "api_root", st->api,
	    "store_path", c->store_path, "store_bytes", (json_int_t)st->store_bytes,
	    "ids_bytes", (json_int_t)st->ids_bytes,
	    "collections", (json_int_t)st->colls, "object_versions", (json_int_t)st->objects,
	    "tls_fingerprint_sha256", st->fpr, "signing_public_key", st->pub,
	    "liaisond", st->daemon,
	    "liaisond_pid", st->pid ? json_integer(st->pid) : json_null(),
	    "partners", "active", (json_int_t)st->partners, "failing", (json_int_t)st->failing,
	    "envelopes_queued", (json_int_t)st->queued, "envelopes_sent", (json_int_t)st->sent,
	    "envelopes_received", (json_int_t)st->received, "compromised",
	    (json_int_t)st->compromised, "compromised_names", st->compromised_names,
	    "agreements_differ", (json_int_t)st->disagree,
	    "ledger", "leaves", (json_int_t)st->log_size, "checkpoint_size",
	    (json_int_t)st->ckpt_size, "checkpoint_cosignatures", (json_int_t)st->ckpt_cosigs,
	    "equivocations", (json_int_t)st->equivocations);
	if (doc != NULL) {
		json_object_set_new(doc, "store", json_string(st->where));
		json_object_set_new(doc, "role", st->role[0] ? json_string(st->role) : json_null());
		json_object_set_new(doc, "epoch", st->ha ? json_integer(st->epoch) : json_null());
		json_object_set_new(doc, "daemons", daemons_json(st));
	}
	if (doc != NULL)
		json_object_set_new(doc, "hotline", json_pack("{s:I,s:I,s:I,s:o,s:s?}",
		    "open_cases", (json_int_t)st->cases_open, "waiting_for_us",
		    (json_int_t)st->cases_ours, "overdue", (json_int_t)st->overdue,
		    "escalated_by_level", levels, "highest_escalation",
		    st->max_level ? st->max_to : NULL));
	else
		json_decref(levels);
	return cli_json_print(doc);
}

static void
print_text(const struct lsn_config *c, const struct status *st)
{
	printf("node:          %s\nhome:          %s\nlisten:        %s\nAPI root:      %s\n",
	    c->name, c->home, c->listen, st->api);
	if (st->ha)
		printf("store:         %s\n", st->where);
	else
		printf("store:         %s (%lld bytes; index by id %lld bytes)\n", c->store_path,
		    st->store_bytes, st->ids_bytes);
	printf("collections:   %zu\nobjects:       %lld versions\n", st->colls,
	    (long long)st->objects);
	printf("TLS SHA-256:   %s\nsigning key:   ed25519 %s\nliaisond:      %s\n",
	    st->fpr, st->pub, st->daemon);
	print_daemons(st);
	printf("peer listen:   %s\npartners:      %zu active, %zu failing (liaison partner list)\n"
	       "envelopes:     %llu sent, %llu waiting for a receipt, %llu received\n",
	    c->peer_listen, st->partners, st->failing, st->sent, st->queued, st->received);
	if (st->disagree > 0)
		printf("agreements:    %zu partner(s) hold other terms than this node "
		       "(liaison partner list, liaison agreement show)\n", st->disagree);
	printf("ledger:        %llu leaves; latest checkpoint size %llu with %llu cosignature(s) "
	       "(liaison log checkpoint)\n", (unsigned long long)st->log_size,
	    (unsigned long long)st->ckpt_size, (unsigned long long)st->ckpt_cosigs);
	printf("hotline:       %zu open case(s), %zu waiting for this node, %zu overdue "
	       "(liaison cases --open)\n", st->cases_open, st->cases_ours, st->overdue);
	if (st->max_level > 0)
		printf("ESCALATED:     %zu open case(s) escalated to level %d: %s "
		       "(liaison cases --open)\n", st->overdue_level[st->max_level], st->max_level,
		    st->max_to);
	if (st->compromised > 0 || st->equivocations > 0)
		printf("COMPROMISED:   %s: %llu equivocation(s) proven; both signed checkpoints are "
		       "kept as evidence\n", st->compromised_names[0] ? st->compromised_names : "?",
		    (unsigned long long)st->equivocations);
}

static int
run_status(const struct cli_args *a)
{
	struct err err = ERR_INIT;
	struct status st = { 0 };
	struct cli_node n;
	int r;

	r = cli_node_open(a, &n, &err) < 0 || gather(&n, &st, &err) < 0;
	if (r) {
		cli_node_close(&n);
		return cli_fail(&err);
	}
	if (cli_has(a, "json"))
		r = print_json(&n.cfg, &st);
	else
		print_text(&n.cfg, &st);
	cli_node_close(&n);
	return r;
}
