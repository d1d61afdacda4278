/*
 * tapchan_priv.h: the stream-side frame parser of tapchan.c, exported for
 * its tests and its fuzzer. It holds no descriptor and starts no thread.
 */
#ifndef SKYFERRY_NC_TAPCHAN_PRIV_H
#define SKYFERRY_NC_TAPCHAN_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "netcontinuity/nc_error.h"
#include "netcontinuity/tapchan.h"

/*
 * Called once per complete frame, in stream order. frame is valid only
 * during the call. Returns 0, or a negative errno that stops the feed
 * (the callback fills the error itself).
 */
typedef int (*nc_tapchan_frame_fn)(void *arg, const uint8_t *frame, size_t len);

/* Reassembles frames that arrive split across reads. */
struct nc_tapchan_rx {
	nc_tapchan_frame_fn frame_fn;
	void *arg;
	int failed;       /* the first error; every later feed returns it */
	size_t held;      /* bytes of an incomplete frame in buf */
	size_t frame_len; /* its length, once its header is held */
	uint8_t buf[NC_TAPCHAN_HDR + NC_TAPCHAN_FRAME_MAX];
};

void nc_tapchan_rx_init(struct nc_tapchan_rx *rx, nc_tapchan_frame_fn fn,
                        void *arg);

/*
 * Feed len bytes of the stream: calls the frame function for every frame
 * they complete; keeps an incomplete tail (at most one header and one
 * frame). Returns 0; -EPROTO with err filled for a length out of range;
 * or the frame function's error. An error is latched.
 */
int nc_tapchan_rx_feed(struct nc_tapchan_rx *rx, const uint8_t *data,
                       size_t len, struct nc_error *err);

#endif
