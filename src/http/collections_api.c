/*
 * The dashboard's view of the collections (read-only), for the collections
 * the user may read:
 *   GET /api/v1/collections: each one's id, title, the partner whose inbox
 *     it is (or null), its stored object versions and its 5 newest objects;
 *   GET /api/v1/collections/{id}/objects/{stix id}: that object's latest
 *     version, as stored.
 */
#include "http/taxii_int.h"
#include "hotline/hotline.h"
#include "util/err.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define LATEST 5

static int
add_row(void *arg, const struct store_row *row)
{
	return json_array_append_new(arg, json_pack("{s:s,s:s,s:s,s:o}", "id", row->id, "type",
	    row->type, "version", row->version, "added", hotline_time_json(row->date_added_us))) <
	    0 ? -LSN_ENOMEM : 0;
}

static int
add_body(void *arg, const struct store_row *row)
{
	json_t **ret = arg;

	*ret = json_loadb(row->body, row->len, 0, NULL);
	return *ret == NULL ? -LSN_EINVAL : 0;
}

static const char *
partner_name(const struct store_partner *ps, size_t n, int64_t rowid)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ps[i].rowid == rowid)
			return ps[i].name;
	return NULL;
}

/* One collection's line; NULL with err on a store failure. */
static json_t *
collection_doc(struct ctx *c, const struct store_collection *co, const char *partner,
    struct err *err)
{
	struct store_query q;
	json_t *latest = json_array();
	int64_t versions = 0;
	int more;

	memset(&q, 0, sizeof(q));
	q.coll = co->rowid;
	q.limit = LATEST;
	q.newest_first = 1;
	if (latest == NULL || store_objects_count(c->t->rd, co->rowid, &versions, err) < 0 ||
	    store_objects_query(c->t->rd, &q, 0, add_row, latest, &more, err) < 0) {
		json_decref(latest);
		return NULL;
	}
	return json_pack("{s:s,s:s,s:s?,s:I,s:o}", "id", co->id, "title", co->title, "partner",
	    partner, "object_versions", (json_int_t)versions, "latest", latest);
}

static void
list(struct ctx *c)
{
	struct store_collection *cs = NULL;
	struct store_partner *ps = NULL;
	struct err err = ERR_INIT;
	size_t n = 0, np = 0, i;
	json_t *arr = json_array(), *one;
	int rd, wr, r = 0;

	if (store_coll_list(c->t->rd, &cs, &n, &err) < 0 ||
	    store_partner_list(c->t->rd, &ps, &np, &err) < 0)
		r = -1;
	for (i = 0; r == 0 && arr != NULL && i < n; i++) {
		taxii_rights(c, cs[i].rowid, &rd, &wr);
		if (!rd)
			continue;
		if ((one = collection_doc(c, &cs[i], cs[i].partner ? partner_name(ps, np,
		    cs[i].partner) : NULL, &err)) == NULL)
			r = -1;
		json_array_append_new(arr, one);
	}
	free(cs);
	free(ps);
	if (r < 0 || arr == NULL) {
		json_decref(arr);
		taxii_api_error(c, taxii_store_status(err.code), "Store error",
		    "The collections could not be read: %s", err.msg[0] ? err.msg : "out of memory");
		return;
	}
	taxii_api_json(c, 200, json_pack("{s:o}", "collections", arr));
}

static void
object(struct ctx *c, const char *coll, const char *id)
{
	struct store_collection co;
	struct store_query q;
	struct err err = ERR_INIT;
	json_t *body = NULL;
	int rd, wr, more;

	if (store_coll_find(c->t->rd, coll, &co, &err) < 0 ||
	    (taxii_rights(c, co.rowid, &rd, &wr), !rd)) {
		taxii_api_error(c, 404, "Not found", "There is no collection '%.64s' you may read.",
		    coll);
		return;
	}
	memset(&q, 0, sizeof(q));
	q.coll = co.rowid;
	q.ids[0] = id;
	q.n_ids = 1;
	q.limit = 1;
	q.newest_first = 1;
	if (store_objects_query(c->t->rd, &q, 1, add_body, &body, &more, &err) < 0) {
		taxii_api_error(c, taxii_store_status(err.code), "Store error", "%s", err.msg);
		return;
	}
	if (body == NULL) {
		taxii_api_error(c, 404, "Not found", "The collection '%s' holds no object '%.100s'.",
		    co.title, id);
		return;
	}
	taxii_api_json(c, 200, json_pack("{s:s,s:o}", "collection", co.id, "object", body));
}

void
collections_api(struct ctx *c)
{
	char path[512];
	char *coll, *id;
	size_t n;

	if (strcmp(c->req->method, "GET") != 0) {
		taxii_api_error(c, 405, "Method not allowed", "/api/v1/collections answers GET.");
		return;
	}
	if (strcmp(c->req->path, "/api/v1/collections") == 0 ||
	    strcmp(c->req->path, "/api/v1/collections/") == 0) {
		list(c);
		return;
	}
	/* /api/v1/collections/{id}/objects/{stix id} */
	n = strlen(c->req->path);
	if (n >= sizeof(path) || n <= 20) {
		taxii_api_error(c, 404, "Not found", "There is no resource at this path.");
		return;
	}
	memcpy(path, c->req->path + 20, n - 19);
	coll = path;
	id = strstr(path, "/objects/");
	if (id == NULL || id == coll || id[9] == '\0' || strchr(id + 9, '/') != NULL) {
		taxii_api_error(c, 404, "Not found", "There is no resource at this path: objects are "
		    "at /api/v1/collections/{id}/objects/{stix id}.");
		return;
	}
	*id = '\0';
	object(c, coll, id + 9);
}
