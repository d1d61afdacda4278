/*
 * libFuzzer target for the WAN emulator's control requests: the request
 * parser, the value parsers and the execution of a request on a state.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "wanem_ctl.h"
#include "wanem_spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[WANEM_ERR_MAX], reply[WANEM_REPLY_MAX], text[64];
	struct wanem_state st;
	struct wanem_req req;
	uint64_t v;
	uint32_t ppb;

	if (wanem_req_parse((const char *)data, size, &req, err, sizeof(err)) ==
	        0 &&
	    req.cmd == WANEM_CMD_SET && req.fields == 0)
		__builtin_trap(); /* a set must set something */
	wanem_state_init(&st, 3, 1);
	wanem_ctl_handle(&st, (const char *)data, size, 5, reply,
	                 sizeof(reply));
	if (!memchr(reply, '\0', sizeof(reply)))
		__builtin_trap();

	/* The raw bytes as one value of every kind. */
	if (size < sizeof(text)) {
		memcpy(text, data, size);
		text[size] = '\0';
		wanem_rate_parse(text, &v, err, sizeof(err));
		wanem_delay_parse(text, &v, err, sizeof(err));
		wanem_loss_parse(text, &ppb, err, sizeof(err));
		wanem_limit_parse(text, &v, err, sizeof(err));
		wanem_cut_parse(text, &v, err, sizeof(err));
		wanem_profile_find(text, err, sizeof(err));
	}
	return 0;
}
