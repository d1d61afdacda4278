/*
 * Tests of the WAN emulator's timing model, its frame FIFO and its control
 * requests: all pure functions, driven with made-up clocks.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "wanem_ctl.h"
#include "wanem_ring.h"
#include "wanem_shaper.h"

#define MS 1000000ull
#define US 1000ull

static struct wanem_link link_make(uint64_t rate, uint64_t delay, uint32_t loss,
                                   uint64_t limit)
{
	struct wanem_link link = { rate, delay, loss, limit };

	return link;
}

Test(wanem_shaper, serialise_time)
{
	/* 1500 bytes at 100 Mbit/s: 120 us; at 1 Gbit/s: 12 us. */
	cr_expect_eq(wanem_serialise_ns(100000000, 1500), 120 * US);
	cr_expect_eq(wanem_serialise_ns(1000000000, 1500), 12 * US);
	cr_expect_eq(wanem_serialise_ns(0, 1500), 0);
	/* Rounded up: 1 byte at 3 bit/s is 2.666.. s. */
	cr_expect_eq(wanem_serialise_ns(3, 1), 2666666667ull);
}

Test(wanem_shaper, limit_auto)
{
	/* 100 Mbit/s x 50 ms RTT = 625000 bytes. */
	cr_expect_eq(wanem_limit_auto(100000000, 25 * MS), 625000);
	cr_expect_eq(wanem_limit_auto(1000000000, 5 * MS), 1250000);
	cr_expect_eq(wanem_limit_auto(0, 25 * MS), WANEM_LIMIT_FLOOR);
	cr_expect_eq(wanem_limit_auto(1000000, 1 * MS), WANEM_LIMIT_FLOOR);
	cr_expect_eq(wanem_limit_auto(WANEM_RATE_MAX, WANEM_DELAY_MAX),
	             WANEM_LIMIT_MAX);
}

/* A burst at t=0 leaves back to back at the link rate, one delay later. */
Test(wanem_shaper, departures_back_to_back)
{
	struct wanem_link link = link_make(100000000, 25 * MS, 0, 0);
	struct wanem_shaper sh;
	uint64_t t;
	int i;

	wanem_shaper_init(&sh, &link, 1);
	for (i = 0; i < 10; i++) {
		cr_assert_eq(wanem_shaper_admit(&sh, 0, 1500, false, &t),
		             WANEM_PASS);
		cr_expect_eq(t, (uint64_t)(i + 1) * 120 * US + 25 * MS,
		             "frame %d", i);
	}
	cr_expect_eq(wanem_shaper_backlog(&sh, 0), 15000);
	cr_expect_eq(wanem_shaper_backlog(&sh, 600 * US), 7500);
	cr_expect_eq(wanem_shaper_backlog(&sh, 2 * MS), 0);
}

/* Frames spaced wider than their serialisation time are not delayed more. */
Test(wanem_shaper, departures_idle_link)
{
	struct wanem_link link = link_make(100000000, 5 * MS, 0, 0);
	struct wanem_shaper sh;
	uint64_t t;
	int i;

	wanem_shaper_init(&sh, &link, 1);
	for (i = 0; i < 10; i++) {
		wanem_shaper_admit(&sh, (uint64_t)i * MS, 1500, false, &t);
		cr_expect_eq(t, (uint64_t)i * MS + 120 * US + 5 * MS);
	}
}

/* Over a long run, the delivered rate is the configured rate. */
Test(wanem_shaper, long_run_rate)
{
	struct wanem_link link = link_make(50000000, 0, 0, 64ull << 20);
	struct wanem_shaper sh;
	uint64_t t = 0, bytes = 0;
	int i;

	wanem_shaper_init(&sh, &link, 1);
	/* Offered at 2x the rate: 1514 bytes every 121 us. */
	for (i = 0; i < 20000; i++) {
		if (wanem_shaper_admit(&sh, (uint64_t)i * 121 * US, 1514, false,
		                       &t) == WANEM_PASS)
			bytes += 1514;
	}
	cr_expect_eq(bytes, 20000ull * 1514, "limit is 64 MiB: no drops");
	/* 20000 x 1514 B at 50 Mbit/s = 4.8448 s (+-1 ns per frame). */
	cr_expect_geq(t, 4844800000ull);
	cr_expect_leq(t, 4844800000ull + 20000);
}

Test(wanem_shaper, unlimited_rate_only_delay)
{
	struct wanem_link link = link_make(0, 75 * MS, 0, 0);
	struct wanem_shaper sh;
	uint64_t t;
	int i;

	wanem_shaper_init(&sh, &link, 1);
	for (i = 0; i < 1000; i++) {
		cr_assert_eq(wanem_shaper_admit(&sh, 5 * MS, 1514, false, &t),
		             WANEM_PASS);
		cr_expect_eq(t, 80 * MS);
	}
	cr_expect_eq(wanem_shaper_backlog(&sh, 5 * MS), 0);
}

Test(wanem_shaper, tail_drop)
{
	/* 3000 bytes of queue: the third 1500-byte burst frame is dropped. */
	struct wanem_link link = link_make(100000000, 0, 0, 3000);
	struct wanem_shaper sh;
	uint64_t t;

	wanem_shaper_init(&sh, &link, 1);
	cr_expect_eq(wanem_shaper_admit(&sh, 0, 1500, false, &t), WANEM_PASS);
	cr_expect_eq(wanem_shaper_admit(&sh, 0, 1500, false, &t), WANEM_PASS);
	cr_expect_eq(wanem_shaper_admit(&sh, 0, 1500, false, &t),
	             WANEM_DROP_QUEUE);
	cr_expect_eq(t, 240 * US, "last accepted frame");
	/* Once one frame has left, there is room again. */
	cr_expect_eq(wanem_shaper_admit(&sh, 120 * US, 1500, false, &t),
	             WANEM_PASS);
	cr_expect_eq(t, 360 * US);
	cr_expect_eq(sh.counters.drop_queue, 1);
	cr_expect_eq(sh.counters.rx_frames, 4);
	cr_expect_eq(sh.counters.rx_bytes, 6000);
}

Test(wanem_shaper, cut_drops_everything)
{
	struct wanem_link link = link_make(0, 0, 0, 0);
	struct wanem_shaper sh;
	uint64_t t;
	int i;

	wanem_shaper_init(&sh, &link, 1);
	for (i = 0; i < 100; i++)
		cr_expect_eq(wanem_shaper_admit(&sh, 0, 100, true, &t),
		             WANEM_DROP_CUT);
	cr_expect_eq(sh.counters.drop_cut, 100);
}

static uint64_t losses_count(uint32_t ppb, uint64_t seed, int frames)
{
	struct wanem_link link = link_make(0, 0, ppb, 0);
	struct wanem_shaper sh;
	uint64_t t;
	int i;

	wanem_shaper_init(&sh, &link, seed);
	for (i = 0; i < frames; i++)
		wanem_shaper_admit(&sh, 0, 100, false, &t);
	return sh.counters.drop_loss;
}

Test(wanem_shaper, loss_fraction)
{
	uint64_t lost;

	/* 0.1% of 10^6: 1000 expected, sigma ~31.6; allow 4 sigma. */
	lost = losses_count(1000000, 42, 1000000);
	cr_expect(lost > 873 && lost < 1127, "lost %lu", (unsigned long)lost);
	/* 25%: 250000 expected, sigma ~433. */
	lost = losses_count(250000000, 7, 1000000);
	cr_expect(lost > 248268 && lost < 251732, "lost %lu",
	          (unsigned long)lost);
	cr_expect_eq(losses_count(0, 1, 10000), 0);
	cr_expect_eq(losses_count(WANEM_LOSS_ONE, 1, 10000), 10000);
	/* A fixed seed gives the same pattern; another seed does not. */
	cr_expect_eq(losses_count(1000000, 42, 100000),
	             losses_count(1000000, 42, 100000));
	cr_expect_neq(losses_count(50000000, 1, 100000),
	              losses_count(50000000, 2, 100000));
}

/* Lowering the delay while frames are in flight never reorders them. */
Test(wanem_shaper, delay_change_keeps_order)
{
	struct wanem_link link = link_make(0, 50 * MS, 0, 0);
	struct wanem_shaper sh;
	uint64_t t1, t2, t3;

	wanem_shaper_init(&sh, &link, 1);
	wanem_shaper_admit(&sh, 0, 100, false, &t1);
	link.delay_ns = 10 * MS;
	wanem_shaper_configure(&sh, &link);
	wanem_shaper_admit(&sh, 1 * MS, 100, false, &t2);
	wanem_shaper_admit(&sh, 45 * MS, 100, false, &t3);
	cr_expect_eq(t1, 50 * MS);
	cr_expect_eq(t2, 50 * MS, "held behind the earlier frame");
	cr_expect_eq(t3, 55 * MS);
}

/* A rate change applies to the next frame; queued frames keep theirs. */
Test(wanem_shaper, rate_change_mid_stream)
{
	struct wanem_link link = link_make(100000000, 0, 0, 1 << 20);
	struct wanem_shaper sh;
	uint64_t t;

	wanem_shaper_init(&sh, &link, 1);
	wanem_shaper_admit(&sh, 0, 1500, false, &t);
	cr_expect_eq(t, 120 * US);
	link.rate_bps = 10000000;
	wanem_shaper_configure(&sh, &link);
	wanem_shaper_admit(&sh, 0, 1500, false, &t);
	cr_expect_eq(t, 120 * US + 1200 * US);
	cr_expect_eq(sh.limit_bytes, 1 << 20, "explicit limit kept");
	link.limit_bytes = 0;
	wanem_shaper_configure(&sh, &link);
	cr_expect_eq(sh.limit_bytes, WANEM_LIMIT_FLOOR);
}

Test(wanem_ring, fifo_and_growth)
{
	struct wanem_ring ring;
	unsigned char frame[WANEM_FRAME_MAX];
	unsigned char *p;
	uint64_t t;
	size_t len, i;

	cr_assert_eq(wanem_ring_init(&ring), 0);
	/* Wrap the head around first, then grow past the initial size. */
	for (i = 0; i < 700; i++) {
		frame[0] = (unsigned char)i;
		cr_assert_eq(wanem_ring_push(&ring, frame, 60, i), 0);
	}
	wanem_ring_pop(&ring, 600);
	for (i = 700; i < 700 + 3000; i++) {
		memset(frame, (int)(i & 0xff), 64);
		cr_assert_eq(wanem_ring_push(&ring, frame, 64 + i % 7, i), 0);
	}
	cr_expect_eq(ring.count, 3100);
	cr_expect_geq(ring.cap, 4096);
	for (i = 0; i < ring.count; i++) {
		p = wanem_ring_frame(&ring, i, &len, &t);
		cr_assert_eq(t, 600 + i);
		cr_assert_eq(p[0], (unsigned char)(600 + i));
		if (t >= 700)
			cr_assert_eq(len, 64 + t % 7);
	}
	cr_expect_eq(wanem_ring_push(&ring, frame, WANEM_FRAME_MAX + 1, 0),
	             -EMSGSIZE);
	wanem_ring_free(&ring);
	wanem_ring_free(&ring);
	wanem_ring_free(NULL);
}

Test(wanem_ring, full_at_max)
{
	struct wanem_ring ring;
	unsigned char frame[64] = { 0 };
	size_t i;

	cr_assert_eq(wanem_ring_init(&ring), 0);
	for (i = 0; i < WANEM_RING_MAX; i++)
		cr_assert_eq(wanem_ring_push(&ring, frame, sizeof(frame), i),
		             0);
	cr_expect_eq(wanem_ring_push(&ring, frame, sizeof(frame), i), -ENOBUFS);
	wanem_ring_free(&ring);
}

static int handle(struct wanem_state *st, const char *msg, uint64_t now,
                  char *reply, size_t len)
{
	return wanem_ctl_handle(st, msg, strlen(msg), now, reply, len);
}

Test(wanem_ctl, set_profile_cut_show)
{
	struct wanem_state st;
	char reply[WANEM_REPLY_MAX];

	wanem_state_init(&st, 0, 1);
	cr_assert_eq(
	    handle(&st, "wanem/1 profile wan", 0, reply, sizeof(reply)), 0);
	cr_expect_str_eq(reply, "ok\n");
	cr_expect_eq(st.dir[WANEM_EW].link.rate_bps, 100000000);
	cr_expect_eq(st.dir[WANEM_WE].link.delay_ns, 25 * MS);
	cr_expect_eq(st.dir[WANEM_WE].limit_bytes, 625000);

	cr_assert_eq(handle(&st, "wanem/1 set dir=ew rate=20mbit", 0, reply,
	                    sizeof(reply)),
	             0);
	cr_expect_eq(st.dir[WANEM_EW].link.rate_bps, 20000000);
	cr_expect_eq(st.dir[WANEM_EW].link.delay_ns, 25 * MS, "kept");
	cr_expect_eq(st.dir[WANEM_WE].link.rate_bps, 100000000, "untouched");
	cr_expect_eq(st.profile, -1);

	cr_assert_eq(
	    handle(&st, "wanem/1 cut 3", 1000 * MS, reply, sizeof(reply)), 0);
	cr_expect(wanem_state_cut(&st, 1000 * MS));
	cr_expect(wanem_state_cut(&st, 3999 * MS));
	cr_expect_not(wanem_state_cut(&st, 4000 * MS));

	cr_assert_eq(
	    handle(&st, "wanem/1 show", 2000 * MS, reply, sizeof(reply)), 0);
	cr_expect(
	    !strncmp(reply, "ok\nprofile=custom\ncut_remaining_ms=2000\n", 39),
	    "%s", reply);
	cr_expect(strstr(reply, "\new.rate_bps=20000000\n"), "%s", reply);
	cr_expect(strstr(reply, "\nwe.rate_bps=100000000\n"), "%s", reply);
	cr_expect(strstr(reply, "\nwe.fwd_bytes=0\n"), "%s", reply);
	cr_expect(strstr(reply, "\nwe.drop_rxbuf=0\n"), "%s", reply);

	cr_assert_eq(
	    handle(&st, "wanem/1 cut 0", 2000 * MS, reply, sizeof(reply)), 0);
	cr_expect_not(wanem_state_cut(&st, 2000 * MS));

	cr_expect_eq(
	    handle(&st, "wanem/1 set rate=fast", 0, reply, sizeof(reply)),
	    -EINVAL);
	cr_expect(!strncmp(reply, "error: bad rate 'fast'", 22), "%s", reply);
	cr_expect_eq(st.dir[WANEM_EW].link.rate_bps, 20000000, "unchanged");
}

Test(wanem_ctl, show_truncates_safely)
{
	struct wanem_state st;
	char reply[40];

	wanem_state_init(&st, 3, 1);
	cr_assert_eq(handle(&st, "wanem/1 show", 0, reply, sizeof(reply)), 0);
	cr_expect_eq(strlen(reply), sizeof(reply) - 1);
}

Test(wanem_ctl, link_format)
{
	struct wanem_state st;
	char line[160];

	wanem_state_init(&st, 3, 1);
	wanem_link_format(&st.dir[0], line, sizeof(line));
	cr_expect_str_eq(line,
	                 "rate=50mbit delay=75ms loss=0.1% limit=auto(937500)");
	wanem_state_init(&st, 0, 1);
	wanem_link_format(&st.dir[0], line, sizeof(line));
	cr_expect_str_eq(line,
	                 "rate=unlimited delay=0ms loss=0% limit=auto(131072)");
}
