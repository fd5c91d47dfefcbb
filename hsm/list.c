/* Listing tokens and key pairs. Public keys are visible without login;
 * private ones only after it. Listing logs in only to the one token a URI
 * names, and only when the PIN source has a PIN without asking (may_prompt
 * false): listing must never prompt, nor spend a login attempt of a
 * token the PIN was not meant for. */
#include "hsm_priv.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "signet/fileio.h"

struct list_obj {
	CK_OBJECT_HANDLE h;
	struct hsm_bytes id, label;
	bool paired;
};

struct list_run {
	int (*fn)(const struct sg_hsm_item *item, void *arg);
	void *arg;
	struct sg_err *err;
};

static void item_token_fields(struct sg_hsm_item *it, const CK_TOKEN_INFO *info)
{
	hsm_trim(it->token_label, info->label, sizeof(info->label));
	hsm_trim(it->manufacturer, info->manufacturerID, sizeof(info->manufacturerID));
	hsm_trim(it->model, info->model, sizeof(info->model));
	hsm_trim(it->serial, info->serialNumber, sizeof(info->serialNumber));
}

/* A URI p11-kit formats (and so percent-encodes) from token info and
 * object attributes. Too long for the item is an error, not a cut URI. */
static int item_uri(struct sg_hsm_item *it, const CK_TOKEN_INFO *info, CK_ATTRIBUTE *attrs,
		    CK_ULONG n, struct sg_err *err)
{
	P11KitUri *u = p11_kit_uri_new();
	char *s = NULL;
	int r = P11_KIT_URI_UNEXPECTED;
	if (u) {
		memcpy(p11_kit_uri_get_token_info(u), info, sizeof(*info));
		r = p11_kit_uri_set_attributes(u, attrs, n);
		if (r == P11_KIT_URI_OK)
			r = p11_kit_uri_format(u, n ? P11_KIT_URI_FOR_OBJECT_ON_TOKEN
						    : P11_KIT_URI_FOR_TOKEN, &s);
		p11_kit_uri_free(u);
	}
	int rc = SG_OK;
	if (r != P11_KIT_URI_OK || !s)
		rc = sg_errf(err, SG_EENV, "token '%s': cannot format a URI", it->token_label);
	else if (strlen(s) >= sizeof(it->uri))
		rc = sg_errf(err, SG_EENV, "token '%s': URI of '%s' too long to list",
			     it->token_label, it->label);
	else
		strcpy(it->uri, s);
	free(s);
	return rc;
}

/* What `signet inspect` shows for a signature by this key: SHA-256 of the
 * SPKI as hsm_key_spki builds it (EC points uncompressed), which is the
 * one sg_hsm_key_spki gives the signer. Left empty when unreadable. */
static void list_key_id(const struct hsm_keyinfo *ki, char hex[65])
{
	uint8_t spki[SG_SPKI_MAX], md[32];
	size_t len;
	struct sg_err ignored;
	hex[0] = 0;
	if (ki->type != SG_KEY_NONE && hsm_key_spki(ki, spki, &len, &ignored) == SG_OK &&
	    EVP_Digest(spki, len, md, NULL, EVP_sha256(), NULL) == 1)
		sg_hex(md, sizeof(md), hex);
}

/* One key pair (pub and/or priv may be CK_INVALID_HANDLE). */
static int list_key(struct hsm_token *tok, const struct list_obj *pub,
		    const struct list_obj *priv, struct list_run *run)
{
	const struct list_obj *o = pub ? pub : priv;
	struct sg_hsm_item it = { .has_private = priv != NULL };
	item_token_fields(&it, &tok->info);
	// NOLINTNEXTLINE(clang-analyzer-core.NullDereference): pub or priv is always given
	snprintf(it.label, sizeof(it.label), "%.*s", (int)o->label.len,
		 o->label.p ? (const char *)o->label.p : "");
	size_t idn = o->id.len > 64 ? 64 : o->id.len;
	sg_hex(o->id.p ? o->id.p : (const uint8_t *)"", idn, it.id_hex);

	struct hsm_keyinfo ki;
	int rc = hsm_key_inspect(tok, priv ? priv->h : CK_INVALID_HANDLE,
				 pub ? pub->h : CK_INVALID_HANDLE, &ki, run->err);
	if (rc != SG_OK)
		return rc;
	it.key_type = ki.type;
	/* CKA_LOCAL: made by the token (C_GenerateKeyPair), not taken from
	 * outside (C_CreateObject). Both halves carry it: the public one,
	 * readable without login, is enough. */
	it.generated_in_token = hsm_attr_bool(tok, o->h, CKA_LOCAL);
	snprintf(it.key_desc, sizeof(it.key_desc), "%s", ki.desc);
	list_key_id(&ki, it.key_id);
	hsm_keyinfo_free(&ki);

	/* type=private unless we logged in and saw there is none, so the
	 * URI is the one to sign with. */
	CK_OBJECT_CLASS cls = priv || !tok->logged_in ? CKO_PRIVATE_KEY : CKO_PUBLIC_KEY;
	CK_ATTRIBUTE a[3] = { { CKA_CLASS, &cls, sizeof(cls) } };
	CK_ULONG n = 1;
	if (o->label.len)
		a[n++] = (CK_ATTRIBUTE){ CKA_LABEL, o->label.p, o->label.len };
	if (o->id.len)
		a[n++] = (CK_ATTRIBUTE){ CKA_ID, o->id.p, o->id.len };
	if ((rc = item_uri(&it, &tok->info, a, n, run->err)) != SG_OK)
		return rc;
	return run->fn(&it, run->arg);
}

static int cmp_bytes(const struct hsm_bytes *a, const struct hsm_bytes *b)
{
	size_t n = a->len < b->len ? a->len : b->len;
	int c = n ? memcmp(a->p, b->p, n) : 0;
	return c ? c : (a->len > b->len) - (a->len < b->len);
}

/* By label, then id: tokens return objects in no stable order, and a
 * listing should read the same every time. */
static int cmp_obj(const void *a, const void *b)
{
	const struct list_obj *x = a, *y = b;
	int c = cmp_bytes(&x->label, &y->label);
	return c ? c : cmp_bytes(&x->id, &y->id);
}

static void objs_free(struct list_obj *v, CK_ULONG n)
{
	for (CK_ULONG i = 0; i < n; i++) {
		hsm_bytes_free(&v[i].id);
		hsm_bytes_free(&v[i].label);
	}
	free(v);
}

/* Every object of the class, with id and label read. */
static int list_objs(struct hsm_token *tok, CK_OBJECT_CLASS cls, struct list_obj **out,
		     CK_ULONG *n, struct sg_err *err)
{
	CK_ATTRIBUTE t = { CKA_CLASS, &cls, sizeof(cls) };
	CK_OBJECT_HANDLE *h;
	CK_RV rv = hsm_find(tok, &t, 1, &h, n);
	*out = NULL;
	if (rv == CKR_OK && !(*out = calloc(*n ? *n : 1, sizeof(**out))))
		rv = CKR_HOST_MEMORY;
	for (CK_ULONG i = 0; rv == CKR_OK && i < *n; i++) {
		(*out)[i].h = h[i];
		rv = hsm_attr(tok, h[i], CKA_ID, &(*out)[i].id);
		if (rv == CKR_OK)
			rv = hsm_attr(tok, h[i], CKA_LABEL, &(*out)[i].label);
	}
	free(h);
	if (rv != CKR_OK) {
		objs_free(*out, *out ? *n : 0);
		*out = NULL;
		return sg_errf(err, SG_EENV, "token '%s': cannot list objects: %s", tok->label,
			       hsm_rv_name(rv));
	}
	qsort(*out, *n, sizeof(**out), cmp_obj);
	return SG_OK;
}

static int list_keys(struct hsm_token *tok, struct list_run *run)
{
	struct list_obj *pubs, *privs = NULL;
	CK_ULONG npub, npriv = 0;
	int rc = list_objs(tok, CKO_PUBLIC_KEY, &pubs, &npub, run->err);
	if (rc == SG_OK)
		rc = list_objs(tok, CKO_PRIVATE_KEY, &privs, &npriv, run->err);
	for (CK_ULONG i = 0; rc == SG_OK && i < npub; i++) {
		struct list_obj *priv = NULL;
		for (CK_ULONG j = 0; j < npriv && !priv; j++)
			if (!privs[j].paired && hsm_same_pair(&pubs[i].id, &pubs[i].label,
							       &privs[j].id, &privs[j].label))
				priv = &privs[j];
		if (priv)
			priv->paired = true;
		rc = list_key(tok, &pubs[i], priv, run);
	}
	for (CK_ULONG j = 0; rc == SG_OK && j < npriv; j++)
		if (!privs[j].paired)
			rc = list_key(tok, NULL, &privs[j], run);
	if (pubs)
		objs_free(pubs, npub);
	if (privs)
		objs_free(privs, npriv);
	return rc;
}

/* login: this is the one token the URI names, so private keys are listed
 * too when a PIN is at hand without asking. */
static int list_token(struct sg_hsm_ctx *ctx, struct hsm_module *mod, P11KitUri *uri,
		      CK_SLOT_ID slot, const CK_TOKEN_INFO *info, bool login, struct list_run *run)
{
	struct sg_hsm_item it = { .is_token = true };
	item_token_fields(&it, info);
	it.initialized = info->flags & CKF_TOKEN_INITIALIZED;
	int rc = item_uri(&it, info, NULL, 0, run->err);
	if (rc == SG_OK)
		rc = run->fn(&it, run->arg);
	if (rc != SG_OK || !it.initialized)
		return rc;
	struct hsm_token *tok;
	if ((rc = hsm_token_session(ctx, mod, slot, info, &tok, run->err)) != SG_OK)
		return rc;
	rc = login ? hsm_login(ctx, tok, uri, false, run->err) : SG_OK;
	if (rc != SG_OK && rc != SG_FAIL) /* SG_FAIL: no PIN at hand, list public keys only */
		return rc;
	return list_keys(tok, run);
}

/* Whether the URI says which token: a token or slot attribute. */
static bool names_token(P11KitUri *uri)
{
	const CK_TOKEN_INFO *t = p11_kit_uri_get_token_info(uri);
	const CK_SLOT_INFO *s = p11_kit_uri_get_slot_info(uri);
	return t->label[0] || t->manufacturerID[0] || t->model[0] || t->serialNumber[0] ||
	       s->slotDescription[0] || s->manufacturerID[0] ||
	       p11_kit_uri_get_slot_id(uri) != (CK_SLOT_ID)-1;
}

static bool slot_matches(struct hsm_module *mod, P11KitUri *uri, CK_SLOT_ID slot,
			 CK_TOKEN_INFO *info)
{
	CK_SLOT_ID want = p11_kit_uri_get_slot_id(uri);
	CK_SLOT_INFO si;
	return (want == (CK_SLOT_ID)-1 || want == slot) &&
	       mod->f->C_GetSlotInfo(slot, &si) == CKR_OK && p11_kit_uri_match_slot_info(uri, &si) &&
	       mod->f->C_GetTokenInfo(slot, info) == CKR_OK &&
	       p11_kit_uri_match_token_info(uri, info);
}

/* How many initialised tokens the URI matches, the index of the first in
 * *first; true when one of them looks half-read (hsm_token_half_read). */
static bool count_matches(struct hsm_module *mod, P11KitUri *uri, const CK_SLOT_ID *slots,
			  CK_ULONG n, CK_ULONG *matched, CK_ULONG *first)
{
	bool half = false;
	*matched = *first = 0;
	for (CK_ULONG i = 0; i < n; i++) {
		CK_TOKEN_INFO info;
		if (!slot_matches(mod, uri, slots[i], &info) ||
		    !(info.flags & CKF_TOKEN_INITIALIZED))
			continue;
		if ((*matched)++ == 0)
			*first = i;
		half = half || hsm_token_half_read(&info);
	}
	return half;
}

int sg_hsm_list(struct sg_hsm_ctx *ctx, const char *text,
		int (*fn)(const struct sg_hsm_item *item, void *arg), void *arg,
		struct sg_err *err)
{
	P11KitUri *uri = NULL;
	int rc = text ? hsm_uri_parse(text, &uri, err) : SG_OK;
	if (rc != SG_OK)
		return rc;
	if (!uri && !(uri = p11_kit_uri_new())) /* an empty URI matches everything */
		return sg_errf(err, SG_EENV, "out of memory");
	struct hsm_module *mod;
	CK_SLOT_ID *slots = NULL;
	CK_ULONG n = 0;
	struct list_run run = { fn, arg, err };
	if ((rc = hsm_token_module(ctx, uri, &mod, err)) == SG_OK &&
	    (rc = hsm_token_slots(mod, &slots, &n, err)) == SG_OK) {
		CK_ULONG named, matched;
		bool half = count_matches(mod, uri, slots, n, &matched, &named);
		/* The token named, or one token, missing or half-read may be
		 * another process rewriting the store as the module read it. */
		for (unsigned attempt = 0; rc == SG_OK && attempt < HSM_RETRIES &&
					   (half || (matched == 0 && names_token(uri)));
		     attempt++) {
			free(slots);
			slots = NULL;
			hsm_backoff(attempt);
			if ((rc = hsm_token_reload(ctx, mod, NULL, err)) != SG_EENV &&
			    (rc = hsm_token_slots(mod, &slots, &n, err)) == SG_OK)
				half = count_matches(mod, uri, slots, n, &matched, &named);
		}
		/* A PIN is for one token: trying it on others spends their
		 * login attempts (and can lock them). So log in only when the
		 * URI names a token and exactly one initialised token matches. */
		bool login = matched == 1 && names_token(uri);
		for (CK_ULONG i = 0; rc == SG_OK && i < n; i++) {
			CK_TOKEN_INFO info;
			if (slot_matches(mod, uri, slots[i], &info))
				rc = list_token(ctx, mod, uri, slots[i], &info, login && i == named,
						&run);
		}
	}
	free(slots);
	p11_kit_uri_free(uri);
	return rc;
}
