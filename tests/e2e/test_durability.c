/*
 * End-to-end durability: what liaisond acknowledged (202) survives kill -9
 * and SIGTERM during heavy ingest. Four writer threads POST 100-object
 * envelopes as fast as they can; the daemon is killed; after a restart on the
 * same home every acknowledged status and object must be there, byte for
 * byte, and every envelope must be all-or-nothing. Also: `next` tokens issued
 * before a restart still work after it.
 */
#include "e2e.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define path(...) e2e_path(__VA_ARGS__)
#define N_WRITERS 4
#define PER_ENV 100
#define PW "durable-password"

static struct e2e_node node;
static struct e2e_client admin;
static char c_ingest[64], c_stable[64];

struct env_rec {
	char *body;                   /* the envelope as sent */
	size_t len;
	char ids[PER_ENV][64];
	char status_id[40];
	int acked;                    /* 202 received */
	int answered;                 /* any HTTP answer (then not acked: a bug) */
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct env_rec **envs;
static size_t n_envs, cap_envs;
static volatile int stop_writers;
static char writer_error[512];

static int
setup(void **state)
{
	e2e_node_init(&node, "durable");
	e2e_coll_add(&node, "ingest");
	e2e_coll_add(&node, "stable");
	e2e_coll_id(&node, "ingest", c_ingest);
	e2e_coll_id(&node, "stable", c_stable);
	e2e_user_add(&node, "admin", PW, 1, NULL);
	e2e_node_start(&node);
	e2e_client_basic(&admin, &node, "admin", PW);
	return 0;
}

static int
teardown(void **state)
{
	int logged = 0, rc = 0;
	size_t i;

	e2e_client_release(&admin);
	if (node.pid > 0)
		rc = e2e_node_stop(&node, &logged);
	else
		logged = 1;
	e2e_node_destroy(&node);
	for (i = 0; i < n_envs; i++) {
		free(envs[i]->body);
		free(envs[i]);
	}
	free(envs);
	if (rc != 0 || !logged) {
		fprintf(stderr, "liaisond did not stop cleanly on SIGTERM (exit %d, stopped logged %d)\n",
		    rc, logged);
		return -1;
	}
	return 0;
}

static void
set_writer_error(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&mu);
	if (writer_error[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(writer_error, sizeof(writer_error), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&mu);
}

static struct env_rec *
make_env(int w, size_t seq)
{
	struct env_rec *e = calloc(1, sizeof(*e));
	struct e2e_str s = { 0 };
	char u[37], o[1024], name[64];
	size_t i;

	e2e_str_add(&s, "{\"objects\":[", 12);
	for (i = 0; i < PER_ENV; i++) {
		e2e_uuid4(u);
		snprintf(e->ids[i], sizeof(e->ids[i]), "indicator--%s", u);
		snprintf(name, sizeof(name), "w%d-e%zu-o%zu", w, seq, i);
		e2e_indicator(o, sizeof(o), e->ids[i], name, (int64_t)i);
		if (i)
			e2e_str_add(&s, ",", 1);
		e2e_str_add(&s, o, strlen(o));
	}
	e2e_str_add(&s, "]}", 2);
	e->body = s.s;
	e->len = s.len;
	return e;
}

static void
record(struct env_rec *e)
{
	pthread_mutex_lock(&mu);
	if (n_envs == cap_envs) {
		cap_envs = cap_envs ? cap_envs * 2 : 256;
		envs = realloc(envs, cap_envs * sizeof(*envs));
		if (envs == NULL)
			abort();
	}
	envs[n_envs++] = e;
	pthread_mutex_unlock(&mu);
}

/* Checks a 202 answer; the envelope counts as acknowledged only if it is right. */
static void
check_ack(struct env_rec *e, const struct e2e_resp *r)
{
	json_t *st = json_loadb(r->body, r->len, 0, NULL), *succ;
	const char *sid = json_string_value(json_object_get(st, "id"));
	size_t i;

	if (st == NULL || sid == NULL || strlen(sid) >= sizeof(e->status_id)) {
		set_writer_error("a 202 without a status resource: %.200s", r->body);
		json_decref(st);
		return;
	}
	snprintf(e->status_id, sizeof(e->status_id), "%s", sid);
	succ = json_object_get(st, "successes");
	if (json_integer_value(json_object_get(st, "success_count")) != PER_ENV ||
	    json_array_size(succ) != PER_ENV)
		set_writer_error("a 202 whose status is not %d successes: %.300s", PER_ENV, r->body);
	for (i = 0; i < json_array_size(succ); i++)
		if (strcmp(json_string_value(json_object_get(json_array_get(succ, i), "id")) ?: "", e->ids[i]) != 0)
			set_writer_error("status success %zu is not object %zu", i, i);
	e->acked = 1;
	json_decref(st);
}

static void *
writer(void *arg)
{
	int w = (int)(intptr_t)arg;
	struct e2e_client c;
	struct e2e_resp r = { 0 };
	char p[200];
	size_t seq = 0;

	e2e_client_basic(&c, &node, "admin", PW);
	snprintf(p, sizeof(p), API "/collections/%s/objects/", c_ingest);
	while (!stop_writers) {
		struct env_rec *e = make_env(w, seq++);
		struct e2e_req rq = { .path = p, .body = e->body, .len = e->len, .timeout_ms = 60000 };

		record(e);
		if (e2e_do(&c, &rq, &r) != 0)
			break; /* the daemon is gone */
		e->answered = 1;
		if (r.status != 202) {
			set_writer_error("POST answered %ld: %.200s", r.status, r.body);
			break;
		}
		check_ack(e, &r);
	}
	e2e_resp_release(&r);
	e2e_client_release(&c);
	return NULL;
}

static void
start_writers(pthread_t th[N_WRITERS])
{
	int i;

	stop_writers = 0;
	for (i = 0; i < N_WRITERS; i++)
		if (pthread_create(&th[i], NULL, writer, (void *)(intptr_t)i) != 0)
			fail_msg("pthread_create failed");
}

static void
join_writers(pthread_t th[N_WRITERS])
{
	int i;

	stop_writers = 1;
	for (i = 0; i < N_WRITERS; i++)
		pthread_join(th[i], NULL);
	if (writer_error[0])
		fail_msg("writer: %s", writer_error);
}

/* Every id stored in the ingest collection (all versions). */
static void
stored_ids(struct e2e_map *m)
{
	struct e2e_resp r = { 0 };
	char nx[256] = "";

	e2e_map_init(m);
	for (;;) {
		json_t *j, *v;
		size_t k;
		int more;

		e2e_get(&admin, path(API "/collections/%s/manifest/?match[version]=all&limit=10000%s%s", c_ingest,
		    nx[0] ? "&next=" : "", nx), &r);
		j = e2e_assert_ok(&r, 200);
		json_array_foreach(json_object_get(j, "objects"), k, v) {
			int isnew;
			e2e_map_put(m, json_string_value(json_object_get(v, "id")), &isnew);
			if (!isnew)
				fail_msg("%s is stored twice", json_string_value(json_object_get(v, "id")));
		}
		more = json_is_true(json_object_get(j, "more"));
		if (more)
			e2e_urlenc(json_string_value(json_object_get(j, "next")), nx, sizeof(nx));
		json_decref(j);
		if (!more)
			break;
	}
	e2e_resp_release(&r);
}

/* Byte-compares the objects of one envelope with what the server returns. */
static void
compare_env(const struct env_rec *e)
{
	struct e2e_span *sp;
	long n = e2e_json_array_spans(e->body, e->len, "objects", 0, &sp);
	struct e2e_resp r = { 0 };
	struct e2e_str q = { 0 };
	size_t half, i;

	assert_int_equal(n, PER_ENV);
	for (half = 0; half < 2; half++) {
		const char *want[PER_ENV / 2];

		q.len = 0;
		for (i = 0; i < PER_ENV / 2; i++) {
			e2e_str_addf(&q, "%s%s", i ? "," : "", e->ids[half * (PER_ENV / 2) + i]);
			want[i] = NULL;
		}
		e2e_get(&admin, path(API "/collections/%s/objects/?match[id]=%s", c_ingest, q.s), &r);
		assert_int_equal(r.status, 200);
		{
			char *copies[PER_ENV / 2];
			for (i = 0; i < PER_ENV / 2; i++) {
				const struct e2e_span *s = &sp[half * (PER_ENV / 2) + i];
				copies[i] = strndup(s->s, s->len);
				want[i] = copies[i];
			}
			e2e_assert_objects(&r, want, PER_ENV / 2);
			for (i = 0; i < PER_ENV / 2; i++)
				free(copies[i]);
		}
	}
	/* and one object on its own */
	e2e_get(&admin, path(API "/collections/%s/objects/%s/", c_ingest, e->ids[PER_ENV - 1]), &r);
	assert_int_equal(r.status, 200);
	e2e_str_release(&q);
	free(sp);
	e2e_resp_release(&r);
}

/*
 * After a restart: every acknowledged envelope's status and objects are
 * there; every envelope is all or nothing. Returns the number acknowledged.
 */
static size_t
verify_after_restart(size_t from)
{
	struct e2e_resp r = { 0 };
	struct e2e_map have;
	size_t i, k, acked = 0, partial_present = 0, lost = 0;

	int64_t t0 = e2e_now_ms();

	stored_ids(&have);
	for (i = from; i < n_envs; i++) {
		struct env_rec *e = envs[i];
		size_t present = 0;

		for (k = 0; k < PER_ENV; k++)
			present += e2e_map_get(&have, e->ids[k]) != NULL;
		if (e->acked) {
			acked++;
			if (present != PER_ENV)
				lost++;
			if (present != PER_ENV)
				fprintf(stderr, "envelope %zu (status %s) acknowledged but only %zu of %d objects survived\n",
				    i, e->status_id, present, PER_ENV);
		} else if (present != 0 && present != PER_ENV) {
			partial_present++;
			fprintf(stderr, "envelope %zu was half stored: %zu of %d objects\n", i, present, PER_ENV);
		}
	}
	if (lost)
		fail_msg("%zu acknowledged envelopes lost objects", lost);
	if (partial_present)
		fail_msg("%zu envelopes were stored in part", partial_present);
	/* every acknowledged status resource survived, with the same content */
	for (i = from; i < n_envs; i++) {
		struct env_rec *e = envs[i];
		json_t *st, *succ;

		if (!e->acked)
			continue;
		e2e_get(&admin, path(API "/status/%s/", e->status_id), &r);
		st = e2e_assert_ok(&r, 200);
		e2e_assert_status(st, PER_ENV, PER_ENV, 0);
		succ = json_object_get(st, "successes");
		for (k = 0; k < PER_ENV; k++)
			assert_string_equal(json_string_value(json_object_get(json_array_get(succ, k), "id")), e->ids[k]);
		json_decref(st);
		/* the objects, byte for byte, for a sample of envelopes */
		if (i % 7 == 0)
			compare_env(e);
	}
	fprintf(stderr, "e2e/durability: %zu envelopes (%zu acknowledged) verified in %.1f s\n",
	    n_envs - from, acked, (double)(e2e_now_ms() - t0) / 1000);
	e2e_map_release(&have, NULL);
	e2e_resp_release(&r);
	return acked;
}

static void
test_kill9_during_ingest(void **state)
{
	pthread_t th[N_WRITERS];
	size_t acked, answered = 0, i;

	start_writers(th);
	e2e_sleep_ms(2000);
	e2e_node_kill9(&node);
	join_writers(th);
	for (i = 0; i < n_envs; i++)
		answered += envs[i]->answered;
	fprintf(stderr, "e2e/durability: %zu envelopes sent, %zu answered before kill -9\n", n_envs, answered);
	if (answered < N_WRITERS)
		fail_msg("only %zu envelopes were acknowledged in 2 s: nothing to check", answered);
	e2e_node_start(&node);
	acked = verify_after_restart(0);
	assert_int_equal(acked, answered);
	/* the node takes writes again, and date_added keeps rising past the old ones */
	{
		struct e2e_resp r = { 0 };
		json_t *j, *objs;
		char last_before[64];
		struct env_rec *e = make_env(9, 0);
		e2e_get(&admin, path(API "/collections/%s/manifest/?added_after=2000-01-01T00:00:00Z&limit=1", c_ingest), &r);
		json_decref(e2e_assert_ok(&r, 200));
		/* the last date_added of the whole collection: walk with the header */
		{
			char nx[256] = "";
			for (;;) {
				e2e_get(&admin, path(API "/collections/%s/manifest/?limit=10000%s%s", c_ingest,
				    nx[0] ? "&next=" : "", nx), &r);
				j = e2e_assert_ok(&r, 200);
				snprintf(last_before, sizeof(last_before), "%s", e2e_hdr(&r, "X-TAXII-Date-Added-Last"));
				int more = json_is_true(json_object_get(j, "more"));
				if (more)
					e2e_urlenc(json_string_value(json_object_get(j, "next")), nx, sizeof(nx));
				json_decref(j);
				if (!more)
					break;
			}
		}
		e2e_post(&admin, path(API "/collections/%s/objects/", c_ingest), e->body, e->len, &r);
		j = e2e_assert_ok(&r, 202);
		e2e_assert_status(j, PER_ENV, PER_ENV, 0);
		json_decref(j);
		char aa[96];
		e2e_urlenc(last_before, aa, sizeof(aa));
		e2e_get(&admin, path(API "/collections/%s/manifest/?added_after=%s&limit=10000", c_ingest, aa), &r);
		j = e2e_assert_ok(&r, 200);
		objs = json_object_get(j, "objects");
		assert_int_equal(json_array_size(objs), PER_ENV);
		assert_string_equal(json_string_value(json_object_get(json_array_get(objs, 0), "id")), e->ids[0]);
		json_decref(j);
		free(e->body);
		free(e);
		e2e_resp_release(&r);
	}
}

/* A failed test may leave the node stopped; the next one starts it again. */
static void
ensure_running(void)
{
	if (!e2e_node_alive(&node))
		e2e_node_start(&node);
}

static void
test_next_survives_restart(void **state)
{
	struct e2e_resp r = { 0 };
	char o[1024], id[80], u[37], nx[256], page2[8192] = "";
	const char *objs[1] = { o };
	json_t *j, *st;
	size_t i;
	int logged, rc;

	ensure_running();
	for (i = 0; i < 30; i++) {
		e2e_uuid4(u);
		snprintf(id, sizeof(id), "indicator--%s", u);
		e2e_indicator(o, sizeof(o), id, "stable", 0);
		st = e2e_post_objs(&admin, c_stable, objs, 1);
		json_decref(st);
	}
	e2e_get(&admin, path(API "/collections/%s/objects/?limit=10", c_stable), &r);
	j = e2e_assert_ok(&r, 200);
	e2e_urlenc(json_string_value(json_object_get(j, "next")), nx, sizeof(nx));
	json_decref(j);
	e2e_get(&admin, path(API "/collections/%s/objects/?limit=10&next=%s", c_stable, nx), &r);
	json_decref(e2e_assert_ok(&r, 200));
	snprintf(page2, sizeof(page2), "%s", r.body);

	/*
	 * A clean restart, while this client still holds a keep-alive
	 * connection: the daemon must close it and free it (ASan builds would
	 * exit 23 on a leaked connection).
	 */
	rc = e2e_node_stop(&node, &logged);
	e2e_node_start(&node);
	assert_int_equal(rc, 0);
	assert_true(logged);
	e2e_get(&admin, path(API "/collections/%s/objects/?limit=10&next=%s", c_stable, nx), &r);
	json_decref(e2e_assert_ok(&r, 200));
	if (strcmp(r.body, page2) != 0)
		fail_msg("the page for a pre-restart next token changed:\nbefore: %.300s\nafter:  %.300s", page2, r.body);
	/* and after kill -9 */
	e2e_node_kill9(&node);
	e2e_node_start(&node);
	e2e_get(&admin, path(API "/collections/%s/objects/?limit=10&next=%s", c_stable, nx), &r);
	json_decref(e2e_assert_ok(&r, 200));
	assert_string_equal(r.body, page2);
	e2e_resp_release(&r);
}

static void
test_sigterm_during_ingest(void **state)
{
	pthread_t th[N_WRITERS];
	size_t from = n_envs, acked, answered = 0, i;
	int rc, logged = 0;

	int64_t t0;
	int slow_stop = 0;

	ensure_running();
	start_writers(th);
	e2e_sleep_ms(1500);
	/* the writers keep going while the daemon shuts down, as real clients do */
	t0 = e2e_now_ms();
	e2e_node_signal(&node, SIGTERM);
	rc = e2e_node_wait(&node, 5000, &logged);
	if (rc == -2) {
		/* stop the clients so the daemon can finish, then fail */
		slow_stop = 1;
		stop_writers = 1;
		rc = e2e_node_wait(&node, 120000, &logged);
		if (rc == -2) {
			e2e_node_kill9(&node);
			fail_msg("liaisond did not exit within 125 s of SIGTERM");
		}
	}
	fprintf(stderr, "e2e/durability: exited %.1f s after SIGTERM%s\n", (double)(e2e_now_ms() - t0) / 1000,
	    slow_stop ? " (only once the clients stopped)" : "");
	join_writers(th);
	if (rc != 0 || !logged) {
		e2e_node_start(&node);
		verify_after_restart(from);
		fail_msg("SIGTERM during ingest: exit status %d, stopped event logged: %d", rc, logged);
	}
	for (i = from; i < n_envs; i++)
		answered += envs[i]->answered;
	fprintf(stderr, "e2e/durability: %zu envelopes sent, %zu answered before SIGTERM\n", n_envs - from, answered);
	if (answered < N_WRITERS)
		fail_msg("only %zu envelopes were acknowledged in 1.5 s: nothing to check", answered);
	e2e_node_start(&node);
	acked = verify_after_restart(from);
	assert_int_equal(acked, answered);
	/* the envelopes of the first test are still all there too */
	verify_after_restart(0);
	/*
	 * SIGTERM answers what was received, closes keep-alive connections and
	 * exits promptly, even while clients keep writing.
	 */
	if (slow_stop)
		fail_msg("liaisond did not exit within 5 s of SIGTERM while clients kept writing");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kill9_during_ingest),
		cmocka_unit_test(test_next_survives_restart),
		cmocka_unit_test(test_sigterm_during_ingest),
	};

	return cmocka_run_group_tests_name("e2e/durability", tests, setup, teardown);
}
