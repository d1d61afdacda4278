/*
 * tapchan.h: carry Ethernet frames between a TAP device and a byte stream
 * (a transport channel), for the encrypted mode.
 *
 * On the stream each frame is a 2-byte big-endian length, then the frame.
 * A length below 14 (an Ethernet header) or above NC_TAPCHAN_FRAME_MAX is
 * a protocol error: the pump stops and reports it (a bad peer cannot make
 * it allocate or read without bound). Frames the TAP cannot take at once
 * are dropped, as a switch drops, and counted; the stream side is never
 * blocked by a slow TAP, and a full stream drops frames from the TAP
 * rather than queueing without bound.
 */
#ifndef SKYFERRY_NC_TAPCHAN_H
#define SKYFERRY_NC_TAPCHAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netcontinuity/nc_error.h"

#define NC_TAPCHAN_FRAME_MAX 65535
#define NC_TAPCHAN_HDR       2

struct nc_tapchan_stats {
	uint64_t to_stream_frames, to_stream_bytes;
	uint64_t to_tap_frames, to_tap_bytes;
	uint64_t dropped_to_stream; /* the stream was full */
	uint64_t dropped_to_tap;    /* the TAP refused (EAGAIN, ENOBUFS...) */
};

struct nc_tapchan;

/*
 * Start a pump thread between tap_fd and stream_fd. Takes both
 * descriptors, even on failure (they are closed by nc_tapchan_stop or
 * here). NULL with err on failure.
 */
struct nc_tapchan *nc_tapchan_start(int tap_fd, int stream_fd,
                                    struct nc_error *err);

/* Has the pump ended (stream EOF, I/O error, protocol error)? Then *err
 * (if not NULL) holds why ("" for a clean EOF). */
bool nc_tapchan_ended(struct nc_tapchan *tc, struct nc_error *err);

void nc_tapchan_stats(struct nc_tapchan *tc, struct nc_tapchan_stats *st);

/* Stop the thread, close both descriptors, free. NULL-safe. */
void nc_tapchan_stop(struct nc_tapchan *tc);

/*
 * Encode one frame's header into hdr; -EINVAL if len is out of range.
 * Decode: 0 with *len, or -EPROTO. (Exported for tests and the fuzzer.)
 */
int nc_tapchan_hdr_encode(uint8_t hdr[NC_TAPCHAN_HDR], size_t len);
int nc_tapchan_hdr_decode(const uint8_t hdr[NC_TAPCHAN_HDR], size_t *len);

#endif
