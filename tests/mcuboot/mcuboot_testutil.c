/* MCUboot test helpers: see mcuboot_testutil.h. */
#include "mcuboot_testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#define V(maj, min, rev, build) { maj, min, rev, build }

const struct mt_vector mt_vectors[] = {
	{ "ed25519.signed.bin", "ed25519", SG_KEY_ED25519, 0x200, 0x40000, 4, true, false,
	  false, true, 7, V(1, 2, 3, 4), SG_MCUBOOT_TLV_SHA256, SG_MCUBOOT_TLV_ED25519 },
	{ "ecdsa-p256.signed.bin", "ecdsa-p256", SG_KEY_ECDSA_P256, 0x200, 0x40000, 4, true,
	  false, false, true, 7, V(1, 2, 3, 4), SG_MCUBOOT_TLV_SHA256, SG_MCUBOOT_TLV_ECDSA_SIG },
	{ "ecdsa-p384.signed.bin", "ecdsa-p384", SG_KEY_ECDSA_P384, 0x200, 0x40000, 4, true,
	  false, false, true, 7, V(1, 2, 3, 4), SG_MCUBOOT_TLV_SHA384, SG_MCUBOOT_TLV_ECDSA_SIG },
	{ "rsa-3072.signed.bin", "rsa-3072", SG_KEY_RSA_3072, 0x200, 0x40000, 4, true, false,
	  false, true, 7, V(1, 2, 3, 4), SG_MCUBOOT_TLV_SHA256, SG_MCUBOOT_TLV_RSA3072_PSS },
	{ "ed25519.padded-confirmed.bin", "ed25519", SG_KEY_ED25519, 0x400, 0x20000, 8, true,
	  true, true, false, 0, V(0, 9, 0, 0), SG_MCUBOOT_TLV_SHA256, SG_MCUBOOT_TLV_ED25519 },
};
const size_t mt_nvectors = sizeof(mt_vectors) / sizeof(mt_vectors[0]);

static int has_input(const char *dir)
{
	char p[1100];
	snprintf(p, sizeof(p), "%s/input.bin", dir);
	return access(p, R_OK) == 0;
}

/* The imgtool vectors live in the tree (tests/vectors/mcuboot) so that no CI
 * machine can skip them for want of files: a missing directory fails the
 * test group's setup. */
const char *mt_vectors_dir(void)
{
	static char dir[1024];
	const char *src = getenv("SIGNET_SOURCE_DIR");
	snprintf(dir, sizeof(dir), "%s/tests/vectors/mcuboot", src && *src ? src : ".");
	if (has_input(dir))
		return dir;
	fprintf(stderr, "MCUboot vectors missing: %s\n", dir);
	return NULL;
}

struct sg_mcuboot_opts mt_vector_opts(const struct mt_vector *v, const char *in, const char *out)
{
	struct sg_mcuboot_opts o;
	memset(&o, 0, sizeof(o));
	o.in_path = in;
	o.out_path = out;
	o.pad = 0xff;
	o.version = v->version;
	o.has_counter = v->has_counter;
	o.security_counter = v->counter;
	o.header_size = v->header_size;
	o.pad_header = v->pad_header;
	o.slot_size = v->slot_size;
	o.align = v->align;
	o.pad_slot = v->pad;
	o.confirm = v->confirm;
	return o;
}

void mt_path(char *out, size_t n, const char *dir, const char *name)
{
	int w = snprintf(out, n, "%s/%s", dir, name);
	assert_true(w > 0 && (size_t)w < n);
}

uint8_t *mt_read(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	if (!fp)
		fail_msg("cannot open %s", path);
	fseek(fp, 0, SEEK_END);
	long size = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	uint8_t *buf = malloc(size > 0 ? (size_t)size : 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)size, fp), (size_t)size);
	fclose(fp);
	*len = (size_t)size;
	return buf;
}

void mt_write(const char *path, const void *data, size_t len)
{
	FILE *fp = fopen(path, "wb");
	if (!fp)
		fail_msg("cannot write %s", path);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

int mt_mem_read(void *arg, uint64_t off, uint8_t *buf, size_t len)
{
	const struct mt_mem *m = arg;
	if (off > m->n || len > m->n - off)
		return -1;
	memcpy(buf, m->p + off, len);
	return 0;
}

int mt_verify_mem(const uint8_t *p, size_t n, const struct sg_trust *t,
		  struct sg_mcuboot_info *info, struct sg_err *err)
{
	struct mt_mem m = { p, n };
	return sg_mcuboot_verify(mt_mem_read, &m, n, t, info, err);
}

void mt_trust(struct sg_trust *t, const char *dir, const char *key)
{
	char path[1200], name[128];
	snprintf(name, sizeof(name), "test-%s.pub.pem", key);
	mt_path(path, sizeof(path), dir, name);
	struct sg_err err;
	if (sg_trust_add(t, path, &err) != SG_OK)
		fail_msg("trust %s: %s", path, err.msg);
}

void *mt_private_key(const char *dir, const char *key)
{
	char path[1200], name[128];
	snprintf(name, sizeof(name), "test-%s.key.pem", key);
	mt_path(path, sizeof(path), dir, name);
	FILE *fp = fopen(path, "r");
	assert_non_null(fp);
	EVP_PKEY *pkey = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
	fclose(fp);
	assert_non_null(pkey);
	return pkey;
}

int mt_find_tlv(const struct sg_mcuboot_info *info, uint16_t type)
{
	for (unsigned i = 0; i < info->ntlvs; i++)
		if (info->tlvs[i].type == type)
			return (int)i;
	return -1;
}

void mt_assert_err(int rc, const struct sg_err *err, int status, const char *want)
{
	if (rc != status || !strstr(err->msg, want))
		fail_msg("want status %d and \"%s\", got %d: %s", status, want, rc,
			 rc ? err->msg : "(ok)");
}
