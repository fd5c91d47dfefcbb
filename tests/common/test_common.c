/* common/: numbers, the clock, reading inputs, atomic outputs. Built twice:
 * test_common uses unnamed temps (O_TMPFILE), test_common_named forces the
 * named fallback (SG_ATOMIC_TEST_NAMED) on the same file system. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <dirent.h>

#include "signet/atomic_file.h"
#include "signet/fileio.h"
#include "signet/num.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/signet-common-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *at(const char *name)
{
	static char path[4][256];
	static int i;
	i = (i + 1) % 4;
	snprintf(path[i], sizeof(path[i]), "%s/%s", dir, name);
	return path[i];
}

/* Entries of dir, "." and ".." aside. */
static int entries(void)
{
	DIR *d = opendir(dir);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

static void put(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	chmod(path, mode);
}

static void assert_content(const char *path, const char *text)
{
	uint8_t *buf;
	size_t len;
	struct sg_err err;
	assert_int_equal(sg_read_file(path, 1 << 20, &buf, &len, &err), SG_OK);
	assert_int_equal(len, strlen(text));
	assert_memory_equal(buf, text, len);
	free(buf);
}

/* ---- numbers */

static void test_parse_u64(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		unsigned flags;
		uint64_t max;
		int ok;
		uint64_t v;
	} cases[] = {
		{ "0", 0, 10, 1, 0 },
		{ "10", 0, 10, 1, 10 },
		{ "11", 0, 10, 0, 0 },
		{ "010", 0, 100, 0, 0 },    /* octal to C, decimal to people */
		{ "09", 0, 100, 0, 0 },
		{ "00", 0, 100, 0, 0 },
		{ "", 0, 100, 0, 0 },
		{ " 1", 0, 100, 0, 0 },
		{ "1 ", 0, 100, 0, 0 },
		{ "\t-1", 0, UINT64_MAX, 0, 0 },
		{ "-1", 0, UINT64_MAX, 0, 0 },
		{ "+1", 0, UINT64_MAX, 0, 0 },
		{ "1e3", 0, UINT64_MAX, 0, 0 },
		{ "0x10", 0, UINT64_MAX, 0, 0 }, /* hex only where allowed */
		{ "0x10", SG_NUM_HEX, UINT64_MAX, 1, 16 },
		{ "0XfF", SG_NUM_HEX, UINT64_MAX, 1, 255 },
		{ "0x", SG_NUM_HEX, UINT64_MAX, 0, 0 },
		{ "0x-1", SG_NUM_HEX, UINT64_MAX, 0, 0 },
		{ "0x 1", SG_NUM_HEX, UINT64_MAX, 0, 0 },
		{ "0xg", SG_NUM_HEX, UINT64_MAX, 0, 0 },
		{ "ff", SG_NUM_HEX, UINT64_MAX, 0, 0 },
		{ "18446744073709551615", 0, UINT64_MAX, 1, UINT64_MAX },
		{ "18446744073709551616", 0, UINT64_MAX, 0, 0 },
		{ "99999999999999999999", 0, UINT64_MAX, 0, 0 },
		{ "0xffffffffffffffff", SG_NUM_HEX, UINT64_MAX, 1, UINT64_MAX },
		{ "0x10000000000000000", SG_NUM_HEX, UINT64_MAX, 0, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 12345;
		int r = sg_parse_u64(cases[i].s, cases[i].flags, cases[i].max, &v);
		if ((r == 0) != cases[i].ok || (r == 0 && v != cases[i].v) || (r != 0 && v != 12345))
			fail_msg("sg_parse_u64(\"%s\", %u): %d, %llu", cases[i].s, cases[i].flags, r,
				 (unsigned long long)v);
	}
}

static void test_now(void **state)
{
	(void)state;
	uint64_t t;
	struct sg_err err;
	setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
	assert_int_equal(sg_now(&t, &err), SG_OK);
	assert_int_equal(t, 1700000000);
	static const char *const bad[] = { "0x10", "010", "-1", "1.5", "253402300800", "now" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv("SOURCE_DATE_EPOCH", bad[i], 1);
		assert_int_equal(sg_now(&t, &err), SG_EINPUT);
		assert_non_null(strstr(err.msg, "SOURCE_DATE_EPOCH"));
	}
	setenv("SOURCE_DATE_EPOCH", "", 1); /* empty: the clock */
	assert_int_equal(sg_now(&t, &err), SG_OK);
	assert_true(t > 1700000000);
	unsetenv("SOURCE_DATE_EPOCH");
}

/* ---- reading */

static void test_read_refuses_fifo_without_blocking(void **state)
{
	(void)state;
	assert_int_equal(mkfifo(at("fifo"), 0600), 0);
	uint8_t *buf;
	size_t len;
	struct sg_err err;
	alarm(10); /* a blocking open would hang here: fail loudly instead */
	assert_int_equal(sg_read_file(at("fifo"), 100, &buf, &len, &err), SG_EINPUT);
	assert_non_null(strstr(err.msg, "not a regular file"));
	int fd;
	uint64_t size;
	assert_int_equal(sg_open_regular(at("fifo"), &fd, &size, &err), SG_EINPUT);
	assert_int_equal(sg_read_file(dir, 100, &buf, &len, &err), SG_EINPUT);
	alarm(0);
	unlink(at("fifo"));
}

static void test_read_private(void **state)
{
	(void)state;
	uint8_t *buf;
	size_t len;
	struct sg_err err;
	put(at("pin"), "1234\n", 0600);
	assert_int_equal(sg_read_file_ex(at("pin"), 100, SG_READ_PRIVATE, &buf, &len, &err), SG_OK);
	free(buf);
	static const mode_t open_modes[] = { 0640, 0604, 0620, 0602, 0644 };
	for (size_t i = 0; i < sizeof(open_modes) / sizeof(open_modes[0]); i++) {
		chmod(at("pin"), open_modes[i]);
		assert_int_equal(sg_read_file_ex(at("pin"), 100, SG_READ_PRIVATE, &buf, &len, &err),
				 SG_EENV);
		assert_non_null(strstr(err.msg, "chmod 600"));
		assert_null(strstr(err.msg, "1234"));
	}
	/* Without the flag the mode does not matter; the size limit does. */
	assert_int_equal(sg_read_file(at("pin"), 100, &buf, &len, &err), SG_OK);
	free(buf);
	assert_int_equal(sg_read_file(at("pin"), 4, &buf, &len, &err), SG_EINPUT);
	unlink(at("pin"));
}

/* ---- atomic outputs */

static void test_commit_and_abort(void **state)
{
	(void)state;
	struct sg_atomic_file f;
	struct sg_err err;
	assert_int_equal(sg_atomic_open(&f, at("out"), &err), SG_OK);
	assert_int_equal(sg_atomic_write(&f, "hello", 5, &err), SG_OK);
	assert_int_equal(access(at("out"), F_OK), -1); /* nothing before commit */
	assert_int_equal(sg_atomic_commit(&f, &err), SG_OK);
	assert_content(at("out"), "hello");
	assert_int_equal(entries(), 1);

	assert_int_equal(sg_atomic_open(&f, at("out"), &err), SG_OK);
	assert_int_equal(sg_atomic_write(&f, "other", 5, &err), SG_OK);
	sg_atomic_abort(&f);
	sg_atomic_abort(&f); /* twice is harmless */
	assert_content(at("out"), "hello");
	assert_int_equal(entries(), 1);
	unlink(at("out"));
}

/* A name that cannot be replaced (a directory is there): the finish
 * fails naming it, the temp is gone, and what was there stays. */
static void test_cannot_put_into_place(void **state)
{
	(void)state;
	struct sg_atomic_file f;
	struct sg_err err;
	assert_int_equal(mkdir(at("taken"), 0755), 0);
	put(at("taken/inside"), "kept", 0644);
	assert_int_equal(sg_atomic_open(&f, at("taken"), &err), SG_OK);
	assert_int_equal(sg_atomic_write(&f, "new", 3, &err), SG_OK);
	assert_int_equal(sg_atomic_finish(&f, SG_ATOMIC_NO_DIRSYNC, &err), SG_EENV);
	assert_non_null(strstr(err.msg, "cannot put into place"));
	assert_false(f.live);
	assert_content(at("taken/inside"), "kept");
	assert_int_equal(entries(), 1); /* no temp left */
	unlink(at("taken/inside"));
	rmdir(at("taken"));
}

/* More atomic files at once than the signal-cleanup table has slots. */
static void test_many_at_once(void **state)
{
	(void)state;
	enum { N = 300 };
	static struct sg_atomic_file f[N];
	struct sg_err err;
	char name[32], text[32];
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "many%d", i);
		assert_int_equal(sg_atomic_open(&f[i], at(name), &err), SG_OK);
		snprintf(text, sizeof(text), "content %d", i);
		assert_int_equal(sg_atomic_write(&f[i], text, strlen(text), &err), SG_OK);
	}
	for (int i = N - 1; i >= 0; i--)
		assert_int_equal(sg_atomic_finish(&f[i], SG_ATOMIC_NO_DIRSYNC, &err), SG_OK);
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "many%d", i);
		snprintf(text, sizeof(text), "content %d", i);
		assert_content(at(name), text);
		unlink(at(name));
	}
	assert_int_equal(entries(), 0);
}

static void test_modes(void **state)
{
	(void)state;
	struct sg_err err;
	mode_t old = umask(027);
	assert_int_equal(sg_write_file_atomic(at("new"), "x", 1, &err), SG_OK);
	struct stat st;
	assert_int_equal(stat(at("new"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	put(at("kept"), "y", 0604);
	assert_int_equal(sg_write_file_atomic(at("kept"), "z", 1, &err), SG_OK);
	assert_int_equal(stat(at("kept"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0604);
	umask(old);
	unlink(at("new"));
	unlink(at("kept"));
}

/* A named temp is removed by the cleanup a signal handler calls; an
 * unnamed one has nothing to remove. Either way nothing is left. */
static void test_signal_cleanup(void **state)
{
	(void)state;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sg_atomic_file f;
		struct sg_err err;
		if (sg_atomic_open(&f, at("sig"), &err) != SG_OK)
			_exit(1);
		sg_atomic_signal_cleanup();
		_exit(0); /* as a handler would end the process */
	}
	int status;
	waitpid(pid, &status, 0);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(entries(), 0);
}

/* Temps of processes that are gone (kill -9) are swept by the next open in
 * the directory; the caller's own, live processes' and foreign files stay. */
static void test_sweep(void **state)
{
	(void)state;
	pid_t dead = fork();
	if (dead == 0)
		_exit(0);
	waitpid(dead, NULL, 0);
	char name[128];
	snprintf(name, sizeof(name), ".x.signet-tmp-%ld-abc123", (long)dead);
	put(at(name), "stale", 0644);
	char live[128];
	snprintf(live, sizeof(live), ".x.signet-tmp-%ld-abc123", (long)getpid());
	put(at(live), "live", 0644);
	put(at(".x.tmp-1-abc123"), "foreign", 0644);
	char wrong[128];
	snprintf(wrong, sizeof(wrong), ".x.signet-tmp-%ld-abc", (long)dead); /* not our shape */
	put(at(wrong), "foreign", 0644);
	/* The next run: a fresh process (this one swept dir already). */
	pid_t run = fork();
	if (run == 0) {
		execl("/proc/self/exe", "test_common", "--write", at("x"), (char *)NULL);
		_exit(127);
	}
	int status;
	waitpid(run, &status, 0);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(access(at(name), F_OK), -1);
	assert_int_equal(access(at(live), F_OK), 0);
	assert_int_equal(access(at(".x.tmp-1-abc123"), F_OK), 0);
	assert_int_equal(access(at(wrong), F_OK), 0);
	unlink(at(live));
	unlink(at(".x.tmp-1-abc123"));
	unlink(at(wrong));
	unlink(at("x"));
}

static void test_bad_paths(void **state)
{
	(void)state;
	struct sg_atomic_file f;
	struct sg_err err;
	assert_int_equal(sg_atomic_open(&f, "/tmp/", &err), SG_EINPUT);
	assert_int_equal(sg_atomic_open(&f, at("nodir/out"), &err), SG_EENV);
	assert_non_null(strstr(err.msg, "cannot create"));
	assert_int_equal(sg_atomic_finish(&f, 0, &err), SG_EENV); /* never opened */
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--write")) { /* a run of its own, for test_sweep */
		struct sg_err err;
		return sg_write_file_atomic(argv[2], "x", 1, &err);
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_u64),
		cmocka_unit_test(test_now),
		cmocka_unit_test(test_read_refuses_fifo_without_blocking),
		cmocka_unit_test(test_read_private),
		cmocka_unit_test(test_commit_and_abort),
		cmocka_unit_test(test_cannot_put_into_place),
		cmocka_unit_test(test_many_at_once),
		cmocka_unit_test(test_modes),
		cmocka_unit_test(test_signal_cleanup),
		cmocka_unit_test(test_sweep),
		cmocka_unit_test(test_bad_paths),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
