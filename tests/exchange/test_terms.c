/*
 * exchange_terms (src/exchange/links.c): the hotline terms a running
 * exchange holds for a partner, read from its link and not from the file.
 * A real exchange on a scratch SQLite store; the partner's endpoint is a
 * closed port, so its threads only fail and back off.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "crypto/cx.h"
#include "exchange/exchange.h"
#include "policy/agreement.h"
#include "store/store.h"
#include "store/writer.h"
#include "util/err.h"
#include "wire/envelope.h"
#include "wire/identity.h"

struct node {
	char dir[64], db[128], agr[128];
	struct cx_key *key, *peer;
	struct store *rd;
	struct writer *w;
	struct exchange *ex;
};

/* cert-b, as pairing leaves it: its identity document, inbox and endpoint. */
static void
add_partner(struct node *n)
{
	struct store_collection c = { 0 };
	struct store_partner p = { 0 };
	struct ident id = { 0 };
	struct err err = ERR_INIT;
	char doc[IDENT_DOC_MAX];
	size_t len;

	assert_int_equal(cx_key_generate(&n->peer, &err), 0);
	snprintf(id.name, sizeof(id.name), "cert-b");
	snprintf(id.created, sizeof(id.created), "2026-01-01T00:00:00Z");
	assert_int_equal(ident_export(&id, n->peer, doc, sizeof(doc), &len, &err), 0);
	snprintf(c.id, sizeof(c.id), "bbbbbbbb-0000-4000-8000-000000000002");
	snprintf(c.title, sizeof(c.title), "from-cert-b");
	assert_int_equal(store_coll_add(n->rd, &c, &err), 0);
	snprintf(p.name, sizeof(p.name), "cert-b");
	memcpy(p.key, id.key, 32);
	env_key_id(id.key, p.key_id);
	snprintf(p.endpoint, sizeof(p.endpoint), "https://127.0.0.1:9");
	p.inbox = c.rowid;
	assert_int_equal(store_partner_add(n->rd, &p, doc, &err), 0);
}

static void
node_start(struct node *n, const struct agreement *g)
{
	struct exchange_config cfg = { 0 };
	struct store *ws;
	struct err err = ERR_INIT;

	snprintf(n->dir, sizeof(n->dir), "/tmp/lsn-terms-XXXXXX");
	assert_non_null(mkdtemp(n->dir));
	snprintf(n->db, sizeof(n->db), "%s/store.db", n->dir);
	snprintf(n->agr, sizeof(n->agr), "%s/agreements", n->dir);
	assert_int_equal(store_open(n->db, 1, &n->rd, &err), 0);
	add_partner(n);
	assert_int_equal(exchange_agreement_save(n->agr, "cert-b", g, &err), 0);
	assert_int_equal(store_open(n->db, 0, &ws, &err), 0);
	assert_int_equal(writer_new(ws, NULL, 64, &n->w, &err), 0);
	assert_int_equal(cx_key_generate(&n->key, &err), 0);
	cfg.store_spec = n->db;
	cfg.key = n->key;
	cfg.tls_cert = "/nonexistent/tls.crt";
	cfg.tls_key = "/nonexistent/tls.key";
	cfg.w = n->w;
	cfg.envelope_objects = 100;
	cfg.envelope_bytes = 1 << 20;
	cfg.batch_bytes = 1 << 20;
	cfg.retry_min_ms = 1000;
	cfg.retry_max_ms = 1000;
	cfg.timeout_ms = 1000;
	cfg.node_name = "cert-a";
	cfg.agreements_dir = n->agr;
	assert_int_equal(exchange_new(&cfg, &n->ex, &err), 0);
	assert_int_equal(exchange_reload(n->ex, n->rd, &err), 0);
}

static void
node_stop(struct node *n)
{
	char cmd[128];

	exchange_free(n->ex);
	writer_free(n->w);
	store_close(n->rd);
	cx_key_free(n->key);
	cx_key_free(n->peer);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", n->dir);
	assert_int_equal(system(cmd), 0);
}

static void
test_terms_from_link(void **state)
{
	struct agreement g;
	struct agr_hotline h;
	struct node n;
	struct err err = ERR_INIT;

	(void)state;
	agreement_default(&g, "cert-a", "cert-b");
	assert_int_equal(agreement_set(&g, "cert-a", "hotline.ack", "2h", &err), 0);
	assert_int_equal(agreement_set(&g, "cert-a", "hotline.preserve_days", "90", &err), 0);
	node_start(&n, &g);
	memset(&h, 0xa5, sizeof(h));
	assert_int_equal(exchange_terms(n.ex, "cert-b", &h, &err), 0);
	assert_memory_equal(&h, &g.hotline, sizeof(h));
	assert_int_equal(h.ack_s, 7200);
	assert_int_equal(h.preserve_days, 90);
	/* the file changing on disk changes nothing until the exchange reloads it */
	assert_int_equal(agreement_set(&g, "cert-a", "hotline.ack", "3h", &err), 0);
	assert_int_equal(exchange_agreement_save(n.agr, "cert-b", &g, &err), 0);
	assert_int_equal(exchange_terms(n.ex, "cert-b", &h, &err), 0);
	assert_int_equal(h.ack_s, 7200);
	/* no link of that name: ENOTFOUND with a sentence, ret untouched */
	memset(&h, 0, sizeof(h));
	assert_int_equal(exchange_terms(n.ex, "cert-z", &h, &err), -LSN_ENOTFOUND);
	assert_non_null(strstr(err.msg, "cert-z"));
	assert_int_equal(h.ack_s, 0);
	node_stop(&n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_terms_from_link),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
