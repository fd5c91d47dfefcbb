/* C2SP tlog-checkpoint bodies and their signed notes (signet/checkpoint.h). */
#include "signet/checkpoint.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "note_priv.h"
#include "signet/base64.h"
#include "signet/num.h"

int sg_checkpoint_format(const struct sg_checkpoint *cp, char *buf, size_t size, size_t *len,
			 struct sg_err *err)
{
	if (strnlen(cp->origin, sizeof(cp->origin)) == sizeof(cp->origin))
		return sg_errf(err, SG_EINPUT, "checkpoint origin is longer than %d bytes",
			       SG_NOTE_NAME_MAX);
	int rc = sg_checkpoint_origin_check_n(cp->origin, strlen(cp->origin), "checkpoint origin",
					      err);
	if (rc)
		return rc;
	char root[SG_BASE64_LEN(sizeof(cp->root)) + 1], body[SG_CHECKPOINT_BODY_MAX + 1];
	int n = snprintf(body, sizeof(body), "%s\n%" PRIu64 "\n%s\n", cp->origin, cp->size,
			 sg_base64_encode(cp->root, sizeof(cp->root), root));
	if (n < 0 || (size_t)n > size)
		return sg_errf(err, SG_EINPUT, "checkpoint: buffer of %zu bytes too small", size);
	memcpy(buf, body, (size_t)n);
	*len = (size_t)n;
	return SG_OK;
}

/* The next line of [*p, end) without its newline, into *line and *line_len;
 * -1 when no newline is left. */
static int next_line(const char **p, const char *end, const char **line, size_t *line_len)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	if (!nl)
		return -1;
	*line = *p;
	*line_len = (size_t)(nl - *p);
	*p = nl + 1;
	return 0;
}

static int parse_size(const char *s, size_t len, uint64_t *size, struct sg_err *err)
{
	char digits[21];
	/* sg_parse_u64: decimal only, no leading zero, no sign, no overflow. */
	/* A NUL would end the copy early: "0\0\0" must not read as 0. */
	if (len == 0 || len >= sizeof(digits) || memchr(s, '\0', len))
		return sg_errf(err, SG_EINPUT,
			       "checkpoint: line 2: tree size is not a decimal number");
	memcpy(digits, s, len);
	digits[len] = '\0';
	if (sg_parse_u64(digits, 0, UINT64_MAX, size))
		return sg_errf(err, SG_EINPUT,
			       "checkpoint: line 2: tree size is not a decimal number "
			       "without leading zeros");
	return SG_OK;
}

int sg_checkpoint_parse(const char *body, size_t len, struct sg_checkpoint *cp, struct sg_err *err)
{
	struct sg_checkpoint c = { 0 };
	const char *p = body, *end = body + len, *line[3];
	size_t line_len[3], root_len;
	for (int i = 0; i < 3; i++)
		if (next_line(&p, end, &line[i], &line_len[i]))
			return sg_errf(err, SG_EINPUT,
				       "checkpoint: line %d is missing or has no newline", i + 1);
	int rc = sg_checkpoint_origin_check_n(line[0], line_len[0], "checkpoint: line 1: origin",
					      err);
	if (rc || (rc = parse_size(line[1], line_len[1], &c.size, err)))
		return rc;
	if (sg_base64_decode(line[2], line_len[2], c.root, sizeof(c.root), &root_len) ||
	    root_len != sizeof(c.root))
		return sg_errf(err, SG_EINPUT,
			       "checkpoint: line 3: root hash is not canonical base64 "
			       "of 32 bytes");
	/* Extension lines are opaque to monitors and signet writes none. */
	if (p != end)
		return sg_errf(err, SG_EINPUT,
			       "checkpoint: line 4: extension lines are not accepted");
	memcpy(c.origin, line[0], line_len[0]);
	*cp = c;
	return SG_OK;
}

int sg_checkpoint_sign(struct sg_hsm_key *key, const struct sg_checkpoint *cp, const char *name,
		       char *buf, size_t size, size_t *len, struct sg_err *err)
{
	char body[SG_CHECKPOINT_BODY_MAX];
	size_t body_len;
	int rc = sg_checkpoint_format(cp, body, sizeof(body), &body_len, err);
	if (rc)
		return rc;
	enum sg_key_type type = sg_hsm_key_type(key);
	if (type != SG_KEY_ED25519 && type != SG_KEY_ECDSA_P256)
		return sg_errf_param(err, SG_EINPUT, "key",
				     "%s: a %s key cannot sign checkpoints "
				     "(ed25519 or ecdsa-p256)",
				     sg_hsm_key_uri(key), sg_key_type_name(type));
	/* The origin is the key name unless one is given: then it must be
	 * one (no space, no '+'), which the tlog-checkpoint spec only
	 * recommends of origins. */
	if (!name || !*name) {
		name = cp->origin;
		rc = sg_note_name_check(name, "checkpoint origin (the key name when none is given)",
					err);
		if (rc)
			return rc;
	}
	EVP_PKEY *pub = sg_hsm_key_pkey(key);
	if (!pub)
		return sg_errf(err, SG_EENV, "out of memory");
	struct sg_note_key nk;
	rc = sg_note_key_from_pkey(pub, name, &nk, err);
	EVP_PKEY_free(pub);
	if (rc)
		return rc;
	rc = sg_note_sign_text(key, &nk, body, body_len, buf, size, len, err);
	sg_note_key_clear(&nk);
	return rc;
}

int sg_checkpoint_verify(const char *note, size_t len, const struct sg_note_key *keys, size_t nkeys,
			 struct sg_checkpoint *cp, struct sg_err *err)
{
	struct sg_checkpoint c;
	size_t text_len;
	/* The body first: unnamed keys stand for its origin. */
	int rc = sg_note_split(note, len, &text_len, err);
	if (rc || (rc = sg_checkpoint_parse(note, text_len, &c, err)) ||
	    (rc = sg_note_verify(note, len, keys, nkeys, c.origin, &text_len, err)))
		return rc;
	*cp = c;
	return SG_OK;
}
