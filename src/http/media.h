/*
 * The media types of the TAXII 2.1 API and its content negotiation (§1.6.8).
 * Reads request headers only: never answers a request.
 */
#ifndef LSN_HTTP_MEDIA_H
#define LSN_HTTP_MEDIA_H

#include "http/server.h"

#define TAXII_MEDIA "application/taxii+json;version=2.1"
#define STIX_MEDIA "application/stix+json;version=2.1"

/* 1 if the Accept header allows TAXII 2.1 (absent: yes; no version=: the latest, 2.1). */
int taxii_accept_ok(const struct http_request *req);
/* 1 if the request's Content-Type is the TAXII 2.1 media type. */
int taxii_content_type_ok(const struct http_request *req);

#endif
