/* Input readers: format names, detection, dispatch, the raw binary reader,
 * and what every reader shares: turning placed pieces into sorted segments
 * and reading the padded payload back. */
#include "signet/input.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "signet/fileio.h"
#include "input_priv.h"

static const char *const format_names[] = {
	[SG_INPUT_AUTO] = "auto", [SG_INPUT_BIN] = "bin", [SG_INPUT_IHEX] = "ihex",
	[SG_INPUT_SREC] = "srec", [SG_INPUT_ELF] = "elf",
};

const char *sg_input_format_name(enum sg_input_format f)
{
	if ((unsigned)f >= sizeof(format_names) / sizeof(format_names[0]))
		return "unknown";
	return format_names[f];
}

int sg_input_format_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(format_names) / sizeof(format_names[0]); i++)
		if (strcmp(name, format_names[i]) == 0)
			return (int)i;
	if (strcmp(name, "hex") == 0)
		return SG_INPUT_IHEX;
	return -1;
}

/* ---- pieces to segments ---- */

static int piece_cmp(const void *a, const void *b)
{
	const struct sg_piece *x = a, *y = b;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->tag < y->tag ? -1 : x->tag > y->tag;
}

void sg_pieces_sort(struct sg_piece *p, size_t n)
{
	qsort(p, n, sizeof(*p), piece_cmp);
}

size_t sg_pieces_overlap(const struct sg_piece *p, size_t n)
{
	/* Sorted by start, so if no neighbours overlap, nothing does. */
	for (size_t i = 1; i < n; i++)
		if (p[i].addr < p[i - 1].addr + p[i - 1].size)
			return i;
	return 0;
}

static bool pieces_join(const struct sg_piece *a, const struct sg_piece *b)
{
	return a->addr + a->size == b->addr && a->off + a->size == b->off;
}

/* The payload is as long as the span of the pieces, padding included, so
 * the span is checked before anything is allocated for or read into it. */
static int span_check(const struct sg_input *in, const struct sg_piece *p, size_t n,
		      struct sg_err *err)
{
	uint64_t lo = p[0].addr, hi = p[n - 1].addr + p[n - 1].size;
	if (hi - lo <= in->max_span)
		return SG_OK;
	return sg_errf_param(err, SG_EINPUT, "max_span",
			     "%s: data spans 0x%08" PRIX64 "..0x%08" PRIX64 " (%" PRIu64
			     " bytes), over the %" PRIu64 "-byte limit",
		       in->path, lo, hi - 1, hi - lo, in->max_span);
}

int sg_input_take_pieces(struct sg_input *in, const struct sg_piece *p, size_t n,
			 const uint8_t *data, struct sg_err *err)
{
	if (n == 0)
		return sg_errf(err, SG_EINPUT, "%s: no data", in->path);
	int rc = span_check(in, p, n, err);
	if (rc)
		return rc;
	size_t nsegs = 1;
	for (size_t i = 1; i < n; i++)
		nsegs += !pieces_join(&p[i - 1], &p[i]);
	if (nsegs > SG_INPUT_MAX_SEGMENTS)
		return sg_errf(err, SG_EINPUT, "%s: too many separate segments (%zu, limit %d)",
			       in->path, nsegs, SG_INPUT_MAX_SEGMENTS);

	struct sg_segment *segs = calloc(nsegs, sizeof(*segs));
	if (!segs)
		return sg_errf(err, SG_EENV, "%s: out of memory", in->path);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && pieces_join(&p[i - 1], &p[i])) {
			segs[k - 1].size += p[i].size;
			continue;
		}
		segs[k].addr = p[i].addr;
		segs[k].size = p[i].size;
		segs[k].file_off = data ? 0 : p[i].off;
		segs[k].data = data ? data + p[i].off : NULL;
		k++;
	}
	in->segs = segs;
	in->nsegs = nsegs;
	in->base = segs[0].addr;
	in->size = segs[nsegs - 1].addr + segs[nsegs - 1].size - in->base;
	return SG_OK;
}

/* ---- file access ---- */

int sg_input_pread(struct sg_input *in, uint64_t off, void *buf, size_t len, struct sg_err *err)
{
	uint8_t *out = buf;
	int fd = fileno(in->fp);
	while (len) {
		/* Chunked so a single huge request never hits the kernel's
		 * per-call limit or a signed size. */
		size_t chunk = len < (1u << 30) ? len : (1u << 30);
		if (off > (uint64_t)INT64_MAX - chunk)
			return sg_errf(err, SG_EINPUT, "%s: file offset out of range", in->path);
		ssize_t r = pread(fd, out, chunk, (off_t)off);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return sg_errf(err, SG_EENV, "%s: read failed: %s", in->path,
				       strerror(errno));
		}
		if (r == 0)
			return sg_errf(err, SG_EENV,
				       "%s: unexpected end of file (changed while reading?)",
				       in->path);
		out += r;
		off += (uint64_t)r;
		len -= (size_t)r;
	}
	return SG_OK;
}

/* ---- raw binary ---- */

static int bin_load(struct sg_input *in, uint64_t file_size, struct sg_err *err)
{
	struct sg_piece whole = { .addr = 0, .size = file_size, .off = 0 };
	if (file_size == 0)
		return sg_errf(err, SG_EINPUT, "%s: no data (empty file)", in->path);
	in->has_addr = false;
	return sg_input_take_pieces(in, &whole, 1, NULL, err);
}

/* ---- detection ---- */

static bool is_hex_digit(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* ELF by magic; otherwise, past a UTF-8 BOM and blank space, ':' and two hex
 * digits is Intel HEX and 'S', a digit and two hex digits is an S-record.
 * Anything else is raw binary: a binary that happens to start like a record
 * needs --format bin. */
static enum sg_input_format detect(const uint8_t *b, size_t n)
{
	if (n >= 4 && memcmp(b, "\x7f" "ELF", 4) == 0)
		return SG_INPUT_ELF;
	size_t i = 0;
	if (n >= 3 && memcmp(b, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	while (i < n && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n'))
		i++;
	/* cppcheck-suppress knownConditionTrueFalse ; i <= n: both tests can hold */
	if (n - i >= 3 && b[i] == ':' && is_hex_digit(b[i + 1]) && is_hex_digit(b[i + 2]))
		return SG_INPUT_IHEX;
	/* cppcheck-suppress knownConditionTrueFalse ; as above */
	if (n - i >= 4 && b[i] == 'S' && b[i + 1] >= '0' && b[i + 1] <= '9' &&
	    is_hex_digit(b[i + 2]) && is_hex_digit(b[i + 3]))
		return SG_INPUT_SREC;
	return SG_INPUT_BIN;
}

static int detect_file(struct sg_input *in, uint64_t file_size, enum sg_input_format *fmt,
		       struct sg_err *err)
{
	uint8_t head[256];
	size_t n = file_size < sizeof(head) ? (size_t)file_size : sizeof(head);
	int rc = sg_input_pread(in, 0, head, n, err);
	if (rc)
		return rc;
	*fmt = detect(head, n);
	return SG_OK;
}

/* ---- open, read, close ---- */

/* Streaming needs a size and positioned reads, so only a regular file will
 * do; sg_open_regular checks that without blocking on a FIFO or a device. */
static int open_file(struct sg_input *in, uint64_t *size, struct sg_err *err)
{
	int fd;
	int rc = sg_open_regular(in->path, &fd, size, err);
	if (rc)
		return rc;
	in->fp = fdopen(fd, "rb");
	if (!in->fp) {
		close(fd);
		return sg_errf(err, SG_EENV, "%s: out of memory", in->path);
	}
	return SG_OK;
}

static int load(struct sg_input *in, enum sg_input_format fmt, struct sg_err *err)
{
	uint64_t size = 0;
	int rc = open_file(in, &size, err);
	if (rc)
		return rc;
	in->priv = calloc(1, sizeof(struct sg_input_priv));
	if (!in->priv)
		return sg_errf(err, SG_EENV, "%s: out of memory", in->path);
	if (fmt == SG_INPUT_AUTO && (rc = detect_file(in, size, &fmt, err)))
		return rc;
	in->format = fmt;
	switch (fmt) {
	case SG_INPUT_BIN:
		return bin_load(in, size, err);
	case SG_INPUT_ELF:
		return sg_elf_load(in, size, err);
	case SG_INPUT_IHEX:
	case SG_INPUT_SREC:
		rc = sg_text_load(in, fmt == SG_INPUT_IHEX ? sg_ihex_parse : sg_srec_parse, err);
		/* Text is decoded into memory: the file is no longer needed. */
		// NOLINTNEXTLINE(cert-err33-c): a stream only read: nothing to lose
		fclose(in->fp);
		in->fp = NULL;
		return rc;
	default:
		return sg_errf(err, SG_EINPUT, "%s: unknown input format %d", in->path, (int)fmt);
	}
}

int sg_input_open(struct sg_input *in, const char *path, enum sg_input_format fmt,
		  uint8_t pad, uint64_t max_span, struct sg_err *err)
{
	memset(in, 0, sizeof(*in));
	in->path = path;
	in->pad = pad;
	in->max_span = max_span ? max_span : SG_INPUT_SPAN_MAX;
	int rc = load(in, fmt, err);
	if (rc) {
		sg_input_close(in);
		in->path = path;
	}
	return rc;
}

static uint64_t seg_end(const struct sg_segment *s)
{
	return s->addr + s->size;
}

/* Index of the first segment ending after addr (nsegs if none). Sequential
 * reads hit the cursor or the one after it; anything else bisects. */
static size_t seg_find(const struct sg_input *in, size_t cursor, uint64_t addr)
{
	for (size_t c = cursor; c <= cursor + 1 && c <= in->nsegs; c++) {
		bool after_prev = c == 0 || seg_end(&in->segs[c - 1]) <= addr;
		bool in_this = c == in->nsegs || seg_end(&in->segs[c]) > addr;
		if (after_prev && in_this)
			return c;
	}
	size_t lo = 0, hi = in->nsegs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (seg_end(&in->segs[mid]) <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int sg_input_read(struct sg_input *in, uint64_t off, void *buf, size_t len, struct sg_err *err)
{
	if (off > in->size || len > in->size - off)
		return sg_errf(err, SG_EINPUT, "%s: read past the end of the payload", in->path);
	struct sg_input_priv *priv = in->priv;
	uint8_t *out = buf;
	uint64_t addr = in->base + off;
	size_t i = seg_find(in, priv->cursor, addr);
	while (len) {
		size_t n;
		if (i == in->nsegs || addr < in->segs[i].addr) {
			/* A gap; past the last segment cannot happen as size
			 * ends there, but padding it is the safe answer. */
			uint64_t gap = i == in->nsegs ? len : in->segs[i].addr - addr;
			n = gap < len ? (size_t)gap : len;
			memset(out, in->pad, n);
		} else {
			const struct sg_segment *s = &in->segs[i];
			uint64_t at = addr - s->addr, left = s->size - at;
			n = left < len ? (size_t)left : len;
			if (s->data) {
				memcpy(out, s->data + at, n);
			} else {
				int rc = sg_input_pread(in, s->file_off + at, out, n, err);
				if (rc)
					return rc;
			}
			if (n == left)
				i++;
		}
		out += n;
		addr += n;
		len -= n;
	}
	priv->cursor = i;
	return SG_OK;
}

void sg_input_close(struct sg_input *in)
{
	if (in->fp)
		// NOLINTNEXTLINE(cert-err33-c): a stream only read: nothing to lose
		fclose(in->fp);
	struct sg_input_priv *priv = in->priv;
	if (priv)
		free(priv->arena);
	free(priv);
	free(in->segs);
	memset(in, 0, sizeof(*in));
}
