/*
 * listen.c: TCP listening, accepting and connecting; each connection
 * becomes a session that still has to run its handshake.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "transport/session_priv.h"

struct tp_listener {
	struct tp_session_conf conf;
	struct tp_tls *tls;
	struct tp_registry *registry; /* sessions a connection may join */
	int fd;
	uint16_t port;
};

/* Resolve host:port; *res is the caller's on success only. */
static int tp_resolve(const char *host, uint16_t port, bool passive,
                      struct addrinfo **res, struct tp_error *err)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
	char service[8];
	int ret;

	hints.ai_flags = passive ? AI_PASSIVE : 0;
	snprintf(service, sizeof(service), "%u", port);
	ret = getaddrinfo(host, service, &hints, res);
	if (ret != 0)
		return tp_error_set(err, -EHOSTUNREACH, "resolve %s: %s",
		                    host ? host : "*", gai_strerror(ret));
	return 0;
}

struct tp_listener *tp_listener_new(const struct tp_session_conf *conf,
                                    const char *host, uint16_t port,
                                    struct tp_error *err)
{
	struct tp_listener *listener = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct addrinfo *res = NULL;
	int one = 1, ret;

	ret = tp_resolve(host, port, true, &res, err);
	if (ret < 0)
		goto out;
	listener = calloc(1, sizeof(*listener));
	if (!listener) {
		ret = tp_error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	listener->fd = -1;
	listener->conf = *conf;
	listener->registry = tp_registry_new(conf->max_detached);
	if (!listener->registry) {
		ret = tp_error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	listener->tls = tp_tls_new(&conf->tls, true, err);
	if (!listener->tls) {
		ret = -errno;
		goto out;
	}
	listener->fd =
	    socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, 0);
	if (listener->fd < 0 ||
	    setsockopt(listener->fd, SOL_SOCKET, SO_REUSEADDR, &one,
	               sizeof(one)) < 0 ||
	    (tp_stripe_sockbuf_conf(conf, listener->fd), false) ||
	    bind(listener->fd, res->ai_addr, res->ai_addrlen) < 0 ||
	    listen(listener->fd, 64) < 0 ||
	    getsockname(listener->fd, (struct sockaddr *)&ss, &sl) < 0) {
		ret = tp_error_set(err, -errno, "listen on %s:%u: %s",
		                   host ? host : "*", port, strerror(errno));
		goto out;
	}
	listener->port = ntohs(ss.ss_family == AF_INET6
	                           ? ((struct sockaddr_in6 *)&ss)->sin6_port
	                           : ((struct sockaddr_in *)&ss)->sin_port);
out:
	if (res)
		freeaddrinfo(res);
	if (ret < 0) {
		tp_listener_free(listener);
		errno = -ret;
		return NULL;
	}
	return listener;
}

void tp_listener_free(struct tp_listener *listener)
{
	int saved_errno = errno;

	if (!listener)
		return;
	if (listener->fd >= 0)
		close(listener->fd);
	tp_tls_free(listener->tls);
	tp_registry_put(listener->registry);
	free(listener);
	errno = saved_errno;
}

uint16_t tp_listener_port(const struct tp_listener *listener)
{
	return listener->port;
}

int tp_listener_fd(const struct tp_listener *listener)
{
	return listener->fd;
}

unsigned int tp_listener_test_detached(const struct tp_listener *listener)
{
	return tp_registry_test_detached(listener->registry);
}

struct tp_session *tp_listener_accept(struct tp_listener *listener,
                                      int timeout_ms, struct tp_error *err)
{
	struct pollfd pfd = { .fd = listener->fd, .events = POLLIN };
	int fd, ret;

	ret = poll(&pfd, 1, timeout_ms);
	if (ret == 0) {
		tp_error_set(err, -ETIMEDOUT, "no peer within %d ms",
		             timeout_ms);
		errno = ETIMEDOUT;
		return NULL;
	}
	fd = ret < 0 ? -1
	             : accept4(listener->fd, NULL, NULL,
	                       SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		tp_error_set(err, -errno, "accept: %s", strerror(errno));
		return NULL;
	}
	tp_stripe_sockbuf_conf(&listener->conf, fd);
	return tp_session_new(&listener->conf, listener->tls, false, fd, true,
	                      listener->registry, err);
}

/*
 * Connect fd (non-blocking) to ai by deadline_ms: a SYN nobody answers
 * must not hold the caller for the kernel's minutes of retries. 0 or
 * -errno (-ETIMEDOUT at the deadline).
 */
static int tp_connect_by(int fd, const struct addrinfo *ai,
                         uint64_t deadline_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	socklen_t len = sizeof(int);
	uint64_t now;
	int soerr = 0, ret;

	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return -errno;
	do {
		now = tp_now_ms();
		if (now >= deadline_ms)
			return -ETIMEDOUT;
		ret = poll(&pfd, 1, (int)(deadline_ms - now));
	} while (ret < 0 && errno == EINTR);
	if (ret == 0)
		return -ETIMEDOUT;
	if (ret < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
		return -errno;
	return -soerr;
}

struct tp_session *tp_session_connect(const struct tp_session_conf *conf,
                                      const char *host, uint16_t port,
                                      struct tp_error *err)
{
	struct addrinfo *res = NULL, *ai;
	struct tp_session *session;
	struct sockaddr_storage sa;
	socklen_t sa_len = 0;
	struct tp_tls *tls = NULL;
	unsigned int timeout_ms =
	    conf->handshake_ms ? conf->handshake_ms : TP_DEFAULT_HANDSHAKE_MS;
	uint64_t deadline;
	int fd = -1, ret;

	ret = tp_resolve(host, port, false, &res, err);
	if (ret < 0)
		goto out;
	tls = tp_tls_new(&conf->tls, false, err);
	if (!tls) {
		ret = -errno;
		goto out;
	}
	deadline = tp_now_ms() + timeout_ms;
	for (ai = res; ai && ret != -ETIMEDOUT; ai = ai->ai_next) {
		fd = socket(ai->ai_family,
		            ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			ret = -errno;
			continue;
		}
		tp_stripe_sockbuf_conf(conf, fd);
		ret = tp_connect_by(fd, ai, deadline);
		if (ret == 0) {
			memcpy(&sa, ai->ai_addr, ai->ai_addrlen);
			sa_len = ai->ai_addrlen;
			break;
		}
		close(fd);
		fd = -1;
	}
	if (fd < 0 && ret == -ETIMEDOUT)
		ret = tp_error_set(err, ret,
		                   "connect %s:%u: no answer within %u ms",
		                   host, port, timeout_ms);
	else if (fd < 0)
		ret = tp_error_set(err, ret ? ret : -ECONNREFUSED,
		                   "connect %s:%u: %s", host, port,
		                   strerror(ret ? -ret : ECONNREFUSED));
out:
	if (res)
		freeaddrinfo(res);
	if (fd < 0) {
		tp_tls_free(tls);
		errno = -ret;
		return NULL;
	}
	session = tp_session_new(conf, tls, true, fd, false, NULL, err);
	if (session) {
		/* Further stripes and resumes go to the same address. */
		memcpy(&session->peer_sa, &sa, sa_len);
		session->peer_sa_len = sa_len;
	}
	return session;
}
