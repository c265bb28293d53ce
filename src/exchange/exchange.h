/*
 * Links to partner nodes (DESIGN §3): the outbox side packs objects added
 * to shared collections into signed envelopes, stores them durably and
 * delivers them in order with retries; the inbox side verifies envelopes a
 * partner posted, stores them with their objects and signs receipts.
 *
 * Threads: each active partner has a packer and a sender thread, each with
 * its own read connection; every write goes through the writer thread. The
 * inbox functions and exchange_reload run on the loop thread; the rest are
 * thread-safe. Knows nothing of HTTP: the peer API in http/ hands it bytes.
 */
#ifndef LSN_EXCHANGE_EXCHANGE_H
#define LSN_EXCHANGE_EXCHANGE_H

#include <stddef.h>
#include <stdint.h>

#include "wire/envelope.h"
#include "policy/policy.h"
#include "store/store.h"
#include "util/err.h"
#include "util/log.h"

struct err;
struct store;
struct writer;
struct buf;
struct cx_key;

#define EXCHANGE_MEDIA "application/vnd.liaison.envelopes"

struct exchange_config {
	const char *store_spec;       /* opens the links' read connections */
	const struct cx_key *key;     /* the node's signing key, borrowed */
	const char *tls_cert;         /* client certificate and key for peer links */
	const char *tls_key;
	struct writer *w;             /* borrowed */
	size_t envelope_objects;      /* most objects in one envelope */
	size_t envelope_bytes;        /* most body bytes in one envelope */
	size_t batch_bytes;           /* most bytes in one delivery (and accepted in one) */
	int pack_delay_ms;            /* wait this long after new objects, to batch */
	int retry_min_ms, retry_max_ms;
	int timeout_ms;               /* one delivery request */
	const char *node_name;        /* names this node's log (ledger_id_init) */
	const char *agreements_dir;   /* <home>/agreements: one <partner>.conf each */
	int checkpoint_ms;            /* sign a checkpoint at most this often (when the log grew) */
	int heartbeat_s;              /* ask partners to cosign again at least this often */
	/* One JSON object per line (events); may be NULL. Called from any thread. */
	log_fn log;
	void *log_arg;
	/*
	 * The hotline (hotline/), or NULL: envelopes of the case kinds are then
	 * refused as unsupported. Called on the writer thread, inside the
	 * transaction that stores the envelope, before its objects and receipt:
	 * 0 the step was taken in, 1 it is refused (err says why: the envelope
	 * is kept as evidence, its objects are not stored and the receipt counts
	 * them refused), <0 the store failed (the envelope is not stored).
	 */
	int (*on_case_envelope)(void *arg, struct store *s, const struct store_partner *p,
	    const struct agr_hotline *terms, int env_kind, uint64_t seq, const uint8_t *body,
	    size_t len, int64_t now_us, struct err *err);
	void *case_arg;
};

struct exchange;

int exchange_new(const struct exchange_config *cfg, struct exchange **ret, struct err *err);
/* Stops every link (waiting for its writes in flight); call before writer_free. */
void exchange_free(struct exchange *ex);

/*
 * Starts links for active partners that have none and stops links of
 * partners that were removed; rd is the loop's read connection. Cheap when
 * nothing changed: call it after start-up, on SIGHUP and every 250 ms.
 */
int exchange_reload(struct exchange *ex, struct store *rd, struct err *err);
/* Objects were committed to some collection: wake the packers. */
void exchange_notify(struct exchange *ex);

/* 1 if spki is the TLS key of an active partner (the peer listener's pin). */
int exchange_pinned(struct exchange *ex, const uint8_t spki[static 32]);
/* The active partner with that TLS key: its rowid and name, or -LSN_ENOTFOUND. */
int exchange_partner_by_spki(struct exchange *ex, const uint8_t spki[static 32],
    int64_t *ret_partner, char ret_name[static 65]);

/* This node's key id (SHA-256 of its public key). */
void exchange_key_id(const struct exchange *ex, uint8_t out[static 32]);

/* ---- the inbox: one POSTed batch of envelopes ---- */

/* Why an envelope was refused; stable names for logs, counters and the wire. */
enum exchange_refusal {
	REFUSE_NONE = 0,
	REFUSE_MALFORMED,             /* framing, lengths, fields, body hash */
	REFUSE_BAD_SIGNATURE,
	REFUSE_WRONG_SENDER,          /* `from` is not the partner of this TLS connection */
	REFUSE_WRONG_RECIPIENT,       /* `to` is not this node */
	REFUSE_GAP,                   /* seq beyond the next expected */
	REFUSE_REPLAY,                /* seq already used by another envelope */
	REFUSE_TOO_BIG,
	REFUSE_UNSUPPORTED,           /* a kind this node does not accept yet */
	REFUSE_STORE,                 /* the store failed: try again later */
	REFUSE_MAX
};
const char *exchange_refusal_name(enum exchange_refusal r);

struct exchange_batch {
	/* filled by exchange_accept's completion */
	size_t n_receipts;            /* receipts of the leading envelopes accepted (new or resent) */
	uint8_t (*receipts)[RCPT_LEN];
	uint64_t *seqs;
	enum exchange_refusal refusal;/* of the first envelope not accepted, REFUSE_NONE if all were */
	uint64_t refused_seq;         /* 0 if it could not be decoded */
	char message[256];
};

/* One POSTed batch; every pointer must stay valid until done is called. */
struct accept_req {
	const uint8_t *data;
	size_t len;
	void (*done)(void *arg, struct exchange_batch *b);
	void *arg;
	/* runs fn(arg) on the calling (loop) thread soon, after other events */
	void (*defer)(void *ctx, void (*fn)(void *), void *arg);
	void *defer_arg;
};

/*
 * Accepts the envelopes of one batch from partner (the rowid the TLS pin
 * named): checked one per turn of the loop (through defer) and stored, each
 * with its objects and receipt in one transaction, stopping at the first
 * refusal. done(arg, b) is called once, on the writer thread or on the loop
 * thread; the callee owns b (NULL if memory ran out: answer with an error)
 * and frees it with exchange_batch_free. Returns -LSN_E* only if nothing
 * could be started (then done is not called).
 */
int exchange_accept(struct exchange *ex, int64_t partner, const struct accept_req *rq,
    struct err *err);
void exchange_batch_free(struct exchange_batch *b);
/*
 * Loop thread, a few times a second: a batch that arrived ahead of its
 * predecessor and waited too long for it is run now (and refused as a gap).
 */
void exchange_tick(struct exchange *ex);

/* ---- the ledger over the peer channel (notary.c) ---- */

struct exchange_witness_answer {
	int status;                   /* 200, 400, 403, 404, 409, 422, or 500 */
	uint64_t size;                /* 409: the size this node last cosigned */
	char line[512];               /* 200: the cosignature line */
	char message[ERR_MSG_MAX];    /* otherwise: why */
};

/*
 * add-checkpoint (c2sp.org/tlog-witness) from partner: checked and cosigned
 * in one writer transaction. done is called once, on the writer thread.
 */
int exchange_witness(struct exchange *ex, int64_t partner, const char *body, size_t len,
    void (*done)(void *arg, const struct exchange_witness_answer *a), void *arg, struct err *err);
/*
 * Read side of the peer log API, on the loop's read connection rd. The
 * latest checkpoint with its cosignatures; the inclusion proof, in a tree
 * of `size` (a size this node signed), of the envelope with seq that this
 * node sent to (dir STORE_OUT) or received from (STORE_IN) partner, as
 * "index N\n" and one base64 hash a line; a consistency proof as hash lines.
 */
int exchange_log_checkpoint(struct exchange *ex, struct store *rd, struct buf *out, struct err *err);
int exchange_log_proof(struct exchange *ex, struct store *rd, int64_t partner, int dir,
    uint64_t seq, uint64_t size, struct buf *out, struct err *err);
int exchange_log_consistency(struct exchange *ex, struct store *rd, uint64_t old_size,
    uint64_t size, struct buf *out, struct err *err);

/*
 * `log verify`, after ledger_verify passed: every envelope's entry rebuilt
 * and compared with its leaf, every envelope entry matched to an envelope.
 * A problem goes into rep (ok 0, first_bad, problem).
 */
struct ledger_verify_report;
int exchange_verify_entries(struct store *s, struct ledger_verify_report *rep, struct err *err);

/* ---- agreements (agreements.c, docs/agreements.md) ---- */

/*
 * The ledger entry recording the agreement a node holds with a partner,
 * 80 bytes: "LSE1", type 2, zero, u16 zero, u64 time (microseconds), the
 * partner's key id, the agreement's hash (agreement_hash).
 */
#define AGR_ENTRY_LEN 80
void exchange_agreement_entry(const uint8_t partner_key_id[static 32],
    const uint8_t hash[static 32], int64_t time_us, uint8_t out[static AGR_ENTRY_LEN]);
int exchange_agreement_path(const char *dir, const char *partner, char out[static 512]);
/* The partner's agreement file, or the default terms (*ret_exists 0) if there is none. */
int exchange_agreement_load(const char *dir, const char *self, const char *partner,
    struct agreement *ret, int *ret_exists, struct err *err);
/* Writes the file in canonical form (a new file renamed over the old one). */
int exchange_agreement_save(const char *dir, const char *partner, const struct agreement *g,
    struct err *err);
/* The partner said (in its hello) which agreement it holds: recorded for `partner list`. */
void exchange_peer_agreement(struct exchange *ex, int64_t partner, const uint8_t hash[static 32]);
/* The hash of the agreement a link works under: -LSN_ENOTFOUND if none yet. */
int exchange_agreement_hash(struct exchange *ex, int64_t partner, uint8_t out[static 32]);
/*
 * Copies the hotline terms in force with the partner named partner, as its
 * link holds them (no file is read). Any thread. -LSN_ENOTFOUND if no link
 * of that name runs, or its agreement file never loaded.
 */
int exchange_terms(struct exchange *ex, const char *partner, struct agr_hotline *ret,
    struct err *err);

/* What `liaison policy explain` prints: the decision the packer would take now. */
struct exchange_explanation {
	struct policy_obj obj;
	struct policy_decision d;
	int64_t coll;                 /* the collection it was found in */
	int shared;                   /* that collection is shared with the partner */
	int agreement_file;           /* 0: the default terms (no file yet) */
	char version[40];
};
int exchange_explain(struct store *rd, const char *agreements_dir, const char *self,
    const struct store_partner *p, const char *id, struct exchange_explanation *ret,
    struct err *err);

/* ---- health ---- */

struct exchange_stats {
	unsigned long long envelopes_sent, objects_sent, receipts, retries, send_failures;
	unsigned long long envelopes_packed, objects_packed;
	unsigned long long envelopes_received, envelopes_duplicate, objects_received;
	unsigned long long objects_refused;
	unsigned long long refused[REFUSE_MAX];
	unsigned long long tls_refused;
	unsigned long long queue;     /* envelopes waiting for a receipt, all partners */
	unsigned long long links;
	/* the ledger */
	unsigned long long checkpoints_signed, cosignatures_received, witness_cosigned;
	unsigned long long witness_refused, proofs_stored, proof_failures, equivocations;
	unsigned long long log_size;
	/* the border */
	unsigned long long policy_kept_home, policy_refused_in;
};
void exchange_get_stats(struct exchange *ex, struct exchange_stats *ret);
/* A batch refused before it reached exchange_accept (too big): partner's name, or its address. */
void exchange_refused_batch(struct exchange *ex, const char *partner, enum exchange_refusal why,
    const char *message);
/* A TLS handshake on the peer listener failed (counted and logged). */
void exchange_tls_refused(struct exchange *ex, const char *peer, const char *why);

#endif
