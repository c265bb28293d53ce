/*
 * The identity documents of identity.h as bytes: exports, parses strictly
 * and verifies them. Never does I/O, reads the clock or keeps state, and
 * never re-serialises what it verifies.
 */
#include "wire/identity.h"
#include "stix/stix.h"
#include "util/be.h"
#include "util/enc.h"
#include "util/err.h"
#include "util/name.h"
#include "util/ts.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#define FPR_DOMAIN "liaison fingerprint v1"
#define IDENT_CREATED_MAX (sizeof(((struct ident *)0)->created) - 1)
#define IDENT_SIGNED_MAX (sizeof(IDENT_DOMAIN) + 1 + CX_ED25519_PUB_LEN + \
	CX_SHA256_LEN + 2 + IDENT_NAME_MAX + 2 + IDENT_CREATED_MAX)

_Static_assert(sizeof(IDENT_DOMAIN) == 20, "domain string length in identity.h");

/* Crockford base32: no I, L, O, U, so a fingerprint survives being read aloud. */
static const char crockford32[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

int
ident_name_ok(const char *name)
{
	return name != NULL && name_check(name, strlen(name), NULL) == 0;
}

/* The n-th 5-bit group of md, most significant bit first (n < 20 reads bytes 0..12). */
static unsigned
fpr_group(const uint8_t *md, unsigned n)
{
	unsigned bit = n * 5, w = (unsigned)md[bit / 8] << 8 | md[bit / 8 + 1];

	return w >> (11 - bit % 8) & 31;
}

void
ident_fingerprint(uint8_t sig_type, const uint8_t key[static CX_ED25519_PUB_LEN],
    const uint8_t spki[static CX_SHA256_LEN], char out[static IDENT_FPR_LEN])
{
	uint8_t msg[sizeof(FPR_DOMAIN) + 1 + CX_ED25519_PUB_LEN + CX_SHA256_LEN];
	uint8_t md[CX_SHA256_LEN];
	unsigned i, o = 0;

	memcpy(msg, FPR_DOMAIN, sizeof(FPR_DOMAIN));
	msg[sizeof(FPR_DOMAIN)] = sig_type;
	memcpy(msg + sizeof(FPR_DOMAIN) + 1, key, CX_ED25519_PUB_LEN);
	memcpy(msg + sizeof(FPR_DOMAIN) + 1 + CX_ED25519_PUB_LEN, spki, CX_SHA256_LEN);
	cx_sha256(msg, sizeof(msg), md);
	for (i = 0; i < 20; i++) {
		if (i > 0 && i % 4 == 0)
			out[o++] = '-';
		out[o++] = crockford32[fpr_group(md, i)];
	}
	out[o] = '\0';
}

/* Exactly the bytes the document signature covers (envelope.h); returns their length. */
static size_t
ident_signed_bytes(const struct ident *id, uint8_t out[static IDENT_SIGNED_MAX])
{
	size_t nl = strlen(id->name), cl = strlen(id->created), o = 0;

	memcpy(out, IDENT_DOMAIN, sizeof(IDENT_DOMAIN));
	o += sizeof(IDENT_DOMAIN);
	out[o++] = id->sig_type;
	memcpy(out + o, id->key, CX_ED25519_PUB_LEN);
	o += CX_ED25519_PUB_LEN;
	memcpy(out + o, id->spki, CX_SHA256_LEN);
	o += CX_SHA256_LEN;
	be16_put(out + o, (uint16_t)nl);
	memcpy(out + o + 2, id->name, nl);
	o += 2 + nl;
	be16_put(out + o, (uint16_t)cl);
	memcpy(out + o + 2, id->created, cl);
	return o + 2 + cl;
}

static int
ident_created_ok(const char *s, size_t n)
{
	struct ts t;

	return n <= IDENT_CREATED_MAX && ts_parse(s, n, &t, NULL) == 0;
}

static int
ident_check_export(const struct ident *id, struct err *err)
{
	if (!ident_name_ok(id->name))
		return err_set(err, LSN_EINVAL, "identity field 'name' must be 1 to %d of a-z, 0-9 "
		    "and '-', starting with a letter or digit", IDENT_NAME_MAX);
	if (!ident_created_ok(id->created, strnlen(id->created, sizeof(id->created))))
		return err_set(err, LSN_EINVAL, "identity field 'created' must be an RFC 3339 UTC "
		    "timestamp (YYYY-MM-DDTHH:MM:SS[.fraction]Z)");
	return 0;
}

/*
 * Every value is from a closed alphabet (name, timestamp, base64, Crockford),
 * so plain formatting is valid JSON without escaping. out also gets a NUL,
 * which *ret_len does not count.
 */
int
ident_export(struct ident *id, const struct cx_key *key, char *out, size_t cap,
    size_t *ret_len, struct err *err)
{
	char doc[IDENT_DOC_MAX], key64[64], spki64[64], sig64[128];
	uint8_t msg[IDENT_SIGNED_MAX], sig[CX_ED25519_SIG_LEN];
	struct ident d = *id;
	int n, r;

	if ((r = ident_check_export(id, err)) < 0)
		return r;
	d.sig_type = CX_SIGTYPE_ED25519;
	cx_key_public(key, d.key);
	ident_fingerprint(d.sig_type, d.key, d.spki, d.fingerprint);
	if ((r = cx_sign(key, msg, ident_signed_bytes(&d, msg), sig)) < 0)
		return err_set(err, -r, "could not sign the identity document");
	b64_encode(d.key, sizeof(d.key), key64, 0);
	b64_encode(d.spki, sizeof(d.spki), spki64, 0);
	b64_encode(sig, sizeof(sig), sig64, 0);
	n = snprintf(doc, sizeof(doc), "{\"liaison_identity\":1,\"name\":\"%s\",\"sig_type\":%u,"
	    "\"signing_key\":\"%s\",\"tls_spki_sha256\":\"%s\",\"created\":\"%s\","
	    "\"fingerprint\":\"%s\",\"signature\":\"%s\"}\n", d.name, d.sig_type, key64, spki64,
	    d.created, d.fingerprint, sig64);
	if (n < 0 || (size_t)n >= cap)
		return err_set(err, LSN_ETOOBIG, "the identity document needs %d bytes and a NUL, "
		    "but the buffer holds %zu", n, cap);
	memcpy(out, doc, (size_t)n + 1);
	*id = d;
	*ret_len = (size_t)n;
	return 0;
}

/* What ident_parse collects before it checks the fingerprint and signature. */
struct ident_doc {
	struct ident id;
	char fingerprint[IDENT_FPR_LEN];
	uint8_t sig[CX_ED25519_SIG_LEN];
};

typedef int ident_field_fn(const json_t *v, const char *key, struct ident_doc *d,
    struct err *err);

static int
field_one(const json_t *v, const char *key, struct err *err)
{
	if (!json_is_integer(v))
		return err_set(err, LSN_EINVAL, "identity field '%s' must be an integer", key);
	if (json_integer_value(v) != 1)
		return err_set(err, LSN_EINVAL, "identity field '%s' is %lld, but only 1 is "
		    "defined", key, (long long)json_integer_value(v));
	return 0;
}

static int
field_string(const json_t *v, const char *key, const char **ret_s, size_t *ret_n,
    struct err *err)
{
	if (!json_is_string(v))
		return err_set(err, LSN_EINVAL, "identity field '%s' must be a string", key);
	*ret_s = json_string_value(v);
	*ret_n = json_string_length(v);
	return 0;
}

static int
field_b64(const json_t *v, const char *key, uint8_t *out, size_t want, struct err *err)
{
	const char *s = NULL;
	size_t n = 0, got = 0;
	int r;

	if ((r = field_string(v, key, &s, &n, err)) < 0)
		return r;
	if (b64_decode(s, n, out, want, &got, 0) < 0 || got != want)
		return err_set(err, LSN_EINVAL, "identity field '%s' must be the standard base64 "
		    "of exactly %zu bytes", key, want);
	return 0;
}

static int
field_version(const json_t *v, const char *key, struct ident_doc *d, struct err *err)
{
	return field_one(v, key, err);
}

static int
field_sig_type(const json_t *v, const char *key, struct ident_doc *d, struct err *err)
{
	d->id.sig_type = CX_SIGTYPE_ED25519;
	return field_one(v, key, err);
}

static int
field_name(const json_t *v, const char *key, struct ident_doc *d, struct err *err)
{
	const char *s = NULL;
	size_t n = 0;
	int r;

	if ((r = field_string(v, key, &s, &n, err)) < 0)
		return r;
	if (name_check(s, n, NULL) < 0)
		return err_set(err, LSN_EINVAL, "identity field '%s' must be 1 to %d of a-z, 0-9 "
		    "and '-', starting with a letter or digit", key, IDENT_NAME_MAX);
	memcpy(d->id.name, s, n + 1);
	return 0;
}

static int
field_signing_key(const json_t *v, const char *key, struct ident_doc *d, struct err *err)
{
	return field_b64(v, key, d->id.key, sizeof(d->id.key), err);
}

static int
field_spki(const json_t *v, const char *key, struct ident_doc *d, struct err *err)
{
	return field_b64(v, key, d->id.spki, sizeof(d->id.spki), err);
}

static int
field_created(const json_t *v, const char *key, struct ident_doc *d, struct err *err)
{
	const char *s = NULL;
	size_t n = 0;
	int r;

	if ((r = field_string(v, key, &s, &n, err)) < 0)
		return r;
	if (!ident_created_ok(s, n))
		return err_set(err, LSN_EINVAL, "identity field '%s' must be an RFC 3339 UTC "
		    "timestamp (YYYY-MM-DDTHH:MM:SS[.fraction]Z)", key);
	memcpy(d->id.created, s, n + 1);
	return 0;
}

static int
field_fingerprint(const json_t *v, const char *key, struct ident_doc *d, struct err *err)
{
	const char *s = NULL;
	size_t n = 0;
	int r;

	if ((r = field_string(v, key, &s, &n, err)) < 0)
		return r;
	if (n != IDENT_FPR_LEN - 1)
		return err_set(err, LSN_EINVAL, "identity field '%s' must be %d characters "
		    "(XXXX-XXXX-XXXX-XXXX-XXXX)", key, IDENT_FPR_LEN - 1);
	memcpy(d->fingerprint, s, n + 1);
	return 0;
}

static int
field_signature(const json_t *v, const char *key, struct ident_doc *d, struct err *err)
{
	return field_b64(v, key, d->sig, sizeof(d->sig), err);
}

/* Every field of the document, each required, in the order ident_export writes them. */
static const struct ident_field {
	const char *key;
	ident_field_fn *parse;
} ident_fields[] = {
	{ "liaison_identity", field_version },
	{ "name", field_name },
	{ "sig_type", field_sig_type },
	{ "signing_key", field_signing_key },
	{ "tls_spki_sha256", field_spki },
	{ "created", field_created },
	{ "fingerprint", field_fingerprint },
	{ "signature", field_signature },
};
#define IDENT_NFIELDS (sizeof(ident_fields) / sizeof(ident_fields[0]))

static int
ident_load(const char *doc, size_t len, json_t **ret, struct err *err)
{
	json_error_t je;
	json_t *o;

	if (doc == NULL)
		return err_set(err, LSN_EINVAL, "identity document is empty");
	if (len > IDENT_DOC_MAX)
		return err_set(err, LSN_ETOOBIG, "identity document is %zu bytes, over the cap of "
		    "%d", len, IDENT_DOC_MAX);
	/* No JSON_ALLOW_NUL: a NUL inside a string could hide text from C code. */
	o = json_loadb(doc, len, JSON_REJECT_DUPLICATES, &je);
	if (o == NULL) {
		stix_json_error(&je, err);
		err_prefix(err, "identity document: ");
		return -LSN_EINVAL;
	}
	if (!json_is_object(o)) {
		json_decref(o);
		return err_set(err, LSN_EINVAL, "identity document must be a JSON object");
	}
	*ret = o;
	return 0;
}

static const struct ident_field *
ident_field_find(const char *key)
{
	size_t i;

	for (i = 0; i < IDENT_NFIELDS; i++) {
		if (strcmp(ident_fields[i].key, key) == 0)
			return &ident_fields[i];
	}
	return NULL;
}

/* Unknown fields first: a document from a newer format must not half-parse. */
static int
ident_read_fields(json_t *o, struct ident_doc *d, struct err *err)
{
	const char *key;
	json_t *v;
	size_t i;
	int r;

	json_object_foreach(o, key, v) {
		if (ident_field_find(key) == NULL) {
			r = err_set(err, LSN_EINVAL, "identity document has an unknown field '%.64s'",
			    key);
			if (err != NULL)
				stix_utf8_scrub(err->msg);
			return r;
		}
	}
	for (i = 0; i < IDENT_NFIELDS; i++) {
		v = json_object_get(o, ident_fields[i].key);
		if (v == NULL)
			return err_set(err, LSN_EINVAL, "identity document lacks the field '%s'",
			    ident_fields[i].key);
		if ((r = ident_fields[i].parse(v, ident_fields[i].key, d, err)) < 0)
			return r;
	}
	return 0;
}

/* The fingerprint first: it is what the operators compared over the phone. */
static int
ident_check_doc(const struct ident_doc *d, struct err *err)
{
	uint8_t msg[IDENT_SIGNED_MAX];
	char fpr[IDENT_FPR_LEN];

	ident_fingerprint(d->id.sig_type, d->id.key, d->id.spki, fpr);
	if (strcmp(fpr, d->fingerprint) != 0)
		return err_set(err, LSN_EINVAL, "identity field 'fingerprint' does not match the "
		    "signing key and TLS key, which give %s", fpr);
	if (cx_verify(d->id.key, msg, ident_signed_bytes(&d->id, msg), d->sig) < 0)
		return err_set(err, LSN_EBADSIG, "identity field 'signature' does not verify under "
		    "the document's signing key");
	return 0;
}

int
ident_parse(const char *doc, size_t len, struct ident *ret, struct err *err)
{
	struct ident_doc d;
	json_t *o = NULL;
	int r;

	if ((r = ident_load(doc, len, &o, err)) < 0)
		return r;
	memset(&d, 0, sizeof(d));
	if ((r = ident_read_fields(o, &d, err)) < 0 || (r = ident_check_doc(&d, err)) < 0)
		goto out;
	memcpy(d.id.fingerprint, d.fingerprint, sizeof(d.fingerprint));
	*ret = d.id;
out:
	json_decref(o);
	return r;
}
