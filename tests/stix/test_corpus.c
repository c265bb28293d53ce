/*
 * Real STIX 2.1 corpora from the shared data folder (README.md there gives
 * the expected counts): every object of every 2.1 bundle validates, counted
 * by type; the STIX 2.0 ICS bundle is rejected object by object. Each bundle
 * is parsed once with jansson, then each object validated on the tree.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "stix/stix.h"
#include "util/err.h"

struct count {
	const char *type;
	size_t n;
};

struct corpus {
	const char *path;          /* under LIAISON_DATA_DIR */
	size_t total;
	struct count by_type[20];
};

static const struct corpus corpora[] = {
	{ "attack/enterprise-attack-18.1-rebuilt.json.xz", 24771, {
	    { "relationship", 20048 }, { "x-mitre-analytic", 1739 }, { "attack-pattern", 835 },
	    { "malware", 696 }, { "x-mitre-detection-strategy", 691 },
	    { "course-of-action", 268 }, { "intrusion-set", 187 },
	    { "x-mitre-data-component", 109 }, { "tool", 91 }, { "campaign", 52 },
	    { "x-mitre-data-source", 38 }, { "x-mitre-tactic", 14 }, { "x-mitre-matrix", 1 },
	    { "identity", 1 }, { "marking-definition", 1 } } },
	{ "attack/ics-attack-18.1.json.xz", 1826, {
	    { "relationship", 1373 }, { "attack-pattern", 95 },
	    { "x-mitre-detection-strategy", 83 }, { "x-mitre-analytic", 82 },
	    { "course-of-action", 52 }, { "x-mitre-data-component", 36 }, { "malware", 30 },
	    { "x-mitre-asset", 18 }, { "x-mitre-data-source", 17 }, { "intrusion-set", 16 },
	    { "x-mitre-tactic", 12 }, { "campaign", 8 }, { "x-mitre-collection", 1 },
	    { "x-mitre-matrix", 1 }, { "identity", 1 }, { "marking-definition", 1 } } },
	{ "attack/ics-attack-18.0.json.xz", 1826, {
	    { "relationship", 1373 }, { "attack-pattern", 95 },
	    { "x-mitre-detection-strategy", 83 }, { "x-mitre-analytic", 82 },
	    { "course-of-action", 52 }, { "x-mitre-data-component", 36 }, { "malware", 30 },
	    { "x-mitre-asset", 18 }, { "x-mitre-data-source", 17 }, { "intrusion-set", 16 },
	    { "x-mitre-tactic", 12 }, { "campaign", 8 }, { "x-mitre-collection", 1 },
	    { "x-mitre-matrix", 1 }, { "identity", 1 }, { "marking-definition", 1 } } },
	{ "attack/ics-attack-17.1.json.xz", 1651, {
	    { "relationship", 1367 }, { "attack-pattern", 95 }, { "course-of-action", 52 },
	    { "x-mitre-data-component", 36 }, { "malware", 30 }, { "x-mitre-data-source", 17 },
	    { "intrusion-set", 16 }, { "x-mitre-asset", 14 }, { "x-mitre-tactic", 12 },
	    { "campaign", 8 }, { "x-mitre-collection", 1 }, { "x-mitre-matrix", 1 },
	    { "identity", 1 }, { "marking-definition", 1 } } },
	{ "attack/mobile-attack-17.1.json.xz", 2148, {
	    { "relationship", 1766 }, { "attack-pattern", 188 }, { "malware", 117 },
	    { "x-mitre-data-component", 17 }, { "course-of-action", 15 },
	    { "intrusion-set", 15 }, { "x-mitre-tactic", 14 }, { "x-mitre-data-source", 6 },
	    { "campaign", 3 }, { "x-mitre-matrix", 2 }, { "tool", 2 },
	    { "x-mitre-collection", 1 }, { "identity", 1 }, { "marking-definition", 1 } } },
	{ "mitre-cti/stix-capec-2.1-rebuilt.json.xz", 2683, {
	    { "relationship", 1182 }, { "course-of-action", 884 }, { "attack-pattern", 615 },
	    { "identity", 1 }, { "marking-definition", 1 } } },
	{ "disarm/DISARM.json.xz", 698, {
	    { "attack-pattern", 391 }, { "relationship", 288 }, { "x-mitre-tactic", 16 },
	    { "identity", 1 }, { "marking-definition", 1 }, { "x-mitre-matrix", 1 } } },
};

static double
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* xz -dc into memory, then one json_loadb (json_loadf reads byte by byte). */
static json_t *
load_xz(const char *rel)
{
	char cmd[1024];
	size_t cap = 1 << 20, len = 0, n;
	char *buf = malloc(cap);
	json_error_t je;
	json_t *v;
	FILE *f;

	assert_non_null(buf);
	snprintf(cmd, sizeof(cmd), "xz -dc '%s/%s'", LIAISON_DATA_DIR, rel);
	f = popen(cmd, "r");
	assert_non_null(f);
	while ((n = fread(buf + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
	}
	assert_int_equal(pclose(f), 0);
	v = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	free(buf);
	if (v == NULL)
		fail_msg("%s: %s at line %d", rel, je.text, je.line);
	return v;
}

static void
tally(struct count *seen, size_t max, const char *type)
{
	size_t i;

	for (i = 0; i < max && seen[i].type != NULL; i++) {
		if (strcmp(seen[i].type, type) == 0) {
			seen[i].n++;
			return;
		}
	}
	assert_true(i < max);
	seen[i].type = type;
	seen[i].n = 1;
}

static size_t
seen_count(const struct count *seen, size_t max, const char *type)
{
	size_t i;

	for (i = 0; i < max && seen[i].type != NULL; i++) {
		if (strcmp(seen[i].type, type) == 0)
			return seen[i].n;
	}
	return 0;
}

/* The kind the validator must report for a type found in these corpora. */
static enum stix_kind
expected_kind(const char *type)
{
	if (strncmp(type, "x-", 2) == 0)
		return STIX_KIND_CUSTOM;
	if (strcmp(type, "relationship") == 0 || strcmp(type, "sighting") == 0)
		return STIX_KIND_SRO;
	if (strcmp(type, "marking-definition") == 0)
		return STIX_KIND_META;
	return STIX_KIND_SDO;
}

static void
check_corpus(const struct corpus *cp)
{
	struct count seen[32] = { { NULL, 0 } };
	struct err err = ERR_INIT;
	struct stix_meta m;
	const json_t *objs;
	json_t *b;
	size_t i, n, types = 0;
	double t0, t1, tl = now();

	b = load_xz(cp->path);
	objs = json_object_get(b, "objects");
	n = json_array_size(objs);
	t0 = now();
	for (i = 0; i < n; i++) {
		if (stix_validate_object(json_array_get(objs, i), &m, &err) != 0)
			fail_msg("%s: object %zu rejected: %s", cp->path, i, err.msg);
		tally(seen, 32, json_string_value(json_object_get(json_array_get(objs, i), "type")));
		assert_int_equal(m.kind, expected_kind(m.type));
		assert_true(m.version[0] != '\0' && m.version_key[0] != '\0');
		assert_string_equal(m.spec_version, "2.1");
	}
	t1 = now();
	print_message("%-45s %6zu objects: parsed in %.0f ms, validated in %.1f ms\n",
	    cp->path, n, (t0 - tl) * 1e3, (t1 - t0) * 1e3);
	assert_int_equal(stix_validate_bundle(b, &err), 0);
	assert_int_equal(n, cp->total);
	for (i = 0; i < 20 && cp->by_type[i].type != NULL; i++) {
		if (seen_count(seen, 32, cp->by_type[i].type) != cp->by_type[i].n)
			fail_msg("%s: %zu objects of type %s, expected %zu", cp->path,
			    seen_count(seen, 32, cp->by_type[i].type), cp->by_type[i].type,
			    cp->by_type[i].n);
		types++;
	}
	/* No type beyond those the README lists. */
	for (i = 0; i < 32 && seen[i].type != NULL; i++)
		;
	assert_int_equal(i, types);
	json_decref(b);
}

static void
test_enterprise(void **state)
{
	check_corpus(&corpora[0]);
}

static void
test_ics_mobile(void **state)
{
	size_t i;

	for (i = 1; i <= 4; i++)
		check_corpus(&corpora[i]);
}

static void
test_capec_disarm(void **state)
{
	check_corpus(&corpora[5]);
	check_corpus(&corpora[6]);
}

/*
 * mitre/cti's ICS bundle is STIX 2.0: no spec_version on its objects. Every
 * one of them must be refused with a message that says why.
 */
static void
test_stix20_rejected(void **state)
{
	struct err err = ERR_INIT;
	struct stix_meta m;
	const json_t *objs;
	json_t *b = load_xz("mitre-cti/ics-attack.json.xz");
	size_t i, n;

	objs = json_object_get(b, "objects");
	n = json_array_size(objs);
	assert_int_equal(n, 1825);
	for (i = 0; i < n; i++) {
		err_clear(&err);
		assert_int_equal(stix_validate_object(json_array_get(objs, i), &m, &err),
		    -LSN_EINVAL);
		if (strstr(err.msg, "'spec_version'") == NULL || strstr(err.msg, "STIX 2.0") == NULL)
			fail_msg("object %zu: unexpected message: %s", i, err.msg);
	}
	assert_int_equal(stix_validate_bundle(b, &err), -LSN_EINVAL);
	assert_non_null(strstr(err.msg, "'spec_version'"));
	json_decref(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_enterprise),
		cmocka_unit_test(test_ics_mobile),
		cmocka_unit_test(test_capec_disarm),
		cmocka_unit_test(test_stix20_rejected),
	};

	return cmocka_run_group_tests_name("stix_corpus", tests, NULL, NULL);
}
