/*
 * policy_bench: the cost of border policy per object, in-process (no daemon):
 *   scan     policy_scan over each object's exact bytes (µs per object, MB/s);
 *   egress   policy_egress on the prepared policy_obj views, no refs (ns per
 *            decision), once with the objects as they are and once with
 *            their markings replaced by a fixed-seed mix of TLP levels,
 *            granular markings and third-partner origins, so every rule
 *            takes its share of decisions.
 * Input: a STIX bundle (default: the ATT&CK Enterprise bundle of
 * ../shared/data, read through `xz -dc`). It measures; it never asserts a
 * speed. Ends with one JSON line carrying the machine (cores, CPU model).
 *
 *   policy_bench [--rounds N] [FILE]
 */
#include "bench_util.h"
#include "policy/policy.h"
#include "util/err.h"
#include "util/jscan.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_INPUT LIAISON_DATA_DIR "/attack/enterprise-attack-18.1-rebuilt.json.xz"
#define EGRESS_TARGET_NS 2000.0

struct span {
	const char *s;
	size_t len;
};

struct spans {
	struct span *v;
	size_t n, cap;
};

static int
collect(void *arg, const char *s, const char *e)
{
	struct spans *sp = arg;

	if (sp->n == sp->cap) {
		sp->cap = sp->cap ? 2 * sp->cap : 4096;
		sp->v = xrealloc(sp->v, sp->cap * sizeof(sp->v[0]));
	}
	sp->v[sp->n].s = s;
	sp->v[sp->n++].len = (size_t)(e - s);
	return 0;
}


/* A direction as an agreement would have it: eight types, AMBER, custom properties stripped. */
static void
bench_dir(struct agr_dir *d)
{
	static const char *const types[] = { "attack-pattern", "campaign", "course-of-action",
		"identity", "indicator", "intrusion-set", "malware", "relationship" };
	size_t i;

	memset(d, 0, sizeof(*d));
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		snprintf(d->types[d->n_types++], AGR_ITEM_MAX, "%s", types[i]);
	d->max_tlp = STIX_TLP_AMBER;
	d->unmarked = STIX_TLP_AMBER;
	snprintf(d->strip[d->n_strip++], AGR_ITEM_MAX, "x_*");
	snprintf(d->strip[d->n_strip++], AGR_ITEM_MAX, "contact_information");
}

static uint64_t rng = 0x2545f4914f6cdd1dull;

static unsigned
rnd(unsigned n)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (unsigned)((rng * 0x2545f4914f6cdd1dull) >> 33) % n;
}

/* ns per decision over all objects, `rounds` times; counts allowed ones. */
static double
egress_run(const struct agr_dir *d, const struct agr_dir *origin, struct policy_obj *objs,
    const unsigned char *from_third, size_t n, int rounds, size_t *ret_allowed)
{
	struct policy_decision dec;
	struct err err = ERR_INIT;
	size_t i, allowed = 0;
	double t0 = now_s();
	int r;

	for (r = 0; r < rounds; r++) {
		for (i = 0; i < n; i++) {
			if (policy_egress(d, from_third[i] ? origin : NULL, &objs[i], NULL, NULL, &dec,
			    &err) != 0)
				die("egress: %s", err.msg);
			allowed += dec.rule == POLICY_ALLOW;
		}
	}
	*ret_allowed = allowed / (size_t)rounds;
	return (now_s() - t0) * 1e9 / ((double)n * rounds);
}

int
main(int argc, char **argv)
{
	const char *input = DEFAULT_INPUT;
	struct sbuf data = { 0 };
	struct spans sp = { 0 };
	struct agr_dir d, origin;
	struct policy_obj *objs;
	unsigned char *third;
	struct err err = ERR_INIT;
	size_t i, bytes = 0, allowed_asis, allowed_mixed;
	int rounds = 20, scan_rounds = 5, r, ai;
	double t0, scan_s, ns_asis, ns_mixed;

	for (ai = 1; ai < argc; ai++) {
		if (strcmp(argv[ai], "--rounds") == 0 && ai + 1 < argc)
			rounds = (int)num_arg("rounds", argv[++ai], 1, 100000);
		else if (argv[ai][0] == '-' && argv[ai][1] == '-')
			die("usage: policy_bench [--rounds N] [FILE]");
		else
			input = argv[ai];
	}
	read_input(input, &data);
	if (jscan_each(data.data, data.len, 0, "objects", "the bundle", collect, &sp, &err) != 0)
		die("%s: %s", input, err.msg);
	if (sp.n == 0)
		die("%s: no objects", input);
	objs = xmalloc(sp.n * sizeof(objs[0]));
	third = xmalloc(sp.n);
	bench_dir(&d);
	origin = d;
	origin.forwardable = 1;
	for (i = 0; i < sp.n; i++)
		bytes += sp.v[i].len;

	t0 = now_s();
	for (r = 0; r < scan_rounds; r++) {
		for (i = 0; i < sp.n; i++) {
			if (policy_scan(sp.v[i].s, sp.v[i].len, &d, &objs[i], &err) != 0)
				die("object %zu: %s", i, err.msg);
		}
	}
	scan_s = (now_s() - t0) / scan_rounds;

	memset(third, 0, sp.n);
	ns_asis = egress_run(&d, &origin, objs, third, sp.n, rounds, &allowed_asis);
	for (i = 0; i < sp.n; i++) {
		objs[i].tlp = (enum stix_tlp)rnd(6);            /* NONE .. RED */
		objs[i].granular_tlp = rnd(4) == 0 ? (enum stix_tlp)rnd(6) : STIX_TLP_NONE;
		third[i] = rnd(4) == 0;
	}
	ns_mixed = egress_run(&d, &origin, objs, third, sp.n, rounds, &allowed_mixed);

	printf("input      %s: %zu objects, %.1f MB\n", input, sp.n, bytes / 1e6);
	printf("scan       %.3f us/object, %.0f MB/s\n", scan_s * 1e6 / sp.n,
	    bytes / 1e6 / scan_s);
	printf("egress     %.1f ns/decision as marked (%zu allowed), %.1f ns/decision with "
	    "mixed TLP (%zu allowed); target <= %.0f ns\n", ns_asis, allowed_asis, ns_mixed,
	    allowed_mixed, EGRESS_TARGET_NS);
	printf("{\"bench\":\"policy\",\"objects\":%zu,\"bytes\":%zu,\"scan_us\":%.3f,"
	    "\"scan_mb_s\":%.1f,\"egress_ns\":%.1f,\"egress_mixed_ns\":%.1f,\"rounds\":%d,"
	    "\"nproc\":%ld,\"cpu\":\"%s\"}\n", sp.n, bytes, scan_s * 1e6 / sp.n,
	    bytes / 1e6 / scan_s, ns_asis, ns_mixed, rounds, sysconf(_SC_NPROCESSORS_ONLN),
	    cpu_model());
	free(objs);
	free(third);
	free(sp.v);
	free(data.data);
	return 0;
}
