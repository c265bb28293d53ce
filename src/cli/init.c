/*
 * liaison init: makes a node home (TLS identity, signing key, store with the
 * collections shared and local, liaison.conf). liaison.conf is written last
 * and a failure removes what this run made, so a retry starts clean; it
 * never overwrites an existing key, certificate or store.
 */
#include "cli/cli.h"
#include "wire/identity.h"
#include "crypto/cx.h"
#include "store/store.h"
#include "util/enc.h"
#include "util/err.h"
#include "util/ts.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define INIT_MADE_MAX 12
#define TLS_DAYS 825

struct init {
	struct lsn_config cfg;          /* relative paths, as liaison.conf holds them */
	char tls_key[LSN_PATH_MAX], tls_cert[LSN_PATH_MAX];
	char signing[LSN_PATH_MAX], store[LSN_PATH_MAX];
	char san[600];
	char fpr[65];
	char pub[2 * CX_ED25519_PUB_LEN + 1];
	struct store_collection coll[2];
	struct {
		char path[LSN_PATH_MAX];
		int dir;
	} made[INIT_MADE_MAX];
	int nmade;
};

static const struct cli_opt init_opts[] = {
	{ "name", "NAME", CLI_REQ, "this node's name (1-64 of a-z 0-9 -), shown to partners" },
	{ "listen", "HOST:PORT", 0, "address of the TAXII API (default " LSN_DEFAULT_LISTEN ")" },
	{ "peer-listen", "HOST:PORT", 0,
	  "address of the peer listener partners connect to (default: the TAXII port + 1)" },
	{ "store", "URL", 0, "keep the store in PostgreSQL: a libpq URI such as "
	  "postgresql://liaison@db1,db2/cert_ee?target_session_attrs=read-write "
	  "(an empty database; the password from ~/.pgpass or PGPASSFILE). Default: SQLite in the home" },
	{ "json", NULL, 0, "print what was made as one JSON document" },
	{ NULL, NULL, 0, NULL },
};

static int run_init(const struct cli_args *a);

static const struct cli_spec init_spec = {
	"init", NULL, 0, 0,
	"Creates a node home (mode 0700): liaison.conf, a self-signed TLS certificate,\n"
	"the Ed25519 signing key, and the store with the collections 'shared' and 'local'.\n"
	"The store is a SQLite file in the home, or with --store a PostgreSQL database\n"
	"(which two daemons of one node can share: docs/operations.md).",
	init_opts,
	"liaison init --home /var/lib/liaison --name cert-ee --listen 127.0.0.1:8443 "
	"--peer-listen 127.0.0.1:8444",
	run_init,
};

int
cli_cmd_init(int argc, char **argv, const char *home)
{
	return cli_run(&init_spec, argc, argv, home);
}

/* The certificate must name the listen host too, or clients reject it. */
static int
make_san(struct init *in, const char *listen)
{
	char host[256];
	unsigned char ip[16];
	int port, is_ip;

	if (cli_split_listen(listen, host, sizeof(host), &port) < 0)
		return -1;
	is_ip = inet_pton(AF_INET, host, ip) == 1 || inet_pton(AF_INET6, host, ip) == 1;
	/* Commas would add SAN entries of the caller's choosing. */
	if (!is_ip && (strlen(host) > 253 || strspn(host, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789.-") != strlen(host)))
		return -1;
	snprintf(in->san, sizeof(in->san), "DNS:localhost,IP:127.0.0.1");
	if (strcmp(host, "localhost") == 0 || strcmp(host, "127.0.0.1") == 0 ||
	    strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0)
		return 0;
	snprintf(in->san + strlen(in->san), sizeof(in->san) - strlen(in->san), ",%s:%s",
	    is_ip ? "IP" : "DNS", host);
	return 0;
}

static void
remember(struct init *in, const char *path, int dir)
{
	if (in->nmade == INIT_MADE_MAX)
		return;
	snprintf(in->made[in->nmade].path, LSN_PATH_MAX, "%s", path);
	in->made[in->nmade++].dir = dir;
}

static void
undo(struct init *in)
{
	while (in->nmade > 0) {
		in->nmade--;
		if (in->made[in->nmade].dir)
			rmdir(in->made[in->nmade].path);
		else
			unlink(in->made[in->nmade].path);
	}
}

static int
make_dir(struct init *in, const char *path, int may_exist, struct err *err)
{
	struct stat st;

	if (mkdir(path, 0700) == 0) {
		remember(in, path, 1);
		return 0;
	}
	if (errno == EEXIST && may_exist && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	return err_set(err, LSN_EIO, "cannot create the folder %s: %s", path, strerror(errno));
}

static int
make_dirs(struct init *in, struct err *err)
{
	char conf[LSN_PATH_MAX], sub[LSN_PATH_MAX];
	int r;

	lsn_path(in->cfg.home, LSN_CONF_NAME, conf);
	if (access(conf, F_OK) == 0)
		return err_set(err, LSN_EEXIST, "%s is already a node home", in->cfg.home);
	if ((r = make_dir(in, in->cfg.home, 1, err)) < 0)
		return r;
	lsn_path(in->cfg.home, "tls", sub);
	if ((r = make_dir(in, sub, 1, err)) < 0)
		return r;
	lsn_path(in->cfg.home, "keys", sub);
	return make_dir(in, sub, 1, err);
}

static int
make_keys(struct init *in, struct err *err)
{
	uint8_t pub[CX_ED25519_PUB_LEN];
	struct cx_key *k = NULL;
	int r;

	if ((r = cx_tls_selfsigned(in->cfg.name, in->san, TLS_DAYS, in->tls_key,
	    in->tls_cert, err)) < 0)
		return r;
	remember(in, in->tls_key, 0);
	remember(in, in->tls_cert, 0);
	if ((r = cx_cert_fingerprint(in->tls_cert, in->fpr, err)) < 0)
		return r;
	if ((r = cx_key_generate(&k, err)) < 0)
		return r;
	r = cx_key_save(k, in->signing, err);
	if (r == 0) {
		remember(in, in->signing, 0);
		cx_key_public(k, pub);
		hex_encode(pub, sizeof(pub), in->pub);
	}
	cx_key_free(k);
	return r;
}

static int
fill_store(struct init *in, struct store *s, struct err *err)
{
	static const char *const desc[2] = {
		"Objects that agreements may send to partners.",
		"Objects that never leave this node.",
	};
	char created[TS_US_LEN], cursor[65];
	uint8_t key[32];
	int i, r;

	ts_format_us(clock_now_us(), created);
	if (cx_random(key, sizeof(key)) < 0)
		return err_set(err, LSN_EIO, "cannot read random bytes for the cursor key");
	hex_encode(key, sizeof(key), cursor);
	cx_wipe(key, sizeof(key));
	/* the node's key: a daemon refuses a store that names another node's */
	if ((r = store_meta_set(s, "node_key", in->pub, err)) < 0 ||
	    (r = store_meta_set(s, "node_name", in->cfg.name, err)) < 0 ||
	    (r = store_meta_set(s, "node_created", created, err)) < 0 ||
	    (r = store_meta_set(s, "cursor_key", cursor, err)) < 0)
		return r;
	for (i = 0; i < 2; i++) {
		struct store_collection *c = &in->coll[i];

		memset(c, 0, sizeof(*c));
		if (cx_uuid4(c->id) < 0)
			return err_set(err, LSN_EIO, "cannot read random bytes for a collection id");
		snprintf(c->title, sizeof(c->title), "%s", i == 0 ? "shared" : "local");
		snprintf(c->description, sizeof(c->description), "%s", desc[i]);
		if ((r = store_coll_add(s, c, err)) < 0)
			return r;
	}
	return 0;
}

static int
make_store(struct init *in, struct err *err)
{
	char side[LSN_PATH_MAX + 8];
	const char *spec = lsn_config_store(&in->cfg);
	char other[128];
	struct store *s;
	int r;

	if (in->cfg.store_url[0] == '\0' && access(in->store, F_OK) == 0)
		return err_set(err, LSN_EEXIST, "%s already exists: remove it or use another home",
		    in->store);
	if (in->cfg.store_url[0] == '\0') {
		remember(in, in->store, 0);
		snprintf(side, sizeof(side), "%s-wal", in->store);
		remember(in, side, 0);
		snprintf(side, sizeof(side), "%s-shm", in->store);
		remember(in, side, 0);
	}
	if ((r = store_open(spec[0] == 'p' ? spec : in->store, 1, &s, err)) < 0)
		return r;
	if (store_meta_get(s, "node_name", other, sizeof(other), NULL) == 0) {
		store_spec_where(spec, side, sizeof(side));
		r = err_set(err, LSN_EEXIST, "the store at %s already holds node '%s': give this "
		    "node an empty database", side, other);
	} else if ((r = store_begin(s, err)) == 0) {
		r = fill_store(in, s, err);
		r = r == 0 ? store_commit(s, err) : (store_rollback(s), r);
	}
	store_close(s);
	return r;
}

static int
make_home(struct init *in, struct err *err)
{
	int r;

	lsn_path(in->cfg.home, in->cfg.tls_key, in->tls_key);
	lsn_path(in->cfg.home, in->cfg.tls_cert, in->tls_cert);
	lsn_path(in->cfg.home, in->cfg.signing_key, in->signing);
	lsn_path(in->cfg.home, in->cfg.store_path, in->store);
	if ((r = make_dirs(in, err)) < 0 || (r = make_keys(in, err)) < 0 ||
	    (r = make_store(in, err)) < 0 || (r = lsn_config_write(&in->cfg, err)) < 0) {
		undo(in);
		return r;
	}
	return 0;
}

static void
print_text(const struct init *in, const char *api)
{
	const char *h = in->cfg.home;
	char where[512];

	printf("Created node home %s\n", h);
	printf("  name:         %s\n  listen:       %s\n  API root:     %s\n  peer listen:  %s\n",
	    in->cfg.name, in->cfg.listen, api, in->cfg.peer_listen);
	store_spec_where(in->cfg.store_url[0] ? in->cfg.store_url : in->store, where, sizeof(where));
	printf("  store:        %s\n", where);
	printf("  collections:  %s  shared\n                %s  local\n",
	    in->coll[0].id, in->coll[1].id);
	printf("  TLS cert:     %s\n  TLS SHA-256:  %s\n", in->tls_cert, in->fpr);
	printf("  signing key:  ed25519 %s\n", in->pub);
	printf("\nNext steps:\n"
	       "  1. start the node:  liaisond --home %s\n"
	       "  2. add a user:      liaison --home %s user add alice --password-stdin"
	       " --grant shared:rw\n"
	       "  3. give it a token: liaison --home %s token create alice\n"
	       "  4. pair:            liaison --home %s identity export > %s.identity.json\n"
	       "     (give it to the partner; `liaison identity show` prints the fingerprint\n"
	       "     its operator reads back to you)\n", h, h, h, h, in->cfg.name);
}

static int
print_json(const struct init *in, const char *api)
{
	char where[512];
	int pg = store_spec_where(in->cfg.store_url[0] ? in->cfg.store_url : in->store, where,
	    sizeof(where));

	return cli_json_print(json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:[{s:s,s:s},{s:s,s:s}],s:s,s:s,"
	    "s:s}", "home", in->cfg.home, "store", pg ? where : in->store, "name", in->cfg.name, "listen", in->cfg.listen,
	    "peer_listen", in->cfg.peer_listen,
	    "api_root", api, "collections",
	    "id", in->coll[0].id, "title", in->coll[0].title,
	    "id", in->coll[1].id, "title", in->coll[1].title,
	    "tls_cert", in->tls_cert, "tls_fingerprint_sha256", in->fpr,
	    "signing_public_key", in->pub));
}

static int
run_init(const struct cli_args *a)
{
	struct err err = ERR_INIT;
	const char *listen = cli_get(a, "listen") ? cli_get(a, "listen") : LSN_DEFAULT_LISTEN;
	char home[LSN_PATH_MAX], api[LSN_PATH_MAX];
	struct init *in;
	int r = CLI_OK;

	/* partners see the name in identity documents and in the title from-NAME */
	if (!ident_name_ok(cli_get(a, "name")))
		return cli_usage_error(a->spec, "--name must be 1-64 of a-z 0-9 and '-', "
		    "not starting with '-'");
	if (strlen(listen) >= sizeof(((struct lsn_config *)0)->listen))
		return cli_usage_error(a->spec, "--listen is too long");
	if (cli_get(a, "peer-listen") != NULL) {
		char host[256];
		int port;
		if (strlen(cli_get(a, "peer-listen")) >= sizeof(((struct lsn_config *)0)->peer_listen) ||
		    cli_split_listen(cli_get(a, "peer-listen"), host, sizeof(host), &port) < 0)
			return cli_usage_error(a->spec, "--peer-listen must be HOST:PORT, not '%s'",
			    cli_get(a, "peer-listen"));
	}
	if (cli_get(a, "store") != NULL) {
		const char *url = cli_get(a, "store");

		if (strncmp(url, "postgresql://", 13) != 0 && strncmp(url, "postgres://", 11) != 0)
			return cli_usage_error(a->spec, "--store must be a postgresql:// URL, not '%s'",
			    url);
		if (strlen(url) >= sizeof(((struct lsn_config *)0)->store_url))
			return cli_usage_error(a->spec, "--store is too long");
		if (store_spec_check(url, &err) < 0)
			return cli_usage_error(a->spec, "--store: %s", err.msg);
	}
	if ((in = calloc(1, sizeof(*in))) == NULL) {
		err_set(&err, LSN_ENOMEM, "out of memory");
		return cli_fail(&err);
	}
	if (make_san(in, listen) < 0) {
		r = cli_usage_error(a->spec, "--listen must be HOST:PORT or [IPv6]:PORT, not '%s'",
		    listen);
		goto out;
	}
	if (lsn_home_resolve(a->home, home, &err) < 0) {
		r = cli_fail(&err);
		goto out;
	}
	/* Everything in a node home is the node's alone: keys, hashes, the store. */
	umask(077);
	lsn_config_defaults(&in->cfg, home);
	snprintf(in->cfg.name, sizeof(in->cfg.name), "%s", cli_get(a, "name"));
	snprintf(in->cfg.listen, sizeof(in->cfg.listen), "%s", listen);
	if (cli_get(a, "store") != NULL)
		snprintf(in->cfg.store_url, sizeof(in->cfg.store_url), "%s", cli_get(a, "store"));
	if (cli_get(a, "peer-listen") != NULL)
		snprintf(in->cfg.peer_listen, sizeof(in->cfg.peer_listen), "%s", cli_get(a, "peer-listen"));
	else
		lsn_config_peer_default(listen, in->cfg.peer_listen, sizeof(in->cfg.peer_listen));
	if (make_home(in, &err) < 0) {
		r = cli_fail(&err);
		goto out;
	}
	cli_api_root(&in->cfg, api, sizeof(api));
	if (cli_has(a, "json"))
		r = print_json(in, api);
	else
		print_text(in, api);
out:
	free(in);
	return r;
}
