/*
 * An agreement between this node and one partner (docs/agreements.md): one
 * text both operators hold, naming both nodes and the terms of each
 * direction, so the two nodes can compare its hash. Parsing, writing in
 * canonical form and hashing; no I/O (the caller reads and writes files).
 */
#ifndef LSN_POLICY_AGREEMENT_H
#define LSN_POLICY_AGREEMENT_H

#include <stddef.h>
#include <stdint.h>

#include "stix/stix.h"
#include "util/name.h"

struct err;

#define AGR_NAME_MAX NODE_NAME_MAX    /* node names: name_check (util/name.h) */
#define AGR_LIST_MAX 64               /* entries of one list (types, collections, strip) */
#define AGR_ITEM_MAX 128              /* bytes of one entry */
#define AGR_TEXT_MAX 16384            /* a whole agreement file */

/* The terms of one direction: what the sender may send, and the receiver take. */
struct agr_dir {
	char collections[AGR_LIST_MAX][AGR_ITEM_MAX]; /* the sender's collections shared (titles) */
	size_t n_collections;
	char types[AGR_LIST_MAX][AGR_ITEM_MAX];  /* STIX types that may cross; "*" alone: all */
	size_t n_types;
	enum stix_tlp max_tlp;        /* highest TLP that may cross: CLEAR .. AMBER_STRICT */
	enum stix_tlp unmarked;       /* the TLP assumed for an object without one (AMBER) */
	/*
	 * Top-level properties removed before signing: a name, or a prefix
	 * ending in '*' ("x_*": every custom property). Required common
	 * properties (type, id, spec_version, created, modified) never are.
	 */
	char strip[AGR_LIST_MAX][AGR_ITEM_MAX];
	size_t n_strip;
	int forwardable;              /* the receiver may pass CLEAR/GREEN objects on to others */
};

/* Hotline deadlines in seconds (the hotline issue uses them). */
struct agr_hotline {
	int64_t ack_s, ack_emergency_s;
	int64_t respond_s, respond_emergency_s;
	int64_t preserve_days;
};

struct agreement {
	char a[AGR_NAME_MAX + 1], b[AGR_NAME_MAX + 1];  /* the two nodes, a < b (strcmp) */
	struct agr_dir ab, ba;        /* a -> b, b -> a */
	struct agr_hotline hotline;
};

/*
 * The default terms between self and partner: collections "shared", all
 * types, max TLP AMBER, unmarked AMBER, nothing stripped, not forwardable,
 * hotline ack 24 h (1 h emergency), respond 72 h (4 h emergency), preserve
 * 60 days.
 */
void agreement_default(struct agreement *g, const char *self, const char *partner);

/* The direction from `from` (one of the two names) to the other; NULL if from is neither. */
struct agr_dir *agreement_dir(struct agreement *g, const char *from);
const struct agr_dir *agreement_dir_const(const struct agreement *g, const char *from);

/*
 * Parses an agreement file (INI-like, comments with '#', sections
 * [agreement], [A -> B], [B -> A], [hotline]; docs/agreements.md). Unknown
 * sections or keys, duplicates, a RED ceiling, bad TLP names, durations or
 * lists are refused with -LSN_EINVAL naming the line.
 */
int agreement_parse(const char *text, size_t len, struct agreement *ret, struct err *err);

/*
 * Writes g in canonical form (fixed order, one key a line, lists sorted
 * and joined by ", ", durations in seconds, with the comments that
 * explain each key), NUL-terminated. -LSN_ETOOBIG if cap is short.
 */
int agreement_format(const struct agreement *g, char *out, size_t cap, size_t *ret_len,
    struct err *err);

/*
 * SHA-256 of the canonical form without its comments: equal terms, equal
 * hash. -LSN_ENOMEM if the canonical text cannot be allocated.
 */
int agreement_hash(const struct agreement *g, uint8_t out[static 32], struct err *err);

/*
 * Sets one term from the command line (`liaison agreement set`): key is
 * "out.max_tlp", "in.types", "hotline.ack", ... ("out" is self -> partner,
 * "in" partner -> self); value as in the file. -LSN_EINVAL names the problem.
 */
int agreement_set(struct agreement *g, const char *self, const char *key, const char *value,
    struct err *err);

#endif
