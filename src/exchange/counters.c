/*
 * The exchange's counters and event log lines, beneath every other file of
 * the folder: each thread counts and logs through here. Only counts and
 * formats; never blocks on anything but ex->mu, never touches a link's mu
 * while holding it except to read the queue (lock order: l->mu, ex->mu).
 */
#include "exchange/exchange_int.h"
#include "util/buf.h"
#include "util/log.h"

#include <stdarg.h>
#include <string.h>

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

void
ex_log_msg(struct exchange *ex, const char *event, const char *partner, const char *msg)
{
	struct buf m = BUF_INIT(4096);

	buf_add_json_str(&m, msg, strlen(msg));
	ex_log(ex, event, "\"partner\":\"%s\",\"message\":%s", partner, m.data ? m.data : "\"\"");
	buf_release(&m);
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
