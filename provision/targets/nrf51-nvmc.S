/* The nRF51 flash routine of the nrf51 target profile (its probe.routine
 * member holds these bytes assembled; test_target_routines checks they
 * match). Loaded into RAM by the station through a debug probe and run to
 * the breakpoint at `stop`, since a debugger's own writes to NVMC are not
 * honoured everywhere (QEMU drops them); the CPU's writes are.
 *
 *   r0 = 0: erase the page at r1
 *   r0 = 1: program r3 words from RAM at r2 to flash (or UICR) at r1
 *   returns r0 = 0 at `stop`
 *
 * NVMC (nRF51 Reference Manual, ch. 6): READY 0x4001E400, CONFIG
 * 0x4001E504 (0 read, 1 write, 2 erase), ERASEPAGE 0x4001E508. */
	.syntax unified
	.cpu cortex-m0
	.thumb
	.text
	.global entry
entry:
	ldr	r4, =0x4001E400		/* READY */
	ldr	r5, =0x4001E504		/* CONFIG; ERASEPAGE follows it */
	cmp	r0, #0
	bne	program
	movs	r6, #2
	str	r6, [r5]		/* CONFIG = erase enable */
	str	r1, [r5, #4]		/* ERASEPAGE = the page */
	bl	wait
	b	done
program:
	movs	r6, #1
	str	r6, [r5]		/* CONFIG = write enable */
next:
	cmp	r3, #0
	beq	done
	ldr	r6, [r2]
	str	r6, [r1]
	bl	wait
	adds	r1, #4
	adds	r2, #4
	subs	r3, #1
	b	next
done:
	movs	r6, #0
	str	r6, [r5]		/* CONFIG = read only */
	bl	wait
	movs	r0, #0
	.global stop
stop:
	b	stop
wait:
	ldr	r7, [r4]
	cmp	r7, #0
	beq	wait
	bx	lr
	.ltorg
