/*
 * Border decisions: each rule with rows that pass and rows it refuses,
 * policy_scan against jansson's reading of real STIX data, policy_strip's
 * exact bytes, and a property test over random objects, markings and
 * agreements whose expected outcome is computed here, not by policy.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "policy/policy.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/jscan.h"

/* The fixed ids (tlp-2.0/README.md), written out again so the test is independent. */
static const struct { const char *id; enum stix_tlp tlp; } tlp_ids[] = {
	{ "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", STIX_TLP_CLEAR },
	{ "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", STIX_TLP_GREEN },
	{ "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", STIX_TLP_AMBER },
	{ "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", STIX_TLP_AMBER_STRICT },
	{ "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", STIX_TLP_RED },
	{ "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", STIX_TLP_CLEAR },
	{ "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", STIX_TLP_GREEN },
	{ "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", STIX_TLP_AMBER },
	{ "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", STIX_TLP_RED },
	/* a statement marking: no level */
	{ "marking-definition--fa42a846-8d90-4e51-bc29-71d5b4802168", STIX_TLP_NONE },
};
#define N_TLP_IDS (sizeof(tlp_ids) / sizeof(tlp_ids[0]))

#define ID_A "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
#define ID_M "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b"
#define ID_R "relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad"

static void
dir_set(struct agr_dir *d, const char *types, enum stix_tlp max, enum stix_tlp unmarked,
    int fwd)
{
	const char *p = types;
	size_t n;

	memset(d, 0, sizeof(*d));
	while (*p != '\0') {
		n = strcspn(p, ",");
		snprintf(d->types[d->n_types++], AGR_ITEM_MAX, "%.*s", (int)n, p);
		p += n + (p[n] == ',');
	}
	d->max_tlp = max;
	d->unmarked = unmarked;
	d->forwardable = fwd;
}

/* ---- per rule ---- */

struct deny_ids {
	const char *ids[4];
};

static int
ref_cb(void *arg, const char *id)
{
	const struct deny_ids *d = arg;
	size_t i;

	if (strcmp(id, "error--x") == 0)
		return -LSN_EIO;
	for (i = 0; i < 4 && d->ids[i] != NULL; i++) {
		if (strcmp(d->ids[i], id) == 0)
			return 0;
	}
	return 1;
}

struct row {
	const char *what;
	const char *type;
	enum stix_tlp tlp, gran;
	const char *types;            /* the direction's list */
	enum stix_tlp max, unmarked;
	int origin;                   /* 0: own; 1: from a forwardable partner; 2: not forwardable */
	enum stix_tlp origin_unmarked;
	const char *deny;             /* a ref the callback refuses */
	enum policy_rule want;
	const char *words;            /* in the reason */
};

#define N STIX_TLP_NONE
#define C STIX_TLP_CLEAR
#define G STIX_TLP_GREEN
#define A STIX_TLP_AMBER
#define S STIX_TLP_AMBER_STRICT
#define R STIX_TLP_RED

static const struct row rows[] = {
	/* tlp-red */
	{ "RED object", "indicator", R, N, "*", S, A, 0, N, NULL, POLICY_TLP_RED, "TLP:RED" },
	{ "RED granular", "indicator", C, R, "*", S, A, 0, N, NULL, POLICY_TLP_RED, "part marked TLP:RED" },
	{ "unmarked assumed RED", "indicator", N, N, "*", S, R, 0, N, NULL, POLICY_TLP_RED, "unmarked" },
	{ "AMBER+STRICT not RED", "indicator", S, N, "*", S, A, 0, N, NULL, POLICY_ALLOW, "may go" },
	/* granular */
	{ "granular above", "indicator", G, A, "*", G, A, 0, N, NULL, POLICY_GRANULAR, "stays home" },
	{ "granular at ceiling", "indicator", G, G, "*", G, A, 0, N, NULL, POLICY_ALLOW, NULL },
	{ "granular below", "indicator", G, C, "*", A, A, 0, N, NULL, POLICY_ALLOW, NULL },
	{ "granular strict > amber", "indicator", C, S, "*", A, A, 0, N, NULL, POLICY_GRANULAR, "TLP:AMBER+STRICT" },
	/* tlp-ceiling */
	{ "above", "indicator", S, N, "*", A, A, 0, N, NULL, POLICY_TLP_CEILING, "TLP:AMBER+STRICT, above TLP:AMBER" },
	{ "at", "indicator", A, N, "*", A, A, 0, N, NULL, POLICY_ALLOW, NULL },
	{ "below", "indicator", C, N, "*", G, A, 0, N, NULL, POLICY_ALLOW, NULL },
	{ "unmarked above", "indicator", N, N, "*", G, A, 0, N, NULL, POLICY_TLP_CEILING, "unmarked, taken as TLP:AMBER" },
	{ "unmarked below", "indicator", N, N, "*", G, C, 0, N, NULL, POLICY_ALLOW, NULL },
	/* type */
	{ "type listed", "malware", G, N, "indicator,malware", A, A, 0, N, NULL, POLICY_ALLOW, NULL },
	{ "type not listed", "tool", G, N, "indicator,malware", A, A, 0, N, NULL, POLICY_TYPE, "type tool" },
	{ "marking-definition not listed", "marking-definition", N, N, "indicator", A, C, 0, N, NULL, POLICY_TYPE, "marking-definition" },
	{ "empty list", "indicator", G, N, "", A, A, 0, N, NULL, POLICY_TYPE, NULL },
	{ "star", "x-custom-thing", G, N, "*", A, A, 0, N, NULL, POLICY_ALLOW, NULL },
	/* forward */
	{ "forward GREEN, forwardable", "indicator", G, N, "*", A, A, 1, N, NULL, POLICY_ALLOW, NULL },
	{ "forward CLEAR, forwardable", "indicator", C, N, "*", A, A, 1, N, NULL, POLICY_ALLOW, NULL },
	{ "forward AMBER", "indicator", A, N, "*", A, A, 1, N, NULL, POLICY_FORWARD, "only TLP:CLEAR and TLP:GREEN" },
	{ "forward GREEN, granular AMBER", "indicator", G, A, "*", A, A, 1, N, NULL, POLICY_FORWARD, NULL },
	{ "forward GREEN, not forwardable", "indicator", G, N, "*", A, A, 2, N, NULL, POLICY_FORWARD, "does not allow" },
	{ "forward unmarked, both assume GREEN", "indicator", N, N, "*", A, G, 1, G, NULL, POLICY_ALLOW, NULL },
	{ "forward unmarked, origin assumes AMBER", "indicator", N, N, "*", A, G, 1, A, NULL, POLICY_FORWARD, NULL },
	/* ref */
	{ "relationship, ends may go", "relationship", G, N, "*", A, A, 0, N, NULL, POLICY_ALLOW, NULL },
	{ "relationship, target may not", "relationship", G, N, "*", A, A, 0, N, ID_M, POLICY_REF, ID_M },
	{ "relationship, source may not", "relationship", G, N, "*", A, A, 0, N, ID_A, POLICY_REF, ID_A },
	/* order: RED before type, type before forward, ceiling before ref */
	{ "RED and wrong type", "tool", R, N, "indicator", A, A, 2, N, ID_A, POLICY_TLP_RED, NULL },
	{ "wrong type and forward", "tool", A, N, "indicator", A, A, 2, N, NULL, POLICY_TYPE, NULL },
	{ "ceiling and ref", "relationship", S, N, "*", A, A, 0, N, ID_A, POLICY_TLP_CEILING, NULL },
};

static void
row_obj(const struct row *r, struct policy_obj *o)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->type, sizeof(o->type), "%s", r->type);
	snprintf(o->id, sizeof(o->id), "%s--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", r->type);
	o->tlp = r->tlp;
	o->granular_tlp = r->gran;
	if (strcmp(r->type, "relationship") == 0) {
		snprintf(o->refs[0], sizeof(o->refs[0]), "%s", ID_A);
		snprintf(o->refs[1], sizeof(o->refs[1]), "%s", ID_M);
		o->n_refs = 2;
	}
}

static void
test_rules(void **state)
{
	struct agr_dir d, origin;
	struct policy_obj o;
	struct policy_decision dec;
	struct err err = ERR_INIT;
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		struct deny_ids deny = { { r->deny, NULL } };

		dir_set(&d, r->types, r->max, r->unmarked, 0);
		dir_set(&origin, "*", A, r->origin_unmarked == N ? C : r->origin_unmarked,
		    r->origin == 1);
		row_obj(r, &o);
		assert_int_equal(policy_egress(&d, r->origin ? &origin : NULL, &o, ref_cb, &deny,
		    &dec, &err), 0);
		if (dec.rule != r->want)
			fail_msg("%s: rule %s, want %s (%s)", r->what, policy_rule_name(dec.rule),
			    policy_rule_name(r->want), dec.reason);
		if (r->words != NULL && strstr(dec.reason, r->words) == NULL)
			fail_msg("%s: reason '%s' lacks '%s'", r->what, dec.reason, r->words);
		if (strstr(dec.reason, o.id) == NULL || dec.reason[strlen(dec.reason) - 1] != '.')
			fail_msg("%s: reason '%s' is not a sentence naming the object", r->what,
			    dec.reason);
		assert_int_equal(dec.strip, 0);
	}
}

static void
test_egress_misc(void **state)
{
	struct agr_dir d;
	struct policy_obj o;
	struct policy_decision dec;
	struct err err = ERR_INIT;
	struct deny_ids deny = { { NULL } };
	int r;

	dir_set(&d, "*", A, A, 0);
	memset(&o, 0, sizeof(o));
	strcpy(o.type, "relationship");
	strcpy(o.id, ID_R);
	strcpy(o.refs[0], "error--x");
	o.n_refs = 1;
	o.tlp = G;
	/* the callback's error stops the decision */
	r = policy_egress(&d, NULL, &o, ref_cb, &deny, &dec, &err);
	assert_int_equal(r, -LSN_EIO);
	/* without a callback, ends are not checked */
	assert_int_equal(policy_egress(&d, NULL, &o, NULL, NULL, &dec, &err), 0);
	assert_int_equal(dec.rule, POLICY_ALLOW);
	/* strip */
	o.n_refs = 0;
	o.strip_hits = 2;
	assert_int_equal(policy_egress(&d, NULL, &o, NULL, NULL, &dec, &err), 0);
	assert_int_equal(dec.rule, POLICY_ALLOW);
	assert_int_equal(dec.strip, 1);
	assert_int_equal(dec.tlp, G);
	o.tlp = R;
	assert_int_equal(policy_egress(&d, NULL, &o, NULL, NULL, &dec, &err), 0);
	assert_int_equal(dec.strip, 0);
	/* no agreement */
	assert_int_equal(policy_egress(NULL, NULL, &o, NULL, NULL, &dec, &err), 0);
	assert_int_equal(dec.rule, POLICY_NO_AGREEMENT);
	/* names */
	assert_string_equal(policy_rule_name(POLICY_ALLOW), "allow");
	assert_string_equal(policy_rule_name(POLICY_TLP_RED), "tlp-red");
	assert_string_equal(policy_rule_name(POLICY_TLP_CEILING), "tlp-ceiling");
	assert_string_equal(policy_rule_name(POLICY_GRANULAR), "granular");
	assert_string_equal(policy_rule_name(POLICY_TYPE), "type");
	assert_string_equal(policy_rule_name(POLICY_FORWARD), "forward");
	assert_string_equal(policy_rule_name(POLICY_REF), "ref");
	assert_string_equal(policy_rule_name(POLICY_NO_AGREEMENT), "no-agreement");
	assert_string_equal(policy_rule_name(POLICY_RULE_MAX), "unknown");
}

static void
test_ingress(void **state)
{
	static const struct {
		const char *type;
		enum stix_tlp tlp, gran, unmarked;
		const char *types;
		enum policy_rule want;
	} in[] = {
		{ "indicator", A, N, A, "*", POLICY_ALLOW },
		{ "indicator", S, N, A, "indicator", POLICY_ALLOW },   /* no ceiling on ingress */
		{ "indicator", R, N, A, "*", POLICY_TLP_RED },
		{ "indicator", G, R, A, "*", POLICY_TLP_RED },
		{ "indicator", N, N, R, "*", POLICY_TLP_RED },
		{ "tool", G, N, A, "indicator,malware", POLICY_TYPE },
		{ "malware", G, N, A, "indicator,malware", POLICY_ALLOW },
	};
	struct agr_dir d;
	struct policy_obj o;
	struct policy_decision dec;
	size_t i;

	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		dir_set(&d, in[i].types, A, in[i].unmarked, 0);
		memset(&o, 0, sizeof(o));
		strcpy(o.type, in[i].type);
		snprintf(o.id, sizeof(o.id), "%s--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", o.type);
		o.tlp = in[i].tlp;
		o.granular_tlp = in[i].gran;
		assert_int_equal(policy_ingress(&d, &o, &dec), 0);
		if (dec.rule != in[i].want)
			fail_msg("ingress row %zu: %s (%s)", i, policy_rule_name(dec.rule), dec.reason);
	}
	assert_int_equal(policy_ingress(NULL, &o, &dec), 0);
	assert_int_equal(dec.rule, POLICY_NO_AGREEMENT);
}

/* ---- policy_scan ---- */

static int
scan_s(const char *json, const struct agr_dir *d, struct policy_obj *o)
{
	struct err err = ERR_INIT;
	int r = policy_scan(json, strlen(json), d, o, &err);

	if (r < 0)
		print_message("scan: %s\n", err.msg);
	return r;
}

static void
test_scan_markings(void **state)
{
	char json[2048];
	struct policy_obj o;
	struct agr_dir d;
	size_t i, j;

	/* every id alone, as object marking and as granular marking */
	for (i = 0; i < N_TLP_IDS; i++) {
		snprintf(json, sizeof(json), "{\"type\":\"indicator\",\"id\":\"%s\","
		    "\"object_marking_refs\":[\"%s\"]}", ID_A, tlp_ids[i].id);
		assert_int_equal(scan_s(json, NULL, &o), 0);
		assert_int_equal(o.tlp, tlp_ids[i].tlp);
		assert_int_equal(o.granular_tlp, N);
		snprintf(json, sizeof(json), "{\"type\":\"indicator\",\"id\":\"%s\","
		    "\"granular_markings\":[{\"lang\":\"en\",\"selectors\":[\"name\"]},"
		    "{\"selectors\":[\"description\"],\"marking_ref\":\"%s\"}]}", ID_A, tlp_ids[i].id);
		assert_int_equal(scan_s(json, NULL, &o), 0);
		assert_int_equal(o.tlp, N);
		assert_int_equal(o.granular_tlp, tlp_ids[i].tlp);
	}
	/* the highest of several, in either order */
	for (i = 0; i < N_TLP_IDS; i++) {
		for (j = 0; j < N_TLP_IDS; j++) {
			snprintf(json, sizeof(json), "{ \"object_marking_refs\" : [ \"%s\" , \"%s\" ],"
			    " \"id\" : \"%s\", \"type\" : \"indicator\" }", tlp_ids[i].id,
			    tlp_ids[j].id, ID_A);
			assert_int_equal(scan_s(json, NULL, &o), 0);
			assert_int_equal(o.tlp, tlp_ids[i].tlp > tlp_ids[j].tlp ? tlp_ids[i].tlp :
			    tlp_ids[j].tlp);
		}
	}
	/* escapes are decoded: keys, the type and the marking id */
	snprintf(json, sizeof(json), "{\"\\u0074ype\":\"indic\\u0061tor\",\"id\":\"%s\","
	    "\"object_marking_refs\":[\"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c\\u0031\"],"
	    "\"x\\u005fsecret\":1}", ID_A);
	dir_set(&d, "*", A, A, 0);
	strcpy(d.strip[0], "x_*");
	d.n_strip = 1;
	assert_int_equal(scan_s(json, &d, &o), 0);
	assert_string_equal(o.type, "indicator");
	assert_int_equal(o.tlp, R);
	assert_int_equal(o.strip_hits, 1);
	/* refs: relationship, sighting; other types keep none */
	snprintf(json, sizeof(json), "{\"type\":\"relationship\",\"id\":\"%s\",\"source_ref\":\"%s\","
	    "\"target_ref\":\"%s\",\"relationship_type\":\"indicates\"}", ID_R, ID_A, ID_M);
	assert_int_equal(scan_s(json, NULL, &o), 0);
	assert_int_equal(o.n_refs, 2);
	assert_string_equal(o.refs[0], ID_A);
	assert_string_equal(o.refs[1], ID_M);
	snprintf(json, sizeof(json), "{\"type\":\"sighting\",\"id\":\"sighting--ee20065d-2555-424f-"
	    "ad9e-0f8428623c75\",\"sighting_of_ref\":\"%s\",\"where_sighted_refs\":[\"identity--"
	    "f431f809-377b-45e0-aa1c-6a4751cae5ff\"],\"observed_data_refs\":[]}", ID_A);
	assert_int_equal(scan_s(json, NULL, &o), 0);
	assert_int_equal(o.n_refs, 2);
	snprintf(json, sizeof(json), "{\"type\":\"x-thing\",\"id\":\"x-thing--ee20065d-2555-424f-"
	    "ad9e-0f8428623c75\",\"source_ref\":\"%s\"}", ID_A);
	assert_int_equal(scan_s(json, NULL, &o), 0);
	assert_int_equal(o.n_refs, 0);
	/* too many references: fail closed */
	{
		struct err err = ERR_INIT;
		char *p = json;

		p += sprintf(p, "{\"type\":\"sighting\",\"id\":\"sighting--ee20065d-2555-424f-"
		    "ad9e-0f8428623c75\",\"where_sighted_refs\":[");
		for (i = 0; i < POLICY_REFS_MAX + 1; i++)
			p += sprintf(p, "%s\"%s\"", i ? "," : "", ID_A);
		sprintf(p, "]}");
		assert_int_equal(policy_scan(json, strlen(json), NULL, &o, &err), -LSN_ETOOBIG);
	}
	/* not an object, no type, type twice, bad JSON */
	{
		static const char *bad[] = {
			"[]", "\"x\"", "{\"id\":\"" ID_A "\"}", "{\"type\":\"indicator\"}",
			"{\"type\":\"indicator\",\"type\":\"tool\",\"id\":\"" ID_A "\"}",
			"{\"type\":\"indicator\",\"id\":\"" ID_A "\",}",
			"{\"type\":\"indicator\",\"id\":\"" ID_A "\"} x",
			"{\"type\":1,\"id\":\"" ID_A "\"}",
			"{\"type\":\"indicator\",\"id\":\"" ID_A "\",\"object_marking_refs\":\"x\"}",
			"{\"type\":\"indicator\",\"id\":\"" ID_A "\",\"granular_markings\":[1]}",
		};
		struct err err = ERR_INIT;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			if (policy_scan(bad[i], strlen(bad[i]), NULL, &o, &err) >= 0)
				fail_msg("accepted %s", bad[i]);
		}
	}
}

/* What jansson reads of one object, compared with policy_scan. */
static enum stix_tlp
json_tlp(const json_t *list, const char *key)
{
	enum stix_tlp t = N, x;
	size_t i;
	json_t *v;

	json_array_foreach(list, i, v) {
		const char *id = json_string_value(key ? json_object_get(v, key) : v);

		x = id ? stix_tlp_of_marking(id) : N;
		t = x > t ? x : t;
	}
	return t;
}

struct corpus {
	size_t objects, marked, refs;
};

static int
check_object(void *arg, const char *s, const char *e)
{
	struct corpus *c = arg;
	struct policy_obj o;
	struct err err = ERR_INIT;
	json_error_t jerr;
	json_t *j = json_loadb(s, (size_t)(e - s), 0, &jerr);
	const char *type;

	assert_non_null(j);
	if (policy_scan(s, (size_t)(e - s), NULL, &o, &err) != 0)
		fail_msg("scan refused a real object: %s", err.msg);
	type = json_string_value(json_object_get(j, "type"));
	assert_string_equal(o.type, type);
	assert_string_equal(o.id, json_string_value(json_object_get(j, "id")));
	assert_int_equal(o.tlp, json_tlp(json_object_get(j, "object_marking_refs"), NULL));
	assert_int_equal(o.granular_tlp, json_tlp(json_object_get(j, "granular_markings"),
	    "marking_ref"));
	if (strcmp(type, "relationship") == 0) {
		assert_int_equal(o.n_refs, 2);
		assert_string_equal(o.refs[0], json_string_value(json_object_get(j, "source_ref")));
		assert_string_equal(o.refs[1], json_string_value(json_object_get(j, "target_ref")));
	} else if (strcmp(type, "sighting") != 0) {
		assert_int_equal(o.n_refs, 0);
	}
	c->objects++;
	c->marked += o.tlp != N;
	c->refs += o.n_refs;
	json_decref(j);
	return 0;
}

static void
scan_file(const char *path, int xz, struct corpus *c)
{
	char cmd[1024];
	struct buf b = BUF_INIT(256u << 20);
	struct err err = ERR_INIT;
	char chunk[65536];
	FILE *f;
	size_t n;

	snprintf(cmd, sizeof(cmd), "xz -dc '%s'", path);
	f = xz ? popen(cmd, "r") : fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot read %s", path);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		assert_int_equal(buf_add(&b, chunk, n), 0);
	if (xz)
		assert_int_equal(pclose(f), 0);
	else
		fclose(f);
	if (strstr(b.data, "\"objects\"") == NULL) {
		check_object(c, b.data, b.data + b.len);
	} else if (jscan_each(b.data, b.len, 0, "objects", path, check_object, c, &err) != 0) {
		fail_msg("%s: %s", path, err.msg);
	}
	buf_release(&b);
}

static void
test_scan_corpus(void **state)
{
	static const struct { const char *path; int xz; } files[] = {
		{ "tlp-2.0/tlp-2.0-markings.json", 0 },
		{ "stix2.1-examples/indicator-for-c2-ip-address.json", 0 },
		{ "stix2.1-examples/indicator-to-campaign-relationship.json", 0 },
		{ "stix2.1-examples/indicators-for-C2-with-COA.json", 0 },
		{ "stix2.1-examples/infrastructure.json", 0 },
		{ "stix2.1-examples/interop-objectmarking-test.json", 0 },
		{ "stix2.1-examples/malicious-email-indicator-with-attachment.json", 0 },
		{ "attack/ics-attack-18.1.json.xz", 1 },
	};
	struct corpus c = { 0, 0, 0 };
	char path[1024];
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", LIAISON_DATA_DIR, files[i].path);
		scan_file(path, files[i].xz, &c);
	}
	print_message("scanned %zu real objects (%zu TLP-marked, %zu refs)\n", c.objects,
	    c.marked, c.refs);
	assert_true(c.objects > 1000);
	assert_true(c.marked >= 1);
	assert_true(c.refs > 100);
}

/* ---- policy_strip ---- */

static void
strip_case(const char *in, const char *list, const char *want)
{
	struct agr_dir d;
	struct buf out = BUF_INIT(1 << 16);
	struct err err = ERR_INIT;
	struct policy_obj o;
	const char *p = list;
	size_t n;

	dir_set(&d, "*", A, A, 0);
	while (*p != '\0') {
		n = strcspn(p, ",");
		snprintf(d.strip[d.n_strip++], AGR_ITEM_MAX, "%.*s", (int)n, p);
		p += n + (p[n] == ',');
	}
	assert_int_equal(buf_adds(&out, "<"), 0);  /* appends, keeps what was there */
	if (policy_strip(in, strlen(in), &d, &out, &err) != 0)
		fail_msg("strip %s: %s", in, err.msg);
	assert_int_equal(out.data[0], '<');
	if (strcmp(out.data + 1, want) != 0)
		fail_msg("strip [%s] of\n%s\ngave\n%s\nwant\n%s", list, in, out.data + 1, want);
	assert_int_equal(jscan_validate(out.data + 1, out.len - 1, 0, &err), 0);
	/* the scan counted as many as were removed, and none remain */
	if (strstr(in, "\"type\"") != NULL && strstr(in, "\"id\"") != NULL) {
		assert_int_equal(policy_scan(out.data + 1, out.len - 1, &d, &o, &err), 0);
		assert_int_equal(o.strip_hits, 0);
	}
	buf_release(&out);
}

static void
test_strip(void **state)
{
	/* first, middle, last, several, none, all, spacing kept */
	strip_case("{\"x_a\":1,\"type\":\"t\",\"id\":\"i\"}", "x_*",
	    "{\"type\":\"t\",\"id\":\"i\"}");
	strip_case("{\"type\":\"t\",\"x_a\":1,\"id\":\"i\"}", "x_*",
	    "{\"type\":\"t\",\"id\":\"i\"}");
	strip_case("{\"type\":\"t\",\"id\":\"i\",\"x_a\":{\"n\":[1,2]}}", "x_*",
	    "{\"type\":\"t\",\"id\":\"i\"}");
	strip_case("{\n  \"x_a\": 1,\n  \"type\": \"t\",\n  \"contact_information\": \"a@b\",\n"
	    "  \"id\": \"i\",\n  \"x_b\": [ ]\n}\n", "x_*,contact_information",
	    "{\n  \"type\": \"t\",\n  \"id\": \"i\"\n}\n");
	strip_case(" { \"type\" : \"t\" ,\t\"id\":\"i\" } ", "x_*",
	    " { \"type\" : \"t\" ,\t\"id\":\"i\" } ");
	strip_case("{\"x_a\":1,\"x_b\":2}", "x_*", "{}");
	strip_case("{}", "x_*", "{}");
	strip_case("{ }", "x_*", "{ }");
	/* required ones never, even when a prefix names them */
	strip_case("{\"type\":\"t\",\"id\":\"i\",\"spec_version\":\"2.1\",\"created\":\"c\","
	    "\"modified\":\"m\",\"created_by_ref\":\"r\"}", "c*,s*,m*,i*,t*",
	    "{\"type\":\"t\",\"id\":\"i\",\"spec_version\":\"2.1\",\"created\":\"c\","
	    "\"modified\":\"m\"}");
	/* exact names: a prefix of a name is not the name */
	strip_case("{\"type\":\"t\",\"contact\":1,\"contact_information\":2}", "contact",
	    "{\"type\":\"t\",\"contact_information\":2}");
	/* an escaped custom key is still custom; string contents are left alone */
	strip_case("{\"type\":\"t\",\"x\\u005fsecret\":\"\\\"x_b\\\":1\",\"name\":\"x_c, \\\"}\"}",
	    "x_*", "{\"type\":\"t\",\"name\":\"x_c, \\\"}\"}");
	/* a very long custom key */
	{
		char in[1200], want[64];

		snprintf(in, sizeof(in), "{\"type\":\"t\",\"x_%0900d\":1}", 7);
		snprintf(want, sizeof(want), "{\"type\":\"t\"}");
		strip_case(in, "x_*", want);
	}
	/* not an object */
	{
		struct agr_dir d;
		struct buf out = BUF_INIT(1024);
		struct err err = ERR_INIT;

		dir_set(&d, "*", A, A, 0);
		assert_int_equal(policy_strip("[1]", 3, &d, &out, &err), -LSN_EINVAL);
		assert_int_equal(policy_strip("{\"a\":1", 6, &d, &out, &err), -LSN_EINVAL);
		assert_int_equal(out.len, 0);
		buf_release(&out);
	}
}

/* ---- the property test ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t
rnd(uint32_t n)
{
	/* xorshift64* */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 0x2545f4914f6cdd1dull) >> 32) % n;
}

static const char *const ptypes[] = { "indicator", "malware", "relationship", "sighting",
	"marking-definition", "identity", "x-custom" };
#define N_PTYPES (sizeof(ptypes) / sizeof(ptypes[0]))

static enum stix_tlp
maxt(enum stix_tlp a, enum stix_tlp b)
{
	return a > b ? a : b;
}

struct denied {
	char ids[4][STIX_ID_MAX + 1];
	int n;
};

static int
deny_cb(void *arg, const char *id)
{
	const struct denied *d = arg;
	int i;

	for (i = 0; i < d->n; i++) {
		if (strcmp(d->ids[i], id) == 0)
			return 0;
	}
	return 1;
}

/* Random markings into json; the highest level goes to *ret. */
static char *
add_markings(char *p, const char *key, int granular, enum stix_tlp *ret)
{
	int n = (int)rnd(4), i;
	size_t k;

	*ret = N;
	if (n == 0 && rnd(2))
		return p;           /* no such property at all */
	p += sprintf(p, ",\"%s\":[", key);
	for (i = 0; i < n; i++) {
		k = rnd(N_TLP_IDS);
		*ret = maxt(*ret, tlp_ids[k].tlp);
		if (granular)
			p += sprintf(p, "%s{\"selectors\":[\"name\"],\"marking_ref\":\"%s\"}",
			    i ? "," : "", tlp_ids[k].id);
		else
			p += sprintf(p, "%s\"%s\"", i ? "," : "", tlp_ids[k].id);
	}
	return p + sprintf(p, "]");
}

static void
random_dir(struct agr_dir *d)
{
	size_t i;

	memset(d, 0, sizeof(*d));
	if (rnd(4) == 0) {
		strcpy(d->types[d->n_types++], "*");
	} else {
		for (i = 0; i < N_PTYPES; i++) {
			if (rnd(2))
				strcpy(d->types[d->n_types++], ptypes[i]);
		}
	}
	d->max_tlp = (enum stix_tlp)(1 + rnd(4));      /* CLEAR .. AMBER+STRICT */
	d->unmarked = (enum stix_tlp)(1 + rnd(5));     /* CLEAR .. RED */
	d->forwardable = (int)rnd(2);
}

static void
test_property(void **state)
{
	enum { ROUNDS = 120000 };
	static const char *const refids[] = { ID_A, ID_M,
		"identity--f431f809-377b-45e0-aa1c-6a4751cae5ff",
		"observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf" };
	char json[4096], *p;
	struct agr_dir d, origin;
	struct policy_obj o;
	struct policy_decision dec;
	struct err err = ERR_INIT;
	size_t counts[POLICY_RULE_MAX] = { 0 };
	int i;

	for (i = 0; i < ROUNDS; i++) {
		const char *type = ptypes[rnd(N_PTYPES)];
		enum stix_tlp ot, gt, t;
		struct denied den = { .n = 0 };
		const char *refs[3];
		int n_refs = 0, j, has_origin = (int)rnd(3) == 0, type_ok, refs_ok = 1;
		enum policy_rule want;

		random_dir(&d);
		random_dir(&origin);
		p = json + sprintf(json, "{\"type\":\"%s\",\"id\":\"%s--0c7b5b88-8ff7-4a4d-aa9d-"
		    "feb398cd0061\",\"name\":\"n\"", type, type);
		p = add_markings(p, "object_marking_refs", 0, &ot);
		p = add_markings(p, "granular_markings", 1, &gt);
		if (strcmp(type, "relationship") == 0) {
			refs[0] = refids[rnd(2)];
			refs[1] = refids[rnd(4)];
			p += sprintf(p, ",\"source_ref\":\"%s\",\"target_ref\":\"%s\"", refs[0], refs[1]);
			n_refs = 2;
		} else if (strcmp(type, "sighting") == 0) {
			refs[0] = refids[rnd(2)];
			refs[1] = refids[2];
			p += sprintf(p, ",\"sighting_of_ref\":\"%s\",\"where_sighted_refs\":[\"%s\"]",
			    refs[0], refs[1]);
			n_refs = 2;
		}
		sprintf(p, ",\"x_note\":\"%d\"}", i);
		if (rnd(3) == 0) {
			int which = (int)rnd(4);

			snprintf(den.ids[den.n++], sizeof(den.ids[0]), "%s", refids[which]);
		}
		if (policy_scan(json, strlen(json), &d, &o, &err) != 0)
			fail_msg("scan: %s\n%s", err.msg, json);
		assert_int_equal(o.tlp, ot);
		assert_int_equal(o.granular_tlp, gt);
		assert_int_equal((int)o.n_refs, n_refs);
		if (policy_egress(&d, has_origin ? &origin : NULL, &o, deny_cb, &den, &dec, &err))
			fail_msg("egress: %s", err.msg);

		/* the expected outcome, from the rules as docs/agreements.md states them */
		t = ot != N ? ot : has_origin ? maxt(d.unmarked, origin.unmarked) : d.unmarked;
		type_ok = 0;
		for (j = 0; j < (int)d.n_types; j++)
			type_ok |= strcmp(d.types[j], "*") == 0 || strcmp(d.types[j], type) == 0;
		for (j = 0; j < n_refs; j++)
			refs_ok &= den.n == 0 || strcmp(den.ids[0], refs[j]) != 0;
		if (t == R || gt == R)
			want = POLICY_TLP_RED;
		else if (gt > d.max_tlp)
			want = POLICY_GRANULAR;
		else if (t > d.max_tlp)
			want = POLICY_TLP_CEILING;
		else if (!type_ok)
			want = POLICY_TYPE;
		else if (has_origin && (maxt(t, gt) > G || !origin.forwardable))
			want = POLICY_FORWARD;
		else if (!refs_ok)
			want = POLICY_REF;
		else
			want = POLICY_ALLOW;

		/* the safety properties, stated on their own */
		if (dec.rule == POLICY_ALLOW) {
			assert_true(t != R && gt != R);
			assert_true(t <= d.max_tlp && gt <= d.max_tlp);
			assert_true(type_ok);
			assert_true(!has_origin || (origin.forwardable && maxt(t, gt) <= G));
			assert_true(refs_ok);
		}
		if (dec.rule != want)
			fail_msg("round %d: rule %s, want %s (%s)\n%s", i, policy_rule_name(dec.rule),
			    policy_rule_name(want), dec.reason, json);
		assert_int_equal(dec.tlp, t);
		counts[dec.rule]++;
	}
	for (i = 0; i < POLICY_NO_AGREEMENT; i++) {
		print_message("%-12s %zu\n", policy_rule_name((enum policy_rule)i), counts[i]);
		assert_true(counts[i] > 100);  /* every rule was exercised */
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_egress_misc),
		cmocka_unit_test(test_ingress),
		cmocka_unit_test(test_scan_markings),
		cmocka_unit_test(test_scan_corpus),
		cmocka_unit_test(test_strip),
		cmocka_unit_test(test_property),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
