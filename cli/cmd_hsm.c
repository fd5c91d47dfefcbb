/* signet hsm: list, keygen, import, pubkey. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "signet/atomic_file.h"
#include "cli.h"
#include "signet/hsm.h"

static const char usage_text[] =
	"usage: signet hsm list [--module PATH] [--json] [URI]\n"
	"       signet hsm keygen --type TYPE --key URI [--module PATH]\n"
	"       signet hsm import --key URI --from FILE [--module PATH]\n"
	"       signet hsm pubkey --key URI [--module PATH] [-o FILE]\n"
	"\n"
	"list    tokens of the module and the keys on each (type, size/curve, label,\n"
	"        id, and the key id signatures carry: SHA-256 of the public key) with\n"
	"        the RFC 7512 URI of each, without login; when URI names one token and\n"
	"        a PIN is available (pin-source= in URI, or $SIGNET_PIN), logs in to\n"
	"        that token only and lists its private keys too\n"
	"keygen  generate a key pair inside the token: TYPE is ecdsa-p256, ecdsa-p384,\n"
	"        ed25519, rsa-3072 or rsa-4096; the private key is sensitive, never\n"
	"        extractable and sign-only; refuses an existing label or id\n"
	"import  put a private key made elsewhere into the token, for development and\n"
	"        CI keys (production keys are generated with keygen, never imported):\n"
	"        FILE is PKCS#8 PEM or DER, '-' for standard input; the key is kept as\n"
	"        keygen's (sensitive, never extractable, sign-only); refuses an\n"
	"        encrypted key, other key types, an existing label or id, and a token\n"
	"        that would keep the key extractable\n"
	"pubkey  the public key as PEM SubjectPublicKeyInfo (stdout, or FILE atomically);\n"
	"        no PIN needed when the token shows the public key object\n"
	"\n"
	"Module: module-path= in the URI, --module, or $SIGNET_PKCS11_MODULE.\n"
	"PIN: pin-source=file:PATH in the URI, $SIGNET_PIN, or a no-echo prompt on a\n"
	"terminal. There is no PIN option: a PIN never goes on a command line.\n";

enum { O_MODULE = 256, O_JSON, O_TYPE, O_KEY, O_FROM };

static const struct option options[] = {
	{ "module", required_argument, NULL, O_MODULE },
	{ "json", no_argument, NULL, O_JSON },
	{ "type", required_argument, NULL, O_TYPE },
	{ "key", required_argument, NULL, O_KEY },
	{ "from", required_argument, NULL, O_FROM },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct hsm_args {
	const char *module, *type, *key, *out, *from;
	bool json;
};

static int parse(int argc, char **argv, struct hsm_args *a)
{
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "ho:", options, NULL)) != -1) {
		switch (c) {
		case O_MODULE:
			a->module = optarg;
			break;
		case O_JSON:
			a->json = true;
			break;
		case O_TYPE:
			a->type = optarg;
			break;
		case O_KEY:
			a->key = optarg;
			break;
		case O_FROM:
			a->from = optarg;
			break;
		case 'o':
			a->out = optarg;
			break;
		default:
			return cli_usage_error("hsm", "unknown or incomplete option '%s'",
					       argv[optind - 1]);
		}
	}
	return SG_OK;
}

struct list_state {
	bool json;
	unsigned n;
};

static int print_item(const struct sg_hsm_item *it, void *arg)
{
	struct list_state *st = arg;
	if (st->json) {
		fputs(st->n++ ? ",\n" : "\n", stdout);
		if (it->is_token) {
			fputs("{\"kind\":\"token\",\"label\":", stdout);
			json_str(stdout, it->token_label);
			fputs(",\"manufacturer\":", stdout);
			json_str(stdout, it->manufacturer);
			fputs(",\"model\":", stdout);
			json_str(stdout, it->model);
			fputs(",\"serial\":", stdout);
			json_str(stdout, it->serial);
			fprintf(stdout, ",\"initialized\":%s", it->initialized ? "true" : "false");
		} else {
			fputs("{\"kind\":\"key\",\"token\":", stdout);
			json_str(stdout, it->token_label);
			fputs(",\"type\":", stdout);
			json_str(stdout, it->key_type ? sg_key_type_name(it->key_type) : "unsupported");
			fputs(",\"description\":", stdout);
			json_str(stdout, it->key_desc);
			fputs(",\"label\":", stdout);
			json_str(stdout, it->label);
			fputs(",\"id\":", stdout);
			json_str(stdout, it->id_hex);
			fputs(",\"key_id\":", stdout);
			json_str(stdout, it->key_id);
			fprintf(stdout, ",\"private_key_seen\":%s", it->has_private ? "true" : "false");
			fprintf(stdout, ",\"generated_in_token\":%s",
				it->generated_in_token < 0 ? "null"
				: it->generated_in_token ? "true"
							 : "false");
		}
		fputs(",\"uri\":", stdout);
		json_str(stdout, it->uri);
		fputc('}', stdout);
		return 0;
	}
	if (it->is_token)
		printf("token '%s' (%s %s, serial %s)%s\n  %s\n", it->token_label,
		       it->manufacturer, it->model, it->serial,
		       it->initialized ? "" : " [not initialized]", it->uri);
	else
		printf("  key %-10s %-9s label '%s' id %s%s\n    key id %s\n    %s\n",
		       it->key_type ? sg_key_type_name(it->key_type) : "unsupported", it->key_desc,
		       it->label, it->id_hex[0] ? it->id_hex : "-",
		       it->has_private ? "" : " (public key only seen)",
		       it->key_id[0] ? it->key_id : "-", it->uri);
	return 0;
}

static int do_list(struct sg_hsm_ctx *h, const struct hsm_args *a, const char *uri)
{
	struct list_state st = { a->json, 0 };
	struct sg_err err = { 0 };
	if (a->json)
		fputc('[', stdout);
	int rc = sg_hsm_list(h, uri, print_item, &st, &err);
	if (a->json)
		fputs(st.n ? "\n]\n" : "]\n", stdout);
	return rc ? cli_report(&err) : SG_OK;
}

static int do_keygen(struct sg_hsm_ctx *h, const struct hsm_args *a)
{
	if (!a->key || !a->type)
		return cli_usage_error("hsm", "keygen needs --type and --key");
	enum sg_key_type t = sg_key_type_parse(a->type);
	if (!t)
		return cli_usage_error("hsm",
				       "--type '%s': use ecdsa-p256, ecdsa-p384, ed25519, rsa-3072 "
				       "or rsa-4096",
				       a->type);
	struct sg_err err = { 0 };
	if (sg_hsm_keygen(h, a->key, t, &err))
		return cli_report(&err);
	fprintf(stderr, "signet: generated %s key %s\n", sg_key_type_name(t), a->key);
	return SG_OK;
}

/* Reads the key file (standard input for "-") into one buffer of
 * SG_KEY_FILE_MAX + 1 bytes, locked when the system lets us (out of swap):
 * no copies, no temp file. The caller cleanses it (key_buf_free). */
static int key_read(const char *path, uint8_t **buf, size_t *len, struct sg_err *err)
{
	bool in = strcmp(path, "-") == 0;
	const char *name = in ? "standard input" : path;
	*buf = NULL;
	*len = 0;
	if (in && isatty(STDIN_FILENO))
		return sg_errf(err, SG_EINPUT, "standard input is a terminal: pipe the key in");
	int fd = in ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return sg_errf(err, SG_EINPUT, "%s: %s", path, strerror(errno));
	int rc = SG_OK;
	if (!(*buf = malloc(SG_KEY_FILE_MAX + 1))) {
		rc = sg_errf(err, SG_EENV, "out of memory");
	} else {
		(void)mlock(*buf, SG_KEY_FILE_MAX + 1); /* best effort */
		while (*len <= SG_KEY_FILE_MAX) {
			ssize_t r = read(fd, *buf + *len, SG_KEY_FILE_MAX + 1 - *len);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0) {
				rc = sg_errf(err, errno == EISDIR ? SG_EINPUT : SG_EENV,
					     "%s: cannot read: %s", name, strerror(errno));
				break;
			}
			if (r == 0)
				break;
			*len += (size_t)r;
		}
	}
	if (!in)
		close(fd);
	return rc;
}

static void key_buf_free(uint8_t *buf)
{
	if (!buf)
		return;
	OPENSSL_cleanse(buf, SG_KEY_FILE_MAX + 1);
	munlock(buf, SG_KEY_FILE_MAX + 1);
	free(buf);
}

static int do_import(struct sg_hsm_ctx *h, const struct hsm_args *a)
{
	if (!a->key || !a->from)
		return cli_usage_error("hsm", "import needs --key and --from");
	struct sg_err err = { 0 };
	/* No core file may hold the key, from before it is read. */
	if (sg_hsm_no_core_dumps(&err) != SG_OK)
		return cli_report(&err);
	uint8_t *buf;
	size_t len;
	EVP_PKEY *pkey = NULL;
	enum sg_key_type type;
	int rc = key_read(a->from, &buf, &len, &err);
	if (rc == SG_OK)
		rc = sg_hsm_private_key_decode(buf, len,
					       strcmp(a->from, "-") ? a->from : "standard input",
					       &pkey, &type, &err);
	key_buf_free(buf);
	struct sg_hsm_imported made;
	if (rc == SG_OK)
		rc = sg_hsm_import(h, a->key, pkey, &made, &err);
	EVP_PKEY_free(pkey);
	if (rc != SG_OK)
		return cli_report(&err);
	fprintf(stderr, "signet: imported %s key %s (key id %s)\n", sg_key_type_name(type),
		a->key, made.key_id);
	return SG_OK;
}

static int do_pubkey(struct sg_hsm_ctx *h, const struct hsm_args *a)
{
	if (!a->key)
		return cli_usage_error("hsm", "pubkey needs --key");
	struct sg_err err = { 0 };
	uint8_t spki[SG_SPKI_MAX];
	size_t len;
	enum sg_key_type type;
	if (sg_hsm_pubkey(h, a->key, spki, &len, &type, &err))
		return cli_report(&err);
	EVP_PKEY *pkey = sg_hsm_spki_pkey(spki, len);
	BIO *mem = BIO_new(BIO_s_mem());
	char *pem = NULL;
	long pem_len = 0;
	if (pkey && mem && PEM_write_bio_PUBKEY(mem, pkey))
		pem_len = BIO_get_mem_data(mem, &pem);
	int rc = SG_OK;
	if (pem_len <= 0)
		rc = sg_errf(&err, SG_EENV, "key %s: cannot encode the public key", a->key);
	else if (a->out)
		rc = sg_write_file_atomic(a->out, pem, (size_t)pem_len, &err);
	else if (fwrite(pem, 1, (size_t)pem_len, stdout) != (size_t)pem_len)
		rc = sg_errf(&err, SG_EENV, "stdout: write failed");
	BIO_free(mem);
	EVP_PKEY_free(pkey);
	return rc ? cli_report(&err) : SG_OK;
}

int cmd_hsm(int argc, char **argv)
{
	if (argc < 2 || cli_wants_help(argc, argv)) {
		fputs(usage_text, argc < 2 ? stderr : stdout);
		return argc < 2 ? SG_EINPUT : SG_OK;
	}
	const char *sub = argv[1];
	struct hsm_args a = { 0 };
	int rc = parse(argc - 1, argv + 1, &a);
	if (rc)
		return rc;
	int rest = argc - 1 - optind;
	char **restv = argv + 1 + optind;
	if (strcmp(sub, "list") && rest)
		return cli_usage_error("hsm", "unexpected argument '%s'", restv[0]);
	if (!strcmp(sub, "list") && rest > 1)
		return cli_usage_error("hsm", "list takes at most one URI");
	struct sg_hsm_ctx *h = cli_hsm_ctx_new(a.module);
	if (!h) {
		struct sg_err err;
		sg_errf(&err, SG_EENV, "out of memory");
		return cli_report(&err);
	}
	if (!strcmp(sub, "list"))
		rc = do_list(h, &a, rest ? restv[0] : NULL);
	else if (!strcmp(sub, "keygen"))
		rc = do_keygen(h, &a);
	else if (!strcmp(sub, "import"))
		rc = do_import(h, &a);
	else if (!strcmp(sub, "pubkey"))
		rc = do_pubkey(h, &a);
	else
		rc = cli_usage_error("hsm", "unknown subcommand '%s'", sub);
	sg_hsm_ctx_free(h);
	return rc;
}
