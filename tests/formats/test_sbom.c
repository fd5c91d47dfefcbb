/* SBOM identification: the kinds and versions accepted, and every way a
 * document is refused, each with its message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "signet/envelope_format.h"
#include "signet/sbom.h"

static int identify(const char *doc, struct sg_sbom *s, struct sg_err *err)
{
	memset(s, 0, sizeof(*s));
	return sg_sbom_identify((const uint8_t *)doc, strlen(doc), "bom.json", s, err);
}

static void test_accepted(void **state)
{
	(void)state;
	static const struct { const char *doc; int kind; const char *version; } ok[] = {
		{ "{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.4\",\"version\":1}",
		  SGE_SBOM_CYCLONEDX, "1.4" },
		{ "\xef\xbb\xbf {\n \"specVersion\" : \"1.5\", \"bomFormat\":\"CycloneDX\",\n"
		  " \"components\":[{\"name\":\"zlib\",\"version\":\"1.3\",\"hashes\":[]}],"
		  " \"x\":[1,-2.5e3,0.1,true,false,null,\"\\u00e9\\n\"]}\n",
		  SGE_SBOM_CYCLONEDX, "1.5" },
		{ "{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.6\",\"metadata\":{\"a\":{\"b\":[]}}}",
		  SGE_SBOM_CYCLONEDX, "1.6" },
		/* names and values are compared decoded, as JSON readers see them */
		{ "{\"bom\\u0046ormat\":\"Cyclone\\u0044X\",\"specVersion\":\"1\\u002e5\"}",
		  SGE_SBOM_CYCLONEDX, "1.5" },
		{ "{\"\\u0073pdxVersion\":\"\\u0053PDX-2.3\"}", SGE_SBOM_SPDX, "SPDX-2.3" },
		{ "{\"spdxVersion\":\"SPDX-2.3\",\"SPDXID\":\"SPDXRef-DOCUMENT\",\"name\":\"fw\","
		  "\"packages\":[{\"name\":\"caf\xc3\xa9\"}]}",
		  SGE_SBOM_SPDX, "SPDX-2.3" },
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct sg_sbom s;
		struct sg_err err = { 0 };
		if (identify(ok[i].doc, &s, &err) != SG_OK)
			fail_msg("document %zu refused: %s", i, err.msg);
		assert_int_equal(s.kind, ok[i].kind);
		assert_string_equal(s.version, ok[i].version);
	}
}

static void test_refused(void **state)
{
	(void)state;
	static const struct { const char *doc; const char *msg; } bad[] = {
		{ "", "line 1, column 1: expected a JSON object" },
		{ "[]", "expected a JSON object" },
		{ "{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.3\"}",
		  "CycloneDX specVersion \"1.3\" is not supported" },
		{ "{\"bomFormat\":\"CycloneDX\"}", "without a usable specVersion" },
		{ "{\"bomFormat\":\"CycloneDX\",\"specVersion\":1.5}", "without a usable specVersion" },
		{ "{\"bomFormat\":\"SPDX\",\"specVersion\":\"1.5\"}", "bomFormat is not \"CycloneDX\"" },
		{ "{\"spdxVersion\":\"SPDX-2.2\"}", "spdxVersion \"SPDX-2.2\" is not supported" },
		{ "{\"name\":\"x\"}", "not a CycloneDX or SPDX JSON document" },
		{ "{\"spdxVersion\":\"SPDX-2.3\",\"spdxVersion\":\"SPDX-2.3\"}", "appears twice" },
		/* the same member twice, once escaped: readers would disagree on which counts */
		{ "{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.4\",\"spec\\u0056ersion\":\"9\"}",
		  "appears twice" },
		{ "{\"\\u0073pdxVersion\":\"SPDX-2.3\",\"spdxVersion\":\"SPDX-2.2\"}", "appears twice" },
		/* both kinds at once */
		{ "{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.5\",\"spdxVersion\":\"SPDX-2.3\"}",
		  "both CycloneDX (bomFormat, specVersion) and SPDX (spdxVersion) members" },
		{ "{\"spdxVersion\":\"SPDX-2.3\",\"specVersion\":\"1.5\"}", "ambiguous document" },
		/* a lone surrogate or a non-ASCII escape matches no marker */
		{ "{\"bomFormat\":\"CycloneD\\ud800\"}", "bomFormat is not \"CycloneDX\"" },
		{ "{\"spdxVersion\":\"\\ud83d\\ude00\"}", "is not supported" },
		{ "{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.5\"} x", "trailing data" },
		{ "{\"bomFormat\":\"CycloneDX\",\n\"specVersion\":\"1.5\",}",
		  "line 2, column 21: expected a string" },
		{ "{\"a\":01}", "expected ',' or '}'" },
		{ "{\"a\":1.}", "bad number" },
		{ "{\"a\":tru}", "unexpected character" },
		{ "{\"a\":\"\\x\"}", "bad escape" },
		{ "{\"a\":\"\\u12G4\"}", "bad \\u escape" },
		{ "{\"a\":\"tab\there\"}", "control character in a string" },
		{ "{\"a\":\"\xc3\x28\"}", "invalid UTF-8" },
		{ "{\"a\":\"\xed\xa0\x80\"}", "invalid UTF-8" }, /* a surrogate */
		{ "{\"a\":\"open", "unterminated string" },
		{ "{\"a\" 1}", "expected ':'" },
		{ "{\"a\":[1 2]}", "expected ',' or ']'" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sg_sbom s;
		struct sg_err err = { 0 };
		assert_int_equal(identify(bad[i].doc, &s, &err), SG_EINPUT);
		if (!strstr(err.msg, bad[i].msg))
			fail_msg("document %zu: '%s' lacks '%s'", i, err.msg, bad[i].msg);
		assert_non_null(strstr(err.msg, "bom.json: "));
	}
}

static void test_depth_limit(void **state)
{
	(void)state;
	size_t n = SG_JSON_DEPTH_MAX + 10;
	char *doc = malloc(2 * n + 64);
	size_t k = (size_t)sprintf(doc, "{\"spdxVersion\":\"SPDX-2.3\",\"a\":");
	for (size_t i = 0; i < n; i++)
		doc[k++] = '[';
	for (size_t i = 0; i < n; i++)
		doc[k++] = ']';
	doc[k++] = '}';
	doc[k] = 0;
	struct sg_sbom s;
	struct sg_err err;
	assert_int_equal(identify(doc, &s, &err), SG_EINPUT);
	assert_non_null(strstr(err.msg, "nested too deeply"));
	/* Just inside the limit is fine. */
	k = (size_t)sprintf(doc, "{\"spdxVersion\":\"SPDX-2.3\",\"a\":");
	for (size_t i = 0; i < SG_JSON_DEPTH_MAX - 1; i++)
		doc[k++] = '[';
	for (size_t i = 0; i < SG_JSON_DEPTH_MAX - 1; i++)
		doc[k++] = ']';
	doc[k++] = '}';
	doc[k] = 0;
	assert_int_equal(identify(doc, &s, &err), SG_OK);
	free(doc);
}

static void test_load_hashes_file(void **state)
{
	(void)state;
	char path[] = "/tmp/signet-sbom-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *doc = "{\"spdxVersion\":\"SPDX-2.3\"}";
	FILE *fp = fdopen(fd, "w");
	fputs(doc, fp);
	fclose(fp);
	struct sg_sbom s;
	struct sg_err err;
	assert_int_equal(sg_sbom_load(path, &s, &err), SG_OK);
	/* SHA-256 of the document bytes, computed independently by sha256sum. */
	char cmd[128], want[65] = { 0 }, got[65];
	snprintf(cmd, sizeof(cmd), "sha256sum %s", path);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	assert_int_equal(fread(want, 1, 64, p), 64);
	pclose(p);
	for (int i = 0; i < 32; i++)
		sprintf(got + 2 * i, "%02x", s.sha256[i]);
	assert_string_equal(got, want);
	unlink(path);
	assert_int_equal(sg_sbom_load(path, &s, &err), SG_EINPUT);
	assert_non_null(strstr(err.msg, "cannot open"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_load_hashes_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
