/* libFuzzer harness for PIN files (pin-source=file:PATH in a URI, read by
 * cli/pin.c): any contents give the first line as the PIN, or a refusal
 * that never contains it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "signet/hsm.h"
#include "fuzz_file.h"

#define PIN_MAX 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char texts[] =
		"PIN file : first line is empty too long too large bytes, limit 4096)";
	const char *path = fuzz_file(data, size);
	struct sg_pin_request req = { "fuzz", path, false };
	char pin[PIN_MAX], line[PIN_MAX];
	struct sg_err err;
	/* The first line as the reader sees it: up to a line end or a NUL. */
	size_t n = 0;
	while (n < size && n < PIN_MAX - 1 && data[n] && data[n] != '\r' && data[n] != '\n')
		n++;
	memcpy(line, data, n);
	line[n] = 0;
	if (cli_pin(NULL, &req, pin, sizeof(pin), &err) == SG_OK) {
		if (!pin[0] || strcmp(pin, line) != 0)
			abort();
	} else if (err.status == SG_OK || strchr(err.msg, '\n') ||
		   (n >= 8 && strstr(err.msg, line) && !strstr(texts, line) &&
		    !strstr(path, line))) {
		abort();
	}
	return 0;
}
