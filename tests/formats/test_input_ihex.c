/* Intel HEX reader: round trips, record types, line endings, merging,
 * segment limits, and every malformed-input message. */
#include <stdlib.h>
#include <string.h>

#include "input_util.h"

static const uint8_t seq[] = { 0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
			       16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31 };

/* ELA 0x0800, 32 bytes at 0x08000000 (two records), a 16-byte gap, 4 bytes at
 * 0x08000030, start linear 0x08000101. */
static void basic_hex(struct tu_buf *b)
{
	tu_ihex(b, 4, 0, (const uint8_t[]){ 0x08, 0x00 }, 2);
	tu_ihex(b, 0, 0x0000, seq, 16);
	tu_ihex(b, 0, 0x0010, seq + 16, 16);
	tu_ihex(b, 0, 0x0030, (const uint8_t[]){ 0xde, 0xad, 0xbe, 0xef }, 4);
	tu_ihex(b, 5, 0, (const uint8_t[]){ 0x08, 0x00, 0x01, 0x01 }, 4);
	tu_ihex(b, 1, 0, NULL, 0);
}

static void check_basic(struct sg_input *in, uint8_t pad)
{
	assert_int_equal(in->format, SG_INPUT_IHEX);
	assert_true(in->has_addr);
	assert_int_equal(in->base, 0x08000000);
	assert_int_equal(in->size, 0x34);
	assert_true(in->has_entry);
	assert_int_equal(in->entry, 0x08000101);
	assert_int_equal(in->pad, pad);
	/* The two touching records are one segment. */
	assert_int_equal(in->nsegs, 2);
	assert_int_equal(in->segs[0].addr, 0x08000000);
	assert_int_equal(in->segs[0].size, 32);
	assert_non_null(in->segs[0].data);
	assert_int_equal(in->segs[1].addr, 0x08000030);
	assert_int_equal(in->segs[1].size, 4);

	uint8_t want[0x34];
	memcpy(want, seq, 32);
	memset(want + 32, pad, 16);
	memcpy(want + 48, "\xde\xad\xbe\xef", 4);
	for (size_t chunk = 1; chunk <= 0x34; chunk += 5) {
		uint8_t *got = tu_read_all(in, chunk);
		assert_memory_equal(got, want, sizeof(want));
		free(got);
	}
}

static void ihex_round_trip(void **state)
{
	struct tu_buf b = { 0 };
	basic_hex(&b);
	const char *path = tu_write_str(state, "fw.hex", b.s);
	struct sg_input in;
	tu_open(&in, path, SG_INPUT_IHEX, 0xff);
	check_basic(&in, 0xff);
	sg_input_close(&in);
	tu_open(&in, path, SG_INPUT_IHEX, 0x5a);
	check_basic(&in, 0x5a);
	sg_input_close(&in);
	tu_open(&in, path, SG_INPUT_AUTO, 0xff);
	check_basic(&in, 0xff);
	sg_input_close(&in);
	tu_buf_free(&b);
}

/* Types 02 and 03: 20-bit real-mode addresses. */
static void ihex_segment_records(void **state)
{
	struct tu_buf b = { 0 };
	tu_ihex(&b, 2, 0, (const uint8_t[]){ 0x12, 0x34 }, 2);
	tu_ihex(&b, 0, 0x0004, (const uint8_t[]){ 0xaa, 0xbb }, 2);
	tu_ihex(&b, 3, 0, (const uint8_t[]){ 0x12, 0x34, 0x00, 0x04 }, 4);
	tu_ihex(&b, 1, 0, NULL, 0);
	struct sg_input in;
	tu_open(&in, tu_write_str(state, "seg.hex", b.s), SG_INPUT_IHEX, 0xff);
	assert_int_equal(in.base, 0x12344);
	assert_int_equal(in.size, 2);
	assert_true(in.has_entry);
	assert_int_equal(in.entry, 0x12344);
	uint8_t got[2];
	assert_int_equal(sg_input_read(&in, 0, got, 2, NULL), SG_OK);
	assert_memory_equal(got, "\xaa\xbb", 2);
	sg_input_close(&in);
	tu_buf_free(&b);
}

/* No start record: no entry. A record may run past its 64 KiB window. */
static void ihex_no_entry_linear_run(void **state)
{
	struct tu_buf b = { 0 };
	tu_ihex(&b, 0, 0xfffe, (const uint8_t[]){ 1, 2, 3, 4 }, 4);
	tu_ihex(&b, 0, 0x0002, (const uint8_t[]){ 9 }, 1);
	tu_ihex(&b, 1, 0, NULL, 0);
	struct sg_input in;
	tu_open(&in, tu_write_str(state, "lin.hex", b.s), SG_INPUT_IHEX, 0xff);
	assert_false(in.has_entry);
	assert_int_equal(in.base, 0x0002);
	assert_int_equal(in.size, 0x10000);
	assert_int_equal(in.nsegs, 2);
	assert_int_equal(in.segs[0].addr, 0x0002);
	assert_int_equal(in.segs[0].size, 1);
	assert_int_equal(in.segs[1].addr, 0xfffe);
	assert_int_equal(in.segs[1].size, 4);
	uint8_t got[4];
	assert_int_equal(sg_input_read(&in, 0xfffc, got, 4, NULL), SG_OK);
	assert_memory_equal(got, "\x01\x02\x03\x04", 4);
	sg_input_close(&in);
	tu_buf_free(&b);
}

/* CRLF, lone CR, a BOM, lower-case digits, blank and whitespace lines,
 * trailing spaces, blank lines after EOF, and no final newline. */
static void ihex_line_endings(void **state)
{
	const char *text = "\xef\xbb\xbf:020000040800f2\r\n"
			   "\r\n"
			   "  \t\r\n"
			   ":0400000001020304f2  \r"
			   ":00000001ff\n"
			   "\n\r\n";
	struct sg_input in;
	tu_open(&in, tu_write_str(state, "crlf.hex", text), SG_INPUT_AUTO, 0xff);
	assert_int_equal(in.format, SG_INPUT_IHEX);
	assert_int_equal(in.base, 0x08000000);
	assert_int_equal(in.size, 4);
	uint8_t got[4];
	assert_int_equal(sg_input_read(&in, 0, got, 4, NULL), SG_OK);
	assert_memory_equal(got, "\x01\x02\x03\x04", 4);
	sg_input_close(&in);

	tu_open(&in, tu_write_str(state, "nonl.hex", ":0100000042BD\n:00000001FF"),
		SG_INPUT_IHEX, 0xff);
	assert_int_equal(in.size, 1);
	sg_input_close(&in);

	/* Line numbers count CRLF once and a lone CR as a line end. */
	tu_open_fails_str(state, "crlf-bad.hex",
			  ":0100000042BD\r\n\r\n:0100010042BD\r:00000001FF\r\n", SG_INPUT_IHEX,
			  "line 3: bad checksum (expected 0xBC, got 0xBD)");

	/* A CRLF split across the reader's 64 KiB buffers is still one line
	 * end: " " and 32768 CRLFs put the last CR at byte 65535. */
	struct tu_buf b = { 0 };
	tu_addf(&b, " ");
	for (int i = 0; i < 32768; i++)
		tu_addf(&b, "\r\n");
	assert_int_equal(b.s[65535], '\r');
	tu_addf(&b, ":0100010042BD\r\n");
	tu_open_fails_str(state, "split.hex", b.s, SG_INPUT_IHEX, "line 32769: bad checksum");
	tu_buf_free(&b);
}

/* Records written backwards still merge into one segment. */
static void ihex_out_of_order_merge(void **state)
{
	struct tu_buf b = { 0 };
	tu_ihex(&b, 0, 0x0120, seq + 16, 16);
	tu_ihex(&b, 0, 0x0110, seq, 16);
	tu_ihex(&b, 0, 0x0200, seq, 1);
	tu_ihex(&b, 0, 0x0100, seq + 8, 16);
	tu_ihex(&b, 1, 0, NULL, 0);
	struct sg_input in;
	tu_open(&in, tu_write_str(state, "rev.hex", b.s), SG_INPUT_IHEX, 0xee);
	assert_int_equal(in.nsegs, 2);
	assert_int_equal(in.base, 0x100);
	assert_int_equal(in.size, 0x101);
	assert_int_equal(in.segs[0].size, 48);
	uint8_t *got = tu_read_all(&in, 64);
	assert_memory_equal(got, seq + 8, 8);
	assert_memory_equal(got + 8, seq + 16, 8);
	assert_memory_equal(got + 16, seq, 32);
	for (size_t i = 48; i < 0x100; i++)
		assert_int_equal(got[i], 0xee);
	assert_int_equal(got[0x100], 0);
	free(got);
	sg_input_close(&in);
	tu_buf_free(&b);
}

/* SG_INPUT_MAX_SEGMENTS separate runs are fine and read back correctly
 * whatever the chunking and order; one more is refused. */
static void ihex_many_segments(void **state)
{
	struct tu_buf b = { 0 };
	uint64_t span = 3 * SG_INPUT_MAX_SEGMENTS - 1;
	uint8_t *want = malloc(span);
	assert_non_null(want);
	memset(want, 0xff, span);
	for (unsigned i = 0; i < SG_INPUT_MAX_SEGMENTS; i++) {
		uint8_t d[2] = { (uint8_t)i, (uint8_t)(i >> 8) };
		tu_ihex(&b, 0, 3 * i, d, 2);
		memcpy(want + 3 * i, d, 2);
	}
	struct tu_buf ok = { 0 };
	tu_addf(&ok, "%s", b.s);
	tu_ihex(&ok, 1, 0, NULL, 0);
	struct sg_input in;
	tu_open(&in, tu_write_str(state, "many.hex", ok.s), SG_INPUT_IHEX, 0xff);
	assert_int_equal(in.nsegs, SG_INPUT_MAX_SEGMENTS);
	assert_int_equal(in.size, span);
	size_t chunks[] = { 1, 2, 7, 4096, 65536 };
	for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
		uint8_t *got = tu_read_all(&in, chunks[c]);
		assert_memory_equal(got, want, span);
		free(got);
	}
	/* Backwards and scattered reads use the same data. */
	uint8_t got[5];
	for (uint64_t off = span - 5;; off -= 37) {
		assert_int_equal(sg_input_read(&in, off, got, 5, NULL), SG_OK);
		assert_memory_equal(got, want + off, 5);
		if (off < 37)
			break;
	}
	struct sg_err err = { 0 };
	assert_int_equal(sg_input_read(&in, span - 1, got, 2, &err), SG_EINPUT);
	assert_non_null(strstr(err.msg, "past the end"));
	sg_input_close(&in);

	tu_ihex(&b, 0, 0xf000, seq, 1);
	tu_ihex(&b, 1, 0, NULL, 0);
	tu_open_fails_str(state, "toomany.hex", b.s, SG_INPUT_IHEX,
			  "too many separate segments (4097, limit 4096)");
	tu_buf_free(&b);
	tu_buf_free(&ok);
	free(want);
}

static void ihex_bad_checksum(void **state)
{
	tu_open_fails_str(state, "fw.hex", ":020000040800F2\n:0400000001020304F3\n:00000001FF\n",
			  SG_INPUT_IHEX, "fw.hex: line 2: bad checksum (expected 0xF2, got 0xF3)");
	tu_open_fails_str(state, "eofsum.hex", ":00000001FE\n", SG_INPUT_IHEX,
			  "line 1: bad checksum (expected 0xFF, got 0xFE)");
}

static void ihex_bad_hex_digit(void **state)
{
	tu_open_fails_str(state, "digit.hex", ":04000000010G0304F2\n:00000001FF\n", SG_INPUT_IHEX,
			  "line 1: bad hex digit 'G' at column 13");
	/* Columns count leading blanks, which are otherwise ignored. */
	tu_open_fails_str(state, "indent2.hex", " \t:04000000010G0304F2\n:00000001FF\n",
			  SG_INPUT_IHEX, "line 1: bad hex digit 'G' at column 15");
	tu_open_fails_str(state, "nul.hex", ":0400000001\x01" "20304F2\n:00000001FF\n",
			  SG_INPUT_IHEX, "line 1: bad hex digit (byte 0x01) at column 12");
	tu_open_fails_str(state, "odd.hex", ":0400000001020304F\n:00000001FF\n", SG_INPUT_IHEX,
			  "line 1: odd number of hex digits");
}

static void ihex_bad_byte_count(void **state)
{
	tu_open_fails_str(state, "count.hex", ":05000000010203F2\n:00000001FF\n", SG_INPUT_IHEX,
			  "line 1: byte count 0x05 does not match the record length (3 data bytes)");
	tu_open_fails_str(state, "short.hex", ":0000000\n", SG_INPUT_IHEX,
			  "line 1: record too short");
	tu_open_fails_str(state, "ela.hex", ":03000004080000F1\n:00000001FF\n", SG_INPUT_IHEX,
			  "line 1: extended linear address record needs 2 data bytes, has 3");
	tu_open_fails_str(state, "eofdata.hex", ":01000001AA54\n", SG_INPUT_IHEX,
			  "line 1: EOF record needs 0 data bytes, has 1");
}

static void ihex_missing_eof(void **state)
{
	tu_open_fails_str(state, "noeof.hex", ":0400000001020304F2\n", SG_INPUT_IHEX,
			  "noeof.hex: missing EOF record");
	tu_open_fails_str(state, "after.hex", ":00000001FF\n\n:0400000001020304F2\n",
			  SG_INPUT_IHEX, "line 3: data after the EOF record");
}

static void ihex_overlap(void **state)
{
	struct tu_buf b = { 0 };
	tu_ihex(&b, 4, 0, (const uint8_t[]){ 0x08, 0x00 }, 2);
	tu_ihex(&b, 0, 0x0000, seq, 16);
	tu_ihex(&b, 0, 0x1000, seq, 16);
	tu_ihex(&b, 0, 0x1008, seq, 4);
	tu_ihex(&b, 1, 0, NULL, 0);
	tu_open_fails_str(state, "ovl.hex", b.s, SG_INPUT_IHEX,
			  "ovl.hex: line 4: data at 0x08001008 overlaps line 3");
	tu_buf_free(&b);

	/* The same record twice. */
	tu_open_fails_str(state, "dup.hex", ":0100000042BD\n:0100000042BD\n:00000001FF\n",
			  SG_INPUT_IHEX, "line 2: data at 0x00000000 overlaps line 1");
}

static void ihex_address_range(void **state)
{
	struct tu_buf b = { 0 };
	tu_ihex(&b, 4, 0, (const uint8_t[]){ 0xff, 0xff }, 2);
	tu_ihex(&b, 0, 0xfff0, seq, 16); /* ends exactly at 4 GiB: fine */
	tu_ihex(&b, 1, 0, NULL, 0);
	struct sg_input in;
	tu_open(&in, tu_write_str(state, "top.hex", b.s), SG_INPUT_IHEX, 0xff);
	assert_int_equal(in.base, 0xfffffff0);
	assert_int_equal(in.size, 16);
	sg_input_close(&in);
	tu_buf_free(&b);

	tu_ihex(&b, 4, 0, (const uint8_t[]){ 0xff, 0xff }, 2);
	tu_ihex(&b, 0, 0xfff8, seq, 16);
	tu_ihex(&b, 1, 0, NULL, 0);
	tu_open_fails_str(state, "range.hex", b.s, SG_INPUT_IHEX,
			  "line 2: address out of range (0xFFFFFFF8 + 16 bytes passes 4 GiB)");
	tu_buf_free(&b);

	/* Data 1 GiB + 1 byte apart: the padded span is refused. */
	tu_ihex(&b, 0, 0, seq, 1);
	tu_ihex(&b, 4, 0, (const uint8_t[]){ 0x40, 0x00 }, 2);
	tu_ihex(&b, 0, 0, seq, 1);
	tu_ihex(&b, 1, 0, NULL, 0);
	tu_open_fails_str(state, "span.hex", b.s, SG_INPUT_IHEX,
			  "data spans 0x00000000..0x40000000 (1073741825 bytes), over the "
			  "1073741824-byte limit");
	tu_buf_free(&b);
}

static void ihex_bad_records(void **state)
{
	tu_open_fails_str(state, "type.hex", ":00000006FA\n:00000001FF\n", SG_INPUT_IHEX,
			  "line 1: unknown record type 0x06");
	tu_open_fails_str(state, "start.hex", "0400000001020304F2\n:00000001FF\n", SG_INPUT_IHEX,
			  "line 1: record does not start with ':'");
	tu_open_fails_str(state, "entry.hex",
			  ":0400000508000101ED\n:0400000508000201EC\n:00000001FF\n", SG_INPUT_IHEX,
			  "line 2: second start address 0x08000201 differs from 0x08000101");
	char *longline = malloc(2000);
	assert_non_null(longline);
	memset(longline, '0', 1999);
	longline[0] = ':';
	longline[1999] = 0;
	tu_open_fails_str(state, "long.hex", longline, SG_INPUT_IHEX,
			  "line 1: line too long (over 1024 characters)");
	free(longline);
}

static void ihex_no_data(void **state)
{
	tu_open_fails_str(state, "empty.hex", ":00000001FF\n", SG_INPUT_IHEX, "no data");
	tu_open_fails_str(state, "zero.hex", ":020000040800F2\n:00000000000\n:00000001FF\n",
			  SG_INPUT_IHEX, "odd number");
	tu_open_fails_str(state, "zerolen.hex", ":00001000F0\n:00000001FF\n", SG_INPUT_IHEX,
			  "no data");
	tu_open_fails_str(state, "nothing.hex", "", SG_INPUT_IHEX, "missing EOF record");
}

#define T(f) cmocka_unit_test_setup_teardown(f, tu_setup, tu_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(ihex_round_trip),     T(ihex_segment_records), T(ihex_no_entry_linear_run),
		T(ihex_line_endings),   T(ihex_out_of_order_merge), T(ihex_many_segments),
		T(ihex_bad_checksum),   T(ihex_bad_hex_digit),   T(ihex_bad_byte_count),
		T(ihex_missing_eof),    T(ihex_overlap),         T(ihex_address_range),
		T(ihex_bad_records),    T(ihex_no_data),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
