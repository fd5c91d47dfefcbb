/* The device agent run on the station's host for a chip reached through a
 * debug probe (docs/provisioning.md §12): the same agent code a firmware
 * links (provision/agent/), with a HAL that reads and programs the chip's
 * memory through a struct sg_dbg as the target profile's "probe" member
 * maps it. The station sees a transport like any other and speaks
 * docs/protocol.md to it, so every check of a unit holds for probe
 * fixtures unchanged.
 *
 * What the HAL does: UID and chip identity are words read from the chip;
 * slots are flash pages in the signet/flash_slots.h layout, programmed by
 * the profile's routine run from RAM (when the backend can run code) or by
 * writing the flash controller's registers; lock bits are words (UICR)
 * programmed the same way and read back. There is no key generation: a
 * probe fixture is inject mode. A link failure (server gone, probe
 * unplugged) makes every later read and write of the transport fail, so
 * the unit ends with reason "transport". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "signet/agent.h"
#include "signet/dbg.h"
#include "signet/flash_slots.h"
#include "signet/target.h"
#include "transport_priv.h"

#define CALL_TIMEOUT_MS 3000  /* a page erase takes ~22 ms on an nRF51 */
#define READY_TIMEOUT_MS 500
#define ROUTINE_AREA SG_PROBE_ROUTINE_MAX /* the buffer follows the routine */
#define OUT_MAX (2 * SGP_WIRE_LEN(SGP_AGENT_PAYLOAD))

/* nRF NVMC registers, from the profile's probe.flash.registers */
#define NVMC_READY 0x400u
#define NVMC_CONFIG 0x504u
#define NVMC_ERASEPAGE 0x508u

struct probe {
	struct sg_dbg *dbg;
	struct sg_target_probe map;
	char chip[33];
	struct sgp_slot slots[SG_PROBE_SLOTS];
	struct sgp_agent_hal hal;
	struct sg_flash_ops flash;
	struct sgp_agent agent;
	uint8_t out[OUT_MAX]; /* answers not yet read by the station */
	size_t out_len;
	bool routine_loaded;  /* in RAM this unit (the core runs nothing else) */
	int link_rc;          /* the first link failure, then every call fails */
	char link_msg[sizeof((struct sg_err *)0)->msg];
};

/* ---- memory through the probe */

static int dbg_status(struct probe *p, int rc, const struct sg_err *err)
{
	if (rc == SG_OK)
		return SGP_OK;
	if (rc == SG_EENV && !p->link_rc) {
		p->link_rc = SG_EENV;
		snprintf(p->link_msg, sizeof p->link_msg, "%s", err->msg);
	}
	return SGP_HARDWARE;
}

static int mem_read(struct probe *p, uint32_t addr, uint8_t *buf, size_t n)
{
	struct sg_err err = {0};

	if (p->link_rc)
		return SGP_HARDWARE;
	return dbg_status(p, p->dbg->ops->read(p->dbg, addr, buf, n, &err), &err);
}

static int mem_write(struct probe *p, uint32_t addr, const uint8_t *buf, size_t n)
{
	struct sg_err err = {0};

	if (p->link_rc)
		return SGP_HARDWARE;
	return dbg_status(p, p->dbg->ops->write(p->dbg, addr, buf, n, &err), &err);
}

static int read32(struct probe *p, uint32_t addr, uint32_t *v)
{
	uint8_t b[4] = { 0 }; /* *v is computed also when the read failed */
	int st = mem_read(p, addr, b, 4);

	*v = sgp_get32(b);
	return st;
}

static int write32(struct probe *p, uint32_t addr, uint32_t v)
{
	uint8_t b[4];

	sgp_put32(b, v);
	return mem_write(p, addr, b, 4);
}

/* ---- the flash controller: the routine, or its registers */

static int run_routine(struct probe *p, uint32_t op, uint32_t dst, uint32_t src, uint32_t words)
{
	const struct sg_target_probe *m = &p->map;
	uint8_t code[SG_PROBE_ROUTINE_MAX] = {0};
	struct sg_dbg_call c = {.entry = m->ram_addr, .stop = m->ram_addr + m->routine_stop,
				.sp = m->ram_addr + m->ram_size, .r = {op, dst, src, words}};
	struct sg_err err = {0};
	uint32_t r0 = 1;
	int st;

	if (!p->routine_loaded) {
		memcpy(code, m->routine, m->routine_len);
		if ((st = mem_write(p, m->ram_addr, code, (m->routine_len + 3) & ~3u)) != SGP_OK)
			return st;
		p->routine_loaded = true;
	}
	if ((st = dbg_status(p, p->dbg->ops->call(p->dbg, &c, CALL_TIMEOUT_MS, &r0, &err), &err)) != SGP_OK)
		return st;
	return r0 == 0 ? SGP_OK : SGP_HARDWARE;
}

static int nvmc_wait_ready(struct probe *p)
{
	long long end = now_ms() + READY_TIMEOUT_MS;
	uint32_t ready = 0;
	int st;

	while ((st = read32(p, p->map.nvmc + NVMC_READY, &ready)) == SGP_OK && !(ready & 1))
		if (now_ms() > end)
			return SGP_HARDWARE;
	return st;
}

/* CONFIG = mode (0 read, 1 write, 2 erase), once the controller is ready. */
static int nvmc_config(struct probe *p, uint32_t mode)
{
	int st = nvmc_wait_ready(p);

	return st != SGP_OK ? st : write32(p, p->map.nvmc + NVMC_CONFIG, mode);
}

static int flash_erase_page(void *ctx, uint32_t addr)
{
	struct probe *p = ctx;
	int st;

	if (p->map.routine_len && p->dbg->ops->call)
		return run_routine(p, 0, addr, 0, 0);
	if ((st = nvmc_config(p, 2)) != SGP_OK || (st = write32(p, p->map.nvmc + NVMC_ERASEPAGE, addr)) != SGP_OK ||
	    (st = nvmc_wait_ready(p)) != SGP_OK)
		return st;
	return nvmc_config(p, 0);
}

static int flash_program(void *ctx, uint32_t addr, const uint32_t *words, uint32_t n)
{
	struct probe *p = ctx;
	uint8_t bytes[4 * 256];
	uint32_t buf = p->map.ram_addr + ROUTINE_AREA, max = p->map.page_size / 4;
	int st = SGP_OK;

	if (max > sizeof bytes / 4)
		max = sizeof bytes / 4;
	if (p->map.routine_len && p->dbg->ops->call) {
		for (uint32_t i = 0; i < n && st == SGP_OK; i += max) {
			uint32_t k = n - i < max ? n - i : max;
			for (uint32_t j = 0; j < k; j++)
				sgp_put32(bytes + 4 * j, words[i + j]);
			if ((st = mem_write(p, buf, bytes, 4 * k)) == SGP_OK)
				st = run_routine(p, 1, addr + 4 * i, buf, k);
		}
		return st;
	}
	/* a word at a time, each after READY, as the NVMC wants */
	if ((st = nvmc_config(p, 1)) != SGP_OK)
		return st;
	for (uint32_t i = 0; i < n && st == SGP_OK; i++)
		if ((st = nvmc_wait_ready(p)) == SGP_OK)
			st = write32(p, addr + 4 * i, words[i]);
	return st != SGP_OK ? st : nvmc_config(p, 0);
}

static int flash_read(void *ctx, uint32_t addr, uint32_t *words, uint32_t n)
{
	struct probe *p = ctx;
	uint8_t bytes[4 * 64];
	int st = SGP_OK;

	for (uint32_t i = 0; i < n && st == SGP_OK; i += 64) {
		uint32_t k = n - i < 64 ? n - i : 64;
		if ((st = mem_read(p, addr + 4 * i, bytes, 4 * k)) == SGP_OK)
			/* cppcheck-suppress knownConditionTrueFalse ; k is 1..64 here */
			for (uint32_t j = 0; j < k; j++)
				words[i + j] = sgp_get32(bytes + 4 * j);
	}
	return st;
}

/* ---- the agent's HAL */

static const struct sg_flash_slot *slot_of(struct probe *p, uint8_t id, struct sg_flash_slot *s)
{
	for (unsigned i = 0; i < p->map.n_slots; i++)
		if (p->map.slots[i].id == id) {
			*s = (struct sg_flash_slot){p->map.slots[i].addr, p->map.slots[i].pages};
			return s;
		}
	return NULL;
}

static int hal_uid(void *ctx, uint8_t *uid, uint8_t *len)
{
	struct probe *p = ctx;

	*len = (uint8_t)p->map.uid_len;
	return mem_read(p, p->map.uid_addr, uid, p->map.uid_len);
}

static int hal_slot_length(void *ctx, uint8_t slot, uint32_t *len)
{
	struct probe *p = ctx;
	struct sg_flash_slot s;

	return slot_of(p, slot, &s) ? sg_flash_slot_length(&p->flash, &s, len) : SGP_BAD_ARGUMENT;
}

static int hal_slot_read(void *ctx, uint8_t slot, uint32_t off, uint8_t *buf, uint32_t n)
{
	struct probe *p = ctx;
	struct sg_flash_slot s;

	return slot_of(p, slot, &s) ? sg_flash_slot_read(&p->flash, &s, off, buf, n) : SGP_BAD_ARGUMENT;
}

static int hal_slot_erase(void *ctx, uint8_t slot)
{
	struct probe *p = ctx;
	struct sg_flash_slot s;

	return slot_of(p, slot, &s) ? sg_flash_slot_erase(&p->flash, &s) : SGP_BAD_ARGUMENT;
}

static int hal_slot_write(void *ctx, uint8_t slot, uint32_t off, const uint8_t *buf, uint32_t n)
{
	struct probe *p = ctx;
	struct sg_flash_slot s;

	return slot_of(p, slot, &s) ? sg_flash_slot_append(&p->flash, &s, off, buf, n) : SGP_BAD_ARGUMENT;
}

static int hal_lock_state(void *ctx, uint32_t *bits)
{
	struct probe *p = ctx;
	int st = SGP_OK;

	*bits = 0;
	for (unsigned i = 0; i < p->map.n_locks && st == SGP_OK; i++) {
		uint32_t w = 0;
		if ((st = read32(p, p->map.locks[i].addr, &w)) == SGP_OK && (w & p->map.locks[i].mask) == p->map.locks[i].value)
			*bits |= p->map.locks[i].bits;
	}
	return st;
}

/* Programs each lock word that sets a wanted bit and does not hold it yet:
 * the masked bits to the value, the others left erased (flash only clears
 * bits; an nRF51 word takes two writes between erases, so none is spent on
 * a word already set). */
static int hal_lock(void *ctx, uint32_t bits)
{
	struct probe *p = ctx;
	uint32_t covered = 0;
	int st = SGP_OK;

	for (unsigned i = 0; i < p->map.n_locks; i++)
		covered |= p->map.locks[i].bits;
	if (bits & ~covered)
		return SGP_UNSUPPORTED;
	for (unsigned i = 0; i < p->map.n_locks && st == SGP_OK; i++)
		if (p->map.locks[i].bits & bits) {
			uint32_t w = 0;
			if ((st = read32(p, p->map.locks[i].addr, &w)) != SGP_OK ||
			    (w & p->map.locks[i].mask) == p->map.locks[i].value)
				continue;
			w = p->map.locks[i].value | ~p->map.locks[i].mask;
			st = flash_program(p, p->map.locks[i].addr, &w, 1);
		}
	return st;
}

static int hal_key_public(void *ctx, uint8_t alg, uint8_t *pub)
{
	(void)ctx, (void)alg, (void)pub;
	return SGP_NO_KEY;
}

static int hal_keygen(void *ctx, uint8_t alg, uint8_t *pub)
{
	(void)ctx, (void)alg, (void)pub;
	return SGP_UNSUPPORTED;
}

static int hal_sign(void *ctx, uint8_t alg, const uint8_t *msg, size_t len, uint8_t *sig)
{
	(void)ctx, (void)alg, (void)msg, (void)len, (void)sig;
	return SGP_UNSUPPORTED;
}

/* The chip is the profile's when every identify word reads as it says. */
static int identify(struct probe *p, const char *chip)
{
	for (unsigned i = 0; i < p->map.n_identify; i++) {
		uint32_t w = 0;
		int st = read32(p, p->map.identify[i].addr, &w);
		if (st != SGP_OK)
			return st;
		if (w != p->map.identify[i].value) {
			snprintf(p->chip, sizeof p->chip, "unknown");
			return SGP_OK;
		}
	}
	snprintf(p->chip, sizeof p->chip, "%s", chip);
	return SGP_OK;
}

static void setup_hal(struct probe *p, const char *agent_name)
{
	struct sgp_agent_hal *h = &p->hal;

	for (unsigned i = 0; i < p->map.n_slots; i++)
		p->slots[i] = (struct sgp_slot){p->map.slots[i].id, p->map.slots[i].secret ? SGP_SLOT_SECRET : 0,
						p->map.slots[i].pages * p->map.page_size - SG_FLASH_HEADER};
	p->flash = (struct sg_flash_ops){p, p->map.page_size, flash_read, flash_erase_page, flash_program};
	*h = (struct sgp_agent_hal){
		.ctx = p, .chip = p->chip, .agent_version = agent_name, .caps = SGP_CAP_INJECT,
		.slots = p->slots, .n_slots = p->map.n_slots, .uid = hal_uid, .slot_length = hal_slot_length,
		.slot_read = hal_slot_read, .slot_erase = hal_slot_erase, .slot_write = hal_slot_write,
		.lock_state = hal_lock_state, .lock = hal_lock, .key_public = hal_key_public,
		.keygen = hal_keygen, .sign = hal_sign,
	};
	sgp_agent_init(&p->agent, h);
}

/* ---- the transport the station reads and writes */

static int link_failed(struct sg_transport *t, struct probe *p, struct sg_err *err)
{
	return sg_errf(err, SG_EENV, "%s", p->link_msg[0] ? p->link_msg : t->name);
}

/* Feeds the request's bytes to the agent; its answers wait in p->out. */
static int probe_write(struct sg_transport *t, const uint8_t *buf, size_t n, int timeout_ms, struct sg_err *err)
{
	struct probe *p = t->impl;

	(void)timeout_ms;
	for (size_t i = 0; i < n && !p->link_rc; i++) {
		const uint8_t *out;
		size_t len = sgp_agent_byte(&p->agent, buf[i], &out);
		if (len && len <= OUT_MAX - p->out_len) {
			memcpy(p->out + p->out_len, out, len);
			p->out_len += len;
		}
		/* RESET restarts the agent, not the chip: the probe stays
		 * attached; the next unit loads the routine afresh */
		if (len && sgp_agent_reset_due(&p->agent)) {
			sgp_agent_init(&p->agent, &p->hal);
			p->routine_loaded = false;
		}
	}
	return p->link_rc ? link_failed(t, p, err) : SG_OK;
}

static int probe_read(struct sg_transport *t, uint8_t *buf, size_t cap, int timeout_ms, size_t *got,
		      struct sg_err *err)
{
	struct probe *p = t->impl;
	size_t n = p->out_len < cap ? p->out_len : cap;

	*got = 0;
	if (p->link_rc)
		return link_failed(t, p, err);
	if (n == 0) {
		/* nothing more will come: the agent answered everything it took */
		struct timespec ts = {timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000};
		nanosleep(&ts, NULL);
		return SG_OK;
	}
	memcpy(buf, p->out, n);
	memmove(p->out, p->out + n, p->out_len - n);
	p->out_len -= n;
	*got = n;
	return SG_OK;
}

static void probe_close(struct sg_transport *t)
{
	struct probe *p = t->impl;

	sg_dbg_close(p->dbg);
	/* the agent's buffers held the injected key */
	OPENSSL_clear_free(p, sizeof *p);
}

static const struct transport_ops probe_ops = {probe_read, probe_write, probe_close};

int sg_transport_from_dbg(struct sg_dbg *dbg, const struct sg_target *target, struct sg_transport **t,
			  struct sg_err *err)
{
	struct probe *p;
	int rc;

	*t = NULL;
	if (!target || !target->probe.present) {
		rc = sg_errf_param(err, SG_EINPUT, "profile", "%s: profile %s has no probe member: it cannot be "
				   "provisioned through a debug probe", dbg->name, target ? target->name : "(none)");
		sg_dbg_close(dbg);
		return rc;
	}
	if (!(p = calloc(1, sizeof *p))) {
		sg_dbg_close(dbg);
		return sg_errf(err, SG_EENV, "out of memory");
	}
	p->dbg = dbg;
	p->map = target->probe;
	if (identify(p, target->chip) != SGP_OK)
		rc = sg_errf(err, SG_EENV, "%s", p->link_msg[0] ? p->link_msg : "the chip refused a read of its identity");
	else
		rc = transport_from_ops(&probe_ops, p, dbg->name, t, err);
	if (rc != SG_OK) {
		sg_dbg_close(dbg);
		free(p);
		return rc;
	}
	setup_hal(p, "signet-probe/1");
	return SG_OK;
}
