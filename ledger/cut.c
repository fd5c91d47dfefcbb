/* Cutting a checkpoint of a ledger: the store's current size and root,
 * signed by a token key and stored beside the records (signet/checkpoint.h,
 * sg_ledger_cut_checkpoint). What `signet ledger checkpoint` does, and what
 * `sign`, `cosign` and `pki` do with --ledger-key after their records. */
#include <string.h>

#include "signet/checkpoint.h"
#include "signet/ledger.h"

int sg_ledger_cut_checkpoint(struct sg_ledger *l, struct sg_hsm_key *key, char *note,
			     size_t size, size_t *len, uint64_t *tree_size, struct sg_err *err)
{
	struct sg_checkpoint cp;
	memset(&cp, 0, sizeof cp);
	if (size < SG_CHECKPOINT_NOTE_MAX + 1)
		return sg_errf(err, SG_EINPUT, "checkpoint buffer too small");
	strncpy(cp.origin, sg_ledger_origin(l), sizeof cp.origin - 1);
	int rc = sg_ledger_size(l, &cp.size, cp.root, err);
	if (!rc)
		rc = sg_checkpoint_sign(key, &cp, NULL, note, size - 1, len, err);
	if (rc)
		return rc;
	note[*len] = '\0';
	if (tree_size)
		*tree_size = cp.size;
	return sg_ledger_checkpoint_put(l, cp.size, cp.root, note, err);
}
