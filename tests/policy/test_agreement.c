/*
 * Agreements: the example of docs/agreements.md parses, the canonical form
 * round-trips, the hash ignores comments and order, every bad line is
 * refused naming its line, and agreement_set reaches every term.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "policy/agreement.h"
#include "util/err.h"

static char doc_example[AGR_TEXT_MAX];

/* The ```ini block of docs/agreements.md. */
static const char *
example(void)
{
	char path[512], *all, *s, *e;
	FILE *f;
	size_t n;

	if (doc_example[0] != '\0')
		return doc_example;
	snprintf(path, sizeof(path), "%s/docs/agreements.md", LIAISON_SOURCE_DIR);
	f = fopen(path, "rb");
	assert_non_null(f);
	all = calloc(1, 1 << 20);
	n = fread(all, 1, (1 << 20) - 1, f);
	fclose(f);
	all[n] = '\0';
	s = strstr(all, "```ini\n");
	assert_non_null(s);
	s += 7;
	e = strstr(s, "```");
	assert_non_null(e);
	assert_true((size_t)(e - s) < sizeof(doc_example));
	memcpy(doc_example, s, (size_t)(e - s));
	free(all);
	return doc_example;
}

static int
parse(const char *text, struct agreement *g, struct err *err)
{
	return agreement_parse(text, strlen(text), g, err);
}

static void
test_example(void **state)
{
	struct agreement g;
	struct err err = ERR_INIT;

	if (parse(example(), &g, &err) != 0)
		fail_msg("%s", err.msg);
	assert_string_equal(g.a, "cert-a");
	assert_string_equal(g.b, "cert-b");
	assert_int_equal(g.ab.n_collections, 2);
	assert_string_equal(g.ab.collections[0], "incidents");
	assert_int_equal(g.ab.n_types, 6);
	assert_string_equal(g.ab.types[0], "attack-pattern");
	assert_int_equal(g.ab.max_tlp, STIX_TLP_AMBER);
	assert_int_equal(g.ab.unmarked, STIX_TLP_AMBER);
	assert_int_equal(g.ab.n_strip, 2);
	assert_string_equal(g.ab.strip[1], "x_*");
	assert_false(g.ab.forwardable);
	assert_int_equal(g.ba.n_types, 1);
	assert_string_equal(g.ba.types[0], "*");
	assert_int_equal(g.ba.max_tlp, STIX_TLP_AMBER_STRICT);
	assert_int_equal(g.ba.unmarked, STIX_TLP_GREEN);
	assert_int_equal(g.ba.n_strip, 0);
	assert_true(g.ba.forwardable);
	assert_int_equal(g.hotline.ack_s, 86400);
	assert_int_equal(g.hotline.ack_emergency_s, 3600);
	assert_int_equal(g.hotline.respond_s, 3 * 86400);
	assert_int_equal(g.hotline.respond_emergency_s, 4 * 3600);
	assert_int_equal(g.hotline.preserve_days, 90);
	assert_ptr_equal(agreement_dir(&g, "cert-a"), &g.ab);
	assert_ptr_equal(agreement_dir_const(&g, "cert-b"), &g.ba);
	assert_null(agreement_dir(&g, "cert-c"));
}

static void
test_round_trip(void **state)
{
	struct agreement g, g2, g3;
	struct err err = ERR_INIT;
	char out[AGR_TEXT_MAX], out2[AGR_TEXT_MAX];
	size_t n, n2;

	assert_int_equal(parse(example(), &g, &err), 0);
	assert_int_equal(agreement_format(&g, out, sizeof(out), &n, &err), 0);
	assert_int_equal(strlen(out), n);
	assert_non_null(strstr(out, "RED never leaves on its own"));
	if (parse(out, &g2, &err) != 0)
		fail_msg("canonical form refused: %s\n%s", err.msg, out);
	assert_memory_equal(&g, &g2, sizeof(g));
	assert_int_equal(agreement_format(&g2, out2, sizeof(out2), &n2, &err), 0);
	assert_string_equal(out, out2);
	/* the defaults too */
	agreement_default(&g, "node-z", "node-b");
	assert_int_equal(agreement_format(&g, out, sizeof(out), &n, &err), 0);
	assert_int_equal(parse(out, &g3, &err), 0);
	assert_memory_equal(&g, &g3, sizeof(g));
	/* too small a buffer */
	assert_int_equal(agreement_format(&g, out, 100, &n, &err), -LSN_ETOOBIG);
}

static void
hash_of(const char *text, uint8_t h[32])
{
	struct agreement g;
	struct err err = ERR_INIT;

	if (parse(text, &g, &err) != 0)
		fail_msg("%s\n%s", err.msg, text);
	assert_int_equal(agreement_hash(&g, h, NULL), 0);
}

static void
test_hash_stable(void **state)
{
	/* the example reordered, respelled, with other comments and CRLF */
	static const char *reordered =
	    "[hotline]\r\n"
	    "preserve_days = 90\r\n"
	    "respond_emergency=14400s\r\n"
	    "respond = 72h\r\n"
	    "ack_emergency = 1h\r\n"
	    "ack = 1d\r\n"
	    "   # indented comment\r\n"
	    "[cert-b -> cert-a]\n"
	    "forwardable = yes\n"
	    "strip =\n"
	    "unmarked = TLP:GREEN\n"
	    "max_tlp = AMBER+STRICT\n"
	    "types = *\n"
	    "collections = shared\n"
	    "\n"
	    "[ cert-a->cert-b ]\n"
	    "types = sighting,relationship, marking-definition , malware,indicator,attack-pattern\n"
	    "strip = x_*, contact_information\n"
	    "forwardable = no\n"
	    "unmarked = amber\n"
	    "max_tlp = amber\n"
	    "collections = shared, incidents\n"
	    "[agreement]\n"
	    "between = cert-b cert-a\n";
	uint8_t h1[32], h2[32], h3[32];
	struct agreement g;
	struct err err = ERR_INIT;
	char out[AGR_TEXT_MAX];
	size_t n;

	hash_of(example(), h1);
	hash_of(reordered, h2);
	assert_memory_equal(h1, h2, 32);
	/* the canonical form with its comments hashes the same */
	assert_int_equal(parse(example(), &g, &err), 0);
	assert_int_equal(agreement_format(&g, out, sizeof(out), &n, &err), 0);
	hash_of(out, h3);
	assert_memory_equal(h1, h3, 32);
	/* one term changed: another hash */
	assert_int_equal(agreement_set(&g, "cert-a", "out.forwardable", "yes", &err), 0);
	assert_int_equal(agreement_hash(&g, h3, NULL), 0);
	assert_memory_not_equal(h1, h3, 32);
}

struct bad {
	const char *find, *replace;   /* applied to the example's text */
	int line;                     /* the line the message must name */
	const char *words;            /* and words it must hold */
};

static void
test_errors(void **state)
{
	static const struct bad bad[] = {
		{ "[hotline]", "[deadlines]", 24, "unknown section" },
		{ "ack = 24h", "ackk = 24h", 25, "unknown key 'ackk'" },
		{ "max_tlp = amber\n", "max_tlp = amber\nmax_tlp = green\n", 10, "twice" },
		{ "max_tlp = amber\n", "max_tlp = red\n", 9, "RED never leaves on its own" },
		{ "max_tlp = amber\n", "max_tlp = orange\n", 9, "not a TLP level" },
		{ "unmarked = green", "unmarked = grey", 20, "not a TLP level" },
		{ "ack = 24h", "ack = 24", 25, "not a duration" },
		{ "ack = 24h", "ack = 0h", 25, "not a duration" },
		{ "ack = 24h", "ack = 24w", 25, "not a duration" },
		{ "ack = 24h", "ack = 99999999999999999999d", 25, "not a duration" },
		{ "preserve_days = 90", "preserve_days = -1", 29, "days" },
		{ "forwardable = no", "forwardable = maybe", 12, "yes or no" },
		{ "types = attack-pattern,", "types = attack-pattern,,", 8, "empty entry" },
		{ "types = attack-pattern,", "types = Attack_Pattern,", 8, "not a STIX type" },
		{ "types = *", "types = *, indicator", 18, "stand alone" },
		{ "collections = incidents, shared", "collections = shared, shared", 7, "twice" },
		{ "strip = contact_information, x_*", "strip = id, x_*", 11, "never removed" },
		{ "strip = contact_information, x_*", "strip = x-y", 11, "property name" },
		{ "strip = contact_information, x_*", "strip = x_a,", 11, "comma" },
		{ "between = cert-a cert-b", "between = cert-a", 4, "two nodes" },
		{ "between = cert-a cert-b", "between = cert-a cert-a", 4, "two different" },
		{ "between = cert-a cert-b", "between = Cert-A cert-b", 4, "node names" },
		{ "between = cert-a cert-b", "between = cert-a cert-c", 6, "not between" },
		{ "[cert-b -> cert-a]", "[cert-a -> cert-b]", 14, "twice" },
		{ "[cert-b -> cert-a]", "[cert-c -> cert-a]", 14, "not between" },
		{ "[cert-b -> cert-a]", "[cert-b -> cert-b]", 14, "one node twice" },
		{ "[hotline]\n", "[hotline]\n[hotline]\n", 25, "appears twice" },
		{ "[hotline]", "[hotline", 24, "must end with ']'" },
		{ "[hotline]\nack = 24h\nack_emergency = 60m\nrespond = 3d\nrespond_emergency = 4h\npreserve_days = 90\n", "", 23, "missing" },
		{ "preserve_days = 90\n", "[agreement]\n", 29, "twice" },
		{ "ack = 24h\n", "", 24, "lacks key 'ack'" },
		{ "forwardable = no\n", "", 6, "lacks key 'forwardable'" },
		{ "# The agreement", "oops\n# The agreement", 1, "key before" },
		{ "ack = 24h", "ack 24h", 25, "key = value" },
		{ "[cert-a -> cert-b]", "[cert-a -> cert-b]\n[x]", 7, "unknown section" },
	};
	const char *ex = example();
	char text[AGR_TEXT_MAX + 64], want[32];
	struct agreement g;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct err err = ERR_INIT;
		const char *at = strstr(ex, bad[i].find);
		int r;

		assert_non_null(at);
		snprintf(text, sizeof(text), "%.*s%s%s", (int)(at - ex), ex, bad[i].replace,
		    at + strlen(bad[i].find));
		r = parse(text, &g, &err);
		if (r != -LSN_EINVAL)
			fail_msg("case %zu (%s) accepted", i, bad[i].replace);
		snprintf(want, sizeof(want), "line %d:", bad[i].line);
		if (strstr(err.msg, want) == NULL || strstr(err.msg, bad[i].words) == NULL)
			fail_msg("case %zu: message '%s' lacks '%s' or '%s'", i, err.msg, want,
			    bad[i].words);
	}
	/* a NUL byte and an oversize text */
	{
		struct err err = ERR_INIT;
		static char big[AGR_TEXT_MAX + 2];

		assert_int_equal(agreement_parse("a\0b", 3, &g, &err), -LSN_EINVAL);
		memset(big, '#', sizeof(big) - 1);
		assert_int_equal(agreement_parse(big, sizeof(big) - 1, &g, &err), -LSN_ETOOBIG);
	}
}

struct setcase {
	const char *key, *value;
	int ok;
};

static void
test_set(void **state)
{
	static const struct setcase cases[] = {
		{ "out.collections", "incidents, shared", 1 },
		{ "out.types", "indicator, malware", 1 },
		{ "out.max_tlp", "green", 1 },
		{ "out.unmarked", "red", 1 },
		{ "out.strip", "x_*", 1 },
		{ "out.forwardable", "yes", 1 },
		{ "in.collections", "theirs", 1 },
		{ "in.types", "*", 1 },
		{ "in.max_tlp", "amber+strict", 1 },
		{ "in.unmarked", "clear", 1 },
		{ "in.strip", "contact_information", 1 },
		{ "in.forwardable", "no", 1 },
		{ "hotline.ack", "2h", 1 },
		{ "hotline.ack_emergency", "15m", 1 },
		{ "hotline.respond", "5d", 1 },
		{ "hotline.respond_emergency", "7200s", 1 },
		{ "hotline.preserve_days", "365", 1 },
		{ "out.max_tlp", "red", 0 },
		{ "in.types", "Bad Type", 0 },
		{ "hotline.ack", "soon", 0 },
		{ "out.colour", "red", 0 },
		{ "sideways.types", "*", 0 },
		{ "hotline.nap", "1h", 0 },
	};
	struct agreement g, before;
	struct err err = ERR_INIT;
	size_t i;

	/* self is cert-b: out is b -> a, in is a -> b */
	agreement_default(&g, "cert-b", "cert-a");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		before = g;
		int r = agreement_set(&g, "cert-b", cases[i].key, cases[i].value, &err);

		if (cases[i].ok && r != 0)
			fail_msg("%s = %s refused: %s", cases[i].key, cases[i].value, err.msg);
		if (!cases[i].ok) {
			assert_int_equal(r, -LSN_EINVAL);
			assert_memory_equal(&g, &before, sizeof(g));
			assert_non_null(strstr(err.msg, cases[i].key));
		}
	}
	assert_int_equal(g.ba.n_collections, 2);
	assert_string_equal(g.ba.types[0], "indicator");
	assert_int_equal(g.ba.max_tlp, STIX_TLP_GREEN);
	assert_int_equal(g.ba.unmarked, STIX_TLP_RED);
	assert_string_equal(g.ba.strip[0], "x_*");
	assert_true(g.ba.forwardable);
	assert_string_equal(g.ab.collections[0], "theirs");
	assert_string_equal(g.ab.types[0], "*");
	assert_int_equal(g.ab.max_tlp, STIX_TLP_AMBER_STRICT);
	assert_int_equal(g.ab.unmarked, STIX_TLP_CLEAR);
	assert_string_equal(g.ab.strip[0], "contact_information");
	assert_false(g.ab.forwardable);
	assert_int_equal(g.hotline.ack_s, 7200);
	assert_int_equal(g.hotline.ack_emergency_s, 900);
	assert_int_equal(g.hotline.respond_s, 5 * 86400);
	assert_int_equal(g.hotline.respond_emergency_s, 7200);
	assert_int_equal(g.hotline.preserve_days, 365);
	/* not a party */
	assert_int_equal(agreement_set(&g, "cert-c", "out.types", "*", &err), -LSN_EINVAL);
}

static void
test_defaults(void **state)
{
	struct agreement g;
	int d;

	agreement_default(&g, "zulu", "alpha");
	assert_string_equal(g.a, "alpha");
	assert_string_equal(g.b, "zulu");
	for (d = 0; d < 2; d++) {
		const struct agr_dir *x = d ? &g.ba : &g.ab;

		assert_int_equal(x->n_collections, 1);
		assert_string_equal(x->collections[0], "shared");
		assert_int_equal(x->n_types, 1);
		assert_string_equal(x->types[0], "*");
		assert_int_equal(x->max_tlp, STIX_TLP_AMBER);
		assert_int_equal(x->unmarked, STIX_TLP_AMBER);
		assert_int_equal(x->n_strip, 0);
		assert_false(x->forwardable);
	}
	assert_int_equal(g.hotline.ack_s, 24 * 3600);
	assert_int_equal(g.hotline.ack_emergency_s, 3600);
	assert_int_equal(g.hotline.respond_s, 72 * 3600);
	assert_int_equal(g.hotline.respond_emergency_s, 4 * 3600);
	assert_int_equal(g.hotline.preserve_days, 60);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_hash_stable),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_set),
		cmocka_unit_test(test_defaults),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
