/*
 * The peer formats (src/exchange/envelope.c): envelopes, batches, receipts
 * and identity documents. Known answers pin every byte so a change of format
 * cannot pass unnoticed; they were computed once and checked against an
 * independent implementation (Python's hashlib and cryptography).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "crypto/cx.h"
#include "wire/envelope.h"
#include "wire/identity.h"
#include "util/enc.h"
#include "util/err.h"

/* Keys from the seeds 00 01 .. 1f (A, the sender) and 20 21 .. 3f (B, the receiver). */
#define PUB_A "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8"
#define KID_A "56475aa75463474c0285df5dbf2bcab73da651358839e9b77481b2eab107708c"
#define KID_B "24f6ed6acbfe1009c030d7ca567c33ca4830911498236b5561a6c82abec5de28"

/* The known-answer envelope: share, seq 1, 2026-11-27T12:00:00Z, one object. */
#define KAT_TIME_US INT64_C(1795780800000000)
static const char kat_body[] =
    "{\"type\":\"bundle\",\"id\":\"bundle--44af6c39-c09b-49c5-9de2-394224b04982\","
    "\"objects\":[{\"type\":\"identity\",\"spec_version\":\"2.1\","
    "\"id\":\"identity--b38dfe21-7477-40d1-aa90-5c8671ce51ca\","
    "\"created\":\"2026-11-27T12:00:00.000Z\",\"modified\":\"2026-11-27T12:00:00.000Z\","
    "\"name\":\"CERT-A\",\"identity_class\":\"organization\"}]}";
#define KAT_BODY_LEN 299
#define KAT_ENV_LEN (ENV_HEADER_LEN + KAT_BODY_LEN + ENV_SIG_LEN)
#define KAT_BODY_HASH "b6a333c952cfa34ae4ec580819b9e0dd72bf317d8a4fa569edfa7d07b11e7869"
#define KAT_ENV_SIG "5ceb9b14bacbb3eee7978ac8090d3069a04db98a93b21088d9ba8c28c306886a" \
	"86729255ef3d85134c7640af830f17bedda829a6d43a5cc410e91ec569a51100"
#define KAT_ENV_ID "c4b4a9745437533555a297e5bfec91fd0e4c3e1064b0be160812a9d6af9485a6"

/* Its receipt, signed by B 1.5 s later: one object stored, at leaf 7 of B's ledger. */
#define KAT_RCPT_TIME_US INT64_C(1795780801500000)
#define KAT_RCPT_SIG "55fe8ba421cedfba5825398ccc0a9475d938fdc8de5c9638db8b9050668641770" \
	"fc592438127d744f8b716fb962cc275fab3d1a35648b14659fc8261c9c1c003"

/* A's identity document: name cert-a, TLS SPKI hash 40 41 .. 5f. */
#define KAT_FPR "QTQ0-2KHA-BPCA-MMC7-59MS"
static const char kat_doc[] =
    "{\"liaison_identity\":1,\"name\":\"cert-a\",\"sig_type\":1,"
    "\"signing_key\":\"A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=\","
    "\"tls_spki_sha256\":\"QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8=\","
    "\"created\":\"2026-11-27T12:00:00Z\",\"fingerprint\":\"" KAT_FPR "\","
    "\"signature\":\"PjqIx3FOAKpjR1QJzbsy1E2f7QU7rqqcUgDkEQ1Obrv+9nP9aNjhfivZBgCqp5mEeNAhUPnGLOJ+aQbPycj6CQ==\"}\n";

struct fx {
	struct cx_key *a, *b;
	uint8_t pa[CX_ED25519_PUB_LEN], pb[CX_ED25519_PUB_LEN];
	uint8_t ka[CX_SHA256_LEN], kb[CX_SHA256_LEN];
};

static struct cx_key *
key_from(uint8_t first)
{
	uint8_t seed[CX_ED25519_SEED_LEN];
	struct err err = ERR_INIT;
	struct cx_key *k = NULL;
	size_t i;

	for (i = 0; i < sizeof(seed); i++)
		seed[i] = (uint8_t)(first + i);
	assert_int_equal(cx_key_from_raw(seed, &k, &err), 0);
	return k;
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	f->a = key_from(0x00);
	f->b = key_from(0x20);
	cx_key_public(f->a, f->pa);
	cx_key_public(f->b, f->pb);
	env_key_id(f->pa, f->ka);
	env_key_id(f->pb, f->kb);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	cx_key_free(f->a);
	cx_key_free(f->b);
	free(f);
	return 0;
}

static void
assert_hex(const uint8_t *got, size_t len, const char *want)
{
	char h[1024];

	assert_true(len * 2 < sizeof(h));
	hex_encode(got, len, h);
	assert_string_equal(h, want);
}

static void
assert_err(int r, const struct err *err, int code, const char *part)
{
	assert_int_equal(r, -code);
	assert_int_equal(err->code, code);
	if (strstr(err->msg, part) == NULL)
		fail_msg("error '%s' does not mention '%s'", err->msg, part);
}

static void
header_kat(const struct fx *f, struct env_header *h)
{
	memset(h, 0, sizeof(*h));
	h->kind = ENV_SHARE;
	memcpy(h->from, f->ka, sizeof(h->from));
	memcpy(h->to, f->kb, sizeof(h->to));
	h->seq = 1;
	h->time_us = KAT_TIME_US;
	h->items = 1;
}

static void
seal_kat(const struct fx *f, uint8_t out[static KAT_ENV_LEN], uint8_t id[static ENV_ID_LEN])
{
	struct err err = ERR_INIT;
	struct env_header h;
	size_t len = 0;

	header_kat(f, &h);
	assert_int_equal(env_seal(&h, (const uint8_t *)kat_body, KAT_BODY_LEN, f->a, out,
	    KAT_ENV_LEN, &len, id, &err), 0);
	assert_int_equal(len, KAT_ENV_LEN);
}

/* ---- envelopes ---- */

static void
test_key_id_kind_names(void **state)
{
	const struct fx *f = *state;
	static const char *const names[] = {
		NULL, "share", "notify", "request", "ack", "response", "withdraw", NULL,
	};
	int k;

	assert_hex(f->pa, sizeof(f->pa), PUB_A);
	assert_hex(f->ka, sizeof(f->ka), KID_A);
	assert_hex(f->kb, sizeof(f->kb), KID_B);
	for (k = 0; k < (int)(sizeof(names) / sizeof(names[0])); k++) {
		if (names[k] == NULL)
			assert_null(env_kind_name(k));
		else
			assert_string_equal(env_kind_name(k), names[k]);
	}
	assert_null(env_kind_name(-1));
	assert_null(env_kind_name(255));
}

static void
test_env_roundtrip(void **state)
{
	const struct fx *f = *state;
	uint8_t out[KAT_ENV_LEN + 8], id[ENV_ID_LEN], md[CX_SHA256_LEN];
	struct err err = ERR_INIT;
	struct env_header h;
	struct env_view v;
	size_t len = 0, used = 0;

	header_kat(f, &h);
	h.sig_type = 0x7f;     /* filled from the key */
	h.body_len = 5;        /* filled from the body */
	assert_int_equal(env_seal(&h, (const uint8_t *)kat_body, KAT_BODY_LEN, f->a, out,
	    sizeof(out), &len, id, &err), 0);
	assert_int_equal(len, KAT_ENV_LEN);
	assert_int_equal(h.sig_type, CX_SIGTYPE_ED25519);
	assert_int_equal(h.body_len, KAT_BODY_LEN);
	assert_hex(h.body_hash, sizeof(h.body_hash), KAT_BODY_HASH);

	assert_int_equal(env_decode(out, len, &v, &used, &err), 0);
	assert_int_equal(used, len);
	assert_int_equal(v.h.sig_type, 1);
	assert_int_equal(v.h.kind, ENV_SHARE);
	assert_memory_equal(v.h.from, f->ka, 32);
	assert_memory_equal(v.h.to, f->kb, 32);
	assert_int_equal(v.h.seq, 1);
	assert_true(v.h.time_us == KAT_TIME_US);
	assert_int_equal(v.h.body_len, KAT_BODY_LEN);
	assert_int_equal(v.h.items, 1);
	assert_memory_equal(v.h.body_hash, h.body_hash, 32);
	assert_ptr_equal(v.raw, out);
	assert_int_equal(v.raw_len, len);
	assert_ptr_equal(v.header, out);
	assert_ptr_equal(v.body, out + ENV_HEADER_LEN);
	assert_memory_equal(v.body, kat_body, KAT_BODY_LEN);
	assert_ptr_equal(v.sig, out + ENV_HEADER_LEN + KAT_BODY_LEN);
	assert_memory_equal(v.id, id, sizeof(id));
	cx_sha256(out, ENV_HEADER_LEN, md);
	assert_memory_equal(v.id, md, sizeof(md));
	assert_int_equal(env_verify(&v, f->pa, &err), 0);

	/* An empty body (an ack) has the hash of nothing; ret_id may be NULL. */
	h.kind = ENV_ACK;
	h.items = 0;
	h.time_us = -1;
	assert_int_equal(env_seal(&h, NULL, 0, f->a, out, sizeof(out), &len, NULL, &err), 0);
	assert_int_equal(len, ENV_HEADER_LEN + ENV_SIG_LEN);
	assert_int_equal(env_decode(out, len, &v, NULL, &err), 0);
	assert_int_equal(v.h.body_len, 0);
	assert_true(v.h.time_us == -1);
	assert_hex(v.h.body_hash, 32,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_int_equal(env_verify(&v, f->pa, &err), 0);
}

static void
test_env_kat(void **state)
{
	const struct fx *f = *state;
	uint8_t out[KAT_ENV_LEN], id[ENV_ID_LEN];

	seal_kat(f, out, id);
	assert_memory_equal(out + 0, "LSN1", 4);
	assert_int_equal(out[4], 0x01);                               /* Ed25519 */
	assert_int_equal(out[5], ENV_SHARE);
	assert_hex(out + 6, 2, "0000");                               /* flags */
	assert_hex(out + 8, 32, KID_A);                               /* from */
	assert_hex(out + 40, 32, KID_B);                              /* to */
	assert_hex(out + 72, 8, "0000000000000001");                  /* seq */
	assert_hex(out + 80, 8, "00066140ccadb000");                  /* time_us */
	assert_hex(out + 88, 4, "0000012b");                          /* body_len 299 */
	assert_hex(out + 92, 4, "00000001");                          /* items */
	assert_hex(out + 96, 32, KAT_BODY_HASH);
	assert_memory_equal(out + 128, kat_body, KAT_BODY_LEN);
	assert_hex(out + 128 + KAT_BODY_LEN, 64, KAT_ENV_SIG);        /* RFC 8032: deterministic */
	assert_hex(id, sizeof(id), KAT_ENV_ID);
}

/* Every single-bit change is caught by decode or by verify, never by neither. */
static void
test_env_bitflip(void **state)
{
	const struct fx *f = *state;
	uint8_t out[KAT_ENV_LEN], id[ENV_ID_LEN];
	struct err err = ERR_INIT;
	struct env_view v;
	size_t bit, used, at_decode = 0, at_verify = 0;
	int r;

	seal_kat(f, out, id);
	for (bit = 0; bit < sizeof(out) * 8; bit++) {
		out[bit / 8] ^= (uint8_t)(1u << bit % 8);
		r = env_decode(out, sizeof(out), &v, &used, &err);
		if (r < 0) {
			assert_int_equal(r, -LSN_EINVAL);
			at_decode++;
		} else {
			assert_int_equal(env_verify(&v, f->pa, &err), -LSN_EBADSIG);
			at_verify++;
		}
		out[bit / 8] ^= (uint8_t)(1u << bit % 8);
	}
	/* Body and framing fail at decode; from, to, seq, time, items, signature at verify. */
	assert_int_equal(at_decode + at_verify, KAT_ENV_LEN * 8);
	assert_true(at_decode >= KAT_BODY_LEN * 8);
	assert_true(at_verify >= ENV_SIG_LEN * 8);
	assert_int_equal(env_decode(out, sizeof(out), &v, &used, &err), 0);
	assert_int_equal(env_verify(&v, f->pa, &err), 0);
}

static void
expect_decode(const uint8_t *buf, size_t len, const char *part1, const char *part2)
{
	struct err err = ERR_INIT;
	struct env_view v, before;
	size_t used = 12345;

	memset(&v, 0xa5, sizeof(v));
	before = v;
	assert_err(env_decode(buf, len, &v, &used, &err), &err, LSN_EINVAL, part1);
	if (part2 != NULL && strstr(err.msg, part2) == NULL)
		fail_msg("error '%s' does not mention '%s'", err.msg, part2);
	/* Out-parameters are written only on success. */
	assert_memory_equal(&v, &before, sizeof(v));
	assert_int_equal(used, 12345);
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void
test_env_malformed(void **state)
{
	const struct fx *f = *state;
	uint8_t good[KAT_ENV_LEN], b[KAT_ENV_LEN], id[ENV_ID_LEN];
	static const struct {
		size_t off;
		uint8_t val;
		const char *field;
	} bytes[] = {
		{ 0, 'X', "'magic'" }, { 3, '2', "'magic'" },
		{ 4, 0x00, "'sig_type'" }, { 4, 0x02, "'sig_type'" },
		{ 5, 0x00, "'kind'" }, { 5, ENV_KIND_MAX + 1, "'kind'" }, { 5, 0xff, "'kind'" },
		{ 6, 0x80, "'flags'" }, { 7, 0x01, "'flags'" },
		{ 79, 0x00, "'seq'" },                   /* seq 1 -> 0 */
		{ 96, 0x00, "'body_hash'" },             /* the hash itself */
		{ 128 + 10, 'X', "'body_hash'" },        /* a body byte */
	};
	size_t i;

	seal_kat(f, good, id);
	expect_decode(good, 0, "128", "0 remain");
	expect_decode(NULL, 0, "128", NULL);
	expect_decode(good, 1, "128", "1 remain");
	expect_decode(good, ENV_HEADER_LEN - 1, "128", "127 remain");
	for (i = 0; i < sizeof(bytes) / sizeof(bytes[0]); i++) {
		memcpy(b, good, sizeof(b));
		b[bytes[i].off] = bytes[i].val;
		expect_decode(b, sizeof(b), bytes[i].field, NULL);
	}

	/* Lengths: over the cap, body cut short, signature cut short, body shortened. */
	memcpy(b, good, sizeof(b));
	put32(b + 88, ENV_BODY_MAX + 1);
	expect_decode(b, sizeof(b), "'body_len'", "16777217");
	put32(b + 88, ENV_BODY_MAX);
	expect_decode(b, sizeof(b), "body is cut short", "16777344 bytes were expected");
	expect_decode(good, ENV_HEADER_LEN + 10, "body is cut short", "427 bytes were expected");
	expect_decode(good, ENV_HEADER_LEN + KAT_BODY_LEN, "signature is cut short",
	    "491 bytes were expected");
	expect_decode(good, KAT_ENV_LEN - 1, "signature is cut short", "490 remain");
	memcpy(b, good, sizeof(b));
	put32(b + 88, KAT_BODY_LEN - 1);
	expect_decode(b, sizeof(b), "'body_hash'", NULL);
}

static void
test_env_seal_errors(void **state)
{
	const struct fx *f = *state;
	uint8_t out[KAT_ENV_LEN], fill[KAT_ENV_LEN], id[ENV_ID_LEN];
	struct env_header h, before;
	struct err err = ERR_INIT;
	size_t len = 777;

	memset(out, 0xa5, sizeof(out));
	memcpy(fill, out, sizeof(out));
	header_kat(f, &h);
	before = h;
	/* The capacity is checked before a byte is written. */
	assert_err(env_seal(&h, (const uint8_t *)kat_body, KAT_BODY_LEN, f->a, out,
	    KAT_ENV_LEN - 1, &len, id, &err), &err, LSN_ETOOBIG, "491");
	assert_memory_equal(out, fill, sizeof(out));
	assert_memory_equal(&h, &before, sizeof(h));
	assert_int_equal(len, 777);
	/* The body cap is checked before the body is read (this one is 3 bytes long). */
	assert_err(env_seal(&h, (const uint8_t *)"abc", (size_t)ENV_BODY_MAX + 1, f->a, out,
	    sizeof(out), &len, id, &err), &err, LSN_ETOOBIG, "16777217");
	assert_err(env_seal(&h, NULL, 5, f->a, out, sizeof(out), &len, id, &err), &err,
	    LSN_EINVAL, "no data");

	h.kind = 0;
	assert_err(env_seal(&h, NULL, 0, f->a, out, sizeof(out), &len, id, &err), &err,
	    LSN_EINVAL, "'kind'");
	h.kind = ENV_KIND_MAX + 1;
	assert_err(env_seal(&h, NULL, 0, f->a, out, sizeof(out), &len, id, &err), &err,
	    LSN_EINVAL, "'kind'");
	h = before;
	h.seq = 0;
	assert_err(env_seal(&h, NULL, 0, f->a, out, sizeof(out), &len, id, &err), &err,
	    LSN_EINVAL, "'seq'");
	h = before;
	/* Signing as A while claiming to be B would never verify at the partner. */
	assert_err(env_seal(&h, NULL, 0, f->b, out, sizeof(out), &len, id, &err), &err,
	    LSN_EINVAL, "'from'");
	assert_memory_equal(out, fill, sizeof(out));
	assert_int_equal(len, 777);
}

/* A body of exactly ENV_BODY_MAX bytes is allowed; one more is not. */
static void
test_env_body_max(void **state)
{
	const struct fx *f = *state;
	size_t cap = ENV_HEADER_LEN + ENV_BODY_MAX + ENV_SIG_LEN, len = 0, used = 0;
	uint8_t *body = calloc(1, ENV_BODY_MAX), *out = malloc(cap);
	struct err err = ERR_INIT;
	struct env_header h;
	struct env_view v;

	assert_non_null(body);
	assert_non_null(out);
	header_kat(f, &h);
	assert_int_equal(env_seal(&h, body, ENV_BODY_MAX, f->a, out, cap, &len, NULL, &err), 0);
	assert_int_equal(len, cap);
	assert_int_equal(env_decode(out, len, &v, &used, &err), 0);
	assert_int_equal(v.h.body_len, ENV_BODY_MAX);
	assert_int_equal(used, cap);
	assert_int_equal(env_verify(&v, f->pa, &err), 0);
	free(body);
	free(out);
}

static void
test_env_batch(void **state)
{
	const struct fx *f = *state;
	static const size_t lens[] = { 0, 1, KAT_BODY_LEN, 64, 1000 };
	uint8_t buf[8192], ids[5][ENV_ID_LEN], bodies[1100];
	struct err err = ERR_INIT;
	struct env_header h;
	struct env_view v;
	size_t i, n, pos = 0, used;

	for (i = 0; i < sizeof(bodies); i++)
		bodies[i] = (uint8_t)(i * 7);
	header_kat(f, &h);
	for (i = 0; i < 5; i++) {
		h.seq = i + 1;
		h.kind = (uint8_t)(ENV_SHARE + i);
		assert_int_equal(env_seal(&h, bodies + 3 * i, lens[i], f->a,
		    buf + pos, sizeof(buf) - pos, &n, ids[i], &err), 0);
		pos += n;
	}
	for (i = 0, n = 0; n < pos; i++) {
		assert_int_equal(env_decode(buf + n, pos - n, &v, &used, &err), 0);
		assert_int_equal(used, ENV_HEADER_LEN + lens[i] + ENV_SIG_LEN);
		assert_int_equal(v.h.seq, i + 1);
		assert_int_equal(v.h.kind, ENV_SHARE + i);
		assert_int_equal(v.h.body_len, lens[i]);
		if (lens[i] > 0)
			assert_memory_equal(v.body, bodies + 3 * i, lens[i]);
		assert_memory_equal(v.id, ids[i], ENV_ID_LEN);
		assert_int_equal(env_verify(&v, f->pa, &err), 0);
		n += used;
	}
	assert_int_equal(i, 5);
	assert_int_equal(n, pos);

	/* Trailing bytes are reported as a short envelope, at their offset. */
	memset(buf + pos, 0, 10);
	assert_err(env_decode(buf + pos, 10, &v, &used, &err), &err, LSN_EINVAL, "10 remain");
	/* A damaged second envelope stops the walk there; the first still decodes. */
	buf[ENV_HEADER_LEN + ENV_SIG_LEN + ENV_HEADER_LEN] ^= 1;   /* body of #2 */
	assert_int_equal(env_decode(buf, pos, &v, &used, &err), 0);
	assert_err(env_decode(buf + used, pos - used, &v, &used, &err), &err, LSN_EINVAL,
	    "'body_hash'");
}

static void
test_env_wrong_key(void **state)
{
	const struct fx *f = *state;
	uint8_t out[KAT_ENV_LEN], id[ENV_ID_LEN];
	struct err err = ERR_INIT;
	struct env_view v;
	size_t used;

	seal_kat(f, out, id);
	assert_int_equal(env_decode(out, sizeof(out), &v, &used, &err), 0);
	assert_err(env_verify(&v, f->pb, &err), &err, LSN_EBADSIG, "'from'");
	/* Claiming B as sender (decode cannot tell) still needs B's signature. */
	memcpy(out + 8, f->kb, 32);
	assert_int_equal(env_decode(out, sizeof(out), &v, &used, &err), 0);
	assert_err(env_verify(&v, f->pb, &err), &err, LSN_EBADSIG, "signature");
	assert_err(env_verify(&v, f->pa, &err), &err, LSN_EBADSIG, "'from'");
}

/* ---- receipts ---- */

static void
rcpt_kat(const struct fx *f, struct rcpt *r)
{
	memset(r, 0, sizeof(*r));
	assert_int_equal(hex_decode(KAT_ENV_ID, 64, r->env_id, 32), 0);
	memcpy(r->from, f->ka, 32);
	memcpy(r->to, f->kb, 32);
	r->seq = 1;
	r->time_us = KAT_RCPT_TIME_US;
	r->stored = 1;
	r->leaf = 7;
}

/* Re-signs a receipt after a change, so the structural checks are what refuses it. */
static void
rcpt_resign(uint8_t buf[static RCPT_LEN], const struct cx_key *k)
{
	uint8_t msg[sizeof(RCPT_DOMAIN) + RCPT_BODY_LEN];

	memcpy(msg, RCPT_DOMAIN, sizeof(RCPT_DOMAIN));
	memcpy(msg + sizeof(RCPT_DOMAIN), buf, RCPT_BODY_LEN);
	assert_int_equal(cx_sign(k, msg, sizeof(msg), buf + RCPT_BODY_LEN), 0);
}

static void
test_rcpt_roundtrip(void **state)
{
	const struct fx *f = *state;
	struct err err = ERR_INIT;
	uint8_t buf[RCPT_LEN];
	struct rcpt r, got;

	rcpt_kat(f, &r);
	r.seq = UINT64_C(0x0102030405060708);
	r.time_us = -5;
	r.stored = 7;
	r.duplicate = 0x80000000u;
	r.refused = 3;
	r.sig_type = 0x55;   /* not read: the key decides */
	assert_int_equal(rcpt_seal(&r, f->b, buf, &err), 0);
	memset(&got, 0, sizeof(got));
	assert_int_equal(rcpt_open(buf, sizeof(buf), f->pb, &got, &err), 0);
	assert_int_equal(got.sig_type, CX_SIGTYPE_ED25519);
	assert_int_equal(got.status, 0);
	assert_memory_equal(got.env_id, r.env_id, 32);
	assert_memory_equal(got.from, f->ka, 32);
	assert_memory_equal(got.to, f->kb, 32);
	assert_true(got.seq == UINT64_C(0x0102030405060708));
	assert_true(got.time_us == -5);
	assert_int_equal(got.stored, 7);
	assert_int_equal(got.duplicate, 0x80000000u);
	assert_int_equal(got.refused, 3);
	assert_true(got.leaf == 7);
}

static void
test_rcpt_kat(void **state)
{
	const struct fx *f = *state;
	struct err err = ERR_INIT;
	uint8_t buf[RCPT_LEN];
	struct rcpt r;

	rcpt_kat(f, &r);
	assert_int_equal(rcpt_seal(&r, f->b, buf, &err), 0);
	assert_memory_equal(buf, "LSR1", 4);
	assert_int_equal(buf[4], 0x01);
	assert_int_equal(buf[5], 0x00);                      /* accepted */
	assert_hex(buf + 6, 2, "0000");
	assert_hex(buf + 8, 32, KAT_ENV_ID);
	assert_hex(buf + 40, 32, KID_A);
	assert_hex(buf + 72, 32, KID_B);
	assert_hex(buf + 104, 8, "0000000000000001");
	assert_hex(buf + 112, 8, "00066140ccc49360");
	assert_hex(buf + 120, 4, "00000001");                /* stored */
	assert_hex(buf + 124, 4, "00000000");                /* duplicate */
	assert_hex(buf + 128, 4, "00000000");                /* refused */
	assert_hex(buf + 132, 4, "00000000");                /* reserved */
	assert_hex(buf + 136, 8, "0000000000000007");        /* leaf */
	assert_hex(buf + 144, 64, KAT_RCPT_SIG);
}

static void
test_rcpt_bitflip(void **state)
{
	const struct fx *f = *state;
	struct err err = ERR_INIT;
	uint8_t buf[RCPT_LEN];
	struct rcpt r, got, before;
	size_t bit;
	int rc;

	rcpt_kat(f, &r);
	assert_int_equal(rcpt_seal(&r, f->b, buf, &err), 0);
	memset(&got, 0x5a, sizeof(got));
	before = got;
	for (bit = 0; bit < RCPT_LEN * 8; bit++) {
		buf[bit / 8] ^= (uint8_t)(1u << bit % 8);
		rc = rcpt_open(buf, sizeof(buf), f->pb, &got, &err);
		assert_true(rc == -LSN_EINVAL || rc == -LSN_EBADSIG);
		buf[bit / 8] ^= (uint8_t)(1u << bit % 8);
	}
	assert_memory_equal(&got, &before, sizeof(got));
	assert_int_equal(rcpt_open(buf, sizeof(buf), f->pb, &got, &err), 0);
}

static void
test_rcpt_malformed(void **state)
{
	const struct fx *f = *state;
	static const struct {
		size_t off;
		uint8_t val;
		const char *field;
	} bytes[] = {
		{ 0, 'X', "'magic'" }, { 4, 0x02, "'sig_type'" }, { 4, 0x00, "'sig_type'" },
		{ 5, 0x01, "'status'" }, { 6, 0x01, "'flags'" }, { 7, 0x80, "'flags'" },
		{ 132, 0x01, "'reserved'" }, { 135, 0x01, "'reserved'" }, { 111, 0x00, "'seq'" },
	};
	uint8_t good[RCPT_LEN + 1], b[RCPT_LEN];
	struct err err = ERR_INIT;
	struct rcpt r, got;
	size_t i;

	rcpt_kat(f, &r);
	assert_int_equal(rcpt_seal(&r, f->b, good, &err), 0);
	good[RCPT_LEN] = 0;
	assert_err(rcpt_open(good, RCPT_LEN - 1, f->pb, &got, &err), &err, LSN_EINVAL, "207");
	assert_err(rcpt_open(good, RCPT_LEN + 1, f->pb, &got, &err), &err, LSN_EINVAL, "209");
	assert_err(rcpt_open(good, 0, f->pb, &got, &err), &err, LSN_EINVAL, "exactly 208");
	assert_err(rcpt_open(NULL, 0, f->pb, &got, &err), &err, LSN_EINVAL, "exactly 208");
	for (i = 0; i < sizeof(bytes) / sizeof(bytes[0]); i++) {
		memcpy(b, good, sizeof(b));
		b[bytes[i].off] = bytes[i].val;
		rcpt_resign(b, f->b);
		assert_err(rcpt_open(b, sizeof(b), f->pb, &got, &err), &err, LSN_EINVAL,
		    bytes[i].field);
	}
	memcpy(b, good, sizeof(b));
	b[150] ^= 0x10;
	assert_err(rcpt_open(b, sizeof(b), f->pb, &got, &err), &err, LSN_EBADSIG, "signature");

	r.status = 1;
	assert_err(rcpt_seal(&r, f->b, b, &err), &err, LSN_EINVAL, "'status'");
	rcpt_kat(f, &r);
	r.seq = 0;
	assert_err(rcpt_seal(&r, f->b, b, &err), &err, LSN_EINVAL, "'seq'");
	rcpt_kat(f, &r);
	assert_err(rcpt_seal(&r, f->a, b, &err), &err, LSN_EINVAL, "'to'");
}

static void
test_rcpt_wrong_key(void **state)
{
	const struct fx *f = *state;
	struct err err = ERR_INIT;
	uint8_t buf[RCPT_LEN];
	struct rcpt r, got;

	rcpt_kat(f, &r);
	assert_int_equal(rcpt_seal(&r, f->b, buf, &err), 0);
	assert_err(rcpt_open(buf, sizeof(buf), f->pa, &got, &err), &err, LSN_EBADSIG, "'to'");
	/* Naming A as the signer while B signs: the key id matches, the signature does not. */
	memcpy(buf + 72, f->ka, 32);
	rcpt_resign(buf, f->b);
	assert_err(rcpt_open(buf, sizeof(buf), f->pa, &got, &err), &err, LSN_EBADSIG, "signature");
}

/* ---- identity documents ---- */

static void
test_ident_name_ok(void **state)
{
	static const struct {
		const char *name;
		int ok;
	} t[] = {
		{ "a", 1 }, { "0", 1 }, { "cert-a", 1 }, { "0day-team", 1 }, { "a-", 1 },
		{ "a--b", 1 }, { "node-7-berlin", 1 },
		{ "", 0 }, { "-a", 0 }, { "-", 0 }, { "A", 0 }, { "Cert-A", 0 }, { "a_b", 0 },
		{ "a.b", 0 }, { "a b", 0 }, { "a/b", 0 }, { "\xc3\xa9t\xc3\xa9", 0 },
		{ "a\n", 0 }, { "a\"b", 0 },
	};
	char n64[IDENT_NAME_MAX + 2];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (ident_name_ok(t[i].name) != t[i].ok)
			fail_msg("ident_name_ok(\"%s\") should be %d", t[i].name, t[i].ok);
	}
	assert_int_equal(ident_name_ok(NULL), 0);
	memset(n64, 'x', IDENT_NAME_MAX);
	n64[IDENT_NAME_MAX] = '\0';
	assert_int_equal(ident_name_ok(n64), 1);
	n64[IDENT_NAME_MAX] = 'x';
	n64[IDENT_NAME_MAX + 1] = '\0';
	assert_int_equal(ident_name_ok(n64), 0);
}

/* The fingerprint as the header describes it, computed bit by bit. */
static void
fpr_slow(uint8_t st, const uint8_t key[32], const uint8_t spki[32], char out[static 25])
{
	static const char abc[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
	uint8_t msg[23 + 1 + 32 + 32], md[32];
	unsigned i, b, v, o = 0;

	memcpy(msg, "liaison fingerprint v1", 23);      /* with its NUL */
	msg[23] = st;
	memcpy(msg + 24, key, 32);
	memcpy(msg + 56, spki, 32);
	cx_sha256(msg, sizeof(msg), md);
	for (i = 0; i < 20; i++) {
		for (b = 0, v = 0; b < 5; b++)
			v = v << 1 | (md[(i * 5 + b) / 8] >> (7 - (i * 5 + b) % 8) & 1);
		if (i > 0 && i % 4 == 0)
			out[o++] = '-';
		out[o++] = abc[v];
	}
	out[o] = '\0';
}

static void
test_ident_fingerprint(void **state)
{
	const struct fx *f = *state;
	uint8_t key[32], spki[32];
	char fp[IDENT_FPR_LEN], want[IDENT_FPR_LEN], other[IDENT_FPR_LEN];
	size_t i, k;

	for (i = 0; i < 32; i++)
		spki[i] = (uint8_t)(0x40 + i);
	ident_fingerprint(CX_SIGTYPE_ED25519, f->pa, spki, fp);
	assert_string_equal(fp, KAT_FPR);
	for (k = 0; k < 64; k++) {
		assert_int_equal(cx_random(key, sizeof(key)), 0);
		assert_int_equal(cx_random(spki, sizeof(spki)), 0);
		ident_fingerprint(CX_SIGTYPE_ED25519, key, spki, fp);
		assert_int_equal(strlen(fp), 24);
		for (i = 0; i < 24; i++) {
			if (i % 5 == 4)
				assert_int_equal(fp[i], '-');
			else
				assert_non_null(strchr("0123456789ABCDEFGHJKMNPQRSTVWXYZ", fp[i]));
		}
		fpr_slow(CX_SIGTYPE_ED25519, key, spki, want);
		assert_string_equal(fp, want);
		/* Each input counts: the type, one bit of the key, one bit of the TLS pin. */
		ident_fingerprint(2, key, spki, other);
		assert_string_not_equal(fp, other);
		key[k % 32] ^= 0x01;
		ident_fingerprint(CX_SIGTYPE_ED25519, key, spki, other);
		assert_string_not_equal(fp, other);
		key[k % 32] ^= 0x01;
		spki[31 - k % 32] ^= 0x80;
		ident_fingerprint(CX_SIGTYPE_ED25519, key, spki, other);
		assert_string_not_equal(fp, other);
	}
}

static void
ident_kat(struct ident *id)
{
	size_t i;

	memset(id, 0, sizeof(*id));
	strcpy(id->name, "cert-a");
	strcpy(id->created, "2026-11-27T12:00:00Z");
	for (i = 0; i < 32; i++)
		id->spki[i] = (uint8_t)(0x40 + i);
}

static void
test_ident_kat(void **state)
{
	const struct fx *f = *state;
	struct err err = ERR_INIT;
	char doc[IDENT_DOC_MAX];
	struct ident id;
	size_t len = 0;

	ident_kat(&id);
	assert_int_equal(ident_export(&id, f->a, doc, sizeof(doc), &len, &err), 0);
	assert_string_equal(doc, kat_doc);
	assert_int_equal(len, strlen(kat_doc));
	assert_int_equal(len, 355);
	assert_ptr_equal(strchr(doc, '\n'), doc + len - 1);     /* one line */
	assert_string_equal(id.fingerprint, KAT_FPR);
	assert_int_equal(id.sig_type, CX_SIGTYPE_ED25519);
	assert_memory_equal(id.key, f->pa, 32);

	/* Exactly the room for the document and its NUL is enough; one less is not. */
	ident_kat(&id);
	assert_int_equal(ident_export(&id, f->a, doc, len + 1, &len, &err), 0);
	ident_kat(&id);
	assert_err(ident_export(&id, f->a, doc, len, &len, &err), &err, LSN_ETOOBIG,
	    "355 bytes and a NUL");
	assert_string_equal(id.fingerprint, "");
}

static void
assert_ident_equal(const struct ident *a, const struct ident *b)
{
	assert_string_equal(a->name, b->name);
	assert_int_equal(a->sig_type, b->sig_type);
	assert_memory_equal(a->key, b->key, sizeof(a->key));
	assert_memory_equal(a->spki, b->spki, sizeof(a->spki));
	assert_string_equal(a->created, b->created);
	assert_string_equal(a->fingerprint, b->fingerprint);
}

static void
test_ident_roundtrip(void **state)
{
	const struct fx *f = *state;
	struct err err = ERR_INIT;
	char doc[IDENT_DOC_MAX], *pretty;
	struct ident id, got;
	json_t *j;
	size_t len;

	assert_int_equal(ident_parse(kat_doc, strlen(kat_doc), &got, &err), 0);
	ident_kat(&id);
	assert_int_equal(ident_export(&id, f->a, doc, sizeof(doc), &len, &err), 0);
	assert_ident_equal(&got, &id);
	assert_string_equal(got.fingerprint, KAT_FPR);

	/* Longest name, fractional seconds, key B. */
	memset(id.name, 'z', IDENT_NAME_MAX);
	id.name[IDENT_NAME_MAX] = '\0';
	strcpy(id.created, "2027-02-28T23:59:59.123456789Z");
	assert_int_equal(ident_export(&id, f->b, doc, sizeof(doc), &len, &err), 0);
	assert_int_equal(ident_parse(doc, len, &got, &err), 0);
	assert_ident_equal(&got, &id);
	assert_memory_equal(got.key, f->pb, 32);

	/* The signature covers fields, not text: layout and key order do not matter. */
	j = json_loadb(kat_doc, strlen(kat_doc), 0, NULL);
	assert_non_null(j);
	pretty = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
	assert_non_null(pretty);
	assert_int_equal(ident_parse(pretty, strlen(pretty), &got, &err), 0);
	assert_string_equal(got.fingerprint, KAT_FPR);
	free(pretty);
	json_decref(j);
}

static void
expect_ident(const char *doc, int code, const char *part)
{
	struct err err = ERR_INIT;
	struct ident got, before;

	memset(&got, 0x3c, sizeof(got));
	before = got;
	assert_err(ident_parse(doc, strlen(doc), &got, &err), &err, code, part);
	assert_memory_equal(&got, &before, sizeof(got));
}

/* kat_doc with the first `from` replaced by `to`. */
static const char *
doc_with(const char *from, const char *to)
{
	static char out[IDENT_DOC_MAX * 2];
	const char *p = strstr(kat_doc, from);

	assert_non_null(p);
	snprintf(out, sizeof(out), "%.*s%s%s", (int)(p - kat_doc), kat_doc, to, p + strlen(from));
	return out;
}

/* kat_doc with field `key` set to the JSON value `val` (or removed if NULL). */
static const char *
doc_set(const char *key, const char *val)
{
	static char out[IDENT_DOC_MAX * 2];
	json_t *j = json_loadb(kat_doc, strlen(kat_doc), 0, NULL);
	char *s;

	assert_non_null(j);
	if (val == NULL)
		assert_int_equal(json_object_del(j, key), 0);
	else
		assert_int_equal(json_object_set_new(j, key,
		    json_loads(val, JSON_DECODE_ANY, NULL)), 0);
	s = json_dumps(j, JSON_COMPACT);
	assert_non_null(s);
	snprintf(out, sizeof(out), "%s", s);
	free(s);
	json_decref(j);
	return out;
}

static void
b64_quoted(const uint8_t *b, size_t n, char *out)
{
	out[0] = '"';
	b64_encode(b, n, out + 1, 0);
	strcat(out, "\"");
}

static void
test_ident_tampered(void **state)
{
	const struct fx *f = *state;
	char keyb[64], spkib[64], fpr[IDENT_FPR_LEN], doc[IDENT_DOC_MAX * 2];
	uint8_t kat_spki[32], spki[32];
	size_t i;

	expect_ident(doc_with("\"cert-a\"", "\"cert-b\""), LSN_EBADSIG, "'signature'");
	expect_ident(doc_with("12:00:00Z", "12:00:01Z"), LSN_EBADSIG, "'signature'");
	expect_ident(doc_with("12:00:00Z", "12:00:00.0Z"), LSN_EBADSIG, "'signature'");
	expect_ident(doc_with("\"PjqIx", "\"QjqIx"), LSN_EBADSIG, "'signature'");
	expect_ident(doc_with("QTQ0-", "QTQ1-"), LSN_EINVAL, "'fingerprint'");
	expect_ident(doc_with("QTQ0-2KHA", "qtq0-2kha"), LSN_EINVAL, "'fingerprint'");

	for (i = 0; i < 32; i++) {
		kat_spki[i] = (uint8_t)(0x40 + i);
		spki[i] = (uint8_t)(0x41 + i);
	}
	b64_quoted(f->pb, 32, keyb);
	b64_quoted(spki, 32, spkib);
	/* Another signing key or TLS pin changes the fingerprint... */
	expect_ident(doc_set("signing_key", keyb), LSN_EINVAL, "'fingerprint'");
	expect_ident(doc_set("tls_spki_sha256", spkib), LSN_EINVAL, "'fingerprint'");
	/* ...and with the fingerprint fixed up to match, the signature refuses it. */
	ident_fingerprint(CX_SIGTYPE_ED25519, f->pb, kat_spki, fpr);
	snprintf(doc, sizeof(doc), "%s", doc_set("signing_key", keyb));
	memcpy(strstr(doc, KAT_FPR), fpr, 24);
	expect_ident(doc, LSN_EBADSIG, "'signature'");
	ident_fingerprint(CX_SIGTYPE_ED25519, f->pa, spki, fpr);
	snprintf(doc, sizeof(doc), "%s", doc_set("tls_spki_sha256", spkib));
	memcpy(strstr(doc, KAT_FPR), fpr, 24);
	expect_ident(doc, LSN_EBADSIG, "'signature'");
	/* Another identity's fingerprint in an otherwise intact document. */
	expect_ident(doc_with(KAT_FPR, fpr), LSN_EINVAL, "'fingerprint'");
}

static void
test_ident_strict(void **state)
{
	static const struct {
		const char *key, *val, *part;
	} bad[] = {
		{ "liaison_identity", "\"1\"", "'liaison_identity' must be an integer" },
		{ "liaison_identity", "1.0", "'liaison_identity' must be an integer" },
		{ "liaison_identity", "true", "'liaison_identity' must be an integer" },
		{ "liaison_identity", "2", "'liaison_identity' is 2" },
		{ "liaison_identity", "0", "'liaison_identity' is 0" },
		{ "sig_type", "2", "'sig_type' is 2" },
		{ "sig_type", "null", "'sig_type' must be an integer" },
		{ "name", "5", "'name' must be a string" },
		{ "name", "\"\"", "'name' must be 1 to 64" },
		{ "name", "\"Cert-A\"", "'name'" },
		{ "name", "\"-cert\"", "'name'" },
		{ "name", "\"cert_a\"", "'name'" },
		{ "name", "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"", "'name'" },
		{ "signing_key", "\"A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMQ==\"", "'signing_key' must be the standard base64 of exactly 32" },
		{ "signing_key", "\"A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbgA\"", "'signing_key'" },
		{ "signing_key", "\"A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbh=\"", "'signing_key'" },
		{ "signing_key", "\"A6EHv_POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=\"", "'signing_key'" },
		{ "signing_key", "\"A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg\"", "'signing_key'" },
		{ "signing_key", "[]", "'signing_key' must be a string" },
		{ "tls_spki_sha256", "\"QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl9g\"", "'tls_spki_sha256'" },
		{ "tls_spki_sha256", "\"\"", "'tls_spki_sha256'" },
		{ "created", "\"2026-11-27 12:00:00Z\"", "'created' must be an RFC 3339" },
		{ "created", "\"2026-11-27T12:00:00+01:00\"", "'created'" },
		{ "created", "\"2026-02-30T12:00:00Z\"", "'created'" },
		{ "created", "\"2026-11-27T12:00:00.1234567890Z\"", "'created'" },
		{ "created", "1795780800", "'created' must be a string" },
		{ "fingerprint", "\"QTQ0-2KHA-BPCA-MMC7\"", "'fingerprint' must be 24 characters" },
		{ "fingerprint", "\"QTQ0-2KHA-BPCA-MMC7-59MSX\"", "'fingerprint' must be 24" },
		{ "fingerprint", "{}", "'fingerprint' must be a string" },
		{ "signature", "\"AAAA\"", "'signature' must be the standard base64 of exactly 64" },
		{ "signature", "0", "'signature' must be a string" },
	};
	static const char *const fields[] = {
		"liaison_identity", "name", "sig_type", "signing_key", "tls_spki_sha256",
		"created", "fingerprint", "signature",
	};
	char want[128];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_ident(doc_set(bad[i].key, bad[i].val), LSN_EINVAL, bad[i].part);
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		snprintf(want, sizeof(want), "lacks the field '%s'", fields[i]);
		expect_ident(doc_set(fields[i], NULL), LSN_EINVAL, want);
	}
}

static void
test_ident_bad_documents(void **state)
{
	char big[IDENT_DOC_MAX + 2];
	struct err err = ERR_INIT;
	struct ident got;

	expect_ident(doc_with("{", "{\"extra\":1,"), LSN_EINVAL, "unknown field 'extra'");
	expect_ident(doc_set("comment", "\"hello\""), LSN_EINVAL, "unknown field 'comment'");
	expect_ident(doc_with("{", "{\"name\":\"cert-a\","), LSN_EINVAL, "duplicate key 'name'");
	expect_ident(doc_with("{", "{\"signature\":\"x\","), LSN_EINVAL, "duplicate key 'signature'");
	expect_ident(doc_with("cert-a", "cert\\u0000a"), LSN_EINVAL, "invalid JSON");
	expect_ident(doc_with("}\n", "}x"), LSN_EINVAL, "invalid JSON");
	expect_ident(doc_with("cert-a", "cert-\xff"), LSN_EINVAL, "invalid JSON");
	expect_ident("", LSN_EINVAL, "invalid JSON");
	expect_ident("[1]", LSN_EINVAL, "must be a JSON object");
	expect_ident("\"cert-a\"", LSN_EINVAL, "invalid JSON");
	memset(big, ' ', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, kat_doc, strlen(kat_doc));
	expect_ident(big, LSN_ETOOBIG, "4096");
	big[IDENT_DOC_MAX] = '\0';      /* exactly at the cap, trailing spaces: fine */
	assert_int_equal(ident_parse(big, IDENT_DOC_MAX, &got, &err), 0);
	assert_string_equal(got.fingerprint, KAT_FPR);
	assert_int_equal(ident_parse(NULL, 0, &got, &err), -LSN_EINVAL);
}

static void
test_ident_export_errors(void **state)
{
	const struct fx *f = *state;
	static const char *const names[] = { "", "Cert", "-x", "a b" };
	static const char *const times[] = { "", "2026-11-27", "2026-11-27T12:00:00",
	    "2026-13-01T00:00:00Z", "2026-11-27T12:00:00+00:00" };
	struct err err = ERR_INIT;
	char doc[IDENT_DOC_MAX];
	struct ident id, before;
	size_t i, len = 99;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		ident_kat(&id);
		strcpy(id.name, names[i]);
		before = id;
		assert_err(ident_export(&id, f->a, doc, sizeof(doc), &len, &err), &err,
		    LSN_EINVAL, "'name'");
		assert_memory_equal(&id, &before, sizeof(id));
	}
	for (i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		ident_kat(&id);
		strcpy(id.created, times[i]);
		assert_err(ident_export(&id, f->a, doc, sizeof(doc), &len, &err), &err,
		    LSN_EINVAL, "'created'");
	}
	/* A name that fills its array without a NUL is refused, not overrun. */
	ident_kat(&id);
	memset(id.name, 'a', sizeof(id.name));
	assert_err(ident_export(&id, f->a, doc, sizeof(doc), &len, &err), &err, LSN_EINVAL,
	    "'name'");
	ident_kat(&id);
	memset(id.created, '1', sizeof(id.created));
	assert_err(ident_export(&id, f->a, doc, sizeof(doc), &len, &err), &err, LSN_EINVAL,
	    "'created'");
	assert_int_equal(len, 99);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_id_kind_names),
		cmocka_unit_test(test_env_roundtrip),
		cmocka_unit_test(test_env_kat),
		cmocka_unit_test(test_env_bitflip),
		cmocka_unit_test(test_env_malformed),
		cmocka_unit_test(test_env_seal_errors),
		cmocka_unit_test(test_env_body_max),
		cmocka_unit_test(test_env_batch),
		cmocka_unit_test(test_env_wrong_key),
		cmocka_unit_test(test_rcpt_roundtrip),
		cmocka_unit_test(test_rcpt_kat),
		cmocka_unit_test(test_rcpt_bitflip),
		cmocka_unit_test(test_rcpt_malformed),
		cmocka_unit_test(test_rcpt_wrong_key),
		cmocka_unit_test(test_ident_name_ok),
		cmocka_unit_test(test_ident_fingerprint),
		cmocka_unit_test(test_ident_kat),
		cmocka_unit_test(test_ident_roundtrip),
		cmocka_unit_test(test_ident_tampered),
		cmocka_unit_test(test_ident_strict),
		cmocka_unit_test(test_ident_bad_documents),
		cmocka_unit_test(test_ident_export_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
