/* The nRF51 provisioning firmware's parts (docs/firmware-nrf51.md): the
 * UART0 driver, the NVMC flash layer, the agent's hardware callbacks. */
#ifndef FW_PRIV_H
#define FW_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "signet/agent.h"
#include "signet/flash_slots.h"

/* UART0 at 115200 8N1, no flow control, on the micro:bit's pins (TX P0.24,
 * RX P0.25), polled. uart_getc waits for a byte; uart_write returns when
 * the last byte has left the TXD register; uart_drain then waits until it
 * has left the pin too. */
void uart_init(void);
uint8_t uart_getc(void);
void uart_write(const uint8_t *p, size_t n);
void uart_drain(void);

/* The flash pages of the protocol slots, through the NVMC (signet/
 * flash_slots.h). Erases and programs only the slot area; every write is
 * read back (SGP_HARDWARE if the flash did not take it). */
extern const struct sg_flash_ops nvmc_flash;

/* The first byte of the slot area: nothing below it is ever erased. */
#define FW_SLOT_AREA 0x3F000u

/* Programs one UICR word (RBPCONF or CUSTOMER[0], nothing else) to value
 * through the NVMC, and reads it back: SGP_OK or SGP_HARDWARE. */
int nvmc_program_uicr(uint32_t addr, uint32_t value);

/* The agent's hardware: UID, slots, lock (signet/agent.h). */
extern const struct sgp_agent_hal nrf51_hal;

#endif
