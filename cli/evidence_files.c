/* signet evidence: the pack's files (cli/evidence.h): problems, produced
 * and listed files, hashing. The bottom of evidence_*.c: it calls none of
 * them. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

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
