/* MCUboot signing: build output in, an image MCUboot accepts out, laid out
 * exactly as imgtool 2.4.0 lays it out (docs/mcuboot.md §3). One streaming
 * pass: header area, image and protected TLVs are hashed as they are
 * written to the output's temp file; then the digest is signed in the
 * token and the TLV area (and, with pad_slot, the slot padding and
 * trailer) is appended. */
#include "mcuboot_sign.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "atomic_file.h"

#define CHUNK (1024 * 1024)
#define PAD_CHUNK (64 * 1024)
/* Longest DER ECDSA signatures (both integers with a leading zero). */
#define ECDSA_P256_DER_MAX 72
#define ECDSA_P384_DER_MAX 104

uint32_t sg_mcuboot_auto_counter(const struct sg_version *v)
{
	return ((uint32_t)v->major << 24) + ((uint32_t)v->minor << 16) + v->patch;
}

/* What the options and the input decide, before any key is used. */
struct plan {
	uint32_t hdr_size;
	uint64_t img_size;
	uint64_t src_off; /* input payload offset of the first image byte */
	uint8_t erased;
	bool pad_slot;
	struct sg_mcuboot_trailer_layout trailer;
	uint8_t prot[16];
	size_t prot_len;
};

struct signer {
	struct sg_hsm_key *key;
	EVP_PKEY *pub;
	uint16_t digest_type, sig_type;
	const EVP_MD *md;
	size_t sig_max;
	uint8_t keyhash[SG_MCUBOOT_DIGEST_MAX];
	size_t keyhash_len;
};

static int check_opts(const struct sg_mcuboot_opts *o, struct plan *p, struct sg_err *err)
{
	if (!o->in_path || !o->out_path || !o->key_uri)
		return sg_errf(err, SG_EINPUT, "MCUboot signing needs an input, an output and a key");
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
	if (p->pad_slot && o->slot_size == 0)
		return sg_errf(err, SG_EINPUT, "padding to the slot (--pad, --confirm) needs a "
					       "slot size");
	/* bootutil finds the trailer flags by aligning down from the slot
	 * end; imgtool counts back from it. They agree on aligned slots only. */
	if (p->pad_slot && o->slot_size % p->trailer.max_align)
		return sg_errf(err, SG_EINPUT,
			       "slot size 0x%x is not a multiple of the maximum alignment %u",
			       o->slot_size, p->trailer.max_align);
	if (o->has_load_addr && o->load_addr == 0)
		return sg_errf(err, SG_EINPUT,
			       "load address 0: RAM_LOAD needs a non-zero address (imgtool "
			       "ignores 0)");
	p->hdr_size = o->header_size;
	p->erased = o->erased_zero ? 0x00 : 0xff;
	if (o->has_counter) {
		struct sg_mcuboot_tlv_writer w;
		uint8_t v[4] = { (uint8_t)o->security_counter,
				 (uint8_t)(o->security_counter >> 8),
				 (uint8_t)(o->security_counter >> 16),
				 (uint8_t)(o->security_counter >> 24) };
		sg_mcuboot_tlvw_init(&w, SG_MCUBOOT_TLV_PROT_INFO_MAGIC, p->prot, sizeof(p->prot));
		sg_mcuboot_tlvw_add(&w, SG_MCUBOOT_TLV_SEC_CNT, v, sizeof(v));
		p->prot_len = sg_mcuboot_tlvw_finish(&w);
	}
	return SG_OK;
}

/* Without pad_header the build left room for the header: imgtool refuses
 * input whose first header_size bytes are not all zero, and so do we. */
static int check_input(const struct sg_mcuboot_opts *o, struct sg_input *in, struct plan *p,
		       struct sg_err *err)
{
	if (!o->pad_header) {
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

static int open_signer(const struct sg_mcuboot_opts *o, struct sg_hsm_ctx *hsm,
		       struct signer *s, struct sg_err *err)
{
	int rc = sg_hsm_key_open(hsm, o->key_uri, &s->key, err);
	if (rc)
		return rc;
	enum sg_key_type t = sg_hsm_key_type(s->key);
	s->digest_type = t == SG_KEY_ECDSA_P384 ? SG_MCUBOOT_TLV_SHA384 : SG_MCUBOOT_TLV_SHA256;
	s->md = t == SG_KEY_ECDSA_P384 ? EVP_sha384() : EVP_sha256();
	switch (t) {
	case SG_KEY_ECDSA_P256:
		s->sig_type = SG_MCUBOOT_TLV_ECDSA_SIG;
		s->sig_max = ECDSA_P256_DER_MAX;
		break;
	case SG_KEY_ECDSA_P384:
		s->sig_type = SG_MCUBOOT_TLV_ECDSA_SIG;
		s->sig_max = ECDSA_P384_DER_MAX;
		break;
	case SG_KEY_ED25519:
		s->sig_type = SG_MCUBOOT_TLV_ED25519;
		s->sig_max = 64;
		break;
	case SG_KEY_RSA_3072:
		s->sig_type = SG_MCUBOOT_TLV_RSA3072_PSS;
		s->sig_max = 384;
		break;
	default:
		return sg_errf(err, SG_EINPUT,
			       "key %s: %s keys cannot sign MCUboot images (ecdsa-p256, "
			       "ecdsa-p384, ed25519 or rsa-3072)",
			       o->key_uri, sg_key_type_name(t));
	}
	size_t spki_len;
	const unsigned char *spki = sg_hsm_key_spki(s->key, &spki_len);
	s->pub = d2i_PUBKEY(NULL, &spki, (long)spki_len);
	if (!s->pub || sg_mcuboot_key_hash(s->pub, s->digest_type, s->keyhash, &s->keyhash_len))
		return sg_errf(err, SG_EINPUT, "key %s: unusable public key", o->key_uri);
	return SG_OK;
}

static size_t tlv_area_len(const struct signer *s, size_t sig_len)
{
	return SG_MCUBOOT_TLV_INFO_SIZE + 3 * SG_MCUBOOT_TLV_HDR_SIZE +
	       sg_mcuboot_digest_len(s->digest_type) + s->keyhash_len + sig_len;
}

/* imgtool's check_trailer: image, TLVs and trailer must fit the slot. */
static int check_fit(const struct sg_mcuboot_opts *o, const struct plan *p, uint64_t image_end,
		     struct sg_err *err)
{
	if (o->slot_size && image_end + p->trailer.size > o->slot_size)
		return sg_errf(err, SG_EINPUT,
			       "image with TLVs (0x%llx bytes) and trailer (0x%x bytes) do not fit "
			       "the 0x%x-byte slot",
			       (unsigned long long)image_end, p->trailer.size, o->slot_size);
	return SG_OK;
}

static void make_header(const struct sg_mcuboot_opts *o, const struct plan *p, uint8_t *out)
{
	struct sg_mcuboot_header h = {
		.magic = SG_MCUBOOT_IMAGE_MAGIC,
		.load_addr = o->has_load_addr ? o->load_addr : 0,
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

/* Writes and hashes header area, image and protected TLVs. */
static int write_hashed(const struct sg_mcuboot_opts *o, const struct plan *p,
			struct sg_input *in, struct sg_atomic_file *out, EVP_MD_CTX *md,
			uint8_t *buf, struct sg_err *err)
{
	/* Header area: the header, then erased bytes (pad_header) or the
	 * input's zeros it replaces. */
	memset(buf, o->pad_header ? p->erased : 0, p->hdr_size);
	make_header(o, p, buf);
	int rc = sg_atomic_pwrite(out, buf, p->hdr_size, 0, err);
	if (rc)
		return rc;
	if (!EVP_DigestUpdate(md, buf, p->hdr_size))
		return sg_errf(err, SG_EENV, "hashing failed");
	for (uint64_t off = 0; off < p->img_size;) {
		size_t n = p->img_size - off < CHUNK ? (size_t)(p->img_size - off) : CHUNK;
		long long at = (long long)(p->hdr_size + off);
		if ((rc = sg_input_read(in, p->src_off + off, buf, n, err)) ||
		    (rc = sg_atomic_pwrite(out, buf, n, at, err)))
			return rc;
		sg_atomic_start_writeback(out, at, n);
		if (!EVP_DigestUpdate(md, buf, n))
			return sg_errf(err, SG_EENV, "hashing failed");
		off += n;
	}
	if (!p->prot_len)
		return SG_OK;
	if (!EVP_DigestUpdate(md, p->prot, p->prot_len))
		return sg_errf(err, SG_EENV, "hashing failed");
	return sg_atomic_pwrite(out, p->prot, p->prot_len, (long long)(p->hdr_size + p->img_size),
				err);
}

/* Signs the digest (Ed25519: the digest is the message, as imgtool's
 * sign_digest) and checks the token's answer with the public key. */
static int sign_digest(const struct sg_mcuboot_opts *o, const struct signer *s,
		       const uint8_t *digest, size_t dlen, uint8_t *sig, size_t *sig_len,
		       struct sg_err *err)
{
	int rc = s->sig_type == SG_MCUBOOT_TLV_ED25519
			 ? sg_hsm_sign(s->key, digest, dlen, sig, sig_len, err)
			 : sg_hsm_sign_digest(s->key, digest, dlen, sig, sig_len, err);
	if (rc)
		return rc;
	if (*sig_len > s->sig_max ||
	    sg_mcuboot_check_sig(s->pub, s->sig_type, digest, dlen, sig, *sig_len) != 1)
		return sg_errf(err, SG_EENV,
			       "key %s: the token's signature does not verify with its public key",
			       o->key_uri);
	return SG_OK;
}

/* Unprotected TLVs in imgtool's order: digest, key hash, signature. */
static int write_tlvs(const struct sg_mcuboot_opts *o, const struct plan *p,
		      const struct signer *s, const uint8_t *digest, struct sg_atomic_file *out,
		      uint64_t *image_end, struct sg_err *err)
{
	size_t dlen = sg_mcuboot_digest_len(s->digest_type);
	uint8_t sig[SG_SIG_MAX];
	size_t sig_len;
	int rc = sign_digest(o, s, digest, dlen, sig, &sig_len, err);
	if (rc)
		return rc;
	uint8_t area[1024];
	struct sg_mcuboot_tlv_writer w;
	sg_mcuboot_tlvw_init(&w, SG_MCUBOOT_TLV_INFO_MAGIC, area, sizeof(area));
	if (sg_mcuboot_tlvw_add(&w, s->digest_type, digest, dlen) ||
	    sg_mcuboot_tlvw_add(&w, SG_MCUBOOT_TLV_KEYHASH, s->keyhash, s->keyhash_len) ||
	    sg_mcuboot_tlvw_add(&w, s->sig_type, sig, sig_len))
		return sg_errf(err, SG_EENV, "internal error: TLV area overflow");
	size_t len = sg_mcuboot_tlvw_finish(&w);
	uint64_t off = p->hdr_size + p->img_size + p->prot_len;
	*image_end = off + len;
	if ((rc = check_fit(o, p, *image_end, err)))
		return rc;
	return sg_atomic_pwrite(out, area, len, (long long)off, err);
}

/* imgtool's pad_to: erased bytes to the slot end, the boot magic last,
 * image_ok = 1 when confirmed. */
static int write_trailer(const struct sg_mcuboot_opts *o, const struct plan *p,
			 uint64_t image_end, struct sg_atomic_file *out, uint8_t *buf,
			 struct sg_err *err)
{
	uint64_t end = o->slot_size;
	memset(buf, p->erased, PAD_CHUNK);
	for (uint64_t off = image_end; off < end;) {
		size_t n = end - off < PAD_CHUNK ? (size_t)(end - off) : PAD_CHUNK;
		int rc = sg_atomic_pwrite(out, buf, n, (long long)off, err);
		if (rc)
			return rc;
		off += n;
	}
	uint8_t ok = SG_MCUBOOT_FLAG_SET;
	int rc = sg_atomic_pwrite(out, p->trailer.magic, SG_MCUBOOT_MAGIC_SIZE,
				  (long long)(end - p->trailer.magic_from_end), err);
	if (!rc && o->confirm)
		rc = sg_atomic_pwrite(out, &ok, 1, (long long)(end - p->trailer.image_ok_from_end),
				      err);
	return rc;
}

static int write_image(const struct sg_mcuboot_opts *o, const struct plan *p,
		       struct sg_input *in, const struct signer *s, struct sg_err *err)
{
	struct sg_atomic_file out;
	int rc = sg_atomic_open(&out, o->out_path, err);
	if (rc)
		return rc;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t *buf = malloc(CHUNK);
	uint8_t digest[SG_MCUBOOT_DIGEST_MAX];
	uint64_t image_end = 0;
	if (!md || !buf || !EVP_DigestInit_ex(md, s->md, NULL))
		rc = sg_errf(err, SG_EENV, "out of memory");
	if (!rc)
		rc = write_hashed(o, p, in, &out, md, buf, err);
	if (!rc && !EVP_DigestFinal_ex(md, digest, NULL))
		rc = sg_errf(err, SG_EENV, "hashing failed");
	if (!rc)
		rc = write_tlvs(o, p, s, digest, &out, &image_end, err);
	if (!rc && p->pad_slot)
		rc = write_trailer(o, p, image_end, &out, buf, err);
	EVP_MD_CTX_free(md);
	free(buf);
	if (rc) {
		sg_atomic_abort(&out);
		return rc;
	}
	return sg_atomic_commit(&out, err);
}

int sg_mcuboot_sign_file(const struct sg_mcuboot_opts *o, struct sg_hsm_ctx *hsm,
			 struct sg_err *err)
{
	struct plan p;
	memset(&p, 0, sizeof(p));
	int rc = check_opts(o, &p, err);
	if (rc)
		return rc;
	struct sg_input in;
	if ((rc = sg_input_open(&in, o->in_path, o->in_format, o->pad, err)))
		return rc;
	struct signer s;
	memset(&s, 0, sizeof(s));
	rc = check_input(o, &in, &p, err);
	if (!rc)
		rc = open_signer(o, hsm, &s, err);
	/* Fail before writing if even the longest signature would not fit. */
	if (!rc)
		rc = check_fit(o, &p, p.hdr_size + p.img_size + p.prot_len + tlv_area_len(&s, s.sig_max),
			       err);
	if (!rc)
		rc = write_image(o, &p, &in, &s, err);
	EVP_PKEY_free(s.pub);
	sg_input_close(&in);
	return rc;
}
