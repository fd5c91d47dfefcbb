/* signet evidence --release / --units: writing a pack (docs/evidence.md).
 * Everything goes into DIR.tmp-XXXXXX beside DIR, which takes DIR's name
 * only when complete and durable; a failure or a signal removes it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cli.h"
#include "evidence.h"
#include "signet/atomic_file.h"
#include "signet/fileio.h"
#include "signet/num.h"

/* ---- signals: held while the pack is built, so that it can be removed */

static sigset_t held, before;

static void hold_signals(void)
{
	sigemptyset(&held);
	sigaddset(&held, SIGINT);
	sigaddset(&held, SIGTERM);
	sigaddset(&held, SIGHUP);
	sigaddset(&held, SIGPIPE);
	sigprocmask(SIG_BLOCK, &held, &before);
}

static bool interrupted(void)
{
	sigset_t pending;
	if (sigpending(&pending))
		return false;
	for (int s = 1; s < NSIG; s++)
		if (sigismember(&held, s) && sigismember(&pending, s))
			return true;
	return false;
}

/* Lets a held signal end the process (cli/signet.c's handler). */
static void release_signals(void)
{
	sigprocmask(SIG_SETMASK, &before, NULL);
}

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

static void remove_tree(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- the output directory */

/* DIR may be absent or an empty directory. */
static int out_free(const char *out)
{
	struct stat st;
	if (lstat(out, &st))
		return errno == ENOENT ? SG_OK
				       : cli_usage_error("evidence", "--out %s: %s", out, strerror(errno));
	DIR *d = S_ISDIR(st.st_mode) ? opendir(out) : NULL;
	struct dirent *de;
	bool empty = d != NULL;
	while (d && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			empty = false;
	if (d)
		closedir(d);
	return empty ? SG_OK : cli_usage_error("evidence", "--out %s: exists and is not an empty "
							   "directory", out);
}

/* A file name as the pack writes it: the base name, with anything but
 * letters, digits and ._+- as '_', never hidden. */
static void pack_name(const char *path, char *out, size_t size)
{
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof tmp, "%s", path);
	snprintf(out, size, "%.100s", basename(tmp));
	for (char *p = out; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("._+-", *p)))
			*p = '_';
	if (out[0] == '.' || !out[0])
		out[0] = '_';
}

/* The directory the command started in: the user's paths are relative to
 * it, while the pack is built from inside the pack. */
static char start_dir[PATH_MAX];

/* path as seen from start_dir, whatever the current directory is. */
static char *absolute(const char *path)
{
	char *out = NULL;
	if (path[0] == '/')
		return strdup(path);
	if (asprintf(&out, "%s/%s", start_dir, path) < 0)
		return NULL;
	return out;
}

/* Copies src into the pack at dst, streamed, and lists it. */
static int copy_in(struct ev_pack *pk, const char *given, const char *src, const char *dst,
		   const char *kind)
{
	struct sg_err err;
	uint64_t size;
	uint8_t sha[32];
	int in, out, rc;
	if ((rc = sg_open_regular(src, &in, &size, &err))) {
		const char *why = err.msg;
		size_t n = strlen(src);
		if (!strncmp(why, src, n) && !strncmp(why + n, ": ", 2))
			why += n + 2; /* named by the user's path instead */
		return ev_problem(pk->probs, rc, given, "%s", why);
	}
	if ((rc = ev_mkdirs(dst, &err)) ||
	    (out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644)) < 0) {
		close(in);
		return ev_problem(pk->probs, SG_EENV, dst, "cannot create: %s",
				  rc ? err.msg : strerror(errno));
	}
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	static uint8_t buf[1 << 16];
	ssize_t n = 0;
	uint64_t total = 0;
	rc = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) ? SG_OK : SG_EENV;
	while (!rc && !interrupted() && (n = read(in, buf, sizeof buf)) > 0) {
		total += (uint64_t)n;
		if (!EVP_DigestUpdate(md, buf, (size_t)n) || write(out, buf, (size_t)n) != n)
			rc = SG_EENV;
	}
	if (!rc && (n != 0 || fsync(out) || !EVP_DigestFinal_ex(md, sha, NULL)))
		rc = SG_EENV;
	EVP_MD_CTX_free(md);
	close(in);
	close(out);
	if (rc)
		return ev_problem(pk->probs, rc, given, "cannot copy into the pack: %s", strerror(errno));
	if (interrupted())
		return ev_problem(pk->probs, SG_EENV, given, "interrupted");
	ev_list_entry(pk, dst, kind, sha, total);
	return SG_OK;
}

/* Copies each of n files into the pack under prefix/N-NAME (or
 * prefix/N/NAME when nested); their pack paths into list. */
static int copy_all(struct ev_pack *pk, const char *const *paths, int n, const char *prefix,
		    bool nested, const char *kind, json_t *list, json_t *given)
{
	int rc = SG_OK;
	for (int i = 0; !rc && i < n; i++) {
		char name[128], dst[256];
		pack_name(paths[i], name, sizeof name);
		snprintf(dst, sizeof dst, nested ? "%s/%d/%s" : "%s/%d-%s", prefix, i + 1, name);
		char *src = absolute(paths[i]);
		rc = src ? copy_in(pk, paths[i], src, dst, kind)
			 : ev_problem(pk->probs, SG_EENV, paths[i], "out of memory");
		free(src);
		json_array_append_new(list, json_string(dst));
		json_object_set_new(given, dst, json_string(paths[i]));
	}
	return rc;
}

/* ---- signet's own SBOM: <dir of the binary>/../share/signet/signet.cdx.json */

static int own_sbom(struct ev_pack *pk, json_t *idx, json_t *given)
{
	char path[PATH_MAX + 64];
	if (!cli_beside_binary(path, sizeof path, "../share/signet/signet.cdx.json")) {
		json_object_set_new(idx, "signet_sbom", json_null());
		return SG_OK;
	}
	if (access(path, F_OK)) {
		fprintf(stderr, "signet evidence: warning: signet's own SBOM %s is missing; the pack "
				"records none\n", path);
		json_object_set_new(idx, "signet_sbom", json_null());
		return SG_OK;
	}
	int rc = copy_in(pk, path, path, "signet/signet.cdx.json", "signet-sbom");
	json_object_set_new(given, "signet/signet.cdx.json", json_string(path));
	json_object_set_new(idx, "signet_sbom", rc ? json_null() : ev_sbom(pk, "signet/signet.cdx.json", &rc));
	return rc;
}

/* ---- the index */

static json_t *scope_json(const struct ev_make_args *a)
{
	json_t *s = json_object();
	json_t *env = json_array();
	for (int i = 0; i < a->nenvelopes; i++)
		json_array_append_new(env, json_string(a->envelopes[i]));
	if (!a->units)
		json_object_set_new(s, "envelopes", env);
	else
		json_decref(env);
	json_object_set_new(s, "ledger", a->ledger ? json_string(a->ledger) : json_null());
	if (a->units) {
		json_object_set_new(s, "since", a->since ? json_string(a->since) : json_null());
		json_object_set_new(s, "until", a->until ? json_string(a->until) : json_null());
	}
	return s;
}

static json_t *index_head(const struct ev_make_args *a, uint64_t now)
{
	char when[CLI_UTC_MAX];
	cli_utc(now, when, false);
	return json_pack("{s:i, s:s, s:s, s:s, s:o}", "signet_evidence", EVIDENCE_FORMAT, "kind",
			 a->units ? "units" : "release", "created", when, "signet_version",
			 SIGNET_VERSION, "scope", scope_json(a));
}

/* index.html and then index.json, the page rendered from the JSON text as
 * written (verify renders it from the same text). */
static int write_index(struct ev_pack *pk, json_t *idx)
{
	char *text = json_dumps(idx, JSON_INDENT(1));
	json_t *back = text ? json_loads(text, 0, NULL) : NULL;
	char *html = NULL;
	size_t len;
	int rc = back && !ev_html(back, &html, &len) ? SG_OK
						     : ev_problem(pk->probs, SG_EENV, "index.json",
								  "out of memory");
	struct sg_err err;
	size_t tlen = text ? strlen(text) : 0;
	if (!rc && (rc = ev_write_new("index.html", html, len, &err)))
		ev_problem(pk->probs, rc, "index.html", "%s", err.msg);
	if (!rc) {
		text[tlen] = '\n';
		if ((rc = ev_write_new("index.json", text, tlen + 1, &err)))
			ev_problem(pk->probs, rc, "index.json", "%s", err.msg);
	}
	free(html);
	free(text);
	json_decref(back);
	return rc;
}

/* ---- the whole */

struct make {
	const struct ev_make_args *a;
	struct ev_pack pk;
	struct ev_inputs in;
	json_t *idx, *given;
};

static int collect(struct make *m)
{
	const struct ev_make_args *a = m->a;
	struct ev_pack *pk = &m->pk;
	int rc = own_sbom(pk, m->idx, m->given);
	if (!rc)
		rc = copy_all(pk, a->envelopes, a->nenvelopes, "envelopes", true, "envelope",
			      m->in.envelopes, m->given);
	if (!rc)
		rc = copy_all(pk, a->sboms, a->nsboms, "sboms", false, "sbom", m->in.sboms, m->given);
	if (!rc)
		rc = copy_all(pk, a->roots, a->nroots, "roots", false, "trust-root", m->in.roots,
			      m->given);
	if (!rc)
		rc = copy_all(pk, a->crls, a->ncrls, "crls", false, "crl", m->in.crls, m->given);
	if (!rc)
		rc = evidence_derive_files(pk, &m->in, m->idx);
	if (!rc && a->ledger)
		rc = ev_ledger_collect(pk, a, &m->in, m->idx);
	if (!rc && !interrupted())
		rc = evidence_derive_ledger(pk, &m->in, m->idx);
	if (!rc && interrupted())
		rc = ev_problem(pk->probs, SG_EENV, a->out, "interrupted");
	if (!rc) {
		json_object_set(m->idx, "files", pk->files);
		rc = write_index(pk, m->idx);
	}
	return rc;
}

/* The first problem, on stderr, naming the file as the user gave it. */
static int report_first(const struct ev_problems *p, const json_t *given)
{
	json_t *e = json_array_get(p->list, 0);
	const char *file = json_string_value(json_object_get(e, "file"));
	const char *user = json_string_value(json_object_get(given, file ? file : ""));
	fprintf(stderr, "signet evidence: %s: %s\n", user ? user : file,
		json_string_value(json_object_get(e, "reason")));
	return p->status;
}

/* fsyncs every directory of the pack, so that its names are durable. */
static int sync_dir(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type != FTW_D && type != FTW_DP)
		return 0;
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = fd >= 0 && fsync(fd) == 0 ? 0 : -1;
	if (fd >= 0)
		close(fd);
	return rc;
}

static int publish(const char *tmp, const char *out)
{
	struct sg_err err;
	if (nftw(tmp, sync_dir, 16, FTW_PHYS) || rename(tmp, out)) {
		fprintf(stderr, "signet evidence: %s: cannot publish the pack: %s\n", out,
			strerror(errno));
		return SG_EENV;
	}
	if (sg_fsync_dir(out, &err))
		return cli_report(&err);
	return SG_OK;
}

static int build(struct make *m, const char *tmp, int cwd)
{
	if (chdir(tmp)) {
		fprintf(stderr, "signet evidence: %s: %s\n", tmp, strerror(errno));
		return SG_EENV;
	}
	int rc = collect(m);
	if (fchdir(cwd) && !rc) {
		fprintf(stderr, "signet evidence: cannot return to the directory: %s\n",
			strerror(errno));
		rc = SG_EENV;
	} else if (rc) {
		report_first(m->pk.probs, m->given);
	}
	return rc;
}

int evidence_make(const struct ev_make_args *a)
{
	struct sg_err err;
	uint64_t now;
	int rc = out_free(a->out);
	if (rc)
		return rc;
	if (sg_now(&now, &err))
		return cli_report(&err);
	if (!getcwd(start_dir, sizeof start_dir)) {
		fprintf(stderr, "signet evidence: the current directory: %s\n", strerror(errno));
		return SG_EENV;
	}
	struct ev_problems probs = { json_array(), false, SG_OK, false };
	struct make m = { .a = a, .idx = index_head(a, now), .given = json_object() };
	m.pk = (struct ev_pack){ false, json_array(), &probs };
	m.in = (struct ev_inputs){ .envelopes = json_array(), .sboms = json_array(),
				   .roots = json_array(), .crls = json_array(),
				   .proofs = json_array(), .kind = a->units ? "units" : "release",
				   .since = a->since, .until = a->until };
	struct ev_make_args abs = *a;
	abs.ledger_file = a->ledger ? absolute(a->ledger) : NULL;
	abs.pubkey_file = a->ledger_pubkey && access(a->ledger_pubkey, F_OK) == 0
				  ? absolute(a->ledger_pubkey)
				  : a->ledger_pubkey ? strdup(a->ledger_pubkey) : NULL;
	m.a = &abs;
	char *tmp = NULL;
	int cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	hold_signals();
	if (cwd < 0 || asprintf(&tmp, "%s.tmp-XXXXXX", a->out) < 0 || !mkdtemp(tmp)) {
		fprintf(stderr, "signet evidence: %s: cannot create the pack's directory: %s\n",
			a->out, strerror(errno));
		rc = SG_EENV;
		free(tmp);
		tmp = NULL;
	} else {
		rc = build(&m, tmp, cwd);
		if (!rc && interrupted())
			rc = SG_EENV;
		if (!rc)
			rc = publish(tmp, a->out);
		if (rc)
			remove_tree(tmp);
	}
	if (!rc)
		printf("%s: %zu files\n", a->out, json_array_size(m.pk.files) + 2);
	release_signals();
	if (cwd >= 0)
		close(cwd);
	free(tmp);
	free(abs.ledger_file);
	free(abs.pubkey_file);
	json_decref(m.idx);
	json_decref(m.given);
	json_decref(m.pk.files);
	json_decref(probs.list);
	json_decref(m.in.envelopes);
	json_decref(m.in.sboms);
	json_decref(m.in.roots);
	json_decref(m.in.crls);
	json_decref(m.in.proofs);
	return rc;
}
