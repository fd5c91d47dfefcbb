/* See ram_hal.h. */
#include <string.h>

#include "ram_hal.h"

const struct sgp_slot ram_slots[4] = {
	{SGP_SLOT_CERT, 0, 1024},
	{SGP_SLOT_CHAIN, 0, 2048},
	{SGP_SLOT_KEY, SGP_SLOT_SECRET, 64},
	{0x10, SGP_SLOT_WRITE_ONCE, 32},
};

static int slot_index(uint8_t slot)
{
	for (int i = 0; i < 4; i++)
		if (ram_slots[i].id == slot)
			return i;
	return -1;
}

static int hal_uid(void *ctx, uint8_t *uid, uint8_t *len)
{
	struct ram_device *d = ctx;

	memcpy(uid, d->uid, d->uid_len);
	*len = d->uid_len;
	return SGP_OK;
}

static int hal_slot_length(void *ctx, uint8_t slot, uint32_t *len)
{
	struct ram_device *d = ctx;
	int i = slot_index(slot);

	if (i < 0)
		return SGP_HARDWARE;
	*len = d->len[i];
	return SGP_OK;
}

static int hal_slot_read(void *ctx, uint8_t slot, uint32_t off, uint8_t *buf, uint32_t n)
{
	struct ram_device *d = ctx;
	int i = slot_index(slot);

	if (i < 0 || off > d->len[i] || n > d->len[i] - off)
		return SGP_HARDWARE;
	memcpy(buf, d->data[i] + off, n);
	return SGP_OK;
}

static int hal_slot_erase(void *ctx, uint8_t slot)
{
	struct ram_device *d = ctx;
	int i = slot_index(slot);

	if (i < 0)
		return SGP_HARDWARE;
	d->len[i] = 0;
	return SGP_OK;
}

static int hal_slot_write(void *ctx, uint8_t slot, uint32_t off, const uint8_t *buf, uint32_t n)
{
	struct ram_device *d = ctx;
	int i = slot_index(slot);

	/* The agent's contract: appends only, inside the capacity. */
	if (i < 0 || off != d->len[i] || n > ram_slots[i].capacity - off)
		return SGP_HARDWARE;
	memcpy(d->data[i] + off, buf, n);
	d->len[i] += n;
	d->writes++;
	return SGP_OK;
}

static int hal_lock_state(void *ctx, uint32_t *bits)
{
	*bits = ((struct ram_device *)ctx)->lock_bits;
	return SGP_OK;
}

static int hal_lock(void *ctx, uint32_t bits)
{
	struct ram_device *d = ctx;

	d->locks++;
	if (d->fail_lock)
		return SGP_HARDWARE;
	d->lock_bits |= bits;
	return SGP_OK;
}

static int hal_key_public(void *ctx, uint8_t alg, uint8_t *pub)
{
	struct ram_device *d = ctx;

	if (alg != SGP_ALG_P256)
		return SGP_UNSUPPORTED;
	if (!d->has_key)
		return SGP_NO_KEY;
	memcpy(pub, d->pub, sizeof d->pub);
	return SGP_OK;
}

static int hal_keygen(void *ctx, uint8_t alg, uint8_t *pub)
{
	struct ram_device *d = ctx;

	if (alg != SGP_ALG_P256 || !d->keygen || d->keygen(d, d->pub) != SGP_OK)
		return SGP_HARDWARE;
	d->keygens++;
	d->has_key = 1;
	memcpy(pub, d->pub, sizeof d->pub);
	return SGP_OK;
}

static int hal_sign(void *ctx, uint8_t alg, const uint8_t *msg, size_t len, uint8_t *sig)
{
	struct ram_device *d = ctx;

	if (alg != SGP_ALG_P256 || !d->has_key || !d->sign)
		return SGP_HARDWARE;
	return d->sign(d, msg, len, sig);
}

void ram_hal_init(struct sgp_agent_hal *hal, struct ram_device *d, uint32_t caps)
{
	*hal = (struct sgp_agent_hal){
		.ctx = d,
		.chip = "ramdev",
		.agent_version = "test-1",
		.caps = caps,
		.slots = ram_slots,
		.n_slots = 4,
		.uid = hal_uid,
		.slot_length = hal_slot_length,
		.slot_read = hal_slot_read,
		.slot_erase = hal_slot_erase,
		.slot_write = hal_slot_write,
		.lock_state = hal_lock_state,
		.lock = hal_lock,
		.key_public = hal_key_public,
		.keygen = hal_keygen,
		.sign = hal_sign,
	};
}
