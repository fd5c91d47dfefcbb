/* Checkpoints and signed notes (signet/checkpoint.h): known-answer vectors
 * from other implementations, the body format, verifier keys, and notes
 * signed by Ed25519 and P-256 keys in a real SoftHSM2 token, then forged
 * every way we know. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "signet/checkpoint.h"
#include "signet/hsm.h"
#include "softhsm_fixture.h"

/* Known answers. From golang.org/x/mod/sumdb/note (note.go's package
 * documentation and note_test.go): the PeterNeumann and EnochRoot keys. */
#define PETER_VKEY "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
#define ENOCH_VKEY "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
#define PETER_TEXT                                                                                 \
	"If you think cryptography is the answer to your problem,\n"                               \
	"then you don't know what your problem is.\n"
#define PETER_B64                                                                                  \
	"x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FF"                                  \
	"YC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
/* A signature line with Peter's signature under another key name. */
#define SIG_BY(name) "\xe2\x80\x94 " name " " PETER_B64 "\n"
#define PETER_SIG SIG_BY("PeterNeumann")
#define ENOCH_SIG                                                                                  \
	"\xe2\x80\x94 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGr"      \
	"Q5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"
/* From c2sp.org/signed-note (the example of "Verifier keys"). */
#define FOO_VKEY "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
#define FOO_NOTE                                                                                   \
	"This is an example message.\n\n\xe2\x80\x94 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1T"     \
	"nagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
/* From github.com/transparency-dev/formats note/note_verifier_test.go: a
 * Sigstore Rekor checkpoint and key (note type 0x02, ECDSA P-256) and a
 * Pixel 6 transparency log checkpoint and key. */
#define REKOR_VKEY                                                                                 \
	"rekor.sigstore.dev+c0d23d6a+AjBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABNhtmPtrWm3U1eQX"         \
	"BogSMdGvXwBcK5AW5i0hrZLOC96l+smGNM7nwZ4QvFK/4sueRoVj//QP22Ni4Qt9DPfkWLc="
#define REKOR_NOTE                                                                                 \
	"Rekor\n798034\nf+7CoKgXKE/tNys9TTXcr/ad6U/K3xvznmzew9y6SP0=\n\n\xe2\x80\x94 rekor.sig"    \
	"store.dev wNI9ajBEAiARInWIWyCdyG27CO6LPnPekyw20qO0YJfoaPaowGp/XgIgc+qEHS3+GKVClgqq2"      \
	"0uDLet7MCoTURUCRdxwWBHHufk=\n"
#define PIXEL_VKEY                                                                                 \
	"pixel6_transparency_log+91c16e30+AjBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABN+4x0Jk1yTwvLFI"    \
	"9A4NDdGZcX0aiWVdWM5XJVy0M4VWD3AvyW5Q6Hs9A0mcDkpUoYgn+KKPNzFC0H3nN3q6JQ8="
#define PIXEL_NOTE                                                                                 \
	"DEFAULT\n10\nbsWRucJU5xJPHb5eBdOm6+DM+VelCZBuvtI3sHERJ9Y=\n\n\xe2\x80\x94 pixel6_transp"  \
	"arency_log kcFuMDBFAiEAhqMAP8P6qf6QxtUJhzMhbN+MbZ9dwfUHzGQJmffJHtoCIGD0cNe47dHWBoPwYdg"   \
	"BCepB06/+g5O1FmYjXl06owL4\n"

/* The go.sum checksum database: its key as pinned in Go's
 * cmd/go/internal/modfetch/key.go, and two of its signed tree heads (sizes
 * 31700353 and 65209736) as published by sum.golang.org. An origin with
 * spaces, which the tlog-checkpoint spec allows. */
#define SUMDB_VKEY "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"
#define SUMDB_NOTE_1                                                                               \
	"go.sum database tree\n31700353\nqINS1GRFhWHwdkUeqLEoP4yEMkTBBzxBkGwGQlVlVcs=\n\n"         \
	"\xe2\x80\x94 sum.golang.org Az3grnmrIUEDFqHzAElIQCPNoRFRAAdFo47fooyWKMHb89k11GJh5zH"      \
	"IfNCOBmwn/C3YI8oW9/C8DJ87F61QqspBYwM=\n"
#define SUMDB_NOTE_2                                                                               \
	"go.sum database tree\n65209736\n5+uGFjx6xBZG8ip1+wi77v+grwbhhukIrxEUS8PXvRo=\n\n"         \
	"\xe2\x80\x94 sum.golang.org Az3grnbssgK7ubgFX36gVETtNv0U23qxyAhAMai2QUfeGa3nB/akvkM"      \
	"dlUErfcZz7l/R3cVtYspg3dxXABkGZZKdsQ8=\n"

#define ORIGIN "signet.example/ledger/station-7"

static struct sg_test_softhsm t;
static struct sg_hsm_ctx *ctx;
static struct sg_hsm_key *ed_key, *p256_key, *p384_key;

static int group_setup(void **state)
{
	(void)state;
	if (sg_test_softhsm_setup(&t, "checkpoint") || !(ctx = sg_test_softhsm_ctx(&t)))
		return -1;
	ed_key = sg_test_softhsm_key(&t, ctx, "log-ed25519", SG_KEY_ED25519);
	p256_key = sg_test_softhsm_key(&t, ctx, "log-p256", SG_KEY_ECDSA_P256);
	p384_key = sg_test_softhsm_key(&t, ctx, "log-p384", SG_KEY_ECDSA_P384);
	return ed_key && p256_key && p384_key ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	sg_hsm_ctx_free(ctx);
	sg_test_softhsm_teardown(&t);
	return 0;
}

static struct sg_note_key vkey(const char *s)
{
	struct sg_note_key k;
	struct sg_err err = { 0 };
	if (sg_note_key_from_vkey(s, &k, &err)) {
		fprintf(stderr, "%s: %s\n", s, err.msg);
		fail();
	}
	return k;
}

/* sg_note_verify of the NUL-terminated note s; the status. */
static int verify_note(const char *s, const struct sg_note_key *keys, size_t n, struct sg_err *err)
{
	size_t text_len;
	return sg_note_verify(s, strlen(s), keys, n, NULL, &text_len, err);
}

static void test_kat_go_note(void **state)
{
	(void)state;
	struct sg_note_key keys[2] = { vkey(PETER_VKEY), vkey(ENOCH_VKEY) };
	struct sg_err err = { 0 };
	const char *note = PETER_TEXT "\n" PETER_SIG;
	size_t text_len = 0;
	assert_int_equal(sg_note_verify(note, strlen(note), keys, 1, NULL, &text_len, &err), SG_OK);
	assert_int_equal(text_len, strlen(PETER_TEXT));
	uint32_t id;
	assert_int_equal(sg_note_key_id(&keys[0], NULL, &id, &err), SG_OK);
	assert_int_equal(id, 0xc74f20a3);
	/* Enoch's signature is by a key not given: ignored. With both given,
	 * both verify; with Enoch's alone, his is the good one. */
	const char *both = PETER_TEXT "\n" PETER_SIG ENOCH_SIG;
	assert_int_equal(verify_note(both, keys, 1, &err), SG_OK);
	assert_int_equal(verify_note(both, keys, 2, &err), SG_OK);
	assert_int_equal(verify_note(both, keys + 1, 1, &err), SG_OK);
	/* A note by no given key is a "no". */
	assert_int_equal(verify_note(PETER_TEXT "\n" ENOCH_SIG, keys, 1, &err), SG_FAIL);
	assert_non_null(strstr(err.msg, "none of the given keys"));
	assert_int_equal(verify_note(both, keys, 0, &err), SG_FAIL);
	/* Go's malformed notes (note_test.go, TestOpen), refused by the note
	 * rules alone: any text may be signed, not only checkpoints. */
	const char *bad[] = {
		PETER_TEXT,
		PETER_TEXT "\n",
		PETER_TEXT "\n\xe2\x80\x94 PeterNeumann " PETER_B64, /* no final newline */
		"\x01" PETER_TEXT "\n" PETER_SIG,
		"\xff" PETER_TEXT "\n" PETER_SIG,
		PETER_TEXT "\n" SIG_BY("Bad Name"),
		PETER_TEXT "\n" PETER_SIG "Unexpected line.\n",
		/* key names with '+', U+3000 and U+00A0 (Unicode spaces) */
		PETER_TEXT "\n" SIG_BY("Peter+Neumann"),
		PETER_TEXT "\n" SIG_BY("Peter\xe3\x80\x80Neumann"),
		PETER_TEXT "\n" SIG_BY("Peter\xc2\xa0Neumann"),
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(verify_note(bad[i], keys, 2, &err), SG_EINPUT);
	/* A NUL in the text, and overlong UTF-8 ("\xc0\xaf" for '/'). */
	char nul[] = PETER_TEXT "\n" PETER_SIG;
	nul[3] = '\0';
	assert_int_equal(sg_note_verify(nul, sizeof(nul) - 1, keys, 1, NULL, &text_len, &err),
			 SG_EINPUT);
	assert_int_equal(verify_note("\xc0\xaf" PETER_TEXT "\n" PETER_SIG, keys, 1, &err),
			 SG_EINPUT);
	/* The key strings come back byte for byte. */
	char buf[256];
	assert_int_equal(sg_note_vkey(&keys[0], NULL, buf, sizeof(buf), &err), SG_OK);
	assert_string_equal(buf, PETER_VKEY);
	assert_int_equal(sg_note_vkey(&keys[1], NULL, buf, sizeof(buf), &err), SG_OK);
	assert_string_equal(buf, ENOCH_VKEY);
	sg_note_key_clear(&keys[0]);
	sg_note_key_clear(&keys[1]);
	struct sg_note_key foo = vkey(FOO_VKEY);
	assert_int_equal(verify_note(FOO_NOTE, &foo, 1, &err), SG_OK);
	sg_note_key_clear(&foo);
}

static void test_kat_ecdsa_checkpoints(void **state)
{
	(void)state;
	struct sg_err err = { 0 };
	struct sg_checkpoint cp;
	struct sg_note_key rekor = vkey(REKOR_VKEY), pixel = vkey(PIXEL_VKEY);
	assert_int_equal(rekor.type, SG_NOTE_ECDSA);
	assert_int_equal(sg_checkpoint_verify(REKOR_NOTE, strlen(REKOR_NOTE), &rekor, 1, &cp, &err),
			 SG_OK);
	assert_string_equal(cp.origin, "Rekor");
	assert_int_equal(cp.size, 798034);
	static const uint8_t rekor_root[32] = {
		0x7f, 0xee, 0xc2, 0xa0, 0xa8, 0x17, 0x28, 0x4f, 0xed, 0x37, 0x2b,
		0x3d, 0x4d, 0x35, 0xdc, 0xaf, 0xf6, 0x9d, 0xe9, 0x4f, 0xca, 0xdf,
		0x1b, 0xf3, 0x9e, 0x6c, 0xde, 0xc3, 0xdc, 0xba, 0x48, 0xfd,
	};
	assert_memory_equal(cp.root, rekor_root, 32);
	char buf[256];
	assert_int_equal(sg_note_vkey(&rekor, NULL, buf, sizeof(buf), &err), SG_OK);
	assert_string_equal(buf, REKOR_VKEY);
	assert_int_equal(sg_checkpoint_verify(PIXEL_NOTE, strlen(PIXEL_NOTE), &pixel, 1, &cp, &err),
			 SG_OK);
	assert_int_equal(cp.size, 10);
	/* The key of another log does not verify it. */
	assert_int_equal(sg_checkpoint_verify(PIXEL_NOTE, strlen(PIXEL_NOTE), &rekor, 1, &cp, &err),
			 SG_FAIL);
	/* Type 0x02's key ID is the SPKI's hash alone: the same key under
	 * another name keeps its ID, yet the name must still match. */
	struct sg_note_key renamed = rekor;
	memcpy(renamed.name, "bananas.sigstore.dev", sizeof("bananas.sigstore.dev"));
	assert_int_equal(
		sg_checkpoint_verify(REKOR_NOTE, strlen(REKOR_NOTE), &renamed, 1, &cp, &err),
		SG_FAIL);
	sg_note_key_clear(&rekor);
	sg_note_key_clear(&pixel);
}

static void test_kat_sumdb(void **state)
{
	(void)state;
	struct sg_err err = { 0 };
	struct sg_checkpoint cp;
	struct sg_note_key sumdb = vkey(SUMDB_VKEY);
	assert_int_equal(
		sg_checkpoint_verify(SUMDB_NOTE_1, strlen(SUMDB_NOTE_1), &sumdb, 1, &cp, &err),
		SG_OK);
	assert_string_equal(cp.origin, "go.sum database tree");
	assert_int_equal(cp.size, 31700353);
	assert_int_equal(
		sg_checkpoint_verify(SUMDB_NOTE_2, strlen(SUMDB_NOTE_2), &sumdb, 1, &cp, &err),
		SG_OK);
	assert_int_equal(cp.size, 65209736);
	/* The signature covers the size. */
	char forged[] = SUMDB_NOTE_2;
	forged[strlen("go.sum database tree\n6")] = '7';
	assert_int_equal(sg_checkpoint_verify(forged, strlen(forged), &sumdb, 1, &cp, &err),
			 SG_FAIL);
	sg_note_key_clear(&sumdb);
}

static void test_body(void **state)
{
	(void)state;
	struct sg_checkpoint cp = { .origin = ORIGIN, .size = 20852163 }, back;
	for (int i = 0; i < 32; i++)
		cp.root[i] = (uint8_t)(i * 7);
	char body[SG_CHECKPOINT_BODY_MAX];
	size_t len;
	struct sg_err err = { 0 };
	assert_int_equal(sg_checkpoint_format(&cp, body, sizeof(body), &len, &err), SG_OK);
	const char *want = ORIGIN "\n20852163\nAAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK+2vcTL0tk=\n";
	assert_int_equal(len, strlen(want));
	assert_memory_equal(body, want, len);
	assert_int_equal(sg_checkpoint_parse(body, len, &back, &err), SG_OK);
	assert_memory_equal(&back, &cp, sizeof(cp));
	assert_int_equal(sg_checkpoint_format(&cp, body, len - 1, &len, &err), SG_EINPUT);
	/* The largest and the empty tree. */
	/* The largest tree, origins that are no key names (spaces, U+00A0,
	 * U+3000, '+': the spec allows them), the empty tree. */
	const char *edge[] = {
		"o\n18446744073709551615\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
		"go.sum database tree\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
		"a\xc2\xa0"
		"b\xe3\x80\x80"
		"c+d\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
		"o\n0\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
	};
	for (size_t i = 0; i < sizeof(edge) / sizeof(edge[0]); i++) {
		assert_int_equal(sg_checkpoint_parse(edge[i], strlen(edge[i]), &back, &err), SG_OK);
		assert_int_equal(sg_checkpoint_format(&back, body, sizeof(body), &len, &err),
				 SG_OK);
		assert_int_equal(len, strlen(edge[i]));
		assert_memory_equal(body, edge[i], len);
	}
	assert_int_equal(back.size, 0);
#define R "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
	const char *bad[] = {
		"o\n01\n" R, /* leading zero */
		"o\n+1\n" R,
		"o\n-1\n" R,
		"o\n1 \n" R,
		"o\n\n" R,
		"o\n0x1\n" R,
		"o\n18446744073709551616\n" R, /* 2^64 */
		"\n1\n" R, /* empty origin */
		"a\tb\n1\n" R, /* a control character */
		"a\xff\n1\n" R, /* not UTF-8 */
		"a\xc0\xaf\n1\n" R, /* overlong '/' */
		"a\xed\xa0\x80\n1\n" R, /* a surrogate */
		"o\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=\n", /* unused bits set */
		"o\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\n", /* 31 bytes */
		"o\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n", /* 33 bytes */
		"o\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", /* 43 chars */
		"o\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=A=\n",
		"o\n1\nAAAAAAAAAAAAAAAAAAAA-AAAAAAAAAAAAAAAAAAAAAA=\n", /* base64url */
		"o\n1\n" R "ext\n", /* an extension line */
		"o\n1\n" R "\n",
		"o\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", /* no final newline */
		"o\n1\n",
		"o\n",
		"",
	};
#undef R
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err.msg[0] = '\0';
		if (sg_checkpoint_parse(bad[i], strlen(bad[i]), &back, &err) != SG_EINPUT) {
			fprintf(stderr, "accepted bad body %zu\n", i);
			fail();
		}
		assert_non_null(strstr(err.msg, "checkpoint"));
	}
	/* NUL bytes inside the size line (found by fuzz_ledger_note): "0\0\0" is not 0. */
	static const char nul_size[] = "o\n0\0\0\0\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
	assert_int_equal(sg_checkpoint_parse(nul_size, sizeof(nul_size) - 1, &back, &err), SG_EINPUT);
	/* A 255-byte origin is fine, 256 is not. */
	struct sg_checkpoint big = { .size = 1 };
	memset(big.origin, 'x', SG_NOTE_NAME_MAX);
	assert_int_equal(sg_checkpoint_format(&big, body, sizeof(body), &len, &err), SG_OK);
	assert_int_equal(len, SG_CHECKPOINT_BODY_MAX - 19); /* size 1 has one digit */
	memset(big.origin, 'x', sizeof(big.origin));
	assert_int_equal(sg_checkpoint_format(&big, body, sizeof(body), &len, &err), SG_EINPUT);
}

/* Go's own test of NewVerifier: every other substring and every one-byte
 * change of the key string is refused; so are a wrong-length key and an
 * unknown type whose IDs were adjusted to match. */
static void test_vkey_refused(void **state)
{
	(void)state;
	char s[] = PETER_VKEY, sub[sizeof(s)];
	size_t n = strlen(s);
	struct sg_note_key k;
	struct sg_err err = { 0 };
	for (size_t i = 0; i <= n; i++) {
		for (size_t j = i + 1; j <= n; j++) {
			if (i == 0 && j == n)
				continue;
			memcpy(sub, s + i, j - i);
			sub[j - i] = '\0';
			assert_int_equal(sg_note_key_from_vkey(sub, &k, &err), SG_EINPUT);
		}
	}
	for (size_t i = 0; i < n; i++) {
		s[i]++;
		assert_int_equal(sg_note_key_from_vkey(s, &k, &err), SG_EINPUT);
		s[i]--;
	}
	const char *bad[] = {
		"PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
		"PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
		"rekor.sigstore.dev+00000000+AjBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABNhtmPtrWm3U1eQX"
		"BogSMdGvXwBcK5AW5i0hrZLOC96l+smGNM7nwZ4QvFK/4sueRoVj//QP22Ni4Qt9DPfkWLc=",
		"rekor.sigstore.dev+12345678+AwEB",
		"Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
		"Peter\xc2\xa0Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
		"",
		"++",
		"a+b",
		"a+c74f20a3+",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(sg_note_key_from_vkey(bad[i], &k, &err), SG_EINPUT);
	/* Type 0x02 with an Ed25519 SPKI, whatever its key ID says. */
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	uint8_t raw[1 + 64], *p = raw + 1;
	char b64[128], vk[256];
	raw[0] = SG_NOTE_ECDSA;
	int spki_len = i2d_PUBKEY(ed, &p);
	assert_true(spki_len > 0 && spki_len < 64);
	EVP_EncodeBlock((unsigned char *)b64, raw, 1 + spki_len);
	assert_int_equal(sg_note_key_from_pkey(ed, "x", &k, &err), SG_OK);
	uint32_t id;
	assert_int_equal(sg_note_key_id(&k, NULL, &id, &err), SG_OK);
	sg_note_key_clear(&k);
	snprintf(vk, sizeof(vk), "x+%08x+%s", id, b64);
	assert_int_equal(sg_note_key_from_vkey(vk, &k, &err), SG_EINPUT);
	EVP_PKEY_free(ed);
	/* A key that no note type has. */
	EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	assert_non_null(rsa);
	assert_int_equal(sg_note_key_from_pkey(rsa, "x", &k, &err), SG_EINPUT);
	EVP_PKEY_free(rsa);
	EVP_PKEY *p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	assert_int_equal(sg_note_key_from_pkey(p384, "x", &k, &err), SG_EINPUT);
	EVP_PKEY_free(p384);
}

/* A note signed by key in the token over the test checkpoint. */
static size_t sign(struct sg_hsm_key *key, const char *name, char *note)
{
	struct sg_checkpoint cp = { .origin = ORIGIN, .size = 1000000 };
	memset(cp.root, 0xa5, sizeof(cp.root));
	struct sg_err err = { 0 };
	size_t len;
	int rc = sg_checkpoint_sign(key, &cp, name, note, SG_CHECKPOINT_NOTE_MAX, &len, &err);
	if (rc)
		fprintf(stderr, "sign: %s\n", err.msg);
	assert_int_equal(rc, SG_OK);
	note[len] = '\0';
	return len;
}

/* The note key of the token key, unnamed (the origin) or named. */
static struct sg_note_key token_note_key(struct sg_hsm_key *key, const char *name)
{
	EVP_PKEY *pub = sg_hsm_key_pkey(key);
	struct sg_note_key k;
	struct sg_err err = { 0 };
	assert_int_equal(sg_note_key_from_pkey(pub, name, &k, &err), SG_OK);
	EVP_PKEY_free(pub);
	return k;
}

static void check_signed(struct sg_hsm_key *key, enum sg_note_type type)
{
	char note[SG_CHECKPOINT_NOTE_MAX + 1], vk[1024];
	size_t len = sign(key, NULL, note);
	struct sg_err err = { 0 };
	struct sg_checkpoint cp;
	struct sg_note_key pem = token_note_key(key, NULL), named = token_note_key(key, ORIGIN);
	assert_int_equal(pem.type, type);
	assert_int_equal(sg_checkpoint_verify(note, len, &pem, 1, &cp, &err), SG_OK);
	assert_string_equal(cp.origin, ORIGIN);
	assert_int_equal(cp.size, 1000000);
	assert_non_null(strstr(note, "\n\n\xe2\x80\x94 " ORIGIN " "));
	/* The verifier key string verifies it too, and names the origin. */
	assert_int_equal(sg_note_vkey(&pem, NULL, vk, sizeof(vk), &err), SG_EINPUT);
	assert_int_equal(sg_note_vkey(&named, NULL, vk, sizeof(vk), &err), SG_OK);
	assert_int_equal(strncmp(vk, ORIGIN "+", strlen(ORIGIN) + 1), 0);
	struct sg_note_key from_vkey = vkey(vk);
	assert_int_equal(sg_checkpoint_verify(note, len, &from_vkey, 1, &cp, &err), SG_OK);
	/* Another key name: only a key of that name verifies it. */
	len = sign(key, "signet.example/other-name", note);
	assert_int_equal(sg_checkpoint_verify(note, len, &pem, 1, &cp, &err), SG_FAIL);
	struct sg_note_key other = token_note_key(key, "signet.example/other-name");
	assert_int_equal(sg_checkpoint_verify(note, len, &other, 1, &cp, &err), SG_OK);
	sg_note_key_clear(&pem);
	sg_note_key_clear(&named);
	sg_note_key_clear(&from_vkey);
	sg_note_key_clear(&other);
}

static void test_sign_ed25519(void **state)
{
	(void)state;
	check_signed(ed_key, SG_NOTE_ED25519);
}

static void test_sign_p256(void **state)
{
	(void)state;
	check_signed(p256_key, SG_NOTE_ECDSA);
}

static void test_sign_refused(void **state)
{
	(void)state;
	struct sg_checkpoint cp = { .origin = ORIGIN, .size = 1 };
	char note[SG_CHECKPOINT_NOTE_MAX];
	size_t len;
	struct sg_err err = { 0 };
	assert_int_equal(sg_checkpoint_sign(p384_key, &cp, NULL, note, sizeof(note), &len, &err),
			 SG_EINPUT);
	assert_non_null(strstr(err.msg, "ecdsa-p384"));
	assert_string_equal(err.param, "key");
	assert_int_equal(
		sg_checkpoint_sign(ed_key, &cp, "bad name", note, sizeof(note), &len, &err),
		SG_EINPUT);
	assert_int_equal(
		sg_checkpoint_sign(ed_key, &cp, "bad+name", note, sizeof(note), &len, &err),
		SG_EINPUT);
	assert_int_equal(sg_checkpoint_sign(ed_key, &cp, NULL, note, 100, &len, &err), SG_EINPUT);
	/* An origin that is no key name names no key, but may be signed
	 * under a key name given. */
	struct sg_checkpoint spaced = { .origin = "signet ledger", .size = 1 };
	assert_int_equal(sg_checkpoint_sign(ed_key, &spaced, NULL, note, sizeof(note), &len, &err),
			 SG_EINPUT);
	assert_non_null(strstr(err.msg, "origin"));
	assert_int_equal(sg_checkpoint_sign(ed_key, &spaced, "signet.example/key", note,
					    sizeof(note), &len, &err),
			 SG_OK);
	struct sg_note_key k = token_note_key(ed_key, "signet.example/key");
	assert_int_equal(sg_checkpoint_verify(note, len, &k, 1, &cp, &err), SG_OK);
	assert_string_equal(cp.origin, "signet ledger");
	sg_note_key_clear(&k);
	struct sg_checkpoint ctl = { .origin = "a\tb", .size = 1 };
	assert_int_equal(sg_checkpoint_sign(ed_key, &ctl, "x", note, sizeof(note), &len, &err),
			 SG_EINPUT);
}

/* verify of the NUL-terminated note s against keys; the status. */
static int verify_cp(const char *s, const struct sg_note_key *keys, size_t n)
{
	struct sg_checkpoint cp;
	struct sg_err err = { 0 };
	return sg_checkpoint_verify(s, strlen(s), keys, n, &cp, &err);
}

/* s with the first `from` replaced by `to`, in buf. */
static char *replace(const char *s, const char *from, const char *to, char *buf)
{
	const char *at = strstr(s, from);
	assert_non_null(at);
	int n = sprintf(buf, "%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
	assert_true(n > 0);
	return buf;
}

static void check_forgeries(struct sg_hsm_key *key)
{
	char note[SG_CHECKPOINT_NOTE_MAX + 1];
	size_t len = sign(key, NULL, note);
	struct sg_note_key k = token_note_key(key, NULL);
	struct sg_note_key peter = vkey(PETER_VKEY), pk2[2];
	char *buf = malloc(SG_NOTE_MAX + 4096);
	assert_non_null(buf);
	assert_int_equal(verify_cp(note, &k, 1), SG_OK);
	/* Every bit 0 of every byte: text, blank line, name, key ID,
	 * signature, newlines. Nothing passes. */
	for (size_t i = 0; i < len; i++) {
		note[i] ^= 1;
		int rc = verify_cp(note, &k, 1);
		note[i] ^= 1;
		if (rc == SG_OK) {
			fprintf(stderr, "byte %zu flipped, still verifies\n", i);
			fail();
		}
	}
	const char *sigline = strstr(note, "\n\n") + 2, *b64 = strchr(sigline + 4, ' ') + 1;
	/* A changed size, a changed origin: the signature no longer covers it. */
	assert_int_equal(verify_cp(replace(note, "\n1000000\n", "\n1000001\n", buf), &k, 1),
			 SG_FAIL);
	assert_int_equal(verify_cp(replace(note, "\n1000000\n", "\n100000\n", buf), &k, 1),
			 SG_FAIL);
	/* Wrong key; the right key under a wrong name (the origin's binding). */
	assert_int_equal(verify_cp(note, &peter, 1), SG_FAIL);
	struct sg_note_key wrong_name = token_note_key(key, "signet.example/not-the-origin");
	assert_int_equal(verify_cp(note, &wrong_name, 1), SG_FAIL);
	/* Layout: no blank line, CRLF, no final newline, not UTF-8, NUL. */
	assert_int_equal(verify_cp(replace(note, "\n\n", "\n", buf), &k, 1), SG_EINPUT);
	strcpy(buf, note);
	for (char *p = buf, *q = note; *q; q++) {
		if (*q == '\n')
			*p++ = '\r';
		*p++ = *q;
		*p = '\0';
	}
	assert_int_equal(verify_cp(buf, &k, 1), SG_EINPUT);
	struct sg_checkpoint cp;
	struct sg_err err = { 0 };
	assert_int_equal(sg_checkpoint_verify(note, len - 1, &k, 1, &cp, &err), SG_EINPUT);
	assert_non_null(strstr(err.msg, "newline"));
	assert_int_equal(verify_cp(replace(note, "signet", "s\xffgnet", buf), &k, 1), SG_EINPUT);
	memcpy(buf, note, len + 1);
	buf[1] = '\0';
	assert_int_equal(sg_checkpoint_verify(buf, len, &k, 1, &cp, &err), SG_EINPUT);
	assert_non_null(strstr(err.msg, "control character"));
	/* A signature line that is not one; a line after the signatures. */
	assert_int_equal(verify_cp(replace(note, "\xe2\x80\x94 ", "- ", buf), &k, 1), SG_EINPUT);
	assert_int_equal(verify_cp(strcat(strcpy(buf, note), "trailing text\n"), &k, 1), SG_EINPUT);
	assert_int_equal(verify_cp(replace(note, b64, "", buf), &k, 1), SG_EINPUT);
	/* A duplicate line, or a second signature by our key: refused. */
	assert_int_equal(verify_cp(strcat(strcpy(buf, note), sigline), &k, 1), SG_EINPUT);
	char other[SG_CHECKPOINT_NOTE_MAX + 1];
	sign(key, NULL, other); /* Ed25519 signs alike; P-256 differently */
	assert_int_equal(verify_cp(strcat(strcpy(buf, note), strstr(other, "\n\n") + 2), &k, 1),
			 SG_EINPUT);
	/* Signatures by other keys are ignored, before ours or after it... */
	assert_int_equal(verify_cp(strcat(strcpy(buf, note), PETER_SIG), &k, 1), SG_OK);
	assert_int_equal(verify_cp(replace(note, "\n\n", "\n\n" ENOCH_SIG, buf), &k, 1), SG_OK);
	/* ...but they alone do not make a checkpoint ours. */
	assert_int_equal(verify_cp(replace(note, sigline, PETER_SIG, buf), &k, 1), SG_FAIL);
	/* A given key's bad signature fails the note even beside a good one. */
	pk2[0] = k;
	pk2[1] = peter;
	char *forged_peter = replace(PETER_SIG, "LLr8", "LLr9", other);
	assert_int_equal(verify_cp(strcat(strcpy(buf, note), forged_peter), pk2, 2), SG_FAIL);
	/* The same key given twice is ambiguous. */
	pk2[1] = k;
	assert_int_equal(verify_cp(note, pk2, 2), SG_EINPUT);
	/* Bounds: SG_NOTE_SIGS_MAX lines pass, one more is refused; so is a
	 * note over SG_NOTE_MAX bytes. */
	strcpy(buf, note);
	for (int i = 1; i < SG_NOTE_SIGS_MAX; i++)
		sprintf(buf + strlen(buf), "\xe2\x80\x94 other%d AAAAAAA=\n", i);
	assert_int_equal(verify_cp(buf, &k, 1), SG_OK);
	strcat(buf, "\xe2\x80\x94 one-more AAAAAAA=\n");
	assert_int_equal(sg_checkpoint_verify(buf, strlen(buf), &k, 1, &cp, &err), SG_EINPUT);
	assert_non_null(strstr(err.msg, "more than"));
	strcpy(buf, note);
	size_t at = strlen(buf);
	memcpy(buf + at, "\xe2\x80\x94 big ", 8);
	memset(buf + at + 8, 'A', SG_NOTE_MAX - len - 8);
	memcpy(buf + SG_NOTE_MAX - 1, "A\n", 3);
	assert_int_equal(sg_checkpoint_verify(buf, strlen(buf), &k, 1, &cp, &err), SG_EINPUT);
	assert_non_null(strstr(err.msg, "larger than"));
	sg_note_key_clear(&k);
	sg_note_key_clear(&peter);
	sg_note_key_clear(&wrong_name);
	free(buf);
}

static void test_forgeries_ed25519(void **state)
{
	(void)state;
	check_forgeries(ed_key);
}

static void test_forgeries_p256(void **state)
{
	(void)state;
	check_forgeries(p256_key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kat_go_note),
		cmocka_unit_test(test_kat_ecdsa_checkpoints),
		cmocka_unit_test(test_kat_sumdb),
		cmocka_unit_test(test_body),
		cmocka_unit_test(test_vkey_refused),
		cmocka_unit_test(test_sign_ed25519),
		cmocka_unit_test(test_sign_p256),
		cmocka_unit_test(test_sign_refused),
		cmocka_unit_test(test_forgeries_ed25519),
		cmocka_unit_test(test_forgeries_p256),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
