/* signet station run: being built (docs/provisioning.md §9). */
#include <stdio.h>

#include "cli.h"
#include "station.h"

int station_run(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "signet station run: not built yet\n");
	return SG_EENV;
}
