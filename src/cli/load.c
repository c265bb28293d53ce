/*
 * liaison load: a TAXII 2.1 client that adds a STIX bundle to a running
 * node. Objects travel as the exact bytes of the file (found with jscan,
 * never re-serialised), in envelopes that respect max_content_length.
 * TLS verification stays on: the node's own certificate is the trust anchor.
 */
#include "cli/cli.h"
#include "crypto/cx.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/jscan.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TAXII_MEDIA "application/taxii+json;version=2.1"
#define BATCH_DEFAULT 500
#define BATCH_MAX 100000
#define SHOW_FAILURES 20
/* The file is the operator's own; memory is the only limit. */
#define LOAD_FILE_MAX (SIZE_MAX / 2)
#define RESPONSE_MAX ((size_t)64 << 20)

struct span {
	const char *p;
	size_t n;
};

struct load {
	const struct cli_args *a;
	struct lsn_config cfg;
	char coll_id[CX_UUID_LEN];
	char root_url[2048], objects_url[2200];
	char password[1024];
	struct buf file, body, resp;
	struct span *objs;
	size_t nobj, batch, maxlen;
	CURL *h;
	int curl_global;
	struct curl_slist *hdrs;
	char curl_err[CURL_ERROR_SIZE];
	long code;
	size_t total, ok, failed, shown;
};

static int run_load(const struct cli_args *a);

static const struct cli_opt load_opts[] = {
	{ "collection", "COLLECTION", CLI_REQ, "target collection (id or title)" },
	{ "url", "URL", 0, "https://HOST:PORT of the node (default: from listen in liaison.conf)" },
	{ "batch", "N", 0, "objects per request at most (default 500)" },
	{ "user", "NAME", 0, "log in as NAME with the password from stdin"
	  " (if $LIAISON_TOKEN is unset; not with FILE -)" },
	{ "json", NULL, 0, "print {\"total\", \"succeeded\", \"failed\", \"seconds\"} as JSON" },
	{ NULL, NULL, 0, NULL },
};

static const struct cli_spec load_spec = {
	"load", "FILE|-", 1, 1,
	"Adds the objects of a STIX bundle (or TAXII envelope) to a collection of the\n"
	"running node over TAXII 2.1. Credentials: $LIAISON_TOKEN (bearer token), or\n"
	"--user NAME with the password as the first line of stdin.",
	load_opts,
	"LIAISON_TOKEN=lsn_... liaison load enterprise-attack.json --collection shared",
	run_load,
};

int
cli_cmd_load(int argc, char **argv, const char *home)
{
	return cli_run(&load_spec, argc, argv, home);
}

static int
read_file(const char *path, struct buf *b, struct err *err)
{
	int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return err_set(err, LSN_EIO, "cannot open %s: %s", path, strerror(errno));
	for (;;) {
		if (buf_reserve(b, 1 << 20) < 0) {
			n = -2;
			break;
		}
		n = read(fd, b->data + b->len, b->cap - b->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		b->len += (size_t)n;
	}
	if (fd != STDIN_FILENO)
		close(fd);
	if (n == -2)
		return err_set(err, LSN_ENOMEM, "%s does not fit in memory", path);
	if (n < 0)
		return err_set(err, LSN_EIO, "cannot read %s: %s", path, strerror(errno));
	b->data[b->len] = '\0';
	return 0;
}

static int
push_span(struct load *l, const char *s, const char *e, struct err *err)
{
	struct span *nv;

	if (*s != '{')
		return err_set(err, LSN_EINVAL, "element %zu of \"objects\" is not a JSON object",
		    l->nobj);
	if ((l->nobj & (l->nobj - 1)) == 0) {
		nv = realloc(l->objs, (l->nobj ? 2 * l->nobj : 64) * sizeof(*nv));
		if (nv == NULL)
			return err_set(err, LSN_ENOMEM, "out of memory");
		l->objs = nv;
	}
	l->objs[l->nobj].p = s;
	l->objs[l->nobj++].n = (size_t)(e - s);
	return 0;
}

static int
scan_array(struct load *l, struct jscan *js, struct err *err)
{
	const char *s, *e;
	int r;

	if ((r = jscan_array_begin(js, err)) < 0)
		return r;
	while ((r = jscan_array_next(js, err)) == 1)
		if ((r = jscan_value(js, &s, &e, err)) < 0 || (r = push_span(l, s, e, err)) < 0)
			return r;
	return r;
}

/* A bundle and a TAXII envelope both carry the list as "objects". */
static int
scan_objects(struct load *l, const char *path, struct err *err)
{
	struct jscan js;
	const char *k, *s, *e;
	size_t kl;
	int r, found = 0;

	jscan_init(&js, l->file.data, l->file.len, JSCAN_DEPTH_MAX);
	if ((r = jscan_object_begin(&js, err)) < 0)
		goto out;
	while ((r = jscan_object_next(&js, &k, &kl, err)) == 1) {
		if (kl == 7 && memcmp(k, "objects", 7) == 0) {
			if (found++)
				return err_set(err, LSN_EINVAL, "%s: \"objects\" appears twice", path);
			r = scan_array(l, &js, err);
		} else {
			r = jscan_value(&js, &s, &e, err);
		}
		if (r < 0)
			goto out;
	}
	if (r == 0 && (r = jscan_end(&js, err)) == 0 && !found)
		return err_set(err, LSN_EINVAL, "%s has no \"objects\" list (not a STIX bundle)", path);
out:
	if (r < 0)
		err_prefix(err, "%s: ", path);
	return r < 0 ? r : 0;
}

static size_t
on_data(char *p, size_t size, size_t n, void *arg)
{
	return buf_add(arg, p, size * n) < 0 ? 0 : size * n;
}

static int
base_url(struct load *l, char *out, size_t cap)
{
	const char *url = cli_get(l->a, "url");
	char host[256];
	int port;

	if (url) {
		snprintf(out, cap, "%s", url);
		while (strlen(out) > 8 && out[strlen(out) - 1] == '/')
			out[strlen(out) - 1] = '\0';
		return 0;
	}
	/* Port 0 means liaisond picked one at start: only --url can say which. */
	if (cli_split_listen(l->cfg.listen, host, sizeof(host), &port) < 0 || port == 0)
		return -1;
	/* A wildcard listener is reached on loopback, which the certificate names. */
	if (strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0)
		snprintf(out, cap, "https://127.0.0.1:%d", port);
	else
		snprintf(out, cap, strchr(host, ':') ? "https://[%s]:%d" : "https://%s:%d", host, port);
	return 0;
}

static int
set_auth(struct load *l, struct err *err)
{
	const char *tok = getenv("LIAISON_TOKEN");
	struct buf hdr = BUF_INIT(8192);
	struct curl_slist *nh;

	if (tok && *tok) {
		if (buf_printf(&hdr, "Authorization: Bearer %s", tok) < 0)
			return err_set(err, LSN_ETOOBIG, "$LIAISON_TOKEN is too long");
		nh = curl_slist_append(l->hdrs, hdr.data);
		cx_wipe(hdr.data, hdr.len);
		buf_release(&hdr);
		if (nh == NULL)
			return err_set(err, LSN_ENOMEM, "out of memory");
		l->hdrs = nh;
		return 0;
	}
	curl_easy_setopt(l->h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
	curl_easy_setopt(l->h, CURLOPT_USERNAME, cli_get(l->a, "user"));
	curl_easy_setopt(l->h, CURLOPT_PASSWORD, l->password);
	return 0;
}

static int
setup_curl(struct load *l, struct err *err)
{
	static const char *const hdrs[] = {
		"Accept: " TAXII_MEDIA, "Content-Type: " TAXII_MEDIA,
		"Expect:", /* no 100-continue round trip for large envelopes */
	};
	struct curl_slist *nh;
	size_t i;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		return err_set(err, LSN_EINTERNAL, "cannot initialise libcurl");
	l->curl_global = 1;
	if ((l->h = curl_easy_init()) == NULL)
		return err_set(err, LSN_EINTERNAL, "cannot initialise libcurl");
	for (i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++) {
		if ((nh = curl_slist_append(l->hdrs, hdrs[i])) == NULL)
			return err_set(err, LSN_ENOMEM, "out of memory");
		l->hdrs = nh;
	}
	if (set_auth(l, err) < 0)
		return -1;
	curl_easy_setopt(l->h, CURLOPT_HTTPHEADER, l->hdrs);
	curl_easy_setopt(l->h, CURLOPT_CAINFO, l->cfg.tls_cert);
	curl_easy_setopt(l->h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_3);
	curl_easy_setopt(l->h, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(l->h, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(l->h, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(l->h, CURLOPT_TIMEOUT, 600L);
	curl_easy_setopt(l->h, CURLOPT_ERRORBUFFER, l->curl_err);
	curl_easy_setopt(l->h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(l->h, CURLOPT_WRITEDATA, &l->resp);
	return 0;
}

/* The TAXII error resource (§3.6.1) says what went wrong; show it. */
static int
http_error(struct load *l, const char *url, struct err *err)
{
	json_t *doc = json_loadb(l->resp.data ? l->resp.data : "", l->resp.len, 0, NULL);
	const char *title = json_string_value(json_object_get(doc, "title"));
	const char *desc = json_string_value(json_object_get(doc, "description"));

	err_set(err, l->code == 401 || l->code == 403 ? LSN_EAUTH : LSN_EIO,
	    "%s answered HTTP %ld: %s%s%s", url, l->code, title ? title : "(no TAXII error body)",
	    desc ? ": " : "", desc ? desc : "");
	json_decref(doc);
	return -1;
}

/* GET when body is NULL, else POST; 0 if the status is `want`. */
static int
request(struct load *l, const char *url, const struct buf *body, long want, struct err *err)
{
	CURLcode rc;

	buf_reset(&l->resp);
	l->curl_err[0] = '\0';
	curl_easy_setopt(l->h, CURLOPT_URL, url);
	if (body) {
		curl_easy_setopt(l->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body->len);
		curl_easy_setopt(l->h, CURLOPT_POSTFIELDS, body->data);
	} else {
		curl_easy_setopt(l->h, CURLOPT_HTTPGET, 1L);
	}
	if ((rc = curl_easy_perform(l->h)) != CURLE_OK)
		return err_set(err, LSN_EIO, "cannot reach %s: %s", url,
		    l->curl_err[0] ? l->curl_err : curl_easy_strerror(rc));
	curl_easy_getinfo(l->h, CURLINFO_RESPONSE_CODE, &l->code);
	return l->code == want ? 0 : http_error(l, url, err);
}

static int
read_api_root(struct load *l, struct err *err)
{
	json_int_t max;
	json_t *doc;

	if (request(l, l->root_url, NULL, 200, err) < 0)
		return -1;
	doc = json_loadb(l->resp.data, l->resp.len, JSON_REJECT_DUPLICATES, NULL);
	max = json_integer_value(json_object_get(doc, "max_content_length"));
	json_decref(doc);
	l->maxlen = max > 0 ? (size_t)max : l->cfg.max_content_length;
	if (l->maxlen < 64)
		return err_set(err, LSN_EINVAL, "%s: max_content_length %zu is too small to send"
		    " anything", l->root_url, l->maxlen);
	buf_init(&l->body, l->maxlen);
	return 0;
}

static void
show_failure(struct load *l, const char *id, const char *msg)
{
	if (l->shown++ < SHOW_FAILURES)
		fprintf(stderr, "liaison: %s: %s\n", id ? id : "(no id)", msg ? msg : "failed");
}

static void
skip_large(struct load *l, const struct span *o)
{
	json_t *doc = json_loadb(o->p, o->n, 0, NULL);
	char msg[160];

	snprintf(msg, sizeof(msg), "%zu bytes, more than the node's max_content_length of %zu:"
	    " skipped", o->n, l->maxlen);
	show_failure(l, json_string_value(json_object_get(doc, "id")), msg);
	json_decref(doc);
	l->total++;
	l->failed++;
}

/* Adds the counts of one status resource (TAXII §4.3.1). */
static int
tally(struct load *l, struct err *err)
{
	json_t *st = json_loadb(l->resp.data, l->resp.len, JSON_REJECT_DUPLICATES, NULL), *f;
	size_t i;

	if (!json_is_object(st))
		return err_set(err, LSN_EIO, "%s answered 202 without a status resource",
		    l->objects_url);
	l->total += (size_t)json_integer_value(json_object_get(st, "total_count"));
	l->ok += (size_t)json_integer_value(json_object_get(st, "success_count"));
	l->failed += (size_t)json_integer_value(json_object_get(st, "failure_count"));
	json_array_foreach(json_object_get(st, "failures"), i, f)
		show_failure(l, json_string_value(json_object_get(f, "id")),
		    json_string_value(json_object_get(f, "message")));
	json_decref(st);
	return 0;
}

/* Fills one envelope from objs[*i]; oversized objects are skipped. */
static size_t
fill_envelope(struct load *l, size_t *i)
{
	size_t k = 0;

	buf_reset(&l->body);
	buf_adds(&l->body, "{\"objects\":[");
	while (*i < l->nobj && k < l->batch) {
		const struct span *o = &l->objs[*i];

		if (l->body.len + (k > 0) + o->n + 2 > l->maxlen) {
			if (k > 0)
				break;
			skip_large(l, o);
			++*i;
			continue;
		}
		if (k > 0)
			buf_addc(&l->body, ',');
		buf_add(&l->body, o->p, o->n);
		k++;
		++*i;
	}
	buf_adds(&l->body, "]}");
	return k;
}

static int
send_all(struct load *l, struct err *err)
{
	size_t i = 0;

	while (i < l->nobj) {
		if (fill_envelope(l, &i) == 0)
			continue;
		if (request(l, l->objects_url, &l->body, 202, err) < 0 || tally(l, err) < 0)
			return -1;
	}
	return 0;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
report(const struct load *l, double secs)
{
	double rate = secs > 0 ? (double)l->total / secs : 0;

	if (l->shown > SHOW_FAILURES)
		fprintf(stderr, "liaison: ... and %zu more failures\n", l->shown - SHOW_FAILURES);
	if (cli_has(l->a, "json"))
		return cli_json_print(json_pack("{s:I,s:I,s:I,s:f}", "total", (json_int_t)l->total,
		    "succeeded", (json_int_t)l->ok, "failed", (json_int_t)l->failed,
		    "seconds", secs));
	printf("loaded %zu objects (%zu added or already present, %zu failed) in %.2f s"
	    " (%.0f objects/s)\n", l->total, l->ok, l->failed, secs, rate);
	return CLI_OK;
}

/* Usage checks that need no node: batch size and credentials. */
static int
check_args(struct load *l)
{
	const struct cli_args *a = l->a;
	const char *b = cli_get(a, "batch"), *tok = getenv("LIAISON_TOKEN");
	char *end;
	long n;

	l->batch = BATCH_DEFAULT;
	if (b) {
		n = strtol(b, &end, 10);
		if (*b < '0' || *b > '9' || *end != '\0' || n < 1 || n > BATCH_MAX)
			return cli_usage_error(a->spec, "--batch must be 1-%d, not '%s'", BATCH_MAX, b);
		l->batch = (size_t)n;
	}
	if (tok && *tok)
		return 0;
	if (!cli_has(a, "user"))
		return cli_usage_error(a->spec, "no credentials: set LIAISON_TOKEN to a token"
		    " (liaison token create NAME) or pass --user NAME with the password on stdin");
	if (strcmp(a->pos[0], "-") == 0)
		return cli_usage_error(a->spec, "--user reads the password from stdin, so FILE"
		    " cannot be '-': set LIAISON_TOKEN instead");
	return 0;
}

/* Finds the collection id and the URLs from the node's own files. */
static int
locate(struct load *l, struct err *err)
{
	struct store_collection c;
	struct cli_node n;
	char base[1024];
	int r;

	r = cli_node_open(l->a, &n, err);
	if (r == 0 && (r = store_coll_find(n.s, cli_get(l->a, "collection"), &c, err)) == 0)
		l->cfg = n.cfg;
	cli_node_close(&n);
	if (r < 0)
		return r;
	if (base_url(l, base, sizeof(base)) < 0)
		return err_set(err, LSN_EINVAL, "liaison.conf: listen '%s' is not HOST:PORT",
		    l->cfg.listen);
	snprintf(l->coll_id, sizeof(l->coll_id), "%s", c.id);
	snprintf(l->root_url, sizeof(l->root_url), "%s/%s/", base, l->cfg.root);
	snprintf(l->objects_url, sizeof(l->objects_url), "%scollections/%s/objects/",
	    l->root_url, l->coll_id);
	return 0;
}

static int
prepare(struct load *l, struct err *err)
{
	const char *path = l->a->pos[0];

	if (locate(l, err) < 0)
		return -1;
	if (!(getenv("LIAISON_TOKEN") && *getenv("LIAISON_TOKEN")) &&
	    cli_read_password(l->password, sizeof(l->password), err) < 0)
		return -1;
	if (read_file(path, &l->file, err) < 0 || scan_objects(l, path, err) < 0)
		return -1;
	return setup_curl(l, err);
}

static void
load_release(struct load *l)
{
	cx_wipe(l->password, sizeof(l->password));
	if (l->h)
		curl_easy_cleanup(l->h);
	curl_slist_free_all(l->hdrs);
	buf_release(&l->file);
	buf_release(&l->body);
	buf_release(&l->resp);
	free(l->objs);
	if (l->curl_global)
		curl_global_cleanup();
}

static int
run_load(const struct cli_args *a)
{
	struct err err = ERR_INIT;
	struct load *l = calloc(1, sizeof(*l));
	double t0;
	int r;

	if (l == NULL)
		return fprintf(stderr, "liaison: out of memory\n"), CLI_FAIL;
	l->a = a;
	/* A node that drops the connection must give an error, not kill us. */
	signal(SIGPIPE, SIG_IGN);
	buf_init(&l->file, LOAD_FILE_MAX);
	buf_init(&l->resp, RESPONSE_MAX);
	buf_init(&l->body, 0);
	if ((r = check_args(l)) != 0)
		goto out;
	r = CLI_FAIL;
	if (prepare(l, &err) < 0 || (l->nobj > 0 && read_api_root(l, &err) < 0)) {
		r = cli_fail(&err);
		goto out;
	}
	t0 = now_s();
	r = send_all(l, &err) < 0 ? CLI_FAIL : CLI_OK;
	report(l, now_s() - t0);
	if (r != CLI_OK)
		cli_fail(&err);
	else if (l->failed > 0)
		r = CLI_FAIL;
out:
	load_release(l);
	free(l);
	return r;
}
