/* signet station: the factory provisioning station (docs/provisioning.md).
 * `run` provisions units on fixtures (cli/station_run.c); `status` reads a
 * day's results from the ledger (cli/station_status.c); `ports` lists the
 * serial ports (cli/station_ports.c). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "station.h"

static const char usage_text[] =
	"usage: signet station run --profile P --fixture F [--fixture F2 ...] --ca-key URI\n"
	"                          --ca-cert C [--chain F] --db ISSUANCE.db --ledger L\n"
	"                          [--ledger-key URI] [--count N | --loop] [--dry-run]\n"
	"                          [--lock] [--rework] [--json]\n"
	"       signet station status --ledger L [--json] [--day YYYY-MM-DD]\n"
	"       signet station ports [--json]\n"
	"\n"
	"'signet station COMMAND --help' says more about each; docs/provisioning.md\n"
	"has the whole flow.\n";

int cmd_station(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage_text, argc < 2 ? stderr : stdout);
		return argc < 2 ? SG_EINPUT : SG_OK;
	}
	if (!strcmp(argv[1], "run"))
		return station_run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "status"))
		return station_status(argc - 1, argv + 1);
	if (!strcmp(argv[1], "ports"))
		return station_ports(argc - 1, argv + 1);
	return cli_usage_error("station", "unknown subcommand '%s' (run, status, ports)", argv[1]);
}
