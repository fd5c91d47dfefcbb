/* Test helper: canonical bytes of what comes on stdin, for the script
 * tests that compare them with other implementations.
 *   record_tool jcs     stdin: JSON documents, each ended by a NUL byte;
 *                       stdout: per document its JCS bytes (or "ERROR: msg")
 *                       and a newline (JCS escapes every newline inside).
 *   record_tool record  stdin: per record "TYPE\nINDEX\nTIME\nORIGIN\nFIELDS"
 *                       ended by a NUL byte; stdout: the leaf (read back
 *                       with sg_record_parse) or "ERROR: msg", a newline. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_priv.h"
#include "signet/ledger_record.h"

static int jcs(const char *doc, size_t len, struct sg_err *err)
{
	struct sg_json *v;
	uint8_t *out;
	size_t n;
	if (sg_json_parse((const uint8_t *)doc, len, "doc", &v, err))
		return -1;
	int rc = sg_json_write(v, &out, &n, err);
	sg_json_free(v);
	if (rc)
		return -1;
	fwrite(out, 1, n, stdout);
	free(out);
	return 0;
}

static int record(char *doc, size_t len, struct sg_err *err)
{
	char *line[4], *p = doc;
	for (int i = 0; i < 4; i++) {
		line[i] = p;
		if (!(p = memchr(p, '\n', len - (size_t)(p - doc))))
			return sg_errf(err, SG_EINPUT, "record %d lines", i), -1;
		*p++ = 0;
	}
	uint8_t *leaf;
	size_t n;
	struct sg_record *r;
	if (sg_record_build(line[0], p, len - (size_t)(p - doc), strtoull(line[1], NULL, 10),
			    (time_t)strtoll(line[2], NULL, 10), line[3], &leaf, &n, err))
		return -1;
	int rc = sg_record_parse(leaf, n, &r, err);
	sg_record_free(r);
	if (rc == 0)
		fwrite(leaf, 1, n, stdout);
	free(leaf);
	return rc ? -1 : 0;
}

int main(int argc, char **argv)
{
	if (argc != 2 || (strcmp(argv[1], "jcs") && strcmp(argv[1], "record"))) {
		fprintf(stderr, "usage: record_tool jcs|record < input\n");
		return 2;
	}
	size_t cap = 1 << 20, len = 0, got;
	char *in = malloc(cap);
	while (in && (got = fread(in + len, 1, cap - len, stdin)) > 0)
		if ((len += got) == cap && !(in = realloc(in, cap *= 2)))
			break;
	if (!in)
		return 3;
	for (size_t at = 0; at < len;) {
		char *end = memchr(in + at, 0, len - at);
		size_t n = end ? (size_t)(end - (in + at)) : len - at;
		struct sg_err err = { 0 };
		if ((!strcmp(argv[1], "jcs") ? jcs(in + at, n, &err) : record(in + at, n, &err)))
			printf("ERROR: %s", err.msg);
		putchar('\n');
		at += n + 1;
	}
	free(in);
	return 0;
}
