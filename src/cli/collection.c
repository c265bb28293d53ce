/*
 * liaison collection add|list: the TAXII collections of this node. Writes
 * go straight to the store (SQLite serialises them with a running liaisond);
 * access rights are the user command's business.
 */
#include "cli/cli.h"
#include "crypto/cx.h"
#include "store/store.h"
#include "util/err.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int run_add(const struct cli_args *a);
static int run_list(const struct cli_args *a);

static const struct cli_opt add_opts[] = {
	{ "title", "TITLE", CLI_REQ, "the collection's title (unique on this node)" },
	{ "id", "UUID", 0, "its TAXII id (default: a new random UUID)" },
	{ "description", "TEXT", 0, "what the collection holds" },
	{ "json", NULL, 0, "print the new collection as JSON" },
	{ NULL, NULL, 0, NULL },
};

static const struct cli_opt list_opts[] = {
	{ "json", NULL, 0, "print {\"collections\": [...]} as JSON" },
	{ NULL, NULL, 0, NULL },
};

static const struct cli_spec add_spec = {
	"collection add", NULL, 0, 0,
	"Adds a TAXII collection and prints its id.",
	add_opts,
	"liaison collection add --title incidents --description 'Incident reports'",
	run_add,
};

static const struct cli_spec list_spec = {
	"collection list", NULL, 0, 0,
	"Lists the collections: id, title, stored object versions, description.",
	list_opts,
	"liaison collection list --json",
	run_list,
};

static const struct cli_spec *const subs[] = { &add_spec, &list_spec };

int
cli_cmd_collection(int argc, char **argv, const char *home)
{
	return cli_run_group("collection", subs, sizeof(subs) / sizeof(subs[0]), argc, argv, home);
}

static int
is_uuid(const char *s)
{
	int i;

	if (strlen(s) != 36)
		return 0;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!isxdigit((unsigned char)s[i])) {
			return 0;
		}
	}
	return 1;
}

static int
check_add(const struct cli_args *a, struct store_collection *c)
{
	const char *title = cli_get(a, "title"), *id = cli_get(a, "id");
	const char *desc = cli_get(a, "description") ? cli_get(a, "description") : "";
	int i;

	if (title[0] == '\0' || strlen(title) >= sizeof(c->title))
		return cli_usage_error(a->spec, "--title must be 1-%zu bytes", sizeof(c->title) - 1);
	/* On the command line ids and titles share one namespace (coll_find). */
	if (is_uuid(title))
		return cli_usage_error(a->spec, "--title must not look like a UUID");
	if (strlen(desc) >= sizeof(c->description))
		return cli_usage_error(a->spec, "--description is longer than %zu bytes",
		    sizeof(c->description) - 1);
	if (id && !is_uuid(id))
		return cli_usage_error(a->spec, "--id must be a UUID like "
		    "0f4c3e2a-8d1b-4c9e-a7f0-2b6d5e8c1a93, not '%s'", id);
	memset(c, 0, sizeof(*c));
	snprintf(c->title, sizeof(c->title), "%s", title);
	snprintf(c->description, sizeof(c->description), "%s", desc);
	if (id)
		for (i = 0; i < 36; i++)
			c->id[i] = (char)tolower((unsigned char)id[i]);
	return 0;
}

static int
run_add(const struct cli_args *a)
{
	struct err err = ERR_INIT;
	struct store_collection c;
	struct cli_node n;
	int r;

	if ((r = check_add(a, &c)) != 0)
		return r;
	if (c.id[0] == '\0' && cx_uuid4(c.id) < 0) {
		err_set(&err, LSN_EIO, "cannot read random bytes for a collection id");
		return cli_fail(&err);
	}
	if (cli_node_open(a, &n, &err) < 0 || store_coll_add(n.s, &c, &err) < 0) {
		cli_node_close(&n);
		return cli_fail(&err);
	}
	cli_node_close(&n);
	if (cli_has(a, "json"))
		return cli_json_print(json_pack("{s:s,s:s,s:s}", "id", c.id, "title", c.title,
		    "description", c.description));
	printf("%s\n", c.id);
	return CLI_OK;
}

static int
print_list(const struct cli_args *a, const struct store_collection *v, const int64_t *cnt,
    size_t n)
{
	json_t *arr;
	size_t i;

	if (cli_has(a, "json")) {
		arr = json_array();
		for (i = 0; i < n; i++)
			json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:I}", "id", v[i].id,
			    "title", v[i].title, "description", v[i].description,
			    "object_versions", (json_int_t)cnt[i]));
		return cli_json_print(json_pack("{s:o}", "collections", arr));
	}
	printf("%-36s  %-16s  %8s  %s\n", "ID", "TITLE", "OBJECTS", "DESCRIPTION");
	for (i = 0; i < n; i++)
		printf("%-36s  %-16s  %8lld  %s\n", v[i].id, v[i].title, (long long)cnt[i],
		    v[i].description);
	return CLI_OK;
}

static int
run_list(const struct cli_args *a)
{
	struct err err = ERR_INIT;
	struct store_collection *v = NULL;
	int64_t *cnt = NULL;
	struct cli_node n;
	size_t nv = 0, i;
	int r = CLI_FAIL;

	if (cli_node_open(a, &n, &err) < 0 || store_coll_list(n.s, &v, &nv, &err) < 0)
		goto out;
	if ((cnt = calloc(nv + 1, sizeof(*cnt))) == NULL) {
		err_set(&err, LSN_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < nv; i++)
		if (store_objects_count(n.s, v[i].rowid, &cnt[i], &err) < 0)
			goto out;
	r = print_list(a, v, cnt, nv);
out:
	cli_node_close(&n);
	free(v);
	free(cnt);
	return r == CLI_FAIL && err.msg[0] ? cli_fail(&err) : r;
}
