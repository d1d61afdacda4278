/*
 * codec.c: choose a compression backend, apply the raw bypass, and bound
 * every decompression by the frame's declared raw length.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "transport/codec.h"
#include "transport/tp_frame.h"

struct tp_codec {
	const struct tp_codec_ops *enc_ops; /* NULL: always raw */
	void *enc_state;
	void *dec_state[TP_FRAME_CODEC_MAX + 1];
};

static const struct tp_codec_ops *tp_codec_ops_find(unsigned int id)
{
	switch (id) {
	case TP_FRAME_CODEC_LZ4:
		return &tp_codec_lz4_ops;
	case TP_FRAME_CODEC_ZSTD:
		return &tp_codec_zstd_ops;
	default:
		return NULL;
	}
}

const char *tp_codec_name(unsigned int id)
{
	const struct tp_codec_ops *ops;

	if (id == TP_FRAME_CODEC_RAW)
		return "raw";
	ops = tp_codec_ops_find(id);
	return ops ? ops->name : "unknown";
}

struct tp_codec *tp_codec_new(unsigned int id, int level)
{
	struct tp_codec *codec;

	if (id > TP_FRAME_CODEC_MAX) {
		errno = EINVAL;
		return NULL;
	}
	codec = calloc(1, sizeof(*codec));
	if (!codec)
		return NULL;
	codec->enc_ops = tp_codec_ops_find(id);
	if (codec->enc_ops) {
		if (level == 0)
			level = codec->enc_ops->level_default;
		codec->enc_state = codec->enc_ops->state_new(level);
		if (!codec->enc_state) {
			tp_codec_free(codec);
			return NULL;
		}
	}
	return codec;
}

void tp_codec_free(struct tp_codec *codec)
{
	const struct tp_codec_ops *ops;
	int saved_errno = errno;
	unsigned int id;

	if (!codec)
		return;
	if (codec->enc_ops)
		codec->enc_ops->state_free(codec->enc_state);
	for (id = 0; id <= TP_FRAME_CODEC_MAX; id++) {
		ops = tp_codec_ops_find(id);
		if (ops)
			ops->state_free(codec->dec_state[id]);
	}
	free(codec);
	errno = saved_errno;
}

unsigned int tp_codec_id(const struct tp_codec *codec)
{
	return codec->enc_ops ? codec->enc_ops->id : TP_FRAME_CODEC_RAW;
}

int tp_codec_encode(struct tp_codec *codec, const uint8_t *raw, size_t raw_len,
                    uint8_t *dst, size_t *wire_len, uint8_t *codec_used,
                    struct tp_error *err)
{
	ssize_t n = 0;

	if (raw_len < 1 || raw_len > TP_FRAME_RAW_MAX)
		return tp_error_set(err, -EMSGSIZE,
		                    "payload length %zu outside 1..%u", raw_len,
		                    TP_FRAME_RAW_MAX);
	if (codec->enc_ops && raw_len > 1) {
		n = codec->enc_ops->compress(codec->enc_state, raw, raw_len,
		                             dst, raw_len - 1);
		if (n < 0)
			return tp_error_set(err, (int)n,
			                    "%s compression failed",
			                    codec->enc_ops->name);
	}
	if (n > 0 && (size_t)n < raw_len) {
		*wire_len = (size_t)n;
		*codec_used = codec->enc_ops->id;
		return 0;
	}
	memcpy(dst, raw, raw_len);
	*wire_len = raw_len;
	*codec_used = TP_FRAME_CODEC_RAW;
	return 0;
}

int tp_codec_decode(struct tp_codec *codec, unsigned int codec_id,
                    const uint8_t *wire, size_t wire_len, uint8_t *raw,
                    size_t raw_len, struct tp_error *err)
{
	const struct tp_codec_ops *ops;
	int ret;

	if (raw_len < 1 || raw_len > TP_FRAME_RAW_MAX)
		return tp_error_set(err, -EMSGSIZE,
		                    "declared raw length %zu outside 1..%u",
		                    raw_len, TP_FRAME_RAW_MAX);
	if (codec_id == TP_FRAME_CODEC_RAW) {
		if (wire_len != raw_len)
			return tp_error_set(
			    err, -EBADMSG,
			    "raw payload of %zu bytes, declared "
			    "%zu",
			    wire_len, raw_len);
		memcpy(raw, wire, raw_len);
		return 0;
	}
	ops = tp_codec_ops_find(codec_id);
	if (!ops)
		return tp_error_set(err, -EPROTO, "unknown codec %u", codec_id);
	if (wire_len >= raw_len)
		return tp_error_set(err, -EBADMSG,
		                    "%s payload of %zu bytes not below raw "
		                    "length %zu",
		                    ops->name, wire_len, raw_len);
	if (!codec->dec_state[codec_id]) {
		codec->dec_state[codec_id] = ops->state_new(ops->level_default);
		if (!codec->dec_state[codec_id])
			return tp_error_set(err, -errno,
			                    "%s decoder: out of memory",
			                    ops->name);
	}
	ret = ops->decompress(codec->dec_state[codec_id], wire, wire_len, raw,
	                      raw_len);
	if (ret < 0)
		return tp_error_set(err, ret,
		                    "corrupt %s payload (%zu bytes, raw %zu)",
		                    ops->name, wire_len, raw_len);
	return 0;
}

void tp_stats_add_tx(struct tp_stats *stats, size_t raw_len, size_t wire_len)
{
	stats->tx_raw += raw_len;
	stats->tx_wire += wire_len;
	stats->tx_frames++;
	if (wire_len >= raw_len)
		stats->tx_frames_bypassed++;
}

void tp_stats_add_rx(struct tp_stats *stats, size_t raw_len, size_t wire_len)
{
	stats->rx_raw += raw_len;
	stats->rx_wire += wire_len;
	stats->rx_frames++;
}
