/*
 * The node's self-signed TLS identity: an ECDSA P-256 key and an X.509 v3
 * certificate that partners pin by fingerprint. Never overwrites an existing
 * key or certificate.
 */
#include "crypto/cx.h"
#include "crypto/cx_int.h"
#include "util/enc.h"
#include "util/err.h"
#include "util/ts.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* Start validity a little in the past so a partner whose clock lags accepts it. */
#define TLS_BACKDATE_SEC 300
#define TLS_DAYS_MAX 36500

static int
tls_fail(struct err *err, int code, const char *what)
{
	char ebuf[256];

	cx_ossl_errstr(ebuf, sizeof(ebuf));
	return err_set(err, code, "could not %s for the TLS certificate: %s", what, ebuf);
}

/* RFC 5280 §4.1.2.2: positive, at most 20 octets; 159 random bits give both. */
static int
tls_set_serial(X509 *x, struct err *err)
{
	BIGNUM *bn = BN_new();
	int r = 0;

	if (bn == NULL || BN_rand(bn, 159, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) != 1 ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL)
		r = tls_fail(err, LSN_EINTERNAL, "make a serial number");
	BN_free(bn);
	return r;
}

/* Validity follows the process clock, so tests that move it see expiry. */
static int
tls_set_validity(X509 *x, int days, struct err *err)
{
	time_t now = (time_t)(clock_now_us() / 1000000);

	if (X509_time_adj_ex(X509_getm_notBefore(x), 0, -TLS_BACKDATE_SEC, &now) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(x), days, 0, &now) == NULL)
		return tls_fail(err, LSN_EINTERNAL, "set the validity period");
	return 0;
}

static int
tls_set_name(X509 *x, const char *common_name, struct err *err)
{
	X509_NAME *name = X509_get_subject_name(x);

	if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const unsigned char *)common_name, -1, -1, 0) != 1)
		return tls_fail(err, LSN_EINVAL, "set the common name");
	/* Self-signed: the issuer is the subject. */
	if (X509_set_issuer_name(x, name) != 1)
		return tls_fail(err, LSN_EINTERNAL, "set the issuer name");
	return 0;
}

static int
tls_add_ext(X509 *x, int nid, const char *value, struct err *err)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	char ebuf[256];
	int ok;

	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_nconf_nid(NULL, &ctx, nid, value);
	if (ext == NULL) {
		cx_ossl_errstr(ebuf, sizeof(ebuf));
		return err_set(err, LSN_EINVAL, "could not add %s '%s' to the TLS certificate: %s",
		    OBJ_nid2ln(nid), value, ebuf);
	}
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	if (ok != 1)
		return tls_fail(err, LSN_EINTERNAL, "add an extension");
	return 0;
}

/*
 * A leaf that is also its own trust anchor: not a CA, usable by both ends of
 * the mutual-TLS peer link (DESIGN §5), so serverAuth and clientAuth.
 */
static int
tls_add_exts(X509 *x, const char *san, struct err *err)
{
	int r;

	if ((r = tls_add_ext(x, NID_basic_constraints, "critical,CA:FALSE", err)) < 0 ||
	    (r = tls_add_ext(x, NID_key_usage, "critical,digitalSignature", err)) < 0 ||
	    (r = tls_add_ext(x, NID_ext_key_usage, "serverAuth,clientAuth", err)) < 0 ||
	    (r = tls_add_ext(x, NID_subject_key_identifier, "hash", err)) < 0 ||
	    (r = tls_add_ext(x, NID_subject_alt_name, san, err)) < 0)
		return r;
	return 0;
}

static int
tls_make_cert(EVP_PKEY *pk, const char *common_name, const char *san, int days,
    X509 **ret_x, struct err *err)
{
	X509 *x = X509_new();
	int r;

	if (x == NULL)
		return err_set(err, LSN_ENOMEM, "could not allocate the TLS certificate: out of memory");
	if (X509_set_version(x, X509_VERSION_3) != 1 || X509_set_pubkey(x, pk) != 1) {
		r = tls_fail(err, LSN_EINTERNAL, "set the version and public key");
		goto out;
	}
	if ((r = tls_set_serial(x, err)) < 0 || (r = tls_set_validity(x, days, err)) < 0 ||
	    (r = tls_set_name(x, common_name, err)) < 0 || (r = tls_add_exts(x, san, err)) < 0)
		goto out;
	if (X509_sign(x, pk, EVP_sha256()) <= 0) {
		r = tls_fail(err, LSN_EINTERNAL, "sign");
		goto out;
	}
	*ret_x = x;
	return 0;
out:
	X509_free(x);
	return r;
}

static int
tls_write_cert(X509 *x, const char *path, struct err *err)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *pem;
	long len;
	int r;

	if (bio == NULL || PEM_write_bio_X509(bio, x) != 1) {
		r = tls_fail(err, LSN_ENOMEM, "encode PEM");
		goto out;
	}
	len = BIO_get_mem_data(bio, &pem);
	r = cx_write_file(path, 0644, pem, (size_t)len, err);
out:
	BIO_free(bio);
	return r;
}

int
cx_tls_selfsigned(const char *common_name, const char *san, int days,
    const char *key_path, const char *cert_path, struct err *err)
{
	EVP_PKEY *pk = NULL;
	X509 *x = NULL;
	int r;

	if (common_name == NULL || *common_name == '\0' || san == NULL || *san == '\0')
		return err_set(err, LSN_EINVAL,
		    "a TLS certificate needs a common name and at least one subjectAltName entry");
	if (days < 1 || days > TLS_DAYS_MAX)
		return err_set(err, LSN_EINVAL,
		    "TLS certificate validity of %d days is outside 1..%d", days, TLS_DAYS_MAX);
	pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (pk == NULL) {
		r = tls_fail(err, LSN_EINTERNAL, "generate a P-256 key");
		goto out;
	}
	if ((r = tls_make_cert(pk, common_name, san, days, &x, err)) < 0)
		goto out;
	if ((r = cx_write_pkey(pk, key_path, err)) < 0)
		goto out;
	/* A key without its certificate would block the next attempt (O_EXCL). */
	if ((r = tls_write_cert(x, cert_path, err)) < 0)
		unlink(key_path);
out:
	X509_free(x);
	EVP_PKEY_free(pk);
	return r;
}

/* Reads the first PEM certificate of path; the caller frees *ret_x. */
static int
tls_read_cert(const char *cert_path, X509 **ret_x, struct err *err)
{
	char ebuf[256];
	X509 *x;
	BIO *bio;

	bio = BIO_new_file(cert_path, "r");
	if (bio == NULL) {
		cx_ossl_errstr(ebuf, sizeof(ebuf));
		return err_set(err, LSN_EIO, "could not open certificate '%s': %s", cert_path, ebuf);
	}
	x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (x == NULL) {
		cx_ossl_errstr(ebuf, sizeof(ebuf));
		return err_set(err, LSN_EINVAL, "could not read a PEM certificate from '%s': %s",
		    cert_path, ebuf);
	}
	*ret_x = x;
	return 0;
}

int
cx_cert_not_after(const char *cert_path, int64_t *ret_us, struct err *err)
{
	struct tm tm;
	X509 *x = NULL;
	int r;

	if ((r = tls_read_cert(cert_path, &x, err)) < 0)
		return r;
	memset(&tm, 0, sizeof(tm));
	r = ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm);
	X509_free(x);
	if (r != 1)
		return err_set(err, LSN_EINVAL, "the certificate '%s' has no readable notAfter",
		    cert_path);
	*ret_us = (int64_t)timegm(&tm) * 1000000;
	return 0;
}

int
cx_cert_fingerprint(const char *cert_path, char out[static 65], struct err *err)
{
	uint8_t md[CX_SHA256_LEN];
	unsigned char *der = NULL;
	char ebuf[256];
	X509 *x = NULL;
	int len, r;

	if ((r = tls_read_cert(cert_path, &x, err)) < 0)
		return r;
	if ((len = i2d_X509(x, &der)) <= 0) {
		cx_ossl_errstr(ebuf, sizeof(ebuf));
		r = err_set(err, LSN_EINVAL, "could not encode the certificate from '%s': %s",
		    cert_path, ebuf);
		goto out;
	}
	cx_sha256(der, (size_t)len, md);
	hex_encode(md, sizeof(md), out);
out:
	OPENSSL_free(der);
	X509_free(x);
	return r;
}

/*
 * The SubjectPublicKeyInfo exactly as the certificate carries it, not the key
 * re-encoded: a pin must match what any other TLS stack hashes.
 */
int
cx_x509_spki_sha256(const void *x509, uint8_t out[static CX_SHA256_LEN])
{
	const X509_PUBKEY *spki;
	unsigned char *der = NULL;
	int len;

	if (x509 == NULL)
		return -LSN_EINVAL;
	spki = X509_get_X509_PUBKEY(x509);
	if (spki == NULL || (len = i2d_X509_PUBKEY(spki, &der)) <= 0) {
		ERR_clear_error();
		return -LSN_EINVAL;
	}
	cx_sha256(der, (size_t)len, out);
	OPENSSL_free(der);
	return 0;
}

int
cx_cert_spki_sha256(const char *cert_path, uint8_t out[static CX_SHA256_LEN],
    struct err *err)
{
	X509 *x = NULL;
	int r;

	if ((r = tls_read_cert(cert_path, &x, err)) < 0)
		return r;
	r = cx_x509_spki_sha256(x, out);
	if (r < 0)
		r = err_set(err, LSN_EINVAL, "could not encode the public key of certificate '%s'",
		    cert_path);
	X509_free(x);
	return r;
}
