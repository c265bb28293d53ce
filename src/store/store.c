/*
 * Backend selection: the only place that knows which backends exist, and
 * the check that a backend's tables are the versions this program knows.
 */
#include "store/pg_int.h"
#include "store/store.h"
#include "util/err.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>

static int
is_url(const char *spec)
{
	return strncmp(spec, "postgresql://", 13) == 0 || strncmp(spec, "postgres://", 11) == 0;
}

int
store_spec_where(const char *spec, char *out, size_t cap)
{
	char where[256];

	if (!is_url(spec)) {
		snprintf(out, cap, "%s", strncmp(spec, "sqlite:", 7) == 0 ? spec + 7 : spec);
		return 0;
	}
	pg_describe(spec, where, sizeof(where));
	snprintf(out, cap, "postgres %s", where);
	return 1;
}

int
store_spec_check(const char *spec, struct err *err)
{
	PQconninfoOption *o, *i;
	char *msg = NULL;
	int r = 0;

	if (!is_url(spec))
		return 0;
	if ((o = PQconninfoParse(spec, &msg)) == NULL) {
		r = err_set(err, LSN_EINVAL, "the store URL cannot be read: %s",
		    msg ? msg : "out of memory");
		PQfreemem(msg);
		return r;
	}
	for (i = o; i->keyword != NULL; i++)
		if (strcmp(i->keyword, "password") == 0 && i->val != NULL && i->val[0] != '\0')
			r = err_set(err, LSN_EINVAL, "the store URL carries a password, which `ps` and "
			    "liaison.conf would show: put it in ~/.pgpass or the file PGPASSFILE names, "
			    "and leave it out of the URL");
	PQconninfoFree(o);
	return r;
}

/* A domain table a backend fills must be of this program's version; NULL is allowed. */
static int
check_domain(const struct store_backend *be, const char *domain, const unsigned *version,
    unsigned want, struct err *err)
{
	if (version == NULL || *version == want)
		return 0;
	return err_set(err, LSN_ENOTSUP, "store: the %s backend's %s table is version %u, "
	    "this program knows version %u", be->name, domain, *version, want);
}

static int
check_backend(const struct store_backend *be, struct err *err)
{
	int r;

	if (be->version != STORE_BACKEND_VERSION)
		return err_set(err, LSN_ENOTSUP, "store: the %s backend is version %u, this program "
		    "knows version %u", be->name, be->version, STORE_BACKEND_VERSION);
	if ((r = check_domain(be, "objects", be->objects ? &be->objects->version : NULL,
	    STORE_OBJECTS_VERSION, err)) < 0 ||
	    (r = check_domain(be, "exchange", be->exchange ? &be->exchange->version : NULL,
	    STORE_EXCHANGE_VERSION, err)) < 0 ||
	    (r = check_domain(be, "ledger", be->ledger ? &be->ledger->version : NULL,
	    STORE_LEDGER_VERSION, err)) < 0)
		return r;
	if ((r = check_domain(be, "hotline", be->hotline ? &be->hotline->version : NULL,
	    STORE_HOTLINE_VERSION, err)) < 0)
		return r;
	return check_domain(be, "ha", be->ha ? &be->ha->version : NULL, STORE_HA_VERSION, err);
}

int
store_open(const char *spec, int create, struct store **ret, struct err *err)
{
	const struct store_backend *be = &store_sqlite_backend;
	int r;

	if (strncmp(spec, "sqlite:", 7) == 0)
		spec += 7;
	else if (is_url(spec))
		be = &store_postgres_backend;
	else if (strstr(spec, "://") != NULL)
		return err_set(err, LSN_EINVAL, "store: unsupported store URL (use sqlite:PATH or "
		    "postgresql://...)");
	if ((r = check_backend(be, err)) < 0)
		return r;
	return be->open(spec, create, ret, err);
}

void
store_close(struct store *s)
{
	if (s != NULL)
		s->be->close(s);
}

int
store_no_domain(const struct store *s, const char *domain, struct err *err)
{
	return err_set(err, LSN_ENOTSUP, "store: the %s store has no %s tables", s->be->name, domain);
}
