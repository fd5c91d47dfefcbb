/* Co-signing: one more signature on an existing envelope. The signature
 * covers M (header and protected area), which binds the payload through its
 * digest, so the payload is copied (in the kernel) but never hashed again. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "signet/atomic_file.h"
#include "signet/chain.h"
#include "copy_priv.h"
#include "keys_priv.h"
#include "signet/fileio.h"
#include "signet/sign.h"
#include "signet/verify.h"

/* The signature area with one more SIGNATURE TLV appended, and the
 * signer's CERT_CHAIN if given; the fields already there are kept as they
 * were. */
static int extend_area(int fd, const struct sgv_envelope *e, const struct sg_signature *s,
		       const struct sg_chain_value *chain, uint8_t *area, size_t *area_len,
		       const char *path, struct sg_err *err)
{
	if (pread(fd, area, e->area_size, (off_t)e->area_off) != (ssize_t)e->area_size)
		return sg_errf(err, SG_EENV, "%s: read failed", path);
	*area_len = e->area_size;
	uint8_t v[SGE_SIG_TLV_FIXED + SGE_SIG_MAX];
	v[0] = s->alg;
	v[1] = 0;
	memcpy(v + 2, s->key_id, SGE_KEY_ID_SIZE);
	memcpy(v + SGE_SIG_TLV_FIXED, s->sig, s->sig_len);
	struct sg_err why = { 0 };
	if (sg_envelope_area_append(area, area_len, SGE_T_SIGNATURE, v,
				    SGE_SIG_TLV_FIXED + s->sig_len, &why) ||
	    sg_chain_append(area, area_len, chain, &why))
		return sg_errf(err, SG_EINPUT, "%s: no room for another signature%s", path,
			       chain->value ? " and its certificate chain" : "");
	return SG_OK;
}

/* --cert: the chain of the co-signing key, encoded. */
static int load_chain(const char *cert_path, const struct sg_signer *signer,
		      struct sg_chain_value *out, struct sg_err *err)
{
	uint8_t key_id[SGE_KEY_ID_SIZE];
	int rc = sg_chain_file(cert_path, out, key_id, err);
	if (!rc && memcmp(key_id, signer->key_id, SGE_KEY_ID_SIZE)) {
		free(out->value);
		out->value = NULL;
		rc = sg_errf(err, SG_EINPUT, "%s: the first certificate does not certify key %s",
			     cert_path, signer->uri);
	}
	return rc;
}

static int make_signature(struct sg_signer *signer, const struct sgv_envelope *e,
			  struct sg_signature *s, struct sg_err *err)
{
	for (unsigned i = 0; i < e->nsigs; i++)
		if (!memcmp(e->sigs[i].key_id, signer->key_id, SGE_KEY_ID_SIZE))
			return sg_errf(err, SG_EINPUT, "key %s: already signed this envelope",
				       signer->uri);
	if (e->nsigs == SGE_MAX_SIGNATURES)
		return sg_errf(err, SG_EINPUT, "envelope already has %d signatures",
			       SGE_MAX_SIGNATURES);
	return sg_signer_sign(signer, e->msg, e->msg_len, s, err);
}

/* Co-signing is a read-modify-write of the whole envelope, so two runs on
 * one file at once would each add their signature to the same old file and
 * the second rename would drop the first's. Runs take an exclusive flock()
 * on the envelope for the whole read-modify-write; the second waits.
 *
 * The file is replaced by rename, so the lock is on an inode that the
 * first run's commit takes away from the name: a waiter that wakes holding
 * the lock of a replaced file lets go and locks the file now at path (its
 * inode checked again under the lock), and then reads the first run's
 * result. flock, not fcntl: an fcntl lock would vanish when any other
 * descriptor of the file is closed (loading the envelope opens and closes
 * one). No lock file is left beside the envelope. */
static int lock_envelope(const char *path, int *fd, struct sg_err *err)
{
	for (;;) {
		uint64_t size;
		int rc = sg_open_regular(path, fd, &size, err);
		if (rc)
			return rc;
		struct stat held, now;
		while ((rc = flock(*fd, LOCK_EX)) != 0 && errno == EINTR)
			;
		if (rc != 0 || fstat(*fd, &held) != 0) {
			rc = sg_errf(err, SG_EENV, "%s: cannot lock: %s", path, strerror(errno));
			close(*fd);
			*fd = -1;
			return rc;
		}
		if (stat(path, &now) == 0 && now.st_dev == held.st_dev && now.st_ino == held.st_ino)
			return SG_OK;
		close(*fd); /* replaced while we waited: lock what is there now */
	}
}

/* Under the lock: the envelope as it is now, one more signature, and the
 * new file in its place. */
static int cosign_locked(const char *path, int fd, struct sgv_envelope *e,
			 struct sg_signer *signer, const struct sg_chain_value *chain,
			 struct sg_err *err)
{
	struct sg_signature s;
	int rc = sg_envelope_load(path, e, err);
	if (!rc)
		rc = make_signature(signer, e, &s, err);
	uint8_t *area = rc ? NULL : malloc(SGE_AREA_MAX);
	size_t area_len = 0;
	if (!rc)
		rc = area ? extend_area(fd, e, &s, chain, area, &area_len, path, err)
			  : sg_errf(err, SG_EENV, "out of memory");
	struct sg_atomic_file out;
	if (!rc)
		rc = sg_atomic_open(&out, path, err);
	if (!rc) {
		/* Check M again: the file must not have changed since it was
		 * signed (a writer that does not take the lock). */
		uint8_t now[SGE_MSG_MAX];
		if (pread(fd, now, e->msg_len, 0) != (ssize_t)e->msg_len ||
		    memcmp(now, e->msg, e->msg_len))
			rc = sg_errf(err, SG_EENV, "%s: changed while being co-signed", path);
		if (!rc)
			rc = sg_copy_range(fd, 0, &out, e->area_off, path, err);
		if (!rc)
			rc = sg_atomic_pwrite(&out, area, area_len, (long long)e->area_off, err);
		if (rc)
			sg_atomic_abort(&out);
		else
			rc = sg_atomic_commit(&out, err);
	}
	free(area);
	return rc;
}

int sg_cosign_file(const char *path, const char *key_uri, const char *cert_path,
		   struct sg_hsm_ctx *hsm, struct sg_err *err)
{
	struct sgv_envelope *e = malloc(sizeof(*e)); /* large: not on a thread's stack */
	if (!e)
		return sg_errf(err, SG_EENV, "out of memory");
	/* A file that is no envelope is refused before the token is opened
	 * (and a PIN asked for); the lock is taken after, so that no other
	 * run waits on someone typing a PIN. */
	int rc = sg_envelope_load(path, e, err);
	if (rc) {
		free(e);
		return rc;
	}
	struct sg_signer signer;
	struct sg_chain_value chain = { NULL, 0 };
	rc = sg_signer_open(hsm, key_uri, &signer, err);
	if (!rc && cert_path)
		rc = load_chain(cert_path, &signer, &chain, err);
	int fd = -1;
	if (!rc)
		rc = lock_envelope(path, &fd, err);
	if (!rc)
		rc = cosign_locked(path, fd, e, &signer, &chain, err);
	if (fd >= 0)
		close(fd); /* after the commit: the lock covers the rename */
	sg_signer_close(&signer);
	free(chain.value);
	free(e);
	return rc;
}
