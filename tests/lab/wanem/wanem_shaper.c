/*
 * wanem_shaper: rate, delay, loss and tail drop for one direction.
 * See wanem_shaper.h for the model.
 */
#include <string.h>

#include "wanem_shaper.h"

#define NS_PER_S 1000000000ull

uint64_t wanem_limit_auto(uint64_t rate_bps, uint64_t delay_ns)
{
	unsigned __int128 bdp;

	bdp = (unsigned __int128)rate_bps * (2 * delay_ns) / (8 * NS_PER_S);
	if (bdp < WANEM_LIMIT_FLOOR)
		return WANEM_LIMIT_FLOOR;
	if (bdp > WANEM_LIMIT_MAX)
		return WANEM_LIMIT_MAX;
	return (uint64_t)bdp;
}

uint64_t wanem_serialise_ns(uint64_t rate_bps, size_t len)
{
	if (!rate_bps)
		return 0;
	/* Round up, so a frame never leaves early. */
	return (
	    uint64_t)(((unsigned __int128)len * 8 * NS_PER_S + rate_bps - 1) /
	              rate_bps);
}

uint64_t wanem_rng_next(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dull;
}

void wanem_shaper_configure(struct wanem_shaper *sh,
                            const struct wanem_link *link)
{
	sh->link = *link;
	sh->limit_bytes = link->limit_bytes ? link->limit_bytes
	                                    : wanem_limit_auto(link->rate_bps,
	                                                       link->delay_ns);
}

void wanem_shaper_init(struct wanem_shaper *sh, const struct wanem_link *link,
                       uint64_t seed)
{
	memset(sh, 0, sizeof(*sh));
	/* splitmix64 of the seed, so that seeds 0, 1, 2 differ well. */
	seed += 0x9e3779b97f4a7c15ull;
	seed = (seed ^ (seed >> 30)) * 0xbf58476d1ce4e5b9ull;
	seed = (seed ^ (seed >> 27)) * 0x94d049bb133111ebull;
	seed ^= seed >> 31;
	sh->rng = seed ? seed : 1;
	wanem_shaper_configure(sh, link);
}

uint64_t wanem_shaper_backlog(const struct wanem_shaper *sh, uint64_t now_ns)
{
	if (!sh->link.rate_bps || sh->link_free_ns <= now_ns)
		return 0;
	return (uint64_t)((unsigned __int128)(sh->link_free_ns - now_ns) *
	                  sh->link.rate_bps / (8 * NS_PER_S));
}

/* True with probability ppb / 10^9. */
static bool loss_draw(struct wanem_shaper *sh)
{
	uint64_t threshold;

	if (!sh->link.loss_ppb)
		return false;
	if (sh->link.loss_ppb >= WANEM_LOSS_ONE)
		return true;
	threshold = (uint64_t)(((unsigned __int128)sh->link.loss_ppb << 64) /
	                       WANEM_LOSS_ONE);
	return wanem_rng_next(&sh->rng) < threshold;
}

enum wanem_verdict wanem_shaper_admit(struct wanem_shaper *sh, uint64_t now_ns,
                                      size_t len, bool cut,
                                      uint64_t *delivery_ns)
{
	uint64_t start, done, delivery;

	sh->counters.rx_frames++;
	sh->counters.rx_bytes += len;
	if (cut) {
		sh->counters.drop_cut++;
		return WANEM_DROP_CUT;
	}
	if (loss_draw(sh)) {
		sh->counters.drop_loss++;
		return WANEM_DROP_LOSS;
	}
	if (wanem_shaper_backlog(sh, now_ns) + len > sh->limit_bytes) {
		sh->counters.drop_queue++;
		return WANEM_DROP_QUEUE;
	}
	start = sh->link_free_ns > now_ns ? sh->link_free_ns : now_ns;
	done = start + wanem_serialise_ns(sh->link.rate_bps, len);
	if (sh->link.rate_bps)
		sh->link_free_ns = done;
	delivery = done + sh->link.delay_ns;
	if (delivery < sh->last_delivery_ns)
		delivery = sh->last_delivery_ns;
	sh->last_delivery_ns = delivery;
	*delivery_ns = delivery;
	return WANEM_PASS;
}
