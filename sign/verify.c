/* OpenSSL callbacks for the verifier core, trusted keys, file reading. */
#include "signet/verify.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "signet/fileio.h"
#include "signet/sbom.h"
#include "keys_priv.h"

static int trust_check_new(struct sg_trust *t, const char *label, struct sg_err *err)
{
	const struct sg_trust_key *k = &t->keys[t->n];
	for (size_t i = 0; i < t->n; i++)
		if (!memcmp(t->keys[i].key_id, k->key_id, SGE_KEY_ID_SIZE))
			return sg_errf(err, SG_EINPUT, "%s: same key as %s", label, t->keys[i].path);
	return SG_OK;
}

int sg_trust_add(struct sg_trust *t, const char *path, struct sg_err *err)
{
	if (t->n == SG_MAX_TRUST)
		return sg_errf(err, SG_EINPUT, "%s: more than %d trusted keys", path, SG_MAX_TRUST);
	struct sg_trust_key *k = &t->keys[t->n];
	int rc = sg_keys_pubkey_load(path, NULL, &k->pkey, &k->alg, k->key_id, err);
	if (!rc)
		rc = trust_check_new(t, path, err);
	if (rc) {
		EVP_PKEY_free(k->pkey);
		k->pkey = NULL;
		return rc;
	}
	k->path = strdup(path);
	k->from_chain = 0;
	t->n++;
	return SG_OK;
}

int sg_trust_add_pkey(struct sg_trust *t, void *pkey, const char *label, int from_chain,
		      struct sg_err *err)
{
	if (t->n == SG_MAX_TRUST)
		return sg_errf(err, SG_EINPUT, "%s: more than %d trusted keys", label, SG_MAX_TRUST);
	struct sg_trust_key *k = &t->keys[t->n];
	k->alg = sg_keys_pkey_alg(pkey);
	if (!k->alg)
		return sg_errf(err, SG_FAIL,
			       "%s: unsupported key type (need P-256, P-384, Ed25519, RSA 3072/4096)",
			       label);
	if (sg_pkey_key_id(pkey, k->key_id))
		return sg_errf(err, SG_EENV, "%s: cannot encode the public key", label);
	int rc = trust_check_new(t, label, err);
	if (rc)
		return rc;
	if (!EVP_PKEY_up_ref(pkey))
		return sg_errf(err, SG_EENV, "out of memory");
	k->pkey = pkey;
	k->path = strdup(label);
	k->from_chain = from_chain;
	t->n++;
	return SG_OK;
}

void sg_trust_free(struct sg_trust *t)
{
	for (size_t i = 0; i < t->n; i++) {
		EVP_PKEY_free(t->keys[i].pkey);
		free(t->keys[i].path);
	}
	t->n = 0;
}

/* ---- callbacks for the core ---- */

static int hash_init(void *ctx, int alg)
{
	const EVP_MD *md = alg == SGE_DIGEST_SHA256 ? EVP_sha256()
			   : alg == SGE_DIGEST_SHA384 ? EVP_sha384()
						      : NULL;
	return !md || !EVP_DigestInit_ex(ctx, md, NULL);
}

static int hash_update(void *ctx, const uint8_t *p, size_t n)
{
	return !EVP_DigestUpdate(ctx, p, n);
}

static int hash_final(void *ctx, uint8_t *out)
{
	return !EVP_DigestFinal_ex(ctx, out, NULL);
}

static int sig_verify(void *arg, int alg, const uint8_t *key_id, const uint8_t *msg,
		      size_t msg_len, const uint8_t *sig, size_t sig_len, unsigned *key_index)
{
	const struct sg_trust *t = arg;
	for (size_t i = 0; i < t->n; i++) {
		const struct sg_trust_key *k = &t->keys[i];
		if (memcmp(k->key_id, key_id, SGE_KEY_ID_SIZE) || k->alg != alg)
			continue;
		int r = sg_verify_sig(k->pkey, alg, msg, msg_len, sig, sig_len);
		if (r < 0)
			return -1;
		*key_index = (unsigned)i;
		return r ? SGV_SIG_VALID : SGV_SIG_INVALID;
	}
	return SGV_SIG_UNTRUSTED;
}

/* ---- files ---- */

static int core_status(int r)
{
	switch (r) {
	case SGV_OK:
		return SG_OK;
	case SGV_EFORMAT:
		return SG_EINPUT;
	case SGV_EIO:
	case SGV_ECRYPTO:
		return SG_EENV;
	default:
		return SG_FAIL;
	}
}

int sg_envelope_load(const char *path, struct sgv_envelope *e, struct sg_err *err)
{
	int fd;
	uint64_t size;
	int rc = sg_open_regular(path, &fd, &size, err);
	if (rc)
		return rc;
	struct sg_fd_at at = { fd, 0 };
	int r = sgv_parse(e, sg_read_at, &at, size);
	close(fd);
	if (r)
		return sg_errf(err, core_status(r), "%s: %s", path, e->detail);
	return SG_OK;
}

#define WORK_SIZE (256 * 1024)

/* The SBOM binding: same kind and SHA-256 as the file given. */
static int check_sbom(const char *path, const char *sbom_path, const struct sgv_envelope *e,
		      struct sg_err *err)
{
	struct sg_sbom sbom;
	int rc = sg_sbom_load(sbom_path, &sbom, err);
	if (rc)
		return rc;
	if (!e->has_sbom)
		return sg_errf(err, SG_FAIL, "%s: no SBOM is bound to this envelope", path);
	if (e->sbom_kind != sbom.kind || memcmp(e->sbom_digest, sbom.sha256, 32))
		return sg_errf(err, SG_FAIL, "%s: %s is not the SBOM bound to this envelope", path,
			       sbom_path);
	return SG_OK;
}

/* Both values, the required one made printable (it comes from argv). */
static int hw_id_mismatch(const char *path, const struct sgv_envelope *e, const char *want,
			  struct sg_err *err)
{
	char w[SGE_HW_ID_MAX + 5]; /* 65 characters, "..." */
	size_t n = 0;
	/* cppcheck-suppress arrayIndexThenCheck ; want is a C string: want[n] is in it */
	// NOLINTNEXTLINE(clang-analyzer-core.NullDereference): sgv_verify says SGV_EHWID only when an id was required
	for (; want[n] && n < SGE_HW_ID_MAX + 1; n++)
		w[n] = want[n] > 0x20 && want[n] < 0x7f ? want[n] : '?';
	strcpy(w + n, want[n] ? "..." : "");
	return sg_errf(err, SG_FAIL,
		       "%s: hardware id does not match: envelope '%.*s', required '%s'", path,
		       e->hw_id_len, (const char *)e->hw_id, w);
}

int sg_verify_file(const char *path, const struct sg_trust *t, const struct sg_verify_policy *p,
		   struct sgv_envelope *e, struct sg_err *err)
{
	int fd;
	uint64_t size;
	int rc = sg_open_regular(path, &fd, &size, err);
	if (rc)
		return rc;
	uint8_t *work = malloc(WORK_SIZE);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	if (!work || !md) {
		free(work);
		EVP_MD_CTX_free(md);
		close(fd);
		return sg_errf(err, SG_EENV, "out of memory");
	}
	struct sgv_crypto c = {
		.hash_ctx = md,
		.hash_init = hash_init,
		.hash_update = hash_update,
		.hash_final = hash_final,
		.sig_verify = sig_verify,
		.sig_arg = (void *)t,
	};
	size_t hw_len = p->hw_id ? strlen(p->hw_id) : 0;
	struct sg_fd_at at = { fd, 0 };
	int r = sgv_verify(e, &c, sg_read_at, &at, size, work, WORK_SIZE, p->threshold,
			   (const uint8_t *)p->hw_id, hw_len, p->min_counter);
	free(work);
	EVP_MD_CTX_free(md);
	close(fd);
	if (r == SGV_ETHRESHOLD)
		return sg_errf(err, SG_FAIL, "%s: %s (%u of %u required)", path, e->detail,
			       e->valid_signers, p->threshold ? p->threshold : 1);
	if (r == SGV_EHWID && e->has_hw_id)
		return hw_id_mismatch(path, e, p->hw_id, err);
	if (r == SGV_ECOUNTER)
		return sg_errf(err, SG_FAIL, "%s: %s (%u < %u)", path, e->detail,
			       e->security_counter, p->min_counter);
	if (r)
		return sg_errf(err, core_status(r), "%s: %s", path, e->detail);
	return p->sbom_path ? check_sbom(path, p->sbom_path, e, err) : SG_OK;
}

int sg_envelope_body_check(int fd, uint64_t base, uint64_t body_len, const char *path,
			   struct sgv_envelope *e, struct sg_err *err)
{
	struct sg_fd_at at = { fd, base };
	int r = sgv_parse_msg(e, sg_read_at, &at, body_len + SGE_AREA_HEADER_SIZE);
	if (r)
		return sg_errf(err, core_status(r), "%s: %s", path, e->detail);
	if (e->area_off != body_len)
		return sg_errf(err, SG_EINPUT, "%s: image body size does not match its header", path);
	uint8_t *work = malloc(WORK_SIZE);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	struct sgv_crypto c = { md, hash_init, hash_update, hash_final, NULL, NULL };
	r = work && md ? sgv_check_digest(e, &c, sg_read_at, &at, work, WORK_SIZE) : SGV_ECRYPTO;
	free(work);
	EVP_MD_CTX_free(md);
	if (r == SGV_EDIGEST)
		return sg_errf(err, SG_EINPUT, "%s: payload does not match its digest (damaged)", path);
	if (r)
		return sg_errf(err, core_status(r), "%s: %s", path, e->detail);
	return SG_OK;
}
