/* Debug access to a chip with no provisioning firmware: its memory and its
 * core, through a GDB server (gdb:HOST:PORT: J-Link, OpenOCD, pyOCD, Black
 * Magic Probe, QEMU) or a CMSIS-DAP probe on USB (cmsis-dap[:SERIAL]).
 * One backend per file (dbg_gdb.c, dbg_cmsis_dap.c), each filling struct
 * sg_dbg_ops. The station never talks to a sg_dbg itself: probe_agent.c
 * runs the device agent on the host on top of one, so a probe fixture
 * speaks docs/protocol.md like any other (docs/provisioning.md §7).
 *
 * Contract of every operation: addresses and lengths are multiples of 4
 * (word accesses only: peripheral registers and MEM-APs want them); the
 * backend splits transfers into what its server or probe accepts; it never
 * waits without a timeout. Returns SG_OK; SG_FAIL when the target refused
 * (an error reply, a FAULT, a bus error), with err saying which address;
 * SG_EENV when the link failed (server gone, probe unplugged, timeout):
 * the station ends the unit with reason "transport". */
#ifndef SIGNET_DBG_H
#define SIGNET_DBG_H

#include <stddef.h>
#include <stdint.h>

#include "signet/err.h"

struct sg_dbg;

/* A routine already loaded in target RAM, run to completion: the core's
 * r0-r3, sp and pc are set (pc with the Thumb state), lr = stop | 1, a
 * breakpoint is set at stop, the core resumes, and the call returns when it
 * halts at stop (r0 read back into *r0) or fails after timeout_ms with
 * SG_EENV. The core is left halted. */
struct sg_dbg_call {
	uint32_t entry, stop, sp;
	uint32_t r[4];
};

struct sg_dbg_ops {
	int (*read)(struct sg_dbg *d, uint32_t addr, void *buf, size_t n, struct sg_err *err);
	int (*write)(struct sg_dbg *d, uint32_t addr, const void *buf, size_t n, struct sg_err *err);
	/* Halts the core (no-op when halted). */
	int (*halt)(struct sg_dbg *d, struct sg_err *err);
	/* NULL when the backend cannot run code on the target. */
	int (*call)(struct sg_dbg *d, const struct sg_dbg_call *c, int timeout_ms, uint32_t *r0,
		    struct sg_err *err);
	/* Detaches (the target stays as it is) and frees d. */
	void (*close)(struct sg_dbg *d);
};

/* Every backend's struct begins with this. */
struct sg_dbg {
	const struct sg_dbg_ops *ops;
	char name[300]; /* the spec it was opened with, for messages */
};

/* Opens spec: "gdb:HOST:PORT" or "cmsis-dap" / "cmsis-dap:SERIAL", and
 * halts the core. SG_EINPUT for another spec, SG_EENV when unreachable. */
int sg_dbg_open(const char *spec, int timeout_ms, struct sg_dbg **d, struct sg_err *err);

/* The backends (spec without its "gdb:" / "cmsis-dap" prefix; serial may be
 * "" for the only probe present). */
int sg_dbg_gdb_open(const char *hostport, const char *spec, int timeout_ms, struct sg_dbg **d,
		    struct sg_err *err);
int sg_dbg_cmsis_dap_open(const char *serial, const char *spec, int timeout_ms, struct sg_dbg **d,
			  struct sg_err *err);

static inline void sg_dbg_close(struct sg_dbg *d)
{
	if (d)
		d->ops->close(d);
}

#endif
