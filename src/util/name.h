/*
 * The node-name rule, written once: node names appear in agreements, in
 * identity documents, in log origins and in collection titles "from-NAME".
 * A pure check over bytes; never allocates, logs or knows what names name.
 */
#ifndef LSN_UTIL_NAME_H
#define LSN_UTIL_NAME_H

#include <stddef.h>

struct err;

#define NODE_NAME_MAX 64              /* bytes of a node name, without a NUL */

/*
 * 0 if s[0..n) is a node name: 1 to NODE_NAME_MAX of a-z, 0-9 and '-', not
 * starting with '-'. Otherwise -LSN_EINVAL with a sentence (callers that
 * name the field write their own).
 */
int name_check(const char *s, size_t n, struct err *err);

#endif
