/* The nRF51 behind the CMSIS-DAP probe model, as a bus of 32-bit words:
 * 256 KiB flash and the UICR obeying the NVMC (written only with CONFIG=1,
 * bits only 1 to 0; ERASEPAGE/ERASEPCR0/ERASEALL/ERASEUICR with CONFIG=2;
 * READY always 1: no timing), FICR (CODEPAGESIZE 0x400, CODESIZE 0x100,
 * DEVICEID as given), 16 KiB RAM, DHCSR and DEMCR. RBPCONF.PALL enabled at
 * open (the chip's power-up) makes flash accesses fail until ERASEALL.
 * Every other address fails. The core runs no code.
 *
 * Its state is a file (mapped shared; struct nrf51_state, layout below),
 * so a test sees what the chip holds after the process that drove it has
 * exited. Used by the probe model (dap_model.c) and linked directly by
 * tests that want the chip without USB (library signet_nrf51_model). */
#ifndef NRF51_MEM_H
#define NRF51_MEM_H

#include <stdint.h>

#define NRF51_STATE_MAGIC "DAPMODL1"
#define NRF51_FLASH_SIZE (256u * 1024)
#define NRF51_UICR_SIZE 1024u
#define NRF51_RAM_SIZE (16u * 1024)

struct nrf51_state {
	char magic[8];
	/* Since the last nrf51_mem_open, when the probe model's client
	 * claimed the probe (its counters): */
	uint32_t requests;	  /* requests the probe took */
	uint32_t max_inflight;	  /* most requests waiting for their answer */
	uint32_t overruns;	  /* requests sent while its buffers were full */
	uint32_t framing;	  /* v1 reports not a report long, or a v2
				   * request over the packet size */
	uint32_t oversize;	  /* requests whose answer exceeds a packet */
	uint32_t dropped_writes;  /* flash/UICR writes without NVMC CONFIG=1 */
	uint32_t halted;	  /* the core was halted at the last close */
	uint32_t reserved[9];
	uint8_t flash[NRF51_FLASH_SIZE];
	uint8_t uicr[NRF51_UICR_SIZE];
	uint8_t ram[NRF51_RAM_SIZE];
};

struct nrf51_mem;

#define NRF51_BUS_FAULT (-1)

/* Opens the chip whose state is in path (created with flash and UICR
 * erased when absent; NULL: in memory only) with FICR DEVICEID deviceid
 * (DEVICEID[0] its low word). NULL with a message on stderr on failure. */
struct nrf51_mem *nrf51_mem_open(const char *path, uint64_t deviceid);
/* A word access: 0, or NRF51_BUS_FAULT. */
int nrf51_mem_read32(struct nrf51_mem *m, uint32_t addr, uint32_t *v);
int nrf51_mem_write32(struct nrf51_mem *m, uint32_t addr, uint32_t v);
/* The state file's contents (counters for the probe model to keep). */
struct nrf51_state *nrf51_mem_state(struct nrf51_mem *m);
/* Records whether the core is halted, unmaps, frees. */
void nrf51_mem_close(struct nrf51_mem *m);

#endif
