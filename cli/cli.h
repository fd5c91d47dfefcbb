/* Command entry points: argv[0] is the command name. Each returns the
 * process exit status (enum sg_status). */
#ifndef SIGNET_CLI_H
#define SIGNET_CLI_H

int cmd_help(int argc, char **argv);

#endif
