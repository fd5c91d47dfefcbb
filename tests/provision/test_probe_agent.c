/* The probe agent (provision/probe_agent.c) and the flash slot layout
 * (provision/agent/flash_slots.c), driven by the station's own device
 * client (signet/device.h) over a debug connection to a memory model.
 *
 * What the model is: the parts of an nRF51's memory map the nrf51 profile
 * uses, with the NVMC's rules (writes only with CONFIG=1, bits only 1->0,
 * ERASEPAGE only with CONFIG=2; UICR the same), FICR words, RAM. Its `call`
 * does not execute Thumb code: it checks that the profile's routine is in
 * RAM at the entry and the breakpoint is at its stop, then does what the
 * routine does (erase or program) by the same rules. The routine itself
 * runs on QEMU's real CPU model in test_station_nrf51 and the gdb tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "signet/dbg.h"
#include "signet/device.h"
#include "signet/flash_slots.h"
#include "signet/protocol.h"
#include "signet/target.h"
#include "signet/transport.h"

#define FLASH_SIZE (256 * 1024)
#define RAM_BASE 0x20000000u
#define RAM_SIZE (16 * 1024)
#define NVMC 0x4001E000u

struct model {
	struct sg_dbg base;
	struct sg_dbg_ops ops;
	uint8_t flash[FLASH_SIZE], uicr[256], ram[RAM_SIZE];
	uint32_t config, deviceid[2], codesize;
	const struct sg_target_probe *map;
	long ops_left;   /* the link fails when this reaches 0 (-1: never) */
	unsigned calls, nvmc_writes, uicr_programs;
	int *closed;
};

static struct sg_target target;

static uint8_t *cell(struct model *m, uint32_t a, int *flashlike)
{
	*flashlike = 1;
	if (a < FLASH_SIZE)
		return m->flash + a;
	if (a >= 0x10001000 && a < 0x10001100)
		return m->uicr + (a - 0x10001000);
	*flashlike = 0;
	if (a >= RAM_BASE && a < RAM_BASE + RAM_SIZE)
		return m->ram + (a - RAM_BASE);
	return NULL;
}

static int link_ok(struct model *m, struct sg_err *err)
{
	if (m->ops_left == 0)
		return sg_errf(err, SG_EENV, "%s: the server closed the connection", m->base.name);
	if (m->ops_left > 0)
		m->ops_left--;
	return SG_OK;
}

static int read32(struct model *m, uint32_t a, uint32_t *v)
{
	int fl;
	uint8_t *c = cell(m, a, &fl);

	if (c) {
		*v = sgp_get32(c);
		return 0;
	}
	switch (a) {
	case 0x10000010: *v = 0x400; return 0;
	case 0x10000014: *v = m->codesize; return 0;
	case 0x10000060: *v = m->deviceid[0]; return 0;
	case 0x10000064: *v = m->deviceid[1]; return 0;
	case NVMC + 0x400: *v = 1; return 0; /* READY */
	case NVMC + 0x504: *v = m->config; return 0;
	}
	return -1;
}

static void erase(struct model *m, uint32_t page)
{
	int fl;
	uint8_t *c = cell(m, page & ~1023u, &fl);

	if (m->config == 2 && c && fl)
		memset(c, 0xFF, page >= 0x10001000 ? sizeof m->uicr : 1024);
}

static int write32(struct model *m, uint32_t a, uint32_t v)
{
	int fl;
	uint8_t *c = cell(m, a, &fl);

	if (c && !fl) {
		sgp_put32(c, v);
		return 0;
	}
	if (c) { /* flash and UICR: through the NVMC only */
		uint32_t old = sgp_get32(c);
		if (m->config != 1)
			return 0;
		m->uicr_programs += a >= 0x10001000;
		sgp_put32(c, old & v);
		return 0;
	}
	m->nvmc_writes += a >= NVMC && a < NVMC + 0x1000;
	if (a == NVMC + 0x504)
		m->config = v & 3;
	else if (a == NVMC + 0x508)
		erase(m, v);
	else if (a < NVMC || a >= NVMC + 0x1000)
		return -1;
	return 0;
}

static int m_read(struct sg_dbg *d, uint32_t addr, void *buf, size_t n, struct sg_err *err)
{
	struct model *m = (struct model *)d;
	int rc = link_ok(m, err);

	assert_int_equal(addr % 4, 0);
	assert_int_equal(n % 4, 0);
	for (size_t i = 0; rc == SG_OK && i < n; i += 4) {
		uint32_t v;
		if (read32(m, addr + (uint32_t)i, &v))
			return sg_errf(err, SG_FAIL, "%s: no memory at 0x%08x", d->name, addr + (uint32_t)i);
		sgp_put32((uint8_t *)buf + i, v);
	}
	return rc;
}

static int m_write(struct sg_dbg *d, uint32_t addr, const void *buf, size_t n, struct sg_err *err)
{
	struct model *m = (struct model *)d;
	int rc = link_ok(m, err);

	assert_int_equal(addr % 4, 0);
	assert_int_equal(n % 4, 0);
	for (size_t i = 0; rc == SG_OK && i < n; i += 4)
		if (write32(m, addr + (uint32_t)i, sgp_get32((const uint8_t *)buf + i)))
			return sg_errf(err, SG_FAIL, "%s: no memory at 0x%08x", d->name, addr + (uint32_t)i);
	return rc;
}

static int m_halt(struct sg_dbg *d, struct sg_err *err)
{
	return link_ok((struct model *)d, err);
}

/* What nrf51-nvmc.S does, once the call is set up as it must be. */
static int m_call(struct sg_dbg *d, const struct sg_dbg_call *c, int timeout_ms, uint32_t *r0, struct sg_err *err)
{
	struct model *m = (struct model *)d;
	int rc = link_ok(m, err);

	(void)timeout_ms;
	if (rc)
		return rc;
	m->calls++;
	assert_int_equal(c->entry, RAM_BASE);
	assert_int_equal(c->stop, RAM_BASE + m->map->routine_stop);
	assert_int_equal(c->sp, RAM_BASE + RAM_SIZE);
	assert_memory_equal(m->ram, m->map->routine, m->map->routine_len);
	if (c->r[0] == 0) {
		m->config = 2;
		erase(m, c->r[1]);
	} else {
		m->config = 1;
		for (uint32_t i = 0; i < c->r[3]; i++) {
			uint32_t v = 0;
			assert_int_equal(read32(m, c->r[2] + 4 * i, &v), 0);
			write32(m, c->r[1] + 4 * i, v);
		}
	}
	m->config = 0;
	*r0 = 0;
	return SG_OK;
}

static void m_close(struct sg_dbg *d)
{
	struct model *m = (struct model *)d;

	if (m->closed)
		(*m->closed)++;
	free(m);
}

static struct model *model_new(int can_call)
{
	struct model *m = calloc(1, sizeof *m);

	assert_non_null(m);
	memset(m->flash, 0xFF, sizeof m->flash);
	memset(m->uicr, 0xFF, sizeof m->uicr);
	m->ops = (struct sg_dbg_ops){m_read, m_write, m_halt, can_call ? m_call : NULL, m_close};
	m->base.ops = &m->ops;
	snprintf(m->base.name, sizeof m->base.name, "gdb:model");
	m->deviceid[0] = 0x00000003;
	m->deviceid[1] = 0x12345678;
	m->codesize = 0x100;
	m->map = &target.probe;
	m->ops_left = -1;
	return m;
}

static struct sg_device *device(struct model *m)
{
	struct sg_transport *t = NULL;
	struct sg_device *d = NULL;
	struct sg_err err = {0};
	struct sg_device_opts o = {.timeout_ms = 50, .retries = -1};

	if (sg_transport_from_dbg(&m->base, &target, &t, &err) != SG_OK)
		fail_msg("%s", err.msg);
	assert_int_equal(sg_device_new(t, &o, &d, &err), SG_OK);
	return d;
}

static void write_and_read(struct sg_device *d, struct model *m, uint8_t slot, size_t len)
{
	uint8_t data[2048], back[2048];
	struct sg_err err = {0};
	size_t got = 0;

	for (size_t i = 0; i < len; i++)
		data[i] = (uint8_t)(i * 7 + slot);
	if (sg_device_write_slot(d, slot, data, len, &err) != SG_OK)
		fail_msg("slot %u: %s", slot, err.msg);
	assert_int_equal(sg_device_read_slot(d, slot, back, sizeof back, &got, &err), SG_OK);
	assert_int_equal(got, len);
	assert_memory_equal(back, data, len);
	/* the flash holds the layout: the log's last word, then the bytes */
	for (unsigned i = 0; i < target.probe.n_slots; i++)
		if (target.probe.slots[i].id == slot) {
			const uint8_t *page = m->flash + target.probe.slots[i].addr;
			uint32_t last = 0;
			for (unsigned w = 0; w < SG_FLASH_LOG_WORDS; w++)
				if (sgp_get32(page + 4 * w) != 0xFFFFFFFF)
					last = sgp_get32(page + 4 * w);
			assert_int_equal(last, len);
			assert_memory_equal(page + SG_FLASH_HEADER, data, len);
		}
}

static void check_unit(int can_call)
{
	struct model *m = model_new(can_call);
	struct sg_device *d = device(m);
	struct sg_device_info info;
	struct sg_err err = {0};
	uint32_t state = 0;

	if (sg_device_info(d, &info, &err) != SG_OK)
		fail_msg("%s", err.msg);
	assert_string_equal(info.uid_hex, "0300000078563412");
	assert_string_equal(info.chip, "nrf51");
	assert_int_equal(info.caps, SGP_CAP_INJECT);
	assert_int_equal(info.n_slots, 3);
	assert_int_equal(info.lock_bits, 0);
	write_and_read(d, m, 1, 700);
	write_and_read(d, m, 2, 1500); /* two pages, chunks not whole words */
	write_and_read(d, m, 3, 32);
	write_and_read(d, m, 1, 601); /* afresh: erased first */
	if (can_call) {
		/* the routine is loaded once a unit: after RESET (the next unit)
		 * RAM that something else used gets it again */
		memset(m->ram, 0, SG_PROBE_ROUTINE_MAX);
		assert_int_equal(sg_device_reset(d, &err), SG_OK);
		assert_int_equal(sg_device_info(d, &info, &err), SG_OK);
		write_and_read(d, m, 1, 100);
	}
	assert_int_equal(sg_device_lock(d, SGP_LOCK_READBACK | SGP_LOCK_DEBUG, &state, &err), SG_OK);
	assert_int_equal(state, SGP_LOCK_READBACK | SGP_LOCK_DEBUG);
	/* RBPCONF: PALL enabled, PR0 left as it was */
	assert_int_equal(sgp_get32(m->uicr + 4), 0xFFFF00FF);
	assert_int_equal(sg_device_lock_state(d, &state, &err), SG_OK);
	assert_int_equal(state, SGP_LOCK_READBACK | SGP_LOCK_DEBUG);
	/* locking again programs nothing more */
	assert_int_equal(m->uicr_programs, 1);
	assert_int_equal(sg_device_lock(d, SGP_LOCK_READBACK | SGP_LOCK_DEBUG, &state, &err), SG_OK);
	assert_int_equal(m->uicr_programs, 1);
	/* a lock bit the chip has no word for */
	assert_int_equal(sg_device_lock(d, SGP_LOCK_SLOTS, &state, &err), SG_FAIL);
	if (can_call) {
		assert_true(m->calls > 0);
		assert_int_equal(m->nvmc_writes, 0);
	} else {
		assert_true(m->nvmc_writes > 0);
	}
	sg_device_free(d);
}

static void test_unit_by_routine(void **state)
{
	(void)state;
	check_unit(1);
}

static void test_unit_by_registers(void **state)
{
	(void)state;
	check_unit(0);
}

/* Words the identify list does not match: the chip is "unknown", which
 * the station refuses as wrong-chip. */
static void test_other_chip(void **state)
{
	struct model *m = model_new(1);
	struct sg_device_info info;
	struct sg_err err = {0};
	(void)state;

	m->codesize = 0x80; /* a 128 KiB part */
	struct sg_device *d = device(m);
	assert_int_equal(sg_device_info(d, &info, &err), SG_OK);
	assert_string_equal(info.chip, "unknown");
	sg_device_free(d);
}

/* The server goes away mid-write: the transport fails (reason
 * "transport", the message from the link), and stays failed. */
static void test_link_lost(void **state)
{
	struct model *m = model_new(1);
	struct sg_device *d = device(m);
	struct sg_device_info info;
	struct sg_err err = {0};
	uint8_t data[700] = {1};
	int closed = 0;
	(void)state;

	m->closed = &closed;
	assert_int_equal(sg_device_info(d, &info, &err), SG_OK);
	m->ops_left = 5;
	assert_int_equal(sg_device_write_slot(d, 1, data, sizeof data, &err), SG_EENV);
	assert_string_equal(sg_device_reason(d), "transport");
	assert_non_null(strstr(err.msg, "gdb:model: the server closed the connection"));
	assert_int_equal(sg_device_info(d, &info, &err), SG_EENV);
	sg_device_free(d);
	assert_int_equal(closed, 1);
}

/* A profile without a probe member cannot take a probe. */
static void test_no_probe_member(void **state)
{
	struct sg_target plain = target;
	struct sg_transport *t = (struct sg_transport *)1;
	struct sg_err err = {0};
	int closed = 0;
	struct model *m = model_new(1);
	(void)state;

	m->closed = &closed;
	plain.probe.present = 0;
	assert_int_equal(sg_transport_from_dbg(&m->base, &plain, &t, &err), SG_EINPUT);
	assert_null(t);
	assert_non_null(strstr(err.msg, "has no probe member"));
	assert_int_equal(closed, 1);
}

/* ---- the layout itself, on a page of plain memory */

struct mem {
	uint32_t words[512];
	int fail_after; /* programs left before one fails (-1: never) */
	unsigned programs;
};

static int mem_read(void *ctx, uint32_t addr, uint32_t *w, uint32_t n)
{
	memcpy(w, ((struct mem *)ctx)->words + addr / 4, 4 * n);
	return SGP_OK;
}

static int mem_erase(void *ctx, uint32_t addr)
{
	memset(((struct mem *)ctx)->words + addr / 4, 0xFF, 1024);
	return SGP_OK;
}

static int mem_program(void *ctx, uint32_t addr, const uint32_t *w, uint32_t n)
{
	struct mem *m = ctx;

	if (m->fail_after == 0)
		return SGP_HARDWARE;
	if (m->fail_after > 0)
		m->fail_after--;
	m->programs++;
	for (uint32_t i = 0; i < n; i++)
		m->words[addr / 4 + i] &= w[i];
	return SGP_OK;
}

static void test_layout(void **state)
{
	struct mem m = {.fail_after = -1};
	struct sg_flash_ops f = {&m, 1024, mem_read, mem_erase, mem_program};
	struct sg_flash_slot s = {0, 2};
	uint8_t data[2000], back[2000];
	uint32_t len = 1;
	(void)state;

	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(i ^ 0x5a);
	assert_int_equal(sg_flash_slot_erase(&f, &s), SGP_OK);
	assert_int_equal(sg_flash_slot_length(&f, &s, &len), SGP_OK);
	assert_int_equal(len, 0);
	assert_int_equal(sg_flash_slot_capacity(&f, &s), 2048 - SG_FLASH_HEADER);
	/* appends of odd sizes share words */
	assert_int_equal(sg_flash_slot_append(&f, &s, 0, data, 3), SGP_OK);
	assert_int_equal(sg_flash_slot_append(&f, &s, 3, data + 3, 5), SGP_OK);
	assert_int_equal(sg_flash_slot_append(&f, &s, 8, data + 8, 1000), SGP_OK);
	assert_int_equal(sg_flash_slot_length(&f, &s, &len), SGP_OK);
	assert_int_equal(len, 1008);
	assert_int_equal(sg_flash_slot_read(&f, &s, 1, back, 1007), SGP_OK);
	assert_memory_equal(back, data + 1, 1007);
	/* an append elsewhere than the end, past the capacity */
	assert_int_equal(sg_flash_slot_append(&f, &s, 1000, data, 1), SGP_BAD_ARGUMENT);
	assert_int_equal(sg_flash_slot_append(&f, &s, 1008, data, 1000), SGP_FULL);
	/* torn: the bytes went in, the log word did not: the old length */
	m.fail_after = 1;
	assert_int_equal(sg_flash_slot_append(&f, &s, 1008, data, 4), SGP_HARDWARE);
	assert_int_equal(sg_flash_slot_length(&f, &s, &len), SGP_OK);
	assert_int_equal(len, 1008);
	m.fail_after = -1;
	/* the log holds 16 appends, then the slot is full until erased */
	assert_int_equal(sg_flash_slot_erase(&f, &s), SGP_OK);
	for (uint32_t i = 0; i < SG_FLASH_LOG_WORDS; i++)
		assert_int_equal(sg_flash_slot_append(&f, &s, i, data, 1), SGP_OK);
	assert_int_equal(sg_flash_slot_append(&f, &s, SG_FLASH_LOG_WORDS, data, 1), SGP_FULL);
	/* a length past the capacity is not this layout's */
	m.words[0] = 5000;
	memset(m.words + 1, 0xFF, 4 * (SG_FLASH_LOG_WORDS - 1));
	assert_int_equal(sg_flash_slot_length(&f, &s, &len), SGP_HARDWARE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unit_by_routine), cmocka_unit_test(test_unit_by_registers),
		cmocka_unit_test(test_other_chip),      cmocka_unit_test(test_link_lost),
		cmocka_unit_test(test_no_probe_member), cmocka_unit_test(test_layout),
	};
	char path[4096];
	struct sg_err err = {0};

	snprintf(path, sizeof path, "%s/provision/targets/nrf51.json", getenv("SIGNET_SOURCE_DIR"));
	if (sg_target_load(path, &target, &err) != SG_OK) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
