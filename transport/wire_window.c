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

void tp_wwin_covered(struct tp_wwin *w, uint64_t now_ns, uint64_t sent_ns,
                     uint64_t wire_acked, uint64_t path_rtt_ns)
{
	uint64_t rtt, span, window, base;

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
		return;
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
	/* bytes/s x ns / 1e9, then the gain; no overflow below 18 EB/s.s */
	window = tp_wwin_rate_max(w) / 1000u * base / 1000000u *
	         TP_WWIN_GAIN_PCT / 100u;
	if (window < w->floor)
		window = w->floor;
	if (window > w->ceiling)
		window = w->ceiling;
	w->window = (uint32_t)window;
}
