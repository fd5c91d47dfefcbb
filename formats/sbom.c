/* A strict, non-allocating JSON checker that also picks out the few
 * top-level members that say what kind of SBOM a document is. */
#include "signet/sbom.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "signet/envelope_format.h"
#include "signet/fileio.h"

/* The length noted for a member of interest whose value is not a string. */
#define NOT_A_STRING ((size_t)-1)

struct json {
	const uint8_t *p, *end, *start;
	const char *error;
	int depth;
	/* top-level members of interest: raw string contents */
	const uint8_t *bom_format, *spec_version, *spdx_version;
	size_t bom_format_len, spec_version_len, spdx_version_len;
	int dup;
};

static void ws(struct json *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static bool fail(struct json *j, const char *why)
{
	if (!j->error)
		j->error = why;
	return false;
}

static bool is_hex(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Length of a valid UTF-8 sequence at p (1-4), or 0. */
static size_t utf8_len(const uint8_t *p, const uint8_t *end)
{
	uint8_t c = p[0];
	size_t n;
	uint32_t min, cp;
	if (c < 0x80)
		return 1;
	if ((c & 0xe0) == 0xc0)
		n = 2, min = 0x80, cp = c & 0x1f;
	else if ((c & 0xf0) == 0xe0)
		n = 3, min = 0x800, cp = c & 0x0f;
	else if ((c & 0xf8) == 0xf0)
		n = 4, min = 0x10000, cp = c & 0x07;
	else
		return 0;
	if ((size_t)(end - p) < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* A string; on success s and n give its raw contents (escapes not decoded). */
static bool string(struct json *j, const uint8_t **s, size_t *n)
{
	if (j->p >= j->end || *j->p != '"')
		return fail(j, "expected a string");
	const uint8_t *start = ++j->p;
	while (j->p < j->end && *j->p != '"') {
		uint8_t c = *j->p;
		if (c < 0x20)
			return fail(j, "control character in a string");
		if (c == '\\') {
			if (j->end - j->p < 2)
				return fail(j, "unterminated string");
			uint8_t e = j->p[1];
			if (e == 'u') {
				if (j->end - j->p < 6 || !is_hex(j->p[2]) || !is_hex(j->p[3]) ||
				    !is_hex(j->p[4]) || !is_hex(j->p[5]))
					return fail(j, "bad \\u escape");
				j->p += 6;
			} else if (strchr("\"\\/bfnrt", e) && e) {
				j->p += 2;
			} else {
				return fail(j, "bad escape");
			}
			continue;
		}
		size_t u = utf8_len(j->p, j->end);
		if (!u)
			return fail(j, "invalid UTF-8");
		j->p += u;
	}
	if (j->p >= j->end)
		return fail(j, "unterminated string");
	*s = start;
	*n = (size_t)(j->p - start);
	j->p++;
	return true;
}

static bool digits(struct json *j)
{
	if (j->p >= j->end || *j->p < '0' || *j->p > '9')
		return fail(j, "bad number");
	while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
		j->p++;
	return true;
}

static bool number(struct json *j)
{
	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p < j->end && *j->p == '0')
		j->p++;
	else if (!digits(j))
		return false;
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (!digits(j))
			return false;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (!digits(j))
			return false;
	}
	return true;
}

static bool literal(struct json *j, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n))
		return fail(j, "unexpected character");
	j->p += n;
	return true;
}

static bool value(struct json *j);

static unsigned hex4(const uint8_t *p)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++)
		v = v << 4 | (unsigned)(p[i] <= '9' ? p[i] - '0' : (p[i] | 0x20) - 'a' + 10);
	return v;
}

/* The next code point of a checked string's raw contents at *p, escapes
 * decoded (a \u surrogate pair is one code point; a lone surrogate stays
 * as it is, matching nothing we look for). */
static uint32_t next_cp(const uint8_t **p, const uint8_t *end)
{
	const uint8_t *s = *p;
	if (*s != '\\') {
		size_t n = utf8_len(s, end);
		uint32_t cp = n == 1 ? s[0] : s[0] & (0x7f >> n);
		for (size_t i = 1; i < n; i++)
			cp = cp << 6 | (s[i] & 0x3f);
		*p += n;
		return cp;
	}
	static const char from[] = "bfnrt", to[] = "\b\f\n\r\t";
	const char *e = strchr(from, s[1]);
	if (s[1] != 'u') {
		*p += 2;
		return e ? (uint32_t)(uint8_t)to[e - from] : s[1];
	}
	uint32_t cp = hex4(s + 2);
	*p += 6;
	if (cp >= 0xd800 && cp < 0xdc00 && end - *p >= 6 && (*p)[0] == '\\' && (*p)[1] == 'u') {
		uint32_t lo = hex4(*p + 2);
		if (lo >= 0xdc00 && lo < 0xe000) {
			*p += 6;
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		}
	}
	return cp;
}

/* True if the string with raw contents s (n bytes) decodes to want (ASCII):
 * "spec\u0056ersion" is specVersion to every JSON reader, so it is to us. */
static bool decoded_equals(const uint8_t *s, size_t n, const char *want)
{
	if (!s || n == NOT_A_STRING)
		return false;
	const uint8_t *end = s + n;
	for (; *want; want++)
		if (s == end || next_cp(&s, end) != (uint8_t)*want)
			return false;
	return s == end;
}

static void note_member(struct json *j, const uint8_t *k, size_t kn, const uint8_t *v, size_t vn)
{
	static const struct { const char *name; size_t off_p, off_n; } members[] = {
		{ "bomFormat", offsetof(struct json, bom_format), offsetof(struct json, bom_format_len) },
		{ "specVersion", offsetof(struct json, spec_version),
		  offsetof(struct json, spec_version_len) },
		{ "spdxVersion", offsetof(struct json, spdx_version),
		  offsetof(struct json, spdx_version_len) },
	};
	for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
		if (!decoded_equals(k, kn, members[i].name))
			continue;
		const uint8_t **pp = (const uint8_t **)((char *)j + members[i].off_p);
		size_t *np = (size_t *)((char *)j + members[i].off_n);
		if (*pp)
			j->dup = 1;
		*pp = v ? v : (const uint8_t *)"";
		*np = v ? vn : NOT_A_STRING;
	}
}

static bool object(struct json *j)
{
	bool top = j->depth == 1;
	j->p++; /* '{' */
	ws(j);
	if (j->p < j->end && *j->p == '}') {
		j->p++;
		return true;
	}
	for (;;) {
		const uint8_t *k, *v = NULL;
		size_t kn, vn = 0;
		ws(j);
		if (!string(j, &k, &kn))
			return false;
		ws(j);
		if (j->p >= j->end || *j->p != ':')
			return fail(j, "expected ':'");
		j->p++;
		ws(j);
		if (j->p < j->end && *j->p == '"') {
			if (!string(j, &v, &vn))
				return false;
		} else if (!value(j)) {
			return false;
		}
		if (top)
			// NOLINTNEXTLINE(clang-analyzer-core.CallAndMessage): string() set k: it returned true
			note_member(j, k, kn, v, vn);
		ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			continue;
		}
		if (j->p < j->end && *j->p == '}') {
			j->p++;
			return true;
		}
		return fail(j, "expected ',' or '}'");
	}
}

static bool array(struct json *j)
{
	j->p++; /* '[' */
	ws(j);
	if (j->p < j->end && *j->p == ']') {
		j->p++;
		return true;
	}
	for (;;) {
		ws(j);
		if (!value(j))
			return false;
		ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			continue;
		}
		if (j->p < j->end && *j->p == ']') {
			j->p++;
			return true;
		}
		return fail(j, "expected ',' or ']'");
	}
}

static bool value(struct json *j)
{
	if (j->p >= j->end)
		return fail(j, "unexpected end of input");
	const uint8_t *s;
	size_t n;
	bool ok;
	switch (*j->p) {
	case '{':
	case '[':
		if (++j->depth > SG_JSON_DEPTH_MAX)
			return fail(j, "nested too deeply");
		ok = *j->p == '{' ? object(j) : array(j);
		j->depth--;
		return ok;
	case '"':
		return string(j, &s, &n);
	case 't':
		return literal(j, "true");
	case 'f':
		return literal(j, "false");
	case 'n':
		return literal(j, "null");
	default:
		return number(j);
	}
}

/* 1-based line and column of the parser's position, for messages. */
static void position(const struct json *j, unsigned long *line, unsigned long *col)
{
	*line = 1;
	*col = 1;
	for (const uint8_t *p = j->start; p < j->p && p < j->end; p++) {
		if (*p == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

static int classify(const struct json *j, const char *name, struct sg_sbom *out,
		    struct sg_err *err)
{
	if (j->dup)
		return sg_errf(err, SG_EINPUT,
			       "%s: bomFormat, specVersion or spdxVersion appears twice", name);
	/* A document that is both would be read as one kind here and as the
	 * other by a tool that looks for the other's marker first. */
	if ((j->bom_format || j->spec_version) && j->spdx_version)
		return sg_errf(err, SG_EINPUT,
			       "%s: both CycloneDX (bomFormat, specVersion) and SPDX (spdxVersion) "
			       "members: ambiguous document",
			       name);
	if (j->bom_format) {
		if (!decoded_equals(j->bom_format, j->bom_format_len, "CycloneDX"))
			return sg_errf(err, SG_EINPUT, "%s: bomFormat is not \"CycloneDX\"", name);
		static const char *const ok[] = { "1.4", "1.5", "1.6" };
		for (size_t i = 0; i < 3; i++)
			if (decoded_equals(j->spec_version, j->spec_version_len, ok[i])) {
				out->kind = SGE_SBOM_CYCLONEDX;
				strcpy(out->version, ok[i]);
				return SG_OK;
			}
		if (j->spec_version && j->spec_version_len < 16)
			return sg_errf(err, SG_EINPUT,
				       "%s: CycloneDX specVersion \"%.*s\" is not supported (1.4, 1.5 "
				       "or 1.6)",
				       name, (int)j->spec_version_len, (const char *)j->spec_version);
		return sg_errf(err, SG_EINPUT, "%s: CycloneDX document without a usable specVersion",
			       name);
	}
	if (j->spdx_version) {
		if (decoded_equals(j->spdx_version, j->spdx_version_len, "SPDX-2.3")) {
			out->kind = SGE_SBOM_SPDX;
			strcpy(out->version, "SPDX-2.3");
			return SG_OK;
		}
		if (j->spdx_version_len < 16)
			return sg_errf(err, SG_EINPUT,
				       "%s: spdxVersion \"%.*s\" is not supported (SPDX-2.3)", name,
				       (int)j->spdx_version_len, (const char *)j->spdx_version);
		return sg_errf(err, SG_EINPUT, "%s: unsupported spdxVersion", name);
	}
	return sg_errf(err, SG_EINPUT,
		       "%s: not a CycloneDX or SPDX JSON document (no bomFormat or spdxVersion "
		       "member)",
		       name);
}

int sg_sbom_identify(const uint8_t *buf, size_t len, const char *name, struct sg_sbom *out,
		     struct sg_err *err)
{
	struct json j;
	memset(&j, 0, sizeof(j));
	j.p = j.start = buf;
	j.end = buf + len;
	if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3))
		j.p += 3; /* a UTF-8 byte-order mark is tolerated */
	ws(&j);
	bool ok = j.p < j.end && *j.p == '{' ? value(&j) : fail(&j, "expected a JSON object");
	if (ok) {
		ws(&j);
		if (j.p != j.end)
			ok = fail(&j, "trailing data after the JSON object");
	}
	if (!ok) {
		unsigned long line, col;
		position(&j, &line, &col);
		return sg_errf(err, SG_EINPUT, "%s: not valid JSON: line %lu, column %lu: %s", name,
			       line, col, j.error);
	}
	return classify(&j, name, out, err);
}

int sg_sbom_load(const char *path, struct sg_sbom *out, struct sg_err *err)
{
	uint8_t *buf;
	size_t len;
	int rc = sg_read_file(path, SG_SBOM_MAX, &buf, &len, err);
	if (rc)
		return rc;
	memset(out, 0, sizeof(*out));
	rc = sg_sbom_identify(buf, len, path, out, err);
	if (!rc && EVP_Digest(buf, len, out->sha256, NULL, EVP_sha256(), NULL) != 1)
		rc = sg_errf(err, SG_EENV, "%s: hashing failed", path);
	free(buf);
	return rc;
}
