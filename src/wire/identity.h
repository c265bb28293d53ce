/*
 * Identity documents (identity.json), the format partners exchange out of
 * band and confirm by fingerprint (docs/protocol.md). Pure functions over
 * bytes: no I/O, no store, no clock. The signature covers exact bytes and
 * carries the signature-type byte (DESIGN §7).
 */
#ifndef LSN_WIRE_IDENTITY_H
#define LSN_WIRE_IDENTITY_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/cx.h"
#include "util/name.h"

struct err;

#define IDENT_DOMAIN "liaison identity v1"   /* signed with its NUL: 20 bytes */
#define IDENT_NAME_MAX NODE_NAME_MAX   /* the rule: util/name.h */
#define IDENT_FPR_LEN 25                     /* "XXXX-XXXX-XXXX-XXXX-XXXX" + NUL */
#define IDENT_DOC_MAX 4096

/*
 * identity.json: what partners exchange out of band.
 *   { "liaison_identity": 1, "name": NAME, "sig_type": 1,
 *     "signing_key": base64(32-byte Ed25519 public key),
 *     "tls_spki_sha256": base64(SHA-256 of the TLS certificate's DER
 *                               SubjectPublicKeyInfo),
 *     "created": RFC 3339 UTC timestamp,
 *     "fingerprint": the short fingerprint below,
 *     "signature": base64(Ed25519 signature) }
 * The signature covers
 *   "liaison identity v1\0" || sig_type || signing_key (32) || tls_spki_sha256 (32)
 *   || u16 BE length || name || u16 BE length || created
 * The short fingerprint is the first 100 bits of
 *   SHA-256("liaison fingerprint v1\0" || sig_type || signing_key || tls_spki_sha256)
 * in Crockford base32 (0-9, A-Z without I, L, O, U), five groups of four
 * joined by '-': two people can read it to each other over the phone.
 */
struct ident {
	char name[IDENT_NAME_MAX + 1];
	uint8_t sig_type;
	uint8_t key[CX_ED25519_PUB_LEN];
	uint8_t spki[CX_SHA256_LEN];
	char created[40];
	char fingerprint[IDENT_FPR_LEN];
};

/* 1 if name is a node name (name_check in util/name.h; also collection titles "from-NAME"). */
int ident_name_ok(const char *name);
void ident_fingerprint(uint8_t sig_type, const uint8_t key[static CX_ED25519_PUB_LEN],
    const uint8_t spki[static CX_SHA256_LEN], char out[static IDENT_FPR_LEN]);
/* Fills id->fingerprint and writes the signed document (JSON, one line + "\n") into out. */
int ident_export(struct ident *id, const struct cx_key *key, char *out, size_t cap,
    size_t *ret_len, struct err *err);
/* Parses a document strictly (unknown or duplicate keys refused) and verifies it. */
int ident_parse(const char *doc, size_t len, struct ident *ret, struct err *err);

#endif
