/*
 * session.c: one transport session = one or more TLS 1.3 connections
 * ("stripes", stripe.c), one epoll loop. Channel frames are built one at a
 * time by a strict-priority scheduler: per-channel control (OPEN, RESET,
 * CREDIT, EOF), then DATA of control channels, then DATA of bulk channels
 * (round robin within a priority); each gets a sequence number and waits
 * in the replay list (replay.c) for a stripe with room to take it. Frames
 * in are delivered in sequence order, whichever stripe they came on.
 * Nothing but HELLO moves before both hellos agree.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "transport/session_priv.h"

#define TP_DEFAULT_WIRE_WINDOW   (1u << 20) /* and the least an auto one */
#define TP_RAW_PER_WIRE          4u /* chan_window: this many wire windows */
#define TP_CHAN_WINDOW_MAX_AUTO  (16u << 20)
#define TP_CREDIT_BATCH          (128u << 10) /* grant at least this often */
#define TP_SESSION_CAP_CHANS     16u /* an auto session_cap holds these */
#define TP_DEFAULT_CHAN_SEND_CAP (256u << 10)
#define TP_DEFAULT_MAX_FRAME     (64u << 10)
#define TP_DEFAULT_KEEPALIVE_MS  1000u
#define TP_DEFAULT_DEAD_MS       5000u
#define TP_DEFAULT_REPLAY_CAP    (8u << 20)
#define TP_DEFAULT_LINK_MBPS     1000u
#define TP_STRIPE_BDP_SHARE      (4u << 20) /* what one TCP stream fills */
#define TP_STRIPES_DEFAULT_MAX   8u
#define TP_SOCKBUF_AUTO_MAX      (4u << 20) /* kernel autotuning limit */
#define TP_SOCKBUF_MAX           (64u << 20)
#define TP_FLUSH_FRAMES_MAX      16
#define TP_ACK_DELAY_MS          10u
#define TP_WIRE_RATE_MS          250u
#define TP_BULK_GROW_BUSY_US     100000u /* of bulk stripes, per measurement */

uint64_t tp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t tp_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * Credit counts raw bytes, and a channel moves at most a window of them
 * per round trip: with a window of wire_window, data that compresses 2:1
 * fills only half the wire. Four wire windows of raw credit keep the wire
 * full up to 4:1, while the sender's own wire_window still bounds what
 * queues in front of a control frame.
 */
static uint32_t tp_chan_window_for(uint32_t wire_window)
{
	uint64_t w = (uint64_t)wire_window * TP_RAW_PER_WIRE;

	if (w > TP_CHAN_WINDOW_MAX_AUTO)
		w = TP_CHAN_WINDOW_MAX_AUTO;
	return w > wire_window ? (uint32_t)w : wire_window;
}

/* Room for TP_SESSION_CAP_CHANS channels and twice the replay buffer. */
static uint64_t tp_session_cap_for(const struct tp_session_conf *conf)
{
	return 2ull * conf->replay_cap +
	       TP_SESSION_CAP_CHANS *
	           ((uint64_t)conf->chan_window + conf->chan_send_cap);
}

/*
 * Fill in the defaults. wire_grow: neither window given, so each
 * channel's wire window follows its path and may grow to TP_WWIN_MAX;
 * parts of a migration stream (zero and page-cache pages) compress far
 * beyond 4:1, and raw credit of four 1 MiB floors held the sender back
 * for 0.9 s of 5.5 on the idle guest's stream over wan, with the wire
 * window far from full.
 */
static int tp_session_conf_apply(struct tp_session_conf *conf, bool wire_grow,
                                 struct tp_error *err)
{
	if (!conf->wire_window)
		conf->wire_window = conf->chan_window ? conf->chan_window
		                                      : TP_DEFAULT_WIRE_WINDOW;
	if (!conf->chan_window)
		conf->chan_window = tp_chan_window_for(
		    wire_grow ? TP_WWIN_MAX : conf->wire_window);
	if (!conf->chan_send_cap)
		conf->chan_send_cap = TP_DEFAULT_CHAN_SEND_CAP;
	if (!conf->max_frame)
		conf->max_frame = TP_DEFAULT_MAX_FRAME;
	if (!conf->keepalive_ms)
		conf->keepalive_ms = TP_DEFAULT_KEEPALIVE_MS;
	if (!conf->dead_ms)
		conf->dead_ms = TP_DEFAULT_DEAD_MS;
	if (!conf->handshake_ms)
		conf->handshake_ms = TP_DEFAULT_HANDSHAKE_MS;
	if (!conf->resume_timeout_ms)
		conf->resume_timeout_ms = TP_DEFAULT_RESUME_MS;
	if (!conf->replay_cap)
		conf->replay_cap = TP_DEFAULT_REPLAY_CAP;
	if (!conf->session_cap)
		conf->session_cap = tp_session_cap_for(conf);
	if (!conf->link_mbps)
		conf->link_mbps = TP_DEFAULT_LINK_MBPS;
	if (conf->stripes > TP_FRAME_STRIPE_MAX + 1)
		return tp_error_set(err, -EINVAL, "stripes %u above %u",
		                    conf->stripes, TP_FRAME_STRIPE_MAX + 1);
	if (conf->replay_cap < TP_FRAME_LEN_MAX * 2u ||
	    conf->replay_cap > TP_FRAME_REORDER_MAX)
		return tp_error_set(err, -EINVAL,
		                    "replay_cap %u outside %u..%u",
		                    conf->replay_cap, TP_FRAME_LEN_MAX * 2u,
		                    TP_FRAME_REORDER_MAX);
	if (2ull * conf->replay_cap >= conf->session_cap)
		return tp_error_set(err, -EINVAL,
		                    "session_cap %llu leaves no room beside "
		                    "twice the replay_cap %u",
		                    (unsigned long long)conf->session_cap,
		                    conf->replay_cap);
	if (conf->sockbuf > TP_SOCKBUF_MAX)
		return tp_error_set(err, -EINVAL, "sockbuf %u above %u",
		                    conf->sockbuf, TP_SOCKBUF_MAX);
	if (conf->codec > TP_FRAME_CODEC_MAX && conf->codec != TP_CODEC_AUTO)
		return tp_error_set(err, -EINVAL, "unknown codec %u",
		                    conf->codec);
	if (conf->max_frame > TP_FRAME_RAW_MAX ||
	    conf->max_frame < TP_FRAME_RAW_MIN_MAX)
		return tp_error_set(err, -EINVAL, "max_frame %u outside %u..%u",
		                    conf->max_frame, TP_FRAME_RAW_MIN_MAX,
		                    TP_FRAME_RAW_MAX);
	if (conf->chan_window < TP_FRAME_RAW_MIN_MAX ||
	    conf->wire_window < TP_FRAME_RAW_MIN_MAX ||
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

struct tp_session *tp_session_new(const struct tp_session_conf *conf,
                                  struct tp_tls *tls, bool own_tls, int fd,
                                  bool server, struct tp_registry *registry,
                                  struct tp_error *err)
{
	struct tp_session *session;
	int ret;

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
	session->epfd = -1;
	session->tls = tls;
	session->wake_watch.fd = -1;
	session->next_chan_id = server ? 2 : 1;
	LIST_INIT(&session->chans);
	STAILQ_INIT(&session->posted);
	pthread_mutex_init(&session->post_lock, NULL);
	LIST_INIT(&session->inbox);
	TAILQ_INIT(&session->replay);
	TAILQ_INIT(&session->reorder);
	if (registry)
		tp_session_registry_join(session, registry);
	if (!own_tls)
		session->tls = NULL; /* set below for the connection only */
	/*
	 * The window is sized only for a link rate the caller gave. With
	 * the assumed 1 Gbit/s the window of a slower link would hold
	 * seconds of bulk data, all queued in front of the next control
	 * frame (measured on wan: a 1 KiB round trip took 628 ms under load
	 * instead of 70).
	 */
	session->link_assumed = !session->conf.link_mbps;
	session->bulk_stripes = session->conf.stripes || !session->link_assumed
	                            ? TP_FRAME_STRIPE_MAX + 1u
	                            : 1u;
	session->wire_grow =
	    !session->conf.chan_window && !session->conf.wire_window;
	session->window_auto = session->wire_grow && !session->link_assumed;
	session->cap_auto = !session->conf.session_cap;
	ret = tp_session_conf_apply(&session->conf, session->wire_grow, err);
	if (ret < 0) {
		close(fd);
		goto fail;
	}
	session->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (session->epfd < 0) {
		close(fd);
		goto fail_errno;
	}
	session->wake_watch.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (session->wake_watch.fd < 0) {
		close(fd);
		goto fail_errno;
	}
	session->wake_watch.kind = TP_WATCH_WAKEUP;
	session->wake_watch.owner = session;
	if (tp_session_watch(session, &session->wake_watch, EPOLLIN) < 0) {
		close(fd);
		goto fail_errno;
	}
	session->buildbuf = malloc(TP_FRAME_LEN_MAX);
	session->scratch = malloc(TP_FRAME_RAW_MAX);
	/* AUTO starts raw; tp_session_codec_adapt() moves it on. */
	session->codec = tp_codec_new(session->conf.codec == TP_CODEC_AUTO
	                                  ? TP_CODEC_RAW
	                                  : session->conf.codec,
	                              session->conf.codec_level);
	if (!session->buildbuf || !session->scratch || !session->codec) {
		close(fd);
		ret = tp_error_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	tp_rate_init(&session->rate, session->conf.rate_cap_bps, tp_now_ns());
	/* The replay and reorder buffers count toward the session cap. */
	session->buffer_bytes = 2ull * session->conf.replay_cap;
	session->tls = tls;
	session->stripes[0] = tp_stripe_new(session, 0, fd, err);
	if (!own_tls)
		session->tls = NULL;
	if (!session->stripes[0]) {
		ret = err && err->code ? err->code : -ENOMEM;
		goto fail;
	}
	snprintf(session->addr, sizeof(session->addr), "%s",
	         session->stripes[0]->addr);
	snprintf(session->peer, sizeof(session->peer), "%s", session->addr);
	session->stripe_count = 1;
	if (tp_stripe_update(session->stripes[0]) < 0)
		goto fail_errno;
	return session;
fail_errno:
	ret = tp_error_set(err, -errno, "peer %s: session setup: %s",
	                   session->addr, strerror(errno));
fail:
	if (own_tls)
		session->tls = tls;
	tp_session_free(session);
	errno = -ret;
	return NULL;
}

/* Tell the peer we are gone, on every idle stripe; best effort. */
static void tp_session_send_close(struct tp_session *session, int code,
                                  const char *msg)
{
	struct tp_frame_reason reason = { .code = (uint32_t)-code };
	struct tp_error err = { 0 };
	struct tp_stripe *stripe;
	unsigned int i;
	ssize_t n;

	reason.msg_len =
	    (uint16_t)snprintf(reason.msg, sizeof(reason.msg), "%s", msg);
	if (reason.msg_len > TP_FRAME_REASON_MAX)
		reason.msg_len = TP_FRAME_REASON_MAX;
	for (i = 0; i <= TP_FRAME_STRIPE_MAX; i++) {
		stripe = session->stripes[i];
		if (!stripe || stripe->state != TP_STRIPE_OPEN ||
		    stripe->tx_off != stripe->tx_len)
			continue;
		n = tp_frame_reason_encode(
		    &reason, stripe->ctl + TP_FRAME_HDR_LEN, NULL);
		tp_stripe_emit_ctl(stripe, TP_FRAME_CLOSE, (uint32_t)n);
		n = tp_tls_conn_write(stripe->conn, stripe->tx, stripe->tx_len,
		                      &err);
		if (n > 0)
			tp_tls_conn_flush(stripe->conn, &err);
		stripe->tx_len = stripe->tx_off = 0;
	}
}

void tp_session_free(struct tp_session *session)
{
	int saved_errno = errno;
	struct tp_chan *chan;
	unsigned int i;

	if (!session)
		return;
	tp_resume_unregister(session);
	tp_chan_post_discard(session);
	pthread_mutex_destroy(&session->post_lock);
	if (session->state == TP_SESSION_OPEN)
		tp_session_send_close(session, -ESHUTDOWN, "session closed");
	while ((chan = LIST_FIRST(&session->chans)))
		tp_chan_free(chan);
	for (i = 0; i <= TP_FRAME_STRIPE_MAX; i++)
		tp_stripe_free(session->stripes[i]);
	tp_replay_free_all(session);
	tp_tls_free(session->tls);
	tp_codec_free(session->codec);
	tp_codec_auto_free(session->codec_auto);
	if (session->epfd >= 0)
		close(session->epfd);
	if (session->wake_watch.fd >= 0)
		close(session->wake_watch.fd);
	tp_registry_put(session->registry);
	OPENSSL_cleanse(session->token, sizeof(session->token));
	free(session->buildbuf);
	free(session->scratch);
	free(session);
	errno = saved_errno;
}

int tp_session_fail(struct tp_session *session, int code, const char *fmt, ...)
{
	struct tp_chan *chan;
	bool was_open = session->state == TP_SESSION_OPEN;
	va_list ap;

	if (session->state == TP_SESSION_FAILED)
		return session->err.code;
	session->state = TP_SESSION_FAILED;
	session->err.code = code;
	va_start(ap, fmt);
	vsnprintf(session->err.msg, sizeof(session->err.msg), fmt, ap);
	va_end(ap);
	tp_resume_unregister(session);
	if (was_open)
		tp_session_send_close(session, code, session->err.msg);
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
	return session->peer[0] ? session->peer : session->addr;
}

const char *tp_session_identity(const struct tp_session *session)
{
	return session->identity;
}

void tp_session_wake(struct tp_session *session)
{
	uint64_t one = 1;
	ssize_t n;

	n = write(session->wake_watch.fd, &one, sizeof(one));
	(void)n;
}

/*
 * Give the frame whose payload is in buildbuf a header and the next seq,
 * and move it to the replay list, where a stripe picks it up.
 */
static bool tp_session_emit(struct tp_session *session, uint8_t type,
                            struct tp_chan *chan, uint8_t codec,
                            uint32_t payload_len, uint32_t raw_len)
{
	struct tp_frame_hdr hdr = {
		.version = TP_FRAME_VERSION,
		.type = type,
		.codec = codec,
		.channel = chan->id,
		.payload_len = payload_len,
		.raw_len = raw_len,
		.seq = session->tx_seq + 1,
		.chan_prev = chan->tx_prev,
	};

	if (tp_frame_hdr_encode(&hdr, session->buildbuf, NULL) < 0)
		abort(); /* we built a frame our own decoder rejects */
	if (!tp_replay_add(session, session->buildbuf,
	                   TP_FRAME_HDR_LEN + payload_len)) {
		tp_session_fail(session, -ENOMEM, "out of memory");
		return false;
	}
	session->tx_seq++;
	chan->tx_prev = session->tx_seq;
	session->stats.tx_wire +=
	    TP_FRAME_HDR_LEN + (type == TP_FRAME_DATA ? 0 : payload_len);
	return true;
}

static uint8_t *tp_session_payload(struct tp_session *session)
{
	return session->buildbuf + TP_FRAME_HDR_LEN;
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
		return tp_session_emit(session, TP_FRAME_OPEN, chan, 0,
		                       (uint32_t)n, (uint32_t)n);
	}
	if (chan->reset_pending) {
		reason.code = chan->reset_code;
		reason.msg_len = (uint16_t)snprintf(
		    reason.msg, sizeof(reason.msg), "%s", chan->err.msg);
		if (reason.msg_len > TP_FRAME_REASON_MAX)
			reason.msg_len = TP_FRAME_REASON_MAX;
		n = tp_frame_reason_encode(&reason, p, NULL);
		chan->reset_pending = false;
		return tp_session_emit(session, TP_FRAME_RESET, chan, 0,
		                       (uint32_t)n, (uint32_t)n);
	}
	if (chan->done)
		return false;
	if (chan->credit_owed > 0 && !chan->remote_eof &&
	    (chan->credit_owed >= session->conf.chan_window / 4 ||
	     chan->credit_owed >= TP_CREDIT_BATCH)) {
		n = tp_frame_credit_encode(chan->credit_owed, p, NULL);
		chan->credit_owed = 0;
		return tp_session_emit(session, TP_FRAME_CREDIT, chan, 0,
		                       (uint32_t)n, (uint32_t)n);
	}
	if (chan->local_eof && chan->tx.len == 0 && !chan->eof_sent) {
		chan->eof_sent = true;
		if (!tp_session_emit(session, TP_FRAME_EOF, chan, 0, 0, 0))
			return false;
		tp_chan_check_done(chan);
		return true;
	}
	return false;
}

static bool tp_chan_can_send(const struct tp_chan *chan)
{
	return !chan->done && !chan->open_pending && chan->tx.len > 0 &&
	       chan->send_credit > 0 &&
	       tp_chan_wire_in_flight(chan) < chan->wwin.window;
}

/* Bytes of the next DATA frame of chan. */
static size_t tp_session_data_len(struct tp_session *session,
                                  struct tp_chan *chan, const uint8_t **data)
{
	size_t n = tp_ring_data_contig(&chan->tx, data);

	if (n > chan->send_credit)
		n = (size_t)chan->send_credit;
	if (n > session->peer_max_raw)
		n = session->peer_max_raw;
	if (n > session->conf.max_frame)
		n = session->conf.max_frame;
	return n;
}

/*
 * What TCP measured of the path, over the open stripes, refreshed every
 * TP_WIRE_RATE_MS: the wire rate for the adaptive codec (delivery rates
 * summed, else conf.link_mbps; never above the bandwidth cap), and the
 * least round trip for the wire windows (each stripe saw it at its
 * handshake, before any bulk data queued; kept when no stripe has one);
 * and whether one more stripe should carry bulk frames.
 */
static void tp_session_measure_path(struct tp_session *session)
{
	uint64_t now = tp_now_ms(), sum = 0, least = 0, busy = 0, limited = 0;
	struct tp_tcp_sample tcp;
	struct tp_stripe *stripe;
	unsigned int i;

	if (session->path_ms && now - session->path_ms < TP_WIRE_RATE_MS)
		return;
	for (i = 0; i <= TP_FRAME_STRIPE_MAX; i++) {
		stripe = session->stripes[i];
		if (!stripe || stripe->state != TP_STRIPE_OPEN ||
		    tp_tcp_path(stripe->watch.fd, &tcp) < 0)
			continue;
		if (tp_session_stripe_bulk(session, stripe)) {
			/* Idle stripes' rates are their handshakes'. */
			sum += tcp.rate_Bps;
			if (stripe->busy_us && tcp.busy_us >= stripe->busy_us &&
			    tcp.limited_us >= stripe->limited_us) {
				busy += tcp.busy_us - stripe->busy_us;
				limited += tcp.limited_us - stripe->limited_us;
			}
		}
		stripe->busy_us = tcp.busy_us;
		stripe->limited_us = tcp.limited_us;
		if (tcp.min_rtt_ns && (!least || tcp.min_rtt_ns < least))
			least = tcp.min_rtt_ns;
	}
	session->bulk_stripes = tp_bulk_stripes_next(
	    session->bulk_stripes, tp_session_open_stripes(session), busy,
	    limited);
	session->wire_Bps =
	    sum ? (double)sum : (double)session->conf.link_mbps * 125000.0;
	if (session->rate.bytes_per_s &&
	    session->wire_Bps > (double)session->rate.bytes_per_s)
		session->wire_Bps = (double)session->rate.bytes_per_s;
	if (least)
		session->path_rtt_ns = least;
	session->path_ms = now;
}

static double tp_session_wire_rate(struct tp_session *session)
{
	tp_session_measure_path(session);
	return session->wire_Bps;
}

uint64_t tp_session_path_rtt(struct tp_session *session)
{
	tp_session_measure_path(session);
	return session->path_rtt_ns;
}

/* AUTO: let the controller see the frame, switch codec when it says. */
static int tp_session_codec_adapt(struct tp_session *session,
                                  const uint8_t *data, size_t n)
{
	struct tp_codec *codec;
	unsigned int id;
	int level;

	if (session->conf.codec != TP_CODEC_AUTO)
		return 0;
	if (!session->codec_auto) {
		session->codec_auto = tp_codec_auto_new(session->peer_features);
		if (!session->codec_auto)
			return tp_session_fail(session, -ENOMEM,
			                       "out of memory");
	}
	if (!tp_codec_auto_frame(session->codec_auto, data, n, session->scratch,
	                         tp_session_wire_rate(session), &id, &level))
		return 0;
	codec = tp_codec_new(id, level);
	if (!codec)
		return tp_session_fail(session, -ENOMEM, "out of memory");
	tp_codec_free(session->codec);
	session->codec = codec;
	return 0;
}

static bool tp_session_fill_data(struct tp_session *session,
                                 struct tp_chan *chan)
{
	struct tp_error err = { 0 };
	const uint8_t *data;
	size_t n, wire_len = 0;
	uint8_t codec = 0;
	int ret;

	n = tp_session_data_len(session, chan, &data);
	if (tp_session_codec_adapt(session, data, n) < 0)
		return false;
	ret = tp_codec_encode(session->codec, data, n,
	                      tp_session_payload(session), &wire_len, &codec,
	                      &err);
	if (ret < 0) {
		tp_session_fail(session, ret, "peer %s: %s",
		                tp_session_peer(session), err.msg);
		return false;
	}
	if (!tp_session_emit(session, TP_FRAME_DATA, chan, codec,
	                     (uint32_t)wire_len, (uint32_t)n))
		return false;
	tp_ring_consume(&chan->tx, n);
	chan->send_credit -= n;
	tp_stats_add_tx(&chan->stats, n, TP_FRAME_HDR_LEN + wire_len);
	tp_chan_flight_sent(chan);
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

unsigned int tp_bulk_stripes_next(unsigned int bulk, unsigned int open,
                                  uint64_t busy_us, uint64_t limited_us)
{
	if (busy_us >= TP_BULK_GROW_BUSY_US && limited_us * 4 > busy_us &&
	    bulk < open)
		return bulk + 1;
	return bulk;
}

bool tp_session_stripe_bulk(const struct tp_session *session,
                            const struct tp_stripe *stripe)
{
	unsigned int i, below = 0;

	for (i = 0; i < stripe->index; i++)
		if (session->stripes[i] &&
		    session->stripes[i]->state == TP_STRIPE_OPEN)
			below++;
	return below < session->bulk_stripes;
}

bool tp_session_build(struct tp_session *session, bool bulk)
{
	const uint8_t *data;
	struct tp_chan *chan;
	unsigned int prio, first;

	if (session->state != TP_SESSION_OPEN)
		return false;
	if (!tp_replay_room(session,
	                    TP_FRAME_HDR_LEN + TP_FRAME_REASON_MIN +
	                        TP_FRAME_REASON_MAX,
	                    false))
		return false;
	/*
	 * A bulk stripe leaves control channels to the stripes that carry no
	 * bulk, while one is open: there a control frame neither queues
	 * behind bulk data in TCP nor waits for a bulk frame's
	 * retransmission.
	 */
	first = bulk && tp_session_open_stripes(session) > session->bulk_stripes
	            ? TP_PRIO_BULK
	            : TP_PRIO_CONTROL;
	for (prio = first; prio <= TP_PRIO_BULK; prio++)
		LIST_FOREACH(chan, &session->chans, entry)
	if (chan->priority == prio &&
	    tp_session_fill_chan_control(session, chan))
		return true;
	if (bulk && session->bulk_stripes <= TP_FRAME_STRIPE_MAX)
		tp_session_measure_path(session); /* may add a bulk stripe */
	for (prio = first; prio <= (bulk ? TP_PRIO_BULK : TP_PRIO_CONTROL);
	     prio++) {
		chan = tp_session_pick(session, prio);
		if (!chan)
			continue;
		/* A full replay buffer stalls the producer here. */
		if (!tp_replay_room(
		        session,
		        TP_FRAME_HDR_LEN +
		            tp_session_data_len(session, chan, &data),
		        prio == TP_PRIO_BULK))
			return false;
		/* So does the bandwidth cap; control data borrows. */
		if (prio == TP_PRIO_BULK &&
		    !tp_rate_allows(&session->rate, tp_now_ns())) {
			session->rate_blocked = true;
			return false;
		}
		session->rr_cursor[prio] = chan;
		return tp_session_fill_data(session, chan);
	}
	return false;
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

int tp_session_deliver(struct tp_session *session,
                       const struct tp_frame_hdr *hdr, const uint8_t *payload)
{
	struct tp_chan *chan;

	if (hdr->type != TP_FRAME_DATA)
		session->stats.rx_wire += TP_FRAME_HDR_LEN + hdr->payload_len;
	if (hdr->type == TP_FRAME_OPEN)
		return tp_session_recv_open(session, hdr, payload);
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

void tp_session_size_window(struct tp_session *session, int fd)
{
	struct tp_session_conf *conf = &session->conf;
	struct tcp_info info;
	socklen_t len = sizeof(info);
	uint64_t wire = TP_DEFAULT_WIRE_WINDOW, window, room;

	if (!session->window_auto)
		return;
	session->window_auto = false;
	/*
	 * A channel keeps at most a wire window in flight per round trip,
	 * and credit comes back in batches, a round trip late: four times
	 * the bandwidth-delay product (Mbit/s times us over 8 is bytes)
	 * keeps the link busy (twice was measured at 0.81 of a 100 Mbit/s,
	 * 50 ms link).
	 */
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) == 0)
		wire = (uint64_t)conf->link_mbps * info.tcpi_rtt / 2u;
	if (wire < TP_DEFAULT_WIRE_WINDOW)
		wire = TP_DEFAULT_WIRE_WINDOW;
	if (wire > TP_WWIN_MAX)
		wire = TP_WWIN_MAX;
	wire = (wire + 65535u) & ~(uint64_t)65535u;
	window = tp_chan_window_for((uint32_t)wire);
	if (!session->cap_auto) {
		/* A cap the caller chose still holds a few channels. */
		room = (conf->session_cap - 2ull * conf->replay_cap) / 4u;
		room =
		    room > conf->chan_send_cap ? room - conf->chan_send_cap : 0;
		if (window > room)
			window = room;
		if (window < TP_DEFAULT_WIRE_WINDOW)
			window = TP_DEFAULT_WIRE_WINDOW;
		if (wire > window)
			wire = window;
	}
	conf->wire_window = (uint32_t)wire;
	conf->chan_window = (uint32_t)window;
	if (session->cap_auto)
		conf->session_cap = tp_session_cap_for(conf);
}

/* Stripes for a bandwidth-delay product measured on the first stripe. */
static unsigned int tp_session_stripes_default(struct tp_session *session)
{
	struct tcp_info info;
	socklen_t len = sizeof(info);
	uint64_t bdp, count;
	int fd = session->stripes[0]->watch.fd;

	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) < 0)
		return 1;
	bdp = (uint64_t)session->conf.link_mbps * info.tcpi_rtt / 8u;
	count = (bdp + TP_STRIPE_BDP_SHARE - 1) / TP_STRIPE_BDP_SHARE;
	if (count < 1)
		count = 1;
	if (count > TP_STRIPES_DEFAULT_MAX)
		count = TP_STRIPES_DEFAULT_MAX;
	/*
	 * Size socket buffers to a stripe's share, past autotuning only, and
	 * only for a link rate the caller gave: buffers sized for the
	 * assumed 1 Gbit/s on a slower link queue seconds of data at its
	 * bottleneck (measured: 0.93 instead of 1.00 of a 100 Mbit/s link).
	 */
	if (!session->conf.sockbuf && !session->link_assumed &&
	    2 * bdp / count > TP_SOCKBUF_AUTO_MAX)
		session->conf.sockbuf =
		    (uint32_t)(2 * bdp / count > TP_SOCKBUF_MAX
		                   ? TP_SOCKBUF_MAX
		                   : 2 * bdp / count);
	return (unsigned int)count;
}

void tp_session_stripes_start(struct tp_session *session)
{
	struct tp_error err = { 0 };
	unsigned int i;

	session->stripe_count = session->conf.stripes
	                            ? session->conf.stripes
	                            : tp_session_stripes_default(session);
	for (i = 1; i < session->stripe_count; i++) {
		session->stripes[i] =
		    tp_stripe_new(session, (uint16_t)i, -1, &err);
		if (!session->stripes[i]) {
			session->stripe_count = i;
			return;
		}
		session->stripes[i]->retry_ms = tp_now_ms();
	}
}

static bool tp_session_live(const struct tp_session *session)
{
	return session->state == TP_SESSION_TLS ||
	       session->state == TP_SESSION_HELLO ||
	       session->state == TP_SESSION_OPEN;
}

/* Test hooks, applied in the session's own thread. */
static void tp_session_test_apply(struct tp_session *session)
{
	unsigned int mask = atomic_exchange(&session->test_kill_mask, 0);
	struct tp_stripe *stripe;
	unsigned int i;

	for (i = 0; mask && i <= TP_FRAME_STRIPE_MAX; i++) {
		stripe = session->stripes[i];
		if ((mask & (1u << i)) && stripe && stripe->watch.fd >= 0)
			shutdown(stripe->watch.fd, SHUT_RDWR);
	}
}

/* Outage limit and delayed acks; returns the next deadline. */
static uint64_t tp_session_tick(struct tp_session *session, uint64_t now)
{
	uint64_t next = UINT64_MAX, t;
	struct tp_stripe *stripe;
	unsigned int i;

	for (i = 0; i <= TP_FRAME_STRIPE_MAX && tp_session_live(session); i++) {
		if (!session->stripes[i])
			continue;
		t = tp_stripe_tick(session->stripes[i], now);
		if (t < next)
			next = t;
	}
	if (session->state != TP_SESSION_OPEN)
		return next;
	/*
	 * A stripe ticked above may have gone down just now, stamping
	 * down_since_ms after `now` was read: that is no outage yet.
	 */
	if (session->down_since_ms && now > session->down_since_ms &&
	    now - session->down_since_ms > session->conf.resume_timeout_ms) {
		tp_session_fail(
		    session, -ETIMEDOUT,
		    "peer %s: connection lost for %llu ms, beyond "
		    "the resume limit of %u ms (%s)",
		    tp_session_peer(session),
		    (unsigned long long)(now - session->down_since_ms),
		    session->conf.resume_timeout_ms, session->down_err.msg);
		return now;
	}
	if (session->down_since_ms &&
	    session->down_since_ms + session->conf.resume_timeout_ms + 1 < next)
		next = session->down_since_ms +
		       session->conf.resume_timeout_ms + 1;
	if (session->rx_seq > session->ack_sent) {
		if (!session->ack_due_ms)
			session->ack_due_ms = now + TP_ACK_DELAY_MS;
		if (now >= session->ack_due_ms) {
			for (i = 0; i <= TP_FRAME_STRIPE_MAX; i++) {
				stripe = session->stripes[i];
				if (stripe && stripe->state == TP_STRIPE_OPEN) {
					stripe->ack_pending = true;
					break;
				}
			}
		} else if (session->ack_due_ms < next) {
			next = session->ack_due_ms;
		}
	}
	return next;
}

/* Let every stripe write, starting with a different one each round. */
static void tp_session_flush(struct tp_session *session)
{
	unsigned int i, idx;

	session->rate_blocked = false;
	session->flush_start++;
	for (i = 0; i <= TP_FRAME_STRIPE_MAX && tp_session_live(session); i++) {
		idx = (session->flush_start + i) % (TP_FRAME_STRIPE_MAX + 1);
		if (session->stripes[idx])
			tp_stripe_flush(session->stripes[idx],
			                TP_FLUSH_FRAMES_MAX);
	}
}

/* One round: timers, flush, wait for events (at most wait_ms), dispatch. */
static void tp_session_step(struct tp_session *session, int wait_ms)
{
	struct epoll_event events[32];
	struct tp_watch *watch;
	uint64_t value, now, next, t;
	unsigned int i;
	int n, e;

	tp_session_test_apply(session);
	/* A client's TLS speaks first: drive it before waiting. */
	for (i = 0; i <= TP_FRAME_STRIPE_MAX && tp_session_live(session); i++)
		if (session->stripes[i] &&
		    session->stripes[i]->state == TP_STRIPE_TLS)
			tp_stripe_handle(session->stripes[i], 0);
	now = tp_now_ms();
	next = tp_session_tick(session, now);
	tp_session_flush(session);
	if (!tp_session_live(session))
		return;
	for (i = 0; i <= TP_FRAME_STRIPE_MAX; i++)
		if (session->stripes[i])
			tp_stripe_update(session->stripes[i]);
	now = tp_now_ms();
	/* Bulk waits for the bucket: wake when it has tokens again. */
	if (session->rate_blocked) {
		t = now +
		    (tp_rate_wait_ns(&session->rate, tp_now_ns()) + 999999u) /
		        1000000u;
		if (t < next)
			next = t;
	}
	if (next != UINT64_MAX &&
	    (wait_ms < 0 || (uint64_t)wait_ms > (next > now ? next - now : 0)))
		wait_ms = (int)(next > now ? next - now : 0);
	n = epoll_wait(session->epfd, events, 32, wait_ms);
	if (n < 0 && errno != EINTR) {
		tp_session_fail(session, -errno, "epoll: %s", strerror(errno));
		return;
	}
	for (e = 0; e < n && tp_session_live(session); e++) {
		watch = events[e].data.ptr;
		switch (watch->kind) {
		case TP_WATCH_SOCKET:
			tp_stripe_handle(watch->owner, events[e].events);
			break;
		case TP_WATCH_WAKEUP:
			if (read(watch->fd, &value, sizeof(value)) > 0 &&
			    atomic_exchange(&session->stop_req, 0))
				session->stop = 1;
			break;
		case TP_WATCH_CHAN:
			/* An earlier event may have released this fd. */
			if (((struct tp_chan *)watch->owner)->watch.fd >= 0)
				tp_chan_handle(watch->owner, events[e].events);
			break;
		}
	}
	if (session->state == TP_SESSION_OPEN)
		tp_resume_adopt(session);
	tp_chan_post_drain(session);
}

/* Keep the first connection's addresses, for tp_session_addrs. */
static void tp_session_note_addrs(struct tp_session *session)
{
	struct tp_stripe *st = session->stripes[0];
	socklen_t len = sizeof(session->local_sa);

	if (session->addrs_known || !st || st->watch.fd < 0)
		return;
	if (getsockname(st->watch.fd, (struct sockaddr *)&session->local_sa,
	                &len) < 0)
		return;
	len = sizeof(session->remote_sa);
	if (getpeername(st->watch.fd, (struct sockaddr *)&session->remote_sa,
	                &len) < 0)
		return;
	session->addrs_known = true;
}

/*
 * Until the session is open with the stripes that carry bulk frames from
 * the start: all of them, or just the first when more join as they prove
 * needed (bulk_stripes), the others connecting meanwhile.
 */
int tp_session_handshake(struct tp_session *session, struct tp_error *err)
{
	uint64_t deadline = tp_now_ms() + session->conf.handshake_ms;
	unsigned int wanted;
	uint64_t now;

	while (tp_session_live(session)) {
		now = tp_now_ms();
		wanted = session->stripe_count < session->bulk_stripes
		             ? session->stripe_count
		             : session->bulk_stripes;
		if (session->state == TP_SESSION_OPEN &&
		    (tp_session_open_stripes(session) >= wanted ||
		     now >= deadline))
			break;
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
	tp_session_note_addrs(session);
	return tp_session_error(session, err);
}

int tp_session_addrs(const struct tp_session *session,
                     struct sockaddr_storage *local,
                     struct sockaddr_storage *remote)
{
	if (!session->addrs_known)
		return -ENOTCONN;
	if (local)
		*local = session->local_sa;
	if (remote)
		*remote = session->remote_sa;
	return 0;
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

void tp_session_set_on_open(struct tp_session *session, tp_open_fn fn,
                            void *arg)
{
	session->conf.on_open = fn;
	session->conf.on_open_arg = arg;
}

void tp_session_stop(struct tp_session *session)
{
	atomic_store(&session->stop_req, 1);
	tp_session_wake(session);
}

void tp_session_test_kill(struct tp_session *session, unsigned int mask)
{
	atomic_fetch_or(&session->test_kill_mask, mask);
	tp_session_wake(session);
}

void tp_session_test_hold(struct tp_session *session, unsigned int stripe,
                          unsigned int ms)
{
	atomic_store(&session->test_hold_until_ms, tp_now_ms() + ms);
	atomic_store(&session->test_hold_stripe, stripe + 1);
	tp_session_wake(session);
}

unsigned int tp_session_test_stripes_open(const struct tp_session *session)
{
	return tp_session_open_stripes(session);
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
