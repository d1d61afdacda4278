/*
 * test_codec.c: round trips through every codec, the raw bypass, and
 * corrupt or mis-declared payloads.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "transport/codec.h"
#include "transport/tp_frame.h"
#include "tests/transport/tp_testlib.h"

static const unsigned int codec_ids[] = { TP_FRAME_CODEC_RAW,
	                                  TP_FRAME_CODEC_LZ4,
	                                  TP_FRAME_CODEC_ZSTD };

static void fill_random(uint8_t *p, size_t n, uint32_t seed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (uint8_t)(seed >> 16);
	}
}

/* Encode then decode buf through codec id; returns the wire length. */
static size_t codec_round_trip(unsigned int id, const uint8_t *buf, size_t n,
                               uint8_t *used)
{
	struct tp_codec *enc = tp_codec_new(id, 0);
	struct tp_codec *dec = tp_codec_new(TP_FRAME_CODEC_RAW, 0);
	uint8_t *wire = malloc(n);
	uint8_t *back = malloc(n + 16);
	struct tp_error err = { 0 };
	size_t wire_len = 0;

	cr_assert(enc && dec && wire && back);
	memset(back + n, 0xa5, 16);
	cr_assert_eq(tp_codec_encode(enc, buf, n, wire, &wire_len, used, &err),
	             0, "%s", err.msg);
	cr_assert_leq(wire_len, n, "wire %zu > raw %zu", wire_len, n);
	cr_assert_eq(tp_codec_decode(dec, *used, wire, wire_len, back, n, &err),
	             0, "%s: %s", tp_codec_name(id), err.msg);
	cr_assert_arr_eq(back, buf, n);
	for (size_t i = 0; i < 16; i++)
		cr_assert_eq(back[n + i], 0xa5, "decoder wrote past raw_len");
	free(wire);
	free(back);
	tp_codec_free(enc);
	tp_codec_free(dec);
	return wire_len;
}

Test(transport_codec, round_trip_random)
{
	static const size_t sizes[] = {
		1, 2, 17, 4096, 65536, TP_FRAME_RAW_MAX
	};
	uint8_t *buf = malloc(TP_FRAME_RAW_MAX);
	uint8_t used;

	cr_assert(buf);
	for (size_t c = 0; c < 3; c++) {
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			fill_random(buf, sizes[s], (uint32_t)(s + 1));
			/* Random bytes do not compress: the bypass sends raw.
			 */
			cr_assert_eq(codec_round_trip(codec_ids[c], buf,
			                              sizes[s], &used),
			             sizes[s]);
			cr_assert_eq(used, TP_FRAME_CODEC_RAW);
		}
	}
	free(buf);
}

Test(transport_codec, round_trip_compressible)
{
	static const size_t sizes[] = { 100, 4096, 65536, TP_FRAME_RAW_MAX };
	uint8_t *buf = malloc(TP_FRAME_RAW_MAX);
	size_t wire;
	uint8_t used;

	cr_assert(buf);
	for (size_t c = 0; c < 3; c++) {
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			tt_fill_words(buf, sizes[s], (uint32_t)s);
			wire = codec_round_trip(codec_ids[c], buf, sizes[s],
			                        &used);
			cr_assert_eq(used, codec_ids[c]);
			if (codec_ids[c] != TP_FRAME_CODEC_RAW &&
			    sizes[s] >= 4096)
				cr_assert_lt(wire, sizes[s] / 2,
				             "%s: %zu -> %zu",
				             tp_codec_name(codec_ids[c]),
				             sizes[s], wire);
		}
	}
	/* All zeros: the best case for a memory page. */
	memset(buf, 0, 65536);
	for (size_t c = 1; c < 3; c++)
		cr_assert_lt(codec_round_trip(codec_ids[c], buf, 65536, &used),
		             1024);
	free(buf);
}

Test(transport_codec, levels)
{
	uint8_t *buf = malloc(65536);
	struct tp_codec *codec;
	uint8_t used;

	cr_assert(buf);
	tt_fill_words(buf, 65536, 7);
	codec = tp_codec_new(TP_FRAME_CODEC_ZSTD, 9);
	cr_assert(codec);
	cr_assert_eq(tp_codec_id(codec), TP_FRAME_CODEC_ZSTD);
	tp_codec_free(codec);
	codec = tp_codec_new(TP_FRAME_CODEC_LZ4, 8);
	cr_assert(codec);
	tp_codec_free(codec);
	cr_assert_null(tp_codec_new(9, 0));
	cr_assert_eq(errno, EINVAL);
	tp_codec_free(NULL);
	codec_round_trip(TP_FRAME_CODEC_ZSTD, buf, 65536, &used);
	free(buf);
}

/* Compress compressible data with id, then damage it in several ways. */
static void codec_corrupt(unsigned int id)
{
	struct tp_codec *enc = tp_codec_new(id, 0);
	struct tp_codec *dec = tp_codec_new(TP_FRAME_CODEC_RAW, 0);
	uint8_t *buf = malloc(65536), *wire = malloc(65536);
	uint8_t *back = malloc(65536 + 16);
	struct tp_error err = { 0 };
	size_t wire_len = 0, i;
	uint8_t used;
	int ret;

	cr_assert(enc && dec && buf && wire && back);
	tt_fill_words(buf, 65536, 3);
	cr_assert_eq(
	    tp_codec_encode(enc, buf, 65536, wire, &wire_len, &used, NULL), 0);
	cr_assert_eq(used, id);
	memset(back + 65536, 0xa5, 16);

	/* Declared raw length one short, one long, and far too long. */
	cr_assert_eq(
	    tp_codec_decode(dec, id, wire, wire_len, back, 65535, &err),
	    -EBADMSG);
	cr_assert_eq(
	    tp_codec_decode(dec, id, wire, wire_len, back, 65536 + 1, &err),
	    -EBADMSG);
	cr_assert_eq(tp_codec_decode(dec, id, wire, wire_len, back,
	                             TP_FRAME_RAW_MAX + 1, &err),
	             -EMSGSIZE);
	/* Truncated payload. */
	cr_assert_eq(
	    tp_codec_decode(dec, id, wire, wire_len / 2, back, 65536, &err),
	    -EBADMSG);
	cr_assert(strstr(err.msg, "corrupt"), "%s", err.msg);
	/* Flipped bytes: either rejected, or (rarely, for LZ4 literals)
	 * decoded to the right length; never a crash or an overrun. */
	for (i = 0; i < wire_len; i += 7) {
		wire[i] ^= 0x5a;
		ret =
		    tp_codec_decode(dec, id, wire, wire_len, back, 65536, &err);
		cr_assert(ret == 0 || ret == -EBADMSG, "ret %d", ret);
		wire[i] ^= 0x5a;
	}
	for (i = 0; i < 16; i++)
		cr_assert_eq(back[65536 + i], 0xa5);
	/* Garbage. */
	fill_random(wire, 1000, 9);
	cr_assert_eq(tp_codec_decode(dec, id, wire, 1000, back, 65536, &err),
	             -EBADMSG);
	/* A "compressed" payload no smaller than raw is refused outright. */
	cr_assert_eq(tp_codec_decode(dec, id, wire, 1000, back, 1000, &err),
	             -EBADMSG);
	free(buf);
	free(wire);
	free(back);
	tp_codec_free(enc);
	tp_codec_free(dec);
}

Test(transport_codec, corrupt_lz4)
{
	codec_corrupt(TP_FRAME_CODEC_LZ4);
}

Test(transport_codec, corrupt_zstd)
{
	codec_corrupt(TP_FRAME_CODEC_ZSTD);
}

Test(transport_codec, bad_codec_and_raw_length)
{
	struct tp_codec *dec = tp_codec_new(TP_FRAME_CODEC_RAW, 0);
	uint8_t buf[16] = { 0 }, out[16];
	struct tp_error err = { 0 };
	size_t wire_len;
	uint8_t used;

	cr_assert(dec);
	cr_assert_eq(tp_codec_decode(dec, 3, buf, 4, out, 16, &err), -EPROTO);
	cr_assert_eq(
	    tp_codec_decode(dec, TP_FRAME_CODEC_RAW, buf, 15, out, 16, &err),
	    -EBADMSG);
	cr_assert_eq(
	    tp_codec_decode(dec, TP_FRAME_CODEC_RAW, buf, 0, out, 0, &err),
	    -EMSGSIZE);
	cr_assert_eq(tp_codec_encode(dec, buf, 0, out, &wire_len, &used, &err),
	             -EMSGSIZE);
	cr_assert_str_eq(tp_codec_name(TP_FRAME_CODEC_LZ4), "lz4");
	cr_assert_str_eq(tp_codec_name(7), "unknown");
	tp_codec_free(dec);
}

Test(transport_codec, stats)
{
	struct tp_stats stats = { 0 };

	tp_stats_add_tx(&stats, 1000, 400);
	tp_stats_add_tx(&stats, 1000, 1000);
	tp_stats_add_rx(&stats, 500, 100);
	cr_assert_eq(stats.tx_raw, 2000);
	cr_assert_eq(stats.tx_wire, 1400);
	cr_assert_eq(stats.tx_frames, 2);
	cr_assert_eq(stats.tx_frames_bypassed, 1);
	cr_assert_eq(stats.rx_raw, 500);
	cr_assert_eq(stats.rx_wire, 100);
}
