/*
 * Time: the one clock of the process (tests can move it) and STIX/TAXII
 * timestamps (RFC 3339, UTC, "Z" required, STIX 2.1 §3.2). Pure functions.
 */
#ifndef LSN_UTIL_TS_H
#define LSN_UTIL_TS_H

#include <stddef.h>
#include <stdint.h>

struct ts {
	int64_t sec;     /* seconds since 1970-01-01T00:00:00Z */
	uint32_t nsec;   /* 0..999999999 */
	uint8_t digits;  /* fractional digits as written (0..9) */
};

/* Width of a normalized key "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ" plus NUL. */
#define TS_KEY_LEN 31
/* Width of "YYYY-MM-DDTHH:MM:SS.uuuuuuZ" plus NUL. */
#define TS_US_LEN 28

/* Current time in microseconds since the epoch; honours clock_set_offset_us. */
int64_t clock_now_us(void);
/* Tests move time: every later clock_now_us() adds this many microseconds. */
void clock_set_offset_us(int64_t off);

/*
 * Parses exactly n bytes as "YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z". Rejects impossible
 * calendar values (month 13, 31 November, 29 February of a common year,
 * hour 24, ...). Returns 0 or -LSN_EINVAL with the reason in err.
 */
struct err;
int ts_parse(const char *s, size_t n, struct ts *ret, struct err *err);

/* -1, 0 or 1 at full precision. */
int ts_cmp(const struct ts *a, const struct ts *b);

/* Normalized, byte-sortable key with 9 fractional digits. */
void ts_key(const struct ts *t, char out[TS_KEY_LEN]);
/* Microsecond timestamp as "YYYY-MM-DDTHH:MM:SS.uuuuuuZ". */
void ts_format_us(int64_t us, char out[TS_US_LEN]);
/* Microseconds since the epoch (nanoseconds truncated). */
int64_t ts_to_us(const struct ts *t);

#endif
