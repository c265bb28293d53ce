/*
 * Thin wrappers over OpenSSL 3: SHA-256, HMAC, randomness, Ed25519 signing
 * keys, password hashes, UUIDs and the node's self-signed TLS certificate.
 * Never rolls its own primitive. Secrets are wiped before they are freed.
 */
#ifndef LSN_CRYPTO_CX_H
#define LSN_CRYPTO_CX_H

#include <stddef.h>
#include <stdint.h>

struct err;

#define CX_SHA256_LEN 32
#define CX_ED25519_PUB_LEN 32
#define CX_ED25519_SIG_LEN 64
#define CX_ED25519_SEED_LEN 32 /* RFC 8032 §5.1.5 private key */
/* Signature-type byte carried by every key record and signature (DESIGN §7). */
#define CX_SIGTYPE_ED25519 0x01
#define CX_PWHASH_MAX 160
#define CX_UUID_LEN 37 /* 36 chars + NUL */

/* These cannot fail short of memory exhaustion, where they abort(). */
void cx_sha256(const void *data, size_t len, uint8_t out[static CX_SHA256_LEN]);
void cx_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
    uint8_t out[static CX_SHA256_LEN]);
/* Fills buf from the OS CSPRNG; -LSN_EIO if it cannot. */
int cx_random(void *buf, size_t len);
/* Constant-time comparison: 1 if equal. */
int cx_ct_equal(const void *a, const void *b, size_t len);
/* Overwrites memory in a way the compiler cannot drop. */
void cx_wipe(void *p, size_t len);

/* Random (version 4) UUID, lowercase "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx". */
int cx_uuid4(char out[static CX_UUID_LEN]);

/*
 * Password hashing with PBKDF2-HMAC-SHA256 and a random 16-byte salt, encoded
 * as "$pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>".
 * cx_password_verify returns 0 on a match, -LSN_EAUTH on a mismatch and
 * -LSN_EINVAL for a malformed encoding.
 */
int cx_password_hash(const char *password, char out[static CX_PWHASH_MAX]);
int cx_password_verify(const char *password, const char *encoded);

/* An Ed25519 signing key (opaque). */
struct cx_key;

int cx_key_generate(struct cx_key **ret_key, struct err *err);
/* PKCS#8 PEM, file created with mode 0600 (fails if it exists). */
int cx_key_save(const struct cx_key *k, const char *path, struct err *err);
int cx_key_load(const char *path, struct cx_key **ret_key, struct err *err);
/* Key from a raw 32-byte RFC 8032 private key (test vectors, imports). */
int cx_key_from_raw(const uint8_t seed[static CX_ED25519_SEED_LEN],
    struct cx_key **ret_key, struct err *err);
void cx_key_public(const struct cx_key *k, uint8_t out[static CX_ED25519_PUB_LEN]);
int cx_sign(const struct cx_key *k, const void *msg, size_t len,
    uint8_t sig[static CX_ED25519_SIG_LEN]);
/* 0 if sig is valid for msg under pub, else -LSN_EBADSIG. */
int cx_verify(const uint8_t pub[static CX_ED25519_PUB_LEN], const void *msg,
    size_t len, const uint8_t sig[static CX_ED25519_SIG_LEN]);
void cx_key_free(struct cx_key *k);

/*
 * Writes a new ECDSA P-256 private key (mode 0600) and a self-signed X.509
 * certificate for TLS: subject CN=common_name, subjectAltName with every
 * entry of the comma-separated san list ("DNS:localhost,IP:127.0.0.1"),
 * valid for `days` days. P-256 rather than Ed25519 so browsers (the
 * dashboard) and every TAXII client can connect.
 */
int cx_tls_selfsigned(const char *common_name, const char *san, int days,
    const char *key_path, const char *cert_path, struct err *err);
/* SHA-256 of the certificate's DER encoding, lowercase hex (64 chars + NUL). */
int cx_cert_fingerprint(const char *cert_path, char out[static 65], struct err *err);
/* When the PEM certificate of path expires (its notAfter), in microseconds since 1970. */
int cx_cert_not_after(const char *cert_path, int64_t *ret_us, struct err *err);
/*
 * SHA-256 of the DER SubjectPublicKeyInfo of a PEM certificate file, the
 * value an identity document pins (RFC 7469 §2.4 style): it survives a
 * certificate renewal that keeps the key. -LSN_EIO if the file cannot be
 * opened, -LSN_EINVAL if it holds no certificate.
 */
int cx_cert_spki_sha256(const char *cert_path, uint8_t out[static CX_SHA256_LEN],
    struct err *err);
/*
 * The same for an in-memory X509 * (the peer's certificate during a TLS
 * handshake); void * so this header stays free of OpenSSL's. -LSN_EINVAL if
 * x509 is NULL or its key cannot be encoded.
 */
int cx_x509_spki_sha256(const void *x509, uint8_t out[static CX_SHA256_LEN]);

#endif
