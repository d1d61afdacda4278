/*
 * fuzz_frame.c: libFuzzer target for the frame decoder.
 *
 * Decodes as many frames as the input holds, decodes each payload by type,
 * and checks that every accepted header re-encodes to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "transport/tp_frame.h"

static void fuzz_frame_payload(const struct tp_frame_hdr *hdr, const uint8_t *p)
{
	struct tp_frame_hello hello;
	struct tp_frame_open open;
	struct tp_frame_reason reason;
	uint32_t increment;
	uint64_t opaque;
	struct tp_error err;

	switch (hdr->type) {
	case TP_FRAME_HELLO:
		tp_frame_hello_decode(&hello, p, hdr->payload_len, &err);
		break;
	case TP_FRAME_OPEN:
		if (tp_frame_open_decode(&open, p, hdr->payload_len, &err) ==
		        0 &&
		    strlen(open.name) != open.name_len)
			abort();
		break;
	case TP_FRAME_RESET:
	case TP_FRAME_CLOSE:
		tp_frame_reason_decode(&reason, p, hdr->payload_len, &err);
		break;
	case TP_FRAME_CREDIT:
		tp_frame_credit_decode(&increment, p, hdr->payload_len, &err);
		break;
	case TP_FRAME_PING:
	case TP_FRAME_PONG:
		tp_frame_ping_decode(&opaque, p, hdr->payload_len, &err);
		break;
	default:
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t again[TP_FRAME_HDR_LEN];
	struct tp_frame_hdr hdr;
	const uint8_t *payload;
	struct tp_error err;
	ssize_t n;

	while (size > 0) {
		n = tp_frame_decode(&hdr, &payload, data, size, &err);
		if (n < 0)
			break;
		if ((size_t)n > size || (size_t)n > TP_FRAME_LEN_MAX)
			abort();
		if (tp_frame_hdr_encode(&hdr, again, &err) != 0 ||
		    memcmp(again, data, TP_FRAME_HDR_LEN) != 0)
			abort();
		fuzz_frame_payload(&hdr, payload);
		data += n;
		size -= (size_t)n;
	}
	return 0;
}
