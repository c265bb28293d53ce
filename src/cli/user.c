/*
 * liaison user add|list|remove|grant: local users of the TAXII API and
 * their read/write rights per collection. Passwords come only from stdin
 * and are kept only as PBKDF2 hashes; they are never printed.
 */
#include "cli/cli.h"
#include "crypto/cx.h"
#include "store/store.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PASSWORD_MAX 1024

static int run_add(const struct cli_args *a);
static int run_list(const struct cli_args *a);
static int run_remove(const struct cli_args *a);
static int run_grant(const struct cli_args *a);

static const struct cli_opt add_opts[] = {
	{ "password-stdin", NULL, 0, "read the password from the first line of stdin"
	  " (without it: token-only user)" },
	{ "grant", "COLLECTION:r|w|rw", CLI_MULTI, "read and/or write access to a collection"
	  " (id or title); repeatable" },
	{ "admin", NULL, 0, "make the user an administrator" },
	{ "json", NULL, 0, "print the new user as JSON" },
	{ NULL, NULL, 0, NULL },
};

static const struct cli_opt list_opts[] = {
	{ "json", NULL, 0, "print {\"users\": [...]} as JSON" },
	{ NULL, NULL, 0, NULL },
};

static const struct cli_spec add_spec = {
	"user add", "NAME", 1, 1,
	"Adds a user (NAME: 1-64 of A-Z a-z 0-9 . _ @ -) with access to collections.",
	add_opts,
	"printf '%s\\n' \"$PASSWORD\" | liaison user add alice --password-stdin"
	" --grant shared:rw --grant local:r",
	run_add,
};

static const struct cli_spec list_spec = {
	"user list", NULL, 0, 0,
	"Lists the users: name, admin, whether they have a password, grants (title:rw).",
	list_opts, "liaison user list --json", run_list,
};

static const struct cli_spec remove_spec = {
	"user remove", "NAME", 1, 1,
	"Removes a user with its grants and tokens.",
	NULL, "liaison user remove alice", run_remove,
};

static const struct cli_spec grant_spec = {
	"user grant", "NAME COLLECTION:r|w|rw|none", 2, 2,
	"Sets a user's access to one collection (id or title); none revokes it.",
	NULL, "liaison user grant alice shared:r", run_grant,
};

static const struct cli_spec *const subs[] = { &add_spec, &list_spec, &remove_spec, &grant_spec };

int
cli_cmd_user(int argc, char **argv, const char *home)
{
	return cli_run_group("user", subs, sizeof(subs) / sizeof(subs[0]), argc, argv, home);
}

static int
valid_user(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= STORE_NAME_MAX && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789._@-") == n;
}

struct grant_arg {
	char coll[STORE_TITLE_MAX];
	struct store_grant g;
};

/* "COLLECTION:ACCESS"; split at the last ':' since titles may contain one. */
static int
parse_grant(const struct cli_args *a, const char *s, int allow_none, struct grant_arg *ret)
{
	const char *colon = strrchr(s, ':'), *acc;
	size_t len;

	if (colon == NULL || colon == s || (size_t)(colon - s) >= sizeof(ret->coll))
		return cli_usage_error(a->spec, "'%s' is not COLLECTION:ACCESS", s);
	acc = colon + 1;
	len = (size_t)(colon - s);
	memcpy(ret->coll, s, len);
	ret->coll[len] = '\0';
	ret->g.can_read = strcmp(acc, "r") == 0 || strcmp(acc, "rw") == 0;
	ret->g.can_write = strcmp(acc, "w") == 0 || strcmp(acc, "rw") == 0;
	if (ret->g.can_read || ret->g.can_write || (allow_none && strcmp(acc, "none") == 0))
		return 0;
	return cli_usage_error(a->spec, "access in '%s' must be r, w or rw%s", s,
	    allow_none ? " or none" : "");
}

static const char *
access_str(const struct store_grant *g)
{
	return g->can_read && g->can_write ? "rw" : g->can_read ? "r" : g->can_write ? "w" : NULL;
}

static int
parse_grants(const struct cli_args *a, struct grant_arg *v, int *ret_n)
{
	int k, r, n = 0;

	for (k = 0; k < a->nocc; k++) {
		if (strcmp(a->occ[k].opt->name, "grant") != 0)
			continue;
		if ((r = parse_grant(a, a->occ[k].val, 0, &v[n])) != 0)
			return r;
		n++;
	}
	*ret_n = n;
	return 0;
}

/* What a partner sent is its signed statement: no local user writes into it. */
static int
inbox_read_only(const struct store_collection *c, const struct store_grant *g, struct err *err)
{
	if (c->partner != 0 && g->can_write)
		return err_set(err, LSN_EDENIED, "collection '%s' holds what a partner sent and is "
		    "read-only: grant r, not w", c->title);
	return 0;
}

static int
add_user(struct store *s, struct store_user *u, struct grant_arg *g, int ng, struct err *err)
{
	struct store_collection c;
	int i, r;

	for (i = 0; i < ng; i++) {
		if ((r = store_coll_find(s, g[i].coll, &c, err)) < 0 ||
		    (r = inbox_read_only(&c, &g[i].g, err)) < 0)
			return r;
		g[i].g.coll = c.rowid;
		snprintf(g[i].coll, sizeof(g[i].coll), "%s", c.title);
	}
	if ((r = store_begin(s, err)) < 0)
		return r;
	r = store_user_add(s, u, err);
	for (i = 0; r == 0 && i < ng; i++)
		r = store_grant_set(s, u->rowid, &g[i].g, err);
	if (r < 0) {
		store_rollback(s);
		return r;
	}
	return store_commit(s, err);
}

static int
print_added(const struct cli_args *a, const struct store_user *u, const struct grant_arg *g,
    int ng)
{
	json_t *arr;
	int i;

	if (!cli_has(a, "json")) {
		printf("added user %s (%s%s", u->name, u->pwhash[0] ? "password" : "token-only",
		    u->admin ? ", admin" : "");
		for (i = 0; i < ng; i++)
			printf(", %s:%s", g[i].coll, access_str(&g[i].g));
		printf(")\n");
		return CLI_OK;
	}
	arr = json_array();
	for (i = 0; i < ng; i++)
		json_array_append_new(arr, json_pack("{s:s,s:s}", "collection", g[i].coll,
		    "access", access_str(&g[i].g)));
	return cli_json_print(json_pack("{s:s,s:b,s:b,s:o}", "name", u->name, "admin", u->admin,
	    "password", u->pwhash[0] != '\0', "grants", arr));
}

static int
hash_password(struct store_user *u, struct err *err)
{
	char pw[PASSWORD_MAX];
	int r;

	if ((r = cli_read_password(pw, sizeof(pw), err)) < 0)
		return r;
	r = cx_password_hash(pw, u->pwhash);
	cx_wipe(pw, sizeof(pw));
	return r < 0 ? err_set(err, LSN_EINTERNAL, "cannot hash the password") : 0;
}

static int
run_add(const struct cli_args *a)
{
	struct grant_arg g[CLI_OCC_MAX];
	struct err err = ERR_INIT;
	struct store_user u;
	struct cli_node n;
	int ng, r;

	if (!valid_user(a->pos[0]))
		return cli_usage_error(a->spec, "NAME must be 1-%d of A-Z a-z 0-9 . _ @ -",
		    STORE_NAME_MAX);
	if ((r = parse_grants(a, g, &ng)) != 0)
		return r;
	memset(&u, 0, sizeof(u));
	snprintf(u.name, sizeof(u.name), "%s", a->pos[0]);
	u.admin = cli_has(a, "admin");
	if (cli_has(a, "password-stdin") && hash_password(&u, &err) < 0)
		return cli_fail(&err);
	r = cli_node_open(a, &n, &err) < 0 || add_user(n.s, &u, g, ng, &err) < 0;
	cli_node_close(&n);
	if (r)
		return cli_fail(&err);
	return print_added(a, &u, g, ng);
}

static const struct store_collection *
coll_by_rowid(const struct store_collection *v, size_t n, int64_t rowid)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].rowid == rowid)
			return &v[i];
	return NULL;
}

/* One user as JSON, or one text line. */
static int
show_user(struct store *s, const struct store_user *u, const struct store_collection *cv,
    size_t nc, json_t *arr, struct err *err)
{
	struct store_grant *gv = NULL;
	const struct store_collection *c;
	json_t *grants = json_array();
	size_t ng = 0, i, shown = 0;

	if (store_grant_list(s, u->rowid, &gv, &ng, err) < 0) {
		json_decref(grants);
		return -1;
	}
	if (!arr)
		printf("%-24s  %-5s  %-8s ", u->name, u->admin ? "yes" : "no",
		    u->pwhash[0] ? "yes" : "no");
	for (i = 0; i < ng; i++) {
		if (access_str(&gv[i]) == NULL || (c = coll_by_rowid(cv, nc, gv[i].coll)) == NULL)
			continue;
		if (!arr)
			printf(" %s:%s", c->title, access_str(&gv[i]));
		shown++;
		json_array_append_new(grants, json_pack("{s:s,s:s,s:s}", "collection", c->title,
		    "id", c->id, "access", access_str(&gv[i])));
	}
	if (arr)
		json_array_append_new(arr, json_pack("{s:s,s:b,s:b,s:O}", "name", u->name,
		    "admin", u->admin, "password", u->pwhash[0] != '\0', "grants", grants));
	else
		puts(shown ? "" : " -");
	json_decref(grants);
	free(gv);
	return 0;
}

static int
run_list(const struct cli_args *a)
{
	struct store_collection *cv = NULL;
	struct store_user *uv = NULL;
	struct err err = ERR_INIT;
	json_t *arr = cli_has(a, "json") ? json_array() : NULL;
	struct cli_node n;
	size_t nc = 0, nu = 0, i;
	int r = -1;

	if (cli_node_open(a, &n, &err) < 0 || store_coll_list(n.s, &cv, &nc, &err) < 0 ||
	    store_user_list(n.s, &uv, &nu, &err) < 0)
		goto out;
	if (!arr)
		printf("%-24s  %-5s  %-8s  %s\n", "NAME", "ADMIN", "PASSWORD", "GRANTS");
	for (i = 0, r = 0; i < nu && r == 0; i++)
		r = show_user(n.s, &uv[i], cv, nc, arr, &err);
out:
	cli_node_close(&n);
	free(cv);
	free(uv);
	if (r < 0) {
		json_decref(arr);
		return cli_fail(&err);
	}
	return arr ? cli_json_print(json_pack("{s:o}", "users", arr)) : CLI_OK;
}

static int
run_remove(const struct cli_args *a)
{
	struct err err = ERR_INIT;
	struct cli_node n;
	int r;

	r = cli_node_open(a, &n, &err) < 0 || store_user_remove(n.s, a->pos[0], &err) < 0;
	cli_node_close(&n);
	if (r)
		return cli_fail(&err);
	printf("removed user %s\n", a->pos[0]);
	return CLI_OK;
}

static int
run_grant(const struct cli_args *a)
{
	struct err err = ERR_INIT;
	struct store_collection c;
	struct store_user u;
	struct grant_arg g;
	struct cli_node n;
	int r;

	if ((r = parse_grant(a, a->pos[1], 1, &g)) != 0)
		return r;
	r = CLI_FAIL;
	if (cli_node_open(a, &n, &err) < 0 || store_user_find(n.s, a->pos[0], &u, &err) < 0 ||
	    store_coll_find(n.s, g.coll, &c, &err) < 0 || inbox_read_only(&c, &g.g, &err) < 0)
		goto out;
	g.g.coll = c.rowid;
	if (store_grant_set(n.s, u.rowid, &g.g, &err) < 0)
		goto out;
	r = CLI_OK;
	if (access_str(&g.g))
		printf("%s: %s:%s\n", u.name, c.title, access_str(&g.g));
	else
		printf("%s: no access to %s\n", u.name, c.title);
out:
	cli_node_close(&n);
	return r == CLI_OK ? r : cli_fail(&err);
}
