/*
 * The route matcher (http/route.c): segments handed over by name, 404
 * against 405 with the Allow list, percent-escapes, trailing slashes.
 * Bytes in, a match out: no server, no sockets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "http/route.h"
#include "util/err.h"

static void fn_a(void *ctx, const struct route_args *a) { }
static void fn_b(void *ctx, const struct route_args *a) { }

static const struct route tab[] = {
	{ "GET", "/{root}/collections/{id}/objects/", fn_a, ROUTE_READ, NULL },
	{ "POST", "/{root}/collections/{id}/objects/", fn_b, ROUTE_WRITE, NULL },
	{ "GET", "/{root}/collections/{id}/objects/{object}/versions/", fn_a, ROUTE_READ, NULL },
	{ "GET", "/peer/v1/hello", fn_b, ROUTE_PEER, "use GET for /peer/v1/hello" },
};

#define N (sizeof(tab) / sizeof(tab[0]))

static const struct route_bind root = { "root", "api" };

static int
find(const char *method, const char *path, struct route_match *m)
{
	static char buf[256];
	struct route_path p;

	strcpy(buf, path);
	assert_int_equal(route_split(buf, &p), 0);
	if (route_unescape(&p) < 0)
		return 400;
	return route_find(tab, N, method, &p, &root, 1, m);
}

static void
test_segments(void **state)
{
	struct route_match m;

	assert_int_equal(find("GET", "/api/collections/c1/objects/indicator--1/versions/", &m), 200);
	assert_ptr_equal(m.hit, &tab[2]);
	assert_ptr_equal(m.row, &tab[2]);
	assert_int_equal(m.args.n, 3);
	assert_string_equal(route_arg(&m.args, "root"), "api");
	assert_string_equal(route_arg(&m.args, "id"), "c1");
	assert_string_equal(route_arg(&m.args, "object"), "indicator--1");
	assert_null(route_arg(&m.args, "obj"));
	assert_null(route_arg(&m.args, "objects"));
	assert_string_equal(m.allow, "GET");
	/* a bound name must equal its value: another root is no path of this table */
	assert_int_equal(find("GET", "/other/collections/c1/objects/", &m), 404);
}

static void
test_method(void **state)
{
	struct route_match m;

	assert_int_equal(find("POST", "/api/collections/c1/objects/", &m), 200);
	assert_ptr_equal(m.hit, &tab[1]);
	assert_int_equal(find("PUT", "/api/collections/c1/objects/", &m), 405);
	assert_null(m.hit);
	assert_string_equal(m.allow, "GET, POST");
	/* the args of the path's last row, for what must load before a 405 */
	assert_ptr_equal(m.row, &tab[1]);
	assert_string_equal(route_arg(&m.args, "id"), "c1");
	assert_int_equal(find("POST", "/peer/v1/hello", &m), 405);
	assert_string_equal(m.row->hint, "use GET for /peer/v1/hello");
	assert_string_equal(m.allow, "GET");
}

static void
test_unknown(void **state)
{
	struct route_match m;
	struct route_path p;
	char deep[] = "/a/b/c/d/e/f/g/h/i/", twice[] = "/a//", rel[] = "a/";

	assert_int_equal(find("GET", "/api/collections/c1/", &m), 404);
	assert_int_equal(find("GET", "/api/collections/c1/objects/x/y/", &m), 404);
	assert_int_equal(find("GET", "/", &m), 404);
	assert_string_equal(m.allow, "");
	assert_int_equal(route_split(deep, &p), -LSN_ENOTFOUND);
	assert_int_equal(route_split(twice, &p), -LSN_ENOTFOUND);
	assert_int_equal(route_split(rel, &p), -LSN_ENOTFOUND);
}

static void
test_escapes(void **state)
{
	struct route_match m;

	assert_int_equal(find("GET", "/api/collections/c%31/objects/a%2Fb/versions/", &m), 200);
	assert_string_equal(route_arg(&m.args, "id"), "c1");
	assert_string_equal(route_arg(&m.args, "object"), "a/b");
	assert_int_equal(find("GET", "/%61pi/collections/c1/objects/", &m), 200);
	assert_int_equal(find("GET", "/api/collections/c%zz/objects/", &m), 400);
	assert_int_equal(find("GET", "/api/collections/c%00/objects/", &m), 400);
}

static void
test_slash(void **state)
{
	struct route_match m;
	char buf[64];

	/* a pattern with a trailing slash takes only paths with one, and the other way */
	assert_int_equal(find("GET", "/api/collections/c1/objects", &m), 404);
	assert_int_equal(find("GET", "/peer/v1/hello", &m), 200);
	assert_int_equal(find("GET", "/peer/v1/hello/", &m), 404);
	assert_int_equal(find("GET", "/peer/v1//hello", &m), 404);
	/* a table that takes both */
	assert_int_equal(route_lookup(tab, N, "GET", "/peer/v1/hello/", 1, buf, sizeof(buf), &m), 200);
	assert_int_equal(route_lookup(tab, N, "GET", "/peer/v1/hello/", 0, buf, sizeof(buf), &m), 404);
	/* a path longer than the buffer is no path */
	assert_int_equal(route_lookup(tab, N, "GET", "/peer/v1/hello", 0, buf, 8, &m), 404);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_segments),
		cmocka_unit_test(test_method),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_slash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
