/*
 * Traffic Light Protocol markings in STIX 2.1: the four TLP 1.0 marking
 * definitions of §7.2.1.4 and the five TLP 2.0 ones of the OASIS extension
 * extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d. Both sets are
 * fixed objects: a TLP marking is known by its id, never by its name.
 */
#include "stix/stix.h"
#include "util/err.h"

#include <string.h>
#include <strings.h>

#define TLP2_EXT "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

struct tlp_def {
	const char *id;
	const char *value;     /* definition.tlp (1.0) or tlp_2_0 (2.0) */
	enum stix_tlp tlp;
	int v2;
};

/* TLP 1.0 ids map to their TLP 2.0 meaning (WHITE is CLEAR), per tlp-2.0/README. */
static const struct tlp_def tlp_defs[] = {
	{ "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", "clear", STIX_TLP_CLEAR, 1 },
	{ "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", "green", STIX_TLP_GREEN, 1 },
	{ "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", "amber", STIX_TLP_AMBER, 1 },
	{ "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", "amber+strict",
	  STIX_TLP_AMBER_STRICT, 1 },
	{ "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", "red", STIX_TLP_RED, 1 },
	{ "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", "white", STIX_TLP_CLEAR, 0 },
	{ "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", "green", STIX_TLP_GREEN, 0 },
	{ "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", "amber", STIX_TLP_AMBER, 0 },
	{ "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", "red", STIX_TLP_RED, 0 },
};

#define NDEFS (sizeof(tlp_defs) / sizeof(tlp_defs[0]))

static const char *const tlp_names[] = {
	[STIX_TLP_NONE] = "none",
	[STIX_TLP_CLEAR] = "TLP:CLEAR",
	[STIX_TLP_GREEN] = "TLP:GREEN",
	[STIX_TLP_AMBER] = "TLP:AMBER",
	[STIX_TLP_AMBER_STRICT] = "TLP:AMBER+STRICT",
	[STIX_TLP_RED] = "TLP:RED",
};

const char *
stix_tlp_marking_id(enum stix_tlp t)
{
	size_t i;

	for (i = 0; i < NDEFS; i++)
		if (tlp_defs[i].v2 && tlp_defs[i].tlp == t)
			return tlp_defs[i].id;
	return NULL;
}

const char *
stix_tlp_name(enum stix_tlp t)
{
	if ((unsigned)t >= sizeof(tlp_names) / sizeof(tlp_names[0]))
		return "unknown";
	return tlp_names[t];
}

int
stix_tlp_from_name(const char *s, enum stix_tlp *ret)
{
	static const struct { const char *name; enum stix_tlp tlp; } names[] = {
		{ "clear", STIX_TLP_CLEAR }, { "white", STIX_TLP_CLEAR },
		{ "green", STIX_TLP_GREEN }, { "amber", STIX_TLP_AMBER },
		{ "amber+strict", STIX_TLP_AMBER_STRICT }, { "red", STIX_TLP_RED },
	};
	size_t i;

	if (strncasecmp(s, "TLP:", 4) == 0)
		s += 4;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcasecmp(s, names[i].name) == 0) {
			*ret = names[i].tlp;
			return 0;
		}
	}
	return -LSN_EINVAL;
}

static const struct tlp_def *
def_by_id(const char *id)
{
	size_t i;

	/* Every fixed id shares the 20-byte "marking-definition--" prefix. */
	if (id == NULL || strncmp(id, "marking-definition--", 20) != 0)
		return NULL;
	for (i = 0; i < NDEFS; i++) {
		if (strcmp(id + 20, tlp_defs[i].id + 20) == 0)
			return &tlp_defs[i];
	}
	return NULL;
}

static const struct tlp_def *
def_by_value(const char *value, int v2)
{
	size_t i;

	for (i = 0; i < NDEFS; i++) {
		if (tlp_defs[i].v2 == v2 && strcmp(value, tlp_defs[i].value) == 0)
			return &tlp_defs[i];
	}
	return NULL;
}

enum stix_tlp
stix_tlp_of_marking(const char *marking_id)
{
	const struct tlp_def *d = def_by_id(marking_id);

	return d != NULL ? d->tlp : STIX_TLP_NONE;
}

/* TLP 1.0, §7.2.1.4: definition {"tlp": "white|green|amber|red"}. */
static const struct tlp_def *
check_v1(const json_t *md, const char *id, struct err *err)
{
	const json_t *def = json_object_get(md, "definition");
	const char *v = json_string_value(json_object_get(def, "tlp"));
	const struct tlp_def *d;

	if (v == NULL) {
		err_set(err, LSN_EINVAL, "property 'definition.tlp' must be one of "
		    "\"white\", \"green\", \"amber\", \"red\" in a TLP 1.0 marking-definition");
		return NULL;
	}
	d = def_by_value(v, 0);
	if (d == NULL)
		err_set(err, LSN_EINVAL, "property 'definition.tlp': '%.32s' is not a TLP 1.0 "
		    "level (white, green, amber, red)", v);
	else if (strcmp(id, d->id) != 0)
		err_set(err, LSN_EINVAL, "property 'id': a TLP 1.0 '%s' marking-definition "
		    "must have the fixed id %s (STIX 2.1 §7.2.1.4)", d->value, d->id);
	else
		return d;
	return NULL;
}

/* TLP 2.0 extension: {"extension_type": "property-extension", "tlp_2_0": ...}. */
static const struct tlp_def *
check_v2(const json_t *ext, const char *id, struct err *err)
{
	const char *et = json_string_value(json_object_get(ext, "extension_type"));
	const char *v = json_string_value(json_object_get(ext, "tlp_2_0"));
	const struct tlp_def *d;

	if (et == NULL || strcmp(et, "property-extension") != 0) {
		err_set(err, LSN_EINVAL, "property 'extensions." TLP2_EXT ".extension_type' "
		    "must be \"property-extension\" in a TLP 2.0 marking-definition");
		return NULL;
	}
	d = v != NULL ? def_by_value(v, 1) : NULL;
	if (d == NULL)
		err_set(err, LSN_EINVAL, "property 'extensions." TLP2_EXT ".tlp_2_0' must be "
		    "one of \"clear\", \"green\", \"amber\", \"amber+strict\", \"red\"");
	else if (strcmp(id, d->id) != 0)
		err_set(err, LSN_EINVAL, "property 'id': a TLP 2.0 '%s' marking-definition "
		    "must have the fixed id %s", d->value, d->id);
	else
		return d;
	return NULL;
}

static int
marking_tlp(const json_t *md, enum stix_tlp *ret_tlp, struct err *err)
{
	const char *id = json_string_value(json_object_get(md, "id"));
	const char *dt = json_string_value(json_object_get(md, "definition_type"));
	const json_t *ext = json_object_get(json_object_get(md, "extensions"), TLP2_EXT);
	const struct tlp_def *fixed = def_by_id(id), *d = NULL;

	if (id == NULL)
		return err_set(err, LSN_EINVAL, "property 'id' is required");
	if (dt != NULL && strcmp(dt, "tlp") == 0 && (d = check_v1(md, id, err)) == NULL)
		return -LSN_EINVAL;
	if (ext != NULL && (d = check_v2(ext, id, err)) == NULL)
		return -LSN_EINVAL;
	/* The fixed ids are reserved: one of them on another marking would relabel data. */
	if (fixed != NULL && d != fixed)
		return err_set(err, LSN_EINVAL, "property 'id': %s is the fixed id of TLP %s:%s "
		    "and this marking-definition does not define that level", id,
		    fixed->v2 ? "2.0" : "1.0", fixed->value);
	*ret_tlp = d != NULL ? d->tlp : STIX_TLP_NONE;
	return 0;
}

int
stix_marking_tlp(const json_t *md, enum stix_tlp *ret_tlp, struct err *err)
{
	int r = marking_tlp(md, ret_tlp, err);

	/* The quoted tlp value may have been cut inside a UTF-8 sequence. */
	if (r < 0 && err != NULL)
		stix_utf8_scrub(err->msg);
	return r;
}
