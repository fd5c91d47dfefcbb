/* Signed checkpoints of a ledger (docs/ledger.md, "Checkpoints"): the C2SP
 * tlog-checkpoint body (origin line, tree size in decimal, base64 of the
 * 32-byte RFC 9162 root, no extension lines) in a C2SP signed note, signed
 * by a key in the token:
 *   Ed25519     note signature type 0x01: Ed25519 over the note text;
 *               key ID = SHA-256(name || 0x0A || 0x01 || 32-byte key)[:4]
 *   ECDSA P-256 note signature type 0x02 (C2SP signed-note, as the
 *               transparency-dev witness and Rekor use it): DER ECDSA over
 *               SHA-256(note text); key ID = SHA-256(DER SPKI)[:4]
 * Verifier keys are "NAME+HEXKEYID+BASE64(type || key)", the key being the
 * 32 raw bytes (Ed25519) or the DER SubjectPublicKeyInfo (ECDSA).
 *
 * Errors: SG_EINPUT for a malformed note, body, key name or verifier key and
 * for a key type that cannot sign notes; SG_FAIL when the signatures say
 * no (a given key's signature does not verify, or none of the given keys
 * signed); SG_EENV for the token and out of memory. No clock, no
 * environment, no state: every function may run on any thread. */
#ifndef SIGNET_CHECKPOINT_H
#define SIGNET_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#include "signet/err.h"
#include "signet/hsm.h"

/* Longest origin or key name, in bytes. */
#define SG_NOTE_NAME_MAX 255
/* Largest note sg_checkpoint_verify / sg_note_verify read: room for more
 * than the 16 post-quantum signatures the spec asks verifiers to accept. */
#define SG_NOTE_MAX (128 * 1024)
/* Most signature lines a note may have. */
#define SG_NOTE_SIGS_MAX 64
/* Longest checkpoint body (longest origin, 20-digit size, root). */
#define SG_CHECKPOINT_BODY_MAX (SG_NOTE_NAME_MAX + 1 + 20 + 1 + 44 + 1)
/* Longest note sg_checkpoint_sign writes (one signature line). */
#define SG_CHECKPOINT_NOTE_MAX 1024

/* The note signature types signet signs and verifies (the type byte). */
enum sg_note_type {
	SG_NOTE_ED25519 = 0x01,
	SG_NOTE_ECDSA = 0x02, /* P-256 only here */
};

struct sg_checkpoint {
	char origin[SG_NOTE_NAME_MAX + 1]; /* UTF-8, no control character */
	uint64_t size;                     /* leaves in the tree */
	uint8_t root[32];                  /* RFC 9162 Merkle Tree Hash */
};

/* A public key that verifies notes. name "" stands for the origin of the
 * checkpoint being verified (a PEM key carries no name). */
struct sg_note_key {
	char name[SG_NOTE_NAME_MAX + 1];
	enum sg_note_type type;
	EVP_PKEY *pkey; /* a reference of its own: sg_note_key_clear frees it */
};

/* Whether name may be a key name: 1 to SG_NOTE_NAME_MAX bytes of UTF-8
 * with no control character, no Unicode space and no '+'. A checkpoint
 * origin needs only the first two, but an origin that is also a key name
 * lets the origin name the key (what signet's ledgers do). SG_EINPUT saying
 * why, naming `what` ("origin", "key name"). */
int sg_note_name_check(const char *name, const char *what, struct sg_err *err);

/* The checkpoint body of cp into buf (size bytes), not NUL-terminated;
 * *len gets its length (at most SG_CHECKPOINT_BODY_MAX). SG_EINPUT for an
 * invalid origin or a buffer too small. */
int sg_checkpoint_format(const struct sg_checkpoint *cp, char *buf, size_t size, size_t *len,
			 struct sg_err *err);

/* Parses a checkpoint body (the note text, final newline included) strictly:
 * exactly three lines, the origin (1 to SG_NOTE_NAME_MAX bytes of UTF-8,
 * no control character: a space is allowed), the size in decimal without a
 * leading zero, the root as 44 characters of canonical padded base64 of 32
 * bytes; extension lines are refused. So sg_checkpoint_format of the result
 * gives back the same bytes. SG_EINPUT naming the line and what is wrong;
 * *cp is written only on success. */
int sg_checkpoint_parse(const char *body, size_t len, struct sg_checkpoint *cp,
			struct sg_err *err);

/* The note key for pkey (Ed25519 or EC P-256, a new reference is taken),
 * named name (NULL or "": the origin of the checkpoint it verifies).
 * SG_EINPUT for another key type or an invalid name. */
int sg_note_key_from_pkey(EVP_PKEY *pkey, const char *name, struct sg_note_key *key,
			  struct sg_err *err);

/* The note key a verifier key string "NAME+HEXKEYID+BASE64" gives: the key
 * ID must be the one the key and name make, the type 0x01 (32-byte
 * Ed25519 key) or 0x02 (DER SubjectPublicKeyInfo of a P-256 key, canonical).
 * SG_EINPUT saying what is wrong. */
int sg_note_key_from_vkey(const char *vkey, struct sg_note_key *key, struct sg_err *err);

/* Frees the key's reference and empties it. Safe on an emptied key. */
void sg_note_key_clear(struct sg_note_key *key);

/* The key ID the key signs under with name (NULL: the key's own name).
 * SG_EINPUT when there is no name; SG_EENV out of memory. */
int sg_note_key_id(const struct sg_note_key *key, const char *name, uint32_t *id,
		   struct sg_err *err);

/* The verifier key string of key under name (NULL: the key's own) into buf,
 * NUL-terminated. SG_EINPUT without a name or when buf is too small. */
int sg_note_vkey(const struct sg_note_key *key, const char *name, char *buf, size_t size,
		 struct sg_err *err);

/* Signs cp with the token key (ed25519 or ecdsa-p256) under the key name
 * name (NULL or "": cp's origin): the whole note, body, blank line and one
 * signature line, into buf (SG_CHECKPOINT_NOTE_MAX bytes are always
 * enough), not NUL-terminated, length in *len. The signature is verified
 * with the key's public half before it is returned (a token that signs
 * wrongly is SG_EENV). SG_EINPUT for another key type (err->param "key")
 * or an invalid name (the origin, when no name is given, must be a valid
 * key name). */
int sg_checkpoint_sign(struct sg_hsm_key *key, const struct sg_checkpoint *cp, const char *name,
		       char *buf, size_t size, size_t *len, struct sg_err *err);

/* Verifies a signed note of any text against keys (nkeys of them; keys
 * named "" take default_name, and are refused when it is NULL): at most
 * SG_NOTE_MAX bytes and SG_NOTE_SIGS_MAX signature lines, valid UTF-8
 * with no control character but newline, text, blank line, signature lines
 * each ending in a newline; no two lines for one key name and key ID.
 * Lines of keys not given are ignored; every line of a given key must
 * verify, and at least one must be there. *text_len gets the length of the
 * note text (from the start of note, final newline included). */
int sg_note_verify(const char *note, size_t len, const struct sg_note_key *keys, size_t nkeys,
		   const char *default_name, size_t *text_len, struct sg_err *err);

/* sg_note_verify of a note whose text is a checkpoint body, keys named ""
 * standing for its origin; the checkpoint into *cp (only on success). */
int sg_checkpoint_verify(const char *note, size_t len, const struct sg_note_key *keys,
			 size_t nkeys, struct sg_checkpoint *cp, struct sg_err *err);

struct sg_ledger;
/* Cuts a checkpoint of ledger l: its current size and root signed with the
 * token key (as sg_checkpoint_sign, under the ledger's origin) and stored in
 * it (sg_ledger_checkpoint_put). The note goes into note (size bytes, at
 * least SG_CHECKPOINT_NOTE_MAX + 1), NUL-terminated, length in *len; the
 * tree size it signs into *tree_size (may be NULL). Errors as those two. */
int sg_ledger_cut_checkpoint(struct sg_ledger *l, struct sg_hsm_key *key, char *note,
			     size_t size, size_t *len, uint64_t *tree_size, struct sg_err *err);

#endif
