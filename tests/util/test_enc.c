/* Hex and base64 against RFC 4648 §10, and the strictness of the decoders. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "util/enc.h"
#include "util/err.h"

struct vec {
	const char *in, *std, *url, *hex;
};

/* RFC 4648 §10; the url column is the same text without padding. */
static const struct vec rfc4648[] = {
	{ "", "", "", "" },
	{ "f", "Zg==", "Zg", "66" },
	{ "fo", "Zm8=", "Zm8", "666f" },
	{ "foo", "Zm9v", "Zm9v", "666f6f" },
	{ "foob", "Zm9vYg==", "Zm9vYg", "666f6f62" },
	{ "fooba", "Zm9vYmE=", "Zm9vYmE", "666f6f6261" },
	{ "foobar", "Zm9vYmFy", "Zm9vYmFy", "666f6f626172" },
};

#define NVEC (sizeof(rfc4648) / sizeof(rfc4648[0]))

static void
test_hex_vectors(void **state)
{
	char out[32];
	uint8_t bin[16];
	size_t i;

	for (i = 0; i < NVEC; i++) {
		size_t n = strlen(rfc4648[i].in);

		hex_encode((const uint8_t *)rfc4648[i].in, n, out);
		assert_string_equal(out, rfc4648[i].hex);
		assert_int_equal(hex_decode(out, 2 * n, bin, n), 0);
		assert_memory_equal(bin, rfc4648[i].in, n);
	}
	/* RFC 4648 §8 writes base 16 in upper case; decoding accepts both. */
	assert_int_equal(hex_decode("666F6F626172", 12, bin, 6), 0);
	assert_memory_equal(bin, "foobar", 6);
}

static void
test_hex_rejects(void **state)
{
	uint8_t bin[4];

	assert_int_equal(hex_decode("666", 3, bin, 2), -LSN_EINVAL);   /* odd */
	assert_int_equal(hex_decode("6666", 4, bin, 1), -LSN_EINVAL);  /* too long */
	assert_int_equal(hex_decode("66", 2, bin, 2), -LSN_EINVAL);    /* too short */
	assert_int_equal(hex_decode("6g", 2, bin, 1), -LSN_EINVAL);
	assert_int_equal(hex_decode(" 6", 2, bin, 1), -LSN_EINVAL);
	assert_int_equal(hex_decode("0x", 2, bin, 1), -LSN_EINVAL);
}

static void
test_b64_vectors(void **state)
{
	char out[32];
	uint8_t bin[16];
	size_t i, n, got;

	for (i = 0; i < NVEC; i++) {
		n = strlen(rfc4648[i].in);
		assert_int_equal(b64_encoded_len(n, 0), strlen(rfc4648[i].std));
		assert_int_equal(b64_encoded_len(n, 1), strlen(rfc4648[i].url));
		b64_encode((const uint8_t *)rfc4648[i].in, n, out, 0);
		assert_string_equal(out, rfc4648[i].std);
		b64_encode((const uint8_t *)rfc4648[i].in, n, out, 1);
		assert_string_equal(out, rfc4648[i].url);

		got = 99;
		assert_int_equal(b64_decode(rfc4648[i].std, strlen(rfc4648[i].std), bin,
		    sizeof(bin), &got, 0), 0);
		assert_int_equal(got, n);
		assert_memory_equal(bin, rfc4648[i].in, n);
		got = 99;
		assert_int_equal(b64_decode(rfc4648[i].url, strlen(rfc4648[i].url), bin,
		    sizeof(bin), &got, 1), 0);
		assert_int_equal(got, n);
		assert_memory_equal(bin, rfc4648[i].in, n);
	}
}

/* The two alphabets differ only in values 62 and 63 (RFC 4648 §5). */
static void
test_b64_alphabets(void **state)
{
	static const uint8_t raw[] = { 0xfb, 0xff, 0xbf };
	uint8_t bin[4];
	char out[8];
	size_t got;

	b64_encode(raw, 3, out, 0);
	assert_string_equal(out, "+/+/");
	b64_encode(raw, 3, out, 1);
	assert_string_equal(out, "-_-_");
	assert_int_equal(b64_decode("-_-_", 4, bin, sizeof(bin), &got, 1), 0);
	assert_memory_equal(bin, raw, 3);
	assert_int_equal(b64_decode("-_-_", 4, bin, sizeof(bin), &got, 0), -LSN_EINVAL);
	assert_int_equal(b64_decode("+/+/", 4, bin, sizeof(bin), &got, 1), -LSN_EINVAL);
}

static void
test_b64_rejects(void **state)
{
	static const char *const bad_std[] = {
		"Zg",        /* missing padding */
		"Zg=",       /* short padding */
		"Zg===",     /* too much padding */
		"Z===",      /* one data character */
		"====",
		"Zm9v====",
		"Zg==Zg==",  /* padding in the middle */
		"Zm=v",
		"Zm9 ",      /* whitespace */
		"Zm9v\n",
		"Zm9*",
		"Zh==",      /* non-zero unused bits (RFC 4648 §3.5) */
		"Zm9=",
	};
	static const char *const bad_url[] = {
		"Zg==",      /* base64url here is unpadded */
		"Zm8=",
		"Z",         /* one data character */
		"Zm9vY",
		"Zh",        /* non-zero unused bits */
		"Zm+v",
		"Zm/v",
	};
	uint8_t bin[16];
	size_t i, got = 77;

	for (i = 0; i < sizeof(bad_std) / sizeof(bad_std[0]); i++)
		assert_int_equal(b64_decode(bad_std[i], strlen(bad_std[i]), bin,
		    sizeof(bin), &got, 0), -LSN_EINVAL);
	for (i = 0; i < sizeof(bad_url) / sizeof(bad_url[0]); i++)
		assert_int_equal(b64_decode(bad_url[i], strlen(bad_url[i]), bin,
		    sizeof(bin), &got, 1), -LSN_EINVAL);
	assert_int_equal(got, 77); /* ret_len written only on success */
}

static void
test_b64_capacity(void **state)
{
	uint8_t bin[6];
	size_t got = 0;

	assert_int_equal(b64_decode("Zm9vYmFy", 8, bin, 5, &got, 0), -LSN_ETOOBIG);
	assert_int_equal(b64_decode("Zm9vYmE=", 8, bin, 5, &got, 0), 0);
	assert_int_equal(got, 5);
	assert_int_equal(b64_decode("Zm9vYmE", 7, bin, 4, &got, 1), -LSN_ETOOBIG);
}

/* Every byte value and every tail length survives a round trip. */
static void
test_b64_roundtrip(void **state)
{
	uint8_t raw[256], bin[256];
	char out[400];
	size_t n, got;
	int url;

	for (n = 0; n < sizeof(raw); n++)
		raw[n] = (uint8_t)(255 - n);
	for (url = 0; url <= 1; url++) {
		for (n = 250; n <= 256; n++) {
			b64_encode(raw, n, out, url);
			assert_int_equal(strlen(out), b64_encoded_len(n, url));
			assert_int_equal(b64_decode(out, strlen(out), bin, sizeof(bin), &got, url), 0);
			assert_int_equal(got, n);
			assert_memory_equal(bin, raw, n);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hex_vectors),
		cmocka_unit_test(test_hex_rejects),
		cmocka_unit_test(test_b64_vectors),
		cmocka_unit_test(test_b64_alphabets),
		cmocka_unit_test(test_b64_rejects),
		cmocka_unit_test(test_b64_capacity),
		cmocka_unit_test(test_b64_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
