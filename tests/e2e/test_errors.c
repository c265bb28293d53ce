/*
 * End-to-end: every error a TAXII client can provoke, against a real
 * liaisond over HTTPS. Each checks the status code, the TAXII media type, an
 * error resource whose description names the problem, and that nothing was
 * stored. Also hostile framing on raw TLS sockets: malformed request lines and
 * headers, slow and vanishing clients, pipelined keep-alive requests.
 */
#include "e2e.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define path(...) e2e_path(__VA_ARGS__)
#define MAXLEN (1u << 20)      /* max_content_length of this node */
#define IDLE_S 3               /* idle_timeout of this node */
#define REQUEST_S 6            /* request_timeout of this node */
#define PW "errors-password"

static struct e2e_node node;
static struct e2e_client admin, rw, ro, wo, nobody;
static char c_target[64], c_other[64], local_id[64], shared_id[64];

static int
setup(void **state)
{
	const char *g_rw[] = { "e-target:rw", "e-other:rw", "shared:rw", NULL };
	const char *g_ro[] = { "e-target:r", "shared:r", NULL };
	const char *g_wo[] = { "e-target:w", NULL };
	char v[32];

	e2e_node_init(&node, "errors");
	snprintf(v, sizeof(v), "%u", MAXLEN);
	e2e_node_conf(&node, "taxii", "max_content_length", v);
	snprintf(v, sizeof(v), "%d", IDLE_S);
	e2e_node_conf(&node, "limits", "idle_timeout", v);
	snprintf(v, sizeof(v), "%d", REQUEST_S);
	e2e_node_conf(&node, "limits", "request_timeout", v);
	e2e_coll_add(&node, "e-target");
	e2e_coll_add(&node, "e-other");
	e2e_coll_id(&node, "e-target", c_target);
	e2e_coll_id(&node, "e-other", c_other);
	e2e_coll_id(&node, "local", local_id);
	e2e_coll_id(&node, "shared", shared_id);
	e2e_user_add(&node, "admin", PW "0", 1, NULL);
	e2e_user_add(&node, "rw", PW "1", 0, g_rw);
	e2e_user_add(&node, "ro", PW "2", 0, g_ro);
	e2e_user_add(&node, "wo", PW "3", 0, g_wo);
	e2e_node_start(&node);
	e2e_client_basic(&admin, &node, "admin", PW "0");
	e2e_client_basic(&rw, &node, "rw", PW "1");
	e2e_client_basic(&ro, &node, "ro", PW "2");
	e2e_client_basic(&wo, &node, "wo", PW "3");
	e2e_client_init(&nobody, &node);
	return 0;
}

static int
teardown(void **state)
{
	e2e_client_release(&admin);
	e2e_client_release(&rw);
	e2e_client_release(&ro);
	e2e_client_release(&wo);
	e2e_client_release(&nobody);
	return e2e_node_finish(&node);
}

/* A valid envelope with one fresh indicator; *id gets its id. */
static char *
one_env(char id[80], size_t *len)
{
	struct e2e_str s = { 0 };
	char u[37], o[1024];

	e2e_uuid4(u);
	snprintf(id, 80, "indicator--%s", u);
	e2e_indicator(o, sizeof(o), id, "err", 0);
	e2e_str_addf(&s, "{\"objects\":[%s]}", o);
	*len = s.len;
	return s.s;
}

static void
assert_absent(const char *coll, const char *id)
{
	struct e2e_resp r = { 0 };

	e2e_get(&admin, path(API "/collections/%s/objects/%s/", coll, id), &r);
	if (r.status != 404)
		fail_msg("object %s should not have been stored (GET gave %ld)", id, r.status);
	e2e_resp_release(&r);
}

static void
assert_present(const char *coll, const char *id)
{
	struct e2e_resp r = { 0 };

	e2e_get(&admin, path(API "/collections/%s/objects/%s/", coll, id), &r);
	if (r.status != 200)
		fail_msg("object %s should have been stored (GET gave %ld)", id, r.status);
	e2e_resp_release(&r);
}

/* ---- 401 ---- */

static void
test_401(void **state)
{
	static const char *const bad[] = {
		NULL,                                     /* no Authorization at all */
		"Basic ZXJyb3JzOndyb25n",                 /* errors:wrong: unknown user */
		"Basic YWRtaW46d3JvbmctcGFzc3dvcmQ=",     /* admin:wrong-password */
		"Basic !!!not-base64!!!",
		"Basic YWRtaW4=",                         /* "admin" without a colon */
		"Basic ",
		"Bearer lsn_not-a-token",
		"Bearer ",
		"Digest username=\"admin\"",
		"admin:errors-password0",
	};
	struct e2e_resp r = { 0 };
	size_t i, before = e2e_count(&admin, c_target), len;
	char id[80], *env = one_env(id, &len);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct e2e_req g = { .path = path(API "/collections/%s/objects/", c_target), .auth = bad[i] ? bad[i] : "" };
		struct e2e_req p = g;
		const char *www;

		e2e_do(&nobody, &g, &r);
		e2e_assert_error(&r, 401, "credential|token|authenticat");
		www = e2e_hdr(&r, "WWW-Authenticate");
		if (www == NULL || strcasestr(www, "Basic") == NULL)
			fail_msg("401 without a WWW-Authenticate: Basic header (auth '%s')", bad[i] ? bad[i] : "none");
		p.body = env;
		p.len = len;
		e2e_do(&nobody, &p, &r);
		e2e_assert_error(&r, 401, NULL);
		assert_non_null(e2e_hdr(&r, "WWW-Authenticate"));
		/* discovery and the API root need credentials too */
		g.path = "/taxii2/";
		e2e_do(&nobody, &g, &r);
		e2e_assert_error(&r, 401, NULL);
	}
	/* a correct password after wrong ones still works (no poisoned cache) */
	e2e_get(&admin, API "/", &r);
	json_decref(e2e_assert_ok(&r, 200));
	assert_int_equal(e2e_count(&admin, c_target), before);
	assert_absent(c_target, id);
	free(env);
	e2e_resp_release(&r);
}

/* ---- 403 / 404 ---- */

static void
test_403(void **state)
{
	struct e2e_resp r = { 0 };
	size_t before = e2e_count(&admin, c_target), len;
	char id[80], *env = one_env(id, &len);

	e2e_post(&ro, path(API "/collections/%s/objects/", c_target), env, len, &r);
	e2e_assert_error(&r, 403, "write");
	e2e_get(&wo, path(API "/collections/%s/objects/", c_target), &r);
	e2e_assert_error(&r, 403, "read");
	e2e_get(&wo, path(API "/collections/%s/manifest/", c_target), &r);
	e2e_assert_error(&r, 403, "read");
	e2e_delete(&ro, path(API "/collections/%s/objects/%s/", c_target, id), &r);
	e2e_assert_error(&r, 403, "write|delet");
	assert_int_equal(e2e_count(&admin, c_target), before);
	assert_absent(c_target, id);
	free(env);
	e2e_resp_release(&r);
}

static void
test_404(void **state)
{
	struct e2e_resp r = { 0 }, r2 = { 0 };
	char u[37], id[80], *env;
	size_t len, before_local = e2e_count(&admin, local_id);
	json_t *a, *b;

	e2e_uuid4(u);
	/* an unknown collection and one the user may not see answer alike */
	e2e_get(&rw, path(API "/collections/%s/", u), &r);
	e2e_assert_error(&r, 404, "collection");
	e2e_get(&rw, path(API "/collections/%s/", local_id), &r2);
	e2e_assert_error(&r2, 404, "collection");
	a = e2e_json(&r);
	b = e2e_json(&r2);
	assert_string_equal(json_string_value(json_object_get(a, "title")),
	    json_string_value(json_object_get(b, "title")));
	json_decref(a);
	json_decref(b);
	if (strstr(r2.body, "local") != NULL || strstr(r2.body, "forbid") != NULL)
		fail_msg("the 404 for a hidden collection leaks what it is: %s", r2.body);
	e2e_get(&rw, path(API "/collections/%s/objects/", local_id), &r);
	e2e_assert_error(&r, 404, "collection");
	e2e_get(&rw, path(API "/collections/%s/manifest/", u), &r);
	e2e_assert_error(&r, 404, "collection");
	env = one_env(id, &len);
	e2e_post(&rw, path(API "/collections/%s/objects/", local_id), env, len, &r);
	e2e_assert_error(&r, 404, "collection");
	e2e_post(&rw, path(API "/collections/%s/objects/", u), env, len, &r);
	e2e_assert_error(&r, 404, "collection");
	assert_int_equal(e2e_count(&admin, local_id), before_local);
	assert_absent(local_id, id);
	/* unknown object, versions, status; unknown paths and API roots */
	e2e_get(&rw, path(API "/collections/%s/objects/%s/", c_target, id), &r);
	e2e_assert_error(&r, 404, id);
	e2e_get(&rw, path(API "/collections/%s/objects/%s/versions/", c_target, id), &r);
	e2e_assert_error(&r, 404, id);
	e2e_delete(&rw, path(API "/collections/%s/objects/%s/", c_target, id), &r);
	e2e_assert_error(&r, 404, id);
	e2e_get(&rw, path(API "/collections/%s/objects/not-a-stix-id/", c_target), &r);
	e2e_assert_error(&r, 404, NULL);
	e2e_get(&rw, path(API "/status/%s/", u), &r);
	e2e_assert_error(&r, 404, "status");
	e2e_get(&rw, API "/status/not-a-uuid/", &r);
	e2e_assert_error(&r, 404, "status");
	e2e_get(&rw, API "/nothing-here/", &r);
	e2e_assert_error(&r, 404, NULL);
	e2e_get(&rw, "/other-root/", &r);
	e2e_assert_error(&r, 404, NULL);
	e2e_get(&rw, path(API "/collections/%s", c_target), &r); /* TAXII URLs end with '/' */
	e2e_assert_error(&r, 404, NULL);
	e2e_get(&rw, "/", &r);
	e2e_assert_error(&r, 404, NULL);
	free(env);
	e2e_resp_release(&r);
	e2e_resp_release(&r2);
}

static void
test_405(void **state)
{
	struct e2e_resp r = { 0 };
	struct e2e_req rq = { .method = "PUT", .path = path(API "/collections/%s/objects/", c_target),
			      .body = "{}", .len = 2 };
	size_t before = e2e_count(&admin, c_target);

	e2e_do(&rw, &rq, &r);
	e2e_assert_error(&r, 405, "GET|POST|allow");
	assert_non_null(e2e_hdr(&r, "Allow"));
	rq.method = "DELETE";
	rq.body = NULL;
	rq.path = path(API "/collections/%s/", c_target);
	e2e_do(&rw, &rq, &r);
	e2e_assert_error(&r, 405, NULL);
	rq.method = "POST";
	rq.body = "{\"objects\":[]}";
	rq.len = strlen(rq.body);
	rq.path = "/taxii2/";
	e2e_do(&rw, &rq, &r);
	e2e_assert_error(&r, 405, NULL);
	assert_int_equal(e2e_count(&admin, c_target), before);
	e2e_resp_release(&r);
}

/* ---- 406 / 415 ---- */

static void
test_406(void **state)
{
	static const char *const bad[] = {
		"application/taxii+json;version=2.0",
		"application/taxii+json; version=2.0",
		"text/html",
		"application/json",
		"application/stix+json;version=2.1",
		"application/taxii+json;version=2.1;q=0",
	};
	struct e2e_resp r = { 0 };
	size_t i, before = e2e_count(&admin, c_target), len;
	char id[80], *env = one_env(id, &len);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct e2e_req rq = { .path = path(API "/collections/%s/objects/", c_target), .accept = bad[i] };
		e2e_do(&rw, &rq, &r);
		e2e_assert_error(&r, 406, "accept|" TAXII_MT);
		rq.path = "/taxii2/";
		e2e_do(&rw, &rq, &r);
		e2e_assert_error(&r, 406, NULL);
		rq.path = path(API "/collections/%s/objects/", c_target);
		rq.body = env;
		rq.len = len;
		e2e_do(&rw, &rq, &r);
		e2e_assert_error(&r, 406, NULL);
	}
	assert_int_equal(e2e_count(&admin, c_target), before);
	assert_absent(c_target, id);
	/* acceptable: a list containing TAXII 2.1, case and spacing variants */
	{
		struct e2e_req ok = { .path = API "/", .accept = "text/html, application/taxii+json;version=2.1" };
		e2e_do(&rw, &ok, &r);
		json_decref(e2e_assert_ok(&r, 200));
		ok.accept = "Application/TAXII+JSON; Version=2.1";
		e2e_do(&rw, &ok, &r);
		json_decref(e2e_assert_ok(&r, 200));
		ok.accept = "";
		e2e_do(&rw, &ok, &r);
		json_decref(e2e_assert_ok(&r, 200));
	}
	free(env);
	e2e_resp_release(&r);
}

static void
test_415(void **state)
{
	static const char *const bad[] = {
		"", "application/json", "application/taxii+json;version=2.0",
		"application/stix+json;version=2.1", "text/plain", "application/x-www-form-urlencoded",
	};
	struct e2e_resp r = { 0 };
	size_t i, before = e2e_count(&admin, c_target), len;
	char id[80], *env = one_env(id, &len);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct e2e_req rq = { .path = path(API "/collections/%s/objects/", c_target), .body = env,
				      .len = len, .ctype = bad[i] };
		e2e_do(&rw, &rq, &r);
		e2e_assert_error(&r, 415, "content-type|media type");
	}
	assert_int_equal(e2e_count(&admin, c_target), before);
	assert_absent(c_target, id);
	free(env);
	e2e_resp_release(&r);
}

/* ---- 413 / 422 / 400 bodies ---- */

/* A valid envelope padded with JSON whitespace to exactly total bytes. */
static char *
padded_env(char id[80], size_t total)
{
	size_t len;
	char *env = one_env(id, &len), *p = malloc(total + 1);

	assert_true(total >= len);
	memcpy(p, env, len - 1);                 /* without the final '}' */
	memset(p + len - 1, ' ', total - len);
	p[total - 1] = '}';
	p[total] = '\0';
	free(env);
	return p;
}

static void
test_413(void **state)
{
	struct e2e_resp r = { 0 };
	const char *expect[] = { "Expect: 100-continue", NULL };
	size_t before = e2e_count(&admin, c_target);
	char id[80], id2[80], *big = padded_env(id, MAXLEN + 1), *fit = padded_env(id2, MAXLEN);
	json_t *j;

	/* the API root says the limit */
	e2e_get(&rw, API "/", &r);
	j = e2e_assert_ok(&r, 200);
	assert_int_equal(json_integer_value(json_object_get(j, "max_content_length")), MAXLEN);
	json_decref(j);
	{
		struct e2e_req rq = { .path = path(API "/collections/%s/objects/", c_target), .body = big,
				      .len = MAXLEN + 1, .headers = expect };
		e2e_do(&rw, &rq, &r);
		e2e_assert_error(&r, 413, "max_content_length|large");
		assert_int_equal(e2e_count(&admin, c_target), before);
		assert_absent(c_target, id);
		/* exactly max_content_length is fine */
		rq.body = fit;
		rq.len = MAXLEN;
		e2e_do(&rw, &rq, &r);
		j = e2e_assert_ok(&r, 202);
		e2e_assert_status(j, 1, 1, 0);
		json_decref(j);
		assert_int_equal(e2e_count(&admin, c_target), before + 1);
		assert_present(c_target, id2);
	}
	free(big);
	free(fit);
	e2e_resp_release(&r);
}

static void
test_422(void **state)
{
	static const char *const bad[] = {
		"{}",
		"{\"more\":false}",
		"{\"objects\":{}}",
		"{\"objects\":\"none\"}",
		"{\"objects\":null}",
		"{\"type\":\"bundle\",\"id\":\"bundle--44af6c39-c09b-49c5-9de2-394224b04982\",\"object\":[]}",
	};
	struct e2e_resp r = { 0 };
	size_t i, before = e2e_count(&admin, c_target);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e2e_post(&rw, path(API "/collections/%s/objects/", c_target), bad[i], strlen(bad[i]), &r);
		e2e_assert_error(&r, 422, "objects");
	}
	assert_int_equal(e2e_count(&admin, c_target), before);
	e2e_resp_release(&r);
}

static void
test_400_body(void **state)
{
	struct e2e_str deep = { 0 };
	struct e2e_resp r = { 0 };
	char id[80], o[1024], u[37];
	size_t before = e2e_count(&admin, c_target), i;
	const char *const bad[] = {
		"", "{", "{\"objects\":[", "{\"objects\":[]", "{\"objects\":[]} trailing", "{\"objects\":[],}",
		"{'objects':[]}", "{\"objects\":[{\"type\":\"indicator\",}]}", "\xef\xbb\xbf{\"objects\":[]}",
		"[]", "\"objects\"", "{\"objects\":[01]}", "{\"objects\":[NaN]}",
	};

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e2e_post(&rw, path(API "/collections/%s/objects/", c_target), bad[i], strlen(bad[i]), &r);
		if (r.status == 422 && (strcmp(bad[i], "[]") == 0 || strcmp(bad[i], "\"objects\"") == 0))
			continue; /* valid JSON that is not an envelope: 422 is as good as 400 */
		e2e_assert_error(&r, 400, "JSON|envelope|body");
	}
	/* 10,000-deep nesting inside an object */
	e2e_uuid4(u);
	snprintf(id, sizeof(id), "indicator--%s", u);
	e2e_indicator(o, sizeof(o), id, "deep", 0);
	e2e_str_addf(&deep, "{\"objects\":[%.*s,\"x_deep\":", (int)strlen(o) - 1, o);
	for (i = 0; i < 10000; i++)
		e2e_str_add(&deep, "[", 1);
	for (i = 0; i < 10000; i++)
		e2e_str_add(&deep, "]", 1);
	e2e_str_add(&deep, "}]}", 3);
	e2e_post(&rw, path(API "/collections/%s/objects/", c_target), deep.s, deep.len, &r);
	e2e_assert_error(&r, 400, "deep|depth|nest");
	/* 10,000 nested objects too */
	deep.len = 0;
	e2e_str_add(&deep, "{\"objects\":[", 12);
	for (i = 0; i < 10000; i++)
		e2e_str_add(&deep, "{\"a\":", 5);
	e2e_str_add(&deep, "1", 1);
	for (i = 0; i < 10000; i++)
		e2e_str_add(&deep, "}", 1);
	e2e_str_add(&deep, "]}", 2);
	e2e_post(&rw, path(API "/collections/%s/objects/", c_target), deep.s, deep.len, &r);
	e2e_assert_error(&r, 400, "deep|depth|nest");
	e2e_str_release(&deep);
	assert_int_equal(e2e_count(&admin, c_target), before);
	assert_absent(c_target, id);
	/* the daemon is still there and well */
	e2e_get(&rw, API "/", &r);
	json_decref(e2e_assert_ok(&r, 200));
	e2e_resp_release(&r);
}

/*
 * An envelope of a bad object and a good one: either the request is refused
 * as a whole (400, nothing stored) or the bad object fails in the status
 * while the good one is stored. want_400 forces the first form.
 */
static void
bad_with_good(const char *bad_obj, const char *bad_id, const char *why, int want_400)
{
	struct e2e_resp r = { 0 };
	struct e2e_str env = { 0 };
	char gid[80] = "", good[1024], u[37];
	size_t before = e2e_count(&admin, c_target);
	json_t *st, *f;

	e2e_uuid4(u);
	snprintf(gid, sizeof(gid), "indicator--%s", u);
	e2e_indicator(good, sizeof(good), gid, "good", 0);
	e2e_str_addf(&env, "{\"objects\":[%s,%s]}", bad_obj, good);
	e2e_post(&rw, path(API "/collections/%s/objects/", c_target), env.s, env.len, &r);
	e2e_str_release(&env);
	if (want_400 || r.status == 400) {
		e2e_assert_error(&r, 400, why);
		assert_int_equal(e2e_count(&admin, c_target), before);
		assert_absent(c_target, gid);
		e2e_resp_release(&r);
		return;
	}
	st = e2e_assert_ok(&r, 202);
	e2e_assert_status(st, 2, 1, 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(st, "successes"), 0), "id")), gid);
	f = json_array_get(json_object_get(st, "failures"), 0);
	if (bad_id != NULL && strcmp(json_string_value(json_object_get(f, "id")), bad_id) != 0)
		fail_msg("the failure names id '%s', not the object's id %s: %s",
		    json_string_value(json_object_get(f, "id")), bad_id, r.body);
	{
		const char *m = json_string_value(json_object_get(f, "message"));
		char alt[128], *tok, *save = NULL;
		int found = 0;
		snprintf(alt, sizeof(alt), "%s", why);
		for (tok = strtok_r(alt, "|", &save); tok && m && !found; tok = strtok_r(NULL, "|", &save))
			found = strcasestr(m, tok) != NULL;
		if (!found)
			fail_msg("failure message does not say '%s': %s", why, m ? m : "(none)");
	}
	json_decref(st);
	assert_int_equal(e2e_count(&admin, c_target), before + 1);
	assert_present(c_target, gid);
	if (bad_id != NULL)
		assert_absent(c_target, bad_id);
	e2e_resp_release(&r);
}

static void
make_bad(char *out, size_t cap, char id[80], const char *type, const char *extra)
{
	char u[37];

	e2e_uuid4(u);
	snprintf(id, 80, "%s--%s", type, u);
	snprintf(out, cap, "{\"type\":\"%s\",\"spec_version\":\"2.1\",\"id\":\"%s\",\"created\":\"2020-01-01T00:00:00.000Z\","
	    "\"modified\":\"2020-01-01T00:00:00.000Z\",%s}", type, id, extra);
}

static void
test_bad_objects(void **state)
{
	char o[2048], id[80];

	/* invalid UTF-8 inside a string of an object: the JSON is not valid */
	make_bad(o, sizeof(o), id, "identity", "\"identity_class\":\"organization\",\"name\":\"bad \xff\xfe byte\"");
	bad_with_good(o, id, "UTF-8|utf8", 1);
	make_bad(o, sizeof(o), id, "identity", "\"identity_class\":\"organization\",\"name\":\"overlong \xc0\xaf\"");
	bad_with_good(o, id, "UTF-8|utf8", 1);
	/* a duplicate key: reported for that object, the other object is stored */
	make_bad(o, sizeof(o), id, "identity",
	    "\"identity_class\":\"organization\",\"name\":\"one\",\"name\":\"two\"");
	bad_with_good(o, id, "duplicate", 0);
	/* STIX rules: a required property missing, modified before created, bad id */
	make_bad(o, sizeof(o), id, "identity", "\"identity_class\":\"organization\"");
	bad_with_good(o, id, "name", 0);
	{
		char u[37];
		e2e_uuid4(u);
		snprintf(id, 80, "identity--%s", u);
		snprintf(o, sizeof(o), "{\"type\":\"identity\",\"spec_version\":\"2.1\",\"id\":\"%s\","
		    "\"created\":\"2020-01-01T00:00:00.000Z\",\"modified\":\"2019-01-01T00:00:00.000Z\","
		    "\"name\":\"x\",\"identity_class\":\"organization\"}", id);
		bad_with_good(o, id, "modified", 0);
	}
	bad_with_good("{\"type\":\"identity\",\"spec_version\":\"2.1\",\"id\":\"identity--not-a-uuid\","
	    "\"created\":\"2020-01-01T00:00:00.000Z\",\"modified\":\"2020-01-01T00:00:00.000Z\",\"name\":\"x\"}",
	    "identity--not-a-uuid", "id", 0);
	bad_with_good("42", NULL, "object", 0);
	bad_with_good("\"a string\"", NULL, "object", 0);
	/* a STIX 2.0 object (no spec_version) */
	{
		char u[37];
		e2e_uuid4(u);
		snprintf(id, 80, "identity--%s", u);
		snprintf(o, sizeof(o), "{\"type\":\"identity\",\"id\":\"%s\",\"created\":\"2020-01-01T00:00:00.000Z\","
		    "\"modified\":\"2020-01-01T00:00:00.000Z\",\"name\":\"x\",\"identity_class\":\"organization\"}", id);
		bad_with_good(o, id, "spec_version", 0);
	}
	/*
	 * A lone surrogate escape and a NUL escape: not STIX strings; the object
	 * fails and the other one is stored. The failure must still name the
	 * object's id (TAXII 2.1 §4.3.1), although jansson cannot parse it.
	 */
	make_bad(o, sizeof(o), id, "identity", "\"identity_class\":\"organization\",\"name\":\"\\ud800\"");
	bad_with_good(o, id, "unicode|surrogate|escape|UTF", 0);
	make_bad(o, sizeof(o), id, "identity", "\"identity_class\":\"organization\",\"name\":\"a\\u0000b\"");
	bad_with_good(o, id, "NUL|null|\\u0000|zero", 0);
}

/* Same id and modified, different content: a failure; the same content: a duplicate. */
static void
test_conflict(void **state)
{
	char id[80], u[37], a[1024], b[1024];
	const char *objs[2];
	json_t *st;
	struct e2e_resp r = { 0 };
	size_t before;

	e2e_uuid4(u);
	snprintf(id, sizeof(id), "indicator--%s", u);
	e2e_indicator(a, sizeof(a), id, "original", 5000);
	e2e_indicator(b, sizeof(b), id, "changed", 5000);
	objs[0] = a;
	st = e2e_post_objs(&rw, c_target, objs, 1);
	e2e_assert_status(st, 1, 1, 0);
	json_decref(st);
	before = e2e_count(&admin, c_target);
	objs[0] = b;
	st = e2e_post_objs(&rw, c_target, objs, 1);
	e2e_assert_status(st, 1, 0, 1);
	{
		json_t *f = json_array_get(json_object_get(st, "failures"), 0);
		assert_string_equal(json_string_value(json_object_get(f, "id")), id);
		assert_non_null(json_string_value(json_object_get(f, "message")));
	}
	json_decref(st);
	assert_int_equal(e2e_count(&admin, c_target), before);
	e2e_get(&rw, path(API "/collections/%s/objects/%s/", c_target, id), &r);
	objs[0] = a;
	assert_int_equal(r.status, 200);
	e2e_assert_objects(&r, objs, 1);
	/* in one envelope: the original (duplicate, success) and the change (failure) */
	objs[0] = a;
	objs[1] = b;
	st = e2e_post_objs(&rw, c_target, objs, 2);
	e2e_assert_status(st, 2, 1, 1);
	json_decref(st);
	assert_int_equal(e2e_count(&admin, c_target), before);
	e2e_resp_release(&r);
}

/* ---- 400 query parameters ---- */

static void
test_400_query(void **state)
{
	struct e2e_resp r = { 0 }, m = { 0 };
	char nx[256], other_nx[256], sid[64] = "";
	json_t *j;
	size_t i;
	const char *const objs_q[][2] = {
		{ "foo=1", "foo" },
		{ "limit=-1", "limit" },
		{ "limit=0", "limit" },
		{ "limit=abc", "limit" },
		{ "limit=1.5", "limit" },
		{ "limit=", "limit" },
		{ "limit=1&limit=2", "limit" },
		{ "added_after=yesterday", "added_after" },
		{ "added_after=2020-13-01T00:00:00Z", "added_after" },
		{ "added_after=2020-01-01T00:00:00", "added_after" },
		{ "added_after=2020-02-30T00:00:00Z", "added_after" },
		{ "next=garbage", "next" },
		{ "next=", "next" },
		{ "match[version]=newest", "match[version]" },
		{ "match[version]=2020-01-01", "match[version]" },
		{ "match[id]=", "match[id]" },
		{ "match[id]=a,,b", "match[id]" },
		{ "match[foo]=bar", "match[foo]" },
		{ "match%5Btype%5D=indicator&match[type]=tool", "match[type]" },
		{ "limit=%zz", "escape|limit" },
	};

	/* a real next token, then tampered with, and one of another collection */
	for (i = 0; i < 3; i++) {
		char id[80], *env;
		size_t len;
		env = one_env(id, &len);
		e2e_post(&rw, path(API "/collections/%s/objects/", c_other), env, len, &r);
		assert_int_equal(r.status, 202);
		e2e_post(&rw, path(API "/collections/%s/objects/", c_target), env, len, &r);
		j = e2e_assert_ok(&r, 202);
		snprintf(sid, sizeof(sid), "%s", json_string_value(json_object_get(j, "id")) ?: "");
		json_decref(j);
		free(env);
	}
	e2e_get(&rw, path(API "/collections/%s/objects/?limit=1", c_target), &r);
	j = e2e_assert_ok(&r, 200);
	snprintf(nx, sizeof(nx), "%s", json_string_value(json_object_get(j, "next")));
	json_decref(j);
	e2e_get(&rw, path(API "/collections/%s/objects/?limit=1", c_other), &r);
	j = e2e_assert_ok(&r, 200);
	e2e_urlenc(json_string_value(json_object_get(j, "next")), other_nx, sizeof(other_nx));
	json_decref(j);

	for (i = 0; i < sizeof(objs_q) / sizeof(objs_q[0]); i++) {
		e2e_get(&rw, path(API "/collections/%s/objects/?%s", c_target, objs_q[i][0]), &r);
		e2e_assert_error(&r, 400, objs_q[i][1]);
		e2e_get(&rw, path(API "/collections/%s/manifest/?%s", c_target, objs_q[i][0]), &r);
		e2e_assert_error(&r, 400, objs_q[i][1]);
	}
	/* a token of another collection is refused */
	e2e_get(&rw, path(API "/collections/%s/objects/?next=%s", c_target, other_nx), &r);
	e2e_assert_error(&r, 400, "next");
	/* a tampered token is refused: flip one character */
	{
		char t[256], enc[300];
		snprintf(t, sizeof(t), "%s", nx);
		t[2] = t[2] == 'A' ? 'B' : 'A';
		e2e_urlenc(t, enc, sizeof(enc));
		e2e_get(&rw, path(API "/collections/%s/objects/?next=%s", c_target, enc), &m);
		e2e_assert_error(&m, 400, "next");
	}
	/* parameters an endpoint does not take */
	e2e_get(&rw, path(API "/collections/%s/objects/?limit=1", c_target), &r);
	j = e2e_assert_ok(&r, 200);
	{
		const char *oid = json_string_value(json_object_get(json_array_get(json_object_get(j, "objects"), 0), "id"));
		e2e_get(&rw, path(API "/collections/%s/objects/%s/?match[id]=%s", c_target, oid, oid), &m);
		e2e_assert_error(&m, 400, "match[id]");
		e2e_get(&rw, path(API "/collections/%s/objects/%s/?match[type]=indicator", c_target, oid), &m);
		e2e_assert_error(&m, 400, "match[type]");
		e2e_get(&rw, path(API "/collections/%s/objects/%s/versions/?match[version]=all", c_target, oid), &m);
		e2e_assert_error(&m, 400, "match[version]");
		e2e_delete(&rw, path(API "/collections/%s/objects/%s/?limit=1", c_target, oid), &m);
		e2e_assert_error(&m, 400, "limit");
		e2e_delete(&rw, path(API "/collections/%s/objects/%s/?match[version]=bogus", c_target, oid), &m);
		e2e_assert_error(&m, 400, "match[version]");
		assert_present(c_target, oid);
	}
	json_decref(j);
	/* POST takes no query parameters; nothing is stored */
	{
		char id[80], *env;
		size_t len, before = e2e_count(&admin, c_target);
		env = one_env(id, &len);
		e2e_post(&rw, path(API "/collections/%s/objects/?limit=1", c_target), env, len, &r);
		e2e_assert_error(&r, 400, "query|parameter");
		assert_int_equal(e2e_count(&admin, c_target), before);
		assert_absent(c_target, id);
		free(env);
	}
	/* endpoints without filters refuse any query parameter too */
	{
		char p1[200], p2[200];
		const char *const no_params[][2] = {
			{ "/taxii2/?foo=1", "foo" }, { API "/?foo=1", "foo" },
			{ API "/collections/?limit=1", "limit" }, { p1, "foo" }, { p2, "match[id]" },
		};
		snprintf(p1, sizeof(p1), API "/collections/%s/?foo=1", c_target);
		snprintf(p2, sizeof(p2), API "/status/%s/?match[id]=x", sid);
		for (i = 0; i < sizeof(no_params) / sizeof(no_params[0]); i++) {
			e2e_get(&rw, no_params[i][0], &r);
			e2e_assert_error(&r, 400, no_params[i][1]);
		}
	}
	e2e_resp_release(&r);
	e2e_resp_release(&m);
}

/* ---- raw TLS framing ---- */

static void
raw_expect(const char *req, size_t len, long status, const char *why)
{
	struct e2e_tls t;
	struct e2e_resp r = { 0 };

	if (e2e_tls_connect(&node, &t) < 0)
		fail_msg("TLS connect to %s failed", node.base);
	assert_int_equal(e2e_tls_send(&t, req, len), 0);
	if (e2e_tls_read_response(&t, &r, 10000) < 0)
		fail_msg("no response to %.60s...", req);
	e2e_assert_error(&r, status, why);
	if (!e2e_tls_closed(&t, 5000))
		fail_msg("the connection stays open after a %ld framing error", status);
	e2e_tls_close(&t);
	e2e_resp_release(&r);
}

static void
test_raw_framing(void **state)
{
	struct e2e_str big = { 0 };
	char req[2048];
	size_t i;

	raw_expect("GARBAGE\r\n\r\n", 11, 400, "HTTP|request");
	raw_expect("GET\r\n\r\n", 7, 400, "HTTP|request");
	raw_expect("GET /taxii2/\r\n\r\n", 16, 400, "HTTP|request");
	raw_expect("GET taxii2 HTTP/1.1\r\n\r\n", 23, 400, "HTTP|request");
	snprintf(req, sizeof(req), "GET /taxii2/ HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n");
	raw_expect(req, strlen(req), 400, "HTTP|header|request");
	snprintf(req, sizeof(req), "GET /taxii2/ HTTP/1.1\r\nHost: x\r\nBad Name: v\r\n\r\n");
	raw_expect(req, strlen(req), 400, "HTTP|header|request");
	snprintf(req, sizeof(req), "GET /taxii2/ HTTP/1.1\r\nHost: x\r\n folded: v\r\n\r\n");
	raw_expect(req, strlen(req), 400, "HTTP|header|request");
	snprintf(req, sizeof(req), "POST %s/collections/%s/objects/ HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: ten\r\n\r\n", API, c_target);
	raw_expect(req, strlen(req), 400, "HTTP|length|request");
	/* request smuggling shape: both framings */
	snprintf(req, sizeof(req), "POST %s/collections/%s/objects/ HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", API, c_target);
	raw_expect(req, strlen(req), 400, "HTTP|request|length|encoding");
	snprintf(req, sizeof(req), "GET /taxii2/ HTTP/2.0\r\nHost: x\r\n\r\n");
	raw_expect(req, strlen(req), 505, "HTTP");
	snprintf(req, sizeof(req), "POST %s/collections/%s/objects/ HTTP/1.1\r\nHost: x\r\n"
	    "Transfer-Encoding: gzip\r\n\r\n", API, c_target);
	raw_expect(req, strlen(req), 501, "chunked|encoding");
	/* a body declared larger than max_content_length: refused before it is read */
	snprintf(req, sizeof(req), "POST %s/collections/%s/objects/ HTTP/1.1\r\nHost: x\r\n"
	    "Content-Type: " TAXII_MT "\r\nContent-Length: %u\r\n\r\n", API, c_target, MAXLEN + 1);
	raw_expect(req, strlen(req), 413, "max_content_length|large");
	snprintf(req, sizeof(req), "POST %s/collections/%s/objects/ HTTP/1.1\r\nHost: x\r\n"
	    "Content-Type: " TAXII_MT "\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n", API, c_target, MAXLEN + 1);
	raw_expect(req, strlen(req), 413, "max_content_length|large");
	/* headers over the cap */
	e2e_str_add(&big, "GET /taxii2/ HTTP/1.1\r\nHost: x\r\n", 32);
	for (i = 0; i < 400; i++)
		e2e_str_addf(&big, "X-Filler-%zu: %064zu\r\n", i, i);
	e2e_str_add(&big, "\r\n", 2);
	raw_expect(big.s, big.len, 431, "header|large");
	big.len = 0;
	e2e_str_add(&big, "GET /taxii2/ HTTP/1.1\r\nHost: x\r\n", 32);
	for (i = 0; i < 100; i++)
		e2e_str_addf(&big, "X-N%zu: v\r\n", i);
	e2e_str_add(&big, "\r\n", 2);
	raw_expect(big.s, big.len, 431, "header|large|many");
	e2e_str_release(&big);
	/* still serving */
	{
		struct e2e_resp r = { 0 };
		e2e_get(&rw, API "/", &r);
		json_decref(e2e_assert_ok(&r, 200));
		e2e_resp_release(&r);
	}
}

/* "Authorization: Basic ..." of the rw user. */
static const char *
auth_line(void)
{
	static char line[600];

	snprintf(line, sizeof(line), "Authorization: %s\r\n", rw.auth);
	return line;
}

static void
test_chunked_post(void **state)
{
	struct e2e_tls t;
	struct e2e_resp r = { 0 };
	struct e2e_str req = { 0 };
	char id[80], *env;
	size_t len, before = e2e_count(&admin, c_target), third;
	json_t *st;

	env = one_env(id, &len);
	third = len / 3;
	e2e_str_addf(&req, "POST %s/collections/%s/objects/ HTTP/1.1\r\nHost: 127.0.0.1\r\n%s"
	    "Accept: " TAXII_MT "\r\nContent-Type: " TAXII_MT "\r\nTransfer-Encoding: chunked\r\n\r\n",
	    API, c_target, auth_line());
	e2e_str_addf(&req, "%zx;ext=1\r\n%.*s\r\n", third, (int)third, env);
	e2e_str_addf(&req, "%zx\r\n%.*s\r\n", third, (int)third, env + third);
	e2e_str_addf(&req, "%zx\r\n%s\r\n0\r\n\r\n", len - 2 * third, env + 2 * third);
	assert_int_equal(e2e_tls_connect(&node, &t), 0);
	assert_int_equal(e2e_tls_send(&t, req.s, req.len), 0);
	assert_int_equal(e2e_tls_read_response(&t, &r, 20000), 0);
	st = e2e_assert_ok(&r, 202);
	e2e_assert_status(st, 1, 1, 0);
	json_decref(st);
	assert_int_equal(e2e_count(&admin, c_target), before + 1);
	assert_present(c_target, id);
	e2e_tls_close(&t);
	e2e_str_release(&req);
	free(env);
	e2e_resp_release(&r);
}

static void
test_slow_client(void **state)
{
	struct e2e_tls slow[20];
	struct e2e_resp r = { 0 };
	char head[1024], id[80], *env;
	size_t len, before = e2e_count(&admin, c_target), i;
	int64_t t0, dt;

	env = one_env(id, &len);
	snprintf(head, sizeof(head), "POST %s/collections/%s/objects/ HTTP/1.1\r\nHost: 127.0.0.1\r\n%s"
	    "Content-Type: " TAXII_MT "\r\nContent-Length: %zu\r\n\r\n", API, c_target, auth_line(), len);
	/* 20 clients send half a request each and stop */
	for (i = 0; i < 20; i++) {
		if (e2e_tls_connect(&node, &slow[i]) < 0)
			fail_msg("TLS connect %zu failed", i);
		assert_int_equal(e2e_tls_send(&slow[i], head, i == 0 ? strlen(head) / 2 : strlen(head)), 0);
		if (i > 0)
			assert_int_equal(e2e_tls_send(&slow[i], env, len / 2), 0);
	}
	/* others are served meanwhile, promptly */
	for (i = 0; i < 5; i++) {
		t0 = e2e_now_ms();
		e2e_get(&rw, path(API "/collections/%s/", c_target), &r);
		dt = e2e_now_ms() - t0;
		json_decref(e2e_assert_ok(&r, 200));
		if (dt > 2000)
			fail_msg("a request took %lld ms while slow clients hang", (long long)dt);
	}
	/* after idle_timeout the slow ones get 408 (a TAXII error) and are closed */
	for (i = 0; i < 20; i++) {
		if (e2e_tls_read_response(&slow[i], &r, (IDLE_S + 20) * 1000) < 0)
			fail_msg("slow client %zu got no 408 within %d s", i, IDLE_S + 20);
		e2e_assert_error(&r, 408, "slow|time");
		if (!e2e_tls_closed(&slow[i], 5000))
			fail_msg("slow client %zu still connected after its 408", i);
		e2e_tls_close(&slow[i]);
	}
	assert_int_equal(e2e_count(&admin, c_target), before);
	assert_absent(c_target, id);
	free(env);
	e2e_resp_release(&r);
}

/* A request that trickles in, each byte within idle_timeout, still ends. */
static void
test_trickle_client(void **state)
{
	struct e2e_tls t;
	struct e2e_resp r = { 0 };
	char head[1024];
	size_t i, n;
	int64_t t0 = e2e_now_ms(), dt;

	snprintf(head, sizeof(head), "GET %s/collections/%s/ HTTP/1.1\r\nHost: 127.0.0.1\r\n%s"
	    "X-Padding: %0200d\r\n\r\n", API, c_target, auth_line(), 0);
	n = strlen(head);
	assert_int_equal(e2e_tls_connect(&node, &t), 0);
	for (i = 0; i < n - 2; i++) {
		if (e2e_tls_send(&t, head + i, 1) < 0)
			break; /* closed on us: the 408 should be waiting */
		if (e2e_now_ms() - t0 > (REQUEST_S + 20) * 1000)
			break;
		e2e_sleep_ms(IDLE_S * 1000 / 4);
		/* others are served meanwhile */
		if (i == 3) {
			struct e2e_resp o = { 0 };
			e2e_get(&rw, API "/", &o);
			json_decref(e2e_assert_ok(&o, 200));
			e2e_resp_release(&o);
		}
		if (e2e_now_ms() - t0 > (REQUEST_S + 2) * 1000)
			break;
	}
	if (e2e_tls_read_response(&t, &r, 20000) < 0)
		fail_msg("a trickling client got no answer %lld ms after it started",
		    (long long)(e2e_now_ms() - t0));
	dt = e2e_now_ms() - t0;
	e2e_assert_error(&r, 408, "long|slow|time");
	if (dt < (REQUEST_S - 1) * 1000 || dt > (REQUEST_S + 15) * 1000)
		fail_msg("the 408 came after %lld ms; request_timeout is %d s", (long long)dt, REQUEST_S);
	assert_true(e2e_tls_closed(&t, 5000));
	e2e_tls_close(&t);
	e2e_resp_release(&r);
}

static void
test_disconnect(void **state)
{
	struct e2e_tls t;
	struct e2e_resp r = { 0 };
	char head[1024], id[80], id2[80], *env, *env2;
	size_t len, len2, before = e2e_count(&admin, c_target), i;

	env = one_env(id, &len);
	snprintf(head, sizeof(head), "POST %s/collections/%s/objects/ HTTP/1.1\r\nHost: 127.0.0.1\r\n%s"
	    "Content-Type: " TAXII_MT "\r\nContent-Length: %zu\r\n\r\n", API, c_target, auth_line(), len);
	/* mid-body, abruptly (no TLS close_notify), many times */
	for (i = 0; i < 10; i++) {
		assert_int_equal(e2e_tls_connect(&node, &t), 0);
		assert_int_equal(e2e_tls_send(&t, head, strlen(head)), 0);
		assert_int_equal(e2e_tls_send(&t, env, len / 2), 0);
		close(t.fd);
		t.fd = -1;
		e2e_tls_close(&t);
	}
	/* mid-headers */
	assert_int_equal(e2e_tls_connect(&node, &t), 0);
	assert_int_equal(e2e_tls_send(&t, head, 20), 0);
	e2e_tls_close(&t);
	/* mid-handshake: a TCP connection that sends half a ClientHello, then goes */
	for (i = 0; i < 5; i++) {
		struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)node.port) };
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
		assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
		assert_int_equal(write(fd, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11), 11);
		close(fd);
	}
	e2e_sleep_ms(200);
	assert_true(e2e_node_alive(&node));
	e2e_get(&rw, API "/", &r);
	json_decref(e2e_assert_ok(&r, 200));
	assert_int_equal(e2e_count(&admin, c_target), before);
	assert_absent(c_target, id);
	/*
	 * A whole request, then gone before the answer (half-close, so the
	 * request is surely read first): the daemon must not fall over, and
	 * the request it read whole is stored.
	 */
	env2 = one_env(id2, &len2);
	snprintf(head, sizeof(head), "POST %s/collections/%s/objects/ HTTP/1.1\r\nHost: 127.0.0.1\r\n%s"
	    "Content-Type: " TAXII_MT "\r\nContent-Length: %zu\r\n\r\n", API, c_target, auth_line(), len2);
	for (i = 0; i < 5; i++) {
		assert_int_equal(e2e_tls_connect(&node, &t), 0);
		assert_int_equal(e2e_tls_send(&t, head, strlen(head)), 0);
		assert_int_equal(e2e_tls_send(&t, env2, len2), 0);
		shutdown(t.fd, SHUT_WR);
		e2e_sleep_ms(50);
		close(t.fd);
		t.fd = -1;
		e2e_tls_close(&t);
	}
	e2e_sleep_ms(500);
	assert_true(e2e_node_alive(&node));
	e2e_get(&rw, API "/", &r);
	json_decref(e2e_assert_ok(&r, 200));
	/* the request was whole: it is stored once (the same object five times) */
	assert_present(c_target, id2);
	assert_int_equal(e2e_count(&admin, c_target), before + 1);
	free(env);
	free(env2);
	e2e_resp_release(&r);
}

static void
test_pipelining(void **state)
{
	struct e2e_tls t;
	struct e2e_resp r = { 0 };
	struct e2e_str req = { 0 };
	char id[80], *env, root[128];
	size_t len;
	json_t *j;

	env = one_env(id, &len);
	snprintf(root, sizeof(root), "%s/liaison/", node.base);
	/* four requests in one write: discovery, POST, GET of what was posted, API root */
	e2e_str_addf(&req, "GET /taxii2/ HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%sAccept: " TAXII_MT "\r\n\r\n",
	    node.port, auth_line());
	e2e_str_addf(&req, "POST %s/collections/%s/objects/ HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%s"
	    "Content-Type: " TAXII_MT "\r\nContent-Length: %zu\r\n\r\n%s", API, c_target, node.port,
	    auth_line(), len, env);
	e2e_str_addf(&req, "GET %s/collections/%s/objects/%s/ HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%s\r\n",
	    API, c_target, id, node.port, auth_line());
	e2e_str_addf(&req, "GET %s/ HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%s\r\n", API, node.port, auth_line());
	assert_int_equal(e2e_tls_connect(&node, &t), 0);
	assert_int_equal(e2e_tls_send(&t, req.s, req.len), 0);

	assert_int_equal(e2e_tls_read_response(&t, &r, 20000), 0);
	j = e2e_assert_ok(&r, 200);
	assert_string_equal(json_string_value(json_array_get(json_object_get(j, "api_roots"), 0)), root);
	json_decref(j);

	assert_int_equal(e2e_tls_read_response(&t, &r, 20000), 0);
	j = e2e_assert_ok(&r, 202);
	e2e_assert_status(j, 1, 1, 0);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(j, "successes"), 0), "id")), id);
	json_decref(j);

	assert_int_equal(e2e_tls_read_response(&t, &r, 20000), 0);
	json_decref(e2e_assert_ok(&r, 200));
	{
		const char *o = strstr(env, "[") + 1;
		char want[1024];
		const char *w[1] = { want };
		snprintf(want, sizeof(want), "%.*s", (int)(strlen(o) - 2), o);
		e2e_assert_objects(&r, w, 1);
	}

	assert_int_equal(e2e_tls_read_response(&t, &r, 20000), 0);
	j = e2e_assert_ok(&r, 200);
	assert_true(json_is_array(json_object_get(j, "versions")));
	assert_int_equal(json_integer_value(json_object_get(j, "max_content_length")), MAXLEN);
	json_decref(j);

	/* the connection is still open: one more, with an error in the middle of two */
	req.len = 0;
	e2e_str_addf(&req, "GET %s/collections/%s/ HTTP/1.1\r\nHost: x\r\n%s\r\n", API, c_target, auth_line());
	e2e_str_addf(&req, "GET %s/collections/%s/objects/?limit=-1 HTTP/1.1\r\nHost: x\r\n%s\r\n", API,
	    c_target, auth_line());
	e2e_str_addf(&req, "GET %s/collections/%s/ HTTP/1.1\r\nHost: x\r\n%s\r\n", API, c_other, auth_line());
	assert_int_equal(e2e_tls_send(&t, req.s, req.len), 0);
	assert_int_equal(e2e_tls_read_response(&t, &r, 20000), 0);
	j = e2e_assert_ok(&r, 200);
	assert_string_equal(json_string_value(json_object_get(j, "id")), c_target);
	json_decref(j);
	assert_int_equal(e2e_tls_read_response(&t, &r, 20000), 0);
	e2e_assert_error(&r, 400, "limit");
	assert_int_equal(e2e_tls_read_response(&t, &r, 20000), 0);
	j = e2e_assert_ok(&r, 200);
	assert_string_equal(json_string_value(json_object_get(j, "id")), c_other);
	json_decref(j);
	/* HTTP/1.0 closes after one answer */
	req.len = 0;
	e2e_str_addf(&req, "GET %s/ HTTP/1.0\r\n%s\r\n", API, auth_line());
	assert_int_equal(e2e_tls_send(&t, req.s, req.len), 0);
	assert_int_equal(e2e_tls_read_response(&t, &r, 20000), 0);
	json_decref(e2e_assert_ok(&r, 200));
	assert_true(e2e_tls_closed(&t, 5000));
	e2e_tls_close(&t);
	e2e_str_release(&req);
	free(env);
	e2e_resp_release(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_401),
		cmocka_unit_test(test_403),
		cmocka_unit_test(test_404),
		cmocka_unit_test(test_405),
		cmocka_unit_test(test_406),
		cmocka_unit_test(test_415),
		cmocka_unit_test(test_413),
		cmocka_unit_test(test_422),
		cmocka_unit_test(test_400_body),
		cmocka_unit_test(test_bad_objects),
		cmocka_unit_test(test_conflict),
		cmocka_unit_test(test_400_query),
		cmocka_unit_test(test_raw_framing),
		cmocka_unit_test(test_chunked_post),
		cmocka_unit_test(test_slow_client),
		cmocka_unit_test(test_trickle_client),
		cmocka_unit_test(test_disconnect),
		cmocka_unit_test(test_pipelining),
	};

	return cmocka_run_group_tests_name("e2e/errors", tests, setup, teardown);
}
