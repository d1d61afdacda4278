/*
 * libFuzzer target: the tapchan stream parser on arbitrary bytes, fed
 * whole and in uneven chunks. Every frame delivered must be in bounds,
 * must be the very bytes that followed its header in the input, and the
 * frames and headers delivered can never add up to more than the input.
 * Both feedings must agree.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netcontinuity/tapchan.h"
#include "netcontinuity/tapchan_priv.h"

struct fuzz_run {
	const uint8_t *data;
	size_t size;
	size_t consumed; /* headers and frames delivered so far */
	unsigned int frames;
};

static int fuzz_frame(void *arg, const uint8_t *frame, size_t len)
{
	struct fuzz_run *run = arg;
	size_t hdr_len;

	if (len < 14 || len > NC_TAPCHAN_FRAME_MAX)
		abort();
	if (run->consumed + NC_TAPCHAN_HDR + len > run->size)
		abort();
	if (nc_tapchan_hdr_decode(run->data + run->consumed, &hdr_len) < 0 ||
	    hdr_len != len)
		abort();
	if (memcmp(frame, run->data + run->consumed + NC_TAPCHAN_HDR, len))
		abort();
	run->consumed += NC_TAPCHAN_HDR + len;
	run->frames++;
	return 0;
}

/* Feed data in chunks of these sizes, in turn; 0 means all at once. */
static int fuzz_feed(struct nc_tapchan_rx *rx, struct fuzz_run *run,
                     const size_t *chunks, size_t n_chunks,
                     struct nc_error *err)
{
	size_t pos = 0, chunk, i = 0;
	int rc = 0;

	nc_tapchan_rx_init(rx, fuzz_frame, run);
	while (pos < run->size && rc == 0) {
		chunk = n_chunks ? chunks[i++ % n_chunks] : run->size;
		if (chunk > run->size - pos)
			chunk = run->size - pos;
		rc = nc_tapchan_rx_feed(rx, run->data + pos, chunk, err);
		pos += chunk;
	}
	if (rc == 0) {
		/* Everything not delivered is held, and it is not a frame. */
		if (run->consumed + rx->held != run->size)
			abort();
		if (rx->held >= NC_TAPCHAN_HDR &&
		    rx->held >= NC_TAPCHAN_HDR + rx->frame_len)
			abort();
	} else if (rc != -EPROTO || err->code != -EPROTO ||
	           strncmp(err->msg, "tapchan: frame length ", 22) != 0) {
		abort();
	}
	/* A failed parser stays failed. */
	if (rc && nc_tapchan_rx_feed(rx, run->data, run->size, err) != rc)
		abort();
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t chunks[] = { 1, 2, 3, 7, 64, 1500, 65537 };
	static struct nc_tapchan_rx rx;
	struct fuzz_run whole = { .data = data, .size = size };
	struct fuzz_run split = { .data = data, .size = size };
	struct nc_error err = { 0 };
	int rc_whole, rc_split;

	rc_whole = fuzz_feed(&rx, &whole, NULL, 0, &err);
	rc_split =
	    fuzz_feed(&rx, &split, chunks + size % 7, 7 - size % 7, &err);
	if (rc_whole != rc_split || whole.consumed != split.consumed ||
	    whole.frames != split.frames)
		abort();
	return 0;
}
