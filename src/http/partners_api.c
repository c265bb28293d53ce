/*
 * GET /api/v1/partners: each partner the user may see (read on its inbox
 * collection, or admin) with its link's health as the store holds it, and
 * for each figure a colour and the rule that gave it, in words, so the
 * dashboard never shows a colour alone. Read-only.
 */
#include "http/taxii_int.h"
#include "hotline/hotline.h"
#include "util/err.h"
#include "util/ts.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define QUEUE_RED 1000
#define CERT_RED_DAYS 7
#define CERT_AMBER_DAYS 30
#define WITNESS_GREEN_S (15 * 60)
#define WITNESS_AMBER_S (24 * 3600)
#define US_PER_S INT64_C(1000000)
#define US_PER_DAY (INT64_C(86400) * US_PER_S)

#define verdict taxii_api_verdict

/* The link: did the last attempt to reach the partner succeed? */
static json_t *
link_verdict(const struct store_partner *p)
{
	if (p->compromised_us != 0)
		return verdict("red", "red: the partner signed two checkpoints that cannot both be "
		    "true (equivocation kept as proof)");
	if (p->last_error[0] != '\0' && p->last_error_us >= p->last_contact_us)
		return verdict("red", "red: the last delivery to the partner failed");
	if (p->last_contact_us == 0)
		return verdict("amber", "amber: never in contact yet");
	if (p->retries > 0)
		return verdict("amber", "amber: deliveries are being retried");
	return verdict("green", "green: the last contact succeeded");
}

static json_t *
queue_verdict(uint64_t queued)
{
	if (queued == 0)
		return verdict("green", "green: every envelope sent has its receipt");
	if (queued <= QUEUE_RED)
		return verdict("amber", "amber: envelopes wait for the partner's receipt");
	return verdict("red", "red: more than 1000 envelopes wait for a receipt");
}

static json_t *
agreement_verdict(const struct store_partner *p)
{
	if (!p->has_agreement || !p->has_peer_agreement)
		return verdict("amber", "amber: the partner has not yet said which agreement it holds");
	if (memcmp(p->agreement, p->peer_agreement, 32) != 0)
		return verdict("red", "red: the two sides hold different agreements");
	return verdict("green", "green: both sides hold the same agreement");
}

/* A certificate (the partner's, or this node's): red when expired or within a week. */
static json_t *
cert_verdict(int64_t not_after_us, int64_t now_us)
{
	if (not_after_us == 0)
		return verdict("amber", "amber: not seen yet (read at the first handshake)");
	if (not_after_us <= now_us)
		return verdict("red", "red: the certificate has expired");
	if (not_after_us - now_us < CERT_RED_DAYS * US_PER_DAY)
		return verdict("red", "red: it expires within 7 days");
	if (not_after_us - now_us < CERT_AMBER_DAYS * US_PER_DAY)
		return verdict("amber", "amber: it expires within 30 days");
	return verdict("green", "green: valid for more than 30 days");
}

/* The witness: how long ago the partner last cosigned our log. */
static json_t *
witness_verdict(int64_t cosigned_us, int64_t now_us)
{
	if (cosigned_us == 0)
		return verdict("amber", "amber: the partner has cosigned nothing yet");
	if (now_us - cosigned_us <= WITNESS_GREEN_S * US_PER_S)
		return verdict("green", "green: cosigned within 15 minutes");
	if (now_us - cosigned_us <= WITNESS_AMBER_S * US_PER_S)
		return verdict("amber", "amber: the last cosignature is more than 15 minutes old");
	return verdict("red", "red: nothing cosigned for more than 24 hours");
}

static int
cosig_time(void *arg, const struct store_cosig *cs)
{
	*(int64_t *)arg = cs->time_us;
	return 0;
}

/* When the partner cosigned our checkpoint of size `size` (0: never or unknown). */
static int64_t
cosigned_at(struct store *rd, int64_t partner, uint64_t size)
{
	int64_t t = 0;

	if (size == 0 || store_cosig_scan(rd, size, partner, cosig_time, &t, NULL) < 0)
		return 0;
	return t;
}

/* When the newest receipt in the unbroken run 1..out_acked was stored (0: none). */
static int64_t
last_receipt(struct store *rd, const struct store_partner *p)
{
	struct store_envelope e;

	if (p->out_acked == 0 || store_env_get(rd, p->rowid, STORE_OUT, p->out_acked, 0, &e,
	    NULL) < 0)
		return 0;
	return e.receipt_us;
}

static json_t *
partner_doc(struct ctx *c, const struct store_partner *p, int64_t now_us)
{
	struct hotline_pledge pl = { 0 };
	uint64_t cosigned = 0;
	uint64_t queued = p->out_seq - p->out_acked;
	int64_t cosigned_us;
	json_t *doc;

	if (store_cosig_latest(c->t->rd, p->rowid, &cosigned, NULL) < 0)
		cosigned = 0;
	cosigned_us = cosigned_at(c->t->rd, p->rowid, cosigned);
	if (hotline_pledge(c->t->rd, p->rowid, &pl, NULL) < 0)
		memset(&pl, 0, sizeof(pl));
	doc = json_pack("{s:s,s:b,s:o,s:o,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:o,s:o,s:o,s:o,s:o}",
	    "name", p->name, "active", p->active,
	    "last_contact", hotline_time_json(p->last_contact_us),
	    "last_error_at", hotline_time_json(p->last_error_us), "last_error", p->last_error,
	    "retries", (json_int_t)p->retries, "envelopes_out", (json_int_t)p->out_seq,
	    "receipted", (json_int_t)p->out_acked, "queued", (json_int_t)queued,
	    "envelopes_in", (json_int_t)p->in_seq, "cosigned_size", (json_int_t)cosigned,
	    "link", link_verdict(p), "queue", queue_verdict(queued),
	    "agreement", agreement_verdict(p),
	    "time_to_receipt", hotline_pledge_json(&pl, 0),
	    "time_to_ack", hotline_pledge_json(&pl, 1));
	if (doc != NULL && json_object_update_new(doc, json_pack("{s:o,s:o,s:o,s:o,s:o}",
	    "last_receipt", hotline_time_json(last_receipt(c->t->rd, p)),
	    "cosigned_at", hotline_time_json(cosigned_us),
	    "witness", witness_verdict(cosigned_us, now_us),
	    "cert_expires", hotline_time_json(p->cert_not_after_us),
	    "cert", cert_verdict(p->cert_not_after_us, now_us))) < 0) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}

void
partners_api(struct ctx *c)
{
	struct store_partner *ps = NULL;
	struct err err = ERR_INIT;
	int64_t now = clock_now_us();
	size_t n = 0, i;
	json_t *arr, *doc;
	int rd, wr;

	if (strcmp(c->req->method, "GET") != 0) {
		taxii_api_error(c, 405, "Method not allowed", "/api/v1/partners answers GET.");
		return;
	}
	if (strcmp(c->req->path, "/api/v1/partners") != 0 &&
	    strcmp(c->req->path, "/api/v1/partners/") != 0) {
		taxii_api_error(c, 404, "Not found", "There is no resource at this path.");
		return;
	}
	if (store_partner_list(c->t->rd, &ps, &n, &err) < 0) {
		taxii_api_error(c, taxii_store_status(err.code), "Store error", "%s", err.msg);
		return;
	}
	arr = json_array();
	for (i = 0; arr != NULL && i < n; i++) {
		taxii_rights(c, ps[i].inbox, &rd, &wr);
		if (rd && ps[i].active)
			json_array_append_new(arr, partner_doc(c, &ps[i], now));
	}
	free(ps);
	/* this node's own certificate, which its partners pin: the operator renews it in time */
	doc = json_pack("{s:o,s:{s:s,s:o,s:o}}", "partners", arr ? arr : json_array(), "node",
	    "name", c->t->cfg.node_name ? c->t->cfg.node_name : "",
	    "cert_expires", hotline_time_json(c->t->cfg.cert_not_after_us),
	    "cert", cert_verdict(c->t->cfg.cert_not_after_us, now));
	taxii_api_json(c, 200, doc);
}
