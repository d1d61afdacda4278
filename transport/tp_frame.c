/*
 * tp_frame.c: encode and decode transport frames (see tp_frame.h).
 *
 * The decoder trusts nothing: every header field is checked against the
 * table in tp_frame.h before the caller reads or allocates a payload.
 */
#include <errno.h>
#include <string.h>

#include "transport/tp_frame.h"

/* Where a frame type may appear, and how long its payload may be. */
struct tp_frame_rule {
	const char *name;
	uint32_t min_len;
	uint32_t max_len;
	unsigned int on_channel : 1; /* channel must be != 0 (else == 0) */
	unsigned int compressible : 1;
};

static const struct tp_frame_rule tp_frame_rules[TP_FRAME_TYPE_MAX + 1] = {
	[TP_FRAME_HELLO] = { "HELLO", TP_FRAME_HELLO_LEN, TP_FRAME_HELLO_LEN, 0,
	                     0 },
	[TP_FRAME_OPEN] = { "OPEN", TP_FRAME_OPEN_MIN, 8 + TP_FRAME_NAME_MAX, 1,
	                    0 },
	[TP_FRAME_DATA] = { "DATA", 1, TP_FRAME_RAW_MAX, 1, 1 },
	[TP_FRAME_EOF] = { "EOF", 0, 0, 1, 0 },
	[TP_FRAME_RESET] = { "RESET", TP_FRAME_REASON_MIN,
	                     TP_FRAME_REASON_MIN + TP_FRAME_REASON_MAX, 1, 0 },
	[TP_FRAME_CREDIT] = { "CREDIT", 4, 4, 1, 0 },
	[TP_FRAME_PING] = { "PING", 8, 8, 0, 0 },
	[TP_FRAME_PONG] = { "PONG", 8, 8, 0, 0 },
	[TP_FRAME_ACK] = { "ACK", 0, 0, 0, 0 },
	[TP_FRAME_CLOSE] = { "CLOSE", TP_FRAME_REASON_MIN,
	                     TP_FRAME_REASON_MIN + TP_FRAME_REASON_MAX, 0, 0 },
};

const char *tp_frame_type_name(unsigned int type)
{
	if (type == 0 || type > TP_FRAME_TYPE_MAX)
		return "unknown";
	return tp_frame_rules[type].name;
}

/* Lengths of a DATA frame: raw_len bounded, payload never above raw_len. */
static int tp_frame_data_check(const struct tp_frame_hdr *hdr,
                               struct tp_error *err)
{
	if (hdr->raw_len < 1 || hdr->raw_len > TP_FRAME_RAW_MAX)
		return tp_error_set(err, -EMSGSIZE,
		                    "DATA frame raw length %u outside 1..%u",
		                    hdr->raw_len, TP_FRAME_RAW_MAX);
	if (hdr->codec == TP_FRAME_CODEC_RAW &&
	    hdr->payload_len != hdr->raw_len)
		return tp_error_set(err, -EMSGSIZE,
		                    "raw DATA frame payload length %u != raw "
		                    "length %u",
		                    hdr->payload_len, hdr->raw_len);
	if (hdr->codec != TP_FRAME_CODEC_RAW &&
	    hdr->payload_len >= hdr->raw_len)
		return tp_error_set(err, -EMSGSIZE,
		                    "compressed DATA frame payload length %u "
		                    "not below raw length %u",
		                    hdr->payload_len, hdr->raw_len);
	return 0;
}

int tp_frame_hdr_check(const struct tp_frame_hdr *hdr, struct tp_error *err)
{
	const struct tp_frame_rule *rule;

	if (hdr->version != TP_FRAME_VERSION)
		return tp_error_set(err, -EPROTO,
		                    "unsupported frame version %u (want %u)",
		                    hdr->version, TP_FRAME_VERSION);
	if (hdr->type == 0 || hdr->type > TP_FRAME_TYPE_MAX)
		return tp_error_set(err, -EPROTO, "unknown frame type %u",
		                    hdr->type);
	rule = &tp_frame_rules[hdr->type];
	if (hdr->flags & TP_FRAME_F_RESERVED)
		return tp_error_set(
		    err, -EPROTO, "%s frame has reserved flag bits 0x%02x set",
		    rule->name, hdr->flags & TP_FRAME_F_RESERVED);
	if (!(hdr->flags & TP_FRAME_F_ACK) && hdr->ack != 0)
		return tp_error_set(err, -EPROTO,
		                    "%s frame has an ack without the ack flag",
		                    rule->name);
	if (hdr->type == TP_FRAME_ACK && !(hdr->flags & TP_FRAME_F_ACK))
		return tp_error_set(err, -EPROTO, "ACK frame without ack flag");
	if (hdr->codec > TP_FRAME_CODEC_MAX)
		return tp_error_set(err, -EPROTO,
		                    "%s frame has unknown codec %u", rule->name,
		                    hdr->codec);
	if (hdr->codec != TP_FRAME_CODEC_RAW && !rule->compressible)
		return tp_error_set(
		    err, -EPROTO, "%s frame may not be compressed", rule->name);
	if (hdr->stripe > TP_FRAME_STRIPE_MAX)
		return tp_error_set(err, -EPROTO, "%s frame on stripe %u, max %u",
		                    rule->name, hdr->stripe,
		                    TP_FRAME_STRIPE_MAX);
	if (rule->on_channel && hdr->channel == 0)
		return tp_error_set(err, -EPROTO, "%s frame on channel 0",
		                    rule->name);
	if (!rule->on_channel && hdr->channel != 0)
		return tp_error_set(err, -EPROTO,
		                    "%s frame on channel %u, must be 0",
		                    rule->name, hdr->channel);
	if (rule->on_channel && (hdr->seq == 0 || hdr->chan_prev >= hdr->seq))
		return tp_error_set(err, -EPROTO,
		                    "%s frame with seq %llu and chan_prev %llu "
		                    "(want 0 <= chan_prev < seq)",
		                    rule->name, (unsigned long long)hdr->seq,
		                    (unsigned long long)hdr->chan_prev);
	if (!rule->on_channel && (hdr->seq != 0 || hdr->chan_prev != 0))
		return tp_error_set(
		    err, -EPROTO,
		    "%s frame with seq %llu and chan_prev %llu, both must be 0",
		    rule->name, (unsigned long long)hdr->seq,
		    (unsigned long long)hdr->chan_prev);
	if (hdr->payload_len < rule->min_len ||
	    hdr->payload_len > rule->max_len)
		return tp_error_set(
		    err, -EMSGSIZE, "%s frame payload length %u outside %u..%u",
		    rule->name, hdr->payload_len, rule->min_len, rule->max_len);
	if (hdr->type == TP_FRAME_DATA)
		return tp_frame_data_check(hdr, err);
	if (hdr->raw_len != hdr->payload_len)
		return tp_error_set(
		    err, -EMSGSIZE,
		    "%s frame raw length %u != payload length %u", rule->name,
		    hdr->raw_len, hdr->payload_len);
	return 0;
}

int tp_frame_hdr_encode(const struct tp_frame_hdr *hdr, uint8_t *out,
                        struct tp_error *err)
{
	int ret;

	ret = tp_frame_hdr_check(hdr, err);
	if (ret < 0)
		return ret;
	tp_put_u16(out + 0, TP_FRAME_MAGIC);
	out[2] = hdr->version;
	out[3] = hdr->type;
	out[4] = hdr->flags;
	out[5] = hdr->codec;
	tp_put_u16(out + 6, hdr->stripe);
	tp_put_u32(out + 8, hdr->channel);
	tp_put_u32(out + 12, hdr->payload_len);
	tp_put_u32(out + 16, hdr->raw_len);
	tp_put_u64(out + 20, hdr->seq);
	tp_put_u64(out + 28, hdr->ack);
	tp_put_u64(out + 36, hdr->chan_prev);
	return 0;
}

int tp_frame_hdr_decode(struct tp_frame_hdr *hdr, const uint8_t *buf,
                        size_t len, struct tp_error *err)
{
	uint16_t magic;

	if (len < TP_FRAME_HDR_LEN)
		return -EAGAIN;
	magic = tp_get_u16(buf);
	if (magic != TP_FRAME_MAGIC)
		return tp_error_set(err, -EPROTO,
		                    "bad frame magic 0x%04x (want 0x%04x)",
		                    magic, TP_FRAME_MAGIC);
	hdr->version = buf[2];
	hdr->type = buf[3];
	hdr->flags = buf[4];
	hdr->codec = buf[5];
	hdr->stripe = tp_get_u16(buf + 6);
	hdr->channel = tp_get_u32(buf + 8);
	hdr->payload_len = tp_get_u32(buf + 12);
	hdr->raw_len = tp_get_u32(buf + 16);
	hdr->seq = tp_get_u64(buf + 20);
	hdr->ack = tp_get_u64(buf + 28);
	hdr->chan_prev = tp_get_u64(buf + 36);
	return tp_frame_hdr_check(hdr, err);
}

ssize_t tp_frame_decode(struct tp_frame_hdr *hdr, const uint8_t **payload,
                        const uint8_t *buf, size_t len, struct tp_error *err)
{
	int ret;

	ret = tp_frame_hdr_decode(hdr, buf, len, err);
	if (ret < 0)
		return ret;
	if (len - TP_FRAME_HDR_LEN < hdr->payload_len)
		return -EAGAIN;
	*payload = buf + TP_FRAME_HDR_LEN;
	return (ssize_t)(TP_FRAME_HDR_LEN + hdr->payload_len);
}

ssize_t tp_frame_hello_encode(const struct tp_frame_hello *hello, uint8_t *out,
                              struct tp_error *err)
{
	if (hello->features & ~TP_HELLO_F_KNOWN)
		return tp_error_set(err, -EINVAL, "unknown hello features");
	if (hello->stripe > TP_FRAME_STRIPE_MAX ||
	    hello->reorder_max < TP_FRAME_LEN_MAX ||
	    hello->reorder_max > TP_FRAME_REORDER_MAX)
		return tp_error_set(err, -EINVAL,
		                    "hello stripe or reorder_max out of range");
	out[0] = hello->min_version;
	out[1] = hello->max_version;
	tp_put_u16(out + 2, 0);
	tp_put_u32(out + 4, hello->features);
	tp_put_u32(out + 8, hello->chan_window);
	tp_put_u32(out + 12, hello->max_raw);
	memcpy(out + 16, hello->session_id, sizeof(hello->session_id));
	tp_put_u16(out + 32, hello->stripe);
	tp_put_u16(out + 34, 0);
	tp_put_u32(out + 36, hello->reorder_max);
	tp_put_u64(out + 40, hello->received);
	memcpy(out + 48, hello->proof, sizeof(hello->proof));
	return TP_FRAME_HELLO_LEN;
}

int tp_frame_hello_decode(struct tp_frame_hello *hello, const uint8_t *p,
                          size_t len, struct tp_error *err)
{
	if (len != TP_FRAME_HELLO_LEN)
		return tp_error_set(err, -EMSGSIZE, "hello length %zu != %u",
		                    len, TP_FRAME_HELLO_LEN);
	if (tp_get_u16(p + 2) != 0 || tp_get_u16(p + 34) != 0)
		return tp_error_set(err, -EPROTO, "hello reserved field set");
	hello->min_version = p[0];
	hello->max_version = p[1];
	hello->features = tp_get_u32(p + 4);
	hello->chan_window = tp_get_u32(p + 8);
	hello->max_raw = tp_get_u32(p + 12);
	memcpy(hello->session_id, p + 16, sizeof(hello->session_id));
	hello->stripe = tp_get_u16(p + 32);
	hello->reorder_max = tp_get_u32(p + 36);
	hello->received = tp_get_u64(p + 40);
	memcpy(hello->proof, p + 48, sizeof(hello->proof));
	if (hello->stripe > TP_FRAME_STRIPE_MAX)
		return tp_error_set(err, -EPROTO, "hello stripe %u above %u",
		                    hello->stripe, TP_FRAME_STRIPE_MAX);
	if (hello->reorder_max < TP_FRAME_LEN_MAX ||
	    hello->reorder_max > TP_FRAME_REORDER_MAX)
		return tp_error_set(err, -EPROTO,
		                    "hello reorder_max %u outside %u..%u",
		                    hello->reorder_max, TP_FRAME_LEN_MAX,
		                    TP_FRAME_REORDER_MAX);
	if (hello->min_version == 0 || hello->min_version > hello->max_version)
		return tp_error_set(err, -EPROTO,
		                    "hello version range %u..%u is empty",
		                    hello->min_version, hello->max_version);
	if (hello->features & ~TP_HELLO_F_KNOWN)
		return tp_error_set(err, -EPROTO,
		                    "hello has reserved feature bits 0x%x",
		                    hello->features & ~TP_HELLO_F_KNOWN);
	if (hello->max_raw < TP_FRAME_RAW_MIN_MAX ||
	    hello->max_raw > TP_FRAME_RAW_MAX)
		return tp_error_set(
		    err, -EPROTO, "hello max_raw %u outside %u..%u",
		    hello->max_raw, TP_FRAME_RAW_MIN_MAX, TP_FRAME_RAW_MAX);
	if (hello->chan_window < hello->max_raw)
		return tp_error_set(err, -EPROTO,
		                    "hello channel window %u below max_raw %u",
		                    hello->chan_window, hello->max_raw);
	return 0;
}

ssize_t tp_frame_open_encode(const struct tp_frame_open *open, uint8_t *out,
                             struct tp_error *err)
{
	if (open->name_len < 1 || open->name_len > TP_FRAME_NAME_MAX)
		return tp_error_set(err, -EINVAL,
		                    "channel name length %u outside 1..%u",
		                    open->name_len, TP_FRAME_NAME_MAX);
	if (open->priority > TP_FRAME_PRIO_BULK)
		return tp_error_set(err, -EINVAL, "bad channel priority %u",
		                    open->priority);
	out[0] = open->priority;
	out[1] = 0;
	tp_put_u16(out + 2, open->name_len);
	tp_put_u32(out + 4, open->window);
	memcpy(out + 8, open->name, open->name_len);
	return 8 + open->name_len;
}

int tp_frame_open_decode(struct tp_frame_open *open, const uint8_t *p,
                         size_t len, struct tp_error *err)
{
	if (len < TP_FRAME_OPEN_MIN || len > 8 + TP_FRAME_NAME_MAX)
		return tp_error_set(
		    err, -EMSGSIZE, "OPEN payload length %zu outside %u..%u",
		    len, TP_FRAME_OPEN_MIN, 8 + TP_FRAME_NAME_MAX);
	if (p[0] > TP_FRAME_PRIO_BULK)
		return tp_error_set(err, -EPROTO, "OPEN has bad priority %u",
		                    p[0]);
	if (p[1] != 0)
		return tp_error_set(err, -EPROTO, "OPEN reserved field set");
	open->priority = p[0];
	open->name_len = tp_get_u16(p + 2);
	open->window = tp_get_u32(p + 4);
	if (open->name_len != len - 8)
		return tp_error_set(err, -EMSGSIZE,
		                    "OPEN name length %u != payload length %zu "
		                    "- 8",
		                    open->name_len, len);
	if (memchr(p + 8, '\0', open->name_len))
		return tp_error_set(err, -EPROTO, "OPEN name holds a NUL");
	memcpy(open->name, p + 8, open->name_len);
	open->name[open->name_len] = '\0';
	return 0;
}

ssize_t tp_frame_reason_encode(const struct tp_frame_reason *reason,
                               uint8_t *out, struct tp_error *err)
{
	if (reason->msg_len > TP_FRAME_REASON_MAX)
		return tp_error_set(err, -EINVAL, "reason length %u above %u",
		                    reason->msg_len, TP_FRAME_REASON_MAX);
	tp_put_u32(out, reason->code);
	tp_put_u16(out + 4, reason->msg_len);
	tp_put_u16(out + 6, 0);
	memcpy(out + 8, reason->msg, reason->msg_len);
	return TP_FRAME_REASON_MIN + reason->msg_len;
}

int tp_frame_reason_decode(struct tp_frame_reason *reason, const uint8_t *p,
                           size_t len, struct tp_error *err)
{
	if (len < TP_FRAME_REASON_MIN ||
	    len > TP_FRAME_REASON_MIN + TP_FRAME_REASON_MAX)
		return tp_error_set(err, -EMSGSIZE,
		                    "reason payload length %zu outside %u..%u",
		                    len, TP_FRAME_REASON_MIN,
		                    TP_FRAME_REASON_MIN + TP_FRAME_REASON_MAX);
	reason->code = tp_get_u32(p);
	reason->msg_len = tp_get_u16(p + 4);
	if (tp_get_u16(p + 6) != 0)
		return tp_error_set(err, -EPROTO, "reason reserved field set");
	if (reason->msg_len != len - TP_FRAME_REASON_MIN)
		return tp_error_set(err, -EMSGSIZE,
		                    "reason length %u != payload length %zu "
		                    "- 8",
		                    reason->msg_len, len);
	memcpy(reason->msg, p + 8, reason->msg_len);
	reason->msg[reason->msg_len] = '\0';
	return 0;
}

ssize_t tp_frame_credit_encode(uint32_t increment, uint8_t *out,
                               struct tp_error *err)
{
	if (increment == 0)
		return tp_error_set(err, -EINVAL, "zero credit increment");
	tp_put_u32(out, increment);
	return 4;
}

int tp_frame_credit_decode(uint32_t *increment, const uint8_t *p, size_t len,
                           struct tp_error *err)
{
	if (len != 4)
		return tp_error_set(err, -EMSGSIZE,
		                    "CREDIT payload length %zu != 4", len);
	*increment = tp_get_u32(p);
	if (*increment == 0)
		return tp_error_set(err, -EPROTO, "zero credit increment");
	return 0;
}

ssize_t tp_frame_ping_encode(uint64_t opaque, uint8_t *out)
{
	tp_put_u64(out, opaque);
	return 8;
}

int tp_frame_ping_decode(uint64_t *opaque, const uint8_t *p, size_t len,
                         struct tp_error *err)
{
	if (len != 8)
		return tp_error_set(err, -EMSGSIZE,
		                    "PING/PONG payload length %zu != 8", len);
	*opaque = tp_get_u64(p);
	return 0;
}
