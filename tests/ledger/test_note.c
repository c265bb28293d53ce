/*
 * The C2SP text formats (src/ledger/note.c): the examples of the specs, known
 * answers that pin every byte, round trips and a table of refusals. The known
 * answers were computed by an independent Python implementation (hashlib,
 * base64, and Ed25519 both from `cryptography` and from a pure-Python RFC 8032
 * §6 transcription), which also reproduces Go's sumdb/note example signature.
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
#include "ledger/note.h"
#include "util/enc.h"
#include "util/err.h"

#define DASH "\xe2\x80\x94"   /* U+2014 em dash */

/* ---- known answers: log key L (seed 00 01 .. 1f), witness key W (seed 20 21 .. 3f) ---- */

#define L_NAME "example.org/log"
#define W_NAME "witness.example.org/w1"
#define L_VKEY "example.org/log+98af023b+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4"
#define W_VKEY "witness.example.org/w1+f3c080b6+BCmsuuFBvMrwsi4alNNNC8c2HlJtC/4SyJeUvJMilm3X"
/* Size 5, root 40 41 .. 5f. */
#define CP_TEXT "example.org/log\n5\nQEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8=\n"
#define CP_LOGSIG DASH " example.org/log mK8CO0WyAvrpsMmAU8Om66Vddf0KBU5FTHK9f/hqfHj1TceNCFh0" \
	"hFW0gcE0Hxe+R0Ac05oo2EO39suZbCo6JJhruQU=\n"
/* W's cosignature at 1795780800 (2026-11-27T12:00:00Z), and at 2^63 - 1. */
#define KAT_TIME UINT64_C(1795780800)
#define CP_COSIG DASH " witness.example.org/w1 88CAtgAAAABrCXDA4QljPAQcbKGt/Uv73JgbwBGVNHVgm49TA" \
	"4ZSBhOEtmriBQDbbdm41UpsT/+nF9BksBWSbQF0F+c4xaeJ++yFDg==\n"
#define CP_COSIG_MAX DASH " witness.example.org/w1 88CAtn//////////zZKNCF0fAzdOKuPzNxhMK2DLJlawSK" \
	"39S3zyaCawepS/4CAEE9dlYhQUdLfb/ilMr60l1NEJBff2KAf1Qg2JDg==\n"
#define CP_NOTE CP_TEXT "\n" CP_LOGSIG
#define H1_B64 "YGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6e3x9fn8="   /* 60 61 .. 7f */
#define H2_B64 "gIGCg4SFhoeIiYqLjI2Oj5CRkpOUlZaXmJmam5ydnp8="   /* 80 81 .. 9f */
/* Extra "liaison", index 3, proof H1 H2, the checkpoint with both signatures. */
#define KAT_PROOF "c2sp.org/tlog-proof@v1\nextra bGlhaXNvbg==\nindex 3\n" H1_B64 "\n" H2_B64 \
	"\n\n" CP_NOTE CP_COSIG
#define KAT_REQ "old 3\n" H1_B64 "\n" H2_B64 "\n\n" CP_NOTE
#define EMPTY_TEXT "example.org/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"

/* ---- golang.org/x/mod/sumdb/note: its example key and signature ---- */

#define GO_SEED "810a1402d5146c8d84f2443330f54080ebf98ee17d9c74f6252fc5d5c7283173"
#define GO_VKEY "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
#define GO_TEXT "If you think cryptography is the answer to your problem,\n" \
	"then you don't know what your problem is.\n"
#define GO_LINE DASH " PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FF" \
	"YC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"

/* ---- the examples of the specs, verbatim ---- */

/* signed-note §Verifier keys, Example. */
#define SN_VKEY "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
#define SN_TEXT "This is an example message.\n"
#define SN_NOTE SN_TEXT "\n" DASH " example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7" \
	"Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
/* signed-note, the opening example (its key is not published). */
#define SN_POEM "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\n" \
	"ed \xc3\xa8 subito sera.\n"
#define SN_POEM_NOTE SN_POEM "\n" DASH " quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ" \
	"2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n"
/* tlog-checkpoint and tlog-cosignature. */
#define SOFA_TEXT "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
#define SOFA_SIG DASH " example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoR" \
	"De4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
#define SOFA_COSIG DASH " witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI" \
	"5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n"
/* tlog-witness §add-checkpoint: the request and the response. */
#define SOFA_REQ "old 20852014\nPlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n" \
	"jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=\n5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=\n" \
	"/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=\n\n" SOFA_TEXT "\n" SOFA_SIG \
	DASH " example.com/behind-the-sofa opLqBQsREYCgu6xQkYQwJr9fo45a62DN9EdmHXnZdXNqlcVGlCum2Wks+" \
	"49/V6267UEjw6QUXTS5Rovnzv++qbSzm9Q=\n"
#define SOFA_RESP \
	DASH " witness.example/w1 CMp+6LWBU0anHGH5aNDTJkH/gj79sG+T6+iP2ThYN5krrDJbR1HDnucjL39QsZTS" \
	"vVjyQLrdk3DXDqI5G2HgLatVs0pWh6Up69HVOw==\n" \
	DASH " witness.example/w1 I7rEps0pvK2UqkS2gSpVUDhrhVtQV9lgF6pRrWAvjJHjyWpW7VcE3SiOlVlbQNt6" \
	"4vWhO+DlkL0+UfzuOBMh9ChdMkP1vi/lCAsmlw==\n" \
	DASH " witness.example/w2 AWui8Sk55XjYLOijihBjhqEH6nS1ndDymE0a+6idX7pLcnoB+dhnz0854aLZgrrK" \
	"bYKA7nC3HNJhm/kWl7oJlqU3rXXvpysAdyP3wQ==\n"
/* tlog-proof §Format: the lines before the checkpoint (its signatures are elided there). */
#define FANCY_HEAD "c2sp.org/tlog-proof@v1\nextra YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ\n" \
	"index 73894\ngSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=\n" \
	"B95lDa8R83lS8n0eG+o0buTxRKQTYFi//1U8anccXmA=\nEKNzoDWG8LGC0Yp9o+sv3qllpMP9uHQ9B20KNL+Q1zs=\n" \
	"RoopEkOdqkYqMB4MJXrbt/hMjOxsVn0IrWjpz1ZMMes=\nAHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk=\n\n"
#define FANCY_TEXT "example.com/fancylog\n109482\nsFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08=\n"

struct fx {
	struct cx_key *l, *w;
	struct note_key kl, kw;
};

static struct cx_key *
key_from(uint8_t first)
{
	uint8_t seed[CX_ED25519_SEED_LEN];
	struct err err = ERR_INIT;
	struct cx_key *k = NULL;
	size_t i;

	for (i = 0; i < sizeof(seed); i++)
		seed[i] = (uint8_t)(first + i);
	assert_int_equal(cx_key_from_raw(seed, &k, &err), 0);
	return k;
}

static void
key_of(const struct cx_key *sk, const char *name, uint8_t type, struct note_key *k)
{
	uint8_t pub[CX_ED25519_PUB_LEN];
	struct err err = ERR_INIT;

	cx_key_public(sk, pub);
	assert_int_equal(note_key_init(k, name, type, pub, &err), 0);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	f->l = key_from(0x00);
	f->w = key_from(0x20);
	key_of(f->l, L_NAME, NOTE_TYPE_ED25519, &f->kl);
	key_of(f->w, W_NAME, NOTE_TYPE_COSIG, &f->kw);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	cx_key_free(f->l);
	cx_key_free(f->w);
	free(f);
	return 0;
}

static void
assert_err(int r, const struct err *err, int code, const char *part)
{
	assert_int_equal(r, -code);
	assert_int_equal(err->code, code);
	assert_true(err->msg[0] != '\0');
	if (strstr(err->msg, part) == NULL)
		fail_msg("error '%s' does not mention '%s'", err->msg, part);
}

static void
parse_ok(const char *s, struct note *n)
{
	struct err err = ERR_INIT;

	if (note_parse(s, strlen(s), n, &err) != 0)
		fail_msg("note_parse: %s", err.msg);
}

static void
vkey_ok(const char *s, struct note_key *k)
{
	char out[NOTE_VKEY_MAX];
	struct err err = ERR_INIT;

	if (note_vkey_parse(s, strlen(s), k, &err) != 0)
		fail_msg("note_vkey_parse: %s", err.msg);
	note_vkey_format(k, out);
	assert_string_equal(out, s);
}

static int
verify(const char *s, const struct note_key *k, uint64_t *t)
{
	struct err err = ERR_INIT;
	struct note n;

	parse_ok(s, &n);
	return note_verify(&n, k, t, &err);
}

static void
assert_b64(const uint8_t *p, size_t len, const char *want)
{
	char out[128];

	assert_true(b64_encoded_len(len, 0) < sizeof(out));
	b64_encode(p, len, out, 0);
	assert_string_equal(out, want);
}

/* ---- the examples of the specs ---- */

static void
test_spec_signed_note(void **state)
{
	struct err err = ERR_INIT;
	struct note_key k;
	struct note n;
	uint64_t t = 7;

	vkey_ok(SN_VKEY, &k);
	assert_string_equal(k.name, "example.com/foo");
	assert_int_equal(k.type, NOTE_TYPE_ED25519);
	assert_int_equal(k.id, 0x530d903a);
	parse_ok(SN_NOTE, &n);
	assert_int_equal(n.text_len, strlen(SN_TEXT));
	assert_memory_equal(n.text, SN_TEXT, n.text_len);
	assert_int_equal(n.n_sigs, 1);
	assert_string_equal(n.sigs[0].name, "example.com/foo");
	assert_int_equal(n.sigs[0].id, 0x530d903a);
	assert_int_equal(n.sigs[0].sig_len, 64);
	assert_int_equal(note_verify(&n, &k, &t, &err), 0);
	assert_true(t == 7);   /* not a cosignature key: untouched */

	/* One changed letter of the text. */
	assert_int_equal(verify("This is an example massage.\n\n" DASH " example.com/foo Uw2QOkn8srV1yJGh"
	    "2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n", &k, NULL),
	    -LSN_EBADSIG);
}

static void
test_spec_poem_and_checkpoint(void **state)
{
	struct checkpoint c;
	struct err err = ERR_INIT;
	struct note n;
	char out[256];
	size_t len = 0;

	/* The text keeps its inner blank line: only the last one separates. */
	parse_ok(SN_POEM_NOTE, &n);
	assert_int_equal(n.text_len, strlen(SN_POEM));
	assert_memory_equal(n.text, SN_POEM, n.text_len);
	assert_int_equal(n.n_sigs, 1);
	assert_string_equal(n.sigs[0].name, "quasimodo.example/salvatore");
	assert_int_equal(n.sigs[0].id, 0x367ba04b);

	parse_ok(SOFA_TEXT "\n" SOFA_SIG SOFA_COSIG, &n);
	assert_int_equal(n.n_sigs, 2);
	assert_int_equal(n.sigs[0].id, 0x033de0ae);
	assert_int_equal(n.sigs[0].sig_len, 64);
	assert_string_equal(n.sigs[1].name, "witness.example.com/w1");
	assert_int_equal(n.sigs[1].id, 0x8d66cf3f);
	assert_int_equal(n.sigs[1].sig_len, 72);
	/* tlog-cosignature: the example's timestamp line is "time 1679315147". */
	assert_memory_equal(n.sigs[1].sig, "\x00\x00\x00\x00\x64\x18\x50\xcb", 8);
	assert_int_equal(checkpoint_parse(n.text, n.text_len, &c, &err), 0);
	assert_string_equal(c.origin, "example.com/behind-the-sofa");
	assert_true(c.size == 20852163);
	assert_b64(c.root, 32, "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=");
	assert_int_equal(checkpoint_format(&c, out, sizeof(out), &len, &err), 0);
	assert_string_equal(out, SOFA_TEXT);
	assert_int_equal(len, strlen(SOFA_TEXT));
}

static void
test_spec_witness(void **state)
{
	static const char req[] = SOFA_REQ;
	struct witness_req q;
	struct err err = ERR_INIT;
	struct note n;
	char out[1024];
	size_t len = 0;

	assert_int_equal(witness_req_parse(req, sizeof(req) - 1, &q, &err), 0);
	assert_true(q.old_size == 20852014);
	assert_int_equal(q.n_proof, 4);
	assert_b64(q.proof[3], 32, "/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=");
	assert_ptr_equal(q.checkpoint, strstr(req, "example.com/behind-the-sofa\n"));
	assert_int_equal(q.checkpoint + q.checkpoint_len, req + sizeof(req) - 1);
	assert_int_equal(witness_req_format(q.old_size, q.proof, q.n_proof, q.checkpoint,
	    q.checkpoint_len, out, sizeof(out), &len, &err), 0);
	assert_int_equal(len, sizeof(req) - 1);
	assert_string_equal(out, req);

	/* The response, appended to the checkpoint, is a note of four signatures. */
	parse_ok(SOFA_TEXT "\n" SOFA_SIG SOFA_RESP, &n);
	assert_int_equal(n.n_sigs, 4);
	assert_int_equal(n.sigs[1].id, 0x08ca7ee8);
	assert_int_equal(n.sigs[2].id, 0x23bac4a6);
	assert_string_equal(n.sigs[3].name, "witness.example/w2");
	assert_int_equal(n.sigs[3].id, 0x016ba2f1);
	assert_int_equal(n.sigs[3].sig_len, 72);
}

static void
test_spec_proof(void **state)
{
	static const uint8_t extra[] = "age-v1.2.1-darwin-arm64.tar.gz\x91\x85\xc9\xdd\xa5\xb8\xb5\x85\xc9";
	const struct fx *f = *state;
	char buf[2048], out[2048];
	struct tlog_proof p;
	struct note_key k;
	struct err err = ERR_INIT;
	size_t len = 0, hl = strlen(FANCY_HEAD), tl = strlen(FANCY_TEXT);

	/* The example with its elided signatures replaced by one of L's. */
	memcpy(buf, FANCY_HEAD FANCY_TEXT "\n", hl + tl + 1);
	key_of(f->l, "example.com/fancylog", NOTE_TYPE_ED25519, &k);
	assert_int_equal(note_sign(&k, f->l, FANCY_TEXT, tl, buf + hl + tl + 1,
	    sizeof(buf) - hl - tl - 1, &len, &err), 0);
	len += hl + tl + 1;
	assert_int_equal(tlog_proof_parse(buf, len, &p, &err), 0);
	assert_true(p.has_extra);
	assert_int_equal(p.extra_len, sizeof(extra) - 1);
	assert_memory_equal(p.extra, extra, p.extra_len);
	assert_true(p.index == 73894);
	assert_int_equal(p.n_hashes, 5);
	assert_b64(p.hashes[4], 32, "AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk=");
	assert_ptr_equal(p.checkpoint, buf + hl);
	assert_int_equal(p.checkpoint_len, len - hl);
	assert_int_equal(verify(p.checkpoint, &k, NULL), 0);
	assert_int_equal(tlog_proof_format(p.extra, p.extra_len, p.index, p.hashes, p.n_hashes,
	    p.checkpoint, p.checkpoint_len, out, sizeof(out), &hl, &err), 0);
	assert_int_equal(hl, len);
	assert_memory_equal(out, buf, len);

	/* The example as published does not parse: "[...]" is not base64. */
	assert_err(tlog_proof_parse(FANCY_HEAD FANCY_TEXT "\n" DASH " example.com/fancylog hI2DJw[...]1roloI=\n",
	    strlen(FANCY_HEAD FANCY_TEXT) + 1 + strlen(DASH " example.com/fancylog hI2DJw[...]1roloI=\n"),
	    &p, &err), &err, LSN_EINVAL, "base64");
}

/* Go's sumdb/note example: the same key signs the same text to the same line. */
static void
test_go_example(void **state)
{
	uint8_t seed[CX_ED25519_SEED_LEN], pub[CX_ED25519_PUB_LEN];
	struct note_key k, kp;
	struct err err = ERR_INIT;
	struct cx_key *sk = NULL;
	char out[256], vk[NOTE_VKEY_MAX];
	size_t len = 0;

	assert_int_equal(hex_decode(GO_SEED, 64, seed, sizeof(seed)), 0);
	assert_int_equal(cx_key_from_raw(seed, &sk, &err), 0);
	cx_key_public(sk, pub);
	assert_int_equal(note_key_init(&k, "PeterNeumann", NOTE_TYPE_ED25519, pub, &err), 0);
	note_vkey_format(&k, vk);
	assert_string_equal(vk, GO_VKEY);
	vkey_ok(GO_VKEY, &kp);
	assert_memory_equal(&kp, &k, sizeof(k));
	assert_int_equal(note_sign(&k, sk, GO_TEXT, strlen(GO_TEXT), out, sizeof(out), &len, &err), 0);
	assert_string_equal(out, GO_LINE);
	assert_int_equal(len, strlen(GO_LINE));
	assert_int_equal(verify(GO_TEXT "\n" GO_LINE, &k, NULL), 0);
	cx_key_free(sk);
}

/* ---- known answers ---- */

static void
test_kat_keys(void **state)
{
	const struct fx *f = *state;
	char out[NOTE_VKEY_MAX];
	struct note_key k;

	note_vkey_format(&f->kl, out);
	assert_string_equal(out, L_VKEY);
	note_vkey_format(&f->kw, out);
	assert_string_equal(out, W_VKEY);
	assert_int_equal(f->kl.id, 0x98af023b);
	assert_int_equal(f->kw.id, 0xf3c080b6);
	vkey_ok(L_VKEY, &k);
	assert_memory_equal(&k, &f->kl, sizeof(k));
	vkey_ok(W_VKEY, &k);
	assert_memory_equal(&k, &f->kw, sizeof(k));
}

static void
test_kat_checkpoint(void **state)
{
	const struct fx *f = *state;
	struct checkpoint c, back;
	struct err err = ERR_INIT;
	char out[512];
	size_t len = 0, i;
	uint64_t t = 0;

	memset(&c, 0, sizeof(c));
	strcpy(c.origin, L_NAME);
	c.size = 5;
	for (i = 0; i < sizeof(c.root); i++)
		c.root[i] = (uint8_t)(0x40 + i);
	assert_int_equal(checkpoint_format(&c, out, sizeof(out), &len, &err), 0);
	assert_string_equal(out, CP_TEXT);
	assert_int_equal(len, strlen(CP_TEXT));
	assert_int_equal(checkpoint_parse(out, len, &back, &err), 0);
	assert_memory_equal(&back, &c, sizeof(c));

	assert_int_equal(note_sign(&f->kl, f->l, CP_TEXT, strlen(CP_TEXT), out, sizeof(out), &len,
	    &err), 0);
	assert_string_equal(out, CP_LOGSIG);
	assert_int_equal(cosig_sign(&f->kw, f->w, KAT_TIME, CP_TEXT, strlen(CP_TEXT), out,
	    sizeof(out), &len, &err), 0);
	assert_string_equal(out, CP_COSIG);
	assert_int_equal(len, strlen(CP_COSIG));
	assert_int_equal(cosig_sign(&f->kw, f->w, INT64_MAX, CP_TEXT, strlen(CP_TEXT), out,
	    sizeof(out), &len, &err), 0);
	assert_string_equal(out, CP_COSIG_MAX);
	assert_err(cosig_sign(&f->kw, f->w, (uint64_t)INT64_MAX + 1, CP_TEXT, strlen(CP_TEXT), out,
	    sizeof(out), &len, &err), &err, LSN_EINVAL, "2^63");

	assert_int_equal(verify(CP_NOTE CP_COSIG, &f->kl, NULL), 0);
	assert_int_equal(verify(CP_NOTE CP_COSIG, &f->kw, &t), 0);
	assert_true(t == KAT_TIME);
	assert_int_equal(verify(CP_NOTE CP_COSIG_MAX CP_COSIG, &f->kw, &t), 0);
	assert_true(t == (uint64_t)INT64_MAX);   /* the latest of the two */

	/* The empty tree: size "0", the hash of the empty string. */
	assert_int_equal(checkpoint_parse(EMPTY_TEXT, strlen(EMPTY_TEXT), &back, &err), 0);
	assert_true(back.size == 0);
	assert_b64(back.root, 32, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
	c.size = UINT64_MAX;
	assert_int_equal(checkpoint_format(&c, out, sizeof(out), &len, &err), 0);
	assert_non_null(strstr(out, "\n18446744073709551615\n"));
	assert_int_equal(checkpoint_parse(out, len, &back, &err), 0);
	assert_true(back.size == UINT64_MAX);
}

static void
kat_hashes(merkle_hash h[2])
{
	size_t i;

	for (i = 0; i < 32; i++) {
		h[0][i] = (uint8_t)(0x60 + i);
		h[1][i] = (uint8_t)(0x80 + i);
	}
}

static void
test_kat_proof(void **state)
{
	static const char cp[] = CP_NOTE CP_COSIG;
	static const char want[] = KAT_PROOF;
	const struct fx *f = *state;
	struct tlog_proof p;
	struct err err = ERR_INIT;
	merkle_hash h[2];
	char out[2048];
	size_t len = 0;
	uint64_t t = 0;

	kat_hashes(h);
	assert_int_equal(tlog_proof_format((const uint8_t *)"liaison", 7, 3, h, 2, cp,
	    sizeof(cp) - 1, out, sizeof(out), &len, &err), 0);
	assert_string_equal(out, want);
	assert_int_equal(len, sizeof(want) - 1);
	assert_int_equal(tlog_proof_parse(out, len, &p, &err), 0);
	assert_true(p.has_extra);
	assert_int_equal(p.extra_len, 7);
	assert_memory_equal(p.extra, "liaison", 7);
	assert_true(p.index == 3);
	assert_int_equal(p.n_hashes, 2);
	assert_memory_equal(p.hashes, h, sizeof(h));
	assert_ptr_equal(p.checkpoint, out + len - (sizeof(cp) - 1));
	assert_int_equal(p.checkpoint_len, sizeof(cp) - 1);
	assert_int_equal(verify(cp, &f->kl, NULL), 0);
	assert_int_equal(verify(cp, &f->kw, &t), 0);
	assert_true(t == KAT_TIME);
}

/* No extra line, an empty one ("extra " and nothing, as torchwood writes it), no hashes. */
static void
test_proof_variants(void **state)
{
	static const char cp[] = CP_NOTE;
	struct tlog_proof p;
	struct err err = ERR_INIT;
	char out[1024];
	size_t len = 0;

	assert_int_equal(tlog_proof_format(NULL, 99, 0, NULL, 0, cp, sizeof(cp) - 1, out,
	    sizeof(out), &len, &err), 0);
	assert_string_equal(out, "c2sp.org/tlog-proof@v1\nindex 0\n\n" CP_NOTE);
	assert_int_equal(tlog_proof_parse(out, len, &p, &err), 0);
	assert_false(p.has_extra);
	assert_int_equal(p.extra_len, 0);
	assert_int_equal(p.n_hashes, 0);
	assert_true(p.index == 0);

	assert_int_equal(tlog_proof_format((const uint8_t *)"", 0, UINT64_MAX, NULL, 0, cp,
	    sizeof(cp) - 1, out, sizeof(out), &len, &err), 0);
	assert_string_equal(out, "c2sp.org/tlog-proof@v1\nextra \nindex 18446744073709551615\n\n"
	    CP_NOTE);
	assert_int_equal(tlog_proof_parse(out, len, &p, &err), 0);
	assert_true(p.has_extra);
	assert_int_equal(p.extra_len, 0);
	assert_true(p.index == UINT64_MAX);
}

static void
test_kat_witness_req(void **state)
{
	static const char cp[] = CP_NOTE;
	static const char want[] = KAT_REQ;
	struct witness_req q;
	struct err err = ERR_INIT;
	merkle_hash h[2];
	char out[1024];
	size_t len = 0;

	kat_hashes(h);
	assert_int_equal(witness_req_format(3, h, 2, cp, sizeof(cp) - 1, out, sizeof(out), &len,
	    &err), 0);
	assert_string_equal(out, want);
	assert_int_equal(len, sizeof(want) - 1);
	assert_int_equal(witness_req_parse(out, len, &q, &err), 0);
	assert_true(q.old_size == 3);
	assert_int_equal(q.n_proof, 2);
	assert_memory_equal(q.proof, h, sizeof(h));
	assert_int_equal(q.checkpoint_len, sizeof(cp) - 1);
	assert_memory_equal(q.checkpoint, cp, q.checkpoint_len);

	assert_int_equal(witness_req_format(0, NULL, 0, cp, sizeof(cp) - 1, out, sizeof(out), &len,
	    &err), 0);
	assert_string_equal(out, "old 0\n\n" CP_NOTE);
	assert_int_equal(witness_req_parse(out, len, &q, &err), 0);
	assert_true(q.old_size == 0);
	assert_int_equal(q.n_proof, 0);
}

/* 63 hashes are the most a request or a proof holds; they round trip. */
static void
test_63_hashes(void **state)
{
	static const char cp[] = CP_NOTE;
	merkle_hash *h = calloc(MERKLE_PROOF_MAX, sizeof(*h));
	size_t cap = 8192, len = 0, i;
	char *out = malloc(cap);
	struct witness_req q;
	struct tlog_proof p;
	struct err err = ERR_INIT;

	assert_non_null(h);
	assert_non_null(out);
	for (i = 0; i < MERKLE_PROOF_MAX; i++)
		memset(h[i], (int)i, sizeof(h[i]));
	assert_int_equal(witness_req_format(7, h, 63, cp, sizeof(cp) - 1, out, cap, &len, &err), 0);
	assert_int_equal(witness_req_parse(out, len, &q, &err), 0);
	assert_int_equal(q.n_proof, 63);
	assert_memory_equal(q.proof, h, 63 * sizeof(*h));
	assert_err(witness_req_format(7, h, 64, cp, sizeof(cp) - 1, out, cap, &len, &err), &err,
	    LSN_EINVAL, "63");
	assert_int_equal(tlog_proof_format(NULL, 0, 7, h, 63, cp, sizeof(cp) - 1, out, cap, &len,
	    &err), 0);
	assert_int_equal(tlog_proof_parse(out, len, &p, &err), 0);
	assert_int_equal(p.n_hashes, 63);
	assert_err(tlog_proof_format(NULL, 0, 7, h, 64, cp, sizeof(cp) - 1, out, cap, &len, &err),
	    &err, LSN_EINVAL, "63");
	free(out);
	free(h);
}

/* ---- signing and verifying ---- */

/* signed-note §Signatures: a line of another key (name or id differ) is ignored. */
static void
test_verify_unknown_and_bad(void **state)
{
	const struct fx *f = *state;
	struct note_key other;
	struct err err = ERR_INIT;
	struct note n;

	/* Same name, other key (so other id): ignored, and nothing else signs. */
	key_of(f->w, L_NAME, NOTE_TYPE_ED25519, &other);
	parse_ok(CP_NOTE CP_COSIG, &n);
	assert_err(note_verify(&n, &other, NULL, &err), &err, LSN_ENOTFOUND, L_NAME);
	/* L's key as a cosigner: another type, so another id. */
	key_of(f->l, L_NAME, NOTE_TYPE_COSIG, &other);
	assert_err(note_verify(&n, &other, NULL, &err), &err, LSN_ENOTFOUND, "no signature");
	/* L's id under another name. */
	other = f->kl;
	strcpy(other.name, "example.org/log2");
	assert_err(note_verify(&n, &other, NULL, &err), &err, LSN_ENOTFOUND, "example.org/log2");

	/* A known key's line must verify: tampered text, and a second bad line. */
	assert_int_equal(verify("example.org/log\n6\nQEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8=\n\n"
	    CP_LOGSIG, &f->kl, NULL), -LSN_EBADSIG);
	parse_ok(CP_NOTE DASH " example.org/log mK8CO0WyAvrpsMmAU8Om66Vddf0KBU5FTHK9f/hqfHj1TceNCF"
	    "h0hFW0gcE0Hxe+R0Ac05oo2EO39suZbCo6JJhruQE=\n", &n);
	assert_err(note_verify(&n, &f->kl, NULL, &err), &err, LSN_EBADSIG, "line 2");
	/* The cosignature's time is signed: 1795780801 instead of ...800. */
	parse_ok(CP_NOTE DASH " witness.example.org/w1 88CAtgAAAABrCXDB4QljPAQcbKGt/Uv73JgbwBGVNHVgm49TA"
	    "4ZSBhOEtmriBQDbbdm41UpsT/+nF9BksBWSbQF0F+c4xaeJ++yFDg==\n", &n);
	assert_err(note_verify(&n, &f->kw, NULL, &err), &err, LSN_EBADSIG, W_NAME);
	/* An Ed25519 line under the cosigner's id (64 bytes, not 72). */
	parse_ok(CP_TEXT "\n" DASH " witness.example.org/w1 88CAtkWyAvrpsMmAU8Om66Vddf0KBU5FTHK9f/hqfHj1"
	    "TceNCFh0hFW0gcE0Hxe+R0Ac05oo2EO39suZbCo6JJhruQU=\n", &n);
	assert_err(note_verify(&n, &f->kw, NULL, &err), &err, LSN_EBADSIG, "does not verify");
	/* A cosignature line under L's id (72 bytes, not 64). */
	parse_ok(CP_TEXT "\n" DASH " example.org/log mK8COwAAAABrCXDA4QljPAQcbKGt/Uv73JgbwBGVNHV"
	    "gm49TA4ZSBhOEtmriBQDbbdm41UpsT/+nF9BksBWSbQF0F+c4xaeJ++yFDg==\n", &n);
	assert_err(note_verify(&n, &f->kl, NULL, &err), &err, LSN_EBADSIG, "does not verify");
	/* A time above 2^63 - 1 is refused before any signature check. */
	parse_ok(CP_TEXT "\n" DASH " witness.example.org/w1 88CAtoAAAAAAAAAA4QljPAQcbKGt/Uv73JgbwBGVNHVg"
	    "m49TA4ZSBhOEtmriBQDbbdm41UpsT/+nF9BksBWSbQF0F+c4xaeJ++yFDg==\n", &n);
	assert_int_equal(n.sigs[0].sig[0], 0x80);
	assert_err(note_verify(&n, &f->kw, NULL, &err), &err, LSN_EBADSIG, "does not verify");
	/* A key of an unknown type. */
	other = f->kl;
	other.type = 2;
	assert_err(note_verify(&n, &other, NULL, &err), &err, LSN_EINVAL, "0x02");
}

/* Every single-bit change of the signed checkpoint is refused or fails a verification. */
static void
test_note_bitflip(void **state)
{
	const struct fx *f = *state;
	char buf[] = CP_NOTE CP_COSIG;
	struct err err = ERR_INIT;
	size_t bit, refused = 0, failed = 0;
	struct note n;

	for (bit = 0; bit < (sizeof(buf) - 1) * 8; bit++) {
		buf[bit / 8] = (char)(buf[bit / 8] ^ (1 << bit % 8));
		if (note_parse(buf, sizeof(buf) - 1, &n, &err) < 0) {
			assert_int_equal(err.code, LSN_EINVAL);
			refused++;
		} else {
			assert_true(note_verify(&n, &f->kl, NULL, &err) < 0 ||
			    note_verify(&n, &f->kw, NULL, &err) < 0);
			failed++;
		}
		buf[bit / 8] = (char)(buf[bit / 8] ^ (1 << bit % 8));
	}
	assert_true(refused > 0 && failed > 0);
	assert_int_equal(verify(buf, &f->kl, NULL), 0);
}

static void
test_sign_refusals(void **state)
{
	const struct fx *f = *state;
	struct err err = ERR_INIT;
	char out[512];
	size_t len = 0;

	assert_err(note_sign(&f->kw, f->w, "x\n", 2, out, sizeof(out), &len, &err), &err,
	    LSN_EINVAL, "type 0x04");
	assert_err(note_sign(&f->kl, f->w, "x\n", 2, out, sizeof(out), &len, &err), &err,
	    LSN_EINVAL, "not the private half");
	assert_err(note_sign(&f->kl, f->l, "x", 1, out, sizeof(out), &len, &err), &err,
	    LSN_EINVAL, "newline");
	assert_err(note_sign(&f->kl, f->l, "", 0, out, sizeof(out), &len, &err), &err,
	    LSN_EINVAL, "newline");
	assert_err(note_sign(&f->kl, f->l, "a\rb\n", 4, out, sizeof(out), &len, &err), &err,
	    LSN_EINVAL, "0x0d");
	assert_err(note_sign(&f->kl, f->l, "\xc3\n", 2, out, sizeof(out), &len, &err), &err,
	    LSN_EINVAL, "UTF-8");
	assert_err(cosig_sign(&f->kl, f->l, 1, CP_TEXT, strlen(CP_TEXT), out, sizeof(out), &len,
	    &err), &err, LSN_EINVAL, "type 0x01");
	assert_err(cosig_sign(&f->kw, f->l, 1, CP_TEXT, strlen(CP_TEXT), out, sizeof(out), &len,
	    &err), &err, LSN_EINVAL, "not the private half");
	assert_err(cosig_sign(&f->kw, f->w, 1, "hello\n", 6, out, sizeof(out), &len, &err), &err,
	    LSN_EINVAL, "checkpoint");
	assert_err(cosig_sign(&f->kw, f->w, 1, CP_TEXT "ext\n", strlen(CP_TEXT) + 4, out,
	    sizeof(out), &len, &err), &err, LSN_EINVAL, "extension");

	/* An empty text line is still text: "\n" signs and verifies. */
	assert_int_equal(note_sign(&f->kl, f->l, "\n", 1, out + 2, sizeof(out) - 2, &len, &err), 0);
	memcpy(out, "\n\n", 2);
	assert_int_equal(verify(out, &f->kl, NULL), 0);
}

static void
test_key_refusals(void **state)
{
	static const struct {
		const char *name;
		const char *part;
	} bad[] = {
		{ "", "empty" },
		{ "a b", "U+0020" },
		{ "a+b", "'+'" },
		{ "a\tb", "0x09" },
		{ "a\nb", "0x0a" },
		{ "a\xc2\xa0" "b", "U+00A0" },
		{ "a\xe2\x80\x83" "b", "U+2003" },
		{ "a\xe3\x80\x80" "b", "U+3000" },
		{ "a\xc2\x85" "b", "U+0085" },
		{ "a\xff" "b", "UTF-8" },
		{ "a\xc0\xae" "b", "UTF-8" },
		{ "a\xed\xa0\x80" "b", "UTF-8" },
	};
	uint8_t pub[CX_ED25519_PUB_LEN] = { 0 };
	char name[NOTE_NAME_MAX + 2];
	struct err err = ERR_INIT;
	struct note_key k;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_err(note_key_init(&k, bad[i].name, NOTE_TYPE_ED25519, pub, &err), &err,
		    LSN_EINVAL, bad[i].part);
	assert_err(note_key_init(&k, "a", 0x02, pub, &err), &err, LSN_EINVAL, "0x02");
	assert_err(note_key_init(&k, "a", 0x06, pub, &err), &err, LSN_EINVAL, "0x06");
	memset(name, 'n', NOTE_NAME_MAX);
	name[NOTE_NAME_MAX] = '\0';
	assert_int_equal(note_key_init(&k, name, NOTE_TYPE_COSIG, pub, &err), 0);
	name[NOTE_NAME_MAX] = 'n';
	name[NOTE_NAME_MAX + 1] = '\0';
	assert_err(note_key_init(&k, name, NOTE_TYPE_COSIG, pub, &err), &err, LSN_EINVAL, "128");
	/* Non-ASCII names that are not spaces are fine (U+00E8, U+2014). */
	assert_int_equal(note_key_init(&k, "\xc3\xa8/\xe2\x80\x94", 1, pub, &err), 0);
}

/* The five formatters on the known answers; k picks one. */
static int
format_kat(const struct fx *f, int k, char *out, size_t cap, size_t *len, struct err *err)
{
	static const char cp_all[] = CP_NOTE CP_COSIG, cp[] = CP_NOTE;
	struct checkpoint c;
	merkle_hash h[2];
	size_t i;

	memset(&c, 0, sizeof(c));
	strcpy(c.origin, L_NAME);
	c.size = 5;
	for (i = 0; i < sizeof(c.root); i++)
		c.root[i] = (uint8_t)(0x40 + i);
	kat_hashes(h);
	switch (k) {
	case 0:
		return checkpoint_format(&c, out, cap, len, err);
	case 1:
		return note_sign(&f->kl, f->l, CP_TEXT, strlen(CP_TEXT), out, cap, len, err);
	case 2:
		return cosig_sign(&f->kw, f->w, KAT_TIME, CP_TEXT, strlen(CP_TEXT), out, cap, len,
		    err);
	case 3:
		return tlog_proof_format((const uint8_t *)"liaison", 7, 3, h, 2, cp_all,
		    sizeof(cp_all) - 1, out, cap, len, err);
	default:
		return witness_req_format(3, h, 2, cp, sizeof(cp) - 1, out, cap, len, err);
	}
}

/* Every formatter refuses a short buffer with ETOOBIG and fits exactly in len + 1. */
static void
test_format_caps(void **state)
{
	static const char *const want[] = { CP_TEXT, CP_LOGSIG, CP_COSIG, KAT_PROOF, KAT_REQ };
	const struct fx *f = *state;
	struct err err = ERR_INIT;
	size_t cap, len, wl;
	char out[1024];
	int k, r;

	for (k = 0; k < 5; k++) {
		wl = strlen(want[k]);
		for (cap = 0; cap <= wl + 1; cap++) {
			len = 0;
			memset(out, 'X', sizeof(out));
			r = format_kat(f, k, out, cap, &len, &err);
			if (cap <= wl) {
				assert_err(r, &err, LSN_ETOOBIG, "needs");
				assert_int_equal(len, 0);
				assert_true(out[cap] == 'X');
				continue;
			}
			assert_int_equal(r, 0);
			assert_int_equal(len, wl);
			assert_string_equal(out, want[k]);
			assert_true(out[len + 1] == 'X');
		}
	}
}

/* ---- refusals ---- */

enum kind { NOTE, CKPT, VKEY, PROOF, REQ };

struct bad {
	enum kind kind;
	const char *in;
	size_t len;
	const char *part;   /* a piece of the sentence */
};

#define BAD(k, s, part) { k, s, sizeof(s) - 1, part }
#define SIG5 DASH " a AAAAAAA=\n"   /* a well-formed line: key id and one byte */
#define ROOT "QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8="
#define EXAMPLE_KEY "AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"

static const struct bad bad_inputs[] = {
	/* signed notes */
	BAD(NOTE, "", "no blank line"),
	BAD(NOTE, "hello\n", "no blank line"),
	BAD(NOTE, "hello\n" SIG5, "no blank line"),
	BAD(NOTE, "hello\n\n", "no signature lines"),
	BAD(NOTE, "hello\n\n\n", "no signature lines"),
	BAD(NOTE, "hello\n\n" SIG5 "\n", "no signature lines"),
	BAD(NOTE, "hello\n\n" DASH " a AAAAAAA=", "does not end in a newline"),
	BAD(NOTE, "hello\n\n" SIG5 "garbage", "does not end in a newline"),
	BAD(NOTE, "hello\n\n" SIG5 "garbage\n", "line 2 of the note: it does not begin with an em dash"),
	BAD(NOTE, "hello\n\n- a AAAAAAA=\n", "em dash"),
	BAD(NOTE, "hello\n\n\xe2\x80\x93 a AAAAAAA=\n", "em dash"),
	BAD(NOTE, "hello\n\n" DASH "a AAAAAAA=\n", "em dash"),
	BAD(NOTE, "hello\n\n" DASH, "does not end in a newline"),
	BAD(NOTE, "hello\n\n" DASH "\n", "em dash"),
	BAD(NOTE, "hello\n\n" DASH " aAAAAAAA=\n", "no space"),
	BAD(NOTE, "hello\n\n" DASH "  AAAAAAA=\n", "key name is empty"),
	BAD(NOTE, "hello\n\n" DASH " a+b AAAAAAA=\n", "'+'"),
	BAD(NOTE, "hello\n\n" DASH " a\xc2\xa0" "b AAAAAAA=\n", "U+00A0"),
	BAD(NOTE, "hello\n\n" DASH " a\xe2\x80\xa8" "b AAAAAAA=\n", "U+2028"),
	BAD(NOTE, "hello\n\n" DASH " a  AAAAAAA=\n", "base64"),
	BAD(NOTE, "hello\n\n" DASH " a AAAAAAA= \n", "base64"),
	BAD(NOTE, "hello\n\n" DASH " a AAAAAAA\n", "base64"),
	BAD(NOTE, "hello\n\n" DASH " a AAAAAAB=\n", "base64"),
	BAD(NOTE, "hello\n\n" DASH " a AAAA-AA=\n", "base64"),
	BAD(NOTE, "hello\n\n" DASH " a \n", "too short"),
	BAD(NOTE, "hello\n\n" DASH " a AAAA\n", "too short"),
	BAD(NOTE, "hello\n\n" DASH " a AAAAAA==\n", "too short"),
	BAD(NOTE, "h\xffllo\n\n" SIG5, "UTF-8 at byte 1"),
	BAD(NOTE, "h\xc0\xafllo\n\n" SIG5, "UTF-8"),
	BAD(NOTE, "h\xe0\x80\xafllo\n\n" SIG5, "UTF-8"),
	BAD(NOTE, "h\xed\xa0\x80llo\n\n" SIG5, "UTF-8"),
	BAD(NOTE, "h\xf4\x90\x80\x80llo\n\n" SIG5, "UTF-8"),
	BAD(NOTE, "h\xf8\x88\x80\x80\x80llo\n\n" SIG5, "UTF-8"),
	BAD(NOTE, "hello\xe2\x80\n\n" SIG5, "UTF-8"),
	BAD(NOTE, "hello\n\n" SIG5 "\xe2\x80", "UTF-8"),
	BAD(NOTE, "hel\tlo\n\n" SIG5, "0x09"),
	BAD(NOTE, "hello\r\n\r\n" SIG5, "0x0d"),
	BAD(NOTE, "he\0llo\n\n" SIG5, "0x00"),
	BAD(NOTE, "hello\n\n" DASH " a AAAAAAA=\x1b\n", "0x1b"),
	/* checkpoints */
	BAD(CKPT, "", "line 1"),
	BAD(CKPT, "o", "line 1"),
	BAD(CKPT, "o\n5", "line 2"),
	BAD(CKPT, "o\n5\n" ROOT, "line 3"),
	BAD(CKPT, "\n5\n" ROOT "\n", "origin is empty"),
	BAD(CKPT, "o\to\n5\n" ROOT "\n", "0x09"),
	BAD(CKPT, "o\xc3\n5\n" ROOT "\n", "UTF-8"),
	BAD(CKPT, "o\n05\n" ROOT "\n", "leading zeroes"),
	BAD(CKPT, "o\n00\n" ROOT "\n", "leading zeroes"),
	BAD(CKPT, "o\n\n" ROOT "\n", "size"),
	BAD(CKPT, "o\n-1\n" ROOT "\n", "size"),
	BAD(CKPT, "o\n+5\n" ROOT "\n", "size"),
	BAD(CKPT, "o\n 5\n" ROOT "\n", "size"),
	BAD(CKPT, "o\n5 \n" ROOT "\n", "size"),
	BAD(CKPT, "o\n0x5\n" ROOT "\n", "size"),
	BAD(CKPT, "o\n18446744073709551616\n" ROOT "\n", "2^64"),
	BAD(CKPT, "o\n99999999999999999999\n" ROOT "\n", "2^64"),
	BAD(CKPT, "o\n5\nQEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXg==\n", "32 bytes"),
	BAD(CKPT, "o\n5\nQEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl9g\n", "32 bytes"),
	BAD(CKPT, "o\n5\nQEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl9=\n", "canonical"),
	BAD(CKPT, "o\n5\nQEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8\n", "32 bytes"),
	BAD(CKPT, "o\n5\nQEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8==\n", "32 bytes"),
	BAD(CKPT, "o\n5\n_-FCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8=\n", "base64"),
	BAD(CKPT, "o\n5\n" ROOT "\next\n", "extension"),
	BAD(CKPT, "o\n5\n" ROOT "\n\n", "extension"),
	BAD(CKPT, "o\n5\n" ROOT "\nx", "extension"),
	/* verifier keys */
	BAD(VKEY, "", "no '+'"),
	BAD(VKEY, "example.com/foo", "no '+'"),
	BAD(VKEY, "example.com/foo+530d903a", "key id"),
	BAD(VKEY, "example.com/foo+530d903a" EXAMPLE_KEY, "key id"),
	BAD(VKEY, "example.com/foo+530d903a+", "key of a verifier key"),
	BAD(VKEY, "example.com/foo+530D903A+" EXAMPLE_KEY, "lowercase"),
	BAD(VKEY, "example.com/foo+530d903+" EXAMPLE_KEY, "8 lowercase hex"),
	BAD(VKEY, "example.com/foo+530d903ax+" EXAMPLE_KEY, "8 lowercase hex"),
	BAD(VKEY, "example.com/foo+530d903b+" EXAMPLE_KEY, "530d903b"),
	BAD(VKEY, "example.com/fo0+530d903a+" EXAMPLE_KEY, "530d903a"),
	BAD(VKEY, "+530d903a+" EXAMPLE_KEY, "empty"),
	BAD(VKEY, "example com+530d903a+" EXAMPLE_KEY, "U+0020"),
	BAD(VKEY, "example.com/foo+530d903a+" EXAMPLE_KEY "\n", "base64"),
	BAD(VKEY, "example.com/foo+530d903a+" EXAMPLE_KEY "=", "base64"),
	BAD(VKEY, "example.com/foo+530d903a+" EXAMPLE_KEY "AAAA", "base64"),
	BAD(VKEY, "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2", "base64"),
	BAD(VKEY, "example.com/foo+530d903a+AukyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "0x02"),
	BAD(VKEY, "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2l", "530d903a"),
	BAD(VKEY, "example.com/foo\0+530d903a+" EXAMPLE_KEY, "0x00"),
	/* tlog proofs */
	BAD(PROOF, "", "begins with"),
	BAD(PROOF, "c2sp.org/tlog-proof@v1", "begins with"),
	BAD(PROOF, "c2sp.org/tlog-proof@v2\nindex 0\n\n" CP_NOTE, "begins with"),
	BAD(PROOF, "c2sp.org/tlog-proof@v1\r\nindex 0\n\n" CP_NOTE, "begins with"),
	BAD(PROOF, "c2sp.org/tlog-proof@v1\n", "ends after its first line"),
	BAD(PROOF, "c2sp.org/tlog-proof@v1\nextra AAAA\n", "ends after its extra line"),
	BAD(PROOF, "c2sp.org/tlog-proof@v1\n\n\n" CP_NOTE, "index"),
	BAD(PROOF, "c2sp.org/tlog-proof@v1\nindex\n\n" CP_NOTE, "index"),
	BAD(PROOF, "c2sp.org/tlog-proof@v1\nindex \n\n" CP_NOTE, "index"),
	BAD(PROOF, "c2sp.org/tlog-proof@v1\nindex 03\n\n" CP_NOTE, "leading zeroes"),
	BAD(PROOF, "c2sp.org/tlog-proof@v1\nindex 18446744073709551616\n\n" CP_NOTE, "2^64"),
	BAD(PROOF, "c2sp.org/tlog-proof@v1\nIndex 3\n\n" CP_NOTE, "index"),
	BAD(PROOF, "c2sp.org/tlog-proof@v1\nextra AAA\nindex 0\n\n" CP_NOTE, "extra"),
	BAD(PROOF, "c2sp.org/tlog-proof@v1\nextra AB==\nindex 0\n\n" CP_NOTE, "canonical"),
	BAD(PROOF, "c2sp.org/tlog-proof@v1\nextra  AAAA\nindex 0\n\n" CP_NOTE, "extra"),
	BAD(PROOF, "c2sp.org/tlog-proof@v1\nindex 0\nextra AAAA\n\n" CP_NOTE, "hash 1"),
	BAD(PROOF, "c2sp.org/tlog-proof@v1\nextra AAAA\nextra AAAA\nindex 0\n\n" CP_NOTE, "index"),
	BAD(PROOF, "c2sp.org/tlog-proof@v1\nindex 0\n" H1_B64 "\n" ROOT "=\n\n" CP_NOTE, "hash 2"),
	BAD(PROOF, "c2sp.org/tlog-proof@v1\nindex 0\n" H1_B64, "blank line"),
	BAD(PROOF, "c2sp.org/tlog-proof@v1\nindex 0\n" H1_B64 "\n", "blank line"),
	BAD(PROOF, "c2sp.org/tlog-proof@v1\nindex 0\n\n", "checkpoint of the tlog proof"),
	BAD(PROOF, "c2sp.org/tlog-proof@v1\nindex 0\n\n\n" CP_NOTE, "checkpoint of the tlog proof"),
	BAD(PROOF, "c2sp.org/tlog-proof@v1\nindex 0\n\n" CP_NOTE "x", "does not end in a newline"),
	BAD(PROOF, "c2sp.org/tlog-proof@v1\nindex 0\n\n" CP_NOTE "\n", "no signature lines"),
	BAD(PROOF, "c2sp.org/tlog-proof@v1\nindex 0\n\n" CP_NOTE "x\n", "em dash"),
	BAD(PROOF, "c2sp.org/tlog-proof@v1\nindex 0\n\nhello\n\n" CP_LOGSIG, "checkpoint line 2"),
	BAD(PROOF, "c2sp.org/tlog-proof@v1\nindex 0\n\n" CP_TEXT "ext\n\n" CP_LOGSIG, "extension"),
	/* add-checkpoint requests */
	BAD(REQ, "", "old <size>"),
	BAD(REQ, "old 3", "old <size>"),
	BAD(REQ, "old 3\n", "blank line"),
	BAD(REQ, "old 3\n" H1_B64 "\n", "blank line"),
	BAD(REQ, "old 03\n\n" CP_NOTE, "leading zeroes"),
	BAD(REQ, "old -1\n\n" CP_NOTE, "old <size>"),
	BAD(REQ, "old  3\n\n" CP_NOTE, "old <size>"),
	BAD(REQ, "Old 3\n\n" CP_NOTE, "old <size>"),
	BAD(REQ, "old 3 \n\n" CP_NOTE, "old <size>"),
	BAD(REQ, "old 18446744073709551616\n\n" CP_NOTE, "2^64"),
	BAD(REQ, "old 3\r\n\n" CP_NOTE, "old <size>"),
	BAD(REQ, "old 3\n" H1_B64 " \n\n" CP_NOTE, "hash 1"),
	BAD(REQ, "old 3\nQEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXg==\n\n" CP_NOTE, "32 bytes"),
	BAD(REQ, "old 3\n" H1_B64 "\n\n" CP_NOTE "trailing", "does not end in a newline"),
	BAD(REQ, "old 3\n" H1_B64 "\n\n" CP_NOTE DASH " x", "does not end in a newline"),
	BAD(REQ, "old 3\n" H1_B64 "\n\n" CP_TEXT "\n", "no signature lines"),
	BAD(REQ, "old 3\n" H1_B64 "\n\n" CP_TEXT "\n" CP_LOGSIG "\n", "no signature lines"),
};

static int
parse_any(enum kind k, const char *in, size_t len, struct err *err)
{
	struct checkpoint c;
	struct witness_req q;
	struct tlog_proof *p;
	struct note_key key;
	struct note n;
	int r;

	switch (k) {
	case NOTE:
		return note_parse(in, len, &n, err);
	case CKPT:
		return checkpoint_parse(in, len, &c, err);
	case VKEY:
		return note_vkey_parse(in, len, &key, err);
	case PROOF:
		p = malloc(sizeof(*p));
		assert_non_null(p);
		r = tlog_proof_parse(in, len, p, err);
		free(p);
		return r;
	case REQ:
		return witness_req_parse(in, len, &q, err);
	}
	return 0;
}

static void
test_bad_inputs(void **state)
{
	struct err err = ERR_INIT;
	size_t i;
	char *copy;
	int r;

	for (i = 0; i < sizeof(bad_inputs) / sizeof(bad_inputs[0]); i++) {
		const struct bad *b = &bad_inputs[i];

		/* An exact-size copy, so ASan sees any read past the input. */
		copy = malloc(b->len + 1);
		assert_non_null(copy);
		memcpy(copy, b->in, b->len);
		err_clear(&err);
		r = parse_any(b->kind, copy, b->len, &err);
		if (r != -LSN_EINVAL || err.code != LSN_EINVAL || strstr(err.msg, b->part) == NULL)
			fail_msg("bad input %zu: got %d '%s', want EINVAL mentioning '%s'", i, r,
			    err.msg, b->part);
		free(copy);
	}
}

/*
 * A valid input one byte shorter or longer is refused; so is one without its
 * first byte, for the two formats that begin with a keyword.
 */
static void
test_good_inputs_trimmed(void **state)
{
	static const struct {
		enum kind kind;
		const char *in;
	} good[] = {
		{ NOTE, CP_NOTE CP_COSIG }, { NOTE, SN_POEM_NOTE }, { CKPT, CP_TEXT },
		{ VKEY, W_VKEY }, { PROOF, KAT_PROOF }, { REQ, KAT_REQ }, { REQ, SOFA_REQ },
	};
	struct err err = ERR_INIT;
	size_t i, len;
	char *buf;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		len = strlen(good[i].in);
		buf = malloc(len + 1);
		assert_non_null(buf);
		memcpy(buf, good[i].in, len);
		buf[len] = '\n';
		assert_int_equal(parse_any(good[i].kind, buf, len, &err), 0);
		assert_err(parse_any(good[i].kind, buf, len - 1, &err), &err, LSN_EINVAL, "");
		if (good[i].kind == PROOF || good[i].kind == REQ)
			assert_err(parse_any(good[i].kind, buf + 1, len - 1, &err), &err, LSN_EINVAL, "");
		assert_err(parse_any(good[i].kind, buf, len + 1, &err), &err, LSN_EINVAL, "");
		free(buf);
	}
}

/* Built inputs: caps on counts and lengths, each one byte either side. */
static void
test_bad_built(void **state)
{
	struct err err = ERR_INIT;
	size_t cap = 40000, len, i;
	char *b = malloc(cap);
	struct note *n = malloc(sizeof(*n));
	struct witness_req q;
	struct checkpoint c;

	assert_non_null(b);
	assert_non_null(n);
	/* 32 signatures are fine, 33 are not. */
	len = (size_t)snprintf(b, cap, "x\n\n");
	for (i = 0; i < NOTE_SIGS_MAX; i++)
		len += (size_t)snprintf(b + len, cap - len, "%s", SIG5);
	assert_int_equal(note_parse(b, len, n, &err), 0);
	assert_int_equal(n->n_sigs, NOTE_SIGS_MAX);
	len += (size_t)snprintf(b + len, cap - len, "%s", SIG5);
	assert_err(note_parse(b, len, n, &err), &err, LSN_EINVAL, "more than 32 signatures");

	/* A name of 128 bytes is fine, 129 are not. */
	len = (size_t)snprintf(b, cap, "x\n\n" DASH " %0128d AAAAAAA=\n", 0);
	assert_int_equal(note_parse(b, len, n, &err), 0);
	len = (size_t)snprintf(b, cap, "x\n\n" DASH " %0129d AAAAAAA=\n", 0);
	assert_err(note_parse(b, len, n, &err), &err, LSN_EINVAL, "longer than 128");
	len = (size_t)snprintf(b, cap, "%0128d\n5\n" ROOT "\n", 0);
	assert_int_equal(checkpoint_parse(b, len, &c, &err), 0);
	len = (size_t)snprintf(b, cap, "%0129d\n5\n" ROOT "\n", 0);
	assert_err(checkpoint_parse(b, len, &c, &err), &err, LSN_EINVAL,
	    "longer than 128");

	/*
	 * A signature of 72 bytes after the id is kept; a longer one (another
	 * algorithm's, such as ML-DSA-44) is parsed and kept unusable (sig_len 0),
	 * as signed-note has verifiers ignore keys they do not know.
	 */
	memset(b, 'A', cap);
	memcpy(b, "x\n\n" DASH " a ", 9);
	memcpy(b + 9 + 102, "==\n", 3);
	assert_int_equal(note_parse(b, 9 + 104 + 1, n, &err), 0);
	assert_int_equal(n->sigs[0].sig_len, 72);
	memcpy(b + 9 + 102, "A=\n", 3);
	assert_int_equal(note_parse(b, 9 + 104 + 1, n, &err), 0);
	assert_int_equal(n->n_sigs, 1);
	assert_int_equal(n->sigs[0].sig_len, 0);

	/* A note of NOTE_MAX bytes is fine, one more is not. */
	memset(b, 'a', cap);
	memcpy(b + NOTE_MAX - strlen("\n\n" SIG5), "\n\n" SIG5, strlen("\n\n" SIG5));
	assert_int_equal(note_parse(b, NOTE_MAX, n, &err), 0);
	memcpy(b + NOTE_MAX + 1 - strlen("\n\n" SIG5), "\n\n" SIG5, strlen("\n\n" SIG5));
	assert_err(note_parse(b, NOTE_MAX + 1, n, &err), &err, LSN_EINVAL, "over the limit");

	/* 64 hash lines in a request or a proof. */
	len = (size_t)snprintf(b, cap, "old 1\n");
	for (i = 0; i < 64; i++)
		len += (size_t)snprintf(b + len, cap - len, "%s\n", H1_B64);
	len += (size_t)snprintf(b + len, cap - len, "\n%s", CP_NOTE);
	assert_err(witness_req_parse(b, len, &q, &err), &err, LSN_EINVAL,
	    "more than 63");
	free(n);
	free(b);
}

static void
test_proof_extra_cap(void **state)
{
	static const char cp[] = CP_NOTE;
	uint8_t *extra = calloc(1, TLOG_PROOF_EXTRA_MAX + 1);
	struct tlog_proof *p = malloc(sizeof(*p));
	size_t cap = 8192, len = 0;
	char *out = malloc(cap);
	struct err err = ERR_INIT;

	assert_non_null(extra);
	assert_non_null(p);
	assert_non_null(out);
	assert_int_equal(tlog_proof_format(extra, TLOG_PROOF_EXTRA_MAX, 1, NULL, 0, cp,
	    sizeof(cp) - 1, out, cap, &len, &err), 0);
	assert_int_equal(tlog_proof_parse(out, len, p, &err), 0);
	assert_int_equal(p->extra_len, TLOG_PROOF_EXTRA_MAX);
	assert_err(tlog_proof_format(extra, TLOG_PROOF_EXTRA_MAX + 1, 1, NULL, 0, cp,
	    sizeof(cp) - 1, out, cap, &len, &err), &err, LSN_EINVAL, "4096");
	/* 4097 bytes of extra by hand: "AAAA" x 1365, then "AAA=". */
	len = (size_t)snprintf(out, cap, "c2sp.org/tlog-proof@v1\nextra ");
	memset(out + len, 'A', 1366 * 4);
	out[len + 1366 * 4 - 1] = '=';
	len += 1366 * 4;
	len += (size_t)snprintf(out + len, cap - len, "\nindex 1\n\n%s", cp);
	assert_err(tlog_proof_parse(out, len, p, &err), &err, LSN_EINVAL, "over 4096");
	/* The formatters check the checkpoint too. */
	assert_err(tlog_proof_format(NULL, 0, 1, NULL, 0, CP_TEXT, strlen(CP_TEXT), out, cap, &len,
	    &err), &err, LSN_EINVAL, "checkpoint of the tlog proof");
	assert_err(witness_req_format(1, NULL, 0, "hello\n\n" SIG5, strlen("hello\n\n" SIG5), out,
	    cap, &len, &err), &err, LSN_EINVAL, "checkpoint line 2");
	free(out);
	free(p);
	free(extra);
}

/* The peer API's proof answer: round trip, and what a partner must not send. */
static void
test_proof_reply(void **state)
{
	static const char *const bad[] = {
		"",                                      /* no index line */
		"index 3",                               /* no newline */
		"index 03\n",                            /* leading zero */
		"idx 3\n",
		"index 3\n" H1_B64,                      /* last line without its newline */
		"index 3\n" H1_B64 "\n\n",              /* a blank line */
		"index 3\nYGFi\n",                       /* not 32 bytes */
		"index 3\n" H1_B64 " \n",                /* trailing space */
	};
	merkle_hash h[MERKLE_PROOF_MAX + 1];
	struct err err = ERR_INIT;
	char out[64 * 70];
	uint64_t idx;
	size_t n, len, i;

	(void)state;
	assert_int_equal(proof_reply_parse("index 3\n" H1_B64 "\n" H2_B64 "\n",
	    strlen("index 3\n" H1_B64 "\n" H2_B64 "\n"), &idx, h, &n, &err), 0);
	assert_true(idx == 3 && n == 2 && h[0][0] == 0x60 && h[1][31] == 0x9f);
	assert_int_equal(proof_reply_format(idx, (const merkle_hash *)h, n, out, sizeof(out), &len,
	    &err), 0);
	assert_string_equal(out, "index 3\n" H1_B64 "\n" H2_B64 "\n");
	assert_int_equal(proof_reply_parse("index 0\n", 8, &idx, h, &n, &err), 0);
	assert_true(idx == 0 && n == 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear(&err);
		if (proof_reply_parse(bad[i], strlen(bad[i]), &idx, h, &n, &err) != -LSN_EINVAL ||
		    err.msg[0] == '\0')
			fail_msg("proof answer %zu (%s) was not refused with a reason", i, bad[i]);
	}
	/* 64 hashes are one too many */
	memset(h, 7, sizeof(h));
	assert_int_equal(proof_reply_format(1, (const merkle_hash *)h, MERKLE_PROOF_MAX, out,
	    sizeof(out), &len, &err), 0);
	memcpy(out + len, H1_B64 "\n", strlen(H1_B64) + 1);
	assert_int_equal(proof_reply_parse(out, len + strlen(H1_B64) + 1, &idx, h, &n, &err),
	    -LSN_EINVAL);
	assert_non_null(strstr(err.msg, "more than 63"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_signed_note),
		cmocka_unit_test(test_spec_poem_and_checkpoint),
		cmocka_unit_test(test_spec_witness),
		cmocka_unit_test(test_spec_proof),
		cmocka_unit_test(test_go_example),
		cmocka_unit_test(test_kat_keys),
		cmocka_unit_test(test_kat_checkpoint),
		cmocka_unit_test(test_kat_proof),
		cmocka_unit_test(test_proof_variants),
		cmocka_unit_test(test_kat_witness_req),
		cmocka_unit_test(test_63_hashes),
		cmocka_unit_test(test_verify_unknown_and_bad),
		cmocka_unit_test(test_note_bitflip),
		cmocka_unit_test(test_sign_refusals),
		cmocka_unit_test(test_key_refusals),
		cmocka_unit_test(test_format_caps),
		cmocka_unit_test(test_bad_inputs),
		cmocka_unit_test(test_good_inputs_trimmed),
		cmocka_unit_test(test_bad_built),
		cmocka_unit_test(test_proof_extra_cap),
		cmocka_unit_test(test_proof_reply),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
