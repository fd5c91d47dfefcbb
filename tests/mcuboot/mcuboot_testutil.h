/* Helpers for the MCUboot tests: where imgtool's reference images are (and
 * what options made each), files, an in-memory byte source, and the test
 * keys that come with the images. */
#ifndef SIGNET_MCUBOOT_TESTUTIL_H
#define SIGNET_MCUBOOT_TESTUTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "signet/mcuboot_sign.h"

/* One image made by imgtool 2.4.0 (see the vectors' README.md). */
struct mt_vector {
	const char *file;
	const char *key; /* test-<key>.key.pem / .pub.pem */
	enum sg_key_type key_type;
	uint32_t header_size, slot_size, align;
	bool pad_header, pad, confirm, has_counter;
	uint32_t counter;
	struct sg_version version;
	uint16_t digest_type, sig_type;
};
extern const struct mt_vector mt_vectors[];
extern const size_t mt_nvectors;

/* $SIGNET_SOURCE_DIR/tests/vectors/mcuboot; NULL (after saying so) when it
 * does not hold input.bin, and the caller's group setup then fails. */
const char *mt_vectors_dir(void);
/* The signing options imgtool used for v, from in to out (no key set). */
struct sg_mcuboot_opts mt_vector_opts(const struct mt_vector *v, const char *in, const char *out);
/* dir/name into out (asserts that it fits). */
void mt_path(char *out, size_t n, const char *dir, const char *name);

uint8_t *mt_read(const char *path, size_t *len); /* asserts; caller frees */
void mt_write(const char *path, const void *data, size_t len);

struct mt_mem {
	const uint8_t *p;
	size_t n;
};
int mt_mem_read(void *arg, uint64_t off, uint8_t *buf, size_t len);
int mt_verify_mem(const uint8_t *p, size_t n, const struct sg_trust *t,
		  struct sg_mcuboot_info *info, struct sg_err *err);

/* Adds the vectors' test-<key>.pub.pem to t (asserts). */
void mt_trust(struct sg_trust *t, const char *dir, const char *key);
/* The vectors' private test key (EVP_PKEY *), for crafted images. */
void *mt_private_key(const char *dir, const char *key);

/* Index of the first TLV of type, -1 if none. */
int mt_find_tlv(const struct sg_mcuboot_info *info, uint16_t type);

/* Asserts that err names want (substring) and has status. */
void mt_assert_err(int rc, const struct sg_err *err, int status, const char *want);

#endif
