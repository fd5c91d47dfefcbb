/* Test helper for test_checkpoint_openssl.sh: the library's checkpoint
 * signing and verifying from the shell, so that tools that are not ours can
 * check what it writes.
 *   checkpoint_tool sign URI ORIGIN SIZE ROOT_HEX [NAME]   the note, stdout
 *   checkpoint_tool verify NOTE (PUB.pem | VKEY) [NAME]    the body, stdout
 *   checkpoint_tool vkey PUB.pem NAME                      the verifier key
 * Exit status: the library's (0, 1, 2, 3). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "cli.h"
#include "signet/checkpoint.h"
#include "signet/fileio.h"
#include "signet/num.h"

static int fail(const struct sg_err *err)
{
	fprintf(stderr, "checkpoint_tool: %s\n", err->msg);
	return err->status ? err->status : SG_EENV;
}

static int parse_root(const char *hex, uint8_t root[32])
{
	if (strlen(hex) != 64)
		return -1;
	for (int i = 0; i < 32; i++)
		if (sscanf(hex + 2 * i, "%2hhx", &root[i]) != 1)
			return -1;
	return 0;
}

static int tool_sign(char **argv, int argc)
{
	struct sg_checkpoint cp = { 0 };
	struct sg_err err = { 0 };
	if (strlen(argv[3]) > SG_NOTE_NAME_MAX || sg_parse_u64(argv[4], 0, UINT64_MAX, &cp.size) ||
	    parse_root(argv[5], cp.root))
		return sg_errf(&err, SG_EINPUT, "bad origin, size or root"), fail(&err);
	memcpy(cp.origin, argv[3], strlen(argv[3]));
	struct sg_hsm_ctx *ctx = cli_hsm_ctx_new(NULL);
	struct sg_hsm_key *key;
	char note[SG_CHECKPOINT_NOTE_MAX];
	size_t len;
	int rc = sg_hsm_key_open(ctx, argv[2], &key, &err);
	if (!rc)
		rc = sg_checkpoint_sign(key, &cp, argc > 6 ? argv[6] : NULL, note, sizeof(note),
					&len, &err);
	sg_hsm_ctx_free(ctx);
	if (rc)
		return fail(&err);
	fwrite(note, 1, len, stdout);
	return 0;
}

/* A note key from a PEM file, or from a verifier key string. */
static int load_key(const char *arg, const char *name, struct sg_note_key *key, struct sg_err *err)
{
	FILE *f = fopen(arg, "r");
	if (!f)
		return sg_note_key_from_vkey(arg, key, err);
	EVP_PKEY *pkey = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	if (!pkey)
		return sg_errf(err, SG_EINPUT, "%s: not a PEM public key", arg);
	int rc = sg_note_key_from_pkey(pkey, name, key, err);
	EVP_PKEY_free(pkey);
	return rc;
}

static int tool_verify(char **argv, int argc)
{
	struct sg_err err = { 0 };
	struct sg_note_key key;
	uint8_t *note;
	size_t len;
	if (sg_read_file(argv[2], SG_NOTE_MAX + 1, &note, &len, &err))
		return fail(&err);
	int rc = load_key(argv[3], argc > 4 ? argv[4] : NULL, &key, &err);
	struct sg_checkpoint cp;
	if (!rc) {
		rc = sg_checkpoint_verify((const char *)note, len, &key, 1, &cp, &err);
		sg_note_key_clear(&key);
	}
	free(note);
	if (rc)
		return fail(&err);
	char body[SG_CHECKPOINT_BODY_MAX];
	if (sg_checkpoint_format(&cp, body, sizeof(body), &len, &err))
		return fail(&err);
	fwrite(body, 1, len, stdout);
	return 0;
}

static int tool_vkey(char **argv)
{
	struct sg_err err = { 0 };
	struct sg_note_key key;
	char vkey[1024];
	int rc = load_key(argv[2], argv[3], &key, &err);
	if (rc)
		return fail(&err);
	rc = sg_note_vkey(&key, NULL, vkey, sizeof(vkey), &err);
	sg_note_key_clear(&key);
	if (rc)
		return fail(&err);
	printf("%s\n", vkey);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 6 && !strcmp(argv[1], "sign"))
		return tool_sign(argv, argc);
	if (argc >= 4 && !strcmp(argv[1], "verify"))
		return tool_verify(argv, argc);
	if (argc == 4 && !strcmp(argv[1], "vkey"))
		return tool_vkey(argv);
	fprintf(stderr, "usage: checkpoint_tool sign|verify|vkey ... (see the source)\n");
	return 2;
}
