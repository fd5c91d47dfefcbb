/* The bottom of hsm/: PKCS#11 modules, process-wide (module.c). A module is
 * loaded and C_Initialize'd once per process and path and shared by
 * reference count; this layer knows neither tokens nor contexts, which are
 * built on it (hsm_priv.h). Also what every file above needs about PKCS#11
 * answers: their names, and pacing the retries of transient failures. */
#ifndef SIGNET_HSM_MODULE_PRIV_H
#define SIGNET_HSM_MODULE_PRIV_H

#include <stdbool.h>

#include <p11-kit/pkcs11.h>

#include "signet/err.h"

/* A loaded PKCS#11 module, shared by every context in the process. */
struct hsm_module {
	struct hsm_module *next;
	char *path;     /* as resolved by realpath, the identity of the module */
	void *dl;
	CK_FUNCTION_LIST *f;
	bool finalize;  /* we initialised it, so we finalize it */
	unsigned refs;
};

const char *hsm_rv_name(CK_RV rv);
/* Tokens shared by several processes fail now and then for a moment:
 * SoftHSM2 reads its token store at C_Initialize, and a token whose file
 * another process is rewriting then (every login rewrites it) is missing or
 * half-read. Token look-up and login retry this many times. */
#define HSM_RETRIES 8
/* Sleeps before retry attempt (0-based): 5 ms doubling to 200 ms, jittered. */
void hsm_backoff(unsigned attempt);
/* Whether a login failure may be such a moment rather than an answer. */
bool hsm_rv_transient(CK_RV rv);
/* The module at path (a file name without '/' goes through the dynamic
 * loader's search), loaded and initialised on first use, with one more
 * reference the caller drops with hsm_module_put. SG_EENV if it does not
 * load or is no PKCS#11 module. */
int hsm_module_get(const char *path, struct hsm_module **mod, struct sg_err *err);
/* C_Finalize and C_Initialize m again, so it rereads its token store, when
 * we initialised it and one reference holds it (the caller's, which must
 * have no session on it: hsm_token_reload checks). SG_FAIL (err untouched)
 * when it may not. */
int hsm_module_reinit(struct hsm_module *m, struct sg_err *err);
/* Drops a reference; the last one finalizes and unloads the module. */
void hsm_module_put(struct hsm_module *m);

#endif
