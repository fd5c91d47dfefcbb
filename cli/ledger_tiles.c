/* signet ledger export --tiles DIR: the ledger as a C2SP tlog-tiles
 * directory (ledger/tiles.c does the work; docs/ledger.md, "Tiles"). */
#include <inttypes.h>
#include <stdio.h>

#include "cli.h"
#include "ledger.h"
#include "signet/ledger_tiles.h"

int ledger_export_tiles(const struct ledger_args *a)
{
	struct sg_tiles_result res;
	struct sg_ledger *l;
	struct sg_err err = {0};
	int rc;

	if (a->out)
		return cli_usage_error("ledger", "export --tiles writes into DIR: no -o");
	if ((rc = ledger_open(a, false, &l)) != SG_OK)
		return rc;
	rc = sg_ledger_tiles_export(l, a->tiles, &res, &err);
	sg_ledger_close(l);
	if (rc != SG_OK)
		return cli_report(&err);
	printf("%s: the tiles of the checkpoint at size %" PRIu64 ": %lu files written, %lu already there\n",
	       a->tiles, res.size, res.written, res.kept);
	return SG_OK;
}
