/*
 * The peer API client: a libcurl handle pinned to one partner's TLS key and
 * presenting this node's certificate, for the sender and the notary, and
 * the choice among the partner's endpoints (one per daemon of a node that
 * runs several). Only sets a handle up, keeps which endpoint answered and
 * reads when the certificate a handshake showed expires; never performs a
 * transfer or reads its reply.
 */
#include "exchange/exchange_int.h"
#include "util/buf.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

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
ex_client_new(struct link *l, size_t ep, const char *path, const char *content_type,
    struct buf *reply, struct curl_slist **ret_hdrs, char url[EX_URL_MAX])
{
	CURL *c = curl_easy_init();

	if (c != NULL)
		ex_client_setup(l, c, ep, path, content_type, reply, ret_hdrs, url);
	return c;
}

void
ex_client_url(struct link *l, CURL *c, size_t ep, const char *path, char url[EX_URL_MAX])
{
	snprintf(url, EX_URL_MAX, "%s%s", l->ep[ep < l->n_ep ? ep : 0], path);
	curl_easy_setopt(c, CURLOPT_URL, url);        /* libcurl keeps its own copy */
}

void
ex_client_setup(struct link *l, CURL *c, size_t ep, const char *path, const char *content_type,
    struct buf *reply, struct curl_slist **ret_hdrs, char url[EX_URL_MAX])
{
	const struct exchange_config *cfg = &l->ex->cfg;
	struct curl_slist *h = NULL;
	char ct[128];

	snprintf(ct, sizeof(ct), "Content-Type: %s", content_type);
	h = curl_slist_append(h, ct);
	h = curl_slist_append(h, "Accept: application/json");
	*ret_hdrs = h;
	ex_client_url(l, c, ep, path, url);
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
	/* the certificate's fields, read after a handshake (its expiry, for the dashboard) */
	curl_easy_setopt(c, CURLOPT_CERTINFO, 1L);
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

int64_t
ex_client_cert_not_after(CURL *c)
{
	struct curl_certinfo *ci = NULL;
	struct curl_slist *f;
	struct tm tm;
	const char *v, *end;
	time_t t;

	/* libcurl (OpenSSL) writes "Expire date:Dec  7 21:06:13 2027 GMT" for the leaf */
	if (curl_easy_getinfo(c, CURLINFO_CERTINFO, &ci) != CURLE_OK || ci == NULL ||
	    ci->num_of_certs < 1)
		return 0;
	for (f = ci->certinfo[0]; f != NULL; f = f->next) {
		if (strncmp(f->data, "Expire date:", 12) != 0)
			continue;
		memset(&tm, 0, sizeof(tm));
		v = f->data + 12;
		end = strptime(v, "%b %d %H:%M:%S %Y GMT", &tm);
		if (end == NULL || *end != '\0' || (t = timegm(&tm)) == (time_t)-1 || t <= 0)
			return 0;
		return (int64_t)t * 1000000;
	}
	return 0;
}

/* ---- the partner's endpoints ---- */

void
ex_client_endpoints(struct link *l)
{
	l->n_ep = store_endpoints_split(l->p.endpoint, l->ep_buf, sizeof(l->ep_buf), l->ep);
	if (l->n_ep == 0) {
		/* a row without an endpoint: every request fails with libcurl's reason */
		l->ep_buf[0] = '\0';
		l->ep[0] = l->ep_buf;
		l->n_ep = 1;
	}
	atomic_store(&l->ep_ok, -1);
}

size_t
ex_client_first(struct link *l)
{
	int ok = atomic_load(&l->ep_ok);

	return ok < 0 ? 0 : (size_t)ok;
}

void
ex_client_answered(struct link *l, size_t ep)
{
	int was = atomic_exchange(&l->ep_ok, (int)ep);
	struct buf m = BUF_INIT(2 * STORE_ENDPOINT_MAX + 64);

	if (was == (int)ep)
		return;
	buf_add_json_str(&m, l->ep[ep], strlen(l->ep[ep]));
	if (was >= 0) {
		buf_adds(&m, ",\"previous\":");
		buf_add_json_str(&m, l->ep[was], strlen(l->ep[was]));
	}
	ex_log(l->ex, "link_endpoint", "\"partner\":\"%s\",\"index\":%zu,\"endpoint\":%s",
	    l->p.name, ep, m.data ? m.data : "\"\"");
	buf_release(&m);
}

int
ex_client_failover(CURLcode cc, long status)
{
	switch (cc) {
	case CURLE_OK:
		return status == 503;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
		return 1;
	default:
		/* our own handle or cert, a reply too large, a stopping link: the same anywhere */
		return 0;
	}
}

void
ex_client_tried(char *failed, size_t cap, const char *what)
{
	size_t len = strlen(failed);

	if (len + 1 < cap)
		snprintf(failed + len, cap - len, "%s%s", len ? "; " : "", what);
}
