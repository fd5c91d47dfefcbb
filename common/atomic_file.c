#include "atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The temp file to remove if a signal arrives. A fixed buffer, because a
 * signal handler may only call async-signal-safe functions (unlink). */
static char pending_tmp[4096];
static volatile sig_atomic_t pending_set;

static void on_signal(int sig)
{
	if (pending_set)
		unlink(pending_tmp);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void install_handlers(void)
{
	static int installed;
	if (installed)
		return;
	installed = 1;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* A signal the caller chose to ignore (nohup, a background job) stays
	 * ignored: it would not have stopped us anyway. */
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE };
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct sigaction old;
		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
			sigaction(sigs[i], &sa, NULL);
	}
}

int sg_atomic_open(struct sg_atomic_file *f, const char *path, struct sg_err *err)
{
	memset(f, 0, sizeof(*f));
	f->fd = -1;
	size_t n = strlen(path);
	if (n + 16 >= sizeof(pending_tmp))
		return sg_errf(err, SG_EINPUT, "%s: path too long", path);
	f->path = strdup(path);
	f->tmp_path = malloc(n + 16);
	if (!f->path || !f->tmp_path) {
		free(f->path);
		free(f->tmp_path);
		f->path = f->tmp_path = NULL;
		return sg_errf(err, SG_EENV, "%s: out of memory", path);
	}
	snprintf(f->tmp_path, n + 16, "%s.tmp-XXXXXX", path);
	install_handlers();
	/* Block signals while the temp file exists but is not yet registered. */
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	f->fd = mkstemp(f->tmp_path);
	if (f->fd >= 0) {
		memcpy(pending_tmp, f->tmp_path, strlen(f->tmp_path) + 1);
		pending_set = 1;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (f->fd < 0) {
		int e = errno;
		free(f->path);
		free(f->tmp_path);
		f->path = f->tmp_path = NULL;
		return sg_errf(err, SG_EENV, "%s: cannot create: %s", path, strerror(e));
	}
	fchmod(f->fd, 0644);
	return SG_OK;
}

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

static void fsync_parent_dir(const char *path)
{
	char *copy = strdup(path);
	if (!copy)
		return;
	int dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	free(copy);
}

static void release(struct sg_atomic_file *f)
{
	pending_set = 0;
	free(f->path);
	free(f->tmp_path);
	f->path = f->tmp_path = NULL;
	f->fd = -1;
}

int sg_atomic_commit(struct sg_atomic_file *f, struct sg_err *err)
{
	if (fsync(f->fd) != 0 || close(f->fd) != 0) {
		int e = errno;
		f->fd = -1;
		unlink(f->tmp_path);
		sg_errf(err, SG_EENV, "%s: cannot write: %s", f->path, strerror(e));
		release(f);
		return SG_EENV;
	}
	f->fd = -1;
	if (rename(f->tmp_path, f->path) != 0) {
		int e = errno;
		unlink(f->tmp_path);
		sg_errf(err, SG_EENV, "%s: cannot rename into place: %s", f->path, strerror(e));
		release(f);
		return SG_EENV;
	}
	fsync_parent_dir(f->path);
	release(f);
	return SG_OK;
}

void sg_atomic_abort(struct sg_atomic_file *f)
{
	if (!f->tmp_path)
		return;
	if (f->fd >= 0)
		close(f->fd);
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
