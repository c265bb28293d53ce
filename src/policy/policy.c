/*
 * Border decisions under an agreement and TLP 2.0 (docs/agreements.md): one
 * scan of an object's exact bytes, then a fixed order of rules, each refusal
 * with the rule and a sentence. Never sends, stores or re-serialises: strip
 * copies the bytes it keeps as they were.
 */
#include "policy/policy.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/jscan.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define SCAN_DEPTH 64

static const char *const rule_names[POLICY_RULE_MAX] = {
	[POLICY_ALLOW] = "allow",
	[POLICY_TLP_RED] = "tlp-red",
	[POLICY_TLP_CEILING] = "tlp-ceiling",
	[POLICY_GRANULAR] = "granular",
	[POLICY_TYPE] = "type",
	[POLICY_FORWARD] = "forward",
	[POLICY_REF] = "ref",
	[POLICY_NO_AGREEMENT] = "no-agreement",
};

/* What each rule refuses, in the words of docs/agreements.md ("Rules"). */
static const char *const rule_texts[POLICY_RULE_MAX] = {
	[POLICY_ALLOW] = "the object may cross",
	[POLICY_TLP_RED] = "the object is TLP:RED (its own marking, or unmarked where the "
	    "direction assumes RED), or a granular marking is RED: RED never leaves on its own",
	[POLICY_TLP_CEILING] = "the object's TLP is above the highest the agreement allows in "
	    "this direction (max_tlp)",
	[POLICY_GRANULAR] = "a granular marking of the object is above the direction's max_tlp",
	[POLICY_TYPE] = "the object's type is not among the types the agreement lets through",
	[POLICY_FORWARD] = "the object came from a third partner and is not CLEAR or GREEN, or "
	    "that partner's agreement does not allow passing it on",
	[POLICY_REF] = "a relationship or sighting refers to an object that may not go to this "
	    "partner",
	[POLICY_NO_AGREEMENT] = "there is no agreement with this partner: nothing crosses",
};

const char *
policy_rule_explain(const char *name)
{
	size_t i;

	for (i = 0; i < POLICY_RULE_MAX; i++)
		if (rule_names[i] != NULL && strcmp(rule_names[i], name) == 0)
			return rule_texts[i];
	return "a rule this program does not know";
}

const char *
policy_rule_name(enum policy_rule r)
{
	if ((unsigned)r >= POLICY_RULE_MAX)
		return "unknown";
	return rule_names[r];
}

/* ---- scanning ---- */

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	return (c | 0x20) - 'a' + 10;
}

/*
 * Decodes the raw bytes of a JSON string (between its quotes, as jscan
 * checked them) into out, NUL-terminated. Escapes matter: "\u0074ype" is
 * "type", and a custom property spelled with escapes must still be found.
 * Code points above U+007F come out as UTF-8 (a surrogate as U+FFFD); none
 * can match the ASCII names compared here. -1 if it does not fit; out then
 * holds a prefix, which is enough to match a strip entry like "x_*".
 */
static int
jstr_decode(const char *s, size_t n, char *out, size_t cap)
{
	size_t i = 0, o = 0;
	unsigned cp;

	while (i < n) {
		if (o + 4 >= cap) {
			out[o] = '\0';
			return -1;
		}
		if (s[i] != '\\') {
			out[o++] = s[i++];
			continue;
		}
		switch (s[i + 1]) {
		case 'b': out[o++] = '\b'; break;
		case 'f': out[o++] = '\f'; break;
		case 'n': out[o++] = '\n'; break;
		case 'r': out[o++] = '\r'; break;
		case 't': out[o++] = '\t'; break;
		case 'u':
			cp = (unsigned)(hexval(s[i + 2]) << 12 | hexval(s[i + 3]) << 8 |
			    hexval(s[i + 4]) << 4 | hexval(s[i + 5]));
			if (cp >= 0xd800 && cp <= 0xdfff)
				cp = 0xfffd;
			if (cp < 0x80) {
				out[o++] = (char)cp;
			} else if (cp < 0x800) {
				out[o++] = (char)(0xc0 | cp >> 6);
				out[o++] = (char)(0x80 | (cp & 0x3f));
			} else {
				out[o++] = (char)(0xe0 | cp >> 12);
				out[o++] = (char)(0x80 | ((cp >> 6) & 0x3f));
				out[o++] = (char)(0x80 | (cp & 0x3f));
			}
			i += 4;
			break;
		default: out[o++] = s[i + 1]; break;
		}
		i += 2;
	}
	out[o] = '\0';
	return 0;
}

/* A string value's decoded text into out; -LSN_EINVAL naming key if it is not a string. */
static int
string_value(struct jscan *js, const char *key, char *out, size_t cap, struct err *err)
{
	const char *s, *e;
	int r;

	if ((r = jscan_value(js, &s, &e, err)) < 0)
		return r;
	if (*s != '"' || jstr_decode(s + 1, (size_t)(e - s - 2), out, cap) < 0)
		return err_set(err, LSN_EINVAL, "property '%s' must be a string of at most %zu "
		    "bytes", key, cap - 1);
	return 0;
}

static int
is_required(const char *name)
{
	return strcmp(name, "type") == 0 || strcmp(name, "id") == 0 ||
	    strcmp(name, "spec_version") == 0 || strcmp(name, "created") == 0 ||
	    strcmp(name, "modified") == 0;
}

/* 1 if d's strip list removes the top-level property name. */
static int
strip_match(const struct agr_dir *d, const char *name)
{
	size_t i, n;

	if (is_required(name))
		return 0;
	for (i = 0; i < d->n_strip; i++) {
		n = strlen(d->strip[i]);
		if (n > 0 && d->strip[i][n - 1] == '*') {
			if (strncmp(name, d->strip[i], n - 1) == 0)
				return 1;
		} else if (strcmp(name, d->strip[i]) == 0) {
			return 1;
		}
	}
	return 0;
}

struct scan {
	struct policy_obj *o;
	int have_type, have_id;
	int ref_overflow;
};

static int
add_ref(struct scan *sc, const char *id)
{
	if (sc->o->n_refs == POLICY_REFS_MAX) {
		sc->ref_overflow = 1;
		return 0;
	}
	snprintf(sc->o->refs[sc->o->n_refs++], STIX_ID_MAX + 1, "%s", id);
	return 0;
}

/* object_marking_refs: ["marking-definition--...", ...]; the highest TLP among them. */
static int
scan_marking_refs(struct jscan *js, enum stix_tlp *tlp, struct err *err)
{
	char id[STIX_ID_MAX + 1];
	enum stix_tlp t;
	int r;

	if ((r = jscan_array_begin(js, err)) < 0)
		return err_set(err, LSN_EINVAL, "property 'object_marking_refs' must be a list");
	while ((r = jscan_array_next(js, err)) == 1) {
		if ((r = string_value(js, "object_marking_refs", id, sizeof(id), err)) < 0)
			return r;
		t = stix_tlp_of_marking(id);
		*tlp = t > *tlp ? t : *tlp;
	}
	return r;
}

/* granular_markings: [{"marking_ref": ..., "selectors": [...]}, {"lang": ...}]. */
static int
scan_granular(struct jscan *js, enum stix_tlp *tlp, struct err *err)
{
	char id[STIX_ID_MAX + 1];
	const char *k, *s, *e;
	size_t kl;
	enum stix_tlp t;
	int r;

	if ((r = jscan_array_begin(js, err)) < 0)
		return err_set(err, LSN_EINVAL, "property 'granular_markings' must be a list");
	while ((r = jscan_array_next(js, err)) == 1) {
		if ((r = jscan_object_begin(js, err)) < 0)
			return err_set(err, LSN_EINVAL, "each granular marking must be an object");
		while ((r = jscan_object_next(js, &k, &kl, err)) == 1) {
			if (kl == 11 && memcmp(k, "marking_ref", 11) == 0) {
				if ((r = string_value(js, "marking_ref", id, sizeof(id), err)) < 0)
					return r;
				t = stix_tlp_of_marking(id);
				*tlp = t > *tlp ? t : *tlp;
			} else if ((r = jscan_value(js, &s, &e, err)) < 0) {
				return r;
			}
		}
		if (r < 0)
			return r;
	}
	return r;
}

static int
scan_ref_list(struct scan *sc, struct jscan *js, const char *key, struct err *err)
{
	char id[STIX_ID_MAX + 1];
	int r;

	if ((r = jscan_array_begin(js, err)) < 0)
		return err_set(err, LSN_EINVAL, "property '%s' must be a list", key);
	while ((r = jscan_array_next(js, err)) == 1) {
		if ((r = string_value(js, key, id, sizeof(id), err)) < 0)
			return r;
		add_ref(sc, id);
	}
	return r;
}

/* One top-level member: the value is read only for the properties a decision needs. */
static int
scan_member(struct scan *sc, struct jscan *js, const char *name, const struct agr_dir *d,
    struct err *err)
{
	struct policy_obj *o = sc->o;
	char id[STIX_ID_MAX + 1];
	const char *s, *e;

	if (d != NULL && strip_match(d, name))
		o->strip_hits++;
	if (strcmp(name, "type") == 0 || strcmp(name, "id") == 0) {
		int *have = name[0] == 't' ? &sc->have_type : &sc->have_id;

		if ((*have)++)
			return err_set(err, LSN_EINVAL, "property '%s' appears twice", name);
		return name[0] == 't' ? string_value(js, name, o->type, sizeof(o->type), err) :
		    string_value(js, name, o->id, sizeof(o->id), err);
	}
	if (strcmp(name, "object_marking_refs") == 0)
		return scan_marking_refs(js, &o->tlp, err);
	if (strcmp(name, "granular_markings") == 0)
		return scan_granular(js, &o->granular_tlp, err);
	if (strcmp(name, "source_ref") == 0 || strcmp(name, "target_ref") == 0 ||
	    strcmp(name, "sighting_of_ref") == 0) {
		int r = string_value(js, name, id, sizeof(id), err);

		return r < 0 ? r : add_ref(sc, id);
	}
	if (strcmp(name, "where_sighted_refs") == 0 || strcmp(name, "observed_data_refs") == 0)
		return scan_ref_list(sc, js, name, err);
	return jscan_value(js, &s, &e, err);
}

int
policy_scan(const char *json, size_t len, const struct agr_dir *d, struct policy_obj *o,
    struct err *err)
{
	struct scan sc = { o, 0, 0, 0 };
	struct jscan js;
	char name[STIX_TYPE_MAX + 1];
	const char *k;
	size_t kl;
	int r;

	memset(o, 0, sizeof(*o));
	jscan_init(&js, json, len, SCAN_DEPTH);
	if ((r = jscan_object_begin(&js, err)) < 0)
		return r;
	while ((r = jscan_object_next(&js, &k, &kl, err)) == 1) {
		/* A longer name keeps its prefix: strip prefixes still match it. */
		(void)jstr_decode(k, kl, name, sizeof(name));
		if ((r = scan_member(&sc, &js, name, d, err)) < 0)
			return r;
	}
	if (r < 0 || (r = jscan_end(&js, err)) < 0)
		return r;
	if (!sc.have_type || !sc.have_id)
		return err_set(err, LSN_EINVAL, "the object has no '%s'", sc.have_type ? "id" : "type");
	if (strcmp(o->type, "relationship") != 0 && strcmp(o->type, "sighting") != 0) {
		o->n_refs = 0;
		return 0;
	}
	/* Fail closed: a reference the decision cannot see could not be checked. */
	if (sc.ref_overflow)
		return err_set(err, LSN_ETOOBIG, "%.80s has more than %d references to check; "
		    "policy cannot decide it", o->id, POLICY_REFS_MAX);
	return 0;
}

/* ---- deciding ---- */

static int
type_allowed(const struct agr_dir *d, const char *type)
{
	size_t i;

	for (i = 0; i < d->n_types; i++) {
		if ((d->types[i][0] == '*' && d->types[i][1] == '\0') ||
		    strcmp(d->types[i], type) == 0)
			return 1;
	}
	return 0;
}

static enum stix_tlp
tlp_max(enum stix_tlp a, enum stix_tlp b)
{
	return a > b ? a : b;
}

static int
decide(struct policy_decision *ret, enum policy_rule rule, enum stix_tlp tlp, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

static int
decide(struct policy_decision *ret, enum policy_rule rule, enum stix_tlp tlp, const char *fmt,
    ...)
{
	va_list ap;

	ret->rule = rule;
	ret->tlp = tlp;
	ret->strip = 0;
	va_start(ap, fmt);
	vsnprintf(ret->reason, sizeof(ret->reason), fmt, ap);
	va_end(ap);
	return 0;
}

/*
 * The TLP a decision uses: the object's own, else the direction's assumption;
 * for an object received from a third partner, the stricter of that
 * partner's assumption and ours.
 */
static enum stix_tlp
resolve_tlp(const struct agr_dir *d, const struct agr_dir *origin, const struct policy_obj *o)
{
	if (o->tlp != STIX_TLP_NONE)
		return o->tlp;
	return origin != NULL ? tlp_max(d->unmarked, origin->unmarked) : d->unmarked;
}

/* "is TLP:AMBER" or "is unmarked, taken as TLP:AMBER". */
static const char *
tlp_words(const struct policy_obj *o, enum stix_tlp t, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s%s", o->tlp == STIX_TLP_NONE ? "is unmarked, taken as " : "is ",
	    stix_tlp_name(t));
	return buf;
}

/* The TLP rules, in order: RED, granular, ceiling. 1 if one of them refused. */
static int
egress_tlp(const struct agr_dir *d, const struct policy_obj *o, enum stix_tlp t,
    struct policy_decision *ret)
{
	char w[64];

	if (t == STIX_TLP_RED)
		return !decide(ret, POLICY_TLP_RED, t, "%s %s, and RED never leaves on its own.",
		    o->id, tlp_words(o, t, w, sizeof(w)));
	if (o->granular_tlp == STIX_TLP_RED)
		return !decide(ret, POLICY_TLP_RED, t, "%s has a part marked TLP:RED, and RED "
		    "never leaves on its own.", o->id);
	if (o->granular_tlp > d->max_tlp)
		return !decide(ret, POLICY_GRANULAR, t, "%s has a part marked %s, above %s, this "
		    "direction's ceiling, so the whole object stays home.", o->id,
		    stix_tlp_name(o->granular_tlp), stix_tlp_name(d->max_tlp));
	if (t > d->max_tlp)
		return !decide(ret, POLICY_TLP_CEILING, t, "%s %s, above %s, the highest this "
		    "direction allows.", o->id, tlp_words(o, t, w, sizeof(w)),
		    stix_tlp_name(d->max_tlp));
	return 0;
}

int
policy_egress(const struct agr_dir *d, const struct agr_dir *origin,
    const struct policy_obj *o, policy_ref_fn ref, void *arg, struct policy_decision *ret,
    struct err *err)
{
	enum stix_tlp t;
	size_t i;
	int r;

	if (d == NULL)
		return decide(ret, POLICY_NO_AGREEMENT, STIX_TLP_NONE, "There is no agreement "
		    "with this partner, so %s stays home.", o->id);
	t = resolve_tlp(d, origin, o);
	if (egress_tlp(d, o, t, ret))
		return 0;
	if (!type_allowed(d, o->type))
		return decide(ret, POLICY_TYPE, t, "%s is of type %s, which this direction does "
		    "not allow.", o->id, o->type);
	if (origin != NULL && tlp_max(t, o->granular_tlp) > STIX_TLP_GREEN)
		return decide(ret, POLICY_FORWARD, t, "%s came from another partner and is %s; "
		    "only TLP:CLEAR and TLP:GREEN may be passed on.", o->id,
		    stix_tlp_name(tlp_max(t, o->granular_tlp)));
	if (origin != NULL && !origin->forwardable)
		return decide(ret, POLICY_FORWARD, t, "%s came from another partner whose "
		    "agreement does not allow passing it on.", o->id);
	for (i = 0; ref != NULL && i < o->n_refs; i++) {
		r = ref(arg, o->refs[i]);
		if (r < 0) {
			err_prefix(err, "%.80s: checking %.80s: ", o->id, o->refs[i]);
			return r;
		}
		if (r == 0)
			return decide(ret, POLICY_REF, t, "%s refers to %s, which may not go to "
			    "this partner.", o->id, o->refs[i]);
	}
	decide(ret, POLICY_ALLOW, t, "%s is %s and may go%s.", o->id, stix_tlp_name(t),
	    o->strip_hits > 0 ? ", with properties removed first" : "");
	ret->strip = o->strip_hits > 0;
	return 0;
}

int
policy_ingress(const struct agr_dir *d, const struct policy_obj *o,
    struct policy_decision *ret)
{
	enum stix_tlp t;
	char w[64];

	if (d == NULL)
		return decide(ret, POLICY_NO_AGREEMENT, STIX_TLP_NONE, "There is no agreement "
		    "with this partner, so %s is not taken.", o->id);
	t = resolve_tlp(d, NULL, o);
	if (t == STIX_TLP_RED)
		return decide(ret, POLICY_TLP_RED, t, "%s %s: RED is never sent between nodes, "
		    "so it is not taken.", o->id, tlp_words(o, t, w, sizeof(w)));
	if (o->granular_tlp == STIX_TLP_RED)
		return decide(ret, POLICY_TLP_RED, t, "%s has a part marked TLP:RED: RED is never "
		    "sent between nodes, so it is not taken.", o->id);
	if (!type_allowed(d, o->type))
		return decide(ret, POLICY_TYPE, t, "%s is of type %s, which this direction does "
		    "not allow in.", o->id, o->type);
	return decide(ret, POLICY_ALLOW, t, "%s is %s and may come in.", o->id,
	    stix_tlp_name(t));
}

/* ---- stripping ---- */

/*
 * Keeps the bytes before the first member, each kept member with the
 * separator that preceded it in the input (the first kept one without:
 * it takes the place of the first member), and the bytes after the last
 * member. So removing the first, a middle or the last member leaves
 * valid JSON and every kept byte where it was relative to its neighbours.
 */
int
policy_strip(const char *json, size_t len, const struct agr_dir *d, struct buf *out,
    struct err *err)
{
	struct jscan js;
	char name[STIX_TYPE_MAX + 1];
	const char *k, *vs, *ve, *head_end = NULL, *prev_end = NULL;
	size_t kl, start_len = out->len;
	int r, kept = 0;

	jscan_init(&js, json, len, SCAN_DEPTH);
	if ((r = jscan_object_begin(&js, err)) < 0)
		return r;
	while ((r = jscan_object_next(&js, &k, &kl, err)) == 1) {
		const char *ms = k - 1;   /* the key's opening quote */

		if ((r = jscan_value(&js, &vs, &ve, err)) < 0)
			goto fail;
		if (head_end == NULL) {
			head_end = ms;
			if ((r = buf_add(out, json, (size_t)(ms - json))) < 0)
				goto fail;
		}
		(void)jstr_decode(k, kl, name, sizeof(name));
		if (!strip_match(d, name)) {
			const char *from = kept ? prev_end : ms;

			if ((r = buf_add(out, from, (size_t)(ve - from))) < 0)
				goto fail;
			kept = 1;
		}
		prev_end = ve;
	}
	if (r < 0 || (r = jscan_end(&js, err)) < 0)
		goto fail;
	if (head_end == NULL)
		return buf_add(out, json, len);
	/* kept members carry their separators; the tail is whatever followed the last */
	r = buf_add(out, prev_end, (size_t)(json + len - prev_end));
	if (r < 0)
		goto fail;
	return 0;
fail:
	out->len = start_len;
	if (out->data != NULL)
		out->data[start_len] = '\0';
	if (r == -LSN_ETOOBIG)
		err_set(err, LSN_ETOOBIG, "the stripped object does not fit in the buffer");
	return r;
}
