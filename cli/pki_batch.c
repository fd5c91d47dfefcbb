/* Batch issuance: one token login, one CA, one database for a whole
 * directory of CSRs, certificates grouped GROUP to a transaction.
 *
 * A certificate exists only if it is on record, as for a single issue:
 * within a group each certificate is issued in its own savepoint and
 * written to a temp file beside its output; then the temp files are
 * flushed (one syncfs), the transaction commits, and only then are they
 * renamed into place. A refused CSR rolls back its savepoint alone. A
 * failure before the commit removes the group's temp files and records
 * nothing of it. SIGINT/SIGTERM/SIGHUP are held while a group is in
 * flight, so an interrupt lands between groups, never inside one. */

#include "pki_batch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "cli.h"
#include "fileio.h"

/* Large enough that the commit's fsync is noise, small enough that an
 * interrupt waits a fraction of a second. */
#define GROUP 256
#define NAME_MAX_LEN 200

struct pending {
	char tmp[NAME_MAX_LEN + 32], out[NAME_MAX_LEN + 8];
};

struct group {
	const struct pki_batch *b;
	int dirfd;
	struct pending *p;
	int np;
	int worst;     /* worst status of a refused CSR */
	unsigned issued;
};

static int is_csr(const struct dirent *d)
{
	size_t n = strlen(d->d_name);
	return n > 4 && n - 4 <= NAME_MAX_LEN && !strcmp(d->d_name + n - 4, ".csr") &&
	       d->d_name[0] != '.';
}

/* The certificate as PEM into a new temp file in the output directory. */
static int write_tmp(struct group *g, X509 *x, const char *stem, struct sg_err *err)
{
	struct pending *p = &g->p[g->np];
	snprintf(p->out, sizeof(p->out), "%s.pem", stem);
	snprintf(p->tmp, sizeof(p->tmp), ".%s.pem.tmp-%ld", stem, (long)getpid());
	BIO *mem = BIO_new(BIO_s_mem());
	char *pem;
	long n = mem && PEM_write_bio_X509(mem, x) ? BIO_get_mem_data(mem, &pem) : 0;
	int fd = n > 0 ? openat(g->dirfd, p->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)
		       : -1;
	bool ok = fd >= 0 && write(fd, pem, (size_t)n) == n;
	int e = errno;
	if (fd >= 0 && close(fd) != 0)
		ok = false;
	BIO_free(mem);
	if (ok) {
		g->np++;
		return SG_OK;
	}
	if (fd >= 0)
		unlinkat(g->dirfd, p->tmp, 0);
	return sg_errf(err, SG_EENV, "%s/%s: cannot write: %s", g->b->out_dir, p->tmp, strerror(e));
}

/* One CSR: key (proof of possession), issue in a savepoint, temp file. */
static int one(struct group *g, const char *name, struct sg_err *err)
{
	const struct pki_batch *b = g->b;
	char path[4096], stem[NAME_MAX_LEN + 1];
	snprintf(path, sizeof(path), "%s/%s", b->csr_dir, name);
	snprintf(stem, sizeof(stem), "%.*s", (int)(strlen(name) - 4), name);
	uint8_t *buf;
	size_t len;
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	int rc = sg_read_file(path, 1 << 20, &buf, &len, err);
	if (rc)
		return rc;
	rc = sg_pki_csr_key(buf, len, path, &key, err);
	free(buf);
	if (rc)
		return rc;
	struct sg_pki_subject s = b->s;
	s.key = key;
	if (s.profile == SG_PROF_IDEVID)
		s.device_serial = stem;
	struct sg_pki_issue_opts o = { .db = b->db, .reissue = b->reissue, .batch = b->db != NULL };
	struct sg_err why = { 0 };
	if ((rc = sg_pki_issue(b->ca, &s, &o, &x, &why)))
		sg_errf(err, rc, "%s: %s", path, why.msg);
	else
		rc = write_tmp(g, x, stem, err);
	X509_free(x);
	EVP_PKEY_free(key);
	return rc;
}

static void drop_tmps(struct group *g)
{
	for (int i = 0; i < g->np; i++)
		unlinkat(g->dirfd, g->p[i].tmp, 0);
	g->np = 0;
}

/* Temp files on disk, then the commit, then the renames. */
static int finish_group(struct group *g, struct sg_err *err)
{
	const struct pki_batch *b = g->b;
	if (g->np && syncfs(g->dirfd) != 0) {
		drop_tmps(g);
		return sg_errf(err, SG_EENV, "%s: cannot flush: %s", b->out_dir, strerror(errno));
	}
	int rc = b->db ? sg_pki_db_commit(b->db, err) : SG_OK;
	if (rc) {
		drop_tmps(g);
		return rc;
	}
	for (int i = 0; i < g->np; i++) {
		if (renameat(g->dirfd, g->p[i].tmp, g->dirfd, g->p[i].out) != 0) {
			rc = sg_errf(err, SG_EENV, "%s/%s: recorded in the database but cannot be "
				     "renamed into place: %s", b->out_dir, g->p[i].out, strerror(errno));
			unlinkat(g->dirfd, g->p[i].tmp, 0);
			continue;
		}
		g->issued++;
	}
	g->np = 0;
	fsync(g->dirfd);
	return rc;
}

static int run_group(struct group *g, struct dirent **names, int from, int to,
		     struct sg_err *err)
{
	int rc = g->b->db ? sg_pki_db_begin(g->b->db, err) : SG_OK;
	for (int i = from; rc == SG_OK && i < to; i++) {
		struct sg_err e = { 0 };
		int r = one(g, names[i]->d_name, &e);
		if (r == SG_EENV || r == SG_OK) {
			rc = r;
			*err = e;
		} else { /* refused or malformed: this CSR only */
			cli_report(&e);
			g->worst = r > g->worst ? r : g->worst;
		}
	}
	if (rc == SG_OK)
		return finish_group(g, err);
	drop_tmps(g);
	if (g->b->db)
		sg_pki_db_rollback(g->b->db);
	return rc;
}

static int run_all(struct group *g, struct dirent **names, int n, struct sg_err *err)
{
	sigset_t hold, old;
	sigemptyset(&hold);
	sigaddset(&hold, SIGINT);
	sigaddset(&hold, SIGTERM);
	sigaddset(&hold, SIGHUP);
	int rc = SG_OK;
	for (int i = 0; rc == SG_OK && i < n; i += GROUP) {
		sigprocmask(SIG_BLOCK, &hold, &old);
		rc = run_group(g, names, i, i + GROUP < n ? i + GROUP : n, err);
		sigprocmask(SIG_SETMASK, &old, NULL); /* a held signal lands here */
	}
	return rc;
}

int pki_batch_run(const struct pki_batch *b)
{
	struct sg_err err = { 0 };
	struct dirent **names = NULL;
	int n = scandir(b->csr_dir, &names, is_csr, alphasort);
	if (n < 0) {
		sg_errf(&err, SG_EENV, "%s: cannot list: %s", b->csr_dir, strerror(errno));
		return cli_report(&err);
	}
	struct group g = { .b = b, .dirfd = open(b->out_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC),
			   .p = calloc(GROUP, sizeof(struct pending)) };
	int rc;
	bool started = false;
	if (n == 0)
		rc = sg_errf(&err, SG_EINPUT, "%s: no *.csr files", b->csr_dir);
	else if (g.dirfd < 0)
		rc = sg_errf(&err, SG_EENV, "%s: not a directory we can write: %s", b->out_dir,
			     strerror(errno));
	else if (!g.p)
		rc = sg_errf(&err, SG_EENV, "out of memory");
	else {
		started = true;
		rc = run_all(&g, names, n, &err);
	}
	if (rc)
		cli_report(&err);
	if (started)
		fprintf(stderr, "signet: issued %u of %d certificate(s) into %s\n", g.issued, n,
			b->out_dir);
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(g.p);
	if (g.dirfd >= 0)
		close(g.dirfd);
	return rc ? rc : g.worst;
}
