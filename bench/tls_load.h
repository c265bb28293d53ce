/*
 * A closed-loop load generator: N keep-alive TLS 1.3 connections driven by
 * one thread with epoll, the way wrk drives them. Each connection sends one
 * GET, waits for the whole answer, checks it, and sends the next one. It
 * takes far less of the machine than one blocking libcurl thread per
 * connection, so on a machine the daemon shares it measures the daemon more
 * than itself (docs/benchmarks.md, "Load generator").
 */
#ifndef LSN_BENCH_TLS_LOAD_H
#define LSN_BENCH_TLS_LOAD_H

#include "bench_util.h"

struct tls_load {
	const char *url;              /* https://HOST:PORT/...: only host and port are used */
	const char *cacert;           /* the daemon's certificate (chain and IP/host checked) */
	const char *token;            /* sent as "Authorization: Bearer" */
	long conns;
	double seconds;
	/*
	 * The next request of connection `conn`: writes its path (absolute, with
	 * the query) into path and returns a string the answer's body must hold.
	 */
	const char *(*next)(void *arg, long conn, char *path, size_t cap);
	void *arg;
};

struct tls_load_result {
	struct samples lat;           /* one sample per answer, in ms, unsorted */
	long requests;                /* answers received in the timed window */
	long errors;                  /* answers that were not 200 or lacked the string */
	double secs;                  /* length of the timed window */
};

/*
 * Connects every connection, sends each one request untimed (warm-up), then
 * runs for cfg->seconds. Dies on any transport error or malformed answer.
 */
void tls_load_run(const struct tls_load *cfg, struct tls_load_result *out);

#endif
