/* Batch issuance: one token login, one database for a whole list of
 * CSRs, certificates grouped GROUP to a transaction, signed on several
 * threads.
 *
 * A group goes through the three steps of sg_pki_issue (pki.h):
 *   1. reserve, on the main thread (it owns the database): the
 *      one-live-certificate check and a fresh serial for every CSR;
 *   2. sign, on every signer thread at once, each with its own token
 *      session: read the CSR, check it, build, lint, sign, and write the
 *      certificate to an atomic file (a temp created exclusively: unnamed,
 *      or named with O_EXCL|O_NOFOLLOW, so no planted link is followed);
 *   3. record, on the main thread, in name order: each insert in its own
 *      savepoint, so a refusal drops that certificate alone.
 * Then the temp files are flushed (one syncfs), the transaction commits,
 * and only then are they put in place: a certificate exists only if it is
 * on record. A token, database or I/O failure drops the group's temp files
 * and records nothing of it. Signals are not held: SIGINT or SIGTERM end
 * the process at once (the CLI's handler removes named temps), SQLite's journal
 * undoes the group in flight and the kernel drops its lock. A run ended
 * between a commit and the renames leaves records without files; the next
 * run over the same CSRs writes those certificates again from the database
 * (take_on_record). */

#include "signet/pki_batch.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "signet/atomic_file.h"
#include "signet/fileio.h"

/* Large enough that the commit's fsync is noise, small enough that an
 * interrupt waits a fraction of a second. */
#define GROUP 256
#define NAME_MAX_LEN 200

/* One CSR of a group. */
struct job {
	const struct sg_pki_batch_item *item;
	char out[NAME_MAX_LEN + 8];    /* DEVICE.pem */
	uint8_t serial[16];
	int rc;                        /* SG_OK while the CSR is still going */
	struct sg_err err;             /* why not, naming the CSR */
	X509 *cert;
	bool again;                    /* cert is the device's, on record already:
					* written again if the CSR holds its key,
					* else refused with err (take_on_record) */
	struct sg_atomic_file f;       /* the output, until put in place */
};

struct run {
	const struct sg_pki_batch *b;
	int dirfd;
	struct sg_pki_ca *cas[SG_PKI_BATCH_SIGNERS_MAX]; /* one per signer; cas[0] the caller's */
	int ncas;
	struct job jobs[GROUP];
	int njobs;
	int nfinal;       /* jobs[0..nfinal) are decided: reported */
	atomic_int next;  /* the next job a signer takes */
	atomic_bool stop; /* a signer failed for good: the others stop */
	struct sg_pki_batch_stats *st;
};

static struct sg_pki_subject subject_of(const struct run *r, const struct job *j)
{
	struct sg_pki_subject s = r->b->s;
	if (s.profile == SG_PROF_IDEVID)
		s.device_serial = j->item->device;
	return s;
}

/* The certificate as PEM into a new atomic file for OUT/NAME.pem. */
static int write_tmp(struct run *r, struct job *j, struct sg_err *err)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", r->b->out_dir, j->out);
	BIO *mem = BIO_new(BIO_s_mem());
	char *pem;
	long n = mem && PEM_write_bio_X509(mem, j->cert) ? BIO_get_mem_data(mem, &pem) : 0;
	int rc = n > 0 ? sg_atomic_open(&j->f, path, err)
		       : sg_errf(err, SG_EENV, "%s: cannot encode PEM", path);
	if (rc == SG_OK && (rc = sg_atomic_write(&j->f, pem, (size_t)n, err)))
		sg_atomic_abort(&j->f);
	BIO_free(mem);
	return rc;
}

/* Step 2 for a CSR whose device's certificate is on record: its file is
 * written again if the CSR holds the certified key; otherwise the CSR
 * stays refused as reserve found it. */
static int write_again(struct run *r, struct job *j, X509_PUBKEY *spki)
{
	if (X509_PUBKEY_eq(X509_get_X509_PUBKEY(j->cert), spki) != 1)
		return j->err.status;
	j->err = (struct sg_err){ 0 };
	return write_tmp(r, j, &j->err);
}

/* Step 2 for one CSR: its key (proof of possession), the certificate, the
 * temp file. */
static void sign_job(struct run *r, struct sg_pki_ca *ca, struct job *j)
{
	const char *path = j->item->csr_path;
	uint8_t *buf = NULL;
	size_t len = j->item->csr_len;
	X509_PUBKEY *spki = NULL;
	struct sg_err why = { 0 };
	struct sg_err *err = j->again ? &why : &j->err; /* keep the refusal in j->err */
	int rc = j->item->csr ? SG_OK : sg_read_file(path, 1 << 20, &buf, &len, err);
	if (rc == SG_OK) {
		rc = sg_pki_csr_key(buf ? buf : j->item->csr, len, path, &spki, err);
		free(buf);
	}
	if (rc && j->again) {
		j->err = why;
	} else if (rc == SG_OK && j->again) {
		rc = write_again(r, j, spki);
	} else if (rc == SG_OK) {
		struct sg_pki_subject s = subject_of(r, j);
		s.key = X509_PUBKEY_get0(spki);
		s.spki = spki;
		if ((rc = sg_pki_issue_sign(ca, &s, j->serial, &j->cert, &why)))
			sg_errf_param(&j->err, rc, why.param, "%s: %s", path, why.msg);
		else
			rc = write_tmp(r, j, &j->err);
	}
	X509_PUBKEY_free(spki);
	j->rc = rc;
	if (rc == SG_EENV)
		atomic_store(&r->stop, true);
}

static void sign_jobs(struct run *r, struct sg_pki_ca *ca)
{
	int i;
	while (!atomic_load(&r->stop) && (i = atomic_fetch_add(&r->next, 1)) < r->njobs)
		if (r->jobs[i].rc == SG_OK)
			sign_job(r, ca, &r->jobs[i]);
}

struct signer {
	struct run *r;
	struct sg_pki_ca *ca;
};

static void *signer_main(void *arg)
{
	struct signer *w = arg;
	sign_jobs(w->r, w->ca);
	return NULL;
}

/* Step 2 for the whole group: the extra signers on threads of their own,
 * the first on this one. A thread that cannot start leaves its share to
 * the others. */
static void sign_group(struct run *r)
{
	pthread_t tid[SG_PKI_BATCH_SIGNERS_MAX];
	struct signer w[SG_PKI_BATCH_SIGNERS_MAX];
	bool started[SG_PKI_BATCH_SIGNERS_MAX] = { false };
	atomic_store(&r->next, 0);
	for (int i = 1; i < r->ncas; i++) {
		w[i] = (struct signer){ .r = r, .ca = r->cas[i] };
		started[i] = pthread_create(&tid[i], NULL, signer_main, &w[i]) == 0;
	}
	sign_jobs(r, r->cas[0]);
	for (int i = 1; i < r->ncas; i++)
		if (started[i])
			pthread_join(tid[i], NULL);
}

static void drop_group(struct run *r)
{
	for (int i = 0; i < r->njobs; i++) {
		struct job *j = &r->jobs[i];
		sg_atomic_abort(&j->f);
		X509_free(j->cert);
		memset(j, 0, sizeof(*j));
		j->f.fd = -1;
	}
	r->njobs = 0;
	r->nfinal = 0;
}

/* A device refused because it has a live certificate, whose OUT/NAME.pem
 * does not exist, from this CA: a run ended between its commit and its
 * renames. That certificate is taken to be written again (sign checks the
 * CSR holds its key). SG_EENV if the database cannot say. */
static int take_on_record(struct run *r, struct job *j, struct sg_err *err)
{
	const struct sg_pki_batch *b = r->b;
	struct stat st;
	X509 *cert;
	if (!b->db || b->reissue || b->s.profile != SG_PROF_IDEVID ||
	    fstatat(r->dirfd, j->out, &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT)
		return SG_OK;
	int rc = sg_pki_db_live_cert(b->db, sg_pki_profile_name(b->s.profile), j->item->device,
				     &cert, err);
	if (rc || !cert)
		return rc;
	if (X509_check_issued(sg_pki_ca_cert(b->ca), cert) != X509_V_OK) {
		X509_free(cert);
		return SG_OK;
	}
	j->cert = cert;
	j->again = true;
	j->rc = SG_OK;
	return SG_OK;
}

/* Step 1; SG_EENV stops the run. */
static int reserve_group(struct run *r, struct sg_err *err)
{
	struct sg_pki_issue_opts o = { .db = r->b->db, .reissue = r->b->reissue, .batch = true };
	for (int i = 0; i < r->njobs; i++) {
		struct job *j = &r->jobs[i];
		struct sg_pki_subject s = subject_of(r, j);
		struct sg_err why = { 0 };
		if (j->rc) /* its device name was refused */
			continue;
		if ((j->rc = sg_pki_issue_reserve(r->cas[0], &s, &o, j->serial, &why)))
			sg_errf_param(&j->err, j->rc, why.param, "%s: %s", j->item->csr_path,
				      why.msg);
		if (j->rc == SG_FAIL && take_on_record(r, j, &why))
			j->rc = sg_errf_param(&j->err, SG_EENV, why.param, "%s: %s",
						 j->item->csr_path, why.msg);
		if (j->rc == SG_EENV) {
			*err = j->err;
			return SG_EENV;
		}
	}
	return SG_OK;
}

/* Step 3; the CSRs decided by it (all of the group unless SG_EENV stops
 * the run) are jobs[0..nfinal). */
static int record_group(struct run *r, struct sg_err *err)
{
	struct sg_pki_issue_opts o = { .db = r->b->db, .reissue = r->b->reissue, .batch = true };
	for (int i = 0; i < r->njobs; i++) { /* a signer's failure first */
		if (r->jobs[i].rc == SG_EENV) {
			*err = r->jobs[i].err;
			return SG_EENV;
		}
	}
	for (int i = 0; i < r->njobs; i++) {
		struct job *j = &r->jobs[i];
		struct sg_pki_subject s = subject_of(r, j);
		struct sg_err why = { 0 };
		if (j->rc == SG_OK && !j->again &&
		    (j->rc = sg_pki_issue_record(&s, &o, j->cert, &why))) {
			sg_errf_param(&j->err, j->rc, why.param, "%s: %s", j->item->csr_path,
				      why.msg);
			sg_atomic_abort(&j->f);
		} else if (j->rc == SG_OK && !j->again && r->b->on_record &&
			   r->b->on_record(r->b->arg, (size_t)(j - r->jobs), j->cert, &why)) {
			/* The caller's part of the record failed: none of the group. */
			sg_errf(err, SG_EENV, "%s: %s", j->item->csr_path, why.msg);
			return SG_EENV;
		}
		if (j->rc == SG_EENV) {
			*err = j->err;
			return SG_EENV;
		}
		r->nfinal = i + 1;
		if (j->rc) /* refused or malformed: this CSR only */
			r->st->worst = j->rc > r->st->worst ? j->rc : r->st->worst;
	}
	return SG_OK;
}

/* Temp files on disk, then the commit, then the renames. Before the
 * commit, a failure rolls the group back. */
static int finish_group(struct run *r, struct sg_err *err)
{
	const struct sg_pki_batch *b = r->b;
	int rc = SG_OK;
	if (syncfs(r->dirfd) != 0)
		rc = sg_errf(err, SG_EENV, "%s: cannot flush: %s", b->out_dir, strerror(errno));
	else if (b->db)
		rc = sg_pki_db_commit(b->db, err);
	if (rc) {
		if (b->db)
			sg_pki_db_rollback(b->db);
		for (int i = 0; i < r->njobs; i++)
			if (r->jobs[i].rc == SG_OK)
				r->jobs[i].rc = SG_EENV; /* nothing of the group issued */
		return rc;
	}
	for (int i = 0; i < r->njobs; i++) {
		struct job *j = &r->jobs[i];
		struct sg_err why;
		if (!j->f.live)
			continue;
		/* A failure ends f (its temp is gone) and the record stays: an
		 * idevid's file is written by the next run over this CSR. */
		if (sg_atomic_finish(&j->f, SG_ATOMIC_NO_FSYNC | SG_ATOMIC_NO_DIRSYNC, &why)) {
			j->rc = SG_EENV;
			rc = sg_errf(err, SG_EENV, "%s (the certificate is on record; %s)", why.msg,
				     b->s.profile == SG_PROF_IDEVID ? "a rerun writes it"
								    : "the database has its DER");
			continue;
		}
		if (j->again)
			r->st->again++;
		else
			r->st->issued++;
	}
	fsync(r->dirfd);
	return rc;
}

/* The decided CSRs of the group to the caller, in order. */
static void report_group(struct run *r, size_t from)
{
	const struct sg_pki_batch *b = r->b;
	for (int i = 0; b->on_result && i < r->nfinal; i++) {
		struct job *j = &r->jobs[i];
		if (j->rc == SG_OK)
			b->on_result(b->arg, from + (size_t)i, SG_OK, NULL, j->cert);
		else if (j->rc != SG_EENV)
			b->on_result(b->arg, from + (size_t)i, j->rc, &j->err, NULL);
	}
}

/* A device name that cannot be a file name of its own is refused. */
static void name_output(struct job *j)
{
	const char *d = j->item->device;
	size_t n = d ? strlen(d) : 0;
	if (n == 0 || n > NAME_MAX_LEN || strchr(d, '/') || d[0] == '.')
		j->rc = sg_errf(&j->err, SG_EINPUT, "%s: device name \"%s\" cannot name a file",
				j->item->csr_path, d ? d : "");
	else
		snprintf(j->out, sizeof(j->out), "%s.pem", d);
}

static int run_group(struct run *r, size_t from, size_t to, struct sg_err *err)
{
	struct sg_pki_db *db = r->b->db;
	r->njobs = (int)(to - from);
	for (int i = 0; i < r->njobs; i++) {
		r->jobs[i].item = &r->b->items[from + (size_t)i];
		name_output(&r->jobs[i]);
	}
	atomic_store(&r->stop, false);
	int rc = db ? sg_pki_db_begin(db, err) : SG_OK;
	if (rc == SG_OK) {
		if ((rc = reserve_group(r, err)) == SG_OK) {
			sign_group(r);
			rc = record_group(r, err);
		}
		if (rc == SG_OK)
			rc = finish_group(r, err);
		else if (db)
			sg_pki_db_rollback(db);
	}
	report_group(r, from);
	drop_group(r);
	return rc;
}

static int run_all(struct run *r, struct sg_err *err)
{
	size_t n = r->b->nitems;
	int rc = SG_OK;
	for (size_t i = 0; rc == SG_OK && i < n; i += GROUP)
		rc = run_group(r, i, i + GROUP < n ? i + GROUP : n, err);
	return rc;
}

/* A CA on a session of its own for each extra signer. A token that opens
 * no more sessions leaves fewer signers, with a note. */
static int add_signers(struct run *r, struct sg_err *err)
{
	const struct sg_pki_batch *b = r->b;
	unsigned want = b->signers < 1 ? 1 : b->signers;
	if (want > SG_PKI_BATCH_SIGNERS_MAX)
		want = SG_PKI_BATCH_SIGNERS_MAX;
	r->cas[0] = b->ca;
	r->ncas = 1;
	while ((unsigned)r->ncas < want) {
		struct sg_hsm_key *k;
		struct sg_err why = { 0 };
		if (sg_hsm_key_dup(b->hsm, b->signer, &k, &why)) {
			if (b->on_note) {
				char note[sizeof(why.msg) + 64];
				snprintf(note, sizeof(note), "signing on %d thread(s): %s", r->ncas,
					 why.msg);
				b->on_note(b->arg, note);
			}
			break;
		}
		int rc = sg_pki_ca_new(k, sg_pki_ca_cert(b->ca), &r->cas[r->ncas], err);
		if (rc)
			return rc;
		r->ncas++;
	}
	return SG_OK;
}

int sg_pki_batch_run(const struct sg_pki_batch *b, struct sg_pki_batch_stats *stats,
		     struct sg_err *err)
{
	*stats = (struct sg_pki_batch_stats){ 0 };
	struct run *r = calloc(1, sizeof(*r));
	int rc;
	if (r) {
		r->b = b;
		r->st = stats;
		r->dirfd = open(b->out_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (!r)
		rc = sg_errf(err, SG_EENV, "out of memory");
	else if (r->dirfd < 0)
		rc = sg_errf(err, SG_EENV, "%s: not a directory we can write: %s", b->out_dir,
			     strerror(errno));
	else if (b->nitems == 0)
		rc = sg_errf(err, SG_EINPUT, "no CSRs to issue");
	else if ((rc = add_signers(r, err)) == SG_OK) {
		stats->signers = r->ncas;
		rc = run_all(r, err);
	}
	if (r) {
		for (int i = 1; i < r->ncas; i++)
			sg_pki_ca_free(r->cas[i]);
		if (r->dirfd >= 0)
			close(r->dirfd);
		free(r);
	}
	return rc;
}
