/* The process clock and strict RFC 3339 / STIX timestamps. No I/O. */
#include "util/ts.h"
#include "util/err.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static _Atomic int64_t clock_offset_us;

int64_t
clock_now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000 +
	       atomic_load_explicit(&clock_offset_us, memory_order_relaxed);
}

void
clock_set_offset_us(int64_t off)
{
	atomic_store(&clock_offset_us, off);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's algorithm). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void
civil_from_days(int64_t z, int *ry, unsigned *rm, unsigned *rd)
{
	int64_t era, y;
	unsigned doe, yoe, doy, mp, d, m;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = (int64_t)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	*ry = (int)(y + (m <= 2));
	*rm = m;
	*rd = d;
}

static int
digits(const char *s, int n, unsigned *ret)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*ret = v;
	return 0;
}

static unsigned
days_in_month(unsigned y, unsigned m)
{
	static const unsigned dim[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return 29;
	return dim[m - 1];
}

int
ts_parse(const char *s, size_t n, struct ts *ret, struct err *err)
{
	unsigned y, mo, d, h, mi, sec, frac = 0;
	size_t i, nd = 0;

	if (n < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
	    s[13] != ':' || s[16] != ':' || s[n - 1] != 'Z')
		return err_set(err, LSN_EINVAL,
		    "timestamp '%.*s' is not of the form YYYY-MM-DDTHH:MM:SS[.fraction]Z",
		    (int)(n > 64 ? 64 : n), s);
	if (digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
	    digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) || digits(s + 17, 2, &sec))
		return err_set(err, LSN_EINVAL, "timestamp '%.*s' has a non-digit in a date or time field",
		    (int)(n > 64 ? 64 : n), s);
	if (n > 20) {
		if (s[19] != '.' || n < 22)
			return err_set(err, LSN_EINVAL, "timestamp '%.*s' has a malformed fraction of a second",
			    (int)(n > 64 ? 64 : n), s);
		nd = n - 21;
		if (nd > 9)
			return err_set(err, LSN_EINVAL, "timestamp '%.*s' has more than 9 fractional digits",
			    (int)(n > 64 ? 64 : n), s);
		for (i = 0; i < nd; i++) {
			char c = s[20 + i];
			if (c < '0' || c > '9')
				return err_set(err, LSN_EINVAL, "timestamp '%.*s' has a non-digit in its fraction",
				    (int)(n > 64 ? 64 : n), s);
			frac = frac * 10 + (unsigned)(c - '0');
		}
		for (i = nd; i < 9; i++)
			frac *= 10;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 ||
	    mi > 59 || sec > 60)
		return err_set(err, LSN_EINVAL, "timestamp '%.*s' is not a real date and time",
		    (int)(n > 64 ? 64 : n), s);
	if (sec == 60) /* leap second (RFC 3339 allows it): the last instant of :59 */
		sec = 59, frac = 999999999;
	ret->sec = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	ret->nsec = frac;
	ret->digits = (uint8_t)nd;
	return 0;
}

int
ts_cmp(const struct ts *a, const struct ts *b)
{
	if (a->sec != b->sec)
		return a->sec < b->sec ? -1 : 1;
	if (a->nsec != b->nsec)
		return a->nsec < b->nsec ? -1 : 1;
	return 0;
}

static void
format(int64_t sec, unsigned frac, int width, char *out, size_t outlen)
{
	int64_t days = sec / 86400, rem = sec % 86400;
	unsigned m, d;
	int y;

	if (rem < 0) {
		rem += 86400;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	snprintf(out, outlen, "%04d-%02u-%02uT%02u:%02u:%02u.%0*uZ", y, m, d,
	    (unsigned)(rem / 3600), (unsigned)(rem / 60 % 60), (unsigned)(rem % 60),
	    width, frac);
}

void
ts_key(const struct ts *t, char out[TS_KEY_LEN])
{
	format(t->sec, t->nsec, 9, out, TS_KEY_LEN);
}

void
ts_format_us(int64_t us, char out[TS_US_LEN])
{
	int64_t sec = us / 1000000, frac = us % 1000000;

	if (frac < 0) {
		frac += 1000000;
		sec--;
	}
	format(sec, (unsigned)frac, 6, out, TS_US_LEN);
}

int64_t
ts_to_us(const struct ts *t)
{
	return t->sec * 1000000 + t->nsec / 1000;
}
