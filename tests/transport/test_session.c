/*
 * test_session.c: sessions and channels over loopback: byte-exact round
 * trips for every codec, backpressure from a slow reader, half-close,
 * reset, and dead-peer detection.
 */
#include <fcntl.h>
#include <poll.h>

#include <openssl/evp.h>

#include "tests/transport/tp_testlib.h"
#include "transport/runner.h"
#include "transport/session_priv.h"

#define ECHO_MAX 4

static pthread_t echo_threads[ECHO_MAX];
static atomic_int echo_count;
static atomic_int held_fd = -1;

/* Server side of a channel: "echo" echoes, "hold" is kept for the test,
 * anything else is refused. */
static int test_on_open(void *arg, const char *name, unsigned int priority)
{
	int sv[2], n;

	(void)arg;
	(void)priority;
	if (strcmp(name, "echo") && strcmp(name, "hold"))
		return -ECONNREFUSED;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	if (!strcmp(name, "hold")) {
		held_fd = sv[0];
		return sv[1];
	}
	n = echo_count++;
	if (n >= ECHO_MAX || pthread_create(&echo_threads[n], NULL, tt_echo_main,
	                                    (void *)(intptr_t)sv[0]) != 0) {
		close(sv[0]);
		close(sv[1]);
		return -EAGAIN;
	}
	return sv[1];
}

static const char psk_hex[] = "00112233445566778899aabbccddeeff"
                              "00112233445566778899aabbccddeeff";

static void conf_psk(struct tp_session_conf *conf, unsigned int codec)
{
	memset(conf, 0, sizeof(*conf));
	conf->tls.psk_identity = "lab";
	conf->tls.psk_hex = psk_hex;
	conf->codec = codec;
	conf->on_open = test_on_open;
}

/* Words (compressible by LZ4 and zstd), or random bytes. */
static void fill(uint8_t *p, size_t n, bool compressible)
{
	uint32_t seed = 12345;
	size_t i;

	if (compressible) {
		tt_fill_words(p, n, seed);
		return;
	}
	for (i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (uint8_t)(seed >> 16);
	}
}

/*
 * Send len bytes through an echo channel, capped at cap_bps (0: none),
 * and check they come back.
 */
static void round_trip_capped(unsigned int codec, bool compressible,
                              uint64_t cap_bps)
{
	const size_t len = 4u << 20;
	uint8_t *data = malloc(len), *back = malloc(len + 1);
	struct tp_session_conf conf;
	struct tp_error err = { 0 };
	struct tt_client cl = { 0 };
	struct tt_writer w = { 0 };
	struct tt_server srv;
	struct tp_stats stats;
	struct tp_chan *chan;
	int app_fd;

	cr_assert(data && back);
	fill(data, len, compressible);
	conf_psk(&conf, codec);
	conf.rate_cap_bps = cap_bps;
	tt_server_start(&srv, &conf);
	cl.session = tt_connect_ok(&conf, &srv);
	chan = tt_chan_open_pair(cl.session, "echo", &app_fd);
	tt_client_start(&cl);
	tt_writer_start(&w, app_fd, data, len);
	/* Read to EOF: the far end half-closes after echoing everything. */
	tt_echo_verify(&w, back);
	for (int i = 0; i < 200 && !tp_chan_done(chan); i++)
		usleep(5000);
	tt_client_stop(&cl);
	cr_assert(tp_chan_done(chan));
	cr_assert_eq(tp_chan_error(chan, &err), 0, "%s", err.msg);
	tp_chan_stats(chan, &stats);
	cr_assert_eq(stats.tx_raw, len);
	cr_assert_eq(stats.rx_raw, len);
	cr_log_info("codec %u: %llu raw bytes, %llu on the wire", codec,
	            (unsigned long long)stats.tx_raw,
	            (unsigned long long)stats.tx_wire);
	/*
	 * AUTO on a 100 Mbit/s cap must compress: LZ4 (about 3x here) or
	 * zstd, whichever its CPU budget of a quarter core affords.
	 */
	if (codec == TP_CODEC_AUTO && compressible)
		cr_assert_lt(stats.tx_wire, len / 2, "auto: wire %llu",
		             (unsigned long long)stats.tx_wire);
	if (codec != TP_CODEC_RAW && codec != TP_CODEC_AUTO && compressible)
		cr_assert_lt(stats.tx_wire,
		             codec == TP_CODEC_ZSTD ? len / 4 : len / 2,
		             "wire %llu", (unsigned long long)stats.tx_wire);
	if (!compressible)
		cr_assert_leq(stats.tx_wire,
		              len + stats.tx_frames * TP_FRAME_HDR_LEN,
		              "raw bypass failed");
	tp_session_stats(cl.session, &stats);
	cr_assert_geq(stats.tx_raw, len);
	cr_assert_eq(tp_session_chan_count(cl.session), 0);
	tp_session_free(cl.session);
	tt_server_stop(&srv);
	for (int i = 0; i < echo_count; i++)
		pthread_join(echo_threads[i], NULL);
	close(app_fd);
	free(data);
	free(back);
}

static void round_trip(unsigned int codec, bool compressible)
{
	round_trip_capped(codec, compressible, 0);
}

Test(transport_session, round_trip_raw, .timeout = 20)
{
	round_trip(TP_CODEC_RAW, false);
}

Test(transport_session, round_trip_lz4, .timeout = 20)
{
	round_trip(TP_CODEC_LZ4, true);
}

Test(transport_session, round_trip_lz4_random, .timeout = 20)
{
	round_trip(TP_CODEC_LZ4, false);
}

Test(transport_session, round_trip_zstd, .timeout = 20)
{
	round_trip(TP_CODEC_ZSTD, true);
}

Test(transport_session, round_trip_zstd_random, .timeout = 20)
{
	round_trip(TP_CODEC_ZSTD, false);
}

/* Adaptive codec on a 100 Mbit/s link: compressible data goes zstd. */
Test(transport_session, round_trip_auto_100mbit, .timeout = 20)
{
	round_trip_capped(TP_CODEC_AUTO, true, 100000000u);
}

/* Adaptive codec, incompressible data, uncapped: byte-exact, no growth. */
Test(transport_session, round_trip_auto_random, .timeout = 20)
{
	round_trip(TP_CODEC_AUTO, false);
}

/*
 * A channel whose far end nobody reads ("hold"), fed len bytes of fill()
 * by a writer thread; held_drain then reads them all at the far end.
 * tight: tp_session_tighten() the channel before anything flows.
 */
struct held {
	size_t len;
	uint8_t *data, *back;
	struct tt_client cl;
	struct tt_writer w;
	struct tt_server srv;
	struct tp_chan *chan;
	int app_fd;
};

static void held_start(struct held *h, const struct tp_session_conf *conf,
                       size_t len, bool compressible, int sndbuf, bool tight)
{
	memset(h, 0, sizeof(*h));
	h->len = len;
	h->data = malloc(len);
	h->back = malloc(len);
	cr_assert(h->data && h->back);
	fill(h->data, len, compressible);
	tt_server_start(&h->srv, conf);
	h->cl.session = tt_connect_ok(conf, &h->srv);
	h->chan = tt_chan_open_pair(h->cl.session, "hold", &h->app_fd);
	if (sndbuf)
		setsockopt(h->app_fd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
		           sizeof(sndbuf));
	if (tight)
		cr_assert_eq(tp_session_tighten(h->cl.session, "hold"), 0);
	tt_client_start(&h->cl);
	tt_writer_start(&h->w, h->app_fd, h->data, len);
}

/* Read everything at the far end: it arrives whole and in order. */
static void held_drain(struct held *h)
{
	cr_assert_geq(held_fd, 0);
	fcntl(held_fd, F_SETFL, O_NONBLOCK);
	cr_assert_eq(tt_read_all(held_fd, h->back, h->len), h->len);
	cr_assert(memcmp(h->data, h->back, h->len) == 0, "data differs");
	pthread_join(h->w.thread, NULL);
}

static void held_stop(struct held *h)
{
	tt_client_stop(&h->cl);
	tp_session_free(h->cl.session);
	tt_server_stop(&h->srv);
	close(held_fd);
	close(h->app_fd);
	free(h->data);
	free(h->back);
}

Test(transport_session, slow_reader_backpressure, .timeout = 20)
{
	const size_t cap = 64u << 10;
	struct tp_session_conf conf;
	struct held h;
	size_t stalled;

	conf_psk(&conf, TP_CODEC_RAW);
	conf.chan_window = cap;
	conf.chan_send_cap = cap;
	held_start(&h, &conf, 16u << 20, false, 32768, false);

	/* Nobody reads the far end: the producer must stall. */
	usleep(500000);
	stalled = h.w.written;
	cr_log_info("producer stalled after %zu bytes; client held %zu, "
	            "server held %zu",
	            stalled, h.cl.max_buffered, h.srv.max_buffered);
	cr_assert_lt(stalled, 2u << 20, "producer not backpressured: %zu",
	             stalled);
	cr_assert_leq(h.cl.max_buffered, 2 * cap);
	cr_assert_leq(h.srv.max_buffered, 2 * cap);
	usleep(100000);
	cr_assert_lt(h.w.written - stalled, 256u << 10, "still flowing");

	held_drain(&h);
	cr_assert_leq(h.cl.max_buffered, 2 * cap);
	cr_assert_leq(h.srv.max_buffered, 2 * cap);
	held_stop(&h);
}

/*
 * Credit counts raw bytes; the sender also keeps at most wire_window
 * bytes of frames in flight. Nobody reads the far end: the producer
 * stalls with at most a wire window (plus the frame that crossed it) of
 * frames in flight. Incompressible data stalls there, far below the raw
 * credit; data that compresses 2:1 gets more raw bytes in flight than the
 * wire window, which is what keeps a long link full.
 */
static void wire_window_bounds(bool compressible, uint64_t *raw_in_flight)
{
	const uint32_t wire_window = 128u << 10, raw_window = 2u << 20;
	struct tp_session_conf conf;
	struct held h;
	uint64_t wire;
	size_t stalled;

	conf_psk(&conf, TP_CODEC_ZSTD);
	conf.chan_window = raw_window;
	conf.wire_window = wire_window;
	held_start(&h, &conf, 8u << 20, compressible, 0, false);
	cr_assert_eq(h.cl.session->conf.wire_window, wire_window);
	do { /* until the producer stalls */
		stalled = h.w.written;
		usleep(300000);
	} while (h.w.written != stalled);
	wire = tp_chan_wire_in_flight(h.chan);
	*raw_in_flight = h.cl.session->peer_window - h.chan->send_credit;
	cr_log_info("%s: %llu raw and %llu wire bytes in flight at the stall",
	            compressible ? "compressible" : "random",
	            (unsigned long long)*raw_in_flight,
	            (unsigned long long)wire);
	cr_assert_gt(wire, 0);
	cr_assert_leq(wire, wire_window + TP_FRAME_HDR_LEN + (64u << 10),
	              "wire in flight %llu", (unsigned long long)wire);
	cr_assert_leq(*raw_in_flight, raw_window);
	held_drain(&h);
	held_stop(&h);
}

Test(transport_session, wire_window_bounds_flight, .timeout = 30)
{
	uint64_t random_raw, packed_raw;

	wire_window_bounds(false, &random_raw);
	cr_assert_leq(random_raw, (128u << 10) + (64u << 10),
	              "random data: %llu raw in flight",
	              (unsigned long long)random_raw);
	wire_window_bounds(true, &packed_raw);
	cr_assert_gt(packed_raw, (128u << 10) * 3 / 2,
	             "compressible data: only %llu raw in flight",
	             (unsigned long long)packed_raw);
}

/*
 * Nobody reads the far end: once credit runs out the channel holds what
 * it read ahead from the producer, chan_send_cap; tightened, at most
 * 64 KiB, and the stream still arrives whole. Returns the bytes held.
 */
static size_t read_ahead_at_stall(bool tight)
{
	struct tp_session_conf conf;
	struct held h;
	size_t stalled, held;

	conf_psk(&conf, TP_CODEC_RAW);
	conf.chan_window = 256u << 10;
	conf.chan_send_cap = 256u << 10;
	held_start(&h, &conf, 4u << 20, false, 32768, tight);
	do { /* until the producer stalls */
		stalled = h.w.written;
		usleep(300000);
	} while (h.w.written != stalled);
	held = h.chan->tx.len;
	cr_assert_eq(h.chan->tight, tight);
	held_drain(&h);
	held_stop(&h);
	return held;
}

Test(transport_session, tighten_limits_read_ahead, .timeout = 30)
{
	size_t loose = read_ahead_at_stall(false);
	size_t tight = read_ahead_at_stall(true);

	cr_log_info("read ahead at the stall: %zu bytes, tightened %zu", loose,
	            tight);
	cr_expect_eq(loose, 256u << 10, "untightened: %zu", loose);
	cr_expect_gt(tight, 0);
	cr_expect_leq(tight, TP_CHAN_TIGHT_SEND, "tightened: %zu", tight);
}

Test(transport_session, tighten_refuses_bad_names)
{
	struct tp_session_conf conf;
	struct tt_server srv;
	struct tp_session *s;
	char name[TP_FRAME_NAME_MAX + 2];

	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	conf_psk(&conf, TP_CODEC_RAW);
	tt_server_start(&srv, &conf);
	s = tt_connect_ok(&conf, &srv);
	cr_expect_eq(tp_session_tighten(s, ""), -EINVAL);
	cr_expect_eq(tp_session_tighten(s, NULL), -EINVAL);
	cr_expect_eq(tp_session_tighten(s, name), -EINVAL);
	cr_expect_eq(tp_session_post_chan(s, "x", TP_PRIO_BULK, -1), -EBADF);
	cr_expect_eq(tp_session_tighten(s, "nobody"), 0,
	             "no such channel: nothing to do");
	tp_session_free(s);
	tt_server_stop(&srv);
}

/* A name tightened before its channel opens: the channel opens tight. */
Test(transport_session, tighten_before_open, .timeout = 10)
{
	struct tp_session_conf conf;
	struct tp_error err = { 0 };
	struct tt_server srv;
	struct tp_session *s;
	struct tp_chan *later, *other;
	int a[2], b[2];

	conf_psk(&conf, TP_CODEC_RAW);
	tt_server_start(&srv, &conf);
	s = tt_connect_ok(&conf, &srv);
	cr_assert_eq(tp_session_tighten(s, "later"), 0);
	cr_assert_eq(tp_session_run(s, 50, &err), 0, "%s", err.msg);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, a), 0);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, b), 0);
	later = tp_chan_open(s, "later", TP_PRIO_BULK, a[1], &err);
	cr_assert(later, "%s", err.msg);
	other = tp_chan_open(s, "other", TP_PRIO_BULK, b[1], &err);
	cr_assert(other, "%s", err.msg);
	cr_expect(later->tight);
	cr_expect_not(other->tight);
	close(a[0]);
	close(b[0]);
	tp_session_free(s);
	tt_server_stop(&srv);
}

Test(transport_session, refused_channel_is_reset, .timeout = 10)
{
	struct tp_session_conf conf;
	struct tp_error err = { 0 };
	struct tt_client cl = { 0 };
	struct tt_server srv;
	struct tp_chan *chan;
	uint8_t buf[16];
	int sv[2];

	conf_psk(&conf, TP_CODEC_RAW);
	tt_server_start(&srv, &conf);
	cl.session = tt_connect_ok(&conf, &srv);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	chan = tp_chan_open(cl.session, "nope", TP_PRIO_CONTROL, sv[1], &err);
	cr_assert(chan);
	tt_client_start(&cl);
	/* The session closes our end of the pair: EOF. */
	cr_assert_eq(read(sv[0], buf, sizeof(buf)), 0);
	tt_client_stop(&cl);
	cr_assert_eq(tp_chan_error(chan, &err), -ECONNRESET);
	cr_log_info("channel error: %s", err.msg);
	cr_assert(strstr(err.msg, "reset by peer"), "%s", err.msg);
	cr_assert_eq(tp_session_error(cl.session, NULL), 0);
	tp_session_free(cl.session);
	tt_server_stop(&srv);
	close(sv[0]);
}

Test(transport_session, dead_peer_detected, .timeout = 10)
{
	struct tp_session_conf conf;
	struct tp_error err = { 0 };
	struct tt_server srv;
	struct tp_session *s;
	struct tp_chan *chan;
	uint64_t start;
	uint8_t buf[4];
	int sv[2], ret;

	conf_psk(&conf, TP_CODEC_RAW);
	conf.keepalive_ms = 100;
	conf.dead_ms = 500;
	conf.resume_timeout_ms = 300; /* then the outage is fatal */
	tt_server_start(&srv, &conf);
	s = tt_connect_ok(&conf, &srv);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	chan = tp_chan_open(s, "echo", TP_PRIO_BULK, sv[1], &err);
	cr_assert(chan);
	/* Alive: pings answered for a while. */
	cr_assert_eq(tp_session_run(s, 800, &err), 0, "%s", err.msg);
	srv.pause = 1;
	start = tt_now_ms();
	ret = tp_session_run(s, 3000, &err);
	cr_assert_eq(ret, -ETIMEDOUT, "ret %d %s", ret, err.msg);
	cr_log_info("after %llu ms: %s",
	            (unsigned long long)(tt_now_ms() - start), err.msg);
	cr_assert_lt(tt_now_ms() - start, 1500);
	cr_assert(strstr(err.msg, "presumed dead"), "%s", err.msg);
	/* The session error latched onto the channel, which is closed. */
	cr_assert_eq(tp_chan_error(chan, &err), -ETIMEDOUT);
	cr_assert_eq(read(sv[0], buf, sizeof(buf)), 0);
	cr_assert_eq(tp_session_run(s, 10, NULL), -ETIMEDOUT);
	tp_session_free(s);
	srv.pause = 0;
	tt_server_stop(&srv);
	close(sv[0]);
}

static void *run_until_stopped(void *arg)
{
	struct tp_error err = { 0 };

	tp_session_run(arg, -1, &err);
	return NULL;
}

/*
 * A channel posted from another thread opens while the session's thread
 * sleeps in tp_session_run(-1): the post must wake it. Two posts, so the
 * queue is drained whole; a bad name is refused and its fd closed.
 */
Test(transport_session, post_chan_from_other_thread, .timeout = 20)
{
	struct tp_session_conf conf;
	struct tt_server srv;
	struct tp_session *s;
	pthread_t runner;
	char buf[16];
	int sv[2][2], bad[2], i;
	uint64_t t0;

	conf_psk(&conf, TP_CODEC_RAW);
	/* Keepalive ticks would also drain the queue: make them rare, so
	 * only the post's own wakeup can open the channel in time. */
	conf.keepalive_ms = 10000;
	conf.dead_ms = 30000;
	tt_server_start(&srv, &conf);
	s = tt_connect_ok(&conf, &srv);
	cr_assert_eq(pthread_create(&runner, NULL, run_until_stopped, s), 0);
	usleep(50000); /* let it block */
	t0 = tt_now_ms();
	for (i = 0; i < 2; i++) {
		cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv[i]), 0);
		cr_assert_eq(tp_session_post_chan(s, "echo", TP_PRIO_CONTROL,
		                                  sv[i][1]),
		             0);
	}
	for (i = 0; i < 2; i++) {
		cr_assert_eq(write(sv[i][0], "ping", 4), 4);
		shutdown(sv[i][0], SHUT_WR);
		cr_assert_eq(tt_read_all(sv[i][0], (uint8_t *)buf, sizeof(buf)),
		             4, "channel %d did not echo", i);
		cr_assert_arr_eq(buf, "ping", 4);
		close(sv[i][0]);
	}
	cr_assert_lt(tt_now_ms() - t0, 5000, "the post did not wake the loop");
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, bad), 0);
	cr_assert_eq(tp_session_post_chan(s, "", TP_PRIO_CONTROL, bad[1]),
	             -EINVAL);
	cr_assert_eq(read(bad[0], buf, sizeof(buf)), 0, "fd was not closed");
	close(bad[0]);
	tp_session_stop(s);
	pthread_join(runner, NULL);
	tp_session_free(s);
	tt_server_stop(&srv);
	for (i = 0; i < echo_count; i++)
		pthread_join(echo_threads[i], NULL);
}

/* A runner drives the session on its own thread and publishes counters. */
Test(transport_session, runner_publishes_stats, .timeout = 20)
{
	struct tp_session_conf conf;
	struct tp_error err = { 0 };
	struct tp_runner *runner;
	struct tp_stats stats;
	struct tt_server srv;
	struct tp_session *s;
	char buf[8];
	int sv[2];

	conf_psk(&conf, TP_CODEC_RAW);
	tt_server_start(&srv, &conf);
	s = tt_connect_ok(&conf, &srv);
	runner = tp_runner_start(s, &err);
	cr_assert(runner, "%s", err.msg);
	cr_assert_not(tp_runner_wait(runner, 50, &err), "ended early");
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	cr_assert_eq(tp_session_post_chan(s, "echo", TP_PRIO_BULK, sv[1]), 0);
	cr_assert_eq(write(sv[0], "abc", 3), 3);
	shutdown(sv[0], SHUT_WR);
	cr_assert_eq(tt_read_all(sv[0], (uint8_t *)buf, sizeof(buf)), 3);
	close(sv[0]);
	usleep(300000); /* a couple of loop passes */
	tp_runner_stats(runner, &stats);
	cr_assert_geq(stats.tx_raw, 3);
	cr_assert_geq(stats.rx_raw, 3);
	cr_assert_eq(tp_runner_stop(runner, &err), 0, "%s", err.msg);
	tp_session_free(s);
	tt_server_stop(&srv);
	for (int i = 0; i < echo_count; i++)
		pthread_join(echo_threads[i], NULL);
}

/*
 * Both windows 0 and link_mbps given: the wire window is four times
 * link_mbps times the round trip TCP measured, 1 MiB to 8 MiB (1 MiB when
 * the link rate is only assumed); the raw window (chan_window, the credit
 * each end announces in its hello) is four wire windows, at most 16 MiB;
 * with the link rate assumed, the wire window grows from 1 MiB as it
 * measures the path, and the raw window has room for its 8 MiB ceiling.
 * Loopback's round trip is microseconds: a 100 Mbit/s link gives the
 * floor, an absurdly fast one the ceiling. An explicit chan_window is
 * kept and is also the wire window; an explicit session_cap bounds the
 * sized window to a quarter of it.
 */
struct windows {
	uint32_t chan, wire, peer;
	uint64_t cap;
};

static struct windows windows_for(uint32_t link_mbps, uint32_t window,
                                  uint64_t cap)
{
	struct tp_session_conf conf = { 0 };
	struct tt_server srv;
	struct tp_session *s;
	struct windows w;

	conf_psk(&conf, TP_CODEC_RAW);
	conf.link_mbps = link_mbps;
	conf.chan_window = window;
	conf.session_cap = cap;
	tt_server_start(&srv, &conf);
	s = tt_connect_ok(&conf, &srv);
	w.chan = s->conf.chan_window;
	w.wire = s->conf.wire_window;
	w.peer = s->peer_window;
	w.cap = s->conf.session_cap;
	tp_session_free(s);
	tt_server_stop(&srv);
	cr_assert_eq(w.chan % 65536u, 0, "window %u", w.chan);
	cr_assert_leq(w.wire, w.chan);
	/* The server sized its own from the same link: the same bounds. */
	cr_assert_geq(w.peer, 1u << 20);
	cr_assert_leq(w.peer, 16u << 20);
	return w;
}

#define SEND_CAP (256ull << 10)
#define CAP_FOR(chan) (16ull * (1u << 20) + 16ull * ((chan) + SEND_CAP))

Test(transport_session, window_from_bdp, .timeout = 20)
{
	struct windows w;

	w = windows_for(0, 0, 0); /* link rate assumed: no sizing */
	cr_assert_eq(w.wire, 1u << 20, "assumed link: wire %u", w.wire);
	cr_assert_eq(w.chan, 16u << 20, "assumed link: raw %u", w.chan);
	cr_assert_eq(w.peer, 16u << 20, "the peer's: %u", w.peer);
	cr_assert_eq(w.cap, CAP_FOR(16ull << 20));
	w = windows_for(100, 0, 0); /* floor unless the RTT is > 20 ms */
	cr_assert_eq(w.wire, 1u << 20, "100 Mbit/s over loopback: %u", w.wire);
	cr_assert_eq(w.chan, 4u << 20);
	cr_assert_eq(w.cap, CAP_FOR(4ull << 20));
	w = windows_for(4000000000u, 0, 0);
	cr_assert_eq(w.wire, 8u << 20, "4 Pbit/s: wire %u", w.wire);
	cr_assert_eq(w.chan, 16u << 20, "4 Pbit/s: raw %u", w.chan);
	cr_assert_eq(w.cap, CAP_FOR(16ull << 20));
	w = windows_for(4000000000u, 3u << 20, 0);
	cr_assert_eq(w.chan, 3u << 20, "explicit window: %u", w.chan);
	cr_assert_eq(w.wire, 3u << 20, "explicit window: wire %u", w.wire);
	cr_assert_eq(w.cap, CAP_FOR(3ull << 20));
	w = windows_for(4000000000u, 0, 32ull << 20);
	cr_assert_eq(w.chan, (4u << 20) - (256u << 10), "cap 32 MiB: %u",
	             w.chan);
	cr_assert_eq(w.wire, (4u << 20) - (256u << 10));
	cr_assert_eq(w.cap, 32ull << 20);
}

/*
 * One more bulk stripe only when the bulk stripes spent over a quarter of
 * at least 100 ms in flight held back by a full send buffer, and never
 * more than are open.
 */
Test(transport_session, bulk_stripes_grow_on_full_send_buffers)
{
	cr_assert_eq(tp_bulk_stripes_next(1, 2, 250000, 250000), 2);
	cr_assert_eq(tp_bulk_stripes_next(1, 2, 250000, 62501), 2);
	cr_assert_eq(tp_bulk_stripes_next(1, 2, 250000, 62500), 1);
	cr_assert_eq(tp_bulk_stripes_next(1, 2, 250000, 0), 1);
	/* Too little time in flight to tell. */
	cr_assert_eq(tp_bulk_stripes_next(1, 2, 99999, 99999), 1);
	/* Every open stripe carries bulk already. */
	cr_assert_eq(tp_bulk_stripes_next(2, 2, 250000, 250000), 2);
	cr_assert_eq(tp_bulk_stripes_next(3, 8, 500000, 400000), 4);
}

/* The lowest-indexed open stripes carry bulk; a down one passes it on. */
Test(transport_session, bulk_stripes_are_the_lowest_open_ones)
{
	struct tp_stripe stripes[3];
	struct tp_session session;
	unsigned int i;

	memset(&session, 0, sizeof(session));
	memset(stripes, 0, sizeof(stripes));
	for (i = 0; i < 3; i++) {
		stripes[i].index = (uint16_t)i;
		stripes[i].state = TP_STRIPE_OPEN;
		session.stripes[i] = &stripes[i];
	}
	session.bulk_stripes = 1;
	cr_assert(tp_session_stripe_bulk(&session, &stripes[0]));
	cr_assert_not(tp_session_stripe_bulk(&session, &stripes[1]));
	cr_assert_not(tp_session_stripe_bulk(&session, &stripes[2]));
	stripes[0].state = TP_STRIPE_IDLE; /* reconnecting */
	cr_assert(tp_session_stripe_bulk(&session, &stripes[1]));
	cr_assert_not(tp_session_stripe_bulk(&session, &stripes[2]));
	session.bulk_stripes = 2;
	cr_assert(tp_session_stripe_bulk(&session, &stripes[2]));
}

/*
 * A peer that frees its session closes it the ordinary way: the other end
 * says so without the close frame's code ("code 108 session closed").
 */
Test(transport_session, peer_close_is_plain, .timeout = 10)
{
	struct tp_session_conf conf;
	struct tt_server srv;
	struct tp_session *s;
	int i;

	conf_psk(&conf, TP_CODEC_RAW);
	tt_server_start(&srv, &conf);
	s = tt_connect_ok(&conf, &srv);
	for (i = 0; i < 500 && srv.accepted == 0; i++)
		usleep(10000);
	cr_assert_eq(srv.accepted, 1);
	tp_session_free(s);
	for (i = 0; i < 500 && srv.busy > 0; i++)
		usleep(10000);
	cr_assert_eq(srv.busy, 0, "the server's session did not end");
	tt_server_stop(&srv);
	cr_log_info("server: %s", srv.session_err);
	cr_assert(strstr(srv.session_err, "closed the session"), "%s",
	          srv.session_err);
	cr_assert_null(strstr(srv.session_err, "code"), "%s", srv.session_err);
}
