/* UART0, polled: the firmware only ever answers a request, so it never
 * needs to receive while it sends or works. A byte lost to an overrun
 * (the NVMC stalls the CPU during an erase) costs its frame, which the
 * station sends again (docs/protocol.md §2). */
#include "fw_priv.h"
#include "nrf51.h"

#define TX_PIN 24u
#define RX_PIN 25u

void uart_init(void)
{
	GPIO_OUTSET = 1u << TX_PIN; /* idle high before the UART takes the pin */
	GPIO_DIRSET = 1u << TX_PIN;
	GPIO_DIRCLR = 1u << RX_PIN;
	UART_PSELTXD = TX_PIN;
	UART_PSELRXD = RX_PIN;
	UART_PSELRTS = UART_PIN_DISCONNECTED;
	UART_PSELCTS = UART_PIN_DISCONNECTED;
	UART_CONFIG = 0; /* no parity, no flow control */
	UART_BAUDRATE = UART_BAUD_115200;
	UART_ENABLE = UART_ENABLE_ON;
	UART_TXDRDY = 0;
	UART_RXDRDY = 0;
	UART_STARTTX = 1;
	UART_STARTRX = 1;
}

uint8_t uart_getc(void)
{
	for (;;) {
		if (UART_ERROR) { /* overrun, framing or break: the byte is gone */
			UART_ERROR = 0;
			UART_ERRORSRC = UART_ERRORSRC;
		}
		if (UART_RXDRDY) {
			UART_RXDRDY = 0; /* before RXD: reading it may raise the next */
			return (uint8_t)UART_RXD;
		}
	}
}

void uart_write(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		UART_TXDRDY = 0;
		UART_TXD = p[i];
		while (!UART_TXDRDY)
			;
	}
}

void uart_drain(void)
{
	/* TXDRDY may come as the last byte starts out of the shift register:
	 * wait two byte times at 115200 baud, 174 us (16 MHz, 4 cycles a turn
	 * at the least: 250 us or more). */
	for (volatile uint32_t i = 0; i < 1000; i++)
		;
}
