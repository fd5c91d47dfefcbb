/* sg_ledger_cut_checkpoint (ledger/cut.c), what `ledger checkpoint` and the
 * --ledger-key of sign, cosign and pki use: the note signs the ledger's
 * current size and root under its origin, verifies with the key's public
 * half, and is stored; a key that cannot sign notes stores nothing. Real
 * SQLite files and a real SoftHSM2 token. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "signet/checkpoint.h"
#include "signet/hsm.h"
#include "signet/ledger.h"
#include "softhsm_fixture.h"

#define ORIGIN "wire.example/ledger"

static struct sg_test_softhsm t;
static struct sg_hsm_ctx *ctx;
static struct sg_hsm_key *ed_key, *p384_key;
static char path[SG_TEST_PATH_MAX + 32];

static int group_setup(void **state)
{
	(void)state;
	if (sg_test_softhsm_setup(&t, "cut") || !(ctx = sg_test_softhsm_ctx(&t)))
		return -1;
	ed_key = sg_test_softhsm_key(&t, ctx, "log", SG_KEY_ED25519);
	p384_key = sg_test_softhsm_key(&t, ctx, "p384", SG_KEY_ECDSA_P384);
	snprintf(path, sizeof path, "%s/cut.ledger", t.dir);
	struct sg_err err = { 0 };
	if (sg_ledger_create(path, ORIGIN, 1795000000, &err)) {
		fprintf(stderr, "set-up: %s\n", err.msg);
		return -1;
	}
	return ed_key && p384_key ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	sg_hsm_ctx_free(ctx);
	sg_test_softhsm_teardown(&t);
	return 0;
}

static int leaf(void *arg, uint64_t index, uint8_t **out, size_t *len, struct sg_err *err)
{
	(void)arg, (void)err;
	*out = malloc(16);
	*len = (size_t)snprintf((char *)*out, 16, "leaf %llu", (unsigned long long)index);
	return SG_OK;
}

/* The note verifies with the key's public half, and is the stored one for
 * the ledger's size and root. */
static void test_cut_stores_the_current_tree(void **state)
{
	(void)state;
	struct sg_err err = { 0 };
	struct sg_ledger *l;
	assert_int_equal(sg_ledger_open(path, 0, &l, &err), SG_OK);
	assert_int_equal(sg_ledger_append(l, 5, leaf, NULL, NULL, &err), SG_OK);
	char note[SG_CHECKPOINT_NOTE_MAX + 1];
	size_t len;
	uint64_t size = 0;
	assert_int_equal(sg_ledger_cut_checkpoint(l, ed_key, note, sizeof note, &len, &size, &err),
			 SG_OK);
	assert_int_equal(size, 5);
	assert_int_equal(strlen(note), len);

	struct sg_note_key key;
	EVP_PKEY *pub = sg_hsm_key_pkey(ed_key);
	assert_int_equal(sg_note_key_from_pkey(pub, NULL, &key, &err), SG_OK);
	struct sg_checkpoint cp;
	assert_int_equal(sg_checkpoint_verify(note, len, &key, 1, &cp, &err), SG_OK);
	uint8_t root[32];
	assert_int_equal(sg_ledger_root(l, 5, root, &err), SG_OK);
	assert_string_equal(cp.origin, ORIGIN);
	assert_int_equal(cp.size, 5);
	assert_memory_equal(cp.root, root, sizeof root);

	char *stored = NULL;
	uint64_t got = 0;
	assert_int_equal(sg_ledger_checkpoint_get(l, SG_LEDGER_LATEST, &got, NULL, &stored, &err),
			 SG_OK);
	assert_int_equal(got, 5);
	assert_string_equal(stored, note);
	free(stored);
	sg_note_key_clear(&key);
	EVP_PKEY_free(pub);
	sg_ledger_close(l);
}

/* P-384 cannot sign notes, and a buffer that may not hold a note is
 * refused: neither stores a checkpoint. */
static void test_cut_refused_stores_nothing(void **state)
{
	(void)state;
	struct sg_err err = { 0 };
	struct sg_ledger *l;
	assert_int_equal(sg_ledger_open(path, 0, &l, &err), SG_OK);
	assert_int_equal(sg_ledger_append(l, 1, leaf, NULL, NULL, &err), SG_OK);
	char note[SG_CHECKPOINT_NOTE_MAX + 1];
	size_t len;
	assert_int_equal(sg_ledger_cut_checkpoint(l, p384_key, note, sizeof note, &len, NULL, &err),
			 SG_EINPUT);
	assert_int_equal(sg_ledger_cut_checkpoint(l, ed_key, note, 64, &len, NULL, &err), SG_EINPUT);
	uint64_t got = 0;
	assert_int_equal(sg_ledger_checkpoint_get(l, SG_LEDGER_LATEST, &got, NULL, NULL, &err),
			 SG_OK);
	assert_int_equal(got, 5); /* the one of the test before */
	sg_ledger_close(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cut_stores_the_current_tree),
		cmocka_unit_test(test_cut_refused_stores_nothing),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
