/* Test helper: appends COUNT records to a ledger quickly (batches of
 * 1,000), for tests that need tens of thousands of records.
 *   ledger_fill LEDGER COUNT
 * Record i (by index) is a unit.failed record with unit "u-INDEX" and a
 * detail of (INDEX mod 97) x's, so entries differ in length. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "signet/ledger.h"
#include "signet/ledger_record.h"

static int encode(void *arg, uint64_t index, uint8_t **leaf, size_t *len, struct sg_err *err)
{
	const char *origin = arg;
	char fields[256], detail[100];
	size_t n = 1 + index % 97;

	memset(detail, 'x', n);
	detail[n] = 0;
	snprintf(fields, sizeof fields, "{\"unit\":\"u-%llu\",\"step\":\"verify\",\"reason\":\"test\",\"detail\":\"%s\"}",
		 (unsigned long long)index, detail);
	return sg_record_build("unit.failed", fields, strlen(fields), index, 1767225600 + (time_t)index,
			       origin, leaf, len, err);
}

int main(int argc, char **argv)
{
	struct sg_ledger *l;
	struct sg_err err = {0};
	long long count = argc == 3 ? atoll(argv[2]) : -1;

	if (count < 0) {
		fprintf(stderr, "usage: ledger_fill LEDGER COUNT\n");
		return 2;
	}
	if (sg_ledger_open(argv[1], 0, &l, &err) != SG_OK) {
		fprintf(stderr, "ledger_fill: %s\n", err.msg);
		return 3;
	}
	for (long long done = 0; done < count; done += 1000) {
		size_t n = count - done < 1000 ? (size_t)(count - done) : 1000;
		if (sg_ledger_append(l, n, encode, (void *)sg_ledger_origin(l), NULL, &err) != SG_OK) {
			fprintf(stderr, "ledger_fill: %s\n", err.msg);
			return 3;
		}
	}
	sg_ledger_close(l);
	return 0;
}
