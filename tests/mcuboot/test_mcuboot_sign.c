/* MCUboot signing against a real SoftHSM2 token holding imgtool's test
 * keys (imported with softhsm2-util): Ed25519 images identical to
 * imgtool's byte for byte; ECDSA and RSA-PSS images identical up to the
 * signature, which signet's verifier and OpenSSL both accept; every input
 * format; the options' rules, each refused with its message and no output
 * left behind. Skipped, with a message, without the vectors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "mcuboot_testutil.h"
#include "softhsm_fixture.h"

static struct sg_test_softhsm hsm;
static bool have_hsm;
static const char *dir;
static const char *const key_names[] = { "ed25519", "ecdsa-p256", "ecdsa-p384", "rsa-3072" };
#define NKEYS 4
static char uris[NKEYS][1024];
static char rsa4096_uri[1024];
static char in_path[700], out_path[700], tmp_path[700];

static const char *uri_for(const char *key)
{
	for (int i = 0; i < NKEYS; i++)
		if (!strcmp(key_names[i], key))
			return uris[i];
	fail_msg("no key %s", key);
	return NULL;
}

static int import_key(const char *name, const char *id)
{
	char pem[1024], file[128], out[2048];
	snprintf(file, sizeof(file), "test-%s.key.pem", name);
	snprintf(pem, sizeof(pem), "%s/%s", dir, file);
	const char *argv[] = { "softhsm2-util", "--import", pem, "--token", hsm.label,
			       "--label", name, "--id", id, "--pin", hsm.pin, NULL };
	int st = sg_test_run(argv, out, sizeof(out));
	if (st != 0)
		fprintf(stderr, "import %s failed (%d): %s\n", name, st, out);
	return st;
}

static int setup(void **state)
{
	(void)state;
	dir = mt_vectors_dir();
	if (!dir)
		return -1;
	if (sg_test_softhsm_setup(&hsm, "mcuboot"))
		return -1;
	have_hsm = true;
	static const char *const ids[NKEYS] = { "a1", "a2", "a3", "a4" };
	for (int i = 0; i < NKEYS; i++) {
		if (import_key(key_names[i], ids[i]))
			return -1;
		sg_test_softhsm_uri(&hsm, key_names[i], uris[i], sizeof(uris[i]));
	}
	sg_test_softhsm_uri(&hsm, "rsa-4096", rsa4096_uri, sizeof(rsa4096_uri));
	struct sg_hsm_ctx *ctx = sg_test_softhsm_ctx(&hsm);
	struct sg_err err;
	int rc = sg_hsm_keygen(ctx, rsa4096_uri, SG_KEY_RSA_4096, &err);
	sg_hsm_ctx_free(ctx);
	if (rc) {
		fprintf(stderr, "keygen: %s\n", err.msg);
		return -1;
	}
	snprintf(in_path, sizeof(in_path), "%s/input.bin", dir);
	snprintf(out_path, sizeof(out_path), "%s/out.bin", hsm.dir);
	snprintf(tmp_path, sizeof(tmp_path), "%s/in.tmp", hsm.dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (have_hsm)
		sg_test_softhsm_teardown(&hsm);
	return 0;
}

/* imgtool's options for a vector, as signet options. */
static struct sg_mcuboot_opts opts_for(const struct mt_vector *v)
{
	struct sg_mcuboot_opts o = mt_vector_opts(v, in_path, out_path);
	o.key_uri = uri_for(v->key);
	return o;
}

static int sign(const struct sg_mcuboot_opts *o, struct sg_err *err)
{
	struct sg_hsm_ctx *ctx = sg_test_softhsm_ctx(&hsm);
	int rc = sg_mcuboot_sign_file(o, ctx, err);
	sg_hsm_ctx_free(ctx);
	return rc;
}

static void sign_ok(const struct sg_mcuboot_opts *o)
{
	struct sg_err err;
	if (sign(o, &err) != SG_OK)
		fail_msg("sign: %s", err.msg);
}

static uint8_t *vector_bytes(const struct mt_vector *v, size_t *len)
{
	char path[1024];
	mt_path(path, sizeof(path), dir, v->file);
	return mt_read(path, len);
}

static bool output_exists(void)
{
	struct stat st;
	return stat(out_path, &st) == 0;
}

static void verify_ok(const char *path, const char *key, struct sg_mcuboot_info *info)
{
	struct sg_trust t = { 0 };
	mt_trust(&t, dir, key);
	struct sg_err err;
	if (sg_mcuboot_verify_file(path, &t, info, &err) != SG_OK)
		fail_msg("verify: %s", err.msg);
	sg_trust_free(&t);
}

static void assert_same_file(const char *path, const uint8_t *want, size_t want_len)
{
	size_t len;
	uint8_t *got = mt_read(path, &len);
	assert_int_equal(len, want_len);
	for (size_t i = 0; i < len; i++)
		if (got[i] != want[i])
			fail_msg("first difference at 0x%zx: %02x, imgtool %02x", i, got[i],
				 want[i]);
	free(got);
}

static const struct mt_vector *find_vector(const char *file)
{
	for (size_t i = 0; i < mt_nvectors; i++)
		if (!strcmp(mt_vectors[i].file, file))
			return &mt_vectors[i];
	fail_msg("no vector %s", file);
	return NULL;
}

/* Ed25519 is deterministic: the whole file equals imgtool's. */
static void test_ed25519_identical(void **state)
{
	(void)state;
	for (size_t i = 0; i < mt_nvectors; i++) {
		const struct mt_vector *v = &mt_vectors[i];
		if (v->key_type != SG_KEY_ED25519)
			continue;
		struct sg_mcuboot_opts o = opts_for(v);
		sign_ok(&o);
		size_t len;
		uint8_t *want = vector_bytes(v, &len);
		assert_same_file(out_path, want, len);
		free(want);
		print_message("%s: identical to imgtool's (%zu bytes)\n", v->file, len);
		unlink(out_path);
	}
}

/* An independent OpenSSL check of a signature TLV over the digest. */
static void openssl_check(const char *key, uint16_t sig_type, const uint8_t *d, size_t dlen,
			  const uint8_t *sig, size_t slen)
{
	char path[1024], name[128];
	snprintf(name, sizeof(name), "test-%s.pub.pem", key);
	mt_path(path, sizeof(path), dir, name);
	FILE *fp = fopen(path, "r");
	assert_non_null(fp);
	EVP_PKEY *pkey = PEM_read_PUBKEY(fp, NULL, NULL, NULL);
	fclose(fp);
	assert_non_null(pkey);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pkey, NULL);
	assert_int_equal(EVP_PKEY_verify_init(ctx), 1);
	if (sig_type == SG_MCUBOOT_TLV_RSA3072_PSS) {
		assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING), 1);
		assert_int_equal(EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()), 1);
		assert_int_equal(EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()), 1);
		assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, 32), 1);
	}
	assert_int_equal(EVP_PKEY_verify(ctx, sig, slen, d, dlen), 1);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pkey);
}

/* ECDSA (random k) and RSA-PSS (random salt): the same bytes as imgtool's
 * up to the signature TLV, except the TLV area's total size, which follows
 * the DER signature's length; the signature verifies. */
static void test_other_algorithms(void **state)
{
	(void)state;
	for (size_t i = 0; i < mt_nvectors; i++) {
		const struct mt_vector *v = &mt_vectors[i];
		if (v->key_type == SG_KEY_ED25519)
			continue;
		struct sg_mcuboot_opts o = opts_for(v);
		sign_ok(&o);
		static struct sg_mcuboot_info got, want;
		verify_ok(out_path, v->key, &got);
		char path[1024];
		mt_path(path, sizeof(path), dir, v->file);
		struct sg_err err;
		assert_int_equal(sg_mcuboot_load(path, &want, &err), SG_OK);
		size_t glen, wlen;
		uint8_t *g = mt_read(out_path, &glen);
		uint8_t *w = vector_bytes(v, &wlen);
		assert_int_equal(got.ntlvs, want.ntlvs);
		const struct sg_mcuboot_tlv *gs = &got.tlvs[got.sigs[0].tlv];
		const struct sg_mcuboot_tlv *ws = &want.tlvs[want.sigs[0].tlv];
		assert_int_equal(gs->off, ws->off);
		assert_int_equal(gs->type, v->sig_type);
		assert_int_equal(gs->type, ws->type);
		size_t tot = got.tlv_off + 2; /* it_tlv_tot */
		for (size_t j = 0; j < gs->off - 2; j++)
			if (j != tot && j != tot + 1 && g[j] != w[j])
				fail_msg("%s: first difference at 0x%zx", v->file, j);
		assert_int_equal(got.tlv_size - gs->len, want.tlv_size - ws->len);
		assert_int_equal(glen, got.image_end);
		if (v->key_type == SG_KEY_RSA_3072)
			assert_memory_equal(g, w, gs->off); /* fixed-size signature */
		openssl_check(v->key, gs->type, got.digest, got.digest_len, g + gs->off, gs->len);
		print_message("%s: same as imgtool's up to the signature (0x%llx bytes); "
			      "%u-byte signature verifies\n",
			      v->file, (unsigned long long)gs->off, gs->len);
		free(g);
		free(w);
		unlink(out_path);
	}
}

/* Intel HEX, S-record and ELF of input.bin give imgtool's image too:
 * only the bytes count, not where the input says they load. */
static void write_elf(const char *path, const uint8_t *data, size_t len)
{
	static uint8_t elf[0x100 + 70000];
	assert_true(len <= sizeof(elf) - 0x100);
	memset(elf, 0, 0x100);
	static const uint8_t ident[16] = { 0x7f, 'E', 'L', 'F', 1, 1, 1 };
	memcpy(elf, ident, 16);
	uint8_t *h = elf + 16;
	uint32_t vals32[] = { 0x08000201, 52, 0, 0 }; /* entry, phoff, shoff, flags */
	h[0] = 2;   /* ET_EXEC */
	h[2] = 40;  /* EM_ARM */
	h[4] = 1;   /* EV_CURRENT */
	for (int i = 0; i < 4; i++)
		for (int b = 0; b < 4; b++)
			h[8 + 4 * i + b] = (uint8_t)(vals32[i] >> (8 * b));
	h[24] = 52; /* e_ehsize */
	h[26] = 32; /* e_phentsize */
	h[28] = 1;  /* e_phnum */
	uint32_t ph[8] = { 1, 0x100, 0x08000000, 0x08000000, (uint32_t)len, (uint32_t)len, 5, 4 };
	for (int i = 0; i < 8; i++)
		for (int b = 0; b < 4; b++)
			elf[52 + 4 * i + b] = (uint8_t)(ph[i] >> (8 * b));
	memcpy(elf + 0x100, data, len);
	mt_write(path, elf, 0x100 + len);
}

static void test_input_formats(void **state)
{
	(void)state;
	const struct mt_vector *v = find_vector("ed25519.signed.bin");
	size_t wlen, in_len;
	uint8_t *want = vector_bytes(v, &wlen);
	uint8_t *input = mt_read(in_path, &in_len);
	char conv[800];
	struct sg_mcuboot_opts o = opts_for(v);
	o.in_path = conv;

	snprintf(conv, sizeof(conv), "%s/in.elf", hsm.dir);
	write_elf(conv, input, in_len);
	sign_ok(&o);
	assert_same_file(out_path, want, wlen);

	const char *fmts[] = { "ihex", "srec" };
	for (int i = 0; i < 2; i++) {
		snprintf(conv, sizeof(conv), "%s/in.%s", hsm.dir, fmts[i]);
		const char *argv[] = { "objcopy",   "-I", "binary", "-O", fmts[i],
				       "--change-addresses", "0x08000000", in_path, conv, NULL };
		char out[1024];
		if (sg_test_run(argv, out, sizeof(out)) != 0) {
			print_message("objcopy unavailable (%s): %s skipped\n", out, fmts[i]);
			continue;
		}
		sign_ok(&o);
		assert_same_file(out_path, want, wlen);
	}
	unlink(out_path);
	free(want);
	free(input);
}

/* Without --pad-header the build leaves header_size zero bytes, which the
 * header overwrites; input that does not is refused. */
static void test_header_room(void **state)
{
	(void)state;
	size_t in_len;
	uint8_t *input = mt_read(in_path, &in_len);
	uint8_t *buf = calloc(1, 0x200 + in_len);
	memcpy(buf + 0x200, input, in_len);
	mt_write(tmp_path, buf, 0x200 + in_len);
	struct sg_mcuboot_opts o = opts_for(find_vector("ecdsa-p256.signed.bin"));
	o.in_path = tmp_path;
	o.pad_header = false;
	sign_ok(&o);
	static struct sg_mcuboot_info info;
	verify_ok(out_path, "ecdsa-p256", &info);
	assert_int_equal(info.hdr.img_size, in_len);
	size_t len;
	uint8_t *img = mt_read(out_path, &len);
	for (int i = SG_MCUBOOT_HEADER_SIZE; i < 0x200; i++)
		assert_int_equal(img[i], 0); /* the input's zeros, not erased bytes */
	assert_memory_equal(img + 0x200, input, in_len);
	free(img);
	unlink(out_path);

	buf[0x1ff] = 1;
	mt_write(tmp_path, buf, 0x200 + in_len);
	struct sg_err err;
	mt_assert_err(sign(&o, &err), &err, SG_EINPUT,
		      "byte 0x1ff is not zero: without header padding the first 512 bytes must "
		      "be zero");
	assert_false(output_exists());
	mt_write(tmp_path, buf, 0x100);
	mt_assert_err(sign(&o, &err), &err, SG_EINPUT,
		      "256 bytes, shorter than the 512-byte header");
	assert_false(output_exists());
	free(buf);
	free(input);
	unlink(tmp_path);
}

static void test_header_fields(void **state)
{
	(void)state;
	struct sg_mcuboot_opts o = opts_for(find_vector("ed25519.signed.bin"));
	o.has_load_addr = true;
	o.load_addr = 0x20008000;
	o.has_counter = false;
	o.version = (struct sg_version){ 255, 254, 65535, 0xfffffffe };
	o.slot_size = 0;
	o.header_size = 32;
	sign_ok(&o);
	static struct sg_mcuboot_info info;
	verify_ok(out_path, "ed25519", &info);
	assert_int_equal(info.hdr.flags, SG_MCUBOOT_F_RAM_LOAD);
	assert_int_equal(info.hdr.load_addr, 0x20008000);
	assert_int_equal(info.hdr.hdr_size, 32);
	assert_int_equal(info.hdr.protect_tlv_size, 0);
	assert_int_equal(info.prot_off, 0);
	assert_false(info.has_counter);
	assert_int_equal(info.hdr.ver_major, 255);
	assert_int_equal(info.hdr.ver_minor, 254);
	assert_int_equal(info.hdr.ver_revision, 65535);
	assert_int_equal(info.hdr.ver_build, 0xfffffffe);
	assert_int_equal(info.ntlvs, 3);
	unlink(out_path);
	struct sg_version v = { 1, 2, 3, 4 };
	assert_int_equal(sg_mcuboot_auto_counter(&v), 0x01020003);
}

/* Trailers for other alignments, an erased value of 0, --confirm alone. */
static void test_trailers(void **state)
{
	(void)state;
	struct sg_mcuboot_opts o = opts_for(find_vector("ed25519.padded-confirmed.bin"));
	o.align = 32;
	o.pad_slot = false; /* implied by confirm */
	sign_ok(&o);
	static struct sg_mcuboot_info info;
	verify_ok(out_path, "ed25519", &info);
	assert_true(info.trailer.present);
	assert_int_equal(info.trailer.max_align, 32);
	assert_int_equal(info.trailer.image_ok, 0x01);
	assert_int_equal(info.file_size, o.slot_size);
	size_t len;
	uint8_t *img = mt_read(out_path, &len);
	assert_int_equal(img[len - 16], 32);
	assert_int_equal(img[len - 32 - 32], 0x01); /* image_ok: magic area, one align */
	free(img);

	o.align = 4;
	o.confirm = false;
	o.pad_slot = true;
	o.erased_zero = true;
	sign_ok(&o);
	verify_ok(out_path, "ed25519", &info);
	assert_true(info.trailer.present);
	assert_int_equal(info.trailer.max_align, 8);
	assert_int_equal(info.trailer.image_ok, 0x00); /* erased, with 0 as erased value */
	img = mt_read(out_path, &len);
	for (int i = SG_MCUBOOT_HEADER_SIZE; i < 0x400; i++)
		assert_int_equal(img[i], 0);
	for (size_t i = info.image_end; i < len - 16; i++)
		assert_int_equal(img[i], 0);
	free(img);
	unlink(out_path);
}

/* Several MiB, not a multiple of anything: the payload streams. */
static void test_large_input(void **state)
{
	(void)state;
	size_t n = 5 * 1024 * 1024 + 3;
	uint8_t *buf = malloc(n);
	for (size_t i = 0; i < n; i++)
		buf[i] = (uint8_t)((i * 2654435761u) >> 13);
	mt_write(tmp_path, buf, n);
	struct sg_mcuboot_opts o = opts_for(find_vector("ecdsa-p384.signed.bin"));
	o.in_path = tmp_path;
	o.slot_size = 0x600000;
	o.pad_slot = true;
	sign_ok(&o);
	static struct sg_mcuboot_info info;
	verify_ok(out_path, "ecdsa-p384", &info);
	assert_int_equal(info.hdr.img_size, n);
	assert_int_equal(info.file_size, 0x600000);
	size_t len;
	uint8_t *img = mt_read(out_path, &len);
	assert_memory_equal(img + 0x200, buf, n);
	free(img);
	free(buf);
	unlink(out_path);
	unlink(tmp_path);
}

static void refused(struct sg_mcuboot_opts *o, int status, const char *want)
{
	struct sg_err err;
	mt_assert_err(sign(o, &err), &err, status, want);
	assert_false(output_exists());
}

static void test_bad_options(void **state)
{
	(void)state;
	const struct mt_vector *v = find_vector("ed25519.signed.bin");
	struct sg_mcuboot_opts o = opts_for(v);
	o.header_size = 16;
	refused(&o, SG_EINPUT, "header size 16 is below the 32-byte MCUboot header");
	o.header_size = 0x10000;
	refused(&o, SG_EINPUT, "header size 65536 does not fit ih_hdr_size");
	o = opts_for(v);
	o.align = 3;
	refused(&o, SG_EINPUT, "align 3: MCUboot supports 1, 2, 4, 8, 16 or 32");
	o.align = 16;
	o.max_align = 8;
	refused(&o, SG_EINPUT, "max align must be 8, 16 or 32 and at least align");
	o = opts_for(v);
	o.confirm = true;
	o.slot_size = 0;
	refused(&o, SG_EINPUT, "needs a slot size");
	/* The slot must hold image, TLVs and trailer (0x10000 of input alone
	 * fills a 0x10000 slot), padded or not, as imgtool checks. */
	o = opts_for(v);
	o.slot_size = 0x10000;
	refused(&o, SG_EINPUT, "do not fit the 0x10000-byte slot");
	o.slot_size = 0x10200 + 0x9c + 1584 - 1; /* one byte short */
	refused(&o, SG_EINPUT, "image with TLVs (0x1029c bytes) and trailer (0x630 bytes)");
	o.slot_size++;
	sign_ok(&o);
	unlink(out_path);
	/* Padded, the slot must be a multiple of the maximum alignment, or
	 * bootutil would look for image_ok elsewhere than imgtool puts it. */
	o.pad_slot = true;
	refused(&o, SG_EINPUT, "slot size 0x108cc is not a multiple of the maximum alignment 8");
	o.slot_size = 0x108d0;
	sign_ok(&o);
	static struct sg_mcuboot_info info;
	verify_ok(out_path, "ed25519", &info);
	assert_true(info.trailer.present);
	assert_int_equal(info.file_size, 0x108d0);
	unlink(out_path);
	o = opts_for(v);
	o.has_load_addr = true;
	o.load_addr = 0;
	refused(&o, SG_EINPUT, "load address 0");
	o = opts_for(v);
	o.key_uri = rsa4096_uri;
	refused(&o, SG_EINPUT, "rsa-4096 keys cannot sign MCUboot images");
	char missing[1100];
	snprintf(missing, sizeof(missing), "%s", uris[0]);
	char *obj = strstr(missing, "object=");
	assert_non_null(obj);
	memcpy(obj, "object=nope___", 14);
	o.key_uri = missing;
	refused(&o, SG_EINPUT, "nope");
	o = opts_for(v);
	o.in_path = "/nonexistent/input.bin";
	struct sg_err err;
	assert_int_not_equal(sign(&o, &err), SG_OK);
	assert_false(output_exists());
	o = opts_for(v);
	o.key_uri = NULL;
	refused(&o, SG_EINPUT, "needs an input, an output and a key");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ed25519_identical),
		cmocka_unit_test(test_other_algorithms),
		cmocka_unit_test(test_input_formats),
		cmocka_unit_test(test_header_room),
		cmocka_unit_test(test_header_fields),
		cmocka_unit_test(test_trailers),
		cmocka_unit_test(test_large_input),
		cmocka_unit_test(test_bad_options),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
