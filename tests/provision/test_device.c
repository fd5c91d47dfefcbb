/* The station's device client (provision/device.c) against the simulator
 * (provision/sim*.c) over real sockets and a real pseudo-terminal, with the
 * simulator's faults: noise, power cuts, a faked or refused lock, a UID
 * that changes. Keys and signatures are checked with OpenSSL. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "p256_util.h"
#include "signet/device.h"
#include "signet/sim.h"
#include "signet/transport.h"

struct rig {
	char dir[64], state[128], listen[160];
	struct sg_sim_opts o;
	struct sg_sim *sim;
	struct sg_listener *l;
	pthread_t thread;
	volatile sig_atomic_t stop;
	int running;
	struct sg_device *d;
	struct sg_device_info info;
};

/* The simulator's accept loop, as signet sim runs it. */
static void *serve(void *arg)
{
	struct rig *r = arg;
	struct sg_err err;

	while (!r->stop) {
		struct sg_transport *t = NULL;
		if (sg_listener_accept(r->l, 50, &t, &err) != SG_OK)
			break;
		if (t) {
			sg_sim_serve(r->sim, t, &r->stop, &err);
			sg_transport_close(t);
		}
	}
	return NULL;
}

static void start_sim(struct rig *r, const char *listen)
{
	struct sg_err err = {0};

	snprintf(r->listen, sizeof r->listen, "%s", listen);
	if (sg_sim_new(&r->o, &r->sim, &err) != SG_OK || sg_listener_open(r->listen, &r->l, &err) != SG_OK)
		fail_msg("%s", err.msg);
	r->stop = 0;
	assert_int_equal(pthread_create(&r->thread, NULL, serve, r), 0);
	r->running = 1;
}

static void stop_sim(struct rig *r)
{
	sg_device_free(r->d);
	r->d = NULL;
	if (!r->running)
		return;
	r->stop = 1;
	pthread_join(r->thread, NULL);
	sg_listener_close(r->l);
	sg_sim_free(r->sim);
	r->running = 0;
}

static void connect_dev(struct rig *r, int retries)
{
	struct sg_transport *t;
	struct sg_device_opts o = {.timeout_ms = 200, .retries = retries};
	struct sg_err err = {0};

	sg_device_free(r->d);
	r->d = NULL;
	if (sg_transport_open(sg_listener_address(r->l), 2000, &t, &err) != SG_OK ||
	    sg_device_new(t, &o, &r->d, &err) != SG_OK)
		fail_msg("%s", err.msg);
}

static void info(struct rig *r)
{
	struct sg_err err = {0};

	if (sg_device_info(r->d, &r->info, &err) != SG_OK)
		fail_msg("%s", err.msg);
}

static int setup(void **state)
{
	struct rig *r = calloc(1, sizeof *r);

	snprintf(r->dir, sizeof r->dir, "/tmp/signet-dev-XXXXXX");
	assert_non_null(mkdtemp(r->dir));
	snprintf(r->state, sizeof r->state, "%s/dev.state", r->dir);
	r->o.state_path = r->state;
	memcpy(r->o.uid, "\x53\x49\x4d\x00\x00\x00\x2a\x01", 8);
	r->o.uid_len = 8;
	*state = r;
	return 0;
}

static int teardown(void **state)
{
	struct rig *r = *state;
	char cmd[128];

	stop_sim(r);
	snprintf(cmd, sizeof cmd, "rm -rf %s", r->dir);
	assert_int_equal(system(cmd), 0);
	free(r);
	return 0;
}

static void unix_sim(struct rig *r)
{
	char l[160];

	snprintf(l, sizeof l, "unix:%s/sim.sock", r->dir);
	start_sim(r, l);
}

/* KEYGEN in mode, its proof checked; the public key to pub. */
static int keygen(struct rig *r, uint8_t mode, uint8_t *pub, int *existed)
{
	uint8_t nonce[32], sig[64], msg[SGP_SIGNED_MAX];
	struct sg_err err = {0};
	int rc;

	assert_int_equal(RAND_bytes(nonce, sizeof nonce), 1);
	if ((rc = sg_device_keygen(r->d, mode, nonce, pub, sig, existed, &err)) != SG_OK)
		return rc;
	size_t n = sgp_signed_message(1, r->info.uid, r->info.uid_len, nonce, pub, msg);
	assert_true(p256_verify(pub, msg, n, sig));
	return SG_OK;
}

static void check_challenge(struct rig *r, const uint8_t *pub)
{
	uint8_t nonce[32], sig[64], msg[SGP_SIGNED_MAX];
	struct sg_err err = {0};

	assert_int_equal(RAND_bytes(nonce, sizeof nonce), 1);
	assert_int_equal(sg_device_challenge(r->d, nonce, sig, &err), SG_OK);
	size_t n = sgp_signed_message(0, r->info.uid, r->info.uid_len, nonce, NULL, msg);
	assert_true(p256_verify(pub, msg, n, sig));
}

static void test_whole_flow(void **state)
{
	struct rig *r = *state;
	uint8_t pub[65], pub2[65], cert[1900], back[4096];
	size_t len = 0;
	uint32_t bits = 0;
	int existed = 1;
	struct sg_err err = {0};

	r->o.units = 2;
	unix_sim(r);
	connect_dev(r, 0);
	info(r);
	assert_string_equal(r->info.uid_hex, "53494d0000002a01");
	assert_string_equal(r->info.chip, "sim");
	assert_int_equal(r->info.caps, 7);
	assert_int_equal(r->info.lock_bits, 0);
	assert_int_equal(r->info.n_slots, 4);
	assert_int_equal(r->info.max_payload, 512);

	assert_int_equal(keygen(r, SGP_KEYGEN_EXISTING, pub, &existed), SG_FAIL);
	assert_int_equal(sg_device_status(r->d), SGP_NO_KEY);
	assert_int_equal(keygen(r, SGP_KEYGEN_CREATE, pub, &existed), SG_OK);
	assert_false(existed);
	check_challenge(r, pub);

	/* a certificate larger than one frame, written and read back */
	for (size_t i = 0; i < sizeof cert; i++)
		cert[i] = (uint8_t)(i * 13 + 1);
	assert_int_equal(sg_device_write_slot(r->d, SGP_SLOT_CERT, cert, sizeof cert, &err), SG_OK);
	assert_int_equal(sg_device_read_slot(r->d, SGP_SLOT_CERT, back, sizeof back, &len, &err), SG_OK);
	assert_int_equal(len, sizeof cert);
	assert_memory_equal(back, cert, sizeof cert);
	/* a slot larger than the caller's buffer is refused, not overrun */
	assert_int_equal(sg_device_read_slot(r->d, SGP_SLOT_CERT, back, 100, &len, &err), SG_FAIL);

	/* the simulator keeps its state across a restart */
	stop_sim(r);
	unix_sim(r);
	connect_dev(r, 0);
	info(r);
	assert_int_equal(keygen(r, SGP_KEYGEN_CREATE, pub2, &existed), SG_OK);
	assert_true(existed);
	assert_memory_equal(pub, pub2, 65);
	assert_int_equal(sg_device_read_slot(r->d, SGP_SLOT_CERT, back, sizeof back, &len, &err), SG_OK);
	assert_memory_equal(back, cert, sizeof cert);

	/* lock; the probe write is refused; the key still answers */
	assert_int_equal(sg_device_probe_write(r->d, SGP_SLOT_CERT, (uint32_t)len, &err), SG_OK);
	assert_int_equal(sg_device_lock(r->d, SGP_LOCK_ALL, &bits, &err), SG_OK);
	assert_int_equal(bits, SGP_LOCK_ALL);
	assert_int_equal(sg_device_lock_state(r->d, &bits, &err), SG_OK);
	assert_int_equal(bits, SGP_LOCK_ALL);
	assert_int_equal(sg_device_probe_write(r->d, SGP_SLOT_CERT, (uint32_t)len, &err), SG_FAIL);
	assert_int_equal(sg_device_status(r->d), SGP_LOCKED);
	check_challenge(r, pub);

	/* RESET: the next unit answers, with the next UID */
	assert_int_equal(sg_device_reset(r->d, &err), SG_OK);
	info(r);
	assert_string_equal(r->info.uid_hex, "53494d0000002a02");
	assert_int_equal(r->info.lock_bits, 0);
	assert_int_equal(keygen(r, SGP_KEYGEN_EXISTING, pub2, &existed), SG_FAIL);
}

/* Noise both ways: every call still succeeds, by retries that never run a
 * command twice (a WRITE appended twice would fail its length check). */
static void test_noisy_line(void **state)
{
	struct rig *r = *state;
	uint8_t pub[65], data[3000], back[4096];
	size_t len = 0;
	int existed;
	struct sg_err err = {0};

	r->o.drop = 0.0005;
	r->o.corrupt = 0.0005;
	r->o.seed = 42;
	unix_sim(r);
	connect_dev(r, 20);
	info(r);
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(i ^ 0x5a);
	for (int round = 0; round < 5; round++) {
		assert_int_equal(keygen(r, SGP_KEYGEN_CREATE, pub, &existed), SG_OK);
		if (sg_device_write_slot(r->d, SGP_SLOT_CHAIN, data, sizeof data, &err) != SG_OK)
			fail_msg("%s", err.msg);
		if (sg_device_read_slot(r->d, SGP_SLOT_CHAIN, back, sizeof back, &len, &err) != SG_OK)
			fail_msg("%s", err.msg);
		assert_int_equal(len, sizeof data);
		assert_memory_equal(back, data, sizeof data);
	}
	const struct sg_device_stats *s = sg_device_stats(r->d);
	assert_true(s->retries > 0);
	assert_true(s->frames_dropped > 0);
	print_message("noisy line: %llu requests, %llu retries, %llu frames dropped\n", s->requests,
		      s->retries, s->frames_dropped);
}

/* Silence: no answer after the retries is "no-response", and quickly. */
static void test_no_response(void **state)
{
	struct rig *r = *state;
	uint32_t bits;
	struct sg_err err = {0};

	r->o.drop = 1;
	unix_sim(r);
	connect_dev(r, 2);
	assert_int_equal(sg_device_lock_state(r->d, &bits, &err), SG_EENV);
	assert_string_equal(sg_device_reason(r->d), "no-response");
	assert_non_null(strstr(err.msg, "no answer to LOCK_STATE after 3 tries"));
	assert_int_equal(sg_device_stats(r->d)->retries, 2);
}

/* A power cut loses the change in flight and drops the link; the device
 * comes back with what its file held. */
static void test_power_cut(void **state)
{
	struct rig *r = *state;
	uint8_t pub[65];
	int existed;
	struct sg_err err = {0};

	r->o.power_cut_after = 1; /* the first change: the KEYGEN */
	unix_sim(r);
	connect_dev(r, 1);
	info(r);
	assert_int_equal(keygen(r, SGP_KEYGEN_CREATE, pub, &existed), SG_EENV);
	assert_true(!strcmp(sg_device_reason(r->d), "transport") ||
		    !strcmp(sg_device_reason(r->d), "no-response"));
	connect_dev(r, 1);
	info(r);
	assert_int_equal(keygen(r, SGP_KEYGEN_EXISTING, pub, &existed), SG_FAIL);
	assert_int_equal(sg_device_status(r->d), SGP_NO_KEY);
	/* the cut came once: the device takes the KEYGEN now, and keeps it */
	assert_int_equal(keygen(r, SGP_KEYGEN_CREATE, pub, &existed), SG_OK);
	assert_int_equal(keygen(r, SGP_KEYGEN_EXISTING, pub, &existed), SG_OK);
	assert_int_equal(existed, 1);
	(void)err;
}

/* A device that claims a lock it did not do: its state says locked, its
 * slots still take writes (what the station's lock check probes). */
static void test_fake_lock(void **state)
{
	struct rig *r = *state;
	uint32_t bits = 0;
	struct sg_err err = {0};

	r->o.fake_lock = 1;
	unix_sim(r);
	connect_dev(r, 0);
	info(r);
	assert_int_equal(sg_device_lock(r->d, SGP_LOCK_ALL, &bits, &err), SG_OK);
	assert_int_equal(bits, SGP_LOCK_ALL);
	assert_int_equal(sg_device_lock_state(r->d, &bits, &err), SG_OK);
	assert_int_equal(bits, SGP_LOCK_ALL);
	assert_int_equal(sg_device_probe_write(r->d, SGP_SLOT_CERT, 0, &err), SG_OK);
}

static void test_refuse_lock_and_lie(void **state)
{
	struct rig *r = *state;
	uint32_t bits = 0;
	struct sg_err err = {0};

	r->o.refuse_lock = 1;
	memcpy(r->o.lie_uid, "\x01\x02\x03", 3);
	r->o.lie_uid_len = 3;
	unix_sim(r);
	connect_dev(r, 0);
	info(r);
	assert_string_equal(r->info.uid_hex, "53494d0000002a01");
	assert_int_equal(sg_device_lock(r->d, SGP_LOCK_ALL, &bits, &err), SG_FAIL);
	assert_int_equal(sg_device_status(r->d), SGP_HARDWARE);
	assert_int_equal(sg_device_lock_state(r->d, &bits, &err), SG_OK);
	assert_int_equal(bits, 0);
	info(r);
	assert_string_equal(r->info.uid_hex, "010203");
}

static void test_pty_and_tcp(void **state)
{
	struct rig *r = *state;

	start_sim(r, "pty");
	assert_non_null(strstr(sg_listener_address(r->l), "pty:/dev/pts/"));
	connect_dev(r, 0);
	info(r);
	assert_string_equal(r->info.uid_hex, "53494d0000002a01");
	/* the station goes and comes back on the same terminal */
	connect_dev(r, 0);
	info(r);
	stop_sim(r);

	start_sim(r, "tcp:127.0.0.1:0");
	assert_null(strstr(sg_listener_address(r->l), ":0"));
	connect_dev(r, 0);
	info(r);
	assert_string_equal(r->info.chip, "sim");
}

static void test_bad_specs(void **state)
{
	struct rig *r = *state;
	struct sg_transport *t = NULL;
	struct sg_listener *l = NULL;
	struct sg_err err = {0};
	char path[200];
	FILE *fp;

	assert_int_equal(sg_transport_open("usb:/dev/ttyUSB0", 100, &t, &err), SG_EINPUT);
	assert_string_equal(err.param, "fixture");
	/* serial: is a transport: a port that is not there fails to open */
	snprintf(path, sizeof path, "serial:%s/ttyUSB0", r->dir);
	assert_int_equal(sg_transport_open(path, 100, &t, &err), SG_EENV);
	assert_non_null(strstr(err.msg, "ttyUSB0: no such port"));
	assert_int_equal(sg_transport_open("tcp:nohostport", 100, &t, &err), SG_EINPUT);
	snprintf(path, sizeof path, "unix:%s/absent.sock", r->dir);
	assert_int_equal(sg_transport_open(path, 100, &t, &err), SG_EENV);
	assert_non_null(strstr(err.msg, "absent.sock"));
	assert_int_equal(sg_listener_open("udp:1", &l, &err), SG_EINPUT);
	/* a state file that is not one, or holds another UID */
	assert_non_null(fp = fopen(r->state, "w"));
	fputs("not a state\n", fp);
	fclose(fp);
	assert_int_equal(sg_sim_new(&r->o, &r->sim, &err), SG_EINPUT);
	assert_non_null(strstr(err.msg, "not a signet sim state file"));
	unlink(r->state);
	assert_int_equal(sg_sim_new(&r->o, &r->sim, &err), SG_OK);
	sg_sim_free(r->sim);
	r->o.uid[0] ^= 1;
	assert_int_equal(sg_sim_new(&r->o, &r->sim, &err), SG_EINPUT);
	assert_string_equal(err.param, "uid");
	r->sim = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_whole_flow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_noisy_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_response, setup, teardown),
		cmocka_unit_test_setup_teardown(test_power_cut, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fake_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuse_lock_and_lie, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pty_and_tcp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_specs, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
