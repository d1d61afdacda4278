/*
 * test_frame.c: golden bytes for every frame type, and the decoder's
 * rejections (truncated, oversized, bad version/type/flags/codec/channel).
 */
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>

#include "transport/tp_frame.h"

/* Encode hdr + payload and compare with the golden bytes. */
static void frame_expect(const struct tp_frame_hdr *hdr, const uint8_t *payload,
                         const uint8_t *golden, size_t golden_len)
{
	uint8_t out[TP_FRAME_HDR_LEN + 512];
	struct tp_error err = { 0 };

	cr_assert_eq(tp_frame_hdr_encode(hdr, out, &err), 0, "%s", err.msg);
	cr_assert_leq(hdr->payload_len, sizeof(out) - TP_FRAME_HDR_LEN);
	memcpy(out + TP_FRAME_HDR_LEN, payload, hdr->payload_len);
	cr_assert_eq(TP_FRAME_HDR_LEN + hdr->payload_len, golden_len);
	cr_assert_arr_eq(out, golden, golden_len);
}

/* Decode golden bytes; returns the payload pointer. */
static const uint8_t *frame_decode_ok(struct tp_frame_hdr *hdr,
                                      const uint8_t *golden, size_t len)
{
	const uint8_t *payload = NULL;
	struct tp_error err = { 0 };
	ssize_t n;

	n = tp_frame_decode(hdr, &payload, golden, len, &err);
	cr_assert_eq(n, (ssize_t)len, "decode: %zd %s", n, err.msg);
	return payload;
}

static const uint8_t golden_hello[] = {
	0x53, 0x46,                                     /* magic "SF" */
	0x02,                                           /* version 2 */
	0x01,                                           /* type HELLO */
	0x00,                                           /* flags */
	0x00,                                           /* codec raw */
	0x00, 0x00,                                     /* stripe 0 */
	0x00, 0x00, 0x00, 0x00,                         /* channel 0 */
	0x00, 0x00, 0x00, 0x50,                         /* payload_len 80 */
	0x00, 0x00, 0x00, 0x50,                         /* raw_len 80 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* seq 0 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* ack 0 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* chan_prev 0 */
	/* payload */
	0x02,                   /* min_version 2 */
	0x02,                   /* max_version 2 */
	0x00, 0x00,             /* reserved */
	0x00, 0x00, 0x00, 0x03, /* features LZ4|zstd */
	0x00, 0x10, 0x00, 0x00, /* chan_window 1 MiB */
	0x00, 0x01, 0x00, 0x00, /* max_raw 64 KiB */
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, /* session_id */
	0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
	0x00, 0x03,             /* stripe 3 */
	0x00, 0x00,             /* reserved */
	0x00, 0x80, 0x00, 0x00, /* reorder_max 8 MiB */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x03, /* received 66051 */
	0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, /* proof */
	0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
	0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7,
	0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf,
};

Test(transport_frame, hello_golden)
{
	struct tp_frame_hello hello = {
		.min_version = 2,
		.max_version = 2,
		.features = TP_HELLO_F_LZ4 | TP_HELLO_F_ZSTD,
		.chan_window = 1u << 20,
		.max_raw = 1u << 16,
		.session_id = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
		                0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee,
		                0xff },
		.stripe = 3,
		.reorder_max = 8u << 20,
		.received = 0x010203,
	};
	struct tp_frame_hdr hdr = {
		.version = 2,
		.type = TP_FRAME_HELLO,
		.payload_len = 80,
		.raw_len = 80,
	};
	struct tp_frame_hello got;
	struct tp_frame_hdr dec;
	const uint8_t *payload;
	uint8_t buf[TP_FRAME_HELLO_LEN];

	for (int i = 0; i < 32; i++)
		hello.proof[i] = (uint8_t)(0xa0 + i);
	cr_assert_eq(tp_frame_hello_encode(&hello, buf, NULL), 80);
	frame_expect(&hdr, buf, golden_hello, sizeof(golden_hello));
	payload = frame_decode_ok(&dec, golden_hello, sizeof(golden_hello));
	cr_assert_eq(dec.type, TP_FRAME_HELLO);
	cr_assert_eq(dec.seq, 0);
	cr_assert_eq(
	    tp_frame_hello_decode(&got, payload, dec.payload_len, NULL), 0);
	cr_assert_eq(got.min_version, 2);
	cr_assert_eq(got.max_version, 2);
	cr_assert_eq(got.features, 3);
	cr_assert_eq(got.chan_window, 1u << 20);
	cr_assert_eq(got.max_raw, 1u << 16);
	cr_assert_arr_eq(got.session_id, hello.session_id, 16);
	cr_assert_eq(got.stripe, 3);
	cr_assert_eq(got.reorder_max, 8u << 20);
	cr_assert_eq(got.received, 0x010203);
	cr_assert_arr_eq(got.proof, hello.proof, 32);
}

static const uint8_t golden_open[] = {
	0x53, 0x46,                                     /* magic */
	0x02,                                           /* version 2 */
	0x02,                                           /* type OPEN */
	0x00,                                           /* flags */
	0x00,                                           /* codec raw */
	0x00, 0x00,                                     /* stripe 0 */
	0x00, 0x00, 0x00, 0x03,                         /* channel 3 */
	0x00, 0x00, 0x00, 0x0c,                         /* payload_len 12 */
	0x00, 0x00, 0x00, 0x0c,                         /* raw_len 12 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, /* seq 2 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* ack 0 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* chan_prev 0: first of its channel */
	/* payload */
	0x01,                   /* priority bulk */
	0x00,                   /* reserved */
	0x00, 0x04,             /* name_len 4 */
	0x00, 0x04, 0x00, 0x00, /* window 256 KiB */
	'd', 'i', 's', 'k',     /* name */
};

Test(transport_frame, open_golden)
{
	struct tp_frame_open open = {
		.priority = TP_FRAME_PRIO_BULK,
		.window = 256 * 1024,
		.name_len = 4,
		.name = "disk",
	};
	struct tp_frame_hdr hdr = {
		.version = 2,
		.type = TP_FRAME_OPEN,
		.channel = 3,
		.payload_len = 12,
		.raw_len = 12,
		.seq = 2,
	};
	struct tp_frame_open got;
	struct tp_frame_hdr dec;
	const uint8_t *payload;
	uint8_t buf[8 + TP_FRAME_NAME_MAX];

	cr_assert_eq(tp_frame_open_encode(&open, buf, NULL), 12);
	frame_expect(&hdr, buf, golden_open, sizeof(golden_open));
	payload = frame_decode_ok(&dec, golden_open, sizeof(golden_open));
	cr_assert_eq(dec.channel, 3);
	cr_assert_eq(tp_frame_open_decode(&got, payload, dec.payload_len, NULL),
	             0);
	cr_assert_eq(got.priority, TP_FRAME_PRIO_BULK);
	cr_assert_eq(got.window, 256 * 1024);
	cr_assert_str_eq(got.name, "disk");
}

static const uint8_t golden_data_raw[] = {
	0x53, 0x46,                                     /* magic */
	0x02,                                           /* version 2 */
	0x03,                                           /* type DATA */
	0x01,                                           /* flags ACK */
	0x00,                                           /* codec raw */
	0x00, 0x02,                                     /* stripe 2 */
	0x00, 0x00, 0x00, 0x05,                         /* channel 5 */
	0x00, 0x00, 0x00, 0x03,                         /* payload_len 3 */
	0x00, 0x00, 0x00, 0x03,                         /* raw_len 3 */
	0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, /* seq */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09, /* ack 9 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, /* chan_prev 5 */
	'a',  'b',  'c',                                /* payload */
};

Test(transport_frame, data_raw_golden)
{
	struct tp_frame_hdr hdr = {
		.version = 2,
		.type = TP_FRAME_DATA,
		.flags = TP_FRAME_F_ACK,
		.stripe = 2,
		.channel = 5,
		.payload_len = 3,
		.raw_len = 3,
		.seq = 0x0102030405060708ull,
		.chan_prev = 5,
		.ack = 9,
	};
	struct tp_frame_hdr dec;
	const uint8_t *payload;

	frame_expect(&hdr, (const uint8_t *)"abc", golden_data_raw,
	             sizeof(golden_data_raw));
	payload =
	    frame_decode_ok(&dec, golden_data_raw, sizeof(golden_data_raw));
	cr_assert_eq(dec.stripe, 2);
	cr_assert_eq(dec.seq, 0x0102030405060708ull);
	cr_assert_eq(dec.chan_prev, 5);
	cr_assert_eq(dec.ack, 9);
	cr_assert_eq(dec.flags, TP_FRAME_F_ACK);
	cr_assert_arr_eq(payload, "abc", 3);
}

static const uint8_t golden_data_zstd[] = {
	0x53, 0x46,                                     /* magic */
	0x02,                                           /* version 2 */
	0x03,                                           /* type DATA */
	0x00,                                           /* flags */
	0x02,                                           /* codec zstd */
	0x00, 0x00,                                     /* stripe 0 */
	0x00, 0x00, 0x00, 0x07,                         /* channel 7 */
	0x00, 0x00, 0x00, 0x02,                         /* payload_len 2 */
	0x00, 0x01, 0x00, 0x00,                         /* raw_len 65536 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, /* seq 3 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* ack 0 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, /* chan_prev 2 */
	0xaa, 0xbb, /* payload (opaque here) */
};

Test(transport_frame, data_compressed_golden)
{
	struct tp_frame_hdr hdr = {
		.version = 2,
		.type = TP_FRAME_DATA,
		.codec = TP_FRAME_CODEC_ZSTD,
		.channel = 7,
		.payload_len = 2,
		.raw_len = 65536,
		.seq = 3,
		.chan_prev = 2,
	};
	struct tp_frame_hdr dec;

	frame_expect(&hdr, (const uint8_t[]){ 0xaa, 0xbb }, golden_data_zstd,
	             sizeof(golden_data_zstd));
	frame_decode_ok(&dec, golden_data_zstd, sizeof(golden_data_zstd));
	cr_assert_eq(dec.codec, TP_FRAME_CODEC_ZSTD);
	cr_assert_eq(dec.raw_len, 65536);
}

static const uint8_t golden_eof[] = {
	0x53, 0x46,                                     /* magic */
	0x02,                                           /* version 2 */
	0x04,                                           /* type EOF */
	0x00,                                           /* flags */
	0x00,                                           /* codec raw */
	0x00, 0x00,                                     /* stripe 0 */
	0x00, 0x00, 0x00, 0x03,                         /* channel 3 */
	0x00, 0x00, 0x00, 0x00,                         /* payload_len 0 */
	0x00, 0x00, 0x00, 0x00,                         /* raw_len 0 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, /* seq 10 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* ack 0 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, /* chan_prev 3 */
};

Test(transport_frame, eof_golden)
{
	struct tp_frame_hdr hdr = {
		.version = 2,
		.type = TP_FRAME_EOF,
		.channel = 3,
		.seq = 10,
		.chan_prev = 3,
	};
	struct tp_frame_hdr dec;

	frame_expect(&hdr, NULL, golden_eof, sizeof(golden_eof));
	frame_decode_ok(&dec, golden_eof, sizeof(golden_eof));
	cr_assert_eq(dec.type, TP_FRAME_EOF);
	cr_assert_eq(dec.payload_len, 0);
}

static const uint8_t golden_reset[] = {
	0x53, 0x46,                                     /* magic */
	0x02,                                           /* version 2 */
	0x05,                                           /* type RESET */
	0x00,                                           /* flags */
	0x00,                                           /* codec raw */
	0x00, 0x00,                                     /* stripe 0 */
	0x00, 0x00, 0x00, 0x03,                         /* channel 3 */
	0x00, 0x00, 0x00, 0x0b,                         /* payload_len 11 */
	0x00, 0x00, 0x00, 0x0b,                         /* raw_len 11 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0b, /* seq 11 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* ack 0 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, /* chan_prev 10 */
	/* payload */
	0x00, 0x00, 0x00, 0x68, /* code 104 (ECONNRESET) */
	0x00, 0x03,             /* msg_len 3 */
	0x00, 0x00,             /* reserved */
	'r', 's', 't',          /* msg */
};

Test(transport_frame, reset_golden)
{
	struct tp_frame_reason reason = { .code = 104,
		                          .msg_len = 3,
		                          .msg = "rst" };
	struct tp_frame_hdr hdr = {
		.version = 2,
		.type = TP_FRAME_RESET,
		.channel = 3,
		.payload_len = 11,
		.raw_len = 11,
		.seq = 11,
		.chan_prev = 10,
	};
	struct tp_frame_reason got;
	struct tp_frame_hdr dec;
	const uint8_t *payload;
	uint8_t buf[TP_FRAME_REASON_MIN + TP_FRAME_REASON_MAX];

	cr_assert_eq(tp_frame_reason_encode(&reason, buf, NULL), 11);
	frame_expect(&hdr, buf, golden_reset, sizeof(golden_reset));
	payload = frame_decode_ok(&dec, golden_reset, sizeof(golden_reset));
	cr_assert_eq(
	    tp_frame_reason_decode(&got, payload, dec.payload_len, NULL), 0);
	cr_assert_eq(got.code, 104);
	cr_assert_str_eq(got.msg, "rst");
}

static const uint8_t golden_credit[] = {
	0x53, 0x46,                                     /* magic */
	0x02,                                           /* version 2 */
	0x06,                                           /* type CREDIT */
	0x00,                                           /* flags */
	0x00,                                           /* codec raw */
	0x00, 0x00,                                     /* stripe 0 */
	0x00, 0x00, 0x00, 0x04,                         /* channel 4 */
	0x00, 0x00, 0x00, 0x04,                         /* payload_len 4 */
	0x00, 0x00, 0x00, 0x04,                         /* raw_len 4 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, /* seq 12 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* ack 0 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* chan_prev 0: first of its channel */
	0x00, 0x01, 0x00, 0x00,                         /* increment 65536 */
};

Test(transport_frame, credit_golden)
{
	struct tp_frame_hdr hdr = {
		.version = 2,
		.type = TP_FRAME_CREDIT,
		.channel = 4,
		.payload_len = 4,
		.raw_len = 4,
		.seq = 12,
	};
	struct tp_frame_hdr dec;
	const uint8_t *payload;
	uint8_t buf[4];
	uint32_t inc = 0;

	cr_assert_eq(tp_frame_credit_encode(65536, buf, NULL), 4);
	frame_expect(&hdr, buf, golden_credit, sizeof(golden_credit));
	payload = frame_decode_ok(&dec, golden_credit, sizeof(golden_credit));
	cr_assert_eq(tp_frame_credit_decode(&inc, payload, 4, NULL), 0);
	cr_assert_eq(inc, 65536);
	cr_assert_eq(tp_frame_credit_encode(0, buf, NULL), -EINVAL);
	cr_assert_eq(tp_frame_credit_decode(
	                 &inc, (const uint8_t[]){ 0, 0, 0, 0 }, 4, NULL),
	             -EPROTO);
}

static const uint8_t golden_ping[] = {
	0x53, 0x46,                                     /* magic */
	0x02,                                           /* version 2 */
	0x07,                                           /* type PING */
	0x00,                                           /* flags */
	0x00,                                           /* codec raw */
	0x00, 0x00,                                     /* stripe 0 */
	0x00, 0x00, 0x00, 0x00,                         /* channel 0 */
	0x00, 0x00, 0x00, 0x08,                         /* payload_len 8 */
	0x00, 0x00, 0x00, 0x08,                         /* raw_len 8 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* seq 0 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* ack 0 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* chan_prev 0 */
	0xde, 0xad, 0xbe, 0xef, 0x00, 0x00, 0x00, 0x01, /* opaque */
};

static const uint8_t golden_pong[] = {
	0x53, 0x46,                                     /* magic */
	0x02,                                           /* version 2 */
	0x08,                                           /* type PONG */
	0x00,                                           /* flags */
	0x00,                                           /* codec raw */
	0x00, 0x00,                                     /* stripe 0 */
	0x00, 0x00, 0x00, 0x00,                         /* channel 0 */
	0x00, 0x00, 0x00, 0x08,                         /* payload_len 8 */
	0x00, 0x00, 0x00, 0x08,                         /* raw_len 8 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* seq 0 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* ack 0 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* chan_prev 0 */
	0xde, 0xad, 0xbe, 0xef, 0x00, 0x00, 0x00, 0x01, /* opaque */
};

Test(transport_frame, ping_pong_golden)
{
	struct tp_frame_hdr hdr = {
		.version = 2,
		.type = TP_FRAME_PING,
		.payload_len = 8,
		.raw_len = 8,
		.seq = 0,
	};
	struct tp_frame_hdr dec;
	const uint8_t *payload;
	uint8_t buf[8];
	uint64_t opaque = 0;

	cr_assert_eq(tp_frame_ping_encode(0xdeadbeef00000001ull, buf), 8);
	frame_expect(&hdr, buf, golden_ping, sizeof(golden_ping));
	hdr.type = TP_FRAME_PONG;
	hdr.seq = 0;
	frame_expect(&hdr, buf, golden_pong, sizeof(golden_pong));
	payload = frame_decode_ok(&dec, golden_pong, sizeof(golden_pong));
	cr_assert_eq(dec.type, TP_FRAME_PONG);
	cr_assert_eq(tp_frame_ping_decode(&opaque, payload, 8, NULL), 0);
	cr_assert_eq(opaque, 0xdeadbeef00000001ull);
}

static const uint8_t golden_ack[] = {
	0x53, 0x46,                                     /* magic */
	0x02,                                           /* version 2 */
	0x09,                                           /* type ACK */
	0x01,                                           /* flags ACK */
	0x00,                                           /* codec raw */
	0x00, 0x00,                                     /* stripe 0 */
	0x00, 0x00, 0x00, 0x00,                         /* channel 0 */
	0x00, 0x00, 0x00, 0x00,                         /* payload_len 0 */
	0x00, 0x00, 0x00, 0x00,                         /* raw_len 0 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* seq 0 */
	0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, /* ack 2^32 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* chan_prev 0 */
};

Test(transport_frame, ack_golden)
{
	struct tp_frame_hdr hdr = {
		.version = 2,
		.type = TP_FRAME_ACK,
		.flags = TP_FRAME_F_ACK,
		.seq = 0,
		.ack = 1ull << 32,
	};
	struct tp_frame_hdr dec;

	frame_expect(&hdr, NULL, golden_ack, sizeof(golden_ack));
	frame_decode_ok(&dec, golden_ack, sizeof(golden_ack));
	cr_assert_eq(dec.ack, 1ull << 32);
	hdr.flags = 0;
	hdr.ack = 0;
	cr_assert_eq(
	    tp_frame_hdr_encode(&hdr, (uint8_t[TP_FRAME_HDR_LEN]){ 0 }, NULL),
	    -EPROTO);
}

static const uint8_t golden_close[] = {
	0x53, 0x46,                                     /* magic */
	0x02,                                           /* version 2 */
	0x0a,                                           /* type CLOSE */
	0x00,                                           /* flags */
	0x00,                                           /* codec raw */
	0x00, 0x00,                                     /* stripe 0 */
	0x00, 0x00, 0x00, 0x00,                         /* channel 0 */
	0x00, 0x00, 0x00, 0x08,                         /* payload_len 8 */
	0x00, 0x00, 0x00, 0x08,                         /* raw_len 8 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* seq 0 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* ack 0 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* chan_prev 0 */
	0x00, 0x00, 0x00, 0x00, /* code 0: clean close */
	0x00, 0x00,             /* msg_len 0 */
	0x00, 0x00,             /* reserved */
};

Test(transport_frame, close_golden)
{
	struct tp_frame_reason reason = { .code = 0, .msg_len = 0 };
	struct tp_frame_hdr hdr = {
		.version = 2,
		.type = TP_FRAME_CLOSE,
		.payload_len = 8,
		.raw_len = 8,
		.seq = 0,
	};
	struct tp_frame_reason got;
	struct tp_frame_hdr dec;
	const uint8_t *payload;
	uint8_t buf[TP_FRAME_REASON_MIN + TP_FRAME_REASON_MAX];

	cr_assert_eq(tp_frame_reason_encode(&reason, buf, NULL), 8);
	frame_expect(&hdr, buf, golden_close, sizeof(golden_close));
	payload = frame_decode_ok(&dec, golden_close, sizeof(golden_close));
	cr_assert_eq(tp_frame_reason_decode(&got, payload, 8, NULL), 0);
	cr_assert_eq(got.code, 0);
	cr_assert_str_eq(got.msg, "");
}

/* Decode a mutated copy of a golden frame and expect a rejection. */
static void frame_expect_reject(const uint8_t *golden, size_t len,
                                size_t offset, uint8_t value, int want,
                                const char *needle)
{
	uint8_t buf[TP_FRAME_HDR_LEN + 128];
	struct tp_error err = { 0 };
	const uint8_t *payload = NULL;
	struct tp_frame_hdr hdr;
	ssize_t n;

	cr_assert_leq(len, sizeof(buf));
	memcpy(buf, golden, len);
	buf[offset] = value;
	n = tp_frame_decode(&hdr, &payload, buf, len, &err);
	cr_assert_eq(n, want, "offset %zu: got %zd (%s)", offset, n, err.msg);
	cr_assert_eq(err.code, want);
	cr_assert(strstr(err.msg, needle), "message \"%s\" lacks \"%s\"",
	          err.msg, needle);
}

Test(transport_frame, truncated)
{
	struct tp_frame_hdr hdr;
	const uint8_t *payload;
	size_t len;

	/* Every strict prefix of a frame asks for more, never succeeds. */
	for (len = 0; len < sizeof(golden_hello); len++)
		cr_assert_eq(
		    tp_frame_decode(&hdr, &payload, golden_hello, len, NULL),
		    -EAGAIN, "prefix %zu", len);
	/* A payload decoder given a short payload rejects it. */
	cr_assert_eq(tp_frame_hello_decode(&(struct tp_frame_hello){ 0 },
	                                   golden_hello + TP_FRAME_HDR_LEN, 79,
	                                   NULL),
	             -EMSGSIZE);
	cr_assert_eq(tp_frame_reason_decode(&(struct tp_frame_reason){ 0 },
	                                    golden_reset + TP_FRAME_HDR_LEN, 10,
	                                    NULL),
	             -EMSGSIZE);
	cr_assert_eq(tp_frame_open_decode(&(struct tp_frame_open){ 0 },
	                                  golden_open + TP_FRAME_HDR_LEN, 11,
	                                  NULL),
	             -EMSGSIZE);
}

Test(transport_frame, oversized)
{
	uint8_t buf[TP_FRAME_HDR_LEN];
	struct tp_error err = { 0 };
	struct tp_frame_hdr hdr;

	/* DATA raw_len just above the hard cap, payload_len too. */
	memcpy(buf, golden_data_raw, TP_FRAME_HDR_LEN);
	tp_put_u32(buf + 12, TP_FRAME_RAW_MAX + 1);
	tp_put_u32(buf + 16, TP_FRAME_RAW_MAX + 1);
	cr_assert_eq(tp_frame_hdr_decode(&hdr, buf, sizeof(buf), &err),
	             -EMSGSIZE);
	cr_assert(strstr(err.msg, "DATA"), "%s", err.msg);
	/* 4 GiB - 1 is rejected from the header alone. */
	tp_put_u32(buf + 12, 0xffffffffu);
	cr_assert_eq(tp_frame_hdr_decode(&hdr, buf, sizeof(buf), NULL),
	             -EMSGSIZE);
	/* Exactly the cap is fine. */
	tp_put_u32(buf + 12, TP_FRAME_RAW_MAX);
	tp_put_u32(buf + 16, TP_FRAME_RAW_MAX);
	cr_assert_eq(tp_frame_hdr_decode(&hdr, buf, sizeof(buf), NULL), 0);
	/* Compressed payload not smaller than raw. */
	memcpy(buf, golden_data_zstd, TP_FRAME_HDR_LEN);
	tp_put_u32(buf + 12, 65536);
	cr_assert_eq(tp_frame_hdr_decode(&hdr, buf, sizeof(buf), NULL),
	             -EMSGSIZE);
	/* Zero-length DATA. */
	memcpy(buf, golden_data_raw, TP_FRAME_HDR_LEN);
	tp_put_u32(buf + 12, 0);
	tp_put_u32(buf + 16, 0);
	cr_assert_eq(tp_frame_hdr_decode(&hdr, buf, sizeof(buf), NULL),
	             -EMSGSIZE);
	/* Fixed-size frames with a wrong length. */
	frame_expect_reject(golden_hello, sizeof(golden_hello), 15, 0x51,
	                    -EMSGSIZE, "HELLO frame payload length 81");
	frame_expect_reject(golden_eof, sizeof(golden_eof), 15, 0x01, -EMSGSIZE,
	                    "EOF");
	frame_expect_reject(golden_credit, sizeof(golden_credit), 15, 0x08,
	                    -EMSGSIZE, "CREDIT");
	/* raw_len must equal payload_len on uncompressed control frames. */
	frame_expect_reject(golden_ping, sizeof(golden_ping), 19, 0x09,
	                    -EMSGSIZE, "raw length");
	/* Reason with a msg_len that disagrees with the payload. */
	cr_assert_eq(tp_frame_reason_decode(
	                 &(struct tp_frame_reason){ 0 },
	                 (const uint8_t[]){ 0, 0, 0, 1, 0xff, 0xff, 0, 0 }, 8,
	                 NULL),
	             -EMSGSIZE);
}

Test(transport_frame, bad_magic_version_type)
{
	frame_expect_reject(golden_ping, sizeof(golden_ping), 0, 0x00, -EPROTO,
	                    "bad frame magic");
	frame_expect_reject(golden_ping, sizeof(golden_ping), 2, 0x01, -EPROTO,
	                    "unsupported frame version 1 (want 2)");
	frame_expect_reject(golden_ping, sizeof(golden_ping), 2, 0x03, -EPROTO,
	                    "unsupported frame version 3");
	frame_expect_reject(golden_ping, sizeof(golden_ping), 2, 0x00, -EPROTO,
	                    "unsupported frame version 0");
	frame_expect_reject(golden_ping, sizeof(golden_ping), 3, 0x00, -EPROTO,
	                    "unknown frame type 0");
	frame_expect_reject(golden_ping, sizeof(golden_ping), 3, 0x0b, -EPROTO,
	                    "unknown frame type 11");
	frame_expect_reject(golden_ping, sizeof(golden_ping), 3, 0xff, -EPROTO,
	                    "unknown frame type 255");
}

/* Write a big-endian u64 into a golden copy at offset and decode it. */
static void frame_expect_reject_u64(const uint8_t *golden, size_t len,
                                    size_t offset, uint64_t value,
                                    const char *needle)
{
	uint8_t buf[TP_FRAME_HDR_LEN + 128];
	struct tp_error err = { 0 };
	const uint8_t *payload = NULL;
	struct tp_frame_hdr hdr;

	cr_assert_leq(len, sizeof(buf));
	memcpy(buf, golden, len);
	tp_put_u64(buf + offset, value);
	cr_assert_eq(tp_frame_decode(&hdr, &payload, buf, len, &err), -EPROTO,
	             "offset %zu = %llu: %s", offset,
	             (unsigned long long)value, err.msg);
	cr_assert(strstr(err.msg, needle), "message \"%s\" lacks \"%s\"",
	          err.msg, needle);
}

Test(transport_frame, seq_and_chan_prev)
{
	/* A channel frame's chan_prev is below its seq, and its seq not 0. */
	frame_expect_reject_u64(golden_eof, sizeof(golden_eof), 36, 10,
	                        "EOF frame with seq 10 and chan_prev 10");
	frame_expect_reject_u64(golden_eof, sizeof(golden_eof), 36, 11,
	                        "want 0 <= chan_prev < seq");
	frame_expect_reject_u64(golden_open, sizeof(golden_open), 20, 0,
	                        "OPEN frame with seq 0");
	/* Session frames carry neither. */
	frame_expect_reject_u64(golden_ping, sizeof(golden_ping), 20, 7,
	                        "PING frame with seq 7 and chan_prev 0, "
	                        "both must be 0");
	frame_expect_reject_u64(golden_close, sizeof(golden_close), 36, 1,
	                        "CLOSE frame with seq 0 and chan_prev 1");
}

Test(transport_frame, reserved_bits)
{
	unsigned int bit;

	for (bit = 1; bit < 8; bit++)
		frame_expect_reject(golden_ping, sizeof(golden_ping), 4,
		                    (uint8_t)(1u << bit), -EPROTO,
		                    "reserved flag bits");
	/* An ack value without the ack flag. */
	frame_expect_reject(golden_ping, sizeof(golden_ping), 35, 0x01, -EPROTO,
	                    "without the ack flag");
	/* Unknown codec; codec on a non-DATA frame. */
	frame_expect_reject(golden_data_zstd, sizeof(golden_data_zstd), 5, 3,
	                    -EPROTO, "unknown codec 3");
	frame_expect_reject(golden_ping, sizeof(golden_ping), 5, 1, -EPROTO,
	                    "may not be compressed");
	/* Channel rules. */
	frame_expect_reject(golden_ping, sizeof(golden_ping), 11, 1, -EPROTO,
	                    "must be 0");
	frame_expect_reject(golden_eof, sizeof(golden_eof), 11, 0, -EPROTO,
	                    "on channel 0");
	/* Reserved fields inside payloads. */
	cr_assert_eq(tp_frame_hello_decode(&(struct tp_frame_hello){ 0 },
	                                   (const uint8_t[80]){ 1, 1, 0, 1 },
	                                   80, NULL),
	             -EPROTO);
	/* A stripe index beyond the maximum, in the header and the hello. */
	frame_expect_reject(golden_ping, sizeof(golden_ping), 7, 16, -EPROTO,
	                    "stripe 16");
	cr_assert_eq(tp_frame_open_decode(
	                 &(struct tp_frame_open){ 0 },
	                 (const uint8_t[]){ 1, 1, 0, 1, 0, 0, 0, 0, 'x' }, 9,
	                 NULL),
	             -EPROTO);
	cr_assert_eq(tp_frame_reason_decode(
	                 &(struct tp_frame_reason){ 0 },
	                 (const uint8_t[]){ 0, 0, 0, 1, 0, 0, 0, 1 }, 8, NULL),
	             -EPROTO);
}

Test(transport_frame, hello_payload_checks)
{
	uint8_t p[TP_FRAME_HELLO_LEN];
	struct tp_frame_hello hello;

	memcpy(p, golden_hello + TP_FRAME_HDR_LEN, sizeof(p));
	cr_assert_eq(tp_frame_hello_decode(&hello, p, sizeof(p), NULL), 0);
	p[7] = 0x04; /* unknown feature bit */
	cr_assert_eq(tp_frame_hello_decode(&hello, p, sizeof(p), NULL),
	             -EPROTO);
	p[7] = 0x03;
	p[0] = 3; /* min above max */
	cr_assert_eq(tp_frame_hello_decode(&hello, p, sizeof(p), NULL),
	             -EPROTO);
	p[0] = 2;
	tp_put_u32(p + 12, TP_FRAME_RAW_MAX + 1); /* max_raw too big */
	cr_assert_eq(tp_frame_hello_decode(&hello, p, sizeof(p), NULL),
	             -EPROTO);
	tp_put_u32(p + 12, 512); /* max_raw too small */
	cr_assert_eq(tp_frame_hello_decode(&hello, p, sizeof(p), NULL),
	             -EPROTO);
	tp_put_u32(p + 12, 1u << 16);
	cr_assert_eq(tp_frame_hello_decode(&hello, p, sizeof(p), NULL), 0);
	p[33] = TP_FRAME_STRIPE_MAX + 1; /* stripe too big */
	cr_assert_eq(tp_frame_hello_decode(&hello, p, sizeof(p), NULL),
	             -EPROTO);
	p[33] = 0;
	p[35] = 1; /* reserved */
	cr_assert_eq(tp_frame_hello_decode(&hello, p, sizeof(p), NULL),
	             -EPROTO);
	p[35] = 0;
	tp_put_u32(p + 36, 4096); /* reorder_max below one frame */
	cr_assert_eq(tp_frame_hello_decode(&hello, p, sizeof(p), NULL),
	             -EPROTO);
	tp_put_u32(p + 36, TP_FRAME_REORDER_MAX + 1);
	cr_assert_eq(tp_frame_hello_decode(&hello, p, sizeof(p), NULL),
	             -EPROTO);
}

Test(transport_frame, encoder_refuses_invalid)
{
	struct tp_frame_hdr hdr = {
		.version = 2,
		.type = TP_FRAME_DATA,
		.channel = 1,
		.payload_len = TP_FRAME_RAW_MAX + 1,
		.raw_len = TP_FRAME_RAW_MAX + 1,
		.seq = 1,
	};
	struct tp_frame_open open = { .name_len = TP_FRAME_NAME_MAX + 1 };
	struct tp_frame_reason reason = { .msg_len = TP_FRAME_REASON_MAX + 1 };
	uint8_t out[TP_FRAME_HDR_LEN + 512];

	cr_assert_eq(tp_frame_hdr_encode(&hdr, out, NULL), -EMSGSIZE);
	hdr.payload_len = hdr.raw_len = 3;
	cr_assert_eq(tp_frame_hdr_encode(&hdr, out, NULL), 0);
	hdr.chan_prev = 1; /* not below seq */
	cr_assert_eq(tp_frame_hdr_encode(&hdr, out, NULL), -EPROTO);
	hdr.chan_prev = 0;
	hdr.version = 1;
	cr_assert_eq(tp_frame_hdr_encode(&hdr, out, NULL), -EPROTO);
	cr_assert_eq(tp_frame_open_encode(&open, out, NULL), -EINVAL);
	open.name_len = 0;
	cr_assert_eq(tp_frame_open_encode(&open, out, NULL), -EINVAL);
	cr_assert_eq(tp_frame_reason_encode(&reason, out, NULL), -EINVAL);
	cr_assert_str_eq(tp_frame_type_name(99), "unknown");
	cr_assert_str_eq(tp_frame_type_name(TP_FRAME_CREDIT), "CREDIT");
}
