/*
 * Hotline cases (docs/hotline.md): names, the transition table both nodes
 * run, the details an opening step must carry, and the clocks an agreement
 * sets. Pure: no I/O, no clock, no allocation beyond jansson's parse.
 */
#include "hotline/case.h"
#include "util/err.h"

#include <ctype.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define US_PER_S INT64_C(1000000)
#define DAY_S INT64_C(86400)

static const char *const kind_names[] = {
	[CASE_NOTIFICATION] = "notification",
	[CASE_INQUIRY] = "inquiry",
	[CASE_ASSISTANCE] = "assistance",
	[CASE_PRESERVATION] = "preservation",
	[CASE_EMERGENCY] = "emergency",
	[CASE_INTERFERENCE] = "interference",
};

static const char *const state_names[] = {
	[CASE_OPENED] = "opened",
	[CASE_ACKNOWLEDGED] = "acknowledged",
	[CASE_IN_PROGRESS] = "in_progress",
	[CASE_INFO_REQUESTED] = "info_requested",
	[CASE_ANSWERED] = "answered",
	[CASE_CLOSED] = "closed",
	[CASE_REFUSED] = "refused",
	[CASE_WITHDRAWN] = "withdrawn",
};

/* How a state reads in a sentence ("a case that is ..."). */
static const char *const state_words[] = {
	[CASE_OPENED] = "opened",
	[CASE_ACKNOWLEDGED] = "acknowledged",
	[CASE_IN_PROGRESS] = "in progress",
	[CASE_INFO_REQUESTED] = "waiting for information (info_requested)",
	[CASE_ANSWERED] = "answered",
	[CASE_CLOSED] = "closed",
	[CASE_REFUSED] = "refused",
	[CASE_WITHDRAWN] = "withdrawn",
};

static const char *const step_names[] = {
	[STEP_OPEN] = "open",
	[STEP_ACK] = "ack",
	[STEP_START] = "start",
	[STEP_REQUEST_INFO] = "request_info",
	[STEP_PROVIDE_INFO] = "provide_info",
	[STEP_RESPOND] = "respond",
	[STEP_MLA_SENT] = "mla_sent",
	[STEP_REFUSE] = "refuse",
	[STEP_WITHDRAW] = "withdraw",
	[STEP_CLOSE] = "close",
};

/* "only the opener <verb>" */
static const char *const step_verbs[] = {
	[STEP_OPEN] = "opens a case",
	[STEP_ACK] = "acknowledges",
	[STEP_START] = "starts work",
	[STEP_REQUEST_INFO] = "requests information",
	[STEP_PROVIDE_INFO] = "provides information",
	[STEP_RESPOND] = "responds",
	[STEP_MLA_SENT] = "reports the MLA request sent",
	[STEP_REFUSE] = "refuses",
	[STEP_WITHDRAW] = "withdraws",
	[STEP_CLOSE] = "closes",
};

#define NONE 0                          /* the "state" before a case exists */
#define K(k) (1u << (k))
#define ALL (K(CASE_NOTIFICATION) | K(CASE_INQUIRY) | K(CASE_ASSISTANCE) | \
	K(CASE_PRESERVATION) | K(CASE_EMERGENCY) | K(CASE_INTERFERENCE))
#define PRES K(CASE_PRESERVATION)
#define O CASE_OPENER
#define R CASE_RECEIVER

struct transition {
	int state;                      /* enum case_state, or NONE */
	enum case_role role;
	enum case_step step;
	enum case_state next;
	unsigned kinds;                 /* K(kind) bits the row applies to */
};

/*
 * The whole machine (docs/hotline.md keeps the same table). A step not
 * listed is refused. MLA_SENT leaves the state as it is: it only restarts
 * the preservation clock. RESPOND and REQUEST_INFO straight from OPENED
 * imply the acknowledgement a person would otherwise send first.
 */
static const struct transition table[] = {
	{ NONE, O, STEP_OPEN, CASE_OPENED, ALL },

	{ CASE_OPENED, R, STEP_ACK, CASE_ACKNOWLEDGED, ALL },
	{ CASE_OPENED, R, STEP_REQUEST_INFO, CASE_INFO_REQUESTED, ALL },
	{ CASE_OPENED, R, STEP_RESPOND, CASE_ANSWERED, ALL },
	{ CASE_OPENED, R, STEP_REFUSE, CASE_REFUSED, ALL },
	{ CASE_OPENED, O, STEP_WITHDRAW, CASE_WITHDRAWN, ALL },
	{ CASE_OPENED, O, STEP_MLA_SENT, CASE_OPENED, PRES },

	{ CASE_ACKNOWLEDGED, R, STEP_START, CASE_IN_PROGRESS, ALL },
	{ CASE_ACKNOWLEDGED, R, STEP_REQUEST_INFO, CASE_INFO_REQUESTED, ALL },
	{ CASE_ACKNOWLEDGED, R, STEP_RESPOND, CASE_ANSWERED, ALL },
	{ CASE_ACKNOWLEDGED, R, STEP_REFUSE, CASE_REFUSED, ALL },
	{ CASE_ACKNOWLEDGED, O, STEP_WITHDRAW, CASE_WITHDRAWN, ALL },
	{ CASE_ACKNOWLEDGED, O, STEP_CLOSE, CASE_CLOSED, ALL },
	{ CASE_ACKNOWLEDGED, O, STEP_MLA_SENT, CASE_ACKNOWLEDGED, PRES },

	{ CASE_IN_PROGRESS, R, STEP_REQUEST_INFO, CASE_INFO_REQUESTED, ALL },
	{ CASE_IN_PROGRESS, R, STEP_RESPOND, CASE_ANSWERED, ALL },
	{ CASE_IN_PROGRESS, R, STEP_REFUSE, CASE_REFUSED, ALL },
	{ CASE_IN_PROGRESS, O, STEP_WITHDRAW, CASE_WITHDRAWN, ALL },
	{ CASE_IN_PROGRESS, O, STEP_CLOSE, CASE_CLOSED, ALL },
	{ CASE_IN_PROGRESS, O, STEP_MLA_SENT, CASE_IN_PROGRESS, PRES },

	{ CASE_INFO_REQUESTED, O, STEP_PROVIDE_INFO, CASE_IN_PROGRESS, ALL },
	{ CASE_INFO_REQUESTED, O, STEP_WITHDRAW, CASE_WITHDRAWN, ALL },
	{ CASE_INFO_REQUESTED, R, STEP_REFUSE, CASE_REFUSED, ALL },
	{ CASE_INFO_REQUESTED, O, STEP_MLA_SENT, CASE_INFO_REQUESTED, PRES },

	{ CASE_ANSWERED, O, STEP_CLOSE, CASE_CLOSED, ALL },
	{ CASE_ANSWERED, R, STEP_CLOSE, CASE_CLOSED, ALL },
	{ CASE_ANSWERED, R, STEP_RESPOND, CASE_ANSWERED, ALL },
	{ CASE_ANSWERED, R, STEP_REQUEST_INFO, CASE_INFO_REQUESTED, ALL },
	{ CASE_ANSWERED, O, STEP_MLA_SENT, CASE_ANSWERED, PRES },
};

#define NROWS (sizeof(table) / sizeof(table[0]))

const char *
case_kind_name(enum case_kind k)
{
	return k >= 1 && k <= CASE_KIND_MAX ? kind_names[k] : NULL;
}

const char *
case_state_name(enum case_state s)
{
	return s >= 1 && s <= CASE_STATE_MAX ? state_names[s] : NULL;
}

const char *
case_step_name(enum case_step s)
{
	return s >= 1 && s <= CASE_STEP_MAX ? step_names[s] : NULL;
}

static int
name_index(const char *const *names, int max, const char *name)
{
	int i;

	if (name == NULL)
		return -1;
	for (i = 1; i <= max; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}

int
case_kind_from_name(const char *name, enum case_kind *ret)
{
	int i = name_index(kind_names, CASE_KIND_MAX, name);

	if (i < 0)
		return -LSN_EINVAL;
	*ret = (enum case_kind)i;
	return 0;
}

int
case_step_from_name(const char *name, enum case_step *ret)
{
	int i = name_index(step_names, CASE_STEP_MAX, name);

	if (i < 0)
		return -LSN_EINVAL;
	*ret = (enum case_step)i;
	return 0;
}

int
case_state_final(enum case_state s)
{
	return s == CASE_CLOSED || s == CASE_REFUSED || s == CASE_WITHDRAWN;
}

static const char *
role_word(enum case_role r)
{
	return r == CASE_OPENER ? "opener" : "receiver";
}

static const struct transition *
find_row(enum case_kind kind, int state, enum case_role role, enum case_step step)
{
	size_t i;

	for (i = 0; i < NROWS; i++)
		if (table[i].state == state && table[i].role == role &&
		    table[i].step == step && (table[i].kinds & K(kind)))
			return &table[i];
	return NULL;
}

/* "'ack' (receiver), 'refuse' (receiver), ..." : what may follow in state. */
static void
list_next(enum case_kind kind, int state, char *out, size_t cap)
{
	size_t i, n = 0;
	int w;

	out[0] = '\0';
	for (i = 0; i < NROWS && n < cap; i++) {
		if (table[i].state != state || !(table[i].kinds & K(kind)))
			continue;
		w = snprintf(out + n, cap - n, "%s'%s' (%s)", n ? ", " : "",
		    step_names[table[i].step], role_word(table[i].role));
		if (w < 0)
			break;
		n += (size_t)w;
	}
}

/* Why the table has no row for this step: the sentence for err. */
static int
refuse_step(enum case_kind kind, int state, enum case_role role, enum case_step step,
    struct err *err)
{
	const char *sn = step_names[step], *who = role_word(role);
	enum case_role other = role == CASE_OPENER ? CASE_RECEIVER : CASE_OPENER;
	char next[256];

	if (state == NONE)
		return err_set(err, LSN_EINVAL, step == STEP_OPEN ?
		    "there is no case yet: '%s' from the %s is refused, only the opener opens a case" :
		    "there is no case yet: '%s' from the %s cannot come before 'open'", sn, who);
	if (case_state_final((enum case_state)state))
		return err_set(err, LSN_EINVAL, "the case is %s: no step follows ('%s' from the %s)",
		    state_words[state], sn, who);
	if (step == STEP_OPEN)
		return err_set(err, LSN_EINVAL,
		    "a case that is %s cannot take 'open' from the %s: it is already open",
		    state_words[state], who);
	if (step == STEP_MLA_SENT && kind != CASE_PRESERVATION)
		return err_set(err, LSN_EINVAL,
		    "a %s case that is %s cannot take 'mla_sent' from the %s: only preservation cases have an MLA request",
		    kind_names[kind], state_words[state], who);
	if (find_row(kind, state, other, step) != NULL)
		return err_set(err, LSN_EINVAL,
		    "a case that is %s cannot take '%s' from the %s: only the %s %s",
		    state_words[state], sn, who, role_word(other), step_verbs[step]);
	list_next(kind, state, next, sizeof(next));
	return err_set(err, LSN_EINVAL, "a case that is %s cannot take '%s' from the %s: what may follow is %s",
	    state_words[state], sn, who, next);
}

int
case_transition(enum case_kind kind, enum case_state state, enum case_role role,
    enum case_step step, enum case_state *ret, struct err *err)
{
	const struct transition *t;

	if (kind < 1 || kind > CASE_KIND_MAX)
		return err_set(err, LSN_EINVAL, "unknown case kind %d", (int)kind);
	if ((int)state < NONE || state > CASE_STATE_MAX)
		return err_set(err, LSN_EINVAL, "unknown case state %d", (int)state);
	if (role != CASE_OPENER && role != CASE_RECEIVER)
		return err_set(err, LSN_EINVAL, "unknown case role %d", (int)role);
	if (step < 1 || step > CASE_STEP_MAX)
		return err_set(err, LSN_EINVAL, "unknown case step %d", (int)step);
	t = find_row(kind, (int)state, role, step);
	if (t == NULL)
		return refuse_step(kind, (int)state, role, step, err);
	*ret = t->next;
	return 0;
}

/* --- the fold ---------------------------------------------------------- */

#define UNDECIDED (-1)

static const uint8_t zero32[32];

static int
acknowledging(enum case_step st)
{
	return st == STEP_ACK || st == STEP_START || st == STEP_REQUEST_INFO ||
	    st == STEP_RESPOND || st == STEP_REFUSE;
}

static void
judge(struct case_judged *j, enum case_verdict v, const char *reason)
{
	j->verdict = v;
	snprintf(j->reason, sizeof(j->reason), "%s", reason);
}

/* The opening: the first OPEN step of the opener; every other OPEN is refused. */
static size_t
fold_opening(const struct case_move *v, size_t n, struct case_judged *out)
{
	size_t i, head = SIZE_MAX;

	for (i = 0; i < n; i++) {
		if (v[i].step != STEP_OPEN)
			continue;
		if (head == SIZE_MAX && v[i].role == CASE_OPENER &&
		    memcmp(v[i].prev, zero32, 32) == 0) {
			head = i;
			judge(&out[i], CASE_VERDICT_EFFECTIVE, "");
		} else {
			judge(&out[i], CASE_VERDICT_REFUSED, "a case is opened once, by its opener");
		}
	}
	return head;
}

/*
 * The step that takes effect after head in state (SIZE_MAX: none) and the
 * state it leads to; refuses on the way the followers the table forbids.
 */
static size_t
fold_winner(enum case_kind kind, const struct case_move *v, size_t n, size_t head,
    enum case_state state, struct case_judged *out, enum case_state *ret_next)
{
	size_t i, win = SIZE_MAX;
	enum case_state to;

	for (i = 0; i < n; i++) {
		struct err e2 = ERR_INIT;
		if ((int)out[i].verdict != UNDECIDED || memcmp(v[i].prev, v[head].hash, 32) != 0)
			continue;
		if (case_transition(kind, state, v[i].role, v[i].step, &to, &e2) < 0) {
			judge(&out[i], CASE_VERDICT_REFUSED, e2.msg);
			continue;
		}
		/* both sides at once: the opener's step wins */
		if (win == SIZE_MAX || (v[i].role == CASE_OPENER && v[win].role != CASE_OPENER)) {
			win = i;
			*ret_next = to;
		}
	}
	return win;
}

/* The other followers of head lose to win. */
static void
fold_supersede(const struct case_move *v, size_t n, size_t head, size_t win,
    struct case_judged *out)
{
	char why[CASE_REASON_MAX];
	size_t i;

	snprintf(why, sizeof(why), "the %s's '%s' was taken at the same time and the opener's "
	    "step goes first", v[win].role == CASE_OPENER ? "opener" : "receiver",
	    case_step_name(v[win].step));
	for (i = 0; i < n; i++)
		if (i != win && (int)out[i].verdict == UNDECIDED &&
		    memcmp(v[i].prev, v[head].hash, 32) == 0)
			judge(&out[i], CASE_VERDICT_SUPERSEDED, why);
}

int
case_fold(enum case_kind kind, const struct case_move *v, size_t n,
    struct case_judged *out, struct case_folded *ret, struct err *err)
{
	struct case_folded f = { CASE_OPENED, 0, 0, 0 };
	enum case_state next = CASE_OPENED;
	size_t i, head, win;

	for (i = 0; i < n; i++)
		out[i].verdict = (enum case_verdict)UNDECIDED;
	if ((head = fold_opening(v, n, out)) == SIZE_MAX)
		return err_set(err, LSN_EINVAL, "hotline: the case has no opening step");
	f.updated_us = v[head].recorded_us;
	while ((win = fold_winner(kind, v, n, head, f.state, out, &next)) != SIZE_MAX) {
		fold_supersede(v, n, head, win, out);
		judge(&out[win], CASE_VERDICT_EFFECTIVE, "");
		if (v[win].role == CASE_RECEIVER && f.acked_us == 0 && acknowledging(v[win].step))
			f.acked_us = v[win].recorded_us;
		if (v[win].step == STEP_MLA_SENT)
			f.mla_sent_us = v[win].time_us;
		f.updated_us = v[win].recorded_us;
		f.state = next;
		head = win;
	}
	for (i = 0; i < n; i++)
		if ((int)out[i].verdict == UNDECIDED)
			judge(&out[i], CASE_VERDICT_SUPERSEDED,
			    "it follows a step that did not take effect");
	*ret = f;
	return 0;
}

/* --- details ----------------------------------------------------------- */

static const char *const preservation_fields[] = {
	"requesting_authority", "offence", "summary_of_facts", "data_to_preserve",
	"relation_to_offence", "custodian", "necessity",
};

/* A string with at least one non-blank character. */
static int
need_text(json_t *doc, const char *field, const char *kind, struct err *err)
{
	json_t *v = json_object_get(doc, field);
	const char *s;

	if (v == NULL)
		return err_set(err, LSN_EINVAL, "the details of a %s case lack \"%s\"", kind, field);
	if (!json_is_string(v))
		return err_set(err, LSN_EINVAL, "\"%s\" in the details must be a string", field);
	for (s = json_string_value(v); *s != '\0'; s++)
		if (!isspace((unsigned char)*s))
			return 0;
	return err_set(err, LSN_EINVAL, "\"%s\" in the details is empty", field);
}

/* T + 4 digits, optionally '.' + 3 digits (DISARM technique / sub-technique). */
static int
disarm_id_ok(const char *s)
{
	int i;

	if (s[0] != 'T')
		return 0;
	for (i = 1; i <= 4; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	if (s[5] == '\0')
		return 1;
	if (s[5] != '.')
		return 0;
	for (i = 6; i <= 8; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return s[9] == '\0';
}

static int
check_preservation(json_t *doc, struct err *err)
{
	size_t i;
	int r;

	for (i = 0; i < sizeof(preservation_fields) / sizeof(preservation_fields[0]); i++) {
		r = need_text(doc, preservation_fields[i], "preservation", err);
		if (r < 0)
			return r;
	}
	if (json_object_get(doc, "mla_to_follow") == NULL)
		return err_set(err, LSN_EINVAL, "the details of a preservation case lack \"mla_to_follow\"");
	if (!json_is_boolean(json_object_get(doc, "mla_to_follow")))
		return err_set(err, LSN_EINVAL, "\"mla_to_follow\" in the details must be true or false");
	return 0;
}

static int
check_interference(json_t *doc, struct err *err)
{
	json_t *a = json_object_get(doc, "disarm_techniques"), *v;
	size_t i;

	if (a == NULL)
		return err_set(err, LSN_EINVAL, "the details of an interference case lack \"disarm_techniques\"");
	if (!json_is_array(a) || json_array_size(a) == 0)
		return err_set(err, LSN_EINVAL,
		    "\"disarm_techniques\" in the details must be a non-empty array of DISARM ids such as \"T0002\"");
	json_array_foreach(a, i, v) {
		if (!json_is_string(v))
			return err_set(err, LSN_EINVAL, "\"disarm_techniques\"[%zu] must be a string", i);
		if (!disarm_id_ok(json_string_value(v)))
			return err_set(err, LSN_EINVAL,
			    "\"disarm_techniques\"[%zu] \"%.40s\" is not a DISARM technique id (T0000 or T0000.000)",
			    i, json_string_value(v));
	}
	return 0;
}

int
case_details_check(enum case_kind kind, const char *json, size_t len, struct err *err)
{
	json_error_t je;
	json_t *doc;
	int r;

	if (kind < 1 || kind > CASE_KIND_MAX)
		return err_set(err, LSN_EINVAL, "unknown case kind %d", (int)kind);
	/* DECODE_ANY so a bare string or number gets the "must be an object" sentence */
	doc = json_loadb(json ? json : "", json ? len : 0, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
	if (doc == NULL)
		return err_set(err, LSN_EINVAL, "the details are not valid JSON: %s (line %d)",
		    je.text, je.line);
	if (!json_is_object(doc)) {
		r = err_set(err, LSN_EINVAL, "the details must be a JSON object");
		goto out;
	}
	r = need_text(doc, "summary", kind_names[kind], err);
	if (r == 0 && kind == CASE_PRESERVATION)
		r = check_preservation(doc, err);
	if (r == 0 && kind == CASE_INTERFERENCE)
		r = check_interference(doc, err);
out:
	json_decref(doc);
	return r;
}

/* --- clocks ------------------------------------------------------------ */

/* base + secs seconds in µs; 0 (no clock) for a non-positive term; saturates. */
static int64_t
after(int64_t base, int64_t secs)
{
	int64_t us, t;

	if (secs <= 0)
		return 0;
	if (__builtin_mul_overflow(secs, US_PER_S, &us) || __builtin_add_overflow(base, us, &t))
		return INT64_MAX;
	return t;
}

void
case_deadlines(enum case_kind kind, const struct agr_hotline *h, int64_t opened_us,
    int64_t mla_sent_us, struct case_deadlines *ret)
{
	int emergency = kind == CASE_EMERGENCY;
	int64_t base, period, lead;

	memset(ret, 0, sizeof(*ret));
	ret->ack_by = after(opened_us, emergency ? h->ack_emergency_s : h->ack_s);
	ret->respond_by = after(opened_us, emergency ? h->respond_emergency_s : h->respond_s);
	if (kind != CASE_PRESERVATION || h->preserve_days <= 0 || h->preserve_days > INT64_MAX / DAY_S)
		return;
	base = mla_sent_us != 0 ? mla_sent_us : opened_us;
	ret->preserve_until = after(base, h->preserve_days * DAY_S);
	period = ret->preserve_until - base;
	lead = 7 * DAY_S * US_PER_S;
	if (period / 2 < lead)
		lead = period / 2;
	ret->remind_at = ret->preserve_until - lead;
}

int
case_waits_ack(enum case_state s)
{
	return s == CASE_OPENED;
}

/* INFO_REQUESTED waits for the opener: the receiver's clock is paused. */
int
case_waits_response(enum case_state s)
{
	return s == CASE_OPENED || s == CASE_ACKNOWLEDGED || s == CASE_IN_PROGRESS;
}

/*
 * Level of one clock: 0 up to and at the deadline, then level i + 1 once
 * the overshoot exceeds pct[i] percent of the span (opening to deadline).
 * The comparison is exact, in 128 bits.
 */
static int
clock_level(int64_t deadline, int64_t opened_us, int64_t now_us, const int *pct, int n)
{
	__int128 late, span;
	int i, level = 0;

	if (deadline == 0 || now_us <= deadline)
		return 0;
	late = (__int128)now_us - deadline;
	span = deadline > opened_us ? (__int128)deadline - opened_us : 0;
	for (i = 0; i < n; i++)
		if (late * 100 > span * pct[i])
			level = i + 1;
	return level;
}

int
case_overdue_level_at(enum case_state state, const struct case_deadlines *d, int64_t opened_us,
    int64_t now_us, const int *pct, int n)
{
	int level = 0, l;

	if (case_waits_ack(state))
		level = clock_level(d->ack_by, opened_us, now_us, pct, n);
	if (case_waits_response(state)) {
		l = clock_level(d->respond_by, opened_us, now_us, pct, n);
		if (l > level)
			level = l;
	}
	return level;
}

int
case_overdue_level(enum case_state state, const struct case_deadlines *d, int64_t opened_us,
    int64_t now_us)
{
	static const int pct[] = { 0, 50, 100 };

	return case_overdue_level_at(state, d, opened_us, now_us, pct, 3);
}
