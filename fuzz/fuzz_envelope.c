/* libFuzzer harness for the envelope verifier core: structure parsing, the
 * digest pass and the signature loop, over arbitrary bytes. Crypto is a
 * cheap stand-in (xor "hash", signatures valid when their first byte is
 * even) so the fuzzer reaches every branch of the core, not OpenSSL's. */
#include <stdint.h>
#include <string.h>

#include "signet/verifier.h"
#include "fuzz_mem.h"

static uint8_t acc;
static int h_init(void *c, int alg)
{
	(void)c;
	acc = 0;
	return sgv_digest_len(alg) ? 0 : 1;
}
static int h_update(void *c, const uint8_t *p, size_t n)
{
	(void)c;
	while (n--)
		acc ^= *p++;
	return 0;
}
static int h_final(void *c, uint8_t *out)
{
	(void)c;
	memset(out, acc, SGE_DIGEST_MAX);
	return 0;
}
static int s_verify(void *arg, int alg, const uint8_t *key_id, const uint8_t *msg, size_t msg_len,
		    const uint8_t *sig, size_t sig_len, unsigned *key_index)
{
	(void)arg;
	(void)alg;
	(void)msg;
	(void)msg_len;
	(void)sig_len;
	if (key_id[0] > 0x80)
		return SGV_SIG_UNTRUSTED;
	*key_index = key_id[1];
	return sig[0] & 1 ? SGV_SIG_INVALID : SGV_SIG_VALID;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sgv_envelope e;
	static uint8_t work[97]; /* odd size: chunk boundaries move around */
	struct mem m = { data, size };
	struct sgv_crypto c = { NULL, h_init, h_update, h_final, s_verify, NULL };
	if (sgv_parse(&e, rd, &m, size) != SGV_OK)
		return 0;
	sgv_check_digest(&e, &c, rd, &m, work, sizeof(work));
	sgv_check_signatures(&e, &c, rd, &m, 2);
	sgv_check_policy(&e, (const uint8_t *)"hw", 2, 1);
	return 0;
}
