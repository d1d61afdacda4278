/*
 * wanem_shaper: the timing model of one direction of the emulated link.
 *
 * A frame that arrives at time t is, in this order: dropped if the link is
 * cut; dropped at random with the loss probability; dropped if the
 * serialisation queue already holds more than limit bytes (tail drop);
 * otherwise serialised at the link rate after the frames before it, and
 * delivered one propagation delay after its last bit left.
 *
 * The serialiser is a virtual clock (a token bucket one frame deep): each
 * frame's departure is computed when it arrives, from the schedule rather
 * than from when the emulator actually woke up, so late wake-ups do not
 * accumulate into a lower rate. Frames are never reordered, even when the
 * delay is lowered while they are in flight. Settings apply to frames that
 * arrive after the change; frames already accepted keep their schedule.
 *
 * Everything here is a pure function of its inputs, for the unit tests.
 */
#ifndef WANEM_SHAPER_H
#define WANEM_SHAPER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wanem_spec.h"

/* Automatic queue limit: one BDP at 2 x delay, at least this much. */
#define WANEM_LIMIT_FLOOR (128ull << 10)

struct wanem_counters {
	uint64_t rx_frames; /* frames that entered this direction */
	uint64_t rx_bytes;
	uint64_t fwd_frames; /* frames sent out the far side */
	uint64_t fwd_bytes;
	uint64_t drop_loss;     /* random loss */
	uint64_t drop_queue;    /* tail drop: queue over its limit */
	uint64_t drop_cut;      /* link cut */
	uint64_t drop_oversize; /* frame over the emulator's MTU */
	uint64_t drop_tx;       /* the send on the far side failed */
	uint64_t drop_rxbuf;    /* the kernel dropped: socket buffer full */
};

struct wanem_shaper {
	struct wanem_link link;    /* as configured; limit 0 = automatic */
	uint64_t limit_bytes;      /* the limit in effect */
	uint64_t link_free_ns;     /* when the serialiser is idle again */
	uint64_t last_delivery_ns; /* keeps deliveries in order */
	uint64_t rng;              /* loss generator state, never 0 */
	struct wanem_counters counters;
};

enum wanem_verdict {
	WANEM_PASS = 0,
	WANEM_DROP_CUT,
	WANEM_DROP_LOSS,
	WANEM_DROP_QUEUE,
};

/* The automatic queue limit for a rate and one-way delay. */
uint64_t wanem_limit_auto(uint64_t rate_bps, uint64_t delay_ns);

/* Nanoseconds to serialise len bytes at rate_bps (0 = no limit). */
uint64_t wanem_serialise_ns(uint64_t rate_bps, size_t len);

void wanem_shaper_init(struct wanem_shaper *sh, const struct wanem_link *link,
                       uint64_t seed);

/* Changes the settings; queued frames keep their schedule. */
void wanem_shaper_configure(struct wanem_shaper *sh,
                            const struct wanem_link *link);

/* Bytes waiting for the serialiser at time now. */
uint64_t wanem_shaper_backlog(const struct wanem_shaper *sh, uint64_t now_ns);

/*
 * Decides the fate of a frame of len bytes arriving at now_ns. On
 * WANEM_PASS, *delivery_ns is when it must leave the emulator. Counts
 * rx and drops; the caller counts fwd and drop_tx.
 */
enum wanem_verdict wanem_shaper_admit(struct wanem_shaper *sh, uint64_t now_ns,
                                      size_t len, bool cut,
                                      uint64_t *delivery_ns);

/* The loss generator: uniform 64-bit values from a xorshift64* state. */
uint64_t wanem_rng_next(uint64_t *state);

#endif
