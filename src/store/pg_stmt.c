/*
 * PostgreSQL backend, the bottom: parameters, prepared statements cached
 * per connection, binary results, errors, the one-row helpers and the
 * fence check. Everything the domain files say to the server goes through
 * here; nothing here knows a table but the lease's.
 */
#include "store/pg_int.h"
#include "util/buf.h"
#include "util/err.h"

#include <endian.h>
#include <libpq-fe.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PG_MAX_PARAMS 65535
#define OID_INT8 20
#define OID_BYTEA 17

int
pg_res_err(struct pg_store *p, PGresult *res, struct err *err, const char *what)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	int code = LSN_EIO;

	if (msg == NULL)
		msg = PQerrorMessage(p->conn);
	if (PQstatus(p->conn) != CONNECTION_OK)
		return err_set(err, LSN_EIO, "store: the database at %s is unreachable while %s: %s",
		    p->where, what, msg[0] ? msg : "connection lost");
	if (state != NULL && strcmp(state, "23505") == 0)
		code = LSN_EEXIST;
	else if (state != NULL && (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
	    strcmp(state, "55P03") == 0))
		code = LSN_EBUSY;
	else if (state != NULL && strcmp(state, "25006") == 0)
		code = LSN_EBUSY;          /* read-only: a standby server, the primary moved */
	return err_set(err, code, "store: %s failed: %s%s%s%s", what, msg,
	    state ? " (SQLSTATE " : "", state ? state : "", state ? ")" : "");
}

/*
 * host:port/dbname of a connection string, for messages: the password is
 * never among them. From the parsed string, so it works before connecting.
 */
void
pg_describe(const char *url, char *out, size_t cap)
{
	PQconninfoOption *o = PQconninfoParse(url, NULL), *i;
	const char *host = "localhost", *port = "5432", *db = "";

	if (o == NULL) {
		snprintf(out, cap, "(an unreadable connection string)");
		return;
	}
	for (i = o; i->keyword != NULL; i++) {
		if (i->val == NULL || i->val[0] == '\0')
			continue;
		if (strcmp(i->keyword, "host") == 0)
			host = i->val;
		else if (strcmp(i->keyword, "port") == 0)
			port = i->val;
		else if (strcmp(i->keyword, "dbname") == 0)
			db = i->val;
	}
	snprintf(out, cap, "%s:%s/%s", host, port, db);
	PQconninfoFree(o);
}

static uint64_t
sql_hash(const char *sql)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *sql; sql++)
		h = (h ^ (unsigned char)*sql) * 1099511628211ULL;
	return h;
}

void
pg_cache_clear(struct pg_store *p)
{
	size_t i;

	for (i = 0; i < PG_CACHE_SLOTS; i++) {
		free(p->cache[i].sql);
		p->cache[i].sql = NULL;
		p->cache[i].hash = 0;
	}
}

/* The parameters in libpq's arrays; ints as big-endian int8 in nums. */
struct pg_params {
	const char *v[64];
	int len[64], fmt[64];
	Oid type[64];
	int64_t nums[64];
	const char **vp;
	int *lenp, *fmtp;
	Oid *typep;
	int64_t *nump;
	void *heap;
};

static int
params_fill(struct pg_params *pp, const struct pg_bind *b, size_t n, struct err *err)
{
	size_t i;

	pp->heap = NULL;
	pp->vp = pp->v, pp->lenp = pp->len, pp->fmtp = pp->fmt, pp->typep = pp->type;
	pp->nump = pp->nums;
	if (n > PG_MAX_PARAMS)
		return err_set(err, LSN_ETOOBIG, "store: %zu parameters in one statement", n);
	if (n > 64) {
		size_t each = sizeof(char *) + 2 * sizeof(int) + sizeof(Oid) + sizeof(int64_t);
		char *h = malloc(n * each);

		if (h == NULL)
			return err_set(err, LSN_ENOMEM, "store: out of memory");
		pp->heap = h;
		pp->nump = (int64_t *)(void *)h;
		pp->vp = (const char **)(void *)(h + n * sizeof(int64_t));
		pp->lenp = (int *)(void *)(h + n * (sizeof(int64_t) + sizeof(char *)));
		pp->fmtp = pp->lenp + n;
		pp->typep = (Oid *)(void *)(pp->fmtp + n);
	}
	for (i = 0; i < n; i++) {
		switch (b[i].kind) {
		case PG_BIND_INT:
			pp->nump[i] = (int64_t)htobe64((uint64_t)b[i].i);
			pp->vp[i] = (const char *)&pp->nump[i];
			pp->lenp[i] = 8, pp->fmtp[i] = 1, pp->typep[i] = OID_INT8;
			break;
		case PG_BIND_TEXT:
			pp->vp[i] = b[i].p;
			pp->lenp[i] = 0, pp->fmtp[i] = 0, pp->typep[i] = 0;
			break;
		case PG_BIND_BLOB:
			pp->vp[i] = b[i].p;         /* NULL: SQL NULL */
			pp->lenp[i] = (int)b[i].n, pp->fmtp[i] = 1, pp->typep[i] = OID_BYTEA;
			break;
		case PG_BIND_ARRAY:
			if (b[i].n > INT32_MAX) {
				free(pp->heap);
				pp->heap = NULL;
				return err_set(err, LSN_ETOOBIG, "store: an array of %lld bytes is too "
				    "large for one statement", (long long)b[i].n);
			}
			pp->vp[i] = b[i].p;
			pp->lenp[i] = (int)b[i].n, pp->fmtp[i] = 1, pp->typep[i] = (Oid)b[i].i;
			break;
		}
	}
	return 0;
}

/*
 * Text goes in text format with its type left to the server (a column's
 * text). libpq reads text-format values as C strings, so a PB_TEXTN value
 * is copied with a NUL after it.
 */
static int
params_terminate(struct pg_params *pp, const struct pg_bind *b, size_t n, char **copies,
    struct err *err)
{
	size_t i, need = 0;
	char *q;

	*copies = NULL;
	for (i = 0; i < n; i++)
		if (b[i].kind == PG_BIND_TEXT && b[i].p != NULL && b[i].n >= 0)
			need += (size_t)b[i].n + 1;
	if (need == 0)
		return 0;
	if ((q = *copies = malloc(need)) == NULL)
		return err_set(err, LSN_ENOMEM, "store: out of memory");
	for (i = 0; i < n; i++)
		if (b[i].kind == PG_BIND_TEXT && b[i].p != NULL && b[i].n >= 0) {
			memcpy(q, b[i].p, (size_t)b[i].n);
			q[b[i].n] = '\0';
			pp->vp[i] = q;
			q += b[i].n + 1;
		}
	return 0;
}

/* The cache slot holding sql, or -1. */
static int
cache_find(struct pg_store *p, const char *sql)
{
	uint64_t h = sql_hash(sql);
	size_t i;

	for (i = 0; i < PG_CACHE_SLOTS; i++)
		if (p->cache[i].sql != NULL && p->cache[i].hash == h &&
		    strcmp(p->cache[i].sql, sql) == 0)
			return (int)i;
	return -1;
}

static void
pend_add(struct pg_store *p, const char *what, int slot)
{
	p->pend[p->n_pend].what = what;
	p->pend[p->n_pend].slot = slot;
	p->pend[p->n_pend].out = NULL;
	p->n_pend++;
}

/*
 * The cached statement of sql, prepared on first use (its name into
 * name); -1 with err set. In a pipeline the DEALLOCATE of the slot's old
 * statement and the PREPARE are sent and not waited for.
 */
static int
prepared(struct pg_store *p, const char *sql, int nparams, const Oid *types, char *name,
    size_t cap, struct err *err)
{
	int i = cache_find(p, sql);
	struct pg_cached *c;
	PGresult *res;
	char *copy;

	if (i >= 0) {
		snprintf(name, cap, "lsn%u", p->cache[i].serial);
		return 0;
	}
	if ((copy = strdup(sql)) == NULL)
		return err_set(err, LSN_ENOMEM, "store: out of memory");
	i = (int)(p->cache_next++ % PG_CACHE_SLOTS);
	c = &p->cache[i];
	if (c->sql != NULL) {
		char dealloc[48];

		snprintf(dealloc, sizeof(dealloc), "DEALLOCATE lsn%u", c->serial);
		if (p->piped) {
			if (PQsendQueryParams(p->conn, dealloc, 0, NULL, NULL, NULL, NULL, 1))
				pend_add(p, "forgetting a statement", -2);
		} else {
			PQclear(PQexec(p->conn, dealloc));
		}
		free(c->sql);
		c->sql = NULL;
	}
	c->serial = ++p->serial;
	snprintf(name, cap, "lsn%u", c->serial);
	if (p->piped) {
		if (!PQsendPrepare(p->conn, name, sql, nparams, types)) {
			free(copy);
			return pg_res_err(p, NULL, err, "preparing a statement");
		}
		pend_add(p, "preparing a statement", i);
	} else {
		res = PQprepare(p->conn, name, sql, nparams, types);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			free(copy);
			pg_res_err(p, res, err, "preparing a statement");
			PQclear(res);
			return -1;
		}
		PQclear(res);
	}
	c->sql = copy;
	c->hash = sql_hash(sql);
	return 0;
}

/*
 * synchronous_commit on whatever the server's default: a commit returns
 * once its WAL is flushed on the primary and, when the server names
 * synchronous standbys, on one of them too. Receipts, checkpoints and
 * cosignatures leave the node only after the commit that stores them
 * returned, so none is ever out before what it attests is durable on two
 * servers (DESIGN §6).
 */
int
pg_session_setup(struct pg_store *p, struct err *err)
{
	PGresult *res = PQexec(p->conn, "SET client_min_messages = warning; "
	    "SET synchronous_commit = on; SET default_transaction_isolation = 'read committed'");
	int r = 0;

	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		r = pg_res_err(p, res, err, "setting up the session");
	PQclear(res);
	return r;
}

/*
 * A connection the server dropped (a restart, a failover) is made again
 * before a statement outside a transaction; inside one, the transaction
 * is lost and the statement fails, so its caller rolls back. A multi-host
 * URL then reaches whichever server is the primary now.
 */
int
pg_revive(struct pg_store *p, struct err *err)
{
	if (PQstatus(p->conn) == CONNECTION_OK)
		return 0;
	if (p->tx)
		return err_set(err, LSN_EIO, "store: the connection to the database at %s was lost "
		    "in a transaction", p->where);
	PQreset(p->conn);
	pg_cache_clear(p);
	pg_pipe_reset(p);
	p->rd_open = 0;
	if (PQstatus(p->conn) != CONNECTION_OK)
		return err_set(err, LSN_EIO, "store: the database at %s is unreachable: %s",
		    p->where, PQerrorMessage(p->conn));
	return pg_session_setup(p, err);
}

void
pg_pipe_reset(struct pg_store *p)
{
	p->piped = 0;
	p->n_pend = 0;
	p->tx_failed = 0;
	err_clear(&p->tx_err);
}

static int
ok_status(ExecStatusType st)
{
	return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

/*
 * Reads every pending result, then the pipeline's end, and leaves
 * pipeline mode. With keep, the last statement's result is returned in
 * *keep (NULL if it failed). The first failure goes into err; a deferred
 * statement's (every one but a kept last) also loses the transaction.
 */
static int
pipe_collect(struct pg_store *p, PGresult **keep, struct err *err)
{
	int k, r = 0, n = p->n_pend;

	if (keep != NULL)
		*keep = NULL;
	if (!PQpipelineSync(p->conn))
		r = pg_res_err(p, NULL, err, "sending statements");
	for (k = 0; k < n; k++) {
		PGresult *first = PQgetResult(p->conn), *more;
		ExecStatusType st = PQresultStatus(first);

		while ((more = PQgetResult(p->conn)) != NULL)
			PQclear(more);
		if (!ok_status(st) && p->pend[k].slot != -2) {
			if (p->pend[k].slot >= 0) {     /* the PREPARE failed: the slot holds nothing */
				free(p->cache[p->pend[k].slot].sql);
				p->cache[p->pend[k].slot].sql = NULL;
			}
			if (r == 0) {
				r = st == PGRES_PIPELINE_ABORTED ?
				    err_set(err, LSN_EIO, "store: %s was not run: an earlier statement "
				    "failed", p->pend[k].what) :
				    pg_res_err(p, first, err, p->pend[k].what);
				if (p->tx && (keep == NULL || k < n - 1)) {
					p->tx_failed = 1;
					p->tx_err = *err;
				}
			}
		}
		if (keep != NULL && k == n - 1 && ok_status(st) && r == 0)
			*keep = first;
		else if (p->pend[k].out != NULL && ok_status(st))
			*p->pend[k].out = first;
		else
			PQclear(first);
	}
	/* the pipeline's end (PGRES_PIPELINE_SYNC), then nothing */
	PQclear(PQgetResult(p->conn));
	p->n_pend = 0;
	if (!PQexitPipelineMode(p->conn) && r == 0)
		r = pg_res_err(p, NULL, err, "ending a pipeline");
	p->piped = 0;
	return r;
}

int
pg_flush(struct pg_store *p, struct err *err)
{
	struct err local = ERR_INIT;

	if (!p->piped)
		return 0;
	return pipe_collect(p, NULL, err ? err : &local);
}

/* Enters the pipeline if need be, with room for `more` statements. */
static int
pipe_room(struct pg_store *p, int more, struct err *err)
{
	int r;

	if (p->n_pend + more > PG_PIPE_MAX && (r = pipe_collect(p, NULL, err)) < 0)
		return r;
	if (!p->piped) {
		if (!PQenterPipelineMode(p->conn))
			return pg_res_err(p, NULL, err, "beginning a pipeline");
		p->piped = 1;
	}
	return 0;
}

/*
 * A read snapshot's transaction: its COMMIT is sent now and its result read
 * with the next statement; its BEGIN goes with the statement after it.
 * Neither waits. A COMMIT that fails ended nothing but a read.
 */
void
pg_read_close(struct pg_store *p)
{
	struct err local = ERR_INIT;

	p->rd_open = 0;
	if (PQstatus(p->conn) != CONNECTION_OK || pipe_room(p, 1, &local) < 0)
		return;
	if (PQsendQueryParams(p->conn, "COMMIT", 0, NULL, NULL, NULL, NULL, 1)) {
		pend_add(p, "ending a read", -2);
		PQflush(p->conn);                   /* the snapshot ends now, not with the next read */
	}
}

int
pg_read_open(struct pg_store *p, struct err *err)
{
	int r;

	if ((r = pg_revive(p, err)) < 0 || (r = pipe_room(p, 2, err)) < 0)
		return r;
	if (!PQsendQueryParams(p->conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL,
	    NULL, NULL, NULL, 1))
		return pg_res_err(p, NULL, err, "beginning a read");
	pend_add(p, "beginning a read", -1);
	return 0;
}

/* Sends one statement into the pipeline (entered if need be). */
static int
pipe_send(struct pg_store *p, const char *sql, int cache, const char *what, struct err *err,
    const struct pg_params *pp, size_t n)
{
	char name[32];
	int r, ok;

	/* room for a DEALLOCATE, a PREPARE and the statement */
	if ((r = pipe_room(p, 3, err)) < 0)
		return r;
	if (cache) {
		if ((r = prepared(p, sql, (int)n, pp->typep, name, sizeof(name), err)) < 0)
			return r;
		ok = PQsendQueryPrepared(p->conn, name, (int)n, pp->vp, pp->lenp, pp->fmtp, 1);
	} else {
		ok = PQsendQueryParams(p->conn, sql, (int)n, pp->typep, pp->vp, pp->lenp, pp->fmtp, 1);
	}
	if (!ok)
		return pg_res_err(p, NULL, err, what);
	pend_add(p, what, -1);
	return 0;
}

/*
 * Runs one statement: alone, or, behind deferred ones, as the last of
 * their pipeline (defer: sent only, its result read later).
 */
static PGresult *
run(struct pg_store *p, const char *sql, int cache, int defer, PGresult **out, const char *what,
    struct err *err, const struct pg_bind *b, size_t n)
{
	struct pg_params pp;
	PGresult *res = NULL;
	char name[32], *copies = NULL;

	if (p->tx && p->tx_failed) {
		*err = p->tx_err;
		return NULL;
	}
	if (pg_revive(p, err) < 0 || params_fill(&pp, b, n, err) < 0)
		return NULL;
	/* outside read_begin/read_end a read sees the newest data: a lingering snapshot ends */
	if (p->rd_open && p->rd_depth == 0)
		pg_read_close(p);
	if (params_terminate(&pp, b, n, &copies, err) < 0)
		goto out;
	if (defer || p->piped) {
		if (pipe_send(p, sql, cache, what, err, &pp, n) < 0) {
			/* a pipeline sent in part: its transaction cannot be trusted */
			if (p->tx && !p->tx_failed) {
				p->tx_failed = 1;
				p->tx_err = *err;
			}
		} else if (defer) {
			p->pend[p->n_pend - 1].out = out;
			res = PQmakeEmptyPGresult(p->conn, PGRES_COMMAND_OK);
			if (res == NULL)
				err_set(err, LSN_ENOMEM, "store: out of memory");
		} else {
			pipe_collect(p, &res, err);
		}
		goto out;
	}
	if (cache) {
		if (prepared(p, sql, (int)n, pp.typep, name, sizeof(name), err) < 0)
			goto out;
		res = PQexecPrepared(p->conn, name, (int)n, pp.vp, pp.lenp, pp.fmtp, 1);
	} else {
		res = PQexecParams(p->conn, sql, (int)n, pp.typep, pp.vp, pp.lenp, pp.fmtp, 1);
	}
	if (!ok_status(PQresultStatus(res))) {
		pg_res_err(p, res, err, what);
		PQclear(res);
		res = NULL;
	}
out:
	free(copies);
	free(pp.heap);
	return res;
}

PGresult *
pg_query(struct pg_store *p, const char *sql, const char *what, struct err *err,
    const struct pg_bind *b, size_t n)
{
	return run(p, sql, 1, 0, NULL, what, err, b, n);
}

PGresult *
pg_query_once(struct pg_store *p, const char *sql, const char *what, struct err *err,
    const struct pg_bind *b, size_t n)
{
	return run(p, sql, 0, 0, NULL, what, err, b, n);
}

int
pg_defer(struct pg_store *p, const char *sql, const char *what, struct err *err,
    const struct pg_bind *b, size_t n)
{
	struct err local = ERR_INIT;
	PGresult *res;

	if (!p->tx)
		return pg_exec1(p, sql, what, err, b, n);
	res = run(p, sql, 1, 1, NULL, what, err ? err : &local, b, n);
	if (res == NULL)
		return pg_errcode(err ? err : &local);
	PQclear(res);
	return 0;
}

int
pg_defer_keep(struct pg_store *p, const char *sql, const char *what, struct err *err,
    PGresult **out, const struct pg_bind *b, size_t n)
{
	PGresult *res;

	*out = NULL;
	if (!p->tx) {
		*out = pg_query(p, sql, what, err, b, n);
		return *out != NULL ? 0 : pg_errcode(err);
	}
	res = run(p, sql, 1, 1, out, what, err, b, n);
	if (res == NULL)
		return pg_errcode(err);
	PQclear(res);
	return 0;
}

int
pg_exec1(struct pg_store *p, const char *sql, const char *what, struct err *err,
    const struct pg_bind *b, size_t n)
{
	struct err local = ERR_INIT;
	PGresult *res = pg_query(p, sql, what, err ? err : &local, b, n);

	if (res == NULL)
		return pg_errcode(err ? err : &local);
	PQclear(res);
	return 0;
}

static int
changed(struct pg_store *p, const char *sql, const char *what, struct err *err,
    const struct pg_bind *b, size_t n, int none)
{
	struct err local = ERR_INIT;
	PGresult *res = pg_query(p, sql, what, err ? err : &local, b, n);
	int r = 0;

	if (res == NULL)
		return pg_errcode(err ? err : &local);
	if (strcmp(PQcmdTuples(res), "0") == 0)
		r = -none;
	PQclear(res);
	return r;
}

int
pg_change1(struct pg_store *p, const char *sql, const char *what, struct err *err,
    const struct pg_bind *b, size_t n)
{
	return changed(p, sql, what, err, b, n, LSN_ENOTFOUND);
}

int
pg_insert1(struct pg_store *p, const char *sql, const char *what, struct err *err,
    const struct pg_bind *b, size_t n)
{
	return changed(p, sql, what, err, b, n, LSN_EEXIST);
}

int
pg_row1(struct pg_store *p, const char *sql, const char *what, struct err *err,
    pg_fill_fn fill, void *arg, const struct pg_bind *b, size_t n)
{
	struct err local = ERR_INIT;
	PGresult *res = pg_query(p, sql, what, err ? err : &local, b, n);
	int r;

	if (res == NULL)
		return pg_errcode(err ? err : &local);
	r = PQntuples(res) > 0 ? fill(arg, res, 0, err) : -LSN_ENOTFOUND;
	PQclear(res);
	return r;
}

int
pg_rows(struct pg_store *p, const char *sql, const char *what, struct err *err,
    pg_fill_fn fill, void *arg, const struct pg_bind *b, size_t n)
{
	struct err local = ERR_INIT;
	PGresult *res = pg_query(p, sql, what, err ? err : &local, b, n);
	int i, rows, r = 0;

	if (res == NULL)
		return pg_errcode(err ? err : &local);
	rows = PQntuples(res);
	for (i = 0; i < rows && r >= 0; i++)
		r = fill(arg, res, i, err);
	PQclear(res);
	return r < 0 ? r : 0;
}

int
pg_fill_int64(void *arg, PGresult *res, int row, struct err *err)
{
	*(int64_t *)arg = pg_i64(res, row, 0);
	return 0;
}

int
pg_collect(struct pg_store *p, const char *sql, const char *what, struct err *err,
    size_t elsize, void (*fill)(PGresult *res, int row, void *el), void **ret, size_t *ret_n,
    const struct pg_bind *b, size_t n)
{
	PGresult *res = pg_query(p, sql, what, err, b, n);
	size_t rows, i;
	char *arr;

	if (res == NULL)
		return pg_errcode(err);
	rows = (size_t)PQntuples(res);
	arr = calloc(rows ? rows : 1, elsize);
	if (arr == NULL) {
		PQclear(res);
		return err_set(err, LSN_ENOMEM, "store: out of memory");
	}
	for (i = 0; i < rows; i++)
		fill(res, (int)i, arr + i * elsize);
	PQclear(res);
	*ret = arr;
	*ret_n = rows;
	return 0;
}

int64_t
pg_i64(const PGresult *res, int row, int col)
{
	const unsigned char *v;
	uint64_t x = 0;
	int len, i;

	if (PQgetisnull(res, row, col))
		return 0;
	v = (const unsigned char *)PQgetvalue(res, row, col);
	len = PQgetlength(res, row, col);
	if (len == 1)
		return v[0];
	for (i = 0; i < len && i < 8; i++)
		x = x << 8 | v[i];
	if (len == 2)
		return (int16_t)x;
	if (len == 4)
		return (int32_t)x;
	return (int64_t)x;
}

const char *
pg_text(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? "" : PQgetvalue(res, row, col);
}

const uint8_t *
pg_bytes(const PGresult *res, int row, int col, size_t *ret_len)
{
	if (PQgetisnull(res, row, col)) {
		*ret_len = 0;
		return NULL;
	}
	*ret_len = (size_t)PQgetlength(res, row, col);
	return (const uint8_t *)PQgetvalue(res, row, col);
}

int
pg_null(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col);
}

void
pg_copy_text(char *dst, size_t cap, const PGresult *res, int row, int col)
{
	snprintf(dst, cap, "%s", pg_text(res, row, col));
}

int
pg_copy_hash(uint8_t dst[32], const PGresult *res, int row, int col)
{
	size_t n;
	const uint8_t *b = pg_bytes(res, row, col, &n);

	if (b == NULL || n != 32) {
		memset(dst, 0, 32);
		return 0;
	}
	memcpy(dst, b, 32);
	return 1;
}

/* The OIDs of the element types and of their array types (pg_type.dat). */
static const struct {
	Oid elem, array;
	int width;                  /* bytes of a fixed-size element; 0: variable */
} arr_types[] = {
	[PG_ELEM_INT8] = { 20, 1016, 8 },
	[PG_ELEM_INT2] = { 21, 1005, 2 },
	[PG_ELEM_TEXT] = { 25, 1009, 0 },
	[PG_ELEM_BYTEA] = { 17, 1001, 0 },
};

static int
arr_be32(struct buf *b, uint32_t v)
{
	uint32_t be = htobe32(v);

	return buf_add(b, &be, 4);
}

int
pg_arr_start(struct pg_arr *a, enum pg_elem elem, size_t n)
{
	int r;

	if (n > INT32_MAX)
		return -LSN_ETOOBIG;
	if (a->b.max == 0)
		buf_init(&a->b, (size_t)INT32_MAX);
	buf_reset(&a->b);
	a->elem = elem;
	a->type = arr_types[elem].array;
	/* dimensions 1, no NULLs, the element type, then the one dimension: length, lower bound 1 */
	if ((r = arr_be32(&a->b, 1)) == 0 && (r = arr_be32(&a->b, 0)) == 0 &&
	    (r = arr_be32(&a->b, arr_types[elem].elem)) == 0 &&
	    (r = arr_be32(&a->b, (uint32_t)n)) == 0)
		r = arr_be32(&a->b, 1);
	if (r == 0 && arr_types[elem].width == 0)
		r = buf_reserve(&a->b, n * 48);
	return r;
}

int
pg_arr_int(struct pg_arr *a, int64_t v)
{
	uint64_t be8 = htobe64((uint64_t)v);
	uint16_t be2 = htobe16((uint16_t)v);
	int r = arr_be32(&a->b, (uint32_t)arr_types[a->elem].width);

	if (r < 0)
		return r;
	return a->elem == PG_ELEM_INT2 ? buf_add(&a->b, &be2, 2) : buf_add(&a->b, &be8, 8);
}

int
pg_arr_bytes(struct pg_arr *a, const void *p, size_t len)
{
	int r;

	if (len > INT32_MAX)
		return -LSN_ETOOBIG;
	if ((r = arr_be32(&a->b, (uint32_t)len)) < 0)
		return r;
	return buf_add(&a->b, p, len);
}

int
pg_arr_text(struct pg_arr *a, const char *s)
{
	return pg_arr_bytes(a, s, strlen(s));
}

void
pg_arr_release(struct pg_arr *a)
{
	buf_release(&a->b);
}

int
pg_fence(struct pg_store *p, struct err *err)
{
	int64_t epoch = 0;
	int r;

	if (p->epoch == 0 || p->fence_checked)
		return 0;
	if (p->epoch < 0)
		return err_set(err, LSN_EDENIED, "store: this daemon is the standby: the node's "
		    "active daemon writes envelopes, the ledger and cases");
	r = pg_row1(p, "SELECT epoch FROM lease WHERE one = 1 FOR SHARE", "checking the lease",
	    err, pg_fill_int64, &epoch, PG_NOBINDS);
	if (r < 0)
		return r;
	if (epoch != p->epoch)
		return err_set(err, LSN_EDENIED, "store: this daemon is no longer active (epoch %lld, "
		    "the lease is at %lld): it writes nothing the active daemon owns",
		    (long long)p->epoch, (long long)epoch);
	p->fence_checked = 1;
	return 0;
}
