/*
 * PostgreSQL backend, high availability: the lease of the active daemon
 * (a session advisory lock and the epoch in the lease row), the fence of a
 * connection, and the daemons' heartbeats. Times are the database's clock,
 * so two machines whose clocks differ still agree on who is stale.
 *
 * A daemon killed outright loses its session, and with it the lock, at
 * once: the standby's next take succeeds. A daemon that is alive but stuck
 * (paused, cut off) keeps its session until the server notices; after
 * stale_ms without a heartbeat the standby ends that daemon's sessions
 * itself (pg_terminate_backend, allowed between sessions of one role).
 * Either way the epoch rises before the new active writes anything, and
 * every singleton transaction of the old one then fails its fence.
 */
#include "store/pg_int.h"
#include "store/store.h"
#include "util/err.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>

/* The advisory lock of the lease: two int4 keys ("lsnd", 1). */
#define LEASE_K1 0x6c736e64
#define LEASE_K2 1
#define DB_NOW_US "(extract(epoch FROM clock_timestamp()) * 1000000)::int8"
/* Rows of daemons not heard from for this long are dropped. */
#define DAEMON_FORGET_US "3600000000"

static int
fill_bool(void *arg, PGresult *res, int row, struct err *err)
{
	*(int *)arg = pg_i64(res, row, 0) != 0;
	return 0;
}

/* Ends the sessions of a daemon named holder, and any that holds the lease's lock. */
static int
cut_off(struct pg_store *p, const char *holder, struct err *err)
{
	char app[96];

	snprintf(app, sizeof(app), "liaison/%s", holder);
	return pg_exec1(p, "SELECT count(pg_terminate_backend(pid)) FROM ("
	    " SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
	    "  AND application_name = $1"
	    " UNION SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
	    "  AND classid::int8 = $2 AND objid::int8 = $3 AND objsubid = 2) t"
	    " WHERE pid <> pg_backend_pid()", "cutting off a stale daemon", err,
	    PG_BINDS(PB_TEXT(app), PB_INT(LEASE_K1), PB_INT(LEASE_K2)));
}

struct holder {
	char name[STORE_ENDPOINT_MAX];
	int64_t age_us;
};

static int
fill_holder(void *arg, PGresult *res, int row, struct err *err)
{
	struct holder *h = arg;

	pg_copy_text(h->name, sizeof(h->name), res, row, 0);
	h->age_us = pg_i64(res, row, 1);
	return 0;
}

/* The lock is this session's: the epoch rises, this daemon holds the lease. */
static int
raise_epoch(struct pg_store *p, const char *name, int64_t *ret_epoch, struct err *err)
{
	int r = pg_exec1(p, "BEGIN", "beginning the takeover", err, PG_NOBINDS);

	/* an old active's transaction may hold the row: wait a little, no longer */
	if (r == 0)
		r = pg_exec1(p, "SET LOCAL lock_timeout = '2s'", "beginning the takeover", err,
		    PG_NOBINDS);
	if (r == 0)
		r = pg_row1(p, "UPDATE lease SET epoch = epoch + 1, holder = $1, heartbeat_us = "
		    DB_NOW_US " WHERE one = 1 RETURNING epoch", "taking the lease", err,
		    pg_fill_int64, ret_epoch, PG_BINDS(PB_TEXT(name)));
	if (r == 0)
		return pg_exec1(p, "COMMIT", "committing the takeover", err, PG_NOBINDS);
	pg_exec1(p, "ROLLBACK", "rolling back the takeover", NULL, PG_NOBINDS);
	return r;
}

static int
pg_lease_take(struct store *base, const char *name, int stale_ms, int64_t *ret_epoch,
    struct err *err)
{
	struct pg_store *p = ps(base);
	struct holder h = { "", 0 };
	int got = 0, r;

	r = pg_row1(p, "SELECT pg_try_advisory_lock($1::int4, $2::int4)", "trying the lease",
	    err, fill_bool, &got, PG_BINDS(PB_INT(LEASE_K1), PB_INT(LEASE_K2)));
	if (r < 0)
		return r;
	if (got) {
		if ((r = raise_epoch(p, name, ret_epoch, err)) == 0)
			return 1;
		pg_exec1(p, "SELECT pg_advisory_unlock($1::int4, $2::int4)", "leaving the lease",
		    NULL, PG_BINDS(PB_INT(LEASE_K1), PB_INT(LEASE_K2)));
		if (r != -LSN_EBUSY)
			return r;
	}
	/* held, or its row is held: by a daemon that is gone quiet? */
	if ((r = pg_row1(p, "SELECT holder, " DB_NOW_US " - heartbeat_us FROM lease WHERE one = 1",
	    "reading the lease", err, fill_holder, &h, PG_NOBINDS)) < 0)
		return r;
	if (h.age_us > (int64_t)stale_ms * 1000 && h.name[0] != '\0' && strcmp(h.name, name) != 0 &&
	    (r = cut_off(p, h.name, err)) < 0)
		return r;
	return 0;
}

static int
pg_lease_renew(struct store *base, int64_t epoch, struct err *err)
{
	struct pg_store *p = ps(base);
	int64_t e = 0;
	/* a connection made again (revive) lost the lock: it takes it back if nobody did */
	int r = pg_row1(p, "UPDATE lease SET heartbeat_us = " DB_NOW_US " WHERE one = 1 AND "
	    "epoch = $1 AND (EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
	    " AND pid = pg_backend_pid() AND classid::int8 = $2 AND objid::int8 = $3 AND"
	    " objsubid = 2) OR pg_try_advisory_lock($2::int4, $3::int4)) RETURNING epoch",
	    "renewing the lease", err, pg_fill_int64, &e,
	    PG_BINDS(PB_INT(epoch), PB_INT(LEASE_K1), PB_INT(LEASE_K2)));

	if (r == -LSN_ENOTFOUND)
		return err_set(err, LSN_EDENIED, "store: the lease of epoch %lld is lost: another "
		    "daemon of this node is active", (long long)epoch);
	return r;
}

static int
pg_fence_set(struct store *base, int64_t epoch, struct err *err)
{
	struct pg_store *p = ps(base);

	p->epoch = epoch;
	p->fence_checked = 0;
	return 0;
}

static int
pg_daemon_beat(struct store *base, const struct store_daemon *d, struct err *err)
{
	return pg_exec1(ps(base), "WITH gone AS (DELETE FROM daemons WHERE name <> $1 AND "
	    "heartbeat_us < " DB_NOW_US " - " DAEMON_FORGET_US ") "
	    "INSERT INTO daemons(name, role, epoch, heartbeat_us, taxii, peer) "
	    "VALUES ($1, $2, $3, " DB_NOW_US ", $4, $5) ON CONFLICT (name) DO UPDATE SET "
	    "role = excluded.role, epoch = excluded.epoch, heartbeat_us = excluded.heartbeat_us, "
	    "taxii = excluded.taxii, peer = excluded.peer", "recording a heartbeat", err,
	    PG_BINDS(PB_TEXT(d->name), PB_TEXT(d->role), PB_INT(d->epoch), PB_TEXT(d->taxii),
	    PB_TEXT(d->peer)));
}

struct daemon_scan {
	store_daemon_fn fn;
	void *arg;
};

static int
fill_daemon(void *arg, PGresult *res, int row, struct err *err)
{
	struct daemon_scan *sc = arg;
	struct store_daemon d;

	pg_copy_text(d.name, sizeof(d.name), res, row, 0);
	pg_copy_text(d.role, sizeof(d.role), res, row, 1);
	d.epoch = pg_i64(res, row, 2);
	d.heartbeat_us = pg_i64(res, row, 3);
	d.age_us = pg_i64(res, row, 4);
	pg_copy_text(d.taxii, sizeof(d.taxii), res, row, 5);
	pg_copy_text(d.peer, sizeof(d.peer), res, row, 6);
	return sc->fn(sc->arg, &d);
}

static int
pg_daemon_list(struct store *base, store_daemon_fn fn, void *arg, struct err *err)
{
	struct daemon_scan sc = { fn, arg };

	return pg_rows(ps(base), "SELECT name, role, epoch, heartbeat_us, " DB_NOW_US
	    " - heartbeat_us, taxii, peer FROM daemons ORDER BY heartbeat_us DESC, name",
	    "listing the daemons", err, fill_daemon, &sc, PG_NOBINDS);
}

const struct store_ha_ops pg_ha_ops = {
	.version = STORE_HA_VERSION,
	.lease_take = pg_lease_take,
	.lease_renew = pg_lease_renew,
	.fence = pg_fence_set,
	.daemon_beat = pg_daemon_beat,
	.daemon_list = pg_daemon_list,
};
