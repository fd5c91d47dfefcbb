/* The CMSIS-DAP probe model (libdap_model.so, dap_model.c): its
 * environment. The chip's state file is struct nrf51_state (nrf51_mem.h).
 *
 * Read at libusb_init unless said otherwise (a probe's chip powers up,
 * reading its state file, when the probe is claimed):
 *   SIGNET_DAP_MODEL_MEM      the chip's state file (created, flash erased,
 *                             when absent); with several probes, probe S
 *                             uses "FILE.S". Unset: the chip lives and dies
 *                             with the process.
 *   SIGNET_DAP_MODEL_SERIAL   serial numbers, comma-separated, one probe
 *                             each (default "MODEL0001"; "" = no probe)
 *   SIGNET_DAP_MODEL_V1       "1": the probes are CMSIS-DAP v1 (HID only)
 *   SIGNET_DAP_MODEL_DEVICEID FICR DEVICEID, 16 hex digits (DEVICEID[1]
 *                             then DEVICEID[0]); probe i adds i
 *   SIGNET_DAP_MODEL_WAIT     N: every AP access answers WAIT N times
 *                             before it goes through; "always": never does
 *                             (read at every access)
 *   SIGNET_DAP_MODEL_FAULT    0xADDR: a word whose bus access fails, as an
 *                             unmapped one does (read at every access)
 *   SIGNET_DAP_MODEL_UNPLUG_AFTER  N: the probe is unplugged after N more
 *                             USB transfers, counted from the first one
 *                             that sees the variable set */
#ifndef DAP_MODEL_H
#define DAP_MODEL_H

#include "nrf51_mem.h"

#endif
