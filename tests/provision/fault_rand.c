/* A fault for the station's tests (test_station_env.sh): OpenSSL's
 * RAND_bytes, preloaded in front of libcrypto's, fails for the program's
 * own requests of LEN bytes from the Nth such request on
 * (SIGNET_FAULT_RAND=LEN:N), so that the station finds no randomness for a
 * nonce in the middle of a unit. Requests from libraries (libcrypto itself,
 * the token) and every other request are libcrypto's own. */
#include <dlfcn.h>
#include <link.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int RAND_bytes(unsigned char *buf, int num);

/* dl_iterate_phdr reports the program first: whether addr is in its code. */
static int in_program(struct dl_phdr_info *info, size_t size, void *arg)
{
	uintptr_t addr = *(uintptr_t *)arg;
	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *p = &info->dlpi_phdr[i];
		uintptr_t start = info->dlpi_addr + p->p_vaddr;
		if (p->p_type == PT_LOAD && addr >= start && addr - start < p->p_memsz)
			return 1;
	}
	return -1; /* the first object only */
}

int RAND_bytes(unsigned char *buf, int num)
{
	static unsigned long seen;
	uintptr_t caller = (uintptr_t)__builtin_return_address(0);
	const char *spec = getenv("SIGNET_FAULT_RAND");
	unsigned long len, from;
	if (spec && sscanf(spec, "%lu:%lu", &len, &from) == 2 && num >= 0 &&
	    (unsigned long)num == len && dl_iterate_phdr(in_program, &caller) == 1 &&
	    __atomic_add_fetch(&seen, 1, __ATOMIC_SEQ_CST) >= from)
		return 0;
	void *sym = dlsym(RTLD_NEXT, "RAND_bytes");
	int (*real)(unsigned char *, int);
	if (!sym)
		return 0;
	memcpy(&real, &sym, sizeof real);
	return real(buf, num);
}
