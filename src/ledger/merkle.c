/*
 * RFC 9162 §2.1 Merkle trees over OpenSSL's SHA-256: the compact range, and
 * proofs built only from full-subtree hashes. No heap buffers of its own; never
 * trusts a proof's length before checking it against the tree's shape.
 */
#include "ledger/merkle.h"
#include "util/err.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

/*
 * Fetching SHA-256 on every hash costs more than the two compression
 * rounds of a node hash; so the EVP_MD is fetched once per process and
 * each thread keeps one EVP_MD_CTX, freed by the key's destructor when
 * the thread exits. (OpenSSL 3.0's EVP_DigestInit_ex2 still frees and
 * reallocates the provider's small context on every call; EVP offers no
 * way around that.)
 */
static pthread_once_t md_once = PTHREAD_ONCE_INIT;
static pthread_key_t ctx_key;
static EVP_MD *md_sha256;
static _Thread_local EVP_MD_CTX *tl_ctx;

/* SHA-256 of the empty string (RFC 9162 §2.1.1: MTH({}) = HASH()). */
static const uint8_t empty_root[MERKLE_HASH_LEN] = {
	0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
	0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
};

/* Runs in the exiting thread, whose later destructors may hash again. */
static void
ctx_destroy(void *ctx)
{
	EVP_MD_CTX_free(ctx);
	tl_ctx = NULL;
}

static void
md_fetch(void)
{
	md_sha256 = EVP_MD_fetch(NULL, "SHA2-256", NULL);
	if (md_sha256 == NULL || pthread_key_create(&ctx_key, ctx_destroy) != 0)
		abort();
}

static EVP_MD_CTX *
hash_ctx(void)
{
	if (tl_ctx != NULL)
		return tl_ctx;
	if (pthread_once(&md_once, md_fetch) != 0)
		abort();
	tl_ctx = EVP_MD_CTX_new();
	if (tl_ctx == NULL || pthread_setspecific(ctx_key, tl_ctx) != 0)
		abort();
	return tl_ctx;
}

/*
 * SHA-256(a || b). The void hash functions cannot report failure, and a
 * wrong hash would silently break every proof: like cx_sha256, stop.
 */
static void
hash_two(const void *a, size_t alen, const void *b, size_t blen,
    uint8_t out[static MERKLE_HASH_LEN])
{
	EVP_MD_CTX *ctx = hash_ctx();

	if (EVP_DigestInit_ex2(ctx, md_sha256, NULL) != 1 ||
	    EVP_DigestUpdate(ctx, a, alen) != 1 ||
	    (blen > 0 && EVP_DigestUpdate(ctx, b, blen) != 1) ||
	    EVP_DigestFinal_ex(ctx, out, NULL) != 1)
		abort();
}

void
merkle_leaf_hash(const void *entry, size_t len, uint8_t out[static MERKLE_HASH_LEN])
{
	static const uint8_t prefix = 0x00;

	hash_two(&prefix, 1, entry, len, out);
}

void
merkle_node_hash(const uint8_t left[static MERKLE_HASH_LEN],
    const uint8_t right[static MERKLE_HASH_LEN], uint8_t out[static MERKLE_HASH_LEN])
{
	uint8_t buf[1 + 2 * MERKLE_HASH_LEN];

	/* One update of 65 bytes; copying first also lets out alias an input. */
	buf[0] = 0x01;
	memcpy(buf + 1, left, MERKLE_HASH_LEN);
	memcpy(buf + 1 + MERKLE_HASH_LEN, right, MERKLE_HASH_LEN);
	hash_two(buf, sizeof(buf), NULL, 0, out);
}

void
merkle_empty_root(uint8_t out[static MERKLE_HASH_LEN])
{
	memcpy(out, empty_root, MERKLE_HASH_LEN);
}

/* MTH of consecutive subtrees h[0..n-1], largest first: fold from the right. */
static void
hashes_fold(const merkle_hash *h, unsigned n, uint8_t out[static MERKLE_HASH_LEN])
{
	uint8_t acc[MERKLE_HASH_LEN];

	if (n == 0) {
		merkle_empty_root(out);
		return;
	}
	memcpy(acc, h[n - 1], MERKLE_HASH_LEN);
	while (--n > 0)
		merkle_node_hash(h[n - 1], acc, acc);
	memcpy(out, acc, MERKLE_HASH_LEN);
}

/*
 * The full subtrees of leaves [begin, begin + len), one per set bit of len,
 * largest first. begin must be a multiple of a power of two above len (0,
 * or the start of a right-edge subtree), so each of them is aligned.
 */
static int
range_nodes(uint64_t begin, uint64_t len, merkle_node_fn fn, void *arg,
    merkle_hash h[MERKLE_LEVELS], unsigned *ret_n, struct err *err)
{
	unsigned b, n = 0;
	int r;

	for (b = MERKLE_LEVELS; b-- > 0;) {
		if ((len >> b & 1) == 0)
			continue;
		r = fn(arg, b, begin >> b, h[n], err);
		if (r < 0)
			return r;
		n++;
		begin += (uint64_t)1 << b;
	}
	*ret_n = n;
	return 0;
}

/* MTH of leaves [begin, end), begin aligned as range_nodes requires. */
static int
range_fold(uint64_t begin, uint64_t end, merkle_node_fn fn, void *arg,
    uint8_t out[static MERKLE_HASH_LEN], struct err *err)
{
	merkle_hash h[MERKLE_LEVELS];
	unsigned n;
	int r;

	r = range_nodes(begin, end - begin, fn, arg, h, &n, err);
	if (r < 0)
		return r;
	hashes_fold(h, n, out);
	return 0;
}

void
merkle_range_init(struct merkle_range *r)
{
	memset(r, 0, sizeof(*r));
}

void
merkle_range_append(struct merkle_range *r, const uint8_t leaf[static MERKLE_HASH_LEN],
    merkle_hash completed[MERKLE_LEVELS], unsigned *ret_n)
{
	uint8_t cur[MERKLE_HASH_LEN];
	uint64_t s = r->size;
	unsigned k = 0;

	/* Leaf 2^64 - 1 would wrap size to 0; no ledger gets there. */
	if (s == UINT64_MAX)
		abort();
	memcpy(cur, leaf, MERKLE_HASH_LEN);
	/* Each trailing one bit of the old size is a subtree the leaf completes. */
	for (; s & 1; s >>= 1) {
		merkle_node_hash(r->h[--r->n], cur, cur);
		if (completed != NULL)
			memcpy(completed[k], cur, MERKLE_HASH_LEN);
		k++;
	}
	memcpy(r->h[r->n++], cur, MERKLE_HASH_LEN);
	r->size++;
	if (ret_n != NULL)
		*ret_n = k;
}

void
merkle_range_root(const struct merkle_range *r, uint8_t out[static MERKLE_HASH_LEN])
{
	hashes_fold(r->h, r->n, out);
}

int
merkle_range_load(struct merkle_range *r, uint64_t size, merkle_node_fn fn, void *arg,
    struct err *err)
{
	struct merkle_range tmp;
	int ret;

	merkle_range_init(&tmp);
	ret = range_nodes(0, size, fn, arg, tmp.h, &tmp.n, err);
	if (ret < 0)
		return ret;
	tmp.size = size;
	*r = tmp;
	return 0;
}

int
merkle_root(uint64_t size, merkle_node_fn fn, void *arg, uint8_t out[static MERKLE_HASH_LEN],
    struct err *err)
{
	return range_fold(0, size, fn, arg, out, err);
}

/*
 * The path of node (level, i) up to the root of a tree of size >= 1
 * leaves. At each level the node has a sibling unless it is the right
 * edge with nothing to its right; then it stands for its parent unchanged
 * (RFC 9162 §2.1.1 splits at the largest power of two below n, so a
 * right-edge subtree is never paired with an empty one). Only the highest
 * right sibling can be incomplete: every later node holds leaf size - 1.
 */
static size_t
path_len(unsigned level, uint64_t i, uint64_t size)
{
	uint64_t last = size - 1;
	size_t n = 0;

	for (; level < 64 && last >> level != 0; level++, i >>= 1) {
		if ((i ^ 1) <= last >> level)
			n++;
	}
	return n;
}

static int
path_proof(unsigned level, uint64_t i, uint64_t size, merkle_node_fn fn, void *arg,
    merkle_hash *proof, struct err *err)
{
	uint64_t last = size - 1, sib;
	int r;

	for (; level < 64 && last >> level != 0; level++, i >>= 1) {
		sib = i ^ 1;
		if (sib > last >> level)
			continue;
		if (sib < size >> level)
			r = fn(arg, level, sib, *proof, err);
		else
			r = range_fold(sib << level, size, fn, arg, *proof, err);
		if (r < 0)
			return r;
		proof++;
	}
	return 0;
}

/*
 * Folds a proof along the path path_len counted: a left sibling enters
 * both roots (the old tree holds it too), a right one only the new root.
 * fr may be NULL (inclusion: there is no old tree).
 */
static void
path_fold(unsigned level, uint64_t i, uint64_t size, const merkle_hash *proof,
    uint8_t *fr, uint8_t sr[static MERKLE_HASH_LEN])
{
	uint64_t last = size - 1;

	for (; level < 64 && last >> level != 0; level++, i >>= 1) {
		if ((i ^ 1) > last >> level)
			continue;
		if (i & 1) {
			if (fr != NULL)
				merkle_node_hash(*proof, fr, fr);
			merkle_node_hash(*proof, sr, sr);
		} else {
			merkle_node_hash(sr, *proof, sr);
		}
		proof++;
	}
}

int
merkle_inclusion_proof(uint64_t index, uint64_t size, merkle_node_fn fn, void *arg,
    merkle_hash proof[MERKLE_PROOF_MAX], size_t *ret_n, struct err *err)
{
	size_t n;
	int r;

	if (index >= size)
		return err_set(err, LSN_EINVAL, "leaf %" PRIu64 " is not in a tree of %" PRIu64
		    " leaves", index, size);
	n = path_len(0, index, size);
	if (n > MERKLE_PROOF_MAX)
		return err_set(err, LSN_ETOOBIG, "an inclusion proof in a tree of %" PRIu64
		    " leaves needs %zu hashes, more than the %d allowed", size, n, MERKLE_PROOF_MAX);
	r = path_proof(0, index, size, fn, arg, proof, err);
	if (r < 0)
		return r;
	*ret_n = n;
	return 0;
}

/*
 * RFC 9162 §2.1.4.1 in node terms: the proof is the inclusion path of the
 * last full subtree of the old tree, (ctz(old), (old - 1) >> ctz(old)),
 * preceded by that subtree's hash unless it is the whole old tree (old a
 * power of two), whose root the verifier already has.
 */
int
merkle_consistency_proof(uint64_t old_size, uint64_t size, merkle_node_fn fn, void *arg,
    merkle_hash proof[MERKLE_PROOF_MAX], size_t *ret_n, struct err *err)
{
	unsigned level;
	uint64_t i;
	size_t n, first;
	int r;

	if (old_size > size)
		return err_set(err, LSN_EINVAL, "cannot prove consistency from %" PRIu64
		    " leaves to fewer (%" PRIu64 ")", old_size, size);
	if (old_size == 0 || old_size == size) {
		*ret_n = 0;
		return 0;
	}
	level = (unsigned)__builtin_ctzll(old_size);
	i = (old_size - 1) >> level;
	first = i != 0;
	n = first + path_len(level, i, size);
	if (n > MERKLE_PROOF_MAX)
		return err_set(err, LSN_ETOOBIG, "a consistency proof to a tree of %" PRIu64
		    " leaves needs %zu hashes, more than the %d allowed", size, n, MERKLE_PROOF_MAX);
	if (first) {
		r = fn(arg, level, i, proof[0], err);
		if (r < 0)
			return r;
	}
	r = path_proof(level, i, size, fn, arg, proof + first, err);
	if (r < 0)
		return r;
	*ret_n = n;
	return 0;
}

static int
proof_len_check(const char *what, size_t n, size_t want, struct err *err)
{
	if (n > MERKLE_PROOF_MAX)
		return err_set(err, LSN_EINVAL, "the %s proof has %zu hashes, more than the %d allowed",
		    what, n, MERKLE_PROOF_MAX);
	if (n > want)
		return err_set(err, LSN_EINVAL, "the %s proof is too long: %zu hashes where the tree "
		    "needs %zu", what, n, want);
	if (n < want)
		return err_set(err, LSN_EINVAL, "the %s proof is too short: %zu hashes where the tree "
		    "needs %zu", what, n, want);
	return 0;
}

/* RFC 9162 §2.1.3.2, with the proof's length checked against the tree first. */
int
merkle_verify_inclusion(uint64_t index, uint64_t size, const uint8_t leaf[static MERKLE_HASH_LEN],
    const merkle_hash *proof, size_t n, const uint8_t root[static MERKLE_HASH_LEN],
    struct err *err)
{
	uint8_t sr[MERKLE_HASH_LEN];
	int r;

	if (index >= size)
		return err_set(err, LSN_EINVAL, "leaf %" PRIu64 " is not in a tree of %" PRIu64
		    " leaves", index, size);
	r = proof_len_check("inclusion", n, path_len(0, index, size), err);
	if (r < 0)
		return r;
	memcpy(sr, leaf, MERKLE_HASH_LEN);
	path_fold(0, index, size, proof, NULL, sr);
	if (memcmp(sr, root, MERKLE_HASH_LEN) != 0)
		return err_set(err, LSN_EINVAL, "the inclusion proof of leaf %" PRIu64 " does not "
		    "lead to the root of the tree of %" PRIu64 " leaves", index, size);
	return 0;
}

/*
 * Nothing to prove between equal sizes but that the roots agree; and the
 * empty tree is a prefix of every tree (RFC 9162 §2.1.4 defines proofs
 * only for 0 < old < new), so its root is not examined.
 */
static int
verify_trivial(uint64_t old_size, uint64_t size, const uint8_t old_root[static MERKLE_HASH_LEN],
    const uint8_t root[static MERKLE_HASH_LEN], size_t n, struct err *err)
{
	if (n != 0)
		return err_set(err, LSN_EINVAL, "a consistency proof from %" PRIu64 " to %" PRIu64
		    " leaves must be empty, and this one has %zu hashes", old_size, size, n);
	if (old_size == size && memcmp(old_root, root, MERKLE_HASH_LEN) != 0)
		return err_set(err, LSN_EINVAL, "two trees of %" PRIu64 " leaves have different "
		    "roots", size);
	return 0;
}

/* RFC 9162 §2.1.4.2, with the proof's length checked against the trees first. */
int
merkle_verify_consistency(uint64_t old_size, uint64_t size,
    const uint8_t old_root[static MERKLE_HASH_LEN], const uint8_t root[static MERKLE_HASH_LEN],
    const merkle_hash *proof, size_t n, struct err *err)
{
	uint8_t fr[MERKLE_HASH_LEN], sr[MERKLE_HASH_LEN];
	unsigned level;
	uint64_t i;
	size_t first;
	int r;

	if (old_size > size)
		return err_set(err, LSN_EINVAL, "a tree of %" PRIu64 " leaves cannot extend one of %"
		    PRIu64, size, old_size);
	if (old_size == 0 || old_size == size)
		return verify_trivial(old_size, size, old_root, root, n, err);
	level = (unsigned)__builtin_ctzll(old_size);
	i = (old_size - 1) >> level;
	first = i != 0;
	r = proof_len_check("consistency", n, first + path_len(level, i, size), err);
	if (r < 0)
		return r;
	memcpy(fr, first ? proof[0] : old_root, MERKLE_HASH_LEN);
	memcpy(sr, fr, MERKLE_HASH_LEN);
	path_fold(level, i, size, proof + first, fr, sr);
	if (memcmp(fr, old_root, MERKLE_HASH_LEN) != 0)
		return err_set(err, LSN_EINVAL, "the consistency proof does not lead to the root of "
		    "the old tree of %" PRIu64 " leaves", old_size);
	if (memcmp(sr, root, MERKLE_HASH_LEN) != 0)
		return err_set(err, LSN_EINVAL, "the consistency proof does not lead to the root of "
		    "the tree of %" PRIu64 " leaves", size);
	return 0;
}
