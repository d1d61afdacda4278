/*
 * libFuzzer target for the client probe's parsers. The first byte picks a
 * read size; the rest is fed as the TCP echo stream (cut into reads of that
 * size) and as UDP replies (all of it as one datagram, then each 32-byte
 * slice). The probe has sent records 0..63 at 1000 * seq ns on both; the
 * seeds echo some of them.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "tests/lab/netprobe/netprobe.h"

#define FUZZ_SENT 64
#define FUZZ_NOW  1000000ull

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_tcp(size_t chunk, const uint8_t *data, size_t size)
{
	uint8_t rec[NETPROBE_REC_SIZE];
	struct netprobe_tcp tcp;
	size_t n;
	uint64_t i;

	netprobe_tcp_init(&tcp);
	for (i = 0; i < FUZZ_SENT; i++)
		netprobe_tcp_next(&tcp, i * 1000, rec);
	while (size > 0) {
		n = size < chunk ? size : chunk;
		netprobe_tcp_feed(&tcp, data, n, FUZZ_NOW);
		data += n;
		size -= n;
		if (tcp.part_len >= NETPROBE_REC_SIZE)
			__builtin_trap();
	}
	if (tcp.echoed + tcp.out_of_order + tcp.corrupt != tcp.records ||
	    tcp.echoed + tcp.lost > tcp.sent || tcp.max_rtt_ns > FUZZ_NOW)
		__builtin_trap();
	netprobe_tcp_finish(&tcp, FUZZ_NOW);
}

static void fuzz_udp(const uint8_t *data, size_t size)
{
	static struct netprobe_udp udp;
	uint8_t rec[NETPROBE_REC_SIZE];
	uint64_t i, calls = 0;
	size_t off;

	netprobe_udp_init(&udp, NETPROBE_UDP_TIMEOUT_NS);
	for (i = 0; i < FUZZ_SENT; i++)
		netprobe_udp_next(&udp, i * 1000, rec);
	netprobe_udp_reply(&udp, data, size, FUZZ_NOW);
	calls++;
	for (off = 0; off + NETPROBE_REC_SIZE <= size;
	     off += NETPROBE_REC_SIZE) {
		netprobe_udp_reply(&udp, data + off, NETPROBE_REC_SIZE,
		                   FUZZ_NOW);
		calls++;
	}
	if (udp.received + udp.duplicate + udp.late + udp.bad != calls ||
	    udp.received > udp.sent || udp.rtt.count != udp.received)
		__builtin_trap();
	netprobe_udp_finish(&udp, 2 * NETPROBE_UDP_TIMEOUT_NS);
	if (udp.received + udp.lost != udp.sent || udp.judged != udp.sent ||
	    netprobe_hist_percentile(&udp.rtt, 99) > udp.rtt.max_ns)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	fuzz_tcp(data[0] % 70 + 1, data + 1, size - 1);
	fuzz_udp(data + 1, size - 1);
	return 0;
}
