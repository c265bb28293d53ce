/*
 * Shared only by the files of src/http/ that serve local users (taxii*.c,
 * auth.c, taxii_error.c, metrics.c, cases_api.c): the API's state and the
 * per-request context. Never included outside src/http/.
 */
#ifndef LSN_HTTP_TAXII_INT_H
#define LSN_HTTP_TAXII_INT_H

#include "exchange/exchange.h"
#include "http/media.h"
#include "http/query.h"
#include "http/route.h"
#include "http/taxii.h"
#include "store/readers.h"
#include "store/store.h"
#include "store/writer.h"

#include <event2/buffer.h>
#include <stdarg.h>

#define AUTH_CACHE_SIZE 256

/*
 * Credentials already checked, by the SHA-256 of the Authorization header.
 * An entry is reused as it is while the store's data_version is unchanged
 * (no user, grant or token can have changed); after any commit the user
 * and grants are read again, and a Basic password is re-verified only if
 * its stored hash changed.
 */
struct auth_entry {
	uint8_t key[32];
	int used;
	int64_t data_version;
	struct store_user user;
	char pwhash[CX_PWHASH_MAX];   /* the hash the password was verified against */
	struct store_grant *grants;
	size_t n_grants;
};

struct taxii_metrics {
	unsigned long long requests, errors_4xx, errors_5xx;
	unsigned long long objects_added, objects_duplicate, objects_rejected, objects_served;
	unsigned long long auth_failures;
};

struct taxii {
	struct taxii_config cfg;
	char *root_path;              /* "/<root>/" */
	struct store *rd;
	struct writer *w;
	struct http_server *srv;
	struct auth_entry auth[AUTH_CACHE_SIZE];
	int64_t data_version;         /* of the current request's snapshot */
	struct store_collection *colls; /* cached while data_version holds */
	size_t n_colls;
	int64_t colls_version;
	int colls_valid;
	size_t inflight;
	struct taxii_metrics m;
	struct ui *ui;                /* cfg.ui */
	struct live *live;            /* /api/v1/events, or NULL without cfg.base */
};

/* Who is asking, and what they may do in the collection at hand. */
struct principal {
	struct store_user user;
	struct store_grant *grants;
	size_t n_grants;
};

struct ctx {
	struct taxii *t;
	struct http_request *req;
	struct principal who;
	struct taxii_query q;
	struct store_collection coll;
	int can_read, can_write;
	int allow_session;            /* the dashboard's cookie may stand for Authorization */
	struct session *session;      /* it did: the request's session (valid during it) */
};

/*
 * The status of a store failure (err.code): 503 when the database is away
 * or busy and may be back (a reconnect, a failover; the answer carries
 * Retry-After), or refused the write because this daemon is a standby;
 * else 500.
 */
static inline int
taxii_store_status(int code)
{
	return code == LSN_EIO || code == LSN_EBUSY || code == LSN_EDENIED ? 503 : 500;
}

/* ---- taxii_error.c: answers ---- */

/* Answers with a TAXII error resource (§3.6.1). */
void taxii_error(struct ctx *c, int status, const char *title, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The same error object under another media type (the hotline API's application/json). */
void taxii_error_v(struct ctx *c, const char *media, int status, const char *title,
    const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));
/* The same error object as the JSON of /api/v1/ (application/json). */
/*
 * The dashboard's JSON API (taxii_error.c): taxii_api_json answers doc
 * (stolen; NULL answers 503) as application/json; taxii_api_verdict is a
 * colour with the rule that gave it ({"status","rule"}); taxii_partner_visible
 * is the partner of that rowid in ps if the user may read its inbox, else NULL.
 */
struct json_t;
void taxii_api_json(struct ctx *c, int status, struct json_t *doc);
struct json_t *taxii_api_verdict(const char *colour, const char *rule);
const struct store_partner *taxii_partner_visible(const struct ctx *c,
    const struct store_partner *ps, size_t n, int64_t rowid);
void taxii_api_error(struct ctx *c, int status, const char *title, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Answers 200 (or status) with a TAXII JSON body. */
void taxii_reply(struct ctx *c, int status, struct evbuffer *body);
/* Appends a JSON string literal to an evbuffer. */
void evb_json_str(struct evbuffer *b, const char *s);

/* ---- auth.c: who asks, and what they may do ---- */

/* Fills c->who from the Authorization header; -LSN_EAUTH if it names no user. */
int taxii_authenticate(struct ctx *c);
/* The caller's rights on a collection: admin, or the user's grant. */
void taxii_rights(const struct ctx *c, int64_t coll, int *ret_read, int *ret_write);
/* 1 if c has the ROUTE_ADMIN, ROUTE_READ and ROUTE_WRITE bits of rights (on c->coll). */
int taxii_has_rights(const struct ctx *c, unsigned rights);

/* ---- partners_api.c: GET /api/v1/partners ---- */

void partners_api(struct ctx *c);
/* GET /api/v1/border (border_api.c): the policy's refusals, counted and listed. */
void border_api(struct ctx *c);
/* GET /api/v1/ledger (ledger_api.c): the log, its checkpoint, witnesses, last verify. */
void ledger_api(struct ctx *c);
/* GET /api/v1/collections[/{id}/objects/{stix id}] (collections_api.c). */
void collections_api(struct ctx *c);

/* ---- ui.c: the dashboard's files and sessions ---- */

/* /ui and everything under it. */
void ui_handle(struct ctx *c);
/* Fills c->who from the session cookie (inside a read); -LSN_EAUTH without a live one. */
int ui_authenticate(struct ctx *c);
/* A request of a session that changes state must carry its CSRF token; -LSN_EDENIED. */
int ui_csrf_check(struct ctx *c);
void ui_metrics(const struct ui *u, struct evbuffer *b);

/* ---- live.c: GET /api/v1/events, the dashboard's live stream ---- */

struct live;
int live_new(struct event_base *base, struct store *rd, struct live **ret);
void live_free(struct live *l);
/* The request is authenticated, in a read snapshot. */
void live_api(struct ctx *c);
void live_metrics(const struct live *l, struct evbuffer *b);

/* ---- taxii_root.c: discovery, API root, collections ---- */

void taxii_get_discovery(struct ctx *c);
void taxii_get_api_root(struct ctx *c);
void taxii_get_collections(struct ctx *c);
/* c->coll, loaded by taxii_load_collection. */
void taxii_get_collection(struct ctx *c);
/* Finds the collection into c->coll with the caller's rights; answers 404 if invisible. */
int taxii_load_collection(struct ctx *c, const char *id);

/* ---- taxii_objects.c, taxii_add.c ---- */

void taxii_get_objects(struct ctx *c, const char *object_id, int manifest);
void taxii_get_versions(struct ctx *c, const char *object_id);
void taxii_delete_object(struct ctx *c, const char *object_id);
void taxii_add_objects(struct ctx *c);
void taxii_get_status(struct ctx *c, const char *status_id);

/* `next` tokens: a keyset position bound to the collection, with a MAC. */
void taxii_next_encode(const struct taxii *t, int64_t coll, int64_t after_us, char out[64]);
int taxii_next_decode(const struct taxii *t, int64_t coll, const char *tok, int64_t *ret_after_us);

/* ---- metrics.c ---- */

/* GET /metrics: public, outside any read snapshot. */
void taxii_get_metrics(struct ctx *c);

/* ---- cases_api.c ---- */

/* /api/v1/... : the request is authenticated, in a read snapshot. */
void cases_api(struct ctx *c);

#endif
