/* signet pki issue --csr-dir: the directory scan and the messages; the
 * issuing is sg_pki_batch_run's (pki/batch.c). */

#include "pki_batch.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

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

static void print_refused(void *arg, size_t item, int status, const struct sg_err *err,
			  const X509 *cert)
{
	(void)arg, (void)item, (void)cert;
	if (status != SG_OK)
		cli_report(err);
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

int pki_batch_run(const char *csr_dir, struct sg_pki_batch *b)
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
	int rc = n ? list_items(csr_dir, names, n, &files, &items, &err) : SG_OK;
	if (rc == SG_OK) {
		b->items = items;
		b->nitems = (size_t)n;
		b->on_result = print_refused;
		b->on_note = print_note;
		rc = sg_pki_batch_run(b, &st, &err);
	}
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
	return rc ? rc : st.worst;
}
