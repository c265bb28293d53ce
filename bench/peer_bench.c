/*
 * peer_bench: the partner channel measured end to end. It starts two real
 * liaisond processes with fresh homes on 127.0.0.1 (cert-a and cert-b),
 * pairs them with the `liaison` CLI as an operator would, and measures
 *   preload  objects already in A's `shared` when A pairs with B: time from
 *            `partner add` on A until A holds a receipt for every envelope
 *            and the envelopes carry every object;
 *   steady   the nodes paired first, then objects POSTed to A at full speed:
 *            time from the first POST until the last receipt;
 *   latency  one small object POSTed to A on an idle link, until A stores
 *            B's receipt for its envelope.
 * Progress is read from the nodes' stores through store.h on connections of
 * its own, read-only (the daemons stay the only writers). Signatures are
 * verified and commits are durable (synchronous=FULL) on both sides, as in
 * production. It measures; it never asserts a speed: the exit status is 1
 * only when something failed (an object missing, a receipt that does not
 * verify, a daemon that died, a phase over its time limit).
 */
#include "bench_util.h"
#include "wire/envelope.h"
#include "store/store.h"
#include "util/err.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ../shared/data beside the source tree (LIAISON_DATA_DIR, set by bench/CMakeLists.txt). */
#define DEFAULT_BUNDLE LIAISON_DATA_DIR "/attack/enterprise-attack-18.1-rebuilt.json.xz"
#define MAX_THREADS 64
#define MAX_TIDS 64
#define PROGRESS_POLL_MS 50           /* throughput phases: one store read every 50 ms */

/* ---- options ---- */

struct opts {
	const char *bundle;           /* "" : no ATT&CK runs */
	long objects;                 /* synthetic indicators; 0: none */
	long batch, clients;          /* TAXII POSTs that feed A */
	long samples, warmup;         /* latency */
	long poll_us;
	long timeout_s;               /* one phase at most */
	long quiet_s;                 /* wait for an idle machine before a timed window */
	const char *bin;              /* directory of liaison and liaisond */
	const char *work;             /* parent of the temporary homes */
	const char *conf[16];         /* KEY=VALUE for [peer] (and other) keys of both nodes */
	int n_conf;
	int keep;
	int phases;                   /* PH_* bits */
};

enum { PH_PRELOAD = 1 << 0, PH_STEADY = 1 << 1, PH_LATENCY = 1 << 2 };

static struct opts O;
static char work_dir[PATH_MAX];
static char phase_dir[PATH_MAX + 64]; /* work_dir/N-PHASE-SET: the homes of one phase */
static char liaison_bin[PATH_MAX], liaisond_bin[PATH_MAX];

/* ---- the nodes ---- */

struct node {
	const char *name;
	char home[PATH_MAX];
	char log[PATH_MAX + 16];
	char cacert[PATH_MAX + 16];
	char url[64];                 /* https://127.0.0.1:PORT */
	char token[256];
	char shared[64];              /* id of the collection `shared` */
	pid_t pid;
	int port, peer_port;
	struct store *st;             /* read connection of this benchmark */
};

static struct node *live[8];       /* started daemons, stopped at exit */
static int n_live;

static void
stop_node(struct node *n)
{
	int st, i;

	if (n->st != NULL) {
		store_close(n->st);
		n->st = NULL;
	}
	if (n->pid <= 0)
		return;
	kill(n->pid, SIGTERM);
	for (i = 0; i < 600; i++) { /* 60 s for a clean stop, then SIGKILL */
		if (waitpid(n->pid, &st, WNOHANG) == n->pid)
			break;
		usleep(100000);
	}
	if (i == 600) {
		fprintf(stderr, "peer_bench: %s did not stop in 60 s; killing it\n", n->name);
		kill(n->pid, SIGKILL);
		waitpid(n->pid, &st, 0);
	}
	n->pid = 0;
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void
cleanup(void)
{
	int i;

	for (i = 0; i < n_live; i++)
		stop_node(live[i]);
	n_live = 0;
	if (work_dir[0] == '\0')
		return;
	if (O.keep)
		fprintf(stderr, "peer_bench: homes and logs kept in %s\n", work_dir);
	else
		nftw(work_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	work_dir[0] = '\0';
}

static void
on_signal(int sig)
{
	exit(128 + sig); /* runs cleanup: the daemons this program started are stopped */
}

/*
 * Runs a command and waits for it; its standard output goes to out (if not
 * NULL), its standard error to a file shown if it fails. Dies on failure.
 */
static void
run(const char *const argv[], struct sbuf *out)
{
	char errpath[PATH_MAX + 16], chunk[4096];
	int fds[2], st = 0, efd;
	pid_t pid;
	ssize_t n;

	snprintf(errpath, sizeof(errpath), "%s/cmd.err", work_dir);
	if (pipe(fds) < 0 || (pid = fork()) < 0)
		die("cannot run %s: %s", argv[0], strerror(errno));
	if (pid == 0) {
		efd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fds[1], STDOUT_FILENO);
		if (efd >= 0)
			dup2(efd, STDERR_FILENO);
		close(fds[0]);
		close(fds[1]);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	while ((n = read(fds[0], chunk, sizeof(chunk))) > 0)
		if (out != NULL)
			sb_add(out, chunk, (size_t)n);
	close(fds[0]);
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		struct sbuf e = { 0 };
		int i;
		fprintf(stderr, "peer_bench: this command failed (status %d):", st);
		for (i = 0; argv[i]; i++)
			fprintf(stderr, " %s", argv[i]);
		read_input(errpath, &e);
		fprintf(stderr, "\n%s", e.data ? e.data : "");
		die("a command failed");
	}
}

static void
trim(struct sbuf *b)
{
	while (b->len > 0 && (b->data[b->len - 1] == '\n' || b->data[b->len - 1] == '\r'))
		b->data[--b->len] = '\0';
}

/* Sets KEY = VALUE in liaison.conf (the key must exist: every key is written by init). */
static void
conf_set(const struct node *n, const char *kv)
{
	char path[PATH_MAX + 16], key[128];
	const char *eq = strchr(kv, '=');
	struct sbuf in = { 0 }, out = { 0 };
	char *line, *save = NULL;
	int hit = 0;
	FILE *f;

	if (eq == NULL || (size_t)(eq - kv) >= sizeof(key))
		die("--conf wants KEY=VALUE, not '%s'", kv);
	snprintf(key, sizeof(key), "%.*s", (int)(eq - kv), kv);
	snprintf(path, sizeof(path), "%s/liaison.conf", n->home);
	read_input(path, &in);
	for (line = strtok_r(in.data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		size_t k = strlen(key);
		if (strncmp(line, key, k) == 0 && (line[k] == ' ' || line[k] == '=')) {
			sb_printf(&out, "%s = %s\n", key, eq + 1);
			hit = 1;
		} else {
			sb_printf(&out, "%s\n", line);
		}
	}
	if (!hit)
		die("--conf %s: liaison.conf has no key '%s'", kv, key);
	if ((f = fopen(path, "w")) == NULL || fwrite(out.data, 1, out.len, f) != out.len ||
	    fclose(f) != 0)
		die("cannot write %s", path);
	free(in.data);
	free(out.data);
}

/* A fresh home with a user `bench` (admin) and its token; not started. */
static void
node_init(struct node *n, const char *name)
{
	struct sbuf out = { 0 };
	json_t *doc, *c;
	size_t i;
	int k;

	memset(n, 0, sizeof(*n));
	n->name = name;
	snprintf(n->home, sizeof(n->home), "%s/%s", phase_dir, name);
	snprintf(n->log, sizeof(n->log), "%s/liaisond.log", n->home);
	snprintf(n->cacert, sizeof(n->cacert), "%s/tls/cert.pem", n->home);
	/* port 0: each daemon picks free ports and logs them */
	run((const char *[]){ liaison_bin, "--home", n->home, "init", "--name", name, "--listen",
	    "127.0.0.1:0", "--peer-listen", "127.0.0.1:0", NULL }, NULL);
	for (k = 0; k < O.n_conf; k++)
		conf_set(n, O.conf[k]);
	run((const char *[]){ liaison_bin, "--home", n->home, "user", "add", "bench", "--admin",
	    NULL }, NULL);
	run((const char *[]){ liaison_bin, "--home", n->home, "token", "create", "bench", NULL },
	    &out);
	trim(&out);
	if (out.len == 0 || out.len >= sizeof(n->token))
		die("liaison token create printed no token");
	memcpy(n->token, out.data, out.len + 1);
	out.len = 0;
	run((const char *[]){ liaison_bin, "--home", n->home, "collection", "list", "--json", NULL },
	    &out);
	doc = json_loadb(out.data, out.len, 0, NULL);
	json_array_foreach(json_object_get(doc, "collections"), i, c) {
		const char *t = json_string_value(json_object_get(c, "title"));
		if (t && strcmp(t, "shared") == 0)
			snprintf(n->shared, sizeof(n->shared), "%s",
			    json_string_value(json_object_get(c, "id")));
	}
	json_decref(doc);
	free(out.data);
	if (n->shared[0] == '\0')
		die("%s has no collection 'shared'", name);
}

/* Finds the first log line with all the given fragments; returns it parsed, or NULL. */
static json_t *
log_find(const struct node *n, const char *a, const char *b)
{
	struct sbuf text = { 0 };
	json_t *j = NULL;
	char *line, *save = NULL;
	FILE *f = fopen(n->log, "r");
	char chunk[1 << 16];
	size_t k;

	if (f == NULL)
		return NULL;
	while ((k = fread(chunk, 1, sizeof(chunk), f)) > 0)
		sb_add(&text, chunk, k);
	fclose(f);
	for (line = text.data ? strtok_r(text.data, "\n", &save) : NULL; line && j == NULL;
	    line = strtok_r(NULL, "\n", &save))
		if (strstr(line, a) && (b == NULL || strstr(line, b)))
			j = json_loads(line, 0, NULL);
	free(text.data);
	return j;
}

static void
check_alive(const struct node *n)
{
	int st;

	if (n->pid > 0 && waitpid(n->pid, &st, WNOHANG) == n->pid) {
		struct sbuf l = { 0 };
		read_input(n->log, &l);
		fprintf(stderr, "%s", l.data ? l.data : "");
		die("liaisond of %s exited (status %d); its log is above", n->name, st);
	}
}

static void
node_start(struct node *n)
{
	char spec[PATH_MAX + 16];
	struct err err = ERR_INIT;
	json_t *ev = NULL;
	int fd, i;

	if ((n->pid = fork()) < 0)
		die("fork: %s", strerror(errno));
	if (n->pid == 0) {
		fd = open(n->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd < 0)
			_exit(126);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		execl(liaisond_bin, liaisond_bin, "--home", n->home, (char *)NULL);
		_exit(127);
	}
	live[n_live++] = n;
	for (i = 0; i < 200 && ev == NULL; i++) { /* 10 s */
		usleep(50000);
		check_alive(n);
		ev = log_find(n, "\"event\":\"started\"", NULL);
	}
	if (ev == NULL)
		die("liaisond of %s did not log 'started' within 10 s (log %s)", n->name, n->log);
	n->port = (int)json_integer_value(json_object_get(ev, "port"));
	n->peer_port = (int)json_integer_value(json_object_get(ev, "peer_port"));
	json_decref(ev);
	snprintf(n->url, sizeof(n->url), "https://127.0.0.1:%d", n->port);
	snprintf(spec, sizeof(spec), "%s/store.db", n->home);
	if (store_open(spec, 0, &n->st, &err) < 0)
		die("cannot open %s: %s", spec, err.msg);
}

/* x pins y: y's identity document, confirmed (--yes), with y's peer endpoint. */
static double
pair(struct node *x, const struct node *y)
{
	char doc[PATH_MAX + 32], ep[64];
	struct sbuf out = { 0 };
	FILE *f;
	double t;

	snprintf(doc, sizeof(doc), "%s/%s.identity.json", phase_dir, y->name);
	run((const char *[]){ liaison_bin, "--home", y->home, "identity", "export", NULL }, &out);
	if ((f = fopen(doc, "w")) == NULL || fwrite(out.data, 1, out.len, f) != out.len ||
	    fclose(f) != 0)
		die("cannot write %s", doc);
	free(out.data);
	snprintf(ep, sizeof(ep), "https://127.0.0.1:%d", y->peer_port);
	t = now_s();
	run((const char *[]){ liaison_bin, "--home", x->home, "partner", "add", doc, "--endpoint", ep,
	    "--yes", NULL }, NULL);
	return t;
}

/* RFC 3339 UTC with microseconds, as the daemons log it, to Unix microseconds. */
static int64_t
parse_log_time(const char *s)
{
	struct tm tm = { 0 };
	long us = 0;
	int n = 0;

	if (s == NULL || sscanf(s, "%d-%d-%dT%d:%d:%d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	    &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6)
		return 0;
	if (s[n] == '.') {
		int d = 0;
		for (n++; s[n] >= '0' && s[n] <= '9'; n++, d++)
			if (d < 6)
				us = us * 10 + (s[n] - '0');
		for (; d < 6; d++)
			us *= 10;
	}
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t)timegm(&tm) * 1000000 + us;
}

/* Waits (bounded) until n logged link_started for partner; returns the logged time. */
static int64_t
wait_link(const struct node *n, const char *partner)
{
	char frag[128];
	json_t *ev = NULL;
	int64_t t;
	int i;

	snprintf(frag, sizeof(frag), "\"partner\":\"%s\"", partner);
	for (i = 0; i < 200 && ev == NULL; i++) { /* the daemon flushes its log every 200 ms */
		check_alive(n);
		if ((ev = log_find(n, "\"event\":\"link_started\"", frag)) == NULL)
			usleep(25000);
	}
	if (ev == NULL)
		die("%s did not start its link to %s within 5 s", n->name, partner);
	t = parse_log_time(json_string_value(json_object_get(ev, "time")));
	json_decref(ev);
	return t;
}

static int64_t
wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- CPU: the machine, each daemon and its threads, this program ---- */

struct tick {
	int tid;
	unsigned long long t;         /* utime + stime, clock ticks */
};

struct cpumark {
	double machine_s, self_s;
	unsigned long long proc[2];
	struct tick th[2][MAX_TIDS];
	int n_th[2];
	long long wbytes[2];
};

static unsigned long long
stat_ticks(const char *path)
{
	char line[1024], *p;
	unsigned long ut = 0, st = 0;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return 0;
	if (fgets(line, sizeof(line), f) && (p = strrchr(line, ')')) != NULL)
		sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st);
	fclose(f);
	return ut + st;
}

static int
cmp_tick(const void *a, const void *b)
{
	return ((const struct tick *)a)->tid - ((const struct tick *)b)->tid;
}

static void
cpu_mark(const struct node *const nodes[2], struct cpumark *m)
{
	unsigned long long v[8] = { 0 };
	double hz = (double)sysconf(_SC_CLK_TCK);
	char path[128], line[256];
	struct dirent *de;
	FILE *f;
	DIR *d;
	int k;

	memset(m, 0, sizeof(*m));
	m->self_s = cpu_s();
	if ((f = fopen("/proc/stat", "r")) != NULL) {
		if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
		    &v[4], &v[5], &v[6], &v[7]) == 8) /* user nice system idle iowait irq softirq steal */
			m->machine_s = (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / hz;
		fclose(f);
	}
	for (k = 0; k < 2; k++) {
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)nodes[k]->pid);
		m->proc[k] = stat_ticks(path);
		snprintf(path, sizeof(path), "/proc/%d/io", (int)nodes[k]->pid);
		if ((f = fopen(path, "r")) != NULL) {
			while (fgets(line, sizeof(line), f))
				if (sscanf(line, "write_bytes: %lld", &m->wbytes[k]) == 1)
					break;
			fclose(f);
		}
		snprintf(path, sizeof(path), "/proc/%d/task", (int)nodes[k]->pid);
		if ((d = opendir(path)) == NULL)
			continue;
		while ((de = readdir(d)) != NULL && m->n_th[k] < MAX_TIDS) {
			char tp[300];
			if (de->d_name[0] == '.')
				continue;
			snprintf(tp, sizeof(tp), "%s/%s/stat", path, de->d_name);
			m->th[k][m->n_th[k]].tid = atoi(de->d_name);
			m->th[k][m->n_th[k]++].t = stat_ticks(tp);
		}
		closedir(d);
		qsort(m->th[k], (size_t)m->n_th[k], sizeof(struct tick), cmp_tick);
	}
}

/*
 * Threads are named by the order they were started in (liaisond does not
 * name them): the loop (the process's first thread), the writer, its
 * checkpointer, then a packer and a sender per link.
 */
static const char *
thread_role(int i)
{
	static const char *const roles[] = { "loop", "writer", "checkpointer", "packer", "sender" };

	return i < 5 ? roles[i] : "other";
}

static void
cpu_report(const struct node *const nodes[2], const struct cpumark *a, const struct cpumark *b,
    double secs, json_t *j)
{
	double hz = (double)sysconf(_SC_CLK_TCK), mach = b->machine_s - a->machine_s;
	double self = b->self_s - a->self_s, dn[2], other;
	json_t *threads = json_object();
	int k, i, x;

	for (k = 0; k < 2; k++)
		dn[k] = (double)(b->proc[k] - a->proc[k]) / hz;
	other = mach - self - dn[0] - dn[1];
	if (other < 0)
		other = 0;
	printf("  cpu over %.2f s on %ld cores: machine %.2f s; %s %.2f s (%.2f cores), "
	    "%s %.2f s (%.2f cores), peer_bench %.2f s, other processes %.2f s\n", secs,
	    sysconf(_SC_NPROCESSORS_ONLN), mach, nodes[0]->name, dn[0], dn[0] / secs,
	    nodes[1]->name, dn[1], dn[1] / secs, self, other);
	for (k = 0; k < 2; k++) {
		json_t *tj = json_object();
		printf("    %s threads (cpu s, tid):", nodes[k]->name);
		for (i = 0; i < b->n_th[k]; i++) {
			unsigned long long t0 = 0;
			double s;
			for (x = 0; x < a->n_th[k]; x++)
				if (a->th[k][x].tid == b->th[k][i].tid)
					t0 = a->th[k][x].t;
			s = (double)(b->th[k][i].t - t0) / hz;
			printf(" %s %.2f (%d)", thread_role(i), s, b->th[k][i].tid);
			json_object_set_new(tj, thread_role(i), json_real(s));
		}
		printf("; wrote %.1f MB\n", (double)(b->wbytes[k] - a->wbytes[k]) / 1e6);
		json_object_set_new(threads, nodes[k]->name, tj);
		json_object_set_new(j, k ? "b_cpu_s" : "a_cpu_s", json_real(dn[k]));
		json_object_set_new(j, k ? "b_write_mb" : "a_write_mb",
		    json_real((double)(b->wbytes[k] - a->wbytes[k]) / 1e6));
	}
	json_object_set_new(j, "threads_cpu_s", threads);
	json_object_set_new(j, "machine_cpu_s", json_real(mach));
	json_object_set_new(j, "bench_cpu_s", json_real(self));
	json_object_set_new(j, "other_cpu_s", json_real(other));
}

/* ---- /metrics: commits (one fsync each), checkpoints, exchange counters ---- */

struct metrics {
	double batches, items, checkpoints, env_sent, env_received, obj_received;
};

static double
metric(const char *text, const char *name)
{
	size_t k = strlen(name);
	const char *p = text;

	while ((p = strstr(p, name)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[k] == ' ')
			return strtod(p + k + 1, NULL);
		p += k;
	}
	return 0;
}

static void
metrics_get(const struct node *n, struct metrics *m)
{
	struct client c;
	char url[128];

	client_init(&c, n->token, n->cacert);
	snprintf(url, sizeof(url), "%s/metrics", n->url);
	client_do(&c, url, NULL, 0);
	expect_status(&c, 200, "GET /metrics");
	m->batches = metric(c.body.data, "liaison_store_batches_total");
	m->items = metric(c.body.data, "liaison_store_batch_items_total");
	m->checkpoints = metric(c.body.data, "liaison_store_checkpoints_total");
	m->env_sent = metric(c.body.data, "liaison_peer_envelopes_total{event=\"sent\"}");
	m->env_received = metric(c.body.data, "liaison_peer_envelopes_total{event=\"received\"}");
	m->obj_received = metric(c.body.data, "liaison_peer_objects_total{event=\"received\"}");
	client_release(&c);
}

static void
metrics_report(const struct node *n, const struct metrics *a, const struct metrics *b,
    double secs, json_t *j, const char *key)
{
	double commits = b->batches - a->batches, items = b->items - a->items;

	printf("    %s: %.0f commits (%.1f/s, one WAL fsync each; %.0f items each on average), "
	    "%.0f checkpoints\n", n->name, commits, commits / secs, commits > 0 ? items / commits : 0,
	    b->checkpoints - a->checkpoints);
	json_object_set_new(j, key, json_pack("{s:f,s:f,s:f}", "commits", commits, "items", items,
	    "checkpoints", b->checkpoints - a->checkpoints));
}

/* ---- loading A over TAXII ---- */

struct feed {
	const char *url;
	const struct node *n;
	struct envelope *env;
	long n_env;
	atomic_long next, ok;
	double done_s;                /* when the last POST was answered */
};

static void *
feed_main(void *arg)
{
	struct feed *fd = arg;
	struct client c;
	json_t *st;
	long i;

	client_init(&c, fd->n->token, fd->n->cacert);
	while ((i = atomic_fetch_add(&fd->next, 1)) < fd->n_env) {
		client_do(&c, fd->url, fd->env[i].data, fd->env[i].len);
		expect_status(&c, 202, "POST objects");
		st = json_loadb(c.body.data, c.body.len, 0, NULL);
		if (json_integer_value(json_object_get(st, "success_count")) != fd->env[i].n)
			die("POST objects: not every object was stored: %.300s", c.body.data);
		json_decref(st);
		atomic_fetch_add(&fd->ok, fd->env[i].n);
	}
	client_release(&c);
	return NULL;
}

static void
feed_start(struct feed *fd, pthread_t *th)
{
	long i;

	for (i = 0; i < O.clients; i++)
		if (pthread_create(&th[i], NULL, feed_main, fd) != 0)
			die("cannot start a thread");
}

static void
feed_join(struct feed *fd, pthread_t *th)
{
	long i;

	for (i = 0; i < O.clients; i++)
		pthread_join(th[i], NULL);
	fd->done_s = now_s();
}

/* The objects of one data set, as TAXII POST bodies of O.batch objects. */
struct dataset {
	const char *name;             /* "attack" or "synthetic" */
	struct envelope *env;
	long n_env, n;
	size_t bytes;
};

static void
dataset_free(struct dataset *d)
{
	long i;

	for (i = 0; i < d->n_env; i++)
		free(d->env[i].data);
	free(d->env);
}

static void
dataset_make(struct dataset *d, const char *name)
{
	memset(d, 0, sizeof(*d));
	d->name = name;
	if (strcmp(name, "attack") == 0)
		d->env = load_bundle(O.bundle, O.batch, &d->n_env, &d->n, &d->bytes);
	else {
		d->n = O.objects;
		d->env = gen_envelopes(d->n, O.batch, &d->n_env, &d->bytes);
	}
}

/* ---- progress, read from A's store ---- */

struct out_summary {
	uint64_t envelopes, receipted, items;
	uint64_t stored, duplicate, refused, bad;
	int64_t first_created_us, last_receipt_us;
	uint64_t bytes, max_items;
	const uint8_t *key;           /* B's public key: receipts are checked under it */
	int with_receipts;
};

static int
sum_env(void *arg, const struct store_envelope *e)
{
	struct out_summary *s = arg;
	struct err err = ERR_INIT;
	struct rcpt r;

	s->envelopes++;
	s->items += e->items;
	s->bytes += e->len;
	if (e->items > s->max_items)
		s->max_items = e->items;
	if (s->first_created_us == 0 || e->created_us < s->first_created_us)
		s->first_created_us = e->created_us;
	if (e->receipt != NULL) {
		s->receipted++;
		if (e->receipt_us > s->last_receipt_us)
			s->last_receipt_us = e->receipt_us;
	}
	if (!s->with_receipts || e->receipt == NULL)
		return 0;
	if (rcpt_open(e->receipt, e->receipt_len, s->key, &r, &err) < 0 || r.seq != e->seq ||
	    memcmp(r.env_id, e->id, 32) != 0) {
		s->bad++;
		return 0;
	}
	s->stored += r.stored;
	s->duplicate += r.duplicate;
	s->refused += r.refused;
	return 0;
}

static void
out_scan(struct node *a, const struct store_partner *p, int full, struct out_summary *s)
{
	struct store_env_query q = { 0 };
	struct err err = ERR_INIT;

	memset(s, 0, sizeof(*s));
	s->key = p->key;
	s->with_receipts = full;
	q.partner = p->rowid;
	q.dir = STORE_OUT;
	q.flags = full ? STORE_ENV_BYTES : 0;
	if (store_env_scan(a->st, &q, sum_env, s, &err) < 0)
		die("reading %s's envelopes: %s", a->name, err.msg);
}

static int64_t
coll_count(struct node *n, const char *title)
{
	struct store_collection c;
	struct err err = ERR_INIT;
	int64_t v = 0;

	if (store_coll_find(n->st, title, &c, &err) < 0 ||
	    store_objects_count(n->st, c.rowid, &v, &err) < 0)
		die("counting %s's collection %s: %s", n->name, title, err.msg);
	return v;
}

/*
 * Polls A's store every PROGRESS_POLL_MS until every envelope to B has a
 * receipt and the envelopes carry `expect` objects. Returns when that
 * holds, or dies at the time limit.
 */
static void
wait_receipted(struct node *a, struct node *b, const struct store_partner *p, long expect,
    double t0)
{
	struct err err = ERR_INIT;
	struct out_summary s;
	uint64_t seq = 0, rc = 0;
	double next_note = now_s() + 5;

	for (;;) {
		if (store_env_last(a->st, p->rowid, STORE_OUT, &seq, &rc, &err) < 0)
			die("reading %s's envelopes: %s", a->name, err.msg);
		if (seq > 0 && rc == seq) {
			out_scan(a, p, 0, &s);
			if ((long)s.items >= expect)
				return;
		}
		if (now_s() - t0 > (double)O.timeout_s)
			die("not every object was receipted within %ld s (%llu envelopes, %llu "
			    "receipted); logs in %s", O.timeout_s, (unsigned long long)seq,
			    (unsigned long long)rc, work_dir);
		if (now_s() > next_note) {
			fprintf(stderr, "  ... %.0f s: %llu envelopes packed, %llu receipted\n",
			    now_s() - t0, (unsigned long long)seq, (unsigned long long)rc);
			next_note += 5;
		}
		check_alive(a);
		check_alive(b);
		usleep(PROGRESS_POLL_MS * 1000);
	}
}

static void
partner_of(struct node *x, const char *name, struct store_partner *p)
{
	struct err err = ERR_INIT;

	if (store_partner_find(x->st, name, p, &err) < 0)
		die("%s has no partner %s: %s", x->name, name, err.msg);
}

/* ---- an idle machine before a timed window ---- */

static double
busy_s(void)
{
	struct cpumark m;
	const struct node none = { .pid = -1 };
	const struct node *nn[2] = { &none, &none };

	cpu_mark(nn, &m);
	return m.machine_s;
}

static void
wait_quiet(void)
{
	double a, b = 0;
	long i;

	for (i = 0; i < O.quiet_s; i++) {
		a = busy_s();
		sleep(1);
		b = busy_s() - a;
		if (b <= 0.2) /* 20% of one core */
			return;
	}
	if (O.quiet_s > 0)
		printf("  (the machine stayed busy: %.0f%% of a core in the last second before "
		    "the timed window)\n", b * 100);
}

/* ---- the phases ---- */

static json_t *results;

static void
emit(json_t *j)
{
	json_array_append(results, j);
	json_decref(j);
}

/* The two nodes of one phase, and A's view of B. */
struct pair {
	struct node a, b;
	struct store_partner p;       /* cert-b, as A's store has it (rowid, key) */
	char url[256];                /* A's shared collection, for POSTs */
};

/* A fresh pair in a folder of its own: both nodes initialised and started. */
static void
pair_up(struct pair *x, const char *phase, const char *set)
{
	static int count;

	snprintf(phase_dir, sizeof(phase_dir), "%s/%d-%s%s%s", work_dir, ++count, phase,
	    set ? "-" : "", set ? set : "");
	if (mkdir(phase_dir, 0700) < 0)
		die("cannot make %s: %s", phase_dir, strerror(errno));
	node_init(&x->a, "cert-a");
	node_init(&x->b, "cert-b");
	node_start(&x->a);
	node_start(&x->b);
	snprintf(x->url, sizeof(x->url), "%s/liaison/collections/%s/objects/", x->a.url,
	    x->a.shared);
}

/* B pins A (and starts its link), so A's first delivery is not refused at the handshake. */
static void
pair_b_to_a(struct pair *x)
{
	pair(&x->b, &x->a);
	wait_link(&x->b, "cert-a");
}

/* Both ways, both links running. */
static void
pair_both(struct pair *x)
{
	pair_b_to_a(x);
	pair(&x->a, &x->b);
	wait_link(&x->a, "cert-b");
	partner_of(&x->a, "cert-b", &x->p);
}

static void
pair_down(struct pair *x)
{
	stop_node(&x->a);
	stop_node(&x->b);
	n_live = 0;
	if (!O.keep)
		nftw(phase_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A timed window: where the CPU, the commits and the clocks stood at its start. */
struct window {
	struct cpumark c;
	struct metrics ma, mb;
	double t0;                    /* CLOCK_MONOTONIC */
	int64_t t0_wall;              /* CLOCK_REALTIME, the daemons' clock */
};

static void
window_open(struct pair *x, struct window *w)
{
	const struct node *nodes[2] = { &x->a, &x->b };

	wait_quiet();
	metrics_get(&x->a, &w->ma);
	metrics_get(&x->b, &w->mb);
	cpu_mark(nodes, &w->c);
	w->t0_wall = wall_us();
	w->t0 = now_s();
}

/* Prints and records the CPU and commits since the window opened. */
static void
window_close(struct pair *x, const struct window *w, json_t *j)
{
	const struct node *nodes[2] = { &x->a, &x->b };
	struct cpumark c1;
	struct metrics ma1, mb1;
	double secs;

	cpu_mark(nodes, &c1);
	metrics_get(&x->a, &ma1);
	metrics_get(&x->b, &mb1);
	secs = now_s() - w->t0;
	cpu_report(nodes, &w->c, &c1, secs, j);
	metrics_report(&x->a, &w->ma, &ma1, secs, j, "a_store");
	metrics_report(&x->b, &w->mb, &mb1, secs, j, "b_store");
}

/* Feeds A's shared with every POST of d from O.clients threads; returns the seconds. */
static double
feed_all(struct pair *x, const struct dataset *d)
{
	struct feed fd = { .url = x->url, .n = &x->a, .env = d->env, .n_env = d->n_env };
	pthread_t th[MAX_THREADS];
	double t0 = now_s();

	feed_start(&fd, th);
	feed_join(&fd, th);
	return fd.done_s - t0;
}

/*
 * The figures of one throughput run, once A holds every receipt; dies if
 * the receipts or B's collection do not account for every object.
 * link_us: when A's link started (preload), else 0; feed_s: how long the
 * POSTs took (steady), else 0.
 */
static void
report_throughput(struct pair *x, const struct dataset *d, const char *phase,
    const struct window *w, int64_t link_us, double feed_s)
{
	struct out_summary s;
	int preload = strcmp(phase, "preload") == 0;
	int64_t in_b, expect;
	double secs, from_link;
	json_t *j;

	out_scan(&x->a, &x->p, 1, &s);
	expect = coll_count(&x->a, "shared");
	in_b = coll_count(&x->b, "from-cert-a");
	secs = (double)(s.last_receipt_us - w->t0_wall) / 1e6;
	from_link = (double)(s.last_receipt_us - link_us) / 1e6;
	printf("  A -> B: %lld objects in %llu envelopes (%.0f objects, %.2f MB each on average, "
	    "at most %llu objects)\n", (long long)s.items, (unsigned long long)s.envelopes,
	    (double)s.items / (double)s.envelopes, (double)s.bytes / 1e6 / (double)s.envelopes,
	    (unsigned long long)s.max_items);
	printf("  last receipt stored on A %.3f s after %s: %.0f objects/s, %.1f envelopes/s, "
	    "%.1f MB/s of envelopes\n", secs, preload ? "`partner add` on A" :
	    "the first POST to A", (double)s.items / secs, (double)s.envelopes / secs,
	    (double)s.bytes / 1e6 / secs);
	if (preload)
		printf("  A's link started %.3f s after `partner add` (partner add wakes the "
		    "daemon with SIGHUP); from there: %.3f s, %.0f objects/s\n",
		    (double)(link_us - w->t0_wall) / 1e6, from_link, (double)s.items / from_link);
	else
		printf("  feeding A took %.3f s (%.0f objects/s); the last receipt came %.3f s "
		    "after the last 202\n", feed_s, (double)d->n / feed_s, secs - feed_s);
	printf("  receipts: %llu of %llu verified under B's key: %llu new, %llu duplicate, %llu "
	    "refused; B's from-cert-a holds %lld of %lld (seen by polling after %.2f s)\n",
	    (unsigned long long)(s.receipted - s.bad), (unsigned long long)s.envelopes,
	    (unsigned long long)s.stored, (unsigned long long)s.duplicate,
	    (unsigned long long)s.refused, (long long)in_b, (long long)expect, now_s() - w->t0);
	j = json_pack("{s:s,s:s,s:s,s:I,s:f,s:I,s:I,s:f,s:f,s:f}", "bench", "peer", "phase", phase,
	    "set", d->name, "objects", (json_int_t)s.items, "bytes_per_object",
	    d->n ? (double)d->bytes / (double)d->n : 0.0, "envelopes", (json_int_t)s.envelopes,
	    "envelope_bytes", (json_int_t)s.bytes, "seconds", secs, "objects_per_s",
	    (double)s.items / secs, "envelopes_per_s", (double)s.envelopes / secs);
	if (preload) {
		json_object_set_new(j, "link_start_s", json_real((double)(link_us - w->t0_wall) / 1e6));
		json_object_set_new(j, "objects_per_s_from_link", json_real((double)s.items / from_link));
	} else {
		json_object_set_new(j, "feed_s", json_real(feed_s));
	}
	window_close(x, w, j);
	if (s.bad || s.receipted != s.envelopes || s.refused || in_b != expect ||
	    (int64_t)(s.stored + s.duplicate) != expect)
		die("%s %s: the receipts or B's collection do not account for every object "
		    "(run again with --keep to inspect the homes)", phase, d->name);
	emit(j);
}

static void
phase_preload(const struct dataset *d)
{
	struct pair x;
	struct window w;
	double secs;
	int64_t link_us;
	long expect;

	printf("\n== preload, %s: %ld objects stored in A's shared, then A pairs with B\n",
	    d->name, d->n);
	pair_up(&x, "preload", d->name);
	secs = feed_all(&x, d);
	expect = (long)coll_count(&x.a, "shared");
	printf("  loaded A over TAXII: %ld objects in %.2f s (%.0f objects/s, %ld clients, %ld "
	    "per POST; not part of the figure)\n", expect, secs, (double)expect / secs, O.clients,
	    O.batch);
	pair_b_to_a(&x);
	window_open(&x, &w);
	pair(&x.a, &x.b);
	partner_of(&x.a, "cert-b", &x.p);
	wait_receipted(&x.a, &x.b, &x.p, expect, w.t0);
	link_us = wait_link(&x.a, "cert-b");
	report_throughput(&x, d, "preload", &w, link_us, 0);
	pair_down(&x);
}

static void
phase_steady(const struct dataset *d)
{
	struct pair x;
	struct window w;
	double feed_s;

	printf("\n== steady, %s: A and B paired, then %ld objects POSTed to A's shared at full "
	    "speed (%ld clients, %ld per POST)\n", d->name, d->n, O.clients, O.batch);
	pair_up(&x, "steady", d->name);
	pair_both(&x);
	window_open(&x, &w);
	feed_s = feed_all(&x, d);
	/* the total is known once the feeders are done; the receipts kept coming meanwhile */
	wait_receipted(&x.a, &x.b, &x.p, (long)coll_count(&x.a, "shared"), w.t0);
	report_throughput(&x, d, "steady", &w, 0, feed_s);
	pair_down(&x);
}

/* One latency sample: when each step happened, in ms after the POST started. */
struct lat {
	double accepted;              /* TAXII 202 back at the client */
	double signed_;               /* envelope signed on A (its header time) */
	double receipt_signed;        /* receipt signed on B */
	double receipt_stored;        /* receipt written on A (before its commit) */
	double seen;                  /* the receipt visible in A's store: the figure */
};

static int
cmp_lat(const void *a, const void *b)
{
	double x = ((const struct lat *)a)->seen, y = ((const struct lat *)b)->seen;

	return x < y ? 1 : x > y ? -1 : 0; /* slowest first */
}

static uint64_t
out_receipted(struct pair *x, uint64_t *ret_seq)
{
	struct err err = ERR_INIT;
	uint64_t rc = 0;

	if (store_env_last(x->a.st, x->p.rowid, STORE_OUT, ret_seq, &rc, &err) < 0)
		die("reading A's envelopes: %s", err.msg);
	return rc;
}

/* POSTs one new indicator to A and waits (polling A's store) for its envelope's receipt. */
static struct lat
latency_sample(struct pair *x, struct client *c, long i)
{
	struct sbuf body = { 0 };
	struct store_envelope e;
	struct err err = ERR_INIT;
	struct rcpt r;
	unsigned char rnd[16];
	uint64_t seq, want;
	double t0, t1;
	int64_t w0;
	struct lat L;

	out_receipted(x, &seq);
	want = seq + 1;
	RAND_bytes(rnd, sizeof(rnd));
	sb_add(&body, "{\"objects\":[", 12);
	gen_indicator(&body, i, rnd);
	sb_add(&body, "]}", 2);
	w0 = wall_us();
	t0 = now_s();
	client_do(c, x->url, body.data, body.len);
	t1 = now_s();
	expect_status(c, 202, "POST one object");
	free(body.data);
	while (out_receipted(x, &seq) < want) {
		if (now_s() - t0 > 10)
			die("latency: no receipt for envelope %llu within 10 s (run again with --keep "
			    "to see the daemons' logs)", (unsigned long long)want);
		usleep((useconds_t)O.poll_us);
	}
	L.seen = (now_s() - t0) * 1e3;
	if (seq != want)
		die("latency: one object made envelopes %llu to %llu, not one",
		    (unsigned long long)want, (unsigned long long)seq);
	if (store_env_get(x->a.st, x->p.rowid, STORE_OUT, want, 0, &e, &err) < 0 ||
	    e.receipt == NULL || rcpt_open(e.receipt, e.receipt_len, x->p.key, &r, &err) < 0)
		die("latency: envelope %llu has no valid receipt: %s", (unsigned long long)want,
		    err.msg);
	L.accepted = (t1 - t0) * 1e3;
	L.signed_ = (double)(e.created_us - w0) / 1e3;
	L.receipt_signed = (double)(r.time_us - w0) / 1e3;
	L.receipt_stored = (double)(e.receipt_us - w0) / 1e3;
	return L;
}

/* Percentile p of one step over n samples (sorts a copy). */
static double
step_pct(const struct lat *all, size_t n, size_t off, double p)
{
	struct samples s = { 0 };
	double v;
	size_t i;

	for (i = 0; i < n; i++)
		samples_add(&s, *(const double *)((const char *)&all[i] + off));
	samples_sort(&s);
	v = pct(&s, p);
	free(s.v);
	return v;
}

static void
latency_report(struct pair *x, const struct window *w, struct lat *all, size_t n)
{
	static const struct { const char *name, *key; size_t off; } steps[] = {
		{ "TAXII 202 back", "accepted", offsetof(struct lat, accepted) },
		{ "envelope signed on A", "signed", offsetof(struct lat, signed_) },
		{ "receipt signed on B", "receipt_signed", offsetof(struct lat, receipt_signed) },
		{ "receipt written on A", "receipt_stored", offsetof(struct lat, receipt_stored) },
		{ "receipt visible on A", "seen", offsetof(struct lat, seen) },
	};
	size_t off = offsetof(struct lat, seen), i;
	char key[64];
	json_t *j;

	printf("  add on A -> receipt stored on A: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f "
	    "ms (%zu samples)\n", step_pct(all, n, off, 0.5), step_pct(all, n, off, 0.9),
	    step_pct(all, n, off, 0.99), step_pct(all, n, off, 1), n);
	j = json_pack("{s:s,s:s,s:I,s:I,s:f,s:f,s:f,s:f}", "bench", "peer", "phase", "latency",
	    "samples", (json_int_t)n, "poll_us", (json_int_t)O.poll_us, "p50_ms",
	    step_pct(all, n, off, 0.5), "p90_ms", step_pct(all, n, off, 0.9), "p99_ms",
	    step_pct(all, n, off, 0.99), "max_ms", step_pct(all, n, off, 1));
	printf("  where the time goes (ms after the POST started; p50 / p99):\n");
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		printf("    %-24s %6.2f / %6.2f%s\n", steps[i].name,
		    step_pct(all, n, steps[i].off, 0.5), step_pct(all, n, steps[i].off, 0.99),
		    strcmp(steps[i].key, "receipt_stored") == 0 ?
		    "   (inside A's transaction, before its fsync)" : "");
		snprintf(key, sizeof(key), "%s_p50_ms", steps[i].key);
		json_object_set_new(j, key, json_real(step_pct(all, n, steps[i].off, 0.5)));
		snprintf(key, sizeof(key), "%s_p99_ms", steps[i].key);
		json_object_set_new(j, key, json_real(step_pct(all, n, steps[i].off, 0.99)));
	}
	qsort(all, n, sizeof(*all), cmp_lat);
	printf("  the slowest samples, the same steps:\n");
	for (i = 0; i < n && i < 3; i++)
		printf("    %6.2f %6.2f %6.2f %6.2f %6.2f\n", all[i].accepted, all[i].signed_,
		    all[i].receipt_signed, all[i].receipt_stored, all[i].seen);
	window_close(x, w, j);
	emit(j);
}

static void
phase_latency(void)
{
	struct pair x;
	struct window w;
	struct client c;
	struct lat *all = xmalloc((size_t)O.samples * sizeof(*all)), L;
	uint32_t pause;
	long i;

	printf("\n== latency: one small object POSTed to A on an idle link, until A stores B's "
	    "receipt (%ld samples after %ld warm-up, store polled every %ld us)\n", O.samples,
	    O.warmup, O.poll_us);
	pair_up(&x, "latency", NULL);
	pair_both(&x);
	client_init(&c, x.a.token, x.a.cacert);
	client_do(&c, x.url, NULL, 0); /* connect and handshake outside the timing */
	window_open(&x, &w);
	for (i = 0; i < O.warmup + O.samples; i++) {
		L = latency_sample(&x, &c, i);
		if (i >= O.warmup)
			all[i - O.warmup] = L;
		/* an idle link between samples: 20 to 50 ms */
		RAND_bytes((unsigned char *)&pause, sizeof(pause));
		usleep(20000 + pause % 30000);
	}
	client_release(&c);
	latency_report(&x, &w, all, (size_t)O.samples);
	free(all);
	pair_down(&x);
}

/* ---- summary against the targets ---- */

static void
summary(void)
{
	size_t i;
	json_t *j;

	printf("\n== summary (targets: >= 15,000 objects/s A -> B; <= 20 ms p99 add -> receipt)\n");
	json_array_foreach(results, i, j) {
		const char *ph = json_string_value(json_object_get(j, "phase"));
		if (strcmp(ph, "latency") == 0) {
			double p99 = json_real_value(json_object_get(j, "p99_ms"));
			printf("latency: p50 %.2f ms, p99 %.2f ms, max %.2f ms (target p99 <= 20 ms: %s)\n",
			    json_real_value(json_object_get(j, "p50_ms")), p99,
			    json_real_value(json_object_get(j, "max_ms")), p99 <= 20 ? "met" : "NOT met");
		} else {
			double ops = json_real_value(json_object_get(j, "objects_per_s"));
			printf("%s %s: %lld objects in %.2f s = %.0f objects/s, %.1f envelopes/s "
			    "(target >= 15000: %s)", ph, json_string_value(json_object_get(j, "set")),
			    (long long)json_integer_value(json_object_get(j, "objects")),
			    json_real_value(json_object_get(j, "seconds")), ops,
			    json_real_value(json_object_get(j, "envelopes_per_s")),
			    ops >= 15000 ? "met" : "NOT met");
			if (json_object_get(j, "objects_per_s_from_link"))
				printf("; from the link's start %.0f objects/s", json_real_value(
				    json_object_get(j, "objects_per_s_from_link")));
			putchar('\n');
		}
	}
	putchar('\n');
	json_array_foreach(results, i, j) {
		json_dumpf(j, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
		putchar('\n');
	}
}

/* ---- command line ---- */

static const char usage_text[] =
	"usage: peer_bench [options] [preload] [steady] [latency]\n"
	"  Starts two liaisond (cert-a, cert-b) with fresh homes on 127.0.0.1, pairs them and\n"
	"  measures the partner channel A -> B; every phase has fresh homes. Default: all phases.\n"
	"  preload   objects stored in A's shared first, then A pairs with B: time from\n"
	"            `partner add` on A until every envelope has its receipt\n"
	"  steady    paired first, then objects POSTed to A at full speed\n"
	"  latency   one small object at a time on an idle link: POST on A -> receipt on A\n"
	"options:\n"
	"  --bundle FILE    a STIX bundle (.json or .json.xz) for the throughput phases\n"
	"                   (default " DEFAULT_BUNDLE "; '' for none)\n"
	"  --objects N      synthetic indicators for the throughput phases (default 100000; 0: none)\n"
	"  --batch N        objects per TAXII POST feeding A (default 100)\n"
	"  --clients N      concurrent TAXII clients feeding A (default 4)\n"
	"  --samples N      latency samples (default 200), after --warmup N (default 5)\n"
	"  --poll-us N      latency: read A's store every N microseconds (default 250)\n"
	"  --timeout S      longest a phase may take (default 300)\n"
	"  --quiet-wait S   wait up to S seconds for an idle machine before each timed window\n"
	"                   (default 15; 0: do not wait)\n"
	"  --conf KEY=VAL   set a liaison.conf key on both nodes (repeatable), e.g. pack_delay_ms=0\n"
	"  --bin DIR        where liaison and liaisond are (default: this program's directory)\n"
	"  --work DIR       where the temporary homes go (default $TMPDIR or /tmp)\n"
	"  --keep           keep the homes and daemon logs\n"
	"Prints each phase, then a summary against the targets and one JSON line per phase.\n"
	"Exit status 1 only if something failed, never because a target was missed.\n";

static void
parse_opts(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "bundle", required_argument, NULL, 'B' },
		{ "objects", required_argument, NULL, 'n' },
		{ "batch", required_argument, NULL, 'b' },
		{ "clients", required_argument, NULL, 'C' },
		{ "samples", required_argument, NULL, 's' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "poll-us", required_argument, NULL, 'p' },
		{ "timeout", required_argument, NULL, 't' },
		{ "quiet-wait", required_argument, NULL, 'q' },
		{ "conf", required_argument, NULL, 'c' },
		{ "bin", required_argument, NULL, 'x' },
		{ "work", required_argument, NULL, 'W' },
		{ "keep", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, i;

	O = (struct opts){ .bundle = DEFAULT_BUNDLE, .objects = 100000, .batch = 100, .clients = 4,
			   .samples = 200, .warmup = 5, .poll_us = 250, .timeout_s = 300,
			   .quiet_s = 15 };
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'B': O.bundle = optarg; break;
		case 'n': O.objects = num_arg("objects", optarg, 0, 10000000); break;
		case 'b': O.batch = num_arg("batch", optarg, 1, 10000); break;
		case 'C': O.clients = num_arg("clients", optarg, 1, MAX_THREADS); break;
		case 's': O.samples = num_arg("samples", optarg, 1, 100000); break;
		case 'w': O.warmup = num_arg("warmup", optarg, 0, 1000); break;
		case 'p': O.poll_us = num_arg("poll-us", optarg, 10, 100000); break;
		case 't': O.timeout_s = num_arg("timeout", optarg, 1, 3600); break;
		case 'q': O.quiet_s = num_arg("quiet-wait", optarg, 0, 600); break;
		case 'c':
			if (O.n_conf == (int)(sizeof(O.conf) / sizeof(O.conf[0])))
				die("too many --conf");
			O.conf[O.n_conf++] = optarg;
			break;
		case 'x': O.bin = optarg; break;
		case 'W': O.work = optarg; break;
		case 'k': O.keep = 1; break;
		case 'h': fputs(usage_text, stdout); exit(0);
		default: fputs(usage_text, stderr); exit(2);
		}
	}
	for (i = optind; i < argc; i++) {
		if (strcmp(argv[i], "preload") == 0)
			O.phases |= PH_PRELOAD;
		else if (strcmp(argv[i], "steady") == 0)
			O.phases |= PH_STEADY;
		else if (strcmp(argv[i], "latency") == 0)
			O.phases |= PH_LATENCY;
		else
			die("unknown phase '%s' (preload, steady, latency)", argv[i]);
	}
	if (O.phases == 0)
		O.phases = PH_PRELOAD | PH_STEADY | PH_LATENCY;
}

static void
find_binaries(void)
{
	char self[PATH_MAX], *slash;
	ssize_t n;

	if (O.bin == NULL) {
		n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n <= 0)
			die("cannot find this program's directory; give --bin");
		self[n] = '\0';
		slash = strrchr(self, '/');
		*slash = '\0';
		O.bin = strdup(self);
	}
	snprintf(liaison_bin, sizeof(liaison_bin), "%s/liaison", O.bin);
	snprintf(liaisond_bin, sizeof(liaisond_bin), "%s/liaisond", O.bin);
	if (access(liaison_bin, X_OK) != 0 || access(liaisond_bin, X_OK) != 0)
		die("%s has no liaison and liaisond (build them, or give --bin)", O.bin);
}

int
main(int argc, char **argv)
{
	struct dataset sets[2];
	int n_sets = 0, k;
	const char *tmp;

	parse_opts(argc, argv);
	find_binaries();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		die("curl_global_init failed");
	tmp = O.work ? O.work : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(work_dir, sizeof(work_dir), "%s/peer-bench.XXXXXX", tmp);
	if (mkdtemp(work_dir) == NULL)
		die("cannot make a directory in %s: %s", tmp, strerror(errno));
	atexit(cleanup);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	results = json_array();
	if (O.phases & (PH_PRELOAD | PH_STEADY)) {
		if (O.bundle[0] != '\0' && strcmp(O.bundle, DEFAULT_BUNDLE) == 0 &&
		    access(O.bundle, R_OK) != 0) {
			fprintf(stderr, "peer_bench: %s is not readable; no ATT&CK runs\n", O.bundle);
			O.bundle = "";
		}
		if (O.bundle[0] != '\0')
			dataset_make(&sets[n_sets++], "attack");
		if (O.objects > 0)
			dataset_make(&sets[n_sets++], "synthetic");
		for (k = 0; k < n_sets; k++)
			fprintf(stderr, "peer_bench: data set %s: %ld objects (%.1f MB, %.0f bytes "
			    "each) in %ld POSTs\n", sets[k].name, sets[k].n, (double)sets[k].bytes / 1e6,
			    sets[k].n ? (double)sets[k].bytes / (double)sets[k].n : 0.0, sets[k].n_env);
	}
	for (k = 0; k < n_sets; k++) {
		if (O.phases & PH_PRELOAD)
			phase_preload(&sets[k]);
		if (O.phases & PH_STEADY)
			phase_steady(&sets[k]);
	}
	if (O.phases & PH_LATENCY)
		phase_latency();
	summary();
	for (k = 0; k < n_sets; k++)
		dataset_free(&sets[k]);
	json_decref(results);
	curl_global_cleanup();
	return 0;
}
