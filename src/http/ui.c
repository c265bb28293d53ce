/*
 * The dashboard's door (DESIGN §5, issue 17): its files under /ui/, read
 * once at start from [ui] dir and served from memory, and the sign-in of
 * the node's users at /ui/session, which gives a session cookie
 * (HttpOnly, Secure, SameSite=Strict) and a CSRF token. /api/v1/ then
 * takes the cookie instead of an Authorization header; a request that
 * changes state must carry the token in X-CSRF-Token (ui_csrf_check).
 * Every /ui/ answer carries the security headers.
 */
#include "http/ui.h"
#include "crypto/cx.h"
#include "http/query.h"
#include "http/session.h"
#include "http/taxii_int.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/ts.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define UI_FILE_MAX (4u << 20)
#define UI_FILES_MAX 64
#define COOKIE "__Host-liaison"

struct ui_file {
	char name[128];
	const char *type;
	char *data;
	size_t len;
};

struct ui {
	struct ui_file files[UI_FILES_MAX];
	size_t n;
	struct session_table *sessions;
	int64_t idle_us, absolute_us;
	unsigned long long signin_ok, signin_failed, signin_limited, csrf_refused;
};

static const struct {
	const char *ext, *type;
} types[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
	{ ".ico", "image/x-icon" },
	{ ".json", "application/json" },
};

static const char *
type_of(const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		size_t e = strlen(types[i].ext);
		if (n > e && strcmp(name + n - e, types[i].ext) == 0)
			return types[i].type;
	}
	return NULL;
}

static int
read_file(const char *path, struct ui_file *f, struct err *err)
{
	FILE *fp = fopen(path, "rb");
	struct stat st;

	if (fp == NULL || fstat(fileno(fp), &st) < 0) {
		if (fp)
			fclose(fp);
		return err_set(err, LSN_EIO, "ui: cannot read %s: %s", path, strerror(errno));
	}
	if ((size_t)st.st_size > UI_FILE_MAX) {
		fclose(fp);
		return err_set(err, LSN_ETOOBIG, "ui: %s is larger than %u bytes", path, UI_FILE_MAX);
	}
	f->len = (size_t)st.st_size;
	if ((f->data = malloc(f->len + 1)) == NULL ||
	    fread(f->data, 1, f->len, fp) != f->len) {
		fclose(fp);
		return err_set(err, LSN_EIO, "ui: cannot read %s", path);
	}
	fclose(fp);
	return 0;
}

int
ui_new(int64_t idle_us, int64_t absolute_us, struct ui **ret, struct err *err)
{
	struct ui *u = calloc(1, sizeof(*u));
	struct session_limits lim = {
		.idle_us = idle_us, .absolute_us = absolute_us, .max = 1024,
		.fail_user = 5, .fail_addr = 20, .fail_window_us = 15LL * 60 * 1000000,
	};

	if (u == NULL || session_table_new(&lim, &u->sessions) < 0) {
		free(u);
		return err_set(err, LSN_ENOMEM, "ui: out of memory");
	}
	u->idle_us = idle_us;
	u->absolute_us = absolute_us;
	*ret = u;
	return 0;
}

int
ui_load(struct ui *u, const char *dir, struct err *err)
{
	DIR *d;
	struct dirent *de;
	char path[4400];
	int r = 0;

	if ((d = opendir(dir)) == NULL)
		return err_set(err, LSN_ENOTFOUND, "ui: the dashboard's folder %s cannot be read: %s "
		    "([ui] dir in liaison.conf)", dir, strerror(errno));
	while (r == 0 && (de = readdir(d)) != NULL) {
		const char *type = type_of(de->d_name);

		if (de->d_name[0] == '.' || type == NULL || strlen(de->d_name) >= sizeof(u->files[0].name))
			continue;
		if (u->n == UI_FILES_MAX) {
			r = err_set(err, LSN_ETOOBIG, "ui: more than %d files in %s", UI_FILES_MAX, dir);
			break;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		snprintf(u->files[u->n].name, sizeof(u->files[0].name), "%s", de->d_name);
		u->files[u->n].type = type;
		if ((r = read_file(path, &u->files[u->n], err)) == 0) {
			u->n++;
		} else {
			free(u->files[u->n].data);
			u->files[u->n].data = NULL;
		}
	}
	closedir(d);
	return r;
}

void
ui_free(struct ui *u)
{
	size_t i;

	if (u == NULL)
		return;
	for (i = 0; i < u->n; i++)
		free(u->files[i].data);
	session_table_free(u->sessions);
	free(u);
}

size_t
ui_files(const struct ui *u)
{
	return u ? u->n : 0;
}

/*
 * The headers of every /ui/ answer: the node's own origin only, no inline
 * script, no framing, no referrer, no sniffing; nothing cached that holds a
 * session's data.
 */
static void
security_headers(struct http_request *req, int nostore)
{
	http_add_header(req, "Content-Security-Policy", "default-src 'none'; script-src 'self'; "
	    "style-src 'self'; img-src 'self'; connect-src 'self'; font-src 'self'; "
	    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'");
	http_add_header(req, "X-Content-Type-Options", "nosniff");
	http_add_header(req, "Referrer-Policy", "no-referrer");
	http_add_header(req, "X-Frame-Options", "DENY");
	http_add_header(req, "Cache-Control", nostore ? "no-store" : "no-cache");
}

static void
ui_json(struct ctx *c, int status, json_t *doc)
{
	char *s = doc ? json_dumps(doc, JSON_COMPACT) : NULL;

	security_headers(c->req, 1);
	if (s == NULL)
		http_reply_bytes(c->req, 500, "application/json", "{}", 2);
	else
		http_reply_bytes(c->req, status, "application/json", s, strlen(s));
	free(s);
	json_decref(doc);
}

static void
ui_error(struct ctx *c, int status, const char *title, const char *message)
{
	ui_json(c, status, json_pack("{s:s,s:s}", "title", title, "description", message));
}

/* The session cookie's value, or NULL. */
static const char *
cookie_token(const struct http_request *req, char out[SESSION_TOKEN_LEN + 1])
{
	const char *h = http_header_get(req, "Cookie"), *p;
	size_t n = strlen(COOKIE);

	for (p = h; p != NULL && *p; ) {
		while (*p == ' ' || *p == ';')
			p++;
		if (strncmp(p, COOKIE, n) == 0 && p[n] == '=') {
			const char *v = p + n + 1;
			size_t len = strcspn(v, "; ");

			if (len != SESSION_TOKEN_LEN)
				return NULL;
			memcpy(out, v, len);
			out[len] = '\0';
			return out;
		}
		p = strchr(p, ';');
	}
	return NULL;
}

/*
 * The session of the request's cookie, its user still there with the same
 * credentials, or NULL (an ended or unknown session, a removed user, a
 * changed password: the session ends). Inside a read.
 */
static struct session *
live_session(struct ctx *c, struct store_user *ret_user)
{
	struct ui *u = c->t->ui;
	char tok[SESSION_TOKEN_LEN + 1];
	struct session *s;
	uint8_t stamp[32];

	if (u == NULL || cookie_token(c->req, tok) == NULL ||
	    (s = session_find(u->sessions, tok, clock_now_us())) == NULL)
		return NULL;
	if (store_user_get(c->t->rd, s->uid, ret_user, NULL) < 0) {
		session_end(u->sessions, tok);
		return NULL;
	}
	cx_sha256(ret_user->pwhash, strlen(ret_user->pwhash), stamp);
	if (!cx_ct_equal(stamp, s->stamp, 32)) {
		session_end(u->sessions, tok);
		return NULL;
	}
	return s;
}

int
ui_authenticate(struct ctx *c)
{
	struct session *s = live_session(c, &c->who.user);

	if (s == NULL)
		return -LSN_EAUTH;
	c->session = s;
	return store_grant_list(c->t->rd, c->who.user.rowid, &c->who.grants, &c->who.n_grants,
	    NULL);
}

int
ui_csrf_check(struct ctx *c)
{
	const char *m = c->req->method;

	if (c->session == NULL || strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0)
		return 0;
	if (session_csrf_ok(c->session, http_header_get(c->req, "X-CSRF-Token")))
		return 0;
	c->t->ui->csrf_refused++;
	return -LSN_EDENIED;
}

static json_t *
session_doc(const struct ui *u, const struct session *s, int admin)
{
	return json_pack("{s:b,s:s,s:b,s:s,s:I,s:I}", "signed_in", 1, "user", s->user, "admin", admin,
	    "csrf", s->csrf,
	    "idle_timeout_s", (json_int_t)(u->idle_us / 1000000),
	    "expires_in_s", (json_int_t)((s->created_us + u->absolute_us - clock_now_us()) / 1000000));
}

static void
set_cookie(struct ctx *c, const char *token, int64_t max_age_s)
{
	char v[256];

	snprintf(v, sizeof(v), COOKIE "=%s; Path=/; Max-Age=%lld; HttpOnly; Secure; SameSite=Strict",
	    token, (long long)max_age_s);
	http_add_header(c->req, "Set-Cookie", v);
}

/* username and password from a form or a JSON body. */
static int
credentials(const struct http_request *req, char *user, size_t ucap, char *pass, size_t pcap)
{
	const char *ct = http_header_get(req, "Content-Type");
	const char *body = req->body.data ? req->body.data : "";

	if (ct != NULL && strncasecmp(ct, "application/json", 16) == 0) {
		json_t *doc = json_loadb(body, req->body.len, JSON_REJECT_DUPLICATES, NULL);
		const char *a = json_string_value(json_object_get(doc, "username"));
		const char *b = json_string_value(json_object_get(doc, "password"));
		int ok = a && b && strlen(a) < ucap && strlen(b) < pcap;

		if (ok) {
			snprintf(user, ucap, "%s", a);
			snprintf(pass, pcap, "%s", b);
		}
		json_decref(doc);
		return ok ? 0 : -LSN_EINVAL;
	}
	if (form_value(body, req->body.len, "username", user, ucap) < 0 ||
	    form_value(body, req->body.len, "password", pass, pcap) < 0)
		return -LSN_EINVAL;
	return 0;
}

static void
sign_in(struct ctx *c)
{
	struct ui *u = c->t->ui;
	struct store_user user;
	char name[STORE_NAME_MAX + 1], pass[1024], tok[SESSION_TOKEN_LEN + 1],
	    csrf[SESSION_TOKEN_LEN + 1];
	int64_t now = clock_now_us();
	struct session *s;
	char retry[32];
	int secs = 0, ok;

	if (credentials(c->req, name, sizeof(name), pass, sizeof(pass)) < 0) {
		ui_error(c, 400, "Bad request", "Send the fields username and password "
		    "(application/x-www-form-urlencoded or JSON).");
		goto out;
	}
	if (session_limited(u->sessions, name, c->req->peer, now, &secs)) {
		u->signin_limited++;
		snprintf(retry, sizeof(retry), "%d", secs);
		http_add_header(c->req, "Retry-After", retry);
		ui_error(c, 429, "Too many failed sign-ins", "Too many failed sign-ins for this user "
		    "or from this address; try again later.");
		goto out;
	}
	if (store_read_begin(c->t->rd, NULL) < 0) {
		ui_error(c, 503, "Store busy", "The store could not be read; try again.");
		goto out;
	}
	/* PBKDF2 is slow on purpose: once per sign-in, never per request */
	ok = store_user_find(c->t->rd, name, &user, NULL) == 0 && user.pwhash[0] != '\0' &&
	    cx_password_verify(pass, user.pwhash) == 0;
	store_read_end(c->t->rd);
	if (!ok) {
		session_failed(u->sessions, name, c->req->peer, now);
		u->signin_failed++;
		c->t->m.auth_failures++;
		ui_error(c, 401, "Sign-in failed", "The user name or the password is wrong.");
		goto out;
	}
	session_succeeded(u->sessions, name);
	if (session_create(u->sessions, user.rowid, user.name, now, tok, csrf) < 0 ||
	    (s = session_find(u->sessions, tok, now)) == NULL) {
		ui_error(c, 500, "Internal error", "No session could be made.");
		goto out;
	}
	cx_sha256(user.pwhash, strlen(user.pwhash), s->stamp);
	c->who.user = user;
	u->signin_ok++;
	set_cookie(c, tok, u->absolute_us / 1000000);
	ui_json(c, 200, session_doc(u, s, user.admin));
out:
	cx_wipe(pass, sizeof(pass));
	cx_wipe(tok, sizeof(tok));
}

static void
session_get(struct ctx *c)
{
	struct store_user user;
	struct session *s;

	if (store_read_begin(c->t->rd, NULL) < 0) {
		ui_error(c, 503, "Store busy", "The store could not be read; try again.");
		return;
	}
	s = live_session(c, &user);
	store_read_end(c->t->rd);
	/* not an error: the page asks this first, signed in or not */
	if (s == NULL) {
		ui_json(c, 200, json_pack("{s:b}", "signed_in", 0));
		return;
	}
	c->who.user = user;
	ui_json(c, 200, session_doc(c->t->ui, s, user.admin));
}

static void
sign_out(struct ctx *c)
{
	struct ui *u = c->t->ui;
	char tok[SESSION_TOKEN_LEN + 1];
	struct session *s = NULL;

	if (cookie_token(c->req, tok) != NULL)
		s = session_find(u->sessions, tok, clock_now_us());
	if (s == NULL) {
		ui_error(c, 401, "Not signed in", "There is no session to end.");
		return;
	}
	if (!session_csrf_ok(s, http_header_get(c->req, "X-CSRF-Token"))) {
		u->csrf_refused++;
		ui_error(c, 403, "Forbidden", "This request needs the session's X-CSRF-Token header.");
		return;
	}
	session_end(u->sessions, tok);
	set_cookie(c, "", 0);
	ui_json(c, 200, json_pack("{s:b}", "signed_in", 0));
}

static const struct ui_file *
file_named(const struct ui *u, const char *name)
{
	size_t i;

	for (i = 0; i < u->n; i++)
		if (strcmp(u->files[i].name, name) == 0)
			return &u->files[i];
	return NULL;
}

void
ui_handle(struct ctx *c)
{
	struct ui *u = c->t->ui;
	const char *path = c->req->path, *m = c->req->method;
	const struct ui_file *f;

	if (strcmp(path, "/ui") == 0) {
		security_headers(c->req, 0);
		http_add_header(c->req, "Location", "/ui/");
		http_reply_bytes(c->req, 301, NULL, NULL, 0);
		return;
	}
	if (strcmp(path, "/ui/session") == 0) {
		if (strcmp(m, "POST") == 0)
			sign_in(c);
		else if (strcmp(m, "GET") == 0)
			session_get(c);
		else
			ui_error(c, 405, "Method not allowed", "/ui/session answers GET and POST.");
		return;
	}
	if (strcmp(path, "/ui/session/end") == 0) {
		if (strcmp(m, "POST") == 0)
			sign_out(c);
		else
			ui_error(c, 405, "Method not allowed", "/ui/session/end answers POST.");
		return;
	}
	if (strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0) {
		ui_error(c, 405, "Method not allowed", "The dashboard's files answer GET.");
		return;
	}
	f = file_named(u, path[4] ? path + 4 : "index.html");
	if (f == NULL) {
		const char *why = u->n ? "Not found.\n" :
		    "The dashboard's files are not installed ([ui] dir in liaison.conf).\n";

		security_headers(c->req, 0);
		http_reply_bytes(c->req, 404, "text/plain; charset=utf-8", why, strlen(why));
		return;
	}
	security_headers(c->req, 0);
	http_reply_bytes(c->req, 200, f->type, f->data, f->len);
}

void
ui_metrics(const struct ui *u, struct evbuffer *b)
{
	if (u == NULL)
		return;
	evbuffer_add_printf(b, "# TYPE liaison_ui_signins_total counter\n"
	    "liaison_ui_signins_total{outcome=\"ok\"} %llu\n"
	    "liaison_ui_signins_total{outcome=\"failed\"} %llu\n"
	    "liaison_ui_signins_total{outcome=\"limited\"} %llu\n"
	    "# TYPE liaison_ui_csrf_refused_total counter\nliaison_ui_csrf_refused_total %llu\n"
	    "# TYPE liaison_ui_sessions gauge\nliaison_ui_sessions %zu\n",
	    u->signin_ok, u->signin_failed, u->signin_limited, u->csrf_refused,
	    session_count(u->sessions));
}
