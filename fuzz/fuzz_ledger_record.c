/* libFuzzer harness for ledger records (ledger/json.c, ledger/record.c):
 *   - whatever the JSON reader accepts, its canonical bytes are read back
 *     and give the same bytes again (canonicalization is idempotent);
 *   - sg_record_parse on the raw input must not crash, and a leaf it takes
 *     gives its type and fields;
 *   - the input (after one byte that picks a type) as a type's fields: a
 *     leaf sg_record_build makes is always one sg_record_parse takes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json_priv.h"
#include "signet/ledger_record.h"

static void idempotent(const uint8_t *data, size_t size)
{
	struct sg_json *v, *again;
	uint8_t *c1, *c2;
	size_t n1, n2;
	if (sg_json_parse(data, size, "fuzz", &v, NULL))
		return;
	if (sg_json_write(v, &c1, &n1, NULL))
		__builtin_trap();
	sg_json_free(v);
	if (sg_json_parse(c1, n1, "fuzz", &again, NULL) || sg_json_write(again, &c2, &n2, NULL))
		__builtin_trap(); /* canonical output the reader refuses */
	if (n1 != n2 || memcmp(c1, c2, n1))
		__builtin_trap(); /* not idempotent */
	sg_json_free(again);
	free(c1);
	free(c2);
}

static void leaf(const uint8_t *data, size_t size)
{
	struct sg_record *r;
	if (sg_record_parse(data, size, &r, NULL))
		return;
	if (!sg_record_field(r, sg_record_type(r)[0] == 'u' ? "unit" : "type"))
		__builtin_trap();
	sg_record_free(r);
}

static void build(const uint8_t *data, size_t size)
{
	size_t ntypes = 0;
	while (sg_record_type_name(ntypes))
		ntypes++;
	if (size < 1)
		return;
	const char *type = sg_record_type_name(data[0] % ntypes);
	uint8_t *out;
	size_t n;
	struct sg_record *r;
	if (sg_record_build(type, (const char *)data + 1, size - 1, data[0], 1767225600,
			    "fuzz.example", &out, &n, NULL))
		return;
	if (sg_record_parse(out, n, &r, NULL) || strcmp(sg_record_type(r), type))
		__builtin_trap(); /* a built record that does not read back */
	sg_record_free(r);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	idempotent(data, size);
	leaf(data, size);
	build(data, size);
	return 0;
}
