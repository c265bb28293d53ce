/*
 * liaison: the operator's command-line tool. main only finds the command in
 * the table below and hands it argv; each command lives in its own file.
 * Exit codes scripts rely on: 0 ok, 1 runtime failure, 2 usage error.
 */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

static int cmd_help(int argc, char **argv, const char *home);

static const struct cli_cmd commands[] = {
	{ "init", cli_cmd_init, "Create a node home: configuration, TLS certificate, keys, store" },
	{ "status", cli_cmd_status, "Show the node, its store and whether liaisond runs" },
	{ "collection", cli_cmd_collection, "Add or list TAXII collections (add, list)" },
	{ "user", cli_cmd_user, "Manage users of the TAXII API (add, list, remove, grant)" },
	{ "token", cli_cmd_token, "Create a bearer token for a user (create)" },
	{ "load", cli_cmd_load, "Add a STIX bundle to a running node over TAXII" },
	{ "identity", cli_cmd_identity, "Show or export this node's identity for pairing (show, export)" },
	{ "partner", cli_cmd_partner, "Pair with partner nodes and watch the links (add, list, remove)" },
	{ "envelope", cli_cmd_envelope, "List envelopes exchanged with a partner and their receipts (list)" },
	{ "evidence", cli_cmd_evidence, "Export a signed evidence bundle, or verify one offline (export, verify)" },
	{ "agreement", cli_cmd_agreement, "The terms agreed with each partner (show, set)" },
	{ "policy", cli_cmd_policy, "Border decisions under the agreements (explain, log)" },
	{ "log", cli_cmd_log, "The witnessed ledger: vkeys, checkpoint, proofs, verification (key, checkpoint, prove, verify)" },
	{ "notify", cli_cmd_notify, "Open a hotline case: an incident notification to a partner" },
	{ "inquire", cli_cmd_inquire, "Open a hotline case: an inquiry asking a partner for consultations" },
	{ "request", cli_cmd_request, "Open a hotline case: a request for assistance or data preservation" },
	{ "cases", cli_cmd_cases, "List hotline cases with their state and deadlines" },
	{ "case", cli_cmd_case, "Show a case or take a step on it (show, start, ask, provide, refuse, mla-sent)" },
	{ "ack", cli_cmd_ack, "Acknowledge a partner's case (a person has read it)" },
	{ "respond", cli_cmd_respond, "Answer a partner's case" },
	{ "close", cli_cmd_close, "Close a case" },
	{ "withdraw", cli_cmd_withdraw, "Withdraw a case this node opened" },
	{ "help", cmd_help, "Show one command's options: liaison help COMMAND" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: liaison [--home DIR] COMMAND [options]\n"
		   "       liaison --version\n\ncommands:\n");
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-12s%s\n", commands[i].name, commands[i].help);
	fprintf(f, "\noptions:\n"
		   "  --home DIR    node home, before or after COMMAND (default: $LIAISON_HOME)\n"
		   "  -h, --help    show this help; COMMAND --help shows a command's options\n"
		   "  --version     print the version\n"
		   "\nexample:\n"
		   "  liaison init --home ./node --name cert-ee\n"
		   "  LIAISON_HOME=./node liaison status --json\n"
		   "\nexit status: 0 ok, 1 failure (message on stderr), 2 usage error\n");
}

static const struct cli_cmd *
find_cmd(const char *name)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* `liaison help user add` runs `liaison user add --help`. */
static int
cmd_help(int argc, char **argv, const char *home)
{
	char *v[CLI_POS_MAX + 2];
	const struct cli_cmd *c;
	int i, n = 0;

	if (argc < 2 || strcmp(argv[1], "help") == 0 || argv[1][0] == '-') {
		usage(stdout);
		return CLI_OK;
	}
	if ((c = find_cmd(argv[1])) == NULL) {
		fprintf(stderr, "liaison: unknown command '%s' (see liaison --help)\n", argv[1]);
		return CLI_USAGE;
	}
	for (i = 1; i < argc && n < CLI_POS_MAX; i++)
		v[n++] = argv[i];
	v[n++] = (char *)"--help";
	v[n] = NULL;
	return c->handler(n, v, home);
}

int
main(int argc, char **argv)
{
	const struct cli_cmd *c;
	const char *home = NULL;
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--version") == 0) {
			printf("liaison %s\n", LIAISON_VERSION);
			return CLI_OK;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return CLI_OK;
		} else if (strncmp(argv[i], "--home=", 7) == 0) {
			home = argv[i] + 7;
		} else if (strcmp(argv[i], "--home") == 0) {
			if (i + 1 == argc) {
				fprintf(stderr, "liaison: option --home needs a value (DIR)\n");
				return CLI_USAGE;
			}
			home = argv[++i];
		} else {
			fprintf(stderr, "liaison: unknown option %s before the command"
			    " (see liaison --help)\n", argv[i]);
			return CLI_USAGE;
		}
	}
	if (i == argc) {
		fprintf(stderr, "liaison: missing command\n");
		usage(stderr);
		return CLI_USAGE;
	}
	if ((c = find_cmd(argv[i])) == NULL) {
		fprintf(stderr, "liaison: unknown command '%s' (see liaison --help)\n", argv[i]);
		return CLI_USAGE;
	}
	return c->handler(argc - i, argv + i, home);
}
