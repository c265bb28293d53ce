/*
 * Sessions and the sign-in limiter (session.h). A session is kept by the
 * SHA-256 of its cookie token, never the token: a core dump signs nobody
 * in. Both tables are small fixed arrays searched linearly or by a few
 * probes; the loop thread owns them.
 */
#include "http/session.h"
#include "crypto/cx.h"
#include "util/enc.h"
#include "util/err.h"

#include <stdlib.h>
#include <string.h>

#define LIMIT_SLOTS 1024
#define LIMIT_PROBES 8

struct slot {
	int used;
	uint8_t key[32];            /* SHA-256 of the cookie token */
	struct session s;
};

struct bucket {
	uint64_t key;               /* hash of "u:" name or "a:" address; 0: free */
	unsigned fails;
	int64_t since_us;           /* the window's start */
};

struct session_table {
	struct session_limits lim;
	struct slot *slots;
	size_t n_live;
	struct bucket limit[LIMIT_SLOTS];
};

static const struct session_limits defaults = {
	.idle_us = 30LL * 60 * 1000000,
	.absolute_us = 12LL * 3600 * 1000000,
	.max = 1024,
	.fail_user = 5,
	.fail_addr = 20,
	.fail_window_us = 15LL * 60 * 1000000,
};

int
session_table_new(const struct session_limits *lim, struct session_table **ret)
{
	struct session_table *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return -LSN_ENOMEM;
	t->lim = lim ? *lim : defaults;
	if (t->lim.max == 0)
		t->lim.max = defaults.max;
	if ((t->slots = calloc(t->lim.max, sizeof(*t->slots))) == NULL) {
		free(t);
		return -LSN_ENOMEM;
	}
	*ret = t;
	return 0;
}

void
session_table_free(struct session_table *t)
{
	if (t == NULL)
		return;
	cx_wipe(t->slots, t->lim.max * sizeof(*t->slots));
	free(t->slots);
	free(t);
}

static void
slot_clear(struct session_table *t, struct slot *sl)
{
	if (sl->used)
		t->n_live--;
	cx_wipe(sl, sizeof(*sl));
}

static int
random_hex(char out[static SESSION_TOKEN_LEN + 1])
{
	uint8_t raw[SESSION_TOKEN_LEN / 2];

	if (cx_random(raw, sizeof(raw)) < 0)
		return -LSN_EIO;
	hex_encode(raw, sizeof(raw), out);
	cx_wipe(raw, sizeof(raw));
	return 0;
}

int
session_create(struct session_table *t, int64_t uid, const char *user, int64_t now_us,
    char *ret_token, char *ret_csrf)
{
	struct slot *sl = NULL, *oldest = NULL;
	char token[SESSION_TOKEN_LEN + 1], csrf[SESSION_TOKEN_LEN + 1];
	size_t i;

	if (random_hex(token) < 0 || random_hex(csrf) < 0)
		return -LSN_EIO;
	for (i = 0; i < t->lim.max && sl == NULL; i++) {
		struct slot *c = &t->slots[i];

		if (c->used && (now_us - c->s.seen_us > t->lim.idle_us ||
		    now_us - c->s.created_us > t->lim.absolute_us))
			slot_clear(t, c);
		if (!c->used)
			sl = c;
		else if (oldest == NULL || c->s.seen_us < oldest->s.seen_us)
			oldest = c;
	}
	if (sl == NULL) {
		sl = oldest;
		slot_clear(t, sl);
	}
	sl->used = 1;
	t->n_live++;
	cx_sha256(token, SESSION_TOKEN_LEN, sl->key);
	sl->s.uid = uid;
	strncpy(sl->s.user, user, SESSION_NAME_MAX);
	sl->s.user[SESSION_NAME_MAX] = '\0';
	memcpy(sl->s.csrf, csrf, sizeof(csrf));
	sl->s.created_us = sl->s.seen_us = now_us;
	memcpy(ret_token, token, sizeof(token));
	memcpy(ret_csrf, csrf, sizeof(csrf));
	cx_wipe(token, sizeof(token));
	return 0;
}

static struct slot *
slot_of(struct session_table *t, const char *token)
{
	uint8_t key[32];
	size_t i;

	if (token == NULL || strlen(token) != SESSION_TOKEN_LEN)
		return NULL;
	cx_sha256(token, SESSION_TOKEN_LEN, key);
	for (i = 0; i < t->lim.max; i++)
		if (t->slots[i].used && cx_ct_equal(t->slots[i].key, key, 32))
			return &t->slots[i];
	return NULL;
}

struct session *
session_find(struct session_table *t, const char *token, int64_t now_us)
{
	struct slot *sl = slot_of(t, token);

	if (sl == NULL)
		return NULL;
	if (now_us - sl->s.seen_us > t->lim.idle_us ||
	    now_us - sl->s.created_us > t->lim.absolute_us) {
		slot_clear(t, sl);
		return NULL;
	}
	sl->s.seen_us = now_us;
	return &sl->s;
}

int
session_end(struct session_table *t, const char *token)
{
	struct slot *sl = slot_of(t, token);

	if (sl == NULL)
		return -LSN_ENOTFOUND;
	slot_clear(t, sl);
	return 0;
}

size_t
session_end_user(struct session_table *t, int64_t uid)
{
	size_t i, n = 0;

	for (i = 0; i < t->lim.max; i++)
		if (t->slots[i].used && t->slots[i].s.uid == uid) {
			slot_clear(t, &t->slots[i]);
			n++;
		}
	return n;
}

int
session_csrf_ok(const struct session *s, const char *header)
{
	return header != NULL && strlen(header) == SESSION_TOKEN_LEN &&
	    cx_ct_equal(s->csrf, header, SESSION_TOKEN_LEN);
}

size_t
session_count(const struct session_table *t)
{
	return t->n_live;
}

/* ---- the limiter ---- */

static uint64_t
limit_key(char kind, const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	h = (h ^ (unsigned char)kind) * 1099511628211ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h ? h : 1;
}

/* The bucket of key: its own, else a free or expired one, else the oldest probed. */
static struct bucket *
bucket_of(struct session_table *t, uint64_t key, int64_t now_us, int create)
{
	struct bucket *free_b = NULL, *oldest = NULL;
	size_t i;

	for (i = 0; i < LIMIT_PROBES; i++) {
		struct bucket *b = &t->limit[(key + i) % LIMIT_SLOTS];

		if (b->key == key) {
			if (now_us - b->since_us > t->lim.fail_window_us) {
				b->fails = 0;
				b->since_us = now_us;
			}
			return b;
		}
		if (free_b == NULL && (b->key == 0 || now_us - b->since_us > t->lim.fail_window_us))
			free_b = b;
		if (oldest == NULL || b->since_us < oldest->since_us)
			oldest = b;
	}
	if (!create)
		return NULL;
	if (free_b == NULL)
		free_b = oldest;
	free_b->key = key;
	free_b->fails = 0;
	free_b->since_us = now_us;
	return free_b;
}

static int
over(struct session_table *t, struct bucket *b, unsigned max, int64_t now_us, int *retry)
{
	int64_t left;

	if (b == NULL || b->fails < max)
		return 0;
	left = b->since_us + t->lim.fail_window_us - now_us;
	left = left > 0 ? (left + 999999) / 1000000 : 1;
	if (left > *retry)
		*retry = (int)left;
	return 1;
}

int
session_limited(struct session_table *t, const char *user, const char *addr, int64_t now_us,
    int *ret_retry_s)
{
	int retry = 0, u, a;

	u = over(t, bucket_of(t, limit_key('u', user), now_us, 0), t->lim.fail_user, now_us,
	    &retry);
	a = over(t, bucket_of(t, limit_key('a', addr), now_us, 0), t->lim.fail_addr, now_us,
	    &retry);
	if (u || a)
		*ret_retry_s = retry;
	return u || a;
}

void
session_failed(struct session_table *t, const char *user, const char *addr, int64_t now_us)
{
	bucket_of(t, limit_key('u', user), now_us, 1)->fails++;
	bucket_of(t, limit_key('a', addr), now_us, 1)->fails++;
}

void
session_succeeded(struct session_table *t, const char *user)
{
	struct bucket *b = bucket_of(t, limit_key('u', user), 0, 0);

	if (b != NULL)
		b->fails = 0;
}
