/*
 * What both backends decide the same way, apart from any SQL: the
 * sentences that refuse a new partner, and how much of a link error is
 * kept. Private to src/store/; each backend reads the facts with its own
 * query and hands them here, so the answers cannot drift apart.
 */
#ifndef LSN_STORE_RULES_H
#define LSN_STORE_RULES_H

#include <stddef.h>

#include "store/store.h"

struct err;

/* What a new partner would collide with, as a backend read it before writing. */
struct store_partner_taken {
	int name;                             /* a partner has the name */
	char key_owner[STORE_NAME_MAX + 1];   /* "" if the key is free */
	int inbox_exists;
	char inbox_title[STORE_TITLE_MAX];
	char inbox_owner[STORE_NAME_MAX + 1]; /* "" if no partner has it as inbox */
};

/* 0 if p may be added given t, else -LSN_EEXIST or -LSN_ENOTFOUND with the reason. */
int store_partner_refusal(const struct store_partner *p, const struct store_partner_taken *t,
    struct err *err);

/*
 * Bytes of a link error kept: at most STORE_ERROR_MAX - 1 and never half
 * a UTF-8 character (it may come from the partner's side).
 */
size_t store_error_len(const char *error);

#endif
