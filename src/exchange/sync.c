/*
 * How a link thread waits: for a writer job to commit (ex_write_sync), or
 * on its link's condition variable for a while (link_wait_ms); and how the
 * exchange waits for the jobs nobody waits for (ex_async_*). Beneath the
 * threads that use it; takes ex->mu only for the count of those jobs.
 */
#include "exchange/exchange_int.h"

#include <time.h>

static void
sync_done(struct writer_job *job, int rc)
{
	struct ex_sync *s = (struct ex_sync *)job;

	pthread_mutex_lock(&s->mu);
	s->finished = 1;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

int
ex_write_sync(struct exchange *ex, struct ex_sync *s)
{
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	s->finished = 0;
	s->job.done = sync_done;
	writer_submit(ex->cfg.w, &s->job);
	pthread_mutex_lock(&s->mu);
	while (!s->finished)
		pthread_cond_wait(&s->cv, &s->mu);
	pthread_mutex_unlock(&s->mu);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	return s->job.rc;
}

void
link_wait_ms(struct link *l, int ms)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000L;
	until.tv_sec += until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	pthread_cond_timedwait(&l->cv, &l->mu, &until);
}

void
ex_async_submit(struct exchange *ex, struct writer_job *job)
{
	pthread_mutex_lock(&ex->mu);
	ex->async_jobs++;
	pthread_mutex_unlock(&ex->mu);
	writer_submit(ex->cfg.w, job);
}

void
ex_async_finished(struct exchange *ex)
{
	pthread_mutex_lock(&ex->mu);
	ex->async_jobs--;
	pthread_cond_broadcast(&ex->async_cv);
	pthread_mutex_unlock(&ex->mu);  /* ex may be freed from here on */
}

void
ex_async_drain(struct exchange *ex)
{
	pthread_mutex_lock(&ex->mu);
	while (ex->async_jobs > 0)
		pthread_cond_wait(&ex->async_cv, &ex->mu);
	pthread_mutex_unlock(&ex->mu);
}
