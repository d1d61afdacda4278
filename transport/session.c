/*
 * session.c: one transport session = one TLS 1.3 connection, one epoll
 * loop. Frames in are decoded and dispatched as soon as they are complete;
 * frames out are built one at a time by a strict-priority scheduler:
 * session control, then per-channel control (OPEN, RESET, CREDIT, EOF),
 * then DATA of control channels, then DATA of bulk channels (round robin
 * within a priority). Nothing but HELLO moves before both hellos agree.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "transport/session_priv.h"

#define TP_DEFAULT_CHAN_WINDOW   (1u << 20)
#define TP_DEFAULT_CHAN_SEND_CAP (256u << 10)
#define TP_DEFAULT_SESSION_CAP   (64ull << 20)
#define TP_DEFAULT_MAX_FRAME     (64u << 10)
#define TP_DEFAULT_KEEPALIVE_MS  1000u
#define TP_DEFAULT_DEAD_MS       5000u
#define TP_DEFAULT_HANDSHAKE_MS  10000u
#define TP_FLUSH_FRAMES_MAX      64
#define TP_READ_ROUNDS_MAX       64

uint64_t tp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int tp_session_conf_apply(struct tp_session_conf *conf,
                                 struct tp_error *err)
{
	if (!conf->chan_window)
		conf->chan_window = TP_DEFAULT_CHAN_WINDOW;
	if (!conf->chan_send_cap)
		conf->chan_send_cap = TP_DEFAULT_CHAN_SEND_CAP;
	if (!conf->session_cap)
		conf->session_cap = TP_DEFAULT_SESSION_CAP;
	if (!conf->max_frame)
		conf->max_frame = TP_DEFAULT_MAX_FRAME;
	if (!conf->keepalive_ms)
		conf->keepalive_ms = TP_DEFAULT_KEEPALIVE_MS;
	if (!conf->dead_ms)
		conf->dead_ms = TP_DEFAULT_DEAD_MS;
	if (!conf->handshake_ms)
		conf->handshake_ms = TP_DEFAULT_HANDSHAKE_MS;
	if (conf->codec > TP_FRAME_CODEC_MAX)
		return tp_error_set(err, -EINVAL, "unknown codec %u",
		                    conf->codec);
	if (conf->max_frame > TP_FRAME_RAW_MAX ||
	    conf->max_frame < TP_FRAME_RAW_MIN_MAX)
		return tp_error_set(err, -EINVAL, "max_frame %u outside %u..%u",
		                    conf->max_frame, TP_FRAME_RAW_MIN_MAX,
		                    TP_FRAME_RAW_MAX);
	if (conf->chan_window < TP_FRAME_RAW_MIN_MAX ||
	    conf->chan_send_cap < TP_FRAME_RAW_MIN_MAX)
		return tp_error_set(err, -EINVAL,
		                    "channel buffers must be at least %u bytes",
		                    TP_FRAME_RAW_MIN_MAX);
	if (conf->dead_ms <= conf->keepalive_ms)
		return tp_error_set(err, -EINVAL,
		                    "dead peer timeout %u ms must exceed the "
		                    "keepalive interval %u ms",
		                    conf->dead_ms, conf->keepalive_ms);
	return 0;
}

int tp_session_watch(struct tp_session *session, struct tp_watch *watch,
                     uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = watch };
	int op;

	if (watch->fd < 0 || events == watch->events)
		return 0;
	if (watch->events == 0)
		op = EPOLL_CTL_ADD;
	else if (events == 0)
		op = EPOLL_CTL_DEL;
	else
		op = EPOLL_CTL_MOD;
	if (epoll_ctl(session->epfd, op, watch->fd, &ev) < 0)
		return -errno;
	watch->events = events;
	return 0;
}

static void tp_sockaddr_name(int fd, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[48] = "?";
	unsigned int port = 0;

	snprintf(buf, len, "?");
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) < 0)
		return;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		port = ntohs(sin->sin_port);
		snprintf(buf, len, "%s:%u", host, port);
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		port = ntohs(sin6->sin6_port);
		snprintf(buf, len, "[%s]:%u", host, port);
	}
}

struct tp_session *tp_session_new(const struct tp_session_conf *conf,
                                  struct tp_tls *tls, bool own_tls, int fd,
                                  bool server, struct tp_error *err)
{
	struct tp_session *session;
	int one = 1, ret;

	session = calloc(1, sizeof(*session));
	if (!session) {
		tp_error_set(err, -ENOMEM, "out of memory");
		if (own_tls)
			tp_tls_free(tls);
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	session->conf = *conf;
	session->server = server;
	session->fd = fd;
	session->epfd = -1;
	session->tls = own_tls ? tls : NULL;
	session->wake_watch.fd = -1;
	session->next_chan_id = server ? 2 : 1;
	LIST_INIT(&session->chans);
	ret = tp_session_conf_apply(&session->conf, err);
	if (ret < 0)
		goto fail;
	tp_sockaddr_name(fd, session->addr, sizeof(session->addr));
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
		goto fail_errno;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	session->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (session->epfd < 0)
		goto fail_errno;
	session->wake_watch.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (session->wake_watch.fd < 0)
		goto fail_errno;
	session->wake_watch.kind = TP_WATCH_WAKEUP;
	session->wake_watch.owner = session;
	session->sock_watch.kind = TP_WATCH_SOCKET;
	session->sock_watch.owner = session;
	session->sock_watch.fd = fd;
	if (tp_session_watch(session, &session->wake_watch, EPOLLIN) < 0 ||
	    tp_session_watch(session, &session->sock_watch, EPOLLIN) < 0)
		goto fail_errno;
	session->rxbuf = malloc(TP_FRAME_LEN_MAX);
	session->txbuf = malloc(TP_FRAME_LEN_MAX);
	session->scratch = malloc(TP_FRAME_RAW_MAX);
	session->codec =
	    tp_codec_new(session->conf.codec, session->conf.codec_level);
	if (!session->rxbuf || !session->txbuf || !session->scratch ||
	    !session->codec) {
		ret = tp_error_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	session->conn = tp_tls_conn_new(tls, fd, session->addr, err);
	if (!session->conn) {
		ret = -ENOMEM;
		goto fail;
	}
	session->last_rx_ms = tp_now_ms();
	session->last_ping_ms = session->last_rx_ms;
	return session;
fail_errno:
	ret = tp_error_set(err, -errno, "peer %s: session setup: %s",
	                   session->addr, strerror(errno));
fail:
	tp_session_free(session);
	errno = -ret;
	return NULL;
}

void tp_session_free(struct tp_session *session)
{
	int saved_errno = errno;
	struct tp_chan *chan;

	if (!session)
		return;
	while ((chan = LIST_FIRST(&session->chans)))
		tp_chan_free(chan);
	tp_tls_conn_free(session->conn);
	tp_tls_free(session->tls);
	tp_codec_free(session->codec);
	if (session->fd >= 0)
		close(session->fd);
	if (session->epfd >= 0)
		close(session->epfd);
	if (session->wake_watch.fd >= 0)
		close(session->wake_watch.fd);
	free(session->rxbuf);
	free(session->txbuf);
	free(session->scratch);
	free(session);
	errno = saved_errno;
}

int tp_session_fail(struct tp_session *session, int code, const char *fmt, ...)
{
	struct tp_chan *chan;
	va_list ap;

	if (session->state == TP_SESSION_FAILED)
		return session->err.code;
	session->state = TP_SESSION_FAILED;
	session->err.code = code;
	va_start(ap, fmt);
	vsnprintf(session->err.msg, sizeof(session->err.msg), fmt, ap);
	va_end(ap);
	LIST_FOREACH(chan, &session->chans, entry)
	{
		chan->reset_pending = false;
		if (!chan->done)
			tp_chan_fail(chan, code, false,
			             "channel %u (%s): session failed: %s",
			             chan->id, chan->name, session->err.msg);
	}
	return code;
}

const char *tp_session_peer(const struct tp_session *session)
{
	return session->conn ? tp_tls_conn_peer(session->conn) : session->addr;
}

/* Put a header in front of the payload already at txbuf + HDR. */
static int tp_session_emit(struct tp_session *session, uint8_t type,
                           uint32_t channel, uint8_t codec,
                           uint32_t payload_len, uint32_t raw_len)
{
	struct tp_frame_hdr hdr = {
		.version = TP_FRAME_VERSION,
		.type = type,
		.codec = codec,
		.channel = channel,
		.payload_len = payload_len,
		.raw_len = raw_len,
		.seq = session->tx_seq + 1,
	};
	struct tp_error err = { 0 };
	int ret;

	if (session->rx_seq) {
		hdr.flags = TP_FRAME_F_ACK;
		hdr.ack = session->rx_seq;
	}
	ret = tp_frame_hdr_encode(&hdr, session->txbuf, &err);
	if (ret < 0)
		abort(); /* we built a frame our own decoder rejects */
	session->tx_seq++;
	session->tx_len = TP_FRAME_HDR_LEN + payload_len;
	session->tx_off = 0;
	session->stats.tx_wire +=
	    TP_FRAME_HDR_LEN + (type == TP_FRAME_DATA ? 0 : payload_len);
	return 0;
}

static uint8_t *tp_session_payload(struct tp_session *session)
{
	return session->txbuf + TP_FRAME_HDR_LEN;
}

static bool tp_session_fill_hello(struct tp_session *session)
{
	struct tp_frame_hello hello = {
		.min_version = TP_PROTO_VERSION_MIN,
		.max_version = TP_PROTO_VERSION_MAX,
		.features = TP_HELLO_F_LZ4 | TP_HELLO_F_ZSTD,
		.chan_window = session->conf.chan_window,
		.max_raw = session->conf.chan_window < TP_FRAME_RAW_MAX
		               ? session->conf.chan_window
		               : TP_FRAME_RAW_MAX,
	};
	ssize_t n;

	n = tp_frame_hello_encode(&hello, tp_session_payload(session), NULL);
	session->hello_pending = false;
	tp_session_emit(session, TP_FRAME_HELLO, 0, 0, (uint32_t)n,
	                (uint32_t)n);
	return true;
}

/* OPEN, RESET, CREDIT or EOF of one channel, if it has one due. */
static bool tp_session_fill_chan_control(struct tp_session *session,
                                         struct tp_chan *chan)
{
	uint8_t *p = tp_session_payload(session);
	struct tp_frame_reason reason = { 0 };
	struct tp_frame_open open = { 0 };
	ssize_t n;

	if (chan->open_pending) {
		open.priority = chan->priority;
		open.window = session->conf.chan_window;
		open.name_len = (uint16_t)strlen(chan->name);
		memcpy(open.name, chan->name, open.name_len);
		n = tp_frame_open_encode(&open, p, NULL);
		chan->open_pending = false;
		tp_session_emit(session, TP_FRAME_OPEN, chan->id, 0,
		                (uint32_t)n, (uint32_t)n);
		return true;
	}
	if (chan->reset_pending) {
		reason.code = chan->reset_code;
		reason.msg_len = (uint16_t)snprintf(
		    reason.msg, sizeof(reason.msg), "%s", chan->err.msg);
		if (reason.msg_len > TP_FRAME_REASON_MAX)
			reason.msg_len = TP_FRAME_REASON_MAX;
		n = tp_frame_reason_encode(&reason, p, NULL);
		chan->reset_pending = false;
		tp_session_emit(session, TP_FRAME_RESET, chan->id, 0,
		                (uint32_t)n, (uint32_t)n);
		return true;
	}
	if (chan->done)
		return false;
	if (chan->credit_owed > 0 && !chan->remote_eof &&
	    chan->credit_owed >= session->conf.chan_window / 4) {
		n = tp_frame_credit_encode(chan->credit_owed, p, NULL);
		chan->credit_owed = 0;
		tp_session_emit(session, TP_FRAME_CREDIT, chan->id, 0,
		                (uint32_t)n, (uint32_t)n);
		return true;
	}
	if (chan->local_eof && chan->tx.len == 0 && !chan->eof_sent) {
		chan->eof_sent = true;
		tp_session_emit(session, TP_FRAME_EOF, chan->id, 0, 0, 0);
		tp_chan_check_done(chan);
		return true;
	}
	return false;
}

static bool tp_chan_can_send(const struct tp_chan *chan)
{
	return !chan->done && !chan->open_pending && chan->tx.len > 0 &&
	       chan->send_credit > 0;
}

static bool tp_session_fill_data(struct tp_session *session,
                                 struct tp_chan *chan)
{
	struct tp_error err = { 0 };
	const uint8_t *data;
	size_t n, wire_len = 0;
	uint8_t codec = 0;
	int ret;

	n = tp_ring_data_contig(&chan->tx, &data);
	if (n > chan->send_credit)
		n = (size_t)chan->send_credit;
	if (n > session->peer_max_raw)
		n = session->peer_max_raw;
	if (n > session->conf.max_frame)
		n = session->conf.max_frame;
	ret = tp_codec_encode(session->codec, data, n,
	                      tp_session_payload(session), &wire_len, &codec,
	                      &err);
	if (ret < 0) {
		tp_session_fail(session, ret, "peer %s: %s",
		                tp_session_peer(session), err.msg);
		return false;
	}
	tp_session_emit(session, TP_FRAME_DATA, chan->id, codec,
	                (uint32_t)wire_len, (uint32_t)n);
	tp_ring_consume(&chan->tx, n);
	chan->send_credit -= n;
	tp_stats_add_tx(&chan->stats, n, TP_FRAME_HDR_LEN + wire_len);
	tp_stats_add_tx(&session->stats, n, TP_FRAME_HDR_LEN + wire_len);
	tp_chan_update(chan);
	return true;
}

/* Next DATA channel of a priority, round robin after the last one. */
static struct tp_chan *tp_session_pick(struct tp_session *session,
                                       unsigned int prio)
{
	struct tp_chan *start, *chan;

	start = session->rr_cursor[prio]
	            ? LIST_NEXT(session->rr_cursor[prio], entry)
	            : NULL;
	for (chan = start; chan; chan = LIST_NEXT(chan, entry))
		if (chan->priority == prio && tp_chan_can_send(chan))
			return chan;
	for (chan = LIST_FIRST(&session->chans); chan && chan != start;
	     chan = LIST_NEXT(chan, entry))
		if (chan->priority == prio && tp_chan_can_send(chan))
			return chan;
	return NULL;
}

/* Build the next frame into txbuf; false when nothing is due. */
static bool tp_session_fill(struct tp_session *session)
{
	uint8_t *p = tp_session_payload(session);
	struct tp_chan *chan;
	unsigned int prio;

	if (session->hello_pending)
		return tp_session_fill_hello(session);
	if (session->state != TP_SESSION_OPEN)
		return false;
	if (session->pong_pending) {
		session->pong_pending = false;
		tp_frame_ping_encode(session->pong_opaque, p);
		tp_session_emit(session, TP_FRAME_PONG, 0, 0, 8, 8);
		return true;
	}
	if (session->ping_pending) {
		session->ping_pending = false;
		tp_frame_ping_encode(tp_now_ms(), p);
		tp_session_emit(session, TP_FRAME_PING, 0, 0, 8, 8);
		return true;
	}
	for (prio = TP_PRIO_CONTROL; prio <= TP_PRIO_BULK; prio++)
		LIST_FOREACH(chan, &session->chans, entry)
	if (chan->priority == prio &&
	    tp_session_fill_chan_control(session, chan))
		return true;
	for (prio = TP_PRIO_CONTROL; prio <= TP_PRIO_BULK; prio++) {
		chan = tp_session_pick(session, prio);
		if (chan) {
			session->rr_cursor[prio] = chan;
			return tp_session_fill_data(session, chan);
		}
	}
	return false;
}

/* Write queued frames until the socket is full or nothing is due. */
static void tp_session_flush(struct tp_session *session)
{
	struct tp_error err = { 0 };
	int frames = 0;
	ssize_t n;

	session->write_blocked = false;
	while (session->state == TP_SESSION_HELLO ||
	       session->state == TP_SESSION_OPEN) {
		if (session->tx_off == session->tx_len) {
			if (frames++ >= TP_FLUSH_FRAMES_MAX ||
			    !tp_session_fill(session))
				return;
		}
		n = tp_tls_conn_write(session->conn,
		                      session->txbuf + session->tx_off,
		                      session->tx_len - session->tx_off, &err);
		if (n == -EAGAIN) {
			session->write_blocked = true;
			return;
		}
		if (n < 0) {
			tp_session_fail(session, (int)n, "%s", err.msg);
			return;
		}
		session->tx_off += (size_t)n;
	}
}

static int tp_session_recv_hello(struct tp_session *session,
                                 const struct tp_frame_hdr *hdr,
                                 const uint8_t *payload)
{
	struct tp_frame_hello hello;
	struct tp_error err = { 0 };
	unsigned int low, high;
	int ret;

	if (session->state != TP_SESSION_HELLO)
		return tp_session_fail(session, -EPROTO,
		                       "peer %s: second HELLO",
		                       tp_session_peer(session));
	ret = tp_frame_hello_decode(&hello, payload, hdr->payload_len, &err);
	if (ret < 0)
		return tp_session_fail(session, ret, "peer %s: bad hello: %s",
		                       tp_session_peer(session), err.msg);
	low = hello.min_version > TP_PROTO_VERSION_MIN ? hello.min_version
	                                               : TP_PROTO_VERSION_MIN;
	high = hello.max_version < TP_PROTO_VERSION_MAX ? hello.max_version
	                                                : TP_PROTO_VERSION_MAX;
	if (low > high)
		return tp_session_fail(session, -EPROTO,
		                       "peer %s: no common protocol version "
		                       "(peer %u..%u, ours %u..%u)",
		                       tp_session_peer(session),
		                       hello.min_version, hello.max_version,
		                       TP_PROTO_VERSION_MIN,
		                       TP_PROTO_VERSION_MAX);
	if (session->conf.codec != TP_FRAME_CODEC_RAW &&
	    !(hello.features & (1u << (session->conf.codec - 1))))
		return tp_session_fail(session, -EPROTO,
		                       "peer %s: cannot decode %s",
		                       tp_session_peer(session),
		                       tp_codec_name(session->conf.codec));
	session->version = high;
	session->peer_max_raw = hello.max_raw;
	session->peer_window = hello.chan_window;
	session->state = TP_SESSION_OPEN;
	return 0;
}

/* Refuse the peer's OPEN: a done channel that only sends RESET. */
static int tp_session_refuse_open(struct tp_session *session, uint32_t id,
                                  int code, const char *why)
{
	struct tp_chan *chan = calloc(1, sizeof(*chan));

	if (!chan)
		return tp_session_fail(session, -ENOMEM, "out of memory");
	chan->session = session;
	chan->id = id;
	chan->done = true;
	chan->watch.fd = -1;
	chan->reset_pending = true;
	chan->reset_code = (uint32_t)-code;
	chan->err.code = code;
	snprintf(chan->err.msg, sizeof(chan->err.msg), "%s", why);
	LIST_INSERT_HEAD(&session->chans, chan, entry);
	return 0;
}

static int tp_session_recv_open(struct tp_session *session,
                                const struct tp_frame_hdr *hdr,
                                const uint8_t *payload)
{
	struct tp_frame_open open;
	struct tp_error err = { 0 };
	struct tp_chan *chan;
	int ret, fd;

	if ((hdr->channel & 1u) != (session->server ? 1u : 0u) ||
	    tp_chan_find(session, hdr->channel))
		return tp_session_fail(session, -EPROTO,
		                       "peer %s: OPEN of bad channel id %u",
		                       tp_session_peer(session), hdr->channel);
	ret = tp_frame_open_decode(&open, payload, hdr->payload_len, &err);
	if (ret < 0)
		return tp_session_fail(session, ret, "peer %s: %s",
		                       tp_session_peer(session), err.msg);
	if (!session->conf.on_open)
		return tp_session_refuse_open(session, hdr->channel,
		                              -ECONNREFUSED,
		                              "this side accepts no channels");
	fd = session->conf.on_open(session->conf.on_open_arg, open.name,
	                           open.priority);
	if (fd < 0)
		return tp_session_refuse_open(session, hdr->channel, fd,
		                              "channel refused");
	chan = tp_chan_new(session, hdr->channel, open.name, open.priority, fd,
	                   open.window, &err);
	if (!chan)
		return tp_session_refuse_open(session, hdr->channel, err.code,
		                              err.msg);
	return 0;
}

static int tp_session_recv_frame(struct tp_session *session,
                                 const struct tp_frame_hdr *hdr,
                                 const uint8_t *payload)
{
	struct tp_frame_reason reason;
	struct tp_chan *chan;

	if (hdr->seq != session->rx_seq + 1)
		return tp_session_fail(
		    session, -EPROTO, "peer %s: frame seq %llu, expected %llu",
		    tp_session_peer(session), (unsigned long long)hdr->seq,
		    (unsigned long long)session->rx_seq + 1);
	if (hdr->stripe != 0)
		return tp_session_fail(session, -EPROTO,
		                       "peer %s: frame on unknown stripe %u",
		                       tp_session_peer(session), hdr->stripe);
	session->rx_seq = hdr->seq;
	session->last_rx_ms = tp_now_ms();
	if (hdr->type != TP_FRAME_DATA)
		session->stats.rx_wire += TP_FRAME_HDR_LEN + hdr->payload_len;
	if (hdr->type == TP_FRAME_HELLO)
		return tp_session_recv_hello(session, hdr, payload);
	if (session->state != TP_SESSION_OPEN)
		return tp_session_fail(
		    session, -EPROTO, "peer %s: %s frame before the hello",
		    tp_session_peer(session), tp_frame_type_name(hdr->type));
	switch (hdr->type) {
	case TP_FRAME_PING:
		session->pong_pending = true;
		return tp_frame_ping_decode(&session->pong_opaque, payload,
		                            hdr->payload_len, NULL);
	case TP_FRAME_PONG:
	case TP_FRAME_ACK:
		return 0;
	case TP_FRAME_CLOSE:
		if (tp_frame_reason_decode(&reason, payload, hdr->payload_len,
		                           NULL) < 0)
			reason.msg[0] = '\0';
		return tp_session_fail(session, -ECONNRESET,
		                       "peer %s closed the session: code %u %s",
		                       tp_session_peer(session), reason.code,
		                       reason.msg);
	case TP_FRAME_OPEN:
		return tp_session_recv_open(session, hdr, payload);
	default:
		chan = tp_chan_find(session, hdr->channel);
		if (!chan)
			return tp_session_fail(session, -EPROTO,
			                       "peer %s: %s frame for unknown "
			                       "channel %u",
			                       tp_session_peer(session),
			                       tp_frame_type_name(hdr->type),
			                       hdr->channel);
		return tp_chan_recv(chan, hdr, payload);
	}
}

/* Decode every complete frame in rxbuf. */
static void tp_session_parse(struct tp_session *session)
{
	struct tp_error err = { 0 };
	struct tp_frame_hdr hdr;
	const uint8_t *payload;
	size_t off = 0;
	ssize_t n;

	while (session->state == TP_SESSION_HELLO ||
	       session->state == TP_SESSION_OPEN) {
		n = tp_frame_decode(&hdr, &payload, session->rxbuf + off,
		                    session->rx_len - off, &err);
		if (n == -EAGAIN)
			break;
		if (n < 0) {
			tp_session_fail(session, (int)n, "peer %s: %s",
			                tp_session_peer(session), err.msg);
			return;
		}
		if (tp_session_recv_frame(session, &hdr, payload) < 0)
			return;
		off += (size_t)n;
	}
	memmove(session->rxbuf, session->rxbuf + off, session->rx_len - off);
	session->rx_len -= off;
}

static void tp_session_read(struct tp_session *session)
{
	struct tp_error err = { 0 };
	int rounds = 0;
	ssize_t n;

	while ((session->state == TP_SESSION_HELLO ||
	        session->state == TP_SESSION_OPEN) &&
	       rounds++ < TP_READ_ROUNDS_MAX) {
		n = tp_tls_conn_read(session->conn,
		                     session->rxbuf + session->rx_len,
		                     TP_FRAME_LEN_MAX - session->rx_len, &err);
		if (n == -EAGAIN)
			return;
		if (n == 0) {
			tp_session_fail(session, -ECONNRESET,
			                "peer %s closed the connection",
			                tp_session_peer(session));
			return;
		}
		if (n < 0) {
			tp_session_fail(session, (int)n, "%s", err.msg);
			return;
		}
		session->rx_len += (size_t)n;
		tp_session_parse(session);
	}
}

static void tp_session_drive_tls(struct tp_session *session)
{
	struct tp_error err = { 0 };
	int ret;

	ret = tp_tls_conn_handshake(session->conn, &err);
	if (ret == -EAGAIN)
		return;
	if (ret < 0) {
		tp_session_fail(session, ret, "%s", err.msg);
		return;
	}
	session->state = TP_SESSION_HELLO;
	session->hello_pending = true;
}

static void tp_session_handle_socket(struct tp_session *session)
{
	if (session->state == TP_SESSION_TLS)
		tp_session_drive_tls(session);
	if (session->state == TP_SESSION_HELLO ||
	    session->state == TP_SESSION_OPEN)
		tp_session_read(session);
}

static bool tp_session_live(const struct tp_session *session)
{
	return session->state == TP_SESSION_TLS ||
	       session->state == TP_SESSION_HELLO ||
	       session->state == TP_SESSION_OPEN;
}

/* Keepalive: ping on schedule, fail a silent peer. Returns ms to wait. */
static int tp_session_tick(struct tp_session *session)
{
	uint64_t now = tp_now_ms();
	uint64_t silent = now - session->last_rx_ms;
	uint64_t next_ping = session->last_ping_ms + session->conf.keepalive_ms;

	if (session->state == TP_SESSION_OPEN &&
	    silent > session->conf.dead_ms) {
		tp_session_fail(session, -ETIMEDOUT,
		                "peer %s: silent for %llu ms, presumed dead",
		                tp_session_peer(session),
		                (unsigned long long)silent);
		return 0;
	}
	if (session->state == TP_SESSION_OPEN && now >= next_ping) {
		session->ping_pending = true;
		session->last_ping_ms = now;
		next_ping = now + session->conf.keepalive_ms;
	}
	return (int)(next_ping > now ? next_ping - now : 0);
}

/* One round: flush, wait for events (at most wait_ms), dispatch. */
static void tp_session_step(struct tp_session *session, int wait_ms)
{
	struct epoll_event events[32];
	struct tp_watch *watch;
	uint32_t interest;
	uint64_t value;
	int n, i, tick;

	if (session->state == TP_SESSION_TLS)
		tp_session_drive_tls(session);
	tick = tp_session_tick(session);
	tp_session_flush(session);
	if (!tp_session_live(session))
		return;
	interest = EPOLLIN;
	if (session->state == TP_SESSION_TLS
	        ? tp_tls_conn_want_write(session->conn)
	        : session->write_blocked)
		interest |= EPOLLOUT;
	if (tp_session_watch(session, &session->sock_watch, interest) < 0) {
		tp_session_fail(session, -errno, "epoll: %s", strerror(errno));
		return;
	}
	if (wait_ms < 0 || wait_ms > tick)
		wait_ms = tick;
	n = epoll_wait(session->epfd, events, 32, wait_ms);
	if (n < 0 && errno != EINTR) {
		tp_session_fail(session, -errno, "epoll: %s", strerror(errno));
		return;
	}
	for (i = 0; i < n && tp_session_live(session); i++) {
		watch = events[i].data.ptr;
		switch (watch->kind) {
		case TP_WATCH_SOCKET:
			tp_session_handle_socket(session);
			break;
		case TP_WATCH_WAKEUP:
			if (read(watch->fd, &value, sizeof(value)) > 0)
				session->stop = 1;
			break;
		case TP_WATCH_CHAN:
			/* An earlier event may have released this fd. */
			if (((struct tp_chan *)watch->owner)->watch.fd >= 0)
				tp_chan_handle(watch->owner, events[i].events);
			break;
		}
	}
}

int tp_session_handshake(struct tp_session *session, struct tp_error *err)
{
	uint64_t deadline = tp_now_ms() + session->conf.handshake_ms;
	uint64_t now;

	while (session->state == TP_SESSION_TLS ||
	       session->state == TP_SESSION_HELLO) {
		now = tp_now_ms();
		if (now >= deadline) {
			tp_session_fail(session, -ETIMEDOUT,
			                "peer %s: handshake timed out after "
			                "%u ms",
			                tp_session_peer(session),
			                session->conf.handshake_ms);
			break;
		}
		tp_session_step(session, (int)(deadline - now));
	}
	/* Push our hello out even if the caller does not run the loop yet. */
	tp_session_flush(session);
	return tp_session_error(session, err);
}

int tp_session_run(struct tp_session *session, int timeout_ms,
                   struct tp_error *err)
{
	uint64_t deadline =
	    timeout_ms < 0 ? UINT64_MAX : tp_now_ms() + (uint64_t)timeout_ms;
	uint64_t now;

	session->stop = 0;
	while (tp_session_live(session) && !session->stop) {
		now = tp_now_ms();
		if (now >= deadline)
			break;
		tp_session_step(session, deadline == UINT64_MAX
		                             ? -1
		                             : (int)(deadline - now));
	}
	return tp_session_error(session, err);
}

void tp_session_stop(struct tp_session *session)
{
	uint64_t one = 1;
	ssize_t n;

	n = write(session->wake_watch.fd, &one, sizeof(one));
	(void)n;
}

int tp_session_error(const struct tp_session *session, struct tp_error *err)
{
	tp_error_copy(err, &session->err);
	return session->err.code;
}

unsigned int tp_session_version(const struct tp_session *session)
{
	return session->version;
}

void tp_session_stats(const struct tp_session *session, struct tp_stats *stats)
{
	*stats = session->stats;
}

size_t tp_session_buffered(const struct tp_session *session)
{
	const struct tp_chan *chan;
	size_t total = 0;

	LIST_FOREACH(chan, &session->chans, entry)
	total += chan->tx.len + chan->rx.len;
	return total;
}

unsigned int tp_session_chan_count(const struct tp_session *session)
{
	return session->chan_count;
}

struct tp_chan *tp_chan_open(struct tp_session *session, const char *name,
                             unsigned int priority, int local_fd,
                             struct tp_error *err)
{
	size_t name_len = name ? strlen(name) : 0;
	struct tp_chan *chan;

	if (session->state != TP_SESSION_OPEN) {
		if (local_fd >= 0)
			close(local_fd);
		if (session->err.code)
			return tp_error_copy(err, &session->err), NULL;
		tp_error_set(err, -ENOTCONN, "session not established");
		return NULL;
	}
	if (name_len < 1 || name_len > TP_FRAME_NAME_MAX ||
	    priority > TP_PRIO_BULK) {
		if (local_fd >= 0)
			close(local_fd);
		tp_error_set(err, -EINVAL, "bad channel name or priority");
		return NULL;
	}
	chan = tp_chan_new(session, session->next_chan_id, name, priority,
	                   local_fd, session->peer_window, err);
	if (!chan)
		return NULL;
	session->next_chan_id += 2;
	chan->open_pending = true;
	return chan;
}
