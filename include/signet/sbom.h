/* SBOM identification for binding an SBOM into an envelope: the file must
 * be well-formed JSON (RFC 8259, checked in full) and either CycloneDX JSON
 * 1.4, 1.5 or 1.6 (top-level "bomFormat": "CycloneDX", "specVersion") or
 * SPDX 2.3 JSON (top-level "spdxVersion": "SPDX-2.3"). Member names and
 * values are compared decoded ("spec\u0056ersion" is specVersion). A
 * document that is ambiguous, with one of those members twice or with both
 * CycloneDX and SPDX members, is refused, as is anything else, with the
 * reason. */
#ifndef SIGNET_SBOM_H
#define SIGNET_SBOM_H

#include <stddef.h>
#include <stdint.h>

#include "signet/err.h"

#define SG_SBOM_MAX (64u * 1024 * 1024)
#define SG_JSON_DEPTH_MAX 128

struct sg_sbom {
	int kind;         /* SGE_SBOM_CYCLONEDX or SGE_SBOM_SPDX */
	char version[16]; /* "1.5", "SPDX-2.3" */
	uint8_t sha256[32];
};

/* Identifies buf (the whole file); name is used in messages. */
int sg_sbom_identify(const uint8_t *buf, size_t len, const char *name, struct sg_sbom *out,
		     struct sg_err *err);
/* Reads path, identifies it and hashes it (SHA-256 of the file's bytes). */
int sg_sbom_load(const char *path, struct sg_sbom *out, struct sg_err *err);

#endif
