/*
 * wire_window.h: a channel's wire window that follows the path
 * (wire_window.c), internal to transport/.
 *
 * A channel keeps at most its wire window of frames in flight: sent, and
 * not yet covered by the credit the far end grants when the data has
 * left it. A fixed window of 1 MiB fills a 100 Mbit/s, 50 ms path, but
 * only two thirds of a 1 Gbit/s, 10 ms one. So, as BBR sizes a
 * congestion window, the window follows two measures of the channel's
 * path and of the channel's own control loop:
 *   - the round trip: the least one TCP measured on the stripes, which
 *     each saw at its handshake, before any bulk data queued (else the
 *     least time from a frame's sending to the credit covering it). Never
 *     a round trip the window's own queue inflated: fed back, that would
 *     grow the window without end;
 *   - the delivery rate: wire bytes covered per round, the most of the
 *     last TP_WWIN_ROUNDS rounds.
 * The window is TP_WWIN_GAIN times their product: room to fill the path,
 * and half a round trip of queue at most, so a control frame waits
 * behind little more than before. Never below the floor (the configured
 * wire window) nor above the ceiling.
 */
#ifndef SKYFERRY_TP_WIRE_WINDOW_H
#define SKYFERRY_TP_WIRE_WINDOW_H

#include <stdbool.h>
#include <stdint.h>

#define TP_WWIN_ROUNDS   8u
#define TP_WWIN_GAIN_PCT 150u
#define TP_WWIN_MAX      (8u << 20) /* the most any wire window grows to */
/*
 * Tight: the far end waits on what it asked for in this stream (QEMU's
 * post-copy page requests), so each byte of queue is latency it pays per
 * request. The window keeps just the product with a little slack, and
 * its floor gives way to the path's own product.
 */
#define TP_WWIN_TIGHT_GAIN_PCT 110u
#define TP_WWIN_TIGHT_FLOOR    (256u << 10)
#define TP_WWIN_SEC_NS         1000000000u /* a tight window's rate span */

struct tp_wwin {
	uint32_t window; /* wire bytes allowed in flight now */
	uint32_t floor, ceiling;
	bool grow;       /* false: the window stays at the floor */
	bool tight;      /* tp_wwin_tighten() */
	bool tight_sized;     /* and sized from a second's rate since */
	uint64_t base_ns;     /* the round trip the last window used */
	uint64_t sec_ns;      /* start of the current second */
	uint64_t sec_wire;    /* wire bytes covered when it started */
	uint64_t sec_rate;    /* bytes per second over the last one; 0: none */
	uint64_t rtt_min_ns;  /* least own round trip; 0: no sample yet */
	uint64_t round_ns;    /* start of the current round */
	uint64_t round_wire;  /* wire bytes covered when it started */
	uint64_t rate[TP_WWIN_ROUNDS]; /* bytes per second of each round */
	unsigned int rate_next;
};

/* Start at floor; grow up to ceiling if grow. */
void tp_wwin_init(struct tp_wwin *w, uint32_t floor, uint32_t ceiling,
                  bool grow);

/*
 * Credit came back at now_ns and covered frames up to wire_acked wire
 * bytes in all; the newest of them was sent at sent_ns. path_rtt_ns is
 * the path's least round trip as TCP measured it (0: not known). Updates
 * the round trip, the rate and the window.
 */
void tp_wwin_covered(struct tp_wwin *w, uint64_t now_ns, uint64_t sent_ns,
                     uint64_t wire_acked, uint64_t path_rtt_ns);

/*
 * From now on keep the window tight (TP_WWIN_TIGHT_*), at once when the
 * rate is known. A window that does not grow stays as it is.
 */
void tp_wwin_tighten(struct tp_wwin *w);

#endif
