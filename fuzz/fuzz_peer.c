/*
 * libFuzzer harness for the peer formats (src/exchange/envelope.c): the same
 * bytes walked as a batch of envelopes, opened as a receipt and parsed as an
 * identity document. Never a crash, leak or read past the input; whatever is
 * accepted must lie inside the input and agree with itself.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "crypto/cx.h"
#include "wire/envelope.h"
#include "wire/identity.h"
#include "util/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The public keys of the seeds 00 01 .. 1f (A) and 20 21 .. 3f (B) from
 * tests/exchange/test_envelope.c, so seeds made from its known answers reach
 * the success paths: envelopes are checked against A, receipts against B.
 */
static const uint8_t pub_a[CX_ED25519_PUB_LEN] = {
	0x03, 0xa1, 0x07, 0xbf, 0xf3, 0xce, 0x10, 0xbe, 0x1d, 0x70, 0xdd, 0x18, 0xe7, 0x4b,
	0xc0, 0x99, 0x67, 0xe4, 0xd6, 0x30, 0x9b, 0xa5, 0x0d, 0x5f, 0x1d, 0xdc, 0x86, 0x64,
	0x12, 0x55, 0x31, 0xb8,
};
static const uint8_t pub_b[CX_ED25519_PUB_LEN] = {
	0x29, 0xac, 0xba, 0xe1, 0x41, 0xbc, 0xca, 0xf0, 0xb2, 0x2e, 0x1a, 0x94, 0xd3, 0x4d,
	0x0b, 0xc7, 0x36, 0x1e, 0x52, 0x6d, 0x0b, 0xfe, 0x12, 0xc8, 0x97, 0x94, 0xbc, 0x93,
	0x22, 0x96, 0x6d, 0xd7,
};

/* Every refusal is one non-empty sentence, valid UTF-8 (it may go into JSON). */
static void
check_err(const struct err *err, int r)
{
	json_t *s;

	if (r >= 0)
		return;
	if (err->code != -r || memchr(err->msg, '\0', sizeof(err->msg)) == NULL ||
	    err->msg[0] == '\0')
		__builtin_trap();
	s = json_string(err->msg);
	if (s == NULL)
		__builtin_trap();
	json_decref(s);
}

/* A decoded envelope's parts lie in [p, p + n) and add up to what decode consumed. */
static void
check_view(const struct env_view *v, const uint8_t *p, size_t n, size_t used)
{
	uint8_t md[CX_SHA256_LEN];

	if (v->raw != p || v->header != p || v->raw_len != used || used > n ||
	    used != (size_t)ENV_HEADER_LEN + v->h.body_len + ENV_SIG_LEN ||
	    v->body != p + ENV_HEADER_LEN || v->sig != v->body + v->h.body_len)
		__builtin_trap();
	if (v->h.sig_type != CX_SIGTYPE_ED25519 || env_kind_name(v->h.kind) == NULL ||
	    v->h.seq == 0 || v->h.body_len > ENV_BODY_MAX)
		__builtin_trap();
	cx_sha256(v->body, v->h.body_len, md);
	if (memcmp(md, v->h.body_hash, sizeof(md)) != 0)
		__builtin_trap();
	cx_sha256(v->header, ENV_HEADER_LEN, md);
	if (memcmp(md, v->id, sizeof(md)) != 0)
		__builtin_trap();
}

static void
walk_batch(const uint8_t *data, size_t size)
{
	struct err err = ERR_INIT;
	struct env_view v;
	size_t pos = 0, used;
	int r;

	/* Each envelope is at least header + signature long, so this ends. */
	while (pos < size) {
		err_clear(&err);
		r = env_decode(data + pos, size - pos, &v, &used, &err);
		check_err(&err, r);
		if (r < 0)
			return;
		check_view(&v, data + pos, size - pos, used);
		err_clear(&err);
		r = env_verify(&v, pub_a, &err);
		check_err(&err, r);
		if (r < 0 && r != -LSN_EBADSIG)
			__builtin_trap();
		pos += used;
	}
}

static void
open_receipt(const uint8_t *data, size_t size)
{
	struct err err = ERR_INIT;
	struct rcpt rc;
	int r;

	r = rcpt_open(data, size, pub_b, &rc, &err);
	check_err(&err, r);
	if (r == 0 && (size != RCPT_LEN || rc.status != 0 || rc.seq == 0 ||
	    rc.sig_type != CX_SIGTYPE_ED25519))
		__builtin_trap();
	/* The first 200 bytes too, so the field checks see more than one length. */
	if (size > RCPT_LEN) {
		err_clear(&err);
		check_err(&err, rcpt_open(data, RCPT_LEN, pub_b, &rc, &err));
	}
}

static void
parse_identity(const uint8_t *data, size_t size)
{
	char fpr[IDENT_FPR_LEN];
	struct err err = ERR_INIT;
	struct ident id;
	int r;

	r = ident_parse((const char *)data, size, &id, &err);
	check_err(&err, r);
	if (r < 0)
		return;
	ident_fingerprint(id.sig_type, id.key, id.spki, fpr);
	if (!ident_name_ok(id.name) || strcmp(fpr, id.fingerprint) != 0 ||
	    memchr(id.created, '\0', sizeof(id.created)) == NULL)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	walk_batch(data, size);
	open_receipt(data, size);
	parse_identity(data, size);
	return 0;
}
