#!/usr/bin/env bash
# Runs the signet binary under valgrind's memcheck: what tests/cli/lib.sh
# calls instead of $SIGNET when SIGNET_VALGRIND is set (scripts/test.sh,
# "integration tests under valgrind"). signet's own exit status passes
# through unchanged (0-3), so the tests still check it; a memory error or a
# definite leak makes the run exit 99 instead, and every run's report is
# kept in SIGNET_VALGRIND (a directory) for the stage to scan afterwards,
# since some tests ignore a failing status on purpose.
#   SIGNET_VALGRIND=DIR SIGNET_VALGRIND_BINARY=signet valgrind-signet.sh ARGS...
# RSA key generation is SoftHSM's prime search, which memcheck slows from
# a second to minutes per key; signet's side of keygen is the same for every
# type and stays under valgrind through the EC and Ed25519 keys.
case " $* " in
*" keygen "*"--type rsa-"*) exec "${SIGNET_VALGRIND_BINARY:?the signet binary}" "$@" ;;
esac
here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")") # also when called by a symlink
exec valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
  --show-leak-kinds=definite --num-callers=30 --keep-debuginfo=yes \
  --suppressions="$here/valgrind-softhsm.supp" \
  --log-file="${SIGNET_VALGRIND:?a directory for the reports}/signet.%p.log" \
  "${SIGNET_VALGRIND_BINARY:?the signet binary}" "$@"
