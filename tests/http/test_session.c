/* The dashboard's sessions, CSRF tokens and sign-in limiter (src/http/session.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "http/session.h"
#include "util/err.h"

#define MIN (60LL * 1000000)

static const struct session_limits lim = {
	.idle_us = 30 * MIN, .absolute_us = 12 * 60 * MIN, .max = 4,
	.fail_user = 3, .fail_addr = 5, .fail_window_us = 15 * MIN,
};

static void
test_create_find_end(void **state)
{
	struct session_table *t;
	struct session *s;
	char tok[SESSION_TOKEN_LEN + 1], csrf[SESSION_TOKEN_LEN + 1];
	char tok2[SESSION_TOKEN_LEN + 1], csrf2[SESSION_TOKEN_LEN + 1];
	char keep;

	(void)state;
	assert_int_equal(session_table_new(&lim, &t), 0);
	assert_int_equal(session_create(t, 7, "duty", 1000, tok, csrf), 0);
	assert_int_equal(strlen(tok), SESSION_TOKEN_LEN);
	assert_int_equal(strlen(csrf), SESSION_TOKEN_LEN);
	assert_string_not_equal(tok, csrf);
	assert_int_equal(session_create(t, 8, "analyst", 1000, tok2, csrf2), 0);
	assert_string_not_equal(tok, tok2);
	assert_int_equal(session_count(t), 2);

	s = session_find(t, tok, 2000);
	assert_non_null(s);
	assert_int_equal(s->uid, 7);
	assert_string_equal(s->user, "duty");
	assert_true(session_csrf_ok(s, csrf));
	assert_false(session_csrf_ok(s, csrf2));
	assert_false(session_csrf_ok(s, NULL));
	assert_false(session_csrf_ok(s, ""));
	/* the other session's token is not this one's */
	assert_int_equal(session_find(t, tok2, 2000)->uid, 8);
	/* a wrong, short or altered token finds nothing */
	assert_null(session_find(t, "abc", 2000));
	keep = tok[0];
	tok[0] = keep == 'a' ? 'b' : 'a';
	assert_null(session_find(t, tok, 2000));
	tok[0] = keep;

	assert_int_equal(session_end(t, tok), 0);
	assert_null(session_find(t, tok, 2000));
	assert_int_equal(session_end(t, tok), -LSN_ENOTFOUND);
	assert_int_equal(session_count(t), 1);
	assert_int_equal(session_end_user(t, 8), 1);
	assert_null(session_find(t, tok2, 2000));
	session_table_free(t);
}

static void
test_expiry(void **state)
{
	struct session_table *t;
	char tok[SESSION_TOKEN_LEN + 1], csrf[SESSION_TOKEN_LEN + 1];
	int64_t now = 0;
	int i;

	(void)state;
	assert_int_equal(session_table_new(&lim, &t), 0);
	/* idle: 30 minutes without a request ends it */
	assert_int_equal(session_create(t, 1, "a", now, tok, csrf), 0);
	assert_non_null(session_find(t, tok, now + 29 * MIN));
	assert_null(session_find(t, tok, now + 29 * MIN + 30 * MIN + 1));
	assert_int_equal(session_count(t), 0);

	/* absolute: used every 20 minutes, it still ends 12 hours after sign-in */
	assert_int_equal(session_create(t, 1, "a", now, tok, csrf), 0);
	for (i = 1; i * 20 * MIN <= 12 * 60 * MIN; i++)
		assert_non_null(session_find(t, tok, now + i * 20 * MIN));
	assert_null(session_find(t, tok, now + 12 * 60 * MIN + 1));
	session_table_free(t);
}

static void
test_full_table(void **state)
{
	struct session_table *t;
	char tok[5][SESSION_TOKEN_LEN + 1], csrf[SESSION_TOKEN_LEN + 1];
	int i;

	(void)state;
	assert_int_equal(session_table_new(&lim, &t), 0);
	for (i = 0; i < 4; i++)
		assert_int_equal(session_create(t, i, "u", 1000 + i, tok[i], csrf), 0);
	/* session 0 is used last, so session 1 is the least recently used */
	assert_non_null(session_find(t, tok[0], 2000));
	assert_int_equal(session_create(t, 4, "u", 3000, tok[4], csrf), 0);
	assert_int_equal(session_count(t), 4);
	assert_null(session_find(t, tok[1], 3001));
	assert_non_null(session_find(t, tok[0], 3001));
	assert_non_null(session_find(t, tok[4], 3001));
	session_table_free(t);
}

static void
test_limiter(void **state)
{
	struct session_table *t;
	int retry = -1, i;

	(void)state;
	assert_int_equal(session_table_new(&lim, &t), 0);
	/* three failures for a name: the fourth try is refused, from any address */
	for (i = 0; i < 3; i++) {
		assert_false(session_limited(t, "duty", "10.0.0.1", 1000, &retry));
		session_failed(t, "duty", "10.0.0.1", 1000);
	}
	assert_true(session_limited(t, "duty", "10.0.0.2", 1000, &retry));
	assert_int_equal(retry, 15 * 60);
	assert_false(session_limited(t, "other", "10.0.0.2", 1000, &retry));
	/* the window passes */
	assert_false(session_limited(t, "duty", "10.0.0.2", 1000 + 15 * MIN + 1, &retry));

	/* five failures from one address, over several names */
	for (i = 0; i < 5; i++)
		session_failed(t, i % 2 ? "x" : "y", "10.9.9.9", 2 * MIN);
	assert_true(session_limited(t, "z", "10.9.9.9", 3 * MIN, &retry));
	assert_int_equal(retry, 14 * 60);
	assert_false(session_limited(t, "z", "10.9.9.8", 3 * MIN, &retry));

	/* a success clears the name's failures, not the address's */
	session_failed(t, "w", "10.1.1.1", 0);
	session_failed(t, "w", "10.1.1.1", 0);
	session_succeeded(t, "w");
	session_failed(t, "w", "10.1.1.2", 0);
	session_failed(t, "w", "10.1.1.2", 0);
	assert_false(session_limited(t, "w", "10.1.1.3", 0, &retry));
	session_table_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_find_end),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_full_table),
		cmocka_unit_test(test_limiter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
