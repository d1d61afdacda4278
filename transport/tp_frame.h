/*
 * tp_frame.h: the skyferry transport wire format, version 2.
 *
 * Every frame is a fixed 44-byte header followed by payload_len bytes of
 * payload. All integers are unsigned and big-endian (network byte order), and
 * are written field by field; no struct is ever copied onto the wire.
 *
 * Header
 * ------
 *  offset size field        meaning
 *  0      2    magic        0x5346 ("SF")
 *  2      1    version      TP_FRAME_VERSION (2); anything else is rejected
 *  3      1    type         TP_FRAME_HELLO .. TP_FRAME_CLOSE; others rejected
 *  4      1    flags        bit 0: TP_FRAME_F_ACK (the ack field is valid);
 *                           bits 1-7 reserved, must be zero
 *  5      1    codec        payload codec: 0 raw, 1 LZ4, 2 zstd; only DATA
 *                           frames may be compressed, others must say 0
 *  6      2    stripe       TCP connection ("stripe") the frame was sent on,
 *                           0..TP_FRAME_STRIPE_MAX
 *  8      4    channel      channel id; 0 is the session itself
 *  12     4    payload_len  bytes of payload that follow the header
 *  16     4    raw_len      payload length after decompression; equals
 *                           payload_len unless the payload is compressed
 *  20     8    seq          channel frames (OPEN, DATA, EOF, RESET,
 *                           CREDIT): the sender's sequence number, 1, 2, 3...
 *                           per session and direction, across all stripes;
 *                           the sender keeps the frame for replay until
 *                           acknowledged, and the receiver drops duplicates.
 *                           Session frames (HELLO, PING, PONG, ACK, CLOSE)
 *                           belong to one connection: seq 0.
 *  28     8    ack          highest channel-frame seq up to which the
 *                           sender has received every frame (cumulative
 *                           acknowledgement), valid only when
 *                           TP_FRAME_F_ACK is set, zero otherwise
 *  36     8    chan_prev    channel frames: the seq of the previous frame
 *                           of this channel in this direction, 0 for its
 *                           first; below seq. The receiver delivers a
 *                           channel's frames in this chain's order, each as
 *                           soon as the one before it is delivered, so a
 *                           gap in one channel (a frame lost with its
 *                           stripe, a TCP retransmission) holds back only
 *                           that channel. Session frames: 0.
 *
 * Frame types, payloads and length limits (payload_len)
 * -----------------------------------------------------
 *  type  name     channel  payload_len    payload
 *  1     HELLO    0        80             hello, below
 *  2     OPEN     != 0     9..8+64        u8 priority (0 control, 1 bulk)
 *                                         u8 reserved (0)
 *                                         u16 name_len (1..64, = len - 8)
 *                                         u32 window: credit granted to the
 *                                             peer for this channel
 *                                         name_len bytes of service name
 *  3     DATA     != 0     1..raw_len     channel bytes; raw_len is
 *                                         1..TP_FRAME_RAW_MAX; a compressed
 *                                         payload is shorter than raw_len
 *  4     EOF      != 0     0              half-close: no more DATA follows
 *  5     RESET    != 0     8..8+200       reason, below
 *  6     CREDIT   != 0     4              u32 increment (>= 1) of the
 *                                         window, in raw bytes
 *  7     PING     0        8              u64 opaque, echoed by PONG
 *  8     PONG     0        8              u64 opaque from the PING
 *  9     ACK      0        0              flags must hold TP_FRAME_F_ACK
 *  10    CLOSE    0        8..8+200       reason, below
 *
 * Hello payload (80 bytes). The client speaks first on every connection;
 * the server answers with its own hello.
 *  0  1  min_version   lowest protocol version the sender speaks
 *  1  1  max_version   highest protocol version the sender speaks
 *  2  2  reserved      must be zero
 *  4  4  features      bit 0 LZ4, bit 1 zstd: codecs the sender can decode;
 *                      other bits are reserved and must be zero
 *  8  4  chan_window   initial credit the sender grants per channel
 *  12 4  max_raw       largest DATA raw_len the sender accepts
 *                      (1024..TP_FRAME_RAW_MAX)
 *  16 16 session_id    client: zero to start a new session, else the
 *                      session this connection joins (a further stripe, or
 *                      a resume); server: the session's id, chosen at
 *                      random on its first connection, never zero
 *  32 2  stripe        index of this connection in its session
 *                      (0..TP_FRAME_STRIPE_MAX); 0 on a new session
 *  34 2  reserved      must be zero
 *  36 4  reorder_max   bytes of frames (header and payload) the sender
 *                      holds out of order; the peer keeps at most this
 *                      many unacknowledged (TP_FRAME_LEN_MAX..1 GiB)
 *  40 8  received      highest channel-frame seq the sender delivered
 *                      (0 on a new session): frames up to it are not sent
 *                      again
 *  48 32 proof         zero on a new session; on a join, HMAC-SHA256 keyed
 *                      with the session token (TLS exporter of the
 *                      session's first connection) over the TLS exporter of
 *                      this connection; the server answers with zeros
 *
 * Reason payload (RESET, CLOSE)
 *  0  4  code          positive errno value
 *  4  2  msg_len       0..200, = payload_len - 8
 *  6  2  reserved      must be zero
 *  8  n  msg           UTF-8 text, not NUL-terminated
 */
#ifndef SKYFERRY_TP_FRAME_H
#define SKYFERRY_TP_FRAME_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "transport/tp_error.h"

#define TP_FRAME_MAGIC       0x5346u
#define TP_FRAME_VERSION     2u
#define TP_FRAME_HDR_LEN     44u
#define TP_FRAME_RAW_MAX     (256u * 1024u) /* hard cap on a DATA frame */
#define TP_FRAME_RAW_MIN_MAX 1024u          /* smallest max_raw in a hello */
#define TP_FRAME_NAME_MAX    64u
#define TP_FRAME_REASON_MAX  200u
#define TP_FRAME_HELLO_LEN   80u
#define TP_FRAME_STRIPE_MAX  15u
#define TP_FRAME_REORDER_MAX (1u << 30)
#define TP_FRAME_PROOF_LEN   32u
#define TP_FRAME_OPEN_MIN    9u
#define TP_FRAME_REASON_MIN  8u
#define TP_FRAME_LEN_MAX     (TP_FRAME_HDR_LEN + TP_FRAME_RAW_MAX)

enum tp_frame_type {
	TP_FRAME_HELLO = 1,
	TP_FRAME_OPEN = 2,
	TP_FRAME_DATA = 3,
	TP_FRAME_EOF = 4,
	TP_FRAME_RESET = 5,
	TP_FRAME_CREDIT = 6,
	TP_FRAME_PING = 7,
	TP_FRAME_PONG = 8,
	TP_FRAME_ACK = 9,
	TP_FRAME_CLOSE = 10,
};
#define TP_FRAME_TYPE_MAX TP_FRAME_CLOSE

#define TP_FRAME_F_ACK      0x01u
#define TP_FRAME_F_RESERVED 0xfeu

/* Codec ids on the wire (the codec field). */
#define TP_FRAME_CODEC_RAW  0u
#define TP_FRAME_CODEC_LZ4  1u
#define TP_FRAME_CODEC_ZSTD 2u
#define TP_FRAME_CODEC_MAX  TP_FRAME_CODEC_ZSTD

/* Hello feature bits. */
#define TP_HELLO_F_LZ4   0x1u
#define TP_HELLO_F_ZSTD  0x2u
#define TP_HELLO_F_KNOWN (TP_HELLO_F_LZ4 | TP_HELLO_F_ZSTD)

/* Channel priorities in OPEN. */
#define TP_FRAME_PRIO_CONTROL 0u
#define TP_FRAME_PRIO_BULK    1u

struct tp_frame_hdr {
	uint8_t version;
	uint8_t type;
	uint8_t flags;
	uint8_t codec;
	uint16_t stripe;
	uint32_t channel;
	uint32_t payload_len;
	uint32_t raw_len;
	uint64_t seq;
	uint64_t ack;
	uint64_t chan_prev;
};

struct tp_frame_hello {
	uint8_t min_version;
	uint8_t max_version;
	uint32_t features;
	uint32_t chan_window;
	uint32_t max_raw;
	uint8_t session_id[16];
	uint16_t stripe;
	uint32_t reorder_max;
	uint64_t received;
	uint8_t proof[TP_FRAME_PROOF_LEN];
};

struct tp_frame_open {
	uint8_t priority;
	uint32_t window;
	uint16_t name_len;
	char name[TP_FRAME_NAME_MAX + 1]; /* NUL-terminated copy */
};

/* RESET and CLOSE. */
struct tp_frame_reason {
	uint32_t code;
	uint16_t msg_len;
	char msg[TP_FRAME_REASON_MAX + 1]; /* NUL-terminated copy */
};

/* Name of a frame type, "unknown" for anything else. Never NULL. */
const char *tp_frame_type_name(unsigned int type);

/*
 * Check a header against the rules of the table above (version, type,
 * flags, codec, channel and the per-type length limits). Returns 0, or
 * -EPROTO / -EMSGSIZE with err filled.
 */
int tp_frame_hdr_check(const struct tp_frame_hdr *hdr, struct tp_error *err);

/*
 * Encode hdr into out[TP_FRAME_HDR_LEN]. The header is checked first, so the
 * encoder never emits a frame the decoder would reject: returns 0 or the
 * tp_frame_hdr_check error.
 */
int tp_frame_hdr_encode(const struct tp_frame_hdr *hdr, uint8_t *out,
                        struct tp_error *err);

/*
 * Decode and check the header at buf. Returns 0; -EAGAIN when len is less
 * than TP_FRAME_HDR_LEN (not an error: more bytes are needed); -EPROTO for a
 * bad magic, version, type, flag, codec or channel; -EMSGSIZE for a length
 * outside its limits. Only the header is read, so a caller knows the frame
 * size (TP_FRAME_HDR_LEN + payload_len, at most TP_FRAME_LEN_MAX) before it
 * allocates or reads anything more.
 */
int tp_frame_hdr_decode(struct tp_frame_hdr *hdr, const uint8_t *buf,
                        size_t len, struct tp_error *err);

/*
 * Decode one whole frame at the start of buf. On success returns the frame
 * size (header plus payload) and points *payload into buf. Returns -EAGAIN
 * when buf holds less than one whole frame, or a tp_frame_hdr_decode error.
 */
ssize_t tp_frame_decode(struct tp_frame_hdr *hdr, const uint8_t **payload,
                        const uint8_t *buf, size_t len, struct tp_error *err);

/*
 * Payload encoders write into out (at least the maximum payload size of the
 * type) and return the payload length, or -EINVAL (err filled) for a value
 * outside the table's limits. Decoders take the whole payload and return 0,
 * or -EPROTO / -EMSGSIZE with err filled.
 */
ssize_t tp_frame_hello_encode(const struct tp_frame_hello *hello, uint8_t *out,
                              struct tp_error *err);
int tp_frame_hello_decode(struct tp_frame_hello *hello, const uint8_t *p,
                          size_t len, struct tp_error *err);

ssize_t tp_frame_open_encode(const struct tp_frame_open *open, uint8_t *out,
                             struct tp_error *err);
int tp_frame_open_decode(struct tp_frame_open *open, const uint8_t *p,
                         size_t len, struct tp_error *err);

ssize_t tp_frame_reason_encode(const struct tp_frame_reason *reason,
                               uint8_t *out, struct tp_error *err);
int tp_frame_reason_decode(struct tp_frame_reason *reason, const uint8_t *p,
                           size_t len, struct tp_error *err);

ssize_t tp_frame_credit_encode(uint32_t increment, uint8_t *out,
                               struct tp_error *err);
int tp_frame_credit_decode(uint32_t *increment, const uint8_t *p, size_t len,
                           struct tp_error *err);

/* PING and PONG. */
ssize_t tp_frame_ping_encode(uint64_t opaque, uint8_t *out);
int tp_frame_ping_decode(uint64_t *opaque, const uint8_t *p, size_t len,
                         struct tp_error *err);

/* Big-endian helpers, shared by the transport's encoders. */
static inline void tp_put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void tp_put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void tp_put_u64(uint8_t *p, uint64_t v)
{
	tp_put_u32(p, (uint32_t)(v >> 32));
	tp_put_u32(p + 4, (uint32_t)v);
}

static inline uint16_t tp_get_u16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t tp_get_u32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	       ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static inline uint64_t tp_get_u64(const uint8_t *p)
{
	return ((uint64_t)tp_get_u32(p) << 32) | tp_get_u32(p + 4);
}

#endif
