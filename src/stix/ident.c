/*
 * STIX 2.1 names: type names, property names, identifiers (§2.9, §3.1) and
 * timestamps (§2.15). Pure syntax checks on bytes; never allocates, never
 * looks anything up.
 */
#include "stix/stix.h"
#include "util/err.h"

#include <string.h>

#define UUID_LEN 36

static int
is_lower(char c)
{
	return c >= 'a' && c <= 'z';
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
is_hex(char c)
{
	unsigned char u = (unsigned char)c;

	return (u >= '0' && u <= '9') || ((u | 0x20) >= 'a' && (u | 0x20) <= 'f');
}

/*
 * §3.1: a–z, 0–9 and '-', starting with a letter, 3-250 characters. We also
 * refuse "--" and a trailing '-': an id is "<type>--<uuid>", and either would
 * make the split point ambiguous (the OASIS schema forbids "--" as well).
 */
int
stix_type_valid(const char *s, size_t len)
{
	size_t i;

	if (len < 3 || len > STIX_TYPE_MAX || !is_lower(s[0]) || s[len - 1] == '-')
		return 0;
	for (i = 1; i < len; i++) {
		if (s[i] == '-') {
			if (s[i - 1] == '-')
				return 0;
		} else if (!is_lower(s[i]) && !is_digit(s[i])) {
			return 0;
		}
	}
	return 1;
}

/*
 * §3.1 (custom properties, §11.1): a–z, 0–9 and '_', 3-250 characters; the
 * STIX validator also refuses a leading digit. This admits x_mitre_* and
 * x_capec_* as well as unprefixed names such as "foo" (prefix is a SHOULD).
 */
int
stix_property_name_valid(const char *s, size_t len)
{
	size_t i;

	if (len < 3 || len > 250 || is_digit(s[0]))
		return 0;
	for (i = 0; i < len; i++) {
		if (!is_lower(s[i]) && !is_digit(s[i]) && s[i] != '_')
			return 0;
	}
	return 1;
}

/*
 * RFC 4122 §4.1: 8-4-4-4-12 hex digits, variant bits 10x (8, 9, a, b) and
 * a version of 1-5, as the OASIS identifier schema demands. STIX recommends
 * v4 for SDOs and v5 for SCOs (SHOULD only: any version passes).
 */
int
stix_uuid_valid(const char *s, size_t len)
{
	size_t i;

	if (len != UUID_LEN)
		return 0;
	for (i = 0; i < UUID_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!is_hex(s[i])) {
			return 0;
		}
	}
	if (s[14] < '1' || s[14] > '5')
		return 0;
	return s[19] == '8' || s[19] == '9' || (s[19] | 0x20) == 'a' || (s[19] | 0x20) == 'b';
}

int
stix_id_valid(const char *s)
{
	size_t len;

	if (s == NULL)
		return 0;
	len = strnlen(s, STIX_ID_MAX + 1);
	if (len > STIX_ID_MAX || len < 3 + 2 + UUID_LEN)
		return 0;
	if (s[len - UUID_LEN - 2] != '-' || s[len - UUID_LEN - 1] != '-')
		return 0;
	return stix_type_valid(s, len - UUID_LEN - 2) &&
	       stix_uuid_valid(s + len - UUID_LEN, UUID_LEN);
}

size_t
stix_id_type_len(const char *id)
{
	size_t len = strlen(id);

	return len > UUID_LEN + 2 ? len - UUID_LEN - 2 : 0;
}

int
stix_parse_timestamp(const char *s, struct ts *ret, struct err *err)
{
	if (s == NULL)
		return err_set(err, LSN_EINVAL, "timestamp is missing");
	/* Longer than any RFC 3339 form with 9 fractional digits: not a timestamp. */
	return ts_parse(s, strnlen(s, 64), ret, err);
}

/* Length of the valid UTF-8 sequence at s (RFC 3629 §4), or 0. */
static size_t
utf8_seq(const unsigned char *s)
{
	unsigned char c = s[0];
	size_t n, i;
	unsigned lo = 0x80, hi = 0xbf;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	/* No overlong forms, no surrogates, nothing above U+10FFFF. */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++) {
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	}
	return n;
}

void
stix_utf8_scrub(char *s)
{
	unsigned char *p = (unsigned char *)s;
	size_t n;

	while (*p != '\0') {
		n = utf8_seq(p);
		if (n == 0)
			*p++ = '?';
		else
			p += n;
	}
}
