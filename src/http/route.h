/*
 * One route table type for every API of the server (TAXII, /peer/v1/,
 * /api/v1/, /metrics): rows of {method, pattern, handler, rights}, and one
 * matcher that tells a hit from 404 and 405 (with the Allow list). Matches
 * and hands over path segments only: never answers a request nor checks a
 * right itself; each API reads the row's rights and answers in its format.
 */
#ifndef LSN_HTTP_ROUTE_H
#define LSN_HTTP_ROUTE_H

#include <stddef.h>

#define ROUTE_SEG_MAX 8
#define ROUTE_ALLOW_MAX 64

/* What a request must have for the row's handler to run (checked by each API). */
enum route_rights {
	ROUTE_PUBLIC = 0,
	ROUTE_USER = 1 << 0,          /* an authenticated local user */
	ROUTE_READ = 1 << 1,          /* read on the path's {collection} */
	ROUTE_WRITE = 1 << 2,         /* write on the path's {collection} */
	ROUTE_ADMIN = 1 << 3,         /* a local admin */
	ROUTE_PEER = 1 << 4,          /* the pinned TLS identity of an active partner */
	ROUTE_QUERY = 1 << 5,         /* takes query parameters (TAXII §3.4): not a right, a shape */
};

/* The named segments of a matched path, in pattern order; values point into the path. */
struct route_args {
	int n;
	const char *name[ROUTE_SEG_MAX];   /* "object" of "{object}", not NUL-terminated */
	size_t name_len[ROUTE_SEG_MAX];
	const char *value[ROUTE_SEG_MAX];
};

typedef void route_fn(void *ctx, const struct route_args *a);

/*
 * pattern: "/{root}/collections/{collection}/objects/": literal segments
 * match exactly, "{name}" any one segment (even an empty one: the
 * handler judges the value). A pattern that ends
 * with '/' matches only a path that does, and one that does not only a path
 * that does not. hint: an API's sentence for its 405 answer, or NULL.
 */
struct route {
	const char *method;
	const char *pattern;
	route_fn *fn;
	unsigned rights;
	const char *hint;
};

/* A name a table fixes at run time: "{root}" must equal the configured root. */
struct route_bind {
	const char *name;
	const char *value;
};

/* A request path cut into segments (in the caller's buffer). */
struct route_path {
	char *seg[ROUTE_SEG_MAX];
	int n;
	int slash;                    /* the path ended with '/' */
};

struct route_match {
	const struct route *hit;      /* the row of this method and path, or NULL */
	const struct route *row;      /* hit, else the last row of this path (for its args) */
	struct route_args args;       /* the named segments of row */
	char allow[ROUTE_ALLOW_MAX];  /* "GET, POST": the methods of the rows of this path */
};

/*
 * Cuts p (a mutable copy of the path, starting with '/') into segments in
 * place; one trailing '/' is noted in ret->slash and cut. -LSN_ENOTFOUND: not
 * a path the tables can name (no leading '/', "//" at the end, more than
 * ROUTE_SEG_MAX segments). "/" and "//" have no segment.
 */
int route_split(char *p, struct route_path *ret);
/* Percent-decodes each segment in place; -LSN_EINVAL on a malformed escape or %00. */
int route_unescape(struct route_path *p);

/*
 * Matches method and path against n rows. Returns 200 (ret->hit is set),
 * 405 (some row has this path: ret->allow lists their methods) or 404. Of
 * several rows that fit, the last one wins. bind may be NULL.
 */
int route_find(const struct route *tab, size_t n, const char *method,
    const struct route_path *p, const struct route_bind *bind, size_t n_bind,
    struct route_match *ret);

/*
 * route_split and route_find over a copy of path in buf (cap bytes, which
 * the args point into): 404 too for a path that does not fit or split.
 * any_slash: the table takes its paths with or without a trailing '/'
 * (its patterns have none).
 */
int route_lookup(const struct route *tab, size_t n, const char *method, const char *path,
    int any_slash, char *buf, size_t cap, struct route_match *ret);

/* The value of the segment named name, or NULL. */
const char *route_arg(const struct route_args *a, const char *name);

#endif
