/* The ledger's JSON reader and RFC 8785 (JCS) writer (json_priv.h).
 *
 * The reader is a recursive descent over the bytes that builds a tree and
 * refuses, naming the byte offset, everything a canonical record cannot
 * hold: invalid UTF-8, lone surrogates, NUL, raw control characters,
 * fractions, exponents, -0, integers beyond 2^53-1, duplicate names, nesting
 * deeper than SG_JSON_MAX_DEPTH. What it accepts has exactly one JCS form,
 * which the writer produces. */
#include "json_priv.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct reader {
	const uint8_t *p;
	size_t len, pos;
	const char *what;
	int depth;
	bool oom;
	struct sg_err *err;
};

static int fail(struct reader *r, size_t at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Records the first error only: callers unwind with -1. */
static int fail(struct reader *r, size_t at, const char *fmt, ...)
{
	char why[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	sg_errf(r->err, SG_EINPUT, "%s: byte %zu: %s", r->what, at, why);
	return -1;
}

static int out_of_memory(struct reader *r)
{
	r->oom = true;
	return -1;
}

/* A byte as messages show it: the character when printable, else hex. */
static const char *show_byte(uint8_t c, char buf[8])
{
	snprintf(buf, 8, c > 0x20 && c < 0x7f ? "'%c'" : "0x%02x", c);
	return buf;
}

const char *sg_json_show(const char *name, char buf[SG_JSON_SHOW_SIZE])
{
	size_t i = 0;
	/* cppcheck-suppress arrayIndexThenCheck ; name is a C string: name[i] is in it */
	for (; name[i] && i < 40; i++)
		buf[i] = (unsigned char)name[i] >= 0x20 && (unsigned char)name[i] < 0x7f ? name[i]
											    : '?';
	strcpy(buf + i, name[i] ? "..." : "");
	return buf;
}

static void skip_ws(struct reader *r)
{
	while (r->pos < r->len && (r->p[r->pos] == ' ' || r->p[r->pos] == '\t' ||
				   r->p[r->pos] == '\n' || r->p[r->pos] == '\r'))
		r->pos++;
}

static int unexpected(struct reader *r, const char *wanted)
{
	char b[8];
	if (r->pos >= r->len)
		return fail(r, r->len, "unexpected end of input (%s)", wanted);
	return fail(r, r->pos, "unexpected %s (%s)", show_byte(r->p[r->pos], b), wanted);
}

/* ---- strings */

struct buf {
	uint8_t *p;
	size_t n, cap;
	bool oom;
};

static void put(struct buf *b, const void *data, size_t n)
{
	if (b->oom)
		return;
	if (b->cap - b->n < n + 1) {
		size_t cap = b->cap ? b->cap : 64;
		while (cap - b->n < n + 1)
			cap *= 2;
		uint8_t *p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, data, n);
	b->n += n;
	b->p[b->n] = 0;
}

static void put_utf8(struct buf *b, uint32_t cp)
{
	uint8_t u[4];
	size_t n;
	if (cp < 0x80) {
		u[0] = (uint8_t)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (uint8_t)(0xc0 | cp >> 6);
		u[1] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (uint8_t)(0xe0 | cp >> 12);
		u[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (uint8_t)(0xf0 | cp >> 18);
		u[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
		u[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
		u[3] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 4;
	}
	put(b, u, n);
}

/* Length of the well-formed UTF-8 sequence at p (RFC 3629 section 4: no
 * overlong forms, no surrogates, nothing above U+10FFFF), 0 if there is
 * none. Only called on bytes >= 0x80. */
static size_t utf8_seq(const uint8_t *p, size_t avail)
{
	uint8_t c = p[0], lo = 0x80, hi = 0xbf;
	size_t n;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
	else
		return 0;
	if (avail < n || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

/* Four hex digits at p (either case), or -1. */
static long hex4(const uint8_t *p, size_t avail)
{
	long v = 0;
	if (avail < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		uint8_t c = p[i];
		int d = c >= '0' && c <= '9' ? c - '0'
			: c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10
					       : -1;
		if (d < 0)
			return -1;
		v = v << 4 | d;
	}
	return v;
}

/* A \uXXXX escape at r->pos (the backslash), with the low half that must
 * follow a high surrogate. */
static int unicode_escape(struct reader *r, struct buf *b)
{
	size_t at = r->pos;
	long cp = hex4(r->p + at + 2, r->len - at - 2);
	if (cp < 0)
		return fail(r, at, "bad \\u escape (four hex digits expected)");
	r->pos += 6;
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return fail(r, at, "lone low surrogate \\u%04lx", cp);
	if (cp >= 0xd800 && cp <= 0xdbff) {
		long lo = r->len - r->pos >= 2 && r->p[r->pos] == '\\' && r->p[r->pos + 1] == 'u'
				  ? hex4(r->p + r->pos + 2, r->len - r->pos - 2)
				  : -1;
		if (lo < 0xdc00 || lo > 0xdfff)
			return fail(r, at, "lone high surrogate \\u%04lx", cp);
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		r->pos += 6;
	}
	if (cp == 0)
		return fail(r, at, "NUL (\\u0000) in a string");
	put_utf8(b, (uint32_t)cp);
	return 0;
}

static int escape(struct reader *r, struct buf *b)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	char sb[8];
	if (r->len - r->pos < 2)
		return fail(r, r->len, "unterminated string");
	uint8_t e = r->p[r->pos + 1];
	if (e == 'u')
		return unicode_escape(r, b);
	const char *k = e ? strchr(from, e) : NULL;
	if (!k)
		return fail(r, r->pos, "bad escape: \\ followed by %s", show_byte(e, sb));
	put(b, &to[k - from], 1);
	r->pos += 2;
	return 0;
}

/* The string at r->pos (its opening quote), decoded, in *out. */
static int string(struct reader *r, char **out)
{
	struct buf b = { 0 };
	int rc = 0;
	put(&b, "", 0);
	r->pos++;
	while (rc == 0 && !b.oom) {
		if (r->pos >= r->len) {
			rc = fail(r, r->len, "unterminated string");
			break;
		}
		uint8_t c = r->p[r->pos];
		if (c == '"') {
			r->pos++;
			break;
		}
		if (c < 0x20) {
			rc = fail(r, r->pos, "control character 0x%02x in a string", c);
		} else if (c == '\\') {
			rc = escape(r, &b);
		} else if (c < 0x80) {
			put(&b, &c, 1);
			r->pos++;
		} else {
			size_t n = utf8_seq(r->p + r->pos, r->len - r->pos);
			if (!n)
				rc = fail(r, r->pos, "invalid UTF-8");
			put(&b, r->p + r->pos, n);
			r->pos += n;
		}
	}
	if (rc == 0 && b.oom)
		rc = out_of_memory(r);
	if (rc) {
		free(b.p);
		return rc;
	}
	*out = (char *)b.p;
	return 0;
}

/* ---- numbers and literals */

static bool is_digit(const struct reader *r, size_t at)
{
	return at < r->len && r->p[at] >= '0' && r->p[at] <= '9';
}

/* An integer; everything else RFC 8259 calls a number is refused at its
 * first byte, so that one value has one text. */
static int number(struct reader *r, struct sg_json *v)
{
	size_t start = r->pos;
	bool neg = r->p[r->pos] == '-';
	uint64_t acc = 0;
	bool big = false;
	r->pos += neg;
	if (!is_digit(r, r->pos))
		return unexpected(r, "a digit");
	if (r->p[r->pos] == '0' && is_digit(r, r->pos + 1))
		return fail(r, start, "leading zero in a number");
	for (; is_digit(r, r->pos); r->pos++) {
		acc = acc * 10 + (uint64_t)(r->p[r->pos] - '0');
		big = big || acc > (uint64_t)SG_JSON_INT_MAX;
		if (big)
			acc = 0; /* keep reading the digits; the value is refused */
	}
	if (r->pos < r->len && (r->p[r->pos] == '.' || r->p[r->pos] == 'e' || r->p[r->pos] == 'E'))
		return fail(r, start, "not an integer (fractions and exponents are refused)");
	if (big)
		return fail(r, start, "integer outside -(2^53-1)..2^53-1");
	if (neg && acc == 0)
		return fail(r, start, "-0 is refused (write 0)");
	v->kind = SGJ_INT;
	v->num = neg ? -(int64_t)acc : (int64_t)acc;
	return 0;
}

static int literal(struct reader *r, struct sg_json *v)
{
	static const struct {
		const char *text;
		enum sg_json_kind kind;
	} words[] = { { "true", SGJ_TRUE }, { "false", SGJ_FALSE }, { "null", SGJ_NULL } };
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		size_t n = strlen(words[i].text);
		if (r->p[r->pos] == (uint8_t)words[i].text[0]) {
			if (r->len - r->pos < n || memcmp(r->p + r->pos, words[i].text, n))
				return fail(r, r->pos, "bad literal (true, false or null expected)");
			v->kind = words[i].kind;
			r->pos += n;
			return 0;
		}
	}
	return unexpected(r, "a value");
}

/* ---- arrays and objects */

static int value(struct reader *r, struct sg_json *v);

/* A fresh zeroed item at the end of v's items; counted at once, so that
 * sg_json_free frees whatever a failed parse of it left. */
static struct sg_json *new_item(struct reader *r, struct sg_json *v, size_t *cap)
{
	if (v->n == SG_JSON_MAX_ITEMS) {
		fail(r, r->pos, "more than %u items in one %s", SG_JSON_MAX_ITEMS,
		     v->kind == SGJ_OBJ ? "object" : "array");
		return NULL;
	}
	if (v->n == *cap) {
		size_t n = *cap ? 2 * *cap : 8;
		struct sg_json *p = realloc(v->items, n * sizeof(*p));
		if (!p) {
			out_of_memory(r);
			return NULL;
		}
		v->items = p;
		*cap = n;
	}
	struct sg_json *it = &v->items[v->n++];
	memset(it, 0, sizeof(*it));
	return it;
}

static int name_order(const void *a, const void *b)
{
	return sg_json_name_cmp(((const struct sg_json *)a)->name, ((const struct sg_json *)b)->name);
}

/* Puts an object's members in JCS order; two equal names are refused at
 * the later one. */
static int sort_members(struct reader *r, struct sg_json *v)
{
	char nb[SG_JSON_SHOW_SIZE];
	qsort(v->items, v->n, sizeof(v->items[0]), name_order);
	for (size_t i = 1; i < v->n; i++) {
		const struct sg_json *a = &v->items[i - 1], *b = &v->items[i];
		if (!strcmp(a->name, b->name))
			return fail(r, a->name_off > b->name_off ? a->name_off : b->name_off,
				    "duplicate member name \"%s\"", sg_json_show(b->name, nb));
	}
	return 0;
}

static int member(struct reader *r, struct sg_json *obj, size_t *cap)
{
	if (r->pos >= r->len || r->p[r->pos] != '"')
		return unexpected(r, "a member name");
	struct sg_json *m = new_item(r, obj, cap);
	if (!m)
		return -1;
	m->name_off = r->pos;
	if (string(r, &m->name))
		return -1;
	skip_ws(r);
	if (r->pos >= r->len || r->p[r->pos] != ':')
		return unexpected(r, "':'");
	r->pos++;
	return value(r, m);
}

/* An array or object at r->pos (its opening bracket). */
static int container(struct reader *r, struct sg_json *v)
{
	bool obj = r->p[r->pos] == '{';
	uint8_t close = obj ? '}' : ']';
	size_t cap = 0;
	if (++r->depth > SG_JSON_MAX_DEPTH)
		return fail(r, r->pos, "nested deeper than %d", SG_JSON_MAX_DEPTH);
	v->kind = obj ? SGJ_OBJ : SGJ_ARR;
	r->pos++;
	skip_ws(r);
	if (r->pos < r->len && r->p[r->pos] == close) {
		r->pos++;
		r->depth--;
		return 0;
	}
	for (;;) {
		skip_ws(r);
		if (obj) {
			if (member(r, v, &cap))
				return -1;
		} else {
			struct sg_json *it = new_item(r, v, &cap);
			if (!it || value(r, it))
				return -1;
		}
		skip_ws(r);
		if (r->pos < r->len && r->p[r->pos] == ',') {
			r->pos++;
			continue;
		}
		if (r->pos < r->len && r->p[r->pos] == close)
			break;
		return unexpected(r, obj ? "',' or '}'" : "',' or ']'");
	}
	r->pos++;
	r->depth--;
	return obj ? sort_members(r, v) : 0;
}

static int value(struct reader *r, struct sg_json *v)
{
	skip_ws(r);
	if (r->pos >= r->len)
		return unexpected(r, "a value");
	v->off = r->pos;
	uint8_t c = r->p[r->pos];
	if (c == '{' || c == '[')
		return container(r, v);
	if (c == '"') {
		v->kind = SGJ_STR;
		return string(r, &v->str);
	}
	if (c == '-' || (c >= '0' && c <= '9'))
		return number(r, v);
	return literal(r, v);
}

int sg_json_parse(const uint8_t *buf, size_t len, const char *what, struct sg_json **out,
		  struct sg_err *err)
{
	struct reader r = { .p = buf, .len = len, .what = what, .err = err };
	*out = NULL;
	if (len > SG_JSON_MAX_INPUT)
		return sg_errf(err, SG_EINPUT, "%s: %zu bytes, more than the limit of %u", what,
			       len, SG_JSON_MAX_INPUT);
	struct sg_json *v = calloc(1, sizeof(*v));
	if (!v)
		return sg_errf(err, SG_EENV, "%s: out of memory", what);
	int rc = value(&r, v);
	if (rc == 0) {
		skip_ws(&r);
		if (r.pos != len)
			rc = fail(&r, r.pos, "trailing data after the JSON value");
	}
	if (rc) {
		sg_json_free(v);
		return r.oom ? sg_errf(err, SG_EENV, "%s: out of memory", what) : SG_EINPUT;
	}
	*out = v;
	return SG_OK;
}

/* ---- the tree */

static void free_contents(struct sg_json *v)
{
	for (size_t i = 0; i < v->n; i++)
		free_contents(&v->items[i]);
	free(v->items);
	free(v->name);
	free(v->str);
}

void sg_json_free(struct sg_json *v)
{
	if (!v)
		return;
	free_contents(v);
	free(v);
}

const struct sg_json *sg_json_get(const struct sg_json *obj, const char *name)
{
	for (size_t i = 0; obj && obj->kind == SGJ_OBJ && i < obj->n; i++)
		if (!strcmp(obj->items[i].name, name))
			return &obj->items[i];
	return NULL;
}

struct sg_json *sg_json_new(enum sg_json_kind kind)
{
	struct sg_json *v = calloc(1, sizeof(*v));
	if (v)
		v->kind = kind;
	return v;
}

/* Moves *v into c's items at position i. */
static int insert(struct sg_json *c, size_t i, struct sg_json *v)
{
	struct sg_json *p = realloc(c->items, (c->n + 1) * sizeof(*p));
	if (!p) {
		sg_json_free(v);
		return -1;
	}
	c->items = p;
	memmove(&p[i + 1], &p[i], (c->n - i) * sizeof(*p));
	p[i] = *v;
	c->n++;
	free(v);
	return 0;
}

int sg_json_obj_add(struct sg_json *obj, const char *name, struct sg_json *v)
{
	size_t i = 0;
	int c = 1;
	while (i < obj->n && (c = sg_json_name_cmp(obj->items[i].name, name)) < 0)
		i++;
	free(v->name);
	v->name = c ? strdup(name) : NULL;
	if (!v->name) {
		sg_json_free(v);
		return -1;
	}
	return insert(obj, i, v);
}

int sg_json_arr_add(struct sg_json *arr, struct sg_json *v)
{
	return insert(arr, arr->n, v);
}

/* The next UTF-16 code unit of a UTF-8 string, -1 at its end; *low holds
 * the second half of a surrogate pair between calls. Malformed bytes (a
 * built tree is not checked) count as one unit each, and the string's NUL
 * is never passed. */
static long utf16_next(const uint8_t **s, uint16_t *low)
{
	const uint8_t *p = *s;
	uint32_t cp;
	if (*low) {
		long u = *low;
		*low = 0;
		return u;
	}
	if (!p[0])
		return -1;
	if (p[0] >= 0xf0 && p[1] && p[2] && p[3]) {
		cp = (uint32_t)(p[0] & 7) << 18 | (uint32_t)(p[1] & 0x3f) << 12 |
		     (uint32_t)(p[2] & 0x3f) << 6 | (p[3] & 0x3f);
		*s = p + 4;
	} else if (p[0] >= 0xe0 && p[1] && p[2]) {
		cp = (uint32_t)(p[0] & 0xf) << 12 | (uint32_t)(p[1] & 0x3f) << 6 | (p[2] & 0x3f);
		*s = p + 3;
	} else if (p[0] >= 0xc0 && p[1]) {
		cp = (uint32_t)(p[0] & 0x1f) << 6 | (p[1] & 0x3f);
		*s = p + 2;
	} else {
		cp = p[0];
		*s = p + 1;
	}
	if (cp < 0x10000)
		return cp;
	cp -= 0x10000;
	*low = (uint16_t)(0xdc00 | (cp & 0x3ff));
	return 0xd800 | cp >> 10;
}

int sg_json_name_cmp(const char *a, const char *b)
{
	const uint8_t *pa = (const uint8_t *)a, *pb = (const uint8_t *)b;
	uint16_t la = 0, lb = 0;
	for (;;) {
		long ua = utf16_next(&pa, &la), ub = utf16_next(&pb, &lb);
		if (ua != ub)
			return ua < ub ? -1 : 1;
		if (ua < 0)
			return 0;
	}
}

/* ---- the canonical writer */

/* A string as JCS writes it (RFC 8785 section 3.2.2.2): the two-character
 * escapes where JSON has them, \u00xx (lower-case hex) for the other
 * control characters, every other character as itself. */
static void put_string(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	for (const uint8_t *p = (const uint8_t *)s; *p; p++) {
		const char *e = NULL;
		switch (*p) {
		case '"': e = "\\\""; break;
		case '\\': e = "\\\\"; break;
		case '\b': e = "\\b"; break;
		case '\f': e = "\\f"; break;
		case '\n': e = "\\n"; break;
		case '\r': e = "\\r"; break;
		case '\t': e = "\\t"; break;
		}
		if (e) {
			put(b, e, 2);
		} else if (*p < 0x20) {
			char u[6] = { '\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15] };
			put(b, u, 6);
		} else {
			put(b, p, 1);
		}
	}
}

static void put_value(struct buf *b, const struct sg_json *v)
{
	char num[24];
	switch (v->kind) {
	case SGJ_NULL: put(b, "null", 4); break;
	case SGJ_FALSE: put(b, "false", 5); break;
	case SGJ_TRUE: put(b, "true", 4); break;
	case SGJ_INT: put(b, num, (size_t)snprintf(num, sizeof(num), "%lld", (long long)v->num)); break;
	case SGJ_STR:
		put(b, "\"", 1);
		put_string(b, v->str);
		put(b, "\"", 1);
		break;
	case SGJ_ARR:
	case SGJ_OBJ:
		put(b, v->kind == SGJ_OBJ ? "{" : "[", 1);
		for (size_t i = 0; i < v->n; i++) {
			if (i)
				put(b, ",", 1);
			if (v->kind == SGJ_OBJ) {
				put(b, "\"", 1);
				put_string(b, v->items[i].name);
				put(b, "\":", 2);
			}
			put_value(b, &v->items[i]);
		}
		put(b, v->kind == SGJ_OBJ ? "}" : "]", 1);
		break;
	}
}

int sg_json_write(const struct sg_json *v, uint8_t **out, size_t *len, struct sg_err *err)
{
	struct buf b = { 0 };
	put_value(&b, v);
	if (b.oom) {
		free(b.p);
		return sg_errf(err, SG_EENV, "JSON: out of memory");
	}
	*out = b.p;
	*len = b.n;
	return SG_OK;
}
