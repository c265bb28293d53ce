/*
 * Small JSON files of the shared data folder, read as bytes and parsed the
 * way the node parses input: the OASIS validator's v21 test vectors (every
 * file of the folder must be listed here with its expected result), the
 * OASIS 2.1 examples and threat reports, and the TLP 2.0 marking bundle.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "stix/stix.h"
#include "util/err.h"

#define VECTORS "stix-validator-tests/v21"

static char *
read_file(const char *rel, size_t *ret_len)
{
	char path[1024];
	size_t cap = 1 << 16, len = 0, n;
	char *buf = malloc(cap);
	FILE *f;

	assert_non_null(buf);
	snprintf(path, sizeof(path), "%s/%s", LIAISON_DATA_DIR, rel);
	f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open %s", path);
	while ((n = fread(buf + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
	}
	fclose(f);
	*ret_len = len;
	return buf;
}

struct vector {
	const char *file;
	int bundle;
	const char *want1;    /* NULL: valid */
	const char *want2;
};

/* Expected results from stix-validator-cases.md (tool.json: custom properties are fine). */
static const struct vector vectors[] = {
	{ "identity.json", 0, NULL, NULL },
	{ "identity_unicode.json", 0, NULL, NULL },
	{ "identity_warning.json", 0, NULL, NULL },
	{ "identity_custom.json", 1, NULL, NULL },
	{ "tlp-amber.json", 1, NULL, NULL },
	{ "tool.json", 0, NULL, NULL },
	{ "invalid_braces.json", 0, "invalid JSON at line 1, column 1", "'<'" },
	{ "invalid_comma.json", 0, "invalid JSON at line 9", "'}'" },
	{ "invalid_identity.json", 0, "property 'modified'", "required" },
	{ "invalid_timestamp.json", 0, "property 'modified'", "earlier than 'created'" },
};

static const struct vector *
find_vector(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		if (strcmp(vectors[i].file, name) == 0)
			return &vectors[i];
	}
	return NULL;
}

static int
parse_any(const char *bytes, size_t len, int bundle, struct stix_meta *m, struct err *err)
{
	json_t *v = NULL;
	int r;

	if (bundle)
		r = stix_parse_bundle(bytes, len, &v, err);
	else
		r = stix_parse_object(bytes, len, &v, m, err);
	json_decref(v);
	return r;
}

static void
test_validator_vectors(void **state)
{
	char rel[512];
	struct err err;
	struct stix_meta m;
	struct dirent *de;
	const struct vector *vec;
	size_t len, seen = 0;
	char *bytes;
	DIR *d;
	int r;

	snprintf(rel, sizeof(rel), "%s/%s", LIAISON_DATA_DIR, VECTORS);
	d = opendir(rel);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (strstr(de->d_name, ".json") == NULL)
			continue;
		vec = find_vector(de->d_name);
		if (vec == NULL)
			fail_msg("%s: no expected result listed for this file", de->d_name);
		snprintf(rel, sizeof(rel), "%s/%s", VECTORS, de->d_name);
		bytes = read_file(rel, &len);
		err_clear(&err);
		r = parse_any(bytes, len, vec->bundle, &m, &err);
		free(bytes);
		if (vec->want1 == NULL && r != 0)
			fail_msg("%s: rejected: %s", vec->file, err.msg);
		if (vec->want1 != NULL && (r != -LSN_EINVAL || strstr(err.msg, vec->want1) == NULL ||
		    strstr(err.msg, vec->want2) == NULL))
			fail_msg("%s: want \"%s\" and \"%s\", got %d: %s", vec->file, vec->want1,
			    vec->want2, r, err.msg);
		seen++;
	}
	closedir(d);
	assert_int_equal(seen, sizeof(vectors) / sizeof(vectors[0]));
}

struct example {
	const char *file;
	size_t objects;            /* 0: a single object, not a bundle */
	const char *type;          /* one type to count */
	size_t of_type;
};

/* Counts from the data README. */
static const struct example examples[] = {
	{ "stix2.1-examples/indicator-for-c2-ip-address.json", 1, "indicator", 1 },
	{ "stix2.1-examples/indicator-to-campaign-relationship.json", 3, "relationship", 1 },
	{ "stix2.1-examples/indicators-for-C2-with-COA.json", 8, "relationship", 3 },
	{ "stix2.1-examples/infrastructure.json", 10, "infrastructure", 2 },
	{ "stix2.1-examples/interop-objectmarking-test.json", 0, "campaign", 1 },
	{ "stix2.1-examples/malicious-email-indicator-with-attachment.json", 6, "indicator", 2 },
	{ "stix2.1-examples/threat-reports/apt1.json", 76, "relationship", 30 },
	{ "stix2.1-examples/threat-reports/poisonivy.json", 155, "malware", 25 },
	{ "tlp-2.0/tlp-2.0-markings.json", 5, "marking-definition", 5 },
};

static void
check_example(const struct example *ex)
{
	struct err err = ERR_INIT;
	struct stix_meta m;
	const json_t *objs;
	json_t *b = NULL;
	size_t i, len, n = 0;
	char *bytes = read_file(ex->file, &len);

	if (ex->objects == 0) {
		if (stix_parse_object(bytes, len, NULL, &m, &err) != 0)
			fail_msg("%s: %s", ex->file, err.msg);
		assert_string_equal(m.type, ex->type);
		free(bytes);
		return;
	}
	if (stix_parse_bundle(bytes, len, &b, &err) != 0)
		fail_msg("%s: %s", ex->file, err.msg);
	free(bytes);
	objs = json_object_get(b, "objects");
	assert_int_equal(json_array_size(objs), ex->objects);
	for (i = 0; i < json_array_size(objs); i++) {
		assert_int_equal(stix_validate_object(json_array_get(objs, i), &m, &err), 0);
		n += strcmp(m.type, ex->type) == 0;
	}
	assert_int_equal(n, ex->of_type);
	json_decref(b);
}

static void
test_examples(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(examples) / sizeof(examples[0]); i++)
		check_example(&examples[i]);
}

/* The five TLP 2.0 markings define, in order, CLEAR..RED; their ids map back. */
static void
test_tlp20_bundle(void **state)
{
	static const enum stix_tlp want[] = {
		STIX_TLP_CLEAR, STIX_TLP_GREEN, STIX_TLP_AMBER, STIX_TLP_AMBER_STRICT, STIX_TLP_RED,
	};
	struct err err = ERR_INIT;
	enum stix_tlp t;
	const json_t *objs, *o;
	json_t *b;
	size_t i, len;
	char *bytes = read_file("tlp-2.0/tlp-2.0-markings.json", &len);

	assert_int_equal(stix_parse_bundle(bytes, len, &b, &err), 0);
	free(bytes);
	objs = json_object_get(b, "objects");
	for (i = 0; i < 5; i++) {
		o = json_array_get(objs, i);
		assert_int_equal(stix_marking_tlp(o, &t, &err), 0);
		assert_int_equal(t, want[i]);
		assert_int_equal(stix_tlp_of_marking(json_string_value(json_object_get(o, "id"))),
		    want[i]);
	}
	json_decref(b);
}

/* The upstream TLP example carries a malformed timestamp a validator must reject. */
static void
test_tlp_readme_bad_timestamp(void **state)
{
	static const char rel[] = "{\"type\":\"relationship\",\"spec_version\":\"2.1\","
	    "\"id\":\"relationship--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f\","
	    "\"created\":\"2022-101-27T13:49:54.326Z\",\"modified\":\"2022-10-27T13:49:54.326Z\","
	    "\"relationship_type\":\"uses\","
	    "\"source_ref\":\"malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f\","
	    "\"target_ref\":\"tool--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f\"}";
	struct err err = ERR_INIT;

	assert_int_equal(stix_parse_object(rel, strlen(rel), NULL, NULL, &err), -LSN_EINVAL);
	assert_non_null(strstr(err.msg, "property 'created'"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validator_vectors),
		cmocka_unit_test(test_examples),
		cmocka_unit_test(test_tlp20_bundle),
		cmocka_unit_test(test_tlp_readme_bad_timestamp),
	};

	return cmocka_run_group_tests_name("stix_files", tests, NULL, NULL);
}
