/* cmsis-dap: (provision/dbg_cmsis_dap.c) against the probe and nRF51 model
 * (dap_model/), which ctest preloads in front of libusb. Each test sets the
 * model's environment, drives the client through struct sg_dbg, and checks
 * what the "chip" holds in the model's memory file. */
#include <endian.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "dap_model.h"
#include "signet/dbg.h"

#define NVMC_READY 0x4001E400u
#define NVMC_CONFIG 0x4001E504u
#define NVMC_ERASEPAGE 0x4001E508u
#define NVMC_ERASEALL 0x4001E50Cu
#define RBPCONF 0x10001004u
#define DHCSR 0xE000EDF0u
#define RAM 0x20000000u

static char dir[] = "/tmp/signet-dap-XXXXXX";
static char mem_path[512];

/* A fresh chip for each test: a new memory file, default model settings. */
static int setup(void **state)
{
	static int n;

	(void)state;
	snprintf(mem_path, sizeof mem_path, "%s/chip%d.mem", dir, n++);
	setenv("SIGNET_DAP_MODEL_MEM", mem_path, 1);
	setenv("SIGNET_DAP_MODEL_DEVICEID", "00000003DEADBEEF", 1);
	unsetenv("SIGNET_DAP_MODEL_SERIAL");
	unsetenv("SIGNET_DAP_MODEL_V1");
	unsetenv("SIGNET_DAP_MODEL_WAIT");
	unsetenv("SIGNET_DAP_MODEL_FAULT");
	unsetenv("SIGNET_DAP_MODEL_UNPLUG_AFTER");
	return 0;
}

static struct sg_dbg *open_probe(const char *serial)
{
	char spec[128];
	struct sg_dbg *d = NULL;
	struct sg_err err = {0};

	snprintf(spec, sizeof spec, "cmsis-dap%s%s", *serial ? ":" : "", serial);
	if (sg_dbg_cmsis_dap_open(serial, spec, 2000, &d, &err) != SG_OK)
		fail_msg("open %s: %s", spec, err.msg);
	assert_string_equal(d->name, spec);
	return d;
}

/* The model's memory file as the chip left it (the client may be closed). */
static struct nrf51_state *chip_mem(const char *path)
{
	int fd = open(path, O_RDONLY);
	void *m;

	assert_true(fd >= 0);
	m = mmap(NULL, sizeof(struct nrf51_state), PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	assert_true(m != MAP_FAILED);
	return m;
}

static void chip_unmap(struct nrf51_state *m)
{
	munmap(m, sizeof *m);
}

static uint32_t rd32(struct sg_dbg *d, uint32_t addr)
{
	uint32_t v = 0;
	struct sg_err err = {0};

	if (d->ops->read(d, addr, &v, 4, &err) != SG_OK)
		fail_msg("read 0x%08x: %s", addr, err.msg);
	return v;
}

static void wr32(struct sg_dbg *d, uint32_t addr, uint32_t v)
{
	struct sg_err err = {0};

	if (d->ops->write(d, addr, &v, 4, &err) != SG_OK)
		fail_msg("write 0x%08x: %s", addr, err.msg);
}

static void fill(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 7 + seed + i / 251);
}

/* Opening halts the core; halting again is a no-op; there is no `call`. */
static void test_open_halts(void **state)
{
	struct sg_dbg *d;
	struct sg_err err = {0};
	struct nrf51_state *m;

	(void)state;
	d = open_probe("");
	assert_true(rd32(d, DHCSR) & (1u << 17));
	assert_int_equal(d->ops->halt(d, &err), SG_OK);
	assert_null(d->ops->call);
	sg_dbg_close(d);
	m = chip_mem(mem_path);
	assert_int_equal(m->halted, 1);
	chip_unmap(m);
}

/* FICR: the nRF51's identity (what the profile's "identify" checks) and
 * DEVICEID from the model's environment. */
static void test_read_ficr(void **state)
{
	struct sg_dbg *d;
	uint32_t w[2];
	struct sg_err err = {0};

	(void)state;
	d = open_probe("");
	assert_int_equal(d->ops->read(d, 0x10000010, w, 8, &err), SG_OK);
	assert_int_equal(w[0], 0x400);
	assert_int_equal(w[1], 0x100);
	assert_int_equal(d->ops->read(d, 0x10000060, w, 8, &err), SG_OK);
	assert_int_equal(w[0], 0xDEADBEEF);
	assert_int_equal(w[1], 0x00000003);
	sg_dbg_close(d);
}

/* 3 KiB from 0x20000300 crosses three 1 KiB TAR boundaries, where the
 * MEM-AP's auto-increment wraps: the client must write TAR again there.
 * Large transfers keep the probe's packet count in flight, never more. */
static void test_ram_across_tar_boundary(void **state)
{
	static uint8_t pat[3072], back[3072], all[NRF51_RAM_SIZE];
	struct sg_dbg *d;
	struct sg_err err = {0};
	struct nrf51_state *m;

	(void)state;
	fill(pat, sizeof pat, 1);
	d = open_probe("");
	assert_int_equal(d->ops->write(d, RAM + 0x300, pat, sizeof pat, &err), SG_OK);
	assert_int_equal(d->ops->read(d, RAM + 0x300, back, sizeof back, &err), SG_OK);
	assert_memory_equal(back, pat, sizeof pat);
	assert_int_equal(d->ops->read(d, RAM, all, sizeof all, &err), SG_OK);
	assert_memory_equal(all + 0x300, pat, sizeof pat);
	m = chip_mem(mem_path);
	assert_memory_equal(m->ram + 0x300, pat, sizeof pat);
	assert_int_equal(m->max_inflight, 4); /* the v2 interface, 4 packets */
	assert_int_equal(m->overruns, 0);
	assert_int_equal(m->oversize, 0);
	assert_int_equal(m->framing, 0);
	chip_unmap(m);
	sg_dbg_close(d);
}

static void nvmc_wait(struct sg_dbg *d)
{
	for (int i = 0; i < 100; i++)
		if (rd32(d, NVMC_READY) & 1)
			return;
	fail_msg("NVMC never READY");
}

static void erase_page(struct sg_dbg *d, uint32_t page)
{
	wr32(d, NVMC_CONFIG, 2);
	wr32(d, NVMC_ERASEPAGE, page);
	nvmc_wait(d);
	wr32(d, NVMC_CONFIG, 0);
}

static void program(struct sg_dbg *d, uint32_t addr, const void *p, size_t n)
{
	struct sg_err err = {0};

	wr32(d, NVMC_CONFIG, 1);
	if (d->ops->write(d, addr, p, n, &err) != SG_OK)
		fail_msg("program 0x%08x: %s", addr, err.msg);
	nvmc_wait(d);
	wr32(d, NVMC_CONFIG, 0);
}

/* Flash by NVMC register writes, as the probe agent does it: erase a page,
 * program it, and find it in the chip's memory after the client is gone.
 * Flash written without CONFIG=1 keeps what it had. */
static void test_nvmc_erase_program(void **state)
{
	static uint8_t page[1024], back[1024];
	struct sg_dbg *d;
	struct sg_err err = {0};
	struct nrf51_state *m;
	uint32_t zero = 0;

	(void)state;
	fill(page, sizeof page, 9);
	d = open_probe("");
	program(d, 0x3F000, &zero, 4); /* something to erase */
	assert_int_equal(rd32(d, 0x3F000), 0);
	erase_page(d, 0x3F000);
	assert_int_equal(rd32(d, 0x3F000), 0xFFFFFFFF);
	program(d, 0x3F000, page, sizeof page);
	assert_int_equal(d->ops->write(d, 0x3F000, &zero, 4, &err), SG_OK); /* CONFIG=0 */
	assert_int_equal(d->ops->read(d, 0x3F000, back, sizeof back, &err), SG_OK);
	assert_memory_equal(back, page, sizeof page);
	sg_dbg_close(d);
	m = chip_mem(mem_path);
	assert_memory_equal(m->flash + 0x3F000, page, sizeof page);
	assert_int_equal(m->dropped_writes, 1);
	assert_int_equal(le32toh(*(uint32_t *)(m->flash + 0x3F400)), 0xFFFFFFFF);
	chip_unmap(m);
}

/* The target answers WAIT: the probe retries as the client configured it
 * (more than its default of 100); a target that stays busy is a link
 * failure, and the next access works once it is not. */
static void test_wait_retries(void **state)
{
	static uint8_t pat[2048], back[2048];
	struct sg_dbg *d;
	struct sg_err err = {0};

	(void)state;
	fill(pat, sizeof pat, 3);
	d = open_probe("");
	setenv("SIGNET_DAP_MODEL_WAIT", "120", 1);
	assert_int_equal(d->ops->write(d, RAM + 0x200, pat, sizeof pat, &err), SG_OK);
	assert_int_equal(d->ops->read(d, RAM + 0x200, back, sizeof back, &err), SG_OK);
	assert_memory_equal(back, pat, sizeof pat);
	setenv("SIGNET_DAP_MODEL_WAIT", "always", 1);
	assert_int_equal(d->ops->read(d, RAM, back, 8, &err), SG_EENV);
	assert_non_null(strstr(err.msg, "cmsis-dap: the target stays busy (WAIT) at 0x20000000"));
	unsetenv("SIGNET_DAP_MODEL_WAIT");
	assert_int_equal(d->ops->read(d, RAM + 0x200, back, 16, &err), SG_OK);
	assert_memory_equal(back, pat, 16);
	sg_dbg_close(d);
}

/* A bus fault is the target's "no" (SG_FAIL) naming the address that
 * failed, even a single word (its error only shows in the sticky flags);
 * the sticky error is cleared, so the next access works. */
static void test_fault_and_recovery(void **state)
{
	static uint8_t pat[256], back[256];
	struct sg_dbg *d;
	struct sg_err err = {0};
	uint32_t v = 0;

	(void)state;
	fill(pat, sizeof pat, 5);
	d = open_probe("");
	assert_int_equal(d->ops->read(d, 0x30000000, &v, 4, &err), SG_FAIL);
	assert_string_equal(err.msg,
			    "cmsis-dap: bus fault at 0x30000000 (read of 4 bytes at 0x30000000)");
	assert_int_equal(d->ops->write(d, RAM, pat, sizeof pat, &err), SG_OK);
	setenv("SIGNET_DAP_MODEL_FAULT", "0x20000040", 1);
	assert_int_equal(d->ops->read(d, RAM, back, sizeof back, &err), SG_FAIL);
	assert_string_equal(err.msg,
			    "cmsis-dap: bus fault at 0x20000040 (read of 256 bytes at 0x20000000)");
	assert_int_equal(d->ops->write(d, RAM, pat, sizeof pat, &err), SG_FAIL);
	assert_string_equal(err.msg,
			    "cmsis-dap: bus fault at 0x20000040 (write of 256 bytes at 0x20000000)");
	unsetenv("SIGNET_DAP_MODEL_FAULT");
	assert_int_equal(d->ops->read(d, RAM, back, sizeof back, &err), SG_OK);
	assert_memory_equal(back, pat, sizeof pat);
	assert_int_equal(d->ops->read(d, RAM + 2, back, 4, &err), SG_EINPUT);
	sg_dbg_close(d);
}

/* The probe unplugged in the middle of a transfer: SG_EENV naming the
 * fixture, and so on until closed. */
static void test_unplug(void **state)
{
	static uint8_t back[8192];
	struct sg_dbg *d;
	struct sg_err err = {0};

	(void)state;
	d = open_probe("");
	setenv("SIGNET_DAP_MODEL_UNPLUG_AFTER", "5", 1);
	assert_int_equal(d->ops->read(d, RAM, back, sizeof back, &err), SG_EENV);
	assert_string_equal(err.msg, "cmsis-dap: the probe is gone (USB: No such device (it may have been disconnected))");
	assert_int_equal(d->ops->halt(d, &err), SG_EENV);
	assert_non_null(strstr(err.msg, "cmsis-dap: the probe is gone"));
	sg_dbg_close(d);
	unsetenv("SIGNET_DAP_MODEL_UNPLUG_AFTER");
}

/* CMSIS-DAP v1: 64-byte HID reports over interrupt endpoints, every
 * report exactly a report long, 2 in flight. */
static void test_v1_hid(void **state)
{
	static uint8_t pat[2048], back[2048];
	struct sg_dbg *d;
	struct sg_err err = {0};
	struct nrf51_state *m;

	(void)state;
	setenv("SIGNET_DAP_MODEL_V1", "1", 1);
	fill(pat, sizeof pat, 7);
	d = open_probe("");
	assert_int_equal(rd32(d, 0x10000010), 0x400);
	assert_int_equal(d->ops->write(d, RAM + 0x3F0, pat, sizeof pat, &err), SG_OK);
	assert_int_equal(d->ops->read(d, RAM + 0x3F0, back, sizeof back, &err), SG_OK);
	assert_memory_equal(back, pat, sizeof pat);
	sg_dbg_close(d);
	m = chip_mem(mem_path);
	assert_int_equal(m->framing, 0);
	assert_int_equal(m->max_inflight, 2);
	assert_int_equal(m->overruns, 0);
	assert_int_equal(m->oversize, 0);
	assert_memory_equal(m->ram + 0x3F0, pat, sizeof pat);
	chip_unmap(m);
}

/* Several probes: the serial number picks one; none or an ambiguous
 * choice is a one-line error. */
static void test_serial_selection(void **state)
{
	struct sg_dbg *d = NULL;
	struct sg_err err = {0};
	char path[600];

	(void)state;
	setenv("SIGNET_DAP_MODEL_SERIAL", "AAA1,BBB2", 1);
	assert_int_equal(sg_dbg_cmsis_dap_open("", "cmsis-dap", 2000, &d, &err), SG_EINPUT);
	assert_null(d);
	assert_string_equal(err.msg, "cmsis-dap: 2 CMSIS-DAP probes found (AAA1, BBB2): name one as cmsis-dap:SERIAL");
	assert_string_equal(err.param, "fixture");
	assert_int_equal(sg_dbg_cmsis_dap_open("CCC3", "cmsis-dap:CCC3", 2000, &d, &err), SG_EENV);
	assert_string_equal(err.msg, "cmsis-dap:CCC3: no CMSIS-DAP probe with serial number CCC3 (found: AAA1, BBB2)");
	d = open_probe("BBB2");
	assert_int_equal(rd32(d, 0x10000060), 0xDEADBEEF + 1); /* the second unit */
	wr32(d, RAM, 0xB0B2B0B2);
	sg_dbg_close(d);
	snprintf(path, sizeof path, "%s.BBB2", mem_path);
	{
		struct nrf51_state *m = chip_mem(path);

		assert_int_equal(le32toh(*(uint32_t *)m->ram), 0xB0B2B0B2);
		chip_unmap(m);
	}
	setenv("SIGNET_DAP_MODEL_SERIAL", "", 1);
	assert_int_equal(sg_dbg_cmsis_dap_open("", "cmsis-dap", 2000, &d, &err), SG_EENV);
	assert_string_equal(err.msg, "cmsis-dap: no CMSIS-DAP probe found on USB");
}

/* What the model does after the lock (docs/fixture-cmsis-dap.md): RBPCONF
 * PALL written through the NVMC takes effect at the next power-up, after
 * which flash faults until ERASEALL. */
static void test_readback_protection(void **state)
{
	struct sg_dbg *d;
	struct sg_err err = {0};
	uint32_t v;

	(void)state;
	d = open_probe("");
	wr32(d, NVMC_CONFIG, 1);
	wr32(d, RBPCONF, 0xFFFF00FF);
	wr32(d, NVMC_CONFIG, 0);
	assert_int_equal(rd32(d, RBPCONF), 0xFFFF00FF);
	assert_int_equal(rd32(d, 0x0), 0xFFFFFFFF); /* not before a power-up */
	sg_dbg_close(d);
	d = open_probe("");
	assert_int_equal(d->ops->read(d, 0x0, &v, 4, &err), SG_FAIL);
	wr32(d, NVMC_CONFIG, 2);
	wr32(d, NVMC_ERASEALL, 1);
	nvmc_wait(d);
	wr32(d, NVMC_CONFIG, 0);
	assert_int_equal(rd32(d, RBPCONF), 0xFFFFFFFF);
	assert_int_equal(rd32(d, 0x0), 0xFFFFFFFF);
	sg_dbg_close(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_open_halts, setup),
		cmocka_unit_test_setup(test_read_ficr, setup),
		cmocka_unit_test_setup(test_ram_across_tar_boundary, setup),
		cmocka_unit_test_setup(test_nvmc_erase_program, setup),
		cmocka_unit_test_setup(test_wait_retries, setup),
		cmocka_unit_test_setup(test_fault_and_recovery, setup),
		cmocka_unit_test_setup(test_unplug, setup),
		cmocka_unit_test_setup(test_v1_hid, setup),
		cmocka_unit_test_setup(test_serial_selection, setup),
		cmocka_unit_test_setup(test_readback_protection, setup),
	};
	char cmd[600];
	int rc;

	if (!getenv("LD_PRELOAD") || !strstr(getenv("LD_PRELOAD"), "dap_model")) {
		fprintf(stderr, "test_dbg_cmsis_dap: run with LD_PRELOAD=.../libdap_model.so (ctest does)\n");
		return 1;
	}
	if (!mkdtemp(dir))
		return 1;
	alarm(120); /* a client that never gives up fails here, not at ctest's timeout */
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		rc = 1;
	return rc;
}
