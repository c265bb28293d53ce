/*
 * Agreements between two nodes (docs/agreements.md): a strict, hand-written
 * parser whose every refusal names the line, a canonical writer and the hash
 * both partners compare. It never reads or writes files.
 *
 * The format, line by line (a line is up to '\n'; a '\r' before it is dropped):
 *   - blank lines, and lines whose first non-blank byte is '#', are ignored;
 *     '#' elsewhere is part of the value (collection titles may hold one);
 *   - "[agreement]", "[A -> B]", "[B -> A]", "[hotline]" open a section; each
 *     must appear exactly once, in any order;
 *   - "key = value" inside a section; blanks around key and value are
 *     dropped; every key of a section must appear exactly once;
 *   - [agreement]: between = A B (two node names, a-z 0-9 '-', any order;
 *     the canonical form sorts them);
 *   - [X -> Y]: collections, types, strip (comma-separated lists, may be
 *     empty), max_tlp (clear|green|amber|amber+strict), unmarked (clear ..
 *     red), forwardable (yes|no);
 *   - [hotline]: ack, ack_emergency, respond, respond_emergency (a positive
 *     integer followed by s, m, h or d), preserve_days (an integer).
 */
#include "policy/agreement.h"
#include "crypto/cx.h"
#include "util/err.h"
#include "util/name.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DUR_MAX_S (3650LL * 86400)    /* ten years: anything longer is a typo */
#define PRESERVE_MAX_DAYS 36500
#define CANON_MAX (2 * 3 * AGR_LIST_MAX * (AGR_ITEM_MAX + 2) + 8192)

static const char *const tlp_words[] = {
	[STIX_TLP_NONE] = "none", [STIX_TLP_CLEAR] = "clear", [STIX_TLP_GREEN] = "green",
	[STIX_TLP_AMBER] = "amber", [STIX_TLP_AMBER_STRICT] = "amber+strict",
	[STIX_TLP_RED] = "red",
};

static const char *const required_props[] = { "type", "id", "spec_version", "created",
	"modified" };

/* ---- small parsers shared by the file and agreement_set ---- */

static int
name_ok(const char *s)
{
	return name_check(s, strlen(s), NULL) == 0;
}

static int
tlp_value(const char *v, int allow_red, enum stix_tlp *ret, struct err *err)
{
	enum stix_tlp t;

	if (stix_tlp_from_name(v, &t) < 0)
		return err_set(err, LSN_EINVAL, "'%.40s' is not a TLP level (clear, green, amber, "
		    "amber+strict%s)", v, allow_red ? ", red" : "");
	if (t == STIX_TLP_RED && !allow_red)
		return err_set(err, LSN_EINVAL, "the highest TLP out cannot be red: RED never "
		    "leaves on its own, it is shared person to person");
	*ret = t;
	return 0;
}

static int
yesno_value(const char *v, int *ret, struct err *err)
{
	if (strcmp(v, "yes") == 0 || strcmp(v, "no") == 0) {
		*ret = v[0] == 'y';
		return 0;
	}
	return err_set(err, LSN_EINVAL, "'%.40s' is not yes or no", v);
}

static int
duration_value(const char *v, int64_t *ret, struct err *err)
{
	static const struct { char unit; int64_t s; } units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
	};
	int64_t n = 0;
	size_t i = 0, u;

	while (v[i] >= '0' && v[i] <= '9' && n <= DUR_MAX_S)
		n = n * 10 + (v[i++] - '0');
	for (u = 0; i > 0 && v[i] != '\0' && v[i + 1] == '\0' && u < 4; u++) {
		if (v[i] == units[u].unit && n > 0 && n <= DUR_MAX_S / units[u].s) {
			*ret = n * units[u].s;
			return 0;
		}
	}
	return err_set(err, LSN_EINVAL, "'%.40s' is not a duration: a positive number with "
	    "s, m, h or d (24h, 90m, 3600s, 2d), at most ten years", v);
}

static int
days_value(const char *v, int64_t *ret, struct err *err)
{
	int64_t n = 0;
	size_t i;

	for (i = 0; v[i] >= '0' && v[i] <= '9' && n <= PRESERVE_MAX_DAYS; i++)
		n = n * 10 + (v[i] - '0');
	if (i == 0 || v[i] != '\0' || n > PRESERVE_MAX_DAYS)
		return err_set(err, LSN_EINVAL, "'%.40s' is not a number of days (0 to %d)", v,
		    PRESERVE_MAX_DAYS);
	*ret = n;
	return 0;
}

enum list_kind { L_COLLECTIONS, L_TYPES, L_STRIP };

static int
prop_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

static int
item_ok(enum list_kind k, const char *s, struct err *err)
{
	size_t n = strlen(s), i;

	if (k == L_COLLECTIONS) {
		for (i = 0; i < n; i++) {
			if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
				return err_set(err, LSN_EINVAL, "a collection title holds a control "
				    "character");
		}
		return 0;
	}
	if (k == L_TYPES) {
		if (strcmp(s, "*") == 0 || stix_type_valid(s, n))
			return 0;
		return err_set(err, LSN_EINVAL, "'%.40s' is not a STIX type name", s);
	}
	for (i = 0; i < sizeof(required_props) / sizeof(required_props[0]); i++) {
		if (strcmp(s, required_props[i]) == 0)
			return err_set(err, LSN_EINVAL, "'%s' is a required property and is never "
			    "removed", s);
	}
	if (n >= 2 && s[n - 1] == '*') {
		for (i = 0; i < n - 1 && prop_char(s[i]); i++)
			;
		if (i == n - 1)
			return 0;
	} else if (stix_property_name_valid(s, n)) {
		return 0;
	}
	return err_set(err, LSN_EINVAL, "'%.40s' is neither a property name nor a prefix "
	    "ending in '*' (x_*)", s);
}

static int
cmp_item(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Splits v at commas into items (trimmed, checked, sorted, no repeats). */
static int
list_value(enum list_kind k, const char *v, char items[][AGR_ITEM_MAX], size_t *ret_n,
    struct err *err)
{
	char tmp[AGR_LIST_MAX][AGR_ITEM_MAX];
	size_t n = 0, i, len;
	const char *p = v, *c, *e;
	int r;

	/* zeroed, so equal terms are equal bytes (tests compare structs) */
	memset(tmp, 0, sizeof(tmp));
	while (*p == ' ' || *p == '\t')
		p++;
	while (*p != '\0') {
		c = strchr(p, ',');
		e = c != NULL ? c : p + strlen(p);
		while (*p == ' ' || *p == '\t')
			p++;
		len = (size_t)(e - p);
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len == 0)
			return err_set(err, LSN_EINVAL, "the list has an empty entry");
		if (n == AGR_LIST_MAX || len >= AGR_ITEM_MAX)
			return err_set(err, LSN_EINVAL, "the list is too long (at most %d entries "
			    "of %d bytes)", AGR_LIST_MAX, AGR_ITEM_MAX - 1);
		memcpy(tmp[n], p, len);
		tmp[n][len] = '\0';
		if ((r = item_ok(k, tmp[n], err)) < 0)
			return r;
		n++;
		p = c != NULL ? c + 1 : e;
		if (c != NULL && *p == '\0')
			return err_set(err, LSN_EINVAL, "the list ends with a comma");
	}
	qsort(tmp, n, AGR_ITEM_MAX, cmp_item);
	for (i = 1; i < n; i++) {
		if (strcmp(tmp[i - 1], tmp[i]) == 0)
			return err_set(err, LSN_EINVAL, "'%.40s' is listed twice", tmp[i]);
	}
	if (k == L_TYPES && n > 1 && strcmp(tmp[0], "*") == 0)
		return err_set(err, LSN_EINVAL, "'*' (every type) must stand alone");
	memcpy(items, tmp, sizeof(tmp));
	*ret_n = n;
	return 0;
}

/* ---- keys: one table for the file and for agreement_set ---- */

enum key_kind { K_LIST, K_TLP_MAX, K_TLP_UNMARKED, K_YESNO, K_DUR, K_DAYS };

struct key {
	const char *name;
	enum key_kind kind;
	enum list_kind list;
	size_t off;                   /* into struct agr_dir or struct agr_hotline */
	const char *comment;          /* %1$s: the sender, %2$s: the receiver */
};

#define DOFF(f) offsetof(struct agr_dir, f)
#define HOFF(f) offsetof(struct agr_hotline, f)

static const struct key dir_keys[] = {
	{ "collections", K_LIST, L_COLLECTIONS, DOFF(collections),
	  "# collections of %s shared with %s (titles, comma-separated)" },
	{ "types", K_LIST, L_TYPES, DOFF(types),
	  "# STIX types that may cross (\"*\" alone: every type; marking-definitions too)" },
	{ "max_tlp", K_TLP_MAX, 0, DOFF(max_tlp),
	  "# highest TLP that may cross: clear, green, amber, amber+strict\n"
	  "# (RED never leaves on its own)" },
	{ "unmarked", K_TLP_UNMARKED, 0, DOFF(unmarked),
	  "# the TLP assumed for an object that carries none (red: never sent)" },
	{ "strip", K_LIST, L_STRIP, DOFF(strip),
	  "# top-level properties removed before signing; \"x_*\": every custom one\n"
	  "# (type, id, spec_version, created and modified never are)" },
	{ "forwardable", K_YESNO, 0, DOFF(forwardable),
	  "# may %2$s pass CLEAR and GREEN objects from %1$s on to third partners" },
};

static const struct key hot_keys[] = {
	{ "ack", K_DUR, 0, HOFF(ack_s),
	  "# acknowledge an incident notification within" },
	{ "ack_emergency", K_DUR, 0, HOFF(ack_emergency_s),
	  "# acknowledge an emergency notification within" },
	{ "respond", K_DUR, 0, HOFF(respond_s), "# respond to a request within" },
	{ "respond_emergency", K_DUR, 0, HOFF(respond_emergency_s),
	  "# respond to an emergency request within" },
	{ "preserve_days", K_DAYS, 0, HOFF(preserve_days),
	  "# days evidence of an incident is preserved" },
};

#define N_DIR_KEYS (sizeof(dir_keys) / sizeof(dir_keys[0]))
#define N_HOT_KEYS (sizeof(hot_keys) / sizeof(hot_keys[0]))

static int
key_apply(const struct key *k, void *base, const char *v, struct err *err)
{
	char *p = (char *)base + k->off;
	struct agr_dir *d = base;

	switch (k->kind) {
	case K_LIST:
		if (k->list == L_COLLECTIONS)
			return list_value(k->list, v, d->collections, &d->n_collections, err);
		if (k->list == L_TYPES)
			return list_value(k->list, v, d->types, &d->n_types, err);
		return list_value(k->list, v, d->strip, &d->n_strip, err);
	case K_TLP_MAX:
		return tlp_value(v, 0, (enum stix_tlp *)(void *)p, err);
	case K_TLP_UNMARKED:
		return tlp_value(v, 1, (enum stix_tlp *)(void *)p, err);
	case K_YESNO:
		return yesno_value(v, (int *)(void *)p, err);
	case K_DUR:
		return duration_value(v, (int64_t *)(void *)p, err);
	case K_DAYS:
		return days_value(v, (int64_t *)(void *)p, err);
	}
	return err_set(err, LSN_EINTERNAL, "unknown key kind");
}

static const struct key *
key_find(const struct key *keys, size_t n, const char *name, size_t *ret_i)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(keys[i].name, name) == 0) {
			*ret_i = i;
			return &keys[i];
		}
	}
	return NULL;
}

/* ---- defaults and directions ---- */

static void
dir_default(struct agr_dir *d)
{
	memset(d, 0, sizeof(*d));
	strcpy(d->collections[0], "shared");
	d->n_collections = 1;
	strcpy(d->types[0], "*");
	d->n_types = 1;
	d->max_tlp = STIX_TLP_AMBER;
	d->unmarked = STIX_TLP_AMBER;
}

void
agreement_default(struct agreement *g, const char *self, const char *partner)
{
	int swap = strcmp(self, partner) > 0;

	memset(g, 0, sizeof(*g));
	snprintf(g->a, sizeof(g->a), "%s", swap ? partner : self);
	snprintf(g->b, sizeof(g->b), "%s", swap ? self : partner);
	dir_default(&g->ab);
	dir_default(&g->ba);
	g->hotline.ack_s = 24 * 3600;
	g->hotline.ack_emergency_s = 3600;
	g->hotline.respond_s = 72 * 3600;
	g->hotline.respond_emergency_s = 4 * 3600;
	g->hotline.preserve_days = 60;
}

const struct agr_dir *
agreement_dir_const(const struct agreement *g, const char *from)
{
	if (from == NULL)
		return NULL;
	if (strcmp(from, g->a) == 0)
		return &g->ab;
	if (strcmp(from, g->b) == 0)
		return &g->ba;
	return NULL;
}

struct agr_dir *
agreement_dir(struct agreement *g, const char *from)
{
	return (struct agr_dir *)agreement_dir_const(g, from);
}

/* ---- parsing ---- */

enum { S_NONE = -1, S_AGR = 0, S_DIR1, S_DIR2, S_HOT, S_COUNT };

struct pstate {
	struct agreement *g;
	int sec;                      /* current section, S_* */
	int sec_line[S_COUNT];        /* where each section opened; 0: not yet */
	char from[2][AGR_NAME_MAX + 1], to[2][AGR_NAME_MAX + 1]; /* of S_DIR1, S_DIR2 */
	struct agr_dir dirs[2];
	unsigned seen[S_COUNT];       /* bit per key index */
};

static void
trim(char **s)
{
	char *p = *s;
	size_t n;

	while (*p == ' ' || *p == '\t')
		p++;
	n = strlen(p);
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		p[--n] = '\0';
	*s = p;
}

/* "NAME -> NAME" into from, to. */
static int
split_arrow(char *s, char *from, char *to)
{
	char *arrow = strstr(s, "->"), *f = s, *t;

	if (arrow == NULL)
		return -1;
	*arrow = '\0';
	t = arrow + 2;
	trim(&f);
	trim(&t);
	if (!name_ok(f) || !name_ok(t))
		return -1;
	strcpy(from, f);
	strcpy(to, t);
	return 0;
}

static int
parse_section(struct pstate *ps, char *s, int line, struct err *err)
{
	size_t n = strlen(s);
	int sec;

	if (s[n - 1] != ']')
		return err_set(err, LSN_EINVAL, "line %d: a section header must end with ']'", line);
	s[n - 1] = '\0';
	s++;
	trim(&s);
	if (strcmp(s, "agreement") == 0) {
		sec = S_AGR;
	} else if (strcmp(s, "hotline") == 0) {
		sec = S_HOT;
	} else {
		char f[AGR_NAME_MAX + 1], t[AGR_NAME_MAX + 1];

		if (strlen(s) > 2 * AGR_NAME_MAX + 8 || split_arrow(s, f, t) < 0)
			return err_set(err, LSN_EINVAL, "line %d: unknown section [%.80s]; the "
			    "sections are [agreement], [A -> B], [B -> A] and [hotline]", line, s);
		if (strcmp(f, t) == 0)
			return err_set(err, LSN_EINVAL, "line %d: [%s -> %s] names one node twice",
			    line, f, t);
		if (ps->sec_line[S_DIR1] == 0 || strcmp(ps->from[0], f) == 0)
			sec = S_DIR1;
		else if (ps->sec_line[S_DIR2] == 0 || strcmp(ps->from[1], f) == 0)
			sec = S_DIR2;
		else
			return err_set(err, LSN_EINVAL, "line %d: a third direction [%s -> %s]; an "
			    "agreement is between two nodes", line, f, t);
		if (ps->sec_line[sec] != 0)
			return err_set(err, LSN_EINVAL, "line %d: section [%s -> %s] appears twice "
			    "(first at line %d)", line, f, t, ps->sec_line[sec]);
		strcpy(ps->from[sec - S_DIR1], f);
		strcpy(ps->to[sec - S_DIR1], t);
	}
	if (ps->sec_line[sec] != 0)
		return err_set(err, LSN_EINVAL, "line %d: section [%s] appears twice (first at "
		    "line %d)", line, s, ps->sec_line[sec]);
	ps->sec_line[sec] = line;
	ps->sec = sec;
	return 0;
}

static int
parse_between(struct pstate *ps, char *v, int line, struct err *err)
{
	char *sp = strpbrk(v, " \t"), *b;
	struct agreement *g = ps->g;

	if (sp == NULL)
		return err_set(err, LSN_EINVAL, "line %d: 'between' names the two nodes, "
		    "separated by a space", line);
	*sp = '\0';
	b = sp + 1;
	trim(&b);
	if (!name_ok(v) || !name_ok(b))
		return err_set(err, LSN_EINVAL, "line %d: node names are 1-%d of a-z, 0-9 and '-' "
		    "(not first)", line, AGR_NAME_MAX);
	if (strcmp(v, b) == 0)
		return err_set(err, LSN_EINVAL, "line %d: an agreement is between two different "
		    "nodes", line);
	strcpy(g->a, strcmp(v, b) < 0 ? v : b);
	strcpy(g->b, strcmp(v, b) < 0 ? b : v);
	return 0;
}

static int
parse_key(struct pstate *ps, char *s, int line, struct err *err)
{
	char *eq = strchr(s, '='), *k = s, *v;
	const struct key *key;
	size_t idx;
	int r;

	if (ps->sec == S_NONE)
		return err_set(err, LSN_EINVAL, "line %d: a key before the first section", line);
	if (eq == NULL)
		return err_set(err, LSN_EINVAL, "line %d: expected 'key = value', a section or "
		    "a comment", line);
	*eq = '\0';
	v = eq + 1;
	trim(&k);
	trim(&v);
	if (ps->sec == S_AGR) {
		key = NULL;
		idx = 0;
		if (strcmp(k, "between") != 0)
			return err_set(err, LSN_EINVAL, "line %d: unknown key '%.40s' in "
			    "[agreement]; its one key is 'between'", line, k);
	} else if (ps->sec == S_HOT) {
		key = key_find(hot_keys, N_HOT_KEYS, k, &idx);
		if (key == NULL)
			return err_set(err, LSN_EINVAL, "line %d: unknown key '%.40s' in [hotline]; "
			    "the keys are ack, ack_emergency, respond, respond_emergency, "
			    "preserve_days", line, k);
	} else {
		key = key_find(dir_keys, N_DIR_KEYS, k, &idx);
		if (key == NULL)
			return err_set(err, LSN_EINVAL, "line %d: unknown key '%.40s'; a direction's "
			    "keys are collections, types, max_tlp, unmarked, strip, forwardable",
			    line, k);
	}
	if (ps->seen[ps->sec] & (1u << idx))
		return err_set(err, LSN_EINVAL, "line %d: key '%s' appears twice in its section",
		    line, k);
	ps->seen[ps->sec] |= 1u << idx;
	if (key == NULL)
		return parse_between(ps, v, line, err);
	if (ps->sec == S_HOT)
		r = key_apply(key, &ps->g->hotline, v, err);
	else
		r = key_apply(key, &ps->dirs[ps->sec - S_DIR1], v, err);
	if (r < 0)
		err_prefix(err, "line %d: %s: ", line, k);
	return r;
}

static int
parse_line(struct pstate *ps, char *s, int line, struct err *err)
{
	trim(&s);
	if (s[0] == '\0' || s[0] == '#')
		return 0;
	if (s[0] == '[')
		return parse_section(ps, s, line, err);
	return parse_key(ps, s, line, err);
}

/* After the last line: every section and key present, directions match between. */
static int
parse_finish(struct pstate *ps, int last, struct err *err)
{
	static const char *const names[S_COUNT] = { "[agreement]", "[A -> B]", "[B -> A]",
		"[hotline]" };
	struct agreement *g = ps->g;
	int s, i;

	for (s = 0; s < S_COUNT; s++) {
		unsigned all = s == S_AGR ? 1u : s == S_HOT ? (1u << N_HOT_KEYS) - 1 :
		    (1u << N_DIR_KEYS) - 1;
		const struct key *keys = s == S_HOT ? hot_keys : dir_keys;

		if (ps->sec_line[s] == 0)
			return err_set(err, LSN_EINVAL, "line %d: end of text, and section %s is "
			    "missing", last, names[s]);
		if (s == S_AGR && ps->seen[s] != all)
			return err_set(err, LSN_EINVAL, "line %d: section [agreement] lacks key "
			    "'between'", ps->sec_line[s]);
		for (i = 0; ps->seen[s] != all; i++) {
			if (!(ps->seen[s] & (1u << i)))
				return err_set(err, LSN_EINVAL, "line %d: section %s lacks key '%s'",
				    ps->sec_line[s], names[s], keys[i].name);
		}
	}
	for (i = 0; i < 2; i++) {
		int ab = strcmp(ps->from[i], g->a) == 0 && strcmp(ps->to[i], g->b) == 0;
		int ba = strcmp(ps->from[i], g->b) == 0 && strcmp(ps->to[i], g->a) == 0;

		if (!ab && !ba)
			return err_set(err, LSN_EINVAL, "line %d: [%s -> %s] is not between %s and %s",
			    ps->sec_line[S_DIR1 + i], ps->from[i], ps->to[i], g->a, g->b);
		if (ab)
			g->ab = ps->dirs[i];
		else
			g->ba = ps->dirs[i];
	}
	if (strcmp(ps->from[0], ps->from[1]) == 0)
		return err_set(err, LSN_EINVAL, "line %d: [%s -> %s] appears twice",
		    ps->sec_line[S_DIR2], ps->from[1], ps->to[1]);
	return 0;
}

int
agreement_parse(const char *text, size_t len, struct agreement *ret, struct err *err)
{
	struct pstate *ps;
	char *copy, *p, *nl;
	int line = 0, r = 0;

	if (len > AGR_TEXT_MAX)
		return err_set(err, LSN_ETOOBIG, "the agreement is longer than %d bytes",
		    AGR_TEXT_MAX);
	if (memchr(text, '\0', len) != NULL)
		return err_set(err, LSN_EINVAL, "the agreement holds a NUL byte");
	ps = calloc(1, sizeof(*ps) + sizeof(*ret));
	copy = malloc(len + 1);
	if (ps == NULL || copy == NULL) {
		r = err_set(err, LSN_ENOMEM, "out of memory parsing an agreement");
		goto out;
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	ps->g = (struct agreement *)(ps + 1);
	ps->sec = S_NONE;
	for (p = copy; r == 0 && *p != '\0'; p = nl) {
		nl = strchr(p, '\n');
		nl = nl != NULL ? (*nl = '\0', nl + 1) : p + strlen(p);
		if (nl > p + 1 && nl[-2] == '\r')
			nl[-2] = '\0';
		r = parse_line(ps, p, ++line, err);
	}
	if (r == 0)
		r = parse_finish(ps, line, err);
	if (r == 0)
		*ret = *ps->g;
out:
	free(copy);
	free(ps);
	return r;
}

/* ---- canonical form ---- */

struct out {
	char *p;
	size_t len, cap;
	int full;
};

static void
outf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
outf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->len)
		o->full = 1;
	else
		o->len += (size_t)n;
}

static int
cmp_ptr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
out_list(struct out *o, const char (*items)[AGR_ITEM_MAX], size_t n)
{
	const char *sorted[AGR_LIST_MAX];
	size_t i;

	n = n > AGR_LIST_MAX ? AGR_LIST_MAX : n;
	for (i = 0; i < n; i++)
		sorted[i] = items[i];
	qsort(sorted, n, sizeof(sorted[0]), cmp_ptr);
	for (i = 0; i < n; i++)
		outf(o, "%s%s", i ? ", " : "", sorted[i]);
}

static const char *
tlp_word(enum stix_tlp t)
{
	return (unsigned)t <= STIX_TLP_RED ? tlp_words[t] : "none";
}

static void
out_dir(struct out *o, const struct agr_dir *d, const char *from, const char *to, int comments)
{
	size_t i;

	outf(o, "\n[%s -> %s]\n", from, to);
	for (i = 0; i < N_DIR_KEYS; i++) {
		const struct key *k = &dir_keys[i];
		const char *p = (const char *)d + k->off;

		if (comments) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
			outf(o, k->comment, from, to);
#pragma GCC diagnostic pop
			outf(o, "\n");
		}
		outf(o, "%s =", k->name);
		if (k->kind == K_LIST) {
			size_t n = k->list == L_COLLECTIONS ? d->n_collections :
			    k->list == L_TYPES ? d->n_types : d->n_strip;

			outf(o, "%s", n > 0 ? " " : "");
			out_list(o, (const char (*)[AGR_ITEM_MAX])(const void *)p, n);
		} else if (k->kind == K_YESNO) {
			outf(o, " %s", d->forwardable ? "yes" : "no");
		} else {
			outf(o, " %s", tlp_word(*(const enum stix_tlp *)(const void *)p));
		}
		outf(o, "\n");
	}
}

/* 86400 -> "24h"... in the largest unit that divides it, for the comments. */
static const char *
human_duration(int64_t s, char *buf, size_t cap)
{
	if (s % 86400 == 0 && s / 86400 > 1)
		snprintf(buf, cap, "%" PRId64 "d", s / 86400);
	else if (s % 3600 == 0)
		snprintf(buf, cap, "%" PRId64 "h", s / 3600);
	else if (s % 60 == 0)
		snprintf(buf, cap, "%" PRId64 "m", s / 60);
	else
		snprintf(buf, cap, "%" PRId64 "s", s);
	return buf;
}

static void
out_all(struct out *o, const struct agreement *g, int comments)
{
	char human[32];
	size_t i;

	if (comments)
		outf(o, "# liaison agreement between %s and %s (docs/agreements.md).\n"
		    "# Both nodes hold the same terms; `liaison partner list` compares\n"
		    "# their hashes (SHA-256 of this text without its comments).\n", g->a, g->b);
	outf(o, "\n[agreement]\n");
	if (comments)
		outf(o, "# the two nodes, in byte order\n");
	outf(o, "between = %s %s\n", g->a, g->b);
	out_dir(o, &g->ab, g->a, g->b, comments);
	out_dir(o, &g->ba, g->b, g->a, comments);
	outf(o, "\n[hotline]\n");
	for (i = 0; i < N_HOT_KEYS; i++) {
		const struct key *k = &hot_keys[i];
		int64_t v = *(const int64_t *)(const void *)((const char *)&g->hotline + k->off);

		if (comments && k->kind == K_DUR)
			outf(o, "%s (%s)\n", k->comment, human_duration(v, human, sizeof(human)));
		else if (comments)
			outf(o, "%s\n", k->comment);
		if (k->kind == K_DUR)
			outf(o, "%s = %" PRId64 "s\n", k->name, v);
		else
			outf(o, "%s = %" PRId64 "\n", k->name, v);
	}
}

int
agreement_format(const struct agreement *g, char *out, size_t cap, size_t *ret_len,
    struct err *err)
{
	struct out o = { out, 0, cap, 0 };

	if (cap == 0)
		return err_set(err, LSN_ETOOBIG, "no room to write the agreement");
	out_all(&o, g, 1);
	if (o.full)
		return err_set(err, LSN_ETOOBIG, "the agreement does not fit in %zu bytes", cap);
	*ret_len = o.len;
	return 0;
}

int
agreement_hash(const struct agreement *g, uint8_t out[static 32], struct err *err)
{
	struct out o = { malloc(CANON_MAX), 0, CANON_MAX, 0 };

	if (o.p == NULL)
		return err_set(err, LSN_ENOMEM, "no memory to hash the agreement");
	out_all(&o, g, 0);
	cx_sha256(o.p, o.len, out);
	free(o.p);
	return 0;
}

/* ---- agreement_set ---- */

/* The key of "out.X", "in.X" or "hotline.X" and the struct it writes, or NULL. */
static const struct key *
set_target(struct agreement *g, const char *self, const char *key, void **ret_base)
{
	const char *partner = strcmp(self, g->a) == 0 ? g->b : g->a;
	size_t idx;

	if (strncmp(key, "hotline.", 8) == 0) {
		*ret_base = &g->hotline;
		return key_find(hot_keys, N_HOT_KEYS, key + 8, &idx);
	}
	if (strncmp(key, "out.", 4) == 0)
		*ret_base = agreement_dir(g, self);
	else if (strncmp(key, "in.", 3) == 0)
		*ret_base = agreement_dir(g, partner);
	else
		return NULL;
	return key_find(dir_keys, N_DIR_KEYS, strchr(key, '.') + 1, &idx);
}

int
agreement_set(struct agreement *g, const char *self, const char *key, const char *value,
    struct err *err)
{
	union { struct agr_dir d; struct agr_hotline h; } tmp;
	const struct key *k;
	void *base = NULL;
	size_t size;
	int r;

	if (strcmp(self, g->a) != 0 && strcmp(self, g->b) != 0)
		return err_set(err, LSN_EINVAL, "'%.64s' is not a party to the agreement between "
		    "%s and %s", self, g->a, g->b);
	k = set_target(g, self, key, &base);
	if (k == NULL)
		return err_set(err, LSN_EINVAL, "unknown term '%.64s'; the terms are out.X and "
		    "in.X (X: collections, types, max_tlp, unmarked, strip, forwardable) and "
		    "hotline.X (X: ack, ack_emergency, respond, respond_emergency, "
		    "preserve_days)", key);
	/* On a bad value the agreement stays as it was: apply to a copy. */
	size = base == (void *)&g->hotline ? sizeof(tmp.h) : sizeof(tmp.d);
	memcpy(&tmp, base, size);
	r = key_apply(k, &tmp, value, err);
	if (r < 0) {
		err_prefix(err, "%s: ", key);
		return r;
	}
	memcpy(base, &tmp, size);
	return 0;
}
