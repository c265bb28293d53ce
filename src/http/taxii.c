/*
 * The local users' listener: starts and stops the TAXII 2.1 API and routes
 * each request to a row of a table (TAXII §4, §5; /metrics; /api/v1/ goes to
 * cases_api.c). Routes only: the answers live in the files beneath it
 * (taxii_root.c, taxii_objects.c, taxii_add.c, metrics.c, cases_api.c).
 */
#include "http/taxii_int.h"
#include "util/log.h"
#include "util/err.h"
#include "util/ts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
ctx_free(struct ctx *c)
{
	if (c == NULL)
		return;
	free(c->who.grants);
	free(c);
}

static void
ctx_free_void(void *p)
{
	ctx_free(p);
}


static void r_discovery(void *c, const struct route_args *a) { taxii_get_discovery(c); }
static void r_api_root(void *c, const struct route_args *a) { taxii_get_api_root(c); }
static void r_collections(void *c, const struct route_args *a) { taxii_get_collections(c); }
static void r_collection(void *c, const struct route_args *a) { taxii_get_collection(c); }
static void r_manifest(void *c, const struct route_args *a) { taxii_get_objects(c, NULL, 1); }
static void r_objects(void *c, const struct route_args *a) { taxii_get_objects(c, NULL, 0); }
static void r_add(void *c, const struct route_args *a) { taxii_add_objects(c); }

static void
r_status(void *c, const struct route_args *a)
{
	taxii_get_status(c, route_arg(a, "status"));
}

static void
r_object(void *c, const struct route_args *a)
{
	taxii_get_objects(c, route_arg(a, "object"), 0);
}

static void
r_delete(void *c, const struct route_args *a)
{
	taxii_delete_object(c, route_arg(a, "object"));
}

static void
r_versions(void *c, const struct route_args *a)
{
	taxii_get_versions(c, route_arg(a, "object"));
}

#define COLL "/{root}/collections/{collection}"
#define USER ROUTE_USER
#define READ (ROUTE_USER | ROUTE_READ | ROUTE_QUERY)

/*
 * The TAXII routes (§4, §5). {root} is the configured API root's name; a
 * {collection} is loaded, and checked for visibility, before the handler runs.
 */
static const struct route taxii_routes[] = {
	{ "GET", "/taxii2/", r_discovery, USER, NULL },
	{ "GET", "/{root}/", r_api_root, USER, NULL },
	{ "GET", "/{root}/status/{status}/", r_status, USER, NULL },
	{ "GET", "/{root}/collections/", r_collections, USER, NULL },
	{ "GET", COLL "/", r_collection, USER, NULL },
	{ "GET", COLL "/manifest/", r_manifest, READ, NULL },
	{ "GET", COLL "/objects/", r_objects, READ, NULL },
	{ "POST", COLL "/objects/", r_add, USER | ROUTE_WRITE, NULL },
	{ "GET", COLL "/objects/{object}/", r_object, READ, NULL },
	{ "DELETE", COLL "/objects/{object}/", r_delete, READ | ROUTE_WRITE, NULL },
	{ "GET", COLL "/objects/{object}/versions/", r_versions, READ, NULL },
};

static void r_metrics(void *c, const struct route_args *a) { taxii_get_metrics(c); }

/* Public rows, matched before any authentication or read snapshot. */
static const struct route public_routes[] = {
	{ "GET", "/metrics", r_metrics, ROUTE_PUBLIC, NULL },
};

#define NROWS(tab) (sizeof(tab) / sizeof((tab)[0]))

/* 403 for the rights a row needs on its collection and the caller lacks. */
static void
forbidden(struct ctx *c, unsigned rights)
{
	if ((rights & ROUTE_READ) && (rights & ROUTE_WRITE))
		taxii_error(c, 403, "Forbidden", "Deleting needs read and write access to "
		    "collection %s.", c->coll.id);
	else if (rights & ROUTE_WRITE)
		taxii_error(c, 403, "Forbidden", "You may not write to collection %s.", c->coll.id);
	else
		taxii_error(c, 403, "Forbidden", "You may not read collection %s.", c->coll.id);
}

/* The request is authenticated and acceptable; 404, 405, 403 or the row's handler. */
static void
route(struct ctx *c, const struct route_path *p)
{
	const struct route_bind root = { "root", c->t->cfg.root };
	struct route_match m;
	struct err err = ERR_INIT;
	const char *coll;
	int st;

	st = route_find(taxii_routes, NROWS(taxii_routes), c->req->method, p, &root, 1, &m);
	if (st == 404) {
		taxii_error(c, 404, "Not found", "There is no TAXII resource at this path.");
		return;
	}
	coll = route_arg(&m.args, "collection");
	if (coll != NULL && taxii_load_collection(c, coll) < 0)
		return;
	if (st == 405) {
		http_add_header(c->req, "Allow", m.allow);
		taxii_error(c, 405, "Method not allowed", "This resource allows %s only.", m.allow);
		return;
	}
	if (!(m.hit->rights & ROUTE_QUERY) && taxii_query_parse(c->req->query, 0, &c->q, &err) < 0) {
		taxii_error(c, 400, "Bad query parameter", "%s (this resource takes no query parameters).",
		    err.msg);
		return;
	}
	if (!taxii_has_rights(c, m.hit->rights)) {
		forbidden(c, m.hit->rights);
		return;
	}
	m.hit->fn(c, &m.args);
}

/*
 * Every read of this request sees one snapshot, under one lock. Every row
 * but the public ones needs ROUTE_USER, and a path no row names answers 401
 * too: a stranger learns nothing, not even which paths exist.
 */
static int
begin_user(struct ctx *c)
{
	struct taxii *t = c->t;

	if (store_read_begin(t->rd, NULL) < 0 ||
	    store_data_version(t->rd, &t->data_version, NULL) < 0) {
		store_read_end(t->rd);
		taxii_error(c, 503, "Store busy", "The store could not be read; try again.");
		return -1;
	}
	/* the dashboard's cookie stands for Authorization on /api/v1/ only, and never beside one */
	if ((c->allow_session && http_header_get(c->req, "Authorization") == NULL ?
	    ui_authenticate(c) : taxii_authenticate(c)) < 0) {
		store_read_end(t->rd);
		taxii_error(c, 401, "Authentication required",
		    "Send HTTP Basic credentials or a bearer token of a user of this node.");
		return -1;
	}
	return 0;
}

static void
handle_taxii(struct ctx *c)
{
	struct taxii *t = c->t;       /* an answer may free c */
	char path[2048];
	struct route_path p;

	if (strlen(c->req->path) >= sizeof(path)) {
		taxii_error(c, 414, "URI too long", "The request path is longer than %zu bytes.", sizeof(path) - 1);
		return;
	}
	strcpy(path, c->req->path);
	if (route_split(path, &p) < 0 || !p.slash) {
		taxii_error(c, 404, "Not found", "There is no TAXII resource at this path (TAXII URLs end with '/').");
		return;
	}
	if (route_unescape(&p) < 0) {
		taxii_error(c, 400, "Bad request", "The request path has a malformed percent-escape.");
		return;
	}
	if (begin_user(c) < 0)
		return;
	if (!taxii_accept_ok(c->req))
		taxii_error(c, 406, "Not acceptable",
		    "This server answers with %s; the Accept header does not allow it.", TAXII_MEDIA);
	else
		route(c, &p);
	store_read_end(t->rd);
}

static void
handle(struct http_request *req, void *arg)
{
	struct taxii *t = arg;
	struct ctx *c = calloc(1, sizeof(*c));
	struct route_match m;
	char path[16];

	if (c == NULL) {
		http_reply_bytes(req, 503, NULL, NULL, 0);
		return;
	}
	c->t = t;
	c->req = req;
	req->user = c;
	req->user_free = ctx_free_void;
	t->m.requests++;
	if (route_lookup(public_routes, NROWS(public_routes), req->method, req->path, 0, path,
	    sizeof(path), &m) == 200) {
		m.hit->fn(c, &m.args);
		return;
	}
	if (strncmp(req->path, "/ui/", 4) == 0 || strcmp(req->path, "/ui") == 0) {
		if (t->ui == NULL) {
			taxii_error(c, 404, "Not found", "This node serves no dashboard.");
			return;
		}
		ui_handle(c);
		return;
	}
	if (strncmp(req->path, "/api/v1/", 8) == 0 || strcmp(req->path, "/api/v1") == 0) {
		c->allow_session = t->ui != NULL;
		if (begin_user(c) < 0)
			return;
		if (strncmp(req->path, "/api/v1/partners", 16) == 0 &&
		    (req->path[16] == '\0' || req->path[16] == '/'))
			partners_api(c);
		else if (strcmp(req->path, "/api/v1/events") == 0)
			live_api(c);
		else if (strcmp(req->path, "/api/v1/border") == 0)
			border_api(c);
		else if (strcmp(req->path, "/api/v1/ledger") == 0)
			ledger_api(c);
		else if (strncmp(req->path, "/api/v1/collections", 19) == 0 &&
		    (req->path[19] == '\0' || req->path[19] == '/'))
			collections_api(c);
		else
			cases_api(c);
		store_read_end(t->rd);
		return;
	}
	handle_taxii(c);
}

static void
framing_error(struct http_request *req, int status, const char *why, void *arg)
{
	struct ctx *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		http_reply_bytes(req, status, NULL, NULL, 0);
		return;
	}
	c->t = arg;
	c->req = req;
	req->user = c;
	req->user_free = ctx_free_void;
	taxii_error(c, status, http_reason(status), "%s.", why);
}

static void
logged(const struct http_request *req, size_t body_len, void *arg)
{
	struct taxii *t = arg;
	struct buf path = BUF_INIT(2100);
	const struct ctx *c = req->user;

	if (t->cfg.log == NULL)
		return;
	buf_add_json_str(&path, req->target, strnlen(req->target, 2000));
	log_emit(t->cfg.log, t->cfg.log_arg, "http", "\"peer\":\"%s\",\"method\":\"%s\","
	    "\"target\":%s,\"status\":%d,\"bytes\":%zu,\"user\":\"%s\",\"us\":%lld",
	    req->peer, req->method[0] ? req->method : "-", path.data ? path.data : "\"\"",
	    req->status, body_len, c && c->who.user.name[0] ? c->who.user.name : "-",
	    (long long)(clock_now_us() - req->start_us));
	buf_release(&path);
}

int
taxii_new(const struct taxii_config *cfg, struct store *rd, struct writer *w,
    struct taxii **ret, struct err *err)
{
	struct taxii *t = calloc(1, sizeof(*t));
	size_t n = strlen(cfg->root) + 3;

	if (t == NULL || (t->root_path = malloc(n)) == NULL) {
		free(t);
		return err_set(err, LSN_ENOMEM, "taxii: out of memory");
	}
	snprintf(t->root_path, n, "/%s/", cfg->root);
	t->cfg = *cfg;
	t->ui = cfg->ui;
	t->rd = rd;
	t->w = w;
	if (cfg->base != NULL && live_new(cfg->base, rd, &t->live) < 0) {
		free(t->root_path);
		free(t);
		return err_set(err, LSN_ENOMEM, "taxii: out of memory");
	}
	*ret = t;
	return 0;
}

void
taxii_attach(struct taxii *t, struct http_server *srv)
{
	t->srv = srv;
}

void
taxii_app(struct taxii *t, struct http_app *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->handle = handle;
	ret->error = framing_error;
	ret->logged = logged;
	ret->arg = t;
}

size_t
taxii_inflight(const struct taxii *t)
{
	return t->inflight;
}

void
taxii_free(struct taxii *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < AUTH_CACHE_SIZE; i++)
		free(t->auth[i].grants);
	live_free(t->live);
	free(t->colls);
	free(t->root_path);
	free(t);
}
