#include "input_util.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tu_dir {
	char path[512];
	char *names[128];
	size_t n;
};

int tu_setup(void **state)
{
	struct tu_dir *d = calloc(1, sizeof(*d));
	if (!d)
		return -1;
	const char *tmp = getenv("TMPDIR");
	snprintf(d->path, sizeof(d->path), "%s/signet-formats-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(d->path)) {
		free(d);
		return -1;
	}
	*state = d;
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int tu_teardown(void **state)
{
	struct tu_dir *d = *state;
	int rc = nftw(d->path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	for (size_t i = 0; i < d->n; i++)
		free(d->names[i]);
	free(d);
	return rc;
}

const char *tu_path(void **state, const char *name)
{
	struct tu_dir *d = *state;
	assert_true(d->n < sizeof(d->names) / sizeof(d->names[0]));
	size_t len = strlen(d->path) + strlen(name) + 2;
	char *p = malloc(len);
	assert_non_null(p);
	snprintf(p, len, "%s/%s", d->path, name);
	d->names[d->n++] = p;
	return p;
}

const char *tu_write(void **state, const char *name, const void *data, size_t len)
{
	const char *path = tu_path(state, name);
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	if (len)
		assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
	return path;
}

const char *tu_write_str(void **state, const char *name, const char *text)
{
	return tu_write(state, name, text, strlen(text));
}

void tu_addf(struct tu_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	assert_true(n >= 0);
	if (b->len + (size_t)n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + (size_t)n + 1)
			cap *= 2;
		b->s = realloc(b->s, cap);
		assert_non_null(b->s);
		b->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void tu_buf_free(struct tu_buf *b)
{
	free(b->s);
	memset(b, 0, sizeof(*b));
}

void tu_ihex(struct tu_buf *b, unsigned type, unsigned addr16, const uint8_t *data, size_t n)
{
	unsigned sum = (unsigned)n + (addr16 >> 8) + (addr16 & 0xff) + type;
	tu_addf(b, ":%02X%04X%02X", (unsigned)n, addr16, type);
	for (size_t i = 0; i < n; i++) {
		tu_addf(b, "%02X", data[i]);
		sum += data[i];
	}
	tu_addf(b, "%02X\n", (0x100 - (sum & 0xff)) & 0xff);
}

void tu_srec(struct tu_buf *b, unsigned type, uint32_t addr, const uint8_t *data, size_t n)
{
	static const unsigned alen[10] = { 2, 2, 3, 4, 0, 2, 3, 4, 3, 2 };
	unsigned count = alen[type] + (unsigned)n + 1, sum = count;
	tu_addf(b, "S%u%02X", type, count);
	for (unsigned i = alen[type]; i-- > 0;) {
		unsigned byte = (addr >> (8 * i)) & 0xff;
		tu_addf(b, "%02X", byte);
		sum += byte;
	}
	for (size_t i = 0; i < n; i++) {
		tu_addf(b, "%02X", data[i]);
		sum += data[i];
	}
	tu_addf(b, "%02X\n", ~sum & 0xff);
}

uint8_t *tu_read_all(struct sg_input *in, size_t chunk)
{
	uint8_t *buf = malloc(in->size ? (size_t)in->size : 1);
	assert_non_null(buf);
	struct sg_err err = { 0 };
	for (uint64_t off = 0; off < in->size; off += chunk) {
		size_t n = in->size - off < chunk ? (size_t)(in->size - off) : chunk;
		int rc = sg_input_read(in, off, buf + off, n, &err);
		if (rc != SG_OK)
			fail_msg("read at %llu: %s", (unsigned long long)off, err.msg);
	}
	return buf;
}

void tu_open(struct sg_input *in, const char *path, enum sg_input_format fmt, uint8_t pad)
{
	struct sg_err err = { 0 };
	int rc = sg_input_open(in, path, fmt, pad, 0, &err);
	if (rc != SG_OK)
		fail_msg("open %s: %s", path, err.msg);
}

void tu_open_fails(void **state, const char *name, const void *data, size_t len,
		   enum sg_input_format fmt, int status, const char *want)
{
	const char *path = tu_write(state, name, data, len);
	struct sg_input in;
	struct sg_err err = { 0 };
	int rc = sg_input_open(&in, path, fmt, 0xff, 0, &err);
	if (rc == SG_OK) {
		sg_input_close(&in);
		fail_msg("%s opened, expected an error containing '%s'", name, want);
	}
	assert_int_equal(rc, status);
	assert_int_equal(err.status, status);
	if (!strstr(err.msg, want))
		fail_msg("message '%s' lacks '%s'", err.msg, want);
	if (strncmp(err.msg, path, strlen(path)) != 0)
		fail_msg("message '%s' does not start with the path", err.msg);
	/* Nothing is left to close after a failed open. */
	assert_null(in.fp);
	assert_null(in.segs);
	assert_null(in.priv);
}

void tu_open_fails_str(void **state, const char *name, const char *text,
		       enum sg_input_format fmt, const char *want)
{
	tu_open_fails(state, name, text, strlen(text), fmt, SG_EINPUT, want);
}
