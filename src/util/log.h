/*
 * Log lines: one JSON object a line, {"time":"...","event":"...",...},
 * built here and nowhere else. A module that logs is handed a sink (a
 * function and its argument) and never writes to a file itself.
 */
#ifndef LSN_UTIL_LOG_H
#define LSN_UTIL_LOG_H

#include <stdarg.h>
#include <stddef.h>

struct buf;

/* Receives one complete line, without its newline; may be called from any thread. */
typedef void (*log_fn)(void *arg, const char *line, size_t len);

/*
 * Appends one line to b: the time (now, from clock_now_us), the event and,
 * if fmt is neither NULL nor "", the JSON members it formats ("\"k\":%d,...",
 * without the surrounding braces or a leading comma). -LSN_ETOOBIG if b's
 * cap is reached.
 */
int log_format(struct buf *b, const char *event, const char *fmt, va_list ap);

/* Builds one line (at most 8 KiB) and hands it to fn; nothing if fn is NULL. */
void log_emit(log_fn fn, void *arg, const char *event, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void log_emitv(log_fn fn, void *arg, const char *event, const char *fmt, va_list ap);

#endif
