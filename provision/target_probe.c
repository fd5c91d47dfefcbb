/* The "probe" member of a target profile (docs/provisioning.md §12): the
 * memory map a debug-probe fixture needs. Read after the rest of the
 * profile, since it must place the profile's slots and cover its lock. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "signet/protocol.h"
#include "target_priv.h"

/* A path like "probe.slots[1].address" for messages. */
struct where {
	char path[64];
	struct at at;
};

static const struct at *at(struct where *w, const char *file, struct sg_err *err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static const struct at *at(struct where *w, const char *file, struct sg_err *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->path, sizeof w->path, fmt, ap);
	va_end(ap);
	w->at = (struct at){file, w->path, err};
	return &w->at;
}

/* "0x" and 1 to 8 hex digits. */
static int hex32(const struct at *a, json_t *v, uint32_t *out)
{
	const char *s = json_is_string(v) ? json_string_value(v) : NULL;
	size_t n = s ? strlen(s) : 0;

	if (!v)
		return target_bad(a, "missing");
	if (!s || n < 3 || n > 10 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') ||
	    strspn(s + 2, "0123456789abcdefABCDEF") != n - 2)
		return target_bad(a, "must be a string of 0x and 1 to 8 hex digits");
	*out = (uint32_t)strtoul(s + 2, NULL, 16);
	return SG_OK;
}

static int aligned(const struct at *a, json_t *v, uint32_t align, uint32_t *out)
{
	int rc = hex32(a, v, out);

	if (rc == SG_OK && *out % align)
		return target_bad(a, "0x%x is not a multiple of %u", *out, align);
	return rc;
}

static int count(const struct at *a, json_t *v, long long lo, long long hi, uint32_t *out)
{
	if (!v)
		return target_bad(a, "missing");
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return target_bad(a, "must be a whole number from %lld to %lld", lo, hi);
	*out = (uint32_t)json_integer_value(v);
	return SG_OK;
}

static int list(const struct at *a, json_t *v, int required, size_t max)
{
	if (!v)
		return required ? target_bad(a, "missing") : SG_OK;
	if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > max)
		return target_bad(a, "must be a list of 1 to %zu objects", max);
	return SG_OK;
}

static int parse_identify(const char *file, json_t *v, struct sg_target_probe *p, struct sg_err *err)
{
	static const char *const known[] = {"address", "value", NULL};
	struct where w;
	json_t *e;
	size_t i;
	int rc;

	if ((rc = list(at(&w, file, err, "probe.identify"), v, 0, SG_PROBE_IDENTIFY)) != SG_OK || !v)
		return rc;
	json_array_foreach(v, i, e) {
		if ((rc = target_object(at(&w, file, err, "probe.identify[%zu]", i), e, 1)) != SG_OK ||
		    (rc = target_only(&w.at, e, known)) != SG_OK ||
		    (rc = aligned(at(&w, file, err, "probe.identify[%zu].address", i),
				  json_object_get(e, "address"), 4, &p->identify[i].addr)) != SG_OK ||
		    (rc = hex32(at(&w, file, err, "probe.identify[%zu].value", i), json_object_get(e, "value"),
				&p->identify[i].value)) != SG_OK)
			return rc;
	}
	p->n_identify = (unsigned)json_array_size(v);
	return SG_OK;
}

/* uid, ram and flash: one object each. */
static int parse_memory(const char *file, json_t *o, struct sg_target_probe *p, struct sg_err *err)
{
	static const char *const uid_known[] = {"address", "length", NULL};
	static const char *const ram_known[] = {"address", "size", NULL};
	static const char *const flash_known[] = {"controller", "registers", "page_size", NULL};
	static const char *const controllers[] = {"nrf-nvmc", NULL};
	json_t *uid = json_object_get(o, "uid"), *ram = json_object_get(o, "ram"),
	       *flash = json_object_get(o, "flash");
	struct where w;
	int which, rc;

	if ((rc = target_object(at(&w, file, err, "probe.uid"), uid, 1)) != SG_OK ||
	    (rc = target_only(&w.at, uid, uid_known)) != SG_OK ||
	    (rc = aligned(at(&w, file, err, "probe.uid.address"), json_object_get(uid, "address"), 4,
			  &p->uid_addr)) != SG_OK ||
	    (rc = count(at(&w, file, err, "probe.uid.length"), json_object_get(uid, "length"), 4,
			SGP_UID_MAX, &p->uid_len)) != SG_OK)
		return rc;
	if (p->uid_len % 4)
		return target_bad(&w.at, "must be a multiple of 4");
	if ((rc = target_object(at(&w, file, err, "probe.ram"), ram, 1)) != SG_OK ||
	    (rc = target_only(&w.at, ram, ram_known)) != SG_OK ||
	    (rc = aligned(at(&w, file, err, "probe.ram.address"), json_object_get(ram, "address"), 4,
			  &p->ram_addr)) != SG_OK ||
	    (rc = count(at(&w, file, err, "probe.ram.size"), json_object_get(ram, "size"), 2048,
			16 * 1024 * 1024, &p->ram_size)) != SG_OK)
		return rc;
	if (p->ram_size % 4 || (uint64_t)p->ram_addr + p->ram_size > 0x100000000ull)
		return target_bad(&w.at, "must be a multiple of 4 that fits the address space");
	if ((rc = target_object(at(&w, file, err, "probe.flash"), flash, 1)) != SG_OK ||
	    (rc = target_only(&w.at, flash, flash_known)) != SG_OK ||
	    (rc = target_one_of(at(&w, file, err, "probe.flash.controller"),
				json_object_get(flash, "controller"), controllers, &which)) != SG_OK ||
	    (rc = aligned(at(&w, file, err, "probe.flash.registers"), json_object_get(flash, "registers"),
			  4, &p->nvmc)) != SG_OK ||
	    (rc = count(at(&w, file, err, "probe.flash.page_size"), json_object_get(flash, "page_size"),
			256, 65536, &p->page_size)) != SG_OK)
		return rc;
	return (p->page_size & (p->page_size - 1)) ? target_bad(&w.at, "must be a power of 2") : SG_OK;
}

static int parse_routine(const char *file, json_t *r, struct sg_target_probe *p, struct sg_err *err)
{
	static const char *const known[] = {"code", "stop", NULL};
	json_t *code = json_object_get(r, "code");
	const char *hex = json_is_string(code) ? json_string_value(code) : "";
	size_t n = strlen(hex);
	struct where w;
	int rc;

	if (!r)
		return SG_OK;
	if ((rc = target_object(at(&w, file, err, "probe.routine"), r, 1)) != SG_OK ||
	    (rc = target_only(&w.at, r, known)) != SG_OK)
		return rc;
	at(&w, file, err, "probe.routine.code");
	if (!json_is_string(code) || n == 0 || n % 4 || n / 2 > SG_PROBE_ROUTINE_MAX ||
	    strspn(hex, "0123456789abcdefABCDEF") != n)
		return target_bad(&w.at, "must be hex of whole 16-bit Thumb instructions, at most %d bytes",
				  SG_PROBE_ROUTINE_MAX);
	for (size_t i = 0; i < n / 2; i++) {
		unsigned b;
		sscanf(hex + 2 * i, "%2x", &b); // NOLINT(cert-err33-c,cert-err34-c): hex, tested above
		p->routine[i] = (uint8_t)b;
	}
	p->routine_len = (uint32_t)(n / 2);
	if ((rc = aligned(at(&w, file, err, "probe.routine.stop"), json_object_get(r, "stop"), 2,
			  &p->routine_stop)) != SG_OK)
		return rc;
	if (p->routine_stop >= p->routine_len)
		return target_bad(&w.at, "0x%x is past the routine's %u bytes", p->routine_stop, p->routine_len);
	/* the routine, then its buffer of at least a page, then a stack */
	if (SG_PROBE_ROUTINE_MAX + p->page_size + 256 > p->ram_size)
		return target_bad(&w.at, "probe.ram is too small for the routine, a page and a stack");
	return SG_OK;
}

static int parse_slot(const char *file, json_t *e, size_t i, struct sg_target_probe *p, struct sg_err *err)
{
	static const char *const known[] = {"id", "address", "pages", "secret", NULL};
	json_t *secret = json_object_get(e, "secret");
	struct where w;
	uint32_t id;
	int rc;

	if ((rc = target_object(at(&w, file, err, "probe.slots[%zu]", i), e, 1)) != SG_OK ||
	    (rc = target_only(&w.at, e, known)) != SG_OK ||
	    (rc = count(at(&w, file, err, "probe.slots[%zu].id", i), json_object_get(e, "id"), 1, 255, &id)) !=
		    SG_OK ||
	    (rc = aligned(at(&w, file, err, "probe.slots[%zu].address", i), json_object_get(e, "address"),
			  p->page_size, &p->slots[i].addr)) != SG_OK ||
	    (rc = count(at(&w, file, err, "probe.slots[%zu].pages", i), json_object_get(e, "pages"), 1, 64,
			&p->slots[i].pages)) != SG_OK)
		return rc;
	if (secret && !json_is_boolean(secret))
		return target_bad(at(&w, file, err, "probe.slots[%zu].secret", i), "must be true or false");
	// NOLINTNEXTLINE(clang-analyzer-core.uninitialized.Assign): count() set id: it returned SG_OK
	p->slots[i].id = (uint8_t)id;
	p->slots[i].secret = json_is_true(secret);
	for (size_t j = 0; j < i; j++) {
		uint64_t a0 = p->slots[j].addr, a1 = a0 + (uint64_t)p->slots[j].pages * p->page_size;
		uint64_t b0 = p->slots[i].addr, b1 = b0 + (uint64_t)p->slots[i].pages * p->page_size;
		if (p->slots[j].id == id)
			return target_bad(&w.at, "slot %u is given twice", id);
		if (b0 < a1 && a0 < b1)
			return target_bad(&w.at, "overlaps probe.slots[%zu]", j);
	}
	return SG_OK;
}

static int find_slot(const struct sg_target_probe *p, uint8_t id)
{
	for (unsigned i = 0; i < p->n_slots; i++)
		if (p->slots[i].id == id)
			return (int)i;
	return -1;
}

/* Every slot the profile names is placed, and the key's is secret. */
static int parse_slots(const char *file, json_t *v, struct sg_target *t, struct sg_err *err)
{
	struct sg_target_probe *p = &t->probe;
	const uint8_t need[] = {t->slot_cert, t->slot_chain, t->slot_key};
	struct where w;
	json_t *e;
	size_t i;
	int rc;

	if ((rc = list(at(&w, file, err, "probe.slots"), v, 1, SG_PROBE_SLOTS)) != SG_OK)
		return rc;
	json_array_foreach(v, i, e) {
		if ((rc = parse_slot(file, e, i, p, err)) != SG_OK)
			return rc;
		p->n_slots = (unsigned)i + 1;
	}
	at(&w, file, err, "probe.slots");
	for (i = 0; i < sizeof need; i++)
		if (need[i] && find_slot(p, need[i]) < 0)
			return target_bad(&w.at, "slot %u of the profile's slots has no place", need[i]);
	if (t->slot_key && !p->slots[find_slot(p, t->slot_key)].secret)
		return target_bad(&w.at, "the key's slot %u must be \"secret\": true", t->slot_key);
	return SG_OK;
}

static int parse_locks(const char *file, json_t *v, struct sg_target *t, struct sg_err *err)
{
	static const char *const known[] = {"bits", "address", "mask", "value", NULL};
	struct sg_target_probe *p = &t->probe;
	uint32_t all = 0;
	struct where w;
	json_t *e;
	size_t i;
	int rc;

	if ((rc = list(at(&w, file, err, "probe.lock"), v, t->has_lock, SG_PROBE_LOCKS)) != SG_OK || !v)
		return rc;
	json_array_foreach(v, i, e) {
		if ((rc = target_object(at(&w, file, err, "probe.lock[%zu]", i), e, 1)) != SG_OK ||
		    (rc = target_only(&w.at, e, known)) != SG_OK ||
		    (rc = target_lock_bits(at(&w, file, err, "probe.lock[%zu].bits", i), json_object_get(e, "bits"),
					   &p->locks[i].bits)) != SG_OK ||
		    (rc = aligned(at(&w, file, err, "probe.lock[%zu].address", i), json_object_get(e, "address"),
				  4, &p->locks[i].addr)) != SG_OK ||
		    (rc = hex32(at(&w, file, err, "probe.lock[%zu].mask", i), json_object_get(e, "mask"),
				&p->locks[i].mask)) != SG_OK ||
		    (rc = hex32(at(&w, file, err, "probe.lock[%zu].value", i), json_object_get(e, "value"),
				&p->locks[i].value)) != SG_OK)
			return rc;
		if (p->locks[i].mask == 0 || (p->locks[i].value & ~p->locks[i].mask))
			return target_bad(&w.at, "must be non-zero and hold every bit of value");
		all |= p->locks[i].bits;
	}
	p->n_locks = (unsigned)json_array_size(v);
	if (t->has_lock && (t->lock_expect & ~all))
		return target_bad(at(&w, file, err, "probe.lock"), "does not say how to set or read every bit "
				  "of lock.bits and lock.expect");
	return SG_OK;
}

int target_parse_probe(const char *file, json_t *o, struct sg_target *t, struct sg_err *err)
{
	static const char *const known[] = {"identify", "uid", "ram", "flash", "routine", "slots", "lock", NULL};
	struct where w;
	int rc;

	if ((rc = target_object(at(&w, file, err, "probe"), o, 1)) != SG_OK ||
	    (rc = target_only(&w.at, o, known)) != SG_OK)
		return rc;
	if (t->key_mode != SG_KEY_INJECT)
		return target_bad(&w.at, "a probe writes the device's key: key.mode must be \"inject\"");
	if ((rc = parse_identify(file, json_object_get(o, "identify"), &t->probe, err)) != SG_OK ||
	    (rc = parse_memory(file, o, &t->probe, err)) != SG_OK ||
	    (rc = parse_routine(file, json_object_get(o, "routine"), &t->probe, err)) != SG_OK ||
	    (rc = parse_slots(file, json_object_get(o, "slots"), t, err)) != SG_OK ||
	    (rc = parse_locks(file, json_object_get(o, "lock"), t, err)) != SG_OK)
		return rc;
	t->probe.present = 1;
	return SG_OK;
}
