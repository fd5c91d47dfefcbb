/* Signing requests for two-step (offline) signing (docs/signing-request.md).
 *
 * A request is a fixed 104-byte header followed by the unsigned image body.
 * The header says what is to be signed and by which key; the body holds
 * everything needed to finish the image once the signature comes back. */
#ifndef SIGNET_REQUEST_H
#define SIGNET_REQUEST_H

#include <stdint.h>

#include "signet/envelope_format.h"
#include "signet/err.h"
#include "signet/mcuboot.h"

#define SG_REQ_HEADER_SIZE 104
#define SG_REQ_VERSION 1
#define SG_REQ_FORMAT_SIGNET 1
#define SG_REQ_FORMAT_MCUBOOT 2
#define SG_REQ_TBS_MAX SGE_MSG_MAX

struct sg_request {
	uint8_t image_format; /* SG_REQ_FORMAT_* */
	uint8_t alg;          /* SGE_SIG_* */
	uint32_t tbs_len;     /* bytes of the body that are signed, from its start */
	uint8_t key_id[SGE_KEY_ID_SIZE];
	uint8_t tbs_digest[SGE_DIGEST_MAX]; /* digest of those bytes (see tbs_digest_len) */
	uint64_t body_len;
};

/* Length of tbs_digest for an algorithm: 48 for P-384, else 32 (SHA-256;
 * for Ed25519 informative only, the signer signs the bytes themselves). */
unsigned sg_request_digest_len(int alg);

void sg_request_encode(const struct sg_request *r, uint8_t out[SG_REQ_HEADER_SIZE]);
/* Checks every field and that the file is exactly header + body long; for
 * image format 2 also that tbs_len is the digest's length and the body can
 * hold the parameter block and an MCUboot header. */
int sg_request_decode(const uint8_t *hdr, uint64_t file_size, const char *name,
		      struct sg_request *r, struct sg_err *err);
/* True if the first 8 bytes are a request's magic. */
int sg_request_detect(const uint8_t *p, uint64_t n);

/* Image format 2 (MCUboot): the body is this fixed parameter block, then
 * the image's hashed region (header area, image, protected TLVs) exactly as
 * the output will hold it. The block says how to finish the image. */
#define SG_REQ_MCUBOOT_PARAMS_SIZE 32
#define SG_REQ_MCUBOOT_F_PAD_SLOT 0x01    /* pad to slot_size, boot magic */
#define SG_REQ_MCUBOOT_F_CONFIRM 0x02     /* image_ok = 1; needs PAD_SLOT */
#define SG_REQ_MCUBOOT_F_ERASED_ZERO 0x04 /* padding and trailer erased to 0x00 */
#define SG_REQ_MCUBOOT_F_ALL 0x07

struct sg_request_mcuboot {
	uint32_t hashed_size; /* the hashed region's length: where the TLV area goes */
	uint32_t slot_size;   /* 0: none given */
	uint32_t max_sectors; /* trailer swap status sectors, 1..65536 */
	uint16_t header_size; /* ih_hdr_size */
	uint16_t digest_type; /* SG_MCUBOOT_TLV_SHA256, or SHA384 for P-384 */
	uint8_t align, max_align;
	uint8_t flags; /* SG_REQ_MCUBOOT_F_* */
};

void sg_request_mcuboot_encode(const struct sg_request_mcuboot *p,
			       uint8_t out[SG_REQ_MCUBOOT_PARAMS_SIZE]);
/* Decodes the block of the request r (its algorithm and body length) and
 * checks each field (docs/signing-request.md); SG_EINPUT "NAME: MCUboot
 * parameters: rule" otherwise. */
int sg_request_mcuboot_decode(const uint8_t in[SG_REQ_MCUBOOT_PARAMS_SIZE],
			      const struct sg_request *r, const char *name,
			      struct sg_request_mcuboot *p, struct sg_err *err);
/* The hashed region of such a request (body bytes after the block, read
 * through rd from 0): its structure (sg_mcuboot_parse_hashed) and that its
 * header agrees with p and carries no flag but RAM_LOAD. */
int sg_request_mcuboot_check_image(const struct sg_request_mcuboot *p, sg_mcuboot_read_fn rd,
				   void *arg, const char *name, struct sg_mcuboot_info *info,
				   struct sg_err *err);

#endif
