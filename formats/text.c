/* What the Intel HEX and S-record readers share: a bounded line reader,
 * hex decoding with a column in the message, and a collector that appends
 * data records to an arena, growing the last run while records follow on. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "input_priv.h"

static int line_done(struct sg_text *t, size_t n, const char **line, size_t *len)
{
	t->lineno++;
	t->line[n] = 0;
	*line = t->line;
	*len = n;
	if (t->lineno == 1 && n >= 3 && memcmp(t->line, "\xef\xbb\xbf", 3) == 0) {
		*line += 3;
		*len -= 3;
	}
	return SG_OK;
}

static int refill(struct sg_text *t, struct sg_err *err)
{
	t->pos = 0;
	t->len = fread(t->buf, 1, sizeof(t->buf), t->fp);
	if (t->len == 0) {
		if (ferror(t->fp))
			return sg_errf(err, SG_EENV, "%s: read failed: %s", t->path,
				       strerror(errno));
		t->eof = true;
	}
	return SG_OK;
}

int sg_text_line(struct sg_text *t, const char **line, size_t *len, struct sg_err *err)
{
	size_t n = 0;
	for (;;) {
		if (t->pos == t->len) {
			if (t->eof)
				break;
			int rc = refill(t, err);
			if (rc)
				return rc;
			continue;
		}
		/* LF, CRLF and a lone CR all end a line: the LF of a CRLF pair
		 * (perhaps in the next buffer) is swallowed, not a blank line. */
		if (t->after_cr) {
			t->after_cr = false;
			if (t->buf[t->pos] == '\n') {
				t->pos++;
				continue;
			}
		}
		const uint8_t *p = t->buf + t->pos, *end = t->buf + t->len;
		const uint8_t *stop = memchr(p, '\n', (size_t)(end - p));
		if (!stop)
			stop = end;
		const uint8_t *cr = memchr(p, '\r', (size_t)(stop - p));
		if (cr)
			stop = cr;
		size_t k = (size_t)(stop - p);
		if (k > SG_TEXT_LINE_MAX - n)
			return sg_errf(err, SG_EINPUT, "%s: line %lu: line too long (over %d characters)",
				       t->path, t->lineno + 1, SG_TEXT_LINE_MAX);
		memcpy(t->line + n, p, k);
		n += k;
		t->pos += k;
		if (stop != end) {
			t->after_cr = *stop == '\r';
			t->pos++;
			return line_done(t, n, line, len);
		}
	}
	if (n > 0) /* a last line without a terminator */
		return line_done(t, n, line, len);
	*line = NULL;
	*len = 0;
	return SG_OK;
}

size_t sg_text_trim(const char **s, size_t *n)
{
	size_t lead = 0;
	while (lead < *n && ((*s)[lead] == ' ' || (*s)[lead] == '\t'))
		lead++;
	*s += lead;
	*n -= lead;
	while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
	return lead;
}

/* Digit value + 1, 0 for "not a hex digit": a table, because branching on
 * random digits is where decoding large files spent most of its time. */
static const uint8_t hex_plus1[256] = {
	['0'] = 1,  ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,
	['6'] = 7,  ['7'] = 8,  ['8'] = 9,  ['9'] = 10, ['A'] = 11, ['B'] = 12,
	['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16, ['a'] = 11, ['b'] = 12,
	['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
};

static int bad_digit(struct sg_text *t, unsigned char c, size_t col, struct sg_err *err)
{
	if (c > ' ' && c < 0x7f)
		return sg_errf(err, SG_EINPUT, "%s: line %lu: bad hex digit '%c' at column %zu",
			       t->path, t->lineno, c, col);
	return sg_errf(err, SG_EINPUT, "%s: line %lu: bad hex digit (byte 0x%02X) at column %zu",
		       t->path, t->lineno, c, col);
}

int sg_text_hex(struct sg_text *t, const char *s, size_t n, size_t col, uint8_t *out,
		struct sg_err *err)
{
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < n; i += 2) {
		unsigned hi = hex_plus1[u[i]], lo = hex_plus1[u[i + 1]];
		if (!hi)
			return bad_digit(t, u[i], col + i, err);
		if (!lo)
			return bad_digit(t, u[i + 1], col + i + 1, err);
		out[i / 2] = (uint8_t)((hi - 1) << 4 | (lo - 1));
	}
	return SG_OK;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem, size_t start)
{
	if (need <= *cap)
		return 0;
	size_t c = *cap ? *cap : start;
	while (c < need)
		c *= 2;
	void *q = realloc(*p, c * elem);
	if (!q)
		return -1;
	*p = q;
	*cap = c;
	return 0;
}

int sg_text_data(struct sg_text *t, uint64_t addr, const uint8_t *b, size_t n, struct sg_err *err)
{
	if (n == 0)
		return SG_OK;
	if (t->finding) {
		if (addr <= t->find_addr && t->find_addr - addr < n && t->nhits < 2)
			t->hits[t->nhits++] = t->lineno;
		return SG_OK;
	}
	if (n > SG_INPUT_TEXT_MAX - t->arena_len)
		return sg_errf(err, SG_EINPUT, "%s: line %lu: decoded data exceeds the %u MiB limit",
			       t->path, t->lineno, SG_INPUT_TEXT_MAX >> 20);
	if (grow((void **)&t->arena, &t->arena_cap, t->arena_len + n, 1, 64 * 1024))
		return sg_errf(err, SG_EENV, "%s: out of memory", t->path);

	/* The last run always ends at the end of the arena, so a record that
	 * continues it in address continues it in memory too. */
	struct sg_piece *last = t->nruns ? &t->runs[t->nruns - 1] : NULL;
	if (last && last->addr + last->size == addr) {
		last->size += n;
	} else {
		if (t->nruns == SG_TEXT_RUNS_MAX)
			return sg_errf(err, SG_EINPUT,
				       "%s: line %lu: too many discontiguous data records (limit %u)",
				       t->path, t->lineno, SG_TEXT_RUNS_MAX);
		if (grow((void **)&t->runs, &t->runs_cap, t->nruns + 1, sizeof(*t->runs), 64))
			return sg_errf(err, SG_EENV, "%s: out of memory", t->path);
		// NOLINTNEXTLINE(clang-analyzer-core.NullDereference): runs_cap > 0 means runs is allocated
		t->runs[t->nruns++] = (struct sg_piece){
			.addr = addr, .size = n, .off = t->arena_len, .tag = t->lineno
		};
	}
	memcpy(t->arena + t->arena_len, b, n);
	t->arena_len += n;
	return SG_OK;
}

/* Runs that touch in address but were written apart (records out of
 * order) are copied into address order so they become one segment. Only
 * such files pay for the copy. */
static int arena_reorder(struct sg_text *t, struct sg_err *err)
{
	bool ordered = true;
	for (size_t i = 1; i < t->nruns && ordered; i++) {
		const struct sg_piece *a = &t->runs[i - 1], *b = &t->runs[i];
		if (a->addr + a->size == b->addr && a->off + a->size != b->off)
			ordered = false;
	}
	if (ordered)
		return SG_OK;
	uint8_t *fresh = malloc(t->arena_len);
	if (!fresh)
		return sg_errf(err, SG_EENV, "%s: out of memory", t->path);
	size_t at = 0;
	for (size_t i = 0; i < t->nruns; i++) {
		memcpy(fresh + at, t->arena + t->runs[i].off, t->runs[i].size);
		t->runs[i].off = at;
		at += t->runs[i].size;
	}
	free(t->arena);
	t->arena = fresh;
	t->arena_cap = t->arena_len;
	return SG_OK;
}

/* The first pass keeps runs, not records, so the lines behind an overlap
 * are found by parsing again and noting the first two records that define
 * the doubly defined address. Only failing input pays for this. */
static int report_overlap(struct sg_text *t, struct sg_input *in, sg_text_parser parse,
			  uint64_t addr, struct sg_err *err)
{
	struct sg_err scratch;
	t->finding = true;
	t->find_addr = addr;
	t->nhits = 0;
	t->pos = t->len = 0;
	t->eof = t->after_cr = false;
	t->lineno = 0;
	if (fseek(t->fp, 0, SEEK_SET) == 0 && parse(t, in, &scratch) == SG_OK && t->nhits == 2)
		return sg_errf(err, SG_EINPUT, "%s: line %lu: data at 0x%08" PRIX64 " overlaps line %lu",
			       t->path, t->hits[1], addr, t->hits[0]);
	return sg_errf(err, SG_EINPUT, "%s: data at 0x%08" PRIX64 " is defined twice", t->path, addr);
}

static int finish(struct sg_text *t, struct sg_input *in, sg_text_parser parse,
		  struct sg_err *err)
{
	if (t->nruns == 0)
		return sg_errf(err, SG_EINPUT, "%s: no data (no data records)", t->path);
	sg_pieces_sort(t->runs, t->nruns);
	size_t i = sg_pieces_overlap(t->runs, t->nruns);
	if (i)
		return report_overlap(t, in, parse, t->runs[i].addr, err);
	int rc = arena_reorder(t, err);
	if (rc)
		return rc;
	rc = sg_input_take_pieces(in, t->runs, t->nruns, t->arena, err);
	if (rc)
		return rc;
	struct sg_input_priv *priv = in->priv;
	priv->arena = t->arena;
	t->arena = NULL;
	in->has_addr = true;
	return SG_OK;
}

int sg_text_load(struct sg_input *in, sg_text_parser parse, struct sg_err *err)
{
	struct sg_text *t = calloc(1, sizeof(*t));
	if (!t)
		return sg_errf(err, SG_EENV, "%s: out of memory", in->path);
	t->path = in->path;
	t->fp = in->fp;
	int rc = parse(t, in, err);
	if (rc == SG_OK)
		rc = finish(t, in, parse, err);
	free(t->arena);
	free(t->runs);
	free(t);
	return rc;
}
