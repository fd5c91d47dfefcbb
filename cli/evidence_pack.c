/* signet evidence: the pack's files and the derivation both sides share
 * (cli/evidence.h): problems, produced and listed files, hashing, and
 * evidence_derive itself. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "cli.h"
#include "evidence.h"
#include "signet/fileio.h"

int ev_problem(struct ev_problems *p, int status, const char *file, const char *fmt, ...)
{
	char reason[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	/* Messages of the libraries name the file first: say it once. */
	size_t n = strlen(file);
	const char *r = !strncmp(reason, file, n) && !strncmp(reason + n, ": ", 2) ? reason + n + 2
										  : reason;
	if (p->in_pack && status == SG_EINPUT)
		status = SG_FAIL;
	json_array_append_new(p->list, json_pack("{s:s, s:s}", "file", file, "reason", r));
	if (p->status == SG_OK || (p->status == SG_FAIL && status != SG_FAIL))
		p->status = status;
	return status;
}

bool ev_stop(const struct ev_problems *p)
{
	return p->status != SG_OK && !p->all;
}

json_t *ev_sha_json(const uint8_t sha[32])
{
	char hex[65];
	return json_string(sg_hex(sha, 32, hex));
}

int ev_hash_file(const char *path, uint8_t sha[32], uint64_t *size, struct sg_err *err)
{
	int fd;
	uint64_t total = 0;
	int rc = sg_open_regular(path, &fd, size, err);
	if (rc)
		return rc;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	static uint8_t buf[1 << 16];
	ssize_t n = 0;
	if (md && EVP_DigestInit_ex(md, EVP_sha256(), NULL))
		while ((n = read(fd, buf, sizeof buf)) > 0 && EVP_DigestUpdate(md, buf, (size_t)n))
			total += (uint64_t)n;
	if (!md || n != 0 || !EVP_DigestFinal_ex(md, sha, NULL))
		rc = sg_errf(err, SG_EENV, "%s: read failed", path);
	*size = total;
	EVP_MD_CTX_free(md);
	close(fd);
	return rc;
}

int ev_mkdirs(const char *path, struct sg_err *err)
{
	char dir[4096];
	snprintf(dir, sizeof dir, "%s", path);
	for (char *p = strchr(dir, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (mkdir(dir, 0755) && errno != EEXIST)
			return sg_errf(err, SG_EENV, "%s: cannot create the directory: %s", dir,
				       strerror(errno));
		*p = '/';
	}
	return SG_OK;
}

void ev_list_entry(struct ev_pack *pk, const char *path, const char *kind, const uint8_t sha[32],
		   uint64_t size)
{
	json_array_append_new(pk->files, json_pack("{s:s, s:s, s:I, s:o}", "path", path, "kind",
						   kind, "size", (json_int_t)size, "sha256",
						   ev_sha_json(sha)));
}

/* Writes data as a new file of the pack, durable before it is listed. */
int ev_write_new(const char *path, const void *data, size_t len, struct sg_err *err)
{
	int rc = ev_mkdirs(path, err);
	if (rc)
		return rc;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return sg_errf(err, SG_EENV, "%s: cannot create: %s", path, strerror(errno));
	const char *p = data;
	ssize_t n = 0;
	for (size_t left = len; left && (n = write(fd, p, left)) > 0; left -= (size_t)n)
		p += n;
	if (n < 0 || fsync(fd))
		rc = sg_errf(err, SG_EENV, "%s: write failed: %s", path, strerror(errno));
	close(fd);
	return rc;
}

int ev_put(struct ev_pack *pk, const char *path, const char *kind, const void *data, size_t len)
{
	struct sg_err err;
	uint8_t sha[32];
	if (!pk->verifying) {
		int rc = ev_write_new(path, data, len, &err);
		if (rc)
			return ev_problem(pk->probs, rc, path, "%s", err.msg);
		EVP_Digest(data, len, sha, NULL, EVP_sha256(), NULL);
		ev_list_entry(pk, path, kind, sha, len);
		return SG_OK;
	}
	uint8_t *have;
	size_t have_len;
	if (sg_read_file(path, len + 1, &have, &have_len, &err))
		return ev_problem(pk->probs, SG_FAIL, path, "%s", err.msg);
	bool same = have_len == len && !memcmp(have, data, len);
	free(have);
	return same ? SG_OK
		    : ev_problem(pk->probs, SG_FAIL, path, "not the %s the pack's files give", kind);
}

/* ---- the derivation */

static json_t *each_input(struct ev_pack *pk, const json_t *paths, int kind, void *stack, int *rc)
{
	json_t *a = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(paths, i, v) {
		const char *p = json_string_value(v);
		json_t *e = kind == 's' ? ev_sbom(pk, p, rc) : ev_certs_file(pk, p, kind == 'c', stack, rc);
		if (e)
			json_array_append_new(a, e);
		if (*rc && ev_stop(pk->probs))
			break;
	}
	return a;
}

/* An SBOM the pack holds must be bound by one of its envelopes. */
static int sboms_bound(struct ev_pack *pk, const json_t *sboms, const json_t *releases)
{
	size_t i, j;
	json_t *s, *r;
	json_array_foreach(sboms, i, s) {
		const char *file = json_string_value(json_object_get(s, "file"));
		bool bound = false;
		json_array_foreach(releases, j, r) {
			const char *f = json_string_value(json_object_get(json_object_get(r, "sbom"), "file"));
			bound |= f && !strcmp(f, file);
		}
		if (!bound)
			return ev_problem(pk->probs, pk->verifying ? SG_FAIL : SG_EINPUT, file,
					  "an SBOM that no envelope binds");
	}
	return SG_OK;
}

int evidence_derive_files(struct ev_pack *pk, const struct ev_inputs *in, json_t *idx)
{
	STACK_OF(X509) *roots = sk_X509_new_null();
	STACK_OF(X509_CRL) *crls = sk_X509_CRL_new_null();
	int rc = roots && crls ? SG_OK : ev_problem(pk->probs, SG_EENV, ".", "out of memory");
	json_t *sboms = each_input(pk, in->sboms, 's', NULL, &rc);
	json_object_set_new(idx, "sboms", sboms);
	if (!ev_stop(pk->probs))
		json_object_set_new(idx, "trust_roots", each_input(pk, in->roots, 'r', roots, &rc));
	if (!ev_stop(pk->probs))
		json_object_set_new(idx, "crls", each_input(pk, in->crls, 'c', crls, &rc));
	json_t *releases = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(in->envelopes, i, v) {
		if (ev_stop(pk->probs))
			break;
		json_t *e = ev_release(pk, json_string_value(v), sboms, roots, crls, &rc);
		if (e)
			json_array_append_new(releases, e);
	}
	json_object_set_new(idx, "releases", releases);
	if (!ev_stop(pk->probs))
		sboms_bound(pk, sboms, releases);
	sk_X509_pop_free(roots, X509_free);
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
	return pk->probs->status;
}

int evidence_derive_ledger(struct ev_pack *pk, const struct ev_inputs *in, json_t *idx)
{
	int rc = SG_OK;
	json_t *ledger = in->checkpoint ? ev_ledger(pk, in, idx, &rc) : json_null();
	if (!ledger)
		ledger = json_null();
	json_object_set_new(idx, "ledger", ledger);
	json_object_set_new(idx, "units", !strcmp(in->kind, "units") && json_is_object(ledger)
						  ? ev_units(ledger)
						  : json_null());
	return pk->probs->status;
}
