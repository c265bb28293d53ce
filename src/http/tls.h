/* TLS contexts of the listeners: TLS 1.3 only (DESIGN §7). */
#ifndef LSN_HTTP_TLS_H
#define LSN_HTTP_TLS_H

#include <stdint.h>

struct err;

/* Returns an SSL_CTX * for a server with this certificate and key (PEM). */
void *http_tls_server_ctx(const char *cert_path, const char *key_path, struct err *err);
/*
 * The peer listener's context: as above, and a client certificate is
 * required; the handshake succeeds only if pinned(arg, SHA-256 of the
 * certificate's SubjectPublicKeyInfo) returns 1. pinned runs on the loop
 * thread, during the handshake.
 */
void *http_tls_peer_ctx(const char *cert_path, const char *key_path,
    int (*pinned)(void *arg, const uint8_t spki[32]), void *arg, struct err *err);
void http_tls_ctx_free(void *ctx);

#endif
