/* SoftHSM2 test fixture: see softhsm_fixture.h. */
#include "softhsm_fixture.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "signet/hsm.h"

#define DEFAULT_MODULE "/usr/lib/softhsm/libsofthsm2.so"

int sg_test_run(const char *const argv[], char *out, size_t out_len)
{
	int fds[2];
	if (pipe(fds) != 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, STDIN_FILENO);
		dup2(fds[1], STDOUT_FILENO);
		dup2(fds[1], STDERR_FILENO);
		close(fds[0]);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	/* Always drain the pipe, so a chatty child never blocks on it. */
	size_t used = 0;
	char buf[4096];
	ssize_t r;
	while ((r = read(fds[0], buf, sizeof(buf))) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		size_t room = out && out_len > used + 1 ? out_len - used - 1 : 0;
		size_t take = (size_t)r < room ? (size_t)r : room;
		if (take) {
			memcpy(out + used, buf, take);
			used += take;
		}
	}
	if (out && out_len)
		out[used] = 0;
	close(fds[0]);
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static int write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -1;
	size_t len = strlen(text);
	int rc = write(fd, text, len) == (ssize_t)len ? 0 : -1;
	if (close(fd) != 0)
		rc = -1;
	return rc;
}

static char *save_env(const char *name)
{
	const char *v = getenv(name);
	return v ? strdup(v) : NULL;
}

static void restore_env(const char *name, char **saved)
{
	if (*saved)
		setenv(name, *saved, 1);
	else
		unsetenv(name);
	free(*saved);
	*saved = NULL;
}

int sg_test_softhsm_add_token(const struct sg_test_softhsm *t, const char *label,
			      const char *so_pin, const char *pin)
{
	const char *argv[] = { "softhsm2-util", "--init-token", "--free", "--label", label,
			       "--so-pin", so_pin, "--pin", pin, NULL };
	char out[1024];
	int st = sg_test_run(argv, out, sizeof(out));
	if (st != 0) {
		fprintf(stderr, "softhsm fixture: init token '%s' in %s failed (%d): %s\n", label,
			t->dir, st, out);
		return -1;
	}
	return 0;
}

static int setup_files(struct sg_test_softhsm *t)
{
	char tokens[SG_TEST_PATH_MAX + 16], conf[2 * SG_TEST_PATH_MAX];
	snprintf(tokens, sizeof(tokens), "%s/tokens", t->dir);
	snprintf(conf, sizeof(conf),
		 "directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n"
		 "slots.removable = false\n",
		 tokens);
	char pin_line[sizeof(t->pin) + 1];
	snprintf(pin_line, sizeof(pin_line), "%s\n", t->pin);
	if (mkdir(tokens, 0700) != 0 || write_file(t->conf, conf, 0600) != 0 ||
	    write_file(t->pin_file, pin_line, 0600) != 0) {
		fprintf(stderr, "softhsm fixture: cannot write in %s: %s\n", t->dir,
			strerror(errno));
		return -1;
	}
	return 0;
}

/* dir/name into out (SG_TEST_PATH_MAX bytes); -1 if it does not fit. */
static int path_in(char *out, const char *dir, const char *name)
{
	int n = snprintf(out, SG_TEST_PATH_MAX, "%s/%s", dir, name);
	return n < 0 || n >= SG_TEST_PATH_MAX ? -1 : 0;
}

int sg_test_softhsm_setup(struct sg_test_softhsm *t, const char *label)
{
	memset(t, 0, sizeof(*t));
	const char *tmp = getenv("TMPDIR");
	snprintf(t->dir, sizeof(t->dir), "%s/signet-softhsm-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(t->dir)) {
		fprintf(stderr, "softhsm fixture: mkdtemp %s: %s\n", t->dir, strerror(errno));
		t->dir[0] = 0;
		return -1;
	}
	const char *mod = getenv("SIGNET_TEST_SOFTHSM_MODULE");
	snprintf(t->module, sizeof(t->module), "%s", mod && *mod ? mod : DEFAULT_MODULE);
	if (path_in(t->conf, t->dir, "softhsm2.conf") || path_in(t->pin_file, t->dir, "pin")) {
		fprintf(stderr, "softhsm fixture: temp dir name too long: %s\n", t->dir);
		nftw(t->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
		return -1;
	}
	snprintf(t->pin, sizeof(t->pin), "%s", "271828");
	snprintf(t->so_pin, sizeof(t->so_pin), "%s", "31415926");
	snprintf(t->label, sizeof(t->label), "%s", label);
	t->saved_conf = save_env("SOFTHSM2_CONF");
	t->saved_module = save_env("SIGNET_PKCS11_MODULE");
	setenv("SOFTHSM2_CONF", t->conf, 1);
	setenv("SIGNET_PKCS11_MODULE", t->module, 1);
	if (access(t->module, R_OK) != 0) {
		fprintf(stderr, "softhsm fixture: no module at %s\n", t->module);
		sg_test_softhsm_teardown(t);
		return -1;
	}
	if (setup_files(t) != 0 || sg_test_softhsm_add_token(t, label, t->so_pin, t->pin) != 0) {
		sg_test_softhsm_teardown(t);
		return -1;
	}
	return 0;
}

void sg_test_softhsm_teardown(struct sg_test_softhsm *t)
{
	if (t->dir[0])
		nftw(t->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	t->dir[0] = 0;
	if (t->saved_conf || getenv("SOFTHSM2_CONF"))
		restore_env("SOFTHSM2_CONF", &t->saved_conf);
	if (t->saved_module || getenv("SIGNET_PKCS11_MODULE"))
		restore_env("SIGNET_PKCS11_MODULE", &t->saved_module);
}

/* Appends s percent-encoded (RFC 3986 unreserved, plus '/' and ':' which
 * RFC 7512 allows in values and which keep paths readable). */
static void put_encoded(char *buf, size_t n, size_t *used, const char *s)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				 "0123456789-._~/:";
	for (; *s; s++) {
		int w = strchr(ok, *s) ? snprintf(buf + *used, n - *used, "%c", *s)
				       : snprintf(buf + *used, n - *used, "%%%02X", (unsigned char)*s);
		if (w < 0 || (size_t)w >= n - *used)
			abort();
		*used += (size_t)w;
	}
}

static void put_raw(char *buf, size_t n, size_t *used, const char *s)
{
	size_t len = strlen(s);
	if (len >= n - *used)
		abort();
	memcpy(buf + *used, s, len + 1);
	*used += len;
}

char *sg_test_softhsm_uri(const struct sg_test_softhsm *t, const char *object, char *buf,
			  size_t n)
{
	size_t used = 0;
	if (n == 0)
		abort();
	buf[0] = 0;
	put_raw(buf, n, &used, "pkcs11:token=");
	put_encoded(buf, n, &used, t->label);
	if (object) {
		put_raw(buf, n, &used, ";object=");
		put_encoded(buf, n, &used, object);
	}
	put_raw(buf, n, &used, ";pin-source=file:");
	put_encoded(buf, n, &used, t->pin_file);
	return buf;
}

struct sg_hsm_ctx *sg_test_softhsm_ctx(const struct sg_test_softhsm *t)
{
	struct sg_hsm_ctx *ctx = sg_hsm_ctx_new(t->module);
	struct sg_err err;
	if (ctx && sg_hsm_ctx_set_pin(ctx, t->pin, &err) != SG_OK) {
		sg_hsm_ctx_free(ctx);
		return NULL;
	}
	return ctx;
}

struct sg_hsm_key *sg_test_softhsm_key(const struct sg_test_softhsm *t, struct sg_hsm_ctx *ctx,
				       const char *object, enum sg_key_type type)
{
	char uri[1024];
	struct sg_err err = { 0 };
	struct sg_hsm_key *k = NULL;
	sg_test_softhsm_uri(t, object, uri, sizeof(uri));
	if (sg_hsm_keygen(ctx, uri, type, &err) || sg_hsm_key_open(ctx, uri, &k, &err))
		fprintf(stderr, "set-up: %s: %s\n", object, err.msg);
	return k;
}
