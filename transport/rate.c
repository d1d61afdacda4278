/*
 * rate.c: the token bucket behind a session's bandwidth cap. Tokens are
 * wire bytes, refilled at the cap and held up to a short burst. Every
 * frame written is charged; only bulk DATA waits for the bucket, so
 * control traffic borrows (the bucket goes into debt) and is never
 * starved, and bulk pays the debt back. Time is passed in, so the bucket
 * is pure and tested without sleeping.
 */
#include "transport/rate.h"

#define TP_RATE_BURST_NS  20000000ull /* 20 ms of the cap */
#define TP_RATE_BURST_MIN (128 << 10)
#define TP_NS_PER_S       1000000000ull

void tp_rate_init(struct tp_rate *rate, uint64_t cap_bps, uint64_t now_ns)
{
	rate->bytes_per_s = cap_bps / 8u;
	rate->burst = (int64_t)(rate->bytes_per_s * TP_RATE_BURST_NS /
	                        TP_NS_PER_S);
	if (rate->burst < TP_RATE_BURST_MIN)
		rate->burst = TP_RATE_BURST_MIN;
	rate->tokens = rate->burst;
	rate->last_ns = now_ns;
}

/* Add the tokens earned since last_ns; a fraction of a byte waits. */
static void tp_rate_refill(struct tp_rate *rate, uint64_t now_ns)
{
	uint64_t elapsed, earned;

	if (now_ns <= rate->last_ns)
		return;
	elapsed = now_ns - rate->last_ns;
	if (elapsed >= TP_NS_PER_S) { /* a second refills any bucket */
		rate->tokens = rate->burst;
		rate->last_ns = now_ns;
		return;
	}
	earned = elapsed * rate->bytes_per_s / TP_NS_PER_S;
	if (!earned)
		return;
	/* Keep the remainder: last_ns moves by what earned bytes cost. */
	rate->last_ns += earned * TP_NS_PER_S / rate->bytes_per_s;
	rate->tokens += (int64_t)earned;
	if (rate->tokens > rate->burst)
		rate->tokens = rate->burst;
}

void tp_rate_charge(struct tp_rate *rate, size_t bytes, uint64_t now_ns)
{
	if (!rate->bytes_per_s)
		return;
	tp_rate_refill(rate, now_ns);
	rate->tokens -= (int64_t)bytes;
}

bool tp_rate_allows(struct tp_rate *rate, uint64_t now_ns)
{
	if (!rate->bytes_per_s)
		return true;
	tp_rate_refill(rate, now_ns);
	return rate->tokens > 0;
}

uint64_t tp_rate_wait_ns(struct tp_rate *rate, uint64_t now_ns)
{
	uint64_t owed;

	if (!rate->bytes_per_s)
		return 0;
	tp_rate_refill(rate, now_ns);
	if (rate->tokens > 0)
		return 0;
	owed = (uint64_t)(-rate->tokens) + 1u;
	return (owed * TP_NS_PER_S + rate->bytes_per_s - 1) / rate->bytes_per_s;
}
