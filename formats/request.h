/* Signing requests for two-step (offline) signing (docs/signing-request.md).
 *
 * A request is a fixed 104-byte header followed by the unsigned image body.
 * The header says what is to be signed and by which key; the body holds
 * everything needed to finish the image once the signature comes back. */
#ifndef SIGNET_REQUEST_H
#define SIGNET_REQUEST_H

#include <stdint.h>

#include "envelope_format.h"
#include "err.h"

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
/* Checks every field and that the file is exactly header + body long. */
int sg_request_decode(const uint8_t *hdr, uint64_t file_size, const char *name,
		      struct sg_request *r, struct sg_err *err);
/* True if the first 8 bytes are a request's magic. */
int sg_request_detect(const uint8_t *p, uint64_t n);

#endif
