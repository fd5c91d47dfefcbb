/* ledger/json.c: the strict reader and the RFC 8785 (JCS) writer. The
 * expected bytes of the canonical tests are RFC 8785's own examples
 * (sections 3.2.2, 3.2.2.2 and 3.2.3), numbers aside: a record holds
 * integers only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json_priv.h"

/* The canonical bytes of in (len bytes), or NULL with err set. */
static char *canon_n(const char *in, size_t len, struct sg_err *err)
{
	struct sg_json *v;
	uint8_t *out;
	size_t n;
	if (sg_json_parse((const uint8_t *)in, len, "test", &v, err))
		return NULL;
	assert_int_equal(sg_json_write(v, &out, &n, err), SG_OK);
	sg_json_free(v);
	assert_int_equal(strlen((char *)out), n);
	return (char *)out;
}

static void expect_canon(const char *in, const char *want)
{
	struct sg_err err = { 0 };
	char *got = canon_n(in, strlen(in), &err);
	if (!got)
		fail_msg("refused: %s", err.msg);
	assert_string_equal(got, want);
	/* canonical bytes read back are their own canonical form */
	char *again = canon_n(got, strlen(got), &err);
	assert_non_null(again);
	assert_string_equal(again, got);
	free(again);
	free(got);
}

/* in (len bytes) is refused as malformed at byte `at`, the message
 * saying why. */
static void expect_refused_n(const char *in, size_t len, size_t at, const char *why)
{
	struct sg_err err = { 0 };
	char want[64];
	char *got = canon_n(in, len, &err);
	if (got)
		fail_msg("accepted %.*s as %s", (int)len, in, got);
	assert_int_equal(err.status, SG_EINPUT);
	snprintf(want, sizeof(want), "test: byte %zu: ", at);
	if (strncmp(err.msg, want, strlen(want)) || !strstr(err.msg, why))
		fail_msg("'%s': message '%s', want '%s...%s'", in, err.msg, want, why);
}

static void expect_refused(const char *in, size_t at, const char *why)
{
	expect_refused_n(in, strlen(in), at, why);
}

/* RFC 8785 3.2.3: members sorted by UTF-16 code units, so the non-BMP
 * U+1F600 (D83D DE00) sorts before the BMP U+FB33, not after as by code
 * point or UTF-8 bytes. */
static void test_rfc8785_sorting(void **state)
{
	(void)state;
	expect_canon("{\n"
		     "  \"\\u20ac\": \"Euro Sign\",\n"
		     "  \"\\r\": \"Carriage Return\",\n"
		     "  \"\\ufb33\": \"Hebrew Letter Dalet With Dagesh\",\n"
		     "  \"1\": \"One\",\n"
		     "  \"\\ud83d\\ude00\": \"Emoji: Grinning Face\",\n"
		     "  \"\\u0080\": \"Control\",\n"
		     "  \"\\u00f6\": \"Latin Small Letter O With Diaeresis\"\n"
		     "}",
		     "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\xc2\x80\":\"Control\","
		     "\"\xc3\xb6\":\"Latin Small Letter O With Diaeresis\","
		     "\"\xe2\x82\xac\":\"Euro Sign\",\"\xf0\x9f\x98\x80\":\"Emoji: Grinning Face\","
		     "\"\xef\xac\xb3\":\"Hebrew Letter Dalet With Dagesh\"}");
	/* the same as raw UTF-8 names */
	expect_canon("{\"\xef\xac\xb3\":1,\"\xf0\x9f\x98\x80\":2}",
		     "{\"\xf0\x9f\x98\x80\":2,\"\xef\xac\xb3\":1}");
	assert_true(sg_json_name_cmp("\xf0\x9f\x98\x80", "\xef\xbc\x81") < 0);
	assert_true(sg_json_name_cmp("\xef\xbc\x81", "\xf0\x9f\x98\x80") > 0);
	assert_true(sg_json_name_cmp("a", "ab") < 0);
	assert_int_equal(sg_json_name_cmp("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80"), 0);
}

/* RFC 8785 3.2.2 and 3.2.2.2: structure, literals and string escapes
 * (its "numbers" member replaced by integers). */
static void test_rfc8785_strings_literals(void **state)
{
	(void)state;
	expect_canon("{\n  \"numbers\": [333333333, 4, 0, -7],\n"
		     "  \"string\": \"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\",\n"
		     "  \"literals\": [null, true, false]\n}",
		     "{\"literals\":[null,true,false],\"numbers\":[333333333,4,0,-7],"
		     "\"string\":\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}");
	/* every control character: the five short escapes, \u00xx for the rest;
	 * DEL and everything above as itself */
	expect_canon("[\"\\b\\f\\n\\r\\t\\u0001\\u001F\\u007f\\u00e9\"]",
		     "[\"\\b\\f\\n\\r\\t\\u0001\\u001f\x7f\xc3\xa9\"]");
	expect_canon("[\"\\ud83d\\ude00\", \"\\uD83D\\uDE00\"]",
		     "[\"\xf0\x9f\x98\x80\",\"\xf0\x9f\x98\x80\"]");
	expect_canon(" \t\r\n{ } ", "{}");
	expect_canon("[[],{},\"\"]", "[[],{},\"\"]");
	expect_canon("{\"b\":{\"d\":1,\"c\":[2,{\"f\":3,\"e\":4}]},\"a\":0}",
		     "{\"a\":0,\"b\":{\"c\":[2,{\"e\":4,\"f\":3}],\"d\":1}}");
}

static void test_integers(void **state)
{
	(void)state;
	expect_canon("[9007199254740991,-9007199254740991,0,10,-1]",
		     "[9007199254740991,-9007199254740991,0,10,-1]");
	/* RFC 8785's own number examples: none is an integer a record takes */
	expect_refused("[333333333.33333329]", 1, "not an integer");
	expect_refused("[1E30]", 1, "not an integer");
	expect_refused("[4.50]", 1, "not an integer");
	expect_refused("[2e-3]", 1, "not an integer");
	expect_refused("{\"a\":9007199254740992}", 5, "2^53-1");
	expect_refused("{\"a\":-9007199254740992}", 5, "2^53-1");
	expect_refused("[123456789012345678901234567890]", 1, "2^53-1");
	expect_refused("[1.5]", 1, "not an integer");
	expect_refused("[1e3]", 1, "not an integer");
	expect_refused("[-0]", 1, "-0");
	expect_refused("[01]", 1, "leading zero");
	expect_refused("[-]", 2, "a digit");
	expect_refused("[+1]", 1, "unexpected '+'");
}

static void test_malformed(void **state)
{
	(void)state;
	expect_refused("{\"a\":1", 6, "unexpected end of input");
	expect_refused("", 0, "unexpected end of input");
	expect_refused("{\"a\":1} x", 8, "trailing data");
	expect_refused("{\"a\":1}{}", 7, "trailing data");
	expect_refused("{\"a\":1,\"b\":2,\"a\":3}", 13, "duplicate member name \"a\"");
	expect_refused("{\"x\":{\"a\":1,\"a\":1}}", 12, "duplicate member name");
	/* "\u0061" is "a": the same name */
	expect_refused("{\"a\":1,\"\\u0061\":2}", 7, "duplicate member name \"a\"");
	expect_refused("[\"\\x\"]", 2, "bad escape: \\ followed by 'x'");
	expect_refused("[\"\\u12G4\"]", 2, "bad \\u escape");
	expect_refused("[\"\\ud800\"]", 2, "lone high surrogate");
	expect_refused("[\"ab\\ud800\\u0041\"]", 4, "lone high surrogate");
	expect_refused("[\"\\udc00\"]", 2, "lone low surrogate");
	expect_refused("[\"\xc0\xaf\"]", 2, "invalid UTF-8");         /* overlong '/' */
	expect_refused("[\"a\xe0\x80\xaf\"]", 3, "invalid UTF-8");     /* overlong, 3 bytes */
	expect_refused("[\"\xed\xa0\x80\"]", 2, "invalid UTF-8");     /* a surrogate */
	expect_refused("[\"\xf4\x90\x80\x80\"]", 2, "invalid UTF-8"); /* above U+10FFFF */
	expect_refused("[\"\xe2\x82\"]", 2, "invalid UTF-8");         /* cut short */
	expect_refused("[\"\x80\"]", 2, "invalid UTF-8");
	expect_refused("\xef\xbb\xbf{}", 0, "unexpected 0xef");      /* a BOM */
	expect_refused_n("[\"a\0\"]", 6, 3, "control character 0x00");
	expect_refused("[\"\\u0000\"]", 2, "NUL");
	expect_refused("[\"a\tb\"]", 3, "control character 0x09");
	expect_refused("[\"abc", 5, "unterminated string");
	expect_refused("[\"abc\\", 6, "unterminated string");
	expect_refused("{\"a\" 1}", 5, "':'");
	expect_refused("{\"a\":1,}", 7, "a member name");
	expect_refused("[1,]", 3, "a value");
	expect_refused("[1 2]", 3, "',' or ']'");
	expect_refused("{a:1}", 1, "a member name");
	expect_refused("[nul]", 1, "bad literal");
	expect_refused("[True]", 1, "unexpected 'T'");
}

static void test_limits(void **state)
{
	(void)state;
	char deep[64];
	/* depth 16 is fine, 17 is refused at the 17th bracket */
	memset(deep, '[', 16);
	memset(deep + 16, ']', 16);
	deep[32] = 0;
	expect_canon(deep, deep);
	memset(deep, '[', 17);
	memset(deep + 17, ']', 17);
	deep[34] = 0;
	expect_refused(deep, 16, "nested deeper than 16");
	strcpy(deep, "{\"a\":");
	memset(deep + 5, '[', 16);
	strcpy(deep + 21, "]]]]]]]]]]]]]]]]}");
	expect_refused(deep, 20, "nested deeper than 16");

	/* items per object or array */
	size_t cap = 8 * (SG_JSON_MAX_ITEMS + 1) + 8, n = 0;
	char *big = malloc(cap);
	big[n++] = '[';
	for (int i = 0; i <= SG_JSON_MAX_ITEMS; i++)
		n += (size_t)snprintf(big + n, cap - n, "%s0", i ? "," : "");
	big[n++] = ']';
	big[n] = 0;
	expect_refused(big, 1 + 2 * SG_JSON_MAX_ITEMS, "more than 1024 items in one array");
	big[1 + 2 * SG_JSON_MAX_ITEMS - 1] = ']'; /* 1024 items: fine */
	big[1 + 2 * SG_JSON_MAX_ITEMS] = 0;
	expect_canon(big, big);
	n = 0;
	big[n++] = '{';
	for (int i = 0; i <= SG_JSON_MAX_ITEMS; i++)
		n += (size_t)snprintf(big + n, cap - n, "%s\"%d\":0", i ? "," : "", i);
	big[n++] = '}';
	big[n] = 0;
	expect_refused(big, n - 9, "more than 1024 items in one object");
	free(big);

	/* input size: 64 KiB is the most */
	big = malloc(SG_JSON_MAX_INPUT + 2);
	memset(big, ' ', SG_JSON_MAX_INPUT + 1);
	memcpy(big, "[1]", 3);
	big[SG_JSON_MAX_INPUT] = 0;
	expect_canon(big, "[1]");
	big[SG_JSON_MAX_INPUT + 1] = 0;
	struct sg_err err = { 0 };
	assert_null(canon_n(big, SG_JSON_MAX_INPUT + 1, &err));
	assert_int_equal(err.status, SG_EINPUT);
	assert_non_null(strstr(err.msg, "65537 bytes, more than the limit of 65536"));
	free(big);
}

/* Built trees keep JCS order and unique names. */
static void test_build(void **state)
{
	(void)state;
	struct sg_json *obj = sg_json_new(SGJ_OBJ), *v;
	const char *names[] = { "\xef\xac\xb3", "b", "\xf0\x9f\x98\x80", "a", "\r" };
	for (size_t i = 0; i < 5; i++) {
		v = sg_json_new(SGJ_INT);
		v->num = (int64_t)i;
		assert_int_equal(sg_json_obj_add(obj, names[i], v), 0);
	}
	v = sg_json_new(SGJ_NULL);
	assert_int_equal(sg_json_obj_add(obj, "a", v), -1);
	struct sg_json *arr = sg_json_new(SGJ_ARR);
	v = sg_json_new(SGJ_STR);
	v->str = strdup("q\"\x01");
	assert_int_equal(sg_json_arr_add(arr, v), 0);
	assert_int_equal(sg_json_obj_add(obj, "c", arr), 0);
	uint8_t *out;
	size_t n;
	assert_int_equal(sg_json_write(obj, &out, &n, NULL), SG_OK);
	assert_string_equal((char *)out, "{\"\\r\":4,\"a\":3,\"b\":1,\"c\":[\"q\\\"\\u0001\"],"
					 "\"\xf0\x9f\x98\x80\":2,\"\xef\xac\xb3\":0}");
	assert_int_equal(sg_json_get(obj, "b")->num, 1);
	assert_null(sg_json_get(obj, "z"));
	free(out);
	sg_json_free(obj);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc8785_sorting),
		cmocka_unit_test(test_rfc8785_strings_literals),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_build),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
