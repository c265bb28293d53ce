/*
 * TAXII 2.1 media types and content negotiation (§1.6.8): Accept and
 * Content-Type. Reads headers only; never answers a request.
 */
#include "http/media.h"

#include <string.h>

/* ---- content negotiation (§1.6.8) ---- */

/* 1 if one media range of an Accept or Content-Type value is TAXII 2.1. */
static int
media_is_taxii(const char *s, size_t n, int allow_wild)
{
	char v[256], *p, *semi;
	size_t i, j = 0;

	if (n >= sizeof(v))
		return 0;
	for (i = 0; i < n; i++) /* drop spaces, lowercase */
		if (s[i] != ' ' && s[i] != '\t')
			v[j++] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
	v[j] = '\0';
	semi = strchr(v, ';');
	if (semi != NULL)
		*semi = '\0';
	if (!(strcmp(v, "application/taxii+json") == 0 ||
	    (allow_wild && (strcmp(v, "*/*") == 0 || strcmp(v, "application/*") == 0))))
		return 0;
	for (p = semi; p != NULL; p = semi) {
		semi = strchr(p + 1, ';');
		if (semi != NULL)
			*semi = '\0';
		if (strncmp(p + 1, "version=", 8) == 0 && strcmp(p + 9, "2.1") != 0)
			return 0;
		if (strcmp(p + 1, "q=0") == 0 || strcmp(p + 1, "q=0.0") == 0 ||
		    strcmp(p + 1, "q=0.00") == 0 || strcmp(p + 1, "q=0.000") == 0)
			return 0;
	}
	return 1;
}

/* Accept without version= means the latest, 2.1 (cti-taxii-server#137). */
int
taxii_accept_ok(const struct http_request *req)
{
	const char *a = http_header_get(req, "Accept"), *comma;

	if (a == NULL || *a == '\0')
		return 1;
	for (;;) {
		comma = strchr(a, ',');
		if (media_is_taxii(a, comma ? (size_t)(comma - a) : strlen(a), 1))
			return 1;
		if (comma == NULL)
			return 0;
		a = comma + 1;
	}
}

int
taxii_content_type_ok(const struct http_request *req)
{
	const char *ct = http_header_get(req, "Content-Type");

	return ct != NULL && strchr(ct, ',') == NULL && media_is_taxii(ct, strlen(ct), 0);
}
