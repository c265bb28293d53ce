/*
 * Ed25519 signing keys (RFC 8032) through EVP_PKEY. The private key never
 * leaves the EVP_PKEY except as the 0600 PKCS#8 file; OpenSSL wipes its key
 * material when the EVP_PKEY is freed.
 */
#include "crypto/cx.h"
#include "crypto/cx_int.h"
#include "util/err.h"

#include <stdlib.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>

struct cx_key {
	EVP_PKEY *pk;
};

static int
key_wrap(EVP_PKEY *pk, struct cx_key **ret_key, struct err *err)
{
	struct cx_key *k = malloc(sizeof(*k));

	if (k == NULL) {
		EVP_PKEY_free(pk);
		return err_set(err, LSN_ENOMEM, "could not allocate an Ed25519 key: out of memory");
	}
	k->pk = pk;
	*ret_key = k;
	return 0;
}

int
cx_key_generate(struct cx_key **ret_key, struct err *err)
{
	char ebuf[256];
	EVP_PKEY *pk;

	pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (pk == NULL) {
		cx_ossl_errstr(ebuf, sizeof(ebuf));
		return err_set(err, LSN_EINTERNAL, "could not generate an Ed25519 key: %s", ebuf);
	}
	return key_wrap(pk, ret_key, err);
}

int
cx_key_from_raw(const uint8_t seed[static CX_ED25519_SEED_LEN],
    struct cx_key **ret_key, struct err *err)
{
	char ebuf[256];
	EVP_PKEY *pk;

	pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed,
	    CX_ED25519_SEED_LEN);
	if (pk == NULL) {
		cx_ossl_errstr(ebuf, sizeof(ebuf));
		return err_set(err, LSN_EINVAL, "could not make an Ed25519 key from a raw seed: %s", ebuf);
	}
	return key_wrap(pk, ret_key, err);
}

int
cx_key_save(const struct cx_key *k, const char *path, struct err *err)
{
	return cx_write_pkey(k->pk, path, err);
}

/* Never prompt on a terminal for an encrypted key: our key files are not. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	return -1;
}

int
cx_key_load(const char *path, struct cx_key **ret_key, struct err *err)
{
	char ebuf[256];
	EVP_PKEY *pk;
	BIO *bio;

	bio = BIO_new_file(path, "r");
	if (bio == NULL) {
		cx_ossl_errstr(ebuf, sizeof(ebuf));
		return err_set(err, LSN_EIO, "could not open key file '%s': %s", path, ebuf);
	}
	pk = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	BIO_free(bio);
	if (pk == NULL) {
		cx_ossl_errstr(ebuf, sizeof(ebuf));
		return err_set(err, LSN_EINVAL, "could not read a private key from '%s': %s", path, ebuf);
	}
	if (EVP_PKEY_get_id(pk) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(pk);
		return err_set(err, LSN_EINVAL, "key file '%s' holds a %s key, not an Ed25519 key",
		    path, OBJ_nid2sn(EVP_PKEY_get_base_id(pk)));
	}
	return key_wrap(pk, ret_key, err);
}

/* Cannot fail for an Ed25519 key, which always carries its public half. */
void
cx_key_public(const struct cx_key *k, uint8_t out[static CX_ED25519_PUB_LEN])
{
	size_t len = CX_ED25519_PUB_LEN;

	if (EVP_PKEY_get_raw_public_key(k->pk, out, &len) != 1 ||
	    len != CX_ED25519_PUB_LEN)
		abort();
}

int
cx_sign(const struct cx_key *k, const void *msg, size_t len,
    uint8_t sig[static CX_ED25519_SIG_LEN])
{
	size_t siglen = CX_ED25519_SIG_LEN;
	EVP_MD_CTX *ctx;
	int r = -LSN_EINTERNAL;

	ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		return -LSN_ENOMEM;
	/* Ed25519 is one-shot only: no digest, the whole message at once. */
	if (EVP_DigestSignInit(ctx, NULL, NULL, NULL, k->pk) == 1 &&
	    EVP_DigestSign(ctx, sig, &siglen, msg, len) == 1 &&
	    siglen == CX_ED25519_SIG_LEN)
		r = 0;
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	return r;
}

int
cx_verify(const uint8_t pub[static CX_ED25519_PUB_LEN], const void *msg,
    size_t len, const uint8_t sig[static CX_ED25519_SIG_LEN])
{
	EVP_MD_CTX *ctx = NULL;
	EVP_PKEY *pk;
	int r = -LSN_EBADSIG;

	pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, CX_ED25519_PUB_LEN);
	if (pk == NULL)
		goto out;
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		goto out;
	if (EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pk) == 1 &&
	    EVP_DigestVerify(ctx, sig, CX_ED25519_SIG_LEN, msg, len) == 1)
		r = 0;
out:
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pk);
	/* A failed verification queues errors; they belong to no later call. */
	ERR_clear_error();
	return r;
}

void
cx_key_free(struct cx_key *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->pk);
	free(k);
}
