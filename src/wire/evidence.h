/*
 * Evidence bundles (docs/evidence.md): what one node exports so that an
 * arbiter can check, offline and with nothing but the file, that each
 * envelope in it was signed by its sender, receipted by its receiver and
 * recorded in both nodes' logs under checkpoints the other side cosigned.
 * The writer and the verifier are pure (bytes in, bytes out); the
 * export from a store is exchange/evidence_export.h. Nothing here reads a
 * store, prints, logs or talks to the network.
 *
 * The file is exactly
 *   {"evidence":VALUE,"signature":"BASE64"}\n
 * VALUE compact JSON, BASE64 the exporter's Ed25519 signature over
 * "liaison evidence v1\0" || VALUE, the bytes as they stand in the file.
 */
#ifndef LSN_WIRE_EVIDENCE_H
#define LSN_WIRE_EVIDENCE_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/cx.h"
#include "ledger/note.h"
#include "wire/envelope.h"
#include "wire/identity.h"
#include "util/buf.h"

struct err;

#define EVIDENCE_FORMAT "liaison-evidence/1"
#define EVIDENCE_DOMAIN "liaison evidence v1"   /* signed with its NUL: 20 bytes */
#define EVIDENCE_MAX ((size_t)1 << 30)         /* a whole bundle file, bytes */
/* A proof text: a checkpoint note, the 208-byte entry in base64, up to 63 hashes. */
#define EVIDENCE_PROOF_MAX (NOTE_MAX + 2 * TLOG_PROOF_EXTRA_MAX + 64 * 50)

/* ---- writing ---- */

/* One envelope's material, borrowed for the call. */
struct evidence_part {
	int sent;                     /* 1: the exporter sent it; 0: it received it */
	const uint8_t *env;           /* header || body || signature */
	size_t env_len;
	const uint8_t *receipt;       /* RCPT_LEN bytes, signed by the receiver */
	const char *sender_proof;     /* tlog-proof@v1 text: the entry in the sender's log */
	size_t sender_proof_len;
	const char *receiver_proof;   /* the same in the receiver's log */
	size_t receiver_proof_len;
};

/* A bundle being written: VALUE so far, capped at EVIDENCE_MAX. */
struct evidence_writer {
	struct buf value;
	size_t n;                     /* envelopes added */
};

/*
 * Starts VALUE: format, created (RFC 3339 from created_us), the exporter's
 * identity document as ident_export wrote it and the partner's as it was
 * received (both must be JSON objects; whitespace outside strings, such as
 * the document's final newline, is dropped). Checks neither document.
 * Release w with evidence_writer_release whatever any call returned.
 */
int evidence_writer_init(struct evidence_writer *w, int64_t created_us, const char *exporter_doc,
    size_t exporter_len, const char *partner_doc, size_t partner_len, struct err *err);
/* Appends one envelope (nothing is checked: evidence_verify does that). */
int evidence_writer_add(struct evidence_writer *w, const struct evidence_part *p,
    struct err *err);
/* Closes VALUE, signs it with key and writes the whole file to out (reset first). */
int evidence_writer_finish(struct evidence_writer *w, const struct cx_key *key, struct buf *out,
    struct err *err);
void evidence_writer_release(struct evidence_writer *w);

/* ---- verifying ---- */

/* Where an envelope's entry sits in one log, and who cosigned that checkpoint when. */
struct evidence_log {
	uint64_t leaf;
	uint64_t size;                /* of the checkpoint proved against */
	uint64_t cosigned;            /* the cosignature's time, POSIX seconds */
};

struct evidence_item {
	int sent;                     /* 1: the exporter sent it */
	uint64_t seq;
	uint8_t id[ENV_ID_LEN];
	int kind;                     /* enum env_kind */
	uint32_t items;
	int64_t time_us;              /* the header's time (the sender's clock) */
	struct rcpt rc;               /* the receipt, opened and checked */
	struct evidence_log sender_log, receiver_log;
	uint8_t *body;                /* the body of a case envelope (kinds 2-6), malloc'd; NULL
	                               * for shares (the verifier does not read it: the CLI
	                               * describes the step, docs/hotline.md) */
	size_t body_len;
};

struct evidence_summary {
	char created[40];
	struct ident exporter, partner;
	struct evidence_item *items;  /* malloc'd, in bundle order */
	size_t n;
};

/*
 * Checks a whole bundle file (docs/evidence.md, "Verifying"): its layout,
 * the exporter's signature, both identity documents and, for every
 * envelope, the sender's signature, the receipt and the inclusion of the
 * envelope's entry in both logs under checkpoints signed by the log's
 * owner and cosigned by the other party. Stops at the first problem:
 * -LSN_EINVAL (malformed), -LSN_EBADSIG (a signature fails),
 * -LSN_ECONFLICT (parts that disagree), -LSN_ENOMEM, with a sentence that
 * names the envelope and the check. On success fills ret; release it
 * with evidence_summary_release.
 */
int evidence_verify(const char *file, size_t len, struct evidence_summary *ret,
    struct err *err);
void evidence_summary_release(struct evidence_summary *sum);

/* 1 if signature line s is by key k (same key id and name): how both sides find a line. */
int evidence_match_sig(const struct note_sig *s, const struct note_key *k);

#endif
