/* Verifiable page pattern: see sf_pattern.h for the layout. */
#include <stdbool.h>
#include <stddef.h>

#include "sf_hash.h"
#include "sf_pattern.h"

void sf_page_fill(void *page, uint64_t page_no, uint64_t gen)
{
	uint64_t *w = page;
	uint64_t state = sf_fill_seed(page_no, gen);
	uint64_t h = SF_HASH_INIT;
	size_t i;

	w[SF_PAGE_W_MAGIC] = SF_PAGE_MAGIC;
	w[SF_PAGE_W_NUM] = page_no;
	w[SF_PAGE_W_GEN] = gen;
	for (i = 0; i < SF_PAGE_W_SUM; i++)
		h = sf_hash_step(h, w[i]);
	for (i = SF_PAGE_W_FILL; i < SF_PAGE_WORDS; i++) {
		w[i] = sf_fill_next(&state);
		h = sf_hash_step(h, w[i]);
	}
	w[SF_PAGE_W_SUM] = sf_hash_final(h);
}

static bool sf_page_is_zero(const uint64_t *w)
{
	size_t i;

	for (i = 0; i < SF_PAGE_WORDS; i++)
		if (w[i] != 0)
			return false;
	return true;
}

/*
 * Header first (cheap, and names the likely cause), then one pass that both
 * recomputes the checksum and compares the fill with the expected sequence.
 */
enum sf_page_status sf_page_check(const void *page, uint64_t page_no,
                                  uint64_t gen, uint64_t *found_gen)
{
	const uint64_t *w = page;
	uint64_t state = sf_fill_seed(page_no, gen);
	uint64_t h = SF_HASH_INIT;
	bool fill_ok = true;
	size_t i;

	*found_gen = w[SF_PAGE_W_GEN];
	if (w[SF_PAGE_W_MAGIC] != SF_PAGE_MAGIC)
		return sf_page_is_zero(w) ? SF_PAGE_ZERO : SF_PAGE_MAGIC_BAD;
	if (w[SF_PAGE_W_NUM] != page_no)
		return SF_PAGE_NUM_BAD;
	if (w[SF_PAGE_W_GEN] != gen)
		return SF_PAGE_GEN_BAD;
	for (i = 0; i < SF_PAGE_W_SUM; i++)
		h = sf_hash_step(h, w[i]);
	for (i = SF_PAGE_W_FILL; i < SF_PAGE_WORDS; i++) {
		if (w[i] != sf_fill_next(&state))
			fill_ok = false;
		h = sf_hash_step(h, w[i]);
	}
	if (sf_hash_final(h) != w[SF_PAGE_W_SUM])
		return SF_PAGE_SUM_BAD;
	return fill_ok ? SF_PAGE_OK : SF_PAGE_FILL_BAD;
}

const char *sf_page_status_name(enum sf_page_status status)
{
	switch (status) {
	case SF_PAGE_OK:
		return "ok";
	case SF_PAGE_ZERO:
		return "zero_page";
	case SF_PAGE_MAGIC_BAD:
		return "bad_magic";
	case SF_PAGE_NUM_BAD:
		return "wrong_page";
	case SF_PAGE_GEN_BAD:
		return "wrong_gen";
	case SF_PAGE_SUM_BAD:
		return "bad_checksum";
	case SF_PAGE_FILL_BAD:
		return "bad_fill";
	}
	return "unknown";
}
