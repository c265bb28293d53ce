/* The hotline inside liaisond (node.h). */
#include "hotline/node.h"

#include "store/writer.h"
#include "util/log.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/ts.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DUE_MAX 256                   /* cases escalated by one tick */

struct due {
	char id[STIX_ID_MAX + 1];
	int from;                     /* the level already logged */
	int level;                    /* the level reached (0: no new level) */
	int remind;
};

struct tick_job {
	struct writer_job job;
	struct hotline_node *hn;
	int64_t now;
	struct due due[DUE_MAX];      /* run reads only their ids */
	size_t n;
	/* filled by run, logged by done */
	struct store_case done_case[DUE_MAX];
	struct due done_due[DUE_MAX];
	char partner[DUE_MAX][STORE_NAME_MAX + 1];
	size_t n_done;
};

struct hotline_node {
	struct hotline_node_config cfg;
	pthread_mutex_t mu;
	struct hotline_stats st;
	atomic_int busy;
	struct tick_job *job;         /* reused: one tick in the writer at a time */
};

static void __attribute__((format(printf, 3, 4)))
node_log(struct hotline_node *hn, const char *event, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emitv(hn->cfg.log, hn->cfg.log_arg, event, fmt, ap);
	va_end(ap);
}

static void
count(struct hotline_node *hn, unsigned long long *field)
{
	pthread_mutex_lock(&hn->mu);
	(*field)++;
	pthread_mutex_unlock(&hn->mu);
}

int
hotline_node_new(const struct hotline_node_config *cfg, struct hotline_node **ret,
    struct err *err)
{
	struct hotline_node *hn = calloc(1, sizeof(*hn));

	if (hn == NULL || (hn->job = calloc(1, sizeof(*hn->job))) == NULL) {
		free(hn);
		return err_set(err, LSN_ENOMEM, "hotline: out of memory");
	}
	hn->cfg = *cfg;
	pthread_mutex_init(&hn->mu, NULL);
	*ret = hn;
	return 0;
}

void
hotline_node_free(struct hotline_node *hn)
{
	if (hn == NULL)
		return;
	pthread_mutex_destroy(&hn->mu);
	free(hn->job);
	free(hn);
}

const struct hotline_escalation *
hotline_node_escalation(const struct hotline_node *hn)
{
	return &hn->cfg.esc;
}

int
hotline_node_busy(const struct hotline_node *hn)
{
	return atomic_load(&hn->busy);
}

int
hotline_node_step(void *arg, struct store *s, const struct store_partner *p,
    const struct agr_hotline *terms, int env_kind, uint64_t seq, const uint8_t *body,
    size_t len, int64_t now_us, struct err *err)
{
	static const char *const status[] = { "effective", "superseded", "refused" };
	struct hotline_node *hn = arg;
	struct hotline_received rc;
	int r;

	r = hotline_receive(s, p, env_kind, seq, body, len, terms, now_us, &rc, err);
	if (r < 0)
		return r;
	count(hn, r == 1 ? &hn->st.steps_refused : &hn->st.steps_in);
	if (r == 1)
		return 1;   /* the exchange logs the refusal with its reason */
	if (rc.status == STEP_SUPERSEDED)
		count(hn, &hn->st.steps_superseded);
	if (rc.opened)
		count(hn, &hn->st.cases_opened_in);
	if (rc.terms_differ)
		node_log(hn, "case_terms_differ", "\"case\":\"%s\",\"partner\":\"%s\","
		    "\"message\":\"the opening's deadlines are not what this node's agreement with "
		    "%s gives; the opener's signed deadlines hold (compare the agreements)\"",
		    rc.case_id, p->name, p->name);
	node_log(hn, "case_step", "\"case\":\"%s\",\"partner\":\"%s\",\"step\":\"%s\","
	    "\"state\":\"%s\",\"status\":\"%s\"", rc.case_id, p->name, case_step_name(rc.step),
	    case_state_name((enum case_state)rc.state), status[rc.status]);
	return 0;
}

/* ---- escalation ---- */

/* Decides from the row as it is now: a step may have changed it since the tick read it. */
static int
tick_run(struct store *s, struct writer_job *job)
{
	struct tick_job *tj = (struct tick_job *)job;
	const struct hotline_escalation *e = &tj->hn->cfg.esc;
	struct store_partner p;
	struct store_case c;
	struct due logged;
	size_t i;
	int r, level;
	int64_t next;

	tj->n_done = 0;
	for (i = 0; i < tj->n; i++) {
		if ((r = store_case_get(s, tj->due[i].id, &c, &job->err)) == -LSN_ENOTFOUND)
			continue;
		if (r < 0)
			return r;
		memset(&logged, 0, sizeof(logged));
		level = hotline_level(&c, e, tj->now);
		/* only ever up: each level is logged once, even across restarts */
		if (level > c.level) {
			logged.from = c.level;
			logged.level = level;
			c.level = level;
		}
		if (c.role == CASE_OPENER && c.remind_at != 0 && tj->now >= c.remind_at &&
		    !c.reminded) {
			c.reminded = 1;
			logged.remind = 1;
		}
		/* never again before now: a boundary already passed was counted above */
		next = hotline_next_check(&c, e);
		if (next != 0 && next <= tj->now)
			next = tj->now + 1;
		if (logged.level == 0 && !logged.remind && next == c.next_check_us)
			continue;
		c.next_check_us = next;
		if ((r = store_case_put(s, &c, &job->err)) < 0)
			return r;
		if (!logged.level && !logged.remind)
			continue;
		if (store_partner_get(s, c.partner, &p, &job->err) < 0)
			snprintf(p.name, sizeof(p.name), "?");
		snprintf(tj->partner[tj->n_done], sizeof(tj->partner[0]), "%s", p.name);
		tj->done_case[tj->n_done] = c;
		tj->done_due[tj->n_done++] = logged;
	}
	return 0;
}

static void
tick_done(struct writer_job *job, int rc)
{
	struct tick_job *tj = (struct tick_job *)job;
	struct hotline_node *hn = tj->hn;
	char t1[TS_US_LEN], t2[TS_US_LEN];
	size_t i;
	int k;

	for (i = 0; rc == 0 && i < tj->n_done; i++) {
		const struct store_case *c = &tj->done_case[i];
		const struct due *d = &tj->done_due[i];
		struct buf sum = BUF_INIT(2048);
		buf_add_json_str(&sum, c->summary, strlen(c->summary));
		/* a level passed between two ticks is still called, in order */
		for (k = d->from + 1; d->level > 0 && k <= d->level; k++) {
			int clock_ack = case_waits_ack((enum case_state)c->state) && c->ack_by != 0 &&
			    (c->respond_by == 0 || c->ack_by <= c->respond_by);
			ts_format_us(clock_ack ? c->ack_by : c->respond_by, t1);
			count(hn, &hn->st.escalations[k]);
			node_log(hn, "case_overdue", "\"case\":\"%s\",\"partner\":\"%s\","
			    "\"kind\":\"%s\",\"state\":\"%s\",\"opened_by\":\"%s\",\"level\":%d,"
			    "\"escalate_to\":\"%s\",\"clock\":\"%s\",\"deadline\":\"%s\",\"summary\":%s",
			    c->id, tj->partner[i], case_kind_name((enum case_kind)c->kind),
			    case_state_name((enum case_state)c->state),
			    c->role == CASE_OPENER ? "this node" : "partner", k,
			    hn->cfg.esc.to[k - 1], clock_ack ? "ack_by" : "respond_by", t1,
			    sum.data ? sum.data : "\"\"");
		}
		if (d->remind) {
			ts_format_us(c->preserve_until, t2);
			count(hn, &hn->st.reminders);
			node_log(hn, "preservation_reminder", "\"case\":\"%s\",\"partner\":\"%s\","
			    "\"preserve_until\":\"%s\",\"summary\":%s", c->id, tj->partner[i], t2,
			    sum.data ? sum.data : "\"\"");
		}
		buf_release(&sum);
	}
	if (rc != 0)
		node_log(hn, "hotline_error", "\"message\":\"escalations could not be stored; "
		    "they are tried again\"");
	atomic_store(&hn->busy, 0);
}

struct scan_due {
	struct hotline_node *hn;
	struct tick_job *tj;
	int64_t now;
};

static int
scan_due(void *arg, const struct store_case *c)
{
	struct scan_due *sd = arg;

	if (sd->tj->n == DUE_MAX)
		return -LSN_ETOOBIG;   /* the rest next tick */
	snprintf(sd->tj->due[sd->tj->n++].id, sizeof(sd->tj->due[0].id), "%s", c->id);
	return 0;
}

void
hotline_node_tick(struct hotline_node *hn, struct store *rd, int64_t now_us)
{
	struct err err = ERR_INIT;
	struct scan_due sd = { hn, hn->job, now_us };
	int r;

	if (atomic_load(&hn->busy))
		return;
	hn->job->n = 0;
	hn->job->now = now_us;
	/* only cases whose next check is due: an index range, not a scan */
	r = store_case_due(rd, now_us, DUE_MAX, scan_due, &sd, &err);
	if ((r < 0 && r != -LSN_ETOOBIG) || hn->job->n == 0)
		return;
	memset(&hn->job->job, 0, sizeof(hn->job->job));
	hn->job->hn = hn;
	hn->job->job.run = tick_run;
	hn->job->job.done = tick_done;
	hn->job->job.weight = hn->job->n;
	atomic_store(&hn->busy, 1);
	writer_submit(hn->cfg.w, &hn->job->job);
}

void
hotline_node_get_stats(struct hotline_node *hn, struct hotline_stats *ret)
{
	pthread_mutex_lock(&hn->mu);
	*ret = hn->st;
	pthread_mutex_unlock(&hn->mu);
}

/* ---- metrics ---- */

int
hotline_node_metrics(struct hotline_node *hn, struct store *rd, int64_t now_us, struct buf *out,
    struct err *err)
{
	struct store_case_counts cc;
	struct hotline_stats st;
	struct store_partner *ps = NULL;
	struct hotline_pledge pl;
	size_t n = 0, i;
	int r, k;

	/* counts from indexes only: a scrape costs the same at ten cases and at a million */
	if ((r = store_case_count(rd, now_us, &cc, err)) < 0)
		return r;
	hotline_node_get_stats(hn, &st);
	buf_printf(out, "# TYPE liaison_hotline_steps_received_total counter\n"
	    "liaison_hotline_steps_received_total %llu\n"
	    "# TYPE liaison_hotline_steps_refused_total counter\n"
	    "liaison_hotline_steps_refused_total %llu\n"
	    "# TYPE liaison_hotline_steps_superseded_total counter\n"
	    "liaison_hotline_steps_superseded_total %llu\n"
	    "# TYPE liaison_hotline_cases_received_total counter\n"
	    "liaison_hotline_cases_received_total %llu\n"
	    "# TYPE liaison_hotline_reminders_total counter\n"
	    "liaison_hotline_reminders_total %llu\n"
	    "# TYPE liaison_hotline_escalations_total counter\n",
	    st.steps_in, st.steps_refused, st.steps_superseded, st.cases_opened_in, st.reminders);
	for (k = 1; k <= hn->cfg.esc.n; k++)
		buf_printf(out, "liaison_hotline_escalations_total{level=\"%d\"} %llu\n", k,
		    st.escalations[k]);
	buf_adds(out, "# TYPE liaison_hotline_cases gauge\n");
	for (k = 1; k <= CASE_STATE_MAX; k++)
		buf_printf(out, "liaison_hotline_cases{state=\"%s\"} %llu\n",
		    case_state_name((enum case_state)k), (unsigned long long)cc.by_state[k]);
	buf_printf(out, "# TYPE liaison_hotline_overdue_cases gauge\n"
	    "liaison_hotline_overdue_cases %llu\n"
	    "# TYPE liaison_hotline_open_cases_escalated gauge\n",
	    (unsigned long long)cc.late);
	for (k = 1; k <= hn->cfg.esc.n && k < 16; k++)
		buf_printf(out, "liaison_hotline_open_cases_escalated{level=\"%d\"} %llu\n", k,
		    (unsigned long long)cc.open_by_level[k]);
	if ((r = store_partner_list(rd, &ps, &n, err)) < 0)
		return r;
	buf_adds(out, "# TYPE liaison_hotline_receipt_seconds summary\n"
	    "# TYPE liaison_hotline_ack_seconds summary\n");
	for (i = 0; i < n; i++) {
		if ((r = hotline_pledge(rd, ps[i].rowid, &pl, err)) < 0)
			break;
		buf_printf(out,
		    "liaison_hotline_receipt_seconds{partner=\"%s\",quantile=\"0.5\"} %.6f\n"
		    "liaison_hotline_receipt_seconds{partner=\"%s\",quantile=\"0.95\"} %.6f\n"
		    "liaison_hotline_receipt_seconds{partner=\"%s\",quantile=\"1\"} %.6f\n"
		    "liaison_hotline_receipt_seconds_count{partner=\"%s\"} %zu\n"
		    "liaison_hotline_ack_seconds{partner=\"%s\",quantile=\"0.5\"} %.6f\n"
		    "liaison_hotline_ack_seconds{partner=\"%s\",quantile=\"0.95\"} %.6f\n"
		    "liaison_hotline_ack_seconds{partner=\"%s\",quantile=\"1\"} %.6f\n"
		    "liaison_hotline_ack_seconds_count{partner=\"%s\"} %zu\n",
		    ps[i].name, pl.receipt_p50 / 1e6, ps[i].name, pl.receipt_p95 / 1e6,
		    ps[i].name, pl.receipt_max / 1e6, ps[i].name, pl.n_receipt,
		    ps[i].name, pl.ack_p50 / 1e6, ps[i].name, pl.ack_p95 / 1e6,
		    ps[i].name, pl.ack_max / 1e6, ps[i].name, pl.n_ack);
	}
	free(ps);
	return r;
}
