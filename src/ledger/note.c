/*
 * The C2SP text formats of note.h: signed notes, vkeys, checkpoints, Ed25519
 * cosignatures, tlog proofs and add-checkpoint bodies. Bytes in, bytes out:
 * no I/O, no clock. Every parser accepts exactly one spelling of a value, so
 * what it accepts formats back to the same bytes; it never quotes input bytes
 * in an error (they may be neither UTF-8 nor printable).
 */
#include "ledger/note.h"
#include "util/be.h"
#include "util/enc.h"
#include "util/err.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIG_PREFIX "\xe2\x80\x94 "        /* em dash U+2014, space */
#define SIG_PREFIX_LEN 4
#define PROOF_MAGIC "c2sp.org/tlog-proof@v1"
#define HASH_B64_LEN 44                   /* base64 of 32 bytes */
#define VKEY_KEY_LEN (1 + CX_ED25519_PUB_LEN)
#define COSIG_HEADER_MAX 48               /* "cosignature/v1\ntime " + 20 digits + "\n" */
#define COSIG_TIME_MAX UINT64_C(0x7fffffffffffffff) /* tlog-cosignature §Format */

/* ---- small readers ---- */

/* The length a UTF-8 lead byte announces, with its payload bits in *ret_cp; 0 if none. */
static size_t
utf8_lead(uint8_t b, uint32_t *ret_cp)
{
	if (b < 0x80) {
		*ret_cp = b;
		return 1;
	}
	if (b >= 0xc2 && b <= 0xdf) {
		*ret_cp = b & 0x1f;
		return 2;
	}
	if ((b & 0xf0) == 0xe0) {
		*ret_cp = b & 0x0f;
		return 3;
	}
	if (b >= 0xf0 && b <= 0xf4) {
		*ret_cp = b & 0x07;
		return 4;
	}
	return 0;
}

/*
 * Length of the UTF-8 sequence at p with its code point in *ret_cp, or 0 if
 * it is not valid (RFC 3629 §4: no overlong forms, surrogates or code
 * points above U+10FFFF). n >= 1.
 */
static size_t
utf8_next(const uint8_t *p, size_t n, uint32_t *ret_cp)
{
	uint32_t cp = 0;
	size_t len = utf8_lead(p[0], &cp), i;

	if (len == 0 || n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if (len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)))
		return 0;
	if (len == 4 && (cp < 0x10000 || cp > 0x10ffff))
		return 0;
	*ret_cp = cp;
	return len;
}

/* Unicode White_Space (PropList.txt), which signed-note forbids in key names. */
static int
is_uspace(uint32_t cp)
{
	return (cp >= 0x09 && cp <= 0x0d) || cp == 0x20 || cp == 0x85 || cp == 0xa0 ||
	    cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 ||
	    cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

/*
 * signed-note §Format: valid UTF-8 and no ASCII control character but
 * newline (and none at all where nl is 0).
 */
static int
text_check(const char *s, size_t len, int nl, const char *what, struct err *err)
{
	const uint8_t *p = (const uint8_t *)s;
	uint32_t cp = 0;
	size_t i, l;

	for (i = 0; i < len; i += l) {
		l = utf8_next(p + i, len - i, &cp);
		if (l == 0)
			return err_set(err, LSN_EINVAL, "the %s is not valid UTF-8 at byte %zu",
			    what, i);
		if (cp < 0x20 && !(nl && cp == '\n'))
			return err_set(err, LSN_EINVAL, "the %s holds the control character "
			    "0x%02x at byte %zu", what, (unsigned)cp, i);
	}
	return 0;
}

/* signed-note §Format: key names are non-empty, without Unicode spaces or '+'. */
static int
name_check(const char *s, size_t len, const char *what, struct err *err)
{
	const uint8_t *p = (const uint8_t *)s;
	uint32_t cp = 0;
	size_t i, l;
	int r;

	if (len == 0)
		return err_set(err, LSN_EINVAL, "the %s is empty", what);
	if (len > NOTE_NAME_MAX)
		return err_set(err, LSN_EINVAL, "the %s is longer than %d bytes", what,
		    NOTE_NAME_MAX);
	r = text_check(s, len, 0, what, err);
	if (r < 0)
		return r;
	for (i = 0; i < len; i += l) {
		l = utf8_next(p + i, len - i, &cp);
		if (cp == '+')
			return err_set(err, LSN_EINVAL, "the %s holds a '+' at byte %zu", what, i);
		if (is_uspace(cp))
			return err_set(err, LSN_EINVAL, "the %s holds the space U+%04X at byte %zu",
			    what, (unsigned)cp, i);
	}
	return 0;
}

/* The newline-terminated line at *pos, without its newline; -1 if there is none. */
static int
line_take(const char *buf, size_t len, size_t *pos, const char **ret, size_t *ret_len)
{
	const char *nl;

	if (*pos >= len)
		return -1;
	nl = memchr(buf + *pos, '\n', len - *pos);
	if (nl == NULL)
		return -1;
	*ret = buf + *pos;
	*ret_len = (size_t)(nl - *ret);
	*pos += *ret_len + 1;
	return 0;
}

/* ASCII decimal with no leading zeroes (but "0"), at most 2^64 - 1; -1 otherwise. */
static int
dec_parse(const char *s, size_t len, uint64_t *ret)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || (s[0] == '0' && len > 1))
		return -1;
	for (i = 0; i < len; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*ret = v;
	return 0;
}

/* A hash line: the canonical base64 of exactly 32 bytes. */
static int
hash_parse(const char *s, size_t len, uint8_t out[static MERKLE_HASH_LEN], struct err *err)
{
	size_t n = 0;

	if (len != HASH_B64_LEN || b64_decode(s, len, out, MERKLE_HASH_LEN, &n, 0) < 0 ||
	    n != MERKLE_HASH_LEN)
		return err_set(err, LSN_EINVAL, "a hash must be the canonical base64 of "
		    "%d bytes (%d characters)", MERKLE_HASH_LEN, HASH_B64_LEN);
	return 0;
}

/* ---- a writer into a caller's buffer of cap bytes, NUL included ---- */

struct wr {
	char *out;
	size_t cap;
	size_t len;    /* bytes written, never more than cap - 1 */
	size_t need;   /* bytes the whole text needs, NUL excluded */
};

static void
wr_init(struct wr *w, char *out, size_t cap)
{
	w->out = out;
	w->cap = cap;
	w->len = 0;
	w->need = 0;
	if (cap > 0)
		out[0] = '\0';
}

/* Room for n more bytes and the NUL, as long as nothing was cut before. */
static int
wr_room(struct wr *w, size_t n)
{
	w->need += n;
	return w->need == w->len + n && w->cap > w->len && n < w->cap - w->len;
}

static void
wr_add(struct wr *w, const void *p, size_t n)
{
	if (!wr_room(w, n))
		return;
	memcpy(w->out + w->len, p, n);
	w->len += n;
	w->out[w->len] = '\0';
}

static void
wr_str(struct wr *w, const char *s)
{
	wr_add(w, s, strlen(s));
}

static void
wr_u64(struct wr *w, uint64_t v)
{
	char d[24];

	snprintf(d, sizeof(d), "%" PRIu64, v);
	wr_str(w, d);
}

static void
wr_b64(struct wr *w, const uint8_t *p, size_t n)
{
	size_t el = b64_encoded_len(n, 0);

	if (!wr_room(w, el))
		return;
	b64_encode(p, n, w->out + w->len, 0);
	w->len += el;
}

static int
wr_done(const struct wr *w, const char *what, size_t *ret_len, struct err *err)
{
	if (w->need != w->len)
		return err_set(err, LSN_ETOOBIG, "the %s needs %zu bytes and a NUL, but the "
		    "output holds %zu", what, w->need, w->cap);
	*ret_len = w->len;
	return 0;
}

/* ---- keys ---- */

/* signed-note §Signatures: SHA-256(name || 0x0A || type || public key)[:4]. */
static uint32_t
key_id(const char *name, size_t len, uint8_t type, const uint8_t pub[static CX_ED25519_PUB_LEN])
{
	uint8_t in[NOTE_NAME_MAX + 2 + CX_ED25519_PUB_LEN], md[CX_SHA256_LEN];

	memcpy(in, name, len);
	in[len] = '\n';
	in[len + 1] = type;
	memcpy(in + len + 2, pub, CX_ED25519_PUB_LEN);
	cx_sha256(in, len + 2 + CX_ED25519_PUB_LEN, md);
	return be32_get(md);
}

static int
type_check(uint8_t type, struct err *err)
{
	if (type != NOTE_TYPE_ED25519 && type != NOTE_TYPE_COSIG)
		return err_set(err, LSN_EINVAL, "key type 0x%02x is not supported: liaison "
		    "knows 0x01 (Ed25519) and 0x04 (Ed25519 cosignature)", type);
	return 0;
}

int
note_key_init(struct note_key *k, const char *name, uint8_t type,
    const uint8_t pub[static CX_ED25519_PUB_LEN], struct err *err)
{
	size_t len = strnlen(name, NOTE_NAME_MAX + 1);
	int r;

	r = name_check(name, len, "key name", err);
	if (r < 0)
		return r;
	r = type_check(type, err);
	if (r < 0)
		return r;
	memset(k, 0, sizeof(*k));
	memcpy(k->name, name, len);
	k->type = type;
	memcpy(k->pub, pub, CX_ED25519_PUB_LEN);
	k->id = key_id(name, len, type, pub);
	return 0;
}

void
note_vkey_format(const struct note_key *k, char out[static NOTE_VKEY_MAX])
{
	uint8_t raw[VKEY_KEY_LEN];
	char b64[64];

	raw[0] = k->type;
	memcpy(raw + 1, k->pub, CX_ED25519_PUB_LEN);
	b64_encode(raw, sizeof(raw), b64, 0);
	snprintf(out, NOTE_VKEY_MAX, "%s+%08" PRIx32 "+%s", k->name, k->id, b64);
}

/* The "<hex8>+" after the name: lowercase hex (signed-note §Conventions). */
static int
vkey_id_parse(const char *s, size_t len, uint32_t *ret)
{
	uint32_t v = 0;
	size_t i;

	if (len < 9 || s[8] != '+')
		return -1;
	for (i = 0; i < 8; i++) {
		int d = hex_value(s[i]);

		if (d < 0 || (s[i] >= 'A' && s[i] <= 'F'))
			return -1;
		v = v << 4 | (uint32_t)d;
	}
	*ret = v;
	return 0;
}

int
note_vkey_parse(const char *s, size_t len, struct note_key *ret, struct err *err)
{
	char name[NOTE_NAME_MAX + 1];
	uint8_t raw[VKEY_KEY_LEN];
	struct note_key k;
	const char *plus;
	size_t nlen, n = 0;
	uint32_t id;
	int r;

	if (len >= NOTE_VKEY_MAX)
		return err_set(err, LSN_EINVAL, "the verifier key is %zu bytes, over the limit "
		    "of %d", len, NOTE_VKEY_MAX - 1);
	plus = memchr(s, '+', len);
	if (plus == NULL)
		return err_set(err, LSN_EINVAL, "a verifier key is <name>+<key id>+<key>, "
		    "but this one has no '+'");
	nlen = (size_t)(plus - s);
	r = name_check(s, nlen, "key name of the verifier key", err);
	if (r < 0)
		return r;
	if (vkey_id_parse(plus + 1, len - nlen - 1, &id) < 0)
		return err_set(err, LSN_EINVAL, "the key id of a verifier key must be 8 "
		    "lowercase hex digits followed by '+'");
	/* The key starts after "<name>+<8 hex>+". */
	if (b64_decode(s + nlen + 10, len - nlen - 10, raw, sizeof(raw), &n, 0) < 0 ||
	    n != sizeof(raw))
		return err_set(err, LSN_EINVAL, "the key of a verifier key must be the "
		    "canonical base64 of a type byte and a %d-byte Ed25519 key",
		    CX_ED25519_PUB_LEN);
	memcpy(name, s, nlen);
	name[nlen] = '\0';
	r = note_key_init(&k, name, raw[0], raw + 1, err);
	if (r < 0)
		return r;
	if (k.id != id)
		return err_set(err, LSN_EINVAL, "the verifier key names key id %08" PRIx32
		    ", but its name, type and key give %08" PRIx32, id, k.id);
	memcpy(ret, &k, sizeof(k));
	return 0;
}

/* ---- signed notes ---- */

/* One signature line without its newline: "— <name> <base64(id || sig)>". */
/*
 * Signatures of other algorithms (ML-DSA-44 cosignatures are 2,428 bytes)
 * are parsed and kept with sig_len 0: a verifier ignores unknown keys
 * (signed-note), and one of ours never matches such a line.
 */
#define SIG_FOREIGN_MAX 8192

static int
sig_line_parse(const char *line, size_t len, struct note_sig *s, struct err *err)
{
	uint8_t raw[4 + SIG_FOREIGN_MAX];
	const char *sp, *b64;
	size_t nlen, n = 0;
	int r;

	if (len < SIG_PREFIX_LEN || memcmp(line, SIG_PREFIX, SIG_PREFIX_LEN) != 0)
		return err_set(err, LSN_EINVAL, "it does not begin with an em dash (U+2014) "
		    "and a space");
	line += SIG_PREFIX_LEN;
	len -= SIG_PREFIX_LEN;
	sp = memchr(line, ' ', len);
	if (sp == NULL)
		return err_set(err, LSN_EINVAL, "it has no space between key name and signature");
	nlen = (size_t)(sp - line);
	r = name_check(line, nlen, "key name", err);
	if (r < 0)
		return r;
	b64 = sp + 1;
	r = b64_decode(b64, len - nlen - 1, raw, sizeof(raw), &n, 0);
	if (r == -LSN_ETOOBIG)
		return err_set(err, LSN_EINVAL, "its signature is longer than the %d bytes "
		    "liaison accepts after the key id", SIG_FOREIGN_MAX);
	if (r < 0)
		return err_set(err, LSN_EINVAL, "its signature is not canonical base64");
	if (n < 5)
		return err_set(err, LSN_EINVAL, "its signature is too short to hold a key id "
		    "and a signature");
	memcpy(s->name, line, nlen);
	s->name[nlen] = '\0';
	s->id = be32_get(raw);
	s->sig_len = n - 4 <= NOTE_SIG_MAX ? n - 4 : 0;
	memcpy(s->sig, raw + 4, s->sig_len);
	return 0;
}

/* The signature block: one or more lines, each ending in a newline. */
static int
sigs_parse(const char *buf, size_t len, struct note *n, struct err *err)
{
	const char *line;
	size_t pos = 0, llen;
	int r;

	if (len == 0)
		return err_set(err, LSN_EINVAL, "the note has no signature lines");
	if (buf[len - 1] != '\n')
		return err_set(err, LSN_EINVAL, "the note does not end in a newline");
	while (line_take(buf, len, &pos, &line, &llen) == 0) {
		if (n->n_sigs == NOTE_SIGS_MAX)
			return err_set(err, LSN_EINVAL, "the note has more than %d signatures",
			    NOTE_SIGS_MAX);
		memset(&n->sigs[n->n_sigs], 0, sizeof(n->sigs[0]));
		r = sig_line_parse(line, llen, &n->sigs[n->n_sigs], err);
		if (r < 0) {
			err_prefix(err, "signature line %zu of the note: ", n->n_sigs + 1);
			return r;
		}
		n->n_sigs++;
	}
	return 0;
}

int
note_parse(const char *buf, size_t len, struct note *ret, struct err *err)
{
	struct note n;
	size_t i;
	int r;

	if (len > NOTE_MAX)
		return err_set(err, LSN_EINVAL, "the note is %zu bytes, over the limit of %d",
		    len, NOTE_MAX);
	r = text_check(buf, len, 1, "note", err);
	if (r < 0)
		return r;
	/* signed-note §Format: the text ends at the last blank line. */
	for (i = len; i >= 2; i--)
		if (buf[i - 2] == '\n' && buf[i - 1] == '\n')
			break;
	if (i < 2)
		return err_set(err, LSN_EINVAL, "the note has no blank line before its "
		    "signatures");
	n.text = buf;
	n.text_len = i - 1;
	n.n_sigs = 0;
	r = sigs_parse(buf + i, len - i, &n, err);
	if (r < 0)
		return r;
	memcpy(ret, &n, sizeof(n));
	return 0;
}

/* Text a signature may cover: what note_parse would give back as text. */
static int
note_text_check(const char *text, size_t len, struct err *err)
{
	if (len == 0 || text[len - 1] != '\n')
		return err_set(err, LSN_EINVAL, "note text must end in a newline");
	if (len > NOTE_MAX)
		return err_set(err, LSN_EINVAL, "note text is %zu bytes, over the limit of %d",
		    len, NOTE_MAX);
	return text_check(text, len, 1, "note text", err);
}

/* The signer's key must be the one the verifier key names, or nobody can verify. */
static int
signer_check(const struct note_key *k, uint8_t type, const struct cx_key *sk,
    struct err *err)
{
	uint8_t pub[CX_ED25519_PUB_LEN];

	if (k->type != type)
		return err_set(err, LSN_EINVAL, "key %s has type 0x%02x, but this signature "
		    "needs type 0x%02x", k->name, k->type, type);
	cx_key_public(sk, pub);
	if (memcmp(pub, k->pub, sizeof(pub)) != 0)
		return err_set(err, LSN_EINVAL, "the signing key is not the private half of "
		    "key %s", k->name);
	return 0;
}

static int
sig_line_write(const char *name, uint32_t id, const uint8_t *sig, size_t sig_len, char *out,
    size_t cap, size_t *ret_len, struct err *err)
{
	uint8_t raw[4 + NOTE_SIG_MAX];
	struct wr w;

	be32_put(raw, id);
	memcpy(raw + 4, sig, sig_len);
	wr_init(&w, out, cap);
	wr_str(&w, SIG_PREFIX);
	wr_str(&w, name);
	wr_str(&w, " ");
	wr_b64(&w, raw, 4 + sig_len);
	wr_str(&w, "\n");
	return wr_done(&w, "signature line", ret_len, err);
}

static int
sig_line_format(const struct note_key *k, const uint8_t *sig, size_t sig_len, char *out,
    size_t cap, size_t *ret_len, struct err *err)
{
	return sig_line_write(k->name, k->id, sig, sig_len, out, cap, ret_len, err);
}

int
note_sig_format(const struct note_sig *s, char *out, size_t cap, size_t *ret_len,
    struct err *err)
{
	if (s->sig_len == 0)
		return err_set(err, LSN_EINVAL, "the signature of %s is of another algorithm and "
		    "was not kept", s->name);
	return sig_line_write(s->name, s->id, s->sig, s->sig_len, out, cap, ret_len, err);
}

int
note_sign(const struct note_key *k, const struct cx_key *sk, const char *text, size_t len,
    char *out, size_t cap, size_t *ret_len, struct err *err)
{
	uint8_t sig[CX_ED25519_SIG_LEN];
	int r;

	r = signer_check(k, NOTE_TYPE_ED25519, sk, err);
	if (r < 0)
		return r;
	r = note_text_check(text, len, err);
	if (r < 0)
		return r;
	r = cx_sign(sk, text, len, sig);
	if (r < 0)
		return err_set(err, -r, "could not sign the note with key %s", k->name);
	return sig_line_format(k, sig, sizeof(sig), out, cap, ret_len, err);
}

/*
 * tlog-cosignature §Ed25519 signed message: "cosignature/v1\ntime <t>\n"
 * and the checkpoint body, written to msg (header room + len bytes).
 */
static size_t
cosig_message(uint64_t t, const char *text, size_t len, uint8_t *msg)
{
	int h = snprintf((char *)msg, COSIG_HEADER_MAX, "cosignature/v1\ntime %" PRIu64 "\n", t);

	memcpy(msg + h, text, len);
	return (size_t)h + len;
}

/* One signature line of key k: 0 or -LSN_EBADSIG; *ret_time for cosignatures. */
static int
sig_verify(const struct note *n, const struct note_key *k, const struct note_sig *s,
    uint8_t *msg, uint64_t *ret_time)
{
	size_t mlen;

	if (k->type == NOTE_TYPE_ED25519) {
		if (s->sig_len != CX_ED25519_SIG_LEN)
			return -LSN_EBADSIG;
		return cx_verify(k->pub, n->text, n->text_len, s->sig);
	}
	if (s->sig_len != 8 + CX_ED25519_SIG_LEN || be64_get(s->sig) > COSIG_TIME_MAX)
		return -LSN_EBADSIG;
	*ret_time = be64_get(s->sig);
	mlen = cosig_message(*ret_time, n->text, n->text_len, msg);
	return cx_verify(k->pub, msg, mlen, s->sig + 8);
}

/*
 * signed-note §Signatures: lines whose name or id differ from k's are
 * another key's and ignored; every line of k must verify. Of several
 * cosignatures by k, the latest time is reported.
 */
int
note_verify(const struct note *n, const struct note_key *k, uint64_t *ret_time,
    struct err *err)
{
	uint64_t t = 0, latest = 0;
	size_t i, found = 0;
	uint8_t *msg = NULL;
	int r = type_check(k->type, err);

	if (r < 0)
		return r;
	if (k->type == NOTE_TYPE_COSIG) {
		msg = malloc(COSIG_HEADER_MAX + n->text_len);
		if (msg == NULL)
			return err_set(err, LSN_ENOMEM, "no memory to verify a cosignature");
	}
	for (i = 0; i < n->n_sigs && r == 0; i++) {
		if (n->sigs[i].id != k->id || strcmp(n->sigs[i].name, k->name) != 0)
			continue;
		found++;
		r = sig_verify(n, k, &n->sigs[i], msg, &t);
		if (r < 0)
			r = err_set(err, LSN_EBADSIG, "signature line %zu of the note, from key "
			    "%s+%08" PRIx32 ", does not verify", i + 1, k->name, k->id);
		else if (t > latest)
			latest = t;
	}
	free(msg);
	if (r == 0 && found == 0)
		r = err_set(err, LSN_ENOTFOUND, "the note has no signature from key "
		    "%s+%08" PRIx32, k->name, k->id);
	if (r == 0 && ret_time != NULL && k->type == NOTE_TYPE_COSIG)
		*ret_time = latest;
	return r;
}

/* ---- checkpoints ---- */

/* tlog-checkpoint §Note text: a non-empty origin line; ours also fits struct checkpoint. */
static int
origin_check(const char *s, size_t len, struct err *err)
{
	if (len == 0)
		return err_set(err, LSN_EINVAL, "the checkpoint origin is empty");
	if (len > NOTE_NAME_MAX)
		return err_set(err, LSN_EINVAL, "the checkpoint origin is longer than %d bytes",
		    NOTE_NAME_MAX);
	return text_check(s, len, 0, "checkpoint origin", err);
}

int
checkpoint_format(const struct checkpoint *c, char *out, size_t cap, size_t *ret_len,
    struct err *err)
{
	size_t olen = strnlen(c->origin, sizeof(c->origin));
	struct wr w;
	int r;

	r = origin_check(c->origin, olen, err);
	if (r < 0)
		return r;
	wr_init(&w, out, cap);
	wr_add(&w, c->origin, olen);
	wr_str(&w, "\n");
	wr_u64(&w, c->size);
	wr_str(&w, "\n");
	wr_b64(&w, c->root, MERKLE_HASH_LEN);
	wr_str(&w, "\n");
	return wr_done(&w, "checkpoint", ret_len, err);
}

int
checkpoint_parse(const char *text, size_t len, struct checkpoint *ret, struct err *err)
{
	struct checkpoint c;
	const char *line[3];
	size_t llen[3], pos = 0;
	int i, r;

	memset(&c, 0, sizeof(c));
	for (i = 0; i < 3; i++)
		if (line_take(text, len, &pos, &line[i], &llen[i]) < 0)
			return err_set(err, LSN_EINVAL, "checkpoint line %d is missing or does "
			    "not end in a newline", i + 1);
	r = origin_check(line[0], llen[0], err);
	if (r < 0)
		return r;
	if (dec_parse(line[1], llen[1], &c.size) < 0)
		return err_set(err, LSN_EINVAL, "the checkpoint size is not a decimal number "
		    "below 2^64 without leading zeroes");
	r = hash_parse(line[2], llen[2], c.root, err);
	if (r < 0) {
		err_prefix(err, "checkpoint root hash: ");
		return r;
	}
	if (pos != len)
		return err_set(err, LSN_EINVAL, "the checkpoint has lines after the root hash; "
		    "liaison accepts no extension lines");
	memcpy(c.origin, line[0], llen[0]);
	memcpy(ret, &c, sizeof(c));
	return 0;
}

int
cosig_sign(const struct note_key *k, const struct cx_key *sk, uint64_t timestamp,
    const char *text, size_t len, char *out, size_t cap, size_t *ret_len, struct err *err)
{
	uint8_t msg[COSIG_HEADER_MAX + 256], sig[8 + CX_ED25519_SIG_LEN];
	struct checkpoint c;
	size_t mlen;
	int r;

	r = signer_check(k, NOTE_TYPE_COSIG, sk, err);
	if (r < 0)
		return r;
	if (timestamp > COSIG_TIME_MAX)
		return err_set(err, LSN_EINVAL, "a cosignature time must not exceed 2^63 - 1");
	/* A checkpoint body is at most 128 + 1 + 20 + 1 + 44 + 1 bytes: msg holds it. */
	r = checkpoint_parse(text, len, &c, err);
	if (r < 0)
		return r;
	mlen = cosig_message(timestamp, text, len, msg);
	r = cx_sign(sk, msg, mlen, sig + 8);
	if (r < 0)
		return err_set(err, -r, "could not cosign the checkpoint with key %s", k->name);
	be32_put(sig, (uint32_t)(timestamp >> 32));
	be32_put(sig + 4, (uint32_t)timestamp);
	return sig_line_format(k, sig, sizeof(sig), out, cap, ret_len, err);
}

/* ---- tlog proofs and add-checkpoint bodies ---- */

/* The embedded checkpoint: a signed note whose text is a checkpoint. */
static int
signed_checkpoint_check(const char *buf, size_t len, struct err *err)
{
	struct checkpoint c;
	struct note n;
	int r;

	r = note_parse(buf, len, &n, err);
	if (r < 0)
		return r;
	return checkpoint_parse(n.text, n.text_len, &c, err);
}

/* Hash lines up to and including the blank line before the checkpoint. */
static int
hashes_parse(const char *buf, size_t len, size_t *pos, merkle_hash *out, size_t *ret_n,
    const char *what, struct err *err)
{
	const char *line;
	size_t n = 0, llen;
	int r;

	for (;;) {
		if (line_take(buf, len, pos, &line, &llen) < 0)
			return err_set(err, LSN_EINVAL, "the %s ends before the blank line that "
			    "precedes its checkpoint", what);
		if (llen == 0)
			break;
		if (n == MERKLE_PROOF_MAX)
			return err_set(err, LSN_EINVAL, "the %s has more than %d proof hashes",
			    what, MERKLE_PROOF_MAX);
		r = hash_parse(line, llen, out[n], err);
		if (r < 0) {
			err_prefix(err, "proof hash %zu of the %s: ", n + 1, what);
			return r;
		}
		n++;
	}
	*ret_n = n;
	return 0;
}

/* "<key> <decimal>" where key includes its space; -1 if the line is not that. */
static int
keyed_u64(const char *line, size_t len, const char *key, uint64_t *ret)
{
	size_t kl = strlen(key);

	if (len < kl || memcmp(line, key, kl) != 0)
		return -1;
	return dec_parse(line + kl, len - kl, ret);
}

static int
proof_args_check(const merkle_hash *hashes, size_t n, const char *checkpoint,
    size_t checkpoint_len, const char *what, struct err *err)
{
	int r;

	if (n > MERKLE_PROOF_MAX || (n > 0 && hashes == NULL))
		return err_set(err, LSN_EINVAL, "a %s holds at most %d proof hashes, not %zu",
		    what, MERKLE_PROOF_MAX, n);
	r = signed_checkpoint_check(checkpoint, checkpoint_len, err);
	if (r < 0)
		err_prefix(err, "the checkpoint of the %s: ", what);
	return r;
}

static void
wr_hashes(struct wr *w, const merkle_hash *hashes, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		wr_b64(w, hashes[i], MERKLE_HASH_LEN);
		wr_str(w, "\n");
	}
	wr_str(w, "\n");
}

int
tlog_proof_format(const uint8_t *extra, size_t extra_len, uint64_t index,
    const merkle_hash *hashes, size_t n, const char *checkpoint, size_t checkpoint_len,
    char *out, size_t cap, size_t *ret_len, struct err *err)
{
	struct wr w;
	int r;

	if (extra != NULL && extra_len > TLOG_PROOF_EXTRA_MAX)
		return err_set(err, LSN_EINVAL, "tlog proof extra data is over %d bytes",
		    TLOG_PROOF_EXTRA_MAX);
	r = proof_args_check(hashes, n, checkpoint, checkpoint_len, "tlog proof", err);
	if (r < 0)
		return r;
	wr_init(&w, out, cap);
	wr_str(&w, PROOF_MAGIC "\n");
	if (extra != NULL) {
		wr_str(&w, "extra ");
		wr_b64(&w, extra, extra_len);
		wr_str(&w, "\n");
	}
	wr_str(&w, "index ");
	wr_u64(&w, index);
	wr_str(&w, "\n");
	wr_hashes(&w, hashes, n);
	wr_add(&w, checkpoint, checkpoint_len);
	return wr_done(&w, "tlog proof", ret_len, err);
}

/* tlog-proof §Format: an optional "extra <base64>" line (empty data allowed). */
static int
proof_extra_parse(const char *line, size_t len, struct tlog_proof *p, struct err *err)
{
	int r = b64_decode(line + 6, len - 6, p->extra, sizeof(p->extra), &p->extra_len, 0);

	if (r == -LSN_ETOOBIG)
		return err_set(err, LSN_EINVAL, "the tlog proof extra data is over %d bytes",
		    TLOG_PROOF_EXTRA_MAX);
	if (r < 0)
		return err_set(err, LSN_EINVAL, "the tlog proof extra data is not canonical "
		    "base64");
	p->has_extra = 1;
	return 0;
}

/* The lines before the hashes: magic, optional extra, index. */
static int
proof_head_parse(const char *buf, size_t len, size_t *pos, struct tlog_proof *p,
    struct err *err)
{
	const char *line;
	size_t llen;
	int r;

	if (line_take(buf, len, pos, &line, &llen) < 0 || llen != strlen(PROOF_MAGIC) ||
	    memcmp(line, PROOF_MAGIC, llen) != 0)
		return err_set(err, LSN_EINVAL, "a tlog proof begins with the line \""
		    PROOF_MAGIC "\"");
	if (line_take(buf, len, pos, &line, &llen) < 0)
		return err_set(err, LSN_EINVAL, "the tlog proof ends after its first line");
	if (llen >= 6 && memcmp(line, "extra ", 6) == 0) {
		r = proof_extra_parse(line, llen, p, err);
		if (r < 0)
			return r;
		if (line_take(buf, len, pos, &line, &llen) < 0)
			return err_set(err, LSN_EINVAL, "the tlog proof ends after its extra line");
	}
	if (keyed_u64(line, llen, "index ", &p->index) < 0)
		return err_set(err, LSN_EINVAL, "the tlog proof needs the line \"index <n>\", "
		    "n a decimal number below 2^64 without leading zeroes");
	return 0;
}

int
tlog_proof_parse(const char *buf, size_t len, struct tlog_proof *ret, struct err *err)
{
	struct tlog_proof p;
	size_t pos = 0;
	int r;

	memset(&p, 0, sizeof(p));
	r = proof_head_parse(buf, len, &pos, &p, err);
	if (r < 0)
		return r;
	r = hashes_parse(buf, len, &pos, p.hashes, &p.n_hashes, "tlog proof", err);
	if (r < 0)
		return r;
	r = signed_checkpoint_check(buf + pos, len - pos, err);
	if (r < 0) {
		err_prefix(err, "the checkpoint of the tlog proof: ");
		return r;
	}
	p.checkpoint = buf + pos;
	p.checkpoint_len = len - pos;
	memcpy(ret, &p, sizeof(p));
	return 0;
}

int
witness_req_format(uint64_t old_size, const merkle_hash *proof, size_t n,
    const char *checkpoint, size_t checkpoint_len, char *out, size_t cap, size_t *ret_len,
    struct err *err)
{
	struct wr w;
	int r;

	r = proof_args_check(proof, n, checkpoint, checkpoint_len, "add-checkpoint request",
	    err);
	if (r < 0)
		return r;
	wr_init(&w, out, cap);
	wr_str(&w, "old ");
	wr_u64(&w, old_size);
	wr_str(&w, "\n");
	wr_hashes(&w, proof, n);
	wr_add(&w, checkpoint, checkpoint_len);
	return wr_done(&w, "add-checkpoint request", ret_len, err);
}

int
witness_req_parse(const char *buf, size_t len, struct witness_req *ret, struct err *err)
{
	struct witness_req q;
	const char *line;
	size_t pos = 0, llen;
	int r;

	memset(&q, 0, sizeof(q));
	if (line_take(buf, len, &pos, &line, &llen) < 0 ||
	    keyed_u64(line, llen, "old ", &q.old_size) < 0)
		return err_set(err, LSN_EINVAL, "an add-checkpoint request begins with the line "
		    "\"old <size>\", size a decimal number below 2^64 without leading zeroes");
	r = hashes_parse(buf, len, &pos, q.proof, &q.n_proof, "add-checkpoint request", err);
	if (r < 0)
		return r;
	r = signed_checkpoint_check(buf + pos, len - pos, err);
	if (r < 0) {
		err_prefix(err, "the checkpoint of the add-checkpoint request: ");
		return r;
	}
	q.checkpoint = buf + pos;
	q.checkpoint_len = len - pos;
	memcpy(ret, &q, sizeof(q));
	return 0;
}

/* ---- the peer API's proof answer (docs/protocol.md, "Ledger") ---- */

int
proof_reply_format(uint64_t index, const merkle_hash *hashes, size_t n, char *out, size_t cap,
    size_t *ret_len, struct err *err)
{
	struct wr w;
	char num[32];

	if (n > MERKLE_PROOF_MAX)
		return err_set(err, LSN_EINVAL, "a proof has at most %d hashes", MERKLE_PROOF_MAX);
	wr_init(&w, out, cap);
	snprintf(num, sizeof(num), "index %" PRIu64 "\n", index);
	wr_str(&w, num);
	for (size_t i = 0; i < n; i++) {
		wr_b64(&w, hashes[i], MERKLE_HASH_LEN);
		wr_str(&w, "\n");
	}
	return wr_done(&w, "proof answer", ret_len, err);
}

int
proof_reply_parse(const char *buf, size_t len, uint64_t *ret_index, merkle_hash *hashes,
    size_t *ret_n, struct err *err)
{
	const char *line;
	size_t pos = 0, llen, n = 0;
	uint64_t index;
	int r;

	if (line_take(buf, len, &pos, &line, &llen) < 0 ||
	    keyed_u64(line, llen, "index ", &index) < 0)
		return err_set(err, LSN_EINVAL, "a proof answer begins with the line \"index <n>\", "
		    "n a decimal number below 2^64 without leading zeroes");
	while (line_take(buf, len, &pos, &line, &llen) == 0) {
		if (n == MERKLE_PROOF_MAX)
			return err_set(err, LSN_EINVAL, "a proof answer has more than %d hashes",
			    MERKLE_PROOF_MAX);
		if ((r = hash_parse(line, llen, hashes[n], err)) < 0) {
			err_prefix(err, "proof hash %zu of the answer: ", n + 1);
			return r;
		}
		n++;
	}
	if (pos != len)
		return err_set(err, LSN_EINVAL, "a proof answer ends with a newline");
	*ret_index = index;
	*ret_n = n;
	return 0;
}
