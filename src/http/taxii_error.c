/*
 * TAXII error resources (§3.6.1) and replies, for every file of http/ that
 * answers a local user. Formats answers only: never decides a status.
 */
#include "http/taxii_int.h"
#include "util/err.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

void
evb_json_str(struct evbuffer *b, const char *s)
{
	struct buf tmp = BUF_INIT(1 << 20);

	if (buf_add_json_str(&tmp, s, strlen(s)) == 0)
		evbuffer_add(b, tmp.data, tmp.len);
	else
		evbuffer_add(b, "\"\"", 2);
	buf_release(&tmp);
}

void
taxii_reply(struct ctx *c, int status, struct evbuffer *body)
{
	http_reply(c->req, status, body ? TAXII_MEDIA : NULL, body);
}

void
taxii_error_v(struct ctx *c, const char *media, int status, const char *title, const char *fmt,
    va_list ap)
{
	struct evbuffer *b = evbuffer_new();
	char desc[ERR_MSG_MAX + 128];

	vsnprintf(desc, sizeof(desc), fmt, ap);
	if (status >= 500)
		c->t->m.errors_5xx++;
	else
		c->t->m.errors_4xx++;
	if (status == 503)
		http_add_header(c->req, "Retry-After", "1");
	if (status == 401)
		http_add_header(c->req, "WWW-Authenticate", "Basic realm=\"liaison\", Bearer realm=\"liaison\"");
	evbuffer_add_printf(b, "{\"title\":");
	evb_json_str(b, title);
	evbuffer_add_printf(b, ",\"description\":");
	evb_json_str(b, desc);
	evbuffer_add_printf(b, ",\"http_status\":\"%d\"}", status);
	http_reply(c->req, status, media, b);
	evbuffer_free(b);
}

void
taxii_error(struct ctx *c, int status, const char *title, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	taxii_error_v(c, TAXII_MEDIA, status, title, fmt, ap);
	va_end(ap);
}

void
taxii_api_error(struct ctx *c, int status, const char *title, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	taxii_error_v(c, "application/json", status, title, fmt, ap);
	va_end(ap);
}

void
taxii_api_json(struct ctx *c, int status, json_t *doc)
{
	char *s = doc ? json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

	json_decref(doc);
	if (s == NULL) {
		taxii_api_error(c, 503, "Out of memory", "The server is out of memory; try again.");
		return;
	}
	http_reply_bytes(c->req, status, "application/json", s, strlen(s));
	free(s);
}

json_t *
taxii_api_verdict(const char *colour, const char *rule)
{
	return json_pack("{s:s,s:s}", "status", colour, "rule", rule);
}

const struct store_partner *
taxii_partner_visible(const struct ctx *c, const struct store_partner *ps, size_t n,
    int64_t rowid)
{
	size_t i;
	int rd, wr;

	for (i = 0; i < n; i++) {
		if (ps[i].rowid != rowid)
			continue;
		taxii_rights(c, ps[i].inbox, &rd, &wr);
		return rd ? &ps[i] : NULL;
	}
	return NULL;
}
