/*
 * STIX 2.1 validation of one object, driven by tables: a row per property
 * (name, value kind, flags), a table per object type (§4 SDOs, §5 SROs, §6
 * SCOs, §7 meta objects), the type found by bsearch. Only MUST-level rules
 * fail; vocabularies and naming advice (SHOULD) never do. Reads jansson's
 * tree in place: no allocation, no I/O, no mutable state.
 */
#include "stix/stix.h"
#include "util/err.h"
#include "util/ts.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define LIST(...) ((const char *const[]){ __VA_ARGS__, NULL })

enum vkind {
	K_SKIP,     /* type, id, spec_version: checked before the walk */
	K_STR,
	K_INT,
	K_NUM,
	K_BOOL,
	K_TS,       /* §2.15 timestamp */
	K_REF,      /* §2.9 identifier, of the types in the row's refset */
	K_ENUM,     /* closed enumeration (open vocabularies are plain K_STR) */
	K_DICT,     /* §2.3 dictionary */
	K_HASHES,   /* §2.7 hashes */
	K_HEX,      /* §2.8 hexadecimal */
	K_BIN,      /* §2.1 binary: base64 */
	K_OBJ,      /* nested object with its own table (or any, if none) */
	K_EXTS,     /* §3.2 extensions: dictionary of dictionaries */
	K_IPV4,     /* §6.8 address or CIDR block */
	K_IPV6,     /* §6.9 */
	K_MAC,      /* §6.10 colon-delimited lowercase MAC-48 */
};

enum vflag {
	F_REQ = 1 << 0,
	F_LIST = 1 << 1,      /* a non-empty list of the kind */
	F_MS = 1 << 2,        /* timestamp precise to at least the millisecond */
	F_NONEMPTY = 1 << 3,  /* string must not be empty */
	F_SLUG = 1 << 4,      /* string of a-z, 0-9 and '-' only */
};

struct range {
	double min, max;
};

/* Which objects an identifier may point to. */
struct refset {
	const char *what;              /* "an identity", for messages */
	const char *const *allow;      /* NULL: any type not denied */
	const char *const *deny;
	unsigned deny_kinds;           /* 1 << enum stix_kind */
};

struct ptab;

struct prop {
	const char *name;
	uint8_t kind;
	uint8_t flags;
	union {
		const struct refset *refs;
		const struct range *range;
		const char *const *values;
		const struct ptab *sub;
	};
};

/* Two timestamps that must be ordered (last >= first, or > when strict). */
struct pair {
	const char *first, *last;
	int strict;
};

struct vctx;

/* The properties of one object (or nested structure) and its own rules. */
struct ptab {
	const char *name;
	const struct prop *props;
	size_t n;
	const char *const *any_of;     /* at least one of these is present */
	const char *const *one_of;     /* exactly one of these is present */
	const struct pair *pairs;
	int (*check)(struct vctx *c, const json_t *o);
	int custom;                    /* unknown keys must be valid property names */
};

struct extdef {
	const char *name;
	const struct ptab *tab;
};

struct tdef {
	const char *type;
	enum stix_kind kind;
	const struct ptab *own;
	const struct ptab *common;
	const struct extdef *exts;     /* predefined SCO extensions (§6) */
};

#define MAX_SEGS 8

/* Where the walk is, so that a message can name the property ("a.b[2].c"). */
struct seg {
	const char *key;               /* NULL: list index */
	size_t idx;
};

struct vctx {
	struct err *err;
	const struct tdef *td;
	const char *type;
	const char *id;
	const json_t *top;
	int depth;
	struct seg seg[MAX_SEGS];
};

/* ---- messages ---------------------------------------------------------- */

static void
push_key(struct vctx *c, const char *key)
{
	if (c->depth < MAX_SEGS)
		c->seg[c->depth] = (struct seg){ key, 0 };
	c->depth++;
}

static void
push_idx(struct vctx *c, size_t idx)
{
	if (c->depth < MAX_SEGS)
		c->seg[c->depth] = (struct seg){ NULL, idx };
	c->depth++;
}

static void
pop(struct vctx *c)
{
	c->depth--;
}

static void
path_format(const struct vctx *c, char *out, size_t n)
{
	int i, d = c->depth < MAX_SEGS ? c->depth : MAX_SEGS, w;
	size_t len = 0;

	out[0] = '\0';
	for (i = 0; i < d && len < n; i++) {
		if (c->seg[i].key == NULL)
			w = snprintf(out + len, n - len, "[%zu]", c->seg[i].idx);
		else
			w = snprintf(out + len, n - len, "%s%.100s", i > 0 ? "." : "",
			    c->seg[i].key);
		if (w < 0)
			break;
		len += (size_t)w;
	}
}

/* "property '<path>'" + the rest of the sentence. */
__attribute__((format(printf, 2, 3)))
static int
verr(struct vctx *c, const char *fmt, ...)
{
	char path[200], msg[ERR_MSG_MAX];
	va_list ap;

	path_format(c, path, sizeof(path));
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(c->err, LSN_EINVAL, "property '%s'%s", path, msg);
}

/* A rule about the object as a whole, or about a nested structure. */
__attribute__((format(printf, 2, 3)))
static int
oerr(struct vctx *c, const char *fmt, ...)
{
	char path[200], msg[ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->depth == 0)
		return err_set(c->err, LSN_EINVAL, "%s: %s", c->type, msg);
	path_format(c, path, sizeof(path));
	return err_set(c->err, LSN_EINVAL, "property '%s': %s", path, msg);
}

static void
names_format(const char *const *names, char *out, size_t n)
{
	size_t len = 0;
	int w;

	out[0] = '\0';
	for (; *names != NULL && len < n; names++) {
		w = snprintf(out + len, n - len, "%s'%s'", len > 0 ? ", " : "", *names);
		if (w < 0)
			break;
		len += (size_t)w;
	}
}

/* ---- lookups ----------------------------------------------------------- */

static int
in_list(const char *const *list, const char *s, size_t n)
{
	for (; *list != NULL; list++) {
		if (strncmp(*list, s, n) == 0 && (*list)[n] == '\0')
			return 1;
	}
	return 0;
}

/*
 * A linear scan: tables have at most ~30 rows, and comparing the first byte
 * before calling strcmp skips almost every row (measured: strcmp was a
 * quarter of validation time without it).
 */
static const struct prop *
find_prop(const struct ptab *t, const char *name)
{
	size_t i;

	if (t == NULL)
		return NULL;
	for (i = 0; i < t->n; i++) {
		if (t->props[i].name[0] == name[0] && strcmp(t->props[i].name, name) == 0)
			return &t->props[i];
	}
	return NULL;
}

static const struct tdef *find_type(const char *type, size_t len);

/* ---- value kinds -------------------------------------------------------- */

typedef int check_fn(struct vctx *c, const struct prop *p, const json_t *v);

static int check_object(struct vctx *c, const json_t *o, const struct ptab *own,
    const struct ptab *common, int custom);

static int
chk_str(struct vctx *c, const struct prop *p, const json_t *v)
{
	const char *s = json_string_value(v);
	size_t i, n = json_string_length(v);

	if ((p->flags & F_NONEMPTY) && n == 0)
		return verr(c, " must not be an empty string");
	if (!(p->flags & F_SLUG))
		return 0;
	for (i = 0; i < n; i++) {
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return verr(c, ": '%.64s' may contain only a-z, 0-9 and '-'", s);
	}
	return 0;
}

static int
chk_range(struct vctx *c, const struct prop *p, double d)
{
	if (p->range == NULL)
		return 0;
	if (d < p->range->min)
		return verr(c, " must be at least %.15g", p->range->min);
	if (d > p->range->max)
		return verr(c, " must be at most %.15g", p->range->max);
	return 0;
}

static int
chk_int(struct vctx *c, const struct prop *p, const json_t *v)
{
	return chk_range(c, p, (double)json_integer_value(v));
}

static int
chk_num(struct vctx *c, const struct prop *p, const json_t *v)
{
	return chk_range(c, p, json_number_value(v));
}

static int
chk_ts(struct vctx *c, const struct prop *p, const json_t *v)
{
	struct err e = ERR_INIT;
	struct ts t;

	if (stix_parse_timestamp(json_string_value(v), &t, &e) < 0)
		return verr(c, ": %s", e.msg);
	/* §3.2: created and modified MUST be precise to the nearest millisecond. */
	if ((p->flags & F_MS) && t.digits < 3)
		return verr(c, ": timestamp '%s' must have at least millisecond precision",
		    json_string_value(v));
	return 0;
}

static int
chk_ref(struct vctx *c, const struct prop *p, const json_t *v)
{
	const struct refset *rs = p->refs;
	const char *id = json_string_value(v);
	const struct tdef *td;
	size_t n;
	enum stix_kind kind;

	if (!stix_id_valid(id))
		return verr(c, ": '%.80s' is not an identifier of the form <type>--<RFC 4122 UUID>", id);
	n = stix_id_type_len(id);
	/* A bundle is a transport wrapper, never an object anything can refer to. */
	if (n == 6 && memcmp(id, "bundle", 6) == 0)
		return verr(c, ": '%.80s' refers to a bundle, which is not a STIX object", id);
	if (rs->allow != NULL && !in_list(rs->allow, id, n))
		return verr(c, ": '%.80s' must refer to %s", id, rs->what);
	if (rs->deny != NULL && in_list(rs->deny, id, n))
		return verr(c, ": '%.80s' is of type '%.*s' but must refer to %s", id, (int)n,
		    id, rs->what);
	if (rs->deny_kinds != 0) {
		td = find_type(id, n);
		kind = td != NULL ? td->kind : STIX_KIND_CUSTOM;
		if (rs->deny_kinds & (1u << kind))
			return verr(c, ": '%.80s' is of type '%.*s' but must refer to %s", id,
			    (int)n, id, rs->what);
	}
	return 0;
}

static int
chk_enum(struct vctx *c, const struct prop *p, const json_t *v)
{
	const char *s = json_string_value(v);
	char vals[300];

	if (in_list(p->values, s, json_string_length(v)) && strlen(s) == json_string_length(v))
		return 0;
	names_format(p->values, vals, sizeof(vals));
	return verr(c, ": '%.64s' is not one of %s", s, vals);
}

static int
key_chars_ok(const char *k, size_t n, size_t min)
{
	size_t i;

	if (n < min || n > 250)
		return 0;
	for (i = 0; i < n; i++) {
		char ch = k[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
			return 0;
	}
	return 1;
}

/* §2.3: keys are 1-250 characters of a-z, A-Z, 0-9, '-', '_'; never empty. */
static int
chk_dict(struct vctx *c, const struct prop *p, const json_t *v)
{
	const char *k;
	void *it;

	if (json_object_size(v) == 0)
		return verr(c, " must not be an empty dictionary");
	/* jansson's iterator API is not const-correct; nothing is modified. */
	for (it = json_object_iter((json_t *)v); it != NULL;
	     it = json_object_iter_next((json_t *)v, it)) {
		k = json_object_iter_key(it);
		if (!key_chars_ok(k, json_object_iter_key_len(it), 1))
			return verr(c, ": dictionary key '%.64s' must be 1-250 characters of "
			    "a-z, A-Z, 0-9, '-' and '_'", k);
	}
	return 0;
}

/* §2.7: keys from hashing-algorithm-ov or custom (3-250 chars); values strings. */
static int
chk_hashes(struct vctx *c, const struct prop *p, const json_t *v)
{
	const char *k;
	void *it;

	if (json_object_size(v) == 0)
		return verr(c, " must not be an empty dictionary");
	for (it = json_object_iter((json_t *)v); it != NULL;
	     it = json_object_iter_next((json_t *)v, it)) {
		k = json_object_iter_key(it);
		if (!key_chars_ok(k, json_object_iter_key_len(it), 3))
			return verr(c, ": hash algorithm '%.64s' must be 3-250 characters of "
			    "a-z, A-Z, 0-9, '-' and '_'", k);
		if (!json_is_string(json_object_iter_value(it)))
			return verr(c, ": the value of hash '%.64s' must be a string", k);
	}
	return 0;
}

static int
chk_hex(struct vctx *c, const struct prop *p, const json_t *v)
{
	const char *s = json_string_value(v);
	size_t i, n = json_string_length(v);

	if (n == 0 || n % 2 != 0)
		return verr(c, ": hex must be a non-empty, even number of hex digits");
	for (i = 0; i < n; i++) {
		if (!strchr("0123456789abcdefABCDEF", s[i]) || s[i] == '\0')
			return verr(c, ": '%.64s' is not hex", s);
	}
	return 0;
}

/* RFC 4648 §4 base64 with padding, as the OASIS binary schema has it. */
static int
chk_bin(struct vctx *c, const struct prop *p, const json_t *v)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *s = json_string_value(v);
	size_t i, n = json_string_length(v), pad = 0;

	if (n == 0 || n % 4 != 0)
		return verr(c, ": binary must be base64 (a non-empty multiple of 4 characters)");
	if (s[n - 1] == '=')
		pad = s[n - 2] == '=' ? 2 : 1;
	for (i = 0; i < n - pad; i++) {
		if (s[i] == '\0' || strchr(b64, s[i]) == NULL)
			return verr(c, ": binary must be base64; '%c' is not a base64 character", s[i]);
	}
	return 0;
}

static int
chk_obj(struct vctx *c, const struct prop *p, const json_t *v)
{
	if (json_object_size(v) == 0)
		return verr(c, " must not be an empty object");
	if (p->sub == NULL)
		return 0;
	return check_object(c, v, p->sub, NULL, p->sub->custom);
}

/*
 * The part of an address before an optional "/prefix", copied so inet_pton
 * can read it; the prefix must be decimal and at most max_prefix.
 */
static int
split_cidr(const char *s, size_t n, char *addr, size_t addr_max, unsigned max_prefix)
{
	const char *slash = memchr(s, '/', n);
	size_t alen = slash != NULL ? (size_t)(slash - s) : n;
	unsigned prefix = 0;
	size_t i;

	if (alen == 0 || alen >= addr_max)
		return 0;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (slash == NULL)
		return 1;
	if (n - alen < 2 || n - alen > 4)
		return 0;
	for (i = alen + 1; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		prefix = prefix * 10 + (unsigned)(s[i] - '0');
	}
	return prefix <= max_prefix;
}

static int
chk_ipv4(struct vctx *c, const struct prop *p, const json_t *v)
{
	char addr[16];
	struct in_addr a;

	if (!split_cidr(json_string_value(v), json_string_length(v), addr, sizeof(addr), 32) ||
	    inet_pton(AF_INET, addr, &a) != 1)
		return verr(c, ": '%.64s' is not an IPv4 address or CIDR block",
		    json_string_value(v));
	return 0;
}

static int
chk_ipv6(struct vctx *c, const struct prop *p, const json_t *v)
{
	char addr[64], *zone;
	struct in6_addr a;
	int ok = split_cidr(json_string_value(v), json_string_length(v), addr, sizeof(addr), 128);

	/* A zone index ("fe80::1%eth0") is allowed by the OASIS schema. */
	if (ok && (zone = strchr(addr, '%')) != NULL)
		*zone = '\0';
	if (!ok || inet_pton(AF_INET6, addr, &a) != 1)
		return verr(c, ": '%.64s' is not an IPv6 address or CIDR block",
		    json_string_value(v));
	return 0;
}

/* §6.10: MUST be colon-delimited, lowercase MAC-48 with leading zeros. */
static int
chk_mac(struct vctx *c, const struct prop *p, const json_t *v)
{
	const char *s = json_string_value(v);
	size_t i;

	if (json_string_length(v) != 17)
		goto bad;
	for (i = 0; i < 17; i++) {
		if (i % 3 == 2 ? s[i] != ':' : !strchr("0123456789abcdef", s[i]) || s[i] == '\0')
			goto bad;
	}
	return 0;
bad:
	return verr(c, ": '%.64s' is not a colon-delimited lowercase MAC-48 address", s);
}

static int chk_exts(struct vctx *c, const struct prop *p, const json_t *v);

#define JT(t) (1u << (t))
#define JT_STRING JT(JSON_STRING)
#define JT_OBJECT JT(JSON_OBJECT)

static const struct kdef {
	const char *what, *plural;
	unsigned jtypes;
	check_fn *fn;
} kinds[] = {
	[K_SKIP] = { "", "", ~0u, NULL },
	[K_STR] = { "a string", "strings", JT_STRING, chk_str },
	[K_INT] = { "an integer", "integers", JT(JSON_INTEGER), chk_int },
	[K_NUM] = { "a number", "numbers", JT(JSON_INTEGER) | JT(JSON_REAL), chk_num },
	[K_BOOL] = { "a boolean (true or false)", "booleans", JT(JSON_TRUE) | JT(JSON_FALSE), NULL },
	[K_TS] = { "a timestamp string", "timestamps", JT_STRING, chk_ts },
	[K_REF] = { "an identifier string", "identifiers", JT_STRING, chk_ref },
	[K_ENUM] = { "a string", "strings", JT_STRING, chk_enum },
	[K_DICT] = { "a dictionary", "dictionaries", JT_OBJECT, chk_dict },
	[K_HASHES] = { "a dictionary of hashes", "hash dictionaries", JT_OBJECT, chk_hashes },
	[K_HEX] = { "a hex string", "hex strings", JT_STRING, chk_hex },
	[K_BIN] = { "a base64 string", "base64 strings", JT_STRING, chk_bin },
	[K_OBJ] = { "an object", "objects", JT_OBJECT, chk_obj },
	[K_EXTS] = { "a dictionary of extensions", "extension dictionaries", JT_OBJECT, chk_exts },
	[K_IPV4] = { "a string", "strings", JT_STRING, chk_ipv4 },
	[K_IPV6] = { "a string", "strings", JT_STRING, chk_ipv6 },
	[K_MAC] = { "a string", "strings", JT_STRING, chk_mac },
};

static int
check_one(struct vctx *c, const struct prop *p, const json_t *v)
{
	const struct kdef *k = &kinds[p->kind];

	if (!(k->jtypes & JT(json_typeof(v))))
		return verr(c, " must be %s", k->what);
	return k->fn != NULL ? k->fn(c, p, v) : 0;
}

static int
check_value(struct vctx *c, const struct prop *p, const json_t *v)
{
	size_t i, n;
	int r;

	if (!(p->flags & F_LIST))
		return check_one(c, p, v);
	if (!json_is_array(v))
		return verr(c, " must be a list of %s", kinds[p->kind].plural);
	n = json_array_size(v);
	if (n == 0)
		return verr(c, " is an empty list, which STIX 2.1 does not allow");
	for (i = 0; i < n; i++) {
		push_idx(c, i);
		r = check_one(c, p, json_array_get(v, i));
		pop(c);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- objects ------------------------------------------------------------ */

/* Names reserved by STIX 2.1 (§3.1 / validator cases): never custom properties. */
static const char *const reserved_props[] = {
	"action", "severity", "username", "usernames", "phone_numbers", NULL,
};

/* A property no table defines: §3.1 naming rule, and no null or empty list. */
static int
check_custom(struct vctx *c, const char *key, size_t klen, const json_t *v)
{
	if (!stix_property_name_valid(key, klen))
		return verr(c, " is not a valid property name: custom property names must be "
		    "3-250 characters of a-z, 0-9 and '_', not starting with a digit");
	if (in_list(reserved_props, key, klen))
		return verr(c, " is reserved by STIX 2.1 and cannot be a custom property");
	if (json_is_null(v))
		return verr(c, " must not be null");
	if (json_is_array(v) && json_array_size(v) == 0)
		return verr(c, " is an empty list, which STIX 2.1 does not allow");
	return 0;
}

static int
check_members(struct vctx *c, const json_t *o, const struct ptab *own,
    const struct ptab *common, int custom)
{
	const struct prop *p;
	const char *k;
	void *it;
	int r = 0;

	for (it = json_object_iter((json_t *)o); it != NULL && r == 0;
	     it = json_object_iter_next((json_t *)o, it)) {
		k = json_object_iter_key(it);
		p = find_prop(own, k);
		if (p == NULL)
			p = find_prop(common, k);
		push_key(c, k);
		if (p != NULL)
			r = check_value(c, p, json_object_iter_value(it));
		else if (custom)
			r = check_custom(c, k, json_object_iter_key_len(it),
			    json_object_iter_value(it));
		pop(c);
	}
	return r;
}

static int
check_required(struct vctx *c, const json_t *o, const struct ptab *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		if (!(t->props[i].flags & F_REQ) || json_object_get(o, t->props[i].name) != NULL)
			continue;
		push_key(c, t->props[i].name);
		if (c->depth == 1)
			return verr(c, " is required for type '%s'", c->type);
		return verr(c, " is required");
	}
	return 0;
}

static int
count_present(const json_t *o, const char *const *names)
{
	int n = 0;

	for (; *names != NULL; names++)
		n += json_object_get(o, *names) != NULL;
	return n;
}

static int
check_pairs(struct vctx *c, const json_t *o, const struct pair *pp)
{
	const char *a, *b;
	struct ts ta, tb;
	int cmp;

	for (; pp != NULL && pp->first != NULL; pp++) {
		a = json_string_value(json_object_get(o, pp->first));
		b = json_string_value(json_object_get(o, pp->last));
		/* Absent, or already reported as malformed by the walk. */
		if (a == NULL || b == NULL || stix_parse_timestamp(a, &ta, NULL) < 0 ||
		    stix_parse_timestamp(b, &tb, NULL) < 0)
			continue;
		cmp = ts_cmp(&tb, &ta);
		if (cmp > 0 || (cmp == 0 && !pp->strict))
			continue;
		push_key(c, pp->last);
		return verr(c, pp->strict ? " must be later than '%s'" :
		    " must not be earlier than '%s'", pp->first);
	}
	return 0;
}

static int
check_rules(struct vctx *c, const json_t *o, const struct ptab *t)
{
	char names[300];
	int r;

	if (t == NULL)
		return 0;
	r = check_required(c, o, t);
	if (r == 0 && t->any_of != NULL && count_present(o, t->any_of) == 0) {
		names_format(t->any_of, names, sizeof(names));
		r = oerr(c, "at least one of the properties %s is required", names);
	}
	if (r == 0 && t->one_of != NULL && count_present(o, t->one_of) != 1) {
		names_format(t->one_of, names, sizeof(names));
		r = oerr(c, "exactly one of the properties %s must be present", names);
	}
	if (r == 0)
		r = check_pairs(c, o, t->pairs);
	if (r == 0 && t->check != NULL)
		r = t->check(c, o);
	return r;
}

/* Properties first (each names itself), then the object's own rules. */
static int
check_object(struct vctx *c, const json_t *o, const struct ptab *own,
    const struct ptab *common, int custom)
{
	int r = check_members(c, o, own, common, custom);

	if (r == 0)
		r = check_rules(c, o, common);
	if (r == 0)
		r = check_rules(c, o, own);
	return r;
}

/* ---- rules no row can express ------------------------------------------- */

static int
is_true(const json_t *o, const char *name)
{
	return json_is_true(json_object_get(o, name));
}

static int
has(const json_t *o, const char *name)
{
	return json_object_get(o, name) != NULL;
}

static int
require_with(struct vctx *c, const json_t *o, const char *need, const char *because)
{
	if (has(o, need))
		return 0;
	push_key(c, need);
	return verr(c, " is required when '%s' is present", because);
}

static int
forbid_with(struct vctx *c, const json_t *o, const char *name, const char *because)
{
	if (!has(o, name))
		return 0;
	push_key(c, name);
	return verr(c, " must not be present when %s", because);
}

/* §4.11: a malware family (is_family true) MUST have a name. */
static int
hook_malware(struct vctx *c, const json_t *o)
{
	if (!is_true(o, "is_family") || has(o, "name"))
		return 0;
	push_key(c, "name");
	return verr(c, " is required when 'is_family' is true");
}

/*
 * §4.10: region, country, or latitude and longitude MUST be present;
 * latitude and longitude come together; precision needs both.
 */
static int
hook_location(struct vctx *c, const json_t *o)
{
	int lat = has(o, "latitude"), lon = has(o, "longitude");

	if (lat != lon) {
		push_key(c, lat ? "longitude" : "latitude");
		return verr(c, " is required when '%s' is present", lat ? "latitude" : "longitude");
	}
	if (!lat && has(o, "precision"))
		return require_with(c, o, "latitude", "precision");
	if (!lat && !has(o, "region") && !has(o, "country"))
		return oerr(c, "one of the properties 'region', 'country', or 'latitude' with "
		    "'longitude' is required");
	return 0;
}

/* §6.1: an artifact given by url MUST carry hashes; a key needs its algorithm. */
static int
hook_artifact(struct vctx *c, const json_t *o)
{
	int r = 0;

	if (has(o, "url"))
		r = require_with(c, o, "hashes", "url");
	if (r == 0 && has(o, "decryption_key"))
		r = require_with(c, o, "encryption_algorithm", "decryption_key");
	return r;
}

/* §6.6: body and body_multipart follow is_multipart. */
static int
hook_email_message(struct vctx *c, const json_t *o)
{
	if (is_true(o, "is_multipart"))
		return forbid_with(c, o, "body", "'is_multipart' is true");
	return forbid_with(c, o, "body_multipart", "'is_multipart' is false");
}

/* §6.12: an active flow has not ended. */
static int
hook_network_traffic(struct vctx *c, const json_t *o)
{
	if (!is_true(o, "is_active"))
		return 0;
	return forbid_with(c, o, "end", "'is_active' is true");
}

/* §7.3: extension_properties belongs to toplevel-property-extension only. */
static int
hook_extension_definition(struct vctx *c, const json_t *o)
{
	const json_t *types = json_object_get(o, "extension_types");
	size_t i;

	if (!has(o, "extension_properties"))
		return 0;
	for (i = 0; i < json_array_size(types); i++) {
		const char *t = json_string_value(json_array_get(types, i));
		if (t != NULL && strcmp(t, "toplevel-property-extension") == 0)
			return 0;
	}
	push_key(c, "extension_properties");
	return verr(c, " is allowed only with extension type 'toplevel-property-extension'");
}

/*
 * §7.2.3.1: each selector MUST select content of the object it is in:
 * dot-separated property names, "[n]" list indices.
 */
static int
selector_ok(const json_t *top, const char *sel)
{
	const json_t *cur = top;
	const char *p = sel, *dot;
	size_t n, i, idx;

	while (cur != NULL) {
		dot = strchr(p, '.');
		n = dot != NULL ? (size_t)(dot - p) : strlen(p);
		if (n == 0)
			return 0;
		if (p[0] == '[') {
			if (n < 3 || p[n - 1] != ']' || !json_is_array(cur))
				return 0;
			for (idx = 0, i = 1; i < n - 1; i++) {
				if (p[i] < '0' || p[i] > '9' || idx > SIZE_MAX / 10 - 10)
					return 0;
				idx = idx * 10 + (size_t)(p[i] - '0');
			}
			cur = json_array_get(cur, idx);
		} else {
			cur = json_is_object(cur) ? json_object_getn(cur, p, n) : NULL;
		}
		if (dot == NULL)
			return cur != NULL;
		p = dot + 1;
	}
	return 0;
}

static int
hook_granular(struct vctx *c, const json_t *gm)
{
	const json_t *sel = json_object_get(gm, "selectors");
	const char *ref = json_string_value(json_object_get(gm, "marking_ref"));
	size_t i;

	for (i = 0; i < json_array_size(sel); i++) {
		const char *s = json_string_value(json_array_get(sel, i));
		if (s != NULL && !selector_ok(c->top, s)) {
			push_key(c, "selectors");
			push_idx(c, i);
			return verr(c, ": '%.80s' does not select any content of this object", s);
		}
	}
	/* §7.2: a marking-definition marking itself would be a circular reference. */
	if (ref != NULL && strcmp(ref, c->id) == 0) {
		push_key(c, "marking_ref");
		return verr(c, ": a marking-definition must not mark itself");
	}
	return 0;
}

/*
 * §7.2.1: definition_type and definition go together and are required
 * unless an extension defines the marking (TLP 2.0 does); statement
 * markings carry a statement; TLP shapes are checked by stix_marking_tlp.
 */
static int
hook_marking(struct vctx *c, const json_t *o)
{
	const char *dt = json_string_value(json_object_get(o, "definition_type"));
	const json_t *omr = json_object_get(o, "object_marking_refs");
	enum stix_tlp tlp;
	size_t i;

	if (has(o, "definition") != (dt != NULL))
		return require_with(c, o, dt != NULL ? "definition" : "definition_type",
		    dt != NULL ? "definition_type" : "definition");
	if (dt == NULL && !has(o, "extensions"))
		return oerr(c, "property 'definition_type' with 'definition', or an extension "
		    "defining the marking, is required");
	if (dt != NULL && strcmp(dt, "statement") == 0 &&
	    !json_is_string(json_object_get(json_object_get(o, "definition"), "statement"))) {
		push_key(c, "definition");
		push_key(c, "statement");
		return verr(c, " is required and must be a string in a statement marking");
	}
	for (i = 0; i < json_array_size(omr); i++) {
		const char *ref = json_string_value(json_array_get(omr, i));
		if (ref != NULL && strcmp(ref, c->id) == 0) {
			push_key(c, "object_marking_refs");
			return verr(c, ": a marking-definition must not mark itself");
		}
	}
	return stix_marking_tlp(o, &tlp, c->err);
}

/* ---- tables ------------------------------------------------------------- */

#define ROW(n, k, f) { (n), (k), (f), { NULL } }
#define REF(n, f, rs) { (n), K_REF, (f), { .refs = &(rs) } }
#define RANGED(n, k, f, rg) { (n), (k), (f), { .range = &(rg) } }
#define ENUM(n, f, vals) { (n), K_ENUM, (f), { .values = (vals) } }
#define SUB(n, f, tab) { (n), K_OBJ, (f), { .sub = &(tab) } }
#define TAB(nm, rows, ...) { .name = (nm), .props = (rows), .n = N(rows), __VA_ARGS__ }

#define KIND(k) (1u << (k))

static const struct range rg_confidence = { 0, 100 };
static const struct range rg_port = { 0, 65535 };
static const struct range rg_count = { 0, 999999999 };
static const struct range rg_observed = { 1, 999999999 };
static const struct range rg_nonneg = { 0, 1e19 };
static const struct range rg_lat = { -90, 90 };
static const struct range rg_lon = { -180, 180 };

static const struct refset r_any = { "an object", NULL, NULL, 0 };
static const struct refset r_identity = { "an identity", LIST("identity"), NULL, 0 };
static const struct refset r_marking = {
	"a marking-definition", LIST("marking-definition"), NULL, 0 };
/* §5.1 source_ref/target_ref, §5.2 sighting_of_ref: SDOs and SCOs only. */
static const struct refset r_sdo_sco = {
	"an SDO or SCO (not an SRO, bundle or meta object)", NULL, NULL,
	KIND(STIX_KIND_SRO) | KIND(STIX_KIND_META) };
static const struct refset r_observed_data = {
	"an observed-data", LIST("observed-data"), NULL, 0 };
static const struct refset r_where_sighted = {
	"an identity or location", LIST("identity", "location"), NULL, 0 };
static const struct refset r_not_lc = {
	"an object other than a language-content", NULL, LIST("language-content"), 0 };
/* §4.14: observed-data object_refs name SCOs and SROs, never SDOs. */
static const struct refset r_sco_sro = { "an SCO or SRO", NULL, NULL, KIND(STIX_KIND_SDO) };
static const struct refset r_software = { "a software", LIST("software"), NULL, 0 };
static const struct refset r_ma_sample = {
	"an artifact, file or network-traffic", LIST("artifact", "file", "network-traffic"),
	NULL, 0 };
static const struct refset r_artifact_file = {
	"a file or artifact", LIST("file", "artifact"), NULL, 0 };
static const struct refset r_address = {
	"an ipv4-addr, ipv6-addr, mac-addr or domain-name",
	LIST("ipv4-addr", "ipv6-addr", "mac-addr", "domain-name"), NULL, 0 };
static const struct refset r_resolves = {
	"an ipv4-addr, ipv6-addr or domain-name",
	LIST("ipv4-addr", "ipv6-addr", "domain-name"), NULL, 0 };
static const struct refset r_mac = { "a mac-addr", LIST("mac-addr"), NULL, 0 };
static const struct refset r_as = { "an autonomous-system", LIST("autonomous-system"), NULL, 0 };
static const struct refset r_artifact = { "an artifact", LIST("artifact"), NULL, 0 };
static const struct refset r_file = { "a file", LIST("file"), NULL, 0 };
static const struct refset r_directory = { "a directory", LIST("directory"), NULL, 0 };
static const struct refset r_file_dir = { "a file or directory", LIST("file", "directory"), NULL, 0 };
static const struct refset r_email_addr = { "an email-addr", LIST("email-addr"), NULL, 0 };
static const struct refset r_user = { "a user-account", LIST("user-account"), NULL, 0 };
static const struct refset r_traffic = { "a network-traffic", LIST("network-traffic"), NULL, 0 };
static const struct refset r_process = { "a process", LIST("process"), NULL, 0 };

static const struct pair pairs_core[] = { { "created", "modified", 0 }, { NULL, NULL, 0 } };
static const struct pair pairs_seen[] = { { "first_seen", "last_seen", 0 }, { NULL, NULL, 0 } };
static const struct pair pairs_valid[] = { { "valid_from", "valid_until", 1 }, { NULL, NULL, 0 } };
static const struct pair pairs_time[] = { { "start_time", "stop_time", 1 }, { NULL, NULL, 0 } };
static const struct pair pairs_observed[] = {
	{ "first_observed", "last_observed", 0 }, { NULL, NULL, 0 } };
static const struct pair pairs_traffic[] = { { "start", "end", 0 }, { NULL, NULL, 0 } };

static const char *const ext_types[] = {
	"new-sdo", "new-sco", "new-sro", "property-extension", "toplevel-property-extension", NULL,
};

/* §2.5 external reference: a source and at least one way to find it. */
static const struct prop p_extref[] = {
	ROW("source_name", K_STR, F_REQ),
	ROW("description", K_STR, 0),
	ROW("url", K_STR, 0),
	ROW("hashes", K_HASHES, 0),
	ROW("external_id", K_STR, 0),
};
static const struct ptab t_extref = TAB("external-reference", p_extref,
    .any_of = LIST("description", "url", "external_id"));

/* §2.11 kill-chain-phase */
static const struct prop p_kcp[] = {
	ROW("kill_chain_name", K_STR, F_REQ),
	ROW("phase_name", K_STR, F_REQ),
};
static const struct ptab t_kcp = TAB("kill-chain-phase", p_kcp);

/* §7.2.3 granular marking: exactly one of marking_ref and lang. */
static const struct prop p_granular[] = {
	ROW("selectors", K_STR, F_REQ | F_LIST),
	REF("marking_ref", 0, r_marking),
	ROW("lang", K_STR, 0),
};
static const struct ptab t_granular = TAB("granular-marking", p_granular,
    .one_of = LIST("marking_ref", "lang"), .check = hook_granular);

/* §7.3: an instance of an extension-definition carries its extension_type. */
static const struct prop p_ext_inst[] = { ENUM("extension_type", F_REQ, ext_types) };
static const struct ptab t_ext_inst = TAB("extension", p_ext_inst, .custom = 1);

/* §3.2 common properties of SDOs, SROs and the meta objects built on them. */
static const struct prop p_core[] = {
	ROW("type", K_SKIP, 0),
	ROW("spec_version", K_SKIP, 0),
	ROW("id", K_SKIP, 0),
	ROW("created", K_TS, F_REQ | F_MS),
	ROW("modified", K_TS, F_REQ | F_MS),
	REF("created_by_ref", 0, r_identity),
	ROW("revoked", K_BOOL, 0),
	ROW("labels", K_STR, F_LIST),
	RANGED("confidence", K_INT, 0, rg_confidence),
	ROW("lang", K_STR, 0),
	SUB("external_references", F_LIST, t_extref),
	REF("object_marking_refs", F_LIST, r_marking),
	SUB("granular_markings", F_LIST, t_granular),
	ROW("extensions", K_EXTS, 0),
};
static const struct ptab t_core = TAB("common", p_core, .pairs = pairs_core);

/* §3.2 common properties that apply to SCOs (§6). */
static const struct prop p_sco[] = {
	ROW("type", K_SKIP, 0),
	ROW("spec_version", K_SKIP, 0),
	ROW("id", K_SKIP, 0),
	REF("object_marking_refs", F_LIST, r_marking),
	SUB("granular_markings", F_LIST, t_granular),
	ROW("defanged", K_BOOL, 0),
	ROW("extensions", K_EXTS, 0),
};
static const struct ptab t_sco = TAB("common", p_sco);

static const struct prop p_none[] = { ROW("type", K_SKIP, 0) };
static const struct ptab t_custom = TAB("custom", p_none);

/* -- §4 SDOs -- */

static const struct prop p_attack_pattern[] = {
	ROW("name", K_STR, F_REQ),
	ROW("description", K_STR, 0),
	ROW("aliases", K_STR, F_LIST),
	SUB("kill_chain_phases", F_LIST, t_kcp),
};
static const struct prop p_campaign[] = {
	ROW("name", K_STR, F_REQ),
	ROW("description", K_STR, 0),
	ROW("aliases", K_STR, F_LIST),
	ROW("first_seen", K_TS, 0),
	ROW("last_seen", K_TS, 0),
	ROW("objective", K_STR, 0),
};
static const struct prop p_course_of_action[] = {
	ROW("name", K_STR, F_REQ),
	ROW("description", K_STR, 0),
};
static const struct prop p_grouping[] = {
	ROW("name", K_STR, 0),
	ROW("description", K_STR, 0),
	ROW("context", K_STR, F_REQ),
	REF("object_refs", F_REQ | F_LIST, r_any),
};
static const struct prop p_identity[] = {
	ROW("name", K_STR, F_REQ),
	ROW("description", K_STR, 0),
	ROW("roles", K_STR, F_LIST),
	ROW("identity_class", K_STR, 0),
	ROW("sectors", K_STR, F_LIST),
	ROW("contact_information", K_STR, 0),
};
static const struct prop p_incident[] = {
	ROW("name", K_STR, F_REQ),
	ROW("description", K_STR, 0),
	SUB("kill_chain_phases", F_LIST, t_kcp),
};
static const struct prop p_indicator[] = {
	ROW("name", K_STR, 0),
	ROW("description", K_STR, 0),
	ROW("indicator_types", K_STR, F_LIST),
	/* Not parsed here: pattern_type says which language it is in (open vocab). */
	ROW("pattern", K_STR, F_REQ | F_NONEMPTY),
	ROW("pattern_type", K_STR, F_REQ | F_NONEMPTY),
	ROW("pattern_version", K_STR, 0),
	ROW("valid_from", K_TS, F_REQ),
	ROW("valid_until", K_TS, 0),
	SUB("kill_chain_phases", F_LIST, t_kcp),
};
static const struct prop p_infrastructure[] = {
	ROW("name", K_STR, F_REQ),
	ROW("description", K_STR, 0),
	ROW("infrastructure_types", K_STR, F_LIST),
	ROW("aliases", K_STR, F_LIST),
	SUB("kill_chain_phases", F_LIST, t_kcp),
	ROW("first_seen", K_TS, 0),
	ROW("last_seen", K_TS, 0),
};
static const struct prop p_intrusion_set[] = {
	ROW("name", K_STR, F_REQ),
	ROW("description", K_STR, 0),
	ROW("aliases", K_STR, F_LIST),
	ROW("first_seen", K_TS, 0),
	ROW("last_seen", K_TS, 0),
	ROW("goals", K_STR, F_LIST),
	ROW("resource_level", K_STR, 0),
	ROW("primary_motivation", K_STR, 0),
	ROW("secondary_motivations", K_STR, F_LIST),
};
static const struct prop p_location[] = {
	ROW("name", K_STR, 0),
	ROW("description", K_STR, 0),
	RANGED("latitude", K_NUM, 0, rg_lat),
	RANGED("longitude", K_NUM, 0, rg_lon),
	RANGED("precision", K_NUM, 0, rg_nonneg),
	ROW("region", K_STR, 0),
	ROW("country", K_STR, 0),
	ROW("administrative_area", K_STR, 0),
	ROW("city", K_STR, 0),
	ROW("street_address", K_STR, 0),
	ROW("postal_code", K_STR, 0),
};
static const struct prop p_malware[] = {
	ROW("name", K_STR, 0),
	ROW("description", K_STR, 0),
	ROW("malware_types", K_STR, F_LIST),
	ROW("is_family", K_BOOL, F_REQ),
	ROW("aliases", K_STR, F_LIST),
	SUB("kill_chain_phases", F_LIST, t_kcp),
	ROW("first_seen", K_TS, 0),
	ROW("last_seen", K_TS, 0),
	REF("operating_system_refs", F_LIST, r_software),
	ROW("architecture_execution_envs", K_STR, F_LIST),
	ROW("implementation_languages", K_STR, F_LIST),
	ROW("capabilities", K_STR, F_LIST),
	REF("sample_refs", F_LIST, r_artifact_file),
};
static const struct prop p_malware_analysis[] = {
	ROW("product", K_STR, F_REQ),
	ROW("version", K_STR, 0),
	REF("host_vm_ref", 0, r_software),
	REF("operating_system_ref", 0, r_software),
	REF("installed_software_refs", F_LIST, r_software),
	ROW("configuration_version", K_STR, 0),
	ROW("modules", K_STR, F_LIST),
	ROW("analysis_engine_version", K_STR, 0),
	ROW("analysis_definition_version", K_STR, 0),
	ROW("submitted", K_TS, 0),
	ROW("analysis_started", K_TS, 0),
	ROW("analysis_ended", K_TS, 0),
	ROW("result_name", K_STR, 0),
	ROW("result", K_STR, 0),
	REF("analysis_sco_refs", F_LIST, r_any),
	REF("sample_ref", 0, r_ma_sample),
};
static const struct prop p_note[] = {
	ROW("abstract", K_STR, 0),
	ROW("content", K_STR, F_REQ),
	ROW("authors", K_STR, F_LIST),
	REF("object_refs", F_REQ | F_LIST, r_any),
};
static const struct prop p_observed_data[] = {
	ROW("first_observed", K_TS, F_REQ),
	ROW("last_observed", K_TS, F_REQ),
	RANGED("number_observed", K_INT, F_REQ, rg_observed),
	ROW("objects", K_DICT, 0),        /* deprecated in 2.1, still allowed */
	REF("object_refs", F_LIST, r_sco_sro),
};
static const struct prop p_opinion[] = {
	ROW("explanation", K_STR, 0),
	ROW("authors", K_STR, F_LIST),
	ENUM("opinion", F_REQ, LIST("strongly-disagree", "disagree", "neutral", "agree",
	    "strongly-agree")),
	REF("object_refs", F_REQ | F_LIST, r_any),
};
static const struct prop p_report[] = {
	ROW("name", K_STR, F_REQ),
	ROW("description", K_STR, 0),
	ROW("report_types", K_STR, F_LIST),
	ROW("published", K_TS, F_REQ),
	REF("object_refs", F_REQ | F_LIST, r_any),
};
static const struct prop p_threat_actor[] = {
	ROW("name", K_STR, F_REQ),
	ROW("description", K_STR, 0),
	ROW("threat_actor_types", K_STR, F_LIST),
	ROW("aliases", K_STR, F_LIST),
	ROW("first_seen", K_TS, 0),
	ROW("last_seen", K_TS, 0),
	ROW("roles", K_STR, F_LIST),
	ROW("goals", K_STR, F_LIST),
	ROW("sophistication", K_STR, 0),
	ROW("resource_level", K_STR, 0),
	ROW("primary_motivation", K_STR, 0),
	ROW("secondary_motivations", K_STR, F_LIST),
	ROW("personal_motivations", K_STR, F_LIST),
};
static const struct prop p_tool[] = {
	ROW("name", K_STR, F_REQ),
	ROW("description", K_STR, 0),
	ROW("tool_types", K_STR, F_LIST),
	ROW("aliases", K_STR, F_LIST),
	SUB("kill_chain_phases", F_LIST, t_kcp),
	ROW("tool_version", K_STR, 0),
};
static const struct prop p_vulnerability[] = {
	ROW("name", K_STR, F_REQ),
	ROW("description", K_STR, 0),
};

static const struct ptab t_attack_pattern = TAB("attack-pattern", p_attack_pattern);
static const struct ptab t_campaign = TAB("campaign", p_campaign, .pairs = pairs_seen);
static const struct ptab t_course_of_action = TAB("course-of-action", p_course_of_action);
static const struct ptab t_grouping = TAB("grouping", p_grouping);
static const struct ptab t_identity = TAB("identity", p_identity);
static const struct ptab t_incident = TAB("incident", p_incident);
static const struct ptab t_indicator = TAB("indicator", p_indicator, .pairs = pairs_valid);
static const struct ptab t_infrastructure = TAB("infrastructure", p_infrastructure,
    .pairs = pairs_seen);
static const struct ptab t_intrusion_set = TAB("intrusion-set", p_intrusion_set,
    .pairs = pairs_seen);
static const struct ptab t_location = TAB("location", p_location, .check = hook_location);
static const struct ptab t_malware = TAB("malware", p_malware, .pairs = pairs_seen,
    .check = hook_malware);
static const struct ptab t_malware_analysis = TAB("malware-analysis", p_malware_analysis,
    .any_of = LIST("result", "analysis_sco_refs"));
static const struct ptab t_note = TAB("note", p_note);
static const struct ptab t_observed_data = TAB("observed-data", p_observed_data,
    .one_of = LIST("objects", "object_refs"), .pairs = pairs_observed);
static const struct ptab t_opinion = TAB("opinion", p_opinion);
static const struct ptab t_report = TAB("report", p_report);
static const struct ptab t_threat_actor = TAB("threat-actor", p_threat_actor,
    .pairs = pairs_seen);
static const struct ptab t_tool = TAB("tool", p_tool);
static const struct ptab t_vulnerability = TAB("vulnerability", p_vulnerability);

/* -- §5 SROs -- */

static const struct prop p_relationship[] = {
	ROW("relationship_type", K_STR, F_REQ | F_NONEMPTY | F_SLUG),
	ROW("description", K_STR, 0),
	REF("source_ref", F_REQ, r_sdo_sco),
	REF("target_ref", F_REQ, r_sdo_sco),
	ROW("start_time", K_TS, 0),
	ROW("stop_time", K_TS, 0),
};
static const struct prop p_sighting[] = {
	ROW("description", K_STR, 0),
	ROW("first_seen", K_TS, 0),
	ROW("last_seen", K_TS, 0),
	RANGED("count", K_INT, 0, rg_count),
	REF("sighting_of_ref", F_REQ, r_sdo_sco),
	REF("observed_data_refs", F_LIST, r_observed_data),
	REF("where_sighted_refs", F_LIST, r_where_sighted),
	ROW("summary", K_BOOL, 0),
};
static const struct ptab t_relationship = TAB("relationship", p_relationship,
    .pairs = pairs_time);
static const struct ptab t_sighting = TAB("sighting", p_sighting, .pairs = pairs_seen);

/* -- §7 meta objects -- */

static const struct prop p_marking[] = {
	ROW("type", K_SKIP, 0),
	ROW("spec_version", K_SKIP, 0),
	ROW("id", K_SKIP, 0),
	ROW("created", K_TS, F_REQ),
	REF("created_by_ref", 0, r_identity),
	ROW("name", K_STR, 0),
	SUB("external_references", F_LIST, t_extref),
	REF("object_marking_refs", F_LIST, r_marking),
	SUB("granular_markings", F_LIST, t_granular),
	ROW("extensions", K_EXTS, 0),
	ROW("definition_type", K_STR, F_NONEMPTY),
	ROW("definition", K_OBJ, 0),
};
static const struct prop p_language_content[] = {
	REF("object_ref", F_REQ, r_not_lc),
	ROW("object_modified", K_TS, 0),
	ROW("contents", K_DICT, F_REQ),
};
static const struct prop p_extension_definition[] = {
	ROW("name", K_STR, F_REQ),
	ROW("description", K_STR, 0),
	ROW("schema", K_STR, F_REQ),
	ROW("version", K_STR, F_REQ),
	ENUM("extension_types", F_REQ | F_LIST, ext_types),
	ROW("extension_properties", K_STR, F_LIST),
};
static const struct ptab t_marking = TAB("marking-definition", p_marking,
    .check = hook_marking);
static const struct ptab t_language_content = TAB("language-content", p_language_content);
static const struct ptab t_extension_definition = TAB("extension-definition",
    p_extension_definition, .check = hook_extension_definition);

/* -- §6 SCOs and their predefined extensions -- */

static const struct prop p_artifact[] = {
	ROW("mime_type", K_STR, 0),
	ROW("payload_bin", K_BIN, 0),
	ROW("url", K_STR, 0),
	ROW("hashes", K_HASHES, 0),
	ENUM("encryption_algorithm", 0, LIST("AES-256-GCM", "ChaCha20-Poly1305",
	    "mime-type-indicated")),
	ROW("decryption_key", K_STR, 0),
};
static const struct prop p_autonomous_system[] = {
	ROW("number", K_INT, F_REQ),
	ROW("name", K_STR, 0),
	ROW("rir", K_STR, 0),
};
static const struct prop p_directory[] = {
	ROW("path", K_STR, F_REQ),
	ROW("path_enc", K_STR, 0),
	ROW("ctime", K_TS, 0),
	ROW("mtime", K_TS, 0),
	ROW("atime", K_TS, 0),
	REF("contains_refs", F_LIST, r_file_dir),
};
static const struct prop p_domain_name[] = {
	ROW("value", K_STR, F_REQ),
	REF("resolves_to_refs", F_LIST, r_resolves),
};
static const struct prop p_email_addr[] = {
	ROW("value", K_STR, F_REQ),
	ROW("display_name", K_STR, 0),
	REF("belongs_to_ref", 0, r_user),
};
static const struct prop p_mime_part[] = {
	ROW("body", K_STR, 0),
	REF("body_raw_ref", 0, r_artifact_file),
	ROW("content_type", K_STR, 0),
	ROW("content_disposition", K_STR, 0),
};
static const struct ptab t_mime_part = TAB("mime-part", p_mime_part,
    .one_of = LIST("body", "body_raw_ref"));
static const struct prop p_email_message[] = {
	ROW("is_multipart", K_BOOL, F_REQ),
	ROW("date", K_TS, 0),
	ROW("content_type", K_STR, 0),
	REF("from_ref", 0, r_email_addr),
	REF("sender_ref", 0, r_email_addr),
	REF("to_refs", F_LIST, r_email_addr),
	REF("cc_refs", F_LIST, r_email_addr),
	REF("bcc_refs", F_LIST, r_email_addr),
	ROW("message_id", K_STR, 0),
	ROW("subject", K_STR, 0),
	ROW("received_lines", K_STR, F_LIST),
	ROW("additional_header_fields", K_DICT, 0),
	ROW("body", K_STR, 0),
	SUB("body_multipart", F_LIST, t_mime_part),
	REF("raw_email_ref", 0, r_artifact),
};

static const struct prop p_file[] = {
	ROW("hashes", K_HASHES, 0),
	RANGED("size", K_INT, 0, rg_nonneg),
	ROW("name", K_STR, 0),
	ROW("name_enc", K_STR, 0),
	ROW("magic_number_hex", K_HEX, 0),
	ROW("mime_type", K_STR, 0),
	ROW("ctime", K_TS, 0),
	ROW("mtime", K_TS, 0),
	ROW("atime", K_TS, 0),
	REF("parent_directory_ref", 0, r_directory),
	REF("contains_refs", F_LIST, r_any),
	REF("content_ref", 0, r_artifact),
};
static const struct prop p_ads[] = {
	ROW("name", K_STR, F_REQ),
	ROW("hashes", K_HASHES, 0),
	RANGED("size", K_INT, 0, rg_nonneg),
};
static const struct ptab t_ads = TAB("alternate-data-stream", p_ads);
static const struct prop p_ntfs_ext[] = {
	ROW("sid", K_STR, 0),
	SUB("alternate_data_streams", F_LIST, t_ads),
};
static const struct prop p_raster_ext[] = {
	ROW("image_height", K_INT, 0),
	ROW("image_width", K_INT, 0),
	ROW("bits_per_pixel", K_INT, 0),
	ROW("exif_tags", K_DICT, 0),
};
static const struct prop p_pdf_ext[] = {
	ROW("version", K_STR, 0),
	ROW("is_optimized", K_BOOL, 0),
	ROW("document_info_dict", K_DICT, 0),
	ROW("pdfid0", K_STR, 0),
	ROW("pdfid1", K_STR, 0),
};
static const struct prop p_archive_ext[] = {
	REF("contains_refs", F_REQ | F_LIST, r_file_dir),
	ROW("comment", K_STR, 0),
};
static const struct prop p_pe_section[] = {
	ROW("name", K_STR, F_REQ),
	RANGED("size", K_INT, 0, rg_nonneg),
	ROW("entropy", K_NUM, 0),
	ROW("hashes", K_HASHES, 0),
};
static const struct ptab t_pe_section = TAB("windows-pe-section", p_pe_section);
static const struct prop p_pe_optional_header[] = {
	ROW("magic_hex", K_HEX, 0),
	ROW("major_linker_version", K_INT, 0),
	ROW("minor_linker_version", K_INT, 0),
	RANGED("size_of_code", K_INT, 0, rg_nonneg),
	RANGED("size_of_initialized_data", K_INT, 0, rg_nonneg),
	RANGED("size_of_uninitialized_data", K_INT, 0, rg_nonneg),
	ROW("address_of_entry_point", K_INT, 0),
	ROW("base_of_code", K_INT, 0),
	ROW("base_of_data", K_INT, 0),
	ROW("image_base", K_INT, 0),
	ROW("section_alignment", K_INT, 0),
	ROW("file_alignment", K_INT, 0),
	ROW("major_os_version", K_INT, 0),
	ROW("minor_os_version", K_INT, 0),
	ROW("major_image_version", K_INT, 0),
	ROW("minor_image_version", K_INT, 0),
	ROW("major_subsystem_version", K_INT, 0),
	ROW("minor_subsystem_version", K_INT, 0),
	ROW("win32_version_value_hex", K_HEX, 0),
	RANGED("size_of_image", K_INT, 0, rg_nonneg),
	RANGED("size_of_headers", K_INT, 0, rg_nonneg),
	ROW("checksum_hex", K_HEX, 0),
	ROW("subsystem_hex", K_HEX, 0),
	ROW("dll_characteristics_hex", K_HEX, 0),
	RANGED("size_of_stack_reserve", K_INT, 0, rg_nonneg),
	RANGED("size_of_stack_commit", K_INT, 0, rg_nonneg),
	RANGED("size_of_heap_reserve", K_INT, 0, rg_nonneg),
	RANGED("size_of_heap_commit", K_INT, 0, rg_nonneg),
	ROW("loader_flags_hex", K_HEX, 0),
	ROW("number_of_rva_and_sizes", K_INT, 0),
	ROW("hashes", K_HASHES, 0),
};
static const struct ptab t_pe_optional_header = TAB("windows-pe-optional-header",
    p_pe_optional_header);
static const struct prop p_pebinary_ext[] = {
	ROW("pe_type", K_STR, F_REQ),
	ROW("imphash", K_STR, 0),
	ROW("machine_hex", K_HEX, 0),
	RANGED("number_of_sections", K_INT, 0, rg_nonneg),
	ROW("time_date_stamp", K_TS, 0),
	ROW("pointer_to_symbol_table_hex", K_HEX, 0),
	RANGED("number_of_symbols", K_INT, 0, rg_nonneg),
	RANGED("size_of_optional_header", K_INT, 0, rg_nonneg),
	ROW("characteristics_hex", K_HEX, 0),
	ROW("file_header_hashes", K_HASHES, 0),
	SUB("optional_header", 0, t_pe_optional_header),
	SUB("sections", F_LIST, t_pe_section),
};
static const struct ptab t_ntfs_ext = TAB("ntfs-ext", p_ntfs_ext,
    .any_of = LIST("sid", "alternate_data_streams"));
static const struct ptab t_raster_ext = TAB("raster-image-ext", p_raster_ext,
    .any_of = LIST("image_height", "image_width", "bits_per_pixel", "exif_tags"));
static const struct ptab t_pdf_ext = TAB("pdf-ext", p_pdf_ext,
    .any_of = LIST("version", "is_optimized", "document_info_dict", "pdfid0", "pdfid1"));
static const struct ptab t_archive_ext = TAB("archive-ext", p_archive_ext);
static const struct ptab t_pebinary_ext = TAB("windows-pebinary-ext", p_pebinary_ext);
static const struct extdef file_exts[] = {
	{ "archive-ext", &t_archive_ext },
	{ "ntfs-ext", &t_ntfs_ext },
	{ "pdf-ext", &t_pdf_ext },
	{ "raster-image-ext", &t_raster_ext },
	{ "windows-pebinary-ext", &t_pebinary_ext },
	{ NULL, NULL },
};

static const struct prop p_ipv4_addr[] = {
	ROW("value", K_IPV4, F_REQ),
	REF("resolves_to_refs", F_LIST, r_mac),
	REF("belongs_to_refs", F_LIST, r_as),
};
static const struct prop p_ipv6_addr[] = {
	ROW("value", K_IPV6, F_REQ),
	REF("resolves_to_refs", F_LIST, r_mac),
	REF("belongs_to_refs", F_LIST, r_as),
};
static const struct prop p_mac_addr[] = { ROW("value", K_MAC, F_REQ) };
static const struct prop p_mutex[] = { ROW("name", K_STR, F_REQ) };

static const struct prop p_network_traffic[] = {
	ROW("start", K_TS, 0),
	ROW("end", K_TS, 0),
	ROW("is_active", K_BOOL, 0),
	REF("src_ref", 0, r_address),
	REF("dst_ref", 0, r_address),
	RANGED("src_port", K_INT, 0, rg_port),
	RANGED("dst_port", K_INT, 0, rg_port),
	ROW("protocols", K_STR, F_REQ | F_LIST),
	RANGED("src_byte_count", K_INT, 0, rg_nonneg),
	RANGED("dst_byte_count", K_INT, 0, rg_nonneg),
	RANGED("src_packets", K_INT, 0, rg_nonneg),
	RANGED("dst_packets", K_INT, 0, rg_nonneg),
	ROW("ipfix", K_DICT, 0),
	REF("src_payload_ref", 0, r_artifact),
	REF("dst_payload_ref", 0, r_artifact),
	REF("encapsulates_refs", F_LIST, r_traffic),
	REF("encapsulated_by_ref", 0, r_traffic),
};
static const struct prop p_http_ext[] = {
	ROW("request_method", K_STR, F_REQ),
	ROW("request_value", K_STR, F_REQ),
	ROW("request_version", K_STR, 0),
	ROW("request_header", K_DICT, 0),
	RANGED("message_body_length", K_INT, 0, rg_nonneg),
	REF("message_body_data_ref", 0, r_artifact),
};
static const struct prop p_icmp_ext[] = {
	ROW("icmp_type_hex", K_HEX, F_REQ),
	ROW("icmp_code_hex", K_HEX, F_REQ),
};
static const struct prop p_socket_ext[] = {
	ENUM("address_family", F_REQ, LIST("AF_UNSPEC", "AF_INET", "AF_IPX", "AF_APPLETALK",
	    "AF_NETBIOS", "AF_INET6", "AF_IRDA", "AF_BTH")),
	ROW("is_blocking", K_BOOL, 0),
	ROW("is_listening", K_BOOL, 0),
	ROW("options", K_DICT, 0),
	ENUM("socket_type", 0, LIST("SOCK_STREAM", "SOCK_DGRAM", "SOCK_RAW", "SOCK_RDM",
	    "SOCK_SEQPACKET")),
	RANGED("socket_descriptor", K_INT, 0, rg_nonneg),
	ROW("socket_handle", K_INT, 0),
};
static const struct prop p_tcp_ext[] = {
	ROW("src_flags_hex", K_HEX, 0),
	ROW("dst_flags_hex", K_HEX, 0),
};
static const struct ptab t_http_ext = TAB("http-request-ext", p_http_ext);
static const struct ptab t_icmp_ext = TAB("icmp-ext", p_icmp_ext);
static const struct ptab t_socket_ext = TAB("socket-ext", p_socket_ext);
static const struct ptab t_tcp_ext = TAB("tcp-ext", p_tcp_ext,
    .any_of = LIST("src_flags_hex", "dst_flags_hex"));
static const struct extdef traffic_exts[] = {
	{ "http-request-ext", &t_http_ext },
	{ "icmp-ext", &t_icmp_ext },
	{ "socket-ext", &t_socket_ext },
	{ "tcp-ext", &t_tcp_ext },
	{ NULL, NULL },
};

static const struct prop p_process[] = {
	ROW("is_hidden", K_BOOL, 0),
	ROW("pid", K_INT, 0),
	ROW("created_time", K_TS, 0),
	ROW("cwd", K_STR, 0),
	ROW("command_line", K_STR, 0),
	ROW("environment_variables", K_DICT, 0),
	REF("opened_connection_refs", F_LIST, r_traffic),
	REF("creator_user_ref", 0, r_user),
	REF("image_ref", 0, r_file),
	REF("parent_ref", 0, r_process),
	REF("child_refs", F_LIST, r_process),
};
static const struct prop p_winproc_ext[] = {
	ROW("aslr_enabled", K_BOOL, 0),
	ROW("dep_enabled", K_BOOL, 0),
	ROW("priority", K_STR, 0),
	ROW("owner_sid", K_STR, 0),
	ROW("window_title", K_STR, 0),
	ROW("startup_info", K_DICT, 0),
	ENUM("integrity_level", 0, LIST("low", "medium", "high", "system")),
};
static const struct prop p_winservice_ext[] = {
	ROW("service_name", K_STR, 0),
	ROW("descriptions", K_STR, F_LIST),
	ROW("display_name", K_STR, 0),
	ROW("group_name", K_STR, 0),
	ENUM("start_type", 0, LIST("SERVICE_AUTO_START", "SERVICE_BOOT_START",
	    "SERVICE_DEMAND_START", "SERVICE_DISABLED", "SERVICE_SYSTEM_ALERT")),
	REF("service_dll_refs", F_LIST, r_file),
	ENUM("service_type", 0, LIST("SERVICE_KERNEL_DRIVER", "SERVICE_FILE_SYSTEM_DRIVER",
	    "SERVICE_WIN32_OWN_PROCESS", "SERVICE_WIN32_SHARE_PROCESS")),
	ENUM("service_status", 0, LIST("SERVICE_CONTINUE_PENDING", "SERVICE_PAUSE_PENDING",
	    "SERVICE_PAUSED", "SERVICE_RUNNING", "SERVICE_START_PENDING",
	    "SERVICE_STOP_PENDING", "SERVICE_STOPPED")),
};
static const struct ptab t_winproc_ext = TAB("windows-process-ext", p_winproc_ext,
    .any_of = LIST("aslr_enabled", "dep_enabled", "priority", "owner_sid", "window_title",
    "startup_info", "integrity_level"));
static const struct ptab t_winservice_ext = TAB("windows-service-ext", p_winservice_ext,
    .any_of = LIST("service_name", "descriptions", "display_name", "group_name",
    "start_type", "service_dll_refs", "service_type", "service_status"));
static const struct extdef process_exts[] = {
	{ "windows-process-ext", &t_winproc_ext },
	{ "windows-service-ext", &t_winservice_ext },
	{ NULL, NULL },
};

static const struct prop p_software[] = {
	ROW("name", K_STR, F_REQ),
	ROW("cpe", K_STR, 0),
	ROW("swid", K_STR, 0),
	ROW("languages", K_STR, F_LIST),
	ROW("vendor", K_STR, 0),
	ROW("version", K_STR, 0),
};
static const struct prop p_url[] = { ROW("value", K_STR, F_REQ) };

static const struct prop p_user_account[] = {
	ROW("user_id", K_STR, 0),
	ROW("credential", K_STR, 0),
	ROW("account_login", K_STR, 0),
	ROW("account_type", K_STR, 0),
	ROW("display_name", K_STR, 0),
	ROW("is_service_account", K_BOOL, 0),
	ROW("is_privileged", K_BOOL, 0),
	ROW("can_escalate_privs", K_BOOL, 0),
	ROW("is_disabled", K_BOOL, 0),
	ROW("account_created", K_TS, 0),
	ROW("account_expires", K_TS, 0),
	ROW("credential_last_changed", K_TS, 0),
	ROW("account_first_login", K_TS, 0),
	ROW("account_last_login", K_TS, 0),
};
static const struct prop p_unix_ext[] = {
	ROW("gid", K_INT, 0),
	ROW("groups", K_STR, F_LIST),
	ROW("home_dir", K_STR, 0),
	ROW("shell", K_STR, 0),
};
static const struct ptab t_unix_ext = TAB("unix-account-ext", p_unix_ext,
    .any_of = LIST("gid", "groups", "home_dir", "shell"));
static const struct extdef user_exts[] = {
	{ "unix-account-ext", &t_unix_ext },
	{ NULL, NULL },
};

static const struct prop p_registry_value[] = {
	ROW("name", K_STR, 0),
	ROW("data", K_STR, 0),
	ENUM("data_type", 0, LIST("REG_NONE", "REG_SZ", "REG_EXPAND_SZ", "REG_BINARY",
	    "REG_DWORD", "REG_DWORD_BIG_ENDIAN", "REG_DWORD_LITTLE_ENDIAN", "REG_LINK",
	    "REG_MULTI_SZ", "REG_RESOURCE_LIST", "REG_FULL_RESOURCE_DESCRIPTION",
	    "REG_RESOURCE_REQUIREMENTS_LIST", "REG_QWORD", "REG_INVALID_TYPE")),
};
static const struct ptab t_registry_value = TAB("windows-registry-value", p_registry_value,
    .any_of = LIST("name", "data", "data_type"));
static const struct prop p_registry_key[] = {
	ROW("key", K_STR, 0),
	SUB("values", F_LIST, t_registry_value),
	ROW("modified_time", K_TS, 0),
	REF("creator_user_ref", 0, r_user),
	ROW("number_of_subkeys", K_INT, 0),
};

static const struct prop p_x509_v3[] = {
	ROW("basic_constraints", K_STR, 0),
	ROW("name_constraints", K_STR, 0),
	ROW("policy_constraints", K_STR, 0),
	ROW("key_usage", K_STR, 0),
	ROW("extended_key_usage", K_STR, 0),
	ROW("subject_key_identifier", K_STR, 0),
	ROW("authority_key_identifier", K_STR, 0),
	ROW("subject_alternative_name", K_STR, 0),
	ROW("issuer_alternative_name", K_STR, 0),
	ROW("subject_directory_attributes", K_STR, 0),
	ROW("crl_distribution_points", K_STR, 0),
	ROW("inhibit_any_policy", K_STR, 0),
	ROW("private_key_usage_period_not_before", K_TS, 0),
	ROW("private_key_usage_period_not_after", K_TS, 0),
	ROW("certificate_policies", K_STR, 0),
	ROW("policy_mappings", K_STR, 0),
};
static const struct ptab t_x509_v3 = TAB("x509-v3-extensions", p_x509_v3);
static const struct prop p_x509[] = {
	ROW("is_self_signed", K_BOOL, 0),
	ROW("hashes", K_HASHES, 0),
	ROW("version", K_STR, 0),
	ROW("serial_number", K_STR, 0),
	ROW("signature_algorithm", K_STR, 0),
	ROW("issuer", K_STR, 0),
	ROW("validity_not_before", K_TS, 0),
	ROW("validity_not_after", K_TS, 0),
	ROW("subject", K_STR, 0),
	ROW("subject_public_key_algorithm", K_STR, 0),
	ROW("subject_public_key_modulus", K_STR, 0),
	ROW("subject_public_key_exponent", K_INT, 0),
	SUB("x509_v3_extensions", 0, t_x509_v3),
};

static const struct ptab t_artifact = TAB("artifact", p_artifact,
    .one_of = LIST("payload_bin", "url"), .check = hook_artifact);
static const struct ptab t_autonomous_system = TAB("autonomous-system", p_autonomous_system);
static const struct ptab t_directory = TAB("directory", p_directory);
static const struct ptab t_domain_name = TAB("domain-name", p_domain_name);
static const struct ptab t_email_addr = TAB("email-addr", p_email_addr);
static const struct ptab t_email_message = TAB("email-message", p_email_message,
    .check = hook_email_message);
static const struct ptab t_file = TAB("file", p_file, .any_of = LIST("hashes", "name"));
static const struct ptab t_ipv4_addr = TAB("ipv4-addr", p_ipv4_addr);
static const struct ptab t_ipv6_addr = TAB("ipv6-addr", p_ipv6_addr);
static const struct ptab t_mac_addr = TAB("mac-addr", p_mac_addr);
static const struct ptab t_mutex = TAB("mutex", p_mutex);
static const struct ptab t_network_traffic = TAB("network-traffic", p_network_traffic,
    .any_of = LIST("src_ref", "dst_ref"), .pairs = pairs_traffic,
    .check = hook_network_traffic);
/* §6.13, §6.16-§6.18 (and the OASIS schemas): at least one own property. */
static const struct ptab t_process = TAB("process", p_process,
    .any_of = LIST("extensions", "is_hidden", "pid", "created_time", "cwd", "command_line",
    "environment_variables", "opened_connection_refs", "creator_user_ref", "image_ref",
    "parent_ref", "child_refs"));
static const struct ptab t_software = TAB("software", p_software);
static const struct ptab t_url = TAB("url", p_url);
static const struct ptab t_user_account = TAB("user-account", p_user_account,
    .any_of = LIST("extensions", "user_id", "credential", "account_login", "account_type",
    "display_name", "is_service_account", "is_privileged", "can_escalate_privs",
    "is_disabled", "account_created", "account_expires", "credential_last_changed",
    "account_first_login", "account_last_login"));
static const struct ptab t_registry_key = TAB("windows-registry-key", p_registry_key,
    .any_of = LIST("key", "values", "modified_time", "creator_user_ref",
    "number_of_subkeys"));
static const struct ptab t_x509 = TAB("x509-certificate", p_x509,
    .any_of = LIST("is_self_signed", "hashes", "version", "serial_number",
    "signature_algorithm", "issuer", "validity_not_before", "validity_not_after",
    "subject", "subject_public_key_algorithm", "subject_public_key_modulus",
    "subject_public_key_exponent", "x509_v3_extensions"));

#define SDO(name, tab) { name, STIX_KIND_SDO, &tab, &t_core, NULL }
#define SRO(name, tab) { name, STIX_KIND_SRO, &tab, &t_core, NULL }
#define SCO(name, tab, exts) { name, STIX_KIND_SCO, &tab, &t_sco, exts }

/* Sorted by type name (strcmp) for bsearch. */
static const struct tdef types[] = {
	SCO("artifact", t_artifact, NULL),
	SDO("attack-pattern", t_attack_pattern),
	SCO("autonomous-system", t_autonomous_system, NULL),
	SDO("campaign", t_campaign),
	SDO("course-of-action", t_course_of_action),
	SCO("directory", t_directory, NULL),
	SCO("domain-name", t_domain_name, NULL),
	SCO("email-addr", t_email_addr, NULL),
	SCO("email-message", t_email_message, NULL),
	{ "extension-definition", STIX_KIND_META, &t_extension_definition, &t_core, NULL },
	SCO("file", t_file, file_exts),
	SDO("grouping", t_grouping),
	SDO("identity", t_identity),
	SDO("incident", t_incident),
	SDO("indicator", t_indicator),
	SDO("infrastructure", t_infrastructure),
	SDO("intrusion-set", t_intrusion_set),
	SCO("ipv4-addr", t_ipv4_addr, NULL),
	SCO("ipv6-addr", t_ipv6_addr, NULL),
	{ "language-content", STIX_KIND_META, &t_language_content, &t_core, NULL },
	SDO("location", t_location),
	SCO("mac-addr", t_mac_addr, NULL),
	SDO("malware", t_malware),
	SDO("malware-analysis", t_malware_analysis),
	{ "marking-definition", STIX_KIND_META, &t_marking, NULL, NULL },
	SCO("mutex", t_mutex, NULL),
	SCO("network-traffic", t_network_traffic, traffic_exts),
	SDO("note", t_note),
	SDO("observed-data", t_observed_data),
	SDO("opinion", t_opinion),
	SCO("process", t_process, process_exts),
	SRO("relationship", t_relationship),
	SDO("report", t_report),
	SRO("sighting", t_sighting),
	SCO("software", t_software, NULL),
	SDO("threat-actor", t_threat_actor),
	SDO("tool", t_tool),
	SCO("url", t_url, NULL),
	SCO("user-account", t_user_account, user_exts),
	SDO("vulnerability", t_vulnerability),
	SCO("windows-registry-key", t_registry_key, NULL),
	SCO("x509-certificate", t_x509, NULL),
};

/* Types this module does not know: common SDO rules, or SCO rules for new-sco. */
static const struct tdef td_custom = { NULL, STIX_KIND_CUSTOM, &t_custom, &t_core, NULL };
static const struct tdef td_custom_sco = { NULL, STIX_KIND_SCO, &t_custom, &t_sco, NULL };

struct tkey {
	const char *s;
	size_t n;
};

static int
tdef_cmp(const void *key, const void *elem)
{
	const struct tkey *k = key;
	const char *t = ((const struct tdef *)elem)->type;
	int r = strncmp(k->s, t, k->n);

	return r != 0 ? r : t[k->n] != '\0' ? -1 : 0;
}

static const struct tdef *
find_type(const char *type, size_t len)
{
	struct tkey k = { type, len };

	return bsearch(&k, types, N(types), sizeof(types[0]), tdef_cmp);
}

/* ---- extensions ---------------------------------------------------------- */

static const struct ptab *
find_ext(const struct extdef *e, const char *name)
{
	for (; e != NULL && e->name != NULL; e++) {
		if (strcmp(e->name, name) == 0)
			return e->tab;
	}
	return NULL;
}

/*
 * §7.3: a key is an extension-definition id, or the name of a predefined
 * SCO extension (§6), or a STIX 2.0-style "<name>-ext" (deprecated, SHOULD).
 */
static int
check_extension(struct vctx *c, const char *key, size_t klen, const json_t *v)
{
	const struct ptab *tab;

	if (!json_is_object(v) || json_object_size(v) == 0)
		return verr(c, " must be a non-empty dictionary");
	if (strncmp(key, "extension-definition--", 22) == 0) {
		if (!stix_id_valid(key))
			return verr(c, ": the key is not a valid extension-definition id");
		return check_object(c, v, &t_ext_inst, NULL, 1);
	}
	tab = find_ext(c->td->exts, key);
	if (tab != NULL)
		return check_object(c, v, tab, NULL, 0);
	if (klen > 4 && strcmp(key + klen - 4, "-ext") == 0 && stix_type_valid(key, klen))
		return 0;
	return verr(c, ": the key is neither an extension-definition id nor an "
	    "extension name ending in '-ext'");
}

static int
chk_exts(struct vctx *c, const struct prop *p, const json_t *v)
{
	void *it;
	int r = 0;

	if (json_object_size(v) == 0)
		return verr(c, " must not be an empty dictionary");
	for (it = json_object_iter((json_t *)v); it != NULL && r == 0;
	     it = json_object_iter_next((json_t *)v, it)) {
		push_key(c, json_object_iter_key(it));
		r = check_extension(c, json_object_iter_key(it), json_object_iter_key_len(it),
		    json_object_iter_value(it));
		pop(c);
	}
	return r;
}

/* §7.3: a custom object declared as a new SCO follows the SCO rules. */
static int
is_new_sco(const json_t *o)
{
	const json_t *exts = json_object_get(o, "extensions");
	const char *et;
	void *it;

	if (!json_is_object(exts))
		return 0;
	for (it = json_object_iter((json_t *)exts); it != NULL;
	     it = json_object_iter_next((json_t *)exts, it)) {
		et = json_string_value(json_object_get(json_object_iter_value(it), "extension_type"));
		if (et != NULL && strcmp(et, "new-sco") == 0)
			return 1;
	}
	return 0;
}

/* ---- the object ---------------------------------------------------------- */

static int
check_type(struct vctx *c, const json_t *o)
{
	const json_t *t = json_object_get(o, "type");
	const char *s = json_string_value(t);
	size_t n;

	if (t == NULL)
		return err_set(c->err, LSN_EINVAL, "property 'type' is required");
	if (s == NULL)
		return err_set(c->err, LSN_EINVAL, "property 'type' must be a string");
	n = json_string_length(t);
	if (!stix_type_valid(s, n) || strlen(s) != n)
		return err_set(c->err, LSN_EINVAL, "property 'type': '%.64s' is not a valid type "
		    "name (3-250 characters of a-z, 0-9 and single hyphens, starting with a "
		    "letter)", s);
	if (strcmp(s, "bundle") == 0)
		return err_set(c->err, LSN_EINVAL, "property 'type': a bundle is not a STIX "
		    "object (validate it as a bundle)");
	if (strcmp(s, "action") == 0)
		return err_set(c->err, LSN_EINVAL, "property 'type': 'action' is reserved by "
		    "STIX 2.1 and cannot be an object type");
	c->type = s;
	c->td = find_type(s, n);
	if (c->td == NULL)
		c->td = is_new_sco(o) ? &td_custom_sco : &td_custom;
	return 0;
}

/* §2.9: "<type>--<UUID>", where the prefix is exactly the object's type. */
static int
check_id(struct vctx *c, const json_t *o)
{
	const json_t *v = json_object_get(o, "id");
	const char *id = json_string_value(v);
	size_t n = strlen(c->type);

	if (v == NULL)
		return err_set(c->err, LSN_EINVAL, "property 'id' is required");
	if (id == NULL)
		return err_set(c->err, LSN_EINVAL, "property 'id' must be a string");
	if (!stix_id_valid(id))
		return err_set(c->err, LSN_EINVAL, "property 'id': '%.80s' is not of the form "
		    "<type>--<RFC 4122 UUID>", id);
	if (stix_id_type_len(id) != n || strncmp(id, c->type, n) != 0)
		return err_set(c->err, LSN_EINVAL, "property 'id': the prefix of '%.80s' does "
		    "not match the object type '%s'", id, c->type);
	c->id = id;
	return 0;
}

/*
 * §3.2: spec_version is required on everything but SCOs (optional there) and
 * is "2.1". A missing one where required means STIX 2.0, which we refuse
 * rather than guess at: 2.0 differs in required properties and semantics.
 */
static int
check_spec_version(struct vctx *c, const json_t *o)
{
	const json_t *v = json_object_get(o, "spec_version");
	const char *s = json_string_value(v);

	if (v == NULL) {
		if (c->td->kind == STIX_KIND_SCO)
			return 0;
		return err_set(c->err, LSN_EINVAL, "property 'spec_version' is required: "
		    "objects without it are STIX 2.0, which is not accepted (only STIX 2.1)");
	}
	if (s == NULL)
		return err_set(c->err, LSN_EINVAL, "property 'spec_version' must be the string \"2.1\"");
	if (strcmp(s, "2.0") == 0)
		return err_set(c->err, LSN_EINVAL, "property 'spec_version': STIX 2.0 is not "
		    "accepted (only STIX 2.1)");
	if (strcmp(s, "2.1") != 0)
		return err_set(c->err, LSN_EINVAL, "property 'spec_version': '%.16s' is not "
		    "supported (only \"2.1\")", s);
	return 0;
}

/* A property counts as the version only if the type defines it as a timestamp. */
static const char *
version_prop(const struct vctx *c, const json_t *o, const char *name)
{
	const struct prop *p = find_prop(c->td->own, name);

	if (p == NULL)
		p = find_prop(c->td->common, name);
	if (p == NULL || p->kind != K_TS)
		return NULL;
	return json_string_value(json_object_get(o, name));
}

static void
fill_meta(const struct vctx *c, const json_t *o, struct stix_meta *m)
{
	const json_t *omr = json_object_get(o, "object_marking_refs");
	const char *ver = version_prop(c, o, "modified");
	enum stix_tlp t;
	struct ts ts;
	size_t i;

	memset(m, 0, sizeof(*m));
	m->kind = c->td->kind;
	snprintf(m->type, sizeof(m->type), "%s", c->type);
	snprintf(m->id, sizeof(m->id), "%s", c->id);
	snprintf(m->spec_version, sizeof(m->spec_version), "2.1");
	if (ver == NULL)
		ver = version_prop(c, o, "created");
	if (ver != NULL && stix_parse_timestamp(ver, &ts, NULL) == 0) {
		snprintf(m->version, sizeof(m->version), "%s", ver);
		ts_key(&ts, m->version_key);
	}
	for (i = 0; i < json_array_size(omr); i++) {
		t = stix_tlp_of_marking(json_string_value(json_array_get(omr, i)));
		if (t > m->tlp)
			m->tlp = t;
	}
}

int
stix_validate_object(const json_t *obj, struct stix_meta *ret_meta, struct err *err)
{
	struct vctx c = { .err = err, .top = obj };
	int r;

	if (!json_is_object(obj))
		return err_set(err, LSN_EINVAL, "a STIX object must be a JSON object");
	r = check_type(&c, obj);
	if (r == 0)
		r = check_id(&c, obj);
	if (r == 0)
		r = check_spec_version(&c, obj);
	if (r == 0)
		r = check_object(&c, obj, c.td->own, c.td->common, 1);
	if (r == 0 && ret_meta != NULL)
		fill_meta(&c, obj, ret_meta);
	/* Quoted input may have been cut inside a UTF-8 sequence. */
	if (r < 0 && err != NULL)
		stix_utf8_scrub(err->msg);
	return r;
}
