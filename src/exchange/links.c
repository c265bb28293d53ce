/*
 * Finding links and what they hold, for every thread: by partner row, by
 * TLS key, their agreement's hash and terms, and waking them. Never starts,
 * stops or frees a link (only the hub does, on the loop thread).
 */
#include "exchange/exchange_int.h"
#include "util/enc.h"
#include "util/err.h"

#include <stdio.h>
#include <string.h>

struct link *
ex_link_find(struct exchange *ex, int64_t partner)
{
	struct link *l;

	for (l = ex->links; l != NULL; l = l->next)
		if (l->p.rowid == partner)
			return l;
	return NULL;
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
	if ((l = ex_link_find(ex, partner)) != NULL) {
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

int
exchange_agreement_hash(struct exchange *ex, int64_t partner, uint8_t out[static 32])
{
	struct link *l;
	int r = -LSN_ENOTFOUND;

	pthread_mutex_lock(&ex->mu);
	if ((l = ex_link_find(ex, partner)) != NULL) {
		pthread_mutex_lock(&l->mu);
		if (l->agr_loaded) {
			memcpy(out, l->agr_hash, 32);
			r = 0;
		}
		pthread_mutex_unlock(&l->mu);
	}
	pthread_mutex_unlock(&ex->mu);
	return r;
}

/* The terms are copied under l->mu, as ex_link_agreement swaps them under it. */
int
exchange_terms(struct exchange *ex, const char *partner, struct agr_hotline *ret,
    struct err *err)
{
	struct link *l;
	int r = -LSN_ENOTFOUND;

	pthread_mutex_lock(&ex->mu);
	for (l = ex->links; l != NULL && strcmp(l->p.name, partner) != 0; l = l->next)
		;
	if (l != NULL) {
		pthread_mutex_lock(&l->mu);
		/* a link whose first agreement file was unreadable holds no terms yet */
		if (l->agr.a[0] != '\0') {
			*ret = l->agr.hotline;
			r = 0;
		}
		pthread_mutex_unlock(&l->mu);
	}
	pthread_mutex_unlock(&ex->mu);
	if (r < 0)
		return err_set(err, LSN_ENOTFOUND, "the exchange holds no terms for partner '%.64s'",
		    partner);
	return 0;
}
