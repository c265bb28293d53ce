/*
 * The case operations behind every front door (ops.h): validation once,
 * then hotline_open or hotline_take inside a savepoint. Never prints,
 * parses requests or loads agreements.
 */
#include "hotline/ops.h"

#include "util/err.h"

#include <stdio.h>
#include <string.h>

int
hotline_op_find(struct store *s, const char *key, struct store_case *ret_case,
    struct store_partner *ret_partner, struct err *err)
{
	int r;

	if ((r = store_case_get(s, key, ret_case, err)) < 0)
		return r;
	return store_partner_get(s, ret_case->partner, ret_partner, err);
}

/*
 * Ends the savepoint of an operation that returned r: kept on success,
 * rolled back otherwise. 1 for a refusal (one of the codes an answer
 * gives), else r, or -LSN_EIO when keeping failed.
 */
static int
op_end(struct store *s, int r, const int *refusals, struct err *err)
{
	if (store_savepoint_release(s, r == 0, r == 0 ? err : NULL) < 0 && r == 0)
		return -LSN_EIO;
	for (; r < 0 && *refusals != 0; refusals++)
		if (r == -*refusals)
			return 1;
	return r;
}

int
hotline_op_open(struct store *s, const struct store_partner *p,
    const struct hotline_open_req *rq, const struct agr_hotline *terms, int64_t now_us,
    struct store_case *ret, struct err *err)
{
	static const int refusals[] = { LSN_EINVAL, LSN_ETOOBIG, 0 };
	struct hotline_open o;
	int r;

	if (!p->active)
		return err_set(err, LSN_EINVAL, "%s was removed: cases are opened with active "
		    "partners", p->name), 1;
	memset(&o, 0, sizeof(o));
	o.p = p;
	o.kind = rq->kind;
	o.details = rq->details ? rq->details : "";
	o.details_len = rq->details_len;
	o.tlp = rq->tlp;
	o.attach = rq->attach;
	o.attach_len = rq->attach_len;
	o.terms = terms;
	o.now_us = now_us;
	if ((r = store_savepoint(s, err)) < 0)
		return r;
	return op_end(s, hotline_open(s, &o, ret, err), refusals, err);
}

int
hotline_op_step(struct store *s, const struct hotline_step_req *rq,
    const struct agr_hotline *terms, int64_t now_us, struct store_case *ret, struct err *err)
{
	static const int refusals[] = { LSN_EINVAL, LSN_ETOOBIG, LSN_ENOTFOUND, 0 };
	int r;

	if ((r = store_savepoint(s, err)) < 0)
		return r;
	return op_end(s, hotline_take(s, rq->key, rq->step, rq->text, terms, now_us, ret, err),
	    refusals, err);
}

int
hotline_partner_memo_get(struct store *s, struct hotline_partner_memo *m, int64_t partner,
    struct err *err)
{
	int r;

	if (m->ok && m->p.rowid == partner)
		return 0;
	m->ok = 0;
	if ((r = store_partner_get(s, partner, &m->p, err)) < 0)
		return r;
	m->ok = 1;
	return 0;
}
