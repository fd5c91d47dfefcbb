/* Two-step signing of MCUboot images (docs/signing-request.md, image
 * format 2): the parameter block's layout and every rule of its decoder,
 * the format-2 header rules, the checks on the hashed region a request
 * holds, each refused with its message; and a request prepared and
 * completed in process with a signature made by OpenSSL, which gives
 * imgtool's Ed25519 images byte for byte. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "mcuboot_testutil.h"
#include "signet/sign.h"

static const char *dir;
static char tmp[] = "/tmp/signet-mcureq-XXXXXX";

static int setup(void **state)
{
	(void)state;
	dir = mt_vectors_dir();
	return dir && mkdtemp(tmp) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	static const char *const names[] = { "r.req", "r.sig", "out.bin" };
	char p[256];
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", tmp, names[i]);
		unlink(p);
	}
	rmdir(tmp);
	return 0;
}

/* ---- the parameter block ---- */

#define HASHED 0x1000u

static struct sg_request header(int alg)
{
	struct sg_request r;
	memset(&r, 0, sizeof(r));
	r.image_format = SG_REQ_FORMAT_MCUBOOT;
	r.alg = (uint8_t)alg;
	r.tbs_len = sg_request_digest_len(alg);
	r.body_len = SG_REQ_MCUBOOT_PARAMS_SIZE + HASHED;
	return r;
}

static struct sg_request_mcuboot good(void)
{
	struct sg_request_mcuboot p = { .hashed_size = HASHED,
					.slot_size = 0x40000,
					.max_sectors = 128,
					.header_size = 0x200,
					.digest_type = SG_MCUBOOT_TLV_SHA256,
					.align = 4,
					.max_align = 8,
					.flags = 0 };
	return p;
}

static void test_params_layout(void **state)
{
	(void)state;
	struct sg_request_mcuboot p = good(), back;
	p.flags = SG_REQ_MCUBOOT_F_PAD_SLOT | SG_REQ_MCUBOOT_F_CONFIRM |
		  SG_REQ_MCUBOOT_F_ERASED_ZERO;
	uint8_t b[SG_REQ_MCUBOOT_PARAMS_SIZE];
	sg_request_mcuboot_encode(&p, b);
	static const uint8_t want[SG_REQ_MCUBOOT_PARAMS_SIZE] = {
		0x00, 0x10, 0, 0,  /* hashed_size 0x1000 */
		0, 0, 0x04, 0,     /* slot_size 0x40000 */
		128, 0, 0, 0,      /* max_sectors */
		0x00, 0x02,        /* header_size 0x200 */
		0x10, 0x00,        /* digest_type SHA256 */
		4, 8, 0x07,        /* align, max_align, flags */
	};
	assert_memory_equal(b, want, sizeof(want));
	struct sg_request r = header(SGE_SIG_ED25519);
	struct sg_err err;
	assert_int_equal(sg_request_mcuboot_decode(b, &r, "r.req", &back, &err), SG_OK);
	/* field by field: the struct's padding is not part of it */
	assert_int_equal(back.hashed_size, p.hashed_size);
	assert_int_equal(back.slot_size, p.slot_size);
	assert_int_equal(back.max_sectors, p.max_sectors);
	assert_int_equal(back.header_size, p.header_size);
	assert_int_equal(back.digest_type, p.digest_type);
	assert_int_equal(back.align, p.align);
	assert_int_equal(back.max_align, p.max_align);
	assert_int_equal(back.flags, p.flags);
	/* SHA384 goes with P-384 */
	p.flags = 0;
	p.digest_type = SG_MCUBOOT_TLV_SHA384;
	sg_request_mcuboot_encode(&p, b);
	r = header(SGE_SIG_ECDSA_P384_SHA384);
	assert_int_equal(sg_request_mcuboot_decode(b, &r, "r.req", &back, &err), SG_OK);
}

/* One broken field: set by a callback on a good block (or the header). */
struct rule {
	void (*mutate)(struct sg_request_mcuboot *p, struct sg_request *r, uint8_t *raw);
	const char *msg;
};

static void reserved_first(struct sg_request_mcuboot *p, struct sg_request *r, uint8_t *raw)
{
	(void)p, (void)r;
	raw[19] = 1;
}
static void reserved_last(struct sg_request_mcuboot *p, struct sg_request *r, uint8_t *raw)
{
	(void)p, (void)r;
	raw[31] = 0x80;
}
#define SET(name, stmt)                                                                     \
	static void name(struct sg_request_mcuboot *p, struct sg_request *r, uint8_t *raw) \
	{                                                                                   \
		(void)p, (void)r, (void)raw;                                                \
		stmt;                                                                       \
	}
SET(unknown_flag, p->flags = 0x08)
SET(header_small, p->header_size = 31)
SET(align_zero, p->align = 0)
SET(align_odd, p->align = 3)
SET(align_big, p->align = 64)
SET(max_align_zero, p->max_align = 0)
SET(max_align_odd, p->max_align = 4)
SET(max_align_below_align, (p->align = 16, p->max_align = 8))
SET(sectors_zero, p->max_sectors = 0)
SET(sectors_many, p->max_sectors = 65537)
SET(confirm_alone, p->flags = SG_REQ_MCUBOOT_F_CONFIRM)
SET(pad_no_slot, (p->flags = SG_REQ_MCUBOOT_F_PAD_SLOT, p->slot_size = 0))
SET(slot_unaligned, (p->flags = SG_REQ_MCUBOOT_F_PAD_SLOT, p->slot_size = 0x40004))
SET(sha384_p256, p->digest_type = SG_MCUBOOT_TLV_SHA384)
SET(sha256_p384, (r->alg = SGE_SIG_ECDSA_P384_SHA384, r->tbs_len = 48))
SET(sha512, p->digest_type = SG_MCUBOOT_TLV_SHA512)
SET(hashed_short, p->hashed_size = HASHED - 1)
SET(hashed_long, p->hashed_size = HASHED + 1)
SET(hashed_below_header, (p->header_size = 0x2000))
SET(hashed_huge, (p->hashed_size = 0xffff0000u,
		  r->body_len = SG_REQ_MCUBOOT_PARAMS_SIZE + 0xffff0000ull))

static const struct rule rules[] = {
	{ reserved_first, "r.req: MCUboot parameters: reserved bytes not zero" },
	{ reserved_last, "r.req: MCUboot parameters: reserved bytes not zero" },
	{ unknown_flag, "MCUboot parameters: unknown flags 0x08" },
	{ header_small, "MCUboot parameters: header size 31 is below the 32-byte MCUboot header" },
	{ align_zero, "align 0, max align 8, max sectors 128: not a trailer MCUboot supports" },
	{ align_odd, "align 3, max align 8, max sectors 128: not a trailer" },
	{ align_big, "align 64, max align 8" },
	{ max_align_zero, "align 4, max align 0, max sectors 128: not a trailer" },
	{ max_align_odd, "max align 4," },
	{ max_align_below_align, "align 16, max align 8," },
	{ sectors_zero, "max sectors 0: not a trailer" },
	{ sectors_many, "max sectors 65537: not a trailer" },
	{ confirm_alone, "MCUboot parameters: confirm without pad" },
	{ pad_no_slot, "MCUboot parameters: pad without a slot size" },
	{ slot_unaligned,
	  "MCUboot parameters: slot size 0x40004 is not a multiple of the maximum alignment 8" },
	{ sha384_p256, "digest TLV type 0x0011, this algorithm needs 0x0010" },
	{ sha256_p384, "digest TLV type 0x0010, this algorithm needs 0x0011" },
	{ sha512, "digest TLV type 0x0012, this algorithm needs 0x0010" },
	{ hashed_short, "hashed size 0xfff does not match the 0x1020-byte body" },
	{ hashed_long, "hashed size 0x1001 does not match the 0x1020-byte body" },
	{ hashed_below_header, "hashed size 0x1000 is below the header size 8192" },
	{ hashed_huge, "hashed size 0xffff0000 is too large for an MCUboot image" },
};

static void test_params_rules(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		struct sg_request_mcuboot p = good(), out;
		struct sg_request r = header(SGE_SIG_ED25519);
		uint8_t raw[SG_REQ_MCUBOOT_PARAMS_SIZE];
		rules[i].mutate(&p, &r, raw); /* field changes first ... */
		sg_request_mcuboot_encode(&p, raw);
		rules[i].mutate(&p, &r, raw); /* ... raw bytes survive encoding */
		struct sg_err err = { 0 };
		int rc = sg_request_mcuboot_decode(raw, &r, "r.req", &out, &err);
		if (rc != SG_EINPUT || !strstr(err.msg, rules[i].msg))
			fail_msg("rule %zu: want \"%s\", got %d: %s", i, rules[i].msg, rc,
				 rc ? err.msg : "(accepted)");
	}
}

/* ---- format-2 rules of the request header ---- */

static void test_header_rules(void **state)
{
	(void)state;
	uint8_t h[SG_REQ_HEADER_SIZE];
	struct sg_request r = header(SGE_SIG_ECDSA_P256_SHA256), back;
	struct sg_err err;
	sg_request_encode(&r, h);
	uint64_t size = SG_REQ_HEADER_SIZE + r.body_len;
	assert_int_equal(sg_request_decode(h, size, "r.req", &back, &err), SG_OK);
	r.tbs_len = 48; /* P-256's digest is 32 bytes */
	sg_request_encode(&r, h);
	mt_assert_err(sg_request_decode(h, size, "r.req", &back, &err), &err, SG_EINPUT,
		      "r.req: signed length 48 is not the 32-byte image digest");
	r = header(SGE_SIG_ECDSA_P384_SHA384);
	r.tbs_len = 32;
	sg_request_encode(&r, h);
	mt_assert_err(sg_request_decode(h, size, "r.req", &back, &err), &err, SG_EINPUT,
		      "signed length 32 is not the 48-byte image digest");
	r = header(SGE_SIG_ED25519);
	r.body_len = SG_REQ_MCUBOOT_PARAMS_SIZE + SG_MCUBOOT_HEADER_SIZE - 1;
	sg_request_encode(&r, h);
	mt_assert_err(sg_request_decode(h, SG_REQ_HEADER_SIZE + r.body_len, "r.req", &back, &err),
		      &err, SG_EINPUT, "r.req: body too short for an MCUboot request");
}

/* ---- the hashed region a request holds ---- */

#define IMG 100u
#define HDR 0x40u

/* header (HDR bytes) + IMG image bytes + a 12-byte protected area with
 * SEC_CNT 9: hashed size HDR + IMG + 12. */
static size_t make_region(uint8_t *b, uint32_t flags)
{
	memset(b, 0, HDR + IMG + 12);
	struct sg_mcuboot_header h = { .magic = SG_MCUBOOT_IMAGE_MAGIC, .hdr_size = HDR,
				       .protect_tlv_size = 12, .img_size = IMG, .flags = flags,
				       .ver_major = 1 };
	sg_mcuboot_header_encode(&h, b);
	struct sg_mcuboot_tlv_writer w;
	uint8_t cnt[4] = { 9, 0, 0, 0 };
	sg_mcuboot_tlvw_init(&w, SG_MCUBOOT_TLV_PROT_INFO_MAGIC, b + HDR + IMG, 12);
	assert_int_equal(sg_mcuboot_tlvw_add(&w, SG_MCUBOOT_TLV_SEC_CNT, cnt, 4), 0);
	assert_int_equal(sg_mcuboot_tlvw_finish(&w), 12);
	return HDR + IMG + 12;
}

static int check_region(const uint8_t *b, size_t n, uint16_t header_size,
			struct sg_mcuboot_info *info, struct sg_err *err)
{
	struct sg_request_mcuboot p = good();
	p.hashed_size = (uint32_t)n;
	p.header_size = header_size;
	struct mt_mem m = { b, n };
	return sg_request_mcuboot_check_image(&p, mt_mem_read, &m, "r.req", info, err);
}

static void test_image_rules(void **state)
{
	(void)state;
	static struct sg_mcuboot_info info;
	uint8_t b[HDR + IMG + 12];
	struct sg_err err;
	size_t n = make_region(b, 0);
	assert_int_equal(check_region(b, n, HDR, &info, &err), SG_OK);
	assert_true(info.has_counter);
	assert_int_equal(info.security_counter, 9);
	assert_int_equal(info.hashed_size, n);
	n = make_region(b, SG_MCUBOOT_F_RAM_LOAD);
	assert_int_equal(check_region(b, n, HDR, &info, &err), SG_OK);

	mt_assert_err(check_region(b, n, HDR + 0x10, &info, &err), &err, SG_EINPUT,
		      "r.req: the image header says header size 64, the parameters 80");
	n = make_region(b, SG_MCUBOOT_F_ENCRYPTED_AES128);
	mt_assert_err(check_region(b, n, HDR, &info, &err), &err, SG_EINPUT,
		      "image header flags 0x00000004: only RAM_LOAD can be completed");
	n = make_region(b, 0);
	mt_assert_err(check_region(b, n - 1, HDR, &info, &err), &err, SG_EINPUT,
		      "r.req: image in the request: the header says header, image and protected "
		      "TLVs take 0xb0 bytes, the hashed region is 0xaf");
	b[0] ^= 0x10;
	mt_assert_err(check_region(b, n, HDR, &info, &err), &err, SG_EINPUT,
		      "image in the request: not an MCUboot image: magic");
	n = make_region(b, 0);
	b[HDR + IMG] = 0x07; /* the unprotected area's magic where the protected one goes */
	mt_assert_err(check_region(b, n, HDR, &info, &err), &err, SG_EINPUT,
		      "no 12-byte protected TLV area at 0xa4 (magic 0x6907, size 12)");
	n = make_region(b, 0);
	b[HDR + IMG + 4] = 0x10; /* SEC_CNT -> SHA256: not allowed under the signature */
	mt_assert_err(check_region(b, n, HDR, &info, &err), &err, SG_EINPUT,
		      "unknown protected TLV type 0x0010");
	n = make_region(b, 0);
	b[HDR + IMG + 6] = 9; /* TLV length past the area */
	mt_assert_err(check_region(b, n, HDR, &info, &err), &err, SG_EINPUT,
		      "runs past the end of the protected TLV area");
}

/* ---- prepare, sign offline (OpenSSL), complete ---- */

static void sign_offline(const char *key, const uint8_t *d, size_t dlen, const char *sig_path)
{
	EVP_PKEY *pkey = mt_private_key(dir, key);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t sig[64];
	size_t sig_len = sizeof(sig);
	/* Ed25519 signs D as its message, as imgtool does */
	assert_int_equal(EVP_DigestSignInit(md, NULL, NULL, NULL, pkey), 1);
	assert_int_equal(EVP_DigestSign(md, sig, &sig_len, d, dlen), 1);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pkey);
	mt_write(sig_path, sig, sig_len);
}

static void round_trip(const struct mt_vector *v)
{
	char in[1200], pub[1200], want[1200], req[256], sig[256], out[256];
	mt_path(in, sizeof(in), dir, "input.bin");
	mt_path(pub, sizeof(pub), dir, "test-ed25519.pub.pem");
	mt_path(want, sizeof(want), dir, v->file);
	snprintf(req, sizeof(req), "%s/r.req", tmp);
	snprintf(sig, sizeof(sig), "%s/r.sig", tmp);
	snprintf(out, sizeof(out), "%s/out.bin", tmp);
	struct sg_mcuboot_opts o = mt_vector_opts(v, in, req);
	o.prepare_pubkey = pub;
	struct sg_err err;
	if (sg_mcuboot_sign_file(&o, NULL, &err))
		fail_msg("prepare: %s", err.msg);
	static struct sg_request_info ri;
	if (sg_request_load(req, &ri, &err))
		fail_msg("load: %s", err.msg);
	assert_int_equal(ri.r.image_format, SG_REQ_FORMAT_MCUBOOT);
	assert_int_equal(ri.r.tbs_len, 32);
	assert_int_equal(ri.mcu.params.header_size, v->header_size);
	assert_int_equal(ri.mcu.info.has_counter, v->has_counter);
	sign_offline("ed25519", ri.r.tbs_digest, ri.r.tbs_len, sig);
	if (sg_sign_complete(req, sig, false, pub, NULL, out, &err))
		fail_msg("complete: %s", err.msg);
	size_t n1, n2;
	uint8_t *a = mt_read(out, &n1), *b = mt_read(want, &n2);
	assert_int_equal(n1, n2);
	assert_memory_equal(a, b, n1);
	free(a);
	free(b);
}

static void test_round_trip(void **state)
{
	(void)state;
	for (size_t i = 0; i < mt_nvectors; i++)
		if (mt_vectors[i].key_type == SG_KEY_ED25519)
			round_trip(&mt_vectors[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_params_layout),
		cmocka_unit_test(test_params_rules),
		cmocka_unit_test(test_header_rules),
		cmocka_unit_test(test_image_rules),
		cmocka_unit_test(test_round_trip),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
