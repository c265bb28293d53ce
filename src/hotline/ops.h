/*
 * The case operations every front door runs (the CLI, the JSON API): find
 * a case, open one, take a step, each validated here once and performed
 * in a savepoint of the caller's transaction. The doors parse their own
 * input (arguments, request bodies), pass the agreement's hotline terms in
 * (the CLI reads its file, the daemon its memory) and render the answer;
 * this module never parses HTTP or arguments, never prints, never loads
 * an agreement.
 */
#ifndef LSN_HOTLINE_OPS_H
#define LSN_HOTLINE_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "hotline/hotline.h"

struct err;

/* The case that key names (an id or a prefix of its uuid) and its partner. */
int hotline_op_find(struct store *s, const char *key, struct store_case *ret_case,
    struct store_partner *ret_partner, struct err *err);

/* Opening a case: what every door takes. */
struct hotline_open_req {
	enum case_kind kind;
	enum stix_tlp tlp;            /* not NONE */
	const char *details;          /* one JSON object (case_details_check), exact bytes */
	size_t details_len;
	const char *attach;           /* a STIX bundle whose objects go with the opening; NULL */
	size_t attach_len;
};

/*
 * Opens the case rq asks for with partner p under terms (its agreement's),
 * in a savepoint of the caller's transaction on s: 0 and ret; 1 when the
 * request is refused (err says why: "NAME was removed: cases are opened
 * with active partners", the details, the TLP, the attachment; nothing is
 * stored); -LSN_E* when the store failed. The door says 422 or
 * exits non-zero on 1, 500 on the rest.
 */
int hotline_op_open(struct store *s, const struct store_partner *p,
    const struct hotline_open_req *rq, const struct agr_hotline *terms, int64_t now_us,
    struct store_case *ret, struct err *err);

/* Taking a step on a case: what every door takes. */
struct hotline_step_req {
	const char *key;              /* the case: an id or a prefix of its uuid */
	enum case_step step;
	const char *text;             /* the answer, the ground, the note; NULL: none */
};

/*
 * This node takes the step rq asks for, under terms (the case's partner's),
 * in a savepoint of the caller's transaction on s: 0 and ret; 1 when it is
 * refused (err has the state machine's or the check's sentence; nothing is
 * stored: the door says 409); -LSN_E* when the store failed.
 */
int hotline_op_step(struct store *s, const struct hotline_step_req *rq,
    const struct agr_hotline *terms, int64_t now_us, struct store_case *ret, struct err *err);

/*
 * The partner of each case a scan passes, looked up once per run of cases
 * with the same partner (scans are newest first, partners repeat).
 */
struct hotline_partner_memo {
	struct store_partner p;
	int ok;
};
int hotline_partner_memo_get(struct store *s, struct hotline_partner_memo *m, int64_t partner,
    struct err *err);

#endif
