/*
 * chan.c: channels. A channel joins a local fd to one at the far end,
 * through two bounded rings: tx (local fd -> peer, capped by
 * chan_send_cap) and rx (peer -> local fd, exactly the window granted to
 * the peer). The peer may only send what we granted (credit), so a slow
 * local reader stops the far producer instead of growing a buffer.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "transport/session_priv.h"

int tp_ring_init(struct tp_ring *ring, size_t cap)
{
	ring->buf = malloc(cap);
	if (!ring->buf)
		return -ENOMEM;
	ring->cap = cap;
	ring->head = 0;
	ring->len = 0;
	return 0;
}

void tp_ring_free(struct tp_ring *ring)
{
	free(ring->buf);
	ring->buf = NULL;
	ring->cap = ring->head = ring->len = 0;
}

size_t tp_ring_space_contig(const struct tp_ring *ring, uint8_t **p)
{
	size_t tail = (ring->head + ring->len) % (ring->cap ? ring->cap : 1);

	if (ring->len == ring->cap)
		return 0;
	*p = ring->buf + tail;
	if (tail >= ring->head)
		return ring->cap - tail;
	return ring->head - tail;
}

size_t tp_ring_data_contig(const struct tp_ring *ring, const uint8_t **p)
{
	*p = ring->buf + ring->head;
	if (ring->head + ring->len <= ring->cap)
		return ring->len;
	return ring->cap - ring->head;
}

void tp_ring_produce(struct tp_ring *ring, size_t n)
{
	ring->len += n;
}

void tp_ring_consume(struct tp_ring *ring, size_t n)
{
	ring->head = (ring->head + n) % ring->cap;
	ring->len -= n;
	if (ring->len == 0)
		ring->head = 0;
}

void tp_ring_write(struct tp_ring *ring, const uint8_t *src, size_t n)
{
	uint8_t *p = NULL;
	size_t chunk;

	while (n > 0) {
		chunk = tp_ring_space_contig(ring, &p);
		if (chunk > n)
			chunk = n;
		memcpy(p, src, chunk);
		tp_ring_produce(ring, chunk);
		src += chunk;
		n -= chunk;
	}
}

void tp_chan_flight_sent(struct tp_chan *chan)
{
	struct tp_flight *f;

	if (chan->flight_len < TP_CHAN_FLIGHT)
		chan->flight_len++;
	f = &chan->flight[(chan->flight_head + chan->flight_len - 1) %
	                  TP_CHAN_FLIGHT];
	f->raw_end = chan->stats.tx_raw;
	f->wire_end = chan->stats.tx_wire;
	f->sent_ns = tp_now_ns();
}

void tp_chan_flight_credit(struct tp_chan *chan, uint32_t increment)
{
	struct tp_flight *f;
	uint64_t sent_ns = 0;

	chan->credited += increment;
	while (chan->flight_len > 0) {
		f = &chan->flight[chan->flight_head];
		if (f->raw_end > chan->credited)
			break;
		chan->wire_acked = f->wire_end;
		sent_ns = f->sent_ns;
		chan->flight_head = (chan->flight_head + 1) % TP_CHAN_FLIGHT;
		chan->flight_len--;
	}
	if (sent_ns && chan->wwin.grow)
		tp_wwin_covered(&chan->wwin, tp_now_ns(), sent_ns,
		                chan->wire_acked,
		                tp_session_path_rtt(chan->session));
}

uint64_t tp_chan_wire_in_flight(const struct tp_chan *chan)
{
	return chan->stats.tx_wire - chan->wire_acked;
}

struct tp_chan *tp_chan_new(struct tp_session *session, uint32_t id,
                            const char *name, unsigned int priority,
                            int local_fd, uint64_t send_credit,
                            struct tp_error *err)
{
	uint64_t need =
	    (uint64_t)session->conf.chan_send_cap + session->conf.chan_window;
	struct tp_chan *chan = NULL;
	int flags;

	if (session->chan_count >= TP_CHAN_MAX) {
		tp_error_set(err, -EMFILE, "too many channels (%u)",
		             TP_CHAN_MAX);
		goto fail;
	}
	if (session->buffer_bytes + need > session->conf.session_cap) {
		tp_error_set(err, -ENOBUFS, "session buffer cap %llu reached",
		             (unsigned long long)session->conf.session_cap);
		goto fail;
	}
	flags = fcntl(local_fd, F_GETFL);
	if (flags < 0 || fcntl(local_fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		tp_error_set(err, -errno, "channel %s: bad local fd", name);
		goto fail;
	}
	chan = calloc(1, sizeof(*chan));
	if (!chan || tp_ring_init(&chan->tx, session->conf.chan_send_cap) < 0 ||
	    tp_ring_init(&chan->rx, session->conf.chan_window) < 0) {
		tp_error_set(err, -ENOMEM, "channel %s: out of memory", name);
		goto fail;
	}
	chan->session = session;
	chan->id = id;
	chan->priority = (uint8_t)priority;
	snprintf(chan->name, sizeof(chan->name), "%s", name);
	chan->send_credit = send_credit;
	/* Never more on the wire than the far end's raw credit allows. */
	tp_wwin_init(&chan->wwin, session->conf.wire_window,
	             send_credit < TP_WWIN_MAX
	                 ? (uint32_t)send_credit
	                 : TP_WWIN_MAX,
	             session->wire_grow);
	chan->watch.kind = TP_WATCH_CHAN;
	chan->watch.owner = chan;
	chan->watch.fd = local_fd;
	local_fd = -1;
	session->buffer_bytes += need;
	session->chan_count++;
	LIST_INSERT_HEAD(&session->chans, chan, entry);
	tp_chan_tighten_if_named(chan);
	tp_chan_update(chan);
	return chan;
fail:
	if (chan) {
		tp_ring_free(&chan->tx);
		tp_ring_free(&chan->rx);
		free(chan);
	}
	if (local_fd >= 0)
		close(local_fd);
	return NULL;
}

/* Give the local fd and the rings back; the channel itself stays. */
static void tp_chan_release(struct tp_chan *chan)
{
	struct tp_session *session = chan->session;

	if (chan->watch.fd >= 0) {
		tp_session_watch(session, &chan->watch, 0);
		close(chan->watch.fd);
		chan->watch.fd = -1;
	}
	if (chan->tx.buf || chan->rx.buf) {
		session->buffer_bytes -= chan->tx.cap + chan->rx.cap;
		tp_ring_free(&chan->tx);
		tp_ring_free(&chan->rx);
	}
	if (!chan->done) {
		chan->done = true;
		session->chan_count--;
	}
}

void tp_chan_free(struct tp_chan *chan)
{
	int saved_errno = errno;

	if (!chan)
		return;
	tp_chan_release(chan);
	LIST_REMOVE(chan, entry);
	free(chan);
	errno = saved_errno;
}

struct tp_chan *tp_chan_find(struct tp_session *session, uint32_t id)
{
	struct tp_chan *chan;

	LIST_FOREACH(chan, &session->chans, entry)
	if (chan->id == id)
		return chan;
	return NULL;
}

void tp_chan_fail(struct tp_chan *chan, int code, bool send_reset,
                  const char *fmt, ...)
{
	va_list ap;

	if (chan->err.code == 0) {
		chan->err.code = code;
		va_start(ap, fmt);
		vsnprintf(chan->err.msg, sizeof(chan->err.msg), fmt, ap);
		va_end(ap);
	}
	if (send_reset && !chan->done &&
	    chan->session->state == TP_SESSION_OPEN) {
		chan->reset_pending = true;
		chan->reset_code = (uint32_t)-code;
	}
	tp_chan_release(chan);
}

void tp_chan_check_done(struct tp_chan *chan)
{
	if (chan->done || chan->reset_pending)
		return;
	if (chan->eof_sent && chan->remote_eof && chan->local_shut)
		tp_chan_release(chan);
}

/*
 * Bytes the tx ring may hold: all of it, or for a tight channel just
 * enough to keep a frame ready, so a reply the far end waits for queues
 * behind little of the stream here (the local sender's own socket buffer
 * holds the rest).
 */
static size_t tp_chan_tx_limit(const struct tp_chan *chan)
{
	return chan->tight && chan->tx.cap > TP_CHAN_TIGHT_SEND
	           ? TP_CHAN_TIGHT_SEND
	           : chan->tx.cap;
}

void tp_chan_update(struct tp_chan *chan)
{
	uint32_t events = 0;

	if (chan->done || chan->watch.fd < 0)
		return;
	if (!chan->local_eof && chan->tx.len < tp_chan_tx_limit(chan))
		events |= EPOLLIN;
	if (chan->rx.len > 0)
		events |= EPOLLOUT;
	if (tp_session_watch(chan->session, &chan->watch, events) < 0)
		tp_chan_fail(chan, -errno, true, "channel %u (%s): epoll: %s",
		             chan->id, chan->name, strerror(errno));
}

/* Local fd -> tx ring. */
static void tp_chan_read_local(struct tp_chan *chan)
{
	uint8_t *p = NULL;
	size_t space;
	ssize_t n;

	while (!chan->local_eof && !chan->done) {
		space = tp_ring_space_contig(&chan->tx, &p);
		if (chan->tx.len >= tp_chan_tx_limit(chan))
			break;
		if (space > tp_chan_tx_limit(chan) - chan->tx.len)
			space = tp_chan_tx_limit(chan) - chan->tx.len;
		if (space == 0)
			break;
		n = read(chan->watch.fd, p, space);
		if (n > 0) {
			tp_ring_produce(&chan->tx, (size_t)n);
			continue;
		}
		if (n == 0) {
			chan->local_eof = true;
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN)
			break;
		tp_chan_fail(chan, -errno, true,
		             "channel %u (%s): local read: %s", chan->id,
		             chan->name, strerror(errno));
		return;
	}
}

/*
 * Write to the local fd without raising SIGPIPE: a socket whose reader
 * vanished fails with EPIPE. A local fd that is no socket (a pipe) falls
 * back to write(2) and is remembered as such.
 */
static ssize_t tp_chan_local_send(struct tp_chan *chan, const uint8_t *p,
                                  size_t len)
{
	ssize_t n;

	if (!chan->local_not_socket) {
		n = send(chan->watch.fd, p, len, MSG_NOSIGNAL);
		if (n >= 0 || errno != ENOTSOCK)
			return n;
		chan->local_not_socket = true;
	}
	return write(chan->watch.fd, p, len);
}

/* rx ring -> local fd; drained bytes become credit for the peer. */
static void tp_chan_write_local(struct tp_chan *chan)
{
	const uint8_t *p;
	size_t avail;
	ssize_t n;

	while (chan->rx.len > 0 && !chan->done) {
		avail = tp_ring_data_contig(&chan->rx, &p);
		n = tp_chan_local_send(chan, p, avail);
		if (n > 0) {
			tp_ring_consume(&chan->rx, (size_t)n);
			chan->credit_owed += (uint32_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		tp_chan_fail(chan, n < 0 ? -errno : -EIO, true,
		             "channel %u (%s): local write: %s", chan->id,
		             chan->name, n < 0 ? strerror(errno) : "short");
		return;
	}
	if (chan->rx.len == 0 && chan->remote_eof && !chan->local_shut &&
	    !chan->done) {
		shutdown(chan->watch.fd, SHUT_WR);
		chan->local_shut = true;
		tp_chan_check_done(chan);
	}
}

void tp_chan_handle(struct tp_chan *chan, uint32_t events)
{
	if (chan->done)
		return;
	if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
		tp_chan_write_local(chan);
	if (!chan->done && (events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
		tp_chan_read_local(chan);
	if (!chan->done)
		tp_chan_update(chan);
}

static int tp_chan_recv_data(struct tp_chan *chan,
                             const struct tp_frame_hdr *hdr,
                             const uint8_t *payload)
{
	struct tp_session *session = chan->session;
	struct tp_error err = { 0 };
	int ret;

	if (chan->remote_eof)
		return tp_session_fail(session, -EPROTO,
		                       "peer %s: DATA after EOF on channel %u",
		                       tp_session_peer(session), chan->id);
	if (chan->done)
		return 0; /* in flight when we reset it */
	if (hdr->raw_len > chan->rx.cap - chan->rx.len)
		return tp_session_fail(session, -EPROTO,
		                       "peer %s: channel %u sent %u bytes "
		                       "beyond its credit",
		                       tp_session_peer(session), chan->id,
		                       hdr->raw_len);
	if (hdr->codec == TP_FRAME_CODEC_RAW) {
		tp_ring_write(&chan->rx, payload, hdr->raw_len);
	} else {
		ret = tp_codec_decode(session->codec, hdr->codec, payload,
		                      hdr->payload_len, session->scratch,
		                      hdr->raw_len, &err);
		if (ret < 0)
			return tp_session_fail(
			    session, ret, "peer %s: channel %u: %s",
			    tp_session_peer(session), chan->id, err.msg);
		tp_ring_write(&chan->rx, session->scratch, hdr->raw_len);
	}
	tp_stats_add_rx(&chan->stats, hdr->raw_len,
	                TP_FRAME_HDR_LEN + hdr->payload_len);
	tp_stats_add_rx(&session->stats, hdr->raw_len,
	                TP_FRAME_HDR_LEN + hdr->payload_len);
	tp_chan_write_local(chan);
	if (!chan->done)
		tp_chan_update(chan);
	return 0;
}

int tp_chan_recv(struct tp_chan *chan, const struct tp_frame_hdr *hdr,
                 const uint8_t *payload)
{
	struct tp_session *session = chan->session;
	struct tp_frame_reason reason;
	struct tp_error err = { 0 };
	uint32_t increment;
	int ret;

	switch (hdr->type) {
	case TP_FRAME_DATA:
		return tp_chan_recv_data(chan, hdr, payload);
	case TP_FRAME_EOF:
		if (chan->remote_eof)
			return tp_session_fail(session, -EPROTO,
			                       "peer %s: second EOF on channel "
			                       "%u",
			                       tp_session_peer(session),
			                       chan->id);
		chan->remote_eof = true;
		if (!chan->done)
			tp_chan_write_local(chan);
		return 0;
	case TP_FRAME_CREDIT:
		ret = tp_frame_credit_decode(&increment, payload,
		                             hdr->payload_len, &err);
		if (ret < 0)
			return tp_session_fail(session, ret, "peer %s: %s",
			                       tp_session_peer(session),
			                       err.msg);
		chan->send_credit += increment;
		tp_chan_flight_credit(chan, increment);
		if (chan->send_credit > UINT32_MAX)
			return tp_session_fail(session, -EPROTO,
			                       "peer %s: channel %u credit "
			                       "overflow",
			                       tp_session_peer(session),
			                       chan->id);
		return 0;
	case TP_FRAME_RESET:
		ret = tp_frame_reason_decode(&reason, payload, hdr->payload_len,
		                             &err);
		if (ret < 0)
			return tp_session_fail(session, ret, "peer %s: %s",
			                       tp_session_peer(session),
			                       err.msg);
		if (!chan->done)
			tp_chan_fail(chan, -ECONNRESET, false,
			             "channel %u (%s): reset by peer %s: "
			             "code %u %s",
			             chan->id, chan->name,
			             tp_session_peer(session), reason.code,
			             reason.msg);
		return 0;
	default:
		return tp_session_fail(session, -EPROTO,
		                       "peer %s: unexpected %s frame on "
		                       "channel %u",
		                       tp_session_peer(session),
		                       tp_frame_type_name(hdr->type), chan->id);
	}
}

uint32_t tp_chan_id(const struct tp_chan *chan)
{
	return chan->id;
}

bool tp_chan_done(const struct tp_chan *chan)
{
	return chan->done && !chan->reset_pending;
}

int tp_chan_error(const struct tp_chan *chan, struct tp_error *err)
{
	tp_error_copy(err, &chan->err);
	return chan->err.code;
}

void tp_chan_reset(struct tp_chan *chan, int code)
{
	if (chan->done)
		return;
	tp_chan_fail(chan, code < 0 ? code : -ECONNRESET, true,
	             "channel %u (%s): reset locally", chan->id, chan->name);
}

void tp_chan_stats(const struct tp_chan *chan, struct tp_stats *stats)
{
	*stats = chan->stats;
}
