/*
 * End-to-end exchange between two real liaisond nodes on 127.0.0.1, A
 * (cert-a) and B (cert-b), paired both ways with the CLI. What A shares
 * arrives in B's from-cert-a byte for byte, each object version once, and
 * the other way round at the same time; every envelope is receipted and the
 * sequences on both sides match. Then the hard parts: B down for a while
 * (A queues, reports the error, and catches up), and kill -9 of the
 * receiver and of the sender at random moments during transfers. Last, a
 * third node C pairs with B giving a dead endpoint before B's real one.
 *
 * E2E_SEED=N repeats the random kill moments of an earlier run.
 */
#include "e2e.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#ifndef LIAISON_DATA_DIR
#error "LIAISON_DATA_DIR must be defined by CMake"
#endif

#define path(...) e2e_path(__VA_ARGS__)
#define PW "exchange-password"
#define ATTACK "attack/enterprise-attack-18.1-rebuilt.json.xz"
#define ATTACK_OBJECTS 24771
#define B_INDICATORS 5000             /* what B shares while A sends ATT&CK */
#define ENV_OBJECTS "200"             /* A's [peer] envelope_objects: many envelopes */
#define POST_MAX_OBJECTS 1000
#define POST_MAX_BYTES (8u << 20)
#define KILL_ROUNDS 6
#define ROUND_OBJECTS 4000
#define ROUND_POST 100                /* objects per TAXII POST during the rounds */

static struct e2e_node A, B;
static struct e2e_client a_admin, b_admin;
static char a_shared[64], b_shared[64], a_from_b[64], b_from_a[64];
static int64_t t_start;
static unsigned seed;

/* One object version shared: its exact bytes (malloc'd). */
struct exp {
	char *s;
	size_t len;
	int seen;
};

static struct e2e_map a_sent, b_sent;   /* version key -> struct exp * */

static void
log_time(const char *fmt, ...)
{
	va_list ap;
	char msg[512];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "e2e/exchange: %-64s at %6.1f s\n", msg, (double)(e2e_now_ms() - t_start) / 1000);
}

static void
exp_free(void *p)
{
	struct exp *e = p;

	if (e != NULL)
		free(e->s);
	free(e);
}

/* ---- what was shared, and what arrived ---- */

static void
key_of(const char *s, size_t len, char key[400])
{
	json_error_t je;
	json_t *o = json_loadb(s, len, 0, &je);

	if (o == NULL)
		fail_msg("an object is not JSON (%s): %.200s", je.text, s);
	e2e_version_key(o, key, 400);
	json_decref(o);
}

/* Records an object version as shared; returns 0 if that version was already recorded. */
static int
remember(struct e2e_map *m, const char *s, size_t len)
{
	char key[400];
	void **slot;
	int isnew;

	key_of(s, len, key);
	slot = e2e_map_put(m, key, &isnew);
	if (isnew) {
		struct exp *e = calloc(1, sizeof(*e));
		e->s = strndup(s, len);
		e->len = len;
		*slot = e;
	}
	return isnew;
}

struct walk {
	struct e2e_map *m;
	const char *what;
};

static void
on_object(void *arg, const char *s, size_t len)
{
	struct walk *w = arg;
	char key[400];
	struct exp **e;

	key_of(s, len, key);
	e = (struct exp **)e2e_map_get(w->m, key);
	if (e == NULL)
		fail_msg("%s holds %s, which was never shared", w->what, key);
	if ((*e)->seen++)
		fail_msg("%s holds %s twice", w->what, key);
	if ((*e)->len != len || memcmp((*e)->s, s, len) != 0)
		fail_msg("%s holds %s with other bytes:\n got: %.300s\nwant: %.300s", w->what, key, s,
		    (*e)->s);
}

/* The collection holds exactly the versions of m, each once, byte for byte. */
static void
verify_coll(struct e2e_client *c, const char *coll, struct e2e_map *m, const char *what)
{
	struct walk w = { m, what };
	size_t i, n, missing = 0;
	const char *first = NULL;

	for (i = 0; i < m->cap; i++)
		if (m->keys[i])
			((struct exp *)m->vals[i])->seen = 0;
	n = e2e_walk_objects(c, coll, 1000, on_object, &w);
	for (i = 0; i < m->cap; i++) {
		if (m->keys[i] && ((struct exp *)m->vals[i])->seen != 1) {
			missing++;
			first = first ? first : m->keys[i];
		}
	}
	if (missing)
		fail_msg("%s lacks %zu of the %zu object versions shared, e.g. %s", what, missing, m->n, first);
	assert_int_equal(n, m->n);
	log_time("%s: %zu object versions, byte for byte", what, n);
}

/* ---- TAXII posts ---- */

/* Posts objs[0..n) in envelopes of at most POST_MAX_OBJECTS / POST_MAX_BYTES. */
static void
post_all(struct e2e_client *c, const char *coll, char **objs, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t k = 0, bytes = 0;
		json_t *st;
		while (i + k < n && k < POST_MAX_OBJECTS && bytes + strlen(objs[i + k]) < POST_MAX_BYTES)
			bytes += strlen(objs[i + k++]);
		st = e2e_post_objs(c, coll, (const char *const *)objs + i, k);
		e2e_assert_status(st, k, k, 0);
		json_decref(st);
		i += k;
	}
}

/* n fresh indicators named tag-i (malloc'd strings), with a description of pad bytes. */
static char **
indicators_pad(size_t n, const char *tag, size_t pad)
{
	char **v = calloc(n, sizeof(*v)), u[37], id[64], name[96], o[1024];
	size_t i, k;

	for (i = 0; i < n; i++) {
		e2e_uuid4(u);
		snprintf(id, sizeof(id), "indicator--%s", u);
		snprintf(name, sizeof(name), "%s-%zu", tag, i);
		k = (size_t)e2e_indicator(o, sizeof(o), id, name, (int64_t)(i % 1000));
		if (pad == 0) {
			v[i] = strdup(o);
			continue;
		}
		v[i] = malloc(k + pad + 32);
		memcpy(v[i], o, k - 1);
		memcpy(v[i] + k - 1, ",\"description\":\"", 16);
		memset(v[i] + k + 15, 'a' + (int)(i % 26), pad);
		memcpy(v[i] + k + 15 + pad, "\"}", 3);
	}
	return v;
}

static char **
indicators(size_t n, const char *tag)
{
	return indicators_pad(n, tag, 0);
}

static void
free_strs(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* ---- link state ---- */

/* A metric of a node, or -1 if it cannot be read (the node is down). */
static long long
metric_try(struct e2e_client *c, const char *series)
{
	struct e2e_resp r = { 0 };
	struct e2e_req rq = { .path = "/metrics", .accept = "", .auth = "", .timeout_ms = 5000 };
	long long v = -1;

	if (e2e_do(c, &rq, &r) == 0 && r.status == 200)
		v = e2e_metric(r.body, series);
	e2e_resp_release(&r);
	return v;
}

/*
 * Waits until B's from-cert-a holds as many versions as A shared and A's
 * link to B has nothing queued (and the same the other way if both).
 */
static void
wait_delivered(const char *what, int timeout_s, int both)
{
	int64_t t0 = e2e_now_ms(), dl = t0 + (int64_t)timeout_s * 1000;
	size_t nb = 0, na = 0;
	long long qa = -1, qb = 0;

	for (;;) {
		json_t *p = e2e_partner(&A, "cert-b");
		qa = e2e_jint(p, "queued");
		json_decref(p);
		nb = e2e_count(&b_admin, b_from_a);
		if (both) {
			p = e2e_partner(&B, "cert-a");
			qb = e2e_jint(p, "queued");
			json_decref(p);
			na = e2e_count(&a_admin, a_from_b);
		}
		if (nb > a_sent.n || (both && na > b_sent.n))
			fail_msg("%s: more object versions arrived than were shared (B has %zu of %zu, A has %zu of %zu)",
			    what, nb, a_sent.n, na, b_sent.n);
		if (nb == a_sent.n && qa == 0 && (!both || (na == b_sent.n && qb == 0)))
			break;
		if (e2e_now_ms() > dl)
			fail_msg("%s: not delivered within %d s: B's from-cert-a has %zu of %zu, A queues %lld "
			    "envelopes; A's from-cert-b has %zu of %zu, B queues %lld", what, timeout_s, nb,
			    a_sent.n, qa, na, b_sent.n, qb);
		e2e_sleep_ms(250);
	}
	log_time("%s: delivered in %.1f s", what, (double)(e2e_now_ms() - t0) / 1000);
}

/*
 * The envelopes from sender to receiver: on the sender's side seqs N..1,
 * contiguous, each receipted (the receipt verified by the CLI), no object
 * counted twice; the receiver holds the same N, same ids. Returns N.
 */
static size_t
verify_envelopes(struct e2e_node *snd, const char *rcv_name, struct e2e_node *rcv,
    const char *snd_name, size_t objects)
{
	json_t *out = e2e_liaison_json(snd, "envelope", "list", "--partner", rcv_name, "--limit",
	    "10000000", NULL);
	json_t *in = e2e_liaison_json(rcv, "envelope", "list", "--partner", snd_name, "--in",
	    "--limit", "10000000", NULL);
	json_t *eo = json_object_get(out, "envelopes"), *ei = json_object_get(in, "envelopes");
	size_t n = json_array_size(eo), i, sum = 0, sum_new = 0;

	if (n == 0 || json_array_size(ei) != n)
		fail_msg("%s sent %zu envelopes to %s, which holds %zu from it", snd_name, n, rcv_name,
		    json_array_size(ei));
	for (i = 0; i < n; i++) {
		json_t *o = json_array_get(eo, i), *x = json_array_get(ei, i);
		unsigned nw = 0, dup = 0, ref = 0;
		if (e2e_jint(o, "seq") != (long long)(n - i) || e2e_jint(x, "seq") != (long long)(n - i))
			fail_msg("envelope %zu of %zu from %s: seq %lld out, %lld in (not contiguous)", i, n,
			    snd_name, e2e_jint(o, "seq"), e2e_jint(x, "seq"));
		if (strcmp(e2e_jstr(o, "id"), e2e_jstr(x, "id")) != 0)
			fail_msg("envelope %lld from %s has id %s on the sender, %s on the receiver",
			    e2e_jint(o, "seq"), snd_name, e2e_jstr(o, "id"), e2e_jstr(x, "id"));
		if (strcmp(e2e_jstr(o, "receipt"), "receipted") != 0 || strcmp(e2e_jstr(x, "receipt"), "receipted") != 0)
			fail_msg("envelope %lld from %s: receipt '%s' on the sender, '%s' on the receiver",
			    e2e_jint(o, "seq"), snd_name, e2e_jstr(o, "receipt"), e2e_jstr(x, "receipt"));
		if (strcmp(e2e_jstr(o, "kind"), "share") != 0 || e2e_jint(o, "objects") != e2e_jint(x, "objects"))
			fail_msg("envelope %lld from %s: kind %s, %lld objects out, %lld in", e2e_jint(o, "seq"),
			    snd_name, e2e_jstr(o, "kind"), e2e_jint(o, "objects"), e2e_jint(x, "objects"));
		if (sscanf(e2e_jstr(o, "receipt_objects"), "%u new, %u dup, %u refused", &nw, &dup, &ref) != 3)
			fail_msg("receipt_objects '%s' is not 'N new, N dup, N refused'", e2e_jstr(o, "receipt_objects"));
		if (dup != 0 || ref != 0 || (long long)nw != e2e_jint(o, "objects"))
			fail_msg("envelope %lld from %s: %lld objects, receipt says %s", e2e_jint(o, "seq"), snd_name,
			    e2e_jint(o, "objects"), e2e_jstr(o, "receipt_objects"));
		sum += (size_t)e2e_jint(o, "objects");
		sum_new += nw;
	}
	if (sum != objects || sum_new != objects)
		fail_msg("%s's %zu envelopes to %s carry %zu objects (%zu new in the receipts), wanted %zu",
		    snd_name, n, rcv_name, sum, sum_new, objects);
	json_decref(out);
	json_decref(in);
	log_time("%s -> %s: %zu envelopes, seqs 1..%zu, all receipted", snd_name, rcv_name, n, n);
	return n;
}

/* A's link to B as `partner list` shows it. */
static void
assert_link_clean(struct e2e_node *n, const char *partner, size_t envelopes)
{
	json_t *p = e2e_partner(n, partner);

	if (p == NULL)
		fail_msg("%s has no partner %s", n->name, partner);
	if (e2e_jint(p, "envelopes_out") != (long long)envelopes || e2e_jint(p, "receipted") != (long long)envelopes ||
	    e2e_jint(p, "queued") != 0 || strcmp(e2e_jstr(p, "last_error"), "") != 0 ||
	    strcmp(e2e_jstr(p, "last_error_at"), "") != 0 || !json_is_true(json_object_get(p, "active")))
		fail_msg("%s's link to %s is not clean after %zu envelopes: %s", n->name, partner, envelopes,
		    json_dumps(p, JSON_COMPACT));
	json_decref(p);
}

/* ---- setup ---- */

static void
node_setup(struct e2e_node *n, const char *name)
{
	e2e_node_init(n, name);
	/* a node that is down is retried every second at most, not every minute */
	e2e_node_conf(n, "peer", "retry_min_ms", "100");
	e2e_node_conf(n, "peer", "retry_max_ms", "1000");
	e2e_node_conf(n, "peer", "timeout_ms", "30000");
	e2e_user_add(n, "admin", PW, 1, NULL);
}

static int
setup(void **state)
{
	const char *s = getenv("E2E_SEED");

	t_start = e2e_now_ms();
	seed = s ? (unsigned)strtoul(s, NULL, 10) : (unsigned)time(NULL);
	srand(seed);
	fprintf(stderr, "e2e/exchange: E2E_SEED=%u\n", seed);
	e2e_map_init(&a_sent);
	e2e_map_init(&b_sent);
	node_setup(&A, "cert-a");
	node_setup(&B, "cert-b");
	e2e_node_conf(&A, "peer", "envelope_objects", ENV_OBJECTS);
	e2e_coll_id(&A, "shared", a_shared);
	e2e_coll_id(&B, "shared", b_shared);
	e2e_node_start(&A);
	e2e_node_start(&B);
	/* restarts keep the ports: each is the other's endpoint */
	e2e_node_pin_ports(&A);
	e2e_node_pin_ports(&B);
	e2e_client_basic(&a_admin, &A, "admin", PW);
	e2e_client_basic(&b_admin, &B, "admin", PW);
	log_time("nodes started");
	return 0;
}

static int
teardown(void **state)
{
	int ra, rb;

	e2e_client_release(&a_admin);
	e2e_client_release(&b_admin);
	if (!e2e_node_alive(&A))
		e2e_node_start(&A);
	if (!e2e_node_alive(&B))
		e2e_node_start(&B);
	ra = e2e_node_finish(&A);
	rb = e2e_node_finish(&B);
	e2e_map_release(&a_sent, exp_free);
	e2e_map_release(&b_sent, exp_free);
	log_time("done");
	return ra < 0 || rb < 0 ? -1 : 0;
}

/* ---- pairing ---- */

/* SHA-256 of the DER SubjectPublicKeyInfo of a PEM certificate, in hex. */
static void
cert_spki_hex(const char *pem, char out[65])
{
	FILE *f = fopen(pem, "r");
	X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	unsigned char *der = NULL, md[32];
	unsigned int mdlen = 0;
	int len, i;

	if (f)
		fclose(f);
	if (x == NULL)
		fail_msg("cannot read the certificate %s", pem);
	len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
	if (len <= 0 || EVP_Digest(der, (size_t)len, md, &mdlen, EVP_sha256(), NULL) != 1)
		fail_msg("cannot hash the key of %s", pem);
	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	OPENSSL_free(der);
	X509_free(x);
}

/* identity show, checked against the certificate and the exported document. */
static json_t *
check_identity(struct e2e_node *n, const char *doc_path)
{
	json_t *show = e2e_liaison_json(n, "identity", "show", NULL), *doc;
	json_error_t je;
	const char *fp = e2e_jstr(show, "fingerprint"), *k;
	char spki[65];
	size_t i;

	assert_string_equal(e2e_jstr(show, "name"), n->name);
	if (strlen(fp) != 24 || fp[4] != '-' || fp[9] != '-' || fp[14] != '-' || fp[19] != '-')
		fail_msg("%s's fingerprint '%s' is not XXXX-XXXX-XXXX-XXXX-XXXX", n->name, fp);
	for (i = 0; i < 24; i++)
		if (i % 5 != 4 && strchr("0123456789ABCDEFGHJKMNPQRSTVWXYZ", fp[i]) == NULL)
			fail_msg("%s's fingerprint '%s' has a character outside Crockford base32", n->name, fp);
	assert_int_equal(strlen(e2e_jstr(show, "signing_key")), 44);
	{
		char cert[400];
		snprintf(cert, sizeof(cert), "%s/tls/cert.pem", n->home);
		cert_spki_hex(cert, spki);
		assert_string_equal(e2e_jstr(show, "tls_spki_sha256_hex"), spki);
	}
	e2e_identity_export(n, doc_path);
	doc = json_load_file(doc_path, JSON_REJECT_DUPLICATES, &je);
	if (doc == NULL)
		fail_msg("%s is not JSON: %s", doc_path, je.text);
	assert_int_equal(e2e_jint(doc, "liaison_identity"), 1);
	assert_int_equal(e2e_jint(doc, "sig_type"), 1);
	for (i = 0; i < 4; i++) {
		k = (const char *[]){ "name", "signing_key", "tls_spki_sha256", "fingerprint" }[i];
		if (strcmp(e2e_jstr(doc, k), e2e_jstr(show, k)) != 0)
			fail_msg("%s: the exported %s '%s' is not the one `identity show` gives, '%s'", n->name, k,
			    e2e_jstr(doc, k), e2e_jstr(show, k));
	}
	assert_int_equal(strlen(e2e_jstr(doc, "signature")), 88);
	json_decref(doc);
	return show;
}

/* A partner's inbox is read-only over TAXII, even for an admin. */
static void
check_inbox_read_only(struct e2e_client *c, const char *coll)
{
	struct e2e_resp r = { 0 };
	char o[1024], u[37], id[64];
	const char *objs[1] = { o };
	struct e2e_str env = { 0 };
	json_t *j;

	e2e_get(c, path(API "/collections/%s/", coll), &r);
	j = e2e_assert_ok(&r, 200);
	if (!json_is_true(json_object_get(j, "can_read")) || !json_is_false(json_object_get(j, "can_write")))
		fail_msg("an inbox collection must be can_read true, can_write false: %s", r.body);
	json_decref(j);
	e2e_uuid4(u);
	snprintf(id, sizeof(id), "indicator--%s", u);
	e2e_indicator(o, sizeof(o), id, "forged-into-inbox", 0);
	e2e_str_addf(&env, "{\"objects\":[%s]}", objs[0]);
	e2e_post(c, path(API "/collections/%s/objects/", coll), env.s, env.len, &r);
	e2e_assert_error(&r, 403, NULL);
	assert_int_equal(e2e_count(c, coll), 0);
	e2e_str_release(&env);
	e2e_resp_release(&r);
}

static void
test_pairing(void **state)
{
	const char *a_started[] = { "\"event\":\"link_started\"", "\"partner\":\"cert-b\"", NULL };
	const char *b_started[] = { "\"event\":\"link_started\"", "\"partner\":\"cert-a\"", NULL };
	char a_doc[400], b_doc[400], a_ep[64], b_ep[64], want[128], *out = NULL, *err = NULL;
	json_t *a_show, *b_show, *j, *p;
	int rc;

	snprintf(a_doc, sizeof(a_doc), "%s.identity.json", A.home);
	snprintf(b_doc, sizeof(b_doc), "%s.identity.json", B.home);
	a_show = check_identity(&A, a_doc);
	b_show = check_identity(&B, b_doc);
	if (strcmp(e2e_jstr(a_show, "fingerprint"), e2e_jstr(b_show, "fingerprint")) == 0)
		fail_msg("two nodes have the same fingerprint %s", e2e_jstr(a_show, "fingerprint"));
	e2e_peer_endpoint(&A, a_ep);
	e2e_peer_endpoint(&B, b_ep);

	/* B pairs with A the way an operator does: the fingerprint is shown to confirm */
	rc = e2e_liaison(&B, NULL, &out, &err, "partner", "add", a_doc, "--endpoint", a_ep, "--yes", NULL);
	if (rc != 0)
		fail_msg("liaison partner add (B) exited with %d: %s %s", rc, out, err);
	snprintf(want, sizeof(want), "%s", e2e_jstr(a_show, "fingerprint"));
	if (strstr(err, want) == NULL && strstr(out, want) == NULL)
		fail_msg("`partner add` did not show A's fingerprint %s:\n%s%s", want, out, err);
	if (strstr(out, "cert-a") == NULL)
		fail_msg("`partner add` did not name the partner: %s", out);
	free(out);
	free(err);

	/* A pairs with B (--json) */
	j = e2e_liaison_json(&A, "partner", "add", b_doc, "--endpoint", b_ep, "--yes", NULL);
	assert_string_equal(e2e_jstr(j, "name"), "cert-b");
	assert_string_equal(e2e_jstr(j, "fingerprint"), e2e_jstr(b_show, "fingerprint"));
	assert_string_equal(e2e_jstr(j, "endpoint"), b_ep);
	assert_string_equal(e2e_jstr(j, "inbox"), "from-cert-b");
	assert_int_equal(json_array_size(json_object_get(j, "shares")), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(j, "shares"), 0)) ?: "", "shared");
	json_decref(j);

	/* twice is refused, and so is pairing with itself */
	out = err = NULL;
	rc = e2e_liaison(&A, NULL, &out, &err, "partner", "add", b_doc, "--endpoint", b_ep, "--yes", NULL);
	if (rc == 0)
		fail_msg("pairing twice with the same node succeeded: %s", out);
	free(out);
	free(err);
	out = err = NULL;
	rc = e2e_liaison(&A, NULL, &out, &err, "partner", "add", a_doc, "--endpoint", a_ep, "--yes", NULL);
	if (rc == 0)
		fail_msg("a node paired with itself: %s", out);
	free(out);
	free(err);

	/* each lists the other once, by the fingerprint the other shows */
	p = e2e_partner(&A, "cert-b");
	assert_non_null(p);
	assert_string_equal(e2e_jstr(p, "fingerprint"), e2e_jstr(b_show, "fingerprint"));
	assert_string_equal(e2e_jstr(p, "endpoint"), b_ep);
	assert_true(json_is_true(json_object_get(p, "active")));
	assert_int_equal(e2e_jint(p, "envelopes_out"), 0);
	assert_int_equal(e2e_jint(p, "queued"), 0);
	json_decref(p);
	p = e2e_partner(&B, "cert-a");
	assert_non_null(p);
	assert_string_equal(e2e_jstr(p, "fingerprint"), e2e_jstr(a_show, "fingerprint"));
	assert_string_equal(e2e_jstr(p, "endpoint"), a_ep);
	json_decref(p);
	j = e2e_liaison_json(&A, "partner", "list", NULL);
	assert_int_equal(json_array_size(json_object_get(j, "partners")), 1);
	json_decref(j);

	/* the inboxes exist and are read-only */
	e2e_coll_id(&A, "from-cert-b", a_from_b);
	e2e_coll_id(&B, "from-cert-a", b_from_a);
	check_inbox_read_only(&a_admin, a_from_b);
	check_inbox_read_only(&b_admin, b_from_a);

	/* the running daemons picked the partners up */
	if (e2e_log_wait(&A, a_started, 1, 5000) != 1 || e2e_log_wait(&B, b_started, 1, 5000) != 1)
		fail_msg("a daemon did not start its link within 5 s of `partner add`");
	json_decref(a_show);
	json_decref(b_show);
	log_time("paired both ways");
}

/* ---- ATT&CK one way, indicators the other, at once ---- */

struct poster {
	struct e2e_node *n;
	const char *coll;
	char **objs;
	size_t n_objs, per_post;
	size_t acked;                 /* objects whose POST got a right 202 */
	char error[512];
};

/* Posts objs in order, per_post at a time; stops at the first failure (thread). */
static void *
poster_main(void *arg)
{
	struct poster *p = arg;
	struct e2e_client c;
	struct e2e_resp r = { 0 };
	struct e2e_str env = { 0 };
	char pth[200];
	size_t i = p->acked;

	e2e_client_basic(&c, p->n, "admin", PW);
	snprintf(pth, sizeof(pth), API "/collections/%s/objects/", p->coll);
	while (i < p->n_objs) {
		size_t k, n = p->n_objs - i < p->per_post ? p->n_objs - i : p->per_post;
		struct e2e_req rq = { .path = pth, .timeout_ms = 60000 };
		json_t *st;

		env.len = 0;
		e2e_str_add(&env, "{\"objects\":[", 12);
		for (k = 0; k < n; k++) {
			if (k)
				e2e_str_add(&env, ",", 1);
			e2e_str_add(&env, p->objs[i + k], strlen(p->objs[i + k]));
		}
		e2e_str_add(&env, "]}", 2);
		rq.body = env.s;
		rq.len = env.len;
		if (e2e_do(&c, &rq, &r) != 0)
			break; /* the node is gone */
		st = json_loadb(r.body, r.len, 0, NULL);
		if (r.status != 202 || st == NULL ||
		    json_integer_value(json_object_get(st, "success_count")) != (json_int_t)n) {
			snprintf(p->error, sizeof(p->error), "POST answered %ld: %.300s", r.status, r.body);
			json_decref(st);
			break;
		}
		json_decref(st);
		i += n;
		p->acked = i;
	}
	e2e_str_release(&env);
	e2e_resp_release(&r);
	e2e_client_release(&c);
	return NULL;
}

static void
test_attack_both_directions(void **state)
{
	char p[1024], **objs, **b_objs;
	size_t len, i;
	char *buf;
	struct e2e_span *sp;
	long n;
	pthread_t th;
	struct poster bp = { 0 };
	size_t n_env_ab, n_env_ba;

	snprintf(p, sizeof(p), "%s/%s", LIAISON_DATA_DIR, ATTACK);
	buf = e2e_read_file(p, &len);
	if (buf == NULL)
		fail_msg("cannot read %s", p);
	n = e2e_json_array_spans(buf, len, "objects", 0, &sp);
	if (n != ATTACK_OBJECTS)
		fail_msg("%s has %ld objects, the data README says %d", ATTACK, n, ATTACK_OBJECTS);
	objs = calloc((size_t)n, sizeof(*objs));
	for (i = 0; i < (size_t)n; i++) {
		objs[i] = strndup(sp[i].s, sp[i].len);
		if (!remember(&a_sent, sp[i].s, sp[i].len))
			fail_msg("ATT&CK holds a version twice: %.200s", objs[i]);
	}
	free(sp);
	free(buf);
	b_objs = indicators(B_INDICATORS, "from-b");
	for (i = 0; i < B_INDICATORS; i++)
		remember(&b_sent, b_objs[i], strlen(b_objs[i]));
	log_time("ATT&CK read: %ld objects", n);

	/* B shares its indicators while A shares ATT&CK */
	bp.n = &B;
	bp.coll = b_shared;
	bp.objs = b_objs;
	bp.n_objs = B_INDICATORS;
	bp.per_post = 250;
	if (pthread_create(&th, NULL, poster_main, &bp) != 0)
		fail_msg("pthread_create failed");
	post_all(&a_admin, a_shared, objs, (size_t)n);
	pthread_join(th, NULL);
	if (bp.acked != B_INDICATORS)
		fail_msg("B's indicators were not all accepted (%zu): %s", bp.acked, bp.error);
	log_time("posted: ATT&CK on A, %d indicators on B", B_INDICATORS);
	wait_delivered("ATT&CK A->B with indicators B->A", 600, 1);

	verify_coll(&b_admin, b_from_a, &a_sent, "B's from-cert-a");
	verify_coll(&a_admin, a_from_b, &b_sent, "A's from-cert-b");
	n_env_ab = verify_envelopes(&A, "cert-b", &B, "cert-a", ATTACK_OBJECTS);
	n_env_ba = verify_envelopes(&B, "cert-a", &A, "cert-b", B_INDICATORS);
	assert_link_clean(&A, "cert-b", n_env_ab);
	assert_link_clean(&B, "cert-a", n_env_ba);
	/* envelope_objects = 200 on A: at least 24771 / 200 envelopes */
	if (n_env_ab < (ATTACK_OBJECTS + 199) / 200)
		fail_msg("A packed ATT&CK into %zu envelopes; with envelope_objects = 200 it needs at least %d",
		    n_env_ab, (ATTACK_OBJECTS + 199) / 200);
	{
		json_t *pa = e2e_partner(&A, "cert-b"), *pb = e2e_partner(&B, "cert-a");
		assert_int_equal(e2e_jint(pa, "envelopes_in"), (long long)n_env_ba);
		assert_int_equal(e2e_jint(pb, "envelopes_in"), (long long)n_env_ab);
		json_decref(pa);
		json_decref(pb);
	}
	/* the counters agree (neither daemon restarted yet) */
	assert_int_equal(e2e_node_metric(&a_admin, "liaison_peer_objects_total{event=\"sent\"}"), ATTACK_OBJECTS);
	assert_int_equal(e2e_node_metric(&b_admin, "liaison_peer_objects_total{event=\"received\"}"), ATTACK_OBJECTS);
	assert_int_equal(e2e_node_metric(&b_admin, "liaison_peer_objects_total{event=\"sent\"}"), B_INDICATORS);
	assert_int_equal(e2e_node_metric(&a_admin, "liaison_peer_objects_total{event=\"received\"}"), B_INDICATORS);
	assert_int_equal(e2e_node_metric(&a_admin, "liaison_peer_envelopes_total{event=\"sent\"}"), (long long)n_env_ab);
	assert_int_equal(e2e_node_metric(&b_admin, "liaison_peer_envelopes_total{event=\"received\"}"), (long long)n_env_ab);
	assert_int_equal(e2e_node_metric(&a_admin, "liaison_peer_queue_envelopes"), 0);
	assert_int_equal(e2e_node_metric(&a_admin, "liaison_peer_links"), 1);
	free_strs(objs, (size_t)n);
	free_strs(b_objs, B_INDICATORS);
}

/* ---- the receiver down for a while ---- */

static void
test_receiver_down_catches_up(void **state)
{
	char **objs = indicators(3000, "while-b-down");
	long long retries0 = 0;
	int64_t t0, dl;
	json_t *p = NULL;
	int rc, logged = 0;
	size_t i;

	rc = e2e_node_stop(&B, &logged);
	if (rc != 0 || !logged)
		fail_msg("B did not stop cleanly (exit %d, stopped logged %d)", rc, logged);
	for (i = 0; i < 3000; i++)
		remember(&a_sent, objs[i], strlen(objs[i]));
	post_all(&a_admin, a_shared, objs, 2000);
	/* A queues and says why */
	t0 = e2e_now_ms();
	dl = t0 + 20000;
	for (;;) {
		p = e2e_partner(&A, "cert-b");
		if (e2e_jint(p, "queued") > 0 && strlen(e2e_jstr(p, "last_error")) > 0 && e2e_jint(p, "retries") > 0)
			break;
		if (e2e_now_ms() > dl)
			fail_msg("20 s after B went down, A's partner list does not show a queue, an error and "
			    "retries: %s", json_dumps(p, JSON_COMPACT));
		json_decref(p);
		e2e_sleep_ms(200);
	}
	log_time("B down: A queues %lld envelopes, retry %lld: %.60s", e2e_jint(p, "queued"), e2e_jint(p, "retries"),
	    e2e_jstr(p, "last_error"));
	if (strlen(e2e_jstr(p, "last_error_at")) < 20)
		fail_msg("A's link shows an error without its time: %s", json_dumps(p, JSON_COMPACT));
	retries0 = e2e_jint(p, "retries");
	json_decref(p);
	if (e2e_node_metric(&a_admin, "liaison_peer_queue_envelopes") <= 0)
		fail_msg("A's liaison_peer_queue_envelopes is not above 0 while B is down");
	/* more while B stays down; A keeps retrying (at most every second) */
	post_all(&a_admin, a_shared, objs + 2000, 1000);
	e2e_sleep_ms(3000);
	p = e2e_partner(&A, "cert-b");
	if (e2e_jint(p, "retries") <= retries0)
		fail_msg("A did not retry in 3 s (retries %lld, then %lld)", retries0, e2e_jint(p, "retries"));
	json_decref(p);
	assert_true(e2e_count(&a_admin, a_shared) == a_sent.n);

	e2e_node_start(&B);
	log_time("B restarted");
	wait_delivered("catch-up after B was down", 120, 0);
	assert_link_clean(&A, "cert-b", verify_envelopes(&A, "cert-b", &B, "cert-a", a_sent.n));
	verify_coll(&b_admin, b_from_a, &a_sent, "B's from-cert-a after the catch-up");
	free_strs(objs, 3000);
}

/* ---- kill -9 at random moments ---- */

static void
start_poster(struct poster *p, pthread_t *th, struct e2e_node *n, const char *coll, char **objs,
    size_t count)
{
	memset(p, 0, sizeof(*p));
	p->n = n;
	p->coll = coll;
	p->objs = objs;
	p->n_objs = count;
	p->per_post = ROUND_POST;
	if (pthread_create(th, NULL, poster_main, p) != 0)
		fail_msg("pthread_create failed");
}

/* Joins a poster; what its node did not acknowledge before it died is posted again. */
static void
finish_poster(struct poster *p, const pthread_t *th, struct e2e_client *c, int round)
{
	if (th != NULL)
		pthread_join(*th, NULL);
	if (p->error[0])
		fail_msg("round %d: %s", round, p->error);
	if (p->acked < p->n_objs) {
		log_time("round %d: %s acknowledged %zu of %zu objects; the rest again", round, p->n->name,
		    p->acked, p->n_objs);
		post_all(c, p->coll, p->objs + p->acked, p->n_objs - p->acked);
	}
}

/*
 * Each round A shares ROUND_OBJECTS new indicators (large ones in rounds 2
 * and 3) and B a quarter as many, both at once; once B has received some of the round, after a random
 * 0-400 ms, the victim (B, A, B, ...) is killed with SIGKILL and started
 * again. Killing B kills the receiver of A's envelopes and the sender of
 * its own, and the other way round for A.
 */
static void
test_kill9_rounds(void **state)
{
	int round, mid = 0;

	for (round = 0; round < KILL_ROUNDS; round++) {
		struct e2e_node *victim = round % 2 == 0 ? &B : &A;
		char tag[32], **objs, **bobjs;
		struct poster pa, pb;
		pthread_t tha, thb;
		long long base, q = -1, got = -1;
		int64_t dl;
		int delay;
		size_t i;

		snprintf(tag, sizeof(tag), "kill-round-%d", round);
		/* rounds 2 and 3 carry 6 KiB objects: envelopes of 1.2 MiB, batches of 16 MiB */
		objs = indicators_pad(ROUND_OBJECTS, tag, round == 2 || round == 3 ? 6144 : 0);
		for (i = 0; i < ROUND_OBJECTS; i++)
			remember(&a_sent, objs[i], strlen(objs[i]));
		bobjs = indicators(ROUND_OBJECTS / 4, tag);
		for (i = 0; i < ROUND_OBJECTS / 4; i++)
			remember(&b_sent, bobjs[i], strlen(bobjs[i]));
		base = e2e_node_metric(&b_admin, "liaison_peer_objects_total{event=\"received\"}");
		start_poster(&pa, &tha, &A, a_shared, objs, ROUND_OBJECTS);
		start_poster(&pb, &thb, &B, b_shared, bobjs, ROUND_OBJECTS / 4);
		/* the transfer has begun: B has received some of this round */
		dl = e2e_now_ms() + 60000;
		while ((got = metric_try(&b_admin, "liaison_peer_objects_total{event=\"received\"}")) <= base) {
			if (e2e_now_ms() > dl)
				fail_msg("round %d: no object reached B within 60 s", round);
			e2e_sleep_ms(5);
		}
		delay = rand() % 400;
		e2e_sleep_ms(delay);
		q = metric_try(&a_admin, "liaison_peer_queue_envelopes");
		got = metric_try(&b_admin, "liaison_peer_objects_total{event=\"received\"}") - base;
		e2e_node_kill9(victim);
		if (q > 0 || got < ROUND_OBJECTS)
			mid++;
		log_time("round %d: kill -9 %s %d ms into the transfer (A queued %lld, B had %lld of %d)", round,
		    victim->name, delay, q, got, ROUND_OBJECTS);
		/* the survivor's poster finishes; the victim's stopped at the kill */
		pthread_join(victim == &A ? thb : tha, NULL);
		e2e_node_start(victim);
		if (victim == &A) {
			finish_poster(&pb, NULL, &b_admin, round);
			finish_poster(&pa, &tha, &a_admin, round);
		} else {
			finish_poster(&pa, NULL, &a_admin, round);
			finish_poster(&pb, &thb, &b_admin, round);
		}
		wait_delivered(tag, 180, 1);
		free_strs(objs, ROUND_OBJECTS);
		free_strs(bobjs, ROUND_OBJECTS / 4);
	}
	{
		/* resends answered with the receipt given before: the kills hit between accept and receipt */
		const char *dup[] = { "\"event\":\"envelope_duplicate\"", NULL };
		log_time("%d of %d kills landed while envelopes were in flight; resends answered: A %zu, B %zu",
		    mid, KILL_ROUNDS, e2e_log_count(&A, dup), e2e_log_count(&B, dup));
	}
	if (mid == 0)
		fail_msg("no kill -9 landed during a transfer: the rounds tested nothing");
	/* exactly the set each shared, each version once, byte for byte, on both sides */
	verify_coll(&a_admin, a_shared, &a_sent, "A's shared");
	verify_coll(&b_admin, b_from_a, &a_sent, "B's from-cert-a after the kills");
	verify_coll(&b_admin, b_shared, &b_sent, "B's shared");
	verify_coll(&a_admin, a_from_b, &b_sent, "A's from-cert-b after the kills");
	assert_link_clean(&A, "cert-b", verify_envelopes(&A, "cert-b", &B, "cert-a", a_sent.n));
	assert_link_clean(&B, "cert-a", verify_envelopes(&B, "cert-a", &A, "cert-b", b_sent.n));
}

/*
 * Partners configured differently: A sends batches of up to 64 MiB, B takes
 * 64 KiB + one envelope. B refuses A's big batches with 413 too_big and A
 * must send smaller ones until everything is through.
 */
static void
test_partner_takes_smaller_batches(void **state)
{
	const char *too_big[] = { "\"event\":\"batch_refused\"", "\"reason\":\"too_big\"", NULL };
	char **objs = indicators_pad(4000, "big-batches", 10240);
	size_t i, refused;
	int logged = 0;

	if (e2e_node_stop(&B, &logged) != 0 || !logged)
		fail_msg("B did not stop cleanly");
	if (e2e_node_stop(&A, &logged) != 0 || !logged)
		fail_msg("A did not stop cleanly");
	e2e_node_conf(&A, "peer", "batch_bytes", "67108864");
	e2e_node_conf(&B, "peer", "batch_bytes", "65536");
	e2e_node_start(&A);
	for (i = 0; i < 4000; i++)
		remember(&a_sent, objs[i], strlen(objs[i]));
	/* 40 MiB queued on A while B is down: the first batch will be as big as A allows */
	post_all(&a_admin, a_shared, objs, 4000);
	e2e_node_start(&B);
	log_time("40 MiB queued on A; B takes batches of 16 MiB + 64 KiB at most");
	wait_delivered("big batches to a partner that takes small ones", 180, 0);
	refused = e2e_log_count(&B, too_big);
	log_time("B refused %zu batches as too big", refused);
	if (refused == 0)
		fail_msg("B never refused a batch: the test did not test what it should");
	verify_coll(&b_admin, b_from_a, &a_sent, "B's from-cert-a after the big batches");
	assert_link_clean(&A, "cert-b", verify_envelopes(&A, "cert-b", &B, "cert-a", a_sent.n));
	free_strs(objs, 4000);
}

/* ---- a partner of several endpoints ---- */

/* Waits until coll (of c) holds want objects and n's link to partner has nothing queued. */
static void
wait_count(struct e2e_client *c, const char *coll, size_t want, struct e2e_node *n,
    const char *partner, const char *what)
{
	int64_t dl = e2e_now_ms() + 60000;
	long long q = -1;
	size_t got = 0;

	for (;;) {
		json_t *p = e2e_partner(n, partner);
		q = e2e_jint(p, "queued");
		json_decref(p);
		got = e2e_count(c, coll);
		if (got == want && q == 0)
			break;
		if (e2e_now_ms() > dl)
			fail_msg("%s: not delivered within 60 s: %zu of %zu arrived, %s queues %lld",
			    what, got, want, n->name, q);
		e2e_sleep_ms(200);
	}
	log_time("%s: %zu objects delivered", what, want);
}

/*
 * C pairs with B giving two endpoints, as for a node of two daemons: first
 * a port nothing listens on, then B's peer listener. What C shares reaches
 * B through the second, C logs which endpoint answered and keeps sending
 * there (the dead one is not tried for every batch); with B down as well,
 * the error names both endpoints, and C catches up when B is back.
 */
static void
test_endpoint_fallthrough(void **state)
{
	const char *started[] = { "\"event\":\"link_started\"", "\"partner\":\"cert-b\"", NULL };
	const char *dead[] = { "\"event\":\"endpoint_failed\"", "\"partner\":\"cert-b\"", NULL };
	const char *moved[] = { "\"event\":\"endpoint_failed\"", "\"partner\":\"cert-b\"",
	    "\"index\":1", "\"next\":0", NULL };
	const char *dead_ep = "https://127.0.0.1:1";
	char b_doc[400], b_ep[64], c_shared[64], b_from_c[64], used_ep[96];
	const char *used[] = { "\"event\":\"link_endpoint\"", "\"partner\":\"cert-b\"",
	    "\"index\":1", used_ep, NULL };
	const char *const for_c[] = { "for-cert-c", NULL };
	struct e2e_client c_admin;
	struct e2e_node C;
	char **objs = indicators(300, "fallthrough");
	size_t tried;
	int64_t dl;
	json_t *j, *p;
	int logged = 0;

	node_setup(&C, "cert-c");
	e2e_coll_id(&C, "shared", c_shared);
	e2e_node_start(&C);
	e2e_client_basic(&c_admin, &C, "admin", PW);
	e2e_peer_endpoint(&B, b_ep);
	snprintf(used_ep, sizeof(used_ep), "\"endpoint\":\"%s\"", b_ep);
	/* B pins C and shares it a collection of its own: B's other objects stay home */
	e2e_coll_add(&B, "for-cert-c");
	json_decref(e2e_pair(&B, &C, for_c));
	snprintf(b_doc, sizeof(b_doc), "%s.identity.json", B.home);
	e2e_identity_export(&B, b_doc);
	j = e2e_liaison_json(&C, "partner", "add", b_doc, "--endpoint", dead_ep, "--endpoint", b_ep,
	    "--yes", NULL);
	assert_string_equal(e2e_jstr(j, "endpoint"), dead_ep);
	assert_int_equal(json_array_size(json_object_get(j, "endpoints")), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(j, "endpoints"), 1)) ?: "",
	    b_ep);
	json_decref(j);
	if (e2e_log_wait(&C, started, 1, 5000) != 1)
		fail_msg("C did not start its link to cert-b within 5 s of `partner add`");
	e2e_coll_id(&B, "from-cert-c", b_from_c);

	post_all(&c_admin, c_shared, objs, 100);
	wait_count(&b_admin, b_from_c, 100, &C, "cert-b", "C -> B past a dead first endpoint");
	if (e2e_log_wait(&C, used, 1, 5000) != 1)
		fail_msg("C did not log that B answered at its second endpoint %s", b_ep);
	tried = e2e_log_count(&C, dead);
	post_all(&c_admin, c_shared, objs + 100, 100);
	wait_count(&b_admin, b_from_c, 200, &C, "cert-b", "C -> B again");
	if (e2e_log_count(&C, dead) != tried)
		fail_msg("C tried the dead endpoint again although B's answered (%zu, then %zu times)",
		    tried, e2e_log_count(&C, dead));

	/* neither answers: the error names both, and the backoff applies */
	if (e2e_node_stop(&B, &logged) != 0 || !logged)
		fail_msg("B did not stop cleanly");
	post_all(&c_admin, c_shared, objs + 200, 100);
	for (dl = e2e_now_ms() + 20000;; e2e_sleep_ms(200)) {
		p = e2e_partner(&C, "cert-b");
		if (strstr(e2e_jstr(p, "last_error"), dead_ep) != NULL &&
		    strstr(e2e_jstr(p, "last_error"), b_ep) != NULL && e2e_jint(p, "retries") > 0)
			break;
		if (e2e_now_ms() > dl)
			fail_msg("with B down, C's link does not name both endpoints: %s",
			    json_dumps(p, JSON_COMPACT));
		json_decref(p);
	}
	log_time("B down: C says %.200s", e2e_jstr(p, "last_error"));
	json_decref(p);
	/* link threads' log lines reach the file at the next flush (LOG_FLUSH_MS) */
	if (e2e_log_wait(&C, moved, 1, 2000) == 0)
		fail_msg("C's sender did not go on to the next endpoint when B's did not answer");
	e2e_node_start(&B);
	wait_count(&b_admin, b_from_c, 300, &C, "cert-b", "C -> B after B was down");
	p = e2e_partner(&C, "cert-b");
	assert_string_equal(e2e_jstr(p, "last_error"), "");
	json_decref(p);

	e2e_client_release(&c_admin);
	if (e2e_node_finish(&C) < 0)
		fail_msg("C did not stop cleanly");
	/* B forgets C: nothing of it is left for the other tests */
	if (e2e_liaison(&B, NULL, NULL, NULL, "partner", "remove", "cert-c", NULL) != 0)
		fail_msg("B could not remove cert-c");
	free_strs(objs, 300);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pairing),
		cmocka_unit_test(test_attack_both_directions),
		cmocka_unit_test(test_receiver_down_catches_up),
		cmocka_unit_test(test_kill9_rounds),
		cmocka_unit_test(test_partner_takes_smaller_batches),
		cmocka_unit_test(test_endpoint_fallthrough),
	};

	return cmocka_run_group_tests_name("e2e/exchange", tests, setup, teardown);
}
