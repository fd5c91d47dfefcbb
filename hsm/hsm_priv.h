/* Internals of the PKCS#11 layer, shared by the files of hsm/ only.
 *
 * The files call each other one way (test hsm_layers): module.c at the
 * bottom, alone with module_priv.h (process-wide modules; it knows neither
 * tokens nor contexts), then uri.c, then token.c (which module a URI means
 * for a context, its tokens and sessions), pin.c (login), key.c, then
 * keygen.c, import.c (on keygen.c's new pairs), sign.c, random.c, list.c,
 * and ctx.c, which takes a context
 * apart. What module.c and token.c share is module.c's, declared in
 * module_priv.h; nothing of token.c goes down.
 *
 * Ownership: a context holds sessions (one per token) and keys; modules are
 * process-wide and reference-counted, because PKCS#11 initialisation and
 * login state belong to the process, not to our context: two contexts on
 * one module must not finalize it under each other. */
#ifndef SIGNET_HSM_PRIV_H
#define SIGNET_HSM_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <p11-kit/pkcs11.h>
#include <p11-kit/uri.h>

#include "module_priv.h"
#include "signet/hsm.h"

#ifndef CKK_EC_EDWARDS
#define CKK_EC_EDWARDS 0x40UL
#endif
#ifndef CKK_EC_MONTGOMERY
#define CKK_EC_MONTGOMERY 0x41UL
#endif
#ifndef CKM_EC_EDWARDS_KEY_PAIR_GEN
#define CKM_EC_EDWARDS_KEY_PAIR_GEN 0x1055UL
#endif
#ifndef CKM_EDDSA
#define CKM_EDDSA 0x1057UL
#endif

/* One session on one token, logged in at most once, for the context's life. */
struct hsm_token {
	struct hsm_token *next;
	struct hsm_module *mod;
	CK_SLOT_ID slot;
	CK_TOKEN_INFO info;
	char label[33]; /* info.label without the padding, for messages */
	CK_SESSION_HANDLE session;
	bool logged_in;
};

struct sg_hsm_key {
	struct sg_hsm_key *next;
	struct hsm_token *tok;
	CK_OBJECT_HANDLE priv;
	enum sg_key_type type;
	char *uri;
	uint8_t spki[SG_SPKI_MAX];
	size_t spki_len;
};

struct hsm_module_ref {
	struct hsm_module_ref *next;
	struct hsm_module *mod;
};

struct sg_hsm_ctx {
	char *module_override;
	struct hsm_module_ref *modules;
	struct hsm_token *tokens;
	struct hsm_token *extra; /* sessions of key copies (sg_hsm_key_dup), never
				  * handed out by hsm_token_find */
	struct sg_hsm_key *keys;
	sg_pin_cb pin_cb;        /* NULL: no PIN source, logins that need one fail */
	void *pin_arg;
	char *pin;               /* sg_hsm_ctx_set_pin's copy, locked, or NULL */
};

/* A heap copy of an attribute value; p == NULL when the object lacks it. */
struct hsm_bytes {
	uint8_t *p;
	size_t len;
};

/* What a key is, learnt from its attributes. */
struct hsm_keyinfo {
	enum sg_key_type type; /* SG_KEY_NONE when unsupported */
	char desc[64];         /* "EC P-256", "RSA 2048", ... */
	int nid;               /* OpenSSL curve NID for EC and EdDSA keys */
	struct hsm_bytes point; /* EC / Ed25519 public point, unwrapped */
	struct hsm_bytes n, e;  /* RSA */
};

/* uri.c */
int hsm_uri_parse(const char *text, P11KitUri **uri, struct sg_err *err);
/* How messages name the token a URI asks for: its label, else its token
 * attributes as a URI, else "any token". */
void hsm_uri_token_desc(P11KitUri *uri, char *buf, size_t n);
/* The URI's value of an object attribute (CKA_LABEL, CKA_ID), or NULL. */
const CK_ATTRIBUTE *hsm_uri_attr(P11KitUri *uri, CK_ATTRIBUTE_TYPE type);
/* Class from `type=`, or dflt when absent. */
CK_OBJECT_CLASS hsm_uri_class(P11KitUri *uri, CK_OBJECT_CLASS dflt);
/* A copy of s with trailing spaces of a fixed-width PKCS#11 field removed. */
void hsm_trim(char *dst, const unsigned char *src, size_t width);

/* token.c */
/* The module the URI means (its module-path=, else the context's), held by
 * ctx from now on (one reference per context and module). */
int hsm_token_module(struct sg_hsm_ctx *ctx, P11KitUri *uri, struct hsm_module **mod,
		     struct sg_err *err);
/* The one initialised token the URI names, with an open session. */
int hsm_token_find(struct sg_hsm_ctx *ctx, P11KitUri *uri, struct hsm_token **tok,
		   struct sg_err *err);
/* Whether a token looks half-read (initialised, needs login, but no user
 * PIN): what SoftHSM2 shows while another process rewrites it. */
bool hsm_token_half_read(const CK_TOKEN_INFO *info);
/* The slots that hold a token, in the module's order (free *slots). */
int hsm_token_slots(struct hsm_module *mod, CK_SLOT_ID **slots, CK_ULONG *n,
		    struct sg_err *err);
/* The session for a slot the caller already chose (for listing). */
int hsm_token_session(struct sg_hsm_ctx *ctx, struct hsm_module *mod, CK_SLOT_ID slot,
		      const CK_TOKEN_INFO *info, struct hsm_token **tok, struct sg_err *err);
void hsm_token_close(struct hsm_token *tok);
/* A new session for tok after its module was initialised again: the token
 * found anew by serial and label (slot ids may change). Not logged in. */
int hsm_token_reopen(struct hsm_token *tok, struct sg_err *err);
/* hsm_module_reinit of mod, only when nobody else can notice: ctx has no
 * session on it but keep's (may be NULL; no key may use keep), whose
 * session is then opened again. SG_FAIL (err untouched) when it may not. */
int hsm_token_reload(struct sg_hsm_ctx *ctx, struct hsm_module *mod, struct hsm_token *keep,
		     struct sg_err *err);
/* Another session on tok's token, in ctx->extra, sharing its login. */
int hsm_token_another(struct sg_hsm_ctx *ctx, const struct hsm_token *tok,
		      struct hsm_token **out, struct sg_err *err);
/* Every object matching tmpl, in a malloc'ed array. */
CK_RV hsm_find(struct hsm_token *tok, CK_ATTRIBUTE *tmpl, CK_ULONG n, CK_OBJECT_HANDLE **out,
	       CK_ULONG *count);
/* Reads one attribute into a heap copy; an attribute the object lacks or
 * keeps secret leaves out empty and returns CKR_OK. */
CK_RV hsm_attr(struct hsm_token *tok, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type,
	       struct hsm_bytes *out);
CK_RV hsm_attr_ulong(struct hsm_token *tok, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type,
		     CK_ULONG *v);
/* A CK_BBOOL attribute: 1 true, 0 false, -1 when the object does not say. */
int hsm_attr_bool(struct hsm_token *tok, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type);
void hsm_bytes_free(struct hsm_bytes *b);

/* pin.c */
/* Logs in as user unless the session already is, with a PIN from the
 * context's PIN source (sg_pin_request.may_prompt passed on). When a PIN is
 * needed, the source has none and may_prompt is false, returns SG_FAIL
 * without setting err, so listing can go on without login. */
int hsm_login(struct sg_hsm_ctx *ctx, struct hsm_token *tok, P11KitUri *uri, bool may_prompt,
	      struct sg_err *err);
/* Cleanses and frees sg_hsm_ctx_set_pin's copy, if any. */
void hsm_ctx_pin_free(struct sg_hsm_ctx *ctx);

/* key.c */
int hsm_key_inspect(struct hsm_token *tok, CK_OBJECT_HANDLE priv, CK_OBJECT_HANDLE pub,
		    struct hsm_keyinfo *ki, struct sg_err *err);
int hsm_key_spki(const struct hsm_keyinfo *ki, uint8_t *out, size_t *len, struct sg_err *err);
void hsm_keyinfo_free(struct hsm_keyinfo *ki);
/* Whether a public and a private object are halves of one pair: same
 * CKA_ID when both have one, else same CKA_LABEL. */
bool hsm_same_pair(const struct hsm_bytes *id_a, const struct hsm_bytes *label_a,
		   const struct hsm_bytes *id_b, const struct hsm_bytes *label_b);

/* keygen.c: a new key pair, generated or imported, and its objects. */
struct hsm_new_pair {
	struct hsm_token *tok; /* logged in */
	CK_ATTRIBUTE label, id; /* into the URI, or id into random_id */
	uint8_t random_id[16];
};
/* For a parsed URI (the caller keeps it while p is used; text is it as
 * written, for messages): object= required, type= private or absent, the
 * id the URI's id= or else 16 random bytes; the token found and logged in
 * to; SG_EINPUT when any object there has the label or the id. what names
 * the operation in messages ("keygen", "import"). */
int hsm_new_pair(struct sg_hsm_ctx *ctx, P11KitUri *uri, const char *text, const char *what,
		 struct hsm_new_pair *p, struct sg_err *err);
/* The attributes every pair's public / private object gets, whatever made
 * it (docs/hsm.md, "Key generation"), into a: returns how many. */
#define HSM_PAIR_PUB_ATTRS 8
#define HSM_PAIR_PRIV_ATTRS 10
CK_ULONG hsm_pair_pub_attrs(const struct hsm_new_pair *p, CK_ATTRIBUTE *a);
CK_ULONG hsm_pair_priv_attrs(const struct hsm_new_pair *p, CK_ATTRIBUTE *a);
/* CKA_EC_PARAMS (a DER OID) of an EC or Ed25519 type, NULL for others. */
const uint8_t *hsm_ec_params(enum sg_key_type type, size_t *len);

#endif
