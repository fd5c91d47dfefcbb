/* Motorola S-record reader: S1/S2/S3 data, counts, terminators, and every
 * malformed-input message. */
#include <stdlib.h>
#include <string.h>

#include "input_util.h"

static const uint8_t seq[] = { 0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
			       16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31 };

static void srec_round_trip(void **state)
{
	struct tu_buf b = { 0 };
	tu_srec(&b, 0, 0, (const uint8_t *)"fw", 2);
	tu_srec(&b, 3, 0x08000000, seq, 16);
	tu_srec(&b, 3, 0x08000010, seq + 16, 16);
	tu_srec(&b, 3, 0x08000030, (const uint8_t *)"\xde\xad\xbe\xef", 4);
	tu_srec(&b, 5, 3, NULL, 0);
	tu_srec(&b, 7, 0x08000101, NULL, 0);
	const char *path = tu_write_str(state, "fw.srec", b.s);
	for (int pad = 0; pad < 2; pad++) {
		uint8_t p = pad ? 0x00 : 0xff;
		struct sg_input in;
		tu_open(&in, path, pad ? SG_INPUT_SREC : SG_INPUT_AUTO, p);
		assert_int_equal(in.format, SG_INPUT_SREC);
		assert_true(in.has_addr);
		assert_int_equal(in.base, 0x08000000);
		assert_int_equal(in.size, 0x34);
		assert_true(in.has_entry);
		assert_int_equal(in.entry, 0x08000101);
		assert_int_equal(in.nsegs, 2);
		uint8_t want[0x34];
		memcpy(want, seq, 32);
		memset(want + 32, p, 16);
		memcpy(want + 48, "\xde\xad\xbe\xef", 4);
		uint8_t *got = tu_read_all(&in, 3);
		assert_memory_equal(got, want, sizeof(want));
		free(got);
		sg_input_close(&in);
	}
	tu_buf_free(&b);
}

/* 16- and 24-bit data records with S9/S8 and an S6 count; CRLF endings. */
static void srec_short_addresses(void **state)
{
	struct tu_buf b = { 0 };
	tu_srec(&b, 1, 0x1000, seq, 8);
	tu_srec(&b, 2, 0x012000, seq + 8, 8);
	tu_srec(&b, 6, 2, NULL, 0);
	tu_srec(&b, 8, 0x012004, NULL, 0);
	struct sg_input in;
	tu_open(&in, tu_write_str(state, "s12.srec", b.s), SG_INPUT_SREC, 0xff);
	assert_int_equal(in.base, 0x1000);
	assert_int_equal(in.size, 0x11008);
	assert_int_equal(in.entry, 0x012004);
	uint8_t got[8];
	assert_int_equal(sg_input_read(&in, 0x11000, got, 8, NULL), SG_OK);
	assert_memory_equal(got, seq + 8, 8);
	assert_int_equal(sg_input_read(&in, 0, got, 8, NULL), SG_OK);
	assert_memory_equal(got, seq, 8);
	assert_int_equal(sg_input_read(&in, 8, got, 8, NULL), SG_OK);
	assert_memory_equal(got, "\xff\xff\xff\xff\xff\xff\xff\xff", 8);
	sg_input_close(&in);
	tu_buf_free(&b);

	/* S9 with a zero address: the conventional "no start address". */
	tu_open(&in, tu_write_str(state, "s9.srec", "S1050000AABB95\r\nS9030000FC\r\n\r\n"),
		SG_INPUT_AUTO, 0xff);
	assert_int_equal(in.format, SG_INPUT_SREC);
	assert_false(in.has_entry);
	assert_int_equal(in.size, 2);
	sg_input_close(&in);
}

static void srec_bad_checksum(void **state)
{
	tu_open_fails_str(state, "fw.srec", "S00600004844521B\nS1050000AABB94\nS9030000FC\n",
			  SG_INPUT_SREC, "fw.srec: line 2: bad checksum (expected 0x95, got 0x94)");
	/* The ignored header is still checked. */
	tu_open_fails_str(state, "hdr.srec", "S00600004844521C\nS1050000AABB95\nS9030000FC\n",
			  SG_INPUT_SREC, "line 1: bad checksum (expected 0x1B, got 0x1C)");
}

static void srec_bad_digit_and_count(void **state)
{
	tu_open_fails_str(state, "digit.srec", "S1050000AAXB94\nS9030000FC\n", SG_INPUT_SREC,
			  "line 1: bad hex digit 'X' at column 11");
	tu_open_fails_str(state, "count.srec", "S1060000AABB94\nS9030000FC\n", SG_INPUT_SREC,
			  "line 1: byte count 0x06 does not match the record length (5 bytes");
	tu_open_fails_str(state, "small.srec", "S10200FD\nS9030000FC\n", SG_INPUT_SREC,
			  "line 1: byte count 0x02 too small for an S1 record");
	tu_open_fails_str(state, "odd.srec", "S1050000AABB9\nS9030000FC\n", SG_INPUT_SREC,
			  "line 1: odd number of hex digits");
	tu_open_fails_str(state, "type.srec", "S4050000AABB94\nS9030000FC\n", SG_INPUT_SREC,
			  "line 1: unsupported record type S4");
	tu_open_fails_str(state, "typex.srec", "S1050000AABB95\nSX030000FC\n", SG_INPUT_SREC,
			  "line 2: bad record type");
	tu_open_fails_str(state, "noS.srec", "S1050000AABB95\n:030000FC\n", SG_INPUT_SREC,
			  "line 2: record does not start with 'S'");
}

static void srec_record_count(void **state)
{
	struct tu_buf b = { 0 };
	tu_srec(&b, 1, 0, seq, 4);
	tu_srec(&b, 1, 4, seq, 4);
	tu_srec(&b, 5, 3, NULL, 0);
	tu_srec(&b, 9, 0, NULL, 0);
	tu_open_fails_str(state, "cnt.srec", b.s, SG_INPUT_SREC,
			  "line 3: record count 3 does not match 2 data records before it");
	tu_buf_free(&b);
}

static void srec_missing_terminator(void **state)
{
	tu_open_fails_str(state, "noterm.srec", "S00600004844521B\nS1050000AABB95\n",
			  SG_INPUT_SREC, "noterm.srec: missing S7/S8/S9 termination record");
	tu_open_fails_str(state, "after.srec", "S1050000AABB95\nS9030000FC\nS1050002AABB93\n",
			  SG_INPUT_SREC, "line 3: data after the S7/S8/S9 termination record");
}

static void srec_overlap(void **state)
{
	struct tu_buf b = { 0 };
	tu_srec(&b, 0, 0, NULL, 0);
	tu_srec(&b, 3, 0x08001000, seq, 16);
	tu_srec(&b, 3, 0x08000000, seq, 16);
	tu_srec(&b, 3, 0x08000FF8, seq, 16);
	tu_srec(&b, 7, 0, NULL, 0);
	tu_open_fails_str(state, "ovl.srec", b.s, SG_INPUT_SREC,
			  "ovl.srec: line 4: data at 0x08001000 overlaps line 2");
	tu_buf_free(&b);
}

static void srec_address_range(void **state)
{
	struct tu_buf b = { 0 };
	tu_srec(&b, 3, 0xfffffff8, seq, 16);
	tu_srec(&b, 7, 0, NULL, 0);
	tu_open_fails_str(state, "range.srec", b.s, SG_INPUT_SREC,
			  "line 1: address out of range (0xFFFFFFF8 + 16 bytes passes 4 GiB)");
	tu_buf_free(&b);

	tu_srec(&b, 3, 0, seq, 1);
	tu_srec(&b, 3, 0x80000000, seq, 1);
	tu_srec(&b, 7, 0, NULL, 0);
	tu_open_fails_str(state, "span.srec", b.s, SG_INPUT_SREC, "over the 1073741824-byte limit");
	tu_buf_free(&b);
}

static void srec_no_data(void **state)
{
	tu_open_fails_str(state, "hdronly.srec", "S00600004844521B\nS9030000FC\n", SG_INPUT_SREC,
			  "hdronly.srec: no data");
	tu_open_fails_str(state, "empty.srec", "", SG_INPUT_SREC, "missing S7/S8/S9");
}

#define T(f) cmocka_unit_test_setup_teardown(f, tu_setup, tu_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(srec_round_trip),     T(srec_short_addresses),   T(srec_bad_checksum),
		T(srec_bad_digit_and_count), T(srec_record_count), T(srec_missing_terminator),
		T(srec_overlap),        T(srec_address_range),     T(srec_no_data),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
