/* The ledger's JSON: a strict reader and the RFC 8785 (JCS) canonical
 * writer, for what records need (docs/ledger.md, "Records"): objects,
 * arrays, strings, true/false/null and integers within +-(2^53-1). Nothing
 * else is read, so the canonical bytes of anything read are one decimal
 * integer per number and need no floating-point formatting.
 *
 * Invariant of every object in a tree: members sorted by the UTF-16 code
 * units of their names (JCS order), names unique. The reader sorts and
 * refuses duplicates; sg_json_obj_add keeps the order. */
#ifndef SIGNET_LEDGER_JSON_PRIV_H
#define SIGNET_LEDGER_JSON_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "signet/err.h"

#define SG_JSON_MAX_DEPTH 16         /* nested arrays/objects */
#define SG_JSON_MAX_INPUT (64u << 10) /* bytes of one document */
#define SG_JSON_MAX_ITEMS 1024       /* members of one object or array */
#define SG_JSON_INT_MAX 9007199254740991LL /* 2^53-1: exact in an IEEE-754 double */

enum sg_json_kind { SGJ_NULL, SGJ_FALSE, SGJ_TRUE, SGJ_INT, SGJ_STR, SGJ_ARR, SGJ_OBJ };

struct sg_json {
	enum sg_json_kind kind;
	size_t off;       /* byte offset of the value in the input (0 if built) */
	char *name;       /* member name when this is an object's member */
	size_t name_off;  /* byte offset of that name */
	int64_t num;      /* SGJ_INT */
	char *str;        /* SGJ_STR: UTF-8, no NUL inside */
	size_t n;         /* SGJ_ARR, SGJ_OBJ: items */
	struct sg_json *items;
};

/* Reads one JSON document (nothing but whitespace after it). Errors are
 * SG_EINPUT "WHAT: byte N: reason", N the offset of the offending byte;
 * SG_EENV when out of memory. *out is freed with sg_json_free. */
int sg_json_parse(const uint8_t *buf, size_t len, const char *what, struct sg_json **out,
		  struct sg_err *err);

/* The JCS bytes of v, malloc'ed (no terminating NUL counted in *len, but
 * one is written). SG_EENV when out of memory. */
int sg_json_write(const struct sg_json *v, uint8_t **out, size_t *len, struct sg_err *err);

/* Frees a tree from sg_json_parse or sg_json_new (NULL is fine). */
void sg_json_free(struct sg_json *v);

/* The member of obj named name, or NULL. */
const struct sg_json *sg_json_get(const struct sg_json *obj, const char *name);

/* A new empty value of kind (SGJ_OBJ, SGJ_ARR, ...), or NULL. */
struct sg_json *sg_json_new(enum sg_json_kind kind);

/* Moves *v (its contents; the struct itself is freed) into obj as member
 * name, in JCS order. -1 (v freed too) when out of memory or name is
 * already there: the caller tells which by sg_json_get. */
int sg_json_obj_add(struct sg_json *obj, const char *name, struct sg_json *v);

/* Moves *v to the end of array arr, as sg_json_obj_add. -1 when out of
 * memory. */
int sg_json_arr_add(struct sg_json *arr, struct sg_json *v);

/* A string (a member name, a record type) for a one-line message: the
 * first 40 bytes, '?' for each byte that is not printable ASCII, "..." if
 * cut. Returns buf. */
#define SG_JSON_SHOW_SIZE 48
const char *sg_json_show(const char *name, char buf[SG_JSON_SHOW_SIZE]);

/* strcmp for member names in JCS order: by UTF-16 code units. */
int sg_json_name_cmp(const char *a, const char *b);

#endif
