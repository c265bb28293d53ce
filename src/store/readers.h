/*
 * Read connections off the loop: a few threads, each owning a connection
 * to the store, that run read jobs from one queue. For a backend whose
 * reads wait a network round trip (postgres), so that the round trips of
 * many requests overlap instead of queueing on the loop thread; SQLite's
 * reads answer in microseconds and stay on the loop (DESIGN §4).
 *
 * A job's `run` executes on a reader thread, outside any transaction of
 * the caller: each of its statements sees every commit made before it was
 * sent, so a read never misses a write acknowledged before the request.
 * `done` follows on the same thread and must only hand the result back to
 * its owner (e.g. http_server_defer); it must not block.
 */
#ifndef LSN_STORE_READERS_H
#define LSN_STORE_READERS_H

#include <stddef.h>

#include "util/err.h"

struct store;

struct reader_job {
	struct reader_job *next;        /* queue link, owned by the pool */
	/* On a reader thread; returns 0 or -LSN_E* with job->err filled. */
	int (*run)(struct store *s, struct reader_job *job);
	void (*done)(struct reader_job *job, int rc);
	struct err err;
};

struct readers;

/*
 * Starts one thread per store in s[0..n-1], which the pool then owns
 * (closed by readers_free, also on failure). n is at least 1.
 */
int readers_new(struct store **s, size_t n, struct readers **ret, struct err *err);
/* Queues a job; never blocks on I/O. */
void readers_submit(struct readers *r, struct reader_job *job);
/* Runs every queued job, stops the threads, closes the stores. */
void readers_free(struct readers *r);

struct readers_stats {
	unsigned long long jobs, failed;
	size_t threads, queued, busy;
};
void readers_get_stats(struct readers *r, struct readers_stats *ret);

#endif
