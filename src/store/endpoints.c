/*
 * A partner's endpoints: the row keeps them as one space-separated list in
 * the order they are tried, so neither backend's schema knows there can be
 * several. Pure string work; never touches a backend.
 */
#include "store/store.h"

#include <stdio.h>
#include <string.h>

size_t
store_endpoints_split(const char *list, char *buf, size_t cap,
    const char *ret[STORE_ENDPOINTS_MAX])
{
	char *s, *save = NULL;
	size_t n = 0;

	snprintf(buf, cap, "%s", list);
	for (s = strtok_r(buf, " ", &save); s != NULL && n < STORE_ENDPOINTS_MAX;
	    s = strtok_r(NULL, " ", &save))
		ret[n++] = s;
	return n;
}
