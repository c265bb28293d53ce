/*
 * The hotline on the command line (docs/hotline.md): notify, inquire and
 * request open a case; cases lists them; case show, ack, respond, close,
 * withdraw and case start|ask|provide|refuse|mla-sent take steps. Parses
 * the arguments, reads the agreement's terms and prints: the operations
 * are hotline/ops.h's, the same the JSON API runs. Every step is stored,
 * queued for the partner, in one transaction; a running liaisond is woken
 * to send it.
 */
#include "cli/cli.h"
#include "exchange/exchange.h"
#include "hotline/hotline.h"
#include "hotline/ops.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/ts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DETAILS_MAX (1u << 20)
#define ATTACH_MAX (8u << 20)

static int run_open(const struct cli_args *a);
static int run_cases(const struct cli_args *a);
static int run_show(const struct cli_args *a);
static int run_step(const struct cli_args *a);

static const struct cli_opt open_opts[] = {
	{ "partner", "NAME", CLI_REQ, "the partner the case is opened with" },
	{ "kind", "KIND", 0, "notification, inquiry, assistance, preservation, emergency or "
	  "interference (default: the command's)" },
	{ "file", "DETAILS.json", 0, "the details: one JSON object with \"summary\" and the "
	  "fields the kind requires (docs/hotline.md)" },
	{ "summary", "TEXT", 0, "the details' summary, without --file" },
	{ "detail", "KEY=VALUE", CLI_MULTI, "one more field of the details, without --file "
	  "(mla_to_follow=true; disarm_techniques=T0002,T0014.001)" },
	{ "attach", "BUNDLE.json", 0, "a STIX bundle whose objects (indicators, infrastructure) "
	  "go with the case" },
	{ "tlp", "LEVEL", 0, "the TLP marking of the case: clear, green, amber (default), "
	  "amber+strict or red" },
	{ "json", NULL, 0, "print the case as JSON" },
	{ NULL, NULL, 0, NULL },
};

static const struct cli_spec notify_spec = {
	"notify", NULL, 0, 0,
	"Opens a case with a partner: an incident notification (kind notification; also "
	"emergency or interference). The partner's node receipts it at once; its duty officer "
	"must acknowledge within the agreement's time.",
	open_opts,
	"liaison notify --partner cert-b --summary 'DDoS on the tax portal from AS64500' "
	"--attach indicators.json",
	run_open,
};

static const struct cli_spec inquire_spec = {
	"inquire", NULL, 0, 0,
	"Opens a case with a partner: an inquiry about an incident of national concern, "
	"asking for consultations (kind inquiry).",
	open_opts,
	"liaison inquire --partner cert-b --summary 'Outage of the northern grid control network'",
	run_open,
};

static const struct cli_spec request_spec = {
	"request", NULL, 0, 0,
	"Opens a case with a partner: a request for assistance (kind assistance), expedited "
	"preservation of stored data (preservation, Budapest Convention Art. 29) or an "
	"emergency request (emergency).",
	open_opts,
	"liaison request --partner police-b --kind preservation --file preserve.json",
	run_open,
};

static const struct cli_opt cases_opts[] = {
	{ "open", NULL, 0, "only cases that are not closed, refused or withdrawn" },
	{ "overdue", NULL, 0, "only cases past a deadline" },
	{ "partner", "NAME", 0, "only cases with this partner" },
	{ "json", NULL, 0, "print {\"cases\": [...]} as JSON" },
	{ NULL, NULL, 0, NULL },
};

static const struct cli_spec cases_spec = {
	"cases", NULL, 0, 0,
	"Lists hotline cases, newest first: id, partner, kind, state, who opened it, the next "
	"deadline and how overdue it is.",
	cases_opts,
	"liaison cases --open --overdue",
	run_cases,
};

static const struct cli_opt show_opts[] = {
	{ "json", NULL, 0, "print the case with its details and steps as JSON" },
	{ NULL, NULL, 0, NULL },
};

static const struct cli_spec show_spec = {
	"case show", "ID", 1, 1,
	"Shows a case: its details, deadlines, escalation level and every step with who took "
	"it, when, and whether the partner's node receipted it. ID is the case id or the first "
	"characters of its uuid.",
	show_opts,
	"liaison case show 1f0c",
	run_show,
};

static const struct cli_opt step_opts[] = {
	{ "text", "TEXT", 0, "what goes with the step (an answer, a question, the ground of a "
	  "refusal)" },
	{ "file", "FILE", 0, "read that text from FILE (\"-\": stdin)" },
	{ "json", NULL, 0, "print the case as JSON" },
	{ NULL, NULL, 0, NULL },
};

#define STEP_SPEC(var, name, about, example) \
	static const struct cli_spec var = { name, "ID", 1, 1, about, step_opts, example, run_step }

STEP_SPEC(ack_spec, "ack", "Acknowledges a case a partner opened: a person has read it. "
    "This stops its acknowledgement clock.", "liaison ack 1f0c --text 'duty officer on it'");
STEP_SPEC(respond_spec, "respond", "Answers a case a partner opened (findings, measures "
    "taken, data preserved).", "liaison respond 1f0c --file findings.txt");
STEP_SPEC(close_spec, "close", "Closes a case: the opener once it is answered or resolved, "
    "the receiver once it answered.", "liaison close 1f0c");
STEP_SPEC(withdraw_spec, "withdraw", "Withdraws a case this node opened, until it is "
    "answered.", "liaison withdraw 1f0c --text 'resolved on our side'");
STEP_SPEC(start_spec, "case start", "Says work on a partner's acknowledged case is in "
    "progress.", "liaison case start 1f0c");
STEP_SPEC(ask_spec, "case ask", "Asks the opener of a partner's case for more information "
    "(its response clock pauses until it is provided).", "liaison case ask 1f0c --text "
    "'Which time zone are the log times in?'");
STEP_SPEC(provide_spec, "case provide", "Provides the information the partner asked for on "
    "a case this node opened.", "liaison case provide 1f0c --text 'UTC'");
STEP_SPEC(refuse_spec, "case refuse", "Refuses a partner's case, with its ground (for "
    "preservation, one of Art. 29(4)-(5)).", "liaison case refuse 1f0c --text 'political "
    "offence (Art. 29(5))'");
STEP_SPEC(mla_spec, "case mla-sent", "Says the mutual legal assistance request of a "
    "preservation case was sent: the preservation period starts again (Art. 29(7)).",
    "liaison case mla-sent 1f0c");

static const struct cli_spec *const case_subs[] = {
	&show_spec, &start_spec, &ask_spec, &provide_spec, &refuse_spec, &mla_spec,
};

/* The top-level hotline commands: each runs its spec. */
#define HOTLINE_CMD(fn, spec) \
	int fn(int argc, char **argv, const char *home) { return cli_run(&spec, argc, argv, home); }
HOTLINE_CMD(cli_cmd_notify, notify_spec)
HOTLINE_CMD(cli_cmd_inquire, inquire_spec)
HOTLINE_CMD(cli_cmd_request, request_spec)
HOTLINE_CMD(cli_cmd_cases, cases_spec)
HOTLINE_CMD(cli_cmd_ack, ack_spec)
HOTLINE_CMD(cli_cmd_respond, respond_spec)
HOTLINE_CMD(cli_cmd_close, close_spec)
HOTLINE_CMD(cli_cmd_withdraw, withdraw_spec)

int
cli_cmd_case(int argc, char **argv, const char *home)
{
	return cli_run_group("case", case_subs, sizeof(case_subs) / sizeof(case_subs[0]), argc,
	    argv, home);
}

/* ---- shared ---- */

static int
escalation(const struct lsn_config *cfg, struct hotline_escalation *e, struct err *err)
{
	int r = hotline_escalation_parse(cfg->escalate_after, cfg->escalate_to, e, err);

	if (r < 0)
		err_prefix(err, "[hotline] in liaison.conf: ");
	return r;
}

static int
terms_of(const struct cli_node *n, const char *partner, struct agr_hotline *ret, struct err *err)
{
	char dir[4200];
	struct agreement g;
	int exists, r;

	cli_agreements_dir(&n->cfg, dir);
	if ((r = exchange_agreement_load(dir, n->cfg.name, partner, &g, &exists, err)) < 0)
		return r;
	*ret = g.hotline;
	return 0;
}

static void
when(int64_t us, char out[TS_US_LEN])
{
	if (us == 0) {
		snprintf(out, TS_US_LEN, "-");
		return;
	}
	ts_format_us(us, out);
	out[19] = 'Z';   /* to the second: people read these */
	out[20] = '\0';
}

/* The case's next deadline and whose it is, for the table. */
static int64_t
next_deadline(const struct store_case *c, const char **what)
{
	*what = "";
	if (case_waits_ack((enum case_state)c->state) && c->ack_by) {
		*what = "ack";
		return c->ack_by;
	}
	if (case_waits_response((enum case_state)c->state) && c->respond_by) {
		*what = "respond";
		return c->respond_by;
	}
	if (c->preserve_until && !case_state_final((enum case_state)c->state)) {
		*what = "preserve";
		return c->preserve_until;
	}
	return 0;
}

static int
print_case(struct cli_node *n, const struct store_case *c, int full, int json,
    const struct hotline_escalation *e, struct err *err)
{
	json_t *j, *st;
	size_t i;
	int r;

	if ((r = hotline_case_json(n->s, c, NULL, full, e, clock_now_us(), &j, err)) < 0)
		return r;
	if (json)
		return cli_json_print(j);
	printf("case      %s\n", c->id);
	printf("partner   %s (%s)\n", json_string_value(json_object_get(j, "partner")),
	    c->role == CASE_OPENER ? "opened by this node" : "opened by the partner");
	printf("kind      %s, %s\n", case_kind_name((enum case_kind)c->kind),
	    stix_tlp_name((enum stix_tlp)c->tlp));
	printf("state     %s\n", case_state_name((enum case_state)c->state));
	printf("summary   %s\n", c->summary);
	{
		char a[TS_US_LEN], b[TS_US_LEN], d[TS_US_LEN], f[TS_US_LEN];
		int level = (int)json_integer_value(json_object_get(j, "level"));
		when(c->opened_us, a);
		when(c->receipt_us, b);
		when(c->acked_us, d);
		printf("opened    %s, receipt %s, acknowledged %s\n", a, b, d);
		when(c->ack_by, a);
		when(c->respond_by, b);
		printf("deadlines ack by %s, respond by %s\n", a, b);
		if (c->preserve_until) {
			when(c->preserve_until, d);
			when(c->remind_at, f);
			printf("preserve  until %s (reminder %s)\n", d, f);
		}
		if (level > 0)
			printf("OVERDUE   level %d: %s\n", level, e->to[level - 1]);
	}
	if (full) {
		char *det = json_dumps(json_object_get(j, "details"), JSON_INDENT(2) |
		    JSON_PRESERVE_ORDER);
		if (det != NULL)
			printf("details   %s\n", det);
		free(det);
		printf("steps\n");
		json_array_foreach(json_object_get(j, "steps"), i, st) {
			const char *status = json_string_value(json_object_get(st, "status"));
			const char *text = json_string_value(json_object_get(st, "text"));
			const char *rc = json_string_value(json_object_get(st, "receipt"));
			printf("  %2zu %-12s by %-8s %s  %s%s%s%s\n", i + 1,
			    json_string_value(json_object_get(st, "step")),
			    json_string_value(json_object_get(st, "by")),
			    json_string_value(json_object_get(st, "time")),
			    strcmp(status, "effective") == 0 ? "" : status,
			    strcmp(status, "effective") == 0 ? "" : " ",
			    json_object_get(st, "envelope_seq") == NULL ||
			    json_is_null(json_object_get(st, "envelope_seq")) ? "(queued) " :
			    rc == NULL ? "(sent, no receipt yet) " : "", "");
			if (text != NULL && strcmp(text, json_string_value(json_object_get(st,
			    "step"))) != 0)
				printf("       %s\n", text);
			if (strcmp(status, "effective") != 0)
				printf("       (%s)\n", json_string_value(json_object_get(st, "reason")));
		}
	}
	json_decref(j);
	return 0;
}

/* ---- notify, inquire, request ---- */

static int
details_from_options(const struct cli_args *a, struct buf *out, struct err *err)
{
	json_t *d = json_object();
	const char *summary = cli_get(a, "summary");
	char *s;
	int i;

	if (d == NULL)
		return err_set(err, LSN_ENOMEM, "out of memory");
	if (summary != NULL)
		json_object_set_new(d, "summary", json_string(summary));
	for (i = 0; i < a->nocc; i++) {
		const char *kv = a->occ[i].val, *eq;
		char key[128];
		json_t *v;
		if (strcmp(a->occ[i].opt->name, "detail") != 0)
			continue;
		eq = strchr(kv, '=');
		if (eq == NULL || eq == kv || (size_t)(eq - kv) >= sizeof(key)) {
			json_decref(d);
			return err_set(err, LSN_EINVAL, "--detail '%.60s' is not KEY=VALUE", kv);
		}
		snprintf(key, sizeof(key), "%.*s", (int)(eq - kv), kv);
		eq++;
		if (strcmp(key, "mla_to_follow") == 0 && (strcmp(eq, "true") == 0 ||
		    strcmp(eq, "false") == 0)) {
			v = json_boolean(strcmp(eq, "true") == 0);
		} else if (strcmp(key, "disarm_techniques") == 0) {
			char *copy = strdup(eq), *save = NULL, *t;
			v = json_array();
			for (t = copy ? strtok_r(copy, ",", &save) : NULL; t != NULL;
			    t = strtok_r(NULL, ",", &save))
				json_array_append_new(v, json_string(t + strspn(t, " ")));
			free(copy);
		} else {
			v = json_string(eq);
		}
		if (v == NULL || json_object_get(d, key) != NULL) {
			json_decref(v);
			json_decref(d);
			return err_set(err, LSN_EINVAL, "--detail %s is given twice or is not text", key);
		}
		json_object_set_new(d, key, v);
	}
	s = json_dumps(d, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(d);
	if (s == NULL || buf_adds(out, s) < 0) {
		free(s);
		return err_set(err, LSN_ENOMEM, "out of memory");
	}
	free(s);
	return 0;
}

static int
run_open(const struct cli_args *a)
{
	struct cli_node n;
	struct err err = ERR_INIT;
	struct buf details = BUF_INIT(DETAILS_MAX), attach = BUF_INIT(ATTACH_MAX);
	struct store_partner p;
	struct hotline_open_req rq;
	struct hotline_escalation esc;
	struct agr_hotline terms;
	struct store_case c;
	const char *kind = cli_get(a, "kind"), *file = cli_get(a, "file");
	const char *tlp = cli_get(a, "tlp") ? cli_get(a, "tlp") : "amber";
	int r, rc = CLI_FAIL;

	memset(&rq, 0, sizeof(rq));
	if (kind == NULL)
		kind = strcmp(a->spec->name, "notify") == 0 ? "notification" :
		    strcmp(a->spec->name, "inquire") == 0 ? "inquiry" : "assistance";
	if (case_kind_from_name(kind, &rq.kind) < 0)
		return cli_usage_error(a->spec, "--kind '%s' is not a kind: notification, inquiry, "
		    "assistance, preservation, emergency or interference", kind);
	if (stix_tlp_from_name(tlp, &rq.tlp) < 0)
		return cli_usage_error(a->spec, "--tlp '%s' is not a TLP level: clear, green, amber, "
		    "amber+strict or red", tlp);
	if (file != NULL && (cli_get(a, "summary") != NULL || cli_has(a, "detail")))
		return cli_usage_error(a->spec, "give the details either in --file or with "
		    "--summary and --detail, not both");
	if (file == NULL && cli_get(a, "summary") == NULL)
		return cli_usage_error(a->spec, "a case needs its details: --file DETAILS.json or "
		    "--summary TEXT");
	if ((file != NULL ? cli_read_file(file, &details, &err) :
	    details_from_options(a, &details, &err)) < 0 ||
	    (cli_get(a, "attach") != NULL && cli_read_file(cli_get(a, "attach"), &attach, &err) < 0)) {
		buf_release(&details);
		buf_release(&attach);
		return cli_fail(&err);
	}
	if ((r = cli_node_open(a, &n, &err)) < 0)
		goto out_bufs;
	if ((r = escalation(&n.cfg, &esc, &err)) < 0 ||
	    (r = store_partner_find(n.s, cli_get(a, "partner"), &p, &err)) < 0 ||
	    (r = terms_of(&n, p.name, &terms, &err)) < 0)
		goto out;
	rq.details = details.data;
	rq.details_len = details.len;
	rq.attach = attach.len ? attach.data : NULL;
	rq.attach_len = attach.len;
	if ((r = store_begin(n.s, &err)) < 0)
		goto out;
	if ((r = hotline_op_open(n.s, &p, &rq, &terms, clock_now_us(), &c, &err)) == 0)
		r = store_commit(n.s, &err);
	if (r != 0) {
		store_rollback(n.s);
		goto out;
	}
	cli_daemon_reload(&n.cfg);
	if (!cli_has(a, "json"))
		printf("opened %s case %s with %s; queued for delivery\n",
		    case_kind_name(rq.kind), c.id, p.name);
	r = print_case(&n, &c, 0, cli_has(a, "json"), &esc, &err);
	if (r == 0)
		rc = CLI_OK;
out:
	cli_node_close(&n);
out_bufs:
	buf_release(&details);
	buf_release(&attach);
	return rc == CLI_OK ? CLI_OK : cli_fail(&err);
}

/* ---- cases ---- */

struct table {
	struct cli_node *n;
	const struct hotline_escalation *e;
	int overdue, json;
	int64_t now;
	json_t *arr;
	size_t shown;
	struct hotline_partner_memo pm;
};

static int
table_row(void *arg, const struct store_case *c)
{
	struct table *t = arg;
	struct err err = ERR_INIT;
	int level = hotline_level(c, t->e, t->now);
	const char *what, *name;
	char due[TS_US_LEN], lv[16], uuid8[9];
	int64_t d;
	json_t *j;

	if (t->overdue && level == 0)
		return 0;
	name = hotline_partner_memo_get(t->n->s, &t->pm, c->partner, &err) < 0 ? "?" :
	    t->pm.p.name;
	t->shown++;
	if (t->json) {
		if (hotline_case_json(t->n->s, c, name, 0, t->e, t->now, &j, &err) < 0 ||
		    json_array_append_new(t->arr, j) < 0)
			return -LSN_ENOMEM;
		return 0;
	}
	d = next_deadline(c, &what);
	when(d, due);
	snprintf(lv, sizeof(lv), level ? "LEVEL %d" : "-", level);
	snprintf(uuid8, sizeof(uuid8), "%s", c->id + 10);
	printf("%-8s  %-12.12s  %-12s  %-14s  %-7s  %-8s %-20s  %-8s  %.40s\n", uuid8, name,
	    case_kind_name((enum case_kind)c->kind), case_state_name((enum case_state)c->state),
	    c->role == CASE_OPENER ? "us" : "partner", what, due, lv, c->summary);
	return 0;
}

static int
run_cases(const struct cli_args *a)
{
	struct cli_node n;
	struct err err = ERR_INIT;
	struct hotline_escalation esc;
	struct table t;
	struct store_partner p;
	int64_t pid = 0;
	int r;

	if ((r = cli_node_open(a, &n, &err)) < 0)
		return cli_fail(&err);
	memset(&t, 0, sizeof(t));
	if ((r = escalation(&n.cfg, &esc, &err)) < 0 || (cli_get(a, "partner") != NULL &&
	    (r = store_partner_find(n.s, cli_get(a, "partner"), &p, &err)) < 0))
		goto out;
	if (cli_get(a, "partner") != NULL)
		pid = p.rowid;
	t.n = &n;
	t.e = &esc;
	t.overdue = cli_has(a, "overdue");
	t.json = cli_has(a, "json");
	t.now = clock_now_us();
	t.arr = json_array();
	if (!t.json)
		printf("%-8s  %-12s  %-12s  %-14s  %-7s  %-29s  %-8s  %s\n", "CASE", "PARTNER",
		    "KIND", "STATE", "OPENER", "NEXT DEADLINE", "OVERDUE", "SUMMARY");
	{
		struct store_case_query q;
		memset(&q, 0, sizeof(q));
		q.partner = pid;
		q.open_only = cli_has(a, "open");
		q.overdue_at = t.overdue;
		q.now_us = t.now;
		r = store_case_scan(n.s, &q, table_row, &t, &err);
	}
	if (r == -LSN_ENOMEM)
		r = err_set(&err, LSN_ENOMEM, "out of memory");
	if (r == 0 && t.json) {
		r = cli_json_print(json_pack("{s:o}", "cases", t.arr));
		t.arr = NULL;
	}
out:
	json_decref(t.arr);
	cli_node_close(&n);
	return r < 0 ? cli_fail(&err) : CLI_OK;
}

/* ---- case show and the steps ---- */

static int
run_show(const struct cli_args *a)
{
	struct cli_node n;
	struct err err = ERR_INIT;
	struct hotline_escalation esc;
	struct store_case c;
	int r;

	if ((r = cli_node_open(a, &n, &err)) < 0)
		return cli_fail(&err);
	if ((r = escalation(&n.cfg, &esc, &err)) == 0 &&
	    (r = store_case_get(n.s, a->pos[0], &c, &err)) == 0)
		r = print_case(&n, &c, 1, cli_has(a, "json"), &esc, &err);
	cli_node_close(&n);
	return r < 0 ? cli_fail(&err) : CLI_OK;
}

static enum case_step
step_of(const char *command)
{
	static const struct { const char *cmd; enum case_step step; } map[] = {
		{ "ack", STEP_ACK }, { "respond", STEP_RESPOND }, { "close", STEP_CLOSE },
		{ "withdraw", STEP_WITHDRAW }, { "case start", STEP_START },
		{ "case ask", STEP_REQUEST_INFO }, { "case provide", STEP_PROVIDE_INFO },
		{ "case refuse", STEP_REFUSE }, { "case mla-sent", STEP_MLA_SENT },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i].cmd, command) == 0)
			return map[i].step;
	return STEP_ACK;
}

static int
run_step(const struct cli_args *a)
{
	struct cli_node n;
	struct err err = ERR_INIT;
	struct hotline_escalation esc;
	struct store_case c, done;
	struct store_partner p;
	struct hotline_step_req rq;
	struct agr_hotline terms;
	struct buf text = BUF_INIT(HOTLINE_TEXT_MAX + 1);
	enum case_step step = step_of(a->spec->name);
	int r;

	if (cli_get(a, "text") != NULL && cli_get(a, "file") != NULL)
		return cli_usage_error(a->spec, "give the text with --text or --file, not both");
	if (cli_get(a, "text") != NULL && buf_adds(&text, cli_get(a, "text")) < 0)
		return cli_usage_error(a->spec, "--text holds more than %d bytes", HOTLINE_TEXT_MAX);
	if (cli_get(a, "file") != NULL && cli_read_file(cli_get(a, "file"), &text, &err) < 0) {
		buf_release(&text);
		return cli_fail(&err);
	}
	if (text.len > 0 && (memchr(text.data, '\0', text.len) != NULL || buf_addc(&text, 0) < 0)) {
		buf_release(&text);
		err_set(&err, LSN_EINVAL, "the text holds a NUL byte or is too long");
		return cli_fail(&err);
	}
	if ((r = cli_node_open(a, &n, &err)) < 0) {
		buf_release(&text);
		return cli_fail(&err);
	}
	if ((r = escalation(&n.cfg, &esc, &err)) < 0 ||
	    (r = hotline_op_find(n.s, a->pos[0], &c, &p, &err)) < 0 ||
	    (r = terms_of(&n, p.name, &terms, &err)) < 0)
		goto out;
	rq.key = c.id;
	rq.step = step;
	rq.text = text.len ? text.data : NULL;
	if ((r = store_begin(n.s, &err)) < 0)
		goto out;
	if ((r = hotline_op_step(n.s, &rq, &terms, clock_now_us(), &done, &err)) == 0)
		r = store_commit(n.s, &err);
	if (r != 0) {
		store_rollback(n.s);
		r = r < 0 ? r : -LSN_EINVAL;   /* refused: the sentence is in err */
		goto out;
	}
	cli_daemon_reload(&n.cfg);
	if (!cli_has(a, "json"))
		printf("%s: '%s' queued for %s; the case is %s\n", done.id, case_step_name(step),
		    p.name, case_state_name((enum case_state)done.state));
	else
		r = print_case(&n, &done, 1, 1, &esc, &err);
out:
	buf_release(&text);
	cli_node_close(&n);
	return r < 0 ? cli_fail(&err) : CLI_OK;
}
