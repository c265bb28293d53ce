/*
 * GET /api/v1/ledger: the node's witnessed log at a glance: its size, the
 * latest checkpoint with its cosignatures, each visible partner's witness
 * (how far and when it cosigned, equivocations kept as proof), and the
 * result of the last `liaison log verify` (recorded by that command), each
 * verdict with its rule in words. Read-only; any signed-in user (the log
 * holds hashes, not intelligence), partners shown by the usual grant.
 */
#include "http/taxii_int.h"
#include "hotline/hotline.h"
#include "util/enc.h"
#include "util/err.h"
#include "util/ts.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define VERIFY_STALE_US (INT64_C(7) * 86400 * 1000000)

struct cosigs {
	const struct store_partner *ps;
	size_t n_ps;
	struct ctx *c;
	json_t *arr;
};

static const struct store_partner *
partner_of(const struct cosigs *cs, int64_t rowid)
{
	return taxii_partner_visible(cs->c, cs->ps, cs->n_ps, rowid);
}

static int
add_cosig(void *arg, const struct store_cosig *c)
{
	struct cosigs *cs = arg;
	const struct store_partner *p = partner_of(cs, c->partner);

	if (p == NULL)
		return 0;
	return json_array_append_new(cs->arr, json_pack("{s:s,s:o}", "partner", p->name, "time",
	    hotline_time_json(c->time_us))) < 0 ? -LSN_ENOMEM : 0;
}

#define verdict taxii_api_verdict

/* The last `log verify`, as that command recorded it, with its verdict. */
static json_t *
last_verify(struct store *rd, int64_t now_us, json_t **ret_verdict)
{
	char text[4096];
	json_t *doc;
	const char *t;
	struct ts ts;

	if (store_meta_get(rd, "ledger_last_verify", text, sizeof(text), NULL) < 0 ||
	    (doc = json_loads(text, JSON_REJECT_DUPLICATES, NULL)) == NULL) {
		*ret_verdict = verdict("amber", "amber: liaison log verify has not been run");
		return json_null();
	}
	if (!json_is_true(json_object_get(doc, "ok")))
		*ret_verdict = verdict("red", "red: the last liaison log verify found a problem");
	else if ((t = json_string_value(json_object_get(doc, "time"))) == NULL ||
	    ts_parse(t, strlen(t), &ts, NULL) < 0 || now_us - ts_to_us(&ts) > VERIFY_STALE_US)
		*ret_verdict = verdict("amber", "amber: the last liaison log verify passed more "
		    "than 7 days ago");
	else
		*ret_verdict = verdict("green", "green: the last liaison log verify passed, within "
		    "7 days");
	return doc;
}

static json_t *
witnesses(struct cosigs *cs, struct store *rd)
{
	json_t *arr = json_array();
	uint64_t size, eq;
	size_t i;

	for (i = 0; arr != NULL && i < cs->n_ps; i++) {
		const struct store_partner *p = partner_of(cs, cs->ps[i].rowid);
		if (p == NULL || !p->active)
			continue;
		if (store_cosig_latest(rd, p->rowid, &size, NULL) < 0)
			size = 0;
		if (store_equivocation_count(rd, p->rowid, &eq, NULL) < 0)
			eq = 0;
		json_array_append_new(arr, json_pack("{s:s,s:I,s:I,s:o,s:o}", "partner", p->name,
		    "cosigned_size", (json_int_t)size, "equivocations", (json_int_t)eq,
		    "compromised_at", hotline_time_json(p->compromised_us), "status", eq ?
		    verdict("red", "red: it signed two checkpoints that cannot both be true; both "
		    "are kept as proof") : verdict("green", "green: no equivocation seen")));
	}
	return arr;
}

static json_t *
checkpoint_doc(const struct store_checkpoint *ck)
{
	char root[48];

	b64_encode(ck->root, 32, root, 0);
	return json_pack("{s:I,s:s,s:o,s:s%}", "size", (json_int_t)ck->size, "root_hash", root,
	    "time", hotline_time_json(ck->time_us), "note", ck->note, ck->note_len);
}

void
ledger_api(struct ctx *c)
{
	struct store *rd = c->t->rd;
	struct store_partner *ps = NULL;
	struct store_checkpoint ck;
	struct err err = ERR_INIT;
	struct cosigs cs = { .c = c };
	json_t *doc, *ckd = json_null(), *vv = NULL, *lv;
	uint64_t size = 0;
	int r;

	if (strcmp(c->req->method, "GET") != 0) {
		taxii_api_error(c, 405, "Method not allowed", "/api/v1/ledger answers GET.");
		return;
	}
	if (store_log_size(rd, &size, &err) < 0 || store_partner_list(rd, &ps, &cs.n_ps, &err) < 0) {
		taxii_api_error(c, taxii_store_status(err.code), "Store error", "%s", err.msg);
		return;
	}
	cs.ps = ps;
	cs.arr = json_array();
	r = store_ckpt_latest(rd, 0, &ck, &err);
	if (r == 0) {
		ckd = checkpoint_doc(&ck);
		r = store_cosig_scan(rd, ck.size, 0, add_cosig, &cs, &err);
	} else if (r == -LSN_ENOTFOUND) {
		r = 0;
	}
	lv = last_verify(rd, clock_now_us(), &vv);
	doc = json_pack("{s:I,s:o,s:o,s:o,s:o,s:o}", "size", (json_int_t)size, "checkpoint", ckd,
	    "cosignatures", cs.arr ? cs.arr : json_array(), "witnesses", witnesses(&cs, rd),
	    "last_verify", lv, "verify", vv);
	free(ps);
	if (r < 0) {
		json_decref(doc);
		taxii_api_error(c, taxii_store_status(err.code), "Store error", "%s", err.msg);
		return;
	}
	taxii_api_json(c, 200, doc);
}
