/*
 * rate.h: token bucket for a session's bandwidth cap (rate.c), internal to
 * transport/.
 */
#ifndef SKYFERRY_TP_RATE_H
#define SKYFERRY_TP_RATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tp_rate {
	uint64_t bytes_per_s; /* 0: no cap */
	int64_t tokens;       /* wire bytes; negative: borrowed */
	int64_t burst;        /* most tokens held */
	uint64_t last_ns;     /* time of the last refill */
};

/* Cap at cap_bps bits per second (0: none), bucket full at now_ns. */
void tp_rate_init(struct tp_rate *rate, uint64_t cap_bps, uint64_t now_ns);

/* Bytes went on the wire: take them, borrowing if the bucket is empty. */
void tp_rate_charge(struct tp_rate *rate, size_t bytes, uint64_t now_ns);

/* May bulk data be sent now (tokens left, or no cap)? */
bool tp_rate_allows(struct tp_rate *rate, uint64_t now_ns);

/* Nanoseconds until tp_rate_allows() turns true; 0 if it is. */
uint64_t tp_rate_wait_ns(struct tp_rate *rate, uint64_t now_ns);

#endif
