/* A model of a CMSIS-DAP probe wired to an nRF51, as the part of libusb-1.0
 * that signet's cmsis-dap: client calls. Built as libdap_model.so and
 * loaded with LD_PRELOAD in front of the real libusb, so the unmodified
 * client (and signet) talk to it; libusb functions it does not define
 * (libusb_strerror) are the real ones. Environment: dap_model.h.
 *
 * What it models, and how far:
 * - USB: a bus holding the probes (SIGNET_DAP_MODEL_SERIAL), a vendor-class
 *   device that is not a probe and a HID keyboard. A v2 probe has a HID
 *   CMSIS-DAP interface (0, 64-byte reports, interrupt endpoints 0x02/0x82)
 *   and the v2 one (1, "CMSIS-DAP v2", bulk 0x01/0x81, 512-byte packets,
 *   4 of them buffered); a v1 probe only the HID one (2 buffered). Descriptors,
 *   strings, claiming. Transfers are synchronous and instant: a request is
 *   executed when it is sent; one sent while the probe's buffers are full is
 *   refused (LIBUSB_ERROR_TIMEOUT, counted), a read with no answer waiting
 *   times out at once. Unplugging answers LIBUSB_ERROR_NO_DEVICE.
 * - The probe's firmware: DAP_Info, Connect (SWD only), Disconnect,
 *   TransferConfigure (WAIT retries honoured), Transfer (value match too),
 *   TransferBlock, TransferAbort, SWJ_Clock, SWJ_Sequence, SWD_Configure,
 *   HostStatus. No JTAG, no SWO, no timestamps.
 * - The SW-DP (IDCODE 0x0BB11477): dead until line reset, the JTAG-to-SWD
 *   sequence and line reset; after a line reset only an IDCODE read is
 *   answered; ABORT, CTRL/STAT with power-up acknowledged two reads after
 *   the request, sticky errors (every AP access FAULTs while one is set),
 *   SELECT, RDBUFF. AP reads are not posted here (a probe's firmware hides
 *   that anyway); what is kept of posting is its visible effect: an access
 *   that fails on the bus is acknowledged OK and sets STICKYERR, and the
 *   access after it gets FAULT. WAIT injection counts down per AP access.
 * - AP 0, an AHB-AP (IDR 0x04770021): CSW (word size only: any other size
 *   fails on the bus), TAR, DRW, BD0-3; TAR auto-increments by 4 within
 *   1 KiB (wrapping there) and not after a failed access.
 * - The nRF51 behind AP 0: nrf51_mem.h.
 * Each libusb_init makes a new bus: probes and chips in their power-up
 * state, over the same state files. One thread per context. */
#include <libusb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dap_model.h"
#include "nrf51_mem.h"

#define MAX_PROBES 4
#define QUEUE 8
#define PKT_MAX 512

enum dev_kind { PROBE, VENDOR_OTHER, KEYBOARD };
enum dp_mode { DP_DEAD, DP_RESET, DP_READY };

/* A probe's SW-DP, its AP and the chip behind them. */
struct chip {
	struct nrf51_mem *mem;
	struct nrf51_state *stats;
	/* DP */
	enum dp_mode mode;
	bool switched;		/* JTAG-to-SWD seen */
	unsigned ones;		/* SWDIO high clocks in a row */
	unsigned seq_bits;	/* bits collected after a line reset */
	uint16_t seq;
	uint32_t ctrl, select, rdbuff;
	unsigned pwr_polls;
	unsigned wait_left;
	bool wait_armed;
	/* AP */
	uint32_t csw, tar;
	/* probe firmware */
	unsigned wait_retry, match_retry;
	uint32_t match_mask;
};

struct libusb_device {
	struct libusb_context *ctx;
	enum dev_kind kind;
	bool v1;
	char serial[64];
	struct chip chip;	/* its state mapped once claimed */
	char path[4096];	/* of the chip's state file, "" for none */
	uint64_t deviceid;
	/* answers waiting to be read, per interface */
	uint8_t q[2][QUEUE][PKT_MAX];
	size_t qlen[2][QUEUE], qhead[2], qn[2];
};

struct libusb_device_handle {
	struct libusb_device *dev;
	unsigned claimed;	/* bit per interface */
};

struct libusb_context {
	struct libusb_device dev[MAX_PROBES + 2];
	size_t ndev;
	bool unplug_armed;
	unsigned long unplug_left;
};

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The chip's bus, and the fault SIGNET_DAP_MODEL_FAULT injects. */
static int bus(struct chip *c, uint32_t a, bool write, uint32_t *v)
{
	const char *s = getenv("SIGNET_DAP_MODEL_FAULT");

	if (s && *s && strtoul(s, NULL, 0) == a)
		return -1;
	return write ? nrf51_mem_write32(c->mem, a, *v) : nrf51_mem_read32(c->mem, a, v);
}

/* ---- SW-DP and AP ---- */

enum { ACK_OK = 1, ACK_WAIT = 2, ACK_FAULT = 4, ACK_NONE = 7 };
#define STICKY 0xB2u
#define PWRUP_REQ 0x50000000u

static unsigned env_wait(bool *always)
{
	const char *s = getenv("SIGNET_DAP_MODEL_WAIT");

	*always = s && strcmp(s, "always") == 0;
	return s && !*always ? (unsigned)strtoul(s, NULL, 0) : 0;
}

static int ap_access(struct chip *c, uint8_t req, uint32_t *data)
{
	bool write = !(req & 2), always;
	unsigned reg = (c->select & 0xF0) | (req & 0xC), waits = env_wait(&always);
	uint32_t a;

	if ((c->ctrl & 0xA0000000u) != 0xA0000000u) {
		c->ctrl |= 0x20;
		return ACK_FAULT;
	}
	if (c->ctrl & STICKY)
		return ACK_FAULT;
	if (!c->wait_armed) {
		c->wait_left = waits;
		c->wait_armed = true;
	}
	if (always || c->wait_left > 0) {
		c->wait_left -= c->wait_left > 0;
		return ACK_WAIT;
	}
	c->wait_armed = false;
	if (c->select >> 24)
		return write ? ACK_OK : (*data = 0, ACK_OK);
	switch (reg) {
	case 0x00:
		if (write)
			c->csw = *data & 0xFF00FF37u;
		else
			*data = c->csw | 1u << 6;
		return ACK_OK;
	case 0x04:
		if (write)
			c->tar = *data;
		else
			*data = c->tar;
		return ACK_OK;
	case 0x0C: case 0x10: case 0x14: case 0x18: case 0x1C:
		a = reg == 0x0C ? c->tar : (c->tar & ~0xFu) | (reg & 0xC);
		if (!write)
			*data = 0;
		if ((c->csw & 7) != 2 || (a & 3) || bus(c, a, write, data) != 0) {
			c->ctrl |= 0x20; /* STICKYERR; this access's ack is OK */
			return ACK_OK;
		}
		if (reg == 0x0C && (c->csw & 0x30) == 0x10)
			c->tar = (c->tar & ~0x3FFu) | ((c->tar + 4) & 0x3FFu);
		return ACK_OK;
	case 0xF8:
		*data = write ? *data : 0xF0000003u;
		return ACK_OK;
	case 0xFC:
		*data = write ? *data : 0x04770021u;
		return ACK_OK;
	default:
		if (!write)
			*data = 0;
		return ACK_OK;
	}
}

static int dp_access(struct chip *c, uint8_t req, uint32_t *data)
{
	bool write = !(req & 2);

	switch (req & 0xC) {
	case 0x0:
		if (!write) {
			*data = 0x0BB11477u;
		} else {
			if (*data & 0x02) c->ctrl &= ~0x10u;
			if (*data & 0x04) c->ctrl &= ~0x20u;
			if (*data & 0x08) c->ctrl &= ~0x80u;
			if (*data & 0x10) c->ctrl &= ~0x02u;
		}
		return ACK_OK;
	case 0x4:
		if (write) {
			c->ctrl = (c->ctrl & (STICKY | 0xA0000000u)) | (*data & (PWRUP_REQ | 0x0F00u));
			c->pwr_polls = 0;
			if (!(c->ctrl & PWRUP_REQ))
				c->ctrl &= ~0xA0000000u;
		} else {
			if ((c->ctrl & PWRUP_REQ) == PWRUP_REQ && ++c->pwr_polls >= 2)
				c->ctrl |= 0xA0000000u;
			*data = c->ctrl;
		}
		return ACK_OK;
	case 0x8:
		if (write)
			c->select = *data;
		else
			*data = 0;
		return ACK_OK;
	default:
		if (!write)
			*data = c->rdbuff;
		return ACK_OK;
	}
}

/* One SWD transaction: req bit 0 APnDP, bit 1 RnW, bits 3:2 A[3:2]. */
static int swd(struct chip *c, uint8_t req, uint32_t *data)
{
	int ack;

	if (c->mode == DP_DEAD)
		return ACK_NONE;
	if (c->mode == DP_RESET) {
		if ((req & 0xF) != 0x2)
			return ACK_NONE;
		c->mode = DP_READY;
	}
	ack = (req & 1) ? ap_access(c, req, data) : dp_access(c, req, data);
	if (ack == ACK_OK && (req & 3) == 3)
		c->rdbuff = *data;
	return ack;
}

static int swd_retry(struct chip *c, uint8_t req, uint32_t *data)
{
	int ack;

	for (unsigned n = 0;; n++)
		if ((ack = swd(c, req, data)) != ACK_WAIT || n >= c->wait_retry)
			return ack;
}

/* SWJ_Sequence bits, LSB first: over 50 ones reset the line; after one,
 * 0xE79E switches from JTAG to SWD. */
static void swj_bit(struct chip *c, int bit)
{
	if (c->seq_bits && c->seq_bits < 16) {
		c->seq |= (uint16_t)(bit << c->seq_bits++);
		if (c->seq_bits == 16 && c->seq == 0xE79E)
			c->switched = true;
	}
	if (bit) {
		if (++c->ones == 50 && c->switched)
			c->mode = DP_RESET;
		return;
	}
	if (c->ones >= 50) {
		c->seq = 0;
		c->seq_bits = 1;
	}
	c->ones = 0;
}

/* ---- the probe's firmware ---- */

struct out {
	uint8_t *p;
	size_t n, cap;
	bool over;
};

static void emit(struct out *o, uint8_t b)
{
	if (o->n < o->cap)
		o->p[o->n++] = b;
	else
		o->over = true;
}

static void emit32(struct out *o, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		emit(o, (uint8_t)(v >> (8 * i)));
}

static void info(struct libusb_device *dev, const uint8_t *rq, size_t n, struct out *o, size_t pkt,
		 unsigned count)
{
	const char *s = NULL;
	uint8_t id = n > 1 ? rq[1] : 0;

	emit(o, 0x00);
	switch (id) {
	case 0x01: s = "signet"; break;
	case 0x02: s = "CMSIS-DAP model"; break;
	case 0x03: s = dev->serial; break;
	case 0x04: s = "2.1.0"; break;
	case 0xF0: emit(o, 1); emit(o, 0x01); return;
	case 0xFE: emit(o, 1); emit(o, (uint8_t)count); return;
	case 0xFF: emit(o, 2); emit(o, (uint8_t)pkt); emit(o, (uint8_t)(pkt >> 8)); return;
	default: emit(o, 0); return;
	}
	emit(o, (uint8_t)(strlen(s) + 1));
	for (size_t i = 0; i <= strlen(s); i++)
		emit(o, (uint8_t)s[i]);
}

static void transfer(struct chip *c, const uint8_t *rq, size_t n, struct out *o)
{
	size_t at = 3, count = n > 2 ? rq[2] : 0, done = 0;
	int ack = ACK_OK;
	uint8_t flags = 0;

	emit(o, 0x05);
	emit(o, 0);
	emit(o, 0);
	for (; done < count && at < n; done++) {
		uint8_t req = rq[at++];
		uint32_t data = 0;

		if (!(req & 2) || (req & 0x10)) {
			if (n - at < 4)
				break;
			data = le32(rq + at);
			at += 4;
		}
		if (req & 0x20) {		/* match mask: no SWD access */
			c->match_mask = data;
			continue;
		}
		if (req & 0x10) {		/* read until the value matches */
			uint32_t want = data;
			unsigned tries = 0;

			do
				ack = swd_retry(c, req, &data);
			while (ack == ACK_OK && (data & c->match_mask) != want && tries++ < c->match_retry);
			if (ack == ACK_OK && (data & c->match_mask) != want)
				flags = 0x10;
			if (ack != ACK_OK || flags)
				break;
			continue;
		}
		if ((ack = swd_retry(c, req, &data)) != ACK_OK)
			break;
		if (req & 2)
			emit32(o, data);
	}
	o->p[1] = (uint8_t)done;
	o->p[2] = (uint8_t)(ack | flags);
}

static void transfer_block(struct chip *c, const uint8_t *rq, size_t n, struct out *o)
{
	size_t count = n > 3 ? (size_t)rq[2] | (size_t)rq[3] << 8 : 0, done = 0, at = 5;
	uint8_t req = n > 4 ? rq[4] : 0;
	int ack = ACK_OK;

	emit(o, 0x06);
	emit(o, 0);
	emit(o, 0);
	emit(o, 0);
	for (; done < count; done++) {
		uint32_t data = 0;

		if (!(req & 2)) {
			if (n - at < 4)
				break;
			data = le32(rq + at);
			at += 4;
		}
		if ((ack = swd_retry(c, req, &data)) != ACK_OK)
			break;
		if (req & 2)
			emit32(o, data);
	}
	o->p[1] = (uint8_t)done;
	o->p[2] = (uint8_t)(done >> 8);
	o->p[3] = (uint8_t)ack;
}

/* Runs one request; false when the command has no answer. */
static bool firmware(struct libusb_device *dev, const uint8_t *rq, size_t n, struct out *o,
		     size_t pkt, unsigned count)
{
	struct chip *c = &dev->chip;

	switch (n ? rq[0] : 0xFF) {
	case 0x00:
		info(dev, rq, n, o, pkt, count);
		break;
	case 0x01: case 0x03: case 0x13:
		emit(o, rq[0]);
		emit(o, 0);
		break;
	case 0x02:
		emit(o, 0x02);
		emit(o, n > 1 && rq[1] == 2 ? 0 : 1);
		break;
	case 0x04:
		c->wait_retry = n > 3 ? (unsigned)rq[2] | (unsigned)rq[3] << 8 : 0;
		c->match_retry = n > 5 ? (unsigned)rq[4] | (unsigned)rq[5] << 8 : 0;
		emit(o, 0x04);
		emit(o, 0);
		break;
	case 0x05:
		transfer(c, rq, n, o);
		break;
	case 0x06:
		transfer_block(c, rq, n, o);
		break;
	case 0x07:
		return false;
	case 0x11:
		emit(o, 0x11);
		emit(o, n >= 5 && le32(rq + 1) ? 0 : 0xFF);
		break;
	case 0x12: {
		unsigned bits = n > 1 ? (rq[1] ? rq[1] : 256) : 0;

		for (unsigned i = 0; i < bits && 2 + i / 8 < n; i++)
			swj_bit(c, rq[2 + i / 8] >> (i % 8) & 1);
		emit(o, 0x12);
		emit(o, 0);
		break;
	}
	default:
		emit(o, 0xFF);
	}
	return true;
}

static int add_probe(struct libusb_context *ctx, const char *serial, size_t len, int several)
{
	struct libusb_device *d = &ctx->dev[ctx->ndev];
	const char *path = getenv("SIGNET_DAP_MODEL_MEM"), *id = getenv("SIGNET_DAP_MODEL_DEVICEID");

	if (len >= sizeof d->serial || ctx->ndev >= MAX_PROBES)
		return -1;
	d->kind = PROBE;
	d->v1 = getenv("SIGNET_DAP_MODEL_V1") && strcmp(getenv("SIGNET_DAP_MODEL_V1"), "1") == 0;
	memcpy(d->serial, serial, len);
	if (path && several)
		snprintf(d->path, sizeof d->path, "%s.%.*s", path, (int)len, serial);
	else if (path)
		snprintf(d->path, sizeof d->path, "%s", path);
	d->deviceid = (id ? strtoull(id, NULL, 16) : 0x1122334455667788ull) + ctx->ndev;
	d->chip.wait_retry = 100; /* ARM's firmware, until TransferConfigure */
	ctx->ndev++;
	return 0;
}

/* ---- libusb ---- */

int LIBUSB_CALL libusb_init(libusb_context **out)
{
	struct libusb_context *ctx = calloc(1, sizeof *ctx);
	const char *s = getenv("SIGNET_DAP_MODEL_SERIAL");

	if (!ctx)
		return LIBUSB_ERROR_NO_MEM;
	if (!s)
		s = "MODEL0001";
	for (const char *p = s; *p;) {
		size_t n = strcspn(p, ",");

		if (add_probe(ctx, p, n, strchr(s, ',') != NULL) != 0) {
			libusb_exit(ctx);
			return LIBUSB_ERROR_OTHER;
		}
		p += n + (p[n] == ',');
	}
	ctx->dev[ctx->ndev++].kind = VENDOR_OTHER;
	ctx->dev[ctx->ndev++].kind = KEYBOARD;
	for (size_t i = 0; i < ctx->ndev; i++)
		ctx->dev[i].ctx = ctx;
	if (out)
		*out = ctx;
	return 0;
}

void LIBUSB_CALL libusb_exit(libusb_context *ctx)
{
	if (!ctx)
		return;
	for (size_t i = 0; i < ctx->ndev; i++)
		nrf51_mem_close(ctx->dev[i].chip.mem);
	free(ctx);
}

ssize_t LIBUSB_CALL libusb_get_device_list(libusb_context *ctx, libusb_device ***list)
{
	libusb_device **l = calloc(ctx->ndev + 1, sizeof *l);

	if (!l)
		return LIBUSB_ERROR_NO_MEM;
	for (size_t i = 0; i < ctx->ndev; i++)
		l[i] = &ctx->dev[i];
	*list = l;
	return (ssize_t)ctx->ndev;
}

void LIBUSB_CALL libusb_free_device_list(libusb_device **list, int unref)
{
	(void)unref;
	free(list);
}

int LIBUSB_CALL libusb_get_device_descriptor(libusb_device *dev, struct libusb_device_descriptor *dd)
{
	memset(dd, 0, sizeof *dd);
	dd->bLength = LIBUSB_DT_DEVICE_SIZE;
	dd->bDescriptorType = LIBUSB_DT_DEVICE;
	dd->bcdUSB = 0x0200;
	dd->idVendor = dev->kind == PROBE ? 0x0D28 : 0x1234;
	dd->idProduct = dev->kind == PROBE ? 0x0204 : 0x5678 + dev->kind;
	dd->iManufacturer = 1;
	dd->iProduct = 2;
	dd->iSerialNumber = 3;
	dd->bNumConfigurations = 1;
	return 0;
}

/* The configuration, one allocation (libusb_free_config_descriptor). */
struct config {
	struct libusb_config_descriptor cfg;
	struct libusb_interface ifs[2];
	struct libusb_interface_descriptor alt[2];
	struct libusb_endpoint_descriptor ep[2][2];
};

static void iface(struct config *c, int i, uint8_t cls, uint8_t istr, uint8_t type, uint8_t ep,
		  uint16_t size)
{
	struct libusb_interface_descriptor *a = &c->alt[i];

	a->bLength = LIBUSB_DT_INTERFACE_SIZE;
	a->bDescriptorType = LIBUSB_DT_INTERFACE;
	a->bInterfaceNumber = (uint8_t)i;
	a->bInterfaceClass = cls;
	a->iInterface = istr;
	a->bNumEndpoints = 2;
	a->endpoint = c->ep[i];
	for (int e = 0; e < 2; e++) {
		c->ep[i][e].bLength = LIBUSB_DT_ENDPOINT_SIZE;
		c->ep[i][e].bDescriptorType = LIBUSB_DT_ENDPOINT;
		c->ep[i][e].bEndpointAddress = (uint8_t)(ep | (e ? 0x80 : 0));
		c->ep[i][e].bmAttributes = type;
		c->ep[i][e].wMaxPacketSize = size;
	}
	c->ifs[i].altsetting = a;
	c->ifs[i].num_altsetting = 1;
	c->cfg.bNumInterfaces = (uint8_t)(i + 1);
}

int LIBUSB_CALL libusb_get_active_config_descriptor(libusb_device *dev,
						    struct libusb_config_descriptor **out)
{
	struct config *c = calloc(1, sizeof *c);

	if (!c)
		return LIBUSB_ERROR_NO_MEM;
	c->cfg.bLength = LIBUSB_DT_CONFIG_SIZE;
	c->cfg.bDescriptorType = LIBUSB_DT_CONFIG;
	c->cfg.bConfigurationValue = 1;
	c->cfg.interface = c->ifs;
	if (dev->kind == VENDOR_OTHER) {
		iface(c, 0, LIBUSB_CLASS_VENDOR_SPEC, 4, LIBUSB_TRANSFER_TYPE_BULK, 1, 512);
	} else {
		iface(c, 0, LIBUSB_CLASS_HID, 0, LIBUSB_TRANSFER_TYPE_INTERRUPT, 2, 64);
		if (dev->kind == PROBE && !dev->v1)
			iface(c, 1, LIBUSB_CLASS_VENDOR_SPEC, 4, LIBUSB_TRANSFER_TYPE_BULK, 1, 512);
	}
	*out = &c->cfg;
	return 0;
}

void LIBUSB_CALL libusb_free_config_descriptor(struct libusb_config_descriptor *cfg)
{
	free(cfg); /* the first member of struct config */
}

int LIBUSB_CALL libusb_open(libusb_device *dev, libusb_device_handle **h)
{
	if (!(*h = calloc(1, sizeof **h)))
		return LIBUSB_ERROR_NO_MEM;
	(*h)->dev = dev;
	return 0;
}

void LIBUSB_CALL libusb_close(libusb_device_handle *h)
{
	free(h);
}

int LIBUSB_CALL libusb_get_string_descriptor_ascii(libusb_device_handle *h, uint8_t index,
						   unsigned char *data, int length)
{
	struct libusb_device *d = h->dev;
	const char *s;
	int n;

	switch (index) {
	case 1: s = d->kind == PROBE ? "ARM" : "Example"; break;
	case 2: s = d->kind == PROBE ? "DAPLink CMSIS-DAP" : d->kind == KEYBOARD ? "USB Keyboard" : "Gadget"; break;
	case 3: s = d->kind == PROBE ? d->serial : "X1"; break;
	case 4: s = d->kind == PROBE ? "CMSIS-DAP v2" : "Vendor interface"; break;
	default: return LIBUSB_ERROR_PIPE;
	}
	if (length <= 0)
		return LIBUSB_ERROR_INVALID_PARAM;
	n = (int)strlen(s) < length - 1 ? (int)strlen(s) : length - 1;
	memcpy(data, s, (size_t)n);
	data[n] = 0;
	return n;
}

int LIBUSB_CALL libusb_set_auto_detach_kernel_driver(libusb_device_handle *h, int enable)
{
	(void)h;
	(void)enable;
	return 0;
}

static int interfaces(const libusb_device *d)
{
	return d->kind == PROBE && !d->v1 ? 2 : 1;
}

int LIBUSB_CALL libusb_claim_interface(libusb_device_handle *h, int i)
{
	struct libusb_device *d = h->dev;

	if (i < 0 || i >= interfaces(d))
		return LIBUSB_ERROR_NOT_FOUND;
	/* The chip powers up when its probe is claimed: a client that only
	 * looks at the probes leaves their state files alone. */
	if (d->kind == PROBE && !d->chip.mem) {
		if (!(d->chip.mem = nrf51_mem_open(d->path[0] ? d->path : NULL, d->deviceid)))
			return LIBUSB_ERROR_OTHER;
		d->chip.stats = nrf51_mem_state(d->chip.mem);
	}
	h->claimed |= 1u << i;
	return 0;
}

int LIBUSB_CALL libusb_release_interface(libusb_device_handle *h, int i)
{
	if (i < 0 || i >= interfaces(h->dev) || !(h->claimed & (1u << i)))
		return LIBUSB_ERROR_NOT_FOUND;
	h->claimed &= ~(1u << i);
	return 0;
}

/* True once the probe is unplugged (SIGNET_DAP_MODEL_UNPLUG_AFTER). */
static bool unplugged(struct libusb_context *ctx)
{
	const char *s = getenv("SIGNET_DAP_MODEL_UNPLUG_AFTER");

	if (!s) {
		ctx->unplug_armed = false;
		return false;
	}
	if (!ctx->unplug_armed) {
		ctx->unplug_armed = true;
		ctx->unplug_left = strtoul(s, NULL, 0);
	}
	if (ctx->unplug_left == 0)
		return true;
	ctx->unplug_left--;
	return false;
}

/* A transfer on interface i (0: HID, interrupt; 1: v2, bulk). */
static int xfer(libusb_device_handle *h, int i, unsigned char ep, unsigned char *data, int len,
		int *actual)
{
	struct libusb_device *d = h->dev;
	struct nrf51_state *m = d->chip.stats;
	size_t pkt = i ? 512 : 64, *qn = &d->qn[i];
	unsigned count = i ? 4 : 2;

	*actual = 0;
	if (unplugged(d->ctx))
		return LIBUSB_ERROR_NO_DEVICE;
	if (d->kind != PROBE || i >= interfaces(d) || (ep & 0x7F) != (i ? 1 : 2))
		return LIBUSB_ERROR_PIPE;
	if (!(h->claimed & (1u << i)))
		return LIBUSB_ERROR_NOT_FOUND;
	if (len < 0)
		return LIBUSB_ERROR_INVALID_PARAM;
	if (!(ep & 0x80)) {
		size_t slot = (d->qhead[i] + *qn) % QUEUE;
		struct out o = {.p = d->q[i][slot], .cap = pkt};

		if (i ? (size_t)len > pkt : (size_t)len != pkt)
			m->framing++;
		if (*qn >= count) {
			m->overruns++;
			return LIBUSB_ERROR_TIMEOUT;
		}
		m->requests++;
		if (!firmware(d, data, (size_t)len < pkt ? (size_t)len : pkt, &o, pkt, count))
			return *actual = len, 0;
		m->oversize += o.over;
		d->qlen[i][slot] = i ? o.n : pkt;
		if (++*qn > m->max_inflight)
			m->max_inflight = (uint32_t)*qn;
		*actual = len;
		return 0;
	}
	if (*qn == 0)
		return LIBUSB_ERROR_TIMEOUT;
	if ((size_t)len < d->qlen[i][d->qhead[i]])
		return LIBUSB_ERROR_OVERFLOW;
	memcpy(data, d->q[i][d->qhead[i]], d->qlen[i][d->qhead[i]]);
	*actual = (int)d->qlen[i][d->qhead[i]];
	memset(d->q[i][d->qhead[i]], 0, PKT_MAX);
	d->qhead[i] = (d->qhead[i] + 1) % QUEUE;
	--*qn;
	return 0;
}

int LIBUSB_CALL libusb_bulk_transfer(libusb_device_handle *h, unsigned char ep, unsigned char *data,
				     int len, int *actual, unsigned int timeout)
{
	(void)timeout;
	return xfer(h, 1, ep, data, len, actual);
}

int LIBUSB_CALL libusb_interrupt_transfer(libusb_device_handle *h, unsigned char ep,
					  unsigned char *data, int len, int *actual,
					  unsigned int timeout)
{
	(void)timeout;
	return xfer(h, 0, ep, data, len, actual);
}
