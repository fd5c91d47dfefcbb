/* signet evidence: the derivation both sides share (cli/evidence.h): the
 * files' members from the inputs (cli/evidence_release.c), then the
 * ledger's (cli/evidence_ledger.c). Runs in the pack's directory. */
#include <string.h>

#include <openssl/x509.h>

#include "evidence.h"

static json_t *each_input(struct ev_pack *pk, const json_t *paths, int kind, void *stack, int *rc)
{
	json_t *a = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(paths, i, v) {
		const char *p = json_string_value(v);
		json_t *e = kind == 's' ? ev_sbom(pk, p, rc) : ev_certs_file(pk, p, kind == 'c', stack, rc);
		if (e)
			json_array_append_new(a, e);
		if (*rc && ev_stop(pk->probs))
			break;
	}
	return a;
}

/* An SBOM the pack holds must be bound by one of its envelopes. */
static int sboms_bound(struct ev_pack *pk, const json_t *sboms, const json_t *releases)
{
	size_t i, j;
	json_t *s, *r;
	json_array_foreach(sboms, i, s) {
		const char *file = json_string_value(json_object_get(s, "file"));
		bool bound = false;
		json_array_foreach(releases, j, r) {
			const char *f = json_string_value(json_object_get(json_object_get(r, "sbom"), "file"));
			bound |= f && !strcmp(f, file);
		}
		if (!bound)
			return ev_problem(pk->probs, pk->verifying ? SG_FAIL : SG_EINPUT, file,
					  "an SBOM that no envelope binds");
	}
	return SG_OK;
}

int evidence_derive_files(struct ev_pack *pk, const struct ev_inputs *in, json_t *idx)
{
	STACK_OF(X509) *roots = sk_X509_new_null();
	STACK_OF(X509_CRL) *crls = sk_X509_CRL_new_null();
	int rc = roots && crls ? SG_OK : ev_problem(pk->probs, SG_EENV, ".", "out of memory");
	json_t *sboms = each_input(pk, in->sboms, 's', NULL, &rc);
	json_object_set_new(idx, "sboms", sboms);
	if (!ev_stop(pk->probs))
		json_object_set_new(idx, "trust_roots", each_input(pk, in->roots, 'r', roots, &rc));
	if (!ev_stop(pk->probs))
		json_object_set_new(idx, "crls", each_input(pk, in->crls, 'c', crls, &rc));
	json_t *releases = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(in->envelopes, i, v) {
		if (ev_stop(pk->probs))
			break;
		json_t *e = ev_release(pk, json_string_value(v), sboms, roots, crls, &rc);
		if (e)
			json_array_append_new(releases, e);
	}
	json_object_set_new(idx, "releases", releases);
	if (!ev_stop(pk->probs))
		sboms_bound(pk, sboms, releases);
	sk_X509_pop_free(roots, X509_free);
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
	return pk->probs->status;
}

int evidence_derive_ledger(struct ev_pack *pk, const struct ev_inputs *in, json_t *idx)
{
	int rc = SG_OK;
	json_t *ledger = in->checkpoint ? ev_ledger(pk, in, idx, &rc) : json_null();
	if (!ledger)
		ledger = json_null();
	json_object_set_new(idx, "ledger", ledger);
	json_object_set_new(idx, "units", !strcmp(in->kind, "units") && json_is_object(ledger)
						  ? ev_units(ledger)
						  : json_null());
	return pk->probs->status;
}
