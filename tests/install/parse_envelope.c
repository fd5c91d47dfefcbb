/* A program against the installed device verifier alone (libsignet-verifier,
 * no OpenSSL): parses an envelope from memory.
 *   parse_envelope FILE  -> exit 0 if it parses, 1 if the verifier refuses */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <signet/verifier.h>

static uint8_t image[1 << 20];

static int read_mem(void *arg, uint64_t off, uint8_t *buf, size_t len)
{
	size_t size = *(size_t *)arg;

	if (off > size || len > size - off)
		return -1;
	memcpy(buf, image + off, len);
	return 0;
}

int main(int argc, char **argv)
{
	struct sgv_envelope e;
	size_t size;
	FILE *f;
	int rc;

	if (argc != 2 || !(f = fopen(argv[1], "rb")))
		return 2;
	size = fread(image, 1, sizeof image, f);
	fclose(f);
	rc = sgv_parse(&e, read_mem, &size, size);
	printf("sgv_parse: %d\n", rc);
	return rc == 0 ? 0 : 1;
}
