/*
 * TAXII query-string parsing. Percent-decoding into a fixed buffer inside
 * the result, so there is no allocation and the caps are structural.
 */
#include "http/query.h"
#include "util/enc.h"
#include "util/err.h"

#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	enum query_param bit;
} params[] = {
	{ "added_after", QP_ADDED_AFTER },
	{ "limit", QP_LIMIT },
	{ "next", QP_NEXT },
	{ "match[id]", QP_MATCH_ID },
	{ "match[type]", QP_MATCH_TYPE },
	{ "match[version]", QP_MATCH_VERSION },
	{ "match[spec_version]", QP_MATCH_SPEC_VERSION },
};

/*
 * Percent- and '+'-decodes [s, e) into out (cap bytes, NUL added): its
 * length, -LSN_ETOOBIG if it does not fit, -LSN_EINVAL for a malformed
 * escape or a NUL byte.
 */
static int
pct_decode(const char *s, const char *e, char *out, size_t cap)
{
	char *o = out;

	if ((size_t)(e - s) + 1 > cap)
		return -LSN_ETOOBIG;
	for (; s < e; s++) {
		if (*s == '%') {
			int hi = e - s >= 3 ? hex_value(s[1]) : -1, lo = e - s >= 3 ? hex_value(s[2]) : -1;
			if (hi < 0 || lo < 0)
				return -LSN_EINVAL;
			*o++ = (char)(hi << 4 | lo);
			s += 2;
		} else {
			*o++ = *s == '+' ? ' ' : *s;
		}
	}
	*o = '\0';
	return strlen(out) == (size_t)(o - out) ? (int)(o - out) : -LSN_EINVAL;
}

/* Decodes [s, e) into storage; returns the NUL-terminated copy or NULL. */
static char *
decode(struct taxii_query *q, const char *s, const char *e, struct err *err)
{
	char *out = q->storage + q->used;
	int n = pct_decode(s, e, out, sizeof(q->storage) - q->used);

	if (n == -LSN_ETOOBIG) {
		err_set(err, LSN_ETOOBIG, "the query string is longer than %d bytes", QUERY_MAX_BYTES);
		return NULL;
	}
	if (n < 0) {
		err_set(err, LSN_EINVAL, "the query string has a malformed percent-escape or a NUL byte");
		return NULL;
	}
	q->used += (size_t)n + 1;
	return out;
}

int
form_value(const char *body, size_t len, const char *name, char *out, size_t cap)
{
	const char *p = body, *end = body + len;
	size_t nl = strlen(name);

	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p)), *e = amp ? amp : end;

		if ((size_t)(e - p) > nl && memcmp(p, name, nl) == 0 && p[nl] == '=')
			return pct_decode(p + nl + 1, e, out, cap);
		p = e + 1;
	}
	return -LSN_ENOTFOUND;
}

/* Splits a comma list in place; empty items are errors. */
static int
split(char *v, const char **items, size_t *n, const char *name, struct err *err)
{
	char *p = v, *c;

	for (;;) {
		c = strchr(p, ',');
		if (c != NULL)
			*c = '\0';
		if (*p == '\0')
			return err_set(err, LSN_EINVAL, "parameter '%s' has an empty value in its list", name);
		if (*n == QUERY_LIST_MAX)
			return err_set(err, LSN_ETOOBIG, "parameter '%s' lists more than %d values",
			    name, QUERY_LIST_MAX);
		items[(*n)++] = p;
		if (c == NULL)
			return 0;
		p = c + 1;
	}
}

static int
parse_limit(struct taxii_query *q, const char *v, struct err *err)
{
	char *end;
	unsigned long long n;

	if (*v < '0' || *v > '9')
		return err_set(err, LSN_EINVAL, "parameter 'limit' must be a positive integer, not '%.40s'", v);
	n = strtoull(v, &end, 10);
	if (*end != '\0' || n == 0)
		return err_set(err, LSN_EINVAL, "parameter 'limit' must be a positive integer, not '%.40s'", v);
	q->limit = n > 1000000000ULL ? 1000000000ULL : (size_t)n;
	return 0;
}

static int
parse_versions(struct taxii_query *q, char *v, struct err *err)
{
	const char *items[QUERY_LIST_MAX];
	size_t n = 0, i;
	struct ts t;
	int r;

	if ((r = split(v, items, &n, "match[version]", err)) < 0)
		return r;
	for (i = 0; i < n; i++) {
		if (strcmp(items[i], "last") == 0)
			q->ver_flags |= QV_LAST;
		else if (strcmp(items[i], "first") == 0)
			q->ver_flags |= QV_FIRST;
		else if (strcmp(items[i], "all") == 0)
			q->ver_flags |= QV_ALL;
		else if (ts_parse(items[i], strlen(items[i]), &t, err) == 0)
			ts_key(&t, q->vkeys[q->n_vkeys++]);
		else
			return err_set(err, LSN_EINVAL,
			    "parameter 'match[version]': '%.60s' is not first, last, all or a timestamp",
			    items[i]);
	}
	return 0;
}

static int
parse_value(struct taxii_query *q, enum query_param bit, char *v, struct err *err)
{
	size_t n;

	switch (bit) {
	case QP_ADDED_AFTER:
		if (ts_parse(v, strlen(v), &q->added_after, err) < 0) {
			err_prefix(err, "parameter 'added_after': ");
			return -LSN_EINVAL;
		}
		q->added_after_us = ts_to_us(&q->added_after);
		return 0;
	case QP_LIMIT:
		return parse_limit(q, v, err);
	case QP_NEXT:
		n = strlen(v);
		if (n == 0 || n >= sizeof(q->next))
			return err_set(err, LSN_EINVAL, "parameter 'next' is not a token this server issued");
		memcpy(q->next, v, n + 1);
		return 0;
	case QP_MATCH_ID:
		return split(v, q->ids, &q->n_ids, "match[id]", err);
	case QP_MATCH_TYPE:
		return split(v, q->types, &q->n_types, "match[type]", err);
	case QP_MATCH_VERSION:
		return parse_versions(q, v, err);
	case QP_MATCH_SPEC_VERSION:
		return split(v, q->spec_versions, &q->n_spec_versions, "match[spec_version]", err);
	}
	return err_set(err, LSN_EINTERNAL, "unreachable query parameter");
}

static int
parse_pair(struct taxii_query *q, const char *s, const char *e, unsigned allowed,
    struct err *err)
{
	const char *eq = memchr(s, '=', (size_t)(e - s));
	char *name, *value;
	size_t i;

	if (eq == NULL)
		eq = e;
	name = decode(q, s, eq, err);
	if (name == NULL)
		return -err->code;
	for (i = 0; i < sizeof(params) / sizeof(params[0]); i++)
		if (strcmp(name, params[i].name) == 0)
			break;
	if (i == sizeof(params) / sizeof(params[0]) || !(allowed & params[i].bit))
		return err_set(err, LSN_EINVAL, "unknown query parameter '%.60s' for this endpoint", name);
	if (q->present & params[i].bit)
		return err_set(err, LSN_EINVAL,
		    "parameter '%s' is given twice; list values with commas instead", name);
	if (eq == e || eq + 1 == e)
		return err_set(err, LSN_EINVAL, "parameter '%s' has no value", name);
	value = decode(q, eq + 1, e, err);
	if (value == NULL)
		return -err->code;
	q->present |= params[i].bit;
	return parse_value(q, params[i].bit, value, err);
}

int
taxii_query_parse(const char *qs, unsigned allowed, struct taxii_query *q, struct err *err)
{
	const char *s = qs, *amp;
	int r;

	memset(q, 0, offsetof(struct taxii_query, storage));
	q->used = 0;
	if (strlen(qs) > QUERY_MAX_BYTES)
		return err_set(err, LSN_ETOOBIG, "the query string is longer than %d bytes", QUERY_MAX_BYTES);
	while (*s != '\0') {
		amp = strchr(s, '&');
		if (amp == NULL)
			amp = s + strlen(s);
		if (amp > s && (r = parse_pair(q, s, amp, allowed, err)) < 0)
			return r;
		s = *amp ? amp + 1 : amp;
	}
	return 0;
}
