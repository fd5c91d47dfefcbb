/* signet: the command dispatcher. Each command family lives in its own file
 * and is reached through the table below. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "hsm", cmd_hsm, "list tokens and keys, generate keys, export public keys" },
	{ "sign", cmd_sign, "sign a build output (bin, HEX, S-record, ELF): envelope or MCUboot" },
	{ "cosign", cmd_cosign, "add a signature to an envelope (M-of-N approval)" },
	{ "verify", cmd_verify, "verify an envelope or MCUboot image against trusted keys and a policy" },
	{ "inspect", cmd_inspect, "show every field of an envelope, MCUboot image or signing request" },
	{ "pki", cmd_pki, "device and release certificates with CA keys in the token" },
	{ "help", cmd_help, "show this help" },
};

static void usage(FILE *fp)
{
	fprintf(fp, "usage: signet <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(fp, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(fp, "\n'signet <command> --help' describes a command.\n"
		    "exit codes: 0 ok; 1 verification or policy failure; 2 usage error or\n"
		    "malformed input; 3 HSM, device, I/O or environment failure.\n"
		    "'signet --version' prints the version.\n");
}

int cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	usage(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("signet %s\n", SIGNET_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return cmd_help(argc - 1, argv + 1);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "signet: unknown command '%s' (see 'signet help')\n", argv[1]);
	return 2;
}
