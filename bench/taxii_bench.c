/*
 * taxii_bench: load generator for a running liaisond, over TAXII 2.1 on
 * HTTPS (TLS 1.3, keep-alive, TCP_NODELAY), one libcurl easy handle per
 * thread. Subcommands: ingest, read, latency. It measures; it never asserts
 * a speed (bench/run.sh and docs/benchmarks.md compare with the targets).
 * Each run prints human-readable lines, then one JSON line for the docs.
 */
#include "bench_util.h"
#include "tls_load.h"

#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 256
#define MAX_SECONDS 600
#define MAX_OBJECTS 20000000L


/*
 * Where the CPU went during a timed window: the machine (all busy jiffies),
 * the daemon (--pid, from /proc) and this process; what is left is other
 * load on the machine, which the figures must be read against.
 */
struct sysmark {
	double machine_s, daemon_s, self_s;
	long long daemon_wbytes;
};

static void
sys_mark(long pid, struct sysmark *m)
{
	char path[64], line[1024], *p;
	unsigned long long v[8] = { 0 };
	unsigned long ut = 0, st = 0;
	double hz = (double)sysconf(_SC_CLK_TCK);
	FILE *f;

	memset(m, 0, sizeof(*m));
	m->self_s = cpu_s();
	if ((f = fopen("/proc/stat", "r")) != NULL) {
		if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
		    &v[3], &v[4], &v[5], &v[6], &v[7]) == 8) /* user nice system idle iowait irq softirq steal */
			m->machine_s = (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / hz;
		fclose(f);
	}
	if (pid <= 0)
		return;
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((f = fopen(path, "r")) != NULL) {
		if (fgets(line, sizeof(line), f) && (p = strrchr(line, ')')) != NULL &&
		    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) == 2)
			m->daemon_s = (double)(ut + st) / hz;
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/%ld/io", pid);
	if ((f = fopen(path, "r")) != NULL) {
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "write_bytes: %lld", &m->daemon_wbytes) == 1)
				break;
		fclose(f);
	}
}

/* Prints the CPU split of a window and adds it to the run's JSON object. */
static void
sys_report(long pid, const struct sysmark *a, const struct sysmark *b, double secs, long objects,
    json_t *j)
{
	double mach = b->machine_s - a->machine_s, self = b->self_s - a->self_s;
	double dmn = b->daemon_s - a->daemon_s, other = mach - self - (pid > 0 ? dmn : 0);
	double wmb = (double)(b->daemon_wbytes - a->daemon_wbytes) / 1e6;

	if (other < 0)
		other = 0;
	printf("  cpu over %.1f s on %ld cores: machine busy %.1f s", secs,
	    sysconf(_SC_NPROCESSORS_ONLN), mach);
	if (pid > 0)
		printf(", liaisond %.1f s (%.2f cores)", dmn, dmn / secs);
	printf(", taxii_bench %.1f s, other processes %.1f s\n", self, other);
	if (pid > 0 && objects > 0)
		printf("  liaisond wrote %.1f MB to disk (%.1f KB per object)\n", wmb,
		    wmb * 1e3 / (double)objects);
	json_object_set_new(j, "client_cpu_s", json_real(self));
	json_object_set_new(j, "machine_cpu_s", json_real(mach));
	json_object_set_new(j, "other_cpu_s", json_real(other));
	if (pid > 0) {
		json_object_set_new(j, "daemon_cpu_s", json_real(dmn));
		json_object_set_new(j, "daemon_write_mb", json_real(wmb));
	}
}

/* ---- command line ---- */

struct opts {
	const char *url;              /* API root, e.g. https://127.0.0.1:8443/liaison/ */
	const char *token;
	const char *collection;
	const char *cacert;
	const char *bundle;           /* ingest: a STIX bundle file instead of synthetic */
	long objects;
	long batch;
	long clients;
	long limit;
	long probe;                   /* read: pages timed at the start and at the end */
	long probe_limit;
	long conns;
	long seconds;
	long ids;                     /* latency: ids fetched from the manifest */
	long pid;                     /* liaisond's pid, for its CPU time and disk writes */
	const char *what;             /* latency: "id" (objects/{id}/) or "first" (?limit=1) */
	const char *driver;           /* latency: "epoll" (one thread) or "curl" (a thread each) */
	int quiet;
};

static const char usage_text[] =
	"usage: taxii_bench COMMAND --url URL --token T --collection ID --cacert F [options]\n"
	"  URL is the API root (https://127.0.0.1:PORT/liaison/); a bare https://HOST:PORT\n"
	"  gets /liaison/ appended. The token may come from $LIAISON_TOKEN instead.\n"
	"  --pid P (liaisond's pid) adds its CPU time and disk writes to the report.\n"
	"commands:\n"
	"  ingest   --objects N --batch 100 --clients 4   synthetic STIX 2.1 indicators\n"
	"           --bundle FILE --batch 100 --clients 4 the objects of a STIX bundle, as they are\n"
	"  read     --limit 1000 [--probe 20 --probe-limit 1000]\n"
	"           walks the collection with next tokens (the pages of this walk are read\n"
	"           once each: mostly outside SQLite's cache), then fetches one page of\n"
	"           PROBE-LIMIT objects PROBE times at the start and PROBE times at the\n"
	"           deepest position that still has a full page (the same page: warm)\n"
	"  latency  --conns 16 --seconds 10 [--ids 10000] [--what id|first] [--driver epoll|curl]\n"
	"           GET one object by id (objects/ID/), or with --what first the first page\n"
	"           of one object (objects/?limit=1: the same small answer without an id lookup).\n"
	"           The connections are driven by one thread with epoll and OpenSSL (default),\n"
	"           or with --driver curl by one thread each with blocking libcurl\n";

static void
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "token", required_argument, NULL, 't' },
		{ "collection", required_argument, NULL, 'c' },
		{ "cacert", required_argument, NULL, 'a' },
		{ "bundle", required_argument, NULL, 'B' },
		{ "objects", required_argument, NULL, 'n' },
		{ "batch", required_argument, NULL, 'b' },
		{ "clients", required_argument, NULL, 'C' },
		{ "limit", required_argument, NULL, 'l' },
		{ "probe", required_argument, NULL, 'p' },
		{ "probe-limit", required_argument, NULL, 'P' },
		{ "conns", required_argument, NULL, 'k' },
		{ "seconds", required_argument, NULL, 's' },
		{ "ids", required_argument, NULL, 'i' },
		{ "what", required_argument, NULL, 'w' },
		{ "driver", required_argument, NULL, 'r' },
		{ "pid", required_argument, NULL, 'D' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct opts){ .objects = 10000, .batch = 100, .clients = 4, .limit = 1000,
			    .probe = 20, .probe_limit = 1000, .conns = 16, .seconds = 10,
			    .ids = 10000, .what = "id", .driver = "epoll" };
	o->token = getenv("LIAISON_TOKEN");
	while ((c = getopt_long(argc, argv, "hq", lo, NULL)) != -1) {
		switch (c) {
		case 'u': o->url = optarg; break;
		case 't': o->token = optarg; break;
		case 'c': o->collection = optarg; break;
		case 'a': o->cacert = optarg; break;
		case 'B': o->bundle = optarg; break;
		case 'n': o->objects = num_arg("objects", optarg, 0, MAX_OBJECTS); break;
		case 'b': o->batch = num_arg("batch", optarg, 1, 100000); break;
		case 'C': o->clients = num_arg("clients", optarg, 1, MAX_THREADS); break;
		case 'l': o->limit = num_arg("limit", optarg, 1, 1000000); break;
		case 'p': o->probe = num_arg("probe", optarg, 0, 100000); break;
		case 'P': o->probe_limit = num_arg("probe-limit", optarg, 1, 1000000); break;
		case 'k': o->conns = num_arg("conns", optarg, 1, MAX_THREADS); break;
		case 's': o->seconds = num_arg("seconds", optarg, 1, MAX_SECONDS); break;
		case 'i': o->ids = num_arg("ids", optarg, 1, 1000000); break;
		case 'w': o->what = optarg; break;
		case 'r': o->driver = optarg; break;
		case 'D': o->pid = num_arg("pid", optarg, 1, 1L << 30); break;
		case 'q': o->quiet = 1; break;
		case 'h': fputs(usage_text, stdout); exit(0);
		default: fputs(usage_text, stderr); exit(2);
		}
	}
	if (optind != argc)
		die("unexpected argument '%s'", argv[optind]);
	if (strcmp(o->what, "id") != 0 && strcmp(o->what, "first") != 0)
		die("--what must be 'id' or 'first', not '%s'", o->what);
	if (strcmp(o->driver, "epoll") != 0 && strcmp(o->driver, "curl") != 0)
		die("--driver must be 'epoll' or 'curl', not '%s'", o->driver);
	if (o->url == NULL || o->token == NULL || o->collection == NULL || o->cacert == NULL)
		die("--url, --token (or $LIAISON_TOKEN), --collection and --cacert are required");
}


/* The collection's base URL, ".../collections/ID/", built once. */
static char *
collection_url(const struct opts *o)
{
	struct sbuf b = { 0 };
	const char *p = strstr(o->url, "://");

	sb_add(&b, o->url, strlen(o->url));
	if (b.data[b.len - 1] != '/')
		sb_add(&b, "/", 1);
	if (p != NULL && strchr(p + 3, '/') == b.data + b.len - 1) /* no path given */
		sb_add(&b, "liaison/", 8);
	sb_printf(&b, "collections/%s/", o->collection);
	return b.data;
}


/* What a TAXII page tells the walker; the objects are counted, not parsed. */
struct page_info {
	int more;
	char next[256];
	long objects;
};

static void
count_one(void *arg, const char *s, const char *e)
{
	(*(long *)arg)++;
}

static int
scan_page(const char *p, size_t len, struct page_info *pi)
{
	const char *e = p + len, *k, *v;
	size_t klen;

	memset(pi, 0, sizeof(*pi));
	p = skip_ws(p, e);
	if (p >= e || *p++ != '{')
		return -1;
	for (;;) {
		p = skip_ws(p, e);
		if (p < e && *p == '}')
			return 0;
		if (p >= e || *p != '"' || (v = skip_string(p, e)) == NULL)
			return -1;
		k = p + 1;
		klen = (size_t)(v - k - 1);
		p = skip_ws(v, e);
		if (p >= e || *p++ != ':')
			return -1;
		p = skip_ws(p, e);
		if (klen == 7 && memcmp(k, "objects", 7) == 0) {
			v = each_element(p, e, count_one, &pi->objects);
		} else {
			v = skip_value(p, e);
			if (v != NULL && klen == 4 && memcmp(k, "more", 4) == 0)
				pi->more = (v - p == 4 && memcmp(p, "true", 4) == 0);
			if (v != NULL && klen == 4 && memcmp(k, "next", 4) == 0 &&
			    *p == '"' && (size_t)(v - p - 2) < sizeof(pi->next))
				memcpy(pi->next, p + 1, (size_t)(v - p - 2));
		}
		if ((p = v) == NULL)
			return -1;
		p = skip_ws(p, e);
		if (p < e && *p == ',')
			p++;
	}
}

/* ---- ingest ---- */


struct ingest {
	const struct opts *o;
	const char *url;
	struct envelope *env;
	long n_env;
	atomic_long next;             /* next envelope to send */
	atomic_long ok, failed, http_errors;
	int strict;                   /* every object must succeed (synthetic data) */
	atomic_int shown;             /* failure messages printed so far */
};

struct worker {
	pthread_t th;
	void *job;
	struct client cl;
	struct samples lat;
	long bytes;
	long requests;
};


static void
check_status(struct ingest *g, struct worker *w, const struct envelope *env)
{
	json_t *st = json_loadb(w->cl.body.data, w->cl.body.len, 0, NULL);
	json_int_t ok = -1, total = -1;

	if (st != NULL) {
		ok = json_integer_value(json_object_get(st, "success_count"));
		total = json_integer_value(json_object_get(st, "total_count"));
	}
	if (st == NULL || total != env->n)
		die("ingest: the status resource does not count %ld objects: %.400s", env->n,
		    w->cl.body.data);
	g->ok += (long)ok;
	g->failed += env->n - (long)ok;
	if (ok != env->n && atomic_fetch_add(&g->shown, 1) < 5) {
		json_t *f = json_array_get(json_object_get(st, "failures"), 0);
		fprintf(stderr, "ingest: %lld of %ld objects refused; first: %s\n",
		    (long long)(env->n - ok), env->n,
		    f ? json_string_value(json_object_get(f, "message")) : "?");
	}
	json_decref(st);
	if (g->strict && ok != env->n)
		die("ingest: success_count %lld != %ld objects sent", (long long)ok, env->n);
}

static void *
ingest_main(void *arg)
{
	struct worker *w = arg;
	struct ingest *g = w->job;
	long i;

	while ((i = atomic_fetch_add(&g->next, 1)) < g->n_env) {
		const struct envelope *env = &g->env[i];
		samples_add(&w->lat, client_do(&w->cl, g->url, env->data, env->len));
		w->requests++;
		w->bytes += (long)env->len;
		if (w->cl.status != 202) {
			g->http_errors++;
			die("ingest: HTTP %ld: %.400s", w->cl.status, w->cl.body.data);
		}
		check_status(g, w, env);
	}
	return NULL;
}

/* Starts n workers on fn, waits for them; returns the wall time in seconds. */
static double
run_workers(struct worker *w, long n, void *(*fn)(void *))
{
	double t0 = now_s();
	long i;

	for (i = 0; i < n; i++)
		if (pthread_create(&w[i].th, NULL, fn, &w[i]) != 0)
			die("cannot start thread %ld", i);
	for (i = 0; i < n; i++)
		pthread_join(w[i].th, NULL);
	return now_s() - t0;
}

/* A request whose answer does not matter: opens each worker's connection and TLS session. */
static void
warm_up(struct worker *w, long n, const char *url)
{
	long i;

	for (i = 0; i < n; i++) {
		client_do(&w[i].cl, url, NULL, 0);
		w[i].cl.connects = 0;
	}
}

static int
cmd_ingest(const struct opts *o)
{
	struct ingest g = { .o = o };
	struct worker *w = xmalloc((size_t)o->clients * sizeof(*w));
	struct samples all = { 0 };
	char *base = collection_url(o), *url;
	size_t obj_bytes;
	long n_obj = o->objects, i, connects = 0, bytes = 0;
	double gen_t = now_s(), secs;
	struct sysmark m0, m1;
	json_t *j;

	url = xmalloc(strlen(base) + 16);
	sprintf(url, "%sobjects/", base);
	if (o->bundle) {
		g.env = load_bundle(o->bundle, o->batch, &g.n_env, &n_obj, &obj_bytes);
	} else {
		g.env = gen_envelopes(n_obj, o->batch, &g.n_env, &obj_bytes);
		g.strict = 1;
	}
	gen_t = now_s() - gen_t;
	g.url = url;
	fprintf(stderr, "ingest: %ld objects (%.1f MB, %.0f bytes each) in %ld envelopes, "
	    "prepared in %.2f s (not timed)\n", n_obj, (double)obj_bytes / 1e6,
	    n_obj ? (double)obj_bytes / (double)n_obj : 0.0, g.n_env, gen_t);
	for (i = 0; i < o->clients; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].job = &g;
		client_init(&w[i].cl, o->token, o->cacert);
	}
	warm_up(w, o->clients, base);
	sys_mark(o->pid, &m0);
	secs = run_workers(w, o->clients, ingest_main);
	sys_mark(o->pid, &m1);
	for (i = 0; i < o->clients; i++) {
		samples_merge(&all, &w[i].lat);
		connects += w[i].cl.connects;
		bytes += w[i].bytes;
	}
	samples_sort(&all);
	printf("ingest %s: %ld objects in %ld requests of %ld from %ld clients in %.2f s\n",
	    o->bundle ? "bundle" : "synthetic", n_obj, g.n_env, o->batch, o->clients, secs);
	printf("  %.0f objects/s, %.2f MB/s of request bodies, stored %ld, refused %ld\n",
	    (double)n_obj / secs, (double)bytes / 1e6 / secs, (long)g.ok, (long)g.failed);
	printf("  request latency p50 %.2f ms, p99 %.2f ms, max %.2f ms; new connections %ld\n",
	    pct(&all, 0.5), pct(&all, 0.99), all.n ? all.v[all.n - 1] : 0.0, connects);
	j = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:I, s:I, s:I}",
	    "bench", "ingest", "source", o->bundle ? "bundle" : "synthetic",
	    "objects", (json_int_t)n_obj, "batch", (json_int_t)o->batch,
	    "clients", (json_int_t)o->clients, "requests", (json_int_t)g.n_env,
	    "seconds", secs, "objects_per_s", (double)n_obj / secs,
	    "mb_per_s", (double)bytes / 1e6 / secs, "bytes_per_object",
	    n_obj ? (double)obj_bytes / (double)n_obj : 0.0,
	    "p50_ms", pct(&all, 0.5), "p99_ms", pct(&all, 0.99),
	    "stored", (json_int_t)g.ok, "refused", (json_int_t)g.failed,
	    "new_connections", (json_int_t)connects);
	sys_report(o->pid, &m0, &m1, secs, n_obj, j);
	json_dumpf(j, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
	putchar('\n');
	json_decref(j);
	for (i = 0; i < o->clients; i++) {
		client_release(&w[i].cl);
		free(w[i].lat.v);
	}
	for (i = 0; i < g.n_env; i++)
		free(g.env[i].data);
	free(g.env);
	free(all.v);
	free(w);
	free(url);
	free(base);
	return g.strict && g.failed ? 1 : 0;
}

/* ---- read ---- */

struct mark {
	char *next;                   /* a next token */
	long before;                  /* objects read before the position it names */
};

static void
page_url(char *out, size_t cap, const char *base, long limit, const char *next)
{
	snprintf(out, cap, "%sobjects/?limit=%ld%s%s", base, limit, next ? "&next=" : "",
	    next ? next : "");
}

/* Times the page of `limit` objects at one position `n` times; returns p50 in ms. */
static double
probe(struct client *cl, const char *base, long limit, const struct mark *m, long n,
    struct samples *s)
{
	char url[1024];
	struct page_info pi;
	long i;

	for (i = 0; i < n; i++) {
		page_url(url, sizeof(url), base, limit, m->next);
		samples_add(s, client_do(cl, url, NULL, 0));
		expect_status(cl, 200, "read probe");
		if (scan_page(cl->body.data, cl->body.len, &pi) < 0 || pi.objects != limit)
			die("read probe: a page at %ld held %ld objects, not %ld", m->before,
			    pi.objects, limit);
	}
	samples_sort(s);
	return pct(s, 0.5);
}

static int
cmd_read(const struct opts *o)
{
	struct client cl;
	struct page_info pi;
	struct samples pages = { 0 }, ps = { 0 }, pe = { 0 };
	struct mark *marks = NULL, start = { NULL, 0 }, deep = { NULL, 0 };
	char *base = collection_url(o), url[1024];
	long n_marks = 0, cap = 0, total = 0, i;
	double bytes = 0, t0, secs, p_start = 0, p_end = 0;
	struct sysmark m0, m1;
	json_t *j;

	client_init(&cl, o->token, o->cacert);
	client_do(&cl, base, NULL, 0); /* connect and handshake outside the timing */
	expect_status(&cl, 200, "collection");
	t0 = now_s();
	sys_mark(o->pid, &m0);
	for (pi.next[0] = '\0';; ) {
		page_url(url, sizeof(url), base, o->limit, total ? pi.next : NULL);
		if (total) {
			if (n_marks == cap) {
				cap = cap ? cap * 2 : 1024;
				marks = xrealloc(marks, (size_t)cap * sizeof(*marks));
			}
			marks[n_marks].next = strdup(pi.next);
			marks[n_marks++].before = total;
		}
		samples_add(&pages, client_do(&cl, url, NULL, 0));
		expect_status(&cl, 200, "read");
		if (scan_page(cl.body.data, cl.body.len, &pi) < 0)
			die("read: a page is not well-formed JSON: %.200s", cl.body.data);
		total += pi.objects;
		bytes += (double)cl.body.len;
		if (!pi.more)
			break;
		if (pi.next[0] == '\0' || pi.objects == 0)
			die("read: more=true without a next token or objects");
		if (pages.n > 10000000)
			die("read: more than 10 million pages; giving up");
	}
	secs = now_s() - t0;
	sys_mark(o->pid, &m1);
	samples_sort(&pages);
	printf("read: %ld objects in %zu pages of up to %ld in %.2f s\n", total, pages.n,
	    o->limit, secs);
	printf("  %.0f objects/s, %.2f MB/s; per page p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
	    (double)total / secs, bytes / 1e6 / secs, pct(&pages, 0.5), pct(&pages, 0.99),
	    pages.v[pages.n - 1]);
	/* The deepest position that still has a full probe page after it. */
	for (i = n_marks - 1; i >= 0; i--) {
		if (total - marks[i].before >= o->probe_limit) {
			deep = marks[i];
			break;
		}
	}
	if (o->probe > 0 && total >= o->probe_limit) {
		p_start = probe(&cl, base, o->probe_limit, &start, o->probe, &ps);
		p_end = probe(&cl, base, o->probe_limit, &deep, o->probe, &pe);
		printf("  one page of %ld, %ld times: at the start p50 %.2f ms, p99 %.2f ms; "
		    "after object %ld (the end) p50 %.2f ms, p99 %.2f ms\n", o->probe_limit, o->probe,
		    p_start, pct(&ps, 0.99), deep.before, p_end, pct(&pe, 0.99));
	}
	j = json_pack("{s:s, s:I, s:I, s:I, s:f, s:f, s:f, s:f, s:f, s:I, s:I, s:f, s:f, s:I}",
	    "bench", "read", "objects", (json_int_t)total, "limit", (json_int_t)o->limit,
	    "pages", (json_int_t)pages.n, "seconds", secs, "objects_per_s", (double)total / secs,
	    "mb_per_s", bytes / 1e6 / secs, "page_p50_ms", pct(&pages, 0.5),
	    "page_p99_ms", pct(&pages, 0.99), "probe_limit", (json_int_t)o->probe_limit,
	    "probe_pages", (json_int_t)ps.n, "start_page_p50_ms", p_start,
	    "end_page_p50_ms", p_end, "end_position", (json_int_t)deep.before);
	sys_report(o->pid, &m0, &m1, secs, 0, j);
	json_dumpf(j, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
	putchar('\n');
	json_decref(j);
	for (i = 0; i < n_marks; i++)
		free(marks[i].next);
	free(marks);
	free(pages.v);
	free(ps.v);
	free(pe.v);
	free(base);
	client_release(&cl);
	return 0;
}

/* ---- latency ---- */

struct latency {
	const char *base;
	const char *path;             /* base without scheme and host: /liaison/collections/ID/ */
	uint64_t *rnd;                /* epoll driver: one xorshift state per connection */
	char **ids;
	long n_ids;
	double until;
	int first;                    /* GET objects/?limit=1 instead of objects/ID/ */
	atomic_long errors;
};

static void *
latency_main(void *arg)
{
	struct worker *w = arg;
	struct latency *L = w->job;
	uint64_t x = (uint64_t)(uintptr_t)w * 0x9e3779b97f4a7c15ull | 1;
	char url[1024];

	while (now_s() < L->until) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64 */
		if (L->first)
			snprintf(url, sizeof(url), "%sobjects/?limit=1", L->base);
		else
			snprintf(url, sizeof(url), "%sobjects/%s/", L->base,
			    L->ids[x % (uint64_t)L->n_ids]);
		samples_add(&w->lat, client_do(&w->cl, url, NULL, 0));
		w->requests++;
		if (w->cl.status != 200)
			L->errors++;
	}
	return NULL;
}

/* Known ids, from one manifest page (parsed with jansson: it is small). */
static long
fetch_ids(struct client *cl, const char *base, long want, char ***ret)
{
	char url[1024];
	json_t *m, *list, *v;
	char **ids;
	size_t i, n;

	snprintf(url, sizeof(url), "%smanifest/?limit=%ld", base, want);
	client_do(cl, url, NULL, 0);
	expect_status(cl, 200, "manifest");
	m = json_loadb(cl->body.data, cl->body.len, 0, NULL);
	list = json_object_get(m, "objects");
	n = json_array_size(list);
	if (n == 0)
		die("latency: the collection is empty; ingest first");
	ids = xmalloc(n * sizeof(*ids));
	json_array_foreach(list, i, v)
		ids[i] = strdup(json_string_value(json_object_get(v, "id")));
	json_decref(m);
	*ret = ids;
	return (long)n;
}

/* The epoll driver's next request: the same choice of id as latency_main. */
static const char *
latency_next(void *arg, long conn, char *path, size_t cap)
{
	struct latency *L = arg;
	uint64_t *x = &L->rnd[conn];

	if (L->first) {
		snprintf(path, cap, "%sobjects/?limit=1", L->path);
		return "\"objects\"";
	}
	*x ^= *x << 13, *x ^= *x >> 7, *x ^= *x << 17; /* xorshift64 */
	snprintf(path, cap, "%sobjects/%s/", L->path, L->ids[*x % (uint64_t)L->n_ids]);
	return L->ids[*x % (uint64_t)L->n_ids];
}

/* The curl driver: one thread and one libcurl handle per connection. */
static double
latency_curl(const struct opts *o, struct latency *L, struct samples *all, long *requests,
    long *connects)
{
	struct worker *w = xmalloc((size_t)o->conns * sizeof(*w));
	double secs;
	long i;

	for (i = 0; i < o->conns; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].job = L;
		client_init(&w[i].cl, o->token, o->cacert);
	}
	warm_up(w, o->conns, L->base);
	L->until = now_s() + (double)o->seconds;
	secs = run_workers(w, o->conns, latency_main);
	for (i = 0; i < o->conns; i++) {
		samples_merge(all, &w[i].lat);
		*connects += w[i].cl.connects;
		*requests += w[i].requests;
		client_release(&w[i].cl);
		free(w[i].lat.v);
	}
	free(w);
	return secs;
}

static int
cmd_latency(const struct opts *o)
{
	struct latency L = { 0 };
	struct client cl;
	struct samples all = { 0 };
	struct tls_load_result res;
	char *base = collection_url(o);
	const char *p = strstr(base, "://");
	long i, connects = 0, requests = 0;
	double secs;
	struct sysmark m0, m1;
	json_t *j;

	L.base = base;
	L.path = strchr(p != NULL ? p + 3 : base, '/');
	L.first = strcmp(o->what, "first") == 0;
	L.rnd = xmalloc((size_t)o->conns * sizeof(*L.rnd));
	for (i = 0; i < o->conns; i++)
		L.rnd[i] = (uint64_t)(i + 1) * 0x9e3779b97f4a7c15ull | 1;
	client_init(&cl, o->token, o->cacert);
	L.n_ids = fetch_ids(&cl, base, o->ids, &L.ids);
	client_release(&cl);
	sys_mark(o->pid, &m0);
	if (strcmp(o->driver, "curl") == 0) {
		secs = latency_curl(o, &L, &all, &requests, &connects);
		sys_mark(o->pid, &m1);
	} else {
		struct tls_load t = { .url = base, .cacert = o->cacert, .token = o->token,
				      .conns = o->conns, .seconds = (double)o->seconds,
				      .next = latency_next, .arg = &L };

		tls_load_run(&t, &res);
		sys_mark(o->pid, &m1);
		all = res.lat;
		secs = res.secs;
		requests = res.requests;
		L.errors = res.errors;
	}
	samples_sort(&all);
	if (L.first)
		printf("latency: GET objects/?limit=1, %ld keep-alive connections (%s), %.1f s\n",
		    o->conns, o->driver, secs);
	else
		printf("latency: GET one object by id (%ld known ids), %ld keep-alive connections "
		    "(%s), %.1f s\n", L.n_ids, o->conns, o->driver, secs);
	printf("  %.0f requests/s; p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, "
	    "max %.3f ms; errors %ld, new connections %ld\n", (double)requests / secs,
	    pct(&all, 0.5), pct(&all, 0.9), pct(&all, 0.99), pct(&all, 0.999),
	    all.n ? all.v[all.n - 1] : 0.0, (long)L.errors, connects);
	j = json_pack("{s:s, s:s, s:s, s:I, s:f, s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:I, s:I}",
	    "bench", "latency", "what", o->what, "driver", o->driver, "conns", (json_int_t)o->conns,
	    "seconds", secs, "requests", (json_int_t)requests,
	    "requests_per_s", (double)requests / secs,
	    "p50_ms", pct(&all, 0.5), "p90_ms", pct(&all, 0.9), "p99_ms", pct(&all, 0.99),
	    "p999_ms", pct(&all, 0.999), "max_ms", all.n ? all.v[all.n - 1] : 0.0,
	    "errors", (json_int_t)L.errors, "new_connections", (json_int_t)connects);
	sys_report(o->pid, &m0, &m1, secs, 0, j);
	json_dumpf(j, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
	putchar('\n');
	json_decref(j);
	for (i = 0; i < L.n_ids; i++)
		free(L.ids[i]);
	free(L.ids);
	free(L.rnd);
	free(all.v);
	free(base);
	return L.errors ? 1 : 0;
}

/* ---- main: a table of subcommands ---- */

static const struct {
	const char *name;
	int (*run)(const struct opts *);
} cmds[] = {
	{ "ingest", cmd_ingest },
	{ "read", cmd_read },
	{ "latency", cmd_latency },
};

int
main(int argc, char **argv)
{
	struct opts o;
	size_t i;
	int rc;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(usage_text, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			break;
	if (i == sizeof(cmds) / sizeof(cmds[0]))
		die("unknown command '%s' (ingest, read, latency)", argv[1]);
	parse_opts(argc - 1, argv + 1, &o);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		die("curl_global_init failed");
	rc = cmds[i].run(&o);
	curl_global_cleanup();
	return rc;
}
