/*
 * ledger_bench: the node's witnessed log measured in-process, through the
 * same library calls the daemon and `liaison log verify` make (no daemon,
 * no network):
 *   append   durable appends per second: a fresh SQLite store (WAL,
 *            synchronous=FULL), the single writer with a second connection
 *            for checkpoints (as liaisond starts it), and a producer thread
 *            submitting writer jobs of K entries each; an append counts only
 *            once its job's commit completed (the job's done callback);
 *   prove    inclusion and consistency proofs (merkle_*_proof over
 *            ledger_node) against a tree of N leaves (default 10,000,000),
 *            built once and kept in --db for later runs; each proof alone
 *            (every node read its own implicit read transaction, as the
 *            call is made) and, again, each inside one read transaction;
 *   verify   ledger_verify (what `liaison log verify` runs) over a log of N
 *            leaves (default 1,000,000) with a checkpoint signed every
 *            100,000 leaves, also kept in --db (its key in DB.key).
 * Entries are 208 bytes, "LSE1", type 1 (an envelope entry), random bytes.
 * Each measurement ends with one JSON line carrying the machine (cores, CPU
 * model) and the load average before and after. It measures; it never
 * asserts a speed: the exit status is 1 only when something failed.
 */
#include "bench_util.h"
#include "crypto/cx.h"
#include "ledger/ledger.h"
#include "ledger/merkle.h"
#include "store/store.h"
#include "store/writer.h"
#include "util/err.h"
#include "util/ts.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ENTRY_LEN 208
#define APPEND_TARGET 50000.0         /* appends/s */
#define PROOF_TARGET_US 50.0
#define BUILD_TXN 100000              /* leaves per transaction when building a tree */
#define SIGN_EVERY 100000             /* verify: a checkpoint every this many leaves */
#define NODE_NAME "bench"
#define MAX_BATCHES 16

/* ---- options ---- */

struct opts {
	int mode;
	long n;                       /* appends per configuration / leaves of the tree */
	long batches[MAX_BATCHES];    /* append: entries per job */
	int n_batches;
	long inflight;                /* append: entries submitted but not yet committed, at most */
	long batch_max;               /* append: the writer's batch_max (liaison.conf [store]) */
	long samples;                 /* prove: proofs of each kind */
	const char *db;               /* prove, verify: the kept store */
	const char *work;             /* append: parent of the temporary store */
	int keep;
};

enum { M_APPEND = 1, M_PROVE, M_VERIFY };

static struct opts O;

/* ---- entries ---- */

static uint64_t rng_state;

static uint64_t
rng_next(void)
{
	uint64_t x = rng_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 2685821657736338717ULL;
}

static void
rng_init(void)
{
	if (cx_random(&rng_state, sizeof(rng_state)) < 0)
		die("cx_random failed");
	if (rng_state == 0)
		rng_state = 1;
}

/* Uniform in [0, n). */
static uint64_t
rng_below(uint64_t n)
{
	return rng_next() % n;
}

/* A 208-byte envelope-type entry: "LSE1", 1, random bytes. */
static void
gen_entry(uint8_t e[ENTRY_LEN])
{
	uint64_t v;
	size_t i;

	for (i = 5; i < ENTRY_LEN; i += sizeof(v)) {
		v = rng_next();
		memcpy(e + i, &v, ENTRY_LEN - i < sizeof(v) ? ENTRY_LEN - i : sizeof(v));
	}
	memcpy(e, LEDGER_ENTRY_MAGIC, 4);
	e[4] = LEDGER_ENTRY_ENVELOPE;
}

/* ---- append: durable appends through the writer ---- */

struct append_run;

struct append_job {
	struct writer_job job;
	struct append_run *ar;
	const uint8_t *entries;       /* n entries of ENTRY_LEN bytes */
	long n;
};

struct append_run {
	struct writer *w;
	struct append_job *jobs;
	long n_jobs;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	long inflight;                /* entries submitted, not yet done */
	long window;                  /* entries in flight at most */
	long committed, done_jobs, failed;
	char first_err[ERR_MSG_MAX];
	double t_end;
	double append_s;              /* writer thread: time inside ledger_append */
	uint64_t last_idx;
};

static int
append_run_job(struct store *s, struct writer_job *job)
{
	struct append_job *j = (struct append_job *)job;
	double t0 = now_s();
	uint64_t idx = 0;
	long i;
	int r = 0;

	for (i = 0; i < j->n && r == 0; i++)
		r = ledger_append(s, j->entries + (size_t)i * ENTRY_LEN, ENTRY_LEN, &idx, &job->err);
	j->ar->append_s += now_s() - t0;  /* only the writer thread writes it */
	j->ar->last_idx = idx;
	return r;
}

static void
append_done(struct writer_job *job, int rc)
{
	struct append_job *j = (struct append_job *)job;
	struct append_run *ar = j->ar;

	pthread_mutex_lock(&ar->mu);
	if (rc == 0) {
		ar->committed += j->n;
	} else {
		if (ar->failed++ == 0)
			snprintf(ar->first_err, sizeof(ar->first_err), "%s", job->err.msg);
	}
	ar->inflight -= j->n;
	if (++ar->done_jobs == ar->n_jobs)
		ar->t_end = now_s();
	pthread_cond_broadcast(&ar->cv);
	pthread_mutex_unlock(&ar->mu);
}

static void *
producer_main(void *arg)
{
	struct append_run *ar = arg;
	long i;

	for (i = 0; i < ar->n_jobs; i++) {
		struct append_job *j = &ar->jobs[i];

		pthread_mutex_lock(&ar->mu);
		while (ar->inflight > 0 && ar->inflight + j->n > ar->window)
			pthread_cond_wait(&ar->cv, &ar->mu);
		ar->inflight += j->n;
		pthread_mutex_unlock(&ar->mu);
		writer_submit(ar->w, &j->job);
	}
	return NULL;
}

static void
remove_store(const char *path)
{
	char p[PATH_MAX + 8];

	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
}

static void
bench_append(long per_job)
{
	struct err err = ERR_INIT;
	struct append_run ar;
	struct store *wr, *ckpt;
	struct writer_stats ws;
	char dir[PATH_MAX], path[PATH_MAX + 16], load[64];
	uint8_t *entries;
	pthread_t prod;
	double t0, c0, secs, cpu, rate;
	long n = O.n - O.n % per_job, i;

	if (n == 0)
		die("--n %ld is smaller than %ld entries per job", O.n, per_job);
	snprintf(dir, sizeof(dir), "%s/ledger_bench-XXXXXX", O.work);
	if (mkdtemp(dir) == NULL)
		die("mkdtemp %s: %s", dir, strerror(errno));
	snprintf(path, sizeof(path), "%s/store.db", dir);
	if (store_open(path, 1, &wr, &err) < 0 || store_open(path, 0, &ckpt, &err) < 0)
		die("%s", err.msg);

	/* every entry made before the clock starts */
	entries = xmalloc((size_t)n * ENTRY_LEN);
	for (i = 0; i < n; i++)
		gen_entry(entries + (size_t)i * ENTRY_LEN);
	memset(&ar, 0, sizeof(ar));
	pthread_mutex_init(&ar.mu, NULL);
	pthread_cond_init(&ar.cv, NULL);
	ar.n_jobs = n / per_job;
	ar.window = O.inflight > per_job ? O.inflight : per_job;
	ar.jobs = calloc((size_t)ar.n_jobs, sizeof(*ar.jobs));
	if (ar.jobs == NULL)
		die("out of memory");
	for (i = 0; i < ar.n_jobs; i++) {
		ar.jobs[i].job.run = append_run_job;
		ar.jobs[i].job.done = append_done;
		ar.jobs[i].job.weight = (size_t)per_job;
		ar.jobs[i].ar = &ar;
		ar.jobs[i].entries = entries + (size_t)i * per_job * ENTRY_LEN;
		ar.jobs[i].n = per_job;
	}
	if (writer_new(wr, ckpt, (size_t)O.batch_max, &ar.w, &err) < 0)
		die("%s", err.msg);

	bench_loadavg(load);
	fprintf(stderr, "append: %ld entries, %ld per job, %ld in flight at most, batch_max %ld, "
	    "store %s\n", n, per_job, ar.window, O.batch_max, path);
	c0 = cpu_s();
	t0 = now_s();
	if (pthread_create(&prod, NULL, producer_main, &ar) != 0)
		die("cannot start the producer thread");
	pthread_mutex_lock(&ar.mu);
	while (ar.done_jobs < ar.n_jobs)
		pthread_cond_wait(&ar.cv, &ar.mu);
	pthread_mutex_unlock(&ar.mu);
	pthread_join(prod, NULL);
	secs = ar.t_end - t0;
	cpu = cpu_s() - c0;
	writer_get_stats(ar.w, &ws);
	writer_free(ar.w);
	if (ar.failed > 0)
		die("%ld jobs failed, the first: %s", ar.failed, ar.first_err);
	if (ar.last_idx + 1 != (uint64_t)n)
		die("the last leaf is %" PRIu64 ", expected %ld", ar.last_idx, n - 1);

	rate = (double)ar.committed / secs;
	printf("{\"bench\":\"append\",\"entry_bytes\":%d,\"entries_per_job\":%ld,\"appends\":%ld,"
	    "\"secs\":%.3f,\"appends_per_s\":%.0f,\"target_per_s\":%.0f,\"meets_target\":%s,"
	    "\"jobs_per_s\":%.0f,\"commits\":%llu,\"appends_per_commit\":%.1f,"
	    "\"us_per_commit\":%.1f,\"ledger_append_s\":%.3f,\"ledger_append_us_each\":%.2f,"
	    "\"rest_of_writer_s\":%.3f,\"wal_checkpoints\":%llu,\"cpu_s\":%.3f,"
	    "\"inflight_max\":%ld,\"batch_max\":%ld,",
	    ENTRY_LEN, per_job, ar.committed, secs, rate, APPEND_TARGET,
	    rate >= APPEND_TARGET ? "true" : "false", (double)ar.n_jobs / secs, ws.batches,
	    (double)ar.committed / (double)ws.batches, secs * 1e6 / (double)ws.batches,
	    ar.append_s, ar.append_s * 1e6 / (double)ar.committed, secs - ar.append_s,
	    ws.checkpoints, cpu, ar.window, O.batch_max);
	bench_print_machine(load);

	if (!O.keep) {
		remove_store(path);
		rmdir(dir);
	} else {
		fprintf(stderr, "append: kept %s\n", path);
	}
	free(ar.jobs);
	free(entries);
	pthread_mutex_destroy(&ar.mu);
	pthread_cond_destroy(&ar.cv);
}

/* ---- building a kept tree ---- */

static struct cx_key *
verify_key(const char *db, int create)
{
	struct err err = ERR_INIT;
	struct cx_key *key;
	char path[PATH_MAX + 8];
	struct stat st;

	snprintf(path, sizeof(path), "%s.key", db);
	if (stat(path, &st) == 0) {
		if (cx_key_load(path, &key, &err) < 0)
			die("%s", err.msg);
		return key;
	}
	if (!create)
		die("%s has leaves but %s (its signing key) is missing; delete the store to rebuild",
		    db, path);
	if (cx_key_generate(&key, &err) < 0 || cx_key_save(key, path, &err) < 0)
		die("%s", err.msg);
	return key;
}

/*
 * Opens db with n leaves, appending what is missing in transactions of
 * BUILD_TXN leaves (resumable: each transaction commits). With id, a
 * checkpoint is signed every SIGN_EVERY leaves inside the same transaction.
 */
static struct store *
build_tree(const char *db, uint64_t n, const struct ledger_id *id, const struct cx_key *key)
{
	struct err err = ERR_INIT;
	struct store *s;
	uint8_t e[ENTRY_LEN];
	uint64_t size, idx, signed_size;
	double t0, last;

	if (store_open(db, 1, &s, &err) < 0 || store_log_size(s, &size, &err) < 0)
		die("%s: %s", db, err.msg);
	if (size > n)
		die("%s has %" PRIu64 " leaves, more than --n %" PRIu64 "; use another --db", db,
		    size, n);
	if (size == n) {
		fprintf(stderr, "reusing %s (%" PRIu64 " leaves)\n", db, size);
		return s;
	}
	fprintf(stderr, "building %s: %" PRIu64 " leaves present, %" PRIu64 " to append\n", db,
	    size, n - size);
	t0 = last = now_s();
	while (size < n) {
		uint64_t end = size + BUILD_TXN - size % BUILD_TXN;

		if (end > n)
			end = n;
		if (store_begin(s, &err) < 0)
			die("%s", err.msg);
		for (; size < end; size++) {
			gen_entry(e);
			if (ledger_append(s, e, sizeof(e), &idx, &err) < 0)
				die("leaf %" PRIu64 ": %s", size, err.msg);
		}
		if (id != NULL && (size % SIGN_EVERY == 0 || size == n) &&
		    ledger_sign(s, id, key, clock_now_us(), &signed_size, &err) < 0)
			die("signing at %" PRIu64 ": %s", size, err.msg);
		if (store_commit(s, &err) < 0)
			die("%s", err.msg);
		if (now_s() - last >= 10 || size == n) {
			last = now_s();
			fprintf(stderr, "  %" PRIu64 " leaves, %.0f s, %.0f leaves/s\n", size,
			    last - t0, (double)size / (last - t0));
		}
	}
	return s;
}

/* ---- prove: inclusion and consistency proofs ---- */

static void
report_samples(const char *kind, struct samples *us, double secs)
{
	double sum = 0;
	size_t i;

	for (i = 0; i < us->n; i++)
		sum += us->v[i];
	samples_sort(us);
	printf("\"%s_n\":%zu,\"%s_mean_us\":%.2f,\"%s_p50_us\":%.2f,\"%s_p99_us\":%.2f,"
	    "\"%s_max_us\":%.2f,\"%s_per_s\":%.0f,",
	    kind, us->n, kind, sum / (double)us->n, kind, pct(us, 0.5), kind, pct(us, 0.99),
	    kind, us->v[us->n - 1], kind, (double)us->n / secs);
}

static void
bench_prove(void)
{
	struct err err = ERR_INIT;
	struct store *s;
	struct samples inc = { 0 }, con = { 0 }, txn = { 0 };
	merkle_hash proof[MERKLE_PROOF_MAX];
	uint8_t root[MERKLE_HASH_LEN], leaf[MERKLE_PROOF_MAX * MERKLE_HASH_LEN];
	uint64_t size = (uint64_t)O.n, *idx, *old;
	char load[64];
	size_t n, len;
	double t, t0, secs_inc, secs_con, secs_txn, sum_len = 0;
	long i, pass;
	struct stat st;

	s = build_tree(O.db, size, NULL, NULL);
	if (merkle_root(size, ledger_node, s, root, &err) < 0)
		die("%s", err.msg);
	idx = xmalloc((size_t)O.samples * sizeof(*idx));
	old = xmalloc((size_t)O.samples * sizeof(*old));
	for (i = 0; i < O.samples; i++) {
		idx[i] = rng_below(size);
		old[i] = 1 + rng_below(size - 1);  /* 1 .. size-1: a nonempty proof */
	}
	/* every proof checked once, before the clock (and warming the cache) */
	for (i = 0; i < O.samples; i++) {
		if (merkle_inclusion_proof(idx[i], size, ledger_node, s, proof, &n, &err) < 0 ||
		    store_log_hashes(s, idx[i], leaf, sizeof(leaf), &len, &err) < 0 ||
		    merkle_verify_inclusion(idx[i], size, leaf, (const merkle_hash *)proof, n, root,
		    &err) < 0)
			die("inclusion of %" PRIu64 ": %s", idx[i], err.msg);
		sum_len += (double)n;
	}
	for (i = 0; i < O.samples; i++) {
		uint8_t oroot[MERKLE_HASH_LEN];

		if (merkle_consistency_proof(old[i], size, ledger_node, s, proof, &n, &err) < 0 ||
		    merkle_root(old[i], ledger_node, s, oroot, &err) < 0 ||
		    merkle_verify_consistency(old[i], size, oroot, root, (const merkle_hash *)proof,
		    n, &err) < 0)
			die("consistency from %" PRIu64 ": %s", old[i], err.msg);
	}

	bench_loadavg(load);
	fprintf(stderr, "prove: %ld inclusion and %ld consistency proofs against %" PRIu64
	    " leaves\n", O.samples, O.samples, size);
	/*
	 * pass 0 warms (the same indexes), pass 1 is timed. "inclusion" and
	 * "consistency" take the path the peer API serves proofs by
	 * (exchange_log_proof): one read transaction per proof and the
	 * subtree cache; "inclusion_uncached" is the bare store, a read
	 * transaction (and lock) per row.
	 */
	struct ledger_src src = { s, ledger_cache_new() };
	if (src.cache == NULL)
		die("out of memory");
	for (pass = 0; pass < 2; pass++) {
		inc.n = 0;
		t0 = now_s();
		for (i = 0; i < O.samples; i++) {
			t = now_s();
			if (store_read_begin(s, &err) < 0 || merkle_inclusion_proof(idx[i], size,
			    ledger_node_cached, &src, proof, &n, &err) < 0)
				die("%s", err.msg);
			store_read_end(s);
			samples_add(&inc, (now_s() - t) * 1e6);
		}
		secs_inc = now_s() - t0;
		con.n = 0;
		t0 = now_s();
		for (i = 0; i < O.samples; i++) {
			t = now_s();
			if (store_read_begin(s, &err) < 0 || merkle_consistency_proof(old[i], size,
			    ledger_node_cached, &src, proof, &n, &err) < 0)
				die("%s", err.msg);
			store_read_end(s);
			samples_add(&con, (now_s() - t) * 1e6);
		}
		secs_con = now_s() - t0;
		txn.n = 0;
		t0 = now_s();
		for (i = 0; i < O.samples; i++) {
			t = now_s();
			if (merkle_inclusion_proof(idx[i], size, ledger_node, s, proof, &n, &err) < 0)
				die("%s", err.msg);
			samples_add(&txn, (now_s() - t) * 1e6);
		}
		secs_txn = now_s() - t0;
	}
	ledger_cache_free(src.cache);
	printf("{\"bench\":\"prove\",\"leaves\":%" PRIu64 ",\"db_bytes\":%lld,"
	    "\"mean_proof_hashes\":%.1f,", size,
	    stat(O.db, &st) == 0 ? (long long)st.st_size : -1LL, sum_len / (double)O.samples);
	report_samples("inclusion", &inc, secs_inc);
	report_samples("consistency", &con, secs_con);
	report_samples("inclusion_uncached", &txn, secs_txn);
	printf("\"target_us\":%.0f,\"inclusion_p99_meets_target\":%s,", PROOF_TARGET_US,
	    pct(&inc, 0.99) <= PROOF_TARGET_US ? "true" : "false");
	bench_print_machine(load);
	store_close(s);
	free(idx);
	free(old);
	free(inc.v);
	free(con.v);
	free(txn.v);
}

/* ---- verify: ledger_verify over a signed log ---- */

static void
bench_verify(void)
{
	struct err err = ERR_INIT;
	struct ledger_verify_report rep;
	struct ledger_id id;
	struct cx_key *key;
	struct store *s;
	uint8_t pub[CX_ED25519_PUB_LEN];
	uint64_t size;
	char load[64];
	double t0, c0, secs, cpu;
	struct stat st;
	int have;

	/* the key must be the one that signed an existing store's checkpoints */
	have = stat(O.db, &st) == 0;
	if (have) {
		if (store_open(O.db, 0, &s, &err) < 0 || store_log_size(s, &size, &err) < 0)
			die("%s: %s", O.db, err.msg);
		store_close(s);
		have = size > 0;
	}
	key = verify_key(O.db, !have);
	cx_key_public(key, pub);
	if (ledger_id_init(&id, NODE_NAME, pub, &err) < 0)
		die("%s", err.msg);
	s = build_tree(O.db, (uint64_t)O.n, &id, key);

	bench_loadavg(load);
	fprintf(stderr, "verify: ledger_verify over %ld leaves\n", O.n);
	c0 = cpu_s();
	t0 = now_s();
	memset(&rep, 0, sizeof(rep));
	if (ledger_verify(s, &id, &rep, &err) < 0)
		die("ledger_verify: %s", err.msg);
	secs = now_s() - t0;
	cpu = cpu_s() - c0;
	if (!rep.ok)
		die("ledger_verify: not ok at leaf %" PRId64 ": %s", rep.first_bad, rep.problem);
	if (rep.leaves != (uint64_t)O.n)
		die("ledger_verify saw %" PRIu64 " leaves, expected %ld", rep.leaves, O.n);
	printf("{\"bench\":\"verify\",\"leaves\":%" PRIu64 ",\"checkpoints\":%" PRIu64 ","
	    "\"envelope_entries\":%" PRIu64 ",\"db_bytes\":%lld,\"secs\":%.3f,"
	    "\"entries_per_s\":%.0f,\"cpu_s\":%.3f,",
	    rep.leaves, rep.checkpoints, rep.entries_by_type[LEDGER_ENTRY_ENVELOPE],
	    stat(O.db, &st) == 0 ? (long long)st.st_size : -1LL, secs,
	    (double)rep.leaves / secs, cpu);
	bench_print_machine(load);
	ledger_verify_release(&rep);
	store_close(s);
	cx_key_free(key);
}

/* ---- main ---- */

static const char usage_text[] =
	"usage: ledger_bench append|prove|verify [options]\n"
	"  append   durable ledger appends/s through the single writer (fresh store, WAL,\n"
	"           synchronous=FULL, checkpoints on a second connection), one run per --batch\n"
	"  prove    merkle_inclusion_proof and merkle_consistency_proof over the stored tree\n"
	"           (the tree is built once in --db and reused)\n"
	"  verify   ledger_verify (`liaison log verify`) over a log with a checkpoint signed\n"
	"           every 100000 leaves (built once in --db, its key in DB.key, and reused)\n"
	"options:\n"
	"  --n N          append: appends per configuration (default 200000);\n"
	"                 prove: leaves (default 10000000); verify: leaves (default 1000000)\n"
	"  --batch K      append: entries per writer job (repeatable; default 1, 16, 256)\n"
	"  --inflight N   append: entries submitted but not committed, at most (default 16384)\n"
	"  --batch-max N  append: the writer's batch_max (default 8192, as liaison.conf)\n"
	"  --samples N    prove: proofs of each kind (default 100000)\n"
	"  --db PATH      prove: default ./bench-ledger-10m.db;\n"
	"                 verify: default ./bench-ledger-1m.db\n"
	"  --work DIR     append: where the temporary store goes (default .; a tmpfs\n"
	"                 would make fsync free)\n"
	"  --keep         append: keep the temporary stores\n"
	"Prints progress on stderr and one JSON line per measurement on stdout.\n"
	"Exit status 1 only if something failed, never because a target was missed.\n";

static void
parse_opts(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "n", required_argument, NULL, 'n' },
		{ "batch", required_argument, NULL, 'b' },
		{ "inflight", required_argument, NULL, 'i' },
		{ "batch-max", required_argument, NULL, 'm' },
		{ "samples", required_argument, NULL, 's' },
		{ "db", required_argument, NULL, 'd' },
		{ "work", required_argument, NULL, 'w' },
		{ "keep", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	O = (struct opts){ .n = -1, .inflight = 16384, .batch_max = 8192, .samples = 100000,
			   .work = "." };
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'n': O.n = num_arg("n", optarg, 1, 1000000000); break;
		case 'b':
			if (O.n_batches == MAX_BATCHES)
				die("at most %d --batch options", MAX_BATCHES);
			O.batches[O.n_batches++] = num_arg("batch", optarg, 1, 65536);
			break;
		case 'i': O.inflight = num_arg("inflight", optarg, 1, 100000000); break;
		case 'm': O.batch_max = num_arg("batch-max", optarg, 1, 10000000); break;
		case 's': O.samples = num_arg("samples", optarg, 1, 100000000); break;
		case 'd': O.db = optarg; break;
		case 'w': O.work = optarg; break;
		case 'k': O.keep = 1; break;
		case 'h': fputs(usage_text, stdout); exit(0);
		default: fputs(usage_text, stderr); exit(1);
		}
	}
	if (optind + 1 != argc) {
		fputs(usage_text, stderr);
		exit(1);
	}
	if (strcmp(argv[optind], "append") == 0)
		O.mode = M_APPEND;
	else if (strcmp(argv[optind], "prove") == 0)
		O.mode = M_PROVE;
	else if (strcmp(argv[optind], "verify") == 0)
		O.mode = M_VERIFY;
	else
		die("unknown measurement '%s' (append, prove or verify)", argv[optind]);
	if (O.n_batches == 0) {
		O.batches[0] = 1;
		O.batches[1] = 16;
		O.batches[2] = 256;
		O.n_batches = 3;
	}
	if (O.n < 0)
		O.n = O.mode == M_APPEND ? 200000 : O.mode == M_PROVE ? 10000000 : 1000000;
	if (O.mode == M_PROVE && O.n < 2)
		die("prove needs --n 2 or more");
	if (O.db == NULL)
		O.db = O.mode == M_PROVE ? "bench-ledger-10m.db" : "bench-ledger-1m.db";
}

int
main(int argc, char **argv)
{
	int i;

	parse_opts(argc, argv);
	rng_init();
	switch (O.mode) {
	case M_APPEND:
		for (i = 0; i < O.n_batches; i++)
			bench_append(O.batches[i]);
		break;
	case M_PROVE:
		bench_prove();
		break;
	case M_VERIFY:
		bench_verify();
		break;
	}
	return 0;
}
