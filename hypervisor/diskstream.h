/*
 * diskstream.h: a disk's guest-visible contents as a stream of extents,
 * read from and written to QEMU's block layer through NBD (libnbd).
 *
 * The sender reads an NBD export (qemu-nbd over a unix socket, or libvirt's
 * pull-backup export), asks the server which extents hold data (the
 * base:allocation context, or a dirty-bitmap context for a delta), and
 * writes records to a byte stream: holes and all-zero blocks are not sent.
 * The receiver applies the records to a writable NBD export of the target
 * image, whatever its format. Neither end keeps an intermediate copy.
 *
 * Wire format (all integers big-endian):
 *
 *   stream header, 24 bytes
 *     0  u32 magic        "SFDS" (0x53464453)
 *     4  u16 version      1
 *     6  u16 flags        bit 0: DELTA (zero extents are sent as ZERO
 *                         records); other bits reserved, must be 0
 *     8  u64 virtual_size bytes, 1 .. HV_DSTREAM_SIZE_MAX
 *    16  u64 reserved     must be 0
 *
 *   record header, 16 bytes, then length bytes of payload for DATA
 *     0  u8  type         1 DATA, 2 ZERO, 3 END
 *     1  u8  reserved[3]  must be 0
 *     4  u32 length       DATA: 1 .. HV_DSTREAM_RECORD_MAX;
 *                         ZERO: 1 .. HV_DSTREAM_ZERO_MAX; END: 0
 *     8  u64 offset       DATA/ZERO: offset + length <= virtual_size, and
 *                         records come in ascending, non-overlapping order;
 *                         END: the number of DATA bytes in the stream
 *
 * Ascending 64 KiB-aligned writes, each block written once, let the target
 * be a streamOptimized VMDK, which accepts nothing else.
 */
#ifndef SKYFERRY_HV_DISKSTREAM_H
#define SKYFERRY_HV_DISKSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hypervisor/hv_error.h"
#include "hypervisor/vmdef.h"

#define HV_DSTREAM_MAGIC      0x53464453u
#define HV_DSTREAM_VERSION    1
#define HV_DSTREAM_HDR_LEN    24
#define HV_DSTREAM_REC_LEN    16
#define HV_DSTREAM_FLAG_DELTA 0x0001u
#define HV_DSTREAM_BLOCK      (64u << 10) /* read and zero-test granule */
#define HV_DSTREAM_RECORD_MAX (4u << 20)
#define HV_DSTREAM_ZERO_MAX   (1u << 30)
#define HV_DSTREAM_SIZE_MAX   (64ull << 40)

/*
 * Filled by each call, also on failure (what was done until then). The
 * sender and the receiver of one stream agree on every field; the
 * receiver's skipped_bytes is what no record touched. hv_disk_convert
 * has no wire: wire_bytes is 0 and records counts NBD write requests.
 */
struct hv_dstream_stats {
	uint64_t virtual_size;
	uint64_t data_bytes;    /* payload bytes of DATA records */
	uint64_t zero_bytes;    /* bytes covered by ZERO records */
	uint64_t skipped_bytes; /* holes and zero blocks not sent at all */
	uint64_t wire_bytes;    /* every byte of the stream, headers included */
	uint64_t records;
};

enum hv_dstream_mode {
	/* The target is new and reads as zeroes: send only data. */
	HV_DSTREAM_FULL,
	/* Send the extents a dirty bitmap marks; zeroes become ZERO records. */
	HV_DSTREAM_DELTA,
};

/*
 * Send the disk at nbd_uri (e.g. "nbd+unix:///vda?socket=/path") to fd as
 * one stream. FULL reads the base:allocation context; DELTA reads
 * bitmap_context ("qemu:dirty-bitmap:NAME"), which must then be non-NULL.
 * stats may be NULL. Returns 0 or a negative errno with err filled.
 */
int hv_dstream_send(const char *nbd_uri, enum hv_dstream_mode mode,
                    const char *bitmap_context, int fd,
                    struct hv_dstream_stats *stats, struct hv_error *err);

/*
 * Read one stream from fd and apply it to the writable export at nbd_uri,
 * whose size must equal the stream's virtual size (-EINVAL otherwise).
 * Flushes before it returns 0. A malformed stream is -EPROTO, naming the
 * field ("disk stream: record 12: offset 4096 goes backwards (last end
 * 8192)"). Never reads past END, so fd may carry more after the stream.
 */
int hv_dstream_recv(int fd, const char *nbd_uri, struct hv_dstream_stats *stats,
                    struct hv_error *err);

/*
 * Convert an image locally: export src read-only, create dst (format
 * dst_fmt, subformat or "" for the default) of the same virtual size,
 * export it writable, and copy only data. Refuses an existing dst
 * (-EEXIST). On failure dst is removed (with a monolithicFlat extent).
 * A vpc dst keeps the exact size (force_size), not a CHS-rounded one.
 */
int hv_disk_convert(const char *src, enum hv_img_format src_fmt,
                    const char *dst, enum hv_img_format dst_fmt,
                    const char *dst_subformat, struct hv_dstream_stats *stats,
                    struct hv_error *err);

#endif
