/*
 * tapchan.c: the frame pump of the encrypted mode. One thread polls the
 * TAP, the stream and a stop eventfd. TAP frames are queued, with their
 * header, into a bounded output buffer written to the stream as it drains;
 * stream bytes are reassembled into frames (struct nc_tapchan_rx) and each
 * is written to the TAP at once, or dropped.
 *
 * The byte counters count frame bytes, not headers. A frame counts as
 * sent to the stream once it is queued.
 */
#include "netcontinuity/tapchan.h"
#include "netcontinuity/tapchan_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#define NC_TAPCHAN_ETH_HLEN 14
#define NC_TAPCHAN_OUT_CAP  (256u * 1024u) /* TAP -> stream queue */
#define NC_TAPCHAN_IN_CAP   (64u * 1024u)  /* one read from the stream */
#define NC_TAPCHAN_BATCH    64 /* reads per fd per wake, for fairness */

struct nc_tapchan {
	int tap_fd, stream_fd, stop_fd;
	pthread_t thread;
	bool started;
	bool stream_not_socket;

	/* TAP -> stream: out[out_off, out_off + out_len) is queued. */
	uint8_t *out;
	size_t out_off, out_len;
	uint8_t *frame; /* one frame read from the TAP */

	/* stream -> TAP */
	uint8_t *in;
	struct nc_tapchan_rx *rx;
	struct nc_error loop_err; /* the pump thread's own */

	_Atomic uint64_t to_stream_frames, to_stream_bytes;
	_Atomic uint64_t to_tap_frames, to_tap_bytes;
	_Atomic uint64_t dropped_to_stream, dropped_to_tap;

	pthread_mutex_t lock; /* guards ended and end_err */
	bool ended;
	struct nc_error end_err;
};

int nc_tapchan_hdr_encode(uint8_t hdr[NC_TAPCHAN_HDR], size_t len)
{
	if (len < NC_TAPCHAN_ETH_HLEN || len > NC_TAPCHAN_FRAME_MAX)
		return -EINVAL;
	hdr[0] = (uint8_t)(len >> 8);
	hdr[1] = (uint8_t)len;
	return 0;
}

/* *len is left alone on failure. */
int nc_tapchan_hdr_decode(const uint8_t hdr[NC_TAPCHAN_HDR], size_t *len)
{
	size_t value = (size_t)hdr[0] << 8 | hdr[1];

	if (value < NC_TAPCHAN_ETH_HLEN || value > NC_TAPCHAN_FRAME_MAX)
		return -EPROTO;
	*len = value;
	return 0;
}

void nc_tapchan_rx_init(struct nc_tapchan_rx *rx, nc_tapchan_frame_fn fn,
                        void *arg)
{
	rx->frame_fn = fn;
	rx->arg = arg;
	rx->failed = 0;
	rx->held = 0;
	rx->frame_len = 0;
}

/* Decode a peer's header, naming the bad length in err. */
static int nc_tapchan_rx_hdr(struct nc_tapchan_rx *rx, const uint8_t *hdr,
                             size_t *len, struct nc_error *err)
{
	unsigned int value = (unsigned int)hdr[0] << 8 | hdr[1];

	if (nc_tapchan_hdr_decode(hdr, len) == 0)
		return 0;
	if (value < NC_TAPCHAN_ETH_HLEN)
		rx->failed = nc_error_set(err, -EPROTO,
		                          "tapchan: frame length %u from the "
		                          "peer is below %d: closing",
		                          value, NC_TAPCHAN_ETH_HLEN);
	else
		rx->failed = nc_error_set(err, -EPROTO,
		                          "tapchan: frame length %u from the "
		                          "peer is above %d: closing",
		                          value, NC_TAPCHAN_FRAME_MAX);
	return rx->failed;
}

/* Hand one frame to the callback; latch its error. */
static int nc_tapchan_rx_deliver(struct nc_tapchan_rx *rx, const uint8_t *frame,
                                 size_t len)
{
	int rc = rx->frame_fn(rx->arg, frame, len);

	if (rc < 0)
		rx->failed = rc;
	return rc;
}

/*
 * Complete frames lying whole in data go to the callback from data; only
 * a frame split across feeds is copied into rx->buf.
 */
int nc_tapchan_rx_feed(struct nc_tapchan_rx *rx, const uint8_t *data,
                       size_t len, struct nc_error *err)
{
	size_t frame_len, take;
	int rc;

	if (rx->failed)
		return rx->failed;
	while (len > 0) {
		if (rx->held == 0 && len >= NC_TAPCHAN_HDR) {
			rc = nc_tapchan_rx_hdr(rx, data, &frame_len, err);
			if (rc < 0)
				return rc;
			if (len >= NC_TAPCHAN_HDR + frame_len) {
				rc = nc_tapchan_rx_deliver(
				    rx, data + NC_TAPCHAN_HDR, frame_len);
				if (rc < 0)
					return rc;
				data += NC_TAPCHAN_HDR + frame_len;
				len -= NC_TAPCHAN_HDR + frame_len;
				continue;
			}
		}
		if (rx->held < NC_TAPCHAN_HDR) {
			take = NC_TAPCHAN_HDR - rx->held;
			if (take > len)
				take = len;
			memcpy(rx->buf + rx->held, data, take);
			rx->held += take;
			data += take;
			len -= take;
			if (rx->held < NC_TAPCHAN_HDR)
				break;
			rc =
			    nc_tapchan_rx_hdr(rx, rx->buf, &rx->frame_len, err);
			if (rc < 0)
				return rc;
		}
		take = NC_TAPCHAN_HDR + rx->frame_len - rx->held;
		if (take > len)
			take = len;
		memcpy(rx->buf + rx->held, data, take);
		rx->held += take;
		data += take;
		len -= take;
		if (rx->held < NC_TAPCHAN_HDR + rx->frame_len)
			break;
		rx->held = 0;
		rc = nc_tapchan_rx_deliver(rx, rx->buf + NC_TAPCHAN_HDR,
		                           rx->frame_len);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* The pump ends: latch why (code 0 and "" for a clean EOF). */
static void nc_tapchan_end(struct nc_tapchan *tc, const struct nc_error *why)
{
	pthread_mutex_lock(&tc->lock);
	if (!tc->ended) {
		tc->ended = true;
		tc->end_err = *why;
	}
	pthread_mutex_unlock(&tc->lock);
}

/* A frame from the peer goes to the TAP in one write, or is dropped. */
static int nc_tapchan_to_tap(void *arg, const uint8_t *frame, size_t len)
{
	struct nc_tapchan *tc = arg;
	ssize_t n;

	n = write(tc->tap_fd, frame, len);
	if (n == (ssize_t)len) {
		atomic_fetch_add(&tc->to_tap_frames, 1);
		atomic_fetch_add(&tc->to_tap_bytes, len);
		return 0;
	}
	/* The device is gone (EBADFD) or the descriptor is broken. */
	if (n < 0 && (errno == EBADFD || errno == EBADF || errno == EFAULT))
		return nc_error_set(&tc->loop_err, -errno,
		                    "tapchan: writing the TAP: %s",
		                    strerror(errno));
	atomic_fetch_add(&tc->dropped_to_tap, 1);
	return 0;
}

/* Read what the stream holds and deliver its frames; 1 on a clean EOF. */
static int nc_tapchan_from_stream(struct nc_tapchan *tc)
{
	ssize_t n;
	int i, rc;

	for (i = 0; i < NC_TAPCHAN_BATCH; i++) {
		n = read(tc->stream_fd, tc->in, NC_TAPCHAN_IN_CAP);
		if (n > 0) {
			rc = nc_tapchan_rx_feed(tc->rx, tc->in, (size_t)n,
			                        &tc->loop_err);
			if (rc < 0)
				return rc;
			if ((size_t)n < NC_TAPCHAN_IN_CAP)
				return 0;
			continue;
		}
		if (n == 0 && tc->rx->held > 0)
			return nc_error_set(&tc->loop_err, -EPROTO,
			                    "tapchan: the stream ended inside "
			                    "a frame (%zu bytes held): closing",
			                    tc->rx->held);
		if (n == 0)
			return 1;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN)
			return 0;
		return nc_error_set(&tc->loop_err, -errno,
		                    "tapchan: reading the stream: %s",
		                    strerror(errno));
	}
	return 0;
}

/*
 * Write to the stream without raising SIGPIPE; a stream that is no socket
 * falls back to write(2), and is remembered as such.
 */
static ssize_t nc_tapchan_stream_send(struct nc_tapchan *tc, const uint8_t *p,
                                      size_t len)
{
	ssize_t n;

	if (!tc->stream_not_socket) {
		n = send(tc->stream_fd, p, len, MSG_NOSIGNAL);
		if (n >= 0 || errno != ENOTSOCK)
			return n;
		tc->stream_not_socket = true;
	}
	return write(tc->stream_fd, p, len);
}

/* Write queued output until the stream would block. */
static int nc_tapchan_flush(struct nc_tapchan *tc)
{
	ssize_t n;

	while (tc->out_len > 0) {
		n = nc_tapchan_stream_send(tc, tc->out + tc->out_off,
		                           tc->out_len);
		if (n > 0) {
			tc->out_off += (size_t)n;
			tc->out_len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		return nc_error_set(&tc->loop_err, n < 0 ? -errno : -EIO,
		                    "tapchan: writing the stream: %s",
		                    n < 0 ? strerror(errno) : "no progress");
	}
	if (tc->out_len == 0)
		tc->out_off = 0;
	return 0;
}

/* Queue one TAP frame with its header, or drop it if the queue is full. */
static void nc_tapchan_queue(struct nc_tapchan *tc, size_t len)
{
	size_t need = NC_TAPCHAN_HDR + len;
	uint8_t hdr[NC_TAPCHAN_HDR];
	uint8_t *tail;

	if (nc_tapchan_hdr_encode(hdr, len) < 0 ||
	    tc->out_len + need > NC_TAPCHAN_OUT_CAP) {
		atomic_fetch_add(&tc->dropped_to_stream, 1);
		return;
	}
	if (tc->out_off + tc->out_len + need > NC_TAPCHAN_OUT_CAP) {
		memmove(tc->out, tc->out + tc->out_off, tc->out_len);
		tc->out_off = 0;
	}
	tail = tc->out + tc->out_off + tc->out_len;
	memcpy(tail, hdr, NC_TAPCHAN_HDR);
	memcpy(tail + NC_TAPCHAN_HDR, tc->frame, len);
	tc->out_len += need;
	atomic_fetch_add(&tc->to_stream_frames, 1);
	atomic_fetch_add(&tc->to_stream_bytes, len);
}

/* Read the frames the TAP holds, queue them, and start writing them. */
static int nc_tapchan_from_tap(struct nc_tapchan *tc)
{
	ssize_t n;
	int i;

	for (i = 0; i < NC_TAPCHAN_BATCH; i++) {
		/* One byte more than the maximum shows an oversized frame. */
		n = read(tc->tap_fd, tc->frame, NC_TAPCHAN_FRAME_MAX + 1);
		if (n > 0) {
			nc_tapchan_queue(tc, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || errno == EAGAIN)
			break;
		return nc_error_set(&tc->loop_err, -errno,
		                    "tapchan: reading the TAP: %s",
		                    strerror(errno));
	}
	return nc_tapchan_flush(tc);
}

static int nc_tapchan_poll_once(struct nc_tapchan *tc, bool *stop)
{
	struct pollfd pfd[3] = {
		{ .fd = tc->stop_fd, .events = POLLIN },
		{ .fd = tc->tap_fd, .events = POLLIN },
		{ .fd = tc->stream_fd, .events = POLLIN },
	};
	int rc;

	if (tc->out_len > 0)
		pfd[2].events |= POLLOUT;
	if (poll(pfd, 3, -1) < 0) {
		if (errno == EINTR)
			return 0;
		return nc_error_set(&tc->loop_err, -errno, "tapchan: poll: %s",
		                    strerror(errno));
	}
	if (pfd[0].revents) {
		*stop = true;
		return 0;
	}
	if ((pfd[1].revents | pfd[2].revents) & POLLNVAL)
		return nc_error_set(&tc->loop_err, -EBADF,
		                    "tapchan: a descriptor was closed under "
		                    "the pump");
	if (pfd[2].revents & (POLLIN | POLLHUP | POLLERR)) {
		rc = nc_tapchan_from_stream(tc);
		if (rc != 0)
			return rc;
	}
	if (pfd[1].revents) {
		rc = nc_tapchan_from_tap(tc);
		if (rc < 0)
			return rc;
	} else if (pfd[2].revents & POLLOUT) {
		rc = nc_tapchan_flush(tc);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static void *nc_tapchan_main(void *arg)
{
	struct nc_tapchan *tc = arg;
	bool stop = false;
	int rc = 0;

	while (rc == 0 && !stop)
		rc = nc_tapchan_poll_once(tc, &stop);
	if (rc > 0) {
		tc->loop_err.code = 0;
		tc->loop_err.msg[0] = '\0';
	}
	if (rc != 0)
		nc_tapchan_end(tc, &tc->loop_err);
	return NULL;
}

static int nc_tapchan_nonblock(int fd, const char *what, struct nc_error *err)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return nc_error_set(err, -errno, "tapchan: %s: %s", what,
		                    strerror(errno));
	return 0;
}

struct nc_tapchan *nc_tapchan_start(int tap_fd, int stream_fd,
                                    struct nc_error *err)
{
	struct nc_tapchan *tc = NULL;
	int rc;

	if (tap_fd < 0 || stream_fd < 0) {
		rc = nc_error_set(err, -EBADF, "tapchan: no %s descriptor",
		                  tap_fd < 0 ? "TAP" : "stream");
		goto out;
	}
	rc = nc_tapchan_nonblock(tap_fd, "the TAP", err);
	if (rc < 0)
		goto out;
	rc = nc_tapchan_nonblock(stream_fd, "the stream", err);
	if (rc < 0)
		goto out;
	tc = calloc(1, sizeof(*tc));
	if (!tc) {
		rc = nc_error_set(err, -ENOMEM, "tapchan: out of memory");
		goto out;
	}
	tc->tap_fd = tap_fd;
	tc->stream_fd = stream_fd;
	tc->stop_fd = -1;
	pthread_mutex_init(&tc->lock, NULL);
	tc->out = malloc(NC_TAPCHAN_OUT_CAP);
	tc->frame = malloc(NC_TAPCHAN_FRAME_MAX + 1);
	tc->in = malloc(NC_TAPCHAN_IN_CAP);
	tc->rx = malloc(sizeof(*tc->rx));
	if (!tc->out || !tc->frame || !tc->in || !tc->rx) {
		rc = nc_error_set(err, -ENOMEM, "tapchan: out of memory");
		goto out;
	}
	nc_tapchan_rx_init(tc->rx, nc_tapchan_to_tap, tc);
	tc->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (tc->stop_fd < 0) {
		rc = nc_error_set(err, -errno, "tapchan: eventfd: %s",
		                  strerror(errno));
		goto out;
	}
	rc = -pthread_create(&tc->thread, NULL, nc_tapchan_main, tc);
	if (rc < 0) {
		nc_error_set(err, rc, "tapchan: thread: %s", strerror(-rc));
		goto out;
	}
	tc->started = true;
out:
	if (rc < 0) {
		if (tc) {
			nc_tapchan_stop(tc);
		} else {
			if (tap_fd >= 0)
				close(tap_fd);
			if (stream_fd >= 0)
				close(stream_fd);
		}
		errno = -rc;
		return NULL;
	}
	return tc;
}

bool nc_tapchan_ended(struct nc_tapchan *tc, struct nc_error *err)
{
	bool ended;

	pthread_mutex_lock(&tc->lock);
	ended = tc->ended;
	if (ended && err)
		*err = tc->end_err;
	pthread_mutex_unlock(&tc->lock);
	return ended;
}

void nc_tapchan_stats(struct nc_tapchan *tc, struct nc_tapchan_stats *st)
{
	st->to_stream_frames = atomic_load(&tc->to_stream_frames);
	st->to_stream_bytes = atomic_load(&tc->to_stream_bytes);
	st->to_tap_frames = atomic_load(&tc->to_tap_frames);
	st->to_tap_bytes = atomic_load(&tc->to_tap_bytes);
	st->dropped_to_stream = atomic_load(&tc->dropped_to_stream);
	st->dropped_to_tap = atomic_load(&tc->dropped_to_tap);
}

void nc_tapchan_stop(struct nc_tapchan *tc)
{
	int saved = errno;
	uint64_t one = 1;

	if (!tc)
		return;
	if (tc->started) {
		if (write(tc->stop_fd, &one, sizeof(one)) != sizeof(one))
			abort(); /* an eventfd write cannot fail here */
		pthread_join(tc->thread, NULL);
	}
	if (tc->stop_fd >= 0)
		close(tc->stop_fd);
	close(tc->tap_fd);
	close(tc->stream_fd);
	pthread_mutex_destroy(&tc->lock);
	free(tc->rx);
	free(tc->in);
	free(tc->frame);
	free(tc->out);
	free(tc);
	errno = saved;
}
