/* Command entry points and the few helpers they share. Each command gets
 * argv with argv[0] = its name and returns the process exit status
 * (enum sg_status: 0 ok, 1 "no", 2 usage/malformed input, 3 environment). */
#ifndef SIGNET_CLI_H
#define SIGNET_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "signet/err.h"

int cmd_help(int argc, char **argv);
int cmd_hsm(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_cosign(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_pki(int argc, char **argv);
int cmd_ledger(int argc, char **argv);
int cmd_sim(int argc, char **argv);
int cmd_station(int argc, char **argv);
int cmd_evidence(int argc, char **argv);

/* Prints "signet: <message>" on stderr and returns err->status. When the
 * error names a library parameter (err->param), the CLI's words for it
 * follow: " (see --flag)", or the table's own ending (cli/util.c). */
int cli_report(const struct sg_err *err);
/* The text cli_report prints after "signet: " (for --json "reason"s). */
const char *cli_err_text(const struct sg_err *err, char *buf, size_t size);
/* The option that sets a library parameter (struct sg_err.param), or NULL. */
const char *cli_param_flag(const char *param);
/* Prints "signet <cmd>: <message>" plus a hint and returns SG_EINPUT. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Unsigned numbers, the whole string, within max (common/num.h's strict
 * rules): cli_parse_u64 takes decimal only (counts, counters, times),
 * cli_parse_u64_hex also 0x-hex (addresses, sizes, byte values). A usage
 * error naming the option otherwise. */
int cli_parse_u64(const char *cmd, const char *what, const char *s, uint64_t max, uint64_t *out);
int cli_parse_u64_hex(const char *cmd, const char *what, const char *s, uint64_t max,
		      uint64_t *out);

/* src (NULL: "") as printable ASCII in dst: every other byte becomes '?',
 * so text from a device or a file can move no cursor. Returns dst. */
const char *cli_printable(char *dst, size_t size, const char *src);

/* dst = "<directory of the running binary>/rel": where an installed or
 * build-tree signet finds what it ships (../share/signet/...). NULL when
 * the binary's path is unknown or dst too small. */
const char *cli_beside_binary(char *dst, size_t size, const char *rel);

/* JSON string literal with escapes. */
void json_str(FILE *fp, const char *s);
/* Lower-case hex string literal. */
void json_hex(FILE *fp, const uint8_t *p, size_t n);

/* Reads up to n leading bytes of path (0 if it cannot be read), to tell
 * envelopes, MCUboot images and signing requests apart by their magic. */
size_t cli_read_magic(const char *path, uint8_t *buf, size_t n);

/* True if argv holds --help or -h (commands print their usage on stdout). */
bool cli_wants_help(int argc, char **argv);

/* JSON members shared by inspect and verify (no surrounding braces). */
struct sgv_envelope;
struct sgv_signature;
void cli_envelope_json(FILE *fp, const struct sgv_envelope *e);
/* Opens a signature object and leaves it open for the caller's members. */
void cli_signature_json(FILE *fp, const struct sgv_signature *s, unsigned index);
/* Text lines for the protected fields (version ... SBOM). */
void cli_envelope_text(FILE *out, const struct sgv_envelope *e);

/* signet inspect of path (cli/cmd_inspect.c): an envelope, an MCUboot image
 * or a signing request, told apart by magic, printed to out as text or as
 * one JSON object and a newline. A file that cannot be read or is not
 * well-formed: its status, with err saying why (not reported) and nothing
 * printed. */
int cli_inspect_file(const char *path, bool json, FILE *out, struct sg_err *err);

/* Signing requests (cli/inspect_request.c); --tbs-out writes the bytes to
 * sign to tbs_out (or NULL). As cli_inspect_file. */
bool cli_is_request(const char *path);
int cli_inspect_request(const char *path, bool json, const char *tbs_out, FILE *out,
			struct sg_err *err);

/* PINs (cli/pin.c). cli_pin is the CLI's PIN source (sg_pin_cb): the URI's
 * pin-source file (first line; the file must be private to its owner),
 * else $SIGNET_PIN (scrubbed from the environment when read, one locked
 * copy kept for the run), else, when req->may_prompt and stdin is a
 * terminal, a no-echo prompt on /dev/tty. arg is unused. cli_hsm_ctx_new
 * is sg_hsm_ctx_new with that source set; NULL out of memory. */
struct sg_pin_request;
struct sg_hsm_ctx;
int cli_pin(void *arg, const struct sg_pin_request *req, char *pin, size_t pin_max,
	    struct sg_err *err);
struct sg_hsm_ctx *cli_hsm_ctx_new(const char *module);

/* MCUboot images (cli/mcuboot.c). */
struct sg_trust;
bool cli_is_mcuboot(const char *path);
int cli_inspect_mcuboot(const char *path, bool json, FILE *out, struct sg_err *err);
int cli_verify_mcuboot(const char *path, const struct sg_trust *t, uint32_t min_counter,
		       bool json);

/* The longest cli_utc text and its NUL: "2025-01-31T12:00:00Z", or a time
 * past year 9999 as its number (up to 20 digits). */
#define CLI_UTC_MAX 21

/* t (seconds since 1970) in UTC as 2025-01-31T12:00:00Z, or as 2025-01-31
 * when date_only; past year 9999, as its number. Returns buf. */
const char *cli_utc(uint64_t t, char buf[static CLI_UTC_MAX], bool date_only);

#endif
