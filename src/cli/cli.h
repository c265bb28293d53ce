/*
 * Private to the liaison CLI: the command spec every subcommand declares
 * (its usage and --help are generated from it, so they cannot drift), the
 * argument parser, and helpers that open the node. Exit codes: 0 ok,
 * 1 runtime failure, 2 usage error.
 */
#ifndef LSN_CLI_CLI_H
#define LSN_CLI_CLI_H

#include <stddef.h>

#include <jansson.h>

#include "liaison/config.h"

struct err;
struct store;

#define LIAISON_VERSION "0.1.0"

enum cli_exit { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

enum cli_opt_flags {
	CLI_REQ = 1 << 0,     /* must be given */
	CLI_MULTI = 1 << 1,   /* may be given more than once */
};

struct cli_opt {
	const char *name;     /* long name without "--"; NULL ends a table */
	const char *arg;      /* metavariable; NULL: a flag without value */
	unsigned flags;       /* cli_opt_flags */
	const char *help;
};

#define CLI_OCC_MAX 64
#define CLI_POS_MAX 8

struct cli_args;

struct cli_spec {
	const char *name;     /* "user add" */
	const char *args;     /* positional synopsis: "NAME", "FILE|-", or NULL */
	int min_pos, max_pos;
	const char *about;    /* what it does, one sentence */
	const struct cli_opt *opts;
	const char *example;
	int (*run)(const struct cli_args *a);
};

struct cli_occ {
	const struct cli_opt *opt;
	const char *val;      /* "" for flags */
};

struct cli_args {
	const struct cli_spec *spec;
	const char *home;     /* --home, or NULL: $LIAISON_HOME */
	const char *pos[CLI_POS_MAX];
	int npos;
	struct cli_occ occ[CLI_OCC_MAX];
	int nocc;
};

/* A top-level command: handler gets argv from the command word on. */
struct cli_cmd {
	const char *name;
	int (*handler)(int argc, char **argv, const char *home);
	const char *help;
};

/* Parses argv (argv[0] is the command word) and runs sp->run. */
int cli_run(const struct cli_spec *sp, int argc, char **argv, const char *home);
/* Picks one of subs by argv[1] ("collection add") and runs it. */
int cli_run_group(const char *group, const struct cli_spec *const *subs, size_t n,
    int argc, char **argv, const char *home);

/* Last value of --name, or NULL; cli_has for flags. */
const char *cli_get(const struct cli_args *a, const char *name);
/*
 * The values of a repeatable --name (CLI_MULTI) in the order given: the
 * first max into ret; returns how many were given, which may be more.
 */
int cli_get_all(const struct cli_args *a, const char *name, const char **ret, int max);
int cli_has(const struct cli_args *a, const char *name);

int cli_usage_error(const struct cli_spec *sp, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Prints "liaison: <msg>" and returns CLI_FAIL. */
int cli_fail(const struct err *err);
/* Prints doc as one JSON document on stdout and frees it. */
int cli_json_print(json_t *doc);

/* The node a command works on: its configuration and an open store. */
struct cli_node {
	struct lsn_config cfg;
	struct store *s;
};

int cli_node_open(const struct cli_args *a, struct cli_node *n, struct err *err);
void cli_node_close(struct cli_node *n);

/* Splits "host:port" or "[v6]:port"; host without brackets. */
int cli_split_listen(const char *listen, char *host, size_t hostcap, int *ret_port);
/* "https://LISTEN/ROOT/" as configured (what clients are told). */
void cli_api_root(const struct lsn_config *cfg, char *out, size_t cap);
/* Reads one line from stdin (no echo on a terminal); refuses an empty one. */
int cli_read_password(char *out, size_t cap, struct err *err);

struct buf;
/* Reads a whole file ("-": stdin) into b, refusing more than b->max bytes. */
int cli_read_file(const char *path, struct buf *b, struct err *err);

/* The pid of the liaisond running on this home, or 0. */
long cli_daemon_pid(const struct lsn_config *cfg);
/* Tells a running liaisond to look at its partners now (SIGHUP); nothing if none runs. */
void cli_daemon_reload(const struct lsn_config *cfg);

int cli_cmd_init(int argc, char **argv, const char *home);
int cli_cmd_collection(int argc, char **argv, const char *home);
int cli_cmd_user(int argc, char **argv, const char *home);
int cli_cmd_token(int argc, char **argv, const char *home);
int cli_cmd_status(int argc, char **argv, const char *home);
int cli_cmd_load(int argc, char **argv, const char *home);
int cli_cmd_identity(int argc, char **argv, const char *home);
int cli_cmd_partner(int argc, char **argv, const char *home);
int cli_cmd_envelope(int argc, char **argv, const char *home);
int cli_cmd_evidence(int argc, char **argv, const char *home);
int cli_cmd_log(int argc, char **argv, const char *home);
int cli_cmd_agreement(int argc, char **argv, const char *home);
int cli_cmd_policy(int argc, char **argv, const char *home);
/* hotline.c */
int cli_cmd_notify(int argc, char **argv, const char *home);
int cli_cmd_inquire(int argc, char **argv, const char *home);
int cli_cmd_request(int argc, char **argv, const char *home);
int cli_cmd_cases(int argc, char **argv, const char *home);
int cli_cmd_case(int argc, char **argv, const char *home);
int cli_cmd_ack(int argc, char **argv, const char *home);
int cli_cmd_respond(int argc, char **argv, const char *home);
int cli_cmd_close(int argc, char **argv, const char *home);
int cli_cmd_withdraw(int argc, char **argv, const char *home);
/* <home>/agreements */
void cli_agreements_dir(const struct lsn_config *cfg, char out[static 4200]);
/* partner add: writes the new partner's agreement (default terms, shares, --term options). */
int cli_agreement_new(const struct lsn_config *cfg, const char *partner, json_t *shares,
    const struct cli_args *a, struct err *err);

struct ident;
struct cx_key;
/*
 * This node's identity from its configuration, signing key and TLS
 * certificate (created left empty); ret_key (may be NULL) gets the key.
 */
int cli_identity_load(const struct lsn_config *cfg, struct ident *id, struct cx_key **ret_key,
    struct err *err);

#endif
