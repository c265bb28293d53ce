/*
 * The strict JSON span scanner: RFC 8259 grammar and UTF-8 (RFC 3629 §4),
 * bounded nesting, and exact byte spans for the elements of an envelope.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "util/err.h"
#include "util/jscan.h"

struct doc {
	const char *s;
	size_t len; /* 0: strlen(s) */
	const char *why;
};

static int
validate(const struct doc *d, struct err *err)
{
	return jscan_validate(d->s, d->len ? d->len : strlen(d->s), 0, err);
}

static void
test_valid(void **state)
{
	static const struct doc ok[] = {
		{ "{}", 0, NULL }, { "[]", 0, NULL }, { " { } ", 0, NULL },
		{ "0", 0, NULL }, { "-0", 0, NULL }, { "-0.5e+10", 0, NULL },
		{ "1E-2", 0, NULL }, { "123456789", 0, NULL }, { "10", 0, NULL },
		{ "true", 0, NULL }, { "false", 0, NULL }, { "null", 0, NULL },
		{ "\"\"", 0, NULL }, { "\"a\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\uD834\\uDD1E\"", 0, NULL },
		{ "{\"a\":[1,2,{\"b\":null}],\"c\":\"x\"}", 0, NULL },
		{ "\n\t\r [ 1 , [ ] , { } , \"s\" ] \n", 0, NULL },
		{ "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9d\x84\x9e\"", 0, "2, 3 and 4 byte UTF-8" },
		{ "\"\xed\x9f\xbf \xee\x80\x80 \xef\xbf\xbf \xf4\x8f\xbf\xbf\"", 0, "edges: U+D7FF U+E000 U+FFFF U+10FFFF" },
		{ "\"\x7f\"", 0, "DEL is not a control character in JSON" },
		{ "{\"\xc3\xa9\":1}", 0, "UTF-8 key" },
		{ "\"\\u0000\"", 0, "escaped NUL" },
	};
	struct err err = ERR_INIT;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (validate(&ok[i], &err) != 0)
			fail_msg("rejected valid JSON %s: %s", ok[i].s, err.msg);
	}
}

static void
test_invalid(void **state)
{
	static const struct doc bad[] = {
		{ "", 0, "empty" }, { "   ", 0, "only whitespace" },
		{ "[1,]", 0, "trailing comma in array" },
		{ "{\"a\":1,}", 0, "trailing comma in object" },
		{ "[,1]", 0, "leading comma" }, { "{,}", 0, "lone comma" },
		{ "[1,,2]", 0, "double comma" },
		{ "01", 0, "leading zero" }, { "-01", 0, "leading zero" },
		{ "[00]", 0, "leading zero" }, { "{\"a\":01}", 0, "leading zero" },
		{ "1.", 0, "empty fraction" }, { ".1", 0, "no integer part" },
		{ "+1", 0, "plus sign" }, { "1e", 0, "empty exponent" },
		{ "1e+", 0, "empty exponent" }, { "-", 0, "lone minus" },
		{ "0x10", 0, "hex" }, { "NaN", 0, "NaN" }, { "Infinity", 0, "Infinity" },
		{ "tru", 0, "short literal" }, { "nul", 0, "short literal" },
		{ "True", 0, "capitalised literal" }, { "'a'", 0, "single quotes" },
		{ "\"a\x01\"", 0, "bare control char" }, { "\"a\tb\"", 0, "bare tab" },
		{ "\"a\nb\"", 0, "bare newline" }, { "\"\x1f\"", 0, "bare 0x1f" },
		{ "\"a\0b\"", 5, "bare NUL" },
		{ "\"\\x41\"", 0, "bad escape" }, { "\"\\'\"", 0, "bad escape" },
		{ "\"\\u12\"", 0, "short \\u" }, { "\"\\u12G4\"", 0, "non-hex \\u" },
		{ "\"\\U0041\"", 0, "upper-case U" }, { "\"\\", 0, "escape at end" },
		{ "\"abc", 0, "unterminated string" },
		{ "\"\xc0\x80\"", 0, "overlong C0 80" }, { "\"\xc1\xbf\"", 0, "overlong C1" },
		{ "\"\xe0\x80\x80\"", 0, "overlong E0" }, { "\"\xf0\x80\x80\x80\"", 0, "overlong F0" },
		{ "\"\xed\xa0\x80\"", 0, "surrogate ED A0 80" },
		{ "\"\xed\xbf\xbf\"", 0, "surrogate ED BF BF" },
		{ "\"\xf4\x90\x80\x80\"", 0, "above U+10FFFF" },
		{ "\"\xf5\x80\x80\x80\"", 0, "F5" }, { "\"\xf8\x88\x80\x80\x80\"", 0, "F8" },
		{ "\"\xfe\"", 0, "FE" }, { "\"\xff\"", 0, "FF" },
		{ "\"\x80\"", 0, "lone continuation" }, { "\"\xbf\"", 0, "lone continuation" },
		{ "\"\xc3\"", 0, "truncated 2-byte" }, { "\"\xe2\x82\"", 0, "truncated 3-byte" },
		{ "\"\xf0\x9f\x98\"", 0, "truncated 4-byte" }, { "\"\xc3", 0, "truncated at end" },
		{ "\"\xe2\x82", 0, "truncated at end" }, { "\"\xc3\x28\"", 0, "bad continuation" },
		{ "\"\xe2\x28\xa1\"", 0, "bad continuation" },
		{ "{\"\xff\":1}", 0, "bad UTF-8 in key" },
		{ "{\"a\"}", 0, "key without value" }, { "{\"a\" 1}", 0, "missing colon" },
		{ "{\"a\":}", 0, "missing value" }, { "{1:2}", 0, "non-string key" },
		{ "{a:1}", 0, "bare key" }, { "[1 2]", 0, "missing comma" },
		{ "{\"a\":1 \"b\":2}", 0, "missing comma" },
		{ "[}", 0, "mismatched" }, { "{]", 0, "mismatched" }, { "[1}", 0, "mismatched" },
		{ "[", 0, "unclosed" }, { "{", 0, "unclosed" }, { "[1", 0, "unclosed" },
		{ "{\"a\":1", 0, "unclosed" }, { "]", 0, "lone close" },
		{ "{} x", 0, "trailing data" }, { "{}{}", 0, "two values" },
		{ "1 2", 0, "two values" }, { "[]]", 0, "extra bracket" },
		{ "\"a\"\"b\"", 0, "two strings" }, { "null,", 0, "trailing comma" },
		{ "\xef\xbb\xbf{}", 0, "byte order mark" },
	};
	struct err err;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear(&err);
		if (validate(&bad[i], &err) != -LSN_EINVAL)
			fail_msg("accepted invalid JSON (%s): %s", bad[i].why, bad[i].s);
		assert_int_equal(err.code, LSN_EINVAL);
		assert_non_null(strstr(err.msg, "invalid JSON at byte"));
	}
}

static char *
nested(size_t depth, const char *open, const char *mid, const char *close)
{
	size_t lo = strlen(open), lm = strlen(mid), lc = strlen(close), i;
	char *s = malloc(depth * (lo + lc) + lm + 1), *p = s;

	assert_non_null(s);
	for (i = 0; i < depth; i++, p += lo)
		memcpy(p, open, lo);
	memcpy(p, mid, lm);
	p += lm;
	for (i = 0; i < depth; i++, p += lc)
		memcpy(p, close, lc);
	*p = '\0';
	return s;
}

static void
test_depth(void **state)
{
	char buf[16];
	struct err err = ERR_INIT;
	char *s;

	snprintf(buf, sizeof(buf), "%d", JSCAN_DEPTH_MAX);

	s = nested(10000, "[", "", "]");
	assert_int_equal(jscan_validate(s, strlen(s), 0, &err), -LSN_EINVAL);
	assert_non_null(strstr(err.msg, buf));
	free(s);

	s = nested(10000, "{\"a\":", "1", "}");
	assert_int_equal(jscan_validate(s, strlen(s), 0, &err), -LSN_EINVAL);
	assert_non_null(strstr(err.msg, buf));
	free(s);

	/* Unclosed and 10,000 deep: still the depth, not the end of input. */
	s = nested(10000, "[", "", "");
	assert_int_equal(jscan_validate(s, strlen(s), 0, &err), -LSN_EINVAL);
	assert_non_null(strstr(err.msg, "nesting"));
	free(s);

	/* The limit itself is allowed, one more is not; a smaller limit holds. */
	s = nested(JSCAN_DEPTH_MAX, "[", "", "]");
	assert_int_equal(jscan_validate(s, strlen(s), 0, &err), 0);
	assert_int_equal(jscan_validate(s, strlen(s), 10, &err), -LSN_EINVAL);
	assert_non_null(strstr(err.msg, "10 levels"));
	free(s);
	s = nested(JSCAN_DEPTH_MAX + 1, "[", "", "]");
	assert_int_equal(jscan_validate(s, strlen(s), 0, &err), -LSN_EINVAL);
	free(s);
}

/* The span jscan_value returned must be exactly `want`, found in doc. */
static void
assert_span(const char *doc, const char *s, const char *e, const char *want)
{
	const char *at = strstr(doc, want);

	assert_non_null(at);
	assert_ptr_equal(s, at);
	assert_ptr_equal(e, at + strlen(want));
}

static void
test_envelope_iteration(void **state)
{
	static const char doc[] =
	    " {\"more\": false,\n \"objects\" : [ {\"id\":\"a\",\"x\":[1,{\"y\":\"]}\"}]} ,\n"
	    "\t{ \"id\" : \"b\" }\n] }\n";
	static const char *const want[] = {
		"{\"id\":\"a\",\"x\":[1,{\"y\":\"]}\"}]}",
		"{ \"id\" : \"b\" }",
	};
	struct err err = ERR_INIT;
	struct jscan js;
	const char *key, *s, *e;
	size_t keylen;
	int n = 0, seen_more = 0, r;

	jscan_init(&js, doc, strlen(doc), 0);
	assert_int_equal(jscan_object_begin(&js, &err), 0);
	while ((r = jscan_object_next(&js, &key, &keylen, &err)) == 1) {
		if (keylen == 4 && memcmp(key, "more", 4) == 0) {
			assert_int_equal(jscan_value(&js, &s, &e, &err), 0);
			assert_int_equal(e - s, 5);
			assert_memory_equal(s, "false", 5);
			seen_more = 1;
			continue;
		}
		assert_int_equal(keylen, 7);
		assert_memory_equal(key, "objects", 7);
		assert_int_equal(jscan_array_begin(&js, &err), 0);
		while ((r = jscan_array_next(&js, &err)) == 1) {
			assert_true(n < 2);
			assert_int_equal(jscan_value(&js, &s, &e, &err), 0);
			assert_span(doc, s, e, want[n]);
			n++;
		}
		assert_int_equal(r, 0);
	}
	assert_int_equal(r, 0);
	assert_int_equal(jscan_end(&js, &err), 0);
	assert_true(seen_more);
	assert_int_equal(n, 2);
}

static void
test_empty_containers_iteration(void **state)
{
	static const char doc[] = "{ \"objects\" : [ ] }";
	struct err err = ERR_INIT;
	struct jscan js;
	const char *key;
	size_t keylen;

	jscan_init(&js, doc, strlen(doc), 0);
	assert_int_equal(jscan_object_begin(&js, &err), 0);
	assert_int_equal(jscan_object_next(&js, &key, &keylen, &err), 1);
	assert_int_equal(jscan_array_begin(&js, &err), 0);
	assert_int_equal(jscan_array_next(&js, &err), 0);
	assert_int_equal(jscan_object_next(&js, &key, &keylen, &err), 0);
	assert_int_equal(jscan_end(&js, &err), 0);

	jscan_init(&js, " { } ", 5, 0);
	assert_int_equal(jscan_object_begin(&js, &err), 0);
	assert_int_equal(jscan_object_next(&js, &key, &keylen, &err), 0);
	assert_int_equal(jscan_end(&js, &err), 0);
}

/* Walks doc as an object of arrays/values; returns the first error. */
static int
walk(const char *doc, struct err *err)
{
	struct jscan js;
	const char *key, *s, *e;
	size_t keylen;
	int r;

	jscan_init(&js, doc, strlen(doc), 0);
	if ((r = jscan_object_begin(&js, err)) < 0)
		return r;
	while ((r = jscan_object_next(&js, &key, &keylen, err)) == 1) {
		if (js.p < js.end && *js.p == '[') {
			if ((r = jscan_array_begin(&js, err)) < 0)
				return r;
			while ((r = jscan_array_next(&js, err)) == 1)
				if ((r = jscan_value(&js, &s, &e, err)) < 0)
					return r;
			if (r < 0)
				return r;
		} else if ((r = jscan_value(&js, &s, &e, err)) < 0) {
			return r;
		}
	}
	if (r < 0)
		return r;
	return jscan_end(&js, err);
}

static void
test_iteration_rejects(void **state)
{
	static const char *const bad[] = {
		"{\"objects\":[{},]}",          /* trailing comma in array */
		"{\"objects\":[{} ,  ]}",
		"{\"objects\":[,{}]}",
		"{\"objects\":[ , {}]}",
		"{\"objects\":[{} {}]}",        /* missing comma */
		"{\"objects\":[{},,{}]}",
		"{\"more\":false,}",             /* trailing comma in object */
		"{,\"more\":false}",             /* leading comma in object */
		"{ ,\"more\":false}",
		"{\n, \"more\":false}",
		"{\"more\":false \"x\":1}",      /* missing comma */
		"{\"more\" false}",
		"{\"more\":}",
		"{\"objects\":[]",               /* unclosed */
		"{\"objects\":[{}",
		"{\"objects\":[]} []",           /* trailing data */
		"{\"objects\":[]}}",
		"[]",
	};
	struct err err;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear(&err);
		if (walk(bad[i], &err) != -LSN_EINVAL)
			fail_msg("iteration accepted invalid JSON: %s", bad[i]);
		assert_true(strlen(err.msg) > 0);
	}
	assert_int_equal(walk("{ \"a\" : [ 1 , 2 ] , \"b\" : { } , \"c\" : [ ] }", &err), 0);
}

struct spans {
	char text[8][32];
	int n;
	int fail_at;                  /* return an error at this element (-1: never) */
};

static int
on_element(void *arg, const char *s, const char *e)
{
	struct spans *sp = arg;

	if (sp->n == sp->fail_at)
		return -LSN_ETOOBIG;
	snprintf(sp->text[sp->n], sizeof(sp->text[0]), "%.*s", (int)(e - s), s);
	sp->n++;
	return 0;
}

static int
each(const char *doc, struct spans *sp, struct err *err)
{
	memset(sp, 0, sizeof(*sp));
	sp->fail_at = -1;
	return jscan_each(doc, strlen(doc), 8, "objects", "the bundle", on_element, sp, err);
}

static void
test_each(void **state)
{
	struct err err = ERR_INIT;
	struct spans sp;

	assert_int_equal(each("{\"id\":\"x\", \"objects\": [ {\"a\":1} , [2,3],\"s\" ], \"z\":{}}",
	    &sp, &err), 0);
	assert_int_equal(sp.n, 3);
	assert_string_equal(sp.text[0], "{\"a\":1}");
	assert_string_equal(sp.text[1], "[2,3]");
	assert_string_equal(sp.text[2], "\"s\"");
	assert_int_equal(each("{\"objects\":[]}", &sp, &err), 0);
	assert_int_equal(sp.n, 0);
	assert_int_equal(each("{\"objects\":[1],\"objects\":[2]}", &sp, &err), -LSN_EINVAL);
	assert_non_null(strstr(err.msg, "the bundle has the key 'objects' twice"));
	assert_int_equal(each("{\"other\":[1]}", &sp, &err), -LSN_ECONFLICT);
	assert_non_null(strstr(err.msg, "the bundle has no 'objects' list"));
	assert_int_equal(each("{\"objects\":{}}", &sp, &err), -LSN_ECONFLICT);
	assert_non_null(strstr(err.msg, "must be a list"));
	assert_int_equal(each("[1,2]", &sp, &err), -LSN_ECONFLICT);
	assert_non_null(strstr(err.msg, "the bundle must be a JSON object"));
	assert_int_equal(each("{\"objects\":[1,]}", &sp, &err), -LSN_EINVAL);
	assert_int_equal(each("{\"objects\":[1]} x", &sp, &err), -LSN_EINVAL);
	/* the callback's error stops the walk and is returned */
	memset(&sp, 0, sizeof(sp));
	sp.fail_at = 1;
	assert_int_equal(jscan_each("{\"objects\":[1,2,3]}", 19, 8, "objects", "the bundle",
	    on_element, &sp, &err), -LSN_ETOOBIG);
	assert_int_equal(sp.n, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_envelope_iteration),
		cmocka_unit_test(test_empty_containers_iteration),
		cmocka_unit_test(test_iteration_rejects),
		cmocka_unit_test(test_each),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
