/* Cross-check against GNU binutils: build small firmware ELFs with a real
 * toolchain, convert them with objcopy to Intel HEX, S-records and a raw
 * binary (gaps filled with 0xFF), and require every reader to produce
 * objcopy's binary byte for byte, at the same base and entry.
 * Skipped, with a message, when the tools are not installed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input_util.h"

static const char arm_src[] =
	"\t.syntax unified\n\t.thumb\n"
	"\t.section .vectors,\"a\"\n\t.word 0x20001000\n\t.word reset + 1\n"
	"\t.text\n\t.thumb_func\n\t.global reset\nreset:\tb reset\n"
	"\t.fill 3000, 1, 0xA5\n\t.byte 1, 2, 3\n"
	"\t.data\n\t.word 0xdeadbeef, 0x01020304\n"
	"\t.section .cfg,\"a\"\n\t.byte 1, 2, 3\n"
	"\t.bss\n\t.space 64\n";

/* Flash code, initialised data loaded from flash (AT>), .bss, and a config
 * block past a 64 KiB boundary so HEX needs two extended address records. */
static const char arm_ld[] =
	"ENTRY(reset)\n"
	"MEMORY { FLASH (rx) : ORIGIN = 0x08000000, LENGTH = 256K\n"
	"         RAM (rwx) : ORIGIN = 0x20000000, LENGTH = 8K }\n"
	"SECTIONS {\n"
	"  .vectors : { KEEP(*(.vectors)) } > FLASH\n"
	"  .text : { *(.text*) } > FLASH\n"
	"  .data : { *(.data*) } > RAM AT > FLASH\n"
	"  .bss : { *(.bss*) } > RAM\n"
	"  .cfg 0x08010010 : { KEEP(*(.cfg)) } > FLASH\n"
	"}\n";

static const char host_src[] = "\t.text\n\t.global _start\n_start:\tjmp _start\n"
			       "\t.fill 300, 1, 0x90\n"
			       "\t.section .cfg,\"a\"\n\t.byte 9, 8, 7\n"
			       "\t.data\n\t.quad 0x1122334455667788\n";

/* Explicit PHDRS keep the ELF headers out of the loaded image, as in
 * firmware; .data runs at 0x200000 but loads at 0x101000. */
static const char host_ld[] = "ENTRY(_start)\n"
			      "PHDRS { text PT_LOAD; cfg PT_LOAD; data PT_LOAD; }\n"
			      "SECTIONS {\n"
			      "  .text 0x100000 : { *(.text*) } :text\n"
			      "  .cfg 0x103000 : { *(.cfg) } :cfg\n"
			      "  .data 0x200000 : AT(0x101000) { *(.data*) } :data\n"
			      "  /DISCARD/ : { *(.note*) *(.eh_frame*) *(.comment) }\n"
			      "}\n";

static bool have(const char *tool)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", tool);
	return system(cmd) == 0;
}

static void run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void run(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		fail_msg("command failed: %s", cmd);
}

static uint8_t *payload(const char *path, enum sg_input_format fmt, struct sg_input *in)
{
	tu_open(in, path, fmt, 0xff);
	assert_int_equal(in->format, fmt);
	return tu_read_all(in, 65536);
}

/* Converts elf with objcopy and compares all four readings. */
static void cross_check(void **state, const char *objcopy, const char *elf, uint64_t base,
			uint64_t entry, uint64_t min_size)
{
	const char *hex = tu_path(state, "out.hex"), *srec = tu_path(state, "out.srec");
	const char *bin = tu_path(state, "out.bin");
	run("%s -O ihex %s %s", objcopy, elf, hex);
	run("%s -O srec %s %s", objcopy, elf, srec);
	run("%s -O binary --gap-fill 0xff %s %s", objcopy, elf, bin);

	struct sg_input ref;
	uint8_t *want = payload(bin, SG_INPUT_BIN, &ref);
	assert_true(ref.size >= min_size);
	const char *paths[] = { elf, hex, srec };
	const enum sg_input_format fmts[] = { SG_INPUT_ELF, SG_INPUT_IHEX, SG_INPUT_SREC };
	for (int i = 0; i < 3; i++) {
		struct sg_input in;
		uint8_t *got = payload(paths[i], fmts[i], &in);
		print_message("%s: base 0x%llx size %llu segments %zu\n",
			      sg_input_format_name(fmts[i]), (unsigned long long)in.base,
			      (unsigned long long)in.size, in.nsegs);
		assert_int_equal(in.base, base);
		assert_int_equal(in.size, ref.size);
		assert_memory_equal(got, want, ref.size);
		assert_true(in.has_entry);
		assert_int_equal(in.entry, entry);
		assert_true(in.nsegs >= 2);
		free(got);
		sg_input_close(&in);
		/* Detection agrees with the tool's output format. */
		tu_open(&in, paths[i], SG_INPUT_AUTO, 0xff);
		assert_int_equal(in.format, fmts[i]);
		sg_input_close(&in);
	}
	free(want);
	sg_input_close(&ref);
}

static void arm_toolchain(void **state, const char *flags, const char *name)
{
	if (!have("arm-none-eabi-gcc") || !have("arm-none-eabi-objcopy")) {
		print_message("arm-none-eabi-gcc/objcopy not installed: skipping\n");
		skip();
	}
	const char *src = tu_write_str(state, "fw.S", arm_src);
	const char *ld = tu_write_str(state, "fw.ld", arm_ld);
	const char *elf = tu_path(state, name);
	run("arm-none-eabi-gcc -mcpu=cortex-m0 -mthumb %s -nostdlib -T %s %s -o %s", flags, ld,
	    src, elf);
	/* Payload: 0x08000000 .. 0x08010013, the entry has the Thumb bit. */
	cross_check(state, "arm-none-eabi-objcopy", elf, 0x08000000, 0x08000009, 0x10013);
}

static void objcopy_arm_le32(void **state)
{
	arm_toolchain(state, "", "fw.elf");
}

static void objcopy_arm_be32(void **state)
{
	arm_toolchain(state, "-mbig-endian", "fwbe.elf");
}

static void objcopy_host_elf64(void **state)
{
	if (!have("gcc") || !have("objcopy") || system("gcc -dumpmachine | grep -q x86_64") != 0) {
		print_message("x86-64 gcc/objcopy not available: skipping\n");
		skip();
	}
	const char *src = tu_write_str(state, "host.S", host_src);
	const char *ld = tu_write_str(state, "host.ld", host_ld);
	const char *elf = tu_path(state, "host.elf");
	run("gcc -nostdlib -static -no-pie -Wl,--build-id=none -T %s %s -o %s", ld, src, elf);
	cross_check(state, "objcopy", elf, 0x100000, 0x100000, 0x3003);
}

#define T(f) cmocka_unit_test_setup_teardown(f, tu_setup, tu_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(objcopy_arm_le32),
		T(objcopy_arm_be32),
		T(objcopy_host_elf64),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
