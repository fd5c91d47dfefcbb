/* Co-signing: one more signature on an existing envelope. The signature
 * covers M (header and protected area), which binds the payload through its
 * digest, so the payload is copied (in the kernel) but never hashed again. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic_file.h"
#include "copy.h"
#include "sign.h"
#include "verify.h"

/* The signature area with one more SIGNATURE TLV appended; unknown
 * non-critical TLVs are kept as they were. */
static int extend_area(int fd, const struct sgv_envelope *e, const struct sg_signature *s,
		       uint8_t *area, size_t *area_len, const char *path, struct sg_err *err)
{
	size_t tlv = 4 + SGE_SIG_TLV_FIXED + s->sig_len;
	if (e->area_size + tlv > SGE_AREA_MAX)
		return sg_errf(err, SG_EINPUT, "%s: no room for another signature", path);
	if (pread(fd, area, e->area_size, (off_t)e->area_off) != (ssize_t)e->area_size)
		return sg_errf(err, SG_EENV, "%s: read failed", path);
	uint8_t *p = area + e->area_size;
	sge_put16(p, SGE_T_SIGNATURE);
	sge_put16(p + 2, (uint16_t)(SGE_SIG_TLV_FIXED + s->sig_len));
	p[4] = s->alg;
	p[5] = 0;
	memcpy(p + 6, s->key_id, SGE_KEY_ID_SIZE);
	memcpy(p + 4 + SGE_SIG_TLV_FIXED, s->sig, s->sig_len);
	*area_len = e->area_size + tlv;
	sge_put32(area + 4, (uint32_t)*area_len);
	return SG_OK;
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

int sg_cosign_file(const char *path, const char *key_uri, struct sg_hsm_ctx *hsm,
		   struct sg_err *err)
{
	static struct sgv_envelope e;
	int rc = sg_envelope_load(path, &e, err);
	if (rc)
		return rc;
	struct sg_signer signer;
	struct sg_signature s;
	rc = sg_signer_open(hsm, key_uri, &signer, err);
	if (!rc)
		rc = make_signature(&signer, &e, &s, err);
	sg_signer_close(&signer);
	if (rc)
		return rc;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return sg_errf(err, SG_EINPUT, "%s: cannot open: %s", path, strerror(errno));
	uint8_t *area = malloc(SGE_AREA_MAX);
	size_t area_len = 0;
	struct sg_atomic_file out;
	rc = area ? extend_area(fd, &e, &s, area, &area_len, path, err)
		  : sg_errf(err, SG_EENV, "out of memory");
	if (!rc)
		rc = sg_atomic_open(&out, path, err);
	if (!rc) {
		/* Check M again: the file must not have changed since it was signed. */
		uint8_t now[SGE_MSG_MAX];
		if (pread(fd, now, e.msg_len, 0) != (ssize_t)e.msg_len ||
		    memcmp(now, e.msg, e.msg_len))
			rc = sg_errf(err, SG_EENV, "%s: changed while being co-signed", path);
		if (!rc)
			rc = sg_copy_range(fd, 0, &out, e.area_off, path, err);
		if (!rc)
			rc = sg_atomic_pwrite(&out, area, area_len, (long long)e.area_off, err);
		if (rc)
			sg_atomic_abort(&out);
		else
			rc = sg_atomic_commit(&out, err);
	}
	free(area);
	close(fd);
	return rc;
}
