/*
 * The C2SP text formats of a witnessed log: signed notes and verifier keys
 * (c2sp.org/signed-note), checkpoints (c2sp.org/tlog-checkpoint), Ed25519
 * cosignatures (c2sp.org/tlog-cosignature, type 0x04), offline proofs
 * (c2sp.org/tlog-proof@v1) and the add-checkpoint request body
 * (c2sp.org/tlog-witness). Pure functions over bytes: no I/O, no clock
 * (times are arguments). Parsers are strict: anything the specs do not
 * allow, trailing data included, is refused with -LSN_EINVAL and a sentence
 * that names the problem.
 */
#ifndef LSN_LEDGER_NOTE_H
#define LSN_LEDGER_NOTE_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/cx.h"
#include "ledger/merkle.h"

struct err;

#define NOTE_NAME_MAX 128             /* key name or origin, bytes */
#define NOTE_SIGS_MAX 32              /* signature lines kept (the spec asks for >= 16) */
#define NOTE_MAX 16384                /* a whole note, text and signatures */
#define NOTE_SIG_MAX 72               /* decoded signature bytes after the key id (0x04: 8 + 64) */
#define NOTE_VKEY_MAX 256

#define NOTE_TYPE_ED25519 0x01        /* signed-note Ed25519 */
#define NOTE_TYPE_COSIG 0x04          /* tlog-cosignature Ed25519 (timestamped) */

/* A verifier key: name, type and public key; id is derived (signed-note §Signatures). */
struct note_key {
	char name[NOTE_NAME_MAX + 1];
	uint8_t type;                 /* NOTE_TYPE_ED25519 or NOTE_TYPE_COSIG */
	uint8_t pub[CX_ED25519_PUB_LEN];
	uint32_t id;                  /* SHA-256(name || 0x0A || type || pub)[:4], big-endian */
};

/*
 * Fills k and computes its id. -LSN_EINVAL if the name is empty, longer
 * than NOTE_NAME_MAX, or holds a space, a '+' or a control character, or if
 * type is not one of the two above.
 */
int note_key_init(struct note_key *k, const char *name, uint8_t type,
    const uint8_t pub[static CX_ED25519_PUB_LEN], struct err *err);
/* "<name>+<hex8 id>+<base64(type || pub)>", NUL-terminated, into out (NOTE_VKEY_MAX). */
void note_vkey_format(const struct note_key *k, char out[static NOTE_VKEY_MAX]);
/* Parses a vkey; checks that the id in it is the one the name, type and key give. */
int note_vkey_parse(const char *s, size_t len, struct note_key *ret, struct err *err);

/* One signature line: "— <name> base64(id || sig)". */
struct note_sig {
	char name[NOTE_NAME_MAX + 1];
	uint32_t id;
	uint8_t sig[NOTE_SIG_MAX];
	size_t sig_len;
};

/* A parsed note; text borrows the buffer parsed. */
struct note {
	const char *text;             /* the note text, ending in '\n' */
	size_t text_len;
	size_t n_sigs;
	struct note_sig sigs[NOTE_SIGS_MAX];
};

/*
 * Parses a signed note (text, blank line, one or more signature lines):
 * valid UTF-8, no control characters but '\n', text ending in '\n' and
 * separated from the signatures by the last blank line, signature lines
 * well formed, at most NOTE_SIGS_MAX of them, nothing after the last.
 */
int note_parse(const char *buf, size_t len, struct note *ret, struct err *err);

/*
 * Signs text (which must itself be valid note text) with an Ed25519 key of
 * type NOTE_TYPE_ED25519 whose public half is k->pub; writes the signature
 * line "— name base64(...)\n" to out (NUL-terminated, cap bytes). 
 */
int note_sign(const struct note_key *k, const struct cx_key *sk, const char *text, size_t len,
    char *out, size_t cap, size_t *ret_len, struct err *err);
/* One parsed signature line written back: "— name base64(id || sig)\n", NUL-terminated. */
int note_sig_format(const struct note_sig *s, char *out, size_t cap, size_t *ret_len,
    struct err *err);
/*
 * Finds the signature lines of key k in n (name and id both match) and
 * verifies them: 0 if there is at least one and all verify, -LSN_ENOTFOUND
 * if there is none, -LSN_EBADSIG if one fails. For NOTE_TYPE_COSIG keys the
 * cosignature message (below) is verified and *ret_time (may be NULL) gets
 * the timestamp.
 */
int note_verify(const struct note *n, const struct note_key *k, uint64_t *ret_time,
    struct err *err);

/* ---- checkpoints (c2sp.org/tlog-checkpoint) ---- */

struct checkpoint {
	char origin[NOTE_NAME_MAX + 1];
	uint64_t size;
	uint8_t root[MERKLE_HASH_LEN];
};

/* The checkpoint body "origin\nsize\nbase64(root)\n" (no extension lines), NUL-terminated. */
int checkpoint_format(const struct checkpoint *c, char *out, size_t cap, size_t *ret_len,
    struct err *err);
/*
 * Parses a checkpoint body (a note's text): origin line non-empty, size
 * in decimal without leading zeros, a root that decodes to 32 bytes.
 * Extension lines are refused (liaison's logs never write them).
 */
int checkpoint_parse(const char *text, size_t len, struct checkpoint *ret, struct err *err);

/*
 * A type 0x04 cosignature of checkpoint body `text` at POSIX time
 * `timestamp` (seconds): signs "cosignature/v1\ntime <t>\n" || text and
 * writes the line "— name base64(id || u64 BE timestamp || sig)\n".
 */
int cosig_sign(const struct note_key *k, const struct cx_key *sk, uint64_t timestamp,
    const char *text, size_t len, char *out, size_t cap, size_t *ret_len, struct err *err);

/* ---- offline proofs (c2sp.org/tlog-proof@v1) ---- */

#define TLOG_PROOF_EXTRA_MAX 4096

struct tlog_proof {
	uint8_t extra[TLOG_PROOF_EXTRA_MAX]; /* decoded extra data */
	size_t extra_len;
	int has_extra;
	uint64_t index;
	merkle_hash hashes[MERKLE_PROOF_MAX];
	size_t n_hashes;
	const char *checkpoint;       /* the signed checkpoint note, borrowed from the buffer */
	size_t checkpoint_len;
};

/* Writes the proof text; extra may be NULL. NUL-terminated. -LSN_ETOOBIG if cap is short. */
int tlog_proof_format(const uint8_t *extra, size_t extra_len, uint64_t index,
    const merkle_hash *hashes, size_t n, const char *checkpoint, size_t checkpoint_len,
    char *out, size_t cap, size_t *ret_len, struct err *err);
/* Parses a proof; the checkpoint part must be a well-formed signed note. */
int tlog_proof_parse(const char *buf, size_t len, struct tlog_proof *ret, struct err *err);

/* ---- the add-checkpoint request body (c2sp.org/tlog-witness) ---- */

struct witness_req {
	uint64_t old_size;
	merkle_hash proof[MERKLE_PROOF_MAX];
	size_t n_proof;
	const char *checkpoint;       /* the signed checkpoint note, borrowed */
	size_t checkpoint_len;
};

int witness_req_format(uint64_t old_size, const merkle_hash *proof, size_t n,
    const char *checkpoint, size_t checkpoint_len, char *out, size_t cap, size_t *ret_len,
    struct err *err);
/* Parses a request: "old N\n", at most 63 base64 hash lines, "\n", a signed note. */
int witness_req_parse(const char *buf, size_t len, struct witness_req *ret, struct err *err);

/*
 * The peer API's answer to a proof request (docs/protocol.md, "Ledger"):
 * "index N\n" then one base64 hash a line, leaf's sibling first, nothing
 * else. Written by the partner that is asked, so parsed strictly.
 */
int proof_reply_format(uint64_t index, const merkle_hash *hashes, size_t n, char *out,
    size_t cap, size_t *ret_len, struct err *err);
int proof_reply_parse(const char *buf, size_t len, uint64_t *ret_index, merkle_hash *hashes,
    size_t *ret_n, struct err *err);

#endif
