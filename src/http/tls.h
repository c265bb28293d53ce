/* TLS contexts of the listeners: TLS 1.3 only (DESIGN §7). */
#ifndef LSN_HTTP_TLS_H
#define LSN_HTTP_TLS_H

struct err;

/* Returns an SSL_CTX * for a server with this certificate and key (PEM). */
void *http_tls_server_ctx(const char *cert_path, const char *key_path, struct err *err);
void http_tls_ctx_free(void *ctx);

#endif
