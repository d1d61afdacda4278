/*
 * stripe.c: one TCP connection ("stripe") of a session: connect (client),
 * TLS, reading and parsing frames, writing them one at a time, keepalive.
 * A stripe that fails is killed, not the session: its unacknowledged
 * frames go back to the replay list and the client reconnects it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "transport/session_priv.h"

#define TP_READ_ROUNDS_MAX 64
#define TP_BACKOFF_MIN_MS  20u
#define TP_BACKOFF_MAX_MS  1000u

static void tp_stripe_addr_name(int fd, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[48] = "?";

	snprintf(buf, len, "?");
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) < 0)
		return;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(sin->sin_port));
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, ntohs(sin6->sin6_port));
	}
}

void tp_stripe_sockbuf(const struct tp_session *session, int fd)
{
	tp_stripe_sockbuf_conf(&session->conf, fd);
}

#define TP_STRIPE_NOTSENT_LOWAT (128 << 10)

void tp_stripe_sockbuf_conf(const struct tp_session_conf *conf, int fd)
{
	int size = (int)conf->sockbuf;

	if (size <= 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
}

/* Take a connected (or connecting) fd: TLS starts on it. */
static int tp_stripe_attach(struct tp_stripe *stripe, int fd,
                            struct tp_error *err)
{
	struct tp_session *session = stripe->session;
	int one = 1, lowat = TP_STRIPE_NOTSENT_LOWAT;

	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
		close(fd);
		return tp_error_set(err, -errno, "fcntl: %s", strerror(errno));
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/*
	 * Keep what is queued in the kernel but not yet sent small: bulk
	 * frames wait in the channels instead, where a control frame
	 * overtakes them. A channel window of several MiB would otherwise
	 * park seconds of bulk data in front of it.
	 */
	setsockopt(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, sizeof(lowat));
	stripe->watch.fd = fd;
	stripe->watch.events = 0;
	stripe->rx_len = 0;
	stripe->tx_len = stripe->tx_off = 0;
	stripe->tx_entry = NULL;
	stripe->write_blocked = false;
	stripe->hello_pending = stripe->ping_pending = false;
	stripe->pong_pending = stripe->ack_pending = false;
	stripe->started_ms = tp_now_ms();
	stripe->last_rx_ms = stripe->last_ping_ms = stripe->started_ms;
	tp_stripe_sockbuf(session, fd);
	return 0;
}

static int tp_stripe_start_tls(struct tp_stripe *stripe, struct tp_error *err)
{
	struct tp_session *session = stripe->session;

	tp_stripe_addr_name(stripe->watch.fd, stripe->addr,
	                    sizeof(stripe->addr));
	stripe->conn =
	    tp_tls_conn_new(session->tls, stripe->watch.fd, stripe->addr, err);
	if (!stripe->conn)
		return -ENOMEM;
	stripe->state = TP_STRIPE_TLS;
	return 0;
}

struct tp_stripe *tp_stripe_new(struct tp_session *session, uint16_t index,
                                int fd, struct tp_error *err)
{
	struct tp_stripe *stripe = calloc(1, sizeof(*stripe));

	if (!stripe || !(stripe->rxbuf = malloc(TP_FRAME_LEN_MAX))) {
		free(stripe);
		if (fd >= 0)
			close(fd);
		tp_error_set(err, -ENOMEM, "out of memory");
		return NULL;
	}
	stripe->session = session;
	stripe->index = index;
	stripe->state = TP_STRIPE_IDLE;
	stripe->watch.kind = TP_WATCH_SOCKET;
	stripe->watch.owner = stripe;
	stripe->watch.fd = -1;
	if (fd < 0)
		return stripe;
	if (tp_stripe_attach(stripe, fd, err) < 0 ||
	    tp_stripe_start_tls(stripe, err) < 0) {
		tp_stripe_free(stripe);
		return NULL;
	}
	return stripe;
}

static void tp_stripe_close(struct tp_stripe *stripe)
{
	if (stripe->watch.fd >= 0) {
		tp_session_watch(stripe->session, &stripe->watch, 0);
		close(stripe->watch.fd);
		stripe->watch.fd = -1;
		stripe->watch.events = 0;
	}
	tp_tls_conn_free(stripe->conn);
	stripe->conn = NULL;
	stripe->rx_len = 0;
	stripe->tx_len = stripe->tx_off = 0;
	stripe->tx_entry = NULL;
}

void tp_stripe_free(struct tp_stripe *stripe)
{
	int saved_errno = errno;

	if (!stripe)
		return;
	if (stripe->tx_entry)
		stripe->tx_entry->writer = NULL;
	tp_stripe_close(stripe);
	free(stripe->rxbuf);
	free(stripe);
	errno = saved_errno;
}

int tp_stripe_connect(struct tp_stripe *stripe)
{
	struct tp_session *session = stripe->session;
	struct tp_error err = { 0 };
	int fd;

	fd = socket(session->peer_sa.ss_family,
	            SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	tp_stripe_sockbuf(session, fd);
	if (connect(fd, (struct sockaddr *)&session->peer_sa,
	            session->peer_sa_len) < 0 &&
	    errno != EINPROGRESS) {
		int ret = -errno;

		close(fd);
		return ret;
	}
	if (tp_stripe_attach(stripe, fd, &err) < 0)
		return err.code;
	stripe->state = TP_STRIPE_CONNECTING;
	return tp_stripe_update(stripe);
}

unsigned int tp_session_open_stripes(const struct tp_session *session)
{
	unsigned int i, n = 0;

	for (i = 0; i <= TP_FRAME_STRIPE_MAX; i++)
		if (session->stripes[i] &&
		    session->stripes[i]->state == TP_STRIPE_OPEN)
			n++;
	return n;
}

void tp_stripe_kill(struct tp_stripe *stripe, const struct tp_error *why)
{
	struct tp_session *session = stripe->session;
	unsigned int backoff;

	if (stripe->state == TP_STRIPE_IDLE)
		return;
	tp_stripe_close(stripe);
	stripe->state = TP_STRIPE_IDLE;
	tp_replay_requeue(session, stripe->index, stripe);
	if (session->state != TP_SESSION_OPEN) {
		/* The first connection failed: nothing to resume. */
		if (session->state == TP_SESSION_TLS ||
		    session->state == TP_SESSION_HELLO)
			tp_session_fail(session, why->code, "%s", why->msg);
		return;
	}
	backoff =
	    stripe->backoff_ms ? stripe->backoff_ms * 2 : TP_BACKOFF_MIN_MS;
	stripe->backoff_ms =
	    backoff > TP_BACKOFF_MAX_MS ? TP_BACKOFF_MAX_MS : backoff;
	stripe->retry_ms = tp_now_ms() + stripe->backoff_ms;
	if (tp_session_open_stripes(session) == 0)
		tp_resume_down(session, why);
}

static void tp_stripe_kill_code(struct tp_stripe *stripe, int code,
                                const char *msg)
{
	struct tp_error err = { 0 };

	tp_error_set(&err, code, "%s", msg);
	tp_stripe_kill(stripe, &err);
}

/* Set the stripe index and our ack on a frame about to be written. */
static void tp_stripe_stamp(struct tp_stripe *stripe, uint8_t *frame,
                            bool with_ack)
{
	struct tp_session *session = stripe->session;

	tp_put_u16(frame + 6, stripe->index);
	frame[4] &= (uint8_t)~TP_FRAME_F_ACK;
	tp_put_u64(frame + 28, 0);
	if (with_ack && session->rx_seq) {
		frame[4] |= TP_FRAME_F_ACK;
		tp_put_u64(frame + 28, session->rx_seq);
		session->ack_sent = session->rx_seq;
		session->ack_owed = 0;
		session->ack_due_ms = 0;
	}
}

void tp_stripe_emit_ctl(struct tp_stripe *stripe, uint8_t type,
                        uint32_t payload_len)
{
	struct tp_frame_hdr hdr = {
		.version = TP_FRAME_VERSION,
		.type = type,
		.payload_len = payload_len,
		.raw_len = payload_len,
		.stripe = stripe->index,
	};

	if (type == TP_FRAME_ACK) {
		hdr.flags = TP_FRAME_F_ACK;
		hdr.ack = stripe->session->rx_seq;
	}
	if (tp_frame_hdr_encode(&hdr, stripe->ctl, NULL) < 0)
		abort(); /* we built a frame our own decoder rejects */
	tp_stripe_stamp(stripe, stripe->ctl, type != TP_FRAME_HELLO);
	stripe->tx = stripe->ctl;
	stripe->tx_len = TP_FRAME_HDR_LEN + payload_len;
	stripe->tx_off = 0;
	stripe->session->stats.tx_wire += stripe->tx_len;
}

/* Put a replay entry on this stripe. */
static void tp_stripe_take(struct tp_stripe *stripe, struct tp_replay *entry)
{
	struct tp_session *session = stripe->session;

	if (entry->stripe >= 0)
		session->stats.tx_resent++;
	entry->pending = false;
	session->resend_count--;
	entry->writer = stripe;
	entry->stripe = stripe->index;
	tp_stripe_stamp(stripe, entry->buf, true);
	stripe->tx = entry->buf;
	stripe->tx_entry = entry;
	stripe->tx_len = entry->len;
	stripe->tx_off = 0;
}

/* Next frame for this stripe; false when nothing is due. */
static bool tp_stripe_fill(struct tp_stripe *stripe)
{
	struct tp_session *session = stripe->session;
	uint8_t *p = stripe->ctl + TP_FRAME_HDR_LEN;
	struct tp_replay *entry;

	if (stripe->hello_pending) {
		stripe->hello_pending = false;
		tp_resume_fill_hello(stripe);
		return true;
	}
	if (stripe->state != TP_STRIPE_OPEN ||
	    session->state != TP_SESSION_OPEN)
		return false;
	if (stripe->pong_pending) {
		stripe->pong_pending = false;
		tp_frame_ping_encode(stripe->pong_opaque, p);
		tp_stripe_emit_ctl(stripe, TP_FRAME_PONG, 8);
		return true;
	}
	if (stripe->ping_pending) {
		stripe->ping_pending = false;
		tp_frame_ping_encode(tp_now_ms(), p);
		tp_stripe_emit_ctl(stripe, TP_FRAME_PING, 8);
		return true;
	}
	entry = tp_replay_next_pending(session);
	if (!entry &&
	    tp_session_build(session, tp_session_stripe_bulk(session, stripe)))
		entry = tp_replay_next_pending(session);
	if (entry) {
		tp_stripe_take(stripe, entry);
		return true;
	}
	if (session->rx_seq > session->ack_sent &&
	    (stripe->ack_pending || session->ack_owed >= 32)) {
		stripe->ack_pending = false;
		tp_stripe_emit_ctl(stripe, TP_FRAME_ACK, 0);
		return true;
	}
	stripe->ack_pending = false;
	return false;
}

/*
 * Write frames until frames_max, nothing more to send, or a full socket;
 * then push out what the TLS layer gathered (tls_bio.c), so no frame
 * waits in it for the next batch.
 */
void tp_stripe_flush(struct tp_stripe *stripe, int frames_max)
{
	struct tp_error err = { 0 };
	int frames = 0;
	ssize_t n;

	stripe->write_blocked = false;
	while (stripe->state == TP_STRIPE_HELLO ||
	       stripe->state == TP_STRIPE_OPEN) {
		if (stripe->tx_off == stripe->tx_len) {
			if (stripe->tx_entry) {
				stripe->tx_entry->writer = NULL;
				stripe->tx_entry = NULL;
			}
			if (frames++ >= frames_max || !tp_stripe_fill(stripe))
				break;
			stripe->tx_frames++;
			tp_rate_charge(&stripe->session->rate, stripe->tx_len,
			               tp_now_ns());
		}
		n = tp_tls_conn_write(stripe->conn, stripe->tx + stripe->tx_off,
		                      stripe->tx_len - stripe->tx_off, &err);
		if (n == -EAGAIN) {
			stripe->write_blocked = true;
			return;
		}
		if (n < 0) {
			tp_stripe_kill(stripe, &err);
			return;
		}
		stripe->tx_off += (size_t)n;
	}
	if (stripe->state != TP_STRIPE_HELLO && stripe->state != TP_STRIPE_OPEN)
		return;
	n = tp_tls_conn_flush(stripe->conn, &err);
	if (n == -EAGAIN)
		stripe->write_blocked = true;
	else if (n < 0)
		tp_stripe_kill(stripe, &err);
}

static bool tp_stripe_held(const struct tp_stripe *stripe, uint64_t now)
{
	const struct tp_session *session = stripe->session;

	return session->test_hold_stripe == stripe->index + 1u &&
	       now < session->test_hold_until_ms;
}

int tp_stripe_update(struct tp_stripe *stripe)
{
	uint32_t events = 0;

	switch (stripe->state) {
	case TP_STRIPE_IDLE:
		break;
	case TP_STRIPE_CONNECTING:
		events = EPOLLOUT;
		break;
	case TP_STRIPE_TLS:
		events = EPOLLIN;
		if (tp_tls_conn_want_write(stripe->conn))
			events |= EPOLLOUT;
		break;
	default:
		if (!tp_stripe_held(stripe, tp_now_ms()))
			events = EPOLLIN;
		if (stripe->write_blocked)
			events |= EPOLLOUT;
		break;
	}
	if (tp_session_watch(stripe->session, &stripe->watch, events) < 0) {
		tp_stripe_kill_code(stripe, -errno, "epoll failed");
		return -1;
	}
	return 0;
}

/* One frame arrived whole on this stripe. */
static int tp_stripe_recv_frame(struct tp_stripe *stripe,
                                const struct tp_frame_hdr *hdr,
                                const uint8_t *frame)
{
	struct tp_session *session = stripe->session;
	const uint8_t *payload = frame + TP_FRAME_HDR_LEN;
	bool channel_frame = hdr->channel != 0;
	struct tp_frame_reason reason;

	stripe->last_rx_ms = tp_now_ms();
	stripe->rx_frames++;
	/* A joining connection learns its index from its hello. */
	if ((hdr->stripe != stripe->index && hdr->type != TP_FRAME_HELLO) ||
	    channel_frame != (hdr->seq != 0))
		return tp_session_fail(
		    session, -EPROTO,
		    "peer %s: %s frame with stripe %u, seq "
		    "%llu on stripe %u",
		    session->peer, tp_frame_type_name(hdr->type), hdr->stripe,
		    (unsigned long long)hdr->seq, stripe->index);
	if ((hdr->flags & TP_FRAME_F_ACK) &&
	    tp_replay_ack(session, hdr->ack) < 0)
		return tp_session_fail(
		    session, -EPROTO, "peer %s: ack of unsent frame %llu",
		    session->peer, (unsigned long long)hdr->ack);
	if (hdr->type == TP_FRAME_HELLO) {
		session->stats.rx_wire += TP_FRAME_HDR_LEN + hdr->payload_len;
		return tp_resume_recv_hello(stripe, hdr->stripe, payload,
		                            hdr->payload_len);
	}
	if (hdr->type == TP_FRAME_CLOSE) {
		if (tp_frame_reason_decode(&reason, payload, hdr->payload_len,
		                           NULL) < 0)
			reason.msg[0] = '\0';
		/* Before our hello is answered: a refused join. */
		if (stripe->state != TP_STRIPE_OPEN && reason.code > 0 &&
		    reason.code < 4096)
			return tp_session_fail(
			    session, -(int)reason.code,
			    "peer %s refused the connection: "
			    "%s",
			    session->peer, reason.msg);
		/* A peer that frees its session (tp_session_free) just closes
		 * it. */
		if (reason.code == ESHUTDOWN)
			return tp_session_fail(session, -ECONNRESET,
			                       "peer %s closed the session",
			                       session->peer);
		return tp_session_fail(session, -ECONNRESET,
		                       "peer %s closed the session: code %u %s",
		                       session->peer, reason.code, reason.msg);
	}
	if (stripe->state != TP_STRIPE_OPEN)
		return tp_session_fail(
		    session, -EPROTO, "peer %s: %s frame before the hello",
		    stripe->conn ? tp_tls_conn_peer(stripe->conn)
		                 : stripe->addr,
		    tp_frame_type_name(hdr->type));
	if (channel_frame)
		return tp_replay_recv(session, hdr, frame,
		                      TP_FRAME_HDR_LEN + hdr->payload_len);
	session->stats.rx_wire += TP_FRAME_HDR_LEN + hdr->payload_len;
	switch (hdr->type) {
	case TP_FRAME_PING:
		stripe->pong_pending = true;
		return tp_frame_ping_decode(&stripe->pong_opaque, payload,
		                            hdr->payload_len, NULL);
	default: /* PONG, ACK: the ack field did the work */
		return 0;
	}
}

static void tp_stripe_parse(struct tp_stripe *stripe)
{
	struct tp_session *session = stripe->session;
	struct tp_error err = { 0 };
	struct tp_frame_hdr hdr;
	const uint8_t *payload;
	size_t off = 0;
	ssize_t n;

	while (stripe->state == TP_STRIPE_HELLO ||
	       stripe->state == TP_STRIPE_OPEN) {
		n = tp_frame_decode(&hdr, &payload, stripe->rxbuf + off,
		                    stripe->rx_len - off, &err);
		if (n == -EAGAIN)
			break;
		if (n < 0) {
			tp_session_fail(session, (int)n, "peer %s: %s",
			                tp_tls_conn_peer(stripe->conn),
			                err.msg);
			return;
		}
		/* A join hands the stripe to another thread: touch nothing
		 * once the session has ended. */
		if (tp_stripe_recv_frame(stripe, &hdr, stripe->rxbuf + off) <
		        0 ||
		    (session->state != TP_SESSION_OPEN &&
		     session->state != TP_SESSION_HELLO))
			return;
		off += (size_t)n;
	}
	memmove(stripe->rxbuf, stripe->rxbuf + off, stripe->rx_len - off);
	stripe->rx_len -= off;
}

static void tp_stripe_read(struct tp_stripe *stripe)
{
	struct tp_session *session = stripe->session;
	struct tp_error err = { 0 };
	int rounds = 0;
	ssize_t n;

	while ((session->state == TP_SESSION_OPEN ||
	        session->state == TP_SESSION_HELLO) &&
	       (stripe->state == TP_STRIPE_HELLO ||
	        stripe->state == TP_STRIPE_OPEN) &&
	       !tp_stripe_held(stripe, tp_now_ms()) &&
	       rounds++ < TP_READ_ROUNDS_MAX) {
		n = tp_tls_conn_read(stripe->conn,
		                     stripe->rxbuf + stripe->rx_len,
		                     TP_FRAME_LEN_MAX - stripe->rx_len, &err);
		if (n == -EAGAIN)
			return;
		if (n == 0) {
			tp_error_set(&err, -ECONNRESET,
			             "peer %s closed the connection",
			             tp_tls_conn_peer(stripe->conn));
			n = -ECONNRESET;
		}
		if (n < 0) {
			tp_stripe_kill(stripe, &err);
			return;
		}
		stripe->rx_len += (size_t)n;
		tp_stripe_parse(stripe);
	}
}

static void tp_stripe_drive_tls(struct tp_stripe *stripe)
{
	struct tp_session *session = stripe->session;
	struct tp_error err = { 0 };
	int ret;

	ret = tp_tls_conn_handshake(stripe->conn, &err);
	if (ret == -EAGAIN)
		return;
	if (ret < 0) {
		/* An authentication failure does not heal by retrying. */
		if (ret == -EACCES && session->state == TP_SESSION_OPEN)
			tp_session_fail(session, ret, "%s", err.msg);
		else
			tp_stripe_kill(stripe, &err);
		return;
	}
	stripe->state = TP_STRIPE_HELLO;
	if (session->state == TP_SESSION_TLS) {
		session->state = TP_SESSION_HELLO;
		snprintf(session->peer, sizeof(session->peer), "%s",
		         tp_tls_conn_peer(stripe->conn));
		snprintf(session->identity, sizeof(session->identity), "%s",
		         tp_tls_conn_identity(stripe->conn));
	}
	/* The client speaks first; the server answers. */
	if (!session->server)
		stripe->hello_pending = true;
}

static void tp_stripe_connected(struct tp_stripe *stripe)
{
	struct tp_error err = { 0 };
	socklen_t len = sizeof(int);
	int soerr = 0;

	if (getsockopt(stripe->watch.fd, SOL_SOCKET, SO_ERROR, &soerr, &len) <
	        0 ||
	    soerr) {
		tp_error_set(&err, soerr ? -soerr : -errno, "reconnect: %s",
		             strerror(soerr ? soerr : errno));
		tp_stripe_kill(stripe, &err);
		return;
	}
	if (tp_stripe_start_tls(stripe, &err) < 0)
		tp_stripe_kill(stripe, &err);
	else
		tp_stripe_drive_tls(stripe);
}

void tp_stripe_handle(struct tp_stripe *stripe, uint32_t events)
{
	switch (stripe->state) {
	case TP_STRIPE_IDLE:
		return;
	case TP_STRIPE_CONNECTING:
		if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			tp_stripe_connected(stripe);
		return;
	case TP_STRIPE_TLS:
		tp_stripe_drive_tls(stripe);
		/* Bytes may follow the handshake. */
		if (stripe->state == TP_STRIPE_HELLO)
			tp_stripe_read(stripe);
		return;
	default:
		tp_stripe_read(stripe);
		return;
	}
}

static uint64_t tp_min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

uint64_t tp_stripe_tick(struct tp_stripe *stripe, uint64_t now)
{
	struct tp_session *session = stripe->session;
	const struct tp_session_conf *conf = &session->conf;
	struct tp_error err = { 0 };
	uint64_t next = UINT64_MAX, silent;
	int ret;

	if (session->state != TP_SESSION_OPEN)
		return next;
	if (tp_stripe_held(stripe, now))
		next = session->test_hold_until_ms;
	switch (stripe->state) {
	case TP_STRIPE_OPEN:
		silent = now - stripe->last_rx_ms;
		if (silent > conf->dead_ms && !tp_stripe_held(stripe, now)) {
			tp_error_set(&err, -ETIMEDOUT,
			             "peer %s: silent for %llu ms, presumed "
			             "dead",
			             tp_tls_conn_peer(stripe->conn),
			             (unsigned long long)silent);
			tp_stripe_kill(stripe, &err);
			return now;
		}
		if (now >= stripe->last_ping_ms + conf->keepalive_ms) {
			stripe->ping_pending = true;
			stripe->last_ping_ms = now;
		}
		next =
		    tp_min_u64(next, stripe->last_ping_ms + conf->keepalive_ms);
		return tp_min_u64(next, stripe->last_rx_ms + conf->dead_ms + 1);
	case TP_STRIPE_IDLE:
		if (session->server)
			return next;
		if (now < stripe->retry_ms)
			return tp_min_u64(next, stripe->retry_ms);
		ret = tp_stripe_connect(stripe);
		if (ret < 0) {
			tp_error_set(&err, ret, "reconnect: %s",
			             strerror(-ret));
			stripe->backoff_ms =
			    stripe->backoff_ms * 2 > TP_BACKOFF_MAX_MS
			        ? TP_BACKOFF_MAX_MS
			        : stripe->backoff_ms * 2 + TP_BACKOFF_MIN_MS;
			stripe->retry_ms = now + stripe->backoff_ms;
			if (tp_session_open_stripes(session) == 0)
				tp_resume_down(session, &err);
			return tp_min_u64(next, stripe->retry_ms);
		}
		return tp_min_u64(next, now + conf->handshake_ms);
	default:
		if (now - stripe->started_ms > conf->handshake_ms) {
			tp_error_set(&err, -ETIMEDOUT,
			             "peer %s: handshake timed out after %u ms",
			             stripe->addr, conf->handshake_ms);
			tp_stripe_kill(stripe, &err);
			return now;
		}
		return tp_min_u64(next,
		                  stripe->started_ms + conf->handshake_ms + 1);
	}
}
