/*
 * The node-name rule of name.h. Lower case only, so two spellings never
 * name one node, and no leading '-', so a name is never taken for an option.
 * Never reads past n bytes.
 */
#include "util/name.h"
#include "util/err.h"

static int
name_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

static int
name_ok(const char *s, size_t n)
{
	size_t i;

	if (s == NULL || n == 0 || n > NODE_NAME_MAX || s[0] == '-')
		return 0;
	for (i = 0; i < n; i++) {
		if (!name_char_ok(s[i]))
			return 0;
	}
	return 1;
}

int
name_check(const char *s, size_t n, struct err *err)
{
	if (!name_ok(s, n))
		return err_set(err, LSN_EINVAL, "a node name is 1 to %d of a-z, 0-9 and '-', "
		    "starting with a letter or digit", NODE_NAME_MAX);
	return 0;
}
