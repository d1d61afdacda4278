/*
 * codec_zstd.c: the zstd backend. Each state holds one compression and one
 * decompression context, reused for every frame of a session.
 */
#include <errno.h>
#include <stdlib.h>

#include <zstd.h>
#include <zstd_errors.h>

#include "transport/codec.h"
#include "transport/tp_frame.h"

/* A frame is at most TP_FRAME_RAW_MAX (2^18): never accept a larger window. */
#define TP_ZSTD_WINDOW_LOG_MAX 18

struct tp_zstd_state {
	ZSTD_CCtx *cctx;
	ZSTD_DCtx *dctx;
};

static void tp_zstd_state_free(void *state)
{
	struct tp_zstd_state *zs = state;
	int saved_errno = errno;

	if (!zs)
		return;
	ZSTD_freeCCtx(zs->cctx);
	ZSTD_freeDCtx(zs->dctx);
	free(zs);
	errno = saved_errno;
}

static void *tp_zstd_state_new(int level)
{
	struct tp_zstd_state *zs;

	zs = calloc(1, sizeof(*zs));
	if (!zs)
		return NULL;
	zs->cctx = ZSTD_createCCtx();
	zs->dctx = ZSTD_createDCtx();
	if (!zs->cctx || !zs->dctx)
		goto fail;
	if (ZSTD_isError(ZSTD_CCtx_setParameter(
	        zs->cctx, ZSTD_c_compressionLevel, level)) ||
	    ZSTD_isError(
	        ZSTD_CCtx_setParameter(zs->cctx, ZSTD_c_contentSizeFlag, 0)) ||
	    ZSTD_isError(ZSTD_DCtx_setParameter(zs->dctx, ZSTD_d_windowLogMax,
	                                        TP_ZSTD_WINDOW_LOG_MAX)))
		goto fail;
	return zs;
fail:
	tp_zstd_state_free(zs);
	errno = ENOMEM;
	return NULL;
}

static ssize_t tp_zstd_compress(void *state, const uint8_t *src, size_t src_len,
                                uint8_t *dst, size_t dst_cap)
{
	struct tp_zstd_state *zs = state;
	size_t n;

	n = ZSTD_compress2(zs->cctx, dst, dst_cap, src, src_len);
	if (ZSTD_isError(n)) {
		if (ZSTD_getErrorCode(n) == ZSTD_error_dstSize_tooSmall)
			return 0;
		return -EIO;
	}
	return (ssize_t)n;
}

static int tp_zstd_decompress(void *state, const uint8_t *src, size_t src_len,
                              uint8_t *dst, size_t raw_len)
{
	struct tp_zstd_state *zs = state;
	size_t n;

	n = ZSTD_decompressDCtx(zs->dctx, dst, raw_len, src, src_len);
	if (ZSTD_isError(n) || n != raw_len)
		return -EBADMSG;
	return 0;
}

const struct tp_codec_ops tp_codec_zstd_ops = {
	.id = TP_FRAME_CODEC_ZSTD,
	.name = "zstd",
	.level_default = 1,
	.state_new = tp_zstd_state_new,
	.state_free = tp_zstd_state_free,
	.compress = tp_zstd_compress,
	.decompress = tp_zstd_decompress,
};
