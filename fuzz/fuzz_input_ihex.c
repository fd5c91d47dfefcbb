/* libFuzzer harness for the ihex input reader (see fuzz_input.h). */
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_input(data, size, SG_INPUT_IHEX);
	return 0;
}
