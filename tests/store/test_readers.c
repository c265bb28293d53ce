/*
 * The read pool (store/readers.h): its threads read at once, each on its own
 * connection; a read sees every commit made before it was queued; freeing
 * the pool runs every queued job first. Runs on SQLite and, as
 * store/test_readers@pg, on PostgreSQL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "scratch.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/readers.h"
#include "store/store.h"
#include "util/err.h"

#define NREADERS 3

struct fx {
	char dir[SCRATCH_DIR_MAX];
	char path[SCRATCH_PATH_MAX];
	struct store *s;
	struct readers *r;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int arrived;                  /* jobs inside run at once, for the barrier */
	int done;
	int wait_for;                 /* run waits until this many arrived (0: no wait) */
};

struct job {
	struct reader_job job;
	struct fx *f;
	struct store *on;             /* the connection it ran on */
	char value[64];
	int rc, timed_out;
};

static void
set_meta(struct store *s, const char *v)
{
	struct err err = ERR_INIT;

	assert_int_equal(store_begin(s, &err), 0);
	assert_int_equal(store_meta_set(s, "k", v, &err), 0);
	assert_int_equal(store_commit(s, &err), 0);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct store *s[NREADERS];
	struct err err = ERR_INIT;
	int i;

	scratch_store_open("readers", f->dir, f->path, &f->s);
	set_meta(f->s, "1");
	for (i = 0; i < NREADERS; i++)
		if (store_open(f->path, 0, &s[i], &err) != 0)
			fail_msg("store_open: %s", err.msg);
	assert_int_equal(readers_new(s, NREADERS, &f->r, &err), 0);
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	readers_free(f->r);
	pthread_mutex_destroy(&f->mu);
	pthread_cond_destroy(&f->cv);
	scratch_store_remove(f->s, f->dir);
	free(f);
	return 0;
}

static int
job_run(struct store *s, struct reader_job *rj)
{
	struct job *j = (struct job *)rj;
	struct fx *f = j->f;
	struct timespec until;

	j->on = s;
	pthread_mutex_lock(&f->mu);
	f->arrived++;
	pthread_cond_broadcast(&f->cv);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	while (f->wait_for > 0 && f->arrived < f->wait_for && !j->timed_out)
		j->timed_out = pthread_cond_timedwait(&f->cv, &f->mu, &until) != 0;
	pthread_mutex_unlock(&f->mu);
	return store_meta_get(s, "k", j->value, sizeof(j->value), &rj->err);
}

static void
job_done(struct reader_job *rj, int rc)
{
	struct job *j = (struct job *)rj;

	j->rc = rc;
	pthread_mutex_lock(&j->f->mu);
	j->f->done++;
	pthread_cond_broadcast(&j->f->cv);
	pthread_mutex_unlock(&j->f->mu);
}

static void
wait_done(struct fx *f, int n)
{
	pthread_mutex_lock(&f->mu);
	while (f->done < n)
		pthread_cond_wait(&f->cv, &f->mu);
	pthread_mutex_unlock(&f->mu);
}

static void
submit(struct fx *f, struct job *j)
{
	j->f = f;
	j->job.run = job_run;
	j->job.done = job_done;
	readers_submit(f->r, &j->job);
}

/* NREADERS jobs that each wait for all the others can only finish if they run at once. */
static void
test_concurrent(void **state)
{
	struct fx *f = *state;
	struct job j[NREADERS] = { 0 };
	struct readers_stats st;
	int i, k;

	f->wait_for = NREADERS;
	for (i = 0; i < NREADERS; i++)
		submit(f, &j[i]);
	wait_done(f, NREADERS);
	for (i = 0; i < NREADERS; i++) {
		assert_false(j[i].timed_out);
		assert_int_equal(j[i].rc, 0);
		assert_string_equal(j[i].value, "1");
		for (k = 0; k < i; k++)
			assert_ptr_not_equal(j[i].on, j[k].on);
	}
	readers_get_stats(f->r, &st);
	assert_int_equal(st.threads, NREADERS);
	assert_int_equal(st.jobs, NREADERS);
	assert_int_equal(st.failed, 0);
	assert_int_equal(st.queued + st.busy, 0);
}

/* A commit made before a job is queued is seen by it, on every connection. */
static void
test_sees_commits(void **state)
{
	struct fx *f = *state;
	struct job j[3 * NREADERS] = { 0 };
	char v[16];
	int round, i;

	for (round = 0; round < 3; round++) {
		snprintf(v, sizeof(v), "v%d", round);
		set_meta(f->s, v);
		for (i = 0; i < NREADERS; i++)
			submit(f, &j[round * NREADERS + i]);
		wait_done(f, (round + 1) * NREADERS);
		for (i = 0; i < NREADERS; i++)
			assert_string_equal(j[round * NREADERS + i].value, v);
	}
}

/* A failed read reaches done with its error, and is counted. */
static int
fail_run(struct store *s, struct reader_job *rj)
{
	return store_meta_get(s, "no such key", ((struct job *)rj)->value, 64, &rj->err);
}

static void
test_failure(void **state)
{
	struct fx *f = *state;
	struct job j = { 0 };
	struct readers_stats st;

	j.f = f;
	j.job.run = fail_run;
	j.job.done = job_done;
	readers_submit(f->r, &j.job);
	wait_done(f, 1);
	assert_int_equal(j.rc, -LSN_ENOTFOUND);
	assert_non_null(strstr(j.job.err.msg, "no such key"));
	readers_get_stats(f->r, &st);
	assert_int_equal(st.failed, 1);
}

/* readers_free runs what is queued before it stops. */
static void
test_free_drains(void **state)
{
	struct fx *f = *state;
	static struct job j[200];
	int i;

	memset(j, 0, sizeof(j));
	for (i = 0; i < 200; i++)
		submit(f, &j[i]);
	readers_free(f->r);
	f->r = NULL;
	assert_int_equal(f->done, 200);
	for (i = 0; i < 200; i++)
		assert_string_equal(j[i].value, "1");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_concurrent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sees_commits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_drains, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
