/* A test driver for debug-probe fixtures (signet/dbg.h): opens SPEC, runs
 * the steps in one session, closes. Prints what reads and calls give;
 * on the first failure prints the error's one line on stderr and exits
 * with its status (2 usage, 1 the target refused, 3 the link failed).
 *   dbg_drive [-t TIMEOUT_MS] SPEC STEP...
 *   read:ADDR:NBYTES        the words, one per line, 8 hex digits
 *   write:ADDR:W[,W...]     words (hex)
 *   pattern:ADDR:NBYTES:SEED  writes a byte pattern; verify:... reads it back
 *   load:ADDR:HEXBYTES      bytes (a routine), padded to whole words
 *   call:ENTRY:STOP:SP:R0:R1:R2:R3:TIMEOUT_MS  prints r0
 *   halt | sleep:MS */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "signet/dbg.h"

static uint32_t num(const char *s)
{
	return (uint32_t)strtoul(s, NULL, 0);
}

static void fill(uint8_t *b, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(seed + i * 7 + (i >> 8));
}

static int hexbytes(const char *h, uint8_t *out, size_t cap, size_t *n)
{
	size_t len = strlen(h);

	if (len % 2 || len / 2 > cap)
		return -1;
	for (*n = 0; *n < len / 2; (*n)++) {
		unsigned v;
		if (sscanf(h + 2 * *n, "%2x", &v) != 1)
			return -1;
		out[*n] = (uint8_t)v;
	}
	while (*n % 4)
		out[(*n)++] = 0;
	return 0;
}

static int step(struct sg_dbg *d, char *s, struct sg_err *err)
{
	static uint8_t buf[65536], want[65536];
	char *f[10] = {0};
	int nf = 0, rc;
	size_t n;

	for (char *p = strtok(s, ":"); p && nf < 10; p = strtok(NULL, ":"))
		f[nf++] = p;
	if (!nf)
		return sg_errf(err, SG_EINPUT, "an empty step");
	if (!strcmp(f[0], "halt"))
		return d->ops->halt(d, err);
	if (!strcmp(f[0], "sleep") && nf == 2) {
		struct timespec ts = {num(f[1]) / 1000, (long)(num(f[1]) % 1000) * 1000000};
		nanosleep(&ts, NULL);
		return SG_OK;
	}
	if (!strcmp(f[0], "read") && nf == 3 && (n = num(f[2])) <= sizeof buf) {
		if ((rc = d->ops->read(d, num(f[1]), buf, n, err)) != SG_OK)
			return rc;
		for (size_t i = 0; i + 4 <= n; i += 4)
			printf("%02x%02x%02x%02x\n", buf[i + 3], buf[i + 2], buf[i + 1], buf[i]);
		return SG_OK;
	}
	if (!strcmp(f[0], "write") && nf == 3) {
		n = 0;
		for (char *w = strtok(f[2], ","); w && n + 4 <= sizeof buf; w = strtok(NULL, ","), n += 4) {
			uint32_t v = (uint32_t)strtoul(w, NULL, 16);
			memcpy(buf + n, &v, 4);
		}
		return d->ops->write(d, num(f[1]), buf, n, err);
	}
	if ((!strcmp(f[0], "pattern") || !strcmp(f[0], "verify")) && nf == 4 && (n = num(f[2])) <= sizeof buf) {
		fill(want, n, num(f[3]));
		if (f[0][0] == 'p')
			return d->ops->write(d, num(f[1]), want, n, err);
		if ((rc = d->ops->read(d, num(f[1]), buf, n, err)) != SG_OK)
			return rc;
		return memcmp(buf, want, n) ? sg_errf(err, SG_FAIL, "verify: the bytes read back differ") : SG_OK;
	}
	if (!strcmp(f[0], "load") && nf == 3) {
		if (hexbytes(f[2], buf, sizeof buf, &n) != 0)
			return sg_errf(err, SG_EINPUT, "load: bad hex");
		return d->ops->write(d, num(f[1]), buf, n, err);
	}
	if (!strcmp(f[0], "call") && nf == 9) {
		struct sg_dbg_call c = {num(f[1]), num(f[2]), num(f[3]), {num(f[4]), num(f[5]), num(f[6]), num(f[7])}};
		uint32_t r0;
		if (!d->ops->call)
			return sg_errf(err, SG_EINPUT, "call: not supported");
		if ((rc = d->ops->call(d, &c, (int)num(f[8]), &r0, err)) != SG_OK)
			return rc;
		printf("r0=%08x\n", r0);
		return SG_OK;
	}
	return sg_errf(err, SG_EINPUT, "%s: not a step", f[0]);
}

int main(int argc, char **argv)
{
	struct sg_err err = {0};
	struct sg_dbg *d = NULL;
	int i = 1, timeout = 2000, rc;

	if (argc > 2 && !strcmp(argv[1], "-t")) {
		timeout = atoi(argv[2]);
		i = 3;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: dbg_drive [-t TIMEOUT_MS] SPEC STEP...\n");
		return 2;
	}
	rc = sg_dbg_open(argv[i++], timeout, &d, &err);
	for (; rc == SG_OK && i < argc; i++) {
		rc = step(d, argv[i], &err);
		fflush(stdout);
	}
	sg_dbg_close(d);
	if (rc != SG_OK)
		fprintf(stderr, "%s\n", err.msg);
	return rc;
}
