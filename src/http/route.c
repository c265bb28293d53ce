/*
 * The route matcher: a path against a table of patterns, 404 against 405.
 * It allocates nothing and answers nothing: it runs on every request, and
 * the status text and rights are each API's to word and to check.
 */
#include "http/route.h"
#include "util/err.h"

#include <stdio.h>
#include <string.h>

int
route_split(char *p, struct route_path *ret)
{
	size_t len = strlen(p);
	int n = 0;

	if (len == 0 || p[0] != '/')
		return -LSN_ENOTFOUND;
	ret->slash = p[len - 1] == '/';
	if (ret->slash)
		p[len - 1] = '\0';
	p++;
	while (*p) {
		char *s = strchr(p, '/');
		if (n == ROUTE_SEG_MAX)
			return -LSN_ENOTFOUND;
		ret->seg[n++] = p;
		if (s == NULL)
			break;
		*s = '\0';
		if (s[1] == '\0')
			return -LSN_ENOTFOUND; /* "//" */
		p = s + 1;
	}
	ret->n = n;
	return 0;
}

/* Percent-decodes a path segment in place (ids never need it, but clients may escape). */
static int
unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (*s == '%') {
			unsigned v;
			if (sscanf(s + 1, "%2x", &v) != 1 || v == 0)
				return -LSN_EINVAL;
			*o++ = (char)v;
			s += 2;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
	return 0;
}

int
route_unescape(struct route_path *p)
{
	int i;

	for (i = 0; i < p->n; i++)
		if (unescape(p->seg[i]) < 0)
			return -LSN_EINVAL;
	return 0;
}

/* The value a table fixed for "{name}", or NULL if the name is free. */
static const char *
bound(const struct route_bind *bind, size_t n_bind, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < n_bind; i++)
		if (strncmp(bind[i].name, name, len) == 0 && bind[i].name[len] == '\0')
			return bind[i].value;
	return NULL;
}

/* 1 if the row's pattern fits the path; its named segments go to args. */
static int
match_row(const struct route *rt, const struct route_path *p, const struct route_bind *bind,
    size_t n_bind, struct route_args *args)
{
	const char *s = rt->pattern, *e, *v;
	size_t len;
	int i = 0;

	args->n = 0;
	for (s += *s == '/'; *s != '\0'; s = *e ? e + 1 : e, i++) {
		e = strchr(s, '/');
		if (e == NULL)
			e = s + strlen(s);
		len = (size_t)(e - s);
		if (i == p->n)
			return 0;
		if (len >= 2 && s[0] == '{' && s[len - 1] == '}') {
			v = bound(bind, n_bind, s + 1, len - 2);
			if (v != NULL && strcmp(v, p->seg[i]) != 0)
				return 0;
			args->name[args->n] = s + 1;
			args->name_len[args->n] = len - 2;
			args->value[args->n++] = p->seg[i];
		} else if (strncmp(s, p->seg[i], len) != 0 || p->seg[i][len] != '\0') {
			return 0;
		}
	}
	/* a pattern "/" (len 1) ends with '/' and has no segment */
	len = strlen(rt->pattern);
	return i == p->n && (len > 0 && rt->pattern[len - 1] == '/') == (p->slash != 0);
}

int
route_find(const struct route *tab, size_t n, const char *method,
    const struct route_path *p, const struct route_bind *bind, size_t n_bind,
    struct route_match *ret)
{
	struct route_args args;
	size_t i, used;

	memset(ret, 0, sizeof(*ret));
	for (i = 0; i < n; i++) {
		if (!match_row(&tab[i], p, bind, n_bind, &args))
			continue;
		if (strcmp(tab[i].method, method) == 0)
			ret->hit = &tab[i];
		if (ret->hit == &tab[i] || ret->hit == NULL)
			ret->row = &tab[i], ret->args = args;
		used = strlen(ret->allow);
		snprintf(ret->allow + used, sizeof(ret->allow) - used, "%s%s",
		    used ? ", " : "", tab[i].method);
	}
	if (ret->allow[0] == '\0')
		return 404;
	return ret->hit != NULL ? 200 : 405;
}

int
route_lookup(const struct route *tab, size_t n, const char *method, const char *path,
    int any_slash, char *buf, size_t cap, struct route_match *ret)
{
	struct route_path p;
	size_t len = strlen(path);

	memset(ret, 0, sizeof(*ret));
	if (len >= cap)
		return 404;
	memcpy(buf, path, len + 1);
	if (route_split(buf, &p) < 0)
		return 404;
	if (any_slash)
		p.slash = 0;
	return route_find(tab, n, method, &p, NULL, 0, ret);
}

const char *
route_arg(const struct route_args *a, const char *name)
{
	int i;

	for (i = 0; i < a->n; i++)
		if (strncmp(a->name[i], name, a->name_len[i]) == 0 && name[a->name_len[i]] == '\0')
			return a->value[i];
	return NULL;
}
