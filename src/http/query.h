/*
 * TAXII 2.1 query parameters (§3.4, §3.5): added_after, limit, next and the
 * match[...] filters, parsed from a raw query string into a caller-owned
 * struct. Pure: bytes in, struct out, so it can be fuzzed alone. Any unknown
 * parameter, repeated parameter or malformed value is an error that names it.
 */
#ifndef LSN_HTTP_QUERY_H
#define LSN_HTTP_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "util/ts.h"

struct err;

#define QUERY_MAX_BYTES 8192
#define QUERY_LIST_MAX 64

enum query_param {
	QP_ADDED_AFTER = 1 << 0,
	QP_LIMIT = 1 << 1,
	QP_NEXT = 1 << 2,
	QP_MATCH_ID = 1 << 3,
	QP_MATCH_TYPE = 1 << 4,
	QP_MATCH_VERSION = 1 << 5,
	QP_MATCH_SPEC_VERSION = 1 << 6,
};

enum query_ver {
	QV_LAST = 1 << 0,
	QV_FIRST = 1 << 1,
	QV_ALL = 1 << 2,
};

struct taxii_query {
	unsigned present;            /* query_param bits seen */
	int64_t added_after_us;      /* microseconds; valid if QP_ADDED_AFTER */
	struct ts added_after;
	size_t limit;                /* valid if QP_LIMIT; >= 1 */
	char next[128];
	const char *ids[QUERY_LIST_MAX];
	size_t n_ids;
	const char *types[QUERY_LIST_MAX];
	size_t n_types;
	unsigned ver_flags;          /* query_ver; 0 and n_vkeys == 0: default (last) */
	char vkeys[QUERY_LIST_MAX][TS_KEY_LEN];
	size_t n_vkeys;
	const char *spec_versions[QUERY_LIST_MAX];
	size_t n_spec_versions;
	char storage[QUERY_MAX_BYTES + 1]; /* decoded values point in here */
	size_t used;
};

/*
 * Parses q (the part after '?', not decoded). allowed is a mask of the
 * query_param bits the endpoint accepts; others are rejected with a message
 * naming the parameter. Returns 0 or -LSN_EINVAL / -LSN_ETOOBIG.
 */
int taxii_query_parse(const char *q, unsigned allowed, struct taxii_query *ret,
    struct err *err);

/*
 * The value of field name in an application/x-www-form-urlencoded body,
 * decoded into out (cap bytes, NUL added): its length, -LSN_ENOTFOUND,
 * -LSN_ETOOBIG, or -LSN_EINVAL (a malformed escape or a NUL byte).
 */
int form_value(const char *body, size_t len, const char *name, char *out, size_t cap);

#endif
