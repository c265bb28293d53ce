/*
 * Evidence bundles (src/exchange/evidence.c), without daemons: two nodes'
 * keys, envelopes, receipts, logs, checkpoints and cosignatures are made
 * here in memory with the real formats, the bundle is assembled with the
 * writer, and the verifier must accept it and refuse it after any one
 * byte changes. The export is run against a real SQLite store filled the
 * way liaisond fills it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "crypto/cx.h"
#include "wire/envelope.h"
#include "exchange/evidence_export.h"
#include "ledger/ledger.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/enc.h"
#include "util/err.h"

#define T1 INT64_C(1795780800000000)          /* 2026-11-27T12:00:00Z: A sends envelope 1 */
#define R1 (T1 + 1500000)                     /* B accepts it */
#define T2 (T1 + 10000000)                    /* B sends envelope 2 */
#define R2 (T2 + 500000)                      /* A accepts it */
#define COSIGNED ((uint64_t)(T1 / 1000000) + 60)
#define CREATED (T1 + 120000000)
#define LOG_MAX 8
#define TEXT_MAX 32768
#define VALUE_AT 12                           /* strlen("{\"evidence\":") */
#define TAIL 105                              /* ,"signature":" + 88 base64 + "}\n */

static const char body1[] =
    "{\"type\":\"bundle\",\"id\":\"bundle--44af6c39-c09b-49c5-9de2-394224b04982\","
    "\"objects\":[]}";
static const char body2[] = "{\"type\":\"bundle\",\"id\":\"bundle--9e0c1d5e-3c5c-4b9e-8f3e-"
    "6a1c3f0d2b71\",\"objects\":[]}";

/* A log kept in memory: its entries' leaf hashes. */
struct mlog {
	merkle_hash leaf[LOG_MAX];
	uint64_t n;
};

/* One node: keys, identity, log, and its checkpoint cosigned by the other. */
struct side {
	struct cx_key *key;
	struct ident id;
	struct ledger_id lid;
	uint8_t kid[CX_SHA256_LEN];
	char doc[IDENT_DOC_MAX];
	size_t doc_len;
	struct mlog log;
	char note[NOTE_MAX];
	size_t note_len;
	char cosig[512];              /* the other side's cosignature line alone */
};

struct fx {
	struct side a, b;             /* a: the exporter (seeds 00..1f); b: the partner (20..3f) */
	uint8_t env[2][1024];
	size_t env_len[2];
	uint8_t id[2][ENV_ID_LEN];
	uint8_t rc[2][RCPT_LEN];
	uint8_t sent[2][ENV_ENTRY_LEN], recv[2][ENV_ENTRY_LEN];
	uint64_t leaf_sent[2], leaf_recv[2];
	char proof[4][TEXT_MAX];      /* env 1 in A, in B; env 2 in B, in A */
	size_t proof_len[4];
	struct buf file;
};

static int
mem_node(void *arg, unsigned level, uint64_t index, uint8_t out[static MERKLE_HASH_LEN],
    struct err *err)
{
	const struct mlog *l = arg;
	uint8_t left[MERKLE_HASH_LEN], right[MERKLE_HASH_LEN];

	if (level == 0) {
		memcpy(out, l->leaf[index], MERKLE_HASH_LEN);
		return 0;
	}
	mem_node(arg, level - 1, 2 * index, left, err);
	mem_node(arg, level - 1, 2 * index + 1, right, err);
	merkle_node_hash(left, right, out);
	return 0;
}

static uint64_t
log_add(struct mlog *l, const uint8_t *entry, size_t len)
{
	merkle_leaf_hash(entry, len, l->leaf[l->n]);
	return l->n++;
}

/* An entry of some other envelope, so the logs hold more than the bundle's. */
static void
log_filler(struct mlog *l, uint8_t tag)
{
	uint8_t e[ENV_ENTRY_LEN];

	memset(e, tag, sizeof(e));
	memcpy(e, "LSE1\x01\x00\x00\x00", 8);
	log_add(l, e, sizeof(e));
}

static void
side_init(struct side *s, const char *name, uint8_t first)
{
	uint8_t seed[CX_ED25519_SEED_LEN];
	struct err err = ERR_INIT;
	size_t i;

	for (i = 0; i < sizeof(seed); i++)
		seed[i] = (uint8_t)(first + i);
	assert_int_equal(cx_key_from_raw(seed, &s->key, &err), 0);
	snprintf(s->id.name, sizeof(s->id.name), "%s", name);
	for (i = 0; i < sizeof(s->id.spki); i++)
		s->id.spki[i] = (uint8_t)(first + 0x40 + i);
	/* as evidence_export makes the exporter's: the bundle's own time */
	snprintf(s->id.created, sizeof(s->id.created), "2026-11-27T12:02:00.000000Z");
	assert_int_equal(ident_export(&s->id, s->key, s->doc, sizeof(s->doc), &s->doc_len, &err), 0);
	assert_int_equal(ledger_id_init(&s->lid, name, s->id.key, &err), 0);
	env_key_id(s->id.key, s->kid);
}

/* owner's checkpoint of its log at size, signed by owner, cosigned by cosigner. */
static size_t
make_note(const struct side *owner, const struct side *cosigner, const char *origin,
    uint64_t size, char *out, char *cosig_line)
{
	struct checkpoint cp = { 0 };
	struct err err = ERR_INIT;
	size_t tlen, slen, clen;

	snprintf(cp.origin, sizeof(cp.origin), "%s", origin ? origin : owner->lid.origin);
	cp.size = size;
	assert_int_equal(merkle_root(size, mem_node, (void *)&owner->log, cp.root, &err), 0);
	assert_int_equal(checkpoint_format(&cp, out, NOTE_MAX, &tlen, &err), 0);
	out[tlen] = '\n';
	assert_int_equal(note_sign(&owner->lid.log_key, owner->key, out, tlen, out + tlen + 1,
	    NOTE_MAX - tlen - 1, &slen, &err), 0);
	assert_int_equal(cosig_sign(&cosigner->lid.witness_key, cosigner->key, COSIGNED, out, tlen,
	    out + tlen + 1 + slen, NOTE_MAX - tlen - 1 - slen, &clen, &err), 0);
	if (cosig_line != NULL)
		memcpy(cosig_line, out + tlen + 1 + slen, clen + 1);
	return tlen + 1 + slen + clen;
}

/* A tlog-proof of leaf idx of owner's log (hashes for size) against note. */
static size_t
make_proof(const struct side *owner, uint64_t idx, uint64_t size, const uint8_t *entry,
    const char *note, size_t note_len, char *out)
{
	merkle_hash h[MERKLE_PROOF_MAX];
	struct err err = ERR_INIT;
	size_t n, len;

	assert_int_equal(merkle_inclusion_proof(idx, size, mem_node, (void *)&owner->log, h, &n,
	    &err), 0);
	assert_int_equal(tlog_proof_format(entry, ENV_ENTRY_LEN, idx, (const merkle_hash *)h, n,
	    note, note_len, out, TEXT_MAX, &len, &err), 0);
	return len;
}

/* Envelope k from `from` to `to`, logged by both, receipted by `to`. */
static void
exchange_one(struct fx *f, int k, struct side *from, struct side *to, int64_t t, int64_t r,
    const char *body)
{
	struct env_header h = { .kind = k == 0 ? ENV_SHARE : ENV_NOTIFY, .seq = 1, .time_us = t };
	struct rcpt rc = { .sig_type = CX_SIGTYPE_ED25519, .seq = 1, .time_us = r, .stored = 1 };
	struct err err = ERR_INIT;
	struct env_view v;
	size_t used;

	memcpy(h.from, from->kid, 32);
	memcpy(h.to, to->kid, 32);
	assert_int_equal(env_seal(&h, (const uint8_t *)body, strlen(body), from->key, f->env[k],
	    sizeof(f->env[k]), &f->env_len[k], f->id[k], &err), 0);
	assert_int_equal(env_decode(f->env[k], f->env_len[k], &v, &used, &err), 0);
	env_entry(&v, ENV_ENTRY_SENT, t, f->sent[k]);
	env_entry(&v, ENV_ENTRY_RECEIVED, r, f->recv[k]);
	f->leaf_sent[k] = log_add(&from->log, f->sent[k], ENV_ENTRY_LEN);
	f->leaf_recv[k] = log_add(&to->log, f->recv[k], ENV_ENTRY_LEN);
	memcpy(rc.env_id, f->id[k], 32);
	memcpy(rc.from, from->kid, 32);
	memcpy(rc.to, to->kid, 32);
	rc.leaf = f->leaf_recv[k];
	assert_int_equal(rcpt_seal(&rc, to->key, f->rc[k], &err), 0);
}

static void
make_proofs(struct fx *f)
{
	struct side *a = &f->a, *b = &f->b;

	a->note_len = make_note(a, b, NULL, a->log.n, a->note, a->cosig);
	b->note_len = make_note(b, a, NULL, b->log.n, b->note, b->cosig);
	f->proof_len[0] = make_proof(a, f->leaf_sent[0], a->log.n, f->sent[0], a->note,
	    a->note_len, f->proof[0]);
	f->proof_len[1] = make_proof(b, f->leaf_recv[0], b->log.n, f->recv[0], b->note,
	    b->note_len, f->proof[1]);
	f->proof_len[2] = make_proof(b, f->leaf_sent[1], b->log.n, f->sent[1], b->note,
	    b->note_len, f->proof[2]);
	f->proof_len[3] = make_proof(a, f->leaf_recv[1], a->log.n, f->recv[1], a->note,
	    a->note_len, f->proof[3]);
}

static void
part_of(const struct fx *f, int k, struct evidence_part *p)
{
	memset(p, 0, sizeof(*p));
	p->sent = k == 0;
	p->env = f->env[k];
	p->env_len = f->env_len[k];
	p->receipt = f->rc[k];
	p->sender_proof = f->proof[2 * k];
	p->sender_proof_len = f->proof_len[2 * k];
	p->receiver_proof = f->proof[2 * k + 1];
	p->receiver_proof_len = f->proof_len[2 * k + 1];
}

/* The bundle A exports: envelope 1 (A -> B), envelope 2 (B -> A). */
static void
assemble(struct fx *f, const char *partner_doc, size_t partner_len)
{
	struct evidence_writer w;
	struct evidence_part p;
	struct err err = ERR_INIT;
	int k;

	assert_int_equal(evidence_writer_init(&w, CREATED, f->a.doc, f->a.doc_len, partner_doc,
	    partner_len, &err), 0);
	for (k = 0; k < 2; k++) {
		part_of(f, k, &p);
		assert_int_equal(evidence_writer_add(&w, &p, &err), 0);
	}
	assert_int_equal(evidence_writer_finish(&w, f->a.key, &f->file, &err), 0);
	evidence_writer_release(&w);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	side_init(&f->a, "cert-a", 0x00);
	side_init(&f->b, "cert-b", 0x20);
	log_filler(&f->a.log, 0xa0);
	log_filler(&f->b.log, 0xb0);
	log_filler(&f->b.log, 0xb1);
	log_filler(&f->b.log, 0xb2);
	exchange_one(f, 0, &f->a, &f->b, T1, R1, body1);
	exchange_one(f, 1, &f->b, &f->a, T2, R2, body2);
	log_filler(&f->b.log, 0xb3);
	make_proofs(f);
	buf_init(&f->file, EVIDENCE_MAX);
	assemble(f, f->b.doc, f->b.doc_len);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	cx_key_free(f->a.key);
	cx_key_free(f->b.key);
	buf_release(&f->file);
	free(f);
	return 0;
}

static int
verify_buf(const char *data, size_t len, struct err *err)
{
	struct evidence_summary sum;
	int r = evidence_verify(data, len, &sum, err);

	if (r == 0)
		evidence_summary_release(&sum);
	return r;
}

/* ---- the good bundle ---- */

static void
test_good_bundle(void **state)
{
	static const char head[] = "{\"evidence\":{\"format\":\"liaison-evidence/1\","
	    "\"created\":\"2026-11-27T12:02:00.000000Z\",\"exporter\":{\"liaison_identity\":1,";
	struct fx *f = *state;
	struct evidence_summary sum;
	struct err err = ERR_INIT;
	const struct evidence_item *it;

	assert_int_equal(evidence_verify(f->file.data, f->file.len, &sum, &err), 0);
	assert_string_equal(sum.created, "2026-11-27T12:02:00.000000Z");
	assert_string_equal(sum.exporter.name, "cert-a");
	assert_string_equal(sum.partner.name, "cert-b");
	assert_int_equal(sum.n, 2);
	it = &sum.items[0];
	assert_true(it->sent);
	assert_int_equal(it->seq, 1);
	assert_memory_equal(it->id, f->id[0], ENV_ID_LEN);
	assert_int_equal(it->kind, ENV_SHARE);
	assert_int_equal(it->time_us, T1);
	assert_int_equal(it->rc.time_us, R1);
	assert_int_equal(it->sender_log.leaf, 1);
	assert_int_equal(it->sender_log.size, 3);
	assert_int_equal(it->receiver_log.leaf, 3);
	assert_int_equal(it->receiver_log.size, 6);
	assert_int_equal(it->receiver_log.cosigned, COSIGNED);
	it = &sum.items[1];
	assert_false(it->sent);
	assert_int_equal(it->kind, ENV_NOTIFY);
	assert_int_equal(it->sender_log.leaf, 4);
	assert_int_equal(it->receiver_log.leaf, 2);
	evidence_summary_release(&sum);
	/* the layout, byte for byte */
	assert_memory_equal(f->file.data, head, strlen(head));
	assert_memory_equal(f->file.data + f->file.len - TAIL, ",\"signature\":\"", 14);
	assert_memory_equal(f->file.data + f->file.len - 3, "\"}\n", 3);
}

/* Every byte of the file, changed in three ways, makes it fail. */
static void
test_every_byte_flipped(void **state)
{
	static const uint8_t masks[] = { 0x01, 0x20, 0x80 };
	struct fx *f = *state;
	struct err err = ERR_INIT;
	size_t i, m;

	for (i = 0; i < f->file.len; i++) {
		for (m = 0; m < sizeof(masks); m++) {
			f->file.data[i] ^= (char)masks[m];
			if (verify_buf(f->file.data, f->file.len, &err) == 0)
				fail_msg("byte %zu ^ 0x%02x still verifies", i, masks[m]);
			f->file.data[i] ^= (char)masks[m];
		}
	}
	assert_int_equal(verify_buf(f->file.data, f->file.len, &err), 0);
}

/* Every proper prefix fails too (and is read within its length: run under ASan). */
static void
test_every_truncation(void **state)
{
	struct fx *f = *state;
	struct err err = ERR_INIT;
	size_t n;
	char *p;

	for (n = 0; n < f->file.len; n++) {
		p = malloc(n ? n : 1);
		memcpy(p, f->file.data, n);
		if (verify_buf(p, n, &err) == 0)
			fail_msg("the first %zu bytes verify", n);
		free(p);
	}
}

/* Signs VALUE as given and writes the whole file into out. */
static void
resign(const struct fx *f, const char *value, size_t len, struct buf *out)
{
	uint8_t sig[CX_ED25519_SIG_LEN], *msg = malloc(sizeof(EVIDENCE_DOMAIN) + len);
	char b64[100];

	memcpy(msg, EVIDENCE_DOMAIN, sizeof(EVIDENCE_DOMAIN));
	memcpy(msg + sizeof(EVIDENCE_DOMAIN), value, len);
	assert_int_equal(cx_sign(f->a.key, msg, sizeof(EVIDENCE_DOMAIN) + len, sig), 0);
	free(msg);
	b64_encode(sig, sizeof(sig), b64, 0);
	buf_reset(out);
	assert_int_equal(buf_adds(out, "{\"evidence\":"), 0);
	assert_int_equal(buf_add(out, value, len), 0);
	assert_int_equal(buf_printf(out, ",\"signature\":\"%s\"}\n", b64), 0);
}

/*
 * The checks inside, with the exporter's signature out of the way: every
 * byte of VALUE changed and signed again must still fail, but for the
 * bundle's own "created" time, which only the exporter vouches for.
 */
static void
test_every_byte_resigned(void **state)
{
	struct fx *f = *state;
	struct buf out = BUF_INIT(EVIDENCE_MAX);
	struct err err = ERR_INIT;
	char *value = f->file.data + VALUE_AT;
	size_t len = f->file.len - VALUE_AT - TAIL, i;
	const char *created = strstr(value, "\"created\":\"") + 11;

	resign(f, value, len, &out);
	assert_int_equal(verify_buf(out.data, out.len, &err), 0);
	for (i = 0; i < len; i++) {
		if (value + i >= created && value + i < created + 27)
			continue;
		value[i] ^= 0x01;
		resign(f, value, len, &out);
		if (verify_buf(out.data, out.len, &err) == 0)
			fail_msg("byte %zu of VALUE ('%c' ^ 1) still verifies", i, value[i] ^ 1);
		value[i] ^= 0x01;
	}
	buf_release(&out);
}

/* ---- what the verifier names ---- */

static void
expect(const struct buf *b, int code, const char *words)
{
	struct err err = ERR_INIT;

	assert_int_equal(verify_buf(b->data, b->len, &err), -code);
	if (strstr(err.msg, words) == NULL)
		fail_msg("'%s' does not say '%s'", err.msg, words);
}

static void
test_layout(void **state)
{
	struct fx *f = *state;
	struct buf b = BUF_INIT(EVIDENCE_MAX);

	buf_add(&b, f->file.data, f->file.len - 1);
	expect(&b, LSN_EINVAL, "does not end with");
	buf_addc(&b, '\n');
	buf_addc(&b, '\n');
	expect(&b, LSN_EINVAL, "does not end with");
	buf_reset(&b);
	buf_adds(&b, "{\"evidence\": ");
	buf_add(&b, f->file.data + VALUE_AT, f->file.len - VALUE_AT);
	expect(&b, LSN_EINVAL, "whitespace precedes");
	buf_reset(&b);
	buf_add(&b, f->file.data, f->file.len - 3);
	buf_adds(&b, "x\"}\n");
	expect(&b, LSN_EINVAL, "canonical base64");
	buf_reset(&b);
	buf_adds(&b, "{\"signature\":\"\",\"evidence\":{}}\n");
	expect(&b, LSN_EINVAL, "does not begin with");
	buf_release(&b);
}

static void
test_whitespace_inside_refused(void **state)
{
	struct fx *f = *state;
	struct buf v = BUF_INIT(EVIDENCE_MAX), out = BUF_INIT(EVIDENCE_MAX);

	buf_adds(&v, "{ ");
	buf_add(&v, f->file.data + VALUE_AT + 1, f->file.len - VALUE_AT - 1 - TAIL);
	resign(f, v.data, v.len, &out);
	expect(&out, LSN_EINVAL, "not compact JSON");
	buf_release(&v);
	buf_release(&out);
}

static void
test_signed_by_another_key(void **state)
{
	struct fx *f = *state;
	struct cx_key *a = f->a.key;
	struct buf out = BUF_INIT(EVIDENCE_MAX);

	f->a.key = f->b.key;
	resign(f, f->file.data + VALUE_AT, f->file.len - VALUE_AT - TAIL, &out);
	f->a.key = a;
	expect(&out, LSN_EBADSIG, "does not verify under the key of its exporter cert-a");
	buf_release(&out);
}

/* Writes the bundle with parts swapped in, signed by A, into f->file. */
static void
rebuild(struct fx *f)
{
	buf_reset(&f->file);
	assemble(f, f->b.doc, f->b.doc_len);
}

static void
test_receipt_names_other_leaf(void **state)
{
	struct fx *f = *state;
	struct err err = ERR_INIT;
	struct rcpt rc;

	assert_int_equal(rcpt_open(f->rc[0], RCPT_LEN, f->b.id.key, &rc, &err), 0);
	rc.leaf = 4;
	assert_int_equal(rcpt_seal(&rc, f->b.key, f->rc[0], &err), 0);
	rebuild(f);
	expect(&f->file, LSN_ECONFLICT, "proves leaf 3, but the receipt names leaf 4");
}

static void
test_receipt_by_sender(void **state)
{
	struct fx *f = *state;
	struct err err = ERR_INIT;
	struct rcpt rc;

	assert_int_equal(rcpt_open(f->rc[0], RCPT_LEN, f->b.id.key, &rc, &err), 0);
	memcpy(rc.to, f->a.kid, 32);
	assert_int_equal(rcpt_seal(&rc, f->a.key, f->rc[0], &err), 0);
	rebuild(f);
	expect(&f->file, LSN_EBADSIG, "the receipt of cert-b");
}

static void
test_cosigned_by_owner_itself(void **state)
{
	struct fx *f = *state;

	/* B's checkpoint cosigned by B's own witness key, not A's */
	f->b.note_len = make_note(&f->b, &f->b, NULL, f->b.log.n, f->b.note, NULL);
	f->proof_len[1] = make_proof(&f->b, 3, 6, f->recv[0], f->b.note, f->b.note_len, f->proof[1]);
	rebuild(f);
	expect(&f->file, LSN_EINVAL, "then cert-a's cosignature");
}

static void
test_cosignature_forged(void **state)
{
	struct fx *f = *state;
	char *t;

	/* the cosignature's time is signed: change it and keep the line's shape */
	t = strstr(f->proof[0], "\xe2\x80\x94 liaison/cert-b/witness/");
	t = strchr(t + 30, ' ') + 8;
	*t = *t == 'A' ? 'B' : 'A';
	rebuild(f);
	expect(&f->file, LSN_EBADSIG, "the cosignature of cert-b");
}

static void
test_checkpoint_of_other_log(void **state)
{
	struct fx *f = *state;

	f->a.note_len = make_note(&f->a, &f->b, "liaison/cert-x/log/00000000", 3, f->a.note, NULL);
	f->proof_len[0] = make_proof(&f->a, 1, 3, f->sent[0], f->a.note, f->a.note_len,
	    f->proof[0]);
	rebuild(f);
	expect(&f->file, LSN_ECONFLICT, "is of the log 'liaison/cert-x/log/00000000'");
}

static void
test_checkpoint_too_small(void **state)
{
	struct fx *f = *state;

	/* hashes of the tree of 3, checkpoint of the tree of 2 */
	f->a.note_len = make_note(&f->a, &f->b, NULL, 2, f->a.note, NULL);
	f->proof_len[0] = make_proof(&f->a, 1, 3, f->sent[0], f->a.note, f->a.note_len,
	    f->proof[0]);
	rebuild(f);
	expect(&f->file, LSN_EINVAL, "inclusion in cert-a's log");
}

static void
test_entry_of_other_direction(void **state)
{
	struct fx *f = *state;

	/* the sender's log proof carries the receiver's entry */
	f->proof_len[0] = make_proof(&f->a, 1, 3, f->recv[0], f->a.note, f->a.note_len,
	    f->proof[0]);
	rebuild(f);
	expect(&f->file, LSN_ECONFLICT, "not the entry this envelope has in cert-a's log");
}

static void
test_envelope_by_other_key(void **state)
{
	struct fx *f = *state;

	/* envelope 2 said to be sent by A: its header names B */
	memcpy(f->env[0], f->env[1], sizeof(f->env[0]));
	f->env_len[0] = f->env_len[1];
	rebuild(f);
	expect(&f->file, LSN_ECONFLICT, "envelope 1 of the bundle: the envelope is not from "
	    "cert-a to cert-b");
}

static void
test_partner_doc_compacted(void **state)
{
	struct fx *f = *state;
	char doc[IDENT_DOC_MAX * 2], compact[IDENT_DOC_MAX];
	struct err err = ERR_INIT;
	size_t i, n = 0;
	int in_str = 0;

	/* the partner's document as an operator might have kept it: spread over lines */
	doc[n++] = '{';
	doc[n++] = '\n';
	for (i = 1; i < f->b.doc_len; i++) {
		in_str ^= f->b.doc[i] == '"';
		doc[n++] = f->b.doc[i];
		if (!in_str && (f->b.doc[i] == ',' || f->b.doc[i] == ':'))
			doc[n++] = f->b.doc[i] == ',' ? '\n' : ' ';
	}
	buf_reset(&f->file);
	assemble(f, doc, n);
	snprintf(compact, sizeof(compact), "\"partner\":%.*s,", (int)f->b.doc_len - 1, f->b.doc);
	assert_non_null(strstr(f->file.data, compact));
	assert_int_equal(verify_buf(f->file.data, f->file.len, &err), 0);
}

static void
test_no_envelopes(void **state)
{
	struct fx *f = *state;
	struct evidence_writer w;
	struct err err = ERR_INIT;

	assert_int_equal(evidence_writer_init(&w, CREATED, f->a.doc, f->a.doc_len, f->b.doc,
	    f->b.doc_len, &err), 0);
	assert_int_equal(evidence_writer_finish(&w, f->a.key, &f->file, &err), 0);
	evidence_writer_release(&w);
	expect(&f->file, LSN_EINVAL, "holds no envelopes");
}

/* The worked example of docs/evidence.md, exported by two real nodes, still verifies. */
static void
test_docs_example(void **state)
{
	FILE *f = fopen(LIAISON_SOURCE_DIR "/docs/evidence.md", "r");
	struct evidence_summary sum;
	struct err err = ERR_INIT;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int found = 0;

	(void)state;
	assert_non_null(f);
	while (!found && (n = getline(&line, &cap, f)) > 0)
		found = strncmp(line, "{\"evidence\":{\"format\"", 21) == 0;
	fclose(f);
	assert_true(found);
	assert_int_equal(n, 3581);
	if (evidence_verify(line, (size_t)n, &sum, &err) < 0)
		fail_msg("%s", err.msg);
	assert_string_equal(sum.exporter.fingerprint, "9XNZ-TV1M-Z8K7-1814-R25P");
	assert_string_equal(sum.partner.name, "cert-b");
	assert_int_equal(sum.n, 1);
	assert_int_equal(sum.items[0].sender_log.size, 3);
	assert_int_equal(sum.items[0].receiver_log.cosigned, 1795814063);
	evidence_summary_release(&sum);
	line[1500] ^= 1;              /* in the envelope */
	assert_int_equal(evidence_verify(line, (size_t)n, &sum, &err), -LSN_EBADSIG);
	free(line);
}

/* ---- the export from A's store ---- */

struct node {
	char dir[64];
	struct store *s;
	struct store_partner p;
};

static void
node_open(struct node *n, const struct fx *f, const char *partner_doc)
{
	struct store_collection c = { 0 };
	struct err err = ERR_INIT;
	char path[128];

	snprintf(n->dir, sizeof(n->dir), "/tmp/lsn-evid-XXXXXX");
	assert_non_null(mkdtemp(n->dir));
	snprintf(path, sizeof(path), "%s/store.db", n->dir);
	assert_int_equal(store_open(path, 1, &n->s, &err), 0);
	snprintf(c.id, sizeof(c.id), "bbbbbbbb-0000-4000-8000-000000000002");
	snprintf(c.title, sizeof(c.title), "from-cert-b");
	assert_int_equal(store_coll_add(n->s, &c, &err), 0);
	memset(&n->p, 0, sizeof(n->p));
	snprintf(n->p.name, sizeof(n->p.name), "cert-b");
	memcpy(n->p.key, f->b.id.key, 32);
	memcpy(n->p.key_id, f->b.kid, 32);
	memcpy(n->p.spki, f->b.id.spki, 32);
	snprintf(n->p.endpoint, sizeof(n->p.endpoint), "https://127.0.0.1:9444");
	n->p.inbox = c.rowid;
	assert_int_equal(store_partner_add(n->s, &n->p, partner_doc, &err), 0);
}

static void
node_close(struct node *n)
{
	char cmd[128];

	store_close(n->s);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", n->dir);
	assert_int_equal(system(cmd), 0);
}

/* Envelope k as A stored it: bytes, receipt, leaf, and B's proof (if proof). */
static void
node_put(struct node *n, const struct fx *f, int k, int dir, const uint8_t *entry, int proof)
{
	struct store_envelope e = { .partner = n->p.rowid, .dir = dir, .seq = 1, .kind = 1 };
	struct err err = ERR_INIT;

	memcpy(e.id, f->id[k], 32);
	e.created_us = dir == STORE_OUT ? T1 : R2;
	e.bytes = f->env[k];
	e.len = f->env_len[k];
	e.receipt = f->rc[k];
	e.receipt_len = RCPT_LEN;
	e.has_leaf = 1;
	assert_int_equal(ledger_append(n->s, entry, ENV_ENTRY_LEN, &e.leaf, &err), 0);
	assert_int_equal(store_env_put(n->s, &e, &err), 0);
	if (proof)
		assert_int_equal(store_env_set_proof(n->s, n->p.rowid, dir, 1, f->proof[k == 0 ?
		    1 : 2], f->proof_len[k == 0 ? 1 : 2], &err), 0);
}

/* A's store: the filler, envelope 1 sent, envelope 2 received, signed and cosigned. */
static void
node_fill(struct node *n, const struct fx *f)
{
	struct store_cosig cs = { .size = 3, .time_us = (int64_t)COSIGNED * 1000000 };
	struct err err = ERR_INIT;
	uint8_t filler[ENV_ENTRY_LEN];
	uint64_t idx;

	memset(filler, 0xa0, sizeof(filler));
	memcpy(filler, "LSE1\x01\x00\x00\x00", 8);
	assert_int_equal(ledger_append(n->s, filler, sizeof(filler), &idx, &err), 0);
	node_put(n, f, 0, STORE_OUT, f->sent[0], 1);
	node_put(n, f, 1, STORE_IN, f->recv[1], 1);
	assert_int_equal(ledger_sign(n->s, &f->a.lid, f->a.key, T2 + 1000000, &idx, &err), 0);
	assert_int_equal(idx, 3);
	cs.partner = n->p.rowid;
	cs.line = f->a.cosig;
	cs.line_len = strlen(f->a.cosig);
	assert_int_equal(store_cosig_put(n->s, &cs, &err), 0);
}

static void
test_export_partner(void **state)
{
	struct fx *f = *state;
	struct evidence_query q = { .partner = "cert-b", .since_us = INT64_MIN };
	struct buf out = BUF_INIT(EVIDENCE_MAX);
	struct err err = ERR_INIT;
	struct node n;
	size_t cnt = 0;

	node_open(&n, f, f->b.doc);
	node_fill(&n, f);
	if (evidence_export(n.s, &q, &f->a.id, f->a.key, CREATED, &out, &cnt, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(cnt, 2);
	/* byte for byte the bundle made by hand: nothing in it depends on the store */
	assert_int_equal(out.len, f->file.len);
	assert_memory_equal(out.data, f->file.data, out.len);
	q.since_us = T2;
	assert_int_equal(evidence_export(n.s, &q, &f->a.id, f->a.key, CREATED, &out, &cnt, &err), 0);
	assert_int_equal(cnt, 1);
	q.since_us = T2 + 1;
	assert_int_equal(evidence_export(n.s, &q, &f->a.id, f->a.key, CREATED, &out, &cnt, &err),
	    -LSN_ENOTFOUND);
	node_close(&n);
	buf_release(&out);
}

static void
test_export_by_id(void **state)
{
	struct fx *f = *state;
	struct evidence_query q = { .by_id = 1, .since_us = INT64_MIN };
	struct buf out = BUF_INIT(EVIDENCE_MAX);
	struct evidence_summary sum;
	struct err err = ERR_INIT;
	struct node n;

	node_open(&n, f, f->b.doc);
	node_fill(&n, f);
	memcpy(q.id, f->id[1], ENV_ID_LEN);
	if (evidence_export(n.s, &q, &f->a.id, f->a.key, CREATED, &out, NULL, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(evidence_verify(out.data, out.len, &sum, &err), 0);
	assert_int_equal(sum.n, 1);
	assert_false(sum.items[0].sent);
	evidence_summary_release(&sum);
	q.id[0] ^= 1;
	assert_int_equal(evidence_export(n.s, &q, &f->a.id, f->a.key, CREATED, &out, NULL, &err),
	    -LSN_ENOTFOUND);
	node_close(&n);
	buf_release(&out);
}

/* An envelope past the last checkpoint B cosigned, or without B's proof, is not evidence yet. */
static void
test_export_not_yet_witnessed(void **state)
{
	struct fx *f = *state;
	struct evidence_query q = { .partner = "cert-b", .since_us = INT64_MIN };
	struct buf out = BUF_INIT(EVIDENCE_MAX);
	struct err err = ERR_INIT;
	struct node n;

	node_open(&n, f, f->b.doc);
	node_fill(&n, f);
	/* a second envelope to B, logged after the cosigned checkpoint */
	f->env[0][72 + 7] = 2;        /* not signed: never verified, only looked up */
	assert_int_equal(store_env_put(n.s, &(struct store_envelope){ .partner = n.p.rowid,
	    .dir = STORE_OUT, .seq = 2, .kind = 1, .created_us = T2, .bytes = f->env[0],
	    .len = f->env_len[0], .receipt = f->rc[0], .receipt_len = RCPT_LEN, .has_leaf = 1,
	    .leaf = 3 }, &err), 0);
	assert_int_equal(store_env_set_proof(n.s, n.p.rowid, STORE_OUT, 2, f->proof[1],
	    f->proof_len[1], &err), 0);
	assert_int_equal(evidence_export(n.s, &q, &f->a.id, f->a.key, CREATED, &out, NULL, &err),
	    -LSN_EBUSY);
	assert_non_null(strstr(err.msg, "envelope 2 sent to cert-b: not yet witnessed by cert-b; "
	    "try again in a few seconds"));
	node_close(&n);
	buf_release(&out);
}

static void
test_export_without_partner_proof(void **state)
{
	struct fx *f = *state;
	struct evidence_query q = { .partner = "cert-b", .since_us = INT64_MIN };
	struct buf out = BUF_INIT(EVIDENCE_MAX);
	struct err err = ERR_INIT;
	struct node n;
	uint64_t idx;

	node_open(&n, f, f->b.doc);
	node_put(&n, f, 0, STORE_OUT, f->sent[0], 0);
	assert_int_equal(ledger_sign(n.s, &f->a.lid, f->a.key, T2, &idx, &err), 0);
	assert_int_equal(evidence_export(n.s, &q, &f->a.id, f->a.key, CREATED, &out, NULL, &err),
	    -LSN_EBUSY);
	assert_non_null(strstr(err.msg, "no proof of its entry in cert-b's log"));
	node_close(&n);
	buf_release(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_good_bundle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_byte_flipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_byte_resigned, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_truncation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_whitespace_inside_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_signed_by_another_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_receipt_names_other_leaf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_receipt_by_sender, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cosigned_by_owner_itself, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cosignature_forged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_checkpoint_of_other_log, setup, teardown),
		cmocka_unit_test_setup_teardown(test_checkpoint_too_small, setup, teardown),
		cmocka_unit_test_setup_teardown(test_entry_of_other_direction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_envelope_by_other_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partner_doc_compacted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_envelopes, setup, teardown),
		cmocka_unit_test(test_docs_example),
		cmocka_unit_test_setup_teardown(test_export_partner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_export_by_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_export_not_yet_witnessed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_export_without_partner_proof, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
