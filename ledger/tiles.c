/* C2SP tlog-tiles export: see signet/ledger_tiles.h. Hash tiles come from
 * the store's subtree hashes (level 8L holds the tiles of tile level L),
 * entry bundles from the records, each streamed one tile at a time. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "signet/atomic_file.h"
#include "signet/ledger_tiles.h"

#define TILE_WIDTH 256
#define ENTRY_MAX 65535 /* a bundle's big-endian uint16 length */

struct tiles {
	struct sg_ledger *l;
	const char *dir;
	struct sg_tiles_result *res;
	struct sg_err *err;
	struct sg_atomic_file f;
	uint8_t buf[64 * 1024];
	size_t used;
};

void sg_tiles_path(uint64_t n, unsigned w, char *out, size_t size)
{
	char groups[8][5];
	int k = 0, o = 0;

	do {
		snprintf(groups[k++], sizeof groups[0], "%03u", (unsigned)(n % 1000));
		n /= 1000;
	} while (n && k < 8);
	while (k-- > 0)
		o += snprintf(out + o, size - (size_t)o, "%s%s%s", k ? "x" : "", groups[k], k ? "/" : "");
	if (w)
		snprintf(out + o, size - (size_t)o, ".p/%u", w);
}

/* mkdir -p of the directories above path. */
static int make_parents(struct tiles *t, char *path)
{
	for (char *p = strchr(path + 1, '/'); p; p = strchr(p + 1, '/')) {
		*p = 0;
		int rc = mkdir(path, 0777);
		int e = errno;
		*p = '/';
		if (rc != 0 && e != EEXIST)
			return sg_errf(t->err, SG_EENV, "%s: cannot make a directory: %s", path, strerror(e));
	}
	return SG_OK;
}

/* Opens the file for a tile (under "tile/"); 0 and nothing opened when it
 * is there already (full tiles never change; partial ones carry their
 * width), 1 when it must be written. Negative on error. */
static int tile_open(struct tiles *t, const char *sub, uint64_t n, unsigned w)
{
	char name[64], path[4096];
	struct stat st;

	sg_tiles_path(n, w, name, sizeof name);
	snprintf(path, sizeof path, "%s/tile/%s/%s", t->dir, sub, name);
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
		t->res->kept++;
		return 0;
	}
	if (make_parents(t, path) != SG_OK || sg_atomic_open(&t->f, path, t->err) != SG_OK)
		return -1;
	t->used = 0;
	return 1;
}

static int flush(struct tiles *t)
{
	int rc = sg_atomic_write(&t->f, t->buf, t->used, t->err);

	t->used = 0;
	return rc;
}

static int put(struct tiles *t, const uint8_t *p, size_t n)
{
	while (n) {
		size_t k = sizeof t->buf - t->used < n ? sizeof t->buf - t->used : n;
		memcpy(t->buf + t->used, p, k);
		t->used += k;
		p += k;
		n -= k;
		if (t->used == sizeof t->buf && flush(t) != SG_OK)
			return SG_EENV;
	}
	return SG_OK;
}

/* Publishes the file without an fsync of its own: the batch is made
 * durable at once before the checkpoint (export_tiles). */
static int tile_close(struct tiles *t, int rc)
{
	if (rc == SG_OK)
		rc = flush(t);
	if (rc != SG_OK) {
		sg_atomic_abort(&t->f);
		return rc;
	}
	rc = sg_atomic_finish(&t->f, SG_ATOMIC_NO_FSYNC | SG_ATOMIC_NO_DIRSYNC, t->err);
	t->res->written += rc == SG_OK;
	return rc;
}

static int put_hash(void *arg, uint64_t index, const uint8_t hash[SG_MERKLE_HASH_LEN])
{
	(void)index;
	return put(arg, hash, SG_MERKLE_HASH_LEN);
}

static int put_entry(void *arg, uint64_t index, const uint8_t *leaf, size_t len)
{
	struct tiles *t = arg;
	uint8_t be[2] = {(uint8_t)(len >> 8), (uint8_t)len};

	if (len > ENTRY_MAX)
		return sg_errf(t->err, SG_EINPUT,
			       "record %" PRIu64 " is %zu bytes, more than a tile entry bundle holds (%d)",
			       index, len, ENTRY_MAX);
	return put(t, be, 2) != SG_OK ? SG_EENV : put(t, leaf, len);
}

/* Tile n (width w, 0: full) of tile level `level`: the stored hashes of
 * the subtrees at tree level 8 * level. */
static int hash_tile(struct tiles *t, unsigned level, uint64_t n, unsigned w)
{
	char sub[8];
	int rc;

	snprintf(sub, sizeof sub, "%u", level);
	if ((rc = tile_open(t, sub, n, w)) <= 0)
		return rc < 0 ? SG_EENV : SG_OK;
	rc = sg_ledger_nodes(t->l, 8 * level, n * TILE_WIDTH, n * TILE_WIDTH + (w ? w : TILE_WIDTH), put_hash,
			     t, t->err);
	return tile_close(t, rc);
}

static int entry_bundle(struct tiles *t, uint64_t n, unsigned w)
{
	int rc = tile_open(t, "entries", n, w);

	if (rc <= 0)
		return rc < 0 ? SG_EENV : SG_OK;
	rc = sg_ledger_records(t->l, n * TILE_WIDTH, n * TILE_WIDTH + (w ? w : TILE_WIDTH), put_entry, t,
			       t->err);
	return tile_close(t, rc);
}

/* Every tile of every level, and the entry bundles, for a tree of size. */
static int write_tiles(struct tiles *t, uint64_t size)
{
	int rc = SG_OK;

	for (unsigned level = 0; level < 8 && rc == SG_OK; level++) {
		uint64_t count = level ? size >> (8 * level) : size;
		if (count == 0)
			break;
		for (uint64_t n = 0; n < count / TILE_WIDTH && rc == SG_OK; n++)
			rc = hash_tile(t, level, n, 0);
		if (rc == SG_OK && count % TILE_WIDTH)
			rc = hash_tile(t, level, count / TILE_WIDTH, (unsigned)(count % TILE_WIDTH));
	}
	for (uint64_t n = 0; n < size / TILE_WIDTH && rc == SG_OK; n++)
		rc = entry_bundle(t, n, 0);
	if (rc == SG_OK && size % TILE_WIDTH)
		rc = entry_bundle(t, size / TILE_WIDTH, (unsigned)(size % TILE_WIDTH));
	return rc;
}

/* Makes every file written so far durable, renames included: one syncfs
 * for the whole batch instead of an fsync per tile. */
static int sync_all(const char *dir, struct sg_err *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

	if (fd < 0)
		return sg_errf(err, SG_EENV, "%s: %s", dir, strerror(errno));
	rc = syncfs(fd);
	close(fd);
	return rc == 0 ? SG_OK : sg_errf(err, SG_EENV, "%s: cannot make the tiles durable: %s", dir,
				      strerror(errno));
}

/* The checkpoint file, last, unless it already holds this note. */
static int write_checkpoint(struct tiles *t, const char *note)
{
	char path[4096];
	uint8_t *old = NULL;
	size_t len = 0;
	FILE *fp;

	snprintf(path, sizeof path, "%s/checkpoint", t->dir);
	if ((fp = fopen(path, "rb"))) {
		old = malloc(strlen(note) + 2);
		len = old ? fread(old, 1, strlen(note) + 1, fp) : 0;
		// NOLINTNEXTLINE(cert-err33-c): a stream only read: nothing to lose
		fclose(fp);
	}
	int same = old && len == strlen(note) && !memcmp(old, note, len);
	free(old);
	if (same) {
		t->res->kept++;
		return SG_OK;
	}
	int rc = sg_write_file_atomic(path, note, strlen(note), t->err);
	t->res->written += rc == SG_OK;
	return rc;
}

int sg_ledger_tiles_export(struct sg_ledger *l, const char *dir, struct sg_tiles_result *res,
			   struct sg_err *err)
{
	struct tiles *t = calloc(1, sizeof *t);
	char *note = NULL;
	int rc;

	memset(res, 0, sizeof *res);
	if (!t)
		return sg_errf(err, SG_EENV, "out of memory");
	*t = (struct tiles){.l = l, .dir = dir, .res = res, .err = err, .f = {.fd = -1}};
	rc = sg_ledger_checkpoint_get(l, SG_LEDGER_LATEST, &res->size, NULL, &note, err);
	if (rc == SG_FAIL)
		rc = sg_errf(err, SG_FAIL, "the ledger has no checkpoint to export: cut one first");
	if (rc == SG_OK && mkdir(dir, 0777) != 0 && errno != EEXIST)
		rc = sg_errf(err, SG_EENV, "%s: cannot make the directory: %s", dir, strerror(errno));
	if (rc == SG_OK)
		rc = write_tiles(t, res->size);
	if (rc == SG_OK)
		rc = sync_all(dir, err);
	if (rc == SG_OK)
		rc = write_checkpoint(t, note);
	free(note);
	free(t);
	return rc;
}
