/*
 * For the store's tests: a fresh store in a scratch folder of its own, and
 * its removal, so every fixture opens and removes it the same way. Include
 * after <cmocka.h>.
 */
#ifndef LSN_TESTS_STORE_SCRATCH_H
#define LSN_TESTS_STORE_SCRATCH_H

#include <stdio.h>
#include <stdlib.h>

#include "store/store.h"
#include "util/err.h"

#define SCRATCH_DIR_MAX 64
#define SCRATCH_PATH_MAX 128

/* Creates /tmp/lsn-NAME-XXXXXX in dir and a new store.db in it (its path in path). */
static inline void
scratch_store_open(const char *name, char dir[static SCRATCH_DIR_MAX],
    char path[static SCRATCH_PATH_MAX], struct store **ret)
{
	struct err err = ERR_INIT;

	snprintf(dir, SCRATCH_DIR_MAX, "/tmp/lsn-%s-XXXXXX", name);
	assert_non_null(mkdtemp(dir));
	snprintf(path, SCRATCH_PATH_MAX, "%s/store.db", dir);
	if (store_open(path, 1, ret, &err) != 0)
		fail_msg("store_open %s: %s", path, err.msg);
}

/* Closes s (NULL: nothing to close) and removes the folder with everything in it. */
static inline void
scratch_store_remove(struct store *s, const char *dir)
{
	char cmd[SCRATCH_DIR_MAX + 16];

	store_close(s);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

#endif
