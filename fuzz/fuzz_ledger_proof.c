/* libFuzzer harness for proof files (ledger/proof.c): any bytes either are
 * refused or parse to a proof that formats back to exactly those bytes
 * (one text per proof). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "signet/ledger_proof.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sg_ledger_proof p;
	struct sg_err err;
	char *text;
	size_t len;

	if (sg_proof_parse("fuzz", data, size, &p, &err) != SG_OK)
		return 0;
	if (sg_proof_format(&p, &text, &len, &err) != SG_OK)
		__builtin_trap();
	if (len != size || memcmp(text, data, size))
		__builtin_trap();
	free(text);
	sg_proof_free(&p);
	return 0;
}
