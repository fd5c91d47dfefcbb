/* cmsis-dap[:SERIAL]: a CMSIS-DAP probe on USB (libusb), v2 over bulk
 * endpoints or v1 as HID reports over interrupt endpoints, driving an SWD
 * target's ADIv5 debug port and its MEM-AP 0 (signet/dbg.h).
 *
 * Untested on hardware: the tests run it against a model of a probe and an
 * nRF51 (tests/provision/dap_model/, docs/fixture-cmsis-dap.md says what a
 * first run on a real probe must check). No `call`: the probe agent
 * programs flash through the NVMC's registers, which a real nRF51 honours
 * from a debugger. */
#include <inttypes.h>
#include <libusb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmsis_dap_priv.h"
#include "signet/dbg.h"
#include "transport_priv.h"

/* DP registers (A[3:2]) and bits (ADIv5). */
enum { DP_IDCODE = 0x0, DP_ABORT = 0x0, DP_CTRL_STAT = 0x4, DP_SELECT = 0x8, DP_RDBUFF = 0xC };
#define ABORT_DAPABORT 0x01u
#define ABORT_CLEAR_STICKY 0x1Eu /* STKCMPCLR|STKERRCLR|WDERRCLR|ORUNERRCLR */
#define CTRL_STICKY 0xB2u	 /* WDATAERR|STICKYERR|STICKYCMP|STICKYORUN */
#define CTRL_PWRUP_REQ 0x50000000u
#define CTRL_PWRUP_ACK 0xA0000000u
/* MEM-AP registers (bank 0, and IDR in bank 0xF). */
enum { AP_CSW = 0x0, AP_TAR = 0x4, AP_DRW = 0xC, AP_IDR = 0xC };
#define SELECT_IDR_BANK 0xF0u
/* 32-bit accesses, TAR incremented by 4 after each, privileged debug
 * master (the value pyOCD and OpenOCD use for a Cortex-M AHB-AP). */
#define CSW_WORD_INC 0x23000012u
/* The TAR auto-increments within 1 KiB only (ADIv5: at least 10 bits). */
#define TAR_WRAP 0x400u
/* Cortex-M debug halting control and status. */
#define DHCSR 0xE000EDF0u
#define DHCSR_HALT 0xA05F0003u /* DBGKEY | C_HALT | C_DEBUGEN */
#define DHCSR_S_HALT (1u << 17)

#define SWD_CLOCK_HZ 1000000u
#define WAIT_RETRIES 128u	/* per access, in the probe */
#define WAIT_STALLS 8		/* rounds in a row without progress */
#define MAX_FLIGHT 16u		/* packets in flight at most */

struct dap {
	struct sg_dbg base;
	libusb_context *ctx;
	libusb_device_handle *h;
	int iface;
	bool v1;		/* HID reports of pkt bytes */
	uint8_t ep_out, ep_in;
	size_t pkt;		/* the probe's packet size */
	unsigned count;		/* packets it buffers */
	int timeout_ms;
	bool ap_ok;		/* SELECT is bank 0 of AP 0 and CSW is set */
	bool tar_ok;		/* tar is what the MEM-AP's TAR holds */
	uint32_t tar;
	uint8_t *out, *in;
	struct dap_op *ops;	/* room for one packet's operations */
};

static const struct sg_dbg_ops cmsis_dap_ops;

/* ---- USB ---- */

static int usb_fail(struct dap *d, int rc, const char *what, struct sg_err *err)
{
	if (rc == LIBUSB_ERROR_TIMEOUT)
		return sg_errf(err, SG_EENV, "%s: the probe did not answer %s within %d ms",
			       d->base.name, what, d->timeout_ms);
	if (rc == LIBUSB_ERROR_NO_DEVICE || rc == LIBUSB_ERROR_IO)
		return sg_errf(err, SG_EENV, "%s: the probe is gone (USB: %s)", d->base.name,
			       libusb_strerror(rc));
	return sg_errf(err, SG_EENV, "%s: USB %s failed: %s", d->base.name, what, libusb_strerror(rc));
}

static int usb_io(struct dap *d, uint8_t ep, uint8_t *buf, int len, int *got)
{
	if (d->v1)
		return libusb_interrupt_transfer(d->h, ep, buf, len, got, (unsigned)d->timeout_ms);
	return libusb_bulk_transfer(d->h, ep, buf, len, got, (unsigned)d->timeout_ms);
}

/* Sends one request from d->out; a v1 report is always pkt bytes. */
static int usb_send(struct dap *d, size_t len, struct sg_err *err)
{
	int got = 0, rc;

	if (d->v1) {
		memset(d->out + len, 0, d->pkt - len);
		len = d->pkt;
	}
	rc = usb_io(d, d->ep_out, d->out, (int)len, &got);
	if (rc != 0)
		return usb_fail(d, rc, "a request", err);
	if ((size_t)got != len)
		return sg_errf(err, SG_EENV, "%s: the probe took %d of %zu bytes", d->base.name, got, len);
	return SG_OK;
}

/* Receives one response into d->in. */
static int usb_recv(struct dap *d, size_t *len, struct sg_err *err)
{
	int got = 0, rc = usb_io(d, d->ep_in, d->in, (int)d->pkt, &got);

	if (rc != 0)
		return usb_fail(d, rc, "a response", err);
	*len = (size_t)got;
	return SG_OK;
}

static int malformed(struct dap *d, const char *cmd, struct sg_err *err)
{
	return sg_errf(err, SG_EENV, "%s: malformed answer to %s", d->base.name, cmd);
}

/* One command, one response. */
static int command(struct dap *d, size_t len, size_t *rlen, struct sg_err *err)
{
	int rc = usb_send(d, len, err);

	return rc != SG_OK ? rc : usb_recv(d, rlen, err);
}

/* ---- DAP_Transfer of a few DP/AP operations ---- */

static int transfer(struct dap *d, struct dap_op *ops, size_t n, uint8_t *ack, struct sg_err *err)
{
	struct dap_result r;
	size_t len = dap_encode_transfer(d->out, d->pkt, ops, n), rlen;
	int rc = command(d, len, &rlen, err);

	if (rc != SG_OK)
		return rc;
	if (dap_decode_transfer(d->in, rlen, ops, n, &r) != 0)
		return malformed(d, "DAP_Transfer", err);
	*ack = r.rsp;
	return dap_result_ack(&r, n) == 0 ? SG_OK : SG_FAIL;
}

static int ack_error(struct dap *d, uint8_t ack, const char *what, struct sg_err *err)
{
	if ((ack & 7) == DAP_ACK_NONE)
		return sg_errf(err, SG_EENV, "%s: no SWD target answers (%s)", d->base.name, what);
	return sg_errf(err, SG_EENV, "%s: the target answered %s to %s", d->base.name,
		       (ack & 7) == DAP_ACK_WAIT ? "WAIT" : (ack & 7) == DAP_ACK_FAULT ? "FAULT" : "with an error",
		       what);
}

/* DP and AP set-up accesses, which must all go through. */
static int dp_ops(struct dap *d, struct dap_op *ops, size_t n, const char *what, struct sg_err *err)
{
	uint8_t ack = 0;
	int rc = transfer(d, ops, n, &ack, err);

	return rc == SG_FAIL ? ack_error(d, ack, what, err) : rc;
}

static int dp_write(struct dap *d, uint8_t reg, uint32_t v, const char *what, struct sg_err *err)
{
	struct dap_op op = {.req = DAP_REG(reg), .wdata = v};

	return dp_ops(d, &op, 1, what, err);
}

/* ---- MEM-AP transfers, pipelined ---- */

/* One read or write call's progress, in words. */
struct run {
	uint32_t addr;
	uint8_t *host;
	size_t words;
	bool write;
	size_t next;	/* next word to put into a packet */
	size_t done;	/* words moved, in order from the first */
	uint8_t rsp;	/* the failing response byte */
};

/* A packet in flight: a DAP_Transfer of `nops` operations whose last
 * `words` are DRW writes, or a DAP_TransferBlock reading `words`. */
struct flight {
	bool block;
	size_t first, words, nops;
	size_t setup;	/* SELECT and CSW writes at its start */
};

/* Operations that put SELECT and CSW where the data path wants them. */
static size_t ap_setup(struct dap *d, struct dap_op *ops)
{
	if (d->ap_ok)
		return 0;
	ops[0] = (struct dap_op){.req = DAP_REG(DP_SELECT), .wdata = 0};
	ops[1] = (struct dap_op){.req = DAP_AP | DAP_REG(AP_CSW), .wdata = CSW_WORD_INC};
	d->ap_ok = true;
	return 2;
}

static size_t min3(size_t a, size_t b, size_t c)
{
	size_t m = a < b ? a : b;

	return m < c ? m : c;
}

/* Writes go as DAP_Transfers that each set TAR first: when one stops on
 * WAIT, the packets behind it (already sent) must not write at a TAR the
 * failed one left behind. A read's stale TAR only reads what is thrown
 * away, so reads set TAR once per 1 KiB and use DAP_TransferBlock. */
static size_t next_packet(struct dap *d, struct run *r, struct flight *f)
{
	uint32_t a = r->addr + 4 * (uint32_t)r->next;
	size_t room = (TAR_WRAP - (a & (TAR_WRAP - 1))) / 4, left = r->words - r->next, n, k;

	f->first = r->next;
	if (!r->write && d->tar_ok && d->tar == a && d->ap_ok) {
		k = min3(left, room, dap_block_max_words(d->pkt, false));
		f->block = true;
		f->setup = 0;
		f->words = k;
		r->next += k;
		d->tar = a + 4 * (uint32_t)k;
		d->tar_ok = (d->tar & (TAR_WRAP - 1)) != 0;
		return dap_encode_block(d->out, d->pkt, DAP_AP | DAP_READ | DAP_REG(AP_DRW), k, NULL);
	}
	n = f->setup = ap_setup(d, d->ops);
	d->ops[n++] = (struct dap_op){.req = DAP_AP | DAP_REG(AP_TAR), .wdata = a};
	f->block = false;
	f->words = 0;
	if (r->write) {
		k = min3(left, room, (d->pkt - dap_transfer_req_len(d->ops, n)) / 5);
		for (size_t i = 0; i < k; i++) {
			const uint8_t *p = r->host + 4 * (r->next + i);
			d->ops[n++] = (struct dap_op){
				.req = DAP_AP | DAP_REG(AP_DRW),
				.wdata = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
					 (uint32_t)p[3] << 24};
		}
		f->words = k;
		r->next += k;
		d->tar_ok = false;
	} else {
		d->tar = a;
		d->tar_ok = true;
	}
	f->nops = n;
	return dap_encode_transfer(d->out, d->pkt, d->ops, n);
}

/* Takes one packet's answer: 0 when all of it went through, else the ack
 * code (dap_result_ack), -2 when the answer is malformed. */
static int land(struct dap *d, struct run *r, const struct flight *f, size_t len)
{
	struct dap_result res;
	size_t moved;
	int ack;

	if (f->block) {
		if (dap_decode_block(d->in, len, true, f->words, r->host + 4 * f->first, &res) != 0)
			return -2;
		ack = dap_result_ack(&res, f->words);
		moved = res.done;
	} else {
		if (dap_decode_transfer(d->in, len, NULL, f->nops, &res) != 0)
			return -2;
		ack = dap_result_ack(&res, f->nops);
		moved = res.done > f->nops - f->words ? res.done - (f->nops - f->words) : 0;
		if (res.done < f->setup)
			d->ap_ok = false;
	}
	r->done = f->first + moved;
	r->rsp = res.rsp;
	return ack;
}

/* Moves what is left of r with up to d->count packets in flight; stops
 * sending at the first failure and drains what is in flight. *ack is as
 * land() says of the first failure, 0 when none. */
static int run_once(struct dap *d, struct run *r, int *ack, struct sg_err *err)
{
	struct flight fl[MAX_FLIGHT];
	size_t head = 0, tail = 0, inflight = 0, len;
	int rc;

	*ack = 0;
	r->next = r->done;
	for (;;) {
		while (*ack == 0 && inflight < d->count && r->next < r->words) {
			if ((rc = usb_send(d, next_packet(d, r, &fl[head]), err)) != SG_OK)
				return rc;
			head = (head + 1) % MAX_FLIGHT;
			inflight++;
		}
		if (inflight == 0)
			break;
		if ((rc = usb_recv(d, &len, err)) != SG_OK)
			return rc;
		inflight--;
		// NOLINTNEXTLINE(clang-analyzer-core.CallAndMessage): usb_recv set len: it returned SG_OK
		if (*ack == 0 && (*ack = land(d, r, &fl[tail], len)) == -2)
			return malformed(d, fl[tail].block ? "DAP_TransferBlock" : "DAP_Transfer", err);
		tail = (tail + 1) % MAX_FLIGHT;
	}
	if (*ack != 0)
		d->tar_ok = false;
	return SG_OK;
}

/* A bus error: clears the sticky flags, reads TAR (not incremented past a
 * failed access) for the address, and says which. */
static int bus_fault(struct dap *d, const struct run *r, struct sg_err *err)
{
	struct dap_op ops[3] = {
		{.req = DAP_REG(DP_ABORT), .wdata = ABORT_CLEAR_STICKY},
		{.req = DAP_REG(DP_SELECT), .wdata = 0},
		{.req = DAP_AP | DAP_READ | DAP_REG(AP_TAR)},
	};
	uint32_t at = r->addr + 4 * (uint32_t)r->done;
	uint8_t ack;
	int rc = transfer(d, ops, 3, &ack, err);

	d->ap_ok = d->tar_ok = false;
	if (rc == SG_EENV)
		return rc;
	if (rc == SG_OK)
		at = ops[2].rdata;
	return sg_errf(err, SG_FAIL, "%s: bus fault at 0x%08" PRIx32 " (%s of %zu bytes at 0x%08" PRIx32 ")",
		       d->base.name, at, r->write ? "write" : "read", 4 * r->words, r->addr);
}

/* After the last packet: the sticky flags say whether an access that was
 * acknowledged (AP accesses are posted) failed on the bus. */
static int check_sticky(struct dap *d, const struct run *r, struct sg_err *err)
{
	struct dap_op ops[2] = {{.req = DAP_READ | DAP_REG(DP_RDBUFF)},
				{.req = DAP_READ | DAP_REG(DP_CTRL_STAT)}};
	int rc = dp_ops(d, ops, 2, "a CTRL/STAT read", err);

	if (rc != SG_OK)
		return rc;
	return (ops[1].rdata & CTRL_STICKY) ? bus_fault(d, r, err) : SG_OK;
}

static int mem_xfer(struct dap *d, uint32_t addr, uint8_t *host, size_t n, bool write,
		    struct sg_err *err)
{
	struct run r = {.addr = addr, .host = host, .words = n / 4, .write = write};
	int stalls = 0, ack, rc;

	if ((addr | n) & 3 || (n && addr > UINT32_MAX - (n - 1)))
		return sg_errf(err, SG_EINPUT, "%s: %zu bytes at 0x%08" PRIx32 " are not whole words",
			       d->base.name, n, addr);
	while (r.done < r.words) {
		size_t before = r.done;

		if ((rc = run_once(d, &r, &ack, err)) != SG_OK)
			return rc;
		if (ack == DAP_ACK_FAULT)
			return bus_fault(d, &r, err);
		if (ack == -1) {
			d->ap_ok = false;
			return ack_error(d, r.rsp, write ? "a memory write" : "a memory read", err);
		}
		if (ack != DAP_ACK_WAIT)
			continue;
		/* The probe gave up retrying: cancel the stalled access and
		 * go on from the first word not moved. */
		stalls = r.done > before ? 0 : stalls + 1;
		if ((rc = dp_write(d, DP_ABORT, ABORT_DAPABORT, "ABORT", err)) != SG_OK)
			return rc;
		if (stalls >= WAIT_STALLS)
			return sg_errf(err, SG_EENV, "%s: the target stays busy (WAIT) at 0x%08" PRIx32,
				       d->base.name, addr + 4 * (uint32_t)r.done);
	}
	return n ? check_sticky(d, &r, err) : SG_OK;
}

static int dap_read(struct sg_dbg *dbg, uint32_t addr, void *buf, size_t n, struct sg_err *err)
{
	return mem_xfer((struct dap *)dbg, addr, buf, n, false, err);
}

static int dap_write(struct sg_dbg *dbg, uint32_t addr, const void *buf, size_t n,
		     struct sg_err *err)
{
	/* Writes only read from host. */
	return mem_xfer((struct dap *)dbg, addr, (uint8_t *)(uintptr_t)buf, n, true, err);
}

static int read_word(struct dap *d, uint32_t addr, uint32_t *v, struct sg_err *err)
{
	uint8_t b[4] = { 0 }; /* *v is computed also when the transfer failed */
	int rc = mem_xfer(d, addr, b, 4, false, err);

	*v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	return rc;
}

static int dap_halt(struct sg_dbg *dbg, struct sg_err *err)
{
	struct dap *d = (struct dap *)dbg;
	uint8_t key[4] = {DHCSR_HALT & 0xFF, (DHCSR_HALT >> 8) & 0xFF, (DHCSR_HALT >> 16) & 0xFF,
			  DHCSR_HALT >> 24};
	long long end;
	uint32_t v;
	int rc;

	if ((rc = read_word(d, DHCSR, &v, err)) != SG_OK || (v & DHCSR_S_HALT))
		return rc;
	if ((rc = mem_xfer(d, DHCSR, key, 4, true, err)) != SG_OK)
		return rc;
	end = now_ms() + d->timeout_ms;
	for (;;) {
		if ((rc = read_word(d, DHCSR, &v, err)) != SG_OK || (v & DHCSR_S_HALT))
			return rc;
		if (now_ms() >= end)
			return sg_errf(err, SG_EENV, "%s: the core did not halt within %d ms (DHCSR 0x%08" PRIx32 ")",
				       d->base.name, d->timeout_ms, v);
	}
}

static void dap_close(struct sg_dbg *dbg)
{
	struct dap *d = (struct dap *)dbg;
	size_t len;

	if (d->h) {
		d->out[0] = DAP_DISCONNECT;
		if (usb_send(d, 1, NULL) == SG_OK)
			(void)usb_recv(d, &len, NULL);
		libusb_release_interface(d->h, d->iface);
		libusb_close(d->h);
	}
	if (d->ctx)
		libusb_exit(d->ctx);
	free(d->out);
	free(d->in);
	free(d->ops);
	free(d);
}

static const struct sg_dbg_ops cmsis_dap_ops = {
	.read = dap_read,
	.write = dap_write,
	.halt = dap_halt,
	.call = NULL,
	.close = dap_close,
};

/* ---- finding the probe ---- */

/* A CMSIS-DAP interface on one USB device. */
struct probe {
	libusb_device_handle *h;
	int iface;
	bool v1;
	uint8_t ep_out, ep_in;
	uint16_t report;	/* v1: the IN endpoint's packet size */
	char serial[128];
};

static bool has_string(libusb_device_handle *h, uint8_t index, const char *what)
{
	unsigned char s[256];

	return index && libusb_get_string_descriptor_ascii(h, index, s, sizeof s) > 0 &&
	       strstr((const char *)s, what);
}

/* The endpoints of type `type` (bulk or interrupt) of an interface. */
static bool endpoints(const struct libusb_interface_descriptor *id, uint8_t type, uint8_t *out,
		      uint8_t *in, uint16_t *size)
{
	*out = *in = 0;
	for (int e = 0; e < id->bNumEndpoints; e++) {
		const struct libusb_endpoint_descriptor *ep = &id->endpoint[e];

		if ((ep->bmAttributes & 3) != type)
			continue;
		if (ep->bEndpointAddress & LIBUSB_ENDPOINT_IN) {
			if (!*in) {
				*in = ep->bEndpointAddress;
				*size = ep->wMaxPacketSize;
			}
		} else if (!*out) {
			*out = ep->bEndpointAddress;
		}
	}
	return *out && *in;
}

/* The device's CMSIS-DAP interface: v2 (vendor class, bulk, an interface
 * string naming CMSIS-DAP) before v1 (HID with interrupt endpoints both
 * ways, the product or interface string naming CMSIS-DAP). */
static bool probe_interface(libusb_device_handle *h, const struct libusb_config_descriptor *cfg,
			    uint8_t iproduct, struct probe *p)
{
	bool found = false;

	for (int i = 0; i < cfg->bNumInterfaces; i++) {
		const struct libusb_interface_descriptor *id;
		uint8_t out, in;
		uint16_t size;
		bool v2;

		if (cfg->interface[i].num_altsetting < 1)
			continue;
		id = &cfg->interface[i].altsetting[0];
		v2 = id->bInterfaceClass == LIBUSB_CLASS_VENDOR_SPEC &&
		     endpoints(id, LIBUSB_TRANSFER_TYPE_BULK, &out, &in, &size) &&
		     has_string(h, id->iInterface, "CMSIS-DAP");
		if (!v2 && (found || id->bInterfaceClass != LIBUSB_CLASS_HID ||
			    !endpoints(id, LIBUSB_TRANSFER_TYPE_INTERRUPT, &out, &in, &size) ||
			    !(has_string(h, id->iInterface, "CMSIS-DAP") || has_string(h, iproduct, "CMSIS-DAP"))))
			continue;
		p->iface = id->bInterfaceNumber;
		p->ep_out = out;
		p->ep_in = in;
		p->report = size;
		p->v1 = !v2;
		found = true;
		if (v2)
			return true;
	}
	return found;
}

/* Opens dev and keeps it in *p when it is a CMSIS-DAP probe. *denied
 * counts devices the user may not open (no udev rule). */
static bool probe_check(libusb_device *dev, struct probe *p, int *denied)
{
	struct libusb_device_descriptor dd;
	struct libusb_config_descriptor *cfg = NULL;
	bool ok = false;
	int rc;

	memset(p, 0, sizeof *p);
	if (libusb_get_device_descriptor(dev, &dd) != 0 ||
	    libusb_get_active_config_descriptor(dev, &cfg) != 0)
		return false;
	if ((rc = libusb_open(dev, &p->h)) != 0) {
		*denied += rc == LIBUSB_ERROR_ACCESS;
		libusb_free_config_descriptor(cfg);
		return false;
	}
	ok = probe_interface(p->h, cfg, dd.iProduct, p);
	libusb_free_config_descriptor(cfg);
	if (ok && dd.iSerialNumber &&
	    libusb_get_string_descriptor_ascii(p->h, dd.iSerialNumber, (unsigned char *)p->serial,
					       sizeof p->serial) < 0)
		p->serial[0] = 0;
	if (!ok) {
		libusb_close(p->h);
		p->h = NULL;
	}
	return ok;
}

/* Appends ", SERIAL" to a list of what was found, for messages. */
static void list_add(char *list, size_t cap, const char *serial)
{
	size_t n = strlen(list);

	snprintf(list + n, cap - n, "%s%s", n ? ", " : "", serial[0] ? serial : "(no serial)");
}

static int find_probe(struct dap *d, const char *serial, struct probe *chosen, struct sg_err *err)
{
	libusb_device **devs;
	char found[256] = "";
	int matches = 0, denied = 0;
	ssize_t n = libusb_get_device_list(d->ctx, &devs);

	if (n < 0)
		return sg_errf(err, SG_EENV, "%s: cannot list USB devices: %s", d->base.name,
			       libusb_strerror((int)n));
	memset(chosen, 0, sizeof *chosen);
	for (ssize_t i = 0; i < n; i++) {
		struct probe p;

		if (!probe_check(devs[i], &p, &denied))
			continue;
		list_add(found, sizeof found, p.serial);
		if ((serial[0] && strcmp(serial, p.serial) != 0) || matches++ > 0) {
			libusb_close(p.h);
			continue;
		}
		*chosen = p;
	}
	libusb_free_device_list(devs, 1);
	if (matches == 1)
		return SG_OK;
	if (chosen->h)
		libusb_close(chosen->h);
	chosen->h = NULL;
	if (matches > 1)
		return sg_errf_param(err, SG_EINPUT, "fixture",
				     "%s: %d CMSIS-DAP probes found (%s): name one as cmsis-dap:SERIAL",
				     d->base.name, matches, found);
	if (found[0])
		return sg_errf(err, SG_EENV, "%s: no CMSIS-DAP probe with serial number %s (found: %s)",
			       d->base.name, serial, found);
	return sg_errf(err, SG_EENV, "%s: no CMSIS-DAP probe found on USB%s", d->base.name,
		       denied ? " (some USB devices could not be opened: permissions?)" : "");
}

/* ---- connecting ---- */

static int info_uint(struct dap *d, uint8_t id, uint32_t *v, struct sg_err *err)
{
	size_t rlen;
	int rc = command(d, dap_encode_info(d->out, d->pkt, id), &rlen, err);

	// NOLINTNEXTLINE(clang-analyzer-core.CallAndMessage): command() sets rlen when it returns SG_OK
	if (rc == SG_OK && dap_decode_info_uint(d->in, rlen, v) != 0)
		return malformed(d, "DAP_Info", err);
	return rc;
}

/* A command answered [cmd][DAP_OK]. */
static int simple(struct dap *d, size_t len, const char *what, struct sg_err *err)
{
	uint8_t cmd = d->out[0];
	size_t rlen;
	int rc = command(d, len, &rlen, err);

	// NOLINTNEXTLINE(clang-analyzer-core.CallAndMessage): as above
	if (rc == SG_OK && dap_decode_status(d->in, rlen, cmd) != 0)
		return sg_errf(err, SG_EENV, "%s: the probe refused %s", d->base.name, what);
	return rc;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static int probe_setup(struct dap *d, struct sg_err *err)
{
	uint32_t size = 0, count = 0;
	uint8_t port = 0;
	size_t rlen;
	int rc;

	if ((rc = info_uint(d, DAP_ID_PACKET_SIZE, &size, err)) != SG_OK ||
	    (rc = info_uint(d, DAP_ID_PACKET_COUNT, &count, err)) != SG_OK)
		return rc;
	if (size < 64 || size > DAP_PACKET_MAX || count < 1)
		return sg_errf(err, SG_EENV, "%s: unusable packet size %" PRIu32 " or count %" PRIu32,
			       d->base.name, size, count);
	d->pkt = size;
	d->count = count < MAX_FLIGHT ? count : MAX_FLIGHT;
	d->out[0] = DAP_CONNECT;
	d->out[1] = 1; /* SWD */
	if ((rc = command(d, 2, &rlen, err)) != SG_OK)
		return rc;
	if (dap_decode_connect(d->in, rlen, &port) != 0 || port != 1)
		return sg_errf(err, SG_EENV, "%s: the probe cannot connect over SWD", d->base.name);
	d->out[0] = DAP_SWJ_CLOCK;
	put32(d->out + 1, SWD_CLOCK_HZ);
	if ((rc = simple(d, 5, "the SWD clock", err)) != SG_OK)
		return rc;
	d->out[0] = DAP_TRANSFER_CONFIGURE;
	d->out[1] = 0; /* idle cycles after a transfer */
	d->out[2] = WAIT_RETRIES & 0xFF;
	d->out[3] = WAIT_RETRIES >> 8;
	d->out[4] = d->out[5] = 0; /* value-match retries: none used */
	return simple(d, 6, "DAP_TransferConfigure", err);
}

/* Line reset (over 50 clocks of SWDIO high), the JTAG-to-SWD switch
 * (0xE79E, LSB first), line reset again, then idle clocks. */
static int swd_select(struct dap *d, struct sg_err *err)
{
	static const uint8_t seq[] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x9E, 0xE7,
				      0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00};

	return simple(d, dap_encode_swj_sequence(d->out, d->pkt, 8 * sizeof seq, seq),
		      "DAP_SWJ_Sequence", err);
}

/* The SW-DP: IDCODE (the first access after a line reset must read it),
 * sticky flags cleared, debug and system power requested and acknowledged,
 * and AP 0 a MEM-AP. */
static int dp_setup(struct dap *d, struct sg_err *err)
{
	struct dap_op id = {.req = DAP_READ | DAP_REG(DP_IDCODE)};
	struct dap_op idr[2] = {{.req = DAP_REG(DP_SELECT), .wdata = SELECT_IDR_BANK},
				{.req = DAP_AP | DAP_READ | DAP_REG(AP_IDR)}};
	struct dap_op ctrl = {.req = DAP_READ | DAP_REG(DP_CTRL_STAT)};
	long long end;
	int rc;

	if ((rc = dp_ops(d, &id, 1, "an IDCODE read", err)) != SG_OK ||
	    (rc = dp_write(d, DP_ABORT, ABORT_CLEAR_STICKY, "ABORT", err)) != SG_OK ||
	    (rc = dp_write(d, DP_SELECT, 0, "SELECT", err)) != SG_OK ||
	    (rc = dp_write(d, DP_CTRL_STAT, CTRL_PWRUP_REQ, "a power-up request", err)) != SG_OK)
		return rc;
	end = now_ms() + d->timeout_ms;
	do {
		if ((rc = dp_ops(d, &ctrl, 1, "a CTRL/STAT read", err)) != SG_OK)
			return rc;
		if ((ctrl.rdata & CTRL_PWRUP_ACK) == CTRL_PWRUP_ACK)
			break;
		if (now_ms() >= end)
			return sg_errf(err, SG_EENV,
				       "%s: the target did not acknowledge debug power-up (CTRL/STAT 0x%08" PRIx32 ")",
				       d->base.name, ctrl.rdata);
	} while (1);
	if ((rc = dp_ops(d, idr, 2, "an AP IDR read", err)) != SG_OK)
		return rc;
	if (idr[1].rdata == 0)
		return sg_errf(err, SG_EENV, "%s: no MEM-AP at AP 0 (SW-DP IDCODE 0x%08" PRIx32 ")",
			       d->base.name, id.rdata);
	return SG_OK;
}

int sg_dbg_cmsis_dap_open(const char *serial, const char *spec, int timeout_ms, struct sg_dbg **out,
			  struct sg_err *err)
{
	struct dap *d = calloc(1, sizeof *d);
	struct probe p;
	int rc;

	*out = NULL;
	if (!d || !(d->out = calloc(1, DAP_PACKET_MAX)) || !(d->in = calloc(1, DAP_PACKET_MAX)) ||
	    !(d->ops = calloc(DAP_PACKET_MAX / 5 + 4, sizeof *d->ops))) {
		rc = sg_errf(err, SG_EENV, "%s: out of memory", spec);
		goto fail;
	}
	d->base.ops = &cmsis_dap_ops;
	snprintf(d->base.name, sizeof d->base.name, "%s", spec);
	d->timeout_ms = timeout_ms > 0 ? timeout_ms : 1;
	if ((rc = libusb_init(&d->ctx)) != 0) {
		d->ctx = NULL;
		rc = sg_errf(err, SG_EENV, "%s: libusb: %s", spec, libusb_strerror(rc));
		goto fail;
	}
	if ((rc = find_probe(d, serial, &p, err)) != SG_OK)
		goto fail;
	d->h = p.h;
	d->iface = p.iface;
	d->v1 = p.v1;
	d->ep_out = p.ep_out;
	d->ep_in = p.ep_in;
	/* Until DAP_Info says: a v1 report is the endpoint's packet. */
	d->pkt = p.v1 && p.report >= 64 && p.report <= DAP_PACKET_MAX ? p.report : 64;
	(void)libusb_set_auto_detach_kernel_driver(d->h, 1);
	if ((rc = libusb_claim_interface(d->h, d->iface)) != 0) {
		libusb_close(d->h);
		d->h = NULL;
		rc = sg_errf(err, SG_EENV, "%s: cannot claim the probe's interface (%s): another program uses it?",
			     spec, libusb_strerror(rc));
		goto fail;
	}
	if ((rc = probe_setup(d, err)) != SG_OK || (rc = swd_select(d, err)) != SG_OK ||
	    (rc = dp_setup(d, err)) != SG_OK || (rc = dap_halt(&d->base, err)) != SG_OK)
		goto fail;
	*out = &d->base;
	return SG_OK;
fail:
	if (d)
		dap_close(&d->base);
	return rc;
}
