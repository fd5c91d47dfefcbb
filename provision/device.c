/* The station's end of the device protocol: see signet/device.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "signet/device.h"
#include "transport_priv.h"

struct sg_device {
	struct sg_transport *t;
	struct sg_device_opts o;
	struct sg_device_stats stats;
	struct sgp_rx rx;
	uint8_t seq, status;
	uint16_t max_payload;
	const char *reason;
	uint8_t rx_buf[SGP_WIRE_LEN(SGP_MAX_PAYLOAD)];
	uint8_t tx_buf[SGP_WIRE_LEN(SGP_MAX_PAYLOAD) + 1];
	uint8_t resp[SGP_MAX_PAYLOAD]; /* the last answer's payload */
	uint16_t resp_len;
};

static const char *const status_names[] = {
	"OK", "UNKNOWN_COMMAND", "BAD_LENGTH", "BAD_ARGUMENT", "LOCKED", "NO_KEY",
	"UNSUPPORTED", "HARDWARE", "VERSION", "FULL",
};

static const char *const cmd_names[] = {
	"?", "INFO", "KEYGEN", "SIGN_CHALLENGE", "WRITE", "READ", "LOCK", "LOCK_STATE", "RESET",
};

const char *sg_device_status_name(uint8_t status)
{
	return status < sizeof status_names / sizeof *status_names ? status_names[status] : "an unknown status";
}

static const char *cmd_name(uint8_t cmd)
{
	return cmd < sizeof cmd_names / sizeof *cmd_names ? cmd_names[cmd] : "?";
}

int sg_device_new(struct sg_transport *t, const struct sg_device_opts *o, struct sg_device **d,
		  struct sg_err *err)
{
	struct sg_device *x = calloc(1, sizeof *x);

	if (!x) {
		sg_transport_close(t);
		return sg_errf(err, SG_EENV, "out of memory");
	}
	x->t = t;
	if (o)
		x->o = *o;
	if (x->o.timeout_ms <= 0)
		x->o.timeout_ms = 1000;
	if (x->o.slow_timeout_ms <= 0)
		x->o.slow_timeout_ms = 10000;
	if (x->o.retries == 0)
		x->o.retries = 3;
	x->max_payload = SGP_MIN_PAYLOAD;
	x->reason = "";
	sgp_rx_init(&x->rx, x->rx_buf, sizeof x->rx_buf);
	*d = x;
	return SG_OK;
}

void sg_device_free(struct sg_device *d)
{
	if (!d)
		return;
	sg_transport_close(d->t);
	free(d);
}

uint8_t sg_device_status(const struct sg_device *d)
{
	return d->status;
}

const char *sg_device_reason(const struct sg_device *d)
{
	return d->reason;
}

const struct sg_device_stats *sg_device_stats(const struct sg_device *d)
{
	return &d->stats;
}

/* The time n bytes take on the line (10 bits a byte), in ms, rounded up. */
static int wire_ms(const struct sg_device *d, size_t n)
{
	return d->o.baud ? (int)((n * 10 * 1000 + d->o.baud - 1) / d->o.baud) : 0;
}

static int fail_env(struct sg_device *d, const char *reason, struct sg_err *err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* SG_EENV with reason: "FIXTURE: " and the message. */
static int fail_env(struct sg_device *d, const char *reason, struct sg_err *err, const char *fmt, ...)
{
	char msg[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	d->reason = reason;
	return sg_errf(err, SG_EENV, "%s: %s", sg_transport_name(d->t), msg);
}

/* Waits for the answer to (seq, cmd) until deadline. 1: got it; 0: none
 * in time; SG_EENV as a negative: the link failed. */
static int await(struct sg_device *d, uint8_t cmd, long long deadline, struct sg_err *err)
{
	uint8_t buf[512];
	struct sgp_frame f;

	for (;;) {
		long long left = deadline - now_ms();
		size_t got = 0;

		if (left <= 0)
			return 0;
		if (sg_transport_read(d->t, buf, sizeof buf, (int)left, &got, err) != SG_OK) {
			d->reason = "transport";
			return -SG_EENV;
		}
		d->stats.bytes_in += got;
		for (size_t i = 0; i < got; i++) {
			uint32_t dropped = d->rx.dropped;
			if (!sgp_rx_byte(&d->rx, buf[i], &f)) {
				d->stats.frames_dropped += d->rx.dropped - dropped;
				continue;
			}
			/* late answers to earlier requests are dropped (§2) */
			if (f.kind != SGP_RESPONSE || f.seq != d->seq || f.cmd != cmd)
				continue;
			d->status = f.status;
			d->resp_len = f.len;
			memcpy(d->resp, f.payload, f.len);
			return 1;
		}
	}
}

/* Sends one request and waits for its answer, retrying the same bytes.
 * SG_OK with the answer in d->resp (status OK), SG_FAIL (another status),
 * SG_EENV (no answer, or the link failed). */
static int request(struct sg_device *d, uint8_t cmd, const uint8_t *payload, uint16_t len, int slow,
		   struct sg_err *err)
{
	struct sgp_frame f = {SGP_REQUEST, ++d->seq, cmd, 0, len, payload, 0};
	size_t n;
	int timeout = slow ? d->o.slow_timeout_ms : d->o.timeout_ms, tries = d->o.retries < 0 ? 1 : d->o.retries + 1;

	/* A lone delimiter first ends whatever noise came before (§1). */
	d->tx_buf[0] = 0;
	n = sgp_frame_encode(&f, d->tx_buf + 1, sizeof d->tx_buf - 1) + 1;
	d->stats.requests++;
	for (int i = 0; i < tries; i++) {
		long long deadline;
		int rc;

		if (i) {
			d->stats.retries++;
			/* nothing valid is in flight after a timeout: a partial
			 * frame must not swallow the next answer */
			sgp_rx_init(&d->rx, d->rx_buf, sizeof d->rx_buf);
		}
		if (sg_transport_write(d->t, d->tx_buf, n, timeout + wire_ms(d, n), err) != SG_OK) {
			d->reason = "transport";
			return SG_EENV;
		}
		d->stats.bytes_out += n;
		deadline = now_ms() + timeout + wire_ms(d, n + SGP_WIRE_LEN(d->max_payload));
		rc = await(d, cmd, deadline, err);
		if (rc < 0)
			return SG_EENV;
		if (rc == 0)
			continue;
		if (d->status != SGP_OK) {
			d->reason = "device-error";
			return sg_errf(err, SG_FAIL, "%s: the device answered %s to %s", sg_transport_name(d->t),
				       sg_device_status_name(d->status), cmd_name(cmd));
		}
		return SG_OK;
	}
	return fail_env(d, "no-response", err, "no answer to %s after %d tries", cmd_name(cmd), tries);
}

/* A request with its time on the link counted (stats.link_ns). */
static int call(struct sg_device *d, uint8_t cmd, const uint8_t *payload, uint16_t len, int slow,
		struct sg_err *err)
{
	unsigned long long t0 = now_ns();
	int rc = request(d, cmd, payload, len, slow, err);

	d->stats.link_ns += now_ns() - t0;
	return rc;
}

static int bad_agent(struct sg_device *d, struct sg_err *err, const char *what)
{
	return fail_env(d, "bad-agent", err, "the agent's answer is malformed: %s", what);
}

static int text_tlv(const uint8_t *v, uint8_t n, char *out)
{
	if (n < 1 || n > SGP_TEXT_MAX)
		return 0;
	for (unsigned i = 0; i < n; i++)
		if (v[i] < 0x21 || v[i] > 0x7e)
			return 0;
	memcpy(out, v, n);
	out[n] = 0;
	return 1;
}

/* One INFO TLV into info; seen counts the once-only types. 0: malformed. */
static int info_tlv(struct sg_device_info *info, uint8_t type, const uint8_t *v, uint8_t n,
		    unsigned seen[8])
{
	if (type < 8 && type != SGP_TLV_SLOT && seen[type]++)
		return 0;
	switch (type) {
	case SGP_TLV_UID:
		if (n < 1 || n > SGP_UID_MAX)
			return 0;
		memcpy(info->uid, v, n);
		info->uid_len = n;
		for (unsigned i = 0; i < n; i++)
			snprintf(info->uid_hex + 2 * i, 3, "%02x", v[i]);
		return 1;
	case SGP_TLV_CHIP: return text_tlv(v, n, info->chip);
	case SGP_TLV_AGENT: return text_tlv(v, n, info->agent);
	case SGP_TLV_CAPS:
		info->caps = sgp_get32(v);
		return n == 4;
	case SGP_TLV_LOCK:
		info->lock_bits = sgp_get32(v);
		return n == 4;
	case SGP_TLV_SLOT:
		if (n != 6 || info->n_slots == SG_DEVICE_SLOTS)
			return 0;
		for (unsigned i = 0; i < info->n_slots; i++)
			if (info->slots[i].id == v[0])
				return 0;
		info->slots[info->n_slots].id = v[0];
		info->slots[info->n_slots].flags = v[1];
		info->slots[info->n_slots++].capacity = sgp_get32(v + 2);
		return 1;
	case SGP_TLV_ALGS:
		if (n < 1 || n > sizeof info->algs)
			return 0;
		memcpy(info->algs, v, n);
		info->n_algs = n;
		return 1;
	default:
		return 1; /* a later version's: ignored (§3.1) */
	}
}

int sg_device_info(struct sg_device *d, struct sg_device_info *info, struct sg_err *err)
{
	uint8_t req[4] = {SGP_VERSION, SGP_VERSION};
	unsigned seen[8] = {0};
	int rc;

	memset(info, 0, sizeof *info);
	sgp_put16(req + 2, SGP_MAX_PAYLOAD);
	d->max_payload = SGP_MIN_PAYLOAD;
	if ((rc = call(d, SGP_INFO, req, sizeof req, 0, err)) != SG_OK)
		return rc == SG_FAIL && d->status == SGP_VERSION_MISMATCH
			       ? fail_env(d, "bad-agent", err, "the agent speaks no protocol version this station does")
			       : rc;
	if (d->resp_len < 3 || d->resp[0] != SGP_VERSION)
		return bad_agent(d, err, "INFO without version 1");
	info->version = d->resp[0];
	info->max_payload = sgp_get16(d->resp + 1);
	if (info->max_payload < SGP_MIN_PAYLOAD || info->max_payload > SGP_MAX_PAYLOAD)
		return bad_agent(d, err, "a max payload outside 256..4096");
	for (size_t i = 3; i < d->resp_len;) {
		if (d->resp_len - i < 2 || d->resp_len - i - 2 < d->resp[i + 1])
			return bad_agent(d, err, "a TLV runs past the end of INFO");
		if (!info_tlv(info, d->resp[i], d->resp + i + 2, d->resp[i + 1], seen))
			return bad_agent(d, err, "a bad or repeated INFO TLV");
		i += 2u + d->resp[i + 1];
	}
	if (!seen[SGP_TLV_UID] || !seen[SGP_TLV_CHIP] || !seen[SGP_TLV_AGENT] || !seen[SGP_TLV_CAPS] ||
	    !seen[SGP_TLV_LOCK] || ((info->caps & (SGP_CAP_KEYGEN | SGP_CAP_INJECT)) && !seen[SGP_TLV_ALGS]))
		return bad_agent(d, err, "a required INFO TLV is missing");
	d->max_payload = info->max_payload;
	return SG_OK;
}

int sg_device_keygen(struct sg_device *d, uint8_t mode, const uint8_t nonce[SGP_NONCE_LEN],
		     uint8_t pub[SGP_P256_PUB_LEN], uint8_t sig[SGP_P256_SIG_LEN], int *existed,
		     struct sg_err *err)
{
	uint8_t req[2 + SGP_NONCE_LEN] = {mode, SGP_ALG_P256};
	int rc;

	memcpy(req + 2, nonce, SGP_NONCE_LEN);
	if ((rc = call(d, SGP_KEYGEN, req, sizeof req, 1, err)) != SG_OK)
		return rc;
	if (d->resp_len != 4 + SGP_P256_PUB_LEN + 2 + SGP_P256_SIG_LEN || d->resp[1] != SGP_ALG_P256 ||
	    sgp_get16(d->resp + 2) != SGP_P256_PUB_LEN ||
	    sgp_get16(d->resp + 4 + SGP_P256_PUB_LEN) != SGP_P256_SIG_LEN)
		return bad_agent(d, err, "KEYGEN");
	*existed = d->resp[0] & SGP_KEYGEN_EXISTED;
	memcpy(pub, d->resp + 4, SGP_P256_PUB_LEN);
	memcpy(sig, d->resp + 6 + SGP_P256_PUB_LEN, SGP_P256_SIG_LEN);
	return SG_OK;
}

int sg_device_challenge(struct sg_device *d, const uint8_t nonce[SGP_NONCE_LEN],
			uint8_t sig[SGP_P256_SIG_LEN], struct sg_err *err)
{
	int rc = call(d, SGP_SIGN_CHALLENGE, nonce, SGP_NONCE_LEN, 1, err);

	if (rc != SG_OK)
		return rc;
	if (d->resp_len != 2 + SGP_P256_SIG_LEN || sgp_get16(d->resp) != SGP_P256_SIG_LEN)
		return bad_agent(d, err, "SIGN_CHALLENGE");
	memcpy(sig, d->resp + 2, SGP_P256_SIG_LEN);
	return SG_OK;
}

/* One WRITE; the slot's length after it must be off + n. */
static int write_chunk(struct sg_device *d, uint8_t slot, uint8_t flags, uint32_t off,
		       const uint8_t *data, size_t n, struct sg_err *err)
{
	uint8_t req[SGP_MAX_PAYLOAD];
	int rc;

	req[0] = slot;
	req[1] = flags;
	sgp_put32(req + 2, off);
	if (n)
		memcpy(req + 6, data, n);
	if ((rc = call(d, SGP_WRITE, req, (uint16_t)(6 + n), 0, err)) != SG_OK)
		return rc;
	if (d->resp_len != 4 || sgp_get32(d->resp) != off + n)
		return bad_agent(d, err, "WRITE reports another length");
	return SG_OK;
}

int sg_device_write_slot(struct sg_device *d, uint8_t slot, const uint8_t *data, size_t len,
			 struct sg_err *err)
{
	size_t chunk = d->max_payload - 6u, off = 0;
	int rc;

	if (len > UINT32_MAX)
		return sg_errf(err, SG_EINPUT, "%zu bytes do not fit a slot", len);
	do {
		size_t n = len - off < chunk ? len - off : chunk;
		rc = write_chunk(d, slot, off ? 0 : SGP_WRITE_BEGIN, (uint32_t)off, data + off, n, err);
		off += n;
	} while (rc == SG_OK && off < len);
	return rc;
}

int sg_device_probe_write(struct sg_device *d, uint8_t slot, uint32_t off, struct sg_err *err)
{
	return write_chunk(d, slot, 0, off, NULL, 0, err);
}

int sg_device_read_slot(struct sg_device *d, uint8_t slot, uint8_t *buf, size_t cap, size_t *len,
			struct sg_err *err)
{
	uint8_t req[7] = {slot};
	size_t off = 0, total = 0;
	int rc;

	do {
		sgp_put32(req + 1, (uint32_t)off);
		sgp_put16(req + 5, (uint16_t)(d->max_payload - 4u));
		if ((rc = call(d, SGP_READ, req, sizeof req, 0, err)) != SG_OK)
			return rc;
		if (d->resp_len < 4)
			return bad_agent(d, err, "READ");
		total = sgp_get32(d->resp);
		if (total > cap) {
			d->status = SGP_FULL;
			d->reason = "device-error";
			return sg_errf(err, SG_FAIL, "%s: slot %u holds %zu bytes, more than the %zu expected",
				       sg_transport_name(d->t), slot, total, cap);
		}
		if (d->resp_len - 4u > total - off || (off < total && d->resp_len == 4))
			return bad_agent(d, err, "READ returns other bytes than asked for");
		memcpy(buf + off, d->resp + 4, d->resp_len - 4u);
		off += d->resp_len - 4u;
	} while (off < total);
	*len = total;
	return SG_OK;
}

static int state_answer(struct sg_device *d, uint32_t *state, struct sg_err *err, const char *cmd)
{
	if (d->resp_len != 4)
		return bad_agent(d, err, cmd);
	*state = sgp_get32(d->resp);
	return SG_OK;
}

int sg_device_lock(struct sg_device *d, uint32_t bits, uint32_t *state, struct sg_err *err)
{
	uint8_t req[8];
	int rc;

	sgp_put32(req, bits);
	sgp_put32(req + 4, SGP_LOCK_CONFIRM);
	if ((rc = call(d, SGP_LOCK, req, sizeof req, 1, err)) != SG_OK)
		return rc;
	return state_answer(d, state, err, "LOCK");
}

int sg_device_lock_state(struct sg_device *d, uint32_t *state, struct sg_err *err)
{
	int rc = call(d, SGP_LOCK_STATE, NULL, 0, 0, err);

	return rc != SG_OK ? rc : state_answer(d, state, err, "LOCK_STATE");
}

int sg_device_reset(struct sg_device *d, struct sg_err *err)
{
	return call(d, SGP_RESET, NULL, 0, 0, err);
}
