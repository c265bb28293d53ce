/*
 * A VFS over the platform's default one that writes each commit's WAL
 * frames in a few large writes. SQLite writes a WAL frame as two pwrite(2)
 * calls (its 24-byte header, then the page), so a commit of a thousand
 * dirty pages costs two thousand system calls, and a system call is dear on
 * the virtual machines agencies run on (decision 0009). Here the writes to a
 * WAL file are gathered in a buffer while they follow each other, and the
 * buffer is written out
 *   - as soon as a commit's last frame is in it (a frame header whose
 *     "database size after commit" field is not zero marks that frame),
 *     before SQLite publishes the frames to other connections in the
 *     wal-index, whatever the `synchronous` setting;
 *   - before anything that must see the file as written: a sync, a read, a
 *     size, a truncation, a file control, a write that does not follow,
 *     a full buffer, the close.
 * An error writing the buffer is the error of the write that completed the
 * commit, so SQLite fails that commit as it would have failed on its own.
 *
 * Durability does not change: writes never cross a sync in either
 * direction, as with the kernel's own page cache, and a commit is durable
 * when it was before. Every other file (the database, the wal-index,
 * journals, temporary files) is the default VFS's own file object.
 */
#include "store/sqlite_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* A commit of up to 250 pages of 4 KiB goes out at once; larger ones as the buffer fills. */
#define WAL_BUF_MAX ((size_t)1024 * 1024)
/* The largest write SQLite itself makes (a 64 KiB page), and so what the default VFS takes. */
#define WAL_WRITE_MAX ((size_t)65536)
#define WAL_FRAME_HDR 24

struct wal_file {
	sqlite3_file base;          /* pMethods = &wal_methods */
	sqlite3_file *real;         /* the default VFS's file, in the same allocation */
	unsigned char *buf;         /* allocated at the first write, kept until close */
	sqlite3_int64 off;          /* file offset of buf[0] */
	size_t len;                 /* bytes buffered */
	int commit_next;            /* the last write was a commit frame's header */
};

static sqlite3_vfs shim_vfs;
static sqlite3_vfs *root_vfs;
static pthread_once_t shim_once = PTHREAD_ONCE_INIT;
static int shim_rc = SQLITE_ERROR;

static struct wal_file *
wf(sqlite3_file *f)
{
	return (struct wal_file *)f;
}

static const sqlite3_io_methods *
real_io(struct wal_file *w)
{
	return w->real->pMethods;
}

/* Hands the buffer to the kernel; on error the buffer is dropped, as a failed write would be. */
static int
wal_flush(struct wal_file *w)
{
	size_t at, n;
	int rc = SQLITE_OK;

	for (at = 0; at < w->len && rc == SQLITE_OK; at += n) {
		n = w->len - at < WAL_WRITE_MAX ? w->len - at : WAL_WRITE_MAX;
		rc = real_io(w)->xWrite(w->real, w->buf + at, (int)n, w->off + (sqlite3_int64)at);
	}
	w->len = 0;
	return rc;
}

static int
wal_close(sqlite3_file *f)
{
	struct wal_file *w = wf(f);
	int rc = wal_flush(w), rc2 = real_io(w)->xClose(w->real);

	free(w->buf);
	w->buf = NULL;
	return rc != SQLITE_OK ? rc : rc2;
}

static int
wal_read(sqlite3_file *f, void *p, int n, sqlite3_int64 off)
{
	struct wal_file *w = wf(f);
	int rc = wal_flush(w);

	return rc != SQLITE_OK ? rc : real_io(w)->xRead(w->real, p, n, off);
}

/* Appends to, or rewrites inside, what is buffered; 0 if the write does not fit there. */
static int
wal_buffer(struct wal_file *w, const void *p, size_t n, sqlite3_int64 off)
{
	size_t at;

	if (w->buf == NULL && (w->buf = malloc(WAL_BUF_MAX)) == NULL)
		return 0;
	if (w->len == 0)
		w->off = off;
	if (off < w->off || (size_t)(off - w->off) > w->len || (size_t)(off - w->off) + n > WAL_BUF_MAX)
		return 0;
	at = (size_t)(off - w->off);
	memcpy(w->buf + at, p, n);
	if (at + n > w->len)
		w->len = at + n;
	return 1;
}

static int
wal_write(sqlite3_file *f, const void *p, int n, sqlite3_int64 off)
{
	struct wal_file *w = wf(f);
	const unsigned char *b = p;
	int commit = w->commit_next, rc;

	/* bytes 4-7 of a frame header: the database size after a commit, 0 in other frames */
	w->commit_next = n == WAL_FRAME_HDR && (b[4] | b[5] | b[6] | b[7]) != 0;
	if (!wal_buffer(w, p, (size_t)n, off)) {
		if ((rc = wal_flush(w)) != SQLITE_OK)
			return rc;
		if (!wal_buffer(w, p, (size_t)n, off))
			return real_io(w)->xWrite(w->real, p, n, off);
	}
	return commit ? wal_flush(w) : SQLITE_OK;
}

static int
wal_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	struct wal_file *w = wf(f);
	int rc = wal_flush(w);

	return rc != SQLITE_OK ? rc : real_io(w)->xTruncate(w->real, size);
}

static int
wal_sync(sqlite3_file *f, int flags)
{
	struct wal_file *w = wf(f);
	int rc = wal_flush(w);

	return rc != SQLITE_OK ? rc : real_io(w)->xSync(w->real, flags);
}

static int
wal_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
	struct wal_file *w = wf(f);
	int rc = wal_flush(w);

	return rc != SQLITE_OK ? rc : real_io(w)->xFileSize(w->real, size);
}

static int
wal_lock(sqlite3_file *f, int level)
{
	return real_io(wf(f))->xLock(wf(f)->real, level);
}

static int
wal_unlock(sqlite3_file *f, int level)
{
	return real_io(wf(f))->xUnlock(wf(f)->real, level);
}

static int
wal_check_lock(sqlite3_file *f, int *out)
{
	return real_io(wf(f))->xCheckReservedLock(wf(f)->real, out);
}

static int
wal_file_control(sqlite3_file *f, int op, void *arg)
{
	struct wal_file *w = wf(f);
	int rc = wal_flush(w);

	return rc != SQLITE_OK ? rc : real_io(w)->xFileControl(w->real, op, arg);
}

static int
wal_sector_size(sqlite3_file *f)
{
	return real_io(wf(f))->xSectorSize(wf(f)->real);
}

static int
wal_device_characteristics(sqlite3_file *f)
{
	return real_io(wf(f))->xDeviceCharacteristics(wf(f)->real);
}

/* Version 1: a WAL file has no shared memory and is never memory-mapped. */
static const sqlite3_io_methods wal_methods = {
	.iVersion = 1,
	.xClose = wal_close,
	.xRead = wal_read,
	.xWrite = wal_write,
	.xTruncate = wal_truncate,
	.xSync = wal_sync,
	.xFileSize = wal_file_size,
	.xLock = wal_lock,
	.xUnlock = wal_unlock,
	.xCheckReservedLock = wal_check_lock,
	.xFileControl = wal_file_control,
	.xSectorSize = wal_sector_size,
	.xDeviceCharacteristics = wal_device_characteristics,
};

static int
shim_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *f, int flags, int *out_flags)
{
	struct wal_file *w = wf(f);
	int rc;

	(void)vfs;
	/* Any other file is the default VFS's own object, at the same address. */
	if (!(flags & SQLITE_OPEN_WAL))
		return root_vfs->xOpen(root_vfs, name, f, flags, out_flags);
	memset(w, 0, sizeof(*w));
	w->real = (sqlite3_file *)(w + 1);
	rc = root_vfs->xOpen(root_vfs, name, w->real, flags, out_flags);
	/* SQLite closes a file whose pMethods is set even when xOpen failed; the default VFS cleaned up */
	w->base.pMethods = rc == SQLITE_OK ? &wal_methods : NULL;
	return rc;
}

/* The rest is the default VFS's. */
static int
shim_delete(sqlite3_vfs *v, const char *name, int sync_dir)
{
	(void)v;
	return root_vfs->xDelete(root_vfs, name, sync_dir);
}

static int
shim_access(sqlite3_vfs *v, const char *name, int flags, int *out)
{
	(void)v;
	return root_vfs->xAccess(root_vfs, name, flags, out);
}

static int
shim_full_pathname(sqlite3_vfs *v, const char *name, int n, char *out)
{
	(void)v;
	return root_vfs->xFullPathname(root_vfs, name, n, out);
}

static void *
shim_dl_open(sqlite3_vfs *v, const char *name)
{
	(void)v;
	return root_vfs->xDlOpen(root_vfs, name);
}

static void
shim_dl_error(sqlite3_vfs *v, int n, char *out)
{
	(void)v;
	root_vfs->xDlError(root_vfs, n, out);
}

static void (*shim_dl_sym(sqlite3_vfs *v, void *h, const char *sym))(void)
{
	(void)v;
	return root_vfs->xDlSym(root_vfs, h, sym);
}

static void
shim_dl_close(sqlite3_vfs *v, void *h)
{
	(void)v;
	root_vfs->xDlClose(root_vfs, h);
}

static int
shim_randomness(sqlite3_vfs *v, int n, char *out)
{
	(void)v;
	return root_vfs->xRandomness(root_vfs, n, out);
}

static int
shim_sleep(sqlite3_vfs *v, int us)
{
	(void)v;
	return root_vfs->xSleep(root_vfs, us);
}

static int
shim_current_time(sqlite3_vfs *v, double *out)
{
	(void)v;
	return root_vfs->xCurrentTime(root_vfs, out);
}

static int
shim_last_error(sqlite3_vfs *v, int n, char *out)
{
	(void)v;
	return root_vfs->xGetLastError(root_vfs, n, out);
}

static int
shim_current_time_int64(sqlite3_vfs *v, sqlite3_int64 *out)
{
	(void)v;
	return root_vfs->xCurrentTimeInt64(root_vfs, out);
}

static void
shim_register(void)
{
	root_vfs = sqlite3_vfs_find(NULL);
	if (root_vfs == NULL || root_vfs->iVersion < 2)
		return;
	shim_vfs = (sqlite3_vfs){
		.iVersion = 2,
		.szOsFile = (int)sizeof(struct wal_file) + root_vfs->szOsFile,
		.mxPathname = root_vfs->mxPathname,
		.zName = SQLITE_VFS_NAME,
		.xOpen = shim_open,
		.xDelete = shim_delete,
		.xAccess = shim_access,
		.xFullPathname = shim_full_pathname,
		.xDlOpen = shim_dl_open,
		.xDlError = shim_dl_error,
		.xDlSym = shim_dl_sym,
		.xDlClose = shim_dl_close,
		.xRandomness = shim_randomness,
		.xSleep = shim_sleep,
		.xCurrentTime = shim_current_time,
		.xGetLastError = shim_last_error,
		.xCurrentTimeInt64 = shim_current_time_int64,
	};
	shim_rc = sqlite3_vfs_register(&shim_vfs, 0);
}

const char *
sqlite_vfs_name(void)
{
	pthread_once(&shim_once, shim_register);
	return shim_rc == SQLITE_OK ? SQLITE_VFS_NAME : NULL;
}
