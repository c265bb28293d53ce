/*
 * TAXII 2.1 routing, authentication, content negotiation, error resources,
 * and the small read-only resources (discovery, API root, collections).
 * Objects, manifest and versions live in taxii_objects.c; adding objects and
 * status in taxii_add.c.
 */
#include "http/taxii_int.h"
#include "hotline/node.h"
#include "util/log.h"
#include "util/enc.h"
#include "util/err.h"
#include "util/ts.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void
evb_json_str(struct evbuffer *b, const char *s)
{
	struct buf tmp = BUF_INIT(1 << 20);

	if (buf_add_json_str(&tmp, s, strlen(s)) == 0)
		evbuffer_add(b, tmp.data, tmp.len);
	else
		evbuffer_add(b, "\"\"", 2);
	buf_release(&tmp);
}

void
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

void
taxii_reply(struct ctx *c, int status, struct evbuffer *body)
{
	http_reply(c->req, status, body ? TAXII_MEDIA : NULL, body);
}

void
taxii_error_v(struct ctx *c, const char *media, int status, const char *title, const char *fmt,
    va_list ap)
{
	struct evbuffer *b = evbuffer_new();
	char desc[ERR_MSG_MAX + 128];

	vsnprintf(desc, sizeof(desc), fmt, ap);
	if (status >= 500)
		c->t->m.errors_5xx++;
	else
		c->t->m.errors_4xx++;
	if (status == 401)
		http_add_header(c->req, "WWW-Authenticate", "Basic realm=\"liaison\", Bearer realm=\"liaison\"");
	evbuffer_add_printf(b, "{\"title\":");
	evb_json_str(b, title);
	evbuffer_add_printf(b, ",\"description\":");
	evb_json_str(b, desc);
	evbuffer_add_printf(b, ",\"http_status\":\"%d\"}", status);
	http_reply(c->req, status, media, b);
	evbuffer_free(b);
}

void
taxii_error(struct ctx *c, int status, const char *title, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	taxii_error_v(c, TAXII_MEDIA, status, title, fmt, ap);
	va_end(ap);
}

/* ---- authentication ---- */

static struct auth_entry *
auth_slot(struct taxii *t, const uint8_t key[32])
{
	return &t->auth[(key[0] | key[1] << 8) % AUTH_CACHE_SIZE];
}

static int
auth_basic(struct ctx *c, const char *b64)
{
	uint8_t raw[512];
	size_t n;
	char *colon;
	int r;

	if (b64_decode(b64, strlen(b64), raw, sizeof(raw) - 1, &n, 0) < 0)
		return -LSN_EAUTH;
	raw[n] = '\0';
	colon = strchr((char *)raw, ':');
	if (colon == NULL || strlen((char *)raw) != n)
		return -LSN_EAUTH;
	*colon = '\0';
	if (store_user_find(c->t->rd, (char *)raw, &c->who.user, NULL) < 0 ||
	    c->who.user.pwhash[0] == '\0') {
		cx_wipe(raw, sizeof(raw));
		return -LSN_EAUTH;
	}
	/* PBKDF2 is slow on purpose; the cache makes it once per credential. */
	r = cx_password_verify(colon + 1, c->who.user.pwhash);
	cx_wipe(raw, sizeof(raw));
	return r < 0 ? -LSN_EAUTH : 0;
}

static int
auth_bearer(struct ctx *c, const char *tok)
{
	uint8_t h[32];
	int64_t uid;

	cx_sha256(tok, strlen(tok), h);
	if (store_token_find(c->t->rd, h, &uid, NULL) < 0)
		return -LSN_EAUTH;
	return store_user_get(c->t->rd, uid, &c->who.user, NULL) < 0 ? -LSN_EAUTH : 0;
}

static int
copy_grants(const struct store_grant *g, size_t n, struct store_grant **ret)
{
	*ret = NULL;
	if (n == 0)
		return 0;
	*ret = malloc(n * sizeof(*g));
	if (*ret == NULL)
		return -LSN_ENOMEM;
	memcpy(*ret, g, n * sizeof(*g));
	return 0;
}

static void
auth_remember(struct ctx *c, struct auth_entry *slot, const uint8_t key[32])
{
	free(slot->grants);
	slot->used = copy_grants(c->who.grants, c->who.n_grants, &slot->grants) == 0;
	memcpy(slot->key, key, 32);
	slot->data_version = c->t->data_version;
	slot->user = c->who.user;
	snprintf(slot->pwhash, sizeof(slot->pwhash), "%s", c->who.user.pwhash);
	slot->n_grants = c->who.n_grants;
}

static int
authenticate(struct ctx *c)
{
	const char *h = http_header_get(c->req, "Authorization");
	struct auth_entry *slot;
	uint8_t key[32];
	int r, hit;

	if (h == NULL)
		return -LSN_EAUTH;
	cx_sha256(h, strlen(h), key);
	slot = auth_slot(c->t, key);
	hit = slot->used && cx_ct_equal(slot->key, key, 32);
	if (hit && slot->data_version == c->t->data_version) {
		c->who.user = slot->user;
		c->who.n_grants = slot->n_grants;
		return copy_grants(slot->grants, slot->n_grants, &c->who.grants);
	}
	if (strncasecmp(h, "Bearer ", 7) == 0)
		r = auth_bearer(c, h + 7);
	else if (strncasecmp(h, "Basic ", 6) != 0)
		r = -LSN_EAUTH;
	else if (hit && store_user_get(c->t->rd, slot->user.rowid, &c->who.user, NULL) == 0 &&
	    strcmp(c->who.user.pwhash, slot->pwhash) == 0)
		r = 0; /* the same password against the same hash: no PBKDF2 again */
	else
		r = auth_basic(c, h + 6);
	if (r < 0) {
		c->t->m.auth_failures++;
		return r;
	}
	r = store_grant_list(c->t->rd, c->who.user.rowid, &c->who.grants,
	    &c->who.n_grants, NULL);
	if (r == 0)
		auth_remember(c, slot, key);
	return r;
}

void
taxii_rights(const struct ctx *c, int64_t coll, int *ret_read, int *ret_write)
{
	size_t i;

	*ret_read = *ret_write = c->who.user.admin;
	for (i = 0; i < c->who.n_grants; i++) {
		if (c->who.grants[i].coll == coll) {
			*ret_read |= c->who.grants[i].can_read;
			*ret_write |= c->who.grants[i].can_write;
		}
	}
}

/* ---- content negotiation (§1.6.8) ---- */

/* 1 if one media range of an Accept or Content-Type value is TAXII 2.1. */
static int
media_is_taxii(const char *s, size_t n, int allow_wild)
{
	char v[256], *p, *semi;
	size_t i, j = 0;

	if (n >= sizeof(v))
		return 0;
	for (i = 0; i < n; i++) /* drop spaces, lowercase */
		if (s[i] != ' ' && s[i] != '\t')
			v[j++] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
	v[j] = '\0';
	semi = strchr(v, ';');
	if (semi != NULL)
		*semi = '\0';
	if (!(strcmp(v, "application/taxii+json") == 0 ||
	    (allow_wild && (strcmp(v, "*/*") == 0 || strcmp(v, "application/*") == 0))))
		return 0;
	for (p = semi; p != NULL; p = semi) {
		semi = strchr(p + 1, ';');
		if (semi != NULL)
			*semi = '\0';
		if (strncmp(p + 1, "version=", 8) == 0 && strcmp(p + 9, "2.1") != 0)
			return 0;
		if (strcmp(p + 1, "q=0") == 0 || strcmp(p + 1, "q=0.0") == 0 ||
		    strcmp(p + 1, "q=0.00") == 0 || strcmp(p + 1, "q=0.000") == 0)
			return 0;
	}
	return 1;
}

/* Accept without version= means the latest, 2.1 (cti-taxii-server#137). */
static int
accept_ok(const struct http_request *req)
{
	const char *a = http_header_get(req, "Accept"), *comma;

	if (a == NULL || *a == '\0')
		return 1;
	for (;;) {
		comma = strchr(a, ',');
		if (media_is_taxii(a, comma ? (size_t)(comma - a) : strlen(a), 1))
			return 1;
		if (comma == NULL)
			return 0;
		a = comma + 1;
	}
}

int
taxii_content_type_ok(const struct http_request *req)
{
	const char *ct = http_header_get(req, "Content-Type");

	return ct != NULL && strchr(ct, ',') == NULL && media_is_taxii(ct, strlen(ct), 0);
}

/* ---- small resources ---- */

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

static void
get_discovery(struct ctx *c)
{
	struct evbuffer *b = evbuffer_new();

	evbuffer_add_printf(b, "{\"title\":");
	evb_json_str(b, c->t->cfg.title);
	evbuffer_add_printf(b, ",\"description\":");
	evb_json_str(b, c->t->cfg.description);
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

static void
get_api_root(struct ctx *c)
{
	struct evbuffer *b = evbuffer_new();

	evbuffer_add_printf(b, "{\"title\":");
	evb_json_str(b, c->t->cfg.title);
	evbuffer_add_printf(b, ",\"description\":");
	evb_json_str(b, c->t->cfg.description);
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

static void
get_collections(struct ctx *c)
{
	struct store_collection *v = NULL;
	struct evbuffer *b;
	struct err err = ERR_INIT;
	size_t n = 0, i, shown = 0;
	int rd, wr;

	if (store_coll_list(c->t->rd, &v, &n, &err) < 0) {
		taxii_error(c, 500, "Store error", "%s", err.msg);
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
static int
load_collection(struct ctx *c, const char *id)
{
	const struct store_collection *v;
	struct err err = ERR_INIT;
	size_t n, i;

	if (collections(c->t, &v, &n, &err) < 0) {
		taxii_error(c, 500, "Store error", "%s", err.msg);
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

/* ---- metrics (Prometheus text format) ---- */

static void
exchange_metrics(struct exchange *ex, struct evbuffer *b)
{
	struct exchange_stats st;
	int i;

	exchange_get_stats(ex, &st);
	evbuffer_add_printf(b,
	    "# TYPE liaison_peer_links gauge\nliaison_peer_links %llu\n"
	    "# TYPE liaison_peer_queue_envelopes gauge\nliaison_peer_queue_envelopes %llu\n"
	    "# TYPE liaison_peer_envelopes_total counter\n"
	    "liaison_peer_envelopes_total{event=\"packed\"} %llu\n"
	    "liaison_peer_envelopes_total{event=\"sent\"} %llu\n"
	    "liaison_peer_envelopes_total{event=\"received\"} %llu\n"
	    "liaison_peer_envelopes_total{event=\"duplicate\"} %llu\n"
	    "# TYPE liaison_peer_objects_total counter\n"
	    "liaison_peer_objects_total{event=\"packed\"} %llu\n"
	    "liaison_peer_objects_total{event=\"sent\"} %llu\n"
	    "liaison_peer_objects_total{event=\"received\"} %llu\n"
	    "liaison_peer_objects_total{event=\"refused\"} %llu\n"
	    "# TYPE liaison_peer_receipts_total counter\nliaison_peer_receipts_total %llu\n"
	    "# TYPE liaison_peer_retries_total counter\nliaison_peer_retries_total %llu\n"
	    "# TYPE liaison_peer_tls_refused_total counter\nliaison_peer_tls_refused_total %llu\n"
	    "# TYPE liaison_peer_refused_total counter\n",
	    st.links, st.queue, st.envelopes_packed, st.envelopes_sent, st.envelopes_received,
	    st.envelopes_duplicate, st.objects_packed, st.objects_sent, st.objects_received,
	    st.objects_refused, st.receipts, st.retries, st.tls_refused);
	for (i = 1; i < REFUSE_MAX; i++)
		evbuffer_add_printf(b, "liaison_peer_refused_total{reason=\"%s\"} %llu\n",
		    exchange_refusal_name(i), st.refused[i]);
	evbuffer_add_printf(b,
	    "# TYPE liaison_ledger_size gauge\nliaison_ledger_size %llu\n"
	    "# TYPE liaison_ledger_checkpoints_total counter\nliaison_ledger_checkpoints_total %llu\n"
	    "# TYPE liaison_ledger_cosignatures_total counter\n"
	    "liaison_ledger_cosignatures_total{event=\"received\"} %llu\n"
	    "liaison_ledger_cosignatures_total{event=\"given\"} %llu\n"
	    "liaison_ledger_cosignatures_total{event=\"refused\"} %llu\n"
	    "# TYPE liaison_ledger_proofs_total counter\n"
	    "liaison_ledger_proofs_total{event=\"stored\"} %llu\n"
	    "liaison_ledger_proofs_total{event=\"failed\"} %llu\n"
	    "# TYPE liaison_ledger_equivocations_total counter\n"
	    "liaison_ledger_equivocations_total %llu\n"
	    "# TYPE liaison_policy_refused_total counter\n"
	    "liaison_policy_refused_total{direction=\"out\"} %llu\n"
	    "liaison_policy_refused_total{direction=\"in\"} %llu\n",
	    st.log_size, st.checkpoints_signed, st.cosignatures_received, st.witness_cosigned,
	    st.witness_refused, st.proofs_stored, st.proof_failures, st.equivocations,
	    st.policy_kept_home, st.policy_refused_in);
}

static void
get_metrics(struct ctx *c)
{
	struct taxii_metrics *m = &c->t->m;
	struct writer_stats ws;
	struct http_server_stats hs;
	struct evbuffer *b = evbuffer_new();

	writer_get_stats(c->t->w, &ws);
	http_server_get_stats(c->t->srv, &hs);
	evbuffer_add_printf(b,
	    "# TYPE liaison_http_requests_total counter\nliaison_http_requests_total %llu\n"
	    "# TYPE liaison_http_errors_total counter\n"
	    "liaison_http_errors_total{class=\"4xx\"} %llu\nliaison_http_errors_total{class=\"5xx\"} %llu\n"
	    "# TYPE liaison_http_connections gauge\nliaison_http_connections %llu\n"
	    "# TYPE liaison_auth_failures_total counter\nliaison_auth_failures_total %llu\n"
	    "# TYPE liaison_objects_total counter\n"
	    "liaison_objects_total{outcome=\"added\"} %llu\n"
	    "liaison_objects_total{outcome=\"duplicate\"} %llu\n"
	    "liaison_objects_total{outcome=\"rejected\"} %llu\n"
	    "liaison_objects_total{outcome=\"served\"} %llu\n"
	    "# TYPE liaison_store_batches_total counter\nliaison_store_batches_total %llu\n"
	    "# TYPE liaison_store_batch_items_total counter\nliaison_store_batch_items_total %llu\n"
	    "# TYPE liaison_store_failed_commits_total counter\nliaison_store_failed_commits_total %llu\n"
	    "# TYPE liaison_store_checkpoints_total counter\nliaison_store_checkpoints_total %llu\n",
	    m->requests, m->errors_4xx, m->errors_5xx, hs.conns_open, m->auth_failures,
	    m->objects_added, m->objects_duplicate, m->objects_rejected, m->objects_served,
	    ws.batches, ws.items, ws.failed_commits, ws.checkpoints);
	if (c->t->cfg.ex != NULL)
		exchange_metrics(c->t->cfg.ex, b);
	if (c->t->cfg.hotline != NULL) {
		struct buf hb = BUF_INIT(1u << 20);
		struct err err = ERR_INIT;
		if (store_read_begin(c->t->rd, &err) == 0 &&
		    hotline_node_metrics(c->t->cfg.hotline, c->t->rd, clock_now_us(), &hb, &err) == 0)
			evbuffer_add(b, hb.data, hb.len);
		store_read_end(c->t->rd);
		buf_release(&hb);
	}
	http_reply(c->req, 200, "text/plain; version=0.0.4", b);
	evbuffer_free(b);
}

/* ---- routing ---- */

#define SEG_MAX 8

/* Splits "/a/b/c/" into segments; a trailing slash is required by TAXII. */
static int
split_path(char *p, char *segs[SEG_MAX], int *ret_n)
{
	int n = 0;
	size_t len = strlen(p);

	if (len == 0 || p[0] != '/' || p[len - 1] != '/')
		return -1;
	p[len - 1] = '\0';
	p++;
	while (*p) {
		char *s = strchr(p, '/');
		if (n == SEG_MAX)
			return -1;
		segs[n++] = p;
		if (s == NULL)
			break;
		*s = '\0';
		if (s[1] == '\0')
			return -1; /* "//" */
		p = s + 1;
	}
	*ret_n = n;
	return 0;
}

/* Percent-decodes a path segment in place (ids never need it, but clients may escape). */
static int
unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (*s == '%') {
			unsigned v;
			if (sscanf(s + 1, "%2x", &v) != 1 || v == 0)
				return -1;
			*o++ = (char)v;
			s += 2;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
	return 0;
}

/*
 * The routes (TAXII 2.1 §4, §5). A pattern segment "*" matches any one path
 * segment and is passed to the handler; "R" is the API root's name; "C" is a
 * collection id, loaded (and checked for visibility) before the handler runs.
 */
struct route {
	const char *method;
	const char *pattern[SEG_MAX];
	void (*fn)(struct ctx *c, char **args);
	int query;                    /* takes query parameters (§3.4) */
};

static void r_discovery(struct ctx *c, char **a) { get_discovery(c); }
static void r_api_root(struct ctx *c, char **a) { get_api_root(c); }
static void r_status(struct ctx *c, char **a) { taxii_get_status(c, a[0]); }
static void r_collections(struct ctx *c, char **a) { get_collections(c); }
static void r_manifest(struct ctx *c, char **a) { taxii_get_objects(c, NULL, 1); }
static void r_objects(struct ctx *c, char **a) { taxii_get_objects(c, NULL, 0); }
static void r_add(struct ctx *c, char **a) { taxii_add_objects(c); }
static void r_object(struct ctx *c, char **a) { taxii_get_objects(c, a[0], 0); }
static void r_delete(struct ctx *c, char **a) { taxii_delete_object(c, a[0]); }
static void r_versions(struct ctx *c, char **a) { taxii_get_versions(c, a[0]); }

static void
r_collection(struct ctx *c, char **a)
{
	struct evbuffer *b = evbuffer_new();

	add_collection(b, &c->coll, c->can_read, c->can_write);
	taxii_reply(c, 200, b);
	evbuffer_free(b);
}

static const struct route routes[] = {
	{ "GET", { "taxii2" }, r_discovery, 0 },
	{ "GET", { "R" }, r_api_root, 0 },
	{ "GET", { "R", "status", "*" }, r_status, 0 },
	{ "GET", { "R", "collections" }, r_collections, 0 },
	{ "GET", { "R", "collections", "C" }, r_collection, 0 },
	{ "GET", { "R", "collections", "C", "manifest" }, r_manifest, 1 },
	{ "GET", { "R", "collections", "C", "objects" }, r_objects, 1 },
	{ "POST", { "R", "collections", "C", "objects" }, r_add, 0 },
	{ "GET", { "R", "collections", "C", "objects", "*" }, r_object, 1 },
	{ "DELETE", { "R", "collections", "C", "objects", "*" }, r_delete, 1 },
	{ "GET", { "R", "collections", "C", "objects", "*", "versions" }, r_versions, 1 },
};

#define NROUTES (sizeof(routes) / sizeof(routes[0]))

/* 1 if the path matches; "*" segments go to args, the "C" segment to *ret_coll. */
static int
route_match(const struct ctx *c, const struct route *rt, char **seg, int n, char **args,
    char **ret_coll)
{
	char *coll = NULL;
	int i, na = 0;

	for (i = 0; i < n; i++) {
		const char *p = rt->pattern[i];

		if (p == NULL)
			return 0;
		if (strcmp(p, "*") == 0)
			args[na++] = seg[i];
		else if (strcmp(p, "C") == 0)
			coll = seg[i];
		else if (strcmp(p, "R") == 0 ? strcmp(seg[i], c->t->cfg.root) != 0 : strcmp(p, seg[i]) != 0)
			return 0;
	}
	if (i < SEG_MAX && rt->pattern[i] != NULL)
		return 0;
	if (coll != NULL)
		*ret_coll = coll;
	return 1;
}

static void
route(struct ctx *c, char **seg, int n)
{
	char *args[SEG_MAX], *coll = NULL, allow[64] = "";
	const struct route *hit = NULL;
	struct err err = ERR_INIT;
	size_t i;

	for (i = 0; i < NROUTES; i++) {
		if (!route_match(c, &routes[i], seg, n, args, &coll))
			continue;
		if (strcmp(routes[i].method, c->req->method) == 0)
			hit = &routes[i];
		snprintf(allow + strlen(allow), sizeof(allow) - strlen(allow), "%s%s",
		    allow[0] ? ", " : "", routes[i].method);
	}
	if (allow[0] == '\0') {
		taxii_error(c, 404, "Not found", "There is no TAXII resource at this path.");
		return;
	}
	if (coll != NULL && load_collection(c, coll) < 0)
		return;
	if (hit == NULL) {
		http_add_header(c->req, "Allow", allow);
		taxii_error(c, 405, "Method not allowed", "This resource allows %s only.", allow);
		return;
	}
	if (!hit->query && taxii_query_parse(c->req->query, 0, &c->q, &err) < 0) {
		taxii_error(c, 400, "Bad query parameter", "%s (this resource takes no query parameters).",
		    err.msg);
		return;
	}
	/* route_match again: args of the route that matched the method */
	route_match(c, hit, seg, n, args, &coll);
	hit->fn(c, args);
}

static void handle_read(struct ctx *c, char **seg, int n);

static void
handle(struct http_request *req, void *arg)
{
	struct taxii *t = arg;
	struct ctx *c = calloc(1, sizeof(*c));
	char path[2048], *seg[SEG_MAX];
	int n = 0, i;

	if (c == NULL) {
		http_reply_bytes(req, 503, NULL, NULL, 0);
		return;
	}
	c->t = t;
	c->req = req;
	req->user = c;
	req->user_free = ctx_free_void;
	t->m.requests++;
	if (strcmp(req->path, "/metrics") == 0 && strcmp(req->method, "GET") == 0) {
		get_metrics(c);
		return;
	}
	if (strncmp(req->path, "/api/v1/", 8) == 0 || strcmp(req->path, "/api/v1") == 0) {
		if (store_read_begin(t->rd, NULL) < 0 ||
		    store_data_version(t->rd, &t->data_version, NULL) < 0) {
			store_read_end(t->rd);
			taxii_error(c, 503, "Store busy", "The store could not be read; try again.");
			return;
		}
		if (authenticate(c) < 0)
			taxii_error(c, 401, "Authentication required",
			    "Send HTTP Basic credentials or a bearer token of a user of this node.");
		else
			cases_api(c);
		store_read_end(t->rd);
		return;
	}
	if (strlen(req->path) >= sizeof(path)) {
		taxii_error(c, 414, "URI too long", "The request path is longer than %zu bytes.", sizeof(path) - 1);
		return;
	}
	strcpy(path, req->path);
	if (split_path(path, seg, &n) < 0) {
		taxii_error(c, 404, "Not found", "There is no TAXII resource at this path (TAXII URLs end with '/').");
		return;
	}
	for (i = 0; i < n; i++) {
		if (unescape(seg[i]) < 0) {
			taxii_error(c, 400, "Bad request", "The request path has a malformed percent-escape.");
			return;
		}
	}
	/* Every read of this request sees one snapshot, under one lock. */
	if (store_read_begin(t->rd, NULL) < 0 ||
	    store_data_version(t->rd, &t->data_version, NULL) < 0) {
		store_read_end(t->rd);
		taxii_error(c, 503, "Store busy", "The store could not be read; try again.");
		return;
	}
	handle_read(c, seg, n);
	store_read_end(t->rd);
}

static void
handle_read(struct ctx *c, char **seg, int n)
{
	if (authenticate(c) < 0) {
		taxii_error(c, 401, "Authentication required",
		    "Send HTTP Basic credentials or a bearer token of a user of this node.");
		return;
	}
	if (!accept_ok(c->req)) {
		taxii_error(c, 406, "Not acceptable",
		    "This server answers with %s; the Accept header does not allow it.", TAXII_MEDIA);
		return;
	}
	route(c, seg, n);
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
	t->rd = rd;
	t->w = w;
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
	free(t->colls);
	free(t->root_path);
	free(t);
}
