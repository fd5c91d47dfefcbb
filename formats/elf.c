/* ELF32 and ELF64, either byte order: the payload is the file bytes of the
 * PT_LOAD segments (p_filesz of each, so .bss adds nothing), placed by
 * physical address, which is where a linker script's AT> puts the load
 * image. Segments are streamed from the file, never held in memory. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "input_priv.h"

#define PT_LOAD 1
#define PN_XNUM 0xffff

struct elf_info {
	bool is64, be;
	uint64_t file_size;
	uint64_t entry, phoff;
	unsigned phentsize, phnum;
};

static uint64_t get(const uint8_t *p, unsigned n, bool be)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[be ? i : n - 1 - i] << (8 * (n - 1 - i));
	return v;
}

static int elf_header(struct sg_input *in, struct elf_info *e, struct sg_err *err)
{
	uint8_t h[64];
	if (e->file_size < 16)
		return sg_errf(err, SG_EINPUT, "%s: truncated ELF header (%" PRIu64 " bytes)",
			       in->path, e->file_size);
	size_t n = e->file_size < sizeof(h) ? (size_t)e->file_size : sizeof(h);
	int rc = sg_input_pread(in, 0, h, n, err);
	if (rc)
		return rc;
	if (memcmp(h, "\x7f" "ELF", 4) != 0)
		return sg_errf(err, SG_EINPUT, "%s: not an ELF file (bad magic)", in->path);
	if (h[4] != 1 && h[4] != 2)
		return sg_errf(err, SG_EINPUT, "%s: unsupported ELF class %u", in->path, h[4]);
	if (h[5] != 1 && h[5] != 2)
		return sg_errf(err, SG_EINPUT, "%s: unsupported ELF data encoding %u", in->path,
			       h[5]);
	if (h[6] != 1)
		return sg_errf(err, SG_EINPUT, "%s: unsupported ELF version %u", in->path, h[6]);
	e->is64 = h[4] == 2;
	e->be = h[5] == 2;
	unsigned need = e->is64 ? 64 : 52;
	if (n < need)
		return sg_errf(err, SG_EINPUT,
			       "%s: truncated ELF header (%zu bytes, ELF%d needs %u)", in->path, n,
			       e->is64 ? 64 : 32, need);
	unsigned w = e->is64 ? 8 : 4; /* e_entry, e_phoff, e_shoff width */
	e->entry = get(h + 24, w, e->be);
	e->phoff = get(h + 24 + w, w, e->be);
	e->phentsize = (unsigned)get(h + 24 + 3 * w + 6, 2, e->be);
	e->phnum = (unsigned)get(h + 24 + 3 * w + 8, 2, e->be);
	return SG_OK;
}

static int elf_phdr_table(struct sg_input *in, const struct elf_info *e, struct sg_err *err)
{
	unsigned min = e->is64 ? 56 : 32;
	if (e->phnum == 0)
		return sg_errf(err, SG_EINPUT, "%s: no data (no PT_LOAD segment: no program headers)",
			       in->path);
	if (e->phnum == PN_XNUM)
		return sg_errf(err, SG_EINPUT,
			       "%s: extended program header numbering (PN_XNUM) not supported",
			       in->path);
	if (e->phentsize < min)
		return sg_errf(err, SG_EINPUT, "%s: e_phentsize %u too small (ELF%d needs %u)",
			       in->path, e->phentsize, e->is64 ? 64 : 32, min);
	uint64_t table = (uint64_t)e->phnum * e->phentsize;
	if (e->phoff > e->file_size || table > e->file_size - e->phoff)
		return sg_errf(err, SG_EINPUT,
			       "%s: program header table (offset 0x%" PRIX64
			       ", %u entries of %u bytes) extends beyond the end of the file "
			       "(%" PRIu64 " bytes)",
			       in->path, e->phoff, e->phnum, e->phentsize, e->file_size);
	return SG_OK;
}

struct elf_phdr {
	uint32_t type;
	uint64_t offset, paddr, filesz, memsz;
};

static int elf_phdr_read(struct sg_input *in, const struct elf_info *e, unsigned i,
			 struct elf_phdr *ph, struct sg_err *err)
{
	uint8_t b[56];
	int rc = sg_input_pread(in, e->phoff + (uint64_t)i * e->phentsize, b,
				e->is64 ? 56 : 32, err);
	if (rc)
		return rc;
	ph->type = (uint32_t)get(b, 4, e->be);
	if (e->is64) {
		ph->offset = get(b + 8, 8, e->be);
		ph->paddr = get(b + 24, 8, e->be);
		ph->filesz = get(b + 32, 8, e->be);
		ph->memsz = get(b + 40, 8, e->be);
	} else {
		ph->offset = get(b + 4, 4, e->be);
		ph->paddr = get(b + 12, 4, e->be);
		ph->filesz = get(b + 16, 4, e->be);
		ph->memsz = get(b + 20, 4, e->be);
	}
	return SG_OK;
}

static int elf_phdr_check(struct sg_input *in, const struct elf_info *e, unsigned i,
			  const struct elf_phdr *ph, struct sg_err *err)
{
	if (ph->filesz > ph->memsz)
		return sg_errf(err, SG_EINPUT,
			       "%s: segment %u: p_filesz 0x%" PRIX64 " larger than p_memsz 0x%" PRIX64,
			       in->path, i, ph->filesz, ph->memsz);
	if (ph->offset > e->file_size || ph->filesz > e->file_size - ph->offset)
		return sg_errf(err, SG_EINPUT,
			       "%s: segment %u: file bytes 0x%" PRIX64 "+0x%" PRIX64
			       " extend beyond the end of the file (%" PRIu64 " bytes)",
			       in->path, i, ph->offset, ph->filesz, e->file_size);
	/* The last byte must be addressable: ELF32 addresses stop at 4 GiB. */
	uint64_t top = e->is64 ? UINT64_MAX : UINT32_MAX;
	if (ph->filesz - 1 > top - ph->paddr)
		return sg_errf(err, SG_EINPUT,
			       "%s: segment %u: address range 0x%" PRIX64 "+0x%" PRIX64
			       " wraps around the address space",
			       in->path, i, ph->paddr, ph->filesz);
	/* An end of exactly 2^64 cannot be represented in sg_segment. */
	if (ph->paddr + ph->filesz < ph->paddr)
		return sg_errf(err, SG_EINPUT,
			       "%s: segment %u: address range 0x%" PRIX64 "+0x%" PRIX64
			       " reaches the top of the address space",
			       in->path, i, ph->paddr, ph->filesz);
	return SG_OK;
}

static int elf_overlap(struct sg_input *in, const struct sg_piece *a, const struct sg_piece *b,
		       struct sg_err *err)
{
	if (a->tag < b->tag) { /* name the later program header first */
		const struct sg_piece *x = a;
		a = b;
		b = x;
	}
	return sg_errf(err, SG_EINPUT,
		       "%s: segment %lu (paddr 0x%08" PRIX64 ", 0x%" PRIX64
		       " bytes) overlaps segment %lu (paddr 0x%08" PRIX64 ", 0x%" PRIX64 " bytes)",
		       in->path, a->tag, a->addr, a->size, b->tag, b->addr, b->size);
}

/* Collects the PT_LOAD segments with file bytes into pieces. */
static int elf_collect(struct sg_input *in, const struct elf_info *e, struct sg_piece *p,
		       size_t *n, struct sg_err *err)
{
	*n = 0;
	for (unsigned i = 0; i < e->phnum; i++) {
		struct elf_phdr ph;
		int rc = elf_phdr_read(in, e, i, &ph, err);
		if (rc)
			return rc;
		if (ph.type != PT_LOAD || ph.filesz == 0)
			continue;
		if ((rc = elf_phdr_check(in, e, i, &ph, err)))
			return rc;
		if (*n == SG_INPUT_MAX_SEGMENTS)
			return sg_errf(err, SG_EINPUT, "%s: too many PT_LOAD segments (limit %d)",
				       in->path, SG_INPUT_MAX_SEGMENTS);
		p[(*n)++] = (struct sg_piece){
			.addr = ph.paddr, .size = ph.filesz, .off = ph.offset, .tag = i
		};
	}
	if (*n == 0)
		return sg_errf(err, SG_EINPUT, "%s: no data (no PT_LOAD segment with file bytes)",
			       in->path);
	return SG_OK;
}

int sg_elf_load(struct sg_input *in, uint64_t file_size, struct sg_err *err)
{
	struct elf_info e = { .file_size = file_size };
	int rc = elf_header(in, &e, err);
	if (rc == SG_OK)
		rc = elf_phdr_table(in, &e, err);
	if (rc)
		return rc;

	size_t cap = e.phnum < SG_INPUT_MAX_SEGMENTS ? e.phnum : SG_INPUT_MAX_SEGMENTS;
	struct sg_piece *p = calloc(cap, sizeof(*p));
	if (!p)
		return sg_errf(err, SG_EENV, "%s: out of memory", in->path);
	size_t n;
	rc = elf_collect(in, &e, p, &n, err);
	if (rc == SG_OK) {
		sg_pieces_sort(p, n);
		size_t i = sg_pieces_overlap(p, n);
		if (i)
			rc = elf_overlap(in, &p[i - 1], &p[i], err);
	}
	if (rc == SG_OK)
		rc = sg_input_take_pieces(in, p, n, NULL, err);
	free(p);
	if (rc)
		return rc;
	in->has_addr = true;
	in->has_entry = e.entry != 0; /* the ELF spec's "no entry point" */
	in->entry = e.entry;
	return SG_OK;
}
