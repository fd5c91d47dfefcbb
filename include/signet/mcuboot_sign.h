/* MCUboot images with keys in a PKCS#11 token: signing (imgtool-compatible
 * output, byte for byte where the algorithm is deterministic) and host-side
 * verification against trusted public keys. The format itself is in
 * formats/mcuboot.h; docs/mcuboot.md says what is written and checked.
 *
 * Algorithms, as imgtool 2.4.0 and bootutil use them:
 *   ecdsa-p256  SHA256 TLV, ECDSA_SIG TLV: DER ECDSA over the image digest
 *   ecdsa-p384  SHA384 TLV, ECDSA_SIG TLV: DER ECDSA over the image digest
 *   ed25519     SHA256 TLV, ED25519 TLV: pure Ed25519 over the 32-byte digest
 *   rsa-3072    SHA256 TLV, RSA3072_PSS TLV: RSASSA-PSS SHA-256, MGF1-SHA-256,
 *               salt 32, over the digest
 * KEYHASH TLV: the image's hash (SHA-256, or SHA-384 with P-384) of the
 * public key in MCUboot's encoding (sg_mcuboot_key_encoding). */
#ifndef SIGNET_MCUBOOT_SIGN_H
#define SIGNET_MCUBOOT_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "signet/envelope.h"
#include "signet/err.h"
#include "signet/hsm.h"
#include "signet/input.h"
#include "signet/mcuboot.h"
#include "signet/request.h"
#include "signet/verify.h"

/* How an MCUboot image is laid out (struct sg_sign_opts.mcuboot, with
 * format SG_SIGN_MCUBOOT); imgtool's options in brackets. */
struct sg_mcuboot_layout {
	uint32_t header_size;   /* ih_hdr_size, 32..65535 (imgtool -H) */
	bool pad_header;        /* prefix the input with header_size erased bytes;
				 * without it the input's first header_size bytes
				 * must be zero and the header overwrites them */
	uint32_t slot_size;     /* 0: not checked; else image + TLVs + trailer
				 * must fit (imgtool -S) */
	uint32_t align;         /* flash write size 1, 2, 4, 8, 16, 32; 0 = 1 */
	bool pad_slot;          /* imgtool --pad: fill to slot_size, trailer magic */
	bool confirm;           /* imgtool --confirm: image_ok = 1; implies pad_slot */
	/* Rarely needed; 0/false give imgtool's defaults. */
	uint32_t max_sectors;   /* imgtool -M, trailer swap status (default 128) */
	uint32_t max_align;     /* imgtool --max-align 8/16/32 (default max(8, align)) */
	bool erased_zero;       /* imgtool -R 0: flash erases to 0x00, not 0xff */
};

/* The same options as struct sg_sign_opts with format SG_SIGN_MCUBOOT, in
 * the flat form sg_mcuboot_sign_file takes (fields as in sg_mcuboot_layout
 * and sg_sign_opts). */
struct sg_mcuboot_opts {
	const char *in_path, *out_path;
	enum sg_input_format in_format;
	uint8_t pad;
	uint64_t max_span;
	const char *key_uri; /* one key */
	struct sg_version version;
	bool has_counter;
	uint32_t security_counter;
	uint32_t header_size;
	bool pad_header;
	uint32_t slot_size;
	uint32_t align;
	bool pad_slot, confirm;
	bool has_load_addr;
	uint32_t load_addr;
	uint32_t max_sectors, max_align;
	bool erased_zero;
	const char *prepare_pubkey;
};

/* sg_sign_file (signet/sign.h) with format SG_SIGN_MCUBOOT, for callers of
 * the flat options: signs o->in_path into o->out_path (raw binary) with
 * o->key_uri, or with o->prepare_pubkey writes a signing request instead
 * (hsm unused). Same checks, atomicity and status codes. */
int sg_mcuboot_sign_file(const struct sg_mcuboot_opts *o, struct sg_hsm_ctx *hsm,
			 struct sg_err *err);

/* What the TLV area needs from the signing key: the digest and signature
 * TLV types, the longest signature of that type, and the KEYHASH value. */
struct sg_mcuboot_key {
	uint16_t digest_type, sig_type;
	size_t sig_max;
	uint8_t keyhash[SG_MCUBOOT_DIGEST_MAX];
	size_t keyhash_len;
};

/* Completing a two-step request of image format 2 (sign/twostep.c reads
 * the request and the signature, then calls these in this order). */
struct sg_mcuboot_request {
	struct sg_request_mcuboot params;      /* the parameter block */
	struct sg_mcuboot_info info;           /* header and protected TLVs it holds */
	uint8_t digest[SG_MCUBOOT_DIGEST_MAX]; /* D, recomputed from the body */
	struct sg_mcuboot_key key;             /* set by sg_mcuboot_request_key */
};
/* The body of the request r open at fd: parameter block, the hashed
 * region's structure, and D recomputed from it equal to the header's
 * digest ("damaged" otherwise). SG_EINPUT naming path; SG_EENV on I/O. */
int sg_mcuboot_request_check(int fd, const struct sg_request *r, const char *path,
			     struct sg_mcuboot_request *m, struct sg_err *err);
/* The key (an EVP_PKEY of algorithm alg, SGE_SIG_*) that signs D: refused
 * (SG_EINPUT) if MCUboot cannot use it; else fills m->key. */
int sg_mcuboot_request_key(struct sg_mcuboot_request *m, void *pub, int alg,
			   const char *pub_path, struct sg_err *err);
/* Writes the image to out_path, atomically: the hashed region copied from
 * the request, the TLV area with sig (already checked over D by the
 * caller), and the padding and trailer the parameters ask for. */
int sg_mcuboot_request_write(int fd, const struct sg_mcuboot_request *m, const uint8_t *sig,
			     size_t sig_len, const char *req_path, const char *out_path,
			     struct sg_err *err);

/* imgtool's "--security-counter auto": major << 24 | minor << 16 | revision. */
uint32_t sg_mcuboot_auto_counter(const struct sg_version *v);

/* Structure only (sg_mcuboot_parse on a file): SG_EINPUT if malformed,
 * message "PATH: rule". */
int sg_mcuboot_load(const char *path, struct sg_mcuboot_info *info, struct sg_err *err);

/* Full verification: structure, the image digest over header, image and
 * protected TLVs, and every signature whose KEYHASH/PUBKEY names a trusted
 * key. SG_OK when the digest matches, at least one trusted key's signature
 * verifies and none fails; SG_FAIL otherwise (message says which);
 * SG_EINPUT if malformed, encrypted or SIG_PURE (not supported), or no
 * trusted key was given; SG_EENV on I/O. info holds per-check results. */
int sg_mcuboot_verify_file(const char *path, const struct sg_trust *trust,
			   struct sg_mcuboot_info *info, struct sg_err *err);
/* The same over any byte source (memory, flash); messages name no file. */
int sg_mcuboot_verify(sg_mcuboot_read_fn rd, void *arg, uint64_t size,
		      const struct sg_trust *trust, struct sg_mcuboot_info *info,
		      struct sg_err *err);

/* MCUboot's encoding of a public key (EVP_PKEY), as imgtool embeds it in
 * PUBKEY and hashes it for KEYHASH: DER SubjectPublicKeyInfo for ECDSA
 * (uncompressed point) and Ed25519, DER RSAPublicKey (PKCS#1) for RSA.
 * 0, or -1 if the key is unsupported or cap too small. */
int sg_mcuboot_key_encoding(void *pkey, uint8_t *out, size_t cap, size_t *len);
/* KEYHASH: the digest_type hash (SG_MCUBOOT_TLV_SHA256/384/512) of that. */
int sg_mcuboot_key_hash(void *pkey, uint16_t digest_type, uint8_t *out, size_t *len);

/* Checks a signature TLV of type sig_type over the image digest with a
 * public key: 1 valid, 0 invalid (or the key/digest does not fit the
 * type), -1 internal failure. ECDSA signatures may carry imgtool's legacy
 * --pad-sig zero padding. */
int sg_mcuboot_check_sig(void *pkey, uint16_t sig_type, const uint8_t *digest,
			 size_t digest_len, const uint8_t *sig, size_t sig_len);

#endif
