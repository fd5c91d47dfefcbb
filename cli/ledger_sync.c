/* signet ledger sync and verify --from postgresql://: being written (issue 10). */
#include "cli.h"
#include "ledger.h"

int ledger_sync(const struct ledger_args *a)
{
	(void)a;
	return cli_usage_error("ledger", "sync is not implemented yet");
}

int ledger_verify_central(const struct ledger_args *a)
{
	(void)a;
	return cli_usage_error("ledger", "verify --from is not implemented yet");
}
