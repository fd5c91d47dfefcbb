/* signet station status: being built (docs/provisioning.md §9). */
#include <stdio.h>

#include "cli.h"
#include "station.h"

int station_status(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "signet station status: not built yet\n");
	return SG_EENV;
}
