/*
 * Key and certificate files: created exclusively (never overwriting a key a
 * node already has), private ones 0600, synced before success is reported.
 */
#include "crypto/cx_int.h"
#include "util/err.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>

void
cx_ossl_errstr(char *buf, size_t len)
{
	unsigned long e = ERR_peek_last_error();

	if (e == 0)
		snprintf(buf, len, "unknown OpenSSL error");
	else
		ERR_error_string_n(e, buf, len);
	ERR_clear_error();
}

static int
write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
cx_write_file(const char *path, mode_t mode, const void *data, size_t len,
    struct err *err)
{
	int fd, saved;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return err_set(err, errno == EEXIST ? LSN_EEXIST : LSN_EIO,
		    "could not create '%s': %s", path, strerror(errno));
	if (write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		saved = errno;
		close(fd);
		unlink(path);
		return err_set(err, LSN_EIO, "could not write '%s': %s", path,
		    strerror(saved));
	}
	if (close(fd) < 0) {
		saved = errno;
		unlink(path);
		return err_set(err, LSN_EIO, "could not write '%s': %s", path,
		    strerror(saved));
	}
	return 0;
}

int
cx_write_pkey(EVP_PKEY *pk, const char *path, struct err *err)
{
	char ebuf[256];
	BIO *bio;
	char *pem;
	long len;
	int r;

	/* Secure-heap memory BIO: the PEM is wiped when the BIO is freed. */
	bio = BIO_new(BIO_s_secmem());
	if (bio == NULL)
		return err_set(err, LSN_ENOMEM, "could not encode the key for '%s': out of memory", path);
	if (PEM_write_bio_PKCS8PrivateKey(bio, pk, NULL, NULL, 0, NULL, NULL) != 1) {
		cx_ossl_errstr(ebuf, sizeof(ebuf));
		r = err_set(err, LSN_EINTERNAL, "could not encode the key for '%s' as PKCS#8: %s",
		    path, ebuf);
		goto out;
	}
	len = BIO_get_mem_data(bio, &pem);
	r = cx_write_file(path, 0600, pem, (size_t)len, err);
out:
	BIO_free(bio);
	return r;
}
