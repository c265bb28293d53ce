/*
 * Helpers shared by the benchmark programs (taxii_bench, peer_bench). Every
 * failure is fatal (die): a benchmark that went wrong must not print a
 * figure. Nothing here measures or talks to a store.
 */
#ifndef LSN_BENCH_UTIL_H
#define LSN_BENCH_UTIL_H

#include <curl/curl.h>
#include <stddef.h>

#define TAXII_MEDIA "application/taxii+json;version=2.1"
#define TLP_GREEN "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"

/* Prints "PROGRAM: message" on stderr and exits 1. */
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void *xmalloc(size_t n);
void *xrealloc(void *p, size_t n);
/* The value of option --name: an integer in [lo, hi], or die naming the option. */
long num_arg(const char *name, const char *v, long lo, long hi);
double now_s(void);                   /* CLOCK_MONOTONIC, seconds */
/* The CPU's model name from /proc/cpuinfo (quotes and backslashes made safe for JSON). */
const char *cpu_model(void);
/* The three load averages, "1.23 0.98 0.50" ("0.00 0.00 0.00" if unreadable). */
void bench_loadavg(char out[64]);
/* Ends a figure's JSON line with the machine: cores, CPU, load before and now. */
void bench_print_machine(const char *load_before);
double cpu_s(void);                   /* CPU seconds of this process, all threads */

/* A growable byte buffer, always NUL-terminated; {0} is empty. */
struct sbuf {
	char *data;
	size_t len, cap;
};
void sb_add(struct sbuf *b, const void *p, size_t n);
void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The whole of a file ("-": standard input); NAME.xz is read through `xz -dc`. */
void read_input(const char *path, struct sbuf *out);

/* Latency samples in milliseconds. */
struct samples {
	double *v;
	size_t n, cap;
};
void samples_add(struct samples *s, double ms);
void samples_merge(struct samples *dst, const struct samples *src);
void samples_sort(struct samples *s);
/* Nearest-rank percentile of sorted samples; p in (0, 1]. */
double pct(const struct samples *s, double p);

/* A TAXII client: one libcurl easy handle, one keep-alive TLS 1.3 connection. */
struct client {
	CURL *h;
	struct curl_slist *hdrs;
	struct sbuf body;
	char err[CURL_ERROR_SIZE];
	long status;
	long connects;                /* new connections opened (should stay 1) */
};
void client_init(struct client *c, const char *token, const char *cacert);
void client_release(struct client *c);
/* One request; body NULL is a GET. Returns the time in ms; dies on a transport error. */
double client_do(struct client *c, const char *url, const char *body, size_t len);
void expect_status(const struct client *c, long want, const char *what);

/* A minimal JSON scanner: finds values without building a tree. */
const char *skip_ws(const char *p, const char *e);
const char *skip_string(const char *p, const char *e);
const char *skip_value(const char *p, const char *e);
const char *each_element(const char *p, const char *e,
    void (*fn)(void *, const char *, const char *), void *arg);

/* One TAXII POST body: {"objects":[...]} holding n objects. */
struct envelope {
	char *data;
	size_t len;
	long n;
};
/* One synthetic but realistic indicator (about 695 bytes); rnd: 16 random bytes. */
void gen_indicator(struct sbuf *b, long i, const unsigned char rnd[16]);
struct envelope *gen_envelopes(long n, long batch, long *ret_n_env, size_t *ret_bytes);
/* The objects of a STIX bundle file, byte for byte, regrouped `batch` to a body. */
struct envelope *load_bundle(const char *path, long batch, long *ret_n_env, long *ret_n,
    size_t *ret_bytes);

#endif
