/* The agent's hardware on the nRF51 (signet/agent.h): the UID from FICR,
 * the slots in flash pages at the addresses of the nrf51 target profile's
 * probe.slots (so a debug probe reads what this firmware wrote, and the
 * reverse), and the lock bits in UICR. Inject mode only: the chip has no
 * usable crypto, so the station makes the key and writes it to slot 3. */
#include "fw_priv.h"
#include "nrf51.h"
#include "signet/protocol.h"

#define SLOT_CAPACITY(pages) ((pages) * NRF51_PAGE_SIZE - SG_FLASH_HEADER)

/* Slot id n is index n - 1 in both tables. */
static const struct sg_flash_slot flash_slot[] = {
	{FW_SLOT_AREA, 1},          /* 0x3F000: the certificate */
	{FW_SLOT_AREA + 0x400u, 2}, /* 0x3F400: the chain */
	{FW_SLOT_AREA + 0xC00u, 1}, /* 0x3FC00: the injected private key */
};

static const struct sgp_slot slots[] = {
	{SGP_SLOT_CERT, 0, SLOT_CAPACITY(1)},
	{SGP_SLOT_CHAIN, 0, SLOT_CAPACITY(2)},
	{SGP_SLOT_KEY, SGP_SLOT_SECRET, SLOT_CAPACITY(1)},
};

static const struct sg_flash_slot *slot_of(uint8_t id)
{
	return id >= 1 && id <= sizeof flash_slot / sizeof flash_slot[0] ? &flash_slot[id - 1] : 0;
}

/* FICR DEVICEID's 8 bytes as they lie in memory, as a probe reads them.
 * The QEMU test build appends the RAM word at SG_NRF51_QEMUTEST_UID, which
 * the test sets per instance: every QEMU has the same DEVICEID. */
static int hal_uid(void *ctx, uint8_t *uid, uint8_t *len)
{
	(void)ctx;
	sgp_put32(uid, REG(FICR_DEVICEID));
	sgp_put32(uid + 4, REG(FICR_DEVICEID + 4));
	*len = 8;
#ifdef SG_NRF51_QEMUTEST_UID
	sgp_put32(uid + 8, REG(SG_NRF51_QEMUTEST_UID));
	*len = 12;
#endif
	return SGP_OK;
}

static int hal_slot_length(void *ctx, uint8_t id, uint32_t *len)
{
	(void)ctx;
	return slot_of(id) ? sg_flash_slot_length(&nvmc_flash, slot_of(id), len) : SGP_BAD_ARGUMENT;
}

static int hal_slot_read(void *ctx, uint8_t id, uint32_t off, uint8_t *buf, uint32_t n)
{
	(void)ctx;
	return slot_of(id) ? sg_flash_slot_read(&nvmc_flash, slot_of(id), off, buf, n) : SGP_BAD_ARGUMENT;
}

static int hal_slot_erase(void *ctx, uint8_t id)
{
	(void)ctx;
	return slot_of(id) ? sg_flash_slot_erase(&nvmc_flash, slot_of(id)) : SGP_BAD_ARGUMENT;
}

static int hal_slot_write(void *ctx, uint8_t id, uint32_t off, const uint8_t *buf, uint32_t n)
{
	(void)ctx;
	return slot_of(id) ? sg_flash_slot_append(&nvmc_flash, slot_of(id), off, buf, n) : SGP_BAD_ARGUMENT;
}

/* READBACK and DEBUG are one thing on the nRF51: RBPCONF.PALL = 0x00 keeps
 * a debugger out of all memory. SLOTS is CUSTOMER[0] programmed: any bit
 * cleared counts, so a torn write errs on the locked side. */
static int hal_lock_state(void *ctx, uint32_t *bits)
{
	(void)ctx;
	*bits = 0;
	if ((REG(UICR_RBPCONF) & UICR_RBPCONF_PALL) == 0)
		*bits |= SGP_LOCK_READBACK | SGP_LOCK_DEBUG;
	if (REG(UICR_CUSTOMER0) != 0xFFFFFFFFu)
		*bits |= SGP_LOCK_SLOTS;
	return SGP_OK;
}

/* Each word is programmed once at most: a UICR word takes two writes
 * between erases, and only an erase of everything clears it. */
static int hal_lock(void *ctx, uint32_t bits)
{
	int st = SGP_OK;

	(void)ctx;
	if ((bits & SGP_LOCK_SLOTS) && REG(UICR_CUSTOMER0) == 0xFFFFFFFFu)
		st = nvmc_program_uicr(UICR_CUSTOMER0, 0);
	if (st == SGP_OK && (bits & (SGP_LOCK_READBACK | SGP_LOCK_DEBUG)) &&
	    (REG(UICR_RBPCONF) & UICR_RBPCONF_PALL) != 0)
		st = nvmc_program_uicr(UICR_RBPCONF, REG(UICR_RBPCONF) & ~UICR_RBPCONF_PALL);
	return st;
}

/* No key pair of its own (CAPS has no KEYGEN or CHALLENGE: the agent never
 * calls these; they answer UNSUPPORTED all the same). */
static int hal_no_key(void *ctx, uint8_t alg, uint8_t *pub)
{
	(void)ctx, (void)alg, (void)pub;
	return SGP_UNSUPPORTED;
}

static int hal_no_sign(void *ctx, uint8_t alg, const uint8_t *msg, size_t len, uint8_t *sig)
{
	(void)ctx, (void)alg, (void)msg, (void)len, (void)sig;
	return SGP_UNSUPPORTED;
}

const struct sgp_agent_hal nrf51_hal = {
	.ctx = 0,
	.chip = "nrf51",
	.agent_version = "nrf51-uart-1.0.0",
	.caps = SGP_CAP_INJECT,
	.slots = slots,
	.n_slots = sizeof slots / sizeof slots[0],
	.uid = hal_uid,
	.slot_length = hal_slot_length,
	.slot_read = hal_slot_read,
	.slot_erase = hal_slot_erase,
	.slot_write = hal_slot_write,
	.lock_state = hal_lock_state,
	.lock = hal_lock,
	.key_public = hal_no_key,
	.keygen = hal_no_key,
	.sign = hal_no_sign,
};
