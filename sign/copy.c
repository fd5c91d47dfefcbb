/* The payload pass of signing: read the input, hash it, write it to the
 * output, with hashing and writing on two threads so that one hash pass is
 * the whole cost on a two-core machine (bench/sign.sh measures it). Chunks
 * that lie in one file-backed segment (raw binary, ELF) are mapped rather
 * than copied, and unmapped once written, so memory stays a few MiB. */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "copy.h"

#define SLOTS 4
#define CHUNK (1024 * 1024)

struct slot {
	uint8_t *buf;        /* owned copy buffer */
	const uint8_t *data; /* the chunk: buf, or inside map */
	void *map;           /* mapping to drop once written, or NULL */
	size_t map_len;
	size_t len;
	uint64_t off; /* output offset */
};

struct ring {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	struct slot slots[SLOTS];
	unsigned head, tail; /* filled slots are [tail, head) */
	int done;            /* producer finished (or gave up) */
	int write_rc;        /* first writer failure */
	struct sg_err write_err;
	struct sg_atomic_file *out;
};

static void *writer(void *arg)
{
	struct ring *r = arg;
	pthread_mutex_lock(&r->lock);
	for (;;) {
		while (r->tail == r->head && !r->done)
			pthread_cond_wait(&r->changed, &r->lock);
		if (r->tail == r->head)
			break;
		struct slot *s = &r->slots[r->tail % SLOTS];
		pthread_mutex_unlock(&r->lock);
		int rc = r->write_rc ? r->write_rc
				     : sg_atomic_pwrite(r->out, s->data, s->len, (long long)s->off,
							&r->write_err);
		if (!rc)
			sg_atomic_start_writeback(r->out, (long long)s->off, s->len);
		if (s->map)
			munmap(s->map, s->map_len);
		s->map = NULL;
		pthread_mutex_lock(&r->lock);
		if (rc && !r->write_rc)
			r->write_rc = rc;
		r->tail++;
		pthread_cond_broadcast(&r->changed);
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

/* Waits for a free slot; returns it, or NULL once the writer failed. */
static struct slot *next_free(struct ring *r)
{
	pthread_mutex_lock(&r->lock);
	while (r->head - r->tail == SLOTS && !r->write_rc)
		pthread_cond_wait(&r->changed, &r->lock);
	struct slot *s = r->write_rc ? NULL : &r->slots[r->head % SLOTS];
	pthread_mutex_unlock(&r->lock);
	return s;
}

static void publish(struct ring *r)
{
	pthread_mutex_lock(&r->lock);
	r->head++;
	pthread_cond_broadcast(&r->changed);
	pthread_mutex_unlock(&r->lock);
}

/* Maps [off, off+len) of the payload when it lies inside one segment that
 * is read from the file; returns 0 if it does not (then it is copied). */
static int map_chunk(struct sg_input *in, uint64_t off, struct slot *s)
{
	if (!in->fp)
		return 0;
	uint64_t addr = in->base + off;
	for (size_t i = 0; i < in->nsegs; i++) {
		const struct sg_segment *g = &in->segs[i];
		if (g->data || addr < g->addr || addr - g->addr + s->len > g->size)
			continue;
		uint64_t file_off = g->file_off + (addr - g->addr);
		uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
		uint64_t start = file_off & ~(page - 1);
		size_t len = (size_t)(file_off - start) + s->len;
		void *m = mmap(NULL, len, PROT_READ, MAP_SHARED, fileno(in->fp), (off_t)start);
		if (m == MAP_FAILED)
			return 0;
		madvise(m, len, MADV_WILLNEED);
		s->map = m;
		s->map_len = len;
		s->data = (const uint8_t *)m + (file_off - start);
		return 1;
	}
	return 0;
}

static int produce(struct ring *r, struct sg_input *in, uint64_t out_off, EVP_MD_CTX *md,
		   struct sg_err *err)
{
	for (uint64_t off = 0; off < in->size;) {
		struct slot *s = next_free(r);
		if (!s)
			return SG_OK; /* the writer's error is reported */
		s->len = in->size - off < CHUNK ? (size_t)(in->size - off) : CHUNK;
		s->off = out_off + off;
		if (!map_chunk(in, off, s)) {
			int rc = sg_input_read(in, off, s->buf, s->len, err);
			if (rc)
				return rc;
			s->data = s->buf;
		}
		if (!EVP_DigestUpdate(md, s->data, s->len))
			return sg_errf(err, SG_EENV, "hashing failed");
		publish(r);
		off += s->len;
	}
	return SG_OK;
}

int sg_copy_hash(struct sg_input *in, struct sg_atomic_file *out, uint64_t out_off,
		 const EVP_MD *md_type, uint8_t *digest, struct sg_err *err)
{
	struct ring r;
	memset(&r, 0, sizeof(r));
	r.out = out;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t *mem = malloc((size_t)SLOTS * CHUNK);
	if (!md || !mem || !EVP_DigestInit_ex(md, md_type, NULL)) {
		EVP_MD_CTX_free(md);
		free(mem);
		return sg_errf(err, SG_EENV, "out of memory");
	}
	for (int i = 0; i < SLOTS; i++)
		r.slots[i].buf = mem + (size_t)i * CHUNK;
	pthread_mutex_init(&r.lock, NULL);
	pthread_cond_init(&r.changed, NULL);
	pthread_t th;
	int rc = SG_OK;
	if (pthread_create(&th, NULL, writer, &r) != 0) {
		rc = sg_errf(err, SG_EENV, "cannot start the writer thread");
	} else {
		rc = produce(&r, in, out_off, md, err);
		pthread_mutex_lock(&r.lock);
		r.done = 1;
		pthread_cond_broadcast(&r.changed);
		pthread_mutex_unlock(&r.lock);
		pthread_join(th, NULL);
	}
	if (!rc && r.write_rc) {
		*err = r.write_err;
		rc = r.write_rc;
	}
	if (!rc && !EVP_DigestFinal_ex(md, digest, NULL))
		rc = sg_errf(err, SG_EENV, "hashing failed");
	pthread_cond_destroy(&r.changed);
	pthread_mutex_destroy(&r.lock);
	EVP_MD_CTX_free(md);
	free(mem);
	return rc;
}

int sg_copy_range(int in_fd, uint64_t in_off, struct sg_atomic_file *out, uint64_t len,
		  const char *path, struct sg_err *err)
{
	loff_t src = (loff_t)in_off, dst = 0;
	while ((uint64_t)dst < len) {
		ssize_t n = copy_file_range(in_fd, &src, out->fd, &dst, (size_t)(len - (uint64_t)dst),
					    0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
	}
	/* Plain reads where copy_file_range is not supported (or stopped). */
	static uint8_t buf[1 << 16];
	for (uint64_t off = (uint64_t)dst; off < len;) {
		size_t n = len - off < sizeof(buf) ? (size_t)(len - off) : sizeof(buf);
		ssize_t r = pread(in_fd, buf, n, (off_t)(in_off + off));
		if (r <= 0)
			return sg_errf(err, SG_EENV, "%s: read failed", path);
		int rc = sg_atomic_pwrite(out, buf, (size_t)r, (long long)off, err);
		if (rc)
			return rc;
		off += (uint64_t)r;
	}
	return SG_OK;
}
