/* Tests for the page pattern, the working set and the pacing helpers. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "sf_pace.h"
#include "sf_pattern.h"
#include "sf_workset.h"

static uint64_t page[SF_PAGE_WORDS];

Test(pattern, golden)
{
	uint64_t found = 0;

	sf_page_fill(page, 5, 7);
	cr_assert_eq(page[SF_PAGE_W_MAGIC], 0x5346504147450001ULL);
	cr_assert_eq(page[SF_PAGE_W_NUM], 5);
	cr_assert_eq(page[SF_PAGE_W_GEN], 7);
	/* Pinned: a change here changes the pattern every lab log shows. */
	cr_assert_eq(page[SF_PAGE_W_SUM], 0x656918f0836442c7ULL);
	cr_assert_eq(page[SF_PAGE_W_FILL], 0x4ec2fe0f20e47580ULL);
	cr_assert_eq(page[SF_PAGE_WORDS - 1], 0x83e1a410f11c2007ULL);
	cr_assert_eq(sf_page_check(page, 5, 7, &found), SF_PAGE_OK);
	cr_assert_eq(found, 7);
}

Test(pattern, every_single_byte_flip_is_detected)
{
	uint8_t *bytes = (uint8_t *)page;
	uint64_t found;
	size_t i;

	sf_page_fill(page, 1234, 99);
	for (i = 0; i < SF_PAGE_SIZE; i++) {
		bytes[i] ^= 0x01;
		cr_assert_neq(sf_page_check(page, 1234, 99, &found), SF_PAGE_OK,
		              "flip at byte %zu not detected", i);
		bytes[i] ^= 0x01;
	}
	cr_assert_eq(sf_page_check(page, 1234, 99, &found), SF_PAGE_OK);
}

Test(pattern, reasons)
{
	uint64_t found;

	memset(page, 0, sizeof(page));
	cr_assert_eq(sf_page_check(page, 3, 1, &found), SF_PAGE_ZERO);
	sf_page_fill(page, 3, 1);
	page[SF_PAGE_W_MAGIC] ^= 1;
	cr_assert_eq(sf_page_check(page, 3, 1, &found), SF_PAGE_MAGIC_BAD);
	sf_page_fill(page, 4, 1);
	cr_assert_eq(sf_page_check(page, 3, 1, &found), SF_PAGE_NUM_BAD);
	sf_page_fill(page, 3, 1);
	cr_assert_eq(sf_page_check(page, 3, 2, &found), SF_PAGE_GEN_BAD);
	cr_assert_eq(found, 1);
	page[100] ^= 0x8000;
	cr_assert_eq(sf_page_check(page, 3, 1, &found), SF_PAGE_SUM_BAD);
	cr_assert_str_eq(sf_page_status_name(SF_PAGE_SUM_BAD), "bad_checksum");
	cr_assert_str_eq(sf_page_status_name(SF_PAGE_GEN_BAD), "wrong_gen");
}

Test(workset, rewrite_and_sweep)
{
	struct sf_workset ws;
	struct sf_page_report rep;
	uint64_t i;

	cr_assert_eq(sf_workset_init(&ws, 8, NULL), 0);
	for (i = 0; i < 20; i++)
		cr_assert_eq(sf_workset_dirty_next(&ws, &rep), 0);
	cr_assert_eq(ws.dirtied, 20);
	cr_assert_eq(ws.max_gen, 4); /* pages 0-3 rewritten three times */
	for (i = 0; i < 8; i++)
		cr_assert_eq(sf_workset_sweep_next(&ws, &rep), 0);
	cr_assert_eq(ws.verified, 28);
	cr_assert_eq(ws.mismatches, 0);
	sf_workset_fini(&ws);
	sf_workset_fini(&ws); /* idempotent */
}

Test(workset, corruption_is_reported_once)
{
	struct sf_workset ws;
	struct sf_page_report rep;
	int i, bad = 0;

	cr_assert_eq(sf_workset_init(&ws, 4, NULL), 0);
	sf_workset_page(&ws, 2)[777] ^= 0x40;
	for (i = 0; i < 8; i++)
		if (sf_workset_sweep_next(&ws, &rep) < 0)
			bad++;
	cr_assert_eq(bad, 1);
	cr_assert_eq(ws.mismatches, 1);
	/* A stale page (a lost write) is caught by the rewrite path. */
	sf_page_fill(sf_workset_page(&ws, 0), 0, 0);
	cr_assert_eq(sf_workset_dirty_next(&ws, &rep), -EBADMSG);
	cr_assert_eq(rep.page_no, 0);
	cr_assert_eq(rep.expected_gen, 1);
	cr_assert_eq(rep.found_gen, 0);
	cr_assert_eq(rep.status, SF_PAGE_GEN_BAD);
	sf_workset_fini(&ws);
}

Test(workset, empty_and_too_large)
{
	struct sf_workset ws;
	struct sf_page_report rep;
	struct sf_err err = { "" };

	cr_assert_eq(sf_workset_init(&ws, 0, NULL), 0);
	cr_assert_eq(sf_workset_dirty_next(&ws, &rep), 0);
	cr_assert_eq(sf_workset_sweep_next(&ws, &rep), 0);
	cr_assert_eq(ws.dirtied, 0);
	sf_workset_fini(&ws);
	cr_assert_eq(sf_workset_init(&ws, 1ULL << 40, &err), -EINVAL);
	cr_assert_neq(err.msg[0], '\0');
}

#define MS (1000000ULL)

Test(pace, steady_rate)
{
	struct sf_pace p;
	uint64_t t, total = 0;

	sf_pace_init(&p, 2000, 1000 * MS);
	for (t = 1010 * MS; t <= 2000 * MS; t += 10 * MS)
		total += sf_pace_take(&p, t, UINT64_MAX);
	cr_assert_eq(total, 2000);
}

Test(pace, clock_jumps_do_not_burst)
{
	struct sf_pace p;

	sf_pace_init(&p, 2000, 0);
	/* 60 s forward, e.g. a paused guest: at most 100 ms of work. */
	cr_assert_eq(sf_pace_take(&p, 60000 * MS, UINT64_MAX), 200);
	cr_assert_eq(sf_pace_take(&p, 60000 * MS, UINT64_MAX), 0);
	/* Backwards: nothing now, normal pace afterwards. */
	cr_assert_eq(sf_pace_take(&p, 1000 * MS, UINT64_MAX), 0);
	cr_assert_eq(sf_pace_take(&p, 1010 * MS, UINT64_MAX), 20);
	/* want caps the result; the rest is kept. */
	cr_assert_eq(sf_pace_take(&p, 1020 * MS, 5), 5);
	cr_assert_eq(sf_pace_take(&p, 1020 * MS, UINT64_MAX), 15);
}

Test(pace, slow_rate_still_fires)
{
	struct sf_pace p;

	sf_pace_init(&p, 1, 0);
	cr_assert_eq(sf_pace_take(&p, 500 * MS, 1), 0);
	cr_assert_eq(sf_pace_take(&p, 1000 * MS, 1), 1);
	sf_pace_init(&p, 0, 0);
	cr_assert_eq(sf_pace_take(&p, 5000 * MS, 1), 0);
}

Test(period, heartbeat_survives_jumps)
{
	struct sf_period hb;

	sf_period_init(&hb, 1000 * MS, 0);
	cr_assert_not(sf_period_due(&hb, 999 * MS));
	cr_assert(sf_period_due(&hb, 1000 * MS));
	cr_assert_not(sf_period_due(&hb, 1500 * MS));
	cr_assert(sf_period_due(&hb, 2010 * MS));
	/* Jump 30 s ahead: one beat, then one per second again. */
	cr_assert(sf_period_due(&hb, 32000 * MS));
	cr_assert_not(sf_period_due(&hb, 32500 * MS));
	cr_assert(sf_period_due(&hb, 33000 * MS));
	/* Jump back 20 s: re-anchored, not silent for 20 s. */
	cr_assert_not(sf_period_due(&hb, 13000 * MS));
	cr_assert(sf_period_due(&hb, 14000 * MS));
}
