/*
 * Argument parsing and usage text, both driven by each command's struct
 * cli_spec, so --help always lists exactly the options the parser accepts.
 * Prints only usage and usage errors; commands print their own results.
 */
#include "cli/cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define PARSE_HELP (-1)

static const char *
last_word(const char *name)
{
	const char *sp = strrchr(name, ' ');

	return sp ? sp + 1 : name;
}

static void
print_synopsis(FILE *f, const struct cli_spec *sp)
{
	const struct cli_opt *o;

	fprintf(f, "usage: liaison [--home DIR] %s", sp->name);
	if (sp->args)
		fprintf(f, " %s", sp->args);
	for (o = sp->opts; o && o->name; o++) {
		const char *open = o->flags & CLI_REQ ? "" : "[";
		const char *close = o->flags & CLI_REQ ? "" : "]";

		fprintf(f, " %s--%s%s%s%s%s", open, o->name, o->arg ? " " : "",
		    o->arg ? o->arg : "", close, o->flags & CLI_MULTI ? "..." : "");
	}
	fputc('\n', f);
}

static void
print_opt(FILE *f, const char *left, const char *help)
{
	if (strlen(left) <= 26)
		fprintf(f, "  %-26s  %s\n", left, help);
	else
		fprintf(f, "  %s\n  %-26s  %s\n", left, "", help);
}

static void
print_usage(FILE *f, const struct cli_spec *sp)
{
	const struct cli_opt *o;
	char left[128];

	print_synopsis(f, sp);
	fprintf(f, "\n%s\n\noptions:\n", sp->about);
	for (o = sp->opts; o && o->name; o++) {
		snprintf(left, sizeof(left), "--%s%s%s", o->name, o->arg ? " " : "",
		    o->arg ? o->arg : "");
		print_opt(f, left, o->help);
	}
	print_opt(f, "--home DIR", "node home (default: $LIAISON_HOME)");
	print_opt(f, "-h, --help", "show this help");
	fprintf(f, "\nexample:\n  %s\n", sp->example);
}

int
cli_usage_error(const struct cli_spec *sp, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "liaison %s: ", sp->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	print_synopsis(stderr, sp);
	fprintf(stderr, "(liaison %s --help shows every option)\n", sp->name);
	return CLI_USAGE;
}

static const struct cli_opt *
find_opt(const struct cli_spec *sp, const char *name, size_t len)
{
	const struct cli_opt *o;

	for (o = sp->opts; o && o->name; o++)
		if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
			return o;
	return NULL;
}

/* The value of --name=V or --name V; NULL if missing. */
static const char *
opt_value(const char *eq, int argc, char **argv, int *i)
{
	if (eq)
		return eq + 1;
	/* "--title --json" is a forgotten value, not a title. */
	if (*i + 1 >= argc || strncmp(argv[*i + 1], "--", 2) == 0)
		return NULL;
	return argv[++*i];
}

static int
add_occ(struct cli_args *a, const struct cli_opt *o, const char *val)
{
	int k;

	for (k = 0; k < a->nocc && !(o->flags & CLI_MULTI); k++)
		if (a->occ[k].opt == o)
			return cli_usage_error(a->spec, "option --%s given twice", o->name);
	if (a->nocc == CLI_OCC_MAX)
		return cli_usage_error(a->spec, "too many options (at most %d)", CLI_OCC_MAX);
	a->occ[a->nocc].opt = o;
	a->occ[a->nocc++].val = val;
	return 0;
}

static int
take_opt(struct cli_args *a, int argc, char **argv, int *i)
{
	const char *name = argv[*i] + 2, *eq = strchr(name, '='), *val;
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	const struct cli_opt *o;

	if (len == 4 && strncmp(name, "home", 4) == 0) {
		if ((a->home = opt_value(eq, argc, argv, i)) == NULL)
			return cli_usage_error(a->spec, "option --home needs a value (DIR)");
		return 0;
	}
	o = find_opt(a->spec, name, len);
	if (o == NULL)
		return cli_usage_error(a->spec, "unknown option --%.*s", (int)len, name);
	if (o->arg == NULL) {
		if (eq)
			return cli_usage_error(a->spec, "option --%s takes no value", o->name);
		return add_occ(a, o, "");
	}
	if ((val = opt_value(eq, argc, argv, i)) == NULL)
		return cli_usage_error(a->spec, "option --%s needs a value (%s)", o->name, o->arg);
	return add_occ(a, o, val);
}

static int
wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return 1;
	return 0;
}

static int
check_required(struct cli_args *a)
{
	const struct cli_opt *o;

	if (a->npos < a->spec->min_pos)
		return cli_usage_error(a->spec, "missing %s", a->spec->args);
	for (o = a->spec->opts; o && o->name; o++)
		if ((o->flags & CLI_REQ) && !cli_has(a, o->name))
			return cli_usage_error(a->spec, "missing --%s %s (required)", o->name,
			    o->arg ? o->arg : "");
	return 0;
}

static int
parse(struct cli_args *a, int argc, char **argv)
{
	int i, r, opts_done = 0;

	if (wants_help(argc, argv))
		return PARSE_HELP;
	for (i = 1; i < argc; i++) {
		const char *s = argv[i];

		if (!opts_done && strcmp(s, "--") == 0) {
			opts_done = 1;
		} else if (!opts_done && strncmp(s, "--", 2) == 0) {
			if ((r = take_opt(a, argc, argv, &i)) != 0)
				return r;
		} else if (!opts_done && s[0] == '-' && s[1] != '\0') {
			return cli_usage_error(a->spec, "unknown option %s", s);
		} else if (a->npos >= a->spec->max_pos) {
			return cli_usage_error(a->spec, "unexpected argument '%s'", s);
		} else {
			a->pos[a->npos++] = s;
		}
	}
	return check_required(a);
}

int
cli_run(const struct cli_spec *sp, int argc, char **argv, const char *home)
{
	struct cli_args a;
	int r;

	memset(&a, 0, sizeof(a));
	a.spec = sp;
	a.home = home;
	r = parse(&a, argc, argv);
	if (r == PARSE_HELP) {
		print_usage(stdout, sp);
		return CLI_OK;
	}
	if (r != 0)
		return r;
	return sp->run(&a);
}

static void
print_group(FILE *f, const char *group, const struct cli_spec *const *subs, size_t n)
{
	size_t i;

	fprintf(f, "liaison %s: one of", group);
	for (i = 0; i < n; i++)
		fprintf(f, " %s", last_word(subs[i]->name));
	fprintf(f, " (liaison %s --help shows each)\n", group);
}

int
cli_run_group(const char *group, const struct cli_spec *const *subs, size_t n,
    int argc, char **argv, const char *home)
{
	int i = 1;
	size_t k;

	while (i < argc && strncmp(argv[i], "--home", 6) == 0 &&
	    (argv[i][6] == '=' || (argv[i][6] == '\0' && i + 1 < argc))) {
		home = argv[i][6] == '=' ? argv[i] + 7 : argv[++i];
		i++;
	}
	if (i < argc && (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)) {
		for (k = 0; k < n; k++) {
			print_usage(stdout, subs[k]);
			fputs(k + 1 < n ? "\n" : "", stdout);
		}
		return CLI_OK;
	}
	for (k = 0; i < argc && k < n; k++)
		if (strcmp(argv[i], last_word(subs[k]->name)) == 0)
			return cli_run(subs[k], argc - i, argv + i, home);
	if (i < argc)
		fprintf(stderr, "liaison %s: unknown subcommand '%s'\n", group, argv[i]);
	else
		fprintf(stderr, "liaison %s: missing subcommand\n", group);
	print_group(stderr, group, subs, n);
	return CLI_USAGE;
}

const char *
cli_get(const struct cli_args *a, const char *name)
{
	int k;

	for (k = a->nocc - 1; k >= 0; k--)
		if (strcmp(a->occ[k].opt->name, name) == 0)
			return a->occ[k].val;
	return NULL;
}

int
cli_get_all(const struct cli_args *a, const char *name, const char **ret, int max)
{
	int k, n = 0;

	for (k = 0; k < a->nocc; k++) {
		if (strcmp(a->occ[k].opt->name, name) != 0)
			continue;
		if (n < max)
			ret[n] = a->occ[k].val;
		n++;
	}
	return n;
}

int
cli_has(const struct cli_args *a, const char *name)
{
	return cli_get(a, name) != NULL;
}
