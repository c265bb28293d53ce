/*
 * End-to-end: the peer listener refuses what a partner must not get in. The
 * test plays partner C of a real liaisond A: C's home is made with `liaison
 * init` and paired with A but never started; the test signs envelopes with
 * C's key and posts them over a mutual TLS 1.3 connection with C's
 * certificate. Every refusal is checked four ways: the reply (reason and
 * seq), the counter on /metrics (up by exactly one), the daemon's log line,
 * and that nothing of it was stored (A's envelopes from C and the objects of
 * from-C are unchanged). TLS refusals: an unknown certificate, none, TLS 1.2,
 * and a partner removed while its connection is open.
 */
#include "e2e.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/cx.h"
#include "wire/envelope.h"
#include "util/enc.h"
#include "util/err.h"

#define path(...) e2e_path(__VA_ARGS__)
#define PW "refusals-password"
#define BATCH_BYTES 65536u           /* A's [peer] batch_bytes */
/* what A's peer listener accepts in one request (src/daemon/main.c) */
#define MAX_BODY ((size_t)BATCH_BYTES + ENV_BODY_MAX + ENV_HEADER_LEN + ENV_SIG_LEN)
#define LOG_WAIT_MS 5000

static struct e2e_node A, C, D;
static struct e2e_client admin;       /* TAXII admin of A; also reads /metrics */
static struct e2e_peer cp;            /* C's kept-alive link to A */
static struct cx_key *c_key, *d_key;
static uint8_t a_pub[32], a_id[32], c_id[32], d_id[32];
static char a_pin[128], c_cert[320], c_tlskey[320], d_cert[320], d_tlskey[320];
static char c_spki_hex[65], d_spki_hex[65], from_c[64];
static uint64_t next_seq = 1;         /* the next seq A expects from C */
static size_t c_objects;              /* object versions from-C must hold */

static const char *const reasons[] = {
	"malformed", "bad_signature", "wrong_sender", "wrong_recipient", "gap", "replay",
	"too_big", "unsupported", "store",
};
#define N_REASONS (sizeof(reasons) / sizeof(reasons[0]))

/* ---- helpers ---- */

static void
b64_field(const json_t *j, const char *key, uint8_t out[32])
{
	const char *s = json_string_value(json_object_get(j, key));
	size_t n = 0;

	if (s == NULL || b64_decode(s, strlen(s), out, 32, &n, 0) < 0 || n != 32)
		fail_msg("identity member '%s' is not 32 bytes of base64: %s", key, s ? s : "(none)");
}

static struct cx_key *
load_key(const struct e2e_node *n)
{
	struct err err = ERR_INIT;
	struct cx_key *k = NULL;
	char p[400];

	snprintf(p, sizeof(p), "%s/keys/signing.pem", n->home);
	if (cx_key_load(p, &k, &err) < 0)
		fail_msg("cannot load %s: %s", p, err.msg);
	return k;
}

/* A bundle of n fresh indicators named tag-i. */
static char *
bundle(size_t n, const char *tag, size_t *ret_len)
{
	struct e2e_str s = { 0 };
	char u[37], id[64], o[1024], name[96];
	size_t i;

	e2e_uuid4(u);
	e2e_str_addf(&s, "{\"type\":\"bundle\",\"id\":\"bundle--%s\",\"objects\":[", u);
	for (i = 0; i < n; i++) {
		e2e_uuid4(u);
		snprintf(id, sizeof(id), "indicator--%s", u);
		snprintf(name, sizeof(name), "%s-%zu", tag, i);
		e2e_indicator(o, sizeof(o), id, name, (int64_t)i);
		e2e_str_addf(&s, "%s%s", i ? "," : "", o);
	}
	e2e_str_add(&s, "]}", 2);
	*ret_len = s.len;
	return s.s;
}

struct env {
	uint8_t *b;
	size_t len;
	uint8_t id[ENV_ID_LEN];
	char *body;                   /* the bundle */
	size_t body_len;
	size_t n;                     /* objects */
};

static void
env_release(struct env *e)
{
	free(e->b);
	free(e->body);
	memset(e, 0, sizeof(*e));
}

/* Signs body as envelope seq with signer, from and to key ids, kind. */
static void
seal_kind(struct env *e, int kind, const struct cx_key *signer, const uint8_t from[32],
    const uint8_t to[32], uint64_t seq)
{
	struct env_header h = { 0 };
	struct err err = ERR_INIT;
	size_t cap = ENV_HEADER_LEN + e->body_len + ENV_SIG_LEN;

	h.kind = (uint8_t)kind;
	memcpy(h.from, from, 32);
	memcpy(h.to, to, 32);
	h.seq = seq;
	h.time_us = (int64_t)time(NULL) * 1000000;
	h.items = (uint32_t)e->n;
	e->b = malloc(cap);
	if (e->b == NULL || env_seal(&h, (const uint8_t *)e->body, e->body_len, signer, e->b, cap,
	    &e->len, e->id, &err) < 0)
		fail_msg("env_seal: %s", err.msg);
}

/* A share envelope from C to A with n fresh indicators. */
static void
make_env(struct env *e, uint64_t seq, size_t n, const char *tag)
{
	memset(e, 0, sizeof(*e));
	e->n = n;
	e->body = bundle(n, tag, &e->body_len);
	seal_kind(e, 1, c_key, c_id, a_id, seq);
}

static void
hex(const uint8_t *b, size_t n, char *out)
{
	hex_encode(b, n, out);
}

/* What A stored from C: its envelope list and the objects of from-C. */
struct snap {
	char *envs;                   /* `envelope list --in` as compact JSON */
	size_t n_envs, objects;
	char *metrics;
	size_t log_refused, log_tls;
};

static void
snap_take(struct snap *s)
{
	json_t *j = e2e_liaison_json(&A, "envelope", "list", "--partner", "cert-c", "--in",
	    "--limit", "100000", NULL);
	json_t *envs = json_object_get(j, "envelopes");
	struct e2e_resp r = { 0 };

	s->envs = json_dumps(envs, JSON_COMPACT | JSON_SORT_KEYS);
	s->n_envs = json_array_size(envs);
	json_decref(j);
	s->objects = e2e_count(&admin, from_c);
	e2e_metrics(&admin, &r);
	s->metrics = strdup(r.body);
	e2e_resp_release(&r);
}

static void
snap_release(struct snap *s)
{
	free(s->envs);
	free(s->metrics);
	memset(s, 0, sizeof(*s));
}

static long long
metric(const struct snap *s, const char *series)
{
	long long v = e2e_metric(s->metrics, series);

	if (v < 0)
		fail_msg("/metrics has no series %s", series);
	return v;
}

static long long
refused_count(const struct snap *s, const char *reason)
{
	char series[128];

	snprintf(series, sizeof(series), "liaison_peer_refused_total{reason=\"%s\"}", reason);
	return metric(s, series);
}

/* Every refusal counter is as before, except reason's, which went up by one. */
static void
assert_counted(const struct snap *before, const struct snap *after, const char *reason)
{
	size_t i;

	for (i = 0; i < N_REASONS; i++) {
		long long b = refused_count(before, reasons[i]), a = refused_count(after, reasons[i]);
		long long want = b + (reason != NULL && strcmp(reasons[i], reason) == 0);
		if (a != want)
			fail_msg("liaison_peer_refused_total{reason=\"%s\"} went from %lld to %lld, wanted %lld",
			    reasons[i], b, a, want);
	}
}

/* Nothing new from C: the same envelopes (and receipts) and the same objects. */
static void
assert_nothing_stored(const struct snap *before, const struct snap *after, const char *what)
{
	if (strcmp(before->envs, after->envs) != 0)
		fail_msg("%s: A's envelopes from C changed:\nbefore: %.600s\nafter:  %.600s", what,
		    before->envs, after->envs);
	if (before->objects != after->objects)
		fail_msg("%s: from-cert-c went from %zu to %zu object versions", what, before->objects,
		    after->objects);
}

/* POSTs a batch on C's link; the reply must be 200 JSON. */
static json_t *
post_batch(const void *b, size_t len, struct e2e_resp *r)
{
	if (e2e_peer_do(&cp, "/peer/v1/envelopes", b, len, 0, r) != 0)
		fail_msg("POST /peer/v1/envelopes failed at the transport level: curl %d", r->curl_rc);
	if (r->status != 200)
		fail_msg("POST /peer/v1/envelopes answered %ld: %.400s", r->status, r->body);
	if (e2e_hdr(r, "Content-Type") == NULL || strncmp(e2e_hdr(r, "Content-Type"), "application/json", 16) != 0)
		fail_msg("the peer API answered with Content-Type %s", e2e_hdr(r, "Content-Type") ?: "(none)");
	return e2e_json(r);
}

/* Decodes and verifies receipt i of a reply for envelope e (seq) under A's key. */
static void
check_receipt(const char *b64, const struct env *e, uint64_t seq, uint32_t stored,
    uint32_t dup, uint8_t out[RCPT_LEN])
{
	struct err err = ERR_INIT;
	struct rcpt rc;
	size_t n = 0;

	if (b64 == NULL || b64_decode(b64, strlen(b64), out, RCPT_LEN, &n, 0) < 0 || n != RCPT_LEN)
		fail_msg("a receipt is not %d bytes of base64: %s", RCPT_LEN, b64 ? b64 : "(none)");
	if (rcpt_open(out, RCPT_LEN, a_pub, &rc, &err) < 0)
		fail_msg("the receipt for seq %llu does not verify under A's signing key: %s",
		    (unsigned long long)seq, err.msg);
	assert_int_equal(rc.seq, seq);
	assert_memory_equal(rc.env_id, e->id, 32);
	assert_memory_equal(rc.from, c_id, 32);
	assert_memory_equal(rc.to, a_id, 32);
	assert_int_equal(rc.status, 0);
	assert_int_equal(rc.stored, stored);
	assert_int_equal(rc.duplicate, dup);
	assert_int_equal(rc.refused, 0);
	/* accepted a moment ago, by A's clock (same machine) */
	{
		int64_t now = (int64_t)time(NULL) * 1000000;
		if (rc.time_us < now - 120 * 1000000LL || rc.time_us > now + 5 * 1000000LL)
			fail_msg("the receipt's time %lld is not close to now %lld", (long long)rc.time_us,
			    (long long)now);
	}
}

/*
 * Posts a batch that A must refuse at envelope `seq` for `reason` after
 * accepting `accepted` envelopes before it; checks the reply, the counter,
 * the log line and that nothing of the refused envelope was stored.
 */
static void
expect_refused(const void *b, size_t len, size_t accepted, const char *reason, uint64_t seq,
    const char *what)
{
	struct snap before, after;
	struct e2e_resp r = { 0 };
	char r_reason[64], r_seq[48];
	const char *needles[] = { "\"event\":\"envelope_refused\"", "\"partner\":\"cert-c\"", r_reason,
				  r_seq, NULL };
	json_t *j, *ref;
	size_t logged;

	snprintf(r_reason, sizeof(r_reason), "\"reason\":\"%s\"", reason);
	snprintf(r_seq, sizeof(r_seq), "\"seq\":%llu,", (unsigned long long)seq);
	snap_take(&before);
	before.log_refused = e2e_log_count(&A, needles);
	j = post_batch(b, len, &r);
	ref = json_object_get(j, "refused");
	if (!json_is_object(ref))
		fail_msg("%s: not refused: %.400s", what, r.body);
	if (json_integer_value(json_object_get(j, "accepted")) != (json_int_t)accepted ||
	    json_array_size(json_object_get(j, "receipts")) != accepted)
		fail_msg("%s: wanted %zu accepted with as many receipts: %.400s", what, accepted, r.body);
	if (strcmp(json_string_value(json_object_get(ref, "reason")) ?: "", reason) != 0 ||
	    !json_is_integer(json_object_get(ref, "seq")) ||
	    json_integer_value(json_object_get(ref, "seq")) != (json_int_t)seq)
		fail_msg("%s: wanted reason %s at seq %llu, got: %.400s", what, reason,
		    (unsigned long long)seq, r.body);
	if (json_string_length(json_object_get(ref, "message")) == 0)
		fail_msg("%s: the refusal has no message: %.400s", what, r.body);
	fprintf(stderr, "e2e/peer_refusals: %-34s -> %s (seq %llu): %s\n", what, reason,
	    (unsigned long long)seq, json_string_value(json_object_get(ref, "message")));
	logged = e2e_log_wait(&A, needles, before.log_refused + 1, LOG_WAIT_MS);
	if (logged != before.log_refused + 1)
		fail_msg("%s: the daemon logged %zu envelope_refused lines with %s and %s, wanted %zu",
		    what, logged, r_reason, r_seq, before.log_refused + 1);
	snap_take(&after);
	assert_counted(&before, &after, reason);
	if (accepted == 0) {
		assert_nothing_stored(&before, &after, what);
		assert_int_equal(metric(&after, "liaison_peer_envelopes_total{event=\"received\"}"),
		    metric(&before, "liaison_peer_envelopes_total{event=\"received\"}"));
	} else {
		assert_int_equal(after.n_envs, before.n_envs + accepted);
	}
	json_decref(j);
	e2e_resp_release(&r);
	snap_release(&before);
	snap_release(&after);
}

/* A good envelope: accepted with a receipt, its objects in from-C byte for byte. */
static void
expect_accepted(const struct env *e, uint64_t seq, uint8_t rc_out[RCPT_LEN])
{
	struct snap before, after;
	struct e2e_resp r = { 0 };
	json_t *j;
	uint8_t rc[RCPT_LEN];
	struct e2e_span *sp;
	long n;
	size_t i;

	snap_take(&before);
	j = post_batch(e->b, e->len, &r);
	if (json_object_get(j, "refused") != NULL || json_integer_value(json_object_get(j, "accepted")) != 1 ||
	    json_array_size(json_object_get(j, "receipts")) != 1)
		fail_msg("envelope %llu was not accepted: %.400s", (unsigned long long)seq, r.body);
	check_receipt(json_string_value(json_array_get(json_object_get(j, "receipts"), 0)), e, seq,
	    (uint32_t)e->n, 0, rc);
	if (rc_out != NULL)
		memcpy(rc_out, rc, RCPT_LEN);
	c_objects += e->n;
	json_decref(j);
	snap_take(&after);
	assert_counted(&before, &after, NULL);
	assert_int_equal(after.n_envs, before.n_envs + 1);
	assert_int_equal(after.objects, before.objects + e->n);
	assert_int_equal(metric(&after, "liaison_peer_envelopes_total{event=\"received\"}"),
	    metric(&before, "liaison_peer_envelopes_total{event=\"received\"}") + 1);
	assert_int_equal(metric(&after, "liaison_peer_objects_total{event=\"received\"}"),
	    metric(&before, "liaison_peer_objects_total{event=\"received\"}") + (long long)e->n);
	/* the newest envelope in the list is this one, receipted */
	{
		json_t *l = e2e_liaison_json(&A, "envelope", "list", "--partner", "cert-c", "--in",
		    "--limit", "1", NULL);
		json_t *x = json_array_get(json_object_get(l, "envelopes"), 0);
		char idhex[65];
		hex(e->id, 32, idhex);
		if (json_integer_value(json_object_get(x, "seq")) != (json_int_t)seq ||
		    strcmp(json_string_value(json_object_get(x, "id")) ?: "", idhex) != 0 ||
		    json_integer_value(json_object_get(x, "objects")) != (json_int_t)e->n ||
		    strcmp(json_string_value(json_object_get(x, "receipt")) ?: "", "receipted") != 0 ||
		    strcmp(json_string_value(json_object_get(x, "kind")) ?: "", "share") != 0)
			fail_msg("envelope list does not show envelope %llu (%s) receipted: %s",
			    (unsigned long long)seq, idhex, json_dumps(x, JSON_COMPACT));
		json_decref(l);
	}
	/* its objects, byte for byte, as the bundle carried them */
	n = e2e_json_array_spans(e->body, e->body_len, "objects", 0, &sp);
	assert_int_equal(n, (long)e->n);
	for (i = 0; i < e->n; i++) {
		char *want = strndup(sp[i].s, sp[i].len);
		json_t *o = json_loadb(sp[i].s, sp[i].len, 0, NULL);
		const char *oid = json_string_value(json_object_get(o, "id"));
		const char *w[1] = { want };
		e2e_get(&admin, path(API "/collections/%s/objects/%s/", from_c, oid), &r);
		json_decref(e2e_assert_ok(&r, 200));
		e2e_assert_objects(&r, w, 1);
		json_decref(o);
		free(want);
	}
	free(sp);
	e2e_resp_release(&r);
	snap_release(&before);
	snap_release(&after);
}

/* GET /peer/v1/hello on C's link: A's answer about C. */
static json_t *
hello(struct e2e_resp *r)
{
	if (e2e_peer_do(&cp, "/peer/v1/hello", NULL, 0, 0, r) != 0 || r->status != 200)
		fail_msg("GET /peer/v1/hello with C's certificate: curl %d, HTTP %ld: %.300s", r->curl_rc,
		    r->status, r->body ? r->body : "");
	return e2e_json(r);
}

/* ---- setup ---- */

static int
setup(void **state)
{
	const char *started[] = { "\"event\":\"link_started\"", "\"partner\":\"cert-c\"", NULL };
	char v[32];
	json_t *j;

	e2e_node_init(&A, "cert-a");
	snprintf(v, sizeof(v), "%u", BATCH_BYTES);
	e2e_node_conf(&A, "peer", "batch_bytes", v);
	e2e_user_add(&A, "admin", PW, 1, NULL);
	e2e_node_init(&C, "cert-c");
	e2e_node_init(&D, "cert-d");
	e2e_node_start(&A);
	e2e_client_basic(&admin, &A, "admin", PW);

	/* C never runs: its endpoint is a port nobody listens on */
	C.peer_port = 1;
	json_decref(e2e_pair(&A, &C, NULL));
	if (e2e_log_wait(&A, started, 1, 5000) != 1)
		fail_msg("A did not start a link to cert-c within 5 s of `partner add`");

	j = e2e_liaison_json(&A, "identity", "show", NULL);
	b64_field(j, "signing_key", a_pub);
	env_key_id(a_pub, a_id);
	snprintf(a_pin, sizeof(a_pin), "sha256//%s", json_string_value(json_object_get(j, "tls_spki_sha256")));
	json_decref(j);

	c_key = load_key(&C);
	d_key = load_key(&D);
	{
		uint8_t pub[32], shown[32];
		cx_key_public(c_key, pub);
		j = e2e_liaison_json(&C, "identity", "show", NULL);
		b64_field(j, "signing_key", shown);
		if (memcmp(pub, shown, 32) != 0)
			fail_msg("C's keys/signing.pem is not the key `identity show` names");
		snprintf(c_spki_hex, sizeof(c_spki_hex), "%s",
		    json_string_value(json_object_get(j, "tls_spki_sha256_hex")) ?: "");
		json_decref(j);
		env_key_id(pub, c_id);
		cx_key_public(d_key, pub);
		env_key_id(pub, d_id);
		j = e2e_liaison_json(&D, "identity", "show", NULL);
		snprintf(d_spki_hex, sizeof(d_spki_hex), "%s",
		    json_string_value(json_object_get(j, "tls_spki_sha256_hex")) ?: "");
		json_decref(j);
	}
	snprintf(c_cert, sizeof(c_cert), "%s/tls/cert.pem", C.home);
	snprintf(c_tlskey, sizeof(c_tlskey), "%s/tls/key.pem", C.home);
	snprintf(d_cert, sizeof(d_cert), "%s/tls/cert.pem", D.home);
	snprintf(d_tlskey, sizeof(d_tlskey), "%s/tls/key.pem", D.home);
	e2e_coll_id(&A, "from-cert-c", from_c);
	e2e_peer_init(&cp, &A, c_cert, c_tlskey, a_pin);
	return 0;
}

static int
teardown(void **state)
{
	int rc;

	e2e_peer_release(&cp);
	e2e_client_release(&admin);
	cx_key_free(c_key);
	cx_key_free(d_key);
	rc = e2e_node_finish(&A);
	e2e_node_destroy(&C);
	e2e_node_destroy(&D);
	return rc;
}

/* ---- envelopes ---- */

static uint8_t receipt1[RCPT_LEN];
static struct env env1;

static void
test_hello(void **state)
{
	struct e2e_resp r = { 0 };
	json_t *j = hello(&r);
	char idhex[65];

	hex(a_id, 32, idhex);
	assert_string_equal(json_string_value(json_object_get(j, "node")) ?: "", "cert-a");
	assert_string_equal(json_string_value(json_object_get(j, "partner")) ?: "", "cert-c");
	assert_string_equal(json_string_value(json_object_get(j, "key_id")) ?: "", idhex);
	assert_int_equal(json_integer_value(json_object_get(j, "next_seq")), 1);
	json_decref(j);
	e2e_resp_release(&r);
}

static void
test_good_envelope(void **state)
{
	struct snap s;

	make_env(&env1, 1, 3, "good-1");
	expect_accepted(&env1, 1, receipt1);
	next_seq = 2;
	snap_take(&s);
	assert_int_equal(s.n_envs, 1);
	assert_int_equal(s.objects, c_objects);
	snap_release(&s);
	/* the partner list counts it */
	{
		json_t *p = e2e_partner(&A, "cert-c");
		assert_non_null(p);
		assert_int_equal(json_integer_value(json_object_get(p, "envelopes_in")), 1);
		assert_string_not_equal(json_string_value(json_object_get(p, "last_contact")) ?: "never", "never");
		json_decref(p);
	}
}

static void
test_resend_gets_same_receipt(void **state)
{
	const char *needles[] = { "\"event\":\"envelope_duplicate\"", "\"partner\":\"cert-c\"", NULL };
	struct snap before, after;
	struct e2e_resp r = { 0 };
	char b64[RCPT_LEN * 2];
	size_t logged0;
	json_t *j;

	snap_take(&before);
	logged0 = e2e_log_count(&A, needles);
	j = post_batch(env1.b, env1.len, &r);
	b64_encode(receipt1, RCPT_LEN, b64, 0);
	if (json_object_get(j, "refused") != NULL || json_integer_value(json_object_get(j, "accepted")) != 1)
		fail_msg("a resent envelope was not answered as accepted: %.400s", r.body);
	if (strcmp(json_string_value(json_array_get(json_object_get(j, "receipts"), 0)) ?: "", b64) != 0)
		fail_msg("a resent envelope got another receipt:\n first: %s\nsecond: %s", b64,
		    json_string_value(json_array_get(json_object_get(j, "receipts"), 0)) ?: "(none)");
	json_decref(j);
	snap_take(&after);
	assert_nothing_stored(&before, &after, "resend of seq 1");
	assert_counted(&before, &after, NULL);
	assert_int_equal(metric(&after, "liaison_peer_envelopes_total{event=\"duplicate\"}"),
	    metric(&before, "liaison_peer_envelopes_total{event=\"duplicate\"}") + 1);
	assert_int_equal(metric(&after, "liaison_peer_envelopes_total{event=\"received\"}"),
	    metric(&before, "liaison_peer_envelopes_total{event=\"received\"}"));
	assert_int_equal(e2e_log_wait(&A, needles, logged0 + 1, LOG_WAIT_MS), logged0 + 1);
	e2e_resp_release(&r);
	snap_release(&before);
	snap_release(&after);
}

static void
test_replay(void **state)
{
	struct env e;

	make_env(&e, 1, 1, "replay");
	expect_refused(e.b, e.len, 0, "replay", 1, "seq 1 again with another body");
	env_release(&e);
}

static void
test_gap(void **state)
{
	struct env e;

	make_env(&e, next_seq + 1, 1, "gap");
	expect_refused(e.b, e.len, 0, "gap", next_seq + 1, "a seq beyond the next");
	env_release(&e);
}

static void
test_flipped_bits(void **state)
{
	struct env e;

	/* in the header: the lowest bit of the time field (offset 80..87) */
	make_env(&e, next_seq, 2, "flip-header");
	e.b[87] ^= 0x01;
	expect_refused(e.b, e.len, 0, "bad_signature", next_seq, "a flipped bit in the header");
	env_release(&e);

	/* in the header's seq: the signature no longer covers it either */
	make_env(&e, next_seq, 2, "flip-seq");
	e.b[72 + 7] ^= 0x04;
	expect_refused(e.b, e.len, 0, "bad_signature", next_seq ^ 0x04, "a flipped bit in the seq");
	env_release(&e);

	/*
	 * in the body: its SHA-256 no longer matches the header, which
	 * env_decode checks before anything else; the envelope cannot be
	 * decoded, so the refusal names seq 0 (exchange.h: refused_seq)
	 */
	make_env(&e, next_seq, 2, "flip-body");
	e.b[ENV_HEADER_LEN + e.body_len / 2] ^= 0x20;
	expect_refused(e.b, e.len, 0, "malformed", 0, "a flipped bit in the body");
	env_release(&e);

	/* in the signature */
	make_env(&e, next_seq, 2, "flip-sig");
	e.b[e.len - 10] ^= 0x80;
	expect_refused(e.b, e.len, 0, "bad_signature", next_seq, "a flipped bit in the signature");
	env_release(&e);
}

static void
test_wrong_recipient(void **state)
{
	struct env e = { 0 };

	e.n = 1;
	e.body = bundle(1, "to-d", &e.body_len);
	seal_kind(&e, 1, c_key, c_id, d_id, next_seq);
	expect_refused(e.b, e.len, 0, "wrong_recipient", next_seq, "addressed to another node");
	env_release(&e);
}

static void
test_wrong_sender(void **state)
{
	struct env e = { 0 };

	/* D's envelope, properly signed by D, over C's connection */
	e.n = 1;
	e.body = bundle(1, "from-d", &e.body_len);
	seal_kind(&e, 1, d_key, d_id, a_id, next_seq);
	expect_refused(e.b, e.len, 0, "wrong_sender", next_seq, "signed by another node");
	env_release(&e);

	/*
	 * C's key id as sender, but signed by D: a forged envelope (env_seal
	 * will not make one, so D's from is overwritten after signing)
	 */
	e.n = 1;
	e.body = bundle(1, "forged", &e.body_len);
	seal_kind(&e, 1, d_key, d_id, a_id, next_seq);
	memcpy(e.b + 8, c_id, 32);
	expect_refused(e.b, e.len, 0, "bad_signature", next_seq, "C's name, D's signature");
	env_release(&e);
}

static void
test_case_kinds(void **state)
{
	struct env e = { 0 };

	const char *needles[] = { "\"event\":\"case_step_refused\"", "\"partner\":\"cert-c\"",
				  "exactly one object with the liaison extension", NULL };
	struct e2e_resp r = { 0 };
	size_t logged = e2e_log_count(&A, needles);
	json_t *j;

	/*
	 * A case kind whose bundle holds no step: the envelope is signed evidence
	 * and is kept (receipted), but the step is refused and changes nothing.
	 */
	e.body = strdup("{\"type\":\"bundle\",\"id\":\"bundle--0b5a4c5e-5f49-4a8b-9a51-0f3b7f3c1a10\",\"objects\":[]}");
	e.body_len = strlen(e.body);
	seal_kind(&e, 2 /* notify */, c_key, c_id, a_id, next_seq);
	j = post_batch(e.b, e.len, &r);
	if (json_integer_value(json_object_get(j, "accepted")) != 1 ||
	    json_object_get(j, "refused") != NULL)
		fail_msg("a notify envelope without a step was not kept as evidence: %.400s", r.body);
	json_decref(j);
	e2e_resp_release(&r);
	next_seq++;
	if (e2e_log_wait(&A, needles, logged + 1, 5000) < logged + 1)
		fail_msg("no case_step_refused line names the missing step");
	env_release(&e);
}

/* Bodies that are not what a share envelope must hold (protocol.md: malformed). */
static void
test_malformed_bodies(void **state)
{
	static const char *const bad[] = {
		"not JSON at all",
		"{\"type\":\"bundle\",\"id\":\"bundle--6b0c3c8a-4a6e-4f55-8a49-2a4e0f7d1b11\"}",
		"{\"type\":\"bundle\",\"objects\":[1,2],\"objects\":[]}",
		"[{\"type\":\"indicator\"}]",
	};
	static const char *const what[] = {
		"a body that is not JSON", "a bundle without objects", "a bundle with objects twice",
		"a body that is not an object",
	};
	struct env e;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&e, 0, sizeof(e));
		e.body = strdup(bad[i]);
		e.body_len = strlen(bad[i]);
		e.n = i == 2 ? 2 : 0;
		seal_kind(&e, 1, c_key, c_id, a_id, next_seq);
		expect_refused(e.b, e.len, 0, "malformed", next_seq, what[i]);
		env_release(&e);
	}
	/* the header announces more objects than the body holds */
	make_env(&e, next_seq, 3, "items");
	free(e.b);
	e.n = 4;
	seal_kind(&e, 1, c_key, c_id, a_id, next_seq);
	expect_refused(e.b, e.len, 0, "malformed", next_seq, "items 4, three objects");
	env_release(&e);
}

/*
 * An object that is not valid STIX 2.1 is not stored, but its envelope is
 * accepted (signed evidence of what was sent) and the receipt counts it.
 */
static void
test_invalid_object_counted(void **state)
{
	const char *needles[] = { "\"event\":\"object_refused\"", "\"partner\":\"cert-c\"", NULL };
	struct snap before, after;
	struct e2e_resp r = { 0 };
	struct e2e_str body = { 0 };
	struct env e = { 0 };
	char u[37], id[64], o[1024], bad_id[64];
	uint8_t raw[RCPT_LEN];
	struct err err = ERR_INIT;
	struct rcpt rc;
	size_t n = 0, logged0;
	json_t *j;
	int i;

	e2e_uuid4(u);
	e2e_str_addf(&body, "{\"type\":\"bundle\",\"id\":\"bundle--%s\",\"objects\":[", u);
	for (i = 0; i < 2; i++) {
		e2e_uuid4(u);
		snprintf(id, sizeof(id), "indicator--%s", u);
		e2e_indicator(o, sizeof(o), id, "valid-beside-invalid", i);
		e2e_str_addf(&body, "%s,", o);
	}
	/* modified before created */
	e2e_uuid4(u);
	snprintf(bad_id, sizeof(bad_id), "indicator--%s", u);
	e2e_str_addf(&body, "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"%s\","
	    "\"created\":\"2020-01-01T00:00:00.000Z\",\"modified\":\"2019-01-01T00:00:00.000Z\","
	    "\"pattern_type\":\"stix\",\"pattern\":\"[ipv4-addr:value = '198.51.100.9']\","
	    "\"valid_from\":\"2020-01-01T00:00:00Z\"}]}", bad_id);
	e.body = body.s;
	e.body_len = body.len;
	e.n = 3;
	seal_kind(&e, 1, c_key, c_id, a_id, next_seq);
	snap_take(&before);
	logged0 = e2e_log_count(&A, needles);
	j = post_batch(e.b, e.len, &r);
	if (json_object_get(j, "refused") != NULL || json_integer_value(json_object_get(j, "accepted")) != 1)
		fail_msg("an envelope with one invalid object was not accepted: %.400s", r.body);
	{
		const char *b64 = json_string_value(json_array_get(json_object_get(j, "receipts"), 0));
		if (b64 == NULL || b64_decode(b64, strlen(b64), raw, RCPT_LEN, &n, 0) < 0 || n != RCPT_LEN ||
		    rcpt_open(raw, RCPT_LEN, a_pub, &rc, &err) < 0)
			fail_msg("the receipt does not verify: %s", err.msg);
	}
	assert_int_equal(rc.seq, next_seq);
	assert_memory_equal(rc.env_id, e.id, 32);
	assert_int_equal(rc.stored, 2);
	assert_int_equal(rc.duplicate, 0);
	assert_int_equal(rc.refused, 1);
	json_decref(j);
	snap_take(&after);
	assert_counted(&before, &after, NULL);
	assert_int_equal(after.objects, before.objects + 2);
	assert_int_equal(metric(&after, "liaison_peer_objects_total{event=\"refused\"}"),
	    metric(&before, "liaison_peer_objects_total{event=\"refused\"}") + 1);
	assert_int_equal(e2e_log_wait(&A, needles, logged0 + 1, LOG_WAIT_MS), logged0 + 1);
	e2e_get(&admin, path(API "/collections/%s/objects/%s/", from_c, bad_id), &r);
	e2e_assert_error(&r, 404, NULL);
	c_objects += 2;
	next_seq++;
	env_release(&e);
	e2e_resp_release(&r);
	snap_release(&before);
	snap_release(&after);
}

/* Envelopes before a refused one in the same batch stand. */
static void
test_batch_stops_at_refusal(void **state)
{
	struct env good, bad;
	struct e2e_str b = { 0 };
	struct snap s;

	/* a good one, then bytes that are not a whole envelope */
	make_env(&good, next_seq, 2, "batch-good");
	e2e_str_add(&b, (const char *)good.b, good.len);
	e2e_str_add(&b, "LSN1 and then nothing like an envelope", 38);
	expect_refused(b.s, b.len, 1, "malformed", 0, "a good one, then a truncated one");
	next_seq++;
	c_objects += good.n;
	env_release(&good);

	/* a good one, then one with a bad signature */
	b.len = 0;
	make_env(&good, next_seq, 2, "batch-good-2");
	make_env(&bad, next_seq + 1, 2, "batch-bad");
	bad.b[bad.len - 1] ^= 0x01;
	e2e_str_add(&b, (const char *)good.b, good.len);
	e2e_str_add(&b, (const char *)bad.b, bad.len);
	expect_refused(b.s, b.len, 1, "bad_signature", next_seq + 1, "a good one, then a forged one");
	next_seq++;
	c_objects += good.n;
	env_release(&good);
	env_release(&bad);

	/* a good one, then one addressed to D */
	b.len = 0;
	make_env(&good, next_seq, 3, "batch-good-3");
	memset(&bad, 0, sizeof(bad));
	bad.n = 1;
	bad.body = bundle(1, "batch-to-d", &bad.body_len);
	seal_kind(&bad, 1, c_key, c_id, d_id, next_seq + 1);
	e2e_str_add(&b, (const char *)good.b, good.len);
	e2e_str_add(&b, (const char *)bad.b, bad.len);
	expect_refused(b.s, b.len, 1, "wrong_recipient", next_seq + 1, "a good one, then one for D");
	next_seq++;
	c_objects += good.n;
	env_release(&good);
	env_release(&bad);
	e2e_str_release(&b);

	/* the good ones stand, with their objects; nothing of the bad ones */
	snap_take(&s);
	assert_int_equal(s.n_envs, next_seq - 1);
	assert_int_equal(s.objects, c_objects);
	snap_release(&s);
}

/* After all the refusals the sequence goes on where it was. */
static void
test_next_after_refusals(void **state)
{
	struct e2e_resp r = { 0 };
	struct env e;
	json_t *j;

	j = hello(&r);
	assert_int_equal(json_integer_value(json_object_get(j, "next_seq")), (json_int_t)next_seq);
	json_decref(j);
	make_env(&e, next_seq, 4, "after");
	expect_accepted(&e, next_seq, NULL);
	next_seq++;
	env_release(&e);
	e2e_resp_release(&r);
}

/* What a sender does after a crash: the last receipted envelope again, then the next. */
static void
test_resend_and_next_in_one_batch(void **state)
{
	struct snap before, after;
	struct e2e_resp r = { 0 };
	struct e2e_str b = { 0 };
	char b64[RCPT_LEN * 2];
	uint8_t rc[RCPT_LEN];
	struct env e;
	json_t *j, *rs;

	make_env(&e, next_seq, 5, "after-resend");
	e2e_str_add(&b, (const char *)env1.b, env1.len);
	e2e_str_add(&b, (const char *)e.b, e.len);
	snap_take(&before);
	j = post_batch(b.s, b.len, &r);
	rs = json_object_get(j, "receipts");
	if (json_object_get(j, "refused") != NULL || json_integer_value(json_object_get(j, "accepted")) != 2 ||
	    json_array_size(rs) != 2)
		fail_msg("seq 1 again and seq %llu: wanted both accepted: %.400s", (unsigned long long)next_seq, r.body);
	b64_encode(receipt1, RCPT_LEN, b64, 0);
	assert_string_equal(json_string_value(json_array_get(rs, 0)) ?: "", b64);
	check_receipt(json_string_value(json_array_get(rs, 1)), &e, next_seq, 5, 0, rc);
	json_decref(j);
	snap_take(&after);
	assert_counted(&before, &after, NULL);
	assert_int_equal(after.n_envs, before.n_envs + 1);
	assert_int_equal(after.objects, before.objects + 5);
	assert_int_equal(metric(&after, "liaison_peer_envelopes_total{event=\"duplicate\"}"),
	    metric(&before, "liaison_peer_envelopes_total{event=\"duplicate\"}") + 1);
	assert_int_equal(metric(&after, "liaison_peer_envelopes_total{event=\"received\"}"),
	    metric(&before, "liaison_peer_envelopes_total{event=\"received\"}") + 1);
	c_objects += 5;
	next_seq++;
	env_release(&e);
	e2e_str_release(&b);
	e2e_resp_release(&r);
	snap_release(&before);
	snap_release(&after);
}

static void
test_oversized_batch(void **state)
{
	const char *needles[] = { "\"event\":\"batch_refused\"", "\"reason\":\"too_big\"", NULL };
	struct e2e_str b = { 0 };
	struct snap before, after;
	struct e2e_resp r = { 0 };
	uint64_t seq = next_seq;
	size_t logged0;
	json_t *j;

	/* real envelopes of about 1 MiB each, in sequence, until past the limit */
	while (b.len <= MAX_BODY) {
		struct env e;
		make_env(&e, seq++, 2600, "big");
		e2e_str_add(&b, (const char *)e.b, e.len);
		env_release(&e);
	}
	fprintf(stderr, "e2e/peer_refusals: oversized batch of %zu bytes (%llu envelopes; the limit is %zu)\n",
	    b.len, (unsigned long long)(seq - next_seq), MAX_BODY);
	snap_take(&before);
	logged0 = e2e_log_count(&A, needles);
	/* Expect: 100-continue: A answers the head and never reads the body */
	if (e2e_peer_do(&cp, "/peer/v1/envelopes", b.s, b.len, 1, &r) != 0)
		fail_msg("the oversized POST failed at the transport level (curl %d)", r.curl_rc);
	if (r.status != 413)
		fail_msg("an oversized batch got HTTP %ld, not 413: %.300s", r.status, r.body);
	j = e2e_json(&r);
	assert_string_equal(json_string_value(json_object_get(j, "error")) ?: "", "too_big");
	assert_true(json_string_length(json_object_get(j, "message")) > 0);
	json_decref(j);
	assert_int_equal(e2e_log_wait(&A, needles, logged0 + 1, LOG_WAIT_MS), logged0 + 1);
	snap_take(&after);
	assert_counted(&before, &after, "too_big");
	assert_nothing_stored(&before, &after, "an oversized batch");

	/* and sent without waiting for 100 Continue: refused all the same */
	e2e_peer_do(&cp, "/peer/v1/envelopes", b.s, b.len, 0, &r);
	if (r.curl_rc == 0 && r.status != 413)
		fail_msg("an oversized batch sent whole got HTTP %ld, not 413: %.300s", r.status, r.body);
	fprintf(stderr, "e2e/peer_refusals: oversized batch sent whole: curl %d, HTTP %ld\n", r.curl_rc, r.status);
	snap_release(&after);
	snap_take(&after);
	assert_nothing_stored(&before, &after, "an oversized batch sent whole");
	assert_int_equal(e2e_log_wait(&A, needles, logged0 + 2, LOG_WAIT_MS), logged0 + 2);
	e2e_str_release(&b);
	e2e_resp_release(&r);
	snap_release(&before);
	snap_release(&after);
}

/* ---- TLS ---- */

/*
 * A handshake that must fail: no HTTP answer, liaison_peer_tls_refused_total
 * up by exactly one, a log line with every needle, nothing stored.
 */
static void
expect_tls_refused(struct e2e_peer *p, const char *const *needles, const char *what)
{
	const char *failed[] = { "\"event\":\"peer_tls_failed\"", NULL };
	struct snap before, after;
	struct e2e_resp r = { 0 };
	size_t logged0 = e2e_log_count(&A, needles), failed0 = e2e_log_count(&A, failed);
	long long tb, ta;

	snap_take(&before);
	e2e_peer_do(p, "/peer/v1/hello", NULL, 0, 0, &r);
	fprintf(stderr, "e2e/peer_refusals: %-34s -> curl %d (%s), HTTP %ld\n", what, r.curl_rc,
	    r.curl_rc ? "refused" : "answered", r.status);
	if (r.curl_rc == 0 || r.status != 0)
		fail_msg("%s: the request got through (HTTP %ld): %.300s", what, r.status, r.body);
	if (e2e_log_wait(&A, needles, logged0 + 1, LOG_WAIT_MS) != logged0 + 1)
		fail_msg("%s: no new log line with %s", what, needles[0]);
	/* every failed handshake is logged (and counted) once, as peer_tls_failed */
	if (e2e_log_wait(&A, failed, failed0 + 1, LOG_WAIT_MS) != failed0 + 1)
		fail_msg("%s: wanted one new peer_tls_failed line, the log has %zu", what,
		    e2e_log_count(&A, failed) - failed0);
	snap_take(&after);
	tb = metric(&before, "liaison_peer_tls_refused_total");
	ta = metric(&after, "liaison_peer_tls_refused_total");
	assert_counted(&before, &after, NULL);
	assert_nothing_stored(&before, &after, what);
	if (ta != tb + 1)
		fail_msg("%s: liaison_peer_tls_refused_total went from %lld to %lld, wanted +1", what, tb, ta);
	e2e_resp_release(&r);
	snap_release(&before);
	snap_release(&after);
}

static void
test_tls_unknown_certificate(void **state)
{
	char spki[96];
	const char *needles[] = { "\"event\":\"peer_refused\"", "\"reason\":\"unknown_certificate\"", spki, NULL };
	struct e2e_peer p;

	snprintf(spki, sizeof(spki), "\"spki_sha256\":\"%s\"", d_spki_hex);
	e2e_peer_init(&p, &A, d_cert, d_tlskey, a_pin);
	expect_tls_refused(&p, needles, "D's certificate (never paired)");
	e2e_peer_release(&p);
}

static void
test_tls_no_certificate(void **state)
{
	const char *needles[] = { "\"event\":\"peer_tls_failed\"", "certificate", NULL };
	struct e2e_peer p;

	e2e_peer_init(&p, &A, NULL, NULL, a_pin);
	expect_tls_refused(&p, needles, "no client certificate");
	e2e_peer_release(&p);
}

static void
test_tls12_client(void **state)
{
	const char *needles[] = { "\"event\":\"peer_tls_failed\"", "protocol", NULL };
	struct e2e_peer p;

	/* C's own, pinned certificate: only the protocol version is wrong */
	e2e_peer_init(&p, &A, c_cert, c_tlskey, a_pin);
	p.tls12_only = 1;
	expect_tls_refused(&p, needles, "a TLS 1.2 client");
	e2e_peer_release(&p);
}

/* C's link still works after all that. */
static void
test_link_still_works(void **state)
{
	struct e2e_resp r = { 0 };
	json_t *j = hello(&r);
	struct snap s;

	assert_int_equal(json_integer_value(json_object_get(j, "next_seq")), (json_int_t)next_seq);
	json_decref(j);
	e2e_resp_release(&r);
	/* everything A holds from C is what it accepted, nothing else */
	snap_take(&s);
	assert_int_equal(s.n_envs, next_seq - 1);
	assert_int_equal(s.objects, c_objects);
	snap_release(&s);
}

/* Last: a partner removed with the CLI is refused within about 2 s. */
static void
test_removed_partner(void **state)
{
	char spki[96];
	const char *stopped[] = { "\"event\":\"link_stopped\"", "\"partner\":\"cert-c\"", NULL };
	const char *unknown[] = { "\"event\":\"peer_refused\"", "\"reason\":\"unknown_certificate\"", spki, NULL };
	struct e2e_resp r = { 0 };
	struct snap before, after;
	struct env e;
	char *out = NULL;
	int64_t t0, dt;
	json_t *j;
	int rc;

	snprintf(spki, sizeof(spki), "\"spki_sha256\":\"%s\"", c_spki_hex);
	json_decref(hello(&r)); /* the connection is open and kept alive */
	snap_take(&before);
	t0 = e2e_now_ms();
	rc = e2e_liaison(&A, NULL, &out, NULL, "partner", "remove", "cert-c", NULL);
	if (rc != 0)
		fail_msg("liaison partner remove cert-c exited with %d: %s", rc, out);
	free(out);
	/* the open connection: its requests are refused once the daemon reloads */
	for (;;) {
		e2e_peer_do(&cp, "/peer/v1/hello", NULL, 0, 0, &r);
		dt = e2e_now_ms() - t0;
		if (r.curl_rc != 0 || r.status != 200)
			break;
		if (dt > 5000)
			fail_msg("5 s after `partner remove`, A still answers C's hello: %.200s", r.body);
		e2e_sleep_ms(50);
	}
	fprintf(stderr, "e2e/peer_refusals: removed partner refused after %lld ms (curl %d, HTTP %ld)\n",
	    (long long)dt, r.curl_rc, r.status);
	if (dt > 2500)
		fail_msg("a removed partner was refused only after %lld ms", (long long)dt);
	if (r.curl_rc == 0) {
		assert_int_equal(r.status, 403);
		j = e2e_json(&r);
		assert_string_equal(json_string_value(json_object_get(j, "error")) ?: "", "not_a_partner");
		json_decref(j);
	}
	/* a valid next envelope on that connection (or a new one) does not get in */
	make_env(&e, next_seq, 1, "removed");
	e2e_peer_do(&cp, "/peer/v1/envelopes", e.b, e.len, 0, &r);
	if (r.curl_rc == 0 && r.status != 403)
		fail_msg("a removed partner's envelope got HTTP %ld: %.300s", r.status, r.body);
	env_release(&e);
	/* a new connection fails the handshake: the key is no longer pinned */
	{
		struct e2e_peer p;
		size_t n0 = e2e_log_count(&A, unknown);
		e2e_peer_init(&p, &A, c_cert, c_tlskey, a_pin);
		e2e_peer_do(&p, "/peer/v1/hello", NULL, 0, 0, &r);
		if (r.curl_rc == 0)
			fail_msg("a new connection with a removed partner's certificate got HTTP %ld", r.status);
		assert_int_equal(e2e_log_wait(&A, unknown, n0 + 1, LOG_WAIT_MS), n0 + 1);
		e2e_peer_release(&p);
	}
	assert_int_equal(e2e_log_wait(&A, stopped, 1, LOG_WAIT_MS), 1);
	snap_take(&after);
	assert_nothing_stored(&before, &after, "a removed partner");
	j = e2e_partner(&A, "cert-c");
	assert_non_null(j);
	assert_false(json_is_true(json_object_get(j, "active")));
	json_decref(j);
	e2e_resp_release(&r);
	snap_release(&before);
	snap_release(&after);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hello),
		cmocka_unit_test(test_good_envelope),
		cmocka_unit_test(test_resend_gets_same_receipt),
		cmocka_unit_test(test_replay),
		cmocka_unit_test(test_gap),
		cmocka_unit_test(test_flipped_bits),
		cmocka_unit_test(test_wrong_recipient),
		cmocka_unit_test(test_wrong_sender),
		cmocka_unit_test(test_case_kinds),
		cmocka_unit_test(test_malformed_bodies),
		cmocka_unit_test(test_invalid_object_counted),
		cmocka_unit_test(test_batch_stops_at_refusal),
		cmocka_unit_test(test_next_after_refusals),
		cmocka_unit_test(test_resend_and_next_in_one_batch),
		cmocka_unit_test(test_oversized_batch),
		cmocka_unit_test(test_tls_unknown_certificate),
		cmocka_unit_test(test_tls_no_certificate),
		cmocka_unit_test(test_tls12_client),
		cmocka_unit_test(test_link_still_works),
		cmocka_unit_test(test_removed_partner),
	};

	return cmocka_run_group_tests_name("e2e/peer_refusals", tests, setup, teardown);
}
