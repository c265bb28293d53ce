/* Server TLS contexts. TLS 1.3 only: no downgrade, no renegotiation. */
#include "http/tls.h"
#include "util/err.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

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

void
http_tls_ctx_free(void *ctx)
{
	SSL_CTX_free(ctx);
}
