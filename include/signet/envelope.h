/* Host-side envelope encoder (docs/envelope.md). Decoding and verification
 * live in verifier.h, shared with devices. */
#ifndef SIGNET_ENVELOPE_H
#define SIGNET_ENVELOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "signet/envelope_format.h"
#include "signet/err.h"

struct sg_version {
	uint8_t major, minor;
	uint16_t patch;
	uint32_t build;
};

struct sg_envelope_meta {
	struct sg_version version;
	bool has_counter;
	uint32_t security_counter;
	const char *hw_id; /* NULL when absent */
	bool has_load_addr;
	uint64_t load_addr;
	uint8_t digest_alg; /* SGE_DIGEST_* */
	uint8_t digest[SGE_DIGEST_MAX];
	bool has_build_time;
	uint64_t build_time;
	bool has_sbom;
	uint8_t sbom_kind;
	uint8_t sbom_digest[32];
	uint64_t payload_size;
};

struct sg_signature {
	uint8_t alg; /* SGE_SIG_* */
	uint8_t key_id[SGE_KEY_ID_SIZE];
	size_t sig_len;
	uint8_t sig[SGE_SIG_MAX];
};

/* Parses "X.Y.Z" or "X.Y.Z+N" (X, Y <= 255, Z <= 65535, N < 2^32). */
int sg_version_parse(const char *s, struct sg_version *v, struct sg_err *err);

/* Writes the signed message M (header and protected area) into msg, which
 * holds SGE_MSG_MAX bytes. Checks every value against the spec's limits. */
int sg_envelope_encode_msg(const struct sg_envelope_meta *m, uint8_t *msg, size_t *msg_len,
			   struct sg_err *err);

/* Writes a signature area with the given signatures into out (SGE_AREA_MAX
 * bytes). */
int sg_envelope_encode_area(const struct sg_signature *sigs, size_t nsigs, uint8_t *out,
			    size_t *out_len, struct sg_err *err);

/* Appends one TLV to an area made by sg_envelope_encode_area (out holds
 * SGE_AREA_MAX bytes) and updates its area_size. */
int sg_envelope_area_append(uint8_t *area, size_t *area_len, uint16_t type, const uint8_t *value,
			    size_t len, struct sg_err *err);

/* Names for messages and JSON. */
const char *sg_sig_alg_name(int alg);      /* "ecdsa-p256-sha256", ... */
const char *sg_digest_alg_name(int alg);   /* "sha256", "sha384" */
const char *sg_sbom_kind_name(int kind);   /* "cyclonedx", "spdx" */

/* An image version as text, MAJOR.MINOR.PATCH+BUILD, into out[n] (48 bytes
 * hold any). The envelope's build 0 means none and is left out; MCUboot's
 * is always shown (always_build). */
void sg_version_str(unsigned major, unsigned minor, unsigned patch, uint32_t build,
		    bool always_build, char *out, size_t n);

#endif
