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
