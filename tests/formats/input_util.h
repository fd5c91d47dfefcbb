/* Helpers for the input reader tests: a scratch directory per test, record
 * builders with correct checksums, and one-call checks of a whole payload or
 * an expected error. */
#ifndef SIGNET_TEST_INPUT_UTIL_H
#define SIGNET_TEST_INPUT_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "signet/input.h"

/* cmocka setup/teardown: *state becomes a fresh mkdtemp directory, removed
 * with its contents afterwards. */
int tu_setup(void **state);
int tu_teardown(void **state);

/* Writes a file into the test directory; the path lives until teardown. */
const char *tu_write(void **state, const char *name, const void *data, size_t len);
const char *tu_write_str(void **state, const char *name, const char *text);
/* The path a file of that name would have (for files made by tools). */
const char *tu_path(void **state, const char *name);

/* A growing text buffer. */
struct tu_buf {
	char *s;
	size_t len, cap;
};
void tu_addf(struct tu_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tu_buf_free(struct tu_buf *b);

/* Appends one record with a correct checksum and "\n". */
void tu_ihex(struct tu_buf *b, unsigned type, unsigned addr16, const uint8_t *data, size_t n);
void tu_srec(struct tu_buf *b, unsigned type, uint32_t addr, const uint8_t *data, size_t n);

/* Reads the whole payload in chunks of chunk bytes into a malloc'ed buffer. */
uint8_t *tu_read_all(struct sg_input *in, size_t chunk);

/* Opens path as fmt with pad, asserts success. */
void tu_open(struct sg_input *in, const char *path, enum sg_input_format fmt, uint8_t pad);

/* Writes data as name, asserts that opening it as fmt fails with status and
 * a message that names the file and contains want. */
void tu_open_fails(void **state, const char *name, const void *data, size_t len,
		   enum sg_input_format fmt, int status, const char *want);
void tu_open_fails_str(void **state, const char *name, const char *text,
		       enum sg_input_format fmt, const char *want);

#endif
