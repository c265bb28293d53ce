/*
 * Byte encodings: hex and base64 (RFC 4648 §4, standard, and §5, URL-safe
 * without padding). Decoders are strict: they reject any character outside
 * the alphabet and bad padding. Constant time is not promised here.
 */
#ifndef LSN_UTIL_ENC_H
#define LSN_UTIL_ENC_H

#include <stddef.h>
#include <stdint.h>

/* The value of one hex digit (either case), or -1. */
int hex_value(char c);
/* out must hold 2*len+1 bytes; lowercase; NUL-terminated. */
void hex_encode(const uint8_t *in, size_t len, char *out);
/* Decodes exactly 2*outlen hex chars (either case); -LSN_EINVAL otherwise. */
int hex_decode(const char *in, size_t inlen, uint8_t *out, size_t outlen);

/* Encoded length without NUL. */
size_t b64_encoded_len(size_t len, int url);
/* out must hold b64_encoded_len()+1; url != 0 selects base64url, no padding. */
void b64_encode(const uint8_t *in, size_t len, char *out, int url);
/*
 * Decodes inlen chars into out (capacity outcap); writes the decoded length
 * to *ret_len. -LSN_EINVAL on a bad character or padding, -LSN_ETOOBIG if
 * out is too small.
 */
int b64_decode(const char *in, size_t inlen, uint8_t *out, size_t outcap,
    size_t *ret_len, int url);

#endif
