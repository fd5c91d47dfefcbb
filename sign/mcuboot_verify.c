/* MCUboot verification on the host: the codec's parser, OpenSSL for the
 * digest, keys from struct sg_trust and their signature checks from
 * sign/keys.c. Follows bootutil's image_validate.c, a little stricter
 * (docs/mcuboot.md §5). */
#include "signet/mcuboot_sign.h"

#include "keys_priv.h"
#include "signet/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

/* ---- verification ---- */

#define WORK_SIZE (64 * 1024)

static int check_digest(struct sg_mcuboot_info *info, sg_mcuboot_read_fn rd, void *arg,
			struct sg_err *err)
{
	const EVP_MD *md = sg_keys_mcuboot_md(info->digest_type);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t *buf = malloc(WORK_SIZE);
	int rc = SG_OK;
	if (!md || !ctx || !buf || !EVP_DigestInit_ex(ctx, md, NULL))
		rc = sg_errf(err, SG_EENV, "cannot start hashing");
	for (uint64_t off = 0; !rc && off < info->hashed_size;) {
		uint64_t left = info->hashed_size - off;
		size_t n = left < WORK_SIZE ? (size_t)left : WORK_SIZE;
		if (rd(arg, off, buf, n))
			rc = sg_errf(err, SG_EENV, "read of %zu bytes at 0x%llx failed", n,
				     (unsigned long long)off);
		else if (!EVP_DigestUpdate(ctx, buf, n))
			rc = sg_errf(err, SG_EENV, "hashing failed");
		off += n;
	}
	if (!rc && !EVP_DigestFinal_ex(ctx, info->computed_digest, NULL))
		rc = sg_errf(err, SG_EENV, "hashing failed");
	if (!rc)
		info->digest_check = memcmp(info->computed_digest, info->digest, info->digest_len)
					     ? SG_MCUBOOT_CHECK_FAIL
					     : SG_MCUBOOT_CHECK_PASS;
	EVP_MD_CTX_free(ctx);
	free(buf);
	return rc;
}

/* Does trusted key k match the KEYHASH or PUBKEY TLV kt? */
static int key_matches(const struct sg_mcuboot_info *info, const struct sg_mcuboot_tlv *kt,
		       const struct sg_trust_key *k, sg_mcuboot_read_fn rd, void *arg,
		       bool *match, struct sg_err *err)
{
	uint8_t a[SG_MCUBOOT_PUBKEY_MAX], b[SG_MCUBOOT_PUBKEY_MAX];
	size_t len;
	*match = false;
	if (kt->type == SG_MCUBOOT_TLV_KEYHASH) {
		/* imgtool hashes the key with the image's digest algorithm. */
		if (sg_mcuboot_key_hash(k->pkey, info->digest_type, a, &len) == 0)
			*match = len == kt->len && !memcmp(a, kt->peek, len);
		return SG_OK;
	}
	if (sg_mcuboot_key_encoding(k->pkey, a, sizeof(a), &len) || len != kt->len)
		return SG_OK;
	if (rd(arg, kt->off, b, kt->len))
		return sg_errf(err, SG_EENV, "read of the PUBKEY TLV at 0x%llx failed",
			       (unsigned long long)kt->off);
	*match = !memcmp(a, b, len);
	return SG_OK;
}

static int check_one_sig(struct sg_mcuboot_info *info, struct sg_mcuboot_sig *s,
			 const struct sg_trust *t, sg_mcuboot_read_fn rd, void *arg,
			 struct sg_err *err)
{
	s->status = SG_MCUBOOT_SIG_UNTRUSTED;
	if (s->key_tlv < 0)
		return SG_OK;
	const struct sg_mcuboot_tlv *st = &info->tlvs[s->tlv];
	for (size_t i = 0; i < t->n; i++) {
		bool match;
		int rc = key_matches(info, &info->tlvs[s->key_tlv], &t->keys[i], rd, arg, &match,
				     err);
		if (rc)
			return rc;
		if (!match)
			continue;
		uint8_t sig[SG_MCUBOOT_SIG_MAX];
		if (rd(arg, st->off, sig, st->len))
			return sg_errf(err, SG_EENV, "read of the signature at 0x%llx failed",
				       (unsigned long long)st->off);
		int r = sg_mcuboot_check_sig(t->keys[i].pkey, st->type, info->digest,
					     info->digest_len, sig, st->len);
		if (r < 0)
			return sg_errf(err, SG_EENV, "signature check failed inside OpenSSL");
		s->status = r ? SG_MCUBOOT_SIG_VALID : SG_MCUBOOT_SIG_INVALID;
		s->trust_index = (int)i;
		return SG_OK;
	}
	return SG_OK;
}

static void hex8(const uint8_t *p, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";
	size_t i;
	for (i = 0; i < n && i < 8; i++) {
		out[2 * i] = d[p[i] >> 4];
		out[2 * i + 1] = d[p[i] & 15];
	}
	out[2 * i] = 0;
}

/* One verdict, digest first: a wrong digest explains everything after. */
static int verdict(struct sg_mcuboot_info *info, const struct sg_trust *t, struct sg_err *err)
{
	int invalid = -1;
	for (unsigned i = 0; i < info->nsigs; i++) {
		if (info->sigs[i].status == SG_MCUBOOT_SIG_VALID && info->valid_sig < 0)
			info->valid_sig = (int)i;
		if (info->sigs[i].status == SG_MCUBOOT_SIG_INVALID && invalid < 0)
			invalid = (int)i;
	}
	info->signature_check = info->valid_sig >= 0 && invalid < 0 ? SG_MCUBOOT_CHECK_PASS
								    : SG_MCUBOOT_CHECK_FAIL;
	const char *dname = sg_mcuboot_tlv_name(info->digest_type);
	if (info->digest_check != SG_MCUBOOT_CHECK_PASS)
		return sg_errf(err, SG_FAIL, "the image digest does not match its %s TLV", dname);
	if (info->nsigs == 0)
		return sg_errf(err, SG_FAIL, "not signed: no signature TLV");
	if (invalid >= 0) {
		const struct sg_mcuboot_sig *s = &info->sigs[invalid];
		const struct sg_mcuboot_tlv *st = &info->tlvs[s->tlv];
		return sg_errf(err, SG_FAIL, "%s signature at 0x%llx does not verify with trusted key %s",
			       sg_mcuboot_tlv_name(st->type),
			       (unsigned long long)(st->off - SG_MCUBOOT_TLV_HDR_SIZE),
			       t->keys[s->trust_index].path ? t->keys[s->trust_index].path : "?");
	}
	if (info->valid_sig < 0) {
		char kh[17] = "none";
		int kt = info->sigs[0].key_tlv;
		if (kt >= 0)
			hex8(info->tlvs[kt].peek, info->tlvs[kt].len, kh);
		return sg_errf(err, SG_FAIL,
			       "no signature by a trusted key (%u signature(s), first key %s %s...)",
			       info->nsigs, kt >= 0 ? sg_mcuboot_tlv_name(info->tlvs[kt].type) : "",
			       kh);
	}
	return SG_OK;
}

int sg_mcuboot_verify(sg_mcuboot_read_fn rd, void *arg, uint64_t size,
		      const struct sg_trust *t, struct sg_mcuboot_info *info, struct sg_err *err)
{
	int rc = sg_mcuboot_parse(info, rd, arg, size, err);
	if (rc)
		return rc;
	if (!t || t->n == 0)
		return sg_errf(err, SG_EINPUT, "no trusted key given");
	if (info->encrypted)
		return sg_errf(err, SG_EINPUT,
			       "encrypted image: its digest covers the plaintext, which signet "
			       "cannot check");
	if (info->sig_pure)
		return sg_errf(err, SG_EINPUT, "SIG_PURE (signature over the whole image) is not "
					       "supported");
	if ((rc = check_digest(info, rd, arg, err)))
		return rc;
	for (unsigned i = 0; i < info->nsigs; i++)
		if ((rc = check_one_sig(info, &info->sigs[i], t, rd, arg, err)))
			return rc;
	return verdict(info, t, err);
}

/* ---- files ---- */

/* The codec speaks of offsets; at the file level messages name the file. */
static int with_path(int rc, const char *path, struct sg_err *err)
{
	if (rc && err) {
		char msg[sizeof(err->msg)];
		memcpy(msg, err->msg, sizeof(msg));
		msg[sizeof(msg) - 1] = 0;
		sg_errf(err, rc, "%s: %s", path, msg);
	}
	return rc;
}

int sg_mcuboot_load(const char *path, struct sg_mcuboot_info *info, struct sg_err *err)
{
	int fd;
	uint64_t size;
	int rc = sg_open_regular(path, &fd, &size, err);
	if (rc)
		return rc;
	struct sg_fd_at at = { fd, 0 };
	rc = sg_mcuboot_parse(info, sg_read_at, &at, size, err);
	close(fd);
	return with_path(rc, path, err);
}

int sg_mcuboot_verify_file(const char *path, const struct sg_trust *trust,
			   struct sg_mcuboot_info *info, struct sg_err *err)
{
	int fd;
	uint64_t size;
	int rc = sg_open_regular(path, &fd, &size, err);
	if (rc)
		return rc;
	struct sg_fd_at at = { fd, 0 };
	rc = sg_mcuboot_verify(sg_read_at, &at, size, trust, info, err);
	close(fd);
	return with_path(rc, path, err);
}
