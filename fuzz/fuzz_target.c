/* libFuzzer harness for target profiles (provision/target.c): any bytes
 * either load as a profile whose fields keep their documented limits, or
 * are refused with one line naming the file. Seeds: the shipped profiles
 * and an inject-mode Matter profile. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "signet/protocol.h"
#include "signet/target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sg_target t;
	struct sg_err err = {0};
	char subject[512];

	if (sg_target_parse(data, size, "fuzz.json", &t, &err) != SG_OK) {
		if (strncmp(err.msg, "fuzz.json: ", 11) || strchr(err.msg, '\n'))
			abort();
		return 0;
	}
	if (!t.name[0] || !t.chip[0] || !t.slot_cert || !t.subject[0] ||
	    (t.key_mode == SG_KEY_INJECT) != (t.slot_key != 0) ||
	    (t.has_lock && (!t.lock_bits || (t.lock_bits & ~SGP_LOCK_ALL) ||
			    (t.lock_expect & t.lock_bits) != t.lock_bits)))
		abort();
	if (sg_target_subject(&t, "00112233445566778899aabbccddeeff", subject, sizeof subject, &err) == SG_OK &&
	    strstr(subject, "{uid}"))
		abort();
	return 0;
}
