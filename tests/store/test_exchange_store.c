/*
 * The store's side of partner channels, against the SQLite backend:
 * partners, shares and cursors, envelopes and receipts, and the migration
 * of a database made by the previous release (schema version 1).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "scratch.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ids_file.h"
#include "store/store.h"
#include "util/err.h"

struct fx {
	char dir[SCRATCH_DIR_MAX];
	char path[SCRATCH_PATH_MAX];
	struct store *s;
	int64_t inbox_a, inbox_b, shared;
	struct store_partner a, b;
};

static int64_t
mkcoll(struct fx *f, const char *uuid, const char *title, int64_t partner)
{
	struct store_collection c = { .partner = partner };
	struct err err = ERR_INIT;

	snprintf(c.id, sizeof(c.id), "%s", uuid);
	snprintf(c.title, sizeof(c.title), "%s", title);
	assert_int_equal(store_coll_add(f->s, &c, &err), 0);
	return c.rowid;
}

static void
partner_init(struct store_partner *p, const char *name, uint8_t k, int64_t inbox)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	memset(p->key, k, sizeof(p->key));
	memset(p->key_id, k ^ 0x80, sizeof(p->key_id));
	memset(p->spki, k ^ 0x40, sizeof(p->spki));
	snprintf(p->endpoint, sizeof(p->endpoint), "https://%s.example:8443", name);
	p->inbox = inbox;
}

static int
setup_empty(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	scratch_store_open("xstore", f->dir, f->path, &f->s);
	f->inbox_a = mkcoll(f, "aaaaaaaa-0000-4000-8000-000000000001", "from-alpha", 0);
	f->inbox_b = mkcoll(f, "bbbbbbbb-0000-4000-8000-000000000002", "from-bravo", 0);
	f->shared = mkcoll(f, "cccccccc-0000-4000-8000-000000000003", "shared", 0);
	*state = f;
	return 0;
}

/* Two partners, bravo added first so that name order differs from rowid order. */
static int
setup(void **state)
{
	struct fx *f;
	struct err err = ERR_INIT;

	setup_empty(state);
	f = *state;
	partner_init(&f->b, "bravo", 0x22, f->inbox_b);
	assert_int_equal(store_partner_add(f->s, &f->b, "{\"name\":\"bravo\"}", &err), 0);
	partner_init(&f->a, "alpha", 0x11, f->inbox_a);
	assert_int_equal(store_partner_add(f->s, &f->a, "{\"name\":\"alpha\"}", &err), 0);
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	scratch_store_remove(f->s, f->dir);
	free(f);
	return 0;
}

static void
assert_same_partner(const struct store_partner *got, const struct store_partner *want)
{
	assert_int_equal(got->rowid, want->rowid);
	assert_string_equal(got->name, want->name);
	assert_memory_equal(got->key, want->key, 32);
	assert_memory_equal(got->key_id, want->key_id, 32);
	assert_memory_equal(got->spki, want->spki, 32);
	assert_string_equal(got->endpoint, want->endpoint);
	assert_int_equal(got->inbox, want->inbox);
	assert_int_equal(got->created_us, want->created_us);
}

/* ---- partners ---- */

static void
test_partner_add_find_list(void **state)
{
	struct fx *f = *state;
	struct store_partner p, *v;
	struct store_collection c;
	struct err err = ERR_INIT;
	size_t n;

	assert_true(f->a.rowid > 0 && f->b.rowid > 0 && f->a.rowid != f->b.rowid);
	assert_true(f->a.created_us > 0);
	assert_int_equal(f->a.active, 1);

	assert_int_equal(store_partner_find(f->s, "alpha", &p, &err), 0);
	assert_same_partner(&p, &f->a);
	assert_int_equal(p.active, 1);
	assert_int_equal(p.last_contact_us, 0);
	assert_int_equal(p.last_error_us, 0);
	assert_string_equal(p.last_error, "");
	assert_int_equal(p.retries, 0);
	assert_int_equal(p.out_seq, 0);
	assert_int_equal(p.out_acked, 0);
	assert_int_equal(p.in_seq, 0);

	assert_int_equal(store_partner_get(f->s, f->b.rowid, &p, &err), 0);
	assert_same_partner(&p, &f->b);
	assert_int_equal(store_partner_by_key_id(f->s, f->a.key_id, &p, &err), 0);
	assert_same_partner(&p, &f->a);

	assert_int_equal(store_partner_list(f->s, &v, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_same_partner(&v[0], &f->a);    /* name order */
	assert_same_partner(&v[1], &f->b);
	free(v);

	/* adding the partner marked its inbox */
	assert_int_equal(store_coll_find(f->s, "from-alpha", &c, &err), 0);
	assert_int_equal(c.partner, f->a.rowid);
	assert_int_equal(store_coll_find(f->s, "shared", &c, &err), 0);
	assert_int_equal(c.partner, 0);

	memset(&p, 0x5a, sizeof(p));
	assert_int_equal(store_partner_find(f->s, "charlie", &p, &err), -LSN_ENOTFOUND);
	assert_non_null(strstr(err.msg, "charlie"));
	assert_int_equal(p.rowid, 0x5a5a5a5a5a5a5a5a);   /* untouched on failure */
	assert_int_equal(store_partner_get(f->s, 999, &p, &err), -LSN_ENOTFOUND);
	assert_non_null(strstr(err.msg, "999"));
}

static void
test_partner_list_empty(void **state)
{
	struct fx *f = *state;
	struct store_partner *v = NULL;
	struct err err = ERR_INIT;
	size_t n = 7;

	assert_int_equal(store_partner_list(f->s, &v, &n, &err), 0);
	assert_int_equal(n, 0);
	free(v);
}

static void
test_partner_duplicates(void **state)
{
	struct fx *f = *state;
	struct store_partner p, *v;
	struct err err = ERR_INIT;
	int64_t other = mkcoll(f, "dddddddd-0000-4000-8000-000000000004", "from-delta", 0);
	size_t n;

	partner_init(&p, "alpha", 0x33, other);
	assert_int_equal(store_partner_add(f->s, &p, "{}", &err), -LSN_EEXIST);
	assert_non_null(strstr(err.msg, "named 'alpha'"));

	partner_init(&p, "delta", 0x11, other);          /* alpha's key */
	assert_int_equal(store_partner_add(f->s, &p, "{}", &err), -LSN_EEXIST);
	assert_non_null(strstr(err.msg, "'alpha'"));
	assert_non_null(strstr(err.msg, "key"));

	partner_init(&p, "delta", 0x44, f->inbox_a);     /* alpha's inbox */
	assert_int_equal(store_partner_add(f->s, &p, "{}", &err), -LSN_EEXIST);
	assert_non_null(strstr(err.msg, "from-alpha"));

	partner_init(&p, "delta", 0x44, 999);            /* no such collection */
	assert_int_equal(store_partner_add(f->s, &p, "{}", &err), -LSN_ENOTFOUND);
	assert_non_null(strstr(err.msg, "999"));

	partner_init(&p, "", 0x44, other);
	assert_int_equal(store_partner_add(f->s, &p, "{}", &err), -LSN_EINVAL);

	assert_int_equal(store_partner_list(f->s, &v, &n, &err), 0);
	assert_int_equal(n, 2);                           /* nothing was added */
	free(v);
	partner_init(&p, "delta", 0x44, other);
	assert_int_equal(store_partner_add(f->s, &p, NULL, &err), 0);
}

static void
test_partner_inactive(void **state)
{
	struct fx *f = *state;
	struct store_partner p, *v;
	struct err err = ERR_INIT;
	size_t n;

	assert_int_equal(store_partner_set_active(f->s, f->a.rowid, 0, &err), 0);
	assert_int_equal(store_partner_by_key_id(f->s, f->a.key_id, &p, &err), -LSN_ENOTFOUND);
	assert_int_equal(store_partner_find(f->s, "alpha", &p, &err), 0);
	assert_int_equal(p.active, 0);
	assert_int_equal(store_partner_get(f->s, f->a.rowid, &p, &err), 0);
	assert_int_equal(p.active, 0);
	assert_int_equal(store_partner_list(f->s, &v, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].active, 0);
	assert_int_equal(v[1].active, 1);
	free(v);
	/* the other partner is unaffected */
	assert_int_equal(store_partner_by_key_id(f->s, f->b.key_id, &p, &err), 0);
	assert_int_equal(p.rowid, f->b.rowid);

	assert_int_equal(store_partner_set_active(f->s, f->a.rowid, 1, &err), 0);
	assert_int_equal(store_partner_by_key_id(f->s, f->a.key_id, &p, &err), 0);
	assert_int_equal(p.rowid, f->a.rowid);
	assert_int_equal(store_partner_set_active(f->s, 999, 0, &err), -LSN_ENOTFOUND);
}

static struct store_partner
get_partner(struct fx *f, int64_t rowid)
{
	struct store_partner p;
	struct err err = ERR_INIT;

	assert_int_equal(store_partner_get(f->s, rowid, &p, &err), 0);
	return p;
}

static void
test_partner_health(void **state)
{
	struct fx *f = *state;
	struct err err = ERR_INIT;
	struct store_partner p;
	char longerr[600];

	assert_int_equal(store_partner_health(f->s, f->a.rowid, 100, NULL, 0, 0, &err), 0);
	p = get_partner(f, f->a.rowid);
	assert_int_equal(p.last_contact_us, 100);
	assert_string_equal(p.last_error, "");
	assert_int_equal(p.retries, 0);

	/* a failure: contact 0 keeps the last contact */
	assert_int_equal(store_partner_health(f->s, f->a.rowid, 0, "connection refused", 200, 3,
	    &err), 0);
	p = get_partner(f, f->a.rowid);
	assert_int_equal(p.last_contact_us, 100);
	assert_string_equal(p.last_error, "connection refused");
	assert_int_equal(p.last_error_us, 200);
	assert_int_equal(p.retries, 3);

	/* error NULL keeps the error and its time */
	assert_int_equal(store_partner_health(f->s, f->a.rowid, 0, NULL, 999, 4, &err), 0);
	p = get_partner(f, f->a.rowid);
	assert_string_equal(p.last_error, "connection refused");
	assert_int_equal(p.last_error_us, 200);
	assert_int_equal(p.retries, 4);

	/* a success clears it */
	assert_int_equal(store_partner_health(f->s, f->a.rowid, 300, "", 0, 0, &err), 0);
	p = get_partner(f, f->a.rowid);
	assert_int_equal(p.last_contact_us, 300);
	assert_string_equal(p.last_error, "");
	assert_int_equal(p.retries, 0);

	/* a long error is cut below STORE_ERROR_MAX, never inside a character */
	memset(longerr, 'x', sizeof(longerr));
	memcpy(longerr + STORE_ERROR_MAX - 2, "\xc3\xa9", 2);   /* é across the limit */
	longerr[sizeof(longerr) - 1] = '\0';
	assert_int_equal(store_partner_health(f->s, f->a.rowid, 0, longerr, 400, 1, &err), 0);
	p = get_partner(f, f->a.rowid);
	assert_int_equal(strlen(p.last_error), STORE_ERROR_MAX - 2);
	assert_memory_equal(p.last_error, longerr, STORE_ERROR_MAX - 2);

	/* the other partner is untouched */
	p = get_partner(f, f->b.rowid);
	assert_int_equal(p.last_contact_us, 0);
	assert_int_equal(p.retries, 0);
	assert_int_equal(store_partner_health(f->s, 999, 1, NULL, 0, 0, &err), -LSN_ENOTFOUND);
}

/* The partner's certificate expiry, as the notary last saw it. */
static void
test_partner_cert(void **state)
{
	struct fx *f = *state;
	struct err err = ERR_INIT;

	assert_int_equal(get_partner(f, f->a.rowid).cert_not_after_us, 0);
	assert_int_equal(store_partner_cert(f->s, f->a.rowid, INT64_C(1900000000000000), &err), 0);
	assert_int_equal(get_partner(f, f->a.rowid).cert_not_after_us, INT64_C(1900000000000000));
	assert_int_equal(get_partner(f, f->b.rowid).cert_not_after_us, 0);
	assert_int_equal(store_partner_cert(f->s, 999, 1, &err), -LSN_ENOTFOUND);
}

struct counts {
	struct store_policy_count v[8];
	char rules[8][32];
	size_t n;
};

static int
collect_count(void *arg, const struct store_policy_count *c)
{
	struct counts *cs = arg;

	if (cs->n < 8) {
		cs->v[cs->n] = *c;
		snprintf(cs->rules[cs->n], sizeof(cs->rules[0]), "%s", c->rule);
		cs->v[cs->n].rule = cs->rules[cs->n];
	}
	cs->n++;
	return 0;
}

static const struct store_policy_count *
find_count(const struct counts *cs, int64_t partner, int dir, const char *rule)
{
	for (size_t i = 0; i < cs->n && i < 8; i++)
		if (cs->v[i].partner == partner && cs->v[i].dir == dir &&
		    strcmp(cs->v[i].rule, rule) == 0)
			return &cs->v[i];
	return NULL;
}

static void
add_decision(struct fx *f, int64_t t, int64_t partner, int dir, const char *rule)
{
	struct store_policy_entry e = { .time_us = t, .partner = partner, .dir = dir,
		.object = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", .version = "",
		.rule = rule, .reason = "a reason" };
	struct err err = ERR_INIT;

	assert_int_equal(store_policy_log_add(f->s, &e, &err), 0);
}

/* The border page's counts: by partner, direction and rule, since a time. */
static void
test_policy_counts(void **state)
{
	struct fx *f = *state;
	struct err err = ERR_INIT;
	struct counts cs = { 0 };

	add_decision(f, 100, f->a.rowid, STORE_OUT, "tlp-red");
	add_decision(f, 200, f->a.rowid, STORE_OUT, "tlp-red");
	add_decision(f, 300, f->a.rowid, STORE_OUT, "type");
	add_decision(f, 400, f->a.rowid, STORE_IN, "tlp-red");
	add_decision(f, 500, f->b.rowid, STORE_OUT, "tlp-red");
	assert_int_equal(store_policy_log_counts(f->s, 0, collect_count, &cs, &err), 0);
	assert_int_equal(cs.n, 4);
	/* ordered by partner, direction, rule */
	for (size_t i = 1; i < cs.n; i++)
		assert_true(cs.v[i - 1].partner < cs.v[i].partner ||
		    (cs.v[i - 1].partner == cs.v[i].partner && (cs.v[i - 1].dir < cs.v[i].dir ||
		    (cs.v[i - 1].dir == cs.v[i].dir && strcmp(cs.v[i - 1].rule, cs.v[i].rule) < 0))));
	assert_int_equal(find_count(&cs, f->a.rowid, STORE_OUT, "tlp-red")->n, 2);
	assert_int_equal(find_count(&cs, f->a.rowid, STORE_OUT, "tlp-red")->last_us, 200);
	assert_int_equal(find_count(&cs, f->a.rowid, STORE_OUT, "type")->n, 1);
	assert_int_equal(find_count(&cs, f->a.rowid, STORE_IN, "tlp-red")->last_us, 400);
	assert_int_equal(find_count(&cs, f->b.rowid, STORE_OUT, "tlp-red")->last_us, 500);
	/* since 250: the first two are out of the window */
	memset(&cs, 0, sizeof(cs));
	assert_int_equal(store_policy_log_counts(f->s, 250, collect_count, &cs, &err), 0);
	assert_int_equal(cs.n, 3);
	assert_null(find_count(&cs, f->a.rowid, STORE_OUT, "tlp-red"));
	assert_int_equal(find_count(&cs, f->a.rowid, STORE_OUT, "type")->n, 1);
	memset(&cs, 0, sizeof(cs));
	assert_int_equal(store_policy_log_counts(f->s, 501, collect_count, &cs, &err), 0);
	assert_int_equal(cs.n, 0);
}

/* ---- shares ---- */

static void
test_shares(void **state)
{
	struct fx *f = *state;
	struct store_share sh = { f->a.rowid, f->shared, 0 }, *v;
	struct err err = ERR_INIT;
	size_t n;

	assert_int_equal(store_share_add(f->s, &sh, &err), 0);
	sh.cursor_us = 50;
	assert_int_equal(store_share_add(f->s, &sh, &err), 0);   /* idempotent */
	assert_int_equal(store_share_list(f->s, f->a.rowid, &v, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].partner, f->a.rowid);
	assert_int_equal(v[0].coll, f->shared);
	assert_int_equal(v[0].cursor_us, 0);                      /* cursor kept */
	free(v);

	assert_int_equal(store_share_set_cursor(f->s, f->a.rowid, f->shared, 123, &err), 0);
	sh.cursor_us = 0;
	assert_int_equal(store_share_add(f->s, &sh, &err), 0);
	sh.coll = f->inbox_b;
	sh.cursor_us = 7;
	assert_int_equal(store_share_add(f->s, &sh, &err), 0);
	assert_int_equal(store_share_list(f->s, f->a.rowid, &v, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].coll, f->inbox_b < f->shared ? f->inbox_b : f->shared);
	assert_int_equal(v[f->inbox_b < f->shared ? 1 : 0].cursor_us, 123);
	assert_int_equal(v[f->inbox_b < f->shared ? 0 : 1].cursor_us, 7);
	free(v);

	assert_int_equal(store_share_list(f->s, f->b.rowid, &v, &n, &err), 0);
	assert_int_equal(n, 0);
	free(v);
	assert_int_equal(store_share_set_cursor(f->s, f->b.rowid, f->shared, 1, &err),
	    -LSN_ENOTFOUND);
	sh.partner = 999;
	assert_int_equal(store_share_add(f->s, &sh, &err), -LSN_ENOTFOUND);
	sh.partner = f->b.rowid;
	sh.coll = 999;
	assert_int_equal(store_share_add(f->s, &sh, &err), -LSN_ENOTFOUND);
}

/* ---- envelopes ---- */

/* Envelope seq of partner p: len bytes of (seq + i), id filled with seq. */
static int
put(struct fx *f, int64_t partner, int dir, uint64_t seq, size_t len, const char *receipt)
{
	struct store_envelope e = { 0 };
	struct err err = ERR_INIT;
	uint8_t *b = malloc(len ? len : 1);
	size_t i;
	int r;

	for (i = 0; i < len; i++)
		b[i] = (uint8_t)(seq + i);
	e.partner = partner;
	e.dir = dir;
	e.seq = seq;
	memset(e.id, (int)seq, sizeof(e.id));
	e.kind = (int)(seq % 3);
	e.items = (uint32_t)seq * 10;
	e.created_us = 1000 + (int64_t)seq;
	e.bytes = b;
	e.len = len;
	if (receipt != NULL) {
		e.receipt = (const uint8_t *)receipt;
		e.receipt_len = strlen(receipt);
		e.receipt_us = 2000 + (int64_t)seq;
	}
	r = store_env_put(f->s, &e, &err);
	free(b);
	return r;
}

static void
assert_env(const struct store_envelope *e, int64_t partner, int dir, uint64_t seq, size_t len,
    int with_bytes)
{
	uint8_t id[32];
	size_t i;

	memset(id, (int)seq, sizeof(id));
	assert_int_equal(e->partner, partner);
	assert_int_equal(e->dir, dir);
	assert_int_equal(e->seq, seq);
	assert_memory_equal(e->id, id, 32);
	assert_int_equal(e->kind, (int)(seq % 3));
	assert_int_equal(e->items, seq * 10);
	assert_int_equal(e->created_us, 1000 + (int64_t)seq);
	if (!with_bytes) {
		assert_null(e->bytes);
		assert_int_equal(e->len, 0);
		return;
	}
	assert_non_null(e->bytes);
	assert_int_equal(e->len, len);
	for (i = 0; i < len; i++)
		if (e->bytes[i] != (uint8_t)(seq + i))
			fail_msg("byte %zu of envelope %llu differs", i, (unsigned long long)seq);
}

static void
test_env_put_get(void **state)
{
	struct fx *f = *state;
	struct store_envelope e;
	struct err err = ERR_INIT;
	uint64_t s;

	for (s = 1; s <= 5; s++)
		assert_int_equal(put(f, f->a.rowid, STORE_OUT, s, 100 * s, NULL), 0);
	assert_int_equal(put(f, f->a.rowid, STORE_IN, 1, 10, "rcpt-in-1"), 0);

	assert_int_equal(store_env_get(f->s, f->a.rowid, STORE_OUT, 3, 1, &e, &err), 0);
	assert_env(&e, f->a.rowid, STORE_OUT, 3, 300, 1);
	assert_null(e.receipt);
	assert_int_equal(e.receipt_len, 0);
	assert_int_equal(store_env_get(f->s, f->a.rowid, STORE_OUT, 4, 0, &e, &err), 0);
	assert_env(&e, f->a.rowid, STORE_OUT, 4, 400, 0);

	/* an accepted envelope comes back with the receipt we made */
	assert_int_equal(store_env_get(f->s, f->a.rowid, STORE_IN, 1, 1, &e, &err), 0);
	assert_env(&e, f->a.rowid, STORE_IN, 1, 10, 1);
	assert_int_equal(e.receipt_len, 9);
	assert_memory_equal(e.receipt, "rcpt-in-1", 9);
	assert_int_equal(e.receipt_us, 2001);

	/* (partner, dir, seq) is unique; the same seq in the other direction is not a clash */
	assert_int_equal(put(f, f->a.rowid, STORE_OUT, 3, 1, NULL), -LSN_EEXIST);
	assert_int_equal(put(f, f->a.rowid, STORE_IN, 3, 1, NULL), 0);
	assert_int_equal(put(f, f->b.rowid, STORE_OUT, 3, 1, NULL), 0);
	assert_int_equal(store_env_put(f->s, &(struct store_envelope){ .partner = f->a.rowid,
	    .dir = STORE_OUT, .seq = 1, .bytes = (const uint8_t *)"x", .len = 1 }, &err),
	    -LSN_EEXIST);
	assert_non_null(strstr(err.msg, "envelope 1"));
	assert_non_null(strstr(err.msg, "already"));

	assert_int_equal(put(f, 999, STORE_OUT, 1, 1, NULL), -LSN_ENOTFOUND);
	assert_int_equal(put(f, f->a.rowid, STORE_OUT, 0, 1, NULL), -LSN_EINVAL);
	assert_int_equal(put(f, f->a.rowid, 2, 9, 1, NULL), -LSN_EINVAL);
	assert_int_equal(store_env_get(f->s, f->a.rowid, STORE_OUT, 9, 1, &e, &err), -LSN_ENOTFOUND);
	assert_int_equal(store_env_get(f->s, f->b.rowid, STORE_OUT, 1, 1, &e, &err), -LSN_ENOTFOUND);
}

/* A large envelope, then small ones: the copy buffer is reused, pointers stay right. */
static void
test_env_get_large(void **state)
{
	struct fx *f = *state;
	struct store_envelope e;
	struct err err = ERR_INIT;
	size_t big = 3 * 1024 * 1024 + 17;

	assert_int_equal(put(f, f->a.rowid, STORE_OUT, 1, big, NULL), 0);
	assert_int_equal(put(f, f->a.rowid, STORE_OUT, 2, 5, NULL), 0);
	assert_int_equal(store_env_set_receipt(f->s, f->a.rowid, 2, (const uint8_t *)"R2", 2, 9,
	    &err), 0);
	assert_int_equal(store_env_get(f->s, f->a.rowid, STORE_OUT, 1, 1, &e, &err), 0);
	assert_env(&e, f->a.rowid, STORE_OUT, 1, big, 1);
	assert_int_equal(store_env_get(f->s, f->a.rowid, STORE_OUT, 2, 1, &e, &err), 0);
	assert_env(&e, f->a.rowid, STORE_OUT, 2, 5, 1);
	assert_int_equal(e.receipt_len, 2);
	assert_memory_equal(e.receipt, "R2", 2);
	assert_int_equal(e.receipt_us, 9);
	/* still valid after other calls that are not env_get */
	assert_int_equal(put(f, f->a.rowid, STORE_OUT, 3, 5, NULL), 0);
	assert_memory_equal(e.receipt, "R2", 2);
	assert_env(&e, f->a.rowid, STORE_OUT, 2, 5, 1);
	assert_int_equal(store_env_get(f->s, f->a.rowid, STORE_OUT, 2, 0, &e, &err), 0);
	assert_env(&e, f->a.rowid, STORE_OUT, 2, 0, 0);
	assert_memory_equal(e.receipt, "R2", 2);
}

struct scan {
	uint64_t seqs[64];
	size_t lens[64];
	int receipted[64];
	size_t n;
	size_t stop_at;        /* return -LSN_EBUSY at this call (1-based); 0: never */
	int check_bytes;
	struct fx *f;
	int reenter;           /* read the store from inside the callback */
};

static void churn(struct fx *f);

static int
on_env(void *arg, const struct store_envelope *e)
{
	struct scan *c = arg;
	struct store_envelope g;
	struct err err = ERR_INIT;

	if (c->check_bytes)
		assert_env(e, e->partner, e->dir, e->seq, e->len, 1);
	c->seqs[c->n] = e->seq;
	c->lens[c->n] = e->len;
	c->receipted[c->n] = e->receipt != NULL;
	c->n++;
	if (c->reenter) {
		assert_int_equal(store_env_get(c->f->s, e->partner, e->dir, e->seq, 1, &g, &err), 0);
		assert_int_equal(g.seq, e->seq);
		churn(c->f);
	}
	if (c->stop_at != 0 && c->n == c->stop_at)
		return -LSN_EBUSY;
	return 1;    /* positive: go on */
}

static size_t
scan(struct fx *f, struct store_env_query *q, struct scan *c)
{
	struct err err = ERR_INIT;
	size_t stop = c->stop_at;
	int check = c->check_bytes, reenter = c->reenter;

	memset(c, 0, sizeof(*c));
	c->stop_at = stop;
	c->check_bytes = check;
	c->reenter = reenter;
	c->f = f;
	assert_int_equal(store_env_scan(f->s, q, on_env, c, &err), 0);
	return c->n;
}

static void
assert_seqs(const struct scan *c, size_t n, ...)
{
	va_list ap;
	size_t i;

	assert_int_equal(c->n, n);
	va_start(ap, n);
	for (i = 0; i < n; i++)
		assert_int_equal(c->seqs[i], va_arg(ap, int));
	va_end(ap);
}

static void
test_env_scan(void **state)
{
	struct fx *f = *state;
	struct store_env_query q = { .partner = f->a.rowid, .dir = STORE_OUT };
	struct scan c = { 0 };
	struct err err = ERR_INIT;
	uint64_t s;

	for (s = 1; s <= 5; s++)
		assert_int_equal(put(f, f->a.rowid, STORE_OUT, s, 100, NULL), 0);
	assert_int_equal(put(f, f->a.rowid, STORE_IN, 1, 100, NULL), 0);
	assert_int_equal(put(f, f->b.rowid, STORE_OUT, 1, 100, NULL), 0);

	scan(f, &q, &c);
	assert_seqs(&c, 5, 1, 2, 3, 4, 5);
	assert_int_equal(c.lens[0], 0);                 /* no bytes unless asked */
	q.after_seq = 2;
	scan(f, &q, &c);
	assert_seqs(&c, 3, 3, 4, 5);
	q.after_seq = 5;
	scan(f, &q, &c);
	assert_seqs(&c, 0);

	q.after_seq = 0;
	q.flags = STORE_ENV_DESC;
	scan(f, &q, &c);
	assert_seqs(&c, 5, 5, 4, 3, 2, 1);
	q.before_seq = 4;
	scan(f, &q, &c);
	assert_seqs(&c, 3, 3, 2, 1);
	q.before_seq = 1;
	scan(f, &q, &c);
	assert_seqs(&c, 0);
	q.before_seq = 0;
	q.max_n = 2;
	scan(f, &q, &c);
	assert_seqs(&c, 2, 5, 4);

	q.flags = STORE_ENV_BYTES;
	q.max_n = 0;
	c.check_bytes = 1;
	scan(f, &q, &c);
	assert_seqs(&c, 5, 1, 2, 3, 4, 5);
	assert_int_equal(c.lens[4], 100);
	q.max_n = 3;
	scan(f, &q, &c);
	assert_seqs(&c, 3, 1, 2, 3);
	q.max_n = 0;
	q.max_bytes = 250;                               /* two of 100 fit, not three */
	scan(f, &q, &c);
	assert_seqs(&c, 2, 1, 2);
	q.max_bytes = 300;
	scan(f, &q, &c);
	assert_seqs(&c, 3, 1, 2, 3);
	q.max_bytes = 10;                                /* the first passes anyway */
	scan(f, &q, &c);
	assert_seqs(&c, 1, 1);
	q.flags = STORE_ENV_DESC;                        /* the cap counts without bytes too */
	q.max_bytes = 250;
	c.check_bytes = 0;
	scan(f, &q, &c);
	assert_seqs(&c, 2, 5, 4);
	q.max_bytes = 0;

	/* a negative return stops the scan and is returned */
	q.flags = 0;
	memset(&c, 0, sizeof(c));
	c.stop_at = 2;
	assert_int_equal(store_env_scan(f->s, &q, on_env, &c, &err), -LSN_EBUSY);
	assert_int_equal(c.n, 2);

	q.dir = STORE_IN;
	c.stop_at = 0;
	scan(f, &q, &c);
	assert_seqs(&c, 1, 1);
	q.dir = 3;
	assert_int_equal(store_env_scan(f->s, &q, on_env, &c, &err), -LSN_EINVAL);
	q.dir = STORE_OUT;
	q.flags = 1u << 7;
	assert_int_equal(store_env_scan(f->s, &q, on_env, &c, &err), -LSN_EINVAL);
}

static void
receipt(struct fx *f, int64_t partner, uint64_t seq, const char *r, int want)
{
	struct err err = ERR_INIT;

	assert_int_equal(store_env_set_receipt(f->s, partner, seq, (const uint8_t *)r, strlen(r),
	    5000 + (int64_t)seq, &err), want);
}

static void
last(struct fx *f, int64_t partner, int dir, uint64_t want_seq, uint64_t want_receipted)
{
	struct err err = ERR_INIT;
	uint64_t seq = 77, rcv = 77;

	assert_int_equal(store_env_last(f->s, partner, dir, &seq, &rcv, &err), 0);
	assert_int_equal(seq, want_seq);
	assert_int_equal(rcv, want_receipted);
}

static void
test_receipts_and_last(void **state)
{
	struct fx *f = *state;
	struct store_env_query q = { .partner = f->a.rowid, .dir = STORE_OUT,
				     .flags = STORE_ENV_UNRECEIPTED };
	struct store_envelope e;
	struct store_partner p, *v;
	struct scan c = { 0 };
	struct err err = ERR_INIT;
	uint64_t s, seq = 0;
	size_t n;

	last(f, f->a.rowid, STORE_OUT, 0, 0);
	for (s = 1; s <= 5; s++)
		assert_int_equal(put(f, f->a.rowid, STORE_OUT, s, 50, NULL), 0);
	last(f, f->a.rowid, STORE_OUT, 5, 0);
	receipt(f, f->a.rowid, 1, "R1", 0);
	receipt(f, f->a.rowid, 2, "R2", 0);
	receipt(f, f->a.rowid, 4, "R4", 0);
	last(f, f->a.rowid, STORE_OUT, 5, 2);        /* 3 has none yet */

	scan(f, &q, &c);
	assert_seqs(&c, 2, 3, 5);
	assert_false(c.receipted[0]);
	q.flags |= STORE_ENV_DESC;
	scan(f, &q, &c);
	assert_seqs(&c, 2, 5, 3);
	q.before_seq = 5;
	scan(f, &q, &c);
	assert_seqs(&c, 1, 3);
	q.flags = STORE_ENV_UNRECEIPTED | STORE_ENV_BYTES;
	q.after_seq = 3;
	scan(f, &q, &c);
	assert_seqs(&c, 1, 5);
	assert_int_equal(c.lens[0], 50);
	q.flags = 0;                                  /* the full scan shows the receipts */
	q.after_seq = 0;
	scan(f, &q, &c);
	assert_seqs(&c, 5, 1, 2, 3, 4, 5);
	assert_true(c.receipted[0] && c.receipted[1] && !c.receipted[2] && c.receipted[3]);

	/* a second receipt for 4 keeps the first */
	receipt(f, f->a.rowid, 4, "other", 0);
	assert_int_equal(store_env_get(f->s, f->a.rowid, STORE_OUT, 4, 0, &e, &err), 0);
	assert_int_equal(e.receipt_len, 2);
	assert_memory_equal(e.receipt, "R4", 2);
	assert_int_equal(e.receipt_us, 5004);
	receipt(f, f->a.rowid, 9, "R9", -LSN_ENOTFOUND);
	receipt(f, f->b.rowid, 1, "R1", -LSN_ENOTFOUND);
	assert_int_equal(put(f, f->a.rowid, STORE_IN, 1, 10, NULL), 0);
	receipt(f, f->a.rowid, 1, "R1", 0);           /* the outgoing 1: already there, kept */
	assert_int_equal(store_env_set_receipt(f->s, f->a.rowid, 3, NULL, 0, 1, &err), -LSN_EINVAL);

	/* the partner's counters follow */
	p = get_partner(f, f->a.rowid);
	assert_int_equal(p.out_seq, 5);
	assert_int_equal(p.out_acked, 2);
	assert_int_equal(p.in_seq, 1);
	receipt(f, f->a.rowid, 3, "R3", 0);
	last(f, f->a.rowid, STORE_OUT, 5, 4);
	receipt(f, f->a.rowid, 5, "R5", 0);
	last(f, f->a.rowid, STORE_OUT, 5, 5);
	assert_int_equal(put(f, f->a.rowid, STORE_IN, 2, 10, "mine"), 0);
	assert_int_equal(store_partner_find(f->s, "alpha", &p, &err), 0);
	assert_int_equal(p.out_seq, 5);
	assert_int_equal(p.out_acked, 5);
	assert_int_equal(p.in_seq, 2);
	assert_int_equal(store_partner_by_key_id(f->s, f->a.key_id, &p, &err), 0);
	assert_int_equal(p.out_acked, 5);
	assert_int_equal(store_partner_list(f->s, &v, &n, &err), 0);
	assert_int_equal(v[0].in_seq, 2);             /* alpha */
	assert_int_equal(v[1].out_seq, 0);            /* bravo */
	free(v);

	/* incoming: 1 has no receipt, 2 has one */
	last(f, f->a.rowid, STORE_IN, 2, 0);
	assert_int_equal(store_env_last(f->s, f->a.rowid, STORE_IN, &seq, NULL, &err), 0);
	assert_int_equal(seq, 2);
	assert_int_equal(store_env_last(f->s, f->a.rowid, STORE_IN, NULL, NULL, &err), 0);
	assert_int_equal(store_env_last(f->s, f->a.rowid, 5, &seq, NULL, &err), -LSN_EINVAL);
	last(f, f->b.rowid, STORE_OUT, 0, 0);
}

/* Sequence numbers with a hole: receipted stops below the first envelope without one. */
static void
test_last_with_holes(void **state)
{
	struct fx *f = *state;

	assert_int_equal(put(f, f->a.rowid, STORE_OUT, 1, 5, NULL), 0);
	assert_int_equal(put(f, f->a.rowid, STORE_OUT, 2, 5, NULL), 0);
	assert_int_equal(put(f, f->a.rowid, STORE_OUT, 4, 5, NULL), 0);
	receipt(f, f->a.rowid, 1, "R", 0);
	receipt(f, f->a.rowid, 4, "R", 0);
	last(f, f->a.rowid, STORE_OUT, 4, 1);
	receipt(f, f->a.rowid, 2, "R", 0);
	last(f, f->a.rowid, STORE_OUT, 4, 4);      /* every stored one has a receipt */
}

/*
 * Prepares more distinct statements than the connection caches, so every
 * slot is evicted; a statement being stepped must survive it.
 */
static void
churn(struct fx *f)
{
	struct store_query q = { .coll = f->shared, .limit = 1 };
	struct err err = ERR_INIT;
	size_t k;
	int more;

	for (k = 0; k < STORE_LIST_MAX; k++)
		q.types[k] = "indicator";
	for (k = 1; k <= STORE_LIST_MAX + 8; k++) {
		q.n_types = k <= STORE_LIST_MAX ? k : 1;
		q.n_spec_versions = k <= STORE_LIST_MAX ? 0 : k - STORE_LIST_MAX;
		q.spec_versions[q.n_spec_versions ? q.n_spec_versions - 1 : 0] = "2.1";
		assert_int_equal(store_objects_query(f->s, &q, 0, NULL, NULL, &more, &err), 0);
	}
}

static void
test_scan_callback_reads_store(void **state)
{
	struct fx *f = *state;
	struct store_env_query q = { .partner = f->a.rowid, .dir = STORE_OUT,
				     .flags = STORE_ENV_BYTES };
	struct scan c = { .reenter = 1, .check_bytes = 1 };
	uint64_t s;

	for (s = 1; s <= 4; s++)
		assert_int_equal(put(f, f->a.rowid, STORE_OUT, s, 64, NULL), 0);
	scan(f, &q, &c);
	assert_seqs(&c, 4, 1, 2, 3, 4);
}

/* ---- collections ---- */

static void
test_collection_partner_roundtrip(void **state)
{
	struct fx *f = *state;
	struct store_collection c, *v;
	struct err err = ERR_INIT;
	int64_t rowid = mkcoll(f, "eeeeeeee-0000-4000-8000-000000000005", "from-echo", 42);
	size_t n, i, seen = 0;

	assert_int_equal(store_coll_find(f->s, "from-echo", &c, &err), 0);
	assert_int_equal(c.rowid, rowid);
	assert_int_equal(c.partner, 42);
	assert_int_equal(store_coll_list(f->s, &v, &n, &err), 0);
	for (i = 0; i < n; i++) {
		if (v[i].rowid == rowid)
			seen += v[i].partner == 42;
		else if (v[i].rowid == f->inbox_b)
			seen += v[i].partner == f->b.rowid;
		else if (v[i].rowid == f->shared)
			seen += v[i].partner == 0;
	}
	free(v);
	assert_int_equal(seen, 3);
}

/* ---- migration from schema version 1 ---- */

/* The schema of the previous release, as its sqlite.c created it. */
static const char schema_v1[] =
	"CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS collections("
	"  rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, title TEXT NOT NULL UNIQUE,"
	"  description TEXT NOT NULL DEFAULT '', created_us INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS objects("
	"  date_added INTEGER PRIMARY KEY, coll INTEGER NOT NULL REFERENCES collections(rowid),"
	"  stix_id TEXT NOT NULL, type TEXT NOT NULL, version TEXT NOT NULL,"
	"  version_key TEXT NOT NULL, spec_version TEXT NOT NULL,"
	"  is_first INTEGER NOT NULL, is_last INTEGER NOT NULL, tlp INTEGER NOT NULL,"
	"  hash BLOB NOT NULL, body BLOB NOT NULL, id_hash INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS objects_id ON objects(coll, id_hash);"
	"CREATE INDEX IF NOT EXISTS objects_coll ON objects(coll, date_added);"
	"CREATE INDEX IF NOT EXISTS objects_type ON objects(coll, type, date_added);"
	"CREATE INDEX IF NOT EXISTS objects_last ON objects(coll, date_added) WHERE is_last = 1;"
	"CREATE TABLE IF NOT EXISTS status("
	"  id TEXT PRIMARY KEY, coll INTEGER NOT NULL, created_us INTEGER NOT NULL,"
	"  body TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS users("
	"  rowid INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, pwhash TEXT NOT NULL DEFAULT '',"
	"  admin INTEGER NOT NULL DEFAULT 0, created_us INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS grants("
	"  user INTEGER NOT NULL REFERENCES users(rowid) ON DELETE CASCADE,"
	"  coll INTEGER NOT NULL REFERENCES collections(rowid),"
	"  can_read INTEGER NOT NULL, can_write INTEGER NOT NULL,"
	"  PRIMARY KEY(user, coll)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS tokens("
	"  hash BLOB PRIMARY KEY, user INTEGER NOT NULL REFERENCES users(rowid) ON DELETE CASCADE,"
	"  name TEXT NOT NULL, created_us INTEGER NOT NULL) WITHOUT ROWID;";

/* What the previous release would have written: two collections, an object, a user. */
static const char rows_v1[] =
	"INSERT INTO collections(rowid, id, title, description, created_us) VALUES"
	"  (1, '11111111-2222-4333-8444-555555555555', 'shared', 'old', 10),"
	"  (2, '11111111-2222-4333-8444-666666666666', 'other', '', 11);"
	"INSERT INTO objects VALUES (1000, 1, 'indicator--aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa',"
	"  'indicator', '2020-01-01T00:00:00Z', '2020-01-01T00:00:00.000000000Z', '2.1', 1, 1, 0,"
	"  x'00', '{\"v\":1}', 7);"
	"INSERT INTO users(rowid, name, admin, created_us) VALUES (1, 'analyst', 1, 12);"
	"INSERT INTO meta VALUES ('node', 'n1');"
	"INSERT INTO status VALUES ('5eed0000-0000-4000-8000-000000000001', 1, 13,"
	"  '{\"id\":\"5eed0000-0000-4000-8000-000000000001\",\"status\":\"complete\"}');"
	"PRAGMA user_version = 1;";

static void
make_db(const char *path, const char *sql)
{
	sqlite3 *db;
	char *msg = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("building the database: %s", msg);
	sqlite3_close(db);
}

static int
user_version(const char *path)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int v = -1;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* The CREATE statement SQLite keeps for table `name`. */
static void
table_sql(const char *path, const char *name, char *out, size_t cap)
{
	sqlite3 *db;
	sqlite3_stmt *st;

	out[0] = '\0';
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
	    "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?1", -1, &st, NULL),
	    SQLITE_OK);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static int
on_body(void *arg, const struct store_row *row)
{
	snprintf(arg, 64, "%.*s", (int)row->len, row->body);
	return 0;
}

static void
test_migrate_v1(void **state)
{
	struct fx *f = *state;

	/* a version 1 SQLite file brought up; PostgreSQL's schema starts at the current one */
	if (scratch_pg() != NULL)
		skip();
	struct store_collection c, *cv;
	struct store_user u;
	struct store_partner p;
	struct store_query q = { .coll = 1, .after_us = 0, .limit = 10 };
	struct err err = ERR_INIT;
	char meta[16], body[64] = "", sql[512], *json = NULL;
	size_t json_len = 0;
	int64_t count = 0;
	size_t n;
	int more;

	store_close(f->s);
	f->s = NULL;
	remove(f->path);
	snprintf(body, sizeof(body), "%s-wal", f->path);
	remove(body);
	snprintf(body, sizeof(body), "%s-shm", f->path);
	remove(body);
	body[0] = '\0';
	make_db(f->path, schema_v1);
	make_db(f->path, rows_v1);
	assert_int_equal(user_version(f->path), 1);

	assert_int_equal(store_open(f->path, 0, &f->s, &err), 0);
	assert_int_equal(user_version(f->path), 8);
	/* status resources moved to a rowid table found by a unique index on the id (v7) */
	table_sql(f->path, "status", sql, sizeof(sql));
	assert_non_null(strstr(sql, "UNIQUE"));
	assert_null(strstr(sql, "WITHOUT ROWID"));
	assert_int_equal(store_status_get(f->s, "5eed0000-0000-4000-8000-000000000001", &json,
	    &json_len, &count, &err), 0);
	assert_int_equal(count, 1);
	assert_string_equal(json, "{\"id\":\"5eed0000-0000-4000-8000-000000000001\","
	    "\"status\":\"complete\"}");
	free(json);
	assert_int_equal(store_status_put(f->s, "5eed0000-0000-4000-8000-000000000001", 2,
	    "{}", 2, &err), 0);
	assert_int_equal(store_status_get(f->s, "5eed0000-0000-4000-8000-000000000001", &json,
	    &json_len, &count, &err), 0);
	assert_int_equal(count, 2);
	assert_string_equal(json, "{}");
	free(json);
	count = 0;
	/* the id index was built in its own file from the old row, and says how far it goes */
	assert_int_equal(ids_file_int(f->path,
	    "SELECT count(*) FROM objects_id WHERE date_added = 1000"), 1);
	assert_int_equal(ids_file_int(f->path, "SELECT value FROM ids_meta WHERE key = 'upto'"), 1000);
	/* the old rows are all there; collections are local */
	assert_int_equal(store_coll_list(f->s, &cv, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(cv[0].title, "shared");
	assert_string_equal(cv[0].description, "old");
	assert_int_equal(cv[0].created_us, 10);
	assert_int_equal(cv[0].partner, 0);
	assert_int_equal(cv[1].partner, 0);
	free(cv);
	assert_int_equal(store_objects_count(f->s, 1, &count, &err), 0);
	assert_int_equal(count, 1);
	assert_int_equal(store_objects_query(f->s, &q, 1, on_body, body, &more, &err), 0);
	assert_string_equal(body, "{\"v\":1}");
	assert_int_equal(store_user_find(f->s, "analyst", &u, &err), 0);
	assert_int_equal(u.admin, 1);
	assert_int_equal(store_meta_get(f->s, "node", meta, sizeof(meta), &err), 0);
	assert_string_equal(meta, "n1");

	/* and the new tables work */
	partner_init(&p, "alpha", 0x11, 2);
	assert_int_equal(store_partner_add(f->s, &p, "{}", &err), 0);
	assert_int_equal(store_coll_find(f->s, "other", &c, &err), 0);
	assert_int_equal(c.partner, p.rowid);
	assert_int_equal(put(f, p.rowid, STORE_OUT, 1, 10, NULL), 0);
	last(f, p.rowid, STORE_OUT, 1, 0);

	/* opening again migrates nothing */
	store_close(f->s);
	assert_int_equal(store_open(f->path, 0, &f->s, &err), 0);
	assert_int_equal(user_version(f->path), 8);
	assert_int_equal(store_partner_find(f->s, "alpha", &p, &err), 0);
	assert_int_equal(p.out_seq, 1);
}

static void
test_refuse_newer_schema(void **state)
{
	struct fx *f = *state;
	struct store *s = NULL;
	struct err err = ERR_INIT;
	char path[160];

	snprintf(path, sizeof(path), "%s/future.db", f->dir);
	make_db(path, "CREATE TABLE t(x); PRAGMA user_version = 9;");
	assert_int_equal(store_open(path, 0, &s, &err), -LSN_EINVAL);
	assert_non_null(strstr(err.msg, "newer"));
	assert_null(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_partner_add_find_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partner_list_empty, setup_empty, teardown),
		cmocka_unit_test_setup_teardown(test_partner_duplicates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partner_inactive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partner_health, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partner_cert, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shares, setup, teardown),
		cmocka_unit_test_setup_teardown(test_env_put_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_env_get_large, setup, teardown),
		cmocka_unit_test_setup_teardown(test_env_scan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_receipts_and_last, setup, teardown),
		cmocka_unit_test_setup_teardown(test_last_with_holes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_callback_reads_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_collection_partner_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_v1, setup_empty, teardown),
		cmocka_unit_test_setup_teardown(test_refuse_newer_schema, setup_empty, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
