/* signet ledger: what the subcommands share (opening the ledger, public
 * keys, checkpoint files, output). Below cmd_ledger.c and ledger_*.c. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "cli.h"
#include "ledger.h"
#include "signet/atomic_file.h"
#include "signet/fileio.h"
#include "signet/ledger_audit.h"

int ledger_open(const struct ledger_args *a, bool write, struct sg_ledger **l)
{
	struct sg_err err;
	if (!a->ledger)
		return cli_usage_error("ledger", "%s needs --ledger", a->sub);
	if (sg_ledger_open(a->ledger, write ? 0 : SG_LEDGER_READONLY, l, &err))
		return cli_report(&err);
	return SG_OK;
}

int ledger_load_key(const char *spec, struct sg_note_key *key, struct sg_err *err)
{
	const char *plus = strchr(spec, '+');
	if (plus && access(spec, F_OK) != 0)
		return sg_note_key_from_vkey(spec, key, err);
	uint8_t *buf;
	size_t len;
	int rc = sg_read_file(spec, 64 * 1024, &buf, &len, err);
	if (rc)
		return rc;
	BIO *bio = BIO_new_mem_buf(buf, (int)len);
	EVP_PKEY *pkey = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
	if (!pkey) {
		const unsigned char *p = buf;
		pkey = d2i_PUBKEY(NULL, &p, (long)len);
	}
	BIO_free(bio);
	free(buf);
	if (!pkey)
		return sg_errf(err, SG_EINPUT, "%s: not a PEM or DER public key", spec);
	rc = sg_note_key_from_pkey(pkey, NULL, key, err);
	EVP_PKEY_free(pkey);
	if (rc)
		return sg_errf(err, rc, "%s: %s", spec, err->msg);
	return SG_OK;
}

int ledger_keys(const struct ledger_args *a, struct sg_note_key *keys, size_t *n)
{
	struct sg_err err;
	*n = 0;
	if (a->npubkeys == 0)
		return cli_usage_error("ledger", "%s needs --pubkey", a->sub);
	for (int i = 0; i < a->npubkeys; i++) {
		if (ledger_load_key(a->pubkeys[i], &keys[*n], &err)) {
			ledger_keys_clear(keys, *n);
			return cli_report(&err);
		}
		(*n)++;
	}
	return SG_OK;
}

void ledger_keys_clear(struct sg_note_key *keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sg_note_key_clear(&keys[i]);
}

int ledger_read_note(const char *path, char **note, size_t *len)
{
	struct sg_err err;
	uint8_t *buf;
	if (sg_read_file(path, SG_NOTE_MAX, &buf, len, &err))
		return cli_report(&err);
	*note = (char *)buf;
	return SG_OK;
}

int ledger_output(const char *out, const void *text, size_t len)
{
	struct sg_err err;
	if (out) {
		if (sg_write_file_atomic(out, text, len, &err))
			return cli_report(&err);
		return SG_OK;
	}
	if (fwrite(text, 1, len, stdout) != len || fflush(stdout)) {
		sg_errf(&err, SG_EENV, "stdout: write failed");
		return cli_report(&err);
	}
	return SG_OK;
}


int ledger_cps_add(void *arg, uint64_t size, const uint8_t root[SG_MERKLE_HASH_LEN], const char *note)
{
	struct ledger_cps *c = arg;
	(void)root; /* recomputed from the records and the signed note instead */
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 16;
		struct ledger_cp *v = realloc(c->v, cap * sizeof *v);
		if (!v)
			return SG_EENV;
		c->v = v;
		c->cap = cap;
	}
	if (!(c->v[c->n].note = strdup(note)))
		return SG_EENV;
	c->v[c->n++].size = size;
	return SG_OK;
}

int ledger_cps_audit(struct sg_audit *au, const struct ledger_cps *c, size_t *next, struct sg_err *err)
{
	struct sg_checkpoint cp;
	for (; *next < c->n && c->v[*next].size == au->range.size; (*next)++) {
		int rc = sg_audit_checkpoint(au, c->v[*next].note, strlen(c->v[*next].note), &cp, err);
		if (rc)
			return rc;
	}
	return SG_OK;
}

void ledger_cps_free(struct ledger_cps *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i].note);
	free(c->v);
}
