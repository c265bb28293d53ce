/*
 * The single writer: one thread owns the write connection and drains a queue
 * of jobs into one transaction per batch (group commit), so many requests
 * share one fsync. A job's `run` executes inside its own savepoint (a failed
 * job rolls back alone); `done` is called on the writer thread after the
 * batch committed (or failed) and must only hand the result back to its
 * owner (e.g. wake an event loop); it must not block.
 */
#ifndef LSN_STORE_WRITER_H
#define LSN_STORE_WRITER_H

#include <stddef.h>

#include "util/err.h"

struct store;

struct writer_job {
	struct writer_job *next;        /* queue link, owned by the writer */
	/* Inside the transaction; returns 0 or -LSN_E* with job->err filled. */
	int (*run)(struct store *s, struct writer_job *job);
	/* After commit: rc is run's result, or the commit's failure. */
	void (*done)(struct writer_job *job, int rc);
	size_t weight;                  /* items in the job (objects), for batch sizing */
	int rc;                         /* result handed to done */
	struct err err;
};

struct writer;

/*
 * Starts the thread on an open store it then owns (closed by writer_free).
 * ckpt, if not NULL, is a second connection to the same store, also owned:
 * a thread of its own then checkpoints the write-ahead log, so commits never
 * wait for the database file to be written.
 */
int writer_new(struct store *s, struct store *ckpt, size_t batch_max, struct writer **ret,
    struct err *err);
/* Queues a job; never blocks on I/O. */
void writer_submit(struct writer *w, struct writer_job *job);
/* Finishes every queued job, stops the thread, closes the store. */
void writer_free(struct writer *w);

struct writer_stats {
	unsigned long long batches, jobs, items, failed_commits, checkpoints;
};
void writer_get_stats(struct writer *w, struct writer_stats *ret);

#endif
