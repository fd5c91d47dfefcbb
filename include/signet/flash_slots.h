/* Protocol slots kept in NOR flash pages (docs/provisioning.md §12): one
 * layout shared by the nRF51 provisioning firmware and the station's
 * probe fixtures, so a slot written one way reads back the other.
 *
 * A slot is whole erase pages at a page-aligned address. Its first
 * SG_FLASH_LOG_WORDS 32-bit little-endian words are a length log: the
 * slot's length is the last word that is not 0xFFFFFFFF (0 when all are
 * erased), and its bytes follow the log. An append programs the bytes,
 * then the next log word: a write torn by a power cut shows the old
 * length, never bytes that are not there. Flash only clears bits, so a
 * word shared by two appends is programmed twice, with 0xFF in the bytes
 * that are not its own (nRF51: at most twice per word between erases).
 *
 * Contract: C99, no heap; the flash is behind struct sg_flash_ops (word
 * addresses, word counts); every call returns SGP_OK or an SGP_* status. */
#ifndef SIGNET_FLASH_SLOTS_H
#define SIGNET_FLASH_SLOTS_H

#include <stddef.h>
#include <stdint.h>

#define SG_FLASH_LOG_WORDS 16u
#define SG_FLASH_HEADER (4u * SG_FLASH_LOG_WORDS)

struct sg_flash_ops {
	void *ctx;
	uint32_t page_size;
	int (*read)(void *ctx, uint32_t addr, uint32_t *words, uint32_t n);
	int (*erase_page)(void *ctx, uint32_t addr);
	int (*program)(void *ctx, uint32_t addr, const uint32_t *words, uint32_t n);
};

struct sg_flash_slot {
	uint32_t addr;  /* page-aligned */
	uint32_t pages; /* >= 1 */
};

/* The bytes a slot holds at most. */
static inline uint32_t sg_flash_slot_capacity(const struct sg_flash_ops *f, const struct sg_flash_slot *s)
{
	return s->pages * f->page_size - SG_FLASH_HEADER;
}

int sg_flash_slot_length(const struct sg_flash_ops *f, const struct sg_flash_slot *s, uint32_t *len);
int sg_flash_slot_read(const struct sg_flash_ops *f, const struct sg_flash_slot *s, uint32_t off,
		       uint8_t *buf, uint32_t n);
int sg_flash_slot_erase(const struct sg_flash_ops *f, const struct sg_flash_slot *s);
/* Appends n bytes at off, which must be the slot's length (SGP_BAD_ARGUMENT
 * otherwise); SGP_FULL past the capacity or when the log is full. */
int sg_flash_slot_append(const struct sg_flash_ops *f, const struct sg_flash_slot *s, uint32_t off,
			 const uint8_t *buf, uint32_t n);

#endif
