/* The payload pass of signing. The hash is the one part that cannot be
 * split (one SHA-2 stream), so the calling thread does nothing but hash: a
 * second thread (the feeder) gets each chunk of the payload ready, mapped
 * from the input's page cache with its page tables filled (a raw binary or
 * ELF segment) or read into a buffer (pad bytes, HEX/SREC data), hands it
 * to the hasher, writes the same bytes to the output meanwhile and starts
 * their writeback, so that the final fsync has little left to wait for. On
 * two cores the pass then costs one hash pass (bench/sign.sh measures it).
 * Memory: SLOTS chunks, mapped or buffered, whatever the payload size. */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "copy.h"

#define SLOTS 4
#define CHUNK (2u * 1024 * 1024)

struct slot {
	uint8_t *buf;        /* owned buffer */
	const uint8_t *data; /* the chunk: buf, or inside map */
	void *map;           /* the input mapping it lies in, or NULL */
	size_t map_len;
	size_t len;
	uint64_t off; /* payload offset */
};

struct pass {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	struct slot slots[SLOTS];
	unsigned head, tail; /* the hasher's chunks are [tail, head) */
	bool feed_done;      /* the feeder has stopped (finished or failed) */
	bool stop;           /* the hasher failed: the feeder stops early */
	int feed_rc;         /* the feeder's failure */
	struct sg_err feed_err;
	/* Used by the feeder alone while it runs. */
	struct sg_input *in;
	struct sg_atomic_file *out;
	uint64_t out_off;
	uint64_t wb_from; /* output offset where writeback is yet to start */
};

static uint64_t page_size(void)
{
	return (uint64_t)sysconf(_SC_PAGESIZE);
}

/* Maps the chunk when it lies inside one segment that is read from the
 * file; false if it does not (then it is read into the slot's buffer). */
static bool map_chunk(const struct sg_input *in, struct slot *s)
{
	if (!in->fp)
		return false;
	uint64_t addr = in->base + s->off;
	for (size_t i = 0; i < in->nsegs; i++) {
		const struct sg_segment *g = &in->segs[i];
		if (g->data || addr < g->addr || addr - g->addr + s->len > g->size)
			continue;
		uint64_t file_off = g->file_off + (addr - g->addr);
		uint64_t start = file_off & ~(page_size() - 1);
		size_t len = (size_t)(file_off - start) + s->len;
		/* Populated here, so the hasher takes no page faults. */
		void *m = mmap(NULL, len, PROT_READ, MAP_SHARED | MAP_POPULATE, fileno(in->fp),
			       (off_t)start);
		if (m == MAP_FAILED)
			return false;
		s->map = m;
		s->map_len = len;
		s->data = (const uint8_t *)m + (file_off - start);
		return true;
	}
	return false;
}

static void unmap_slot(struct slot *s)
{
	if (s->map)
		munmap(s->map, s->map_len);
	s->map = NULL;
}

/* Waits for a slot the hasher is done with; NULL once it failed. */
static struct slot *free_slot(struct pass *p)
{
	pthread_mutex_lock(&p->lock);
	while (p->head - p->tail == SLOTS && !p->stop)
		pthread_cond_wait(&p->changed, &p->lock);
	struct slot *s = p->stop ? NULL : &p->slots[p->head % SLOTS];
	pthread_mutex_unlock(&p->lock);
	return s;
}

static void publish(struct pass *p)
{
	pthread_mutex_lock(&p->lock);
	p->head++;
	pthread_cond_broadcast(&p->changed);
	pthread_mutex_unlock(&p->lock);
}

void sg_copy_writeback(struct sg_atomic_file *out, uint64_t *from, uint64_t to)
{
	to &= ~(page_size() - 1);
	if (to > *from) {
		sg_atomic_start_writeback(out, (long long)*from, (size_t)(to - *from));
		*from = to;
	}
}

static int feed(struct pass *p, struct sg_err *err)
{
	for (uint64_t off = 0; off < p->in->size;) {
		struct slot *s = free_slot(p);
		if (!s)
			return SG_OK; /* the hasher's error is reported */
		unmap_slot(s);
		s->off = off;
		s->len = p->in->size - off < CHUNK ? (size_t)(p->in->size - off) : CHUNK;
		if (!map_chunk(p->in, s)) {
			int rc = sg_input_read(p->in, off, s->buf, s->len, err);
			if (rc)
				return rc;
			s->data = s->buf;
		}
		publish(p);
		/* The hasher reads the chunk while it is written; the slot comes
		 * back only after both. */
		uint64_t at = p->out_off + off;
		int rc = sg_atomic_pwrite(p->out, s->data, s->len, (long long)at, err);
		if (rc)
			return rc;
		sg_copy_writeback(p->out, &p->wb_from, at + s->len);
		off += s->len;
	}
	return SG_OK;
}

static void *feeder(void *arg)
{
	struct pass *p = arg;
	struct sg_err err;
	int rc = feed(p, &err);
	pthread_mutex_lock(&p->lock);
	p->feed_done = true;
	p->feed_rc = rc;
	if (rc)
		p->feed_err = err;
	pthread_cond_broadcast(&p->changed);
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

static int hash_all(struct pass *p, EVP_MD_CTX *md, struct sg_err *err)
{
	for (uint64_t off = 0; off < p->in->size;) {
		pthread_mutex_lock(&p->lock);
		while (p->tail == p->head && !p->feed_done)
			pthread_cond_wait(&p->changed, &p->lock);
		const struct slot *s = p->tail == p->head ? NULL : &p->slots[p->tail % SLOTS];
		pthread_mutex_unlock(&p->lock);
		if (!s)
			return SG_OK; /* the feeder's error is reported */
		if (!EVP_DigestUpdate(md, s->data, s->len))
			return sg_errf(err, SG_EENV, "hashing failed");
		off += s->len;
		pthread_mutex_lock(&p->lock);
		p->tail++;
		pthread_cond_broadcast(&p->changed);
		pthread_mutex_unlock(&p->lock);
	}
	return SG_OK;
}

int sg_copy_hash(struct sg_input *in, struct sg_atomic_file *out, uint64_t out_off,
		 const EVP_MD *md_type, uint8_t *digest, struct sg_err *err)
{
	struct pass p;
	memset(&p, 0, sizeof(p));
	p.in = in;
	p.out = out;
	p.out_off = out_off;
	/* The page holding the header is written last: no writeback for it. */
	p.wb_from = (out_off + page_size() - 1) & ~(page_size() - 1);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	/* Buffer pages are touched only by chunks that are not mapped. */
	uint8_t *mem = malloc((size_t)SLOTS * CHUNK);
	if (!md || !mem || !EVP_DigestInit_ex(md, md_type, NULL)) {
		EVP_MD_CTX_free(md);
		free(mem);
		return sg_errf(err, SG_EENV, "out of memory");
	}
	for (int i = 0; i < SLOTS; i++)
		p.slots[i].buf = mem + (size_t)i * CHUNK;
	pthread_mutex_init(&p.lock, NULL);
	pthread_cond_init(&p.changed, NULL);
	pthread_t th;
	int rc = SG_OK;
	if (pthread_create(&th, NULL, feeder, &p) != 0) {
		rc = sg_errf(err, SG_EENV, "cannot start the feeder thread");
	} else {
		rc = hash_all(&p, md, err);
		pthread_mutex_lock(&p.lock);
		p.stop = true;
		pthread_cond_broadcast(&p.changed);
		pthread_mutex_unlock(&p.lock);
		pthread_join(th, NULL);
	}
	if (!rc && p.feed_rc) {
		*err = p.feed_err;
		rc = p.feed_rc;
	}
	if (!rc && !EVP_DigestFinal_ex(md, digest, NULL))
		rc = sg_errf(err, SG_EENV, "hashing failed");
	for (int i = 0; i < SLOTS; i++)
		unmap_slot(&p.slots[i]);
	pthread_cond_destroy(&p.changed);
	pthread_mutex_destroy(&p.lock);
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
