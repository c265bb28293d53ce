/*
 * The case operations behind every front door (the CLI, the HTTP API, the
 * dashboard): find the partner and the terms it is held to, then open a
 * case or take a step, inside the caller's transaction. The doors only
 * parse their input and print or answer; the sentences of a refusal are
 * written here once. Never reads a file or the transport itself: the door
 * says where the terms come from.
 */
#ifndef LSN_HOTLINE_OPS_H
#define LSN_HOTLINE_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "hotline/hotline.h"

struct err;

/*
 * Where a door finds the hotline terms of a partner: the CLI reads the
 * agreement file, the daemon copies what its exchange holds in memory.
 * Returns 0 with ret filled, or a negative LSN_E* with err.
 */
struct hotline_terms_src {
	int (*get)(void *arg, const char *partner, struct agr_hotline *ret, struct err *err);
	void *arg;
};

/* What a door asks for when it opens a case; pointers are borrowed for the call. */
struct hotline_open_req {
	const char *partner;          /* the partner's name */
	enum case_kind kind;
	enum stix_tlp tlp;
	const char *details;          /* one JSON object (case_details_check) */
	size_t details_len;
	const char *attach;           /* a STIX bundle, or NULL */
	size_t attach_len;
};

/*
 * Opens a case with an active partner: ret is the case as stored, ret_p
 * the partner. -LSN_ENOTFOUND (no such partner) or -LSN_EINVAL (removed,
 * or details the case model refuses) with the sentence to show.
 */
int hotline_op_open(struct store *s, const struct hotline_open_req *req,
    const struct hotline_terms_src *terms, int64_t now_us, struct store_case *ret,
    struct store_partner *ret_p, struct err *err);

/*
 * Takes step on the case that key names (an id or a prefix of its uuid),
 * with text or NULL: ret is the case after it, ret_p its partner.
 */
int hotline_op_step(struct store *s, const char *key, enum case_step step, const char *text,
    const struct hotline_terms_src *terms, int64_t now_us, struct store_case *ret,
    struct store_partner *ret_p, struct err *err);

/*
 * 1 if r, returned by one of the two above, is a refusal: the request is
 * answered no (bad details, a step the state machine does not allow, an
 * unknown case), nothing was stored, and the transaction may go on.
 */
int hotline_op_refused(int r);

#endif
