/* libFuzzer harness for the SBOM JSON checker (formats/sbom.c). */
#include <stdint.h>
#include <string.h>

#include "signet/envelope_format.h"
#include "signet/sbom.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sg_sbom s;
	struct sg_err err;
	memset(&s, 0, sizeof(s));
	if (sg_sbom_identify(data, size, "fuzz", &s, &err) == SG_OK &&
	    s.kind != SGE_SBOM_CYCLONEDX && s.kind != SGE_SBOM_SPDX)
		__builtin_trap(); /* accepted documents always have a kind */
	return 0;
}
