#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "tests/lab/statebound/statebound.h"

#define PAGE STATEBOUND_PAGE

static void run(struct statebound *sb, const uint8_t *data, size_t len,
                size_t step)
{
	size_t off, n;

	cr_assert_eq(statebound_init(sb), 0);
	for (off = 0; off < len; off += n) {
		n = len - off < step ? len - off : step;
		cr_assert_eq(statebound_feed(sb, data + off, n), 0);
	}
	cr_assert_eq(statebound_finish(sb), 0);
}

Test(statebound, zero_pages_cost_nothing)
{
	struct statebound sb;
	uint8_t *buf = calloc(64, PAGE);

	run(&sb, buf, 64 * PAGE, 64 * PAGE);
	cr_assert_eq(sb.total_bytes, 64 * PAGE);
	cr_assert_eq(sb.nonzero_bytes, 0);
	cr_assert_eq(sb.compressed_bytes, 0);
	statebound_free(&sb);
	free(buf);
}

/* One byte set in page 5 and in the last byte of page 9: two pages count,
 * whatever the feeding sizes. */
Test(statebound, nonzero_pages_counted_in_any_feed_size)
{
	static const size_t steps[] = { 1, 7, 4095, 4096, 4097, 65536 };
	struct statebound sb;
	uint8_t *buf = calloc(16, PAGE);
	size_t i;

	buf[5 * PAGE + 100] = 1;
	buf[10 * PAGE - 1] = 0xff;
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		run(&sb, buf, 16 * PAGE, steps[i]);
		cr_assert_eq(sb.total_bytes, 16 * PAGE, "step %zu", steps[i]);
		cr_assert_eq(sb.nonzero_bytes, 2 * PAGE, "step %zu", steps[i]);
		cr_assert(sb.compressed_bytes > 0 &&
		              sb.compressed_bytes < 2 * PAGE,
		          "step %zu: %lu", steps[i], sb.compressed_bytes);
		statebound_free(&sb);
	}
	free(buf);
}

/* Random data does not compress; a partial last page counts as a page. */
Test(statebound, random_and_partial_page)
{
	struct statebound sb;
	size_t len = 3 * (1u << 20) + 100, i;
	uint8_t *buf = malloc(len);
	uint32_t x = 12345;

	for (i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (uint8_t)(x >> 16);
	}
	run(&sb, buf, len, 100000);
	cr_assert_eq(sb.total_bytes, len);
	cr_assert_eq(sb.nonzero_bytes, len);
	cr_assert(sb.compressed_bytes > len * 99 / 100, "%lu",
	          sb.compressed_bytes);
	statebound_free(&sb);
	free(buf);
}

/* A pattern compresses to almost nothing; finish between two inputs
 * starts the second on a page of its own. */
Test(statebound, pattern_and_two_files)
{
	struct statebound sb;
	uint8_t *buf = malloc(8 * PAGE);

	memset(buf, 0x5a, 8 * PAGE);
	cr_assert_eq(statebound_init(&sb), 0);
	cr_assert_eq(statebound_feed(&sb, buf, 100), 0);
	cr_assert_eq(statebound_finish(&sb), 0);
	cr_assert_eq(statebound_feed(&sb, buf, 8 * PAGE), 0);
	cr_assert_eq(statebound_finish(&sb), 0);
	cr_assert_eq(sb.total_bytes, 8 * PAGE + 100);
	cr_assert_eq(sb.nonzero_bytes, 8 * PAGE + 100);
	cr_assert(sb.compressed_bytes < 200, "%lu", sb.compressed_bytes);
	statebound_free(&sb);
	free(buf);
}
