/* The simulated device: its state file and the hardware callbacks the agent
 * calls (signet/agent.h). Every change is saved before the agent answers,
 * as flash would hold it; the power-cut fault loses the change instead. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>

#include "signet/atomic_file.h"
#include "signet/fileio.h"
#include "sim_priv.h"

/* The slots a simulated device has: a certificate, a chain, a key slot for
 * inject mode (secret), and a write-once (OTP) slot. */
const struct sgp_slot sim_slots[SIM_SLOTS] = {
	{SGP_SLOT_CERT, 0, 2048},
	{SGP_SLOT_CHAIN, 0, 4096},
	{SGP_SLOT_KEY, SGP_SLOT_SECRET, 128},
	{0x10, SGP_SLOT_WRITE_ONCE, 64},
};

static const uint8_t magic[8] = "SGSIM1\n";

static int slot_index(uint8_t id)
{
	for (int i = 0; i < SIM_SLOTS; i++)
		if (sim_slots[i].id == id)
			return i;
	return -1;
}

/* The file: magic, uid_len, uid[32], lock_bits (4, LE), has_key, priv[32],
 * pub[65], then per slot its length (4, LE) and bytes. Private to signet
 * sim; a file it cannot read is refused, not repaired. */
static size_t state_encode(const struct sim_device *d, uint8_t *out)
{
	size_t n = 0;

	memcpy(out, magic, 8), n += 8;
	out[n++] = d->uid_len;
	memcpy(out + n, d->uid, SGP_UID_MAX), n += SGP_UID_MAX;
	sgp_put32(out + n, d->lock_bits), n += 4;
	out[n++] = (uint8_t)d->has_key;
	memcpy(out + n, d->priv, 32), n += 32;
	memcpy(out + n, d->pub, SGP_P256_PUB_LEN), n += SGP_P256_PUB_LEN;
	for (int i = 0; i < SIM_SLOTS; i++) {
		sgp_put32(out + n, d->len[i]), n += 4;
		memcpy(out + n, d->data[i], d->len[i]), n += d->len[i];
	}
	return n;
}

#define STATE_MAX (8 + 1 + SGP_UID_MAX + 4 + 1 + 32 + SGP_P256_PUB_LEN + SIM_SLOTS * 4 + 2048 + 4096 + 128 + 64)

static int state_decode(struct sim_device *d, const uint8_t *in, size_t n)
{
	size_t off = 8 + 1 + SGP_UID_MAX + 4 + 1 + 32 + SGP_P256_PUB_LEN;

	if (n < off || memcmp(in, magic, 8) || in[8] < 1 || in[8] > SGP_UID_MAX || in[8 + 1 + SGP_UID_MAX + 4] > 1)
		return 0;
	d->uid_len = in[8];
	memcpy(d->uid, in + 9, SGP_UID_MAX);
	d->lock_bits = sgp_get32(in + 9 + SGP_UID_MAX);
	d->has_key = in[13 + SGP_UID_MAX];
	memcpy(d->priv, in + 14 + SGP_UID_MAX, 32);
	memcpy(d->pub, in + 46 + SGP_UID_MAX, SGP_P256_PUB_LEN);
	for (int i = 0; i < SIM_SLOTS; i++) {
		if (n - off < 4 || sgp_get32(in + off) > sim_slots[i].capacity || n - off - 4 < sgp_get32(in + off))
			return 0;
		d->len[i] = sgp_get32(in + off);
		memcpy(d->data[i], in + off + 4, d->len[i]);
		off += 4 + d->len[i];
	}
	return off == n;
}

static int persist(struct sg_sim *s)
{
	uint8_t *buf;
	size_t n;
	int rc;

	if (!(buf = malloc(STATE_MAX)))
		return SGP_HARDWARE;
	n = state_encode(&s->dev, buf);
	rc = sg_write_file_atomic(s->path, buf, n, &s->save_err);
	free(buf);
	if (rc != SG_OK) {
		s->save_failed = 1;
		return SGP_HARDWARE;
	}
	return SGP_OK;
}

/* Saves the state, or, when this change is the one the power cut takes,
 * loses it and has the link cut. Returns the agent's status. */
static int save(struct sg_sim *s)
{
	if (s->o.power_cut_after > 0 && ++s->changes == s->o.power_cut_after) {
		s->power_cut = 1;
		return SGP_HARDWARE;
	}
	return persist(s);
}

static EVP_PKEY *key_from_priv(const uint8_t priv[32], const uint8_t pub[SGP_P256_PUB_LEN])
{
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	BIGNUM *d = BN_bin2bn(priv, 32, NULL);
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *k = NULL;

	if (b && d && c && OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0) &&
	    OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_PRIV_KEY, d) &&
	    OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, pub, SGP_P256_PUB_LEN) &&
	    (params = OSSL_PARAM_BLD_to_param(b)) && EVP_PKEY_fromdata_init(c) == 1)
		EVP_PKEY_fromdata(c, &k, EVP_PKEY_KEYPAIR, params);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(b);
	BN_clear_free(d);
	EVP_PKEY_CTX_free(c);
	return k;
}

static int hal_uid(void *ctx, uint8_t *uid, uint8_t *len)
{
	struct sg_sim *s = ctx;

	if (s->o.lie_uid_len && s->cmd == SGP_INFO && s->infos > 1) {
		memcpy(uid, s->o.lie_uid, s->o.lie_uid_len);
		*len = s->o.lie_uid_len;
	} else {
		memcpy(uid, s->dev.uid, s->dev.uid_len);
		*len = s->dev.uid_len;
	}
	return SGP_OK;
}

static int hal_slot_length(void *ctx, uint8_t slot, uint32_t *len)
{
	struct sg_sim *s = ctx;
	int i = slot_index(slot);

	if (i < 0)
		return SGP_HARDWARE;
	*len = s->dev.len[i];
	return SGP_OK;
}

static int hal_slot_read(void *ctx, uint8_t slot, uint32_t off, uint8_t *buf, uint32_t n)
{
	struct sg_sim *s = ctx;
	int i = slot_index(slot);

	if (i < 0 || off > s->dev.len[i] || n > s->dev.len[i] - off)
		return SGP_HARDWARE;
	memcpy(buf, s->dev.data[i] + off, n);
	return SGP_OK;
}

static int hal_slot_erase(void *ctx, uint8_t slot)
{
	struct sg_sim *s = ctx;
	int i = slot_index(slot);

	/* OTP has no erase: a blank write-once slot stays as it is. */
	if (i < 0 || ((sim_slots[i].flags & SGP_SLOT_WRITE_ONCE) && s->dev.len[i]))
		return SGP_HARDWARE;
	if (!s->dev.len[i])
		return SGP_OK;
	s->dev.len[i] = 0;
	return save(s);
}

static int hal_slot_write(void *ctx, uint8_t slot, uint32_t off, const uint8_t *buf, uint32_t n)
{
	struct sg_sim *s = ctx;
	int i = slot_index(slot);

	if (i < 0 || off != s->dev.len[i] || n > sim_slots[i].capacity - off)
		return SGP_HARDWARE;
	memcpy(s->dev.data[i] + off, buf, n);
	s->dev.len[i] += n;
	return save(s);
}

/* The lock bits as the agent must see them. A faked lock reports its bits
 * where the firmware answers about them (INFO, LOCK, LOCK_STATE) and
 * enforces nothing. */
static int hal_lock_state(void *ctx, uint32_t *bits)
{
	struct sg_sim *s = ctx;
	int answering = s->cmd == SGP_INFO || s->cmd == SGP_LOCK || s->cmd == SGP_LOCK_STATE;

	*bits = s->o.fake_lock && !answering ? 0 : s->dev.lock_bits;
	return SGP_OK;
}

static int hal_lock(void *ctx, uint32_t bits)
{
	struct sg_sim *s = ctx;

	if (s->o.refuse_lock)
		return SGP_HARDWARE;
	if ((s->dev.lock_bits | bits) == s->dev.lock_bits)
		return SGP_OK;
	s->dev.lock_bits |= bits;
	return save(s);
}

static int hal_key_public(void *ctx, uint8_t alg, uint8_t *pub)
{
	struct sg_sim *s = ctx;

	if (alg != SGP_ALG_P256)
		return SGP_UNSUPPORTED;
	if (!s->dev.has_key)
		return SGP_NO_KEY;
	memcpy(pub, s->dev.pub, SGP_P256_PUB_LEN);
	return SGP_OK;
}

static int hal_keygen(void *ctx, uint8_t alg, uint8_t *pub)
{
	struct sg_sim *s = ctx;
	EVP_PKEY *k = alg == SGP_ALG_P256 ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256") : NULL;
	BIGNUM *d = NULL;
	size_t n = 0;
	int ok = k && EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_PRIV_KEY, &d) &&
		 BN_bn2binpad(d, s->dev.priv, 32) == 32 &&
		 EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, s->dev.pub, SGP_P256_PUB_LEN,
						 &n) &&
		 n == SGP_P256_PUB_LEN;

	BN_clear_free(d);
	if (!ok) {
		EVP_PKEY_free(k);
		return SGP_HARDWARE;
	}
	EVP_PKEY_free(s->key);
	s->key = k;
	s->dev.has_key = 1;
	memcpy(pub, s->dev.pub, SGP_P256_PUB_LEN);
	return save(s);
}

static int hal_sign(void *ctx, uint8_t alg, const uint8_t *msg, size_t len, uint8_t *sig)
{
	struct sg_sim *s = ctx;
	/* A forged answer: signed by a fresh key, not the one KEYGEN reported. */
	int forge = s->o.forge_cmd && s->o.forge_cmd == s->cmd;
	EVP_PKEY *other = forge ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256") : NULL;
	EVP_PKEY *key = forge ? other : s->key;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	uint8_t der[80];
	const uint8_t *p = der;
	size_t n = sizeof der;
	ECDSA_SIG *es = NULL;
	int ok = alg == SGP_ALG_P256 && key && c &&
		 EVP_DigestSignInit(c, NULL, EVP_sha256(), NULL, key) == 1 &&
		 EVP_DigestSign(c, der, &n, msg, len) == 1 && (es = d2i_ECDSA_SIG(NULL, &p, (long)n)) &&
		 BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, 32) == 32 &&
		 BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + 32, 32) == 32;

	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(c);
	EVP_PKEY_free(other);
	return ok ? SGP_OK : SGP_HARDWARE;
}

static void hal_init(struct sg_sim *s)
{
	s->hal = (struct sgp_agent_hal){
		.ctx = s,
		.chip = "sim",
		.agent_version = "signet-sim-" SIGNET_VERSION,
		.caps = SGP_CAP_KEYGEN | SGP_CAP_INJECT | SGP_CAP_CHALLENGE,
		.slots = sim_slots,
		.n_slots = SIM_SLOTS,
		.uid = hal_uid,
		.slot_length = hal_slot_length,
		.slot_read = hal_slot_read,
		.slot_erase = hal_slot_erase,
		.slot_write = hal_slot_write,
		.lock_state = hal_lock_state,
		.lock = hal_lock,
		.key_public = hal_key_public,
		.keygen = hal_keygen,
		.sign = hal_sign,
	};
}

void sim_device_clear(struct sg_sim *s)
{
	for (int i = 0; i < SIM_SLOTS; i++)
		free(s->dev.data[i]);
	OPENSSL_cleanse(&s->dev, sizeof s->dev);
	EVP_PKEY_free(s->key);
	s->key = NULL;
}

int sim_device_load(struct sg_sim *s, const uint8_t *uid, uint8_t uid_len, struct sg_err *err)
{
	uint8_t *buf = NULL;
	size_t n = 0;
	int rc;

	sim_device_clear(s);
	hal_init(s);
	for (int i = 0; i < SIM_SLOTS; i++)
		if (!(s->dev.data[i] = calloc(1, sim_slots[i].capacity)))
			return sg_errf(err, SG_EENV, "out of memory");
	if (access(s->path, F_OK) == 0) {
		if ((rc = sg_read_file(s->path, STATE_MAX, &buf, &n, err)) != SG_OK)
			return rc;
		rc = state_decode(&s->dev, buf, n);
		free(buf);
		if (!rc)
			return sg_errf(err, SG_EINPUT, "%s: not a signet sim state file", s->path);
		if (uid_len && (uid_len != s->dev.uid_len || memcmp(uid, s->dev.uid, uid_len)))
			return sg_errf_param(err, SG_EINPUT, "uid", "%s: holds another device's UID", s->path);
		if (s->dev.has_key && !(s->key = key_from_priv(s->dev.priv, s->dev.pub)))
			return sg_errf(err, SG_EINPUT, "%s: its key pair does not load", s->path);
	} else {
		s->dev.uid_len = uid_len ? uid_len : 8;
		if (uid_len)
			memcpy(s->dev.uid, uid, uid_len);
		else if (RAND_bytes(s->dev.uid, 8) != 1)
			return sg_errf(err, SG_EENV, "no random bytes for a UID");
		if ((rc = persist(s)) != SGP_OK)
			return sg_errf(err, SG_EENV, "%s", s->save_err.msg);
	}
	for (unsigned i = 0; i < s->dev.uid_len; i++)
		snprintf(s->uid_hex + 2 * i, 3, "%02x", s->dev.uid[i]);
	return SG_OK;
}
