/* The members the --json objects of sign, cosign and pki issue share
 * (docs/json.md), and printing them. */
#include "json_out.h"

#include <openssl/evp.h>

#include "cli.h"
#include "evidence.h"
#include "ledger_wire.h"
#include "signet/fileio.h"
#include "signet/pki.h"

json_t *jo_new(const char *schema, const char *command)
{
	return json_pack("{s:s, s:s}", "schema", schema, "command", command);
}

json_t *jo_str(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *jo_hex(const uint8_t *p, size_t n)
{
	char hex[2 * 64 + 1];
	if (n > 64)
		return NULL;
	return json_string(sg_hex(p, n, hex));
}

json_t *jo_time(uint64_t t)
{
	char buf[CLI_UTC_MAX];
	return json_string(cli_utc(t, buf, false));
}

json_t *jo_file(const char *path, struct sg_err *err)
{
	uint8_t sha[32];
	uint64_t size;
	if (ev_hash_file(path, sha, &size, err))
		return NULL;
	json_t *o = json_pack("{s:s, s:I, s:o}", "path", path, "size", (json_int_t)size, "sha256",
			      jo_hex(sha, sizeof sha));
	if (!o)
		sg_errf(err, SG_EENV, "out of memory");
	return o;
}

static json_t *name_json(X509_NAME *n)
{
	char text[1024] = "";
	BIO *b = BIO_new(BIO_s_mem());
	if (b && X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253) >= 0) {
		int r = BIO_read(b, text, (int)sizeof text - 1);
		text[r > 0 ? r : 0] = '\0';
	}
	BIO_free(b);
	return json_string(text);
}

static json_t *asn1_time_json(const ASN1_TIME *t)
{
	struct tm tm;
	if (!ASN1_TIME_to_tm(t, &tm))
		return json_null();
	return jo_time((uint64_t)timegm(&tm));
}

json_t *jo_cert(X509 *x)
{
	char serial[2 * 20 + 8];
	uint8_t sha[32];
	unsigned len = 0;
	sg_pki_serial_hex(X509_get0_serialNumber(x), serial, sizeof serial);
	if (!X509_digest(x, EVP_sha256(), sha, &len) || len != sizeof sha)
		return NULL;
	return json_pack("{s:s, s:o, s:o, s:o, s:o, s:o}", "serial", serial, "subject",
			 name_json(X509_get_subject_name(x)), "issuer",
			 name_json(X509_get_issuer_name(x)), "not_before",
			 asn1_time_json(X509_get0_notBefore(x)), "not_after",
			 asn1_time_json(X509_get0_notAfter(x)), "sha256", jo_hex(sha, sizeof sha));
}

json_t *jo_ledger(const struct wire *w)
{
	if (!w || !w->l)
		return json_null();
	return json_pack("{s:s, s:o, s:o}", "path", w->path, "last_record",
			 w->appended ? json_integer((json_int_t)w->last_index) : json_null(),
			 "checkpoint_size",
			 w->checkpointed ? json_integer((json_int_t)w->checkpoint_size) : json_null());
}

int jo_print(json_t *o, struct sg_err *err)
{
	if (!o)
		return sg_errf(err, SG_EENV, "out of memory");
	int rc = json_dumpf(o, stdout, JSON_COMPACT);
	json_decref(o);
	if (rc || fputc('\n', stdout) == EOF || fflush(stdout))
		return sg_errf(err, SG_EENV, "standard output: cannot write the JSON result");
	return SG_OK;
}
