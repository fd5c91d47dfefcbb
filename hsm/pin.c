/* PINs and login. The library reads no PIN itself (no file, no
 * environment, no terminal): it asks the context's PIN source, a callback
 * the caller set (the CLI's reads pin-source files, $SIGNET_PIN and the
 * terminal), or a PIN value set on the context. Core dumps are off before
 * the source is asked, the buffer that held a PIN is cleansed once C_Login
 * has it, and no message ever contains one. */
#include "hsm_priv.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#define PIN_MAX 256

/* The PIN source of sg_hsm_ctx_set_pin: the value kept on the context. */
static int pin_value(void *arg, const struct sg_pin_request *req, char *pin, size_t pin_max,
		     struct sg_err *err)
{
	(void)req;
	(void)err;
	const char *value = arg;
	size_t n = strlen(value);
	if (n >= pin_max) /* sg_hsm_ctx_set_pin keeps no longer PIN */
		return SG_FAIL;
	memcpy(pin, value, n + 1);
	return SG_OK;
}

int sg_hsm_ctx_set_pin(struct sg_hsm_ctx *ctx, const char *pin, struct sg_err *err)
{
	size_t n = strlen(pin);
	if (n == 0 || n >= PIN_MAX)
		return sg_errf(err, SG_EINPUT, "PIN: %s", n ? "too long" : "empty");
	char *copy = calloc(1, PIN_MAX);
	if (!copy)
		return sg_errf(err, SG_EENV, "out of memory");
	mlock(copy, PIN_MAX); /* best effort: kept out of swap */
	memcpy(copy, pin, n + 1);
	sg_hsm_ctx_set_pin_cb(ctx, pin_value, copy);
	ctx->pin = copy;
	return SG_OK;
}

void sg_hsm_ctx_set_pin_cb(struct sg_hsm_ctx *ctx, sg_pin_cb cb, void *arg)
{
	hsm_ctx_pin_free(ctx); /* a value set before is not the source any more */
	ctx->pin_cb = cb;
	ctx->pin_arg = arg;
}

void hsm_ctx_pin_free(struct sg_hsm_ctx *ctx)
{
	if (!ctx->pin)
		return;
	OPENSSL_cleanse(ctx->pin, PIN_MAX);
	munlock(ctx->pin, PIN_MAX);
	free(ctx->pin);
	ctx->pin = NULL;
}

/* Asks the context's PIN source. SG_FAIL without a message: no PIN
 * available, and may_prompt false (listing goes on without login). */
static int pin_get(struct sg_hsm_ctx *ctx, struct hsm_token *tok, P11KitUri *uri,
		   bool may_prompt, char *pin, struct sg_err *err)
{
	const char *src = uri ? p11_kit_uri_get_pin_source(uri) : NULL;
	struct sg_pin_request req = {
		.token_label = tok->label,
		.pin_source = src && *src ? src : NULL,
		.may_prompt = may_prompt,
	};
	int rc = ctx->pin_cb ? ctx->pin_cb(ctx->pin_arg, &req, pin, PIN_MAX, err) : SG_FAIL;
	if (rc == SG_OK && (!memchr(pin, 0, PIN_MAX) || !pin[0]))
		rc = sg_errf(err, SG_EINPUT, "token '%s': the PIN source gave no usable PIN",
			     tok->label);
	if (rc == SG_FAIL && may_prompt)
		rc = sg_errf(err, SG_EENV, "token '%s': needs a PIN and the caller set no PIN "
			     "source", tok->label);
	return rc;
}

static int login_result(struct hsm_token *tok, CK_RV rv, struct sg_err *err)
{
	const char *l = tok->label;
	switch (rv) {
	case CKR_OK:
	case CKR_USER_ALREADY_LOGGED_IN: /* another context of ours did */
		tok->logged_in = true;
		return SG_OK;
	case CKR_PIN_INCORRECT:
		return sg_errf(err, SG_EENV, "token '%s': wrong PIN", l);
	case CKR_PIN_LEN_RANGE:
		return sg_errf(err, SG_EENV, "token '%s': wrong PIN (length out of range)", l);
	case CKR_PIN_LOCKED:
		return sg_errf(err, SG_EENV, "token '%s': PIN locked", l);
	case CKR_PIN_EXPIRED:
		return sg_errf(err, SG_EENV, "token '%s': PIN expired", l);
	case CKR_USER_PIN_NOT_INITIALIZED:
		return sg_errf(err, SG_EENV, "token '%s': user PIN not initialized", l);
	default:
		return sg_errf(err, SG_EENV, "token '%s': C_Login failed: %s", l, hsm_rv_name(rv));
	}
}

/* C_Login, again while the failure may be a moment (hsm_rv_transient).
 * From the third try on, the module rereads its token store first: a token
 * it half-read at C_Initialize stays half-read in this process. */
static int login_retrying(struct sg_hsm_ctx *ctx, struct hsm_token *tok, const char *pin,
			  struct sg_err *err)
{
	CK_ULONG len = strlen(pin);
	CK_RV rv = tok->mod->f->C_Login(tok->session, CKU_USER, (CK_UTF8CHAR *)pin, len);
	for (unsigned attempt = 0; hsm_rv_transient(rv) && attempt < HSM_RETRIES; attempt++) {
		hsm_backoff(attempt);
		int reload = attempt >= 2 ? hsm_token_reload(ctx, tok->mod, tok, err) : SG_FAIL;
		if (reload == SG_EENV && tok->session != CK_INVALID_HANDLE)
			return SG_EENV;
		/* No session: the reread store lacked the token this time. */
		rv = tok->session == CK_INVALID_HANDLE
			     ? CKR_TOKEN_NOT_PRESENT
			     : tok->mod->f->C_Login(tok->session, CKU_USER, (CK_UTF8CHAR *)pin, len);
	}
	return login_result(tok, rv, err);
}

int sg_hsm_no_core_dumps(struct sg_err *err)
{
	struct rlimit none = { 0, 0 };
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 || setrlimit(RLIMIT_CORE, &none) != 0)
		return sg_errf(err, SG_EENV, "cannot turn core dumps off: %s", strerror(errno));
	return SG_OK;
}

/* Whether the token is logged in already for this process (another
 * context's session, still open, did it): then no PIN is needed. */
static bool session_logged_in(struct hsm_token *tok)
{
	CK_SESSION_INFO si;
	return tok->mod->f->C_GetSessionInfo(tok->session, &si) == CKR_OK &&
	       (si.state == CKS_RO_USER_FUNCTIONS || si.state == CKS_RW_USER_FUNCTIONS);
}

int hsm_login(struct sg_hsm_ctx *ctx, struct hsm_token *tok, P11KitUri *uri, bool may_prompt,
	      struct sg_err *err)
{
	if (tok->logged_in || !(tok->info.flags & CKF_LOGIN_REQUIRED))
		return SG_OK;
	if (session_logged_in(tok)) {
		tok->logged_in = true;
		return SG_OK;
	}
	/* From here the PIN, and after login the module's secrets, are in
	 * this process's memory until it exits. */
	int rc = sg_hsm_no_core_dumps(err);
	if (rc != SG_OK)
		return rc;
	CK_FUNCTION_LIST *f = tok->mod->f;
	if (tok->info.flags & CKF_PROTECTED_AUTHENTICATION_PATH) /* PIN pad */
		return login_result(tok, f->C_Login(tok->session, CKU_USER, NULL, 0), err);
	char pin[PIN_MAX] = "";
	rc = pin_get(ctx, tok, uri, may_prompt, pin, err);
	if (rc == SG_OK) /* a wrong PIN is an answer, never retried */
		rc = login_retrying(ctx, tok, pin, err);
	OPENSSL_cleanse(pin, sizeof(pin));
	return rc;
}
