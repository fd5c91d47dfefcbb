/* RFC 9162 Merkle Tree Hash, proofs and the compact range (signet/merkle.h).
 *
 * Every range the RFC's recursion splits a tree into starts at a multiple of
 * a power of two at least as large as the range, so its hash is the fold of
 * the complete subtrees that the set bits of its size stand for: no walk
 * below them, popcount(size) calls to the caller's storage. */
#include "signet/merkle.h"

#include "signet/err.h"

#include <stdatomic.h>
#include <string.h>

#include <openssl/evp.h>

#define HLEN SG_MERKLE_HASH_LEN

typedef uint8_t hash_t[HLEN];

/* SHA-256 fetched once per process. Given EVP_sha256(), OpenSSL 3 looks the
 * implementation up again, under locks, on every digest: three times the
 * cost of hashing a node. Never freed: it lives as long as the process. */
static _Atomic(EVP_MD *) fetched_sha256;

static const EVP_MD *sha256(void)
{
	EVP_MD *md = atomic_load(&fetched_sha256), *none = NULL;
	if (md)
		return md;
	if (!(md = EVP_MD_fetch(NULL, "SHA256", NULL)))
		return EVP_sha256();
	if (!atomic_compare_exchange_strong(&fetched_sha256, &none, md)) {
		EVP_MD_free(md); /* another thread was first */
		return none;
	}
	return md;
}

void sg_merkle_leaf_hash(const uint8_t *data, size_t len, uint8_t out[HLEN])
{
	/* The only failure of a SHA-256 over memory is an allocation in
	 * OpenSSL; a zero hash then matches nothing and fails closed. */
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	const uint8_t prefix = 0x00;
	if (!ctx || !EVP_DigestInit_ex(ctx, sha256(), NULL) ||
	    !EVP_DigestUpdate(ctx, &prefix, 1) || !EVP_DigestUpdate(ctx, data, len) ||
	    !EVP_DigestFinal_ex(ctx, out, NULL))
		memset(out, 0, HLEN);
	EVP_MD_CTX_free(ctx);
}

void sg_merkle_node_hash(const uint8_t left[HLEN], const uint8_t right[HLEN], uint8_t out[HLEN])
{
	uint8_t buf[1 + 2 * HLEN];
	buf[0] = 0x01;
	memcpy(buf + 1, left, HLEN);
	memcpy(buf + 1 + HLEN, right, HLEN);
	if (!EVP_Digest(buf, sizeof(buf), out, NULL, sha256(), NULL))
		memset(out, 0, HLEN);
}

static void empty_root(uint8_t out[HLEN])
{
	if (!EVP_Digest("", 0, out, NULL, sha256(), NULL))
		memset(out, 0, HLEN);
}

/* The largest power of two below n (n >= 2). */
static uint64_t split_point(uint64_t n)
{
	return UINT64_C(1) << (63 - __builtin_clzll(n - 1));
}

/* MTH(D[lo : lo + n]) for n >= 1 and lo a multiple of a power of two >= n:
 * the complete subtrees of the set bits of n, largest first, folded from the
 * right. */
static int range_hash(uint64_t lo, uint64_t n, sg_merkle_node_fn node, void *arg, uint8_t out[HLEN])
{
	int level = __builtin_ctzll(n);
	uint64_t end = lo + n;
	int rc = node(arg, (unsigned)level, (end >> level) - 1, out);
	for (end -= UINT64_C(1) << level, n &= n - 1; !rc && n; n &= n - 1) {
		level = __builtin_ctzll(n);
		hash_t left;
		if ((rc = node(arg, (unsigned)level, (end >> level) - 1, left)))
			break;
		sg_merkle_node_hash(left, out, out);
		end -= UINT64_C(1) << level;
	}
	return rc;
}

int sg_merkle_root(uint64_t size, sg_merkle_node_fn node, void *arg, uint8_t root[HLEN])
{
	if (size == 0) {
		empty_root(root);
		return SG_OK;
	}
	return range_hash(0, size, node, arg, root);
}

/* The recursions below collect hashes from the root down; proofs list them
 * from the leaves up. */
static void reverse(uint8_t path[][HLEN], size_t len)
{
	for (size_t i = 0; i < len / 2; i++) {
		hash_t t;
		memcpy(t, path[i], HLEN);
		memcpy(path[i], path[len - 1 - i], HLEN);
		memcpy(path[len - 1 - i], t, HLEN);
	}
}

int sg_merkle_inclusion(uint64_t index, uint64_t size, sg_merkle_node_fn node, void *arg,
			uint8_t path[SG_MERKLE_MAX_PATH][HLEN], size_t *len)
{
	*len = 0;
	if (index >= size)
		return SG_EINPUT;
	/* PATH(m, D[lo : lo + n]): one sibling per split, the leaf's range is
	 * [lo + m, lo + m + 1). */
	uint64_t lo = 0, m = index, n = size;
	size_t k = 0;
	int rc = SG_OK;
	while (n > 1 && !rc) {
		uint64_t half = split_point(n);
		if (m < half) {
			rc = range_hash(lo + half, n - half, node, arg, path[k++]);
			n = half;
		} else {
			rc = range_hash(lo, half, node, arg, path[k++]);
			lo += half, m -= half, n -= half;
		}
	}
	if (rc)
		return rc;
	reverse(path, k);
	*len = k;
	return SG_OK;
}

int sg_merkle_consistency(uint64_t m, uint64_t n, sg_merkle_node_fn node, void *arg,
			  uint8_t path[SG_MERKLE_MAX_PATH][HLEN], size_t *len)
{
	*len = 0;
	if (m > n)
		return SG_EINPUT;
	if (m == 0 || m == n)
		return SG_OK;
	/* SUBPROOF(m, D[lo : lo + n], whole): `whole` while the old tree is
	 * still the left edge of the range, whose root the verifier has. */
	uint64_t lo = 0;
	int whole = 1, rc = SG_OK;
	size_t k = 0;
	while (m != n && !rc) {
		uint64_t half = split_point(n);
		if (m <= half) {
			rc = range_hash(lo + half, n - half, node, arg, path[k++]);
			n = half;
		} else {
			rc = range_hash(lo, half, node, arg, path[k++]);
			lo += half, m -= half, n -= half;
			whole = 0;
		}
	}
	if (!rc && !whole)
		rc = range_hash(lo, n, node, arg, path[k++]);
	if (rc)
		return rc;
	reverse(path, k);
	*len = k;
	return SG_OK;
}

int sg_merkle_verify_inclusion(uint64_t index, uint64_t size, const uint8_t leaf_hash[HLEN],
			       const uint8_t (*path)[HLEN], size_t len, const uint8_t root[HLEN])
{
	if (index >= size)
		return SG_FAIL;
	uint64_t fn = index, sn = size - 1;
	hash_t r;
	memcpy(r, leaf_hash, HLEN);
	for (size_t i = 0; i < len; i++) {
		if (sn == 0)
			return SG_FAIL;
		if ((fn & 1) || fn == sn) {
			sg_merkle_node_hash(path[i], r, r);
			while (!(fn & 1) && fn != 0)
				fn >>= 1, sn >>= 1;
		} else {
			sg_merkle_node_hash(r, path[i], r);
		}
		fn >>= 1, sn >>= 1;
	}
	return sn == 0 && !memcmp(r, root, HLEN) ? SG_OK : SG_FAIL;
}

int sg_merkle_verify_consistency(uint64_t m, uint64_t n, const uint8_t root_m[HLEN],
				 const uint8_t root_n[HLEN], const uint8_t (*path)[HLEN], size_t len)
{
	if (m > n)
		return SG_FAIL;
	if (m == 0) {
		hash_t empty;
		empty_root(empty);
		return len == 0 && !memcmp(root_m, empty, HLEN) ? SG_OK : SG_FAIL;
	}
	if (m == n)
		return len == 0 && !memcmp(root_m, root_n, HLEN) ? SG_OK : SG_FAIL;
	if (len == 0)
		return SG_FAIL;
	/* An old tree of 2^k leaves is a complete subtree of the new one: the
	 * proof leaves its root out, the verifier starts from it. */
	const uint8_t *first = path[0];
	size_t next = 1;
	if ((m & (m - 1)) == 0)
		first = root_m, next = 0;
	uint64_t fn = m - 1, sn = n - 1;
	while (fn & 1)
		fn >>= 1, sn >>= 1;
	hash_t fr, sr;
	memcpy(fr, first, HLEN);
	memcpy(sr, first, HLEN);
	for (size_t i = next; i < len; i++) {
		if (sn == 0)
			return SG_FAIL;
		if ((fn & 1) || fn == sn) {
			sg_merkle_node_hash(path[i], fr, fr);
			sg_merkle_node_hash(path[i], sr, sr);
			while (!(fn & 1) && fn != 0)
				fn >>= 1, sn >>= 1;
		} else {
			sg_merkle_node_hash(sr, path[i], sr);
		}
		fn >>= 1, sn >>= 1;
	}
	return sn == 0 && !memcmp(fr, root_m, HLEN) && !memcmp(sr, root_n, HLEN) ? SG_OK
										  : SG_FAIL;
}

int sg_merkle_range_load(struct sg_merkle_range *r, uint64_t size, sg_merkle_node_fn node,
			 void *arg)
{
	r->size = 0;
	uint64_t start = 0;
	for (int level = 63; level >= 0; level--) {
		if (!(size >> level & 1))
			continue;
		int rc = node(arg, (unsigned)level, start >> level, r->hash[level]);
		if (rc)
			return rc;
		start += UINT64_C(1) << level;
	}
	r->size = size;
	return SG_OK;
}

int sg_merkle_range_append(struct sg_merkle_range *r, const uint8_t leaf_hash[HLEN],
			   sg_merkle_store_fn store, void *arg)
{
	if (r->size == UINT64_MAX)
		return SG_EINPUT;
	hash_t carry;
	memcpy(carry, leaf_hash, HLEN);
	uint64_t index = r->size;
	unsigned level = 0;
	int rc = store ? store(arg, 0, index, carry) : SG_OK;
	/* Each set low bit is a complete left sibling: merge upwards. */
	for (; !rc && (r->size >> level & 1); level++) {
		sg_merkle_node_hash(r->hash[level], carry, carry);
		index >>= 1;
		if (store)
			rc = store(arg, level + 1, index, carry);
	}
	if (rc)
		return rc;
	memcpy(r->hash[level], carry, HLEN);
	r->size++;
	return SG_OK;
}

void sg_merkle_range_root(const struct sg_merkle_range *r, uint8_t root[HLEN])
{
	if (r->size == 0) {
		empty_root(root);
		return;
	}
	int level = __builtin_ctzll(r->size);
	memcpy(root, r->hash[level], HLEN);
	for (uint64_t rest = r->size & (r->size - 1); rest; rest &= rest - 1) {
		level = __builtin_ctzll(rest);
		sg_merkle_node_hash(r->hash[level], root, root);
	}
}
