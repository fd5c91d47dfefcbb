#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "signet/fileio.h"
#include "signet/num.h"

/* Library parameter names (struct sg_err.param) and how the CLI spells
 * them: the library's message plus " (see --flag)" is what users read, or
 * the message plus the row's own ending where that reads better (the
 * library's advice completed with the CLI's ways to give the parameter). */
static const struct param_flag {
	const char *param, *flag;
	const char *ending; /* NULL: " (see FLAG)" */
} param_flags[] = {
	{"max_span", "--max-span", NULL},
	{"module_override", "--module", ", --module, or SIGNET_PKCS11_MODULE"},
	{"pin_source", NULL, " or SIGNET_PIN"},
	/* hsm/: sg_hsm_private_key_decode */
	{"encrypted_key", NULL,
	 ", through a pipe, never into a file: openssl pkey -in KEY -passin env:VAR | "
	 "signet hsm import --key URI --from -"},
	{"reissue", "--reissue", " (revoke it, or --reissue to supersede it)"},
	/* sign/ */
	{"key_uris", "--key", NULL},
	{"cert_paths", "--cert", NULL},
	{"cert_path", "--cert", NULL},
	{"roots", "--trust-root", NULL},
	{"trust_path", "--trust",
	 ": use --trust-root for a root certificate, or give its public key "
	 "(openssl x509 -pubkey -noout -in CERT)"},
	{"raw_ecdsa", "--signature-format", ", or wrong --signature-format"},
	{"slot_size", "--slot-size", NULL},
	{"hw_id", "--hw-id", NULL},
	{"sbom_path", "--sbom", NULL},
	{"digest_alg", "--digest", NULL},
	{"load_addr", "--load-addr", NULL},
	/* ledger/ */
	{"key", "--key", NULL},
	{"record_type", "--type", NULL},
	{"record_fields", "--json", NULL},
	{"origin", "--origin", NULL},
	{"index", "--index", NULL},
	{"conninfo", NULL, " (--to or --from)"},
	/* provision/ */
	{"fixture", "--fixture", NULL},
	{"listen", "--listen", NULL},
	{"uid", "--uid", NULL},
};

static const struct param_flag *param_row(const char *param)
{
	for (size_t i = 0; param && i < sizeof(param_flags) / sizeof(param_flags[0]); i++)
		if (strcmp(param, param_flags[i].param) == 0)
			return &param_flags[i];
	return NULL;
}

const char *cli_param_flag(const char *param)
{
	const struct param_flag *row = param_row(param);
	return row ? row->flag : NULL;
}

const char *cli_err_text(const struct sg_err *err, char *buf, size_t size)
{
	const struct param_flag *row = param_row(err->param);

	if (row && row->ending)
		snprintf(buf, size, "%s%s", err->msg, row->ending);
	else if (row && row->flag)
		snprintf(buf, size, "%s (see %s)", err->msg, row->flag);
	else
		snprintf(buf, size, "%s", err->msg);
	return buf;
}

const char *cli_utc(uint64_t t, char buf[static CLI_UTC_MAX], bool date_only)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (t > (uint64_t)253402300799ull || !gmtime_r(&tt, &tm))
		snprintf(buf, CLI_UTC_MAX, "%" PRIu64, t);
	else
		// NOLINTNEXTLINE(cert-err33-c): t <= 9999-12-31 (tested above): 20 characters
		strftime(buf, CLI_UTC_MAX, date_only ? "%Y-%m-%d" : "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

int cli_report(const struct sg_err *err)
{
	char text[sizeof err->msg + 256];

	fprintf(stderr, "signet: %s\n", cli_err_text(err, text, sizeof text));
	return err->status ? err->status : SG_EENV;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "signet %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'signet %s --help')\n", cmd);
	return SG_EINPUT;
}

static int parse_number(const char *cmd, const char *what, const char *s, unsigned flags,
			uint64_t max, uint64_t *out)
{
	uint64_t v;
	if (sg_parse_u64(s, flags, UINT64_MAX, &v) != 0) {
		if (s[0] == '0' && s[1] >= '0' && s[1] <= '9')
			return cli_usage_error(cmd, "%s '%s': leading zero (write it without%s)",
					       what, s, flags & SG_NUM_HEX ? ", or 0x for hex" : "");
		return cli_usage_error(cmd, "%s '%s': not a number (%s)", what, s,
				       flags & SG_NUM_HEX ? "decimal, or 0x and hex digits"
							  : "decimal digits");
	}
	if (v > max)
		return cli_usage_error(cmd, "%s '%s': larger than %llu", what, s,
				       (unsigned long long)max);
	*out = v;
	return SG_OK;
}

int cli_parse_u64(const char *cmd, const char *what, const char *s, uint64_t max, uint64_t *out)
{
	return parse_number(cmd, what, s, 0, max, out);
}

int cli_parse_u64_hex(const char *cmd, const char *what, const char *s, uint64_t max,
		      uint64_t *out)
{
	return parse_number(cmd, what, s, SG_NUM_HEX, max, out);
}

const char *cli_printable(char *dst, size_t size, const char *src)
{
	size_t i = 0;
	for (; src && src[i] && i + 1 < size; i++)
		dst[i] = src[i] >= 0x20 && src[i] < 0x7f ? src[i] : '?';
	dst[i] = '\0';
	return dst;
}

void json_str(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(fp, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(fp, "\\u%04x", *p);
		else
			fputc(*p, fp);
	}
	fputc('"', fp);
}

void json_hex(FILE *fp, const uint8_t *p, size_t n)
{
	fputc('"', fp);
	for (size_t i = 0; i < n; i++)
		fprintf(fp, "%02x", p[i]);
	fputc('"', fp);
}

bool cli_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return true;
	}
	return false;
}

size_t cli_read_magic(const char *path, uint8_t *buf, size_t n)
{
	int fd;
	uint64_t size;
	struct sg_err ignored;
	if (sg_open_regular(path, &fd, &size, &ignored) != SG_OK)
		return 0; /* the reader that follows names the problem */
	size_t want = size < n ? (size_t)size : n;
	struct sg_fd_at at = { fd, 0 };
	int rc = sg_read_at(&at, 0, buf, want);
	close(fd);
	return rc == 0 ? want : 0;
}

const char *cli_beside_binary(char *dst, size_t size, const char *rel)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	char *slash;

	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	if (!(slash = strrchr(exe, '/')))
		return NULL;
	*slash = '\0';
	if ((size_t)snprintf(dst, size, "%s/%s", exe, rel) >= size)
		return NULL;
	return dst;
}
