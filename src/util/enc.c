/*
 * Hex and base64 (RFC 4648 §4 and §5). The decoders accept only the canonical
 * encoding, so one byte string has exactly one text form (ids, fingerprints
 * and key records compare as text). Not constant time: never feed it secrets
 * whose timing matters.
 */
#include "util/enc.h"
#include "util/err.h"

static const char hex_digits[] = "0123456789abcdef";
static const char b64_std[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void
hex_encode(const uint8_t *in, size_t len, char *out)
{
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = hex_digits[in[i] >> 4];
		out[2 * i + 1] = hex_digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
hex_decode(const char *in, size_t inlen, uint8_t *out, size_t outlen)
{
	size_t i;

	if (outlen > SIZE_MAX / 2 || inlen != 2 * outlen)
		return -LSN_EINVAL;
	for (i = 0; i < outlen; i++) {
		int hi = hex_value(in[2 * i]), lo = hex_value(in[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -LSN_EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

size_t
b64_encoded_len(size_t len, int url)
{
	if (url)
		return len / 3 * 4 + (len % 3 == 0 ? 0 : len % 3 + 1);
	return (len + 2) / 3 * 4;
}

void
b64_encode(const uint8_t *in, size_t len, char *out, int url)
{
	const char *abc = url ? b64_url : b64_std;
	size_t i, o = 0;

	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

		out[o++] = abc[v >> 18];
		out[o++] = abc[v >> 12 & 63];
		out[o++] = abc[v >> 6 & 63];
		out[o++] = abc[v & 63];
	}
	if (len - i == 1) {
		out[o++] = abc[in[i] >> 2];
		out[o++] = abc[(in[i] & 3) << 4];
		if (!url) {
			out[o++] = '=';
			out[o++] = '=';
		}
	} else if (len - i == 2) {
		out[o++] = abc[in[i] >> 2];
		out[o++] = abc[(in[i] & 3) << 4 | in[i + 1] >> 4];
		out[o++] = abc[(in[i + 1] & 15) << 2];
		if (!url)
			out[o++] = '=';
	}
	out[o] = '\0';
}

static int
b64_value(char c, int url)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (url ? '-' : '+'))
		return 62;
	if (c == (url ? '_' : '/'))
		return 63;
	return -1;
}

/*
 * Number of data characters in `in` after removing the padding the variant
 * requires (standard: length a multiple of 4, at most two '='; url: none),
 * or -1 if the shape is wrong. A tail of one character can never be valid.
 */
static int
b64_data_len(const char *in, size_t inlen, int url, size_t *ret)
{
	size_t n = inlen;

	if (!url) {
		if (inlen % 4 != 0)
			return -1;
		if (n > 0 && in[n - 1] == '=')
			n--;
		if (n > 0 && in[n - 1] == '=')
			n--;
	}
	if (n % 4 == 1)
		return -1;
	*ret = n;
	return 0;
}

int
b64_decode(const char *in, size_t inlen, uint8_t *out, size_t outcap,
    size_t *ret_len, int url)
{
	size_t n, i, o = 0, need;
	uint32_t acc = 0;
	int bits = 0;

	if (b64_data_len(in, inlen, url, &n) < 0)
		return -LSN_EINVAL;
	need = n / 4 * 3 + (n % 4 == 0 ? 0 : n % 4 - 1);
	if (need > outcap)
		return -LSN_ETOOBIG;
	for (i = 0; i < n; i++) {
		int v = b64_value(in[i], url);

		if (v < 0)
			return -LSN_EINVAL;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* RFC 4648 §3.5: the unused low bits of the last character must be zero. */
	if (acc != 0)
		return -LSN_EINVAL;
	*ret_len = o;
	return 0;
}
