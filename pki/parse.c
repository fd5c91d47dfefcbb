/* Reading what users hand us: CSRs, public keys, certificates (PEM or DER)
 * and subject names. Untrusted input: everything is bounded by the buffer,
 * DER must be consumed exactly, and OpenSSL's error queue is cleared so
 * one bad file does not colour the next message. */
#include "pki_priv.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

#include "signet/fileio.h"

static bool is_pem(const uint8_t *buf, size_t len)
{
	static const char tag[] = "-----BEGIN ";
	/* Allow leading blank lines and text, as openssl's own tools do. */
	return len >= sizeof(tag) - 1 && memmem(buf, len, tag, sizeof(tag) - 1) != NULL;
}

/* One object, PEM (via pem_read) or DER (via d2i, whole buffer): 0 with
 * *out set, -1 if it does not parse, SEVERAL if the PEM text holds a second
 * object after it (which would otherwise be ignored without a word). */
#define SEVERAL (-2)
static int read_obj(const uint8_t *buf, size_t len, void *(*pem_read)(BIO *),
		    void *(*d2i)(const unsigned char **, long), void **out)
{
	static const char tag[] = "-----BEGIN ";
	void *obj = NULL;
	bool more = false;
	*out = NULL;
	if (len > 0x7fffffff)
		return -1;
	if (is_pem(buf, len)) {
		BIO *b = BIO_new_mem_buf(buf, (int)len);
		char *rest;
		long n;
		if (b && (obj = pem_read(b)) && (n = BIO_get_mem_data(b, &rest)) > 0)
			more = memmem(rest, (size_t)n, tag, sizeof(tag) - 1) != NULL;
		BIO_free(b);
	} else {
		const unsigned char *p = buf;
		obj = d2i(&p, (long)len); /* refuses trailing bytes */
	}
	ERR_clear_error();
	/* cppcheck-suppress invalidLifetime ; d2i returns a new object, not &p */
	*out = obj;
	/* cppcheck-suppress invalidLifetime ; as above */
	return obj ? (more ? SEVERAL : 0) : -1;
}

/* The message for read_obj's failure: not parsed as what, or several. */
static int read_error(int r, const char *name, const char *what, struct sg_err *err)
{
	if (r == SEVERAL)
		return sg_errf(err, SG_EINPUT, "%s: holds more than one PEM object; give one %s",
			       name, what);
	return sg_errf(err, SG_EINPUT, "%s: not %s", name, what);
}

static void *pem_req(BIO *b)
{
	return PEM_read_bio_X509_REQ(b, NULL, NULL, NULL);
}
static void *d2i_req(const unsigned char **p, long n)
{
	const unsigned char *start = *p;
	X509_REQ *r = d2i_X509_REQ(NULL, p, n);
	if (r && *p != start + n) {
		X509_REQ_free(r);
		return NULL;
	}
	return r;
}
static void *pem_pub(BIO *b)
{
	return PEM_read_bio_PUBKEY(b, NULL, NULL, NULL);
}
static void *d2i_pub(const unsigned char **p, long n)
{
	const unsigned char *start = *p;
	EVP_PKEY *k = d2i_PUBKEY(NULL, p, n);
	if (k && *p != start + n) {
		EVP_PKEY_free(k);
		return NULL;
	}
	return k;
}
static void *pem_cert(BIO *b)
{
	return PEM_read_bio_X509(b, NULL, NULL, NULL);
}
static void *d2i_cert(const unsigned char **p, long n)
{
	const unsigned char *start = *p;
	X509 *x = d2i_X509(NULL, p, n);
	if (x && *p != start + n) {
		X509_free(x);
		return NULL;
	}
	return x;
}

static void *pem_crl(BIO *b)
{
	return PEM_read_bio_X509_CRL(b, NULL, NULL, NULL);
}
static void *d2i_crl(const unsigned char **p, long n)
{
	const unsigned char *start = *p;
	X509_CRL *c = d2i_X509_CRL(NULL, p, n);
	if (c && *p != start + n) {
		X509_CRL_free(c);
		return NULL;
	}
	return c;
}

bool pki_spki_copy(X509_PUBKEY *to, const X509_PUBKEY *from)
{
	ASN1_OBJECT *alg;
	const unsigned char *bits;
	int len;
	X509_ALGOR *from_alg, *to_alg;
	if (!X509_PUBKEY_get0_param(&alg, &bits, &len, &from_alg, from))
		return false;
	unsigned char *copy = OPENSSL_memdup(bits, (size_t)len);
	ASN1_OBJECT *obj = OBJ_dup(alg);
	if (copy && obj && X509_PUBKEY_set0_param(to, obj, V_ASN1_UNDEF, NULL, copy, len))
		return X509_PUBKEY_get0_param(NULL, NULL, NULL, &to_alg, to) &&
		       X509_ALGOR_copy(to_alg, from_alg); /* with the parameters (curve) */
	OPENSSL_free(copy);
	ASN1_OBJECT_free(obj);
	return false;
}

int sg_pki_csr_key(const uint8_t *buf, size_t len, const char *name, X509_PUBKEY **spki,
		   struct sg_err *err)
{
	*spki = NULL;
	void *obj;
	int r = read_obj(buf, len, pem_req, d2i_req, &obj);
	X509_REQ *req = obj;
	if (r) {
		X509_REQ_free(req);
		return read_error(r, name, "a PKCS#10 certificate request", err);
	}
	EVP_PKEY *pub = X509_REQ_get0_pubkey(req);
	int rc = SG_OK;
	if (!pub)
		rc = sg_errf(err, SG_EINPUT, "%s: the request's public key does not parse", name);
	else if (X509_REQ_get_version(req) != X509_REQ_VERSION_1)
		rc = sg_errf(err, SG_EINPUT, "%s: unknown request version", name);
	else if (X509_REQ_verify(req, pub) != 1)
		rc = sg_errf(err, SG_FAIL,
			     "rule csr.signature: %s: the request's signature does not verify with "
			     "its own key (no proof of possession)",
			     name);
	else if (!(*spki = X509_PUBKEY_dup(X509_REQ_get_X509_PUBKEY(req))) ||
		 /* OpenSSL 3.0's dup drops the BIT STRING's unused-bits count,
		  * and its encoder would then guess one from trailing zeros */
		 !pki_spki_copy(*spki, X509_REQ_get_X509_PUBKEY(req))) {
		X509_PUBKEY_free(*spki);
		*spki = NULL;
		rc = sg_errf(err, SG_EENV, "out of memory");
	}
	ERR_clear_error();
	X509_REQ_free(req);
	return rc;
}

int sg_pki_pubkey(const uint8_t *buf, size_t len, const char *name, EVP_PKEY **key,
		  struct sg_err *err)
{
	void *obj;
	int r = read_obj(buf, len, pem_pub, d2i_pub, &obj);
	*key = r ? NULL : obj;
	if (r)
		EVP_PKEY_free(obj);
	return r ? read_error(r, name, "a public key (SubjectPublicKeyInfo)", err) : SG_OK;
}

int sg_pki_cert(const uint8_t *buf, size_t len, const char *name, X509 **cert,
		struct sg_err *err)
{
	void *obj;
	int r = read_obj(buf, len, pem_cert, d2i_cert, &obj);
	*cert = r ? NULL : obj;
	if (r)
		X509_free(obj);
	return r ? read_error(r, name, "an X.509 certificate", err) : SG_OK;
}

/* One "KEY=VALUE" with escapes removed into val. */
static int add_rdn(X509_NAME *n, const char *text, const char *s, size_t len,
		   struct sg_err *err)
{
	char buf[512];
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\\' && i + 1 < len)
			i++;
		if (o + 1 >= sizeof(buf))
			return sg_errf(err, SG_EINPUT, "subject '%s': attribute too long", text);
		buf[o++] = s[i];
	}
	buf[o] = 0;
	char *eq = strchr(buf, '=');
	if (!eq || eq == buf || !eq[1])
		return sg_errf(err, SG_EINPUT, "subject '%s': '%s' is not KEY=VALUE", text, buf);
	*eq = 0;
	int nid = OBJ_txt2nid(buf);
	if (nid == NID_undef)
		return sg_errf(err, SG_EINPUT, "subject '%s': unknown attribute '%s'", text, buf);
	if (!X509_NAME_add_entry_by_NID(n, nid, MBSTRING_UTF8, (unsigned char *)eq + 1, -1, -1,
					0)) {
		ERR_clear_error();
		return sg_errf(err, SG_EINPUT, "subject '%s': value of %s not allowed", text, buf);
	}
	return SG_OK;
}

/* No control characters (they would reach terminals and logs through
 * every tool that prints the name) and no '\' with nothing to escape. */
static int dn_chars(const char *text, struct sg_err *err)
{
	for (size_t i = 0; text[i]; i++) {
		unsigned char c = (unsigned char)text[i];
		unsigned char c1 = c == 0xc2 ? (unsigned char)text[i + 1] : 0; /* U+0080-U+009F */
		if (c < 0x20 || c == 0x7f || (c1 >= 0x80 && c1 <= 0x9f))
			return sg_errf(err, SG_EINPUT, "subject: control character U+%04X at offset %zu "
				       "not allowed", c1 ? c1 : c, i);
		if (c == '\\' && !text[i + 1])
			return sg_errf(err, SG_EINPUT, "subject '%s': ends in a '\\' that escapes "
				       "nothing", text);
		if (c == '\\')
			i++;
	}
	return SG_OK;
}

int sg_pki_parse_dn(const char *text, X509_NAME **out, struct sg_err *err)
{
	*out = NULL;
	int rc = dn_chars(text, err);
	if (rc)
		return rc;
	if (text[0] != '/')
		return sg_errf(err, SG_EINPUT, "subject '%s': write it as /CN=name/O=org", text);
	X509_NAME *n = X509_NAME_new();
	if (!n)
		return sg_errf(err, SG_EENV, "out of memory");
	const char *p = text + 1;
	while (*p) {
		size_t len = 0;
		while (p[len] && p[len] != '/') {
			if (p[len] == '\\' && p[len + 1])
				len++;
			len++;
		}
		rc = add_rdn(n, text, p, len, err);
		if (rc) {
			X509_NAME_free(n);
			return rc;
		}
		p += len + (p[len] == '/');
	}
	if (X509_NAME_entry_count(n) == 0) {
		X509_NAME_free(n);
		return sg_errf(err, SG_EINPUT, "subject '%s': empty", text);
	}
	*out = n;
	return SG_OK;
}

char *sg_pki_serial_hex(const ASN1_INTEGER *serial, char *buf, size_t n)
{
	buf[0] = 0;
	for (int i = 0; i < serial->length && (size_t)(2 * i + 2) < n; i++)
		snprintf(buf + 2 * i, 3, "%02x", serial->data[i]);
	return buf;
}

int sg_pki_load_cert(const char *path, X509 **cert, struct sg_err *err)
{
	uint8_t *buf;
	size_t len;
	int rc = sg_read_file(path, 1 << 20, &buf, &len, err);
	if (rc)
		return rc;
	rc = sg_pki_cert(buf, len, path, cert, err);
	free(buf);
	return rc;
}

int sg_pki_load_certs(const char *path, STACK_OF(X509) *sk, struct sg_err *err)
{
	uint8_t *buf;
	size_t len;
	int rc = sg_read_file(path, 1 << 22, &buf, &len, err);
	if (rc)
		return rc;
	BIO *b = BIO_new_mem_buf(buf, (int)len);
	int n = 0;
	X509 *x;
	while (b && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)))
		if (!sk_X509_push(sk, x))
			X509_free(x);
		else
			n++;
	BIO_free(b);
	ERR_clear_error();
	if (n == 0) { /* perhaps one DER certificate */
		rc = sg_pki_cert(buf, len, path, &x, err);
		if (rc == SG_OK && !sk_X509_push(sk, x)) {
			X509_free(x);
			rc = sg_errf(err, SG_EENV, "out of memory");
		}
	}
	free(buf);
	return rc;
}

int sg_pki_load_crl(const char *path, STACK_OF(X509_CRL) *sk, struct sg_err *err)
{
	uint8_t *buf;
	size_t len;
	int rc = sg_read_file(path, 1 << 24, &buf, &len, err);
	if (rc)
		return rc;
	void *obj;
	int r = read_obj(buf, len, pem_crl, d2i_crl, &obj);
	free(buf);
	if (r) {
		X509_CRL_free(obj);
		/* Two CRLs in one file: verifying with the first alone would miss
		 * what the second revokes. */
		return read_error(r, path, "a CRL", err);
	}
	if (!sk_X509_CRL_push(sk, obj)) {
		X509_CRL_free(obj);
		return sg_errf(err, SG_EENV, "out of memory");
	}
	return SG_OK;
}
