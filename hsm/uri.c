/* RFC 7512 URIs, parsed by p11-kit. What we add: refuse pin-value= in any
 * spelling, say which attribute is not understood (p11-kit only says
 * "something", and ignores unknown query attributes), refuse an attribute
 * given twice (p11-kit keeps the last), never echo the value of an attribute
 * we do not know, and describe the token a URI asks for in messages. */
#include "hsm_priv.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The attributes p11-kit 0.24 understands: in the path (pin-source and
 * pinfile there for compatibility, object-type the old name of type) and in
 * the query. */
static const struct {
	const char *name;
	bool path, query;
} known_attrs[] = {
	{ "object", true, false },
	{ "id", true, false },
	{ "type", true, false },
	{ "object-type", true, false },
	{ "token", true, false },
	{ "manufacturer", true, false },
	{ "serial", true, false },
	{ "model", true, false },
	{ "library-manufacturer", true, false },
	{ "library-description", true, false },
	{ "library-version", true, false },
	{ "slot-description", true, false },
	{ "slot-manufacturer", true, false },
	{ "slot-id", true, false },
	{ "pin-source", true, true },
	{ "pinfile", true, false },
	{ "pin-value", false, true },
	{ "module-name", false, true },
	{ "module-path", false, true },
};

/* Index into known_attrs of a name in that part of the URI, or -1. */
static int known_attr(const char *name, size_t len, bool query)
{
	for (size_t i = 0; i < sizeof(known_attrs) / sizeof(known_attrs[0]); i++)
		if ((query ? known_attrs[i].query : known_attrs[i].path) &&
		    strlen(known_attrs[i].name) == len && strncmp(known_attrs[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

static int hex_digit(int c)
{
	return isdigit(c) ? c - '0' : tolower(c) - 'a' + 10;
}

/* Whether a name means pin-value however it is spelt: any case, any
 * percent-encoding of its letters. */
static bool means_pin_value(const char *name, size_t len)
{
	static const char want[] = "pin-value";
	size_t j = 0;
	for (size_t i = 0; i < len; i++, j++) {
		int c = (unsigned char)name[i];
		if (c == '%' && i + 2 < len && isxdigit((unsigned char)name[i + 1]) &&
		    isxdigit((unsigned char)name[i + 2])) {
			c = hex_digit((unsigned char)name[i + 1]) * 16 +
			    hex_digit((unsigned char)name[i + 2]);
			i += 2;
		}
		if (j >= sizeof(want) - 1 || tolower(c) != want[j])
			return false;
	}
	return j == sizeof(want) - 1;
}

/* What the first check of a URI found wrong, if anything. */
struct uri_scan {
	char *shown;          /* the URI for messages: values of attributes we do
			       * not know replaced by "...", since a misspelt
			       * pin-value= would otherwise print the PIN */
	bool pin_value;       /* pin-value=, in any spelling */
	const char *bad;      /* first unknown attribute name ... */
	size_t bad_len;
	bool bad_in_path;     /* ... and whether it stood in the path */
	const char *dup;      /* first attribute given twice */
	size_t dup_len;
	uint32_t seen;        /* bit i: known_attrs[i] was given */
	bool empty;           /* an empty path attribute before another one */
};

static void scan_segment(struct uri_scan *s, const char *seg, size_t len, bool query, char **out)
{
	size_t name = strcspn(seg, "=");
	bool has_value = name < len;
	if (name > len)
		name = len;
	int known = known_attr(seg, name, query);
	if (means_pin_value(seg, name)) {
		s->pin_value = true;
	} else if (known < 0 && !s->bad && has_value) {
		s->bad = seg;
		s->bad_len = name;
		s->bad_in_path = !query;
	} else if (known >= 0 && (s->seen & 1u << known) && !s->dup) {
		s->dup = seg;
		s->dup_len = name;
	}
	if (known >= 0)
		s->seen |= 1u << known;
	if (known >= 0 && !s->pin_value) {
		memcpy(*out, seg, len);
		*out += len;
	} else if (has_value) { /* the name, never the value */
		*out += sprintf(*out, "%.*s=...", (int)name, seg);
	} else {
		*out += sprintf(*out, "...");
	}
}

/* Walks the attributes of text (path ';', query '&') without trusting it to
 * be well formed. Fails only for lack of memory. */
static int uri_scan(const char *text, struct uri_scan *s)
{
	memset(s, 0, sizeof(*s));
	size_t n = strlen(text);
	if (!(s->shown = malloc(4 * n + 8)))
		return SG_EENV;
	char *out = s->shown;
	const char *p = text;
	if (strncmp(text, P11_KIT_URI_SCHEME ":", P11_KIT_URI_SCHEME_LEN + 1) == 0) {
		memcpy(out, text, P11_KIT_URI_SCHEME_LEN + 1);
		out += P11_KIT_URI_SCHEME_LEN + 1;
		p += P11_KIT_URI_SCHEME_LEN + 1;
	}
	bool query = false;
	while (*p) {
		size_t len = strcspn(p, query ? "&" : ";?");
		if (len > 0)
			scan_segment(s, p, len, query, &out);
		else if (!query && *p == ';')
			s->empty = true;
		p += len;
		if (*p) {
			query = query || *p == '?';
			*out++ = *p++;
		}
	}
	*out = 0;
	return SG_OK;
}

int hsm_uri_parse(const char *text, P11KitUri **out, struct sg_err *err)
{
	static const char no_pin_value[] =
		"URI: pin-value= is refused (a PIN must not appear on a command line): use "
		"pin-source=file:PATH";
	struct uri_scan s;
	if (uri_scan(text, &s) != SG_OK)
		return sg_errf(err, SG_EENV, "out of memory");
	/* All before p11-kit, whose messages we would otherwise have to trust. */
	int rc = SG_OK;
	P11KitUri *uri = NULL;
	if (s.pin_value) {
		rc = sg_errf_param(err, SG_EINPUT, "pin_source", "%s", no_pin_value);
	} else if (s.bad) {
		bool query_attr = s.bad_in_path &&
				  ((s.bad_len == 11 && strncmp(s.bad, "module-path", 11) == 0) ||
				   (s.bad_len == 11 && strncmp(s.bad, "module-name", 11) == 0));
		rc = sg_errf(err, SG_EINPUT, "URI '%s': unknown attribute '%.*s'%s", s.shown,
			     (int)s.bad_len, s.bad,
			     query_attr ? " in the path (it goes after '?')" : "");
	} else if (s.dup) {
		rc = sg_errf(err, SG_EINPUT, "URI '%s': attribute '%.*s' given twice", s.shown,
			     (int)s.dup_len, s.dup);
	} else if (s.empty) {
		/* p11-kit silently drops everything after one. */
		rc = sg_errf(err, SG_EINPUT, "URI '%s': empty attribute (';;' or ':;')", s.shown);
	} else if (!(uri = p11_kit_uri_new())) {
		rc = sg_errf(err, SG_EENV, "out of memory");
	} else {
		int r = p11_kit_uri_parse(text, P11_KIT_URI_FOR_ANY, uri);
		if (r != P11_KIT_URI_OK)
			rc = sg_errf(err, SG_EINPUT, "URI '%s': %s", s.shown, p11_kit_uri_message(r));
		else if (p11_kit_uri_get_pin_value(uri))
			rc = sg_errf_param(err, SG_EINPUT, "pin_source", "%s",
					   no_pin_value);
		else if (p11_kit_uri_any_unrecognized(uri))
			rc = sg_errf(err, SG_EINPUT,
				     "URI '%s': unsupported attribute value (type= takes private, "
				     "public, cert, data or secret-key)",
				     s.shown);
	}
	free(s.shown);
	if (rc != SG_OK) {
		if (uri)
			p11_kit_uri_free(uri);
		return rc;
	}
	*out = uri;
	return SG_OK;
}

void hsm_trim(char *dst, const unsigned char *src, size_t width)
{
	size_t n = strnlen((const char *)src, width);
	while (n > 0 && src[n - 1] == ' ')
		n--;
	memcpy(dst, src, n);
	dst[n] = 0;
}

void hsm_uri_token_desc(P11KitUri *uri, char *buf, size_t n)
{
	CK_TOKEN_INFO *want = p11_kit_uri_get_token_info(uri);
	char label[33];
	hsm_trim(label, want->label, sizeof(want->label));
	if (label[0]) {
		snprintf(buf, n, "token '%s'", label);
		return;
	}
	/* No label: show the token attributes that were given. */
	P11KitUri *t = p11_kit_uri_new();
	char *s = NULL;
	if (t) {
		memcpy(p11_kit_uri_get_token_info(t), want, sizeof(*want));
		p11_kit_uri_format(t, P11_KIT_URI_FOR_TOKEN, &s);
		p11_kit_uri_free(t);
	}
	if (s && strcmp(s, "pkcs11:") != 0)
		snprintf(buf, n, "token '%s'", s);
	else
		snprintf(buf, n, "token");
	free(s);
}

const CK_ATTRIBUTE *hsm_uri_attr(P11KitUri *uri, CK_ATTRIBUTE_TYPE type)
{
	const CK_ATTRIBUTE *a = p11_kit_uri_get_attribute(uri, type);
	return a && a->pValue ? a : NULL;
}

CK_OBJECT_CLASS hsm_uri_class(P11KitUri *uri, CK_OBJECT_CLASS dflt)
{
	const CK_ATTRIBUTE *a = hsm_uri_attr(uri, CKA_CLASS);
	if (!a || a->ulValueLen != sizeof(CK_OBJECT_CLASS))
		return dflt;
	CK_OBJECT_CLASS c;
	memcpy(&c, a->pValue, sizeof(c));
	return c;
}
