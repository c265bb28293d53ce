/*
 * High availability end to end (docs/operations.md): one node as two
 * daemons on one PostgreSQL database. Only with LIAISON_TEST_PG (a server
 * URL without a database; CTest's pg fixture sets it): each node's store
 * is a fresh database there. Checks that exactly one daemon is active,
 * that killing it (kill -9) during a sync to a partner hands the role to
 * the standby within 10 s (printed), with nothing acknowledged lost and
 * the partner seeing every object once, and that both daemons writing to
 * one collection at once leave a date_added order that `next` and
 * added_after page through without skipping or repeating anything.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "e2e.h"

#define OBJS_BEFORE 1500
#define OBJS_AFTER 1500
#define FAILOVER_MAX_MS 10000

static struct e2e_node A1, A2, B;
static struct e2e_client a1c, a2c, bc;
static char a_shared[64], b_from_a[64], b_shared[64], a_from_b[64];
static int64_t t_start;

static int
free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		fail_msg("cannot find a free port");
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

/* A second daemon of n's node: a copy of its home that listens on ports of its own. */
static void
clone_node(struct e2e_node *dst, const struct e2e_node *src)
{
	char cmd[700];

	memset(dst, 0, sizeof(*dst));
	pthread_mutex_init(&dst->mu, NULL);
	pthread_cond_init(&dst->cv, NULL);
	dst->out_fd = -1;
	snprintf(dst->home, sizeof(dst->home), "%s-2", src->home);
	snprintf(dst->name, sizeof(dst->name), "%s", src->name);
	snprintf(cmd, sizeof(cmd), "cp -a %s %s && rm -f %s/liaisond.pid", src->home, dst->home,
	    dst->home);
	assert_int_equal(system(cmd), 0);
	snprintf(dst->cacert, sizeof(dst->cacert), "%s/tls/cert.pem", dst->home);
	snprintf(dst->log_path, sizeof(dst->log_path), "%s.log", dst->home);
	e2e_node_conf(dst, "taxii", "listen", "127.0.0.1:0");
	e2e_node_conf(dst, "peer", "listen", "127.0.0.1:0");
}

static void
admin_client(struct e2e_client *c, struct e2e_node *n, int make)
{
	static const char *const grants[] = { "shared:rw", NULL };

	if (make)
		e2e_user_add(n, "admin", "correct horse battery", 1, grants);
	e2e_client_init(c, n);
	e2e_client_basic(c, n, "admin", "correct horse battery");
}

/* "active" events in n's log so far. */
static size_t
actives(const struct e2e_node *n)
{
	static const char *const needle[] = { "\"event\":\"active\"", NULL };

	return e2e_log_count(n, needle);
}

static int
setup(void **state)
{
	char ep[64], ep2[64], doc[400], port[32];
	char *out = NULL, *err = NULL;
	int pa = free_port(), pp = free_port(), pp2 = free_port();

	if (getenv("LIAISON_TEST_PG") == NULL || getenv("LIAISON_TEST_PG")[0] == '\0')
		return 0;
	t_start = e2e_now_ms();
	e2e_node_init_linked(&A1, "ha-a");
	e2e_node_init_linked(&B, "ha-b");
	/* A's first daemon on fixed ports, so B's endpoint for it stays right */
	snprintf(port, sizeof(port), "127.0.0.1:%d", pa);
	e2e_node_conf(&A1, "taxii", "listen", port);
	snprintf(port, sizeof(port), "127.0.0.1:%d", pp);
	e2e_node_conf(&A1, "peer", "listen", port);
	admin_client(&a1c, &A1, 1);
	e2e_node_start(&B);
	e2e_node_pin_ports(&B);
	admin_client(&bc, &B, 1);
	json_decref(e2e_pair(&A1, &B, NULL));
	snprintf(doc, sizeof(doc), "%s.identity.json", A1.home);
	e2e_identity_export(&A1, doc);
	/* B knows both of A's daemons, in order */
	snprintf(ep, sizeof(ep), "https://127.0.0.1:%d", pp);
	snprintf(ep2, sizeof(ep2), "https://127.0.0.1:%d", pp2);
	if (e2e_liaison(&B, NULL, &out, &err, "partner", "add", doc, "--endpoint", ep, "--endpoint",
	    ep2, "--yes", NULL) != 0)
		fail_msg("B could not pair with A: %s", err ? err : "");
	free(out);
	free(err);
	clone_node(&A2, &A1);
	snprintf(port, sizeof(port), "127.0.0.1:%d", pp2);
	e2e_node_conf(&A2, "peer", "listen", port);
	e2e_coll_id(&B, "shared", b_shared);
	e2e_coll_id(&A1, "from-ha-b", a_from_b);
	e2e_coll_id(&A1, "shared", a_shared);
	e2e_coll_id(&B, "from-ha-a", b_from_a);
	return 0;
}

static int
teardown(void **state)
{
	if (getenv("LIAISON_TEST_PG") == NULL || getenv("LIAISON_TEST_PG")[0] == '\0')
		return 0;
	e2e_client_release(&a1c);
	e2e_client_release(&a2c);
	e2e_client_release(&bc);
	/* A2 first: A1's database goes with A1, and A2 must not see it go */
	e2e_node_destroy(&A2);
	e2e_node_destroy(&A1);
	e2e_node_destroy(&B);
	return 0;
}

static void
need_pg(void)
{
	if (getenv("LIAISON_TEST_PG") == NULL || getenv("LIAISON_TEST_PG")[0] == '\0') {
		fprintf(stderr, "e2e/ha: LIAISON_TEST_PG is not set: the high-availability tests "
		    "need a PostgreSQL server (ctest runs them as e2e/ha@pg)\n");
		skip();
	}
}

static char **
indicators(size_t n, const char *tag)
{
	char **v = calloc(n, sizeof(*v)), u[37], id[64], name[96], o[1024];
	size_t i;

	for (i = 0; i < n; i++) {
		e2e_uuid4(u);
		snprintf(id, sizeof(id), "indicator--%s", u);
		snprintf(name, sizeof(name), "%s-%zu", tag, i);
		e2e_indicator(o, sizeof(o), id, name, (int64_t)(i % 1000));
		v[i] = strdup(o);
	}
	return v;
}

static void
post_all(struct e2e_client *c, char **objs, size_t n)
{
	size_t i, k;

	for (i = 0; i < n; i += k) {
		json_t *st;

		k = n - i < 100 ? n - i : 100;
		st = e2e_post_objs(c, a_shared, (const char *const *)objs + i, k);
		e2e_assert_status(st, k, k, 0);
		json_decref(st);
	}
}

/* Exactly one daemon of A is active; status says so from either home. */
static void
test_one_active(void **state)
{
	json_t *st;
	size_t i, n_active = 0;

	need_pg();
	e2e_node_start(&A1);
	if (actives(&A1) == 0) {
		static const char *const needle[] = { "\"event\":\"active\"", NULL };
		if (e2e_log_wait(&A1, needle, 1, 10000) < 1)
			fail_msg("A's only daemon did not become active within 10 s");
	}
	e2e_node_start(&A2);
	admin_client(&a2c, &A2, 0);
	e2e_sleep_ms(2000);
	if (actives(&A2) != 0)
		fail_msg("the second daemon became active while the first holds the lease");
	st = e2e_liaison_json(&A2, "status", NULL);
	assert_string_equal(e2e_jstr(st, "role"), "standby");
	for (i = 0; i < json_array_size(json_object_get(st, "daemons")); i++) {
		json_t *d = json_array_get(json_object_get(st, "daemons"), i);
		n_active += strcmp(e2e_jstr(d, "role"), "active") == 0;
		if (e2e_jint(d, "heartbeat_age_ms") > 5000)
			fail_msg("daemon %s's heartbeat is %lld ms old", e2e_jstr(d, "name"),
			    e2e_jint(d, "heartbeat_age_ms"));
	}
	assert_int_equal(json_array_size(json_object_get(st, "daemons")), 2);
	assert_int_equal(n_active, 1);
	if (strstr(json_dumps(st, JSON_COMPACT), "postgres") == NULL)
		fail_msg("status does not name the PostgreSQL store");
	json_decref(st);
	st = e2e_liaison_json(&A1, "status", NULL);
	assert_string_equal(e2e_jstr(st, "role"), "active");
	assert_true(e2e_jint(st, "epoch") >= 1);
	json_decref(st);
}

struct seen {
	struct e2e_map m;
	size_t dups;
};

static void
on_obj(void *arg, const char *s, size_t len)
{
	struct seen *sn = arg;
	json_t *o = json_loadb(s, len, 0, NULL);
	char key[400];
	int isnew;

	assert_non_null(o);
	e2e_version_key(o, key, sizeof(key));
	json_decref(o);
	e2e_map_put(&sn->m, key, &isnew);
	sn->dups += !isnew;
}

/* Waits until B holds want versions from A; then each once. */
static void
wait_at_b(size_t want, int timeout_s)
{
	int64_t dl = e2e_now_ms() + (int64_t)timeout_s * 1000;
	struct seen sn = { 0 };
	size_t n;

	while ((n = e2e_count(&bc, b_from_a)) < want && e2e_now_ms() < dl)
		e2e_sleep_ms(250);
	if (n != want)
		fail_msg("B holds %zu versions from A after %d s, want %zu", n, timeout_s, want);
	e2e_map_init(&sn.m);
	assert_int_equal(e2e_walk_objects(&bc, b_from_a, 1000, on_obj, &sn), want);
	assert_int_equal(sn.dups, 0);
}

static void
log_verify(struct e2e_node *n)
{
	char *out = NULL, *err = NULL;
	int rc = e2e_liaison(n, NULL, &out, &err, "log", "verify", NULL);

	if (rc != 0)
		fail_msg("liaison log verify on %s exited %d: %s %s", n->home, rc, out ? out : "",
		    err ? err : "");
	free(out);
	free(err);
}

/* kill -9 of the active during a sync: the standby takes over, nothing is lost. */
static void
test_failover_during_sync(void **state)
{
	static const char *const needle[] = { "\"event\":\"active\"", NULL };
	char **before, **after;
	json_t *pa, *pb;
	int64_t t_kill, t_active;
	size_t i;

	need_pg();
	before = indicators(OBJS_BEFORE, "before");
	after = indicators(OBJS_AFTER, "after");
	post_all(&a1c, before, OBJS_BEFORE);
	/* the sync to B is under way: kill the active daemon now */
	e2e_node_kill9(&A1);
	t_kill = e2e_now_ms();
	if (e2e_log_wait(&A2, needle, 1, FAILOVER_MAX_MS + 5000) < 1)
		fail_msg("the standby did not become active within %d s of the kill",
		    (FAILOVER_MAX_MS + 5000) / 1000);
	t_active = e2e_now_ms();
	fprintf(stderr, "e2e/ha: failover took %lld ms (kill -9 of the active to the standby's "
	    "\"active\" event)\n", (long long)(t_active - t_kill));
	if (t_active - t_kill > FAILOVER_MAX_MS)
		fail_msg("failover took %lld ms, more than %d", (long long)(t_active - t_kill),
		    FAILOVER_MAX_MS);
	post_all(&a2c, after, OBJS_AFTER);
	wait_at_b(OBJS_BEFORE + OBJS_AFTER, 120);
	/* no gap, no duplicate: what B accepted is what A sent, seq for seq */
	pa = e2e_partner(&A2, "ha-b");
	pb = e2e_partner(&B, "ha-a");
	if (e2e_jint(pa, "envelopes_out") != e2e_jint(pb, "envelopes_in") ||
	    e2e_jint(pa, "queued") != 0)
		fail_msg("A sent %lld envelopes (%lld queued), B accepted %lld",
		    e2e_jint(pa, "envelopes_out"), e2e_jint(pa, "queued"), e2e_jint(pb, "envelopes_in"));
	json_decref(pa);
	json_decref(pb);
	/* B -> A: the old active's endpoint is dead, the new one's answers */
	{
		char **back = indicators(200, "b-to-a");
		int64_t dl = e2e_now_ms() + 60000;
		size_t n = 0, k;

		for (k = 0; k < 200; k += 100) {
			json_t *st = e2e_post_objs(&bc, b_shared, (const char *const *)back + k, 100);
			e2e_assert_status(st, 100, 100, 0);
			json_decref(st);
		}
		while ((n = e2e_count(&a2c, a_from_b)) < 200 && e2e_now_ms() < dl)
			e2e_sleep_ms(250);
		if (n != 200)
			fail_msg("A's new active holds %zu of the 200 objects B shared after the failover",
			    n);
		for (k = 0; k < 200; k++)
			free(back[k]);
		free(back);
	}
	log_verify(&A2);
	log_verify(&B);
	for (i = 0; i < OBJS_BEFORE; i++)
		free(before[i]);
	for (i = 0; i < OBJS_AFTER; i++)
		free(after[i]);
	free(before);
	free(after);
}

struct poster {
	struct e2e_client *c;
	char **objs;
	size_t n;
};

static void *
poster(void *arg)
{
	struct poster *p = arg;

	post_all(p->c, p->objs, p->n);
	return NULL;
}

struct order {
	struct e2e_map m;
	size_t n, dups, backwards;
	char last[64];
};

/* Pages through shared with limit and next, checking date_added rises page to page. */
static size_t
page_all(struct e2e_client *c, const char *added_after, struct order *o)
{
	char next[512] = "";
	size_t pages = 0;

	for (;;) {
		struct e2e_resp r = { 0 };
		json_t *j, *objs, *ob;
		size_t i;

		e2e_get(c, e2e_path(API "/collections/%s/objects/?limit=700%s%s%s%s", a_shared,
		    next[0] ? "&next=" : "", next, added_after ? "&added_after=" : "",
		    added_after ? added_after : ""), &r);
		j = e2e_assert_ok(&r, 200);
		objs = json_object_get(j, "objects");
		json_array_foreach(objs, i, ob) {
			char key[400];
			int isnew;
			e2e_version_key(ob, key, sizeof(key));
			e2e_map_put(&o->m, key, &isnew);
			o->dups += !isnew;
			o->n++;
		}
		if (e2e_hdr(&r, "X-TAXII-Date-Added-Last") != NULL) {
			if (o->last[0] && strcmp(e2e_hdr(&r, "X-TAXII-Date-Added-Last"), o->last) <= 0)
				o->backwards++;
			snprintf(o->last, sizeof(o->last), "%s", e2e_hdr(&r, "X-TAXII-Date-Added-Last"));
		}
		pages++;
		if (!json_is_true(json_object_get(j, "more"))) {
			json_decref(j);
			e2e_resp_release(&r);
			return pages;
		}
		snprintf(next, sizeof(next), "%s", e2e_jstr(j, "next"));
		json_decref(j);
		e2e_resp_release(&r);
	}
}

/* Both daemons write to one collection at once; readers see each version once, in order. */
static void
test_both_write(void **state)
{
	char **x, **y;
	struct poster p1, p2;
	struct order o = { 0 };
	pthread_t t1, t2;
	size_t before, i;

	need_pg();
	x = indicators(2000, "via-a1");
	y = indicators(2000, "via-a2");
	/* A1 was killed: start it again, as a standby of the node */
	e2e_node_start(&A1);
	e2e_client_release(&a1c);
	admin_client(&a1c, &A1, 0);
	before = e2e_count(&a1c, a_shared);
	p1 = (struct poster){ &a1c, x, 2000 };
	p2 = (struct poster){ &a2c, y, 2000 };
	pthread_create(&t1, NULL, poster, &p1);
	pthread_create(&t2, NULL, poster, &p2);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	e2e_map_init(&o.m);
	page_all(&a1c, NULL, &o);
	assert_int_equal(o.dups, 0);
	assert_int_equal(o.backwards, 0);
	assert_int_equal(o.n, before + 4000);
	for (i = 0; i < 2000; i++) {
		free(x[i]);
		free(y[i]);
	}
	free(x);
	free(y);
	fprintf(stderr, "e2e/ha: %zu versions paged with next, each once, in date_added order "
	    "(%.1f s since the start)\n", o.n, (double)(e2e_now_ms() - t_start) / 1000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_active),
		cmocka_unit_test(test_failover_during_sync),
		cmocka_unit_test(test_both_write),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
