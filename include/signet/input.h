/* Build-output readers: raw binary, Intel HEX, Motorola S-record, ELF.
 *
 * Every reader turns its file into one flat payload: the bytes from the
 * lowest to the highest address the input defines, gaps filled with a pad
 * byte. Readers never hold a large payload in memory: raw binary and ELF
 * stream from the file (ELF through its PT_LOAD segments, placed by physical
 * address, p_filesz bytes each); HEX and S-record data, which is text and so
 * at most half the file size, is decoded into memory up to a bound
 * (SG_INPUT_TEXT_MAX) and rejected beyond it.
 *
 * Malformed input is SG_EINPUT with a message naming the file and the
 * line (HEX/SREC) or segment (ELF) and the reason: bad checksum, bad record,
 * overlapping data, address out of range, truncated file. */
#ifndef SIGNET_INPUT_H
#define SIGNET_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "signet/err.h"

enum sg_input_format {
	SG_INPUT_AUTO = 0, /* ELF by magic, HEX by ':' lines, SREC by 'S0'-'S9' lines, else bin */
	SG_INPUT_BIN,
	SG_INPUT_IHEX,
	SG_INPUT_SREC,
	SG_INPUT_ELF,
};

#define SG_INPUT_TEXT_MAX (256u * 1024 * 1024) /* decoded HEX/SREC payload limit */
#define SG_INPUT_MAX_SEGMENTS 4096
/* Default payload span limit, for every format: the payload runs from the
 * lowest to the highest address, gaps included, so one stray record or
 * segment far from the rest (an option byte, a config word; an ELF segment
 * at 2^40) would turn a small file into gigabytes or terabytes of padding
 * to write and sign. Checked when the input is opened, before any output. */
#define SG_INPUT_SPAN_MAX (1ull << 30)

/* One contiguous run of defined bytes, at payload offset (addr - base). */
struct sg_segment {
	uint64_t addr;
	uint64_t size;
	uint64_t file_off;   /* where its bytes are in the file, when data == NULL */
	const uint8_t *data; /* decoded bytes (HEX/SREC), or NULL to read the file */
};

struct sg_input {
	const char *path;          /* as given; borrowed */
	enum sg_input_format format; /* the format actually read (never AUTO) */
	FILE *fp;                  /* open file for bin/ELF streaming */
	struct sg_segment *segs;   /* sorted by addr, non-overlapping */
	size_t nsegs;
	uint64_t base;             /* lowest address (0 for bin) */
	uint64_t size;             /* payload size: highest end - base */
	bool has_addr;             /* the input carried addresses (HEX, SREC, ELF) */
	bool has_entry;            /* HEX start record / SREC S7-9 or ELF e_entry, if not 0 */
	uint64_t entry;
	uint8_t pad;
	uint64_t max_span;         /* the span limit this input was opened with */
	void *priv;                /* reader-owned memory */
};

const char *sg_input_format_name(enum sg_input_format f);
/* Parses "auto", "bin", "ihex" (also "hex"), "srec", "elf"; -1 if unknown. */
int sg_input_format_parse(const char *name);

/* Opens and fully validates path, refusing a payload longer than max_span
 * bytes (0: SG_INPUT_SPAN_MAX). On success the caller owns in and must call
 * sg_input_close. On failure nothing needs closing. */
int sg_input_open(struct sg_input *in, const char *path, enum sg_input_format fmt,
		  uint8_t pad, uint64_t max_span, struct sg_err *err);

/* Copies len payload bytes starting at payload offset off into buf (pad
 * bytes in gaps). off + len must be <= in->size. Sequential calls are the
 * fast path (a cursor remembers where the last read ended); one sg_input
 * must not be read from two threads at once. Read failures are SG_EENV
 * naming the file. */
int sg_input_read(struct sg_input *in, uint64_t off, void *buf, size_t len, struct sg_err *err);

void sg_input_close(struct sg_input *in);

#endif
