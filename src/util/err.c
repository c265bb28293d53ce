/* Error text helpers: fill caller-owned struct err; never print. */
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int
err_set(struct err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL) {
		err->code = code;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return -code;
}

void
err_prefix(struct err *err, const char *fmt, ...)
{
	char pre[ERR_MSG_MAX], old[ERR_MSG_MAX];
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	snprintf(err->msg, sizeof(err->msg), "%s%s", pre, old);
}

void
err_clear(struct err *err)
{
	if (err != NULL) {
		err->code = 0;
		err->msg[0] = '\0';
	}
}

const char *
err_name(int code)
{
	static const char *const names[] = {
		"OK", "EINVAL", "ENOMEM", "ETOOBIG", "EIO", "ENOTFOUND",
		"EEXIST", "EDENIED", "EBADSIG", "ECONFLICT", "EBUSY", "EAUTH",
		"EINTERNAL", "ENOTSUP",
	};

	if (code < 0)
		code = -code;
	if ((size_t)code >= sizeof(names) / sizeof(names[0]))
		return "EUNKNOWN";
	return names[code];
}
