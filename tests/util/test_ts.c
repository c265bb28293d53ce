/* STIX timestamps (RFC 3339, STIX 2.1 §3.2) and the movable process clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "util/err.h"
#include "util/ts.h"

static int
parse(const char *s, struct ts *t)
{
	struct err err = ERR_INIT;
	int r = ts_parse(s, strlen(s), t, &err);

	if (r < 0) {
		assert_int_equal(r, -LSN_EINVAL);
		assert_int_equal(err.code, LSN_EINVAL);
		assert_true(strlen(err.msg) > 0);
	}
	return r;
}

static void
test_valid(void **state)
{
	static const char *const ok[] = {
		"2016-05-12T08:17:27Z",
		"2016-05-12T08:17:27.1Z",
		"2016-05-12T08:17:27.123Z",
		"2016-05-12T08:17:27.123456789Z",
		"2024-02-29T00:00:00Z",         /* leap year */
		"2000-02-29T12:00:00Z",         /* divisible by 400 */
		"1970-01-01T00:00:00Z",
		"2023-12-31T23:59:59.999999Z",
		"2023-04-30T00:00:00Z",
		"2023-11-30T00:00:00Z",
		"2023-01-31T00:00:00Z",
	};
	struct ts t;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (parse(ok[i], &t) != 0)
			fail_msg("rejected valid timestamp %s", ok[i]);
	}
	assert_int_equal(parse("1970-01-01T00:00:00Z", &t), 0);
	assert_int_equal(t.sec, 0);
	assert_int_equal(t.nsec, 0);
	assert_int_equal(parse("2016-05-12T08:17:27.123Z", &t), 0);
	assert_int_equal(t.sec, 1463041047);
	assert_int_equal(t.nsec, 123000000);
	assert_int_equal(t.digits, 3);
}

static void
test_invalid(void **state)
{
	static const char *const bad[] = {
		"2016-13-12T08:17:27Z",         /* month 13 */
		"2016-00-12T08:17:27Z",         /* month 00 */
		"2016-05-32T08:17:27Z",         /* day 32 */
		"2016-05-00T08:17:27Z",         /* day 00 */
		"2016-11-31T08:17:27Z",         /* 31 November */
		"2016-04-31T08:17:27Z",         /* 31 April */
		"2016-02-30T08:17:27Z",         /* 30 February */
		"2023-02-29T08:17:27Z",         /* common year */
		"1900-02-29T08:17:27Z",         /* divisible by 100, not 400 */
		"2016-05-12T24:00:00Z",         /* hour 24 */
		"2016-05-12T99:17:27Z",
		"2016-05-12T08:99:27Z",         /* minute 99 */
		"2016-05-12T08:60:27Z",
		"2016-05-12T08:17:61Z",
		"2016-05-12T08:17:27",          /* missing Z */
		"2016-05-12T08:17:27.123",
		"2016-05-12T08:17:27+01:00",    /* offsets are not UTC */
		"2016-05-12T08:17:27.123+01:00",
		"2016-05-12T08:17:27-00:00",
		"2016-05-12T08:17:27.1234567890Z", /* 10 fractional digits */
		"2016-05-12T08:17:27.Z",
		"2016-05-12T08:17:27,123Z",
		"2016-05-12T08:17:27.12a4Z",
		"2016-05-12t08:17:27z",         /* STIX requires upper case */
		"2016-05-12 08:17:27Z",
		"2016-5-12T08:17:27Z",
		"16-05-12T08:17:27Z",
		"2016-05-12T08:17Z",
		"2016-05-12",
		"",
		"Z",
		"+016-05-12T08:17:27Z",
		"2016-05-12T08:17:27ZZ",
		" 2016-05-12T08:17:27Z",
	};
	struct ts t;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i], &t) == 0)
			fail_msg("accepted invalid timestamp '%s'", bad[i]);
	}
}

/* Only n bytes count: a valid prefix followed by more text is not valid. */
static void
test_length_bound(void **state)
{
	const char *s = "2016-05-12T08:17:27Zjunk";
	struct ts t;

	assert_int_equal(ts_parse(s, 20, &t, NULL), 0);
	assert_int_equal(ts_parse(s, strlen(s), &t, NULL), -LSN_EINVAL);
	assert_int_equal(ts_parse(s, 19, &t, NULL), -LSN_EINVAL);
}

static void
test_cmp(void **state)
{
	struct ts a, b;

	assert_int_equal(parse("2016-05-12T08:17:48.000123Z", &a), 0);
	assert_int_equal(parse("2016-05-12T08:17:48.000Z", &b), 0);
	assert_int_equal(ts_cmp(&a, &b), 1);
	assert_int_equal(ts_cmp(&b, &a), -1);
	assert_int_equal(parse("2016-05-12T08:17:48Z", &a), 0);
	assert_int_equal(ts_cmp(&a, &b), 0);
	assert_int_equal(parse("2016-05-12T08:17:47.999999999Z", &a), 0);
	assert_int_equal(ts_cmp(&a, &b), -1);
	assert_int_equal(parse("2016-05-12T08:17:48.000000001Z", &a), 0);
	assert_int_equal(ts_cmp(&a, &b), 1);
	assert_int_equal(parse("2017-01-01T00:00:00Z", &a), 0);
	assert_int_equal(ts_cmp(&a, &b), 1);
}

static void
test_key(void **state)
{
	char k1[TS_KEY_LEN], k2[TS_KEY_LEN];
	struct ts a, b;

	assert_int_equal(parse("2016-05-12T08:17:27Z", &a), 0);
	assert_int_equal(parse("2016-05-12T08:17:27.000Z", &b), 0);
	ts_key(&a, k1);
	ts_key(&b, k2);
	assert_string_equal(k1, "2016-05-12T08:17:27.000000000Z");
	assert_string_equal(k1, k2);
	assert_int_equal(strlen(k1), TS_KEY_LEN - 1);

	/* Keys sort as the timestamps do. */
	assert_int_equal(parse("2016-05-12T08:17:27.1Z", &a), 0);
	assert_int_equal(parse("2016-05-12T08:17:27.09Z", &b), 0);
	ts_key(&a, k1);
	ts_key(&b, k2);
	assert_string_equal(k1, "2016-05-12T08:17:27.100000000Z");
	assert_true(strcmp(k1, k2) > 0);
	assert_int_equal(ts_cmp(&a, &b), 1);
}

static void
test_format_us(void **state)
{
	static const char *const samples[] = {
		"1970-01-01T00:00:00.000000Z",
		"2016-05-12T08:17:48.000123Z",
		"2024-02-29T23:59:59.999999Z",
		"1969-12-31T23:59:59.999999Z",
		"2038-01-19T03:14:08.000001Z",
		"9999-12-31T23:59:59.999999Z",
	};
	char out[TS_US_LEN];
	struct ts t;
	size_t i;

	for (i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		assert_int_equal(parse(samples[i], &t), 0);
		ts_format_us(ts_to_us(&t), out);
		assert_string_equal(out, samples[i]);
	}
	ts_format_us(0, out);
	assert_string_equal(out, "1970-01-01T00:00:00.000000Z");
	ts_format_us(-1, out);
	assert_string_equal(out, "1969-12-31T23:59:59.999999Z");
	assert_int_equal(parse("2016-05-12T08:17:48.123456789Z", &t), 0);
	assert_int_equal(ts_to_us(&t), INT64_C(1463041068123456));
	ts_format_us(ts_to_us(&t), out);
	assert_string_equal(out, "2016-05-12T08:17:48.123456Z");
}

static void
test_clock_offset(void **state)
{
	const int64_t day = INT64_C(86400000000);
	int64_t before, moved, after;

	before = clock_now_us();
	clock_set_offset_us(day);
	moved = clock_now_us();
	clock_set_offset_us(0);
	after = clock_now_us();
	assert_true(moved - before >= day);
	assert_true(moved - before < day + INT64_C(60000000));
	assert_true(after >= before);
	assert_true(after < moved);
	/* A plausible wall clock: after 2020-01-01. */
	assert_true(before > INT64_C(1577836800000000));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_length_bound),
		cmocka_unit_test(test_cmp),
		cmocka_unit_test(test_key),
		cmocka_unit_test(test_format_us),
		cmocka_unit_test(test_clock_offset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
