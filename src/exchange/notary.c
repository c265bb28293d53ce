/*
 * The ledger over the peer channel. This node signs a checkpoint when its
 * log grew (ex_sign_tick), and each link's notary thread asks the partner
 * to cosign it (c2sp.org/tlog-witness add-checkpoint) and fetches, for every
 * envelope exchanged, the inclusion proof of its entry in the partner's log
 * against a partner checkpoint this node cosigned, kept as a tlog-proof with
 * the envelope. Also the partner-facing side: cosigning (exchange_witness)
 * and the read endpoints. Never parses HTTP.
 */
#include "exchange/exchange_int.h"
#include "util/be.h"
#include "util/buf.h"
#include "util/enc.h"
#include "util/err.h"
#include "util/ts.h"

#include <jansson.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOTARY_POLL_MS 1000
#define PROVE_BATCH 32
#define PROOF_TEXT_MAX (NOTE_MAX + TLOG_PROOF_EXTRA_MAX * 2 + 64 * 50)

/* ---- signing ---- */

struct sign_job {
	struct writer_job job;
	struct exchange *ex;
	uint64_t size;
};

/* Envelopes of a store made before the ledger existed get their leaves first. */
static int
backfill(struct store *s, struct exchange *ex, struct err *err)
{
	struct store_envelope e;
	uint8_t entry[ENV_ENTRY_LEN];
	uint64_t leaf;
	int64_t t;
	int r;

	while ((r = store_env_without_leaf(s, &e, err)) == 0) {
		t = e.created_us;
		if (e.dir == STORE_OUT && e.len >= ENV_HEADER_LEN) {
			struct env_view v;
			size_t used;
			if (env_decode(e.bytes, e.len, &v, &used, err) < 0)
				return r;
			t = v.h.time_us;
		}
		if ((r = env_entry_from_bytes(e.bytes, e.len, e.dir == STORE_OUT ? ENV_ENTRY_SENT :
		    ENV_ENTRY_RECEIVED, t, entry, err)) < 0 ||
		    (r = ledger_append(s, entry, sizeof(entry), &leaf, err)) < 0 ||
		    (r = store_env_set_leaf(s, e.partner, e.dir, e.seq, leaf, err)) < 0)
			return r;
	}
	return r == -LSN_ENOTFOUND ? 0 : r;
}

static int
sign_run(struct store *s, struct writer_job *job)
{
	struct sign_job *j = (struct sign_job *)job;
	int r;

	/* once per start: envelopes of a store made before the ledger existed */
	if (!atomic_load(&j->ex->backfilled) && (r = backfill(s, j->ex, &job->err)) < 0)
		return r;
	return ledger_sign(s, &j->ex->lid, j->ex->cfg.key, clock_now_us(), &j->size, &job->err);
}

static void
sign_done(struct writer_job *job, int rc)
{
	struct sign_job *j = (struct sign_job *)job;
	struct exchange *ex = j->ex;
	uint64_t old = atomic_load(&ex->signed_size);

	if (rc < 0) {
		struct buf m = BUF_INIT(1024);
		buf_add_json_str(&m, job->err.msg, strlen(job->err.msg));
		ex_log(ex, "checkpoint_failed", "\"message\":%s", m.data ? m.data : "\"\"");
		buf_release(&m);
	} else {
		atomic_store(&ex->backfilled, 1);
	}
	if (rc == 0 && j->size != old) {
		atomic_store(&ex->signed_size, j->size);
		pthread_mutex_lock(&ex->mu);
		ex->st.checkpoints_signed++;
		ex->st.log_size = j->size;
		pthread_mutex_unlock(&ex->mu);
		ex_wake_links(ex);
	}
	atomic_store(&ex->sign_inflight, 0);
	free(j);
	ex_async_finished(ex);
}

void
ex_sign_tick(struct exchange *ex)
{
	int64_t now = clock_now_us();
	struct sign_job *j;

	if (atomic_load(&ex->sign_inflight) ||
	    now - ex->last_sign_us < (int64_t)ex->cfg.checkpoint_ms * 1000)
		return;
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return;
	ex->last_sign_us = now;
	j->ex = ex;
	j->job.run = sign_run;
	j->job.done = sign_done;
	j->job.weight = 1;
	atomic_store(&ex->sign_inflight, 1);
	ex_async_submit(ex, &j->job);
}

/* ---- witnessing: asking the partner ---- */

struct accept_job {
	struct ex_sync sync;
	const struct store_partner *p;
	uint64_t size;
	const char *resp;
	size_t len;
};

static int
accept_run(struct store *s, struct writer_job *job)
{
	struct accept_job *j = (struct accept_job *)job;

	return ledger_witness_accept(s, j->p, j->size, j->resp, j->len, &job->err);
}

/* One blocking request to endpoint ep; *ret_status is the HTTP status (0: none). */
static CURLcode
call_at(struct link *l, CURL *c, size_t ep, const char *path, const char *body, size_t len,
    struct buf *reply, long *ret_status, struct err *err)
{
	struct curl_slist *h = NULL;
	char url[EX_URL_MAX];
	CURLcode cc;

	/* one handle per notary, reset between requests: its connection is kept alive */
	buf_reset(reply);
	curl_easy_reset(c);
	ex_client_setup(l, c, ep, path, "text/plain; charset=utf-8", reply, &h, url);
	if (body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	cc = curl_easy_perform(c);
	*ret_status = 0;
	if (cc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, ret_status);
	curl_slist_free_all(h);
	if (cc != CURLE_OK)
		err_set(err, LSN_EIO, "%s: %s", url, curl_easy_strerror(cc));
	else if (*ret_status == 503)
		err_set(err, LSN_EIO, "%s answered HTTP 503: %.120s", url, reply->data ? reply->data : "");
	return cc;
}

/*
 * A request to the partner at the endpoint that last answered, then at
 * each next one while they do not answer or are standbys (a node of
 * several daemons); *ret_status is the HTTP status of the one that
 * answered. Fails naming every endpoint tried.
 */
static int
call(struct link *l, CURL *c, const char *path, const char *body, size_t len, struct buf *reply,
    long *ret_status, struct err *err)
{
	char failed[ERR_MSG_MAX] = "";
	size_t k, ep = ex_client_first(l);
	CURLcode cc = CURLE_OK;

	for (k = 0; k < l->n_ep; k++, ep = (ep + 1) % l->n_ep) {
		cc = call_at(l, c, ep, path, body, len, reply, ret_status, err);
		if (!ex_client_failover(cc, *ret_status))
			break;
		ex_client_tried(failed, sizeof(failed), err->msg);
	}
	if (k == l->n_ep && l->n_ep > 1)
		return err_set(err, LSN_EIO, "no endpoint of partner %s answered: %s", l->p.name,
		    failed);
	if (cc != CURLE_OK)
		return -LSN_EIO;
	/* (the only endpoint answered 503: the caller says what that means) */
	if (k < l->n_ep)
		ex_client_answered(l, ep);
	if (buf_addc(reply, '\0') < 0)
		return err_set(err, LSN_ENOMEM, "exchange: out of memory");
	reply->len--;
	return 0;
}

/* One add-checkpoint round; a 409 is answered once with the size the partner holds. */
static int
witness_once(struct link *l, CURL *c, struct store *rd, struct buf *reply, struct err *err)
{
	struct exchange *ex = l->ex;
	char body[NOTE_MAX + 64 * 50];
	uint64_t old, size;
	size_t len;
	long status = 0;
	int tries, r;

	if ((r = store_cosig_latest(rd, l->p.rowid, &old, err)) < 0)
		return r;
	for (tries = 0; tries < 2; tries++) {
		if ((r = ledger_witness_request(rd, old, body, sizeof(body), &len, &size, err)) < 0)
			return r;
		if ((r = call(l, c, "/peer/v1/log/add-checkpoint", body, len, reply, &status,
		    err)) < 0)
			return r;
		if (status != 409)
			break;
		old = strtoull(reply->data ? reply->data : "0", NULL, 10);
	}
	if (status == 200) {
		struct accept_job j = { .p = &l->p, .size = size, .resp = reply->data,
		    .len = reply->len };
		j.sync.job.run = accept_run;
		j.sync.job.weight = 1;
		if ((r = ex_write_sync(ex, &j.sync)) < 0)
			return err_set(err, -r, "%s", j.sync.job.err.msg);
		l->cosigned = size;
		l->last_witness_us = clock_now_us();
		ex_count(ex, &ex->st.cosignatures_received, 1);
		return 0;
	}
	ex_count(ex, &ex->st.witness_refused, 1);
	return err_set(err, status == 422 ? LSN_ECONFLICT : LSN_EIO, "partner %s answered %ld to "
	    "add-checkpoint for size %" PRIu64 ": %.300s", l->p.name, status, size,
	    reply->data ? reply->data : "");
}

/* ---- proofs of our envelopes in the partner's log ---- */

struct cand {
	uint64_t seq;
	uint8_t entry[ENV_ENTRY_LEN];
	int has_leaf;
	uint64_t leaf;
};

struct collect {
	struct link *l;
	struct store *rd;
	int dir;
	struct cand c[PROVE_BATCH];
	size_t n;
	uint64_t last_seq;
	int stop;
};

/*
 * The partner's entry for e, from our own entry (same header and signature):
 * it received what we sent (at the receipt's time), or sent what we
 * received (at the header's time). No envelope bytes are read.
 */
static int
collect_one(void *arg, const struct store_envelope *e)
{
	struct collect *co = arg;
	struct cand *c = &co->c[co->n];
	struct err err = ERR_INIT;
	struct rcpt rc;
	size_t len;
	int64_t t;

	if (e->proof != NULL) {
		co->last_seq = e->seq;
		return 0;
	}
	if (!e->has_leaf || store_log_entry(co->rd, e->leaf, c->entry, sizeof(c->entry),
	    &len, &err) < 0 || len != ENV_ENTRY_LEN) {
		co->stop = 1;
		return -LSN_EBUSY;            /* not logged yet (a store being upgraded) */
	}
	c->seq = e->seq;
	c->has_leaf = 0;
	if (co->dir == STORE_OUT) {
		if (e->receipt == NULL ||
		    rcpt_open(e->receipt, e->receipt_len, co->l->p.key, &rc, &err) < 0) {
			co->stop = 1;
			return -LSN_EBUSY;
		}
		c->entry[5] = ENV_ENTRY_RECEIVED;
		t = rc.time_us;
		c->has_leaf = 1;
		c->leaf = rc.leaf;
	} else {
		c->entry[5] = ENV_ENTRY_SENT;
		t = (int64_t)be64_get(c->entry + 16 + 80);   /* the header's time, at offset 80 */
	}
	be64_put(c->entry + 8, (uint64_t)t);
	co->last_seq = e->seq;
	return ++co->n == PROVE_BATCH ? -LSN_EBUSY : 0;
}

struct proof_job {
	struct ex_sync sync;
	int64_t partner;
	int dir;
	uint64_t seq;
	const char *text;
	size_t len;
};

static int
proof_run(struct store *s, struct writer_job *job)
{
	struct proof_job *j = (struct proof_job *)job;

	return store_env_set_proof(s, j->partner, j->dir, j->seq, j->text, j->len, &job->err);
}

/* Fetches, checks and stores one proof: 1 stored, 0 not yet possible. */
static int
prove_one(struct link *l, CURL *curl, const struct store_checkpoint *w, int dir,
    const struct cand *c, struct buf *reply, struct err *err)
{
	static const char *const dname[2] = { "received", "sent" };
	merkle_hash h[MERKLE_PROOF_MAX];
	uint8_t leaf[MERKLE_HASH_LEN];
	char path[160], *text;
	size_t n = 0, tlen;
	uint64_t idx = 0;
	long status;
	int r;

	if (c->has_leaf && c->leaf >= w->size)
		return 0;
	/* the partner's view: what we sent, it received */
	snprintf(path, sizeof(path), "/peer/v1/log/proof?dir=%s&seq=%" PRIu64 "&size=%" PRIu64,
	    dname[dir], c->seq, w->size);
	if ((r = call(l, curl, path, NULL, 0, reply, &status, err)) < 0)
		return r;
	if (status == 409)
		return 0;                     /* not in that tree yet */
	if (status != 200)
		return err_set(err, LSN_EIO, "partner %s answered %ld to %s", l->p.name, status, path);
	if ((r = proof_reply_parse(reply->data, reply->len, &idx, h, &n, err)) < 0) {
		err_prefix(err, "partner %s's proof for envelope %" PRIu64 ": ", l->p.name, c->seq);
		return r;
	}
	merkle_leaf_hash(c->entry, ENV_ENTRY_LEN, leaf);
	if (c->has_leaf && idx != c->leaf)
		return err_set(err, LSN_ECONFLICT, "partner %s proves envelope %" PRIu64 " at leaf "
		    "%" PRIu64 " but its receipt names leaf %" PRIu64, l->p.name, c->seq, idx, c->leaf);
	if ((r = merkle_verify_inclusion(idx, w->size, leaf, (const merkle_hash *)h, n, w->root,
	    err)) < 0) {
		err_prefix(err, "partner %s's proof for envelope %" PRIu64 ": ", l->p.name, c->seq);
		return r;
	}
	if ((text = malloc(PROOF_TEXT_MAX)) == NULL)
		return err_set(err, LSN_ENOMEM, "exchange: out of memory");
	r = tlog_proof_format(c->entry, ENV_ENTRY_LEN, idx, (const merkle_hash *)h, n, w->note,
	    w->note_len, text, PROOF_TEXT_MAX, &tlen, err);
	if (r == 0) {
		struct proof_job j = { .partner = l->p.rowid, .dir = dir, .seq = c->seq,
		    .text = text, .len = tlen };
		j.sync.job.run = proof_run;
		j.sync.job.weight = 1;
		if ((r = ex_write_sync(l->ex, &j.sync)) < 0)
			err_set(err, -r, "%s", j.sync.job.err.msg);
	}
	free(text);
	if (r < 0)
		return r;
	ex_count(l->ex, &l->ex->st.proofs_stored, 1);
	return 1;
}

/* Proves the envelopes of one direction in seq order, as far as the witnessed tree allows. */
static int
prove_dir(struct link *l, CURL *h, struct store *rd, int dir, struct buf *reply,
    struct err *err)
{
	struct store_checkpoint w;
	struct collect co;
	struct store_env_query q;
	size_t i;
	int r;

	if ((r = store_ckpt_latest(rd, l->p.rowid, &w, err)) == -LSN_ENOTFOUND)
		return 0;
	if (r < 0)
		return r;
	/* w.note lives in rd's buffer: keep our own copy across the scan */
	char *note = malloc(w.note_len + 1);
	if (note == NULL)
		return err_set(err, LSN_ENOMEM, "exchange: out of memory");
	memcpy(note, w.note, w.note_len);
	w.note = note;
	for (;;) {
		memset(&co, 0, sizeof(co));
		co.l = l;
		co.rd = rd;
		co.dir = dir;
		co.last_seq = l->proved[dir];
		memset(&q, 0, sizeof(q));
		q.partner = l->p.rowid;
		q.dir = dir;
		q.after_seq = l->proved[dir];
		q.max_n = PROVE_BATCH * 4;
		r = store_env_scan(rd, &q, collect_one, &co, err);
		if (r < 0 && r != -LSN_EBUSY)
			break;
		r = 0;
		for (i = 0; i < co.n && r >= 0; i++) {
			if ((r = prove_one(l, h, &w, dir, &co.c[i], reply, err)) == 0)
				break;                /* beyond the witnessed tree: later */
			l->proved[dir] = co.c[i].seq;
		}
		if (r <= 0 || i < co.n)
			break;
		if (co.n == 0) {
			l->proved[dir] = co.last_seq;
			break;
		}
	}
	free(note);
	return r < 0 ? r : 0;
}

/* ---- the partner's agreement hash ---- */

#define HELLO_EVERY_US (30 * INT64_C(1000000))

struct peer_agr_job {
	struct ex_sync sync;
	int64_t partner;
	uint8_t hash[32];
};

static int
peer_agr_run(struct store *s, struct writer_job *job)
{
	struct peer_agr_job *j = (struct peer_agr_job *)job;

	return store_partner_set_agreement(s, j->partner, 1, j->hash, &job->err);
}

struct cert_job {
	struct ex_sync sync;
	int64_t partner, not_after_us;
};

static int
cert_run(struct store *s, struct writer_job *job)
{
	struct cert_job *j = (struct cert_job *)job;

	return store_partner_cert(s, j->partner, j->not_after_us, &job->err);
}

/* Records when the partner's certificate expires, if this handshake showed a new date. */
static void
note_cert(struct link *l, CURL *c)
{
	struct cert_job j = { .partner = l->p.rowid, .not_after_us = ex_client_cert_not_after(c) };

	if (j.not_after_us == 0 || j.not_after_us == l->cert_not_after_us)
		return;
	j.sync.job.run = cert_run;
	j.sync.job.weight = 1;
	if (ex_write_sync(l->ex, &j.sync) == 0)
		l->cert_not_after_us = j.not_after_us;
}

/* Asks the partner which agreement it holds (GET /peer/v1/hello) and keeps the answer. */
static int
hello(struct link *l, CURL *c, struct buf *reply, struct err *err)
{
	struct peer_agr_job j = { .partner = l->p.rowid };
	const char *hex;
	json_error_t je;
	json_t *doc;
	long status;
	int r;

	char path[128], mine[65] = "";
	uint8_t h[32];

	/* tell the partner which agreement this node holds, as it tells us its own */
	if (exchange_agreement_hash(l->ex, l->p.rowid, h) == 0)
		hex_encode(h, 32, mine);
	snprintf(path, sizeof(path), "/peer/v1/hello%s%s", mine[0] ? "?agreement_sha256=" : "", mine);
	if ((r = call(l, c, path, NULL, 0, reply, &status, err)) < 0)
		return r;
	note_cert(l, c);
	if (status != 200 || (doc = json_loadb(reply->data, reply->len, 0, &je)) == NULL)
		return err_set(err, LSN_EIO, "partner %s answered %ld to hello", l->p.name, status);
	hex = json_string_value(json_object_get(doc, "agreement_sha256"));
	r = hex != NULL && strlen(hex) == 64 ? hex_decode(hex, 64, j.hash, 32) : -1;
	json_decref(doc);
	if (r < 0)
		return 0;                     /* it has not loaded one yet */
	if (l->has_peer_hash && memcmp(l->peer_hash, j.hash, 32) == 0)
		return 0;
	j.sync.job.run = peer_agr_run;
	j.sync.job.weight = 1;
	if ((r = ex_write_sync(l->ex, &j.sync)) < 0)
		return err_set(err, -r, "%s", j.sync.job.err.msg);
	memcpy(l->peer_hash, j.hash, 32);
	l->has_peer_hash = 1;
	return 0;
}

void *
link_notary_main(void *arg)
{
	struct link *l = arg;
	struct exchange *ex = l->ex;
	struct buf reply = BUF_INIT(1024 * 1024);
	struct store *rd = NULL;
	struct err err = ERR_INIT;
	char last_err[ERR_MSG_MAX] = "";
	int stop, changed, r;

	CURL *c = curl_easy_init();

	if (c == NULL || store_open(ex->cfg.store_spec, 0, &rd, &err) < 0) {
		ex_log_msg(ex, "notary_failed", l->p.name, c ? err.msg : "out of memory");
		if (c != NULL)
			curl_easy_cleanup(c);
		return NULL;
	}
	for (;;) {
		int64_t now = clock_now_us();
		int due = atomic_load(&ex->signed_size) > l->cosigned ||
		    now - l->last_witness_us > (int64_t)ex->cfg.heartbeat_s * 1000000;

		err_clear(&err);
		r = 0;
		pthread_mutex_lock(&l->mu);
		changed = l->agr_changed;
		l->agr_changed = 0;
		pthread_mutex_unlock(&l->mu);
		if (now - l->last_hello_us > HELLO_EVERY_US || changed) {
			if ((r = hello(l, c, &reply, &err)) == 0)
				l->last_hello_us = now;
		}
		if (r == 0 && due && atomic_load(&ex->signed_size) > 0)
			r = witness_once(l, c, rd, &reply, &err);
		if (r == 0)
			r = prove_dir(l, c, rd, STORE_OUT, &reply, &err);
		if (r == 0)
			r = prove_dir(l, c, rd, STORE_IN, &reply, &err);
		if (r < 0 && strcmp(err.msg, last_err) != 0) {
			ex_log_msg(ex, err.code == LSN_ECONFLICT ? "ledger_alarm" : "notary_error",
			    l->p.name, err.msg);
			if (err.code != LSN_EIO)
				ex_count(ex, &ex->st.proof_failures, 1);
		}
		snprintf(last_err, sizeof(last_err), "%s", r < 0 ? err.msg : "");
		pthread_mutex_lock(&l->mu);
		if (!l->stopping)
			link_wait_ms(l, NOTARY_POLL_MS);
		stop = l->stopping;
		pthread_mutex_unlock(&l->mu);
		if (stop)
			break;
	}
	store_close(rd);
	curl_easy_cleanup(c);
	buf_release(&reply);
	return NULL;
}

/* ---- the partner-facing side ---- */

static void
peer_agr_async_done(struct writer_job *job, int rc)
{
	free(job);
}

void
exchange_peer_agreement(struct exchange *ex, int64_t partner, const uint8_t hash[static 32])
{
	/* the same job as hello's, not waited for: its sync part stays unused */
	struct peer_agr_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		return;                       /* the partner's next hello says it again */
	j->partner = partner;
	memcpy(j->hash, hash, 32);
	j->sync.job.run = peer_agr_run;
	j->sync.job.done = peer_agr_async_done;
	j->sync.job.weight = 1;
	writer_submit(ex->cfg.w, &j->sync.job);
}

struct witness_job {
	struct writer_job job;
	struct exchange *ex;
	int64_t partner;
	char *body;
	size_t len;
	struct exchange_witness_answer a;
	void (*done)(void *arg, const struct exchange_witness_answer *a);
	void *arg;
};

static int
witness_run(struct store *s, struct writer_job *job)
{
	struct witness_job *j = (struct witness_job *)job;
	struct ledger_witness_out out;
	struct store_partner p;
	struct err err = ERR_INIT;
	int r;

	if ((r = store_partner_get(s, j->partner, &p, &job->err)) < 0)
		return r;
	if ((r = ledger_witness_add(s, &j->ex->lid, j->ex->cfg.key, &p, j->body, j->len,
	    clock_now_us(), &out, &err)) < 0) {
		job->err = err;
		return r;
	}
	j->a.status = out.status;
	j->a.size = out.size;
	snprintf(j->a.line, sizeof(j->a.line), "%s", out.line);
	snprintf(j->a.message, sizeof(j->a.message), "%s", err.msg);
	if (out.equivocation) {
		ex_count(j->ex, &j->ex->st.equivocations, 1);
		ex_log_msg(j->ex, "equivocation", p.name, err.msg);
	}
	return 0;
}

static void
witness_done(struct writer_job *job, int rc)
{
	struct witness_job *j = (struct witness_job *)job;
	struct exchange *ex;

	if (rc < 0) {
		j->a.status = 500;
		snprintf(j->a.message, sizeof(j->a.message), "%s", job->err.msg);
	} else if (j->a.status == 200) {
		ex_count(j->ex, &j->ex->st.witness_cosigned, 1);
	}
	j->done(j->arg, &j->a);
	ex = j->ex;
	free(j->body);
	free(j);
	ex_async_finished(ex);
}

int
exchange_witness(struct exchange *ex, int64_t partner, const char *body, size_t len,
    void (*done)(void *arg, const struct exchange_witness_answer *a), void *arg, struct err *err)
{
	struct witness_job *j = calloc(1, sizeof(*j));

	if (j == NULL || (j->body = malloc(len + 1)) == NULL) {
		free(j);
		return err_set(err, LSN_ENOMEM, "exchange: out of memory");
	}
	memcpy(j->body, body, len);
	j->body[len] = '\0';
	j->len = len;
	j->ex = ex;
	j->partner = partner;
	j->done = done;
	j->arg = arg;
	j->job.run = witness_run;
	j->job.done = witness_done;
	j->job.weight = 1;
	ex_async_submit(ex, &j->job);
	return 0;
}

int
exchange_log_checkpoint(struct exchange *ex, struct store *rd, struct buf *out, struct err *err)
{
	char note[NOTE_MAX];
	size_t len;
	int r;

	(void)ex;
	if ((r = ledger_checkpoint_note(rd, 0, note, sizeof(note), &len, NULL, err)) < 0)
		return r;
	return buf_add(out, note, len) < 0 ? err_set(err, LSN_ENOMEM, "out of memory") : 0;
}

static int
add_hashes(struct buf *out, const merkle_hash *h, size_t n)
{
	char b64[64];
	size_t i;

	for (i = 0; i < n; i++) {
		b64_encode(h[i], MERKLE_HASH_LEN, b64, 0);
		if (buf_printf(out, "%s\n", b64) < 0)
			return -LSN_ENOMEM;
	}
	return 0;
}

/* A size this node signed a checkpoint for (proofs are only given against those). */
static int
signed_size(struct store *rd, uint64_t size, struct err *err)
{
	struct store_checkpoint c;
	int r = store_ckpt_get(rd, 0, size, &c, err);

	if (r == -LSN_ENOTFOUND)
		return err_set(err, LSN_ENOTFOUND, "this node signed no checkpoint of size %" PRIu64,
		    size);
	return r;
}

/*
 * Proofs read a few dozen tree rows: one read transaction for all of them
 * (one lock instead of one per row), and the loop's cache for the levels
 * that are the same for every proof.
 */
static int
inclusion(struct exchange *ex, struct store *rd, uint64_t idx, uint64_t size, merkle_hash *h,
    size_t *n, struct err *err)
{
	struct ledger_src src = { rd, ex->cache };
	int txn = store_read_begin(rd, err) == 0, r;

	r = merkle_inclusion_proof(idx, size, ledger_node_cached, &src, h, n, err);
	if (txn)
		store_read_end(rd);
	return r;
}

int
exchange_log_proof(struct exchange *ex, struct store *rd, int64_t partner, int dir,
    uint64_t seq, uint64_t size, struct buf *out, struct err *err)
{
	struct store_envelope e;
	merkle_hash h[MERKLE_PROOF_MAX];
	char text[64 * (MERKLE_PROOF_MAX + 1)];
	size_t n, len;
	int r;

	if ((r = signed_size(rd, size, err)) < 0)
		return r;
	if ((r = store_env_get(rd, partner, dir, seq, 0, &e, err)) < 0)
		return r;
	if (!e.has_leaf || e.leaf >= size)
		return err_set(err, LSN_EBUSY, "envelope %" PRIu64 " is not in the tree of size %"
		    PRIu64 " yet", seq, size);

	if ((r = inclusion(ex, rd, e.leaf, size, h, &n, err)) < 0 ||
	    (r = proof_reply_format(e.leaf, (const merkle_hash *)h, n, text, sizeof(text), &len,
	    err)) < 0)
		return r;
	return buf_add(out, text, len) < 0 ? err_set(err, LSN_ENOMEM, "out of memory") : 0;
}

int
exchange_log_consistency(struct exchange *ex, struct store *rd, uint64_t old_size,
    uint64_t size, struct buf *out, struct err *err)
{
	merkle_hash h[MERKLE_PROOF_MAX];
	struct ledger_src src = { rd, ex->cache };
	size_t n;
	int r, txn;

	if ((r = signed_size(rd, size, err)) < 0)
		return r;
	txn = store_read_begin(rd, err) == 0;
	r = merkle_consistency_proof(old_size, size, ledger_node_cached, &src, h, &n, err);
	if (txn)
		store_read_end(rd);
	if (r < 0)
		return r;
	return add_hashes(out, (const merkle_hash *)h, n) < 0 ?
	    err_set(err, LSN_ENOMEM, "out of memory") : 0;
}
