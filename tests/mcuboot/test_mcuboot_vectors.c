/* imgtool 2.4.0's reference images: signet reads every field imgtool
 * wrote, verifies each image with its public key, refuses it with any
 * other key, and refuses it after a one-byte change anywhere in what is
 * signed or in the TLVs. Skipped, with a message, without the vectors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "mcuboot_testutil.h"

static const char *dir;

static int setup(void **state)
{
	(void)state;
	dir = mt_vectors_dir();
	return dir ? 0 : -1;
}

static uint8_t *vector(const struct mt_vector *v, size_t *len)
{
	char path[1024];
	mt_path(path, sizeof(path), dir, v->file);
	return mt_read(path, len);
}

static void test_fields(void **state)
{
	(void)state;
	size_t in_len;
	char path[1024];
	mt_path(path, sizeof(path), dir, "input.bin");
	uint8_t *input = mt_read(path, &in_len);
	for (size_t i = 0; i < mt_nvectors; i++) {
		const struct mt_vector *v = &mt_vectors[i];
		static struct sg_mcuboot_info info;
		struct sg_err err;
		mt_path(path, sizeof(path), dir, v->file);
		if (sg_mcuboot_load(path, &info, &err))
			fail_msg("%s", err.msg);
		const struct sg_mcuboot_header *h = &info.hdr;
		assert_int_equal(h->magic, SG_MCUBOOT_IMAGE_MAGIC);
		assert_int_equal(h->hdr_size, v->header_size);
		assert_int_equal(h->img_size, in_len);
		assert_int_equal(h->flags, 0);
		assert_int_equal(h->load_addr, 0);
		assert_int_equal(h->ver_major, v->version.major);
		assert_int_equal(h->ver_minor, v->version.minor);
		assert_int_equal(h->ver_revision, v->version.patch);
		assert_int_equal(h->ver_build, v->version.build);
		assert_int_equal(info.has_counter, v->has_counter);
		assert_int_equal(h->protect_tlv_size, v->has_counter ? 12 : 0);
		if (v->has_counter)
			assert_int_equal(info.security_counter, v->counter);
		assert_int_equal(info.digest_type, v->digest_type);
		/* imgtool's order: (SEC_CNT) digest, KEYHASH, signature. */
		unsigned first = v->has_counter ? 1 : 0;
		assert_int_equal(info.ntlvs, first + 3);
		if (v->has_counter) {
			assert_int_equal(info.tlvs[0].type, SG_MCUBOOT_TLV_SEC_CNT);
			assert_true(info.tlvs[0].prot);
		}
		assert_int_equal(info.tlvs[first].type, v->digest_type);
		assert_int_equal(info.tlvs[first + 1].type, SG_MCUBOOT_TLV_KEYHASH);
		assert_int_equal(info.tlvs[first + 1].len, sg_mcuboot_digest_len(v->digest_type));
		assert_int_equal(info.tlvs[first + 2].type, v->sig_type);
		assert_int_equal(info.nsigs, 1);
		assert_int_equal(info.sigs[0].key_tlv, (int)first + 1);
		assert_int_equal(info.hashed_size, v->header_size + in_len + h->protect_tlv_size);
		assert_int_equal(info.trailer.present, v->pad);
		if (v->pad) {
			assert_int_equal(info.file_size, v->slot_size);
			assert_int_equal(info.trailer.max_align, 8);
			assert_int_equal(info.trailer.image_ok, v->confirm ? 0x01 : 0xff);
			assert_int_equal(info.trailer.copy_done, 0xff);
		} else {
			assert_int_equal(info.image_end, info.file_size);
		}
		/* The payload is input.bin, after a header area of erased bytes. */
		size_t len;
		uint8_t *img = vector(v, &len);
		for (uint32_t j = SG_MCUBOOT_HEADER_SIZE; j < v->header_size; j++)
			assert_int_equal(img[j], 0xff);
		assert_memory_equal(img + v->header_size, input, in_len);
		free(img);
	}
	free(input);
}

static void test_verify_each(void **state)
{
	(void)state;
	for (size_t i = 0; i < mt_nvectors; i++) {
		const struct mt_vector *v = &mt_vectors[i];
		struct sg_trust t = { 0 };
		mt_trust(&t, dir, v->key);
		static struct sg_mcuboot_info info;
		struct sg_err err;
		char path[1024];
		mt_path(path, sizeof(path), dir, v->file);
		if (sg_mcuboot_verify_file(path, &t, &info, &err) != SG_OK)
			fail_msg("%s: %s", v->file, err.msg);
		assert_int_equal(info.digest_check, SG_MCUBOOT_CHECK_PASS);
		assert_int_equal(info.signature_check, SG_MCUBOOT_CHECK_PASS);
		assert_int_equal(info.valid_sig, 0);
		assert_int_equal(info.sigs[0].status, SG_MCUBOOT_SIG_VALID);
		assert_int_equal(info.sigs[0].trust_index, 0);
		assert_memory_equal(info.computed_digest, info.digest, info.digest_len);
		/* The KEYHASH is what sg_mcuboot_key_hash makes of the key. */
		uint8_t kh[SG_MCUBOOT_DIGEST_MAX];
		size_t kh_len;
		assert_int_equal(sg_mcuboot_key_hash(t.keys[0].pkey, v->digest_type, kh, &kh_len), 0);
		const struct sg_mcuboot_tlv *k = &info.tlvs[info.sigs[0].key_tlv];
		assert_int_equal(k->len, kh_len);
		assert_memory_equal(k->peek, kh, kh_len);
		sg_trust_free(&t);
	}
}

/* Every other test key, all trusted at once: none signed the image. */
static void test_wrong_keys(void **state)
{
	(void)state;
	const char *keys[] = { "ed25519", "ecdsa-p256", "ecdsa-p384", "rsa-3072" };
	for (size_t i = 0; i < mt_nvectors; i++) {
		const struct mt_vector *v = &mt_vectors[i];
		struct sg_trust t = { 0 };
		for (size_t k = 0; k < 4; k++)
			if (strcmp(keys[k], v->key))
				mt_trust(&t, dir, keys[k]);
		static struct sg_mcuboot_info info;
		struct sg_err err;
		char path[1024];
		mt_path(path, sizeof(path), dir, v->file);
		int rc = sg_mcuboot_verify_file(path, &t, &info, &err);
		mt_assert_err(rc, &err, SG_FAIL, "no signature by a trusted key");
		assert_non_null(strstr(err.msg, path));
		assert_int_equal(info.digest_check, SG_MCUBOOT_CHECK_PASS);
		assert_int_equal(info.sigs[0].status, SG_MCUBOOT_SIG_UNTRUSTED);
		sg_trust_free(&t);
	}
}

/* One byte changed at off must make verification say no (1) or
 * malformed (2), never yes and never an environment failure. */
static void expect_refused(const uint8_t *img, size_t len, size_t off, uint8_t x,
			   const struct sg_trust *t, unsigned *fail, unsigned *einput)
{
	static uint8_t copy[256 * 1024];
	static struct sg_mcuboot_info info;
	assert_true(len <= sizeof(copy));
	memcpy(copy, img, len);
	copy[off] ^= x;
	struct sg_err err;
	int rc = mt_verify_mem(copy, len, t, &info, &err);
	if (rc == SG_FAIL)
		(*fail)++;
	else if (rc == SG_EINPUT)
		(*einput)++;
	else
		fail_msg("byte 0x%zx ^ 0x%02x: status %d (%s)", off, x, rc,
			 rc ? err.msg : "accepted");
}

static void test_one_byte_changes(void **state)
{
	(void)state;
	for (size_t i = 0; i < mt_nvectors; i++) {
		const struct mt_vector *v = &mt_vectors[i];
		struct sg_trust t = { 0 };
		mt_trust(&t, dir, v->key);
		size_t len;
		uint8_t *img = vector(v, &len);
		static struct sg_mcuboot_info info;
		struct sg_err err;
		assert_int_equal(mt_verify_mem(img, len, &t, &info, &err), SG_OK);
		unsigned fail = 0, einput = 0, n = 0;
		uint64_t payload_end = (uint64_t)info.hdr.hdr_size + info.hdr.img_size;
		/* Every byte of the header area and of both TLV areas, two ways. */
		for (size_t off = 0; off < info.image_end; off++) {
			if (off == info.hdr.hdr_size)
				off = payload_end;
			expect_refused(img, len, off, 0x01, &t, &fail, &einput);
			expect_refused(img, len, off, 0xff, &t, &fail, &einput);
			n += 2;
		}
		/* A stride through the image, first and last byte included. */
		for (uint64_t off = info.hdr.hdr_size; off < payload_end; off += 251) {
			expect_refused(img, len, off, 0x80, &t, &fail, &einput);
			n++;
		}
		expect_refused(img, len, payload_end - 1, 0x01, &t, &fail, &einput);
		n++;
		print_message("%s: %u changes refused (%u no, %u malformed)\n", v->file, n, fail,
			      einput);
		assert_int_equal(fail + einput, n);
		assert_true(fail > 0 && einput > 0);
		free(img);
		sg_trust_free(&t);
	}
}

/* The slot padding and trailer are not signed: MCUboot writes there. */
static void test_trailer_not_signed(void **state)
{
	(void)state;
	const struct mt_vector *v = &mt_vectors[4];
	assert_true(v->pad);
	struct sg_trust t = { 0 };
	mt_trust(&t, dir, v->key);
	size_t len;
	uint8_t *img = vector(v, &len);
	static struct sg_mcuboot_info info;
	struct sg_err err;
	assert_int_equal(mt_verify_mem(img, len, &t, &info, &err), SG_OK);
	size_t image_ok = len - 24;
	assert_int_equal(img[image_ok], 0x01);
	img[image_ok] = 0xff; /* test swap, not confirmed */
	img[len - 32] = 0x01; /* copy_done */
	assert_int_equal(mt_verify_mem(img, len, &t, &info, &err), SG_OK);
	assert_true(info.trailer.present);
	assert_int_equal(info.trailer.image_ok, 0xff);
	assert_int_equal(info.trailer.copy_done, 0x01);
	img[len - 1] ^= 1; /* no magic: just bytes after the image */
	assert_int_equal(mt_verify_mem(img, len, &t, &info, &err), SG_OK);
	assert_false(info.trailer.present);
	free(img);
	sg_trust_free(&t);
}

/* An independent check of the digest TLV: SHA over header, image and
 * protected TLVs, with OpenSSL directly. */
static void test_digest_region(void **state)
{
	(void)state;
	for (size_t i = 0; i < mt_nvectors; i++) {
		const struct mt_vector *v = &mt_vectors[i];
		size_t len;
		uint8_t *img = vector(v, &len);
		static struct sg_mcuboot_info info;
		struct mt_mem m = { img, len };
		assert_int_equal(sg_mcuboot_parse(&info, mt_mem_read, &m, len, NULL), SG_OK);
		uint8_t d[64];
		unsigned dl;
		const EVP_MD *md = v->digest_type == SG_MCUBOOT_TLV_SHA384 ? EVP_sha384()
									   : EVP_sha256();
		assert_int_equal(EVP_Digest(img, info.hashed_size, d, &dl, md, NULL), 1);
		assert_int_equal(dl, info.digest_len);
		assert_memory_equal(d, info.digest, dl);
		free(img);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_verify_each),
		cmocka_unit_test(test_wrong_keys),
		cmocka_unit_test(test_digest_region),
		cmocka_unit_test(test_trailer_not_signed),
		cmocka_unit_test(test_one_byte_changes),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
