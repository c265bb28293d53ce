/* Shared only by the files of src/exchange: the exchange, its links and their threads. */
#ifndef LSN_EXCHANGE_EXCHANGE_INT_H
#define LSN_EXCHANGE_EXCHANGE_INT_H

#include "exchange/exchange.h"
#include "store/store.h"
#include "store/writer.h"

#include "ledger/ledger.h"
#include "policy/policy.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>

struct buf;

/*
 * One partner's link. The packer owns out_seq (it alone assigns outgoing
 * sequence numbers) and the share cursors; the sender owns next_send.
 * mu guards the flags and counters both threads and the loop touch.
 */
struct link {
	struct exchange *ex;
	struct link *next;
	struct store_partner p;       /* as loaded when the link started */
	char pin[64];                 /* "sha256//BASE64" for libcurl */
	/* p.endpoint split (client.c): tried in order from the one that last answered */
	char ep_buf[STORE_ENDPOINT_MAX];
	const char *ep[STORE_ENDPOINTS_MAX];
	size_t n_ep;                  /* at least 1 */
	atomic_int ep_ok;             /* the endpoint that last answered; -1: none yet */
	pthread_t packer, sender, notary;
	int packer_started, sender_started, notary_started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stopping;
	int pack_wanted;              /* new objects may be waiting */
	uint64_t committed_seq;       /* highest outgoing seq whose envelope is stored */
	uint64_t acked_seq;           /* highest seq whose receipt is stored */
	size_t jobs_in_flight;        /* writer jobs not yet done */
	unsigned long long retries;   /* consecutive failed deliveries */
	size_t batch_limit;           /* bytes per request; shrinks if the partner answers 413 */
	int heard;                    /* the partner just delivered to us: it is up */
	/* inbox, loop thread only */
	uint64_t in_next;             /* seq after the last envelope submitted (from the store at start) */
	struct accept_req parked;     /* a batch that waits for its predecessor */
	int64_t parked_since_us;
	int has_parked;
	int submitting;               /* a batch of this partner is being submitted */
	/* terms (agreements.c): agr and agr_hash under mu; the rest loop thread only */
	struct agreement agr;
	uint8_t agr_hash[32];
	int agr_loaded;
	int64_t agr_mtime;
	int agr_changed;              /* the notary tells the partner soon (hello) */
	/* notary thread (notary.c) */
	int64_t last_hello_us;
	uint8_t peer_hash[32];        /* the agreement hash the partner last said it holds */
	int has_peer_hash;
	int64_t cert_not_after_us;    /* the partner's certificate as last recorded */
	uint64_t cosigned;            /* largest of our sizes the partner is known to have cosigned */
	int64_t last_witness_us;      /* last add-checkpoint answered 200 */
	uint64_t proved[2];           /* per direction: envelopes 1..N have a proof (or were skipped) */
};

struct exchange {
	struct exchange_config cfg;
	uint8_t pub[32], key_id[32];
	struct ledger_id lid;
	_Atomic uint64_t signed_size;     /* this node's latest signed checkpoint */
	atomic_int sign_inflight;
	atomic_int backfilled;            /* every envelope has its leaf (checked once per start) */
	int64_t last_sign_us;             /* loop thread */
	struct ledger_cache *cache;       /* loop thread: subtree hashes for the proofs it serves */
	pthread_mutex_t mu;           /* links list and stats */
	struct link *links;
	struct exchange_stats st;
	int async_jobs;               /* under mu: writer jobs not waited for, still to finish */
	pthread_cond_t async_cv;      /* signalled when one of them finishes */
};

/*
 * The files beneath the hub (exchange.c), each calling only files below it:
 *   counters.c  ex_count, ex_log, ex_log_msg, refusal names, stats
 *   sync.c      ex_write_sync, link_wait_ms
 *   links.c     ex_link_find, waking links, the terms they hold
 *   client.c    ex_client_new, ex_client_setup
 *   agreements.c, evidence_export.c, verify.c
 *   outbox.c (packer), deliver.c (sender), notary.c, inbox.c
 */

/* Counters: add under ex->mu. */
void ex_count(struct exchange *ex, unsigned long long *field, unsigned long long n);
/* One JSON log line {"time":..,"event":..,<extra>}; extra is raw JSON members. */
void ex_log(struct exchange *ex, const char *event, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The same with the members "partner" and "message" (msg, JSON-escaped). */
void ex_log_msg(struct exchange *ex, const char *event, const char *partner, const char *msg);

/* The link of partner row partner, or NULL. Caller holds ex->mu or is the loop thread. */
struct link *ex_link_find(struct exchange *ex, int64_t partner);

/*
 * A writer job nobody waits for whose done() uses ex: submitted with
 * ex_async_submit, its done() calls ex_async_finished last, and
 * exchange_free waits for every such job (ex_async_drain) before it frees
 * what they use. The writer runs until after exchange_free.
 */
void ex_async_submit(struct exchange *ex, struct writer_job *job);
void ex_async_finished(struct exchange *ex);
void ex_async_drain(struct exchange *ex);

/* A writer job a link thread waits for: embed it first in the job's struct. */
struct ex_sync {
	struct writer_job job;        /* the caller sets run and weight */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int finished;
};
/* Submits s->job and waits until it committed (or failed); returns its rc. */
int ex_write_sync(struct exchange *ex, struct ex_sync *s);

/* The partner delivered to us: a sender waiting out a backoff tries again now. */
void exchange_heard_from(struct exchange *ex, int64_t partner);

#define PARK_MAX_MS 2000
/* Answers a link's parked batch with "send again" (loop thread; before the link stops). */
void exchange_unpark_all(struct exchange *ex, struct link *l);
/* Loop thread: runs every parked batch that waited more than PARK_MAX_MS before now_us. */
void ex_unpark_due(struct exchange *ex, int64_t now_us);

void *link_packer_main(void *arg);
void *link_sender_main(void *arg);
void *link_notary_main(void *arg);

#define EX_URL_MAX (STORE_ENDPOINT_MAX + 256)

/*
 * A pinned, client-certified libcurl handle for one peer API path at
 * endpoint ep (an index into l->ep) of the link's partner.
 */
CURL *ex_client_new(struct link *l, size_t ep, const char *path, const char *content_type,
    struct buf *reply, struct curl_slist **ret_hdrs, char url[EX_URL_MAX]);
/* The same on a handle being reused (after curl_easy_reset: its connections stay). */
void ex_client_setup(struct link *l, CURL *c, size_t ep, const char *path,
    const char *content_type, struct buf *reply, struct curl_slist **ret_hdrs,
    char url[EX_URL_MAX]);
/*
 * After a transfer on c that made a new TLS connection: the notAfter of the
 * partner's certificate in microseconds; 0 when the connection was reused.
 */
int64_t ex_client_cert_not_after(CURL *c);
/* Points a set-up handle at endpoint ep (the same path). */
void ex_client_url(struct link *l, CURL *c, size_t ep, const char *path, char url[EX_URL_MAX]);

/*
 * Endpoints (a partner may run several daemons, one of them active):
 * ex_client_endpoints splits l->p.endpoint at link start;
 * ex_client_first is the endpoint to try first (the one that last
 * answered); ex_client_answered records that endpoint ep answered (and
 * logs link_endpoint when that changes); ex_client_failover says whether
 * a request's outcome sends the next one to the next endpoint: nothing
 * answered (connection, TLS, timeout) or HTTP 503 (a standby, or a node
 * out of resources).
 */
void ex_client_endpoints(struct link *l);
size_t ex_client_first(struct link *l);
void ex_client_answered(struct link *l, size_t ep);
int ex_client_failover(CURLcode cc, long status);
/*
 * Appends "; what" (without "; " when failed is empty) to failed, a buffer
 * of cap bytes naming the endpoints tried so far; cut short when full.
 */
void ex_client_tried(char *failed, size_t cap, const char *what);
/* Loop thread: signs a checkpoint when one is due (called by exchange_tick). */
void ex_sign_tick(struct exchange *ex);
/* An object refused at the border, kept to be written to the policy log. */
struct ex_refusal {
	char id[STIX_ID_MAX + 1];
	char version[40];
	enum policy_rule rule;
	char reason[256];
};
/* Writes n refusals of one partner and direction to the policy log (in a writer job). */
int ex_record_refusals(struct store *s, int64_t partner, int dir, const struct ex_refusal *r,
    size_t n, struct err *err);

/*
 * Loop thread: reads the link's agreement file again if it changed. A
 * partner without one (paired before agreements existed) gets the default
 * terms with the collections it is already shared, written down; rd is the
 * loop's read connection.
 */
void ex_link_agreement(struct link *l, struct store *rd);
/* Wakes every link's threads (a checkpoint was signed). */
void ex_wake_links(struct exchange *ex);
/* Waits on the link's condition variable for at most ms (mu held). */
void link_wait_ms(struct link *l, int ms);

#endif
