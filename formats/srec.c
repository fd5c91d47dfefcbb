/* Motorola S-records: "S" type, count, address, data, checksum.
 *
 * S0 header (content ignored), S1/S2/S3 data with 16/24/32-bit addresses,
 * S5/S6 record counts (checked against the data records seen so far), and
 * S7/S8/S9 start address, which also terminates the file. The terminator
 * is required: it is the only thing that tells a complete file from one cut
 * off at a line boundary. */
#include <inttypes.h>
#include <string.h>

#include "input_priv.h"

struct srec_rec {
	int type;           /* 0-9 */
	uint64_t addr;
	const uint8_t *data;
	size_t len;         /* data bytes after the address */
};

/* Address bytes per record type; 0 for the reserved S4. */
static const uint8_t addr_len[10] = { 2, 2, 3, 4, 0, 2, 3, 4, 3, 2 };

/* s is the record with lead blanks trimmed off its front (for columns). */
static int srec_decode(struct sg_text *t, const char *s, size_t n, size_t lead,
		       uint8_t *bytes, struct srec_rec *r, struct sg_err *err)
{
	if (s[0] != 'S')
		return sg_errf(err, SG_EINPUT, "%s: line %lu: record does not start with 'S'",
			       t->path, t->lineno);
	if (n < 2 || s[1] < '0' || s[1] > '9')
		return sg_errf(err, SG_EINPUT, "%s: line %lu: bad record type", t->path,
			       t->lineno);
	r->type = s[1] - '0';
	if (addr_len[r->type] == 0)
		return sg_errf(err, SG_EINPUT, "%s: line %lu: unsupported record type S%d",
			       t->path, t->lineno, r->type);
	size_t digits = n - 2;
	if (digits % 2)
		return sg_errf(err, SG_EINPUT, "%s: line %lu: odd number of hex digits (%zu)",
			       t->path, t->lineno, digits);
	if (digits < 2)
		return sg_errf(err, SG_EINPUT, "%s: line %lu: record too short", t->path,
			       t->lineno);
	int rc = sg_text_hex(t, s + 2, digits, lead + 3, bytes, err);
	if (rc)
		return rc;
	size_t nbytes = digits / 2, alen = addr_len[r->type];
	if (nbytes != (size_t)bytes[0] + 1)
		return sg_errf(err, SG_EINPUT,
			       "%s: line %lu: byte count 0x%02X does not match the record length "
			       "(%zu bytes after the count)",
			       t->path, t->lineno, bytes[0], nbytes - 1);
	if (bytes[0] < alen + 1)
		return sg_errf(err, SG_EINPUT,
			       "%s: line %lu: byte count 0x%02X too small for an S%d record",
			       t->path, t->lineno, bytes[0], r->type);
	uint8_t sum = 0;
	for (size_t i = 0; i + 1 < nbytes; i++)
		sum = (uint8_t)(sum + bytes[i]);
	uint8_t want = (uint8_t)~sum, got = bytes[nbytes - 1];
	if (want != got)
		return sg_errf(err, SG_EINPUT,
			       "%s: line %lu: bad checksum (expected 0x%02X, got 0x%02X)", t->path,
			       t->lineno, want, got);
	r->addr = 0;
	for (size_t i = 0; i < alen; i++)
		r->addr = r->addr << 8 | bytes[1 + i];
	r->data = bytes + 1 + alen;
	r->len = nbytes - 2 - alen;
	return SG_OK;
}

struct srec_state {
	unsigned long data_records;
	bool done; /* terminator seen */
};

static int srec_apply(struct sg_text *t, struct sg_input *in, const struct srec_rec *r,
		      struct srec_state *st, struct sg_err *err)
{
	switch (r->type) {
	case 0:
		return SG_OK;
	case 1:
	case 2:
	case 3:
		if (r->addr + r->len > (1ull << 32))
			return sg_errf(err, SG_EINPUT,
				       "%s: line %lu: address out of range (0x%08" PRIX64
				       " + %zu bytes passes 4 GiB)",
				       t->path, t->lineno, r->addr, r->len);
		st->data_records++;
		return sg_text_data(t, r->addr, r->data, r->len, err);
	case 5:
	case 6:
		if (r->addr != st->data_records)
			return sg_errf(err, SG_EINPUT,
				       "%s: line %lu: record count %" PRIu64
				       " does not match %lu data records before it",
				       t->path, t->lineno, r->addr, st->data_records);
		return SG_OK;
	default: /* 7, 8, 9 */
		/* Zero is how the format says "no start address". */
		in->has_entry = r->addr != 0;
		in->entry = r->addr;
		st->done = true;
		return SG_OK;
	}
}

int sg_srec_parse(struct sg_text *t, struct sg_input *in, struct sg_err *err)
{
	uint8_t bytes[SG_TEXT_LINE_MAX / 2];
	struct srec_state st = { 0 };
	const char *s;
	size_t n;
	int rc;
	while ((rc = sg_text_line(t, &s, &n, err)) == SG_OK && s) {
		size_t lead = sg_text_trim(&s, &n);
		if (n == 0)
			continue; /* blank */
		if (st.done)
			return sg_errf(err, SG_EINPUT,
				       "%s: line %lu: data after the S7/S8/S9 termination record",
				       t->path, t->lineno);
		struct srec_rec r = { 0 };
		if ((rc = srec_decode(t, s, n, lead, bytes, &r, err)))
			return rc;
		if ((rc = srec_apply(t, in, &r, &st, err)))
			return rc;
	}
	if (rc)
		return rc;
	if (!st.done)
		return sg_errf(err, SG_EINPUT,
			       "%s: missing S7/S8/S9 termination record; file truncated?", t->path);
	return SG_OK;
}
