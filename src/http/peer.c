/*
 * Peer API routes. The TLS handshake already proved the caller is a paired
 * partner; each request is tied to that partner again through the pinned
 * key of its connection, so a partner removed since the handshake is
 * refused. Never decides what is accepted: exchange_accept does.
 */
#include "http/peer.h"
#include "http/route.h"
#include "exchange/exchange.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/enc.h"
#include "util/err.h"

#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct peer_api {
	struct exchange *ex;
	struct store *rd;
	struct http_server *srv;
	char name[128];
	size_t inflight;
	int standby;                  /* another daemon of this node is the active one */
};

/* One request of a partner whose pinned key the router has checked (ROUTE_PEER). */
struct peer_call {
	struct peer_api *p;
	struct http_request *req;
	int64_t partner;
	char name[65];
};

struct pending {
	struct peer_api *p;
	struct http_request *req;
	struct exchange_batch *b;
};

static void
reply_json(struct http_request *req, int status, struct buf *b)
{
	http_reply_bytes(req, status, "application/json", b->data ? b->data : "{}",
	    b->data ? b->len : 2);
}

static void
reply_error(struct http_request *req, int status, const char *code, const char *msg)
{
	struct buf b = BUF_INIT(4096);

	buf_printf(&b, "{\"error\":\"%s\",\"message\":", code);
	buf_add_json_str(&b, msg, strlen(msg));
	buf_addc(&b, '}');
	reply_json(req, status, &b);
	buf_release(&b);
}

static void
answer_failed(struct pending *pd)
{
	reply_error(pd->req, 503, "out_of_resources", "the node could not answer this batch; "
	    "nothing was lost: send it again");
	pd->p->inflight--;
	free(pd);
}

/* On the loop thread: the batch's receipts, and the refusal if any. */
static void
answer_batch(void *arg)
{
	struct pending *pd = arg;
	struct exchange_batch *b = pd->b;
	struct buf out = BUF_INIT(64 * 1024 * 1024);
	char b64[RCPT_LEN * 2];
	size_t i;

	if (b == NULL) {
		answer_failed(pd);
		return;
	}
	buf_printf(&out, "{\"accepted\":%zu,\"receipts\":[", b->n_receipts);
	for (i = 0; i < b->n_receipts; i++) {
		b64_encode(b->receipts[i], RCPT_LEN, b64, 0);
		buf_printf(&out, "%s\"%s\"", i ? "," : "", b64);
	}
	buf_adds(&out, "]");
	if (b->refusal != REFUSE_NONE) {
		buf_printf(&out, ",\"refused\":{\"seq\":%llu,\"reason\":\"%s\",\"message\":",
		    (unsigned long long)b->refused_seq, exchange_refusal_name(b->refusal));
		buf_add_json_str(&out, b->message, strlen(b->message));
		buf_adds(&out, "}");
	}
	buf_adds(&out, "}");
	reply_json(pd->req, 200, &out);
	buf_release(&out);
	pd->p->inflight--;
	exchange_batch_free(b);
	free(pd);
}

static void
batch_done(void *arg, struct exchange_batch *b)
{
	struct pending *pd = arg;

	pd->b = b;
	http_server_defer(pd->p->srv, answer_batch, pd);
}



static int
caller(struct peer_api *p, struct http_request *req, int64_t *ret, char name[65])
{
	uint8_t spki[32];

	if (http_conn_peer_spki(req->conn, spki) < 0 ||
	    exchange_partner_by_spki(p->ex, spki, ret, name) < 0) {
		reply_error(req, 403, "not_a_partner",
		    "this connection's certificate is not pinned to an active partner");
		return -LSN_EDENIED;
	}
	return 0;
}

static void
defer_on_loop(void *ctx, void (*fn)(void *), void *arg)
{
	struct peer_api *p = ctx;

	http_server_defer(p->srv, fn, arg);
}

static void
post_envelopes(void *arg, const struct route_args *a)
{
	struct peer_call *pc = arg;
	struct peer_api *p = pc->p;
	struct http_request *req = pc->req;
	struct accept_req rq;
	const char *ct = http_header_get(req, "Content-Type");
	struct err err = ERR_INIT;
	struct pending *pd;

	if (ct == NULL || strcmp(ct, EXCHANGE_MEDIA) != 0) {
		reply_error(req, 415, "unsupported_media_type",
		    "a batch of envelopes is sent as " EXCHANGE_MEDIA);
		return;
	}
	pd = calloc(1, sizeof(*pd));
	if (pd == NULL) {
		reply_error(req, 500, "internal", "out of memory");
		return;
	}
	pd->p = p;
	pd->req = req;
	rq.data = (const uint8_t *)req->body.data;
	rq.len = req->body.len;
	rq.done = batch_done;
	rq.arg = pd;
	rq.defer = defer_on_loop;
	rq.defer_arg = p;
	if (exchange_accept(p->ex, pc->partner, &rq, &err) < 0) {
		free(pd);
		reply_error(req, err.code == LSN_EDENIED ? 403 : 500,
		    err.code == LSN_EDENIED ? "not_a_partner" : "internal", err.msg);
		return;
	}
	p->inflight++;
}

/* Who the caller is to this node, and where its sequence stands. */
static void
get_hello(void *arg, const struct route_args *a)
{
	struct peer_call *pc = arg;
	struct peer_api *p = pc->p;
	struct http_request *req = pc->req;
	struct err err = ERR_INIT;
	struct buf b = BUF_INIT(4096);
	uint8_t id[32];
	char hex[65];
	uint64_t in_seq = 0;
	int64_t partner = pc->partner;
	const char *hex_in;

	if (store_env_last(p->rd, partner, STORE_IN, &in_seq, NULL, &err) < 0) {
		reply_error(req, 500, "store", err.msg);
		return;
	}
	/* the caller says which agreement it holds with us (docs/protocol.md, hello) */
	if ((hex_in = strstr(req->query, "agreement_sha256=")) != NULL &&
	    strlen(hex_in + 17) >= 64 && hex_decode(hex_in + 17, 64, id, 32) == 0)
		exchange_peer_agreement(p->ex, partner, id);
	exchange_key_id(p->ex, id);
	hex_encode(id, 32, hex);
	buf_adds(&b, "{\"node\":");
	buf_add_json_str(&b, p->name, strlen(p->name));
	buf_printf(&b, ",\"key_id\":\"%s\",\"partner\":\"%s\",\"next_seq\":%llu", hex, pc->name,
	    (unsigned long long)in_seq + 1);
	/* the agreement this node works under with the caller, so both can compare */
	if (exchange_agreement_hash(p->ex, partner, id) == 0) {
		hex_encode(id, 32, hex);
		buf_printf(&b, ",\"agreement_sha256\":\"%s\"", hex);
	}
	buf_adds(&b, "}");
	reply_json(req, 200, &b);
	buf_release(&b);
}

/* ---- the log (docs/protocol.md, "Ledger"): c2sp.org/tlog-witness and proofs ---- */

struct wpending {
	struct peer_api *p;
	struct http_request *req;
	struct exchange_witness_answer a;
};

static void
answer_witness(void *arg)
{
	struct wpending *wp = arg;
	const struct exchange_witness_answer *a = &wp->a;
	char size[32];
	static const char *const code[] = { [400] = "bad_request", [403] = "forbidden",
		[404] = "unknown_origin", [422] = "inconsistent" };

	if (a->status == 200) {
		http_reply_bytes(wp->req, 200, "text/plain; charset=utf-8", a->line, strlen(a->line));
	} else if (a->status == 409) {
		/* tlog-witness: the size this witness holds, for the log to retry from */
		snprintf(size, sizeof(size), "%llu\n", (unsigned long long)a->size);
		http_reply_bytes(wp->req, 409, "text/x.tlog.size", size, strlen(size));
	} else {
		int st = a->status;
		reply_error(wp->req, st, st < (int)(sizeof(code) / sizeof(code[0])) && code[st] ?
		    code[st] : "internal", a->message);
	}
	wp->p->inflight--;
	free(wp);
}

static void
witness_done(void *arg, const struct exchange_witness_answer *a)
{
	struct wpending *wp = arg;

	wp->a = *a;
	http_server_defer(wp->p->srv, answer_witness, wp);
}

static void
post_add_checkpoint(void *arg, const struct route_args *a)
{
	struct peer_call *pc = arg;
	struct peer_api *p = pc->p;
	struct http_request *req = pc->req;
	struct err err = ERR_INIT;
	struct wpending *wp;

	if ((wp = calloc(1, sizeof(*wp))) == NULL) {
		reply_error(req, 500, "internal", "out of memory");
		return;
	}
	wp->p = p;
	wp->req = req;
	if (exchange_witness(p->ex, pc->partner, req->body.data ? req->body.data : "", req->body.len,
	    witness_done, wp, &err) < 0) {
		free(wp);
		reply_error(req, 500, "internal", err.msg);
		return;
	}
	p->inflight++;
}

/* Value of a decimal query parameter; -1 if absent or malformed. */
static int
query_u64(const char *q, const char *key, uint64_t *ret)
{
	size_t kl = strlen(key);
	const char *v;
	char *end;

	for (v = q; v != NULL && *v; v = strchr(v, '&') ? strchr(v, '&') + 1 : NULL) {
		if (strncmp(v, key, kl) != 0 || v[kl] != '=')
			continue;
		v += kl + 1;
		if (*v < '0' || *v > '9')
			return -1;
		*ret = strtoull(v, &end, 10);
		return *end == '\0' || *end == '&' ? 0 : -1;
	}
	return -1;
}

static void
reply_text(struct http_request *req, struct buf *b)
{
	http_reply_bytes(req, 200, "text/plain; charset=utf-8", b->data ? b->data : "",
	    b->data ? b->len : 0);
}

static void
reply_store_error(struct http_request *req, const struct err *err)
{
	int st = err->code == LSN_ENOTFOUND ? 404 : err->code == LSN_EBUSY ? 409 :
	    err->code == LSN_EINVAL ? 400 : 500;

	reply_error(req, st, st == 404 ? "not_found" : st == 409 ? "not_yet" :
	    st == 400 ? "bad_request" : "internal", err->msg);
}

/* The answer of a read of the log: its text, or the error that stopped it. */
static void
reply_log(struct http_request *req, int r, struct buf *b, const struct err *err)
{
	if (r < 0)
		reply_store_error(req, err);
	else
		reply_text(req, b);
	buf_release(b);
}

static void
get_checkpoint(void *arg, const struct route_args *a)
{
	struct peer_call *pc = arg;
	struct err err = ERR_INIT;
	struct buf b = BUF_INIT(64 * 1024);
	int r;

	r = exchange_log_checkpoint(pc->p->ex, pc->p->rd, &b, &err);
	reply_log(pc->req, r, &b, &err);
}

static void
get_proof(void *arg, const struct route_args *a)
{
	struct peer_call *pc = arg;
	const char *q = pc->req->query;
	struct err err = ERR_INIT;
	struct buf b = BUF_INIT(64 * 1024);
	uint64_t seq = 0, size = 0;
	int r, dir;

	dir = strstr(q, "dir=received") ? STORE_IN : strstr(q, "dir=sent") ? STORE_OUT : -1;
	if (dir < 0 || query_u64(q, "seq", &seq) < 0 || query_u64(q, "size", &size) < 0)
		r = err_set(&err, LSN_EINVAL, "a proof is asked for with dir=sent|received, "
		    "seq=N and size=N");
	else
		r = exchange_log_proof(pc->p->ex, pc->p->rd, pc->partner, dir, seq, size, &b, &err);
	reply_log(pc->req, r, &b, &err);
}

static void
get_consistency(void *arg, const struct route_args *a)
{
	struct peer_call *pc = arg;
	const char *q = pc->req->query;
	struct err err = ERR_INIT;
	struct buf b = BUF_INIT(64 * 1024);
	uint64_t size = 0, old = 0;
	int r;

	if (query_u64(q, "old", &old) < 0 || query_u64(q, "size", &size) < 0)
		r = err_set(&err, LSN_EINVAL, "a consistency proof is asked for with old=N and "
		    "size=N");
	else
		r = exchange_log_consistency(pc->p->ex, pc->p->rd, old, size, &b, &err);
	reply_log(pc->req, r, &b, &err);
}

/* The peer API (docs/protocol.md); every row needs the caller's pinned partner key. */
static const struct route peer_routes[] = {
	{ "POST", "/peer/v1/envelopes", post_envelopes, ROUTE_PEER,
	    "use POST for /peer/v1/envelopes" },
	{ "GET", "/peer/v1/hello", get_hello, ROUTE_PEER, "use GET for /peer/v1/hello" },
	{ "POST", "/peer/v1/log/add-checkpoint", post_add_checkpoint, ROUTE_PEER,
	    "use POST for add-checkpoint" },
	{ "GET", "/peer/v1/log/checkpoint", get_checkpoint, ROUTE_PEER,
	    "use GET for the log's reads" },
	{ "GET", "/peer/v1/log/proof", get_proof, ROUTE_PEER, "use GET for the log's reads" },
	{ "GET", "/peer/v1/log/consistency", get_consistency, ROUTE_PEER,
	    "use GET for the log's reads" },
};

/*
 * A standby answers nothing itself: the active daemon holds the sequence
 * numbers, the ledger and the inbox. 503 is what sends a partner to the
 * node's next endpoint at once (docs/protocol.md, "Peer API").
 */
static void
reply_standby(struct peer_api *p, struct http_request *req)
{
	char msg[256];

	snprintf(msg, sizeof(msg), "this daemon of node %s is the standby: use the node's next "
	    "endpoint", p->name);
	http_add_header(req, "Retry-After", "1");
	reply_error(req, 503, "standby", msg);
}

static void
handle(struct http_request *req, void *arg)
{
	struct peer_call pc = { .p = arg, .req = req };
	struct route_match m;
	char path[256];
	int st;

	if (pc.p->standby && strncmp(req->path, "/peer/v1/", 9) == 0) {
		reply_standby(pc.p, req);
		return;
	}
	st = route_lookup(peer_routes, sizeof(peer_routes) / sizeof(peer_routes[0]), req->method,
	    req->path, 0, path, sizeof(path), &m);
	if (st == 404) {
		reply_error(req, 404, "not_found", "the peer API has /peer/v1/envelopes, "
		    "/peer/v1/hello and /peer/v1/log/{add-checkpoint,checkpoint,proof,consistency}");
		return;
	}
	if (st == 405) {
		reply_error(req, 405, "method_not_allowed", m.row->hint);
		return;
	}
	if ((m.hit->rights & ROUTE_PEER) && caller(pc.p, req, &pc.partner, pc.name) < 0)
		return;
	m.hit->fn(&pc, &m.args);
}

static void
framing_error(struct http_request *req, int status, const char *why, void *arg)
{
	struct peer_api *p = arg;

	if (status == 413) {
		uint8_t spki[32];
		int64_t partner;
		char name[65];

		if (http_conn_peer_spki(req->conn, spki) < 0 ||
		    exchange_partner_by_spki(p->ex, spki, &partner, name) < 0)
			snprintf(name, sizeof(name), "%s", req->peer);
		exchange_refused_batch(p->ex, name, REFUSE_TOO_BIG, why);
	}
	reply_error(req, status, status == 413 ? "too_big" : "bad_request", why);
}

static void
tls_failed(const char *peer, const char *why, void *arg)
{
	struct peer_api *p = arg;

	exchange_tls_refused(p->ex, peer, why);
}

int
peer_api_new(struct exchange *ex, struct store *rd, const char *node_name,
    struct peer_api **ret, struct err *err)
{
	struct peer_api *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return err_set(err, LSN_ENOMEM, "peer: out of memory");
	p->ex = ex;
	p->rd = rd;
	snprintf(p->name, sizeof(p->name), "%s", node_name);
	*ret = p;
	return 0;
}

void
peer_api_attach(struct peer_api *p, struct http_server *srv)
{
	p->srv = srv;
}

void
peer_api_app(struct peer_api *p, struct http_app *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->handle = handle;
	ret->error = framing_error;
	ret->tls_failed = tls_failed;
	ret->arg = p;
}

void
peer_api_set_standby(struct peer_api *p, int standby)
{
	p->standby = standby != 0;
}

size_t
peer_api_inflight(const struct peer_api *p)
{
	return p->inflight;
}

void
peer_api_free(struct peer_api *p)
{
	free(p);
}
