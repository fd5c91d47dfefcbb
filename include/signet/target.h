/* Target profiles (docs/provisioning.md §8): what a device is, how its key
 * is made, which certificate it gets, where things go and how it locks,
 * read from a JSON file with jansson and checked member by member. Every
 * error names the file, the member's path and the reason (SG_EINPUT). */
#ifndef SIGNET_TARGET_H
#define SIGNET_TARGET_H

#include <stddef.h>
#include <stdint.h>

#include "signet/err.h"
#include "signet/pki.h"

enum sg_key_mode { SG_KEY_DEVICE = 1, SG_KEY_INJECT };
enum sg_key_format { SG_KEY_FORMAT_NONE = 0, SG_KEY_FORMAT_RAW, SG_KEY_FORMAT_PKCS8_DER };

#define SG_PROBE_SLOTS 4
#define SG_PROBE_LOCKS 4
#define SG_PROBE_IDENTIFY 4
#define SG_PROBE_ROUTINE_MAX 256

/* The "probe" member: how the station reaches a chip with no firmware
 * through a debug probe (docs/provisioning.md §12). Addresses and lengths
 * are word-aligned. */
struct sg_target_probe {
	int present;
	struct {
		uint32_t addr, value;
	} identify[SG_PROBE_IDENTIFY]; /* words that must read so for `chip` */
	unsigned n_identify;
	uint32_t uid_addr, uid_len;
	uint32_t ram_addr, ram_size;
	uint32_t nvmc;      /* flash.controller "nrf-nvmc": its registers */
	uint32_t page_size;
	uint8_t routine[SG_PROBE_ROUTINE_MAX]; /* loaded at ram_addr; may be empty */
	uint32_t routine_len, routine_stop;   /* stop: offset of the breakpoint */
	struct {
		uint8_t id;
		int secret;
		uint32_t addr, pages;
	} slots[SG_PROBE_SLOTS];
	unsigned n_slots;
	struct {
		uint32_t bits, addr, mask, value; /* bits hold when (word & mask) == value */
	} locks[SG_PROBE_LOCKS];
	unsigned n_locks;
};

struct sg_target {
	char name[65];         /* a token: recorded in unit.started */
	char description[257];
	char chip[33];         /* the CHIP the device must report */
	enum sg_key_mode key_mode;
	enum sg_key_format key_format; /* inject mode only */
	enum sg_pki_profile cert_profile; /* SG_PROF_IDEVID or SG_PROF_MATTER_DAC */
	char subject[256];     /* "/K=V/..." with {uid} where the UID goes */
	char hw_type[128];     /* idevid */
	char vid[5], pid[5];   /* matter-dac, normalised */
	long long validity_days; /* > 0, SG_PKI_FOREVER, or 0: the CA's notAfter */
	uint8_t slot_cert, slot_chain, slot_key; /* 0: none (chain, key) */
	int has_lock;
	char lock_name[65];
	uint32_t lock_bits, lock_expect; /* SGP_LOCK_* */
	struct sg_target_probe probe;
};

/* Reads and checks the profile at path (at most 64 KiB). */
int sg_target_load(const char *path, struct sg_target *t, struct sg_err *err);

/* The same from bytes; name is what messages call them. */
int sg_target_parse(const uint8_t *json, size_t len, const char *name, struct sg_target *t,
		    struct sg_err *err);

/* The subject for a device: t->subject with each {uid} replaced by
 * uid_hex. SG_EINPUT if it does not fit n. */
int sg_target_subject(const struct sg_target *t, const char *uid_hex, char *out, size_t n,
		      struct sg_err *err);

#endif
