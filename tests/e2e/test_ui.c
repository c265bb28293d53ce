/*
 * End-to-end: the dashboard's door against a real liaisond over HTTPS. Its
 * files under /ui/ with the security headers; sign-in with the node's users
 * (a session cookie that is HttpOnly, Secure and SameSite=Strict, and a CSRF
 * token); the hotline API taken with the cookie; a state-changing request
 * without the token refused and changing nothing; failed sign-ins limited
 * and counted in /metrics; sign-out ending the session on the server.
 */
#include "e2e.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PW "ui-password"

static struct e2e_node node;
static struct e2e_client anon, admin;

static int
setup(void **state)
{
	(void)state;
	e2e_node_init(&node, "ui");
	e2e_node_conf(&node, "ui", "dir", LIAISON_SOURCE_DIR "/ui");
	e2e_user_add(&node, "admin", PW "0", 1, NULL);
	e2e_user_add(&node, "duty", PW "1", 0, NULL);
	e2e_user_add(&node, "victim", PW "2", 0, NULL);
	e2e_node_start(&node);
	e2e_client_init(&anon, &node);
	e2e_client_basic(&admin, &node, "admin", PW "0");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	e2e_client_release(&anon);
	e2e_client_release(&admin);
	return e2e_node_finish(&node);
}

static void
assert_security_headers(const struct e2e_resp *r)
{
	const char *csp = e2e_hdr(r, "Content-Security-Policy");

	assert_non_null(csp);
	assert_non_null(strstr(csp, "default-src 'none'"));
	assert_non_null(strstr(csp, "script-src 'self'"));
	assert_non_null(strstr(csp, "frame-ancestors 'none'"));
	assert_null(strstr(csp, "unsafe-inline"));
	assert_string_equal(e2e_hdr(r, "X-Content-Type-Options"), "nosniff");
	assert_string_equal(e2e_hdr(r, "Referrer-Policy"), "no-referrer");
}

/* GET path with extra headers (NULL-ended), no Authorization. */
static void
get(const char *path, const char *const *headers, struct e2e_resp *r)
{
	struct e2e_req rq = { .method = "GET", .path = path, .accept = "", .auth = "",
		.headers = headers };

	assert_int_equal(e2e_do(&anon, &rq, r), 0);
}

static void
post(const char *path, const char *ctype, const char *body, const char *const *headers,
    struct e2e_resp *r)
{
	struct e2e_req rq = { .method = "POST", .path = path, .body = body,
		.len = strlen(body), .accept = "", .ctype = ctype, .auth = "", .headers = headers };

	assert_int_equal(e2e_do(&anon, &rq, r), 0);
}

static void
test_files(void **state)
{
	struct e2e_resp r = { 0 };

	(void)state;
	get("/ui/", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(e2e_hdr(&r, "Content-Type"), "text/html"));
	assert_non_null(strstr(r.body, "name=\"username\""));
	assert_non_null(strstr(r.body, "name=\"password\""));
	/* no inline script: the page only names its module */
	assert_non_null(strstr(r.body, "<script type=\"module\" src=\"/ui/app.js\"></script>"));
	assert_security_headers(&r);
	get("/ui/app.js", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(e2e_hdr(&r, "Content-Type"), "text/javascript"));
	assert_security_headers(&r);
	get("/ui/style.css", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(e2e_hdr(&r, "Content-Type"), "text/css"));
	get("/ui/../liaison.conf", NULL, &r);
	assert_int_equal(r.status, 404);
	get("/ui/missing.js", NULL, &r);
	assert_int_equal(r.status, 404);
	assert_security_headers(&r);
	get("/ui", NULL, &r);
	assert_int_equal(r.status, 301);
	assert_string_equal(e2e_hdr(&r, "Location"), "/ui/");
	e2e_resp_release(&r);
}

/* Signs in with a form; the cookie into cookie ("Cookie: ..."), the CSRF token into csrf. */
static void
sign_in(const char *user, const char *password, char cookie[256], char csrf[80])
{
	struct e2e_resp r = { 0 };
	char body[256];
	const char *sc, *v;
	json_t *doc;

	snprintf(body, sizeof(body), "username=%s&password=%s", user, password);
	post("/ui/session", "application/x-www-form-urlencoded", body, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_security_headers(&r);
	assert_string_equal(e2e_hdr(&r, "Cache-Control"), "no-store");
	sc = e2e_hdr(&r, "Set-Cookie");
	assert_non_null(sc);
	assert_int_equal(strncmp(sc, "__Host-liaison=", 15), 0);
	assert_non_null(strstr(sc, "; HttpOnly"));
	assert_non_null(strstr(sc, "; Secure"));
	assert_non_null(strstr(sc, "; SameSite=Strict"));
	assert_non_null(strstr(sc, "; Path=/"));
	snprintf(cookie, 256, "Cookie: %.*s", (int)strcspn(sc, ";"), sc);
	doc = e2e_json(&r);
	assert_string_equal(json_string_value(json_object_get(doc, "user")), user);
	v = json_string_value(json_object_get(doc, "csrf"));
	assert_non_null(v);
	assert_int_equal(strlen(v), 64);
	/* the password never comes back */
	assert_null(strstr(r.body, password));
	snprintf(csrf, 80, "X-CSRF-Token: %s", v);
	json_decref(doc);
	e2e_resp_release(&r);
}

static void
test_session_and_csrf(void **state)
{
	struct e2e_resp r = { 0 };
	char cookie[256], csrf[80];
	const char *with_cookie[2] = { cookie, NULL };
	const char *with_both[3] = { cookie, csrf, NULL };
	const char *wrong[3] = { cookie, "X-CSRF-Token: "
	    "0000000000000000000000000000000000000000000000000000000000000000", NULL };
	long long before;
	json_t *doc;

	(void)state;
	sign_in("duty", PW "1", cookie, csrf);
	/* the API takes the cookie instead of an Authorization header */
	get("/api/v1/cases", with_cookie, &r);
	assert_int_equal(r.status, 200);
	doc = e2e_json(&r);
	assert_true(json_is_array(json_object_get(doc, "cases")));
	json_decref(doc);
	get("/api/v1/cases", NULL, &r);
	assert_int_equal(r.status, 401);
	/* the hotline page's order: the nearest deadline first; a wrong order is named */
	get("/api/v1/cases?order=due&limit=100", with_cookie, &r);
	assert_int_equal(r.status, 200);
	doc = e2e_json(&r);
	assert_true(json_is_array(json_object_get(doc, "cases")));
	assert_true(json_is_false(json_object_get(doc, "more")));
	json_decref(doc);
	get("/api/v1/cases?order=deadline", with_cookie, &r);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(r.body, "order must be due"));
	get("/api/v1/cases?order=due&overdue=true", with_cookie, &r);
	assert_int_equal(r.status, 400);
	/* the partners, with the links' health: none on this node */
	get("/api/v1/partners", with_cookie, &r);
	assert_int_equal(r.status, 200);
	doc = e2e_json(&r);
	assert_true(json_is_array(json_object_get(doc, "partners")));
	assert_int_equal(json_array_size(json_object_get(doc, "partners")), 0);
	/* this node's own certificate, fresh from init: green, with its expiry */
	assert_non_null(json_string_value(json_object_get(json_object_get(doc, "node"),
	    "cert_expires")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(doc,
	    "node"), "cert"), "status")), "green");
	json_decref(doc);
	get("/api/v1/partners", NULL, &r);
	assert_int_equal(r.status, 401);
	/* the border: both windows and the decisions, empty on a node without partners */
	get("/api/v1/border", with_cookie, &r);
	assert_int_equal(r.status, 200);
	doc = e2e_json(&r);
	assert_true(json_is_array(json_object_get(json_object_get(doc, "windows"), "24h")));
	assert_true(json_is_array(json_object_get(json_object_get(doc, "windows"), "7d")));
	assert_int_equal(json_array_size(json_object_get(doc, "decisions")), 0);
	json_decref(doc);
	get("/api/v1/border?limit=0", with_cookie, &r);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(r.body, "limit"));
	get("/api/v1/border", NULL, &r);
	assert_int_equal(r.status, 401);
	/* the ledger: verify never ran here, so amber, and no witness */
	get("/api/v1/ledger", with_cookie, &r);
	assert_int_equal(r.status, 200);
	doc = e2e_json(&r);
	assert_true(json_is_integer(json_object_get(doc, "size")));
	assert_true(json_is_null(json_object_get(doc, "last_verify")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "verify"),
	    "status")), "amber");
	assert_int_equal(json_array_size(json_object_get(doc, "witnesses")), 0);
	json_decref(doc);
	get("/api/v1/ledger", NULL, &r);
	assert_int_equal(r.status, 401);
	/* the collections this user reads (the browser test reads objects through it) */
	get("/api/v1/collections", with_cookie, &r);
	assert_int_equal(r.status, 200);
	doc = e2e_json(&r);
	assert_true(json_is_array(json_object_get(doc, "collections")));
	json_decref(doc);
	get("/api/v1/collections/shared/objects/indicator--00000000-0000-4000-8000-000000000000",
	    with_cookie, &r);
	assert_int_equal(r.status, 404);
	get("/api/v1/collections/nosuch/objects/x", with_cookie, &r);
	assert_int_equal(r.status, 404);
	get("/api/v1/collections", NULL, &r);
	assert_int_equal(r.status, 401);
	/* ... but not the TAXII API */
	get("/liaison/collections/", with_cookie, &r);
	assert_int_equal(r.status, 401);

	/* a state-changing request without the token, or with another, is refused first */
	before = e2e_node_metric(&admin, "liaison_ui_csrf_refused_total");
	post("/api/v1/cases", "application/json", "{\"partner\":\"nobody\",\"kind\":\"notification\"}",
	    with_cookie, &r);
	assert_int_equal(r.status, 403);
	assert_non_null(strstr(r.body, "X-CSRF-Token"));
	post("/api/v1/cases", "application/json", "{\"partner\":\"nobody\",\"kind\":\"notification\"}",
	    wrong, &r);
	assert_int_equal(r.status, 403);
	assert_int_equal(e2e_node_metric(&admin, "liaison_ui_csrf_refused_total"), before + 2);
	/* with it, the request reaches the hotline, which judges it (no such partner) */
	post("/api/v1/cases", "application/json", "{\"partner\":\"nobody\",\"kind\":\"notification\"}",
	    with_both, &r);
	assert_int_not_equal(r.status, 403);
	assert_int_not_equal(r.status, 401);
	assert_true(r.status >= 400 && r.status < 500);

	get("/ui/session", with_cookie, &r);
	assert_int_equal(r.status, 200);
	doc = e2e_json(&r);
	assert_true(json_is_true(json_object_get(doc, "signed_in")));
	assert_string_equal(json_string_value(json_object_get(doc, "user")), "duty");
	assert_string_equal(json_string_value(json_object_get(doc, "csrf")), csrf + 14);
	json_decref(doc);

	/* sign-out needs the token too, and ends the session on the server */
	post("/ui/session/end", "application/json", "{}", with_cookie, &r);
	assert_int_equal(r.status, 403);
	get("/ui/session", with_cookie, &r);
	assert_int_equal(r.status, 200);
	post("/ui/session/end", "application/json", "{}", with_both, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(e2e_hdr(&r, "Set-Cookie"), "Max-Age=0"));
	get("/ui/session", with_cookie, &r);
	assert_int_equal(r.status, 200);
	doc = e2e_json(&r);
	assert_true(json_is_false(json_object_get(doc, "signed_in")));
	assert_null(json_object_get(doc, "csrf"));
	json_decref(doc);
	get("/api/v1/cases", with_cookie, &r);
	assert_int_equal(r.status, 401);
	e2e_resp_release(&r);
}

static void
test_failed_sign_ins(void **state)
{
	struct e2e_resp r = { 0 };
	long long failed = e2e_node_metric(&admin, "liaison_ui_signins_total{outcome=\"failed\"}");
	char cookie[256], csrf[80];
	int i;

	(void)state;
	/* a wrong password and an unknown user answer alike */
	post("/ui/session", "application/x-www-form-urlencoded", "username=victim&password=nope",
	    NULL, &r);
	assert_int_equal(r.status, 401);
	assert_non_null(strstr(r.body, "user name or the password is wrong"));
	assert_null(e2e_hdr(&r, "Set-Cookie"));
	post("/ui/session", "application/x-www-form-urlencoded", "username=ghost&password=nope",
	    NULL, &r);
	assert_int_equal(r.status, 401);
	assert_non_null(strstr(r.body, "user name or the password is wrong"));
	post("/ui/session", "application/x-www-form-urlencoded", "username=victim", NULL, &r);
	assert_int_equal(r.status, 400);
	/* five failures for a name: then even its right password waits */
	for (i = 0; i < 4; i++) {
		post("/ui/session", "application/json",
		    "{\"username\":\"victim\",\"password\":\"nope\"}", NULL, &r);
		assert_int_equal(r.status, 401);
	}
	post("/ui/session", "application/x-www-form-urlencoded",
	    "username=victim&password=" PW "2", NULL, &r);
	assert_int_equal(r.status, 429);
	assert_non_null(e2e_hdr(&r, "Retry-After"));
	assert_true(atoi(e2e_hdr(&r, "Retry-After")) > 0);
	assert_null(e2e_hdr(&r, "Set-Cookie"));
	assert_int_equal(e2e_node_metric(&admin, "liaison_ui_signins_total{outcome=\"failed\"}"),
	    failed + 6);
	assert_true(e2e_node_metric(&admin, "liaison_ui_signins_total{outcome=\"limited\"}") >= 1);
	/* another user from the same address is not locked out by it */
	sign_in("duty", PW "1", cookie, csrf);
	e2e_resp_release(&r);
}

/* ---- the live stream: GET /api/v1/events ---- */

#define HELLO "retry: 2000\nevent: hello\ndata: {\"version\":"

struct stream {
	char buf[8192];
	size_t len;
	int triggered;
};

static size_t
on_stream(char *p, size_t size, size_t n, void *arg)
{
	struct stream *st = arg;
	size_t k = size * n;

	if (st->len + k >= sizeof(st->buf))
		return 0;
	memcpy(st->buf + st->len, p, k);
	st->len += k;
	st->buf[st->len] = '\0';
	if (!st->triggered && strstr(st->buf, "event: hello\n") != NULL) {
		/* a change made by another process: the CLI writes the store */
		st->triggered = 1;
		e2e_user_add(&node, "live-trigger", PW "9", 0, NULL);
	}
	return strstr(st->buf, "event: change\n") != NULL ? 0 : k; /* 0: seen, stop */
}

static void
test_live_stream(void **state)
{
	struct e2e_resp r = { 0 };
	struct e2e_req rq = { .path = "/api/v1/events", .accept = "" };
	struct stream st = { .len = 0 };
	struct curl_slist *h = NULL;
	char url[600], auth[600];
	CURL *c = curl_easy_init();
	const char *ct = NULL;
	long status = 0;
	CURLcode rc;
	int64_t t0;

	(void)state;
	/* a stranger gets no stream */
	assert_int_equal(e2e_do(&anon, &rq, &r), 0);
	assert_int_equal(r.status, 401);
	e2e_resp_release(&r);
	snprintf(url, sizeof(url), "%s/api/v1/events", node.base);
	snprintf(auth, sizeof(auth), "Authorization: %s", admin.auth);
	h = curl_slist_append(h, auth);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CAINFO, node.cacert);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_stream);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &st);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 15L);
	t0 = e2e_now_ms();
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
	if (rc != CURLE_WRITE_ERROR)
		fail_msg("the stream ended without a change event (%s): %s", curl_easy_strerror(rc), st.buf);
	assert_int_equal(status, 200);
	assert_non_null(ct);
	assert_string_equal(ct, "text/event-stream");
	if (strncmp(st.buf, HELLO, strlen(HELLO)) != 0)
		fail_msg("the stream does not start with its hello: %s", st.buf);
	assert_non_null(strstr(st.buf, "\n\nevent: change\ndata: {\"version\":"));
	e2e_log_time(t0, "a change reached the live stream");
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	/* the node counted the stream, and the change; the stream is gone with its client */
	assert_true(e2e_node_metric(&admin, "liaison_ui_live_streams_opened_total") >= 1);
	assert_true(e2e_node_metric(&admin, "liaison_ui_live_changes_total") >= 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_session_and_csrf),
		cmocka_unit_test(test_failed_sign_ins),
		cmocka_unit_test(test_live_stream),
	};

	e2e_require_bins();
	return cmocka_run_group_tests(tests, setup, teardown);
}
