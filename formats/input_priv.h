/* Internals shared by the input readers (input.c, text.c, ihex.c, srec.c,
 * elf.c). Not installed; nothing outside formats/ should include it. */
#ifndef SIGNET_INPUT_PRIV_H
#define SIGNET_INPUT_PRIV_H

#include "signet/input.h"

/* The longest legal record is 521 characters (Intel HEX, 255 data bytes);
 * anything much longer is not a record, and bounding it bounds memory. */
#define SG_TEXT_LINE_MAX 1024

/* Data records that do not continue the previous one start a new run; files
 * written backwards would make one run per record, so runs are bounded. */
#define SG_TEXT_RUNS_MAX (1u << 20)

/* One placed run of bytes before it becomes an sg_segment: off is an offset
 * into the decoded arena (HEX/SREC) or the file (ELF, bin); tag is the line
 * of its first record or the ELF program header index, for messages and a
 * stable sort. */
struct sg_piece {
	uint64_t addr;
	uint64_t size;
	uint64_t off;
	unsigned long tag;
};

/* What in->priv points to. */
struct sg_input_priv {
	size_t cursor;  /* segment index where the last read ended */
	uint8_t *arena; /* decoded HEX/SREC bytes, owned */
};

void sg_pieces_sort(struct sg_piece *p, size_t n);
/* Index i > 0 of the first piece overlapping piece i - 1 in a sorted array,
 * or 0 when no two pieces overlap. */
size_t sg_pieces_overlap(const struct sg_piece *p, size_t n);
/* Turns sorted, non-overlapping pieces into in->segs, merging neighbours
 * that touch in both address and offset, and sets base and size. data is
 * the arena the offsets point into, or NULL when they are file offsets. */
int sg_input_take_pieces(struct sg_input *in, const struct sg_piece *p, size_t n,
			 const uint8_t *data, struct sg_err *err);
/* Reads exactly len bytes at file offset off from in->fp. */
int sg_input_pread(struct sg_input *in, uint64_t off, void *buf, size_t len, struct sg_err *err);

/* Text readers (text.c): a line reader over in->fp and a collector of
 * decoded data records. */
struct sg_text {
	const char *path;
	FILE *fp;
	unsigned long lineno; /* of the line last returned */
	/* line reader */
	uint8_t buf[64 * 1024];
	size_t pos, len;
	bool eof, after_cr;
	char line[SG_TEXT_LINE_MAX + 1];
	/* collected data */
	uint8_t *arena;
	size_t arena_len, arena_cap;
	struct sg_piece *runs;
	size_t nruns, runs_cap;
	/* second pass, run only to name the lines of an overlap */
	bool finding;
	uint64_t find_addr;
	unsigned long hits[2];
	size_t nhits;
};

typedef int (*sg_text_parser)(struct sg_text *t, struct sg_input *in, struct sg_err *err);

/* Next line without its terminator (LF, CRLF or CR) and, on line 1, without
 * a UTF-8 byte order mark. *line is NULL at end of file. */
int sg_text_line(struct sg_text *t, const char **line, size_t *len, struct sg_err *err);
/* Strips spaces and tabs from both ends of a line; returns how many led. */
size_t sg_text_trim(const char **s, size_t *n);
/* Decodes n hex digits (n even) of the current line, starting at 1-based
 * column col, into out. */
int sg_text_hex(struct sg_text *t, const char *s, size_t n, size_t col, uint8_t *out,
		struct sg_err *err);
/* Records n data bytes at addr from the current line. */
int sg_text_data(struct sg_text *t, uint64_t addr, const uint8_t *b, size_t n, struct sg_err *err);
/* Runs parse over in->fp, then sorts, checks and installs the segments. */
int sg_text_load(struct sg_input *in, sg_text_parser parse, struct sg_err *err);

int sg_ihex_parse(struct sg_text *t, struct sg_input *in, struct sg_err *err);
int sg_srec_parse(struct sg_text *t, struct sg_input *in, struct sg_err *err);
int sg_elf_load(struct sg_input *in, uint64_t file_size, struct sg_err *err);

#endif
