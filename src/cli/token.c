/*
 * liaison token create: a bearer token for a user of the TAXII API. Only
 * the SHA-256 of the whole token string is stored; the token itself is
 * printed once and then wiped, so a stolen store grants nothing.
 */
#include "cli/cli.h"
#include "crypto/cx.h"
#include "store/store.h"
#include "util/enc.h"
#include "util/err.h"

#include <stdio.h>
#include <string.h>

#define TOKEN_BYTES 32
#define TOKEN_PREFIX "lsn_"
#define LABEL_MAX 128

static int run_create(const struct cli_args *a);

static const struct cli_opt create_opts[] = {
	{ "label", "LABEL", 0, "what the token is for (shown in listings and logs)" },
	{ "json", NULL, 0, "print {\"user\", \"label\", \"token\"} as JSON" },
	{ NULL, NULL, 0, NULL },
};

static const struct cli_spec create_spec = {
	"token create", "NAME", 1, 1,
	"Creates a bearer token for user NAME and prints it once; clients send\n"
	"'Authorization: Bearer <token>'. Only its SHA-256 is stored.",
	create_opts,
	"export LIAISON_TOKEN=$(liaison token create alice --label opencti)",
	run_create,
};

static const struct cli_spec *const subs[] = { &create_spec };

int
cli_cmd_token(int argc, char **argv, const char *home)
{
	return cli_run_group("token", subs, sizeof(subs) / sizeof(subs[0]), argc, argv, home);
}

/* "lsn_" + base64url(32 random bytes); the daemon hashes the same string. */
static int
make_token(char *tok, size_t cap, uint8_t hash[static CX_SHA256_LEN], struct err *err)
{
	uint8_t raw[TOKEN_BYTES];

	if (cap < sizeof(TOKEN_PREFIX) + b64_encoded_len(sizeof(raw), 1))
		return err_set(err, LSN_EINTERNAL, "token buffer too small");
	if (cx_random(raw, sizeof(raw)) < 0)
		return err_set(err, LSN_EIO, "cannot read random bytes for the token");
	memcpy(tok, TOKEN_PREFIX, sizeof(TOKEN_PREFIX) - 1);
	b64_encode(raw, sizeof(raw), tok + sizeof(TOKEN_PREFIX) - 1, 1);
	cx_wipe(raw, sizeof(raw));
	cx_sha256(tok, strlen(tok), hash);
	return 0;
}

static int
run_create(const struct cli_args *a)
{
	const char *label = cli_get(a, "label") ? cli_get(a, "label") : "";
	uint8_t hash[CX_SHA256_LEN];
	struct err err = ERR_INIT;
	struct store_user u;
	struct cli_node n;
	char tok[96];
	int r = CLI_FAIL;

	if (strlen(label) > LABEL_MAX)
		return cli_usage_error(a->spec, "--label is longer than %d bytes", LABEL_MAX);
	if (cli_node_open(a, &n, &err) < 0 || store_user_find(n.s, a->pos[0], &u, &err) < 0 ||
	    make_token(tok, sizeof(tok), hash, &err) < 0 ||
	    store_token_add(n.s, u.rowid, label, hash, &err) < 0)
		goto out;
	if (cli_has(a, "json"))
		r = cli_json_print(json_pack("{s:s,s:s,s:s}", "user", u.name, "label", label,
		    "token", tok));
	else
		r = printf("%s\n", tok) < 0 ? CLI_FAIL : CLI_OK;
	fflush(stdout);
	fprintf(stderr, "liaison: this token is shown only once and cannot be shown again;"
	    " store it now (clients send 'Authorization: Bearer <token>')\n");
out:
	cx_wipe(tok, sizeof(tok));
	cli_node_close(&n);
	return r == CLI_FAIL && err.msg[0] ? cli_fail(&err) : r;
}
