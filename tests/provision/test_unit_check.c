/* The station's check step (provision/unit_check.c) over every combination
 * of what the device, the database and the ledger can show: the rows of
 * docs/provisioning.md §3, and the invariants of its introduction, for all
 * 2^12 x 3 x 2 inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "signet/unit_check.h"

static struct sg_unit_facts facts(unsigned bits, enum sg_tri challenge)
{
	struct sg_unit_facts f = {
		.locked = bits & 1, .has_key = bits & 2, .key_is_certs = bits & 4,
		.lock_as_expected = bits & 8, .live_cert = bits & 16, .any_cert = bits & 32,
		.key_other_uid = bits & 64, .ledger_locked = bits & 128, .ledger_prelock = bits & 256,
		.ledger_cert = bits & 512, .ledger_quarantined = bits & 1024,
		.quarantine_reason = bits & 2048 ? "challenge" : NULL, .challenge = challenge,
	};
	/* facts that cannot go together */
	if (f.live_cert)
		f.any_cert = true;
	if (!f.has_key)
		f.key_is_certs = false;
	return f;
}

static void test_invariants(void **state)
{
	unsigned counts[8] = {0};
	(void)state;

	for (unsigned bits = 0; bits < 4096; bits++)
		for (int ch = SG_UNKNOWN; ch <= SG_NO; ch++)
			for (int rework = 0; rework < 2; rework++) {
				struct sg_unit_facts f = facts(bits, (enum sg_tri)ch);
				struct sg_unit_verdict v = sg_unit_decide(&f, rework);
				assert_true(v.decision >= SG_UNIT_NEW && v.decision <= SG_UNIT_QUARANTINE);
				counts[v.decision]++;
				/* a reason exactly when the unit ends as refused or quarantined */
				assert_int_equal(v.reason != NULL,
						 v.decision == SG_UNIT_REFUSE || v.decision == SG_UNIT_QUARANTINE);
				/* nothing is written to a locked device */
				if (f.locked)
					assert_true(v.decision != SG_UNIT_NEW && v.decision != SG_UNIT_RESUME &&
						    v.decision != SG_UNIT_REWORK);
				/* a lock is recorded only after its prelock record, a
				 * challenge answered by the certified key and the
				 * expected state */
				if (v.decision == SG_UNIT_FINISH_LOCK)
					assert_true(f.locked && f.ledger_prelock && f.live_cert &&
						    f.challenge == SG_YES && f.lock_as_expected);
				/* never a second live certificate: new units have none,
				 * and only --rework replaces one */
				if (v.decision == SG_UNIT_NEW)
					assert_true(!f.live_cert && !f.ledger_locked && !f.locked &&
						    !(f.has_key && f.key_other_uid) &&
						    (!f.ledger_quarantined || rework) &&
						    !(f.ledger_cert && !f.any_cert));
				if (v.decision == SG_UNIT_REWORK)
					assert_true(rework && f.live_cert && !f.locked && !f.ledger_locked);
				if (v.decision == SG_UNIT_RESUME)
					assert_true(!rework && f.live_cert && f.has_key && f.key_is_certs &&
						    !f.key_other_uid && !f.locked);
				/* a clone's key is never certified again */
				if (f.has_key && f.key_other_uid && !f.locked)
					assert_true(v.decision == SG_UNIT_QUARANTINE);
				/* the device is asked only when its answer decides */
				if (v.decision == SG_UNIT_CHALLENGE)
					assert_true(f.locked && f.live_cert && f.challenge == SG_UNKNOWN);
				if (f.challenge != SG_UNKNOWN)
					assert_true(v.decision != SG_UNIT_CHALLENGE);
			}
	/* every outcome is reachable */
	for (int d = SG_UNIT_NEW; d <= SG_UNIT_QUARANTINE; d++)
		assert_true(counts[d] > 0);
}

static struct sg_unit_verdict decide(struct sg_unit_facts f, bool rework)
{
	return sg_unit_decide(&f, rework);
}

/* The rows of docs/provisioning.md §3, one by one, in the document's words. */
static void test_rows(void **state)
{
	(void)state;
	struct sg_unit_facts done = {.locked = 1, .live_cert = 1, .any_cert = 1, .ledger_locked = 1,
				     .ledger_prelock = 1, .ledger_cert = 1, .has_key = 1, .key_is_certs = 1};
	assert_int_equal(decide(done, 0).decision, SG_UNIT_CHALLENGE);
	done.challenge = SG_YES;
	assert_int_equal(decide(done, 0).decision, SG_UNIT_REFUSE);
	assert_string_equal(decide(done, 0).reason, "already-provisioned");
	assert_int_equal(decide(done, 1).decision, SG_UNIT_REFUSE); /* no rework of a locked unit */
	done.challenge = SG_NO;
	assert_string_equal(decide(done, 0).reason, "key-mismatch");

	/* died after the lock decision */
	struct sg_unit_facts died = done;
	died.ledger_locked = 0;
	died.challenge = SG_YES;
	died.lock_as_expected = 1;
	assert_int_equal(decide(died, 0).decision, SG_UNIT_FINISH_LOCK);
	died.lock_as_expected = 0;
	assert_string_equal(decide(died, 0).reason, "lock-failed");

	struct sg_unit_facts foreign = {.locked = 1, .live_cert = 1, .any_cert = 1};
	assert_string_equal(decide(foreign, 0).reason, "locked-unaccounted");
	foreign.live_cert = 0;
	foreign.ledger_prelock = 1;
	assert_string_equal(decide(foreign, 0).reason, "locked-unaccounted");

	struct sg_unit_facts lost = {.ledger_locked = 1, .live_cert = 1, .has_key = 1, .key_is_certs = 1};
	assert_string_equal(decide(lost, 0).reason, "lock-lost");
	assert_string_equal(decide(lost, 1).reason, "lock-lost");

	struct sg_unit_facts quar = {.ledger_quarantined = 1, .quarantine_reason = "uid-changed"};
	assert_string_equal(decide(quar, 0).reason, "uid-changed");
	assert_int_equal(decide(quar, 1).decision, SG_UNIT_NEW);

	struct sg_unit_facts issued = {.live_cert = 1, .any_cert = 1, .ledger_cert = 1, .has_key = 1,
				       .key_is_certs = 1};
	assert_int_equal(decide(issued, 0).decision, SG_UNIT_RESUME);
	assert_int_equal(decide(issued, 1).decision, SG_UNIT_REWORK);
	issued.key_is_certs = 0;
	assert_string_equal(decide(issued, 0).reason, "key-mismatch");
	issued.has_key = 0;
	assert_string_equal(decide(issued, 0).reason, "key-mismatch");

	struct sg_unit_facts disagree = {.ledger_cert = 1};
	assert_string_equal(decide(disagree, 0).reason, "records-disagree");
	disagree.any_cert = 1; /* revoked by a rework: no disagreement */
	assert_int_equal(decide(disagree, 0).decision, SG_UNIT_NEW);

	struct sg_unit_facts clone = {.has_key = 1, .key_other_uid = 1};
	assert_string_equal(decide(clone, 0).reason, "key-reused");
	assert_string_equal(decide(clone, 1).reason, "key-reused");

	struct sg_unit_facts blank = {0};
	assert_int_equal(decide(blank, 0).decision, SG_UNIT_NEW);
	blank.has_key = 1; /* a key from a run that died before issue: reused */
	assert_int_equal(decide(blank, 0).decision, SG_UNIT_NEW);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_invariants),
		cmocka_unit_test(test_rows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
