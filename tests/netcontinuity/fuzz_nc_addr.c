/*
 * libFuzzer target: nc_addr_parse, nc_mac_parse and nc_ifname_valid on
 * arbitrary strings. An accepted address or MAC must format and parse back
 * to the same value; a rejected one must leave the output untouched.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "netcontinuity/nc_addr.h"

#define FUZZ_TEXT_MAX 256

static void check_addr(const char *text)
{
	char buf[NC_ADDR_STRLEN], again_buf[NC_ADDR_STRLEN];
	struct nc_addr a, again, untouched;
	size_t i;

	memset(&untouched, 0xa5, sizeof(untouched));
	a = untouched;
	if (nc_addr_parse(text, &a) != 0) {
		if (memcmp(&a, &untouched, sizeof(a)) != 0)
			abort();
		return;
	}
	if (a.family != AF_INET && a.family != AF_INET6)
		abort();
	if (strlen(text) >= NC_ADDR_STRLEN)
		abort();
	for (i = a.family == AF_INET ? 4 : 16; i < sizeof(a.bytes); i++)
		if (a.bytes[i] != 0)
			abort();
	nc_addr_format(&a, buf, sizeof(buf));
	if (buf[0] == '\0')
		abort();
	memset(&again, 0x5a, sizeof(again));
	if (nc_addr_parse(buf, &again) != 0 || !nc_addr_equal(&a, &again) ||
	    memcmp(&a, &again, sizeof(a)) != 0)
		abort();
	/* The canonical form is a fixed point. */
	if (strcmp(nc_addr_format(&again, again_buf, sizeof(again_buf)), buf))
		abort();
}

static void check_mac(const char *text)
{
	uint8_t mac[6], again[6], untouched[6];
	char buf[NC_MAC_STRLEN];

	memset(untouched, 0xa5, sizeof(untouched));
	memcpy(mac, untouched, sizeof(mac));
	if (nc_mac_parse(text, mac) != 0) {
		if (memcmp(mac, untouched, sizeof(mac)) != 0)
			abort();
		return;
	}
	nc_mac_format(mac, buf, sizeof(buf));
	/* Strict: the input is the canonical form but for letter case. */
	if (strlen(buf) != NC_MAC_STRLEN - 1 || strcasecmp(buf, text) != 0)
		abort();
	if (nc_mac_parse(buf, again) != 0 || memcmp(mac, again, 6) != 0)
		abort();
}

static void check_ifname(const char *text)
{
	size_t len, i;

	if (!nc_ifname_valid(text))
		return;
	len = strlen(text);
	if (len < 1 || len >= NC_IFNAME_MAX)
		abort();
	for (i = 0; i < len; i++)
		if (text[i] <= ' ' || text[i] > '~' || strchr("/:%", text[i]))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[FUZZ_TEXT_MAX + 1];

	if (size > FUZZ_TEXT_MAX)
		size = FUZZ_TEXT_MAX;
	memcpy(text, data, size);
	text[size] = '\0';
	check_addr(text);
	check_mac(text);
	check_ifname(text);
	return 0;
}
