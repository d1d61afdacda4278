/*
 * libFuzzer target: the disk stream decoder, no NBD. The first input byte
 * picks how the rest is cut into feeds. Every item must be consistent
 * (ascending, inside the disk, END counting the DATA bytes), and a stream
 * the decoder accepts must encode again to exactly the input: no field
 * may be ignored.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hypervisor/diskstream_priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The accepted stream, encoded again from the items. */
static uint8_t again[1 << 20];
static size_t again_len;

static void put(const void *p, size_t len)
{
	if (again_len + len > sizeof(again)) {
		again_len = sizeof(again) + 1; /* too long to compare: skip */
		return;
	}
	memcpy(again + again_len, p, len);
	again_len += len;
}

/* Check one item against what came before; encode it into again. */
static void check_item(const struct hv_dstream_item *item, uint64_t *size,
                       uint64_t *last_end, uint64_t *data_bytes)
{
	uint8_t h[HV_DSTREAM_HDR_LEN];

	switch (item->type) {
	case HV_DSTREAM_ITEM_HEADER:
		if (*size || !item->virtual_size ||
		    item->virtual_size > HV_DSTREAM_SIZE_MAX)
			__builtin_trap();
		*size = item->virtual_size;
		hv_dstream_hdr_encode(h, item->flags, item->virtual_size);
		put(h, HV_DSTREAM_HDR_LEN);
		return;
	case HV_DSTREAM_ITEM_END:
		if (item->data_bytes != *data_bytes)
			__builtin_trap();
		hv_dstream_rec_encode(h, HV_DSTREAM_REC_END, 0,
		                      item->data_bytes);
		put(h, HV_DSTREAM_REC_LEN);
		return;
	default:
		break;
	}
	if (!*size || item->length == 0 || item->offset < *last_end ||
	    item->offset + item->length > *size)
		__builtin_trap();
	*last_end = item->offset + item->length;
	if (item->type == HV_DSTREAM_ITEM_ZERO) {
		hv_dstream_rec_encode(h, HV_DSTREAM_REC_ZERO, item->length,
		                      item->offset);
		put(h, HV_DSTREAM_REC_LEN);
		return;
	}
	if (item->length > HV_DSTREAM_RECORD_MAX)
		__builtin_trap();
	*data_bytes += item->length;
	hv_dstream_rec_encode(h, HV_DSTREAM_REC_DATA, item->length,
	                      item->offset);
	put(h, HV_DSTREAM_REC_LEN);
	put(item->data, item->length);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hv_dstream_decoder dec;
	struct hv_dstream_item item;
	struct hv_error err = { 0 };
	uint64_t vsize = 0, last_end = 0, data_bytes = 0;
	size_t chunk, pos = 1, len, used;
	int rc = 0;

	if (size < 1)
		return 0;
	chunk = data[0] ? data[0] : size;
	again_len = 0;
	hv_dstream_decoder_init(&dec);
	while (pos < size) {
		len = size - pos < chunk ? size - pos : chunk;
		rc = hv_dstream_decoder_feed(&dec, data + pos, len, &used,
		                             &item, &err);
		if (rc < 0)
			break;
		if (used > len || (rc == 0 && used != len))
			__builtin_trap();
		pos += used;
		if (rc == 1)
			check_item(&item, &vsize, &last_end, &data_bytes);
	}
	if (rc >= 0)
		rc = hv_dstream_decoder_finish(&dec, &err);
	if (rc < 0 && (!err.msg[0] || err.code != rc))
		__builtin_trap();
	if (rc == 0 && again_len <= sizeof(again) &&
	    (again_len != size - 1 || memcmp(again, data + 1, again_len)))
		__builtin_trap();
	hv_dstream_decoder_release(&dec);
	return 0;
}
