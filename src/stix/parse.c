/*
 * Strict JSON in, validated STIX out: jansson with duplicate keys, invalid
 * UTF-8 and NUL in strings rejected, then a nesting-depth cap, then the
 * table-driven validator. Bundles are checked here as containers (§8).
 */
#include "stix/stix.h"
#include "util/err.h"

#include <stdio.h>
#include <string.h>

/*
 * jansson reports a duplicate as "duplicate object key near '"name"'";
 * quote the key alone so the message reads "duplicate key 'name'".
 */
int
stix_json_error(const json_error_t *je, struct err *err)
{
	const char *near = strstr(je->text, "near '\"");
	int n, r;

	if (json_error_code(je) == json_error_duplicate_key && near != NULL) {
		near += 7;
		n = (int)strlen(near);
		if (n >= 2 && near[n - 1] == '\'' && near[n - 2] == '"')
			n -= 2;
		r = err_set(err, LSN_EINVAL, "duplicate key '%.*s' at line %d, column %d",
		    n > 100 ? 100 : n, near, je->line, je->column);
	} else {
		r = err_set(err, LSN_EINVAL, "invalid JSON at line %d, column %d: %s",
		    je->line, je->column, je->text);
	}
	/* jansson quotes the offending bytes, which may be the invalid UTF-8 itself. */
	if (err != NULL)
		stix_utf8_scrub(err->msg);
	return r;
}

/* Depth of containers below v, stopping as soon as max is exceeded. */
static int
depth_ok(const json_t *v, int depth, int max)
{
	size_t i;
	void *it;

	if (!json_is_object(v) && !json_is_array(v))
		return 1;
	if (depth > max)
		return 0;
	if (json_is_array(v)) {
		for (i = 0; i < json_array_size(v); i++) {
			if (!depth_ok(json_array_get(v, i), depth + 1, max))
				return 0;
		}
		return 1;
	}
	/* jansson's iterator API is not const-correct; nothing is modified. */
	for (it = json_object_iter((json_t *)v); it != NULL;
	     it = json_object_iter_next((json_t *)v, it)) {
		if (!depth_ok(json_object_iter_value(it), depth + 1, max))
			return 0;
	}
	return 1;
}

static int
load(const char *bytes, size_t len, int max_depth, json_t **ret, struct err *err)
{
	json_error_t je;
	json_t *v;

	if (bytes == NULL)
		return err_set(err, LSN_EINVAL, "no input");
	/* No JSON_ALLOW_NUL: a NUL inside a string could hide text from C code. */
	v = json_loadb(bytes, len, JSON_REJECT_DUPLICATES, &je);
	if (v == NULL)
		return stix_json_error(&je, err);
	if (!json_is_object(v)) {
		json_decref(v);
		return err_set(err, LSN_EINVAL, "the JSON text must be an object, not an array");
	}
	if (!depth_ok(v, 1, max_depth)) {
		json_decref(v);
		return err_set(err, LSN_EINVAL, "JSON nesting is deeper than %d levels", max_depth);
	}
	*ret = v;
	return 0;
}

int
stix_parse_object(const char *bytes, size_t len, json_t **ret_obj,
    struct stix_meta *ret_meta, struct err *err)
{
	json_t *o;
	int r;

	r = load(bytes, len, STIX_OBJECT_MAX_DEPTH, &o, err);
	if (r < 0)
		return r;
	r = stix_validate_object(o, ret_meta, err);
	if (r < 0 || ret_obj == NULL)
		json_decref(o);
	else
		*ret_obj = o;
	return r;
}

/* Properties of a STIX 2.0 bundle that 2.1 (§8) removed. */
static const char *const bundle_2_0_props[] = { "spec_version", "created", "modified", "version" };

static int
check_bundle_props(const json_t *b, struct err *err)
{
	const char *id = json_string_value(json_object_get(b, "id"));
	const json_t *objs = json_object_get(b, "objects");
	size_t i;

	if (!json_is_object(b))
		return err_set(err, LSN_EINVAL, "a bundle must be a JSON object");
	if (!json_is_string(json_object_get(b, "type")) ||
	    strcmp(json_string_value(json_object_get(b, "type")), "bundle") != 0)
		return err_set(err, LSN_EINVAL, "property 'type' of a bundle must be \"bundle\"");
	if (!stix_id_valid(id) || strncmp(id, "bundle--", 8) != 0)
		return err_set(err, LSN_EINVAL, "property 'id' of a bundle must be "
		    "bundle--<RFC 4122 UUID>");
	for (i = 0; i < sizeof(bundle_2_0_props) / sizeof(bundle_2_0_props[0]); i++) {
		if (json_object_get(b, bundle_2_0_props[i]) != NULL)
			return err_set(err, LSN_EINVAL, "property '%s' is not part of a STIX 2.1 "
			    "bundle (it marks STIX 2.0, which is not accepted)", bundle_2_0_props[i]);
	}
	if (objs != NULL && (!json_is_array(objs) || json_array_size(objs) == 0))
		return err_set(err, LSN_EINVAL, "property 'objects' of a bundle must be a "
		    "non-empty list");
	return 0;
}

int
stix_validate_bundle(const json_t *bundle, struct err *err)
{
	const json_t *objs, *o;
	const char *id;
	size_t i;
	int r;

	r = check_bundle_props(bundle, err);
	if (r < 0)
		return r;
	objs = json_object_get(bundle, "objects");
	for (i = 0; i < json_array_size(objs); i++) {
		o = json_array_get(objs, i);
		r = stix_validate_object(o, NULL, err);
		if (r < 0) {
			id = json_string_value(json_object_get(o, "id"));
			err_prefix(err, "object %zu (%.*s): ", i, id != NULL ? STIX_ID_MAX : 8,
			    id != NULL ? id : "no id");
			if (err != NULL)
				stix_utf8_scrub(err->msg);
			return r;
		}
	}
	return 0;
}

int
stix_parse_bundle(const char *bytes, size_t len, json_t **ret_bundle, struct err *err)
{
	json_t *b;
	int r;

	/* The bundle and its objects list add two levels above each object. */
	r = load(bytes, len, STIX_OBJECT_MAX_DEPTH + 2, &b, err);
	if (r < 0)
		return r;
	r = stix_validate_bundle(b, err);
	if (r < 0 || ret_bundle == NULL)
		json_decref(b);
	else
		*ret_bundle = b;
	return r;
}
