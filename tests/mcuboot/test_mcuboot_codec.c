/* The MCUboot codec and verifier on hand-made input: header and TLV
 * encoding, the trailer layout, and every structural rule and verdict,
 * each with its status and message. Images are crafted here with the
 * vectors' private test keys (OpenSSL), or patched from imgtool's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "mcuboot_testutil.h"

static const char *dir;

static int setup(void **state)
{
	(void)state;
	dir = mt_vectors_dir();
	return dir ? 0 : -1;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

/* ---- encoding ---- */

static void test_header_roundtrip(void **state)
{
	(void)state;
	struct sg_mcuboot_header h = { SG_MCUBOOT_IMAGE_MAGIC, 0x20000000, 0x200, 12, 0x10000,
				       SG_MCUBOOT_F_RAM_LOAD, 1, 2, 0x0304, 0x05060708, 0 };
	uint8_t b[SG_MCUBOOT_HEADER_SIZE];
	sg_mcuboot_header_encode(&h, b);
	static const uint8_t want[32] = { 0x3d, 0xb8, 0xf3, 0x96, 0, 0, 0, 0x20, 0, 2, 12, 0,
					  0, 0, 1, 0, 0x20, 0, 0, 0, 1, 2, 4, 3,
					  8, 7, 6, 5, 0, 0, 0, 0 };
	assert_memory_equal(b, want, sizeof(want));
	struct sg_mcuboot_header d;
	assert_int_equal(sg_mcuboot_header_decode(b, &d, NULL), SG_OK);
	assert_memory_equal(&d, &h, sizeof(h));
	assert_true(sg_mcuboot_detect(b, 4));
	assert_false(sg_mcuboot_detect(b, 3));
	assert_false(sg_mcuboot_detect((const uint8_t *)"SGNE", 4));

	struct sg_err err;
	b[8] = 16; /* hdr_size 0x210 is fine, 16 is not */
	b[9] = 0;
	mt_assert_err(sg_mcuboot_header_decode(b, &d, &err), &err, SG_EINPUT,
		      "header size 16 is below");
	b[0] = 0x3c;
	mt_assert_err(sg_mcuboot_header_decode(b, &d, &err), &err, SG_EINPUT, "v1 image magic");
	b[0] = 0;
	mt_assert_err(sg_mcuboot_header_decode(b, &d, &err), &err, SG_EINPUT,
		      "not an MCUboot image: magic 0x96f3b800");
}

static void test_trailer_layouts(void **state)
{
	(void)state;
	struct sg_mcuboot_trailer_layout l;
	/* imgtool: max_sectors * 3 * align + 4 * max_align + magic area. */
	assert_int_equal(sg_mcuboot_trailer_layout(8, 0, 0, &l), 0);
	assert_int_equal(l.max_align, 8);
	assert_int_equal(l.size, 128 * 3 * 8 + 32 + 16);
	assert_int_equal(l.image_ok_from_end, 24);
	assert_int_equal(l.copy_done_from_end, 32);
	assert_int_equal(l.swap_info_from_end, 40);
	assert_int_equal(l.swap_size_from_end, 48);
	assert_int_equal(l.magic[0], 0x77);
	assert_int_equal(l.magic[15], 0x80);
	assert_int_equal(sg_mcuboot_trailer_layout(1, 0, 0, &l), 0);
	assert_int_equal(l.size, 128 * 3 + 32 + 16);
	assert_int_equal(sg_mcuboot_trailer_layout(4, 0, 64, &l), 0);
	assert_int_equal(l.size, 64 * 3 * 4 + 32 + 16);
	assert_int_equal(sg_mcuboot_trailer_layout(32, 0, 0, &l), 0);
	assert_int_equal(l.max_align, 32);
	assert_int_equal(l.size, 128 * 3 * 32 + 4 * 32 + 32);
	assert_int_equal(l.image_ok_from_end, 64);
	assert_int_equal(l.magic[0], 32); /* the alignment, then the fixed tail */
	assert_int_equal(l.magic[1], 0);
	assert_int_equal(l.magic[2], 0x2d);
	assert_int_equal(sg_mcuboot_trailer_layout(4, 16, 0, &l), 0);
	assert_int_equal(l.size, 128 * 3 * 4 + 4 * 16 + 16);
	assert_int_equal(l.magic[0], 16);
	assert_int_equal(sg_mcuboot_trailer_layout(3, 0, 0, &l), -1);
	assert_int_equal(sg_mcuboot_trailer_layout(64, 0, 0, &l), -1);
	assert_int_equal(sg_mcuboot_trailer_layout(0, 0, 0, &l), -1);
	assert_int_equal(sg_mcuboot_trailer_layout(16, 8, 0, &l), -1);
	assert_int_equal(sg_mcuboot_trailer_layout(4, 12, 0, &l), -1);
}

static void test_tlv_writer(void **state)
{
	(void)state;
	uint8_t buf[32];
	struct sg_mcuboot_tlv_writer w;
	sg_mcuboot_tlvw_init(&w, SG_MCUBOOT_TLV_INFO_MAGIC, buf, sizeof(buf));
	assert_int_equal(sg_mcuboot_tlvw_finish(&w), 0); /* no TLV, no area */
	uint8_t v[4] = { 7, 0, 0, 0 };
	assert_int_equal(sg_mcuboot_tlvw_add(&w, SG_MCUBOOT_TLV_SEC_CNT, v, 4), 0);
	assert_int_equal(sg_mcuboot_tlvw_add(&w, 0x1234, NULL, 0), 0);
	assert_int_equal(sg_mcuboot_tlvw_add(&w, 1, buf, 20), -1); /* does not fit */
	assert_int_equal(sg_mcuboot_tlvw_finish(&w), 16);
	static const uint8_t want[16] = { 0x07, 0x69, 16, 0, 0x50, 0, 4, 0,
					  7, 0, 0, 0, 0x34, 0x12, 0, 0 };
	assert_memory_equal(buf, want, 16);
	static uint8_t big[0x20000];
	sg_mcuboot_tlvw_init(&w, SG_MCUBOOT_TLV_INFO_MAGIC, big, sizeof(big));
	assert_int_equal(sg_mcuboot_tlvw_add(&w, 0xa0, big + 0x10000, 0xfff0), 0);
	assert_int_equal(sg_mcuboot_tlvw_add(&w, 0xa0, big, 8), -1); /* past 64 KiB */
	assert_string_equal(sg_mcuboot_tlv_name(0x50), "SEC_CNT");
	assert_string_equal(sg_mcuboot_tlv_name(0x24), "ED25519");
	assert_string_equal(sg_mcuboot_tlv_name(0x01a0), "vendor");
	assert_string_equal(sg_mcuboot_tlv_name(0x0099), "unknown");
	assert_string_equal(sg_mcuboot_tlv_name(0xffff), "unknown");
	assert_string_equal(sg_mcuboot_flag_name(SG_MCUBOOT_F_RAM_LOAD), "RAM_LOAD");
	assert_null(sg_mcuboot_flag_name(0x40));
	assert_string_equal(sg_mcuboot_digest_name(SG_MCUBOOT_TLV_SHA384), "sha384");
}

/* ---- imgtool's image, patched ---- */

static uint8_t *ed25519_vector(size_t *len)
{
	char path[1024];
	mt_path(path, sizeof(path), dir, "ed25519.signed.bin");
	return mt_read(path, len);
}

static int parse_mem(const uint8_t *p, size_t n, struct sg_err *err)
{
	static struct sg_mcuboot_info info;
	struct mt_mem m = { p, n };
	return sg_mcuboot_parse(&info, mt_mem_read, &m, n, err);
}

/* ed25519.signed.bin: header 0x200, image 0x10000, protected area at
 * 0x10200 (SEC_CNT), TLV area at 0x1020c: SHA256 at 0x10210, KEYHASH at
 * 0x10234, ED25519 at 0x10258, end 0x1029c. */
static void test_patched(void **state)
{
	(void)state;
	size_t len;
	uint8_t *img = ed25519_vector(&len);
	struct sg_err err;
	assert_int_equal(len, 0x1029c);
	assert_int_equal(parse_mem(img, len, &err), SG_OK);

	/* Truncated anywhere. */
	mt_assert_err(parse_mem(img, 0, &err), &err, SG_EINPUT, "truncated: 0 bytes");
	mt_assert_err(parse_mem(img, 31, &err), &err, SG_EINPUT, "truncated: 31 bytes");
	mt_assert_err(parse_mem(img, 0x1000, &err), &err, SG_EINPUT,
		      "truncated: no TLV area at 0x10200");
	mt_assert_err(parse_mem(img, 0x10203, &err), &err, SG_EINPUT, "truncated");
	mt_assert_err(parse_mem(img, 0x1020e, &err), &err, SG_EINPUT,
		      "truncated: no TLV area at 0x1020c");
	mt_assert_err(parse_mem(img, len - 1, &err), &err, SG_EINPUT,
		      "the TLV area at 0x1020c ends at 0x1029c, past the end of the file");

	/* Bad magic. */
	img[3] = 0x97;
	mt_assert_err(parse_mem(img, len, &err), &err, SG_EINPUT, "not an MCUboot image");
	img[3] = 0x96;

	/* Signature TLV length past the end of the TLV area. */
	put16(img + 0x1025a, 0x100);
	mt_assert_err(parse_mem(img, len, &err), &err, SG_EINPUT,
		      "TLV 0x0024 at 0x10258: length 256 runs past the end of the TLV area "
		      "(0x1029c)");
	put16(img + 0x1025a, 0x40);
	/* Or one short: four bytes left that are no TLV. */
	put16(img + 0x1025a, 0x3c);
	mt_assert_err(parse_mem(img, len, &err), &err, SG_EINPUT, "ED25519 TLV at 0x10258: bad length 60");
	put16(img + 0x1025a, 0x40);

	/* An unknown type in the protected area. */
	img[0x10204] = 0x51;
	mt_assert_err(parse_mem(img, len, &err), &err, SG_EINPUT,
		      "unknown protected TLV type 0x0051 at 0x10204");
	img[0x10204] = 0x50;

	/* SEC_CNT outside the protected area is not trusted. */
	img[0x10234] = 0x50;
	mt_assert_err(parse_mem(img, len, &err), &err, SG_EINPUT,
		      "TLV 0x0050 (SEC_CNT) at 0x10234 is not allowed outside the protected area");
	img[0x10234] = 0x01;

	/* The header and the protected area disagree. */
	img[10] = 16;
	mt_assert_err(parse_mem(img, len, &err), &err, SG_EINPUT,
		      "protected TLV area at 0x10200 is 12 bytes, the header says 16");
	img[10] = 0;
	mt_assert_err(parse_mem(img, len, &err), &err, SG_EINPUT,
		      "protected TLV area at 0x10200 is 12 bytes, the header says 0");
	img[10] = 12;
	img[0x10200] = 0x07; /* protected magic turned into the plain one */
	mt_assert_err(parse_mem(img, len, &err), &err, SG_EINPUT,
		      "the header says 12 bytes of protected TLVs");
	img[0x10200] = 0x08;
	img[0x1020c] = 0x08;
	mt_assert_err(parse_mem(img, len, &err), &err, SG_EINPUT,
		      "no TLV area at 0x1020c: magic 0x6908");
	img[0x1020c] = 0x07;

	/* A digest TLV of the wrong length. */
	img[0x10210] = 0x11;
	mt_assert_err(parse_mem(img, len, &err), &err, SG_EINPUT, "SHA384 TLV at 0x10210: bad length 32");
	img[0x10210] = 0x10;

	/* The file-level API names the file. */
	char tmpl[] = "/tmp/signet-mcuboot-XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	char path[1100];
	snprintf(path, sizeof(path), "%s/bad.bin", tmpl);
	img[0] ^= 0xff;
	mt_write(path, img, len);
	static struct sg_mcuboot_info info;
	int rc = sg_mcuboot_load(path, &info, &err);
	mt_assert_err(rc, &err, SG_EINPUT, "not an MCUboot image");
	assert_int_equal(strncmp(err.msg, path, strlen(path)), 0);
	unlink(path);
	rc = sg_mcuboot_load(path, &info, &err);
	mt_assert_err(rc, &err, SG_EINPUT, "cannot open");
	rmdir(tmpl);
	free(img);
}

/* ---- crafted images ---- */

#define HDR 0x40
#define PAYLOAD 100

struct craft {
	uint8_t buf[16384];
	size_t len;
	size_t hashed;
	uint8_t digest[64];
	unsigned dlen;
};

/* Header area, payload and protected area; the digest over them. */
static void craft_start(struct craft *c, uint32_t flags, const uint8_t *prot, size_t prot_len,
			const EVP_MD *md)
{
	memset(c, 0, sizeof(*c));
	for (int i = 0; i < PAYLOAD; i++)
		c->buf[HDR + i] = (uint8_t)(i * 37 + 1);
	struct sg_mcuboot_header h = { SG_MCUBOOT_IMAGE_MAGIC, 0, HDR, (uint16_t)prot_len,
				       PAYLOAD, flags, 1, 0, 0, 0, 0 };
	sg_mcuboot_header_encode(&h, c->buf);
	if (prot_len)
		memcpy(c->buf + HDR + PAYLOAD, prot, prot_len);
	c->hashed = c->len = HDR + PAYLOAD + prot_len;
	assert_int_equal(EVP_Digest(c->buf, c->hashed, c->digest, &c->dlen, md, NULL), 1);
}

static void craft_area(struct craft *c, const struct sg_mcuboot_tlv_writer *w0)
{
	struct sg_mcuboot_tlv_writer w = *w0;
	size_t n = sg_mcuboot_tlvw_finish(&w);
	memcpy(c->buf + c->len, w.buf, n);
	c->len += n;
}

static size_t sign(void *key, const uint8_t *d, size_t dlen, uint8_t *sig)
{
	EVP_PKEY *pkey = key;
	size_t n = 512;
	if (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_ED25519) {
		EVP_MD_CTX *md = EVP_MD_CTX_new();
		assert_int_equal(EVP_DigestSignInit(md, NULL, NULL, NULL, pkey), 1);
		assert_int_equal(EVP_DigestSign(md, sig, &n, d, dlen), 1);
		EVP_MD_CTX_free(md);
		return n;
	}
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pkey, NULL);
	assert_int_equal(EVP_PKEY_sign_init(ctx), 1);
	assert_int_equal(EVP_PKEY_sign(ctx, sig, &n, d, dlen), 1);
	EVP_PKEY_CTX_free(ctx);
	return n;
}

/* SHA256, then for each key: KEYHASH (or PUBKEY) and its signature. */
static void add_sig(struct sg_mcuboot_tlv_writer *w, const struct craft *c, void *key,
		    uint16_t sig_type, bool full_key)
{
	uint8_t kb[SG_MCUBOOT_PUBKEY_MAX], sig[512];
	size_t kl;
	if (full_key)
		assert_int_equal(sg_mcuboot_key_encoding(key, kb, sizeof(kb), &kl), 0);
	else
		assert_int_equal(sg_mcuboot_key_hash(key, SG_MCUBOOT_TLV_SHA256, kb, &kl), 0);
	assert_int_equal(sg_mcuboot_tlvw_add(w, full_key ? SG_MCUBOOT_TLV_PUBKEY
							 : SG_MCUBOOT_TLV_KEYHASH,
					     kb, kl),
			 0);
	size_t sl = sign(key, c->digest, c->dlen, sig);
	assert_int_equal(sg_mcuboot_tlvw_add(w, sig_type, sig, sl), 0);
}

static uint8_t area[4096];

static void begin_area(struct sg_mcuboot_tlv_writer *w, const struct craft *c)
{
	sg_mcuboot_tlvw_init(w, SG_MCUBOOT_TLV_INFO_MAGIC, area, sizeof(area));
	assert_int_equal(sg_mcuboot_tlvw_add(w, SG_MCUBOOT_TLV_SHA256, c->digest, c->dlen), 0);
}

static int verify(const struct craft *c, const struct sg_trust *t, struct sg_err *err)
{
	static struct sg_mcuboot_info info;
	return mt_verify_mem(c->buf, c->len, t, &info, err);
}

static void test_crafted_signatures(void **state)
{
	(void)state;
	void *ed = mt_private_key(dir, "ed25519");
	void *p256 = mt_private_key(dir, "ecdsa-p256");
	struct sg_trust t_ed = { 0 }, t_p256 = { 0 }, t_both = { 0 }, t_rsa = { 0 };
	mt_trust(&t_ed, dir, "ed25519");
	mt_trust(&t_p256, dir, "ecdsa-p256");
	mt_trust(&t_both, dir, "ed25519");
	mt_trust(&t_both, dir, "ecdsa-p256");
	mt_trust(&t_rsa, dir, "rsa-3072");
	static struct craft c;
	struct sg_mcuboot_tlv_writer w;
	struct sg_err err;
	static struct sg_mcuboot_info info;

	/* Digest only: well formed, but not signed. */
	craft_start(&c, 0, NULL, 0, EVP_sha256());
	begin_area(&w, &c);
	craft_area(&c, &w);
	mt_assert_err(verify(&c, &t_ed, &err), &err, SG_FAIL, "not signed: no signature TLV");
	/* No trusted key at all is a usage error. */
	struct sg_trust none = { 0 };
	mt_assert_err(verify(&c, &none, &err), &err, SG_EINPUT, "no trusted key given");

	/* Two signers; either trusted key is enough. */
	craft_start(&c, 0, NULL, 0, EVP_sha256());
	begin_area(&w, &c);
	add_sig(&w, &c, ed, SG_MCUBOOT_TLV_ED25519, false);
	add_sig(&w, &c, p256, SG_MCUBOOT_TLV_ECDSA_SIG, false);
	craft_area(&c, &w);
	assert_int_equal(mt_verify_mem(c.buf, c.len, &t_both, &info, &err), SG_OK);
	assert_int_equal(info.nsigs, 2);
	assert_int_equal(info.sigs[0].status, SG_MCUBOOT_SIG_VALID);
	assert_int_equal(info.sigs[1].status, SG_MCUBOOT_SIG_VALID);
	assert_int_equal(info.sigs[1].trust_index, 1);
	assert_int_equal(mt_verify_mem(c.buf, c.len, &t_p256, &info, &err), SG_OK);
	assert_int_equal(info.sigs[0].status, SG_MCUBOOT_SIG_UNTRUSTED);
	assert_int_equal(info.valid_sig, 1);
	mt_assert_err(verify(&c, &t_rsa, &err), &err, SG_FAIL,
		      "no signature by a trusted key (2 signature(s), first key KEYHASH");

	/* A trusted key whose signature fails spoils the image, even when
	 * another trusted key's signature is good. */
	size_t last = c.len - 10;
	c.buf[last] ^= 1;
	mt_assert_err(verify(&c, &t_both, &err), &err, SG_FAIL,
		      "ECDSA_SIG signature at 0x");
	assert_non_null(strstr(err.msg, "does not verify with trusted key"));
	assert_int_equal(verify(&c, &t_ed, &err), SG_OK);

	/* imgtool --public-key-format full: PUBKEY instead of KEYHASH. */
	craft_start(&c, 0, NULL, 0, EVP_sha256());
	begin_area(&w, &c);
	add_sig(&w, &c, ed, SG_MCUBOOT_TLV_ED25519, true);
	craft_area(&c, &w);
	assert_int_equal(verify(&c, &t_ed, &err), SG_OK);
	mt_assert_err(verify(&c, &t_p256, &err), &err, SG_FAIL, "no signature by a trusted key");

	/* A signature with no key TLV before it names no key. */
	craft_start(&c, 0, NULL, 0, EVP_sha256());
	begin_area(&w, &c);
	uint8_t sig[512];
	size_t sl = sign(ed, c.digest, c.dlen, sig);
	assert_int_equal(sg_mcuboot_tlvw_add(&w, SG_MCUBOOT_TLV_ED25519, sig, sl), 0);
	craft_area(&c, &w);
	mt_assert_err(verify(&c, &t_ed, &err), &err, SG_FAIL, "first key  none");

	/* imgtool --pad-sig: ECDSA DER followed by zeros. */
	craft_start(&c, 0, NULL, 0, EVP_sha256());
	begin_area(&w, &c);
	uint8_t kh[32];
	size_t kl;
	assert_int_equal(sg_mcuboot_key_hash(p256, SG_MCUBOOT_TLV_SHA256, kh, &kl), 0);
	assert_int_equal(sg_mcuboot_tlvw_add(&w, SG_MCUBOOT_TLV_KEYHASH, kh, kl), 0);
	memset(sig, 0, sizeof(sig));
	sign(p256, c.digest, c.dlen, sig);
	assert_int_equal(sg_mcuboot_tlvw_add(&w, SG_MCUBOOT_TLV_ECDSA_SIG, sig, 72), 0);
	craft_area(&c, &w);
	assert_int_equal(verify(&c, &t_p256, &err), SG_OK);

	/* A wrong digest is reported before anything about signatures. */
	craft_start(&c, 0, NULL, 0, EVP_sha256());
	begin_area(&w, &c);
	add_sig(&w, &c, ed, SG_MCUBOOT_TLV_ED25519, false);
	craft_area(&c, &w);
	c.buf[HDR + 5] ^= 0x10;
	mt_assert_err(verify(&c, &t_ed, &err), &err, SG_FAIL,
		      "the image digest does not match its SHA256 TLV");

	EVP_PKEY_free(ed);
	EVP_PKEY_free(p256);
	sg_trust_free(&t_ed);
	sg_trust_free(&t_p256);
	sg_trust_free(&t_both);
	sg_trust_free(&t_rsa);
}

static void test_crafted_structure(void **state)
{
	(void)state;
	void *ed = mt_private_key(dir, "ed25519");
	struct sg_trust t = { 0 };
	mt_trust(&t, dir, "ed25519");
	static struct craft c;
	struct sg_mcuboot_tlv_writer w;
	struct sg_err err;
	static struct sg_mcuboot_info info;

	/* Protected TLVs signet knows but does not enforce, and a vendor
	 * one: listed, accepted. */
	uint8_t prot[128];
	struct sg_mcuboot_tlv_writer pw;
	sg_mcuboot_tlvw_init(&pw, SG_MCUBOOT_TLV_PROT_INFO_MAGIC, prot, sizeof(prot));
	uint8_t cnt[4] = { 9, 0, 0, 0 }, dep[12] = { 1, 0, 0, 0, 1, 2, 0, 0 }, uuid[16] = { 1 };
	assert_int_equal(sg_mcuboot_tlvw_add(&pw, SG_MCUBOOT_TLV_SEC_CNT, cnt, 4), 0);
	assert_int_equal(sg_mcuboot_tlvw_add(&pw, SG_MCUBOOT_TLV_DEPENDENCY, dep, 12), 0);
	assert_int_equal(sg_mcuboot_tlvw_add(&pw, SG_MCUBOOT_TLV_UUID_VID, uuid, 16), 0);
	assert_int_equal(sg_mcuboot_tlvw_add(&pw, 0x01a5, "vendor", 6), 0);
	size_t plen = sg_mcuboot_tlvw_finish(&pw);
	craft_start(&c, 0, prot, plen, EVP_sha256());
	begin_area(&w, &c);
	add_sig(&w, &c, ed, SG_MCUBOOT_TLV_ED25519, false);
	craft_area(&c, &w);
	assert_int_equal(mt_verify_mem(c.buf, c.len, &t, &info, &err), SG_OK);
	assert_int_equal(info.ntlvs, 7);
	assert_true(info.has_counter);
	assert_int_equal(info.security_counter, 9);
	assert_true(info.tlvs[3].prot);
	assert_string_equal(sg_mcuboot_tlv_name(info.tlvs[3].type), "vendor");
	assert_memory_equal(info.tlvs[3].peek, "vendor", 6);
	assert_false(info.tlvs[4].prot);

	/* Two SEC_CNTs, two digests. */
	sg_mcuboot_tlvw_init(&pw, SG_MCUBOOT_TLV_PROT_INFO_MAGIC, prot, sizeof(prot));
	sg_mcuboot_tlvw_add(&pw, SG_MCUBOOT_TLV_SEC_CNT, cnt, 4);
	sg_mcuboot_tlvw_add(&pw, SG_MCUBOOT_TLV_SEC_CNT, cnt, 4);
	plen = sg_mcuboot_tlvw_finish(&pw);
	craft_start(&c, 0, prot, plen, EVP_sha256());
	begin_area(&w, &c);
	craft_area(&c, &w);
	mt_assert_err(verify(&c, &t, &err), &err, SG_EINPUT, "second SEC_CNT TLV at 0x");
	craft_start(&c, 0, NULL, 0, EVP_sha256());
	begin_area(&w, &c);
	sg_mcuboot_tlvw_add(&w, SG_MCUBOOT_TLV_SHA256, c.digest, c.dlen);
	craft_area(&c, &w);
	mt_assert_err(verify(&c, &t, &err), &err, SG_EINPUT, "second image digest TLV");

	/* No digest at all. */
	craft_start(&c, 0, NULL, 0, EVP_sha256());
	sg_mcuboot_tlvw_init(&w, SG_MCUBOOT_TLV_INFO_MAGIC, area, sizeof(area));
	sg_mcuboot_tlvw_add(&w, SG_MCUBOOT_TLV_KEYHASH, c.digest, 32);
	craft_area(&c, &w);
	mt_assert_err(verify(&c, &t, &err), &err, SG_EINPUT, "no image digest TLV");

	/* Too many TLVs. */
	craft_start(&c, 0, NULL, 0, EVP_sha256());
	begin_area(&w, &c);
	for (int i = 0; i < SG_MCUBOOT_MAX_TLVS; i++)
		sg_mcuboot_tlvw_add(&w, SG_MCUBOOT_TLV_KEYHASH, c.digest, 32);
	craft_area(&c, &w);
	mt_assert_err(verify(&c, &t, &err), &err, SG_EINPUT, "more than 64 TLVs");

	/* Encrypted, SIG_PURE: structure fine, verification unsupported. */
	craft_start(&c, SG_MCUBOOT_F_ENCRYPTED_AES128, NULL, 0, EVP_sha256());
	begin_area(&w, &c);
	add_sig(&w, &c, ed, SG_MCUBOOT_TLV_ED25519, false);
	craft_area(&c, &w);
	mt_assert_err(verify(&c, &t, &err), &err, SG_EINPUT, "encrypted image");
	craft_start(&c, 0, NULL, 0, EVP_sha256());
	begin_area(&w, &c);
	uint8_t one = 1;
	sg_mcuboot_tlvw_add(&w, SG_MCUBOOT_TLV_SIG_PURE, &one, 1);
	craft_area(&c, &w);
	mt_assert_err(verify(&c, &t, &err), &err, SG_EINPUT, "SIG_PURE");

	/* A boot magic right after the TLVs, with no room for the flags. */
	craft_start(&c, 0, NULL, 0, EVP_sha256());
	begin_area(&w, &c);
	add_sig(&w, &c, ed, SG_MCUBOOT_TLV_ED25519, false);
	craft_area(&c, &w);
	struct sg_mcuboot_trailer_layout l;
	sg_mcuboot_trailer_layout(8, 0, 0, &l);
	memset(c.buf + c.len, 0xff, 8);
	memcpy(c.buf + c.len + 8, l.magic, 16);
	c.len += 24;
	mt_assert_err(verify(&c, &t, &err), &err, SG_EINPUT, "overlaps the TLV area");
	/* With room, it is a trailer. */
	memset(c.buf + c.len - 24, 0xff, 64);
	memcpy(c.buf + c.len - 24 + 48, l.magic, 16);
	c.len += 40;
	assert_int_equal(mt_verify_mem(c.buf, c.len, &t, &info, &err), SG_OK);
	assert_true(info.trailer.present);
	assert_int_equal(info.trailer.image_ok, 0xff);

	EVP_PKEY_free(ed);
	sg_trust_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_roundtrip),
		cmocka_unit_test(test_trailer_layouts),
		cmocka_unit_test(test_tlv_writer),
		cmocka_unit_test(test_patched),
		cmocka_unit_test(test_crafted_signatures),
		cmocka_unit_test(test_crafted_structure),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
