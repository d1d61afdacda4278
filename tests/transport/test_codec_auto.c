/*
 * test_codec_auto.c: the adaptive codec's policy, table-driven, with the
 * lab guest's QEMU stream ratios (DESIGN.md: LZ4-1 1.86x, zstd-1 2.29x,
 * zstd-3 2.36x) and plausible per-core speeds; then the CPU budget.
 */
#include <criterion/criterion.h>

#include "transport/codec_auto.h"

#define MBIT (1e6 / 8) /* bytes per second */
#define MB   1e6

struct pick_case {
	const char *what;
	double wire_Bps;
	double cores;
	double lz4_speed, zstd1_speed, zstd3_speed;
	double lz4_ratio, zstd1_ratio, zstd3_ratio;
	unsigned int want; /* 0 raw, 1 lz4-1, 2 zstd-1, 3 zstd-3 */
};

static const struct pick_case pick_cases[] = {
	{ "100 Mbit/s: the strongest zstd", 100 * MBIT, 0.25, 700 * MB,
	  400 * MB, 250 * MB, 1.86, 2.29, 2.36, 3 },
	{ "10 Mbit/s: the strongest zstd", 10 * MBIT, 0.25, 700 * MB,
	  400 * MB, 250 * MB, 1.86, 2.29, 2.36, 3 },
	{ "1 Gbit/s, half a core: LZ4", 1000 * MBIT, 0.5, 700 * MB, 400 * MB,
	  250 * MB, 1.86, 2.29, 2.36, 1 },
	{ "10 Gbit/s, one core: nothing", 10000 * MBIT, 1.0, 700 * MB,
	  400 * MB, 250 * MB, 1.86, 2.29, 2.36, 0 },
	{ "100 Mbit/s, slow CPU: zstd-1", 100 * MBIT, 0.25, 300 * MB,
	  150 * MB, 60 * MB, 1.86, 2.29, 2.36, 2 },
	{ "100 Mbit/s, incompressible: nothing", 100 * MBIT, 0.25, 700 * MB,
	  400 * MB, 250 * MB, 1.0, 1.0, 1.0, 0 },
	{ "100 Mbit/s, barely compressible (1%): nothing", 100 * MBIT, 0.25,
	  700 * MB, 400 * MB, 250 * MB, 1.01, 1.01, 1.01, 0 },
	{ "100 Mbit/s, zstd-3 gains under 2%: zstd-1", 100 * MBIT, 0.25,
	  700 * MB, 400 * MB, 250 * MB, 1.86, 2.29, 2.31, 2 },
	{ "100 Mbit/s, nothing measured yet: raw", 100 * MBIT, 0.25, 0, 0, 0,
	  0, 0, 0, 0 },
	{ "100 Mbit/s, only LZ4 measured: LZ4", 100 * MBIT, 0.25, 700 * MB, 0,
	  0, 1.86, 0, 0, 1 },
};

Test(transport_codec_auto, pick_table)
{
	struct tp_codec_auto_cand cands[4] = {
		{ TP_CODEC_RAW, 0, 0, 1 },
		{ TP_CODEC_LZ4, 1, 0, 0 },
		{ TP_CODEC_ZSTD, 1, 0, 0 },
		{ TP_CODEC_ZSTD, 3, 0, 0 },
	};
	const struct pick_case *c;
	unsigned int got;

	for (size_t i = 0; i < sizeof(pick_cases) / sizeof(pick_cases[0]);
	     i++) {
		c = &pick_cases[i];
		cands[1].speed = c->lz4_speed;
		cands[2].speed = c->zstd1_speed;
		cands[3].speed = c->zstd3_speed;
		cands[1].ratio = c->lz4_ratio;
		cands[2].ratio = c->zstd1_ratio;
		cands[3].ratio = c->zstd3_ratio;
		got = tp_codec_auto_pick(cands, 4, c->wire_Bps, c->cores);
		cr_expect_eq(got, c->want, "%s: picked %u, want %u", c->what,
		             got, c->want);
	}
}

/* A peer without zstd: only raw and LZ4 are candidates. */
Test(transport_codec_auto, pick_fewer_candidates)
{
	struct tp_codec_auto_cand cands[2] = {
		{ TP_CODEC_RAW, 0, 0, 1 },
		{ TP_CODEC_LZ4, 1, 700 * MB, 1.86 },
	};

	cr_assert_eq(tp_codec_auto_pick(cands, 2, 100 * MBIT, 0.25), 1);
	cr_assert_eq(tp_codec_auto_pick(cands, 1, 100 * MBIT, 0.25), 0);
}

Test(transport_codec_auto, budget)
{
	cr_assert_float_eq(tp_codec_auto_budget(10 * MBIT), 0.25, 1e-9);
	cr_assert_float_eq(tp_codec_auto_budget(100 * MBIT), 0.25, 1e-9);
	cr_assert_float_eq(tp_codec_auto_budget(1000 * MBIT), 0.5, 1e-9);
	cr_assert_float_eq(tp_codec_auto_budget(10000 * MBIT), 1.0, 1e-9);
}

/* The sampler on real data: compressible goes zstd on a slow link. */
Test(transport_codec_auto, frame_samples_and_switches)
{
	struct tp_codec_auto *a = tp_codec_auto_new(0x3);
	static uint8_t raw[65536], scratch[65536];
	unsigned int codec = 99;
	uint32_t seed = 1;
	int level = -1;

	cr_assert(a);
	for (size_t i = 0; i < sizeof(raw); i++) {
		seed = seed * 1103515245u + 12345u;
		raw[i] = "skyferry page "[(seed >> 16) % 14];
	}
	cr_assert(tp_codec_auto_frame(a, raw, sizeof(raw), scratch,
	                              100 * MBIT, &codec, &level));
	cr_assert_eq(codec, TP_CODEC_ZSTD);
	/* Not a sampling frame: nothing changes. */
	cr_assert_not(tp_codec_auto_frame(a, raw, sizeof(raw), scratch,
	                                  100 * MBIT, &codec, &level));
	tp_codec_auto_free(a);
	/* Without zstd at the peer: LZ4. */
	a = tp_codec_auto_new(0x1);
	cr_assert(a);
	cr_assert(tp_codec_auto_frame(a, raw, sizeof(raw), scratch,
	                              100 * MBIT, &codec, &level));
	cr_assert_eq(codec, TP_CODEC_LZ4);
	tp_codec_auto_free(a);
	tp_codec_auto_free(NULL);
}

/* Feed 64 * samples frames; sampled frame k is zeros when zeros_every
 * divides k + 1 (0: never), else data. Returns zstd-1's measured ratio. */
static double sampled_zstd1_ratio(const uint8_t *data, size_t len,
                                  unsigned int samples,
                                  unsigned int zeros_every)
{
	static uint8_t zeros[65536], scratch[65536];
	const struct tp_codec_auto_cand *cands;
	struct tp_codec_auto *a = tp_codec_auto_new(0x3);
	unsigned int codec, count, k, f;
	double ratio = 0;
	int level;

	cr_assert(a);
	for (k = 0; k < samples; k++)
		for (f = 0; f < TP_AUTO_SAMPLE_EVERY; f++)
			tp_codec_auto_frame(
			    a, zeros_every && (k + 1) % zeros_every == 0 ? zeros
			                                                 : data,
			    len, scratch, 100 * MBIT, &codec, &level);
	cands = tp_codec_auto_cands(a, &count);
	for (k = 0; k < count; k++)
		if (cands[k].codec == TP_CODEC_ZSTD && cands[k].level == 1)
			ratio = cands[k].ratio;
	tp_codec_auto_free(a);
	return ratio;
}

/*
 * A migration stream mixes zero pages (a thousandfold) with real ones.
 * The measured ratio must be what the bytes give, not an average of
 * per-frame ratios that one zero frame swamps: every other sample zeros
 * gives about twice the data's own ratio, not hundreds.
 */
Test(transport_codec_auto, ratio_weighs_bytes)
{
	static uint8_t data[65536];
	double alone, mixed;
	uint32_t seed = 7;

	for (size_t i = 0; i < sizeof(data); i++) {
		seed = seed * 1103515245u + 12345u;
		data[i] = "ACGT"[(seed >> 16) % 4];
	}
	alone = sampled_zstd1_ratio(data, sizeof(data), 8, 0);
	cr_assert_gt(alone, 1.5, "4-symbol data: zstd-1 ratio %.2f", alone);
	mixed = sampled_zstd1_ratio(data, sizeof(data), 8, 2);
	cr_expect(mixed > 1.5 * alone && mixed < 2.5 * alone,
	          "half the samples zeros: ratio %.2f, data alone %.2f", mixed,
	          alone);
}
