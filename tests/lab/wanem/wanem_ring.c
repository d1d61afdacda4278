/*
 * wanem_ring: growable FIFO of frames with delivery times.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "wanem_ring.h"

static int ring_alloc(struct wanem_ring *ring, size_t cap)
{
	ring->data = malloc(cap * WANEM_FRAME_MAX);
	ring->delivery_ns = calloc(cap, sizeof(*ring->delivery_ns));
	ring->len = calloc(cap, sizeof(*ring->len));
	if (!ring->data || !ring->delivery_ns || !ring->len) {
		wanem_ring_free(ring);
		return -ENOMEM;
	}
	ring->cap = cap;
	ring->head = 0;
	ring->count = 0;
	return 0;
}

int wanem_ring_init(struct wanem_ring *ring)
{
	memset(ring, 0, sizeof(*ring));
	return ring_alloc(ring, WANEM_RING_MIN);
}

void wanem_ring_free(struct wanem_ring *ring)
{
	if (!ring)
		return;
	free(ring->data);
	free(ring->delivery_ns);
	free(ring->len);
	memset(ring, 0, sizeof(*ring));
}

/* Doubles the capacity, moving the frames to the start of the new ring. */
static int ring_grow(struct wanem_ring *ring)
{
	struct wanem_ring bigger;
	size_t i, slot;
	int ret;

	if (ring->cap >= WANEM_RING_MAX)
		return -ENOBUFS;
	memset(&bigger, 0, sizeof(bigger));
	ret = ring_alloc(&bigger, ring->cap * 2);
	if (ret < 0)
		return ret;
	for (i = 0; i < ring->count; i++) {
		slot = (ring->head + i) & (ring->cap - 1);
		memcpy(bigger.data + i * WANEM_FRAME_MAX,
		       ring->data + slot * WANEM_FRAME_MAX, ring->len[slot]);
		bigger.len[i] = ring->len[slot];
		bigger.delivery_ns[i] = ring->delivery_ns[slot];
	}
	bigger.count = ring->count;
	wanem_ring_free(ring);
	*ring = bigger;
	return 0;
}

int wanem_ring_push(struct wanem_ring *ring, const void *frame, size_t len,
                    uint64_t delivery_ns)
{
	size_t slot;
	int ret;

	if (len > WANEM_FRAME_MAX)
		return -EMSGSIZE;
	if (ring->count == ring->cap) {
		ret = ring_grow(ring);
		if (ret < 0)
			return ret;
	}
	slot = (ring->head + ring->count) & (ring->cap - 1);
	memcpy(ring->data + slot * WANEM_FRAME_MAX, frame, len);
	ring->len[slot] = (uint16_t)len;
	ring->delivery_ns[slot] = delivery_ns;
	ring->count++;
	return 0;
}
