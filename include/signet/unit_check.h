/* The station's check step (docs/provisioning.md §3): the facts it
 * gathers about a unit and the pure decision it takes from them
 * (provision/unit_check.c). */
#ifndef SIGNET_UNIT_CHECK_H
#define SIGNET_UNIT_CHECK_H

#include <stdbool.h>

/* What the check step learned about a unit (docs/provisioning.md §3):
 * from the device, the issuance database and the ledger. */
enum sg_tri { SG_UNKNOWN = 0, SG_YES, SG_NO };

struct sg_unit_facts {
	/* the device */
	bool locked;             /* LOCK_STATE shows a lock bit */
	bool has_key;            /* KEYGEN "existing key only" answered a key */
	bool key_is_certs;       /* ... and it is the live certificate's key */
	enum sg_tri challenge;   /* SIGN_CHALLENGE verified with the live certificate */
	bool lock_as_expected;   /* LOCK_STATE is exactly the profile's expected state */
	/* the issuance database */
	bool live_cert;          /* a live certificate for this UID and profile */
	bool any_cert;           /* any certificate ever, live, revoked or superseded */
	bool key_other_uid;      /* the device's key is certified for another UID */
	/* the ledger: this UID's records */
	bool ledger_locked;      /* unit.locked */
	bool ledger_prelock;     /* unit.prelock */
	bool ledger_cert;        /* unit.cert_issued */
	bool ledger_quarantined; /* unit.quarantined, not followed by a rework */
	const char *quarantine_reason; /* that record's reason */
};

enum sg_unit_decision {
	SG_UNIT_NEW = 1,        /* key, issue, write, verify, prelock, lock */
	SG_UNIT_RESUME,         /* the certificate is issued: write, verify, prelock, lock */
	SG_UNIT_REWORK,         /* revoke the live certificate, then as new (key replaced) */
	SG_UNIT_FINISH_LOCK,    /* locked after its prelock record: record unit.locked */
	SG_UNIT_CHALLENGE,      /* ask the device to sign a challenge, then decide again */
	SG_UNIT_REFUSE,         /* already provisioned: unit.failed */
	SG_UNIT_QUARANTINE,     /* unit.quarantined */
};

struct sg_unit_verdict {
	enum sg_unit_decision decision;
	const char *reason; /* a docs/provisioning.md §2 reason, for REFUSE and QUARANTINE */
};

/* The check step's table (docs/provisioning.md §3): the first row that
 * matches decides. A pure function: every combination of facts is tested. */
struct sg_unit_verdict sg_unit_decide(const struct sg_unit_facts *f, bool rework);

#endif
