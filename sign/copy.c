/* The payload pass of signing. The hash is the one part that cannot be
 * split (one SHA-2 stream), so the calling thread does nothing but hash: a
 * second thread (the feeder) gets each chunk of the payload ready for it,
 * mapped from the input's page cache with its page tables filled (a raw
 * binary or ELF segment) or read into a buffer (pad bytes, HEX/SREC data),
 * SLOTS chunks ahead at most. Between chunks the feeder copies the payload
 * into the output, file-backed runs inside the kernel (copy_file_range),
 * starts the writeback of each whole page written, and once all is written
 * makes it durable (fdatasync), so that the writing and the wait for the
 * disk overlap the hash and the fsync at commit has only the header and
 * signature pages left. The input is hashed and copied at different
 * moments, so a change to it meanwhile (size or time stamps) fails the
 * pass. On two cores the pass costs about one hash pass (bench/sign.sh
 * measures it). Memory: SLOTS mapped or buffered chunks and one copy
 * buffer, whatever the payload size. */
#include <errno.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "copy_priv.h"

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
	uint8_t *buf;     /* for copies the kernel cannot make */
	size_t seg;       /* segment index where the last copied run was found */
	bool kernel_copy; /* copy_file_range works for this pair of files */
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

/* Copies up to len bytes in the kernel; returns how many it copied (short
 * or 0 where copy_file_range fails or is not supported: the caller copies
 * the rest through a buffer and so reports any real error). */
static uint64_t kernel_copy(int in_fd, uint64_t in_off, int out_fd, uint64_t out_off,
			    uint64_t len)
{
	loff_t src = (loff_t)in_off, dst = (loff_t)out_off;
	uint64_t done = 0;
	while (done < len) {
		ssize_t n = copy_file_range(in_fd, &src, out_fd, &dst, (size_t)(len - done), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (uint64_t)n;
	}
	return done;
}

/* The length of the run of payload bytes from off (at most max) that lies
 * in one file-backed segment; sets *file_off. 0 if off is in a gap or in
 * decoded data. Runs are asked for in increasing order of off. */
static uint64_t file_run(struct pass *p, uint64_t off, uint64_t max, uint64_t *file_off)
{
	const struct sg_input *in = p->in;
	uint64_t addr = in->base + off;
	while (p->seg < in->nsegs && in->segs[p->seg].addr + in->segs[p->seg].size <= addr)
		p->seg++;
	if (!in->fp || p->seg == in->nsegs)
		return 0;
	const struct sg_segment *g = &in->segs[p->seg];
	if (g->data || addr < g->addr)
		return 0;
	*file_off = g->file_off + (addr - g->addr);
	uint64_t left = g->addr + g->size - addr;
	return left < max ? left : max;
}

/* The length of the run from off (at most max) that the kernel cannot
 * copy: up to the next file-backed segment. */
static uint64_t buffered_run(const struct pass *p, uint64_t off, uint64_t max)
{
	const struct sg_input *in = p->in;
	uint64_t addr = in->base + off;
	for (size_t i = p->seg; in->fp && i < in->nsegs && in->segs[i].addr < addr + max; i++)
		if (!in->segs[i].data && in->segs[i].addr > addr)
			return in->segs[i].addr - addr;
	return max;
}

static int copy_buffered(struct pass *p, uint64_t off, uint64_t len, struct sg_err *err)
{
	while (len) {
		size_t n = len < CHUNK ? (size_t)len : CHUNK;
		int rc = sg_input_read(p->in, off, p->buf, n, err);
		if (!rc)
			rc = sg_atomic_pwrite(p->out, p->buf, n, (long long)(p->out_off + off), err);
		if (rc)
			return rc;
		off += n;
		len -= n;
	}
	return SG_OK;
}

/* Puts payload bytes [off, off + len) into the output. */
static int copy_chunk(struct pass *p, uint64_t off, uint64_t len, struct sg_err *err)
{
	while (len) {
		uint64_t file_off = 0, n = file_run(p, off, len, &file_off), k = 0;
		if (n && p->kernel_copy) {
			k = kernel_copy(fileno(p->in->fp), file_off, p->out->fd, p->out_off + off, n);
			p->kernel_copy = k == n;
		}
		if (!n)
			n = buffered_run(p, off, len);
		int rc = copy_buffered(p, off + k, n - k, err);
		if (rc)
			return rc;
		off += n;
		len -= n;
	}
	return SG_OK;
}

static void unmap_slot(struct slot *s)
{
	if (s->map)
		munmap(s->map, s->map_len);
	s->map = NULL;
}

/* A slot the hasher is done with, or NULL when none is free (with wait,
 * only once the hasher failed: *stop is then set). */
static struct slot *claim_slot(struct pass *p, bool wait, bool *stop)
{
	pthread_mutex_lock(&p->lock);
	while (wait && p->head - p->tail == SLOTS && !p->stop)
		pthread_cond_wait(&p->changed, &p->lock);
	*stop = p->stop;
	struct slot *s = p->stop || p->head - p->tail == SLOTS ? NULL : &p->slots[p->head % SLOTS];
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

/* Gets payload bytes [off, off + s->len) ready in s for the hasher. */
static int fill_slot(struct pass *p, struct slot *s, uint64_t off, struct sg_err *err)
{
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
	return SG_OK;
}

/* Copies the next chunk from off to the output and starts its writeback;
 * after the last, makes the output durable. Its error must be reported
 * here: the fsync at commit may not see it again. */
static int write_chunk(struct pass *p, uint64_t off, struct sg_err *err)
{
	uint64_t size = p->in->size, len = size - off < CHUNK ? size - off : CHUNK;
	int rc = copy_chunk(p, off, len, err);
	if (rc)
		return rc;
	sg_copy_writeback(p->out, &p->wb_from, p->out_off + off + len);
	if (off + len == size && fdatasync(p->out->fd) != 0)
		return sg_errf(err, SG_EENV, "%s: cannot write: %s", p->out->path, strerror(errno));
	return SG_OK;
}

/* Keeps the hasher's slots filled first and writes in between. */
static int feed(struct pass *p, struct sg_err *err)
{
	uint64_t size = p->in->size, filled = 0, written = 0;
	while (filled < size || written < size) {
		bool stop = false;
		struct slot *s = filled < size ? claim_slot(p, written == size, &stop) : NULL;
		if (stop)
			return SG_OK; /* the hasher's error is reported */
		int rc = s ? fill_slot(p, s, filled, err) : write_chunk(p, written, err);
		if (rc)
			return rc;
		if (s)
			filled += s->len;
		else
			written = written + CHUNK < size ? written + CHUNK : size;
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

/* Hashes on this thread while the feeder runs; the first failure. */
static int run_pass(struct pass *p, EVP_MD_CTX *md, struct sg_err *err)
{
	pthread_t th;
	if (pthread_create(&th, NULL, feeder, p) != 0)
		return sg_errf(err, SG_EENV, "cannot start the feeder thread");
	int rc = hash_all(p, md, err);
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_broadcast(&p->changed);
	pthread_mutex_unlock(&p->lock);
	pthread_join(th, NULL);
	if (!rc && p->feed_rc) {
		*err = p->feed_err;
		rc = p->feed_rc;
	}
	return rc;
}

/* Size and modification time: what a write to the input changes. */
static bool input_changed(const struct sg_input *in, const struct stat *before)
{
	struct stat now;
	return fstat(fileno(in->fp), &now) != 0 || now.st_size != before->st_size ||
	       now.st_mtim.tv_sec != before->st_mtim.tv_sec ||
	       now.st_mtim.tv_nsec != before->st_mtim.tv_nsec;
}

int sg_copy_hash(struct sg_input *in, struct sg_atomic_file *out, uint64_t out_off,
		 const EVP_MD *md_type, uint8_t *digest, struct sg_err *err)
{
	struct pass p;
	memset(&p, 0, sizeof(p));
	p.in = in;
	p.out = out;
	p.out_off = out_off;
	p.kernel_copy = true;
	/* The page holding the header is written last: no writeback for it. */
	p.wb_from = (out_off + page_size() - 1) & ~(page_size() - 1);
	struct stat before;
	if (in->fp && fstat(fileno(in->fp), &before) != 0)
		return sg_errf(err, SG_EENV, "%s: cannot stat: %s", in->path, strerror(errno));
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	/* Buffer pages are touched only by chunks that are not mapped. */
	uint8_t *mem = malloc((size_t)(SLOTS + 1) * CHUNK);
	if (!md || !mem || !EVP_DigestInit_ex(md, md_type, NULL)) {
		EVP_MD_CTX_free(md);
		free(mem);
		return sg_errf(err, SG_EENV, "out of memory");
	}
	for (int i = 0; i < SLOTS; i++)
		p.slots[i].buf = mem + (size_t)i * CHUNK;
	p.buf = mem + (size_t)SLOTS * CHUNK;
	pthread_mutex_init(&p.lock, NULL);
	pthread_cond_init(&p.changed, NULL);
	int rc = run_pass(&p, md, err);
	if (!rc && in->fp && input_changed(in, &before))
		rc = sg_errf(err, SG_EENV, "%s: changed while being signed", in->path);
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
	/* Plain reads where copy_file_range is not supported (or stopped). */
	enum { BUF = 1 << 16 };
	uint64_t off = kernel_copy(in_fd, in_off, out->fd, 0, len);
	if (off >= len)
		return SG_OK;
	uint8_t *buf = malloc(BUF);
	int rc = buf ? SG_OK : sg_errf(err, SG_EENV, "out of memory");
	while (!rc && off < len) {
		size_t n = len - off < BUF ? (size_t)(len - off) : BUF;
		ssize_t r = pread(in_fd, buf, n, (off_t)(in_off + off));
		if (r <= 0)
			rc = sg_errf(err, SG_EENV, "%s: read failed", path);
		else if (!(rc = sg_atomic_pwrite(out, buf, (size_t)r, (long long)off, err)))
			off += (uint64_t)r;
	}
	free(buf);
	return rc;
}
