/* TCP echo and UDP probe responder on one epoll loop: see sf_echo.h. */
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sf_echo.h"

#define SF_ECHO_EVENTS       64
#define SF_ECHO_UDP_MAX      65536
#define SF_ECHO_UDP_BATCH    64
#define SF_ECHO_ACCEPT_BATCH 64

enum sf_echo_kind { SF_ECHO_LISTENER, SF_ECHO_UDP, SF_ECHO_CONN };

/* What an epoll event points at; first member of every watched object. */
struct sf_echo_src {
	enum sf_echo_kind kind;
	int fd;
};

struct sf_echo_conn {
	struct sf_echo_src src;
	uint32_t events; /* currently registered with epoll */
	bool eof;        /* the client closed its side */
	size_t head, tail;
	LIST_ENTRY(sf_echo_conn) entry;
	uint8_t buf[SF_ECHO_BUF];
};

struct sf_echo {
	int epfd;
	struct sf_echo_src listener;
	struct sf_echo_src udp;
	uint16_t tcp_port, udp_port;
	unsigned clients;
	LIST_HEAD(, sf_echo_conn) conns;
	uint8_t datagram[SF_ECHO_UDP_MAX];
};

static int sf_echo_watch(struct sf_echo *echo, int op, struct sf_echo_src *src,
                         uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = src };

	return epoll_ctl(echo->epfd, op, src->fd, &ev) < 0 ? -errno : 0;
}

static int sf_echo_bind(int type, uint16_t port, uint16_t *bound,
                        struct sf_err *err)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
		                   .sin_port = htons(port),
		                   .sin_addr.s_addr = htonl(INADDR_ANY) };
	socklen_t slen = sizeof(sin);
	int fd, one = 1, ret;

	fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		sf_err_set(err, "socket: %s", strerror(errno));
		return ret;
	}
	/* Quick restarts for TCP; for UDP it would let two binds share a port.
	 */
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 1024) < 0) ||
	    getsockname(fd, (struct sockaddr *)&sin, &slen) < 0) {
		ret = -errno;
		sf_err_set(err, "%s port %u: %s",
		           type == SOCK_STREAM ? "tcp" : "udp", port,
		           strerror(errno));
		close(fd);
		return ret;
	}
	*bound = ntohs(sin.sin_port);
	return fd;
}

int sf_echo_open(struct sf_echo **out, uint16_t tcp_port, uint16_t udp_port,
                 struct sf_err *err)
{
	struct sf_echo *echo;
	int ret;

	echo = calloc(1, sizeof(*echo));
	if (echo == NULL) {
		sf_err_set(err, "out of memory");
		return -ENOMEM;
	}
	LIST_INIT(&echo->conns);
	echo->listener = (struct sf_echo_src){ SF_ECHO_LISTENER, -1 };
	echo->udp = (struct sf_echo_src){ SF_ECHO_UDP, -1 };
	echo->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (echo->epfd < 0) {
		ret = -errno;
		sf_err_set(err, "epoll_create1: %s", strerror(errno));
		goto out;
	}
	ret = sf_echo_bind(SOCK_STREAM, tcp_port, &echo->tcp_port, err);
	if (ret < 0)
		goto out;
	echo->listener.fd = ret;
	ret = sf_echo_bind(SOCK_DGRAM, udp_port, &echo->udp_port, err);
	if (ret < 0)
		goto out;
	echo->udp.fd = ret;
	ret = sf_echo_watch(echo, EPOLL_CTL_ADD, &echo->listener, EPOLLIN);
	if (ret == 0)
		ret = sf_echo_watch(echo, EPOLL_CTL_ADD, &echo->udp, EPOLLIN);
	if (ret < 0) {
		sf_err_set(err, "epoll_ctl: %s", strerror(-ret));
		goto out;
	}
	*out = echo;
	return 0;
out:
	sf_echo_free(echo);
	return ret;
}

static void sf_echo_conn_close(struct sf_echo *echo, struct sf_echo_conn *conn)
{
	close(conn->src.fd); /* also removes it from the epoll set */
	LIST_REMOVE(conn, entry);
	free(conn);
	echo->clients--;
}

static void sf_echo_accept(struct sf_echo *echo)
{
	int i;

	for (i = 0; i < SF_ECHO_ACCEPT_BATCH; i++) {
		struct sf_echo_conn *conn;
		int fd;

		fd = accept4(echo->listener.fd, NULL, NULL,
		             SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return; /* EAGAIN, or a client that already left */
		conn = echo->clients < SF_ECHO_MAX_CONNS ? malloc(sizeof(*conn))
		                                         : NULL;
		if (conn == NULL) {
			close(fd);
			continue;
		}
		conn->src = (struct sf_echo_src){ SF_ECHO_CONN, fd };
		conn->events = EPOLLIN;
		conn->eof = false;
		conn->head = conn->tail = 0;
		if (sf_echo_watch(echo, EPOLL_CTL_ADD, &conn->src, EPOLLIN)) {
			close(fd);
			free(conn);
			continue;
		}
		LIST_INSERT_HEAD(&echo->conns, conn, entry);
		echo->clients++;
	}
}

/*
 * Read what fits, send what is queued, then ask epoll for exactly what is
 * still possible: input while there is room, output while data is queued.
 * Returns false when the connection is finished and must be closed.
 */
static bool sf_echo_conn_serve(struct sf_echo_conn *conn, struct sf_echo *echo)
{
	uint32_t want;
	ssize_t n;

	if (!conn->eof && conn->tail < sizeof(conn->buf)) {
		n = recv(conn->src.fd, conn->buf + conn->tail,
		         sizeof(conn->buf) - conn->tail, 0);
		if (n == 0)
			conn->eof = true;
		else if (n > 0)
			conn->tail += (size_t)n;
		else if (errno != EAGAIN && errno != EINTR)
			return false;
	}
	if (conn->head < conn->tail) {
		n = send(conn->src.fd, conn->buf + conn->head,
		         conn->tail - conn->head, MSG_NOSIGNAL);
		if (n > 0)
			conn->head += (size_t)n;
		else if (n < 0 && errno != EAGAIN && errno != EINTR)
			return false;
	}
	if (conn->head == conn->tail)
		conn->head = conn->tail = 0;
	if (conn->eof && conn->head == conn->tail)
		return false;
	want = (!conn->eof && conn->tail < sizeof(conn->buf) ? EPOLLIN : 0) |
	       (conn->head < conn->tail ? EPOLLOUT : 0);
	if (want != conn->events) {
		if (sf_echo_watch(echo, EPOLL_CTL_MOD, &conn->src, want) < 0)
			return false;
		conn->events = want;
	}
	return true;
}

static void sf_echo_udp_serve(struct sf_echo *echo)
{
	int i;

	for (i = 0; i < SF_ECHO_UDP_BATCH; i++) {
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		ssize_t n;

		n = recvfrom(echo->udp.fd, echo->datagram,
		             sizeof(echo->datagram), 0,
		             (struct sockaddr *)&peer, &plen);
		if (n < 0)
			return;
		/* A full socket buffer drops the answer, as a probe expects. */
		sendto(echo->udp.fd, echo->datagram, (size_t)n, MSG_DONTWAIT,
		       (struct sockaddr *)&peer, plen);
	}
}

int sf_echo_run_once(struct sf_echo *echo, int timeout_ms, struct sf_err *err)
{
	struct epoll_event events[SF_ECHO_EVENTS];
	int n, i;

	n = epoll_wait(echo->epfd, events, SF_ECHO_EVENTS, timeout_ms);
	if (n < 0 && errno == EINTR)
		return 0;
	if (n < 0) {
		int ret = -errno;

		sf_err_set(err, "epoll_wait: %s", strerror(errno));
		return ret;
	}
	for (i = 0; i < n; i++) {
		struct sf_echo_src *src = events[i].data.ptr;

		switch (src->kind) {
		case SF_ECHO_LISTENER:
			sf_echo_accept(echo);
			break;
		case SF_ECHO_UDP:
			sf_echo_udp_serve(echo);
			break;
		case SF_ECHO_CONN: {
			struct sf_echo_conn *conn = (struct sf_echo_conn *)src;

			if (!sf_echo_conn_serve(conn, echo))
				sf_echo_conn_close(echo, conn);
			break;
		}
		}
	}
	return 0;
}

uint16_t sf_echo_tcp_port(const struct sf_echo *echo)
{
	return echo->tcp_port;
}

uint16_t sf_echo_udp_port(const struct sf_echo *echo)
{
	return echo->udp_port;
}

unsigned sf_echo_clients(const struct sf_echo *echo)
{
	return echo->clients;
}

void sf_echo_free(struct sf_echo *echo)
{
	if (echo == NULL)
		return;
	while (!LIST_EMPTY(&echo->conns))
		sf_echo_conn_close(echo, LIST_FIRST(&echo->conns));
	if (echo->listener.fd >= 0)
		close(echo->listener.fd);
	if (echo->udp.fd >= 0)
		close(echo->udp.fd);
	if (echo->epfd >= 0)
		close(echo->epfd);
	free(echo);
}
