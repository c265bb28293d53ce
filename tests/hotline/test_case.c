/*
 * Hotline cases: every (kind, state, role, step) against an expected matrix
 * written here independently of src/hotline/case.c's row table; names
 * round-trip; details are refused naming the field; deadlines and
 * escalation levels at and one microsecond past every boundary; the fold
 * (case_fold) over steps built in memory, with no store: chains, both
 * sides at once, out of order, refused and superseded steps, and every
 * state followed by every step against the same matrix.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hotline/case.h"
#include "util/err.h"

#define S(x) ((int64_t)(x) * 1000000)          /* seconds -> µs */
#define H(x) S((int64_t)(x) * 3600)
#define D(x) H((int64_t)(x) * 24)
#define T0 INT64_C(1700000000000000)           /* an opening time, µs */

/*
 * want[state][role][step]: the state after the step, 0 if refused.
 * State 0 is "no case yet". MLA_SENT is not in here: expected_next adds it
 * (preservation only, opener, any non-final state, state unchanged).
 */
enum { NS = CASE_STATE_MAX + 1, NR = 3, NST = CASE_STEP_MAX + 1 };
static const enum case_state want[NS][NR][NST] = {
	[0] = {
		[CASE_OPENER] = { [STEP_OPEN] = CASE_OPENED },
	},
	[CASE_OPENED] = {
		[CASE_RECEIVER] = {
			[STEP_ACK] = CASE_ACKNOWLEDGED,
			[STEP_REQUEST_INFO] = CASE_INFO_REQUESTED,
			[STEP_RESPOND] = CASE_ANSWERED,
			[STEP_REFUSE] = CASE_REFUSED,
		},
		[CASE_OPENER] = { [STEP_WITHDRAW] = CASE_WITHDRAWN },
	},
	[CASE_ACKNOWLEDGED] = {
		[CASE_RECEIVER] = {
			[STEP_START] = CASE_IN_PROGRESS,
			[STEP_REQUEST_INFO] = CASE_INFO_REQUESTED,
			[STEP_RESPOND] = CASE_ANSWERED,
			[STEP_REFUSE] = CASE_REFUSED,
		},
		[CASE_OPENER] = {
			[STEP_WITHDRAW] = CASE_WITHDRAWN,
			[STEP_CLOSE] = CASE_CLOSED,
		},
	},
	[CASE_IN_PROGRESS] = {
		[CASE_RECEIVER] = {
			[STEP_REQUEST_INFO] = CASE_INFO_REQUESTED,
			[STEP_RESPOND] = CASE_ANSWERED,
			[STEP_REFUSE] = CASE_REFUSED,
		},
		[CASE_OPENER] = {
			[STEP_WITHDRAW] = CASE_WITHDRAWN,
			[STEP_CLOSE] = CASE_CLOSED,
		},
	},
	[CASE_INFO_REQUESTED] = {
		[CASE_RECEIVER] = { [STEP_REFUSE] = CASE_REFUSED },
		[CASE_OPENER] = {
			[STEP_PROVIDE_INFO] = CASE_IN_PROGRESS,
			[STEP_WITHDRAW] = CASE_WITHDRAWN,
		},
	},
	[CASE_ANSWERED] = {
		[CASE_RECEIVER] = {
			[STEP_CLOSE] = CASE_CLOSED,
			[STEP_RESPOND] = CASE_ANSWERED,
			[STEP_REQUEST_INFO] = CASE_INFO_REQUESTED,
		},
		[CASE_OPENER] = { [STEP_CLOSE] = CASE_CLOSED },
	},
	/* CLOSED, REFUSED, WITHDRAWN: all zero. */
};

static enum case_state
expected_next(enum case_kind k, int st, enum case_role r, enum case_step step)
{
	if (step == STEP_MLA_SENT)
		return k == CASE_PRESERVATION && r == CASE_OPENER && st >= CASE_OPENED &&
		    st <= CASE_ANSWERED ? (enum case_state)st : 0;
	return want[st][r][step];
}

static void
test_transition_matrix(void **state)
{
	int k, st, r, sp, allowed = 0, refused = 0;

	(void)state;
	for (k = 1; k <= CASE_KIND_MAX; k++)
	for (st = 0; st <= CASE_STATE_MAX; st++)
	for (r = CASE_OPENER; r <= CASE_RECEIVER; r++)
	for (sp = 1; sp <= CASE_STEP_MAX; sp++) {
		struct err err = ERR_INIT;
		enum case_state got = (enum case_state)99;
		enum case_state exp = expected_next(k, st, r, sp);
		int rc = case_transition(k, st, r, sp, &got, &err);

		if (exp != 0) {
			if (rc != 0 || got != exp)
				fail_msg("kind %d state %d role %d step %d: rc %d got %d want %d (%s)",
				    k, st, r, sp, rc, got, exp, err.msg);
			allowed++;
			continue;
		}
		if (rc != -LSN_EINVAL)
			fail_msg("kind %d state %d role %d step %d: allowed, want refused", k, st, r, sp);
		assert_int_equal(got, 99);           /* ret untouched on refusal */
		assert_int_equal(err.code, LSN_EINVAL);
		/* the sentence names the step and who tried */
		assert_non_null(strstr(err.msg, case_step_name(sp)));
		assert_non_null(strstr(err.msg, r == CASE_OPENER ? "opener" : "receiver"));
		refused++;
	}
	/* 24 steps open to every kind, 5 MLA_SENT steps for preservation */
	assert_int_equal(allowed, 6 * 24 + 5);
	assert_int_equal(refused, 6 * 9 * 2 * 10 - allowed);
}

static void
refused_with(enum case_kind k, enum case_state st, enum case_role r, enum case_step sp,
    const char *msg)
{
	struct err err = ERR_INIT;
	enum case_state got;

	assert_int_equal(case_transition(k, st, r, sp, &got, &err), -LSN_EINVAL);
	if (strcmp(err.msg, msg) != 0)
		fail_msg("got \"%s\"\nwant \"%s\"", err.msg, msg);
}

static void
test_transition_messages(void **state)
{
	(void)state;
	refused_with(CASE_INQUIRY, CASE_ACKNOWLEDGED, CASE_RECEIVER, STEP_WITHDRAW,
	    "a case that is acknowledged cannot take 'withdraw' from the receiver: only the opener withdraws");
	refused_with(CASE_INQUIRY, CASE_CLOSED, CASE_OPENER, STEP_CLOSE,
	    "the case is closed: no step follows ('close' from the opener)");
	refused_with(CASE_NOTIFICATION, CASE_OPENED, CASE_OPENER, STEP_MLA_SENT,
	    "a notification case that is opened cannot take 'mla_sent' from the opener: only preservation cases have an MLA request");
	refused_with(CASE_PRESERVATION, CASE_OPENED, CASE_RECEIVER, STEP_MLA_SENT,
	    "a case that is opened cannot take 'mla_sent' from the receiver: only the opener reports the MLA request sent");
	refused_with(CASE_ASSISTANCE, 0, CASE_RECEIVER, STEP_ACK,
	    "there is no case yet: 'ack' from the receiver cannot come before 'open'");
	refused_with(CASE_ASSISTANCE, 0, CASE_RECEIVER, STEP_OPEN,
	    "there is no case yet: 'open' from the receiver is refused, only the opener opens a case");
	refused_with(CASE_ASSISTANCE, CASE_OPENED, CASE_OPENER, STEP_OPEN,
	    "a case that is opened cannot take 'open' from the opener: it is already open");
	refused_with(CASE_EMERGENCY, CASE_ANSWERED, CASE_OPENER, STEP_PROVIDE_INFO,
	    "a case that is answered cannot take 'provide_info' from the opener: what may follow is "
	    "'close' (opener), 'close' (receiver), 'respond' (receiver), 'request_info' (receiver)");
	refused_with(CASE_EMERGENCY, CASE_ACKNOWLEDGED, CASE_RECEIVER, STEP_CLOSE,
	    "a case that is acknowledged cannot take 'close' from the receiver: only the opener closes");
}

static void
test_transition_bad_enums(void **state)
{
	struct err err = ERR_INIT;
	enum case_state got;

	(void)state;
	assert_int_equal(case_transition(0, CASE_OPENED, CASE_RECEIVER, STEP_ACK, &got, &err), -LSN_EINVAL);
	assert_int_equal(case_transition(7, CASE_OPENED, CASE_RECEIVER, STEP_ACK, &got, &err), -LSN_EINVAL);
	assert_int_equal(case_transition(1, 9, CASE_RECEIVER, STEP_ACK, &got, &err), -LSN_EINVAL);
	assert_int_equal(case_transition(1, -1, CASE_RECEIVER, STEP_ACK, &got, &err), -LSN_EINVAL);
	assert_int_equal(case_transition(1, CASE_OPENED, 0, STEP_ACK, &got, &err), -LSN_EINVAL);
	assert_int_equal(case_transition(1, CASE_OPENED, 3, STEP_ACK, &got, &err), -LSN_EINVAL);
	assert_int_equal(case_transition(1, CASE_OPENED, CASE_RECEIVER, 0, &got, &err), -LSN_EINVAL);
	assert_int_equal(case_transition(1, CASE_OPENED, CASE_RECEIVER, 11, &got, &err), -LSN_EINVAL);
	assert_non_null(strstr(err.msg, "unknown"));
	assert_int_equal(case_transition(1, CASE_OPENED, CASE_RECEIVER, STEP_ACK, &got, NULL), 0);
	assert_int_equal(case_transition(1, CASE_CLOSED, CASE_RECEIVER, STEP_ACK, &got, NULL), -LSN_EINVAL);
}

static void
test_final(void **state)
{
	int s;

	(void)state;
	for (s = 1; s <= CASE_STATE_MAX; s++)
		assert_int_equal(case_state_final(s),
		    s == CASE_CLOSED || s == CASE_REFUSED || s == CASE_WITHDRAWN);
}

static void
test_names(void **state)
{
	static const char *const kinds[] = { NULL, "notification", "inquiry", "assistance",
		"preservation", "emergency", "interference" };
	static const char *const states[] = { NULL, "opened", "acknowledged", "in_progress",
		"info_requested", "answered", "closed", "refused", "withdrawn" };
	static const char *const steps[] = { NULL, "open", "ack", "start", "request_info",
		"provide_info", "respond", "mla_sent", "refuse", "withdraw", "close" };
	enum case_kind k;
	enum case_step sp;
	int i;

	(void)state;
	for (i = 1; i <= CASE_KIND_MAX; i++) {
		assert_string_equal(case_kind_name(i), kinds[i]);
		assert_int_equal(case_kind_from_name(kinds[i], &k), 0);
		assert_int_equal(k, i);
	}
	for (i = 1; i <= CASE_STATE_MAX; i++)
		assert_string_equal(case_state_name(i), states[i]);
	for (i = 1; i <= CASE_STEP_MAX; i++) {
		assert_string_equal(case_step_name(i), steps[i]);
		assert_int_equal(case_step_from_name(steps[i], &sp), 0);
		assert_int_equal(sp, i);
	}
	assert_null(case_kind_name(0));
	assert_null(case_kind_name(CASE_KIND_MAX + 1));
	assert_null(case_state_name(0));
	assert_null(case_state_name(CASE_STATE_MAX + 1));
	assert_null(case_step_name(0));
	assert_null(case_step_name(CASE_STEP_MAX + 1));
	k = CASE_INQUIRY;
	assert_int_equal(case_kind_from_name("Notification", &k), -LSN_EINVAL);
	assert_int_equal(case_kind_from_name("", &k), -LSN_EINVAL);
	assert_int_equal(case_kind_from_name(NULL, &k), -LSN_EINVAL);
	assert_int_equal(k, CASE_INQUIRY);
	sp = STEP_ACK;
	assert_int_equal(case_step_from_name("acknowledge", &sp), -LSN_EINVAL);
	assert_int_equal(case_step_from_name(NULL, &sp), -LSN_EINVAL);
	assert_int_equal(sp, STEP_ACK);
}

/* --- details ----------------------------------------------------------- */

static int
check(enum case_kind k, const char *json, struct err *err)
{
	err_clear(err);
	return case_details_check(k, json, strlen(json), err);
}

static void
refused_naming(enum case_kind k, const char *json, const char *needle)
{
	struct err err = ERR_INIT;

	if (check(k, json, &err) != -LSN_EINVAL)
		fail_msg("accepted: %s", json);
	if (strstr(err.msg, needle) == NULL)
		fail_msg("\"%s\" does not name %s (input %s)", err.msg, needle, json);
}

static const char *const pres_fields[] = {
	"summary", "requesting_authority", "offence", "summary_of_facts", "data_to_preserve",
	"relation_to_offence", "custodian", "necessity",
};
#define NPRES (sizeof(pres_fields) / sizeof(pres_fields[0]))

/* A preservation details object; field `skip` left out, `bad` given value `val`. */
static void
pres_json(char *out, size_t cap, int skip, int bad, const char *val, const char *mla)
{
	size_t i, n;

	n = (size_t)snprintf(out, cap, "{");
	for (i = 0; i < NPRES; i++) {
		if ((int)i == skip)
			continue;
		n += (size_t)snprintf(out + n, cap - n, "\"%s\": %s, ", pres_fields[i],
		    (int)i == bad ? val : "\"x y\"");
	}
	if (mla != NULL)
		n += (size_t)snprintf(out + n, cap - n, "\"mla_to_follow\": %s, ", mla);
	snprintf(out + n, cap - n, "\"x-note\": [1, 2]}");
}

static void
test_details_preservation(void **state)
{
	char buf[2048];
	struct err err = ERR_INIT;
	size_t i;

	(void)state;
	pres_json(buf, sizeof(buf), -1, -1, NULL, "true");
	assert_int_equal(check(CASE_PRESERVATION, buf, &err), 0);
	pres_json(buf, sizeof(buf), -1, -1, NULL, "false");
	assert_int_equal(check(CASE_PRESERVATION, buf, &err), 0);
	for (i = 0; i < NPRES; i++) {
		pres_json(buf, sizeof(buf), (int)i, -1, NULL, "true");
		refused_naming(CASE_PRESERVATION, buf, pres_fields[i]);
		pres_json(buf, sizeof(buf), -1, (int)i, "\"\"", "true");
		refused_naming(CASE_PRESERVATION, buf, pres_fields[i]);
		pres_json(buf, sizeof(buf), -1, (int)i, "\" \\t\"", "true");
		refused_naming(CASE_PRESERVATION, buf, pres_fields[i]);
		pres_json(buf, sizeof(buf), -1, (int)i, "42", "true");
		refused_naming(CASE_PRESERVATION, buf, pres_fields[i]);
		pres_json(buf, sizeof(buf), -1, (int)i, "null", "true");
		refused_naming(CASE_PRESERVATION, buf, pres_fields[i]);
		pres_json(buf, sizeof(buf), -1, (int)i, "[\"a\"]", "true");
		refused_naming(CASE_PRESERVATION, buf, pres_fields[i]);
	}
	pres_json(buf, sizeof(buf), -1, -1, NULL, NULL);
	refused_naming(CASE_PRESERVATION, buf, "mla_to_follow");
	pres_json(buf, sizeof(buf), -1, -1, NULL, "\"yes\"");
	refused_naming(CASE_PRESERVATION, buf, "mla_to_follow");
	pres_json(buf, sizeof(buf), -1, -1, NULL, "1");
	refused_naming(CASE_PRESERVATION, buf, "mla_to_follow");
	pres_json(buf, sizeof(buf), -1, -1, NULL, "null");
	refused_naming(CASE_PRESERVATION, buf, "mla_to_follow");
}

static void
test_details_common(void **state)
{
	struct err err = ERR_INIT;
	int k;

	(void)state;
	for (k = 1; k <= CASE_KIND_MAX; k++) {
		refused_naming(k, "{}", "summary");
		refused_naming(k, "{\"summary\": \"\"}", "summary");
		refused_naming(k, "{\"summary\": 3}", "summary");
		refused_naming(k, "[\"summary\"]", "JSON object");
		refused_naming(k, "\"summary\"", "JSON object");
		refused_naming(k, "{\"summary\": \"a\", \"summary\": \"b\"}", "not valid JSON");
		refused_naming(k, "{\"summary\": \"a\"", "not valid JSON");
		refused_naming(k, "", "not valid JSON");
		refused_naming(k, "{\"summary\": \"a\\u0000b\"}", "not valid JSON");
		if (k == CASE_PRESERVATION || k == CASE_INTERFERENCE)
			continue;
		assert_int_equal(check(k, "{\"summary\": \"DDoS from AS64500\", \"indicators\": []}", &err), 0);
	}
	/* exact bytes: trailing garbage after the object is refused */
	refused_naming(CASE_INQUIRY, "{\"summary\": \"a\"} x", "not valid JSON");
	/* len is honoured: the bytes after len are not read */
	assert_int_equal(case_details_check(CASE_INQUIRY, "{\"summary\": \"a\"}GARBAGE", 16, &err), 0);
	assert_int_equal(case_details_check(0, "{}", 2, &err), -LSN_EINVAL);
	assert_int_equal(case_details_check(CASE_INQUIRY, NULL, 0, &err), -LSN_EINVAL);
}

static void
test_details_interference(void **state)
{
	struct err err = ERR_INIT;
	static const char *const bad[] = {
		"\"T001\"", "\"T00001\"", "\"t0001\"", "\"TA0001\"", "\"T0001.\"", "\"T0001.01\"",
		"\"T0001.0001\"", "\"T0001-001\"", "\"T0001 \"", "\" T0001\"", "\"\"", "\"TA18\"",
		"1", "null", "[\"T0001\"]",
	};
	char buf[256];
	size_t i;

	(void)state;
	/* ids present in ../shared/data/disarm (DISARM.json.xz external_id) */
	assert_int_equal(check(CASE_INTERFERENCE,
	    "{\"summary\": \"s\", \"disarm_techniques\": [\"T0002\", \"T0014.001\", \"T0015.001\"]}", &err), 0);
	assert_int_equal(check(CASE_INTERFERENCE,
	    "{\"summary\": \"s\", \"disarm_techniques\": [\"T0010\"], \"other\": {}}", &err), 0);
	refused_naming(CASE_INTERFERENCE, "{\"summary\": \"s\"}", "disarm_techniques");
	refused_naming(CASE_INTERFERENCE, "{\"summary\": \"s\", \"disarm_techniques\": []}", "disarm_techniques");
	refused_naming(CASE_INTERFERENCE, "{\"summary\": \"s\", \"disarm_techniques\": \"T0002\"}",
	    "disarm_techniques");
	refused_naming(CASE_INTERFERENCE, "{\"disarm_techniques\": [\"T0002\"]}", "summary");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(buf, sizeof(buf), "{\"summary\": \"s\", \"disarm_techniques\": [\"T0002\", %s]}", bad[i]);
		refused_naming(CASE_INTERFERENCE, buf, "\"disarm_techniques\"[1]");
	}
	/* other kinds do not look at disarm_techniques */
	assert_int_equal(check(CASE_NOTIFICATION,
	    "{\"summary\": \"s\", \"disarm_techniques\": \"whatever\"}", &err), 0);
}

/* Every ```json KIND block of docs/hotline.md passes for its kind; each kind has one. */
static void
test_details_doc_examples(void **state)
{
	char path[512], *all, *p, *end, *nl, kind[32];
	int seen[CASE_KIND_MAX + 1] = { 0 }, i;
	struct err err = ERR_INIT;
	enum case_kind k;
	FILE *f;
	size_t n;

	(void)state;
	snprintf(path, sizeof(path), "%s/docs/hotline.md", LIAISON_SOURCE_DIR);
	f = fopen(path, "rb");
	assert_non_null(f);
	all = calloc(1, 1 << 20);
	assert_non_null(all);
	n = fread(all, 1, (1 << 20) - 1, f);
	fclose(f);
	all[n] = '\0';
	for (p = strstr(all, "```json "); p != NULL; p = strstr(end, "```json ")) {
		p += 8;
		nl = strchr(p, '\n');
		assert_non_null(nl);
		assert_true((size_t)(nl - p) < sizeof(kind));
		memcpy(kind, p, (size_t)(nl - p));
		kind[nl - p] = '\0';
		if (case_kind_from_name(kind, &k) != 0)
			fail_msg("docs/hotline.md: unknown kind \"%s\" on a json block", kind);
		end = strstr(nl, "```");
		assert_non_null(end);
		if (case_details_check(k, nl + 1, (size_t)(end - nl - 1), &err) != 0)
			fail_msg("docs/hotline.md: the %s example is refused: %s", kind, err.msg);
		seen[k]++;
		end += 3;
	}
	for (i = 1; i <= CASE_KIND_MAX; i++)
		if (seen[i] != 1)
			fail_msg("docs/hotline.md has %d examples of %s", seen[i], case_kind_name(i));
	free(all);
}

static int
state_by_name(const char *name)
{
	int i;

	if (strcmp(name, "none") == 0)
		return 0;
	for (i = 1; i <= CASE_STATE_MAX; i++)
		if (strcmp(case_state_name(i), name) == 0)
			return i;
	fail_msg("docs/hotline.md: unknown state \"%s\"", name);
	return -1;
}

/*
 * The state machine table of docs/hotline.md ("| from | who | `step` | to |
 * kinds |" rows) says exactly what case_transition does: every row is
 * accepted with its target, and there are as many rows as distinct allowed
 * (state, role, step) triples in the expected matrix above (29).
 */
static void
test_doc_table(void **state)
{
	char path[512], line[256], from[32], who[16], step[32], to[32], kinds[32];
	int rows = 0, st;
	enum case_step sp;
	enum case_state got;
	enum case_role r;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/docs/hotline.md", LIAISON_SOURCE_DIR);
	f = fopen(path, "rb");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		kinds[0] = '\0';
		if (sscanf(line, "| %31[a-z_] | %15[a-z] | `%31[a-z_]` | %31[a-z_] | %31[a-z]", from, who,
		    step, to, kinds) < 4)
			continue;
		st = state_by_name(from);
		r = strcmp(who, "opener") == 0 ? CASE_OPENER : CASE_RECEIVER;
		assert_int_equal(case_step_from_name(step, &sp), 0);
		assert_int_equal(case_transition(kinds[0] ? CASE_PRESERVATION : CASE_INQUIRY, st, r, sp,
		    &got, NULL), 0);
		assert_string_equal(case_state_name(got), to);
		if (kinds[0] != '\0') {
			assert_string_equal(kinds, "preservation");
			assert_int_equal(case_transition(CASE_INQUIRY, st, r, sp, &got, NULL), -LSN_EINVAL);
		}
		rows++;
	}
	fclose(f);
	assert_int_equal(rows, 29);
}

/* --- deadlines --------------------------------------------------------- */

static const struct agr_hotline terms = {
	.ack_s = 24 * 3600, .ack_emergency_s = 3600,
	.respond_s = 72 * 3600, .respond_emergency_s = 4 * 3600,
	.preserve_days = 60,
};

static void
test_deadlines(void **state)
{
	struct case_deadlines d;
	struct agr_hotline short_keep = terms;
	int k;

	(void)state;
	for (k = 1; k <= CASE_KIND_MAX; k++) {
		memset(&d, 0xff, sizeof(d));
		case_deadlines(k, &terms, T0, 0, &d);
		if (k == CASE_EMERGENCY) {
			assert_int_equal(d.ack_by, T0 + H(1));
			assert_int_equal(d.respond_by, T0 + H(4));
		} else {
			assert_int_equal(d.ack_by, T0 + H(24));
			assert_int_equal(d.respond_by, T0 + H(72));
		}
		if (k == CASE_PRESERVATION) {
			assert_int_equal(d.preserve_until, T0 + D(60));
			assert_int_equal(d.remind_at, T0 + D(53));
		} else {
			assert_int_equal(d.preserve_until, 0);
			assert_int_equal(d.remind_at, 0);
		}
	}
	/* MLA request sent on day 50: kept 60 days from then, reminded on day 103 */
	case_deadlines(CASE_PRESERVATION, &terms, T0, T0 + D(50), &d);
	assert_int_equal(d.preserve_until, T0 + D(110));
	assert_int_equal(d.remind_at, T0 + D(103));
	assert_int_equal(d.ack_by, T0 + H(24));
	assert_int_equal(d.respond_by, T0 + H(72));
	/* MLA sent has no effect on other kinds */
	case_deadlines(CASE_NOTIFICATION, &terms, T0, T0 + D(50), &d);
	assert_int_equal(d.preserve_until, 0);
	/* a period shorter than 14 days is reminded at half of it */
	short_keep.preserve_days = 10;
	case_deadlines(CASE_PRESERVATION, &short_keep, T0, 0, &d);
	assert_int_equal(d.preserve_until, T0 + D(10));
	assert_int_equal(d.remind_at, T0 + D(5));
	short_keep.preserve_days = 14;                  /* exactly 7 days either way */
	case_deadlines(CASE_PRESERVATION, &short_keep, T0, 0, &d);
	assert_int_equal(d.remind_at, T0 + D(7));
	short_keep.preserve_days = 1;
	case_deadlines(CASE_PRESERVATION, &short_keep, T0, 0, &d);
	assert_int_equal(d.remind_at, T0 + H(12));
	/* non-positive terms: no clock */
	short_keep.preserve_days = 0;
	short_keep.ack_s = 0;
	case_deadlines(CASE_PRESERVATION, &short_keep, T0, 0, &d);
	assert_int_equal(d.ack_by, 0);
	assert_int_equal(d.preserve_until, 0);
	assert_int_equal(d.remind_at, 0);
	assert_int_equal(d.respond_by, T0 + H(72));
	/* absurd terms saturate instead of overflowing */
	short_keep.respond_s = INT64_MAX / 2;
	short_keep.preserve_days = INT64_MAX / 2;
	case_deadlines(CASE_PRESERVATION, &short_keep, T0, 0, &d);
	assert_int_equal(d.respond_by, INT64_MAX);
	assert_int_equal(d.preserve_until, 0);
}

/* --- escalation -------------------------------------------------------- */

static int
level(enum case_state st, const struct case_deadlines *d, int64_t now)
{
	return case_overdue_level(st, d, T0, now);
}

/* One clock of span `span` ending at `due`: the level at and one µs after each boundary. */
static void
boundaries(enum case_state st, const struct case_deadlines *d, int64_t due, int64_t span)
{
	assert_int_equal(level(st, d, T0), 0);
	assert_int_equal(level(st, d, due - 1), 0);
	assert_int_equal(level(st, d, due), 0);
	assert_int_equal(level(st, d, due + 1), 1);
	assert_int_equal(level(st, d, due + span / 2), 1);
	assert_int_equal(level(st, d, due + span / 2 + 1), 2);
	assert_int_equal(level(st, d, due + span), 2);
	assert_int_equal(level(st, d, due + span + 1), 3);
	assert_int_equal(level(st, d, due + 100 * span), 3);
}

static void
test_overdue_ack(void **state)
{
	struct case_deadlines d;

	(void)state;
	/* emergency: ack 1 h, respond 4 h; while OPENED the ack clock is the earlier one */
	case_deadlines(CASE_EMERGENCY, &terms, T0, 0, &d);
	assert_int_equal(level(CASE_OPENED, &d, T0 + H(1)), 0);
	assert_int_equal(level(CASE_OPENED, &d, T0 + H(1) + 1), 1);
	assert_int_equal(level(CASE_OPENED, &d, T0 + H(1) + S(1800)), 1);
	assert_int_equal(level(CASE_OPENED, &d, T0 + H(1) + S(1800) + 1), 2);
	assert_int_equal(level(CASE_OPENED, &d, T0 + H(2)), 2);
	assert_int_equal(level(CASE_OPENED, &d, T0 + H(2) + 1), 3);
	/* only the ack clock: respond far away */
	d.respond_by = T0 + D(365);
	boundaries(CASE_OPENED, &d, T0 + H(1), H(1));
	/* once acknowledged the ack clock no longer counts */
	assert_int_equal(level(CASE_ACKNOWLEDGED, &d, T0 + H(3)), 0);
	assert_int_equal(level(CASE_INFO_REQUESTED, &d, T0 + H(3)), 0);
	/* non-emergency: 24 h */
	case_deadlines(CASE_NOTIFICATION, &terms, T0, 0, &d);
	d.respond_by = 0;                               /* no respond clock */
	boundaries(CASE_OPENED, &d, T0 + H(24), H(24));
	/* an odd span: level 2 strictly after half of it, with no rounding */
	d.ack_by = T0 + 3;
	assert_int_equal(level(CASE_OPENED, &d, T0 + 4), 1);   /* over 1, 2*1 < 3 */
	assert_int_equal(level(CASE_OPENED, &d, T0 + 5), 2);   /* over 2, 2*2 > 3 */
	assert_int_equal(level(CASE_OPENED, &d, T0 + 6), 2);   /* over 3 = span */
	assert_int_equal(level(CASE_OPENED, &d, T0 + 7), 3);
}

static void
test_overdue_respond(void **state)
{
	static const enum case_state running[] = { CASE_OPENED, CASE_ACKNOWLEDGED, CASE_IN_PROGRESS };
	static const enum case_state stopped[] = { CASE_INFO_REQUESTED, CASE_ANSWERED,
		CASE_CLOSED, CASE_REFUSED, CASE_WITHDRAWN };
	struct case_deadlines d;
	size_t i;

	(void)state;
	case_deadlines(CASE_ASSISTANCE, &terms, T0, 0, &d);
	d.ack_by = 0;
	for (i = 0; i < 3; i++)
		boundaries(running[i], &d, T0 + H(72), H(72));
	case_deadlines(CASE_EMERGENCY, &terms, T0, 0, &d);
	for (i = 1; i < 3; i++)
		boundaries(running[i], &d, T0 + H(4), H(4));
	/* OPENED counts both clocks and takes the higher: at 4 h + 1 µs the ack
	 * clock (1 h, span 1 h) is 3 h over: level 3, the respond clock 1 */
	assert_int_equal(level(CASE_OPENED, &d, T0 + H(4) + 1), 3);
	assert_int_equal(level(CASE_ACKNOWLEDGED, &d, T0 + H(4) + 1), 1);
	for (i = 0; i < sizeof(stopped) / sizeof(stopped[0]); i++) {
		assert_int_equal(level(stopped[i], &d, T0 + H(4) + 1), 0);
		assert_int_equal(level(stopped[i], &d, T0 + D(1000)), 0);
	}
	/* preservation clocks do not escalate */
	case_deadlines(CASE_PRESERVATION, &terms, T0, 0, &d);
	d.ack_by = d.respond_by = 0;
	assert_int_equal(level(CASE_OPENED, &d, T0 + D(1000)), 0);
}

/* ---- the fold, without a store ---- */

#define O_ CASE_OPENER
#define R_ CASE_RECEIVER
#define EFF CASE_VERDICT_EFFECTIVE
#define SUP CASE_VERDICT_SUPERSEDED
#define REF CASE_VERDICT_REFUSED

/* Steps built in memory: step i has hash {i + 1, ..., 0xaa} and is recorded at T0 + i s. */
struct chain {
	struct case_move v[32];
	struct case_judged out[32];
	struct case_folded f;
	size_t n;
};

/* Adds a step of role following step `after` (-1: follows nothing); returns its index. */
static int
add(struct chain *c, enum case_role role, enum case_step step, int after)
{
	struct case_move *m = &c->v[c->n];

	assert_true(c->n < 32);
	memset(m, 0, sizeof(*m));
	m->role = role;
	m->step = step;
	m->hash[0] = (uint8_t)(c->n + 1);
	m->hash[31] = 0xaa;
	if (after >= 0)
		memcpy(m->prev, c->v[after].hash, 32);
	m->time_us = T0 + S(c->n) - 1;
	m->recorded_us = T0 + S(c->n);
	return (int)c->n++;
}

static void
fold_ok(struct chain *c, enum case_kind kind)
{
	struct err err = ERR_INIT;

	memset(c->out, 0x5a, sizeof(c->out));
	if (case_fold(kind, c->v, c->n, c->out, &c->f, &err) != 0)
		fail_msg("case_fold: %s", err.msg);
}

static void
verdict_is(const struct chain *c, int i, enum case_verdict v, const char *reason)
{
	if ((int)c->out[i].verdict != (int)v || strcmp(c->out[i].reason, reason) != 0)
		fail_msg("step %d: verdict %d \"%s\", want %d \"%s\"", i, (int)c->out[i].verdict,
		    c->out[i].reason, (int)v, reason);
}

static void
test_fold_happy_path(void **state)
{
	struct chain c = { .n = 0 };
	int o, a, s, r, x;

	(void)state;
	o = add(&c, O_, STEP_OPEN, -1);
	a = add(&c, R_, STEP_ACK, o);
	s = add(&c, R_, STEP_START, a);
	r = add(&c, R_, STEP_RESPOND, s);
	x = add(&c, O_, STEP_CLOSE, r);
	fold_ok(&c, CASE_ASSISTANCE);
	assert_int_equal(c.f.state, CASE_CLOSED);
	assert_true(c.f.acked_us == c.v[a].recorded_us);
	assert_true(c.f.updated_us == c.v[x].recorded_us);
	assert_true(c.f.mla_sent_us == 0);
	for (o = 0; o < (int)c.n; o++)
		verdict_is(&c, o, EFF, "");
	/* a prefix folds to the state at that point */
	c.n = 2;
	fold_ok(&c, CASE_ASSISTANCE);
	assert_int_equal(c.f.state, CASE_ACKNOWLEDGED);
	c.n = 1;
	fold_ok(&c, CASE_ASSISTANCE);
	assert_int_equal(c.f.state, CASE_OPENED);
	assert_true(c.f.acked_us == 0);
	assert_true(c.f.updated_us == c.v[0].recorded_us);
}

static void
test_fold_request_provide_withdraw(void **state)
{
	struct chain c = { .n = 0 };
	int o, q, p, w;

	(void)state;
	o = add(&c, O_, STEP_OPEN, -1);
	q = add(&c, R_, STEP_REQUEST_INFO, o);
	fold_ok(&c, CASE_INQUIRY);
	assert_int_equal(c.f.state, CASE_INFO_REQUESTED);
	assert_true(c.f.acked_us == c.v[q].recorded_us);   /* asking acknowledges */
	p = add(&c, O_, STEP_PROVIDE_INFO, q);
	fold_ok(&c, CASE_INQUIRY);
	assert_int_equal(c.f.state, CASE_IN_PROGRESS);
	assert_true(c.f.acked_us == c.v[q].recorded_us);
	w = add(&c, O_, STEP_WITHDRAW, p);
	fold_ok(&c, CASE_INQUIRY);
	assert_int_equal(c.f.state, CASE_WITHDRAWN);
	assert_true(c.f.updated_us == c.v[w].recorded_us);
}

static void
test_fold_same_time(void **state)
{
	static const char opener_first[] = "the opener's 'withdraw' was taken at the same time "
	    "and the opener's step goes first";
	struct chain c = { .n = 0 };
	int o, a, w, r;

	(void)state;
	/* the receiver's ack stored first, the opener's withdraw second: the opener's wins */
	o = add(&c, O_, STEP_OPEN, -1);
	a = add(&c, R_, STEP_ACK, o);
	w = add(&c, O_, STEP_WITHDRAW, o);
	fold_ok(&c, CASE_NOTIFICATION);
	assert_int_equal(c.f.state, CASE_WITHDRAWN);
	assert_true(c.f.acked_us == 0);
	verdict_is(&c, w, EFF, "");
	verdict_is(&c, a, SUP, opener_first);
	/* the other order gives the same */
	memset(&c, 0, sizeof(c));
	o = add(&c, O_, STEP_OPEN, -1);
	w = add(&c, O_, STEP_WITHDRAW, o);
	a = add(&c, R_, STEP_ACK, o);
	fold_ok(&c, CASE_NOTIFICATION);
	assert_int_equal(c.f.state, CASE_WITHDRAWN);
	verdict_is(&c, a, SUP, opener_first);
	/* two of the same side: the first stored wins; what follows the loser is superseded */
	memset(&c, 0, sizeof(c));
	o = add(&c, O_, STEP_OPEN, -1);
	a = add(&c, R_, STEP_ACK, o);
	r = add(&c, R_, STEP_RESPOND, o);
	w = add(&c, O_, STEP_CLOSE, r);
	fold_ok(&c, CASE_NOTIFICATION);
	assert_int_equal(c.f.state, CASE_ACKNOWLEDGED);
	verdict_is(&c, a, EFF, "");
	verdict_is(&c, r, SUP, "the receiver's 'ack' was taken at the same time and the "
	    "opener's step goes first");
	verdict_is(&c, w, SUP, "it follows a step that did not take effect");
}

static void
test_fold_out_of_order(void **state)
{
	struct chain c = { .n = 0 };
	int x, r, a, o;

	(void)state;
	/* stored in another order than the chain's: the chain decides, not the order */
	x = add(&c, O_, STEP_CLOSE, 3);   /* follows the respond added below */
	r = add(&c, R_, STEP_RESPOND, 2);
	a = add(&c, R_, STEP_ACK, 3);
	o = add(&c, O_, STEP_OPEN, -1);
	/* fix the links now that every hash exists */
	memcpy(c.v[x].prev, c.v[r].hash, 32);
	memcpy(c.v[r].prev, c.v[a].hash, 32);
	memcpy(c.v[a].prev, c.v[o].hash, 32);
	fold_ok(&c, CASE_EMERGENCY);
	assert_int_equal(c.f.state, CASE_CLOSED);
	assert_true(c.f.acked_us == c.v[a].recorded_us);
	assert_true(c.f.updated_us == c.v[x].recorded_us);
	for (o = 0; o < 4; o++)
		verdict_is(&c, o, EFF, "");
}

static void
test_fold_refused(void **state)
{
	struct chain c = { .n = 0 };
	struct err err = ERR_INIT;
	enum case_state to;
	int o, bad, after, o2, o3, w, late;

	(void)state;
	o = add(&c, O_, STEP_OPEN, -1);
	bad = add(&c, R_, STEP_WITHDRAW, o);           /* the opener's step */
	after = add(&c, R_, STEP_ACK, bad);
	o2 = add(&c, O_, STEP_OPEN, -1);               /* a second opening */
	o3 = add(&c, R_, STEP_OPEN, o);
	fold_ok(&c, CASE_NOTIFICATION);
	assert_int_equal(c.f.state, CASE_OPENED);
	assert_int_equal(case_transition(CASE_NOTIFICATION, CASE_OPENED, R_, STEP_WITHDRAW,
	    &to, &err), -LSN_EINVAL);
	verdict_is(&c, o, EFF, "");
	verdict_is(&c, bad, REF, err.msg);
	verdict_is(&c, bad, REF, "a case that is opened cannot take 'withdraw' from the "
	    "receiver: only the opener withdraws");
	verdict_is(&c, after, SUP, "it follows a step that did not take effect");
	verdict_is(&c, o2, REF, "a case is opened once, by its opener");
	verdict_is(&c, o3, REF, "a case is opened once, by its opener");
	/* nothing follows a final state */
	w = add(&c, O_, STEP_WITHDRAW, o);
	late = add(&c, O_, STEP_CLOSE, w);
	fold_ok(&c, CASE_NOTIFICATION);
	assert_int_equal(c.f.state, CASE_WITHDRAWN);
	verdict_is(&c, late, REF, "the case is withdrawn: no step follows ('close' from the "
	    "opener)");
	/* no opening: no case */
	memset(&c, 0, sizeof(c));
	add(&c, R_, STEP_OPEN, -1);
	add(&c, O_, STEP_ACK, 0);
	err_clear(&err);
	assert_int_equal(case_fold(CASE_NOTIFICATION, c.v, c.n, c.out, &c.f, &err), -LSN_EINVAL);
	assert_int_equal(err.code, LSN_EINVAL);
	assert_int_equal(case_fold(CASE_NOTIFICATION, c.v, 0, c.out, &c.f, &err), -LSN_EINVAL);
}

static void
test_fold_mla(void **state)
{
	struct chain c = { .n = 0 };
	int o, a, m;

	(void)state;
	o = add(&c, O_, STEP_OPEN, -1);
	a = add(&c, R_, STEP_ACK, o);
	m = add(&c, O_, STEP_MLA_SENT, a);
	fold_ok(&c, CASE_PRESERVATION);
	assert_int_equal(c.f.state, CASE_ACKNOWLEDGED);   /* MLA leaves the state */
	assert_true(c.f.mla_sent_us == c.v[m].time_us);   /* its own time, not when stored */
	verdict_is(&c, m, EFF, "");
	fold_ok(&c, CASE_ASSISTANCE);
	assert_true(c.f.mla_sent_us == 0);
	verdict_is(&c, m, REF, "a assistance case that is acknowledged cannot take 'mla_sent' "
	    "from the opener: only preservation cases have an MLA request");
}

/* A path of steps from the opening to each state. */
static const enum case_step paths[NS][4] = {
	[CASE_OPENED] = { 0 },
	[CASE_ACKNOWLEDGED] = { STEP_ACK },
	[CASE_IN_PROGRESS] = { STEP_ACK, STEP_START },
	[CASE_INFO_REQUESTED] = { STEP_REQUEST_INFO },
	[CASE_ANSWERED] = { STEP_RESPOND },
	[CASE_CLOSED] = { STEP_RESPOND, STEP_CLOSE },
	[CASE_REFUSED] = { STEP_REFUSE },
	[CASE_WITHDRAWN] = { STEP_WITHDRAW },
};

static enum case_role
path_role(enum case_step sp)
{
	return sp == STEP_WITHDRAW || sp == STEP_CLOSE || sp == STEP_PROVIDE_INFO ? O_ : R_;
}

/* Every state, reached by steps, then every step of either side: the want matrix. */
static void
test_fold_matrix(void **state)
{
	int k, st, r, sp, i, last;

	(void)state;
	for (k = 1; k <= CASE_KIND_MAX; k++)
	for (st = CASE_OPENED; st <= CASE_STATE_MAX; st++)
	for (r = O_; r <= R_; r++)
	for (sp = 1; sp <= CASE_STEP_MAX; sp++) {
		struct chain c = { .n = 0 };
		enum case_state exp = sp == STEP_OPEN ? 0 : expected_next(k, st, r, sp);
		last = add(&c, O_, STEP_OPEN, -1);
		for (i = 0; i < 4 && paths[st][i] != 0; i++)
			last = add(&c, path_role(paths[st][i]), paths[st][i], last);
		last = add(&c, (enum case_role)r, (enum case_step)sp, sp == STEP_OPEN ? -1 : last);
		fold_ok(&c, (enum case_kind)k);
		if (exp != 0 && (c.f.state != exp || c.out[last].verdict != EFF))
			fail_msg("kind %d state %d role %d step %d: state %d verdict %d, want %d",
			    k, st, r, sp, c.f.state, c.out[last].verdict, exp);
		if (exp == 0 && ((int)c.f.state != st || c.out[last].verdict != REF))
			fail_msg("kind %d state %d role %d step %d: state %d verdict %d, want "
			    "refused in %d", k, st, r, sp, c.f.state, c.out[last].verdict, st);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_transition_matrix),
		cmocka_unit_test(test_transition_messages),
		cmocka_unit_test(test_transition_bad_enums),
		cmocka_unit_test(test_final),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_details_preservation),
		cmocka_unit_test(test_details_common),
		cmocka_unit_test(test_details_interference),
		cmocka_unit_test(test_details_doc_examples),
		cmocka_unit_test(test_doc_table),
		cmocka_unit_test(test_deadlines),
		cmocka_unit_test(test_overdue_ack),
		cmocka_unit_test(test_overdue_respond),
		cmocka_unit_test(test_fold_happy_path),
		cmocka_unit_test(test_fold_request_provide_withdraw),
		cmocka_unit_test(test_fold_same_time),
		cmocka_unit_test(test_fold_out_of_order),
		cmocka_unit_test(test_fold_refused),
		cmocka_unit_test(test_fold_mla),
		cmocka_unit_test(test_fold_matrix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
