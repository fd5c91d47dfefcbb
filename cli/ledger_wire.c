/* Recording what sign, cosign and pki do in an audit ledger (docs/ledger.md,
 * "Recording signing and issuance"): the records are built and checked
 * before anything is published, release.started goes in before the output
 * is renamed into place and release.signed, read back from the published
 * file, after it. Below cmd_sign.c, cmd_cosign.c and cmd_pki.c. */
#include "ledger_wire.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cli.h"
#include "signet/chain.h"
#include "signet/checkpoint.h"
#include "signet/fileio.h"
#include "signet/hsm.h"
#include "signet/ledger.h"
#include "signet/ledger_record.h"
#include "signet/mcuboot_sign.h"
#include "signet/num.h"
#include "signet/verifier.h"
#include "signet/verify.h"

int wire_open(struct wire *w, const char *cmd, const char *path, const char *key_uri)
{
	struct sg_err err;
	uint64_t now;
	memset(w, 0, sizeof *w);
	if (key_uri && !path)
		return cli_usage_error(cmd, "--ledger-key goes with --ledger");
	if (!path)
		return SG_OK;
	w->path = path;
	w->key_uri = key_uri;
	if (sg_now(&now, &err) || sg_ledger_open(path, 0, &w->l, &err))
		return cli_report(&err);
	w->now = (time_t)now;
	return SG_OK;
}

void wire_close(struct wire *w)
{
	sg_ledger_close(w->l);
	w->l = NULL;
}

int wire_rec_take(struct wire_rec *r, const char *type, struct sg_record_builder *b,
		  struct sg_err *err)
{
	uint8_t *probe;
	size_t probe_len;
	memset(r, 0, sizeof *r);
	r->type = type;
	int rc = b ? sg_record_builder_json(b, &r->json, &r->len, err)
		   : sg_errf(err, SG_EENV, "out of memory");
	sg_record_builder_free(b);
	/* The whole record, as the append will build it: refused now or never. */
	if (!rc)
		rc = sg_record_build(type, r->json, r->len, 0, 0, "check", &probe, &probe_len, err);
	if (rc) {
		/* The fields are the command's, not a --json the user gave. */
		err->param = NULL;
		wire_rec_clear(r);
		return rc;
	}
	free(probe);
	return SG_OK;
}

void wire_rec_clear(struct wire_rec *r)
{
	free(r->json);
	r->json = NULL;
}

struct batch {
	const struct wire_rec *recs;
	size_t next;
	const char *origin;
	time_t now;
};

static int encode(void *arg, uint64_t index, uint8_t **leaf, size_t *len, struct sg_err *err)
{
	struct batch *b = arg;
	const struct wire_rec *r = &b->recs[b->next++];
	return sg_record_build(r->type, r->json, r->len, index, r->time ? r->time : b->now,
			       b->origin, leaf, len, err);
}

int wire_append(struct wire *w, const struct wire_rec *recs, size_t n, uint64_t *first,
		struct sg_err *err)
{
	uint64_t index;
	if (!w->l || n == 0)
		return SG_OK;
	struct batch b = { recs, 0, sg_ledger_origin(w->l), w->now };
	if (sg_ledger_append(w->l, n, encode, &b, &index, err)) {
		char why[sizeof err->msg];
		memcpy(why, err->msg, sizeof why);
		return sg_errf(err, err->status, "%s: %s", w->path, why);
	}
	if (first)
		*first = index;
	w->appended = true;
	w->last_index = index + n - 1;
	if (w->quiet)
		return SG_OK;
	if (n == 1)
		fprintf(stderr, "signet: %s: record %llu (%s) appended\n", w->path,
			(unsigned long long)index, recs[0].type);
	else
		fprintf(stderr, "signet: %s: records %llu to %llu appended\n", w->path,
			(unsigned long long)index, (unsigned long long)(index + n - 1));
	return SG_OK;
}

int wire_check_key(struct wire *w, struct sg_hsm_ctx *hsm)
{
	struct sg_err err;
	struct sg_hsm_key *key;
	if (!w->l || !w->key_uri)
		return SG_OK;
	int rc = hsm ? sg_hsm_key_open(hsm, w->key_uri, &key, &err)
		     : sg_errf(&err, SG_EENV, "out of memory");
	if (!rc && sg_hsm_key_type(key) != SG_KEY_ED25519 &&
	    sg_hsm_key_type(key) != SG_KEY_ECDSA_P256)
		rc = sg_errf(&err, SG_EINPUT, "--ledger-key %s: checkpoints are signed by an ed25519 "
			     "or ecdsa-p256 key", w->key_uri);
	return rc ? cli_report(&err) : SG_OK;
}

int wire_checkpoint(struct wire *w, struct sg_hsm_ctx *hsm, struct sg_err *err)
{
	struct sg_hsm_key *key;
	char note[SG_CHECKPOINT_NOTE_MAX + 1];
	size_t len;
	uint64_t size;
	if (!w->l || !w->key_uri)
		return SG_OK;
	int rc = hsm ? sg_hsm_key_open(hsm, w->key_uri, &key, err)
		     : sg_errf(err, SG_EENV, "out of memory");
	if (!rc)
		rc = sg_ledger_cut_checkpoint(w->l, key, note, sizeof note, &len, &size, err);
	if (rc) {
		/* The checkpoint key is --ledger-key here, not the library's "key". */
		char why[sizeof err->msg];
		memcpy(why, err->msg, sizeof why);
		return sg_errf(err, rc, "%s: checkpoint with --ledger-key %s: %s", w->path,
			       w->key_uri, why);
	}
	w->checkpointed = true;
	w->checkpoint_size = size;
	fprintf(stderr, "signet: %s: checkpoint of %llu records stored\n", w->path,
		(unsigned long long)size);
	return SG_OK;
}

/* ---- releases */

static void set_version(struct sg_record_builder *b, unsigned major, unsigned minor,
			unsigned patch, uint32_t build)
{
	char v[48];
	sg_version_str(major, minor, patch, build, true, v, sizeof v);
	sg_record_set_str(b, "version", v);
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* release.signed with what is known before publishing and stand-ins for
 * the rest: whether the given values (version, --hw-id) can be recorded. */
static int probe_signed(const struct wire_release *r)
{
	static const uint8_t zero[32];
	struct wire_rec rec;
	struct sg_record_builder *b = sg_record_builder_new("release.signed");
	sg_record_set_str(b, "format", r->mcuboot ? "mcuboot" : "signet");
	sg_record_set_str(b, "digest_alg", "sha256");
	sg_record_set_hex(b, "digest", zero, sizeof zero);
	sg_record_add_hex(b, "key_ids", zero, sizeof zero);
	if (r->version)
		set_version(b, r->version->major, r->version->minor, r->version->patch,
			    r->version->build);
	else
		sg_record_set_str(b, "version", "0.0.0+0");
	if (r->hw_id)
		sg_record_set_str(b, "hw_id", r->hw_id);
	struct sg_err err;
	int rc = wire_rec_take(&rec, "release.signed", b, &err);
	wire_rec_clear(&rec);
	if (rc) {
		char why[sizeof err.msg];
		memcpy(why, err.msg, sizeof why);
		sg_errf(&err, rc, "%s: the ledger cannot record this release: %s", r->out, why);
		return cli_report(&err);
	}
	return SG_OK;
}

int wire_release_started(struct wire *w, const struct wire_release *r)
{
	struct wire_rec rec;
	if (!w->l)
		return SG_OK;
	int rc = probe_signed(r);
	if (rc)
		return rc;
	struct sg_record_builder *b = sg_record_builder_new("release.started");
	sg_record_set_str(b, "format", r->mcuboot ? "mcuboot" : "signet");
	sg_record_set_str(b, "output", base_name(r->out));
	if (r->version)
		set_version(b, r->version->major, r->version->minor, r->version->patch,
			    r->version->build);
	struct sg_err err;
	rc = wire_rec_take(&rec, "release.started", b, &err);
	if (!rc)
		rc = wire_append(w, &rec, 1, NULL, &err);
	wire_rec_clear(&rec);
	return rc ? cli_report(&err) : SG_OK;
}

/* SHA-256 of the whole file at fd. */
static int file_sha256(int fd, const char *path, uint8_t out[32], struct sg_err *err)
{
	uint8_t buf[1 << 16];
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int rc = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) ? SG_OK
								  : sg_errf(err, SG_EENV, "out of memory");
	for (uint64_t off = 0; rc == SG_OK;) {
		ssize_t n = pread(fd, buf, sizeof buf, (off_t)off);
		if (n < 0)
			rc = sg_errf(err, SG_EENV, "%s: read failed", path);
		else if (n == 0)
			break;
		else if (!EVP_DigestUpdate(md, buf, (size_t)n))
			rc = sg_errf(err, SG_EENV, "%s: hashing failed", path);
		off += (uint64_t)n;
	}
	if (rc == SG_OK && !EVP_DigestFinal_ex(md, out, NULL))
		rc = sg_errf(err, SG_EENV, "%s: hashing failed", path);
	EVP_MD_CTX_free(md);
	return rc;
}

static int from_envelope(const char *path, struct sg_record_builder *b, struct sg_err *err)
{
	struct sgv_envelope *e = malloc(sizeof *e);
	if (!e)
		return sg_errf(err, SG_EENV, "out of memory");
	int rc = sg_envelope_load(path, e, err);
	if (rc == SG_OK) {
		char hw[SGE_HW_ID_MAX + 1];
		sg_record_set_str(b, "format", "signet");
		sg_record_set_str(b, "digest_alg", sg_digest_alg_name(e->digest_alg));
		sg_record_set_hex(b, "digest", e->digest, e->digest_len);
		set_version(b, e->ver_major, e->ver_minor, e->ver_patch, e->ver_build);
		if (e->has_counter)
			sg_record_set_int(b, "security_counter", e->security_counter);
		if (e->has_hw_id) {
			memcpy(hw, e->hw_id, e->hw_id_len);
			hw[e->hw_id_len] = '\0';
			sg_record_set_str(b, "hw_id", hw);
		}
		for (unsigned i = 0; i < e->nsigs; i++)
			sg_record_add_hex(b, "key_ids", e->sigs[i].key_id, SGE_KEY_ID_SIZE);
		if (e->has_sbom) {
			sg_record_set_str(b, "sbom_kind", sg_sbom_kind_name(e->sbom_kind));
			sg_record_set_hex(b, "sbom_digest", e->sbom_digest, 32);
		}
	}
	free(e);
	return rc;
}

/* Whether the key TLV kt of the image in fd names pkey (KEYHASH: its MCUboot
 * encoding's hash; PUBKEY: that encoding itself). */
static bool names_key(int fd, const struct sg_mcuboot_info *info, const struct sg_mcuboot_tlv *kt,
		      void *pkey)
{
	uint8_t want[SG_MCUBOOT_PUBKEY_MAX], got[SG_MCUBOOT_PUBKEY_MAX];
	size_t len;
	if (kt->type == SG_MCUBOOT_TLV_KEYHASH) {
		if (sg_mcuboot_key_hash(pkey, info->digest_type, want, &len))
			return false;
	} else if (kt->type != SG_MCUBOOT_TLV_PUBKEY ||
		   sg_mcuboot_key_encoding(pkey, want, sizeof want, &len)) {
		return false;
	}
	struct sg_fd_at at = { fd, 0 };
	return kt->len == len && sg_read_at(&at, kt->off, got, len) == 0 && !memcmp(got, want, len);
}

/* The key ids of the image's signatures, in order: the SPKI hash of the
 * signing key each one's key TLV names. */
static int mcuboot_key_ids(int fd, const char *path, const struct sg_mcuboot_info *info,
			   const struct wire_release *r, struct sg_record_builder *b,
			   struct sg_err *err)
{
	for (unsigned i = 0; i < info->nsigs; i++) {
		int kt = info->sigs[i].key_tlv;
		size_t k = 0;
		while (kt >= 0 && k < r->npkeys && !names_key(fd, info, &info->tlvs[kt], r->pkeys[k]))
			k++;
		uint8_t id[SGE_KEY_ID_SIZE];
		if (kt < 0 || k == r->npkeys || sg_pkey_key_id(r->pkeys[k], id))
			return sg_errf(err, SG_EENV, "%s: signature %u: not by the signing key", path,
				       i + 1);
		sg_record_add_hex(b, "key_ids", id, sizeof id);
	}
	return SG_OK;
}

static int from_mcuboot(int fd, const struct wire_release *r, struct sg_record_builder *b,
			struct sg_err *err)
{
	struct sg_mcuboot_info *info = malloc(sizeof *info);
	if (!info)
		return sg_errf(err, SG_EENV, "out of memory");
	int rc = sg_mcuboot_load(r->out, info, err);
	if (rc == SG_OK) {
		const struct sg_mcuboot_header *h = &info->hdr;
		sg_record_set_str(b, "format", "mcuboot");
		sg_record_set_str(b, "digest_alg", sg_mcuboot_digest_name(info->digest_type));
		sg_record_set_hex(b, "digest", info->digest, info->digest_len);
		set_version(b, h->ver_major, h->ver_minor, h->ver_revision, h->ver_build);
		if (info->has_counter)
			sg_record_set_int(b, "security_counter", info->security_counter);
		rc = mcuboot_key_ids(fd, r->out, info, r, b, err);
	}
	free(info);
	return rc;
}

/* release.signed of the file r->out as published. */
static int read_back(const struct wire_release *r, struct wire_rec *rec, struct sg_err *err)
{
	uint8_t sum[32];
	int fd;
	uint64_t size;
	struct sg_record_builder *b = sg_record_builder_new("release.signed");
	int rc = b ? sg_open_regular(r->out, &fd, &size, err)
		   : sg_errf(err, SG_EENV, "out of memory");
	if (rc) {
		sg_record_builder_free(b);
		return rc;
	}
	rc = r->mcuboot ? from_mcuboot(fd, r, b, err) : from_envelope(r->out, b, err);
	if (!rc)
		rc = file_sha256(fd, r->out, sum, err);
	close(fd);
	if (rc) {
		sg_record_builder_free(b);
		return rc;
	}
	sg_record_set_hex(b, "file_sha256", sum, sizeof sum);
	return wire_rec_take(rec, "release.signed", b, err);
}

int wire_release_signed(struct wire *w, const struct wire_release *r, struct sg_hsm_ctx *hsm)
{
	struct wire_rec rec = { 0 }; /* cleared below also when read_back fails early */
	struct sg_err err;
	if (!w->l)
		return SG_OK;
	int rc = read_back(r, &rec, &err);
	if (!rc)
		rc = wire_append(w, &rec, 1, NULL, &err);
	wire_rec_clear(&rec);
	if (rc) {
		/* One line: the release is out, the ledger says only "started". */
		char why[sizeof err.msg];
		memcpy(why, err.msg, sizeof why);
		sg_errf(&err, rc, "%s published, but its release.signed record is not in %s: %s",
			r->out, w->path, why);
		return cli_report(&err);
	}
	return wire_checkpoint(w, hsm, &err) ? cli_report(&err) : SG_OK;
}

/* The index of the key (of pkeys) that path's leaf certifies, or -1. */
static int chain_key(const char *path, void *const *pkeys, size_t npkeys, struct sg_err *err)
{
	struct sg_chain_value chain;
	uint8_t leaf[SGE_KEY_ID_SIZE], id[SGE_KEY_ID_SIZE];
	if (sg_chain_file(path, &chain, leaf, err))
		return -1;
	free(chain.value);
	for (size_t k = 0; k < npkeys; k++)
		if (!sg_pkey_key_id(pkeys[k], id) && !memcmp(id, leaf, sizeof id))
			return (int)k;
	sg_errf(err, SG_EINPUT, "%s: the first certificate does not certify a signing key", path);
	return -1;
}

int wire_check_chains(const char *const *paths, size_t n, void *const *pkeys, size_t npkeys)
{
	struct sg_err err;
	bool taken[SG_SIGN_MAX_KEYS] = { false };
	for (size_t i = 0; i < n; i++) {
		int k = chain_key(paths[i], pkeys, npkeys, &err);
		if (k < 0)
			return cli_report(&err);
		if (taken[k]) {
			sg_errf(&err, SG_EINPUT, "%s: a second chain for one key", paths[i]);
			return cli_report(&err);
		}
		taken[k] = true;
	}
	return SG_OK;
}

void wire_release_clear(struct wire_release *r)
{
	for (size_t i = 0; i < r->npkeys; i++)
		EVP_PKEY_free(r->pkeys[i]);
	r->npkeys = 0;
}
