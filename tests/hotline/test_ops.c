/*
 * The case operations of every front door (src/hotline/ops.h) on a real
 * SQLite store: the partner and its terms are looked up, refusals say why
 * and store nothing, a failing terms source is a failure, not a refusal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hotline/ops.h"
#include "policy/agreement.h"
#include "store/store.h"
#include "util/err.h"

#define T0 INT64_C(1790000000123456)

static const char details[] = "{\"summary\":\"DDoS on the tax portal since 06:10 UTC\"}";

struct fx {
	char dir[64];
	struct store *s;
	struct store_partner y;
	int terms_calls;
	int terms_fail;
};

static int
terms_get(void *arg, const char *partner, struct agr_hotline *ret, struct err *err)
{
	struct fx *f = arg;
	struct agreement g;

	f->terms_calls++;
	if (f->terms_fail)
		return err_set(err, LSN_EIO, "agreements/%s.conf cannot be read", partner);
	agreement_default(&g, "x", partner);
	*ret = g.hotline;
	return 0;
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct store_collection c = { 0 };
	struct err err = ERR_INIT;
	char path[128];

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/lsn-ops-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(path, sizeof(path), "%s/store.db", f->dir);
	assert_int_equal(store_open(path, 1, &f->s, &err), 0);
	snprintf(c.id, sizeof(c.id), "22222222-0000-4000-8000-000000000001");
	snprintf(c.title, sizeof(c.title), "from-y");
	assert_int_equal(store_coll_add(f->s, &c, &err), 0);
	snprintf(f->y.name, sizeof(f->y.name), "y");
	memset(f->y.key, 0x22, 32);
	memset(f->y.key_id, 0xa2, 32);
	memset(f->y.spki, 0x62, 32);
	snprintf(f->y.endpoint, sizeof(f->y.endpoint), "https://y.example:8443");
	f->y.inbox = c.rowid;
	assert_int_equal(store_partner_add(f->s, &f->y, "{}", &err), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	store_close(f->s);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static int
count_case(void *arg, const struct store_case *c)
{
	(void)c;
	(*(int *)arg)++;
	return 0;
}

static int
cases(struct fx *f)
{
	struct store_case_query q = { 0 };
	struct err err = ERR_INIT;
	int n = 0;

	assert_int_equal(store_case_scan(f->s, &q, count_case, &n, &err), 0);
	return n;
}

static int
open_case(struct fx *f, const char *partner, struct store_case *c, struct store_partner *p,
    struct err *err)
{
	struct hotline_terms_src src = { terms_get, f };
	struct hotline_open_req req = {
		.partner = partner, .kind = CASE_NOTIFICATION, .tlp = STIX_TLP_AMBER,
		.details = details, .details_len = strlen(details),
	};

	return hotline_op_open(f->s, &req, &src, T0, c, p, err);
}

static void
test_open_then_steps(void **state)
{
	struct fx *f = *state;
	struct hotline_terms_src src = { terms_get, f };
	struct err err = ERR_INIT;
	struct store_case c, after;
	struct store_partner p;
	int r;

	assert_int_equal(open_case(f, "y", &c, &p, &err), 0);
	assert_string_equal(p.name, "y");
	assert_int_equal(c.partner, f->y.rowid);
	assert_int_equal(c.state, CASE_OPENED);
	assert_int_equal(c.opened_us, T0);
	assert_true(c.ack_by > T0);          /* the terms were applied */
	assert_int_equal(f->terms_calls, 1);
	assert_int_equal(cases(f), 1);

	/* the opener cannot acknowledge its own case: refused, with the machine's sentence */
	r = hotline_op_step(f->s, c.id, STEP_ACK, NULL, &src, T0 + 1000, &after, &p, &err);
	assert_int_equal(r, -LSN_EINVAL);
	assert_true(hotline_op_refused(r));
	assert_non_null(strstr(err.msg, "ack"));

	/* a prefix of the uuid names the case; the opener may withdraw it */
	assert_int_equal(hotline_op_step(f->s, c.id + strlen("incident--"), STEP_WITHDRAW,
	    "sent to the wrong partner", &src, T0 + 2000, &after, &p, &err), 0);
	assert_string_equal(after.id, c.id);
	assert_int_equal(after.state, CASE_WITHDRAWN);
	assert_string_equal(p.name, "y");

	r = hotline_op_step(f->s, "incident--00000000-0000-4000-8000-000000000000", STEP_CLOSE,
	    NULL, &src, T0 + 3000, &after, &p, &err);
	assert_int_equal(r, -LSN_ENOTFOUND);
	assert_true(hotline_op_refused(r));
}

static void
test_open_refusals(void **state)
{
	struct fx *f = *state;
	struct err err = ERR_INIT;
	struct store_case c;
	struct store_partner p;
	int r;

	r = open_case(f, "nobody", &c, &p, &err);
	assert_int_equal(r, -LSN_ENOTFOUND);
	assert_true(hotline_op_refused(r));
	assert_int_equal(f->terms_calls, 0);

	assert_int_equal(store_partner_set_active(f->s, f->y.rowid, 0, &err), 0);
	r = open_case(f, "y", &c, &p, &err);
	assert_int_equal(r, -LSN_EINVAL);
	assert_string_equal(err.msg, "y was removed: cases are opened with active partners");
	assert_int_equal(cases(f), 0);
}

static void
test_terms_failure_is_not_a_refusal(void **state)
{
	struct fx *f = *state;
	struct err err = ERR_INIT;
	struct store_case c;
	struct store_partner p;
	int r;

	f->terms_fail = 1;
	r = open_case(f, "y", &c, &p, &err);
	assert_int_equal(r, -LSN_EIO);
	assert_false(hotline_op_refused(r));
	assert_string_equal(err.msg, "agreements/y.conf cannot be read");
	assert_int_equal(cases(f), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_then_steps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_terms_failure_is_not_a_refusal, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
