/* The CLI's PIN source for hsm/ (sg_pin_cb): a file named by the URI's
 * pin-source, else $SIGNET_PIN, else a no-echo prompt on the terminal;
 * never a command line. SIGNET_PIN is scrubbed from the environment as it
 * is read (one locked copy serves the rest of the run); hsm/ has turned
 * core dumps off before it asks, and no message ever contains a PIN. */
#include "cli.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <termios.h>
#include <unistd.h>

#include "signet/fileio.h"
#include "signet/hsm.h"

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
static int pin_from_file(const char *src, char *pin, size_t pin_max, struct sg_err *err)
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
	} else if (n >= pin_max) {
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
static int pin_from_tty(const char *label, char *pin, size_t pin_max, struct sg_err *err)
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
		if (n < pin_max - 1)
			pin[n++] = c;
	}
	OPENSSL_cleanse(&c, 1); /* may hold a PIN character */
	pin[n] = 0;
	if (restore)
		tcsetattr(fd, TCSAFLUSH, &old);
	close(fd);
	if (!ok || n == 0) {
		OPENSSL_cleanse(pin, pin_max);
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
static int pin_from_env(char *pin, size_t pin_max, struct sg_err *err)
{
	pthread_mutex_lock(&env_pin.lock);
	char *env = getenv("SIGNET_PIN");
	if (env && *env)
		take_env_pin(env);
	int rc = SG_FAIL;
	if (env_pin.len >= PIN_MAX || env_pin.len >= pin_max) {
		rc = sg_errf(err, SG_EINPUT, "SIGNET_PIN: too long");
	} else if (env_pin.len > 0) {
		memcpy(pin, env_pin.pin, env_pin.len + 1);
		rc = SG_OK;
	}
	pthread_mutex_unlock(&env_pin.lock);
	return rc;
}

int cli_pin(void *arg, const struct sg_pin_request *req, char *pin, size_t pin_max,
	    struct sg_err *err)
{
	(void)arg;
	if (req->pin_source)
		return pin_from_file(req->pin_source, pin, pin_max, err);
	int rc = pin_from_env(pin, pin_max, err);
	if (rc != SG_FAIL)
		return rc;
	if (!req->may_prompt)
		return SG_FAIL;
	if (!isatty(STDIN_FILENO))
		return sg_errf(err, SG_EENV,
			       "token '%s': needs a PIN: use pin-source=file:PATH in the URI or "
			       "SIGNET_PIN, or run on a terminal",
			       req->token_label);
	return pin_from_tty(req->token_label, pin, pin_max, err);
}

struct sg_hsm_ctx *cli_hsm_ctx_new(const char *module)
{
	/* --module, else the environment's: hsm/ reads no environment. */
	if (!module || !*module)
		module = getenv("SIGNET_PKCS11_MODULE");
	struct sg_hsm_ctx *ctx = sg_hsm_ctx_new(module);
	if (ctx)
		sg_hsm_ctx_set_pin_cb(ctx, cli_pin, NULL);
	return ctx;
}
