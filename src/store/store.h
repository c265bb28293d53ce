/*
 * The store: one interface (a const table of function pointers) for
 * collections, STIX object versions, status resources, users, grants and
 * tokens. Backends embed struct store first and export one backend each;
 * nothing above store/ includes a backend's own header.
 *
 * Threads: a struct store is one connection and is used by one thread at a
 * time. The daemon opens one for the loop (reads) and one for the writer
 * thread (every write, in group-committed transactions, see writer.h).
 * Contains no policy: callers decide who may do what.
 */
#ifndef LSN_STORE_STORE_H
#define LSN_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "stix/stix.h"
#include "crypto/cx.h"

struct err;
struct store;

#define STORE_TITLE_MAX 256
#define STORE_NAME_MAX 64
#define STORE_LIST_MAX 64       /* values in one match[...] filter */

struct store_collection {
	int64_t rowid;
	char id[CX_UUID_LEN];
	char title[STORE_TITLE_MAX];
	char description[1024];
	int64_t created_us;
};

struct store_user {
	int64_t rowid;
	char name[STORE_NAME_MAX + 1];
	int admin;
	char pwhash[CX_PWHASH_MAX];   /* empty: token-only user */
};

struct store_grant {
	int64_t coll;                 /* collection rowid */
	int can_read;
	int can_write;
};

/* One object version to add; pointers are borrowed for the call. */
struct store_obj_in {
	const struct stix_meta *meta;
	const char *body;             /* exact bytes as received */
	size_t len;
};

enum store_add_outcome {
	STORE_ADDED = 0,              /* new version stored */
	STORE_DUPLICATE = 1,          /* same id and version, same content */
	STORE_CONFLICT = 2,           /* same id and version, other content: refused */
};

struct store_obj_result {
	enum store_add_outcome outcome;
	int64_t date_added_us;        /* of the stored version (new or existing) */
};

enum store_ver_flags {
	STORE_VER_LAST = 1 << 0,
	STORE_VER_FIRST = 1 << 1,
	STORE_VER_ALL = 1 << 2,
};

/* A query over one collection, answered in date_added order (TAXII §3.3). */
struct store_query {
	int64_t coll;
	int64_t after_us;             /* date_added > after_us (added_after and/or keyset) */
	const char *ids[STORE_LIST_MAX];
	size_t n_ids;
	const char *types[STORE_LIST_MAX];
	size_t n_types;
	unsigned ver_flags;           /* store_ver_flags; 0 with n_vkeys > 0: only those */
	const char *vkeys[STORE_LIST_MAX]; /* ts_key() of match[version] timestamps */
	size_t n_vkeys;
	const char *spec_versions[STORE_LIST_MAX];
	size_t n_spec_versions;
	size_t limit;                 /* rows to return; the store reads one more for `more` */
};

struct store_row {
	const char *id;
	const char *type;
	const char *version;          /* as written; "" if none */
	const char *spec_version;
	int64_t date_added_us;
	const char *body;             /* NULL unless asked for */
	size_t len;
};

/* Called once per row; a negative return stops the query and is returned. */
typedef int (*store_row_fn)(void *arg, const struct store_row *row);

struct store_backend {
	const char *name;
	int (*open)(const char *path, int create, struct store **ret, struct err *err);
	void (*close)(struct store *s);

	int (*begin)(struct store *s, struct err *err);
	/* A read transaction: one snapshot (and one lock) for several reads. */
	int (*read_begin)(struct store *s, struct err *err);
	int (*read_end)(struct store *s);
	int (*commit)(struct store *s, struct err *err);
	int (*rollback)(struct store *s);
	int (*savepoint)(struct store *s, struct err *err);
	int (*release)(struct store *s, int keep, struct err *err);

	int (*meta_get)(struct store *s, const char *key, char *out, size_t outcap, struct err *err);
	int (*meta_set)(struct store *s, const char *key, const char *value, struct err *err);

	int (*coll_add)(struct store *s, struct store_collection *c, struct err *err);
	int (*coll_find)(struct store *s, const char *id_or_title, struct store_collection *ret, struct err *err);
	int (*coll_list)(struct store *s, struct store_collection **ret, size_t *ret_n, struct err *err);

	int (*objects_add)(struct store *s, int64_t coll, const struct store_obj_in *in, size_t n,
	    struct store_obj_result *res, struct err *err);
	int (*objects_query)(struct store *s, const struct store_query *q, int with_body,
	    store_row_fn fn, void *arg, int *ret_more, struct err *err);
	int (*objects_delete)(struct store *s, int64_t coll, const char *id, unsigned ver_flags,
	    const char *const *vkeys, size_t n_vkeys, const char *const *spec_versions,
	    size_t n_spec, size_t *ret_deleted, struct err *err);
	int (*objects_count)(struct store *s, int64_t coll, int64_t *ret_versions, struct err *err);

	int (*status_put)(struct store *s, const char *id, int64_t coll, const char *json, size_t len, struct err *err);
	int (*status_get)(struct store *s, const char *id, char **ret_json, size_t *ret_len, int64_t *ret_coll, struct err *err);

	int (*user_add)(struct store *s, struct store_user *u, struct err *err);
	int (*user_find)(struct store *s, const char *name, struct store_user *ret, struct err *err);
	int (*user_get)(struct store *s, int64_t rowid, struct store_user *ret, struct err *err);
	int (*user_list)(struct store *s, struct store_user **ret, size_t *ret_n, struct err *err);
	int (*user_remove)(struct store *s, const char *name, struct err *err);
	int (*grant_set)(struct store *s, int64_t user, const struct store_grant *g, struct err *err);
	int (*grant_list)(struct store *s, int64_t user, struct store_grant **ret, size_t *ret_n, struct err *err);
	int (*token_add)(struct store *s, int64_t user, const char *name, const uint8_t hash[32], struct err *err);
	int (*token_find)(struct store *s, const uint8_t hash[32], int64_t *ret_user, struct err *err);
	/*
	 * A counter that changes whenever another connection committed; inside a
	 * read transaction it names that transaction's snapshot.
	 */
	int (*data_version)(struct store *s, int64_t *ret, struct err *err);
	/*
	 * Write-ahead logs: autocheckpoint(s, 0) stops this connection from
	 * checkpointing inside its commits, except to restart a log that grew
	 * past 64 MiB; checkpoint(s), on another connection, copies what it can
	 * of the log into the database without blocking the writer.
	 */
	int (*autocheckpoint)(struct store *s, int pages, struct err *err);
	int (*checkpoint)(struct store *s, struct err *err);
};

struct store {
	const struct store_backend *be;
};

extern const struct store_backend store_sqlite_backend;

/* Opens the backend named by a URL-ish spec; today "sqlite:PATH" or a bare path. */
int store_open(const char *spec, int create, struct store **ret, struct err *err);
void store_close(struct store *s);

#endif
