/*
 * diskstream.c: walk an NBD export's extents and hand data and zero ranges
 * to a sink: the wire (hv_dstream_send), or a target export directly
 * (hv_disk_convert). hv_dstream_recv decodes a stream and applies it with
 * the same NBD sink.
 *
 * The walk is ascending on a HV_DSTREAM_BLOCK grid and touches each block
 * at most once, so every write the target sees is whole 64 KiB blocks (a
 * short one only at the end of the disk), each written once, in order:
 * what a streamOptimized VMDK needs. QEMU's vmdk driver refuses a partial
 * grain ("Invalid argument") and a second write to a grain ("Could not
 * write to allocated cluster for streamOptimized").
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <libnbd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "hypervisor/diskstream_priv.h"
#include "hypervisor/image.h"
#include "hypervisor/nbdexport.h"

#define DS_STATUS_CHUNK (1ull << 30) /* bytes asked of block status */
#define DS_DIRTY        1u           /* qemu:dirty-bitmap: flag */

/* The extents one meta context reported, covering [start, end). */
struct ds_extent {
	uint64_t start, end;
	uint32_t flags;
};

struct ds_context {
	const char *name;
	bool active; /* negotiated with the server */
	struct ds_extent *v;
	size_t n, cap;
	uint64_t end;
	int error; /* negative errno from the callback */
};

struct ds_walk {
	struct nbd_handle *nbd;
	uint64_t size;
	enum hv_dstream_mode mode;
	struct ds_context alloc, dirty;
	uint8_t *buf; /* HV_DSTREAM_RECORD_MAX */
	uint64_t zero_off;
	uint32_t zero_len; /* pending ZERO range */
	struct hv_dstream_stats *stats;
	const struct hv_dstream_sink *sink;
};

enum ds_block_kind { DS_SKIP, DS_ZERO, DS_READ };

static int ds_nbd_error(const char *what, struct hv_error *err)
{
	int code = nbd_get_errno();

	return hv_error_set(err, code > 0 ? -code : -EIO, "disk stream: %s: %s",
	                    what, nbd_get_error() ? nbd_get_error() : "failed");
}

/* Open an NBD connection to uri, asking for the given meta contexts. */
static int ds_connect(const char *uri, const char *ctx1, const char *ctx2,
                      struct nbd_handle **out, struct hv_error *err)
{
	struct nbd_handle *nbd = nbd_create();
	int rc = 0;

	if (!nbd)
		return ds_nbd_error("nbd_create", err);
	if ((ctx1 && nbd_add_meta_context(nbd, ctx1) < 0) ||
	    (ctx2 && nbd_add_meta_context(nbd, ctx2) < 0) ||
	    nbd_connect_uri(nbd, uri) < 0) {
		rc = ds_nbd_error(uri, err);
		nbd_close(nbd);
		return rc;
	}
	*out = nbd;
	return 0;
}

/* Append one block status reply to the context it is for. */
static int ds_extent_cb(void *user, const char *metacontext, uint64_t offset,
                        uint32_t *entries, size_t nr_entries, int *error)
{
	struct ds_walk *w = user;
	struct ds_context *c =
	    !strcmp(metacontext, w->alloc.name)                      ? &w->alloc
	    : (w->dirty.name && !strcmp(metacontext, w->dirty.name)) ? &w->dirty
	                                                             : NULL;
	struct ds_extent *v;
	size_t i;

	(void)error;
	if (!c || offset != c->end) /* not the context we were filling */
		return 0;
	for (i = 0; i + 1 < nr_entries && c->end < w->size; i += 2) {
		if (c->n == c->cap) {
			v = realloc(c->v,
			            (c->cap ? c->cap * 2 : 64) * sizeof(*v));
			if (!v) {
				c->error = -ENOMEM;
				return 0;
			}
			c->v = v;
			c->cap = c->cap ? c->cap * 2 : 64;
		}
		v = &c->v[c->n++];
		v->start = c->end;
		v->end = entries[i] > w->size - c->end ? w->size
		                                       : c->end + entries[i];
		v->flags = entries[i + 1];
		c->end = v->end;
	}
	return 0;
}

/* Make c cover [a, b): drop extents before a, ask the server for more. */
static int ds_context_fill(struct ds_walk *w, struct ds_context *c, uint64_t a,
                           uint64_t b, struct hv_error *err)
{
	nbd_extent_callback cb = { .callback = ds_extent_cb, .user_data = w };
	uint64_t from, count;
	size_t keep = 0;

	while (keep < c->n && c->v[keep].end <= a)
		keep++;
	memmove(c->v, c->v + keep, (c->n - keep) * sizeof(*c->v));
	c->n -= keep;
	while (c->end < b) {
		if (c->n == 0)
			c->end = a;
		from = c->end;
		count = w->size - from < DS_STATUS_CHUNK ? w->size - from
		                                         : DS_STATUS_CHUNK;
		if (nbd_block_status(w->nbd, count, from, cb, 0) < 0)
			return ds_nbd_error("block status", err);
		if (c->error < 0)
			return hv_error_set(
			    err, c->error,
			    "disk stream: no memory for extents");
		if (c->end == from)
			return hv_error_set(
			    err, -EPROTO,
			    "disk stream: %s: no extent at offset "
			    "%" PRIu64,
			    c->name, from);
	}
	return 0;
}

/* OR and AND of the flags c reports over [a, b). */
static int ds_context_flags(struct ds_walk *w, struct ds_context *c, uint64_t a,
                            uint64_t b, uint32_t *any, uint32_t *all,
                            struct hv_error *err)
{
	size_t i;
	int rc = ds_context_fill(w, c, a, b, err);

	*any = 0;
	*all = ~0u;
	for (i = 0; rc == 0 && i < c->n && c->v[i].start < b; i++) {
		if (c->v[i].end <= a)
			continue;
		*any |= c->v[i].flags;
		*all &= c->v[i].flags;
	}
	return rc;
}

/* What to do with the block [a, b). */
static int ds_block_kind(struct ds_walk *w, uint64_t a, uint64_t b,
                         enum ds_block_kind *kind, struct hv_error *err)
{
	uint32_t any = 0, all = 0;
	int rc;

	if (w->mode == HV_DSTREAM_DELTA) {
		rc = ds_context_flags(w, &w->dirty, a, b, &any, &all, err);
		if (rc < 0)
			return rc;
		if (!(any & DS_DIRTY)) {
			*kind = DS_SKIP;
			return 0;
		}
	}
	if (!w->alloc.active) {
		*kind = DS_READ;
		return 0;
	}
	rc = ds_context_flags(w, &w->alloc, a, b, &any, &all, err);
	if (rc < 0)
		return rc;
	if (!(all & LIBNBD_STATE_ZERO))
		*kind = DS_READ;
	else
		*kind = w->mode == HV_DSTREAM_DELTA ? DS_ZERO : DS_SKIP;
	return 0;
}

static int ds_zero_flush(struct ds_walk *w, struct hv_error *err)
{
	uint32_t len = w->zero_len;

	if (len == 0)
		return 0;
	w->zero_len = 0;
	w->stats->zero_bytes += len;
	return w->sink->zero(w->sink->ctx, w->zero_off, len, err);
}

/* Queue [off, off + len) as zeroes, merging with the pending range. */
static int ds_zero_add(struct ds_walk *w, uint64_t off, uint32_t len,
                       struct hv_error *err)
{
	int rc = 0;

	if (w->zero_len && (w->zero_off + w->zero_len != off ||
	                    w->zero_len > HV_DSTREAM_ZERO_MAX - len))
		rc = ds_zero_flush(w, err);
	if (rc < 0)
		return rc;
	if (w->zero_len == 0)
		w->zero_off = off;
	w->zero_len += len;
	return 0;
}

static bool ds_all_zero(const uint8_t *p, size_t len)
{
	return len == 0 || (p[0] == 0 && !memcmp(p, p + 1, len - 1));
}

static int ds_data(struct ds_walk *w, uint64_t off, const uint8_t *p,
                   uint32_t len, struct hv_error *err)
{
	int rc;

	if (len == 0)
		return 0;
	rc = ds_zero_flush(w, err);
	if (rc < 0)
		return rc;
	w->stats->data_bytes += len;
	return w->sink->data(w->sink->ctx, off, p, len, err);
}

/*
 * Read [off, off + len) (whole blocks, the last maybe short), then send
 * each run of blocks holding data as one DATA range; all-zero blocks are
 * skipped (FULL) or become zeroes (DELTA).
 */
static int ds_read_run(struct ds_walk *w, uint64_t off, uint32_t len,
                       struct hv_error *err)
{
	uint32_t pos, blk, data_from = 0;
	int rc = 0;

	if (nbd_pread(w->nbd, w->buf, len, off, 0) < 0)
		return ds_nbd_error("read", err);
	for (pos = 0; pos < len && rc == 0; pos += blk) {
		blk =
		    len - pos < HV_DSTREAM_BLOCK ? len - pos : HV_DSTREAM_BLOCK;
		if (!ds_all_zero(w->buf + pos, blk))
			continue;
		rc = ds_data(w, off + data_from, w->buf + data_from,
		             pos - data_from, err);
		data_from = pos + blk;
		if (rc < 0)
			break;
		if (w->mode == HV_DSTREAM_DELTA)
			rc = ds_zero_add(w, off + pos, blk, err);
		else
			w->stats->skipped_bytes += blk;
	}
	if (rc == 0)
		rc = ds_data(w, off + data_from, w->buf + data_from,
		             len - data_from, err);
	return rc;
}

/* Walk the whole disk in ascending blocks, feeding the sink. */
static int ds_walk_run(struct ds_walk *w, struct hv_error *err)
{
	enum ds_block_kind kind, next = DS_SKIP;
	uint64_t off = 0, end, run_end;
	int rc;

	rc = w->sink->begin(w->sink->ctx,
	                    w->mode == HV_DSTREAM_DELTA ? HV_DSTREAM_FLAG_DELTA
	                                                : 0,
	                    w->size, err);
	while (rc == 0 && off < w->size) {
		end = w->size - off < HV_DSTREAM_BLOCK ? w->size
		                                       : off + HV_DSTREAM_BLOCK;
		rc = ds_block_kind(w, off, end, &kind, err);
		if (rc < 0)
			break;
		if (kind == DS_SKIP) {
			rc = ds_zero_flush(w, err);
			w->stats->skipped_bytes += end - off;
		} else if (kind == DS_ZERO) {
			rc = ds_zero_add(w, off, (uint32_t)(end - off), err);
		} else {
			/* Extend the run over following blocks to be read. */
			for (run_end = end;
			     rc == 0 && run_end < w->size &&
			     run_end - off < HV_DSTREAM_RECORD_MAX;
			     run_end = end) {
				end = w->size - run_end < HV_DSTREAM_BLOCK
				          ? w->size
				          : run_end + HV_DSTREAM_BLOCK;
				rc = ds_block_kind(w, run_end, end, &next, err);
				if (next != DS_READ)
					break;
			}
			if (rc == 0)
				rc = ds_read_run(
				    w, off, (uint32_t)(run_end - off), err);
			end = run_end;
		}
		off = end;
	}
	if (rc == 0)
		rc = ds_zero_flush(w, err);
	if (rc == 0)
		rc = w->sink->end(w->sink->ctx, w->stats->data_bytes, err);
	return rc;
}

/* Set up a walk over the connected nbd and run it into sink. */
static int ds_walk(struct nbd_handle *nbd, enum hv_dstream_mode mode,
                   const char *bitmap_context,
                   const struct hv_dstream_sink *sink,
                   struct hv_dstream_stats *stats, struct hv_error *err)
{
	struct ds_walk w = {
		.nbd = nbd, .mode = mode, .sink = sink, .stats = stats
	};
	int64_t size = nbd_get_size(nbd);
	int rc;

	if (size < 0)
		return ds_nbd_error("size", err);
	w.size = (uint64_t)size;
	stats->virtual_size = w.size;
	w.alloc.name = LIBNBD_CONTEXT_BASE_ALLOCATION;
	w.alloc.active =
	    nbd_can_meta_context(nbd, LIBNBD_CONTEXT_BASE_ALLOCATION) == 1;
	if (mode == HV_DSTREAM_DELTA) {
		w.dirty.name = bitmap_context;
		w.dirty.active = nbd_can_meta_context(nbd, bitmap_context) == 1;
		if (!w.dirty.active)
			return hv_error_set(err, -ENOTSUP,
			                    "disk stream: the export does not "
			                    "offer %s",
			                    bitmap_context);
	}
	w.buf = malloc(HV_DSTREAM_RECORD_MAX);
	if (!w.buf)
		return hv_error_set(err, -ENOMEM, "disk stream: no memory");
	rc = ds_walk_run(&w, err);
	free(w.buf);
	free(w.alloc.v);
	free(w.dirty.v);
	return rc;
}

/* The wire sink: encode each range as a record on fd. */
struct ds_wire {
	int fd;
	struct hv_dstream_stats *stats;
};

/* Write all of iov to fd; never raises SIGPIPE on a socket. */
static int ds_write_full(int fd, struct iovec *iov, int iovcnt)
{
	struct msghdr mh = { 0 };
	ssize_t n;
	bool sock = true;

	while (iovcnt > 0) {
		mh.msg_iov = iov;
		mh.msg_iovlen = (size_t)iovcnt;
		n = sock ? sendmsg(fd, &mh, MSG_NOSIGNAL)
		         : writev(fd, iov, iovcnt);
		if (n < 0 && errno == ENOTSOCK && sock) {
			sock = false;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		while (iovcnt > 0 && (size_t)n >= iov->iov_len) {
			n -= (ssize_t)iov->iov_len;
			iov++;
			iovcnt--;
		}
		if (iovcnt > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + n;
			iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

static int ds_wire_put(struct ds_wire *wire, const uint8_t *hdr, size_t hdrlen,
                       const void *payload, uint32_t len, struct hv_error *err)
{
	struct iovec iov[2] = { { (void *)hdr, hdrlen },
		                { (void *)payload, len } };
	int rc = ds_write_full(wire->fd, iov, len ? 2 : 1);

	if (rc < 0)
		return hv_error_set(err, rc, "disk stream: write: %s",
		                    strerror(-rc));
	wire->stats->wire_bytes += hdrlen + len;
	if (hdrlen == HV_DSTREAM_REC_LEN)
		wire->stats->records++;
	return 0;
}

static int ds_wire_begin(void *ctx, uint16_t flags, uint64_t size,
                         struct hv_error *err)
{
	uint8_t hdr[HV_DSTREAM_HDR_LEN];

	hv_dstream_hdr_encode(hdr, flags, size);
	return ds_wire_put(ctx, hdr, sizeof(hdr), NULL, 0, err);
}

static int ds_wire_data(void *ctx, uint64_t off, const void *buf, uint32_t len,
                        struct hv_error *err)
{
	uint8_t hdr[HV_DSTREAM_REC_LEN];

	hv_dstream_rec_encode(hdr, HV_DSTREAM_REC_DATA, len, off);
	return ds_wire_put(ctx, hdr, sizeof(hdr), buf, len, err);
}

static int ds_wire_zero(void *ctx, uint64_t off, uint32_t len,
                        struct hv_error *err)
{
	uint8_t hdr[HV_DSTREAM_REC_LEN];

	hv_dstream_rec_encode(hdr, HV_DSTREAM_REC_ZERO, len, off);
	return ds_wire_put(ctx, hdr, sizeof(hdr), NULL, 0, err);
}

static int ds_wire_end(void *ctx, uint64_t data_bytes, struct hv_error *err)
{
	uint8_t hdr[HV_DSTREAM_REC_LEN];

	hv_dstream_rec_encode(hdr, HV_DSTREAM_REC_END, 0, data_bytes);
	return ds_wire_put(ctx, hdr, sizeof(hdr), NULL, 0, err);
}

/* The NBD sink: apply each range to a writable target export. */
struct ds_target {
	struct nbd_handle *nbd;
	struct hv_dstream_stats *stats;
};

static int ds_target_begin(void *ctx, uint16_t flags, uint64_t size,
                           struct hv_error *err)
{
	struct ds_target *t = ctx;
	int64_t have = nbd_get_size(t->nbd);

	(void)flags;
	if (have < 0)
		return ds_nbd_error("target size", err);
	if ((uint64_t)have != size)
		return hv_error_set(err, -EINVAL,
		                    "disk stream: target size %" PRId64
		                    " differs from the virtual size %" PRIu64,
		                    have, size);
	if (nbd_is_read_only(t->nbd) == 1)
		return hv_error_set(err, -EROFS,
		                    "disk stream: the target export is "
		                    "read-only");
	return 0;
}

static int ds_target_data(void *ctx, uint64_t off, const void *buf,
                          uint32_t len, struct hv_error *err)
{
	struct ds_target *t = ctx;

	t->stats->records++;
	if (nbd_pwrite(t->nbd, buf, len, off, 0) < 0)
		return ds_nbd_error("write", err);
	return 0;
}

/* Zero a range; a server without WRITE_ZEROES gets written zeroes. */
static int ds_target_zero(void *ctx, uint64_t off, uint32_t len,
                          struct hv_error *err)
{
	static const uint8_t zeroes[HV_DSTREAM_BLOCK];
	struct ds_target *t = ctx;
	uint32_t done, n;

	t->stats->records++;
	if (nbd_can_zero(t->nbd) == 1) {
		if (nbd_zero(t->nbd, len, off, 0) < 0)
			return ds_nbd_error("write zeroes", err);
		return 0;
	}
	for (done = 0; done < len; done += n) {
		n = len - done < sizeof(zeroes) ? len - done : sizeof(zeroes);
		if (nbd_pwrite(t->nbd, zeroes, n, off + done, 0) < 0)
			return ds_nbd_error("write", err);
	}
	return 0;
}

static int ds_target_end(void *ctx, uint64_t data_bytes, struct hv_error *err)
{
	struct ds_target *t = ctx;

	(void)data_bytes;
	t->stats->records++;
	if (nbd_can_flush(t->nbd) == 1 && nbd_flush(t->nbd, 0) < 0)
		return ds_nbd_error("flush", err);
	return 0;
}

static void ds_target_sink(struct hv_dstream_sink *sink, struct ds_target *t)
{
	sink->begin = ds_target_begin;
	sink->data = ds_target_data;
	sink->zero = ds_target_zero;
	sink->end = ds_target_end;
	sink->ctx = t;
}

static void ds_stats_out(struct hv_dstream_stats *out,
                         const struct hv_dstream_stats *st)
{
	if (out)
		*out = *st;
}

int hv_dstream_send(const char *nbd_uri, enum hv_dstream_mode mode,
                    const char *bitmap_context, int fd,
                    struct hv_dstream_stats *stats, struct hv_error *err)
{
	struct hv_dstream_stats st = { 0 };
	struct ds_wire wire = { .fd = fd, .stats = &st };
	struct hv_dstream_sink sink = { ds_wire_begin, ds_wire_data,
		                        ds_wire_zero, ds_wire_end, &wire };
	struct nbd_handle *nbd = NULL;
	int rc;

	if ((mode != HV_DSTREAM_FULL && mode != HV_DSTREAM_DELTA) ||
	    (mode == HV_DSTREAM_DELTA &&
	     (!bitmap_context || !bitmap_context[0])))
		return hv_error_set(err, -EINVAL,
		                    "disk stream: a delta needs a bitmap "
		                    "context");
	rc = ds_connect(nbd_uri, LIBNBD_CONTEXT_BASE_ALLOCATION,
	                mode == HV_DSTREAM_DELTA ? bitmap_context : NULL, &nbd,
	                err);
	if (rc == 0)
		rc = ds_walk(nbd, mode, bitmap_context, &sink, &st, err);
	if (nbd) {
		nbd_shutdown(nbd, 0);
		nbd_close(nbd);
	}
	ds_stats_out(stats, &st);
	return rc;
}

/* Read up to len bytes, short only at EOF. */
static ssize_t ds_read_full(int fd, uint8_t *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = read(fd, buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* Apply one decoded item to the target. */
static int ds_apply(const struct hv_dstream_sink *sink,
                    const struct hv_dstream_item *item,
                    struct hv_dstream_stats *st, struct hv_error *err)
{
	switch (item->type) {
	case HV_DSTREAM_ITEM_HEADER:
		st->virtual_size = item->virtual_size;
		return sink->begin(sink->ctx, item->flags, item->virtual_size,
		                   err);
	case HV_DSTREAM_ITEM_DATA:
		st->data_bytes += item->length;
		return sink->data(sink->ctx, item->offset, item->data,
		                  item->length, err);
	case HV_DSTREAM_ITEM_ZERO:
		st->zero_bytes += item->length;
		return sink->zero(sink->ctx, item->offset, item->length, err);
	default:
		st->skipped_bytes =
		    st->virtual_size - st->data_bytes - st->zero_bytes;
		return sink->end(sink->ctx, item->data_bytes, err);
	}
}

/* Decode fd, never reading past END, and apply each item. */
static int ds_recv_loop(int fd, struct hv_dstream_decoder *dec,
                        const struct hv_dstream_sink *sink, uint8_t *buf,
                        struct hv_dstream_stats *st, struct hv_error *err)
{
	struct hv_dstream_item item;
	size_t want, used;
	ssize_t n;
	int rc;

	while ((want = hv_dstream_decoder_want(dec)) > 0) {
		n = ds_read_full(fd, buf, want);
		if (n < 0)
			return hv_error_set(err, (int)n,
			                    "disk stream: read: %s",
			                    strerror((int)-n));
		if (n == 0)
			return hv_dstream_decoder_finish(dec, err);
		st->wire_bytes += (uint64_t)n;
		rc = hv_dstream_decoder_feed(dec, buf, (size_t)n, &used, &item,
		                             err);
		if (rc < 0)
			return rc;
		if (rc == 0)
			continue;
		rc = ds_apply(sink, &item, st, err);
		if (rc < 0)
			return rc;
	}
	return hv_dstream_decoder_finish(dec, err);
}

int hv_dstream_recv(int fd, const char *nbd_uri, struct hv_dstream_stats *stats,
                    struct hv_error *err)
{
	struct hv_dstream_stats st = { 0 }, sink_st = { 0 };
	struct ds_target target = { .stats = &sink_st };
	struct hv_dstream_sink sink;
	struct hv_dstream_decoder dec;
	uint8_t *buf = NULL;
	int rc;

	hv_dstream_decoder_init(&dec);
	ds_target_sink(&sink, &target);
	rc = ds_connect(nbd_uri, NULL, NULL, &target.nbd, err);
	if (rc == 0 && !(buf = malloc(HV_DSTREAM_RECORD_MAX)))
		rc = hv_error_set(err, -ENOMEM, "disk stream: no memory");
	if (rc == 0)
		rc = ds_recv_loop(fd, &dec, &sink, buf, &st, err);
	st.records = sink_st.records;
	if (target.nbd) {
		nbd_shutdown(target.nbd, 0);
		nbd_close(target.nbd);
	}
	free(buf);
	hv_dstream_decoder_release(&dec);
	ds_stats_out(stats, &st);
	return rc;
}

/* Copy src's export into dst's export. */
static int ds_convert_copy(struct hv_export *src, struct hv_export *dst,
                           struct hv_dstream_stats *st, struct hv_error *err)
{
	struct ds_target target = { .stats = st };
	struct hv_dstream_sink sink;
	struct nbd_handle *nbd = NULL;
	int rc;

	ds_target_sink(&sink, &target);
	rc = ds_connect(hv_export_uri(src), LIBNBD_CONTEXT_BASE_ALLOCATION,
	                NULL, &nbd, err);
	if (rc == 0)
		rc = ds_connect(hv_export_uri(dst), NULL, NULL, &target.nbd,
		                err);
	if (rc == 0)
		rc = ds_walk(nbd, HV_DSTREAM_FULL, NULL, &sink, st, err);
	if (target.nbd) {
		nbd_shutdown(target.nbd, 0);
		nbd_close(target.nbd);
	}
	if (nbd) {
		nbd_shutdown(nbd, 0);
		nbd_close(nbd);
	}
	return rc;
}

int hv_disk_convert(const char *src, enum hv_img_format src_fmt,
                    const char *dst, enum hv_img_format dst_fmt,
                    const char *dst_subformat, struct hv_dstream_stats *stats,
                    struct hv_error *err)
{
	struct hv_dstream_stats st = { 0 };
	struct hv_export *src_exp = NULL, *dst_exp = NULL;
	uint64_t size = 0;
	struct stat sb;
	bool created = false;
	int rc, stop_rc;

	if (lstat(dst, &sb) == 0)
		return hv_error_set(err, -EEXIST,
		                    "convert: %s already exists; not "
		                    "overwriting it",
		                    dst);
	rc = hv_image_info(src, &src_fmt, &size, NULL, err);
	if (rc == 0)
		rc =
		    hv_image_create_fmt(dst, dst_fmt, dst_subformat, size, err);
	created = rc == 0;
	if (rc == 0)
		rc = hv_export_start(src, src_fmt, 0, NULL, &src_exp, err);
	if (rc == 0)
		rc = hv_export_start(dst, dst_fmt, HV_EXPORT_WRITABLE, NULL,
		                     &dst_exp, err);
	if (rc == 0)
		rc = ds_convert_copy(src_exp, dst_exp, &st, err);
	/* Closing the target finishes it (a streamOptimized footer). */
	stop_rc = hv_export_stop(dst_exp, rc == 0 ? err : NULL);
	if (rc == 0)
		rc = stop_rc;
	hv_export_stop(src_exp, NULL);
	if (rc < 0 && created)
		hv_image_remove_fmt(dst, dst_fmt, dst_subformat, NULL);
	ds_stats_out(stats, &st);
	return rc;
}
