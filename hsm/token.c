/* Tokens, sessions and object look-up. Slot ids are not stable (SoftHSM
 * makes them random), so tokens are chosen by what the URI says about them:
 * label, manufacturer, model, serial, and slot or library attributes. */
#include "hsm_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void hsm_bytes_free(struct hsm_bytes *b)
{
	free(b->p);
	b->p = NULL;
	b->len = 0;
}

CK_RV hsm_attr(struct hsm_token *tok, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type,
	       struct hsm_bytes *out)
{
	CK_FUNCTION_LIST *f = tok->mod->f;
	CK_ATTRIBUTE a = { type, NULL, 0 };
	out->p = NULL;
	out->len = 0;
	CK_RV rv = f->C_GetAttributeValue(tok->session, obj, &a, 1);
	/* Absent or secret is an answer, not a failure. */
	if (rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_ATTRIBUTE_SENSITIVE ||
	    (rv == CKR_OK && a.ulValueLen == CK_UNAVAILABLE_INFORMATION))
		return CKR_OK;
	if (rv != CKR_OK)
		return rv;
	a.pValue = malloc(a.ulValueLen ? a.ulValueLen : 1);
	if (!a.pValue)
		return CKR_HOST_MEMORY;
	rv = f->C_GetAttributeValue(tok->session, obj, &a, 1);
	if (rv != CKR_OK) {
		free(a.pValue);
		return rv;
	}
	out->p = a.pValue;
	out->len = a.ulValueLen;
	return CKR_OK;
}

CK_RV hsm_attr_ulong(struct hsm_token *tok, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type,
		     CK_ULONG *v)
{
	CK_ATTRIBUTE a = { type, v, sizeof(*v) };
	return tok->mod->f->C_GetAttributeValue(tok->session, obj, &a, 1);
}

int hsm_attr_bool(struct hsm_token *tok, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type)
{
	CK_BBOOL v;
	CK_ATTRIBUTE a = { type, &v, sizeof(v) };
	if (tok->mod->f->C_GetAttributeValue(tok->session, obj, &a, 1) != CKR_OK ||
	    a.ulValueLen != sizeof(v))
		return -1;
	return v != CK_FALSE;
}

CK_RV hsm_find(struct hsm_token *tok, CK_ATTRIBUTE *tmpl, CK_ULONG n, CK_OBJECT_HANDLE **out,
	       CK_ULONG *count)
{
	CK_FUNCTION_LIST *f = tok->mod->f;
	*out = NULL;
	*count = 0;
	CK_RV rv = f->C_FindObjectsInit(tok->session, tmpl, n);
	if (rv != CKR_OK)
		return rv;
	CK_OBJECT_HANDLE *all = NULL;
	CK_ULONG have = 0, cap = 0;
	for (;;) {
		if (have == cap) {
			CK_OBJECT_HANDLE *p = realloc(all, (cap + 32) * sizeof(*p));
			if (!p) {
				rv = CKR_HOST_MEMORY;
				break;
			}
			all = p;
			cap += 32;
		}
		CK_ULONG got = 0;
		rv = f->C_FindObjects(tok->session, all + have, cap - have, &got);
		if (rv != CKR_OK || got == 0)
			break;
		have += got;
	}
	f->C_FindObjectsFinal(tok->session);
	if (rv != CKR_OK) {
		free(all);
		return rv;
	}
	*out = all;
	*count = have;
	return CKR_OK;
}

static int open_session(struct hsm_token *t, struct sg_err *err)
{
	CK_FUNCTION_LIST *f = t->mod->f;
	/* Read-write so keygen can use the same session; a write-protected
	 * token still signs through a read-only one. */
	CK_RV rv = f->C_OpenSession(t->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
				    &t->session);
	if (rv == CKR_TOKEN_WRITE_PROTECTED)
		rv = f->C_OpenSession(t->slot, CKF_SERIAL_SESSION, NULL, NULL, &t->session);
	if (rv != CKR_OK)
		return sg_errf(err, SG_EENV, "token '%s': cannot open a session: %s", t->label,
			       hsm_rv_name(rv));
	return SG_OK;
}

int hsm_token_session(struct sg_hsm_ctx *ctx, struct hsm_module *mod, CK_SLOT_ID slot,
		      const CK_TOKEN_INFO *info, struct hsm_token **out, struct sg_err *err)
{
	for (struct hsm_token *t = ctx->tokens; t; t = t->next) {
		if (t->mod == mod && t->slot == slot) {
			*out = t;
			return SG_OK;
		}
	}
	struct hsm_token *t = calloc(1, sizeof(*t));
	if (!t)
		return sg_errf(err, SG_EENV, "out of memory");
	t->mod = mod;
	t->slot = slot;
	t->info = *info;
	hsm_trim(t->label, info->label, sizeof(info->label));
	if (open_session(t, err) != SG_OK) {
		free(t);
		return SG_EENV;
	}
	t->next = ctx->tokens;
	ctx->tokens = t;
	*out = t;
	return SG_OK;
}

int hsm_token_reopen(struct hsm_token *tok, struct sg_err *err)
{
	CK_SLOT_ID *slots;
	CK_ULONG n;
	int rc = hsm_token_slots(tok->mod, &slots, &n, err);
	CK_TOKEN_INFO info;
	CK_ULONG i = 0;
	while (rc == SG_OK && i < n &&
	       !(tok->mod->f->C_GetTokenInfo(slots[i], &info) == CKR_OK &&
		 memcmp(info.serialNumber, tok->info.serialNumber, sizeof(info.serialNumber)) == 0 &&
		 memcmp(info.label, tok->info.label, sizeof(info.label)) == 0))
		i++;
	tok->session = CK_INVALID_HANDLE;
	tok->logged_in = false;
	if (rc == SG_OK && i == n)
		rc = sg_errf(err, SG_EENV, "token '%s': gone after the module was reloaded",
			     tok->label);
	if (rc == SG_OK) {
		tok->slot = slots[i];
		tok->info = info;
		rc = open_session(tok, err);
	}
	free(slots);
	return rc;
}

/* Whether reloading mod would pull a session or key out from under ctx:
 * any session on it but keep's, or a key on keep. */
static bool module_in_use(const struct sg_hsm_ctx *ctx, const struct hsm_module *mod,
			  const struct hsm_token *keep)
{
	for (const struct hsm_token *t = ctx->tokens; t; t = t->next)
		if (t->mod == mod && t != keep)
			return true;
	for (const struct hsm_token *t = ctx->extra; t; t = t->next)
		if (t->mod == mod)
			return true;
	for (const struct sg_hsm_key *k = ctx->keys; k; k = k->next)
		if (k->tok == keep && keep)
			return true;
	return false;
}

int hsm_token_reload(struct sg_hsm_ctx *ctx, struct hsm_module *mod, struct hsm_token *keep,
		     struct sg_err *err)
{
	if (module_in_use(ctx, mod, keep))
		return SG_FAIL;
	int rc = hsm_module_reinit(mod, err); /* closes keep's session too */
	if (rc == SG_OK && keep)
		rc = hsm_token_reopen(keep, err);
	return rc;
}

int hsm_token_another(struct sg_hsm_ctx *ctx, const struct hsm_token *tok,
		      struct hsm_token **out, struct sg_err *err)
{
	struct hsm_token *t = malloc(sizeof(*t));
	if (!t)
		return sg_errf(err, SG_EENV, "out of memory");
	*t = *tok;
	/* Read-only: copies only sign and draw random numbers. */
	CK_RV rv = tok->mod->f->C_OpenSession(tok->slot, CKF_SERIAL_SESSION, NULL, NULL,
					      &t->session);
	if (rv != CKR_OK) {
		free(t);
		return sg_errf(err, SG_EENV, "token '%s': cannot open another session: %s",
			       tok->label, hsm_rv_name(rv));
	}
	t->next = ctx->extra;
	ctx->extra = t;
	*out = t;
	return SG_OK;
}

void hsm_token_close(struct hsm_token *tok)
{
	/* No C_Logout: login state is per process and token, and another
	 * context may still use it. Closing the last session logs out. */
	if (tok->session != CK_INVALID_HANDLE) /* a reload may have left none */
		tok->mod->f->C_CloseSession(tok->session);
	free(tok);
}

int hsm_token_module(struct sg_hsm_ctx *ctx, P11KitUri *uri, struct hsm_module **mod,
		     struct sg_err *err)
{
	const char *path = uri ? p11_kit_uri_get_module_path(uri) : NULL;
	if (!path && uri && p11_kit_uri_get_module_name(uri))
		return sg_errf(err, SG_EINPUT,
			       "module-name= is not supported (no p11-kit registry): use "
			       "module-path=");
	if (!path || !*path)
		path = ctx->module_override;
	if (!path || !*path)
		return sg_errf_param(err, SG_EENV, "module_override",
				     "no PKCS#11 module: use module-path= in the URI");

	struct hsm_module *m;
	int rc = hsm_module_get(path, &m, err);
	if (rc != SG_OK)
		return rc;
	for (struct hsm_module_ref *r = ctx->modules; r; r = r->next) {
		if (r->mod == m) { /* this context holds it already */
			hsm_module_put(m);
			*mod = m;
			return SG_OK;
		}
	}
	struct hsm_module_ref *r = malloc(sizeof(*r));
	if (!r) {
		hsm_module_put(m);
		return sg_errf(err, SG_EENV, "out of memory");
	}
	r->mod = m;
	r->next = ctx->modules;
	ctx->modules = r;
	*mod = m;
	return SG_OK;
}

/* The slots holding a token, in the module's order. */
int hsm_token_slots(struct hsm_module *mod, CK_SLOT_ID **slots, CK_ULONG *n,
		    struct sg_err *err)
{
	CK_RV rv;
	*slots = NULL;
	for (;;) {
		rv = mod->f->C_GetSlotList(CK_TRUE, NULL, n);
		if (rv != CKR_OK)
			break;
		free(*slots);
		*slots = calloc(*n ? *n : 1, sizeof(**slots));
		if (!*slots)
			return sg_errf(err, SG_EENV, "out of memory");
		rv = mod->f->C_GetSlotList(CK_TRUE, *slots, n);
		if (rv != CKR_BUFFER_TOO_SMALL) /* a token may arrive in between */
			break;
	}
	if (rv != CKR_OK) {
		free(*slots);
		*slots = NULL;
		return sg_errf(err, SG_EENV, "module %s: C_GetSlotList failed: %s", mod->path,
			       hsm_rv_name(rv));
	}
	return SG_OK;
}

/* Whether the token in slot is initialised and is one the URI names. */
static bool token_matches(struct hsm_module *mod, P11KitUri *uri, CK_SLOT_ID slot,
			  CK_TOKEN_INFO *info)
{
	CK_SLOT_ID want = p11_kit_uri_get_slot_id(uri);
	if (want != (CK_SLOT_ID)-1 && want != slot)
		return false;
	CK_SLOT_INFO si;
	if (mod->f->C_GetSlotInfo(slot, &si) != CKR_OK || !p11_kit_uri_match_slot_info(uri, &si))
		return false;
	if (mod->f->C_GetTokenInfo(slot, info) != CKR_OK)
		return false;
	return (info->flags & CKF_TOKEN_INITIALIZED) && p11_kit_uri_match_token_info(uri, info);
}

static int token_ambiguous(struct hsm_module *mod, P11KitUri *uri, const CK_SLOT_ID *slots,
			   CK_ULONG n, struct sg_err *err)
{
	char desc[300], names[300] = "";
	size_t used = 0;
	hsm_uri_token_desc(uri, desc, sizeof(desc));
	for (CK_ULONG i = 0; i < n && used < sizeof(names); i++) {
		CK_TOKEN_INFO info;
		char label[33], serial[17];
		if (!token_matches(mod, uri, slots[i], &info))
			continue;
		hsm_trim(label, info.label, sizeof(info.label));
		hsm_trim(serial, info.serialNumber, sizeof(info.serialNumber));
		used += (size_t)snprintf(names + used, sizeof(names) - used, "%s'%s' serial %s",
					 used ? ", " : "", label, serial);
	}
	if (strcmp(desc, "token") == 0) /* the URI named no token at all */
		return sg_errf(err, SG_EINPUT,
			       "several tokens match (%s): add token= or serial= to the URI", names);
	return sg_errf(err, SG_EINPUT, "%s: several tokens match (%s): add serial= to the URI",
		       desc, names);
}

bool hsm_token_half_read(const CK_TOKEN_INFO *info)
{
	CK_FLAGS need = CKF_TOKEN_INITIALIZED | CKF_LOGIN_REQUIRED;
	return (info->flags & need) == need && !(info->flags & CKF_USER_PIN_INITIALIZED);
}

/* The slots (free *slots) and how many of them hold a token the URI
 * names; *slot and *info are the last of those. */
static int token_search(struct hsm_module *mod, P11KitUri *uri, CK_SLOT_ID **slots, CK_ULONG *n,
			CK_ULONG *found, CK_SLOT_ID *slot, CK_TOKEN_INFO *info, struct sg_err *err)
{
	*found = 0;
	int rc = hsm_token_slots(mod, slots, n, err);
	for (CK_ULONG i = 0; rc == SG_OK && i < *n; i++) {
		CK_TOKEN_INFO cand;
		if (token_matches(mod, uri, (*slots)[i], &cand)) {
			++*found;
			*slot = (*slots)[i];
			*info = cand;
		}
	}
	return rc;
}

int hsm_token_find(struct sg_hsm_ctx *ctx, P11KitUri *uri, struct hsm_token **tok,
		   struct sg_err *err)
{
	struct hsm_module *mod;
	int rc = hsm_token_module(ctx, uri, &mod, err);
	if (rc != SG_OK)
		return rc;
	CK_INFO mi;
	if (mod->f->C_GetInfo(&mi) != CKR_OK || !p11_kit_uri_match_module_info(uri, &mi))
		return sg_errf(err, SG_EENV, "module %s: does not match the URI's library-* attributes",
			       mod->path);
	CK_SLOT_ID *slots;
	CK_ULONG n, found;
	CK_SLOT_ID slot;
	CK_TOKEN_INFO info;
	rc = token_search(mod, uri, &slots, &n, &found, &slot, &info, err);
	/* Nothing found, or a token without its user PIN, may be another
	 * process rewriting the token store just as the module read it:
	 * reread it and look again. */
	for (unsigned attempt = 0;
	     rc == SG_OK && (found == 0 || (found == 1 && hsm_token_half_read(&info))) &&
	     attempt < HSM_RETRIES;
	     attempt++) {
		free(slots);
		hsm_backoff(attempt);
		if (hsm_token_reload(ctx, mod, NULL, err) == SG_EENV)
			return SG_EENV;
		rc = token_search(mod, uri, &slots, &n, &found, &slot, &info, err);
	}
	if (rc != SG_OK)
		return rc;
	if (found == 1) {
		rc = hsm_token_session(ctx, mod, slot, &info, tok, err);
	} else if (found > 1) {
		rc = token_ambiguous(mod, uri, slots, n, err);
	} else {
		char desc[300];
		hsm_uri_token_desc(uri, desc, sizeof(desc));
		if (strcmp(desc, "token") == 0)
			rc = sg_errf(err, SG_EENV, "module %s: no initialized token", mod->path);
		else
			rc = sg_errf(err, SG_EENV, "%s: not found (module %s)", desc, mod->path);
	}
	free(slots);
	return rc;
}
