/* Random bytes from the token's generator, on the session the key was
 * opened with: certificate serials come from the same HSM that holds the CA
 * key, so a weak host RNG cannot make them predictable. */
#include "hsm_priv.h"

int sg_hsm_random(struct sg_hsm_key *key, uint8_t *buf, size_t len, struct sg_err *err)
{
	CK_RV rv = key->tok->mod->f->C_GenerateRandom(key->tok->session, buf, len);
	if (rv != CKR_OK)
		return sg_errf(err, SG_EENV, "token '%s': C_GenerateRandom failed: %s",
			       key->tok->label, hsm_rv_name(rv));
	return SG_OK;
}
