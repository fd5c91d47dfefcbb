/* Constants of the signet envelope, format version 1 (docs/envelope.md).
 * C99, no libc: shared by the host encoder and the device verifier. */
#ifndef SIGNET_ENVELOPE_FORMAT_H
#define SIGNET_ENVELOPE_FORMAT_H

#include <stdint.h>

#define SGE_MAGIC_0 0x53 /* "SGNE" */
#define SGE_MAGIC_1 0x47
#define SGE_MAGIC_2 0x4E
#define SGE_MAGIC_3 0x45
#define SGE_AREA_MAGIC_0 0x53 /* "SGSA" */
#define SGE_AREA_MAGIC_1 0x47
#define SGE_AREA_MAGIC_2 0x53
#define SGE_AREA_MAGIC_3 0x41

#define SGE_FORMAT_VERSION 1
#define SGE_HEADER_SIZE 32
#define SGE_PROTECTED_MIN 4
#define SGE_PROTECTED_MAX 1024
#define SGE_PAYLOAD_MAX (1ull << 40)
#define SGE_AREA_HEADER_SIZE 8
#define SGE_AREA_MAX 16384
#define SGE_MAX_SIGNATURES 16
#define SGE_MSG_MAX (SGE_HEADER_SIZE + SGE_PROTECTED_MAX)
#define SGE_HW_ID_MAX 64
#define SGE_KEY_ID_SIZE 32
#define SGE_SIG_TLV_FIXED 34 /* algorithm, reserved, key id */
#define SGE_SIG_MAX 512

#define SGE_CRITICAL 0x8000u
#define SGE_T_RESERVED 0x0000u /* never valid in either area: zero-filled bytes */

/* BUILD_TIME's upper bound, 9999-12-31T23:59:59Z: the last second X.509
 * can express, so every BUILD_TIME is a date any tool can print and compare
 * with certificate validity. */
#define SGE_BUILD_TIME_MAX 253402300799ull

/* Protected TLV types. */
#define SGE_T_VERSION 0x8001u
#define SGE_T_SECURITY_COUNTER 0x8002u
#define SGE_T_HW_ID 0x8003u
#define SGE_T_LOAD_ADDR 0x8004u
#define SGE_T_PAYLOAD_DIGEST 0x8005u
#define SGE_T_BUILD_TIME 0x8006u
#define SGE_T_SBOM_DIGEST 0x8007u

/* Signature-area TLV types. */
#define SGE_T_SIGNATURE 0x8001u
#define SGE_T_CERT_CHAIN 0x0002u /* non-critical: old verifiers skip it */

/* Digest algorithms. */
#define SGE_DIGEST_SHA256 1
#define SGE_DIGEST_SHA384 2
#define SGE_DIGEST_MAX 48

/* Signature algorithms. */
#define SGE_SIG_ECDSA_P256_SHA256 1
#define SGE_SIG_ECDSA_P384_SHA384 2
#define SGE_SIG_ED25519 3
#define SGE_SIG_RSA_PSS_SHA256 4

/* SBOM kinds. */
#define SGE_SBOM_CYCLONEDX 1
#define SGE_SBOM_SPDX 2

static inline uint16_t sge_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t sge_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}
static inline uint64_t sge_get64(const uint8_t *p)
{
	return (uint64_t)sge_get32(p) | ((uint64_t)sge_get32(p + 4) << 32);
}
static inline void sge_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}
static inline void sge_put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}
static inline void sge_put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

#endif
