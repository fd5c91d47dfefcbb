/* signet ledger export --tiles: being written (issue 10). */
#include "cli.h"
#include "ledger.h"

int ledger_export_tiles(const struct ledger_args *a)
{
	(void)a;
	return cli_usage_error("ledger", "export --tiles is not implemented yet");
}
