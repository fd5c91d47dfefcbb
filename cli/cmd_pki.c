/* signet pki: a device and release PKI whose CA keys stay in the token. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "signet/atomic_file.h"
#include "cli.h"
#include "signet/fileio.h"
#include "signet/num.h"
#include "signet/pki.h"
#include "json_out.h"
#include "pki_batch.h"
#include "pki_ledger.h"

static const char usage_text[] =
	"usage: signet pki init-root --key URI --subject DN --validity DAYS|forever\n"
	"                  [--profile root|matter-paa [--vid HEX]] [--module PATH]\n"
	"                  [--db PATH [--ledger L [--ledger-key URI]]] [--json] -o ROOT.pem\n"
	"       signet pki init-ca --key URI --issuer-key URI --issuer-cert ROOT.pem\n"
	"                  --profile factory-ca|code-signing-ca|matter-pai --subject DN\n"
	"                  [--vid HEX [--pid HEX]] [--validity DAYS|forever] [--module PATH]\n"
	"                  [--db PATH [--ledger L [--ledger-key URI]]] [--json] -o CA.pem\n"
	"       signet pki issue --ca-key URI --ca-cert CA.pem (--csr REQ | --pubkey PUB.pem)\n"
	"                  --profile idevid|code-signing|matter-dac [--subject DN]\n"
	"                  [--serial-number DEVICE_SN] [--hw-type OID] [--vid HEX --pid HEX]\n"
	"                  [--validity DAYS|forever] [--module PATH] [--db PATH [--reissue]\n"
	"                  [--ledger L [--ledger-key URI]]] [--json] -o CERT.pem\n"
	"       signet pki issue ... --csr-dir DIR --out-dir DIR [--jobs N] [--json]\n"
	"                  (instead of --csr and -o)\n"
	"       signet pki revoke --db PATH --serial HEX [--reason REASON]\n"
	"                  [--ledger L [--ledger-key URI] [--module PATH]]\n"
	"       signet pki crl --ca-key URI --ca-cert CA.pem --db PATH [--next-update DAYS]\n"
	"                  [--ledger L [--ledger-key URI]] [--module PATH] -o CA.crl\n"
	"       signet pki verify --root ROOT.pem [--untrusted CA.pem] [--crl CA.crl]\n"
	"                  [--profile P] CERT.pem\n"
	"       signet pki list --db PATH [--json]\n"
	"\n"
	"Certificates are signed by CA keys in a PKCS#11 token (ecdsa-p256, ecdsa-p384,\n"
	"rsa-3072, rsa-4096; RSA signs RSASSA-PSS with SHA-256). Every certificate is\n"
	"checked against its profile before it is signed; a refusal names the rule\n"
	"(exit 1). Serials are 16 random bytes from the token. DN is /CN=name/O=org.\n"
	"The subject is built from --subject and the profile, never copied from a CSR;\n"
	"a CSR's signature must verify (proof of possession). --validity defaults to\n"
	"the issuer's notAfter; it must lie inside the issuer's validity.\n"
	"idevid (IEEE 802.1AR) needs --serial-number and --hw-type (hardwareModuleName).\n"
	"A CA issues one kind only (rule issuer.profile): a root issues CAs, factory-ca\n"
	"idevid, code-signing-ca (extendedKeyUsage codeSigning) code-signing and\n"
	"matter-pai matter-dac; pki verify and signet verify --trust-root check the same.\n"
	"The database (SQLite) records every certificate, keeps serials unique and one\n"
	"live certificate per device serial and profile (--reissue supersedes it).\n"
	"REASON: unspecified, keyCompromise, cACompromise, affiliationChanged,\n"
	"superseded, cessationOfOperation, privilegeWithdrawn.\n"
	"Batch: issue --csr-dir DIR --out-dir OUT issues OUT/NAME.pem for every\n"
	"DIR/NAME.csr in one process (one login; idevid takes NAME as the device\n"
	"serial). Each certificate is written and recorded together or not at all (a\n"
	"rerun writes an idevid on record whose file is missing from the database); a\n"
	"refused CSR is reported and skipped (exit 1 at the end). --jobs N signs on N\n"
	"threads, each with its own token session (default: the number of CPUs, at\n"
	"most 8; 1 to 64).\n"
	"Matter (matter-paa, matter-pai, matter-dac): P-256 keys, ecdsa-with-SHA256;\n"
	"--vid/--pid (1 to 4 hex digits) go into the subject as the Matter vendor and\n"
	"product id attributes; matter-pai needs --vid, matter-dac --vid and --pid,\n"
	"equal to the PAI's.\n"
	"--ledger L records each certificate issued (batch: one record each), each\n"
	"revocation and each CRL in the audit ledger L (cert.issued, cert.revoked,\n"
	"crl.issued; docs/ledger.md), in agreement with the database: what the ledger\n"
	"is owed is written to the database with the change and appended after the\n"
	"commit; what a crash left owed is appended by the next pki --ledger run, never\n"
	"twice. --ledger-key URI then cuts a checkpoint of L.\n"
	"--json (init-root, init-ca, issue): one JSON object on stdout describing the\n"
	"certificate as written (batch: every CSR, issued or refused); nothing on\n"
	"stdout when the command fails (docs/json.md).\n"
	"$SOURCE_DATE_EPOCH, when set, is the issuance time. See docs/pki.md.\n";

enum {
	O_KEY = 256, O_ISSUER_KEY, O_ISSUER_CERT, O_SUBJECT, O_VALIDITY, O_PROFILE, O_VID, O_PID,
	O_CSR, O_PUBKEY, O_SERIAL_NUMBER, O_HW_TYPE, O_DB, O_REISSUE, O_SERIAL, O_REASON,
	O_ROOT, O_UNTRUSTED, O_CRL, O_JSON, O_MODULE, O_NEXT_UPDATE, O_CSR_DIR, O_OUT_DIR,
	O_JOBS, O_LEDGER, O_LEDGER_KEY,
};

static const struct option options[] = {
	{ "key", required_argument, NULL, O_KEY },
	{ "issuer-key", required_argument, NULL, O_ISSUER_KEY },
	{ "ca-key", required_argument, NULL, O_ISSUER_KEY },
	{ "issuer-cert", required_argument, NULL, O_ISSUER_CERT },
	{ "ca-cert", required_argument, NULL, O_ISSUER_CERT },
	{ "subject", required_argument, NULL, O_SUBJECT },
	{ "validity", required_argument, NULL, O_VALIDITY },
	{ "profile", required_argument, NULL, O_PROFILE },
	{ "vid", required_argument, NULL, O_VID },
	{ "pid", required_argument, NULL, O_PID },
	{ "csr", required_argument, NULL, O_CSR },
	{ "pubkey", required_argument, NULL, O_PUBKEY },
	{ "serial-number", required_argument, NULL, O_SERIAL_NUMBER },
	{ "hw-type", required_argument, NULL, O_HW_TYPE },
	{ "db", required_argument, NULL, O_DB },
	{ "reissue", no_argument, NULL, O_REISSUE },
	{ "serial", required_argument, NULL, O_SERIAL },
	{ "reason", required_argument, NULL, O_REASON },
	{ "root", required_argument, NULL, O_ROOT },
	{ "untrusted", required_argument, NULL, O_UNTRUSTED },
	{ "crl", required_argument, NULL, O_CRL },
	{ "json", no_argument, NULL, O_JSON },
	{ "module", required_argument, NULL, O_MODULE },
	{ "next-update", required_argument, NULL, O_NEXT_UPDATE },
	{ "csr-dir", required_argument, NULL, O_CSR_DIR },
	{ "out-dir", required_argument, NULL, O_OUT_DIR },
	{ "jobs", required_argument, NULL, O_JOBS },
	{ "ledger", required_argument, NULL, O_LEDGER },
	{ "ledger-key", required_argument, NULL, O_LEDGER_KEY },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

#define MAX_FILES 8

struct pki_args {
	const char *key, *issuer_key, *issuer_cert, *subject, *validity, *profile, *vid, *pid;
	const char *csr, *pubkey, *serial_number, *hw_type, *db, *serial, *reason, *module;
	const char *next_update, *out, *csr_dir, *out_dir, *jobs, *ledger, *ledger_key;
	const char *roots[MAX_FILES], *untrusted[MAX_FILES], *crls[MAX_FILES];
	int nroots, nuntrusted, ncrls;
	bool reissue, json;
	const char *arg; /* the one positional argument (verify) */
	struct wire *w;  /* --ledger: open, or without a ledger */
};

static int add_file(const char **list, int *n, const char *opt)
{
	if (*n == MAX_FILES)
		return cli_usage_error("pki", "at most %d files for --%s", MAX_FILES, opt);
	list[(*n)++] = optarg;
	return SG_OK;
}

static int parse(int argc, char **argv, struct pki_args *a)
{
	int c, rc = SG_OK;
	opterr = 0;
	while (rc == SG_OK && (c = getopt_long(argc, argv, "ho:", options, NULL)) != -1) {
		switch (c) {
		case O_KEY: a->key = optarg; break;
		case O_ISSUER_KEY: a->issuer_key = optarg; break;
		case O_ISSUER_CERT: a->issuer_cert = optarg; break;
		case O_SUBJECT: a->subject = optarg; break;
		case O_VALIDITY: a->validity = optarg; break;
		case O_PROFILE: a->profile = optarg; break;
		case O_VID: a->vid = optarg; break;
		case O_PID: a->pid = optarg; break;
		case O_CSR: a->csr = optarg; break;
		case O_PUBKEY: a->pubkey = optarg; break;
		case O_SERIAL_NUMBER: a->serial_number = optarg; break;
		case O_HW_TYPE: a->hw_type = optarg; break;
		case O_DB: a->db = optarg; break;
		case O_REISSUE: a->reissue = true; break;
		case O_SERIAL: a->serial = optarg; break;
		case O_REASON: a->reason = optarg; break;
		case O_ROOT: rc = add_file(a->roots, &a->nroots, "root"); break;
		case O_UNTRUSTED: rc = add_file(a->untrusted, &a->nuntrusted, "untrusted"); break;
		case O_CRL: rc = add_file(a->crls, &a->ncrls, "crl"); break;
		case O_JSON: a->json = true; break;
		case O_MODULE: a->module = optarg; break;
		case O_NEXT_UPDATE: a->next_update = optarg; break;
		case O_JOBS: a->jobs = optarg; break;
		case O_LEDGER: a->ledger = optarg; break;
		case O_LEDGER_KEY: a->ledger_key = optarg; break;
		case O_CSR_DIR: a->csr_dir = optarg; break;
		case O_OUT_DIR: a->out_dir = optarg; break;
		case 'o': a->out = optarg; break;
		default:
			return cli_usage_error("pki", "unknown or incomplete option '%s'",
					       argv[optind - 1]);
		}
	}
	return rc;
}

/* ---- helpers */

/* $SOURCE_DATE_EPOCH, else the clock: the time that goes into outputs. */
static int issue_time(time_t *now)
{
	uint64_t v = 0;
	struct sg_err err;
	int rc = sg_now(&v, &err);
	*now = (time_t)v;
	return rc == SG_OK ? SG_OK : cli_report(&err);
}

/* The profile a subcommand allows; Matter ones are named but refused. */
static int get_profile(const char *name, const enum sg_pki_profile *allowed, size_t n,
		       enum sg_pki_profile *out)
{
	enum sg_pki_profile p = sg_pki_profile_parse(name);
	if (p != SG_PROF_NONE && !sg_pki_profile_supported(p)) {
		struct sg_err err;
		sg_errf(&err, SG_EINPUT, "profile %s is not yet supported (Matter profiles come in a "
			"later release)", name);
		return cli_report(&err);
	}
	for (size_t i = 0; i < n; i++)
		if (p == allowed[i]) {
			*out = p;
			return SG_OK;
		}
	char list[128] = "";
	for (size_t i = 0; i < n; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
			 sg_pki_profile_name(allowed[i]));
	return cli_usage_error("pki", "--profile '%s': use %s", name, list);
}

/* --vid/--pid: which profile needs or takes which (the library checks
 * again), normalised to the 4 upper-case hex digits certificates carry. */
static int matter_ids(const struct pki_args *a, enum sg_pki_profile p, struct sg_pki_subject *s)
{
	static char vid[5], pid[5];
	bool dac = p == SG_PROF_MATTER_DAC, pai = p == SG_PROF_MATTER_PAI;
	if ((dac || pai) && !a->vid)
		return cli_usage_error("pki", "profile %s needs --vid", sg_pki_profile_name(p));
	if (dac && !a->pid)
		return cli_usage_error("pki", "profile matter-dac needs --pid");
	if (p == SG_PROF_MATTER_PAA && a->pid)
		return cli_usage_error("pki", "profile matter-paa takes no --pid");
	struct sg_err err;
	if ((a->vid && sg_pki_matter_id(a->vid, "--vid", vid, &err)) ||
	    (a->pid && sg_pki_matter_id(a->pid, "--pid", pid, &err)))
		return cli_report(&err);
	s->vid = a->vid ? vid : NULL;
	s->pid = a->pid ? pid : NULL;
	return SG_OK;
}

static int get_validity(const char *s, long long *days)
{
	uint64_t v;
	if (!s) {
		*days = 0;
		return SG_OK;
	}
	if (!strcmp(s, "forever")) {
		*days = SG_PKI_FOREVER;
		return SG_OK;
	}
	if (cli_parse_u64("pki", "--validity", s, 3000000, &v))
		return SG_EINPUT;
	if (v == 0)
		return cli_usage_error("pki", "--validity 0: give at least 1 day");
	*days = (long long)v;
	return SG_OK;
}

/* The subject's public key: a CSR (its signature checked; *spki gets its
 * encoding) or a key file (*spki NULL). Both are the caller's to free. */
static int load_subject_key(const struct pki_args *a, EVP_PKEY **key, X509_PUBKEY **spki,
			    struct sg_err *err)
{
	const char *path = a->csr ? a->csr : a->pubkey;
	uint8_t *buf;
	size_t len;
	*key = NULL;
	*spki = NULL;
	int rc = sg_read_file(path, 1 << 20, &buf, &len, err);
	if (rc)
		return rc;
	if (!a->csr)
		rc = sg_pki_pubkey(buf, len, path, key, err);
	else if (!(rc = sg_pki_csr_key(buf, len, path, spki, err)) &&
		 !EVP_PKEY_up_ref(*key = X509_PUBKEY_get0(*spki)))
		rc = sg_errf(err, SG_EENV, "out of memory");
	free(buf);
	return rc;
}

/* PEM of a certificate or CRL into the open atomic file, flushed to disk
 * but not yet under its name. */
static int write_pem(struct sg_atomic_file *f, X509 *x, X509_CRL *crl, struct sg_err *err)
{
	BIO *mem = BIO_new(BIO_s_mem());
	char *pem;
	long n = 0;
	if (mem && (x ? PEM_write_bio_X509(mem, x) : PEM_write_bio_X509_CRL(mem, crl)))
		n = BIO_get_mem_data(mem, &pem);
	int rc = n > 0 ? sg_atomic_write(f, pem, (size_t)n, err)
		       : sg_errf(err, SG_EENV, "cannot encode PEM");
	BIO_free(mem);
	if (rc == SG_OK && fsync(f->fd) != 0)
		rc = sg_errf(err, SG_EENV, "%s: cannot write: %s", f->path, strerror(errno));
	return rc;
}

/* Publishes a certificate or CRL that db's open transaction (if any)
 * records: the file's bytes on disk first, then the commit, then the file
 * under its name. A failure before the commit rolls the record back, a
 * failed rename takes it back, so a failed run leaves neither a record
 * nor a file (docs/pki.md). */
static int publish(struct sg_atomic_file *f, struct sg_pki_db *db, X509 *x, X509_CRL *crl,
		   struct sg_err *err)
{
	int rc = write_pem(f, x, crl, err);
	if (rc == SG_OK && db)
		rc = sg_pki_db_commit(db, err);
	if (rc) {
		if (db)
			sg_pki_db_rollback(db);
		return rc;
	}
	if ((rc = sg_atomic_finish(f, SG_ATOMIC_NO_FSYNC, err)) == SG_OK || !db)
		return rc;
	struct sg_err why;
	if (x ? sg_pki_db_unrecord(db, x, &why) : sg_pki_db_crl_unnumber(db, crl, &why)) {
		char first[sizeof(err->msg)];
		snprintf(first, sizeof(first), "%s", err->msg);
		sg_errf(err, rc, "%s (and it stays on record: %s)", first, why.msg);
	}
	return rc;
}

static void describe(const char *what, X509 *x, const char *out)
{
	char sn[41], name[256];
	sg_pki_serial_hex(X509_get0_serialNumber(x), sn, sizeof(sn));
	X509_NAME_oneline(X509_get_subject_name(x), name, sizeof(name));
	fprintf(stderr, "signet: %s %s, serial %s, written to %s\n", what, name, sn, out);
}

/* After the command's commit: its records into the ledger, then the
 * checkpoint (--ledger-key). The change itself is done: a failure here
 * leaves its records owed to the ledger, in the database. */
static int ledger_after(const struct pki_args *a, struct sg_pki_db *db, struct sg_hsm_ctx *h,
			struct sg_err *err)
{
	int rc = pki_ledger_settle(a->w, db, err);
	return rc ? rc : wire_checkpoint(a->w, h, err);
}

/* ---- issuing: init-root, init-ca, issue share one path */

struct issue_job {
	const char *what;          /* "root", "CA", "certificate" */
	const char *command;       /* "pki issue" ..., for --json */
	const char *signer_uri;    /* the CA key */
	const char *issuer_cert;   /* NULL for a root */
	const char *subject_uri;   /* init-ca: the new CA's key in the token */
	struct sg_pki_subject s;
};

/* --json: the certificate as published, its record and the ledger's. */
static int print_issued(const struct pki_args *a, const struct issue_job *j,
			struct sg_pki_db *db, struct sg_err *err)
{
	json_t *o = jo_new("signet.pki-issue/1", j->command);
	json_t *m = pki_issued_json(a->out, sg_pki_profile_name(j->s.profile), db, a->db, err);
	if (!m) {
		json_decref(o);
		return err->status;
	}
	if (o && (json_object_update(o, m) || json_object_set_new(o, "ledger", jo_ledger(a->w)))) {
		json_decref(o);
		o = NULL;
	}
	json_decref(m);
	return jo_print(o, err);
}

static int run_issue(struct sg_hsm_ctx *h, const struct pki_args *a, struct issue_job *j,
		     struct sg_err *err)
{
	struct sg_hsm_key *signer, *subject_key = NULL;
	struct sg_pki_ca *ca = NULL;
	struct sg_pki_db *db = NULL;
	X509 *issuer = NULL, *cert = NULL;
	EVP_PKEY *owned_key = NULL;
	struct sg_atomic_file f = { .fd = -1 };
	int rc;
	if ((rc = sg_hsm_key_open(h, j->signer_uri, &signer, err)))
		return rc;
	if (j->issuer_cert && (rc = sg_pki_load_cert(j->issuer_cert, &issuer, err)))
		return rc;
	if ((rc = sg_pki_ca_new(signer, issuer, &ca, err)))
		goto out;
	if (!j->s.key) { /* root: its own key; CA: the new key in the token */
		if (j->subject_uri && (rc = sg_hsm_key_open(h, j->subject_uri, &subject_key, err)))
			goto out;
		if (!(owned_key = sg_hsm_key_pkey(j->subject_uri ? subject_key : signer))) {
			rc = sg_errf(err, SG_EENV, "cannot decode the token's public key");
			goto out;
		}
		j->s.key = owned_key;
	}
	/* What a crash left owed to the ledger goes in first. */
	if (a->db && ((rc = sg_pki_db_open(a->db, &db, err)) || (rc = pki_ledger_settle(a->w, db, err))))
		goto out;
	/* Open the output first: a bad path fails before anything is recorded. */
	if ((rc = sg_atomic_open(&f, a->out, err)) || (db && (rc = sg_pki_db_begin(db, err))))
		goto out;
	/* batch: in our transaction, committed by publish once the file is written. */
	struct sg_pki_issue_opts o = { .db = db, .reissue = a->reissue, .batch = true };
	if ((rc = sg_pki_issue(ca, &j->s, &o, &cert, err)) == SG_OK &&
	    (!db || (rc = pki_ledger_owe_cert(a->w, db, cert, err)) == SG_OK) &&
	    (rc = publish(&f, db, cert, NULL, err)) == SG_OK) {
		describe(j->what, cert, a->out);
		rc = ledger_after(a, db, h, err);
		if (rc == SG_OK && a->json)
			rc = print_issued(a, j, db, err);
	}
out:
	if (db)
		sg_pki_db_rollback(db);
	sg_atomic_abort(&f);
	X509_free(cert);
	X509_free(issuer);
	EVP_PKEY_free(owned_key);
	sg_pki_db_close(db);
	sg_pki_ca_free(ca);
	return rc;
}

static int need(const char *v, const char *sub, const char *opt)
{
	return v ? SG_OK : cli_usage_error("pki", "%s needs %s", sub, opt);
}

static int do_init_root(struct sg_hsm_ctx *h, const struct pki_args *a, time_t now)
{
	static const enum sg_pki_profile ok[] = { SG_PROF_ROOT, SG_PROF_MATTER_PAA };
	struct issue_job j = { .what = "root", .command = "pki init-root", .signer_uri = a->key };
	int rc;
	if ((rc = need(a->key, "init-root", "--key")) || (rc = need(a->subject, "init-root", "--subject")) ||
	    (rc = need(a->validity, "init-root", "--validity")) || (rc = need(a->out, "init-root", "-o")) ||
	    (rc = get_profile(a->profile ? a->profile : "root", ok, 2, &j.s.profile)) ||
	    (rc = get_validity(a->validity, &j.s.validity_days)) ||
	    (rc = matter_ids(a, j.s.profile, &j.s)))
		return rc;
	j.s.dn = a->subject;
	j.s.now = now;
	struct sg_err err = { 0 };
	return run_issue(h, a, &j, &err) ? cli_report(&err) : SG_OK;
}

static int do_init_ca(struct sg_hsm_ctx *h, const struct pki_args *a, time_t now)
{
	static const enum sg_pki_profile ok[] = { SG_PROF_FACTORY_CA, SG_PROF_CODE_SIGNING_CA,
						  SG_PROF_MATTER_PAI };
	struct issue_job j = { .what = "CA", .command = "pki init-ca", .signer_uri = a->issuer_key,
			       .issuer_cert = a->issuer_cert, .subject_uri = a->key };
	int rc;
	if ((rc = need(a->key, "init-ca", "--key")) ||
	    (rc = need(a->issuer_key, "init-ca", "--issuer-key")) ||
	    (rc = need(a->issuer_cert, "init-ca", "--issuer-cert")) ||
	    (rc = need(a->profile, "init-ca", "--profile")) ||
	    (rc = need(a->subject, "init-ca", "--subject")) || (rc = need(a->out, "init-ca", "-o")) ||
	    (rc = get_profile(a->profile, ok, 3, &j.s.profile)) ||
	    (rc = get_validity(a->validity, &j.s.validity_days)) ||
	    (rc = matter_ids(a, j.s.profile, &j.s)))
		return rc;
	j.s.dn = a->subject;
	j.s.now = now;
	struct sg_err err = { 0 };
	return run_issue(h, a, &j, &err) ? cli_report(&err) : SG_OK;
}

/* A batch's certificate just recorded, in the group's transaction: its
 * record owed to the ledger. */
struct batch_ledger {
	struct wire *w;
	struct sg_pki_db *db;
};

static int batch_owe(void *arg, size_t item, X509 *cert, struct sg_err *err)
{
	struct batch_ledger *bl = arg;
	(void)item;
	return pki_ledger_owe_cert(bl->w, bl->db, cert, err);
}

/* --csr-dir: the CA, its key and the database opened once for the run. */
static int run_batch(struct sg_hsm_ctx *h, const struct pki_args *a, struct sg_pki_batch *b,
		     struct sg_err *err)
{
	X509 *issuer = NULL;
	int rc;
	b->hsm = h;
	if ((rc = sg_hsm_key_open(h, a->issuer_key, &b->signer, err)) ||
	    (rc = sg_pki_load_cert(a->issuer_cert, &issuer, err)) ||
	    (rc = sg_pki_ca_new(b->signer, issuer, &b->ca, err)) ||
	    (a->db && (rc = sg_pki_db_open(a->db, &b->db, err))) ||
	    (b->db && (rc = pki_ledger_settle(a->w, b->db, err)))) {
		X509_free(issuer);
		sg_pki_db_close(b->db);
		sg_pki_ca_free(b->ca);
		return cli_report(err);
	}
	struct batch_ledger bl = { a->w, b->db };
	if (a->w->l) {
		b->on_record = batch_owe;
		/* cppcheck-suppress autoVariables ; reset to NULL below, before bl goes */
		b->arg = &bl;
	}
	struct pki_batch_json json = { a->db, NULL };
	rc = pki_batch_run(a->csr_dir, b, a->json ? &json : NULL);
	b->on_record = NULL; /* bl dies with this frame: b must not point to it */
	b->arg = NULL;
	/* What the groups committed, into the ledger (also after a failure). */
	int lrc = b->db ? ledger_after(a, b->db, h, err) : SG_OK;
	if (lrc)
		cli_report(err);
	/* The object when every CSR went through (some may have been refused). */
	if (!lrc && json.obj) {
		if (json_object_set_new(json.obj, "ledger", jo_ledger(a->w)))
			json_decref(json.obj), json.obj = NULL;
		if ((lrc = jo_print(json.obj, err)))
			cli_report(err);
	} else {
		json_decref(json.obj);
	}
	rc = rc ? rc : lrc;
	X509_free(issuer);
	sg_pki_db_close(b->db);
	sg_pki_ca_free(b->ca);
	return rc;
}

/* --jobs, 1 to SG_PKI_BATCH_SIGNERS_MAX; by default the CPUs, at most 8. */
static int get_jobs(const char *text, unsigned *n)
{
	uint64_t v;
	if (!text) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		*n = cpus < 1 ? 1 : cpus > 8 ? 8 : (unsigned)cpus;
		return SG_OK;
	}
	int rc = cli_parse_u64("pki", "--jobs", text, SG_PKI_BATCH_SIGNERS_MAX, &v);
	if (!rc && v == 0)
		rc = cli_usage_error("pki", "--jobs 0: give 1 to %d", SG_PKI_BATCH_SIGNERS_MAX);
	*n = (unsigned)v;
	return rc;
}

static int do_issue_batch(struct sg_hsm_ctx *h, const struct pki_args *a,
			  const struct issue_job *j)
{
	if (!a->csr_dir || !a->out_dir)
		return cli_usage_error("pki", "batch issue needs both --csr-dir and --out-dir");
	if (a->csr || a->pubkey || a->out || a->serial_number)
		return cli_usage_error("pki", "--csr-dir takes no --csr, --pubkey, -o or "
				       "--serial-number (idevid: the CSR's file name is the serial)");
	if (j->s.profile == SG_PROF_IDEVID && !a->hw_type)
		return cli_usage_error("pki", "profile idevid needs --hw-type");
	if (j->s.profile != SG_PROF_IDEVID && a->hw_type)
		return cli_usage_error("pki", "--hw-type is for profile idevid");
	if (j->s.profile == SG_PROF_CODE_SIGNING && !a->subject)
		return cli_usage_error("pki", "profile code-signing needs --subject");
	if (a->reissue && !a->db)
		return cli_usage_error("pki", "--reissue needs --db");
	struct sg_pki_batch b = { .out_dir = a->out_dir, .reissue = a->reissue, .s = j->s };
	int rc = get_jobs(a->jobs, &b.signers);
	if (rc)
		return rc;
	b.s.dn = a->subject;
	b.s.hw_type = a->hw_type;
	struct sg_err err = { 0 };
	return run_batch(h, a, &b, &err);
}

static int do_issue(struct sg_hsm_ctx *h, const struct pki_args *a, time_t now)
{
	static const enum sg_pki_profile ok[] = { SG_PROF_IDEVID, SG_PROF_CODE_SIGNING,
						  SG_PROF_MATTER_DAC };
	struct issue_job j = { .what = "certificate", .command = "pki issue",
			       .signer_uri = a->issuer_key,
			       .issuer_cert = a->issuer_cert };
	int rc;
	if ((rc = need(a->issuer_key, "issue", "--ca-key")) ||
	    (rc = need(a->issuer_cert, "issue", "--ca-cert")) ||
	    (rc = need(a->profile, "issue", "--profile")) ||
	    (!a->csr_dir && !a->out_dir && (rc = need(a->out, "issue", "-o"))) ||
	    (rc = get_profile(a->profile, ok, 3, &j.s.profile)) ||
	    (rc = get_validity(a->validity, &j.s.validity_days)) ||
	    (rc = matter_ids(a, j.s.profile, &j.s)))
		return rc;
	j.s.now = now;
	if (a->csr_dir || a->out_dir)
		return do_issue_batch(h, a, &j);
	if (!a->csr == !a->pubkey)
		return cli_usage_error("pki", "issue needs one of --csr or --pubkey");
	if (a->jobs)
		return cli_usage_error("pki", "--jobs is for batch issue (--csr-dir)");
	if (j.s.profile == SG_PROF_IDEVID && (!a->serial_number || !a->hw_type))
		return cli_usage_error("pki", "profile idevid needs --serial-number and --hw-type");
	if (j.s.profile != SG_PROF_IDEVID && (a->serial_number || a->hw_type))
		return cli_usage_error("pki", "--serial-number and --hw-type are for profile idevid");
	if (j.s.profile == SG_PROF_CODE_SIGNING && !a->subject)
		return cli_usage_error("pki", "profile code-signing needs --subject");
	if (a->reissue && !a->db)
		return cli_usage_error("pki", "--reissue needs --db");
	struct sg_err err = { 0 };
	EVP_PKEY *key;
	X509_PUBKEY *spki;
	if ((rc = load_subject_key(a, &key, &spki, &err))) {
		EVP_PKEY_free(key);
		X509_PUBKEY_free(spki);
		return cli_report(&err);
	}
	j.s.key = key;
	j.s.spki = spki;
	j.s.dn = a->subject;
	j.s.device_serial = a->serial_number;
	j.s.hw_type = a->hw_type;
	j.s.now = now;
	rc = run_issue(h, a, &j, &err);
	EVP_PKEY_free(key);
	X509_PUBKEY_free(spki);
	return rc ? cli_report(&err) : SG_OK;
}

/* ---- revoke, crl, list, verify */

static int do_revoke(struct sg_hsm_ctx *h, const struct pki_args *a, time_t now)
{
	int rc;
	if ((rc = need(a->db, "revoke", "--db")) || (rc = need(a->serial, "revoke", "--serial")))
		return rc;
	int reason = sg_pki_reason_parse(a->reason ? a->reason : "unspecified");
	if (reason < 0)
		return cli_usage_error("pki", "--reason '%s': unknown reason", a->reason);
	struct sg_err err = { 0 };
	struct sg_pki_db *db;
	if ((rc = sg_pki_db_open(a->db, &db, &err)))
		return cli_report(&err);
	/* The revocation and what it owes the ledger in one transaction. */
	if (!(rc = pki_ledger_settle(a->w, db, &err)) && !(rc = sg_pki_db_begin(db, &err)) &&
	    !(rc = sg_pki_db_revoke(db, a->serial, reason, now, &err)) &&
	    !(rc = pki_ledger_owe_revoked(a->w, db, a->serial, &err)) &&
	    !(rc = sg_pki_db_commit(db, &err))) {
		fprintf(stderr, "signet: revoked %s (%s)\n", a->serial, sg_pki_reason_name(reason));
		rc = ledger_after(a, db, h, &err);
	}
	sg_pki_db_rollback(db);
	sg_pki_db_close(db);
	return rc ? cli_report(&err) : SG_OK;
}

static int crl_count(X509_CRL *crl)
{
	int n = sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl));
	return n > 0 ? n : 0; /* an empty list is a NULL stack: -1 */
}

static int do_crl(struct sg_hsm_ctx *h, const struct pki_args *a, time_t now)
{
	int rc;
	uint64_t days = 30;
	if ((rc = need(a->issuer_key, "crl", "--ca-key")) ||
	    (rc = need(a->issuer_cert, "crl", "--ca-cert")) || (rc = need(a->db, "crl", "--db")) ||
	    (rc = need(a->out, "crl", "-o")) ||
	    (a->next_update && (rc = cli_parse_u64("pki", "--next-update", a->next_update, 3650,
						   &days))))
		return rc;
	struct sg_err err = { 0 };
	struct sg_hsm_key *key;
	struct sg_pki_ca *ca = NULL;
	struct sg_pki_db *db = NULL;
	X509 *cert = NULL;
	X509_CRL *crl = NULL;
	struct sg_atomic_file f = { .fd = -1 };
	if (!(rc = sg_pki_load_cert(a->issuer_cert, &cert, &err)) &&
	    !(rc = sg_hsm_key_open(h, a->issuer_key, &key, &err)) &&
	    !(rc = sg_pki_ca_new(key, cert, &ca, &err)) && !(rc = sg_pki_db_open(a->db, &db, &err)) &&
	    !(rc = pki_ledger_settle(a->w, db, &err)) &&
	    !(rc = sg_atomic_open(&f, a->out, &err)) && !(rc = sg_pki_db_begin(db, &err)) &&
	    !(rc = sg_pki_crl_in_txn(ca, db, now, (long long)days, &crl, &err)) &&
	    !(rc = pki_ledger_owe_crl(a->w, db, crl, now, &err)) &&
	    !(rc = publish(&f, db, NULL, crl, &err))) {
		fprintf(stderr, "signet: CRL with %d revoked certificate(s) written to %s\n",
			crl_count(crl), a->out);
		rc = ledger_after(a, db, h, &err);
	}
	if (db)
		sg_pki_db_rollback(db);
	sg_atomic_abort(&f);
	X509_CRL_free(crl);
	sg_pki_db_close(db);
	sg_pki_ca_free(ca);
	X509_free(cert);
	return rc ? cli_report(&err) : SG_OK;
}

struct list_state {
	bool json;
	unsigned n;
};

static void json_field(const char *name, const char *v, bool comma)
{
	printf("%s\"%s\":", comma ? "," : "", name);
	if (v)
		json_str(stdout, v);
	else
		fputs("null", stdout);
}

static int print_record(const struct sg_pki_record *r, void *arg)
{
	struct list_state *st = arg;
	if (!st->json) {
		printf("%s %-10s %-15s %s%s%s\n", r->serial, r->status, r->profile, r->subject,
		       r->reason ? " reason=" : "", r->reason ? r->reason : "");
		return 0;
	}
	fputs(st->n++ ? ",\n{" : "\n{", stdout);
	json_field("serial", r->serial, false);
	json_field("status", r->status, true);
	json_field("profile", r->profile, true);
	json_field("subject", r->subject, true);
	json_field("device_serial", r->device_serial, true);
	json_field("key_id", r->key_id, true);
	json_field("issuer", r->issuer, true);
	json_field("issuer_key_id", r->issuer_key_id, true);
	printf(",\"not_before\":%lld,\"not_after\":%lld,\"issued_at\":%lld", r->not_before,
	       r->not_after, r->issued_at);
	if (r->revoked_at)
		printf(",\"revoked_at\":%lld", r->revoked_at);
	json_field("reason", r->reason, true);
	fputs(",\"der\":", stdout);
	json_hex(stdout, r->der, r->der_len);
	fputc('}', stdout);
	return 0;
}

static int do_list(const struct pki_args *a)
{
	int rc = need(a->db, "list", "--db");
	if (rc)
		return rc;
	struct sg_err err = { 0 };
	struct sg_pki_db *db;
	if ((rc = sg_pki_db_open(a->db, &db, &err)))
		return cli_report(&err);
	struct list_state st = { a->json, 0 };
	if (a->json)
		fputc('[', stdout);
	rc = sg_pki_db_list(db, print_record, &st, &err);
	if (a->json)
		fputs(st.n ? "\n]\n" : "]\n", stdout);
	sg_pki_db_close(db);
	return rc ? cli_report(&err) : SG_OK;
}

static int do_verify(const struct pki_args *a)
{
	enum sg_pki_profile profile = SG_PROF_NONE;
	if (a->nroots == 0 || !a->arg)
		return cli_usage_error("pki", "verify needs --root and a certificate");
	if (a->profile) {
		static const enum sg_pki_profile ok[] = {
			SG_PROF_ROOT,	    SG_PROF_FACTORY_CA, SG_PROF_CODE_SIGNING_CA,
			SG_PROF_IDEVID,	    SG_PROF_CODE_SIGNING, SG_PROF_MATTER_PAA,
			SG_PROF_MATTER_PAI, SG_PROF_MATTER_DAC,
		};
		int rc = get_profile(a->profile, ok, sizeof(ok) / sizeof(ok[0]), &profile);
		if (rc)
			return rc;
	}
	struct sg_err err = { 0 };
	STACK_OF(X509) *roots = sk_X509_new_null(), *untrusted = sk_X509_new_null();
	STACK_OF(X509_CRL) *crls = sk_X509_CRL_new_null();
	X509 *cert = NULL;
	int rc = roots && untrusted && crls ? SG_OK : sg_errf(&err, SG_EENV, "out of memory");
	for (int i = 0; rc == SG_OK && i < a->nroots; i++)
		rc = sg_pki_load_certs(a->roots[i], roots, &err);
	for (int i = 0; rc == SG_OK && i < a->nuntrusted; i++)
		rc = sg_pki_load_certs(a->untrusted[i], untrusted, &err);
	for (int i = 0; rc == SG_OK && i < a->ncrls; i++)
		rc = sg_pki_load_crl(a->crls[i], crls, &err);
	if (rc == SG_OK)
		rc = sg_pki_load_cert(a->arg, &cert, &err);
	if (rc == SG_OK)
		rc = sg_pki_verify(cert, roots, untrusted, crls, profile, time(NULL), &err);
	X509_free(cert);
	sk_X509_pop_free(roots, X509_free);
	sk_X509_pop_free(untrusted, X509_free);
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
	if (rc)
		return cli_report(&err);
	printf("%s: valid\n", a->arg);
	return SG_OK;
}

/* The subcommands that change the database (and may record in a ledger). */
static int run_changing(const char *sub, struct sg_hsm_ctx *h, const struct pki_args *a,
			time_t now)
{
	if (!strcmp(sub, "init-root"))
		return do_init_root(h, a, now);
	if (!strcmp(sub, "init-ca"))
		return do_init_ca(h, a, now);
	if (!strcmp(sub, "issue"))
		return do_issue(h, a, now);
	if (!strcmp(sub, "revoke"))
		return do_revoke(h, a, now);
	return do_crl(h, a, now);
}

int cmd_pki(int argc, char **argv)
{
	if (argc < 2 || cli_wants_help(argc, argv)) {
		fputs(usage_text, argc < 2 ? stderr : stdout);
		return argc < 2 ? SG_EINPUT : SG_OK;
	}
	const char *sub = argv[1];
	struct pki_args a = { 0 };
	int rc = parse(argc - 1, argv + 1, &a);
	if (rc)
		return rc;
	int rest = argc - 1 - optind;
	char **restv = argv + 1 + optind;
	if (rest > (strcmp(sub, "verify") ? 0 : 1))
		return cli_usage_error("pki", "unexpected argument '%s'", restv[rest - 1]);
	a.arg = rest ? restv[0] : NULL;
	/* A pipeline that asks for JSON must not get text it then fails to parse. */
	if (a.json && (!strcmp(sub, "revoke") || !strcmp(sub, "crl") || !strcmp(sub, "verify")))
		return cli_usage_error("pki", "%s has no --json", sub);
	if ((a.vid || a.pid) &&
	    !(a.profile && sg_pki_profile_parse(a.profile) >= SG_PROF_MATTER_PAA))
		return cli_usage_error("pki", "--vid and --pid are for the Matter profiles");
	time_t now;
	if ((rc = issue_time(&now)))
		return rc;
	if (!strcmp(sub, "list"))
		return a.ledger ? cli_usage_error("pki", "list takes no --ledger") : do_list(&a);
	if (!strcmp(sub, "verify"))
		return a.ledger ? cli_usage_error("pki", "verify takes no --ledger") : do_verify(&a);
	if (strcmp(sub, "init-root") && strcmp(sub, "init-ca") && strcmp(sub, "issue") &&
	    strcmp(sub, "crl") && strcmp(sub, "revoke"))
		return cli_usage_error("pki", "unknown subcommand '%s'", sub);
	/* The database holds what the ledger is owed until it has it. */
	if (a.ledger && !a.db)
		return cli_usage_error("pki", "--ledger needs --db");
	struct wire w;
	if ((rc = wire_open(&w, "pki", a.ledger, a.ledger_key)))
		return rc;
	a.w = &w;
	/* revoke uses the token only for a checkpoint. */
	struct sg_hsm_ctx *h = strcmp(sub, "revoke") || a.ledger_key ? cli_hsm_ctx_new(a.module)
								      : NULL;
	if (!h && (strcmp(sub, "revoke") || a.ledger_key)) {
		struct sg_err err;
		wire_close(&w);
		sg_errf(&err, SG_EENV, "out of memory");
		return cli_report(&err);
	}
	if (!(rc = wire_check_key(&w, h)))
		rc = run_changing(sub, h, &a, now);
	sg_hsm_ctx_free(h);
	wire_close(&w);
	return rc;
}
