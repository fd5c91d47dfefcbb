/* The CMSIS-DAP probe model's memory file (libdap_model.so, dap_model.c):
 * what the model's nRF51 holds, and what the model saw of the client, so a
 * test can check both after the process that drove the probe has exited.
 *
 * Environment of the model (read at libusb_init unless said otherwise):
 *   SIGNET_DAP_MODEL_MEM      the memory file (created, flash erased, when
 *                             absent); with several probes, probe S uses
 *                             "FILE.S". Unset: memory lives and dies with
 *                             the process.
 *   SIGNET_DAP_MODEL_SERIAL   serial numbers, comma-separated, one probe
 *                             each (default "MODEL0001"; "" = no probe)
 *   SIGNET_DAP_MODEL_V1       "1": the probes are CMSIS-DAP v1 (HID only)
 *   SIGNET_DAP_MODEL_DEVICEID FICR DEVICEID, 16 hex digits (DEVICEID[1]
 *                             then DEVICEID[0]); probe i adds i
 *   SIGNET_DAP_MODEL_WAIT     N: every AP access answers WAIT N times
 *                             before it goes through; "always": never does
 *                             (read at every USB transfer)
 *   SIGNET_DAP_MODEL_FAULT    0xADDR: a word whose bus access fails, as an
 *                             unmapped one does (read at every transfer)
 *   SIGNET_DAP_MODEL_UNPLUG_AFTER  N: the probe is unplugged after N more
 *                             USB transfers, counted from the first one
 *                             that sees the variable set */
#ifndef DAP_MODEL_H
#define DAP_MODEL_H

#include <stdint.h>

#define DAP_MODEL_MAGIC "DAPMODL1"
#define DAP_MODEL_FLASH_SIZE (256u * 1024)
#define DAP_MODEL_UICR_SIZE 1024u
#define DAP_MODEL_RAM_SIZE (16u * 1024)

struct dap_model_mem {
	char magic[8];
	/* Since the last libusb_init: */
	uint32_t requests;	  /* requests the probe took */
	uint32_t max_inflight;	  /* most requests waiting for their answer */
	uint32_t overruns;	  /* requests sent while its buffers were full */
	uint32_t framing;	  /* v1 reports not a report long, or a v2
				   * request over the packet size */
	uint32_t oversize;	  /* requests whose answer exceeds a packet */
	uint32_t dropped_writes;  /* flash/UICR writes without NVMC CONFIG=1 */
	uint32_t halted;	  /* the core was halted at the last exit */
	uint32_t reserved[9];
	uint8_t flash[DAP_MODEL_FLASH_SIZE];
	uint8_t uicr[DAP_MODEL_UICR_SIZE];
	uint8_t ram[DAP_MODEL_RAM_SIZE];
};

#endif
