/*
 * libFuzzer harness for the C2SP text formats (src/ledger/note.c): the same
 * bytes parsed as a signed note (its text as a checkpoint), a checkpoint, a
 * vkey, a tlog proof and an add-checkpoint request. Never a crash, leak or
 * read past the input; every refusal is one sentence; whatever is accepted
 * formats back to exactly the input bytes (the parsers take one spelling).
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/cx.h"
#include "ledger/note.h"
#include "util/enc.h"
#include "util/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DASH "\xe2\x80\x94"

/*
 * The keys of tests/ledger/test_note.c, from the seeds 00 01 .. 1f (L, the
 * log "example.org/log", Ed25519) and 20 21 .. 3f (W, the cosigner
 * "witness.example.org/w1"), so seeds made from its known answers verify.
 */
struct keys {
	struct cx_key *l, *w;
	struct note_key kl, kw;
};

static struct cx_key *
key_from(uint8_t first)
{
	uint8_t seed[CX_ED25519_SEED_LEN];
	struct cx_key *k = NULL;
	size_t i;

	for (i = 0; i < sizeof(seed); i++)
		seed[i] = (uint8_t)(first + i);
	if (cx_key_from_raw(seed, &k, NULL) < 0)
		__builtin_trap();
	return k;
}

static const struct keys *
keys_get(void)
{
	static struct keys k;
	uint8_t pub[CX_ED25519_PUB_LEN];

	if (k.l != NULL)
		return &k;
	k.l = key_from(0x00);
	k.w = key_from(0x20);
	cx_key_public(k.l, pub);
	if (note_key_init(&k.kl, "example.org/log", NOTE_TYPE_ED25519, pub, NULL) < 0)
		__builtin_trap();
	cx_key_public(k.w, pub);
	if (note_key_init(&k.kw, "witness.example.org/w1", NOTE_TYPE_COSIG, pub, NULL) < 0)
		__builtin_trap();
	return &k;
}

/* Every refusal is one non-empty printable sentence, valid UTF-8 (it may go into JSON). */
static void
check_err(const struct err *err, int r)
{
	const char *end;
	json_t *s;
	size_t i;

	if (r >= 0)
		return;
	end = memchr(err->msg, '\0', sizeof(err->msg));
	if (err->code != -r || end == NULL || err->msg[0] == '\0')
		__builtin_trap();
	for (i = 0; err->msg + i < end; i++)
		if ((unsigned char)err->msg[i] < 0x20)
			__builtin_trap();
	s = json_string(err->msg);
	if (s == NULL)
		__builtin_trap();
	json_decref(s);
}

static void
same_bytes(const char *a, size_t alen, const uint8_t *b, size_t blen)
{
	if (alen != blen || memcmp(a, b, alen) != 0)
		__builtin_trap();
}

/* The note rebuilt from its parts: text, blank line, "— name base64(id || sig)" lines. */
static void
check_note_bytes(const struct note *n, const uint8_t *data, size_t size)
{
	static char buf[2 * NOTE_MAX];
	uint8_t raw[4 + NOTE_SIG_MAX];
	size_t len, i;

	if (n->text != (const char *)data || n->text_len == 0 || n->text_len >= size ||
	    n->text[n->text_len - 1] != '\n' || n->n_sigs == 0 || n->n_sigs > NOTE_SIGS_MAX)
		__builtin_trap();
	memcpy(buf, n->text, n->text_len);
	len = n->text_len;
	buf[len++] = '\n';
	for (i = 0; i < n->n_sigs; i++) {
		const struct note_sig *s = &n->sigs[i];

		if (s->sig_len == 0 || s->sig_len > NOTE_SIG_MAX)
			__builtin_trap();
		raw[0] = (uint8_t)(s->id >> 24);
		raw[1] = (uint8_t)(s->id >> 16);
		raw[2] = (uint8_t)(s->id >> 8);
		raw[3] = (uint8_t)s->id;
		memcpy(raw + 4, s->sig, s->sig_len);
		len += (size_t)sprintf(buf + len, DASH " %s ", s->name);
		b64_encode(raw, 4 + s->sig_len, buf + len, 0);
		len += strlen(buf + len);
		buf[len++] = '\n';
	}
	same_bytes(buf, len, data, size);
}

/* A known key's verdict is 0, ENOTFOUND or EBADSIG, nothing else. */
static void
check_verify(const struct note *n, const struct note_key *k)
{
	struct err err = ERR_INIT;
	uint64_t t = UINT64_MAX;
	int r;

	r = note_verify(n, k, &t, &err);
	check_err(&err, r);
	if (r < 0 && r != -LSN_ENOTFOUND && r != -LSN_EBADSIG)
		__builtin_trap();
	if (r == 0 && k->type == NOTE_TYPE_COSIG && t > INT64_MAX)
		__builtin_trap();
}

/* What a key signs over a text it accepted verifies as a note of that text. */
static void
sign_and_verify(const char *text, size_t len, const struct note_key *k,
    const struct cx_key *sk, int cosig)
{
	static char buf[NOTE_MAX + 512];
	struct err err = ERR_INIT;
	size_t llen = 0;
	struct note n;
	int r;

	if (len + 1 + 300 > sizeof(buf))
		return;
	memcpy(buf, text, len);
	buf[len] = '\n';
	if (cosig)
		r = cosig_sign(k, sk, 1700000000, text, len, buf + len + 1, sizeof(buf) - len - 1,
		    &llen, &err);
	else
		r = note_sign(k, sk, text, len, buf + len + 1, sizeof(buf) - len - 1, &llen, &err);
	if (r < 0)
		__builtin_trap();
	/* Over NOTE_MAX the note cannot be parsed; the signature was still made. */
	if (len + 1 + llen > NOTE_MAX)
		return;
	if (note_parse(buf, len + 1 + llen, &n, &err) < 0 || note_verify(&n, k, NULL, &err) < 0)
		__builtin_trap();
}

static void
check_checkpoint(const char *text, size_t len, const struct keys *k)
{
	struct err err = ERR_INIT;
	struct checkpoint c;
	char out[512];
	size_t olen = 0;
	int r;

	r = checkpoint_parse(text, len, &c, &err);
	check_err(&err, r);
	if (r < 0)
		return;
	if (checkpoint_format(&c, out, sizeof(out), &olen, &err) < 0)
		__builtin_trap();
	same_bytes(out, olen, (const uint8_t *)text, len);
	sign_and_verify(text, len, &k->kw, k->w, 1);
}

static void
parse_note(const uint8_t *data, size_t size, const struct keys *k)
{
	struct note *n = malloc(sizeof(*n));
	struct err err = ERR_INIT;
	int r;

	if (n == NULL)
		return;
	r = note_parse((const char *)data, size, n, &err);
	check_err(&err, r);
	if (r == 0) {
		check_note_bytes(n, data, size);
		check_verify(n, &k->kl);
		check_verify(n, &k->kw);
		check_checkpoint(n->text, n->text_len, k);
		sign_and_verify(n->text, n->text_len, &k->kl, k->l, 0);
	}
	free(n);
}

static void
parse_vkey(const uint8_t *data, size_t size)
{
	char out[NOTE_VKEY_MAX];
	struct err err = ERR_INIT;
	struct note_key key, again;
	int r;

	r = note_vkey_parse((const char *)data, size, &key, &err);
	check_err(&err, r);
	if (r < 0)
		return;
	note_vkey_format(&key, out);
	same_bytes(out, strlen(out), data, size);
	if (note_key_init(&again, key.name, key.type, key.pub, &err) < 0 || again.id != key.id)
		__builtin_trap();
}

/* The embedded checkpoint ends the input and is itself a signed note. */
static void
check_tail(const char *cp, size_t cp_len, const uint8_t *data, size_t size)
{
	struct err err = ERR_INIT;
	struct note n;

	if (cp < (const char *)data || cp_len == 0 || cp_len > size ||
	    cp + cp_len != (const char *)data + size)
		__builtin_trap();
	if (note_parse(cp, cp_len, &n, &err) < 0)
		__builtin_trap();
}

static void
parse_proof(const uint8_t *data, size_t size)
{
	struct tlog_proof *p = malloc(sizeof(*p));
	struct err err = ERR_INIT;
	char *out = malloc(size + 1);
	size_t olen = 0;
	int r;

	if (p == NULL || out == NULL)
		goto out;
	r = tlog_proof_parse((const char *)data, size, p, &err);
	check_err(&err, r);
	if (r < 0)
		goto out;
	check_tail(p->checkpoint, p->checkpoint_len, data, size);
	if (p->n_hashes > MERKLE_PROOF_MAX || p->extra_len > TLOG_PROOF_EXTRA_MAX ||
	    (!p->has_extra && p->extra_len != 0))
		__builtin_trap();
	/* Exactly size + 1 bytes: the NUL fits, one byte less would not. */
	if (tlog_proof_format(p->has_extra ? p->extra : NULL, p->extra_len, p->index, p->hashes,
	    p->n_hashes, p->checkpoint, p->checkpoint_len, out, size + 1, &olen, &err) < 0)
		__builtin_trap();
	same_bytes(out, olen, data, size);
out:
	free(out);
	free(p);
}

static void
parse_request(const uint8_t *data, size_t size)
{
	struct witness_req *q = malloc(sizeof(*q));
	struct err err = ERR_INIT;
	char *out = malloc(size + 1);
	size_t olen = 0;
	int r;

	if (q == NULL || out == NULL)
		goto out;
	r = witness_req_parse((const char *)data, size, q, &err);
	check_err(&err, r);
	if (r < 0)
		goto out;
	check_tail(q->checkpoint, q->checkpoint_len, data, size);
	if (q->n_proof > MERKLE_PROOF_MAX)
		__builtin_trap();
	if (witness_req_format(q->old_size, q->proof, q->n_proof, q->checkpoint,
	    q->checkpoint_len, out, size + 1, &olen, &err) < 0)
		__builtin_trap();
	same_bytes(out, olen, data, size);
out:
	free(out);
	free(q);
}

/* The peer API's proof answer: accepted ones format back to the same bytes. */
static void
parse_reply(const uint8_t *data, size_t size)
{
	merkle_hash *h = malloc(MERKLE_PROOF_MAX * sizeof(*h));
	char *out = malloc(size + 1);
	struct err err = ERR_INIT;
	uint64_t idx;
	size_t n, olen;
	int r;

	if (h == NULL || out == NULL)
		goto out;
	r = proof_reply_parse((const char *)data, size, &idx, h, &n, &err);
	check_err(&err, r);
	if (r < 0)
		goto out;
	if (n > MERKLE_PROOF_MAX ||
	    proof_reply_format(idx, (const merkle_hash *)h, n, out, size + 1, &olen, &err) < 0)
		__builtin_trap();
	same_bytes(out, olen, data, size);
out:
	free(out);
	free(h);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct keys *k = keys_get();

	parse_note(data, size, k);
	check_checkpoint((const char *)data, size, k);
	parse_vkey(data, size);
	parse_proof(data, size);
	parse_request(data, size);
	parse_reply(data, size);
	return 0;
}
