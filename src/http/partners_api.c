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

#define API_MEDIA "application/json"
#define QUEUE_RED 1000

static json_t *
verdict(const char *colour, const char *rule)
{
	return json_pack("{s:s,s:s}", "status", colour, "rule", rule);
}

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

static json_t *
partner_doc(struct ctx *c, const struct store_partner *p)
{
	struct hotline_pledge pl = { 0 };
	uint64_t cosigned = 0;
	uint64_t queued = p->out_seq - p->out_acked;

	if (store_cosig_latest(c->t->rd, p->rowid, &cosigned, NULL) < 0)
		cosigned = 0;
	if (hotline_pledge(c->t->rd, p->rowid, &pl, NULL) < 0)
		memset(&pl, 0, sizeof(pl));
	return json_pack("{s:s,s:b,s:o,s:o,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:o,s:o,s:o,s:o,s:o}",
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
}

void
partners_api(struct ctx *c)
{
	struct store_partner *ps = NULL;
	struct err err = ERR_INIT;
	size_t n = 0, i;
	json_t *arr, *doc;
	char *s;
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
			json_array_append_new(arr, partner_doc(c, &ps[i]));
	}
	free(ps);
	doc = json_pack("{s:o}", "partners", arr ? arr : json_array());
	s = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	if (s == NULL) {
		taxii_api_error(c, 503, "Out of memory", "The server is out of memory; try again.");
		return;
	}
	http_reply_bytes(c->req, 200, API_MEDIA, s, strlen(s));
	free(s);
}
