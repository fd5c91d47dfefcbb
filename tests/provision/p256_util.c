/* See p256_util.h. */
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "p256_util.h"
#include "signet/protocol.h"

int p256_verify(const uint8_t *pub, const uint8_t *msg, size_t len, const uint8_t *sig)
{
	OSSL_PARAM params[] = {
		OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0),
		OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)pub, SGP_P256_PUB_LEN),
		OSSL_PARAM_END,
	};
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *k = NULL;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	ECDSA_SIG *s = ECDSA_SIG_new();
	uint8_t *der = NULL;
	int der_len, ok;

	ECDSA_SIG_set0(s, BN_bin2bn(sig, 32, NULL), BN_bin2bn(sig + 32, 32, NULL));
	der_len = i2d_ECDSA_SIG(s, &der);
	ok = pc && EVP_PKEY_fromdata_init(pc) == 1 &&
	     EVP_PKEY_fromdata(pc, &k, EVP_PKEY_PUBLIC_KEY, params) == 1 &&
	     EVP_DigestVerifyInit(c, NULL, EVP_sha256(), NULL, k) == 1 &&
	     EVP_DigestVerify(c, der, (size_t)der_len, msg, len) == 1;
	OPENSSL_free(der);
	ECDSA_SIG_free(s);
	EVP_MD_CTX_free(c);
	EVP_PKEY_free(k);
	EVP_PKEY_CTX_free(pc);
	return ok;
}
