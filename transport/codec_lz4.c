/*
 * codec_lz4.c: the LZ4 backend. level is LZ4's acceleration (1 = best
 * ratio of the fast mode).
 */
#include <errno.h>
#include <stdlib.h>

#include <lz4.h>

#include "transport/codec.h"
#include "transport/tp_frame.h"

struct tp_lz4_state {
	int acceleration;
	void *ext_state; /* LZ4_sizeofState() bytes */
};

static void tp_lz4_state_free(void *state)
{
	struct tp_lz4_state *lz4 = state;
	int saved_errno = errno;

	if (!lz4)
		return;
	free(lz4->ext_state);
	free(lz4);
	errno = saved_errno;
}

static void *tp_lz4_state_new(int level)
{
	struct tp_lz4_state *lz4;

	lz4 = calloc(1, sizeof(*lz4));
	if (!lz4)
		return NULL;
	lz4->acceleration = level > 0 ? level : 1;
	lz4->ext_state = malloc((size_t)LZ4_sizeofState());
	if (!lz4->ext_state) {
		tp_lz4_state_free(lz4);
		errno = ENOMEM;
		return NULL;
	}
	return lz4;
}

static ssize_t tp_lz4_compress(void *state, const uint8_t *src, size_t src_len,
                               uint8_t *dst, size_t dst_cap)
{
	struct tp_lz4_state *lz4 = state;
	int n;

	if (src_len > TP_FRAME_RAW_MAX || dst_cap > TP_FRAME_RAW_MAX)
		return -EMSGSIZE;
	/* Returns 0 when the output would not fit: the caller sends raw. */
	n = LZ4_compress_fast_extState(lz4->ext_state, (const char *)src,
	                               (char *)dst, (int)src_len, (int)dst_cap,
	                               lz4->acceleration);
	return n;
}

static int tp_lz4_decompress(void *state, const uint8_t *src, size_t src_len,
                             uint8_t *dst, size_t raw_len)
{
	int n;

	(void)state;
	if (src_len > TP_FRAME_RAW_MAX || raw_len > TP_FRAME_RAW_MAX)
		return -EBADMSG;
	n = LZ4_decompress_safe((const char *)src, (char *)dst, (int)src_len,
	                        (int)raw_len);
	if (n < 0 || (size_t)n != raw_len)
		return -EBADMSG;
	return 0;
}

const struct tp_codec_ops tp_codec_lz4_ops = {
	.id = TP_FRAME_CODEC_LZ4,
	.name = "lz4",
	.level_default = 1,
	.state_new = tp_lz4_state_new,
	.state_free = tp_lz4_state_free,
	.compress = tp_lz4_compress,
	.decompress = tp_lz4_decompress,
};
