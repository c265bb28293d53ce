/*
 * Hotline cases kept in the store (docs/hotline.md): opening a case and
 * taking a step on this node, taking in the partner's steps, folding a
 * case's steps into its state, and the case as JSON for the CLI and the
 * API. Every function that writes runs inside the caller's transaction on
 * s (the CLI's, or a writer job's), so a step and the case state it leads
 * to are stored together. Knows nothing of the transport: the exchange
 * carries each step's bundle as one envelope of the kind given here.
 *
 * A step names the step it follows (the SHA-256 of its bundle), so every
 * step of a case hangs in a chain. Both nodes hold the same steps and fold
 * them with the same rule, so both reach the same state: from the opening,
 * the chain goes on with the step that follows its end and that the state
 * machine allows; when both sides took one at the same time, the opener's
 * wins and the receiver's is kept as superseded.
 */
#ifndef LSN_HOTLINE_HOTLINE_H
#define LSN_HOTLINE_HOTLINE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "hotline/case.h"
#include "stix/stix.h"
#include "store/store.h"

struct err;

/* The liaison case extension (docs/hotline.md) and the identity that defines it. */
#define HOTLINE_EXT_ID "extension-definition--c0a76ee0-7919-4670-9127-8a78b4eb1ce7"
#define HOTLINE_IDENTITY_ID "identity--39ae0f22-ed8e-45d9-9bb9-931f7547fe83"
#define HOTLINE_TEXT_MAX (64 * 1024)      /* a step's text */
#define HOTLINE_STEPS_MAX 1000            /* steps one case may hold */

/* The envelope kind that carries a step (ENV_NOTIFY .. ENV_WITHDRAW). */
int hotline_env_kind(enum case_kind kind, enum case_step step);

/* Opening a case with partner p. */
struct hotline_open {
	const struct store_partner *p;
	enum case_kind kind;
	const char *details;          /* the details: one JSON object (case_details_check) */
	size_t details_len;
	enum stix_tlp tlp;            /* marking of every object of the case; not NONE */
	const char *attach;           /* a STIX bundle whose objects go with the opening; NULL */
	size_t attach_len;
	const struct agr_hotline *terms;
	int64_t now_us;
};
int hotline_open(struct store *s, const struct hotline_open *o, struct store_case *ret,
    struct err *err);

/*
 * This node takes step on the case that key names (an id or a prefix of
 * its uuid), with text (the response, the ground of a refusal, a note;
 * NULL for none). -LSN_EINVAL with the state machine's sentence if the
 * step is not this node's to take now; nothing is stored then.
 */
int hotline_take(struct store *s, const char *key, enum case_step step, const char *text,
    const struct agr_hotline *terms, int64_t now_us, struct store_case *ret, struct err *err);

/* What became of a step the partner sent. */
struct hotline_received {
	char case_id[STIX_ID_MAX + 1];
	enum case_step step;
	int status;                   /* enum store_step_status */
	int state;                    /* the case's state after it */
	int opened;                   /* the step opened a case */
	int terms_differ;             /* its signed deadlines are not what this node's terms give */
};

/*
 * A step partner p sent in an envelope of env_kind (seq env_seq): 0 when
 * it was taken in (applied, or kept as superseded), 1 when it is refused
 * (err says why: malformed, unknown case, another partner's case, a
 * duplicate, a step the state machine forbids; the case does not change),
 * -LSN_E* when the store failed.
 */
int hotline_receive(struct store *s, const struct store_partner *p, int env_kind,
    uint64_t env_seq, const uint8_t *body, size_t len, const struct agr_hotline *terms,
    int64_t now_us, struct hotline_received *ret, struct err *err);

/*
 * Escalation thresholds: level i+1 is reached when a clock is overdue by
 * more than pct[i] percent of its span (docs/hotline.md, "Escalation").
 */
#define HOTLINE_LEVELS_MAX 8
struct hotline_escalation {
	int pct[HOTLINE_LEVELS_MAX];
	char to[HOTLINE_LEVELS_MAX][64];   /* who each level calls: "second contact", ... */
	int n;
};
void hotline_escalation_default(struct hotline_escalation *e);
/* Parses "0,50,100" and "duty officer, second contact, diplomatic POC". */
int hotline_escalation_parse(const char *pct, const char *to, struct hotline_escalation *e,
    struct err *err);
/* The level a case has reached at now_us (0: on time). */
int hotline_level(const struct store_case *c, const struct hotline_escalation *e, int64_t now_us);
/*
 * When the escalation tick must look at the case next: the first moment a
 * level above c->level is reached on a clock the state waits for, or the
 * preservation reminder (opener, not yet logged); 0 if never. With e NULL,
 * the first deadline still counting (what a change of state sets).
 */
int64_t hotline_next_check(const struct store_case *c, const struct hotline_escalation *e);

/* Most recent cases the pledge is measured over, per partner. */
#define HOTLINE_PLEDGE_CASES 1000

/*
 * The measured pledge of one partner: its answers to the last
 * HOTLINE_PLEDGE_CASES cases this node opened with it.
 */
struct hotline_pledge {
	size_t n_receipt, n_ack;      /* cases with a receipt, with an acknowledgement */
	int64_t receipt_p50, receipt_p95, receipt_max;   /* microseconds */
	int64_t ack_p50, ack_p95, ack_max;
};
int hotline_pledge(struct store *s, int64_t partner, struct hotline_pledge *ret,
    struct err *err);
/*
 * One clock of the pledge as JSON: {"cases":N,"p50_s","p95_s","worst_s"},
 * or {"cases":0} when nothing was measured (receipt: 0, acknowledgement: 1).
 */
json_t *hotline_pledge_json(const struct hotline_pledge *pl, int ack);
/* A time in RFC 3339 with microseconds, or JSON null for 0 (never). */
json_t *hotline_time_json(int64_t us);

/* What one step's bundle says, for a reader (evidence verify, case show). */
struct hotline_step_info {
	char case_id[STIX_ID_MAX + 1];
	enum case_step step;
	enum case_kind kind;          /* an opening's kind; 0 for later steps */
	char text[512];               /* the note's content or the opinion's explanation, cut */
};
/* -LSN_EINVAL if the bytes are not a step's bundle. */
int hotline_describe(const uint8_t *body, size_t len, struct hotline_step_info *ret);

/*
 * The case as JSON (docs/hotline.md, "JSON"): with its details and steps
 * if full. partner_name may be NULL (then looked up). e decides "level".
 */
int hotline_case_json(struct store *s, const struct store_case *c, const char *partner_name,
    int full, const struct hotline_escalation *e, int64_t now_us, json_t **ret,
    struct err *err);

#endif
