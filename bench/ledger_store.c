/* Ledger store throughput (bench/ledger.sh runs it; not a test: numbers
 * only). In DIR, on the file system the ledger would live on:
 *   - APPENDS records appended one by one, each durable, next to the
 *     baseline: one fsync'd SQLite INSERT per record into a plain table with
 *     the same pragmas (WAL, synchronous=FULL), the same bytes;
 *   - APPENDS records in batches of 1,000;
 *   - a TREE-record ledger (batches of 10,000) verified from scratch;
 *   - inclusion and consistency proofs against its full size, on average.
 * SHA256_PER_S (hashes of 64 bytes per second, from `openssl speed`) gives
 * the hashing floor of the verification.
 * Usage: bench_ledger_store DIR APPENDS TREE SHA256_PER_S */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "signet/ledger.h"

#define PROOFS 10000

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const struct sg_err *err)
{
	fprintf(stderr, "bench: %s: %s\n", what, err ? err->msg : "failed");
	exit(1);
}

/* A record of about the size of a real one (~200 bytes of JSON). */
static int record(uint64_t index, char *buf, size_t size)
{
	return snprintf(buf, size,
			"{\"digest\":\"%064" PRIx64 "\",\"format\":\"mcuboot\",\"index\":%" PRIu64
			",\"origin\":\"bench.example\",\"time\":\"2026-01-01T00:00:00Z\","
			"\"type\":\"release.signed\",\"version\":\"1.2.3\"}",
			index * 0x9e3779b97f4a7c15u, index);
}

static int encode(void *arg, uint64_t index, uint8_t **leaf, size_t *len, struct sg_err *err)
{
	(void)arg;
	char buf[512];
	int n = record(index, buf, sizeof(buf));
	if (!(*leaf = malloc((size_t)n)))
		return sg_errf(err, SG_EENV, "out of memory");
	memcpy(*leaf, buf, (size_t)n);
	*len = (size_t)n;
	return SG_OK;
}

static struct sg_ledger *fresh(const char *dir, const char *name)
{
	char path[4096];
	struct sg_err err = {0};
	struct sg_ledger *l;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (sg_ledger_create(path, "bench.example/ledger", 0, &err) ||
	    sg_ledger_open(path, 0, &l, &err))
		die(path, &err);
	return l;
}

/* Seconds for count records, batch at a time. */
static double append_all(struct sg_ledger *l, uint64_t count, size_t batch)
{
	struct sg_err err = {0};
	double t = now();
	for (uint64_t done = 0; done < count; done += batch) {
		size_t n = count - done < batch ? (size_t)(count - done) : batch;
		if (sg_ledger_append(l, n, encode, NULL, NULL, &err))
			die("append", &err);
	}
	return now() - t;
}

/* Seconds for count fsync'd single-row INSERTs, the floor of a durable
 * append. */
static double baseline(const char *dir, uint64_t count)
{
	char path[4096], buf[512];
	sqlite3 *db;
	sqlite3_stmt *st;
	snprintf(path, sizeof(path), "%s/baseline.db", dir);
	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_exec(db,
			 "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
			 "CREATE TABLE t (idx INTEGER PRIMARY KEY, leaf BLOB NOT NULL)",
			 NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO t (idx, leaf) VALUES (?1, ?2)", -1, &st, NULL) !=
		    SQLITE_OK)
		die("baseline", NULL);
	double t = now();
	for (uint64_t i = 0; i < count; i++) {
		int n = record(i, buf, sizeof(buf));
		sqlite3_bind_int64(st, 1, (sqlite3_int64)i);
		sqlite3_bind_blob(st, 2, buf, n, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			die("baseline insert", NULL);
		sqlite3_reset(st);
	}
	t = now() - t;
	sqlite3_finalize(st);
	sqlite3_close(db);
	return t;
}

static void proofs(struct sg_ledger *l, uint64_t size)
{
	uint8_t path[SG_MERKLE_MAX_PATH][SG_MERKLE_HASH_LEN];
	size_t len;
	struct sg_err err = {0};
	double t = now();
	for (int i = 0; i < PROOFS; i++)
		if (sg_ledger_inclusion(l, (uint64_t)random() % size, size, path, &len, &err))
			die("inclusion", &err);
	double incl = (now() - t) / PROOFS;
	t = now();
	for (int i = 0; i < PROOFS; i++)
		if (sg_ledger_consistency(l, 1 + (uint64_t)random() % size, size, path, &len, &err))
			die("consistency", &err);
	double cons = (now() - t) / PROOFS;
	printf("  inclusion proof at %" PRIu64 "      %8.1f us each   (target <= 1000 us)\n", size,
	       incl * 1e6);
	printf("  consistency proof to %" PRIu64 "    %8.1f us each   (target <= 1000 us)\n", size,
	       cons * 1e6);
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: %s DIR APPENDS TREE SHA256_PER_S\n", argv[0]);
		return 2;
	}
	const char *dir = argv[1];
	uint64_t appends = strtoull(argv[2], NULL, 10), tree = strtoull(argv[3], NULL, 10);
	double sha_per_s = strtod(argv[4], NULL);

	struct sg_ledger *l = fresh(dir, "single.ledger");
	double single = append_all(l, appends, 1);
	sg_ledger_close(l);
	double base = baseline(dir, appends);
	printf("  durable appends, one by one   %8.0f records/s  %6.3f ms each\n",
	       appends / single, single / appends * 1e3);
	printf("  baseline: fsync'd INSERT      %8.0f records/s  %6.3f ms each\n", appends / base,
	       base / appends * 1e3);
	printf("  one by one / baseline         %8.2f x          (target <= 2 x)\n", single / base);

	l = fresh(dir, "batched.ledger");
	double batched = append_all(l, appends, 1000);
	sg_ledger_close(l);
	printf("  durable appends, batches of 1,000 %6.0f records/s  (target >= 50,000/s)\n",
	       appends / batched);

	l = fresh(dir, "tree.ledger");
	double build = append_all(l, tree, 10000);
	printf("  (building %" PRIu64 " records in batches of 10,000: %.1f s)\n", tree, build);
	struct sg_err err = {0};
	uint64_t size;
	double t = now();
	if (sg_ledger_verify_tree(l, NULL, NULL, &size, &err))
		die("verify", &err);
	double verify = now() - t;
	/* a leaf and a node hash per record, at about 64 bytes each */
	double floor = 2.0 * (double)tree / sha_per_s;
	printf("  verify %" PRIu64 " records          %8.2f s        (target <= 10 s; "
	       "SHA-256 floor %.2f s, x %.1f)\n",
	       size, verify, floor, verify / floor);
	proofs(l, size);
	sg_ledger_close(l);
	return 0;
}
