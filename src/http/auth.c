/*
 * Who a local user is (HTTP Basic or a bearer token, with a cache of checked
 * credentials) and what they may do in a collection. Must never answer a
 * request: the caller words the 401 or 403 in its own format.
 */
#include "http/taxii_int.h"
#include "util/enc.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static struct auth_entry *
auth_slot(struct taxii *t, const uint8_t key[32])
{
	return &t->auth[(key[0] | key[1] << 8) % AUTH_CACHE_SIZE];
}

static int
auth_basic(struct ctx *c, const char *b64)
{
	uint8_t raw[512];
	size_t n;
	char *colon;
	int r;

	if (b64_decode(b64, strlen(b64), raw, sizeof(raw) - 1, &n, 0) < 0)
		return -LSN_EAUTH;
	raw[n] = '\0';
	colon = strchr((char *)raw, ':');
	if (colon == NULL || strlen((char *)raw) != n)
		return -LSN_EAUTH;
	*colon = '\0';
	if (store_user_find(c->t->rd, (char *)raw, &c->who.user, NULL) < 0 ||
	    c->who.user.pwhash[0] == '\0') {
		cx_wipe(raw, sizeof(raw));
		return -LSN_EAUTH;
	}
	/* PBKDF2 is slow on purpose; the cache makes it once per credential. */
	r = cx_password_verify(colon + 1, c->who.user.pwhash);
	cx_wipe(raw, sizeof(raw));
	return r < 0 ? -LSN_EAUTH : 0;
}

static int
auth_bearer(struct ctx *c, const char *tok)
{
	uint8_t h[32];
	int64_t uid;

	cx_sha256(tok, strlen(tok), h);
	if (store_token_find(c->t->rd, h, &uid, NULL) < 0)
		return -LSN_EAUTH;
	return store_user_get(c->t->rd, uid, &c->who.user, NULL) < 0 ? -LSN_EAUTH : 0;
}

static int
copy_grants(const struct store_grant *g, size_t n, struct store_grant **ret)
{
	*ret = NULL;
	if (n == 0)
		return 0;
	*ret = malloc(n * sizeof(*g));
	if (*ret == NULL)
		return -LSN_ENOMEM;
	memcpy(*ret, g, n * sizeof(*g));
	return 0;
}

static void
auth_remember(struct ctx *c, struct auth_entry *slot, const uint8_t key[32])
{
	free(slot->grants);
	slot->used = copy_grants(c->who.grants, c->who.n_grants, &slot->grants) == 0;
	memcpy(slot->key, key, 32);
	slot->data_version = c->t->data_version;
	slot->user = c->who.user;
	snprintf(slot->pwhash, sizeof(slot->pwhash), "%s", c->who.user.pwhash);
	slot->n_grants = c->who.n_grants;
}

int
taxii_authenticate(struct ctx *c)
{
	const char *h = http_header_get(c->req, "Authorization");
	struct auth_entry *slot;
	uint8_t key[32];
	int r, hit;

	if (h == NULL)
		return -LSN_EAUTH;
	cx_sha256(h, strlen(h), key);
	slot = auth_slot(c->t, key);
	hit = slot->used && cx_ct_equal(slot->key, key, 32);
	if (hit && slot->data_version == c->t->data_version) {
		c->who.user = slot->user;
		c->who.n_grants = slot->n_grants;
		return copy_grants(slot->grants, slot->n_grants, &c->who.grants);
	}
	if (strncasecmp(h, "Bearer ", 7) == 0)
		r = auth_bearer(c, h + 7);
	else if (strncasecmp(h, "Basic ", 6) != 0)
		r = -LSN_EAUTH;
	else if (hit && store_user_get(c->t->rd, slot->user.rowid, &c->who.user, NULL) == 0 &&
	    strcmp(c->who.user.pwhash, slot->pwhash) == 0)
		r = 0; /* the same password against the same hash: no PBKDF2 again */
	else
		r = auth_basic(c, h + 6);
	if (r < 0) {
		c->t->m.auth_failures++;
		return r;
	}
	r = store_grant_list(c->t->rd, c->who.user.rowid, &c->who.grants,
	    &c->who.n_grants, NULL);
	if (r == 0)
		auth_remember(c, slot, key);
	return r;
}

void
taxii_rights(const struct ctx *c, int64_t coll, int *ret_read, int *ret_write)
{
	size_t i;

	*ret_read = *ret_write = c->who.user.admin;
	for (i = 0; i < c->who.n_grants; i++) {
		if (c->who.grants[i].coll == coll) {
			*ret_read |= c->who.grants[i].can_read;
			*ret_write |= c->who.grants[i].can_write;
		}
	}
}

int
taxii_has_rights(const struct ctx *c, unsigned rights)
{
	if ((rights & ROUTE_ADMIN) && !c->who.user.admin)
		return 0;
	if ((rights & ROUTE_READ) && !c->can_read)
		return 0;
	return !((rights & ROUTE_WRITE) && !c->can_write);
}
