/*
 * The hotline inside liaisond: takes in the partner's steps (the exchange's
 * case_step hook), escalates overdue cases and reminds of preservation
 * expiries (a tick on the loop thread, writes through the writer), and
 * renders its counters for /metrics. Events are JSON log lines:
 * case_step, case_overdue, preservation_reminder.
 */
#ifndef LSN_HOTLINE_NODE_H
#define LSN_HOTLINE_NODE_H

#include <stddef.h>
#include <stdint.h>

#include "hotline/hotline.h"
#include "util/log.h"

struct store;
struct writer;
struct buf;
struct err;

struct hotline_node_config {
	struct writer *w;             /* borrowed */
	struct hotline_escalation esc;
	log_fn log;   /* may be NULL */
	void *log_arg;
};

struct hotline_stats {
	unsigned long long steps_in, steps_refused, steps_superseded, cases_opened_in;
	unsigned long long escalations[HOTLINE_LEVELS_MAX + 1];   /* by level */
	unsigned long long reminders;
};

struct hotline_node;

int hotline_node_new(const struct hotline_node_config *cfg, struct hotline_node **ret,
    struct err *err);
/* After the writer drained (its jobs hold the node). */
void hotline_node_free(struct hotline_node *hn);
const struct hotline_escalation *hotline_node_escalation(const struct hotline_node *hn);

/* The exchange's hook for case envelopes (exchange_config.on_case_envelope), arg the node. */
int hotline_node_step(void *arg, struct store *s, const struct store_partner *p,
    const struct agr_hotline *terms, int env_kind, uint64_t seq, const uint8_t *body,
    size_t len, int64_t now_us, struct err *err);

/*
 * Loop thread, about once a second: cases whose level rose or whose
 * preservation reminder is due are written (one writer job at a time) and
 * logged once each. rd is the loop's read connection.
 */
void hotline_node_tick(struct hotline_node *hn, struct store *rd, int64_t now_us);
/* 1 while a tick's job is in the writer. */
int hotline_node_busy(const struct hotline_node *hn);

void hotline_node_get_stats(struct hotline_node *hn, struct hotline_stats *ret);
/* Prometheus text: the counters, cases by state, overdue cases, each partner's pledge. */
int hotline_node_metrics(struct hotline_node *hn, struct store *rd, int64_t now_us,
    struct buf *out, struct err *err);

#endif
