/*
 * The backends' shared decisions (rules.h). Pure: no I/O, no SQL.
 */
#include "store/rules.h"
#include "util/err.h"

#include <string.h>

int
store_partner_refusal(const struct store_partner *p, const struct store_partner_taken *t,
    struct err *err)
{
	if (t->name)
		return err_set(err, LSN_EEXIST, "a partner named '%s' already exists", p->name);
	if (t->key_owner[0] != '\0')
		return err_set(err, LSN_EEXIST, "partner '%s' already has this signing key, so '%s' "
		    "cannot be added with it", t->key_owner, p->name);
	if (!t->inbox_exists)
		return err_set(err, LSN_ENOTFOUND, "the inbox of partner '%s', collection %lld, "
		    "does not exist", p->name, (long long)p->inbox);
	if (t->inbox_owner[0] != '\0')
		return err_set(err, LSN_EEXIST, "collection '%s' is already the inbox of partner '%s'",
		    t->inbox_title, t->inbox_owner);
	return 0;
}

size_t
store_error_len(const char *error)
{
	size_t n = strnlen(error, STORE_ERROR_MAX);

	if (n < STORE_ERROR_MAX)
		return n;
	n = STORE_ERROR_MAX - 1;
	while (n > 0 && ((unsigned char)error[n] & 0xc0) == 0x80)
		n--;
	return n;
}
