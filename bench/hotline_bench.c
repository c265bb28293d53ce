/*
 * hotline_bench: the hotline layer measured in-process (no daemon, no
 * network) on real SQLite stores as store_open makes them (WAL,
 * synchronous=FULL: every commit is durable). Two stores in a temp dir play
 * this node ("alpha", store A) and its partner ("bravo", store B); a step
 * one side takes reaches the other as the exact bundle bytes, through
 * hotline_receive, as the exchange would deliver them.
 *   open     hotline_open on A, one case per transaction (as the CLI does)
 *            and --batch cases per transaction;
 *   steps    on fresh stores for each configuration (one per transaction,
 *            --batch per transaction): B opens cases, A takes them in with
 *            hotline_receive (figure "receive"), acks, responds and closes
 *            each with hotline_take (figure "steps"), and B takes those
 *            steps in (figure "receive" again);
 *   list     A holds --n cases in mixed states: --templates of them built
 *            through the hotline API on both stores, the rest copies of
 *            their rows (case_put, new ids, shifted times). Then: the scan
 *            the daemon's escalation tick and `liaison cases --open` make
 *            (case_scan of open cases, hotline_level each), the same scan
 *            with hotline_case_json each (`cases --open --json`),
 *            hotline_pledge of bravo, and hotline_take/hotline_receive at
 *            that size;
 *   fold     one hotline_take (respond) on a case that already holds K
 *            steps (the fold re-reads them all), and `case show --json`
 *            (hotline_case_json with its steps) of such a case.
 * One JSON line per figure on stdout, with its parameters, the machine and
 * the load average before and after. It measures; it never asserts a
 * speed: the exit status is 1 only when something failed.
 */
#include "bench_util.h"
#include "crypto/cx.h"
#include "hotline/hotline.h"
#include "policy/agreement.h"
#include "store/store.h"
#include "util/err.h"
#include "util/ts.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_SIZES 16
#define SEC 1000000LL                 /* microseconds */
#define HOUR (3600 * SEC)
#define DAY (24 * HOUR)
#define BUILD_TXN 250                 /* list, fold: cases per transaction while building */
#define CLONE_TXN 10000

static const char RESPONSE[] = "The address was blocked at our border at 09:12 UTC; the "
	"host is a rented VPS, its provider suspended it. Logs of the contacts are attached.";

/* ---- options ---- */

enum { M_OPEN = 1 << 0, M_STEPS = 1 << 1, M_LIST = 1 << 2, M_FOLD = 1 << 3 };

struct opts {
	unsigned modes;
	long opens;                   /* open: cases per configuration */
	long cases;                   /* steps: cases per configuration */
	long batch;                   /* cases or steps per transaction, batched */
	long n;                       /* list: cases in the store */
	long templates;               /* list: of them built through the hotline API */
	long rounds;                  /* list: timed scans */
	long at_n;                    /* list: takes and receives timed at n cases */
	long fold_steps[MAX_SIZES];
	int n_fold_steps;
	long fold_cases;
	const char *work;
	int keep;
};

static struct opts O;
static struct agr_hotline TERMS;
static struct hotline_escalation ESC;

/* ---- a fixed-seed mix ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t
rnd(uint64_t n)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return ((rng * 0x2545f4914f6cdd1dull) >> 11) % n;
}

/* ---- two nodes, two stores ---- */

struct pair {
	char dir[PATH_MAX];
	char path_a[PATH_MAX + 8], path_b[PATH_MAX + 8];
	struct store *a, *b;
	struct store_partner bravo;   /* B as A knows it */
	struct store_partner alpha;   /* A as B knows it */
	uint64_t seq_ab, seq_ba;      /* envelope numbers of each direction */
};

static void
add_partner(struct store *s, const char *name, uint8_t k, const char *inbox_id,
    struct store_partner *p)
{
	struct err err = ERR_INIT;
	struct store_collection c = { 0 };

	snprintf(c.id, sizeof(c.id), "%s", inbox_id);
	snprintf(c.title, sizeof(c.title), "from-%s", name);
	if (store_coll_add(s, &c, &err) < 0)
		die("%s", err.msg);
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	memset(p->key, k, sizeof(p->key));
	memset(p->key_id, k ^ 0x80, sizeof(p->key_id));
	memset(p->spki, k ^ 0x40, sizeof(p->spki));
	snprintf(p->endpoint, sizeof(p->endpoint), "https://%s.example:8443", name);
	p->inbox = c.rowid;
	if (store_partner_add(s, p, "{\"name\":\"bench\"}", &err) < 0)
		die("%s", err.msg);
}

static void
pair_open(struct pair *p, const char *what)
{
	struct err err = ERR_INIT;

	memset(p, 0, sizeof(*p));
	snprintf(p->dir, sizeof(p->dir), "%s/hotline_bench-%s-XXXXXX", O.work, what);
	if (mkdtemp(p->dir) == NULL)
		die("mkdtemp %s: %s", p->dir, strerror(errno));
	snprintf(p->path_a, sizeof(p->path_a), "%s/a.db", p->dir);
	snprintf(p->path_b, sizeof(p->path_b), "%s/b.db", p->dir);
	if (store_open(p->path_a, 1, &p->a, &err) < 0 || store_open(p->path_b, 1, &p->b, &err) < 0)
		die("%s", err.msg);
	add_partner(p->a, "bravo", 0x22, "bbbbbbbb-0000-4000-8000-000000000002", &p->bravo);
	add_partner(p->b, "alpha", 0x11, "aaaaaaaa-0000-4000-8000-000000000001", &p->alpha);
}

static void
remove_db(const char *path)
{
	char x[PATH_MAX + 16];

	unlink(path);
	snprintf(x, sizeof(x), "%s-wal", path);
	unlink(x);
	snprintf(x, sizeof(x), "%s-shm", path);
	unlink(x);
}

static void
pair_close(struct pair *p)
{
	store_close(p->a);
	store_close(p->b);
	if (O.keep) {
		fprintf(stderr, "kept %s\n", p->dir);
		return;
	}
	remove_db(p->path_a);
	remove_db(p->path_b);
	rmdir(p->dir);
}

static void
xbegin(struct store *s)
{
	struct err err = ERR_INIT;

	if (store_begin(s, &err) < 0)
		die("begin: %s", err.msg);
}

static void
xcommit(struct store *s)
{
	struct err err = ERR_INIT;

	if (store_commit(s, &err) < 0)
		die("commit: %s", err.msg);
}

/* ---- the hotline calls, dying on failure ---- */

static void
open_case(struct store *s, const struct store_partner *p, enum case_kind kind, long i,
    int64_t now_us, struct store_case *ret)
{
	struct err err = ERR_INIT;
	struct hotline_open o;
	char details[512];

	snprintf(details, sizeof(details), "{\"summary\":\"Case %ld: beaconing from 198.51.100.%ld "
	    "to the mail gateway of a ministry\",\"first_seen\":\"2026-11-20T08:14:00Z\","
	    "\"affected\":\"mail gateway\",\"indicators\":3}", i, i % 250);
	memset(&o, 0, sizeof(o));
	o.p = p;
	o.kind = kind;
	o.details = details;
	o.details_len = strlen(details);
	o.tlp = STIX_TLP_AMBER;
	o.terms = &TERMS;
	o.now_us = now_us;
	if (hotline_open(s, &o, ret, &err) < 0)
		die("hotline_open: %s", err.msg);
}

static void
take(struct store *s, const char *id, enum case_step step, int64_t now_us,
    struct store_case *ret)
{
	struct err err = ERR_INIT;
	struct store_case c;
	const char *text = step == STEP_RESPOND ? RESPONSE : step == STEP_REQUEST_INFO ?
	    "Which hosts of yours did the beacons reach, and when?" : NULL;

	if (hotline_take(s, id, step, text, &TERMS, now_us, ret ? ret : &c, &err) < 0)
		die("hotline_take %s: %s", case_step_name(step), err.msg);
}

/* A step as it travels: the exact bundle bytes and its envelope kind. */
struct msg {
	char *body;
	size_t len;
	int env_kind;
};

static int
keep_last(void *arg, const struct store_step *x)
{
	struct msg *m = arg;

	free(m->body);
	m->body = xmalloc(x->len ? x->len : 1);
	memcpy(m->body, x->body, x->len);
	m->len = x->len;
	m->env_kind = x->env_kind;
	return 0;
}

/* The last step stored for case_id (the one just taken). */
static void
last_step(struct store *s, const char *case_id, struct msg *m)
{
	struct err err = ERR_INIT;

	memset(m, 0, sizeof(*m));
	if (store_step_scan(s, case_id, 1, keep_last, m, &err) < 0 || m->body == NULL)
		die("step_scan %s: %s", case_id, err.msg[0] ? err.msg : "no step");
}

static void
receive(struct store *s, const struct store_partner *from, const struct msg *m, uint64_t seq,
    int64_t now_us, struct hotline_received *ret)
{
	struct err err = ERR_INIT;
	struct hotline_received rv;
	int r;

	r = hotline_receive(s, from, m->env_kind, seq, (const uint8_t *)m->body, m->len, &TERMS,
	    now_us, ret ? ret : &rv, &err);
	if (r != 0)
		die("hotline_receive: %s", err.msg);
}

/* B's last step on case_id, taken in by A (to_a), or A's by B. */
static void
deliver(struct pair *p, int to_a, const char *case_id, int64_t now_us)
{
	struct msg m;

	last_step(to_a ? p->b : p->a, case_id, &m);
	if (to_a)
		receive(p->a, &p->bravo, &m, ++p->seq_ba, now_us, NULL);
	else
		receive(p->b, &p->alpha, &m, ++p->seq_ab, now_us, NULL);
	free(m.body);
}

/* ---- small statistics ---- */

static double
mean(const struct samples *s)
{
	double sum = 0;
	size_t i;

	for (i = 0; i < s->n; i++)
		sum += s->v[i];
	return s->n ? sum / (double)s->n : 0;
}

/* "name_mean_us":..,"name_p50_us":..,"name_p99_us":.., from samples in ms. */
static void
print_us(const char *name, struct samples *s)
{
	samples_sort(s);
	printf("\"%s_mean_us\":%.1f,\"%s_p50_us\":%.1f,\"%s_p99_us\":%.1f,", name, mean(s) * 1e3,
	    name, pct(s, 0.5) * 1e3, name, pct(s, 0.99) * 1e3);
}

static void
case_get_us(struct store *s, char (*ids)[STIX_ID_MAX + 1], long n, struct samples *out)
{
	struct err err = ERR_INIT;
	struct store_case c;
	double t;
	long i;

	for (i = 0; i < n; i++) {
		t = now_s();
		if (store_case_get(s, ids[i], &c, &err) < 0)
			die("case_get: %s", err.msg);
		samples_add(out, (now_s() - t) * 1e3);
	}
}

/* ---- open ---- */

static void
bench_open(long per_txn)
{
	struct pair p;
	struct store_case c;
	char load[64];
	double t0, c0, t, call = 0, commit = 0, secs;
	long i = 0, k, txns = 0;

	pair_open(&p, "open");
	bench_loadavg(load);
	fprintf(stderr, "open: %ld cases, %ld per transaction\n", O.opens, per_txn);
	c0 = cpu_s();
	t0 = now_s();
	while (i < O.opens) {
		xbegin(p.a);
		for (k = 0; k < per_txn && i < O.opens; k++, i++) {
			t = now_s();
			open_case(p.a, &p.bravo, CASE_NOTIFICATION, i, clock_now_us(), &c);
			call += now_s() - t;
		}
		t = now_s();
		xcommit(p.a);
		commit += now_s() - t;
		txns++;
	}
	secs = now_s() - t0;
	printf("{\"bench\":\"open\",\"per_txn\":%ld,\"cases\":%ld,\"secs\":%.3f,"
	    "\"cases_per_s\":%.0f,\"us_per_case\":%.1f,\"hotline_open_us\":%.1f,"
	    "\"commit_us\":%.1f,\"txns\":%ld,\"cpu_s\":%.3f,",
	    per_txn, O.opens, secs, (double)O.opens / secs, secs * 1e6 / (double)O.opens,
	    call * 1e6 / (double)O.opens, commit * 1e6 / (double)txns, txns, cpu_s() - c0);
	bench_print_machine(load);
	pair_close(&p);
}

/* ---- steps and receive ---- */

struct steps_run {
	struct pair p;
	long per_txn;
	char (*ids)[STIX_ID_MAX + 1];
	struct msg *opening;          /* B's opening of each case, as it travels */
	struct msg *answer;           /* A's ack, respond and close of each case */
};

static void
steps_setup(struct steps_run *sr, long per_txn)
{
	struct store_case c;
	long i;

	memset(sr, 0, sizeof(*sr));
	pair_open(&sr->p, "steps");
	sr->per_txn = per_txn;
	sr->ids = xmalloc((size_t)O.cases * sizeof(*sr->ids));
	sr->opening = xmalloc((size_t)O.cases * sizeof(*sr->opening));
	sr->answer = xmalloc(3 * (size_t)O.cases * sizeof(*sr->answer));
	xbegin(sr->p.b);
	for (i = 0; i < O.cases; i++) {
		open_case(sr->p.b, &sr->p.alpha, CASE_NOTIFICATION, i, clock_now_us(), &c);
		snprintf(sr->ids[i], sizeof(sr->ids[i]), "%s", c.id);
		last_step(sr->p.b, c.id, &sr->opening[i]);
	}
	xcommit(sr->p.b);
}

/* to takes in n steps from `from`, per_txn to a transaction. */
static void
run_receive(struct store *to, const struct store_partner *from, const struct msg *m, long n,
    long per_txn, uint64_t *seq, const char *what)
{
	char load[64];
	double t0, c0, t, call = 0, commit = 0, secs;
	long i = 0, k, txns = 0;

	bench_loadavg(load);
	c0 = cpu_s();
	t0 = now_s();
	while (i < n) {
		xbegin(to);
		for (k = 0; k < per_txn && i < n; k++, i++) {
			t = now_s();
			receive(to, from, &m[i], ++*seq, clock_now_us(), NULL);
			call += now_s() - t;
		}
		t = now_s();
		xcommit(to);
		commit += now_s() - t;
		txns++;
	}
	secs = now_s() - t0;
	printf("{\"bench\":\"receive\",\"steps_taken_in\":\"%s\",\"per_txn\":%ld,"
	    "\"steps\":%ld,\"cases_in_store\":%ld,\"secs\":%.3f,\"steps_per_s\":%.0f,"
	    "\"us_per_step\":%.1f,\"hotline_receive_us\":%.1f,\"commit_us\":%.1f,\"txns\":%ld,"
	    "\"cpu_s\":%.3f,", what, per_txn, n, O.cases, secs, (double)n / secs,
	    secs * 1e6 / (double)n, call * 1e6 / (double)n, commit * 1e6 / (double)txns, txns,
	    cpu_s() - c0);
	bench_print_machine(load);
}

/* A acks, responds to and closes every case, per_txn steps a transaction. */
static void
run_steps(struct steps_run *sr)
{
	static const enum case_step seq[3] = { STEP_ACK, STEP_RESPOND, STEP_CLOSE };
	struct samples by_step[3] = { { 0 } }, get = { 0 };
	char load[64];
	double t0, c0, t, commit = 0, fetch = 0, secs;
	long i, k, txns = 0, n = 3 * O.cases;
	int j;

	bench_loadavg(load);
	c0 = cpu_s();
	t0 = now_s();
	for (j = 0; j < 3; j++) {
		for (i = 0; i < O.cases; ) {
			xbegin(sr->p.a);
			for (k = 0; k < sr->per_txn && i < O.cases; k++, i++) {
				t = now_s();
				take(sr->p.a, sr->ids[i], seq[j], clock_now_us(), NULL);
				samples_add(&by_step[j], (now_s() - t) * 1e3);
				/* the bytes the exchange would carry to B: not counted */
				last_step(sr->p.a, sr->ids[i], &sr->answer[3 * i + j]);
				fetch += now_s() - t - by_step[j].v[by_step[j].n - 1] / 1e3;
			}
			t = now_s();
			xcommit(sr->p.a);
			commit += now_s() - t;
			txns++;
		}
	}
	secs = now_s() - t0 - fetch;
	printf("{\"bench\":\"steps\",\"per_txn\":%ld,\"steps\":%ld,\"cases_in_store\":%ld,"
	    "\"secs\":%.3f,\"steps_per_s\":%.0f,\"us_per_step\":%.1f,\"commit_us\":%.1f,"
	    "\"txns\":%ld,\"cpu_s\":%.3f,", sr->per_txn, n, O.cases, secs, (double)n / secs,
	    secs * 1e6 / (double)n, commit * 1e6 / (double)txns, txns, cpu_s() - c0);
	for (j = 0; j < 3; j++)
		print_us(case_step_name(seq[j]), &by_step[j]);
	case_get_us(sr->p.a, sr->ids, O.cases, &get);
	print_us("case_get", &get);
	bench_print_machine(load);
	for (j = 0; j < 3; j++)
		free(by_step[j].v);
	free(get.v);
}

/*
 * One configuration on fresh stores (the cost of finding a case grows with
 * the cases stored, so each starts from the same size): A takes in B's
 * openings, acks, responds and closes; B takes those answers in.
 */
static void
bench_steps(long per_txn)
{
	struct steps_run sr;
	long i;

	steps_setup(&sr, per_txn);
	fprintf(stderr, "receive and steps: %ld cases, %ld per transaction\n", O.cases, per_txn);
	run_receive(sr.p.a, &sr.p.bravo, sr.opening, O.cases, per_txn, &sr.p.seq_ba, "open");
	run_steps(&sr);
	run_receive(sr.p.b, &sr.p.alpha, sr.answer, 3 * O.cases, per_txn, &sr.p.seq_ab,
	    "ack,respond,close");
	for (i = 0; i < O.cases; i++)
		free(sr.opening[i].body);
	for (i = 0; i < 3 * O.cases; i++)
		free(sr.answer[i].body);
	free(sr.opening);
	free(sr.answer);
	free(sr.ids);
	pair_close(&sr.p);
}

/* ---- list: building a store of many cases ---- */

struct idlist {
	char (*v)[STIX_ID_MAX + 1];
	long n, cap;
};

static void
ids_add(struct idlist *l, const char *id)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 256;
		l->v = xrealloc(l->v, (size_t)l->cap * sizeof(*l->v));
	}
	snprintf(l->v[l->n++], sizeof(l->v[0]), "%s", id);
}

static enum case_kind
some_kind(void)
{
	uint64_t r = rnd(100);

	return r < 50 ? CASE_NOTIFICATION : r < 70 ? CASE_INQUIRY : r < 90 ? CASE_ASSISTANCE :
	    CASE_EMERGENCY;
}

/* Opened by bravo: A takes it in, then acks, starts, responds or closes (or nothing). */
static void
build_received(struct pair *p, long i, int64_t opened, struct idlist *still_open)
{
	struct store_case c;
	int64_t t = opened + (int64_t)rnd(300) * SEC + SEC;
	uint64_t r = rnd(100);

	open_case(p->b, &p->alpha, some_kind(), i, opened, &c);
	deliver(p, 1, c.id, t);
	t += 60 * SEC + (int64_t)rnd(36 * 60) * 60 * SEC;   /* 1 min .. 36 h */
	if (r < 30) {
		ids_add(still_open, c.id);
	} else if (r < 55) {
		take(p->a, c.id, STEP_ACK, t, NULL);
		if (r >= 45)
			take(p->a, c.id, STEP_START, t + HOUR, NULL);
	} else {
		take(p->a, c.id, STEP_RESPOND, t, NULL);
		if (r >= 65)
			take(p->a, c.id, STEP_CLOSE, t + HOUR, NULL);
	}
}

/* Opened by alpha: B takes it in and answers (or not); A takes the answer in and may close. */
static void
build_opened(struct pair *p, long i, int64_t opened)
{
	struct store_case c;
	int64_t t = opened + (int64_t)rnd(300) * SEC + SEC;
	uint64_t r = rnd(100), r2 = rnd(100);
	enum case_step answer = r < 50 ? STEP_ACK : r < 65 ? STEP_REQUEST_INFO : STEP_RESPOND;

	open_case(p->a, &p->bravo, some_kind(), i, opened, &c);
	deliver(p, 0, c.id, t);
	if (r < 30) {
		if (r2 < 10)
			take(p->a, c.id, STEP_WITHDRAW, t + DAY, NULL);
		return;
	}
	t += 60 * SEC + (int64_t)rnd(36 * 60) * 60 * SEC;
	take(p->b, c.id, answer, t, NULL);
	deliver(p, 1, c.id, t + (int64_t)rnd(60) * SEC + SEC);
	if (answer == STEP_RESPOND && r2 < 60)
		take(p->a, c.id, STEP_CLOSE, t + 2 * HOUR, NULL);
	else if (answer == STEP_REQUEST_INFO && r2 < 50)
		take(p->a, c.id, STEP_PROVIDE_INFO, t + 2 * HOUR, NULL);
}

struct cases {
	struct store_case *v;
	size_t n, cap;
};

static int
collect_case(void *arg, const struct store_case *c)
{
	struct cases *cs = arg;

	if (cs->n == cs->cap) {
		cs->cap = cs->cap ? 2 * cs->cap : 1024;
		cs->v = xrealloc(cs->v, cs->cap * sizeof(*cs->v));
	}
	cs->v[cs->n++] = *c;
	return 0;
}

static void
shift(int64_t *t, int64_t d)
{
	if (*t != 0)
		*t += d;
}

/*
 * A copy of a built case under a new id, all its times moved so that it
 * was opened at opened, its escalations already logged (as the daemon
 * would have), and the receipt of an opening this node sent stamped as
 * the exchange stamps it (no envelopes travel in this bench).
 */
static void
clone_case(struct store *s, const struct store_case *t, int64_t opened, int64_t now_us,
    int same_id)
{
	struct err err = ERR_INIT;
	struct store_case c = *t;
	char uuid[CX_UUID_LEN];
	int64_t d = opened - t->opened_us;

	if (!same_id) {
		if (cx_uuid4(uuid) < 0)
			die("cx_uuid4 failed");
		snprintf(c.id, sizeof(c.id), "incident--%s", uuid);
		shift(&c.opened_us, d);
		shift(&c.receipt_us, d);
		shift(&c.acked_us, d);
		shift(&c.updated_us, d);
		shift(&c.ack_by, d);
		shift(&c.respond_by, d);
		shift(&c.preserve_until, d);
		shift(&c.remind_at, d);
	}
	if (c.role == CASE_OPENER && c.receipt_us == 0)
		c.receipt_us = c.opened_us + 2 * SEC + (int64_t)rnd(120) * SEC;
	c.level = hotline_level(&c, &ESC, now_us);
	/* what the escalation tick leaves behind: the next moment the case needs a look */
	c.next_check_us = hotline_next_check(&c, &ESC);
	if (c.next_check_us != 0 && c.next_check_us <= now_us)
		c.next_check_us = now_us + 1;
	if (store_case_put(s, &c, &err) < 0)
		die("case_put: %s", err.msg);
}

static void
build_templates(struct pair *p, int64_t now_us, struct idlist *still_open)
{
	double t0 = now_s();
	long i;

	for (i = 0; i < O.templates; i++) {
		int64_t opened = now_us - 3 * DAY - (int64_t)rnd(27 * 24 * 60) * 60 * SEC;

		if (i % BUILD_TXN == 0) {
			xbegin(p->a);
			xbegin(p->b);
		}
		if (rnd(2) == 0)
			build_received(p, i, opened, still_open);
		else
			build_opened(p, i, opened);
		if (i % BUILD_TXN == BUILD_TXN - 1 || i == O.templates - 1) {
			xcommit(p->a);
			xcommit(p->b);
		}
	}
	fprintf(stderr, "list: %ld cases built through the hotline API in %.1f s\n", O.templates,
	    now_s() - t0);
}

/* The other n - templates cases: copies of the built ones, opened over the last 30 days. */
static void
build_clones(struct pair *p, int64_t now_us)
{
	struct err err = ERR_INIT;
	struct cases tp = { 0 };
	double t0 = now_s();
	long i;

	struct store_case_query q = { 0 };

	if (store_case_scan(p->a, &q, collect_case, &tp, &err) < 0 || tp.n == 0)
		die("case_scan: %s", err.msg);
	xbegin(p->a);
	for (i = 0; i < (long)tp.n; i++)
		clone_case(p->a, &tp.v[i], 0, now_us, 1);
	for (i = 0; i < O.n - (long)tp.n; i++) {
		const struct store_case *t = &tp.v[rnd(tp.n)];
		int64_t span = t->updated_us - t->opened_us;

		if (i % CLONE_TXN == CLONE_TXN - 1) {
			xcommit(p->a);
			xbegin(p->a);
		}
		clone_case(p->a, t, now_us - span - (int64_t)rnd(30 * 24 * 60) * 60 * SEC, now_us, 0);
	}
	xcommit(p->a);
	fprintf(stderr, "list: %ld copies stored in %.1f s\n", O.n - (long)tp.n, now_s() - t0);
	free(tp.v);
}

/* ---- list: the measurements ---- */

struct scan {
	struct store *s;
	int64_t now;
	long n;
	long level[HOTLINE_LEVELS_MAX + 1];
	json_t *arr;                  /* cases --open --json */
};

static int
scan_count(void *arg, const struct store_case *c)
{
	struct scan *sc = arg;

	sc->n++;
	return 0;
}

static int
scan_level(void *arg, const struct store_case *c)
{
	struct scan *sc = arg;

	sc->n++;
	sc->level[hotline_level(c, &ESC, sc->now)]++;
	return 0;
}

static int
scan_json(void *arg, const struct store_case *c)
{
	struct scan *sc = arg;
	struct err err = ERR_INIT;
	json_t *j;

	sc->n++;
	if (hotline_case_json(sc->s, c, "bravo", 0, &ESC, sc->now, &j, &err) < 0 ||
	    json_array_append_new(sc->arr, j) < 0)
		return -LSN_ENOMEM;
	return 0;
}

enum scan_mode { SCAN_ROWS, SCAN_LEVEL, SCAN_JSON };

/* One scan of the open cases; SCAN_JSON: each as JSON, the array printed to memory. */
static double
one_scan(struct store *s, enum scan_mode mode, struct scan *sc, size_t *ret_bytes)
{
	static const store_case_fn fn[] = { scan_count, scan_level, scan_json };
	struct err err = ERR_INIT;
	struct store_case_query q = { .open_only = 1 };
	double t = now_s();
	char *out;

	memset(sc, 0, sizeof(*sc));
	sc->s = s;
	sc->now = clock_now_us();
	sc->arr = mode == SCAN_JSON ? json_array() : NULL;
	if (store_case_scan(s, &q, fn[mode], sc, &err) < 0)
		die("case_scan: %s", err.msg);
	if (mode == SCAN_JSON) {
		out = json_dumps(sc->arr, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (out == NULL)
			die("out of memory");
		*ret_bytes = strlen(out);
		free(out);
		json_decref(sc->arr);
	}
	return now_s() - t;
}

/* The first scan (SQLite's cache cold), then O.rounds timed ones. */
static double
scans(struct store *s, enum scan_mode mode, struct samples *ms, struct scan *sc,
    size_t *ret_bytes)
{
	double first = one_scan(s, mode, sc, ret_bytes);
	long r;

	for (r = 0; r < O.rounds; r++)
		samples_add(ms, one_scan(s, mode, sc, ret_bytes) * 1e3);
	samples_sort(ms);
	return first;
}

static void
run_scans(struct store *s, int with_json)
{
	struct samples ms = { 0 }, rows = { 0 };
	struct scan sc;
	size_t bytes = 0;
	char load[64];
	double first;
	int k;

	bench_loadavg(load);
	first = scans(s, with_json ? SCAN_JSON : SCAN_LEVEL, &ms, &sc, &bytes);
	printf("{\"bench\":\"%s\",\"cases_in_store\":%ld,\"open_cases\":%ld,\"rounds\":%ld,"
	    "\"first_ms\":%.1f,\"p50_ms\":%.1f,\"min_ms\":%.1f,\"max_ms\":%.1f,"
	    "\"cases_per_s\":%.0f,", with_json ? "list_json" : "list", O.n, sc.n, O.rounds,
	    first * 1e3, pct(&ms, 0.5), ms.v[0], ms.v[ms.n - 1], (double)sc.n / (pct(&ms, 0.5) / 1e3));
	if (with_json) {
		printf("\"json_bytes\":%zu,", bytes);
	} else {
		for (k = 0; k <= ESC.n; k++)
			printf("\"level_%d\":%ld,", k, sc.level[k]);
		/* the same scan without hotline_level: what the store alone costs */
		scans(s, SCAN_ROWS, &rows, &sc, &bytes);
		printf("\"rows_only_p50_ms\":%.1f,\"rows_only_min_ms\":%.1f,", pct(&rows, 0.5),
		    rows.v[0]);
	}
	bench_print_machine(load);
	free(ms.v);
	free(rows.v);
}

/*
 * What the daemon's loop reads each second (case_due: the cases whose next
 * check is due, at most 256) and what `cases --overdue`, `status` and
 * /metrics read (the late cases, through the clocks' indexes).
 */
static void
run_tick(struct store *s)
{
	struct samples due = { 0 }, late = { 0 }, count = { 0 };
	struct store_case_counts cc;
	struct store_case_query q = { .overdue_at = 1 };
	struct err err = ERR_INIT;
	struct scan sc;
	char load[64];
	long r, n_due = 0;
	double t;

	bench_loadavg(load);
	for (r = 0; r <= O.rounds; r++) {
		memset(&sc, 0, sizeof(sc));
		sc.s = s;
		sc.now = clock_now_us();
		t = now_s();
		if (store_case_due(s, sc.now, 256, scan_count, &sc, &err) < 0)
			die("case_due: %s", err.msg);
		if (r > 0)
			samples_add(&due, (now_s() - t) * 1e3);
		n_due = sc.n;
		memset(&sc, 0, sizeof(sc));
		sc.s = s;
		sc.now = q.now_us = clock_now_us();
		t = now_s();
		if (store_case_scan(s, &q, scan_level, &sc, &err) < 0)
			die("case_scan: %s", err.msg);
		if (r > 0)
			samples_add(&late, (now_s() - t) * 1e3);
		t = now_s();
		if (store_case_count(s, clock_now_us(), &cc, &err) < 0)
			die("case_count: %s", err.msg);
		if (r > 0)
			samples_add(&count, (now_s() - t) * 1e3);
	}
	samples_sort(&count);
	samples_sort(&due);
	samples_sort(&late);
	printf("{\"bench\":\"tick\",\"cases_in_store\":%ld,\"rounds\":%ld,\"due\":%ld,"
	    "\"due_p50_ms\":%.3f,\"late_cases\":%ld,\"late_list_p50_ms\":%.1f,"
	    "\"counts_p50_ms\":%.1f,\"counted_late\":%llu,", O.n, O.rounds, n_due,
	    pct(&due, 0.5), sc.n, pct(&late, 0.5), pct(&count, 0.5),
	    (unsigned long long)cc.late);
	bench_print_machine(load);
	free(due.v);
	free(late.v);
	free(count.v);
}

static void
run_pledge(struct pair *p)
{
	struct err err = ERR_INIT;
	struct hotline_pledge pl;
	struct samples ms = { 0 };
	char load[64];
	double t;
	long r;

	bench_loadavg(load);
	for (r = 0; r <= O.rounds; r++) {
		t = now_s();
		if (hotline_pledge(p->a, p->bravo.rowid, &pl, &err) < 0)
			die("hotline_pledge: %s", err.msg);
		if (r > 0)
			samples_add(&ms, (now_s() - t) * 1e3);
	}
	samples_sort(&ms);
	printf("{\"bench\":\"pledge\",\"cases_in_store\":%ld,\"rounds\":%ld,\"p50_ms\":%.1f,"
	    "\"min_ms\":%.1f,\"n_receipt\":%zu,\"n_ack\":%zu,\"ack_p50_s\":%.0f,",
	    O.n, O.rounds, pct(&ms, 0.5), ms.v[0], pl.n_receipt, pl.n_ack, pl.ack_p50 / 1e6);
	bench_print_machine(load);
	free(ms.v);
}

/* hotline_take (ack) and hotline_receive (openings) at O.n cases, one per transaction. */
static void
run_at_n(struct pair *p, struct idlist *still_open)
{
	struct samples tk = { 0 }, rv = { 0 }, get = { 0 };
	struct store_case c;
	struct msg *m;
	char load[64];
	long i, k = O.at_n < still_open->n ? O.at_n : still_open->n;
	double t;

	m = xmalloc((size_t)O.at_n * sizeof(*m));
	xbegin(p->b);
	for (i = 0; i < O.at_n; i++) {
		open_case(p->b, &p->alpha, CASE_NOTIFICATION, i, clock_now_us(), &c);
		last_step(p->b, c.id, &m[i]);
	}
	xcommit(p->b);
	bench_loadavg(load);
	for (i = 0; i < k; i++) {
		t = now_s();
		xbegin(p->a);
		take(p->a, still_open->v[i], STEP_ACK, clock_now_us(), NULL);
		xcommit(p->a);
		samples_add(&tk, (now_s() - t) * 1e3);
	}
	for (i = 0; i < O.at_n; i++) {
		t = now_s();
		xbegin(p->a);
		receive(p->a, &p->bravo, &m[i], ++p->seq_ba, clock_now_us(), NULL);
		xcommit(p->a);
		samples_add(&rv, (now_s() - t) * 1e3);
		free(m[i].body);
	}
	case_get_us(p->a, still_open->v, k, &get);
	printf("{\"bench\":\"at_n\",\"cases_in_store\":%ld,\"per_txn\":1,\"takes\":%ld,"
	    "\"receives\":%ld,", O.n, k, O.at_n);
	print_us("take_ack_with_commit", &tk);
	print_us("receive_open_with_commit", &rv);
	print_us("case_get", &get);
	bench_print_machine(load);
	free(tk.v);
	free(rv.v);
	free(get.v);
	free(m);
}

static void
bench_list(void)
{
	struct err err = ERR_INIT;
	struct idlist still_open = { 0 };
	struct pair p;
	int64_t now_us = clock_now_us();

	if (O.templates > O.n)
		O.templates = O.n;
	pair_open(&p, "list");
	build_templates(&p, now_us, &still_open);
	build_clones(&p, now_us);
	/* a fresh connection, as the daemon's loop has after a start: SQLite's cache empty */
	store_close(p.a);
	if (store_open(p.path_a, 0, &p.a, &err) < 0)
		die("%s", err.msg);
	run_tick(p.a);
	run_scans(p.a, 0);
	run_scans(p.a, 1);
	run_pledge(&p);
	run_at_n(&p, &still_open);
	free(still_open.v);
	pair_close(&p);
}

/* ---- fold ---- */

/* Cases A received from B and answered steps - 1 times: each holds `steps` steps. */
static void
fold_build(struct pair *p, long steps, struct idlist *ids)
{
	struct store_case c;
	int64_t t = clock_now_us() - 30 * DAY;
	long i, k;

	for (i = 0; i < O.fold_cases; i++) {
		xbegin(p->a);
		xbegin(p->b);
		open_case(p->b, &p->alpha, CASE_NOTIFICATION, i, t, &c);
		deliver(p, 1, c.id, t + SEC);
		for (k = 1; k < steps; k++)
			take(p->a, c.id, STEP_RESPOND, t + k * SEC, NULL);
		xcommit(p->a);
		xcommit(p->b);
		ids_add(ids, c.id);
	}
}

static void
bench_fold(long steps)
{
	struct err err = ERR_INIT;
	struct idlist ids = { 0 };
	struct samples call = { 0 }, all = { 0 }, js = { 0 };
	struct store_case c;
	struct pair p;
	char load[64];
	double t, t1;
	json_t *j;
	long i;

	pair_open(&p, "fold");
	fprintf(stderr, "fold: %ld cases of %ld steps\n", O.fold_cases, steps);
	fold_build(&p, steps, &ids);
	bench_loadavg(load);
	for (i = 0; i < ids.n; i++) {
		t = now_s();
		xbegin(p.a);
		t1 = now_s();
		take(p.a, ids.v[i], STEP_RESPOND, clock_now_us(), &c);
		samples_add(&call, (now_s() - t1) * 1e3);
		xcommit(p.a);
		samples_add(&all, (now_s() - t) * 1e3);
	}
	for (i = 0; i < ids.n; i++) {
		if (store_case_get(p.a, ids.v[i], &c, &err) < 0)
			die("%s", err.msg);
		t = now_s();
		if (hotline_case_json(p.a, &c, "bravo", 1, &ESC, clock_now_us(), &j, &err) < 0)
			die("hotline_case_json: %s", err.msg);
		samples_add(&js, (now_s() - t) * 1e3);
		json_decref(j);
	}
	printf("{\"bench\":\"fold\",\"steps_held\":%ld,\"cases\":%ld,\"cases_in_store\":%ld,"
	    "\"step\":\"respond\",\"per_txn\":1,", steps, ids.n, ids.n);
	print_us("hotline_take", &call);
	print_us("with_commit", &all);
	print_us("case_json_full", &js);
	bench_print_machine(load);
	free(call.v);
	free(all.v);
	free(js.v);
	free(ids.v);
	pair_close(&p);
}

/* ---- main ---- */

static const char usage_text[] =
	"usage: hotline_bench [open] [steps] [list] [fold] [options]   (default: all four)\n"
	"  open    hotline_open, one case per transaction and --batch per transaction\n"
	"  steps   hotline_receive of openings, then hotline_take ack/respond/close, one per\n"
	"          transaction and --batch per transaction\n"
	"  list    --n cases: the open-case scan with hotline_level (escalation tick, cases\n"
	"          --open), the same with hotline_case_json (cases --open --json),\n"
	"          hotline_pledge, and take/receive at that size\n"
	"  fold    hotline_take on a case holding K steps, and case_json with its steps\n"
	"options:\n"
	"  --opens N       open: cases per configuration (default 2000)\n"
	"  --cases N       steps: cases per configuration (default 1000)\n"
	"  --batch K       cases or steps per transaction when batched (default 64)\n"
	"  --n N           list: cases in the store (default 100000)\n"
	"  --templates N   list: of them built through the hotline API (default 2000); the\n"
	"                  rest are copies of their rows with new ids and shifted times\n"
	"  --rounds R      list: timed scans (default 10)\n"
	"  --at-n K        list: takes and receives timed at --n cases (default 100)\n"
	"  --fold-steps K  fold: steps a case holds (repeatable; default 1, 50, 200)\n"
	"  --fold-cases F  fold: cases per size (default 20)\n"
	"  --work DIR      parent of the temporary stores (default /tmp)\n"
	"  --keep          keep the temporary stores\n"
	"Prints progress on stderr and one JSON line per figure on stdout.\n";

static void
parse_mode(const char *m)
{
	if (strcmp(m, "open") == 0)
		O.modes |= M_OPEN;
	else if (strcmp(m, "steps") == 0)
		O.modes |= M_STEPS;
	else if (strcmp(m, "list") == 0)
		O.modes |= M_LIST;
	else if (strcmp(m, "fold") == 0)
		O.modes |= M_FOLD;
	else
		die("unknown measurement '%s' (open, steps, list or fold)", m);
}

static void
parse_opts(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "opens", required_argument, NULL, 'o' },
		{ "cases", required_argument, NULL, 'c' },
		{ "batch", required_argument, NULL, 'b' },
		{ "n", required_argument, NULL, 'n' },
		{ "templates", required_argument, NULL, 't' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "at-n", required_argument, NULL, 'a' },
		{ "fold-steps", required_argument, NULL, 's' },
		{ "fold-cases", required_argument, NULL, 'f' },
		{ "work", required_argument, NULL, 'w' },
		{ "keep", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	O = (struct opts){ .opens = 2000, .cases = 1000, .batch = 64, .n = 100000,
			   .templates = 2000, .rounds = 10, .at_n = 100, .fold_cases = 20,
			   .work = "/tmp" };
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'o': O.opens = num_arg("opens", optarg, 1, 10000000); break;
		case 'c': O.cases = num_arg("cases", optarg, 1, 10000000); break;
		case 'b': O.batch = num_arg("batch", optarg, 1, 100000); break;
		case 'n': O.n = num_arg("n", optarg, 1, 100000000); break;
		case 't': O.templates = num_arg("templates", optarg, 1, 10000000); break;
		case 'r': O.rounds = num_arg("rounds", optarg, 1, 100000); break;
		case 'a': O.at_n = num_arg("at-n", optarg, 1, 100000); break;
		case 's':
			if (O.n_fold_steps == MAX_SIZES)
				die("at most %d --fold-steps options", MAX_SIZES);
			O.fold_steps[O.n_fold_steps++] = num_arg("fold-steps", optarg, 1,
			    HOTLINE_STEPS_MAX - 1);
			break;
		case 'f': O.fold_cases = num_arg("fold-cases", optarg, 1, 100000); break;
		case 'w': O.work = optarg; break;
		case 'k': O.keep = 1; break;
		case 'h': fputs(usage_text, stdout); exit(0);
		default: fputs(usage_text, stderr); exit(1);
		}
	}
	for (; optind < argc; optind++)
		parse_mode(argv[optind]);
	if (O.modes == 0)
		O.modes = M_OPEN | M_STEPS | M_LIST | M_FOLD;
	if (O.n_fold_steps == 0) {
		O.fold_steps[0] = 1;
		O.fold_steps[1] = 50;
		O.fold_steps[2] = 200;
		O.n_fold_steps = 3;
	}
}

int
main(int argc, char **argv)
{
	struct agreement g;
	int i;

	parse_opts(argc, argv);
	agreement_default(&g, "alpha", "bravo");
	TERMS = g.hotline;
	hotline_escalation_default(&ESC);
	if (O.modes & M_OPEN) {
		bench_open(1);
		bench_open(O.batch);
	}
	if (O.modes & M_STEPS) {
		bench_steps(1);
		bench_steps(O.batch);
	}
	if (O.modes & M_LIST)
		bench_list();
	if (O.modes & M_FOLD)
		for (i = 0; i < O.n_fold_steps; i++)
			bench_fold(O.fold_steps[i]);
	return 0;
}
