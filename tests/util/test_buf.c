/* The capped buffer: the cap holds on every path, and JSON string escaping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "util/buf.h"
#include "util/err.h"

static void
assert_buf(const struct buf *b, const char *want)
{
	assert_int_equal(b->len, strlen(want));
	assert_non_null(b->data);
	assert_memory_equal(b->data, want, b->len + 1); /* NUL included */
	assert_true(b->len <= b->max);
}

static void
test_cap_add(void **state)
{
	struct buf b = BUF_INIT(8);

	assert_int_equal(buf_adds(&b, "abcd"), 0);
	assert_int_equal(buf_adds(&b, "efghi"), -LSN_ETOOBIG);
	assert_buf(&b, "abcd");
	assert_int_equal(buf_adds(&b, "efgh"), 0);   /* exactly at the cap */
	assert_buf(&b, "abcdefgh");
	assert_int_equal(buf_addc(&b, 'x'), -LSN_ETOOBIG);
	assert_int_equal(buf_add(&b, "", 0), 0);
	assert_int_equal(buf_reserve(&b, SIZE_MAX), -LSN_ETOOBIG);
	assert_buf(&b, "abcdefgh");
	buf_reset(&b);
	assert_buf(&b, "");
	assert_int_equal(buf_adds(&b, "12345678"), 0);
	buf_release(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(buf_adds(&b, "again"), 0);  /* usable after release */
	assert_buf(&b, "again");
	buf_release(&b);
}

static void
test_cap_printf(void **state)
{
	struct buf b = BUF_INIT(10);

	assert_int_equal(buf_printf(&b, "%d-%s", 42, "ab"), 0);
	assert_int_equal(buf_printf(&b, "%s", "123456"), -LSN_ETOOBIG);
	assert_buf(&b, "42-ab");
	assert_int_equal(buf_printf(&b, "%05d", 7), 0);
	assert_buf(&b, "42-ab00007");
	assert_int_equal(buf_printf(&b, "%s", ""), 0);
	assert_int_equal(buf_printf(&b, "x"), -LSN_ETOOBIG);
	assert_buf(&b, "42-ab00007");
	buf_release(&b);
}

static void
test_cap_zero(void **state)
{
	struct buf b;

	buf_init(&b, 0);
	assert_int_equal(buf_addc(&b, 'a'), -LSN_ETOOBIG);
	assert_int_equal(buf_add(&b, "", 0), 0);
	assert_buf(&b, "");
	buf_release(&b);
}

static void
test_growth(void **state)
{
	struct buf b = BUF_INIT(100000);
	char *p;
	size_t i, len;

	for (i = 0; i < 100000; i++)
		assert_int_equal(buf_addc(&b, (char)('a' + i % 26)), 0);
	assert_int_equal(b.len, 100000);
	assert_int_equal(b.data[b.len], '\0');
	assert_int_equal(buf_addc(&b, 'z'), -LSN_ETOOBIG);
	for (i = 0; i < 100000; i++)
		assert_int_equal(b.data[i], 'a' + i % 26);
	p = buf_detach(&b, &len);
	assert_int_equal(len, 100000);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	free(p);
	p = buf_detach(&b, &len);    /* empty buffer: an empty string */
	assert_non_null(p);
	assert_int_equal(len, 0);
	assert_string_equal(p, "");
	free(p);
}

static void
check_json(const char *in, size_t n, const char *want)
{
	struct buf b = BUF_INIT(1024);

	assert_int_equal(buf_add_json_str(&b, in, n), 0);
	assert_buf(&b, want);
	buf_release(&b);
}

static void
test_json_escape(void **state)
{
	check_json("", 0, "\"\"");
	check_json("plain", 5, "\"plain\"");
	check_json("say \"hi\"", 8, "\"say \\\"hi\\\"\"");
	check_json("a\\b", 3, "\"a\\\\b\"");
	check_json("\n\r\t", 3, "\"\\n\\r\\t\"");
	check_json("\b\f", 2, "\"\\u0008\\u000c\"");
	check_json("\x01\x1f", 2, "\"\\u0001\\u001f\"");
	check_json("a\0b", 3, "\"a\\u0000b\"");
	check_json("/\x7f", 2, "\"/\x7f\"");
	/* UTF-8 passes through byte for byte. */
	check_json("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14,
	    "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
	/* Only n bytes count. */
	check_json("abc\"def", 3, "\"abc\"");
	check_json("x\"", 2, "\"x\\\"\"");
}

static void
test_json_appends(void **state)
{
	struct buf b = BUF_INIT(64);

	assert_int_equal(buf_adds(&b, "{\"k\":"), 0);
	assert_int_equal(buf_add_json_str(&b, "v\"", 2), 0);
	assert_int_equal(buf_addc(&b, '}'), 0);
	assert_buf(&b, "{\"k\":\"v\\\"\"}");
	buf_release(&b);
}

/* Growing past the cap leaves the buffer unchanged, whatever failed midway. */
static void
test_json_cap(void **state)
{
	static const char *const inputs[] = {
		"0123456789", "\"\"\"\"\"\"", "ab\ncd\nef", "\x01\x02", "abcdefg\"",
	};
	size_t i, max;

	for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		for (max = 3; max < 14; max++) {
			struct buf b = BUF_INIT(max);
			int r;

			assert_int_equal(buf_adds(&b, "ab"), 0);
			r = buf_add_json_str(&b, inputs[i], strlen(inputs[i]));
			if (r == 0) {
				assert_true(b.len <= max);
			} else {
				assert_int_equal(r, -LSN_ETOOBIG);
				assert_buf(&b, "ab");
			}
			buf_release(&b);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cap_add),
		cmocka_unit_test(test_cap_printf),
		cmocka_unit_test(test_cap_zero),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_json_escape),
		cmocka_unit_test(test_json_appends),
		cmocka_unit_test(test_json_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
