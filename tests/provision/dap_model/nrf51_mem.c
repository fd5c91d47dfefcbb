/* The nRF51's memory map for the probe model (nrf51_mem.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nrf51_mem.h"

#define FICR 0x10000000u
#define UICR 0x10001000u
#define RAM 0x20000000u
#define NVMC 0x4001E000u
#define DHCSR 0xE000EDF0u
#define DEMCR 0xE000EDFCu
#define RBPCONF 0x004u

struct nrf51_mem {
	struct nrf51_state *s;
	uint64_t deviceid;
	bool protected_all;
	uint32_t nvmc_config, dhcsr, demcr;
};

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static struct nrf51_state *state_map(const char *path)
{
	struct nrf51_state *s;
	struct stat st;
	int fd = -1;
	bool fresh = true;

	if (path) {
		if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0 || fstat(fd, &st) != 0)
			goto fail;
		fresh = st.st_size == 0;
		if (fresh ? ftruncate(fd, (off_t)sizeof *s) != 0 : (size_t)st.st_size != sizeof *s) {
			errno = EINVAL;
			goto fail;
		}
	}
	s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, path ? MAP_SHARED : MAP_PRIVATE | MAP_ANONYMOUS,
		 fd, 0);
	if (fd >= 0)
		close(fd);
	if (s == MAP_FAILED)
		return NULL;
	if (fresh) {
		memcpy(s->magic, NRF51_STATE_MAGIC, 8);
		memset(s->flash, 0xFF, sizeof s->flash);
		memset(s->uicr, 0xFF, sizeof s->uicr);
	}
	memset((char *)s + 8, 0, offsetof(struct nrf51_state, flash) - 8);
	return s;
fail:
	fprintf(stderr, "nrf51_mem: %s: %s\n", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return NULL;
}

struct nrf51_mem *nrf51_mem_open(const char *path, uint64_t deviceid)
{
	struct nrf51_mem *m = calloc(1, sizeof *m);

	if (!m || !(m->s = state_map(path))) {
		free(m);
		return NULL;
	}
	m->deviceid = deviceid;
	m->protected_all = (le32(m->s->uicr + RBPCONF) & 0xFF00) == 0;
	return m;
}

struct nrf51_state *nrf51_mem_state(struct nrf51_mem *m)
{
	return m->s;
}

void nrf51_mem_close(struct nrf51_mem *m)
{
	if (!m)
		return;
	m->s->halted = (m->dhcsr & 3) == 3;
	munmap(m->s, sizeof *m->s);
	free(m);
}

/* Flash or UICR through the NVMC: CONFIG=1 lets bits go 1 to 0. */
static void nvm_write(struct nrf51_mem *m, uint8_t *p, uint32_t v)
{
	if (m->nvmc_config != 1) {
		m->s->dropped_writes++;
		return;
	}
	put_le32(p, le32(p) & v);
}

static void nvmc_write(struct nrf51_mem *m, uint32_t off, uint32_t v)
{
	bool een = m->nvmc_config == 2;

	if (off == 0x504)
		m->nvmc_config = v & 3;
	else if ((off == 0x508 || off == 0x510) && een && v < NRF51_FLASH_SIZE && !(v & 0x3FF))
		memset(m->s->flash + v, 0xFF, 0x400);
	else if (off == 0x50C && een && (v & 1)) {
		memset(m->s->flash, 0xFF, NRF51_FLASH_SIZE);
		memset(m->s->uicr, 0xFF, NRF51_UICR_SIZE);
		m->protected_all = false;
	} else if (off == 0x514 && een && (v & 1))
		memset(m->s->uicr, 0xFF, NRF51_UICR_SIZE);
}

/* A word of flash, UICR or RAM, and whether it is flash-like (NVMC). */
static uint8_t *cell(struct nrf51_mem *m, uint32_t a, bool *nvm)
{
	*nvm = true;
	if (a < NRF51_FLASH_SIZE)
		return m->protected_all ? NULL : m->s->flash + a;
	if (a >= UICR && a < UICR + NRF51_UICR_SIZE)
		return m->s->uicr + (a - UICR);
	*nvm = false;
	if (a >= RAM && a < RAM + NRF51_RAM_SIZE)
		return m->s->ram + (a - RAM);
	return NULL;
}

static uint32_t ficr(const struct nrf51_mem *m, uint32_t off)
{
	switch (off) {
	case 0x10: return 0x400;
	case 0x14: return 0x100;
	case 0x60: return (uint32_t)m->deviceid;
	case 0x64: return (uint32_t)(m->deviceid >> 32);
	default: return 0xFFFFFFFFu;
	}
}

int nrf51_mem_read32(struct nrf51_mem *m, uint32_t a, uint32_t *v)
{
	bool nvm;
	uint8_t *p = (a & 3) ? NULL : cell(m, a, &nvm);

	if (p)
		*v = le32(p);
	else if (a >= FICR && a < FICR + 0x100 && !(a & 3))
		*v = ficr(m, a - FICR);
	else if (a == NVMC + 0x400)
		*v = 1; /* READY */
	else if (a == NVMC + 0x504)
		*v = m->nvmc_config;
	else if (a == DHCSR) /* S_REGRDY, S_HALT when C_HALT and C_DEBUGEN */
		*v = m->dhcsr | 1u << 16 | ((m->dhcsr & 3) == 3 ? 1u << 17 : 0);
	else if (a == DEMCR)
		*v = m->demcr;
	else if (a >= NVMC && a < NVMC + 0x1000 && !(a & 3))
		*v = 0;
	else
		return NRF51_BUS_FAULT;
	return 0;
}

int nrf51_mem_write32(struct nrf51_mem *m, uint32_t a, uint32_t v)
{
	bool nvm;
	uint8_t *p = (a & 3) ? NULL : cell(m, a, &nvm);

	if (p && nvm)
		nvm_write(m, p, v);
	else if (p)
		put_le32(p, v);
	else if (a >= FICR && a < FICR + 0x100 && !(a & 3))
		; /* read-only: ignored */
	else if (a >= NVMC && a < NVMC + 0x1000 && !(a & 3))
		nvmc_write(m, a - NVMC, v);
	else if (a == DHCSR) {
		if ((v >> 16) == 0xA05F)
			m->dhcsr = v & 3;
	} else if (a == DEMCR)
		m->demcr = v;
	else
		return NRF51_BUS_FAULT;
	return 0;
}
