/*
 * A partner's endpoints as the link uses them: the row's list split in
 * order (store_endpoints_split), which outcomes send a request on to the
 * next endpoint (ex_client_failover), and the error that names every
 * endpoint tried (ex_client_tried). Pure functions: no network, no store.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "exchange/exchange_int.h"
#include "store/store.h"

static void
test_split(void **state)
{
	const char *ep[STORE_ENDPOINTS_MAX];
	char buf[STORE_ENDPOINT_MAX], many[STORE_ENDPOINT_MAX] = "";
	size_t i;

	assert_int_equal(store_endpoints_split("https://a:1", buf, sizeof(buf), ep), 1);
	assert_string_equal(ep[0], "https://a:1");
	assert_int_equal(store_endpoints_split("https://a:1 https://[::1]:2", buf, sizeof(buf), ep), 2);
	assert_string_equal(ep[0], "https://a:1");
	assert_string_equal(ep[1], "https://[::1]:2");
	assert_int_equal(store_endpoints_split("", buf, sizeof(buf), ep), 0);
	/* more than a partner may have: the first STORE_ENDPOINTS_MAX, in order */
	for (i = 0; i < STORE_ENDPOINTS_MAX + 2; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), "%shttps://h%zu:1",
		    i ? " " : "", i);
	assert_int_equal(store_endpoints_split(many, buf, sizeof(buf), ep), STORE_ENDPOINTS_MAX);
	assert_string_equal(ep[STORE_ENDPOINTS_MAX - 1], "https://h7:1");
}

static void
test_failover(void **state)
{
	/* nothing answered, or a standby: the next endpoint may */
	assert_true(ex_client_failover(CURLE_COULDNT_CONNECT, 0));
	assert_true(ex_client_failover(CURLE_OPERATION_TIMEDOUT, 0));
	assert_true(ex_client_failover(CURLE_SSL_CONNECT_ERROR, 0));
	assert_true(ex_client_failover(CURLE_SSL_PINNEDPUBKEYNOTMATCH, 0));
	assert_true(ex_client_failover(CURLE_GOT_NOTHING, 0));
	assert_true(ex_client_failover(CURLE_OK, 503));
	/* an answer, or a failure that would be the same anywhere */
	assert_false(ex_client_failover(CURLE_OK, 200));
	assert_false(ex_client_failover(CURLE_OK, 413));
	assert_false(ex_client_failover(CURLE_OK, 500));
	assert_false(ex_client_failover(CURLE_ABORTED_BY_CALLBACK, 0));
	assert_false(ex_client_failover(CURLE_WRITE_ERROR, 0));
}

static void
test_tried(void **state)
{
	char failed[48] = "";

	ex_client_tried(failed, sizeof(failed), "https://a:1: refused");
	assert_string_equal(failed, "https://a:1: refused");
	ex_client_tried(failed, sizeof(failed), "https://b:2 answered HTTP 503");
	assert_string_equal(failed, "https://a:1: refused; https://b:2 answered HTTP");
	ex_client_tried(failed, sizeof(failed), "more");   /* full: stays as it is */
	assert_int_equal(strlen(failed), sizeof(failed) - 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_failover),
		cmocka_unit_test(test_tried),
	};

	return cmocka_run_group_tests_name("exchange/endpoints", tests, NULL, NULL);
}
