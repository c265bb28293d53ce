/*
 * The node's log over the store: append, root, proofs and signed
 * checkpoints. The tree lives in the store's rows (each leaf's row holds
 * its hash and the hashes of the subtrees it completes), so a rolled-back
 * job leaves no stale state behind: nothing is cached here.
 */
#include "ledger/ledger.h"
#include "util/enc.h"
#include "util/err.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A leaf's row: its hash and up to 63 completed subtrees. */
#define ROW_MAX (MERKLE_LEVELS * MERKLE_HASH_LEN)

int
ledger_id_init(struct ledger_id *id, const char *node_name,
    const uint8_t pub[static CX_ED25519_PUB_LEN], struct err *err)
{
	uint8_t kid[CX_SHA256_LEN];
	char hex[65], name[NOTE_NAME_MAX + 1];
	int r;

	cx_sha256(pub, CX_ED25519_PUB_LEN, kid);
	hex_encode(kid, 4, hex);
	memset(id, 0, sizeof(*id));
	if ((size_t)snprintf(id->origin, sizeof(id->origin), "liaison/%s/log/%s", node_name, hex) >=
	    sizeof(id->origin))
		return err_set(err, LSN_EINVAL, "ledger: node name '%s' is too long", node_name);
	snprintf(name, sizeof(name), "liaison/%s/witness/%s", node_name, hex);
	if ((r = note_key_init(&id->log_key, id->origin, NOTE_TYPE_ED25519, pub, err)) < 0)
		return r;
	return note_key_init(&id->witness_key, name, NOTE_TYPE_COSIG, pub, err);
}

int
ledger_node(void *store, unsigned level, uint64_t index, uint8_t out[static MERKLE_HASH_LEN],
    struct err *err)
{
	struct store *s = store;
	uint8_t row[ROW_MAX];
	uint64_t idx;
	size_t len;
	int r;

	/* the subtree's last leaf holds it: leaf ((index + 1) << level) - 1 */
	if (level >= MERKLE_LEVELS - 1 || index >= (UINT64_MAX >> (level + 1)))
		return err_set(err, LSN_EINVAL, "ledger: node (%u, %" PRIu64 ") is out of range",
		    level, index);
	idx = ((index + 1) << level) - 1;
	if ((r = store_log_hashes(s, idx, row, sizeof(row), &len, err)) < 0)
		return r;
	if (len < ((size_t)level + 1) * MERKLE_HASH_LEN)
		return err_set(err, LSN_EINVAL, "ledger: leaf %" PRIu64 " lacks the hash of its "
		    "level-%u subtree (the tree rows are damaged)", idx, level);
	memcpy(out, row + (size_t)level * MERKLE_HASH_LEN, MERKLE_HASH_LEN);
	return 0;
}

#define CACHE_BITS 17
#define CACHE_SLOTS (1u << CACHE_BITS)

struct ledger_cache {
	uint64_t key[CACHE_SLOTS];       /* level << 58 | index, plus one; 0: empty */
	merkle_hash h[CACHE_SLOTS];
};

struct ledger_cache *
ledger_cache_new(void)
{
	return calloc(1, sizeof(struct ledger_cache));
}

void
ledger_cache_free(struct ledger_cache *c)
{
	free(c);
}

int
ledger_node_cached(void *src, unsigned level, uint64_t index,
    uint8_t out[static MERKLE_HASH_LEN], struct err *err)
{
	struct ledger_src *ls = src;
	uint64_t key, slot;
	int r;

	if (ls->cache == NULL || level < LEDGER_CACHE_MIN_LEVEL || level >= 64 ||
	    index >= (UINT64_C(1) << 57))
		return ledger_node(ls->s, level, index, out, err);
	key = ((uint64_t)level << 58 | index) + 1;
	slot = (key * UINT64_C(0x9e3779b97f4a7c15)) >> (64 - CACHE_BITS);
	if (ls->cache->key[slot] == key) {
		memcpy(out, ls->cache->h[slot], MERKLE_HASH_LEN);
		return 0;
	}
	if ((r = ledger_node(ls->s, level, index, out, err)) < 0)
		return r;
	ls->cache->key[slot] = key;
	memcpy(ls->cache->h[slot], out, MERKLE_HASH_LEN);
	return 0;
}

int
ledger_append(struct store *s, const uint8_t *entry, size_t len, uint64_t *ret_idx,
    struct err *err)
{
	uint8_t row[ROW_MAX], left[MERKLE_HASH_LEN];
	struct store_leaf l = { 0 };
	uint64_t idx;
	unsigned lvl;
	int r;

	if (len < 5 || len > LEDGER_ENTRY_MAX || memcmp(entry, LEDGER_ENTRY_MAGIC, 4) != 0)
		return err_set(err, LSN_EINVAL, "ledger: an entry must start with \"LSE1\" and hold "
		    "at most %d bytes", LEDGER_ENTRY_MAX);
	if ((r = store_log_size(s, &idx, err)) < 0)
		return r;
	merkle_leaf_hash(entry, len, row);
	/* leaf idx completes one subtree per trailing one bit of idx */
	for (lvl = 1; lvl < MERKLE_LEVELS && ((idx >> (lvl - 1)) & 1); lvl++) {
		if ((r = ledger_node(s, lvl - 1, (idx >> (lvl - 1)) - 1, left, err)) < 0)
			return r;
		merkle_node_hash(left, row + (size_t)(lvl - 1) * MERKLE_HASH_LEN,
		    row + (size_t)lvl * MERKLE_HASH_LEN);
	}
	l.idx = idx;
	l.entry = entry;
	l.entry_len = len;
	l.hashes = row;
	l.hashes_len = (size_t)lvl * MERKLE_HASH_LEN;
	if ((r = store_log_append(s, &l, err)) < 0)
		return r;
	*ret_idx = idx;
	return 0;
}

/* ---- checkpoints ---- */

static int
root_of(struct store *s, uint64_t size, uint8_t out[static MERKLE_HASH_LEN], struct err *err)
{
	return merkle_root(size, ledger_node, s, out, err);
}

/* The last signed checkpoint still has its root in the stored tree. */
static int
check_last(struct store *s, const struct store_checkpoint *last, uint64_t size, struct err *err)
{
	uint8_t root[MERKLE_HASH_LEN];
	int r;

	if (last->size > size)
		return err_set(err, LSN_ECONFLICT, "ledger: the log has %" PRIu64 " leaves but a "
		    "checkpoint of size %" PRIu64 " was signed: leaves were removed; refusing to sign",
		    size, last->size);
	if ((r = root_of(s, last->size, root, err)) < 0)
		return r;
	if (memcmp(root, last->root, MERKLE_HASH_LEN) != 0)
		return err_set(err, LSN_ECONFLICT, "ledger: the stored tree no longer has the root "
		    "of the checkpoint of size %" PRIu64 " this node signed; refusing to sign a "
		    "checkpoint inconsistent with it", last->size);
	return 0;
}

int
ledger_sign(struct store *s, const struct ledger_id *id, const struct cx_key *key,
    int64_t now_us, uint64_t *ret_size, struct err *err)
{
	struct store_checkpoint last = { 0 }, c = { 0 };
	struct checkpoint cp = { 0 };
	char note[1024];
	size_t tlen, slen;
	uint64_t size;
	int r, have;

	if ((r = store_log_size(s, &size, err)) < 0)
		return r;
	r = store_ckpt_latest(s, 0, &last, err);
	if (r < 0 && r != -LSN_ENOTFOUND)
		return r;
	have = r == 0;
	if (have && (r = check_last(s, &last, size, err)) < 0)
		return r;
	if (have && last.size == size) {
		*ret_size = size;
		return 0;
	}
	snprintf(cp.origin, sizeof(cp.origin), "%s", id->origin);
	cp.size = size;
	if ((r = root_of(s, size, cp.root, err)) < 0)
		return r;
	if ((r = checkpoint_format(&cp, note, sizeof(note), &tlen, err)) < 0)
		return r;
	note[tlen] = '\n';
	if ((r = note_sign(&id->log_key, key, note, tlen, note + tlen + 1, sizeof(note) - tlen - 1,
	    &slen, err)) < 0)
		return r;
	c.partner = 0;
	c.size = size;
	memcpy(c.root, cp.root, MERKLE_HASH_LEN);
	c.note = note;
	c.note_len = tlen + 1 + slen;
	c.time_us = now_us;
	if ((r = store_ckpt_put(s, &c, err)) < 0)
		return r;
	*ret_size = size;
	return 0;
}

struct cosig_cat {
	char *out;
	size_t cap, len;
	int full;
};

static int
cat_cosig(void *arg, const struct store_cosig *c)
{
	struct cosig_cat *cc = arg;

	if (cc->len + c->line_len + 1 > cc->cap) {
		cc->full = 1;
		return -LSN_ETOOBIG;
	}
	memcpy(cc->out + cc->len, c->line, c->line_len);
	cc->len += c->line_len;
	cc->out[cc->len] = '\0';
	return 0;
}

int
ledger_checkpoint_note(struct store *s, uint64_t size, char *out, size_t cap, size_t *ret_len,
    uint64_t *ret_size, struct err *err)
{
	struct store_checkpoint c;
	struct cosig_cat cc = { out, cap, 0, 0 };
	int r;

	if (size == UINT64_MAX) {
		if ((r = store_cosig_latest(s, 0, &size, err)) < 0)
			return r;
		if (size == 0)
			return err_set(err, LSN_ENOTFOUND, "no checkpoint of this node has been "
			    "cosigned by a partner yet");
	}
	r = size == 0 ? store_ckpt_latest(s, 0, &c, err) : store_ckpt_get(s, 0, size, &c, err);
	if (r == -LSN_ENOTFOUND)
		return err_set(err, LSN_ENOTFOUND, size == 0 ? "this node has signed no checkpoint "
		    "yet" : "this node signed no checkpoint of size %" PRIu64, size);
	if (r < 0)
		return r;
	if (c.note_len + 1 > cap)
		return err_set(err, LSN_ETOOBIG, "ledger: a checkpoint note outgrew its buffer");
	memcpy(out, c.note, c.note_len);
	out[c.note_len] = '\0';
	cc.len = c.note_len;
	if ((r = store_cosig_scan(s, c.size, 0, cat_cosig, &cc, err)) < 0)
		return cc.full ? err_set(err, LSN_ETOOBIG, "ledger: too many cosignatures for one "
		    "note") : r;
	*ret_len = cc.len;
	if (ret_size != NULL)
		*ret_size = c.size;
	return 0;
}

int
ledger_prove(struct store *s, uint64_t idx, uint64_t size, char *out, size_t cap,
    size_t *ret_len, struct err *err)
{
	uint8_t entry[LEDGER_ENTRY_MAX];
	merkle_hash proof[MERKLE_PROOF_MAX];
	char note[NOTE_MAX];
	size_t elen = 0, nlen = 0, n = 0;
	uint64_t csize = 0;
	int r;

	if ((r = ledger_checkpoint_note(s, size, note, sizeof(note), &nlen, &csize, err)) < 0)
		return r;
	if (idx >= csize)
		return err_set(err, LSN_EINVAL, "leaf %" PRIu64 " is not in the checkpoint of size "
		    "%" PRIu64 "%s", idx, csize, size == UINT64_MAX ? " (the latest cosigned one); "
		    "wait for the next cosignature" : "");
	if ((r = store_log_entry(s, idx, entry, sizeof(entry), &elen, err)) < 0)
		return r;
	if ((r = merkle_inclusion_proof(idx, csize, ledger_node, s, proof, &n, err)) < 0)
		return r;
	return tlog_proof_format(entry, elen, idx, (const merkle_hash *)proof, n, note, nlen, out,
	    cap, ret_len, err);
}

/* ---- witnessing: this node's log asks ---- */

int
ledger_witness_request(struct store *s, uint64_t old_size, char *out, size_t cap,
    size_t *ret_len, uint64_t *ret_size, struct err *err)
{
	struct store_checkpoint c;
	merkle_hash proof[MERKLE_PROOF_MAX];
	size_t n = 0;
	int r;

	if ((r = store_ckpt_latest(s, 0, &c, err)) < 0)
		return r;
	if (old_size > c.size)
		return err_set(err, LSN_ECONFLICT, "the partner cosigned size %" PRIu64 " of this "
		    "log, larger than its latest checkpoint (%" PRIu64 ")", old_size, c.size);
	if (old_size > 0 && (r = merkle_consistency_proof(old_size, c.size, ledger_node, s, proof,
	    &n, err)) < 0)
		return r;
	if ((r = witness_req_format(old_size, (const merkle_hash *)proof, n, c.note, c.note_len,
	    out, cap, ret_len, err)) < 0)
		return r;
	*ret_size = c.size;
	return 0;
}

int
ledger_witness_accept(struct store *s, const struct store_partner *p, uint64_t size,
    const char *resp, size_t len, struct err *err)
{
	struct ledger_id pid;
	struct store_checkpoint c;
	struct store_cosig cs = { 0 };
	struct note n;
	char note[NOTE_MAX];
	uint64_t t = 0;
	size_t i;
	int r;

	if ((r = ledger_id_init(&pid, p->name, p->key, err)) < 0)
		return r;
	if ((r = store_ckpt_get(s, 0, size, &c, err)) < 0)
		return r;
	/* the note as it was sent plus the response lines: one note to verify */
	if (c.note_len + len + 1 > sizeof(note))
		return err_set(err, LSN_ETOOBIG, "the cosignature response is too long (%zu bytes)", len);
	memcpy(note, c.note, c.note_len);
	memcpy(note + c.note_len, resp, len);
	if ((r = note_parse(note, c.note_len + len, &n, err)) < 0) {
		err_prefix(err, "partner %s answered with malformed cosignatures: ", p->name);
		return r;
	}
	if ((r = note_verify(&n, &pid.witness_key, &t, err)) < 0) {
		err_prefix(err, "partner %s's cosignature: ", p->name);
		return r;
	}
	for (i = 0; i < n.n_sigs; i++) {
		char line[512];
		size_t llen;

		if (n.sigs[i].id != pid.witness_key.id || strcmp(n.sigs[i].name, pid.witness_key.name))
			continue;
		if ((r = note_sig_format(&n.sigs[i], line, sizeof(line), &llen, err)) < 0)
			return r;
		cs.size = size;
		cs.partner = p->rowid;
		cs.line = line;
		cs.line_len = llen;
		cs.time_us = (int64_t)t * 1000000;
		return store_cosig_put(s, &cs, err);
	}
	return err_set(err, LSN_ENOTFOUND, "partner %s sent no cosignature of its own", p->name);
}
