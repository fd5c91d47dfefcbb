/* The nRF51822 registers the provisioning firmware touches (nRF51 Series
 * Reference Manual v3.0, chapters 6 NVMC, 7 FICR, 8 UICR, 13 CLOCK, 14 GPIO,
 * 29 UART), as volatile 32-bit words. */
#ifndef NRF51_H
#define NRF51_H

#include <stdint.h>

#define REG(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

/* Flash: 256 pages of 1 KiB from 0. */
#define NRF51_FLASH_SIZE 0x40000u
#define NRF51_PAGE_SIZE 1024u

/* NVMC: READY is 1 when no write or erase is under way. */
#define NVMC_READY REG(0x4001E400u)
#define NVMC_CONFIG REG(0x4001E504u)
#define NVMC_ERASEPAGE REG(0x4001E508u)
#define NVMC_CONFIG_REN 0u
#define NVMC_CONFIG_WEN 1u
#define NVMC_CONFIG_EEN 2u

/* FICR: the factory's 64-bit device id. */
#define FICR_DEVICEID 0x10000060u

/* UICR: RBPCONF's PALL field (bits 15:8) 0x00 protects all of code
 * memory from the debugger; CUSTOMER[0] is the firmware's slots lock. */
#define UICR_RBPCONF 0x10001004u
#define UICR_RBPCONF_PALL 0x0000FF00u
#define UICR_CUSTOMER0 0x10001080u

/* CLOCK: the 16 MHz crystal, which the UART's baud rate wants. */
#define CLOCK_TASKS_HFCLKSTART REG(0x40000000u)
#define CLOCK_EVENTS_HFCLKSTARTED REG(0x40000100u)

/* GPIO */
#define GPIO_OUTSET REG(0x50000508u)
#define GPIO_DIRSET REG(0x50000518u)
#define GPIO_DIRCLR REG(0x5000051Cu)

/* UART0 */
#define UART_STARTRX REG(0x40002000u)
#define UART_STARTTX REG(0x40002008u)
#define UART_RXDRDY REG(0x40002108u)
#define UART_TXDRDY REG(0x4000211Cu)
#define UART_ERROR REG(0x40002124u)
#define UART_ERRORSRC REG(0x40002480u)
#define UART_ENABLE REG(0x40002500u)
#define UART_PSELRTS REG(0x40002508u)
#define UART_PSELTXD REG(0x4000250Cu)
#define UART_PSELCTS REG(0x40002510u)
#define UART_PSELRXD REG(0x40002514u)
#define UART_RXD REG(0x40002518u)
#define UART_TXD REG(0x4000251Cu)
#define UART_BAUDRATE REG(0x40002524u)
#define UART_CONFIG REG(0x4000256Cu)
#define UART_ENABLE_ON 4u
#define UART_BAUD_115200 0x01D7E000u
#define UART_PIN_DISCONNECTED 0xFFFFFFFFu

/* System control block: a system reset request. */
#define SCB_AIRCR REG(0xE000ED0Cu)
#define SCB_AIRCR_SYSRESETREQ 0x05FA0004u

#endif
