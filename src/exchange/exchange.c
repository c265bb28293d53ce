/*
 * The exchange's hub: creates and frees the exchange, starts and stops the
 * partner links as partners are added and removed (exchange_reload), and
 * routes the loop's tick. Counters, logs, lookups and the client live in the
 * files beneath it (exchange_int.h). Never parses HTTP.
 */
#include "exchange/exchange_int.h"
#include "util/buf.h"
#include "util/enc.h"
#include "util/err.h"
#include "util/ts.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	pthread_cond_init(&ex->async_cv, NULL);
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
	l->cert_not_after_us = p->cert_not_after_us;
	ex_client_endpoints(l);
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

/* link_started, with the endpoints in the order they are tried ("endpoint": the first). */
static void
log_started(struct link *l)
{
	struct buf first = BUF_INIT(2 * STORE_ENDPOINT_MAX), eps = BUF_INIT(4 * STORE_ENDPOINT_MAX);
	size_t i;

	buf_add_json_str(&first, l->ep[0], strlen(l->ep[0]));
	for (i = 0; i < l->n_ep; i++) {
		buf_addc(&eps, i ? ',' : '[');
		buf_add_json_str(&eps, l->ep[i], strlen(l->ep[i]));
	}
	buf_addc(&eps, ']');
	ex_log(l->ex, "link_started", "\"partner\":\"%s\",\"endpoint\":%s,\"endpoints\":%s,"
	    "\"out_seq\":%llu,\"acked\":%llu,\"in_seq\":%llu", l->p.name,
	    first.data ? first.data : "\"\"", eps.data ? eps.data : "[]",
	    (unsigned long long)l->p.out_seq, (unsigned long long)l->p.out_acked,
	    (unsigned long long)l->p.in_seq);
	buf_release(&first);
	buf_release(&eps);
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
		if (!ps[i].active || ex_link_find(ex, ps[i].rowid) != NULL)
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
		log_started(l);
	}
	free(ps);
	return r;
}

/* Loop thread: a checkpoint when one is due, then the batches that waited long enough. */
void
exchange_tick(struct exchange *ex)
{
	int64_t now = clock_now_us();

	ex_sign_tick(ex);
	ex_unpark_due(ex, now);
}

void
exchange_key_id(const struct exchange *ex, uint8_t out[static 32])
{
	memcpy(out, ex->key_id, 32);
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
	ex_async_drain(ex);
	pthread_cond_destroy(&ex->async_cv);
	pthread_mutex_destroy(&ex->mu);
	ledger_cache_free(ex->cache);
	free(ex);
	curl_global_cleanup();
}
