/* MCUboot signing: build output in, an image MCUboot accepts out, laid out
 * exactly as imgtool 2.4.0 lays it out (docs/mcuboot.md §3). An image is
 * made in two halves, and the three ways of making one share them:
 *   signing:   hashed part (header area, image, protected TLVs; streamed and
 *              hashed) -> the token signs the digest D -> TLVs and trailer
 *   preparing: the same hashed part, in a signing request after its header
 *              and parameter block (docs/signing-request.md, format 2)
 *   completing: the hashed part copied from the request, a signature made
 *              elsewhere (checked by sign/twostep.c) -> TLVs and trailer */
#include "signet/mcuboot_sign.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "signet/atomic_file.h"
#include "copy_priv.h"
#include "keys_priv.h"
#include "mcuboot_sign_priv.h"

#define CHUNK (1024 * 1024)
#define PAD_CHUNK (64 * 1024)
/* Longest DER ECDSA signatures (both integers with a leading zero). */
#define ECDSA_P256_DER_MAX 72
#define ECDSA_P384_DER_MAX 104
/* Where the image starts in a request: after its header and parameters. */
#define REQ_IMAGE_OFF (SG_REQ_HEADER_SIZE + SG_REQ_MCUBOOT_PARAMS_SIZE)

uint32_t sg_mcuboot_auto_counter(const struct sg_version *v)
{
	return ((uint32_t)v->major << 24) + ((uint32_t)v->minor << 16) + v->patch;
}

/* What the options and the input (or a request) decide, before any key is
 * used. */
struct plan {
	uint32_t hdr_size;
	uint64_t img_size;
	uint64_t src_off; /* input payload offset of the first image byte */
	uint8_t erased;
	bool pad_slot, confirm;
	uint32_t slot_size; /* 0: not checked */
	struct sg_mcuboot_trailer_layout trailer;
	uint8_t prot[16];
	size_t prot_len;
};

/* Header area, image and protected TLVs: what D covers, and where the TLV
 * area starts. */
static uint64_t hashed_size(const struct plan *p)
{
	return p->hdr_size + p->img_size + p->prot_len;
}

/* The one key: the token's, or the public key of a request (s.key NULL). */
struct signer {
	struct sg_signer s;
	struct sg_mcuboot_key k;
};

/* What an envelope has and an MCUboot image has not. */
static int check_envelope_only(const struct sg_sign_opts *o, struct sg_err *err)
{
	if (o->hw_id)
		return sg_errf_param(err, SG_EINPUT, "hw_id", "an MCUboot image has no hardware id");
	if (o->sbom_path)
		return sg_errf_param(err, SG_EINPUT, "sbom_path", "an MCUboot image binds no SBOM");
	if (o->digest_alg)
		return sg_errf_param(err, SG_EINPUT, "digest_alg",
				     "an MCUboot image's digest follows its key");
	if (o->ncerts)
		return sg_errf_param(err, SG_EINPUT, "cert_paths",
				     "an MCUboot image carries no certificate chain");
	return SG_OK;
}

static int check_keys(const struct sg_sign_opts *o, struct sg_err *err)
{
	if (!o->in_path || !o->out_path || (!o->nkeys && !o->prepare_pubkey))
		return sg_errf(err, SG_EINPUT, "MCUboot signing needs an input, an output and a key");
	if (o->nkeys && o->prepare_pubkey)
		return sg_errf_param(err, SG_EINPUT, "key_uris",
				     "a signing request is for one public key, not a token key");
	if (o->nkeys > 1)
		return sg_errf_param(err, SG_EINPUT, "key_uris",
				     "an MCUboot image takes exactly one signing key");
	return check_envelope_only(o, err);
}

static int check_opts(const struct sg_sign_opts *so, struct plan *p, struct sg_err *err)
{
	const struct sg_mcuboot_layout *o = &so->mcuboot;
	int rc = check_keys(so, err);
	if (rc)
		return rc;
	if (o->header_size < SG_MCUBOOT_HEADER_SIZE)
		return sg_errf(err, SG_EINPUT,
			       "header size %u is below the %d-byte MCUboot header",
			       o->header_size, SG_MCUBOOT_HEADER_SIZE);
	if (o->header_size > 0xffff)
		return sg_errf(err, SG_EINPUT,
			       "header size %u does not fit ih_hdr_size (at most 65535)",
			       o->header_size);
	uint32_t align = o->align ? o->align : 1;
	if (align > 32 || (align & (align - 1)))
		return sg_errf(err, SG_EINPUT,
			       "align %u: MCUboot supports 1, 2, 4, 8, 16 or 32", align);
	if (sg_mcuboot_trailer_layout(align, o->max_align, o->max_sectors, &p->trailer))
		return sg_errf(err, SG_EINPUT,
			       "max align %u (with align %u) or max sectors %u: max align must "
			       "be 8, 16 or 32 and at least align; at most 65536 sectors",
			       o->max_align, align, o->max_sectors);
	p->pad_slot = o->pad_slot || o->confirm; /* as imgtool: --confirm implies --pad */
	p->confirm = o->confirm;
	p->slot_size = o->slot_size;
	if (p->pad_slot && o->slot_size == 0)
		return sg_errf_param(err, SG_EINPUT, "slot_size",
				     "padding to the slot needs a slot size");
	/* bootutil finds the trailer flags by aligning down from the slot
	 * end; imgtool counts back from it. They agree on aligned slots only. */
	if (p->pad_slot && o->slot_size % p->trailer.max_align)
		return sg_errf(err, SG_EINPUT,
			       "slot size 0x%x is not a multiple of the maximum alignment %u",
			       o->slot_size, p->trailer.max_align);
	if (so->has_load_addr && so->load_addr == 0)
		return sg_errf(err, SG_EINPUT,
			       "load address 0: RAM_LOAD needs a non-zero address (imgtool "
			       "ignores 0)");
	if (so->has_load_addr && so->load_addr > UINT32_MAX)
		return sg_errf_param(err, SG_EINPUT, "load_addr",
				     "load address 0x%llx does not fit MCUboot's 32 bits",
				     (unsigned long long)so->load_addr);
	p->hdr_size = o->header_size;
	p->erased = o->erased_zero ? 0x00 : 0xff;
	if (so->has_counter) {
		struct sg_mcuboot_tlv_writer w;
		uint8_t v[4] = { (uint8_t)so->security_counter,
				 (uint8_t)(so->security_counter >> 8),
				 (uint8_t)(so->security_counter >> 16),
				 (uint8_t)(so->security_counter >> 24) };
		sg_mcuboot_tlvw_init(&w, SG_MCUBOOT_TLV_PROT_INFO_MAGIC, p->prot, sizeof(p->prot));
		sg_mcuboot_tlvw_add(&w, SG_MCUBOOT_TLV_SEC_CNT, v, sizeof(v));
		p->prot_len = sg_mcuboot_tlvw_finish(&w);
	}
	return SG_OK;
}

/* Without pad_header the build left room for the header: imgtool refuses
 * input whose first header_size bytes are not all zero, and so do we. */
static int check_input(const struct sg_sign_opts *o, struct sg_input *in, struct plan *p,
		       struct sg_err *err)
{
	if (!o->mcuboot.pad_header) {
		if (in->size < p->hdr_size)
			return sg_errf(err, SG_EINPUT,
				       "%s: %llu bytes, shorter than the %u-byte header it must "
				       "start with (or pad the header)",
				       o->in_path, (unsigned long long)in->size, p->hdr_size);
		uint8_t *head = malloc(p->hdr_size);
		if (!head)
			return sg_errf(err, SG_EENV, "out of memory");
		int rc = sg_input_read(in, 0, head, p->hdr_size, err);
		uint32_t i = 0;
		while (!rc && i < p->hdr_size && head[i] == 0)
			i++;
		free(head);
		if (rc)
			return rc;
		if (i < p->hdr_size)
			return sg_errf(err, SG_EINPUT,
				       "%s: byte 0x%x is not zero: without header padding the "
				       "first %u bytes must be zero to make room for the header",
				       o->in_path, i, p->hdr_size);
		p->src_off = p->hdr_size;
	}
	p->img_size = in->size - p->src_off;
	/* ih_img_size and every offset bootutil computes are 32-bit. */
	if (p->img_size + p->hdr_size + p->prot_len + 0x10000 > UINT32_MAX)
		return sg_errf(err, SG_EINPUT, "%s: %llu bytes is too large for an MCUboot image",
			       o->in_path, (unsigned long long)p->img_size);
	return SG_OK;
}

/* The TLV types, longest signature and KEYHASH for a key of type t whose
 * public half is pub (NULL if the token's could not be decoded). */
static int key_setup(EVP_PKEY *pub, enum sg_key_type t, const char *name,
		     struct sg_mcuboot_key *k, struct sg_err *err)
{
	k->digest_type = t == SG_KEY_ECDSA_P384 ? SG_MCUBOOT_TLV_SHA384 : SG_MCUBOOT_TLV_SHA256;
	switch (t) {
	case SG_KEY_ECDSA_P256:
		k->sig_type = SG_MCUBOOT_TLV_ECDSA_SIG;
		k->sig_max = ECDSA_P256_DER_MAX;
		break;
	case SG_KEY_ECDSA_P384:
		k->sig_type = SG_MCUBOOT_TLV_ECDSA_SIG;
		k->sig_max = ECDSA_P384_DER_MAX;
		break;
	case SG_KEY_ED25519:
		k->sig_type = SG_MCUBOOT_TLV_ED25519;
		k->sig_max = 64;
		break;
	case SG_KEY_RSA_3072:
		k->sig_type = SG_MCUBOOT_TLV_RSA3072_PSS;
		k->sig_max = 384;
		break;
	default:
		return sg_errf(err, SG_EINPUT,
			       "key %s: %s keys cannot sign MCUboot images (ecdsa-p256, "
			       "ecdsa-p384, ed25519 or rsa-3072)",
			       name, sg_key_type_name(t));
	}
	if (!pub || sg_mcuboot_key_hash(pub, k->digest_type, k->keyhash, &k->keyhash_len))
		return sg_errf(err, SG_EINPUT, "key %s: unusable public key", name);
	return SG_OK;
}

/* The key (sg_signers_open, as for envelopes), and what MCUboot makes of
 * it; *n says whether there is one to close. */
static int open_signer(const struct sg_sign_opts *o, struct sg_hsm_ctx *hsm, struct signer *s,
		       size_t *n, struct sg_err *err)
{
	int rc = sg_signers_open(o, hsm, &s->s, n, err);
	return rc ? rc : key_setup(s->s.pub, s->s.type, s->s.uri, &s->k, err);
}

static size_t tlv_area_len(const struct sg_mcuboot_key *k, size_t sig_len)
{
	return SG_MCUBOOT_TLV_INFO_SIZE + 3 * SG_MCUBOOT_TLV_HDR_SIZE +
	       sg_mcuboot_digest_len(k->digest_type) + k->keyhash_len + sig_len;
}

/* imgtool's check_trailer: image, TLVs and trailer must fit the slot. */
static int check_fit(const struct plan *p, uint64_t image_end, struct sg_err *err)
{
	if (p->slot_size && image_end + p->trailer.size > p->slot_size)
		return sg_errf(err, SG_EINPUT,
			       "image with TLVs (0x%llx bytes) and trailer (0x%x bytes) do not fit "
			       "the 0x%x-byte slot",
			       (unsigned long long)image_end, p->trailer.size, p->slot_size);
	return SG_OK;
}

static void make_header(const struct sg_sign_opts *o, const struct plan *p, uint8_t *out)
{
	struct sg_mcuboot_header h = {
		.magic = SG_MCUBOOT_IMAGE_MAGIC,
		.load_addr = o->has_load_addr ? (uint32_t)o->load_addr : 0,
		.hdr_size = (uint16_t)p->hdr_size,
		.protect_tlv_size = (uint16_t)p->prot_len,
		.img_size = (uint32_t)p->img_size,
		.flags = o->has_load_addr ? SG_MCUBOOT_F_RAM_LOAD : 0,
		.ver_major = o->version.major,
		.ver_minor = o->version.minor,
		.ver_revision = o->version.patch,
		.ver_build = o->version.build,
	};
	sg_mcuboot_header_encode(&h, out);
}

/* The first half: writes header area, image and protected TLVs at base
 * (0, or after a request's header and parameters) and hashes them. */
static int write_hashed(const struct sg_sign_opts *o, const struct plan *p,
			struct sg_input *in, struct sg_atomic_file *out, uint64_t base,
			EVP_MD_CTX *md, uint8_t *buf, struct sg_err *err)
{
	/* Header area: the header, then erased bytes (pad_header) or the
	 * input's zeros it replaces. */
	memset(buf, o->mcuboot.pad_header ? p->erased : 0, p->hdr_size);
	make_header(o, p, buf);
	int rc = sg_atomic_pwrite(out, buf, p->hdr_size, (long long)base, err);
	if (rc)
		return rc;
	if (!EVP_DigestUpdate(md, buf, p->hdr_size))
		return sg_errf(err, SG_EENV, "hashing failed");
	/* Writeback from the first page boundary: a request's header, in
	 * front of base, is written last. */
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE), wb_from = (base + page - 1) / page * page;
	for (uint64_t off = 0; off < p->img_size;) {
		size_t n = p->img_size - off < CHUNK ? (size_t)(p->img_size - off) : CHUNK;
		long long at = (long long)(base + p->hdr_size + off);
		if ((rc = sg_input_read(in, p->src_off + off, buf, n, err)) ||
		    (rc = sg_atomic_pwrite(out, buf, n, at, err)))
			return rc;
		sg_copy_writeback(out, &wb_from, (uint64_t)at + n);
		if (!EVP_DigestUpdate(md, buf, n))
			return sg_errf(err, SG_EENV, "hashing failed");
		off += n;
	}
	if (!p->prot_len)
		return SG_OK;
	if (!EVP_DigestUpdate(md, p->prot, p->prot_len))
		return sg_errf(err, SG_EENV, "hashing failed");
	return sg_atomic_pwrite(out, p->prot, p->prot_len,
				(long long)(base + p->hdr_size + p->img_size), err);
}

/* imgtool's pad_to: erased bytes to the slot end, the boot magic last,
 * image_ok = 1 when confirmed. */
static int write_trailer(const struct plan *p, uint64_t image_end, struct sg_atomic_file *out,
			 struct sg_err *err)
{
	uint64_t end = p->slot_size;
	uint8_t *buf = malloc(PAD_CHUNK);
	if (!buf)
		return sg_errf(err, SG_EENV, "out of memory");
	memset(buf, p->erased, PAD_CHUNK);
	int rc = SG_OK;
	for (uint64_t off = image_end; !rc && off < end;) {
		size_t n = end - off < PAD_CHUNK ? (size_t)(end - off) : PAD_CHUNK;
		rc = sg_atomic_pwrite(out, buf, n, (long long)off, err);
		off += n;
	}
	free(buf);
	uint8_t ok = SG_MCUBOOT_FLAG_SET;
	if (!rc)
		rc = sg_atomic_pwrite(out, p->trailer.magic, SG_MCUBOOT_MAGIC_SIZE,
				      (long long)(end - p->trailer.magic_from_end), err);
	if (!rc && p->confirm)
		rc = sg_atomic_pwrite(out, &ok, 1, (long long)(end - p->trailer.image_ok_from_end),
				      err);
	return rc;
}

/* The second half, after the hashed region: the unprotected TLVs in
 * imgtool's order (digest, key hash, signature), then with pad_slot the
 * padding and trailer. sig is the checked signature over digest. */
static int finish_image(const struct plan *p, const struct sg_mcuboot_key *k,
			const uint8_t *digest, const uint8_t *sig, size_t sig_len,
			struct sg_atomic_file *out, struct sg_err *err)
{
	uint8_t area[1024];
	struct sg_mcuboot_tlv_writer w;
	sg_mcuboot_tlvw_init(&w, SG_MCUBOOT_TLV_INFO_MAGIC, area, sizeof(area));
	size_t dlen = sg_mcuboot_digest_len(k->digest_type);
	if (sg_mcuboot_tlvw_add(&w, k->digest_type, digest, dlen) ||
	    sg_mcuboot_tlvw_add(&w, SG_MCUBOOT_TLV_KEYHASH, k->keyhash, k->keyhash_len) ||
	    sg_mcuboot_tlvw_add(&w, k->sig_type, sig, sig_len))
		return sg_errf(err, SG_EENV, "internal error: TLV area overflow");
	size_t len = sg_mcuboot_tlvw_finish(&w);
	uint64_t image_end = hashed_size(p) + len;
	int rc = check_fit(p, image_end, err);
	if (!rc)
		rc = sg_atomic_pwrite(out, area, len, (long long)hashed_size(p), err);
	if (!rc && p->pad_slot)
		rc = write_trailer(p, image_end, out, err);
	return rc;
}

/* Signs the digest (Ed25519: the digest is the message, as imgtool's
 * sign_digest), checks the token's answer with the public key, and
 * finishes the image. */
static int sign_and_finish(const struct plan *p, const struct signer *s, const uint8_t *digest,
			   struct sg_atomic_file *out, struct sg_err *err)
{
	size_t dlen = sg_mcuboot_digest_len(s->k.digest_type);
	uint8_t sig[SG_SIG_MAX];
	size_t sig_len;
	int rc = s->k.sig_type == SG_MCUBOOT_TLV_ED25519
			 ? sg_hsm_sign(s->s.key, digest, dlen, sig, &sig_len, err)
			 : sg_hsm_sign_digest(s->s.key, digest, dlen, sig, &sig_len, err);
	if (rc)
		return rc;
	if (sig_len > s->k.sig_max ||
	    sg_mcuboot_check_sig(s->s.pub, s->k.sig_type, digest, dlen, sig, sig_len) != 1)
		return sg_errf(err, SG_EENV,
			       "key %s: the token's signature does not verify with its public key",
			       s->s.uri);
	return finish_image(p, &s->k, digest, sig, sig_len, out, err);
}

/* Instead of the second half, a request's header (what to sign: D, and by
 * which key) and parameter block (how to finish) in front of the image. */
static int write_request(const struct plan *p, const struct signer *s, const uint8_t *digest,
			 struct sg_atomic_file *out, struct sg_err *err)
{
	struct sg_request_mcuboot m = {
		.hashed_size = (uint32_t)hashed_size(p),
		.slot_size = p->slot_size,
		.max_sectors = p->trailer.max_sectors,
		.header_size = (uint16_t)p->hdr_size,
		.digest_type = s->k.digest_type,
		.align = (uint8_t)p->trailer.align,
		.max_align = (uint8_t)p->trailer.max_align,
		.flags = (uint8_t)((p->pad_slot ? SG_REQ_MCUBOOT_F_PAD_SLOT : 0) |
				   (p->confirm ? SG_REQ_MCUBOOT_F_CONFIRM : 0) |
				   (p->erased == 0 ? SG_REQ_MCUBOOT_F_ERASED_ZERO : 0)),
	};
	uint8_t head[REQ_IMAGE_OFF];
	sg_signer_request_header(&s->s, SG_REQ_FORMAT_MCUBOOT,
				 (uint32_t)sg_mcuboot_digest_len(s->k.digest_type), digest,
				 SG_REQ_MCUBOOT_PARAMS_SIZE + hashed_size(p), head);
	sg_request_mcuboot_encode(&m, head + SG_REQ_HEADER_SIZE);
	return sg_atomic_pwrite(out, head, sizeof(head), 0, err);
}

/* The image or request, and its digest D in digest. */
static int write_image(const struct sg_sign_opts *o, const struct plan *p,
		       struct sg_input *in, const struct signer *s, uint8_t *digest,
		       struct sg_err *err)
{
	struct sg_atomic_file out;
	int rc = sg_atomic_open(&out, o->out_path, err);
	if (rc)
		return rc;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t *buf = malloc(CHUNK);
	if (!md || !buf || !EVP_DigestInit_ex(md, sg_keys_mcuboot_md(s->k.digest_type), NULL))
		rc = sg_errf(err, SG_EENV, "out of memory");
	if (!rc)
		rc = write_hashed(o, p, in, &out, o->prepare_pubkey ? REQ_IMAGE_OFF : 0, md, buf,
				  err);
	if (!rc && !EVP_DigestFinal_ex(md, digest, NULL))
		rc = sg_errf(err, SG_EENV, "hashing failed");
	if (!rc)
		rc = o->prepare_pubkey ? write_request(p, s, digest, &out, err)
				       : sign_and_finish(p, s, digest, &out, err);
	EVP_MD_CTX_free(md);
	free(buf);
	if (rc) {
		sg_atomic_abort(&out);
		return rc;
	}
	return sg_atomic_commit(&out, err);
}

static void set_result(const struct sg_sign_opts *o, const struct plan *p,
		       const struct signer *s, const uint8_t *digest, struct sg_sign_result *r)
{
	size_t dlen = sg_mcuboot_digest_len(s->k.digest_type);
	memset(r, 0, sizeof(*r));
	r->payload_size = p->img_size;
	r->has_load_addr = o->has_load_addr;
	r->load_addr = o->has_load_addr ? o->load_addr : 0;
	r->nsigs = o->prepare_pubkey ? 0 : 1;
	r->digest_alg = dlen == 48 ? SGE_DIGEST_SHA384 : SGE_DIGEST_SHA256;
	memcpy(r->digest, digest, dlen);
}

int sg_mcuboot_sign(const struct sg_sign_opts *o, struct sg_hsm_ctx *hsm,
		    struct sg_sign_result *result, struct sg_err *err)
{
	struct plan p;
	memset(&p, 0, sizeof(p));
	int rc = check_opts(o, &p, err);
	if (rc)
		return rc;
	struct sg_input in;
	if ((rc = sg_input_open(&in, o->in_path, o->in_format, o->pad, o->max_span, err)))
		return rc;
	struct signer s;
	memset(&s, 0, sizeof(s));
	size_t n = 0;
	uint8_t digest[SG_MCUBOOT_DIGEST_MAX];
	rc = check_input(o, &in, &p, err);
	if (!rc)
		rc = open_signer(o, hsm, &s, &n, err);
	/* Fail before writing if even the longest signature would not fit. */
	if (!rc)
		rc = check_fit(&p, hashed_size(&p) + tlv_area_len(&s.k, s.k.sig_max), err);
	if (!rc)
		rc = write_image(o, &p, &in, &s, digest, err);
	if (!rc && result)
		set_result(o, &p, &s, digest, result);
	sg_signers_close(&s.s, n);
	sg_input_close(&in);
	return rc;
}

/* ---- completing a request (image format 2) ---- */

struct req_reader {
	int fd;
	uint64_t base; /* file offset of byte 0 */
};

static int read_at(void *arg, uint64_t off, uint8_t *buf, size_t len)
{
	const struct req_reader *r = arg;
	off += r->base;
	while (len) {
		ssize_t n = pread(r->fd, buf, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/* D of the hashed region, read back from the request. */
static int request_digest(int fd, struct sg_mcuboot_request *m, const char *path,
			  struct sg_err *err)
{
	struct req_reader rr = { fd, REQ_IMAGE_OFF };
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t *buf = malloc(CHUNK);
	int rc = md && buf && EVP_DigestInit_ex(md, sg_keys_mcuboot_md(m->params.digest_type), NULL)
			 ? SG_OK
			 : sg_errf(err, SG_EENV, "out of memory");
	const uint64_t size = m->params.hashed_size;
	for (uint64_t off = 0; !rc && off < size;) {
		size_t n = size - off < CHUNK ? (size_t)(size - off) : CHUNK;
		if (read_at(&rr, off, buf, n))
			rc = sg_errf(err, SG_EENV, "%s: read failed", path);
		else if (!EVP_DigestUpdate(md, buf, n))
			rc = sg_errf(err, SG_EENV, "hashing failed");
		off += n;
	}
	if (!rc && !EVP_DigestFinal_ex(md, m->digest, NULL))
		rc = sg_errf(err, SG_EENV, "hashing failed");
	EVP_MD_CTX_free(md);
	free(buf);
	return rc;
}

int sg_mcuboot_request_check(int fd, const struct sg_request *r, const char *path,
			     struct sg_mcuboot_request *m, struct sg_err *err)
{
	memset(m, 0, sizeof(*m));
	uint8_t block[SG_REQ_MCUBOOT_PARAMS_SIZE];
	struct req_reader rr = { fd, SG_REQ_HEADER_SIZE };
	if (read_at(&rr, 0, block, sizeof(block)))
		return sg_errf(err, SG_EENV, "%s: read failed", path);
	int rc = sg_request_mcuboot_decode(block, r, path, &m->params, err);
	rr.base = REQ_IMAGE_OFF;
	if (!rc)
		rc = sg_request_mcuboot_check_image(&m->params, read_at, &rr, path, &m->info, err);
	if (!rc)
		rc = request_digest(fd, m, path, err);
	if (!rc && memcmp(m->digest, r->tbs_digest, r->tbs_len))
		rc = sg_errf(err, SG_EINPUT, "%s: request header does not match its body (damaged)",
			     path);
	return rc;
}

int sg_mcuboot_request_key(struct sg_mcuboot_request *m, void *pub, int alg,
			   const char *pub_path, struct sg_err *err)
{
	return key_setup(pub, sg_keys_type_of(pub, alg), pub_path, &m->key, err);
}

/* The parameter block (checked by its decoder) as a plan. */
static void plan_from_request(const struct sg_mcuboot_request *m, struct plan *p)
{
	const struct sg_request_mcuboot *q = &m->params;
	memset(p, 0, sizeof(*p));
	p->hdr_size = q->header_size;
	p->img_size = m->info.hdr.img_size;
	p->prot_len = m->info.hdr.protect_tlv_size;
	p->erased = (q->flags & SG_REQ_MCUBOOT_F_ERASED_ZERO) ? 0x00 : 0xff;
	p->pad_slot = q->flags & SG_REQ_MCUBOOT_F_PAD_SLOT;
	p->confirm = q->flags & SG_REQ_MCUBOOT_F_CONFIRM;
	p->slot_size = q->slot_size;
	sg_mcuboot_trailer_layout(q->align, q->max_align, q->max_sectors, &p->trailer);
}

int sg_mcuboot_request_write(int fd, const struct sg_mcuboot_request *m, const uint8_t *sig,
			     size_t sig_len, const char *req_path, const char *out_path,
			     struct sg_err *err)
{
	struct plan p;
	plan_from_request(m, &p);
	int rc = check_fit(&p, hashed_size(&p) + tlv_area_len(&m->key, sig_len), err);
	if (rc)
		return rc;
	struct sg_atomic_file out;
	if ((rc = sg_atomic_open(&out, out_path, err)))
		return rc;
	rc = sg_copy_range(fd, REQ_IMAGE_OFF, &out, hashed_size(&p), req_path, err);
	if (!rc)
		rc = finish_image(&p, &m->key, m->digest, sig, sig_len, &out, err);
	if (rc) {
		sg_atomic_abort(&out);
		return rc;
	}
	return sg_atomic_commit(&out, err);
}
