/*
 * End-to-end: every STIX 2.1 bundle of the shared test data goes into a real
 * liaisond through TAXII POST (envelopes of at most 1000 objects, each object
 * sent as its exact span of the file), comes back through limit/next pages,
 * and must be byte for byte what was sent, with the counts the data README
 * states. The invalid vectors and the STIX 2.0 bundle must be rejected.
 */
#include "e2e.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef LIAISON_DATA_DIR
#error "LIAISON_DATA_DIR must be defined by CMake"
#endif

#define path(...) e2e_path(__VA_ARGS__)
#define ENV_MAX_OBJECTS 1000
#define ENV_MAX_BYTES (8u << 20)
#define PW "data-password"

static struct e2e_node node;
static struct e2e_client admin;
static int64_t t_start;

/* One expected object version: its exact bytes as sent (first one wins). */
struct exp {
	const char *s;
	size_t len;
	int seen;
};

struct coll {
	const char *title;
	char id[64];
	struct e2e_map map;           /* version key -> struct exp * */
	char **files;                 /* buffers the spans point into */
	size_t n_files;
	size_t added, duplicates, conflicts;
};

enum { ACCEPT, REJECT };

static const struct corpus {
	const char *file;
	const char *coll;
	long objects;                 /* as the data README counts them */
} corpora[] = {
	{ "stix2.1-examples/indicator-for-c2-ip-address.json", "ex-c2", 1 },
	{ "stix2.1-examples/indicator-to-campaign-relationship.json", "ex-campaign", 3 },
	{ "stix2.1-examples/indicators-for-C2-with-COA.json", "ex-coa", 8 },
	{ "stix2.1-examples/infrastructure.json", "ex-infra", 10 },
	{ "stix2.1-examples/interop-objectmarking-test.json", "ex-interop", 1 },
	{ "stix2.1-examples/malicious-email-indicator-with-attachment.json", "ex-email", 6 },
	{ "stix2.1-examples/threat-reports/apt1.json", "ex-apt1", 76 },
	{ "stix2.1-examples/threat-reports/poisonivy.json", "ex-poisonivy", 155 },
	{ "tlp-2.0/tlp-2.0-markings.json", "tlp", 5 },
	{ "stix-validator-tests/v21/identity.json", "v-identity", 1 },
	{ "stix-validator-tests/v21/identity_custom.json", "v-identity-custom", 1 },
	{ "stix-validator-tests/v21/identity_unicode.json", "v-identity-unicode", 1 },
	{ "stix-validator-tests/v21/identity_warning.json", "v-identity-warning", 1 },
	{ "stix-validator-tests/v21/tlp-amber.json", "v-tlp-amber", 1 },
	{ "stix-validator-tests/v21/tool.json", "v-tool", 1 },
	{ "disarm/DISARM.json.xz", "disarm", 698 },
	{ "mitre-cti/stix-capec-2.1-rebuilt.json.xz", "capec", 2683 },
	{ "attack/ics-attack-17.1.json.xz", "ics-17.1", 1651 },
	{ "attack/ics-attack-18.0.json.xz", "ics-18.0", 1826 },
	{ "attack/ics-attack-18.1.json.xz", "ics-18.1", 1826 },
	{ "attack/mobile-attack-17.1.json.xz", "mobile-17.1", 2148 },
	{ "attack/enterprise-attack-18.1-rebuilt.json.xz", "enterprise-18.1", 24771 },
};
#define N_CORPORA (sizeof(corpora) / sizeof(corpora[0]))

static struct coll colls[N_CORPORA];
static struct coll ics_versions = { .title = "ics-versions" };
static char c_stix20[64], c_invalid[64];

static void
log_time(const char *what)
{
	fprintf(stderr, "e2e/data: %-48s at %6.1f s\n", what, (double)(e2e_now_ms() - t_start) / 1000);
}

static int
setup(void **state)
{
	size_t i;

	t_start = e2e_now_ms();
	e2e_node_init(&node, "data");
	for (i = 0; i < N_CORPORA; i++) {
		colls[i].title = corpora[i].coll;
		e2e_coll_add(&node, corpora[i].coll);
	}
	e2e_coll_add(&node, "ics-versions");
	e2e_coll_add(&node, "stix20");
	e2e_coll_add(&node, "invalid");
	for (i = 0; i < N_CORPORA; i++)
		e2e_coll_id(&node, colls[i].title, colls[i].id);
	e2e_coll_id(&node, "ics-versions", ics_versions.id);
	e2e_coll_id(&node, "stix20", c_stix20);
	e2e_coll_id(&node, "invalid", c_invalid);
	e2e_user_add(&node, "admin", PW, 1, NULL);
	e2e_node_start(&node);
	e2e_client_basic(&admin, &node, "admin", PW);
	log_time("node started");
	return 0;
}

static void
coll_release(struct coll *c)
{
	size_t i;

	e2e_map_release(&c->map, free);
	for (i = 0; i < c->n_files; i++)
		free(c->files[i]);
	free(c->files);
	c->files = NULL;
	c->n_files = 0;
}

static int
teardown(void **state)
{
	size_t i;
	int rc;

	for (i = 0; i < N_CORPORA; i++)
		coll_release(&colls[i]);
	coll_release(&ics_versions);
	e2e_client_release(&admin);
	rc = e2e_node_finish(&node);
	log_time("done");
	return rc;
}

static char *
read_data(const char *rel, size_t *len)
{
	char p[1024];
	char *s;

	snprintf(p, sizeof(p), "%s/%s", LIAISON_DATA_DIR, rel);
	s = e2e_read_file(p, len);
	if (s == NULL)
		fail_msg("cannot read %s", p);
	return s;
}

/* The version key, id and version string of one span. */
static void
span_key(const char *s, size_t len, char key[400], char id[300], char ver[64])
{
	json_error_t je;
	json_t *o = json_loadb(s, len, 0, &je);
	const char *v;

	if (o == NULL)
		fail_msg("a span is not JSON (%s): %.200s", je.text, s);
	e2e_version_key(o, key, 400);
	snprintf(id, 300, "%s", json_string_value(json_object_get(o, "id")) ?: "");
	v = json_string_value(json_object_get(o, "modified"));
	if (v == NULL)
		v = json_string_value(json_object_get(o, "created"));
	snprintf(ver, 64, "%s", v ? v : "");
	json_decref(o);
}

static int
same_json(const char *a, size_t al, const char *b, size_t bl)
{
	json_t *x = json_loadb(a, al, 0, NULL), *y = json_loadb(b, bl, 0, NULL);
	int same = x && y && json_equal(x, y);

	json_decref(x);
	json_decref(y);
	return same;
}

enum outcome { O_ADDED, O_DUPLICATE, O_CONFLICT };

struct item {
	const char *s;
	size_t len;
	char key[400], id[300], ver[64];
	enum outcome want;
};

/* Posts items[0..n) as one envelope and checks the status against the predictions. */
static void
post_envelope(struct coll *c, struct item *it, size_t n)
{
	struct e2e_str env = { 0 };
	struct e2e_resp r = { 0 };
	json_t *st, *succ, *fail;
	size_t i, ok = 0, bad = 0, si = 0, fi = 0;

	e2e_str_add(&env, "{\"objects\":[", 12);
	for (i = 0; i < n; i++) {
		if (i)
			e2e_str_add(&env, ",", 1);
		e2e_str_add(&env, it[i].s, it[i].len);
		if (it[i].want == O_CONFLICT)
			bad++;
		else
			ok++;
	}
	e2e_str_add(&env, "]}", 2);
	e2e_post(&admin, path(API "/collections/%s/objects/", c->id), env.s, env.len, &r);
	e2e_str_release(&env);
	st = e2e_assert_ok(&r, 202);
	if (json_integer_value(json_object_get(st, "success_count")) != (json_int_t)ok ||
	    json_integer_value(json_object_get(st, "failure_count")) != (json_int_t)bad) {
		json_t *f0 = json_array_get(json_object_get(st, "failures"), 0);
		fail_msg("%s: wanted %zu successes and %zu failures, got %lld and %lld; first failure: %s %s",
		    c->title, ok, bad, json_integer_value(json_object_get(st, "success_count")),
		    json_integer_value(json_object_get(st, "failure_count")),
		    json_string_value(json_object_get(f0, "id")) ?: "-",
		    json_string_value(json_object_get(f0, "message")) ?: "-");
	}
	e2e_assert_status(st, n, ok, bad);
	succ = json_object_get(st, "successes");
	fail = json_object_get(st, "failures");
	for (i = 0; i < n; i++) {
		json_t *d = json_array_get(it[i].want == O_CONFLICT ? fail : succ,
		    it[i].want == O_CONFLICT ? fi++ : si++);
		const char *m = json_string_value(json_object_get(d, "message"));
		if (strcmp(json_string_value(json_object_get(d, "id")) ?: "", it[i].id) != 0)
			fail_msg("%s: status entry %zu names %s, not %s", c->title, i,
			    json_string_value(json_object_get(d, "id")) ?: "-", it[i].id);
		if (it[i].ver[0] && strcmp(json_string_value(json_object_get(d, "version")) ?: "", it[i].ver) != 0)
			fail_msg("%s: status entry for %s has version %s, not %s", c->title, it[i].id,
			    json_string_value(json_object_get(d, "version")) ?: "-", it[i].ver);
		if (it[i].want == O_DUPLICATE && (m == NULL || strcasestr(m, "duplicate") == NULL))
			fail_msg("%s: %s (same id and version, same content) is not reported as a duplicate",
			    c->title, it[i].id);
		if (it[i].want == O_ADDED && m != NULL)
			fail_msg("%s: %s was new but has the message '%s'", c->title, it[i].id, m);
	}
	json_decref(st);
	e2e_resp_release(&r);
}

/*
 * Loads one file into c: each object is sent as its exact span of the file.
 * Predicts per object: new version, duplicate (same key, same JSON) or
 * conflict (same key, other JSON), in envelope order as the server sees it.
 */
static size_t
load_file(struct coll *c, const char *rel)
{
	size_t len, i, k = 0, bytes = 0;
	char *buf = read_data(rel, &len);
	struct e2e_span *sp;
	long n = e2e_json_array_spans(buf, len, "objects", 1, &sp);
	struct item *it;

	if (n < 0)
		fail_msg("%s is not JSON", rel);
	c->files = realloc(c->files, (c->n_files + 1) * sizeof(*c->files));
	c->files[c->n_files++] = buf;
	it = calloc(ENV_MAX_OBJECTS, sizeof(*it));
	for (i = 0; i < (size_t)n; i++) {
		struct item *x = &it[k];
		void **slot;
		int isnew;

		x->s = sp[i].s;
		x->len = sp[i].len;
		span_key(x->s, x->len, x->key, x->id, x->ver);
		slot = e2e_map_put(&c->map, x->key, &isnew);
		if (isnew) {
			struct exp *e = calloc(1, sizeof(*e));
			e->s = x->s;
			e->len = x->len;
			*slot = e;
			x->want = O_ADDED;
			c->added++;
		} else {
			struct exp *e = *slot;
			x->want = same_json(e->s, e->len, x->s, x->len) ? O_DUPLICATE : O_CONFLICT;
			if (x->want == O_DUPLICATE)
				c->duplicates++;
			else
				c->conflicts++;
		}
		bytes += x->len;
		k++;
		if (k == ENV_MAX_OBJECTS || i + 1 == (size_t)n ||
		    bytes + sp[i + 1].len > ENV_MAX_BYTES) {
			post_envelope(c, it, k);
			k = 0;
			bytes = 0;
		}
	}
	free(it);
	free(sp);
	return (size_t)n;
}

/*
 * Reads the whole collection back (match[version]=all, limit/next pages) and
 * checks every object against the bytes sent: none missing, none repeated,
 * none unknown. Returns the number of objects read.
 */
static size_t
read_back(struct coll *c)
{
	struct e2e_resp r = { 0 };
	char nx[256] = "", key[400], id[300], ver[64];
	size_t total = 0, pages = 0, i;

	for (i = 0; i < c->map.cap; i++)
		if (c->map.keys[i])
			((struct exp *)c->map.vals[i])->seen = 0;
	for (;;) {
		struct e2e_span *sp;
		json_t *j;
		long n, k;

		e2e_get(&admin, path(API "/collections/%s/objects/?match[version]=all&limit=1000%s%s", c->id,
		    nx[0] ? "&next=" : "", nx), &r);
		j = e2e_assert_ok(&r, 200);
		n = e2e_spans(&r, "objects", &sp);
		pages++;
		if (n > 1000)
			fail_msg("%s: a page of limit 1000 has %ld objects", c->title, n);
		for (k = 0; k < n; k++) {
			struct exp **e;
			span_key(sp[k].s, sp[k].len, key, id, ver);
			e = (struct exp **)e2e_map_get(&c->map, key);
			if (e == NULL)
				fail_msg("%s: the server returned %s version %s, which was never sent", c->title, id, ver);
			if ((*e)->seen++)
				fail_msg("%s: %s version %s returned twice", c->title, id, ver);
			if ((*e)->len != sp[k].len || memcmp((*e)->s, sp[k].s, sp[k].len) != 0)
				fail_msg("%s: %s version %s comes back with other bytes (%zu sent, %zu returned)",
				    c->title, id, ver, (*e)->len, sp[k].len);
		}
		total += (size_t)n;
		free(sp);
		if (!json_is_true(json_object_get(j, "more"))) {
			json_decref(j);
			break;
		}
		if (n == 0)
			fail_msg("%s: an empty page says more=true", c->title);
		e2e_urlenc(json_string_value(json_object_get(j, "next")), nx, sizeof(nx));
		json_decref(j);
	}
	for (i = 0; i < c->map.cap; i++) {
		if (c->map.keys[i] && ((struct exp *)c->map.vals[i])->seen != 1)
			fail_msg("%s: %s was acknowledged but is missing", c->title, c->map.keys[i]);
	}
	assert_int_equal(total, c->map.n);
	e2e_resp_release(&r);
	return total;
}

static void
load_and_check(size_t first, size_t last)
{
	size_t i, n;

	for (i = first; i <= last; i++) {
		n = load_file(&colls[i], corpora[i].file);
		if ((long)n != corpora[i].objects)
			fail_msg("%s has %zu objects, the README says %ld", corpora[i].file, n, corpora[i].objects);
		/* one bundle, one collection: every object is a new version */
		assert_int_equal(colls[i].added, n);
		assert_int_equal(colls[i].conflicts, 0);
		assert_int_equal(e2e_count(&admin, colls[i].id), n);
		assert_int_equal(read_back(&colls[i]), n);
		log_time(corpora[i].file);
	}
}

static size_t
corpus_index(const char *coll)
{
	size_t i;

	for (i = 0; i < N_CORPORA; i++)
		if (strcmp(corpora[i].coll, coll) == 0)
			return i;
	fail_msg("no corpus %s", coll);
	return 0;
}

static void
test_examples(void **state)
{
	load_and_check(0, corpus_index("v-tool"));
}

static void
test_disarm_capec(void **state)
{
	load_and_check(corpus_index("disarm"), corpus_index("capec"));
}

static void
test_attack(void **state)
{
	load_and_check(corpus_index("ics-17.1"), corpus_index("enterprise-18.1"));
}

/*
 * A reader slower than the answers: three pages of about 2.5 MB and a small
 * GET, pipelined on one keep-alive connection that reads nothing for a
 * second. 7.6 MB is more than the socket buffers hold (4 MiB to send at
 * most here, 128 KiB to receive until the reader reads), so the daemon's
 * writes meet a full socket and must resume when it drains (an answer is
 * written in the turn that made it, decision 0010). Every answer arrives
 * whole, in order, byte for byte what a normal client reads.
 */
static void
test_slow_reader(void **state)
{
	struct coll *c = &colls[corpus_index("enterprise-18.1")];
	struct e2e_tls t;
	struct e2e_resp want = { 0 }, r = { 0 };
	struct e2e_str req = { 0 };
	char userpw[64], b64[128];
	const char *page = path(API "/collections/%s/objects/?limit=1000", c->id);
	int i;
	json_t *j;

	e2e_get(&admin, page, &want);
	assert_int_equal(want.status, 200);
	assert_true(want.len > 2000000);
	snprintf(userpw, sizeof(userpw), "admin:%s", PW);
	EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)userpw, (int)strlen(userpw));
	for (i = 0; i < 3; i++)
		e2e_str_addf(&req, "GET %s HTTP/1.1\r\nHost: x\r\nAuthorization: Basic %s\r\n"
		    "Accept: " TAXII_MT "\r\n\r\n", page, b64);
	e2e_str_addf(&req, "GET %s HTTP/1.1\r\nHost: x\r\nAuthorization: Basic %s\r\n"
	    "Accept: " TAXII_MT "\r\n\r\n", path(API "/collections/%s/", c->id), b64);
	assert_int_equal(e2e_tls_connect(&node, &t), 0);
	assert_int_equal(e2e_tls_send(&t, req.s, req.len), 0);
	sleep(1);
	for (i = 0; i < 3; i++) {
		assert_int_equal(e2e_tls_read_response(&t, &r, 30000), 0);
		assert_int_equal(r.status, 200);
		assert_int_equal(r.len, want.len);
		assert_memory_equal(r.body, want.body, want.len);
	}
	assert_int_equal(e2e_tls_read_response(&t, &r, 30000), 0);
	j = e2e_assert_ok(&r, 200);
	assert_string_equal(json_string_value(json_object_get(j, "id")), c->id);
	json_decref(j);
	e2e_tls_close(&t);
	e2e_str_release(&req);
	e2e_resp_release(&want);
	e2e_resp_release(&r);
}

/* Pages chained with X-TAXII-Date-Added-Last as added_after see every object once. */
static void
test_added_after_walk(void **state)
{
	struct coll *c = &colls[corpus_index("enterprise-18.1")];
	struct e2e_resp r = { 0 };
	struct e2e_map seen;
	char aa[80] = "", prev[64] = "";
	size_t total = 0;

	e2e_map_init(&seen);
	for (;;) {
		json_t *j, *v;
		size_t k;

		e2e_get(&admin, path(API "/collections/%s/manifest/?limit=5000%s%s", c->id,
		    aa[0] ? "&added_after=" : "", aa), &r);
		j = e2e_assert_ok(&r, 200);
		if (json_array_size(json_object_get(j, "objects")) == 0) {
			assert_null(e2e_hdr(&r, "X-TAXII-Date-Added-Last"));
			json_decref(j);
			break;
		}
		json_array_foreach(json_object_get(j, "objects"), k, v) {
			const char *da = json_string_value(json_object_get(v, "date_added"));
			int isnew;
			if (strcmp(da, prev) <= 0)
				fail_msg("date_added %s is not after %s", da, prev);
			snprintf(prev, sizeof(prev), "%s", da);
			e2e_map_put(&seen, json_string_value(json_object_get(v, "id")), &isnew);
			if (!isnew)
				fail_msg("%s seen twice", json_string_value(json_object_get(v, "id")));
		}
		total += json_array_size(json_object_get(j, "objects"));
		assert_string_equal(e2e_hdr(&r, "X-TAXII-Date-Added-Last"), prev);
		e2e_urlenc(prev, aa, sizeof(aa));
		json_decref(j);
	}
	assert_int_equal(total, 24771);
	assert_int_equal(seen.n, 24771);
	e2e_map_release(&seen, NULL);
	/* the type filter finds the README's counts */
	{
		static const struct { const char *type; size_t n; } by_type[] = {
			{ "relationship", 20048 }, { "attack-pattern", 835 }, { "x-mitre-analytic", 1739 },
			{ "malware", 696 }, { "intrusion-set", 187 }, { "marking-definition", 1 },
		};
		size_t i;
		for (i = 0; i < sizeof(by_type) / sizeof(by_type[0]); i++) {
			char nx[256] = "";
			size_t n = 0;
			for (;;) {
				e2e_get(&admin, path(API "/collections/%s/manifest/?match[type]=%s&limit=10000%s%s", c->id,
				    by_type[i].type, nx[0] ? "&next=" : "", nx), &r);
				json_t *j = e2e_assert_ok(&r, 200);
				n += json_array_size(json_object_get(j, "objects"));
				int more = json_is_true(json_object_get(j, "more"));
				if (more)
					e2e_urlenc(json_string_value(json_object_get(j, "next")), nx, sizeof(nx));
				json_decref(j);
				if (!more)
					break;
			}
			if (n != by_type[i].n)
				fail_msg("enterprise has %zu objects of type %s, the README says %zu", n,
				    by_type[i].type, by_type[i].n);
		}
	}
	e2e_resp_release(&r);
	log_time("added_after walk and type counts");
}

/* ICS 18.0 then 18.1 in one collection: 28 objects get a newer version. */
static void
test_ics_versions(void **state)
{
	struct e2e_resp r = { 0 };
	json_t *j;
	size_t n;

	n = load_file(&ics_versions, "attack/ics-attack-18.0.json.xz");
	assert_int_equal(n, 1826);
	n = load_file(&ics_versions, "attack/ics-attack-18.1.json.xz");
	assert_int_equal(n, 1826);
	/* README: 18.0 -> 18.1 changes 28 objects, all with a newer modified */
	assert_int_equal(ics_versions.added, 1826 + 28);
	assert_int_equal(ics_versions.duplicates, 1826 - 28);
	assert_int_equal(ics_versions.conflicts, 0);
	assert_int_equal(e2e_count(&admin, ics_versions.id), 1854);
	assert_int_equal(read_back(&ics_versions), 1854);
	/* the latest versions only: one per id */
	e2e_get(&admin, path(API "/collections/%s/manifest/?limit=10000", ics_versions.id), &r);
	j = e2e_assert_ok(&r, 200);
	assert_int_equal(json_array_size(json_object_get(j, "objects")), 1826);
	json_decref(j);
	e2e_get(&admin, path(API "/collections/%s/manifest/?limit=10000&match[version]=first", ics_versions.id), &r);
	j = e2e_assert_ok(&r, 200);
	assert_int_equal(json_array_size(json_object_get(j, "objects")), 1826);
	json_decref(j);
	/* 17.1 -> 18.1 keeps id and modified for 70 changed attack-patterns: conflicts */
	n = load_file(&ics_versions, "attack/ics-attack-17.1.json.xz");
	assert_int_equal(n, 1651);
	if (ics_versions.conflicts < 70)
		fail_msg("ICS 17.1 over 18.x gave %zu conflicts; the README says at least 70 objects "
		    "changed without a newer modified", ics_versions.conflicts);
	assert_int_equal(e2e_count(&admin, ics_versions.id), ics_versions.map.n);
	assert_int_equal(read_back(&ics_versions), ics_versions.map.n);
	e2e_resp_release(&r);
	log_time("ics versions");
}

/* The invalid validator vectors: refused (400) or failed in the status; nothing stored. */
static void
test_invalid_vectors(void **state)
{
	static const char *const files[] = {
		"stix-validator-tests/v21/invalid_braces.json",
		"stix-validator-tests/v21/invalid_comma.json",
		"stix-validator-tests/v21/invalid_identity.json",
		"stix-validator-tests/v21/invalid_timestamp.json",
	};
	struct e2e_resp r = { 0 };
	size_t i, len;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *buf = read_data(files[i], &len);
		struct e2e_str env = { 0 };

		e2e_str_addf(&env, "{\"objects\":[%s]}", buf);
		e2e_post(&admin, path(API "/collections/%s/objects/", c_invalid), env.s, env.len, &r);
		if (r.status == 400) {
			e2e_assert_error(&r, 400, "JSON");
		} else {
			json_t *st = e2e_assert_ok(&r, 202);
			json_t *f = json_array_get(json_object_get(st, "failures"), 0);
			e2e_assert_status(st, 1, 0, 1);
			assert_string_equal(json_string_value(json_object_get(f, "id")),
			    "identity--8c6af861-7b20-41ef-9b59-6344fd872a8f");
			if (strstr(json_string_value(json_object_get(f, "message")) ?: "", "modified") == NULL)
				fail_msg("%s: the failure does not name 'modified': %s", files[i], r.body);
			json_decref(st);
		}
		/* the two non-JSON files must be refused whole */
		if (i < 2)
			assert_int_equal(r.status, 400);
		free(buf);
		e2e_str_release(&env);
	}
	assert_int_equal(e2e_count(&admin, c_invalid), 0);
	e2e_resp_release(&r);
}

/* The STIX 2.0 ICS bundle: every object is refused, one failure each. */
static void
test_stix20_rejected(void **state)
{
	struct e2e_resp r = { 0 };
	size_t len, i, total = 0;
	char *buf = read_data("mitre-cti/ics-attack.json.xz", &len);
	struct e2e_span *sp;
	long n = e2e_json_array_spans(buf, len, "objects", 0, &sp);

	assert_int_equal(n, 1825);
	for (i = 0; i < (size_t)n; i += ENV_MAX_OBJECTS) {
		size_t k, cnt = (size_t)n - i < ENV_MAX_OBJECTS ? (size_t)n - i : ENV_MAX_OBJECTS;
		struct e2e_str env = { 0 };
		json_t *st, *fails;

		e2e_str_add(&env, "{\"objects\":[", 12);
		for (k = 0; k < cnt; k++) {
			if (k)
				e2e_str_add(&env, ",", 1);
			e2e_str_add(&env, sp[i + k].s, sp[i + k].len);
		}
		e2e_str_add(&env, "]}", 2);
		e2e_post(&admin, path(API "/collections/%s/objects/", c_stix20), env.s, env.len, &r);
		e2e_str_release(&env);
		st = e2e_assert_ok(&r, 202);
		if (json_integer_value(json_object_get(st, "success_count")) != 0) {
			json_t *s0 = json_array_get(json_object_get(st, "successes"), 0);
			fail_msg("STIX 2.0 objects were accepted (%lld), e.g. %s",
			    json_integer_value(json_object_get(st, "success_count")),
			    json_string_value(json_object_get(s0, "id")));
		}
		e2e_assert_status(st, cnt, 0, cnt);
		fails = json_object_get(st, "failures");
		for (k = 0; k < cnt; k++) {
			char key[400], id[300], ver[64];
			json_t *f = json_array_get(fails, k);
			span_key(sp[i + k].s, sp[i + k].len, key, id, ver);
			assert_string_equal(json_string_value(json_object_get(f, "id")), id);
			assert_true(json_string_length(json_object_get(f, "message")) > 0);
		}
		total += cnt;
		json_decref(st);
	}
	assert_int_equal(total, 1825);
	assert_int_equal(e2e_count(&admin, c_stix20), 0);
	free(sp);
	free(buf);
	e2e_resp_release(&r);
	log_time("stix 2.0 rejected");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_examples),
		cmocka_unit_test(test_disarm_capec),
		cmocka_unit_test(test_attack),
		cmocka_unit_test(test_added_after_walk),
		cmocka_unit_test(test_slow_reader),
		cmocka_unit_test(test_ics_versions),
		cmocka_unit_test(test_invalid_vectors),
		cmocka_unit_test(test_stix20_rejected),
	};

	return cmocka_run_group_tests_name("e2e/data", tests, setup, teardown);
}
