/*
 * End-to-end: the hotline (docs/hotline.md) between two real nodes A
 * (cert-a) and B (cert-b), paired both ways under one agreement whose
 * acknowledgement deadline is 2 seconds.
 *  - a notification with attached indicators: B sees it (and TAXII clients
 *    of B see its STIX objects); nobody acknowledges in time, so it is
 *    overdue and escalates on both sides (log, `cases --overdue`, /metrics,
 *    `status`); B acknowledges, responds, A closes; both show every state;
 *    the pledge in `partner list`; refused steps change nothing;
 *  - a whole preservation flow with the Art. 29 fields: ack, start, a
 *    question and its answer, the MLA step that restarts the preservation
 *    clock on both sides, response, closure; missing fields and steps of the
 *    wrong side are refused;
 *  - the JSON API: lists, one case, steps POSTed, errors, visibility;
 *  - cases survive restarts of both nodes, and a case opened while the
 *    partner is down arrives when it is back.
 */
#include "e2e.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PW "hotline-password"
#define WAIT_MS 20000

static struct e2e_node A, B;
static struct e2e_client a_admin, b_admin;
static int64_t t_start;
static char notif[80], pres[80];      /* the two cases' ids */

#define log_time(...) e2e_log_time(t_start, __VA_ARGS__)

/* ---- helpers ---- */

static char *
write_tmp(const char *name, const char *text)
{
	static char path[4][400];
	static int k;
	char *p = path[k++ % 4];
	FILE *f;

	snprintf(p, sizeof(path[0]), "%s/%s", A.home, name);
	if ((f = fopen(p, "w")) == NULL || fputs(text, f) < 0 || fclose(f) != 0)
		fail_msg("cannot write %s", p);
	return p;
}

/* `case show ID --json` on n, or NULL if n has no such case (yet). */
static json_t *
case_of(const struct e2e_node *n, const char *id)
{
	char *out = NULL, *err = NULL;
	json_t *j = NULL;

	if (e2e_liaison(n, NULL, &out, &err, "case", "show", id, "--json", (const char *)NULL) == 0)
		j = json_loads(out, JSON_REJECT_DUPLICATES, NULL);
	free(out);
	free(err);
	return j;
}

/* Waits until n holds case id in state; returns it. */
static json_t *
wait_state(const struct e2e_node *n, const char *id, const char *state)
{
	int64_t until = e2e_now_ms() + WAIT_MS;
	json_t *j = NULL;

	for (;;) {
		json_decref(j);
		j = case_of(n, id);
		if (j != NULL && strcmp(e2e_jstr(j, "state"), state) == 0)
			return j;
		if (e2e_now_ms() > until)
			fail_msg("%s: case %s is %s, not %s, after %d ms", n->name, id,
			    j ? e2e_jstr(j, "state") : "absent", state, WAIT_MS);
		usleep(100 * 1000);
	}
}

/* Runs `liaison ARGS...` (NULL-ended, at most 10) on n: its exit status. */
static int
run_v(const struct e2e_node *n, char **out, char **err, va_list ap)
{
	const char *v[11] = { 0 };
	int k = 0;

	while (k < 10 && (v[k] = va_arg(ap, const char *)) != NULL)
		k++;
	return e2e_liaison(n, NULL, out, err, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7],
	    v[8], v[9], (const char *)NULL);
}

/* A command on n that must succeed. */
static void
ok_(const struct e2e_node *n, ...)
{
	char *out = NULL, *err = NULL;
	va_list ap;
	int rc;

	va_start(ap, n);
	rc = run_v(n, &out, &err, ap);
	va_end(ap);
	if (rc != 0)
		fail_msg("%s: a liaison command exited %d: %s %s", n->name, rc, out, err);
	free(out);
	free(err);
}
#define ok(n, ...) ok_(n, __VA_ARGS__, (const char *)NULL)

/* A command on n that must exit with want_rc (1 refused, 2 usage) naming want. */
static void
refused_(const struct e2e_node *n, int want_rc, const char *want, ...)
{
	char *out = NULL, *err = NULL;
	va_list ap;
	int rc;

	va_start(ap, want);
	rc = run_v(n, &out, &err, ap);
	va_end(ap);
	if (rc != want_rc || err == NULL || strstr(err, want) == NULL)
		fail_msg("%s: wanted exit %d naming '%s', got %d: %s %s", n->name, want_rc, want, rc,
		    out, err);
	free(out);
	free(err);
}
#define refused(n, want, ...) refused_(n, 1, want, __VA_ARGS__, (const char *)NULL)
#define misused(n, want, ...) refused_(n, 2, want, __VA_ARGS__, (const char *)NULL)

static size_t
steps_of(const json_t *c)
{
	return json_array_size(json_object_get(c, "steps"));
}

static const char *
deadline(const json_t *c, const char *k)
{
	const json_t *v = json_object_get(json_object_get(c, "deadlines"), k);

	return json_is_string(v) ? json_string_value(v) : "null";
}

/* Both nodes hold the case in the same state with the same deadlines and steps. */
/* GET path as c: its allowed_steps, compact, are want. */
static void
allowed_steps_are(struct e2e_client *c, const char *path, const char *want)
{
	struct e2e_resp r = { 0 };
	json_t *j;
	char *got;

	if (e2e_get(c, path, &r) != 0 || r.status != 200)
		fail_msg("GET %s answered %ld: %s", path, r.status, r.body);
	j = e2e_json(&r);
	got = json_dumps(json_object_get(j, "allowed_steps"), JSON_COMPACT | JSON_ENCODE_ANY);
	if (got == NULL || strcmp(got, want) != 0)
		fail_msg("GET %s: allowed_steps %s, not %s", path, got ? got : "(none)", want);
	free(got);
	json_decref(j);
	e2e_resp_release(&r);
}

static void
same_on_both(const char *id, const char *state)
{
	json_t *a = wait_state(&A, id, state), *b = wait_state(&B, id, state);
	static const char *const clocks[] = { "ack_by", "respond_by", "preserve_until" };
	size_t i;
	int64_t until = e2e_now_ms() + WAIT_MS;

	/* a step still on its way: wait until both hold as many */
	while (steps_of(a) != steps_of(b) && e2e_now_ms() < until) {
		usleep(100 * 1000);
		json_decref(a);
		json_decref(b);
		a = wait_state(&A, id, state);
		b = wait_state(&B, id, state);
	}
	if (steps_of(a) != steps_of(b))
		fail_msg("case %s: A holds %zu steps, B %zu", id, steps_of(a), steps_of(b));
	for (i = 0; i < 3; i++)
		if (strcmp(deadline(a, clocks[i]), deadline(b, clocks[i])) != 0)
			fail_msg("case %s: %s is %s on A, %s on B", id, clocks[i], deadline(a, clocks[i]),
			    deadline(b, clocks[i]));
	for (i = 0; i < steps_of(a); i++) {
		json_t *sa = json_array_get(json_object_get(a, "steps"), i);
		json_t *sb = json_array_get(json_object_get(b, "steps"), i);
		if (strcmp(e2e_jstr(sa, "sha256"), e2e_jstr(sb, "sha256")) != 0 ||
		    strcmp(e2e_jstr(sa, "status"), e2e_jstr(sb, "status")) != 0 ||
		    strcmp(e2e_jstr(sa, "by"), e2e_jstr(sb, "by")) != 0)
			fail_msg("case %s: step %zu differs: A %s %s by %s, B %s %s by %s", id, i + 1,
			    e2e_jstr(sa, "step"), e2e_jstr(sa, "status"), e2e_jstr(sa, "by"),
			    e2e_jstr(sb, "step"), e2e_jstr(sb, "status"), e2e_jstr(sb, "by"));
	}
	json_decref(a);
	json_decref(b);
}

/* The ids of `cases [flags] --json` on n. */
static int
listed(const struct e2e_node *n, const char *flag, const char *id)
{
	json_t *j = flag ? e2e_liaison_json(n, "cases", flag, NULL) :
	    e2e_liaison_json(n, "cases", NULL), *c;
	size_t i;
	int found = 0;

	json_array_foreach(json_object_get(j, "cases"), i, c)
		found |= strcmp(e2e_jstr(c, "id"), id) == 0;
	json_decref(j);
	return found;
}

static void
open_case(const struct e2e_node *n, char out[80], const char *verb, const char *a1,
    const char *a2, const char *a3, const char *a4, const char *a5, const char *a6)
{
	char *o = NULL, *e = NULL;
	json_t *j;
	int rc = e2e_liaison(n, NULL, &o, &e, verb, "--partner", n == &A ? "cert-b" : "cert-a",
	    "--json", a1, a2, a3, a4, a5, a6, (const char *)NULL);

	if (rc != 0 || (j = json_loads(o, JSON_REJECT_DUPLICATES, NULL)) == NULL)
		fail_msg("%s: liaison %s exited %d: %s %s", n->name, verb, rc, o, e);
	snprintf(out, 80, "%s", e2e_jstr(j, "id"));
	if (strncmp(out, "incident--", 10) != 0 || strcmp(e2e_jstr(j, "state"), "opened") != 0 ||
	    strcmp(e2e_jstr(j, "opened_by"), "this node") != 0)
		fail_msg("%s: the new case is not an opened incident of this node: %s", n->name, o);
	json_decref(j);
	free(o);
	free(e);
}

/* ---- tests ---- */

static const char attach[] =
	"{\"type\":\"bundle\",\"id\":\"bundle--3a3b0b7e-8a43-4d2a-9c59-2f3e6b1f0a01\",\"objects\":["
	"{\"type\":\"indicator\",\"spec_version\":\"2.1\","
	"\"id\":\"indicator--4b3e6b1f-0a01-4d2a-9c59-3a3b0b7e8a43\","
	"\"created\":\"2026-11-01T06:10:00.000Z\",\"modified\":\"2026-11-01T06:10:00.000Z\","
	"\"name\":\"DDoS source\",\"pattern_type\":\"stix\","
	"\"pattern\":\"[ipv4-addr:value = '203.0.113.7']\",\"valid_from\":\"2026-11-01T06:10:00Z\"},"
	"{\"type\":\"infrastructure\",\"spec_version\":\"2.1\","
	"\"id\":\"infrastructure--5c4f7c20-1b12-4e3b-8d6a-4b4c1c8f9b12\","
	"\"created\":\"2026-11-01T06:10:00.000Z\",\"modified\":\"2026-11-01T06:10:00.000Z\","
	"\"name\":\"botnet hosts in AS64500\"}]}";

static void
test_notification_overdue(void **state)
{
	const char *overdue[] = { "\"event\":\"case_overdue\"", notif, "\"level\":1,", NULL };
	char from_a[64], *o = NULL, *e = NULL;
	struct e2e_resp r = { 0 };
	json_t *a, *b, *p, *objs, *x;
	size_t i, seen = 0;

	(void)state;
	open_case(&A, notif, "notify", "--summary", "DDoS on the tax portal from AS64500",
	    "--attach", write_tmp("iocs.json", attach), NULL, NULL);
	log_time("A opened %s", notif);
	b = wait_state(&B, notif, "opened");
	if (strcmp(e2e_jstr(b, "opened_by"), "partner") != 0 ||
	    strcmp(e2e_jstr(b, "kind"), "notification") != 0 ||
	    strcmp(e2e_jstr(b, "tlp"), "TLP:AMBER") != 0 ||
	    strcmp(e2e_jstr(b, "summary"), "DDoS on the tax portal from AS64500") != 0)
		fail_msg("B's view of the case is wrong: %s", json_dumps(b, 0));
	json_decref(b);
	same_on_both(notif, "opened");
	/* TAXII clients of B see the case and what came with it */
	e2e_coll_id(&B, "from-cert-a", from_a);
	if (e2e_get(&b_admin, e2e_path(API "/collections/%s/objects/", from_a), &r) != 0)
		fail_msg("GET objects failed");
	objs = json_object_get(x = e2e_assert_ok(&r, 200), "objects");
	json_array_foreach(objs, i, a) {
		const char *id = e2e_jstr(a, "id");
		seen += strcmp(id, notif) == 0;
		seen += strncmp(id, "grouping--", 10) == 0 && strcmp(id + 10, notif + 10) == 0;
		seen += strcmp(id, "indicator--4b3e6b1f-0a01-4d2a-9c59-3a3b0b7e8a43") == 0;
		seen += strcmp(id, "infrastructure--5c4f7c20-1b12-4e3b-8d6a-4b4c1c8f9b12") == 0;
		seen += strncmp(id, "note--", 6) == 0;
	}
	if (seen != 5)
		fail_msg("B's from-cert-a lacks the case's objects (%zu of 5): %.600s", seen, r.body);
	json_decref(x);
	e2e_resp_release(&r);

	/* nobody acknowledges within 2 s: overdue and escalated on both sides */
	if (e2e_log_wait(&A, overdue, 1, WAIT_MS) < 1 || e2e_log_wait(&B, overdue, 1, WAIT_MS) < 1)
		fail_msg("no case_overdue event at level 1 on both nodes");
	if (!listed(&A, "--overdue", notif) || !listed(&B, "--overdue", notif))
		fail_msg("the case is not in `cases --overdue` on both nodes");
	if (e2e_node_metric(&a_admin, "liaison_hotline_escalations_total{level=\"1\"}") < 1 ||
	    e2e_node_metric(&b_admin, "liaison_hotline_escalations_total{level=\"1\"}") < 1)
		fail_msg("the escalation is not counted in /metrics on both nodes");
	x = e2e_liaison_json(&B, "status", NULL);
	if (e2e_jint(json_object_get(x, "hotline"), "overdue") < 1 ||
	    e2e_jint(json_object_get(x, "hotline"), "waiting_for_us") < 1)
		fail_msg("B's status does not show the overdue case waiting for it");
	json_decref(x);
	log_time("overdue and escalated on both sides");

	/* B's duty officer acknowledges: the clock stops on both sides */
	ok(&B, "ack", notif + 10, "--text", "duty officer on it");
	same_on_both(notif, "acknowledged");
	if (listed(&A, "--overdue", notif) || listed(&B, "--overdue", notif))
		fail_msg("an acknowledged case is still overdue");
	ok(&B, "respond", notif, "--text", "the hosts were taken offline at 07:02 UTC");
	same_on_both(notif, "answered");
	ok(&A, "close", notif);
	same_on_both(notif, "closed");
	if (!listed(&A, NULL, notif) || listed(&A, "--open", notif))
		fail_msg("a closed case is listed as open, or not at all");

	/* every step of A went out and was receipted; the texts are B's */
	a = case_of(&A, notif);
	if (steps_of(a) != 4)
		fail_msg("A holds %zu steps, not 4 (open, ack, respond, close)", steps_of(a));
	json_array_foreach(json_object_get(a, "steps"), i, x) {
		static const char *const want[] = { "open", "ack", "respond", "close" };
		if (strcmp(e2e_jstr(x, "step"), want[i]) != 0 ||
		    strcmp(e2e_jstr(x, "status"), "effective") != 0 ||
		    !json_is_string(json_object_get(x, "receipt")))
			fail_msg("step %zu of A is wrong: %s", i + 1, json_dumps(x, 0));
	}
	if (strcmp(e2e_jstr(json_array_get(json_object_get(a, "steps"), 2), "text"),
	    "the hosts were taken offline at 07:02 UTC") != 0)
		fail_msg("the response's text did not reach A");
	json_decref(a);

	/* the pledge: B receipted in under the deadline, acknowledged after it */
	p = e2e_partner(&A, "cert-b");
	x = json_object_get(json_object_get(p, "pledge"), "human_ack");
	if (e2e_jint(json_object_get(json_object_get(p, "pledge"), "receipt"), "cases") < 1 ||
	    e2e_jint(x, "cases") < 1 || json_real_value(json_object_get(x, "worst_s")) < 2.0)
		fail_msg("A's pledge of cert-b is wrong: %s", json_dumps(p, 0));
	json_decref(p);
	if (e2e_node_metric(&a_admin, "liaison_hotline_ack_seconds_count{partner=\"cert-b\"}") < 1)
		fail_msg("the pledge is not in A's /metrics");

	/* a step on a closed case changes nothing on either side */
	refused(&B, "closed", "respond", notif, "--text", "late");
	refused(&A, "closed", "withdraw", notif);
	usleep(500 * 1000);
	same_on_both(notif, "closed");
	a = case_of(&A, notif);
	if (steps_of(a) != 4)
		fail_msg("a refused step was stored");
	json_decref(a);
	/* an arbiter reads the case from the evidence bundle: every step, signed and logged */
	{
		char path[400], *vo = NULL, *ve = NULL;
		json_t *ev, *env;
		size_t k, steps = 0;
		int64_t until = e2e_now_ms() + WAIT_MS;
		snprintf(path, sizeof(path), "%s/cert-b.evidence", A.home);
		/* the proofs of the last steps in the partner's log are fetched within seconds */
		while (e2e_liaison(&A, NULL, &vo, &ve, "evidence", "export", "--partner", "cert-b",
		    "-o", path, (const char *)NULL) != 0) {
			if (e2e_now_ms() > until || ve == NULL || strstr(ve, "try again") == NULL)
				fail_msg("evidence export failed: %s %s", vo, ve);
			free(vo);
			free(ve);
			usleep(200 * 1000);
		}
		free(vo);
		free(ve);
		if (e2e_liaison(&A, NULL, &vo, &ve, "evidence", "verify", path, "--json",
		    (const char *)NULL) != 0 || (ev = json_loads(vo, 0, NULL)) == NULL)
			fail_msg("the evidence bundle does not verify: %s %s", vo, ve);
		json_array_foreach(json_object_get(ev, "envelopes"), k, env) {
			json_t *cs = json_object_get(env, "case");
			if (cs == NULL || strcmp(e2e_jstr(cs, "id"), notif) != 0)
				continue;
			steps++;
			if (strcmp(e2e_jstr(cs, "step"), "respond") == 0 &&
			    strcmp(e2e_jstr(cs, "text"), "the hosts were taken offline at 07:02 UTC") != 0)
				fail_msg("the bundle's response reads %s", e2e_jstr(cs, "text"));
		}
		if (steps != 4)
			fail_msg("the evidence bundle holds %zu steps of the case, not 4", steps);
		json_decref(ev);
		free(vo);
		free(ve);
	}
	/* the steps are envelopes in both ledgers, which still verify */
	if (e2e_liaison(&A, NULL, &o, &e, "log", "verify", (const char *)NULL) != 0)
		fail_msg("A's log does not verify: %s %s", o, e);
	free(o);
	free(e);
	if (e2e_liaison(&B, NULL, &o, &e, "log", "verify", (const char *)NULL) != 0)
		fail_msg("B's log does not verify: %s %s", o, e);
	free(o);
	free(e);
	log_time("notification flow done");
}

static const char pres_details[] =
	"{\"summary\":\"Preserve account data of the mailbox used in a ransomware extortion\","
	"\"requesting_authority\":\"Public Prosecutor's Office, Cybercrime Unit\","
	"\"offence\":\"extortion and computer sabotage\","
	"\"summary_of_facts\":\"On 2 March the victim received a ransom demand from the mailbox.\","
	"\"data_to_preserve\":\"subscriber data and login IP addresses of extort@mail.example\","
	"\"relation_to_offence\":\"the mailbox sent the ransom demand\","
	"\"custodian\":\"Mail Example Ltd.\","
	"\"necessity\":\"the provider deletes login records after 30 days\","
	"\"mla_to_follow\":true}";

static void
test_preservation(void **state)
{
	json_t *a, *b, *before_list;
	char before[40];
	size_t n_before;

	(void)state;
	/* a preservation request without its custodian: refused, nothing opened on either side */
	before_list = e2e_liaison_json(&A, "cases", NULL);
	n_before = json_array_size(json_object_get(before_list, "cases"));
	json_decref(before_list);
	{
		char *bad = strdup(pres_details), *c = strstr(bad, "\"custodian\"");
		memmove(c, strstr(c, "\"necessity\""), strlen(strstr(c, "\"necessity\"")) + 1);
		refused(&A, "lack \"custodian\"", "request", "--partner", "cert-b", "--kind",
		    "preservation", "--file", write_tmp("bad.json", bad));
		free(bad);
	}
	misused(&A, "is not a kind", "request", "--partner", "cert-b", "--kind", "extradition",
	    "--summary", "x");
	before_list = e2e_liaison_json(&A, "cases", NULL);
	if (json_array_size(json_object_get(before_list, "cases")) != n_before)
		fail_msg("a refused request opened a case");
	json_decref(before_list);

	open_case(&A, pres, "request", "--kind", "preservation", "--file",
	    write_tmp("preserve.json", pres_details), NULL, NULL);
	same_on_both(pres, "opened");
	b = case_of(&B, pres);
	if (!json_is_string(json_object_get(json_object_get(b, "deadlines"), "preserve_until")) ||
	    !json_is_true(json_object_get(json_object_get(b, "details"), "mla_to_follow")) ||
	    strcmp(e2e_jstr(json_object_get(b, "details"), "custodian"), "Mail Example Ltd.") != 0)
		fail_msg("B lacks the preservation details or clock: %s", json_dumps(b, 0));
	snprintf(before, sizeof(before), "%s", deadline(b, "preserve_until"));
	json_decref(b);

	/* steps of the wrong side are refused and change nothing */
	refused(&A, "receiver", "ack", pres);
	refused(&B, "withdraw", "withdraw", pres);
	refused(&B, "mla_sent", "case", "mla-sent", pres);
	ok(&B, "ack", pres);
	same_on_both(pres, "acknowledged");
	ok(&B, "case", "start", pres);
	same_on_both(pres, "in_progress");
	ok(&B, "case", "ask", pres, "--text", "Which time zone are the log times in?");
	same_on_both(pres, "info_requested");
	ok(&A, "case", "provide", pres, "--text", "UTC");
	same_on_both(pres, "in_progress");
	/* the MLA request was sent: the preservation clock restarts on both sides */
	usleep(1100 * 1000);
	ok(&A, "case", "mla-sent", pres);
	same_on_both(pres, "in_progress");
	a = case_of(&A, pres);
	if (strcmp(deadline(a, "preserve_until"), before) <= 0)
		fail_msg("mla_sent did not move preserve_until (%s, before %s)",
		    deadline(a, "preserve_until"), before);
	json_decref(a);
	ok(&B, "respond", pres, "--text", "data preserved under reference P-2026-0042");
	same_on_both(pres, "answered");
	ok(&A, "close", pres);
	same_on_both(pres, "closed");
	log_time("preservation flow done");
}

/* A documented JSON error of the hotline API: status, media type, the three members. */
static void
api_error(const struct e2e_resp *r, long status, const char *want)
{
	json_t *j;
	char hs[8];

	if (r->status != status)
		fail_msg("wanted HTTP %ld, got %ld: %s", status, r->status, r->body);
	if (e2e_hdr(r, "Content-Type") == NULL ||
	    strcmp(e2e_hdr(r, "Content-Type"), "application/json") != 0)
		fail_msg("an API error has Content-Type %s", e2e_hdr(r, "Content-Type") ?: "(none)");
	j = e2e_json(r);
	snprintf(hs, sizeof(hs), "%ld", status);
	if (strcmp(e2e_jstr(j, "http_status"), hs) != 0 || e2e_jstr(j, "title")[0] == '\0' ||
	    strstr(e2e_jstr(j, "description"), want) == NULL)
		fail_msg("the error does not name '%s': %s", want, r->body);
	json_decref(j);
}

static void
test_api(void **state)
{
	struct e2e_resp r = { 0 };
	struct e2e_req rq = { 0 };
	struct e2e_client nobody;
	char id[80], path[200];
	json_t *j;
	size_t i, found = 0;

	(void)state;
	if (e2e_get(&a_admin, "/api/v1/cases", &r) != 0 || r.status != 200)
		fail_msg("GET /api/v1/cases answered %ld: %s", r.status, r.body);
	j = e2e_json(&r);
	for (i = 0; i < json_array_size(json_object_get(j, "cases")); i++) {
		const char *cid = e2e_jstr(json_array_get(json_object_get(j, "cases"), i), "id");
		found += strcmp(cid, notif) == 0 || strcmp(cid, pres) == 0;
	}
	if (found != 2)
		fail_msg("the API does not list both cases: %s", r.body);
	json_decref(j);
	if (e2e_get(&a_admin, "/api/v1/cases?open=true", &r) != 0 || r.status != 200 ||
	    strstr(r.body, notif) != NULL)
		fail_msg("?open=true lists a closed case: %ld %s", r.status, r.body);
	if (e2e_get(&a_admin, "/api/v1/cases?overdue=maybe", &r) != 0)
		fail_msg("GET failed");
	api_error(&r, 400, "overdue");
	if (e2e_get(&a_admin, "/api/v1/cases?limit=0", &r) != 0)
		fail_msg("GET failed");
	api_error(&r, 400, "limit");
	/* pages: keyset, newest first; the second page holds the older case */
	if (e2e_get(&a_admin, "/api/v1/cases?limit=1", &r) != 0 || r.status != 200)
		fail_msg("GET ?limit=1 answered %ld: %s", r.status, r.body);
	j = e2e_json(&r);
	if (json_array_size(json_object_get(j, "cases")) != 1 ||
	    !json_is_true(json_object_get(j, "more")) ||
	    strcmp(e2e_jstr(json_array_get(json_object_get(j, "cases"), 0), "id"), pres) != 0)
		fail_msg("the first page is not the newest case with more to come: %s", r.body);
	snprintf(path, sizeof(path), "/api/v1/cases?limit=1&next=%s", e2e_jstr(j, "next"));
	json_decref(j);
	if (e2e_get(&a_admin, path, &r) != 0 || r.status != 200)
		fail_msg("GET %s answered %ld: %s", path, r.status, r.body);
	j = e2e_json(&r);
	if (json_array_size(json_object_get(j, "cases")) != 1 ||
	    strcmp(e2e_jstr(json_array_get(json_object_get(j, "cases"), 0), "id"), notif) != 0 ||
	    json_is_true(json_object_get(j, "more")) || json_object_get(j, "next") != NULL)
		fail_msg("the second page is not the older case, and the last: %s", r.body);
	json_decref(j);
	snprintf(path, sizeof(path), "/api/v1/cases/%.18s", notif + 10);
	if (e2e_get(&a_admin, path, &r) != 0 || r.status != 200)
		fail_msg("GET %s answered %ld: %s", path, r.status, r.body);
	j = e2e_json(&r);
	if (strcmp(e2e_jstr(j, "id"), notif) != 0 || json_array_size(json_object_get(j, "steps")) != 4)
		fail_msg("GET one case: %s", r.body);
	json_decref(j);

	/* a case opened and a step taken through the API */
	rq.method = "POST";
	rq.path = "/api/v1/cases";
	rq.accept = "application/json";
	rq.ctype = "application/json";
	rq.body = "{\"partner\":\"cert-b\",\"kind\":\"preservation\",\"details\":{\"summary\":\"x\"}}";
	rq.len = strlen(rq.body);
	if (e2e_do(&a_admin, &rq, &r) != 0)
		fail_msg("POST failed");
	api_error(&r, 422, "requesting_authority");
	rq.body = "{\"partner\":\"cert-z\",\"kind\":\"inquiry\",\"details\":{\"summary\":\"x\"}}";
	rq.len = strlen(rq.body);
	if (e2e_do(&a_admin, &rq, &r) != 0)
		fail_msg("POST failed");
	api_error(&r, 404, "cert-z");
	rq.body = "{\"partner\":\"cert-b\",\"kind\":\"inquiry\",\"tlp\":\"green\","
	    "\"details\":{\"summary\":\"Outage of the northern grid control network\"}}";
	rq.len = strlen(rq.body);
	if (e2e_do(&a_admin, &rq, &r) != 0 || r.status != 201)
		fail_msg("POST /api/v1/cases answered %ld: %s", r.status, r.body);
	j = e2e_json(&r);
	snprintf(id, sizeof(id), "%s", e2e_jstr(j, "id"));
	if (strcmp(e2e_jstr(j, "kind"), "inquiry") != 0 || strcmp(e2e_jstr(j, "tlp"), "TLP:GREEN") != 0)
		fail_msg("the opened case is wrong: %s", r.body);
	json_decref(j);
	json_decref(wait_state(&B, id, "opened"));
	/* the steps each side may take now, from the transition table: the dashboard's buttons */
	snprintf(path, sizeof(path), "/api/v1/cases/%s", id);
	allowed_steps_are(&a_admin, path, "[\"withdraw\"]");
	allowed_steps_are(&b_admin, path, "[\"ack\",\"request_info\",\"respond\",\"refuse\"]");
	snprintf(path, sizeof(path), "/api/v1/cases/%s/steps", id);
	rq.path = path;
	rq.body = "{\"step\":\"ack\",\"text\":\"consultations at 14:00 UTC\"}";
	rq.len = strlen(rq.body);
	if (e2e_do(&b_admin, &rq, &r) != 0 || r.status != 201 ||
	    strstr(r.body, "\"state\":\"acknowledged\"") == NULL)
		fail_msg("POST ack answered %ld: %s", r.status, r.body);
	same_on_both(id, "acknowledged");
	if (e2e_do(&b_admin, &rq, &r) != 0)
		fail_msg("POST failed");
	api_error(&r, 409, "acknowledged");
	rq.body = "{\"step\":\"bogus\"}";
	rq.len = strlen(rq.body);
	if (e2e_do(&b_admin, &rq, &r) != 0)
		fail_msg("POST failed");
	api_error(&r, 400, "step");
	rq.path = "/api/v1/cases/incident--00000000-0000-4000-8000-000000000000/steps";
	if (e2e_do(&b_admin, &rq, &r) != 0)
		fail_msg("POST failed");
	api_error(&r, 404, "no case");
	/* a user without a grant on from-cert-a sees no case of cert-a */
	e2e_user_add(&B, "analyst", PW, 0, NULL);
	e2e_client_basic(&nobody, &B, "analyst", PW);
	if (e2e_get(&nobody, "/api/v1/cases", &r) != 0 || r.status != 200 ||
	    strstr(r.body, "incident--") != NULL)
		fail_msg("a user without grants sees cases: %ld %s", r.status, r.body);
	snprintf(path, sizeof(path), "/api/v1/cases/%s", id);
	if (e2e_get(&nobody, path, &r) != 0)
		fail_msg("GET failed");
	api_error(&r, 404, "no case");
	if (e2e_get(&nobody, "/api/v1/cases", &r) != 0)
		fail_msg("GET failed");
	e2e_client_release(&nobody);
	e2e_resp_release(&r);
	ok(&A, "withdraw", id, "--text", "resolved on our side");
	same_on_both(id, "withdrawn");
	log_time("API done");
}

static void
test_restarts(void **state)
{
	char late[80];
	int logged;

	(void)state;
	/* B is down when A opens a case; both restart; the case arrives, nothing is lost */
	if (e2e_node_stop(&B, &logged) != 0 || !logged)
		fail_msg("B did not stop cleanly");
	open_case(&A, late, "notify", "--kind", "emergency", "--summary",
	    "A person announced a suicide live on a streaming account", NULL, NULL);
	if (e2e_node_stop(&A, &logged) != 0 || !logged)
		fail_msg("A did not stop cleanly");
	e2e_node_start(&A);
	e2e_node_start(&B);
	log_time("both restarted");
	same_on_both(late, "opened");
	same_on_both(notif, "closed");
	same_on_both(pres, "closed");
	ok(&B, "ack", late);
	same_on_both(late, "acknowledged");
	ok(&B, "respond", late, "--text", "location sent to your liaison officer");
	same_on_both(late, "answered");
	log_time("restarts done");
}

/* ---- setup ---- */

static void
node_setup(struct e2e_node *n, const char *name)
{
	e2e_node_init_linked(n, name);
	e2e_user_add(n, "admin", PW, 1, NULL);
}

static int
setup(void **state)
{
	const char *a_started[] = { "\"event\":\"link_started\"", "\"partner\":\"cert-b\"", NULL };
	const char *b_started[] = { "\"event\":\"link_started\"", "\"partner\":\"cert-a\"", NULL };

	(void)state;
	t_start = e2e_now_ms();
	e2e_require_bins();
	node_setup(&A, "cert-a");
	node_setup(&B, "cert-b");
	e2e_node_start(&A);
	e2e_node_start(&B);
	e2e_node_pin_ports(&A);
	e2e_node_pin_ports(&B);
	json_decref(e2e_pair(&A, &B, NULL));
	json_decref(e2e_pair(&B, &A, NULL));
	/* one agreement on both sides: a person acknowledges within 2 seconds */
	ok(&A, "agreement", "set", "cert-b", "hotline.ack=2s");
	ok(&B, "agreement", "set", "cert-a", "hotline.ack=2s");
	if (e2e_log_wait(&A, a_started, 1, 5000) < 1 || e2e_log_wait(&B, b_started, 1, 5000) < 1)
		fail_msg("a daemon did not start its link within 5 s of `partner add`");
	e2e_client_basic(&a_admin, &A, "admin", PW);
	e2e_client_basic(&b_admin, &B, "admin", PW);
	log_time("paired");
	return 0;
}

static int
teardown(void **state)
{
	int ra, rb;

	(void)state;
	e2e_client_release(&a_admin);
	e2e_client_release(&b_admin);
	ra = e2e_node_finish(&A);
	rb = e2e_node_finish(&B);
	log_time("done");
	return ra < 0 || rb < 0 ? -1 : 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_notification_overdue),
		cmocka_unit_test(test_preservation),
		cmocka_unit_test(test_api),
		cmocka_unit_test(test_restarts),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
