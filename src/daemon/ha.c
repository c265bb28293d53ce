/*
 * Active and standby (ha.h). A standby tries the lease every HA_TICK_MS;
 * when it gets it, the epoch has risen and the writer's connection is
 * fenced to the new epoch (a writer job, so it takes effect before any
 * singleton write queued after it) before the daemon starts its
 * singletons. The active renews the lease every tick; if the lease is
 * gone (another daemon took it) or the database stays unreachable for
 * HA_STALE_MS (a standby may have taken it), it stops them at once.
 */
#include "daemon/ha.h"
#include "store/store.h"
#include "store/writer.h"
#include "util/err.h"
#include "util/ts.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum ha_state { HA_STANDBY, HA_FENCING, HA_ACTIVE, HA_LOST };

struct ha {
	struct ha_config cfg;
	struct store *s;              /* the lease's connection */
	struct event *timer, *fenced;
	struct writer_job job;
	int64_t epoch, fence_to;
	int64_t last_ok_us;           /* the last renewal that reached the database */
	enum ha_state state;
};

static int
fence_run(struct store *s, struct writer_job *job)
{
	struct ha *h = (struct ha *)(void *)((char *)job - offsetof(struct ha, job));

	return store_fence(s, h->fence_to, &job->err);
}

/* On the writer thread: back to the loop. */
static void
fence_done(struct writer_job *job, int rc)
{
	struct ha *h = (struct ha *)(void *)((char *)job - offsetof(struct ha, job));

	job->rc = rc;
	event_active(h->fenced, 0, 0);
}

static void
fence_submit(struct ha *h, int64_t epoch)
{
	memset(&h->job, 0, sizeof(h->job));
	err_clear(&h->job.err);
	h->job.run = fence_run;
	h->job.done = fence_done;
	h->job.weight = 1;
	h->fence_to = epoch;
	writer_submit(h->cfg.w, &h->job);
}

static void
lose(struct ha *h, const char *why)
{
	if (h->state == HA_LOST)
		return;
	h->state = HA_LOST;
	event_del(h->timer);
	h->cfg.on_lost(h->cfg.arg, why);
}

static void
on_fenced(evutil_socket_t fd, short what, void *arg)
{
	struct ha *h = arg;

	if (h->state != HA_FENCING)
		return;
	if (h->job.rc < 0) {
		lose(h, h->job.err.msg);
		return;
	}
	if (h->fence_to < 0) {
		h->state = HA_STANDBY;
		return;
	}
	h->epoch = h->fence_to;
	h->state = HA_ACTIVE;
	h->last_ok_us = clock_now_us();
	h->cfg.on_active(h->cfg.arg, h->epoch);
}

static void
beat(struct ha *h)
{
	struct store_daemon d;

	memset(&d, 0, sizeof(d));
	snprintf(d.name, sizeof(d.name), "%s", h->cfg.name);
	snprintf(d.role, sizeof(d.role), "%s", h->state == HA_ACTIVE ? "active" : "standby");
	d.epoch = h->epoch;
	snprintf(d.taxii, sizeof(d.taxii), "%s", h->cfg.taxii);
	snprintf(d.peer, sizeof(d.peer), "%s", h->cfg.peer);
	store_daemon_beat(h->s, &d, NULL);
}

static void
tick_active(struct ha *h)
{
	struct err err = ERR_INIT;
	int64_t now = clock_now_us();
	int r = store_lease_renew(h->s, h->epoch, &err);

	if (r == 0) {
		h->last_ok_us = now;
		return;
	}
	if (r == -LSN_EDENIED)
		lose(h, err.msg);
	else if (now - h->last_ok_us > (int64_t)HA_STALE_MS * 1000)
		lose(h, "the database was unreachable for longer than the lease lasts");
}

static void
tick_standby(struct ha *h)
{
	int64_t epoch = 0;

	if (store_lease_take(h->s, h->cfg.name, HA_STALE_MS, &epoch, NULL) == 1) {
		h->state = HA_FENCING;
		fence_submit(h, epoch);
	}
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct ha *h = arg;

	if (h->state == HA_ACTIVE)
		tick_active(h);
	else if (h->state == HA_STANDBY)
		tick_standby(h);
	if (h->state != HA_LOST && h->state != HA_FENCING)
		beat(h);
}

int
ha_new(struct event_base *base, const struct ha_config *cfg, struct ha **ret, struct err *err)
{
	struct timeval tv = { HA_TICK_MS / 1000, (HA_TICK_MS % 1000) * 1000 };
	struct ha *h;
	int r;

	*ret = NULL;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return err_set(err, LSN_ENOMEM, "out of memory");
	h->cfg = *cfg;
	if ((r = store_open(cfg->store_spec, 0, &h->s, err)) < 0) {
		free(h);
		return r;
	}
	if (!store_has_ha(h->s)) {
		ha_free(h);
		return 0;
	}
	h->timer = event_new(base, -1, EV_PERSIST, on_tick, h);
	h->fenced = event_new(base, -1, 0, on_fenced, h);
	if (h->timer == NULL || h->fenced == NULL) {
		ha_free(h);
		return err_set(err, LSN_ENOMEM, "out of memory");
	}
	/* a standby until the lease is this daemon's: its writer refuses singletons */
	h->state = HA_FENCING;
	fence_submit(h, -1);
	event_add(h->timer, &tv);
	*ret = h;
	return 0;
}

void
ha_free(struct ha *h)
{
	if (h == NULL)
		return;
	if (h->timer)
		event_free(h->timer);
	if (h->fenced)
		event_free(h->fenced);
	store_close(h->s);   /* its session ends: the lock goes with it */
	free(h);
}

int
ha_active(const struct ha *h)
{
	return h == NULL || h->state == HA_ACTIVE;
}

int64_t
ha_epoch(const struct ha *h)
{
	return h ? h->epoch : 0;
}
