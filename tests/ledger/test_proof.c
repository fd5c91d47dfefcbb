/* ledger/proof.c: proof files round-trip, and every malformed one is
 * refused naming its line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "signet/ledger_proof.h"

static const char note[] = "example.com/log\n8\nAAAA\n\n\xe2\x80\x94 example.com/log AAAA\n";

static void inclusion(struct sg_ledger_proof *p, size_t path_len)
{
	memset(p, 0, sizeof *p);
	p->kind = SG_PROOF_INCLUSION;
	strcpy(p->origin, "example.com/log");
	p->size = 8;
	p->index = 5;
	p->record = (uint8_t *)"{\"index\":5}";
	p->record_len = strlen((char *)p->record);
	memset(p->leaf_hash, 0xab, 32);
	p->path_len = path_len;
	for (size_t i = 0; i < path_len; i++)
		memset(p->path[i], (int)i, 32);
	p->checkpoint = (char *)note;
}

static char *format(const struct sg_ledger_proof *p)
{
	char *text;
	size_t len;
	struct sg_err err;
	if (sg_proof_format(p, &text, &len, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(strlen(text), len);
	return text;
}

static void test_round_trip(void **state)
{
	(void)state;
	struct sg_ledger_proof in, out;
	struct sg_err err;
	for (size_t k = 0; k <= SG_PROOF_MAX_PATH; k += 16) {
		inclusion(&in, k);
		char *text = format(&in);
		if (sg_proof_parse("p", (uint8_t *)text, strlen(text), &out, &err))
			fail_msg("%s", err.msg);
		assert_int_equal(out.kind, SG_PROOF_INCLUSION);
		assert_string_equal(out.origin, in.origin);
		assert_int_equal(out.size, 8);
		assert_int_equal(out.index, 5);
		assert_int_equal(out.record_len, in.record_len);
		assert_memory_equal(out.record, in.record, in.record_len);
		assert_memory_equal(out.leaf_hash, in.leaf_hash, 32);
		assert_int_equal(out.path_len, k);
		assert_memory_equal(out.path, in.path, 32 * k);
		assert_string_equal(out.checkpoint, note);
		char *again = format(&out); /* one text per proof */
		assert_string_equal(again, text);
		free(again);
		free(text);
		sg_proof_free(&out);
	}
	in.kind = SG_PROOF_CONSISTENCY;
	in.old_size = 3;
	in.old_checkpoint = (char *)"example.com/log\n3\nBBBB\n\n";
	char *text = format(&in);
	assert_non_null(strstr(text, "signet ledger consistency proof v1\norigin example.com/log\n"
				     "old-size 3\ntree-size 8\n"));
	if (sg_proof_parse("p", (uint8_t *)text, strlen(text), &out, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(out.kind, SG_PROOF_CONSISTENCY);
	assert_int_equal(out.old_size, 3);
	assert_null(out.record);
	assert_string_equal(out.old_checkpoint, in.old_checkpoint);
	free(text);
	sg_proof_free(&out);
}

/* Replaces the first occurrence of from in text by to. */
static char *edit(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	assert_non_null(at);
	size_t head = (size_t)(at - text);
	char *s = malloc(strlen(text) - strlen(from) + strlen(to) + 1);
	memcpy(s, text, head);
	strcpy(s + head, to);
	strcat(s, at + strlen(from));
	return s;
}

static void test_refusals(void **state)
{
	(void)state;
	struct sg_ledger_proof in;
	inclusion(&in, 2);
	char *good = format(&in);
	char record_b64[] = "record eyJpbmRleCI6NX0=\n";
	assert_non_null(strstr(good, record_b64));
	char hash_line[64];
	snprintf(hash_line, sizeof hash_line, "path %s\n", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
	assert_non_null(strstr(good, hash_line));
	static const struct {
		const char *from, *to, *msg;
	} cases[] = {
		{ "inclusion proof v1", "inclusion proof v2", "p: not a signet ledger proof (first line)" },
		{ "origin example.com/log\n", "", "p: line 2: expected 'origin NAME'" },
		{ "origin example.com/log", "origin ", "p: line 2: origin empty" },
		{ "origin example.com/log", "origin a\tb", "p: line 2: control character in origin" },
		{ "tree-size 8", "tree-size 08", "p: line 3: not a decimal number" },
		{ "tree-size 8", "tree-size +8", "p: line 3: not a decimal number" },
		{ "tree-size 8", "tree-size 18446744073709551616", "p: line 3: not a decimal number" },
		{ "index 5", "index 8", "p: line 4: index is not below tree-size" },
		{ "index 5\n", "", "p: line 4: expected 'index N'" },
		{ "record eyJpbmRleCI6NX0=", "record eyJpbmRleCI6NX1=", "p: line 5: not canonical base64" },
		{ "record eyJpbmRleCI6NX0=", "record eyJpbmRleCI6NX0", "p: line 5: not canonical base64" },
		{ "leaf-hash ", "leaf-hash AAAA", "p: line 6: not base64 of a 32-byte hash" },
		{ "path AAAA", "path  AAAA", "p: line 7: not base64 of a 32-byte hash" },
		{ "\npath ", "\npath\n", "p: line 7: expected 'checkpoint BASE64'" },
		{ "\ncheckpoint ", "\ncheckpoint  ", "p: line 9: not canonical base64" },
		{ "\ncheckpoint ", "\nextra x\ncheckpoint ", "p: line 9: expected 'checkpoint BASE64'" },
		{ "origin example.com/log\n", "origin example.com/log\r\n", "p: line 2: control character" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *bad = edit(good, cases[i].from, cases[i].to);
		struct sg_ledger_proof out;
		struct sg_err err = { 0 };
		int rc = sg_proof_parse("p", (uint8_t *)bad, strlen(bad), &out, &err);
		if (rc != SG_EINPUT || strncmp(err.msg, cases[i].msg, strlen(cases[i].msg)))
			fail_msg("case %zu: rc %d, '%s', wanted '%s'", i, rc, err.msg, cases[i].msg);
		free(bad);
	}
	/* after the checkpoint: nothing; and the file ends with a newline */
	size_t len = strlen(good);
	char *more = malloc(len + 8);
	strcpy(more, good);
	strcat(more, "path x\n");
	struct sg_ledger_proof out;
	struct sg_err err;
	assert_int_equal(sg_proof_parse("p", (uint8_t *)more, strlen(more), &out, &err), SG_EINPUT);
	assert_non_null(strstr(err.msg, "unexpected text after the checkpoint"));
	assert_int_equal(sg_proof_parse("p", (uint8_t *)good, len - 1, &out, &err), SG_EINPUT);
	/* a NUL anywhere */
	more[3] = '\0';
	assert_int_equal(sg_proof_parse("p", (uint8_t *)more, len, &out, &err), SG_EINPUT);
	assert_non_null(strstr(err.msg, "NUL"));
	free(more);
	free(good);
}

static void test_limits(void **state)
{
	(void)state;
	struct sg_ledger_proof in, out;
	struct sg_err err;
	/* 65 path lines */
	inclusion(&in, SG_PROOF_MAX_PATH);
	char *text = format(&in);
	char *bad = edit(text, "\ncheckpoint ",
			 "\npath AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\ncheckpoint ");
	assert_int_equal(sg_proof_parse("p", (uint8_t *)bad, strlen(bad), &out, &err), SG_EINPUT);
	assert_non_null(strstr(err.msg, "at most 64 path lines"));
	free(bad);
	free(text);
	/* a record over the limit */
	uint8_t *big = calloc(1, SG_PROOF_MAX_RECORD + 1);
	memset(big, 'x', SG_PROOF_MAX_RECORD + 1);
	inclusion(&in, 0);
	in.record = big;
	in.record_len = SG_PROOF_MAX_RECORD + 1;
	text = format(&in);
	assert_int_equal(sg_proof_parse("p", (uint8_t *)text, strlen(text), &out, &err), SG_EINPUT);
	assert_non_null(strstr(err.msg, "line 5: value too long"));
	free(text);
	in.record_len = SG_PROOF_MAX_RECORD;
	text = format(&in);
	if (sg_proof_parse("p", (uint8_t *)text, strlen(text), &out, &err))
		fail_msg("%s", err.msg);
	sg_proof_free(&out);
	free(text);
	free(big);
	/* consistency: old-size 0 or above tree-size */
	inclusion(&in, 1);
	in.kind = SG_PROOF_CONSISTENCY;
	in.old_checkpoint = (char *)note;
	in.old_size = 9;
	text = format(&in);
	assert_int_equal(sg_proof_parse("p", (uint8_t *)text, strlen(text), &out, &err), SG_EINPUT);
	assert_non_null(strstr(err.msg, "line 4: old-size is not in 1..tree-size"));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
