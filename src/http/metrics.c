/*
 * GET /metrics: the node's counters in the Prometheus text format (0.0.4).
 * Reads counters only; must never change one or take a lock the writer needs.
 */
#include "http/taxii_int.h"
#include "hotline/node.h"
#include "util/err.h"
#include "util/ts.h"

#include <stdio.h>

static void
exchange_metrics(struct exchange *ex, struct evbuffer *b)
{
	struct exchange_stats st;
	int i;

	exchange_get_stats(ex, &st);
	evbuffer_add_printf(b,
	    "# TYPE liaison_peer_links gauge\nliaison_peer_links %llu\n"
	    "# TYPE liaison_peer_queue_envelopes gauge\nliaison_peer_queue_envelopes %llu\n"
	    "# TYPE liaison_peer_envelopes_total counter\n"
	    "liaison_peer_envelopes_total{event=\"packed\"} %llu\n"
	    "liaison_peer_envelopes_total{event=\"sent\"} %llu\n"
	    "liaison_peer_envelopes_total{event=\"received\"} %llu\n"
	    "liaison_peer_envelopes_total{event=\"duplicate\"} %llu\n"
	    "# TYPE liaison_peer_objects_total counter\n"
	    "liaison_peer_objects_total{event=\"packed\"} %llu\n"
	    "liaison_peer_objects_total{event=\"sent\"} %llu\n"
	    "liaison_peer_objects_total{event=\"received\"} %llu\n"
	    "liaison_peer_objects_total{event=\"refused\"} %llu\n"
	    "# TYPE liaison_peer_receipts_total counter\nliaison_peer_receipts_total %llu\n"
	    "# TYPE liaison_peer_retries_total counter\nliaison_peer_retries_total %llu\n"
	    "# TYPE liaison_peer_tls_refused_total counter\nliaison_peer_tls_refused_total %llu\n"
	    "# TYPE liaison_peer_refused_total counter\n",
	    st.links, st.queue, st.envelopes_packed, st.envelopes_sent, st.envelopes_received,
	    st.envelopes_duplicate, st.objects_packed, st.objects_sent, st.objects_received,
	    st.objects_refused, st.receipts, st.retries, st.tls_refused);
	for (i = 1; i < REFUSE_MAX; i++)
		evbuffer_add_printf(b, "liaison_peer_refused_total{reason=\"%s\"} %llu\n",
		    exchange_refusal_name(i), st.refused[i]);
	evbuffer_add_printf(b,
	    "# TYPE liaison_ledger_size gauge\nliaison_ledger_size %llu\n"
	    "# TYPE liaison_ledger_checkpoints_total counter\nliaison_ledger_checkpoints_total %llu\n"
	    "# TYPE liaison_ledger_cosignatures_total counter\n"
	    "liaison_ledger_cosignatures_total{event=\"received\"} %llu\n"
	    "liaison_ledger_cosignatures_total{event=\"given\"} %llu\n"
	    "liaison_ledger_cosignatures_total{event=\"refused\"} %llu\n"
	    "# TYPE liaison_ledger_proofs_total counter\n"
	    "liaison_ledger_proofs_total{event=\"stored\"} %llu\n"
	    "liaison_ledger_proofs_total{event=\"failed\"} %llu\n"
	    "# TYPE liaison_ledger_equivocations_total counter\n"
	    "liaison_ledger_equivocations_total %llu\n"
	    "# TYPE liaison_policy_refused_total counter\n"
	    "liaison_policy_refused_total{direction=\"out\"} %llu\n"
	    "liaison_policy_refused_total{direction=\"in\"} %llu\n",
	    st.log_size, st.checkpoints_signed, st.cosignatures_received, st.witness_cosigned,
	    st.witness_refused, st.proofs_stored, st.proof_failures, st.equivocations,
	    st.policy_kept_home, st.policy_refused_in);
}

void
taxii_get_metrics(struct ctx *c)
{
	struct taxii_metrics *m = &c->t->m;
	struct writer_stats ws;
	struct http_server_stats hs;
	struct evbuffer *b = evbuffer_new();

	writer_get_stats(c->t->w, &ws);
	http_server_get_stats(c->t->srv, &hs);
	evbuffer_add_printf(b,
	    "# TYPE liaison_http_requests_total counter\nliaison_http_requests_total %llu\n"
	    "# TYPE liaison_http_errors_total counter\n"
	    "liaison_http_errors_total{class=\"4xx\"} %llu\nliaison_http_errors_total{class=\"5xx\"} %llu\n"
	    "# TYPE liaison_http_connections gauge\nliaison_http_connections %llu\n"
	    "# TYPE liaison_auth_failures_total counter\nliaison_auth_failures_total %llu\n"
	    "# TYPE liaison_objects_total counter\n"
	    "liaison_objects_total{outcome=\"added\"} %llu\n"
	    "liaison_objects_total{outcome=\"duplicate\"} %llu\n"
	    "liaison_objects_total{outcome=\"rejected\"} %llu\n"
	    "liaison_objects_total{outcome=\"served\"} %llu\n"
	    "# TYPE liaison_store_batches_total counter\nliaison_store_batches_total %llu\n"
	    "# TYPE liaison_store_batch_items_total counter\nliaison_store_batch_items_total %llu\n"
	    "# TYPE liaison_store_failed_commits_total counter\nliaison_store_failed_commits_total %llu\n"
	    "# TYPE liaison_store_checkpoints_total counter\nliaison_store_checkpoints_total %llu\n",
	    m->requests, m->errors_4xx, m->errors_5xx, hs.conns_open, m->auth_failures,
	    m->objects_added, m->objects_duplicate, m->objects_rejected, m->objects_served,
	    ws.batches, ws.items, ws.failed_commits, ws.checkpoints);
	if (c->t->cfg.readers != NULL) {
		struct readers_stats rs;
		readers_get_stats(c->t->cfg.readers, &rs);
		evbuffer_add_printf(b,
		    "# TYPE liaison_store_reads_total counter\nliaison_store_reads_total %llu\n"
		    "# TYPE liaison_store_read_failures_total counter\n"
		    "liaison_store_read_failures_total %llu\n"
		    "# TYPE liaison_store_read_connections gauge\nliaison_store_read_connections %zu\n"
		    "# TYPE liaison_store_reads_waiting gauge\nliaison_store_reads_waiting %zu\n",
		    rs.jobs, rs.failed, rs.threads, rs.queued + rs.busy);
	}
	if (c->t->cfg.ex != NULL)
		exchange_metrics(c->t->cfg.ex, b);
	ui_metrics(c->t->ui, b);
	live_metrics(c->t->live, b);
	if (c->t->cfg.hotline != NULL) {
		struct buf hb = BUF_INIT(1u << 20);
		struct err err = ERR_INIT;
		if (store_read_begin(c->t->rd, &err) == 0 &&
		    hotline_node_metrics(c->t->cfg.hotline, c->t->rd, clock_now_us(), &hb, &err) == 0)
			evbuffer_add(b, hb.data, hb.len);
		store_read_end(c->t->rd);
		buf_release(&hb);
	}
	http_reply(c->req, 200, "text/plain; version=0.0.4", b);
	evbuffer_free(b);
}
