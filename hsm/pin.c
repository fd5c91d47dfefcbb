/* PINs and login. A PIN comes from a file named by the URI's pin-source, from
 * $SIGNET_PIN, or from a no-echo prompt on the terminal; never from a command
 * line. Every buffer that held a PIN is cleansed once C_Login has it,
 * SIGNET_PIN is scrubbed from the environment as it is read (one locked copy
 * serves the rest of the run), core dumps are off before any PIN is read,
 * and no message ever contains one. */
#include "hsm_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <termios.h>
#include <unistd.h>

#include "fileio.h"

#define PIN_MAX 256
#define PIN_FILE_MAX 4096

/* "file:PATH", "file://PATH" or a bare path; other schemes are refused
 * rather than read as odd file names. */
static int pin_source_path(const char *src, const char **path, struct sg_err *err)
{
	if (strncmp(src, "file://", 7) == 0) {
		*path = src + 7;
		return SG_OK;
	}
	if (strncmp(src, "file:", 5) == 0) {
		*path = src + 5;
		return SG_OK;
	}
	size_t scheme = strspn(src, "abcdefghijklmnopqrstuvwxyz0123456789+.-");
	if (scheme > 0 && src[scheme] == ':')
		return sg_errf(err, SG_EINPUT, "pin-source '%s': only file: is supported", src);
	*path = src;
	return SG_OK;
}

/* The first line of the file, without its line ending; the file must be
 * private to its owner (SG_EENV otherwise). */
static int pin_from_file(const char *src, char *pin, struct sg_err *err)
{
	const char *path = NULL;
	int rc = pin_source_path(src, &path, err);
	if (rc != SG_OK)
		return rc;
	uint8_t *buf;
	size_t len;
	/* Like ssh with keys: a PIN others can read is no secret, so refuse
	 * it rather than use it. */
	if ((rc = sg_read_file_ex(path, PIN_FILE_MAX, SG_READ_PRIVATE, &buf, &len, err)) != SG_OK)
		return rc;
	size_t n = strcspn((const char *)buf, "\r\n");
	if (n == 0) {
		rc = sg_errf(err, SG_EINPUT, "PIN file %s: first line is empty", path);
	} else if (n >= PIN_MAX) {
		rc = sg_errf(err, SG_EINPUT, "PIN file %s: first line too long", path);
	} else {
		memcpy(pin, buf, n);
		pin[n] = 0;
	}
	OPENSSL_cleanse(buf, len);
	free(buf);
	return rc;
}

/* Prompts on the terminal itself, so a redirected stdout never gets the
 * prompt and the PIN is read with echo off. */
static int pin_from_tty(const char *label, char *pin, struct sg_err *err)
{
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return sg_errf(err, SG_EENV, "token '%s': cannot open /dev/tty to ask for the PIN",
			       label);
	struct termios old, quiet;
	bool restore = tcgetattr(fd, &old) == 0;
	if (restore) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		quiet.c_lflag |= ECHONL;
		tcsetattr(fd, TCSAFLUSH, &quiet);
	}
	dprintf(fd, "PIN for token '%s': ", label);
	size_t n = 0;
	char c;
	bool ok = false;
	while (read(fd, &c, 1) == 1) {
		if (c == '\n' || c == '\r') {
			ok = true;
			break;
		}
		if (n < PIN_MAX - 1)
			pin[n++] = c;
	}
	OPENSSL_cleanse(&c, 1); /* may hold a PIN character */
	pin[n] = 0;
	if (restore)
		tcsetattr(fd, TCSAFLUSH, &old);
	close(fd);
	if (!ok || n == 0) {
		OPENSSL_cleanse(pin, PIN_MAX);
		return sg_errf(err, SG_EENV, "token '%s': no PIN entered", label);
	}
	return SG_OK;
}

/* $SIGNET_PIN, taken from the environment when a login needs it: its bytes
 * are overwritten where the environment keeps them (so /proc/PID/environ
 * and the process's memory image no longer show it) and the variable is
 * removed. The copy stays in this locked page for the rest of the process,
 * because one run may log in to several tokens (sign --key on two tokens)
 * or to one token again after a logout; core dumps are off from the first
 * login on (sg_hsm_no_core_dumps). A program that sets SIGNET_PIN again
 * replaces the copy. */
static struct {
	pthread_mutex_t lock;
	size_t len; /* 0: none yet; PIN_MAX: too long */
	char pin[PIN_MAX];
} env_pin = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void take_env_pin(char *env)
{
	size_t n = strlen(env);
	OPENSSL_cleanse(env_pin.pin, sizeof(env_pin.pin));
	if (n < PIN_MAX) {
		mlock(env_pin.pin, sizeof(env_pin.pin)); /* best effort: kept out of swap */
		memcpy(env_pin.pin, env, n + 1);
		env_pin.len = n;
	} else {
		env_pin.len = PIN_MAX; /* refused when used */
	}
	OPENSSL_cleanse(env, n);
	unsetenv("SIGNET_PIN");
}

/* SG_FAIL when SIGNET_PIN was never set (or only empty). */
static int pin_from_env(char *pin, struct sg_err *err)
{
	pthread_mutex_lock(&env_pin.lock);
	char *env = getenv("SIGNET_PIN");
	if (env && *env)
		take_env_pin(env);
	int rc = SG_FAIL;
	if (env_pin.len >= PIN_MAX) {
		rc = sg_errf(err, SG_EINPUT, "SIGNET_PIN: too long");
	} else if (env_pin.len > 0) {
		memcpy(pin, env_pin.pin, env_pin.len + 1);
		rc = SG_OK;
	}
	pthread_mutex_unlock(&env_pin.lock);
	return rc;
}

/* SG_FAIL without a message: no PIN available and prompting not allowed. */
static int pin_get(struct hsm_token *tok, P11KitUri *uri, bool may_prompt, char *pin,
		   struct sg_err *err)
{
	const char *src = uri ? p11_kit_uri_get_pin_source(uri) : NULL;
	if (src && *src)
		return pin_from_file(src, pin, err);
	int rc = pin_from_env(pin, err);
	if (rc != SG_FAIL)
		return rc;
	if (!may_prompt)
		return SG_FAIL;
	if (!isatty(STDIN_FILENO))
		return sg_errf(err, SG_EENV,
			       "token '%s': needs a PIN: use pin-source=file:PATH in the URI or "
			       "SIGNET_PIN, or run on a terminal",
			       tok->label);
	return pin_from_tty(tok->label, pin, err);
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
	char pin[PIN_MAX];
	rc = pin_get(tok, uri, may_prompt, pin, err);
	if (rc == SG_OK) /* a wrong PIN is an answer, never retried */
		rc = login_retrying(ctx, tok, pin, err);
	OPENSSL_cleanse(pin, sizeof(pin));
	return rc;
}
