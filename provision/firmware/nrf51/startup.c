/* Reset and the vector table of the nRF51 provisioning firmware: copy
 * .data, clear .bss, run main. No interrupt is ever enabled; a fault stops
 * in fw_fault, where a debugger finds it (the station sees no answer). */
#include <stdint.h>

extern uint32_t __data_load[], __data_start[], __data_end[], __bss_start[], __bss_end[];
extern uint32_t __stack_top[];
int main(void);

__attribute__((noreturn)) void fw_reset(void);
__attribute__((noreturn)) void fw_fault(void);

void fw_fault(void)
{
	for (;;)
		;
}

void fw_reset(void)
{
	uint32_t *src = __data_load, *dst = __data_start;

	while (dst < __data_end)
		*dst++ = *src++;
	for (dst = __bss_start; dst < __bss_end;)
		*dst++ = 0;
	main();
	fw_fault();
}

#define F(handler) ((uintptr_t)(handler))

/* The Cortex-M0's 16 system vectors and the nRF51's 32 interrupts. */
__attribute__((section(".vectors"), used)) const uintptr_t fw_vectors[16 + 32] = {
	F(__stack_top), F(fw_reset), F(fw_fault) /* NMI */, F(fw_fault) /* HardFault */,
	[11] = F(fw_fault) /* SVCall */, [14] = F(fw_fault) /* PendSV */, [15] = F(fw_fault) /* SysTick */,
	[16 ... 47] = F(fw_fault),
};
