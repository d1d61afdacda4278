/*
 * test_fault.c: a peer that breaks the frame rules after an honest
 * handshake. The raw peer speaks TLS 1.3 (PSK) through the transport's
 * own TLS layer, but writes its frames byte by byte, so it can send what
 * the encoder refuses to build: a bad magic, an unknown version, an
 * unknown type, a reserved flag bit, an oversized length. The session it
 * attacks, server or client, must fail at once with one error naming the
 * peer and the broken rule, fail every channel with it, close their
 * local fds, and tell the peer why in a CLOSE.
 *
 * The same raw peer also sends honest frames out of order, as stripes
 * deliver them: a channel whose frame is missing waits, the other channel
 * is served at once (per-channel delivery, tp_frame.h "chan_prev"), and a
 * resent frame is dropped.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "tests/transport/tp_testlib.h"
#include "transport/runner.h"
#include "transport/session_priv.h"
#include "transport/tls.h"
#include "transport/tp_frame.h"

#define CHANS 2

static const char psk_hex[] = "00112233445566778899aabbccddeeff"
                              "00112233445566778899aabbccddeeff";

enum fault { F_MAGIC, F_VERSION, F_TYPE, F_RESERVED, F_OVERSIZE };

struct fault_case {
	enum fault fault;
	int code;      /* the attacked session's error */
	char text[64]; /* in every error it reports (an array: criterion
	                  copies parameters between processes) */
};

static struct fault_case fault_cases[] = {
	{ F_MAGIC, -EPROTO, "bad frame magic 0x4748 (want 0x5346)" },
	{ F_VERSION, -EPROTO, "unsupported frame version 1 (want 2)" },
	{ F_TYPE, -EPROTO, "unknown frame type 42" },
	{ F_RESERVED, -EPROTO, "DATA frame has reserved flag bits 0x80 set" },
	{ F_OVERSIZE, -EMSGSIZE,
	  "DATA frame payload length 262145 outside 1..262144" },
};
#define FAULT_CASES (sizeof(fault_cases) / sizeof(fault_cases[0]))

/* One end of a TLS connection on a blocking fd; frames by hand. */
struct raw_peer {
	bool server;
	int fd; /* server: the listening socket until accepted */
	const struct fault_case *fc; /* NULL: the out-of-order peer */
	int go;                      /* that peer waits for a byte here */
	struct tp_tls *tls;
	struct tp_tls_conn *conn;
	pthread_t thread;
	/* what it saw, checked by the test thread */
	char fail[TP_ERROR_MSG_MAX + 64];
	bool got_close;
	uint32_t close_code;
	char close_msg[TP_FRAME_REASON_MAX + 1];
};

static int raw_write(struct raw_peer *rp, const uint8_t *buf, size_t len)
{
	struct tp_error err = { 0 };
	ssize_t n;

	while (len > 0) {
		n = tp_tls_conn_write(rp->conn, buf, len, &err);
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return tp_tls_conn_flush(rp->conn, &err) == 0 ? 0 : -1;
}

static int raw_read(struct raw_peer *rp, uint8_t *buf, size_t len)
{
	struct tp_error err = { 0 };
	ssize_t n;

	while (len > 0) {
		n = tp_tls_conn_read(rp->conn, buf, len, &err);
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A header written field by field, as tp_frame.h lays it out. */
static void raw_hdr(uint8_t hdr[TP_FRAME_HDR_LEN], uint8_t type,
                    uint32_t channel, uint64_t seq, uint32_t len)
{
	tp_put_u16(hdr + 0, TP_FRAME_MAGIC);
	hdr[2] = TP_FRAME_VERSION;
	hdr[3] = type;
	hdr[4] = 0; /* flags */
	hdr[5] = TP_FRAME_CODEC_RAW;
	tp_put_u16(hdr + 6, 0); /* stripe */
	tp_put_u32(hdr + 8, channel);
	tp_put_u32(hdr + 12, len); /* payload_len */
	tp_put_u32(hdr + 16, len); /* raw_len */
	tp_put_u64(hdr + 20, seq);
	tp_put_u64(hdr + 28, 0); /* ack */
	/* One channel at a time: each frame follows the one before. */
	tp_put_u64(hdr + 36, seq ? seq - 1 : 0); /* chan_prev */
}

static int raw_send(struct raw_peer *rp, uint8_t type, uint32_t channel,
                    uint64_t seq, const uint8_t *payload, uint32_t len)
{
	uint8_t hdr[TP_FRAME_HDR_LEN];

	raw_hdr(hdr, type, channel, seq, len);
	if (raw_write(rp, hdr, sizeof(hdr)) < 0)
		return -1;
	return len ? raw_write(rp, payload, len) : 0;
}

/* Next frame from the attacked side; its payload in buf. */
static int raw_recv(struct raw_peer *rp, struct tp_frame_hdr *hdr, uint8_t *buf,
                    size_t cap)
{
	uint8_t raw[TP_FRAME_HDR_LEN];

	if (raw_read(rp, raw, sizeof(raw)) < 0 ||
	    tp_frame_hdr_decode(hdr, raw, sizeof(raw), NULL) < 0 ||
	    hdr->payload_len > cap)
		return -1;
	return raw_read(rp, buf, hdr->payload_len);
}

static int raw_send_hello(struct raw_peer *rp)
{
	struct tp_frame_hello hello = {
		.min_version = TP_PROTO_VERSION_MIN,
		.max_version = TP_PROTO_VERSION_MAX,
		.features = TP_HELLO_F_KNOWN,
		.chan_window = 1u << 20,
		.max_raw = TP_FRAME_RAW_MAX,
		.reorder_max = 8u << 20,
	};
	uint8_t payload[TP_FRAME_HELLO_LEN];

	if (rp->server)
		memset(hello.session_id, 0x5a, sizeof(hello.session_id));
	if (tp_frame_hello_encode(&hello, payload, NULL) != sizeof(payload))
		return -1;
	return raw_send(rp, TP_FRAME_HELLO, 0, 0, payload, sizeof(payload));
}

/* Read frames until one of type arrives; -1 at EOF or garbage. */
static int raw_expect(struct raw_peer *rp, uint8_t type, uint8_t *buf,
                      size_t cap, struct tp_frame_hdr *hdr)
{
	do {
		if (raw_recv(rp, hdr, buf, cap) < 0)
			return -1;
	} while (hdr->type != type);
	return 0;
}

/* A DATA frame on channel 1, broken as the case says. */
static int raw_send_fault(struct raw_peer *rp, uint64_t seq)
{
	uint8_t frame[TP_FRAME_HDR_LEN + 16];

	memset(frame, 'd', sizeof(frame));
	raw_hdr(frame, TP_FRAME_DATA, 1, seq, 16);
	switch (rp->fc->fault) {
	case F_MAGIC:
		tp_put_u16(frame, 0x4748); /* "GH" */
		break;
	case F_VERSION:
		frame[2] = 1; /* what a version 1 peer sends */
		break;
	case F_TYPE:
		frame[3] = 42;
		break;
	case F_RESERVED:
		frame[4] = 0x80;
		break;
	case F_OVERSIZE:
		/* Only 16 bytes follow: the header alone must be refused. */
		tp_put_u32(frame + 12, TP_FRAME_RAW_MAX + 1);
		tp_put_u32(frame + 16, TP_FRAME_RAW_MAX + 1);
		break;
	}
	return raw_write(rp, frame, sizeof(frame));
}

static const char *raw_attack(struct raw_peer *rp)
{
	static const char *const names[CHANS] = { "a", "b" };
	uint8_t buf[TP_FRAME_HELLO_LEN + TP_FRAME_REASON_MAX + 64];
	struct tp_frame_open open = { .priority = 1, .window = 1u << 20 };
	struct tp_frame_reason reason;
	struct tp_frame_hdr hdr;
	ssize_t n;

	if (rp->server) {
		/* The client speaks first, then opens its channels. */
		if (raw_expect(rp, TP_FRAME_HELLO, buf, sizeof(buf), &hdr) <
		        0 ||
		    raw_send_hello(rp) < 0)
			return "no client hello";
		for (int i = 0; i < CHANS; i++)
			if (raw_expect(rp, TP_FRAME_OPEN, buf, sizeof(buf),
			               &hdr) < 0)
				return "no OPEN from the client";
		if (raw_send_fault(rp, 1) < 0)
			return "cannot send the bad frame";
	} else {
		if (raw_send_hello(rp) < 0 ||
		    raw_expect(rp, TP_FRAME_HELLO, buf, sizeof(buf), &hdr) < 0)
			return "no server hello";
		for (int i = 0; i < CHANS; i++) {
			open.name_len = 1;
			memcpy(open.name, names[i], 2);
			n = tp_frame_open_encode(&open, buf, NULL);
			if (n < 0 ||
			    raw_send(rp, TP_FRAME_OPEN, 2u * i + 1,
			             (uint64_t)i + 1, buf, (uint32_t)n) < 0)
				return "cannot send OPEN";
		}
		if (raw_send_fault(rp, CHANS + 1) < 0)
			return "cannot send the bad frame";
	}
	if (raw_expect(rp, TP_FRAME_CLOSE, buf, sizeof(buf), &hdr) < 0)
		return "no CLOSE from the attacked side";
	if (tp_frame_reason_decode(&reason, buf, hdr.payload_len, NULL) < 0)
		return "bad CLOSE reason";
	rp->got_close = true;
	rp->close_code = reason.code;
	memcpy(rp->close_msg, reason.msg, sizeof(rp->close_msg));
	/* Then the attacked side hangs up. */
	while (raw_recv(rp, &hdr, buf, sizeof(buf)) == 0)
		;
	return NULL;
}

/* A channel frame with an explicit chan_prev. */
static int raw_send_chain(struct raw_peer *rp, uint8_t type, uint32_t channel,
                          uint64_t seq, uint64_t prev, const char *payload)
{
	uint32_t len = payload ? (uint32_t)strlen(payload) : 0;
	uint8_t hdr[TP_FRAME_HDR_LEN];

	raw_hdr(hdr, type, channel, seq, len);
	tp_put_u64(hdr + 36, prev);
	if (raw_write(rp, hdr, sizeof(hdr)) < 0)
		return -1;
	return len ? raw_write(rp, (const uint8_t *)payload, len) : 0;
}

/*
 * Channels 1 ("a") and 3 ("b"), then seq 3 held back as if its stripe
 * stalled: b's next frame (4) must wait for it, a's (5) must not. Once the
 * test says go, 3 arrives, then 5 again as a resend.
 */
static const char *raw_out_of_order(struct raw_peer *rp)
{
	uint8_t buf[TP_FRAME_HELLO_LEN + TP_FRAME_REASON_MAX + 64];
	struct tp_frame_open open = { .priority = 1, .window = 1u << 20 };
	struct tp_frame_hdr hdr;
	char go;
	ssize_t n;

	if (raw_send_hello(rp) < 0 ||
	    raw_expect(rp, TP_FRAME_HELLO, buf, sizeof(buf), &hdr) < 0)
		return "no server hello";
	for (uint32_t i = 0; i < 2; i++) {
		open.name_len = 1;
		memcpy(open.name, i ? "b" : "a", 2);
		n = tp_frame_open_encode(&open, buf, NULL);
		if (n < 0 ||
		    raw_send(rp, TP_FRAME_OPEN, 2u * i + 1, i + 1, buf,
		             (uint32_t)n) < 0)
			return "cannot send OPEN";
	}
	if (raw_send_chain(rp, TP_FRAME_DATA, 3, 4, 3, "B2") < 0 ||
	    raw_send_chain(rp, TP_FRAME_DATA, 1, 5, 1, "A1") < 0)
		return "cannot send the first DATA";
	if (read(rp->go, &go, 1) != 1)
		return "no go from the test";
	if (raw_send_chain(rp, TP_FRAME_DATA, 3, 3, 2, "B1") < 0 ||
	    raw_send_chain(rp, TP_FRAME_DATA, 1, 5, 1, "A1") < 0)
		return "cannot send the rest";
	/* Until the session goes away. */
	while (raw_recv(rp, &hdr, buf, sizeof(buf)) == 0)
		;
	return NULL;
}

static void *raw_main(void *arg)
{
	struct raw_peer *rp = arg;
	struct tp_tls_conf tconf = { .psk_identity = "lab",
		                     .psk_hex = psk_hex };
	struct tp_error err = { 0 };
	const char *why = "TLS setup failed";
	int fd;

	if (rp->server) {
		fd = accept(rp->fd, NULL, NULL);
		close(rp->fd);
		rp->fd = fd;
	}
	rp->tls = tp_tls_new(&tconf, rp->server, &err);
	if (rp->fd >= 0 && rp->tls)
		rp->conn = tp_tls_conn_new(rp->tls, rp->fd, "victim", &err);
	if (rp->conn && tp_tls_conn_handshake(rp->conn, &err) == 0)
		why = rp->fc ? raw_attack(rp) : raw_out_of_order(rp);
	if (why)
		snprintf(rp->fail, sizeof(rp->fail), "%s %s", why, err.msg);
	tp_tls_conn_free(rp->conn);
	tp_tls_free(rp->tls);
	if (rp->fd >= 0)
		close(rp->fd);
	return NULL;
}

/* The local ends the attacked side's channels were joined to. */
static int app_fds[CHANS];
static atomic_int app_count;

static int fault_on_open(void *arg, const char *name, unsigned int priority)
{
	int sv[2], n;

	(void)arg;
	(void)name;
	(void)priority;
	n = app_count;
	if (n >= CHANS ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -EAGAIN;
	app_fds[n] = sv[0];
	app_count = n + 1;
	return sv[1];
}

static void conf_psk(struct tp_session_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	conf->tls.psk_identity = "lab";
	conf->tls.psk_hex = psk_hex;
	conf->stripes = 1;
	conf->handshake_ms = 3000;
	conf->on_open = fault_on_open;
}

/*
 * Run the attacked session to its end and check how it ended; its
 * channels are 1 and 3 (opened by the client), their local ends in
 * app_fds.
 */
static void check_victim(struct tp_session *s, struct raw_peer *rp)
{
	const struct fault_case *fc = rp->fc;
	struct tp_error err = { 0 }, cerr = { 0 };
	uint64_t start = tt_now_ms();
	struct tp_chan *chan;
	char buf[16];
	int ret;

	ret = tp_session_run(s, 5000, &err);
	cr_log_info("attacked %s: %s", rp->server ? "client" : "server",
	            err.msg);
	cr_assert_eq(ret, fc->code, "ret %d: %s", ret, err.msg);
	cr_assert_lt(tt_now_ms() - start, 2000);
	cr_assert(strstr(err.msg, "peer 127.0.0.1:"), "%s", err.msg);
	cr_assert(strstr(err.msg, "[psk:lab]"), "%s", err.msg);
	cr_assert(strstr(err.msg, fc->text), "\"%s\" lacks \"%s\"", err.msg,
	          fc->text);
	/* Latched. */
	cr_assert_eq(tp_session_run(s, 10, NULL), fc->code);
	cr_assert_eq(app_count, CHANS);
	for (int i = 0; i < CHANS; i++) {
		chan = tp_chan_find(s, 2u * i + 1);
		cr_assert(chan, "channel %d missing", 2 * i + 1);
		cr_assert_eq(tp_chan_error(chan, &cerr), fc->code,
		             "channel %u: %s", tp_chan_id(chan), cerr.msg);
		cr_assert(strstr(cerr.msg, "session failed"), "%s", cerr.msg);
		cr_assert(strstr(cerr.msg, fc->text), "%s", cerr.msg);
		cr_assert_eq(read(app_fds[i], buf, sizeof(buf)), 0,
		             "channel %u: local fd still open",
		             tp_chan_id(chan));
		close(app_fds[i]);
	}
	tp_session_free(s);
	pthread_join(rp->thread, NULL);
	cr_assert_eq(rp->fail[0], '\0', "raw peer: %s", rp->fail);
	cr_assert(rp->got_close, "no CLOSE");
	cr_assert_eq(rp->close_code, (uint32_t)-fc->code);
	cr_assert(strstr(rp->close_msg, fc->text), "CLOSE says \"%s\"",
	          rp->close_msg);
}

static void loopback(struct sockaddr_in *sin, uint16_t port)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
}

/*
 * A listener, and the raw client rp connected to it in its own thread:
 * the session the listener accepted, past its handshake.
 */
static struct tp_session *raw_client_session(struct raw_peer *rp,
                                             struct tp_listener **listener)
{
	struct tp_session_conf conf;
	struct tp_error err = { 0 };
	struct tp_session *s;
	struct sockaddr_in sin;

	conf_psk(&conf);
	*listener = tp_listener_new(&conf, "127.0.0.1", 0, &err);
	cr_assert(*listener, "%s", err.msg);
	loopback(&sin, tp_listener_port(*listener));
	rp->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_eq(connect(rp->fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	cr_assert_eq(pthread_create(&rp->thread, NULL, raw_main, rp), 0);
	s = tp_listener_accept(*listener, 5000, &err);
	cr_assert(s, "%s", err.msg);
	cr_assert_eq(tp_session_handshake(s, &err), 0, "%s", err.msg);
	return s;
}

/* A raw client attacks the session a listener accepted. */
static void attack_server(const struct fault_case *fc)
{
	struct raw_peer rp = { .server = false, .fc = fc };
	struct tp_listener *listener;
	int baseline = tt_fd_count();

	check_victim(raw_client_session(&rp, &listener), &rp);
	tp_listener_free(listener);
	cr_assert_eq(tt_fd_count(), baseline);
}

/* A raw server attacks a client session with two channels open. */
static void attack_client(const struct fault_case *fc)
{
	struct raw_peer rp = { .server = true, .fc = fc };
	struct tp_session_conf conf;
	struct tp_error err = { 0 };
	struct tp_session *s;
	struct sockaddr_in sin;
	socklen_t sin_len = sizeof(sin);
	int baseline = tt_fd_count();

	conf_psk(&conf);
	loopback(&sin, 0);
	rp.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_eq(bind(rp.fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	cr_assert_eq(getsockname(rp.fd, (struct sockaddr *)&sin, &sin_len), 0);
	cr_assert_eq(listen(rp.fd, 1), 0);
	cr_assert_eq(pthread_create(&rp.thread, NULL, raw_main, &rp), 0);
	s = tp_session_connect(&conf, "127.0.0.1", ntohs(sin.sin_port), &err);
	cr_assert(s, "%s", err.msg);
	cr_assert_eq(tp_session_handshake(s, &err), 0, "%s", err.msg);
	for (int i = 0; i < CHANS; i++) {
		tt_chan_open_pair(s, i ? "b" : "a", &app_fds[i]);
		app_count = i + 1;
	}
	check_victim(s, &rp);
	cr_assert_eq(tt_fd_count(), baseline);
}

ParameterizedTestParameters(transport_fault, attacked_server)
{
	return cr_make_param_array(struct fault_case, fault_cases, FAULT_CASES);
}

ParameterizedTest(const struct fault_case *fc, transport_fault, attacked_server,
                  .timeout = 10)
{
	attack_server(fc);
}

ParameterizedTestParameters(transport_fault, attacked_client)
{
	return cr_make_param_array(struct fault_case, fault_cases, FAULT_CASES);
}

ParameterizedTest(const struct fault_case *fc, transport_fault, attacked_client,
                  .timeout = 10)
{
	attack_client(fc);
}

/* Bytes on fd within timeout_ms, into buf (NUL-terminated). */
static size_t read_some(int fd, char *buf, size_t cap, size_t want,
                        int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t got = 0;
	ssize_t n;

	while (got < want && poll(&pfd, 1, timeout_ms) == 1) {
		n = read(fd, buf + got, cap - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	return got;
}

Test(transport_fault, gap_holds_only_its_channel, .timeout = 10)
{
	struct raw_peer rp = { .server = false };
	struct tp_error err = { 0 };
	struct tp_listener *listener;
	struct tp_runner *runner;
	struct tp_session *s;
	struct tp_stats st;
	int go[2], baseline = tt_fd_count();
	char buf[16];

	cr_assert_eq(pipe(go), 0);
	rp.go = go[0];
	s = raw_client_session(&rp, &listener);
	runner = tp_runner_start(s, &err);
	cr_assert(runner, "%s", err.msg);
	for (int i = 0; i < 200 && app_count < CHANS; i++)
		usleep(10000);
	cr_assert_eq(app_count, CHANS, "the channels did not open");

	/* a's frame overtook the gap at seq 3; b's waits behind it. */
	cr_assert_eq(read_some(app_fds[0], buf, sizeof(buf), 2, 2000), 2);
	cr_assert_str_eq(buf, "A1");
	cr_assert_eq(read_some(app_fds[1], buf, sizeof(buf), 1, 300), 0,
	             "b delivered \"%s\" across its gap", buf);
	cr_assert_eq(write(go[1], "g", 1), 1);
	/* The gap filled: b in its own order; the resent 5 dropped. */
	cr_assert_eq(read_some(app_fds[1], buf, sizeof(buf), 4, 2000), 4);
	cr_assert_str_eq(buf, "B1B2");
	cr_assert_eq(read_some(app_fds[0], buf, sizeof(buf), 1, 300), 0,
	             "a got \"%s\" twice", buf);

	tp_runner_stats(runner, &st);
	cr_assert_geq(st.rx_duplicate, 1);
	cr_assert_geq(st.rx_reordered, 2, "held 4, overtook with 5");
	tp_runner_stop(runner, NULL);
	tp_session_free(s);
	pthread_join(rp.thread, NULL);
	cr_assert_eq(rp.fail[0], '\0', "raw peer: %s", rp.fail);
	for (int i = 0; i < CHANS; i++)
		close(app_fds[i]);
	close(go[0]);
	close(go[1]);
	tp_listener_free(listener);
	cr_assert_eq(tt_fd_count(), baseline);
}
