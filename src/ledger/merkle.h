/*
 * Merkle tree arithmetic of RFC 9162 §2.1 (= RFC 6962 §2.1): leaf and node
 * hashes, the compact range (right edge) of a growing tree, inclusion and
 * consistency proofs and their verifiers. Pure: no I/O, no allocation. The
 * hashes of full subtrees come from a caller's node source, so the same
 * code proves from the store, from memory or from a test's oracle.
 *
 * Addressing: node (level, index) is the root of the full subtree over
 * leaves [index << level, (index + 1) << level); level 0 is a leaf hash.
 */
#ifndef LSN_LEDGER_MERKLE_H
#define LSN_LEDGER_MERKLE_H

#include <stddef.h>
#include <stdint.h>

struct err;

#define MERKLE_HASH_LEN 32
/* Proof hashes at most (tlog-witness: no more than 63 proof lines). */
#define MERKLE_PROOF_MAX 63
/* Levels of a compact range: enough for 2^64 - 1 leaves. */
#define MERKLE_LEVELS 64

typedef uint8_t merkle_hash[MERKLE_HASH_LEN];

/* SHA-256(0x00 || entry). */
void merkle_leaf_hash(const void *entry, size_t len, uint8_t out[static MERKLE_HASH_LEN]);
/* SHA-256(0x01 || left || right). out may alias left or right. */
void merkle_node_hash(const uint8_t left[static MERKLE_HASH_LEN],
    const uint8_t right[static MERKLE_HASH_LEN], uint8_t out[static MERKLE_HASH_LEN]);
/* Root of the empty tree: SHA-256 of the empty string. */
void merkle_empty_root(uint8_t out[static MERKLE_HASH_LEN]);

/*
 * A node source: writes the hash of full subtree (level, index) to out.
 * Only asked for nodes of full subtrees inside the tree being proved.
 * Returns 0, or a negative -LSN_E* (with err filled) that the caller
 * returns unchanged.
 */
typedef int (*merkle_node_fn)(void *arg, unsigned level, uint64_t index,
    uint8_t out[static MERKLE_HASH_LEN], struct err *err);

/*
 * The compact range of a tree of `size` leaves: the roots of the full
 * subtrees its size decomposes into (one per set bit of size), largest
 * (leftmost) first. What a writer keeps to append without reading.
 */
struct merkle_range {
	uint64_t size;
	unsigned n;                           /* popcount(size) */
	merkle_hash h[MERKLE_LEVELS];         /* h[0] is the leftmost, largest subtree */
};

void merkle_range_init(struct merkle_range *r);
/*
 * Appends one leaf hash. The nodes this leaf completes, i.e. levels
 * 1..*ret_n of the full subtrees that now end at this leaf (the leaf's
 * index has *ret_n trailing one bits), are written to completed[0..*ret_n-1]
 * in increasing level; completed may be NULL.
 */
void merkle_range_append(struct merkle_range *r, const uint8_t leaf[static MERKLE_HASH_LEN],
    merkle_hash completed[MERKLE_LEVELS], unsigned *ret_n);
/* Root hash of the range's tree (the empty root for size 0). */
void merkle_range_root(const struct merkle_range *r, uint8_t out[static MERKLE_HASH_LEN]);
/* Loads the compact range of a tree of `size` leaves from a node source. */
int merkle_range_load(struct merkle_range *r, uint64_t size, merkle_node_fn fn, void *arg,
    struct err *err);

/* Root of the tree of `size` leaves (MTH(D[0:size])). */
int merkle_root(uint64_t size, merkle_node_fn fn, void *arg, uint8_t out[static MERKLE_HASH_LEN],
    struct err *err);

/*
 * Inclusion proof of leaf `index` in the tree of `size` leaves (RFC 9162
 * §2.1.3.1), from the leaf's sibling up to the root's child; *ret_n hashes.
 * -LSN_EINVAL if index >= size.
 */
int merkle_inclusion_proof(uint64_t index, uint64_t size, merkle_node_fn fn, void *arg,
    merkle_hash proof[MERKLE_PROOF_MAX], size_t *ret_n, struct err *err);

/*
 * Consistency proof from the tree of `old_size` leaves to the tree of
 * `size` leaves (RFC 9162 §2.1.4.1; empty when old_size is 0 or equals
 * size). -LSN_EINVAL if old_size > size.
 */
int merkle_consistency_proof(uint64_t old_size, uint64_t size, merkle_node_fn fn, void *arg,
    merkle_hash proof[MERKLE_PROOF_MAX], size_t *ret_n, struct err *err);

/*
 * Verifiers (RFC 9162 §2.1.3.2 and §2.1.4.2). 0 if the proof binds the
 * leaf (or the old root) to root; -LSN_EINVAL with a sentence naming the
 * problem otherwise: index >= size, old_size > size, a proof longer than
 * MERKLE_PROOF_MAX or than the tree needs, one too short, a nonempty proof
 * where none is due, or a root that does not match.
 */
int merkle_verify_inclusion(uint64_t index, uint64_t size, const uint8_t leaf[static MERKLE_HASH_LEN],
    const merkle_hash *proof, size_t n, const uint8_t root[static MERKLE_HASH_LEN],
    struct err *err);
int merkle_verify_consistency(uint64_t old_size, uint64_t size,
    const uint8_t old_root[static MERKLE_HASH_LEN], const uint8_t root[static MERKLE_HASH_LEN],
    const merkle_hash *proof, size_t n, struct err *err);

#endif
