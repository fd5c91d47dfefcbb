/* ledger/merkle.c against the RFC 6962 reference tree and Trillian's proof
 * vectors (tests/vectors/merkle/merkle-vectors.txt), against a naive
 * implementation of the RFC 9162 recursions for every tree up to 70 leaves,
 * and for its costs: a proof at 1,000,000 leaves is O(log n) node reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "signet/err.h"
#include "signet/merkle.h"

#define HLEN SG_MERKLE_HASH_LEN
#define MAXV 16

typedef uint8_t hash_t[HLEN];

struct vproof {
	uint64_t a, b; /* inclusion: index, size; consistency: m, n */
	size_t len;
	hash_t path[SG_MERKLE_MAX_PATH];
};

/* The vector file, read once. */
struct vectors {
	uint8_t leaf[8][16];
	size_t leaf_len[8];
	hash_t node[4][8];
	hash_t root[9];
	struct vproof incl[MAXV], cons[MAXV];
	size_t n_incl, n_cons;
};

static struct vectors V;

static int unhex(const char *s, uint8_t *out, size_t max, size_t *len)
{
	size_t n = strlen(s);
	if (!strcmp(s, "-")) {
		*len = 0;
		return 0;
	}
	if (n % 2 || n / 2 > max)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	*len = n / 2;
	return 0;
}

static void read_proof(char *rest, struct vproof *p)
{
	char *save;
	char *tok = strtok_r(rest, " \n", &save);
	assert_non_null(tok);
	p->a = strtoull(tok, NULL, 10);
	assert_non_null(tok = strtok_r(NULL, " \n", &save));
	p->b = strtoull(tok, NULL, 10);
	for (p->len = 0; (tok = strtok_r(NULL, " \n", &save)); p->len++) {
		size_t n;
		assert_true(p->len < SG_MERKLE_MAX_PATH);
		assert_int_equal(unhex(tok, p->path[p->len], HLEN, &n), 0);
		assert_int_equal(n, HLEN);
	}
}

static int load_vectors(void **state)
{
	(void)state;
	const char *src = getenv("SIGNET_SOURCE_DIR");
	char path[4096];
	snprintf(path, sizeof(path), "%s/tests/vectors/merkle/merkle-vectors.txt", src ? src : ".");
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "cannot open %s\n", path);
		return -1;
	}
	char line[1024], hex[256];
	unsigned a, b;
	size_t n;
	int leaves = 0, nodes = 0, roots = 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "leaf %u %255s", &a, hex) == 2 && a < 8 &&
		    !unhex(hex, V.leaf[a], sizeof(V.leaf[a]), &V.leaf_len[a]))
			leaves++;
		else if (sscanf(line, "node %u %u %255s", &a, &b, hex) == 3 && a < 4 && b < 8 &&
			 !unhex(hex, V.node[a][b], HLEN, &n) && n == HLEN)
			nodes++;
		else if (sscanf(line, "root %u %255s", &a, hex) == 2 && a < 9 &&
			 !unhex(hex, V.root[a], HLEN, &n) && n == HLEN)
			roots++;
		else if (!strncmp(line, "inclusion ", 10) && V.n_incl < MAXV)
			read_proof(line + 10, &V.incl[V.n_incl++]);
		else if (!strncmp(line, "consistency ", 12) && V.n_cons < MAXV)
			read_proof(line + 12, &V.cons[V.n_cons++]);
		else if (line[0] != '#')
			fprintf(stderr, "%s: line not understood: %s", path, line);
	}
	fclose(f);
	/* 8 leaves, 8 + 4 + 2 + 1 nodes, 9 roots, 4 + 4 proofs. */
	return leaves == 8 && nodes == 15 && roots == 9 && V.n_incl == 4 && V.n_cons == 4 ? 0 : -1;
}

/* ---- trees in memory: the leaf hashes, and the naive RFC recursions ---- */

struct tree {
	hash_t *leaf;
	uint64_t size;
	unsigned calls;
};

static uint64_t split(uint64_t n)
{
	uint64_t k = 1;
	while (k * 2 < n)
		k *= 2;
	return k;
}

/* MTH(D[lo : lo + n]) straight from RFC 9162 2.1.1. */
static void mth(const struct tree *t, uint64_t lo, uint64_t n, uint8_t out[HLEN])
{
	if (n == 0) {
		static const uint8_t empty[HLEN] = {
			0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4,
			0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b,
			0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55};
		memcpy(out, empty, HLEN);
	} else if (n == 1) {
		memcpy(out, t->leaf[lo], HLEN);
	} else {
		uint64_t k = split(n);
		hash_t l, r;
		mth(t, lo, k, l);
		mth(t, lo + k, n - k, r);
		sg_merkle_node_hash(l, r, out);
	}
}

/* PATH(m, D[lo : lo + n]), RFC 9162 2.1.3.1. */
static void ref_path(const struct tree *t, uint64_t m, uint64_t lo, uint64_t n, struct vproof *p)
{
	if (n <= 1)
		return;
	uint64_t k = split(n);
	if (m < k) {
		ref_path(t, m, lo, k, p);
		mth(t, lo + k, n - k, p->path[p->len++]);
	} else {
		ref_path(t, m - k, lo + k, n - k, p);
		mth(t, lo, k, p->path[p->len++]);
	}
}

/* SUBPROOF(m, D[lo : lo + n], b), RFC 9162 2.1.4.1. */
static void ref_subproof(const struct tree *t, uint64_t m, uint64_t lo, uint64_t n, int b,
			 struct vproof *p)
{
	if (m == n) {
		if (!b)
			mth(t, lo, n, p->path[p->len++]);
		return;
	}
	uint64_t k = split(n);
	if (m <= k) {
		ref_subproof(t, m, lo, k, b, p);
		mth(t, lo + k, n - k, p->path[p->len++]);
	} else {
		ref_subproof(t, m - k, lo + k, n - k, 0, p);
		mth(t, lo, k, p->path[p->len++]);
	}
}

/* The node callback over a tree in memory, computed the naive way. */
static int tree_node(void *arg, unsigned level, uint64_t index, uint8_t out[HLEN])
{
	struct tree *t = arg;
	uint64_t lo = index << level, n = UINT64_C(1) << level;
	assert_true(lo + n <= t->size);
	t->calls++;
	mth(t, lo, n, out);
	return 0;
}

/* The node callback over the vector file's node table. */
static int vector_node(void *arg, unsigned level, uint64_t index, uint8_t out[HLEN])
{
	(void)arg;
	assert_true(level < 4 && index < (8u >> level));
	memcpy(out, V.node[level][index], HLEN);
	return 0;
}

static int failing_node(void *arg, unsigned level, uint64_t index, uint8_t out[HLEN])
{
	(void)arg, (void)level, (void)index;
	memset(out, 0, HLEN);
	return SG_EENV;
}

/* ---- proofs and the ways to spoil them ---- */

static int incl_ok(const struct vproof *p, const uint8_t leaf[HLEN], const uint8_t root[HLEN])
{
	return sg_merkle_verify_inclusion(p->a, p->b, leaf, (const uint8_t(*)[HLEN])p->path,
					  p->len, root) == SG_OK;
}

static int cons_ok(const struct vproof *p, const uint8_t rm[HLEN], const uint8_t rn[HLEN])
{
	return sg_merkle_verify_consistency(p->a, p->b, rm, rn, (const uint8_t(*)[HLEN])p->path,
					    p->len) == SG_OK;
}

/* Every spoiled variant of an inclusion proof is refused: roots[s] is the
 * root of the tree of s leaves, leaves[i] leaf i's hash, for s <= max. */
static void refuse_spoiled_inclusion(const struct vproof *good, hash_t *leaves, hash_t *roots,
				     uint64_t max)
{
	struct vproof p;
	assert_true(incl_ok(good, leaves[good->a], roots[good->b]));
	for (size_t i = 0; i < good->len; i++)
		for (size_t byte = 0; byte < HLEN; byte += 7) {
			p = *good;
			p.path[i][byte] ^= 0x01;
			assert_false(incl_ok(&p, leaves[p.a], roots[p.b]));
		}
	hash_t bad;
	memcpy(bad, leaves[good->a], HLEN);
	bad[HLEN - 1] ^= 0x80;
	assert_false(incl_ok(good, bad, roots[good->b]));
	memcpy(bad, roots[good->b], HLEN);
	bad[0] ^= 0x01;
	assert_false(incl_ok(good, leaves[good->a], bad));
	for (uint64_t idx = 0; idx <= good->b; idx++) {
		if (idx == good->a)
			continue;
		p = *good;
		p.a = idx;
		/* the right leaf at the wrong place, and the wrong leaf */
		assert_false(incl_ok(&p, leaves[good->a], roots[good->b]));
		if (idx < good->b)
			assert_false(incl_ok(&p, leaves[idx], roots[good->b]));
	}
	for (uint64_t size = 0; size <= max; size++) {
		if (size == good->b)
			continue;
		p = *good;
		p.b = size;
		assert_false(incl_ok(&p, leaves[good->a], roots[size]));
	}
	if (good->len > 0) {
		p = *good;
		p.len--;
		assert_false(incl_ok(&p, leaves[p.a], roots[p.b]));
		p = *good;
		memmove(p.path[0], p.path[1], (p.len - 1) * HLEN);
		p.len--;
		assert_false(incl_ok(&p, leaves[p.a], roots[p.b]));
	}
	p = *good;
	memcpy(p.path[p.len++], roots[good->b], HLEN);
	assert_false(incl_ok(&p, leaves[p.a], roots[p.b]));
	p = *good;
	memset(p.path[p.len++], 0, HLEN);
	assert_false(incl_ok(&p, leaves[p.a], roots[p.b]));
}

/* The same for a consistency proof. */
static void refuse_spoiled_consistency(const struct vproof *good, hash_t *roots, uint64_t max)
{
	struct vproof p;
	assert_true(cons_ok(good, roots[good->a], roots[good->b]));
	for (size_t i = 0; i < good->len; i++)
		for (size_t byte = 0; byte < HLEN; byte += 7) {
			p = *good;
			p.path[i][byte] ^= 0x01;
			assert_false(cons_ok(&p, roots[p.a], roots[p.b]));
		}
	hash_t bad;
	memcpy(bad, roots[good->a], HLEN);
	bad[5] ^= 0x20;
	assert_false(cons_ok(good, bad, roots[good->b]));
	memcpy(bad, roots[good->b], HLEN);
	bad[5] ^= 0x20;
	assert_false(cons_ok(good, roots[good->a], bad));
	for (uint64_t m = 0; m <= max; m++)
		for (uint64_t n = m; n <= max; n++) {
			if (m == good->a && n == good->b)
				continue;
			/* an empty path proves any tree extends the empty one, and
			 * any tree is itself */
			if (good->len == 0 && (m == 0 || m == n))
				continue;
			p = *good;
			p.a = m, p.b = n;
			assert_false(cons_ok(&p, roots[m], roots[n]));
		}
	if (good->len > 0) {
		p = *good;
		p.len--;
		assert_false(cons_ok(&p, roots[p.a], roots[p.b]));
		p = *good;
		memmove(p.path[0], p.path[1], (p.len - 1) * HLEN);
		p.len--;
		assert_false(cons_ok(&p, roots[p.a], roots[p.b]));
	}
	p = *good;
	memcpy(p.path[p.len++], roots[good->b], HLEN);
	assert_false(cons_ok(&p, roots[p.a], roots[p.b]));
	p = *good;
	memset(p.path[p.len++], 0, HLEN);
	assert_false(cons_ok(&p, roots[p.a], roots[p.b]));
}

/* ---- the reference vectors ---- */

static void test_vector_hashes_and_roots(void **state)
{
	(void)state;
	hash_t h;
	for (int i = 0; i < 8; i++) {
		sg_merkle_leaf_hash(V.leaf[i], V.leaf_len[i], h);
		assert_memory_equal(h, V.node[0][i], HLEN);
	}
	for (unsigned level = 1; level < 4; level++)
		for (unsigned i = 0; i < (8u >> level); i++) {
			sg_merkle_node_hash(V.node[level - 1][2 * i], V.node[level - 1][2 * i + 1], h);
			assert_memory_equal(h, V.node[level][i], HLEN);
		}
	for (uint64_t size = 0; size <= 8; size++) {
		assert_int_equal(sg_merkle_root(size, vector_node, NULL, h), SG_OK);
		assert_memory_equal(h, V.root[size], HLEN);
	}
}

/* The compact range, fed the raw leaves, completes exactly the vector's
 * nodes and has every size's root. */
struct seen {
	unsigned count[4];
};

static int check_stored(void *arg, unsigned level, uint64_t index, const uint8_t hash[HLEN])
{
	struct seen *s = arg;
	assert_true(level < 4);
	assert_int_equal(index, s->count[level]);
	assert_memory_equal(hash, V.node[level][index], HLEN);
	s->count[level]++;
	return 0;
}

static void test_vector_compact_range(void **state)
{
	(void)state;
	struct sg_merkle_range r;
	struct seen s = {{0}};
	hash_t h, root;
	assert_int_equal(sg_merkle_range_load(&r, 0, vector_node, NULL), SG_OK);
	sg_merkle_range_root(&r, root);
	assert_memory_equal(root, V.root[0], HLEN);
	for (int i = 0; i < 8; i++) {
		sg_merkle_leaf_hash(V.leaf[i], V.leaf_len[i], h);
		assert_int_equal(sg_merkle_range_append(&r, h, check_stored, &s), SG_OK);
		sg_merkle_range_root(&r, root);
		assert_memory_equal(root, V.root[i + 1], HLEN);
		/* and the same edge read back from the stored nodes */
		struct sg_merkle_range loaded;
		assert_int_equal(sg_merkle_range_load(&loaded, (uint64_t)i + 1, vector_node, NULL),
				 SG_OK);
		sg_merkle_range_root(&loaded, root);
		assert_memory_equal(root, V.root[i + 1], HLEN);
	}
	assert_int_equal(s.count[0], 8);
	assert_int_equal(s.count[1], 4);
	assert_int_equal(s.count[2], 2);
	assert_int_equal(s.count[3], 1);
}

static void test_vector_inclusion(void **state)
{
	(void)state;
	for (size_t v = 0; v < V.n_incl; v++) {
		const struct vproof *want = &V.incl[v];
		struct vproof got = {.a = want->a, .b = want->b};
		assert_int_equal(sg_merkle_inclusion(want->a, want->b, vector_node, NULL, got.path,
						     &got.len),
				 SG_OK);
		assert_int_equal(got.len, want->len);
		assert_memory_equal(got.path, want->path, want->len * HLEN);
		refuse_spoiled_inclusion(want, V.node[0], V.root, 8);
	}
}

static void test_vector_consistency(void **state)
{
	(void)state;
	for (size_t v = 0; v < V.n_cons; v++) {
		const struct vproof *want = &V.cons[v];
		struct vproof got = {.a = want->a, .b = want->b};
		assert_int_equal(sg_merkle_consistency(want->a, want->b, vector_node, NULL, got.path,
						       &got.len),
				 SG_OK);
		assert_int_equal(got.len, want->len);
		assert_memory_equal(got.path, want->path, want->len * HLEN);
		refuse_spoiled_consistency(want, V.root, 8);
	}
}

/* ---- every tree up to 70 leaves against the naive recursions ---- */

#define RAND_MAX_N 70

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void test_random_trees(void **state)
{
	(void)state;
	hash_t leaves[RAND_MAX_N], roots[RAND_MAX_N + 1];
	struct tree t = {.leaf = leaves};
	struct sg_merkle_range r;
	assert_int_equal(sg_merkle_range_load(&r, 0, tree_node, &t), SG_OK);
	for (uint64_t i = 0; i < RAND_MAX_N; i++) {
		uint8_t data[40];
		size_t len = rng() % sizeof(data);
		for (size_t j = 0; j < len; j++)
			data[j] = (uint8_t)rng();
		sg_merkle_leaf_hash(data, len, leaves[i]);
	}
	for (uint64_t n = 0; n <= RAND_MAX_N; n++) {
		t.size = n;
		mth(&t, 0, n, roots[n]);
		hash_t h;
		assert_int_equal(sg_merkle_root(n, tree_node, &t, h), SG_OK);
		assert_memory_equal(h, roots[n], HLEN);
		sg_merkle_range_root(&r, h);
		assert_memory_equal(h, roots[n], HLEN);
		struct sg_merkle_range loaded;
		assert_int_equal(sg_merkle_range_load(&loaded, n, tree_node, &t), SG_OK);
		sg_merkle_range_root(&loaded, h);
		assert_memory_equal(h, roots[n], HLEN);
		if (n < RAND_MAX_N)
			assert_int_equal(sg_merkle_range_append(&r, leaves[n], NULL, NULL), SG_OK);
	}
	for (uint64_t n = 0; n <= RAND_MAX_N; n++) {
		t.size = n;
		for (uint64_t i = 0; i < n; i++) {
			struct vproof want = {.a = i, .b = n}, got = {.a = i, .b = n};
			ref_path(&t, i, 0, n, &want);
			assert_int_equal(sg_merkle_inclusion(i, n, tree_node, &t, got.path, &got.len),
					 SG_OK);
			assert_int_equal(got.len, want.len);
			assert_memory_equal(got.path, want.path, want.len * HLEN);
			assert_true(incl_ok(&got, leaves[i], roots[n]));
			if (n <= 12)
				refuse_spoiled_inclusion(&got, leaves, roots, n + 2 <= RAND_MAX_N ? n + 2 : n);
		}
		for (uint64_t m = 0; m <= n; m++) {
			struct vproof want = {.a = m, .b = n}, got = {.a = m, .b = n};
			if (m > 0)
				ref_subproof(&t, m, 0, n, 1, &want);
			assert_int_equal(sg_merkle_consistency(m, n, tree_node, &t, got.path, &got.len),
					 SG_OK);
			assert_int_equal(got.len, want.len);
			assert_memory_equal(got.path, want.path, want.len * HLEN);
			assert_true(cons_ok(&got, roots[m], roots[n]));
			if (n <= 12 && m > 0)
				refuse_spoiled_consistency(&got, roots, n + 2);
		}
	}
}

/* ---- costs, arguments, callback errors ---- */

static int counting_node(void *arg, unsigned level, uint64_t index, uint8_t out[HLEN])
{
	unsigned *calls = arg;
	(*calls)++;
	memset(out, 0, HLEN);
	memcpy(out, &index, sizeof(index));
	out[31] = (uint8_t)level;
	return 0;
}

static void test_costs_at_a_million(void **state)
{
	(void)state;
	const uint64_t n = 1000000;
	hash_t path[SG_MERKLE_MAX_PATH], root;
	size_t len;
	unsigned worst = 0;
	for (uint64_t i = 0; i < n; i += 9973) {
		unsigned calls = 0;
		assert_int_equal(sg_merkle_inclusion(i, n, counting_node, &calls, path, &len), SG_OK);
		assert_true(len <= 20);
		worst = calls > worst ? calls : worst;
		calls = 0;
		assert_int_equal(sg_merkle_consistency(i + 1, n, counting_node, &calls, path, &len),
				 SG_OK);
		worst = calls > worst ? calls : worst;
	}
	unsigned calls = 0;
	assert_int_equal(sg_merkle_root(n, counting_node, &calls, root), SG_OK);
	assert_int_equal(calls, __builtin_popcountll(n));
	/* log2(1e6) = 20: a proof reads a few nodes per level at most. */
	assert_true(worst <= 3 * 20);
}

static void test_arguments_and_callback_errors(void **state)
{
	(void)state;
	hash_t path[SG_MERKLE_MAX_PATH], root, leaf = {0};
	size_t len = 99;
	assert_int_equal(sg_merkle_inclusion(8, 8, vector_node, NULL, path, &len), SG_EINPUT);
	assert_int_equal(len, 0);
	assert_int_equal(sg_merkle_inclusion(0, 0, vector_node, NULL, path, &len), SG_EINPUT);
	assert_int_equal(sg_merkle_consistency(5, 4, vector_node, NULL, path, &len), SG_EINPUT);
	assert_int_equal(sg_merkle_verify_inclusion(0, 0, leaf, path, 0, V.root[0]), SG_FAIL);
	assert_int_equal(sg_merkle_verify_consistency(5, 4, V.root[5], V.root[4], path, 0),
			 SG_FAIL);
	/* from the empty tree: empty proof, the empty root */
	assert_int_equal(sg_merkle_verify_consistency(0, 8, V.root[0], V.root[8], path, 0), SG_OK);
	assert_int_equal(sg_merkle_verify_consistency(0, 8, V.root[1], V.root[8], path, 0),
			 SG_FAIL);
	assert_int_equal(sg_merkle_root(7, failing_node, NULL, root), SG_EENV);
	assert_int_equal(sg_merkle_inclusion(3, 7, failing_node, NULL, path, &len), SG_EENV);
	assert_int_equal(len, 0);
	assert_int_equal(sg_merkle_consistency(3, 7, failing_node, NULL, path, &len), SG_EENV);
	struct sg_merkle_range r;
	assert_int_equal(sg_merkle_range_load(&r, 7, failing_node, NULL), SG_EENV);
}

static int refuse_level(void *arg, unsigned level, uint64_t index, const uint8_t hash[HLEN])
{
	(void)index, (void)hash;
	return level == *(unsigned *)arg ? SG_EENV : 0;
}

/* A store that fails mid-append leaves the range as it was. */
static void test_range_append_failure_changes_nothing(void **state)
{
	(void)state;
	struct sg_merkle_range r, before;
	hash_t root;
	assert_int_equal(sg_merkle_range_load(&r, 7, vector_node, NULL), SG_OK);
	before = r;
	for (unsigned level = 0; level <= 3; level++) {
		assert_int_equal(sg_merkle_range_append(&r, V.node[0][7], refuse_level, &level),
				 SG_EENV);
		assert_memory_equal(&r, &before, sizeof(r));
	}
	unsigned never = 99;
	assert_int_equal(sg_merkle_range_append(&r, V.node[0][7], refuse_level, &never), SG_OK);
	sg_merkle_range_root(&r, root);
	assert_memory_equal(root, V.root[8], HLEN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vector_hashes_and_roots),
		cmocka_unit_test(test_vector_compact_range),
		cmocka_unit_test(test_vector_inclusion),
		cmocka_unit_test(test_vector_consistency),
		cmocka_unit_test(test_random_trees),
		cmocka_unit_test(test_costs_at_a_million),
		cmocka_unit_test(test_arguments_and_callback_errors),
		cmocka_unit_test(test_range_append_failure_changes_nothing),
	};
	return cmocka_run_group_tests(tests, load_vectors, NULL);
}
