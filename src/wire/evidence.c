/*
 * Evidence bundles: the writer and the offline verifier an arbiter runs
 * (the export from a node's store is exchange/evidence_export.c). The verifier trusts nothing in the file
 * but the two identity documents (which the arbiter compares with what the
 * agencies published): every entry, leaf and index is recomputed from the
 * envelope and its receipt, never read from the proofs. Never prints.
 */
#include "wire/evidence.h"
#include "ledger/ledger.h"
#include "stix/stix.h"
#include "util/enc.h"
#include "util/err.h"
#include "util/jscan.h"
#include "util/ts.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PREFIX "{\"evidence\":"
#define SIG_MARK ",\"signature\":\""
#define SUFFIX "\"}\n"
#define DEPTH 8                       /* VALUE nests 3 deep: value, envelopes, one envelope */
#define SIG_B64_LEN 88                /* base64 of 64 bytes */

static const char *const dir_word[2] = { "received", "sent" };

/* ---- writing ---- */

/* Copies a JSON object, dropping whitespace outside strings (so VALUE stays compact). */
static int
add_compact(struct buf *b, const char *doc, size_t len, const char *what, struct err *err)
{
	size_t i, start = b->len;
	int in_str = 0, r = 0;

	if (jscan_validate(doc, len, DEPTH, err) < 0 || len == 0) {
		err_prefix(err, "%s: ", what);
		return -LSN_EINVAL;
	}
	for (i = 0; i < len && r == 0; i++) {
		char c = doc[i];

		if (in_str && c == '\\') {
			r = buf_add(b, doc + i++, 2);   /* jscan: an escape is never the last byte */
			continue;
		}
		if (c == '"')
			in_str = !in_str;
		if (in_str || (c != ' ' && c != '\n' && c != '\r' && c != '\t'))
			r = buf_addc(b, c);
	}
	if (r == 0 && b->data[start] != '{')
		return err_set(err, LSN_EINVAL, "%s is not a JSON object", what);
	return r < 0 ? err_set(err, -r, "the evidence bundle outgrew %zu bytes", b->max) : 0;
}

/* A JSON string holding the base64 of bytes. */
static int
add_b64(struct buf *b, const uint8_t *bytes, size_t len)
{
	size_t n = b64_encoded_len(len, 0);
	int r;

	if ((r = buf_addc(b, '"')) < 0 || (r = buf_reserve(b, n + 1)) < 0)
		return r;
	b64_encode(bytes, len, b->data + b->len, 0);
	b->len += n;
	return buf_addc(b, '"');
}

int
evidence_writer_init(struct evidence_writer *w, int64_t created_us, const char *exporter_doc,
    size_t exporter_len, const char *partner_doc, size_t partner_len, struct err *err)
{
	char when[TS_US_LEN];
	int r;

	/* room for the wrapper and the signature around VALUE */
	buf_init(&w->value, EVIDENCE_MAX - 256);
	w->n = 0;
	ts_format_us(created_us, when);
	if (buf_printf(&w->value, "{\"format\":\"%s\",\"created\":\"%s\",\"exporter\":",
	    EVIDENCE_FORMAT, when) < 0)
		return err_set(err, LSN_ENOMEM, "out of memory");
	if ((r = add_compact(&w->value, exporter_doc, exporter_len, "the exporter's identity "
	    "document", err)) < 0)
		return r;
	if (buf_adds(&w->value, ",\"partner\":") < 0)
		return err_set(err, LSN_ENOMEM, "out of memory");
	if ((r = add_compact(&w->value, partner_doc, partner_len, "the partner's identity "
	    "document", err)) < 0)
		return r;
	if (buf_adds(&w->value, ",\"envelopes\":[") < 0)
		return err_set(err, LSN_ENOMEM, "out of memory");
	return 0;
}

int
evidence_writer_add(struct evidence_writer *w, const struct evidence_part *p, struct err *err)
{
	struct buf *b = &w->value;
	struct env_view v;
	size_t used, start = b->len;
	int r;

	if ((r = env_decode(p->env, p->env_len, &v, &used, err)) < 0)
		return r;
	if ((w->n > 0 && buf_addc(b, ',') < 0) ||
	    buf_printf(b, "{\"direction\":\"%s\",\"seq\":%" PRIu64 ",\"envelope\":",
	    dir_word[p->sent != 0], v.h.seq) < 0 ||
	    add_b64(b, p->env, p->env_len) < 0 || buf_adds(b, ",\"receipt\":") < 0 ||
	    add_b64(b, p->receipt, RCPT_LEN) < 0 || buf_adds(b, ",\"sender_log_proof\":") < 0 ||
	    buf_add_json_str(b, p->sender_proof, p->sender_proof_len) < 0 ||
	    buf_adds(b, ",\"receiver_log_proof\":") < 0 ||
	    buf_add_json_str(b, p->receiver_proof, p->receiver_proof_len) < 0 ||
	    buf_addc(b, '}') < 0) {
		b->len = start;
		b->data[start] = '\0';
		return err_set(err, LSN_ETOOBIG, "the evidence bundle outgrew %zu bytes (or memory "
		    "ran out); export fewer envelopes", b->max);
	}
	w->n++;
	return 0;
}

/* "liaison evidence v1\0" || value: what the exporter signs. */
static uint8_t *
signed_message(const char *value, size_t len, size_t *ret_len)
{
	uint8_t *msg = malloc(sizeof(EVIDENCE_DOMAIN) + len);

	if (msg == NULL)
		return NULL;
	memcpy(msg, EVIDENCE_DOMAIN, sizeof(EVIDENCE_DOMAIN));
	memcpy(msg + sizeof(EVIDENCE_DOMAIN), value, len);
	*ret_len = sizeof(EVIDENCE_DOMAIN) + len;
	return msg;
}

int
evidence_writer_finish(struct evidence_writer *w, const struct cx_key *key, struct buf *out,
    struct err *err)
{
	uint8_t sig[CX_ED25519_SIG_LEN], *msg;
	char sig64[SIG_B64_LEN + 1];
	size_t mlen;
	int r;

	if (buf_adds(&w->value, "]}") < 0)
		return err_set(err, LSN_ETOOBIG, "the evidence bundle outgrew %zu bytes", w->value.max);
	if ((msg = signed_message(w->value.data, w->value.len, &mlen)) == NULL)
		return err_set(err, LSN_ENOMEM, "out of memory");
	r = cx_sign(key, msg, mlen, sig);
	free(msg);
	if (r < 0)
		return err_set(err, -r, "could not sign the evidence bundle");
	b64_encode(sig, sizeof(sig), sig64, 0);
	buf_reset(out);
	if (buf_adds(out, PREFIX) < 0 || buf_add(out, w->value.data, w->value.len) < 0 ||
	    buf_adds(out, SIG_MARK) < 0 || buf_adds(out, sig64) < 0 || buf_adds(out, SUFFIX) < 0)
		return err_set(err, LSN_ETOOBIG, "the evidence bundle outgrew its buffer");
	return 0;
}

void
evidence_writer_release(struct evidence_writer *w)
{
	buf_release(&w->value);
	w->n = 0;
}

/* ---- verifying: the layout and JSON values ---- */

struct span {
	const char *s, *e;
};

static size_t
span_len(const struct span *v)
{
	return (size_t)(v->e - v->s);
}

static int
bad_layout(struct err *err, const char *why)
{
	return err_set(err, LSN_EINVAL, "the file is not an evidence bundle: %s (the layout is "
	    "{\"evidence\":VALUE,\"signature\":\"BASE64\"} and one newline)", why);
}

/* No whitespace outside strings: the one byte sequence the exporter writes. */
static int
compact_check(const struct span *v, struct err *err)
{
	const char *p;
	int in_str = 0;

	for (p = v->s; p < v->e; p++) {
		if (in_str && *p == '\\')
			p++;
		else if (*p == '"')
			in_str = !in_str;
		else if (!in_str && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
			return bad_layout(err, "the evidence value is not compact JSON");
	}
	return 0;
}

/* {"evidence":VALUE,"signature":"B64"}\n: VALUE's span and the decoded signature. */
static int
layout(const char *f, size_t len, struct span *value, uint8_t sig[static CX_ED25519_SIG_LEN],
    struct err *err)
{
	size_t pl = strlen(PREFIX), ml = strlen(SIG_MARK), sl = strlen(SUFFIX), got;
	const char *b64;
	struct jscan js;

	if (len < pl || memcmp(f, PREFIX, pl) != 0)
		return bad_layout(err, "it does not begin with {\"evidence\":");
	jscan_init(&js, f + pl, len - pl, DEPTH);
	if (jscan_value(&js, &value->s, &value->e, err) < 0) {
		err_prefix(err, "the evidence value: ");
		return -LSN_EINVAL;
	}
	if (value->s != f + pl)
		return bad_layout(err, "whitespace precedes the evidence value");
	if ((size_t)(f + len - value->e) < ml + sl || memcmp(value->e, SIG_MARK, ml) != 0)
		return bad_layout(err, "the evidence value is not followed by ,\"signature\":\"");
	if (memcmp(f + len - sl, SUFFIX, sl) != 0)
		return bad_layout(err, "it does not end with \"} and a newline");
	b64 = value->e + ml;
	if (b64_decode(b64, (size_t)(f + len - sl - b64), sig, CX_ED25519_SIG_LEN, &got, 0) < 0 ||
	    got != CX_ED25519_SIG_LEN)
		return bad_layout(err, "the signature is not the canonical base64 of 64 bytes");
	return compact_check(value, err);
}

/*
 * The members of an object, by a table of keys: each exactly once, no
 * other. Keys are compared as raw bytes, so an escaped key is unknown.
 */
static int
members(const struct span *obj, const char *const *keys, struct span *out, size_t n,
    const char *what, struct err *err)
{
	struct jscan js;
	const char *k;
	size_t klen, i;
	int r;

	memset(out, 0, n * sizeof(*out));
	jscan_init(&js, obj->s, span_len(obj), DEPTH);
	if (jscan_object_begin(&js, err) < 0)
		return err_set(err, LSN_EINVAL, "%s is not a JSON object", what);
	while ((r = jscan_object_next(&js, &k, &klen, err)) == 1) {
		for (i = 0; i < n && (strlen(keys[i]) != klen || memcmp(keys[i], k, klen)); i++)
			;
		if (i == n) {
			r = err_set(err, LSN_EINVAL, "%s has an unknown member \"%.*s\"", what,
			    (int)(klen > 40 ? 40 : klen), k);
			if (err != NULL)
				stix_utf8_scrub(err->msg);
			return r;
		}
		if (out[i].s != NULL)
			return err_set(err, LSN_EINVAL, "%s has the member \"%s\" twice", what, keys[i]);
		if ((r = jscan_value(&js, &out[i].s, &out[i].e, err)) < 0)
			return r;
	}
	for (i = 0; r == 0 && i < n; i++)
		if (out[i].s == NULL)
			return err_set(err, LSN_EINVAL, "%s lacks the member \"%s\"", what, keys[i]);
	return r;
}

/* A string without escapes (base64, words, timestamps): the bytes between its quotes. */
static int
plain_str(const struct span *v, const char *what, struct span *ret, struct err *err)
{
	size_t n = span_len(v);

	if (n < 2 || v->s[0] != '"' || memchr(v->s + 1, '\\', n - 2) != NULL)
		return err_set(err, LSN_EINVAL, "%s must be a JSON string without escapes", what);
	ret->s = v->s + 1;
	ret->e = v->e - 1;
	return 0;
}

static int
word_is(const struct span *v, const char *word)
{
	return span_len(v) == strlen(word) && memcmp(v->s, word, span_len(v)) == 0;
}

/* A proof text: a JSON string whose only escape is \n (newline); malloc'd, NUL-terminated. */
static int
text_str(const struct span *v, const char *what, char **ret, size_t *ret_len, struct err *err)
{
	const char *p;
	char *out;
	size_t n = 0;

	if (span_len(v) < 2 || v->s[0] != '"' || span_len(v) - 2 > 2 * EVIDENCE_PROOF_MAX)
		return err_set(err, LSN_EINVAL, "%s must be a JSON string of at most %d bytes", what,
		    EVIDENCE_PROOF_MAX);
	if ((out = malloc(span_len(v))) == NULL)
		return err_set(err, LSN_ENOMEM, "out of memory");
	for (p = v->s + 1; p < v->e - 1; p++) {
		if (*p != '\\') {
			out[n++] = *p;
			continue;
		}
		if (*++p != 'n') {
			free(out);
			return err_set(err, LSN_EINVAL, "%s holds an escape other than \\n", what);
		}
		out[n++] = '\n';
	}
	out[n] = '\0';
	*ret = out;
	*ret_len = n;
	return 0;
}

/* A decimal integer >= 1 without sign, fraction, exponent or leading zero. */
static int
seq_value(const struct span *v, uint64_t *ret, struct err *err)
{
	const char *p;
	uint64_t x = 0;

	if (span_len(v) == 0 || span_len(v) > 20 || v->s[0] < '1' || v->s[0] > '9')
		return err_set(err, LSN_EINVAL, "\"seq\" must be a whole number from 1 written "
		    "without sign, exponent or leading zero");
	for (p = v->s; p < v->e; p++) {
		if (*p < '0' || *p > '9' || x > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return err_set(err, LSN_EINVAL, "\"seq\" must be a whole number below 2^64");
		x = x * 10 + (uint64_t)(*p - '0');
	}
	*ret = x;
	return 0;
}

/* Base64 of bytes (malloc'd); canonical only, as b64_decode demands. */
static int
b64_value(const struct span *v, const char *what, uint8_t **ret, size_t *ret_len,
    struct err *err)
{
	struct span s = { NULL, NULL };
	uint8_t *out;
	int r;

	if ((r = plain_str(v, what, &s, err)) < 0)
		return r;
	if ((out = malloc(span_len(&s) / 4 * 3 + 3)) == NULL)
		return err_set(err, LSN_ENOMEM, "out of memory");
	if (b64_decode(s.s, span_len(&s), out, span_len(&s) / 4 * 3 + 3, ret_len, 0) < 0) {
		free(out);
		return err_set(err, LSN_EINVAL, "%s is not canonical standard base64", what);
	}
	*ret = out;
	return 0;
}

/* ---- verifying: parties, logs, envelopes ---- */

/* One side: its identity (as the bundle states it) and what it derives. */
struct party {
	struct ident id;
	struct ledger_id lid;         /* its log's origin and key, its witness key */
	uint8_t kid[CX_SHA256_LEN];   /* key id, as envelope headers and receipts name it */
};

static int
party_init(struct party *pt, const struct span *doc, const char *what, struct err *err)
{
	int r;

	if ((r = ident_parse(doc->s, span_len(doc), &pt->id, err)) < 0) {
		err_prefix(err, "%s: ", what);
		return r;
	}
	env_key_id(pt->id.key, pt->kid);
	return ledger_id_init(&pt->lid, pt->id.name, pt->id.key, err);
}

int
evidence_match_sig(const struct note_sig *s, const struct note_key *k)
{
	return s->id == k->id && strcmp(s->name, k->name) == 0;
}

/* Exactly two lines: the owner's signature, then the other party's cosignature. */
static int
checkpoint_sigs(const struct note *n, const struct party *owner, const struct party *cosigner,
    uint64_t *ret_time, struct err *err)
{
	int r;

	if (n->n_sigs != 2 || !evidence_match_sig(&n->sigs[0], &owner->lid.log_key) ||
	    !evidence_match_sig(&n->sigs[1], &cosigner->lid.witness_key))
		return err_set(err, LSN_EINVAL, "its checkpoint must carry exactly two signature "
		    "lines: %s's log signature (%s), then %s's cosignature (%s)", owner->id.name,
		    owner->lid.log_key.name, cosigner->id.name, cosigner->lid.witness_key.name);
	if ((r = note_verify(n, &owner->lid.log_key, NULL, err)) < 0) {
		err_prefix(err, "the checkpoint signature of %s: ", owner->id.name);
		return r;
	}
	if ((r = note_verify(n, &cosigner->lid.witness_key, ret_time, err)) < 0)
		err_prefix(err, "the cosignature of %s: ", cosigner->id.name);
	return r;
}

/* The checkpoint of a proof: owner's log, signed by it, cosigned by the other party. */
static int
proof_checkpoint(const struct tlog_proof *p, const struct party *owner,
    const struct party *cosigner, struct checkpoint *cp, uint64_t *ret_time, struct err *err)
{
	struct note n;
	int r;

	if ((r = note_parse(p->checkpoint, p->checkpoint_len, &n, err)) < 0 ||
	    (r = checkpoint_parse(n.text, n.text_len, cp, err)) < 0)
		return r;
	if (strcmp(cp->origin, owner->lid.origin) != 0)
		return err_set(err, LSN_ECONFLICT, "its checkpoint is of the log '%s', but %s's log "
		    "is '%s'", cp->origin, owner->id.name, owner->lid.origin);
	return checkpoint_sigs(&n, owner, cosigner, ret_time, err);
}

/* What one proof must show: this entry, in owner's log, at want (if has_want). */
struct proof_claim {
	const struct party *owner, *cosigner;
	const uint8_t *entry;         /* ENV_ENTRY_LEN bytes, recomputed by the verifier */
	int has_want;
	uint64_t want;
};

static int
proof_check(const char *text, size_t len, const struct proof_claim *c, struct evidence_log *ret,
    struct err *err)
{
	struct tlog_proof p;
	struct checkpoint cp;
	uint8_t leaf[MERKLE_HASH_LEN];
	int r;

	if ((r = tlog_proof_parse(text, len, &p, err)) < 0)
		return r;
	if (!p.has_extra || p.extra_len != ENV_ENTRY_LEN ||
	    memcmp(p.extra, c->entry, ENV_ENTRY_LEN) != 0)
		return err_set(err, LSN_ECONFLICT, "its extra line is not the entry this envelope "
		    "has in %s's log", c->owner->id.name);
	if (c->has_want && p.index != c->want)
		return err_set(err, LSN_ECONFLICT, "it proves leaf %" PRIu64 ", but the receipt "
		    "names leaf %" PRIu64, p.index, c->want);
	if ((r = proof_checkpoint(&p, c->owner, c->cosigner, &cp, &ret->cosigned, err)) < 0)
		return r;
	merkle_leaf_hash(c->entry, ENV_ENTRY_LEN, leaf);
	if ((r = merkle_verify_inclusion(p.index, cp.size, leaf, (const merkle_hash *)p.hashes,
	    p.n_hashes, cp.root, err)) < 0) {
		err_prefix(err, "inclusion in %s's log: ", c->owner->id.name);
		return r;
	}
	ret->leaf = p.index;
	ret->size = cp.size;
	return 0;
}

static int
proof_member(const struct span *v, const struct proof_claim *c, const char *what,
    struct evidence_log *ret, struct err *err)
{
	char *text = NULL;
	size_t len = 0;
	int r;

	if ((r = text_str(v, what, &text, &len, err)) == 0)
		r = proof_check(text, len, c, ret, err);
	free(text);
	if (r < 0)
		err_prefix(err, "%s (%s's log): ", what, c->owner->id.name);
	return r;
}

enum { EK_DIR, EK_SEQ, EK_ENV, EK_RCPT, EK_SPROOF, EK_RPROOF, EK_N };
static const char *const env_keys[EK_N] = { "direction", "seq", "envelope", "receipt",
	"sender_log_proof", "receiver_log_proof" };

/* One envelope of the bundle being checked. */
struct vitem {
	struct span m[EK_N];
	const struct party *sender, *receiver;
	uint8_t *env;
	size_t env_len;
	struct env_view v;
	struct evidence_item *out;
};

/* The envelope: well formed, between the two parties, signed by its sender. */
static int
check_envelope(struct vitem *it, struct err *err)
{
	struct evidence_item *o = it->out;
	size_t used;
	int r;

	if ((r = b64_value(&it->m[EK_ENV], "\"envelope\"", &it->env, &it->env_len, err)) < 0)
		return r;
	if ((r = env_decode(it->env, it->env_len, &it->v, &used, err)) < 0)
		return r;
	if (used != it->env_len)
		return err_set(err, LSN_EINVAL, "%zu bytes follow the envelope", it->env_len - used);
	if (memcmp(it->v.h.from, it->sender->kid, CX_SHA256_LEN) != 0 ||
	    memcmp(it->v.h.to, it->receiver->kid, CX_SHA256_LEN) != 0)
		return err_set(err, LSN_ECONFLICT, "the envelope is not from %s to %s, as its "
		    "direction says", it->sender->id.name, it->receiver->id.name);
	if (it->v.h.seq != o->seq)
		return err_set(err, LSN_ECONFLICT, "the envelope's header has seq %" PRIu64 ", not "
		    "%" PRIu64, it->v.h.seq, o->seq);
	if ((r = env_verify(&it->v, it->sender->id.key, err)) < 0) {
		err_prefix(err, "the signature of its sender %s: ", it->sender->id.name);
		return r;
	}
	memcpy(o->id, it->v.id, ENV_ID_LEN);
	o->kind = it->v.h.kind;
	o->items = it->v.h.items;
	o->time_us = it->v.h.time_us;
	/* a case step is kept for the reader (what was notified, asked, answered) */
	if (o->kind != ENV_SHARE && it->v.h.body_len > 0) {
		if ((o->body = malloc(it->v.h.body_len)) == NULL)
			return err_set(err, LSN_ENOMEM, "out of memory");
		memcpy(o->body, it->v.body, it->v.h.body_len);
		o->body_len = it->v.h.body_len;
	}
	return 0;
}

/* The receipt: signed by the receiver, naming this envelope. */
static int
check_receipt(struct vitem *it, struct err *err)
{
	struct rcpt *rc = &it->out->rc;
	uint8_t *raw = NULL;
	size_t len = 0;
	int r;

	if ((r = b64_value(&it->m[EK_RCPT], "\"receipt\"", &raw, &len, err)) == 0)
		r = rcpt_open(raw, len, it->receiver->id.key, rc, err);
	free(raw);
	if (r < 0) {
		err_prefix(err, "the receipt of %s: ", it->receiver->id.name);
		return r;
	}
	if (memcmp(rc->env_id, it->v.id, ENV_ID_LEN) != 0 ||
	    memcmp(rc->from, it->sender->kid, CX_SHA256_LEN) != 0 || rc->seq != it->v.h.seq)
		return err_set(err, LSN_ECONFLICT, "the receipt of %s names another envelope (its "
		    "id, sender or seq differ)", it->receiver->id.name);
	return 0;
}

/* Both logs: the sender's entry at any leaf, the receiver's at the receipt's leaf. */
static int
check_logs(struct vitem *it, struct err *err)
{
	struct evidence_item *o = it->out;
	uint8_t sent[ENV_ENTRY_LEN], recv[ENV_ENTRY_LEN];
	struct proof_claim cs = { it->sender, it->receiver, sent, 0, 0 };
	struct proof_claim cr = { it->receiver, it->sender, recv, 1, o->rc.leaf };
	int r;

	env_entry(&it->v, ENV_ENTRY_SENT, it->v.h.time_us, sent);
	env_entry(&it->v, ENV_ENTRY_RECEIVED, o->rc.time_us, recv);
	if ((r = proof_member(&it->m[EK_SPROOF], &cs, "\"sender_log_proof\"", &o->sender_log,
	    err)) < 0)
		return r;
	return proof_member(&it->m[EK_RPROOF], &cr, "\"receiver_log_proof\"", &o->receiver_log,
	    err);
}

static int
check_item(const struct span *el, const struct party *ex, const struct party *pa,
    struct evidence_item *out, struct err *err)
{
	struct vitem it = { .out = out };
	struct span d = { NULL, NULL };
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = members(el, env_keys, it.m, EK_N, "the envelope entry", err)) < 0 ||
	    (r = plain_str(&it.m[EK_DIR], "\"direction\"", &d, err)) < 0 ||
	    (r = seq_value(&it.m[EK_SEQ], &out->seq, err)) < 0)
		return r;
	if (!word_is(&d, "sent") && !word_is(&d, "received"))
		return err_set(err, LSN_EINVAL, "\"direction\" must be \"sent\" or \"received\"");
	out->sent = word_is(&d, "sent");
	it.sender = out->sent ? ex : pa;
	it.receiver = out->sent ? pa : ex;
	if ((r = check_envelope(&it, err)) == 0 && (r = check_receipt(&it, err)) == 0)
		r = check_logs(&it, err);
	free(it.env);
	if (r < 0) {
		free(out->body);
		out->body = NULL;
	}
	return r;
}

/* ---- verifying: the whole bundle ---- */

enum { TK_FORMAT, TK_CREATED, TK_EXPORTER, TK_PARTNER, TK_ENVELOPES, TK_N };
static const char *const top_keys[TK_N] = { "format", "created", "exporter", "partner",
	"envelopes" };

struct bundle {
	struct span value, m[TK_N];
	uint8_t sig[CX_ED25519_SIG_LEN];
	struct party ex, pa;
};

static int
check_head(struct bundle *b, struct evidence_summary *sum, struct err *err)
{
	struct span s = { NULL, NULL };
	struct ts t;
	int r;

	if ((r = members(&b->value, top_keys, b->m, TK_N, "the evidence value", err)) < 0 ||
	    (r = plain_str(&b->m[TK_FORMAT], "\"format\"", &s, err)) < 0)
		return r;
	if (!word_is(&s, EVIDENCE_FORMAT))
		return err_set(err, LSN_EINVAL, "\"format\" is not \"" EVIDENCE_FORMAT "\"; this "
		    "verifier knows no other");
	if ((r = plain_str(&b->m[TK_CREATED], "\"created\"", &s, err)) < 0)
		return r;
	if (span_len(&s) >= sizeof(sum->created) || ts_parse(s.s, span_len(&s), &t, err) < 0)
		return err_set(err, LSN_EINVAL, "\"created\" is not an RFC 3339 UTC timestamp");
	memcpy(sum->created, s.s, span_len(&s));
	sum->created[span_len(&s)] = '\0';
	return 0;
}

/* The exporter, its signature over VALUE (before anything else is believed), the partner. */
static int
check_signer(struct bundle *b, struct err *err)
{
	uint8_t *msg;
	size_t mlen;
	int r;

	if ((r = party_init(&b->ex, &b->m[TK_EXPORTER], "the exporter's identity document",
	    err)) < 0)
		return r;
	if ((msg = signed_message(b->value.s, span_len(&b->value), &mlen)) == NULL)
		return err_set(err, LSN_ENOMEM, "out of memory");
	r = cx_verify(b->ex.id.key, msg, mlen, b->sig);
	free(msg);
	if (r < 0)
		return err_set(err, LSN_EBADSIG, "the bundle's signature does not verify under the "
		    "key of its exporter %s (fingerprint %s): the file was altered or another key "
		    "signed it", b->ex.id.name, b->ex.id.fingerprint);
	if ((r = party_init(&b->pa, &b->m[TK_PARTNER], "the partner's identity document",
	    err)) < 0)
		return r;
	if (memcmp(b->ex.id.key, b->pa.id.key, CX_ED25519_PUB_LEN) == 0)
		return err_set(err, LSN_EINVAL, "the exporter and the partner have the same key");
	return 0;
}

static int
add_item(struct evidence_summary *sum, const struct span *el, const struct bundle *b,
    struct err *err)
{
	struct evidence_item *v = realloc(sum->items, (sum->n + 1) * sizeof(*v));
	int r;

	if (v == NULL)
		return err_set(err, LSN_ENOMEM, "out of memory");
	sum->items = v;
	if ((r = check_item(el, &b->ex, &b->pa, &v[sum->n], err)) < 0) {
		err_prefix(err, "envelope %zu of the bundle: ", sum->n + 1);
		return r;
	}
	sum->n++;
	return 0;
}

static int
check_envelopes(const struct bundle *b, struct evidence_summary *sum, struct err *err)
{
	const struct span *arr = &b->m[TK_ENVELOPES];
	struct jscan js;
	struct span el;
	int r;

	jscan_init(&js, arr->s, span_len(arr), DEPTH);
	if (jscan_array_begin(&js, err) < 0)
		return err_set(err, LSN_EINVAL, "\"envelopes\" is not a JSON array");
	while ((r = jscan_array_next(&js, err)) == 1) {
		if ((r = jscan_value(&js, &el.s, &el.e, err)) < 0 ||
		    (r = add_item(sum, &el, b, err)) < 0)
			return r;
	}
	if (r == 0 && sum->n == 0)
		return err_set(err, LSN_EINVAL, "the bundle holds no envelopes");
	return r;
}

int
evidence_verify(const char *file, size_t len, struct evidence_summary *ret, struct err *err)
{
	struct evidence_summary sum = { 0 };
	struct bundle *b = calloc(1, sizeof(*b));
	int r;

	if (b == NULL)
		return err_set(err, LSN_ENOMEM, "out of memory");
	if ((r = layout(file, len, &b->value, b->sig, err)) < 0 ||
	    (r = check_head(b, &sum, err)) < 0 || (r = check_signer(b, err)) < 0 ||
	    (r = check_envelopes(b, &sum, err)) < 0) {
		evidence_summary_release(&sum);
		free(b);
		return r;
	}
	sum.exporter = b->ex.id;
	sum.partner = b->pa.id;
	free(b);
	*ret = sum;
	return 0;
}

void
evidence_summary_release(struct evidence_summary *sum)
{
	size_t i;

	for (i = 0; i < sum->n; i++)
		free(sum->items[i].body);
	free(sum->items);
	sum->items = NULL;
	sum->n = 0;
}
