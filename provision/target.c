/* Target profiles: see signet/target.h. Each member is read by a small
 * function that names its path in any error; unknown members are refused
 * so that a typo never silently drops a lock step. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/objects.h>

#include "signet/fileio.h"
#include "signet/protocol.h"
#include "signet/target.h"
#include "target_priv.h"

#define TARGET_MAX (64 * 1024)

int target_bad(const struct at *a, const char *fmt, ...)
{
	char msg[300];
	va_list ap;

	char path[80];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	/* member names and values are the file's: no control byte may break
	 * the one-line message */
	snprintf(path, sizeof path, "%s", a->path);
	for (char *p = msg; *p; p++)
		*p = (*p >= 0 && *p < 0x20) || *p == 0x7f ? '?' : *p;
	for (char *p = path; *p; p++)
		*p = (*p >= 0 && *p < 0x20) || *p == 0x7f ? '?' : *p;
	return sg_errf(a->err, SG_EINPUT, "%s: %s: %s", a->file, path, msg);
}

/* Refuses members of o not in the NULL-terminated list. */
int target_only(const struct at *a, json_t *o, const char *const *known)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v) {
		size_t i = 0;
		while (known[i] && strcmp(known[i], k))
			i++;
		if (!known[i]) {
			struct at m = {a->file, k, a->err};
			return target_bad(&m, "not a member of %s", a->path);
		}
	}
	return SG_OK;
}

int target_object(const struct at *a, json_t *v, int required)
{
	if (!v)
		return required ? target_bad(a, "missing") : SG_OK;
	return json_is_object(v) ? SG_OK : target_bad(a, "must be an object");
}

/* A string member into out (n bytes with the NUL); "" if absent and optional. */
int target_string(const struct at *a, json_t *v, int required, char *out, size_t n)
{
	out[0] = 0;
	if (!v)
		return required ? target_bad(a, "missing") : SG_OK;
	if (!json_is_string(v))
		return target_bad(a, "must be a string");
	if (json_string_length(v) == 0 || json_string_length(v) >= n)
		return target_bad(a, "must be 1 to %zu characters", n - 1);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return target_bad(a, "holds a NUL");
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return SG_OK;
}

static int token(const struct at *a, json_t *v, char *out, size_t n)
{
	int rc = target_string(a, v, 1, out, n);

	if (rc == SG_OK && strspn(out, "abcdefghijklmnopqrstuvwxyz0123456789._-") != strlen(out))
		return target_bad(a, "'%s' is not a token (a-z, 0-9, '.', '_', '-')", out);
	return rc;
}

/* One of the NULL-terminated names; returns its index in *which. */
int target_one_of(const struct at *a, json_t *v, const char *const *names, int *which)
{
	char s[64];
	int rc = target_string(a, v, 1, s, sizeof s);

	char list[128] = "";

	for (int i = 0; rc == SG_OK && names[i]; i++) {
		if (!strcmp(s, names[i])) {
			*which = i;
			return SG_OK;
		}
		snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", names[i]);
	}
	return rc != SG_OK ? rc : target_bad(a, "'%s' is not one of: %s", s, list);
}

static int slot_id(const struct at *a, json_t *v, uint8_t *out)
{
	if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 255)
		return target_bad(a, "must be a slot id from 1 to 255");
	*out = (uint8_t)json_integer_value(v);
	return SG_OK;
}

const char *const target_lock_names[] = {"slots", "readback", "debug", NULL};

int target_lock_bits(const struct at *a, json_t *v, uint32_t *bits)
{
	size_t i;
	json_t *e;

	*bits = 0;
	if (!json_is_array(v) || json_array_size(v) == 0)
		return target_bad(a, "must be a list of 'slots', 'readback', 'debug'");
	json_array_foreach(v, i, e) {
		int which = 0, rc = target_one_of(a, e, target_lock_names, &which);
		if (rc != SG_OK)
			return rc;
		if (*bits & (1u << which))
			return target_bad(a, "names '%s' twice", target_lock_names[which]);
		*bits |= 1u << which;
	}
	return SG_OK;
}

static int parse_key(const char *file, json_t *k, struct sg_target *t, struct sg_err *err)
{
	static const char *const known[] = {"mode", "alg", "format", NULL};
	static const char *const modes[] = {"device", "inject", NULL};
	static const char *const algs[] = {"ecdsa-p256", NULL};
	static const char *const formats[] = {"raw", "pkcs8-der", NULL};
	struct at a = {file, "key", err}, m = {file, "key.mode", err}, al = {file, "key.alg", err},
		  f = {file, "key.format", err};
	int which = 0, rc;

	if ((rc = target_object(&a, k, 1)) != SG_OK || (rc = target_only(&a, k, known)) != SG_OK ||
	    (rc = target_one_of(&m, json_object_get(k, "mode"), modes, &which)) != SG_OK)
		return rc;
	t->key_mode = which ? SG_KEY_INJECT : SG_KEY_DEVICE;
	if ((rc = target_one_of(&al, json_object_get(k, "alg"), algs, &which)) != SG_OK)
		return rc;
	if (t->key_mode == SG_KEY_DEVICE)
		return json_object_get(k, "format") ? target_bad(&f, "only for key.mode \"inject\"") : SG_OK;
	if ((rc = target_one_of(&f, json_object_get(k, "format"), formats, &which)) != SG_OK)
		return rc;
	t->key_format = which ? SG_KEY_FORMAT_PKCS8_DER : SG_KEY_FORMAT_RAW;
	return SG_OK;
}

static int parse_validity(const struct at *a, json_t *v, struct sg_target *t)
{
	if (!v)
		return SG_OK;
	if (json_is_string(v) && !strcmp(json_string_value(v), "forever")) {
		t->validity_days = SG_PKI_FOREVER;
		return SG_OK;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 36500)
		return target_bad(a, "must be days (1 to 36500) or \"forever\"");
	t->validity_days = json_integer_value(v);
	return SG_OK;
}

/* The profile-specific members: hw_type for idevid, vid and pid for Matter. */
static int parse_cert_ids(const char *file, json_t *c, struct sg_target *t, struct sg_err *err)
{
	struct at h = {file, "certificate.hw_type", err}, vi = {file, "certificate.vid", err},
		  pi = {file, "certificate.pid", err};
	char text[16];
	int rc;

	if (t->cert_profile == SG_PROF_IDEVID) {
		if (json_object_get(c, "vid") || json_object_get(c, "pid"))
			return target_bad(json_object_get(c, "vid") ? &vi : &pi, "only for matter-dac");
		if ((rc = target_string(&h, json_object_get(c, "hw_type"), 1, t->hw_type, sizeof t->hw_type)) != SG_OK)
			return rc;
		ASN1_OBJECT *o = OBJ_txt2obj(t->hw_type, 1);
		ASN1_OBJECT_free(o);
		return o ? SG_OK : target_bad(&h, "'%s' is not a dotted OID", t->hw_type);
	}
	if (json_object_get(c, "hw_type"))
		return target_bad(&h, "only for idevid");
	if ((rc = target_string(&vi, json_object_get(c, "vid"), 1, text, sizeof text)) != SG_OK)
		return rc;
	if (sg_pki_matter_id(text, "the vendor id", t->vid, err) != SG_OK)
		return target_bad(&vi, "%s", err->msg);
	if ((rc = target_string(&pi, json_object_get(c, "pid"), 1, text, sizeof text)) != SG_OK)
		return rc;
	if (sg_pki_matter_id(text, "the product id", t->pid, err) != SG_OK)
		return target_bad(&pi, "%s", err->msg);
	return SG_OK;
}

static int parse_certificate(const char *file, json_t *c, struct sg_target *t, struct sg_err *err)
{
	static const char *const known[] = {"profile", "subject", "hw_type", "vid", "pid", "validity", NULL};
	static const char *const profiles[] = {"idevid", "matter-dac", NULL};
	struct at a = {file, "certificate", err}, p = {file, "certificate.profile", err},
		  s = {file, "certificate.subject", err}, v = {file, "certificate.validity", err};
	char sample[sizeof t->subject + 64];
	X509_NAME *dn = NULL;
	int which = 0, rc;

	if ((rc = target_object(&a, c, 1)) != SG_OK || (rc = target_only(&a, c, known)) != SG_OK ||
	    (rc = target_one_of(&p, json_object_get(c, "profile"), profiles, &which)) != SG_OK)
		return rc;
	t->cert_profile = which ? SG_PROF_MATTER_DAC : SG_PROF_IDEVID;
	if ((rc = target_string(&s, json_object_get(c, "subject"), 1, t->subject, sizeof t->subject)) != SG_OK ||
	    (rc = parse_validity(&v, json_object_get(c, "validity"), t)) != SG_OK ||
	    (rc = parse_cert_ids(file, c, t, err)) != SG_OK)
		return rc;
	/* the subject must parse with a UID in it */
	if ((rc = sg_target_subject(t, "0123456789abcdef", sample, sizeof sample, err)) != SG_OK ||
	    (rc = sg_pki_parse_dn(sample, &dn, err)) != SG_OK)
		return target_bad(&s, "%s", err->msg);
	X509_NAME_free(dn);
	return SG_OK;
}

static int parse_slots(const char *file, json_t *s, struct sg_target *t, struct sg_err *err)
{
	static const char *const known[] = {"cert", "chain", "key", NULL};
	struct at a = {file, "slots", err}, c = {file, "slots.cert", err}, ch = {file, "slots.chain", err},
		  k = {file, "slots.key", err};
	json_t *v;
	int rc;

	if ((rc = target_object(&a, s, 1)) != SG_OK || (rc = target_only(&a, s, known)) != SG_OK)
		return rc;
	if (!(v = json_object_get(s, "cert")))
		return target_bad(&c, "missing");
	if ((rc = slot_id(&c, v, &t->slot_cert)) != SG_OK)
		return rc;
	if ((v = json_object_get(s, "chain")) && (rc = slot_id(&ch, v, &t->slot_chain)) != SG_OK)
		return rc;
	v = json_object_get(s, "key");
	if (t->key_mode == SG_KEY_DEVICE && v)
		return target_bad(&k, "only for key.mode \"inject\"");
	if (t->key_mode == SG_KEY_INJECT && !v)
		return target_bad(&k, "missing: key.mode \"inject\" writes the key there");
	if (v && (rc = slot_id(&k, v, &t->slot_key)) != SG_OK)
		return rc;
	if (t->slot_cert == t->slot_chain || t->slot_cert == t->slot_key ||
	    (t->slot_chain && t->slot_chain == t->slot_key))
		return target_bad(&a, "two things in one slot");
	return SG_OK;
}

static int parse_lock(const char *file, json_t *l, struct sg_target *t, struct sg_err *err)
{
	static const char *const known[] = {"name", "bits", "expect", NULL};
	struct at a = {file, "lock", err}, n = {file, "lock.name", err}, b = {file, "lock.bits", err},
		  e = {file, "lock.expect", err};
	json_t *v;
	int rc;

	if (!l)
		return SG_OK;
	if ((rc = target_object(&a, l, 1)) != SG_OK || (rc = target_only(&a, l, known)) != SG_OK ||
	    (rc = token(&n, json_object_get(l, "name"), t->lock_name, sizeof t->lock_name)) != SG_OK)
		return rc;
	if (!(v = json_object_get(l, "bits")))
		return target_bad(&b, "missing");
	if ((rc = target_lock_bits(&b, v, &t->lock_bits)) != SG_OK)
		return rc;
	t->lock_expect = t->lock_bits;
	if ((v = json_object_get(l, "expect")) && (rc = target_lock_bits(&e, v, &t->lock_expect)) != SG_OK)
		return rc;
	if ((t->lock_expect & t->lock_bits) != t->lock_bits)
		return target_bad(&e, "must include every bit the lock sets");
	t->has_lock = 1;
	return SG_OK;
}

static int parse_top(const char *file, json_t *root, struct sg_target *t, struct sg_err *err)
{
	static const char *const known[] = {"signet_target", "name", "description", "chip",
					    "key", "certificate", "slots", "lock", "probe", NULL};
	struct at a = {file, "(top)", err}, f = {file, "signet_target", err}, n = {file, "name", err},
		  d = {file, "description", err}, c = {file, "chip", err};
	json_t *v = json_object_get(root, "signet_target");
	int rc;

	if ((rc = target_object(&a, root, 1)) != SG_OK || (rc = target_only(&a, root, known)) != SG_OK)
		return rc;
	if (!v || !json_is_integer(v) || json_integer_value(v) != 1)
		return target_bad(&f, "must be 1 (this format)");
	if ((rc = token(&n, json_object_get(root, "name"), t->name, sizeof t->name)) != SG_OK ||
	    (rc = target_string(&d, json_object_get(root, "description"), 0, t->description,
			 sizeof t->description)) != SG_OK ||
	    (rc = target_string(&c, json_object_get(root, "chip"), 1, t->chip, sizeof t->chip)) != SG_OK)
		return rc;
	for (const char *p = t->chip; *p; p++)
		if (*p < 0x21 || *p > 0x7e)
			return target_bad(&c, "must be printable ASCII without spaces");
	if ((rc = parse_key(file, json_object_get(root, "key"), t, err)) != SG_OK ||
	    (rc = parse_certificate(file, json_object_get(root, "certificate"), t, err)) != SG_OK ||
	    (rc = parse_slots(file, json_object_get(root, "slots"), t, err)) != SG_OK)
		return rc;
	if ((rc = parse_lock(file, json_object_get(root, "lock"), t, err)) != SG_OK)
		return rc;
	return json_object_get(root, "probe") ? target_parse_probe(file, json_object_get(root, "probe"), t, err)
					      : SG_OK;
}

int sg_target_parse(const uint8_t *json, size_t len, const char *name, struct sg_target *t,
		    struct sg_err *err)
{
	json_error_t je;
	json_t *root;
	int rc;

	memset(t, 0, sizeof *t);
	if (len > TARGET_MAX)
		return sg_errf(err, SG_EINPUT, "%s: larger than %d KiB", name, TARGET_MAX / 1024);
	root = json_loadb((const char *)json, len, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		/* jansson quotes the input near the error: keep the line one
		 * line of printable text */
		for (char *p = je.text; *p; p++)
			if (*p < 0x20 || *p > 0x7e)
				*p = '?';
		return sg_errf(err, SG_EINPUT, "%s: line %d, column %d: %s", name, je.line, je.column, je.text);
	}
	rc = parse_top(name, root, t, err);
	json_decref(root);
	return rc;
}

int sg_target_load(const char *path, struct sg_target *t, struct sg_err *err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = sg_read_file(path, TARGET_MAX, &buf, &len, err);

	if (rc == SG_OK)
		rc = sg_target_parse(buf, len, path, t, err);
	free(buf);
	return rc;
}

int sg_target_subject(const struct sg_target *t, const char *uid_hex, char *out, size_t n,
		      struct sg_err *err)
{
	size_t o = 0, u = strlen(uid_hex);

	for (const char *p = t->subject; *p;) {
		int is_uid = !strncmp(p, "{uid}", 5);
		size_t add = is_uid ? u : 1;

		if (o + add >= n)
			return sg_errf(err, SG_EINPUT, "%s: the subject is too long for UID %s", t->name, uid_hex);
		if (is_uid) {
			memcpy(out + o, uid_hex, u);
			p += 5;
		} else {
			out[o] = *p++;
		}
		o += add;
	}
	out[o] = 0;
	return SG_OK;
}
