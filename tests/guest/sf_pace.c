/* Clock-jump tolerant rate limiter and periodic timer: see sf_pace.h. */
#include "sf_pace.h"

void sf_pace_init(struct sf_pace *pace, uint64_t rate, uint64_t now_ns)
{
	pace->rate = rate > SF_PACE_MAX_RATE ? SF_PACE_MAX_RATE : rate;
	pace->last_ns = now_ns;
	pace->credit = 0;
}

uint64_t sf_pace_take(struct sf_pace *pace, uint64_t now_ns, uint64_t want)
{
	uint64_t elapsed, cap, n;

	if (now_ns < pace->last_ns) {
		/* The clock went backwards: start over from here. */
		pace->last_ns = now_ns;
		return 0;
	}
	elapsed = now_ns - pace->last_ns;
	pace->last_ns = now_ns;
	if (elapsed > SF_NSEC_PER_SEC)
		elapsed = SF_NSEC_PER_SEC;
	cap = pace->rate * SF_PACE_BURST_NS;
	if (cap < SF_NSEC_PER_SEC)
		cap = SF_NSEC_PER_SEC; /* slow rates must still reach one */
	pace->credit += pace->rate * elapsed;
	if (pace->credit > cap)
		pace->credit = cap;
	n = pace->credit / SF_NSEC_PER_SEC;
	if (n > want)
		n = want;
	pace->credit -= n * SF_NSEC_PER_SEC;
	return n;
}

void sf_period_init(struct sf_period *period, uint64_t period_ns,
                    uint64_t now_ns)
{
	period->period_ns = period_ns;
	period->next_ns = now_ns + period_ns;
}

bool sf_period_due(struct sf_period *period, uint64_t now_ns)
{
	if (now_ns + period->period_ns < period->next_ns) {
		/* The clock went backwards by more than a period. */
		period->next_ns = now_ns + period->period_ns;
		return false;
	}
	if (now_ns < period->next_ns)
		return false;
	period->next_ns += period->period_ns;
	if (period->next_ns <= now_ns)
		period->next_ns = now_ns + period->period_ns;
	return true;
}
