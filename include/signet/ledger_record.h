/* Ledger records (docs/ledger.md, "Records" and "Record types").
 *
 * A record is a JSON object in RFC 8785 (JCS) canonical form; those exact
 * bytes are the Merkle leaf. Every record holds index, time (UTC, RFC 3339
 * "YYYY-MM-DDTHH:MM:SSZ"), origin and type, plus the fields its type lists,
 * each with a fixed JSON type and format. Only listed fields are accepted,
 * so nothing else (a secret least of all) can get into a record. The
 * library never reads the clock: the caller passes the time.
 *
 * Refused input is SG_EINPUT, its message naming the field or the byte
 * offset; from sg_record_build and the builder, err->param is one of
 * "record_type", "record_fields", "origin", "index" or "time" (what the
 * caller passed). SG_EENV when out of memory. */
#ifndef SIGNET_LEDGER_RECORD_H
#define SIGNET_LEDGER_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "signet/err.h"

/* The largest fields text and stored leaf accepted. (The types' field
 * limits keep a record far below it: a few KiB at most.) */
#define SG_RECORD_MAX (64u << 10)
/* The largest index: 2^53-1, the largest integer a record holds. */
#define SG_RECORD_INDEX_MAX 9007199254740991ULL

/* Builds the record of type with the fields in fields_json (a JSON object
 * of the type's fields only) and index, time and origin: the fields are
 * checked against the type's table and the canonical bytes returned in
 * *leaf (malloc'ed, NUL-terminated, the NUL not counted in *leaf_len).
 * time must lie in 1970..9999; origin is 1 to 255 printable ASCII
 * characters (0x21..0x7e). */
int sg_record_build(const char *type, const char *fields_json, size_t len, uint64_t index,
		    time_t time, const char *origin, uint8_t **leaf, size_t *leaf_len,
		    struct sg_err *err);

/* A record read back from its leaf. */
struct sg_record;

/* Reads a stored leaf: a record of a known type whose fields pass the
 * type's checks, and whose bytes are exactly its canonical form (a leaf
 * that only re-encodes to itself is refused, naming the first byte that
 * differs). *r is freed with sg_record_free. */
int sg_record_parse(const uint8_t *leaf, size_t len, struct sg_record **r, struct sg_err *err);
void sg_record_free(struct sg_record *r);

const char *sg_record_type(const struct sg_record *r);
uint64_t sg_record_index(const struct sg_record *r);
time_t sg_record_time(const struct sg_record *r);
const char *sg_record_origin(const struct sg_record *r);
/* Any member of the record by name (index, time, origin and type too) as
 * text: a string as it is, an integer in decimal, an array as its
 * canonical JSON. NULL when the record has no such member. */
const char *sg_record_field(const struct sg_record *r, const char *name);

/* Building a record's fields from C values instead of JSON text:
 *   b = sg_record_builder_new("cert.issued");
 *   sg_record_set_hex(b, "serial", serial, 16); ...
 *   rc = sg_record_builder_json(b, &json, &len, err);
 * then sg_record_build(type, json, len, ...) (the ledger's append does).
 * The setters never fail: a problem (out of memory, a name set twice) is
 * kept and reported by sg_record_builder_json, which also checks the
 * fields against the type's table. */
struct sg_record_builder;
/* NULL only when out of memory. */
struct sg_record_builder *sg_record_builder_new(const char *type);
void sg_record_set_str(struct sg_record_builder *b, const char *name, const char *value);
void sg_record_set_int(struct sg_record_builder *b, const char *name, int64_t value);
/* value as lower-case hex (a digest, a key id, a serial) */
void sg_record_set_hex(struct sg_record_builder *b, const char *name, const uint8_t *value,
		       size_t n);
/* Appends value, as lower-case hex, to the array field name (key_ids). */
void sg_record_add_hex(struct sg_record_builder *b, const char *name, const uint8_t *value,
		       size_t n);
/* The fields as canonical JSON (malloc'ed, NUL-terminated), checked. */
int sg_record_builder_json(const struct sg_record_builder *b, char **json, size_t *len,
			   struct sg_err *err);
void sg_record_builder_free(struct sg_record_builder *b);

/* The tables, for help texts: the i-th record type (NULL past the last),
 * and the j-th field of a type (NULL past the last or for an unknown
 * type), *required telling whether a record must have it. */
const char *sg_record_type_name(size_t i);
const char *sg_record_field_name(const char *type, size_t j, bool *required);

#endif
