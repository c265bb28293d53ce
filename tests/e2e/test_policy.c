/*
 * End-to-end: partner agreements enforced at the border (docs/agreements.md).
 * Two real nodes A (cert-a) and B (cert-b) paired both ways; A sends to B
 * up to GREEN with custom properties stripped (A's out.*, B's matching in.*),
 * so both hold the same agreement. A shares indicators marked CLEAR .. RED,
 * unmarked, TLP 1.0 WHITE, one with x_secret, two with granular markings,
 * and two relationships: exactly the allowed ones reach B (x_secret gone,
 * every other byte kept), the rest are in A's policy log with their rule,
 * `policy explain` agrees, /metrics counts them. Then B narrows in.types on
 * its own: both see DIFFERENT, and a relationship A still sends is refused
 * at B's ingress (policy log "in", the receipt's refused count, /metrics).
 * Last, `log verify` on both and one agreement leaf per change, each with
 * the hash `agreement show` prints.
 */
#include "e2e.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PW "policy-password"
#define SETTLE_MS 20000

#define M_CLEAR "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
#define M_GREEN "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
#define M_AMBER "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
#define M_AMBER_STRICT "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
#define M_RED "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
#define M_WHITE1 "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"
#define MARKS(m) ",\"object_marking_refs\":[\"" m "\"]"
#define SECRET ",\"x_secret\":\"hunter2 (never leaves)\""

static struct e2e_node A, B;
static struct e2e_client a_admin, b_admin;
static char a_shared[64], b_from_a[64];
static int64_t t_start;
static int a_changes, b_changes;        /* agreement changes each node made */

#define log_time(...) e2e_log_time(t_start, __VA_ARGS__)

/* ---- objects ---- */

struct obj {
	const char *tag;
	char id[64];
	char *s;                      /* the bytes posted */
	char *want;                   /* the bytes B must hold; NULL: must not arrive */
	const char *rule;             /* A's policy log rule when kept home */
};

static char *
indicator(char id[64], const char *name, const char *extra)
{
	char u[37], *s;

	e2e_uuid4(u);
	snprintf(id, 64, "indicator--%s", u);
	if (asprintf(&s, "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"%s\","
	    "\"created\":\"2020-01-01T00:00:00.000Z\",\"modified\":\"2020-01-01T00:00:00.000Z\","
	    "\"name\":\"%s\"%s,\"indicator_types\":[\"malicious-activity\"],\"pattern_type\":\"stix\","
	    "\"pattern\":\"[ipv4-addr:value = '198.51.100.7']\",\"valid_from\":\"2020-01-01T00:00:00Z\"}",
	    id, name, extra) < 0)
		fail_msg("out of memory");
	return s;
}

static char *
relationship(char id[64], const char *src, const char *dst)
{
	char u[37], *s;

	e2e_uuid4(u);
	snprintf(id, 64, "relationship--%s", u);
	if (asprintf(&s, "{\"type\":\"relationship\",\"spec_version\":\"2.1\",\"id\":\"%s\","
	    "\"created\":\"2020-01-01T00:00:00.000Z\",\"modified\":\"2020-01-01T00:00:00.000Z\","
	    "\"relationship_type\":\"related-to\",\"source_ref\":\"%s\",\"target_ref\":\"%s\""
	    MARKS(M_CLEAR) "}", id, src, dst) < 0)
		fail_msg("out of memory");
	return s;
}

/* The posted bytes without the first occurrence of cut. */
static char *
without(const char *s, const char *cut)
{
	char *o = strdup(s), *p;
	size_t cl = strlen(cut);

	if (o == NULL || (p = strstr(o, cut)) == NULL)
		fail_msg("'%s' is not in the posted object", cut);
	memmove(p, p + cl, strlen(p + cl) + 1);
	return o;
}

/* ---- helpers ---- */

/* Agreement leaves (entry byte 4 == 2) of n's ledger; with hex, only those holding that hash. */
static long long
agreement_leaves(const struct e2e_node *n, const char *hex)
{
	struct e2e_db *db = e2e_db_open(n, 0);
	long long idx, size = e2e_db_int(db, "SELECT count(*) FROM ledger_entries"), v = 0;
	char got[65];
	size_t len, k;

	for (idx = 0; idx < size; idx++) {
		uint8_t *e = e2e_db_blob(db, "SELECT entry FROM ledger_entries WHERE idx = ?", idx, &len);

		if (e == NULL)
			fail_msg("%s's ledger has no entry %lld of %lld", n->name, idx, size);
		for (k = 0; len == 80 && k < 32; k++)
			snprintf(got + 2 * k, 3, "%02x", e[48 + k]);
		if (len == 80 && e[4] == 2 && (hex == NULL || strcasecmp(got, hex) == 0))
			v++;
		free(e);
	}
	e2e_db_close(db);
	return v;
}

/* The hash of the agreement n holds with partner (agreement show --json). */
static void
agreement_hash(const struct e2e_node *n, const char *partner, char hex[65])
{
	json_t *j = e2e_liaison_json(n, "agreement", "show", partner, NULL);

	snprintf(hex, 65, "%s", e2e_jstr(j, "sha256"));
	if (strlen(hex) != 64 || !json_is_true(json_object_get(j, "written")))
		fail_msg("%s: agreement show %s --json: %s", n->name, partner, json_dumps(j, JSON_COMPACT));
	json_decref(j);
}

/* The daemon records the agreement now in the file: a ledger leaf with its hash within 5 s. */
static void
wait_agreement_leaf(const struct e2e_node *n, const char *partner)
{
	int64_t dl = e2e_now_ms() + 5000;
	char hex[65];

	agreement_hash(n, partner, hex);
	while (agreement_leaves(n, hex) < 1) {
		if (e2e_now_ms() > dl)
			fail_msg("%s: no agreement leaf with %s (the agreement with %s) within 5 s; %lld agreement "
			    "leaves", n->name, hex, partner, agreement_leaves(n, NULL));
		e2e_sleep_ms(50);
	}
}

static void
agreement_set(struct e2e_node *n, const char *partner, int *changes, ...)
{
	const char *argv[16] = { 0 };
	char *out = NULL, *err = NULL;
	va_list ap;
	int k = 0, rc;

	argv[k++] = "agreement";
	argv[k++] = "set";
	argv[k++] = partner;
	va_start(ap, changes);
	while (k < 15 && (argv[k] = va_arg(ap, const char *)) != NULL)
		k++;
	va_end(ap);
	argv[k] = NULL;
	/* e2e_liaison is variadic: pass what was collected (at most 5 terms here) */
	rc = e2e_liaison(n, NULL, &out, &err, argv[0], argv[1], argv[2], argv[3], argv[4],
	    argv[5], argv[6], argv[7], (const char *)NULL);
	if (rc != 0)
		fail_msg("%s: liaison agreement set %s ... exited %d: %s %s", n->name, partner, rc, out, err);
	free(out);
	free(err);
	(*changes)++;
	wait_agreement_leaf(n, partner);
}

/* Waits until `partner list --json` on n says want for partner. */
static void
wait_agreement_state(const struct e2e_node *n, const char *partner, const char *want, int ms)
{
	int64_t dl = e2e_now_ms() + ms;
	char last[64] = "";

	for (;;) {
		json_t *p = e2e_partner(n, partner);
		if (p == NULL)
			fail_msg("%s has no partner %s", n->name, partner);
		snprintf(last, sizeof(last), "%s", e2e_jstr(p, "agreement"));
		json_decref(p);
		if (strcmp(last, want) == 0)
			return;
		if (e2e_now_ms() > dl)
			fail_msg("%s's partner list says agreement '%s' for %s after %d ms, wanted '%s'", n->name,
			    last, partner, ms, want);
		e2e_sleep_ms(100);
	}
}

/* `policy log --json` on n. */
static json_t *
policy_log(const struct e2e_node *n, const char *partner)
{
	json_t *j = e2e_liaison_json(n, "policy", "log", "--partner", partner, NULL);
	json_t *d = json_incref(json_object_get(j, "decisions"));

	if (!json_is_array(d))
		fail_msg("%s: policy log --json has no decisions array", n->name);
	json_decref(j);
	return d;
}

static long long
queued(const struct e2e_node *n, const char *partner)
{
	json_t *p = e2e_partner(n, partner);
	long long q;

	if (p == NULL)
		fail_msg("%s has no partner %s", n->name, partner);
	q = e2e_jint(p, "queued");
	json_decref(p);
	return q;
}

struct held {
	struct e2e_map m;             /* id -> malloc'd bytes */
};

static void
on_held(void *arg, const char *s, size_t len)
{
	struct held *h = arg;
	json_error_t je;
	json_t *o = json_loadb(s, len, 0, &je);
	void **slot;
	int isnew;

	if (o == NULL)
		fail_msg("B holds an object that is not JSON: %.200s", s);
	slot = e2e_map_put(&h->m, e2e_jstr(o, "id"), &isnew);
	if (!isnew)
		fail_msg("B's from-cert-a holds %s twice", e2e_jstr(o, "id"));
	*slot = strndup(s, len);
	json_decref(o);
}

/* Waits until A's log has out_want entries, B's log in_want, B holds b_want, A queues nothing. */
static void
settle(size_t out_want, size_t in_want, size_t b_want, const char *what)
{
	int64_t t0 = e2e_now_ms(), dl = t0 + SETTLE_MS;
	size_t nb = 0, no = 0, ni = 0;
	long long q = -1;

	for (;;) {
		json_t *lo = policy_log(&A, "cert-b"), *li = policy_log(&B, "cert-a");
		no = json_array_size(lo);
		ni = json_array_size(li);
		json_decref(lo);
		json_decref(li);
		nb = e2e_count(&b_admin, b_from_a);
		q = queued(&A, "cert-b");
		if (no > out_want || ni > in_want || nb > b_want)
			fail_msg("%s: too much: A's policy log %zu (want %zu), B's %zu (want %zu), B holds %zu "
			    "(want %zu)", what, no, out_want, ni, in_want, nb, b_want);
		if (no == out_want && ni == in_want && nb == b_want && q == 0)
			break;
		if (e2e_now_ms() > dl)
			fail_msg("%s: not settled in %d ms: A's policy log %zu (want %zu), B's %zu (want %zu), "
			    "B holds %zu (want %zu), A queues %lld", what, SETTLE_MS, no, out_want, ni, in_want,
			    nb, b_want, q);
		e2e_sleep_ms(100);
	}
	log_time("%s: settled in %.1f s", what, (double)(e2e_now_ms() - t0) / 1000);
}

/* The entries of a policy log for id (exactly one expected); NULL if none. */
static const json_t *
log_entry(const json_t *log, const char *id)
{
	const json_t *v, *found = NULL;
	size_t i;

	json_array_foreach(log, i, v) {
		if (strcmp(e2e_jstr(v, "object"), id) != 0)
			continue;
		if (found != NULL)
			fail_msg("the policy log has %s twice", id);
		found = v;
	}
	return found;
}

/* ---- the test ---- */

enum { CLEAR, GREEN, AMBER, AMBER_STRICT, RED, UNMARKED, WHITE, SECRET_O, GRAN_RED, GRAN_AMBER,
	REL_OK, REL_RED, N_OBJ };

static struct obj objs[N_OBJ];

static void
test_same_agreement(void **state)
{
	const char *a_started[] = { "\"event\":\"link_started\"", "\"partner\":\"cert-b\"", NULL };
	const char *b_started[] = { "\"event\":\"link_started\"", "\"partner\":\"cert-a\"", NULL };
	const char *posted[N_OBJ];
	struct held h;
	json_t *st, *log, *x;
	size_t i, kept = 0, arrived = 0;
	char a_hex[65], b_hex[65];

	(void)state;
	/* pair both ways; each node's partner add writes the default terms (a change: a leaf) */
	json_decref(e2e_pair(&A, &B, NULL));
	a_changes++;
	wait_agreement_leaf(&A, "cert-b");
	agreement_set(&A, "cert-b", &a_changes, "out.max_tlp=green", "out.strip=x_*", NULL);
	json_decref(e2e_pair(&B, &A, NULL));
	b_changes++;
	wait_agreement_leaf(&B, "cert-a");
	agreement_set(&B, "cert-a", &b_changes, "in.max_tlp=green", "in.strip=x_*", NULL);
	e2e_coll_id(&B, "from-cert-a", b_from_a);
	if (e2e_log_wait(&A, a_started, 1, 5000) < 1 || e2e_log_wait(&B, b_started, 1, 5000) < 1)
		fail_msg("a daemon did not start its link within 5 s of `partner add`");
	agreement_hash(&A, "cert-b", a_hex);
	agreement_hash(&B, "cert-a", b_hex);
	if (strcmp(a_hex, b_hex) != 0)
		fail_msg("A holds %s, B holds %s: the terms set on both sides should give one hash", a_hex,
		    b_hex);
	wait_agreement_state(&A, "cert-b", "same", 5000);
	wait_agreement_state(&B, "cert-a", "same", 5000);
	log_time("paired, both hold agreement %.16s...: same", a_hex);

	/* the objects */
	objs[CLEAR].s = indicator(objs[CLEAR].id, "clear", MARKS(M_CLEAR));
	objs[GREEN].s = indicator(objs[GREEN].id, "green", MARKS(M_GREEN));
	objs[AMBER].s = indicator(objs[AMBER].id, "amber", MARKS(M_AMBER));
	objs[AMBER].rule = "tlp-ceiling";
	objs[AMBER_STRICT].s = indicator(objs[AMBER_STRICT].id, "amber-strict", MARKS(M_AMBER_STRICT));
	objs[AMBER_STRICT].rule = "tlp-ceiling";
	objs[RED].s = indicator(objs[RED].id, "red", MARKS(M_RED));
	objs[RED].rule = "tlp-red";
	objs[UNMARKED].s = indicator(objs[UNMARKED].id, "unmarked", "");
	objs[UNMARKED].rule = "tlp-ceiling";          /* taken as AMBER */
	objs[WHITE].s = indicator(objs[WHITE].id, "white", MARKS(M_WHITE1));
	objs[SECRET_O].s = indicator(objs[SECRET_O].id, "secret", SECRET MARKS(M_GREEN));
	objs[SECRET_O].want = without(objs[SECRET_O].s, SECRET);
	/* a RED granular marking: RED never leaves (rule 1 before rule 2) */
	objs[GRAN_RED].s = indicator(objs[GRAN_RED].id, "granular-red", MARKS(M_GREEN)
	    ",\"granular_markings\":[{\"marking_ref\":\"" M_RED "\",\"selectors\":[\"pattern\"]}]");
	objs[GRAN_RED].rule = "tlp-red";
	/* an AMBER one, above the GREEN ceiling: the whole object stays home */
	objs[GRAN_AMBER].s = indicator(objs[GRAN_AMBER].id, "granular-amber", MARKS(M_GREEN)
	    ",\"granular_markings\":[{\"marking_ref\":\"" M_AMBER "\",\"selectors\":[\"pattern\"]}]");
	objs[GRAN_AMBER].rule = "granular";
	objs[REL_OK].s = relationship(objs[REL_OK].id, objs[CLEAR].id, objs[GREEN].id);
	objs[REL_RED].s = relationship(objs[REL_RED].id, objs[CLEAR].id, objs[RED].id);
	objs[REL_RED].rule = "ref";
	for (i = 0; i < N_OBJ; i++) {
		if (objs[i].rule == NULL && objs[i].want == NULL)
			objs[i].want = strdup(objs[i].s);
		kept += objs[i].rule != NULL;
		arrived += objs[i].want != NULL;
		posted[i] = objs[i].s;
	}
	st = e2e_post_objs(&a_admin, a_shared, posted, N_OBJ);
	e2e_assert_status(st, N_OBJ, N_OBJ, 0);
	json_decref(st);
	log_time("posted %d objects on A: %zu may go, %zu stay home", N_OBJ, arrived, kept);
	settle(kept, 0, arrived, "phase 1");

	/* exactly the allowed ones arrived, byte for byte (x_secret stripped) */
	e2e_map_init(&h.m);
	e2e_walk_objects(&b_admin, b_from_a, 100, on_held, &h);
	for (i = 0; i < N_OBJ; i++) {
		char **got = (char **)e2e_map_get(&h.m, objs[i].id);
		if (objs[i].want == NULL && got != NULL)
			fail_msg("%s reached B though it should stay home (%s): %s", objs[i].id,
			    objs[i].rule, *got);
		if (objs[i].want != NULL && got == NULL)
			fail_msg("%s did not reach B: %s", objs[i].id, posted[i]);
		if (objs[i].want != NULL && strcmp(*got, objs[i].want) != 0)
			fail_msg("%s arrived with other bytes:\n got: %s\nwant: %s", objs[i].id, *got,
			    objs[i].want);
	}
	e2e_map_release(&h.m, free);
	{
		/* the stripped one, as B's TAXII serves it */
		struct e2e_resp r = { 0 };
		e2e_get(&b_admin, e2e_path(API "/collections/%s/objects/%s/", b_from_a, objs[SECRET_O].id), &r);
		e2e_assert_objects(&r, (const char *const *)&objs[SECRET_O].want, 1);
		if (strstr(r.body, "x_secret") != NULL || strstr(r.body, "hunter2") != NULL)
			fail_msg("B serves the custom property A's agreement strips: %s", r.body);
		e2e_resp_release(&r);
	}
	log_time("B holds exactly the %zu allowed objects, x_secret stripped, the rest byte for byte", arrived);

	/* A's policy log: one entry per object kept home, with its rule */
	log = policy_log(&A, "cert-b");
	for (i = 0; i < N_OBJ; i++) {
		const json_t *e = log_entry(log, objs[i].id);
		if (objs[i].rule == NULL) {
			if (e != NULL)
				fail_msg("A's policy log names %s, which went: %s", objs[i].id, json_dumps(e, 0));
			continue;
		}
		if (e == NULL)
			fail_msg("A's policy log does not name %s (kept home by %s)", objs[i].id, objs[i].rule);
		if (strcmp(e2e_jstr(e, "rule"), objs[i].rule) != 0 || strcmp(e2e_jstr(e, "direction"), "out") != 0 ||
		    strcmp(e2e_jstr(e, "partner"), "cert-b") != 0 ||
		    strcmp(e2e_jstr(e, "version"), "2020-01-01T00:00:00.000Z") != 0 ||
		    strstr(e2e_jstr(e, "reason"), objs[i].id) == NULL)
			fail_msg("A's policy log entry for %s: %s; wanted rule %s, direction out, partner cert-b, "
			    "the version and a reason naming the object", objs[i].id, json_dumps(e, 0), objs[i].rule);
	}
	json_decref(log);
	log_time("A's policy log: %zu entries, one per object kept home, rules right", kept);

	/* policy explain agrees */
	x = e2e_liaison_json(&A, "policy", "explain", objs[AMBER].id, "--partner", "cert-b", NULL);
	if (json_is_true(json_object_get(x, "allowed")) || strcmp(e2e_jstr(x, "rule"), "tlp-ceiling") != 0 ||
	    strcmp(e2e_jstr(x, "partner"), "cert-b") != 0)
		fail_msg("policy explain (AMBER): %s", json_dumps(x, JSON_COMPACT));
	json_decref(x);
	x = e2e_liaison_json(&A, "policy", "explain", objs[CLEAR].id, "--partner", "cert-b", NULL);
	if (!json_is_true(json_object_get(x, "allowed")) || strcmp(e2e_jstr(x, "rule"), "allow") != 0)
		fail_msg("policy explain (CLEAR): %s", json_dumps(x, JSON_COMPACT));
	json_decref(x);
	x = e2e_liaison_json(&A, "policy", "explain", objs[SECRET_O].id, "--partner", "cert-b", NULL);
	if (!json_is_true(json_object_get(x, "allowed")) || !json_is_true(json_object_get(x, "strip")))
		fail_msg("policy explain (x_secret): %s", json_dumps(x, JSON_COMPACT));
	json_decref(x);

	if (e2e_node_metric(&a_admin, "liaison_policy_refused_total{direction=\"out\"}") != (long long)kept ||
	    e2e_node_metric(&b_admin, "liaison_policy_refused_total{direction=\"in\"}") != 0)
		fail_msg("liaison_policy_refused_total: A out %lld, B in %lld; wanted %zu and 0",
		    e2e_node_metric(&a_admin, "liaison_policy_refused_total{direction=\"out\"}"),
		    e2e_node_metric(&b_admin, "liaison_policy_refused_total{direction=\"in\"}"), kept);
	log_time("policy explain and /metrics agree");
}

/* The receipt of A's latest envelope to B: stored, duplicate, refused (bytes 120..131). */
static void
last_receipt(unsigned *stored, unsigned *dup, unsigned *refused)
{
	struct e2e_db *db = e2e_db_open(&A, 0);
	long long last = e2e_db_int(db, "SELECT coalesce(max(seq), 0) FROM envelopes WHERE dir = 0");
	size_t len;
	uint8_t *b = e2e_db_blob(db, "SELECT receipt FROM envelopes WHERE dir = 0 AND seq = ?", last,
	    &len);

	if (b == NULL)
		fail_msg("A has no envelope out");
	if (len != 208)
		fail_msg("A's last envelope has a receipt of %zu bytes", len);
#define BE32(p) ((unsigned)(p)[0] << 24 | (unsigned)(p)[1] << 16 | (unsigned)(p)[2] << 8 | (p)[3])
	*stored = BE32(b + 120);
	*dup = BE32(b + 124);
	*refused = BE32(b + 128);
#undef BE32
	free(b);
	e2e_db_close(db);
}

static void
test_different_agreement(void **state)
{
	char i1[64], i2[64], rel[64];
	char *s[3];
	json_t *st, *log, *el;
	const json_t *e;
	unsigned stored, dup, refused;
	size_t kept_out = 0, n_b = 0, i;
	struct e2e_resp r = { 0 };

	(void)state;
	for (i = 0; i < N_OBJ; i++) {
		kept_out += objs[i].rule != NULL;
		n_b += objs[i].want != NULL;
	}
	agreement_set(&B, "cert-a", &b_changes, "in.types=indicator,identity", NULL);
	wait_agreement_state(&B, "cert-a", "DIFFERENT", 5000);
	wait_agreement_state(&A, "cert-b", "DIFFERENT", 5000);
	st = e2e_liaison_json(&B, "agreement", "show", "cert-a", NULL);
	if (strcmp(e2e_jstr(st, "partner_holds"), "DIFFERENT") != 0 ||
	    strcmp(e2e_jstr(st, "partner_sha256"), e2e_jstr(st, "sha256")) == 0)
		fail_msg("B's agreement show cert-a --json after the change: %s", json_dumps(st, JSON_COMPACT));
	json_decref(st);
	log_time("B narrowed in.types: both sides say DIFFERENT");

	s[0] = indicator(i1, "phase2-one", MARKS(M_CLEAR));
	s[1] = indicator(i2, "phase2-two", MARKS(M_CLEAR));
	s[2] = relationship(rel, i1, i2);
	st = e2e_post_objs(&a_admin, a_shared, (const char *const *)s, 3);
	e2e_assert_status(st, 3, 3, 0);
	json_decref(st);
	settle(kept_out, 1, n_b + 2, "phase 2");

	/* B refused the relationship at ingress, and says why */
	log = policy_log(&B, "cert-a");
	e = log_entry(log, rel);
	if (e == NULL || strcmp(e2e_jstr(e, "direction"), "in") != 0 || strcmp(e2e_jstr(e, "rule"), "type") != 0 ||
	    strcmp(e2e_jstr(e, "partner"), "cert-a") != 0)
		fail_msg("B's policy log: %s; wanted the relationship %s, direction in, rule type",
		    json_dumps(log, JSON_COMPACT), rel);
	json_decref(log);
	e2e_get(&b_admin, e2e_path(API "/collections/%s/objects/%s/", b_from_a, rel), &r);
	if (r.status != 404)
		fail_msg("B serves the relationship it refused: %ld %s", r.status, r.body);
	for (i = 0; i < 2; i++) {
		e2e_get(&b_admin, e2e_path(API "/collections/%s/objects/%s/", b_from_a, i ? i2 : i1), &r);
		e2e_assert_objects(&r, (const char *const *)&s[i], 1);
	}
	e2e_resp_release(&r);

	/* the receipt counts it refused; the envelope list and /metrics say the same */
	last_receipt(&stored, &dup, &refused);
	if (stored != 2 || dup != 0 || refused != 1)
		fail_msg("the receipt of A's last envelope: %u new, %u dup, %u refused; wanted 2, 0, 1",
		    stored, dup, refused);
	el = e2e_liaison_json(&A, "envelope", "list", "--partner", "cert-b", "--limit", "1", NULL);
	if (strcmp(e2e_jstr(json_array_get(json_object_get(el, "envelopes"), 0), "receipt_objects"),
	    "2 new, 0 dup, 1 refused") != 0)
		fail_msg("A's envelope list: %s", json_dumps(el, JSON_COMPACT));
	json_decref(el);
	if (e2e_node_metric(&b_admin, "liaison_policy_refused_total{direction=\"in\"}") != 1 ||
	    e2e_node_metric(&a_admin, "liaison_policy_refused_total{direction=\"out\"}") != (long long)kept_out)
		fail_msg("liaison_policy_refused_total after phase 2: B in %lld, A out %lld",
		    e2e_node_metric(&b_admin, "liaison_policy_refused_total{direction=\"in\"}"),
		    e2e_node_metric(&a_admin, "liaison_policy_refused_total{direction=\"out\"}"));
	for (i = 0; i < 3; i++)
		free(s[i]);
	log_time("B refused the relationship at ingress: policy log, receipt (1 refused), /metrics");
}

static void
verify(const struct e2e_node *n, int changes)
{
	char *out = NULL, *err = NULL;
	int rc = e2e_liaison(n, NULL, &out, &err, "log", "verify", NULL);
	json_t *j;
	long long leaves;

	if (rc != 0 || strstr(out, "ledger OK:") == NULL)
		fail_msg("liaison log verify (%s) exited %d: %s %s", n->name, rc, out, err);
	free(out);
	free(err);
	j = e2e_liaison_json(n, "log", "verify", NULL);
	if (!json_is_true(json_object_get(j, "ok")))
		fail_msg("%s: log verify --json: %s", n->name, json_dumps(j, JSON_COMPACT));
	json_decref(j);
	leaves = agreement_leaves(n, NULL);
	if (leaves < changes)
		fail_msg("%s made %d agreement changes, its ledger has %lld agreement leaves", n->name,
		    changes, leaves);
	log_time("%s: log verify OK, %lld agreement leaves for %d changes", n->name, leaves, changes);
}

static void
test_verify(void **state)
{
	(void)state;
	verify(&A, a_changes);
	verify(&B, b_changes);
}

/* ---- setup ---- */

static void
node_setup(struct e2e_node *n, const char *name)
{
	e2e_node_init_linked(n, name);
	e2e_user_add(n, "admin", PW, 1, NULL);
}

static int
setup(void **state)
{
	(void)state;
	t_start = e2e_now_ms();
	e2e_require_bins();
	node_setup(&A, "cert-a");
	node_setup(&B, "cert-b");
	e2e_coll_id(&A, "shared", a_shared);
	e2e_node_start(&A);
	e2e_node_start(&B);
	e2e_client_basic(&a_admin, &A, "admin", PW);
	e2e_client_basic(&b_admin, &B, "admin", PW);
	log_time("nodes started");
	return 0;
}

static int
teardown(void **state)
{
	int ra, rb;
	size_t i;

	(void)state;
	e2e_client_release(&a_admin);
	e2e_client_release(&b_admin);
	for (i = 0; i < N_OBJ; i++) {
		free(objs[i].s);
		free(objs[i].want);
	}
	ra = e2e_node_finish(&A);
	rb = e2e_node_finish(&B);
	log_time("done");
	return ra < 0 || rb < 0 ? -1 : 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_agreement),
		cmocka_unit_test(test_different_agreement),
		cmocka_unit_test(test_verify),
	};

	return cmocka_run_group_tests_name("e2e/policy", tests, setup, teardown);
}
