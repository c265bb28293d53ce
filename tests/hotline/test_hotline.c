/*
 * Hotline cases between two nodes (src/hotline/hotline.h): two SQLite
 * stores, X the opener (its partner row "y") and Y the receiver (its
 * partner row "x"). Every step is taken on one store, carried as the exact
 * bytes step_queued hands the exchange, and taken in by hotline_receive on
 * the other, so both folds must agree. Also the refusals on either side,
 * escalation, the pledge and the case as JSON. Times are fixed, no sleeping.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "wire/envelope.h"
#include "hotline/hotline.h"
#include "policy/agreement.h"
#include "store/store.h"
#include "util/enc.h"
#include "util/err.h"
#include "util/ts.h"
#include "../store/scratch.h"

#define S(x) ((int64_t)(x) * 1000000)          /* seconds -> µs */
#define M(x) S((int64_t)(x) * 60)
#define H(x) M((int64_t)(x) * 60)
#define D(x) H((int64_t)(x) * 24)
/* An opening time with microseconds, so a timestamp that loses digits shows. */
#define T0 INT64_C(1790000000123456)
#define STEPS_CAP 16

/* Fails with the error's sentence, not only its code. */
#define assert_ok(expr, e) do { \
	int r_ = (expr); \
	if (r_ != 0) \
		fail_msg("%s: %d: %s", #expr, r_, (e).msg); \
} while (0)

static const char notify_details[] =
	"{\"summary\":\"DDoS on the tax portal since 06:10 UTC from hosts in AS64500\","
	"\"indicators\":[\"203.0.113.7\",\"203.0.113.9\"],\"first_seen\":\"2025-03-04T06:10:00Z\"}";

/* docs/hotline.md's preservation example: every Art. 29(2) field. */
static const char pres_details[] =
	"{\"summary\":\"Preserve account data of the mailbox used in a ransomware extortion\","
	"\"requesting_authority\":\"Public Prosecutor's Office, Cybercrime Unit\","
	"\"offence\":\"extortion (criminal code s. 253) and computer sabotage (s. 303b)\","
	"\"summary_of_facts\":\"On 2 March the victim received a ransom demand from the mailbox "
	"below after its servers were encrypted.\","
	"\"data_to_preserve\":\"subscriber data, login IP addresses and mailbox content of "
	"extort@mail.example, 1 February to today\","
	"\"relation_to_offence\":\"the mailbox sent the ransom demand and received the victim's "
	"replies\","
	"\"custodian\":\"Mail Example Ltd., registered in the requested State\","
	"\"necessity\":\"the provider deletes login records after 30 days\","
	"\"mla_to_follow\":true}";

static const char emergency_details[] =
	"{\"summary\":\"A person announced a suicide live on a streaming account\","
	"\"account\":\"stream.example/u/12345\",\"risk\":\"imminent risk to life\"}";

struct node {
	char dir[SCRATCH_DIR_MAX];
	struct store *s;
	struct store_partner peer;       /* the other node, as this node's partner row */
	struct agr_hotline terms;
	uint64_t seq;                    /* the last envelope seq this node sent its peer */
};

struct fx {
	struct node x, y;                /* x opens, y receives */
	struct hotline_escalation esc;
};

/* ---- fixture ---- */

static void
partner_make(struct node *n, const char *name, uint8_t k, struct store_partner *p)
{
	struct store_collection c = { 0 };
	struct err err = ERR_INIT;

	/* partner_add wants the partner's inbox collection first */
	snprintf(c.id, sizeof(c.id), "%02x%02x%02x%02x-0000-4000-8000-000000000001", k, k, k, k);
	snprintf(c.title, sizeof(c.title), "from-%s", name);
	assert_ok(store_coll_add(n->s, &c, &err), err);
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	memset(p->key, k, sizeof(p->key));
	memset(p->key_id, k ^ 0x80, sizeof(p->key_id));
	memset(p->spki, k ^ 0x40, sizeof(p->spki));
	snprintf(p->endpoint, sizeof(p->endpoint), "https://%s.example:8443", name);
	p->inbox = c.rowid;
	assert_ok(store_partner_add(n->s, p, "{}", &err), err);
}

static void
node_init(struct node *n, const char *peer, uint8_t k)
{
	struct agreement g;
	char path[SCRATCH_PATH_MAX];

	scratch_store_open("hotline", n->dir, path, &n->s);
	partner_make(n, peer, k, &n->peer);
	agreement_default(&g, "x", "y");
	n->terms = g.hotline;
	n->seq = 0;
}

static void
node_release(struct node *n)
{
	scratch_store_remove(n->s, n->dir);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	node_init(&f->x, "y", 0x22);
	node_init(&f->y, "x", 0x11);
	hotline_escalation_default(&f->esc);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	node_release(&f->x);
	node_release(&f->y);
	free(f);
	return 0;
}

/* ---- transactions, steps and delivery ---- */

static void
begin(struct node *n)
{
	struct err err = ERR_INIT;

	assert_ok(store_begin(n->s, &err), err);
}

static void
commit(struct node *n)
{
	struct err err = ERR_INIT;

	assert_ok(store_commit(n->s, &err), err);
}

static void
open_with(struct node *n, const struct store_partner *p, enum case_kind kind,
    const char *details, int64_t now, struct store_case *ret)
{
	struct hotline_open o = {
		.p = p, .kind = kind, .details = details, .details_len = strlen(details),
		.tlp = STIX_TLP_GREEN, .terms = &n->terms, .now_us = now,
	};
	struct err err = ERR_INIT;

	begin(n);
	assert_ok(hotline_open(n->s, &o, ret, &err), err);
	commit(n);
}

static void
open_case(struct fx *f, enum case_kind kind, const char *details, int64_t now,
    struct store_case *ret)
{
	open_with(&f->x, &f->x.peer, kind, details, now, ret);
}

/*
 * Commits whatever hotline_take did, also when it failed: a refusal must
 * have stored nothing, and a rollback here would hide it if it had.
 */
static int
take(struct node *n, const char *key, enum case_step step, const char *text, int64_t now,
    struct store_case *ret, struct err *err)
{
	int r;

	begin(n);
	r = hotline_take(n->s, key, step, text, &n->terms, now, ret, err);
	commit(n);
	return r;
}

static void
take_ok(struct node *n, const char *key, enum case_step step, const char *text, int64_t now,
    enum case_state want)
{
	struct store_case c;
	struct err err = ERR_INIT;

	assert_ok(take(n, key, step, text, now, &c, &err), err);
	assert_int_equal(c.state, want);
}

/* As the exchange calls it: in a transaction that commits a refused step too. */
static int
receive(struct node *to, const struct store_partner *p, int env_kind, uint64_t seq,
    const void *body, size_t len, int64_t now, struct hotline_received *rc, struct err *err)
{
	int r;

	begin(to);
	r = hotline_receive(to->s, p, env_kind, seq, body, len, &to->terms, now, rc, err);
	commit(to);
	return r;
}

/* A step's bundle, copied out of the store. */
struct sent {
	uint8_t *body;
	size_t len;
	int64_t rowid;
	int step, env_kind;
	char case_id[STIX_ID_MAX + 1];
};

struct sent_list {
	struct sent v[STEPS_CAP];
	size_t n;
};

static int
sent_keep(void *arg, const struct store_step *x)
{
	struct sent_list *l = arg;
	struct sent *o;

	assert_true(l->n < STEPS_CAP);
	o = &l->v[l->n++];
	o->body = malloc(x->len ? x->len : 1);
	assert_non_null(o->body);
	memcpy(o->body, x->body, x->len);
	o->len = x->len;
	o->rowid = x->rowid;
	o->step = x->step;
	o->env_kind = x->env_kind;
	snprintf(o->case_id, sizeof(o->case_id), "%s", x->case_id);
	return 0;
}

static void
sent_release(struct sent_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].body);
	l->n = 0;
}

static size_t
queued(struct node *n)
{
	struct sent_list q = { .n = 0 };
	struct err err = ERR_INIT;
	size_t k;

	assert_ok(store_step_queued(n->s, n->peer.rowid, 0, sent_keep, &q, &err), err);
	k = q.n;
	sent_release(&q);
	return k;
}

/* The bundle of the step n stored last for case_id (its own or received). */
static void
last_body(struct node *n, const char *case_id, struct sent *ret)
{
	struct sent_list l = { .n = 0 };
	struct err err = ERR_INIT;

	assert_ok(store_step_scan(n->s, case_id, 1, sent_keep, &l, &err), err);
	assert_true(l.n > 0);
	*ret = l.v[l.n - 1];
	l.v[l.n - 1].body = NULL;
	sent_release(&l);
}

static void
get_case(struct node *n, const char *key, struct store_case *ret)
{
	struct err err = ERR_INIT;

	assert_ok(store_case_get(n->s, key, ret, &err), err);
}

/*
 * What the exchange does with the oldest queued step of from: packs it in
 * the next envelope (step_packed), and the partner takes the exact bytes
 * in. Returns what hotline_receive returned.
 */
static int
deliver(struct node *from, struct node *to, int64_t now, struct hotline_received *rc,
    struct err *err)
{
	struct sent_list q = { .n = 0 };
	struct store_case c;
	int r;

	assert_ok(store_step_queued(from->s, from->peer.rowid, 1, sent_keep, &q, err),
	    *err);
	assert_int_equal(q.n, 1);
	get_case(from, q.v[0].case_id, &c);
	/* the kind stored with the step is the one it must travel in */
	assert_int_equal(q.v[0].env_kind, hotline_env_kind((enum case_kind)c.kind,
	    (enum case_step)q.v[0].step));
	begin(from);
	assert_ok(store_step_packed(from->s, q.v[0].rowid, ++from->seq, err), *err);
	commit(from);
	r = receive(to, &to->peer, q.v[0].env_kind, from->seq, q.v[0].body, q.v[0].len, now, rc,
	    err);
	sent_release(&q);
	return r;
}

static void
deliver_ok(struct node *from, struct node *to, int64_t now, struct hotline_received *rc)
{
	struct err err = ERR_INIT;

	assert_ok(deliver(from, to, now, rc, &err), err);
}

struct step_list {
	struct store_step v[STEPS_CAP];
	size_t n;
};

static int
step_keep(void *arg, const struct store_step *x)
{
	struct step_list *l = arg;

	assert_true(l->n < STEPS_CAP);
	l->v[l->n] = *x;
	l->v[l->n].body = NULL;
	l->n++;
	return 0;
}

static size_t
steps_of(struct node *n, const char *case_id, struct step_list *l)
{
	struct err err = ERR_INIT;

	l->n = 0;
	assert_ok(store_step_scan(n->s, case_id, 0, step_keep, l, &err), err);
	return l->n;
}

static size_t
count_steps(struct node *n, const char *case_id)
{
	struct step_list l;

	return steps_of(n, case_id, &l);
}

static const struct store_step *
find_step(const struct step_list *l, const uint8_t hash[32])
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (memcmp(l->v[i].hash, hash, 32) == 0)
			return &l->v[i];
	return NULL;
}

/*
 * Both nodes hold the case alike: the same state and signed clocks, and
 * every step (matched by its hash, since each side stores in its own order)
 * with the same verdict and reason, seen from opposite directions.
 */
static void
assert_agree(struct fx *f, const char *id)
{
	struct store_case a, b;
	struct step_list *la = malloc(sizeof(*la)), *lb = malloc(sizeof(*lb));
	const struct store_step *o;
	size_t i;

	assert_non_null(la);
	assert_non_null(lb);
	get_case(&f->x, id, &a);
	get_case(&f->y, id, &b);
	assert_string_equal(a.id, b.id);
	assert_int_equal(a.role, CASE_OPENER);
	assert_int_equal(b.role, CASE_RECEIVER);
	assert_int_equal(a.kind, b.kind);
	assert_int_equal(a.state, b.state);
	assert_int_equal(a.tlp, b.tlp);
	assert_string_equal(a.summary, b.summary);
	assert_int_equal(a.opened_us, b.opened_us);
	assert_int_equal(a.ack_by, b.ack_by);
	assert_int_equal(a.respond_by, b.respond_by);
	assert_int_equal(a.preserve_until, b.preserve_until);
	assert_int_equal(a.remind_at, b.remind_at);
	assert_int_equal(a.acked_us != 0, b.acked_us != 0);
	assert_int_equal(steps_of(&f->x, id, la), steps_of(&f->y, id, lb));
	for (i = 0; i < la->n; i++) {
		o = find_step(lb, la->v[i].hash);
		assert_non_null(o);
		assert_int_equal(o->dir, la->v[i].dir == STORE_OUT ? STORE_IN : STORE_OUT);
		assert_int_equal(o->step, la->v[i].step);
		assert_int_equal(o->status, la->v[i].status);
		assert_string_equal(o->reason, la->v[i].reason);
		assert_int_equal(o->time_us, la->v[i].time_us);
		assert_memory_equal(o->prev, la->v[i].prev, 32);
		assert_int_equal(o->env_kind, la->v[i].env_kind);
	}
	free(la);
	free(lb);
}

/* A copy of body with every `from` replaced by `to` (a forger's edit). */
static char *
replace_all(const uint8_t *body, size_t len, const char *from, const char *to,
    size_t *ret_len)
{
	size_t nf = strlen(from), nt = strlen(to), n = 0;
	char *in = malloc(len + 1), *out = malloc(2 * len + 64), *p, *q;

	assert_non_null(in);
	assert_non_null(out);
	memcpy(in, body, len);
	in[len] = '\0';
	for (p = in; (q = strstr(p, from)) != NULL; p = q + nf) {
		memcpy(out + n, p, (size_t)(q - p));
		n += (size_t)(q - p);
		memcpy(out + n, to, nt);
		n += nt;
	}
	assert_true(p != in);   /* the edit must have hit something */
	strcpy(out + n, p);
	*ret_len = n + strlen(p);
	free(in);
	return out;
}

static void
assert_msg(const struct err *err, const char *needle)
{
	if (strstr(err->msg, needle) == NULL)
		fail_msg("expected \"%s\" in \"%s\"", needle, err->msg);
}

/* hotline_receive refused: 1, with the code and a sentence naming the problem. */
static void
assert_refused(int r, const struct err *err, int code, const char *needle)
{
	assert_int_equal(r, 1);
	assert_int_equal(err->code, code);
	assert_msg(err, needle);
}

/* Every column as it was: state, clocks, acked_us, updated_us. */
static void
assert_case_unchanged(struct node *n, const struct store_case *before)
{
	struct store_case c;

	get_case(n, before->id, &c);
	assert_memory_equal(&c, before, sizeof(c));
}

/* X opens a notification and Y takes it in: both hold it opened. */
static void
opened_on_both(struct fx *f, int64_t now, struct store_case *ret)
{
	struct hotline_received rc;

	open_case(f, CASE_NOTIFICATION, notify_details, now, ret);
	deliver_ok(&f->x, &f->y, now + S(1), &rc);
	assert_int_equal(rc.opened, 1);
}

/* ---- whole flows ---- */

static void
test_env_kinds(void **state)
{
	static const struct { enum case_kind kind; int env; } opening[] = {
		{ CASE_NOTIFICATION, ENV_NOTIFY }, { CASE_INQUIRY, ENV_NOTIFY },
		{ CASE_ASSISTANCE, ENV_REQUEST }, { CASE_PRESERVATION, ENV_REQUEST },
		{ CASE_EMERGENCY, ENV_REQUEST }, { CASE_INTERFERENCE, ENV_NOTIFY },
	};
	static const int later[CASE_STEP_MAX + 1] = {
		[STEP_ACK] = ENV_ACK, [STEP_START] = ENV_ACK, [STEP_REQUEST_INFO] = ENV_RESPONSE,
		[STEP_PROVIDE_INFO] = ENV_RESPONSE, [STEP_RESPOND] = ENV_RESPONSE,
		[STEP_MLA_SENT] = ENV_RESPONSE, [STEP_REFUSE] = ENV_RESPONSE,
		[STEP_WITHDRAW] = ENV_WITHDRAW, [STEP_CLOSE] = ENV_RESPONSE,
	};
	size_t i;
	int st;

	(void)state;
	for (i = 0; i < sizeof(opening) / sizeof(opening[0]); i++) {
		assert_int_equal(hotline_env_kind(opening[i].kind, STEP_OPEN), opening[i].env);
		for (st = STEP_ACK; st <= CASE_STEP_MAX; st++)
			assert_int_equal(hotline_env_kind(opening[i].kind, (enum case_step)st),
			    later[st]);
	}
}

static void
check_opening(struct fx *f, const struct store_case *c)
{
	assert_int_equal(c->role, CASE_OPENER);
	assert_int_equal(c->kind, CASE_NOTIFICATION);
	assert_int_equal(c->state, CASE_OPENED);
	assert_int_equal(c->partner, f->x.peer.rowid);
	assert_int_equal(c->opened_us, T0);
	assert_int_equal(c->updated_us, T0);
	assert_int_equal(c->receipt_us, 0);
	assert_int_equal(c->acked_us, 0);
	/* agreement_default: ack 24 h, respond 72 h, no preservation clock */
	assert_int_equal(c->ack_by, T0 + H(24));
	assert_int_equal(c->respond_by, T0 + H(72));
	assert_int_equal(c->preserve_until, 0);
	assert_int_equal(c->remind_at, 0);
	assert_int_equal(c->tlp, STIX_TLP_GREEN);
	assert_string_equal(c->summary,
	    "DDoS on the tax portal since 06:10 UTC from hosts in AS64500");
	assert_true(strncmp(c->id, "incident--", 10) == 0);
	assert_int_equal(queued(&f->x), 1);
}

/* The chain on X after the whole flow: four effective steps, in order. */
static void
check_chain(struct fx *f, const char *id)
{
	static const int step[] = { STEP_OPEN, STEP_ACK, STEP_RESPOND, STEP_CLOSE };
	static const int env[] = { ENV_NOTIFY, ENV_ACK, ENV_RESPONSE, ENV_RESPONSE };
	static const int dir[] = { STORE_OUT, STORE_IN, STORE_IN, STORE_OUT };
	/* X sent envelopes 1 and 2, Y sent 1 and 2 */
	static const uint64_t seq[] = { 1, 1, 2, 2 };
	static const uint8_t zero[32];
	struct step_list l;
	size_t i;

	assert_int_equal(steps_of(&f->x, id, &l), 4);
	for (i = 0; i < 4; i++) {
		assert_int_equal(l.v[i].step, step[i]);
		assert_int_equal(l.v[i].env_kind, env[i]);
		assert_int_equal(l.v[i].dir, dir[i]);
		assert_int_equal(l.v[i].env_seq, seq[i]);
		assert_int_equal(l.v[i].status, STEP_EFFECTIVE);
		assert_string_equal(l.v[i].reason, "");
		assert_memory_equal(l.v[i].prev, i ? l.v[i - 1].hash : zero, 32);
	}
	assert_int_equal(l.v[0].time_us, T0);
	assert_int_equal(l.v[1].time_us, T0 + M(5));
	assert_int_equal(l.v[3].time_us, T0 + H(2));
	/* the receipt of the partner's steps is when they were taken in */
	assert_int_equal(l.v[1].recorded_us, T0 + M(5) + S(1));
}

static void
test_notification_flow(void **state)
{
	struct fx *f = *state;
	struct store_case cx, cy, c;
	struct hotline_received rc;
	struct err err = ERR_INIT;

	open_case(f, CASE_NOTIFICATION, notify_details, T0, &cx);
	check_opening(f, &cx);
	deliver_ok(&f->x, &f->y, T0 + S(2), &rc);
	assert_string_equal(rc.case_id, cx.id);
	assert_int_equal(rc.step, STEP_OPEN);
	assert_int_equal(rc.status, STEP_EFFECTIVE);
	assert_int_equal(rc.state, CASE_OPENED);
	assert_int_equal(rc.opened, 1);
	assert_int_equal(rc.terms_differ, 0);
	get_case(&f->y, cx.id, &cy);
	assert_int_equal(cy.partner, f->y.peer.rowid);
	assert_int_equal(cy.receipt_us, T0 + S(2));
	assert_int_equal(cy.updated_us, T0 + S(2));
	assert_int_equal(cy.acked_us, 0);
	assert_agree(f, cx.id);

	/* the receiver acknowledges: acked_us is when it did, at the opener when it arrived */
	take_ok(&f->y, cx.id, STEP_ACK, "seen by the duty officer", T0 + M(5), CASE_ACKNOWLEDGED);
	get_case(&f->y, cx.id, &cy);
	assert_int_equal(cy.acked_us, T0 + M(5));
	deliver_ok(&f->y, &f->x, T0 + M(5) + S(1), &rc);
	assert_int_equal(rc.step, STEP_ACK);
	assert_int_equal(rc.status, STEP_EFFECTIVE);
	assert_int_equal(rc.state, CASE_ACKNOWLEDGED);
	assert_int_equal(rc.opened, 0);
	get_case(&f->x, cx.id, &c);
	assert_int_equal(c.acked_us, T0 + M(5) + S(1));
	assert_agree(f, cx.id);

	take_ok(&f->y, cx.id, STEP_RESPOND, "blocked at our border", T0 + H(1), CASE_ANSWERED);
	deliver_ok(&f->y, &f->x, T0 + H(1) + S(1), &rc);
	assert_int_equal(rc.state, CASE_ANSWERED);
	get_case(&f->x, cx.id, &c);
	/* the first acknowledging step counts, not the latest */
	assert_int_equal(c.acked_us, T0 + M(5) + S(1));
	assert_int_equal(c.updated_us, T0 + H(1) + S(1));
	assert_agree(f, cx.id);

	take_ok(&f->x, cx.id, STEP_CLOSE, NULL, T0 + H(2), CASE_CLOSED);
	deliver_ok(&f->x, &f->y, T0 + H(2) + S(1), &rc);
	assert_int_equal(rc.state, CASE_CLOSED);
	get_case(&f->y, cx.id, &cy);
	assert_int_equal(cy.updated_us, T0 + H(2) + S(1));
	assert_agree(f, cx.id);
	check_chain(f, cx.id);
	assert_int_equal(queued(&f->x), 0);
	assert_int_equal(queued(&f->y), 0);

	/* nothing follows a closed case, on either side */
	assert_int_equal(take(&f->y, cx.id, STEP_RESPOND, NULL, T0 + H(3), &c, &err), -LSN_EINVAL);
	assert_msg(&err, "the case is closed: no step follows ('respond' from the receiver)");
	assert_int_equal(count_steps(&f->y, cx.id), 4);
}

/* Preservation terms both nodes hold: ack 2 h, respond 48 h, keep 90 days. */
static void
pres_terms(struct agr_hotline *h)
{
	h->ack_s = 2 * 3600;
	h->respond_s = 48 * 3600;
	h->preserve_days = 90;
}

static void
check_pres_details(struct fx *f, const char *id)
{
	static const char *const fields[] = {
		"summary", "requesting_authority", "offence", "summary_of_facts",
		"data_to_preserve", "relation_to_offence", "custodian", "necessity",
	};
	struct store_case c;
	struct err err = ERR_INIT;
	json_t *j, *want, *d;
	size_t i;

	want = json_loads(pres_details, 0, NULL);
	assert_non_null(want);
	get_case(&f->y, id, &c);
	assert_ok(hotline_case_json(f->y.s, &c, NULL, 1, &f->esc, T0, &j, &err), err);
	d = json_object_get(j, "details");
	/* the receiver holds the details as the opener wrote them, field by field */
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		assert_string_equal(json_string_value(json_object_get(d, fields[i])),
		    json_string_value(json_object_get(want, fields[i])));
	assert_true(json_is_true(json_object_get(d, "mla_to_follow")));
	assert_true(json_equal(d, want));
	assert_string_equal(json_string_value(json_object_get(j, "kind")), "preservation");
	json_decref(j);
	json_decref(want);
}

static void
set_reminded(struct node *n, const char *id)
{
	struct store_case c;
	struct err err = ERR_INIT;

	get_case(n, id, &c);
	c.reminded = 1;
	begin(n);
	assert_ok(store_case_put(n->s, &c, &err), err);
	commit(n);
}

static void
test_preservation_flow(void **state)
{
	struct fx *f = *state;
	struct store_case cx, c;
	struct hotline_received rc;
	struct err err = ERR_INIT;
	const int64_t mla = T0 + D(20) + 777, mla2 = T0 + D(30) + 5;

	pres_terms(&f->x.terms);
	pres_terms(&f->y.terms);
	open_case(f, CASE_PRESERVATION, pres_details, T0, &cx);
	assert_int_equal(cx.ack_by, T0 + H(2));
	assert_int_equal(cx.respond_by, T0 + H(48));
	assert_int_equal(cx.preserve_until, T0 + D(90));
	assert_int_equal(cx.remind_at, T0 + D(83));
	deliver_ok(&f->x, &f->y, T0 + S(1), &rc);
	assert_int_equal(rc.terms_differ, 0);
	assert_agree(f, cx.id);
	check_pres_details(f, cx.id);
	take_ok(&f->y, cx.id, STEP_ACK, NULL, T0 + H(1), CASE_ACKNOWLEDGED);
	deliver_ok(&f->y, &f->x, T0 + H(1) + S(1), &rc);

	/* the receiver has no MLA request to report */
	assert_int_equal(take(&f->y, cx.id, STEP_MLA_SENT, NULL, T0 + D(1), &c, &err),
	    -LSN_EINVAL);
	assert_msg(&err, "only the opener reports the MLA request sent");

	/* mla_sent keeps the state and restarts the clock from the step's own time */
	set_reminded(&f->x, cx.id);
	take_ok(&f->x, cx.id, STEP_MLA_SENT, "MLA request 2026/117 sent", mla, CASE_ACKNOWLEDGED);
	get_case(&f->x, cx.id, &c);
	assert_int_equal(c.preserve_until, mla + D(90));
	assert_int_equal(c.remind_at, mla + D(83));
	assert_int_equal(c.reminded, 0);     /* the new expiry gets its own reminder */
	assert_int_equal(c.ack_by, T0 + H(2));
	assert_int_equal(c.respond_by, T0 + H(48));
	deliver_ok(&f->x, &f->y, mla + S(3), &rc);
	assert_int_equal(rc.step, STEP_MLA_SENT);
	assert_int_equal(rc.state, CASE_ACKNOWLEDGED);
	assert_agree(f, cx.id);

	/* a later step does not move the clock again, nor forget the reminder logged */
	set_reminded(&f->x, cx.id);
	take_ok(&f->y, cx.id, STEP_RESPOND, "preserved", T0 + D(21), CASE_ANSWERED);
	deliver_ok(&f->y, &f->x, T0 + D(21) + S(1), &rc);
	get_case(&f->x, cx.id, &c);
	assert_int_equal(c.preserve_until, mla + D(90));
	assert_int_equal(c.reminded, 1);
	assert_agree(f, cx.id);

	/* a second MLA step restarts it once more, from the later step */
	take_ok(&f->x, cx.id, STEP_MLA_SENT, NULL, mla2, CASE_ANSWERED);
	deliver_ok(&f->x, &f->y, mla2 + S(1), &rc);
	get_case(&f->y, cx.id, &c);
	assert_int_equal(c.preserve_until, mla2 + D(90));
	assert_int_equal(c.remind_at, mla2 + D(83));
	assert_agree(f, cx.id);
}

/*
 * The receiver's agreement says otherwise (default terms, 60 days): the
 * opener's signed deadlines hold on both sides, through every later fold,
 * and the difference is told.
 */
static void
test_signed_deadlines_hold(void **state)
{
	struct fx *f = *state;
	struct store_case cx, cy;
	struct hotline_received rc;

	pres_terms(&f->x.terms);
	f->x.terms.preserve_days = 10;   /* shorter than 14 days: reminded at half the period */
	open_case(f, CASE_PRESERVATION, pres_details, T0, &cx);
	assert_int_equal(cx.preserve_until, T0 + D(10));
	assert_int_equal(cx.remind_at, T0 + D(5));
	deliver_ok(&f->x, &f->y, T0 + S(1), &rc);
	assert_int_equal(rc.terms_differ, 1);
	get_case(&f->y, cx.id, &cy);
	assert_int_equal(cy.ack_by, T0 + H(2));
	assert_int_equal(cy.respond_by, T0 + H(48));
	assert_int_equal(cy.preserve_until, T0 + D(10));
	take_ok(&f->y, cx.id, STEP_ACK, NULL, T0 + H(1), CASE_ACKNOWLEDGED);
	get_case(&f->y, cx.id, &cy);
	assert_int_equal(cy.ack_by, T0 + H(2));
	assert_int_equal(cy.respond_by, T0 + H(48));
	assert_int_equal(cy.preserve_until, T0 + D(10));
	deliver_ok(&f->y, &f->x, T0 + H(1) + S(1), &rc);
	get_case(&f->x, cx.id, &cx);
	assert_int_equal(cx.preserve_until, T0 + D(10));
	assert_int_equal(cx.remind_at, T0 + D(5));
}

/* Emergency cases run on the emergency clocks, on both sides. */
static void
test_emergency_clocks(void **state)
{
	struct fx *f = *state;
	struct store_case cx;
	struct hotline_received rc;

	f->x.terms.ack_emergency_s = 120;
	f->x.terms.respond_emergency_s = 900;
	f->y.terms = f->x.terms;
	open_case(f, CASE_EMERGENCY, emergency_details, T0, &cx);
	assert_int_equal(cx.ack_by, T0 + S(120));
	assert_int_equal(cx.respond_by, T0 + S(900));
	deliver_ok(&f->x, &f->y, T0 + S(1), &rc);
	assert_int_equal(rc.terms_differ, 0);
	assert_int_equal(rc.state, CASE_OPENED);
	assert_agree(f, cx.id);
}

/* ---- both sides at once ---- */

static void
acknowledged_on_both(struct fx *f, struct store_case *cx)
{
	struct hotline_received rc;

	opened_on_both(f, T0, cx);
	take_ok(&f->y, cx->id, STEP_ACK, NULL, T0 + M(1), CASE_ACKNOWLEDGED);
	deliver_ok(&f->y, &f->x, T0 + M(1) + S(1), &rc);
}

static void
check_superseded(struct fx *f, const char *id)
{
	static const char lost[] = "the opener's 'withdraw' was taken at the same time and "
	    "the opener's step goes first";
	static const char orphan[] = "it follows a step that did not take effect";
	struct step_list l;
	const struct store_step *x;
	size_t i, n = 0;

	assert_int_equal(steps_of(&f->y, id, &l), 5);
	for (i = 0; i < l.n; i++) {
		x = &l.v[i];
		if (x->step != STEP_RESPOND && x->step != STEP_CLOSE) {
			assert_int_equal(x->status, STEP_EFFECTIVE);
			continue;
		}
		assert_int_equal(x->status, STEP_SUPERSEDED);
		assert_string_equal(x->reason, x->step == STEP_RESPOND ? lost : orphan);
		n++;
	}
	assert_int_equal(n, 2);
}

static void
test_concurrent_withdraw_respond(void **state)
{
	struct fx *f = *state;
	struct store_case cx, c;
	struct hotline_received rc;
	struct err err = ERR_INIT;

	acknowledged_on_both(f, &cx);
	/* both sides step on the same chain end before either hears of the other */
	take_ok(&f->x, cx.id, STEP_WITHDRAW, "resolved on our side", T0 + H(1), CASE_WITHDRAWN);
	take_ok(&f->y, cx.id, STEP_RESPOND, "blocked", T0 + H(1) + S(1), CASE_ANSWERED);
	/* and the receiver goes on from its own answer */
	take_ok(&f->y, cx.id, STEP_CLOSE, NULL, T0 + H(1) + S(2), CASE_CLOSED);

	deliver_ok(&f->x, &f->y, T0 + H(2), &rc);
	assert_int_equal(rc.step, STEP_WITHDRAW);
	assert_int_equal(rc.status, STEP_EFFECTIVE);
	assert_int_equal(rc.state, CASE_WITHDRAWN);
	get_case(&f->y, cx.id, &c);
	assert_int_equal(c.state, CASE_WITHDRAWN);
	assert_int_equal(c.acked_us, T0 + M(1));    /* the ack still counts */
	assert_int_equal(c.updated_us, T0 + H(2));

	deliver_ok(&f->y, &f->x, T0 + H(2) + S(1), &rc);
	assert_int_equal(rc.step, STEP_RESPOND);
	assert_int_equal(rc.status, STEP_SUPERSEDED);
	assert_int_equal(rc.state, CASE_WITHDRAWN);
	deliver_ok(&f->y, &f->x, T0 + H(2) + S(2), &rc);
	assert_int_equal(rc.step, STEP_CLOSE);
	assert_int_equal(rc.status, STEP_SUPERSEDED);
	assert_int_equal(rc.state, CASE_WITHDRAWN);
	get_case(&f->x, cx.id, &c);
	assert_int_equal(c.updated_us, T0 + H(1));  /* superseded steps change nothing */
	check_superseded(f, cx.id);
	assert_agree(f, cx.id);

	assert_int_equal(take(&f->y, cx.id, STEP_RESPOND, NULL, T0 + H(3), &c, &err),
	    -LSN_EINVAL);
	assert_msg(&err, "the case is withdrawn");
}

/* An answered case closed by both at once: one close, the opener's. */
static void
test_concurrent_close(void **state)
{
	struct fx *f = *state;
	struct store_case cx, c;
	struct hotline_received rc;
	struct step_list l;
	size_t i;

	opened_on_both(f, T0, &cx);
	take_ok(&f->y, cx.id, STEP_RESPOND, NULL, T0 + M(1), CASE_ANSWERED);
	deliver_ok(&f->y, &f->x, T0 + M(2), &rc);
	take_ok(&f->y, cx.id, STEP_CLOSE, NULL, T0 + M(3), CASE_CLOSED);
	take_ok(&f->x, cx.id, STEP_CLOSE, NULL, T0 + M(3), CASE_CLOSED);
	deliver_ok(&f->y, &f->x, T0 + M(4), &rc);
	assert_int_equal(rc.status, STEP_SUPERSEDED);
	deliver_ok(&f->x, &f->y, T0 + M(4), &rc);
	assert_int_equal(rc.status, STEP_EFFECTIVE);
	assert_agree(f, cx.id);
	get_case(&f->y, cx.id, &c);
	assert_int_equal(c.state, CASE_CLOSED);
	assert_int_equal(steps_of(&f->x, cx.id, &l), 4);
	for (i = 0; i < l.n; i++)
		if (l.v[i].step == STEP_CLOSE)
			assert_int_equal(l.v[i].status, l.v[i].dir == STORE_OUT ? STEP_EFFECTIVE :
			    STEP_SUPERSEDED);
}

/* ---- refusals by hotline_receive ---- */

/* A step X took and then rolled back: bytes only a forger or a lost node would send. */
static void
unsent_step(struct node *n, const char *id, enum case_step step, int64_t now,
    struct sent *ret)
{
	struct store_case c;
	struct err err = ERR_INIT;

	begin(n);
	assert_ok(hotline_take(n->s, id, step, NULL, &n->terms, now, &c, &err), err);
	last_body(n, id, ret);
	assert_int_equal(store_rollback(n->s), 0);
}

static void
test_refuse_unknown_case(void **state)
{
	struct fx *f = *state;
	struct store_case cx, c;
	struct hotline_received rc;
	struct err err = ERR_INIT;
	struct sent w;

	/* the opening never reaches Y, the withdrawal does */
	open_case(f, CASE_NOTIFICATION, notify_details, T0, &cx);
	take_ok(&f->x, cx.id, STEP_WITHDRAW, NULL, T0 + M(1), CASE_WITHDRAWN);
	last_body(&f->x, cx.id, &w);
	assert_refused(receive(&f->y, &f->y.peer, ENV_WITHDRAW, 2, w.body, w.len, T0 + M(2), &rc,
	    &err), &err, LSN_ENOTFOUND, "no case ");
	assert_msg(&err, cx.id);
	assert_string_equal(rc.case_id, cx.id);
	assert_int_equal(store_case_get(f->y.s, cx.id, &c, &err), -LSN_ENOTFOUND);
	assert_int_equal(count_steps(&f->y, cx.id), 0);
	free(w.body);
}

static void
test_refuse_other_partner(void **state)
{
	struct fx *f = *state;
	struct store_case cx, before;
	struct store_partner z;
	struct hotline_received rc;
	struct err err = ERR_INIT;
	struct sent w;

	partner_make(&f->y, "z", 0x33, &z);
	opened_on_both(f, T0, &cx);
	get_case(&f->y, cx.id, &before);
	take_ok(&f->x, cx.id, STEP_WITHDRAW, NULL, T0 + M(1), CASE_WITHDRAWN);
	last_body(&f->x, cx.id, &w);
	/* z signs a step of x's case */
	assert_refused(receive(&f->y, &z, ENV_WITHDRAW, 1, w.body, w.len, T0 + M(2), &rc, &err),
	    &err, LSN_EDENIED, "is not a case with z");
	assert_case_unchanged(&f->y, &before);
	assert_int_equal(count_steps(&f->y, cx.id), 1);
	/* nothing was kept: from x the same bytes are taken in */
	assert_ok(receive(&f->y, &f->y.peer, ENV_WITHDRAW, 2, w.body, w.len, T0 + M(3), &rc,
	    &err), err);
	assert_int_equal(rc.state, CASE_WITHDRAWN);
	free(w.body);
}

static void
test_refuse_duplicate(void **state)
{
	struct fx *f = *state;
	struct store_case cx, bx, by;
	struct hotline_received rc;
	struct err err = ERR_INIT;
	struct sent o, a;

	opened_on_both(f, T0, &cx);
	last_body(&f->x, cx.id, &o);
	get_case(&f->y, cx.id, &by);
	assert_refused(receive(&f->y, &f->y.peer, ENV_NOTIFY, 1, o.body, o.len, T0 + M(1), &rc,
	    &err), &err, LSN_EEXIST, "exists already: a case is opened once");
	assert_case_unchanged(&f->y, &by);

	take_ok(&f->y, cx.id, STEP_ACK, NULL, T0 + M(2), CASE_ACKNOWLEDGED);
	deliver_ok(&f->y, &f->x, T0 + M(3), &rc);
	last_body(&f->x, cx.id, &a);
	get_case(&f->x, cx.id, &bx);
	/* the exchange resends after a lost receipt: the step is not taken twice */
	assert_refused(receive(&f->x, &f->x.peer, ENV_ACK, 1, a.body, a.len, T0 + M(4), &rc, &err),
	    &err, LSN_EEXIST, "was received before");
	assert_case_unchanged(&f->x, &bx);
	assert_int_equal(count_steps(&f->x, cx.id), 2);
	assert_agree(f, cx.id);
	free(o.body);
	free(a.body);
}

/* Each malformed body is refused with its own sentence and stores nothing. */
static void
refuse_edit(struct fx *f, const struct store_case *before, const struct sent *w,
    const char *from, const char *to, const char *needle)
{
	struct hotline_received rc;
	struct err err = ERR_INIT;
	size_t len;
	char *b = replace_all(w->body, w->len, from, to, &len);

	assert_refused(receive(&f->y, &f->y.peer, ENV_WITHDRAW, 2, b, len, T0 + M(2), &rc, &err),
	    &err, LSN_EINVAL, needle);
	assert_case_unchanged(&f->y, before);
	assert_int_equal(count_steps(&f->y, before->id), 1);
	free(b);
}

/* The sample bundle with its step object twice (under another id). */
static char *
two_steps(const struct sent *w)
{
	json_t *b = json_loadb((const char *)w->body, w->len, 0, NULL), *objs, *o, *o2;
	char *out;

	assert_non_null(b);
	objs = json_object_get(b, "objects");
	o = json_array_get(objs, json_array_size(objs) - 1);
	o2 = json_deep_copy(o);
	json_object_set_new(o2, "id", json_string("note--00000000-0000-4000-8000-000000000000"));
	json_array_append_new(objs, o2);
	out = json_dumps(b, JSON_COMPACT);
	json_decref(b);
	return out;
}

static void
test_refuse_malformed(void **state)
{
	struct fx *f = *state;
	struct store_case cx, before;
	struct hotline_received rc;
	struct err err = ERR_INIT;
	struct step_list l;
	struct sent w;
	char prev[65], field[80], *two;

	opened_on_both(f, T0, &cx);
	get_case(&f->y, cx.id, &before);
	unsent_step(&f->x, cx.id, STEP_WITHDRAW, T0 + M(1), &w);
	steps_of(&f->y, cx.id, &l);
	hex_encode(l.v[0].hash, 32, prev);

	assert_refused(receive(&f->y, &f->y.peer, ENV_WITHDRAW, 2, "{\"type\":", 8, T0, &rc,
	    &err), &err, LSN_EINVAL, "the step is not JSON");
	refuse_edit(f, &before, &w, "\"step\":\"", "\"stap\":\"",
	    "holds exactly one object with the liaison extension's \"step\"; this one holds 0");
	two = two_steps(&w);
	assert_refused(receive(&f->y, &f->y.peer, ENV_WITHDRAW, 2, two, strlen(two), T0, &rc,
	    &err), &err, LSN_EINVAL, "this one holds 2");
	free(two);
	refuse_edit(f, &before, &w, "\"step\":\"withdraw\"", "\"step\":\"explode\"",
	    "'explode' is not a step");
	refuse_edit(f, &before, &w, "\"case\":\"incident--", "\"case\":\"indicator--",
	    "the step names no case");
	snprintf(field, sizeof(field), "\"prev\":\"%s\"", prev);
	refuse_edit(f, &before, &w, field, "\"prev\":\"\"",
	    "empty only for the opening");
	refuse_edit(f, &before, &w, prev, "abc", "\"prev\" must be the SHA-256");
	/* the untouched bytes still go in: none of the refusals left a trace */
	assert_ok(receive(&f->y, &f->y.peer, ENV_WITHDRAW, 2, w.body, w.len, T0 + M(3), &rc,
	    &err), err);
	assert_int_equal(rc.state, CASE_WITHDRAWN);
	free(w.body);
}

static void
test_refuse_env_kind(void **state)
{
	struct fx *f = *state;
	struct store_case cx, c, bx;
	struct hotline_received rc;
	struct err err = ERR_INIT;
	struct sent o, a;

	open_case(f, CASE_NOTIFICATION, notify_details, T0, &cx);
	last_body(&f->x, cx.id, &o);
	assert_refused(receive(&f->y, &f->y.peer, ENV_REQUEST, 1, o.body, o.len, T0 + S(1), &rc,
	    &err), &err, LSN_EINVAL, "a notification case opens in a 'notify' envelope, not "
	    "'request'");
	assert_int_equal(store_case_get(f->y.s, cx.id, &c, &err), -LSN_ENOTFOUND);
	assert_int_equal(count_steps(&f->y, cx.id), 0);
	deliver_ok(&f->x, &f->y, T0 + S(2), &rc);

	take_ok(&f->y, cx.id, STEP_ACK, NULL, T0 + M(1), CASE_ACKNOWLEDGED);
	last_body(&f->y, cx.id, &a);
	get_case(&f->x, cx.id, &bx);
	assert_refused(receive(&f->x, &f->x.peer, ENV_RESPONSE, 1, a.body, a.len, T0 + M(2), &rc,
	    &err), &err, LSN_EINVAL, "step 'ack' travels in a 'ack' envelope, not 'response'");
	assert_case_unchanged(&f->x, &bx);
	assert_int_equal(count_steps(&f->x, cx.id), 1);
	deliver_ok(&f->y, &f->x, T0 + M(3), &rc);
	assert_agree(f, cx.id);
	free(o.body);
	free(a.body);
}

/*
 * A forged step: X's own bytes for 'withdraw' (taken and rolled back, so
 * X never held it) with the step renamed to 'ack'. It hangs on the real
 * chain end, so only the state machine stops it: an opener does not
 * acknowledge. It is kept as evidence, refused, and the chain goes on past it.
 */
static void
test_refuse_forged(void **state)
{
	struct fx *f = *state;
	struct store_case cx, before;
	struct hotline_received rc;
	struct err err = ERR_INIT;
	struct step_list l;
	struct sent w;
	size_t len;
	char *forged;

	opened_on_both(f, T0, &cx);
	get_case(&f->y, cx.id, &before);
	unsent_step(&f->x, cx.id, STEP_WITHDRAW, T0 + M(1), &w);
	assert_int_equal(count_steps(&f->x, cx.id), 1);
	forged = replace_all(w.body, w.len, "\"step\":\"withdraw\"", "\"step\":\"ack\"", &len);
	assert_refused(receive(&f->y, &f->y.peer, ENV_ACK, 2, forged, len, T0 + M(2), &rc, &err),
	    &err, LSN_EINVAL, "a case that is opened cannot take 'ack' from the opener: only the "
	    "receiver acknowledges");
	assert_int_equal(rc.status, STEP_REFUSED);
	assert_int_equal(rc.state, CASE_OPENED);
	assert_case_unchanged(&f->y, &before);
	assert_int_equal(steps_of(&f->y, cx.id, &l), 2);
	assert_int_equal(l.v[1].status, STEP_REFUSED);
	assert_int_equal(l.v[1].dir, STORE_IN);
	assert_msg(&err, l.v[1].reason);
	/* sent again, it is a duplicate now */
	assert_refused(receive(&f->y, &f->y.peer, ENV_ACK, 3, forged, len, T0 + M(3), &rc, &err),
	    &err, LSN_EEXIST, "was received before");

	/* the receiver's ack follows the opening, not the refused step */
	take_ok(&f->y, cx.id, STEP_ACK, NULL, T0 + M(4), CASE_ACKNOWLEDGED);
	assert_int_equal(steps_of(&f->y, cx.id, &l), 3);
	assert_memory_equal(l.v[2].prev, l.v[0].hash, 32);
	deliver_ok(&f->y, &f->x, T0 + M(5), &rc);
	assert_int_equal(rc.status, STEP_EFFECTIVE);
	assert_int_equal(rc.state, CASE_ACKNOWLEDGED);
	free(forged);
	free(w.body);
}

/* ---- refusals by hotline_take ---- */

static void
take_refused(struct node *n, const char *id, enum case_step step, const char *text, int code,
    const char *needle)
{
	struct store_case c;
	struct err err = ERR_INIT;
	size_t before = count_steps(n, id), q = queued(n);

	assert_int_equal(take(n, id, step, text, T0 + H(1), &c, &err), -code);
	assert_msg(&err, needle);
	assert_int_equal(count_steps(n, id), before);
	assert_int_equal(queued(n), q);
}

static void
test_take_refusals(void **state)
{
	struct fx *f = *state;
	struct store_case cx;
	struct hotline_received rc;
	char *big = malloc(HOTLINE_TEXT_MAX + 2), msg[160];

	assert_non_null(big);
	opened_on_both(f, T0, &cx);
	snprintf(msg, sizeof(msg), "case %s: a case that is opened cannot take 'ack' from the "
	    "opener: only the receiver acknowledges", cx.id);
	take_refused(&f->x, cx.id, STEP_ACK, NULL, LSN_EINVAL, msg);
	take_refused(&f->x, cx.id, STEP_OPEN, NULL, LSN_EINVAL, "is open already");
	take_refused(&f->x, cx.id, STEP_MLA_SENT, NULL, LSN_EINVAL,
	    "only preservation cases have an MLA request");
	take_refused(&f->y, cx.id, STEP_WITHDRAW, NULL, LSN_EINVAL, "only the opener withdraws");
	take_refused(&f->y, cx.id, STEP_REFUSE, NULL, LSN_EINVAL, "a refusal needs its ground");
	take_refused(&f->y, cx.id, STEP_REFUSE, " \t\r\n", LSN_EINVAL,
	    "a refusal needs its ground");
	take_refused(&f->y, "ffffffff", STEP_ACK, NULL, LSN_ENOTFOUND, "no case ffffffff");
	memset(big, 'a', HOTLINE_TEXT_MAX + 1);
	big[HOTLINE_TEXT_MAX + 1] = '\0';
	take_refused(&f->y, cx.id, STEP_RESPOND, big, LSN_ETOOBIG, "the text of a step may hold");

	/* exactly the most a text may hold, and a refusal with its ground, go */
	big[HOTLINE_TEXT_MAX] = '\0';
	take_ok(&f->y, cx.id, STEP_REFUSE, big, T0 + H(1), CASE_REFUSED);
	deliver_ok(&f->y, &f->x, T0 + H(1) + S(1), &rc);
	assert_int_equal(rc.state, CASE_REFUSED);
	take_refused(&f->x, cx.id, STEP_WITHDRAW, NULL, LSN_EINVAL,
	    "the case is refused: no step follows ('withdraw' from the opener)");
	assert_agree(f, cx.id);
	free(big);
}

/* A case with a partner that was removed: no step of this node could reach it. */
static void
test_take_removed_partner(void **state)
{
	struct fx *f = *state;
	struct store_case cx;
	struct err err = ERR_INIT;

	opened_on_both(f, T0, &cx);
	begin(&f->y);
	assert_ok(store_partner_set_active(f->y.s, f->y.peer.rowid, 0, &err), err);
	commit(&f->y);
	take_refused(&f->y, cx.id, STEP_ACK, NULL, LSN_EINVAL, "which was removed");
}

/* ---- case keys ---- */

static void
put_case_as(struct node *n, const struct store_case *tmpl, const char *id)
{
	struct store_case c = *tmpl;
	struct err err = ERR_INIT;

	snprintf(c.id, sizeof(c.id), "%s", id);
	begin(n);
	assert_ok(store_case_put(n->s, &c, &err), err);
	commit(n);
}

static void
key_finds(struct node *n, const char *key, const char *want)
{
	struct store_case c;

	get_case(n, key, &c);
	assert_string_equal(c.id, want);
}

static void
key_fails(struct node *n, const char *key, int code, const char *needle)
{
	struct store_case c;
	struct err err = ERR_INIT;

	assert_int_equal(store_case_get(n->s, key, &c, &err), -code);
	assert_msg(&err, needle);
}

static void
test_case_keys(void **state)
{
	struct fx *f = *state;
	static const char a[] = "incident--abcd1234-0000-4000-8000-000000000001";
	static const char b[] = "incident--abcd5678-0000-4000-8000-000000000002";
	struct store_case cx, c;
	struct err err = ERR_INIT;
	char k[48];

	open_case(f, CASE_NOTIFICATION, notify_details, T0, &cx);
	key_finds(&f->x, cx.id, cx.id);
	key_finds(&f->x, cx.id + 10, cx.id);                    /* the whole uuid */
	snprintf(k, sizeof(k), "%.8s", cx.id + 10);
	key_finds(&f->x, k, cx.id);
	snprintf(k, sizeof(k), "%.4s", cx.id + 10);             /* four characters are enough */
	key_finds(&f->x, k, cx.id);
	snprintf(k, sizeof(k), "%.3s", cx.id + 10);             /* three are not */
	key_fails(&f->x, k, LSN_ENOTFOUND, "no case");
	key_fails(&f->x, "zzzz", LSN_ENOTFOUND, "a case is named by its id or the first "
	    "characters (4 or more) of its uuid");
	key_fails(&f->x, "ABCD", LSN_ENOTFOUND, "no case");     /* uuids are lower case */
	key_fails(&f->x, "incident--abcd", LSN_ENOTFOUND, "no case");

	/* two cases whose uuids share a prefix */
	put_case_as(&f->x, &cx, a);
	put_case_as(&f->x, &cx, b);
	key_fails(&f->x, "abcd", LSN_EEXIST, "'abcd' names more than one case: give more of "
	    "its uuid");
	key_finds(&f->x, "abcd1", a);
	key_finds(&f->x, "abcd5678-0000", b);
	key_finds(&f->x, a, a);
	/* hotline_take takes the same keys */
	assert_int_equal(take(&f->x, "abcd", STEP_WITHDRAW, NULL, T0 + M(1), &c, &err),
	    -LSN_EEXIST);
	snprintf(k, sizeof(k), "%.8s", cx.id + 10);
	take_ok(&f->x, k, STEP_WITHDRAW, NULL, T0 + M(1), CASE_WITHDRAWN);
	get_case(&f->x, cx.id, &c);
	assert_int_equal(c.state, CASE_WITHDRAWN);
}

/* ---- escalation ---- */

static void
parse_fails(const char *pct, const char *needle)
{
	struct hotline_escalation e;
	struct err err = ERR_INIT;

	assert_int_equal(hotline_escalation_parse(pct, "a", &e, &err), -LSN_EINVAL);
	assert_msg(&err, needle);
}

static void
test_escalation_parse(void **state)
{
	struct hotline_escalation e;
	struct err err = ERR_INIT;

	(void)state;
	assert_ok(hotline_escalation_parse("0,50,100", "a, b, c", &e, &err), err);
	assert_int_equal(e.n, 3);
	assert_int_equal(e.pct[0], 0);
	assert_int_equal(e.pct[1], 50);
	assert_int_equal(e.pct[2], 100);
	assert_string_equal(e.to[0], "a");
	assert_string_equal(e.to[1], "b");
	assert_string_equal(e.to[2], "c");

	/* spaces around numbers; fewer names than levels: the rest are numbered */
	assert_ok(hotline_escalation_parse(" 10 , 20,300", "duty officer ", &e, &err), err);
	assert_int_equal(e.n, 3);
	assert_int_equal(e.pct[2], 300);
	assert_string_equal(e.to[0], "duty officer");
	assert_string_equal(e.to[1], "level 2");
	assert_string_equal(e.to[2], "level 3");
	assert_ok(hotline_escalation_parse("25", NULL, &e, &err), err);
	assert_int_equal(e.n, 1);
	assert_string_equal(e.to[0], "level 1");

	hotline_escalation_default(&e);
	assert_int_equal(e.n, 3);
	assert_int_equal(e.pct[1], 50);
	assert_string_equal(e.to[2], "diplomatic POC");

	parse_fails("", "escalate_after is empty");
	parse_fails("50,10", "in increasing order");
	parse_fails("50,50", "in increasing order");
	parse_fails("x", "escalate_after 'x'");
	parse_fails("5x", "escalate_after '5x'");
	parse_fails("-1", "in increasing order");
	parse_fails("10,,20", "in increasing order");
	parse_fails("1,2,3,4,5,6,7,8,9", "one to 8 percentages");
}

/* hotline_level of both nodes' rows at now, and case.c's own count agrees. */
static void
level_is(struct fx *f, const char *id, const struct hotline_escalation *e, int64_t now,
    int want)
{
	struct store_case a, b;
	struct case_deadlines d;

	get_case(&f->x, id, &a);
	get_case(&f->y, id, &b);
	assert_int_equal(hotline_level(&a, e, now), want);
	assert_int_equal(hotline_level(&b, e, now), want);
	if (e == &f->esc) {
		d = (struct case_deadlines){ a.ack_by, a.respond_by, a.preserve_until,
		    a.remind_at };
		assert_int_equal(case_overdue_level((enum case_state)a.state, &d, a.opened_us, now),
		    want);
	}
}

/* The boundaries of one clock: each belongs to the lower level. */
static void
clock_levels(struct fx *f, const char *id, int64_t due, int64_t span)
{
	level_is(f, id, &f->esc, due, 0);
	level_is(f, id, &f->esc, due + 1, 1);
	level_is(f, id, &f->esc, due + span / 2, 1);
	level_is(f, id, &f->esc, due + span / 2 + 1, 2);
	level_is(f, id, &f->esc, due + span, 2);
	level_is(f, id, &f->esc, due + span + 1, 3);
}

static void
step_both(struct fx *f, struct node *by, const char *id, enum case_step step, int64_t now,
    enum case_state want)
{
	struct hotline_received rc;

	take_ok(by, id, step, NULL, now, want);
	deliver_ok(by, by == &f->x ? &f->y : &f->x, now + 1, &rc);
	assert_int_equal(rc.state, want);
}

static void
test_levels(void **state)
{
	struct fx *f = *state;
	struct store_case cx, c;
	struct hotline_escalation quarter;
	struct err err = ERR_INIT;
	int64_t ack_by, respond_by, late;

	f->x.terms.ack_s = 600;
	f->x.terms.respond_s = 7200;
	f->y.terms = f->x.terms;
	opened_on_both(f, T0, &cx);
	get_case(&f->y, cx.id, &c);
	ack_by = c.ack_by;
	respond_by = c.respond_by;
	assert_int_equal(ack_by, T0 + M(10));
	assert_int_equal(respond_by, T0 + H(2));

	/* opened: the ack clock (span 10 min) counts; respond_by is far */
	clock_levels(f, cx.id, ack_by, ack_by - T0);
	/* acknowledged and in progress: only the respond clock (span 2 h) */
	step_both(f, &f->y, cx.id, STEP_ACK, T0 + M(1), CASE_ACKNOWLEDGED);
	level_is(f, cx.id, &f->esc, ack_by + M(10) + 1, 0);
	clock_levels(f, cx.id, respond_by, respond_by - T0);
	step_both(f, &f->y, cx.id, STEP_START, T0 + M(2), CASE_IN_PROGRESS);
	clock_levels(f, cx.id, respond_by, respond_by - T0);
	late = respond_by + H(10);
	/* waiting for the opener pauses the receiver's clock; the answer restarts it */
	step_both(f, &f->y, cx.id, STEP_REQUEST_INFO, T0 + M(3), CASE_INFO_REQUESTED);
	level_is(f, cx.id, &f->esc, late, 0);
	step_both(f, &f->x, cx.id, STEP_PROVIDE_INFO, T0 + M(4), CASE_IN_PROGRESS);
	level_is(f, cx.id, &f->esc, late, 3);

	/* other thresholds: nothing until a quarter of the span is over, then 1 */
	assert_ok(hotline_escalation_parse("25,200", "a, b", &quarter, &err), err);
	level_is(f, cx.id, &quarter, respond_by + M(30), 0);
	level_is(f, cx.id, &quarter, respond_by + M(30) + 1, 1);
	level_is(f, cx.id, &quarter, respond_by + H(4), 1);
	level_is(f, cx.id, &quarter, respond_by + H(4) + 1, 2);

	/* answered and closed: nothing is overdue */
	step_both(f, &f->y, cx.id, STEP_RESPOND, T0 + M(5), CASE_ANSWERED);
	level_is(f, cx.id, &f->esc, late, 0);
	step_both(f, &f->y, cx.id, STEP_CLOSE, T0 + M(6), CASE_CLOSED);
	level_is(f, cx.id, &f->esc, INT64_MAX / 2, 0);
	assert_agree(f, cx.id);
}

/* A final state reached straight from opened is never overdue either. */
static void
test_final_never_overdue(void **state)
{
	struct fx *f = *state;
	struct store_case cx;

	opened_on_both(f, T0, &cx);
	level_is(f, cx.id, &f->esc, T0 + H(24) + 1, 1);
	step_both(f, &f->x, cx.id, STEP_WITHDRAW, T0 + M(1), CASE_WITHDRAWN);
	level_is(f, cx.id, &f->esc, T0 + H(24) + 1, 0);
	level_is(f, cx.id, &f->esc, T0 + D(365), 0);
}

/* ---- the pledge ---- */

static void
stamp(struct node *n, const char *id, int64_t receipt_after, int64_t acked_after)
{
	struct store_case c;
	struct err err = ERR_INIT;

	get_case(n, id, &c);
	if (receipt_after >= 0)
		c.receipt_us = c.opened_us + receipt_after;
	if (acked_after >= 0)
		c.acked_us = c.opened_us + acked_after;
	begin(n);
	assert_ok(store_case_put(n->s, &c, &err), err);
	commit(n);
}

/* Cases the pledge must not count: another partner's, and one y opened. */
static void
pledge_noise(struct fx *f)
{
	struct store_partner z;
	struct store_case c;
	struct hotline_received rc;

	partner_make(&f->x, "z", 0x44, &z);
	open_with(&f->x, &z, CASE_NOTIFICATION, notify_details, T0, &c);
	stamp(&f->x, c.id, D(50), D(50));
	open_with(&f->y, &f->y.peer, CASE_NOTIFICATION, notify_details, T0, &c);
	deliver_ok(&f->y, &f->x, T0 + D(100), &rc);
	get_case(&f->x, c.id, &c);
	assert_int_equal(c.role, CASE_RECEIVER);
	assert_int_equal(c.receipt_us, T0 + D(100));
}

static void
test_pledge(void **state)
{
	static const int ack_s[] = { 0, 3, 11, 5, 2, 13, 17, 1, 19, 23, 29 };
	struct fx *f = *state;
	char ids[21][STIX_ID_MAX + 1];
	struct store_case c;
	struct hotline_received rc;
	struct hotline_pledge pl;
	struct err err = ERR_INIT;
	int i;

	for (i = 0; i < 21; i++) {
		open_case(f, CASE_NOTIFICATION, notify_details, T0 + H(i), &c);
		snprintf(ids[i], sizeof(ids[i]), "%s", c.id);
	}
	/* the first case is acknowledged for real: 7 s after its opening, at X */
	deliver_ok(&f->x, &f->y, T0 + S(1), &rc);
	take_ok(&f->y, ids[0], STEP_ACK, NULL, T0 + S(5), CASE_ACKNOWLEDGED);
	deliver_ok(&f->y, &f->x, T0 + S(7), &rc);
	pledge_noise(f);

	/* receipts 1..20 ms after the opening, shuffled; the 21st case has none */
	for (i = 0; i < 20; i++)
		stamp(&f->x, ids[i], ((i * 7) % 20 + 1) * 1000,
		    i >= 1 && i <= 10 ? S(ack_s[i]) : -1);
	assert_ok(hotline_pledge(f->x.s, f->x.peer.rowid, &pl, &err), err);
	/* nearest rank: p50 is the 10th of 20, p95 the 19th */
	assert_int_equal(pl.n_receipt, 20);
	assert_int_equal(pl.receipt_p50, 10000);
	assert_int_equal(pl.receipt_p95, 19000);
	assert_int_equal(pl.receipt_max, 20000);
	/* 1 2 3 5 7 11 13 17 19 23 29 s: p50 the 6th of 11, p95 the 11th */
	assert_int_equal(pl.n_ack, 11);
	assert_int_equal(pl.ack_p50, S(11));
	assert_int_equal(pl.ack_p95, S(29));
	assert_int_equal(pl.ack_max, S(29));

	/* y's own view: it opened one case that nobody receipted or answered */
	assert_ok(hotline_pledge(f->y.s, f->y.peer.rowid, &pl, &err), err);
	assert_int_equal(pl.n_receipt, 0);
	assert_int_equal(pl.n_ack, 0);
	assert_int_equal(pl.receipt_p50, 0);
	assert_int_equal(pl.ack_max, 0);
}

/*
 * A partner that acknowledges but whose receipts never came back: more
 * acknowledgements than receipts must not outgrow what the pledge holds.
 */
static void
test_pledge_acks_without_receipts(void **state)
{
	struct fx *f = *state;
	struct hotline_open o = {
		.p = &f->x.peer, .kind = CASE_NOTIFICATION, .details = notify_details,
		.details_len = strlen(notify_details), .tlp = STIX_TLP_AMBER, .terms = &f->x.terms,
	};
	struct store_case c;
	struct hotline_pledge pl;
	struct err err = ERR_INIT;
	int i;

	begin(&f->x);
	for (i = 0; i < 70; i++) {
		o.now_us = T0 + H(i);
		assert_ok(hotline_open(f->x.s, &o, &c, &err), err);
		c.acked_us = c.opened_us + S(i + 1);
		assert_ok(store_case_put(f->x.s, &c, &err), err);
	}
	commit(&f->x);
	assert_ok(hotline_pledge(f->x.s, f->x.peer.rowid, &pl, &err), err);
	assert_int_equal(pl.n_receipt, 0);
	assert_int_equal(pl.receipt_max, 0);
	/* 1..70 s: p50 the 35th, p95 the 67th */
	assert_int_equal(pl.n_ack, 70);
	assert_int_equal(pl.ack_p50, S(35));
	assert_int_equal(pl.ack_p95, S(67));
	assert_int_equal(pl.ack_max, S(70));
}

/* ---- JSON ---- */

static void
assert_time(json_t *o, const char *k, int64_t us)
{
	json_t *v = json_object_get(o, k);
	char t[TS_US_LEN];

	if (us == 0) {
		assert_true(json_is_null(v));
		return;
	}
	ts_format_us(us, t);
	assert_non_null(json_string_value(v));
	assert_string_equal(json_string_value(v), t);
}

static const char *
jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	if (s == NULL)
		fail_msg("no string \"%s\"", k);
	return s;
}

static void
check_case_json(json_t *j, const struct store_case *c)
{
	json_t *d = json_object_get(j, "deadlines");

	assert_string_equal(jstr(j, "id"), c->id);
	assert_string_equal(jstr(j, "kind"), "notification");
	assert_string_equal(jstr(j, "state"), "acknowledged");
	assert_string_equal(jstr(j, "tlp"), "TLP:GREEN");
	assert_string_equal(jstr(j, "summary"), c->summary);
	assert_time(j, "opened", c->opened_us);
	assert_time(j, "receipt", c->receipt_us);
	assert_time(j, "acknowledged", c->acked_us);
	assert_time(j, "updated", c->updated_us);
	assert_time(d, "ack_by", c->ack_by);
	assert_time(d, "respond_by", c->respond_by);
	assert_time(d, "preserve_until", 0);
	assert_time(d, "remind_at", 0);
	assert_int_equal(json_integer_value(json_object_get(j, "escalations_logged")), 0);
}

static void
check_step_json(json_t *s, const struct store_step *x, const char *by, const char *from,
    const char *text)
{
	char hex[65];

	hex_encode(x->hash, 32, hex);
	assert_string_equal(jstr(s, "step"), case_step_name((enum case_step)x->step));
	assert_string_equal(jstr(s, "by"), by);
	assert_string_equal(jstr(s, "from"), from);
	assert_string_equal(jstr(s, "status"), "effective");
	assert_string_equal(jstr(s, "reason"), "");
	assert_string_equal(jstr(s, "text"), text);
	assert_string_equal(jstr(s, "sha256"), hex);
	assert_time(s, "time", x->time_us);
	assert_time(s, "recorded", x->recorded_us);
	assert_int_equal(json_integer_value(json_object_get(s, "envelope_seq")), 1);
}

static void
test_case_json(void **state)
{
	struct fx *f = *state;
	struct store_case cx, c;
	struct hotline_received rc;
	struct step_list l;
	struct err err = ERR_INIT;
	json_t *j, *steps, *want = json_loads(notify_details, 0, NULL);

	opened_on_both(f, T0, &cx);
	take_ok(&f->y, cx.id, STEP_ACK, "seen by the duty officer", T0 + M(5), CASE_ACKNOWLEDGED);
	deliver_ok(&f->y, &f->x, T0 + M(6), &rc);

	/* the opener's view, on time */
	get_case(&f->x, cx.id, &c);
	assert_ok(hotline_case_json(f->x.s, &c, NULL, 1, &f->esc, T0 + H(1), &j, &err), err);
	check_case_json(j, &c);
	assert_string_equal(jstr(j, "partner"), "y");
	assert_string_equal(jstr(j, "opened_by"), "this node");
	assert_true(json_is_false(json_object_get(j, "overdue")));
	assert_int_equal(json_integer_value(json_object_get(j, "level")), 0);
	assert_true(json_is_null(json_object_get(j, "escalated_to")));
	assert_true(json_equal(json_object_get(j, "details"), want));
	steps = json_object_get(j, "steps");
	assert_int_equal(json_array_size(steps), 2);
	steps_of(&f->x, cx.id, &l);
	check_step_json(json_array_get(steps, 0), &l.v[0], "opener", "this node", c.summary);
	check_step_json(json_array_get(steps, 1), &l.v[1], "receiver", "y",
	    "seen by the duty officer");
	json_decref(j);

	/* the receiver's view, late: past respond_by by more than half its span */
	get_case(&f->y, cx.id, &c);
	assert_ok(hotline_case_json(f->y.s, &c, "x-agency", 1, &f->esc, c.respond_by + H(36) + 1,
	    &j, &err), err);
	check_case_json(j, &c);
	assert_string_equal(jstr(j, "partner"), "x-agency");
	assert_string_equal(jstr(j, "opened_by"), "partner");
	assert_true(json_is_true(json_object_get(j, "overdue")));
	assert_int_equal(json_integer_value(json_object_get(j, "level")), 2);
	assert_string_equal(jstr(j, "escalated_to"), "second contact");
	assert_true(json_equal(json_object_get(j, "details"), want));
	steps_of(&f->y, cx.id, &l);
	steps = json_object_get(j, "steps");
	check_step_json(json_array_get(steps, 0), &l.v[0], "opener", "x-agency", c.summary);
	check_step_json(json_array_get(steps, 1), &l.v[1], "receiver", "this node",
	    "seen by the duty officer");
	json_decref(j);

	/* not full: no details, no steps */
	assert_ok(hotline_case_json(f->y.s, &c, NULL, 0, &f->esc, T0, &j, &err), err);
	assert_string_equal(jstr(j, "partner"), "x");
	assert_null(json_object_get(j, "steps"));
	assert_null(json_object_get(j, "details"));
	json_decref(j);
	json_decref(want);
}

/* A preservation case shows its preservation clocks, and a step's text defaults to its name. */
static void
test_case_json_preservation(void **state)
{
	struct fx *f = *state;
	struct store_case cx;
	struct hotline_received rc;
	struct err err = ERR_INIT;
	json_t *j, *d, *s;

	pres_terms(&f->x.terms);
	pres_terms(&f->y.terms);
	open_case(f, CASE_PRESERVATION, pres_details, T0, &cx);
	deliver_ok(&f->x, &f->y, T0 + S(1), &rc);
	take_ok(&f->y, cx.id, STEP_ACK, NULL, T0 + M(1), CASE_ACKNOWLEDGED);
	get_case(&f->y, cx.id, &cx);
	assert_ok(hotline_case_json(f->y.s, &cx, NULL, 1, &f->esc, T0, &j, &err), err);
	d = json_object_get(j, "deadlines");
	assert_time(d, "preserve_until", T0 + D(90));
	assert_time(d, "remind_at", T0 + D(83));
	assert_time(d, "ack_by", T0 + H(2));
	s = json_array_get(json_object_get(j, "steps"), 1);
	assert_string_equal(jstr(s, "text"), "ack");
	/* not packed yet: no envelope, and no receipt for this node's own step */
	assert_true(json_is_null(json_object_get(s, "envelope_seq")));
	assert_true(json_is_null(json_object_get(s, "receipt")));
	json_decref(j);
}

/* Collects the ids a case scan passes. */
struct ids {
	char v[8][STIX_ID_MAX + 1];
	size_t n;
};

static int
collect_id(void *arg, const struct store_case *c)
{
	struct ids *ids = arg;

	if (ids->n < 8)
		snprintf(ids->v[ids->n], sizeof(ids->v[0]), "%s", c->id);
	ids->n++;
	return 0;
}

/* The open cases paged by their nearest deadline (the dashboard's hotline page). */
static void
by_due_page(struct node *n, int64_t after_due, const char *after_id, size_t limit,
    struct ids *ids)
{
	struct store_case_query q = { .by_due = 1, .after_due_us = after_due, .limit = limit };
	struct err err = ERR_INIT;

	memset(ids, 0, sizeof(*ids));
	snprintf(q.after_id, sizeof(q.after_id), "%s", after_id);
	assert_ok(store_case_scan(n->s, &q, collect_id, ids, &err), err);
}

static void
test_scan_by_due(void **state)
{
	struct fx *f = *state;
	struct hotline_open o = {
		.p = &f->x.peer, .kind = CASE_NOTIFICATION, .details = notify_details,
		.details_len = strlen(notify_details), .tlp = STIX_TLP_AMBER, .terms = &f->x.terms,
	};
	struct store_case c[5], got;
	struct ids ids;
	struct err err = ERR_INIT;
	int i;

	begin(&f->x);
	/* opened an hour apart: the same clocks, so the deadlines follow the openings */
	for (i = 0; i < 5; i++) {
		o.now_us = T0 + H(i);
		assert_ok(hotline_open(f->x.s, &o, &c[i], &err), err);
	}
	/* the first is acknowledged: its answer (72 h) is now its deadline, the last of all */
	c[0].acked_us = c[0].opened_us + S(5);
	assert_ok(store_case_put(f->x.s, &c[0], &err), err);
	/* the second is closed: it leaves the list */
	c[1].state = CASE_CLOSED;
	assert_ok(store_case_put(f->x.s, &c[1], &err), err);
	commit(&f->x);
	assert_int_equal(store_case_deadline(&c[0]), c[0].respond_by);
	assert_int_equal(store_case_deadline(&c[2]), c[2].ack_by);

	by_due_page(&f->x, 0, "", 0, &ids);
	assert_int_equal(ids.n, 4);
	assert_string_equal(ids.v[0], c[2].id);
	assert_string_equal(ids.v[1], c[3].id);
	assert_string_equal(ids.v[2], c[4].id);
	assert_string_equal(ids.v[3], c[0].id);
	/* keyset: two at a time, each page starting past the last one's (deadline, id) */
	by_due_page(&f->x, 0, "", 2, &ids);
	assert_int_equal(ids.n, 2);
	assert_string_equal(ids.v[1], c[3].id);
	assert_ok(store_case_get(f->x.s, ids.v[1], &got, &err), err);
	by_due_page(&f->x, store_case_deadline(&got), got.id, 2, &ids);
	assert_int_equal(ids.n, 2);
	assert_string_equal(ids.v[0], c[4].id);
	assert_string_equal(ids.v[1], c[0].id);
	by_due_page(&f->x, store_case_deadline(&c[0]), c[0].id, 2, &ids);
	assert_int_equal(ids.n, 0);
}

static size_t
due_at(struct node *n, int64_t now)
{
	struct ids ids = { 0 };
	struct err err = ERR_INIT;

	assert_ok(store_case_due(n->s, now, 0, collect_id, &ids, &err), err);
	return ids.n;
}

static size_t
late_at(struct node *n, int64_t now)
{
	struct store_case_query q = { .overdue_at = 1, .now_us = now };
	struct ids ids = { 0 };
	struct err err = ERR_INIT;

	assert_ok(store_case_scan(n->s, &q, collect_id, &ids, &err), err);
	return ids.n;
}

/*
 * The escalation tick reads only what is due: a case's next check is its
 * first clock (set by every change of state), then each level's boundary,
 * then nothing once the case is final; the late list follows the clocks.
 */
static void
test_next_check_and_due(void **state)
{
	struct fx *f = *state;
	struct hotline_escalation e;
	struct hotline_received rc;
	struct store_case c;
	int64_t span;

	hotline_escalation_default(&e);
	open_case(f, CASE_NOTIFICATION, notify_details, T0, &c);
	span = c.ack_by - c.opened_us;
	assert_int_equal(c.next_check_us, c.ack_by + 1);
	assert_int_equal(due_at(&f->x, c.ack_by), 0);
	assert_int_equal(due_at(&f->x, c.ack_by + 1), 1);
	assert_int_equal(late_at(&f->x, c.ack_by), 0);
	assert_int_equal(late_at(&f->x, c.ack_by + 1), 1);
	/* each level's boundary in turn, the last one leaves only the respond clock */
	c.level = 1;
	assert_int_equal(hotline_next_check(&c, &e), c.ack_by + span / 2 + 1);
	c.level = 2;
	assert_int_equal(hotline_next_check(&c, &e), c.ack_by + span + 1);
	c.level = 3;
	assert_int_equal(hotline_next_check(&c, &e), 0);
	c.level = 0;
	assert_int_equal(hotline_next_check(&c, &e), c.ack_by + 1);
	/* an ack moves the check to the respond clock; closing ends it */
	deliver_ok(&f->x, &f->y, T0 + S(1), &rc);
	take_ok(&f->y, c.id, STEP_ACK, NULL, T0 + M(1), CASE_ACKNOWLEDGED);
	get_case(&f->y, c.id, &c);
	assert_int_equal(c.next_check_us, c.respond_by + 1);
	assert_int_equal(due_at(&f->y, c.ack_by + 1), 0);
	assert_int_equal(late_at(&f->y, c.ack_by + 1), 0);
	assert_int_equal(late_at(&f->y, c.respond_by + 1), 1);
	take_ok(&f->y, c.id, STEP_RESPOND, "done", T0 + M(2), CASE_ANSWERED);
	get_case(&f->y, c.id, &c);
	assert_int_equal(c.next_check_us, 0);
	assert_int_equal(due_at(&f->y, INT64_MAX), 0);
	assert_int_equal(late_at(&f->y, INT64_MAX - 1), 0);
	/* a preservation opener is looked at again for its reminder */
	open_case(f, CASE_PRESERVATION, pres_details, T0, &c);
	c.state = CASE_ANSWERED;
	assert_int_equal(hotline_next_check(&c, &e), c.remind_at);
	c.reminded = 1;
	assert_int_equal(hotline_next_check(&c, &e), 0);
}

/*
 * Deadlines crossed by moving the one clock (clock_set_offset_us): a case
 * opened now is on time, then past each level as the clock moves 24 h,
 * 36 h and 48 h on, and due for the escalation tick.
 */
static void
test_clock_moves(void **state)
{
	struct fx *f = *state;
	struct hotline_escalation e;
	struct store_case c;
	int64_t opened = clock_now_us();

	hotline_escalation_default(&e);
	open_case(f, CASE_NOTIFICATION, notify_details, opened, &c);
	assert_int_equal(hotline_level(&c, &e, clock_now_us()), 0);
	assert_int_equal(due_at(&f->x, clock_now_us()), 0);
	clock_set_offset_us(H(24) + S(1));
	assert_int_equal(hotline_level(&c, &e, clock_now_us()), 1);
	assert_int_equal(due_at(&f->x, clock_now_us()), 1);
	assert_int_equal(late_at(&f->x, clock_now_us()), 1);
	clock_set_offset_us(H(36) + S(1));
	assert_int_equal(hotline_level(&c, &e, clock_now_us()), 2);
	clock_set_offset_us(H(48) + S(1));
	assert_int_equal(hotline_level(&c, &e, clock_now_us()), 3);
	clock_set_offset_us(0);
	assert_int_equal(hotline_level(&c, &e, clock_now_us()), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_env_kinds),
		cmocka_unit_test_setup_teardown(test_notification_flow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_preservation_flow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_signed_deadlines_hold, setup, teardown),
		cmocka_unit_test_setup_teardown(test_emergency_clocks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_withdraw_respond, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuse_unknown_case, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuse_other_partner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuse_duplicate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuse_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuse_env_kind, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuse_forged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_take_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_take_removed_partner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_case_keys, setup, teardown),
		cmocka_unit_test(test_escalation_parse),
		cmocka_unit_test_setup_teardown(test_levels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_final_never_overdue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pledge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pledge_acks_without_receipts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_by_due, setup, teardown),
		cmocka_unit_test_setup_teardown(test_case_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_case_json_preservation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_next_check_and_due, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clock_moves, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
