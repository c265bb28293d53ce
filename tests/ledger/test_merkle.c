/*
 * Merkle trees and proofs (src/ledger/merkle.c): RFC 6962's published
 * vectors, every tree of up to 1000 leaves against a naive RFC 9162 §2.1
 * recursion, and random trees of up to 10,000,000 leaves.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <pthread.h>

#include "crypto/cx.h"
#include "ledger/merkle.h"
#include "util/enc.h"
#include "util/err.h"

#define HL MERKLE_HASH_LEN
#define SMALL 1024          /* leaves of the small oracle */
#define EXHAUSTIVE 1000     /* every size, index and old size up to this */
#define NAIVE_MAX 300       /* proofs compared with the naive recursion up to this */
#define BIG 10000000ULL     /* leaves of the big tree */
#define BIG_LO 6            /* big-tree levels below this are recomputed on demand */
#define BIG_SAMPLES 200

_Static_assert(BIG % 64 == 0, "the big tree is built in blocks of 64 leaves");

/*
 * RFC 6962 reference data as published with google/trillian's merkle
 * package and transparency-dev/merkle (proof/verify_test.go, whose leaf
 * numbers are 1-based; indices here are 0-based). Every value below was
 * recomputed independently from the eight leaves with Python's hashlib and
 * a direct transcription of RFC 9162 §2.1's MTH, PATH and SUBPROOF; they
 * all agree.
 */
#define H_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define H_ROOT1 "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
#define H_ROOT2 "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"
#define H_ROOT4 "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"
#define H_96A2 "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"
#define H_5F08 "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"
#define H_6B47 "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"
#define H_BC1A "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"
#define H_CA85 "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"
#define H_0EBC "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"
#define H_B086 "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"

static const char *const rfc_leaves[8] = {
	"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
	"606162636465666768696a6b6c6d6e6f",
};
static const char *const rfc_roots[9] = {
	H_EMPTY,
	H_ROOT1,
	H_ROOT2,
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	H_ROOT4,
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

struct rfc_proof {
	uint64_t first;   /* leaf index, or old size */
	uint64_t size;
	size_t n;
	const char *h[3];
};

static const struct rfc_proof rfc_inclusion[] = {
	{ 0, 1, 0, { NULL } },
	{ 0, 8, 3, { H_96A2, H_5F08, H_6B47 } },
	{ 5, 8, 3, { H_BC1A, H_CA85, H_ROOT4 } },
	{ 2, 3, 1, { H_ROOT2 } },
	{ 1, 5, 3, { H_ROOT1, H_5F08, H_BC1A } },
};

static const struct rfc_proof rfc_consistency[] = {
	{ 1, 1, 0, { NULL } },
	{ 1, 8, 3, { H_96A2, H_5F08, H_6B47 } },
	{ 6, 8, 3, { H_0EBC, H_CA85, H_ROOT4 } },
	{ 2, 5, 2, { H_5F08, H_BC1A } },
	{ 6, 7, 3, { H_0EBC, H_B086, H_ROOT4 } },
};

/*
 * Roots of the big tree (leaf i = SHA-256(0x00 || le64(i))), computed
 * independently with Python's hashlib; the root of 1000 leaves also with
 * a recursive MTH.
 */
static const struct {
	uint64_t size;
	const char *root;
} big_roots[] = {
	{ 1, "3e7077fd2f66d689e0cee6a7cf5b37bf2dca7c979af356d0a31cbc5c85605c7d" },
	{ 3, "60bcae7f87810b5af37bb60eebb0e9adea015f2ce41a7ac84852c4bfc87d8920" },
	{ 1000, "2ead098f942159838db37f138003c41ba2cdc6c04d42366c530027b1db6b7f75" },
	{ 8388607, "b1250ee85c7d35d7b55325882459c02bf792a2a83ea462f8912f9734db74b3b5" },
	{ 8388608, "e0b27d3c12812b100b3d34f8dd584ae537e041721280fdc1c39e2b855e63b6bd" },
	{ 8388609, "b1b3b3b25f678910f8013564b87f378d52cdc9f0fabba07219b02ab7bddae197" },
	{ 9999999, "60941959441242c794a7fbf8828c8c6be001c48b9d5339f145f20ce4e2f3ca4a" },
	{ 10000000, "f13ca57010d2eea0417d9dd5bcd15f64362165629fedcffc2136fde3c153178a" },
};

/* ---- an oracle node source over stored level arrays ---- */

struct oracle {
	merkle_hash *lv[MERKLE_LEVELS];   /* lv[l][i]: full subtree (l, i); NULL below lo */
	uint64_t leaves;
	unsigned lo;                      /* levels below lo are recomputed from the leaves */
	uint64_t size;                    /* the tree being proved: nodes outside are a bug */
	unsigned long calls;
	long fail_at;                     /* >= 0: that call fails with EIO */
};

static void
hash_from_hex(const char *hex, uint8_t out[static HL])
{
	assert_int_equal(hex_decode(hex, strlen(hex), out, HL), 0);
}

/* The hashing of RFC 9162 §2.1.1 again, through cx_sha256 (EVP_Digest). */
static void
naive_node(const uint8_t l[static HL], const uint8_t r[static HL], uint8_t out[static HL])
{
	uint8_t b[1 + 2 * HL];

	b[0] = 0x01;
	memcpy(b + 1, l, HL);
	memcpy(b + 1 + HL, r, HL);
	cx_sha256(b, sizeof(b), out);
}

/* Leaf i of the generated trees: SHA-256(0x00 || le64(i)). */
static void
naive_leaf(uint64_t i, uint8_t out[static HL])
{
	uint8_t b[9];
	int k;

	b[0] = 0x00;
	for (k = 0; k < 8; k++)
		b[1 + k] = (uint8_t)(i >> (8 * k));
	cx_sha256(b, sizeof(b), out);
}

/* The same leaf through the library (test_hashes_agree compares the two). */
static void
fast_leaf(uint64_t i, uint8_t out[static HL])
{
	uint8_t b[8];
	int k;

	for (k = 0; k < 8; k++)
		b[k] = (uint8_t)(i >> (8 * k));
	merkle_leaf_hash(b, sizeof(b), out);
}

/* Node (level, index) of the generated trees from its leaves (level < 6). */
static void
low_node(unsigned level, uint64_t index, uint8_t out[static HL])
{
	merkle_hash h[64];
	uint64_t w = (uint64_t)1 << level, j;

	for (j = 0; j < w; j++)
		fast_leaf((index << level) + j, h[j]);
	for (; w > 1; w /= 2) {
		for (j = 0; j < w / 2; j++)
			merkle_node_hash(h[2 * j], h[2 * j + 1], h[j]);
	}
	memcpy(out, h[0], HL);
}

static int
oracle_node(void *arg, unsigned level, uint64_t index, uint8_t out[static HL], struct err *err)
{
	struct oracle *o = arg;

	if (level >= MERKLE_LEVELS || index >= o->size >> level)
		fail_msg("asked for node (%u, %llu), not a full subtree of %llu leaves", level,
		    (unsigned long long)index, (unsigned long long)o->size);
	if (o->fail_at >= 0 && o->calls == (unsigned long)o->fail_at)
		return err_set(err, LSN_EIO, "the node store is unreachable");
	o->calls++;
	if (level < o->lo)
		low_node(level, index, out);
	else
		memcpy(out, o->lv[level][index], HL);
	return 0;
}

/* Stores every level above lo, hashing lv[lo] pairwise upwards. */
static void
oracle_build_up(struct oracle *o)
{
	uint64_t cnt = o->leaves >> o->lo, j;
	unsigned l;

	for (l = o->lo + 1; (cnt >>= 1) > 0; l++) {
		o->lv[l] = malloc(cnt * sizeof(merkle_hash));
		assert_non_null(o->lv[l]);
		for (j = 0; j < cnt; j++)
			naive_node(o->lv[l - 1][2 * j], o->lv[l - 1][2 * j + 1], o->lv[l][j]);
	}
}

static void
oracle_init(struct oracle *o, const merkle_hash *leaves, uint64_t n)
{
	memset(o, 0, sizeof(*o));
	o->leaves = n;
	o->size = n;
	o->fail_at = -1;
	o->lv[0] = malloc(n * sizeof(merkle_hash));
	assert_non_null(o->lv[0]);
	memcpy(o->lv[0], leaves, n * sizeof(merkle_hash));
	oracle_build_up(o);
}

static void
oracle_release(struct oracle *o)
{
	unsigned l;

	for (l = 0; l < MERKLE_LEVELS; l++)
		free(o->lv[l]);
}

/* ---- the naive recursion of RFC 9162 §2.1 ---- */

static uint64_t
split_of(uint64_t n)
{
	uint64_t k = 1;

	while (k * 2 < n)
		k *= 2;
	return k;
}

/*
 * MTH(D[a:a+n]) of the oracle's leaves (§2.1.1). The recursion is the
 * RFC's; perfect subtrees come from the oracle's levels, which
 * oracle_build_up hashed pairwise, so a root costs O(log n) hashes.
 */
static void
naive_mth(const struct oracle *o, uint64_t a, uint64_t n, uint8_t out[static HL])
{
	uint8_t l[HL], r[HL];
	uint64_t k;
	unsigned lv;

	if (n == 0) {
		cx_sha256("", 0, out);
		return;
	}
	if ((n & (n - 1)) == 0) {
		lv = (unsigned)__builtin_ctzll(n);
		assert_int_equal(a % n, 0);
		memcpy(out, o->lv[lv][a >> lv], HL);
		return;
	}
	k = split_of(n);
	naive_mth(o, a, k, l);
	naive_mth(o, a + k, n - k, r);
	naive_node(l, r, out);
}

/* The naive proofs' output: hashes, and the fewest node lookups that make them. */
struct naive {
	merkle_hash h[MERKLE_PROOF_MAX];
	size_t n;
	unsigned lookups;
};

/* One proof element MTH(D[a:a+n]), made of popcount(n) full subtrees. */
static void
naive_elem(const struct oracle *o, uint64_t a, uint64_t n, struct naive *out)
{
	naive_mth(o, a, n, out->h[out->n++]);
	out->lookups += (unsigned)__builtin_popcountll(n);
}

/* PATH(m, D[a:a+n]) (§2.1.3.1). */
static void
naive_path(const struct oracle *o, uint64_t m, uint64_t a, uint64_t n, struct naive *out)
{
	uint64_t k;

	if (n <= 1)
		return;
	k = split_of(n);
	if (m < k) {
		naive_path(o, m, a, k, out);
		naive_elem(o, a + k, n - k, out);
	} else {
		naive_path(o, m - k, a + k, n - k, out);
		naive_elem(o, a, k, out);
	}
}

/* SUBPROOF(m, D[a:a+n], b) (§2.1.4.1). */
static void
naive_subproof(const struct oracle *o, uint64_t m, uint64_t a, uint64_t n, int b,
    struct naive *out)
{
	uint64_t k;

	if (m == n) {
		if (!b)
			naive_elem(o, a, n, out);
		return;
	}
	k = split_of(n);
	if (m <= k) {
		naive_subproof(o, m, a, k, b, out);
		naive_elem(o, a + k, n - k, out);
	} else {
		naive_subproof(o, m - k, a + k, n - k, 0, out);
		naive_elem(o, a, k, out);
	}
}

/* ---- proving, verifying and tampering ---- */

static void
expect_einval(int r, const struct err *err, const char *part, const char *what)
{
	if (r != -LSN_EINVAL || err->code != LSN_EINVAL)
		fail_msg("%s: got %d (%s), want EINVAL", what, r, err->msg);
	if (part != NULL && strstr(err->msg, part) == NULL)
		fail_msg("%s: error '%s' does not mention '%s'", what, err->msg, part);
}

static void
incl_bad(uint64_t index, uint64_t size, const uint8_t leaf[static HL], const merkle_hash *p,
    size_t n, const uint8_t root[static HL], const char *part, const char *what)
{
	struct err err = ERR_INIT;

	expect_einval(merkle_verify_inclusion(index, size, leaf, p, n, root, &err), &err, part,
	    what);
}

static void
cons_bad(uint64_t old, uint64_t size, const uint8_t old_root[static HL],
    const uint8_t root[static HL], const merkle_hash *p, size_t n, const char *part,
    const char *what)
{
	struct err err = ERR_INIT;

	expect_einval(merkle_verify_consistency(old, size, old_root, root, p, n, &err), &err, part,
	    what);
}

/* Wrong leaf, wrong root, wrong index; a flipped bit; a hash missing, extra or too many. */
static void
incl_tamper(uint64_t index, uint64_t size, const uint8_t leaf[static HL], merkle_hash *p,
    size_t n, const uint8_t root[static HL])
{
	uint8_t bad[HL];
	uint64_t other = (index ^ 1) < size ? index ^ 1 : index - 1;
	size_t j = (size_t)(index % (n + 1));

	memcpy(bad, leaf, HL);
	bad[31] ^= 0x01;
	incl_bad(index, size, bad, p, n, root, "does not lead", "wrong leaf");
	incl_bad(index, size, leaf, p, n, bad, "does not lead", "wrong root");
	if (size > 1)
		incl_bad(other, size, leaf, p, n, root, NULL, "wrong index");
	incl_bad(size, size, leaf, p, n, root, "is not in a tree", "index = size");
	incl_bad(index, size, leaf, p, n + 1, root, "too long", "extended");
	incl_bad(index, size, leaf, p, MERKLE_PROOF_MAX + 1, root, "more than the 63",
	    "longer than the cap");
	if (n == 0)
		return;
	incl_bad(index, size, leaf, p, n - 1, root, "too short", "truncated");
	j = j < n ? j : n - 1;
	p[j][j % HL] ^= 0x80;
	incl_bad(index, size, leaf, p, n, root, "does not lead", "flipped bit");
	p[j][j % HL] ^= 0x80;
}

/* Proves leaf index of the oracle's tree, checks it verifies and, if asked, tampers. */
static size_t
check_inclusion(struct oracle *o, uint64_t index, const uint8_t leaf[static HL],
    const uint8_t root[static HL], int tamper, merkle_hash p[MERKLE_PROOF_MAX + 2])
{
	struct err err = ERR_INIT;
	unsigned long calls = o->calls;
	size_t n = 999;
	int r;

	r = merkle_inclusion_proof(index, o->size, oracle_node, o, p, &n, &err);
	if (r != 0 || n > MERKLE_PROOF_MAX)
		fail_msg("leaf %llu of %llu: proof failed: %s", (unsigned long long)index,
		    (unsigned long long)o->size, err.msg);
	if (o->calls - calls > 2 * 64)
		fail_msg("leaf %llu of %llu: %lu node lookups", (unsigned long long)index,
		    (unsigned long long)o->size, o->calls - calls);
	r = merkle_verify_inclusion(index, o->size, leaf, p, n, root, &err);
	if (r != 0)
		fail_msg("leaf %llu of %llu: %s", (unsigned long long)index,
		    (unsigned long long)o->size, err.msg);
	memcpy(p[n], root, HL);     /* what "extended" appends */
	if (tamper)
		incl_tamper(index, o->size, leaf, p, n, root);
	return n;
}

static void
cons_tamper(uint64_t old, uint64_t size, const uint8_t old_root[static HL],
    const uint8_t root[static HL], merkle_hash *p, size_t n)
{
	size_t j = (size_t)(old % n);

	cons_bad(old, size, root, root, p, n, "does not lead", "wrong old root");
	cons_bad(old, size, old_root, old_root, p, n, "does not lead", "wrong root");
	if (old > 1)
		cons_bad(old - 1, size, old_root, root, p, n, NULL, "old size - 1");
	if (old + 1 < size)
		cons_bad(old + 1, size, old_root, root, p, n, NULL, "old size + 1");
	cons_bad(size + 1, size, old_root, root, p, n, "cannot extend", "old size > size");
	cons_bad(0, size, old_root, root, p, n, "must be empty", "old size 0");
	cons_bad(size, size, root, root, p, n, "must be empty", "old size = size");
	cons_bad(old, size, old_root, root, p, n - 1, "too short", "truncated");
	cons_bad(old, size, old_root, root, p, n + 1, "too long", "extended");
	cons_bad(old, size, old_root, root, p, MERKLE_PROOF_MAX + 1, "more than the 63",
	    "longer than the cap");
	p[j][(j + 7) % HL] ^= 0x10;
	cons_bad(old, size, old_root, root, p, n, "does not lead", "flipped bit");
	p[j][(j + 7) % HL] ^= 0x10;
}

/* Proves old -> o->size, checks it verifies and, if asked, tampers. */
static size_t
check_consistency(struct oracle *o, uint64_t old, const uint8_t old_root[static HL],
    const uint8_t root[static HL], int tamper, merkle_hash p[MERKLE_PROOF_MAX + 2])
{
	struct err err = ERR_INIT;
	unsigned long calls = o->calls;
	size_t n = 999;
	int r;

	r = merkle_consistency_proof(old, o->size, oracle_node, o, p, &n, &err);
	if (r != 0 || n > MERKLE_PROOF_MAX)
		fail_msg("%llu -> %llu: proof failed: %s", (unsigned long long)old,
		    (unsigned long long)o->size, err.msg);
	if (o->calls - calls > 2 * 64 + 1)
		fail_msg("%llu -> %llu: %lu node lookups", (unsigned long long)old,
		    (unsigned long long)o->size, o->calls - calls);
	r = merkle_verify_consistency(old, o->size, old_root, root, p, n, &err);
	if (r != 0)
		fail_msg("%llu -> %llu: %s", (unsigned long long)old, (unsigned long long)o->size,
		    err.msg);
	if (old == 0 || old == o->size) {
		assert_int_equal(n, 0);
		return n;
	}
	memcpy(p[n], root, HL);
	if (tamper)
		cons_tamper(old, o->size, old_root, root, p, n);
	return n;
}

/* ---- fixtures ---- */

struct fx {
	merkle_hash leaves[SMALL];
	merkle_hash roots[SMALL + 1];   /* naive MTH of the first n leaves */
	struct oracle small;
	merkle_hash rfc_leaf[8];
	struct oracle rfc;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	uint8_t raw[16];
	uint64_t i;

	if (f == NULL)
		return -1;
	for (i = 0; i < SMALL; i++)
		naive_leaf(i, f->leaves[i]);
	oracle_init(&f->small, f->leaves, SMALL);
	for (i = 0; i <= SMALL; i++)
		naive_mth(&f->small, 0, i, f->roots[i]);
	for (i = 0; i < 8; i++) {
		size_t len = strlen(rfc_leaves[i]) / 2;

		assert_int_equal(hex_decode(rfc_leaves[i], 2 * len, raw, len), 0);
		merkle_leaf_hash(raw, len, f->rfc_leaf[i]);
	}
	oracle_init(&f->rfc, f->rfc_leaf, 8);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	oracle_release(&f->small);
	oracle_release(&f->rfc);
	free(f);
	return 0;
}

/* ---- RFC 6962 vectors ---- */

static void
test_rfc_hashes(void **state)
{
	struct fx *f = *state;
	struct err err = ERR_INIT;
	struct merkle_range r;
	uint8_t want[HL], got[HL];
	uint64_t n;

	hash_from_hex(H_EMPTY, want);
	merkle_empty_root(got);
	assert_memory_equal(got, want, HL);
	hash_from_hex(H_ROOT1, want);
	merkle_leaf_hash(NULL, 0, got);
	assert_memory_equal(got, want, HL);
	merkle_range_init(&r);
	for (n = 0; n <= 8; n++) {
		hash_from_hex(rfc_roots[n], want);
		f->rfc.size = n;
		assert_int_equal(merkle_root(n, oracle_node, &f->rfc, got, &err), 0);
		assert_memory_equal(got, want, HL);
		merkle_range_root(&r, got);
		assert_memory_equal(got, want, HL);
		if (n < 8)
			merkle_range_append(&r, f->rfc_leaf[n], NULL, NULL);
	}
}

static void
rfc_hashes(const struct rfc_proof *v, merkle_hash want[3])
{
	size_t j;

	for (j = 0; j < v->n; j++)
		hash_from_hex(v->h[j], want[j]);
}

static void
test_rfc_inclusion(void **state)
{
	struct fx *f = *state;
	merkle_hash p[MERKLE_PROOF_MAX + 2], want[3];
	uint8_t root[HL];
	size_t k, n;

	for (k = 0; k < sizeof(rfc_inclusion) / sizeof(rfc_inclusion[0]); k++) {
		const struct rfc_proof *v = &rfc_inclusion[k];

		hash_from_hex(rfc_roots[v->size], root);
		rfc_hashes(v, want);
		f->rfc.size = v->size;
		n = check_inclusion(&f->rfc, v->first, f->rfc_leaf[v->first], root, 1, p);
		assert_int_equal(n, v->n);
		if (n > 0)
			assert_memory_equal(p, want, n * HL);
	}
}

static void
test_rfc_consistency(void **state)
{
	struct fx *f = *state;
	merkle_hash p[MERKLE_PROOF_MAX + 2], want[3];
	uint8_t old_root[HL], root[HL];
	size_t k, n;

	for (k = 0; k < sizeof(rfc_consistency) / sizeof(rfc_consistency[0]); k++) {
		const struct rfc_proof *v = &rfc_consistency[k];

		hash_from_hex(rfc_roots[v->first], old_root);
		hash_from_hex(rfc_roots[v->size], root);
		rfc_hashes(v, want);
		f->rfc.size = v->size;
		n = check_consistency(&f->rfc, v->first, old_root, root, 1, p);
		assert_int_equal(n, v->n);
		if (n > 0)
			assert_memory_equal(p, want, n * HL);
	}
}

/* ---- argument checks of transparency-dev/merkle's verifier tests, and ours ---- */

static void
test_verify_edges(void **state)
{
	struct fx *f = *state;
	merkle_hash p[MERKLE_PROOF_MAX + 1];
	uint8_t e[HL], a[HL], b[HL];
	struct err err = ERR_INIT;

	merkle_empty_root(e);
	memset(a, 0xab, HL);
	memset(b, 0xcd, HL);
	memset(p, 0, sizeof(p));
	incl_bad(0, 0, a, p, 0, e, "is not in a tree of 0", "empty tree");
	incl_bad(1, 0, a, p, 0, e, "is not in a tree", "index 1, size 0");
	incl_bad(2, 1, a, p, 0, a, "is not in a tree", "index 2, size 1");
	incl_bad(0, 1, a, p, 0, b, "does not lead", "single leaf, other root");
	assert_int_equal(merkle_verify_inclusion(0, 1, a, p, 0, a, &err), 0);
	incl_bad(0, 1, a, p, 1, a, "too long: 1 hashes where the tree needs 0", "one leaf, one hash");

	/* Sizes that are always consistent, with nothing to prove. */
	assert_int_equal(merkle_verify_consistency(0, 0, e, e, p, 0, &err), 0);
	assert_int_equal(merkle_verify_consistency(0, 1, a, b, p, 0, &err), 0);
	assert_int_equal(merkle_verify_consistency(1, 1, b, b, p, 0, &err), 0);
	cons_bad(0, 0, a, b, p, 0, "different roots", "0 -> 0, roots differ");
	cons_bad(1, 1, a, b, p, 0, "different roots", "1 -> 1, roots differ");
	cons_bad(0, 0, e, e, p, 1, "must be empty", "0 -> 0, a hash");
	cons_bad(0, 1, e, e, p, 1, "must be empty", "0 -> 1, a hash");
	cons_bad(1, 1, e, e, p, 1, "must be empty", "1 -> 1, a hash");
	cons_bad(1, 0, a, b, p, 0, "cannot extend", "time travel 1 -> 0");
	cons_bad(2, 1, a, b, p, 0, "cannot extend", "time travel 2 -> 1");
	cons_bad(1, 2, a, b, p, 0, "too short: 0 hashes where the tree needs 1", "1 -> 2, empty");
	cons_bad(3, 1000, a, b, p, MERKLE_PROOF_MAX + 1, "more than the 63", "64 hashes");
	incl_bad(3, 1000, a, p, MERKLE_PROOF_MAX + 1, b, "more than the 63", "64 hashes");

	/* The prover refuses the same arguments. */
	f->small.size = 5;
	expect_einval(merkle_inclusion_proof(5, 5, oracle_node, &f->small, p, &(size_t){ 0 }, &err),
	    &err, "leaf 5 is not in a tree of 5 leaves", "prove index = size");
	expect_einval(merkle_consistency_proof(6, 5, oracle_node, &f->small, p, &(size_t){ 0 },
	    &err), &err, "from 6 leaves to fewer (5)", "prove 6 -> 5");
}

/* A node source's error comes back unchanged, and nothing is written to *ret_n. */
static void
test_source_errors(void **state)
{
	struct fx *f = *state;
	merkle_hash p[MERKLE_PROOF_MAX];
	struct err err = ERR_INIT;
	struct merkle_range r;
	uint8_t out[HL];
	size_t n = 77;
	long k;

	f->small.size = 1000;
	merkle_range_init(&r);
	for (k = 0; k < 6; k++) {
		f->small.fail_at = k;
		f->small.calls = 0;
		assert_int_equal(merkle_inclusion_proof(999, 1000, oracle_node, &f->small, p, &n,
		    &err), -LSN_EIO);
		f->small.calls = 0;
		assert_int_equal(merkle_consistency_proof(7, 1000, oracle_node, &f->small, p, &n,
		    &err), -LSN_EIO);
		f->small.calls = 0;
		assert_int_equal(merkle_root(1000, oracle_node, &f->small, out, &err), -LSN_EIO);
		f->small.calls = 0;
		assert_int_equal(merkle_range_load(&r, 1000, oracle_node, &f->small, &err), -LSN_EIO);
		assert_string_equal(err.msg, "the node store is unreachable");
	}
	f->small.fail_at = -1;
	assert_int_equal(n, 77);
	assert_int_equal(r.size, 0);
	assert_int_equal(r.n, 0);
}

/* ---- every small tree ---- */

static void
test_hashes_agree(void **state)
{
	struct fx *f = *state;
	uint8_t got[HL], want[HL];
	uint64_t i;

	for (i = 0; i < SMALL; i++) {
		fast_leaf(i, got);
		assert_memory_equal(got, f->leaves[i], HL);
	}
	/* out may alias either input. */
	naive_node(f->leaves[0], f->leaves[1], want);
	memcpy(got, f->leaves[0], HL);
	merkle_node_hash(got, f->leaves[1], got);
	assert_memory_equal(got, want, HL);
	memcpy(got, f->leaves[1], HL);
	merkle_node_hash(f->leaves[0], got, got);
	assert_memory_equal(got, want, HL);
	hash_from_hex(big_roots[2].root, want);
	assert_memory_equal(f->roots[1000], want, HL);
}

struct worker {
	const struct fx *f;
	int bad;
};

static void *
worker_run(void *arg)
{
	struct worker *w = arg;
	struct merkle_range r;
	uint8_t root[HL];
	uint64_t i;

	merkle_range_init(&r);
	for (i = 0; i < SMALL; i++)
		merkle_range_append(&r, w->f->leaves[i], NULL, NULL);
	merkle_range_root(&r, root);
	w->bad = memcmp(root, w->f->roots[SMALL], HL) != 0;
	return NULL;
}

/* Each thread hashes with its own context, freed when it exits (LSan watches). */
static void
test_threads(void **state)
{
	struct worker w[4];
	pthread_t t[4];
	int i;

	for (i = 0; i < 4; i++) {
		w[i].f = *state;
		w[i].bad = -1;
		assert_int_equal(pthread_create(&t[i], NULL, worker_run, &w[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(w[i].bad, 0);
	}
}

/* Proofs equal the naive recursion's, made with the fewest lookups possible. */
static void
test_naive_proofs(void **state)
{
	struct fx *f = *state;
	merkle_hash p[MERKLE_PROOF_MAX];
	struct err err = ERR_INIT;
	struct naive want;
	uint64_t size, m;
	size_t n;

	for (size = 1; size <= NAIVE_MAX; size++) {
		f->small.size = size;
		for (m = 0; m <= size; m++) {
			memset(&want, 0, sizeof(want));
			f->small.calls = 0;
			if (m < size) {
				naive_path(&f->small, m, 0, size, &want);
				assert_int_equal(merkle_inclusion_proof(m, size, oracle_node, &f->small,
				    p, &n, &err), 0);
				assert_int_equal(n, want.n);
				if (n > 0)
					assert_memory_equal(p, want.h, n * HL);
				assert_int_equal(f->small.calls, want.lookups);
			}
			memset(&want, 0, sizeof(want));
			f->small.calls = 0;
			if (m > 0 && m < size)
				naive_subproof(&f->small, m, 0, size, 1, &want);
			assert_int_equal(merkle_consistency_proof(m, size, oracle_node, &f->small, p,
			    &n, &err), 0);
			assert_int_equal(n, want.n);
			if (n > 0)
				assert_memory_equal(p, want.h, n * HL);
			assert_int_equal(f->small.calls, want.lookups);
		}
	}
}

static void
test_every_size(void **state)
{
	struct fx *f = *state;
	merkle_hash p[MERKLE_PROOF_MAX + 2];
	struct err err = ERR_INIT;
	uint8_t root[HL];
	uint64_t size, m;
	int tamper;

	for (size = 1; size <= EXHAUSTIVE; size++) {
		f->small.size = size;
		assert_int_equal(merkle_root(size, oracle_node, &f->small, root, &err), 0);
		if (memcmp(root, f->roots[size], HL) != 0)
			fail_msg("the root of %llu leaves is not the naive MTH", (unsigned long long)size);
		for (m = 0; m <= size; m++) {
			/* Tampering costs several verifications: all for small trees, then a sample. */
			tamper = size <= 64 || (size + m) % 61 == 0;
			if (m < size)
				check_inclusion(&f->small, m, f->leaves[m], root, tamper, p);
			check_consistency(&f->small, m, f->roots[m], root, tamper, p);
		}
	}
}

static void
assert_range_equal(const struct merkle_range *a, const struct merkle_range *b)
{
	assert_int_equal(a->size, b->size);
	assert_int_equal(a->n, b->n);
	assert_int_equal(a->n, __builtin_popcountll(a->size));
	if (a->n > 0)
		assert_memory_equal(a->h, b->h, a->n * HL);
}

static void
test_range_small(void **state)
{
	struct fx *f = *state;
	merkle_hash done[MERKLE_LEVELS];
	struct merkle_range r, loaded;
	struct err err = ERR_INIT;
	uint8_t root[HL];
	uint64_t i;
	unsigned k, j;

	merkle_range_init(&r);
	merkle_range_root(&r, root);
	assert_memory_equal(root, f->roots[0], HL);
	f->small.size = 0;
	assert_int_equal(merkle_range_load(&loaded, 0, oracle_node, &f->small, &err), 0);
	assert_range_equal(&loaded, &r);
	for (i = 0; i < SMALL; i++) {
		k = 99;
		merkle_range_append(&r, f->leaves[i], done, &k);
		assert_int_equal(k, __builtin_ctzll(~i));
		for (j = 0; j < k; j++)
			assert_memory_equal(done[j], f->small.lv[j + 1][i >> (j + 1)], HL);
		merkle_range_root(&r, root);
		assert_memory_equal(root, f->roots[i + 1], HL);
		f->small.size = i + 1;
		assert_int_equal(merkle_range_load(&loaded, i + 1, oracle_node, &f->small, &err), 0);
		assert_range_equal(&loaded, &r);
		assert_int_equal(merkle_root(i + 1, oracle_node, &f->small, root, &err), 0);
		assert_memory_equal(root, f->roots[i + 1], HL);
	}
}

/* ---- a tree of 10,000,000 leaves ---- */

struct sample {
	uint64_t size, index, old;
	struct merkle_range r;          /* the range appended leaf by leaf */
};

static uint64_t
rand_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	/* splitmix64: fixed seed, so a failure reproduces. */
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int
sample_cmp(const void *a, const void *b)
{
	const struct sample *x = a, *y = b;

	return (x->size > y->size) - (x->size < y->size);
}

/* Random sizes up to BIG, the edges around 2^23 and BIG among them, sorted. */
static void
samples_pick(struct sample *s, size_t count)
{
	static const uint64_t fixed[] = {
		1, 2, 3, 63, 64, 65, 1000, 8388607, 8388608, 8388609, 9999999, BIG,
	};
	uint64_t seed = 20260127;
	size_t i;

	for (i = 0; i < count; i++) {
		s[i].size = i < sizeof(fixed) / sizeof(fixed[0]) ? fixed[i] :
		    1 + rand_next(&seed) % BIG;
		s[i].index = i % 5 == 0 ? s[i].size - 1 : rand_next(&seed) % s[i].size;
		s[i].old = i % 5 == 1 ? s[i].size / 2 + 1 : 1 + rand_next(&seed) % s[i].size;
		if (i % 7 == 3)
			s[i].index = 0;
		if (i % 11 == 4 && s[i].size > 1)
			s[i].old = (uint64_t)1 << (63 - __builtin_clzll(s[i].size - 1));
	}
	qsort(s, count, sizeof(*s), sample_cmp);
}

/* The nodes a leaf completes: levels <= BIG_LO from its block, above from the oracle. */
static void
check_completed(const struct oracle *o, merkle_hash blk[BIG_LO + 1][64], uint64_t leaf,
    const merkle_hash *done, unsigned k)
{
	unsigned l;

	if (k != (unsigned)__builtin_ctzll(~leaf))
		fail_msg("leaf %llu completes %u nodes", (unsigned long long)leaf, k);
	for (l = 1; l <= k; l++) {
		const uint8_t *want = l <= BIG_LO ? blk[l][(leaf >> l) & (63 >> l)] :
		    o->lv[l][leaf >> l];

		if (memcmp(done[l - 1], want, HL) != 0)
			fail_msg("leaf %llu completes a wrong node at level %u",
			    (unsigned long long)leaf, l);
	}
}

/* Block b of 64 leaves: its own levels 0..BIG_LO, then the stored levels above. */
static void
big_block(struct oracle *o, uint64_t b, merkle_hash blk[BIG_LO + 1][64])
{
	uint64_t j, k;
	unsigned l;

	for (j = 0; j < 64; j++)
		fast_leaf(b * 64 + j, blk[0][j]);
	for (l = 1; l <= BIG_LO; l++) {
		for (j = 0; j < (64u >> l); j++)
			merkle_node_hash(blk[l - 1][2 * j], blk[l - 1][2 * j + 1], blk[l][j]);
	}
	memcpy(o->lv[BIG_LO][b], blk[BIG_LO][0], HL);
	for (l = BIG_LO, k = b; k & 1; l++, k >>= 1)
		merkle_node_hash(o->lv[l][k - 1], o->lv[l][k], o->lv[l + 1][k >> 1]);
}

/*
 * Builds the oracle (levels >= BIG_LO stored: 10 MB, not 640) while
 * appending every leaf to a compact range, checking each completed node
 * and keeping the range at each sample's size.
 */
static void
big_build(struct oracle *o, struct sample *s, size_t count)
{
	static merkle_hash blk[BIG_LO + 1][64];
	merkle_hash done[MERKLE_LEVELS];
	struct merkle_range r;
	uint64_t b, leaf;
	size_t next = 0;
	unsigned l, k;

	memset(o, 0, sizeof(*o));
	o->leaves = BIG;
	o->lo = BIG_LO;
	o->fail_at = -1;
	for (l = BIG_LO; (BIG >> l) > 0; l++) {
		o->lv[l] = malloc((BIG >> l) * sizeof(merkle_hash));
		assert_non_null(o->lv[l]);
	}
	merkle_range_init(&r);
	for (b = 0; b < BIG / 64; b++) {
		big_block(o, b, blk);
		for (leaf = b * 64; leaf < b * 64 + 64; leaf++) {
			merkle_range_append(&r, blk[0][leaf % 64], done, &k);
			check_completed(o, blk, leaf, done, k);
			for (; next < count && s[next].size == r.size; next++)
				s[next].r = r;
		}
	}
	assert_int_equal(next, count);
}

static void
big_check_root(struct oracle *o, const struct sample *s, uint8_t root[static HL])
{
	struct merkle_range loaded;
	struct err err = ERR_INIT;
	uint8_t want[HL];
	size_t k;

	o->size = s->size;
	assert_int_equal(merkle_root(s->size, oracle_node, o, root, &err), 0);
	merkle_range_root(&s->r, want);
	assert_memory_equal(root, want, HL);
	assert_int_equal(merkle_range_load(&loaded, s->size, oracle_node, o, &err), 0);
	assert_range_equal(&loaded, &s->r);
	for (k = 0; k < sizeof(big_roots) / sizeof(big_roots[0]); k++) {
		if (big_roots[k].size != s->size)
			continue;
		hash_from_hex(big_roots[k].root, want);
		assert_memory_equal(root, want, HL);
	}
}

static void
test_big_tree(void **state)
{
	struct sample *s = calloc(BIG_SAMPLES, sizeof(*s));
	merkle_hash p[MERKLE_PROOF_MAX + 2];
	struct err err = ERR_INIT;
	uint8_t root[HL], old_root[HL], leaf[HL];
	struct oracle o;
	size_t i;

	assert_non_null(s);
	samples_pick(s, BIG_SAMPLES);
	big_build(&o, s, BIG_SAMPLES);
	for (i = 0; i < BIG_SAMPLES; i++) {
		big_check_root(&o, &s[i], root);
		fast_leaf(s[i].index, leaf);
		check_inclusion(&o, s[i].index, leaf, root, 1, p);
		o.size = s[i].old;
		assert_int_equal(merkle_root(s[i].old, oracle_node, &o, old_root, &err), 0);
		o.size = s[i].size;
		check_consistency(&o, s[i].old, old_root, root, 1, p);
	}
	oracle_release(&o);
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc_hashes),
		cmocka_unit_test(test_rfc_inclusion),
		cmocka_unit_test(test_rfc_consistency),
		cmocka_unit_test(test_verify_edges),
		cmocka_unit_test(test_source_errors),
		cmocka_unit_test(test_hashes_agree),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_naive_proofs),
		cmocka_unit_test(test_every_size),
		cmocka_unit_test(test_range_small),
		cmocka_unit_test(test_big_tree),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
