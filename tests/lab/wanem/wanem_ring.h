/*
 * wanem_ring: the FIFO of frames in flight in one direction (queued for
 * the serialiser or on the wire), each with its delivery time. It grows
 * by doubling up to a hard maximum number of frames.
 */
#ifndef WANEM_RING_H
#define WANEM_RING_H

#include <stddef.h>
#include <stdint.h>

/* Largest frame carried: 1500 MTU + Ethernet + two VLAN tags, rounded. */
#define WANEM_FRAME_MAX 1536

#define WANEM_RING_MIN 1024u
#define WANEM_RING_MAX 65536u

struct wanem_ring {
	unsigned char *data;   /* cap slots of WANEM_FRAME_MAX bytes */
	uint64_t *delivery_ns; /* per slot */
	uint16_t *len;         /* per slot */
	size_t cap;            /* a power of two */
	size_t head;           /* oldest frame */
	size_t count;
};

/* Returns 0 or -ENOMEM. */
int wanem_ring_init(struct wanem_ring *ring);
/* NULL-safe. */
void wanem_ring_free(struct wanem_ring *ring);

/*
 * Appends a copy of frame; len <= WANEM_FRAME_MAX. Returns 0, or -ENOBUFS
 * when the ring is at its maximum, or -ENOMEM.
 */
int wanem_ring_push(struct wanem_ring *ring, const void *frame, size_t len,
                    uint64_t delivery_ns);

/* The i-th oldest frame; i < count. */
static inline unsigned char *wanem_ring_frame(const struct wanem_ring *ring,
                                              size_t i, size_t *len,
                                              uint64_t *delivery_ns)
{
	size_t slot = (ring->head + i) & (ring->cap - 1);

	*len = ring->len[slot];
	*delivery_ns = ring->delivery_ns[slot];
	return ring->data + slot * WANEM_FRAME_MAX;
}

/* Removes the n oldest frames; n <= count. */
static inline void wanem_ring_pop(struct wanem_ring *ring, size_t n)
{
	ring->head = (ring->head + n) & (ring->cap - 1);
	ring->count -= n;
}

#endif
