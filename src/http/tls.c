/* Server TLS contexts. TLS 1.3 only: no downgrade, no renegotiation. */
#include "http/tls.h"
#include "crypto/cx.h"
#include "util/err.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdlib.h>

void *
http_tls_server_ctx(const char *cert_path, const char *key_path, struct err *err)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	char why[256];

	if (ctx == NULL) {
		err_set(err, LSN_ENOMEM, "tls: cannot create a context");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
	SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert_path) != 1) {
		ERR_error_string_n(ERR_get_error(), why, sizeof(why));
		err_set(err, LSN_EIO, "tls: cannot load the certificate %s: %s", cert_path, why);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key_path, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		ERR_error_string_n(ERR_get_error(), why, sizeof(why));
		err_set(err, LSN_EIO, "tls: cannot load the key %s or it does not match the certificate: %s",
		    key_path, why);
		goto fail;
	}
	return ctx;
fail:
	SSL_CTX_free(ctx);
	ERR_clear_error();
	return NULL;
}

struct pin_hook {
	int (*pinned)(void *arg, const uint8_t spki[32]);
	void *arg;
};

static int pin_hook_index = -1;

/*
 * Replaces chain verification: partners' certificates are self-signed and
 * trusted only through the pin of their key (SHA-256 of the SPKI) that the
 * operator confirmed by fingerprint. The TLS handshake itself proves the
 * client holds that key (CertificateVerify), so nothing else is needed.
 */
static int
verify_pinned(X509_STORE_CTX *xs, void *arg)
{
	const struct pin_hook *h = arg;
	uint8_t spki[32];
	X509 *leaf = X509_STORE_CTX_get0_cert(xs);

	if (leaf == NULL || cx_x509_spki_sha256(leaf, spki) < 0) {
		X509_STORE_CTX_set_error(xs, X509_V_ERR_UNSPECIFIED);
		return 0;
	}
	if (!h->pinned(h->arg, spki)) {
		X509_STORE_CTX_set_error(xs, X509_V_ERR_CERT_REJECTED);
		return 0;
	}
	return 1;
}

static void
pin_hook_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
	free(ptr);
}

void *
http_tls_peer_ctx(const char *cert_path, const char *key_path,
    int (*pinned)(void *arg, const uint8_t spki[32]), void *arg, struct err *err)
{
	SSL_CTX *ctx = http_tls_server_ctx(cert_path, key_path, err);
	struct pin_hook *h;

	if (ctx == NULL)
		return NULL;
	if (pin_hook_index < 0)
		pin_hook_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, pin_hook_free);
	h = calloc(1, sizeof(*h));
	if (h == NULL || pin_hook_index < 0 || !SSL_CTX_set_ex_data(ctx, pin_hook_index, h)) {
		free(h);
		SSL_CTX_free(ctx);
		err_set(err, LSN_ENOMEM, "tls: out of memory");
		return NULL;
	}
	h->pinned = pinned;
	h->arg = arg;
	/* No certificate, or one not pinned: the handshake fails with an alert. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_cert_verify_callback(ctx, verify_pinned, h);
	/* Sessions are not resumed: every connection presents its certificate. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	return ctx;
}

void
http_tls_ctx_free(void *ctx)
{
	SSL_CTX_free(ctx);
}
