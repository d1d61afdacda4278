/*
 * test_tapchan.c: the encrypted mode's frame pump. The header and the
 * stream parser are driven directly; the pump is driven through a fake TAP
 * (a SOCK_SEQPACKET pair: one read, one frame) with the stream end in the
 * test's hand, and end to end between two real TAP devices in a private
 * network namespace: tap A <-> pump1 <-> socketpair <-> pump2 <-> tap B.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "netcontinuity/tapchan.h"
#include "netcontinuity/tapchan_priv.h"

#define ETH_P_SKYFERRY_TEST 0x88b5 /* IEEE local experimental */
#define ETH_MAX             1514
#define RX_CAP              (NC_TAPCHAN_FRAME_MAX + 2)

static const uint8_t mac_a[6] = { 0x02, 0x00, 0x5f, 0x00, 0x00, 0x0a };
static const uint8_t mac_b[6] = { 0x02, 0x00, 0x5f, 0x00, 0x00, 0x0b };

static void sigpipe_default(void)
{
	sigset_t set;

	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

TestSuite(nc_tapchan, .init = sigpipe_default, .timeout = 60);

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint32_t rng_next(uint32_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 17;
	*state ^= *state << 5;
	return *state;
}

/* An Ethernet frame of len (>= 14) bytes whose payload starts with seq. */
static void frame_make(uint8_t *buf, size_t len, uint32_t seq,
                       const uint8_t dst[6], const uint8_t src[6])
{
	uint32_t fill = seq * 2654435761u + 1;
	uint8_t head[18];
	size_t i;

	cr_assert_geq(len, 14);
	memcpy(head, dst, 6);
	memcpy(head + 6, src, 6);
	head[12] = ETH_P_SKYFERRY_TEST >> 8;
	head[13] = ETH_P_SKYFERRY_TEST & 0xff;
	head[14] = (uint8_t)(seq >> 24);
	head[15] = (uint8_t)(seq >> 16);
	head[16] = (uint8_t)(seq >> 8);
	head[17] = (uint8_t)seq;
	memcpy(buf, head, len < sizeof(head) ? len : sizeof(head));
	for (i = sizeof(head); i < len; i++)
		buf[i] = (uint8_t)(rng_next(&fill) >> 7);
}

static uint32_t frame_seq(const uint8_t *buf)
{
	return (uint32_t)buf[14] << 24 | (uint32_t)buf[15] << 16 |
	       (uint32_t)buf[16] << 8 | buf[17];
}

static void write_full(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		cr_assert_gt(n, 0, "write: %s", strerror(errno));
		p += n;
		len -= (size_t)n;
	}
}

/* Read exactly len bytes within 5 s. */
static void read_full(int fd, void *buf, size_t len)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint8_t *p = buf;
	ssize_t n;

	while (len > 0) {
		cr_assert_eq(poll(&pfd, 1, 5000), 1, "read timed out");
		n = read(fd, p, len);
		if (n < 0 && errno == EAGAIN)
			continue;
		cr_assert_gt(n, 0, "read: %s", n ? strerror(errno) : "EOF");
		p += n;
		len -= (size_t)n;
	}
}

/* One frame off the stream, header first; its length. */
static size_t stream_get(int fd, uint8_t *frame)
{
	uint8_t hdr[NC_TAPCHAN_HDR];
	size_t len;

	read_full(fd, hdr, sizeof(hdr));
	cr_assert_eq(nc_tapchan_hdr_decode(hdr, &len), 0);
	read_full(fd, frame, len);
	return len;
}

static void stream_put(int fd, const uint8_t *frame, size_t len)
{
	uint8_t hdr[NC_TAPCHAN_HDR];

	cr_assert_eq(nc_tapchan_hdr_encode(hdr, len), 0);
	write_full(fd, hdr, sizeof(hdr));
	write_full(fd, frame, len);
}

/* One message (frame) within timeout_ms; -1 on timeout. */
static ssize_t msg_get(int fd, uint8_t *buf, size_t cap, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	if (poll(&pfd, 1, timeout_ms) != 1)
		return -1;
	return read(fd, buf, cap);
}

static bool wait_ended(struct nc_tapchan *tc, struct nc_error *err)
{
	double until = now_s() + 5;

	while (now_s() < until) {
		if (nc_tapchan_ended(tc, err))
			return true;
		usleep(1000);
	}
	return false;
}

/* Wait until the pump has handled this many frames each way. */
static void wait_handled(struct nc_tapchan *tc, uint64_t to_stream,
                         uint64_t to_tap, struct nc_tapchan_stats *st)
{
	double until = now_s() + 5;

	do {
		nc_tapchan_stats(tc, st);
		if (st->to_stream_frames + st->dropped_to_stream >= to_stream &&
		    st->to_tap_frames + st->dropped_to_tap >= to_tap)
			return;
		usleep(1000);
	} while (now_s() < until);
	cr_assert_fail(
	    "the pump handled %llu/%llu frames to the stream and "
	    "%llu/%llu to the TAP",
	    (unsigned long long)(st->to_stream_frames + st->dropped_to_stream),
	    (unsigned long long)to_stream,
	    (unsigned long long)(st->to_tap_frames + st->dropped_to_tap),
	    (unsigned long long)to_tap);
}

/* ---- header -------------------------------------------------------- */

Test(nc_tapchan, hdr_golden)
{
	static const struct {
		size_t len;
		uint8_t hdr[2]; /* big-endian length */
	} cases[] = {
		{ 14, { 0x00, 0x0e } },    /* a bare Ethernet header */
		{ 60, { 0x00, 0x3c } },    /* the minimum frame */
		{ 1514, { 0x05, 0xea } },  /* MTU 1500 */
		{ 9014, { 0x23, 0x36 } },  /* jumbo */
		{ 65535, { 0xff, 0xff } }, /* NC_TAPCHAN_FRAME_MAX */
	};
	uint8_t hdr[NC_TAPCHAN_HDR];
	size_t i, len;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(hdr, 0xa5, sizeof(hdr));
		cr_assert_eq(nc_tapchan_hdr_encode(hdr, cases[i].len), 0);
		cr_assert_arr_eq(hdr, cases[i].hdr, 2, "len %zu", cases[i].len);
		len = 0;
		cr_assert_eq(nc_tapchan_hdr_decode(cases[i].hdr, &len), 0);
		cr_assert_eq(len, cases[i].len);
	}
}

Test(nc_tapchan, hdr_bounds)
{
	static const uint8_t bad[][2] = {
		{ 0x00, 0x00 },
		{ 0x00, 0x01 },
		{ 0x00, 0x09 },
		{ 0x00, 0x0d },
	};
	uint8_t hdr[NC_TAPCHAN_HDR] = { 0xa5, 0xa5 };
	size_t i, len;

	cr_assert_eq(nc_tapchan_hdr_encode(hdr, 0), -EINVAL);
	cr_assert_eq(nc_tapchan_hdr_encode(hdr, 13), -EINVAL);
	cr_assert_eq(nc_tapchan_hdr_encode(hdr, NC_TAPCHAN_FRAME_MAX + 1),
	             -EINVAL);
	cr_assert_eq(nc_tapchan_hdr_encode(hdr, (size_t)-1), -EINVAL);
	cr_assert(hdr[0] == 0xa5 && hdr[1] == 0xa5, "a refusal wrote");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		len = 777;
		cr_assert_eq(nc_tapchan_hdr_decode(bad[i], &len), -EPROTO);
		cr_assert_eq(len, 777, "a refusal wrote *len");
	}
}

/* ---- stream parser ------------------------------------------------- */

struct rx_log {
	unsigned int frames;
	size_t bytes;
	uint8_t data[3 * RX_CAP]; /* every frame, back to back */
	unsigned int fail_at;     /* return -EIO for this frame (1-based) */
};

static int rx_log_frame(void *arg, const uint8_t *frame, size_t len)
{
	struct rx_log *log = arg;

	cr_assert_leq(log->bytes + len, sizeof(log->data));
	memcpy(log->data + log->bytes, frame, len);
	log->bytes += len;
	log->frames++;
	return log->frames == log->fail_at ? -EIO : 0;
}

/* A stream of frames of these lengths; the frames alone in *frames. */
static size_t stream_make(uint8_t *stream, uint8_t *frames, const size_t *lens,
                          size_t n)
{
	size_t i, pos = 0, fpos = 0;

	for (i = 0; i < n; i++) {
		cr_assert_eq(nc_tapchan_hdr_encode(stream + pos, lens[i]), 0);
		frame_make(stream + pos + NC_TAPCHAN_HDR, lens[i], (uint32_t)i,
		           mac_b, mac_a);
		memcpy(frames + fpos, stream + pos + NC_TAPCHAN_HDR, lens[i]);
		pos += NC_TAPCHAN_HDR + lens[i];
		fpos += lens[i];
	}
	return pos;
}

Test(nc_tapchan, rx_golden_bytes)
{
	/* Two frames of 14 and 15 bytes, pinned byte by byte. */
	static const uint8_t stream[] = {
		0x00, 0x0e,                         /* length 14 */
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* dst */
		0x02, 0x00, 0x00, 0x00, 0x00, 0x01, /* src */
		0x88, 0xb5,                         /* type */
		0x00, 0x0f,                         /* length 15 */
		0x02, 0x00, 0x00, 0x00, 0x00, 0x02, /* dst */
		0x02, 0x00, 0x00, 0x00, 0x00, 0x01, /* src */
		0x08, 0x00,                         /* type */
		0x45,                               /* one payload byte */
	};
	static struct rx_log log;
	static struct nc_tapchan_rx rx;
	struct nc_error err = { 0 };

	nc_tapchan_rx_init(&rx, rx_log_frame, &log);
	cr_assert_eq(nc_tapchan_rx_feed(&rx, stream, sizeof(stream), &err), 0);
	cr_assert_eq(log.frames, 2);
	cr_assert_eq(log.bytes, 29);
	cr_assert_arr_eq(log.data, stream + 2, 14);
	cr_assert_arr_eq(log.data + 14, stream + 18, 15);
	cr_assert_eq(rx.held, 0);
}

Test(nc_tapchan, rx_split_everywhere)
{
	static const size_t lens[] = { 14, 60, 1514, 61 };
	static uint8_t stream[4 * (NC_TAPCHAN_HDR + 1514)];
	static uint8_t frames[4 * 1514];
	static struct rx_log log;
	static struct nc_tapchan_rx rx;
	struct nc_error err = { 0 };
	size_t len, cut, i, done;
	unsigned int frames_seen = 0;

	len = stream_make(stream, frames, lens, 4);
	/* Two feeds, cut at every position (and 0, and len). */
	for (cut = 0; cut <= len; cut++) {
		memset(&log, 0, sizeof(log));
		nc_tapchan_rx_init(&rx, rx_log_frame, &log);
		cr_assert_eq(nc_tapchan_rx_feed(&rx, stream, cut, &err), 0);
		cr_assert_eq(
		    nc_tapchan_rx_feed(&rx, stream + cut, len - cut, &err), 0);
		cr_assert_eq(log.frames, 4, "cut at %zu", cut);
		cr_assert_eq(log.bytes, 14 + 60 + 1514 + 61);
		cr_assert_arr_eq(log.data, frames, log.bytes, "cut at %zu",
		                 cut);
		cr_assert_eq(rx.held, 0);
	}
	/* One byte at a time. */
	memset(&log, 0, sizeof(log));
	nc_tapchan_rx_init(&rx, rx_log_frame, &log);
	for (i = 0, done = 0; i < len; i++) {
		cr_assert_eq(nc_tapchan_rx_feed(&rx, stream + i, 1, &err), 0);
		/* A frame is delivered with its last byte, not before. */
		if (log.frames > frames_seen)
			done += NC_TAPCHAN_HDR + lens[frames_seen++];
		cr_assert_eq(log.frames, frames_seen);
		cr_assert_eq(rx.held, i + 1 - done, "byte %zu", i);
	}
	cr_assert_eq(log.frames, 4);
	cr_assert_arr_eq(log.data, frames, log.bytes);
}

Test(nc_tapchan, rx_max_frame)
{
	static uint8_t stream[NC_TAPCHAN_HDR + NC_TAPCHAN_FRAME_MAX + 1];
	static struct rx_log log;
	static struct nc_tapchan_rx rx;
	struct nc_error err = { 0 };
	size_t pos, chunk;

	cr_assert_eq(nc_tapchan_hdr_encode(stream, NC_TAPCHAN_FRAME_MAX), 0);
	frame_make(stream + 2, NC_TAPCHAN_FRAME_MAX, 7, mac_b, mac_a);
	/* One byte of the next header follows: held, not delivered. */
	stream[sizeof(stream) - 1] = 0x00;
	nc_tapchan_rx_init(&rx, rx_log_frame, &log);
	for (pos = 0, chunk = 1; pos < sizeof(stream); pos += chunk) {
		chunk = chunk * 3 + 1;
		if (chunk > sizeof(stream) - pos)
			chunk = sizeof(stream) - pos;
		cr_assert_eq(nc_tapchan_rx_feed(&rx, stream + pos, chunk, &err),
		             0);
	}
	cr_assert_eq(log.frames, 1);
	cr_assert_eq(log.bytes, NC_TAPCHAN_FRAME_MAX);
	cr_assert_arr_eq(log.data, stream + 2, NC_TAPCHAN_FRAME_MAX);
	cr_assert_eq(rx.held, 1);
}

Test(nc_tapchan, rx_bad_lengths)
{
	static const struct {
		uint8_t hdr[2];
		const char *msg;
	} cases[] = {
		{ { 0x00, 0x09 },
		  "tapchan: frame length 9 from the peer is below 14: "
		  "closing" },
		{ { 0x00, 0x00 },
		  "tapchan: frame length 0 from the peer is below 14: "
		  "closing" },
		{ { 0x00, 0x0d },
		  "tapchan: frame length 13 from the peer is below 14: "
		  "closing" },
	};
	static uint8_t stream[NC_TAPCHAN_HDR + 60 + NC_TAPCHAN_HDR];
	static struct rx_log log;
	static struct nc_tapchan_rx rx;
	static const size_t splits[] = { 0, 1, 31, 62, 63 };
	struct nc_error err;
	size_t i, j, split;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* A good frame, then the bad header, fed whole or split. */
		for (j = 0; j < sizeof(splits) / sizeof(splits[0]); j++) {
			split = splits[j];
			memset(&log, 0, sizeof(log));
			memset(&err, 0, sizeof(err));
			nc_tapchan_hdr_encode(stream, 60);
			frame_make(stream + 2, 60, 1, mac_b, mac_a);
			memcpy(stream + 62, cases[i].hdr, 2);
			nc_tapchan_rx_init(&rx, rx_log_frame, &log);
			if (split)
				cr_assert_eq(nc_tapchan_rx_feed(&rx, stream,
				                                split, &err),
				             0);
			cr_assert_eq(nc_tapchan_rx_feed(&rx, stream + split,
			                                sizeof(stream) - split,
			                                &err),
			             -EPROTO);
			cr_assert_eq(err.code, -EPROTO);
			cr_assert_str_eq(err.msg, cases[i].msg);
			cr_assert_eq(log.frames, 1, "the good frame first");
			/* Latched: a later good frame is not delivered. */
			cr_assert_eq(nc_tapchan_rx_feed(&rx, stream, 62, &err),
			             -EPROTO);
			cr_assert_eq(log.frames, 1);
		}
	}
	/* The header split across two feeds, byte by byte. */
	memset(&log, 0, sizeof(log));
	nc_tapchan_rx_init(&rx, rx_log_frame, &log);
	cr_assert_eq(nc_tapchan_rx_feed(&rx, cases[0].hdr, 1, &err), 0);
	cr_assert_eq(nc_tapchan_rx_feed(&rx, cases[0].hdr + 1, 1, &err),
	             -EPROTO);
	cr_assert_str_eq(err.msg, cases[0].msg);
}

Test(nc_tapchan, rx_callback_error_stops)
{
	static const size_t lens[] = { 20, 30, 40 };
	static uint8_t stream[3 * (NC_TAPCHAN_HDR + 40)];
	static uint8_t frames[3 * 40];
	static struct rx_log log;
	static struct nc_tapchan_rx rx;
	struct nc_error err = { 0 };
	size_t len;

	len = stream_make(stream, frames, lens, 3);
	log.fail_at = 2;
	nc_tapchan_rx_init(&rx, rx_log_frame, &log);
	cr_assert_eq(nc_tapchan_rx_feed(&rx, stream, len, &err), -EIO);
	cr_assert_eq(log.frames, 2);
	cr_assert_eq(nc_tapchan_rx_feed(&rx, stream, len, &err), -EIO);
	cr_assert_eq(log.frames, 2, "the error is latched");
}

/* ---- the pump, with a fake TAP ------------------------------------- */

struct fake {
	int tap;    /* the test's end of the fake TAP */
	int stream; /* the test's end of the stream */
	struct nc_tapchan *tc;
};

static void fake_start(struct fake *f)
{
	struct nc_error err = { 0 };
	int tap[2], stream[2];

	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, tap),
	             0);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, stream),
	             0);
	f->tap = tap[1];
	f->stream = stream[1];
	f->tc = nc_tapchan_start(tap[0], stream[0], &err);
	cr_assert_not_null(f->tc, "%s", err.msg);
}

static void fake_stop(struct fake *f)
{
	nc_tapchan_stop(f->tc);
	if (f->tap >= 0)
		close(f->tap);
	if (f->stream >= 0)
		close(f->stream);
}

Test(nc_tapchan, pump_stream_to_tap)
{
	static uint8_t stream[16 * (NC_TAPCHAN_HDR + 1514)];
	static uint8_t frames[16 * 1514], got[RX_CAP];
	size_t lens[16], len, i, fpos, total = 0;
	struct nc_tapchan_stats st;
	struct fake f;
	ssize_t n;
	int round;

	for (i = 0; i < 16; i++) {
		lens[i] = 14 + (i * 397) % 1501;
		total += lens[i];
	}
	len = stream_make(stream, frames, lens, 16);
	fake_start(&f);
	/* Round 0: one write; round 1: one byte per write. */
	for (round = 0; round < 2; round++) {
		if (round == 0) {
			write_full(f.stream, stream, len);
		} else {
			for (i = 0; i < len; i++)
				write_full(f.stream, stream + i, 1);
		}
		for (i = 0, fpos = 0; i < 16; fpos += lens[i], i++) {
			n = msg_get(f.tap, got, sizeof(got), 5000);
			cr_assert_eq(n, (ssize_t)lens[i], "frame %zu: %zd", i,
			             n);
			cr_assert_arr_eq(got, frames + fpos, lens[i]);
		}
	}
	wait_handled(f.tc, 0, 32, &st);
	cr_assert_eq(st.to_tap_frames, 32);
	cr_assert_eq(st.to_tap_bytes, 2 * total);
	cr_assert_eq(st.dropped_to_tap, 0);
	cr_assert_eq(st.to_stream_frames, 0);
	cr_assert_not(nc_tapchan_ended(f.tc, NULL));
	fake_stop(&f);
}

Test(nc_tapchan, pump_tap_to_stream)
{
	static uint8_t frame[ETH_MAX], got[RX_CAP];
	struct nc_tapchan_stats st;
	uint64_t bytes = 0;
	struct fake f;
	uint32_t rng = 12345;
	size_t len;
	uint32_t i;

	fake_start(&f);
	for (i = 0; i < 300; i++) {
		len = 60 + rng_next(&rng) % (ETH_MAX - 60 + 1);
		frame_make(frame, len, i, mac_b, mac_a);
		write_full(f.tap, frame, len);
		cr_assert_eq(stream_get(f.stream, got), len, "frame %u", i);
		cr_assert_arr_eq(got, frame, len, "frame %u", i);
		bytes += len;
	}
	nc_tapchan_stats(f.tc, &st);
	cr_assert_eq(st.to_stream_frames, 300);
	cr_assert_eq(st.to_stream_bytes, bytes);
	cr_assert_eq(st.dropped_to_stream, 0);
	cr_assert_eq(st.to_tap_frames, 0);
	fake_stop(&f);
}

Test(nc_tapchan, pump_odd_sizes_from_tap)
{
	static uint8_t frame[NC_TAPCHAN_FRAME_MAX + 1], got[RX_CAP];
	struct nc_tapchan_stats st;
	int sndbuf = 1 << 20;
	struct fake f;

	fake_start(&f);
	cr_assert_eq(setsockopt(f.tap, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf,
	                        sizeof(sndbuf)),
	             0);
	frame_make(frame, sizeof(frame), 1, mac_b, mac_a);
	/* Too short for an Ethernet header, and too long: dropped. */
	write_full(f.tap, frame, 13);
	write_full(f.tap, frame, NC_TAPCHAN_FRAME_MAX + 1);
	/* The bounds themselves pass. */
	write_full(f.tap, frame, 14);
	write_full(f.tap, frame, NC_TAPCHAN_FRAME_MAX);
	cr_assert_eq(stream_get(f.stream, got), 14);
	cr_assert_arr_eq(got, frame, 14);
	cr_assert_eq(stream_get(f.stream, got), NC_TAPCHAN_FRAME_MAX);
	cr_assert_arr_eq(got, frame, NC_TAPCHAN_FRAME_MAX);
	nc_tapchan_stats(f.tc, &st);
	cr_assert_eq(st.dropped_to_stream, 2);
	cr_assert_eq(st.to_stream_frames, 2);
	cr_assert_eq(st.to_stream_bytes, 14 + NC_TAPCHAN_FRAME_MAX);
	fake_stop(&f);
}

static void pump_bad_header(const uint8_t hdr[2], const char *msg)
{
	static uint8_t frame[60], got[RX_CAP];
	struct nc_error err = { 0 };
	struct fake f;

	fake_start(&f);
	frame_make(frame, sizeof(frame), 3, mac_b, mac_a);
	stream_put(f.stream, frame, sizeof(frame));
	write_full(f.stream, hdr, 2);
	cr_assert(wait_ended(f.tc, &err), "the pump did not end");
	cr_assert_eq(err.code, -EPROTO);
	cr_assert_str_eq(err.msg, msg);
	/* The good frame before the bad header was delivered. */
	cr_assert_eq(msg_get(f.tap, got, sizeof(got), 1000), 60);
	cr_assert_arr_eq(got, frame, 60);
	fake_stop(&f);
}

Test(nc_tapchan, pump_bad_header_9)
{
	static const uint8_t hdr[2] = { 0x00, 0x09 };

	pump_bad_header(hdr, "tapchan: frame length 9 from the peer is below "
	                     "14: closing");
}

Test(nc_tapchan, pump_bad_header_0)
{
	static const uint8_t hdr[2] = { 0x00, 0x00 };

	pump_bad_header(hdr, "tapchan: frame length 0 from the peer is below "
	                     "14: closing");
}

Test(nc_tapchan, pump_eof_is_clean)
{
	struct nc_error err = { .code = -1, .msg = "x" };
	struct fake f;

	fake_start(&f);
	usleep(20000);
	cr_assert_not(nc_tapchan_ended(f.tc, &err));
	cr_assert_eq(err.code, -1, "err is left alone while running");
	close(f.stream);
	f.stream = -1;
	cr_assert(wait_ended(f.tc, &err), "the pump did not end");
	cr_assert_eq(err.code, 0);
	cr_assert_str_eq(err.msg, "");
	fake_stop(&f);
}

Test(nc_tapchan, pump_eof_inside_frame)
{
	static const uint8_t part[] = { 0x00, 0x3c, 1, 2, 3, 4, 5 };
	struct nc_error err = { 0 };
	struct fake f;

	fake_start(&f);
	write_full(f.stream, part, sizeof(part));
	close(f.stream);
	f.stream = -1;
	cr_assert(wait_ended(f.tc, &err), "the pump did not end");
	cr_assert_eq(err.code, -EPROTO);
	cr_assert_str_eq(err.msg, "tapchan: the stream ended inside a frame "
	                          "(7 bytes held): closing");
	fake_stop(&f);
}

/* The peer closes with our bytes unread: a reset, not a SIGPIPE. */
Test(nc_tapchan, pump_peer_reset)
{
	static uint8_t frame[ETH_MAX];
	struct nc_error err = { 0 };
	struct nc_tapchan_stats st;
	struct fake f;

	fake_start(&f);
	frame_make(frame, sizeof(frame), 9, mac_b, mac_a);
	write_full(f.tap, frame, sizeof(frame));
	wait_handled(f.tc, 1, 0, &st);
	usleep(20000);
	close(f.stream);
	f.stream = -1;
	write_full(f.tap, frame, sizeof(frame));
	cr_assert(wait_ended(f.tc, &err), "the pump did not end");
	cr_assert(err.code == -ECONNRESET || err.code == -EPIPE, "%d %s",
	          err.code, err.msg);
	cr_assert(!strcmp(err.msg, "tapchan: reading the stream: Connection "
	                           "reset by peer") ||
	              !strcmp(err.msg, "tapchan: writing the stream: Broken "
	                               "pipe"),
	          "%s", err.msg);
	fake_stop(&f);
}

/* A TAP that takes nothing: frames are dropped, the stream keeps going. */
Test(nc_tapchan, pump_drops_to_tap)
{
	static uint8_t stream[NC_TAPCHAN_HDR + ETH_MAX], got[RX_CAP];
	struct nc_tapchan_stats st;
	uint32_t seq, last = 0;
	struct fake f;
	unsigned int n;
	ssize_t len;

	fake_start(&f);
	for (seq = 1; seq <= 1000; seq++) {
		nc_tapchan_hdr_encode(stream, ETH_MAX);
		frame_make(stream + 2, ETH_MAX, seq, mac_b, mac_a);
		write_full(f.stream, stream, sizeof(stream));
	}
	wait_handled(f.tc, 0, 1000, &st);
	cr_assert_eq(st.to_tap_frames + st.dropped_to_tap, 1000);
	cr_assert_gt(st.dropped_to_tap, 0);
	cr_assert_gt(st.to_tap_frames, 0);
	cr_assert_eq(st.to_tap_bytes, st.to_tap_frames * ETH_MAX);
	cr_assert_not(nc_tapchan_ended(f.tc, NULL));
	/* What was taken is intact and in order. */
	for (n = 0; n < st.to_tap_frames; n++) {
		len = msg_get(f.tap, got, sizeof(got), 1000);
		cr_assert_eq(len, ETH_MAX);
		cr_assert_gt(frame_seq(got), last);
		last = frame_seq(got);
		frame_make(stream, ETH_MAX, last, mac_b, mac_a);
		cr_assert_arr_eq(got, stream, ETH_MAX);
	}
	cr_assert_eq(msg_get(f.tap, got, sizeof(got), 50), -1);
	fake_stop(&f);
}

/* A stream that takes nothing: TAP frames are dropped, not queued. */
Test(nc_tapchan, pump_drops_to_stream)
{
	static uint8_t frame[ETH_MAX], got[RX_CAP];
	struct nc_tapchan_stats st;
	uint32_t seq, last = 0;
	struct fake f;
	unsigned int n;
	double t0;

	fake_start(&f);
	for (seq = 1; seq <= 2000; seq++) {
		frame_make(frame, ETH_MAX, seq, mac_b, mac_a);
		write_full(f.tap, frame, ETH_MAX);
	}
	wait_handled(f.tc, 2000, 0, &st);
	cr_assert_eq(st.to_stream_frames + st.dropped_to_stream, 2000);
	cr_assert_gt(st.dropped_to_stream, 0);
	/* At most the 256 KiB queue and the socket's buffer were taken. */
	cr_assert_lt(st.to_stream_frames, 1000);
	cr_assert_eq(st.to_stream_bytes, st.to_stream_frames * ETH_MAX);
	for (n = 0; n < st.to_stream_frames; n++) {
		cr_assert_eq(stream_get(f.stream, got), ETH_MAX);
		cr_assert_gt(frame_seq(got), last);
		last = frame_seq(got);
		frame_make(frame, ETH_MAX, last, mac_b, mac_a);
		cr_assert_arr_eq(got, frame, ETH_MAX);
	}
	/* The queue drained to the last byte, and the stop is prompt. */
	cr_assert_eq(msg_get(f.stream, got, sizeof(got), 50), -1);
	t0 = now_s();
	fake_stop(&f);
	cr_assert_lt(now_s() - t0, 1.0);
}

Test(nc_tapchan, stop_prompt_closes_both)
{
	uint8_t byte;
	struct fake f;
	double t0;

	fake_start(&f);
	usleep(50000);
	t0 = now_s();
	nc_tapchan_stop(f.tc);
	cr_assert_lt(now_s() - t0, 1.0);
	/* The pump held the only other ends: both read EOF now. */
	cr_assert_eq(msg_get(f.stream, &byte, 1, 1000), 0);
	cr_assert_eq(msg_get(f.tap, &byte, 1, 1000), 0);
	close(f.tap);
	close(f.stream);
	nc_tapchan_stop(NULL);
}

Test(nc_tapchan, start_bad_fd_takes_the_other)
{
	struct nc_error err = { 0 };
	uint8_t byte;
	int sv[2];

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	errno = 0;
	cr_assert_null(nc_tapchan_start(-1, sv[0], &err));
	cr_assert_eq(errno, EBADF);
	cr_assert_eq(err.code, -EBADF);
	cr_assert_str_eq(err.msg, "tapchan: no TAP descriptor");
	cr_assert_eq(msg_get(sv[1], &byte, 1, 1000), 0, "sv[0] was closed");
	close(sv[1]);

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	cr_assert_null(nc_tapchan_start(sv[0], -1, &err));
	cr_assert_str_eq(err.msg, "tapchan: no stream descriptor");
	cr_assert_eq(msg_get(sv[1], &byte, 1, 1000), 0, "sv[0] was closed");
	close(sv[1]);
}

/* ---- end to end between two TAP devices ---------------------------- */

static void netns_private(void)
{
	FILE *f;

	cr_assert_eq(unshare(CLONE_NEWNET), 0, "unshare: %s", strerror(errno));
	/* No IPv6 chatter (router solicitations, MLD) on the new links. */
	f = fopen("/proc/sys/net/ipv6/conf/default/disable_ipv6", "w");
	if (f) {
		fputs("1\n", f);
		fclose(f);
	}
}

static int tap_open(const char *name)
{
	struct ifreq ifr = { 0 };
	int fd;

	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	cr_assert_geq(fd, 0, "/dev/net/tun: %s", strerror(errno));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	cr_assert_eq(ioctl(fd, TUNSETIFF, &ifr), 0, "TUNSETIFF %s: %s", name,
	             strerror(errno));
	return fd;
}

static void link_up(const char *name)
{
	struct ifreq ifr = { 0 };
	int fd;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(fd, 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	cr_assert_eq(ioctl(fd, SIOCGIFFLAGS, &ifr), 0);
	ifr.ifr_flags |= IFF_UP;
	cr_assert_eq(ioctl(fd, SIOCSIFFLAGS, &ifr), 0, "up %s: %s", name,
	             strerror(errno));
	close(fd);
}

/* A packet socket on the link, for our test EtherType only. */
static int packet_open(const char *name)
{
	struct sockaddr_ll sll = { 0 };
	int fd, rcvbuf = 16 << 20;

	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC,
	            htons(ETH_P_SKYFERRY_TEST));
	cr_assert_geq(fd, 0, "AF_PACKET: %s", strerror(errno));
	cr_assert_eq(
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)),
	    0);
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_SKYFERRY_TEST);
	sll.sll_ifindex = (int)if_nametoindex(name);
	cr_assert_gt(sll.sll_ifindex, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sll, sizeof(sll)), 0);
	return fd;
}

/* The next frame that came in on the link; -1 after timeout_ms. */
static ssize_t packet_get(int fd, uint8_t *buf, size_t cap, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct sockaddr_ll from;
	socklen_t from_len;
	ssize_t n;

	for (;;) {
		if (poll(&pfd, 1, timeout_ms) != 1)
			return -1;
		from_len = sizeof(from);
		n = recvfrom(fd, buf, cap, MSG_TRUNC, (struct sockaddr *)&from,
		             &from_len);
		cr_assert_geq(n, 0, "recvfrom: %s", strerror(errno));
		if (from.sll_pkttype != PACKET_OUTGOING)
			return n;
	}
}

struct tap_pair {
	int pkt_a, pkt_b;
	struct nc_tapchan *pump1, *pump2;
};

static void tap_pair_up(struct tap_pair *p)
{
	struct nc_error err = { 0 };
	int tap_a, tap_b, sv[2];

	netns_private();
	tap_a = tap_open("sftapa");
	tap_b = tap_open("sftapb");
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	p->pump1 = nc_tapchan_start(tap_a, sv[0], &err);
	cr_assert_not_null(p->pump1, "%s", err.msg);
	p->pump2 = nc_tapchan_start(tap_b, sv[1], &err);
	cr_assert_not_null(p->pump2, "%s", err.msg);
	link_up("sftapa");
	link_up("sftapb");
	p->pkt_a = packet_open("sftapa");
	p->pkt_b = packet_open("sftapb");
}

/* Stop both pumps, promptly; the TAP devices go with their fds. */
static void tap_pair_down(struct tap_pair *p)
{
	double t0 = now_s();

	nc_tapchan_stop(p->pump1);
	nc_tapchan_stop(p->pump2);
	cr_assert_lt(now_s() - t0, 1.0);
	cr_assert_eq(if_nametoindex("sftapa"), 0, "tap A outlived its fd");
	cr_assert_eq(if_nametoindex("sftapb"), 0, "tap B outlived its fd");
	close(p->pkt_a);
	close(p->pkt_b);
}

/*
 * Send count frames out of one link in bursts, and check that each comes
 * in on the other link byte-identical and in order. Returns the bytes.
 */
static uint64_t transfer(int from, int to, uint32_t count, uint32_t *rng,
                         const uint8_t dst[6], const uint8_t src[6])
{
	enum { BURST = 50 };
	static uint8_t sent[BURST][ETH_MAX], got[RX_CAP];
	size_t lens[BURST];
	uint32_t done, i, burst;
	uint64_t bytes = 0;
	ssize_t n;

	for (done = 0; done < count; done += burst) {
		burst = count - done < BURST ? count - done : BURST;
		for (i = 0; i < burst; i++) {
			lens[i] = 60 + rng_next(rng) % (ETH_MAX - 60 + 1);
			frame_make(sent[i], lens[i], done + i, dst, src);
			cr_assert_eq(send(from, sent[i], lens[i], 0),
			             (ssize_t)lens[i], "send: %s",
			             strerror(errno));
			bytes += lens[i];
		}
		for (i = 0; i < burst; i++) {
			n = packet_get(to, got, sizeof(got), 5000);
			cr_assert_eq(n, (ssize_t)lens[i],
			             "frame %u: %zd bytes, expected %zu",
			             done + i, n, lens[i]);
			cr_assert_arr_eq(got, sent[i], lens[i], "frame %u",
			                 done + i);
		}
	}
	return bytes;
}

static void stats_expect(struct nc_tapchan *tc, uint64_t out_frames,
                         uint64_t out_bytes, uint64_t in_frames,
                         uint64_t in_bytes)
{
	struct nc_tapchan_stats st;

	wait_handled(tc, out_frames, in_frames, &st);
	cr_assert_eq(st.to_stream_frames, out_frames);
	cr_assert_eq(st.to_stream_bytes, out_bytes);
	cr_assert_eq(st.to_tap_frames, in_frames);
	cr_assert_eq(st.to_tap_bytes, in_bytes);
	cr_assert_eq(st.dropped_to_stream, 0);
	cr_assert_eq(st.dropped_to_tap, 0);
}

Test(nc_tapchan, taps_full_size_frame)
{
	static uint8_t frame[ETH_MAX], got[RX_CAP];
	struct tap_pair p;

	tap_pair_up(&p);
	frame_make(frame, ETH_MAX, 42, mac_b, mac_a);
	cr_assert_eq(send(p.pkt_a, frame, ETH_MAX, 0), ETH_MAX);
	cr_assert_eq(packet_get(p.pkt_b, got, sizeof(got), 5000), ETH_MAX);
	cr_assert_arr_eq(got, frame, ETH_MAX);
	frame_make(frame, ETH_MAX, 43, mac_a, mac_b);
	cr_assert_eq(send(p.pkt_b, frame, ETH_MAX, 0), ETH_MAX);
	cr_assert_eq(packet_get(p.pkt_a, got, sizeof(got), 5000), ETH_MAX);
	cr_assert_arr_eq(got, frame, ETH_MAX);
	stats_expect(p.pump1, 1, ETH_MAX, 1, ETH_MAX);
	stats_expect(p.pump2, 1, ETH_MAX, 1, ETH_MAX);
	cr_assert_not(nc_tapchan_ended(p.pump1, NULL));
	cr_assert_not(nc_tapchan_ended(p.pump2, NULL));
	tap_pair_down(&p);
}

Test(nc_tapchan, taps_many_frames_both_ways)
{
	uint64_t ab = 0, ba = 0;
	struct tap_pair p;
	uint32_t rng = 0x5eed;
	int round;

	tap_pair_up(&p);
	/* Alternate directions, 1000 frames each way in all. */
	for (round = 0; round < 4; round++) {
		ab += transfer(p.pkt_a, p.pkt_b, 250, &rng, mac_b, mac_a);
		ba += transfer(p.pkt_b, p.pkt_a, 250, &rng, mac_a, mac_b);
	}
	stats_expect(p.pump1, 1000, ab, 1000, ba);
	stats_expect(p.pump2, 1000, ba, 1000, ab);
	tap_pair_down(&p);
}

/* The TAP device is deleted under the pump: it ends, naming the TAP. */
Test(nc_tapchan, taps_device_deleted)
{
	struct nc_error err = { 0 };
	struct tap_pair p;

	tap_pair_up(&p);
	cr_assert_eq(system("ip link del sftapa"), 0);
	cr_assert(wait_ended(p.pump1, &err), "the pump did not end");
	cr_assert_eq(err.code, -EBADFD, "%d %s", err.code, err.msg);
	cr_assert_str_eq(err.msg, "tapchan: reading the TAP: File descriptor "
	                          "in bad state");
	nc_tapchan_stop(p.pump1);
	nc_tapchan_stop(p.pump2);
	close(p.pkt_a);
	close(p.pkt_b);
}
