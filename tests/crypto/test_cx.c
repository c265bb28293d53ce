/*
 * Known-answer tests for the OpenSSL wrappers (FIPS 180-2, RFC 4231,
 * RFC 8032) and the files cx writes: modes, exclusivity, loadability.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto/cx.h"
#include "util/enc.h"
#include "util/err.h"
#include "util/ts.h"

static void
unhex(const char *h, uint8_t *out, size_t len)
{
	assert_int_equal(hex_decode(h, strlen(h), out, len), 0);
}

static void
assert_hex(const uint8_t *got, size_t len, const char *want)
{
	char h[257];

	assert_true(len * 2 < sizeof(h));
	hex_encode(got, len, h);
	assert_string_equal(h, want);
}

static void
test_sha256(void **state)
{
	uint8_t md[CX_SHA256_LEN];

	cx_sha256("abc", 3, md);
	assert_hex(md, sizeof(md),
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	cx_sha256("", 0, md);
	assert_hex(md, sizeof(md),
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void
test_hmac_sha256(void **state)
{
	static const char data[] = "what do ya want for nothing?";
	uint8_t mac[CX_SHA256_LEN];

	/* RFC 4231 §4.3, test case 2. */
	cx_hmac_sha256("Jefe", 4, data, strlen(data), mac);
	assert_hex(mac, sizeof(mac),
	    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	/* An empty key is a valid HMAC key (RFC 2104 pads it with zeros). */
	cx_hmac_sha256(NULL, 0, "", 0, mac);
	assert_hex(mac, sizeof(mac),
	    "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

static void
test_random_ct_wipe(void **state)
{
	uint8_t a[64], b[64], zero[64] = { 0 };

	assert_int_equal(cx_random(a, sizeof(a)), 0);
	assert_int_equal(cx_random(b, sizeof(b)), 0);
	assert_int_equal(cx_random(b, 0), 0);
	assert_false(cx_ct_equal(a, b, sizeof(a)));
	assert_true(cx_ct_equal(a, a, sizeof(a)));
	memcpy(b, a, sizeof(b));
	b[63] ^= 1;
	assert_false(cx_ct_equal(a, b, sizeof(a)));
	assert_true(cx_ct_equal(a, b, 63));
	cx_wipe(a, sizeof(a));
	assert_memory_equal(a, zero, sizeof(a));
}

static void
test_uuid4(void **state)
{
	char u[CX_UUID_LEN], v[CX_UUID_LEN];
	int i, k;

	for (k = 0; k < 64; k++) {
		assert_int_equal(cx_uuid4(u), 0);
		assert_int_equal(strlen(u), 36);
		for (i = 0; i < 36; i++) {
			if (i == 8 || i == 13 || i == 18 || i == 23)
				assert_int_equal(u[i], '-');
			else
				assert_non_null(strchr("0123456789abcdef", u[i]));
		}
		assert_int_equal(u[14], '4');                  /* version */
		assert_non_null(strchr("89ab", u[19]));      /* variant 10xx */
	}
	assert_int_equal(cx_uuid4(v), 0);
	assert_string_not_equal(u, v);
}

static void
test_password(void **state)
{
	char h1[CX_PWHASH_MAX], h2[CX_PWHASH_MAX], bad[CX_PWHASH_MAX];

	assert_int_equal(cx_password_hash("correct horse", h1), 0);
	assert_int_equal(strncmp(h1, "$pbkdf2-sha256$200000$", 22), 0);
	assert_int_equal(cx_password_verify("correct horse", h1), 0);
	assert_int_equal(cx_password_verify("correct horsE", h1), -LSN_EAUTH);
	assert_int_equal(cx_password_verify("", h1), -LSN_EAUTH);
	/* A fresh salt each time: same password, different encodings. */
	assert_int_equal(cx_password_hash("correct horse", h2), 0);
	assert_string_not_equal(h1, h2);
	assert_int_equal(cx_password_verify("correct horse", h2), 0);
	assert_int_equal(cx_password_hash("", h2), 0);
	assert_int_equal(cx_password_verify("", h2), 0);
	assert_int_equal(cx_password_verify("x", h2), -LSN_EAUTH);

	/* Malformed encodings are not mismatches. */
	assert_int_equal(cx_password_verify("x", ""), -LSN_EINVAL);
	assert_int_equal(cx_password_verify("x", "$pbkdf2-sha256$"), -LSN_EINVAL);
	assert_int_equal(cx_password_verify("x", "$pbkdf2-sha1$1000$AAAAAAAAAAAAAAAAAAAAAA==$x"),
	    -LSN_EINVAL);
	snprintf(bad, sizeof(bad), "%.*s", (int)strlen(h1) - 4, h1);  /* hash cut short */
	assert_int_equal(cx_password_verify("correct horse", bad), -LSN_EINVAL);
	snprintf(bad, sizeof(bad), "$pbkdf2-sha256$999999999%s", strchr(h1 + 15, '$'));
	assert_int_equal(cx_password_verify("correct horse", bad), -LSN_EINVAL);
	snprintf(bad, sizeof(bad), "$pbkdf2-sha256$x%s", strchr(h1 + 15, '$'));
	assert_int_equal(cx_password_verify("correct horse", bad), -LSN_EINVAL);
}

/* RFC 8032 §7.1, TEST 1: empty message. */
#define RFC8032_SK "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
#define RFC8032_PK "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
#define RFC8032_SIG "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155" \
	"5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"

static void
test_ed25519_rfc8032(void **state)
{
	uint8_t seed[32], pub[32], want[64], sig[64];
	struct err err = ERR_INIT;
	struct cx_key *k = NULL;

	unhex(RFC8032_SK, seed, sizeof(seed));
	unhex(RFC8032_SIG, want, sizeof(want));
	assert_int_equal(cx_key_from_raw(seed, &k, &err), 0);
	cx_key_public(k, pub);
	assert_hex(pub, sizeof(pub), RFC8032_PK);
	assert_int_equal(cx_sign(k, "", 0, sig), 0);
	assert_memory_equal(sig, want, sizeof(sig));
	assert_int_equal(cx_verify(pub, "", 0, sig), 0);

	/* Any flipped bit in the signature, the key or the message fails. */
	sig[10] ^= 0x04;
	assert_int_equal(cx_verify(pub, "", 0, sig), -LSN_EBADSIG);
	sig[10] ^= 0x04;
	sig[63] ^= 0x80;
	assert_int_equal(cx_verify(pub, "", 0, sig), -LSN_EBADSIG);
	sig[63] ^= 0x80;
	pub[0] ^= 0x01;
	assert_int_equal(cx_verify(pub, "", 0, sig), -LSN_EBADSIG);
	pub[0] ^= 0x01;
	assert_int_equal(cx_verify(pub, "\x00", 1, sig), -LSN_EBADSIG);
	assert_int_equal(cx_verify(pub, "", 0, sig), 0);
	cx_key_free(k);
	cx_key_free(NULL);
}

static char tmpdir[256];

static int
setup_tmpdir(void **state)
{
	const char *base = getenv("TMPDIR");

	snprintf(tmpdir, sizeof(tmpdir), "%s/cxtest.XXXXXX", base ? base : "/tmp");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown_tmpdir(void **state)
{
	static const char *const names[] = { "ed.pem", "tls.key", "tls.crt", "k2", "c2", "k3", "c3" };
	char path[512];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, names[i]);
		unlink(path);
	}
	return rmdir(tmpdir);
}

static const char *
tmp(const char *name)
{
	static char path[4][512];
	static int next;
	char *p = path[next++ % 4];

	snprintf(p, sizeof(path[0]), "%s/%s", tmpdir, name);
	return p;
}

static mode_t
file_mode(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

static void
test_ed25519_files(void **state)
{
	uint8_t pub1[32], pub2[32], sig[64];
	struct cx_key *k = NULL, *k2 = NULL;
	struct err err = ERR_INIT;
	const char *path = tmp("ed.pem");

	assert_int_equal(cx_key_generate(&k, &err), 0);
	assert_int_equal(cx_key_save(k, path, &err), 0);
	assert_int_equal(file_mode(path), 0600);
	/* Never overwrites: a node's key is replaced only on purpose. */
	assert_int_equal(cx_key_save(k, path, &err), -LSN_EEXIST);
	assert_non_null(strstr(err.msg, path));

	assert_int_equal(cx_key_load(path, &k2, &err), 0);
	cx_key_public(k, pub1);
	cx_key_public(k2, pub2);
	assert_memory_equal(pub1, pub2, 32);
	assert_int_equal(cx_sign(k2, "msg", 3, sig), 0);
	assert_int_equal(cx_verify(pub1, "msg", 3, sig), 0);
	assert_int_equal(cx_verify(pub1, "msh", 3, sig), -LSN_EBADSIG);
	cx_key_free(k);
	cx_key_free(k2);

	err_clear(&err);
	k2 = NULL;
	assert_int_equal(cx_key_load(tmp("missing.pem"), &k2, &err), -LSN_EIO);
	assert_null(k2);
	assert_non_null(strstr(err.msg, "missing.pem"));
}

static X509 *
read_cert(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *x;

	assert_non_null(f);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(x);
	return x;
}

static EVP_PKEY *
read_key(const char *path)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *pk;

	assert_non_null(f);
	pk = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(pk);
	return pk;
}

static void
assert_sans(X509 *x)
{
	GENERAL_NAMES *sans = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	int i, dns = 0, ip = 0;

	assert_non_null(sans);
	for (i = 0; i < sk_GENERAL_NAME_num(sans); i++) {
		GENERAL_NAME *gn = sk_GENERAL_NAME_value(sans, i);

		if (gn->type == GEN_DNS && ASN1_STRING_length(gn->d.dNSName) == 9 &&
		    memcmp(ASN1_STRING_get0_data(gn->d.dNSName), "localhost", 9) == 0)
			dns = 1;
		if (gn->type == GEN_IPADD && ASN1_STRING_length(gn->d.iPAddress) == 4 &&
		    memcmp(ASN1_STRING_get0_data(gn->d.iPAddress), "\x7f\0\0\x01", 4) == 0)
			ip = 1;
	}
	GENERAL_NAMES_free(sans);
	assert_true(dns && ip);
	assert_int_equal(X509_check_host(x, "localhost", 0, 0, NULL), 1);
	assert_int_equal(X509_check_ip_asc(x, "127.0.0.1", 0), 1);
}

/* Valid now and for `days` days, counted from the process clock. */
static void
assert_validity(X509 *x, int days)
{
	time_t now = (time_t)(clock_now_us() / 1000000);
	time_t early = now + (days - 1) * 86400, late = now + (days + 1) * 86400;

	assert_true(X509_cmp_time(X509_get0_notBefore(x), &now) < 0);
	assert_true(X509_cmp_time(X509_get0_notAfter(x), &early) > 0);
	assert_true(X509_cmp_time(X509_get0_notAfter(x), &late) < 0);
}

static void
test_tls_selfsigned(void **state)
{
	const char *key = tmp("tls.key"), *crt = tmp("tls.crt");
	struct err err = ERR_INIT;
	char fp1[65], fp2[65], want[65];
	unsigned char md[32];
	unsigned int mdlen;
	EVP_PKEY *pk;
	X509 *x;

	assert_int_equal(cx_tls_selfsigned("node-a.example", "DNS:localhost,IP:127.0.0.1",
	    30, key, crt, &err), 0);
	assert_int_equal(file_mode(key), 0600);
	x = read_cert(crt);
	pk = read_key(key);
	assert_true(EVP_PKEY_is_a(pk, "EC"));
	assert_int_equal(X509_check_private_key(x, pk), 1);
	assert_int_equal(X509_verify(x, pk), 1);       /* self-signed */
	assert_int_equal(X509_get_signature_nid(x), NID_ecdsa_with_SHA256);
	assert_int_equal(X509_get_version(x), X509_VERSION_3);
	assert_sans(x);
	assert_validity(x, 30);

	assert_int_equal(cx_cert_fingerprint(crt, fp1, &err), 0);
	assert_int_equal(strlen(fp1), 64);
	assert_int_equal(strspn(fp1, "0123456789abcdef"), 64);
	assert_int_equal(cx_cert_fingerprint(crt, fp2, &err), 0);
	assert_string_equal(fp1, fp2);
	assert_int_equal(X509_digest(x, EVP_sha256(), md, &mdlen), 1);
	hex_encode(md, mdlen, want);
	assert_string_equal(fp1, want);
	X509_free(x);
	EVP_PKEY_free(pk);

	/* A second certificate has another key, serial and fingerprint. */
	assert_int_equal(cx_tls_selfsigned("n", "DNS:localhost", 1, tmp("k2"), tmp("c2"), &err), 0);
	assert_int_equal(cx_cert_fingerprint(tmp("c2"), fp2, &err), 0);
	assert_string_not_equal(fp1, fp2);
}

/* The pin as the usual recipe computes it: openssl x509 -pubkey | pkey -outform DER | sha256sum. */
static void
spki_hash_openssl_cli(const char *crt, char out[static 65])
{
	char cmd[1024], line[128];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "openssl x509 -in '%s' -pubkey -noout | "
	    "openssl pkey -pubin -outform DER | sha256sum", crt);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(line, sizeof(line), p));
	assert_int_equal(pclose(p), 0);
	assert_true(strlen(line) > 64 && line[64] == ' ');
	memcpy(out, line, 64);
	out[64] = '\0';
}

static void
test_spki_sha256(void **state)
{
	const char *crt = tmp("tls.crt");
	uint8_t a[CX_SHA256_LEN], b[CX_SHA256_LEN], c[CX_SHA256_LEN];
	unsigned char *der = NULL;
	struct err err = ERR_INIT;
	char want[65];
	int len;
	X509 *x;

	/* test_tls_selfsigned left tls.crt (P-256) and c2 behind. */
	assert_int_equal(cx_cert_spki_sha256(crt, a, &err), 0);
	spki_hash_openssl_cli(crt, want);
	assert_hex(a, sizeof(a), want);

	/* Independently: the key re-encoded by OpenSSL is the same DER for P-256. */
	x = read_cert(crt);
	len = i2d_PUBKEY(X509_get0_pubkey(x), &der);
	assert_true(len > 0);
	cx_sha256(der, (size_t)len, c);
	assert_memory_equal(a, c, sizeof(a));
	assert_int_equal(cx_x509_spki_sha256(x, b), 0);
	assert_memory_equal(a, b, sizeof(a));
	OPENSSL_free(der);
	X509_free(x);

	/* Another certificate has another key, so another pin. */
	assert_int_equal(cx_cert_spki_sha256(tmp("c2"), b, &err), 0);
	assert_memory_not_equal(a, b, sizeof(a));
	spki_hash_openssl_cli(tmp("c2"), want);
	assert_hex(b, sizeof(b), want);
}

static void
test_spki_sha256_errors(void **state)
{
	uint8_t md[CX_SHA256_LEN], zero[CX_SHA256_LEN] = { 0 };
	struct err err = ERR_INIT;
	X509 *empty;

	memset(md, 0, sizeof(md));
	assert_int_equal(cx_cert_spki_sha256(tmp("tls.key"), md, &err), -LSN_EINVAL);
	assert_non_null(strstr(err.msg, "tls.key"));
	assert_int_equal(cx_cert_spki_sha256(tmp("none.crt"), md, &err), -LSN_EIO);
	assert_non_null(strstr(err.msg, "none.crt"));
	assert_int_equal(cx_x509_spki_sha256(NULL, md), -LSN_EINVAL);
	/* A certificate without a key cannot be pinned. */
	empty = X509_new();
	assert_non_null(empty);
	assert_int_equal(cx_x509_spki_sha256(empty, md), -LSN_EINVAL);
	X509_free(empty);
	assert_memory_equal(md, zero, sizeof(md));  /* written only on success */
}

static void
test_tls_errors(void **state)
{
	struct err err = ERR_INIT;
	char fp[65];

	/* Existing files are never replaced, and a lone key is not left behind. */
	assert_int_equal(cx_tls_selfsigned("n", "DNS:x", 1, tmp("tls.key"), tmp("c3"), &err),
	    -LSN_EEXIST);
	assert_int_equal(access(tmp("c3"), F_OK), -1);
	assert_int_equal(cx_tls_selfsigned("n", "DNS:x", 1, tmp("k3"), tmp("tls.crt"), &err),
	    -LSN_EEXIST);
	assert_int_equal(access(tmp("k3"), F_OK), -1);

	assert_int_equal(cx_tls_selfsigned("n", "BOGUS:x", 1, tmp("k3"), tmp("c3"), &err),
	    -LSN_EINVAL);
	assert_non_null(strstr(err.msg, "BOGUS:x"));
	assert_int_equal(cx_tls_selfsigned("n", "", 1, tmp("k3"), tmp("c3"), &err), -LSN_EINVAL);
	assert_int_equal(cx_tls_selfsigned("n", "DNS:x", 0, tmp("k3"), tmp("c3"), &err), -LSN_EINVAL);
	assert_int_equal(access(tmp("k3"), F_OK), -1);

	assert_int_equal(cx_cert_fingerprint(tmp("tls.key"), fp, &err), -LSN_EINVAL);
	assert_non_null(strstr(err.msg, "tls.key"));
	assert_int_equal(cx_cert_fingerprint(tmp("none.crt"), fp, &err), -LSN_EIO);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_hmac_sha256),
		cmocka_unit_test(test_random_ct_wipe),
		cmocka_unit_test(test_uuid4),
		cmocka_unit_test(test_password),
		cmocka_unit_test(test_ed25519_rfc8032),
		cmocka_unit_test(test_ed25519_files),
		cmocka_unit_test(test_tls_selfsigned),
		cmocka_unit_test(test_spki_sha256),
		cmocka_unit_test(test_spki_sha256_errors),
		cmocka_unit_test(test_tls_errors),
	};

	return cmocka_run_group_tests(tests, setup_tmpdir, teardown_tmpdir);
}
