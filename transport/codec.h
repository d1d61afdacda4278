/*
 * codec.h: per-frame compression, internal to transport/.
 *
 * Backends are sibling files (codec_lz4.c, codec_zstd.c) behind struct
 * tp_codec_ops; codec.c picks one for sending, decodes whatever codec the
 * peer chose, and applies the raw bypass: a payload is sent compressed only
 * when that is strictly smaller than the raw bytes, so a DATA frame is never
 * larger on the wire than its raw size plus the header.
 */
#ifndef SKYFERRY_TP_CODEC_H
#define SKYFERRY_TP_CODEC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "transport/tp.h"
#include "transport/tp_error.h"

struct tp_codec_ops {
	uint8_t id; /* TP_FRAME_CODEC_* */
	const char *name;
	int level_default;
	/* New backend state for one direction; NULL with errno set. */
	void *(*state_new)(int level);
	/* Free state; accepts NULL. */
	void (*state_free)(void *state);
	/*
	 * Compress src_len bytes into dst. Returns the compressed length,
	 * 0 when the result does not fit in dst_cap (send raw), or -errno.
	 */
	ssize_t (*compress)(void *state, const uint8_t *src, size_t src_len,
	                    uint8_t *dst, size_t dst_cap);
	/*
	 * Decompress src into dst, which holds raw_len bytes. Returns 0 only
	 * if exactly raw_len bytes came out, else -EBADMSG. Never writes past
	 * dst + raw_len.
	 */
	int (*decompress)(void *state, const uint8_t *src, size_t src_len,
	                  uint8_t *dst, size_t raw_len);
};

extern const struct tp_codec_ops tp_codec_lz4_ops;
extern const struct tp_codec_ops tp_codec_zstd_ops;

struct tp_codec;

/*
 * New codec engine that compresses with codec id (TP_FRAME_CODEC_*) at
 * level (0 for the backend's default) and decompresses any codec. Returns
 * NULL with errno EINVAL (unknown id) or ENOMEM.
 */
struct tp_codec *tp_codec_new(unsigned int id, int level);

/* Free an engine; accepts NULL. */
void tp_codec_free(struct tp_codec *codec);

/* Codec the engine compresses with. */
unsigned int tp_codec_id(const struct tp_codec *codec);

/* "raw", "lz4", "zstd", or "unknown". */
const char *tp_codec_name(unsigned int id);

/*
 * Encode raw_len (1..TP_FRAME_RAW_MAX) bytes into dst, which has room for
 * raw_len bytes. On success *wire_len and *codec_used say what went into
 * dst: the compressed bytes, or a copy of the raw bytes when compression
 * would not make them strictly smaller. Returns 0 or -errno (err filled).
 */
int tp_codec_encode(struct tp_codec *codec, const uint8_t *raw, size_t raw_len,
                    uint8_t *dst, size_t *wire_len, uint8_t *codec_used,
                    struct tp_error *err);

/*
 * Decode a payload of codec codec_id into raw, which has room for raw_len
 * bytes. raw_len is checked against TP_FRAME_RAW_MAX first, and the output
 * must be exactly raw_len bytes. Returns 0, -EMSGSIZE, -EPROTO (unknown
 * codec) or -EBADMSG (corrupt payload), with err filled.
 */
int tp_codec_decode(struct tp_codec *codec, unsigned int codec_id,
                    const uint8_t *wire, size_t wire_len, uint8_t *raw,
                    size_t raw_len, struct tp_error *err);

/* Count one DATA frame's payload into the tx or rx half of stats. */
void tp_stats_add_tx(struct tp_stats *stats, size_t raw_len, size_t wire_len);
void tp_stats_add_rx(struct tp_stats *stats, size_t raw_len, size_t wire_len);

#endif
