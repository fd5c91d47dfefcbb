/* signet: the command dispatcher. Each command family lives in its own file
 * and is reached through the table below. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "signet/atomic_file.h"
#include "cli.h"
#include "signet/hsm.h"

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
	{ "ledger", cmd_ledger, "the tamper-evident audit ledger: records, checkpoints, proofs" },
	{ "sim", cmd_sim, "a simulated device for the provisioning station, with faults" },
	{ "station", cmd_station, "the factory provisioning station: identity, checks, lock, ledger" },
	{ "evidence", cmd_evidence, "the auditor's evidence pack: collect it, verify it offline" },
	{ "help", cmd_help, "this help, or a command's ('signet help sign')" },
};

static void usage(FILE *fp)
{
	fprintf(fp, "usage: signet COMMAND [options]\n"
		    "       signet help [COMMAND]\n"
		    "       signet --version\n"
		    "\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(fp, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(fp, "\n'signet COMMAND --help' or 'signet help COMMAND' describes a command.\n"
		    "'signet --version' (also -V, version) prints the version.\n"
		    "exit codes: 0 ok; 1 verification or policy failure; 2 usage error or\n"
		    "malformed input; 3 HSM, device, I/O or environment failure.\n");
}

/* The command called name, or NULL after a one-line error on stderr. */
static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(name, commands[i].name))
			return &commands[i];
	fprintf(stderr, "signet: unknown command '%s' (see 'signet help')\n", name);
	return NULL;
}

/* signet help [COMMAND]: COMMAND's own --help, so that both say the same. */
int cmd_help(int argc, char **argv)
{
	if (argc < 2 || cli_wants_help(argc, argv)) {
		usage(stdout);
		return SG_OK;
	}
	if (argc > 2)
		return cli_usage_error("help", "expected at most one COMMAND");
	const struct command *cmd = find_command(argv[1]);
	if (!cmd)
		return SG_EINPUT;
	char help_flag[] = "--help";
	char *help_argv[] = { (char *)cmd->name, help_flag, NULL };
	return cmd->run(2, help_argv);
}

/* An interrupted run leaves no output: unnamed temps vanish with the
 * process; named ones (file systems without O_TMPFILE) are removed here. */
static void on_fatal_signal(int sig)
{
	sg_atomic_signal_cleanup();
	// NOLINTNEXTLINE(cert-err33-c): a valid signal and handler: cannot fail
	signal(sig, SIG_DFL);
	// NOLINTNEXTLINE(cert-err33-c): the process ends here either way
	raise(sig);
}

static void install_signal_cleanup(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fatal_signal;
	sigemptyset(&sa.sa_mask);
	/* A signal the caller chose to ignore (nohup, a background job) stays
	 * ignored: it would not have stopped us anyway. */
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE };
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct sigaction old;
		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
			sigaction(sigs[i], &sa, NULL);
	}
}

int main(int argc, char **argv)
{
	/* A PIN in the environment is in memory from the start: no core dumps
	 * (hsm/ turns them off too, before it reads any PIN). */
	struct sg_err core_err;
	if (getenv("SIGNET_PIN") && sg_hsm_no_core_dumps(&core_err) != SG_OK)
		return cli_report(&core_err);
	install_signal_cleanup();
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V") || !strcmp(argv[1], "version")) {
		printf("signet %s\n", SIGNET_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return cmd_help(argc - 1, argv + 1);
	const struct command *cmd = find_command(argv[1]);
	return cmd ? cmd->run(argc - 1, argv + 1) : SG_EINPUT;
}
