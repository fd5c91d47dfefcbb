/* PKCS#11 access: keys named by RFC 7512 URIs, generated and used inside the
 * token (or, for development keys, imported into it). Raw PKCS#11 (module dlopen'ed, p11-kit's pkcs11.h and URI parser):
 * libp11 0.4.12 cannot make EC/Ed25519 keys and breaks on tokens that hold an
 * Ed25519 key, so it is not used here.
 *
 * Module: `module-path=` in the URI, else the one given to sg_hsm_ctx_new
 * (the CLI gives --module, else $SIGNET_PKCS11_MODULE); the library reads
 * no environment of its own.
 * PIN: the library reads none itself (no file, no environment, no
 * terminal): a login that needs one asks the context's PIN source, a
 * callback the caller sets (sg_hsm_ctx_set_pin_cb; the CLI's reads the URI's
 * pin-source file, $SIGNET_PIN or a no-echo prompt) or a PIN value kept on
 * the context (sg_hsm_ctx_set_pin). Without either, such a login fails and
 * nothing prompts. `pin-value=` is refused: a PIN never appears in a URI.
 * The buffer that held a PIN is zeroed after C_Login.
 * A token already logged in by another live context needs no PIN.
 * Before the PIN source is asked, core dumps are turned off for good
 * (sg_hsm_no_core_dumps).
 *
 * A context keeps one loaded module per path and one logged-in session per
 * token for its whole life, so a run that signs many things logs in once. */
#ifndef SIGNET_HSM_H
#define SIGNET_HSM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#include "signet/err.h"

enum sg_key_type {
	SG_KEY_NONE = 0,
	SG_KEY_ECDSA_P256,
	SG_KEY_ECDSA_P384,
	SG_KEY_ED25519,
	SG_KEY_RSA_3072,
	SG_KEY_RSA_4096,
};

/* "ecdsa-p256", "ecdsa-p384", "ed25519", "rsa-3072", "rsa-4096". */
const char *sg_key_type_name(enum sg_key_type t);
enum sg_key_type sg_key_type_parse(const char *name); /* SG_KEY_NONE if unknown */

/* Largest signature any supported key makes (RSA-4096 = 512 bytes). */
#define SG_SIG_MAX 512
/* Largest DER SubjectPublicKeyInfo of a supported key. */
#define SG_SPKI_MAX 600

struct sg_hsm_ctx;
struct sg_hsm_key;

/* Turns core dumps off for the rest of the process: PR_SET_DUMPABLE 0 (no
 * core, and other processes of the user may not read its memory) and
 * RLIMIT_CORE 0. Done before any PIN is read, and for good: after login the
 * module keeps secrets in process memory until it is unloaded. SG_EENV if
 * the kernel refuses. */
int sg_hsm_no_core_dumps(struct sg_err *err);

/* module_override: the module for URIs without module-path=, or NULL (then
 * those fail: "no PKCS#11 module", err->param "module_override"). Never
 * fails except out of memory (NULL). */
struct sg_hsm_ctx *sg_hsm_ctx_new(const char *module_override);

/* What a login asks its PIN source for. */
struct sg_pin_request {
	const char *token_label; /* the token, for prompts and messages */
	const char *pin_source;  /* the URI's pin-source= as written, or NULL */
	bool may_prompt;         /* false while listing: answer only if a PIN is at
				  * hand without asking anyone */
};
/* A PIN source. Returns SG_OK with the PIN, NUL-terminated, non-empty and
 * shorter than pin_max, in pin; SG_FAIL without touching err when it has
 * none (a login then fails with "needs a PIN", a listing goes on without
 * login); any other status with err set (one line, no PIN in it), which
 * the login returns. Called only by the thread using the context, after
 * core dumps are off; pin is cleansed by the library after C_Login. */
typedef int (*sg_pin_cb)(void *arg, const struct sg_pin_request *req, char *pin,
			 size_t pin_max, struct sg_err *err);
/* Sets the context's PIN source (NULL: none), replacing any set before. */
void sg_hsm_ctx_set_pin_cb(struct sg_hsm_ctx *ctx, sg_pin_cb cb, void *arg);
/* Makes pin the context's PIN source for every token (a copy, in locked
 * memory, cleansed when replaced or when the context is freed). SG_EINPUT
 * when empty or 256 bytes or longer; SG_EENV out of memory. */
int sg_hsm_ctx_set_pin(struct sg_hsm_ctx *ctx, const char *pin, struct sg_err *err);
/* Logs out, closes sessions, finalizes and unloads modules, frees keys. */
void sg_hsm_ctx_free(struct sg_hsm_ctx *ctx);

/* Finds the private key the URI names (token by label/serial/model/manuf,
 * object by `object=` label and/or `id=`; `type=private` implied) and its
 * public half (the public key object with the same id/label, for the SPKI).
 * Errors: no module/token/key, several keys match, wrong PIN, unsupported
 * key type — SG_EENV for module/token/PIN/HSM failures, SG_EINPUT for a
 * malformed URI, a key that matches nothing or more than one object, or an
 * unsupported key type. The key belongs to ctx (freed with it). */
int sg_hsm_key_open(struct sg_hsm_ctx *ctx, const char *uri, struct sg_hsm_key **key,
		    struct sg_err *err);

/* The same key on a new session of its own, for another thread: a session
 * runs one operation at a time, so each signing thread needs its own. The
 * object handle and the login are the application's, shared by every
 * session (PKCS#11 v2.40 2.4, 2.6), so no PIN is asked again. The copy
 * belongs to ctx, which must be the key's, and must not be used by two
 * threads at once either. SG_EENV when the token opens no more sessions. */
int sg_hsm_key_dup(struct sg_hsm_ctx *ctx, const struct sg_hsm_key *key,
		   struct sg_hsm_key **copy, struct sg_err *err);

/* The DER SubjectPublicKeyInfo of the key the URI names, into spki
 * (SG_SPKI_MAX bytes), and its type. Without login when the token shows a
 * public key object for it (by the URI's object=/id=); otherwise as
 * sg_hsm_key_open, which logs in to read the private key's public half.
 * Errors as sg_hsm_key_open. */
int sg_hsm_pubkey(struct sg_hsm_ctx *ctx, const char *uri, uint8_t *spki, size_t *spki_len,
		  enum sg_key_type *type, struct sg_err *err);

enum sg_key_type sg_hsm_key_type(const struct sg_hsm_key *key);
/* DER SubjectPublicKeyInfo of the key (owned by the key). */
const uint8_t *sg_hsm_key_spki(const struct sg_hsm_key *key, size_t *len);
/* The URI the key was opened with, for messages. */
const char *sg_hsm_key_uri(const struct sg_hsm_key *key);
/* The key's public half as an OpenSSL key, a new reference the caller frees
 * with EVP_PKEY_free; NULL when out of memory. It is a plain software key
 * decoded from sg_hsm_key_spki, so it may outlive the key and its context
 * and be used from any thread. */
EVP_PKEY *sg_hsm_key_pkey(const struct sg_hsm_key *key);
/* The same from a DER SubjectPublicKeyInfo (sg_hsm_pubkey's): NULL when it
 * is not exactly one SubjectPublicKeyInfo or memory runs out. */
EVP_PKEY *sg_hsm_spki_pkey(const uint8_t *spki, size_t len);

/* Signs msg with the one algorithm the key type implies:
 *   ecdsa-p256: ECDSA over SHA-256(msg), hashed here, CKM_ECDSA in the token
 *   ecdsa-p384: ECDSA over SHA-384(msg), likewise
 *   ed25519:    pure Ed25519 over msg, CKM_EDDSA (msg is passed whole)
 *   rsa-*:      RSASSA-PSS, SHA-256, MGF1-SHA-256, salt 32, CKM_RSA_PKCS_PSS
 *               over SHA-256(msg)
 * ECDSA signatures are returned DER-encoded (Ecdsa-Sig-Value), the others
 * raw. sig must hold SG_SIG_MAX bytes; *sig_len gets the length. */
int sg_hsm_sign(struct sg_hsm_key *key, const uint8_t *msg, size_t msg_len, uint8_t *sig,
		size_t *sig_len, struct sg_err *err);

/* Same, but the caller already hashed (ECDSA/RSA: digest of the right
 * length for the key type). Ed25519 has no prehash form here: SG_EINPUT. */
int sg_hsm_sign_digest(struct sg_hsm_key *key, const uint8_t *digest, size_t digest_len,
		       uint8_t *sig, size_t *sig_len, struct sg_err *err);

/* len random bytes from the token's C_GenerateRandom, on the key's session
 * (the token that holds a CA key also makes its serial numbers). SG_EENV
 * when the token fails. */
int sg_hsm_random(struct sg_hsm_key *key, uint8_t *buf, size_t len, struct sg_err *err);

/* Generates a key pair inside the token the URI names, labelled with
 * `object=` and with `id=` (a random 16-byte id when absent): private key
 * CKA_SENSITIVE, not CKA_EXTRACTABLE, CKA_SIGN only (no decrypt/derive/
 * unwrap); public key CKA_VERIFY, not private. Refuses (SG_EINPUT) when any
 * object with that label or id exists. */
int sg_hsm_keygen(struct sg_hsm_ctx *ctx, const char *uri, enum sg_key_type type,
		  struct sg_err *err);

/* Largest key file sg_hsm_private_key_decode takes: far more than any
 * supported key needs in PEM with text around it. */
#define SG_KEY_FILE_MAX 65536

/* Decodes the private key in data (len bytes, what a file or standard
 * input held; name says which, for messages: "KEY.pem", "standard input"):
 * PEM "PRIVATE KEY" (PKCS#8), the traditional "EC PRIVATE KEY" and "RSA
 * PRIVATE KEY", or either as DER; text around a PEM block is skipped. Reads
 * no file. *pkey gets a new key the caller frees with EVP_PKEY_free (which
 * clears its private parts), *type its type. Refused with SG_EINPUT and one
 * line naming name (never any byte of the key): empty, too large
 * (SG_KEY_FILE_MAX), malformed, not a private key, several private keys,
 * an encrypted key (PEM "ENCRYPTED PRIVATE KEY", Proc-Type ENCRYPTED, DER
 * EncryptedPrivateKeyInfo; err->param "encrypted_key": decrypt it first,
 * through a pipe), a key whose public and private parts disagree, and any
 * type but the five sg_key_type ones ("RSA 2048 key", "EC P-521 key",
 * "X25519 key"). The caller turns core dumps off (sg_hsm_no_core_dumps)
 * before it reads the bytes, and cleanses them after this call. */
int sg_hsm_private_key_decode(const uint8_t *data, size_t len, const char *name,
			      EVP_PKEY **pkey, enum sg_key_type *type, struct sg_err *err);

/* What sg_hsm_import made. */
struct sg_hsm_imported {
	enum sg_key_type type;
	char key_id[65];          /* hex SHA-256 of the DER SubjectPublicKeyInfo, the
				   * key id signatures carry */
	char id_hex[129];         /* the CKA_ID of both objects */
	bool always_sensitive;    /* CKA_ALWAYS_SENSITIVE, CKA_NEVER_EXTRACTABLE as the */
	bool never_extractable;   /* token reports them: false for a key made outside */
};

/* Imports pkey, a private key made outside the token (development and CI
 * keys; production keys are generated inside with sg_hsm_keygen), into the
 * token the URI names as a pair like sg_hsm_keygen's: the same label and id
 * rules (object= required, id= or 16 random bytes, an existing label or id
 * refused with SG_EINPUT) and attributes (private key CKA_SENSITIVE, not
 * CKA_EXTRACTABLE, CKA_SIGN only; public key CKA_VERIFY), made with
 * C_CreateObject, so it is found and used as a generated key is. The types
 * are sg_key_type's (others SG_EINPUT). Then the token is asked: if it keeps
 * the private key not sensitive or extractable, both objects are destroyed
 * and the import refused (SG_FAIL, naming the token); if the public key it
 * shows is not pkey's, likewise (SG_EENV). Core dumps are turned off first;
 * every buffer that held a private part is cleansed. *out (may be NULL)
 * says what was made. */
int sg_hsm_import(struct sg_hsm_ctx *ctx, const char *uri, const EVP_PKEY *pkey,
		  struct sg_hsm_imported *out, struct sg_err *err);

/* One listed item: a token, or a key on the token listed before it. */
struct sg_hsm_item {
	bool is_token;
	char uri[1024];       /* RFC 7512 URI that names it */
	char token_label[33];
	char manufacturer[33];
	char model[17];
	char serial[17];
	bool initialized;     /* token */
	enum sg_key_type key_type; /* key; SG_KEY_NONE if not a supported type */
	char key_desc[64];    /* e.g. "EC P-256", "RSA 3072", "Ed25519" */
	char label[256];
	char id_hex[129];
	char key_id[65];      /* hex SHA-256 of the DER SubjectPublicKeyInfo, the key
			       * id envelopes carry; "" when the public key is not
			       * readable or not a supported type */
	bool has_private;     /* a private key with this label/id was seen (needs login) */
	int generated_in_token; /* CKA_LOCAL: 1 generated in the token, 0 made
				 * outside and imported, -1 not shown */
};

/* Lists every token of the module (uri may be NULL, or a URI naming the
 * module/token to restrict to) and the keys on each, without login (public
 * key objects). Only when the URI names a token (token/slot attributes) and
 * exactly one initialised token matches, it logs in to that one to see
 * private keys too, if the PIN source has a PIN without prompting
 * (may_prompt false); a wrong PIN for it is an error. Calls fn for each item in
 * order; a non-zero return from fn stops the listing and is returned. */
int sg_hsm_list(struct sg_hsm_ctx *ctx, const char *uri,
		int (*fn)(const struct sg_hsm_item *item, void *arg), void *arg,
		struct sg_err *err);

#endif
