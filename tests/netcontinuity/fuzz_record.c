/*
 * libFuzzer target: nc_record_decode on arbitrary bytes. A rejected input
 * must leave a message and a zeroed record; an accepted one must encode
 * again, and that encoding must decode to the same record.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netcontinuity/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Large: kept off the stack. libFuzzer runs one input at a time. */
static struct nc_record first, again;
static const struct nc_record zero;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nc_error err = { 0 };
	char *json;

	memset(&first, 0, sizeof(first));
	memset(&again, 0, sizeof(again));
	if (nc_record_decode((const char *)data, size, &first, &err) < 0) {
		if (!err.msg[0] || err.code >= 0 ||
		    memcmp(&first, &zero, sizeof(first)))
			__builtin_trap();
		return 0;
	}
	json = nc_record_encode(&first, &err);
	if (!json || nc_record_decode(json, strlen(json), &again, &err) < 0 ||
	    memcmp(&first, &again, sizeof(first)))
		__builtin_trap();
	free(json);
	return 0;
}
