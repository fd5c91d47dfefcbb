/* The check step's decision (docs/provisioning.md §3), apart from the
 * device, the database and the ledger that supply its facts, so that every
 * combination can be tested. See station_priv.h. */
#include <stddef.h>

#include "signet/unit_check.h"

static struct sg_unit_verdict verdict(enum sg_unit_decision d, const char *reason)
{
	struct sg_unit_verdict v = {d, reason};

	return v;
}

/* A locked device takes no more writes: it is accounted for, finished, or
 * set aside. */
static struct sg_unit_verdict locked_unit(const struct sg_unit_facts *f)
{
	if (!f->live_cert || (!f->ledger_locked && !f->ledger_prelock))
		return verdict(SG_UNIT_QUARANTINE, "locked-unaccounted");
	if (f->challenge == SG_UNKNOWN)
		return verdict(SG_UNIT_CHALLENGE, NULL);
	if (f->ledger_locked)
		return f->challenge == SG_YES ? verdict(SG_UNIT_REFUSE, "already-provisioned")
					      : verdict(SG_UNIT_QUARANTINE, "key-mismatch");
	/* the station died between its lock decision and unit.locked */
	if (f->challenge == SG_YES && f->lock_as_expected)
		return verdict(SG_UNIT_FINISH_LOCK, NULL);
	return verdict(SG_UNIT_QUARANTINE, "lock-failed");
}

struct sg_unit_verdict sg_unit_decide(const struct sg_unit_facts *f, bool rework)
{
	if (f->locked)
		return locked_unit(f);
	if (f->ledger_locked)
		return verdict(SG_UNIT_QUARANTINE, "lock-lost");
	if (f->ledger_quarantined && !rework)
		return verdict(SG_UNIT_QUARANTINE,
			       f->quarantine_reason ? f->quarantine_reason : "quarantined");
	if (f->has_key && f->key_other_uid)
		return verdict(SG_UNIT_QUARANTINE, "key-reused");
	if (f->live_cert) {
		if (rework)
			return verdict(SG_UNIT_REWORK, NULL);
		return f->has_key && f->key_is_certs ? verdict(SG_UNIT_RESUME, NULL)
						     : verdict(SG_UNIT_QUARANTINE, "key-mismatch");
	}
	if (f->ledger_cert && !f->any_cert)
		return verdict(SG_UNIT_QUARANTINE, "records-disagree");
	return verdict(SG_UNIT_NEW, NULL);
}
