/*
 * rpc_relay.c: rcv_rpc_relay(), a poll() loop between the migration peer
 * (client) and the local libvirtd (daemon).
 *
 * Client -> daemon bytes go through a parser that holds at most one message
 * at a time: the length word is checked as soon as its 4 bytes are in, the
 * header once its 28 bytes are in, and only then is the body read. An
 * allowed CALL is gathered whole (so the policy can look at its args) and
 * then forwarded or refused; a refused CALL's body is dropped as it
 * arrives, never stored.
 *
 * Daemon -> client bytes pass as they come, but the relay follows their
 * message boundaries, so that an error reply it makes up is put in the
 * client's stream only between two daemon messages. It holds back each
 * daemon message's header until it is whole: the daemon's keepalive PINGs
 * are answered here and not passed on, so that libvirtd does not drop the
 * connection, and kill an incoming migration, while the WAN is down. The
 * transport watches the peer instead, and gives up after its resume limit;
 * the relay's end then closes, and libvirtd cleans up as for any client.
 *
 * Every queue is bounded: a side is read only while what it would add to
 * stays under RELAY_QUEUE_HIGH, plus one gathered message of at most
 * RCV_RPC_MSG_MAX.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "receiver/rpc.h"

#define RELAY_CHUNK      65536u        /* bytes per recv() */
#define RELAY_QUEUE_HIGH (256u * 1024) /* stop reading above this */
#define RELAY_LINE_MAX   256u          /* a log line, a refusal reason */
#define RELAY_REPLY_MAX  1024u         /* an error reply we make up */

/* Bytes waiting to be written: data[head .. head + len). */
struct relay_queue {
	uint8_t *data;
	size_t head, len, cap;
};

static int relay_queue_append(struct relay_queue *q, const uint8_t *p, size_t n)
{
	size_t cap;
	uint8_t *data;

	if (q->cap - q->head - q->len < n && q->head > 0) {
		memmove(q->data, q->data + q->head, q->len);
		q->head = 0;
	}
	if (q->cap - q->len < n) {
		cap = q->cap ? q->cap : 4096;
		while (cap - q->len < n)
			cap *= 2;
		data = realloc(q->data, cap);
		if (!data)
			return -ENOMEM;
		q->data = data;
		q->cap = cap;
	}
	memcpy(q->data + q->head + q->len, p, n);
	q->len += n;
	return 0;
}

static void relay_queue_consume(struct relay_queue *q, size_t n)
{
	q->head += n;
	q->len -= n;
	if (q->len == 0)
		q->head = 0;
}

static void relay_queue_free(struct relay_queue *q)
{
	free(q->data);
	memset(q, 0, sizeof(*q));
}

/* What becomes of the client message being read. */
enum relay_action {
	RELAY_GATHER, /* allowed CALL: gather it, check it, forward it */
	RELAY_DROP,   /* refused CALL: drop its body, answer with an error */
};

struct relay {
	int client_fd, daemon_fd;
	const struct rcv_rpc_policy *policy;
	struct tp_error *err;

	/* client -> daemon parser */
	uint8_t hdr[RCV_RPC_HDR_LEN];
	size_t hdr_fill;
	struct rcv_rpc_hdr call;
	const char *name; /* allowlist name of call, or NULL */
	enum relay_action action;
	size_t body_left;       /* body bytes of call still to come */
	struct relay_queue msg; /* the call being gathered, header included */
	char why[RELAY_LINE_MAX];

	/* daemon -> client boundary tracker */
	uint8_t dhdr[RCV_RPC_HDR_LEN]; /* the header being read */
	size_t dhdr_fill;
	size_t daemon_left; /* body bytes of the daemon's message to come */

	struct relay_queue to_daemon;
	struct relay_queue to_client;
	struct relay_queue held; /* error replies waiting for a boundary */
};

static bool relay_client_at_boundary(const struct relay *rl)
{
	return rl->hdr_fill == 0;
}

static bool relay_daemon_at_boundary(const struct relay *rl)
{
	return rl->dhdr_fill == 0 && rl->daemon_left == 0;
}

static void relay_log(struct relay *rl, const char *line)
{
	if (rl->policy && rl->policy->log)
		rl->policy->log(rl->policy->arg, line);
}

static const char *relay_type_name(int32_t type)
{
	static const char *const names[] = {
		"CALL",          "REPLY",          "MESSAGE",     "STREAM",
		"CALL_WITH_FDS", "REPLY_WITH_FDS", "STREAM_HOLE",
	};

	if (type < 0 || (size_t)type >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[type];
}

/* "program REMOTE proc 10 (NAME) serial 5" for log lines and replies. */
static void relay_describe(const struct rcv_rpc_hdr *h, const char *name,
                           char *buf, size_t len)
{
	const char *prog = h->prog == RCV_RPC_PROG_REMOTE      ? "REMOTE"
	                   : h->prog == RCV_RPC_PROG_KEEPALIVE ? "KEEPALIVE"
	                                                       : NULL;

	if (prog)
		snprintf(buf, len, "program %s proc %d%s%s%s serial %u", prog,
		         h->proc, name ? " (" : "", name ? name : "",
		         name ? ")" : "", h->serial);
	else
		snprintf(buf, len, "program 0x%08x proc %d serial %u", h->prog,
		         h->proc, h->serial);
}

/* Log a protocol violation once and fill err; the relay then ends. */
static int relay_violation(struct relay *rl, const char *what)
{
	char line[RELAY_LINE_MAX + 64];

	snprintf(line, sizeof(line), "rpc: protocol violation, relay ended: %s",
	         what);
	relay_log(rl, line);
	return tp_error_set(rl->err, -EPROTO, "%s", what);
}

/* A violation by who ("daemon sent ", or "" for the client). */
static int relay_violation_by(struct relay *rl, const char *who,
                              const char *msg)
{
	char what[TP_ERROR_MSG_MAX + 32];

	snprintf(what, sizeof(what), "%s%s", who, msg);
	return relay_violation(rl, what);
}

/*
 * Take the bytes of a message header from p[0..n) into hdr (*fill of
 * RCV_RPC_HDR_LEN so far); returns how many it took. A bad length word
 * ends the relay as soon as its 4 bytes are in (*rc), before anyone waits
 * for that many bytes; who ("daemon sent ") prefixes the message.
 */
static size_t relay_take_hdr(struct relay *rl, uint8_t *hdr, size_t *fill,
                             const uint8_t *p, size_t n, const char *who,
                             int *rc)
{
	struct tp_error perr = { 0 };
	size_t take = RCV_RPC_HDR_LEN - *fill;
	uint32_t len;

	take = take < n ? take : n;
	memcpy(hdr + *fill, p, take);
	*fill += take;
	*rc = 0;
	if (*fill >= 4 && *fill < RCV_RPC_HDR_LEN &&
	    rcv_rpc_len_decode(hdr, &len, &perr) < 0)
		*rc = relay_violation_by(rl, who, perr.msg);
	return take;
}

/* A keepalive message (PING or PONG): bodiless, with no error. */
static bool relay_is_keepalive(const struct rcv_rpc_hdr *h)
{
	return h->type == RCV_RPC_MESSAGE &&
	       h->prog == RCV_RPC_PROG_KEEPALIVE &&
	       h->vers == RCV_RPC_VERS_KEEPALIVE && h->status == RCV_RPC_OK &&
	       h->len == RCV_RPC_HDR_LEN;
}

/* Queue bytes for the client, only ever between two daemon messages. */
static int relay_inject(struct relay *rl, const uint8_t *p, size_t n)
{
	if (relay_daemon_at_boundary(rl))
		return relay_queue_append(&rl->to_client, p, n);
	return relay_queue_append(&rl->held, p, n);
}

/* Answer the current call with an error reply, and log why. */
static int relay_refuse(struct relay *rl, const char *why)
{
	char desc[RELAY_LINE_MAX], line[2 * RELAY_LINE_MAX];
	uint8_t reply[RELAY_REPLY_MAX];
	ssize_t n;

	relay_describe(&rl->call, rl->name, desc, sizeof(desc));
	snprintf(line, sizeof(line), "rpc: refused %s: %s", desc, why);
	relay_log(rl, line);
	snprintf(line, sizeof(line), "skyferry receiver refused %s: %s", desc,
	         why);
	n = rcv_rpc_error_reply(&rl->call, line, reply, sizeof(reply));
	if (n < 0)
		return tp_error_set(rl->err, (int)n, "rpc error reply too big");
	if (relay_inject(rl, reply, (size_t)n) < 0)
		return tp_error_set(rl->err, -ENOMEM,
		                    "no memory for the relay");
	return 0;
}

/* The whole call is in: check and forward it, or refuse it. */
static int relay_call_end(struct relay *rl)
{
	const struct rcv_rpc_policy *pol = rl->policy;
	const uint8_t *msg = rl->msg.data + rl->msg.head;
	int rc = 0;

	rl->hdr_fill = 0;
	if (rl->action == RELAY_DROP)
		return relay_refuse(rl, rl->why);
	rl->why[0] = '\0';
	if (pol && pol->check)
		rc = pol->check(
		    pol->arg, &rl->call, rl->name, msg + RCV_RPC_HDR_LEN,
		    rl->msg.len - RCV_RPC_HDR_LEN, rl->why, sizeof(rl->why));
	rl->why[sizeof(rl->why) - 1] = '\0';
	if (rc == 0)
		rc = relay_queue_append(&rl->to_daemon, msg, rl->msg.len);
	else
		rc = relay_refuse(rl,
		                  rl->why[0] ? rl->why : "refused by policy");
	relay_queue_consume(&rl->msg, rl->msg.len);
	if (rc == -ENOMEM)
		return tp_error_set(rl->err, rc, "no memory for the relay");
	return rc;
}

/* Decide about a CALL from its header alone. */
static void relay_call_start(struct relay *rl)
{
	const struct rcv_rpc_hdr *h = &rl->call;

	rl->name = rcv_rpc_allowed(h->prog, h->proc);
	rl->action = RELAY_DROP;
	if (!rl->name || h->prog != RCV_RPC_PROG_REMOTE)
		snprintf(rl->why, sizeof(rl->why), "procedure not allowed");
	else if (h->vers != RCV_RPC_VERS_REMOTE)
		snprintf(rl->why, sizeof(rl->why),
		         "program version %u not supported", h->vers);
	else if (h->status != RCV_RPC_OK)
		snprintf(rl->why, sizeof(rl->why), "call with status %d",
		         h->status);
	else
		rl->action = RELAY_GATHER;
}

/* The client's header is complete: classify the message. */
static int relay_header(struct relay *rl)
{
	const struct rcv_rpc_hdr *h = &rl->call;
	char desc[RELAY_LINE_MAX], what[2 * RELAY_LINE_MAX];
	struct tp_error perr = { 0 };

	if (rcv_rpc_hdr_peek(rl->hdr, rl->hdr_fill, &rl->call, &perr) < 0)
		return relay_violation(rl, perr.msg);
	rl->body_left = h->len - RCV_RPC_HDR_LEN;
	if (h->type == RCV_RPC_CALL) {
		relay_call_start(rl);
		if (rl->action == RELAY_GATHER &&
		    relay_queue_append(&rl->msg, rl->hdr, RCV_RPC_HDR_LEN) < 0)
			return tp_error_set(rl->err, -ENOMEM,
			                    "no memory for the relay");
		return rl->body_left ? 0 : relay_call_end(rl);
	}
	if (relay_is_keepalive(h) && rcv_rpc_allowed(h->prog, h->proc)) {
		rl->hdr_fill = 0;
		if (relay_queue_append(&rl->to_daemon, rl->hdr,
		                       RCV_RPC_HDR_LEN) < 0)
			return tp_error_set(rl->err, -ENOMEM,
			                    "no memory for the relay");
		return 0;
	}
	relay_describe(h, NULL, desc, sizeof(desc));
	snprintf(what, sizeof(what), "client sent a %s message (type %d, %s)",
	         relay_type_name(h->type), h->type, desc);
	return relay_violation(rl, what);
}

/* Bytes from the client, in whatever pieces recv() gave them. */
static int relay_from_client(struct relay *rl, const uint8_t *p, size_t n)
{
	size_t take;
	int rc = 0;

	while (n > 0 && rc == 0) {
		if (rl->hdr_fill < RCV_RPC_HDR_LEN) {
			take = relay_take_hdr(rl, rl->hdr, &rl->hdr_fill, p, n,
			                      "", &rc);
			if (rc == 0 && rl->hdr_fill == RCV_RPC_HDR_LEN)
				rc = relay_header(rl);
		} else {
			take = rl->body_left < n ? rl->body_left : n;
			if (rl->action == RELAY_GATHER &&
			    relay_queue_append(&rl->msg, p, take) < 0)
				return tp_error_set(rl->err, -ENOMEM,
				                    "no memory for the relay");
			rl->body_left -= take;
			if (rl->body_left == 0)
				rc = relay_call_end(rl);
		}
		p += take;
		n -= take;
	}
	return rc;
}

/* The daemon's header is whole: answer a PING, or pass the header on. */
static int relay_daemon_header(struct relay *rl)
{
	struct tp_error perr = { 0 };
	struct rcv_rpc_hdr h;
	uint8_t pong[RCV_RPC_HDR_LEN];

	if (rcv_rpc_hdr_peek(rl->dhdr, RCV_RPC_HDR_LEN, &h, &perr) < 0)
		return relay_violation_by(rl, "daemon sent ", perr.msg);
	rl->dhdr_fill = 0;
	rl->daemon_left = h.len - RCV_RPC_HDR_LEN;
	if (!relay_is_keepalive(&h) || h.proc != RCV_RPC_KEEPALIVE_PING)
		return relay_queue_append(&rl->to_client, rl->dhdr,
		                          RCV_RPC_HDR_LEN);
	/* The same header, with the PONG procedure. */
	memcpy(pong, rl->dhdr, sizeof(pong));
	pong[12] = pong[13] = pong[14] = 0;
	pong[15] = RCV_RPC_KEEPALIVE_PONG;
	return relay_queue_append(&rl->to_daemon, pong, sizeof(pong));
}

/* Bytes from the daemon: passed on, following message boundaries. */
static int relay_from_daemon(struct relay *rl, const uint8_t *p, size_t n)
{
	size_t take;
	int rc = 0;

	while (n > 0) {
		if (rl->daemon_left == 0) {
			take = relay_take_hdr(rl, rl->dhdr, &rl->dhdr_fill, p,
			                      n, "daemon sent ", &rc);
			if (rc == 0 && rl->dhdr_fill == RCV_RPC_HDR_LEN)
				rc = relay_daemon_header(rl);
		} else {
			take = rl->daemon_left < n ? rl->daemon_left : n;
			rl->daemon_left -= take;
			rc = relay_queue_append(&rl->to_client, p, take);
		}
		if (rc == -EPROTO)
			return rc;
		if (rc == 0 && relay_daemon_at_boundary(rl) && rl->held.len) {
			rc = relay_queue_append(&rl->to_client,
			                        rl->held.data + rl->held.head,
			                        rl->held.len);
			relay_queue_consume(&rl->held, rl->held.len);
		}
		if (rc < 0)
			return tp_error_set(rl->err, -ENOMEM,
			                    "no memory for the relay");
		p += take;
		n -= take;
	}
	return 0;
}

/* Write what is queued for fd, as far as it takes it now. */
static int relay_write(struct relay *rl, int fd, struct relay_queue *q,
                       const char *who)
{
	ssize_t n;

	while (q->len > 0) {
		n = send(fd, q->data + q->head, q->len,
		         MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0)
			return tp_error_set(rl->err, -errno,
			                    "writing to %s: %s", who,
			                    strerror(errno));
		relay_queue_consume(q, (size_t)n);
	}
	return 0;
}

/*
 * Read once from fd into buf. Returns bytes read, 0 at end of stream,
 * -EAGAIN when nothing was there, or another -errno with err filled.
 */
static ssize_t relay_read(struct relay *rl, int fd, uint8_t *buf,
                          const char *who)
{
	ssize_t n;

	do
		n = recv(fd, buf, RELAY_CHUNK, MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return -EAGAIN;
	if (n < 0)
		return tp_error_set(rl->err, -errno, "reading from %s: %s", who,
		                    strerror(errno));
	return n;
}

/* Which side closed, and whether it did so between two messages. */
static int relay_closed(struct relay *rl, bool client)
{
	if (client && !relay_client_at_boundary(rl))
		return tp_error_set(rl->err, -ECONNRESET,
		                    "client closed in the middle of a message");
	if (!client && !relay_daemon_at_boundary(rl))
		return tp_error_set(rl->err, -ECONNRESET,
		                    "daemon closed in the middle of a message");
	return 0;
}

/*
 * One side: write what waits for it, then read it if both sides are still
 * open. A hang-up or error is read or written into, to learn what it is.
 */
static int relay_side(struct relay *rl, const struct pollfd *pfd, bool client,
                      uint8_t *buf, bool may_read, bool *open)
{
	struct relay_queue *out = client ? &rl->to_client : &rl->to_daemon;
	const char *who = client ? "client" : "daemon";
	ssize_t n;
	int rc;

	if (!*open)
		return 0;
	if (pfd->revents & (POLLOUT | POLLHUP | POLLERR)) {
		rc = relay_write(rl, pfd->fd, out, who);
		if (rc < 0)
			return rc;
	}
	if (!may_read || !(pfd->revents & (POLLIN | POLLHUP | POLLERR)))
		return 0;
	n = relay_read(rl, pfd->fd, buf, who);
	if (n == -EAGAIN)
		return 0;
	if (n < 0)
		return (int)n;
	if (n == 0) {
		*open = false;
		return relay_closed(rl, client);
	}
	if (client)
		return relay_from_client(rl, buf, (size_t)n);
	return relay_from_daemon(rl, buf, (size_t)n);
}

/*
 * Poll events for both sides. After one side closed, only the queue
 * towards the other is written out; *done says there is nothing left.
 */
static void relay_events(const struct relay *rl, bool client_open,
                         bool daemon_open, struct pollfd pfd[2], bool *done)
{
	bool both = client_open && daemon_open;
	size_t to_client = rl->to_client.len + rl->held.len;

	pfd[0].fd = client_open ? rl->client_fd : -1; /* poll skips it */
	pfd[1].fd = daemon_open ? rl->daemon_fd : -1;
	pfd[0].events = pfd[1].events = 0;
	if (both && rl->to_daemon.len < RELAY_QUEUE_HIGH &&
	    to_client < RELAY_QUEUE_HIGH)
		pfd[0].events |= POLLIN;
	if (both && rl->to_client.len < RELAY_QUEUE_HIGH)
		pfd[1].events |= POLLIN;
	if (client_open && rl->to_client.len)
		pfd[0].events |= POLLOUT;
	if (daemon_open && rl->to_daemon.len)
		pfd[1].events |= POLLOUT;
	*done = !both && !(pfd[0].events | pfd[1].events);
}

int rcv_rpc_relay(int client_fd, int daemon_fd,
                  const struct rcv_rpc_policy *policy, struct tp_error *err)
{
	struct relay rl = { .client_fd = client_fd,
		            .daemon_fd = daemon_fd,
		            .policy = policy,
		            .err = err };
	struct pollfd pfd[2];
	bool client_open = true, daemon_open = true, done = false;
	uint8_t *buf = malloc(RELAY_CHUNK);
	int rc = 0;

	if (!buf)
		return tp_error_set(err, -ENOMEM, "no memory for the relay");
	for (;;) {
		relay_events(&rl, client_open, daemon_open, pfd, &done);
		if (done)
			break;
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			rc = tp_error_set(err, -errno, "poll: %s",
			                  strerror(errno));
			break;
		}
		rc = relay_side(&rl, &pfd[0], true, buf,
		                client_open && daemon_open, &client_open);
		if (rc == 0)
			rc = relay_side(&rl, &pfd[1], false, buf,
			                client_open && daemon_open,
			                &daemon_open);
		if (rc < 0)
			break;
	}
	free(buf);
	relay_queue_free(&rl.msg);
	relay_queue_free(&rl.to_daemon);
	relay_queue_free(&rl.to_client);
	relay_queue_free(&rl.held);
	return rc;
}
