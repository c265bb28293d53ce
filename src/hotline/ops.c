/*
 * The case operations of ops.h: the lookups both doors made before they
 * could open a case or take a step, written once. Runs inside the caller's
 * transaction and never commits it.
 */
#include "hotline/ops.h"
#include "util/err.h"

#include <string.h>

static int
partner_terms(const struct hotline_terms_src *terms, const struct store_partner *p,
    struct agr_hotline *ret, struct err *err)
{
	return terms->get(terms->arg, p->name, ret, err);
}

int
hotline_op_open(struct store *s, const struct hotline_open_req *req,
    const struct hotline_terms_src *terms, int64_t now_us, struct store_case *ret,
    struct store_partner *ret_p, struct err *err)
{
	struct store_partner p;
	struct agr_hotline t;
	struct hotline_open o;
	int r;

	if ((r = store_partner_find(s, req->partner, &p, err)) < 0 ||
	    (r = partner_terms(terms, &p, &t, err)) < 0)
		return r;
	if (!p.active)
		return err_set(err, LSN_EINVAL, "%s was removed: cases are opened with active "
		    "partners", p.name);
	memset(&o, 0, sizeof(o));
	o.p = &p;
	o.kind = req->kind;
	o.details = req->details ? req->details : "";
	o.details_len = req->details_len;
	o.tlp = req->tlp;
	o.attach = req->attach_len ? req->attach : NULL;
	o.attach_len = req->attach_len;
	o.terms = &t;
	o.now_us = now_us;
	if ((r = hotline_open(s, &o, ret, err)) == 0 && ret_p != NULL)
		*ret_p = p;
	return r;
}

int
hotline_op_step(struct store *s, const char *key, enum case_step step, const char *text,
    const struct hotline_terms_src *terms, int64_t now_us, struct store_case *ret,
    struct store_partner *ret_p, struct err *err)
{
	struct store_case c;
	struct store_partner p;
	struct agr_hotline t;
	int r;

	if ((r = store_case_get(s, key, &c, err)) < 0 ||
	    (r = store_partner_get(s, c.partner, &p, err)) < 0 ||
	    (r = partner_terms(terms, &p, &t, err)) < 0)
		return r;
	if ((r = hotline_take(s, c.id, step, text, &t, now_us, ret, err)) == 0 && ret_p != NULL)
		*ret_p = p;
	return r;
}

int
hotline_op_refused(int r)
{
	return r == -LSN_EINVAL || r == -LSN_ETOOBIG || r == -LSN_ENOTFOUND;
}
