/*
 * The read pool. One mutex guards the queue; an idle thread sleeps on the
 * condition variable and the first free one takes the next job, so a slow
 * read holds one connection and the others go on.
 */
#include "store/readers.h"
#include "store/store.h"

#include <pthread.h>
#include <stdlib.h>

struct reader_thread {
	struct readers *pool;
	struct store *s;
	pthread_t thread;
	int started;
};

struct readers {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct reader_job *head, **tail;
	int stopping;
	size_t n;
	struct reader_thread *th;
	struct readers_stats stats;
};

static void *
reader_main(void *arg)
{
	struct reader_thread *rt = arg;
	struct readers *r = rt->pool;
	struct reader_job *j;
	int rc;

	pthread_mutex_lock(&r->mu);
	for (;;) {
		while (r->head == NULL && !r->stopping)
			pthread_cond_wait(&r->cv, &r->mu);
		if (r->head == NULL)
			break;
		j = r->head;
		r->head = j->next;
		if (r->head == NULL)
			r->tail = &r->head;
		r->stats.queued--;
		r->stats.busy++;
		pthread_mutex_unlock(&r->mu);
		err_clear(&j->err);
		rc = j->run(rt->s, j);
		pthread_mutex_lock(&r->mu);
		r->stats.busy--;
		r->stats.jobs++;
		r->stats.failed += rc < 0;
		pthread_mutex_unlock(&r->mu);
		j->done(j, rc);         /* j may be gone after this */
		pthread_mutex_lock(&r->mu);
	}
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

static void
stop_all(struct readers *r)
{
	size_t i;

	pthread_mutex_lock(&r->mu);
	r->stopping = 1;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	for (i = 0; i < r->n; i++) {
		if (r->th[i].started)
			pthread_join(r->th[i].thread, NULL);
		store_close(r->th[i].s);
	}
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv);
	free(r->th);
	free(r);
}

int
readers_new(struct store **s, size_t n, struct readers **ret, struct err *err)
{
	struct readers *r = calloc(1, sizeof(*r));
	size_t i;

	if (r == NULL || n == 0 || (r->th = calloc(n, sizeof(*r->th))) == NULL) {
		free(r);
		for (i = 0; i < n; i++)
			store_close(s[i]);
		return err_set(err, n == 0 ? LSN_EINVAL : LSN_ENOMEM,
		    n == 0 ? "readers: no connection to read with" : "readers: out of memory");
	}
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	r->tail = &r->head;
	r->n = n;
	r->stats.threads = n;
	for (i = 0; i < n; i++) {
		r->th[i].pool = r;
		r->th[i].s = s[i];
	}
	for (i = 0; i < n; i++) {
		if (pthread_create(&r->th[i].thread, NULL, reader_main, &r->th[i]) != 0) {
			stop_all(r);
			return err_set(err, LSN_EIO, "readers: cannot start reader thread %zu", i + 1);
		}
		r->th[i].started = 1;
	}
	*ret = r;
	return 0;
}

void
readers_submit(struct readers *r, struct reader_job *job)
{
	job->next = NULL;
	pthread_mutex_lock(&r->mu);
	*r->tail = job;
	r->tail = &job->next;
	r->stats.queued++;
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

void
readers_free(struct readers *r)
{
	if (r != NULL)
		stop_all(r);
}

void
readers_get_stats(struct readers *r, struct readers_stats *ret)
{
	pthread_mutex_lock(&r->mu);
	*ret = r->stats;
	pthread_mutex_unlock(&r->mu);
}
