/*
 * diskstream_codec.c: the disk stream's wire format (see diskstream.h):
 * field-by-field big-endian encoding, and a strict incremental decoder
 * that checks every field before it trusts or allocates anything.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hypervisor/diskstream_priv.h"

static void put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_u32(uint8_t *p, uint32_t v)
{
	put_u16(p, (uint16_t)(v >> 16));
	put_u16(p + 2, (uint16_t)v);
}

static void put_u64(uint8_t *p, uint64_t v)
{
	put_u32(p, (uint32_t)(v >> 32));
	put_u32(p + 4, (uint32_t)v);
}

static uint16_t get_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)get_u16(p) << 16 | get_u16(p + 2);
}

static uint64_t get_u64(const uint8_t *p)
{
	return (uint64_t)get_u32(p) << 32 | get_u32(p + 4);
}

void hv_dstream_hdr_encode(uint8_t out[HV_DSTREAM_HDR_LEN], uint16_t flags,
                           uint64_t virtual_size)
{
	put_u32(out, HV_DSTREAM_MAGIC);
	put_u16(out + 4, HV_DSTREAM_VERSION);
	put_u16(out + 6, flags);
	put_u64(out + 8, virtual_size);
	put_u64(out + 16, 0);
}

void hv_dstream_rec_encode(uint8_t out[HV_DSTREAM_REC_LEN], uint8_t type,
                           uint32_t length, uint64_t offset)
{
	out[0] = type;
	out[1] = out[2] = out[3] = 0;
	put_u32(out + 4, length);
	put_u64(out + 8, offset);
}

void hv_dstream_decoder_init(struct hv_dstream_decoder *dec)
{
	memset(dec, 0, sizeof(*dec));
	dec->state = HV_DSTREAM_DEC_HEADER;
}

void hv_dstream_decoder_release(struct hv_dstream_decoder *dec)
{
	if (!dec)
		return;
	free(dec->payload);
	dec->payload = NULL;
	dec->payload_cap = 0;
}

/* Latch the decoder's first error and copy it to err. */
static int dec_fail(struct hv_dstream_decoder *dec, struct hv_error *err,
                    int code, const char *what)
{
	dec->state = HV_DSTREAM_DEC_FAILED;
	hv_error_set(&dec->error, code, "disk stream: %s", what);
	return hv_error_set(err, code, "%s", dec->error.msg);
}

static int dec_check_header(struct hv_dstream_decoder *dec,
                            struct hv_dstream_item *item, struct hv_error *err)
{
	const uint8_t *h = dec->hdr;
	uint32_t magic = get_u32(h);
	uint16_t version = get_u16(h + 4), flags = get_u16(h + 6);
	uint64_t size = get_u64(h + 8), reserved = get_u64(h + 16);
	char msg[128];

	if (magic != HV_DSTREAM_MAGIC)
		snprintf(msg, sizeof(msg), "header: bad magic 0x%08" PRIx32,
		         magic);
	else if (version != HV_DSTREAM_VERSION)
		snprintf(msg, sizeof(msg),
		         "header: version %u is not supported (want %u)",
		         version, HV_DSTREAM_VERSION);
	else if (flags & ~HV_DSTREAM_FLAG_DELTA)
		snprintf(msg, sizeof(msg),
		         "header: reserved flags 0x%04x are set", flags);
	else if (size == 0 || size > HV_DSTREAM_SIZE_MAX)
		snprintf(msg, sizeof(msg),
		         "header: virtual_size %" PRIu64 " is not in 1 .. %llu",
		         size, HV_DSTREAM_SIZE_MAX);
	else if (reserved != 0)
		snprintf(msg, sizeof(msg), "header: reserved field is not 0");
	else
		msg[0] = '\0';
	if (msg[0])
		return dec_fail(dec, err, -EPROTO, msg);
	dec->flags = flags;
	dec->virtual_size = size;
	memset(item, 0, sizeof(*item));
	item->type = HV_DSTREAM_ITEM_HEADER;
	item->flags = flags;
	item->virtual_size = size;
	return 1;
}

/* Check an END record: no length, and the DATA count must match. */
static int dec_check_end(struct hv_dstream_decoder *dec, uint32_t length,
                         uint64_t count, char *msg, size_t msglen)
{
	if (length != 0)
		snprintf(msg, msglen, "END length %" PRIu32 " is not 0",
		         length);
	else if (count != dec->data_seen)
		snprintf(msg, msglen,
		         "END counts %" PRIu64 " DATA bytes, the stream "
		         "carried %" PRIu64,
		         count, dec->data_seen);
	else
		return 0;
	return -EPROTO;
}

/* Check a DATA or ZERO record's extent against its limits and the last. */
static int dec_check_extent(struct hv_dstream_decoder *dec, uint8_t type,
                            uint32_t length, uint64_t offset, char *msg,
                            size_t msglen)
{
	uint32_t max = type == HV_DSTREAM_REC_DATA ? HV_DSTREAM_RECORD_MAX
	                                           : HV_DSTREAM_ZERO_MAX;
	const char *name = type == HV_DSTREAM_REC_DATA ? "DATA" : "ZERO";

	if (length == 0 || length > max)
		snprintf(msg, msglen,
		         "%s length %" PRIu32 " is not in 1 .. %" PRIu32, name,
		         length, max);
	else if (offset < dec->last_end)
		snprintf(msg, msglen,
		         "offset %" PRIu64 " goes backwards (last end %" PRIu64
		         ")",
		         offset, dec->last_end);
	else if (offset > dec->virtual_size ||
	         length > dec->virtual_size - offset)
		snprintf(msg, msglen,
		         "extent %" PRIu64 "+%" PRIu32
		         " ends past virtual_size %" PRIu64,
		         offset, length, dec->virtual_size);
	else
		return 0;
	return -EPROTO;
}

/* Ensure the payload buffer holds length (already bounded) bytes. */
static int dec_reserve(struct hv_dstream_decoder *dec, uint32_t length)
{
	uint8_t *p;

	if (dec->payload_cap >= length)
		return 0;
	p = realloc(dec->payload, length);
	if (!p)
		return -ENOMEM;
	dec->payload = p;
	dec->payload_cap = length;
	return 0;
}

/*
 * A record header is complete. Returns 1 with *item for ZERO and END, 0
 * when a DATA payload follows, or a latched error.
 */
static int dec_check_record(struct hv_dstream_decoder *dec,
                            struct hv_dstream_item *item, struct hv_error *err)
{
	const uint8_t *h = dec->hdr;
	uint8_t type = h[0];
	uint32_t length = get_u32(h + 4);
	uint64_t offset = get_u64(h + 8);
	char msg[160], full[200];
	int rc;

	dec->record++;
	if (type < HV_DSTREAM_REC_DATA || type > HV_DSTREAM_REC_END) {
		snprintf(msg, sizeof(msg), "type %u is unknown", type);
		rc = -EPROTO;
	} else if (h[1] || h[2] || h[3]) {
		snprintf(msg, sizeof(msg), "reserved bytes are not 0");
		rc = -EPROTO;
	} else if (type == HV_DSTREAM_REC_END) {
		rc = dec_check_end(dec, length, offset, msg, sizeof(msg));
	} else {
		rc = dec_check_extent(dec, type, length, offset, msg,
		                      sizeof(msg));
	}
	if (rc < 0) {
		snprintf(full, sizeof(full), "record %" PRIu64 ": %s",
		         dec->record, msg);
		return dec_fail(dec, err, rc, full);
	}
	memset(item, 0, sizeof(*item));
	if (type == HV_DSTREAM_REC_END) {
		dec->state = HV_DSTREAM_DEC_DONE;
		item->type = HV_DSTREAM_ITEM_END;
		item->data_bytes = offset;
		return 1;
	}
	dec->last_end = offset + length;
	if (type == HV_DSTREAM_REC_ZERO) {
		item->type = HV_DSTREAM_ITEM_ZERO;
		item->offset = offset;
		item->length = length;
		return 1;
	}
	dec->state = HV_DSTREAM_DEC_PAYLOAD;
	dec->payload_len = length;
	dec->payload_have = 0;
	dec->payload_offset = offset;
	return 0;
}

/*
 * Collect a DATA payload. When buf holds all of it, item->data points into
 * buf; otherwise the bytes are gathered in the decoder's own buffer.
 */
static int dec_payload(struct hv_dstream_decoder *dec, const uint8_t *buf,
                       size_t len, size_t *took, struct hv_dstream_item *item,
                       struct hv_error *err)
{
	uint32_t missing = dec->payload_len - dec->payload_have;
	const uint8_t *data;

	if (dec->payload_have == 0 && len >= missing) {
		data = buf;
		*took = missing;
	} else {
		if (dec_reserve(dec, dec->payload_len) < 0)
			return dec_fail(dec, err, -ENOMEM,
			                "no memory for a DATA payload");
		*took = len < missing ? len : missing;
		memcpy(dec->payload + dec->payload_have, buf, *took);
		dec->payload_have += (uint32_t)*took;
		if (dec->payload_have < dec->payload_len)
			return 0;
		data = dec->payload;
	}
	dec->data_seen += dec->payload_len;
	dec->state = HV_DSTREAM_DEC_RECORD;
	memset(item, 0, sizeof(*item));
	item->type = HV_DSTREAM_ITEM_DATA;
	item->offset = dec->payload_offset;
	item->length = dec->payload_len;
	item->data = data;
	return 1;
}

/* Gather a stream or record header; check it once it is complete. */
static int dec_header(struct hv_dstream_decoder *dec, const uint8_t *buf,
                      size_t len, size_t *took, struct hv_dstream_item *item,
                      struct hv_error *err)
{
	bool stream = dec->state == HV_DSTREAM_DEC_HEADER;
	size_t full = stream ? HV_DSTREAM_HDR_LEN : HV_DSTREAM_REC_LEN;
	size_t missing = full - dec->hdr_have;
	int rc;

	*took = len < missing ? len : missing;
	memcpy(dec->hdr + dec->hdr_have, buf, *took);
	dec->hdr_have += *took;
	if (dec->hdr_have < full)
		return 0;
	dec->hdr_have = 0;
	if (!stream)
		return dec_check_record(dec, item, err);
	rc = dec_check_header(dec, item, err);
	if (rc > 0)
		dec->state = HV_DSTREAM_DEC_RECORD;
	return rc;
}

int hv_dstream_decoder_feed(struct hv_dstream_decoder *dec, const void *buf,
                            size_t len, size_t *used,
                            struct hv_dstream_item *item, struct hv_error *err)
{
	const uint8_t *p = buf;
	size_t pos = 0, took = 0;
	char msg[96];
	int rc = 0;

	*used = 0;
	if (dec->state == HV_DSTREAM_DEC_FAILED)
		return hv_error_set(err, dec->error.code, "%s", dec->error.msg);
	while (pos < len && rc == 0) {
		switch (dec->state) {
		case HV_DSTREAM_DEC_HEADER:
		case HV_DSTREAM_DEC_RECORD:
			rc = dec_header(dec, p + pos, len - pos, &took, item,
			                err);
			break;
		case HV_DSTREAM_DEC_PAYLOAD:
			rc = dec_payload(dec, p + pos, len - pos, &took, item,
			                 err);
			break;
		default:
			snprintf(msg, sizeof(msg), "%zu bytes after END",
			         len - pos);
			return dec_fail(dec, err, -EPROTO, msg);
		}
		if (rc < 0)
			return rc;
		pos += took;
	}
	*used = pos;
	return rc;
}

size_t hv_dstream_decoder_want(const struct hv_dstream_decoder *dec)
{
	switch (dec->state) {
	case HV_DSTREAM_DEC_HEADER:
		return HV_DSTREAM_HDR_LEN - dec->hdr_have;
	case HV_DSTREAM_DEC_RECORD:
		return HV_DSTREAM_REC_LEN - dec->hdr_have;
	case HV_DSTREAM_DEC_PAYLOAD:
		return dec->payload_len - dec->payload_have;
	default:
		return 0;
	}
}

int hv_dstream_decoder_finish(struct hv_dstream_decoder *dec,
                              struct hv_error *err)
{
	char msg[128];

	switch (dec->state) {
	case HV_DSTREAM_DEC_DONE:
		return 0;
	case HV_DSTREAM_DEC_FAILED:
		return hv_error_set(err, dec->error.code, "%s", dec->error.msg);
	case HV_DSTREAM_DEC_HEADER:
		snprintf(msg, sizeof(msg),
		         "truncated in the header (%zu of %d bytes)",
		         dec->hdr_have, HV_DSTREAM_HDR_LEN);
		break;
	case HV_DSTREAM_DEC_RECORD:
		snprintf(msg, sizeof(msg),
		         "record %" PRIu64 ": truncated before END (%zu of %d "
		         "header bytes)",
		         dec->record + 1, dec->hdr_have, HV_DSTREAM_REC_LEN);
		break;
	default:
		snprintf(msg, sizeof(msg),
		         "record %" PRIu64 ": truncated DATA payload (%" PRIu32
		         " of %" PRIu32 " bytes)",
		         dec->record, dec->payload_have, dec->payload_len);
		break;
	}
	return dec_fail(dec, err, -EPROTO, msg);
}
