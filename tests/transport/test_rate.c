/*
 * test_rate.c: the bandwidth cap. The token bucket with a fake clock
 * (refill, burst, borrowing, wait), then a capped bulk transfer over
 * loopback whose measured rate must land within 15% of the cap.
 */
#include <poll.h>

#include "tests/transport/tp_testlib.h"
#include "transport/rate.h"

#define MS 1000000ull

Test(transport_rate, no_cap_always_allows)
{
	struct tp_rate r;

	tp_rate_init(&r, 0, 0);
	tp_rate_charge(&r, 1u << 30, 0);
	cr_assert(tp_rate_allows(&r, 0));
	cr_assert_eq(tp_rate_wait_ns(&r, 0), 0);
}

Test(transport_rate, bucket_refill_and_borrow)
{
	struct tp_rate r;

	/* 80 Mbit/s = 10 MB/s: burst 20 ms = 200000 bytes. */
	tp_rate_init(&r, 80000000u, 1000 * MS);
	cr_assert_eq(r.burst, 200000);
	cr_assert(tp_rate_allows(&r, 1000 * MS));
	/* Spend the burst and borrow 100000 more (a control frame). */
	tp_rate_charge(&r, 300000, 1000 * MS);
	cr_assert_not(tp_rate_allows(&r, 1000 * MS));
	/* 100001 bytes at 10 MB/s: 10.0001 ms. */
	cr_assert_eq(tp_rate_wait_ns(&r, 1000 * MS), 10000100);
	cr_assert_not(tp_rate_allows(&r, 1000 * MS + 9 * MS));
	cr_assert(tp_rate_allows(&r, 1000 * MS + 11 * MS));
	/* Idle time refills up to the burst, never beyond. */
	cr_assert(tp_rate_allows(&r, 1500 * MS));
	cr_assert_eq(r.tokens, 200000);
	cr_assert(tp_rate_allows(&r, 5000 * MS));
	cr_assert_eq(r.tokens, 200000);
}

Test(transport_rate, small_cap_keeps_minimum_burst)
{
	struct tp_rate r;

	/* 1 Mbit/s: 20 ms is 2500 bytes, below a frame; burst 128 KiB. */
	tp_rate_init(&r, 1000000u, 0);
	cr_assert_eq(r.burst, 128 << 10);
}

Test(transport_rate, sub_byte_intervals_accumulate)
{
	struct tp_rate r;
	uint64_t t = 0;

	tp_rate_init(&r, 8000000u, 0); /* 1 byte per microsecond */
	tp_rate_charge(&r, (size_t)r.burst + 1000, 0);
	/* 1000 steps of 999 ns earn 999 bytes, not 0. */
	for (int i = 0; i < 1000; i++) {
		t += 999;
		tp_rate_allows(&r, t);
	}
	cr_assert_geq(r.tokens, -2);
	cr_assert_leq(r.tokens, 0);
}

/* The far end of "sink" channels: read and time everything. */
struct sink {
	int fd;
	pthread_t thread;
	size_t bytes;
	uint64_t first_ms, last_ms;
	size_t first_bytes;
};

static struct sink sink;

static void *sink_main(void *arg)
{
	struct sink *s = arg;
	static char buf[65536];
	ssize_t n;

	while ((n = read(s->fd, buf, sizeof(buf))) > 0) {
		if (!s->first_ms) {
			s->first_ms = tt_now_ms();
			s->first_bytes = (size_t)n;
		}
		s->bytes += (size_t)n;
		s->last_ms = tt_now_ms();
	}
	close(s->fd);
	return NULL;
}

static int sink_on_open(void *arg, const char *name, unsigned int priority)
{
	int sv[2];

	(void)arg;
	(void)name;
	(void)priority;
	if (sink.fd > 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -EAGAIN;
	sink.fd = sv[0];
	if (pthread_create(&sink.thread, NULL, sink_main, &sink) != 0) {
		close(sv[0]);
		close(sv[1]);
		sink.fd = 0;
		return -EAGAIN;
	}
	return sv[1];
}

static const char psk_hex[] = "00112233445566778899aabbccddeeff"
                              "00112233445566778899aabbccddeeff";

Test(transport_rate, loopback_bulk_within_cap, .timeout = 20)
{
	const uint64_t cap = 40000000u; /* 40 Mbit/s = 5 MB/s */
	const size_t len = 10u << 20;   /* ~2 s at the cap */
	struct tp_session_conf conf = { 0 };
	struct tp_error err = { 0 };
	struct tt_client cl = { 0 };
	struct pollfd pfd;
	struct tt_server srv;
	struct tp_chan *chan;
	uint8_t *data = malloc(len);
	uint32_t seed = 7;
	size_t off = 0;
	double secs, bps;
	ssize_t n;
	int sv[2];

	cr_assert(data);
	for (size_t i = 0; i < len; i++) {
		seed = seed * 1103515245u + 12345u;
		data[i] = (uint8_t)(seed >> 16);
	}
	conf.tls.psk_identity = "lab";
	conf.tls.psk_hex = psk_hex;
	conf.codec = TP_CODEC_RAW;
	conf.stripes = 2; /* the cap holds across stripes */
	conf.rate_cap_bps = cap;
	conf.on_open = sink_on_open;
	tt_server_start(&srv, &conf);
	cl.session = tp_session_connect(&conf, "127.0.0.1",
	                                tp_listener_port(srv.listener), &err);
	cr_assert(cl.session, "%s", err.msg);
	cr_assert_eq(tp_session_handshake(cl.session, &err), 0, "%s", err.msg);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv),
	             0);
	chan = tp_chan_open(cl.session, "sink", TP_PRIO_BULK, sv[1], &err);
	cr_assert(chan, "%s", err.msg);
	tt_client_start(&cl);
	pfd.fd = sv[0];
	pfd.events = POLLOUT;
	while (off < len) {
		n = write(sv[0], data + off, len - off);
		if (n > 0)
			off += (size_t)n;
		else
			cr_assert_gt(poll(&pfd, 1, 5000), 0, "writer stalled");
	}
	close(sv[0]);
	for (int i = 0; i < 1000 && sink.bytes < len; i++)
		usleep(10000);
	cr_assert_eq(sink.bytes, len);
	/* Measure after the first read: the initial burst is excluded. */
	secs = (double)(sink.last_ms - sink.first_ms) / 1000.0;
	cr_assert_gt(secs, 0.5);
	bps = (double)(sink.bytes - sink.first_bytes) * 8.0 / secs;
	cr_log_info("capped at %.1f Mbit/s: %.1f Mbit/s payload over %.2f s",
	            (double)cap / 1e6, bps / 1e6, secs);
	cr_assert(bps > 0.85 * (double)cap && bps < 1.15 * (double)cap,
	          "rate %.1f Mbit/s, cap %.1f", bps / 1e6, (double)cap / 1e6);
	tt_client_stop(&cl);
	tp_session_free(cl.session);
	tt_server_stop(&srv);
	pthread_join(sink.thread, NULL);
	free(data);
}
