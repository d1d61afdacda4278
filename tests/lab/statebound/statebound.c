/* statebound.c: see statebound.h. */
#include "statebound.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

int statebound_init(struct statebound *sb)
{
	memset(sb, 0, sizeof(*sb));
	sb->out_cap = ZSTD_compressBound(STATEBOUND_CHUNK);
	sb->chunk = malloc(STATEBOUND_CHUNK + STATEBOUND_PAGE);
	sb->out = malloc(sb->out_cap);
	if (!sb->chunk || !sb->out) {
		statebound_free(sb);
		return -ENOMEM;
	}
	return 0;
}

static int statebound_compress(struct statebound *sb)
{
	size_t n;

	if (sb->chunk_len == 0)
		return 0;
	n = ZSTD_compress(sb->out, sb->out_cap, sb->chunk, sb->chunk_len,
	                  STATEBOUND_LEVEL);
	if (ZSTD_isError(n))
		return -EIO;
	sb->compressed_bytes += n;
	sb->chunk_len = 0;
	return 0;
}

static bool statebound_zero(const uint8_t *p, size_t len)
{
	return len == 0 || (p[0] == 0 && memcmp(p, p + 1, len - 1) == 0);
}

/* The page being assembled sits after the chunk_len bytes kept. */
static int statebound_page_done(struct statebound *sb, size_t len)
{
	uint8_t *page = sb->chunk + sb->chunk_len;

	sb->fill = 0;
	if (statebound_zero(page, len))
		return 0;
	sb->nonzero_bytes += len;
	sb->chunk_len += len;
	if (sb->chunk_len >= STATEBOUND_CHUNK)
		return statebound_compress(sb);
	return 0;
}

int statebound_feed(struct statebound *sb, const uint8_t *data, size_t len)
{
	size_t have, take;
	int rc;

	while (len > 0) {
		have = sb->fill;
		take = STATEBOUND_PAGE - have;
		if (take > len)
			take = len;
		memcpy(sb->chunk + sb->chunk_len + have, data, take);
		sb->total_bytes += take;
		sb->fill += take;
		data += take;
		len -= take;
		if (have + take == STATEBOUND_PAGE) {
			rc = statebound_page_done(sb, STATEBOUND_PAGE);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

int statebound_finish(struct statebound *sb)
{
	int rc = 0;

	if (sb->fill)
		rc = statebound_page_done(sb, sb->fill);
	if (rc == 0)
		rc = statebound_compress(sb);
	return rc;
}

void statebound_free(struct statebound *sb)
{
	if (!sb)
		return;
	free(sb->chunk);
	free(sb->out);
	sb->chunk = NULL;
	sb->out = NULL;
}
