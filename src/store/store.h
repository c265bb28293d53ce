/*
 * The store: the one face (store_* functions, at the end of this header)
 * through which every layer above reaches collections, STIX object
 * versions, status resources, users, partners, envelopes, the ledger and
 * the hotline's cases. Behind it each backend fills one const table for the
 * connection and one per domain; nothing above store/ names those tables
 * or includes a backend's own header.
 *
 * Threads: a struct store is one connection and is used by one thread at a
 * time. The daemon opens one for the loop (reads) and one for the writer
 * thread (every write, in group-committed transactions, see writer.h).
 * Contains no policy: callers decide who may do what.
 */
#ifndef LSN_STORE_STORE_H
#define LSN_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "stix/stix.h"
#include "crypto/cx.h"

struct err;
struct store;

#define STORE_TITLE_MAX 256
#define STORE_NAME_MAX 64
#define STORE_LIST_MAX 64       /* values in one match[...] filter */
/* The SQLite store keeps objects by id in a file of its own: the store's path with this after it. */
#define STORE_IDS_SUFFIX "-ids"

struct store_collection {
	int64_t rowid;
	char id[CX_UUID_LEN];
	char title[STORE_TITLE_MAX];
	char description[1024];
	int64_t created_us;
	int64_t partner;              /* rowid of the partner whose inbox this is; 0: local */
};

struct store_user {
	int64_t rowid;
	char name[STORE_NAME_MAX + 1];
	int admin;
	char pwhash[CX_PWHASH_MAX];   /* empty: token-only user */
};

struct store_grant {
	int64_t coll;                 /* collection rowid */
	int can_read;
	int can_write;
};

/* One object version to add; pointers are borrowed for the call. */
struct store_obj_in {
	const struct stix_meta *meta;
	const char *body;             /* exact bytes as received */
	size_t len;
};

enum store_add_outcome {
	STORE_ADDED = 0,              /* new version stored */
	STORE_DUPLICATE = 1,          /* same id and version, same content */
	STORE_CONFLICT = 2,           /* same id and version, other content: refused */
};

struct store_obj_result {
	enum store_add_outcome outcome;
	int64_t date_added_us;        /* of the stored version (new or existing) */
};

enum store_ver_flags {
	STORE_VER_LAST = 1 << 0,
	STORE_VER_FIRST = 1 << 1,
	STORE_VER_ALL = 1 << 2,
};

/* A query over one collection, answered in date_added order (TAXII §3.3). */
struct store_query {
	int64_t coll;
	int64_t after_us;             /* date_added > after_us (added_after and/or keyset) */
	const char *ids[STORE_LIST_MAX];
	size_t n_ids;
	const char *types[STORE_LIST_MAX];
	size_t n_types;
	unsigned ver_flags;           /* store_ver_flags; 0 with n_vkeys > 0: only those */
	const char *vkeys[STORE_LIST_MAX]; /* ts_key() of match[version] timestamps */
	size_t n_vkeys;
	const char *spec_versions[STORE_LIST_MAX];
	size_t n_spec_versions;
	size_t limit;                 /* rows to return; the store reads one more for `more` */
	int newest_first;             /* date_added descending (the dashboard's latest objects) */
};

struct store_row {
	const char *id;
	const char *type;
	const char *version;          /* as written; "" if none */
	const char *spec_version;
	int64_t date_added_us;
	const char *body;             /* NULL unless asked for */
	size_t len;
};

/* Called once per row; a negative return stops the query and is returned. */
typedef int (*store_row_fn)(void *arg, const struct store_row *row);

/* ---- partners and the envelopes exchanged with them ---- */

#define STORE_ENDPOINT_MAX 1024         /* bytes of a partner's endpoint list, with its NUL */
#define STORE_ENDPOINTS_MAX 8           /* endpoints of one partner */
#define STORE_ERROR_MAX 256

struct store_partner {
	int64_t rowid;
	char name[STORE_NAME_MAX + 1];
	uint8_t key[32];              /* Ed25519 public key */
	uint8_t key_id[32];           /* SHA-256 of key */
	uint8_t spki[32];             /* SHA-256 of its TLS certificate's SubjectPublicKeyInfo */
	/*
	 * https://HOST:PORT of its peer listener, or of each daemon of a node
	 * that runs several: separated by single spaces, tried in that order
	 */
	char endpoint[STORE_ENDPOINT_MAX];
	int64_t inbox;                /* collection rowid of from-NAME */
	int active;                   /* 0 after `partner remove` */
	int64_t created_us;
	/* link health, written by the daemon (partner_health) */
	int64_t last_contact_us;      /* 0: never */
	int64_t last_error_us;
	char last_error[STORE_ERROR_MAX];  /* "" when the last attempt succeeded */
	uint64_t retries;             /* failed delivery attempts since the last success */
	/* from the envelopes table (partner_get/find/list fill them) */
	uint64_t out_seq;             /* last sequence number sent (assigned) */
	uint64_t out_acked;           /* highest N such that envelopes 1..N all have receipts */
	uint64_t in_seq;              /* last sequence number accepted from it */
	int64_t compromised_us;       /* 0, or when it was caught equivocating */
	uint8_t agreement[32];        /* hash of the agreement this node holds (has_agreement) */
	uint8_t peer_agreement[32];   /* the hash the partner says it holds (has_peer_agreement) */
	int has_agreement, has_peer_agreement;
	int64_t cert_not_after_us;    /* its TLS certificate's notAfter, as last seen; 0: not yet */
};

/*
 * Splits a partner's endpoint list into at most STORE_ENDPOINTS_MAX
 * strings: a copy of list goes into buf (cap bytes) and ret[i] point into
 * it. Returns how many; 0 for an empty list. Pure: no store involved.
 */
size_t store_endpoints_split(const char *list, char *buf, size_t cap,
    const char *ret[STORE_ENDPOINTS_MAX]);

/* One decision at the border that refused (or changed) an object. */
struct store_policy_entry {
	int64_t time_us;
	int64_t partner;
	int dir;                      /* STORE_OUT: egress, STORE_IN: ingress */
	const char *object;           /* STIX id */
	const char *version;          /* "" if none */
	const char *rule;             /* policy_rule_name() */
	const char *reason;
};
typedef int (*store_policy_fn)(void *arg, const struct store_policy_entry *e);

/* How many decisions of one (partner, direction, rule) since a time, and the latest's time. */
struct store_policy_count {
	int64_t partner;
	int dir;
	const char *rule;
	uint64_t n;
	int64_t last_us;
};
typedef int (*store_policy_count_fn)(void *arg, const struct store_policy_count *c);

/* A collection shared with a partner and how far it has been packed. */
struct store_share {
	int64_t partner;
	int64_t coll;
	int64_t cursor_us;            /* objects with date_added > cursor_us are not yet packed */
};

enum store_dir { STORE_OUT = 0, STORE_IN = 1 };

/* One envelope sent (STORE_OUT) or accepted (STORE_IN), with its receipt. */
struct store_envelope {
	int64_t partner;
	int dir;                      /* enum store_dir */
	uint64_t seq;
	uint8_t id[32];               /* SHA-256 of the header */
	int kind;
	uint32_t items;
	int64_t created_us;           /* signed (out) or accepted (in) */
	const uint8_t *bytes;         /* header || body || signature; borrowed */
	size_t len;
	const uint8_t *receipt;       /* NULL: none yet; borrowed */
	size_t receipt_len;
	int64_t receipt_us;           /* when the receipt was stored (out) or made (in) */
	int has_leaf;                 /* 0: not yet in this node's ledger (a migrated store) */
	uint64_t leaf;                /* index of its entry in this node's ledger */
	const char *proof;            /* tlog-proof of its entry in the partner's log; NULL: none yet */
	size_t proof_len;
};

/*
 * Called once per envelope; the pointers are valid only during the call.
 * A negative return stops the scan and is returned.
 */
typedef int (*store_env_fn)(void *arg, const struct store_envelope *e);

enum store_env_flags {
	STORE_ENV_BYTES = 1 << 0,     /* read the envelope bytes (else bytes NULL, len 0) */
	STORE_ENV_UNRECEIPTED = 1 << 1, /* only envelopes without a receipt */
	STORE_ENV_DESC = 1 << 2,      /* newest first (from before_seq down) */
};

struct store_env_query {
	int64_t partner;
	int dir;
	uint64_t after_seq;           /* seq > after_seq (ascending scans) */
	uint64_t before_seq;          /* seq < before_seq (descending scans; 0: no bound) */
	unsigned flags;               /* store_env_flags */
	size_t max_n;                 /* envelopes at most (0: no limit) */
	size_t max_bytes;             /* stop once this many envelope bytes were passed (0: no limit);
	                               * the first envelope is always passed */
};

/* ---- the ledger (src/ledger/ writes it, in the writer's transactions) ---- */

/*
 * One leaf: idx, the entry bytes, and `hashes`: its leaf hash followed by
 * the hashes of the full subtrees this leaf completes, levels 1.. up
 * (as many as idx has trailing one bits), 32 bytes each.
 */
struct store_leaf {
	uint64_t idx;
	const uint8_t *entry;
	size_t entry_len;
	const uint8_t *hashes;        /* NULL when the row is missing */
	size_t hashes_len;
};
typedef int (*store_leaf_fn)(void *arg, const struct store_leaf *l);

/* A checkpoint: this node's own (signed), or a partner's that this node cosigned. */
struct store_checkpoint {
	int64_t partner;              /* 0: this node's log */
	uint64_t size;
	uint8_t root[32];
	const char *note;             /* signed note text; borrowed */
	size_t note_len;
	int64_t time_us;              /* signed (own) or cosigned (partner's) */
};
typedef int (*store_ckpt_fn)(void *arg, const struct store_checkpoint *c);

/* A partner's cosignature line on one of this node's checkpoints. */
struct store_cosig {
	uint64_t size;
	int64_t partner;
	const char *line;             /* "— name base64\n"; borrowed */
	size_t line_len;
	int64_t time_us;
};
typedef int (*store_cosig_fn)(void *arg, const struct store_cosig *c);

/* ---- hotline cases (src/hotline/ folds their steps into the case row) ---- */

#define STORE_CASE_SUMMARY_MAX 512

/* A case as this node keeps it. Times in microseconds; 0: not (yet). */
struct store_case {
	char id[STIX_ID_MAX + 1];     /* "incident--<uuid>", chosen by the opener */
	int64_t partner;
	int role;                     /* enum case_role: 1 this node opened it, 2 the partner did */
	int kind;                     /* enum case_kind */
	int state;                    /* enum case_state */
	int64_t opened_us;            /* the open step's own time (the opener's clock, signed) */
	int64_t receipt_us;           /* opener: the partner's receipt of the opening was stored;
	                               * receiver: the opening was accepted */
	int64_t acked_us;             /* the receiver's first step arrived (opener) or was taken */
	int64_t updated_us;           /* the last effective step */
	int64_t ack_by, respond_by, preserve_until, remind_at;
	int level;                    /* highest escalation level already logged */
	int reminded;                 /* the preservation reminder was logged */
	int tlp;                      /* enum stix_tlp of its objects */
	int64_t next_check_us;        /* the escalation tick looks at it then (0: never again) */
	char summary[STORE_CASE_SUMMARY_MAX];
};
typedef int (*store_case_fn)(void *arg, const struct store_case *c);

/*
 * The deadline that matters now, the hotline's order: the acknowledgement
 * until it came, then the answer, then the end of a preservation;
 * INT64_MAX when the case has none. Both backends keep it as the column
 * due_us (the same rule in SQL, schema v8 / pg v3) for the order below.
 */
static inline int64_t
store_case_deadline(const struct store_case *c)
{
	if (c->acked_us == 0 && c->ack_by > 0)
		return c->ack_by;
	if (c->respond_by > 0)
		return c->respond_by;
	if (c->preserve_until > 0)
		return c->preserve_until;
	return INT64_MAX;
}

struct store_case_counts {
	uint64_t by_state[9];         /* [1..8]: enum case_state */
	uint64_t open_by_level[16];   /* cases not final, by the escalation level logged */
	uint64_t late;                /* cases a clock of which passed at now_us */
};

/* Cases newest first, (opened_us, id) descending, keyset-paged. */
struct store_case_query {
	int64_t partner;              /* 0: every partner */
	int role;                     /* 0: both, else enum case_role */
	int open_only;                /* only cases not closed, refused or withdrawn */
	int overdue_at;               /* only cases a clock of which passed at now_us */
	int64_t now_us;
	int64_t before_us;            /* 0: from the newest; else older than (before_us, before_id) */
	char before_id[STIX_ID_MAX + 1];
	size_t limit;                 /* 0: all */
	/*
	 * by_due: open cases only, the nearest deadline first, (due_us, id)
	 * ascending; after_id[0] != 0 starts past (after_due_us, after_id).
	 * Not with overdue_at or role; before_us is then ignored.
	 */
	int by_due;
	int64_t after_due_us;
	char after_id[STIX_ID_MAX + 1];
};

enum store_step_status {
	STEP_EFFECTIVE = 0,           /* part of the case's chain */
	STEP_SUPERSEDED = 1,          /* taken at the same time as the other side's, which won */
	STEP_REFUSED = 2,             /* the state machine does not allow it: no effect */
};

/* One step of a case: this node's (STORE_OUT) or the partner's (STORE_IN). */
struct store_step {
	int64_t rowid;
	char case_id[STIX_ID_MAX + 1];
	int64_t partner;
	int dir;                      /* enum store_dir */
	uint8_t hash[32];             /* SHA-256 of body */
	uint8_t prev[32];             /* hash of the step it follows (zero for the opening) */
	int step;                     /* enum case_step */
	int env_kind;                 /* the envelope kind it travels in */
	int64_t time_us;              /* its own time (in its body) */
	int64_t recorded_us;          /* when this node stored it */
	int status;                   /* enum store_step_status */
	char reason[256];
	uint64_t env_seq;             /* its envelope's seq; 0: queued, not yet packed (out) */
	int64_t receipt_us;           /* out: the partner's receipt was stored */
	const uint8_t *body;          /* the STIX bundle, exact bytes; NULL unless asked */
	size_t len;
};
typedef int (*store_step_fn)(void *arg, const struct store_step *st);

/* ---- high availability: several daemons of one node on one database ---- */

#define STORE_DAEMON_ROLE_MAX 16

/* One daemon of the node, as it last said (daemon_beat). */
struct store_daemon {
	char name[STORE_ENDPOINT_MAX];  /* host:pid */
	char role[STORE_DAEMON_ROLE_MAX]; /* "active" or "standby" */
	int64_t epoch;                  /* the lease's epoch it holds (active) or saw */
	int64_t heartbeat_us;           /* the database's clock */
	int64_t age_us;                 /* how long ago, by the database's clock */
	char taxii[256], peer[256];     /* its listeners */
};
typedef int (*store_daemon_fn)(void *arg, const struct store_daemon *d);

/* ---- what a backend fills: the connection and one table per domain ---- */

/*
 * Each domain table starts with the version of that table a backend fills.
 * store_open refuses a backend whose table has another version than this
 * program's; a backend may leave a domain NULL while it is being written
 * (its calls then fail with -LSN_ENOTSUP), so a new backend can be added a
 * domain at a time. Callers never use these tables: they call the store_*
 * functions at the end of this header.
 */
#define STORE_BACKEND_VERSION 2
#define STORE_OBJECTS_VERSION 1
#define STORE_EXCHANGE_VERSION 1
#define STORE_LEDGER_VERSION 1
#define STORE_HOTLINE_VERSION 1
#define STORE_HA_VERSION 1

/*
 * The objects domain: collections, STIX object versions, status resources,
 * users, grants and tokens.
 */
struct store_objects_ops {
	unsigned version;              /* STORE_OBJECTS_VERSION */
	int (*coll_add)(struct store *s, struct store_collection *c, struct err *err);
	int (*coll_find)(struct store *s, const char *id_or_title, struct store_collection *ret, struct err *err);
	int (*coll_list)(struct store *s, struct store_collection **ret, size_t *ret_n, struct err *err);
	int (*objects_add)(struct store *s, int64_t coll, const struct store_obj_in *in, size_t n,
	    struct store_obj_result *res, struct err *err);
	int (*objects_query)(struct store *s, const struct store_query *q, int with_body,
	    store_row_fn fn, void *arg, int *ret_more, struct err *err);
	int (*objects_delete)(struct store *s, int64_t coll, const char *id, unsigned ver_flags,
	    const char *const *vkeys, size_t n_vkeys, const char *const *spec_versions,
	    size_t n_spec, size_t *ret_deleted, struct err *err);
	int (*objects_count)(struct store *s, int64_t coll, int64_t *ret_versions, struct err *err);
	int (*status_put)(struct store *s, const char *id, int64_t coll, const char *json, size_t len, struct err *err);
	int (*status_get)(struct store *s, const char *id, char **ret_json, size_t *ret_len, int64_t *ret_coll, struct err *err);
	int (*user_add)(struct store *s, struct store_user *u, struct err *err);
	int (*user_find)(struct store *s, const char *name, struct store_user *ret, struct err *err);
	int (*user_get)(struct store *s, int64_t rowid, struct store_user *ret, struct err *err);
	int (*user_list)(struct store *s, struct store_user **ret, size_t *ret_n, struct err *err);
	int (*user_remove)(struct store *s, const char *name, struct err *err);
	int (*grant_set)(struct store *s, int64_t user, const struct store_grant *g, struct err *err);
	int (*grant_list)(struct store *s, int64_t user, struct store_grant **ret, size_t *ret_n, struct err *err);
	int (*token_add)(struct store *s, int64_t user, const char *name, const uint8_t hash[32], struct err *err);
	int (*token_find)(struct store *s, const uint8_t hash[32], int64_t *ret_user, struct err *err);
};

/*
 * The exchange domain: partners, the collections shared with them, envelopes
 * with their receipts, agreements and the policy log.
 */
struct store_exchange_ops {
	unsigned version;              /* STORE_EXCHANGE_VERSION */
	/*
	 * Partners. partner_add fills p->rowid and p->created_us (p->inbox must
	 * name an existing collection); -LSN_EEXIST if the name or the key is
	 * taken. identity is the document as received, kept for evidence.
	 * partner_find/get: -LSN_ENOTFOUND if absent (removed partners are found,
	 * with active 0). partner_by_key_id finds active ones only.
	 */
	int (*partner_add)(struct store *s, struct store_partner *p, const char *identity,
	    struct err *err);
	int (*partner_find)(struct store *s, const char *name, struct store_partner *ret, struct err *err);
	int (*partner_get)(struct store *s, int64_t rowid, struct store_partner *ret, struct err *err);
	int (*partner_by_key_id)(struct store *s, const uint8_t key_id[32], struct store_partner *ret,
	    struct err *err);
	/* Every partner, active or not, in name order (malloc'd array). */
	int (*partner_list)(struct store *s, struct store_partner **ret, size_t *ret_n, struct err *err);
	int (*partner_set_active)(struct store *s, int64_t rowid, int active, struct err *err);
	/*
	 * Link health: last_contact_us 0 keeps the old value; error NULL keeps
	 * the old error, "" clears it (a success); retries UINT64_MAX keeps the count.
	 */
	int (*partner_health)(struct store *s, int64_t rowid, int64_t last_contact_us,
	    const char *error, int64_t error_us, uint64_t retries, struct err *err);
	/*
	 * The partner's identity document as partner_add received it,
	 * NUL-terminated into out ("" if none was kept): -LSN_ENOTFOUND if no
	 * such partner, -LSN_ETOOBIG if it needs more than cap bytes.
	 */
	int (*partner_identity)(struct store *s, int64_t rowid, char *out, size_t cap,
	    struct err *err);
	/* Shares: collections a partner receives; share_add is idempotent (cursor kept). */
	int (*share_add)(struct store *s, const struct store_share *sh, struct err *err);
	int (*share_list)(struct store *s, int64_t partner, struct store_share **ret, size_t *ret_n,
	    struct err *err);
	int (*share_set_cursor)(struct store *s, int64_t partner, int64_t coll, int64_t cursor_us,
	    struct err *err);
	/*
	 * Envelopes: (partner, dir, seq) is unique (-LSN_EEXIST). env_get fills
	 * ret with pointers valid until the next call on s, or -LSN_ENOTFOUND.
	 * env_set_receipt stores the receipt of an outgoing envelope (kept if one
	 * is already there). env_last: highest seq of one direction, and the
	 * highest N such that every envelope 1..N has a receipt (0 when none).
	 */
	int (*env_put)(struct store *s, const struct store_envelope *e, struct err *err);
	int (*env_get)(struct store *s, int64_t partner, int dir, uint64_t seq, int with_bytes,
	    struct store_envelope *ret, struct err *err);
	int (*env_set_receipt)(struct store *s, int64_t partner, uint64_t seq, const uint8_t *receipt,
	    size_t len, int64_t receipt_us, struct err *err);
	int (*env_scan)(struct store *s, const struct store_env_query *q, store_env_fn fn, void *arg,
	    struct err *err);
	int (*env_last)(struct store *s, int64_t partner, int dir, uint64_t *ret_seq,
	    uint64_t *ret_receipted, struct err *err);
	/* Stores the tlog-proof of an envelope's entry in the partner's log (replaces one). */
	int (*env_set_proof)(struct store *s, int64_t partner, int dir, uint64_t seq,
	    const char *proof, size_t len, struct err *err);
	/* Envelopes that have a leaf index, in leaf order from leaf >= from (log verify). */
	int (*env_scan_leaves)(struct store *s, int64_t from, store_env_fn fn, void *arg,
	    struct err *err);
	/* The oldest envelope without a leaf (a v2 store being brought up): -LSN_ENOTFOUND if none. */
	int (*env_without_leaf)(struct store *s, struct store_envelope *ret, struct err *err);
	int (*env_set_leaf)(struct store *s, int64_t partner, int dir, uint64_t seq, uint64_t leaf,
	    struct err *err);
	/*
	 * Agreements: which == 0 sets the hash of the agreement this node
	 * holds, 1 the hash the partner said it holds (NULL clears it).
	 */
	int (*partner_set_agreement)(struct store *s, int64_t rowid, int which, const uint8_t *hash,
	    struct err *err);
	/* The policy log: refusals at the border, newest first in scans (partner 0: all). */
	int (*policy_log_add)(struct store *s, const struct store_policy_entry *e, struct err *err);
	int (*policy_log_scan)(struct store *s, int64_t partner, size_t limit, store_policy_fn fn,
	    void *arg, struct err *err);
	/* The policy log's decisions with time_us >= since_us, counted by partner, dir and rule. */
	int (*policy_log_counts)(struct store *s, int64_t since_us, store_policy_count_fn fn,
	    void *arg, struct err *err);
	/* Records the notAfter of the partner's TLS certificate seen in a handshake. */
	int (*partner_cert)(struct store *s, int64_t rowid, int64_t not_after_us, struct err *err);
};

/* The ledger domain: the Merkle log's leaves, checkpoints, cosignatures and equivocations. */
struct store_ledger_ops {
	unsigned version;              /* STORE_LEDGER_VERSION */
	/*
	 * The ledger. log_size: number of leaves (the next idx). log_append:
	 * stores leaf l->idx, which must be log_size (-LSN_EEXIST if it is taken).
	 * log_hashes/log_entry copy one row into out (capacity cap), or
	 * -LSN_ENOTFOUND. log_scan passes leaves from idx `from` on, in order;
	 * a leaf whose tree row is missing has hashes NULL.
	 */
	int (*log_size)(struct store *s, uint64_t *ret, struct err *err);
	int (*log_append)(struct store *s, const struct store_leaf *l, struct err *err);
	int (*log_hashes)(struct store *s, uint64_t idx, uint8_t *out, size_t cap, size_t *ret_len,
	    struct err *err);
	int (*log_entry)(struct store *s, uint64_t idx, uint8_t *out, size_t cap, size_t *ret_len,
	    struct err *err);
	int (*log_scan)(struct store *s, uint64_t from, store_leaf_fn fn, void *arg, struct err *err);
	/*
	 * Checkpoints. ckpt_put (partner 0: this node's, signed; else a
	 * partner's that this node cosigned, with the cosignature appended):
	 * -LSN_EEXIST if that (partner, size) is stored. ckpt_latest: the
	 * largest size, -LSN_ENOTFOUND if none; ckpt_get: that size exactly.
	 * Their note points into the store's buffer, valid until its next call.
	 * ckpt_scan: every checkpoint of partner in size order.
	 */
	int (*ckpt_put)(struct store *s, const struct store_checkpoint *c, struct err *err);
	int (*ckpt_latest)(struct store *s, int64_t partner, struct store_checkpoint *ret,
	    struct err *err);
	int (*ckpt_get)(struct store *s, int64_t partner, uint64_t size, struct store_checkpoint *ret,
	    struct err *err);
	int (*ckpt_scan)(struct store *s, int64_t partner, store_ckpt_fn fn, void *arg,
	    struct err *err);
	/*
	 * Cosignatures of partners on this node's checkpoints: one per (size,
	 * partner), the first kept. cosig_scan: of one size (partner 0: all
	 * partners) or, with size UINT64_MAX, all of them in size order.
	 * cosig_latest: the largest of this node's sizes that partner cosigned
	 * (0 if none).
	 */
	int (*cosig_put)(struct store *s, const struct store_cosig *c, struct err *err);
	int (*cosig_scan)(struct store *s, uint64_t size, int64_t partner, store_cosig_fn fn,
	    void *arg, struct err *err);
	int (*cosig_latest)(struct store *s, int64_t partner, uint64_t *ret_size, struct err *err);
	/*
	 * Equivocation: two checkpoints a partner signed that cannot both be
	 * true. Kept forever; marks the partner compromised (its
	 * compromised_us). equivocation_count: of one partner (0: all).
	 */
	int (*equivocation_add)(struct store *s, int64_t partner, const char *note_a,
	    const char *note_b, const char *reason, int64_t time_us, struct err *err);
	int (*equivocation_count)(struct store *s, int64_t partner, uint64_t *ret, struct err *err);
};

/* The hotline domain: cases and their steps. */
struct store_hotline_ops {
	unsigned version;              /* STORE_HOTLINE_VERSION */
	/*
	 * Hotline cases. case_put inserts or replaces the row; case_get finds
	 * one by id or by a prefix (4 or more characters) of its uuid
	 * (-LSN_ENOTFOUND, or -LSN_EEXIST when the prefix names several), both
	 * through the primary key. case_scan answers a store_case_query;
	 * overdue_at reads only cases past a clock (through partial indexes on
	 * the clocks). case_due: cases whose next_check_us is due at now_us, for
	 * the escalation tick. case_count: counts from indexes alone (for
	 * /metrics and status: no row is read).
	 */
	int (*case_put)(struct store *s, const struct store_case *c, struct err *err);
	int (*case_get)(struct store *s, const char *key, struct store_case *ret, struct err *err);
	int (*case_scan)(struct store *s, const struct store_case_query *q, store_case_fn fn,
	    void *arg, struct err *err);
	int (*case_due)(struct store *s, int64_t now_us, size_t limit, store_case_fn fn, void *arg,
	    struct err *err);
	int (*case_count)(struct store *s, int64_t now_us, struct store_case_counts *ret,
	    struct err *err);
	/*
	 * Steps. step_add fills st->rowid (-LSN_EEXIST: that hash is stored);
	 * step_scan passes a case's steps in the order they were stored, with
	 * bodies if with_body; step_set_status records the fold's verdict.
	 * step_queued passes this node's steps to partner not yet packed, in
	 * order (at most max); step_packed names the envelope that carries one.
	 * env_set_receipt also stamps the step its envelope carried.
	 */
	int (*step_add)(struct store *s, struct store_step *st, struct err *err);
	int (*step_scan)(struct store *s, const char *case_id, int with_body, store_step_fn fn,
	    void *arg, struct err *err);
	int (*step_set_status)(struct store *s, int64_t rowid, int status, const char *reason,
	    struct err *err);
	int (*step_queued)(struct store *s, int64_t partner, size_t max, store_step_fn fn,
	    void *arg, struct err *err);
	int (*step_packed)(struct store *s, int64_t rowid, uint64_t seq, struct err *err);
};

/*
 * The active role, for a backend that several daemons can share (postgres;
 * SQLite leaves it NULL: its one daemon is always active). The lease is an
 * advisory lock held by the session of a connection of its own, plus an
 * epoch in the database that rises at each takeover; fence() makes a
 * connection's singleton writes (envelopes, ledger, cases) check that
 * epoch in their own transaction, so a daemon that lost the lease, even
 * one paused and woken later, writes none of them.
 *
 * lease_take: 1 with *ret_epoch if this connection holds the lease now
 * (newly: the epoch rose), 0 if another daemon holds it. A holder whose
 * heartbeat is older than stale_ms by the database's clock is cut off
 * (its sessions ended) so the next take succeeds. lease_renew: the
 * heartbeat; -LSN_EDENIED when the epoch moved on. fence(s, epoch):
 * epoch > 0 the active's, -1 a standby's (singleton writes refused), 0 no
 * check (the CLI).
 */
struct store_ha_ops {
	unsigned version;               /* STORE_HA_VERSION */
	int (*lease_take)(struct store *s, const char *name, int stale_ms, int64_t *ret_epoch,
	    struct err *err);
	int (*lease_renew)(struct store *s, int64_t epoch, struct err *err);
	int (*fence)(struct store *s, int64_t epoch, struct err *err);
	/* daemon_beat upserts d (its heartbeat the database's now); daemon_list: recent ones. */
	int (*daemon_beat)(struct store *s, const struct store_daemon *d, struct err *err);
	int (*daemon_list)(struct store *s, store_daemon_fn fn, void *arg, struct err *err);
};

/* The connection: open, transactions, metadata. */
struct store_backend {
	unsigned version;              /* STORE_BACKEND_VERSION */
	const char *name;
	int (*open)(const char *path, int create, struct store **ret, struct err *err);
	void (*close)(struct store *s);
	int (*begin)(struct store *s, struct err *err);
	/*
	 * A read transaction: one snapshot (and one lock) for several reads.
	 * They nest: an inner pair shares the outer one's snapshot.
	 */
	int (*read_begin)(struct store *s, struct err *err);
	int (*read_end)(struct store *s);
	/*
	 * With on, read_end keeps the snapshot open for the next read_begin,
	 * until read_release: the daemon's loop reads a whole turn of requests
	 * on one snapshot and takes its locks once. Reads never miss a write
	 * acknowledged before them: a read_begin after a commit by any
	 * connection of this process, and any call made outside
	 * read_begin/read_end, start from a new snapshot. Commits by other
	 * processes (the CLI) show from the next read_release on.
	 */
	void (*read_linger)(struct store *s, int on);
	void (*read_release)(struct store *s);
	int (*commit)(struct store *s, struct err *err);
	int (*rollback)(struct store *s);
	int (*savepoint)(struct store *s, struct err *err);
	int (*release)(struct store *s, int keep, struct err *err);
	int (*meta_get)(struct store *s, const char *key, char *out, size_t outcap, struct err *err);
	int (*meta_set)(struct store *s, const char *key, const char *value, struct err *err);
	/*
	 * A counter that changes whenever another connection committed; inside a
	 * read transaction it names that transaction's snapshot.
	 */
	int (*data_version)(struct store *s, int64_t *ret, struct err *err);
	/*
	 * Write-ahead logs: autocheckpoint(s, 0) stops this connection from
	 * checkpointing inside its commits, except to restart a log that grew
	 * past 256 MiB; checkpoint(s), on another connection, copies what it can
	 * of the log into the database without blocking the writer.
	 */
	int (*autocheckpoint)(struct store *s, int pages, struct err *err);
	int (*checkpoint)(struct store *s, struct err *err);

	const struct store_objects_ops *objects;
	const struct store_exchange_ops *exchange;
	const struct store_ledger_ops *ledger;
	const struct store_hotline_ops *hotline;
	const struct store_ha_ops *ha;
};

struct store {
	const struct store_backend *be;
};

extern const struct store_backend store_sqlite_backend;
extern const struct store_backend store_postgres_backend;

/*
 * Opens the backend named by a URL-ish spec: "sqlite:PATH" or a bare path,
 * or a libpq connection URI "postgresql://..." (or "postgres://...") for
 * the postgres backend. Refuses a backend whose tables have versions this program does not know.
 */
int store_open(const char *spec, int create, struct store **ret, struct err *err);
void store_close(struct store *s);

/*
 * A store spec as a person may see it: "postgres HOST:PORT/DB" for a URL
 * (never its user's password), else the path. 1 if spec names the postgres
 * backend. store_spec_check refuses a URL that carries a password (it would
 * show in `ps` and in liaison.conf: libpq reads ~/.pgpass or PGPASSFILE) or
 * that libpq cannot read.
 */
int store_spec_where(const char *spec, char *out, size_t cap);
int store_spec_check(const char *spec, struct err *err);

/* -LSN_ENOTSUP: the backend of s has no table for that domain (yet). */
int store_no_domain(const struct store *s, const char *domain, struct err *err);

/* 1 if several daemons can share s (its backend fills the ha table). */
static inline int
store_has_ha(const struct store *s)
{
	return s->be->ha != NULL;
}

static inline int
store_lease_take(struct store *s, const char *name, int stale_ms, int64_t *ret_epoch,
    struct err *err)
{
	if (s->be->ha == NULL)
		return store_no_domain(s, "high-availability", err);
	return s->be->ha->lease_take(s, name, stale_ms, ret_epoch, err);
}

static inline int
store_lease_renew(struct store *s, int64_t epoch, struct err *err)
{
	if (s->be->ha == NULL)
		return store_no_domain(s, "high-availability", err);
	return s->be->ha->lease_renew(s, epoch, err);
}

static inline int
store_fence(struct store *s, int64_t epoch, struct err *err)
{
	if (s->be->ha == NULL)
		return store_no_domain(s, "high-availability", err);
	return s->be->ha->fence(s, epoch, err);
}

static inline int
store_daemon_beat(struct store *s, const struct store_daemon *d, struct err *err)
{
	if (s->be->ha == NULL)
		return store_no_domain(s, "high-availability", err);
	return s->be->ha->daemon_beat(s, d, err);
}

static inline int
store_daemon_list(struct store *s, store_daemon_fn fn, void *arg, struct err *err)
{
	if (s->be->ha == NULL)
		return store_no_domain(s, "high-availability", err);
	return s->be->ha->daemon_list(s, fn, arg, err);
}

/*
 * ---- the face: every caller above store/ uses these ----
 *
 * One function per backend entry, documented at the entry above; each is
 * the entry of s's backend, so a call costs one indirect jump.
 */
static inline int
store_begin(struct store *s, struct err *err)
{
	return s->be->begin(s, err);
}

static inline int
store_read_begin(struct store *s, struct err *err)
{
	return s->be->read_begin(s, err);
}

static inline int
store_read_end(struct store *s)
{
	return s->be->read_end(s);
}

static inline void
store_read_linger(struct store *s, int on)
{
	s->be->read_linger(s, on);
}

static inline void
store_read_release(struct store *s)
{
	s->be->read_release(s);
}

static inline int
store_commit(struct store *s, struct err *err)
{
	return s->be->commit(s, err);
}

static inline int
store_rollback(struct store *s)
{
	return s->be->rollback(s);
}

static inline int
store_savepoint(struct store *s, struct err *err)
{
	return s->be->savepoint(s, err);
}

static inline int
store_savepoint_release(struct store *s, int keep, struct err *err)
{
	return s->be->release(s, keep, err);
}

static inline int
store_meta_get(struct store *s, const char *key, char *out, size_t outcap, struct err *err)
{
	return s->be->meta_get(s, key, out, outcap, err);
}

static inline int
store_meta_set(struct store *s, const char *key, const char *value, struct err *err)
{
	return s->be->meta_set(s, key, value, err);
}

static inline int
store_coll_add(struct store *s, struct store_collection *c, struct err *err)
{
	const struct store_objects_ops *o = s->be->objects;

	if (o == NULL)
		return store_no_domain(s, "objects", err);
	return o->coll_add(s, c, err);
}

static inline int
store_coll_find(struct store *s, const char *id_or_title, struct store_collection *ret,
    struct err *err)
{
	const struct store_objects_ops *o = s->be->objects;

	if (o == NULL)
		return store_no_domain(s, "objects", err);
	return o->coll_find(s, id_or_title, ret, err);
}

static inline int
store_coll_list(struct store *s, struct store_collection **ret, size_t *ret_n, struct err *err)
{
	const struct store_objects_ops *o = s->be->objects;

	if (o == NULL)
		return store_no_domain(s, "objects", err);
	return o->coll_list(s, ret, ret_n, err);
}

static inline int
store_objects_add(struct store *s, int64_t coll, const struct store_obj_in *in, size_t n,
    struct store_obj_result *res, struct err *err)
{
	const struct store_objects_ops *o = s->be->objects;

	if (o == NULL)
		return store_no_domain(s, "objects", err);
	return o->objects_add(s, coll, in, n, res, err);
}

static inline int
store_objects_query(struct store *s, const struct store_query *q, int with_body, store_row_fn fn,
    void *arg, int *ret_more, struct err *err)
{
	const struct store_objects_ops *o = s->be->objects;

	if (o == NULL)
		return store_no_domain(s, "objects", err);
	return o->objects_query(s, q, with_body, fn, arg, ret_more, err);
}

static inline int
store_objects_delete(struct store *s, int64_t coll, const char *id, unsigned ver_flags,
    const char *const *vkeys, size_t n_vkeys, const char *const *spec_versions, size_t n_spec,
    size_t *ret_deleted, struct err *err)
{
	const struct store_objects_ops *o = s->be->objects;

	if (o == NULL)
		return store_no_domain(s, "objects", err);
	return o->objects_delete(s, coll, id, ver_flags, vkeys, n_vkeys, spec_versions, n_spec, ret_deleted, err);
}

static inline int
store_objects_count(struct store *s, int64_t coll, int64_t *ret_versions, struct err *err)
{
	const struct store_objects_ops *o = s->be->objects;

	if (o == NULL)
		return store_no_domain(s, "objects", err);
	return o->objects_count(s, coll, ret_versions, err);
}

static inline int
store_status_put(struct store *s, const char *id, int64_t coll, const char *json, size_t len,
    struct err *err)
{
	const struct store_objects_ops *o = s->be->objects;

	if (o == NULL)
		return store_no_domain(s, "objects", err);
	return o->status_put(s, id, coll, json, len, err);
}

static inline int
store_status_get(struct store *s, const char *id, char **ret_json, size_t *ret_len,
    int64_t *ret_coll, struct err *err)
{
	const struct store_objects_ops *o = s->be->objects;

	if (o == NULL)
		return store_no_domain(s, "objects", err);
	return o->status_get(s, id, ret_json, ret_len, ret_coll, err);
}

static inline int
store_user_add(struct store *s, struct store_user *u, struct err *err)
{
	const struct store_objects_ops *o = s->be->objects;

	if (o == NULL)
		return store_no_domain(s, "objects", err);
	return o->user_add(s, u, err);
}

static inline int
store_user_find(struct store *s, const char *name, struct store_user *ret, struct err *err)
{
	const struct store_objects_ops *o = s->be->objects;

	if (o == NULL)
		return store_no_domain(s, "objects", err);
	return o->user_find(s, name, ret, err);
}

static inline int
store_user_get(struct store *s, int64_t rowid, struct store_user *ret, struct err *err)
{
	const struct store_objects_ops *o = s->be->objects;

	if (o == NULL)
		return store_no_domain(s, "objects", err);
	return o->user_get(s, rowid, ret, err);
}

static inline int
store_user_list(struct store *s, struct store_user **ret, size_t *ret_n, struct err *err)
{
	const struct store_objects_ops *o = s->be->objects;

	if (o == NULL)
		return store_no_domain(s, "objects", err);
	return o->user_list(s, ret, ret_n, err);
}

static inline int
store_user_remove(struct store *s, const char *name, struct err *err)
{
	const struct store_objects_ops *o = s->be->objects;

	if (o == NULL)
		return store_no_domain(s, "objects", err);
	return o->user_remove(s, name, err);
}

static inline int
store_grant_set(struct store *s, int64_t user, const struct store_grant *g, struct err *err)
{
	const struct store_objects_ops *o = s->be->objects;

	if (o == NULL)
		return store_no_domain(s, "objects", err);
	return o->grant_set(s, user, g, err);
}

static inline int
store_grant_list(struct store *s, int64_t user, struct store_grant **ret, size_t *ret_n,
    struct err *err)
{
	const struct store_objects_ops *o = s->be->objects;

	if (o == NULL)
		return store_no_domain(s, "objects", err);
	return o->grant_list(s, user, ret, ret_n, err);
}

static inline int
store_token_add(struct store *s, int64_t user, const char *name, const uint8_t hash[32],
    struct err *err)
{
	const struct store_objects_ops *o = s->be->objects;

	if (o == NULL)
		return store_no_domain(s, "objects", err);
	return o->token_add(s, user, name, hash, err);
}

static inline int
store_token_find(struct store *s, const uint8_t hash[32], int64_t *ret_user, struct err *err)
{
	const struct store_objects_ops *o = s->be->objects;

	if (o == NULL)
		return store_no_domain(s, "objects", err);
	return o->token_find(s, hash, ret_user, err);
}

static inline int
store_data_version(struct store *s, int64_t *ret, struct err *err)
{
	return s->be->data_version(s, ret, err);
}

static inline int
store_autocheckpoint(struct store *s, int pages, struct err *err)
{
	return s->be->autocheckpoint(s, pages, err);
}

static inline int
store_checkpoint(struct store *s, struct err *err)
{
	return s->be->checkpoint(s, err);
}

static inline int
store_partner_add(struct store *s, struct store_partner *p, const char *identity,
    struct err *err)
{
	const struct store_exchange_ops *o = s->be->exchange;

	if (o == NULL)
		return store_no_domain(s, "exchange", err);
	return o->partner_add(s, p, identity, err);
}

static inline int
store_partner_find(struct store *s, const char *name, struct store_partner *ret,
    struct err *err)
{
	const struct store_exchange_ops *o = s->be->exchange;

	if (o == NULL)
		return store_no_domain(s, "exchange", err);
	return o->partner_find(s, name, ret, err);
}

static inline int
store_partner_get(struct store *s, int64_t rowid, struct store_partner *ret, struct err *err)
{
	const struct store_exchange_ops *o = s->be->exchange;

	if (o == NULL)
		return store_no_domain(s, "exchange", err);
	return o->partner_get(s, rowid, ret, err);
}

static inline int
store_partner_by_key_id(struct store *s, const uint8_t key_id[32], struct store_partner *ret,
    struct err *err)
{
	const struct store_exchange_ops *o = s->be->exchange;

	if (o == NULL)
		return store_no_domain(s, "exchange", err);
	return o->partner_by_key_id(s, key_id, ret, err);
}

static inline int
store_partner_list(struct store *s, struct store_partner **ret, size_t *ret_n, struct err *err)
{
	const struct store_exchange_ops *o = s->be->exchange;

	if (o == NULL)
		return store_no_domain(s, "exchange", err);
	return o->partner_list(s, ret, ret_n, err);
}

static inline int
store_partner_set_active(struct store *s, int64_t rowid, int active, struct err *err)
{
	const struct store_exchange_ops *o = s->be->exchange;

	if (o == NULL)
		return store_no_domain(s, "exchange", err);
	return o->partner_set_active(s, rowid, active, err);
}

static inline int
store_partner_health(struct store *s, int64_t rowid, int64_t last_contact_us, const char *error,
    int64_t error_us, uint64_t retries, struct err *err)
{
	const struct store_exchange_ops *o = s->be->exchange;

	if (o == NULL)
		return store_no_domain(s, "exchange", err);
	return o->partner_health(s, rowid, last_contact_us, error, error_us, retries, err);
}

static inline int
store_partner_identity(struct store *s, int64_t rowid, char *out, size_t cap, struct err *err)
{
	const struct store_exchange_ops *o = s->be->exchange;

	if (o == NULL)
		return store_no_domain(s, "exchange", err);
	return o->partner_identity(s, rowid, out, cap, err);
}

static inline int
store_share_add(struct store *s, const struct store_share *sh, struct err *err)
{
	const struct store_exchange_ops *o = s->be->exchange;

	if (o == NULL)
		return store_no_domain(s, "exchange", err);
	return o->share_add(s, sh, err);
}

static inline int
store_share_list(struct store *s, int64_t partner, struct store_share **ret, size_t *ret_n,
    struct err *err)
{
	const struct store_exchange_ops *o = s->be->exchange;

	if (o == NULL)
		return store_no_domain(s, "exchange", err);
	return o->share_list(s, partner, ret, ret_n, err);
}

static inline int
store_share_set_cursor(struct store *s, int64_t partner, int64_t coll, int64_t cursor_us,
    struct err *err)
{
	const struct store_exchange_ops *o = s->be->exchange;

	if (o == NULL)
		return store_no_domain(s, "exchange", err);
	return o->share_set_cursor(s, partner, coll, cursor_us, err);
}

static inline int
store_env_put(struct store *s, const struct store_envelope *e, struct err *err)
{
	const struct store_exchange_ops *o = s->be->exchange;

	if (o == NULL)
		return store_no_domain(s, "exchange", err);
	return o->env_put(s, e, err);
}

static inline int
store_env_get(struct store *s, int64_t partner, int dir, uint64_t seq, int with_bytes,
    struct store_envelope *ret, struct err *err)
{
	const struct store_exchange_ops *o = s->be->exchange;

	if (o == NULL)
		return store_no_domain(s, "exchange", err);
	return o->env_get(s, partner, dir, seq, with_bytes, ret, err);
}

static inline int
store_env_set_receipt(struct store *s, int64_t partner, uint64_t seq, const uint8_t *receipt,
    size_t len, int64_t receipt_us, struct err *err)
{
	const struct store_exchange_ops *o = s->be->exchange;

	if (o == NULL)
		return store_no_domain(s, "exchange", err);
	return o->env_set_receipt(s, partner, seq, receipt, len, receipt_us, err);
}

static inline int
store_env_scan(struct store *s, const struct store_env_query *q, store_env_fn fn, void *arg,
    struct err *err)
{
	const struct store_exchange_ops *o = s->be->exchange;

	if (o == NULL)
		return store_no_domain(s, "exchange", err);
	return o->env_scan(s, q, fn, arg, err);
}

static inline int
store_env_last(struct store *s, int64_t partner, int dir, uint64_t *ret_seq,
    uint64_t *ret_receipted, struct err *err)
{
	const struct store_exchange_ops *o = s->be->exchange;

	if (o == NULL)
		return store_no_domain(s, "exchange", err);
	return o->env_last(s, partner, dir, ret_seq, ret_receipted, err);
}

static inline int
store_env_set_proof(struct store *s, int64_t partner, int dir, uint64_t seq, const char *proof,
    size_t len, struct err *err)
{
	const struct store_exchange_ops *o = s->be->exchange;

	if (o == NULL)
		return store_no_domain(s, "exchange", err);
	return o->env_set_proof(s, partner, dir, seq, proof, len, err);
}

static inline int
store_env_scan_leaves(struct store *s, int64_t from, store_env_fn fn, void *arg,
    struct err *err)
{
	const struct store_exchange_ops *o = s->be->exchange;

	if (o == NULL)
		return store_no_domain(s, "exchange", err);
	return o->env_scan_leaves(s, from, fn, arg, err);
}

static inline int
store_env_without_leaf(struct store *s, struct store_envelope *ret, struct err *err)
{
	const struct store_exchange_ops *o = s->be->exchange;

	if (o == NULL)
		return store_no_domain(s, "exchange", err);
	return o->env_without_leaf(s, ret, err);
}

static inline int
store_env_set_leaf(struct store *s, int64_t partner, int dir, uint64_t seq, uint64_t leaf,
    struct err *err)
{
	const struct store_exchange_ops *o = s->be->exchange;

	if (o == NULL)
		return store_no_domain(s, "exchange", err);
	return o->env_set_leaf(s, partner, dir, seq, leaf, err);
}

static inline int
store_log_size(struct store *s, uint64_t *ret, struct err *err)
{
	const struct store_ledger_ops *o = s->be->ledger;

	if (o == NULL)
		return store_no_domain(s, "ledger", err);
	return o->log_size(s, ret, err);
}

static inline int
store_log_append(struct store *s, const struct store_leaf *l, struct err *err)
{
	const struct store_ledger_ops *o = s->be->ledger;

	if (o == NULL)
		return store_no_domain(s, "ledger", err);
	return o->log_append(s, l, err);
}

static inline int
store_log_hashes(struct store *s, uint64_t idx, uint8_t *out, size_t cap, size_t *ret_len,
    struct err *err)
{
	const struct store_ledger_ops *o = s->be->ledger;

	if (o == NULL)
		return store_no_domain(s, "ledger", err);
	return o->log_hashes(s, idx, out, cap, ret_len, err);
}

static inline int
store_log_entry(struct store *s, uint64_t idx, uint8_t *out, size_t cap, size_t *ret_len,
    struct err *err)
{
	const struct store_ledger_ops *o = s->be->ledger;

	if (o == NULL)
		return store_no_domain(s, "ledger", err);
	return o->log_entry(s, idx, out, cap, ret_len, err);
}

static inline int
store_log_scan(struct store *s, uint64_t from, store_leaf_fn fn, void *arg, struct err *err)
{
	const struct store_ledger_ops *o = s->be->ledger;

	if (o == NULL)
		return store_no_domain(s, "ledger", err);
	return o->log_scan(s, from, fn, arg, err);
}

static inline int
store_ckpt_put(struct store *s, const struct store_checkpoint *c, struct err *err)
{
	const struct store_ledger_ops *o = s->be->ledger;

	if (o == NULL)
		return store_no_domain(s, "ledger", err);
	return o->ckpt_put(s, c, err);
}

static inline int
store_ckpt_latest(struct store *s, int64_t partner, struct store_checkpoint *ret,
    struct err *err)
{
	const struct store_ledger_ops *o = s->be->ledger;

	if (o == NULL)
		return store_no_domain(s, "ledger", err);
	return o->ckpt_latest(s, partner, ret, err);
}

static inline int
store_ckpt_get(struct store *s, int64_t partner, uint64_t size, struct store_checkpoint *ret,
    struct err *err)
{
	const struct store_ledger_ops *o = s->be->ledger;

	if (o == NULL)
		return store_no_domain(s, "ledger", err);
	return o->ckpt_get(s, partner, size, ret, err);
}

static inline int
store_ckpt_scan(struct store *s, int64_t partner, store_ckpt_fn fn, void *arg, struct err *err)
{
	const struct store_ledger_ops *o = s->be->ledger;

	if (o == NULL)
		return store_no_domain(s, "ledger", err);
	return o->ckpt_scan(s, partner, fn, arg, err);
}

static inline int
store_cosig_put(struct store *s, const struct store_cosig *c, struct err *err)
{
	const struct store_ledger_ops *o = s->be->ledger;

	if (o == NULL)
		return store_no_domain(s, "ledger", err);
	return o->cosig_put(s, c, err);
}

static inline int
store_cosig_scan(struct store *s, uint64_t size, int64_t partner, store_cosig_fn fn, void *arg,
    struct err *err)
{
	const struct store_ledger_ops *o = s->be->ledger;

	if (o == NULL)
		return store_no_domain(s, "ledger", err);
	return o->cosig_scan(s, size, partner, fn, arg, err);
}

static inline int
store_cosig_latest(struct store *s, int64_t partner, uint64_t *ret_size, struct err *err)
{
	const struct store_ledger_ops *o = s->be->ledger;

	if (o == NULL)
		return store_no_domain(s, "ledger", err);
	return o->cosig_latest(s, partner, ret_size, err);
}

static inline int
store_equivocation_add(struct store *s, int64_t partner, const char *note_a, const char *note_b,
    const char *reason, int64_t time_us, struct err *err)
{
	const struct store_ledger_ops *o = s->be->ledger;

	if (o == NULL)
		return store_no_domain(s, "ledger", err);
	return o->equivocation_add(s, partner, note_a, note_b, reason, time_us, err);
}

static inline int
store_equivocation_count(struct store *s, int64_t partner, uint64_t *ret, struct err *err)
{
	const struct store_ledger_ops *o = s->be->ledger;

	if (o == NULL)
		return store_no_domain(s, "ledger", err);
	return o->equivocation_count(s, partner, ret, err);
}

static inline int
store_partner_set_agreement(struct store *s, int64_t rowid, int which, const uint8_t *hash,
    struct err *err)
{
	const struct store_exchange_ops *o = s->be->exchange;

	if (o == NULL)
		return store_no_domain(s, "exchange", err);
	return o->partner_set_agreement(s, rowid, which, hash, err);
}

static inline int
store_policy_log_add(struct store *s, const struct store_policy_entry *e, struct err *err)
{
	const struct store_exchange_ops *o = s->be->exchange;

	if (o == NULL)
		return store_no_domain(s, "exchange", err);
	return o->policy_log_add(s, e, err);
}

static inline int
store_policy_log_scan(struct store *s, int64_t partner, size_t limit, store_policy_fn fn,
    void *arg, struct err *err)
{
	const struct store_exchange_ops *o = s->be->exchange;

	if (o == NULL)
		return store_no_domain(s, "exchange", err);
	return o->policy_log_scan(s, partner, limit, fn, arg, err);
}

static inline int
store_policy_log_counts(struct store *s, int64_t since_us, store_policy_count_fn fn, void *arg,
    struct err *err)
{
	const struct store_exchange_ops *o = s->be->exchange;

	if (o == NULL)
		return store_no_domain(s, "exchange", err);
	return o->policy_log_counts(s, since_us, fn, arg, err);
}

static inline int
store_partner_cert(struct store *s, int64_t rowid, int64_t not_after_us, struct err *err)
{
	const struct store_exchange_ops *o = s->be->exchange;

	if (o == NULL)
		return store_no_domain(s, "exchange", err);
	return o->partner_cert(s, rowid, not_after_us, err);
}

static inline int
store_case_put(struct store *s, const struct store_case *c, struct err *err)
{
	const struct store_hotline_ops *o = s->be->hotline;

	if (o == NULL)
		return store_no_domain(s, "hotline", err);
	return o->case_put(s, c, err);
}

static inline int
store_case_get(struct store *s, const char *key, struct store_case *ret, struct err *err)
{
	const struct store_hotline_ops *o = s->be->hotline;

	if (o == NULL)
		return store_no_domain(s, "hotline", err);
	return o->case_get(s, key, ret, err);
}

static inline int
store_case_scan(struct store *s, const struct store_case_query *q, store_case_fn fn, void *arg,
    struct err *err)
{
	const struct store_hotline_ops *o = s->be->hotline;

	if (o == NULL)
		return store_no_domain(s, "hotline", err);
	return o->case_scan(s, q, fn, arg, err);
}

static inline int
store_case_due(struct store *s, int64_t now_us, size_t limit, store_case_fn fn, void *arg,
    struct err *err)
{
	const struct store_hotline_ops *o = s->be->hotline;

	if (o == NULL)
		return store_no_domain(s, "hotline", err);
	return o->case_due(s, now_us, limit, fn, arg, err);
}

static inline int
store_case_count(struct store *s, int64_t now_us, struct store_case_counts *ret,
    struct err *err)
{
	const struct store_hotline_ops *o = s->be->hotline;

	if (o == NULL)
		return store_no_domain(s, "hotline", err);
	return o->case_count(s, now_us, ret, err);
}

static inline int
store_step_add(struct store *s, struct store_step *st, struct err *err)
{
	const struct store_hotline_ops *o = s->be->hotline;

	if (o == NULL)
		return store_no_domain(s, "hotline", err);
	return o->step_add(s, st, err);
}

static inline int
store_step_scan(struct store *s, const char *case_id, int with_body, store_step_fn fn, void *arg,
    struct err *err)
{
	const struct store_hotline_ops *o = s->be->hotline;

	if (o == NULL)
		return store_no_domain(s, "hotline", err);
	return o->step_scan(s, case_id, with_body, fn, arg, err);
}

static inline int
store_step_set_status(struct store *s, int64_t rowid, int status, const char *reason,
    struct err *err)
{
	const struct store_hotline_ops *o = s->be->hotline;

	if (o == NULL)
		return store_no_domain(s, "hotline", err);
	return o->step_set_status(s, rowid, status, reason, err);
}

static inline int
store_step_queued(struct store *s, int64_t partner, size_t max, store_step_fn fn, void *arg,
    struct err *err)
{
	const struct store_hotline_ops *o = s->be->hotline;

	if (o == NULL)
		return store_no_domain(s, "hotline", err);
	return o->step_queued(s, partner, max, fn, arg, err);
}

static inline int
store_step_packed(struct store *s, int64_t rowid, uint64_t seq, struct err *err)
{
	const struct store_hotline_ops *o = s->be->hotline;

	if (o == NULL)
		return store_no_domain(s, "hotline", err);
	return o->step_packed(s, rowid, seq, err);
}

#endif
