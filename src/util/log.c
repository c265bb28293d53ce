/* The one builder of JSON log lines; writes nothing itself (the sink does). */
#include "util/log.h"
#include "util/buf.h"
#include "util/ts.h"

#include <stdarg.h>

#define LOG_LINE_MAX 8192

int
log_format(struct buf *b, const char *event, const char *fmt, va_list ap)
{
	char t[TS_US_LEN];
	int r;

	ts_format_us(clock_now_us(), t);
	if ((r = buf_printf(b, "{\"time\":\"%s\",\"event\":\"%s\"", t, event)) < 0)
		return r;
	if (fmt != NULL && *fmt != '\0' &&
	    ((r = buf_addc(b, ',')) < 0 || (r = buf_vprintf(b, fmt, ap)) < 0))
		return r;
	return buf_addc(b, '}');
}

void
log_emitv(log_fn fn, void *arg, const char *event, const char *fmt, va_list ap)
{
	struct buf b = BUF_INIT(LOG_LINE_MAX);

	if (fn == NULL)
		return;
	if (log_format(&b, event, fmt, ap) == 0)
		fn(arg, b.data, b.len);
	buf_release(&b);
}

void
log_emit(log_fn fn, void *arg, const char *event, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emitv(fn, arg, event, fmt, ap);
	va_end(ap);
}
