/*
 * A node's home folder and its configuration file (liaison.conf, INI),
 * shared by liaisond and the liaison CLI. Relative paths in the file are
 * relative to the home folder. No I/O beyond reading and writing that file.
 */
#ifndef LIAISON_CONFIG_H
#define LIAISON_CONFIG_H

#include <stddef.h>

struct err;

#define LSN_PATH_MAX 4096
#define LSN_CONF_NAME "liaison.conf"
#define LSN_PID_NAME "liaisond.pid"
#define LSN_DEFAULT_LISTEN "127.0.0.1:8443"

struct lsn_config {
	char home[LSN_PATH_MAX];          /* absolute */
	char name[128];                   /* [node] name */
	/* [taxii] */
	char listen[256];
	char root[64];
	char title[256];
	char description[512];
	char contact[256];
	char public_url[256];             /* empty: from the Host header */
	size_t max_content_length;
	size_t page_default, page_max, page_bytes_max;
	/* [store] */
	char store_path[LSN_PATH_MAX];    /* absolute after loading */
	char store_url[1024];             /* postgresql://...: the postgres backend; empty: path */
	size_t batch_max;
	int read_connections;             /* postgres: read pool size; 0: reads on the loop */
	/* [tls] */
	char tls_cert[LSN_PATH_MAX];      /* absolute after loading */
	char tls_key[LSN_PATH_MAX];
	/* [keys] */
	char signing_key[LSN_PATH_MAX];   /* Ed25519, absolute after loading */
	/* [peer] */
	char peer_listen[256];            /* empty in the file: [taxii] listen's port + 1 */
	size_t envelope_objects, envelope_bytes, batch_bytes;
	int pack_delay_ms, retry_min_ms, retry_max_ms, peer_timeout_ms;
	int checkpoint_ms, heartbeat_s;       /* [ledger] */
	char escalate_after[64];              /* [hotline] "0,50,100" */
	char escalate_to[256];                /* [hotline] who each level calls */
	/* [ui] */
	char ui_dir[LSN_PATH_MAX];            /* the dashboard's files, absolute after loading */
	int session_idle_min, session_hours;
	/* [limits] */
	int max_connections;
	int idle_timeout;
	int request_timeout;
};

/* The home folder from --home (may be NULL) or $LIAISON_HOME, made absolute. */
int lsn_home_resolve(const char *opt_home, char out[LSN_PATH_MAX], struct err *err);

/* What store_open takes: [store] url if set, else the SQLite file at [store] path. */
const char *lsn_config_store(const struct lsn_config *c);

/* Defaults for a new node. */
void lsn_config_defaults(struct lsn_config *c, const char *home);
/* Reads home/liaison.conf over the defaults; unknown keys are errors naming the line. */
int lsn_config_load(const char *home, struct lsn_config *ret, struct err *err);
/* Writes a fully commented liaison.conf (fails if it exists). */
int lsn_config_write(const struct lsn_config *c, struct err *err);

/* The peer listener next to a TAXII listener: same host, port + 1 (0 stays 0). */
void lsn_config_peer_default(const char *taxii_listen, char *out, size_t cap);

/* Joins home and a relative path (absolute paths are kept). */
void lsn_path(const char *home, const char *rel, char out[LSN_PATH_MAX]);

#endif
