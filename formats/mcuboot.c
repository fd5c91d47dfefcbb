/* MCUboot image codec: see mcuboot.h and docs/mcuboot.md. */
#include "signet/mcuboot.h"

#include <string.h>

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

bool sg_mcuboot_detect(const uint8_t *first4, size_t n)
{
	return n >= 4 && get32(first4) == SG_MCUBOOT_IMAGE_MAGIC;
}

/* ---- header ---- */

void sg_mcuboot_header_encode(const struct sg_mcuboot_header *h,
			      uint8_t out[SG_MCUBOOT_HEADER_SIZE])
{
	put32(out, h->magic);
	put32(out + 4, h->load_addr);
	put16(out + 8, h->hdr_size);
	put16(out + 10, h->protect_tlv_size);
	put32(out + 12, h->img_size);
	put32(out + 16, h->flags);
	out[20] = h->ver_major;
	out[21] = h->ver_minor;
	put16(out + 22, h->ver_revision);
	put32(out + 24, h->ver_build);
	put32(out + 28, h->pad1);
}

int sg_mcuboot_header_decode(const uint8_t in[SG_MCUBOOT_HEADER_SIZE],
			     struct sg_mcuboot_header *h, struct sg_err *err)
{
	h->magic = get32(in);
	h->load_addr = get32(in + 4);
	h->hdr_size = get16(in + 8);
	h->protect_tlv_size = get16(in + 10);
	h->img_size = get32(in + 12);
	h->flags = get32(in + 16);
	h->ver_major = in[20];
	h->ver_minor = in[21];
	h->ver_revision = get16(in + 22);
	h->ver_build = get32(in + 24);
	h->pad1 = get32(in + 28);
	if (h->magic == SG_MCUBOOT_IMAGE_MAGIC_V1)
		return sg_errf(err, SG_EINPUT,
			       "MCUboot v1 image magic 0x%08x: that old layout is not supported",
			       h->magic);
	if (h->magic != SG_MCUBOOT_IMAGE_MAGIC)
		return sg_errf(err, SG_EINPUT,
			       "not an MCUboot image: magic 0x%08x, want 0x%08x", h->magic,
			       SG_MCUBOOT_IMAGE_MAGIC);
	if (h->hdr_size < SG_MCUBOOT_HEADER_SIZE)
		return sg_errf(err, SG_EINPUT, "header size %u is below the %d-byte header",
			       h->hdr_size, SG_MCUBOOT_HEADER_SIZE);
	return SG_OK;
}

/* ---- TLV writer ---- */

void sg_mcuboot_tlvw_init(struct sg_mcuboot_tlv_writer *w, uint16_t magic, uint8_t *buf,
			  size_t cap)
{
	w->buf = buf;
	w->cap = cap;
	w->len = SG_MCUBOOT_TLV_INFO_SIZE;
	w->magic = magic;
	w->count = 0;
}

int sg_mcuboot_tlvw_add(struct sg_mcuboot_tlv_writer *w, uint16_t type, const void *val,
			size_t len)
{
	size_t need = SG_MCUBOOT_TLV_HDR_SIZE + len;
	if (len > SG_MCUBOOT_TLV_AREA_MAX || need > w->cap - w->len ||
	    w->len + need > SG_MCUBOOT_TLV_AREA_MAX || w->cap < w->len)
		return -1;
	put16(w->buf + w->len, type);
	put16(w->buf + w->len + 2, (uint16_t)len);
	if (len)
		memcpy(w->buf + w->len + SG_MCUBOOT_TLV_HDR_SIZE, val, len);
	w->len += need;
	w->count++;
	return 0;
}

size_t sg_mcuboot_tlvw_finish(struct sg_mcuboot_tlv_writer *w)
{
	if (w->count == 0 || w->cap < SG_MCUBOOT_TLV_INFO_SIZE)
		return 0;
	put16(w->buf, w->magic);
	put16(w->buf + 2, (uint16_t)w->len);
	return w->len;
}

/* ---- names ---- */

struct tlv_desc {
	uint16_t type;
	const char *name;
};

static const struct tlv_desc tlv_names[] = {
	{ SG_MCUBOOT_TLV_KEYHASH, "KEYHASH" },
	{ SG_MCUBOOT_TLV_PUBKEY, "PUBKEY" },
	{ SG_MCUBOOT_TLV_SHA256, "SHA256" },
	{ SG_MCUBOOT_TLV_SHA384, "SHA384" },
	{ SG_MCUBOOT_TLV_SHA512, "SHA512" },
	{ SG_MCUBOOT_TLV_RSA2048_PSS, "RSA2048_PSS" },
	{ SG_MCUBOOT_TLV_ECDSA224, "ECDSA224" },
	{ SG_MCUBOOT_TLV_ECDSA_SIG, "ECDSA_SIG" },
	{ SG_MCUBOOT_TLV_RSA3072_PSS, "RSA3072_PSS" },
	{ SG_MCUBOOT_TLV_ED25519, "ED25519" },
	{ SG_MCUBOOT_TLV_SIG_PURE, "SIG_PURE" },
	{ SG_MCUBOOT_TLV_ENC_RSA2048, "ENC_RSA2048" },
	{ SG_MCUBOOT_TLV_ENC_KW, "ENC_KW" },
	{ SG_MCUBOOT_TLV_ENC_EC256, "ENC_EC256" },
	{ SG_MCUBOOT_TLV_ENC_X25519, "ENC_X25519" },
	{ SG_MCUBOOT_TLV_ENC_X25519_SHA512, "ENC_X25519_SHA512" },
	{ SG_MCUBOOT_TLV_DEPENDENCY, "DEPENDENCY" },
	{ SG_MCUBOOT_TLV_SEC_CNT, "SEC_CNT" },
	{ SG_MCUBOOT_TLV_BOOT_RECORD, "BOOT_RECORD" },
	{ SG_MCUBOOT_TLV_DECOMP_SIZE, "DECOMP_SIZE" },
	{ SG_MCUBOOT_TLV_DECOMP_SHA, "DECOMP_SHA" },
	{ SG_MCUBOOT_TLV_DECOMP_SIGNATURE, "DECOMP_SIGNATURE" },
	{ SG_MCUBOOT_TLV_COMP_DEC_SIZE, "COMP_DEC_SIZE" },
	{ SG_MCUBOOT_TLV_UUID_VID, "UUID_VID" },
	{ SG_MCUBOOT_TLV_UUID_CID, "UUID_CID" },
};

/* bootutil reserves xxA0-xxFF of every upper byte for vendors. */
static bool is_vendor(uint16_t type)
{
	return (type & 0xffu) >= 0xa0u && type != SG_MCUBOOT_TLV_ANY;
}

const char *sg_mcuboot_tlv_name(uint16_t type)
{
	for (size_t i = 0; i < sizeof(tlv_names) / sizeof(tlv_names[0]); i++)
		if (tlv_names[i].type == type)
			return tlv_names[i].name;
	return is_vendor(type) ? "vendor" : "unknown";
}

unsigned sg_mcuboot_digest_len(uint16_t type)
{
	switch (type) {
	case SG_MCUBOOT_TLV_SHA256:
		return 32;
	case SG_MCUBOOT_TLV_SHA384:
		return 48;
	case SG_MCUBOOT_TLV_SHA512:
		return 64;
	default:
		return 0;
	}
}

const char *sg_mcuboot_digest_name(uint16_t type)
{
	switch (type) {
	case SG_MCUBOOT_TLV_SHA256:
		return "sha256";
	case SG_MCUBOOT_TLV_SHA384:
		return "sha384";
	case SG_MCUBOOT_TLV_SHA512:
		return "sha512";
	default:
		return NULL;
	}
}

const char *sg_mcuboot_flag_name(uint32_t bit)
{
	switch (bit) {
	case SG_MCUBOOT_F_PIC:
		return "PIC";
	case SG_MCUBOOT_F_ENCRYPTED_AES128:
		return "ENCRYPTED_AES128";
	case SG_MCUBOOT_F_ENCRYPTED_AES256:
		return "ENCRYPTED_AES256";
	case SG_MCUBOOT_F_NON_BOOTABLE:
		return "NON_BOOTABLE";
	case SG_MCUBOOT_F_RAM_LOAD:
		return "RAM_LOAD";
	case SG_MCUBOOT_F_ROM_FIXED:
		return "ROM_FIXED";
	case SG_MCUBOOT_F_COMPRESSED_LZMA1:
		return "COMPRESSED_LZMA1";
	case SG_MCUBOOT_F_COMPRESSED_LZMA2:
		return "COMPRESSED_LZMA2";
	case SG_MCUBOOT_F_COMPRESSED_ARM_THUMB:
		return "COMPRESSED_ARM_THUMB";
	default:
		return NULL;
	}
}

/* ---- trailer layout ---- */

static const uint8_t magic_classic[SG_MCUBOOT_MAGIC_SIZE] = {
	0x77, 0xc2, 0x95, 0xf3, 0x60, 0xd2, 0xef, 0x7f,
	0x35, 0x52, 0x50, 0x0f, 0x2c, 0xb6, 0x79, 0x80,
};
/* With a maximum alignment other than 8 the magic is that alignment
 * (16 bits) followed by these 14 bytes. */
static const uint8_t magic_tail[SG_MCUBOOT_MAGIC_SIZE - 2] = {
	0x2d, 0xe1, 0x5d, 0x29, 0x41, 0x0b, 0x8d,
	0x77, 0x67, 0x9c, 0x11, 0x0f, 0x1f, 0x8a,
};

static uint32_t align_up(uint32_t v, uint32_t a)
{
	return (v + a - 1) & ~(a - 1);
}

int sg_mcuboot_trailer_layout(uint32_t align, uint32_t max_align, uint32_t max_sectors,
			      struct sg_mcuboot_trailer_layout *l)
{
	if (align == 0 || align > 32 || (align & (align - 1)))
		return -1;
	if (max_align == 0)
		max_align = align > 8 ? align : 8;
	if ((max_align != 8 && max_align != 16 && max_align != 32) || max_align < align)
		return -1;
	if (max_sectors == 0)
		max_sectors = SG_MCUBOOT_MAX_SECTORS_DEFAULT;
	if (max_sectors > 0x10000)
		return -1; /* keeps the size far from overflow */
	memset(l, 0, sizeof(*l));
	l->align = align;
	l->max_align = max_align;
	l->max_sectors = max_sectors;
	uint32_t magic_area = align_up(SG_MCUBOOT_MAGIC_SIZE, max_align);
	l->size = max_sectors * 3 * align + max_align * 4 + magic_area;
	l->magic_from_end = SG_MCUBOOT_MAGIC_SIZE;
	l->image_ok_from_end = magic_area + max_align;
	l->copy_done_from_end = magic_area + 2 * max_align;
	l->swap_info_from_end = magic_area + 3 * max_align;
	l->swap_size_from_end = magic_area + 4 * max_align;
	if (max_align == 8) {
		memcpy(l->magic, magic_classic, sizeof(magic_classic));
	} else {
		put16(l->magic, (uint16_t)max_align);
		memcpy(l->magic + 2, magic_tail, sizeof(magic_tail));
	}
	return 0;
}

/* ---- parser ---- */

struct parser {
	struct sg_mcuboot_info *info;
	sg_mcuboot_read_fn rd;
	void *arg;
	struct sg_err *err;
	int key_tlv; /* the last KEYHASH/PUBKEY not yet paired with a signature */
};

static int rd(struct parser *p, uint64_t off, uint8_t *buf, size_t len)
{
	if (p->rd(p->arg, off, buf, len))
		return sg_errf(p->err, SG_EENV, "read of %zu bytes at 0x%llx failed", len,
			       (unsigned long long)off);
	return SG_OK;
}

/* Types allowed in the protected area, and their lengths (0: any). */
static int prot_rule(uint16_t type, uint16_t len, bool *ok)
{
	*ok = true;
	switch (type) {
	case SG_MCUBOOT_TLV_SEC_CNT:
	case SG_MCUBOOT_TLV_DECOMP_SIZE:
	case SG_MCUBOOT_TLV_COMP_DEC_SIZE:
		return len == 4;
	case SG_MCUBOOT_TLV_DEPENDENCY:
		return len == 12;
	case SG_MCUBOOT_TLV_UUID_VID:
	case SG_MCUBOOT_TLV_UUID_CID:
		return len == 16;
	case SG_MCUBOOT_TLV_DECOMP_SHA:
		return len == 32 || len == 48 || len == 64;
	case SG_MCUBOOT_TLV_BOOT_RECORD:
	case SG_MCUBOOT_TLV_DECOMP_SIGNATURE:
		return 1;
	default:
		*ok = is_vendor(type);
		return 1;
	}
}

/* bootutil's allow list for the unprotected area, and lengths. */
static int unprot_rule(uint16_t type, uint16_t len, bool *ok)
{
	*ok = true;
	switch (type) {
	case SG_MCUBOOT_TLV_SHA256:
	case SG_MCUBOOT_TLV_SHA384:
	case SG_MCUBOOT_TLV_SHA512:
		return len == sg_mcuboot_digest_len(type);
	case SG_MCUBOOT_TLV_KEYHASH:
		return len == 32 || len == 48 || len == 64;
	case SG_MCUBOOT_TLV_PUBKEY:
		return len > 0 && len <= SG_MCUBOOT_PUBKEY_MAX;
	case SG_MCUBOOT_TLV_ED25519:
		return len == 64;
	case SG_MCUBOOT_TLV_RSA2048_PSS:
		return len == 256;
	case SG_MCUBOOT_TLV_RSA3072_PSS:
		return len == 384;
	case SG_MCUBOOT_TLV_ECDSA_SIG: /* DER, bootutil's buffer is 128 */
	case SG_MCUBOOT_TLV_ECDSA224:
		return len >= 8 && len <= 128;
	case SG_MCUBOOT_TLV_SIG_PURE:
		return len == 1;
	case SG_MCUBOOT_TLV_ENC_RSA2048:
	case SG_MCUBOOT_TLV_ENC_KW:
	case SG_MCUBOOT_TLV_ENC_EC256:
	case SG_MCUBOOT_TLV_ENC_X25519:
	case SG_MCUBOOT_TLV_ENC_X25519_SHA512:
		return 1;
	default:
		*ok = false;
		return 1;
	}
}

static bool is_sig(uint16_t type)
{
	return type == SG_MCUBOOT_TLV_ED25519 || type == SG_MCUBOOT_TLV_ECDSA_SIG ||
	       type == SG_MCUBOOT_TLV_RSA2048_PSS || type == SG_MCUBOOT_TLV_RSA3072_PSS;
}

static int check_rule(struct parser *p, const struct sg_mcuboot_tlv *t)
{
	bool known;
	int len_ok = t->prot ? prot_rule(t->type, t->len, &known)
			     : unprot_rule(t->type, t->len, &known);
	unsigned long long at = (unsigned long long)(t->off - SG_MCUBOOT_TLV_HDR_SIZE);
	if (!known && t->prot)
		return sg_errf(p->err, SG_EINPUT, "unknown protected TLV type 0x%04x at 0x%llx",
			       t->type, at);
	if (!known)
		return sg_errf(p->err, SG_EINPUT,
			       "TLV 0x%04x (%s) at 0x%llx is not allowed outside the protected area",
			       t->type, sg_mcuboot_tlv_name(t->type), at);
	if (!len_ok)
		return sg_errf(p->err, SG_EINPUT, "%s TLV at 0x%llx: bad length %u",
			       sg_mcuboot_tlv_name(t->type), at, t->len);
	return SG_OK;
}

/* Decodes the TLVs whose values matter to signet; the rest are listed. */
static int decode(struct parser *p, const struct sg_mcuboot_tlv *t, int index)
{
	struct sg_mcuboot_info *info = p->info;
	unsigned long long at = (unsigned long long)(t->off - SG_MCUBOOT_TLV_HDR_SIZE);
	switch (t->type) {
	case SG_MCUBOOT_TLV_SEC_CNT:
		if (info->has_counter)
			return sg_errf(p->err, SG_EINPUT, "second SEC_CNT TLV at 0x%llx", at);
		info->has_counter = true;
		info->security_counter = get32(t->peek);
		return SG_OK;
	case SG_MCUBOOT_TLV_SHA256:
	case SG_MCUBOOT_TLV_SHA384:
	case SG_MCUBOOT_TLV_SHA512:
		if (info->digest_type)
			return sg_errf(p->err, SG_EINPUT, "second image digest TLV at 0x%llx", at);
		info->digest_type = t->type;
		info->digest_len = (uint8_t)t->len;
		memcpy(info->digest, t->peek, t->len);
		return SG_OK;
	case SG_MCUBOOT_TLV_KEYHASH:
	case SG_MCUBOOT_TLV_PUBKEY:
		p->key_tlv = index;
		return SG_OK;
	case SG_MCUBOOT_TLV_SIG_PURE:
		info->sig_pure = info->sig_pure || t->peek[0] == 1;
		return SG_OK;
	case SG_MCUBOOT_TLV_ENC_RSA2048:
	case SG_MCUBOOT_TLV_ENC_KW:
	case SG_MCUBOOT_TLV_ENC_EC256:
	case SG_MCUBOOT_TLV_ENC_X25519:
	case SG_MCUBOOT_TLV_ENC_X25519_SHA512:
		info->encrypted = true;
		return SG_OK;
	default:
		break;
	}
	if (!is_sig(t->type))
		return SG_OK;
	if (info->nsigs == SG_MCUBOOT_MAX_SIGS)
		return sg_errf(p->err, SG_EINPUT, "more than %d signature TLVs",
			       SG_MCUBOOT_MAX_SIGS);
	struct sg_mcuboot_sig *s = &info->sigs[info->nsigs++];
	s->tlv = index;
	s->key_tlv = p->key_tlv; /* bootutil forgets the key after each signature */
	s->trust_index = -1;
	p->key_tlv = -1;
	return SG_OK;
}

/* Walks the TLVs of one area, [off, end): each must fit inside it and
 * together they must fill it exactly. */
static int walk(struct parser *p, uint64_t off, uint64_t end, bool prot)
{
	const char *area = prot ? "protected TLV area" : "TLV area";
	struct sg_mcuboot_info *info = p->info;
	while (off < end) {
		if (end - off < SG_MCUBOOT_TLV_HDR_SIZE)
			return sg_errf(p->err, SG_EINPUT,
				       "TLV at 0x%llx: header runs past the end of the %s (0x%llx)",
				       (unsigned long long)off, area, (unsigned long long)end);
		uint8_t h[SG_MCUBOOT_TLV_HDR_SIZE];
		int rc = rd(p, off, h, sizeof(h));
		if (rc)
			return rc;
		uint16_t type = get16(h), len = get16(h + 2);
		if (len > end - off - SG_MCUBOOT_TLV_HDR_SIZE)
			return sg_errf(p->err, SG_EINPUT,
				       "TLV 0x%04x at 0x%llx: length %u runs past the end of the "
				       "%s (0x%llx)",
				       type, (unsigned long long)off, len, area,
				       (unsigned long long)end);
		if (info->ntlvs == SG_MCUBOOT_MAX_TLVS)
			return sg_errf(p->err, SG_EINPUT, "more than %d TLVs",
				       SG_MCUBOOT_MAX_TLVS);
		struct sg_mcuboot_tlv *t = &info->tlvs[info->ntlvs];
		t->type = type;
		t->len = len;
		t->prot = prot;
		t->off = off + SG_MCUBOOT_TLV_HDR_SIZE;
		size_t peek = len < SG_MCUBOOT_TLV_PEEK ? len : SG_MCUBOOT_TLV_PEEK;
		if ((rc = check_rule(p, t)) || (rc = rd(p, t->off, t->peek, peek)) ||
		    (rc = decode(p, t, (int)info->ntlvs)))
			return rc;
		info->ntlvs++;
		off = t->off + len;
	}
	return SG_OK;
}

/* Reads one TLV info header at off: its magic and total size (>= 4). */
static int area_info(struct parser *p, uint64_t off, uint16_t *magic, uint16_t *tot)
{
	if (off > p->info->file_size || p->info->file_size - off < SG_MCUBOOT_TLV_INFO_SIZE)
		return sg_errf(p->err, SG_EINPUT,
			       "truncated: no TLV area at 0x%llx (file is %llu bytes)",
			       (unsigned long long)off, (unsigned long long)p->info->file_size);
	uint8_t b[SG_MCUBOOT_TLV_INFO_SIZE];
	int rc = rd(p, off, b, sizeof(b));
	if (rc)
		return rc;
	*magic = get16(b);
	*tot = get16(b + 2);
	return SG_OK;
}

/* Finds both areas the way bootutil_tlv_iter_begin does, with bounds. */
static int locate_areas(struct parser *p)
{
	struct sg_mcuboot_info *info = p->info;
	uint64_t off = (uint64_t)info->hdr.hdr_size + info->hdr.img_size;
	uint16_t magic, tot;
	int rc = area_info(p, off, &magic, &tot);
	if (rc)
		return rc;
	if (magic == SG_MCUBOOT_TLV_PROT_INFO_MAGIC) {
		if (tot != info->hdr.protect_tlv_size)
			return sg_errf(p->err, SG_EINPUT,
				       "protected TLV area at 0x%llx is %u bytes, the header says %u",
				       (unsigned long long)off, tot, info->hdr.protect_tlv_size);
		if (tot < SG_MCUBOOT_TLV_INFO_SIZE)
			return sg_errf(p->err, SG_EINPUT,
				       "protected TLV area at 0x%llx: size %u is below 4",
				       (unsigned long long)off, tot);
		info->prot_off = off;
		off += tot;
		if ((rc = area_info(p, off, &magic, &tot)))
			return rc;
	} else if (info->hdr.protect_tlv_size) {
		return sg_errf(p->err, SG_EINPUT,
			       "the header says %u bytes of protected TLVs, but 0x%llx holds no "
			       "protected TLV area (magic 0x%04x)",
			       info->hdr.protect_tlv_size, (unsigned long long)off, magic);
	}
	if (magic != SG_MCUBOOT_TLV_INFO_MAGIC)
		return sg_errf(p->err, SG_EINPUT, "no TLV area at 0x%llx: magic 0x%04x, want 0x%04x",
			       (unsigned long long)off, magic, SG_MCUBOOT_TLV_INFO_MAGIC);
	if (tot < SG_MCUBOOT_TLV_INFO_SIZE)
		return sg_errf(p->err, SG_EINPUT, "TLV area at 0x%llx: size %u is below 4",
			       (unsigned long long)off, tot);
	if (info->file_size - off < tot)
		return sg_errf(p->err, SG_EINPUT,
			       "truncated: the TLV area at 0x%llx ends at 0x%llx, past the end of "
			       "the file (0x%llx)",
			       (unsigned long long)off, (unsigned long long)(off + tot),
			       (unsigned long long)info->file_size);
	info->tlv_off = off;
	info->tlv_size = tot;
	info->image_end = off + tot;
	info->hashed_size = info->prot_off ? info->prot_off + info->hdr.protect_tlv_size
					   : (uint64_t)info->hdr.hdr_size + info->hdr.img_size;
	return SG_OK;
}

/* A boot magic at the very end of the file means a padded slot image:
 * read the trailer flags where bootutil reads them (bootutil_misc.h: each
 * field one max_align below the next, image_ok aligned down). Anything
 * else after the TLV area is left alone: bootutil never reads it. */
static int read_trailer(struct parser *p)
{
	struct sg_mcuboot_info *info = p->info;
	struct sg_mcuboot_trailer *tr = &info->trailer;
	if (info->file_size - info->image_end < SG_MCUBOOT_MAGIC_SIZE)
		return SG_OK;
	uint8_t m[SG_MCUBOOT_MAGIC_SIZE];
	uint64_t moff = info->file_size - SG_MCUBOOT_MAGIC_SIZE;
	int rc = rd(p, moff, m, sizeof(m));
	if (rc)
		return rc;
	uint32_t ma = 0;
	if (!memcmp(m, magic_classic, sizeof(m)))
		ma = 8;
	else if (!memcmp(m + 2, magic_tail, sizeof(magic_tail)) &&
		 (get16(m) == 16 || get16(m) == 32))
		ma = get16(m);
	if (!ma)
		return SG_OK;
	uint64_t image_ok = moff >= ma ? (moff - ma) & ~(uint64_t)(ma - 1) : 0;
	if (image_ok < info->image_end + 3ull * ma)
		return sg_errf(p->err, SG_EINPUT,
			       "the trailer (boot magic at 0x%llx) overlaps the TLV area ending at "
			       "0x%llx",
			       (unsigned long long)moff, (unsigned long long)info->image_end);
	uint8_t b[4];
	if ((rc = rd(p, image_ok, &tr->image_ok, 1)) ||
	    (rc = rd(p, image_ok - ma, &tr->copy_done, 1)) ||
	    (rc = rd(p, image_ok - 2ull * ma, &tr->swap_info, 1)) ||
	    (rc = rd(p, image_ok - 3ull * ma, b, 4)))
		return rc;
	tr->swap_size = get32(b);
	tr->present = true;
	tr->max_align = ma;
	tr->magic_off = moff;
	return SG_OK;
}

/* The start both parsers share: a zeroed info and a checked header. */
static int begin(struct parser *p, uint64_t size)
{
	struct sg_mcuboot_info *info = p->info;
	memset(info, 0, sizeof(*info));
	info->file_size = size;
	info->valid_sig = -1;
	if (size < SG_MCUBOOT_HEADER_SIZE)
		return sg_errf(p->err, SG_EINPUT,
			       "truncated: %llu bytes, an MCUboot header needs %d",
			       (unsigned long long)size, SG_MCUBOOT_HEADER_SIZE);
	uint8_t h[SG_MCUBOOT_HEADER_SIZE];
	int rc = rd(p, 0, h, sizeof(h));
	if (rc || (rc = sg_mcuboot_header_decode(h, &info->hdr, p->err)))
		return rc;
	if (info->hdr.flags & (SG_MCUBOOT_F_ENCRYPTED_AES128 | SG_MCUBOOT_F_ENCRYPTED_AES256))
		info->encrypted = true;
	return SG_OK;
}

int sg_mcuboot_parse(struct sg_mcuboot_info *info, sg_mcuboot_read_fn rdfn, void *arg,
		     uint64_t file_size, struct sg_err *err)
{
	struct parser p = { info, rdfn, arg, err, -1 };
	int rc = begin(&p, file_size);
	if (rc)
		return rc;
	if ((rc = locate_areas(&p)))
		return rc;
	if (info->prot_off &&
	    (rc = walk(&p, info->prot_off + SG_MCUBOOT_TLV_INFO_SIZE,
		       info->prot_off + info->hdr.protect_tlv_size, true)))
		return rc;
	if ((rc = walk(&p, info->tlv_off + SG_MCUBOOT_TLV_INFO_SIZE, info->image_end, false)))
		return rc;
	if (!info->digest_type && !info->sig_pure)
		return sg_errf(err, SG_EINPUT, "no image digest TLV (SHA256, SHA384 or SHA512)");
	return read_trailer(&p);
}

/* The hashed region alone ends where the protected area (or the image)
 * ends: that is where the TLV area will go. */
static int locate_hashed(struct parser *p)
{
	struct sg_mcuboot_info *info = p->info;
	const struct sg_mcuboot_header *h = &info->hdr;
	uint64_t off = (uint64_t)h->hdr_size + h->img_size;
	if (off + h->protect_tlv_size != info->file_size)
		return sg_errf(p->err, SG_EINPUT,
			       "the header says header, image and protected TLVs take 0x%llx "
			       "bytes, the hashed region is 0x%llx",
			       (unsigned long long)(off + h->protect_tlv_size),
			       (unsigned long long)info->file_size);
	info->hashed_size = info->tlv_off = info->image_end = info->file_size;
	if (!h->protect_tlv_size)
		return SG_OK;
	uint16_t magic, tot;
	int rc = area_info(p, off, &magic, &tot);
	if (rc)
		return rc;
	if (magic != SG_MCUBOOT_TLV_PROT_INFO_MAGIC || tot != h->protect_tlv_size ||
	    tot < SG_MCUBOOT_TLV_INFO_SIZE)
		return sg_errf(p->err, SG_EINPUT,
			       "no %u-byte protected TLV area at 0x%llx (magic 0x%04x, size %u)",
			       h->protect_tlv_size, (unsigned long long)off, magic, tot);
	info->prot_off = off;
	return walk(p, off + SG_MCUBOOT_TLV_INFO_SIZE, info->file_size, true);
}

int sg_mcuboot_parse_hashed(struct sg_mcuboot_info *info, sg_mcuboot_read_fn rdfn, void *arg,
			    uint64_t size, struct sg_err *err)
{
	struct parser p = { info, rdfn, arg, err, -1 };
	int rc = begin(&p, size);
	return rc ? rc : locate_hashed(&p);
}
