/* The gdb: fixture's memory throughput (bench/station.sh runs it against
 * QEMU's microbit): a 4 KiB page of target RAM written and read back over
 * the GDB remote protocol, ROUNDS times, in KiB/s, with the round-trip
 * time of one 4-byte read (what every packet costs beyond its bytes).
 * Target (issue 12): >= 100 KiB/s writes on localhost QEMU. Not a test:
 * numbers only (it does check what it read back).
 *   bench_gdb_mem gdb:HOST:PORT [ROUNDS] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "signet/dbg.h"

#define PAGE 4096
#define ADDR 0x20000000u

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static uint8_t page[PAGE], back[PAGE];
	struct sg_err err = {0};
	struct sg_dbg *d = NULL;
	int rounds = argc > 2 ? atoi(argv[2]) : 50, rc;
	double t0, rtt, wr = 0, rd = 0;

	if (argc < 2 || rounds < 1) {
		fprintf(stderr, "usage: bench_gdb_mem gdb:HOST:PORT [ROUNDS]\n");
		return 2;
	}
	if ((rc = sg_dbg_open(argv[1], 5000, &d, &err)) != SG_OK)
		goto fail;
	t0 = now();
	for (int i = 0; i < 200; i++)
		if ((rc = d->ops->read(d, ADDR, back, 4, &err)) != SG_OK)
			goto fail;
	rtt = (now() - t0) / 200;
	for (int r = 0; r < rounds; r++) {
		for (size_t i = 0; i < PAGE; i++)
			page[i] = (uint8_t)(r * 31 + i);
		t0 = now();
		if ((rc = d->ops->write(d, ADDR, page, PAGE, &err)) != SG_OK)
			goto fail;
		wr += now() - t0;
		t0 = now();
		if ((rc = d->ops->read(d, ADDR, back, PAGE, &err)) != SG_OK)
			goto fail;
		rd += now() - t0;
		if (memcmp(page, back, PAGE)) {
			fprintf(stderr, "%s: the page read back differs\n", argv[1]);
			sg_dbg_close(d);
			return 1;
		}
	}
	printf("gdb: memory, 4 KiB page of RAM over %s (%d rounds): round trip %.3f ms;"
	       " write %.2f ms = %.0f KiB/s (target >= 100); read %.2f ms = %.0f KiB/s\n",
	       argv[1], rounds, rtt * 1e3, wr / rounds * 1e3, 4.0 * rounds / wr, rd / rounds * 1e3,
	       4.0 * rounds / rd);
	sg_dbg_close(d);
	return 0;
fail:
	fprintf(stderr, "%s\n", err.msg);
	sg_dbg_close(d);
	return rc;
}
