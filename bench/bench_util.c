/*
 * Helpers shared by the benchmark programs (taxii_bench, peer_bench): fatal
 * errors, clocks, growable buffers, latency samples, a libcurl
 * TAXII client with one keep-alive connection, a JSON scanner that counts
 * without building trees, and the synthetic and ATT&CK request bodies.
 * Measures nothing by itself and never talks to a store.
 */
#include "bench_util.h"

#include <errno.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- small helpers ---- */

void
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", program_invocation_short_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		die("out of memory (%zu bytes)", n);
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL)
		die("out of memory (%zu bytes)", n);
	return p;
}

double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds (user + system) this process used so far, all threads. */
double
cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}


void
sb_add(struct sbuf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		b->data = xrealloc(b->data, cap);
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
sb_printf(struct sbuf *b, const char *fmt, ...)
{
	char tmp[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		die("internal: formatted text too long");
	sb_add(b, tmp, (size_t)n);
}

void
samples_add(struct samples *s, double ms)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 1024;
		s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	s->v[s->n++] = ms;
}

void
samples_merge(struct samples *dst, const struct samples *src)
{
	size_t i;

	for (i = 0; i < src->n; i++)
		samples_add(dst, src->v[i]);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

void
samples_sort(struct samples *s)
{
	qsort(s->v, s->n, sizeof(*s->v), cmp_double);
}

/* Nearest-rank percentile of sorted samples; p in (0, 1]. */
double
pct(const struct samples *s, double p)
{
	size_t k;

	if (s->n == 0)
		return 0;
	k = (size_t)(p * (double)s->n);
	if ((double)k < p * (double)s->n) /* round up: nearest rank */
		k++;
	if (k == 0)
		k = 1;
	return s->v[k - 1];
}

/* ---- HTTP client: one per thread, one keep-alive connection each ---- */

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	sb_add(arg, p, size * n);
	return size * n;
}

void
client_init(struct client *c, const char *token, const char *cacert)
{
	struct sbuf auth = { 0 };

	memset(c, 0, sizeof(*c));
	c->h = curl_easy_init();
	if (c->h == NULL)
		die("curl_easy_init failed");
	sb_printf(&auth, "Authorization: Bearer %s", token);
	c->hdrs = curl_slist_append(c->hdrs, auth.data);
	c->hdrs = curl_slist_append(c->hdrs, "Accept: " TAXII_MEDIA);
	c->hdrs = curl_slist_append(c->hdrs, "Content-Type: " TAXII_MEDIA);
	c->hdrs = curl_slist_append(c->hdrs, "Expect:"); /* no 100-continue round trip */
	free(auth.data);
	curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, c->hdrs);
	curl_easy_setopt(c->h, CURLOPT_CAINFO, cacert);
	curl_easy_setopt(c->h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_3);
	curl_easy_setopt(c->h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(c->h, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->h, CURLOPT_TIMEOUT, 120L);
	curl_easy_setopt(c->h, CURLOPT_ERRORBUFFER, c->err);
	curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c->h, CURLOPT_WRITEDATA, &c->body);
}

void
client_release(struct client *c)
{
	curl_easy_cleanup(c->h);
	curl_slist_free_all(c->hdrs);
	free(c->body.data);
}

/* One request; body NULL is a GET. Returns the time in ms, or dies on a transport error. */
double
client_do(struct client *c, const char *url, const char *body, size_t len)
{
	double t0;
	long nc = 0;
	CURLcode rc;

	c->body.len = 0;
	if (c->body.data)
		c->body.data[0] = '\0';
	curl_easy_setopt(c->h, CURLOPT_URL, url);
	if (body != NULL) {
		curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	} else {
		curl_easy_setopt(c->h, CURLOPT_HTTPGET, 1L);
	}
	c->err[0] = '\0';
	t0 = now_s();
	rc = curl_easy_perform(c->h);
	t0 = (now_s() - t0) * 1e3;
	if (rc != CURLE_OK)
		die("%s: %s", url, c->err[0] ? c->err : curl_easy_strerror(rc));
	curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &c->status);
	curl_easy_getinfo(c->h, CURLINFO_NUM_CONNECTS, &nc);
	c->connects += nc;
	return t0;
}

void
expect_status(const struct client *c, long want, const char *what)
{
	if (c->status != want)
		die("%s: HTTP %ld (wanted %ld): %.400s", what, c->status, want,
		    c->body.data ? c->body.data : "");
}

/* ---- a minimal JSON scanner: finds values without building a tree ---- */

const char *
skip_ws(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	return p;
}

/* p at the opening quote; returns the position after the closing one. */
const char *
skip_string(const char *p, const char *e)
{
	const char *q = p + 1, *b;

	for (;;) {
		q = memchr(q, '"', (size_t)(e - q));
		if (q == NULL)
			return NULL;
		for (b = q; b[-1] == '\\'; b--)
			;
		if ((q - b) % 2 == 0) /* an even run of backslashes: the quote is real */
			return q + 1;
		q++;
	}
}

/* Skips one value (leading spaces included); NULL if it is not well formed. */
const char *
skip_value(const char *p, const char *e)
{
	int depth = 0;

	p = skip_ws(p, e);
	do {
		if (p >= e)
			return NULL;
		switch (*p) {
		case '"':
			if ((p = skip_string(p, e)) == NULL)
				return NULL;
			break;
		case '{': case '[':
			depth++, p++;
			break;
		case '}': case ']':
			if (--depth < 0)
				return NULL;
			p++;
			break;
		case ' ': case '\t': case '\r': case '\n': case ',': case ':':
			if (depth == 0)
				return NULL;
			p++;
			break;
		default: {
			const char *s = p;
			while (p < e && *p != '\0' && !strchr(" \t\r\n,:]}", *p))
				p++;
			if (p == s)
				return NULL;
		}
		}
	} while (depth > 0);
	return p;
}

/* Calls fn for each element of the array at p; returns the end of the array. */
const char *
each_element(const char *p, const char *e, void (*fn)(void *, const char *, const char *),
    void *arg)
{
	const char *s;

	p = skip_ws(p, e);
	if (p >= e || *p != '[')
		return NULL;
	p = skip_ws(p + 1, e);
	if (p < e && *p == ']')
		return p + 1;
	for (;;) {
		s = skip_ws(p, e);
		if ((p = skip_value(s, e)) == NULL)
			return NULL;
		if (fn)
			fn(arg, s, p);
		p = skip_ws(p, e);
		if (p < e && *p == ']')
			return p + 1;
		if (p >= e || *p != ',')
			return NULL;
		p++;
	}
}

static void
uuid4(const unsigned char r[16], char out[37])
{
	unsigned char b[16];
	int i, j = 0;

	memcpy(b, r, 16);
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[j++] = '-';
		j += sprintf(out + j, "%02x", b[i]);
	}
	out[36] = '\0';
}

static void
iso_time(time_t t, int ms, char out[32])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

static const char *const actors[] = {
	"a ransomware affiliate", "a credential-phishing crew", "a state-sponsored intrusion set",
	"a botnet operator", "an access broker", "a cryptomining campaign",
};
static const char *const roles[] = {
	"command-and-control server", "phishing landing page host", "exfiltration relay",
	"scanning node", "malware distribution point", "VPN brute-force source",
};
static const char *const labels[] = { "c2", "phishing", "exfiltration", "scanner",
				      "malware-delivery", "brute-force" };

/* One synthetic but realistic indicator (about 650 bytes). */
void
gen_indicator(struct sbuf *b, long i, const unsigned char rnd[16])
{
	char id[37], created[32], modified[32], valid[32], ip[20];
	time_t base = 1735689600 + (time_t)(i % 31536000); /* a day in 2025 */
	int k = (int)(rnd[0] % 6);

	uuid4(rnd, id);
	iso_time(base, (int)(i % 1000), created);
	iso_time(base + 3600 + rnd[1], (int)((i * 7) % 1000), modified);
	iso_time(base - 86400, 0, valid);
	snprintf(ip, sizeof(ip), "10.%u.%u.%u", rnd[2], rnd[3], (unsigned)(rnd[4] % 254 + 1));
	sb_printf(b, "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--%s\","
	    "\"created\":\"%s\",\"modified\":\"%s\",\"name\":\"%s %s\","
	    "\"description\":\"Address %s acted as a %s for %s during incident handling at a "
	    "partner CERT; block it at the perimeter and review proxy logs for the last 30 days.\","
	    "\"indicator_types\":[\"malicious-activity\"],"
	    "\"pattern\":\"[ipv4-addr:value = '%s']\",\"pattern_type\":\"stix\","
	    "\"valid_from\":\"%s\",\"labels\":[\"%s\",\"bench\"],"
	    "\"object_marking_refs\":[\"" TLP_GREEN "\"]}",
	    id, created, modified, roles[k], ip, ip, roles[k], actors[rnd[5] % 6],
	    ip, valid, labels[k]);
}

struct envelope *
gen_envelopes(long n, long batch, long *ret_n_env, size_t *ret_bytes)
{
	long n_env = (n + batch - 1) / batch, e, i, k = 0;
	struct envelope *env = xmalloc((size_t)(n_env ? n_env : 1) * sizeof(*env));
	unsigned char *rnd = xmalloc((size_t)batch * 16);
	size_t obj_bytes = 0;

	for (e = 0; e < n_env; e++) {
		struct sbuf b = { 0 };
		long m = n - k < batch ? n - k : batch;

		if (RAND_bytes(rnd, (int)(m * 16)) != 1)
			die("RAND_bytes failed");
		sb_add(&b, "{\"objects\":[", 12);
		for (i = 0; i < m; i++, k++) {
			size_t before;
			if (i > 0)
				sb_add(&b, ",", 1);
			before = b.len;
			gen_indicator(&b, k, rnd + 16 * i);
			obj_bytes += b.len - before;
		}
		sb_add(&b, "]}", 2);
		env[e] = (struct envelope){ b.data, b.len, m };
	}
	free(rnd);
	*ret_n_env = n_env;
	*ret_bytes = obj_bytes;
	return env;
}

/* The bundle's objects, byte for byte, regrouped into envelopes of `batch`. */
struct splitter {
	struct envelope *env;
	long n_env, cap, batch;
	struct sbuf cur;
	long in_cur;
	size_t obj_bytes;
};

static void
split_flush(struct splitter *s)
{
	if (s->in_cur == 0)
		return;
	sb_add(&s->cur, "]}", 2);
	if (s->n_env == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		s->env = xrealloc(s->env, (size_t)s->cap * sizeof(*s->env));
	}
	s->env[s->n_env++] = (struct envelope){ s->cur.data, s->cur.len, s->in_cur };
	memset(&s->cur, 0, sizeof(s->cur));
	s->in_cur = 0;
}

static void
split_one(void *arg, const char *s, const char *e)
{
	struct splitter *sp = arg;

	sb_add(&sp->cur, sp->in_cur ? "," : "{\"objects\":[", sp->in_cur ? 1 : 12);
	sb_add(&sp->cur, s, (size_t)(e - s));
	sp->obj_bytes += (size_t)(e - s);
	if (++sp->in_cur == sp->batch)
		split_flush(sp);
}

/* The whole of a file ("-": standard input); a name ending in .xz is read through `xz -dc`. */
void
read_input(const char *path, struct sbuf *out)
{
	size_t len = strlen(path), n;
	int xz = len > 3 && strcmp(path + len - 3, ".xz") == 0, fds[2], st = 0;
	char chunk[1 << 16];
	pid_t pid = -1;
	FILE *f;

	if (xz) {
		if (pipe(fds) < 0 || (pid = fork()) < 0)
			die("cannot start xz: %s", strerror(errno));
		if (pid == 0) {
			dup2(fds[1], STDOUT_FILENO);
			close(fds[0]);
			close(fds[1]);
			execlp("xz", "xz", "-dc", "--", path, (char *)NULL);
			_exit(127);
		}
		close(fds[1]);
		f = fdopen(fds[0], "rb");
	} else {
		f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	}
	if (f == NULL)
		die("cannot open %s: %s", path, strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		sb_add(out, chunk, n);
	if (f != stdin)
		fclose(f);
	if (xz && (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0))
		die("xz -dc %s failed (is xz-utils installed?)", path);
}

struct envelope *
load_bundle(const char *path, long batch, long *ret_n_env, long *ret_n, size_t *ret_bytes)
{
	struct sbuf raw = { 0 };
	struct splitter sp = { .batch = batch };
	const char *p, *e, *k = NULL;
	long i, total = 0;

	read_input(path, &raw);
	if (raw.len == 0)
		die("%s is empty", path);
	/* Find the bundle's top-level "objects" (the bundle has no other arrays of note). */
	p = skip_ws(raw.data, raw.data + raw.len);
	e = raw.data + raw.len;
	if (*p != '{')
		die("%s is not a STIX bundle (a JSON object)", path);
	for (p++;;) {
		const char *ks, *v;
		p = skip_ws(p, e);
		if (p >= e || *p != '"' || (v = skip_string(p, e)) == NULL)
			die("%s: malformed bundle", path);
		ks = p + 1;
		p = skip_ws(v, e);
		if (p >= e || *p++ != ':')
			die("%s: malformed bundle", path);
		if (v - ks - 1 == 7 && memcmp(ks, "objects", 7) == 0) {
			k = p;
			break;
		}
		if ((p = skip_value(p, e)) == NULL)
			die("%s: malformed bundle", path);
		p = skip_ws(p, e);
		if (p < e && *p == ',')
			p++;
	}
	if (each_element(k, e, split_one, &sp) == NULL)
		die("%s: the bundle's objects are not a well-formed list", path);
	split_flush(&sp);
	for (i = 0; i < sp.n_env; i++)
		total += sp.env[i].n;
	free(raw.data);
	*ret_n_env = sp.n_env;
	*ret_n = total;
	*ret_bytes = sp.obj_bytes;
	return sp.env;
}

long
num_arg(const char *name, const char *v, long lo, long hi)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end != '\0' || n < lo || n > hi)
		die("--%s must be an integer from %ld to %ld, not '%s'", name, lo, hi, v);
	return n;
}

const char *
cpu_model(void)
{
	static char model[256];
	FILE *f;
	char line[512], *p, *q;

	if (model[0] != '\0')
		return model;
	snprintf(model, sizeof(model), "unknown");
	if ((f = fopen("/proc/cpuinfo", "r")) == NULL)
		return model;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "model name", 10) != 0 || (p = strchr(line, ':')) == NULL)
			continue;
		for (p++; *p == ' ' || *p == '\t'; p++)
			;
		p[strcspn(p, "\n")] = '\0';
		for (q = p; *q; q++)
			if (*q == '"' || *q == '\\')
				*q = '\'';
		snprintf(model, sizeof(model), "%s", p);
		break;
	}
	fclose(f);
	return model;
}

void
bench_loadavg(char out[64])
{
	FILE *f = fopen("/proc/loadavg", "r");
	double a = 0, b = 0, c = 0;

	if (f != NULL) {
		if (fscanf(f, "%lf %lf %lf", &a, &b, &c) != 3)
			a = b = c = 0;
		fclose(f);
	}
	snprintf(out, 64, "%.2f %.2f %.2f", a, b, c);
}

void
bench_print_machine(const char *load_before)
{
	char after[64];

	bench_loadavg(after);
	printf("\"nproc\":%ld,\"cpu\":\"%s\",\"load_before\":\"%s\",\"load_after\":\"%s\"}\n",
	    sysconf(_SC_NPROCESSORS_ONLN), cpu_model(), load_before, after);
	fflush(stdout);
}
