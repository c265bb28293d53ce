/*
 * Shared only by the files of src/crypto: OpenSSL error text and the one way this
 * module writes files (never over an existing file, durable before success).
 */
#ifndef LSN_CRYPTO_CX_INT_H
#define LSN_CRYPTO_CX_INT_H

#include <stddef.h>
#include <sys/types.h>

#include <openssl/evp.h>

struct err;

/*
 * Copies the text of the newest queued OpenSSL error into buf ("unknown
 * OpenSSL error" if none) and empties the thread's error queue, so a stale
 * entry never shows up in a later, unrelated message.
 */
void cx_ossl_errstr(char *buf, size_t len);

/*
 * Creates path with O_EXCL and mode, writes len bytes and fsyncs. On any
 * failure the partly written file is removed. -LSN_EEXIST if path exists,
 * -LSN_EIO otherwise.
 */
int cx_write_file(const char *path, mode_t mode, const void *data, size_t len,
    struct err *err);

/* Unencrypted PKCS#8 PEM of pk, written with cx_write_file(path, 0600). */
int cx_write_pkey(EVP_PKEY *pk, const char *path, struct err *err);

#endif
