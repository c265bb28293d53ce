/*
 * End-to-end: every TAXII 2.1 endpoint of a real liaisond over HTTPS, happy
 * paths, checking the bodies (not just the status codes): discovery, API root,
 * collections per user, add + status, objects byte for byte, manifest, one
 * object, versions, every match[] filter, added_after, limit/next, delete,
 * Basic and bearer auth, read-only and write-only users, metrics.
 */
#include "e2e.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct e2e_node node;
static struct e2e_client admin, rw, ro, wo, lo, rw_tok, ro_tok;
static char shared_id[64], local_id[64];
static char c_objects[64], c_versions[64], c_filters[64], c_paging[64], c_delete[64];

#define PW "correct horse battery staple"

/* ---- helpers ---- */

#define path(...) e2e_path(__VA_ARGS__)
#define post_objs e2e_post_objs
#define assert_status_counts e2e_assert_status
#define assert_objects_exact e2e_assert_objects
#define spans_of(r, key, sp) e2e_spans(r, key, sp)

static void
mk_ind(char *out, size_t cap, char id[80], const char *name, int64_t mod_ms)
{
	char u[37];

	if (id[0] == '\0') {
		e2e_uuid4(u);
		snprintf(id, 80, "indicator--%s", u);
	}
	e2e_indicator(out, cap, id, name, mod_ms);
}

static const char *
mod_ts(int64_t mod_ms)
{
	static char b[4][32];
	static int k;
	char *p = b[k++ & 3];

	e2e_ts(1577836800 + mod_ms / 1000, (int)(mod_ms % 1000), p);
	return p;
}

static int
has_str(const json_t *arr, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return 1;
	return 0;
}

/* ---- setup ---- */

static int
setup(void **state)
{
	const char *g_rw[] = { "shared:rw", "local:rw", "t-objects:rw", "t-versions:rw", "t-filters:rw",
			       "t-paging:rw", "t-delete:rw", NULL };
	const char *g_ro[] = { "shared:r", NULL };
	const char *g_wo[] = { "shared:w", NULL };
	const char *g_lo[] = { "local:r", NULL };
	char tok[256];

	e2e_node_init(&node, "taxii");
	e2e_coll_add(&node, "t-objects");
	e2e_coll_add(&node, "t-versions");
	e2e_coll_add(&node, "t-filters");
	e2e_coll_add(&node, "t-paging");
	e2e_coll_add(&node, "t-delete");
	e2e_coll_id(&node, "shared", shared_id);
	e2e_coll_id(&node, "local", local_id);
	e2e_coll_id(&node, "t-objects", c_objects);
	e2e_coll_id(&node, "t-versions", c_versions);
	e2e_coll_id(&node, "t-filters", c_filters);
	e2e_coll_id(&node, "t-paging", c_paging);
	e2e_coll_id(&node, "t-delete", c_delete);
	e2e_user_add(&node, "admin", PW "0", 1, NULL);
	e2e_user_add(&node, "rw", PW "1", 0, g_rw);
	e2e_user_add(&node, "ro", PW "2", 0, g_ro);
	e2e_user_add(&node, "wo", PW "3", 0, g_wo);
	e2e_user_add(&node, "lo", PW "4", 0, g_lo);
	e2e_client_basic(&admin, &node, "admin", PW "0");
	e2e_client_basic(&rw, &node, "rw", PW "1");
	e2e_client_basic(&ro, &node, "ro", PW "2");
	e2e_client_basic(&wo, &node, "wo", PW "3");
	e2e_client_basic(&lo, &node, "lo", PW "4");
	e2e_token_create(&node, "rw", tok);
	e2e_client_bearer(&rw_tok, &node, tok);
	e2e_token_create(&node, "ro", tok);
	e2e_client_bearer(&ro_tok, &node, tok);
	e2e_node_start(&node);
	return 0;
}

static int
teardown(void **state)
{
	e2e_client_release(&admin);
	e2e_client_release(&rw);
	e2e_client_release(&ro);
	e2e_client_release(&wo);
	e2e_client_release(&lo);
	e2e_client_release(&rw_tok);
	e2e_client_release(&ro_tok);
	return e2e_node_finish(&node);
}

/* ---- tests ---- */

/*
 * The node must pick a free port when told to listen on port 0, and log it:
 * that is how every e2e test avoids port clashes.
 */
static void
test_listen_port0(void **state)
{
	/* A regression check: both once refused port 0 (cli_split_listen and
	 * evutil_parse_sockaddr_port in http_server_listen). */
	if (e2e_init_port0_refused)
		fail_msg("liaison init --listen 127.0.0.1:0 exits 2 (port 0 refused)");
	if (e2e_daemon_port0_refused)
		fail_msg("liaisond with listen = 127.0.0.1:0 fails: cannot parse listen address");
	assert_true(node.port > 0);
}

static void
test_discovery(void **state)
{
	struct e2e_resp r = { 0 };
	char root[128];
	json_t *j, *roots;

	snprintf(root, sizeof(root), "%s/liaison/", node.base);
	e2e_get(&rw, "/taxii2/", &r);
	j = e2e_assert_ok(&r, 200);
	assert_true(json_is_string(json_object_get(j, "title")));
	assert_true(json_string_length(json_object_get(j, "title")) > 0);
	roots = json_object_get(j, "api_roots");
	assert_true(json_is_array(roots));
	assert_int_equal(json_array_size(roots), 1);
	if (!has_str(roots, root))
		fail_msg("api_roots does not contain %s: %s", root, r.body);
	assert_string_equal(json_string_value(json_object_get(j, "default")), root);
	json_decref(j);
	/* the same through a bearer token, and through a client asking for any type */
	struct e2e_req rq = { .path = "/taxii2/", .accept = "*/*" };
	e2e_do(&rw_tok, &rq, &r);
	j = e2e_assert_ok(&r, 200);
	assert_true(has_str(json_object_get(j, "api_roots"), root));
	json_decref(j);
	/* Accept without version= means the latest version (2.1) */
	rq.accept = "application/taxii+json";
	e2e_do(&rw, &rq, &r);
	json_decref(e2e_assert_ok(&r, 200));
	e2e_resp_release(&r);
}

static void
test_api_root(void **state)
{
	struct e2e_resp r = { 0 };
	json_t *j;

	e2e_get(&ro, API "/", &r);
	j = e2e_assert_ok(&r, 200);
	assert_true(json_string_length(json_object_get(j, "title")) > 0);
	if (!has_str(json_object_get(j, "versions"), TAXII_MT))
		fail_msg("versions lacks %s: %s", TAXII_MT, r.body);
	assert_int_equal(json_integer_value(json_object_get(j, "max_content_length")), 10 << 20);
	json_decref(j);
	e2e_resp_release(&r);
}

/* The collections a user sees: id -> "rw" / "r-" / "-w". */
static void
assert_collections(struct e2e_client *c, const char *const *ids, const char *const *rights, size_t n)
{
	struct e2e_resp r = { 0 };
	json_t *j, *arr, *v;
	size_t i, k, seen = 0;

	e2e_get(c, API "/collections/", &r);
	j = e2e_assert_ok(&r, 200);
	arr = json_object_get(j, "collections");
	if (n == 0) {
		assert_true(arr == NULL || json_array_size(arr) == 0);
		json_decref(j);
		e2e_resp_release(&r);
		return;
	}
	if (json_array_size(arr) != n)
		fail_msg("wanted %zu collections, got: %s", n, r.body);
	json_array_foreach(arr, i, v) {
		const char *id = json_string_value(json_object_get(v, "id"));
		for (k = 0; k < n; k++)
			if (id && strcmp(id, ids[k]) == 0)
				break;
		if (k == n)
			fail_msg("collection %s should not be visible: %s", id ? id : "?", r.body);
		seen++;
		assert_true(json_string_length(json_object_get(v, "title")) > 0);
		assert_int_equal(json_is_true(json_object_get(v, "can_read")), rights[k][0] == 'r');
		assert_int_equal(json_is_true(json_object_get(v, "can_write")), rights[k][1] == 'w');
		assert_true(json_is_boolean(json_object_get(v, "can_read")));
		assert_true(json_is_boolean(json_object_get(v, "can_write")));
		assert_true(has_str(json_object_get(v, "media_types"), STIX_MT));
	}
	assert_int_equal(seen, n);
	json_decref(j);
	e2e_resp_release(&r);
}

static void
test_collections(void **state)
{
	const char *all[] = { shared_id, local_id, c_objects, c_versions, c_filters, c_paging, c_delete };
	const char *rwx[] = { "rw", "rw", "rw", "rw", "rw", "rw", "rw" };
	const char *sh[] = { shared_id }, *lc[] = { local_id };
	const char *r_[] = { "r-" }, *_w[] = { "-w" };

	assert_collections(&admin, all, rwx, 7);
	assert_collections(&rw, all, rwx, 7);
	assert_collections(&rw_tok, all, rwx, 7);
	assert_collections(&ro, sh, r_, 1);     /* no grant on local: not shown */
	assert_collections(&ro_tok, sh, r_, 1);
	assert_collections(&wo, sh, _w, 1);
	assert_collections(&lo, lc, r_, 1);
}

static void
test_collection(void **state)
{
	struct e2e_resp r = { 0 };
	json_t *j;

	e2e_get(&ro, path(API "/collections/%s/", shared_id), &r);
	j = e2e_assert_ok(&r, 200);
	assert_string_equal(json_string_value(json_object_get(j, "id")), shared_id);
	assert_string_equal(json_string_value(json_object_get(j, "title")), "shared");
	assert_true(json_is_false(json_object_get(j, "can_write")));
	assert_true(json_is_true(json_object_get(j, "can_read")));
	assert_true(has_str(json_object_get(j, "media_types"), STIX_MT));
	json_decref(j);

	e2e_get(&wo, path(API "/collections/%s/", shared_id), &r);
	j = e2e_assert_ok(&r, 200);
	assert_true(json_is_false(json_object_get(j, "can_read")));
	assert_true(json_is_true(json_object_get(j, "can_write")));
	json_decref(j);

	e2e_get(&rw, path(API "/collections/%s/", local_id), &r);
	j = e2e_assert_ok(&r, 200);
	assert_string_equal(json_string_value(json_object_get(j, "title")), "local");
	assert_true(json_is_true(json_object_get(j, "can_read")));
	assert_true(json_is_true(json_object_get(j, "can_write")));
	json_decref(j);

	/* a user without any grant on local cannot see it: 404, as if absent */
	e2e_get(&ro, path(API "/collections/%s/", local_id), &r);
	e2e_assert_error(&r, 404, NULL);
	e2e_get(&ro, path(API "/collections/%s/objects/", local_id), &r);
	e2e_assert_error(&r, 404, NULL);
	e2e_resp_release(&r);
}

static void
test_add_status_objects(void **state)
{
	char i1[80] = "", id2[80], id3[80], u[37], o1[1024], o2[1024], o3[1024];
	const char *objs[3] = { o1, o2, o3 };
	struct e2e_resp r = { 0 }, r2 = { 0 };
	json_t *st, *st2, *succ, *v;
	size_t i;

	mk_ind(o1, sizeof(o1), i1, "plain", 0);
	e2e_uuid4(u);
	snprintf(id2, sizeof(id2), "identity--%s", u);
	/* odd spacing, key order, escapes and UTF-8: the bytes must survive as sent */
	snprintf(o2, sizeof(o2),
	    "{ \"name\" : \"caf\\u00e9 \\\"quoted\\\" \\\\ back \xc3\xbc" "n\xc3\xaf" "c\xc3\xb8" "d\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x9b\xa1\",\n"
	    "\t\"type\":\"identity\", \"spec_version\": \"2.1\",\r\n \"id\":\"%s\",\n"
	    "  \"created\":\"2020-01-01T00:00:00.000Z\",\"modified\":\"2021-06-01T12:34:56.123456Z\","
	    "\"identity_class\":\"organization\", \"x_custom\": {\"a\": [1, 2.5e3, -0.0, true, null]} }", id2);
	e2e_uuid4(u);
	snprintf(id3, sizeof(id3), "malware--%s", u);
	snprintf(o3, sizeof(o3),
	    "{\"type\":\"malware\",\"spec_version\":\"2.1\",\"id\":\"%s\",\"created\":\"2019-03-04T05:06:07.890Z\","
	    "\"modified\":\"2019-03-04T05:06:07.890Z\",\"name\":\"Poison\",\"is_family\":false}", id3);

	st = post_objs(&rw, c_objects, objs, 3);
	assert_status_counts(st, 3, 3, 0);
	assert_int_equal(strlen(json_string_value(json_object_get(st, "id"))), 36);
	assert_true(json_is_string(json_object_get(st, "request_timestamp")));
	succ = json_object_get(st, "successes");
	assert_int_equal(json_array_size(succ), 3);
	{
		const char *ids[3] = { i1, id2, id3 };
		const char *vers[3] = { mod_ts(0), "2021-06-01T12:34:56.123456Z", "2019-03-04T05:06:07.890Z" };
		json_array_foreach(succ, i, v) {
			assert_string_equal(json_string_value(json_object_get(v, "id")), ids[i]);
			assert_string_equal(json_string_value(json_object_get(v, "version")), vers[i]);
		}
	}
	assert_true(json_object_get(st, "failures") == NULL ||
	    json_array_size(json_object_get(st, "failures")) == 0);

	/* GET status by id: the same resource */
	e2e_get(&rw, path(API "/status/%s/", json_string_value(json_object_get(st, "id"))), &r);
	st2 = e2e_assert_ok(&r, 200);
	if (!json_equal(st, st2))
		fail_msg("GET status differs from the POST answer: %s", r.body);
	json_decref(st2);

	/* objects come back byte for byte, in the order added */
	e2e_get(&rw, path(API "/collections/%s/objects/", c_objects), &r);
	json_decref(e2e_assert_ok(&r, 200));
	assert_objects_exact(&r, objs, 3);
	assert_non_null(e2e_hdr(&r, "X-TAXII-Date-Added-First"));
	assert_non_null(e2e_hdr(&r, "X-TAXII-Date-Added-Last"));

	/* posting the same again: success, reported as duplicates, nothing new stored */
	st2 = post_objs(&rw, c_objects, objs, 3);
	assert_status_counts(st2, 3, 3, 0);
	json_array_foreach(json_object_get(st2, "successes"), i, v) {
		const char *m = json_string_value(json_object_get(v, "message"));
		if (m == NULL || strcasestr(m, "duplicate") == NULL)
			fail_msg("a re-posted object is not reported as a duplicate: %s",
			    json_dumps(st2, 0));
	}
	assert_string_not_equal(json_string_value(json_object_get(st, "id")),
	    json_string_value(json_object_get(st2, "id")));
	assert_int_equal(e2e_count(&rw, c_objects), 3);
	e2e_get(&rw, path(API "/collections/%s/objects/", c_objects), &r2);
	assert_int_equal(r2.status, 200);
	assert_objects_exact(&r2, objs, 3);
	json_decref(st);
	json_decref(st2);
	e2e_resp_release(&r);
	e2e_resp_release(&r2);
}

/* Strict RFC 3339 UTC with fraction, as a sortable string check. */
static void
assert_rfc3339(const char *s)
{
	int y, mo, d, h, mi, se;
	char z;

	if (s == NULL || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &se) != 6 ||
	    strlen(s) < 20 || (z = s[strlen(s) - 1]) != 'Z')
		fail_msg("'%s' is not an RFC 3339 UTC timestamp", s ? s : "(null)");
}

static void
test_manifest(void **state)
{
	struct e2e_resp r = { 0 }, ro_ = { 0 };
	json_t *j, *objs, *v, *jo;
	const char *prev = "";
	size_t i;

	e2e_get(&rw, path(API "/collections/%s/manifest/", c_objects), &r);
	j = e2e_assert_ok(&r, 200);
	e2e_get(&rw, path(API "/collections/%s/objects/", c_objects), &ro_);
	jo = e2e_assert_ok(&ro_, 200);
	objs = json_object_get(j, "objects");
	assert_int_equal(json_array_size(objs), 3);
	assert_true(json_is_false(json_object_get(j, "more")));
	json_array_foreach(objs, i, v) {
		json_t *o = json_array_get(json_object_get(jo, "objects"), i);
		const char *da = json_string_value(json_object_get(v, "date_added"));
		assert_string_equal(json_string_value(json_object_get(v, "id")),
		    json_string_value(json_object_get(o, "id")));
		assert_string_equal(json_string_value(json_object_get(v, "version")),
		    json_string_value(json_object_get(o, "modified")));
		assert_string_equal(json_string_value(json_object_get(v, "media_type")), STIX_MT);
		assert_rfc3339(da);
		if (strcmp(da, prev) <= 0)
			fail_msg("date_added not strictly increasing: %s after %s", da, prev);
		prev = da;
		if (i == 0)
			assert_string_equal(e2e_hdr(&r, "X-TAXII-Date-Added-First"), da);
	}
	assert_string_equal(e2e_hdr(&r, "X-TAXII-Date-Added-Last"), prev);
	/* objects and manifest pages carry the same headers */
	assert_string_equal(e2e_hdr(&ro_, "X-TAXII-Date-Added-First"), e2e_hdr(&r, "X-TAXII-Date-Added-First"));
	assert_string_equal(e2e_hdr(&ro_, "X-TAXII-Date-Added-Last"), e2e_hdr(&r, "X-TAXII-Date-Added-Last"));
	json_decref(j);
	json_decref(jo);
	e2e_resp_release(&r);
	e2e_resp_release(&ro_);
}

static void
test_get_object(void **state)
{
	struct e2e_resp r = { 0 }, m = { 0 };
	struct e2e_span *sp;
	json_t *j, *mj;
	long n;
	size_t i;

	e2e_get(&rw, path(API "/collections/%s/objects/", c_objects), &r);
	json_decref(e2e_assert_ok(&r, 200));
	n = spans_of(&r, "objects", &sp);
	assert_int_equal(n, 3);
	e2e_get(&rw, path(API "/collections/%s/manifest/", c_objects), &m);
	mj = e2e_assert_ok(&m, 200);
	for (i = 0; i < 3; i++) {
		struct e2e_resp one = { 0 };
		json_t *o = json_loadb(sp[i].s, sp[i].len, 0, NULL);
		char want[4096];
		const char *id = json_string_value(json_object_get(o, "id"));
		const char *da = json_string_value(json_object_get(json_array_get(json_object_get(mj, "objects"), i), "date_added"));
		const char *wp[1] = { want };

		snprintf(want, sizeof(want), "%.*s", (int)sp[i].len, sp[i].s);
		e2e_get(&ro_tok, path(API "/collections/%s/objects/%s/", c_objects, id), &one);
		/* ro has no grant on t-objects: 404 */
		e2e_assert_error(&one, 404, NULL);
		e2e_get(&rw_tok, path(API "/collections/%s/objects/%s/", c_objects, id), &one);
		j = e2e_assert_ok(&one, 200);
		assert_true(json_is_false(json_object_get(j, "more")));
		assert_objects_exact(&one, wp, 1);
		assert_string_equal(e2e_hdr(&one, "X-TAXII-Date-Added-First"), da);
		assert_string_equal(e2e_hdr(&one, "X-TAXII-Date-Added-Last"), da);
		json_decref(j);
		json_decref(o);
		e2e_resp_release(&one);
	}
	free(sp);
	json_decref(mj);
	e2e_resp_release(&r);
	e2e_resp_release(&m);
}

/* v2 then v1 then v3 of one id (by modified), so date_added order != version order. */
static char ver_id[80];
static char ver_obj[3][1024];  /* v1, v2, v3 by modified */

static void
test_versions(void **state)
{
	struct e2e_resp r = { 0 };
	json_t *j, *st;
	const char *one[1];
	size_t i;
	static const int order[3] = { 1, 0, 2 };

	for (i = 0; i < 3; i++)
		mk_ind(ver_obj[i], sizeof(ver_obj[i]), ver_id, i == 0 ? "v1" : i == 1 ? "v2" : "v3",
		    (int64_t)(i + 1) * 1000);
	for (i = 0; i < 3; i++) {
		one[0] = ver_obj[order[i]];
		st = post_objs(&rw, c_versions, one, 1);
		assert_status_counts(st, 1, 1, 0);
		assert_string_equal(json_string_value(json_object_get(json_array_get(
		    json_object_get(st, "successes"), 0), "version")), mod_ts((order[i] + 1) * 1000));
		json_decref(st);
	}
	/* versions: ordered by date_added (v2, v1, v3) */
	e2e_get(&rw, path(API "/collections/%s/objects/%s/versions/", c_versions, ver_id), &r);
	j = e2e_assert_ok(&r, 200);
	assert_int_equal(json_array_size(json_object_get(j, "versions")), 3);
	for (i = 0; i < 3; i++)
		assert_string_equal(json_string_value(json_array_get(json_object_get(j, "versions"), i)),
		    mod_ts((order[i] + 1) * 1000));
	assert_true(json_is_false(json_object_get(j, "more")));
	assert_non_null(e2e_hdr(&r, "X-TAXII-Date-Added-First"));
	assert_non_null(e2e_hdr(&r, "X-TAXII-Date-Added-Last"));
	json_decref(j);

	/* versions paged one at a time */
	e2e_get(&rw, path(API "/collections/%s/objects/%s/versions/?limit=1", c_versions, ver_id), &r);
	j = e2e_assert_ok(&r, 200);
	assert_int_equal(json_array_size(json_object_get(j, "versions")), 1);
	assert_true(json_is_true(json_object_get(j, "more")));
	{
		char nx[256];
		struct e2e_resp r2 = { 0 };
		json_t *j2;
		e2e_urlenc(json_string_value(json_object_get(j, "next")), nx, sizeof(nx));
		e2e_get(&rw, path(API "/collections/%s/objects/%s/versions/?limit=2&next=%s", c_versions,
		    ver_id, nx), &r2);
		j2 = e2e_assert_ok(&r2, 200);
		assert_int_equal(json_array_size(json_object_get(j2, "versions")), 2);
		assert_string_equal(json_string_value(json_array_get(json_object_get(j2, "versions"), 0)),
		    mod_ts(1000));
		assert_true(json_is_false(json_object_get(j2, "more")));
		json_decref(j2);
		e2e_resp_release(&r2);
	}
	json_decref(j);

	/* one object: default last */
	e2e_get(&rw, path(API "/collections/%s/objects/%s/", c_versions, ver_id), &r);
	one[0] = ver_obj[2];
	assert_int_equal(r.status, 200);
	assert_objects_exact(&r, one, 1);
	/* match[version]=first / last / all / timestamp / lists */
	e2e_get(&rw, path(API "/collections/%s/objects/%s/?match[version]=first", c_versions, ver_id), &r);
	one[0] = ver_obj[0];
	assert_int_equal(r.status, 200);
	assert_objects_exact(&r, one, 1);
	e2e_get(&rw, path(API "/collections/%s/objects/%s/?match[version]=last", c_versions, ver_id), &r);
	one[0] = ver_obj[2];
	assert_int_equal(r.status, 200);
	assert_objects_exact(&r, one, 1);
	{
		const char *all[3] = { ver_obj[1], ver_obj[0], ver_obj[2] };
		e2e_get(&rw, path(API "/collections/%s/objects/%s/?match[version]=all", c_versions, ver_id), &r);
		assert_int_equal(r.status, 200);
		assert_objects_exact(&r, all, 3);
		/* the collection's objects endpoint too */
		e2e_get(&rw, path(API "/collections/%s/objects/?match[version]=all", c_versions), &r);
		assert_int_equal(r.status, 200);
		assert_objects_exact(&r, all, 3);
	}
	e2e_get(&rw, path(API "/collections/%s/objects/%s/?match[version]=%s", c_versions, ver_id,
	    mod_ts(2000)), &r);
	one[0] = ver_obj[1];
	assert_int_equal(r.status, 200);
	assert_objects_exact(&r, one, 1);
	/* the same instant written with another precision still matches */
	e2e_get(&rw, path(API "/collections/%s/objects/%s/?match[version]=2020-01-01T00:00:02Z", c_versions,
	    ver_id), &r);
	assert_int_equal(r.status, 200);
	assert_objects_exact(&r, one, 1);
	{
		const char *fl[2] = { ver_obj[0], ver_obj[2] }; /* date_added order: v1 before v3 */
		e2e_get(&rw, path(API "/collections/%s/objects/%s/?match[version]=first,last", c_versions,
		    ver_id), &r);
		assert_int_equal(r.status, 200);
		assert_objects_exact(&r, fl, 2);
		const char *two[2] = { ver_obj[1], ver_obj[2] };
		e2e_get(&rw, path(API "/collections/%s/objects/%s/?match[version]=%s,%s", c_versions, ver_id,
		    mod_ts(3000), mod_ts(2000)), &r);
		assert_int_equal(r.status, 200);
		assert_objects_exact(&r, two, 2);
	}
	/* a timestamp no version has: 404 for the one-object endpoint */
	e2e_get(&rw, path(API "/collections/%s/objects/%s/?match[version]=%s", c_versions, ver_id,
	    mod_ts(2500)), &r);
	e2e_assert_error(&r, 404, ver_id);
	/* manifest lists each version with its own version */
	e2e_get(&rw, path(API "/collections/%s/manifest/?match[version]=all", c_versions), &r);
	j = e2e_assert_ok(&r, 200);
	assert_int_equal(json_array_size(json_object_get(j, "objects")), 3);
	for (i = 0; i < 3; i++)
		assert_string_equal(json_string_value(json_object_get(json_array_get(
		    json_object_get(j, "objects"), i), "version")), mod_ts((order[i] + 1) * 1000));
	json_decref(j);
	e2e_get(&rw, path(API "/collections/%s/manifest/", c_versions), &r);
	j = e2e_assert_ok(&r, 200);
	assert_int_equal(json_array_size(json_object_get(j, "objects")), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(j, "objects"), 0), "version")), mod_ts(3000));
	json_decref(j);
	e2e_resp_release(&r);
}

/* t-filters: 3 indicators, 2 identities, 1 malware, in this order. */
static char f_obj[6][1024], f_id[6][80];

static void
test_filters(void **state)
{
	struct e2e_resp r = { 0 };
	const char *objs[6];
	json_t *st;
	size_t i;
	char u[37];

	for (i = 0; i < 6; i++) {
		e2e_uuid4(u);
		if (i < 3) {
			snprintf(f_id[i], 80, "indicator--%s", u);
			e2e_indicator(f_obj[i], sizeof(f_obj[i]), f_id[i], "f", 0);
		} else if (i < 5) {
			snprintf(f_id[i], 80, "identity--%s", u);
			snprintf(f_obj[i], sizeof(f_obj[i]), "{\"type\":\"identity\",\"spec_version\":\"2.1\",\"id\":\"%s\","
			    "\"created\":\"2020-01-01T00:00:00.000Z\",\"modified\":\"2020-01-01T00:00:00.000Z\","
			    "\"name\":\"org %zu\",\"identity_class\":\"organization\"}", f_id[i], i);
		} else {
			snprintf(f_id[i], 80, "malware--%s", u);
			snprintf(f_obj[i], sizeof(f_obj[i]), "{\"type\":\"malware\",\"spec_version\":\"2.1\",\"id\":\"%s\","
			    "\"created\":\"2020-01-01T00:00:00.000Z\",\"modified\":\"2020-01-01T00:00:00.000Z\","
			    "\"name\":\"m\",\"is_family\":true}", f_id[i]);
		}
		objs[i] = f_obj[i];
	}
	st = post_objs(&rw, c_filters, objs, 6);
	assert_status_counts(st, 6, 6, 0);
	json_decref(st);

	e2e_get(&rw, path(API "/collections/%s/objects/?match[type]=indicator", c_filters), &r);
	assert_int_equal(r.status, 200);
	assert_objects_exact(&r, objs, 3);
	e2e_get(&rw, path(API "/collections/%s/objects/?match[type]=malware,identity", c_filters), &r);
	assert_int_equal(r.status, 200);
	assert_objects_exact(&r, objs + 3, 3);
	e2e_get(&rw, path(API "/collections/%s/objects/?match[type]=tool", c_filters), &r);
	json_t *j = e2e_assert_ok(&r, 200);
	assert_int_equal(json_array_size(json_object_get(j, "objects")), 0);
	assert_true(json_is_false(json_object_get(j, "more")));
	assert_null(e2e_hdr(&r, "X-TAXII-Date-Added-First"));
	json_decref(j);
	{
		const char *w[2] = { objs[1], objs[4] };
		e2e_get(&rw, path(API "/collections/%s/objects/?match[id]=%s,%s", c_filters, f_id[4], f_id[1]), &r);
		assert_int_equal(r.status, 200);
		assert_objects_exact(&r, w, 2);
		/* AND across fields: identity id with type indicator matches nothing */
		e2e_get(&rw, path(API "/collections/%s/objects/?match[id]=%s,%s&match[type]=indicator", c_filters,
		    f_id[4], f_id[1]), &r);
		assert_int_equal(r.status, 200);
		assert_objects_exact(&r, w, 1);
		e2e_get(&rw, path(API "/collections/%s/manifest/?match[id]=%s&match[type]=identity", c_filters,
		    f_id[4]), &r);
		j = e2e_assert_ok(&r, 200);
		assert_int_equal(json_array_size(json_object_get(j, "objects")), 1);
		assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(j, "objects"), 0),
		    "id")), f_id[4]);
		json_decref(j);
	}
	e2e_get(&rw, path(API "/collections/%s/objects/?match[spec_version]=2.1", c_filters), &r);
	assert_int_equal(r.status, 200);
	assert_objects_exact(&r, objs, 6);
	e2e_get(&rw, path(API "/collections/%s/objects/?match[spec_version]=2.0", c_filters), &r);
	assert_int_equal(r.status, 200);
	assert_objects_exact(&r, objs, 0);
	e2e_get(&rw, path(API "/collections/%s/objects/?match[spec_version]=2.0,2.1&match[type]=malware",
	    c_filters), &r);
	assert_int_equal(r.status, 200);
	assert_objects_exact(&r, objs + 5, 1);
	/* filters on the one-object endpoint */
	e2e_get(&rw, path(API "/collections/%s/objects/%s/?match[spec_version]=2.1", c_filters, f_id[5]), &r);
	assert_int_equal(r.status, 200);
	assert_objects_exact(&r, objs + 5, 1);
	e2e_resp_release(&r);
}

static void
test_added_after(void **state)
{
	struct e2e_resp r = { 0 }, m = { 0 };
	json_t *mj, *j;
	char aa[64], last[64];
	const char *da2;

	e2e_get(&rw, path(API "/collections/%s/manifest/", c_filters), &m);
	mj = e2e_assert_ok(&m, 200);
	assert_int_equal(json_array_size(json_object_get(mj, "objects")), 6);
	da2 = json_string_value(json_object_get(json_array_get(json_object_get(mj, "objects"), 2), "date_added"));
	e2e_urlenc(da2, aa, sizeof(aa));
	/* exclusive: objects added after the third one */
	e2e_get(&rw, path(API "/collections/%s/objects/?added_after=%s", c_filters, aa), &r);
	assert_int_equal(r.status, 200);
	{
		const char *w[3] = { f_obj[3], f_obj[4], f_obj[5] };
		assert_objects_exact(&r, w, 3);
	}
	assert_string_equal(e2e_hdr(&r, "X-TAXII-Date-Added-First"),
	    json_string_value(json_object_get(json_array_get(json_object_get(mj, "objects"), 3), "date_added")));
	snprintf(last, sizeof(last), "%s", e2e_hdr(&r, "X-TAXII-Date-Added-Last"));
	assert_string_equal(last,
	    json_string_value(json_object_get(json_array_get(json_object_get(mj, "objects"), 5), "date_added")));
	/* feeding X-TAXII-Date-Added-Last back returns nothing more */
	e2e_urlenc(last, aa, sizeof(aa));
	e2e_get(&rw, path(API "/collections/%s/objects/?added_after=%s", c_filters, aa), &r);
	j = e2e_assert_ok(&r, 200);
	assert_int_equal(json_array_size(json_object_get(j, "objects")), 0);
	assert_true(json_is_false(json_object_get(j, "more")));
	assert_null(json_object_get(j, "next"));
	json_decref(j);
	e2e_get(&rw, path(API "/collections/%s/manifest/?added_after=%s", c_filters, aa), &r);
	j = e2e_assert_ok(&r, 200);
	assert_int_equal(json_array_size(json_object_get(j, "objects")), 0);
	json_decref(j);
	/* an added_after long ago returns everything */
	e2e_get(&rw, path(API "/collections/%s/objects/?added_after=2000-01-01T00:00:00Z", c_filters), &r);
	assert_int_equal(r.status, 200);
	{
		const char *w[6] = { f_obj[0], f_obj[1], f_obj[2], f_obj[3], f_obj[4], f_obj[5] };
		assert_objects_exact(&r, w, 6);
	}
	/* added_after with other filters */
	e2e_urlenc(da2, aa, sizeof(aa));
	e2e_get(&rw, path(API "/collections/%s/objects/?added_after=%s&match[type]=identity", c_filters, aa), &r);
	assert_int_equal(r.status, 200);
	{
		const char *w[2] = { f_obj[3], f_obj[4] };
		assert_objects_exact(&r, w, 2);
	}
	json_decref(mj);
	e2e_resp_release(&r);
	e2e_resp_release(&m);
}

#define NPAGE 250

static void
test_paging(void **state)
{
	static char objs[NPAGE][600], ids[NPAGE][80];
	const char *p[NPAGE];
	struct e2e_resp r = { 0 };
	struct e2e_map seen;
	char nx[256] = "", prev_last[64] = "";
	size_t i, got = 0, pages = 0;
	json_t *st;

	for (i = 0; i < NPAGE; i++) {
		ids[i][0] = '\0';
		mk_ind(objs[i], sizeof(objs[i]), ids[i], "page", 0);
		p[i] = objs[i];
	}
	st = post_objs(&rw, c_paging, p, 100);
	assert_status_counts(st, 100, 100, 0);
	json_decref(st);
	st = post_objs(&rw, c_paging, p + 100, 100);
	json_decref(st);
	st = post_objs(&rw, c_paging, p + 200, 50);
	assert_status_counts(st, 50, 50, 0);
	json_decref(st);

	/* objects: limit=7 pages walk the whole collection, no object missed or repeated */
	e2e_map_init(&seen);
	for (;;) {
		struct e2e_span *sp;
		long n;
		json_t *j;

		e2e_get(&rw, path(API "/collections/%s/objects/?limit=7%s%s", c_paging, nx[0] ? "&next=" : "", nx), &r);
		j = e2e_assert_ok(&r, 200);
		n = spans_of(&r, "objects", &sp);
		pages++;
		if (n < 1 || n > 7)
			fail_msg("page %zu has %ld objects (limit 7)", pages, n);
		for (long k = 0; k < n; k++) {
			if (got + (size_t)k >= NPAGE)
				fail_msg("more objects than were posted");
			/* in order added, byte for byte */
			if (sp[k].len != strlen(objs[got + (size_t)k]) ||
			    memcmp(sp[k].s, objs[got + (size_t)k], sp[k].len) != 0)
				fail_msg("page %zu object %ld is not object %zu as posted", pages, k, got + (size_t)k);
			int isnew;
			e2e_map_put(&seen, ids[got + (size_t)k], &isnew);
			assert_true(isnew);
		}
		got += (size_t)n;
		free(sp);
		/* pages follow each other: this page's first date_added > previous last */
		if (prev_last[0] && strcmp(e2e_hdr(&r, "X-TAXII-Date-Added-First"), prev_last) <= 0)
			fail_msg("page %zu starts at %s, not after %s", pages,
			    e2e_hdr(&r, "X-TAXII-Date-Added-First"), prev_last);
		snprintf(prev_last, sizeof(prev_last), "%s", e2e_hdr(&r, "X-TAXII-Date-Added-Last"));
		if (!json_is_true(json_object_get(j, "more"))) {
			assert_null(json_object_get(j, "next"));
			json_decref(j);
			break;
		}
		assert_true(json_is_string(json_object_get(j, "next")));
		e2e_urlenc(json_string_value(json_object_get(j, "next")), nx, sizeof(nx));
		json_decref(j);
		if (pages > NPAGE)
			fail_msg("paging does not end");
	}
	assert_int_equal(got, NPAGE);
	assert_int_equal(seen.n, NPAGE);
	assert_int_equal(pages, (NPAGE + 6) / 7);
	e2e_map_release(&seen, NULL);

	/* manifest pages of 100: 100, 100, 50 with strictly increasing date_added */
	nx[0] = '\0';
	prev_last[0] = '\0';
	got = 0;
	for (pages = 0; pages < 3; pages++) {
		json_t *j, *v;
		size_t k;
		e2e_get(&rw, path(API "/collections/%s/manifest/?limit=100%s%s", c_paging, nx[0] ? "&next=" : "", nx), &r);
		j = e2e_assert_ok(&r, 200);
		assert_int_equal(json_array_size(json_object_get(j, "objects")), pages < 2 ? 100 : 50);
		json_array_foreach(json_object_get(j, "objects"), k, v) {
			const char *da = json_string_value(json_object_get(v, "date_added"));
			assert_string_equal(json_string_value(json_object_get(v, "id")), ids[got++]);
			if (strcmp(da, prev_last) <= 0)
				fail_msg("date_added %s not after %s", da, prev_last);
			snprintf(prev_last, sizeof(prev_last), "%s", da);
		}
		assert_int_equal(json_is_true(json_object_get(j, "more")), pages < 2);
		if (pages < 2)
			e2e_urlenc(json_string_value(json_object_get(j, "next")), nx, sizeof(nx));
		json_decref(j);
	}
	/* no limit: the default page (1000) holds all 250; a huge limit is lowered, not refused */
	e2e_get(&rw, path(API "/collections/%s/objects/", c_paging), &r);
	assert_int_equal(r.status, 200);
	assert_objects_exact(&r, p, NPAGE);
	e2e_get(&rw, path(API "/collections/%s/objects/?limit=100000", c_paging), &r);
	assert_int_equal(r.status, 200);
	assert_objects_exact(&r, p, NPAGE);
	/* next combined with a filter keeps the filter */
	e2e_get(&rw, path(API "/collections/%s/objects/?limit=1&match[id]=%s,%s", c_paging, ids[5], ids[200]), &r);
	{
		json_t *j = e2e_assert_ok(&r, 200);
		assert_objects_exact(&r, p + 5, 1);
		e2e_urlenc(json_string_value(json_object_get(j, "next")), nx, sizeof(nx));
		json_decref(j);
	}
	e2e_get(&rw, path(API "/collections/%s/objects/?limit=1&match[id]=%s,%s&next=%s", c_paging, ids[5],
	    ids[200], nx), &r);
	assert_int_equal(r.status, 200);
	assert_objects_exact(&r, p + 200, 1);
	e2e_resp_release(&r);
}

static void
test_delete(void **state)
{
	char id[80] = "", idb[80] = "", o[3][1024], ob[1024];
	const char *all[4] = { o[0], o[1], o[2], ob };
	struct e2e_resp r = { 0 };
	json_t *st, *j;
	size_t i;

	for (i = 0; i < 3; i++)
		mk_ind(o[i], sizeof(o[i]), id, "del", (int64_t)(i + 1) * 1000);
	mk_ind(ob, sizeof(ob), idb, "keep", 0);
	st = post_objs(&rw, c_delete, all, 4);
	assert_status_counts(st, 4, 4, 0);
	json_decref(st);
	assert_int_equal(e2e_count(&rw, c_delete), 4);

	/* one version by timestamp */
	e2e_delete(&rw, path(API "/collections/%s/objects/%s/?match[version]=%s", c_delete, id, mod_ts(2000)), &r);
	assert_int_equal(r.status, 200);
	e2e_get(&rw, path(API "/collections/%s/objects/%s/versions/", c_delete, id), &r);
	j = e2e_assert_ok(&r, 200);
	assert_int_equal(json_array_size(json_object_get(j, "versions")), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(j, "versions"), 0)), mod_ts(1000));
	assert_string_equal(json_string_value(json_array_get(json_object_get(j, "versions"), 1)), mod_ts(3000));
	json_decref(j);
	e2e_get(&rw, path(API "/collections/%s/objects/%s/?match[version]=%s", c_delete, id, mod_ts(2000)), &r);
	e2e_assert_error(&r, 404, NULL);
	/* the last version: the remaining earlier one becomes last */
	e2e_delete(&rw, path(API "/collections/%s/objects/%s/?match[version]=last", c_delete, id), &r);
	assert_int_equal(r.status, 200);
	e2e_get(&rw, path(API "/collections/%s/objects/%s/", c_delete, id), &r);
	assert_int_equal(r.status, 200);
	assert_objects_exact(&r, all, 1);
	assert_int_equal(e2e_count(&rw, c_delete), 2);
	/* re-add v3, then delete every version at once */
	st = post_objs(&rw, c_delete, all + 2, 1);
	assert_status_counts(st, 1, 1, 0);
	json_decref(st);
	e2e_delete(&rw, path(API "/collections/%s/objects/%s/", c_delete, id), &r);
	assert_int_equal(r.status, 200);
	e2e_get(&rw, path(API "/collections/%s/objects/%s/", c_delete, id), &r);
	e2e_assert_error(&r, 404, NULL);
	e2e_get(&rw, path(API "/collections/%s/objects/%s/versions/", c_delete, id), &r);
	e2e_assert_error(&r, 404, NULL);
	e2e_get(&rw, path(API "/collections/%s/objects/%s/?match[version]=all", c_delete, id), &r);
	e2e_assert_error(&r, 404, NULL);
	e2e_delete(&rw, path(API "/collections/%s/objects/%s/", c_delete, id), &r);
	e2e_assert_error(&r, 404, id);
	/* the other object is untouched */
	e2e_get(&rw, path(API "/collections/%s/objects/", c_delete), &r);
	assert_int_equal(r.status, 200);
	assert_objects_exact(&r, all + 3, 1);
	assert_int_equal(e2e_count(&rw, c_delete), 1);
	/* a version that does not exist: 404, nothing deleted */
	e2e_delete(&rw, path(API "/collections/%s/objects/%s/?match[version]=%s", c_delete, idb, mod_ts(999)), &r);
	e2e_assert_error(&r, 404, NULL);
	assert_int_equal(e2e_count(&rw, c_delete), 1);
	e2e_delete(&rw, path(API "/collections/%s/objects/%s/?match[version]=first", c_delete, idb), &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(e2e_count(&rw, c_delete), 0);
	e2e_resp_release(&r);
}

static void
test_auth(void **state)
{
	struct e2e_resp a = { 0 }, b = { 0 };

	/* Basic and bearer for the same user give the same answers */
	e2e_get(&rw, API "/collections/", &a);
	e2e_get(&rw_tok, API "/collections/", &b);
	json_t *ja = e2e_assert_ok(&a, 200), *jb = e2e_assert_ok(&b, 200);
	assert_true(json_equal(ja, jb));
	json_decref(ja);
	json_decref(jb);
	/* the auth scheme name is case-insensitive (RFC 9110 §11.1) */
	{
		char low[600];
		struct e2e_req rq = { .path = API "/", .auth = low };
		snprintf(low, sizeof(low), "basic %s", rw.auth + 6);
		e2e_do(&ro, &rq, &a);
		json_decref(e2e_assert_ok(&a, 200));
		snprintf(low, sizeof(low), "bearer %s", rw_tok.auth + 7);
		e2e_do(&ro, &rq, &a);
		json_decref(e2e_assert_ok(&a, 200));
	}
	/* a token is not a password and a password is not a token */
	{
		char bad[600];
		struct e2e_req rq = { .path = API "/", .auth = bad };
		snprintf(bad, sizeof(bad), "Bearer %s", "lsn_0000000000000000000000000000000000000000000");
		e2e_do(&ro, &rq, &a);
		e2e_assert_error(&a, 401, NULL);
		assert_non_null(e2e_hdr(&a, "WWW-Authenticate"));
	}
	e2e_resp_release(&a);
	e2e_resp_release(&b);
}

static void
test_rights(void **state)
{
	struct e2e_resp r = { 0 };
	char id[80] = "", o[1024], sid[64];
	const char *one[1] = { o };
	json_t *st;
	size_t before;

	/* write-only: can POST (and read its status), cannot read objects */
	mk_ind(o, sizeof(o), id, "from wo", 0);
	before = e2e_count(&admin, shared_id);
	st = post_objs(&wo, shared_id, one, 1);
	assert_status_counts(st, 1, 1, 0);
	snprintf(sid, sizeof(sid), "%s", json_string_value(json_object_get(st, "id")));
	json_decref(st);
	assert_int_equal(e2e_count(&admin, shared_id), before + 1);
	e2e_get(&wo, path(API "/status/%s/", sid), &r);
	json_decref(e2e_assert_ok(&r, 200));
	e2e_get(&wo, path(API "/collections/%s/objects/", shared_id), &r);
	e2e_assert_error(&r, 403, NULL);
	e2e_get(&wo, path(API "/collections/%s/manifest/", shared_id), &r);
	e2e_assert_error(&r, 403, NULL);
	e2e_get(&wo, path(API "/collections/%s/objects/%s/", shared_id, id), &r);
	e2e_assert_error(&r, 403, NULL);
	e2e_get(&wo, path(API "/collections/%s/objects/%s/versions/", shared_id, id), &r);
	e2e_assert_error(&r, 403, NULL);
	e2e_delete(&wo, path(API "/collections/%s/objects/%s/", shared_id, id), &r);
	e2e_assert_error(&r, 403, NULL);

	/* read-only: reads what wo wrote, byte for byte; cannot POST or DELETE */
	e2e_get(&ro, path(API "/collections/%s/objects/%s/", shared_id, id), &r);
	assert_int_equal(r.status, 200);
	assert_objects_exact(&r, one, 1);
	e2e_get(&ro_tok, path(API "/status/%s/", sid), &r);
	json_decref(e2e_assert_ok(&r, 200));
	{
		char o2[1024], id2[80] = "";
		mk_ind(o2, sizeof(o2), id2, "from ro", 0);
		struct e2e_str env = { 0 };
		e2e_str_addf(&env, "{\"objects\":[%s]}", o2);
		e2e_post(&ro, path(API "/collections/%s/objects/", shared_id), env.s, env.len, &r);
		e2e_assert_error(&r, 403, NULL);
		e2e_post(&ro_tok, path(API "/collections/%s/objects/", shared_id), env.s, env.len, &r);
		e2e_assert_error(&r, 403, NULL);
		e2e_str_release(&env);
		e2e_get(&admin, path(API "/collections/%s/objects/%s/", shared_id, id2), &r);
		e2e_assert_error(&r, 404, NULL);
	}
	e2e_delete(&ro, path(API "/collections/%s/objects/%s/", shared_id, id), &r);
	e2e_assert_error(&r, 403, NULL);
	assert_int_equal(e2e_count(&admin, shared_id), before + 1);
	/* lo (local:r only) cannot see a status of a POST to shared */
	e2e_get(&lo, path(API "/status/%s/", sid), &r);
	e2e_assert_error(&r, 404, NULL);
	/* admin deletes */
	e2e_delete(&admin, path(API "/collections/%s/objects/%s/", shared_id, id), &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(e2e_count(&admin, shared_id), before);
	e2e_resp_release(&r);
}

static unsigned long long
metric(const char *text, const char *name)
{
	const char *p = text;
	size_t n = strlen(name);

	while ((p = strstr(p, name)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[n] == ' ')
			return strtoull(p + n + 1, NULL, 10);
		p += n;
	}
	fail_msg("metric %s not found in:\n%s", name, text);
	return 0;
}

static void
test_metrics(void **state)
{
	struct e2e_resp r = { 0 };
	struct e2e_req rq = { .path = "/metrics", .accept = "", .auth = "" };
	const char *ct;

	e2e_do(&rw, &rq, &r);
	assert_int_equal(r.status, 200);
	ct = e2e_hdr(&r, "Content-Type");
	assert_non_null(ct);
	assert_true(strncmp(ct, "text/plain", 10) == 0);
	assert_true(metric(r.body, "liaison_http_requests_total") > 50);
	/* at least the objects added by the tests above */
	assert_true(metric(r.body, "liaison_objects_total{outcome=\"added\"}") >= 3 + 3 + 6 + NPAGE + 5 + 1);
	assert_true(metric(r.body, "liaison_objects_total{outcome=\"duplicate\"}") >= 3);
	assert_true(metric(r.body, "liaison_objects_total{outcome=\"served\"}") > 0);
	assert_true(metric(r.body, "liaison_auth_failures_total") >= 1);
	assert_true(metric(r.body, "liaison_http_errors_total{class=\"4xx\"}") >= 10);
	assert_int_equal(metric(r.body, "liaison_store_failed_commits_total"), 0);
	if (e2e_pg() != NULL) {
		/* on PostgreSQL the pages above were read off the loop, on the default 4 connections */
		assert_int_equal(metric(r.body, "liaison_store_read_connections"), 4);
		assert_true(metric(r.body, "liaison_store_reads_total") >= 20);
		assert_int_equal(metric(r.body, "liaison_store_read_failures_total"), 0);
	} else {
		assert_null(strstr(r.body, "liaison_store_reads_total"));
	}
	e2e_resp_release(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_listen_port0),
		cmocka_unit_test(test_discovery),
		cmocka_unit_test(test_api_root),
		cmocka_unit_test(test_collections),
		cmocka_unit_test(test_collection),
		cmocka_unit_test(test_add_status_objects),
		cmocka_unit_test(test_manifest),
		cmocka_unit_test(test_get_object),
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_added_after),
		cmocka_unit_test(test_paging),
		cmocka_unit_test(test_delete),
		cmocka_unit_test(test_auth),
		cmocka_unit_test(test_rights),
		cmocka_unit_test(test_metrics),
	};

	return cmocka_run_group_tests_name("e2e/taxii", tests, setup, teardown);
}
