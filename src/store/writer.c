/*
 * Group commit. The queue is drained whole: while one batch is being
 * committed, the next accumulates, so batches grow with load and latency
 * stays one fsync when idle. No job is acknowledged before its commit.
 */
#include "store/writer.h"
#include "store/store.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#define CKPT_INTERVAL_MS 200

struct writer {
	struct store *s;
	struct store *ckpt;           /* NULL: the writer's commits checkpoint */
	size_t batch_max;
	pthread_t thread, ckpt_thread;
	pthread_cond_t ckpt_cv;
	unsigned long long dirty;     /* commits since the last checkpoint */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct writer_job *head, **tail;
	int stopping;
	struct writer_stats stats;
};

static struct writer_job *
take_batch(struct writer *w)
{
	struct writer_job *first, *j, *prev = NULL;
	size_t weight = 0;

	first = w->head;
	for (j = first; j != NULL; prev = j, j = j->next) {
		weight += j->weight ? j->weight : 1;
		if (weight >= w->batch_max && j != first) /* keep at least one job */
			break;
	}
	if (prev != NULL && j != NULL) {
		prev->next = NULL;
		w->head = j;
	} else {
		w->head = NULL;
		w->tail = &w->head;
	}
	return first;
}

static void
run_batch(struct writer *w, struct writer_job *batch)
{
	struct err cerr = ERR_INIT;
	struct writer_job *j, *next;
	size_t jobs = 0, items = 0;
	int crc;

	crc = store_begin(w->s, &cerr);
	for (j = batch; crc == 0 && j != NULL; j = j->next) {
		err_clear(&j->err);
		j->rc = store_savepoint(w->s, &j->err);
		if (j->rc == 0) {
			j->rc = j->run(w->s, j);
			/* A failed job rolls back to its savepoint; the batch goes on. */
			crc = store_savepoint_release(w->s, j->rc == 0, &cerr);
		}
		jobs++;
		items += j->weight;
	}
	if (crc == 0)
		crc = store_commit(w->s, &cerr);
	if (crc < 0) {
		store_rollback(w->s);
		for (j = batch; j != NULL; j = j->next) {
			j->rc = crc;
			j->err = cerr;
		}
	}
	pthread_mutex_lock(&w->mu);
	w->stats.batches++;
	w->stats.jobs += jobs;
	w->stats.items += items;
	w->stats.failed_commits += crc < 0;
	w->dirty += crc == 0;
	pthread_mutex_unlock(&w->mu);
	for (j = batch; j != NULL; j = next) {
		next = j->next;
		j->done(j, j->rc);
	}
}

static void *
writer_main(void *arg)
{
	struct writer *w = arg;
	struct writer_job *batch;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (w->head == NULL && !w->stopping)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->head == NULL && w->stopping)
			break;
		batch = take_batch(w);
		pthread_mutex_unlock(&w->mu);
		run_batch(w, batch);
		pthread_mutex_lock(&w->mu);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* Checkpoints at most every CKPT_INTERVAL_MS while commits keep coming. */
static void *
ckpt_main(void *arg)
{
	struct writer *w = arg;
	struct err err = ERR_INIT;
	struct timespec until;

	pthread_mutex_lock(&w->mu);
	while (!w->stopping) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += CKPT_INTERVAL_MS * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&w->ckpt_cv, &w->mu, &until);
		if (w->dirty == 0)
			continue;
		w->dirty = 0;
		pthread_mutex_unlock(&w->mu);
		store_checkpoint(w->ckpt, &err);
		pthread_mutex_lock(&w->mu);
		w->stats.checkpoints++;
	}
	pthread_mutex_unlock(&w->mu);
	store_checkpoint(w->ckpt, &err);
	return NULL;
}

int
writer_new(struct store *s, struct store *ckpt, size_t batch_max, struct writer **ret,
    struct err *err)
{
	struct writer *w = calloc(1, sizeof(*w));
	int r;

	if (w == NULL)
		return err_set(err, LSN_ENOMEM, "writer: out of memory");
	w->s = s;
	w->ckpt = ckpt;
	w->batch_max = batch_max ? batch_max : 4096;
	w->tail = &w->head;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	pthread_cond_init(&w->ckpt_cv, NULL);
	if (ckpt != NULL && (r = store_autocheckpoint(s, 0, err)) < 0)
		goto fail;
	if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
		r = err_set(err, LSN_EIO, "writer: cannot start the writer thread");
		goto fail;
	}
	if (ckpt != NULL && pthread_create(&w->ckpt_thread, NULL, ckpt_main, w) != 0) {
		/* commits checkpoint again, as without a second connection */
		store_autocheckpoint(s, 1000, NULL);
		store_close(ckpt);
		w->ckpt = NULL;
	}
	*ret = w;
	return 0;
fail:
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	pthread_cond_destroy(&w->ckpt_cv);
	free(w);
	return r;
}

void
writer_submit(struct writer *w, struct writer_job *job)
{
	job->next = NULL;
	pthread_mutex_lock(&w->mu);
	*w->tail = job;
	w->tail = &job->next;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

void
writer_free(struct writer *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->stopping = 1;
	pthread_cond_signal(&w->cv);
	pthread_cond_signal(&w->ckpt_cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	if (w->ckpt != NULL) {
		pthread_join(w->ckpt_thread, NULL);
		store_close(w->ckpt);
	}
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	pthread_cond_destroy(&w->ckpt_cv);
	store_close(w->s);
	free(w);
}

void
writer_get_stats(struct writer *w, struct writer_stats *ret)
{
	pthread_mutex_lock(&w->mu);
	*ret = w->stats;
	pthread_mutex_unlock(&w->mu);
}
