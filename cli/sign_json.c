/* The --json objects of sign, sign --complete, cosign (schema signet.sign/1)
 * and sign --prepare (signet.sign-request/1), made from the file as
 * written, with the same readers verify and inspect use (docs/json.md). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "cli.h"
#include "json_out.h"
#include "signet/chain.h"
#include "signet/envelope.h"
#include "signet/fileio.h"
#include "signet/hsm.h"
#include "signet/mcuboot_sign.h"
#include "signet/sign.h"
#include "signet/verify.h"

#define SIGN_SCHEMA "signet.sign/1"
#define REQUEST_SCHEMA "signet.sign-request/1"

static json_t *load_addr_json(bool has, uint64_t addr)
{
	char buf[24];
	if (!has)
		return json_null();
	snprintf(buf, sizeof buf, "0x%08" PRIx64, addr);
	return json_string(buf);
}

/* The members every image description has (docs/json.md, "Image members"). */
struct image_fields {
	const char *format;
	char version[48];
	uint32_t build;
	bool has_counter, has_load_addr;
	uint32_t security_counter;
	uint64_t load_addr;
	const char *hw_id; /* NULL: none */
	uint64_t payload_size;
	const char *digest_alg;
	const uint8_t *digest;
	size_t digest_len;
	json_t *sbom; /* taken */
};

/* The image members, taking f->sbom. */
static json_t *image_json(const struct image_fields *f)
{
	json_t *payload = json_pack("{s:I, s:s, s:o}", "size", (json_int_t)f->payload_size,
				    "digest_alg", f->digest_alg, "digest",
				    jo_hex(f->digest, f->digest_len));
	return json_pack("{s:s, s:s, s:I, s:o, s:o, s:o, s:o, s:o}", "format", f->format,
			 "version", f->version, "build", (json_int_t)f->build, "security_counter",
			 f->has_counter ? json_integer(f->security_counter) : json_null(), "hw_id",
			 jo_str(f->hw_id), "load_addr", load_addr_json(f->has_load_addr, f->load_addr),
			 "payload", payload, "sbom", f->sbom);
}

/* The object: schema, command, output (out), then image's and rest's
 * members; takes out, image and rest, any of which may be NULL (then the
 * result is NULL). */
static json_t *assemble(const char *schema, const char *command, json_t *out, json_t *image,
			json_t *rest)
{
	json_t *o = json_pack("{s:s, s:s, s:o}", "schema", schema, "command", command, "output",
			      out);
	if (o && (json_object_update(o, image) || json_object_update(o, rest))) {
		json_decref(o);
		o = NULL;
	}
	json_decref(image);
	json_decref(rest);
	return o;
}

static void envelope_fields(const struct sgv_envelope *e, char *hw, struct image_fields *f)
{
	f->format = "signet-envelope";
	sg_version_str(e->ver_major, e->ver_minor, e->ver_patch, e->ver_build, false, f->version,
		       sizeof f->version);
	f->build = e->ver_build;
	f->has_counter = e->has_counter;
	f->security_counter = e->security_counter;
	f->has_load_addr = e->has_load_addr;
	f->load_addr = e->load_addr;
	memcpy(hw, e->hw_id, e->hw_id_len);
	hw[e->hw_id_len] = '\0';
	f->hw_id = e->has_hw_id ? hw : NULL;
	f->payload_size = e->payload_size;
	f->digest_alg = sg_digest_alg_name(e->digest_alg);
	f->digest = e->digest;
	f->digest_len = e->digest_len;
	f->sbom = e->has_sbom ? json_pack("{s:s, s:o}", "kind", sg_sbom_kind_name(e->sbom_kind),
					  "sha256", jo_hex(e->sbom_digest, 32))
			      : json_null();
}

/* An MCUboot header and what its protected TLVs say; digest is the image
 * digest D (header, image and protected TLVs). */
static void mcuboot_fields(const struct sg_mcuboot_info *in, const uint8_t *digest,
			   uint16_t digest_type, struct image_fields *f)
{
	const struct sg_mcuboot_header *h = &in->hdr;
	f->format = "mcuboot";
	sg_version_str(h->ver_major, h->ver_minor, h->ver_revision, h->ver_build, true, f->version,
		       sizeof f->version);
	f->build = h->ver_build;
	f->has_counter = in->has_counter;
	f->security_counter = in->security_counter;
	f->has_load_addr = (h->flags & SG_MCUBOOT_F_RAM_LOAD) != 0;
	f->load_addr = h->load_addr;
	f->hw_id = NULL;
	f->payload_size = h->img_size;
	f->digest_alg = sg_mcuboot_digest_name(digest_type);
	f->digest = digest;
	f->digest_len = digest_type == SG_MCUBOOT_TLV_SHA384 ? 48 : 32;
	f->sbom = json_null();
}

static const struct jo_key *run_key(const uint8_t *key_id, const struct jo_key *keys, size_t n)
{
	for (size_t i = 0; key_id && i < n; i++)
		if (!memcmp(keys[i].key_id, key_id, SGE_KEY_ID_SIZE))
			return &keys[i];
	return NULL;
}

static json_t *signature_json(const uint8_t *key_id, const char *alg, const struct jo_key *k,
			      json_t *cert)
{
	return json_pack("{s:o, s:s, s:b, s:o, s:o}", "key_id",
			 key_id ? jo_hex(key_id, SGE_KEY_ID_SIZE) : json_null(), "algorithm", alg,
			 "added", k != NULL, "key_uri", jo_str(k ? k->uri : NULL), "certificate",
			 cert ? cert : json_null());
}

/* The leaf of the chain (CERT_CHAIN) that certifies key_id, or NULL. */
static json_t *chain_leaf(STACK_OF(X509) *const *chains, unsigned n, const uint8_t *key_id)
{
	uint8_t id[SGE_KEY_ID_SIZE];
	for (unsigned i = 0; i < n; i++) {
		X509 *leaf = chains[i] ? sk_X509_value(chains[i], 0) : NULL;
		if (leaf && !sg_chain_key_id(leaf, id) && !memcmp(id, key_id, sizeof id))
			return jo_cert(leaf);
	}
	return NULL;
}

static json_t *envelope_sigs(const char *path, const struct sgv_envelope *e,
			     const struct jo_key *keys, size_t nkeys)
{
	STACK_OF(X509) *chains[SGE_MAX_SIGNATURES] = { NULL };
	struct sg_err why;
	for (unsigned i = 0; i < e->nchains; i++)
		if (sg_envelope_chain(path, e, i, &chains[i], &why))
			chains[i] = NULL; /* not X.509: no certificate to show */
	json_t *a = json_array();
	for (unsigned i = 0; a && i < e->nsigs; i++) {
		const struct sgv_signature *s = &e->sigs[i];
		if (json_array_append_new(a, signature_json(s->key_id, sg_sig_alg_name(s->alg),
							    run_key(s->key_id, keys, nkeys),
							    chain_leaf(chains, e->nchains, s->key_id)))) {
			json_decref(a);
			a = NULL;
		}
	}
	for (unsigned i = 0; i < e->nchains; i++)
		sk_X509_pop_free(chains[i], X509_free);
	return a;
}

static json_t *envelope_json(const char *command, const char *path, const struct jo_key *keys,
			     size_t nkeys, struct sg_err *err)
{
	struct sgv_envelope *e = malloc(sizeof *e);
	char hw[SGE_HW_ID_MAX + 1];
	struct image_fields f;
	if (!e || sg_envelope_load(path, e, err)) {
		if (!e)
			sg_errf(err, SG_EENV, "out of memory");
		free(e);
		return NULL;
	}
	envelope_fields(e, hw, &f);
	json_t *o = assemble(SIGN_SCHEMA, command, jo_file(path, err), image_json(&f),
			     json_pack("{s:o}", "signatures", envelope_sigs(path, e, keys, nkeys)));
	free(e);
	return o;
}

/* The envelope algorithm name of an MCUboot signature TLV. */
static const char *mcuboot_alg(uint16_t sig_type, uint16_t digest_type)
{
	switch (sig_type) {
	case SG_MCUBOOT_TLV_ECDSA_SIG:
		return digest_type == SG_MCUBOOT_TLV_SHA384 ? "ecdsa-p384-sha384" : "ecdsa-p256-sha256";
	case SG_MCUBOOT_TLV_ED25519:
		return "ed25519";
	case SG_MCUBOOT_TLV_RSA2048_PSS:
	case SG_MCUBOOT_TLV_RSA3072_PSS:
		return "rsa-pss-sha256";
	default:
		return "unknown";
	}
}

/* The run's key an MCUboot signature's KEYHASH names, or NULL. */
static const struct jo_key *mcuboot_key(const struct sg_mcuboot_info *in, int key_tlv,
					const struct jo_key *keys, size_t nkeys)
{
	uint8_t hash[SG_MCUBOOT_DIGEST_MAX];
	size_t len;
	const struct sg_mcuboot_tlv *t = key_tlv >= 0 ? &in->tlvs[key_tlv] : NULL;
	if (!t || t->type != SG_MCUBOOT_TLV_KEYHASH)
		return NULL;
	for (size_t i = 0; i < nkeys; i++)
		if (!sg_mcuboot_key_hash(keys[i].pkey, in->digest_type, hash, &len) &&
		    len == t->len && !memcmp(hash, t->peek, len))
			return &keys[i];
	return NULL;
}

static json_t *mcuboot_sigs(const struct sg_mcuboot_info *in, const struct jo_key *keys,
			    size_t nkeys)
{
	json_t *a = json_array();
	for (unsigned i = 0; a && i < in->nsigs; i++) {
		const struct jo_key *k = mcuboot_key(in, in->sigs[i].key_tlv, keys, nkeys);
		uint16_t type = in->tlvs[in->sigs[i].tlv].type;
		if (json_array_append_new(a, signature_json(k ? k->key_id : NULL,
							    mcuboot_alg(type, in->digest_type), k,
							    NULL))) {
			json_decref(a);
			a = NULL;
		}
	}
	return a;
}

static json_t *mcuboot_json(const char *command, const char *path, const struct jo_key *keys,
			    size_t nkeys, struct sg_err *err)
{
	struct sg_mcuboot_info *in = malloc(sizeof *in);
	struct image_fields f;
	if (!in || sg_mcuboot_load(path, in, err)) {
		if (!in)
			sg_errf(err, SG_EENV, "out of memory");
		free(in);
		return NULL;
	}
	mcuboot_fields(in, in->digest, in->digest_type, &f);
	json_t *o = assemble(SIGN_SCHEMA, command, jo_file(path, err), image_json(&f),
			     json_pack("{s:o}", "signatures", mcuboot_sigs(in, keys, nkeys)));
	free(in);
	return o;
}

json_t *jo_signed_file(const char *command, const char *path, const struct jo_key *keys,
		       size_t nkeys, struct sg_err *err)
{
	err->msg[0] = '\0';
	json_t *o = cli_is_mcuboot(path) ? mcuboot_json(command, path, keys, nkeys, err)
					  : envelope_json(command, path, keys, nkeys, err);
	if (!o && !err->msg[0])
		sg_errf(err, SG_EENV, "out of memory");
	return o;
}

json_t *jo_request_file(const char *path, const char *pubkey_path, struct sg_err *err)
{
	struct sg_request_info *ri = malloc(sizeof *ri);
	char hw[SGE_HW_ID_MAX + 1];
	struct image_fields f;
	err->msg[0] = '\0';
	if (!ri || sg_request_load(path, ri, err)) {
		if (!ri)
			sg_errf(err, SG_EENV, "out of memory");
		free(ri);
		return NULL;
	}
	const struct sg_request *r = &ri->r;
	bool mcuboot = r->image_format == SG_REQ_FORMAT_MCUBOOT;
	if (mcuboot)
		mcuboot_fields(&ri->mcu.info, ri->mcu.digest, ri->mcu.params.digest_type, &f);
	else
		envelope_fields(&ri->env, hw, &f);
	json_t *signer = json_pack("{s:o, s:s, s:s}", "key_id", jo_hex(r->key_id, SGE_KEY_ID_SIZE),
				   "algorithm", sg_sig_alg_name(r->alg), "pubkey_path", pubkey_path);
	json_t *tbs = json_pack("{s:I, s:s, s:o}", "size", (json_int_t)r->tbs_len, "digest_alg",
				sg_request_digest_len(r->alg) == 48 ? "sha384" : "sha256", "digest",
				jo_hex(r->tbs_digest, sg_request_digest_len(r->alg)));
	/* "format" says what the file is; the image's own goes to "image_format". */
	json_t *o = assemble(REQUEST_SCHEMA, "sign --prepare", jo_file(path, err), image_json(&f),
			     json_pack("{s:s, s:s, s:o, s:o}", "format", "signing-request",
				       "image_format", f.format, "signer", signer, "tbs", tbs));
	if (!o && !err->msg[0])
		sg_errf(err, SG_EENV, "out of memory");
	free(ri);
	return o;
}

int jo_keys_open(struct sg_hsm_ctx *hsm, const char *const *uris, size_t n, struct jo_key *keys,
		 struct sg_err *err)
{
	memset(keys, 0, n * sizeof *keys);
	for (size_t i = 0; i < n; i++) {
		struct sg_hsm_key *key;
		size_t len;
		int rc = sg_hsm_key_open(hsm, uris[i], &key, err);
		if (rc)
			return rc;
		const uint8_t *spki = sg_hsm_key_spki(key, &len);
		keys[i].uri = uris[i];
		if (sg_key_id(spki, len, keys[i].key_id) || !(keys[i].pkey = sg_hsm_key_pkey(key)))
			return sg_errf(err, SG_EENV, "out of memory");
	}
	return SG_OK;
}

int jo_key_file(const char *pub_path, struct jo_key *k, struct sg_err *err)
{
	int alg;
	memset(k, 0, sizeof *k);
	return sg_pubkey_load(pub_path, &k->pkey, &alg, k->key_id, err);
}

void jo_keys_close(struct jo_key *keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		EVP_PKEY_free(keys[i].pkey);
}

int jo_print_signed(const char *command, const char *path, const struct jo_key *keys,
		    size_t nkeys, const struct wire *w)
{
	struct sg_err err;
	json_t *o = jo_signed_file(command, path, keys, nkeys, &err);
	if (!o)
		return cli_report(&err);
	if (json_object_set_new(o, "ledger", jo_ledger(w))) {
		json_decref(o);
		o = NULL;
	}
	return jo_print(o, &err) ? cli_report(&err) : SG_OK;
}
