/*
 * The exchange formats between partner nodes (docs/protocol.md, "Peer
 * protocol"): envelopes, receipts, batches of envelopes and their ledger
 * entries (identity documents are in wire/identity.h). Pure functions over
 * bytes: no I/O, no store, no clock (times are arguments). A signature always covers exact bytes that are kept as
 * received; nothing is re-serialised before it is verified.
 *
 * Every signed message starts with a NUL-terminated domain string and
 * carries the signature-type byte (CX_SIGTYPE_ED25519), so a signature made
 * for one purpose can never be taken for another, and a post-quantum type
 * can be added without a format break (DESIGN §7).
 */
#ifndef LSN_WIRE_ENVELOPE_H
#define LSN_WIRE_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/cx.h"

struct err;

/* ---- envelopes ---- */

#define ENV_MAGIC "LSN1"
#define ENV_DOMAIN "liaison envelope v1"   /* signed with its NUL: 20 bytes */
#define ENV_HEADER_LEN 128
#define ENV_SIG_LEN CX_ED25519_SIG_LEN
#define ENV_BODY_MAX (16u * 1024 * 1024)   /* hard cap of one body */
#define ENV_ID_LEN CX_SHA256_LEN

enum env_kind {
	ENV_SHARE = 1,        /* body: a STIX 2.1 bundle of shared objects */
	ENV_NOTIFY = 2,
	ENV_REQUEST = 3,
	ENV_ACK = 4,
	ENV_RESPONSE = 5,
	ENV_WITHDRAW = 6,
};
#define ENV_KIND_MAX ENV_WITHDRAW

/*
 * The 128-byte header, all integers big-endian:
 *   0   4  magic "LSN1"
 *   4   1  signature type (0x01 Ed25519)
 *   5   1  kind (enum env_kind)
 *   6   2  flags, zero
 *   8  32  from: SHA-256 of the sender's Ed25519 public key (its key id)
 *  40  32  to: key id of the recipient
 *  72   8  seq: 1 for the first envelope of this direction, then +1
 *  80   8  time: microseconds since the Unix epoch, sender's clock at signing
 *  88   4  body length in bytes (<= ENV_BODY_MAX)
 *  92   4  items: STIX objects in the body (0 for kinds without objects)
 *  96  32  SHA-256 of the body
 * Then the body, then the 64-byte Ed25519 signature over
 *   "liaison envelope v1\0" || header
 * (the body is covered through its hash). The envelope id is SHA-256(header).
 */
struct env_header {
	uint8_t sig_type;
	uint8_t kind;
	uint8_t from[CX_SHA256_LEN];
	uint8_t to[CX_SHA256_LEN];
	uint64_t seq;
	int64_t time_us;
	uint32_t body_len;
	uint32_t items;
	uint8_t body_hash[CX_SHA256_LEN];
};

/* A decoded envelope; pointers borrow the buffer it was decoded from. */
struct env_view {
	struct env_header h;
	const uint8_t *raw;           /* header || body || signature, as received */
	size_t raw_len;
	const uint8_t *header;        /* raw, ENV_HEADER_LEN bytes */
	const uint8_t *body;
	const uint8_t *sig;
	uint8_t id[ENV_ID_LEN];       /* SHA-256(header) */
};

/* Key id of a public key: SHA-256 of its 32 bytes. */
void env_key_id(const uint8_t pub[static CX_ED25519_PUB_LEN], uint8_t out[static CX_SHA256_LEN]);

/*
 * Builds and signs one envelope: h's sig_type, body_len and body_hash are
 * filled from key and body (the caller sets kind, from, to, seq, time_us,
 * items). Writes ENV_HEADER_LEN + body_len + ENV_SIG_LEN bytes to out
 * (capacity cap); *ret_len gets that size, ret_id (may be NULL) the id.
 * -LSN_ETOOBIG if the body exceeds ENV_BODY_MAX or out is too small.
 */
int env_seal(struct env_header *h, const uint8_t *body, size_t body_len,
    const struct cx_key *key, uint8_t *out, size_t cap, size_t *ret_len,
    uint8_t ret_id[ENV_ID_LEN], struct err *err);

/*
 * Decodes the envelope at the start of buf: checks the magic, signature
 * type, kind, zero flags, lengths and the body hash, but not the signature.
 * *ret_used gets the envelope's total length (so batches can be walked).
 * -LSN_EINVAL with a sentence naming the field on any malformation.
 */
int env_decode(const uint8_t *buf, size_t len, struct env_view *ret, size_t *ret_used,
    struct err *err);
/* Verifies v's signature under the sender's public key: 0 or -LSN_EBADSIG. */
int env_verify(const struct env_view *v, const uint8_t pub[static CX_ED25519_PUB_LEN],
    struct err *err);

const char *env_kind_name(int kind);   /* "share", ...; NULL if unknown */

/* ---- receipts ---- */

#define RCPT_MAGIC "LSR1"
#define RCPT_DOMAIN "liaison receipt v1"     /* signed with its NUL: 19 bytes */
#define RCPT_BODY_LEN 144
#define RCPT_LEN (RCPT_BODY_LEN + CX_ED25519_SIG_LEN)   /* 208 */

/*
 * A receipt, 144 bytes then the receiver's 64-byte Ed25519 signature over
 * "liaison receipt v1\0" || those 144 bytes; integers big-endian:
 *   0   4  magic "LSR1"
 *   4   1  signature type (0x01)
 *   5   1  status: 0 accepted
 *   6   2  flags, zero
 *   8  32  envelope id
 *  40  32  from: the envelope's sender key id
 *  72  32  to: the receiver's key id (the signer)
 * 104   8  seq of the envelope
 * 112   8  time the receiver accepted it, microseconds since the epoch
 * 120   4  objects stored as new versions
 * 124   4  objects already present (duplicates)
 * 128   4  objects refused (invalid STIX 2.1)
 * 132   4  reserved, zero
 * 136   8  leaf: index of the envelope's entry in the receiver's ledger
 */
struct rcpt {
	uint8_t sig_type;
	uint8_t status;
	uint8_t env_id[ENV_ID_LEN];
	uint8_t from[CX_SHA256_LEN];
	uint8_t to[CX_SHA256_LEN];
	uint64_t seq;
	int64_t time_us;
	uint32_t stored, duplicate, refused;
	uint64_t leaf;                /* index of the envelope's entry in the receiver's ledger */
};

/* Encodes and signs r into out (RCPT_LEN bytes). */
int rcpt_seal(const struct rcpt *r, const struct cx_key *key, uint8_t out[static RCPT_LEN],
    struct err *err);
/* Decodes exactly RCPT_LEN bytes and verifies the signature under pub. */
int rcpt_open(const uint8_t *buf, size_t len, const uint8_t pub[static CX_ED25519_PUB_LEN],
    struct rcpt *ret, struct err *err);

/* ---- ledger entries (docs/evidence.md) ---- */

#define ENV_ENTRY_LEN 208
enum env_entry_dir { ENV_ENTRY_SENT = 0, ENV_ENTRY_RECEIVED = 1 };

/*
 * The ledger entry of an envelope, 208 bytes, integers big-endian:
 *   0   4  "LSE1"
 *   4   1  entry type: 1, an envelope
 *   5   1  direction: 0 sent, 1 received (by the log's node)
 *   6   2  zero
 *   8   8  time, microseconds: sent, the header's time; received, the
 *          receipt's time (when the receiver accepted it)
 *  16 128  the envelope's header
 * 144  64  the sender's signature
 * Both sides can rebuild the other's entry from the envelope and its
 * receipt, so each can check the other's inclusion proof.
 */
void env_entry(const struct env_view *v, int dir, int64_t time_us,
    uint8_t out[static ENV_ENTRY_LEN]);
/* The same from the stored bytes of an envelope (header || body || signature). */
int env_entry_from_bytes(const uint8_t *bytes, size_t len, int dir, int64_t time_us,
    uint8_t out[static ENV_ENTRY_LEN], struct err *err);

#endif
