/* Raw binary reader, format detection and names, and the read contract:
 * bounds, file errors, sequential streaming of a large file. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "input_util.h"

static void bin_round_trip(void **state)
{
	uint8_t data[1000];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	struct sg_input in;
	tu_open(&in, tu_write(state, "fw.bin", data, sizeof(data)), SG_INPUT_BIN, 0xff);
	assert_int_equal(in.format, SG_INPUT_BIN);
	assert_false(in.has_addr);
	assert_false(in.has_entry);
	assert_int_equal(in.base, 0);
	assert_int_equal(in.size, sizeof(data));
	assert_int_equal(in.nsegs, 1);
	assert_null(in.segs[0].data);
	assert_int_equal(in.segs[0].file_off, 0);
	uint8_t *got = tu_read_all(&in, 99);
	assert_memory_equal(got, data, sizeof(data));
	free(got);
	uint8_t mid[10];
	assert_int_equal(sg_input_read(&in, 500, mid, 10, NULL), SG_OK);
	assert_memory_equal(mid, data + 500, 10);
	struct sg_err err = { 0 };
	assert_int_equal(sg_input_read(&in, 995, mid, 10, &err), SG_EINPUT);
	assert_non_null(strstr(err.msg, "fw.bin: read past the end of the payload"));
	assert_int_equal(sg_input_read(&in, UINT64_MAX, mid, 1, &err), SG_EINPUT);
	assert_int_equal(sg_input_read(&in, 1000, mid, 0, NULL), SG_OK);
	sg_input_close(&in);
	sg_input_close(&in); /* closing twice is harmless */
}

static void bin_empty_and_missing(void **state)
{
	tu_open_fails(state, "empty.bin", "", 0, SG_INPUT_BIN, SG_EINPUT, "no data");
	tu_open_fails(state, "empty.any", "", 0, SG_INPUT_AUTO, SG_EINPUT, "no data");
	tu_open_fails(state, "empty.hex", "", 0, SG_INPUT_IHEX, SG_EINPUT, "missing EOF");

	struct sg_input in;
	struct sg_err err = { 0 };
	const char *missing = tu_path(state, "missing.bin");
	assert_int_equal(sg_input_open(&in, missing, SG_INPUT_AUTO, 0xff, 0, &err), SG_EINPUT);
	assert_non_null(strstr(err.msg, "missing.bin: cannot open: No such file"));
	assert_null(in.fp);

	const char *dir = tu_path(state, "");
	assert_int_equal(sg_input_open(&in, dir, SG_INPUT_AUTO, 0xff, 0, &err), SG_EINPUT);
	assert_non_null(strstr(err.msg, "not a regular file"));

	const char *ok = tu_write(state, "x.bin", "x", 1);
	assert_int_equal(sg_input_open(&in, ok, (enum sg_input_format)42, 0xff, 0, &err), SG_EINPUT);
	assert_non_null(strstr(err.msg, "unknown input format"));
}

/* The span limit holds for raw binary too (its span is its size), and for
 * text, exactly at the caller's limit. */
static void span_limit_every_format(void **state)
{
	static const char hex[] = ":0100000042BD\n:0100FF0042BE\n:00000001FF\n";
	uint8_t bin[100] = { 0 };
	const char *paths[] = { tu_write(state, "s.bin", bin, sizeof(bin)),
				tu_write_str(state, "s.hex", hex) };
	const uint64_t spans[] = { 100, 256 };
	for (int i = 0; i < 2; i++) {
		struct sg_input in;
		struct sg_err err = { 0 };
		assert_int_equal(sg_input_open(&in, paths[i], SG_INPUT_AUTO, 0xff, spans[i] - 1, &err),
				 SG_EINPUT);
		/* The library names its parameter, not the CLI's option. */
		assert_non_null(strstr(err.msg, "-byte limit"));
		assert_null(strstr(err.msg, "--"));
		assert_string_equal(err.param, "max_span");
		if (sg_input_open(&in, paths[i], SG_INPUT_AUTO, 0xff, spans[i], &err))
			fail_msg("%s", err.msg);
		assert_int_equal(in.size, spans[i]);
		sg_input_close(&in);
	}
}

static enum sg_input_format detect(void **state, const char *name, const void *data, size_t len)
{
	struct sg_input in;
	struct sg_err err = { 0 };
	const char *path = tu_write(state, name, data, len);
	if (sg_input_open(&in, path, SG_INPUT_AUTO, 0xff, 0, &err) != SG_OK)
		fail_msg("%s: %s", name, err.msg);
	enum sg_input_format f = in.format;
	sg_input_close(&in);
	return f;
}

static void auto_detect(void **state)
{
	static const char hex[] = ":0100000042BD\n:00000001FF\n";
	static const char srec[] = "S1050000AABB95\nS9030000FC\n";
	assert_int_equal(detect(state, "a.hex", hex, strlen(hex)), SG_INPUT_IHEX);
	assert_int_equal(detect(state, "a.srec", srec, strlen(srec)), SG_INPUT_SREC);
	char buf[64];
	snprintf(buf, sizeof(buf), "\xef\xbb\xbf\r\n  %s", hex);
	assert_int_equal(detect(state, "bom.hex", buf, strlen(buf)), SG_INPUT_IHEX);
	snprintf(buf, sizeof(buf), "\n\n%s", srec);
	assert_int_equal(detect(state, "nl.srec", buf, strlen(buf)), SG_INPUT_SREC);
	/* Near misses are binaries. */
	assert_int_equal(detect(state, "s.bin", "Sx05", 4), SG_INPUT_BIN);
	assert_int_equal(detect(state, "c.bin", ":zz", 3), SG_INPUT_BIN);
	assert_int_equal(detect(state, "e.bin", "\x7f" "EL", 3), SG_INPUT_BIN);
	assert_int_equal(detect(state, "v.bin", "\x00\x10\x00\x20\x09\x01\x00\x08", 8),
			 SG_INPUT_BIN);
	/* ELF by magic alone; the rest is then checked as ELF. */
	tu_open_fails(state, "a.elf", "\x7f" "ELF\x01\x01\x01", 7, SG_INPUT_AUTO, SG_EINPUT,
		      "truncated ELF header");
	/* A forced format wins over content. */
	struct sg_input in;
	tu_open(&in, tu_write(state, "forced.bin", hex, strlen(hex)), SG_INPUT_BIN, 0xff);
	assert_int_equal(in.format, SG_INPUT_BIN);
	assert_int_equal(in.size, strlen(hex));
	sg_input_close(&in);
}

static void format_names(void **state)
{
	(void)state;
	assert_string_equal(sg_input_format_name(SG_INPUT_AUTO), "auto");
	assert_string_equal(sg_input_format_name(SG_INPUT_BIN), "bin");
	assert_string_equal(sg_input_format_name(SG_INPUT_IHEX), "ihex");
	assert_string_equal(sg_input_format_name(SG_INPUT_SREC), "srec");
	assert_string_equal(sg_input_format_name(SG_INPUT_ELF), "elf");
	assert_string_equal(sg_input_format_name((enum sg_input_format)99), "unknown");
	assert_int_equal(sg_input_format_parse("auto"), SG_INPUT_AUTO);
	assert_int_equal(sg_input_format_parse("bin"), SG_INPUT_BIN);
	assert_int_equal(sg_input_format_parse("ihex"), SG_INPUT_IHEX);
	assert_int_equal(sg_input_format_parse("hex"), SG_INPUT_IHEX);
	assert_int_equal(sg_input_format_parse("srec"), SG_INPUT_SREC);
	assert_int_equal(sg_input_format_parse("elf"), SG_INPUT_ELF);
	assert_int_equal(sg_input_format_parse("ELF"), -1);
	assert_int_equal(sg_input_format_parse(""), -1);
	assert_int_equal(sg_input_format_parse("binary"), -1);
}

/* A 1 GiB sparse file read sequentially in 64 KiB chunks: the bytes at
 * both ends come back, memory stays flat, and it takes well under the
 * time a per-call scan or small reads would. */
static void bin_large_sequential(void **state)
{
	const uint64_t size = 1ull << 30;
	const char *path = tu_path(state, "big.bin");
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "head", 4, 0), 4);
	assert_int_equal(pwrite(fd, "tail", 4, (off_t)(size - 4)), 4);
	assert_int_equal(close(fd), 0);

	struct sg_input in;
	tu_open(&in, path, SG_INPUT_AUTO, 0xff);
	assert_int_equal(in.format, SG_INPUT_BIN);
	assert_int_equal(in.size, size);
	static uint8_t buf[65536];
	uint64_t sum = 0;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (uint64_t off = 0; off < size; off += sizeof(buf)) {
		assert_int_equal(sg_input_read(&in, off, buf, sizeof(buf), NULL), SG_OK);
		if (off == 0)
			assert_memory_equal(buf, "head", 4);
		sum += buf[sizeof(buf) / 2];
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_memory_equal(buf + sizeof(buf) - 4, "tail", 4);
	assert_int_equal(sum, 0);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	print_message("1 GiB in 64 KiB reads: %.2f s\n", s);
	sg_input_close(&in);
	unlink(path);
}

#define T(f) cmocka_unit_test_setup_teardown(f, tu_setup, tu_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(bin_round_trip), T(bin_empty_and_missing), T(auto_detect),
		T(format_names),   T(bin_large_sequential), T(span_limit_every_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
