/*
 * The peer API client: a libcurl handle pinned to one partner's TLS key and
 * presenting this node's certificate, for the sender and the notary. Only
 * sets a handle up; never performs a transfer or reads its reply.
 */
#include "exchange/exchange_int.h"
#include "util/buf.h"

#include <curl/curl.h>
#include <stdio.h>

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;

	return buf_add(b, p, size * n) < 0 ? 0 : size * n;
}

/* Lets a stopping daemon abandon a slow delivery: the envelopes stay queued. */
static int
on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct link *l = arg;
	int stop;

	pthread_mutex_lock(&l->mu);
	stop = l->stopping;
	pthread_mutex_unlock(&l->mu);
	return stop;
}

CURL *
ex_client_new(struct link *l, const char *path, const char *content_type, struct buf *reply,
    struct curl_slist **ret_hdrs, char url[512])
{
	CURL *c = curl_easy_init();

	if (c != NULL)
		ex_client_setup(l, c, path, content_type, reply, ret_hdrs, url);
	return c;
}

void
ex_client_setup(struct link *l, CURL *c, const char *path, const char *content_type,
    struct buf *reply, struct curl_slist **ret_hdrs, char url[512])
{
	const struct exchange_config *cfg = &l->ex->cfg;
	struct curl_slist *h = NULL;
	char ct[128];

	snprintf(url, 512, "%s%s", l->p.endpoint, path);
	snprintf(ct, sizeof(ct), "Content-Type: %s", content_type);
	h = curl_slist_append(h, ct);
	h = curl_slist_append(h, "Accept: application/json");
	*ret_hdrs = h;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_SSLCERT, cfg->tls_cert);
	curl_easy_setopt(c, CURLOPT_SSLKEY, cfg->tls_key);
	curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_3);
	/*
	 * The partner's certificate is self-signed: trust comes from the pin of
	 * its key that the operator confirmed by fingerprint, not from a CA or
	 * a host name. libcurl checks the pin whether or not VERIFYPEER is on.
	 */
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	curl_easy_setopt(c, CURLOPT_PINNEDPUBLICKEY, l->pin);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)cfg->timeout_ms);
	curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, reply);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	/*
	 * Large batches go with "Expect: 100-continue" (libcurl's default past
	 * 1 MiB): a partner that takes smaller batches answers 413 before the
	 * body is sent, so we learn it instead of a broken connection.
	 */
	curl_easy_setopt(c, CURLOPT_EXPECT_100_TIMEOUT_MS, 2000L);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, l);
}
