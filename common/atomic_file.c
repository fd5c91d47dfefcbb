#include "signet/atomic_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TMP_TAG ".signet-tmp-"
#define TMP_RAND 6

/* ---- named temps that a signal handler must remove
 *
 * Fixed buffers, because a handler may only call async-signal-safe
 * functions. A slot is claimed (1), filled, then armed (2); the handler
 * unlinks armed slots only. With no free slot a named temp still works; only
 * its removal on a signal is left to the next run's sweep. */
#define SLOTS 64
static struct {
	atomic_int state; /* 0 free, 1 being filled, 2 armed */
	char path[PATH_MAX];
} slots[SLOTS];

static int slot_arm(const char *path)
{
	for (int i = 0; i < SLOTS; i++) {
		int expect = 0;
		if (atomic_compare_exchange_strong(&slots[i].state, &expect, 1)) {
			memcpy(slots[i].path, path, strlen(path) + 1);
			atomic_store(&slots[i].state, 2);
			return i;
		}
	}
	return -1;
}

static void slot_release(int i)
{
	if (i >= 0)
		atomic_store(&slots[i].state, 0);
}

void sg_atomic_signal_cleanup(void)
{
	for (int i = 0; i < SLOTS; i++)
		if (atomic_load(&slots[i].state) == 2)
			unlink(slots[i].path);
}

/* ---- names */

static void random_suffix(char out[TMP_RAND + 1])
{
	static const char set[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	static atomic_uint counter;
	unsigned char r[TMP_RAND];
	if (getrandom(r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r)) {
		unsigned v = atomic_fetch_add(&counter, 1) ^ (unsigned)time(NULL);
		for (int i = 0; i < TMP_RAND; i++, v = v * 1103515245u + 12345u)
			r[i] = (unsigned char)(v >> 16);
	}
	for (int i = 0; i < TMP_RAND; i++)
		out[i] = set[r[i] % (sizeof(set) - 1)];
	out[TMP_RAND] = 0;
}

/* dir gets the directory part of path ("." when there is none), base the
 * rest. 0, or -1 when path ends in '/' (no file name). */
static int split_path(const char *path, char dir[PATH_MAX], const char **base)
{
	const char *slash = strrchr(path, '/');
	*base = slash ? slash + 1 : path;
	if (!**base)
		return -1;
	if (!slash)
		strcpy(dir, ".");
	else if (slash == path)
		strcpy(dir, "/");
	else
		snprintf(dir, PATH_MAX, "%.*s", (int)(slash - path), path);
	return 0;
}

/* A fresh `DIR/.BASE.signet-tmp-PID-XXXXXX` for path (sg_atomic_open
 * checked that it fits). */
static void temp_name(const char *path, char out[PATH_MAX])
{
	char dir[PATH_MAX], rnd[TMP_RAND + 1];
	const char *base;
	split_path(path, dir, &base);
	random_suffix(rnd);
	int n = snprintf(out, PATH_MAX, "%s/.%s" TMP_TAG "%ld-%s", dir, base, (long)getpid(),
			 rnd);
	if (n < 0 || n >= PATH_MAX)
		out[0] = 0; /* cannot happen; an empty name fails to open */
}

/* The PID in a temp name of ours, or 0 when name is not one. */
static long temp_owner(const char *name)
{
	if (name[0] != '.')
		return 0;
	const char *tag = NULL;
	for (const char *p = name; (p = strstr(p, TMP_TAG)) != NULL; p++)
		tag = p;
	if (!tag)
		return 0;
	const char *p = tag + strlen(TMP_TAG);
	long pid = 0;
	for (; *p >= '0' && *p <= '9' && pid < INT_MAX / 10; p++)
		pid = pid * 10 + (*p - '0');
	if (pid <= 0 || *p != '-' || strlen(p + 1) != TMP_RAND)
		return 0;
	return pid;
}

/* ---- the sweep of stale named temps */

struct swept {
	struct swept *next;
	char dir[];
};
static struct swept *swept_dirs;
static pthread_mutex_t swept_lock = PTHREAD_MUTEX_INITIALIZER;

/* Removes the named temps in dir whose process is gone (killed before it
 * could clean up). Only regular files of our own user: nothing a planted
 * link points at, nothing of another user's. A PID only means something on
 * this machine and in this PID namespace: directories shared between hosts
 * or containers may see a live run's temp removed, which makes that run fail
 * cleanly, never publish a wrong file. */
static void sweep_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	long me = (long)getpid();
	uid_t uid = geteuid();
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		long pid = temp_owner(e->d_name);
		if (pid == 0 || pid == me || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		struct stat st;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode) && st.st_uid == uid)
			unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
}

static void sweep_once(const char *dir)
{
	pthread_mutex_lock(&swept_lock);
	struct swept *s = swept_dirs;
	while (s && strcmp(s->dir, dir) != 0)
		s = s->next;
	if (!s && (s = malloc(sizeof(*s) + strlen(dir) + 1)) != NULL) {
		strcpy(s->dir, dir);
		s->next = swept_dirs;
		swept_dirs = s;
		sweep_dir(dir);
	}
	pthread_mutex_unlock(&swept_lock);
}

/* ---- open */

static int open_named(struct sg_atomic_file *f)
{
	char tmp[PATH_MAX];
	for (int tries = 0; tries < 100; tries++) {
		temp_name(f->path, tmp);
		int slot = slot_arm(tmp); /* armed first: a signal after open finds it */
		int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
		if (fd >= 0) {
			f->tmp_path = strdup(tmp);
			if (!f->tmp_path) {
				unlink(tmp);
				close(fd);
				slot_release(slot);
				errno = ENOMEM;
				return -1;
			}
			f->slot = slot;
			return fd;
		}
		int e = errno;
		slot_release(slot);
		if (e != EEXIST) {
			errno = e;
			return -1;
		}
	}
	errno = EEXIST;
	return -1;
}

int sg_atomic_open(struct sg_atomic_file *f, const char *path, struct sg_err *err)
{
	memset(f, 0, sizeof(*f));
	f->fd = -1;
	f->slot = -1;
	char dir[PATH_MAX];
	const char *base;
	if (strlen(path) + strlen(TMP_TAG) + 32 >= PATH_MAX)
		return sg_errf(err, SG_EINPUT, "%s: path too long", path);
	if (split_path(path, dir, &base) != 0)
		return sg_errf(err, SG_EINPUT, "%s: names a directory, not a file", path);
	if (!(f->path = strdup(path)))
		return sg_errf(err, SG_EENV, "%s: out of memory", path);
	struct stat old;
	bool replaces = lstat(path, &old) == 0 && S_ISREG(old.st_mode);
	sweep_once(dir);
#ifndef SG_ATOMIC_TEST_NAMED
	int fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
#else /* tests of the named path, on a file system that has O_TMPFILE */
	int fd = -1;
	errno = EOPNOTSUPP;
#endif
	if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL))
		fd = open_named(f); /* no O_TMPFILE on this file system */
	if (fd < 0) {
		int e = errno;
		free(f->path);
		f->path = NULL;
		return sg_errf(err, SG_EENV, "%s: cannot create: %s", path, strerror(e));
	}
	/* The umask shaped a new file's mode; an overwritten one keeps its own
	 * (as cp does), without set-id bits. */
	if (replaces)
		fchmod(fd, old.st_mode & 0777);
	f->fd = fd;
	f->live = true;
	return SG_OK;
}

/* ---- write */

int sg_atomic_pwrite(struct sg_atomic_file *f, const void *buf, size_t len, long long off,
		     struct sg_err *err)
{
	const unsigned char *p = buf;
	while (len) {
		ssize_t w = pwrite(f->fd, p, len, (off_t)off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return sg_errf(err, SG_EENV, "%s: write failed: %s", f->path,
				       w < 0 ? strerror(errno) : "no progress");
		p += w;
		len -= (size_t)w;
		off += w;
	}
	return SG_OK;
}

int sg_atomic_write(struct sg_atomic_file *f, const void *buf, size_t len, struct sg_err *err)
{
	const unsigned char *p = buf;
	while (len) {
		ssize_t w = write(f->fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return sg_errf(err, SG_EENV, "%s: write failed: %s", f->path,
				       w < 0 ? strerror(errno) : "no progress");
		p += w;
		len -= (size_t)w;
	}
	return SG_OK;
}

void sg_atomic_start_writeback(struct sg_atomic_file *f, long long off, size_t len)
{
	sync_file_range(f->fd, (off_t)off, (off_t)len, SYNC_FILE_RANGE_WRITE);
}

/* ---- publish */

/* Gives the unnamed temp the name to (which must not exist yet). */
static int link_unnamed(int fd, const char *to)
{
	char proc[64];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (linkat(AT_FDCWD, proc, AT_FDCWD, to, AT_SYMLINK_FOLLOW) == 0)
		return 0;
	if (errno != ENOENT)
		return -1;
	/* No /proc: the direct form (needs CAP_DAC_READ_SEARCH). */
	return linkat(fd, "", AT_FDCWD, to, AT_EMPTY_PATH);
}

/* Replacing needs a rename, and a rename needs a name: the unnamed temp
 * gets a named one for the moment between link and rename. */
static int replace_with_unnamed(struct sg_atomic_file *f)
{
	char tmp[PATH_MAX];
	int slot = -1, rc = -1;
	for (int tries = 0; tries < 100; tries++) {
		temp_name(f->path, tmp);
		slot = slot_arm(tmp);
		rc = link_unnamed(f->fd, tmp);
		if (rc == 0 || errno != EEXIST)
			break;
		slot_release(slot);
		slot = -1;
	}
	if (rc == 0 && (rc = rename(tmp, f->path)) != 0) {
		int e = errno;
		unlink(tmp);
		errno = e;
	}
	slot_release(slot);
	return rc;
}

static int publish_named(struct sg_atomic_file *f)
{
	if (rename(f->tmp_path, f->path) == 0)
		return 0;
	int e = errno;
	unlink(f->tmp_path);
	errno = e;
	return -1;
}

static void release(struct sg_atomic_file *f)
{
	slot_release(f->slot);
	free(f->path);
	free(f->tmp_path);
	f->path = f->tmp_path = NULL;
	f->slot = -1;
	f->fd = -1;
	f->live = false;
}

int sg_atomic_finish(struct sg_atomic_file *f, unsigned flags, struct sg_err *err)
{
	if (!f->live)
		return sg_errf(err, SG_EENV, "atomic file: finished when not open");
	int rc = SG_OK;
	if (!(flags & SG_ATOMIC_NO_FSYNC) && fsync(f->fd) != 0) {
		rc = sg_errf(err, SG_EENV, "%s: cannot write: %s", f->path, strerror(errno));
		sg_atomic_abort(f);
		return rc;
	}
	if ((f->tmp_path ? publish_named(f) : replace_with_unnamed(f)) != 0)
		rc = sg_errf(err, SG_EENV, "%s: cannot put into place: %s", f->path,
			     strerror(errno));
	close(f->fd);
	if (rc == SG_OK && !(flags & SG_ATOMIC_NO_DIRSYNC))
		sg_fsync_dir(f->path, NULL); /* the file is in place: best effort */
	release(f);
	return rc;
}

int sg_atomic_commit(struct sg_atomic_file *f, struct sg_err *err)
{
	return sg_atomic_finish(f, 0, err);
}

void sg_atomic_abort(struct sg_atomic_file *f)
{
	if (!f->live)
		return;
	if (f->fd >= 0)
		close(f->fd);
	if (f->tmp_path)
		unlink(f->tmp_path);
	release(f);
}

int sg_write_file_atomic(const char *path, const void *buf, size_t len, struct sg_err *err)
{
	struct sg_atomic_file f;
	int rc = sg_atomic_open(&f, path, err);
	if (rc)
		return rc;
	rc = sg_atomic_write(&f, buf, len, err);
	if (rc) {
		sg_atomic_abort(&f);
		return rc;
	}
	return sg_atomic_commit(&f, err);
}

int sg_fsync_dir(const char *path, struct sg_err *err)
{
	char dir[PATH_MAX];
	const char *base;
	if (strlen(path) >= PATH_MAX || split_path(path, dir, &base) != 0)
		return sg_errf(err, SG_EINPUT, "%s: not a file name", path);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) != 0) {
		int e = errno;
		if (dfd >= 0)
			close(dfd);
		return sg_errf(err, SG_EENV, "%s: cannot sync the directory: %s", dir, strerror(e));
	}
	close(dfd);
	return SG_OK;
}
