#include "hsm_test.h"

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static bool key_is(EVP_PKEY *pk, enum sg_key_type type)
{
	switch (type) {
	case SG_KEY_ECDSA_P256:
		return EVP_PKEY_is_a(pk, "EC") && EVP_PKEY_get_bits(pk) == 256;
	case SG_KEY_ECDSA_P384:
		return EVP_PKEY_is_a(pk, "EC") && EVP_PKEY_get_bits(pk) == 384;
	case SG_KEY_ED25519:
		return EVP_PKEY_is_a(pk, "ED25519");
	case SG_KEY_RSA_3072:
		return EVP_PKEY_is_a(pk, "RSA") && EVP_PKEY_get_bits(pk) == 3072;
	case SG_KEY_RSA_4096:
		return EVP_PKEY_is_a(pk, "RSA") && EVP_PKEY_get_bits(pk) == 4096;
	default:
		return false;
	}
}

int test_verify(const uint8_t *spki, size_t spki_len, enum sg_key_type type, const uint8_t *msg,
		size_t msg_len, const uint8_t *sig, size_t sig_len)
{
	const uint8_t *p = spki;
	EVP_PKEY *pk = d2i_PUBKEY(NULL, &p, (long)spki_len);
	if (!pk || p != spki + spki_len || !key_is(pk, type)) {
		EVP_PKEY_free(pk);
		return 0;
	}
	const EVP_MD *md = type == SG_KEY_ED25519	  ? NULL
			   : type == SG_KEY_ECDSA_P384 ? EVP_sha384()
						       : EVP_sha256();
	EVP_MD_CTX *mc = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pc = NULL;
	int ok = mc && EVP_DigestVerifyInit(mc, &pc, md, NULL, pk) == 1;
	if (ok && (type == SG_KEY_RSA_3072 || type == SG_KEY_RSA_4096))
		ok = EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) == 1 &&
		     EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, 32) == 1 &&
		     EVP_PKEY_CTX_set_rsa_mgf1_md(pc, EVP_sha256()) == 1;
	ok = ok && EVP_DigestVerify(mc, sig, sig_len, msg, msg_len) == 1;
	EVP_MD_CTX_free(mc);
	EVP_PKEY_free(pk);
	return ok;
}

int test_pkcs11_tool(const struct sg_test_softhsm *t, const char *const args[], char *out,
		     size_t out_len)
{
	const char *argv[32] = { "pkcs11-tool", "--module", t->module, "--token-label",
				 t->label,	"--login",  "--pin",   t->pin };
	size_t n = 8;
	for (size_t i = 0; args[i]; i++) {
		if (n + 1 >= sizeof(argv) / sizeof(argv[0]))
			abort();
		argv[n++] = args[i];
	}
	argv[n] = NULL;
	return sg_test_run(argv, out, out_len);
}

void test_write(const struct sg_test_softhsm *t, const char *name, const void *data, size_t len,
		char *path, size_t n)
{
	snprintf(path, n, "%s/%s", t->dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0 || chmod(path, 0600) != 0)
		abort();
}

char *test_fmt(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(buf, n, fmt, ap);
	va_end(ap);
	if (w < 0 || (size_t)w >= n)
		abort();
	return buf;
}
