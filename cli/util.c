#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_report(const struct sg_err *err)
{
	fprintf(stderr, "signet: %s\n", err->msg);
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

int cli_parse_u64(const char *cmd, const char *what, const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	errno = 0;
	if (!s[0] || s[0] == '-' || s[0] == '+' || s[0] == ' ')
		return cli_usage_error(cmd, "%s '%s': not a number", what, s);
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || *end)
		return cli_usage_error(cmd, "%s '%s': not a number", what, s);
	if (v > max)
		return cli_usage_error(cmd, "%s '%s': larger than %llu", what, s,
				       (unsigned long long)max);
	*out = v;
	return SG_OK;
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
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return 0;
	size_t got = fread(buf, 1, n, fp);
	fclose(fp);
	return got;
}
