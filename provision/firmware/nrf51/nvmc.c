/* The slot pages and the UICR words through the NVMC (nRF51 RM ch. 6): set
 * CONFIG, write, wait for READY, CONFIG back to read-only. The CPU stalls
 * while the NVMC works, so nothing else runs meanwhile. Addresses outside
 * the slot area are refused, so no fault in a caller can erase the
 * firmware itself. */
#include "fw_priv.h"
#include "nrf51.h"
#include "signet/protocol.h"

static void nvmc_wait(void)
{
	while (!(NVMC_READY & 1u))
		;
}

static void nvmc_config(uint32_t mode)
{
	NVMC_CONFIG = mode;
	nvmc_wait();
}

static int in_slot_area(uint32_t addr, uint32_t bytes)
{
	return addr >= FW_SLOT_AREA && addr <= NRF51_FLASH_SIZE && bytes <= NRF51_FLASH_SIZE - addr &&
	       (addr & 3u) == 0;
}

static int flash_read(void *ctx, uint32_t addr, uint32_t *words, uint32_t n)
{
	(void)ctx;
	if (n > NRF51_FLASH_SIZE / 4 || !in_slot_area(addr, 4 * n))
		return SGP_BAD_ARGUMENT;
	for (uint32_t i = 0; i < n; i++)
		words[i] = REG(addr + 4 * i);
	return SGP_OK;
}

static int flash_erase_page(void *ctx, uint32_t addr)
{
	(void)ctx;
	if ((addr & (NRF51_PAGE_SIZE - 1)) || !in_slot_area(addr, NRF51_PAGE_SIZE))
		return SGP_BAD_ARGUMENT;
	nvmc_config(NVMC_CONFIG_EEN);
	NVMC_ERASEPAGE = addr;
	nvmc_wait();
	nvmc_config(NVMC_CONFIG_REN);
	for (uint32_t i = 0; i < NRF51_PAGE_SIZE; i += 4)
		if (REG(addr + i) != 0xFFFFFFFFu)
			return SGP_HARDWARE;
	return SGP_OK;
}

/* Programs words, skipping all-ones ones (they change nothing, and each
 * write counts against the two a word may take between erases); then
 * checks that every bit meant to be 0 is. */
static int program(uint32_t addr, const uint32_t *words, uint32_t n)
{
	nvmc_config(NVMC_CONFIG_WEN);
	for (uint32_t i = 0; i < n; i++)
		if (words[i] != 0xFFFFFFFFu) {
			REG(addr + 4 * i) = words[i];
			nvmc_wait();
		}
	nvmc_config(NVMC_CONFIG_REN);
	for (uint32_t i = 0; i < n; i++)
		if (REG(addr + 4 * i) & ~words[i])
			return SGP_HARDWARE;
	return SGP_OK;
}

static int flash_program(void *ctx, uint32_t addr, const uint32_t *words, uint32_t n)
{
	(void)ctx;
	if (n > NRF51_FLASH_SIZE / 4 || !in_slot_area(addr, 4 * n))
		return SGP_BAD_ARGUMENT;
	return program(addr, words, n);
}

const struct sg_flash_ops nvmc_flash = {
	.ctx = 0,
	.page_size = NRF51_PAGE_SIZE,
	.read = flash_read,
	.erase_page = flash_erase_page,
	.program = flash_program,
};

int nvmc_program_uicr(uint32_t addr, uint32_t value)
{
	if (addr != UICR_RBPCONF && addr != UICR_CUSTOMER0)
		return SGP_BAD_ARGUMENT;
	return program(addr, &value, 1);
}
