/* The context: what one user of the library holds (module references,
 * sessions, keys), freed together. token.c and key.c add to a context;
 * only this file, above them, takes one apart. */
#include "hsm_priv.h"

#include <stdlib.h>
#include <string.h>

struct sg_hsm_ctx *sg_hsm_ctx_new(const char *module_override)
{
	struct sg_hsm_ctx *ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return NULL;
	if (module_override && !(ctx->module_override = strdup(module_override))) {
		free(ctx);
		return NULL;
	}
	return ctx;
}

void sg_hsm_ctx_free(struct sg_hsm_ctx *ctx)
{
	if (!ctx)
		return;
	while (ctx->keys) {
		struct sg_hsm_key *k = ctx->keys;
		ctx->keys = k->next;
		free(k->uri);
		free(k);
	}
	/* Sessions before modules: closing a module's last session logs out. */
	while (ctx->extra) {
		struct hsm_token *t = ctx->extra;
		ctx->extra = t->next;
		hsm_token_close(t);
	}
	while (ctx->tokens) {
		struct hsm_token *t = ctx->tokens;
		ctx->tokens = t->next;
		hsm_token_close(t);
	}
	while (ctx->modules) {
		struct hsm_module_ref *r = ctx->modules;
		ctx->modules = r->next;
		hsm_module_put(r->mod);
		free(r);
	}
	hsm_ctx_pin_free(ctx);
	free(ctx->module_override);
	free(ctx);
}
