/*
 * Agreement files (<home>/agreements/<partner>.conf) and what changes when
 * one changes: the link's terms, the agreement's hash in the partner's row
 * and a leaf of the ledger saying which agreement this node now holds.
 * The daemon is the only one that logs it: the CLI writes the file and
 * wakes the daemon.
 */
#include "exchange/exchange_int.h"
#include "util/be.h"
#include "util/enc.h"
#include "util/err.h"
#include "util/ts.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
exchange_agreement_path(const char *dir, const char *partner, char out[static 512])
{
	if ((size_t)snprintf(out, 512, "%s/%s.conf", dir, partner) >= 512)
		return -LSN_ETOOBIG;
	return 0;
}

int
exchange_agreement_load(const char *dir, const char *self, const char *partner,
    struct agreement *ret, int *ret_exists, struct err *err)
{
	char path[512], *text;
	FILE *f;
	size_t len;
	int r;

	if (exchange_agreement_path(dir, partner, path) < 0)
		return err_set(err, LSN_ETOOBIG, "the agreements folder's path is too long");
	if ((f = fopen(path, "r")) == NULL) {
		if (errno != ENOENT)
			return err_set(err, LSN_EIO, "cannot read %s: %s", path, strerror(errno));
		agreement_default(ret, self, partner);
		*ret_exists = 0;
		return 0;
	}
	if ((text = malloc(AGR_TEXT_MAX + 1)) == NULL) {
		fclose(f);
		return err_set(err, LSN_ENOMEM, "out of memory");
	}
	len = fread(text, 1, AGR_TEXT_MAX + 1, f);
	fclose(f);
	if (len > AGR_TEXT_MAX)
		r = err_set(err, LSN_ETOOBIG, "%s is larger than %d bytes", path, AGR_TEXT_MAX);
	else if ((r = agreement_parse(text, len, ret, err)) < 0)
		err_prefix(err, "%s: ", path);
	else if (agreement_dir(ret, self) == NULL || agreement_dir(ret, partner) == NULL)
		r = err_set(err, LSN_EINVAL, "%s is not an agreement between %s and %s", path, self,
		    partner);
	free(text);
	if (r == 0)
		*ret_exists = 1;
	return r;
}

int
exchange_agreement_save(const char *dir, const char *partner, const struct agreement *g,
    struct err *err)
{
	char path[512], tmp[540], *text;
	size_t len;
	int fd, r;

	if (exchange_agreement_path(dir, partner, path) < 0)
		return err_set(err, LSN_ETOOBIG, "the agreements folder's path is too long");
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return err_set(err, LSN_EIO, "cannot create %s: %s", dir, strerror(errno));
	if ((text = malloc(AGR_TEXT_MAX)) == NULL)
		return err_set(err, LSN_ENOMEM, "out of memory");
	if ((r = agreement_format(g, text, AGR_TEXT_MAX, &len, err)) < 0)
		goto out;
	/* a new file renamed over the old one: a reader sees one whole agreement or the other */
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len || fsync(fd) < 0) {
		r = err_set(err, LSN_EIO, "cannot write %s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		goto out;
	}
	close(fd);
	if (rename(tmp, path) < 0)
		r = err_set(err, LSN_EIO, "cannot rename %s: %s", tmp, strerror(errno));
out:
	free(text);
	return r;
}

void
exchange_agreement_entry(const uint8_t partner_key_id[static 32], const uint8_t hash[static 32],
    int64_t time_us, uint8_t out[static AGR_ENTRY_LEN])
{
	memcpy(out, LEDGER_ENTRY_MAGIC, 4);
	out[4] = LEDGER_ENTRY_AGREEMENT;
	out[5] = 0;
	be16_put(out + 6, 0);
	be64_put(out + 8, (uint64_t)time_us);
	memcpy(out + 16, partner_key_id, 32);
	memcpy(out + 48, hash, 32);
}

/* ---- the link's terms ---- */

struct agr_job {
	struct writer_job job;
	struct exchange *ex;
	int64_t partner;
	uint8_t key_id[32], hash[32];
	char name[STORE_NAME_MAX + 1];
};

/* Records the agreement now held: its hash on the partner's row and a leaf of the ledger. */
static int
agr_run(struct store *s, struct writer_job *job)
{
	struct agr_job *j = (struct agr_job *)job;
	struct store_partner p;
	uint8_t entry[AGR_ENTRY_LEN];
	uint64_t leaf;
	int r;

	if ((r = store_partner_get(s, j->partner, &p, &job->err)) < 0)
		return r;
	if (p.has_agreement && memcmp(p.agreement, j->hash, 32) == 0)
		return 0;
	exchange_agreement_entry(j->key_id, j->hash, clock_now_us(), entry);
	if ((r = ledger_append(s, entry, sizeof(entry), &leaf, &job->err)) < 0)
		return r;
	return store_partner_set_agreement(s, j->partner, 0, j->hash, &job->err);
}

static void
agr_done(struct writer_job *job, int rc)
{
	struct agr_job *j = (struct agr_job *)job;
	struct exchange *ex;
	char hex[65];

	hex_encode(j->hash, 32, hex);
	if (rc < 0)
		ex_log_msg(j->ex, "agreement_failed", j->name, job->err.msg);
	else
		ex_log(j->ex, "agreement", "\"partner\":\"%s\",\"sha256\":\"%s\"", j->name, hex);
	ex = j->ex;
	free(j);
	ex_async_finished(ex);
}

/*
 * Reads the link's agreement file again when it changed (or for the first
 * time): the packer and the inbox take the new terms from their next
 * round, and a writer job records the hash. Loop thread.
 */
/* The default terms name the collections already shared with the partner. */
static void
default_shares(struct link *l, struct store *rd, struct agreement *g)
{
	struct store_share *sh = NULL;
	struct store_collection *cs = NULL;
	struct err err = ERR_INIT;
	char list[AGR_LIST_MAX * AGR_ITEM_MAX] = "";
	size_t i, j, nsh = 0, ncs = 0, len = 0;

	if (rd == NULL || store_share_list(rd, l->p.rowid, &sh, &nsh, &err) < 0 ||
	    store_coll_list(rd, &cs, &ncs, &err) < 0)
		goto out;
	for (i = 0; i < nsh; i++)
		for (j = 0; j < ncs; j++)
			if (cs[j].rowid == sh[i].coll && len < sizeof(list))
				len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
				    len ? "," : "", cs[j].title);
	if (len > 0 && len < sizeof(list))
		agreement_set(g, l->ex->cfg.node_name, "out.collections", list, &err);
out:
	free(sh);
	free(cs);
}

void
ex_link_agreement(struct link *l, struct store *rd)
{
	struct exchange *ex = l->ex;
	struct agreement g;
	struct err err = ERR_INIT;
	struct agr_job *j;
	struct stat st;
	char path[512];
	uint8_t hash[32];
	int64_t mtime = 0;
	int exists = 0;

	if (exchange_agreement_path(ex->cfg.agreements_dir, l->p.name, path) == 0 &&
	    stat(path, &st) == 0)
		mtime = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	if (l->agr_loaded && mtime == l->agr_mtime)
		return;
	l->agr_mtime = mtime;
	l->agr_loaded = 1;
	if (exchange_agreement_load(ex->cfg.agreements_dir, ex->cfg.node_name, l->p.name, &g,
	    &exists, &err) < 0) {
		/* the terms in force stay: a broken file never opens the border */
		ex_log_msg(ex, "agreement_invalid", l->p.name, err.msg);
		return;
	}
	/* a partner paired before agreements existed gets the default terms, written down */
	if (!exists)
		default_shares(l, rd, &g);
	if (!exists && exchange_agreement_save(ex->cfg.agreements_dir, l->p.name, &g, &err) == 0 &&
	    stat(path, &st) == 0)
		l->agr_mtime = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	if (agreement_hash(&g, hash, &err) < 0) {
		ex_log_msg(ex, "agreement_invalid", l->p.name, err.msg);
		return;
	}
	pthread_mutex_lock(&l->mu);
	l->agr = g;
	memcpy(l->agr_hash, hash, 32);
	l->agr_changed = 1;
	pthread_cond_broadcast(&l->cv);
	pthread_mutex_unlock(&l->mu);
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return;
	j->ex = ex;
	j->partner = l->p.rowid;
	memcpy(j->key_id, l->p.key_id, 32);
	memcpy(j->hash, l->agr_hash, 32);
	snprintf(j->name, sizeof(j->name), "%s", l->p.name);
	j->job.run = agr_run;
	j->job.done = agr_done;
	j->job.weight = 1;
	ex_async_submit(ex, &j->job);
}

int
ex_record_refusals(struct store *s, int64_t partner, int dir, const struct ex_refusal *rf,
    size_t n, struct err *err)
{
	struct store_policy_entry e = { 0 };
	size_t i;
	int r;

	e.time_us = clock_now_us();
	e.partner = partner;
	e.dir = dir;
	for (i = 0; i < n; i++) {
		e.object = rf[i].id;
		e.version = rf[i].version;
		e.rule = policy_rule_name(rf[i].rule);
		e.reason = rf[i].reason;
		if ((r = store_policy_log_add(s, &e, err)) < 0)
			return r;
	}
	return 0;
}
