/* Intel HEX (I8HEX, I16HEX, I32HEX): ":LLAAAATT<data>CC" records.
 *
 * Addresses are linear: a record's address is the current extended segment
 * (type 02, times 16) or linear (type 04, times 65536) base plus its 16-bit
 * offset, and its bytes run on from there; a record never wraps inside a
 * 64 KiB window. Anything past 4 GiB is out of range. */
#include <inttypes.h>
#include <string.h>

#include "input_priv.h"

enum {
	IHEX_DATA = 0,
	IHEX_EOF = 1,
	IHEX_EXT_SEGMENT = 2,
	IHEX_START_SEGMENT = 3,
	IHEX_EXT_LINEAR = 4,
	IHEX_START_LINEAR = 5,
};

struct ihex_rec {
	uint8_t count;
	uint16_t offset;
	uint8_t type;
	const uint8_t *data;
};

/* Decodes and checks one record: shape, digits, byte count, checksum. */
/* s is the record with lead blanks trimmed off its front (for columns). */
static int ihex_decode(struct sg_text *t, const char *s, size_t n, size_t lead,
		       uint8_t *bytes, struct ihex_rec *r, struct sg_err *err)
{
	if (s[0] != ':')
		return sg_errf(err, SG_EINPUT, "%s: line %lu: record does not start with ':'",
			       t->path, t->lineno);
	size_t digits = n - 1;
	if (digits < 10)
		return sg_errf(err, SG_EINPUT, "%s: line %lu: record too short (%zu characters)",
			       t->path, t->lineno, n);
	if (digits % 2)
		return sg_errf(err, SG_EINPUT, "%s: line %lu: odd number of hex digits (%zu)",
			       t->path, t->lineno, digits);
	int rc = sg_text_hex(t, s + 1, digits, lead + 2, bytes, err);
	if (rc)
		return rc;
	size_t nbytes = digits / 2;
	if (nbytes != (size_t)bytes[0] + 5)
		return sg_errf(err, SG_EINPUT,
			       "%s: line %lu: byte count 0x%02X does not match the record length "
			       "(%zu data bytes)",
			       t->path, t->lineno, bytes[0], nbytes - 5);
	uint8_t sum = 0;
	for (size_t i = 0; i + 1 < nbytes; i++)
		sum = (uint8_t)(sum + bytes[i]);
	uint8_t want = (uint8_t)-sum, got = bytes[nbytes - 1];
	if (want != got)
		return sg_errf(err, SG_EINPUT,
			       "%s: line %lu: bad checksum (expected 0x%02X, got 0x%02X)", t->path,
			       t->lineno, want, got);
	r->count = bytes[0];
	r->offset = (uint16_t)(bytes[1] << 8 | bytes[2]);
	r->type = bytes[3];
	r->data = bytes + 4;
	return SG_OK;
}

static int need_count(struct sg_text *t, const struct ihex_rec *r, unsigned want,
		      const char *what, struct sg_err *err)
{
	if (r->count == want)
		return SG_OK;
	return sg_errf(err, SG_EINPUT, "%s: line %lu: %s record needs %u data bytes, has %u",
		       t->path, t->lineno, what, want, r->count);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int set_entry(struct sg_text *t, struct sg_input *in, uint64_t entry, struct sg_err *err)
{
	if (in->has_entry && in->entry != entry)
		return sg_errf(err, SG_EINPUT,
			       "%s: line %lu: second start address 0x%08" PRIX64
			       " differs from 0x%08" PRIX64,
			       t->path, t->lineno, entry, in->entry);
	in->has_entry = true;
	in->entry = entry;
	return SG_OK;
}

static int ihex_data(struct sg_text *t, uint64_t base, const struct ihex_rec *r,
		     struct sg_err *err)
{
	uint64_t addr = base + r->offset;
	if (addr + r->count > (1ull << 32))
		return sg_errf(err, SG_EINPUT,
			       "%s: line %lu: address out of range (0x%08" PRIX64
			       " + %u bytes passes 4 GiB)",
			       t->path, t->lineno, addr, r->count);
	return sg_text_data(t, addr, r->data, r->count, err);
}

/* Applies one checked record; *base is the current extended address. */
static int ihex_apply(struct sg_text *t, struct sg_input *in, const struct ihex_rec *r,
		      uint64_t *base, bool *eof, struct sg_err *err)
{
	int rc;
	switch (r->type) {
	case IHEX_DATA:
		return ihex_data(t, *base, r, err);
	case IHEX_EOF:
		*eof = true;
		return need_count(t, r, 0, "EOF", err);
	case IHEX_EXT_SEGMENT:
		if ((rc = need_count(t, r, 2, "extended segment address", err)))
			return rc;
		*base = (uint64_t)(r->data[0] << 8 | r->data[1]) << 4;
		return SG_OK;
	case IHEX_EXT_LINEAR:
		if ((rc = need_count(t, r, 2, "extended linear address", err)))
			return rc;
		*base = (uint64_t)(r->data[0] << 8 | r->data[1]) << 16;
		return SG_OK;
	case IHEX_START_SEGMENT: /* CS:IP, taken as the real-mode address CS*16+IP */
		if ((rc = need_count(t, r, 4, "start segment address", err)))
			return rc;
		return set_entry(t, in,
				 ((uint64_t)(r->data[0] << 8 | r->data[1]) << 4) +
					 (uint64_t)(r->data[2] << 8 | r->data[3]),
				 err);
	case IHEX_START_LINEAR:
		if ((rc = need_count(t, r, 4, "start linear address", err)))
			return rc;
		return set_entry(t, in, be32(r->data), err);
	default:
		return sg_errf(err, SG_EINPUT, "%s: line %lu: unknown record type 0x%02X",
			       t->path, t->lineno, r->type);
	}
}

int sg_ihex_parse(struct sg_text *t, struct sg_input *in, struct sg_err *err)
{
	uint8_t bytes[SG_TEXT_LINE_MAX / 2];
	uint64_t base = 0;
	bool eof = false;
	const char *s;
	size_t n;
	int rc;
	while ((rc = sg_text_line(t, &s, &n, err)) == SG_OK && s) {
		size_t lead = sg_text_trim(&s, &n);
		if (n == 0)
			continue; /* blank */
		if (eof)
			return sg_errf(err, SG_EINPUT, "%s: line %lu: data after the EOF record",
				       t->path, t->lineno);
		struct ihex_rec r = { 0 };
		if ((rc = ihex_decode(t, s, n, lead, bytes, &r, err)))
			return rc;
		if ((rc = ihex_apply(t, in, &r, &base, &eof, err)))
			return rc;
	}
	if (rc)
		return rc;
	if (!eof)
		return sg_errf(err, SG_EINPUT,
			       "%s: missing EOF record (:00000001FF); file truncated?", t->path);
	return SG_OK;
}
