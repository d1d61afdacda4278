/*
 * libFuzzer target: nc_frame_probe_parse and nc_frame_announce_parse on
 * arbitrary bytes. Only 0, -ENOMSG and -EPROTO may come back; a failure
 * leaves the outputs alone; an accepted probe rebuilds to the same 50
 * header bytes; an accepted announcement names the MAC and IP the frame
 * holds.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "netcontinuity/frame.h"

#define FUZZ_PROBE_HDR 50 /* Ethernet header and probe fields */

static void fuzz_probe(const uint8_t *data, size_t size)
{
	struct nc_probe p, untouched;
	uint8_t rebuilt[NC_FRAME_MAX];
	int rc;

	memset(&p, 0xa5, sizeof(p));
	untouched = p;
	rc = nc_frame_probe_parse(data, size, &p);
	if (rc == -ENOMSG || rc == -EPROTO) {
		if (memcmp(&p, &untouched, sizeof(p)) != 0)
			abort();
		return;
	}
	if (rc != 0 || size < FUZZ_PROBE_HDR || size > NC_FRAME_MAX)
		abort();
	if (nc_frame_probe_build(rebuilt, sizeof(rebuilt), &p) != NC_FRAME_MIN)
		abort();
	if (memcmp(rebuilt, data, FUZZ_PROBE_HDR) != 0)
		abort();
}

static void fuzz_announce(const uint8_t *data, size_t size)
{
	uint8_t mac[6], mac_before[6];
	struct nc_addr ip, ip_before;
	int rc;

	memset(mac, 0xa5, sizeof(mac));
	memset(&ip, 0xa5, sizeof(ip));
	memcpy(mac_before, mac, sizeof(mac));
	ip_before = ip;
	rc = nc_frame_announce_parse(data, size, mac, &ip);
	if (rc == -ENOMSG || rc == -EPROTO) {
		if (memcmp(mac, mac_before, sizeof(mac)) != 0 ||
		    memcmp(&ip, &ip_before, sizeof(ip)) != 0)
			abort();
		return;
	}
	if (rc != 0)
		abort();
	if (ip.family == AF_INET) {
		/* ARP: sender mac at 22, sender ip at 28 = target ip at 38. */
		if (size < 42 || data[12] != 0x08 || data[13] != 0x06 ||
		    memcmp(mac, data + 22, 6) != 0 ||
		    memcmp(ip.bytes, data + 28, 4) != 0 ||
		    memcmp(ip.bytes, data + 38, 4) != 0)
			abort();
	} else if (ip.family == AF_INET6) {
		/* NA: target at 62; the mac is somewhere in the options. */
		if (size < 86 || data[12] != 0x86 || data[13] != 0xdd ||
		    data[54] != 136 || memcmp(ip.bytes, data + 62, 16) != 0 ||
		    !memmem(data + 78, size - 78, mac, 6))
			abort();
	} else {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_probe(data, size);
	fuzz_announce(data, size);
	return 0;
}
