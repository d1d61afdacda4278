/*
 * Rate limiting and periodic events that survive clock jumps.
 *
 * A live migration pauses the guest, and CLOCK_MONOTONIC may jump forward when
 * it resumes. Neither helper treats that as an error, and neither catches up:
 * a jump earns at most SF_PACE_BURST_NS worth of work, and a late periodic
 * event fires once and then re-anchors to the current time.
 */
#ifndef SF_PACE_H
#define SF_PACE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define SF_NSEC_PER_SEC  1000000000ULL
#define SF_PACE_BURST_NS 100000000ULL /* 100 ms of work at most per step */
#define SF_PACE_MAX_RATE 10000000ULL  /* events per second */

struct sf_pace {
	uint64_t rate; /* events per second, at most SF_PACE_MAX_RATE */
	uint64_t last_ns;
	uint64_t credit; /* in event-nanoseconds: one event costs 1e9 */
};

struct sf_period {
	uint64_t period_ns;
	uint64_t next_ns;
};

/* Current time of clock in nanoseconds. */
static inline uint64_t sf_clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * SF_NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* Start pacing at rate events/s (clamped to SF_PACE_MAX_RATE) from now_ns. */
void sf_pace_init(struct sf_pace *pace, uint64_t rate, uint64_t now_ns);

/* How many of want events may happen at now_ns; they are consumed. */
uint64_t sf_pace_take(struct sf_pace *pace, uint64_t now_ns, uint64_t want);

/* First due one period after now_ns. */
void sf_period_init(struct sf_period *period, uint64_t period_ns,
                    uint64_t now_ns);

/* True when the event is due at now_ns; schedules the next one. */
bool sf_period_due(struct sf_period *period, uint64_t now_ns);

#endif
