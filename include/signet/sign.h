/* The signing pipeline: build output in, a signed signet envelope or
 * MCUboot image out, through one entry point (sg_sign_file).
 *
 * One streaming pass: the payload is copied from the input to the output's
 * temp file while it is hashed; then the signed message is written in front
 * of it, signed by every key in the token (one login per token), each
 * signature checked against the key's public half, and the output renamed
 * into place. Nothing is written before the input was validated and every
 * key was found and logged in to; on any failure no output remains. */
#ifndef SIGNET_SIGN_H
#define SIGNET_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "signet/envelope.h"
#include "signet/err.h"
#include "signet/hsm.h"
#include "signet/input.h"
#include "signet/mcuboot_sign.h"
#include "signet/request.h"

#define SG_SIGN_MAX_KEYS SGE_MAX_SIGNATURES

/* What sg_sign_file makes. */
enum sg_sign_format {
	SG_SIGN_SIGNET = 0, /* a signet envelope (docs/envelope.md) */
	SG_SIGN_MCUBOOT,    /* an MCUboot image, imgtool's layout (docs/mcuboot.md) */
};

struct sg_sign_opts {
	enum sg_sign_format format;
	const char *in_path, *out_path;
	enum sg_input_format in_format;
	uint8_t pad;
	uint64_t max_span; /* payload span limit; 0 = SG_INPUT_SPAN_MAX (formats/input.h) */
	const char *key_uris[SG_SIGN_MAX_KEYS]; /* MCUboot: exactly one */
	size_t nkeys;
	struct sg_version version;
	bool has_counter;
	uint32_t security_counter;
	/* Given explicitly; else a signet envelope takes the input's address
	 * (HEX/SREC/ELF) and an MCUboot image has none. MCUboot: RAM_LOAD at
	 * this non-zero, 32-bit address. */
	bool has_load_addr;
	uint64_t load_addr;
	/* Signet envelopes only (MCUboot images refuse them): */
	const char *hw_id;
	int digest_alg; /* SGE_DIGEST_*, 0 = SHA-384 if any key is P-384, else SHA-256 */
	const char *sbom_path; /* SBOM to bind (formats/sbom.h), or NULL */
	/* PEM chains (leaf first), each carried in a CERT_CHAIN field
	 * (sign/chain.h) beside the signature of the key its leaf certifies;
	 * at most one per key. */
	const char *cert_paths[SG_SIGN_MAX_KEYS];
	size_t ncerts;
	/* Two-step signing: with prepare_pubkey set (and no key URIs), OUT is a
	 * signing request (formats/request.h, image format 1 or 2 as format
	 * says) for that public key's holder, and no token is used. */
	const char *prepare_pubkey;
	/* MCUboot images only (ignored for envelopes): header, slot, trailer. */
	struct sg_mcuboot_layout mcuboot;
};

/* What was made, for the CLI to report. */
struct sg_sign_result {
	uint64_t payload_size; /* MCUboot: the image without header and TLVs */
	uint64_t load_addr;
	bool has_load_addr;
	size_t nsigs;       /* 0 for a signing request */
	uint8_t digest_alg; /* SGE_DIGEST_* */
	uint8_t digest[SGE_DIGEST_MAX]; /* payload digest; MCUboot: the image digest D */
};

/* The one signing entry point, for every caller (the CLI, a station signing
 * a per-device image): signs opts->in_path into opts->out_path in
 * opts->format, with the token keys opts->key_uris, or with
 * opts->prepare_pubkey writes a signing request for that format instead
 * (finished by sg_sign_complete). Atomic: options, input and keys are
 * checked before anything is written, each token signature is checked with
 * its public half, and on any failure no output remains. SG_EINPUT for bad
 * options (err->param names the option field at fault where one is),
 * input or keys; SG_EENV for token and I/O. result (may be NULL) says what
 * was made. */
int sg_sign_file(const struct sg_sign_opts *opts, struct sg_hsm_ctx *hsm,
		 struct sg_sign_result *result, struct sg_err *err);

/* Finishes a request made with prepare_pubkey, of either format: checks sig (DER or raw r||s for ECDSA,
 * as raw_ecdsa says; raw for the others) against pub_path and the request
 * before anything is written, then writes the envelope or the image. With
 * cert_path (NULL: none; signet envelopes only) the envelope also carries
 * that certificate chain, whose leaf must certify the request's key. */
int sg_sign_complete(const char *req_path, const char *sig_path, bool raw_ecdsa,
		     const char *pub_path, const char *cert_path, const char *out_path,
		     struct sg_err *err);

/* A signing request, opened and checked: the header, and what its body
 * holds for its image format. */
struct sg_request_info {
	struct sg_request r;
	struct sgv_envelope env;       /* format 1: the unsigned envelope's fields */
	struct sg_mcuboot_request mcu; /* format 2: parameters, image header, D */
};
/* Opens and checks a signing request (header; body structure; payload
 * digest for format 1, image digest for format 2). */
int sg_request_load(const char *path, struct sg_request_info *ri, struct sg_err *err);

/* Adds a signature by key_uri to the envelope at path, in place and
 * atomically, and with cert_path (or NULL) the key's certificate chain as a
 * CERT_CHAIN field, whose leaf must certify that key. Only M is signed, so
 * the payload is not hashed again. Refuses a key that already signed and a
 * full signature area. The existing signatures are not checked (signet
 * verify does that). Concurrent calls on one file take turns (flock on the
 * envelope, sign/cosign.c), so no signature is lost. */
int sg_cosign_file(const char *path, const char *key_uri, const char *cert_path,
		   struct sg_hsm_ctx *hsm, struct sg_err *err);

/* A token key ready to sign envelopes: its public half (an EVP_PKEY), the
 * envelope algorithm it makes, its type and key id (sg_sign_file also
 * describes a signing request's key so, with key NULL). sg_signer_sign
 * signs M and checks the fresh signature with the public half, so a faulty
 * token cannot produce a bad envelope. */
struct sg_signer {
	struct sg_hsm_key *key; /* owned by the hsm context; NULL for a request's key */
	const char *uri;        /* borrowed, for messages (a request's: its file) */
	int alg;                /* SGE_SIG_* */
	enum sg_key_type type;
	void *pub;              /* EVP_PKEY, freed by sg_signer_close */
	uint8_t key_id[SGE_KEY_ID_SIZE];
};
int sg_signer_open(struct sg_hsm_ctx *hsm, const char *uri, struct sg_signer *s,
		   struct sg_err *err);
int sg_signer_sign(struct sg_signer *s, const uint8_t *msg, size_t msg_len,
		   struct sg_signature *out, struct sg_err *err);
void sg_signer_close(struct sg_signer *s);

/* The envelope signature algorithm for a key type (0 if none), and the key
 * id: SHA-256 of the DER SubjectPublicKeyInfo. */
int sg_sig_alg_for_key(enum sg_key_type t);
int sg_key_id(const uint8_t *spki, size_t spki_len, uint8_t key_id[SGE_KEY_ID_SIZE]);

#endif
