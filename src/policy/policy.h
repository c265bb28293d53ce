/*
 * Border decisions (docs/agreements.md): whether one STIX object may leave
 * for a partner (egress, before signing) or be taken from one (ingress,
 * after verifying), under the agreement and TLP 2.0, with the rule that
 * decided and a reason a person can read. Pure: no I/O, no store; what a
 * decision needs about other objects (a relationship's ends) comes from
 * the caller.
 */
#ifndef LSN_POLICY_POLICY_H
#define LSN_POLICY_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "policy/agreement.h"
#include "stix/stix.h"

struct err;
struct buf;

#define POLICY_REFS_MAX 8

/* What a decision needs to know of one object: one scan of its JSON fills it. */
struct policy_obj {
	char type[STIX_TYPE_MAX + 1];
	char id[STIX_ID_MAX + 1];
	enum stix_tlp tlp;            /* highest of object_marking_refs; NONE: unmarked */
	enum stix_tlp granular_tlp;   /* highest TLP in granular_markings; NONE: none */
	/* a relationship's source_ref and target_ref, a sighting's sighting_of_ref */
	char refs[POLICY_REFS_MAX][STIX_ID_MAX + 1];
	size_t n_refs;
	int strip_hits;               /* top-level properties the direction's strip list names */
};

/*
 * Scans one object (its exact bytes) into o: type, id, markings, the ends
 * of relationships and sightings, and (when d is not NULL) how many
 * top-level properties d's strip list would remove. -LSN_EINVAL if it is
 * not a JSON object.
 */
int policy_scan(const char *json, size_t len, const struct agr_dir *d, struct policy_obj *o,
    struct err *err);

enum policy_rule {
	POLICY_ALLOW = 0,
	POLICY_TLP_RED,               /* RED never leaves on its own */
	POLICY_TLP_CEILING,           /* above the direction's highest TLP */
	POLICY_GRANULAR,              /* a granular marking above the ceiling keeps the object home */
	POLICY_TYPE,                  /* type not in the direction's list */
	POLICY_FORWARD,               /* received from a third partner: not CLEAR/GREEN, or not forwardable */
	POLICY_REF,                   /* a relationship or sighting end that may not go */
	POLICY_NO_AGREEMENT,
	POLICY_RULE_MAX
};

/* Stable names for logs, the CLI and the policy log: "allow", "tlp-red", ... */
const char *policy_rule_name(enum policy_rule r);
/* What the rule of that name refuses, as a sentence (the dashboard's border page). */
const char *policy_rule_explain(const char *name);

struct policy_decision {
	enum policy_rule rule;        /* POLICY_ALLOW: it may cross */
	enum stix_tlp tlp;            /* the TLP the decision used (unmarked resolved) */
	int strip;                    /* allowed, with properties removed first */
	char reason[256];             /* one sentence */
};

/*
 * Whether one end of a relationship or sighting (an object id) may go to
 * the partner too, or already went: 1 yes, 0 no, negative: an error that
 * stops the decision.
 */
typedef int (*policy_ref_fn)(void *arg, const char *id);

/*
 * Egress: may o go through direction d (this node -> partner)? origin is
 * the direction it came in by when this node received it from a third
 * partner (that partner -> this node), else NULL (this node's own).
 * Checks, in order: RED, granular markings, the ceiling (unmarked: d's
 * assumption), the type, onward transfer, then the relationship's ends
 * through ref (may be NULL: ends are not checked). Target: about a
 * microsecond without refs (bench/policy_bench).
 */
int policy_egress(const struct agr_dir *d, const struct agr_dir *origin,
    const struct policy_obj *o, policy_ref_fn ref, void *arg, struct policy_decision *ret,
    struct err *err);

/* Ingress: may o come in through direction d (partner -> this node)? Type and RED. */
int policy_ingress(const struct agr_dir *d, const struct policy_obj *o,
    struct policy_decision *ret);

/*
 * The object's bytes with the top-level properties of d's strip list
 * removed, everything else byte for byte as it was (members' order,
 * spacing); appended to out. -LSN_EINVAL if json is not an object.
 */
int policy_strip(const char *json, size_t len, const struct agr_dir *d, struct buf *out,
    struct err *err);

#endif
