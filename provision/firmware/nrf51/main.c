/* The nRF51 provisioning firmware's main loop: every byte from UART0 to the
 * agent, every answer back; after a RESET's answer has left, a system
 * reset (docs/protocol.md §3.6). */
#include "fw_priv.h"
#include "nrf51.h"

static struct sgp_agent agent;

/* noinline: tests stop here (a breakpoint) to look at the device as the
 * station left it, before the reset clears what QEMU keeps in UICR. */
__attribute__((noreturn, noinline)) void fw_system_reset(void)
{
	__asm volatile("dsb" ::: "memory");
	SCB_AIRCR = SCB_AIRCR_SYSRESETREQ;
	__asm volatile("dsb" ::: "memory");
	for (;;)
		;
}

static void clock_init(void)
{
	CLOCK_EVENTS_HFCLKSTARTED = 0;
	CLOCK_TASKS_HFCLKSTART = 1;
	/* the crystal starts in under 1 ms; without one the UART runs on
	 * the RC oscillator, less exact but within 115200's tolerance */
	for (uint32_t i = 0; i < 100000 && !CLOCK_EVENTS_HFCLKSTARTED; i++)
		;
}

int main(void)
{
	clock_init();
	uart_init();
	sgp_agent_init(&agent, &nrf51_hal);
	for (;;) {
		const uint8_t *out;
		size_t n = sgp_agent_byte(&agent, uart_getc(), &out);

		if (n == 0)
			continue;
		uart_write(out, n);
		if (sgp_agent_reset_due(&agent)) {
			uart_drain();
			fw_system_reset();
		}
	}
}
