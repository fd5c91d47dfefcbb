/* RFC 7512 URIs, parsed by p11-kit. What we add: refuse pin-value=, say which
 * attribute is not understood (p11-kit only says "something"), and describe
 * the token a URI asks for in messages. */
#include "hsm_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Path attributes p11-kit 0.24 understands (pin-* for compatibility). */
static const char *const known_attrs[] = {
	"object", "id", "type", "token", "manufacturer", "serial", "model",
	"library-manufacturer", "library-description", "library-version",
	"slot-description", "slot-manufacturer", "slot-id", "pin-source", "pinfile",
};

static bool known_attr(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(known_attrs) / sizeof(known_attrs[0]); i++)
		if (strlen(known_attrs[i]) == len && strncmp(known_attrs[i], name, len) == 0)
			return true;
	return false;
}

/* Explains why p11-kit flagged the URI as having something unrecognised. */
static int unrecognized(const char *text, struct sg_err *err)
{
	const char *p = text + P11_KIT_URI_SCHEME_LEN + 1;
	size_t path_len = strcspn(p, "?");
	while (path_len > 0) {
		size_t seg = strcspn(p, ";?");
		size_t name = strcspn(p, "=;?");
		if (name < seg && !known_attr(p, name)) {
			bool query_attr = (name == 11 && strncmp(p, "module-path", 11) == 0) ||
					  (name == 11 && strncmp(p, "module-name", 11) == 0);
			return sg_errf(err, SG_EINPUT, "URI '%s': unknown attribute '%.*s'%s", text,
				       (int)name, p,
				       query_attr ? " in the path (it goes after '?')" : "");
		}
		if (seg >= path_len)
			break;
		p += seg + 1;
		path_len -= seg + 1;
	}
	return sg_errf(err, SG_EINPUT,
		       "URI '%s': unsupported attribute value (type= takes private, public, "
		       "cert, data or secret-key)",
		       text);
}

/* pin-value= as an attribute, not inside some label. */
static bool has_pin_value(const char *text)
{
	for (const char *p = text; (p = strstr(p, "pin-value=")) != NULL; p++)
		if (p > text && strchr(":;?&", p[-1]))
			return true;
	return false;
}

int hsm_uri_parse(const char *text, P11KitUri **out, struct sg_err *err)
{
	static const char no_pin_value[] =
		"URI: pin-value= is refused (a PIN must not appear on a command line): use "
		"pin-source=file:PATH or SIGNET_PIN";
	/* Checked before anything echoes the URI, so the PIN is never printed. */
	if (has_pin_value(text))
		return sg_errf(err, SG_EINPUT, "%s", no_pin_value);
	P11KitUri *uri = p11_kit_uri_new();
	if (!uri)
		return sg_errf(err, SG_EENV, "out of memory");
	int r = p11_kit_uri_parse(text, P11_KIT_URI_FOR_ANY, uri);
	int rc = SG_OK;
	if (r != P11_KIT_URI_OK)
		rc = sg_errf(err, SG_EINPUT, "URI '%s': %s", text, p11_kit_uri_message(r));
	else if (p11_kit_uri_get_pin_value(uri))
		rc = sg_errf(err, SG_EINPUT, "%s", no_pin_value);
	else if (p11_kit_uri_any_unrecognized(uri))
		rc = unrecognized(text, err);
	if (rc != SG_OK) {
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
