/*
 * announce.c: send the frames of frame.h on a link through AF_PACKET
 * sockets: announcements, and both ends of the tunnel probe.
 *
 * Listening sockets see every frame of the link (ETH_P_ALL), narrowed in
 * the kernel to the probe ethertype by a classic BPF filter attached
 * before the socket is bound, so a busy link does not wake the threads.
 * Frames the host itself sends come back as PACKET_OUTGOING and are
 * skipped.
 */
#include "netcontinuity/announce.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Requests whose replies still count: replies to older ones are ignored. */
#define ANN_PROBE_RING 64
/* Frames the responder handles before it looks at its stop flag again. */
#define ANN_DRAIN_MAX 64

struct nc_probe_responder {
	int fd, wake_fd, ifindex;
	uint8_t mac[6];
	uint8_t tunnel[NC_TUNNEL_ID_LEN];
	atomic_uint answered;
	pthread_t thread;
};

/* A request nc_probe_check sent, and when. */
struct ann_sent {
	bool used;
	uint32_t seq;
	uint64_t nonce;
	uint64_t at_us;
};

static uint64_t ann_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Keep only frames of the probe ethertype, cut to NC_FRAME_MAX + 1 bytes
 * (so an oversized one still shows as such). */
static int ann_attach_probe_filter(int fd)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NC_PROBE_ETHERTYPE, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, NC_FRAME_MAX + 1),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = {
		.len = sizeof(code) / sizeof(code[0]),
		.filter = code,
	};

	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)))
		return -errno;
	return 0;
}

/*
 * Open a packet socket on dev: send-only, or (listen) receiving the probe
 * frames of the link. *fd is the caller's on success only.
 */
static int ann_open(const char *dev, bool listen, int *fd, int *ifindex,
                    struct nc_error *err)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	int sock = -1, index = 0, rc = 0;

	if (dev && strnlen(dev, IF_NAMESIZE) < IF_NAMESIZE)
		index = (int)if_nametoindex(dev);
	if (index <= 0) {
		rc = nc_error_set(err, -ENODEV, "no interface '%s'",
		                  dev ? dev : "");
		goto out;
	}
	/* Protocol 0: nothing is queued until bind says what to take. */
	sock = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (sock < 0) {
		if (errno == EPERM || errno == EACCES)
			rc = nc_error_set(err, -EPERM,
			                  "a packet socket on '%s' needs "
			                  "CAP_NET_RAW (run as root)",
			                  dev);
		else
			rc = nc_error_set(err, -errno,
			                  "packet socket for '%s': %s", dev,
			                  strerror(errno));
		goto out;
	}
	if (listen) {
		rc = ann_attach_probe_filter(sock);
		if (rc < 0) {
			nc_error_set(err, rc, "filter on '%s': %s", dev,
			             strerror(-rc));
			goto out;
		}
		sll.sll_protocol = htons(ETH_P_ALL);
	}
	sll.sll_ifindex = index;
	if (bind(sock, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		rc = nc_error_set(err, -errno, "binding to '%s': %s", dev,
		                  strerror(errno));
		goto out;
	}
	*fd = sock;
	*ifindex = index;
	sock = -1;
out:
	if (sock >= 0)
		close(sock);
	return rc;
}

/* Send one frame as it is (its own Ethernet header) on ifindex. */
static int ann_send(int fd, int ifindex, const uint8_t *frame, size_t len)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons((uint16_t)(frame[12] << 8 | frame[13])),
		.sll_ifindex = ifindex,
		.sll_halen = 6,
	};
	ssize_t n;

	memcpy(sll.sll_addr, frame, 6);
	do
		n = sendto(fd, frame, len, 0, (struct sockaddr *)&sll,
		           sizeof(sll));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

static int ann_send_failed(struct nc_error *err, const char *dev, int rc)
{
	if (rc == -ENETDOWN)
		return nc_error_set(err, rc, "link '%s' is down", dev);
	return nc_error_set(err, rc, "sending on '%s': %s", dev, strerror(-rc));
}

static void ann_sleep_until(const struct timespec *when)
{
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, when, NULL) ==
	       EINTR)
		;
}

static void ann_timespec_add_ms(struct timespec *ts, unsigned int ms)
{
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

/* Build the announcement for ip: a gratuitous ARP or an unsolicited NA. */
static int ann_build(uint8_t *frame, size_t len, const uint8_t mac[6],
                     const struct nc_addr *ip)
{
	if (ip->family == AF_INET)
		return nc_frame_garp(frame, len, mac, ip);
	return nc_frame_una(frame, len, mac, ip, false);
}

int nc_announce(const char *dev, const uint8_t mac[6],
                const struct nc_addr *ips, size_t n_ips, unsigned int rounds,
                unsigned int interval_ms, struct nc_error *err)
{
	uint8_t frame[NC_FRAME_MAX];
	struct timespec next;
	unsigned int round;
	int fd = -1, ifindex, len, rc;
	size_t i;

	if (!mac || (n_ips && !ips))
		return nc_error_set(err, -EINVAL,
		                    "announce: no MAC or no addresses");
	for (i = 0; i < n_ips; i++)
		if (ips[i].family != AF_INET && ips[i].family != AF_INET6)
			return nc_error_set(err, -EINVAL,
			                    "announce: address %zu is neither "
			                    "IPv4 nor IPv6",
			                    i);
	rc = ann_open(dev, false, &fd, &ifindex, err);
	if (rc < 0 || !n_ips)
		goto out; /* nothing to wait for */
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (round = 0; round < rounds; round++) {
		if (round > 0) {
			ann_timespec_add_ms(&next, interval_ms);
			ann_sleep_until(&next);
		}
		for (i = 0; i < n_ips; i++) {
			len = ann_build(frame, sizeof(frame), mac, &ips[i]);
			if (len < 0) {
				rc = nc_error_set(err, len,
				                  "announce: cannot build a "
				                  "frame for address %zu",
				                  i);
				goto out;
			}
			rc = ann_send(fd, ifindex, frame, (size_t)len);
			if (rc < 0) {
				ann_send_failed(err, dev, rc);
				goto out;
			}
		}
	}
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/*
 * Take the next frame of fd into buf: its length, 0 for one to skip
 * (sent by this host, or too long for buf), or -errno (-EAGAIN when none
 * is queued).
 */
static ssize_t ann_recv(int fd, uint8_t *buf, size_t len)
{
	struct sockaddr_ll sll;
	socklen_t sll_len = sizeof(sll);
	ssize_t n;

	n = recvfrom(fd, buf, len, MSG_DONTWAIT | MSG_TRUNC,
	             (struct sockaddr *)&sll, &sll_len);
	if (n < 0)
		return -errno;
	if (sll.sll_pkttype == PACKET_OUTGOING || (size_t)n > len)
		return 0;
	return n;
}

/* Answer a request for our tunnel, addressed to us; ignore the rest. */
static void ann_responder_handle(struct nc_probe_responder *r,
                                 const uint8_t *buf, size_t len)
{
	struct nc_probe req, reply;
	uint8_t frame[NC_FRAME_MIN];

	if (nc_frame_probe_parse(buf, len, &req) < 0 ||
	    req.type != NC_PROBE_REQUEST || memcmp(req.dst, r->mac, 6) != 0 ||
	    memcmp(req.tunnel, r->tunnel, NC_TUNNEL_ID_LEN) != 0)
		return;
	reply = req;
	memcpy(reply.dst, req.src, 6);
	memcpy(reply.src, r->mac, 6);
	reply.type = NC_PROBE_REPLY;
	if (nc_frame_probe_build(frame, sizeof(frame), &reply) < 0)
		return;
	if (ann_send(r->fd, r->ifindex, frame, sizeof(frame)) == 0)
		atomic_fetch_add(&r->answered, 1);
}

static void *ann_responder_main(void *arg)
{
	struct nc_probe_responder *r = arg;
	struct pollfd pfd[2] = {
		{ .fd = r->fd, .events = POLLIN },
		{ .fd = r->wake_fd, .events = POLLIN },
	};
	uint8_t buf[NC_FRAME_MAX + 1];
	ssize_t n;
	int i;

	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[1].revents)
			break;
		/* A bounded batch, then back to poll to see a stop. Errors
		 * (link down or gone) are read off and waited out. */
		for (i = 0; i < ANN_DRAIN_MAX; i++) {
			n = ann_recv(r->fd, buf, sizeof(buf));
			if (n < 0 && n != -EINTR)
				break;
			if (n > 0)
				ann_responder_handle(r, buf, (size_t)n);
		}
	}
	return NULL;
}

static void ann_responder_free(struct nc_probe_responder *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	if (r->wake_fd >= 0)
		close(r->wake_fd);
	free(r);
}

struct nc_probe_responder *
nc_probe_responder_start(const char *dev, const uint8_t mac[6],
                         const uint8_t tunnel[NC_TUNNEL_ID_LEN],
                         struct nc_error *err)
{
	struct nc_probe_responder *r = NULL;
	int rc;

	if (!mac || !tunnel) {
		rc = nc_error_set(err, -EINVAL,
		                  "probe responder: no MAC or "
		                  "no tunnel id");
		goto out;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		rc = nc_error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	r->fd = -1;
	r->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (r->wake_fd < 0) {
		rc = nc_error_set(err, -errno, "eventfd: %s", strerror(errno));
		goto out;
	}
	memcpy(r->mac, mac, 6);
	memcpy(r->tunnel, tunnel, NC_TUNNEL_ID_LEN);
	atomic_init(&r->answered, 0);
	rc = ann_open(dev, true, &r->fd, &r->ifindex, err);
	if (rc < 0)
		goto out;
	rc = -pthread_create(&r->thread, NULL, ann_responder_main, r);
	if (rc < 0)
		nc_error_set(err, rc, "probe responder on '%s': %s", dev,
		             strerror(-rc));
out:
	if (rc < 0) {
		ann_responder_free(r);
		errno = -rc;
		return NULL;
	}
	return r;
}

unsigned int nc_probe_responder_stop(struct nc_probe_responder *r)
{
	uint64_t one = 1;
	unsigned int answered;

	if (!r)
		return 0;
	/* An eventfd write of 1 cannot fail short of a bug. */
	if (write(r->wake_fd, &one, sizeof(one)) != sizeof(one))
		abort();
	pthread_join(r->thread, NULL);
	answered = atomic_load(&r->answered);
	ann_responder_free(r);
	return answered;
}

/* Send request seq (with a fresh nonce) and note it in ring. A full
 * queue (ENOBUFS, EAGAIN) loses this request only. */
static int ann_check_send(int fd, int ifindex, const char *dev,
                          struct nc_probe *req, uint32_t seq,
                          struct ann_sent *ring, struct nc_error *err)
{
	struct ann_sent *slot = &ring[seq % ANN_PROBE_RING];
	uint8_t frame[NC_FRAME_MIN];
	int rc;

	slot->used = false;
	if (getrandom(&req->nonce, sizeof(req->nonce), 0) != sizeof(req->nonce))
		return nc_error_set(err, -EIO, "getrandom: %s",
		                    strerror(errno));
	req->seq = seq;
	rc = nc_frame_probe_build(frame, sizeof(frame), req);
	if (rc < 0)
		return nc_error_set(err, rc, "cannot build a probe request");
	slot->at_us = ann_now_us();
	rc = ann_send(fd, ifindex, frame, sizeof(frame));
	if (rc == -ENOBUFS || rc == -EAGAIN)
		return 0;
	if (rc < 0)
		return ann_send_failed(err, dev, rc);
	slot->used = true;
	slot->seq = seq;
	slot->nonce = req->nonce;
	return 0;
}

/* Is buf the reply to a request in ring? Then *rtt_us is its round trip.
 * The peer must answer from the MAC the request went to. */
static bool ann_check_match(const uint8_t *buf, size_t len,
                            const struct nc_probe *req,
                            const struct ann_sent *ring, uint64_t *rtt_us)
{
	const struct ann_sent *slot;
	struct nc_probe reply;
	uint64_t now = ann_now_us();

	if (nc_frame_probe_parse(buf, len, &reply) < 0 ||
	    reply.type != NC_PROBE_REPLY ||
	    memcmp(reply.dst, req->src, 6) != 0 ||
	    memcmp(reply.src, req->dst, 6) != 0 ||
	    memcmp(reply.tunnel, req->tunnel, NC_TUNNEL_ID_LEN) != 0)
		return false;
	slot = &ring[reply.seq % ANN_PROBE_RING];
	if (!slot->used || slot->seq != reply.seq || slot->nonce != reply.nonce)
		return false;
	*rtt_us = now - slot->at_us;
	return true;
}

int nc_probe_check(const char *dev, const uint8_t mac[6],
                   const uint8_t peer_mac[6],
                   const uint8_t tunnel[NC_TUNNEL_ID_LEN],
                   unsigned int interval_ms, unsigned int timeout_ms,
                   uint64_t *rtt_us, struct nc_error *err)
{
	struct ann_sent ring[ANN_PROBE_RING] = { 0 };
	struct nc_probe req = { .type = NC_PROBE_REQUEST };
	uint8_t buf[NC_FRAME_MAX + 1];
	uint64_t now, deadline, next_send, wait_us, rtt = 0;
	struct pollfd pfd = { .events = POLLIN };
	char peer[NC_MAC_STRLEN];
	struct timespec wait;
	bool answered = false;
	uint32_t seq = 0;
	int fd = -1, ifindex, rc;
	ssize_t n;

	if (!mac || !peer_mac || !tunnel || !interval_ms || !timeout_ms)
		return nc_error_set(err, -EINVAL,
		                    "probe check: no MAC, peer or tunnel id, "
		                    "or a zero interval or timeout");
	nc_mac_format(peer_mac, peer, sizeof(peer));
	rc = ann_open(dev, true, &fd, &ifindex, err);
	if (rc < 0)
		goto out;
	pfd.fd = fd;
	memcpy(req.dst, peer_mac, 6);
	memcpy(req.src, mac, 6);
	memcpy(req.tunnel, tunnel, NC_TUNNEL_ID_LEN);
	now = ann_now_us();
	deadline = now + (uint64_t)timeout_ms * 1000;
	next_send = now;
	while (!answered) {
		now = ann_now_us();
		if (now >= deadline) {
			rc = nc_error_set(err, -ETIMEDOUT,
			                  "no probe reply from %s on '%s' "
			                  "within %u ms (%u requests sent)",
			                  peer, dev, timeout_ms, seq);
			goto out;
		}
		if (now >= next_send) {
			rc = ann_check_send(fd, ifindex, dev, &req, ++seq, ring,
			                    err);
			if (rc < 0)
				goto out;
			next_send += (uint64_t)interval_ms * 1000;
			if (next_send <= now)
				next_send = now + (uint64_t)interval_ms * 1000;
		}
		wait_us = (next_send < deadline ? next_send : deadline) - now;
		wait.tv_sec = (time_t)(wait_us / 1000000);
		wait.tv_nsec = (long)(wait_us % 1000000) * 1000;
		if (ppoll(&pfd, 1, &wait, NULL) < 0 && errno != EINTR) {
			rc = nc_error_set(err, -errno, "poll: %s",
			                  strerror(errno));
			goto out;
		}
		while (!answered) {
			n = ann_recv(fd, buf, sizeof(buf));
			if (n < 0 && n != -EINTR)
				break;
			if (n > 0)
				answered = ann_check_match(buf, (size_t)n, &req,
				                           ring, &rtt);
		}
	}
	if (rtt_us)
		*rtt_us = rtt;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}
