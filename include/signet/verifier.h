/* The signet envelope verifier: one core for devices and hosts.
 *
 * Contract: C99, no heap, no libc beyond memcpy/memcmp/memset. All state is
 * in a caller-owned struct sgv_envelope (about 2.5 KiB; static on a device).
 * Image bytes come through a read callback, so the payload streams from
 * flash or a file; crypto comes through struct sgv_crypto. No stack frame
 * holds a buffer. Implements docs/envelope.md §7 step by step:
 *   sgv_parse            steps 1-3 (the whole structure, CERT_CHAIN framing
 *                        included; SGV_EFORMAT on any rule)
 *   sgv_check_digest     step 4    (SGV_EDIGEST)
 *   (step 5, CERT_CHAIN content, is the host's: sign/chain.h)
 *   sgv_check_signatures step 6-7a (SGV_ETHRESHOLD)
 *   sgv_check_policy     step 7b   (SGV_EHWID, SGV_ECOUNTER; the SBOM is the
 *                        host's)
 * sgv_verify runs all four. On failure e->detail names the broken rule. */
#ifndef SIGNET_VERIFIER_H
#define SIGNET_VERIFIER_H

#include <stddef.h>
#include <stdint.h>

#include "signet/envelope_format.h"

enum sgv_result {
	SGV_OK = 0,
	SGV_EFORMAT,    /* malformed envelope */
	SGV_EIO,        /* the read callback failed */
	SGV_ECRYPTO,    /* a crypto callback failed (not a bad signature) */
	SGV_EDIGEST,    /* payload does not match its digest */
	SGV_ETHRESHOLD, /* fewer distinct trusted valid signers than required */
	SGV_EHWID,      /* HW_ID absent or different */
	SGV_ECOUNTER,   /* security counter below the minimum */
};

/* Returns 0 and fills buf with len bytes at off, or non-zero on failure. */
typedef int (*sgv_read_fn)(void *arg, uint64_t off, uint8_t *buf, size_t len);

enum sgv_sig_status {
	SGV_SIG_UNCHECKED = 0,
	SGV_SIG_VALID,     /* trusted key, signature verifies */
	SGV_SIG_INVALID,   /* trusted key, signature does not verify */
	SGV_SIG_UNTRUSTED, /* no trusted key with this id and algorithm */
	SGV_SIG_DUPLICATE, /* valid, but this key already counted */
};

struct sgv_crypto {
	void *hash_ctx;
	int (*hash_init)(void *hash_ctx, int digest_alg); /* 0 on success */
	int (*hash_update)(void *hash_ctx, const uint8_t *data, size_t len);
	int (*hash_final)(void *hash_ctx, uint8_t *digest);
	/* Verifies sig over msg with the trusted key whose id is key_id and
	 * whose type fits alg. Returns an sgv_sig_status: VALID (and sets
	 * *key_index, 0..31, a stable number for that trusted key), INVALID,
	 * or UNTRUSTED. Negative on an internal failure. */
	int (*sig_verify)(void *arg, int alg, const uint8_t *key_id, const uint8_t *msg,
			  size_t msg_len, const uint8_t *sig, size_t sig_len, unsigned *key_index);
	void *sig_arg;
};

struct sgv_signature {
	uint8_t alg;
	uint8_t status; /* enum sgv_sig_status */
	uint16_t sig_len;
	uint64_t sig_off; /* file offset of the signature bytes */
	uint8_t key_id[SGE_KEY_ID_SIZE];
};

struct sgv_chain {
	uint64_t off; /* file offset of the CERT_CHAIN value */
	uint16_t len;
};

struct sgv_envelope {
	/* The signed message M: header and protected area, as stored. */
	uint8_t msg[SGE_MSG_MAX];
	uint32_t msg_len;
	uint32_t protected_size;
	uint64_t payload_off, payload_size;
	uint64_t area_off;
	uint32_t area_size;

	/* Protected fields (has_* say which were present). */
	uint8_t ver_major, ver_minor;
	uint16_t ver_patch;
	uint32_t ver_build;
	uint8_t has_version, has_counter, has_hw_id, has_load_addr, has_build_time, has_sbom;
	uint32_t security_counter;
	uint8_t hw_id[SGE_HW_ID_MAX];
	uint8_t hw_id_len;
	uint64_t load_addr;
	uint64_t build_time;
	uint8_t digest_alg, digest_len;
	uint8_t digest[SGE_DIGEST_MAX];
	uint8_t sbom_kind, sbom_digest_alg;
	uint8_t sbom_digest[32];
	uint16_t unknown_noncritical; /* skipped non-critical TLVs, both areas */

	struct sgv_signature sigs[SGE_MAX_SIGNATURES];
	uint8_t nsigs;
	/* CERT_CHAIN fields (§5), no more than signatures: framing checked,
	 * certificates not interpreted (the host checks them). */
	struct sgv_chain chains[SGE_MAX_SIGNATURES];
	uint8_t nchains;

	/* Results of the checks. */
	uint8_t computed_digest[SGE_DIGEST_MAX];
	uint8_t valid_signers;

	const char *detail; /* the rule that failed, a static string */
	uint8_t sig_buf[SGE_SIG_MAX]; /* scratch for one signature */
};

int sgv_parse(struct sgv_envelope *e, sgv_read_fn rd, void *rd_arg, uint64_t file_size);
/* Steps 1-2 only: header and protected area (the signature area is not
 * read; file_size must still cover its 8-byte header). */
int sgv_parse_msg(struct sgv_envelope *e, sgv_read_fn rd, void *rd_arg, uint64_t file_size);
/* work: caller scratch for payload chunks (any size > 0; larger is faster). */
int sgv_check_digest(struct sgv_envelope *e, const struct sgv_crypto *c, sgv_read_fn rd,
		     void *rd_arg, uint8_t *work, size_t work_len);
int sgv_check_signatures(struct sgv_envelope *e, const struct sgv_crypto *c, sgv_read_fn rd,
			 void *rd_arg, unsigned threshold);
/* hw_id may be NULL (not required); min_counter 0 accepts any. */
int sgv_check_policy(struct sgv_envelope *e, const uint8_t *hw_id, size_t hw_id_len,
		     uint32_t min_counter);
int sgv_verify(struct sgv_envelope *e, const struct sgv_crypto *c, sgv_read_fn rd,
	       void *rd_arg, uint64_t file_size, uint8_t *work, size_t work_len,
	       unsigned threshold, const uint8_t *hw_id, size_t hw_id_len, uint32_t min_counter);

/* Digest length for a digest algorithm id, 0 if unknown. */
unsigned sgv_digest_len(int digest_alg);

#endif
