/*
 * The daemon's role when several daemons of one node share a database
 * (docs/operations.md): exactly one is active and runs the singletons
 * (outbound sequencing and delivery, the ledger and its checkpoints,
 * witnessing, inbound envelopes, the hotline clock); the others are
 * standby and serve the TAXII API. Runs on the loop thread, on a store
 * connection of its own that holds the lease; fences the writer's
 * connection through a writer job. A store without the high-availability
 * table (SQLite) has one daemon, always active: ha_new gives NULL.
 */
#ifndef LSN_DAEMON_HA_H
#define LSN_DAEMON_HA_H

#include <stdint.h>

struct event_base;
struct writer;
struct err;
struct ha;

/* How long the active may go without a heartbeat before a standby cuts it off. */
#define HA_STALE_MS 5000
/* How often the lease is renewed or tried. */
#define HA_TICK_MS 500

struct ha_config {
	const char *store_spec;
	const char *name;             /* this daemon: host:pid, its sessions' application_name */
	const char *taxii, *peer;     /* its listeners, shown in status */
	struct writer *w;
	/* On the loop: this daemon became active with epoch (its writer is fenced to it). */
	void (*on_active)(void *arg, int64_t epoch);
	/* On the loop: it lost the lease; it must stop running singletons now. */
	void (*on_lost)(void *arg, const char *why);
	void *arg;
};

/* NULL in *ret (and 0) for a store one daemon owns alone. Tries the lease once at once. */
int ha_new(struct event_base *base, const struct ha_config *cfg, struct ha **ret,
    struct err *err);
void ha_free(struct ha *h);
int ha_active(const struct ha *h);
int64_t ha_epoch(const struct ha *h);

#endif
