/*
 * wire_window.c: a channel's wire window from its measured round trip and
 * delivery rate. See wire_window.h for the model.
 */
#include <string.h>

#include "transport/wire_window.h"

void tp_wwin_init(struct tp_wwin *w, uint32_t floor, uint32_t ceiling,
                  bool grow)
{
	memset(w, 0, sizeof(*w));
	w->window = floor;
	w->floor = floor;
	w->ceiling = ceiling > floor ? ceiling : floor;
	w->grow = grow && w->ceiling > floor;
}

static uint64_t tp_wwin_rate_max(const struct tp_wwin *w)
{
	uint64_t most = 0;
	unsigned int i;

	for (i = 0; i < TP_WWIN_ROUNDS; i++)
		if (w->rate[i] > most)
			most = w->rate[i];
	return most;
}

/*
 * gain x the rate x the round trip, in bounds. A growing window takes the
 * most rate of the last rounds, so it fills the path at once. A tight one
 * takes the rate over the last whole second instead: a single round's
 * rate overshoots the path's whenever credit comes back in a burst (the
 * far QEMU reading a lot at once), and the most of them even more. It
 * only grows once set: its own queue is short, so a consumer or producer
 * slower for a while (the far QEMU busy placing pages, the near one
 * pausing its push) shows as a lower rate, and following it down would
 * keep the window under the path's product.
 */
static void tp_wwin_resize(struct tp_wwin *w)
{
	uint64_t gain = w->tight ? TP_WWIN_TIGHT_GAIN_PCT : TP_WWIN_GAIN_PCT;
	uint64_t rate = w->tight ? w->sec_rate : tp_wwin_rate_max(w);
	uint64_t window;

	if (w->tight && !rate)
		return; /* as it was, until a whole second is measured */
	/* bytes/s x ns / 1e9, then the gain; no overflow below 18 EB/s.s */
	window = rate / 1000u * w->base_ns / 1000000u * gain / 100u;
	if (window < w->floor)
		window = w->floor;
	if (window > w->ceiling)
		window = w->ceiling;
	if (w->tight && w->tight_sized && window < w->window)
		return;
	w->tight_sized = w->tight;
	w->window = (uint32_t)window;
}

void tp_wwin_covered(struct tp_wwin *w, uint64_t now_ns, uint64_t sent_ns,
                     uint64_t wire_acked, uint64_t path_rtt_ns)
{
	uint64_t rtt, span, base;

	if (!w->grow || now_ns < sent_ns)
		return;
	rtt = now_ns - sent_ns;
	if (rtt == 0)
		rtt = 1;
	if (!w->rtt_min_ns || rtt < w->rtt_min_ns)
		w->rtt_min_ns = rtt;
	if (!w->round_ns) {
		w->round_ns = now_ns;
		w->round_wire = wire_acked;
		w->sec_ns = now_ns;
		w->sec_wire = wire_acked;
		return;
	}
	if (now_ns - w->sec_ns >= TP_WWIN_SEC_NS && wire_acked >= w->sec_wire) {
		w->sec_rate = (wire_acked - w->sec_wire) * 1000000000u /
		              (now_ns - w->sec_ns);
		w->sec_ns = now_ns;
		w->sec_wire = wire_acked;
	}
	base = path_rtt_ns ? path_rtt_ns : w->rtt_min_ns;
	span = now_ns - w->round_ns;
	if (span < w->rtt_min_ns || wire_acked < w->round_wire)
		return;
	w->rate[w->rate_next] =
	    (wire_acked - w->round_wire) * 1000000000u / span;
	w->rate_next = (w->rate_next + 1) % TP_WWIN_ROUNDS;
	w->round_ns = now_ns;
	w->round_wire = wire_acked;
	w->base_ns = base;
	tp_wwin_resize(w);
}

void tp_wwin_tighten(struct tp_wwin *w)
{
	if (!w->grow || w->tight)
		return;
	w->tight = true;
	if (w->floor > TP_WWIN_TIGHT_FLOOR)
		w->floor = TP_WWIN_TIGHT_FLOOR;
	if (w->base_ns)
		tp_wwin_resize(w);
}
