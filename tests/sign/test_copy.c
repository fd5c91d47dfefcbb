/* The payload pass (sign/copy.c) on real files: the output holds the
 * payload at an unaligned offset and the digest is of those bytes, for a
 * mapped input (raw binary) and a buffered one (Intel HEX with a gap across
 * chunk boundaries); and writeback is started only for whole pages that the
 * rest of the signing run no longer writes to (the header page, the page
 * the next chunk continues, the page the signature area shares), each page
 * once; the same for an MCUboot image (sign/mcuboot_sign.c); and a write to
 * the input during the pass fails it.
 * sg_atomic_start_writeback is wrapped (-Wl,--wrap) to record the ranges;
 * the wrapper passes them on. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "signet/atomic_file.h"
#include "copy_priv.h"
#include "input_util.h"
#include "signet/mcuboot_sign.h"
#include "signet/request.h"

#define OUT_OFF 193 /* a header's worth: not page-aligned */
#define MAX_RANGES 4096

static struct {
	long long off;
	size_t len;
} ranges[MAX_RANGES];
static size_t nranges;
static const char *change_input; /* written to at the first writeback */

void __real_sg_atomic_start_writeback(struct sg_atomic_file *f, long long off, size_t len);
void __wrap_sg_atomic_start_writeback(struct sg_atomic_file *f, long long off, size_t len);

void __wrap_sg_atomic_start_writeback(struct sg_atomic_file *f, long long off, size_t len)
{
	assert_true(nranges < MAX_RANGES);
	ranges[nranges].off = off;
	ranges[nranges].len = len;
	nranges++;
	if (change_input) { /* a build rewriting the input mid-run */
		FILE *fp = fopen(change_input, "r+b");
		assert_non_null(fp);
		fputc(0x5a, fp);
		fclose(fp);
		change_input = NULL;
	}
	__real_sg_atomic_start_writeback(f, off, len);
}

/* The started ranges are whole pages, in order, each page once, and cover
 * exactly the pages lying wholly inside [start, end). */
static void check_writeback(uint64_t start, uint64_t end_bytes)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t first = (start + page - 1) / page * page;
	uint64_t end = end_bytes / page * page;
	uint64_t at = first;
	for (size_t i = 0; i < nranges; i++) {
		assert_int_equal((uint64_t)ranges[i].off % page, 0);
		assert_int_equal(ranges[i].len % page, 0);
		assert_int_equal((uint64_t)ranges[i].off, at);
		at += ranges[i].len;
	}
	assert_int_equal(at, end > first ? end : first);
}

/* Runs the pass over path into an output and checks digest, writeback and
 * the bytes the committed output holds. */
static void copy_and_check(void **state, const char *path, enum sg_input_format fmt)
{
	struct sg_input in;
	tu_open(&in, path, fmt, 0xa5);
	uint8_t *want = tu_read_all(&in, 65536);
	uint8_t want_digest[32], digest[32];
	assert_int_equal(EVP_Digest(want, in.size, want_digest, NULL, EVP_sha256(), NULL), 1);

	struct sg_atomic_file out;
	struct sg_err err;
	const char *out_path = tu_path(state, "out.sgn");
	assert_int_equal(sg_atomic_open(&out, out_path, &err), SG_OK);
	nranges = 0;
	assert_int_equal(sg_copy_hash(&in, &out, OUT_OFF, EVP_sha256(), digest, &err), SG_OK);
	assert_memory_equal(digest, want_digest, sizeof(digest));
	check_writeback(OUT_OFF, OUT_OFF + in.size);
	assert_int_equal(sg_atomic_commit(&out, &err), SG_OK);

	uint8_t *got = malloc(in.size);
	FILE *fp = fopen(out_path, "rb");
	assert_non_null(got);
	assert_non_null(fp);
	assert_int_equal(fseek(fp, OUT_OFF, SEEK_SET), 0);
	assert_int_equal(fread(got, 1, in.size, fp), in.size);
	assert_int_equal(fgetc(fp), EOF);
	fclose(fp);
	assert_memory_equal(got, want, in.size);
	free(got);
	free(want);
	sg_input_close(&in);
}

/* Writes n bytes that do not repeat within a chunk as name. */
static const char *write_image(void **state, const char *name, size_t n)
{
	uint8_t *data = malloc(n);
	assert_non_null(data);
	for (size_t i = 0; i < n; i++)
		data[i] = (uint8_t)((i * 2654435761u) >> 13);
	const char *path = tu_write(state, name, data, n);
	free(data);
	return path;
}

/* Raw binary, several chunks and an odd tail: mapped from the input. */
static void test_raw_binary(void **state)
{
	copy_and_check(state, write_image(state, "fw.bin", 9 * 1024 * 1024 + 4097), SG_INPUT_BIN);
}

/* Intel HEX: decoded data, then pad bytes spanning chunk boundaries, then
 * data again: every chunk is read into a buffer. */
static void test_hex_with_gap(void **state)
{
	struct tu_buf b = { 0 };
	uint8_t data[32], upper[2] = { 0x00, 0x50 };
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 37 + 1);
	tu_ihex(&b, 0, 0x0000, data, sizeof(data));
	tu_ihex(&b, 4, 0x0000, upper, sizeof(upper)); /* 0x00500000 */
	tu_ihex(&b, 0, 0x0123, data, sizeof(data));
	tu_ihex(&b, 1, 0x0000, NULL, 0);
	const char *path = tu_write_str(state, "fw.hex", b.s);
	tu_buf_free(&b);
	copy_and_check(state, path, SG_INPUT_IHEX);
}

/* The input is hashed and copied at different moments: a write to it
 * during the pass fails it rather than sign bytes the output lacks. */
static void test_input_changed(void **state)
{
	const char *path = write_image(state, "fw.bin", 5 * 1024 * 1024);
	/* An old time stamp, so the write changes it on any clock granularity. */
	struct timespec old[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	assert_int_equal(utimensat(AT_FDCWD, path, old, 0), 0);
	struct sg_input in;
	tu_open(&in, path, SG_INPUT_BIN, 0xff);
	struct sg_atomic_file out;
	struct sg_err err;
	uint8_t digest[32];
	assert_int_equal(sg_atomic_open(&out, tu_path(state, "out.sgn"), &err), SG_OK);
	change_input = path;
	assert_int_equal(sg_copy_hash(&in, &out, OUT_OFF, EVP_sha256(), digest, &err), SG_EENV);
	assert_null(change_input);
	assert_non_null(strstr(err.msg, "fw.bin: changed while being signed"));
	sg_atomic_abort(&out);
	sg_input_close(&in);
}

/* An MCUboot signing request (no token needed): header area, then the
 * image at the request's odd offset, then the protected TLVs. */
static void test_mcuboot_image(void **state)
{
	size_t n = 3 * 1024 * 1024 + 777;
	const char *dir = getenv("SIGNET_SOURCE_DIR");
	assert_non_null(dir);
	char pub[4096];
	snprintf(pub, sizeof(pub), "%s/tests/vectors/mcuboot/test-ed25519.pub.pem", dir);
	struct sg_mcuboot_opts o;
	memset(&o, 0, sizeof(o));
	o.in_path = write_image(state, "app.bin", n);
	o.out_path = tu_path(state, "app.req");
	o.in_format = SG_INPUT_BIN;
	o.version = (struct sg_version){ 1, 2, 3, 0 };
	o.header_size = 0x200;
	o.pad_header = true;
	o.prepare_pubkey = pub;
	struct sg_err err;
	nranges = 0;
	assert_int_equal(sg_mcuboot_sign_file(&o, NULL, &err), SG_OK);
	uint64_t image = SG_REQ_HEADER_SIZE + SG_REQ_MCUBOOT_PARAMS_SIZE;
	check_writeback(image, image + o.header_size + n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_raw_binary, tu_setup, tu_teardown),
		cmocka_unit_test_setup_teardown(test_hex_with_gap, tu_setup, tu_teardown),
		cmocka_unit_test_setup_teardown(test_input_changed, tu_setup, tu_teardown),
		cmocka_unit_test_setup_teardown(test_mcuboot_image, tu_setup, tu_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
