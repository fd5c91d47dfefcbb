/* The RFC 9162 (section 2.1) Merkle Tree Hash over SHA-256: roots,
 * inclusion and consistency proofs and their verification, and the compact
 * range that appends leaves without re-reading the tree.
 *
 * Storage-agnostic and heap-free: the caller owns the tree and hands in the
 * hash of any complete subtree through a sg_merkle_node_fn; every function
 * costs O(log n) of those calls. Functions return SG_OK, SG_EINPUT for
 * arguments that describe no tree (an index past the size), SG_FAIL when a
 * proof does not verify, or whatever nonzero status a callback returned
 * (passed through unchanged). Nothing here keeps state: any thread may call
 * any function. */
#ifndef SIGNET_MERKLE_H
#define SIGNET_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#define SG_MERKLE_HASH_LEN 32
/* The longest proof of a tree of up to 2^64 - 1 leaves. */
#define SG_MERKLE_MAX_PATH 64

/* Fills out with the hash of the complete subtree at `level` covering leaves
 * [index << level, (index + 1) << level) (level 0: the leaf hash). Returns 0,
 * or a nonzero status that the caller gets back. */
typedef int (*sg_merkle_node_fn)(void *arg, unsigned level, uint64_t index,
				 uint8_t out[SG_MERKLE_HASH_LEN]);

/* Leaf hash: SHA-256(0x00 || data). */
void sg_merkle_leaf_hash(const uint8_t *data, size_t len, uint8_t out[SG_MERKLE_HASH_LEN]);
/* Node hash: SHA-256(0x01 || left || right). */
void sg_merkle_node_hash(const uint8_t left[SG_MERKLE_HASH_LEN],
			 const uint8_t right[SG_MERKLE_HASH_LEN], uint8_t out[SG_MERKLE_HASH_LEN]);

/* The root of the tree of the first `size` leaves (size 0: SHA-256("")). */
int sg_merkle_root(uint64_t size, sg_merkle_node_fn node, void *arg,
		   uint8_t root[SG_MERKLE_HASH_LEN]);

/* The inclusion proof of leaf `index` in the tree of `size` leaves (RFC 9162
 * 2.1.3.1), leaf side first: *len hashes into path. */
int sg_merkle_inclusion(uint64_t index, uint64_t size, sg_merkle_node_fn node, void *arg,
			uint8_t path[SG_MERKLE_MAX_PATH][SG_MERKLE_HASH_LEN], size_t *len);

/* The consistency proof from the tree of m leaves to the tree of n leaves
 * (RFC 9162 2.1.4.1), 0 <= m <= n; empty when m is 0 or m == n. */
int sg_merkle_consistency(uint64_t m, uint64_t n, sg_merkle_node_fn node, void *arg,
			  uint8_t path[SG_MERKLE_MAX_PATH][SG_MERKLE_HASH_LEN], size_t *len);

/* SG_OK when path proves that leaf_hash is leaf `index` of the tree of
 * `size` leaves whose root is `root` (RFC 9162 2.1.3.2), SG_FAIL if not. */
int sg_merkle_verify_inclusion(uint64_t index, uint64_t size,
			       const uint8_t leaf_hash[SG_MERKLE_HASH_LEN],
			       const uint8_t (*path)[SG_MERKLE_HASH_LEN], size_t len,
			       const uint8_t root[SG_MERKLE_HASH_LEN]);

/* SG_OK when path proves that the tree of m leaves with root root_m is a
 * prefix of the tree of n leaves with root root_n (RFC 9162 2.1.4.2), SG_FAIL
 * if not. m == n needs an empty path and equal roots; m == 0 an empty path
 * and root_m the empty tree's hash. */
int sg_merkle_verify_consistency(uint64_t m, uint64_t n, const uint8_t root_m[SG_MERKLE_HASH_LEN],
				 const uint8_t root_n[SG_MERKLE_HASH_LEN],
				 const uint8_t (*path)[SG_MERKLE_HASH_LEN], size_t len);

/* The right edge of a tree: for every set bit `level` of size, hash[level]
 * is the complete subtree of 2^level leaves that the bit stands for. That is
 * all an append needs, and at most 64 hashes. */
struct sg_merkle_range {
	uint64_t size;
	uint8_t hash[64][SG_MERKLE_HASH_LEN];
};

/* Called with every complete subtree an append completes, leaf first. */
typedef int (*sg_merkle_store_fn)(void *arg, unsigned level, uint64_t index,
				  const uint8_t hash[SG_MERKLE_HASH_LEN]);

/* The right edge of the tree of `size` leaves, read through node
 * (popcount(size) calls); size 0 needs no calls. */
int sg_merkle_range_load(struct sg_merkle_range *r, uint64_t size, sg_merkle_node_fn node,
			 void *arg);
/* Appends leaf r->size with hash leaf_hash; store (if not NULL) gets the
 * leaf and every subtree it completes, bottom up. On a nonzero status from
 * store, r is unchanged. */
int sg_merkle_range_append(struct sg_merkle_range *r, const uint8_t leaf_hash[SG_MERKLE_HASH_LEN],
			   sg_merkle_store_fn store, void *arg);
/* The root of the tree the range is the right edge of. */
void sg_merkle_range_root(const struct sg_merkle_range *r, uint8_t root[SG_MERKLE_HASH_LEN]);

#endif
