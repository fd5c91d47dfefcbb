/* signet ledger report: being written (issue 10). */
#include "cli.h"
#include "ledger.h"

int ledger_report(const struct ledger_args *a)
{
	(void)a;
	return cli_usage_error("ledger", "report is not implemented yet");
}
