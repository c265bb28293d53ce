/*
 * What the store indexes (struct stix_meta: kind, version, version_key, TLP),
 * the strict JSON front door (duplicates, NUL, UTF-8, depth, exact length),
 * bundles as containers, and the name/id/timestamp/TLP helpers.
 */
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

#define UUID "8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
#define TLP1_WHITE "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"
#define TLP1_GREEN "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
#define TLP1_RED "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"
#define TLP2_AMBER "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
#define TLP2_AMBER_STRICT "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
#define STATEMENT "marking-definition--fa42a846-8d90-4e51-bc29-71d5b4802168"

static int
parse(const char *s, struct stix_meta *m, struct err *err)
{
	err_clear(err);
	return stix_parse_object(s, strlen(s), NULL, m, err);
}

static void
test_meta_sdo(void **state)
{
	static const char s[] = "{\"type\":\"identity\",\"spec_version\":\"2.1\","
	    "\"id\":\"identity--" UUID "\",\"created\":\"2016-08-08T15:50:10.983Z\","
	    "\"modified\":\"2016-08-08T15:50:10.983456Z\",\"name\":\"ACME\"}";
	struct err err;
	struct stix_meta m;

	assert_int_equal(parse(s, &m, &err), 0);
	assert_int_equal(m.kind, STIX_KIND_SDO);
	assert_int_equal(m.tlp, STIX_TLP_NONE);
	assert_string_equal(m.type, "identity");
	assert_string_equal(m.id, "identity--" UUID);
	assert_string_equal(m.spec_version, "2.1");
	assert_string_equal(m.version, "2016-08-08T15:50:10.983456Z");
	assert_string_equal(m.version_key, "2016-08-08T15:50:10.983456000Z");
}

/* Keys of different spellings of one instant are equal; order is by instant. */
static void
test_version_key_normalizes(void **state)
{
	static const char a[] = "{\"type\":\"tool\",\"spec_version\":\"2.1\",\"id\":\"tool--" UUID
	    "\",\"created\":\"2016-01-01T00:00:00.000Z\",\"modified\":\"2016-04-06T20:03:48.100Z\","
	    "\"name\":\"x\"}";
	static const char b[] = "{\"type\":\"tool\",\"spec_version\":\"2.1\",\"id\":\"tool--" UUID
	    "\",\"created\":\"2016-01-01T00:00:00.000Z\",\"modified\":\"2016-04-06T20:03:48.1000Z\","
	    "\"name\":\"x\"}";
	static const char c[] = "{\"type\":\"tool\",\"spec_version\":\"2.1\",\"id\":\"tool--" UUID
	    "\",\"created\":\"2016-01-01T00:00:00.000Z\",\"modified\":\"2016-04-06T20:03:48.0999Z\","
	    "\"name\":\"x\"}";
	struct err err;
	struct stix_meta ma, mb, mc;

	assert_int_equal(parse(a, &ma, &err), 0);
	assert_int_equal(parse(b, &mb, &err), 0);
	assert_int_equal(parse(c, &mc, &err), 0);
	assert_string_not_equal(ma.version, mb.version);
	assert_string_equal(ma.version_key, mb.version_key);
	assert_true(strcmp(mc.version_key, ma.version_key) < 0);
}

static void
test_meta_kinds(void **state)
{
	static const struct {
		const char *json;
		enum stix_kind kind;
		const char *version;
	} cases[] = {
		{ "{\"type\":\"relationship\",\"spec_version\":\"2.1\",\"id\":\"relationship--" UUID
		  "\",\"created\":\"2016-04-06T20:03:48.000Z\",\"modified\":\"2017-04-06T20:03:48.000Z\","
		  "\"relationship_type\":\"uses\",\"source_ref\":\"malware--" UUID "\","
		  "\"target_ref\":\"tool--" UUID "\"}", STIX_KIND_SRO, "2017-04-06T20:03:48.000Z" },
		/* A marking-definition cannot be versioned: its version is created. */
		{ "{\"type\":\"marking-definition\",\"spec_version\":\"2.1\",\"id\":\"" STATEMENT "\","
		  "\"created\":\"2017-06-01T00:00:00Z\",\"definition_type\":\"statement\","
		  "\"definition\":{\"statement\":\"Copyright\"}}", STIX_KIND_META,
		  "2017-06-01T00:00:00Z" },
		/* SCOs have neither created nor modified, and spec_version may be absent. */
		{ "{\"type\":\"ipv4-addr\",\"id\":\"ipv4-addr--" UUID "\",\"value\":\"10.0.0.1\"}",
		  STIX_KIND_SCO, "" },
		{ "{\"type\":\"x-mitre-tactic\",\"spec_version\":\"2.1\",\"id\":\"x-mitre-tactic--" UUID
		  "\",\"created\":\"2018-10-17T00:14:20.652Z\",\"modified\":\"2019-07-19T17:42:06.909Z\","
		  "\"x_mitre_shortname\":\"collection\"}", STIX_KIND_CUSTOM, "2019-07-19T17:42:06.909Z" },
		/* A custom object declared new-sco: SCO rules, and "created" is just a property. */
		{ "{\"type\":\"x-acme-device\",\"id\":\"x-acme-device--" UUID "\","
		  "\"created\":\"2019-07-19T17:42:06.909Z\",\"extensions\":{\"extension-definition--"
		  UUID "\":{\"extension_type\":\"new-sco\"}}}", STIX_KIND_SCO, "" },
	};
	struct err err;
	struct stix_meta m;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (parse(cases[i].json, &m, &err) != 0)
			fail_msg("case %zu: %s", i, err.msg);
		assert_int_equal(m.kind, cases[i].kind);
		assert_string_equal(m.spec_version, "2.1");
		assert_string_equal(m.version, cases[i].version);
		assert_int_equal(m.version_key[0] == '\0', cases[i].version[0] == '\0');
	}
}

static void
test_meta_tlp(void **state)
{
	static const struct {
		const char *refs;
		enum stix_tlp tlp;
	} cases[] = {
		{ "\"" STATEMENT "\"", STIX_TLP_NONE },
		{ "\"" TLP1_WHITE "\"", STIX_TLP_CLEAR },
		{ "\"" TLP1_GREEN "\",\"" TLP2_AMBER "\",\"" STATEMENT "\"", STIX_TLP_AMBER },
		{ "\"" TLP2_AMBER_STRICT "\",\"" TLP1_GREEN "\"", STIX_TLP_AMBER_STRICT },
		{ "\"" TLP2_AMBER_STRICT "\",\"" TLP1_RED "\"", STIX_TLP_RED },
	};
	char json[1024];
	struct err err;
	struct stix_meta m;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(json, sizeof(json), "{\"type\":\"indicator\",\"spec_version\":\"2.1\","
		    "\"id\":\"indicator--" UUID "\",\"created\":\"2016-04-06T20:03:48.000Z\","
		    "\"modified\":\"2016-04-06T20:03:48.000Z\",\"pattern\":\"[a:b = 1]\","
		    "\"pattern_type\":\"stix\",\"valid_from\":\"2016-04-06T20:03:48Z\","
		    "\"object_marking_refs\":[%s]}", cases[i].refs);
		assert_int_equal(parse(json, &m, &err), 0);
		assert_int_equal(m.tlp, cases[i].tlp);
	}
}

/* Out-parameters are written only on success. */
static void
test_meta_untouched_on_error(void **state)
{
	static const char s[] = "{\"type\":\"identity\",\"spec_version\":\"2.1\","
	    "\"id\":\"identity--" UUID "\",\"created\":\"2016-08-08T15:50:10.983Z\"}";
	struct stix_meta m, before;
	struct err err;
	json_t *o = (json_t *)&m;

	memset(&m, 0xa5, sizeof(m));
	memcpy(&before, &m, sizeof(m));
	err_clear(&err);
	assert_int_equal(stix_parse_object(s, strlen(s), &o, &m, &err), -LSN_EINVAL);
	assert_memory_equal(&m, &before, sizeof(m));
	assert_ptr_equal(o, (json_t *)&m);
	assert_int_equal(err.code, LSN_EINVAL);
}

static void
test_parse_errors(void **state)
{
	static const struct {
		const char *json;
		const char *want;
	} cases[] = {
		{ "{\"type\":\"tool\",\"name\":\"a\",\"name\":\"b\"}", "duplicate key 'name'" },
		{ "{\"type\":\"tool\",\"name\":\"a\\u0000b\"}", "invalid JSON" },
		{ "{\"type\":\"tool\",\"name\":\"\xff\"}", "invalid JSON" },
		{ "[{\"type\":\"tool\"}]", "must be an object, not an array" },
		{ "{\"type\":\"tool\"} {}", "invalid JSON" },
		{ "", "invalid JSON" },
		{ "\"tool\"", "invalid JSON" },
		{ "{\"type\":\"tool\",\"x_n\":123456789012345678901234567890}", "invalid JSON" },
	};
	struct err err;
	struct stix_meta m;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse(cases[i].json, &m, &err), -LSN_EINVAL);
		if (strstr(err.msg, cases[i].want) == NULL)
			fail_msg("case %zu: want \"%s\", got: %s", i, cases[i].want, err.msg);
	}
}

/* Exactly len bytes are read: what follows is not looked at. */
static void
test_parse_exact_length(void **state)
{
	static const char s[] = "{\"type\":\"ipv4-addr\",\"id\":\"ipv4-addr--" UUID "\","
	    "\"value\":\"10.0.0.1\"}GARBAGE";
	struct err err = ERR_INIT;
	struct stix_meta m;
	json_t *o = NULL;

	assert_int_equal(stix_parse_object(s, strlen(s) - 7, &o, &m, &err), 0);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "value")), "10.0.0.1");
	json_decref(o);
	assert_int_equal(stix_parse_object(s, strlen(s), NULL, &m, &err), -LSN_EINVAL);
}

/* An SCO whose custom property nests `levels` containers in total. */
static char *
nested(int levels)
{
	static const char head[] = "{\"type\":\"ipv4-addr\",\"id\":\"ipv4-addr--" UUID "\","
	    "\"value\":\"10.0.0.1\",\"x_deep\":";
	size_t n = strlen(head) + 2 * (size_t)levels + 8, i;
	char *s = malloc(n), *p;

	assert_non_null(s);
	p = s + sprintf(s, "%s", head);
	for (i = 1; i < (size_t)levels; i++)
		*p++ = '[';
	*p++ = '1';
	for (i = 1; i < (size_t)levels; i++)
		*p++ = ']';
	*p++ = '}';
	*p = '\0';
	return s;
}

static void
test_depth_limit(void **state)
{
	struct err err = ERR_INIT;
	struct stix_meta m;
	char *ok = nested(STIX_OBJECT_MAX_DEPTH), *deep = nested(STIX_OBJECT_MAX_DEPTH + 1);
	char *huge = nested(5000);

	assert_int_equal(stix_parse_object(ok, strlen(ok), NULL, &m, &err), 0);
	assert_int_equal(stix_parse_object(deep, strlen(deep), NULL, &m, &err), -LSN_EINVAL);
	assert_non_null(strstr(err.msg, "deeper than 64"));
	assert_int_equal(stix_parse_object(huge, strlen(huge), NULL, &m, &err), -LSN_EINVAL);
	free(ok);
	free(deep);
	free(huge);
}

static void
test_bundles(void **state)
{
	static const struct {
		const char *json;
		const char *want;  /* NULL: valid */
	} cases[] = {
		{ "{\"type\":\"bundle\",\"id\":\"bundle--" UUID "\",\"objects\":[{\"type\":\"url\","
		  "\"id\":\"url--" UUID "\",\"value\":\"https://x\"}]}", NULL },
		{ "{\"type\":\"bundle\",\"id\":\"bundle--" UUID "\"}", NULL },
		{ "{\"type\":\"bundle\",\"id\":\"bundle--" UUID "\",\"objects\":[{\"type\":\"url\","
		  "\"id\":\"url--" UUID "\",\"value\":\"https://x\"},{\"type\":\"url\",\"id\":\"url--"
		  UUID "\"}]}", "object 1 (url--" UUID "): property 'value' is required" },
		{ "{\"type\":\"bundle\",\"id\":\"bundle--" UUID "\",\"objects\":[5]}",
		  "object 0 (no id): a STIX object must be a JSON object" },
		{ "{\"type\":\"bundle\",\"id\":\"bundle--" UUID "\",\"spec_version\":\"2.0\","
		  "\"objects\":[]}", "property 'spec_version' is not part of a STIX 2.1 bundle" },
		{ "{\"type\":\"bundle\",\"id\":\"bundle--" UUID "\",\"objects\":[]}",
		  "property 'objects'" },
		{ "{\"type\":\"bundle\",\"id\":\"report--" UUID "\",\"objects\":[]}", "property 'id'" },
		{ "{\"type\":\"bundles\",\"id\":\"bundle--" UUID "\"}", "property 'type'" },
		{ "{\"type\":\"bundle\",\"id\":\"bundle--" UUID "\",\"objects\":[{\"type\":\"bundle\","
		  "\"id\":\"bundle--" UUID "\"}]}", "a bundle is not a STIX object" },
	};
	struct err err;
	json_t *b;
	size_t i;
	int r;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err_clear(&err);
		b = NULL;
		r = stix_parse_bundle(cases[i].json, strlen(cases[i].json), &b, &err);
		if (cases[i].want == NULL) {
			if (r != 0)
				fail_msg("case %zu: %s", i, err.msg);
			assert_non_null(b);
			json_decref(b);
		} else if (r != -LSN_EINVAL || strstr(err.msg, cases[i].want) == NULL) {
			fail_msg("case %zu: want \"%s\", got: %s", i, cases[i].want, err.msg);
		}
	}
	/* A bundle is not an object. */
	assert_int_equal(parse(cases[0].json, NULL, &err), -LSN_EINVAL);
	assert_non_null(strstr(err.msg, "bundle"));
}

static void
test_ids_and_names(void **state)
{
	static const char *const good[] = {
		"indicator--" UUID, "x-mitre-tactic--" UUID,
		"file--8E2E2D2B-17D4-5CBF-A38F-98EE46B3CD3F",       /* v5, upper case */
		"abc--00000000-0000-1000-8000-000000000000",
	};
	static const char *const bad[] = {
		"", "indicator", "indicator--", "indicator-" UUID, "in--" UUID "0",
		"IN--" UUID, "ab--" UUID, "x_y--" UUID, "x--y--" UUID, "x-y---" UUID,
		"tool--8e2e2d2b-17d4-4cbf-738f-98ee46b3cd3f",        /* NCS variant */
		"tool--8e2e2d2b-17d4-6cbf-938f-98ee46b3cd3f",        /* version 6 */
		"tool--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3g",
		"tool--8e2e2d2b_17d4-4cbf-938f-98ee46b3cd3f",
	};
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (!stix_id_valid(good[i]))
			fail_msg("rejected id %s", good[i]);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (stix_id_valid(bad[i]))
			fail_msg("accepted id %s", bad[i]);
	}
	assert_false(stix_id_valid(NULL));
	assert_int_equal(stix_id_type_len("indicator--" UUID), 9);
	assert_true(stix_type_valid("x-mitre-tactic", 14));
	assert_true(stix_type_valid("x509-certificate", 16));
	assert_false(stix_type_valid("x-", 2));
	assert_false(stix_type_valid("9ab", 3));
	assert_true(stix_property_name_valid("x_mitre_platforms", 17));
	assert_true(stix_property_name_valid("_ab", 3));
	assert_false(stix_property_name_valid("0ab", 3));
	assert_false(stix_property_name_valid("ab", 2));
	assert_false(stix_property_name_valid("aB_", 3));
	assert_true(stix_uuid_valid(UUID, 36));
	assert_false(stix_uuid_valid(UUID, 35));
}

static void
test_timestamps(void **state)
{
	struct err err = ERR_INIT;
	struct ts t;

	assert_int_equal(stix_parse_timestamp("2016-05-12T08:17:27.000Z", &t, &err), 0);
	assert_int_equal(t.sec, 1463041047);
	assert_int_equal(t.digits, 3);
	assert_int_equal(stix_parse_timestamp("2016-02-29T00:00:00Z", &t, &err), 0);
	assert_int_equal(stix_parse_timestamp("2015-02-29T00:00:00Z", &t, &err), -LSN_EINVAL);
	assert_non_null(strstr(err.msg, "not a real date"));
	assert_int_equal(stix_parse_timestamp("2016-05-12T08:17:27.1234567890Z", &t, &err),
	    -LSN_EINVAL);
	assert_int_equal(stix_parse_timestamp("2016-05-12t08:17:27Z", &t, &err), -LSN_EINVAL);
	assert_int_equal(stix_parse_timestamp(NULL, &t, &err), -LSN_EINVAL);
}

/* Messages quote input cut to a few dozen bytes; they must stay valid UTF-8. */
static void
test_messages_are_utf8(void **state)
{
	char json[512], type[200], bad[] = "ab\xc3\xa9\xff\xe2\x82x\xed\xa0\x80\xf4\x90\x80\x80z";
	struct err err;
	json_t *s;
	size_t i;

	/* 'a' then 'é' x 90: the 64-byte cut falls inside a two-byte sequence. */
	type[0] = 'a';
	for (i = 0; i < 90; i++)
		memcpy(type + 1 + 2 * i, "\xc3\xa9", 2);
	type[181] = '\0';
	snprintf(json, sizeof(json), "{\"type\":\"%s\",\"id\":\"x\"}", type);
	assert_int_equal(parse(json, NULL, &err), -LSN_EINVAL);
	assert_non_null(strstr(err.msg, "property 'type'"));
	s = json_string(err.msg);
	assert_non_null(s);
	json_decref(s);

	stix_utf8_scrub(bad);
	assert_string_equal(bad, "ab\xc3\xa9???x???????z");
}

static void
test_tlp_helpers(void **state)
{
	enum stix_tlp t = STIX_TLP_NONE;

	assert_string_equal(stix_tlp_name(STIX_TLP_NONE), "none");
	assert_string_equal(stix_tlp_name(STIX_TLP_CLEAR), "TLP:CLEAR");
	assert_string_equal(stix_tlp_name(STIX_TLP_GREEN), "TLP:GREEN");
	assert_string_equal(stix_tlp_name(STIX_TLP_AMBER), "TLP:AMBER");
	assert_string_equal(stix_tlp_name(STIX_TLP_AMBER_STRICT), "TLP:AMBER+STRICT");
	assert_string_equal(stix_tlp_name(STIX_TLP_RED), "TLP:RED");
	assert_string_equal(stix_tlp_name((enum stix_tlp)42), "unknown");
	assert_int_equal(stix_tlp_from_name("TLP:AMBER+STRICT", &t), 0);
	assert_int_equal(t, STIX_TLP_AMBER_STRICT);
	assert_int_equal(stix_tlp_from_name("white", &t), 0);
	assert_int_equal(t, STIX_TLP_CLEAR);
	assert_int_equal(stix_tlp_from_name("Red", &t), 0);
	assert_int_equal(t, STIX_TLP_RED);
	assert_int_equal(stix_tlp_from_name("purple", &t), -LSN_EINVAL);
	assert_int_equal(stix_tlp_of_marking(TLP1_WHITE), STIX_TLP_CLEAR);
	assert_int_equal(stix_tlp_of_marking(TLP1_RED), STIX_TLP_RED);
	assert_int_equal(stix_tlp_of_marking(TLP2_AMBER), STIX_TLP_AMBER);
	assert_int_equal(stix_tlp_of_marking(STATEMENT), STIX_TLP_NONE);
	assert_int_equal(stix_tlp_of_marking("identity--" UUID), STIX_TLP_NONE);
	assert_int_equal(stix_tlp_of_marking(NULL), STIX_TLP_NONE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_meta_sdo),
		cmocka_unit_test(test_version_key_normalizes),
		cmocka_unit_test(test_meta_kinds),
		cmocka_unit_test(test_meta_tlp),
		cmocka_unit_test(test_meta_untouched_on_error),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_exact_length),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_bundles),
		cmocka_unit_test(test_ids_and_names),
		cmocka_unit_test(test_timestamps),
		cmocka_unit_test(test_messages_are_utf8),
		cmocka_unit_test(test_tlp_helpers),
	};

	return cmocka_run_group_tests_name("stix_meta", tests, NULL, NULL);
}
