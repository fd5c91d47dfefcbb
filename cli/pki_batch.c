/* signet pki issue --csr-dir: the directory scan and the messages; the
 * issuing is sg_pki_batch_run's (pki/batch.c). */

#include "pki_batch.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "signet/chain.h"
#include "json_out.h"

#define NAME_MAX_LEN 200

/* One CSR file of the directory. */
struct csr_file {
	char path[4096];             /* CSR_DIR/NAME.csr */
	char name[NAME_MAX_LEN + 1]; /* NAME: the device */
};

static int is_csr(const struct dirent *d)
{
	size_t n = strlen(d->d_name);
	return n > 4 && n - 4 <= NAME_MAX_LEN && !strcmp(d->d_name + n - 4, ".csr") &&
	       d->d_name[0] != '.';
}

/* What a run learns of each item, for --json. */
struct item_result {
	bool seen;
	int status;
	char reason[sizeof(((struct sg_err *)0)->msg) + 256];
};

/* The run's own callback argument; the caller's on_record and arg are
 * called through it. */
struct run_ctx {
	int (*on_record)(void *arg, size_t item, X509 *cert, struct sg_err *err);
	void *arg;
	struct item_result *results; /* NULL without --json */
};

static int record_through(void *arg, size_t item, X509 *cert, struct sg_err *err)
{
	struct run_ctx *c = arg;
	return c->on_record(c->arg, item, cert, err);
}

static void on_result(void *arg, size_t item, int status, const struct sg_err *err,
		      const X509 *cert)
{
	struct run_ctx *c = arg;
	(void)cert;
	if (status != SG_OK)
		cli_report(err);
	if (!c->results)
		return;
	c->results[item].seen = true;
	c->results[item].status = status;
	if (status != SG_OK)
		cli_err_text(err, c->results[item].reason, sizeof c->results[item].reason);
}

static void print_note(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "signet: note: %s\n", msg);
}

static void print_summary(const struct sg_pki_batch_stats *st, int n, const char *out_dir)
{
	if (st->again)
		fprintf(stderr, "signet: issued %u of %d certificate(s) into %s (and wrote again %u "
			"issued before, whose file was missing)\n", st->issued, n, out_dir, st->again);
	else
		fprintf(stderr, "signet: issued %u of %d certificate(s) into %s\n", st->issued, n,
			out_dir);
}

/* The items for the n CSR files in names. */
static int list_items(const char *csr_dir, struct dirent **names, int n, struct csr_file **files,
		      struct sg_pki_batch_item **items, struct sg_err *err)
{
	*files = calloc((size_t)n, sizeof(**files));
	*items = calloc((size_t)n, sizeof(**items));
	if (!*files || !*items)
		return sg_errf(err, SG_EENV, "out of memory");
	for (int i = 0; i < n; i++) {
		struct csr_file *f = &(*files)[i];
		snprintf(f->path, sizeof(f->path), "%s/%s", csr_dir, names[i]->d_name);
		snprintf(f->name, sizeof(f->name), "%.*s", (int)strlen(names[i]->d_name) - 4,
			 names[i]->d_name);
		(*items)[i] = (struct sg_pki_batch_item){ .csr_path = f->path, .device = f->name };
	}
	return SG_OK;
}

/* The database record: in: its path; out: the object. */
struct record_json {
	const char *path;
	json_t *obj;
};

static int record_json(const struct sg_pki_record *r, void *arg)
{
	struct record_json *rj = arg;
	rj->obj = json_pack("{s:s, s:s, s:o, s:o}", "path", rj->path, "status", r->status,
			    "device_serial", jo_str(r->device_serial), "supersedes",
			    jo_str(r->supersedes));
	return 0;
}

json_t *pki_issued_json(const char *path, const char *profile, struct sg_pki_db *db,
			const char *db_path, struct sg_err *err)
{
	X509 *x = NULL;
	uint8_t key_id[SGE_KEY_ID_SIZE];
	char serial[2 * 20 + 8];
	struct record_json rec = { db_path, NULL };
	json_t *o = NULL, *cert;
	json_t *out = jo_file(path, err);
	if (!out || sg_pki_load_cert(path, &x, err)) {
		json_decref(out);
		return NULL;
	}
	sg_pki_serial_hex(X509_get0_serialNumber(x), serial, sizeof serial);
	if (db && sg_pki_db_find(db, serial, record_json, &rec, err))
		goto out;
	cert = jo_cert(x);
	if (cert && (json_object_set_new(cert, "profile", json_string(profile)) ||
		     sg_chain_key_id(x, key_id) ||
		     json_object_set_new(cert, "public_key_id", jo_hex(key_id, sizeof key_id)))) {
		json_decref(cert);
		cert = NULL;
	}
	o = json_pack("{s:o, s:o, s:o}", "output", out, "certificate", cert, "db",
		      rec.obj ? rec.obj : json_null());
	out = rec.obj = NULL;
	if (!o)
		sg_errf(err, SG_EENV, "out of memory");
out:
	json_decref(out);
	json_decref(rec.obj);
	X509_free(x);
	return o;
}

/* The signet.pki-issue-batch/1 object of a run that went through: each
 * CSR as issued (read back from its file) or refused, in name order. */
static json_t *batch_json(const struct sg_pki_batch *b, const struct csr_file *files, int n,
			  const struct item_result *res, const struct sg_pki_batch_stats *st,
			  const char *csr_dir, const char *db_path, struct sg_err *err)
{
	const char *profile = sg_pki_profile_name(b->s.profile);
	json_t *items = json_array();
	unsigned refused = 0;
	for (int i = 0; items && i < n; i++) {
		char out[4096 + NAME_MAX_LEN + 8];
		bool ok = res[i].seen && res[i].status == SG_OK;
		json_t *it = json_pack("{s:s, s:s, s:s, s:o}", "name", files[i].name, "csr",
				       files[i].path, "status", ok ? "issued" : "refused", "reason",
				       ok ? json_null() : json_string(res[i].reason));
		snprintf(out, sizeof out, "%s/%s.pem", b->out_dir, files[i].name);
		json_t *m = ok ? pki_issued_json(out, profile, b->db, db_path, err)
			       : json_pack("{s:n, s:n, s:n}", "output", "certificate", "db");
		refused += !ok;
		if (!it || !m || json_object_update(it, m) || json_array_append_new(items, it)) {
			json_decref(m);
			json_decref(items);
			return NULL; /* it is items' or freed with them */
		}
		json_decref(m);
	}
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:i, s:I, s:I, s:I}, s:o}", "schema",
			 "signet.pki-issue-batch/1", "command", "pki issue", "csr_dir", csr_dir,
			 "out_dir", b->out_dir, "profile", profile, "counts", "csrs", n, "issued",
			 (json_int_t)st->issued, "written_again", (json_int_t)st->again, "refused",
			 (json_int_t)refused, "certificates", items);
}

int pki_batch_run(const char *csr_dir, struct sg_pki_batch *b, struct pki_batch_json *json)
{
	struct sg_err err = { 0 };
	struct dirent **names = NULL;
	int n = scandir(csr_dir, &names, is_csr, alphasort);
	if (n < 0) {
		sg_errf(&err, SG_EENV, "%s: cannot list: %s", csr_dir, strerror(errno));
		return cli_report(&err);
	}
	struct csr_file *files = NULL;
	struct sg_pki_batch_item *items = NULL;
	struct sg_pki_batch_stats st = { 0 };
	struct run_ctx c = { b->on_record, b->arg, NULL };
	int rc = n ? list_items(csr_dir, names, n, &files, &items, &err) : SG_OK;
	if (rc == SG_OK && json && n && !(c.results = calloc((size_t)n, sizeof *c.results)))
		rc = sg_errf(&err, SG_EENV, "out of memory");
	if (rc == SG_OK) {
		b->items = items;
		b->nitems = (size_t)n;
		b->on_result = on_result;
		b->on_note = print_note;
		b->on_record = c.on_record ? record_through : NULL;
		b->arg = &c;
		rc = sg_pki_batch_run(b, &st, &err);
		b->on_record = c.on_record;
		b->arg = c.arg;
	}
	if (rc == SG_OK && json &&
	    !(json->obj = batch_json(b, files, n, c.results, &st, csr_dir, json->db_path, &err)))
		rc = err.msg[0] ? err.status : sg_errf(&err, SG_EENV, "out of memory");
	if (rc == SG_EINPUT && n == 0)
		sg_errf(&err, SG_EINPUT, "%s: no *.csr files", csr_dir);
	if (rc)
		cli_report(&err);
	if (st.signers)
		print_summary(&st, n, b->out_dir);
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(files);
	free(items);
	free(c.results);
	return rc ? rc : st.worst;
}
