/* TAXII query-string parsing: every parameter, every rejection names its cause. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "http/query.h"
#include "util/err.h"

static struct taxii_query q;

static int
parse(const char *s, struct err *err)
{
	err_clear(err);
	return taxii_query_parse(s, ~0u, &q, err);
}

static void
test_all_params(void **state)
{
	struct err err = ERR_INIT;

	assert_int_equal(parse("added_after=2020-01-01T00:00:00.5Z&limit=25&next=abc"
	    "&match%5Bid%5D=indicator--a,indicator--b&match[type]=malware"
	    "&match[version]=first,2021-02-03T04:05:06Z&match[spec_version]=2.1", &err), 0);
	assert_int_equal(q.present, QP_ADDED_AFTER | QP_LIMIT | QP_NEXT | QP_MATCH_ID |
	    QP_MATCH_TYPE | QP_MATCH_VERSION | QP_MATCH_SPEC_VERSION);
	assert_int_equal(q.added_after_us, 1577836800500000LL);
	assert_int_equal(q.limit, 25);
	assert_string_equal(q.next, "abc");
	assert_int_equal(q.n_ids, 2);
	assert_string_equal(q.ids[1], "indicator--b");
	assert_string_equal(q.types[0], "malware");
	assert_int_equal(q.ver_flags, QV_FIRST);
	assert_int_equal(q.n_vkeys, 1);
	assert_string_equal(q.vkeys[0], "2021-02-03T04:05:06.000000000Z");
	assert_string_equal(q.spec_versions[0], "2.1");
	assert_int_equal(parse("", &err), 0);
	assert_int_equal(q.present, 0);
	assert_int_equal(parse("match[version]=last,all", &err), 0);
	assert_int_equal(q.ver_flags, QV_LAST | QV_ALL);
}

static void
test_rejections(void **state)
{
	static const struct {
		const char *q, *needle;
	} bad[] = {
		{ "limit=-1", "'limit'" },
		{ "limit=0", "'limit'" },
		{ "limit=10x", "'limit'" },
		{ "limit=", "'limit' has no value" },
		{ "added_after=2016-13-01T00:00:00Z", "added_after" },
		{ "added_after=yesterday", "added_after" },
		{ "added_after=2016-01-01T00:00:00+01:00", "added_after" },
		{ "match[foo]=1", "match[foo]" },
		{ "match[version]=newest", "match[version]" },
		{ "match[id]=a,,b", "empty value" },
		{ "limit=1&limit=2", "twice" },
		{ "bogus", "bogus" },
		{ "match[type]=%zz", "percent-escape" },
		{ "match[type]=a%00b", "NUL" },
	};
	struct err err = ERR_INIT;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_true(parse(bad[i].q, &err) < 0);
		if (strstr(err.msg, bad[i].needle) == NULL)
			fail_msg("query '%s': message '%s' lacks '%s'", bad[i].q, err.msg, bad[i].needle);
	}
}

static void
test_allowed_mask(void **state)
{
	struct err err = ERR_INIT;

	assert_true(taxii_query_parse("match[type]=tool", QP_LIMIT, &q, &err) < 0);
	assert_non_null(strstr(err.msg, "unknown query parameter 'match[type]'"));
}

static void
test_limits(void **state)
{
	struct err err = ERR_INIT;
	char big[QUERY_MAX_BYTES + 100];
	char list[2048] = "match[id]=";
	int i;

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(parse(big, &err), -LSN_ETOOBIG);
	for (i = 0; i < QUERY_LIST_MAX + 1; i++)
		strcat(list, i ? ",x" : "x");
	assert_true(parse(list, &err) < 0);
	assert_non_null(strstr(err.msg, "more than"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_params),
		cmocka_unit_test(test_rejections),
		cmocka_unit_test(test_allowed_mask),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
