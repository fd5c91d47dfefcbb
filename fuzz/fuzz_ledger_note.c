/* libFuzzer harness for ledger checkpoints and signed notes (ledger/note.c,
 * note_text.c, checkpoint.c): the body parser, whose accepted inputs must
 * format back to the same bytes; the note verifier with fixed keys (an
 * Ed25519 keys, named and unnamed, and a P-256 key: Go's PeterNeumann key,
 * sum.golang.org's and Sigstore Rekor's, whose real notes are in the seed
 * corpus); and the
 * verifier key parser. Every error is one line.
 * Seeds (fuzz/corpus/ledger_note): rekor_checkpoint.note and rekor.vkey from
 * github.com/transparency-dev/formats note/note_verifier_test.go;
 * go_peter_enoch.note and peter.vkey from golang.org/x/mod/sumdb/note
 * note_test.go; sumdb_checkpoint.note published by sum.golang.org;
 * signet_ed25519.note signed by signet (a SoftHSM2 key). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "signet/checkpoint.h"

#define PETER_VKEY "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
#define REKOR_VKEY                                                                                 \
	"rekor.sigstore.dev+c0d23d6a+AjBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABNhtmPtrWm3U1eQX"         \
	"BogSMdGvXwBcK5AW5i0hrZLOC96l+smGNM7nwZ4QvFK/4sueRoVj//QP22Ni4Qt9DPfkWLc="

#define SUMDB_VKEY "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"

static struct sg_note_key keys[4];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	struct sg_err err;
	if (sg_note_key_from_vkey(PETER_VKEY, &keys[0], &err) ||
	    sg_note_key_from_vkey(REKOR_VKEY, &keys[1], &err) ||
	    sg_note_key_from_pkey(keys[0].pkey, NULL, &keys[2], &err) ||
	    sg_note_key_from_vkey(SUMDB_VKEY, &keys[3], &err))
		abort();
	return 0;
}

static void check_one_line(const struct sg_err *err)
{
	if (!err->msg[0] || strchr(err->msg, '\n'))
		__builtin_trap();
}

static void fuzz_body(const char *data, size_t size)
{
	struct sg_checkpoint cp;
	struct sg_err err;
	char body[SG_CHECKPOINT_BODY_MAX];
	size_t len;
	if (sg_checkpoint_parse(data, size, &cp, &err)) {
		check_one_line(&err);
		return;
	}
	if (sg_checkpoint_format(&cp, body, sizeof(body), &len, &err) || len != size ||
	    memcmp(body, data, size))
		__builtin_trap();
}

static void fuzz_note(const char *data, size_t size)
{
	struct sg_checkpoint cp;
	struct sg_err err;
	char body[SG_CHECKPOINT_BODY_MAX];
	size_t len, text_len;
	if (sg_checkpoint_verify(data, size, keys, 4, &cp, &err) == SG_OK) {
		if (sg_checkpoint_format(&cp, body, sizeof(body), &len, &err) || len >= size ||
		    memcmp(body, data, len) || data[len] != '\n')
			__builtin_trap();
	} else {
		check_one_line(&err);
	}
	if (sg_note_verify(data, size, keys, 2, NULL, &text_len, &err) == SG_OK) {
		if (text_len >= size || data[text_len] != '\n' || data[text_len - 1] != '\n')
			__builtin_trap();
	} else {
		check_one_line(&err);
	}
}

static void fuzz_vkey(const char *data, size_t size)
{
	char *s = malloc(size + 1), vkey[1024];
	struct sg_note_key key;
	struct sg_err err;
	if (!s)
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	if (sg_note_key_from_vkey(s, &key, &err) == SG_OK) {
		/* What it accepts it writes back, but for the key ID's case. */
		if (sg_note_vkey(&key, NULL, vkey, sizeof(vkey), &err) || strcasecmp(vkey, s))
			__builtin_trap();
		sg_note_key_clear(&key);
	} else {
		check_one_line(&err);
	}
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_body((const char *)data, size);
	fuzz_note((const char *)data, size);
	fuzz_vkey((const char *)data, size);
	return 0;
}
