/* C2SP signed notes (signet/checkpoint.h): note keys, key IDs, verifier key
 * strings, signing through the token and verifying. */
#include "note_priv.h"
#include "signet/base64.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#define EM_DASH_SPACE "\xe2\x80\x94 " /* U+2014, then U+0020: starts a signature line */
#define ED25519_KEY_LEN 32

/* The note type of pkey: Ed25519, or ECDSA for a P-256 key. */
static int note_key_type(EVP_PKEY *pkey, enum sg_note_type *type, struct sg_err *err)
{
	char group[32];
	if (EVP_PKEY_is_a(pkey, "ED25519")) {
		*type = SG_NOTE_ED25519;
		return SG_OK;
	}
	if (EVP_PKEY_is_a(pkey, "EC") &&
	    EVP_PKEY_get_group_name(pkey, group, sizeof(group), NULL) &&
	    !strcmp(group, "prime256v1")) {
		*type = SG_NOTE_ECDSA;
		return SG_OK;
	}
	return sg_errf(err, SG_EINPUT, "a %s key cannot sign notes (Ed25519 or ECDSA P-256 only)",
		       EVP_PKEY_get0_type_name(pkey) ? EVP_PKEY_get0_type_name(pkey) : "unknown");
}

int sg_note_key_from_pkey(EVP_PKEY *pkey, const char *name, struct sg_note_key *key,
			  struct sg_err *err)
{
	memset(key, 0, sizeof(*key));
	enum sg_note_type type;
	int rc = note_key_type(pkey, &type, err);
	if (rc)
		return rc;
	if (name && *name) {
		if ((rc = sg_note_name_check(name, "key name", err)))
			return rc;
		memcpy(key->name, name, strlen(name) + 1);
	}
	if (!EVP_PKEY_up_ref(pkey))
		return sg_errf(err, SG_EENV, "out of memory");
	key->type = type;
	key->pkey = pkey;
	return SG_OK;
}

void sg_note_key_clear(struct sg_note_key *key)
{
	EVP_PKEY_free(key->pkey);
	memset(key, 0, sizeof(*key));
}

/* The public key as its note type encodes it: the 32 raw bytes of an
 * Ed25519 key, the DER SubjectPublicKeyInfo of an ECDSA key. */
static int note_key_bytes(const struct sg_note_key *key, uint8_t *buf, size_t size, size_t *len,
			  struct sg_err *err)
{
	if (key->type == SG_NOTE_ED25519) {
		*len = size;
		if (!EVP_PKEY_get_raw_public_key(key->pkey, buf, len) || *len != ED25519_KEY_LEN)
			return sg_errf(err, SG_EENV, "Ed25519 public key unreadable");
		return SG_OK;
	}
	int n = i2d_PUBKEY(key->pkey, NULL);
	if (n <= 0 || (size_t)n > size)
		return sg_errf(err, SG_EENV, "ECDSA public key unreadable");
	i2d_PUBKEY(key->pkey, &buf);
	*len = (size_t)n;
	return SG_OK;
}

/* name, or the key's own when NULL; SG_EINPUT when that is empty. */
static int key_name(const struct sg_note_key *key, const char *name, const char **out,
		    struct sg_err *err)
{
	*out = name ? name : key->name;
	if (!**out)
		return sg_errf(err, SG_EINPUT, "the note key has no name");
	return sg_note_name_check(*out, "key name", err);
}

int sg_note_key_id(const struct sg_note_key *key, const char *name, uint32_t *id,
		   struct sg_err *err)
{
	uint8_t buf[SG_NOTE_NAME_MAX + 2 + SG_SPKI_MAX], md[32];
	size_t off = 0, klen;
	int rc = key_name(key, name, &name, err);
	if (rc)
		return rc;
	/* Ed25519: SHA-256(name || 0x0A || 0x01 || key) (the spec's
	 * recommendation); ECDSA (type 0x02): SHA-256 of the DER SPKI alone. */
	if (key->type == SG_NOTE_ED25519) {
		size_t nlen = strlen(name);
		// NOLINTNEXTLINE(bugprone-not-null-terminated-result): bytes to hash, not a C string
		memcpy(buf, name, nlen);
		buf[nlen] = '\n';
		buf[nlen + 1] = SG_NOTE_ED25519;
		off = nlen + 2;
	}
	if ((rc = note_key_bytes(key, buf + off, sizeof(buf) - off, &klen, err)))
		return rc;
	if (!EVP_Digest(buf, off + klen, md, NULL, EVP_sha256(), NULL))
		return sg_errf(err, SG_EENV, "SHA-256 failed");
	*id = (uint32_t)md[0] << 24 | (uint32_t)md[1] << 16 | (uint32_t)md[2] << 8 | md[3];
	return SG_OK;
}

int sg_note_vkey(const struct sg_note_key *key, const char *name, char *buf, size_t size,
		 struct sg_err *err)
{
	uint8_t raw[1 + SG_SPKI_MAX];
	char b64[SG_BASE64_LEN(sizeof(raw)) + 1];
	size_t klen;
	uint32_t id;
	int rc = key_name(key, name, &name, err);
	if (rc || (rc = sg_note_key_id(key, name, &id, err)) ||
	    (rc = note_key_bytes(key, raw + 1, sizeof(raw) - 1, &klen, err)))
		return rc;
	raw[0] = (uint8_t)key->type;
	int n = snprintf(buf, size, "%s+%08x+%s", name, id, sg_base64_encode(raw, 1 + klen, b64));
	if (n < 0 || (size_t)n >= size)
		return sg_errf(err, SG_EINPUT, "verifier key: buffer of %zu bytes too small", size);
	return SG_OK;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The key ID of a verifier key: exactly 8 hex digits. */
static bool hex8(const char *s, size_t len, uint32_t *v)
{
	if (len != 8)
		return false;
	*v = 0;
	for (size_t i = 0; i < len; i++) {
		int d = hex_value(s[i]);
		if (d < 0)
			return false;
		*v = *v << 4 | (uint32_t)d;
	}
	return true;
}

/* The public key of a vkey: 32 raw Ed25519 bytes, or one DER
 * SubjectPublicKeyInfo of a P-256 key. (Its key ID is computed from the
 * key as signet encodes it, so a key in another encoding, a compressed
 * point, fails the key ID check.) */
static int vkey_pkey(const uint8_t *raw, size_t len, struct sg_note_key *key, struct sg_err *err)
{
	uint8_t type = raw[0];
	const uint8_t *p = raw + 1;
	if (type == SG_NOTE_ED25519) {
		if (len - 1 != ED25519_KEY_LEN)
			return sg_errf(err, SG_EINPUT,
				       "verifier key: Ed25519 key of %zu bytes, not 32", len - 1);
		key->pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, p, len - 1);
	} else if (type == SG_NOTE_ECDSA) {
		key->pkey = d2i_PUBKEY(NULL, &p, (long)(len - 1));
		if (key->pkey && p != raw + len) {
			EVP_PKEY_free(key->pkey);
			key->pkey = NULL;
		}
	} else {
		return sg_errf(err, SG_EINPUT,
			       "verifier key: signature type 0x%02x not supported "
			       "(0x01 Ed25519, 0x02 ECDSA)",
			       type);
	}
	ERR_clear_error();
	if (!key->pkey)
		return sg_errf(err, SG_EINPUT, "verifier key: not a valid %s public key",
			       type == SG_NOTE_ED25519 ? "Ed25519" : "DER SubjectPublicKeyInfo");
	enum sg_note_type t;
	int rc = note_key_type(key->pkey, &t, err);
	if (rc || t != type)
		return rc ? rc : sg_errf(err, SG_EINPUT, "verifier key: type byte and key differ");
	key->type = t;
	return SG_OK;
}

int sg_note_key_from_vkey(const char *vkey, struct sg_note_key *key, struct sg_err *err)
{
	memset(key, 0, sizeof(*key));
	const char *p1 = strchr(vkey, '+'), *p2 = p1 ? strchr(p1 + 1, '+') : NULL;
	if (!p2)
		return sg_errf(err, SG_EINPUT, "verifier key: not NAME+KEYID+KEY");
	int rc = sg_note_name_check_n(vkey, (size_t)(p1 - vkey), "verifier key name", err);
	if (rc)
		return rc;
	uint32_t want;
	if (!hex8(p1 + 1, (size_t)(p2 - p1 - 1), &want))
		return sg_errf(err, SG_EINPUT, "verifier key: key ID is not 8 hex digits");
	uint8_t raw[1 + SG_SPKI_MAX];
	size_t len;
	if (sg_base64_decode(p2 + 1, strlen(p2 + 1), raw, sizeof(raw), &len) || len < 2)
		return sg_errf(err, SG_EINPUT,
			       "verifier key: the key is not base64 of a type and a key");
	memcpy(key->name, vkey, (size_t)(p1 - vkey));
	uint32_t id;
	if ((rc = vkey_pkey(raw, len, key, err)) || (rc = sg_note_key_id(key, NULL, &id, err)))
		goto fail;
	if (id != want) {
		rc = sg_errf(err, SG_EINPUT,
			     "verifier key: key ID %08x does not match the key (%08x)", want, id);
		goto fail;
	}
	return SG_OK;
fail:
	sg_note_key_clear(key);
	return rc;
}

/* 1 when sig is key's signature of text, 0 when not, -1 when OpenSSL
 * fails. Ed25519 signs the text itself, ECDSA its SHA-256 (DER signature;
 * OpenSSL refuses non-DER encodings). */
static int note_sig_ok(const struct sg_note_key *key, const char *text, size_t text_len,
		       const uint8_t *sig, size_t sig_len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	const EVP_MD *md = key->type == SG_NOTE_ED25519 ? NULL : EVP_sha256();
	int ok = -1;
	if (ctx && EVP_DigestVerifyInit(ctx, NULL, md, NULL, key->pkey) == 1)
		ok = EVP_DigestVerify(ctx, sig, sig_len, (const unsigned char *)text, text_len) ==
		     1;
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	return ok;
}

int sg_note_sign_text(struct sg_hsm_key *hkey, const struct sg_note_key *key, const char *text,
		      size_t text_len, char *buf, size_t size, size_t *len, struct sg_err *err)
{
	uint8_t sig[4 + SG_SIG_MAX];
	char b64[SG_BASE64_LEN(sizeof(sig)) + 1];
	size_t sig_len;
	uint32_t id;
	int rc = sg_note_key_id(key, NULL, &id, err);
	if (rc || (rc = sg_hsm_sign(hkey, (const uint8_t *)text, text_len, sig + 4, &sig_len, err)))
		return rc;
	/* A token that signs wrongly must not put a bad signature into the
	 * ledger's checkpoints: check it with the public half. */
	int ok = note_sig_ok(key, text, text_len, sig + 4, sig_len);
	if (ok != 1)
		return sg_errf(err, SG_EENV,
			       "%s: the token's signature does not verify with its public key",
			       sg_hsm_key_uri(hkey));
	sig[0] = (uint8_t)(id >> 24), sig[1] = (uint8_t)(id >> 16);
	sig[2] = (uint8_t)(id >> 8), sig[3] = (uint8_t)id;
	size_t blen = strlen(sg_base64_encode(sig, 4 + sig_len, b64)), nlen = strlen(key->name);
	size_t need = text_len + 1 + strlen(EM_DASH_SPACE) + nlen + 1 + blen + 1;
	if (need > size)
		return sg_errf(err, SG_EINPUT, "signed note: buffer of %zu bytes too small", size);
	char *p = buf;
	memcpy(p, text, text_len), p += text_len;
	*p++ = '\n';
	// NOLINTNEXTLINE(bugprone-not-null-terminated-result): the note is bytes with a length
	memcpy(p, EM_DASH_SPACE, strlen(EM_DASH_SPACE)), p += strlen(EM_DASH_SPACE);
	memcpy(p, key->name, nlen), p += nlen;
	*p++ = ' ';
	memcpy(p, b64, blen), p += blen;
	*p++ = '\n';
	*len = need;
	return SG_OK;
}

/* One signature line, parsed: key name, key ID, signature bytes. */
struct sig_line {
	const char *name;
	size_t name_len;
	uint32_t id;
	const uint8_t *sig;
	size_t sig_len;
};

/* Parses line n (len bytes, no newline) into *out, its bytes decoded into
 * raw (at least len bytes). */
static int sig_line_parse(const char *line, size_t len, size_t n, uint8_t *raw,
			  struct sig_line *out, struct sg_err *err)
{
	size_t dash = strlen(EM_DASH_SPACE);
	if (len < dash || memcmp(line, EM_DASH_SPACE, dash))
		return sg_errf(err, SG_EINPUT,
			       "signed note: signature line %zu does not start with "
			       "an em dash and a space",
			       n);
	const char *name = line + dash, *end = line + len;
	const char *sp = memchr(name, ' ', (size_t)(end - name));
	if (!sp)
		return sg_errf(err, SG_EINPUT, "signed note: signature line %zu has no signature",
			       n);
	char what[64];
	snprintf(what, sizeof(what), "signed note: key name on signature line %zu", n);
	int rc = sg_note_name_check_n(name, (size_t)(sp - name), what, err);
	if (rc)
		return rc;
	size_t raw_len;
	if (sg_base64_decode(sp + 1, (size_t)(end - sp - 1), raw, len, &raw_len) || raw_len < 5)
		return sg_errf(err, SG_EINPUT,
			       "signed note: signature line %zu: not base64 of a key "
			       "ID and a signature",
			       n);
	*out = (struct sig_line){ .name = name,
				  .name_len = (size_t)(sp - name),
				  .id = (uint32_t)raw[0] << 24 | (uint32_t)raw[1] << 16 |
					(uint32_t)raw[2] << 8 | raw[3],
				  .sig = raw + 4,
				  .sig_len = raw_len - 4 };
	return SG_OK;
}

/* The given key that line is by (named name, or default_name when
 * unnamed), NULL in *match when none is. SG_EINPUT when two are. */
static int sig_line_key(const struct sg_note_key *keys, size_t nkeys, const char *default_name,
			const struct sig_line *line, const struct sg_note_key **match,
			struct sg_err *err)
{
	*match = NULL;
	for (size_t i = 0; i < nkeys; i++) {
		const char *name = keys[i].name[0] ? keys[i].name : default_name;
		uint32_t id;
		if (strlen(name) != line->name_len || memcmp(name, line->name, line->name_len))
			continue;
		int rc = sg_note_key_id(&keys[i], name, &id, err);
		if (rc)
			return rc;
		if (id != line->id)
			continue;
		if (*match)
			return sg_errf(err, SG_EINPUT, "two of the given keys are %s+%08x", name,
				       id);
		*match = &keys[i];
	}
	return SG_OK;
}

/* Parses and checks signature line n (one of lines[0..n-1] before it):
 * no earlier line for its key; a given key's must verify (counted in
 * *good). */
static int sig_line_check(const char *text, size_t text_len, const struct sg_note_key *keys,
			  size_t nkeys, const char *default_name, struct sig_line *lines, size_t n,
			  size_t *good, struct sg_err *err)
{
	const struct sig_line *l = &lines[n - 1];
	for (size_t i = 0; i + 1 < n; i++)
		if (lines[i].id == l->id && lines[i].name_len == l->name_len &&
		    !memcmp(lines[i].name, l->name, l->name_len))
			return sg_errf(err, SG_EINPUT,
				       "signed note: signature lines %zu and %zu are "
				       "both by %.*s+%08x",
				       i + 1, n, (int)l->name_len, l->name, l->id);
	const struct sg_note_key *key;
	int rc = sig_line_key(keys, nkeys, default_name, l, &key, err);
	if (rc || !key)
		return rc; /* a key we were not given: ignored, as the spec says */
	int ok = note_sig_ok(key, text, text_len, l->sig, l->sig_len);
	if (ok < 0)
		return sg_errf(err, SG_EENV, "signed note: signature check failed (OpenSSL)");
	if (!ok)
		return sg_errf(err, SG_FAIL,
			       "signed note: the signature by %.*s+%08x (line %zu) "
			       "does not verify",
			       (int)l->name_len, l->name, l->id, n);
	(*good)++;
	return SG_OK;
}

int sg_note_verify(const char *note, size_t len, const struct sg_note_key *keys, size_t nkeys,
		   const char *default_name, size_t *text_len, struct sg_err *err)
{
	size_t tlen, n = 0, good = 0;
	int rc = sg_note_split(note, len, &tlen, err);
	if (rc)
		return rc;
	for (size_t i = 0; i < nkeys; i++)
		if (!keys[i].name[0] && !default_name)
			return sg_errf(err, SG_EINPUT, "signed note: a key has no name");
	struct sig_line lines[SG_NOTE_SIGS_MAX];
	uint8_t *raw = malloc(len);
	if (!raw)
		return sg_errf(err, SG_EENV, "out of memory");
	/* Each line decodes into its own part of raw (a line of k bytes
	 * decodes to fewer than k), so earlier lines stay valid. */
	for (const char *p = note + tlen + 1, *end = note + len; p < end && !rc;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)); /* the note ends in one */
		if (n == SG_NOTE_SIGS_MAX) {
			rc = sg_errf(err, SG_EINPUT, "signed note: more than %d signature lines",
				     SG_NOTE_SIGS_MAX);
			break;
		}
		size_t at = (size_t)(p - note);
		rc = sig_line_parse(p, (size_t)(nl - p), n + 1, raw + at, &lines[n], err);
		if (!rc) {
			n++;
			rc = sig_line_check(note, tlen, keys, nkeys, default_name, lines, n, &good,
					    err);
		}
		p = nl + 1;
	}
	free(raw);
	if (rc)
		return rc;
	if (!good)
		return sg_errf(err, SG_FAIL,
			       "signed note: signed by none of the given keys (%zu "
			       "signature line%s by other keys)",
			       n, n == 1 ? "" : "s");
	*text_len = tlen;
	return SG_OK;
}
