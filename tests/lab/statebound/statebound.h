/*
 * statebound.h: how many bytes a VM's state needs on the wire at best: its
 * non-zero 4 KiB pages, compressed with zstd. The benchmark divides that by
 * the link rate to get the physical lower bound of a migration's time.
 */
#ifndef STATEBOUND_H
#define STATEBOUND_H

#include <stddef.h>
#include <stdint.h>

#define STATEBOUND_PAGE  4096
#define STATEBOUND_CHUNK (1u << 20) /* non-zero pages compressed together */
#define STATEBOUND_LEVEL 3

struct statebound {
	uint64_t total_bytes;   /* everything fed */
	uint64_t nonzero_bytes; /* in non-zero pages */
	uint64_t compressed_bytes;
	uint8_t *chunk; /* STATEBOUND_CHUNK bytes of non-zero pages */
	size_t chunk_len;
	size_t fill;  /* bytes of the page being assembled */
	uint8_t *out; /* compression buffer */
	size_t out_cap;
};

/* 0, or -ENOMEM. */
int statebound_init(struct statebound *sb);

/*
 * Feed bytes; a page is judged once complete, so feed in any sizes. A
 * trailing partial page at statebound_finish counts as a page.
 * 0, or -EIO if zstd fails.
 */
int statebound_feed(struct statebound *sb, const uint8_t *data, size_t len);

/*
 * Judge the partial page and compress what is pending: the counters are
 * final. Feeding may go on (a new file starts on a page of its own).
 */
int statebound_finish(struct statebound *sb);

void statebound_free(struct statebound *sb); /* NULL-safe */

#endif
