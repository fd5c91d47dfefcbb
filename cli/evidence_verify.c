/* signet evidence verify: the whole pack re-checked offline, in the order
 * docs/evidence.md gives: the index, every file's hash, no file outside
 * the index, the derivation again from the pack's files (inspections,
 * chains, SBOMs, checkpoint, proofs, counts) against what index.json
 * states, the trusted ledger keys, and index.html. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "evidence.h"
#include "ledger.h"
#include "signet/fileio.h"

#define INDEX_MAX (64u << 20)

static struct ev_problems *walk_probs;
static json_t *walk_listed;

/* A pack path: relative, no "." or ".." element, no empty element. */
static bool safe_path(const char *p)
{
	if (!p || !*p || p[0] == '/')
		return false;
	for (const char *s = p; s; s = strchr(s, '/') ? strchr(s, '/') + 1 : NULL)
		if (*s == '/' || !*s || !strncmp(s, "./", 2) || !strcmp(s, ".") ||
		    !strncmp(s, "../", 3) || !strcmp(s, ".."))
			return false;
	return true;
}

/* Step 2: each listed file is there with its size and SHA-256. */
static void check_files(struct ev_problems *pr, const json_t *files, json_t *listed)
{
	size_t i;
	json_t *f;
	json_array_foreach(files, i, f) {
		const char *path = json_string_value(json_object_get(f, "path"));
		const char *sha = json_string_value(json_object_get(f, "sha256"));
		json_int_t size = json_integer_value(json_object_get(f, "size"));
		uint8_t got[32];
		uint64_t got_size;
		char hex[65];
		struct sg_err err;
		struct stat st;
		if (!safe_path(path) || !strcmp(path, "index.json") || !strcmp(path, "index.html")) {
			ev_problem(pr, SG_FAIL, "index.json", "files[%zu]: not a path inside the pack", i);
		} else if (lstat(path, &st)) {
			ev_problem(pr, SG_FAIL, path, "missing (index.json lists it)");
		} else if (!S_ISREG(st.st_mode)) {
			ev_problem(pr, SG_FAIL, path, "not a regular file");
		} else if (ev_hash_file(path, got, &got_size, &err)) {
			ev_problem(pr, SG_FAIL, path, "%s", err.msg);
		} else if ((json_int_t)got_size != size || !sha || strcmp(sg_hex(got, 32, hex), sha)) {
			ev_problem(pr, SG_FAIL, path, "its SHA-256 or size is not index.json's");
		}
		if (safe_path(path))
			json_object_set_new(listed, path, json_true());
		if (ev_stop(pr))
			return;
	}
}

/* Step 3: nothing in the pack that the index does not list. */
static int stray(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_D || type == FTW_DP)
		return 0;
	const char *p = path[0] == '.' && path[1] == '/' ? path + 2 : path;
	if (!strcmp(p, "index.json") || !strcmp(p, "index.html") || json_object_get(walk_listed, p))
		return 0;
	ev_problem(walk_probs, SG_FAIL, p, "not listed in index.json");
	return ev_stop(walk_probs);
}

/* ---- step 4: the derivation again, compared */

static const char *strv(const json_t *o, const char *name)
{
	return json_string_value(json_object_get(o, name));
}

/* The pack paths of member `name` of each item of list. */
static json_t *paths_of(const json_t *list, const char *name)
{
	json_t *a = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v)
		if (strv(v, name))
			json_array_append_new(a, json_string(strv(v, name)));
	return a;
}

/* The first place where want and got differ, as a JSON-pointer-like path. */
static void first_diff(const json_t *want, const json_t *got, char *at, size_t size)
{
	size_t n = strlen(at);
	if (json_is_object(want) && json_is_object(got)) {
		const char *k;
		json_t *v;
		json_object_foreach((json_t *)want, k, v)
			if (!json_equal(v, json_object_get(got, k))) {
				snprintf(at + n, size - n, "/%s", k);
				first_diff(v, json_object_get(got, k), at, size);
				return;
			}
		json_object_foreach((json_t *)got, k, v)
			if (!json_object_get(want, k)) {
				snprintf(at + n, size - n, "/%s", k);
				return;
			}
	} else if (json_is_array(want) && json_is_array(got)) {
		for (size_t i = 0; i < json_array_size(want) && i < json_array_size(got); i++)
			if (!json_equal(json_array_get(want, i), json_array_get(got, i))) {
				snprintf(at + n, size - n, "/%zu", i);
				first_diff(json_array_get(want, i), json_array_get(got, i), at, size);
				return;
			}
	}
}

static void compare(struct ev_problems *pr, const json_t *idx, const json_t *derived)
{
	static const char *const members[] = { "signet_sbom", "sboms", "trust_roots", "crls",
					       "releases", "ledger", "units" };
	for (size_t i = 0; i < sizeof members / sizeof members[0] && !ev_stop(pr); i++) {
		json_t *want = json_object_get(derived, members[i]);
		json_t *got = json_object_get(idx, members[i]);
		if (!want)
			continue; /* not derived: the derivation stopped at a problem */
		if (!json_equal(want, got)) {
			char at[512];
			snprintf(at, sizeof at, "/%s", members[i]);
			first_diff(want, got, at, sizeof at);
			ev_problem(pr, SG_FAIL, "index.json", "%s is not what the pack's files give", at);
		}
	}
}

/* The inputs the index names, for the derivation. Malformed: NULL. */
static bool inputs_of(const json_t *idx, struct ev_inputs *in)
{
	const json_t *ledger = json_object_get(idx, "ledger"), *scope = json_object_get(idx, "scope");
	memset(in, 0, sizeof *in);
	in->kind = strv(idx, "kind");
	in->envelopes = paths_of(json_object_get(idx, "releases"), "envelope");
	in->sboms = paths_of(json_object_get(idx, "sboms"), "file");
	in->roots = paths_of(json_object_get(idx, "trust_roots"), "file");
	in->crls = paths_of(json_object_get(idx, "crls"), "file");
	in->proofs = paths_of(json_object_get(ledger, "records"), "proof");
	in->checkpoint = strv(ledger, "checkpoint");
	in->key = strv(ledger, "key");
	in->since = strv(scope, "since");
	in->until = strv(scope, "until");
	return in->kind && (!strcmp(in->kind, "release") || !strcmp(in->kind, "units")) &&
	       json_integer_value(json_object_get(idx, "signet_evidence")) == EVIDENCE_FORMAT &&
	       json_is_array(json_object_get(idx, "files")) &&
	       (json_is_null(ledger) || (in->checkpoint && in->key));
}

static void inputs_free(struct ev_inputs *in)
{
	json_decref(in->envelopes);
	json_decref(in->sboms);
	json_decref(in->roots);
	json_decref(in->crls);
	json_decref(in->proofs);
}

static void derive_again(struct ev_problems *pr, const json_t *idx, const struct ev_inputs *in)
{
	struct ev_pack pk = { true, NULL, pr };
	json_t *d = json_object();
	const char *own = strv(json_object_get(idx, "signet_sbom"), "file");
	int rc = SG_OK;
	json_t *s = own ? ev_sbom(&pk, own, &rc) : json_null();
	json_object_set_new(d, "signet_sbom", s ? s : json_null());
	if (!ev_stop(pr))
		evidence_derive_files(&pk, in, d);
	if (!ev_stop(pr))
		evidence_derive_ledger(&pk, in, d);
	if (!ev_stop(pr))
		compare(pr, idx, d);
	json_decref(d);
}

/* Step 5: the recorded ledger key is one the auditor trusts. */
static void trusted_key(struct ev_problems *pr, const json_t *idx, const char *const *pubkeys,
			int n)
{
	const json_t *ledger = json_object_get(idx, "ledger");
	const char *vkey = strv(ledger, "vkey"), *origin = strv(ledger, "origin");
	if (!vkey || !origin) {
		ev_problem(pr, SG_FAIL, "index.json", "the pack holds no ledger checkpoint to check "
						      "with --pubkey");
		return;
	}
	for (int i = 0; i < n; i++) {
		struct sg_note_key k = { 0 };
		struct sg_err err;
		char mine[1024];
		int rc = ledger_load_key(pubkeys[i], &k, &err);
		if (!rc)
			rc = sg_note_vkey(&k, origin, mine, sizeof mine, &err);
		sg_note_key_clear(&k);
		if (!rc && !strcmp(mine, vkey))
			return;
	}
	ev_problem(pr, SG_FAIL, strv(ledger, "key"), "not a key given with --pubkey");
}

/* Step 6: index.html is the page index.json gives. */
static void check_page(struct ev_problems *pr, const json_t *idx)
{
	struct ev_pack pk = { true, NULL, pr };
	char *html;
	size_t len;
	if (ev_html(idx, &html, &len)) {
		ev_problem(pr, SG_EENV, "index.html", "out of memory");
		return;
	}
	ev_put(&pk, "index.html", "page", html, len);
	free(html);
}

static int report(const char *dir, const struct ev_problems *pr, bool json)
{
	if (json) {
		json_t *o = json_pack("{s:s, s:b, s:i, s:O}", "pack", dir, "valid", pr->status == SG_OK,
				      "exit_code", pr->status, "problems", pr->list);
		json_dumpf(o, stdout, JSON_COMPACT);
		fputc('\n', stdout);
		json_decref(o);
	}
	if (pr->status == SG_OK) {
		fprintf(stderr, "signet evidence: %s: valid\n", dir);
	} else if (!json) {
		json_t *e = json_array_get(pr->list, 0);
		fprintf(stderr, "signet evidence: %s/%s: %s\n", dir, strv(e, "file"),
			strv(e, "reason"));
	}
	return pr->status;
}

/* Every file the index names as an input is one it lists (and so hashed). */
static void inputs_listed(struct ev_problems *pr, const struct ev_inputs *in, const json_t *idx,
			  const json_t *listed)
{
	const json_t *lists[] = { in->envelopes, in->sboms, in->roots, in->crls, in->proofs };
	const char *single[] = { in->checkpoint, in->key,
				 strv(json_object_get(idx, "signet_sbom"), "file") };
	size_t i;
	json_t *v;
	for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++)
		json_array_foreach(lists[l], i, v)
			if (!json_object_get(listed, json_string_value(v)))
				ev_problem(pr, SG_FAIL, "index.json", "names %s, which its files do not list",
					   json_string_value(v));
	for (size_t s = 0; s < sizeof single / sizeof single[0]; s++)
		if (single[s] && !json_object_get(listed, single[s]))
			ev_problem(pr, SG_FAIL, "index.json", "names %s, which its files do not list",
				   single[s]);
}

static int run_checks(struct ev_problems *pr, const json_t *idx, const char *const *pubkeys,
		      int npubkeys)
{
	struct ev_inputs in;
	json_t *listed = json_object();
	bool ok = inputs_of(idx, &in);
	if (!ok) {
		inputs_free(&in);
		json_decref(listed);
		return ev_problem(pr, SG_EINPUT, "index.json", "not a signet evidence index");
	}
	pr->in_pack = true;
	check_files(pr, json_object_get(idx, "files"), listed);
	walk_probs = pr;
	walk_listed = listed;
	if (!ev_stop(pr))
		nftw(".", stray, 16, FTW_PHYS);
	if (!ev_stop(pr))
		inputs_listed(pr, &in, idx, listed);
	if (!ev_stop(pr))
		derive_again(pr, idx, &in);
	if (!ev_stop(pr) && npubkeys)
		trusted_key(pr, idx, pubkeys, npubkeys);
	if (!ev_stop(pr))
		check_page(pr, idx);
	json_decref(listed);
	inputs_free(&in);
	return pr->status;
}

int evidence_verify(const char *dir, const char *const *pubkeys, int npubkeys, bool json)
{
	struct ev_problems pr = { json_array(), json, SG_OK, false };
	struct sg_err err;
	uint8_t *text = NULL;
	size_t len;
	json_t *idx = NULL;
	int cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cwd < 0 || chdir(dir)) {
		fprintf(stderr, "signet evidence: %s: %s\n", dir, strerror(errno));
		if (cwd >= 0)
			close(cwd);
		json_decref(pr.list);
		return errno == ENOENT || errno == ENOTDIR ? SG_EINPUT : SG_EENV;
	}
	int rc = sg_read_file("index.json", INDEX_MAX, &text, &len, &err);
	if (rc)
		ev_problem(&pr, SG_EINPUT, "index.json", "%s", err.msg);
	else if (!(idx = json_loadb((char *)text, len, JSON_REJECT_DUPLICATES, NULL)) ||
		 !json_is_object(idx))
		ev_problem(&pr, SG_EINPUT, "index.json", "not a JSON object");
	else
		run_checks(&pr, idx, pubkeys, npubkeys);
	if (fchdir(cwd))
		ev_problem(&pr, SG_EENV, ".", "cannot return to the directory: %s", strerror(errno));
	close(cwd);
	rc = report(dir, &pr, json);
	json_decref(idx);
	free(text);
	json_decref(pr.list);
	return rc;
}
