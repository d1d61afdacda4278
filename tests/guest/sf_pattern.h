/*
 * Verifiable page pattern for the memory workload.
 *
 * Every 4 KiB page holds 512 native 64-bit words (the page never leaves the
 * guest, so native byte order is fine):
 *
 *   word 0       SF_PAGE_MAGIC ("SFPAGE", version 1)
 *   word 1       page number within the working set
 *   word 2       generation (1 on the first write, +1 on every rewrite)
 *   word 3       checksum: sf_hash over words 0-2 and 4-511
 *   words 4-511  fill: xorshift64 seeded from (page number, generation)
 *
 * The checksum catches a change anywhere in the page; the fill being a pure
 * function of (page, generation) means a checker can also say where.
 */
#ifndef SF_PATTERN_H
#define SF_PATTERN_H

#include <stdint.h>

#define SF_PAGE_SIZE  4096
#define SF_PAGE_WORDS (SF_PAGE_SIZE / 8)
#define SF_PAGE_MAGIC 0x5346504147450001ULL

#define SF_PAGE_W_MAGIC 0
#define SF_PAGE_W_NUM   1
#define SF_PAGE_W_GEN   2
#define SF_PAGE_W_SUM   3
#define SF_PAGE_W_FILL  4

enum sf_page_status {
	SF_PAGE_OK = 0,
	SF_PAGE_ZERO, /* all zero: the page's content was lost */
	SF_PAGE_MAGIC_BAD,
	SF_PAGE_NUM_BAD,  /* another page's content */
	SF_PAGE_GEN_BAD,  /* stale or future generation */
	SF_PAGE_SUM_BAD,  /* content changed after it was written */
	SF_PAGE_FILL_BAD, /* fill differs although the checksum matches */
};

/* Write the pattern for (page_no, gen) into the SF_PAGE_SIZE bytes at page. */
void sf_page_fill(void *page, uint64_t page_no, uint64_t gen);

/*
 * Check that page holds the pattern for (page_no, gen). *found_gen receives
 * the generation word as found, whatever the verdict.
 */
enum sf_page_status sf_page_check(const void *page, uint64_t page_no,
                                  uint64_t gen, uint64_t *found_gen);

/* Short token for a status, used as reason= on the console. */
const char *sf_page_status_name(enum sf_page_status status);

#endif
