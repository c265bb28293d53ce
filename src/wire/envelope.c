/*
 * The peer formats of envelope.h as bytes: builds, decodes and checks
 * envelopes, receipts and their ledger entries. Never does I/O, reads the clock
 * or keeps state, never re-serialises what it verifies, and never believes a
 * length field before comparing it with the bytes actually present.
 */
#include "wire/envelope.h"
#include "ledger/ledger.h"
#include "util/be.h"
#include "util/err.h"

#include <stdio.h>
#include <string.h>

/* Offsets in the envelope header; the table in envelope.h is the source. */
enum {
	EH_MAGIC = 0, EH_SIG_TYPE = 4, EH_KIND = 5, EH_FLAGS = 6, EH_FROM = 8,
	EH_TO = 40, EH_SEQ = 72, EH_TIME = 80, EH_BODY_LEN = 88, EH_ITEMS = 92,
	EH_BODY_HASH = 96,
};
/* Offsets in the signed part of a receipt. */
enum {
	RC_MAGIC = 0, RC_SIG_TYPE = 4, RC_STATUS = 5, RC_FLAGS = 6, RC_ENV_ID = 8,
	RC_FROM = 40, RC_TO = 72, RC_SEQ = 104, RC_TIME = 112, RC_STORED = 120,
	RC_DUPLICATE = 124, RC_REFUSED = 128, RC_RESERVED = 132, RC_LEAF = 136,
};

/* The domain strings are signed with their NUL (sizeof counts it). */
#define ENV_SIGNED_LEN (sizeof(ENV_DOMAIN) + ENV_HEADER_LEN)
#define RCPT_SIGNED_LEN (sizeof(RCPT_DOMAIN) + RCPT_BODY_LEN)

_Static_assert(EH_BODY_HASH + CX_SHA256_LEN == ENV_HEADER_LEN, "envelope header layout");
_Static_assert(RC_LEAF + 8 == RCPT_BODY_LEN, "receipt layout");
_Static_assert(16 + ENV_HEADER_LEN + ENV_SIG_LEN == ENV_ENTRY_LEN, "entry layout");
_Static_assert(sizeof(ENV_DOMAIN) == 20 && sizeof(RCPT_DOMAIN) == 19,
    "domain string lengths in envelope.h");

static const char *const env_kind_names[] = {
	[ENV_SHARE] = "share", [ENV_NOTIFY] = "notify", [ENV_REQUEST] = "request",
	[ENV_ACK] = "ack", [ENV_RESPONSE] = "response", [ENV_WITHDRAW] = "withdraw",
};

/* ---- envelopes ---- */

void
env_key_id(const uint8_t pub[static CX_ED25519_PUB_LEN], uint8_t out[static CX_SHA256_LEN])
{
	cx_sha256(pub, CX_ED25519_PUB_LEN, out);
}

const char *
env_kind_name(int kind)
{
	if (kind < ENV_SHARE || kind > ENV_KIND_MAX)
		return NULL;
	return env_kind_names[kind];
}

static void
env_encode_header(const struct env_header *h, uint8_t p[static ENV_HEADER_LEN])
{
	memcpy(p + EH_MAGIC, ENV_MAGIC, 4);
	p[EH_SIG_TYPE] = h->sig_type;
	p[EH_KIND] = h->kind;
	be16_put(p + EH_FLAGS, 0);
	memcpy(p + EH_FROM, h->from, CX_SHA256_LEN);
	memcpy(p + EH_TO, h->to, CX_SHA256_LEN);
	be64_put(p + EH_SEQ, h->seq);
	/* Two's complement, as the receiver reads it back into an int64_t. */
	be64_put(p + EH_TIME, (uint64_t)h->time_us);
	be32_put(p + EH_BODY_LEN, h->body_len);
	be32_put(p + EH_ITEMS, h->items);
	memcpy(p + EH_BODY_HASH, h->body_hash, CX_SHA256_LEN);
}

/* Field checks shared by sealing and decoding, so one never makes what the other refuses. */
static int
env_check_fields(unsigned kind, uint64_t seq, struct err *err)
{
	if (kind < ENV_SHARE || kind > ENV_KIND_MAX)
		return err_set(err, LSN_EINVAL, "envelope field 'kind' is %u, which is not a "
		    "known kind (1 to %d)", kind, ENV_KIND_MAX);
	if (seq == 0)
		return err_set(err, LSN_EINVAL, "envelope field 'seq' is 0, but sequence numbers "
		    "start at 1");
	return 0;
}

static int
env_decode_header(const uint8_t p[static ENV_HEADER_LEN], struct env_header *h,
    struct err *err)
{
	uint16_t flags = be16_get(p + EH_FLAGS);
	int r;

	if (memcmp(p + EH_MAGIC, ENV_MAGIC, 4) != 0)
		return err_set(err, LSN_EINVAL, "envelope field 'magic' is not \"" ENV_MAGIC "\"");
	if (p[EH_SIG_TYPE] != CX_SIGTYPE_ED25519)
		return err_set(err, LSN_EINVAL, "envelope field 'sig_type' is %u, not a known "
		    "signature type (1, Ed25519)", p[EH_SIG_TYPE]);
	if (flags != 0)
		return err_set(err, LSN_EINVAL, "envelope field 'flags' is 0x%04x but must be zero",
		    flags);
	h->sig_type = p[EH_SIG_TYPE];
	h->kind = p[EH_KIND];
	memcpy(h->from, p + EH_FROM, CX_SHA256_LEN);
	memcpy(h->to, p + EH_TO, CX_SHA256_LEN);
	h->seq = be64_get(p + EH_SEQ);
	h->time_us = (int64_t)be64_get(p + EH_TIME);
	h->body_len = be32_get(p + EH_BODY_LEN);
	h->items = be32_get(p + EH_ITEMS);
	memcpy(h->body_hash, p + EH_BODY_HASH, CX_SHA256_LEN);
	if ((r = env_check_fields(h->kind, h->seq, err)) < 0)
		return r;
	if (h->body_len > ENV_BODY_MAX)
		return err_set(err, LSN_EINVAL, "envelope field 'body_len' is %u bytes, over the "
		    "cap of %u", h->body_len, ENV_BODY_MAX);
	return 0;
}

/* "liaison envelope v1\0" || header: the exact bytes an envelope signature covers. */
static void
env_signed_bytes(const uint8_t header[static ENV_HEADER_LEN], uint8_t out[static ENV_SIGNED_LEN])
{
	memcpy(out, ENV_DOMAIN, sizeof(ENV_DOMAIN));
	memcpy(out + sizeof(ENV_DOMAIN), header, ENV_HEADER_LEN);
}

static int
env_check_seal(const struct env_header *h, const uint8_t *body, size_t body_len,
    const struct cx_key *key, size_t cap, struct err *err)
{
	uint8_t pub[CX_ED25519_PUB_LEN], kid[CX_SHA256_LEN];
	size_t need;
	int r;

	if ((r = env_check_fields(h->kind, h->seq, err)) < 0)
		return r;
	cx_key_public(key, pub);
	env_key_id(pub, kid);
	/* An envelope that names another sender would never verify at the partner. */
	if (memcmp(kid, h->from, CX_SHA256_LEN) != 0)
		return err_set(err, LSN_EINVAL, "envelope field 'from' is not the key id of the "
		    "signing key");
	if (body == NULL && body_len > 0)
		return err_set(err, LSN_EINVAL, "an envelope body of %zu bytes has no data", body_len);
	if (body_len > ENV_BODY_MAX)
		return err_set(err, LSN_ETOOBIG, "an envelope body of %zu bytes is over the cap "
		    "of %u bytes", body_len, ENV_BODY_MAX);
	need = ENV_HEADER_LEN + body_len + ENV_SIG_LEN;
	if (cap < need)
		return err_set(err, LSN_ETOOBIG, "the envelope needs %zu bytes but the output "
		    "buffer holds %zu", need, cap);
	return 0;
}

/* out must not overlap body. Every check runs before the first byte of out is written. */
int
env_seal(struct env_header *h, const uint8_t *body, size_t body_len,
    const struct cx_key *key, uint8_t *out, size_t cap, size_t *ret_len,
    uint8_t ret_id[ENV_ID_LEN], struct err *err)
{
	uint8_t msg[ENV_SIGNED_LEN], sig[ENV_SIG_LEN];
	struct env_header sealed = *h;
	int r;

	if ((r = env_check_seal(h, body, body_len, key, cap, err)) < 0)
		return r;
	sealed.sig_type = CX_SIGTYPE_ED25519;
	sealed.body_len = (uint32_t)body_len;
	cx_sha256(body_len > 0 ? body : (const uint8_t *)"", body_len, sealed.body_hash);
	env_encode_header(&sealed, msg + sizeof(ENV_DOMAIN));
	env_signed_bytes(msg + sizeof(ENV_DOMAIN), msg);
	if ((r = cx_sign(key, msg, sizeof(msg), sig)) < 0)
		return err_set(err, -r, "could not sign the envelope");
	memcpy(out, msg + sizeof(ENV_DOMAIN), ENV_HEADER_LEN);
	if (body_len > 0)
		memcpy(out + ENV_HEADER_LEN, body, body_len);
	memcpy(out + ENV_HEADER_LEN + body_len, sig, ENV_SIG_LEN);
	*h = sealed;
	*ret_len = ENV_HEADER_LEN + body_len + ENV_SIG_LEN;
	if (ret_id != NULL)
		cx_sha256(out, ENV_HEADER_LEN, ret_id);
	return 0;
}

/* The lengths come from the sender: compare them with what arrived before any read. */
static int
env_check_length(const struct env_header *h, size_t len, struct err *err)
{
	size_t body_end = ENV_HEADER_LEN + (size_t)h->body_len;

	if (len < body_end)
		return err_set(err, LSN_EINVAL, "the envelope body is cut short: field 'body_len' "
		    "says %u bytes, so %zu bytes were expected up to the signature, but only "
		    "%zu remain", h->body_len, body_end, len);
	if (len - body_end < ENV_SIG_LEN)
		return err_set(err, LSN_EINVAL, "the envelope signature is cut short: %zu bytes "
		    "were expected, but only %zu remain", body_end + ENV_SIG_LEN, len);
	return 0;
}

int
env_decode(const uint8_t *buf, size_t len, struct env_view *ret, size_t *ret_used,
    struct err *err)
{
	uint8_t md[CX_SHA256_LEN];
	struct env_view v;
	int r;

	if (buf == NULL || len < ENV_HEADER_LEN)
		return err_set(err, LSN_EINVAL, "an envelope needs at least %d bytes for its "
		    "header, but only %zu remain", ENV_HEADER_LEN, buf == NULL ? 0 : len);
	memset(&v, 0, sizeof(v));
	if ((r = env_decode_header(buf, &v.h, err)) < 0 ||
	    (r = env_check_length(&v.h, len, err)) < 0)
		return r;
	v.raw = buf;
	v.raw_len = ENV_HEADER_LEN + (size_t)v.h.body_len + ENV_SIG_LEN;
	v.header = buf;
	v.body = buf + ENV_HEADER_LEN;
	v.sig = v.body + v.h.body_len;
	cx_sha256(v.body, v.h.body_len, md);
	if (memcmp(md, v.h.body_hash, CX_SHA256_LEN) != 0)
		return err_set(err, LSN_EINVAL, "envelope field 'body_hash' does not match the "
		    "SHA-256 of the body");
	cx_sha256(v.header, ENV_HEADER_LEN, v.id);
	*ret = v;
	if (ret_used != NULL)
		*ret_used = v.raw_len;
	return 0;
}

int
env_verify(const struct env_view *v, const uint8_t pub[static CX_ED25519_PUB_LEN],
    struct err *err)
{
	uint8_t msg[ENV_SIGNED_LEN], kid[CX_SHA256_LEN];

	/* The signed header names its sender; a key that is not that sender proves nothing. */
	env_key_id(pub, kid);
	if (memcmp(kid, v->header + EH_FROM, CX_SHA256_LEN) != 0)
		return err_set(err, LSN_EBADSIG, "envelope field 'from' is not the key id of the "
		    "key it was checked against");
	env_signed_bytes(v->header, msg);
	if (cx_verify(pub, msg, sizeof(msg), v->sig) < 0)
		return err_set(err, LSN_EBADSIG, "the envelope signature does not verify under "
		    "the sender's key");
	return 0;
}

/* ---- receipts ---- */

static void
rcpt_encode(const struct rcpt *r, uint8_t p[static RCPT_BODY_LEN])
{
	memcpy(p + RC_MAGIC, RCPT_MAGIC, 4);
	p[RC_SIG_TYPE] = CX_SIGTYPE_ED25519;
	p[RC_STATUS] = r->status;
	be16_put(p + RC_FLAGS, 0);
	memcpy(p + RC_ENV_ID, r->env_id, ENV_ID_LEN);
	memcpy(p + RC_FROM, r->from, CX_SHA256_LEN);
	memcpy(p + RC_TO, r->to, CX_SHA256_LEN);
	be64_put(p + RC_SEQ, r->seq);
	be64_put(p + RC_TIME, (uint64_t)r->time_us);
	be32_put(p + RC_STORED, r->stored);
	be32_put(p + RC_DUPLICATE, r->duplicate);
	be32_put(p + RC_REFUSED, r->refused);
	be32_put(p + RC_RESERVED, 0);
	be64_put(p + RC_LEAF, r->leaf);
}

/* The signature type comes from the key, as in env_seal; r->sig_type is not read. */
int
rcpt_seal(const struct rcpt *r, const struct cx_key *key, uint8_t out[static RCPT_LEN],
    struct err *err)
{
	uint8_t msg[RCPT_SIGNED_LEN], pub[CX_ED25519_PUB_LEN], kid[CX_SHA256_LEN];
	int rc;

	if (r->status != 0)
		return err_set(err, LSN_EINVAL, "receipt field 'status' is %u, but only 0 "
		    "(accepted) is defined", r->status);
	if (r->seq == 0)
		return err_set(err, LSN_EINVAL, "receipt field 'seq' is 0, but sequence numbers "
		    "start at 1");
	cx_key_public(key, pub);
	env_key_id(pub, kid);
	if (memcmp(kid, r->to, CX_SHA256_LEN) != 0)
		return err_set(err, LSN_EINVAL, "receipt field 'to' is not the key id of the "
		    "signing key");
	memcpy(msg, RCPT_DOMAIN, sizeof(RCPT_DOMAIN));
	rcpt_encode(r, msg + sizeof(RCPT_DOMAIN));
	if ((rc = cx_sign(key, msg, sizeof(msg), out + RCPT_BODY_LEN)) < 0)
		return err_set(err, -rc, "could not sign the receipt");
	memcpy(out, msg + sizeof(RCPT_DOMAIN), RCPT_BODY_LEN);
	return 0;
}

static int
rcpt_check(const uint8_t p[static RCPT_BODY_LEN], struct err *err)
{
	if (memcmp(p + RC_MAGIC, RCPT_MAGIC, 4) != 0)
		return err_set(err, LSN_EINVAL, "receipt field 'magic' is not \"" RCPT_MAGIC "\"");
	if (p[RC_SIG_TYPE] != CX_SIGTYPE_ED25519)
		return err_set(err, LSN_EINVAL, "receipt field 'sig_type' is %u, not a known "
		    "signature type (1, Ed25519)", p[RC_SIG_TYPE]);
	if (p[RC_STATUS] != 0)
		return err_set(err, LSN_EINVAL, "receipt field 'status' is %u, but only 0 "
		    "(accepted) is defined", p[RC_STATUS]);
	if (be16_get(p + RC_FLAGS) != 0)
		return err_set(err, LSN_EINVAL, "receipt field 'flags' is 0x%04x but must be zero",
		    be16_get(p + RC_FLAGS));
	if (be32_get(p + RC_RESERVED) != 0)
		return err_set(err, LSN_EINVAL, "receipt field 'reserved' is 0x%08x but must be "
		    "zero", be32_get(p + RC_RESERVED));
	if (be64_get(p + RC_SEQ) == 0)
		return err_set(err, LSN_EINVAL, "receipt field 'seq' is 0, but sequence numbers "
		    "start at 1");
	return 0;
}

static void
rcpt_decode(const uint8_t p[static RCPT_BODY_LEN], struct rcpt *r)
{
	r->sig_type = p[RC_SIG_TYPE];
	r->status = p[RC_STATUS];
	memcpy(r->env_id, p + RC_ENV_ID, ENV_ID_LEN);
	memcpy(r->from, p + RC_FROM, CX_SHA256_LEN);
	memcpy(r->to, p + RC_TO, CX_SHA256_LEN);
	r->seq = be64_get(p + RC_SEQ);
	r->time_us = (int64_t)be64_get(p + RC_TIME);
	r->stored = be32_get(p + RC_STORED);
	r->duplicate = be32_get(p + RC_DUPLICATE);
	r->refused = be32_get(p + RC_REFUSED);
	r->leaf = be64_get(p + RC_LEAF);
}

int
rcpt_open(const uint8_t *buf, size_t len, const uint8_t pub[static CX_ED25519_PUB_LEN],
    struct rcpt *ret, struct err *err)
{
	uint8_t msg[RCPT_SIGNED_LEN], kid[CX_SHA256_LEN];
	int r;

	if (buf == NULL || len != RCPT_LEN)
		return err_set(err, LSN_EINVAL, "a receipt is exactly %d bytes, not %zu",
		    RCPT_LEN, buf == NULL ? 0 : len);
	if ((r = rcpt_check(buf, err)) < 0)
		return r;
	/* The signer is named inside the signed bytes; another key proves nothing. */
	env_key_id(pub, kid);
	if (memcmp(kid, buf + RC_TO, CX_SHA256_LEN) != 0)
		return err_set(err, LSN_EBADSIG, "receipt field 'to' is not the key id of the key "
		    "it was checked against");
	memcpy(msg, RCPT_DOMAIN, sizeof(RCPT_DOMAIN));
	memcpy(msg + sizeof(RCPT_DOMAIN), buf, RCPT_BODY_LEN);
	if (cx_verify(pub, msg, sizeof(msg), buf + RCPT_BODY_LEN) < 0)
		return err_set(err, LSN_EBADSIG, "the receipt signature does not verify under the "
		    "receiver's key");
	rcpt_decode(buf, ret);
	return 0;
}

/* ---- ledger entries ---- */

void
env_entry(const struct env_view *v, int dir, int64_t time_us, uint8_t out[static ENV_ENTRY_LEN])
{
	memcpy(out, LEDGER_ENTRY_MAGIC, 4);
	out[4] = LEDGER_ENTRY_ENVELOPE;
	out[5] = (uint8_t)dir;
	be16_put(out + 6, 0);
	be64_put(out + 8, (uint64_t)time_us);
	memcpy(out + 16, v->header, ENV_HEADER_LEN);
	memcpy(out + 16 + ENV_HEADER_LEN, v->sig, ENV_SIG_LEN);
}

int
env_entry_from_bytes(const uint8_t *bytes, size_t len, int dir, int64_t time_us,
    uint8_t out[static ENV_ENTRY_LEN], struct err *err)
{
	struct env_view v;
	size_t used;
	int r;

	if ((r = env_decode(bytes, len, &v, &used, err)) < 0)
		return r;
	if (used != len)
		return err_set(err, LSN_EINVAL, "%zu bytes follow the envelope", len - used);
	env_entry(&v, dir, time_us, out);
	return 0;
}
