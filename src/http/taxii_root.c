/*
 * The small read-only TAXII resources: discovery (§4.1), API root (§4.2),
 * collections (§5.1, §5.2), and the collection a path names, with the
 * caller's rights on it. Reads only; must never write the store.
 */
#include "http/taxii_int.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
base_url(struct ctx *c, struct evbuffer *b)
{
	const char *host = http_header_get(c->req, "Host");
	size_t i;

	if (c->t->cfg.public_url != NULL) {
		evbuffer_add_printf(b, "%s", c->t->cfg.public_url);
		return;
	}
	/* Only echo a Host made of host-name characters; never reflect markup. */
	if (host != NULL) {
		for (i = 0; host[i]; i++)
			if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]", host[i]))
				break;
		if (host[i] == '\0' && i > 0 && i < 256) {
			evbuffer_add_printf(b, "https://%s", host);
			return;
		}
	}
	evbuffer_add_printf(b, "https://localhost");
}

/* Opens the object with the "title" and "description" discovery and API root share. */
static void
add_about(struct evbuffer *b, const struct taxii_config *cfg)
{
	evbuffer_add_printf(b, "{\"title\":");
	evb_json_str(b, cfg->title);
	evbuffer_add_printf(b, ",\"description\":");
	evb_json_str(b, cfg->description);
}

void
taxii_get_discovery(struct ctx *c)
{
	struct evbuffer *b = evbuffer_new();

	add_about(b, &c->t->cfg);
	if (c->t->cfg.contact != NULL && c->t->cfg.contact[0]) {
		evbuffer_add_printf(b, ",\"contact\":");
		evb_json_str(b, c->t->cfg.contact);
	}
	evbuffer_add_printf(b, ",\"default\":\"");
	base_url(c, b);
	evbuffer_add_printf(b, "%s\",\"api_roots\":[\"", c->t->root_path);
	base_url(c, b);
	evbuffer_add_printf(b, "%s\"]}", c->t->root_path);
	taxii_reply(c, 200, b);
	evbuffer_free(b);
}

void
taxii_get_api_root(struct ctx *c)
{
	struct evbuffer *b = evbuffer_new();

	add_about(b, &c->t->cfg);
	evbuffer_add_printf(b, ",\"versions\":[\"%s\"],\"max_content_length\":%zu}",
	    TAXII_MEDIA, c->t->cfg.max_content_length);
	taxii_reply(c, 200, b);
	evbuffer_free(b);
}

static void
add_collection(struct evbuffer *b, const struct store_collection *coll, int rd, int wr)
{
	evbuffer_add_printf(b, "{\"id\":\"%s\",\"title\":", coll->id);
	evb_json_str(b, coll->title);
	if (coll->description[0]) {
		evbuffer_add_printf(b, ",\"description\":");
		evb_json_str(b, coll->description);
	}
	evbuffer_add_printf(b, ",\"can_read\":%s,\"can_write\":%s,\"media_types\":[\"%s\"]}",
	    rd ? "true" : "false", wr ? "true" : "false", STIX_MEDIA);
}

void
taxii_get_collections(struct ctx *c)
{
	struct store_collection *v = NULL;
	struct evbuffer *b;
	struct err err = ERR_INIT;
	size_t n = 0, i, shown = 0;
	int rd, wr;

	if (store_coll_list(c->t->rd, &v, &n, &err) < 0) {
		taxii_error(c, taxii_store_status(err.code), "Store error", "%s", err.msg);
		return;
	}
	b = evbuffer_new();
	evbuffer_add_printf(b, "{");
	for (i = 0; i < n; i++) {
		taxii_rights(c, v[i].rowid, &rd, &wr);
		wr = wr && v[i].partner == 0; /* a partner's inbox is read-only */
		if (!rd && !wr) /* collections the user may not use are not shown */
			continue;
		evbuffer_add_printf(b, shown++ ? "," : "\"collections\":[");
		add_collection(b, &v[i], rd, wr);
	}
	evbuffer_add_printf(b, shown ? "]}" : "}");
	free(v);
	taxii_reply(c, 200, b);
	evbuffer_free(b);
}

/* The collections, read again only when the snapshot changed. */
static int
collections(struct taxii *t, const struct store_collection **ret, size_t *ret_n, struct err *err)
{
	struct store_collection *v;
	size_t n;
	int r;

	if (!t->colls_valid || t->colls_version != t->data_version) {
		if ((r = store_coll_list(t->rd, &v, &n, err)) < 0)
			return r;
		free(t->colls);
		t->colls = v;
		t->n_colls = n;
		t->colls_version = t->data_version;
		t->colls_valid = 1;
	}
	*ret = t->colls;
	*ret_n = t->n_colls;
	return 0;
}

/* Finds the collection and the caller's rights; answers 404 if invisible. */
int
taxii_load_collection(struct ctx *c, const char *id)
{
	const struct store_collection *v;
	struct err err = ERR_INIT;
	size_t n, i;

	if (collections(c->t, &v, &n, &err) < 0) {
		taxii_error(c, taxii_store_status(err.code), "Store error", "%s", err.msg);
		return -1;
	}
	for (i = 0; i < n && strcmp(v[i].id, id) != 0; i++)
		;
	if (i < n) {
		c->coll = v[i];
		taxii_rights(c, c->coll.rowid, &c->can_read, &c->can_write);
		/* only the exchange writes a partner's inbox (what it received, signed) */
		c->can_write = c->can_write && c->coll.partner == 0;
	}
	if (i == n || (!c->can_read && !c->can_write)) {
		taxii_error(c, 404, "Collection not found", "No collection with id '%.80s' exists at this API root.", id);
		return -1;
	}
	return 0;
}

void
taxii_get_collection(struct ctx *c)
{
	struct evbuffer *b = evbuffer_new();

	add_collection(b, &c->coll, c->can_read, c->can_write);
	taxii_reply(c, 200, b);
	evbuffer_free(b);
}
