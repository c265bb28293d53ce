/* Backend selection: the only place that knows which backends exist. */
#include "store/store.h"
#include "util/err.h"

#include <string.h>

int
store_open(const char *spec, int create, struct store **ret, struct err *err)
{
	if (strncmp(spec, "sqlite:", 7) == 0)
		spec += 7;
	else if (strstr(spec, "://") != NULL)
		return err_set(err, LSN_EINVAL, "store: unsupported store '%s' (use sqlite:PATH)", spec);
	return store_sqlite_backend.open(spec, create, ret, err);
}

void
store_close(struct store *s)
{
	if (s != NULL)
		s->be->close(s);
}
