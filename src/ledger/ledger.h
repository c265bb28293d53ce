/*
 * The node's witnessed log (docs/evidence.md): appends in the writer's
 * transactions, proofs from the stored tree, signed checkpoints that never
 * contradict an earlier one, the witness side of c2sp.org/tlog-witness for
 * partners' logs, and the full verification behind `liaison log verify`.
 * All I/O goes through the store; nothing here logs or talks to the network.
 */
#ifndef LSN_LEDGER_LEDGER_H
#define LSN_LEDGER_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/cx.h"
#include "ledger/merkle.h"
#include "ledger/note.h"
#include "store/store.h"
#include "util/err.h"

struct err;

/*
 * Every entry starts with "LSE1" and a type byte; the rest is the type's
 * (an envelope entry is defined with envelopes, in wire/envelope.h).
 */
#define LEDGER_ENTRY_MAGIC "LSE1"
#define LEDGER_ENTRY_MAX 65535        /* tlog-tiles entry bundles cap entries at 64 KiB */
enum ledger_entry_type {
	LEDGER_ENTRY_ENVELOPE = 1,    /* an envelope sent or accepted (wire/envelope.h) */
	LEDGER_ENTRY_AGREEMENT = 2,   /* the agreement now held with a partner (exchange.h) */
};

/*
 * A log's names and keys. Origin "liaison/<node>/log/<k>", witness name
 * "liaison/<node>/witness/<k>", k the first 8 hex digits of the key id: a
 * new signing key starts a new origin. Both use the node's Ed25519 key
 * (decision 0006); their signed-note key ids differ by type.
 */
struct ledger_id {
	char origin[NOTE_NAME_MAX + 1];
	struct note_key log_key;      /* type 0x01, name = origin */
	struct note_key witness_key;  /* type 0x04 */
};

int ledger_id_init(struct ledger_id *id, const char *node_name,
    const uint8_t pub[static CX_ED25519_PUB_LEN], struct err *err);

/* The node source over the store's tree rows (arg is the struct store *). */
int ledger_node(void *store, unsigned level, uint64_t index, uint8_t out[static MERKLE_HASH_LEN],
    struct err *err);

/*
 * A cache of full-subtree hashes at levels >= LEDGER_CACHE_MIN_LEVEL for one
 * thread's proofs: such a hash never changes once its last leaf is stored,
 * so nothing is ever invalidated. Direct-mapped, fixed size (about 5 MB),
 * allocated once. With it a proof reads only the rows of the lowest levels.
 */
#define LEDGER_CACHE_MIN_LEVEL 8
struct ledger_cache;
struct ledger_cache *ledger_cache_new(void);
void ledger_cache_free(struct ledger_cache *c);

/* A node source over a store with a cache (merkle_node_fn's arg for ledger_node_cached). */
struct ledger_src {
	struct store *s;
	struct ledger_cache *cache;
};
int ledger_node_cached(void *src, unsigned level, uint64_t index,
    uint8_t out[static MERKLE_HASH_LEN], struct err *err);

/* Appends one entry (inside a write transaction); *ret_idx gets its leaf index. */
int ledger_append(struct store *s, const uint8_t *entry, size_t len, uint64_t *ret_idx,
    struct err *err);

/*
 * Signs a checkpoint of the log's current size if it is larger than the
 * last one signed (inside a write transaction; it is released once that
 * commits). Refuses (-LSN_ECONFLICT) if the stored tree no longer has the
 * root of the last signed checkpoint. *ret_size: the size now signed (or
 * the last one, when there was nothing new).
 */
int ledger_sign(struct store *s, const struct ledger_id *id, const struct cx_key *key,
    int64_t now_us, uint64_t *ret_size, struct err *err);

/*
 * A checkpoint of this node's as a signed note with every cosignature it
 * has (size 0: the latest one; UINT64_MAX: the latest one that has at
 * least one cosignature). NUL-terminated into out; *ret_size its size.
 */
int ledger_checkpoint_note(struct store *s, uint64_t size, char *out, size_t cap,
    size_t *ret_len, uint64_t *ret_size, struct err *err);

/*
 * A tlog-proof@v1 of leaf idx against this node's checkpoint of `size`
 * (with its cosignatures), the entry in the extra line.
 */
int ledger_prove(struct store *s, uint64_t idx, uint64_t size, char *out, size_t cap,
    size_t *ret_len, struct err *err);

/* ---- witnessing ---- */

/* The add-checkpoint body for partner p: our latest checkpoint, proof from old_size. */
int ledger_witness_request(struct store *s, uint64_t old_size, char *out, size_t cap,
    size_t *ret_len, uint64_t *ret_size, struct err *err);
/*
 * A partner's cosignature response to our checkpoint of `size`: every line
 * verified with the partner's witness key (other keys' lines ignored) and
 * stored. -LSN_EBADSIG / -LSN_ENOTFOUND if none of p's verifies.
 */
int ledger_witness_accept(struct store *s, const struct store_partner *p, uint64_t size,
    const char *resp, size_t len, struct err *err);

/* What the witness side answers (c2sp.org/tlog-witness status codes). */
struct ledger_witness_out {
	int status;                   /* 200, 400, 403, 404, 409 or 422 */
	uint64_t size;                /* 409: the size this node last cosigned */
	char line[512];               /* 200: the cosignature line */
	int equivocation;             /* 1: the request proved the partner's log forked */
};

/*
 * The witness for partner p's log (inside a write transaction, so the
 * check of old_size and the update are one atomic step). Every outcome is
 * in out; the return is negative only when the store fails.
 */
int ledger_witness_add(struct store *s, const struct ledger_id *self, const struct cx_key *key,
    const struct store_partner *p, const char *body, size_t len, int64_t now_us,
    struct ledger_witness_out *out, struct err *err);

/* ---- verification ---- */

struct ledger_verify_report {
	uint64_t leaves, checkpoints, cosignatures, witnessed;
	uint64_t entries_by_type[4];  /* [LEDGER_ENTRY_ENVELOPE] ... */
	int64_t first_bad;            /* leaf index of the first problem; -1 if none at a leaf */
	int ok;
	char problem[ERR_MSG_MAX];
	uint64_t *envelope_leaves;    /* leaf indexes of envelope entries, in order (malloc'd) */
	size_t n_envelope_leaves;
};

/*
 * Recomputes the whole tree from the stored entries and checks every
 * stored hash, every checkpoint this node signed (root and signature),
 * every cosignature on them and every partner checkpoint it cosigned.
 * Stops at the first problem (report->ok 0, first_bad, problem). Returns
 * negative only when the store fails. Release with ledger_verify_release.
 */
int ledger_verify(struct store *s, const struct ledger_id *id, struct ledger_verify_report *rep,
    struct err *err);
void ledger_verify_release(struct ledger_verify_report *rep);

#endif
