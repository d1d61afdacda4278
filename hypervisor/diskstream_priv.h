/*
 * diskstream_priv.h: the disk stream's encoder and strict incremental
 * decoder (diskstream_codec.c), and the sink interface through which the
 * extent walker (diskstream.c) hands out what it finds. Exported for the
 * tests and the fuzz target; callers use diskstream.h.
 */
#ifndef SKYFERRY_HV_DISKSTREAM_PRIV_H
#define SKYFERRY_HV_DISKSTREAM_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hypervisor/diskstream.h"
#include "hypervisor/hv_error.h"

#define HV_DSTREAM_REC_DATA 1
#define HV_DSTREAM_REC_ZERO 2
#define HV_DSTREAM_REC_END  3

/* Write the 24-byte stream header into out. */
void hv_dstream_hdr_encode(uint8_t out[HV_DSTREAM_HDR_LEN], uint16_t flags,
                           uint64_t virtual_size);

/* Write a 16-byte record header into out. */
void hv_dstream_rec_encode(uint8_t out[HV_DSTREAM_REC_LEN], uint8_t type,
                           uint32_t length, uint64_t offset);

enum hv_dstream_item_type {
	HV_DSTREAM_ITEM_HEADER,
	HV_DSTREAM_ITEM_DATA,
	HV_DSTREAM_ITEM_ZERO,
	HV_DSTREAM_ITEM_END,
};

/* One decoded, validated piece of a stream. */
struct hv_dstream_item {
	enum hv_dstream_item_type type;
	uint16_t flags;        /* HEADER */
	uint64_t virtual_size; /* HEADER */
	uint64_t offset;       /* DATA, ZERO */
	uint32_t length;       /* DATA, ZERO */
	const uint8_t *data;   /* DATA: length bytes, in the fed buffer or the
	                        * decoder's own; valid until the next call */
	uint64_t data_bytes;   /* END: DATA bytes in the stream */
};

enum hv_dstream_dec_state {
	HV_DSTREAM_DEC_HEADER,  /* collecting the stream header */
	HV_DSTREAM_DEC_RECORD,  /* collecting a record header */
	HV_DSTREAM_DEC_PAYLOAD, /* collecting a DATA payload */
	HV_DSTREAM_DEC_DONE,    /* END seen: nothing more may come */
	HV_DSTREAM_DEC_FAILED,  /* latched error */
};

/*
 * The decoder. It allocates only a DATA payload buffer, sized to the
 * largest validated record length (at most HV_DSTREAM_RECORD_MAX).
 */
struct hv_dstream_decoder {
	enum hv_dstream_dec_state state;
	uint8_t hdr[HV_DSTREAM_HDR_LEN]; /* stream or record header bytes */
	size_t hdr_have;
	uint8_t *payload;
	size_t payload_cap;
	uint32_t payload_len; /* current DATA record */
	uint32_t payload_have;
	uint64_t payload_offset;
	uint16_t flags;
	uint64_t virtual_size;
	uint64_t record;    /* 1-based number of the current record */
	uint64_t last_end;  /* end of the previous DATA or ZERO record */
	uint64_t data_seen; /* DATA payload bytes so far */
	struct hv_error error;
};

void hv_dstream_decoder_init(struct hv_dstream_decoder *dec);

/* Free the payload buffer. NULL is a no-op. */
void hv_dstream_decoder_release(struct hv_dstream_decoder *dec);

/*
 * Feed up to len bytes. *used is set to the bytes consumed. Returns 1 when
 * an item is complete (*item filled; its data stays valid until the next
 * call), 0 when all of buf was consumed without completing one, or
 * -EPROTO / -ENOMEM with err filled. An error is latched: every later call
 * returns it again.
 */
int hv_dstream_decoder_feed(struct hv_dstream_decoder *dec, const void *buf,
                            size_t len, size_t *used,
                            struct hv_dstream_item *item, struct hv_error *err);

/*
 * Bytes the decoder still needs to complete the item it is collecting: a
 * reader that asks for no more than this never reads past END. 0 once END
 * has been decoded or after an error.
 */
size_t hv_dstream_decoder_want(const struct hv_dstream_decoder *dec);

/*
 * The input has ended: 0 if END was decoded, else -EPROTO naming where the
 * stream was cut (or the latched error).
 */
int hv_dstream_decoder_finish(struct hv_dstream_decoder *dec,
                              struct hv_error *err);

/*
 * Where the extent walker sends what it finds: begin once, then data and
 * zero ranges in ascending, non-overlapping order, then end. Each returns
 * 0 or a negative errno with err filled. The wire sink encodes records to
 * an fd; the NBD sink writes straight to a target export.
 */
struct hv_dstream_sink {
	int (*begin)(void *ctx, uint16_t flags, uint64_t virtual_size,
	             struct hv_error *err);
	int (*data)(void *ctx, uint64_t offset, const void *buf, uint32_t len,
	            struct hv_error *err);
	int (*zero)(void *ctx, uint64_t offset, uint32_t len,
	            struct hv_error *err);
	int (*end)(void *ctx, uint64_t data_bytes, struct hv_error *err);
	void *ctx;
};

#endif
