/*
 * PostgreSQL backend of the store, the hub: the connection (one per
 * thread, as with SQLite), transactions, read snapshots, meta and the
 * backend's tables. A commit returns once the server says it is durable:
 * synchronous_commit as the server sets it (on, by default, and with
 * synchronous_standby_names, on the synchronous replica too). The domains
 * live in pg_*.c beneath it (pg_int.h); none of them calls back here.
 */
#include "store/pg_int.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"

#include <assert.h>
#include <libpq-fe.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Write transactions committed by any connection of this process. */
static atomic_ulong pg_commits;

static void pg_close(struct store *base);

/*
 * Connects: a lost server is noticed within seconds (TCP keepalives and a
 * user timeout), and a multi-host URL with target_session_attrs=read-write
 * finds the primary. The URL's own settings win over these defaults.
 */
static PGconn *
connect_url(const char *url)
{
	const char *const keys[] = { "connect_timeout", "application_name", "keepalives_idle",
		"keepalives_interval", "keepalives_count", "tcp_user_timeout", "dbname", NULL };
	/* a daemon names its sessions (PGAPPNAME): a standby can end a stuck one's */
	const char *app = getenv("PGAPPNAME") ? getenv("PGAPPNAME") : "liaison";
	const char *const vals[] = { "5", app, "5", "2", "2", "10000", url, NULL };

	return PQconnectdbParams(keys, vals, 1);
}

/* The server's notices (a ROLLBACK after a reconnect, say) are not the daemon's log. */
static void
quiet_notice(void *arg, const char *message)
{
}

/* Without create, the database must already hold a store. */
static int
has_store(struct pg_store *p, struct err *err)
{
	PGresult *res = PQexec(p->conn, "SELECT to_regclass('meta') IS NOT NULL");
	int ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
	    PQgetvalue(res, 0, 0)[0] == 't';

	PQclear(res);
	if (!ok)
		return err_set(err, LSN_ENOTFOUND, "store: the database at %s holds no liaison store "
		    "(make one with `liaison init --store URL`)", p->where);
	return 0;
}

static int
pg_open(const char *url, int create, struct store **ret, struct err *err)
{
	struct pg_store *p = calloc(1, sizeof(*p));
	int r;

	if (p == NULL)
		return err_set(err, LSN_ENOMEM, "store: out of memory");
	p->base.be = &store_postgres_backend;
	buf_init(&p->env, PG_ENV_BUF_MAX);
	buf_init(&p->note, 1024 * 1024);
	pg_describe(url, p->where, sizeof(p->where));
	if (strlen(url) >= sizeof(p->conninfo)) {
		pg_close(&p->base);
		return err_set(err, LSN_EINVAL, "store: the connection string is too long");
	}
	strcpy(p->conninfo, url);
	p->conn = connect_url(url);
	if (p->conn == NULL || PQstatus(p->conn) != CONNECTION_OK) {
		r = err_set(err, LSN_EIO, "store: cannot connect to the database at %s: %s", p->where,
		    p->conn ? PQerrorMessage(p->conn) : "out of memory");
		pg_close(&p->base);
		return r;
	}
	PQsetNoticeProcessor(p->conn, quiet_notice, NULL);
	if ((r = pg_session_setup(p, err)) < 0 || (!create && (r = has_store(p, err)) < 0) ||
	    (r = pg_schema_migrate(p, err)) < 0) {
		pg_close(&p->base);
		return r;
	}
	*ret = &p->base;
	return 0;
}

static void
pg_close(struct store *base)
{
	struct pg_store *p = ps(base);

	if (p == NULL)
		return;
	if (p->conn != NULL)
		PQfinish(p->conn);
	pg_cache_clear(p);
	buf_release(&p->env);
	buf_release(&p->note);
	explicit_bzero(p->conninfo, sizeof(p->conninfo));
	free(p);
}

/* One statement without parameters or rows; 0 or pg_res_err. */
static int
simple(struct pg_store *p, const char *sql, const char *what, struct err *err)
{
	struct err local = ERR_INIT;
	PGresult *res = pg_query(p, sql, what, err ? err : &local, PG_NOBINDS);

	if (res == NULL)
		return pg_errcode(err ? err : &local);
	PQclear(res);
	return 0;
}

/*
 * BEGIN, SAVEPOINT and RELEASE are deferred (pg_defer): they reach the
 * server with the transaction's next statement that waits, so a job of
 * the writer costs no round trip of its own for them.
 */
static int
pg_begin(struct store *base, struct err *err)
{
	struct pg_store *p = ps(base);
	int r;

	assert(!p->tx);
	if (p->rd_open && p->rd_depth == 0)         /* a lingering snapshot: end it first */
		pg_read_close(p);
	p->tx_failed = 0;
	err_clear(&p->tx_err);
	if ((r = pg_revive(p, err)) < 0)
		return r;
	p->tx = 1;
	p->fence_checked = 0;
	if ((r = pg_defer(p, "BEGIN", "beginning a transaction", err, PG_NOBINDS)) < 0) {
		p->tx = 0;
		return r;
	}
	return 0;
}

/* Ends a failed transaction on the server, whatever the pipeline holds. */
static void
abandon(struct pg_store *p)
{
	pg_flush(p, NULL);
	pg_pipe_reset(p);
	p->tx = 0;
	p->sp_depth = 0;
	p->sp_outer = 0;
	p->fence_checked = 0;
	if (PQstatus(p->conn) == CONNECTION_OK && PQtransactionStatus(p->conn) != PQTRANS_IDLE)
		simple(p, "ROLLBACK", "rolling back", NULL);
}

static int
pg_commit(struct store *base, struct err *err)
{
	struct pg_store *p = ps(base);
	PGresult *res;
	int r = 0;

	if (p->tx_failed) {
		if (err != NULL)
			*err = p->tx_err;
		r = -p->tx_err.code;
		abandon(p);
		return r < 0 ? r : -LSN_EIO;
	}
	res = pg_query(p, "COMMIT", "committing", err, PG_NOBINDS);
	if (res == NULL) {
		r = pg_errcode(err);
		abandon(p);
		return r;
	}
	p->tx = 0;
	p->sp_depth = 0;
	p->fence_checked = 0;
	/* A transaction that failed answers COMMIT with ROLLBACK: nothing was written. */
	if (strcmp(PQcmdStatus(res), "COMMIT") != 0)
		r = err_set(err, LSN_EIO, "store: the transaction was rolled back by the database "
		    "at %s", p->where);
	PQclear(res);
	if (r == 0)
		atomic_fetch_add_explicit(&pg_commits, 1, memory_order_release);
	return r;
}

static int
pg_rollback(struct store *base)
{
	struct pg_store *p = ps(base);

	if (!p->tx) {
		p->sp_depth = 0;
		p->fence_checked = 0;
		return 0;
	}
	abandon(p);
	return 0;
}

/* A savepoint outside a transaction opens one, which its release then commits. */
static int
pg_savepoint(struct store *base, struct err *err)
{
	struct pg_store *p = ps(base);
	int r;

	if (!p->tx) {
		if ((r = pg_begin(base, err)) < 0)
			return r;
		p->sp_outer = 1;
	}
	if ((r = pg_defer(p, "SAVEPOINT job", "opening a savepoint", err, PG_NOBINDS)) < 0)
		return r;
	p->sp_depth++;
	return 0;
}

/*
 * A job's end: kept, its savepoint is released (deferred); not kept, the
 * job is rolled back to it first. After a deferred statement failed, no
 * job of the transaction can be kept: the error comes back.
 */
static int
pg_release(struct store *base, int keep, struct err *err)
{
	struct pg_store *p = ps(base);
	int r;

	if (p->tx_failed) {
		if (err != NULL)
			*err = p->tx_err;
		return p->tx_err.code > 0 ? -p->tx_err.code : -LSN_EIO;
	}
	if (!keep && (r = simple(p, "ROLLBACK TO SAVEPOINT job", "rolling back a job", err)) < 0)
		return r;
	if ((r = pg_defer(p, "RELEASE SAVEPOINT job", "releasing a savepoint", err,
	    PG_NOBINDS)) < 0)
		return r;
	if (--p->sp_depth == 0 && p->sp_outer) {
		p->sp_outer = 0;
		return pg_commit(base, err);
	}
	return 0;
}

/*
 * Read snapshots, as the SQLite backend keeps them (store.h): one
 * REPEATABLE READ transaction for several reads, kept across a turn of the
 * loop with read_linger, and left for a new one once this process
 * committed. A snapshot costs one round trip: the last one's COMMIT went
 * out when it ended, and its BEGIN goes with the query of its data version.
 */
static void
linger_end(struct pg_store *p)
{
	pg_read_close(p);
}

static int
snapshot_begin(struct pg_store *p, struct err *err)
{
	int r;

	if ((r = pg_read_open(p, err)) < 0 ||
	    (r = pg_row1(p, "SELECT pg_snapshot_xmax(pg_current_snapshot())::text::int8",
	    "beginning a read", err, pg_fill_int64, &p->rd_version, PG_NOBINDS)) < 0) {
		pg_flush(p, NULL);
		if (PQstatus(p->conn) == CONNECTION_OK &&
		    PQtransactionStatus(p->conn) != PQTRANS_IDLE)
			simple(p, "ROLLBACK", "ending a read", NULL);
		return r == -LSN_ENOTFOUND ? err_set(err, LSN_EIO, "store: no data version came "
		    "back from the database at %s", p->where) : r;
	}
	return 0;
}

static int
pg_read_begin(struct store *base, struct err *err)
{
	struct pg_store *p = ps(base);
	unsigned long gen = atomic_load_explicit(&pg_commits, memory_order_acquire);
	int r;

	if (p->tx && !p->rd_open) {           /* inside a write: its own view */
		p->rd_in_tx++;
		return 0;
	}
	if (p->rd_open) {
		if (p->rd_depth > 0 || gen == p->rd_gen) {
			p->rd_depth++;
			return 0;
		}
		linger_end(p);
	}
	if ((r = snapshot_begin(p, err)) < 0)
		return r;
	p->rd_open = 1;
	p->rd_depth = 1;
	p->rd_gen = gen;
	return 0;
}

static int
pg_read_end(struct store *base)
{
	struct pg_store *p = ps(base);

	if (p->rd_in_tx > 0) {
		p->rd_in_tx--;
		return 0;
	}
	if (p->rd_open && p->rd_depth > 1) {
		p->rd_depth--;
		return 0;
	}
	p->rd_depth = 0;
	if (!p->rd_open || p->linger)
		return 0;
	linger_end(p);
	return 0;
}

static void
pg_read_linger(struct store *base, int on)
{
	struct pg_store *p = ps(base);

	p->linger = on;
	if (!on && p->rd_open && p->rd_depth == 0)
		linger_end(p);
}

static void
pg_read_release(struct store *base)
{
	struct pg_store *p = ps(base);

	if (p->rd_open && p->rd_depth == 0)
		linger_end(p);
}

static int
fill_meta(void *arg, PGresult *res, int row, struct err *err)
{
	struct buf *out = arg;
	const char *v = pg_text(res, row, 0);

	if (strlen(v) >= out->cap)
		return err_set(err, LSN_ETOOBIG, "store: a meta value is too long");
	strcpy(out->data, v);
	return 0;
}

static int
pg_meta_get(struct store *base, const char *key, char *out, size_t outcap, struct err *err)
{
	struct buf o = { out, 0, outcap, outcap };
	int r = pg_row1(ps(base), "SELECT value FROM meta WHERE key = $1", "reading meta", err,
	    fill_meta, &o, PG_BINDS(PB_TEXT(key)));

	if (r == -LSN_ENOTFOUND)
		return err_set(err, LSN_ENOTFOUND, "store: no meta value %s", key);
	return r;
}

static int
pg_meta_set(struct store *base, const char *key, const char *value, struct err *err)
{
	return pg_exec1(ps(base), "INSERT INTO meta(key, value) VALUES ($1, $2) "
	    "ON CONFLICT (key) DO UPDATE SET value = excluded.value", "writing meta", err,
	    PG_BINDS(PB_TEXT(key), PB_TEXT(value)));
}

/*
 * The first transaction id not yet given out: it moves whenever any
 * transaction of the server wrote, so it changes at least as often as
 * another connection committed (more often is only a cache refilled).
 * Inside a read, the snapshot's own, read with its BEGIN.
 */
static int
pg_data_version(struct store *base, int64_t *ret, struct err *err)
{
	struct pg_store *p = ps(base);

	if (p->rd_open) {
		*ret = p->rd_version;
		return 0;
	}
	return pg_row1(p, "SELECT pg_snapshot_xmax(pg_current_snapshot())::text::int8",
	    "reading the data version", err, pg_fill_int64, ret, PG_NOBINDS);
}

/* The server checkpoints its own log: nothing to do on this side. */
static int
pg_autocheckpoint(struct store *base, int pages, struct err *err)
{
	return 0;
}

static int
pg_checkpoint(struct store *base, struct err *err)
{
	return 0;
}

const struct store_backend store_postgres_backend = {
	.version = STORE_BACKEND_VERSION,
	.name = "postgres",
	.open = pg_open,
	.close = pg_close,
	.begin = pg_begin,
	.read_begin = pg_read_begin,
	.read_end = pg_read_end,
	.read_linger = pg_read_linger,
	.read_release = pg_read_release,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.savepoint = pg_savepoint,
	.release = pg_release,
	.meta_get = pg_meta_get,
	.meta_set = pg_meta_set,
	.data_version = pg_data_version,
	.autocheckpoint = pg_autocheckpoint,
	.checkpoint = pg_checkpoint,
	.objects = &pg_objects_ops,
	.exchange = &pg_exchange_ops,
	.ledger = &pg_ledger_ops,
	.hotline = &pg_hotline_ops,
	.ha = &pg_ha_ops,
};
