/*
 * test_diskstream.c: the disk stream's wire format: golden bytes for the
 * stream header and each record, and a decoder that rejects every
 * malformed, truncated or inconsistent stream.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "hypervisor/diskstream_priv.h"

/* Stream header: DELTA, virtual size 4 GiB + 64 MiB. */
static const uint8_t golden_hdr[HV_DSTREAM_HDR_LEN] = {
	0x53, 0x46, 0x44, 0x53,                         /* magic "SFDS" */
	0x00, 0x01,                                     /* version 1 */
	0x00, 0x01,                                     /* flags: DELTA */
	0x00, 0x00, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, /* virtual_size */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* reserved */
};

/* DATA, 64 KiB at 1 MiB + 128 KiB. */
static const uint8_t golden_data[HV_DSTREAM_REC_LEN] = {
	0x01,                                           /* type DATA */
	0x00, 0x00, 0x00,                               /* reserved */
	0x00, 0x01, 0x00, 0x00,                         /* length 65536 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x12, 0x00, 0x00, /* offset */
};

/* ZERO, 1 MiB at 1 GiB. */
static const uint8_t golden_zero[HV_DSTREAM_REC_LEN] = {
	0x02,                                           /* type ZERO */
	0x00, 0x00, 0x00,                               /* reserved */
	0x00, 0x10, 0x00, 0x00,                         /* length 1 MiB */
	0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00, /* offset */
};

/* END after 65536 DATA bytes. */
static const uint8_t golden_end[HV_DSTREAM_REC_LEN] = {
	0x03,                                           /* type END */
	0x00, 0x00, 0x00,                               /* reserved */
	0x00, 0x00, 0x00, 0x00,                         /* length 0 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, /* DATA bytes */
};

#define GOLDEN_SIZE 0x104000000ull

/* A stream under construction. */
struct sbuf {
	uint8_t b[1 << 18];
	size_t n;
};

static void put(struct sbuf *s, const void *p, size_t len)
{
	cr_assert_leq(s->n + len, sizeof(s->b));
	memcpy(s->b + s->n, p, len);
	s->n += len;
}

static void put_hdr(struct sbuf *s, uint16_t flags, uint64_t size)
{
	uint8_t h[HV_DSTREAM_HDR_LEN];

	hv_dstream_hdr_encode(h, flags, size);
	put(s, h, sizeof(h));
}

static void put_rec(struct sbuf *s, uint8_t type, uint32_t len, uint64_t off)
{
	uint8_t r[HV_DSTREAM_REC_LEN];

	hv_dstream_rec_encode(r, type, len, off);
	put(s, r, sizeof(r));
}

static void put_data(struct sbuf *s, uint32_t len, uint64_t off, uint8_t fill)
{
	uint8_t payload[4096];

	cr_assert_leq(len, sizeof(payload));
	memset(payload, fill, len);
	put_rec(s, HV_DSTREAM_REC_DATA, len, off);
	put(s, payload, len);
}

/* The golden stream: header, DATA, ZERO, END, with a 64 KiB payload. */
static void golden_stream(struct sbuf *s)
{
	uint8_t payload[65536];

	memset(payload, 0xab, sizeof(payload));
	s->n = 0;
	put(s, golden_hdr, sizeof(golden_hdr));
	put(s, golden_data, sizeof(golden_data));
	put(s, payload, sizeof(payload));
	put(s, golden_zero, sizeof(golden_zero));
	put(s, golden_end, sizeof(golden_end));
}

struct outcome {
	int rc;
	int items[4]; /* by enum hv_dstream_item_type */
	uint64_t data_bytes, zero_bytes, data_sum;
	struct hv_error err;
};

/*
 * Decode s fed in pieces of at most chunk bytes, then finish. Checks the
 * items' invariants on the way.
 */
static struct outcome decode(const struct sbuf *s, size_t chunk)
{
	struct hv_dstream_decoder dec;
	struct hv_dstream_item item;
	struct outcome o = { 0 };
	size_t pos = 0, len, used;
	uint32_t i;
	int rc;

	hv_dstream_decoder_init(&dec);
	while (pos < s->n) {
		len = s->n - pos < chunk ? s->n - pos : chunk;
		rc = hv_dstream_decoder_feed(&dec, s->b + pos, len, &used,
		                             &item, &o.err);
		if (rc < 0) {
			o.rc = rc;
			goto out;
		}
		cr_assert_leq(used, len);
		pos += used;
		if (rc == 0) {
			cr_assert_eq(used, len);
			continue;
		}
		o.items[item.type]++;
		if (item.type == HV_DSTREAM_ITEM_DATA) {
			o.data_bytes += item.length;
			for (i = 0; i < item.length; i++)
				o.data_sum += item.data[i];
		} else if (item.type == HV_DSTREAM_ITEM_ZERO) {
			o.zero_bytes += item.length;
		}
	}
	o.rc = hv_dstream_decoder_finish(&dec, &o.err);
out:
	hv_dstream_decoder_release(&dec);
	return o;
}

/* s must fail, fed whole and byte by byte, with msg in the error. */
static void rejects(const struct sbuf *s, const char *msg)
{
	size_t chunks[] = { s->n ? s->n : 1, 1, 7 };
	struct outcome o;
	size_t i;

	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		o = decode(s, chunks[i]);
		cr_assert_eq(o.rc, -EPROTO, "chunk %zu: rc %d", chunks[i],
		             o.rc);
		cr_assert(strstr(o.err.msg, msg), "chunk %zu: '%s' lacks '%s'",
		          chunks[i], o.err.msg, msg);
		cr_assert(!strncmp(o.err.msg, "disk stream: ", 13), "%s",
		          o.err.msg);
	}
}

Test(diskstream, golden_header_and_records)
{
	uint8_t h[HV_DSTREAM_HDR_LEN], r[HV_DSTREAM_REC_LEN];

	hv_dstream_hdr_encode(h, HV_DSTREAM_FLAG_DELTA, GOLDEN_SIZE);
	cr_assert_arr_eq(h, golden_hdr, sizeof(h));
	hv_dstream_rec_encode(r, HV_DSTREAM_REC_DATA, 65536, 0x120000);
	cr_assert_arr_eq(r, golden_data, sizeof(r));
	hv_dstream_rec_encode(r, HV_DSTREAM_REC_ZERO, 1u << 20, 1ull << 30);
	cr_assert_arr_eq(r, golden_zero, sizeof(r));
	hv_dstream_rec_encode(r, HV_DSTREAM_REC_END, 0, 65536);
	cr_assert_arr_eq(r, golden_end, sizeof(r));
}

Test(diskstream, golden_stream_decodes_in_any_pieces)
{
	static struct sbuf s;
	size_t chunks[] = { 1, 3, 16, 24, 4096, 65536 + 40, sizeof(s.b) };
	struct outcome o;
	size_t i;

	golden_stream(&s);
	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		o = decode(&s, chunks[i]);
		cr_assert_eq(o.rc, 0, "chunk %zu: %s", chunks[i], o.err.msg);
		cr_assert_eq(o.items[HV_DSTREAM_ITEM_HEADER], 1);
		cr_assert_eq(o.items[HV_DSTREAM_ITEM_DATA], 1);
		cr_assert_eq(o.items[HV_DSTREAM_ITEM_ZERO], 1);
		cr_assert_eq(o.items[HV_DSTREAM_ITEM_END], 1);
		cr_assert_eq(o.data_bytes, 65536);
		cr_assert_eq(o.data_sum, 65536ull * 0xab);
		cr_assert_eq(o.zero_bytes, 1u << 20);
	}
}

Test(diskstream, header_fields_and_item)
{
	struct hv_dstream_decoder dec;
	struct hv_dstream_item item;
	struct hv_error err = { 0 };
	size_t used;

	hv_dstream_decoder_init(&dec);
	cr_assert_eq(hv_dstream_decoder_want(&dec), HV_DSTREAM_HDR_LEN);
	cr_assert_eq(
	    hv_dstream_decoder_feed(&dec, golden_hdr, 10, &used, &item, &err),
	    0);
	cr_assert_eq(hv_dstream_decoder_want(&dec), HV_DSTREAM_HDR_LEN - 10);
	cr_assert_eq(hv_dstream_decoder_feed(&dec, golden_hdr + 10,
	                                     HV_DSTREAM_HDR_LEN - 10, &used,
	                                     &item, &err),
	             1);
	cr_assert_eq(item.type, HV_DSTREAM_ITEM_HEADER);
	cr_assert_eq(item.flags, HV_DSTREAM_FLAG_DELTA);
	cr_assert_eq(item.virtual_size, GOLDEN_SIZE);
	cr_assert_eq(hv_dstream_decoder_want(&dec), HV_DSTREAM_REC_LEN);
	cr_assert_eq(hv_dstream_decoder_feed(&dec, golden_data,
	                                     HV_DSTREAM_REC_LEN, &used, &item,
	                                     &err),
	             0);
	cr_assert_eq(hv_dstream_decoder_want(&dec), 65536);
	cr_assert_eq(dec.payload_cap, 0, "nothing allocated before payload");
	hv_dstream_decoder_release(&dec);
}

Test(diskstream, want_stops_at_end)
{
	static struct sbuf s;
	struct hv_dstream_decoder dec;
	struct hv_dstream_item item;
	struct hv_error err = { 0 };
	size_t pos = 0, used, want;

	golden_stream(&s);
	hv_dstream_decoder_init(&dec);
	while ((want = hv_dstream_decoder_want(&dec)) > 0) {
		cr_assert_leq(pos + want, s.n);
		cr_assert_geq(hv_dstream_decoder_feed(&dec, s.b + pos, want,
		                                      &used, &item, &err),
		              0);
		cr_assert_eq(used, want);
		pos += used;
	}
	cr_assert_eq(pos, s.n);
	cr_assert_eq(hv_dstream_decoder_finish(&dec, &err), 0);
	cr_assert_eq(hv_dstream_decoder_feed(&dec, s.b, 0, &used, &item, &err),
	             0, "an empty feed after END is fine");
	hv_dstream_decoder_release(&dec);
}

/* A valid 1 MiB FULL stream with one DATA record of len bytes at off. */
static void one_record(struct sbuf *s, uint8_t type, uint32_t len, uint64_t off)
{
	s->n = 0;
	put_hdr(s, 0, 1u << 20);
	put_rec(s, type, len, off);
}

Test(diskstream, rejects_bad_header)
{
	static struct sbuf s;

	s.n = 0;
	put(&s, golden_hdr, sizeof(golden_hdr));
	s.b[0] = 'X';
	rejects(&s, "header: bad magic 0x58464453");
	memcpy(s.b, golden_hdr, sizeof(golden_hdr));
	s.b[5] = 2;
	rejects(&s, "header: version 2 is not supported");
	memcpy(s.b, golden_hdr, sizeof(golden_hdr));
	s.b[6] = 0x80;
	rejects(&s, "header: reserved flags 0x8001 are set");
	memcpy(s.b, golden_hdr, sizeof(golden_hdr));
	s.b[23] = 1;
	rejects(&s, "header: reserved field is not 0");
	s.n = 0;
	put_hdr(&s, 0, 0);
	rejects(&s, "header: virtual_size 0 is not in 1 ..");
	s.n = 0;
	put_hdr(&s, 0, HV_DSTREAM_SIZE_MAX + 1);
	rejects(&s, "header: virtual_size 70368744177665 is not in");
}

Test(diskstream, rejects_bad_record_fields)
{
	static struct sbuf s;

	one_record(&s, 4, 1, 0);
	rejects(&s, "record 1: type 4 is unknown");
	one_record(&s, 0, 1, 0);
	rejects(&s, "record 1: type 0 is unknown");
	one_record(&s, HV_DSTREAM_REC_ZERO, 512, 0);
	s.b[HV_DSTREAM_HDR_LEN + 2] = 1;
	rejects(&s, "record 1: reserved bytes are not 0");
	one_record(&s, HV_DSTREAM_REC_DATA, 0, 0);
	rejects(&s, "record 1: DATA length 0 is not in 1 .. 4194304");
	one_record(&s, HV_DSTREAM_REC_ZERO, 0, 0);
	rejects(&s, "record 1: ZERO length 0 is not in");
	one_record(&s, HV_DSTREAM_REC_END, 5, 0);
	rejects(&s, "record 1: END length 5 is not 0");
}

Test(diskstream, rejects_oversized_before_allocating)
{
	static struct sbuf s;
	struct hv_dstream_decoder dec;
	struct hv_dstream_item item;
	struct hv_error err = { 0 };
	size_t used;

	s.n = 0;
	put_hdr(&s, 0, 1ull << 40);
	put_rec(&s, HV_DSTREAM_REC_DATA, HV_DSTREAM_RECORD_MAX + 1, 0);
	rejects(&s, "record 1: DATA length 4194305 is not in 1 .. 4194304");
	hv_dstream_decoder_init(&dec);
	cr_assert_eq(
	    hv_dstream_decoder_feed(&dec, s.b, s.n, &used, &item, &err),
	    1); /* the header */
	cr_assert_eq(hv_dstream_decoder_feed(&dec, s.b + used, s.n - used,
	                                     &used, &item, &err),
	             -EPROTO);
	cr_assert_null(dec.payload, "nothing allocated for a bad length");
	hv_dstream_decoder_release(&dec);

	s.n = 0;
	put_hdr(&s, HV_DSTREAM_FLAG_DELTA, 1ull << 40);
	put_rec(&s, HV_DSTREAM_REC_ZERO, HV_DSTREAM_ZERO_MAX + 1, 0);
	rejects(&s, "record 1: ZERO length 1073741825 is not in");
}

Test(diskstream, rejects_backwards_overlapping_out_of_range)
{
	static struct sbuf s;

	s.n = 0;
	put_hdr(&s, 0, 1u << 20);
	put_data(&s, 4096, 8192, 1);
	put_data(&s, 4096, 4096, 2);
	rejects(&s, "record 2: offset 4096 goes backwards (last end 12288)");

	s.n = 0;
	put_hdr(&s, 0, 1u << 20);
	put_data(&s, 4096, 8192, 1);
	put_rec(&s, HV_DSTREAM_REC_ZERO, 4096, 12287); /* overlaps by one */
	rejects(&s, "record 2: offset 12287 goes backwards (last end 12288)");

	s.n = 0;
	put_hdr(&s, 0, 1u << 20);
	put_data(&s, 4096, 4096, 1);
	put_data(&s, 4096, 4096, 1); /* the same extent again */
	rejects(&s, "record 2: offset 4096 goes backwards");

	one_record(&s, HV_DSTREAM_REC_ZERO, 4096, (1u << 20) - 4095);
	rejects(&s, "record 1: extent 1044481+4096 ends past virtual_size "
	            "1048576");
	one_record(&s, HV_DSTREAM_REC_ZERO, 4096, UINT64_MAX - 100);
	rejects(&s, "ends past virtual_size"); /* no overflow */
	one_record(&s, HV_DSTREAM_REC_DATA, 1, 1u << 20);
	rejects(&s, "record 1: extent 1048576+1 ends past");
}

Test(diskstream, accepts_adjacent_and_last_byte)
{
	static struct sbuf s;
	struct outcome o;

	s.n = 0;
	put_hdr(&s, HV_DSTREAM_FLAG_DELTA, 10000); /* not block aligned */
	put_data(&s, 100, 0, 1);
	put_rec(&s, HV_DSTREAM_REC_ZERO, 9800, 100);
	put_data(&s, 100, 9900, 2); /* ends exactly at virtual_size */
	put_rec(&s, HV_DSTREAM_REC_END, 0, 200);
	o = decode(&s, 5);
	cr_assert_eq(o.rc, 0, "%s", o.err.msg);
	cr_assert_eq(o.data_bytes, 200);
	cr_assert_eq(o.zero_bytes, 9800);
}

Test(diskstream, rejects_end_mismatch_and_bytes_after_end)
{
	static struct sbuf s;
	uint8_t junk = 0;

	s.n = 0;
	put_hdr(&s, 0, 1u << 20);
	put_data(&s, 100, 0, 1);
	put_rec(&s, HV_DSTREAM_REC_END, 0, 99);
	rejects(&s, "record 2: END counts 99 DATA bytes, the stream carried "
	            "100");
	s.n = 0;
	put_hdr(&s, 0, 1u << 20);
	put_rec(&s, HV_DSTREAM_REC_ZERO, 100, 0);
	put_rec(&s, HV_DSTREAM_REC_END, 0, 100); /* ZERO is not DATA */
	rejects(&s, "END counts 100 DATA bytes, the stream carried 0");
	s.n = 0;
	put_hdr(&s, 0, 1u << 20);
	put_rec(&s, HV_DSTREAM_REC_END, 0, 0);
	put(&s, &junk, 1);
	rejects(&s, "1 bytes after END");
	s.n = 0;
	put_hdr(&s, 0, 1u << 20);
	put_rec(&s, HV_DSTREAM_REC_END, 0, 0);
	put_rec(&s, HV_DSTREAM_REC_END, 0, 0);
	rejects(&s, "bytes after END");
}

Test(diskstream, rejects_truncation_everywhere)
{
	static struct sbuf s, cut;
	size_t n;

	golden_stream(&s);
	cut.n = 0;
	rejects(&cut, "truncated in the header (0 of 24 bytes)");
	for (n = 1; n < s.n; n += n < 64 ? 1 : 4093) {
		memcpy(cut.b, s.b, n);
		cut.n = n;
		rejects(&cut, "truncated");
	}
	memcpy(cut.b, s.b, 30);
	cut.n = 30;
	rejects(&cut, "record 1: truncated before END (6 of 16 header bytes)");
	cut.n = 24 + 16 + 100;
	memcpy(cut.b, s.b, cut.n);
	rejects(&cut, "record 1: truncated DATA payload (100 of 65536 bytes)");
	cut.n = s.n - 16;
	memcpy(cut.b, s.b, cut.n);
	rejects(&cut, "record 3: truncated before END (0 of 16 header bytes)");
}

Test(diskstream, error_is_latched)
{
	struct hv_dstream_decoder dec;
	struct hv_dstream_item item;
	struct hv_error err = { 0 };
	uint8_t bad[HV_DSTREAM_HDR_LEN];
	size_t used;

	memcpy(bad, golden_hdr, sizeof(bad));
	bad[4] = 9;
	hv_dstream_decoder_init(&dec);
	cr_assert_eq(
	    hv_dstream_decoder_feed(&dec, bad, sizeof(bad), &used, &item, &err),
	    -EPROTO);
	hv_error_clear(&err);
	cr_assert_eq(hv_dstream_decoder_feed(&dec, golden_hdr,
	                                     sizeof(golden_hdr), &used, &item,
	                                     &err),
	             -EPROTO);
	cr_assert(strstr(err.msg, "version 2305"), "%s", err.msg);
	cr_assert_eq(hv_dstream_decoder_want(&dec), 0);
	cr_assert_eq(hv_dstream_decoder_finish(&dec, &err), -EPROTO);
	hv_dstream_decoder_release(&dec);
	hv_dstream_decoder_release(NULL);
}
