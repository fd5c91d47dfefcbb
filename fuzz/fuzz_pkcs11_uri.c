/* libFuzzer harness for PKCS#11 URIs (hsm/uri.c over p11-kit): what
 * --key, --ca-key and the like take, from scripts and configuration. No
 * URI is accepted with a PIN value in it (pin-value= in any spelling), the
 * value of a literal pin-value= never appears in a message, and a parsed
 * URI describes its token. No module is loaded. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hsm_priv.h"

/* The value of the first attribute named exactly "pin-value" (path
 * attributes split at ';' up to '?', query attributes at '&', as RFC 7512
 * has them) if it is long enough to look for and appears nowhere else in
 * the URI, else NULL; into buf. */
static const char *pin_value_of(const char *uri, char *buf, size_t cap)
{
	const char *p = strncmp(uri, "pkcs11:", 7) ? uri : uri + 7;
	bool query = false;
	while (*p) {
		size_t len = strcspn(p, query ? "&" : ";?");
		if (len > 10 && !strncmp(p, "pin-value=", 10)) {
			size_t n = len - 10;
			if (n < 4 || n >= cap)
				return NULL;
			memcpy(buf, p + 10, n);
			buf[n] = 0;
			const char *first = strstr(uri, buf);
			return first == p + 10 && !strstr(first + 1, buf) ? buf : NULL;
		}
		p += len;
		if (*p) {
			query = query || *p == '?';
			p++;
		}
	}
	return NULL;
}

/* Whether s is part of the fixed refusal of a pin-value (which names
 * pin-source=file:PATH), so that finding it in a message is no echo. */
static bool in_refusal(const char *s)
{
	P11KitUri *uri;
	struct sg_err refusal;
	if (hsm_uri_parse("pkcs11:pin-value=x", &uri, &refusal) == SG_OK)
		abort();
	return strstr(refusal.msg, s) != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = 0;
	char secret[256];
	const char *pin = pin_value_of(text, secret, sizeof(secret));
	P11KitUri *uri;
	struct sg_err err;
	if (hsm_uri_parse(text, &uri, &err) != SG_OK) {
		if (err.status == SG_OK || (pin && strstr(err.msg, pin) && !in_refusal(pin)))
			abort();
	} else {
		char desc[256];
		if (pin || p11_kit_uri_get_pin_value(uri))
			abort();
		hsm_uri_token_desc(uri, desc, sizeof(desc));
		hsm_uri_class(uri, CKO_PRIVATE_KEY);
		hsm_uri_attr(uri, CKA_ID);
		hsm_uri_attr(uri, CKA_LABEL);
		p11_kit_uri_free(uri);
	}
	free(text);
	return 0;
}
