/* signet evidence: what a release's files say (docs/evidence.md, "Releases"):
 * each envelope's inspection (what signet inspect --json prints), its
 * certificate chains as PEM and each checked against the pack's roots and
 * CRLs, its bound SBOM; the roots', CRLs' and SBOMs' own entries. Runs in
 * the pack's directory (cli/evidence.h). */
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cli.h"
#include "evidence.h"
#include "signet/chain.h"
#include "signet/envelope.h"
#include "signet/fileio.h"
#include "signet/pki.h"
#include "signet/sbom.h"
#include "signet/verify.h"

/* ---- the inspection, as `signet inspect --json PATH` prints it */

/* The inspection as a JSON object whose "file" is the pack path. */
static json_t *inspection(const char *path, struct sg_err *why)
{
	char *text = NULL, line[sizeof why->msg + 256];
	size_t len = 0;
	struct sg_err err = { 0 };
	FILE *out = open_memstream(&text, &len);
	int rc = out ? cli_inspect_file(path, true, out, &err) : SG_EENV;
	if ((!out || fclose(out)) && !err.msg[0])
		rc = sg_errf(&err, SG_EENV, "%s: out of memory for the inspection", path);
	if (rc) { /* the message as signet inspect's line says it */
		sg_errf(why, rc, "%s", cli_err_text(&err, line, sizeof line));
		free(text);
		return NULL;
	}
	json_t *j = json_loadb(text, len, 0, NULL);
	free(text);
	if (!json_is_object(j)) {
		json_decref(j);
		sg_errf(why, SG_EENV, "%s: the inspection is not a JSON object", path);
		return NULL;
	}
	json_object_set_new(j, "file", json_string(path));
	return j;
}

/* ---- certificates */

static json_t *cert_json(X509 *x)
{
	char serial[64];
	uint8_t sha[32];
	unsigned n = 0;
	char *subject = X509_NAME_oneline(X509_get_subject_name(x), NULL, 0);
	X509_digest(x, EVP_sha256(), sha, &n);
	sg_pki_serial_hex(X509_get0_serialNumber(x), serial, sizeof serial);
	json_t *j = json_pack("{s:s, s:s, s:o}", "subject", subject ? subject : "", "serial",
			      serial, "sha256", ev_sha_json(sha));
	OPENSSL_free(subject);
	return j;
}

static json_t *certs_json(STACK_OF(X509) *sk)
{
	json_t *a = json_array();
	for (int i = 0; i < sk_X509_num(sk); i++)
		json_array_append_new(a, cert_json(sk_X509_value(sk, i)));
	return a;
}

/* The certificates as PEM, leaf first. */
static char *chain_pem(STACK_OF(X509) *sk, size_t *len)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *out = NULL, *p;
	for (int i = 0; b && i < sk_X509_num(sk); i++)
		if (!PEM_write_bio_X509(b, sk_X509_value(sk, i)))
			goto done;
	long n = b ? BIO_get_mem_data(b, &p) : -1;
	if (n > 0 && (out = malloc((size_t)n)))
		memcpy(out, p, (size_t)n), *len = (size_t)n;
done:
	BIO_free(b);
	return out;
}

json_t *ev_certs_file(struct ev_pack *pk, const char *path, bool crl, void *stack, int *rc)
{
	struct sg_err err;
	if (!crl) {
		STACK_OF(X509) *sk = sk_X509_new_null();
		*rc = sk ? sg_pki_load_certs(path, sk, &err) : sg_errf(&err, SG_EENV, "out of memory");
		json_t *j = *rc ? NULL : json_pack("{s:s, s:o}", "file", path, "certificates", certs_json(sk));
		while (!*rc && sk_X509_num(sk))
			sk_X509_push(stack, sk_X509_shift(sk));
		sk_X509_pop_free(sk, X509_free);
		if (*rc)
			ev_problem(pk->probs, *rc, path, "%s", err.msg);
		return j;
	}
	int before = sk_X509_CRL_num(stack);
	if ((*rc = sg_pki_load_crl(path, stack, &err))) {
		ev_problem(pk->probs, *rc, path, "%s", err.msg);
		return NULL;
	}
	json_t *list = json_array();
	for (int i = before; i < sk_X509_CRL_num(stack); i++) {
		X509_CRL *c = sk_X509_CRL_value(stack, i);
		uint8_t sha[32];
		unsigned n = 0;
		char *issuer = X509_NAME_oneline(X509_CRL_get_issuer(c), NULL, 0);
		X509_CRL_digest(c, EVP_sha256(), sha, &n);
		json_array_append_new(list, json_pack("{s:s, s:o}", "issuer", issuer ? issuer : "",
						      "sha256", ev_sha_json(sha)));
		OPENSSL_free(issuer);
	}
	return json_pack("{s:s, s:o}", "file", path, "crls", list);
}

json_t *ev_sbom(struct ev_pack *pk, const char *path, int *rc)
{
	struct sg_sbom s;
	struct sg_err err;
	if ((*rc = sg_sbom_load(path, &s, &err))) {
		ev_problem(pk->probs, *rc, path, "%s", err.msg);
		return NULL;
	}
	return json_pack("{s:s, s:s, s:s, s:o}", "file", path, "kind", sg_sbom_kind_name(s.kind),
			 "spec_version", s.version, "sha256", ev_sha_json(s.sha256));
}

/* ---- one envelope */

struct trust_in {
	STACK_OF(X509) *roots;
	STACK_OF(X509_CRL) *crls;
};

/* Chain i of e: its PEM (a produced file) and, with roots, its check at
 * the build time as signet verify --trust-root makes it. */
static json_t *chain_entry(struct ev_pack *pk, const char *path, const char *dir,
			   const struct sgv_envelope *e, unsigned i, const struct trust_in *t,
			   int *rc)
{
	STACK_OF(X509) *sk = NULL;
	struct sg_err why = { 0 };
	char file[1024];
	snprintf(file, sizeof file, "%s/chain-%u.pem", dir, i + 1);
	int st = sg_envelope_chain(path, e, i, &sk, &why);
	if (st) {
		*rc = st == SG_FAIL ? SG_OK : st;
		return json_pack("{s:n, s:n, s:b, s:s}", "file", "certificates", "valid", 0,
				 "reason", why.msg);
	}
	size_t len = 0;
	char *pem = chain_pem(sk, &len);
	*rc = pem ? ev_put(pk, file, "certificate-chain", pem, len)
		  : ev_problem(pk->probs, SG_EENV, file, "cannot write the chain as PEM");
	free(pem);
	json_t *j = json_pack("{s:s, s:o}", "file", file, "certificates", certs_json(sk));
	if (sk_X509_num(t->roots) == 0) {
		json_object_set_new(j, "valid", json_null());
		json_object_set_new(j, "reason", json_string("no trust root given"));
	} else if (!e->has_build_time) {
		json_object_set_new(j, "valid", json_false());
		json_object_set_new(j, "reason", json_string("no BUILD_TIME to check it at"));
	} else {
		int v = sg_pki_verify_ex(sk_X509_value(sk, 0), t->roots, sk, t->crls,
					 SG_PROF_CODE_SIGNING, (time_t)e->build_time,
					 SG_PKI_CRL_ANY_TIME, &why);
		json_object_set_new(j, "valid", json_boolean(v == SG_OK));
		json_object_set_new(j, "reason", v ? json_string(why.msg) : json_null());
	}
	sk_X509_pop_free(sk, X509_free);
	return j;
}

/* signet verify --trust-root ROOTS --crl CRLS PATH, as a result. */
static json_t *verification(const char *path, const struct trust_in *t)
{
	struct sg_trust *trust = calloc(1, sizeof *trust);
	struct sgv_envelope *e = calloc(1, sizeof *e);
	struct sg_chain_trust ct = { t->roots, t->crls };
	struct sg_verify_policy p = { 0 };
	struct sg_err err = { 0 };
	int rc = trust && e ? sg_trust_add_chain(trust, path, &ct, &err) : SG_EENV;
	if (!rc)
		rc = sg_verify_file(path, trust, &p, e, &err);
	char text[sizeof err.msg + 256];
	json_t *j = json_pack("{s:b, s:i, s:o, s:i}", "valid", rc == SG_OK, "exit_code", rc,
			      "reason", rc ? json_string(cli_err_text(&err, text, sizeof text)) : json_null(),
			      "valid_signers", e && !rc ? (int)e->valid_signers : 0);
	if (trust)
		sg_trust_free(trust);
	free(trust);
	free(e);
	return j;
}

/* The SBOM member: the bound digest and the pack's SBOM with it, if any. */
static json_t *sbom_member(const json_t *insp, const json_t *sboms)
{
	json_t *s = json_object_get(insp, "sbom");
	const char *want = json_string_value(json_object_get(s, "sha256"));
	if (!want)
		return json_null();
	size_t i;
	json_t *v;
	json_t *j = json_pack("{s:O, s:s, s:n, s:s}", "kind", json_object_get(s, "kind"), "sha256",
			      want, "file", "status", "not supplied");
	json_array_foreach(sboms, i, v) {
		if (!strcmp(json_string_value(json_object_get(v, "sha256")), want)) {
			json_object_set(j, "file", json_object_get(v, "file"));
			json_object_set_new(j, "status", json_string("bound"));
			break;
		}
	}
	return j;
}

/* The members every format has, from its inspection. */
static json_t *summary(const char *path, const char *insp_path, const json_t *insp)
{
	bool mcuboot = !strcmp(json_string_value(json_object_get(insp, "format")), "mcuboot");
	json_t *digest = json_object_get(insp, mcuboot ? "digest" : "payload_digest");
	json_t *keys = json_array();
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(insp, "signatures"), i, s)
		if (json_object_get(s, "key_id"))
			json_array_append(keys, json_object_get(s, "key_id"));
	return json_pack("{s:s, s:s, s:O, s:O, s:O, s:o}", "envelope", path, "inspection",
			 insp_path, "format", json_object_get(insp, "format"), "version",
			 json_object_get(insp, "version"), "digest", digest, "key_ids", keys);
}

static int put_json(struct ev_pack *pk, const char *file, const char *kind, const json_t *j)
{
	char *text = json_dumps(j, JSON_COMPACT);
	if (!text)
		return ev_problem(pk->probs, SG_EENV, file, "out of memory");
	size_t len = strlen(text);
	text[len] = '\n'; /* json_dumps's NUL: the file ends in a newline */
	int rc = ev_put(pk, file, kind, text, len + 1);
	free(text);
	return rc;
}

static void dir_of(const char *path, char *dir, size_t size)
{
	snprintf(dir, size, "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	else
		snprintf(dir, size, ".");
}

static int add_chains(struct ev_pack *pk, const char *path, const char *dir, json_t *entry,
		      const struct trust_in *t)
{
	struct sgv_envelope *e = calloc(1, sizeof *e);
	struct sg_err err;
	int rc = e ? sg_envelope_load(path, e, &err) : sg_errf(&err, SG_EENV, "out of memory");
	if (rc) {
		free(e);
		return ev_problem(pk->probs, rc, path, "%s", err.msg);
	}
	json_t *chains = json_array();
	for (unsigned i = 0; !rc && i < e->nchains; i++)
		json_array_append_new(chains, chain_entry(pk, path, dir, e, i, t, &rc));
	json_object_set_new(entry, "chains", chains);
	json_object_set_new(entry, "verification",
			    sk_X509_num(t->roots) ? verification(path, t) : json_null());
	free(e);
	return rc;
}

json_t *ev_release(struct ev_pack *pk, const char *path, const json_t *sboms, void *roots,
		   void *crls, int *rc)
{
	struct sg_err why = { 0 };
	char dir[512], insp_path[1024];
	dir_of(path, dir, sizeof dir);
	snprintf(insp_path, sizeof insp_path, "%s/inspect.json", dir);
	json_t *insp = inspection(path, &why);
	if (!insp) {
		*rc = ev_problem(pk->probs, why.status, path, "%s", why.msg);
		return NULL;
	}
	json_t *entry = summary(path, insp_path, insp);
	*rc = put_json(pk, insp_path, "inspection", insp);
	if (!*rc && !strcmp(json_string_value(json_object_get(insp, "format")), "signet")) {
		struct trust_in t = { roots, crls };
		json_object_set_new(entry, "sbom", sbom_member(insp, sboms));
		*rc = add_chains(pk, path, dir, entry, &t);
	} else {
		json_object_set_new(entry, "sbom", json_null());
		json_object_set_new(entry, "chains", json_array());
		json_object_set_new(entry, "verification", json_null());
	}
	json_decref(insp);
	return entry;
}
