/* libFuzzer harness for the station's end of the device protocol
 * (provision/device.c): whatever an agent answers, the client either
 * accepts it within the protocol's limits or fails with one line. The
 * input is a list of answers (status, length, payload) that the harness
 * frames with the right sequence numbers and commands, so that the
 * parsers behind the CRC are reached, followed by raw bytes; the calls
 * are INFO, KEYGEN, SIGN_CHALLENGE, READ of a slot, LOCK, LOCK_STATE. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "signet/device.h"

static const uint8_t calls[] = {SGP_INFO, SGP_KEYGEN, SGP_SIGN_CHALLENGE, SGP_READ, SGP_READ,
				SGP_LOCK, SGP_LOCK_STATE};

static void check(int rc, const struct sg_err *err)
{
	if (rc != SG_OK && (!err->msg[0] || strchr(err->msg, '\n')))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t wire[SGP_WIRE_LEN(SGP_MAX_PAYLOAD)], buf[8192];
	struct sg_device_opts o = {.timeout_ms = 1, .slow_timeout_ms = 1, .retries = -1};
	struct sg_device_info info;
	struct sg_transport *t = NULL;
	struct sg_device *d = NULL;
	struct sg_err err = {0};
	uint8_t nonce[SGP_NONCE_LEN] = {0}, pub[SGP_P256_PUB_LEN], sig[SGP_P256_SIG_LEN];
	uint32_t state;
	size_t len;
	int sv[2], existed;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		abort();
	/* the answers, framed: seq counts from 1 with each call */
	for (unsigned i = 0; i < sizeof calls && size >= 3; i++) {
		struct sgp_frame f = {SGP_RESPONSE, (uint8_t)(i + 1), calls[i], data[0],
				      (uint16_t)(data[1] | data[2] << 8), data + 3, 0};
		if (f.len > size - 3)
			f.len = (uint16_t)(size - 3);
		size_t n = sgp_frame_encode(&f, wire, sizeof wire);
		if (write(sv[1], wire, n) != (ssize_t)n)
			abort();
		data += 3 + f.len;
		size -= 3 + (size_t)f.len;
	}
	if (size && write(sv[1], data, size < 65536 ? size : 65536) < 0)
		abort();
	/* then the end of the stream: no call waits for more */
	shutdown(sv[1], SHUT_WR);
	if (sg_transport_from_fd(sv[0], "fuzz", &t, &err) != SG_OK || sg_device_new(t, &o, &d, &err) != SG_OK)
		abort();
	check(sg_device_info(d, &info, &err), &err);
	if (info.uid_len > SGP_UID_MAX || info.n_slots > SG_DEVICE_SLOTS || strlen(info.uid_hex) != 2u * info.uid_len)
		abort();
	check(sg_device_keygen(d, SGP_KEYGEN_CREATE, nonce, pub, sig, &existed, &err), &err);
	check(sg_device_challenge(d, nonce, sig, &err), &err);
	len = 0;
	int rc = sg_device_read_slot(d, SGP_SLOT_CERT, buf, sizeof buf, &len, &err);
	check(rc, &err);
	if (rc == SG_OK && len > sizeof buf)
		abort();
	check(sg_device_lock(d, SGP_LOCK_ALL, &state, &err), &err);
	check(sg_device_lock_state(d, &state, &err), &err);
	sg_device_free(d);
	close(sv[1]);
	return 0;
}
