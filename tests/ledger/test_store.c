/* ledger/store.c on real SQLite files in a temp dir: create/open/append/read
 * back, proofs against a tree built from scratch in memory, checkpoints,
 * two processes appending to one file, kill -9 of an appender, tampering
 * found by sg_ledger_verify_tree at the right index, and failed appends (an
 * encoder's error, a full disk) that keep nothing. */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "signet/ledger.h"
#include "signet/merkle.h"

#define HLEN SG_MERKLE_HASH_LEN
#define ORIGIN "example.com/signet-test"

typedef uint8_t hash_t[HLEN];

static char dir[64];
static char path[128];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/signet-ledger-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/audit.ledger", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- records: their bytes are a function of their index and a tag ---- */

struct enc {
	const char *tag;
	long fail_at;  /* the batch position whose encoding fails, or -1 */
	size_t pad;    /* extra bytes per record */
	size_t calls;
};

static char *record_text(uint64_t index, const char *tag, size_t pad)
{
	char *s = malloc(96 + pad);
	assert_non_null(s);
	int n = snprintf(s, 96, "{\"index\":%" PRIu64 ",\"tag\":\"%s\",\"pad\":\"", index, tag);
	memset(s + n, 'x', pad);
	strcpy(s + n + pad, "\"}");
	return s;
}

static int encode(void *arg, uint64_t index, uint8_t **leaf, size_t *len, struct sg_err *err)
{
	struct enc *e = arg;
	if (e->fail_at >= 0 && e->calls == (size_t)e->fail_at)
		return sg_errf(err, SG_EINPUT, "record %" PRIu64 ": refused by the encoder", index);
	e->calls++;
	char *s = record_text(index, e->tag, e->pad);
	*leaf = (uint8_t *)s;
	*len = strlen(s);
	return SG_OK;
}

static uint64_t append(struct sg_ledger *l, size_t count, const char *tag)
{
	struct enc e = {.tag = tag, .fail_at = -1};
	struct sg_err err = {0};
	uint64_t first = UINT64_MAX;
	int rc = sg_ledger_append(l, count, encode, &e, &first, &err);
	if (rc)
		fail_msg("append: %s", err.msg);
	assert_int_equal(e.calls, count);
	return first;
}

static struct sg_ledger *open_ledger(unsigned flags)
{
	struct sg_ledger *l = NULL;
	struct sg_err err = {0};
	if (sg_ledger_open(path, flags, &l, &err))
		fail_msg("open: %s", err.msg);
	return l;
}

static struct sg_ledger *new_ledger(void)
{
	struct sg_err err = {0};
	if (sg_ledger_create(path, ORIGIN, 1700000000, &err))
		fail_msg("create: %s", err.msg);
	return open_ledger(0);
}

static void assert_verifies(struct sg_ledger *l, uint64_t want_size)
{
	struct sg_err err = {0};
	uint64_t size = 0;
	if (sg_ledger_verify_tree(l, NULL, NULL, &size, &err))
		fail_msg("verify: %s", err.msg);
	assert_int_equal(size, want_size);
}

/* ---- a tree from scratch, in memory, from the records read back ---- */

struct mem_tree {
	hash_t *level[64];
	uint64_t count[64];
	struct sg_merkle_range range;
};

static int mem_put(void *arg, unsigned level, uint64_t index, const uint8_t hash[HLEN])
{
	struct mem_tree *t = arg;
	assert_int_equal(index, t->count[level]);
	t->level[level] = realloc(t->level[level], (index + 1) * HLEN);
	assert_non_null(t->level[level]);
	memcpy(t->level[level][index], hash, HLEN);
	t->count[level]++;
	return 0;
}

static int mem_get(void *arg, unsigned level, uint64_t index, uint8_t out[HLEN])
{
	struct mem_tree *t = arg;
	assert_true(index < t->count[level]);
	memcpy(out, t->level[level][index], HLEN);
	return 0;
}

static int mem_add(void *arg, uint64_t index, const uint8_t *leaf, size_t len)
{
	struct mem_tree *t = arg;
	hash_t h;
	assert_int_equal(index, t->range.size);
	sg_merkle_leaf_hash(leaf, len, h);
	return sg_merkle_range_append(&t->range, h, mem_put, t);
}

static void mem_free(struct mem_tree *t)
{
	for (int i = 0; i < 64; i++)
		free(t->level[i]);
}

/* ---- tests ---- */

static void test_create_open_append_read(void **state)
{
	(void)state;
	struct sg_err err = {0};
	struct sg_ledger *l = new_ledger();
	assert_string_equal(sg_ledger_origin(l), ORIGIN);
	assert_int_equal(sg_ledger_created(l), 1700000000);
	assert_int_equal(sg_ledger_create(path, ORIGIN, 0, &err), SG_EINPUT);
	assert_non_null(strstr(err.msg, "exists"));

	uint64_t size = 99;
	hash_t root, empty;
	assert_int_equal(sg_ledger_size(l, &size, root, &err), SG_OK);
	assert_int_equal(size, 0);
	struct mem_tree none = {.range.size = 0};
	sg_merkle_range_root(&none.range, empty);
	assert_memory_equal(root, empty, HLEN);

	assert_int_equal(append(l, 1, "one"), 0);
	assert_int_equal(append(l, 9, "batch"), 1);
	struct enc e = {.tag = "none", .fail_at = -1};
	uint64_t first = 0;
	assert_int_equal(sg_ledger_append(l, 0, encode, &e, &first, &err), SG_OK);
	assert_int_equal(first, 10);
	assert_int_equal(sg_ledger_size(l, &size, NULL, &err), SG_OK);
	assert_int_equal(size, 10);
	for (uint64_t i = 0; i < size; i++) {
		uint8_t *leaf;
		size_t len;
		assert_int_equal(sg_ledger_leaf(l, i, &leaf, &len, &err), SG_OK);
		char *want = record_text(i, i == 0 ? "one" : "batch", 0);
		assert_int_equal(len, strlen(want));
		assert_memory_equal(leaf, want, len);
		free(want);
		free(leaf);
	}
	uint8_t *leaf = (uint8_t *)"x";
	size_t len = 1;
	assert_int_equal(sg_ledger_leaf(l, 10, &leaf, &len, &err), SG_EINPUT);
	assert_null(leaf);
	assert_string_equal(err.param, "index");
	assert_verifies(l, 10);
	sg_ledger_close(l);

	/* read-only: reads, no writes */
	l = open_ledger(SG_LEDGER_READONLY);
	assert_int_equal(sg_ledger_size(l, &size, NULL, &err), SG_OK);
	assert_int_equal(size, 10);
	assert_int_equal(sg_ledger_append(l, 1, encode, &e, NULL, &err), SG_EINPUT);
	assert_non_null(strstr(err.msg, "read-only"));
	assert_verifies(l, 10);
	sg_ledger_close(l);
}

static void test_create_and_open_refusals(void **state)
{
	(void)state;
	struct sg_err err = {0};
	struct sg_ledger *l = (struct sg_ledger *)&err;
	char origin[300];
	const char *bad[] = {"", "a b", "+lead", "mid+dle", "tab\there", "del\x7f", "caf\xc3\xa9"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err.param = NULL;
		assert_int_equal(sg_ledger_create(path, bad[i], 0, &err), SG_EINPUT);
		assert_string_equal(err.param, "origin");
		assert_int_equal(access(path, F_OK), -1);
	}
	memset(origin, 'a', 256);
	origin[256] = 0;
	assert_int_equal(sg_ledger_create(path, origin, 0, &err), SG_EINPUT);
	origin[255] = 0;
	assert_int_equal(sg_ledger_create(path, origin, 0, &err), SG_OK);
	unlink(path);

	assert_int_equal(sg_ledger_open(path, 0, &l, &err), SG_EINPUT);
	assert_null(l);
	/* a text file, and an SQLite database that is not a ledger */
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("not a database, not at all, no: just some text to fill a page\n", f);
	fclose(f);
	assert_int_equal(sg_ledger_open(path, 0, &l, &err), SG_EINPUT);
	assert_non_null(strstr(err.msg, "not a signet ledger"));
	unlink(path);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE t (x)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(sg_ledger_open(path, SG_LEDGER_READONLY, &l, &err), SG_EINPUT);
	assert_non_null(strstr(err.msg, "not a signet ledger"));
	assert_int_equal(sg_ledger_create(path, ORIGIN, 0, &err), SG_EINPUT);
}

#define PROOF_MAX 70

/* Every root, inclusion and consistency proof of every size up to 70 from
 * the store equals the one from a tree built from scratch, and verifies. */
static void test_proofs_match_scratch_tree(void **state)
{
	(void)state;
	struct sg_err err = {0};
	struct sg_ledger *l = new_ledger();
	for (size_t n = 1, total = 0; total < PROOF_MAX; total += n, n = n % 7 + 1)
		append(l, total + n > PROOF_MAX ? PROOF_MAX - total : n, "proof");
	struct mem_tree t = {.range.size = 0};
	assert_int_equal(sg_ledger_records(l, 0, UINT64_MAX, mem_add, &t, &err), SG_OK);
	assert_int_equal(t.range.size, PROOF_MAX);
	hash_t roots[PROOF_MAX + 1], got[SG_MERKLE_MAX_PATH], want[SG_MERKLE_MAX_PATH], h;
	for (uint64_t n = 0; n <= PROOF_MAX; n++) {
		assert_int_equal(sg_ledger_root(l, n, roots[n], &err), SG_OK);
		assert_int_equal(sg_merkle_root(n, mem_get, &t, h), SG_OK);
		assert_memory_equal(roots[n], h, HLEN);
	}
	for (uint64_t n = 1; n <= PROOF_MAX; n++) {
		size_t got_len, want_len;
		for (uint64_t i = 0; i < n; i++) {
			assert_int_equal(sg_ledger_inclusion(l, i, n, got, &got_len, &err), SG_OK);
			assert_int_equal(sg_merkle_inclusion(i, n, mem_get, &t, want, &want_len), SG_OK);
			assert_int_equal(got_len, want_len);
			assert_memory_equal(got, want, got_len * HLEN);
			assert_int_equal(sg_merkle_verify_inclusion(i, n, t.level[0][i],
								    (const uint8_t(*)[HLEN])got,
								    got_len, roots[n]),
					 SG_OK);
		}
		for (uint64_t m = 0; m <= n; m++) {
			assert_int_equal(sg_ledger_consistency(l, m, n, got, &got_len, &err), SG_OK);
			assert_int_equal(sg_merkle_consistency(m, n, mem_get, &t, want, &want_len),
					 SG_OK);
			assert_int_equal(got_len, want_len);
			assert_memory_equal(got, want, got_len * HLEN);
			assert_int_equal(sg_merkle_verify_consistency(m, n, roots[m], roots[n],
								      (const uint8_t(*)[HLEN])got,
								      got_len),
					 SG_OK);
		}
	}
	size_t len;
	assert_int_equal(sg_ledger_inclusion(l, 3, PROOF_MAX + 1, got, &len, &err), SG_EINPUT);
	assert_string_equal(err.param, "size");
	assert_int_equal(sg_ledger_inclusion(l, 5, 5, got, &len, &err), SG_EINPUT);
	assert_string_equal(err.param, "index");
	assert_int_equal(sg_ledger_consistency(l, 3, PROOF_MAX + 1, got, &len, &err), SG_EINPUT);
	assert_int_equal(sg_ledger_consistency(l, 6, 5, got, &len, &err), SG_EINPUT);
	assert_int_equal(sg_ledger_root(l, PROOF_MAX + 1, h, &err), SG_EINPUT);
	mem_free(&t);
	sg_ledger_close(l);
}

struct cp_seen {
	uint64_t sizes[8];
	size_t n;
};

static int cp_collect(void *arg, uint64_t size, const uint8_t root[HLEN], const char *note)
{
	struct cp_seen *s = arg;
	(void)root;
	assert_non_null(note);
	s->sizes[s->n++] = size;
	return 0;
}

static void test_checkpoints(void **state)
{
	(void)state;
	struct sg_err err = {0};
	struct sg_ledger *l = new_ledger();
	hash_t r0, r5, r7, got;
	uint64_t size;
	char *note = NULL;
	assert_int_equal(sg_ledger_checkpoint_get(l, SG_LEDGER_LATEST, &size, got, &note, &err),
			 SG_FAIL);
	assert_int_equal(sg_ledger_root(l, 0, r0, &err), SG_OK);
	assert_int_equal(sg_ledger_checkpoint_put(l, 0, r0, "note 0\n", &err), SG_OK);
	append(l, 7, "cp");
	assert_int_equal(sg_ledger_root(l, 5, r5, &err), SG_OK);
	assert_int_equal(sg_ledger_root(l, 7, r7, &err), SG_OK);
	assert_int_equal(sg_ledger_checkpoint_put(l, 7, r7, "note 7\n", &err), SG_OK);
	assert_int_equal(sg_ledger_checkpoint_put(l, 5, r5, "note 5\n", &err), SG_OK);
	assert_int_equal(sg_ledger_checkpoint_put(l, 5, r5, "note 5\n", &err), SG_OK);
	assert_int_equal(sg_ledger_checkpoint_put(l, 5, r5, "note 5'\n", &err), SG_EINPUT);
	assert_int_equal(sg_ledger_checkpoint_put(l, 6, r5, "note 6\n", &err), SG_FAIL);
	assert_int_equal(sg_ledger_checkpoint_put(l, 8, r7, "note 8\n", &err), SG_EINPUT);
	assert_string_equal(err.param, "size");

	assert_int_equal(sg_ledger_checkpoint_get(l, SG_LEDGER_LATEST, &size, got, &note, &err),
			 SG_OK);
	assert_int_equal(size, 7);
	assert_memory_equal(got, r7, HLEN);
	assert_string_equal(note, "note 7\n");
	free(note);
	assert_int_equal(sg_ledger_checkpoint_get(l, 5, &size, got, &note, &err), SG_OK);
	assert_int_equal(size, 5);
	assert_memory_equal(got, r5, HLEN);
	assert_string_equal(note, "note 5\n");
	free(note);
	assert_int_equal(sg_ledger_checkpoint_get(l, 6, NULL, NULL, NULL, &err), SG_FAIL);
	struct cp_seen seen = {{0}, 0};
	assert_int_equal(sg_ledger_checkpoints(l, cp_collect, &seen, &err), SG_OK);
	assert_int_equal(seen.n, 3);
	assert_int_equal(seen.sizes[0], 0);
	assert_int_equal(seen.sizes[1], 5);
	assert_int_equal(seen.sizes[2], 7);
	assert_verifies(l, 7);
	sg_ledger_close(l);
	l = open_ledger(SG_LEDGER_READONLY);
	assert_int_equal(sg_ledger_checkpoint_put(l, 7, r7, "note 7\n", &err), SG_EINPUT);
	sg_ledger_close(l);
}

/* ---- several processes ---- */

#define PER_CHILD 500

static void child_appends(const char *tag)
{
	struct sg_ledger *l = NULL;
	struct sg_err err = {0};
	if (sg_ledger_open(path, 0, &l, &err)) {
		fprintf(stderr, "child %s: %s\n", tag, err.msg);
		_exit(1);
	}
	for (int i = 0; i < PER_CHILD; i++) {
		struct enc e = {.tag = tag, .fail_at = -1};
		if (sg_ledger_append(l, 1, encode, &e, NULL, &err)) {
			fprintf(stderr, "child %s, record %d: %s\n", tag, i, err.msg);
			_exit(1);
		}
	}
	sg_ledger_close(l);
	_exit(0);
}

struct tag_count {
	unsigned a, b;
};

static int count_tags(void *arg, uint64_t index, const uint8_t *leaf, size_t len)
{
	struct tag_count *c = arg;
	char *a = record_text(index, "A", 0), *b = record_text(index, "B", 0);
	if (len == strlen(a) && !memcmp(leaf, a, len))
		c->a++;
	else if (len == strlen(b) && !memcmp(leaf, b, len))
		c->b++;
	free(a);
	free(b);
	return 0;
}

/* The ledger holds `each` records tagged A and as many tagged B, gap-free,
 * and verifies. */
static void assert_each_tag(unsigned each)
{
	struct sg_ledger *l = open_ledger(SG_LEDGER_READONLY);
	struct sg_err err = {0};
	struct tag_count c = {0, 0};
	assert_int_equal(sg_ledger_records(l, 0, UINT64_MAX, count_tags, &c, &err), SG_OK);
	assert_int_equal(c.a, each);
	assert_int_equal(c.b, each);
	assert_verifies(l, 2 * (uint64_t)each);
	sg_ledger_close(l);
}

static void test_two_processes_append(void **state)
{
	(void)state;
	sg_ledger_close(new_ledger());
	pid_t pids[2];
	const char *tags[2] = {"A", "B"};
	for (int i = 0; i < 2; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0)
			child_appends(tags[i]);
	}
	for (int i = 0; i < 2; i++) {
		int status;
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	assert_each_tag(PER_CHILD);
}

/* Threads of one process: a handle each, they take turns like processes. */
#define PER_THREAD 200

static void *thread_appends(void *tag)
{
	struct sg_ledger *l = NULL;
	struct sg_err err = {0};
	if (sg_ledger_open(path, 0, &l, &err))
		return err.msg[0] ? strdup(err.msg) : strdup("open failed");
	char *fault = NULL;
	for (int i = 0; i < PER_THREAD && !fault; i++) {
		struct enc e = {.tag = tag, .fail_at = -1};
		if (sg_ledger_append(l, 1, encode, &e, NULL, &err))
			fault = strdup(err.msg);
	}
	sg_ledger_close(l);
	return fault;
}

static void test_two_threads_append(void **state)
{
	(void)state;
	sg_ledger_close(new_ledger());
	pthread_t t[2];
	char tags[2][2] = {"A", "B"};
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, thread_appends, tags[i]), 0);
	for (int i = 0; i < 2; i++) {
		void *fault;
		assert_int_equal(pthread_join(t[i], &fault), 0);
		if (fault)
			fail_msg("thread %s: %s", tags[i], (char *)fault);
	}
	assert_each_tag(PER_THREAD);
}

/* A process that holds the file locked (here: SQLite's exclusive locking
 * mode) makes open and append wait for it, not fail. */
static void test_waits_for_a_lock_holder(void **state)
{
	(void)state;
	sg_ledger_close(new_ledger());
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		sqlite3 *db;
		if (sqlite3_open(path, &db) != SQLITE_OK ||
		    sqlite3_exec(db, "PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE;"
				     "UPDATE meta SET created = created;",
				 NULL, NULL, NULL) != SQLITE_OK ||
		    write(fds[1], "L", 1) != 1)
			_exit(1);
		usleep(300000);
		sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
		sqlite3_close(db);
		_exit(0);
	}
	char c;
	assert_int_equal(read(fds[0], &c, 1), 1);
	struct sg_ledger *l = open_ledger(0);
	assert_int_equal(append(l, 1, "after"), 0);
	sg_ledger_close(l);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(fds[0]);
	close(fds[1]);
}

/* The child appends records one by one, or in threes, and writes the last
 * index of each append that returned to the pipe. */
static void child_appends_until_killed(int fd)
{
	struct sg_ledger *l = NULL;
	struct sg_err err = {0};
	if (sg_ledger_open(path, 0, &l, &err))
		_exit(1);
	for (unsigned k = 0;; k++) {
		struct enc e = {.tag = "k", .fail_at = -1};
		size_t count = k % 5 == 4 ? 3 : 1;
		uint64_t first;
		if (sg_ledger_append(l, count, encode, &e, &first, &err)) {
			fprintf(stderr, "appender: %s\n", err.msg);
			_exit(1);
		}
		uint64_t last = first + count - 1;
		if (write(fd, &last, sizeof(last)) != sizeof(last))
			_exit(1);
	}
}

#define KILL_ROUNDS 40

static void test_kill9_loses_no_acknowledged_record(void **state)
{
	(void)state;
	sg_ledger_close(new_ledger());
	uint64_t acked_total = 0;
	srand((unsigned)time(NULL));
	for (int round = 0; round < KILL_ROUNDS; round++) {
		int fds[2];
		assert_int_equal(pipe(fds), 0);
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(fds[0]);
			child_appends_until_killed(fds[1]);
		}
		close(fds[1]);
		/* 0..40 ms: sometimes while opening, mostly inside appends */
		usleep((useconds_t)(rand() % 40000));
		kill(pid, SIGKILL);
		int status;
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status));
		uint64_t last, max_acked = 0;
		int any = 0;
		while (read(fds[0], &last, sizeof(last)) == sizeof(last))
			max_acked = last, any = 1;
		close(fds[0]);

		struct sg_ledger *l = open_ledger(0);
		struct sg_err err = {0};
		uint64_t size;
		assert_int_equal(sg_ledger_size(l, &size, NULL, &err), SG_OK);
		if (any) {
			assert_true(size > max_acked);
			acked_total = max_acked + 1;
		}
		assert_true(size >= acked_total);
		for (uint64_t i = 0; i < size; i++) {
			uint8_t *leaf;
			size_t len;
			assert_int_equal(sg_ledger_leaf(l, i, &leaf, &len, &err), SG_OK);
			char *want = record_text(i, "k", 0);
			assert_int_equal(len, strlen(want));
			assert_memory_equal(leaf, want, len);
			free(want);
			free(leaf);
		}
		assert_verifies(l, size);
		sg_ledger_close(l);
	}
	/* the rounds did append, the kills did not all hit the open */
	assert_true(acked_total > KILL_ROUNDS);
}

/* ---- tampering ---- */

#define TAMPER_SIZE 64

struct faults {
	struct sg_ledger_fault f[16];
	size_t n;
};

static int collect_fault(void *arg, const struct sg_ledger_fault *f)
{
	struct faults *s = arg;
	if (s->n < 16)
		s->f[s->n++] = *f;
	return 0;
}

/* A fresh 64-record ledger with checkpoints at 10 and 64, changed by `sql`
 * run straight on the file; returns what verify_tree finds. */
static int tamper(const char *sql, struct faults *found, struct sg_err *err)
{
	unlink(path);
	struct sg_ledger *l = new_ledger();
	append(l, TAMPER_SIZE, "t");
	hash_t root;
	assert_int_equal(sg_ledger_root(l, 10, root, err), SG_OK);
	assert_int_equal(sg_ledger_checkpoint_put(l, 10, root, "cp 10\n", err), SG_OK);
	assert_int_equal(sg_ledger_root(l, TAMPER_SIZE, root, err), SG_OK);
	assert_int_equal(sg_ledger_checkpoint_put(l, TAMPER_SIZE, root, "cp 64\n", err), SG_OK);
	assert_verifies(l, TAMPER_SIZE);
	sg_ledger_close(l);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("tamper: %s: %s", sql, msg);
	sqlite3_close(db);
	memset(found, 0, sizeof(*found));
	l = open_ledger(SG_LEDGER_READONLY);
	int rc = sg_ledger_verify_tree(l, collect_fault, found, NULL, err);
	sg_ledger_close(l);
	return rc;
}

static void assert_fault(const struct sg_ledger_fault *f, enum sg_ledger_fault_kind kind,
			 uint64_t index)
{
	if (f->kind != kind || f->index != index)
		fail_msg("fault kind %d at %" PRIu64 " (%s), wanted kind %d at %" PRIu64, f->kind,
			 f->index, f->msg, kind, index);
}

static void test_verify_finds_tampering(void **state)
{
	(void)state;
	struct sg_err err = {0};
	struct faults s;

	/* a flipped byte in record 37: that record, nothing above it */
	assert_int_equal(tamper("UPDATE records SET leaf = CAST(replace(CAST(leaf AS TEXT), "
				"'\"t\"', '\"u\"') AS BLOB) WHERE idx = 37",
				&s, &err),
			 SG_FAIL);
	assert_int_equal(s.n, 1);
	assert_fault(&s.f[0], SG_LEDGER_LEAF_MISMATCH, 37);
	assert_non_null(strstr(err.msg, "record 37 "));

	/* a deleted record */
	assert_int_equal(tamper("DELETE FROM records WHERE idx = 37", &s, &err), SG_FAIL);
	assert_int_equal(s.n, 1);
	assert_fault(&s.f[0], SG_LEDGER_RECORD_MISSING, 37);
	assert_non_null(strstr(err.msg, "record 37 is missing"));

	/* a swapped pair */
	assert_int_equal(tamper("UPDATE records SET idx = 1000 WHERE idx = 20;"
				"UPDATE records SET idx = 20 WHERE idx = 45;"
				"UPDATE records SET idx = 45 WHERE idx = 1000;",
				&s, &err),
			 SG_FAIL);
	assert_int_equal(s.n, 2);
	assert_fault(&s.f[0], SG_LEDGER_LEAF_MISMATCH, 20);
	assert_fault(&s.f[1], SG_LEDGER_LEAF_MISMATCH, 45);
	assert_non_null(strstr(err.msg, "record 20 "));

	/* an altered subtree hash (leaves 16..23) */
	assert_int_equal(tamper("UPDATE nodes SET hash = zeroblob(32) WHERE level = 3 AND idx = 2",
				&s, &err),
			 SG_FAIL);
	assert_int_equal(s.n, 1);
	assert_fault(&s.f[0], SG_LEDGER_NODE_MISMATCH, 16);
	assert_int_equal(s.f[0].level, 3);
	assert_int_equal(s.f[0].node, 2);
	assert_non_null(strstr(err.msg, "records 16..23"));

	/* an altered leaf hash */
	assert_int_equal(tamper("UPDATE nodes SET hash = zeroblob(32) WHERE level = 0 AND idx = 50",
				&s, &err),
			 SG_FAIL);
	assert_fault(&s.f[0], SG_LEDGER_LEAF_MISMATCH, 50);

	/* a missing subtree hash (leaves 20..23) */
	assert_int_equal(tamper("DELETE FROM nodes WHERE level = 2 AND idx = 5", &s, &err), SG_FAIL);
	assert_int_equal(s.n, 1);
	assert_fault(&s.f[0], SG_LEDGER_NODE_MISSING, 20);

	/* a record and its leaf hash rewritten together: the smallest subtree
	 * above them no longer matches (records 36..37) */
	assert_int_equal(tamper("UPDATE records SET leaf = (SELECT leaf FROM records WHERE idx = 12)"
				" WHERE idx = 37;"
				"UPDATE nodes SET hash = (SELECT hash FROM nodes WHERE level = 0 "
				"AND idx = 12) WHERE level = 0 AND idx = 37;",
				&s, &err),
			 SG_FAIL);
	assert_int_equal(s.n, 1);
	assert_fault(&s.f[0], SG_LEDGER_NODE_MISMATCH, 36);

	/* the last record cut off: its hashes are left over, the checkpoint
	 * at 64 is for more records than there are */
	assert_int_equal(tamper("DELETE FROM records WHERE idx = 63", &s, &err), SG_FAIL);
	assert_int_equal(s.n, 2);
	assert_fault(&s.f[0], SG_LEDGER_NODE_EXTRA, 63);
	assert_fault(&s.f[1], SG_LEDGER_CHECKPOINT_BEYOND, 63);

	/* a checkpoint's root replaced */
	assert_int_equal(tamper("UPDATE checkpoints SET root = zeroblob(32) WHERE size = 10", &s,
				&err),
			 SG_FAIL);
	assert_int_equal(s.n, 1);
	assert_fault(&s.f[0], SG_LEDGER_CHECKPOINT_MISMATCH, 9);
	assert_int_equal(s.f[0].size, 10);

	/* and nothing touched: nothing found */
	assert_int_equal(tamper("SELECT 1", &s, &err), SG_OK);
	assert_int_equal(s.n, 0);
}

/* ---- failed appends keep nothing ---- */

static void assert_size(struct sg_ledger *l, uint64_t want)
{
	struct sg_err err = {0};
	uint64_t size;
	assert_int_equal(sg_ledger_size(l, &size, NULL, &err), SG_OK);
	assert_int_equal(size, want);
}

static void test_encoder_error_keeps_nothing(void **state)
{
	(void)state;
	struct sg_err err = {0};
	struct sg_ledger *l = new_ledger();
	append(l, 5, "ok");
	struct enc e = {.tag = "bad", .fail_at = 3};
	uint64_t first = 77;
	assert_int_equal(sg_ledger_append(l, 6, encode, &e, &first, &err), SG_EINPUT);
	assert_int_equal(first, 77);
	assert_non_null(strstr(err.msg, "record 8: refused by the encoder"));
	assert_size(l, 5);
	assert_verifies(l, 5);
	assert_int_equal(append(l, 2, "ok"), 5);
	assert_verifies(l, 7);
	sg_ledger_close(l);
}

static uint64_t file_size(const char *p)
{
	struct stat sb;
	return stat(p, &sb) == 0 ? (uint64_t)sb.st_size : 0;
}

/* In a forked child, where cmocka's asserts would unwind into a copy of
 * the test runner: a failed check exits 1 saying which. */
#define CHILD_CHECK(cond)                                                               \
	do {                                                                            \
		if (!(cond)) {                                                          \
			fprintf(stderr, "child: %s failed: %s\n", #cond, err.msg);      \
			_exit(1);                                                       \
		}                                                                       \
	} while (0)

/* In a child (the limit is per process): files may not grow past their
 * size plus 64 KiB, a 4 MiB append fails, nothing of it stays, and the
 * ledger takes appends again once the limit is lifted. */
static void full_disk_child(void)
{
	struct sg_ledger *l = NULL;
	struct sg_err err = {0};
	CHILD_CHECK(sg_ledger_open(path, 0, &l, &err) == SG_OK);
	char wal[160];
	snprintf(wal, sizeof(wal), "%s-wal", path);
	uint64_t big = file_size(path) > file_size(wal) ? file_size(path) : file_size(wal);
	struct rlimit lim, low;
	CHILD_CHECK(getrlimit(RLIMIT_FSIZE, &lim) == 0);
	low = (struct rlimit){.rlim_cur = big + 65536, .rlim_max = lim.rlim_max};
	signal(SIGXFSZ, SIG_IGN);
	CHILD_CHECK(setrlimit(RLIMIT_FSIZE, &low) == 0);
	struct enc e = {.tag = "big", .fail_at = -1, .pad = 4096};
	CHILD_CHECK(sg_ledger_append(l, 1024, encode, &e, NULL, &err) == SG_EENV);
	fprintf(stderr, "full disk: %s\n", err.msg);
	uint64_t size = 0, first = 0;
	CHILD_CHECK(sg_ledger_size(l, &size, NULL, &err) == SG_OK && size == 5);
	CHILD_CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0);
	e = (struct enc){.tag = "ok", .fail_at = -1};
	CHILD_CHECK(sg_ledger_append(l, 2, encode, &e, &first, &err) == SG_OK && first == 5);
	sg_ledger_close(l);
	_exit(0);
}

static void test_full_disk_keeps_nothing(void **state)
{
	(void)state;
	struct sg_ledger *l = new_ledger();
	append(l, 5, "ok");
	sg_ledger_close(l);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		full_disk_child();
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	l = open_ledger(0);
	assert_size(l, 7);
	assert_verifies(l, 7);
	sg_ledger_close(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_open_append_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_and_open_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_proofs_match_scratch_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_checkpoints, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_processes_append, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_threads_append, setup, teardown),
		cmocka_unit_test_setup_teardown(test_waits_for_a_lock_holder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kill9_loses_no_acknowledged_record, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_verify_finds_tampering, setup, teardown),
		cmocka_unit_test_setup_teardown(test_encoder_error_keeps_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_disk_keeps_nothing, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
