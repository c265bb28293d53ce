/*
 * The exchange: the set of partner links the daemon runs, the pins the peer
 * listener checks, counters and event logs. Links start and stop as partners
 * are added and removed (exchange_reload). Never parses HTTP.
 */
#include "exchange/exchange_int.h"
#include "util/log.h"
#include "util/buf.h"
#include "util/enc.h"
#include "util/err.h"
#include "util/ts.h"

#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const refusal_names[REFUSE_MAX] = {
	[REFUSE_NONE] = "none",
	[REFUSE_MALFORMED] = "malformed",
	[REFUSE_BAD_SIGNATURE] = "bad_signature",
	[REFUSE_WRONG_SENDER] = "wrong_sender",
	[REFUSE_WRONG_RECIPIENT] = "wrong_recipient",
	[REFUSE_GAP] = "gap",
	[REFUSE_REPLAY] = "replay",
	[REFUSE_TOO_BIG] = "too_big",
	[REFUSE_UNSUPPORTED] = "unsupported",
	[REFUSE_STORE] = "store",
};

const char *
exchange_refusal_name(enum exchange_refusal r)
{
	return r < REFUSE_MAX ? refusal_names[r] : "unknown";
}

void
ex_count(struct exchange *ex, unsigned long long *field, unsigned long long n)
{
	pthread_mutex_lock(&ex->mu);
	*field += n;
	pthread_mutex_unlock(&ex->mu);
}

void
ex_log(struct exchange *ex, const char *event, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emitv(ex->cfg.log, ex->cfg.log_arg, event, fmt, ap);
	va_end(ap);
}

static void
sync_done(struct writer_job *job, int rc)
{
	struct ex_sync *s = (struct ex_sync *)job;

	pthread_mutex_lock(&s->mu);
	s->finished = 1;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

int
ex_write_sync(struct exchange *ex, struct ex_sync *s)
{
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	s->finished = 0;
	s->job.done = sync_done;
	writer_submit(ex->cfg.w, &s->job);
	pthread_mutex_lock(&s->mu);
	while (!s->finished)
		pthread_cond_wait(&s->cv, &s->mu);
	pthread_mutex_unlock(&s->mu);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	return s->job.rc;
}

void
link_wait_ms(struct link *l, int ms)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000L;
	until.tv_sec += until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	pthread_cond_timedwait(&l->cv, &l->mu, &until);
}

int
exchange_new(const struct exchange_config *cfg, struct exchange **ret, struct err *err)
{
	struct exchange *ex;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return err_set(err, LSN_EINTERNAL, "exchange: libcurl could not be initialised");
	ex = calloc(1, sizeof(*ex));
	if (ex == NULL)
		return err_set(err, LSN_ENOMEM, "exchange: out of memory");
	ex->cfg = *cfg;
	cx_key_public(cfg->key, ex->pub);
	env_key_id(ex->pub, ex->key_id);
	if (ex->cfg.checkpoint_ms <= 0)
		ex->cfg.checkpoint_ms = 1000;
	if (ex->cfg.heartbeat_s <= 0)
		ex->cfg.heartbeat_s = 300;
	if (ledger_id_init(&ex->lid, cfg->node_name ? cfg->node_name : "node", ex->pub, err) < 0) {
		free(ex);
		return -LSN_EINVAL;
	}
	if ((ex->cache = ledger_cache_new()) == NULL) {
		free(ex);
		return err_set(err, LSN_ENOMEM, "exchange: out of memory");
	}
	pthread_mutex_init(&ex->mu, NULL);
	*ret = ex;
	return 0;
}

static int
link_start(struct exchange *ex, struct store *rd, const struct store_partner *p,
    struct link **ret, struct err *err)
{
	struct link *l = calloc(1, sizeof(*l));
	char b64[64];

	if (l == NULL)
		return err_set(err, LSN_ENOMEM, "exchange: out of memory");
	l->ex = ex;
	l->p = *p;
	b64_encode(p->spki, 32, b64, 0);
	snprintf(l->pin, sizeof(l->pin), "sha256//%s", b64);
	l->committed_seq = p->out_seq;
	l->acked_seq = p->out_acked;
	l->in_next = p->in_seq + 1;
	l->pack_wanted = 1;
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->cv, NULL);
	/* the terms before the threads: nothing crosses under no agreement */
	ex_link_agreement(l, rd);
	if (pthread_create(&l->packer, NULL, link_packer_main, l) == 0)
		l->packer_started = 1;
	if (l->packer_started && pthread_create(&l->sender, NULL, link_sender_main, l) == 0)
		l->sender_started = 1;
	if (l->sender_started && pthread_create(&l->notary, NULL, link_notary_main, l) == 0)
		l->notary_started = 1;
	if (!l->notary_started) {
		*ret = l;
		return err_set(err, LSN_EIO, "exchange: cannot start the threads of partner %s", p->name);
	}
	*ret = l;
	return 0;
}

static void
link_stop(struct link *l)
{
	pthread_mutex_lock(&l->mu);
	l->stopping = 1;
	pthread_cond_broadcast(&l->cv);
	pthread_mutex_unlock(&l->mu);
	if (l->packer_started)
		pthread_join(l->packer, NULL);
	if (l->sender_started)
		pthread_join(l->sender, NULL);
	if (l->notary_started)
		pthread_join(l->notary, NULL);
	/* Receipts the sender queued are still being committed: wait for them. */
	pthread_mutex_lock(&l->mu);
	while (l->jobs_in_flight > 0)
		pthread_cond_wait(&l->cv, &l->mu);
	pthread_mutex_unlock(&l->mu);
	pthread_mutex_destroy(&l->mu);
	pthread_cond_destroy(&l->cv);
	free(l);
}

void
ex_wake_links(struct exchange *ex)
{
	struct link *l;

	/*
	 * Without l->mu (lock order: threads take l->mu, then ex->mu to count):
	 * a wake-up can be missed, and the notary then polls within a second.
	 */
	pthread_mutex_lock(&ex->mu);
	for (l = ex->links; l != NULL; l = l->next)
		pthread_cond_broadcast(&l->cv);
	pthread_mutex_unlock(&ex->mu);
}

static struct link *
find_link(struct exchange *ex, int64_t partner)
{
	struct link *l;

	for (l = ex->links; l != NULL; l = l->next)
		if (l->p.rowid == partner)
			return l;
	return NULL;
}

/* Links whose partner is gone or changed its endpoint are stopped first. */
static void
stop_stale(struct exchange *ex, const struct store_partner *ps, size_t n)
{
	struct link **pl = &ex->links, *l;
	size_t i;

	while ((l = *pl) != NULL) {
		int keep = 0;
		for (i = 0; i < n; i++)
			if (ps[i].rowid == l->p.rowid && ps[i].active &&
			    strcmp(ps[i].endpoint, l->p.endpoint) == 0)
				keep = 1;
		if (keep) {
			pl = &l->next;
			continue;
		}
		/* a parked batch runs while its partner is still known; the stop follows */
		exchange_unpark_all(ex, l);
		pthread_mutex_lock(&ex->mu);
		*pl = l->next;
		ex->st.links--;
		pthread_mutex_unlock(&ex->mu);
		ex_log(ex, "link_stopped", "\"partner\":\"%s\"", l->p.name);
		link_stop(l);
	}
}

int
exchange_reload(struct exchange *ex, struct store *rd, struct err *err)
{
	struct store_partner *ps = NULL;
	struct link *l;
	size_t i, n = 0;
	int r;

	if ((r = store_partner_list(rd, &ps, &n, err)) < 0)
		return r;
	stop_stale(ex, ps, n);
	for (l = ex->links; l != NULL; l = l->next)
		ex_link_agreement(l, rd);     /* a stat() each: new terms take effect within RELOAD_MS */
	for (i = 0; i < n && r == 0; i++) {
		if (!ps[i].active || find_link(ex, ps[i].rowid) != NULL)
			continue;
		l = NULL;
		r = link_start(ex, rd, &ps[i], &l, err);
		if (r < 0) {
			if (l != NULL)
				link_stop(l);
			break;
		}
		pthread_mutex_lock(&ex->mu);
		l->next = ex->links;
		ex->links = l;
		ex->st.links++;
		pthread_mutex_unlock(&ex->mu);
		ex_log(ex, "link_started", "\"partner\":\"%s\",\"endpoint\":\"%s\",\"out_seq\":%llu,"
		    "\"acked\":%llu,\"in_seq\":%llu", ps[i].name, ps[i].endpoint,
		    (unsigned long long)ps[i].out_seq, (unsigned long long)ps[i].out_acked,
		    (unsigned long long)ps[i].in_seq);
	}
	free(ps);
	return r;
}

void
exchange_notify(struct exchange *ex)
{
	struct link *l;

	pthread_mutex_lock(&ex->mu);
	for (l = ex->links; l != NULL; l = l->next) {
		pthread_mutex_lock(&l->mu);
		l->pack_wanted = 1;
		pthread_cond_broadcast(&l->cv);
		pthread_mutex_unlock(&l->mu);
	}
	pthread_mutex_unlock(&ex->mu);
}

void
exchange_heard_from(struct exchange *ex, int64_t partner)
{
	struct link *l;

	pthread_mutex_lock(&ex->mu);
	if ((l = find_link(ex, partner)) != NULL) {
		pthread_mutex_lock(&l->mu);
		l->heard = 1;
		pthread_cond_broadcast(&l->cv);
		pthread_mutex_unlock(&l->mu);
	}
	pthread_mutex_unlock(&ex->mu);
}

int
exchange_partner_by_spki(struct exchange *ex, const uint8_t spki[static 32],
    int64_t *ret_partner, char ret_name[static 65])
{
	struct link *l;
	int r = -LSN_ENOTFOUND;

	pthread_mutex_lock(&ex->mu);
	for (l = ex->links; l != NULL; l = l->next) {
		if (memcmp(l->p.spki, spki, 32) == 0) {
			*ret_partner = l->p.rowid;
			snprintf(ret_name, 65, "%s", l->p.name);
			r = 0;
			break;
		}
	}
	pthread_mutex_unlock(&ex->mu);
	return r;
}

int
exchange_pinned(struct exchange *ex, const uint8_t spki[static 32])
{
	int64_t p;
	char name[65];
	char hex[65];

	if (exchange_partner_by_spki(ex, spki, &p, name) == 0)
		return 1;
	hex_encode(spki, 32, hex);
	/* counted once, with every failed handshake, by exchange_tls_refused */
	ex_log(ex, "peer_refused", "\"reason\":\"unknown_certificate\",\"spki_sha256\":\"%s\","
	    "\"message\":\"the client's TLS key is not pinned to any partner\"", hex);
	return 0;
}

void
exchange_tls_refused(struct exchange *ex, const char *peer, const char *why)
{
	struct buf b = BUF_INIT(1024);

	buf_add_json_str(&b, why, strlen(why));
	ex_count(ex, &ex->st.tls_refused, 1);
	ex_log(ex, "peer_tls_failed", "\"peer\":\"%s\",\"message\":%s", peer,
	    b.data ? b.data : "\"\"");
	buf_release(&b);
}

void
exchange_refused_batch(struct exchange *ex, const char *partner, enum exchange_refusal why,
    const char *message)
{
	struct buf b = BUF_INIT(1024);

	buf_add_json_str(&b, message, strlen(message));
	pthread_mutex_lock(&ex->mu);
	ex->st.refused[why < REFUSE_MAX ? why : REFUSE_MALFORMED]++;
	pthread_mutex_unlock(&ex->mu);
	ex_log(ex, "batch_refused", "\"partner\":\"%s\",\"reason\":\"%s\",\"message\":%s", partner,
	    exchange_refusal_name(why), b.data ? b.data : "\"\"");
	buf_release(&b);
}

void
exchange_key_id(const struct exchange *ex, uint8_t out[static 32])
{
	memcpy(out, ex->key_id, 32);
}

void
exchange_get_stats(struct exchange *ex, struct exchange_stats *ret)
{
	struct link *l;

	pthread_mutex_lock(&ex->mu);
	*ret = ex->st;
	ret->queue = 0;
	for (l = ex->links; l != NULL; l = l->next) {
		pthread_mutex_lock(&l->mu);
		ret->queue += l->committed_seq - l->acked_seq;
		pthread_mutex_unlock(&l->mu);
	}
	pthread_mutex_unlock(&ex->mu);
}

void
exchange_free(struct exchange *ex)
{
	struct link *l;

	if (ex == NULL)
		return;
	while ((l = ex->links) != NULL) {
		ex->links = l->next;
		link_stop(l);
	}
	pthread_mutex_destroy(&ex->mu);
	ledger_cache_free(ex->cache);
	free(ex);
	curl_global_cleanup();
}
