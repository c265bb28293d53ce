/*
 * GET /api/v1/border[?limit=N]: what the policy kept home (egress) or
 * refused (ingress), for the partners the user may see (read on their
 * inbox, or admin): counts per partner, direction and rule for the last
 * 24 hours and 7 days, and the latest decisions, each with the rule in
 * words and the reason the policy gave. Read-only.
 */
#include "http/taxii_int.h"
#include "hotline/hotline.h"
#include "policy/policy.h"
#include "util/err.h"
#include "util/ts.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define BORDER_DEFAULT 50
#define BORDER_MAX 500
#define HOUR_US (INT64_C(3600) * 1000000)

struct border {
	struct ctx *c;
	struct store_partner *ps;
	size_t n_ps;
	json_t *arr;
	size_t left;                  /* decisions still to list */
};

/* The partner's name if the user may see it, else NULL. */
static const char *
visible(const struct border *b, int64_t partner)
{
	const struct store_partner *p = taxii_partner_visible(b->c, b->ps, b->n_ps, partner);

	return p ? p->name : NULL;
}

static const char *
direction(int dir)
{
	return dir == STORE_OUT ? "egress" : "ingress";
}

static int
add_count(void *arg, const struct store_policy_count *pc)
{
	struct border *b = arg;
	const char *name = visible(b, pc->partner);

	if (name == NULL)
		return 0;
	return json_array_append_new(b->arr, json_pack("{s:s,s:s,s:s,s:s,s:I,s:o}", "partner", name,
	    "direction", direction(pc->dir), "rule", pc->rule, "explained",
	    policy_rule_explain(pc->rule), "count", (json_int_t)pc->n, "last",
	    hotline_time_json(pc->last_us))) < 0 ? -LSN_ENOMEM : 0;
}

static int
add_decision(void *arg, const struct store_policy_entry *e)
{
	struct border *b = arg;
	const char *name = visible(b, e->partner);

	if (name == NULL)
		return 0;
	if (b->left == 0)
		return -LSN_ETOOBIG;          /* enough: stop reading */
	b->left--;
	return json_array_append_new(b->arr, json_pack("{s:o,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "time",
	    hotline_time_json(e->time_us), "partner", name, "direction", direction(e->dir),
	    "object", e->object, "version", e->version ? e->version : "", "rule", e->rule,
	    "explained", policy_rule_explain(e->rule), "reason", e->reason)) < 0 ?
	    -LSN_ENOMEM : 0;
}

/* limit=N (1..500); 0 with why filled when the query is wrong. */
static size_t
parse_limit(const char *q, char *why, size_t cap)
{
	char *end;
	unsigned long long n;

	if (q == NULL || *q == '\0')
		return BORDER_DEFAULT;
	if (strncmp(q, "limit=", 6) != 0 || q[6] < '0' || q[6] > '9' ||
	    (n = strtoull(q + 6, &end, 10)) == 0 || n > BORDER_MAX || *end != '\0') {
		snprintf(why, cap, "The only parameter is limit, a whole number from 1 to %d, not "
		    "'%.60s'.", BORDER_MAX, q);
		return 0;
	}
	return (size_t)n;
}

/* The counts since since_us as an array; NULL with err on a store failure. */
static json_t *
window(struct border *b, int64_t since_us, struct err *err)
{
	b->arr = json_array();
	if (b->arr != NULL && store_policy_log_counts(b->c->t->rd, since_us, add_count, b, err) < 0) {
		json_decref(b->arr);
		return NULL;
	}
	return b->arr;
}

void
border_api(struct ctx *c)
{
	struct border b = { .c = c };
	struct err err = ERR_INIT;
	int64_t now = clock_now_us();
	json_t *day, *week, *list;
	char why[160];
	int r;

	if (strcmp(c->req->method, "GET") != 0) {
		taxii_api_error(c, 405, "Method not allowed", "/api/v1/border answers GET.");
		return;
	}
	if ((b.left = parse_limit(c->req->query, why, sizeof(why))) == 0) {
		taxii_api_error(c, 400, "Bad query", "%s", why);
		return;
	}
	if (store_partner_list(c->t->rd, &b.ps, &b.n_ps, &err) < 0) {
		taxii_api_error(c, taxii_store_status(err.code), "Store error", "%s", err.msg);
		return;
	}
	day = window(&b, now - 24 * HOUR_US, &err);
	week = day ? window(&b, now - 7 * 24 * HOUR_US, &err) : NULL;
	list = b.arr = week ? json_array() : NULL;
	r = list ? store_policy_log_scan(c->t->rd, 0, 0, add_decision, &b, &err) : -LSN_ENOMEM;
	free(b.ps);
	if (day == NULL || week == NULL || list == NULL || (r < 0 && r != -LSN_ETOOBIG)) {
		json_decref(day);
		json_decref(week);
		json_decref(list);
		taxii_api_error(c, err.code ? taxii_store_status(err.code) : 503, "Store error",
		    "The policy log could not be read: %s", err.msg[0] ? err.msg : "out of memory");
		return;
	}
	taxii_api_json(c, 200, json_pack("{s:{s:o,s:o},s:o}", "windows", "24h", day, "7d", week,
	    "decisions", list));
}
