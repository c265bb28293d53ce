/*
 * Hashes, MACs, randomness, UUIDs and password hashes over OpenSSL 3. Every
 * primitive is OpenSSL's; this file only fixes parameters and encodings.
 */
#include "crypto/cx.h"
#include "util/enc.h"
#include "util/err.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#define PW_PREFIX "$pbkdf2-sha256$"
#define PW_ITER 200000
#define PW_ITER_MIN 1000
/* A stored hash is input too: cap the work a corrupt record can ask for. */
#define PW_ITER_MAX 10000000
#define PW_SALT_LEN 16
#define PW_SALT_MAX 64

/*
 * The void signatures promise these cannot fail, and with the default
 * provider they fail only when memory is exhausted. A wrong digest would
 * silently break integrity checks, so stopping is the only safe answer.
 */
void
cx_sha256(const void *data, size_t len, uint8_t out[static CX_SHA256_LEN])
{
	if (EVP_Digest(data, len, out, NULL, EVP_sha256(), NULL) != 1)
		abort();
}

void
cx_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
    uint8_t out[static CX_SHA256_LEN])
{
	static const uint8_t empty[1];
	unsigned int outlen = 0;

	/* HMAC() rejects a NULL key even when keylen is 0. */
	if (key == NULL || keylen == 0)
		key = empty;
	if (keylen > INT_MAX ||
	    HMAC(EVP_sha256(), key, (int)keylen, data, len, out, &outlen) == NULL ||
	    outlen != CX_SHA256_LEN)
		abort();
}

int
cx_random(void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len > 0) {
		int n = len > INT_MAX ? INT_MAX : (int)len;

		if (RAND_bytes(p, n) != 1)
			return -LSN_EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
cx_ct_equal(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}

void
cx_wipe(void *p, size_t len)
{
	if (p != NULL)
		OPENSSL_cleanse(p, len);
}

int
cx_uuid4(char out[static CX_UUID_LEN])
{
	uint8_t b[16];
	char h[33];
	int r;

	if ((r = cx_random(b, sizeof(b))) < 0)
		return r;
	/* RFC 9562 §5.4: version 4 in the high nibble of byte 6, variant 10x. */
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	hex_encode(b, sizeof(b), h);
	snprintf(out, CX_UUID_LEN, "%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8, h + 12,
	    h + 16, h + 20);
	return 0;
}

static int
pw_derive(const char *password, const uint8_t *salt, size_t saltlen,
    unsigned iter, uint8_t out[static CX_SHA256_LEN])
{
	size_t plen = strlen(password);

	if (plen > INT_MAX)
		return -LSN_EINVAL;
	if (PKCS5_PBKDF2_HMAC(password, (int)plen, salt, (int)saltlen, (int)iter,
	    EVP_sha256(), CX_SHA256_LEN, out) != 1)
		return -LSN_EINTERNAL;
	return 0;
}

int
cx_password_hash(const char *password, char out[static CX_PWHASH_MAX])
{
	uint8_t salt[PW_SALT_LEN], dk[CX_SHA256_LEN];
	char salt64[64], dk64[64];
	int r;

	if (password == NULL)
		return -LSN_EINVAL;
	if ((r = cx_random(salt, sizeof(salt))) < 0)
		return r;
	if ((r = pw_derive(password, salt, sizeof(salt), PW_ITER, dk)) < 0)
		goto out;
	b64_encode(salt, sizeof(salt), salt64, 0);
	b64_encode(dk, sizeof(dk), dk64, 0);
	snprintf(out, CX_PWHASH_MAX, PW_PREFIX "%u$%s$%s", PW_ITER, salt64, dk64);
out:
	cx_wipe(dk, sizeof(dk));
	return r;
}

/* Splits "<iter>$<salt b64>$<hash b64>" (after the prefix) into its parts. */
static int
pw_parse(const char *s, unsigned *ret_iter, uint8_t salt[static PW_SALT_MAX],
    size_t *ret_saltlen, uint8_t dk[static CX_SHA256_LEN])
{
	const char *d1, *d2;
	unsigned long iter = 0;
	size_t dklen, i;

	d1 = strchr(s, '$');
	if (d1 == NULL || d1 == s || d1 - s > 8)
		return -LSN_EINVAL;
	for (i = 0; s + i < d1; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -LSN_EINVAL;
		iter = iter * 10 + (unsigned long)(s[i] - '0');
	}
	if (iter < PW_ITER_MIN || iter > PW_ITER_MAX)
		return -LSN_EINVAL;
	d2 = strchr(d1 + 1, '$');
	if (d2 == NULL)
		return -LSN_EINVAL;
	if (b64_decode(d1 + 1, (size_t)(d2 - d1 - 1), salt, PW_SALT_MAX, ret_saltlen, 0) < 0 ||
	    *ret_saltlen < 8)
		return -LSN_EINVAL;
	if (b64_decode(d2 + 1, strlen(d2 + 1), dk, CX_SHA256_LEN, &dklen, 0) < 0 ||
	    dklen != CX_SHA256_LEN)
		return -LSN_EINVAL;
	*ret_iter = (unsigned)iter;
	return 0;
}

int
cx_password_verify(const char *password, const char *encoded)
{
	uint8_t salt[PW_SALT_MAX], want[CX_SHA256_LEN], got[CX_SHA256_LEN];
	size_t saltlen;
	unsigned iter;
	int r;

	if (password == NULL || encoded == NULL ||
	    strncmp(encoded, PW_PREFIX, strlen(PW_PREFIX)) != 0)
		return -LSN_EINVAL;
	r = pw_parse(encoded + strlen(PW_PREFIX), &iter, salt, &saltlen, want);
	if (r < 0)
		goto out;
	if ((r = pw_derive(password, salt, saltlen, iter, got)) < 0)
		goto out;
	r = CRYPTO_memcmp(got, want, sizeof(got)) == 0 ? 0 : -LSN_EAUTH;
out:
	cx_wipe(got, sizeof(got));
	cx_wipe(want, sizeof(want));
	return r;
}
