/*
 * Word hash and pattern generator used by the memory pattern and the disk
 * records.
 *
 * The hash folds one 64-bit word per step: h = (h ^ w) * P. For a fixed h the
 * step is injective in w, and for a fixed w it is a bijection of h, so two
 * inputs that differ in exactly one word (hence in any single byte) always end
 * in different states. The final mix is a bijection too, so such a change is
 * always detected, not just with high probability.
 */
#ifndef SF_HASH_H
#define SF_HASH_H

#include <stdint.h>

#define SF_HASH_INIT  0xcbf29ce484222325ULL
#define SF_HASH_PRIME 0x100000001b3ULL

static inline uint64_t sf_hash_step(uint64_t h, uint64_t word)
{
	return (h ^ word) * SF_HASH_PRIME;
}

/* murmur3's fmix64: a bijection that spreads every input bit. */
static inline uint64_t sf_hash_final(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

/* Seed for the fill generator, derived from two identifiers; never zero. */
static inline uint64_t sf_fill_seed(uint64_t a, uint64_t b)
{
	uint64_t s =
	    sf_hash_final(a * 0x9e3779b97f4a7c15ULL ^ sf_hash_final(b));

	return s != 0 ? s : 0x9e3779b97f4a7c15ULL;
}

/* xorshift64: cheap enough to regenerate a page on every check under TCG. */
static inline uint64_t sf_fill_next(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return x;
}

#endif
