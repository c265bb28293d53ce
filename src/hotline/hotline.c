/*
 * Cases in the store (hotline.h, docs/hotline.md): steps as STIX bundles
 * (encode, decode), the store writes of the fold that case_fold (case.c)
 * decides, the case as JSON. Never decides a transition itself.
 */
#include "hotline/hotline.h"

#include "crypto/cx.h"
#include "wire/envelope.h"
#include "util/enc.h"
#include "util/err.h"
#include "util/ts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BODY_MAX (8u * 1024 * 1024)   /* one step's bundle */

static const uint8_t zero32[32];


int
hotline_env_kind(enum case_kind kind, enum case_step step)
{
	switch (step) {
	case STEP_OPEN:
		return kind == CASE_ASSISTANCE || kind == CASE_PRESERVATION ||
		    kind == CASE_EMERGENCY ? ENV_REQUEST : ENV_NOTIFY;
	case STEP_ACK:
	case STEP_START:
		return ENV_ACK;
	case STEP_WITHDRAW:
		return ENV_WITHDRAW;
	default:
		return ENV_RESPONSE;
	}
}

/* ---- the bundle of a step ---- */

static json_t *
markings(enum stix_tlp tlp)
{
	return json_pack("[s]", stix_tlp_marking_id(tlp));
}

/* The identity and extension definition every opening carries (fixed ids and times). */
static int
add_definitions(json_t *objs)
{
	static const char t0[] = "2026-11-01T00:00:00.000Z";
	json_t *id, *ext;

	id = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "type", "identity",
	    "spec_version", "2.1", "id", HOTLINE_IDENTITY_ID, "created", t0, "modified", t0,
	    "name", "liaison", "identity_class", "system");
	ext = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[s]}",
	    "type", "extension-definition", "spec_version", "2.1", "id", HOTLINE_EXT_ID,
	    "created_by_ref", HOTLINE_IDENTITY_ID, "created", t0, "modified", t0,
	    "name", "liaison hotline case",
	    "description", "A step of a liaison hotline case between two partner agencies: "
	    "the case it belongs to, the step, and the step it follows.",
	    "schema", "liaison docs/hotline.md, 'The liaison extension': on a step's note or "
	    "opinion, case (the incident id), step (open, ack, start, request_info, provide_info, "
	    "respond, mla_sent, refuse, withdraw, close) and prev (hex SHA-256 of the bundle of the "
	    "step it follows; empty for open); on the incident, case_kind, details and deadlines "
	    "(ack_by, respond_by, preserve_until: timestamps or null).",
	    "version", "1.0", "extension_types", "property-extension");
	if (id == NULL || ext == NULL || json_array_append_new(objs, id) < 0 ||
	    json_array_append_new(objs, ext) < 0)
		return -LSN_ENOMEM;
	return 0;
}

/* The object that carries a step: a note, or an opinion for ack and refuse. */
static int
add_step_object(json_t *objs, const char *case_id, enum stix_tlp tlp, enum case_step step,
    const char *text, const uint8_t prev[32], int64_t now_us, struct err *err)
{
	char uuid[CX_UUID_LEN], id[STIX_ID_MAX + 1], t[TS_US_LEN], prev_hex[65] = "";
	const char *type = step == STEP_ACK || step == STEP_REFUSE ? "opinion" : "note";
	json_t *o, *ext;
	int r;

	if ((r = cx_uuid4(uuid)) < 0)
		return err_set(err, -r, "hotline: no random numbers for an id");
	snprintf(id, sizeof(id), "%s--%s", type, uuid);
	ts_format_us(now_us, t);
	if (memcmp(prev, zero32, 32) != 0)
		hex_encode(prev, 32, prev_hex);
	ext = json_pack("{s:s, s:s, s:s, s:s}", "extension_type", "property-extension",
	    "case", case_id, "step", case_step_name(step), "prev", prev_hex);
	o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", type, "spec_version", "2.1", "id", id,
	    "created", t, "modified", t);
	if (o == NULL || ext == NULL)
		goto nomem;
	if (text == NULL || text[0] == '\0')
		text = case_step_name(step);
	if (strcmp(type, "opinion") == 0) {
		if (json_object_set_new(o, "opinion", json_string(step == STEP_ACK ? "neutral" :
		    "strongly-disagree")) < 0 || json_object_set_new(o, "explanation",
		    json_string(text)) < 0)
			goto nomem;
	} else if (json_object_set_new(o, "abstract", json_string(case_step_name(step))) < 0 ||
	    json_object_set_new(o, "content", json_string(text)) < 0) {
		goto nomem;
	}
	if (json_object_set_new(o, "object_refs", json_pack("[s]", case_id)) < 0 ||
	    json_object_set_new(o, "object_marking_refs", markings(tlp)) < 0 ||
	    json_object_set_new(o, "extensions", json_pack("{s:O}", HOTLINE_EXT_ID, ext)) < 0 ||
	    json_array_append_new(objs, o) < 0)
		goto nomem_o;
	json_decref(ext);
	return 0;
nomem:
	json_decref(o);
nomem_o:
	json_decref(ext);
	return err_set(err, LSN_ENOMEM, "hotline: out of memory");
}

static int
bundle_new(json_t **ret_bundle, json_t **ret_objs, struct err *err)
{
	char uuid[CX_UUID_LEN], id[64];

	if (cx_uuid4(uuid) < 0)
		return err_set(err, LSN_EIO, "hotline: no random numbers for an id");
	snprintf(id, sizeof(id), "bundle--%s", uuid);
	*ret_objs = json_array();
	*ret_bundle = json_pack("{s:s, s:s, s:o}", "type", "bundle", "id", id, "objects", *ret_objs);
	return *ret_bundle ? 0 : err_set(err, LSN_ENOMEM, "hotline: out of memory");
}

static int
bundle_bytes(json_t *bundle, char **ret, size_t *ret_len, struct err *err)
{
	*ret = json_dumps(bundle, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (*ret == NULL)
		return err_set(err, LSN_ENOMEM, "hotline: out of memory");
	*ret_len = strlen(*ret);
	if (*ret_len > BODY_MAX) {
		free(*ret);
		return err_set(err, LSN_ETOOBIG, "hotline: the step's bundle is %zu bytes, more "
		    "than the %u a step may carry", *ret_len, BODY_MAX);
	}
	return 0;
}

/* ---- the fold ---- */

struct steps {
	struct store_step *v;
	size_t n, cap;
};

static int
steps_take(void *arg, const struct store_step *x)
{
	struct steps *ss = arg;

	if (ss->n == ss->cap) {
		size_t cap = ss->cap ? 2 * ss->cap : 16;
		struct store_step *v = realloc(ss->v, cap * sizeof(*v));
		if (v == NULL)
			return -LSN_ENOMEM;
		ss->v = v;
		ss->cap = cap;
	}
	ss->v[ss->n] = *x;
	ss->v[ss->n].body = NULL;
	ss->v[ss->n].len = 0;
	ss->n++;
	return 0;
}

static int
steps_load(struct store *s, const char *case_id, struct steps *ss, struct err *err)
{
	int r;

	memset(ss, 0, sizeof(*ss));
	r = store_step_scan(s, case_id, 0, steps_take, ss, err);
	if (r == -LSN_ENOMEM)
		return err_set(err, LSN_ENOMEM, "hotline: out of memory");
	return r;
}

/* Who took a step, seen from this node: its own steps carry this node's role. */
static enum case_role
step_role(const struct store_case *c, const struct store_step *x)
{
	if (x->dir == STORE_OUT)
		return (enum case_role)c->role;
	return c->role == CASE_OPENER ? CASE_RECEIVER : CASE_OPENER;
}

_Static_assert((int)CASE_VERDICT_EFFECTIVE == STEP_EFFECTIVE &&
    (int)CASE_VERDICT_SUPERSEDED == STEP_SUPERSEDED &&
    (int)CASE_VERDICT_REFUSED == STEP_REFUSED, "a verdict is stored as a step status");
_Static_assert(CASE_REASON_MAX == sizeof(((struct store_step *)0)->reason),
    "a verdict's reason is stored whole");

/* The verdict of one step, asked of fold by the step's hash. */
struct verdict_of {
	const uint8_t *hash;          /* NULL: none asked */
	int status;                   /* enum store_step_status */
	char reason[256];
};

/* The case's steps and, beside them, what the fold reads and writes of each. */
struct fold_work {
	struct steps ss;
	struct case_move *mv;
	struct case_judged *jd;
};

static int
fold_load(struct store *s, const struct store_case *c, struct fold_work *w, struct err *err)
{
	size_t i, n;
	int r;

	w->mv = NULL;
	w->jd = NULL;
	if ((r = steps_load(s, c->id, &w->ss, err)) < 0)
		return r;
	n = w->ss.n ? w->ss.n : 1;
	w->mv = malloc(n * sizeof(*w->mv));
	w->jd = malloc(n * sizeof(*w->jd));
	if (w->mv == NULL || w->jd == NULL)
		return err_set(err, LSN_ENOMEM, "hotline: out of memory");
	for (i = 0; i < w->ss.n; i++) {
		const struct store_step *x = &w->ss.v[i];
		w->mv[i].role = step_role(c, x);
		w->mv[i].step = (enum case_step)x->step;
		memcpy(w->mv[i].hash, x->hash, 32);
		memcpy(w->mv[i].prev, x->prev, 32);
		w->mv[i].time_us = x->time_us;
		w->mv[i].recorded_us = x->recorded_us;
	}
	return 0;
}

static void
fold_release(struct fold_work *w)
{
	free(w->mv);
	free(w->jd);
	free(w->ss.v);
}

/* Stores the verdicts that changed; vo (may be NULL) gets the one it names. */
static int
fold_apply_steps(struct store *s, const struct fold_work *w, struct verdict_of *vo,
    struct err *err)
{
	size_t i;
	int r;

	for (i = 0; i < w->ss.n; i++) {
		const struct store_step *x = &w->ss.v[i];
		const struct case_judged *j = &w->jd[i];
		if (((int)j->verdict != x->status || strcmp(j->reason, x->reason) != 0) &&
		    (r = store_step_set_status(s, x->rowid, (int)j->verdict, j->reason, err)) < 0)
			return r;
		if (vo != NULL && vo->hash != NULL && memcmp(x->hash, vo->hash, 32) == 0) {
			vo->status = (int)j->verdict;
			snprintf(vo->reason, sizeof(vo->reason), "%s", j->reason);
		}
	}
	return 0;
}

/* Stores the case as the fold left it. */
static int
fold_apply_case(struct store *s, struct store_case *c, const struct case_folded *f,
    const struct agr_hotline *terms, struct err *err)
{
	struct case_deadlines d;

	c->state = f->state;
	c->acked_us = f->acked_us;
	c->updated_us = f->updated_us;
	/*
	 * Until an MLA step, the preservation clock is the one the opening
	 * set (on the receiver: what the opener signed), not this node's terms.
	 */
	if (f->mla_sent_us != 0) {
		case_deadlines((enum case_kind)c->kind, terms, c->opened_us, f->mla_sent_us, &d);
		if (d.preserve_until != c->preserve_until)
			c->reminded = 0;   /* the new expiry gets its own reminder */
		c->preserve_until = d.preserve_until;
		c->remind_at = d.remind_at;
	}
	c->next_check_us = hotline_next_check(c, NULL);
	return store_case_put(s, c, err);
}

/*
 * Folds the case's steps into c (decide: case_fold) and stores the result
 * (apply): each step's verdict where it changed, then the case. vo (may be
 * NULL) gets the verdict of the step it names. terms give the preservation
 * period that an MLA step restarts.
 */
static int
fold(struct store *s, struct store_case *c, const struct agr_hotline *terms,
    struct verdict_of *vo, struct err *err)
{
	struct fold_work w;
	struct case_folded f;
	int r;

	if ((r = fold_load(s, c, &w, err)) < 0)
		goto out;
	if ((r = case_fold((enum case_kind)c->kind, w.mv, w.ss.n, w.jd, &f, err)) < 0) {
		r = err_set(err, LSN_EINVAL, "hotline: case %s has no opening step", c->id);
		goto out;
	}
	if ((r = fold_apply_steps(s, &w, vo, err)) == 0)
		r = fold_apply_case(s, c, &f, terms, err);
out:
	fold_release(&w);
	return r;
}

/* The hash of the case's last effective step (the chain's end). */
static int
chain_end(struct store *s, const char *case_id, uint8_t out[32], struct err *err)
{
	struct steps ss;
	size_t i;
	int r, found = 0;

	if ((r = steps_load(s, case_id, &ss, err)) < 0)
		return r;
	if (ss.n >= HOTLINE_STEPS_MAX)
		r = err_set(err, LSN_ETOOBIG, "case %s holds %zu steps, the most a case may hold",
		    case_id, ss.n);
	/* effective steps are stored in chain order */
	for (i = 0; i < ss.n; i++)
		if (ss.v[i].status == STEP_EFFECTIVE) {
			memcpy(out, ss.v[i].hash, 32);
			found = 1;
		}
	free(ss.v);
	if (r == 0 && !found)
		r = err_set(err, LSN_EINVAL, "hotline: case %s has no effective step", case_id);
	return r;
}

static int
store_step(struct store *s, const struct store_case *c, int dir, enum case_step step,
    int env_kind, const uint8_t prev[32], int64_t time_us, int64_t now_us, uint64_t env_seq,
    const char *body, size_t len, struct err *err)
{
	struct store_step x;

	memset(&x, 0, sizeof(x));
	snprintf(x.case_id, sizeof(x.case_id), "%s", c->id);
	x.partner = c->partner;
	x.dir = dir;
	cx_sha256(body, len, x.hash);
	memcpy(x.prev, prev, 32);
	x.step = step;
	x.env_kind = env_kind;
	x.time_us = time_us;
	x.recorded_us = now_us;
	x.status = STEP_EFFECTIVE;
	x.env_seq = env_seq;
	x.body = (const uint8_t *)body;
	x.len = len;
	return store_step_add(s, &x, err);
}

/* ---- this node's steps ---- */

static int
attach_objects(json_t *objs, json_t *refs, const char *bytes, size_t len, struct err *err)
{
	json_t *bundle = NULL, *o;
	size_t i;
	int r;

	if ((r = stix_parse_bundle(bytes, len, &bundle, err)) < 0)
		return err_prefix(err, "the bundle to attach: "), r;
	json_array_foreach(json_object_get(bundle, "objects"), i, o) {
		if (json_array_append(objs, o) < 0 ||
		    json_array_append(refs, json_object_get(o, "id")) < 0) {
			json_decref(bundle);
			return err_set(err, LSN_ENOMEM, "hotline: out of memory");
		}
	}
	json_decref(bundle);
	return 0;
}

static int
nomem(struct err *err)
{
	return err_set(err, LSN_ENOMEM, "hotline: out of memory");
}

/* The deadlines case_deadlines gives c's kind under terms from opened_us go into c. */
static void
case_set_deadlines(struct store_case *c, const struct agr_hotline *terms, int64_t opened_us,
    struct case_deadlines *ret)
{
	case_deadlines((enum case_kind)c->kind, terms, opened_us, 0, ret);
	c->ack_by = ret->ack_by;
	c->respond_by = ret->respond_by;
	c->preserve_until = ret->preserve_until;
	c->remind_at = ret->remind_at;
}

/* The case this node opens; uuid gets the random part of its id (its grouping shares it). */
static int
open_case(const struct hotline_open *o, const char *summary, char uuid[CX_UUID_LEN],
    struct store_case *c, struct err *err)
{
	struct case_deadlines d;
	int r;

	memset(c, 0, sizeof(*c));
	if ((r = cx_uuid4(uuid)) < 0)
		return err_set(err, -r, "hotline: no random numbers for an id");
	snprintf(c->id, sizeof(c->id), "incident--%s", uuid);
	c->partner = o->p->rowid;
	c->role = CASE_OPENER;
	c->kind = o->kind;
	c->state = CASE_OPENED;
	c->opened_us = o->now_us;
	c->tlp = o->tlp;
	snprintf(c->summary, sizeof(c->summary), "%s", summary);
	case_set_deadlines(c, o->terms, o->now_us, &d);
	return 0;
}

/* The incident that is the case, with its kind, details and signed deadlines. */
static json_t *
opening_incident(const struct hotline_open *o, const struct store_case *c, const char *t,
    const char *summary, json_t *details)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:{s:{s:s, s:s, s:O, s:{s:o, s:o, "
	    "s:o}}}}",
	    "type", "incident", "spec_version", "2.1", "id", c->id, "created", t, "modified", t,
	    "name", summary, "object_marking_refs", markings(o->tlp), "extensions",
	    HOTLINE_EXT_ID, "extension_type", "property-extension", "case_kind",
	    case_kind_name(o->kind), "details", details, "deadlines",
	    "ack_by", hotline_time_json(c->ack_by), "respond_by", hotline_time_json(c->respond_by),
	    "preserve_until", hotline_time_json(c->preserve_until));
}

/* The grouping of every object of the opening (its id shares the case's uuid). */
static int
add_grouping(json_t *objs, const struct hotline_open *o, const char *uuid, const char *t,
    const char *summary, json_t *refs)
{
	char gid[STIX_ID_MAX + 1];
	json_t *grp;

	grp = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:O, s:o}", "type", "grouping",
	    "spec_version", "2.1", "id", "", "created", t, "modified", t, "name", summary,
	    "context", "liaison-case", "object_refs", refs, "object_marking_refs",
	    markings(o->tlp));
	if (grp == NULL)
		return -LSN_ENOMEM;
	/* set in place: the id stays the third member */
	snprintf(gid, sizeof(gid), "grouping--%s", uuid);
	json_object_set_new(grp, "id", json_string(gid));
	if (json_array_append_new(objs, grp) < 0)
		return -LSN_ENOMEM;
	return 0;
}

/*
 * The opening's bundle, as bytes: the definitions, the incident, the step's
 * note, the attached objects and the grouping of them all, in that order.
 */
static int
opening_bundle(const struct hotline_open *o, const struct store_case *c, const char *uuid,
    const char *summary, json_t *details, char **ret, size_t *ret_len, struct err *err)
{
	json_t *bundle = NULL, *objs = NULL, *inc = NULL, *refs = NULL;
	char t[TS_US_LEN];
	int r;

	ts_format_us(o->now_us, t);
	if ((r = bundle_new(&bundle, &objs, err)) < 0)
		goto out;
	inc = opening_incident(o, c, t, summary, details);
	refs = json_pack("[s]", c->id);
	if (add_definitions(objs) < 0 || inc == NULL || refs == NULL ||
	    json_array_append(objs, inc) < 0) {
		r = nomem(err);
		goto out;
	}
	if ((r = add_step_object(objs, c->id, o->tlp, STEP_OPEN, summary, zero32, o->now_us,
	    err)) < 0)
		goto out;
	if (json_array_append(refs, json_object_get(json_array_get(objs,
	    json_array_size(objs) - 1), "id")) < 0) {
		r = nomem(err);
		goto out;
	}
	if (o->attach != NULL && (r = attach_objects(objs, refs, o->attach, o->attach_len,
	    err)) < 0)
		goto out;
	if (add_grouping(objs, o, uuid, t, summary, refs) < 0) {
		r = nomem(err);
		goto out;
	}
	r = bundle_bytes(bundle, ret, ret_len, err);
out:
	json_decref(refs);
	json_decref(inc);
	json_decref(bundle);
	return r;
}

int
hotline_open(struct store *s, const struct hotline_open *o, struct store_case *ret,
    struct err *err)
{
	struct store_case c;
	json_error_t je;
	json_t *details;
	char uuid[CX_UUID_LEN], *body = NULL;
	const char *summary;
	size_t len = 0;
	int r;

	if (o->tlp == STIX_TLP_NONE || stix_tlp_marking_id(o->tlp) == NULL)
		return err_set(err, LSN_EINVAL, "a case needs a TLP marking");
	if ((r = case_details_check(o->kind, o->details, o->details_len, err)) < 0)
		return r;
	if ((details = json_loadb(o->details, o->details_len, JSON_REJECT_DUPLICATES, &je)) == NULL)
		return err_set(err, LSN_EINVAL, "the details are not JSON: %s", je.text);
	summary = json_string_value(json_object_get(details, "summary"));
	if ((r = open_case(o, summary, uuid, &c, err)) < 0 ||
	    (r = opening_bundle(o, &c, uuid, summary, details, &body, &len, err)) < 0)
		goto out;
	if ((r = store_case_put(s, &c, err)) < 0 ||
	    (r = store_step(s, &c, STORE_OUT, STEP_OPEN, hotline_env_kind(o->kind, STEP_OPEN),
	    zero32, o->now_us, o->now_us, 0, body, len, err)) < 0 ||
	    (r = fold(s, &c, o->terms, NULL, err)) < 0)
		goto out;
	*ret = c;
out:
	free(body);
	json_decref(details);
	return r;
}

int
hotline_take(struct store *s, const char *key, enum case_step step, const char *text,
    const struct agr_hotline *terms, int64_t now_us, struct store_case *ret, struct err *err)
{
	struct store_case c;
	struct store_partner p;
	enum case_state to;
	uint8_t prev[32];
	json_t *bundle = NULL, *objs = NULL;
	char *body = NULL;
	size_t len = 0;
	int r;

	if ((r = store_case_get(s, key, &c, err)) < 0 ||
	    (r = store_partner_get(s, c.partner, &p, err)) < 0)
		return r;
	if (!p.active)
		return err_set(err, LSN_EINVAL, "case %s is with %s, which was removed: no step "
		    "can reach it", c.id, p.name);
	if (step == STEP_OPEN)
		return err_set(err, LSN_EINVAL, "case %s is open already: a case is opened once",
		    c.id);
	if (text != NULL && strlen(text) > HOTLINE_TEXT_MAX)
		return err_set(err, LSN_ETOOBIG, "the text of a step may hold %d bytes",
		    HOTLINE_TEXT_MAX);
	if (step == STEP_REFUSE && (text == NULL || text[strspn(text, " \t\r\n")] == '\0'))
		return err_set(err, LSN_EINVAL, "a refusal needs its ground (--text or --file)");
	if ((r = case_transition((enum case_kind)c.kind, (enum case_state)c.state,
	    (enum case_role)c.role, step, &to, err)) < 0)
		return err_prefix(err, "case %s: ", c.id), r;
	if ((r = chain_end(s, c.id, prev, err)) < 0)
		return r;
	if ((r = bundle_new(&bundle, &objs, err)) < 0)
		return r;
	if ((r = add_step_object(objs, c.id, (enum stix_tlp)c.tlp, step, text, prev, now_us,
	    err)) < 0 || (r = bundle_bytes(bundle, &body, &len, err)) < 0)
		goto out;
	if ((r = store_step(s, &c, STORE_OUT, step, hotline_env_kind((enum case_kind)c.kind, step),
	    prev, now_us, now_us, 0, body, len, err)) < 0 || (r = fold(s, &c, terms, NULL, err)) < 0)
		goto out;
	*ret = c;
out:
	free(body);
	json_decref(bundle);
	return r;
}

/* ---- the partner's steps ---- */

static json_t *
ext_of(json_t *o)
{
	return json_object_get(json_object_get(o, "extensions"), HOTLINE_EXT_ID);
}

static int
time_of(json_t *o, int64_t *ret, struct err *err)
{
	const char *t = json_string_value(json_object_get(o, "created"));
	struct ts ts;

	if (t == NULL || ts_parse(t, strlen(t), &ts, err) < 0)
		return err_set(err, LSN_EINVAL, "the step has no valid \"created\" time");
	*ret = ts_to_us(&ts);
	return 0;
}

/* One deadline of an opening: a STIX timestamp or null (no such clock). */
static int
deadline_of(json_t *d, const char *name, int64_t *ret, struct err *err)
{
	json_t *v = json_object_get(d, name);
	struct ts ts;

	if (json_is_null(v)) {
		*ret = 0;
		return 0;
	}
	if (!json_is_string(v) || ts_parse(json_string_value(v), json_string_length(v), &ts,
	    err) < 0)
		return err_set(err, LSN_EINVAL, "the opening's deadline \"%s\" is neither a "
		    "timestamp nor null", name);
	*ret = ts_to_us(&ts);
	return 0;
}

/*
 * The deadlines the opener signed: c gets them (the receiver's own terms
 * gave the values c holds on entry; the caller compares).
 */
static int
signed_deadlines(json_t *d, struct store_case *c, struct err *err)
{
	int64_t rb = 0, pu = 0;

	if (!json_is_object(d) || json_object_size(d) != 3)
		return err_set(err, LSN_EINVAL, "the opening's \"deadlines\" must hold ack_by, "
		    "respond_by and preserve_until");
	if (deadline_of(d, "ack_by", &c->ack_by, err) < 0 ||
	    deadline_of(d, "respond_by", &rb, err) < 0 ||
	    deadline_of(d, "preserve_until", &pu, err) < 0)
		return -LSN_EINVAL;
	c->respond_by = rb;
	/* the reminder keeps its distance from the expiry */
	if (pu != 0 && c->preserve_until != 0)
		c->remind_at = pu - (c->preserve_until - c->remind_at);
	c->preserve_until = pu;
	return 0;
}

/* What a step's bundle says of the step itself (decoded, not yet checked against the case). */
struct step_head {
	char case_id[STIX_ID_MAX + 1];   /* "" until known */
	enum case_step step;             /* 0 until known */
	uint8_t prev[32];
	int64_t time_us;
	json_t *stepo;                   /* the object that carries the step, in the bundle */
};

/* The one object of the bundle that carries the liaison extension's "step". */
static int
step_object(json_t *bundle, json_t **ret, struct err *err)
{
	json_t *o, *stepo = NULL;
	size_t i, n = 0;

	json_array_foreach(json_object_get(bundle, "objects"), i, o) {
		if (json_is_string(json_object_get(ext_of(o), "step"))) {
			stepo = o;
			n++;
		}
	}
	if (n != 1)
		return err_set(err, LSN_EINVAL, "a step's bundle holds exactly one object with the "
		    "liaison extension's \"step\"; this one holds %zu", n);
	*ret = stepo;
	return 0;
}

/*
 * Decode: the bundle bytes of a step into h. *ret_bundle gets the parsed
 * bundle whenever it parsed (the caller frees it, h->stepo points into it);
 * h->case_id and h->step are filled as soon as they are known, so a refusal
 * can name them. -LSN_EINVAL says what is malformed.
 */
static int
step_decode(const uint8_t *body, size_t len, json_t **ret_bundle, struct step_head *h,
    struct err *err)
{
	json_error_t je;
	json_t *ext;
	const char *case_id, *stepname, *prevhex;
	enum case_step step;
	int r;

	memset(h, 0, sizeof(*h));
	if ((*ret_bundle = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, &je)) == NULL)
		return err_set(err, LSN_EINVAL, "the step is not JSON: %s", je.text);
	if ((r = step_object(*ret_bundle, &h->stepo, err)) < 0)
		return r;
	ext = ext_of(h->stepo);
	case_id = json_string_value(json_object_get(ext, "case"));
	stepname = json_string_value(json_object_get(ext, "step"));
	prevhex = json_string_value(json_object_get(ext, "prev"));
	if (case_id == NULL || strncmp(case_id, "incident--", 10) != 0 || !stix_id_valid(case_id) ||
	    prevhex == NULL)
		return err_set(err, LSN_EINVAL, "the step names no case (\"case\": an incident id) "
		    "or no \"prev\"");
	snprintf(h->case_id, sizeof(h->case_id), "%s", case_id);
	if (case_step_from_name(stepname, &step) < 0)
		return err_set(err, LSN_EINVAL, "'%.40s' is not a step", stepname);
	h->step = step;
	if ((prevhex[0] != '\0' && (strlen(prevhex) != 64 ||
	    hex_decode(prevhex, 64, h->prev, 32) < 0)) || (step == STEP_OPEN) != (prevhex[0] == '\0'))
		return err_set(err, LSN_EINVAL, "\"prev\" must be the SHA-256 of the step followed "
		    "(64 hex digits), and empty only for the opening");
	return time_of(h->stepo, &h->time_us, err);
}

/* What an opening's incident says of the case. */
struct opening {
	enum case_kind kind;
	enum stix_tlp tlp;            /* the highest marking of the incident; NONE if none */
	json_t *ext;                  /* its liaison extension, in the bundle */
};

/*
 * Decode and check an opening that arrived in an envelope of env_kind:
 * its incident, kind, details and marking. -LSN_EINVAL says what is wrong.
 */
static int
opening_decode(json_t *bundle, const char *case_id, int env_kind, struct opening *ret,
    struct err *err)
{
	json_t *o, *m, *inc = NULL;
	char *details;
	size_t i;
	int r;

	memset(ret, 0, sizeof(*ret));
	json_array_foreach(json_object_get(bundle, "objects"), i, o)
		if (json_is_string(json_object_get(o, "id")) &&
		    strcmp(json_string_value(json_object_get(o, "id")), case_id) == 0)
			inc = o;
	ret->ext = ext_of(inc);
	if (inc == NULL || case_kind_from_name(json_string_value(json_object_get(ret->ext,
	    "case_kind")), &ret->kind) < 0)
		return err_set(err, LSN_EINVAL, "the opening holds no incident %s with a known "
		    "\"case_kind\"", case_id);
	details = json_dumps(json_object_get(ret->ext, "details"), JSON_COMPACT);
	if (details == NULL)
		return err_set(err, LSN_EINVAL, "the opening's incident has no \"details\" object");
	r = case_details_check(ret->kind, details, strlen(details), err);
	free(details);
	if (r < 0)
		return r;
	ret->tlp = STIX_TLP_NONE;
	json_array_foreach(json_object_get(inc, "object_marking_refs"), i, m) {
		enum stix_tlp x = stix_tlp_of_marking(json_string_value(m));
		if (x > ret->tlp)
			ret->tlp = x;
	}
	if (env_kind != hotline_env_kind(ret->kind, STEP_OPEN))
		return err_set(err, LSN_EINVAL, "a %s case opens in a '%s' envelope, not '%s'",
		    case_kind_name(ret->kind), env_kind_name(hotline_env_kind(ret->kind, STEP_OPEN)),
		    env_kind_name(env_kind));
	return 0;
}

/*
 * The partner opens a case: c becomes it, and is stored. 1 with err when
 * the opening is refused (the case exists, or the opening is malformed).
 * found: the store's answer for the case id (0: it exists).
 */
static int
receive_opening(struct store *s, const struct store_partner *p, int env_kind, json_t *bundle,
    const struct step_head *h, int found, const struct agr_hotline *terms, int64_t now_us,
    struct store_case *c, struct hotline_received *ret, struct err *err)
{
	struct opening op;
	struct case_deadlines d;
	int r;

	if (found == 0)
		return err_set(err, LSN_EEXIST, "case %s exists already: a case is opened once",
		    h->case_id), 1;
	if (opening_decode(bundle, h->case_id, env_kind, &op, err) < 0)
		return 1;
	memset(c, 0, sizeof(*c));
	snprintf(c->id, sizeof(c->id), "%s", h->case_id);
	c->partner = p->rowid;
	c->role = CASE_RECEIVER;
	c->kind = op.kind;
	c->state = CASE_OPENED;
	c->opened_us = h->time_us;
	c->receipt_us = now_us;
	c->tlp = op.tlp == STIX_TLP_NONE ? STIX_TLP_AMBER : op.tlp;
	snprintf(c->summary, sizeof(c->summary), "%s",
	    json_string_value(json_object_get(json_object_get(op.ext, "details"), "summary")));
	case_set_deadlines(c, terms, h->time_us, &d);
	/* the opener's signed deadlines hold on both sides; a difference is told */
	if (signed_deadlines(json_object_get(op.ext, "deadlines"), c, err) < 0)
		return 1;
	ret->terms_differ = c->ack_by != d.ack_by || c->respond_by != d.respond_by ||
	    c->preserve_until != d.preserve_until;
	if ((r = store_case_put(s, c, err)) < 0)
		return r;
	ret->opened = 1;
	return 0;
}

/* A later step: 1 with err unless it belongs to a case with p and travels as it should. */
static int
receive_check(const struct store_partner *p, int env_kind, const struct step_head *h, int found,
    const struct store_case *c, struct err *err)
{
	int want;

	if (found == -LSN_ENOTFOUND)
		return err_set(err, LSN_ENOTFOUND, "no case %s here", h->case_id), 1;
	if (c->partner != p->rowid)
		return err_set(err, LSN_EDENIED, "case %s is not a case with %s", h->case_id,
		    p->name), 1;
	want = hotline_env_kind((enum case_kind)c->kind, h->step);
	if (env_kind != want)
		return err_set(err, LSN_EINVAL, "step '%s' travels in a '%s' envelope, not '%s'",
		    case_step_name(h->step), env_kind_name(want), env_kind_name(env_kind)), 1;
	return 0;
}

/* Apply: stores the step and folds the case; 1 with err if the fold refused the step. */
static int
receive_apply(struct store *s, struct store_case *c, const struct step_head *h, int env_kind,
    uint64_t env_seq, const uint8_t *body, size_t len, const struct agr_hotline *terms,
    int64_t now_us, struct hotline_received *ret, struct err *err)
{
	struct verdict_of vo = { NULL, STEP_EFFECTIVE, "" };
	uint8_t hash[32];
	int r;

	cx_sha256(body, len, hash);
	r = store_step(s, c, STORE_IN, h->step, env_kind, h->prev, h->time_us, now_us, env_seq,
	    (const char *)body, len, err);
	if (r == -LSN_EEXIST)
		return err_set(err, LSN_EEXIST, "this step of case %s was received before",
		    h->case_id), 1;
	vo.hash = hash;
	if (r < 0 || (r = fold(s, c, terms, &vo, err)) < 0)
		return r;
	ret->state = c->state;
	ret->status = vo.status;
	if (vo.status == STEP_REFUSED)
		err_set(err, LSN_EINVAL, "%s", vo.reason);
	return ret->status == STEP_REFUSED ? 1 : 0;
}

int
hotline_receive(struct store *s, const struct store_partner *p, int env_kind, uint64_t env_seq,
    const uint8_t *body, size_t len, const struct agr_hotline *terms, int64_t now_us,
    struct hotline_received *ret, struct err *err)
{
	struct step_head h;
	struct store_case c;
	json_t *bundle = NULL;
	int r, found;

	memset(ret, 0, sizeof(*ret));
	r = step_decode(body, len, &bundle, &h, err);
	snprintf(ret->case_id, sizeof(ret->case_id), "%s", h.case_id);
	ret->step = h.step;
	if (r < 0) {
		r = 1;
		goto out;
	}
	if ((found = store_case_get(s, h.case_id, &c, err)) < 0 && found != -LSN_ENOTFOUND) {
		r = found;
		goto out;
	}
	r = h.step == STEP_OPEN ?
	    receive_opening(s, p, env_kind, bundle, &h, found, terms, now_us, &c, ret, err) :
	    receive_check(p, env_kind, &h, found, &c, err);
	if (r == 0)
		r = receive_apply(s, &c, &h, env_kind, env_seq, body, len, terms, now_us, ret, err);
out:
	json_decref(bundle);
	return r;
}

/* ---- escalation ---- */

void
hotline_escalation_default(struct hotline_escalation *e)
{
	static const char *const to[] = { "duty officer", "second contact", "diplomatic POC" };
	size_t i;

	memset(e, 0, sizeof(*e));
	e->n = 3;
	for (i = 0; i < 3; i++) {
		e->pct[i] = (int)i * 50;
		snprintf(e->to[i], sizeof(e->to[i]), "%s", to[i]);
	}
}

int
hotline_escalation_parse(const char *pct, const char *to, struct hotline_escalation *e,
    struct err *err)
{
	const char *p = pct;
	char *end;
	int n = 0, m = 0;

	memset(e, 0, sizeof(*e));
	while (*p != '\0') {
		long v = strtol(p, &end, 10);
		if (end == p || v < 0 || v > 100000 || n == HOTLINE_LEVELS_MAX ||
		    (n > 0 && v <= e->pct[n - 1]))
			return err_set(err, LSN_EINVAL, "escalate_after '%.80s': one to %d percentages "
			    "in increasing order, separated by commas (0,50,100)", pct,
			    HOTLINE_LEVELS_MAX);
		e->pct[n++] = (int)v;
		p = end + strspn(end, " ");
		if (*p == ',')
			p++;
		p += strspn(p, " ");
	}
	if (n == 0)
		return err_set(err, LSN_EINVAL, "escalate_after is empty: give at least one level");
	e->n = n;
	for (p = to; p != NULL && *p != '\0' && m < n; m++) {
		size_t k = strcspn(p, ",");
		const char *q = p;
		while (k > 0 && *q == ' ')
			q++, k--;
		while (k > 0 && q[k - 1] == ' ')
			k--;
		snprintf(e->to[m], sizeof(e->to[m]), "%.*s", (int)k, q);
		p += strcspn(p, ",");
		if (*p == ',')
			p++;
	}
	for (; m < n; m++)
		snprintf(e->to[m], sizeof(e->to[m]), "level %d", m + 1);
	return 0;
}

int
hotline_level(const struct store_case *c, const struct hotline_escalation *e, int64_t now_us)
{
	struct case_deadlines d = { c->ack_by, c->respond_by, c->preserve_until, c->remind_at };

	return case_overdue_level_at((enum case_state)c->state, &d, c->opened_us, now_us, e->pct,
	    e->n);
}

/* The first moment after a level above `above` is reached on one clock (0: none). */
static int64_t
clock_next(int64_t deadline, int64_t opened, int above, const struct hotline_escalation *e)
{
	__int128 span = (__int128)deadline - opened, t;

	if (deadline == 0)
		return 0;
	if (e == NULL)
		return above == 0 ? deadline + 1 : 0;
	if (above >= e->n)
		return 0;
	/* level above+1: late * 100 > span * pct, i.e. late = floor(span * pct / 100) + 1 */
	t = (__int128)deadline + span * e->pct[above] / 100 + 1;
	return t > INT64_MAX ? INT64_MAX : (int64_t)t;
}

static int64_t
earliest(int64_t a, int64_t b)
{
	return a == 0 ? b : b == 0 ? a : a < b ? a : b;
}

int64_t
hotline_next_check(const struct store_case *c, const struct hotline_escalation *e)
{
	int64_t t = 0;
	int above = e == NULL ? 0 : c->level;

	if (case_state_final((enum case_state)c->state))
		return 0;
	if (case_waits_ack((enum case_state)c->state))
		t = clock_next(c->ack_by, c->opened_us, above, e);
	if (case_waits_response((enum case_state)c->state))
		t = earliest(t, clock_next(c->respond_by, c->opened_us, above, e));
	if (c->role == CASE_OPENER && c->remind_at != 0 && !c->reminded)
		t = earliest(t, c->remind_at);
	return t;
}

/* ---- the pledge ---- */

struct pledge_acc {
	int64_t *rc, *ack;
	size_t n_rc, n_ack, cap;
};

static int
pledge_case(void *arg, const struct store_case *c)
{
	struct pledge_acc *a = arg;

	/*
	 * The query passes only cases this node opened. A case adds at most
	 * one to each list: grow both before either is full.
	 */
	if (a->n_rc == a->cap || a->n_ack == a->cap) {
		size_t cap = a->cap ? 2 * a->cap : 64;
		int64_t *x = realloc(a->rc, cap * sizeof(*x)), *y;
		if (x == NULL)
			return -LSN_ENOMEM;
		a->rc = x;
		if ((y = realloc(a->ack, cap * sizeof(*y))) == NULL)
			return -LSN_ENOMEM;
		a->ack = y;
		a->cap = cap;
	}
	if (c->receipt_us > 0)
		a->rc[a->n_rc++] = c->receipt_us - c->opened_us;
	if (c->acked_us > 0)
		a->ack[a->n_ack++] = c->acked_us - c->opened_us;
	return 0;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest value with at least q percent at or below it. */
static void
quantiles(int64_t *v, size_t n, int64_t *p50, int64_t *p95, int64_t *max)
{
	*p50 = *p95 = *max = 0;
	if (n == 0)
		return;
	qsort(v, n, sizeof(*v), cmp_i64);
	*p50 = v[(n * 50 + 99) / 100 - 1];
	*p95 = v[(n * 95 + 99) / 100 - 1];
	*max = v[n - 1];
}

int
hotline_pledge(struct store *s, int64_t partner, struct hotline_pledge *ret, struct err *err)
{
	struct pledge_acc a = { 0 };
	int r;

	struct store_case_query q;

	memset(ret, 0, sizeof(*ret));
	memset(&q, 0, sizeof(q));
	q.partner = partner;
	q.role = CASE_OPENER;
	q.limit = HOTLINE_PLEDGE_CASES;
	r = store_case_scan(s, &q, pledge_case, &a, err);
	if (r == -LSN_ENOMEM)
		r = err_set(err, LSN_ENOMEM, "hotline: out of memory");
	if (r == 0) {
		ret->n_receipt = a.n_rc;
		ret->n_ack = a.n_ack;
		quantiles(a.rc, a.n_rc, &ret->receipt_p50, &ret->receipt_p95, &ret->receipt_max);
		quantiles(a.ack, a.n_ack, &ret->ack_p50, &ret->ack_p95, &ret->ack_max);
	}
	free(a.rc);
	free(a.ack);
	return r;
}

/* ---- reading a step ---- */

int
hotline_describe(const uint8_t *body, size_t len, struct hotline_step_info *ret)
{
	json_t *bundle, *o, *ext;
	const char *v;
	size_t i;
	int found = 0;

	memset(ret, 0, sizeof(*ret));
	if ((bundle = json_loadb((const char *)body, len, 0, NULL)) == NULL)
		return -LSN_EINVAL;
	json_array_foreach(json_object_get(bundle, "objects"), i, o) {
		ext = ext_of(o);
		if (json_is_string(json_object_get(ext, "case_kind")) &&
		    case_kind_from_name(json_string_value(json_object_get(ext, "case_kind")),
		    &ret->kind) < 0)
			ret->kind = 0;
		if (found || !json_is_string(json_object_get(ext, "step")) ||
		    case_step_from_name(json_string_value(json_object_get(ext, "step")),
		    &ret->step) < 0)
			continue;
		found = 1;
		snprintf(ret->case_id, sizeof(ret->case_id), "%s",
		    json_string_value(json_object_get(ext, "case")) ?: "");
		v = json_string_value(json_object_get(o, json_object_get(o, "content") ? "content" :
		    "explanation"));
		snprintf(ret->text, sizeof(ret->text), "%s", v ? v : "");
	}
	json_decref(bundle);
	return found ? 0 : -LSN_EINVAL;
}

/* ---- JSON ---- */

json_t *
hotline_time_json(int64_t us)
{
	char t[TS_US_LEN];

	if (us == 0)
		return json_null();
	ts_format_us(us, t);
	return json_string(t);
}

json_t *
hotline_pledge_json(const struct hotline_pledge *pl, int ack)
{
	size_t n = ack ? pl->n_ack : pl->n_receipt;

	if (n == 0)
		return json_pack("{s:i}", "cases", 0);
	return json_pack("{s:I,s:f,s:f,s:f}", "cases", (json_int_t)n,
	    "p50_s", (ack ? pl->ack_p50 : pl->receipt_p50) / 1e6,
	    "p95_s", (ack ? pl->ack_p95 : pl->receipt_p95) / 1e6,
	    "worst_s", (ack ? pl->ack_max : pl->receipt_max) / 1e6);
}

struct steps_json {
	const struct store_case *c;
	const char *partner;
	json_t *arr;
	json_t *details;
};

static int
step_json(void *arg, const struct store_step *x)
{
	static const char *const status[] = { "effective", "superseded", "refused" };
	struct steps_json *sj = arg;
	json_t *bundle, *o, *ext, *j;
	const char *text = NULL;
	char hex[65];
	size_t i;

	bundle = json_loadb((const char *)x->body, x->len, 0, NULL);
	json_array_foreach(json_object_get(bundle, "objects"), i, o) {
		ext = ext_of(o);
		if (json_is_string(json_object_get(ext, "step")))
			text = json_string_value(json_object_get(o, json_object_get(o, "content") ?
			    "content" : "explanation"));
		if (x->step == STEP_OPEN && sj->details == NULL && json_is_string(json_object_get(ext,
		    "case_kind")))
			sj->details = json_incref(json_object_get(ext, "details"));
	}
	hex_encode(x->hash, 32, hex);
	j = json_pack("{s:s, s:s, s:s, s:o, s:o, s:s, s:s, s:s?, s:o, s:o, s:s}",
	    "step", case_step_name((enum case_step)x->step),
	    "by", step_role(sj->c, x) == CASE_OPENER ? "opener" : "receiver",
	    "from", x->dir == STORE_OUT ? "this node" : sj->partner,
	    "time", hotline_time_json(x->time_us), "recorded", hotline_time_json(x->recorded_us),
	    "status", x->status >= 0 && x->status <= 2 ? status[x->status] : "unknown",
	    "reason", x->reason, "text", text,
	    "envelope_seq", x->env_seq ? json_integer((json_int_t)x->env_seq) : json_null(),
	    "receipt", x->dir == STORE_OUT ? hotline_time_json(x->receipt_us) : hotline_time_json(x->recorded_us),
	    "sha256", hex);
	json_decref(bundle);
	if (j == NULL || json_array_append_new(sj->arr, j) < 0)
		return -LSN_ENOMEM;
	return 0;
}

/* The steps the transition table lets this node take on c now, in the table's order. */
static json_t *
allowed_steps(const struct store_case *c)
{
	json_t *arr = json_array();
	enum case_state next;
	int step;

	for (step = STEP_ACK; arr != NULL && step <= CASE_STEP_MAX; step++)
		if (case_transition((enum case_kind)c->kind, (enum case_state)c->state,
		    (enum case_role)c->role, (enum case_step)step, &next, NULL) == 0)
			json_array_append_new(arr, json_string(case_step_name((enum case_step)step)));
	return arr != NULL ? arr : json_null();
}

int
hotline_case_json(struct store *s, const struct store_case *c, const char *partner_name,
    int full, const struct hotline_escalation *e, int64_t now_us, json_t **ret,
    struct err *err)
{
	struct store_partner p;
	json_t *j;
	int level = hotline_level(c, e, now_us), r;

	if (partner_name == NULL) {
		if ((r = store_partner_get(s, c->partner, &p, err)) < 0)
			return r;
		partner_name = p.name;
	}
	j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, "
	    "s:{s:o, s:o, s:o, s:o}, s:b, s:i, s:s?, s:i}",
	    "id", c->id, "partner", partner_name,
	    "opened_by", c->role == CASE_OPENER ? "this node" : "partner",
	    "kind", case_kind_name((enum case_kind)c->kind),
	    "state", case_state_name((enum case_state)c->state),
	    "tlp", stix_tlp_name((enum stix_tlp)c->tlp), "summary", c->summary,
	    "opened", hotline_time_json(c->opened_us), "receipt", hotline_time_json(c->receipt_us),
	    "acknowledged", hotline_time_json(c->acked_us), "updated", hotline_time_json(c->updated_us),
	    "deadlines", "ack_by", hotline_time_json(c->ack_by), "respond_by", hotline_time_json(c->respond_by),
	    "preserve_until", hotline_time_json(c->preserve_until), "remind_at", hotline_time_json(c->remind_at),
	    "overdue", level > 0, "level", level,
	    "escalated_to", level > 0 ? e->to[level - 1] : NULL, "escalations_logged", c->level);
	if (j == NULL)
		return err_set(err, LSN_ENOMEM, "hotline: out of memory");
	if (full) {
		struct steps_json sj = { c, partner_name, json_array(), NULL };
		r = store_step_scan(s, c->id, 1, step_json, &sj, err);
		if (r < 0 || sj.arr == NULL) {
			json_decref(sj.arr);
			json_decref(sj.details);
			json_decref(j);
			return r == -LSN_ENOMEM || r == 0 ? err_set(err, LSN_ENOMEM,
			    "hotline: out of memory") : r;
		}
		json_object_set_new(j, "details", sj.details ? sj.details : json_null());
		json_object_set_new(j, "steps", sj.arr);
		json_object_set_new(j, "allowed_steps", allowed_steps(c));
	}
	*ret = j;
	return 0;
}
