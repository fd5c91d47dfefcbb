/* signet ledger sync --to postgresql://... and signet ledger verify --from
 * postgresql://... (ledger/central.c does the work; docs/ledger.md, "Many
 * stations: PostgreSQL"). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ledger.h"
#include "signet/ledger_audit.h"
#include "signet/ledger_central.h"

static int is_postgres(const char *s)
{
	return s && (!strncmp(s, "postgresql://", 13) || !strncmp(s, "postgres://", 11));
}

int ledger_sync(const struct ledger_args *a)
{
	struct sg_central_sync_result res;
	struct sg_central *c = NULL;
	struct sg_ledger *l;
	struct sg_err err = {0};
	int rc;

	if (!is_postgres(a->to))
		return cli_usage_error("ledger", "sync needs --to postgresql://...");
	if ((rc = ledger_open(a, false, &l)) != SG_OK)
		return rc;
	rc = sg_central_connect(a->to, &c, &err);
	if (rc == SG_OK)
		rc = sg_central_sync(c, l, &res, &err);
	if (rc == SG_OK)
		printf("%s: records %" PRIu64 "..%" PRIu64 " of '%s' on %s: %" PRIu64
		       " uploaded, %lu checkpoints\n",
		       a->ledger, res.from, res.to, sg_ledger_origin(l), sg_central_name(c), res.to - res.from,
		       res.checkpoints);
	sg_central_close(c);
	sg_ledger_close(l);
	return rc == SG_OK ? SG_OK : cli_report(&err);
}

/* The audit of the central copy: checkpoints fed where the tree reaches
 * their size, as cli/ledger_verify.c does for the local store. */
struct central_walk {
	struct sg_audit au;
	struct ledger_cps *c;
	size_t next;
	struct sg_err *err;
};

static int central_leaf(void *arg, uint64_t index, const uint8_t *leaf, size_t len)
{
	struct central_walk *w = arg;
	int rc = ledger_cps_audit(&w->au, w->c, &w->next, w->err);

	(void)index;
	return rc != SG_OK ? rc : sg_audit_leaf(&w->au, leaf, len, w->err);
}

int ledger_verify_central(const struct ledger_args *a)
{
	struct sg_note_key keys[LEDGER_MAX_KEYS];
	struct sg_central *c = NULL;
	struct ledger_cps cps = {0};
	struct sg_err err = {0};
	struct central_walk w = {.c = &cps, .err = &err};
	size_t nkeys = 0;
	int rc;

	if (!is_postgres(a->from))
		return cli_usage_error("ledger", "verify --from needs a postgresql:// server");
	if (!a->origin)
		return cli_usage_error("ledger", "verify --from needs --origin NAME");
	if ((rc = ledger_keys(a, keys, &nkeys)) != SG_OK)
		return rc;
	rc = sg_central_connect(a->from, &c, &err);
	if (rc == SG_OK)
		rc = sg_central_checkpoints(c, a->origin, ledger_cps_add, &cps, &err);
	sg_audit_init(&w.au, a->origin, keys, nkeys);
	if (rc == SG_OK && cps.n == 0)
		rc = sg_errf(&err, SG_FAIL, "postgresql %s: no checkpoint of '%s'", sg_central_name(c), a->origin);
	if (rc == SG_OK)
		rc = sg_central_records(c, a->origin, central_leaf, &w, &err);
	if (rc == SG_OK)
		rc = ledger_cps_audit(&w.au, &cps, &w.next, &err);
	if (rc == SG_OK && w.next < cps.n)
		rc = sg_errf(&err, SG_FAIL, "checkpoint %" PRIu64 ": the central copy holds only %" PRIu64
			     " records (records were removed)", cps.v[w.next].size, w.au.range.size);
	if (rc == SG_FAIL) {
		struct sg_err named;
		sg_errf(&named, rc, "postgresql %s, '%s': %s", sg_central_name(c), a->origin, err.msg);
		err = named;
	}
	if (rc == SG_OK)
		fprintf(stderr, "signet: postgresql %s, '%s': %" PRIu64 " records and %" PRIu64
			" checkpoints verified\n", sg_central_name(c), a->origin, w.au.range.size,
			w.au.checkpoints);
	ledger_cps_free(&cps);
	sg_central_close(c);
	ledger_keys_clear(keys, nkeys);
	return rc == SG_OK ? SG_OK : cli_report(&err);
}
