/*
 * The memory workload's working set: npages pattern pages (sf_pattern.h) and
 * the generation each one is expected to hold.
 */
#ifndef SF_WORKSET_H
#define SF_WORKSET_H

#include <stdint.h>

#include "sf_err.h"
#include "sf_pattern.h"

struct sf_workset {
	uint8_t *mem;   /* npages * SF_PAGE_SIZE, anonymous mapping */
	uint64_t *gens; /* expected generation per page */
	uint64_t npages;
	uint64_t dirty_cursor;
	uint64_t sweep_cursor;
	uint64_t max_gen;
	uint64_t dirtied; /* rewrites since init, not counting the first fill */
	uint64_t verified; /* page checks done, by rewrites and by the sweep */
	uint64_t mismatches;
};

struct sf_page_report {
	uint64_t page_no;
	uint64_t expected_gen;
	uint64_t found_gen;
	enum sf_page_status status;
};

/*
 * Map npages pages and write generation 1 into each. npages may be 0 (the
 * workload is off). Returns 0 or -errno; on failure ws holds nothing.
 */
int sf_workset_init(struct sf_workset *ws, uint64_t npages, struct sf_err *err);

/* Release the mapping. Safe on a zeroed or already released ws. */
void sf_workset_fini(struct sf_workset *ws);

/*
 * Verify the next page in rewrite order, then rewrite it with the next
 * generation. Returns 0, or -EBADMSG with *report filled when the page did not
 * hold what it should have (the page is rewritten regardless).
 */
int sf_workset_dirty_next(struct sf_workset *ws, struct sf_page_report *report);

/*
 * Verify the next page in sweep order. Returns 0, or -EBADMSG with *report
 * filled; the page is then restored so that one fault is reported once.
 */
int sf_workset_sweep_next(struct sf_workset *ws, struct sf_page_report *report);

/* Address of page page_no (tests use it to inject faults). */
uint8_t *sf_workset_page(struct sf_workset *ws, uint64_t page_no);

#endif
