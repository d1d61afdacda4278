/*
 * libFuzzer target: nc_msg_type and nc_tunnel_req_decode on arbitrary
 * bytes, for both request types. A rejected request must leave a message
 * and an empty id; an accepted one must have that type by nc_msg_type,
 * and must encode again to a request that decodes to the same id.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netcontinuity/netctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const types[] = { "tunnel-teardown", "tunnel-keep" };

static void check_type(const char *buf, size_t len, const char *want)
{
	struct nc_error err = { 0 };
	char id[NC_TUNNEL_ID_HEX], again[NC_TUNNEL_ID_HEX], type[32];
	char *json;
	int rc;

	memset(id, 'x', sizeof(id));
	rc = nc_tunnel_req_decode(buf, len, want, id, &err);
	if (rc < 0) {
		if (id[0] || !err.msg[0] || err.code != rc)
			__builtin_trap();
		return;
	}
	if (rc != 0 || strlen(id) != NC_TUNNEL_ID_HEX - 1 ||
	    strspn(id, "0123456789abcdef") != NC_TUNNEL_ID_HEX - 1)
		__builtin_trap();
	if (nc_msg_type(buf, len, type, sizeof(type)) != 0 ||
	    strcmp(type, want))
		__builtin_trap();
	json = nc_tunnel_req_encode(want, id, &err);
	if (!json ||
	    nc_tunnel_req_decode(json, strlen(json), want, again, &err) != 0 ||
	    strcmp(id, again))
		__builtin_trap();
	free(json);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char type[32];
	size_t i;

	memset(type, 'x', sizeof(type));
	if (nc_msg_type((const char *)data, size, type, sizeof(type)) == 0 &&
	    strnlen(type, sizeof(type)) == sizeof(type))
		__builtin_trap();
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		check_type((const char *)data, size, types[i]);
	return 0;
}
