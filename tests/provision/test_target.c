/* Target profiles (provision/target.c): the shipped ones load, and every
 * way a profile can be wrong is refused with the file, the member's path
 * and the reason. Each bad case is the shipped sim profile with one member
 * changed, so each checks one rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "signet/protocol.h"
#include "signet/target.h"

static char sim_path[4096], nrf51_path[4096];

static void test_shipped_sim(void **state)
{
	struct sg_target t;
	struct sg_err err = {0};
	char subject[300];
	(void)state;

	if (sg_target_load(sim_path, &t, &err) != SG_OK)
		fail_msg("%s", err.msg);
	assert_string_equal(t.name, "sim");
	assert_string_equal(t.chip, "sim");
	assert_int_equal(t.key_mode, SG_KEY_DEVICE);
	assert_int_equal(t.cert_profile, SG_PROF_IDEVID);
	assert_string_equal(t.hw_type, "1.3.6.1.4.1.55555.1.1");
	assert_int_equal(t.validity_days, 0); /* the CA's notAfter */
	assert_int_equal(t.slot_cert, SGP_SLOT_CERT);
	assert_int_equal(t.slot_chain, SGP_SLOT_CHAIN);
	assert_int_equal(t.slot_key, 0);
	assert_true(t.has_lock);
	assert_int_equal(t.lock_bits, SGP_LOCK_ALL);
	assert_int_equal(t.lock_expect, SGP_LOCK_ALL);
	assert_int_equal(sg_target_subject(&t, "53494d0000002a01", subject, sizeof subject, &err), SG_OK);
	assert_string_equal(subject, "/O=Example Devices/CN=sim 53494d0000002a01");
	assert_int_equal(sg_target_subject(&t, "53494d0000002a01", subject, 20, &err), SG_EINPUT);
}

/* The sim profile with the member at path (a.b) set to value (a JSON
 * text; NULL deletes it), parsed. Returns the status; err has the message. */
static int mutated_from(const char *base, const char *path, const char *value, struct sg_target *t,
			struct sg_err *err)
{
	json_error_t je;
	json_t *root = json_load_file(base, 0, &je), *obj = root;
	char key[64];
	const char *dot;

	assert_non_null(root);
	while ((dot = strchr(path, '.'))) {
		snprintf(key, sizeof key, "%.*s", (int)(dot - path), path);
		obj = json_object_get(obj, key);
		assert_non_null(obj);
		path = dot + 1;
	}
	if (value) {
		json_t *v = json_loads(value, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
		assert_non_null(v);
		json_object_set_new(obj, path, v);
	} else {
		json_object_del(obj, path);
	}
	char *text = json_dumps(root, 0);
	int rc = sg_target_parse((const uint8_t *)text, strlen(text), "x.json", t, err);
	free(text);
	json_decref(root);
	return rc;
}

static int mutated(const char *path, const char *value, struct sg_target *t, struct sg_err *err)
{
	return mutated_from(sim_path, path, value, t, err);
}

static const struct bad_case {
	const char *path, *value, *message;
} bad_cases[] = {
	{"signet_target", "2", "x.json: signet_target: must be 1"},
	{"signet_target", NULL, "x.json: signet_target: must be 1"},
	{"nmae", "\"sim\"", "x.json: nmae: not a member of (top)"},
	{"name", "\"Sim Device\"", "x.json: name: 'Sim Device' is not a token"},
	{"name", "\"\"", "x.json: name: must be 1 to 64 characters"},
	{"name", NULL, "x.json: name: missing"},
	{"chip", "\"s i m\"", "x.json: chip: must be printable ASCII without spaces"},
	{"chip", "7", "x.json: chip: must be a string"},
	{"description", "\"a\\u0000b\"", "x.json: line 1"}, /* jansson refuses \u0000 */
	{"key", "[]", "x.json: key: must be an object"},
	{"key.mode", "\"fuse\"", "x.json: key.mode: 'fuse' is not one of: device, inject"},
	{"key.alg", "\"ed25519\"", "x.json: key.alg: 'ed25519' is not one of"},
	{"key.format", "\"raw\"", "x.json: key.format: only for key.mode \"inject\""},
	{"key.extractable", "true", "x.json: extractable: not a member of key"},
	{"certificate.profile", "\"code-signing\"", "x.json: certificate.profile: 'code-signing' is not one of: idevid, matter-dac"},
	{"certificate.subject", "\"CN=no slash\"", "x.json: certificate.subject:"},
	{"certificate.subject", NULL, "x.json: certificate.subject: missing"},
	{"certificate.hw_type", "\"not an oid\"", "x.json: certificate.hw_type: 'not an oid' is not a dotted OID"},
	{"certificate.hw_type", NULL, "x.json: certificate.hw_type: missing"},
	{"certificate.vid", "\"fff1\"", "x.json: certificate.vid: only for matter-dac"},
	{"certificate.validity", "0", "x.json: certificate.validity: must be days"},
	{"certificate.validity", "\"never\"", "x.json: certificate.validity: must be days"},
	{"slots.cert", "0", "x.json: slots.cert: must be a slot id from 1 to 255"},
	{"slots.cert", "256", "x.json: slots.cert: must be a slot id"},
	{"slots.cert", "\"1\"", "x.json: slots.cert: must be a slot id"},
	{"slots.cert", NULL, "x.json: slots.cert: missing"},
	{"slots.chain", "1", "x.json: slots: two things in one slot"},
	{"slots.key", "3", "x.json: slots.key: only for key.mode \"inject\""},
	{"lock.bits", "[]", "x.json: lock.bits: must be a list"},
	{"lock.bits", "[\"slots\", \"slots\"]", "x.json: lock.bits: names 'slots' twice"},
	{"lock.bits", "[\"fuses\"]", "x.json: lock.bits: 'fuses' is not one of"},
	{"lock.bits", NULL, "x.json: lock.bits: missing"},
	{"lock.expect", "[\"slots\"]", "x.json: lock.expect: must include every bit the lock sets"},
	{"lock.name", "\"Sim Lock\"", "x.json: lock.name: 'Sim Lock' is not a token"},
	{"lock.lock", "1", "x.json: lock: not a member of lock"},
};

static void test_each_rule(void **state)
{
	struct sg_target t;
	(void)state;

	for (size_t i = 0; i < sizeof bad_cases / sizeof *bad_cases; i++) {
		const struct bad_case *c = &bad_cases[i];
		struct sg_err err = {0};
		int rc = mutated(c->path, c->value, &t, &err);
		if (rc != SG_EINPUT || !strstr(err.msg, c->message))
			fail_msg("%s = %s: got %d '%s', wanted '%s'", c->path, c->value ? c->value : "(deleted)",
				 rc, err.msg, c->message);
	}
}

static void test_variants(void **state)
{
	struct sg_target t;
	struct sg_err err = {0};
	(void)state;

	/* no lock step at all */
	assert_int_equal(mutated("lock", NULL, &t, &err), SG_OK);
	assert_false(t.has_lock);
	/* a read-back that shows more than the lock sets */
	assert_int_equal(mutated("lock.bits", "[\"slots\"]", &t, &err), SG_OK);
	assert_int_equal(t.lock_bits, SGP_LOCK_SLOTS);
	assert_int_equal(t.lock_expect, SGP_LOCK_SLOTS);
	assert_int_equal(mutated("certificate.validity", "3650", &t, &err), SG_OK);
	assert_int_equal(t.validity_days, 3650);
	/* duplicate members and bad JSON name the place */
	const char dup[] = "{\"signet_target\": 1, \"signet_target\": 1}";
	assert_int_equal(sg_target_parse((const uint8_t *)dup, sizeof dup - 1, "d.json", &t, &err), SG_EINPUT);
	assert_non_null(strstr(err.msg, "d.json: line 1"));
	assert_non_null(strstr(err.msg, "duplicate"));
	/* jansson quotes the input near an error: no newline or raw byte gets
	 * into the one-line message (found by fuzz_target) */
	const char echo[] = "{\"certificate\":{\"pro\\\n\xa6\xff\x7f\":1}}";
	assert_int_equal(sg_target_parse((const uint8_t *)echo, sizeof echo - 1, "n.json", &t, &err), SG_EINPUT);
	assert_null(strchr(err.msg, '\n'));
	for (const char *p = err.msg; *p; p++)
		assert_true(*p >= 0x20 && *p <= 0x7e);
	const char member[] = "{\"sig\\net_target\":1, \"name\": \"a\\tb\"}";
	assert_int_equal(sg_target_parse((const uint8_t *)member, sizeof member - 1, "m.json", &t, &err), SG_EINPUT);
	assert_string_equal(err.msg, "m.json: sig?et_target: not a member of (top)");
	assert_int_equal(sg_target_parse((const uint8_t *)"{", 1, "e.json", &t, &err), SG_EINPUT);
	assert_non_null(strstr(err.msg, "e.json: line 1"));
	assert_int_equal(sg_target_load("/nonexistent/t.json", &t, &err), SG_EINPUT);
	assert_non_null(strstr(err.msg, "/nonexistent/t.json: cannot open"));
}

/* Inject mode and Matter, built from the sim profile. */
static void test_inject_and_matter(void **state)
{
	const char inject[] =
		"{\"signet_target\":1,\"name\":\"bare\",\"chip\":\"bare-m0\","
		"\"key\":{\"mode\":\"inject\",\"alg\":\"ecdsa-p256\",\"format\":\"pkcs8-der\"},"
		"\"certificate\":{\"profile\":\"matter-dac\",\"subject\":\"/CN=Matter DAC {uid}\","
		"\"vid\":\"0xfff1\",\"pid\":\"8000\"},"
		"\"slots\":{\"cert\":1,\"key\":3}}";
	struct sg_target t;
	struct sg_err err = {0};
	(void)state;

	if (sg_target_parse((const uint8_t *)inject, sizeof inject - 1, "i.json", &t, &err) != SG_OK)
		fail_msg("%s", err.msg);
	assert_int_equal(t.key_mode, SG_KEY_INJECT);
	assert_int_equal(t.key_format, SG_KEY_FORMAT_PKCS8_DER);
	assert_int_equal(t.cert_profile, SG_PROF_MATTER_DAC);
	assert_string_equal(t.vid, "FFF1");
	assert_string_equal(t.pid, "8000");
	assert_int_equal(t.slot_key, 3);
	assert_int_equal(t.validity_days, 0);
	/* inject without a key slot, or without a format; Matter without a pid */
	char text[sizeof inject + 16];
	snprintf(text, sizeof text, "%s", inject);
	*strstr(text, ",\"key\":3") = 0;
	strcat(text, "}}");
	assert_int_equal(sg_target_parse((const uint8_t *)text, strlen(text), "i.json", &t, &err), SG_EINPUT);
	assert_non_null(strstr(err.msg, "i.json: slots.key: missing"));
	snprintf(text, sizeof text, "%s", inject);
	memcpy(strstr(text, "\"pid\""), "\"pXd\"", 5);
	assert_int_equal(sg_target_parse((const uint8_t *)text, strlen(text), "i.json", &t, &err), SG_EINPUT);
	assert_non_null(strstr(err.msg, "i.json: pXd: not a member of certificate"));
	snprintf(text, sizeof text, "%s", inject);
	memcpy(strstr(text, "\"8000\""), "\"8g00\"", 6);
	assert_int_equal(sg_target_parse((const uint8_t *)text, strlen(text), "i.json", &t, &err), SG_EINPUT);
	assert_non_null(strstr(err.msg, "i.json: certificate.pid: "));
}

static void test_shipped_nrf51(void **state)
{
	struct sg_target t;
	struct sg_err err = {0};
	(void)state;

	if (sg_target_load(nrf51_path, &t, &err) != SG_OK)
		fail_msg("%s", err.msg);
	assert_int_equal(t.key_mode, SG_KEY_INJECT);
	assert_true(t.probe.present);
	assert_int_equal(t.probe.n_identify, 2);
	assert_int_equal(t.probe.uid_addr, 0x10000060);
	assert_int_equal(t.probe.uid_len, 8);
	assert_int_equal(t.probe.ram_addr, 0x20000000);
	assert_int_equal(t.probe.page_size, 1024);
	assert_int_equal(t.probe.nvmc, 0x4001E000);
	assert_int_equal(t.probe.routine_stop, 0x36);
	assert_int_equal(t.probe.n_slots, 3);
	assert_int_equal(t.probe.slots[2].id, 3);
	assert_true(t.probe.slots[2].secret);
	assert_int_equal(t.probe.slots[1].pages, 2);
	assert_int_equal(t.probe.n_locks, 1);
	assert_int_equal(t.probe.locks[0].bits, SGP_LOCK_READBACK | SGP_LOCK_DEBUG);
	assert_int_equal(t.probe.locks[0].mask, 0xFF00);
	/* the sim profile has no probe */
	assert_int_equal(sg_target_load(sim_path, &t, &err), SG_OK);
	assert_false(t.probe.present);
}

/* Each rule of the probe member, on the shipped nrf51 profile. */
static const struct bad_case probe_cases[] = {
	{"probe.uid", "{\"address\":\"0x10000061\",\"length\":8}",
	 "x.json: probe.uid.address: 0x10000061 is not a multiple of 4"},
	{"probe.uid", "{\"address\":\"0x10000060\",\"length\":6}", "x.json: probe.uid.length: must be a multiple of 4"},
	{"probe.uid", "{\"address\":\"10000060\",\"length\":8}", "x.json: probe.uid.address: must be a string of 0x"},
	{"probe.uid", NULL, "x.json: probe.uid: missing"},
	{"probe.ram", "{\"address\":\"0x20000000\",\"size\":1000}", "x.json: probe.ram.size: must be a whole number"},
	{"probe.flash", "{\"controller\":\"stm32\",\"registers\":\"0x0\",\"page_size\":1024}",
	 "x.json: probe.flash.controller: 'stm32' is not one of: nrf-nvmc"},
	{"probe.flash", "{\"controller\":\"nrf-nvmc\",\"registers\":\"0x4001E000\",\"page_size\":1000}",
	 "x.json: probe.flash.page_size: must be a power of 2"},
	{"probe.routine", "{\"code\":\"00bf\",\"stop\":\"0x2\"}", "x.json: probe.routine.stop: 0x2 is past"},
	{"probe.routine", "{\"code\":\"00b\",\"stop\":\"0x0\"}", "x.json: probe.routine.code: must be hex"},
	{"probe.slots", "[{\"id\":1,\"address\":\"0x3F000\",\"pages\":1},{\"id\":2,\"address\":\"0x3F400\",\"pages\":2}]",
	 "x.json: probe.slots: slot 3 of the profile's slots has no place"},
	{"probe.slots", "[{\"id\":1,\"address\":\"0x3F000\",\"pages\":2},{\"id\":2,\"address\":\"0x3F400\",\"pages\":1}]",
	 "x.json: probe.slots[1].pages: overlaps probe.slots[0]"},
	{"probe.slots", "[{\"id\":1,\"address\":\"0x3F100\",\"pages\":1}]",
	 "x.json: probe.slots[0].address: 0x3f100 is not a multiple of 1024"},
	{"probe.slots", "[{\"id\":1,\"address\":\"0x3F000\",\"pages\":1},{\"id\":1,\"address\":\"0x3F400\",\"pages\":1}]",
	 "x.json: probe.slots[1].pages: slot 1 is given twice"},
	{"probe.slots", "[{\"id\":1,\"address\":\"0x3F000\",\"pages\":1},{\"id\":2,\"address\":\"0x3F400\",\"pages\":1},"
	 "{\"id\":3,\"address\":\"0x3FC00\",\"pages\":1}]",
	 "x.json: probe.slots: the key's slot 3 must be \"secret\": true"},
	{"probe.lock", "[{\"bits\":[\"readback\"],\"address\":\"0x10001004\",\"mask\":\"0xFF00\",\"value\":\"0x0\"}]",
	 "x.json: probe.lock: does not say how to set or read every bit"},
	{"probe.lock", "[{\"bits\":[\"readback\",\"debug\"],\"address\":\"0x10001004\",\"mask\":\"0xFF00\",\"value\":\"0x1\"}]",
	 "x.json: probe.lock[0].value: must be non-zero and hold every bit of value"},
	{"probe.lock", NULL, "x.json: probe.lock: missing"},
	{"probe.colour", "1", "x.json: colour: not a member of probe"},
};

static void test_probe_rules(void **state)
{
	struct sg_target t;
	(void)state;

	for (size_t i = 0; i < sizeof probe_cases / sizeof probe_cases[0]; i++) {
		struct sg_err err = {0};
		const struct bad_case *c = &probe_cases[i];
		int rc = mutated_from(nrf51_path, c->path, c->value, &t, &err);
		if (rc != SG_EINPUT || !strstr(err.msg, c->message))
			fail_msg("%s = %s: got %d '%s', want '%s'", c->path, c->value ? c->value : "(deleted)", rc,
				 err.msg, c->message);
	}
	/* a probe cannot make a key on the device */
	struct sg_err err = {0};
	assert_int_equal(mutated("probe", "{}", &t, &err), SG_EINPUT);
	assert_non_null(strstr(err.msg, "x.json: probe: a probe writes the device's key"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_sim),
		cmocka_unit_test(test_each_rule),
		cmocka_unit_test(test_variants),
		cmocka_unit_test(test_inject_and_matter),
		cmocka_unit_test(test_shipped_nrf51),
		cmocka_unit_test(test_probe_rules),
	};
	snprintf(sim_path, sizeof sim_path, "%s/provision/targets/sim.json", getenv("SIGNET_SOURCE_DIR"));
	snprintf(nrf51_path, sizeof nrf51_path, "%s/provision/targets/nrf51.json", getenv("SIGNET_SOURCE_DIR"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
