/*
 * test_wire_window.c: the wire window on simulated paths. Each round the
 * channel has its whole window in flight; the round takes the base round
 * trip, or window / rate once the window is past the bandwidth-delay
 * product (the excess queues at the bottleneck). TCP knows the path's
 * round trip from the stripes' handshakes, before anything queued.
 */
#include <criterion/criterion.h>

#include "transport/wire_window.h"

#define MIB (1u << 20)

struct path {
	double rate_Bps;
	double rtt_s;
};

/* Run rounds on the path; return the window after them. */
static uint32_t run_rounds(struct tp_wwin *w, const struct path *p,
                           unsigned int rounds, uint64_t *now_ns,
                           uint64_t *acked)
{
	double bdp = p->rate_Bps * p->rtt_s, round_s;

	for (unsigned int i = 0; i < rounds; i++) {
		round_s = w->window > bdp ? w->window / p->rate_Bps : p->rtt_s;
		*now_ns += (uint64_t)(round_s * 1e9);
		*acked += w->window;
		/* the newest covered frame went out a round trip ago */
		tp_wwin_covered(w, *now_ns, *now_ns - (uint64_t)(round_s * 1e9),
		                *acked, (uint64_t)(p->rtt_s * 1e9));
	}
	return w->window;
}

Test(transport_wire_window, fills_a_fat_path)
{
	struct path metro = { 125e6, 0.010 }; /* 1 Gbit/s, 10 ms */
	struct tp_wwin w;
	uint64_t now = 1, acked = 0;
	double bdp = metro.rate_Bps * metro.rtt_s;
	uint32_t got;

	tp_wwin_init(&w, MIB, TP_WWIN_MAX, true);
	got = run_rounds(&w, &metro, 30, &now, &acked);
	cr_expect(got > 1.4 * bdp && got < 1.6 * bdp,
	          "1 Gbit/s, 10 ms: window %u, want 1.5 x %.0f", got, bdp);
	/* The queue it builds does not feed back: steady, no runaway. */
	got = run_rounds(&w, &metro, 500, &now, &acked);
	cr_expect(got > 1.4 * bdp && got < 1.6 * bdp,
	          "after 500 more rounds: window %u", got);
}

Test(transport_wire_window, floor_on_a_slow_path)
{
	struct path wan = { 12.5e6, 0.050 }; /* 100 Mbit/s, 50 ms */
	struct tp_wwin w;
	uint64_t now = 1, acked = 0;

	tp_wwin_init(&w, MIB, TP_WWIN_MAX, true);
	cr_expect_eq(run_rounds(&w, &wan, 50, &now, &acked), MIB,
	             "1.5 x 625 KB is under the 1 MiB floor");
}

Test(transport_wire_window, ceiling_and_no_growth)
{
	struct path huge = { 1e9, 0.050 }; /* 8 Gbit/s, 50 ms */
	struct tp_wwin w;
	uint64_t now = 1, acked = 0;

	tp_wwin_init(&w, MIB, 4 * MIB, true);
	cr_expect_eq(run_rounds(&w, &huge, 40, &now, &acked), 4 * MIB,
	             "the far end's credit caps it");
	tp_wwin_init(&w, MIB, 4 * MIB, false);
	cr_expect_eq(run_rounds(&w, &huge, 40, &now, &acked), MIB,
	             "a window the caller chose stays");
	tp_wwin_init(&w, 2 * MIB, MIB, true);
	cr_expect_eq(w.window, 2 * MIB, "a ceiling under the floor");
	cr_expect_not(w.grow);
}

/* A slow consumer: credit comes late, the rate is low; the window stays
 * at the floor instead of following the inflated round trip up. */
Test(transport_wire_window, slow_consumer_does_not_grow_it)
{
	struct tp_wwin w;
	uint64_t now = 1, acked = 0;

	tp_wwin_init(&w, MIB, TP_WWIN_MAX, true);
	tp_wwin_covered(&w, now + 10000000, now, 64 << 10, 0); /* 10 ms */
	for (int i = 0; i < 100; i++) {
		now += 500000000; /* 64 KiB per half second */
		acked += 64 << 10;
		tp_wwin_covered(&w, now, now - 400000000, acked, 0);
	}
	cr_expect_eq(w.window, MIB);
	cr_expect_eq(w.rtt_min_ns, 10000000u);
}

/*
 * Without the path's round trip from TCP, only the channel's own: its
 * first frames went out on an empty path, so the least of them is the
 * path's, and a queue built later does not raise it.
 */
Test(transport_wire_window, own_round_trip_when_tcp_has_none)
{
	struct tp_wwin w;
	uint64_t now = 1, acked = 0;
	double rate = 125e6, bdp = rate * 0.010, round_s;

	tp_wwin_init(&w, MIB, TP_WWIN_MAX, true);
	tp_wwin_covered(&w, now + 10000000, now, 64 << 10, 0);
	now += 10000000;
	acked = 64 << 10;
	for (int i = 0; i < 200; i++) {
		round_s = w.window > bdp ? w.window / rate : 0.010;
		now += (uint64_t)(round_s * 1e9);
		acked += w.window;
		tp_wwin_covered(&w, now, now - (uint64_t)(round_s * 1e9), acked,
		                0);
	}
	cr_expect(w.window > 1.4 * bdp && w.window < 1.6 * bdp,
	          "window %u, want 1.5 x %.0f", w.window, bdp);
}

/* Rounds on a path whose credit comes back in bursts: each pair of round
 * trips covers two products, but 30% of one in the first and 170% in the
 * second. The path's rate is the same; a single round's is not. */
static void run_bursty(struct tp_wwin *w, double rate, double rtt_s,
                       unsigned int pairs, uint64_t *now, uint64_t *acked)
{
	double bdp = rate * rtt_s;

	for (unsigned int i = 0; i < 2 * pairs; i++) {
		*now += (uint64_t)(rtt_s * 1e9);
		*acked += (uint64_t)(bdp * (i % 2 ? 1.7 : 0.3));
		tp_wwin_covered(w, *now, *now - (uint64_t)(rtt_s * 1e9), *acked,
		                (uint64_t)(rtt_s * 1e9));
	}
}

/* The window is 1.1 times the product, give or take 5%. */
static void expect_tight(const struct tp_wwin *w, double bdp, const char *when)
{
	cr_expect(w->window > 1.05 * bdp && w->window < 1.15 * bdp,
	          "%s: window %u, want 1.1 x %.0f", when, w->window, bdp);
}

/*
 * Tightened on a 100 Mbit/s, 50 ms path, the window drops from its 1 MiB
 * floor to 1.1 times the product: a page QEMU asks for in post-copy waits
 * behind that much of the stream, not behind the floor. Tightened before
 * any rate is known, it keeps its window until a whole second has been
 * measured, then drops the same way.
 */
Test(transport_wire_window, tight_keeps_the_product)
{
	struct path wan = { 12.5e6, 0.050 };
	struct tp_wwin w, early;
	uint64_t now = 1, acked = 0, now2 = 1, acked2 = 0;
	double bdp = wan.rate_Bps * wan.rtt_s;

	tp_wwin_init(&w, MIB, TP_WWIN_MAX, true);
	cr_assert_eq(run_rounds(&w, &wan, 60, &now, &acked), MIB);
	tp_wwin_tighten(&w);
	expect_tight(&w, bdp, "tightened");
	/* Still steady: the window fills the path and does not creep. */
	run_rounds(&w, &wan, 200, &now, &acked);
	expect_tight(&w, bdp, "after 200 rounds");

	tp_wwin_init(&early, MIB, TP_WWIN_MAX, true);
	tp_wwin_tighten(&early);
	cr_expect_eq(early.window, MIB, "no rate yet: the window stays");
	run_rounds(&early, &wan, 60, &now2, &acked2);
	expect_tight(&early, bdp, "tightened before any rate");
}

/*
 * Bursty credit inflates the most rate of the last rounds, and a growing
 * window follows it (2.5 products here); tightened, the window follows
 * the rate over whole seconds, which is the path's.
 */
Test(transport_wire_window, tight_ignores_bursty_credit)
{
	double rate = 12.5e6, rtt = 0.050, bdp = rate * rtt;
	struct tp_wwin w;
	uint64_t now = 1, acked = 0;

	tp_wwin_init(&w, MIB, TP_WWIN_MAX, true);
	run_bursty(&w, rate, rtt, 40, &now, &acked);
	cr_expect_gt(w.window, 2.4 * bdp, "growing: window %u", w.window);
	tp_wwin_tighten(&w);
	expect_tight(&w, bdp, "tightened");
	run_bursty(&w, rate, rtt, 40, &now, &acked);
	expect_tight(&w, bdp, "after more bursts");
}

/*
 * Tightened, the window does not follow a slow spell down (the far QEMU
 * busy, the near one pausing its push): its queue is short, so it would
 * shrink below the path's product and stay there. It still grows when
 * the path does, by the gain each second.
 */
Test(transport_wire_window, tight_only_grows)
{
	struct path wan = { 12.5e6, 0.050 }, fast = { 25e6, 0.050 };
	struct tp_wwin w;
	uint64_t now = 1, acked = 0;
	uint32_t tight;

	tp_wwin_init(&w, MIB, TP_WWIN_MAX, true);
	run_rounds(&w, &wan, 60, &now, &acked);
	tp_wwin_tighten(&w);
	tight = w.window;
	for (int i = 0; i < 60; i++) { /* 3 s at a quarter of the rate */
		now += 50000000;
		acked += tight / 4;
		tp_wwin_covered(&w, now, now - 50000000, acked, 50000000);
	}
	cr_expect_eq(w.window, tight, "slow spell: window %u, was %u", w.window,
	             tight);
	run_rounds(&w, &fast, 300, &now, &acked); /* 15 s */
	cr_expect(w.window > 1.05 * fast.rate_Bps * fast.rtt_s,
	          "a faster path: window %u", w.window);
}

Test(transport_wire_window, tight_leaves_a_fixed_window)
{
	struct path wan = { 12.5e6, 0.050 };
	struct tp_wwin w;
	uint64_t now = 1, acked = 0;

	tp_wwin_init(&w, MIB, 4 * MIB, false);
	run_rounds(&w, &wan, 60, &now, &acked);
	tp_wwin_tighten(&w);
	cr_expect_eq(w.window, MIB, "a window the caller chose stays");
	cr_expect_not(w.tight);
}
