/* Protocol slots in flash pages: the length log and word-wise appends.
 * See signet/flash_slots.h for the layout. */
#include <string.h>

#include "signet/flash_slots.h"
#include "signet/protocol.h"

#define ERASED 0xFFFFFFFFu
#define CHUNK_WORDS 16u /* what one read or program call moves, on the stack */

static uint32_t load_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The index of the last programmed log word, or -1, and the length it says. */
static int read_log(const struct sg_flash_ops *f, const struct sg_flash_slot *s, int *last, uint32_t *len)
{
	uint32_t log[SG_FLASH_LOG_WORDS];
	int st = f->read(f->ctx, s->addr, log, SG_FLASH_LOG_WORDS);

	if (st != SGP_OK)
		return st;
	*last = -1;
	*len = 0;
	for (unsigned i = 0; i < SG_FLASH_LOG_WORDS; i++)
		if (log[i] != ERASED) {
			*last = (int)i;
			*len = log[i];
		}
	/* A length past the capacity is not one this layout wrote. */
	return *len > sg_flash_slot_capacity(f, s) ? SGP_HARDWARE : SGP_OK;
}

int sg_flash_slot_length(const struct sg_flash_ops *f, const struct sg_flash_slot *s, uint32_t *len)
{
	int last;

	return read_log(f, s, &last, len);
}

int sg_flash_slot_read(const struct sg_flash_ops *f, const struct sg_flash_slot *s, uint32_t off,
		       uint8_t *buf, uint32_t n)
{
	uint32_t words[CHUNK_WORDS];
	uint32_t pos = off & ~3u, end = off + n;

	if (off > sg_flash_slot_capacity(f, s) || n > sg_flash_slot_capacity(f, s) - off)
		return SGP_BAD_ARGUMENT;
	while (pos < end) {
		uint32_t nw = (end - pos + 3) / 4;
		int st;

		if (nw > CHUNK_WORDS)
			nw = CHUNK_WORDS;
		if ((st = f->read(f->ctx, s->addr + SG_FLASH_HEADER + pos, words, nw)) != SGP_OK)
			return st;
		for (uint32_t i = 0; i < nw * 4; i++, pos++)
			if (pos >= off && pos < end)
				buf[pos - off] = (uint8_t)(words[i / 4] >> (8 * (i % 4)));
	}
	return SGP_OK;
}

int sg_flash_slot_erase(const struct sg_flash_ops *f, const struct sg_flash_slot *s)
{
	for (uint32_t i = 0; i < s->pages; i++) {
		int st = f->erase_page(f->ctx, s->addr + i * f->page_size);

		if (st != SGP_OK)
			return st;
	}
	return SGP_OK;
}

/* Programs buf at byte offset pos of the data area, word by word, with 0xFF
 * in the bytes of each word that are not buf's (they stay erased). */
static int program_bytes(const struct sg_flash_ops *f, const struct sg_flash_slot *s, uint32_t pos,
			 const uint8_t *buf, uint32_t n)
{
	uint32_t words[CHUNK_WORDS];
	uint32_t start = pos & ~3u, end = pos + n;

	while (start < end) {
		uint8_t bytes[4 * CHUNK_WORDS];
		uint32_t nw = (end - start + 3) / 4;
		int st;

		if (nw > CHUNK_WORDS)
			nw = CHUNK_WORDS;
		memset(bytes, 0xFF, sizeof bytes);
		for (uint32_t i = 0; i < nw * 4; i++)
			if (start + i >= pos && start + i < end)
				bytes[i] = buf[start + i - pos];
		for (uint32_t i = 0; i < nw; i++)
			words[i] = load_le32(bytes + 4 * i);
		if ((st = f->program(f->ctx, s->addr + SG_FLASH_HEADER + start, words, nw)) != SGP_OK)
			return st;
		start += nw * 4;
	}
	return SGP_OK;
}

int sg_flash_slot_append(const struct sg_flash_ops *f, const struct sg_flash_slot *s, uint32_t off,
			 const uint8_t *buf, uint32_t n)
{
	uint32_t len, word;
	int last, st;

	if ((st = read_log(f, s, &last, &len)) != SGP_OK)
		return st;
	if (off != len)
		return SGP_BAD_ARGUMENT;
	if (n > sg_flash_slot_capacity(f, s) - len || last + 1 >= (int)SG_FLASH_LOG_WORDS)
		return SGP_FULL;
	if (n == 0)
		return SGP_OK;
	if ((st = program_bytes(f, s, off, buf, n)) != SGP_OK)
		return st;
	word = off + n;
	return f->program(f->ctx, s->addr + 4u * (uint32_t)(last + 1), &word, 1);
}
