/*
 * libFuzzer harness for the STIX parser and validator: any bytes in, either a
 * validated object/bundle or an error sentence out, never a crash, leak or
 * read past the input. Built with clang -fsanitize=fuzzer,address, linked
 * with the stix and util sources and jansson.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "stix/stix.h"
#include "util/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Every message must be one NUL-terminated sentence within the buffer, and
 * valid UTF-8 (jansson refuses anything else), since it may go into JSON.
 */
static void
check_err(const struct err *err, int r)
{
	json_t *s;

	if (r >= 0)
		return;
	if (err->code != -r || memchr(err->msg, '\0', sizeof(err->msg)) == NULL ||
	    err->msg[0] == '\0')
		__builtin_trap();
	s = json_string(err->msg);
	if (s == NULL)
		__builtin_trap();
	json_decref(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err err = ERR_INIT;
	struct stix_meta m;
	json_t *o = NULL, *b = NULL;
	int r;

	r = stix_parse_object((const char *)data, size, &o, &m, &err);
	check_err(&err, r);
	if (r == 0 && (strlen(m.id) > STIX_ID_MAX || m.tlp > STIX_TLP_RED))
		__builtin_trap();
	json_decref(o);

	/* The same bytes as a bundle; an array or bundle is also checked as one. */
	err_clear(&err);
	r = stix_parse_bundle((const char *)data, size, &b, &err);
	check_err(&err, r);
	json_decref(b);
	if (size > 0 && data[0] == '[') {
		b = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
		if (b != NULL) {
			err_clear(&err);
			check_err(&err, stix_validate_bundle(b, &err));
			json_decref(b);
		}
	}
	return 0;
}
