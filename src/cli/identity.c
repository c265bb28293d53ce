/*
 * liaison identity show|export: this node's public identity (DESIGN §2): its
 * name, Ed25519 key, TLS key pin and the short fingerprint operators read to
 * each other, and the signed document partners import with `partner add`.
 * Prints public parts only; the private keys never leave their files.
 */
#include "cli/cli.h"
#include "wire/identity.h"
#include "util/enc.h"
#include "util/err.h"
#include "util/ts.h"

#include <stdio.h>
#include <string.h>

static int run_show(const struct cli_args *a);
static int run_export(const struct cli_args *a);

static const struct cli_opt show_opts[] = {
	{ "json", NULL, 0, "print the identity as JSON" },
	{ NULL, NULL, 0, NULL },
};

static const struct cli_opt export_opts[] = {
	{ NULL, NULL, 0, NULL },
};

static const struct cli_spec show_spec = {
	"identity show", NULL, 0, 0,
	"Shows this node's name, signing key, TLS key pin and short fingerprint.",
	show_opts,
	"liaison identity show",
	run_show,
};

static const struct cli_spec export_spec = {
	"identity export", NULL, 0, 0,
	"Writes this node's signed identity document (public parts only) to standard "
	"output, for a partner's `liaison partner add`.",
	export_opts,
	"liaison identity export > cert-a.identity.json",
	run_export,
};

static const struct cli_spec *const subs[] = { &show_spec, &export_spec };

int
cli_cmd_identity(int argc, char **argv, const char *home)
{
	return cli_run_group("identity", subs, sizeof(subs) / sizeof(subs[0]), argc, argv, home);
}

int
cli_identity_load(const struct lsn_config *cfg, struct ident *id, struct cx_key **ret_key,
    struct err *err)
{
	struct cx_key *k = NULL;
	int r;

	memset(id, 0, sizeof(*id));
	if (!ident_name_ok(cfg->name))
		return err_set(err, LSN_EINVAL, "the node name '%s' cannot be used with partners: "
		    "use 1-64 of a-z, 0-9 and '-' ([node] name in liaison.conf)", cfg->name);
	if ((r = cx_key_load(cfg->signing_key, &k, err)) < 0)
		return r;
	if ((r = cx_cert_spki_sha256(cfg->tls_cert, id->spki, err)) < 0) {
		cx_key_free(k);
		return r;
	}
	snprintf(id->name, sizeof(id->name), "%s", cfg->name);
	id->sig_type = CX_SIGTYPE_ED25519;
	cx_key_public(k, id->key);
	ident_fingerprint(id->sig_type, id->key, id->spki, id->fingerprint);
	if (ret_key != NULL)
		*ret_key = k;
	else
		cx_key_free(k);
	return 0;
}

static int
run_show(const struct cli_args *a)
{
	struct err err = ERR_INIT;
	struct cli_node n;
	struct ident id;
	char key[64], spki[64], hex[65];

	if (cli_node_open(a, &n, &err) < 0 || cli_identity_load(&n.cfg, &id, NULL, &err) < 0) {
		cli_node_close(&n);
		return cli_fail(&err);
	}
	cli_node_close(&n);
	b64_encode(id.key, sizeof(id.key), key, 0);
	b64_encode(id.spki, sizeof(id.spki), spki, 0);
	hex_encode(id.spki, sizeof(id.spki), hex);
	if (cli_has(a, "json"))
		return cli_json_print(json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "name", id.name,
		    "signing_key", key, "tls_spki_sha256", spki, "tls_spki_sha256_hex", hex,
		    "fingerprint", id.fingerprint, "peer_listen", n.cfg.peer_listen));
	printf("name:            %s\nfingerprint:     %s\nsigning key:     ed25519 %s\n"
	       "TLS key pin:     sha256//%s\npeer listener:   %s\n", id.name, id.fingerprint, key,
	    spki, n.cfg.peer_listen);
	return CLI_OK;
}

static int
run_export(const struct cli_args *a)
{
	struct err err = ERR_INIT;
	struct cx_key *k = NULL;
	struct cli_node n;
	struct ident id;
	char doc[IDENT_DOC_MAX];
	size_t len;

	if (cli_node_open(a, &n, &err) < 0 || cli_identity_load(&n.cfg, &id, &k, &err) < 0) {
		cli_node_close(&n);
		return cli_fail(&err);
	}
	cli_node_close(&n);
	ts_format_us(clock_now_us(), id.created);
	if (ident_export(&id, k, doc, sizeof(doc), &len, &err) < 0) {
		cx_key_free(k);
		return cli_fail(&err);
	}
	cx_key_free(k);
	fwrite(doc, 1, len, stdout);
	return CLI_OK;
}
