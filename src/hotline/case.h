/*
 * Hotline cases (issue 6, docs/hotline.md): the kinds, the state machine
 * both nodes run on the same steps, the details a kind requires, and the
 * deadlines an agreement sets. Pure: no I/O, no clock (times are
 * arguments); the exchange carries each step as a signed envelope and the
 * store keeps them.
 */
#ifndef LSN_HOTLINE_CASE_H
#define LSN_HOTLINE_CASE_H

#include <stddef.h>
#include <stdint.h>

#include "policy/agreement.h"

struct err;

enum case_kind {
	CASE_NOTIFICATION = 1,        /* an incident affecting the opener, traced to the partner */
	CASE_INQUIRY,                 /* an incident of national concern: consultation asked */
	CASE_ASSISTANCE,              /* investigate, block or take down */
	CASE_PRESERVATION,            /* Budapest Convention Art. 29 expedited preservation */
	CASE_EMERGENCY,               /* imminent risk to life or safety: short clocks */
	CASE_INTERFERENCE,            /* technology used to interfere in internal affairs (DISARM) */
	CASE_KIND_MAX = CASE_INTERFERENCE
};

enum case_state {
	CASE_OPENED = 1,
	CASE_ACKNOWLEDGED,
	CASE_IN_PROGRESS,
	CASE_INFO_REQUESTED,          /* the receiver asked the opener for more */
	CASE_ANSWERED,
	CASE_CLOSED,
	CASE_REFUSED,                 /* by the receiver, with its ground */
	CASE_WITHDRAWN,               /* by the opener */
	CASE_STATE_MAX = CASE_WITHDRAWN
};

/* Who takes a step: the node that opened the case, or the one it was opened with. */
enum case_role { CASE_OPENER = 1, CASE_RECEIVER = 2 };

enum case_step {
	STEP_OPEN = 1,                /* opener */
	STEP_ACK,                     /* receiver: a person acknowledged */
	STEP_START,                   /* receiver: work in progress */
	STEP_REQUEST_INFO,            /* receiver asks the opener */
	STEP_PROVIDE_INFO,            /* opener answers that */
	STEP_RESPOND,                 /* receiver: findings, measures, data */
	STEP_MLA_SENT,                /* opener, preservation: the MLA request was sent (extends) */
	STEP_REFUSE,                  /* receiver, with a ground */
	STEP_WITHDRAW,                /* opener */
	STEP_CLOSE,                   /* either */
	CASE_STEP_MAX = STEP_CLOSE
};

/* Stable names ("notification", "info_requested", "request_info", ...); NULL if unknown. */
const char *case_kind_name(enum case_kind k);
const char *case_state_name(enum case_state s);
const char *case_step_name(enum case_step s);
int case_kind_from_name(const char *name, enum case_kind *ret);
int case_step_from_name(const char *name, enum case_step *ret);

/*
 * The transition table: the state after `step` taken by `role` in
 * `state`, for a case of `kind`. -LSN_EINVAL with a sentence naming the
 * state, the step and who may take it when the table forbids it (a step
 * of the other side, a step after the case ended, MLA_SENT outside
 * preservation, ...).
 */
int case_transition(enum case_kind kind, enum case_state state, enum case_role role,
    enum case_step step, enum case_state *ret, struct err *err);

/* 1 if no step can follow (closed, refused, withdrawn). */
int case_state_final(enum case_state s);

/* ---- the fold: a case's steps in, its state and each step's verdict out ---- */

/* One step as the fold sees it: who took it, what, and the link of its chain. */
struct case_move {
	enum case_role role;
	enum case_step step;
	uint8_t hash[32];             /* SHA-256 of its bundle */
	uint8_t prev[32];             /* hash of the step it follows; zero for the opening */
	int64_t time_us;              /* its own time (in its bundle) */
	int64_t recorded_us;          /* when this node stored it */
};

/* The values of enum store_step_status, which keeps them on disk. */
enum case_verdict {
	CASE_VERDICT_EFFECTIVE = 0,   /* part of the case's chain */
	CASE_VERDICT_SUPERSEDED = 1,  /* the other side's step at the same time won, or it
	                               * follows a step that did not take effect */
	CASE_VERDICT_REFUSED = 2,     /* the state machine does not allow it */
};

#define CASE_REASON_MAX 256

struct case_judged {
	enum case_verdict verdict;
	char reason[CASE_REASON_MAX]; /* empty for an effective step */
};

/* What the steps add up to. */
struct case_folded {
	enum case_state state;
	int64_t acked_us;             /* recorded time of the receiver's first acknowledging
	                               * effective step; 0: none */
	int64_t updated_us;           /* recorded time of the last effective step */
	int64_t mla_sent_us;          /* own time of the last effective mla_sent; 0: none */
};

/*
 * The rule both nodes run (hotline.h): the opening is the opener's first
 * 'open' with no prev (any other 'open' is refused); from it the chain goes
 * on with a step that follows its end and that case_transition allows;
 * when several do, the first in v wins unless a later one is the opener's
 * and it is not (both sides at the same time: the opener's goes first), and
 * the others are superseded; steps left off the chain are superseded.
 * v is in the order the store keeps; out gets n verdicts, in v's order.
 * Pure: reads only its arguments. -LSN_EINVAL when no step opens the case
 * (out is then incomplete).
 */
int case_fold(enum case_kind kind, const struct case_move *v, size_t n,
    struct case_judged *out, struct case_folded *ret, struct err *err);

/*
 * Checks the details of an opening step (a JSON object, exact bytes):
 * every kind needs "summary" (a non-empty string); preservation needs
 * requesting_authority, offence, summary_of_facts, data_to_preserve,
 * relation_to_offence, custodian, necessity (non-empty strings) and
 * mla_to_follow (a boolean); interference needs "disarm_techniques", a
 * non-empty array of DISARM ids ("T0001", "T0002.001", ...). Unknown
 * members are allowed (kept as the opener wrote them). -LSN_EINVAL names the
 * first missing or malformed field.
 */
int case_details_check(enum case_kind kind, const char *json, size_t len, struct err *err);

/* The clocks of one case, in microseconds since the epoch (0: no such clock). */
struct case_deadlines {
	int64_t ack_by;               /* a person acknowledges by then */
	int64_t respond_by;           /* the receiver responds by then */
	int64_t preserve_until;       /* preservation: kept at least until then */
	int64_t remind_at;            /* preservation: remind the opener before expiry */
};

/*
 * The deadlines of a case opened at opened_us under the hotline terms h:
 * emergency uses the emergency clocks; preservation keeps data for
 * h->preserve_days from the opening, or from mla_sent_us when that step
 * was taken (0: not taken), and reminds 7 days before (or half the period
 * when it is shorter).
 */
void case_deadlines(enum case_kind kind, const struct agr_hotline *h, int64_t opened_us,
    int64_t mla_sent_us, struct case_deadlines *ret);

/*
 * Escalation: how overdue a case is at now_us, as a level: 0 on time,
 * 1 past a deadline, 2 past it by half its span again, 3 by its whole span
 * again (each level is an event the node logs once). Counts only clocks
 * the state still waits for: ack_by while opened, respond_by until
 * answered; final states are never overdue.
 */
int case_overdue_level(enum case_state state, const struct case_deadlines *d, int64_t opened_us,
    int64_t now_us);
/*
 * The same with configured thresholds: level i + 1 once a clock is late by
 * more than pct[i] percent of its span (n levels, pct increasing).
 */
int case_overdue_level_at(enum case_state state, const struct case_deadlines *d,
    int64_t opened_us, int64_t now_us, const int *pct, int n);
/* The clocks a state waits on: the acknowledgement (opened), the response. */
int case_waits_ack(enum case_state s);
int case_waits_response(enum case_state s);

#endif
