/* The --json objects of sign, cosign and pki issue (docs/json.md): one
 * jansson object per run, printed once on stdout after the output is
 * published, nothing on stdout when the command fails. cli/json_out.c holds
 * the members they share and the printing, cli/sign_json.c (which calls it,
 * not the other way) the descriptions of signed files and signing requests
 * and the keys that made them. Every builder returns NULL only out of memory or
 * when the file cannot be read (err says which). */
#ifndef SIGNET_CLI_JSON_OUT_H
#define SIGNET_CLI_JSON_OUT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/x509.h>

#include "signet/envelope_format.h"
#include "signet/err.h"

struct wire;

/* A new object {"schema": schema, "command": command}. */
json_t *jo_new(const char *schema, const char *command);
/* {"path", "size", "sha256"} of the file at path as it is now (read back,
 * so the object describes what was published). */
json_t *jo_file(const char *path, struct sg_err *err);
/* A string, or null for NULL. */
json_t *jo_str(const char *s);
/* Lower-case hex string of n bytes. */
json_t *jo_hex(const uint8_t *p, size_t n);
/* A UTC time as RFC 3339, "2026-01-31T12:00:00Z". */
json_t *jo_time(uint64_t t);
/* A certificate: "serial" (lower-case hex), "subject" and "issuer"
 * (RFC 2253), "not_before" and "not_after" (RFC 3339 UTC), "sha256" (of
 * the DER, what openssl x509 -fingerprint -sha256 prints). */
json_t *jo_cert(X509 *x);
/* {"path", "last_record", "checkpoint_size"} of what this run did to the
 * ledger (--ledger), or null without one. */
json_t *jo_ledger(const struct wire *w);
/* Prints o on stdout as one compact line and a newline, and frees it.
 * SG_EENV with err set when o is NULL (out of memory) or stdout cannot
 * take it. */
int jo_print(json_t *o, struct sg_err *err);

/* A key this run signed with: its key id and, for a token key, its URI
 * (NULL for --complete's offline key); pkey (EVP_PKEY, borrowed) names
 * it in an MCUboot image's KEYHASH. */
struct jo_key {
	uint8_t key_id[SGE_KEY_ID_SIZE];
	const char *uri;
	void *pkey;
};

/* The keys of the token key URIs (logged in already by the signing), or
 * of a public key file (uri NULL). jo_keys_close frees their pkeys. */
struct sg_hsm_ctx;
int jo_keys_open(struct sg_hsm_ctx *hsm, const char *const *uris, size_t n, struct jo_key *keys,
		 struct sg_err *err);
int jo_key_file(const char *pub_path, struct jo_key *k, struct sg_err *err);
void jo_keys_close(struct jo_key *keys, size_t n);

/* Prints jo_signed_file's object with the "ledger" member of w (NULL: no
 * ledger) and returns the exit status; a failure is reported and nothing
 * is printed. */
int jo_print_signed(const char *command, const char *path, const struct jo_key *keys,
		    size_t nkeys, const struct wire *w);

/* Schema signet.sign/1: the signet envelope or MCUboot image at path, read
 * back; keys are the ones this run signed with (their signatures get
 * "added": true and the URI). */
json_t *jo_signed_file(const char *command, const char *path, const struct jo_key *keys,
		       size_t nkeys, struct sg_err *err);
/* Schema signet.sign-request/1: the signing request at path, read back,
 * for the holder of pubkey_path's private key. */
json_t *jo_request_file(const char *path, const char *pubkey_path, struct sg_err *err);

#endif
