/*
 * End-to-end test helpers (see e2e.h). Daemons are children that die with
 * the test (PR_SET_PDEATHSIG) and are killed and their homes removed at exit,
 * so a failing or crashing test leaves nothing running.
 */
#include "e2e.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef LIAISON_BIN_DIR
#error "LIAISON_BIN_DIR must be defined by CMake"
#endif

#define MAX_NODES 32

static struct e2e_node *g_nodes[MAX_NODES];
int e2e_init_port0_refused, e2e_daemon_port0_refused;
static size_t g_n_nodes;

/* ---- small utilities ---- */

int64_t
e2e_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
e2e_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

void
e2e_str_add(struct e2e_str *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		b->s = realloc(b->s, cap);
		if (b->s == NULL)
			abort();
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void
e2e_str_addf(struct e2e_str *b, const char *fmt, ...)
{
	va_list ap;
	char small[1024], *big;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < (int)sizeof(small)) {
		e2e_str_add(b, small, (size_t)n);
		return;
	}
	big = malloc((size_t)n + 1);
	if (big == NULL)
		abort();
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	e2e_str_add(b, big, (size_t)n);
	free(big);
}

void
e2e_str_release(struct e2e_str *b)
{
	free(b->s);
	memset(b, 0, sizeof(*b));
}

void
e2e_urlenc(const char *s, char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *s && o + 4 < cap; s++) {
		unsigned char c = (unsigned char)*s;
		if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
}

void
e2e_uuid4(char out[37])
{
	uint8_t b[16];
	size_t got = 0;

	while (got < sizeof(b)) {
		ssize_t n = getrandom(b + got, sizeof(b) - got, 0);
		if (n > 0)
			got += (size_t)n;
	}
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	    b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
	    b[13], b[14], b[15]);
}

void
e2e_ts(int64_t sec, int ms, char out[32])
{
	time_t t = (time_t)(sec + ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
	    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms % 1000);
}

#define CREATED_SEC 1577836800 /* 2020-01-01T00:00:00Z */

int
e2e_indicator(char *out, size_t cap, const char *id, const char *name, int64_t mod_ms)
{
	char mod[32];

	e2e_ts(CREATED_SEC + mod_ms / 1000, (int)(mod_ms % 1000), mod);
	return snprintf(out, cap,
	    "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"%s\","
	    "\"created\":\"2020-01-01T00:00:00.000Z\",\"modified\":\"%s\",\"name\":\"%s\","
	    "\"indicator_types\":[\"malicious-activity\"],\"pattern_type\":\"stix\","
	    "\"pattern\":\"[ipv4-addr:value = '198.51.100.7']\",\"valid_from\":\"2020-01-01T00:00:00Z\"}",
	    id, mod, name);
}

/* "YYYY-MM-DDTHH:MM:SS[.f]Z" -> with 9 fractional digits; "" if not a timestamp. */
static void
norm_ts(const char *s, char out[40])
{
	size_t n = strlen(s), i, f = 0;
	char frac[10] = "000000000";

	out[0] = '\0';
	if (n < 20 || s[n - 1] != 'Z')
		return;
	if (n == 20 && s[19] != 'Z')
		return;
	if (n > 20) {
		if (s[19] != '.')
			return;
		for (i = 20; i < n - 1 && f < 9; i++)
			frac[f++] = s[i];
	}
	snprintf(out, 40, "%.19s.%sZ", s, frac);
}

void
e2e_version_key(const json_t *obj, char *out, size_t cap)
{
	const char *id = json_string_value(json_object_get(obj, "id"));
	const char *v = json_string_value(json_object_get(obj, "modified"));
	char nv[40] = "";

	if (v == NULL)
		v = json_string_value(json_object_get(obj, "created"));
	if (v != NULL)
		norm_ts(v, nv);
	snprintf(out, cap, "%s|%s", id ? id : "?", nv);
}

char *
e2e_read_file(const char *path, size_t *ret_len)
{
	size_t n = strlen(path), len = 0, cap = 1 << 20;
	int xz = n > 3 && strcmp(path + n - 3, ".xz") == 0;
	char cmd[1200], *buf = malloc(cap);
	FILE *f;
	size_t got;

	if (buf == NULL)
		return NULL;
	if (xz) {
		snprintf(cmd, sizeof(cmd), "xz -dc '%s'", path);
		f = popen(cmd, "r");
	} else {
		f = fopen(path, "rb");
	}
	if (f == NULL) {
		free(buf);
		return NULL;
	}
	while ((got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += got;
		if (cap - len - 1 == 0) {
			cap *= 2;
			buf = realloc(buf, cap);
			if (buf == NULL)
				abort();
		}
	}
	if (xz ? pclose(f) != 0 : fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	*ret_len = len;
	return buf;
}

/* ---- JSON spans ---- */

static const char *
skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	return p;
}

static const char *
skip_string(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (*p == '\\')
			p++;
		else if (*p == '"')
			return p + 1;
	}
	return NULL;
}

const char *
e2e_json_skip(const char *p, const char *end)
{
	int depth = 0;

	p = skip_ws(p, end);
	if (p >= end)
		return NULL;
	if (*p == '"')
		return skip_string(p, end);
	if (*p != '{' && *p != '[') {
		const char *s = p;
		while (p < end && !strchr(",]} \t\r\n", *p))
			p++;
		return p > s ? p : NULL;
	}
	while (p < end) {
		if (*p == '"') {
			p = skip_string(p, end);
			if (p == NULL)
				return NULL;
			continue;
		}
		if (*p == '{' || *p == '[') {
			depth++;
		} else if (*p == '}' || *p == ']') {
			if (--depth == 0)
				return p + 1;
		}
		p++;
	}
	return NULL;
}

long
e2e_json_array_spans(const char *buf, size_t len, const char *key, int want_self,
    struct e2e_span **ret)
{
	const char *end = buf + len, *p = skip_ws(buf, end), *k, *ke, *v, *ve;
	struct e2e_span *sp = NULL;
	size_t n = 0, cap = 0, klen = strlen(key);
	int found = 0;

	*ret = NULL;
	if (p >= end || *p != '{')
		return -1;
	p++;
	for (;;) {
		p = skip_ws(p, end);
		if (p < end && *p == '}')
			break;
		if (p >= end || *p != '"')
			goto bad;
		k = p + 1;
		if ((ke = skip_string(p, end)) == NULL)
			goto bad;
		p = skip_ws(ke, end);
		if (p >= end || *p != ':')
			goto bad;
		v = skip_ws(p + 1, end);
		if ((size_t)(ke - 1 - k) == klen && memcmp(k, key, klen) == 0 && v < end && *v == '[') {
			found = 1;
			p = v + 1;
			for (;;) {
				p = skip_ws(p, end);
				if (p < end && *p == ']') {
					p++;
					break;
				}
				if ((ve = e2e_json_skip(p, end)) == NULL)
					goto bad;
				if (n == cap) {
					cap = cap ? cap * 2 : 256;
					sp = realloc(sp, cap * sizeof(*sp));
					if (sp == NULL)
						abort();
				}
				sp[n].s = p;
				sp[n].len = (size_t)(ve - p);
				n++;
				p = skip_ws(ve, end);
				if (p < end && *p == ',')
					p++;
			}
		} else {
			if ((p = e2e_json_skip(v, end)) == NULL)
				goto bad;
		}
		p = skip_ws(p, end);
		if (p < end && *p == ',')
			p++;
	}
	if (!found && want_self) {
		sp = malloc(sizeof(*sp));
		if (sp == NULL)
			abort();
		sp[0].s = skip_ws(buf, end);
		sp[0].len = (size_t)(p + 1 - sp[0].s);
		n = 1;
	}
	*ret = sp;
	return (long)n;
bad:
	free(sp);
	return -1;
}

/* ---- map ---- */

static uint64_t
fnv(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

void
e2e_map_init(struct e2e_map *m)
{
	memset(m, 0, sizeof(*m));
}

static size_t
map_slot(const struct e2e_map *m, const char *key)
{
	size_t i = (size_t)fnv(key) & (m->cap - 1);

	while (m->keys[i] != NULL && strcmp(m->keys[i], key) != 0)
		i = (i + 1) & (m->cap - 1);
	return i;
}

void **
e2e_map_get(struct e2e_map *m, const char *key)
{
	size_t i;

	if (m->cap == 0)
		return NULL;
	i = map_slot(m, key);
	return m->keys[i] ? &m->vals[i] : NULL;
}

void **
e2e_map_put(struct e2e_map *m, const char *key, int *ret_new)
{
	size_t i;

	if ((m->n + 1) * 10 > m->cap * 7) {
		struct e2e_map g = { 0 };
		g.cap = m->cap ? m->cap * 2 : 1024;
		g.keys = calloc(g.cap, sizeof(*g.keys));
		g.vals = calloc(g.cap, sizeof(*g.vals));
		if (g.keys == NULL || g.vals == NULL)
			abort();
		for (i = 0; i < m->cap; i++) {
			if (m->keys[i]) {
				size_t j = map_slot(&g, m->keys[i]);
				g.keys[j] = m->keys[i];
				g.vals[j] = m->vals[i];
			}
		}
		g.n = m->n;
		free(m->keys);
		free(m->vals);
		*m = g;
	}
	i = map_slot(m, key);
	if (ret_new)
		*ret_new = m->keys[i] == NULL;
	if (m->keys[i] == NULL) {
		m->keys[i] = strdup(key);
		m->vals[i] = NULL;
		m->n++;
	}
	return &m->vals[i];
}

void
e2e_map_release(struct e2e_map *m, void (*free_val)(void *))
{
	size_t i;

	for (i = 0; i < m->cap; i++) {
		if (m->keys[i]) {
			free(m->keys[i]);
			if (free_val)
				free_val(m->vals[i]);
		}
	}
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

/* ---- processes ---- */

static void
cleanup_all(void)
{
	size_t i;

	for (i = 0; i < g_n_nodes; i++)
		if (g_nodes[i] != NULL)
			e2e_node_destroy(g_nodes[i]);
}

__attribute__((constructor)) static void
e2e_global_init(void)
{
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	atexit(cleanup_all);
}

const char *
e2e_bin(const char *name, char out[512])
{
	snprintf(out, 512, "%s/%s", LIAISON_BIN_DIR, name);
	return out;
}

void
e2e_require_bins(void)
{
	char p[512];

	if (access(e2e_bin("liaison", p), X_OK) != 0 || access(e2e_bin("liaisond", p), X_OK) != 0)
		fail_msg("%s/liaison and liaisond must be built first", LIAISON_BIN_DIR);
}

int
e2e_run(const char *const *argv, const char *stdin_data, char **ret_out)
{
	return e2e_run2(argv, stdin_data, ret_out, NULL);
}

/* Reads all of fd from offset 0 into a malloc'd NUL-terminated string. */
static char *
read_all_fd(int fd)
{
	struct e2e_str o = { 0 };
	char buf[4096];
	ssize_t n;

	lseek(fd, 0, SEEK_SET);
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		e2e_str_add(&o, buf, (size_t)n);
	}
	if (o.s == NULL)
		e2e_str_add(&o, "", 0);
	return o.s;
}

int
e2e_run2(const char *const *argv, const char *stdin_data, char **ret_out, char **ret_err)
{
	int in[2], out[2], st, errfd = -1;
	struct e2e_str o = { 0 };
	char buf[4096];
	ssize_t n;
	pid_t pid;

	/* stderr goes to a memory file: two pipes could deadlock */
	if (ret_err != NULL && (errfd = memfd_create("e2e-stderr", MFD_CLOEXEC)) < 0)
		return -1;
	if (pipe2(in, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(out, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		if (errfd >= 0)
			dup2(errfd, 2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	if (pid < 0) {
		close(in[1]);
		close(out[0]);
		if (errfd >= 0)
			close(errfd);
		return -1;
	}
	if (stdin_data != NULL && *stdin_data)
		(void)!write(in[1], stdin_data, strlen(stdin_data));
	close(in[1]);
	while ((n = read(out[0], buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		e2e_str_add(&o, buf, (size_t)n);
	}
	close(out[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (ret_out != NULL) {
		if (o.s == NULL)
			e2e_str_add(&o, "", 0);
		*ret_out = o.s;
	} else {
		free(o.s);
	}
	if (ret_err != NULL) {
		*ret_err = read_all_fd(errfd);
		close(errfd);
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Runs the CLI with up to 16 arguments after the binary; fails the test on error. */
static char *
cli(const char *stdin_data, int want_out, const char *a0, ...)
{
	const char *argv[24];
	char bin[512], *out = NULL;
	va_list ap;
	int n = 0, rc;

	argv[n++] = e2e_bin("liaison", bin);
	argv[n++] = a0;
	va_start(ap, a0);
	while (n < 22 && (argv[n] = va_arg(ap, const char *)) != NULL)
		n++;
	va_end(ap);
	argv[n] = NULL;
	rc = e2e_run(argv, stdin_data, &out);
	if (rc != 0) {
		char cmd[1024] = "";
		for (int i = 1; i < n; i++) {
			strncat(cmd, argv[i], sizeof(cmd) - strlen(cmd) - 2);
			strcat(cmd, " ");
		}
		fail_msg("liaison %sexited with %d; stdout: %s", cmd, rc, out ? out : "");
	}
	if (!want_out) {
		free(out);
		return NULL;
	}
	return out;
}

void
e2e_node_init(struct e2e_node *n, const char *name)
{
	char tmpl[] = "/tmp/liaison-e2e-XXXXXX", home[300];

	e2e_require_bins();
	memset(n, 0, sizeof(*n));
	pthread_mutex_init(&n->mu, NULL);
	pthread_cond_init(&n->cv, NULL);
	n->out_fd = -1;
	if (mkdtemp(tmpl) == NULL)
		fail_msg("mkdtemp: %s", strerror(errno));
	snprintf(n->home, sizeof(n->home), "%s/%s", tmpl, name);
	snprintf(n->name, sizeof(n->name), "%s", name);
	if (g_n_nodes < MAX_NODES)
		g_nodes[g_n_nodes++] = n;
	snprintf(home, sizeof(home), "%s", n->home);
	{
		char bin[512], *out = NULL, url[512];
		const char *argv[] = { e2e_bin("liaison", bin), "init", "--home", home, "--name", name,
				       "--listen", "127.0.0.1:0", NULL, NULL, NULL };

		if (e2e_pg() != NULL) {
			e2e_pg_create(home, n->db, url);
			argv[8] = "--store";
			argv[9] = url;
		}
		int rc = e2e_run(argv, NULL, &out);
		free(out);
		if (rc == 2) {
			/*
			 * Older CLIs refuse port 0 at init (the daemon accepts it): init
			 * on a placeholder port and let liaison.conf ask for port 0.
			 */
			fprintf(stderr, "e2e: 'liaison init --listen 127.0.0.1:0' was refused; "
			    "setting listen = 127.0.0.1:0 in liaison.conf instead\n");
			e2e_init_port0_refused = 1;
			cli(NULL, 0, "init", "--home", home, "--name", name, "--listen", "127.0.0.1:1", NULL);
			e2e_node_conf(n, "taxii", "listen", "127.0.0.1:0");
		} else if (rc != 0) {
			fail_msg("liaison init --home %s exited with %d", home, rc);
		}
	}
	snprintf(n->cacert, sizeof(n->cacert), "%s/tls/cert.pem", n->home);
	snprintf(n->log_path, sizeof(n->log_path), "%s.log", n->home);
	if (access(n->cacert, R_OK) != 0)
		fail_msg("liaison init made no %s", n->cacert);
}

void
e2e_node_init_linked(struct e2e_node *n, const char *name)
{
	e2e_node_init(n, name);
	e2e_node_conf(n, "peer", "retry_min_ms", "100");
	e2e_node_conf(n, "peer", "retry_max_ms", "1000");
}

void
e2e_log_time(int64_t t_start_ms, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "[%6.1f s] ", (double)(e2e_now_ms() - t_start_ms) / 1000);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
e2e_node_conf(struct e2e_node *n, const char *section, const char *key, const char *value)
{
	char path[400], line[1024], sect[128] = "";
	struct e2e_str o = { 0 };
	FILE *f;
	int done = 0, in_sect = 0;
	size_t kl = strlen(key);

	snprintf(path, sizeof(path), "%s/liaison.conf", n->home);
	f = fopen(path, "r");
	if (f == NULL)
		fail_msg("cannot read %s", path);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (line[0] == '[') {
			if (in_sect && !done) {
				e2e_str_addf(&o, "%s = %s\n", key, value);
				done = 1;
			}
			snprintf(sect, sizeof(sect), "%s", line + 1);
			*strchrnul(sect, ']') = '\0';
			in_sect = strcmp(sect, section) == 0;
		} else if (in_sect && !done && strncmp(line, key, kl) == 0 &&
		    (line[kl] == ' ' || line[kl] == '=')) {
			e2e_str_addf(&o, "%s = %s\n", key, value);
			done = 1;
			continue;
		}
		e2e_str_add(&o, line, strlen(line));
	}
	fclose(f);
	if (!done) {
		if (!in_sect)
			e2e_str_addf(&o, "\n[%s]\n", section);
		e2e_str_addf(&o, "%s = %s\n", key, value);
	}
	f = fopen(path, "w");
	if (f == NULL || fwrite(o.s, 1, o.len, f) != o.len || fclose(f) != 0)
		fail_msg("cannot write %s", path);
	e2e_str_release(&o);
}

void
e2e_coll_add(struct e2e_node *n, const char *title)
{
	cli(NULL, 0, "collection", "add", "--title", title, "--home", n->home, NULL);
}

void
e2e_coll_id(struct e2e_node *n, const char *title, char out[64])
{
	char *o = cli(NULL, 1, "collection", "list", "--json", "--home", n->home, NULL);
	json_error_t je;
	json_t *doc = json_loads(o, 0, &je), *arr = doc, *v;
	size_t i;
	const char *k;

	if (doc == NULL)
		fail_msg("liaison collection list --json printed no JSON: %s", o);
	if (json_is_object(doc)) {
		arr = NULL;
		json_object_foreach(doc, k, v)
			if (json_is_array(v) && arr == NULL)
				arr = v;
	}
	out[0] = '\0';
	json_array_foreach(arr, i, v) {
		const char *t = json_string_value(json_object_get(v, "title"));
		const char *id = json_string_value(json_object_get(v, "id"));
		if (t && id && strcmp(t, title) == 0)
			snprintf(out, 64, "%s", id);
	}
	if (out[0] == '\0')
		fail_msg("no collection titled '%s' in: %s", title, o);
	json_decref(doc);
	free(o);
}

void
e2e_user_add(struct e2e_node *n, const char *user, const char *password, int admin,
    const char *const *grants)
{
	const char *argv[40];
	char bin[512], pw[256], *out = NULL;
	int k = 0, rc;

	argv[k++] = e2e_bin("liaison", bin);
	argv[k++] = "user";
	argv[k++] = "add";
	argv[k++] = user;
	argv[k++] = "--password-stdin";
	for (; grants && *grants && k < 34; grants++) {
		argv[k++] = "--grant";
		argv[k++] = *grants;
	}
	if (admin)
		argv[k++] = "--admin";
	argv[k++] = "--home";
	argv[k++] = n->home;
	argv[k] = NULL;
	snprintf(pw, sizeof(pw), "%s\n", password);
	rc = e2e_run(argv, pw, &out);
	if (rc != 0)
		fail_msg("liaison user add %s exited with %d: %s", user, rc, out);
	free(out);
}

void
e2e_token_create(struct e2e_node *n, const char *user, char out[256])
{
	char *o = cli(NULL, 1, "token", "create", user, "--home", n->home, NULL), *p, *e;

	p = strstr(o, "lsn_");
	if (p == NULL)
		fail_msg("liaison token create printed no lsn_ token: %s", o);
	for (e = p; *e && !isspace((unsigned char)*e) && *e != '"'; e++)
		;
	snprintf(out, 256, "%.*s", (int)(e - p), p);
	free(o);
}

static void *
drain(void *arg)
{
	struct e2e_node *n = arg;
	char buf[65536];
	struct e2e_str line = { 0 };
	FILE *log = fopen(n->log_path, "a");
	ssize_t r;

	for (;;) {
		r = read(n->out_fd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (log) {
			/* flushed at once: tests read the log while the daemon runs */
			fwrite(buf, 1, (size_t)r, log);
			fflush(log);
		}
		for (ssize_t i = 0; i < r; i++) {
			if (buf[i] != '\n') {
				e2e_str_add(&line, buf + i, 1);
				continue;
			}
			if (line.s == NULL)
				continue;
			pthread_mutex_lock(&n->mu);
			n->lines++;
			if (strstr(line.s, "\"event\":\"started\"")) {
				const char *p = strstr(line.s, "\"port\":");
				n->port = p ? atoi(p + 7) : 0;
				p = strstr(line.s, "\"peer_port\":");
				n->peer_port = p ? atoi(p + 12) : 0;
				n->started = 1;
				pthread_cond_broadcast(&n->cv);
			} else if (strstr(line.s, "\"event\":\"stopped\"")) {
				n->stopped_event = 1;
			}
			pthread_mutex_unlock(&n->mu);
			line.len = 0;
			line.s[0] = '\0';
		}
	}
	if (log)
		fclose(log);
	e2e_str_release(&line);
	pthread_mutex_lock(&n->mu);
	n->eof = 1;
	pthread_cond_broadcast(&n->cv);
	pthread_mutex_unlock(&n->mu);
	return NULL;
}

static void
print_log_tail(const struct e2e_node *n)
{
	size_t len = 0;
	char *s = e2e_read_file(n->log_path, &len);

	if (s != NULL)
		fprintf(stderr, "---- %s (last bytes) ----\n%s\n----\n", n->log_path,
		    len > 4000 ? s + len - 4000 : s);
	free(s);
}

static int
start_once(struct e2e_node *n)
{
	char bin[512];
	const char *argv[] = { e2e_bin("liaisond", bin), "--home", n->home, NULL };
	int out[2], devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	pid_t parent = getpid(), pid;
	struct timespec dl;

	if (n->pid > 0)
		fail_msg("node %s is already running", n->name);
	if (pipe2(out, O_CLOEXEC) < 0)
		fail_msg("pipe: %s", strerror(errno));
	pid = fork();
	if (pid == 0) {
		/* The daemon dies with the test, even if the test is SIGKILLed. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(126);
		dup2(devnull, 0);
		dup2(out[1], 1);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(out[1]);
	close(devnull);
	if (pid < 0)
		fail_msg("fork: %s", strerror(errno));
	n->pid = pid;
	n->out_fd = out[0];
	n->started = n->stopped_event = n->eof = 0;
	n->port = n->peer_port = 0;
	if (pthread_create(&n->reader, NULL, drain, n) != 0)
		fail_msg("pthread_create failed");
	n->reader_running = 1;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 60;
	pthread_mutex_lock(&n->mu);
	while (!n->started && !n->eof)
		if (pthread_cond_timedwait(&n->cv, &n->mu, &dl) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&n->mu);
	if (!n->started || n->port <= 0) {
		e2e_node_kill9(n);
		return -1;
	}
	snprintf(n->base, sizeof(n->base), "https://127.0.0.1:%d", n->port);
	return 0;
}

static int
free_port(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = 0;

	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sin, &len) == 0)
		port = ntohs(sin.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static int
log_mentions(const struct e2e_node *n, const char *what)
{
	size_t len;
	char *s = e2e_read_file(n->log_path, &len);
	int found = s != NULL && strstr(s, what) != NULL;

	free(s);
	return found;
}

void
e2e_node_start(struct e2e_node *n)
{
	char listen[64];
	int i;

	if (start_once(n) == 0)
		return;
	/*
	 * Fallback: should liaisond refuse "127.0.0.1:0" (libevent's
	 * evutil_parse_sockaddr_port rejects port 0 unless worked around), pick a
	 * free port ourselves so the rest of the suite still runs;
	 * test_listen_port0 in test_taxii.c then fails. Also retries if the
	 * port we picked was taken meanwhile.
	 */
	for (i = 0; i < 5 && (log_mentions(n, "cannot parse listen address '127.0.0.1:0'") ||
	    log_mentions(n, "cannot listen on 127.0.0.1:")); i++) {
		if (log_mentions(n, "cannot parse listen address '127.0.0.1:0'"))
			e2e_daemon_port0_refused = 1;
		snprintf(listen, sizeof(listen), "127.0.0.1:%d", free_port());
		e2e_node_conf(n, "taxii", "listen", listen);
		unlink(n->log_path);
		if (start_once(n) == 0)
			return;
	}
	print_log_tail(n);
	fail_msg("liaisond --home %s did not log a started event with a port", n->home);
}

static void
reap(struct e2e_node *n, int *ret_status)
{
	int st = 0;

	while (waitpid(n->pid, &st, 0) < 0 && errno == EINTR)
		;
	n->pid = 0;
	if (n->reader_running) {
		pthread_join(n->reader, NULL);
		n->reader_running = 0;
		close(n->out_fd);
		n->out_fd = -1;
	}
	if (ret_status)
		*ret_status = st;
}

int
e2e_node_alive(struct e2e_node *n)
{
	int st;

	if (n->pid <= 0)
		return 0;
	if (waitpid(n->pid, &st, WNOHANG) == n->pid) {
		fprintf(stderr, "e2e: liaisond %s exited unexpectedly (status %d)\n", n->name, st);
		n->pid = -n->pid; /* reaped; remember it died */
		if (n->reader_running) {
			pthread_join(n->reader, NULL);
			n->reader_running = 0;
			close(n->out_fd);
			n->out_fd = -1;
		}
		n->pid = 0;
		return 0;
	}
	return 1;
}

void
e2e_node_signal(struct e2e_node *n, int sig)
{
	if (n->pid > 0)
		kill(n->pid, sig);
}

int
e2e_node_wait(struct e2e_node *n, int timeout_ms, int *ret_stopped_logged)
{
	int64_t dl = e2e_now_ms() + timeout_ms;
	int st = 0;
	pid_t r;

	if (ret_stopped_logged)
		*ret_stopped_logged = 0;
	if (n->pid <= 0)
		return -1;
	while ((r = waitpid(n->pid, &st, WNOHANG)) == 0 && e2e_now_ms() < dl)
		e2e_sleep_ms(10);
	if (r == 0)
		return -2;
	n->pid = 0;
	if (n->reader_running) {
		pthread_join(n->reader, NULL);
		n->reader_running = 0;
		close(n->out_fd);
		n->out_fd = -1;
	}
	if (ret_stopped_logged)
		*ret_stopped_logged = n->stopped_event;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		print_log_tail(n);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int
e2e_node_stop(struct e2e_node *n, int *ret_stopped_logged)
{
	int rc;

	if (ret_stopped_logged)
		*ret_stopped_logged = 0;
	if (n->pid <= 0)
		return -1;
	kill(n->pid, SIGTERM);
	rc = e2e_node_wait(n, 120000, ret_stopped_logged);
	if (rc == -2) {
		fprintf(stderr, "e2e: liaisond %s ignored SIGTERM for 120 s; killing it\n", n->name);
		kill(n->pid, SIGKILL);
		reap(n, NULL);
		return -1;
	}
	return rc;
}

void
e2e_node_kill9(struct e2e_node *n)
{
	if (n->pid <= 0)
		return;
	kill(n->pid, SIGKILL);
	reap(n, NULL);
}

int
e2e_node_finish(struct e2e_node *n)
{
	int logged = 0, rc;

	rc = e2e_node_stop(n, &logged);
	e2e_node_destroy(n);
	if (rc != 0 || !logged) {
		fprintf(stderr, "liaisond did not stop cleanly on SIGTERM (exit %d, stopped logged %d)\n",
		    rc, logged);
		return -1;
	}
	return 0;
}

void
e2e_node_destroy(struct e2e_node *n)
{
	char bin[] = "/bin/rm", dir[300], *slash;
	const char *argv[] = { bin, "-rf", dir, NULL };
	size_t i;

	e2e_node_kill9(n);
	for (i = 0; i < g_n_nodes; i++)
		if (g_nodes[i] == n)
			g_nodes[i] = NULL;
	e2e_pg_drop(n->db);
	n->db[0] = '\0';
	if (n->home[0] == '\0' || getenv("E2E_KEEP") != NULL)
		return;
	snprintf(dir, sizeof(dir), "%s", n->home);
	slash = strrchr(dir, '/');
	if (slash != NULL && strncmp(dir, "/tmp/liaison-e2e-", 17) == 0) {
		*slash = '\0'; /* the mkdtemp folder holds the home and its log */
		e2e_run(argv, NULL, NULL);
	}
	n->home[0] = '\0';
}

void
e2e_node_pin_ports(struct e2e_node *n)
{
	char v[64];

	if (n->port <= 0 || n->peer_port <= 0)
		fail_msg("node %s has not logged its ports (is it running?)", n->name);
	snprintf(v, sizeof(v), "127.0.0.1:%d", n->port);
	e2e_node_conf(n, "taxii", "listen", v);
	snprintf(v, sizeof(v), "127.0.0.1:%d", n->peer_port);
	e2e_node_conf(n, "peer", "listen", v);
}

void
e2e_peer_endpoint(const struct e2e_node *n, char out[64])
{
	if (n->peer_port <= 0)
		fail_msg("node %s has no peer port (it logged none, or never ran)", n->name);
	snprintf(out, 64, "https://127.0.0.1:%d", n->peer_port);
}

/* ---- the CLI and the daemon's log ---- */

static int
liaison_v(const struct e2e_node *n, const char *stdin_data, char **ret_out, char **ret_err,
    int add_json, va_list ap)
{
	const char *argv[48], *a;
	char bin[512];
	int k = 0;

	argv[k++] = e2e_bin("liaison", bin);
	while ((a = va_arg(ap, const char *)) != NULL && k < 42)
		argv[k++] = a;
	if (add_json)
		argv[k++] = "--json";
	argv[k++] = "--home";
	argv[k++] = n->home;
	argv[k] = NULL;
	return e2e_run2(argv, stdin_data, ret_out, ret_err);
}

int
e2e_liaison(const struct e2e_node *n, const char *stdin_data, char **ret_out, char **ret_err, ...)
{
	va_list ap;
	int rc;

	va_start(ap, ret_err);
	rc = liaison_v(n, stdin_data, ret_out, ret_err, 0, ap);
	va_end(ap);
	return rc;
}

json_t *
e2e_liaison_json(const struct e2e_node *n, ...)
{
	char *out = NULL, *err = NULL, what[256] = "";
	json_error_t je;
	json_t *j;
	va_list ap;
	const char *a;
	int rc;

	va_start(ap, n);
	rc = liaison_v(n, NULL, &out, &err, 1, ap);
	va_end(ap);
	va_start(ap, n);
	while ((a = va_arg(ap, const char *)) != NULL)
		snprintf(what + strlen(what), sizeof(what) - strlen(what), "%s ", a);
	va_end(ap);
	if (rc != 0)
		fail_msg("liaison %s--json (node %s) exited with %d: %s %s", what, n->name, rc, out, err);
	j = json_loads(out, JSON_REJECT_DUPLICATES, &je);
	if (j == NULL)
		fail_msg("liaison %s--json (node %s) printed no JSON (%s): %.500s", what, n->name, je.text, out);
	free(out);
	free(err);
	return j;
}

void
e2e_identity_export(const struct e2e_node *n, const char *path)
{
	char *out = NULL, *err = NULL;
	FILE *f;
	int rc = e2e_liaison(n, NULL, &out, &err, "identity", "export", NULL);

	if (rc != 0)
		fail_msg("liaison identity export (node %s) exited with %d: %s", n->name, rc, err);
	f = fopen(path, "w");
	if (f == NULL || fwrite(out, 1, strlen(out), f) != strlen(out) || fclose(f) != 0)
		fail_msg("cannot write %s", path);
	free(out);
	free(err);
}

json_t *
e2e_pair(const struct e2e_node *n, const struct e2e_node *peer, const char *const *shares)
{
	const char *argv[48];
	char bin[512], file[400], ep[64], *out = NULL, *err = NULL;
	json_error_t je;
	json_t *j;
	int k = 0, rc;

	snprintf(file, sizeof(file), "%s.identity.json", peer->home);
	e2e_identity_export(peer, file);
	e2e_peer_endpoint(peer, ep);
	argv[k++] = e2e_bin("liaison", bin);
	argv[k++] = "partner";
	argv[k++] = "add";
	argv[k++] = file;
	argv[k++] = "--endpoint";
	argv[k++] = ep;
	argv[k++] = "--yes";
	argv[k++] = "--json";
	for (; shares && *shares && k < 40; shares++) {
		argv[k++] = "--share";
		argv[k++] = *shares;
	}
	argv[k++] = "--home";
	argv[k++] = n->home;
	argv[k] = NULL;
	rc = e2e_run2(argv, NULL, &out, &err);
	if (rc != 0)
		fail_msg("liaison partner add %s (node %s) exited with %d: %s %s", file, n->name, rc, out, err);
	j = json_loads(out, JSON_REJECT_DUPLICATES, &je);
	if (j == NULL)
		fail_msg("liaison partner add --json printed no JSON: %.300s", out);
	free(out);
	free(err);
	return j;
}

json_t *
e2e_partner(const struct e2e_node *n, const char *name)
{
	json_t *j = e2e_liaison_json(n, "partner", "list", NULL), *v, *found = NULL;
	size_t i;

	json_array_foreach(json_object_get(j, "partners"), i, v) {
		const char *nm = json_string_value(json_object_get(v, "name"));
		if (nm != NULL && strcmp(nm, name) == 0)
			found = json_incref(v);
	}
	json_decref(j);
	return found;
}

size_t
e2e_log_count(const struct e2e_node *n, const char *const *needles)
{
	size_t len = 0, count = 0;
	char *s = e2e_read_file(n->log_path, &len), *line, *nl;
	const char *const *x;

	if (s == NULL)
		return 0;
	for (line = s; line < s + len; line = nl + 1) {
		int all = 1;
		nl = strchr(line, '\n');
		if (nl == NULL)
			nl = s + len;
		*nl = '\0';
		for (x = needles; *x && all; x++)
			all = strstr(line, *x) != NULL;
		count += all;
	}
	free(s);
	return count;
}

size_t
e2e_log_wait(const struct e2e_node *n, const char *const *needles, size_t want, int timeout_ms)
{
	int64_t dl = e2e_now_ms() + timeout_ms;
	size_t got;

	while ((got = e2e_log_count(n, needles)) < want && e2e_now_ms() < dl)
		e2e_sleep_ms(50);
	return got;
}

/* ---- HTTPS client ---- */

void
e2e_client_init(struct e2e_client *c, const struct e2e_node *n)
{
	memset(c, 0, sizeof(*c));
	c->curl = curl_easy_init();
	c->node = n;
	if (c->curl == NULL)
		abort();
}

static void
b64(const uint8_t *in, size_t n, char *out)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, o = 0;

	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = t[v >> 18];
		out[o++] = t[(v >> 12) & 63];
		out[o++] = t[(v >> 6) & 63];
		out[o++] = t[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;
		out[o++] = t[v >> 18];
		out[o++] = t[(v >> 12) & 63];
		out[o++] = '=';
		out[o++] = '=';
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = t[v >> 18];
		out[o++] = t[(v >> 12) & 63];
		out[o++] = t[(v >> 6) & 63];
		out[o++] = '=';
	}
	out[o] = '\0';
}

void
e2e_client_basic(struct e2e_client *c, const struct e2e_node *n, const char *user,
    const char *password)
{
	char raw[256], enc[400];

	e2e_client_init(c, n);
	snprintf(raw, sizeof(raw), "%s:%s", user, password);
	b64((const uint8_t *)raw, strlen(raw), enc);
	snprintf(c->auth, sizeof(c->auth), "Basic %s", enc);
}

void
e2e_client_bearer(struct e2e_client *c, const struct e2e_node *n, const char *token)
{
	e2e_client_init(c, n);
	snprintf(c->auth, sizeof(c->auth), "Bearer %s", token);
}

void
e2e_client_release(struct e2e_client *c)
{
	if (c->curl)
		curl_easy_cleanup(c->curl);
	c->curl = NULL;
}

void
e2e_resp_release(struct e2e_resp *r)
{
	size_t i;

	free(r->body);
	for (i = 0; i < r->n_hdr; i++) {
		free(r->hdr[i].name);
		free(r->hdr[i].value);
	}
	memset(r, 0, sizeof(*r));
}

static void
resp_body_add(struct e2e_resp *r, const char *p, size_t n)
{
	struct e2e_str b = { r->body, r->len, r->cap };

	e2e_str_add(&b, p, n);
	r->body = b.s;
	r->len = b.len;
	r->cap = b.cap;
}

static size_t
on_body(char *p, size_t sz, size_t nm, void *arg)
{
	resp_body_add(arg, p, sz * nm);
	return sz * nm;
}

static void
hdr_clear(struct e2e_resp *r)
{
	size_t i;

	for (i = 0; i < r->n_hdr; i++) {
		free(r->hdr[i].name);
		free(r->hdr[i].value);
	}
	r->n_hdr = 0;
}

/* One "Name: value" line (without CRLF) into r->hdr. */
static void
hdr_add_line(struct e2e_resp *r, const char *p, size_t n)
{
	const char *colon = memchr(p, ':', n), *v, *e = p + n;

	if (colon == NULL || r->n_hdr == sizeof(r->hdr) / sizeof(r->hdr[0]))
		return;
	v = colon + 1;
	while (v < e && (*v == ' ' || *v == '\t'))
		v++;
	while (e > v && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		e--;
	r->hdr[r->n_hdr].name = strndup(p, (size_t)(colon - p));
	r->hdr[r->n_hdr].value = strndup(v, (size_t)(e - v));
	r->n_hdr++;
}

static size_t
on_header(char *p, size_t sz, size_t nm, void *arg)
{
	struct e2e_resp *r = arg;
	size_t n = sz * nm;

	if (n >= 5 && memcmp(p, "HTTP/", 5) == 0)
		hdr_clear(r); /* a new response (after 100 Continue) */
	else
		hdr_add_line(r, p, n);
	return n;
}

const char *
e2e_hdr(const struct e2e_resp *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n_hdr; i++)
		if (strcasecmp(r->hdr[i].name, name) == 0)
			return r->hdr[i].value;
	return NULL;
}

/* Runs a prepared request with headers hl (freed here); the reply goes to r. */
static int
perform(CURL *h, struct curl_slist *hl, struct e2e_resp *r)
{
	int rc;

	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	rc = (int)curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(hl);
	r->curl_rc = rc;
	if (r->body == NULL)
		resp_body_add(r, "", 0);
	return rc;
}

int
e2e_do(struct e2e_client *c, const struct e2e_req *rq, struct e2e_resp *r)
{
	CURL *h = c->curl;
	struct curl_slist *hl = NULL;
	const char *const *x;
	char url[4200], line[1200];
	const char *method = rq->method ? rq->method : rq->body ? "POST" : "GET";

	e2e_resp_release(r);
	curl_easy_reset(h);
	snprintf(url, sizeof(url), "%s%s", c->node->base, rq->path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CAINFO, c->node->cacert);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_3);
	curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, rq->timeout_ms ? rq->timeout_ms : 120000L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
	if (rq->body != NULL) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->len);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, rq->body);
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0)
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	else if (strcmp(method, "GET") == 0 && rq->body != NULL)
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "GET");
	if (rq->accept == NULL)
		hl = curl_slist_append(hl, "Accept: " TAXII_MT);
	else if (rq->accept[0] == '\0')
		hl = curl_slist_append(hl, "Accept:");
	else {
		snprintf(line, sizeof(line), "Accept: %s", rq->accept);
		hl = curl_slist_append(hl, line);
	}
	if (rq->ctype == NULL && rq->body != NULL)
		hl = curl_slist_append(hl, "Content-Type: " TAXII_MT);
	else if (rq->ctype != NULL && rq->ctype[0] == '\0')
		hl = curl_slist_append(hl, "Content-Type:");
	else if (rq->ctype != NULL) {
		snprintf(line, sizeof(line), "Content-Type: %s", rq->ctype);
		hl = curl_slist_append(hl, line);
	}
	{
		const char *a = rq->auth ? rq->auth : c->auth;
		if (a[0] != '\0') {
			snprintf(line, sizeof(line), "Authorization: %s", a);
			hl = curl_slist_append(hl, line);
		}
	}
	{
		int own_expect = 0;
		for (x = rq->headers; x && *x; x++)
			own_expect |= strncasecmp(*x, "Expect:", 7) == 0;
		if (!own_expect) /* no 1 s wait for a 100 Continue on big bodies */
			hl = curl_slist_append(hl, "Expect:");
	}
	for (x = rq->headers; x && *x; x++)
		hl = curl_slist_append(hl, *x);
	return perform(h, hl, r);
}

int
e2e_get(struct e2e_client *c, const char *path, struct e2e_resp *r)
{
	struct e2e_req rq = { .path = path };

	return e2e_do(c, &rq, r);
}

int
e2e_post(struct e2e_client *c, const char *path, const char *body, size_t len,
    struct e2e_resp *r)
{
	struct e2e_req rq = { .path = path, .body = body, .len = len };

	return e2e_do(c, &rq, r);
}

int
e2e_delete(struct e2e_client *c, const char *path, struct e2e_resp *r)
{
	struct e2e_req rq = { .method = "DELETE", .path = path };

	return e2e_do(c, &rq, r);
}

json_t *
e2e_json(const struct e2e_resp *r)
{
	json_error_t je;
	json_t *j = json_loadb(r->body, r->len, JSON_REJECT_DUPLICATES, &je);

	if (j == NULL)
		fail_msg("HTTP %ld body is not JSON (%s at %d): %.500s", r->status, je.text,
		    je.position, r->body);
	return j;
}

static int
ctype_is_taxii(const struct e2e_resp *r)
{
	const char *ct = e2e_hdr(r, "Content-Type");
	char v[128];
	size_t i, j = 0;

	if (ct == NULL)
		return 0;
	for (i = 0; ct[i] && j + 1 < sizeof(v); i++)
		if (ct[i] != ' ')
			v[j++] = (char)tolower((unsigned char)ct[i]);
	v[j] = '\0';
	return strcmp(v, TAXII_MT) == 0;
}

void
e2e_assert_error(const struct e2e_resp *r, long status, const char *want)
{
	json_t *j, *t, *d, *hs;
	char code[8];

	if (r->curl_rc != 0)
		fail_msg("request failed at the transport level (curl %d), wanted HTTP %ld",
		    r->curl_rc, status);
	if (r->status != status)
		fail_msg("wanted HTTP %ld, got %ld: %.600s", status, r->status, r->body);
	if (!ctype_is_taxii(r))
		fail_msg("HTTP %ld error has Content-Type '%s', not " TAXII_MT, status,
		    e2e_hdr(r, "Content-Type") ? e2e_hdr(r, "Content-Type") : "(none)");
	j = e2e_json(r);
	t = json_object_get(j, "title");
	d = json_object_get(j, "description");
	hs = json_object_get(j, "http_status");
	if (!json_is_string(t) || json_string_length(t) == 0)
		fail_msg("error resource without a title: %s", r->body);
	if (!json_is_string(d) || json_string_length(d) == 0)
		fail_msg("error resource without a description: %s", r->body);
	snprintf(code, sizeof(code), "%ld", status);
	if (!json_is_string(hs) || strcmp(json_string_value(hs), code) != 0)
		fail_msg("error resource http_status is not \"%s\": %s", code, r->body);
	if (want != NULL) {
		/* want is a '|' separated list of alternatives */
		char alt[256], *tok, *save = NULL;
		int found = 0;
		snprintf(alt, sizeof(alt), "%s", want);
		for (tok = strtok_r(alt, "|", &save); tok && !found; tok = strtok_r(NULL, "|", &save))
			found = strcasestr(json_string_value(d), tok) != NULL;
		if (!found)
			fail_msg("HTTP %ld description does not mention '%s': %s", status, want,
			    json_string_value(d));
	}
	json_decref(j);
}

json_t *
e2e_assert_ok(const struct e2e_resp *r, long status)
{
	if (r->curl_rc != 0)
		fail_msg("request failed at the transport level (curl %d: %s)", r->curl_rc,
		    curl_easy_strerror((CURLcode)r->curl_rc));
	if (r->status != status)
		fail_msg("wanted HTTP %ld, got %ld: %.600s", status, r->status, r->body);
	if (!ctype_is_taxii(r))
		fail_msg("HTTP %ld has Content-Type '%s', not " TAXII_MT, status,
		    e2e_hdr(r, "Content-Type") ? e2e_hdr(r, "Content-Type") : "(none)");
	return e2e_json(r);
}

size_t
e2e_count(struct e2e_client *c, const char *coll_id)
{
	struct e2e_resp r = { 0 };
	char path[600], next[256] = "";
	size_t total = 0;

	for (;;) {
		snprintf(path, sizeof(path), API "/collections/%s/manifest/?match[version]=all&limit=10000%s%s",
		    coll_id, next[0] ? "&next=" : "", next);
		e2e_get(c, path, &r);
		json_t *j = e2e_assert_ok(&r, 200), *objs = json_object_get(j, "objects");
		total += json_array_size(objs);
		if (!json_is_true(json_object_get(j, "more"))) {
			json_decref(j);
			break;
		}
		const char *nx = json_string_value(json_object_get(j, "next"));
		if (nx == NULL)
			fail_msg("more=true without next: %.300s", r.body);
		e2e_urlenc(nx, next, sizeof(next));
		json_decref(j);
	}
	e2e_resp_release(&r);
	return total;
}

size_t
e2e_walk_objects(struct e2e_client *c, const char *coll_id, size_t limit,
    void (*fn)(void *arg, const char *s, size_t len), void *arg)
{
	struct e2e_resp r = { 0 };
	char path[600], next[256] = "";
	size_t total = 0;

	for (;;) {
		struct e2e_span *sp;
		json_t *j;
		long n, k;

		snprintf(path, sizeof(path), API "/collections/%s/objects/?match[version]=all&limit=%zu%s%s",
		    coll_id, limit, next[0] ? "&next=" : "", next);
		e2e_get(c, path, &r);
		j = e2e_assert_ok(&r, 200);
		n = e2e_spans(&r, "objects", &sp);
		for (k = 0; k < n; k++)
			fn(arg, sp[k].s, sp[k].len);
		total += (size_t)n;
		free(sp);
		if (!json_is_true(json_object_get(j, "more"))) {
			json_decref(j);
			break;
		}
		if (n == 0)
			fail_msg("collection %s: an empty page says more=true", coll_id);
		e2e_urlenc(json_string_value(json_object_get(j, "next")) ?: "", next, sizeof(next));
		json_decref(j);
	}
	e2e_resp_release(&r);
	return total;
}

void
e2e_metrics(struct e2e_client *c, struct e2e_resp *r)
{
	struct e2e_req rq = { .path = "/metrics", .accept = "", .auth = "" };

	e2e_do(c, &rq, r);
	if (r->curl_rc != 0 || r->status != 200)
		fail_msg("GET /metrics of %s: curl %d, HTTP %ld: %.300s", c->node->name, r->curl_rc,
		    r->status, r->body ? r->body : "");
}

long long
e2e_metric(const char *body, const char *series)
{
	size_t n = strlen(series);
	const char *p;

	for (p = body; p != NULL && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, series, n) == 0 && p[n] == ' ')
			return strtoll(p + n + 1, NULL, 10);
	}
	return -1;
}

/* ---- TAXII helpers ---- */

char *
e2e_path(const char *fmt, ...)
{
	static char buf[4][4200];
	static int k;
	va_list ap;
	char *p = buf[k++ & 3];

	va_start(ap, fmt);
	vsnprintf(p, sizeof(buf[0]), fmt, ap);
	va_end(ap);
	return p;
}

/* POSTs objs as one envelope; asserts 202 and returns the status resource. */
json_t *
e2e_post_objs(struct e2e_client *c, const char *coll, const char *const *objs, size_t n)
{
	struct e2e_str env = { 0 };
	struct e2e_resp r = { 0 };
	json_t *st;
	size_t i;

	e2e_str_add(&env, "{\"objects\":[", 12);
	for (i = 0; i < n; i++) {
		if (i)
			e2e_str_add(&env, ",", 1);
		e2e_str_add(&env, objs[i], strlen(objs[i]));
	}
	e2e_str_add(&env, "]}", 2);
	e2e_post(c, e2e_path(API "/collections/%s/objects/", coll), env.s, env.len, &r);
	st = e2e_assert_ok(&r, 202);
	e2e_str_release(&env);
	e2e_resp_release(&r);
	return st;
}

void
e2e_assert_status(const json_t *st, size_t total, size_t ok, size_t fail)
{
	const char *s = json_string_value(json_object_get(st, "status"));

	if (s == NULL || strcmp(s, "complete") != 0)
		fail_msg("status is not complete: %s", s ? s : "(none)");
	if (json_integer_value(json_object_get(st, "total_count")) != (json_int_t)total ||
	    json_integer_value(json_object_get(st, "success_count")) != (json_int_t)ok ||
	    json_integer_value(json_object_get(st, "failure_count")) != (json_int_t)fail) {
		char *d = json_dumps(st, 0);
		fail_msg("wanted total %zu, successes %zu, failures %zu in: %.2000s", total, ok, fail, d);
	}
	assert_int_equal(json_integer_value(json_object_get(st, "pending_count")), 0);
	assert_true(json_is_integer(json_object_get(st, "pending_count")));
}

/* The exact bytes of each object in an envelope-like response, by id (last wins). */
long
e2e_spans(const struct e2e_resp *r, const char *key, struct e2e_span **sp)
{
	long n = e2e_json_array_spans(r->body, r->len, key, 0, sp);

	if (n < 0)
		fail_msg("cannot scan '%s' in: %.300s", key, r->body);
	return n;
}

/* Asserts the response lists exactly want[] (in that order), byte for byte. */
void
e2e_assert_objects(const struct e2e_resp *r, const char *const *want, size_t n)
{
	struct e2e_span *sp;
	long got = e2e_spans(r, "objects", &sp);
	size_t i;

	if ((size_t)got != n)
		fail_msg("wanted %zu objects, got %ld: %.800s", n, got, r->body);
	for (i = 0; i < n; i++) {
		if (sp[i].len != strlen(want[i]) || memcmp(sp[i].s, want[i], sp[i].len) != 0)
			fail_msg("object %zu differs from what was posted:\n got: %.*s\nwant: %s", i,
			    (int)sp[i].len, sp[i].s, want[i]);
	}
	free(sp);
}

/* ---- a peer-link client ---- */

void
e2e_peer_init(struct e2e_peer *p, const struct e2e_node *server, const char *cert,
    const char *key, const char *pin)
{
	memset(p, 0, sizeof(*p));
	p->curl = curl_easy_init();
	if (p->curl == NULL)
		abort();
	p->port = server->peer_port;
	snprintf(p->cert, sizeof(p->cert), "%s", cert ? cert : "");
	snprintf(p->key, sizeof(p->key), "%s", key ? key : "");
	snprintf(p->pin, sizeof(p->pin), "%s", pin ? pin : "");
}

int
e2e_peer_do(struct e2e_peer *p, const char *path, const void *body, size_t len, int expect100,
    struct e2e_resp *r)
{
	CURL *h = p->curl;
	struct curl_slist *hl = NULL;
	char url[600];

	e2e_resp_release(r);
	curl_easy_reset(h);
	snprintf(url, sizeof(url), "https://127.0.0.1:%d%s", p->port, path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	/* the server's certificate is self-signed: trust comes from the pin */
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	if (p->pin[0])
		curl_easy_setopt(h, CURLOPT_PINNEDPUBLICKEY, p->pin);
	if (p->cert[0]) {
		curl_easy_setopt(h, CURLOPT_SSLCERT, p->cert);
		curl_easy_setopt(h, CURLOPT_SSLKEY, p->key);
	}
	curl_easy_setopt(h, CURLOPT_SSLVERSION, p->tls12_only ?
	    (long)(CURL_SSLVERSION_TLSv1_2 | CURL_SSLVERSION_MAX_TLSv1_2) : (long)CURL_SSLVERSION_TLSv1_3);
	curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, p->timeout_ms ? p->timeout_ms : 60000L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
	hl = curl_slist_append(hl, "Accept: application/json");
	if (body != NULL) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		hl = curl_slist_append(hl, "Content-Type: application/vnd.liaison.envelopes");
		hl = curl_slist_append(hl, expect100 ? "Expect: 100-continue" : "Expect:");
		if (expect100) /* wait for the answer to the head as long as it takes */
			curl_easy_setopt(h, CURLOPT_EXPECT_100_TIMEOUT_MS, 60000L);
	}
	return perform(h, hl, r);
}

void
e2e_peer_release(struct e2e_peer *p)
{
	if (p->curl)
		curl_easy_cleanup(p->curl);
	p->curl = NULL;
}

/* ---- raw TLS ---- */

int
e2e_tls_connect(const struct e2e_node *n, struct e2e_tls *t)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)n->port) };
	SSL_CTX *ctx;
	SSL *ssl;
	int one = 1;

	memset(t, 0, sizeof(*t));
	t->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	if (t->fd < 0 || connect(t->fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		return -1;
	setsockopt(t->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	ctx = SSL_CTX_new(TLS_client_method());
	t->ctx = ctx;
	if (ctx == NULL)
		return -1;
	SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
	if (SSL_CTX_load_verify_locations(ctx, n->cacert, NULL) != 1)
		return -1;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	ssl = SSL_new(ctx);
	t->ssl = ssl;
	if (ssl == NULL)
		return -1;
	X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), "127.0.0.1");
	SSL_set_fd(ssl, t->fd);
	if (SSL_connect(ssl) != 1) {
		ERR_print_errors_fp(stderr);
		return -1;
	}
	return 0;
}

int
e2e_tls_send(struct e2e_tls *t, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		int n = SSL_write(t->ssl, p, len > 65536 ? 65536 : (int)len);
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* >0 bytes read, 0 closed, -2 timeout, -1 error. */
static int
tls_read_some(struct e2e_tls *t, int timeout_ms)
{
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	int n, e;

	if (t->cap - t->len < 16384) {
		t->cap = t->cap ? t->cap * 2 : 65536;
		t->buf = realloc(t->buf, t->cap);
		if (t->buf == NULL)
			abort();
	}
	setsockopt(t->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	errno = 0;
	n = SSL_read(t->ssl, t->buf + t->len, (int)(t->cap - t->len - 1));
	if (n > 0) {
		t->len += (size_t)n;
		t->buf[t->len] = '\0';
		return n;
	}
	e = SSL_get_error(t->ssl, n);
	if (e == SSL_ERROR_ZERO_RETURN)
		return 0;
	if (e == SSL_ERROR_WANT_READ || (e == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EWOULDBLOCK)))
		return -2;
	ERR_clear_error();
	return e == SSL_ERROR_SYSCALL && errno == 0 ? 0 : -1;
}

int
e2e_tls_read_response(struct e2e_tls *t, struct e2e_resp *r, int timeout_ms)
{
	int64_t dl = e2e_now_ms() + timeout_ms;

	e2e_resp_release(r);
	for (;;) {
		char *eoh = t->buf ? memmem(t->buf, t->len, "\r\n\r\n", 4) : NULL;
		if (eoh != NULL) {
			size_t head = (size_t)(eoh + 4 - t->buf), clen = 0;
			char *line = t->buf, *le;
			long status = 0;

			if (sscanf(t->buf, "HTTP/1.%*d %ld", &status) != 1)
				return -1;
			hdr_clear(r);
			line = strstr(t->buf, "\r\n") + 2;
			while (line < eoh) {
				le = strstr(line, "\r\n");
				hdr_add_line(r, line, (size_t)(le - line));
				line = le + 2;
			}
			if (e2e_hdr(r, "Content-Length"))
				clen = (size_t)strtoull(e2e_hdr(r, "Content-Length"), NULL, 10);
			if (t->len >= head + clen) {
				r->status = status;
				resp_body_add(r, t->buf + head, clen);
				memmove(t->buf, t->buf + head + clen, t->len - head - clen);
				t->len -= head + clen;
				t->buf[t->len] = '\0';
				if (status == 100) {
					e2e_resp_release(r);
					continue;
				}
				return 0;
			}
		}
		int left = (int)(dl - e2e_now_ms());
		if (left <= 0)
			return -1;
		int rr = tls_read_some(t, left > 1000 ? 1000 : left);
		if (rr == 0 || rr == -1)
			return -1;
	}
}

int
e2e_tls_closed(struct e2e_tls *t, int timeout_ms)
{
	int64_t dl = e2e_now_ms() + timeout_ms;

	while (e2e_now_ms() < dl) {
		int r = tls_read_some(t, 200);
		if (r == 0 || r == -1)
			return 1;
		if (r > 0)
			t->len = 0; /* discard */
	}
	return 0;
}

void
e2e_tls_close(struct e2e_tls *t)
{
	if (t->ssl)
		SSL_free(t->ssl);
	if (t->ctx)
		SSL_CTX_free(t->ctx);
	if (t->fd > 0)
		close(t->fd);
	free(t->buf);
	memset(t, 0, sizeof(*t));
}

const char *
e2e_jstr(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	if (s == NULL)
		fail_msg("'%s' is not a string in %s", k, json_dumps(o, JSON_COMPACT));
	return s;
}

long long
e2e_jint(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);

	if (!json_is_integer(v))
		fail_msg("'%s' is not an integer in %s", k, json_dumps(o, JSON_COMPACT));
	return json_integer_value(v);
}

long long
e2e_node_metric(struct e2e_client *c, const char *series)
{
	struct e2e_resp r = { 0 };
	long long v;

	e2e_metrics(c, &r);
	v = e2e_metric(r.body, series);
	if (v < 0)
		fail_msg("%s's /metrics has no %s", c->node->name, series);
	e2e_resp_release(&r);
	return v;
}
