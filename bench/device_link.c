/* The device link of a provisioning unit, station client to simulator
 * (bench/station.sh runs it): per unit INFO, KEYGEN, WRITE of a 600-byte
 * certificate and a 1,200-byte chain, READ of both, SIGN_CHALLENGE, LOCK,
 * LOCK_STATE, the lock probe and RESET, against `signet sim`'s device
 * (in-process, over a unix socket), on 1 and 4 fixtures at once, with the
 * line unlimited and at a UART rate. Prints per-unit time, the bytes'
 * own time on the wire (10 bits a byte) and what the link adds beyond it,
 * with KEYGEN (the simulated device's OpenSSL key generation and its
 * durable state write) reported apart. Not a test: numbers only.
 *   bench_device_link DIR UNITS BAUD */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "signet/device.h"
#include "signet/sim.h"
#include "signet/transport.h"

struct fixture {
	char state[600], listen[600];
	unsigned units, baud;
	struct sg_sim *sim;
	struct sg_listener *l;
	pthread_t sim_thread, station_thread;
	volatile sig_atomic_t stop;
	double keygen_s;
	unsigned long long bytes;
	int failed;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *sim_main(void *arg)
{
	struct fixture *f = arg;
	struct sg_err err;

	while (!f->stop) {
		struct sg_transport *t = NULL;
		if (sg_listener_accept(f->l, 50, &t, &err) != SG_OK)
			break;
		if (t) {
			sg_sim_serve(f->sim, t, &f->stop, &err);
			sg_transport_close(t);
		}
	}
	return NULL;
}

static int unit(struct fixture *f, struct sg_device *d, const uint8_t *cert, const uint8_t *chain)
{
	struct sg_device_info info;
	struct sg_err err;
	uint8_t nonce[SGP_NONCE_LEN] = {1}, pub[SGP_P256_PUB_LEN], sig[SGP_P256_SIG_LEN], back[2048];
	uint32_t state;
	size_t len;
	int existed;
	double t0;

	if (sg_device_info(d, &info, &err) != SG_OK)
		goto fail;
	t0 = now();
	if (sg_device_keygen(d, SGP_KEYGEN_CREATE, nonce, pub, sig, &existed, &err) != SG_OK)
		goto fail;
	f->keygen_s += now() - t0;
	if (sg_device_write_slot(d, SGP_SLOT_CERT, cert, 600, &err) != SG_OK ||
	    sg_device_write_slot(d, SGP_SLOT_CHAIN, chain, 1200, &err) != SG_OK ||
	    sg_device_read_slot(d, SGP_SLOT_CERT, back, sizeof back, &len, &err) != SG_OK ||
	    sg_device_read_slot(d, SGP_SLOT_CHAIN, back, sizeof back, &len, &err) != SG_OK ||
	    sg_device_challenge(d, nonce, sig, &err) != SG_OK ||
	    sg_device_lock(d, SGP_LOCK_ALL, &state, &err) != SG_OK ||
	    sg_device_lock_state(d, &state, &err) != SG_OK ||
	    sg_device_probe_write(d, SGP_SLOT_CERT, 600, &err) != SG_FAIL ||
	    sg_device_reset(d, &err) != SG_OK)
		goto fail;
	return 0;
fail:
	fprintf(stderr, "bench: %s\n", err.msg);
	return -1;
}

static void *station_main(void *arg)
{
	struct fixture *f = arg;
	struct sg_device_opts o = {.baud = f->baud};
	struct sg_transport *t;
	struct sg_device *d;
	struct sg_err err;
	uint8_t cert[600], chain[1200];

	memset(cert, 0x30, sizeof cert);
	memset(chain, 0x31, sizeof chain);
	if (sg_transport_open(sg_listener_address(f->l), 2000, &t, &err) != SG_OK ||
	    sg_device_new(t, &o, &d, &err) != SG_OK) {
		fprintf(stderr, "bench: %s\n", err.msg);
		f->failed = 1;
		return NULL;
	}
	for (unsigned i = 0; i < f->units && !f->failed; i++)
		f->failed = unit(f, d, cert, chain) != 0;
	f->bytes = sg_device_stats(d)->bytes_in + sg_device_stats(d)->bytes_out;
	sg_device_free(d);
	return NULL;
}

/* Runs n fixtures at once; returns the wall time. */
static double run(const char *dir, unsigned n, unsigned units, unsigned baud, struct fixture *fx)
{
	static unsigned runs;
	struct sg_err err;
	double t0;

	runs++;
	for (unsigned i = 0; i < n; i++) {
		struct fixture *f = &fx[i];
		struct sg_sim_opts o = {0};
		memset(f, 0, sizeof *f);
		snprintf(f->state, sizeof f->state, "%s/r%u-f%u-of-%u-%u.state", dir, runs, i, n, baud);
		snprintf(f->listen, sizeof f->listen, "unix:%s/f%u.sock", dir, i);
		f->units = units;
		f->baud = baud;
		o.state_path = f->state;
		o.units = units + 1;
		o.baud = baud;
		o.uid_len = 4;
		o.uid[0] = (uint8_t)i;
		o.uid[1] = (uint8_t)baud;
		if (sg_sim_new(&o, &f->sim, &err) != SG_OK || sg_listener_open(f->listen, &f->l, &err) != SG_OK) {
			fprintf(stderr, "bench: %s\n", err.msg);
			exit(3);
		}
		pthread_create(&f->sim_thread, NULL, sim_main, f);
	}
	t0 = now();
	for (unsigned i = 0; i < n; i++)
		pthread_create(&fx[i].station_thread, NULL, station_main, &fx[i]);
	for (unsigned i = 0; i < n; i++)
		pthread_join(fx[i].station_thread, NULL);
	double wall = now() - t0;
	for (unsigned i = 0; i < n; i++) {
		fx[i].stop = 1;
		pthread_join(fx[i].sim_thread, NULL);
		sg_listener_close(fx[i].l);
		sg_sim_free(fx[i].sim);
		if (fx[i].failed)
			exit(3);
	}
	return wall;
}

int main(int argc, char **argv)
{
	static struct fixture fx[4];
	unsigned units = argc > 2 ? (unsigned)atoi(argv[2]) : 20, bauds[2] = {0, argc > 3 ? (unsigned)atoi(argv[3]) : 115200};

	if (argc < 2) {
		fprintf(stderr, "usage: bench_device_link DIR [UNITS [BAUD]]\n");
		return 2;
	}
	/* a first run warms up OpenSSL, the file system and the threads */
	run(argv[1], 1, 3, 0, fx);
	printf("%-10s %-8s %10s %10s %10s %10s %10s %12s\n", "line", "fixtures", "ms/unit", "wire ms", "beyond",
	       "keygen ms", "bytes", "units/hour");
	for (int b = 0; b < 2; b++) {
		double one_rate = 0;
		for (unsigned n = 1; n <= 4; n += 3) {
			double wall = run(argv[1], n, units, bauds[b], fx), keygen = 0;
			unsigned long long bytes = 0;
			for (unsigned i = 0; i < n; i++)
				keygen += fx[i].keygen_s, bytes += fx[i].bytes;
			double per_unit = wall / units * 1000; /* each fixture does units in wall */
			double wire = bauds[b] ? (double)bytes / n / units * 10 * 1000 / bauds[b] : 0;
			double rate = 3600.0 * units * n / wall;
			char line[16];
			snprintf(line, sizeof line, "%s", bauds[b] ? "" : "unlimited");
			if (bauds[b])
				snprintf(line, sizeof line, "%u", bauds[b]);
			printf("%-10s %-8u %10.1f %10.1f %10.1f %10.1f %10llu %12.0f", line, n, per_unit, wire,
			       per_unit - wire, keygen / n / units * 1000, bytes / n / units, rate);
			if (n == 1)
				one_rate = rate;
			else
				printf("   %.2fx one fixture", rate / one_rate);
			printf("\n");
		}
	}
	return 0;
}
