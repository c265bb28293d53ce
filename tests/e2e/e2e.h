/*
 * Shared helpers of the end-to-end tests: node homes made with the real
 * `liaison` CLI, real `liaisond` processes on 127.0.0.1 (killed at exit even
 * when a test fails), an HTTPS client (libcurl, verification on), a raw TLS
 * client (OpenSSL) for framing tests, a JSON span scanner so objects can be
 * compared byte for byte, and a string hash map. Never touches src/.
 */
#ifndef LSN_TESTS_E2E_H
#define LSN_TESTS_E2E_H

#include <jansson.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TAXII_MT "application/taxii+json;version=2.1"
#define STIX_MT "application/stix+json;version=2.1"
#define API "/liaison"

/* ---- processes ---- */

/*
 * Runs argv (argv[0] a path) with stdin_data on its stdin; *ret_out (may be
 * NULL) gets its stdout, NUL-terminated, malloc'd. Returns the exit code, or
 * -1 if it could not run or died of a signal.
 */
int e2e_run(const char *const *argv, const char *stdin_data, char **ret_out);
/* The same, and *ret_err (may be NULL) gets its stderr. */
int e2e_run2(const char *const *argv, const char *stdin_data, char **ret_out, char **ret_err);
/* Path of a build product: LIAISON_BIN_DIR/name. */
const char *e2e_bin(const char *name, char out[512]);
/* Waits until a built binary exists (another engineer may be linking it). */
void e2e_require_bins(void);

/* ---- nodes ---- */

struct e2e_node {
	char home[256];
	char name[64];
	char cacert[320];
	char base[64];                /* "https://127.0.0.1:PORT" */
	int port;
	int peer_port;                /* the peer listener's, from the started line */
	pid_t pid;                    /* 0: not running */
	int out_fd;                   /* daemon stdout, read by a drainer thread */
	pthread_t reader;
	int reader_running;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int started, stopped_event, eof;
	unsigned long lines;
	char log_path[320];
	char db[64];                  /* its PostgreSQL database (LIAISON_TEST_PG), else "" */
};

/* ---- the store from outside (e2e_db.c): SQLite, or PostgreSQL with LIAISON_TEST_PG ---- */

/* The server of LIAISON_TEST_PG, or NULL (the nodes' stores are SQLite files). */
const char *e2e_pg(void);
/* A fresh database for the node in home: its name and URL. e2e_pg_drop removes it. */
void e2e_pg_create(const char *home, char db[64], char url[512]);
void e2e_pg_drop(const char *db);
/* A copy of database from (nobody may be connected to it): its name and URL. */
void e2e_pg_copy(const char *from, char db[64], char url[512]);

struct e2e_db;
struct e2e_db *e2e_db_open(const struct e2e_node *n, int rw);
void e2e_db_close(struct e2e_db *d);
int e2e_db_is_pg(const struct e2e_db *d);
/* Column 0 of the one row of sql. */
long long e2e_db_int(struct e2e_db *d, const char *sql);
/* Column 0 (an integer) of sql's first row with ? bound to arg; *ret_found 0 if none or NULL. */
long long e2e_db_int1(struct e2e_db *d, const char *sql, long long arg, int *ret_found);
/* Runs sql (pg_sql instead on PostgreSQL, if not NULL); 0 if it ran. */
int e2e_db_exec(struct e2e_db *d, const char *sql, const char *pg_sql);
/* Column 0 of sql's first row with ? bound to arg (malloc'd; NULL if none). */
uint8_t *e2e_db_blob(struct e2e_db *d, const char *sql, long long arg, size_t *ret_len);
/* sql with its ?s bound to (b, n) and arg must change one row. */
void e2e_db_set_blob(struct e2e_db *d, const char *sql, const uint8_t *b, size_t n, long long arg);

/* liaison init into a fresh /tmp home with --listen 127.0.0.1:0 (and, with
 * LIAISON_TEST_PG, --store on a fresh database). */
void e2e_node_init(struct e2e_node *n, const char *name);
/* The same for a node with partners: deliveries retried after 100 ms, at most 1 s apart. */
void e2e_node_init_linked(struct e2e_node *n, const char *name);
/* "[  12.3 s] message" on stderr, the time since t_start_ms (e2e_now_ms). */
void e2e_log_time(int64_t t_start_ms, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Sets key = value in [section] of liaison.conf (before starting). */
void e2e_node_conf(struct e2e_node *n, const char *section, const char *key, const char *value);
/* liaison collection add --title T; returns nothing (see e2e_coll_id). */
void e2e_coll_add(struct e2e_node *n, const char *title);
/* The id of the collection titled title (liaison collection list --json). */
void e2e_coll_id(struct e2e_node *n, const char *title, char out[64]);
/* liaison user add NAME --password-stdin --grant G ... [--admin]; grants NULL-ended. */
void e2e_user_add(struct e2e_node *n, const char *user, const char *password, int admin,
    const char *const *grants);
/* liaison token create NAME: the bearer token (lsn_...). */
void e2e_token_create(struct e2e_node *n, const char *user, char out[256]);

/* Set when `liaison init --listen 127.0.0.1:0` / liaisond refused port 0 (KNOWN BUG). */
extern int e2e_init_port0_refused, e2e_daemon_port0_refused;

/* Starts liaisond and waits for its "started" line (port taken from it). */
void e2e_node_start(struct e2e_node *n);
/* SIGTERM; returns the exit status (0 expected) and whether "stopped" was logged. */
int e2e_node_stop(struct e2e_node *n, int *ret_stopped_logged);
/* Sends sig; e2e_node_wait waits up to timeout_ms for the exit: its status as
 * e2e_node_stop gives it, or -2 if still running. */
void e2e_node_signal(struct e2e_node *n, int sig);
int e2e_node_wait(struct e2e_node *n, int timeout_ms, int *ret_stopped_logged);
/* kill -9 and reap. */
void e2e_node_kill9(struct e2e_node *n);
/* 1 if the process is still running. */
int e2e_node_alive(struct e2e_node *n);
/*
 * Writes the ports the running node listens on (TAXII and peer) into its
 * liaison.conf, so a restart keeps them and partners' endpoints stay valid.
 */
void e2e_node_pin_ports(struct e2e_node *n);
/* "https://127.0.0.1:PEER_PORT", what a partner gives `partner add --endpoint`. */
void e2e_peer_endpoint(const struct e2e_node *n, char out[64]);
/* Stops (kill -9) and removes the home (unless E2E_KEEP is set). */
void e2e_node_destroy(struct e2e_node *n);
/*
 * A test group's teardown: SIGTERM, then destroy; 0 if the daemon exited 0
 * and logged "stopped", else -1 with the reason on stderr.
 */
int e2e_node_finish(struct e2e_node *n);

/* ---- the CLI and the daemon's log ---- */

/*
 * Runs `liaison ARGS... --home HOME` (args NULL-ended); returns the exit
 * code; *ret_out and *ret_err (either may be NULL) get stdout and stderr.
 */
int e2e_liaison(const struct e2e_node *n, const char *stdin_data, char **ret_out, char **ret_err,
    ...) __attribute__((sentinel));
/* `liaison ARGS... --json --home HOME`: fails the test unless it exits 0 with JSON. */
json_t *e2e_liaison_json(const struct e2e_node *n, ...) __attribute__((sentinel));
/* `liaison identity export` of n into path. */
void e2e_identity_export(const struct e2e_node *n, const char *path);
/*
 * n pairs with peer: exports peer's identity and runs `partner add FILE
 * --endpoint https://127.0.0.1:PEER_PORT --yes --json [--share S]...` on n
 * (shares NULL-ended, NULL for the default). Returns its JSON.
 */
json_t *e2e_pair(const struct e2e_node *n, const struct e2e_node *peer, const char *const *shares);
/* n's partner called name from `partner list --json` (a new reference), or NULL. */
json_t *e2e_partner(const struct e2e_node *n, const char *name);
/*
 * Lines of n's daemon log (every run of it) that contain every needle
 * (NULL-ended); e2e_log_wait waits up to timeout_ms for at least want of
 * them and returns the count it saw last.
 */
size_t e2e_log_count(const struct e2e_node *n, const char *const *needles);
size_t e2e_log_wait(const struct e2e_node *n, const char *const *needles, size_t want, int timeout_ms);

/* ---- HTTPS client ---- */

struct e2e_hdr {
	char *name, *value;
};

struct e2e_resp {
	long status;
	char *body;                   /* NUL-terminated */
	size_t len, cap;
	struct e2e_hdr hdr[64];
	size_t n_hdr;
	int curl_rc;                  /* CURLcode; 0 on success */
};

struct e2e_client {
	void *curl;                   /* CURL *, reused: keep-alive */
	const struct e2e_node *node;
	char auth[512];               /* Authorization value, "" for none */
};

struct e2e_req {
	const char *method;           /* NULL: GET, or POST if body != NULL */
	const char *path;             /* "/liaison/..." */
	const char *body;
	size_t len;
	const char *accept;           /* NULL: TAXII media; "": no Accept header */
	const char *ctype;            /* NULL: TAXII media on POST; "": none */
	const char *auth;             /* NULL: the client's; "": none */
	const char *const *headers;   /* extra "Name: value", NULL-ended */
	long timeout_ms;              /* 0: 120 s */
};

void e2e_client_init(struct e2e_client *c, const struct e2e_node *n);
void e2e_client_basic(struct e2e_client *c, const struct e2e_node *n, const char *user,
    const char *password);
void e2e_client_bearer(struct e2e_client *c, const struct e2e_node *n, const char *token);
void e2e_client_release(struct e2e_client *c);

void e2e_resp_release(struct e2e_resp *r);
/* Performs the request; r is reset first. Returns the CURLcode. */
int e2e_do(struct e2e_client *c, const struct e2e_req *rq, struct e2e_resp *r);
int e2e_get(struct e2e_client *c, const char *path, struct e2e_resp *r);
int e2e_post(struct e2e_client *c, const char *path, const char *body, size_t len,
    struct e2e_resp *r);
int e2e_delete(struct e2e_client *c, const char *path, struct e2e_resp *r);
/* Header value (case-insensitive name), or NULL. */
const char *e2e_hdr(const struct e2e_resp *r, const char *name);
/* Parses the body strictly (duplicate keys rejected); fails the test if not JSON. */
json_t *e2e_json(const struct e2e_resp *r);

/* Asserts status, the TAXII content type and an error resource whose
 * http_status matches and whose description contains want (case-insensitive;
 * alternatives separated by '|'; NULL: any non-empty description). */
void e2e_assert_error(const struct e2e_resp *r, long status, const char *want);
/* Asserts status 200/202 and the TAXII content type; returns the parsed body. */
json_t *e2e_assert_ok(const struct e2e_resp *r, long status);

struct e2e_span;
/* snprintf into one of 4 rotating static buffers (for request paths). */
char *e2e_path(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* POSTs objs as one envelope to coll; asserts 202 and returns the status. */
json_t *e2e_post_objs(struct e2e_client *c, const char *coll, const char *const *objs, size_t n);
/* Asserts a complete status with these counts (pending 0). */
void e2e_assert_status(const json_t *st, size_t total, size_t ok, size_t fail);
/* Spans of the elements of key in a response body; fails if not scannable. */
long e2e_spans(const struct e2e_resp *r, const char *key, struct e2e_span **sp);
/* Asserts the response's "objects" are exactly want[0..n) in order, byte for byte. */
void e2e_assert_objects(const struct e2e_resp *r, const char *const *want, size_t n);

/* Number of stored versions in a collection (walks match[version]=all). */
size_t e2e_count(struct e2e_client *c, const char *coll_id);

/*
 * Calls fn with the exact bytes of every stored version of a collection
 * (match[version]=all, pages of `limit`); returns how many there were.
 */
size_t e2e_walk_objects(struct e2e_client *c, const char *coll_id, size_t limit,
    void (*fn)(void *arg, const char *s, size_t len), void *arg);

/* GET /metrics without credentials into r; fails the test unless 200. */
void e2e_metrics(struct e2e_client *c, struct e2e_resp *r);
/* The value of one series ("name" or "name{label=\"v\"}") of a metrics body; -1 if absent. */
long long e2e_metric(const char *body, const char *series);
/* One series of a node's /metrics, read now; the test fails if it is not there. */
long long e2e_node_metric(struct e2e_client *c, const char *series);

/* ---- a peer-link client (libcurl, mutual TLS, pinned server key) ---- */

struct e2e_peer {
	void *curl;                   /* CURL *, reused: keep-alive */
	int port;                     /* the server's peer port */
	char cert[320], key[320];     /* client certificate and key (PEM); "" for none */
	char pin[128];                /* CURLOPT_PINNEDPUBLICKEY ("sha256//..."), "" for none */
	int tls12_only;               /* offer TLS 1.2 and nothing newer */
	long timeout_ms;              /* 0: 60 s */
};

/* cert/key/pin may be NULL. */
void e2e_peer_init(struct e2e_peer *p, const struct e2e_node *server, const char *cert,
    const char *key, const char *pin);
/*
 * GET path (body NULL) or POST body as application/vnd.liaison.envelopes;
 * with expect100 the body waits for "100 Continue". Returns the CURLcode.
 */
int e2e_peer_do(struct e2e_peer *p, const char *path, const void *body, size_t len, int expect100,
    struct e2e_resp *r);
void e2e_peer_release(struct e2e_peer *p);

/* ---- raw TLS (OpenSSL), for framing tests ---- */

struct e2e_tls {
	int fd;
	void *ctx, *ssl;              /* SSL_CTX *, SSL * */
	char *buf;
	size_t len, cap;
};

int e2e_tls_connect(const struct e2e_node *n, struct e2e_tls *t);
int e2e_tls_send(struct e2e_tls *t, const void *data, size_t len);
/* Reads one HTTP response (skipping 100 Continue). 0, or -1 on EOF/timeout. */
int e2e_tls_read_response(struct e2e_tls *t, struct e2e_resp *r, int timeout_ms);
/* 1 if the server closed the connection within timeout_ms. */
int e2e_tls_closed(struct e2e_tls *t, int timeout_ms);
void e2e_tls_close(struct e2e_tls *t);

/* ---- JSON spans ---- */

struct e2e_span {
	const char *s;
	size_t len;
};

/* End of the JSON value starting at p (whitespace skipped), or NULL. */
const char *e2e_json_skip(const char *p, const char *end);
/*
 * Spans of the elements of the top-level object's key (e.g. "objects"); if
 * the top level has no such key and want_self, the whole value is one span.
 * Returns the number of spans (>= 0) or -1 if not JSON. *ret is malloc'd.
 */
long e2e_json_array_spans(const char *buf, size_t len, const char *key, int want_self,
    struct e2e_span **ret);

/* ---- string map (open addressing, never shrinks) ---- */

struct e2e_map {
	char **keys;
	void **vals;
	size_t cap, n;
};

void e2e_map_init(struct e2e_map *m);
void **e2e_map_get(struct e2e_map *m, const char *key);       /* NULL if absent */
void **e2e_map_put(struct e2e_map *m, const char *key, int *ret_new);
void e2e_map_release(struct e2e_map *m, void (*free_val)(void *));

/* ---- data ---- */

char *e2e_read_file(const char *path, size_t *ret_len);      /* .xz through xz -dc */
void e2e_uuid4(char out[37]);
/* "YYYY-MM-DDTHH:MM:SS.mmmZ" for t seconds + ms. */
void e2e_ts(int64_t sec, int ms, char out[32]);
/* A valid STIX 2.1 indicator; modified = created + mod_ms. */
int e2e_indicator(char *out, size_t cap, const char *id, const char *name, int64_t mod_ms);
/* Normalized version key "id|YYYY...nnnnnnnnnZ" of an object (jansson value). */
void e2e_version_key(const json_t *obj, char *out, size_t cap);
/* Wall clock in milliseconds (monotonic). */
int64_t e2e_now_ms(void);
void e2e_sleep_ms(int ms);

/* A member of a JSON object that must be a string / an integer (the test fails otherwise). */
const char *e2e_jstr(const json_t *o, const char *k);
long long e2e_jint(const json_t *o, const char *k);
/* Appends to a malloc'd growable string. */
struct e2e_str {
	char *s;
	size_t len, cap;
};
void e2e_str_add(struct e2e_str *b, const char *s, size_t n);
void e2e_str_addf(struct e2e_str *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void e2e_str_release(struct e2e_str *b);

/* URL-encodes s (for query values). */
void e2e_urlenc(const char *s, char *out, size_t cap);

#endif
