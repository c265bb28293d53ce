/*
 * libFuzzer harness for the hotline's wire side (src/hotline/hotline.c):
 * the bundle of a step a partner sends goes through hotline_receive, on a
 * real store that holds one case with that partner. The first input byte
 * picks the envelope kind; the rest is the body, in which the placeholder
 * case id CASE_PH and prev PREV_PH become the real case's id and opening
 * hash (so the fuzzer reaches the fold, not only "no such case"). Never a crash; a refused
 * step (1) names its reason; whatever happens, the case still folds to a
 * valid state. Each input runs in a transaction that is rolled back, so
 * inputs do not pile up.
 *
 * The same bytes also drive the pure fold (case_fold) with no store: read
 * three at a time as steps (role, step, which earlier step it follows), the
 * fold must return a state of the machine and verdicts whose effective
 * steps make one chain from the opening that case_transition allows.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hotline/case.h"
#include "hotline/hotline.h"
#include "store/store.h"
#include "util/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct store *s;
static struct store_partner partner;
static struct agr_hotline terms;
static char case_id[STIX_ID_MAX + 1];
static char open_hex[65];

#define CASE_PH "incident--00000000-0000-4000-8000-000000000000"
#define PREV_PH "pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp"

static int
first_step(void *arg, const struct store_step *x)
{
	static const char hexd[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < 32 && open_hex[0] == '\0'; i++) {
		((char *)arg)[2 * i] = hexd[x->hash[i] >> 4];
		((char *)arg)[2 * i + 1] = hexd[x->hash[i] & 15];
	}
	return 0;
}

/* Replaces every placeholder of the same length in buf[0..n). */
static void
substitute(char *buf, size_t n, const char *ph, const char *real)
{
	size_t k = strlen(ph), i;

	for (i = 0; i + k <= n; i++)
		if (memcmp(buf + i, ph, k) == 0)
			memcpy(buf + i, real, k);
}

static void
setup(void)
{
	struct store_collection inbox = { 0 };
	struct store_case c;
	struct hotline_open o = { 0 };
	struct agreement g;
	struct err err = ERR_INIT;
	char dir[] = "/tmp/fuzz-hotline-XXXXXX", path[64];

	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/store.db", dir);
	if (store_open(path, 1, &s, &err) < 0)
		abort();
	snprintf(inbox.title, sizeof(inbox.title), "from-peer");
	memcpy(inbox.id, "7d0c2d4e-1b7a-4f65-9a53-0d6f1d2e3a4b", 37);
	snprintf(partner.name, sizeof(partner.name), "peer");
	memset(partner.key, 7, 32);
	memset(partner.key_id, 8, 32);
	memset(partner.spki, 9, 32);
	snprintf(partner.endpoint, sizeof(partner.endpoint), "https://127.0.0.1:1");
	partner.active = 1;
	if (store_begin(s, &err) < 0 || store_coll_add(s, &inbox, &err) < 0)
		abort();
	partner.inbox = inbox.rowid;
	if (store_partner_add(s, &partner, "{}", &err) < 0)
		abort();
	agreement_default(&g, "self", "peer");
	terms = g.hotline;
	o.p = &partner;
	o.kind = CASE_NOTIFICATION;
	o.details = "{\"summary\":\"fuzz\"}";
	o.details_len = strlen(o.details);
	o.tlp = STIX_TLP_AMBER;
	o.terms = &terms;
	o.now_us = 1790000000000000;
	if (hotline_open(s, &o, &c, &err) < 0 || store_commit(s, &err) < 0)
		abort();
	snprintf(case_id, sizeof(case_id), "%s", c.id);
	if (store_step_scan(s, c.id, 0, first_step, open_hex, &err) < 0)
		abort();
}

#define MOVES_MAX 64

/* Step i: role from bit 0, step from the next bits, prev from the second byte (i: none). */
static size_t
moves_of(const uint8_t *data, size_t size, struct case_move *v)
{
	size_t i, n = 0;

	for (i = 0; i + 3 <= size && n < MOVES_MAX; i += 3, n++) {
		size_t after = data[i + 1] % (n + 1);
		memset(&v[n], 0, sizeof(v[n]));
		v[n].role = data[i] & 1 ? CASE_RECEIVER : CASE_OPENER;
		v[n].step = (enum case_step)(1 + (data[i] >> 1) % CASE_STEP_MAX);
		v[n].hash[0] = (uint8_t)(n + 1);
		v[n].hash[31] = 0xaa;
		if (after < n)
			memcpy(v[n].prev, v[after].hash, 32);
		v[n].time_us = 1790000000000000 + (int64_t)data[i + 2];
		v[n].recorded_us = v[n].time_us + (int64_t)n;
	}
	return n;
}

/* Replays the effective steps as a chain: it must be one, and reach f's state. */
static void
check_fold(enum case_kind kind, const struct case_move *v, size_t n,
    const struct case_judged *out, const struct case_folded *f)
{
	static const uint8_t zero[32];
	enum case_state state = CASE_OPENED, to;
	const uint8_t *end = NULL;
	size_t i, k, effective = 0, walked = 0;

	for (i = 0; i < n; i++) {
		if (out[i].verdict > CASE_VERDICT_REFUSED ||
		    (out[i].verdict == CASE_VERDICT_EFFECTIVE) != (out[i].reason[0] == '\0'))
			__builtin_trap();
		effective += out[i].verdict == CASE_VERDICT_EFFECTIVE;
		if (out[i].verdict == CASE_VERDICT_EFFECTIVE && v[i].step == STEP_OPEN) {
			if (end != NULL || memcmp(v[i].prev, zero, 32) != 0)
				__builtin_trap();
			end = v[i].hash;
			walked = 1;
		}
	}
	for (k = 1; end != NULL && k < effective; k++) {
		for (i = 0; i < n; i++)
			if (out[i].verdict == CASE_VERDICT_EFFECTIVE && v[i].step != STEP_OPEN &&
			    memcmp(v[i].prev, end, 32) == 0)
				break;
		if (i == n || case_transition(kind, state, v[i].role, v[i].step, &to, NULL) < 0)
			__builtin_trap();
		state = to;
		end = v[i].hash;
		walked++;
	}
	if (end == NULL || walked != effective || state != f->state)
		__builtin_trap();
}

static void
fuzz_fold(const uint8_t *data, size_t size)
{
	struct case_move v[MOVES_MAX];
	struct case_judged out[MOVES_MAX];
	struct case_folded f;
	enum case_kind kind = (enum case_kind)(1 + data[0] % CASE_KIND_MAX);
	size_t n = moves_of(data + 1, size - 1, v), i;
	int opened = 0;

	for (i = 0; i < n; i++)
		if (v[i].step == STEP_OPEN && v[i].role == CASE_OPENER && v[i].prev[0] == 0)
			opened = 1;
	if (case_fold(kind, v, n, out, &f, NULL) < 0) {
		if (opened)
			__builtin_trap();
		return;
	}
	if (!opened || f.state < CASE_OPENED || f.state > CASE_STATE_MAX)
		__builtin_trap();
	check_fold(kind, v, n, out, &f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hotline_received rc;
	struct store_case c;
	struct err err = ERR_INIT;
	uint8_t *body;
	int r;

	if (s == NULL)
		setup();
	if (size < 1)
		return 0;
	fuzz_fold(data, size);
	if ((body = malloc(size)) == NULL)
		return 0;
	memcpy(body, data + 1, size - 1);
	substitute((char *)body, size - 1, CASE_PH, case_id);
	substitute((char *)body, size - 1, PREV_PH, open_hex);
	if (store_begin(s, &err) < 0)
		abort();
	r = hotline_receive(s, &partner, 1 + data[0] % 6, 1, body, size - 1, &terms,
	    1790000001000000, &rc, &err);
	free(body);
	if (r == 1 && (err.msg[0] == '\0' || memchr(err.msg, '\0', sizeof(err.msg)) == NULL))
		__builtin_trap();
	if (r < 0 && r != -LSN_ENOMEM && r != -LSN_ETOOBIG)
		__builtin_trap();   /* the store does not fail on bad input */
	/* the case this store holds still reads back in a state of the machine */
	if (store_case_get(s, case_id, &c, &err) < 0 || c.state < CASE_OPENED ||
	    c.state > CASE_STATE_MAX)
		__builtin_trap();
	store_rollback(s);
	return 0;
}
