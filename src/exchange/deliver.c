/*
 * The sender of one link: posts the outbox's envelopes to the partner's
 * peer listener in sequence order, in batches, over one kept-alive TLS 1.3
 * connection whose server key is pinned; checks every receipt against the
 * partner's key and the envelope it answers, and stores it. A partner that
 * cannot be reached at one endpoint (or whose daemon there is a standby)
 * is tried at its next one at once; when none answers, delivery retries
 * with exponential backoff and jitter; after a restart delivery resumes at
 * the first envelope without a receipt (the partner answers a resent one
 * with the receipt it gave before).
 */
#include "exchange/exchange_int.h"
#include "util/buf.h"
#include "util/enc.h"
#include "util/err.h"
#include "util/ts.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEND_ENVS_MAX 64
#define REPLY_MAX (1024 * 1024)

struct batch {
	struct buf post;              /* the envelopes, back to back */
	uint64_t seq[SEND_ENVS_MAX];
	uint8_t id[SEND_ENVS_MAX][ENV_ID_LEN];
	uint32_t items[SEND_ENVS_MAX];
	size_t n;
};

static int
batch_add(void *arg, const struct store_envelope *e)
{
	struct batch *b = arg;

	if (b->n == SEND_ENVS_MAX)
		return -LSN_ETOOBIG;
	if (buf_add(&b->post, e->bytes, e->len) < 0)
		return -LSN_ETOOBIG;
	b->seq[b->n] = e->seq;
	memcpy(b->id[b->n], e->id, ENV_ID_LEN);
	b->items[b->n] = e->items;
	b->n++;
	return 0;
}

/* ---- receipts, stored by the writer without the sender waiting ---- */

struct rcpt_job {
	struct writer_job job;
	struct link *l;
	size_t n;
	uint64_t seq[SEND_ENVS_MAX];
	uint8_t rc[SEND_ENVS_MAX][RCPT_LEN];
	int64_t contact_us;
	char error[STORE_ERROR_MAX];  /* health only: n == 0 */
	int has_error;
	uint64_t retries;
};

static int
rcpt_run(struct store *s, struct writer_job *job)
{
	struct rcpt_job *j = (struct rcpt_job *)job;
	int64_t now = clock_now_us();
	size_t i;
	int r;

	for (i = 0; i < j->n; i++)
		if ((r = store_env_set_receipt(s, j->l->p.rowid, j->seq[i], j->rc[i], RCPT_LEN, now,
		    &job->err)) < 0)
			return r;
	return store_partner_health(s, j->l->p.rowid, j->contact_us, j->has_error ? j->error : "",
	    j->has_error ? now : 0, j->retries, &job->err);
}

static void
rcpt_done(struct writer_job *job, int rc)
{
	struct rcpt_job *j = (struct rcpt_job *)job;
	struct link *l = j->l;

	if (rc < 0)
		ex_log(l->ex, "receipt_store_failed", "\"partner\":\"%s\"", l->p.name);
	pthread_mutex_lock(&l->mu);
	if (rc == 0 && j->n > 0 && j->seq[j->n - 1] > l->acked_seq)
		l->acked_seq = j->seq[j->n - 1];
	l->jobs_in_flight--;
	pthread_cond_broadcast(&l->cv);
	pthread_mutex_unlock(&l->mu);
	free(j);
}

static void
submit_rcpt_job(struct link *l, struct rcpt_job *j)
{
	j->job.run = rcpt_run;
	j->job.done = rcpt_done;
	j->job.weight = j->n ? j->n : 1;
	j->l = l;
	pthread_mutex_lock(&l->mu);
	l->jobs_in_flight++;
	pthread_mutex_unlock(&l->mu);
	writer_submit(l->ex->cfg.w, &j->job);
}

/* ---- the HTTP exchange ---- */

#define ENVELOPES_PATH "/peer/v1/envelopes"

static CURL *
client_new(struct link *l, size_t ep, struct buf *reply, struct curl_slist **ret_hdrs,
    char url[EX_URL_MAX])
{
	return ex_client_new(l, ep, ENVELOPES_PATH, EXCHANGE_MEDIA, reply, ret_hdrs, url);
}

/* Reads one receipt of the reply and checks it answers envelope i of the batch. */
static int
check_receipt(struct link *l, const struct batch *b, size_t i, const char *b64,
    uint8_t out[RCPT_LEN], struct err *err)
{
	struct rcpt r;
	size_t n = 0;

	if (b64_decode(b64, strlen(b64), out, RCPT_LEN, &n, 0) < 0 || n != RCPT_LEN)
		return err_set(err, LSN_EINVAL, "receipt %zu is not %d bytes of base64", i, RCPT_LEN);
	if (rcpt_open(out, RCPT_LEN, l->p.key, &r, err) < 0)
		return -LSN_EBADSIG;
	if (r.seq != b->seq[i] || memcmp(r.env_id, b->id[i], ENV_ID_LEN) != 0 ||
	    memcmp(r.from, l->ex->key_id, 32) != 0 || memcmp(r.to, l->p.key_id, 32) != 0)
		return err_set(err, LSN_EINVAL, "receipt %zu does not answer envelope %llu", i,
		    (unsigned long long)b->seq[i]);
	return 0;
}

/*
 * The reply: {"receipts":[base64...], "refused":{...}}. Fills j with the
 * receipts that verified; returns -LSN_E* with the partner's reason if an
 * envelope was refused or a receipt is wrong.
 */
static int
read_reply(struct link *l, const struct batch *b, const struct buf *reply, struct rcpt_job *j,
    struct err *err)
{
	json_error_t je;
	json_t *doc, *rs, *ref;
	size_t i;
	int r = 0;

	doc = json_loadb(reply->data ? reply->data : "", reply->len, JSON_REJECT_DUPLICATES, &je);
	if (doc == NULL)
		return err_set(err, LSN_EINVAL, "the partner's reply is not JSON: %s", je.text);
	rs = json_object_get(doc, "receipts");
	if (!json_is_array(rs) || json_array_size(rs) > b->n) {
		r = err_set(err, LSN_EINVAL, "the partner's reply has no valid 'receipts' list");
		goto out;
	}
	for (i = 0; i < json_array_size(rs); i++) {
		const char *s = json_string_value(json_array_get(rs, i));
		if (s == NULL || (r = check_receipt(l, b, i, s, j->rc[i], err)) < 0) {
			if (s == NULL)
				r = err_set(err, LSN_EINVAL, "receipt %zu is not a string", i);
			goto out;
		}
		j->seq[i] = b->seq[i];
		j->n++;
	}
	ref = json_object_get(doc, "refused");
	if (json_is_object(ref))
		r = err_set(err, LSN_EDENIED, "the partner refused envelope %lld (%s): %s",
		    (long long)json_integer_value(json_object_get(ref, "seq")),
		    json_string_value(json_object_get(ref, "reason")) ?: "?",
		    json_string_value(json_object_get(ref, "message")) ?: "");
out:
	json_decref(doc);
	return r;
}

/* A failed attempt: health, counters, and how long to wait before the next. */
static int
backoff_ms(struct link *l, const struct err *err)
{
	const struct exchange_config *cfg = &l->ex->cfg;
	struct rcpt_job *j = calloc(1, sizeof(*j));
	long long d = cfg->retry_min_ms;
	uint32_t rnd = 0;
	unsigned long long k;
	struct buf m = BUF_INIT(1024);

	l->retries++;
	for (k = 1; k < l->retries && d < cfg->retry_max_ms; k++)
		d *= 2;
	if (d > cfg->retry_max_ms)
		d = cfg->retry_max_ms;
	cx_random(&rnd, sizeof(rnd));
	d = d / 2 + (long long)(rnd % (uint32_t)(d / 2 + 1)); /* jitter: [d/2, d] */
	buf_add_json_str(&m, err->msg, strlen(err->msg));
	ex_log(l->ex, "delivery_failed", "\"partner\":\"%s\",\"attempt\":%llu,\"retry_in_ms\":%lld,"
	    "\"message\":%s", l->p.name, l->retries, d, m.data ? m.data : "\"\"");
	buf_release(&m);
	pthread_mutex_lock(&l->ex->mu);
	l->ex->st.retries++;
	l->ex->st.send_failures++;
	pthread_mutex_unlock(&l->ex->mu);
	if (j != NULL) {
		snprintf(j->error, sizeof(j->error), "%s", err->msg);
		j->has_error = 1;
		j->retries = l->retries;
		submit_rcpt_job(l, j);
	}
	return (int)d;
}

/*
 * A finished transfer of batch b to endpoint ep: 0 on success (receipts
 * queued), <0 with err on failure (receipts that did verify are queued all
 * the same).
 */
static int
complete(struct link *l, const char *ep, CURL *c, CURLcode cc, struct batch *b,
    struct buf *reply, struct err *err)
{
	struct rcpt_job *j;
	long status = 0;
	size_t i, objs = 0;
	int r;

	if (cc != CURLE_OK)
		return err_set(err, LSN_EIO, "cannot reach %s: %s", ep, curl_easy_strerror(cc));
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (status == 413 && l->batch_limit > 1) {
		/* the partner takes smaller batches than we send: send fewer envelopes */
		l->batch_limit /= 4;
	}
	if (status != 200)
		return err_set(err, LSN_EIO, "%s answered HTTP %ld: %.*s", ep, status,
		    status == 503 ? 120 : 200, reply->data ? reply->data : "");
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return err_set(err, LSN_ENOMEM, "exchange: out of memory");
	r = read_reply(l, b, reply, j, err);
	j->contact_us = clock_now_us();
	j->retries = r < 0 ? l->retries + 1 : 0;
	if (r < 0 && j->n == 0) {
		free(j);
		return r;
	}
	for (i = 0; i < j->n; i++)
		objs += b->items[i];
	pthread_mutex_lock(&l->ex->mu);
	l->ex->st.envelopes_sent += j->n;
	l->ex->st.receipts += j->n;
	l->ex->st.objects_sent += objs;
	pthread_mutex_unlock(&l->ex->mu);
	submit_rcpt_job(l, j);
	return r;
}

/* Waits until there is something to send (or ms passed, if ms > 0). */
static int
wait_to_send(struct link *l, uint64_t next, int ms)
{
	int stop;

	pthread_mutex_lock(&l->mu);
	if (ms > 0) {
		int64_t until = clock_now_us() + (int64_t)ms * 1000;
		l->heard = 0;
		while (!l->stopping && !l->heard && clock_now_us() < until)
			link_wait_ms(l, (int)((until - clock_now_us()) / 1000) + 1);
	}
	while (!l->stopping && next > l->committed_seq)
		pthread_cond_wait(&l->cv, &l->mu);
	stop = l->stopping;
	pthread_mutex_unlock(&l->mu);
	return stop;
}

static uint64_t
acked(struct link *l)
{
	uint64_t a;

	pthread_mutex_lock(&l->mu);
	/* resending an envelope whose receipt is being stored is harmless */
	a = l->acked_seq;
	pthread_mutex_unlock(&l->mu);
	return a;
}

/*
 * Two batches in flight, each on its own kept-alive connection, so the
 * partner checks one while it commits the other and we read the next from
 * the store meanwhile. Answers are taken in order: the oldest first.
 */
#define WINDOW 2

struct slot {
	CURL *c;
	struct curl_slist *hdrs;
	struct batch b;
	struct buf reply;
	int busy, finished;
	CURLcode cc;
};

struct sender {
	struct link *l;
	struct store *rd;
	CURLM *m;
	struct slot slot[WINDOW];
	unsigned head, count;         /* the oldest busy slot, and how many are busy */
	uint64_t next;                /* the next seq to put into a batch */
	size_t ep;                    /* the endpoint every slot's handle points at */
	size_t tried;                 /* endpoints that failed since one last answered */
	int failover;                 /* the last failure was this endpoint's: try the next */
	char failed[ERR_MSG_MAX];     /* what each of them said */
};

static uint64_t
committed(struct link *l, int *ret_stop)
{
	uint64_t c;

	pthread_mutex_lock(&l->mu);
	c = l->committed_seq;
	*ret_stop = l->stopping;
	pthread_mutex_unlock(&l->mu);
	return c;
}

/* Reads the batch starting at sd->next into a free slot and starts it. */
static int
start_batch(struct sender *sd, struct err *err)
{
	struct link *l = sd->l;
	struct slot *sl = &sd->slot[(sd->head + sd->count) % WINDOW];
	struct store_env_query q = { 0 };
	struct batch *b = &sl->b;

	buf_reset(&b->post);
	b->n = 0;
	q.partner = l->p.rowid;
	q.dir = STORE_OUT;
	q.after_seq = sd->next - 1;
	q.flags = STORE_ENV_BYTES;
	q.max_n = SEND_ENVS_MAX;
	q.max_bytes = l->batch_limit;
	if (store_env_scan(sd->rd, &q, batch_add, b, err) < 0)
		return -LSN_EIO;
	if (b->n == 0 || b->seq[0] != sd->next)
		return err_set(err, LSN_EINTERNAL, "the outbox has no envelope %llu",
		    (unsigned long long)sd->next);
	buf_reset(&sl->reply);
	curl_easy_setopt(sl->c, CURLOPT_POSTFIELDS, b->post.data);
	curl_easy_setopt(sl->c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)b->post.len);
	if (curl_multi_add_handle(sd->m, sl->c) != CURLM_OK)
		return err_set(err, LSN_EINTERNAL, "libcurl could not start a request");
	sl->busy = 1;
	sl->finished = 0;
	sd->count++;
	sd->next = b->seq[b->n - 1] + 1;
	return 0;
}

/* Drops every request in flight (after a failure: their answers no longer matter). */
static void
cancel_all(struct sender *sd)
{
	unsigned i;

	for (i = 0; i < WINDOW; i++) {
		if (sd->slot[i].busy)
			curl_multi_remove_handle(sd->m, sd->slot[i].c);
		sd->slot[i].busy = sd->slot[i].finished = 0;
	}
	sd->count = 0;
}

static void
collect_finished(struct sender *sd)
{
	struct CURLMsg *msg;
	unsigned i;
	int left;

	while ((msg = curl_multi_info_read(sd->m, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		for (i = 0; i < WINDOW; i++) {
			if (sd->slot[i].busy && sd->slot[i].c == msg->easy_handle) {
				sd->slot[i].finished = 1;
				sd->slot[i].cc = msg->data.result;
			}
		}
	}
}

/* Completes the oldest requests that finished; <0 on the first failure. */
static int
complete_in_order(struct sender *sd, struct err *err)
{
	struct slot *sl;
	int r;

	while (sd->count > 0 && (sl = &sd->slot[sd->head])->finished) {
		curl_multi_remove_handle(sd->m, sl->c);
		sl->busy = sl->finished = 0;
		sd->head = (sd->head + 1) % WINDOW;
		sd->count--;
		if ((r = complete(sd->l, sd->l->ep[sd->ep], sl->c, sl->cc, &sl->b, &sl->reply,
		    err)) < 0) {
			long status = 0;
			if (sl->cc == CURLE_OK)
				curl_easy_getinfo(sl->c, CURLINFO_RESPONSE_CODE, &status);
			sd->failover = ex_client_failover(sl->cc, status);
			if (!sd->failover && sl->cc == CURLE_OK)
				ex_client_answered(sd->l, sd->ep);   /* it answered, if not as hoped */
			return r;
		}
		sd->l->retries = 0;
		sd->tried = 0;
		sd->failed[0] = '\0';
		ex_client_answered(sd->l, sd->ep);
	}
	return 0;
}

/* Points every slot's handle at endpoint ep (none is busy). */
static void
point_slots(struct sender *sd, size_t ep)
{
	char url[EX_URL_MAX];
	unsigned i;

	sd->ep = ep;
	for (i = 0; i < WINDOW; i++)
		ex_client_url(sd->l, sd->slot[i].c, ep, ENVELOPES_PATH, url);
}

/*
 * After a failed request: 0 to send at once to the partner's next endpoint
 * when this one did not answer (or is a standby) and some are untried;
 * else the backoff, with an error naming every endpoint tried, and the
 * next round starts at the endpoint that last answered.
 */
static int
after_failure(struct sender *sd, struct err *err)
{
	struct link *l = sd->l;
	struct buf m = BUF_INIT(2 * ERR_MSG_MAX);

	if (!sd->failover) {
		sd->tried = 0;
		sd->failed[0] = '\0';
		return backoff_ms(l, err);
	}
	ex_client_tried(sd->failed, sizeof(sd->failed), err->msg);
	if (++sd->tried < l->n_ep) {
		buf_add_json_str(&m, err->msg, strlen(err->msg));
		ex_log(l->ex, "endpoint_failed", "\"partner\":\"%s\",\"index\":%zu,\"next\":%zu,"
		    "\"message\":%s", l->p.name, sd->ep, (sd->ep + 1) % l->n_ep,
		    m.data ? m.data : "\"\"");
		buf_release(&m);
		point_slots(sd, (sd->ep + 1) % l->n_ep);
		return 0;
	}
	if (l->n_ep > 1)
		err_set(err, LSN_EIO, "no endpoint of partner %s answered: %s", l->p.name, sd->failed);
	sd->tried = 0;
	sd->failed[0] = '\0';
	point_slots(sd, ex_client_first(l));
	return backoff_ms(l, err);
}

static int
sender_init(struct sender *sd, struct link *l, struct err *err)
{
	const struct exchange_config *cfg = &l->ex->cfg;
	char url[EX_URL_MAX];
	unsigned i;

	memset(sd, 0, sizeof(*sd));
	sd->l = l;
	sd->ep = ex_client_first(l);
	if (store_open(cfg->store_spec, 0, &sd->rd, err) < 0 || (sd->m = curl_multi_init()) == NULL)
		return -LSN_EIO;
	for (i = 0; i < WINDOW; i++) {
		struct slot *sl = &sd->slot[i];
		buf_init(&sl->reply, REPLY_MAX);
		buf_init(&sl->b.post, cfg->batch_bytes + ENV_BODY_MAX + 4096);
		if ((sl->c = client_new(l, sd->ep, &sl->reply, &sl->hdrs, url)) == NULL)
			return err_set(err, LSN_EINTERNAL, "libcurl could not make a handle");
	}
	l->batch_limit = cfg->batch_bytes;
	sd->next = acked(l) + 1;
	return 0;
}

static void
sender_release(struct sender *sd)
{
	unsigned i;

	cancel_all(sd);
	for (i = 0; i < WINDOW; i++) {
		if (sd->slot[i].c != NULL)
			curl_easy_cleanup(sd->slot[i].c);
		curl_slist_free_all(sd->slot[i].hdrs);
		buf_release(&sd->slot[i].reply);
		buf_release(&sd->slot[i].b.post);
	}
	if (sd->m != NULL)
		curl_multi_cleanup(sd->m);
	store_close(sd->rd);
}

void *
link_sender_main(void *arg)
{
	struct link *l = arg;
	struct err err = ERR_INIT;
	struct sender *sd = calloc(1, sizeof(*sd));
	int delay = 0, stop = 0, running;

	if (sd == NULL || sender_init(sd, l, &err) < 0) {
		ex_log(l->ex, "link_error", "\"partner\":\"%s\",\"message\":\"the sender cannot "
		    "start\"", l->p.name);
		goto out;
	}
	for (;;) {
		if (sd->count == 0) {
			if (wait_to_send(l, sd->next, delay))
				break;
			delay = 0;
		}
		/* between rounds, start where the link last got an answer (the notary may know) */
		if (sd->count == 0 && sd->tried == 0 && sd->ep != ex_client_first(l))
			point_slots(sd, ex_client_first(l));
		while (sd->count < WINDOW && sd->next <= committed(l, &stop) && !stop &&
		    start_batch(sd, &err) == 0)
			;
		if (stop)
			break;
		if (sd->count == 0) {
			/* the outbox could not be read: wait and start over from the receipts */
			delay = backoff_ms(l, &err);
			sd->next = acked(l) + 1;
			continue;
		}
		curl_multi_perform(sd->m, &running);
		collect_finished(sd);
		if (complete_in_order(sd, &err) < 0) {
			cancel_all(sd);
			delay = after_failure(sd, &err);
			sd->next = acked(l) + 1;
			continue;
		}
		if (sd->count > 0 && !sd->slot[sd->head].finished)
			curl_multi_poll(sd->m, NULL, 0, 10, NULL);
	}
out:
	if (sd != NULL)
		sender_release(sd);
	free(sd);
	return NULL;
}
