/* The device agent: docs/protocol.md §2-§4 on top of the frame codec. One
 * function per command; each returns the status to answer with and leaves
 * its response payload in a->payload (*n bytes). See signet/agent.h. */
#include <string.h>

#include "signet/agent.h"

/* A request's payload, as the handlers see it. */
struct req {
	const uint8_t *p;
	uint16_t len;
};

static const struct sgp_slot *slot_find(const struct sgp_agent *a, uint8_t id)
{
	for (unsigned i = 0; i < a->hal->n_slots && i < SGP_AGENT_SLOTS; i++)
		if (a->hal->slots[i].id == id)
			return &a->hal->slots[i];
	return NULL;
}

static int locked(const struct sgp_agent *a, uint32_t bit, int *status)
{
	uint32_t bits = 0;

	*status = a->hal->lock_state(a->hal->ctx, &bits);
	return *status != SGP_OK || (bits & bit) != 0;
}

static size_t text_len(const char *s)
{
	size_t n = 0;

	while (n < SGP_TEXT_MAX && s[n]) /* s[SGP_TEXT_MAX] need not exist */
		n++;
	return n;
}

static size_t put_tlv(uint8_t *p, uint8_t type, const void *v, size_t n)
{
	p[0] = type;
	p[1] = (uint8_t)n;
	memcpy(p + 2, v, n);
	return n + 2;
}

static int cmd_info(struct sgp_agent *a, struct req r, size_t *n)
{
	const struct sgp_agent_hal *h = a->hal;
	uint8_t *p = a->payload, v[SGP_UID_MAX], len = 0;
	uint32_t bits = 0;
	int st;

	if (r.len != 4)
		return SGP_BAD_LENGTH;
	if (r.p[0] > SGP_VERSION || r.p[1] < SGP_VERSION)
		return SGP_VERSION_MISMATCH;
	if (sgp_get16(r.p + 2) < SGP_MIN_PAYLOAD)
		return SGP_BAD_ARGUMENT;
	if ((st = h->uid(h->ctx, v, &len)) != SGP_OK || (st = h->lock_state(h->ctx, &bits)) != SGP_OK)
		return st;
	if (len == 0 || len > SGP_UID_MAX)
		return SGP_HARDWARE;
	p[0] = SGP_VERSION;
	sgp_put16(p + 1, SGP_AGENT_PAYLOAD);
	*n = 3;
	*n += put_tlv(p + *n, SGP_TLV_UID, v, len);
	*n += put_tlv(p + *n, SGP_TLV_CHIP, h->chip, text_len(h->chip));
	*n += put_tlv(p + *n, SGP_TLV_AGENT, h->agent_version, text_len(h->agent_version));
	sgp_put32(v, h->caps);
	*n += put_tlv(p + *n, SGP_TLV_CAPS, v, 4);
	sgp_put32(v, bits);
	*n += put_tlv(p + *n, SGP_TLV_LOCK, v, 4);
	for (unsigned i = 0; i < h->n_slots && i < SGP_AGENT_SLOTS; i++) {
		v[0] = h->slots[i].id;
		v[1] = h->slots[i].flags;
		sgp_put32(v + 2, h->slots[i].capacity);
		*n += put_tlv(p + *n, SGP_TLV_SLOT, v, 6);
	}
	if (h->caps & (SGP_CAP_KEYGEN | SGP_CAP_INJECT)) {
		v[0] = SGP_ALG_P256;
		*n += put_tlv(p + *n, SGP_TLV_ALGS, v, 1);
	}
	a->negotiated = 1;
	a->max_payload = sgp_get16(r.p + 2) < SGP_AGENT_PAYLOAD ? sgp_get16(r.p + 2) : SGP_AGENT_PAYLOAD;
	return SGP_OK;
}

/* Signs a->msg (len bytes) into the response at p. */
static int sign_msg(struct sgp_agent *a, size_t len, uint8_t *p)
{
	sgp_put16(p, SGP_P256_SIG_LEN);
	return a->hal->sign(a->hal->ctx, SGP_ALG_P256, a->msg, len, p + 2);
}

/* The response's UID, for the signed bytes. */
static int device_uid(struct sgp_agent *a, uint8_t *uid, uint8_t *len)
{
	int st = a->hal->uid(a->hal->ctx, uid, len);

	return st == SGP_OK && (*len == 0 || *len > SGP_UID_MAX) ? SGP_HARDWARE : st;
}

static int cmd_keygen(struct sgp_agent *a, struct req r, size_t *n)
{
	const struct sgp_agent_hal *h = a->hal;
	uint8_t *p = a->payload, uid[SGP_UID_MAX], uid_len = 0, mode;
	int st;

	if (r.len != 2 + SGP_NONCE_LEN)
		return SGP_BAD_LENGTH;
	mode = r.p[0];
	if (mode > SGP_KEYGEN_REPLACE)
		return SGP_BAD_ARGUMENT;
	if (!(h->caps & SGP_CAP_KEYGEN) || r.p[1] != SGP_ALG_P256)
		return SGP_UNSUPPORTED;
	if ((st = device_uid(a, uid, &uid_len)) != SGP_OK)
		return st;
	p[0] = 0;
	st = mode == SGP_KEYGEN_REPLACE ? SGP_NO_KEY : h->key_public(h->ctx, SGP_ALG_P256, p + 4);
	if (st == SGP_OK) {
		p[0] = SGP_KEYGEN_EXISTED;
	} else if (st == SGP_NO_KEY && mode != SGP_KEYGEN_EXISTING) {
		if (locked(a, SGP_LOCK_SLOTS, &st))
			return st == SGP_OK ? SGP_LOCKED : st;
		st = h->keygen(h->ctx, SGP_ALG_P256, p + 4);
	}
	if (st != SGP_OK)
		return st;
	p[1] = SGP_ALG_P256;
	sgp_put16(p + 2, SGP_P256_PUB_LEN);
	*n = 4 + SGP_P256_PUB_LEN;
	*n += 2 + SGP_P256_SIG_LEN;
	return sign_msg(a, sgp_signed_message(1, uid, uid_len, r.p + 2, p + 4, a->msg),
			p + 4 + SGP_P256_PUB_LEN);
}

static int cmd_challenge(struct sgp_agent *a, struct req r, size_t *n)
{
	const struct sgp_agent_hal *h = a->hal;
	uint8_t uid[SGP_UID_MAX], uid_len = 0;
	int st;

	if (r.len != SGP_NONCE_LEN)
		return SGP_BAD_LENGTH;
	if (!(h->caps & SGP_CAP_CHALLENGE))
		return SGP_UNSUPPORTED;
	/* The public key lands in the payload only to ask whether there is one. */
	if ((st = device_uid(a, uid, &uid_len)) != SGP_OK ||
	    (st = h->key_public(h->ctx, SGP_ALG_P256, a->payload)) != SGP_OK)
		return st;
	*n = 2 + SGP_P256_SIG_LEN;
	return sign_msg(a, sgp_signed_message(0, uid, uid_len, r.p, NULL, a->msg), a->payload);
}

static int cmd_write(struct sgp_agent *a, struct req r, size_t *n)
{
	const struct sgp_agent_hal *h = a->hal;
	const struct sgp_slot *s;
	uint32_t off, len = 0, data_len;
	int st;

	if (r.len < 6)
		return SGP_BAD_LENGTH;
	s = slot_find(a, r.p[0]);
	off = sgp_get32(r.p + 2);
	data_len = (uint32_t)r.len - 6;
	if (!s || (r.p[1] & ~SGP_WRITE_BEGIN) || ((r.p[1] & SGP_WRITE_BEGIN) && off != 0))
		return SGP_BAD_ARGUMENT;
	if (locked(a, SGP_LOCK_SLOTS, &st))
		return st == SGP_OK ? SGP_LOCKED : st;
	if ((st = h->slot_length(h->ctx, s->id, &len)) != SGP_OK)
		return st;
	if (r.p[1] & SGP_WRITE_BEGIN) {
		if ((s->flags & SGP_SLOT_WRITE_ONCE) && len != 0)
			return SGP_LOCKED;
		if ((st = h->slot_erase(h->ctx, s->id)) != SGP_OK)
			return st;
		len = 0;
	}
	if (len > s->capacity)
		return SGP_HARDWARE;
	if (off != len)
		return SGP_BAD_ARGUMENT;
	if (data_len > s->capacity - len)
		return SGP_FULL;
	if (data_len && (st = h->slot_write(h->ctx, s->id, off, r.p + 6, data_len)) != SGP_OK)
		return st;
	sgp_put32(a->payload, len + data_len);
	*n = 4;
	return SGP_OK;
}

static int cmd_read(struct sgp_agent *a, struct req r, size_t *n)
{
	const struct sgp_agent_hal *h = a->hal;
	const struct sgp_slot *s;
	uint32_t off, len = 0, want;
	int st;

	if (r.len != 7)
		return SGP_BAD_LENGTH;
	if (!(s = slot_find(a, r.p[0])))
		return SGP_BAD_ARGUMENT;
	if ((s->flags & SGP_SLOT_SECRET) && locked(a, SGP_LOCK_SLOTS, &st))
		return st == SGP_OK ? SGP_LOCKED : st;
	if ((st = h->slot_length(h->ctx, s->id, &len)) != SGP_OK)
		return st;
	off = sgp_get32(r.p + 1);
	want = sgp_get16(r.p + 5);
	if (want > (uint32_t)a->max_payload - 4)
		want = (uint32_t)a->max_payload - 4;
	if (off >= len)
		want = 0;
	else if (want > len - off)
		want = len - off;
	sgp_put32(a->payload, len);
	*n = 4 + want;
	return want ? h->slot_read(h->ctx, s->id, off, a->payload + 4, want) : SGP_OK;
}

static int cmd_lock(struct sgp_agent *a, struct req r, size_t *n)
{
	const struct sgp_agent_hal *h = a->hal;
	uint32_t bits = 0;
	int st;

	if (r.len != 8)
		return SGP_BAD_LENGTH;
	if (sgp_get32(r.p + 4) != SGP_LOCK_CONFIRM || (sgp_get32(r.p) & ~SGP_LOCK_ALL))
		return SGP_BAD_ARGUMENT;
	if ((st = h->lock(h->ctx, sgp_get32(r.p))) != SGP_OK ||
	    (st = h->lock_state(h->ctx, &bits)) != SGP_OK)
		return st;
	sgp_put32(a->payload, bits);
	*n = 4;
	return SGP_OK;
}

static int cmd_lock_state(struct sgp_agent *a, struct req r, size_t *n)
{
	uint32_t bits = 0;
	int st;

	if (r.len != 0)
		return SGP_BAD_LENGTH;
	if ((st = a->hal->lock_state(a->hal->ctx, &bits)) != SGP_OK)
		return st;
	sgp_put32(a->payload, bits);
	*n = 4;
	return SGP_OK;
}

static int cmd_reset(struct sgp_agent *a, struct req r, size_t *n)
{
	if (r.len != 0)
		return SGP_BAD_LENGTH;
	a->reset_due = 1;
	*n = 0;
	return SGP_OK;
}

static int execute(struct sgp_agent *a, const struct sgp_frame *f, size_t *n)
{
	struct req r = {f->payload, f->len};

	switch (f->cmd) {
	case SGP_INFO: return cmd_info(a, r, n);
	case SGP_KEYGEN: return a->negotiated ? cmd_keygen(a, r, n) : SGP_VERSION_MISMATCH;
	case SGP_SIGN_CHALLENGE: return a->negotiated ? cmd_challenge(a, r, n) : SGP_VERSION_MISMATCH;
	case SGP_WRITE: return a->negotiated ? cmd_write(a, r, n) : SGP_VERSION_MISMATCH;
	case SGP_READ: return a->negotiated ? cmd_read(a, r, n) : SGP_VERSION_MISMATCH;
	case SGP_LOCK: return a->negotiated ? cmd_lock(a, r, n) : SGP_VERSION_MISMATCH;
	case SGP_LOCK_STATE: return a->negotiated ? cmd_lock_state(a, r, n) : SGP_VERSION_MISMATCH;
	case SGP_RESET: return a->negotiated ? cmd_reset(a, r, n) : SGP_VERSION_MISMATCH;
	default: return SGP_UNKNOWN_COMMAND;
	}
}

void sgp_agent_init(struct sgp_agent *a, const struct sgp_agent_hal *hal)
{
	memset(a, 0, sizeof *a);
	a->hal = hal;
	a->max_payload = SGP_MIN_PAYLOAD;
	sgp_rx_init(&a->rx, a->rx_buf, sizeof a->rx_buf);
}

size_t sgp_agent_byte(struct sgp_agent *a, uint8_t b, const uint8_t **out)
{
	struct sgp_frame req, resp;
	size_t n = 0;
	int st;

	if (!sgp_rx_byte(&a->rx, b, &req) || req.kind != SGP_REQUEST)
		return 0;
	*out = a->tx_buf;
	if (a->last_valid && req.seq == a->last_seq && req.crc == a->last_crc)
		return a->tx_len; /* §2: a retry gets the same answer, unexecuted */
	st = execute(a, &req, &n);
	resp.kind = SGP_RESPONSE;
	resp.seq = req.seq;
	resp.cmd = req.cmd;
	resp.status = (uint8_t)st;
	resp.len = st == SGP_OK ? (uint16_t)n : 0;
	resp.payload = a->payload;
	a->tx_len = sgp_frame_encode(&resp, a->tx_buf, sizeof a->tx_buf);
	a->last_valid = a->tx_len != 0;
	a->last_seq = req.seq;
	a->last_crc = req.crc;
	return a->tx_len;
}
