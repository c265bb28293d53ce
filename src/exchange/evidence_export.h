/*
 * The evidence export from a node's store (docs/evidence.md): the one part
 * of evidence bundles that is not a pure format, because it reads the
 * store. The format itself, its writer and verifier are wire/evidence.h.
 */
#ifndef LSN_EXCHANGE_EVIDENCE_EXPORT_H
#define LSN_EXCHANGE_EVIDENCE_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/cx.h"
#include "util/buf.h"
#include "wire/envelope.h"
#include "wire/evidence.h"
#include "wire/identity.h"

struct err;
struct store;

struct evidence_query {
	const char *partner;          /* partner name; NULL: any (with by_id) */
	int by_id;                    /* 1: only the envelope whose id is id */
	uint8_t id[ENV_ID_LEN];
	int64_t since_us;             /* envelopes whose header time is >= this (INT64_MIN: all) */
};

/*
 * Builds, signs and checks (with evidence_verify) the bundle of the
 * envelopes q selects, exchanged with one partner. self is this node's
 * identity (created is set to now_us), key its signing key. Each envelope
 * needs its receipt, the proof of its entry in the partner's log (kept by
 * the notary) and a checkpoint of this node's log that covers it and that
 * partner cosigned; otherwise -LSN_EBUSY, "try again". -LSN_ENOTFOUND if
 * q selects nothing. out gets the whole file; *ret_n (may be NULL) the
 * envelopes in it. Reads s in one read transaction.
 */
int evidence_export(struct store *s, const struct evidence_query *q, const struct ident *self,
    const struct cx_key *key, int64_t now_us, struct buf *out, size_t *ret_n, struct err *err);

#endif
