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
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
	if (size < 1 || (body = malloc(size)) == NULL)
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
