/*
 * STIX 2.1 object model: strict parsing and table-driven validation of one
 * object (STIX 2.1 OS, §3-§7 and §11), with the index facts the store needs.
 * Pure: no I/O, no storage, no logging. Thread-safe (no mutable globals).
 */
#ifndef LSN_STIX_STIX_H
#define LSN_STIX_STIX_H

#include <jansson.h>
#include <stddef.h>

#include "util/ts.h"

struct err;

#define STIX_TYPE_MAX 250              /* STIX 2.1 §3.1: type names are 3-250 chars */
#define STIX_ID_MAX (STIX_TYPE_MAX + 2 + 36)
#define STIX_OBJECT_MAX_DEPTH 64       /* deeper objects are rejected */

enum stix_kind {
	STIX_KIND_SDO = 1,     /* the 19 domain objects */
	STIX_KIND_SRO,         /* relationship, sighting */
	STIX_KIND_SCO,         /* the 18 cyber-observables (or a custom new-sco) */
	STIX_KIND_META,        /* marking-definition, language-content, extension-definition */
	STIX_KIND_CUSTOM,      /* custom object type (e.g. x-mitre-tactic) */
};

/* Highest TLP found among object_marking_refs (TLP 1.0 ids map to 2.0). */
enum stix_tlp {
	STIX_TLP_NONE = 0,
	STIX_TLP_CLEAR,
	STIX_TLP_GREEN,
	STIX_TLP_AMBER,
	STIX_TLP_AMBER_STRICT,
	STIX_TLP_RED,
};

struct stix_meta {
	enum stix_kind kind;
	enum stix_tlp tlp;
	char type[STIX_TYPE_MAX + 1];
	char id[STIX_ID_MAX + 1];
	char spec_version[8];          /* "2.1" (SCOs without it: "2.1") */
	/*
	 * The object's version as TAXII 2.1 §3.4 uses it: `modified`, else
	 * `created`, exactly as written; empty for an object with neither
	 * (most SCOs). version_key is the same instant normalized by ts_key()
	 * (empty when version is empty), for ordering and equality.
	 */
	char version[40];
	char version_key[TS_KEY_LEN];
};

/*
 * A jansson load error as one sentence: a duplicate key is named alone
 * ("duplicate key 'name' at line 1, column 30"), invalid UTF-8 quoted by
 * jansson is scrubbed. Returns -LSN_EINVAL.
 */
int stix_json_error(const json_error_t *je, struct err *err);

/*
 * Parses exactly len bytes as one JSON object with jansson, rejecting
 * duplicate keys, invalid UTF-8, NUL in strings and nesting deeper than
 * STIX_OBJECT_MAX_DEPTH, then validates it with stix_validate_object.
 * On success *ret_obj is the caller's (json_decref) and *ret_meta is filled.
 */
int stix_parse_object(const char *bytes, size_t len, json_t **ret_obj,
    struct stix_meta *ret_meta, struct err *err);

/*
 * Validates one parsed STIX 2.1 object. On failure returns -LSN_EINVAL and
 * err->msg names the property and the rule broken, e.g.
 * "property 'modified' must not be earlier than 'created'".
 * Only MUST-level rules fail; SHOULD-level best practices never do.
 */
int stix_validate_object(const json_t *obj, struct stix_meta *ret_meta,
    struct err *err);

/*
 * Validates a STIX 2.1 bundle ({"type":"bundle","id":"bundle--<uuid>",
 * "objects":[...]}) and every object in it; stops at the first invalid object
 * and names its index and id in err.
 */
int stix_validate_bundle(const json_t *bundle, struct err *err);

/* "2016-05-12T08:17:27.000Z" strictly per STIX 2.1 §3.2 (wraps ts_parse). */
int stix_parse_timestamp(const char *s, struct ts *ret, struct err *err);

/* 1 if s is "<type>--<RFC 4122 UUID>" with a valid type name, else 0. */
int stix_id_valid(const char *s);

const char *stix_tlp_name(enum stix_tlp t);
/* The TLP 2.0 marking-definition id of a level; NULL for STIX_TLP_NONE. */
const char *stix_tlp_marking_id(enum stix_tlp t);

/*
 * Additions for the policy and TAXII layers. Apart from stix_parse_bundle,
 * which builds the jansson tree, none allocates. stix_validate_object and
 * stix_parse_object accept ret_meta == NULL, and stix_parse_object accepts
 * ret_obj == NULL (the tree is then freed). Error sentences quote input cut
 * to a few dozen bytes; bytes that would not be valid UTF-8 there are
 * replaced by '?', so a message can go into a JSON body as it is.
 */

/*
 * Parses exactly len bytes as one STIX 2.1 bundle (the same strict JSON rules
 * as stix_parse_object, depth counted from the bundle) and validates it with
 * stix_validate_bundle. On success *ret_bundle is the caller's (json_decref).
 */
int stix_parse_bundle(const char *bytes, size_t len, json_t **ret_bundle,
    struct err *err);

/* 1 if s[0..len) is a STIX type name (§3.1: 3-250 of a-z, 0-9, '-', starting
 * with a letter; no "--" and no trailing '-', which would make ids ambiguous). */
int stix_type_valid(const char *s, size_t len);
/* 1 if s[0..len) is a property name (§3.1: 3-250 of a-z, 0-9, '_', not
 * starting with a digit). */
int stix_property_name_valid(const char *s, size_t len);
/* 1 if s[0..len) is an RFC 4122 UUID (variant 10x, version 1-5, any case). */
int stix_uuid_valid(const char *s, size_t len);
/* Length of the type part of an id that stix_id_valid accepted. */
size_t stix_id_type_len(const char *id);
/* Replaces, in place, every byte of s that does not belong to a valid UTF-8
 * sequence with '?'. */
void stix_utf8_scrub(char *s);

/* The TLP level a marking-definition id stands for (the five TLP 2.0 ids and
 * the four TLP 1.0 ids, WHITE meaning CLEAR); STIX_TLP_NONE for any other id. */
enum stix_tlp stix_tlp_of_marking(const char *marking_id);
/* "clear", "TLP:AMBER+STRICT", "white" (TLP 1.0, = CLEAR), any case:
 * 0 and *ret set, or -LSN_EINVAL. */
int stix_tlp_from_name(const char *s, enum stix_tlp *ret);
/*
 * Checks the TLP shape of one marking-definition: a TLP 1.0 definition or the
 * TLP 2.0 extension must name a real level and sit on that level's fixed id,
 * and a fixed id must define its level. *ret_tlp is the level defined
 * (STIX_TLP_NONE for a statement or other marking). 0 or -LSN_EINVAL.
 */
int stix_marking_tlp(const json_t *md, enum stix_tlp *ret_tlp, struct err *err);

#endif
