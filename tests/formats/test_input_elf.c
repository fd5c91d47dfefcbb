/* ELF reader against hand-built files: ELF32/ELF64 in both byte orders,
 * placement by p_paddr, streaming, and every malformed-input message. */
#include <stdlib.h>
#include <string.h>

#include "input_util.h"

#define PT_LOAD 1
#define PT_NOTE 4

struct eseg {
	uint32_t type;
	uint64_t off, vaddr, paddr, filesz, memsz;
};

struct elf_spec {
	int bits; /* 32 or 64 */
	bool be;
	uint64_t entry;
	const struct eseg *ph;
	unsigned nph;
	unsigned phnum;     /* e_phnum if not 0, else nph */
	unsigned phentsize; /* if not 0 */
	uint64_t phoff;     /* if not 0 */
};

static void put(uint8_t *p, uint64_t v, unsigned n, bool be)
{
	for (unsigned i = 0; i < n; i++)
		p[be ? n - 1 - i : i] = (uint8_t)(v >> (8 * i));
}

/* Writes the ELF header and program headers into out; segment bytes are the
 * caller's. */
static void build_elf(uint8_t *out, const struct elf_spec *s)
{
	bool is64 = s->bits == 64, be = s->be;
	unsigned w = is64 ? 8 : 4, ehsize = is64 ? 64 : 52;
	unsigned phent = s->phentsize ? s->phentsize : (is64 ? 56 : 32);
	uint64_t phoff = s->phoff ? s->phoff : ehsize;
	memcpy(out, "\x7f" "ELF", 4);
	out[4] = is64 ? 2 : 1;
	out[5] = be ? 2 : 1;
	out[6] = 1;
	put(out + 16, 2, 2, be);    /* ET_EXEC */
	put(out + 18, 40, 2, be);   /* EM_ARM, whatever */
	put(out + 20, 1, 4, be);
	put(out + 24, s->entry, w, be);
	put(out + 24 + w, phoff, w, be);
	put(out + 24 + 3 * w + 4, ehsize, 2, be);
	put(out + 24 + 3 * w + 6, phent, 2, be);
	put(out + 24 + 3 * w + 8, s->phnum ? s->phnum : s->nph, 2, be);
	for (unsigned i = 0; i < s->nph; i++) {
		uint8_t *p = out + phoff + (uint64_t)i * phent;
		const struct eseg *g = &s->ph[i];
		put(p, g->type, 4, be);
		if (is64) {
			put(p + 8, g->off, 8, be);
			put(p + 16, g->vaddr, 8, be);
			put(p + 24, g->paddr, 8, be);
			put(p + 32, g->filesz, 8, be);
			put(p + 40, g->memsz, 8, be);
		} else {
			put(p + 4, g->off, 4, be);
			put(p + 8, g->vaddr, 4, be);
			put(p + 12, g->paddr, 4, be);
			put(p + 16, g->filesz, 4, be);
			put(p + 20, g->memsz, 4, be);
		}
	}
}

/* A note, a RAM image loaded from flash (vaddr != paddr, memsz > filesz), a
 * .bss-only PT_LOAD that adds nothing, and flash code; the program headers
 * are not in address order. */
static const struct eseg typical[] = {
	{ PT_NOTE, 0x100, 0, 0, 0x10, 0x10 },
	{ PT_LOAD, 0x300, 0x20000000, 0x08000400, 0x10, 0x80 },
	{ PT_LOAD, 0, 0x20000080, 0x20000080, 0, 0x100 },
	{ PT_LOAD, 0x200, 0x08000000, 0x08000000, 0x20, 0x20 },
};

static void elf_round_trip(void **state)
{
	for (int v = 0; v < 4; v++) {
		uint8_t file[0x400] = { 0 };
		struct elf_spec s = { .bits = v & 1 ? 64 : 32, .be = v & 2, .entry = 0x08000009,
				      .ph = typical, .nph = 4 };
		build_elf(file, &s);
		for (int i = 0; i < 0x20; i++)
			file[0x200 + i] = (uint8_t)(0x40 + i);
		for (int i = 0; i < 0x10; i++)
			file[0x300 + i] = (uint8_t)(0x80 + i);
		const char *name[] = { "le32.elf", "le64.elf", "be32.elf", "be64.elf" };
		const char *path = tu_write(state, name[v], file, 0x310);
		for (int pass = 0; pass < 2; pass++) {
			uint8_t pad = pass ? 0x00 : 0xff;
			struct sg_input in;
			tu_open(&in, path, pass ? SG_INPUT_ELF : SG_INPUT_AUTO, pad);
			assert_int_equal(in.format, SG_INPUT_ELF);
			assert_true(in.has_addr);
			assert_true(in.has_entry);
			assert_int_equal(in.entry, 0x08000009);
			assert_int_equal(in.base, 0x08000000);
			assert_int_equal(in.size, 0x410);
			assert_int_equal(in.nsegs, 2);
			assert_null(in.segs[0].data);
			assert_int_equal(in.segs[0].file_off, 0x200);
			assert_int_equal(in.segs[1].addr, 0x08000400);
			assert_int_equal(in.segs[1].file_off, 0x300);
			assert_non_null(in.fp);
			uint8_t *got = tu_read_all(&in, 0x33);
			for (int i = 0; i < 0x410; i++) {
				uint8_t want = i < 0x20 ? 0x40 + i : i >= 0x400 ? 0x80 + i - 0x400 : pad;
				if (got[i] != want)
					fail_msg("%s byte %d: 0x%02X, want 0x%02X", name[v], i, got[i],
						 want);
			}
			free(got);
			sg_input_close(&in);
		}
	}
}

/* A gap past 4 GiB is streamed, not stored; e_entry 0 means no entry. */
static void elf_large_gap(void **state)
{
	static const struct eseg segs[] = {
		{ PT_LOAD, 0x100, 0, 0x10, 8, 8 },
		{ PT_LOAD, 0x108, 0, 0x100000000, 8, 8 },
	};
	uint8_t file[0x110] = { 0 };
	struct elf_spec s = { .bits = 64, .ph = segs, .nph = 2 };
	build_elf(file, &s);
	memcpy(file + 0x100, "ABCDEFGHabcdefgh", 16);
	const char *path = tu_write(state, "gap.elf", file, sizeof(file));
	/* 4 GiB of padding is over the default span limit ... */
	tu_open_fails(state, "gap.elf", file, sizeof(file), SG_INPUT_ELF, SG_EINPUT,
		      "data spans 0x00000010..0x100000007 (4294967288 bytes), over the "
		      "1073741824-byte limit");
	/* ... and streams without being held in memory when the caller allows it. */
	struct sg_input in;
	struct sg_err err = { 0 };
	if (sg_input_open(&in, path, SG_INPUT_ELF, 0xff, 1ull << 33, &err))
		fail_msg("%s", err.msg);
	assert_false(in.has_entry);
	assert_int_equal(in.base, 0x10);
	assert_int_equal(in.size, 0x100000000 - 0x10 + 8);
	assert_int_equal(in.nsegs, 2);
	uint8_t got[24];
	assert_int_equal(sg_input_read(&in, in.size - 24, got, 24, NULL), SG_OK);
	assert_memory_equal(got, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
				 "abcdefgh", 24);
	assert_int_equal(sg_input_read(&in, 0, got, 12, NULL), SG_OK);
	assert_memory_equal(got, "ABCDEFGH\xff\xff\xff\xff", 12);
	sg_input_close(&in);
}

/* One span limit for all inputs: a 432-byte ELF with segments at 0 and 2^40
 * would otherwise start a 1 TiB payload. The limit is exact, and the
 * caller's limit replaces the default. */
static void elf_span_limit(void **state)
{
	static const struct eseg segs[] = {
		{ PT_LOAD, 0x1a0, 0, 0, 8, 8 },
		{ PT_LOAD, 0x1a8, 0, 1ull << 40, 8, 8 },
	};
	uint8_t file[432] = { 0 };
	struct elf_spec s = { .bits = 64, .ph = segs, .nph = 2, .phoff = 0x100 };
	build_elf(file, &s);
	tu_open_fails(state, "tib.elf", file, sizeof(file), SG_INPUT_AUTO, SG_EINPUT,
		      "data spans 0x00000000..0x10000000007 (1099511627784 bytes), over the "
		      "1073741824-byte limit");
	const char *path = tu_write(state, "tib.elf", file, sizeof(file));
	struct sg_input in;
	struct sg_err err = { 0 };
	uint64_t span = (1ull << 40) + 8;
	assert_int_equal(sg_input_open(&in, path, SG_INPUT_ELF, 0xff, span - 1, &err), SG_EINPUT);
	assert_non_null(strstr(err.msg, "over the 1099511627783-byte limit"));
	assert_null(in.fp);
	if (sg_input_open(&in, path, SG_INPUT_ELF, 0xff, span, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(in.size, span);
	sg_input_close(&in);
}

/* Segments that follow on in address and in the file become one. */
static void elf_touching_segments(void **state)
{
	static const struct eseg segs[] = {
		{ PT_LOAD, 0x110, 0, 0x1010, 0x10, 0x10 },
		{ PT_LOAD, 0x100, 0, 0x1000, 0x10, 0x10 },
		{ PT_LOAD, 0x180, 0, 0x1020, 0x10, 0x10 },
	};
	uint8_t file[0x190];
	for (size_t i = 0; i < sizeof(file); i++)
		file[i] = (uint8_t)i;
	struct elf_spec s = { .bits = 32, .ph = segs, .nph = 3 };
	build_elf(file, &s);
	struct sg_input in;
	tu_open(&in, tu_write(state, "touch.elf", file, sizeof(file)), SG_INPUT_ELF, 0xff);
	assert_int_equal(in.nsegs, 2);
	assert_int_equal(in.segs[0].size, 0x20);
	assert_int_equal(in.size, 0x30);
	uint8_t *got = tu_read_all(&in, 0x30);
	assert_memory_equal(got, file + 0x100, 0x20);
	assert_memory_equal(got + 0x20, file + 0x180, 0x10);
	free(got);
	sg_input_close(&in);
}

static void elf_truncated_header(void **state)
{
	uint8_t file[64] = { 0 };
	struct elf_spec s = { .bits = 32, .ph = typical, .nph = 0 };
	build_elf(file, &s);
	tu_open_fails(state, "t20.elf", file, 20, SG_INPUT_AUTO, SG_EINPUT,
		      "truncated ELF header (20 bytes, ELF32 needs 52)");
	tu_open_fails(state, "t10.elf", file, 10, SG_INPUT_ELF, SG_EINPUT,
		      "truncated ELF header (10 bytes)");
	s.bits = 64;
	build_elf(file, &s);
	tu_open_fails(state, "t60.elf", file, 60, SG_INPUT_ELF, SG_EINPUT,
		      "truncated ELF header (60 bytes, ELF64 needs 64)");
}

static void elf_bad_ident(void **state)
{
	uint8_t file[0x400] = { 0 };
	struct elf_spec s = { .bits = 32, .ph = typical, .nph = 4 };
	build_elf(file, &s);
	file[4] = 3;
	tu_open_fails(state, "class.elf", file, sizeof(file), SG_INPUT_AUTO, SG_EINPUT,
		      "unsupported ELF class 3");
	file[4] = 1;
	file[5] = 0;
	tu_open_fails(state, "data.elf", file, sizeof(file), SG_INPUT_AUTO, SG_EINPUT,
		      "unsupported ELF data encoding 0");
	file[5] = 1;
	file[6] = 2;
	tu_open_fails(state, "version.elf", file, sizeof(file), SG_INPUT_AUTO, SG_EINPUT,
		      "unsupported ELF version 2");
	file[6] = 1;
	file[0] = 0x7e;
	tu_open_fails(state, "magic.elf", file, sizeof(file), SG_INPUT_ELF, SG_EINPUT,
		      "not an ELF file (bad magic)");
}

static void elf_bad_phdr_table(void **state)
{
	uint8_t file[0x400] = { 0 };
	struct elf_spec s = { .bits = 64, .ph = typical, .nph = 4, .phoff = 0x300 };
	build_elf(file, &s);
	tu_open_fails(state, "phoff.elf", file, 0x3d0, SG_INPUT_ELF, SG_EINPUT,
		      "program header table (offset 0x300, 4 entries of 56 bytes) extends beyond "
		      "the end of the file (976 bytes)");
	memset(file, 0, sizeof(file));
	struct elf_spec small = { .bits = 32, .ph = typical, .nph = 4, .phentsize = 16 };
	build_elf(file, &small);
	tu_open_fails(state, "phent.elf", file, sizeof(file), SG_INPUT_ELF, SG_EINPUT,
		      "e_phentsize 16 too small (ELF32 needs 32)");
	memset(file, 0, sizeof(file));
	struct elf_spec xnum = { .bits = 32, .ph = typical, .nph = 1, .phnum = 0xffff };
	build_elf(file, &xnum);
	tu_open_fails(state, "xnum.elf", file, sizeof(file), SG_INPUT_ELF, SG_EINPUT,
		      "PN_XNUM");
}

static void elf_segment_beyond_eof(void **state)
{
	uint8_t file[0x400] = { 0 };
	struct elf_spec s = { .bits = 32, .be = true, .ph = typical, .nph = 4 };
	build_elf(file, &s);
	tu_open_fails(state, "short.elf", file, 0x30f, SG_INPUT_ELF, SG_EINPUT,
		      "segment 1: file bytes 0x300+0x10 extend beyond the end of the file "
		      "(783 bytes)");
	static const struct eseg huge[] = { { PT_LOAD, 0xffffffffffffff00, 0, 0, 0x200, 0x200 } };
	struct elf_spec h = { .bits = 64, .ph = huge, .nph = 1 };
	build_elf(file, &h);
	tu_open_fails(state, "huge.elf", file, 0x100, SG_INPUT_ELF, SG_EINPUT,
		      "segment 0: file bytes 0xFFFFFFFFFFFFFF00+0x200 extend beyond");
}

static void elf_overlap(void **state)
{
	static const struct eseg segs[] = {
		{ PT_LOAD, 0x100, 0, 0x08000100, 0x10, 0x10 },
		{ PT_LOAD, 0x110, 0, 0x08000000, 0x20, 0x20 },
		{ PT_LOAD, 0x130, 0, 0x08000010, 0x10, 0x10 },
	};
	uint8_t file[0x140] = { 0 };
	struct elf_spec s = { .bits = 64, .be = true, .ph = segs, .nph = 3 };
	build_elf(file, &s);
	tu_open_fails(state, "ovl.elf", file, sizeof(file), SG_INPUT_ELF, SG_EINPUT,
		      "ovl.elf: segment 2 (paddr 0x08000010, 0x10 bytes) overlaps segment 1 "
		      "(paddr 0x08000000, 0x20 bytes)");
}

static void elf_no_load(void **state)
{
	static const struct eseg segs[] = {
		{ PT_NOTE, 0x100, 0, 0, 0x10, 0x10 },
		{ PT_LOAD, 0, 0x20000000, 0x20000000, 0, 0x100 },
	};
	uint8_t file[0x110] = { 0 };
	struct elf_spec s = { .bits = 32, .ph = segs, .nph = 2 };
	build_elf(file, &s);
	tu_open_fails(state, "noload.elf", file, sizeof(file), SG_INPUT_AUTO, SG_EINPUT,
		      "no data (no PT_LOAD segment with file bytes)");
	struct elf_spec none = { .bits = 64, .ph = segs, .nph = 0 };
	memset(file, 0, sizeof(file));
	build_elf(file, &none);
	tu_open_fails(state, "nophdr.elf", file, sizeof(file), SG_INPUT_AUTO, SG_EINPUT,
		      "no data (no PT_LOAD segment");
}

static void elf_address_wrap(void **state)
{
	uint8_t file[0x120] = { 0 };
	static const struct eseg top32[] = { { PT_LOAD, 0x100, 0, 0xfffffff0, 0x10, 0x10 } };
	struct elf_spec s = { .bits = 32, .ph = top32, .nph = 1 };
	build_elf(file, &s);
	struct sg_input in;
	tu_open(&in, tu_write(state, "top.elf", file, sizeof(file)), SG_INPUT_ELF, 0xff);
	assert_int_equal(in.base, 0xfffffff0);
	assert_int_equal(in.size, 0x10);
	sg_input_close(&in);

	static const struct eseg wrap32[] = { { PT_LOAD, 0x100, 0, 0xfffffff0, 0x20, 0x20 } };
	s.ph = wrap32;
	build_elf(file, &s);
	tu_open_fails(state, "wrap32.elf", file, sizeof(file), SG_INPUT_ELF, SG_EINPUT,
		      "segment 0: address range 0xFFFFFFF0+0x20 wraps around the address space");

	static const struct eseg wrap64[] = {
		{ PT_LOAD, 0x100, 0, 0xfffffffffffffff0, 0x20, 0x20 }
	};
	struct elf_spec s64 = { .bits = 64, .ph = wrap64, .nph = 1 };
	memset(file, 0, sizeof(file));
	build_elf(file, &s64);
	tu_open_fails(state, "wrap64.elf", file, sizeof(file), SG_INPUT_ELF, SG_EINPUT,
		      "wraps around the address space");

	static const struct eseg end64[] = {
		{ PT_LOAD, 0x100, 0, 0xfffffffffffffff0, 0x10, 0x10 }
	};
	s64.ph = end64;
	build_elf(file, &s64);
	tu_open_fails(state, "end64.elf", file, sizeof(file), SG_INPUT_ELF, SG_EINPUT,
		      "reaches the top of the address space");
}

static void elf_filesz_over_memsz(void **state)
{
	static const struct eseg segs[] = { { PT_LOAD, 0x100, 0, 0x1000, 0x10, 0x8 } };
	uint8_t file[0x110] = { 0 };
	struct elf_spec s = { .bits = 32, .ph = segs, .nph = 1 };
	build_elf(file, &s);
	tu_open_fails(state, "mem.elf", file, sizeof(file), SG_INPUT_ELF, SG_EINPUT,
		      "segment 0: p_filesz 0x10 larger than p_memsz 0x8");
}

static void elf_segment_limit(void **state)
{
	unsigned n = SG_INPUT_MAX_SEGMENTS + 1;
	struct eseg *segs = calloc(n, sizeof(*segs));
	assert_non_null(segs);
	uint64_t data = 52 + 32ull * n;
	for (unsigned i = 0; i < n; i++)
		segs[i] = (struct eseg){ PT_LOAD, data, 0, 2ull * i, 1, 1 };
	size_t size = (size_t)data + 1;
	uint8_t *file = calloc(1, size);
	assert_non_null(file);
	file[data] = 0x77;
	struct elf_spec s = { .bits = 32, .ph = segs, .nph = n - 1 };
	build_elf(file, &s);
	struct sg_input in;
	tu_open(&in, tu_write(state, "max.elf", file, size), SG_INPUT_ELF, 0);
	assert_int_equal(in.nsegs, SG_INPUT_MAX_SEGMENTS);
	uint8_t *got = tu_read_all(&in, 65536);
	for (uint64_t i = 0; i < in.size; i++)
		assert_int_equal(got[i], i % 2 ? 0 : 0x77);
	free(got);
	sg_input_close(&in);

	s.nph = n;
	build_elf(file, &s);
	tu_open_fails(state, "toomany.elf", file, size, SG_INPUT_ELF, SG_EINPUT,
		      "too many PT_LOAD segments (limit 4096)");
	free(file);
	free(segs);
}

#define T(f) cmocka_unit_test_setup_teardown(f, tu_setup, tu_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(elf_round_trip),        T(elf_large_gap),     T(elf_span_limit),
		T(elf_touching_segments),
		T(elf_truncated_header),  T(elf_bad_ident),     T(elf_bad_phdr_table),
		T(elf_segment_beyond_eof), T(elf_overlap),      T(elf_no_load),
		T(elf_address_wrap),      T(elf_filesz_over_memsz), T(elf_segment_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
