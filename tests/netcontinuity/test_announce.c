/*
 * test_announce.c: announcements and the tunnel probe on real links, each
 * test in its own network namespace (Criterion forks per test): a veth
 * pair nca/ncb, and for the last test a VXLAN tunnel between two
 * namespaces.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "netcontinuity/announce.h"

/* The VM whose addresses are announced: not either link's own MAC, so the
 * kernel's own frames cannot be mistaken for ours. */
static const uint8_t vm_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t mac_a[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0a };
static const uint8_t mac_b[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0b };
static const uint8_t tunnel[NC_TUNNEL_ID_LEN] = "skyferry-tun-042";
static const uint8_t other_tunnel[NC_TUNNEL_ID_LEN] = "skyferry-tun-043";

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Run a shell command; its exit status (0 on success). */
static int sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int status;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	status = system(cmd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Wait until the kernel runs dev (carrier on, qdisc attached): frames
 * sent before that are dropped silently. 0, or -ETIMEDOUT after 3 s. */
static int link_wait_running(const char *dev)
{
	struct ifreq ifr = { 0 };
	uint64_t until = now_ms() + 3000;
	int fd, rc = -ETIMEDOUT;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	while (now_ms() < until) {
		if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 &&
		    (ifr.ifr_flags & IFF_RUNNING)) {
			rc = 0;
			break;
		}
		usleep(10000);
	}
	close(fd);
	return rc;
}

/* A private namespace with lo and the veth pair nca (mac_a) - ncb
 * (mac_b), both running. */
static void netns_setup(void)
{
	cr_assert_eq(unshare(CLONE_NEWNET), 0, "unshare: %s", strerror(errno));
	cr_assert_eq(sh("ip link set lo up"), 0);
	cr_assert_eq(sh("ip link add name nca address 02:00:00:00:00:0a "
	                "type veth peer name ncb address 02:00:00:00:00:0b"),
	             0);
	cr_assert_eq(sh("ip link set nca up && ip link set ncb up"), 0);
	cr_assert_eq(link_wait_running("nca"), 0);
	cr_assert_eq(link_wait_running("ncb"), 0);
}

/* A packet socket on dev that sees every frame, time-stamped on
 * arrival. */
static int capture_open(const char *dev)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
		.sll_ifindex = (int)if_nametoindex(dev),
	};
	int fd, one = 1;

	cr_assert_neq(sll.sll_ifindex, 0, "%s", dev);
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	cr_assert_geq(fd, 0, "packet socket: %s", strerror(errno));
	cr_assert_eq(
	    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMP, &one, sizeof(one)), 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sll, sizeof(sll)), 0);
	return fd;
}

/* The next incoming frame within wait_ms: its length, or 0. *stamp (if
 * not NULL) is when the kernel received it. */
static size_t capture_next(int fd, uint8_t *buf, size_t len, int wait_ms,
                           struct timeval *stamp)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	union {
		char buf[CMSG_SPACE(sizeof(struct timeval))];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct sockaddr_ll sll;
	struct msghdr msg = {
		.msg_name = &sll,
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = &control,
	};
	struct cmsghdr *cmsg;
	ssize_t n;

	for (;;) {
		if (poll(&pfd, 1, wait_ms) <= 0)
			return 0;
		msg.msg_namelen = sizeof(sll);
		msg.msg_controllen = sizeof(control);
		n = recvmsg(fd, &msg, 0);
		cr_assert_gt(n, 0);
		if (sll.sll_pkttype == PACKET_OUTGOING)
			continue;
		if (!stamp)
			return (size_t)n;
		cmsg = CMSG_FIRSTHDR(&msg);
		cr_assert(cmsg && cmsg->cmsg_level == SOL_SOCKET &&
		          cmsg->cmsg_type == SCM_TIMESTAMP);
		memcpy(stamp, CMSG_DATA(cmsg), sizeof(*stamp));
		return (size_t)n;
	}
}

static void frame_send(const char *dev, const uint8_t *frame, size_t len)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_ifindex = (int)if_nametoindex(dev),
	};
	int fd;

	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	cr_assert_geq(fd, 0);
	cr_assert_eq(
	    sendto(fd, frame, len, 0, (struct sockaddr *)&sll, sizeof(sll)),
	    (ssize_t)len);
	close(fd);
}

static struct nc_addr addr(int family, const char *text)
{
	struct nc_addr a = { .family = family };

	cr_assert_eq(inet_pton(family, text, a.bytes), 1);
	return a;
}

static double tv_ms(const struct timeval *a, const struct timeval *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1000.0 +
	       (double)(b->tv_usec - a->tv_usec) / 1000.0;
}

/* Three rounds, 100 ms apart: each IPv4 address gets a GARP and the IPv6
 * one an NA per round, byte for byte as frame.c builds them. */
Test(nc_announce, frames_arrive, .init = netns_setup)
{
	const struct nc_addr ips[3] = {
		addr(AF_INET, "198.18.1.10"),
		addr(AF_INET, "198.18.1.11"),
		addr(AF_INET6, "fd00::10"),
	};
	uint8_t buf[2048], want[NC_FRAME_MAX], mac[6];
	struct timeval stamp, first[3] = { 0 }, last[3] = { 0 };
	unsigned int count[3] = { 0 }, other = 0;
	struct nc_error err = { 0 };
	struct nc_addr ip;
	uint64_t start, took;
	size_t len, i;
	int fd, want_len;

	fd = capture_open("ncb");
	start = now_ms();
	cr_assert_eq(nc_announce("nca", vm_mac, ips, 3, 3, 100, &err), 0, "%s",
	             err.msg);
	took = now_ms() - start;
	cr_assert_geq(took, 200, "took %llu ms", (unsigned long long)took);
	cr_assert_lt(took, 1000, "took %llu ms", (unsigned long long)took);
	while ((len = capture_next(fd, buf, sizeof(buf), 300, &stamp))) {
		if (nc_frame_announce_parse(buf, len, mac, &ip) < 0 ||
		    memcmp(mac, vm_mac, 6) != 0)
			continue; /* the kernel's own traffic */
		for (i = 0; i < 3; i++)
			if (nc_addr_equal(&ip, &ips[i]))
				break;
		if (i == 3) {
			other++;
			continue;
		}
		want_len =
		    ip.family == AF_INET
		        ? nc_frame_garp(want, sizeof(want), vm_mac, &ip)
		        : nc_frame_una(want, sizeof(want), vm_mac, &ip, false);
		cr_assert_eq(len, (size_t)want_len);
		cr_assert_arr_eq(buf, want, len);
		if (!count[i]++)
			first[i] = stamp;
		last[i] = stamp;
	}
	close(fd);
	cr_assert_eq(other, 0);
	for (i = 0; i < 3; i++) {
		cr_assert_eq(count[i], 3, "address %zu: %u frames", i,
		             count[i]);
		cr_assert_geq(tv_ms(&first[i], &last[i]), 190.0,
		              "address %zu: rounds %.1f ms apart", i,
		              tv_ms(&first[i], &last[i]));
	}
}

Test(nc_announce, nothing_to_send, .init = netns_setup)
{
	const struct nc_addr ip = addr(AF_INET, "198.18.1.10");
	struct nc_error err = { 0 };
	uint64_t start = now_ms();

	cr_assert_eq(nc_announce("nca", vm_mac, &ip, 1, 0, 1000, &err), 0, "%s",
	             err.msg);
	cr_assert_eq(nc_announce("nca", vm_mac, NULL, 0, 3, 1000, &err), 0,
	             "%s", err.msg);
	cr_assert_lt(now_ms() - start, 500);
}

Test(nc_announce, bad_input, .init = netns_setup)
{
	const struct nc_addr ips[2] = { addr(AF_INET, "198.18.1.10") };
	struct nc_error err = { 0 };

	cr_assert_eq(nc_announce("nca", vm_mac, ips, 2, 1, 10, &err), -EINVAL);
	cr_assert_str_eq(err.msg,
	                 "announce: address 1 is neither IPv4 nor IPv6");
	cr_assert_eq(nc_announce("nca", NULL, ips, 1, 1, 10, &err), -EINVAL);
	cr_assert_eq(nc_announce("nca", vm_mac, NULL, 1, 1, 10, &err), -EINVAL);
}

Test(nc_announce, missing_interface, .init = netns_setup)
{
	const struct nc_addr ip = addr(AF_INET, "198.18.1.10");
	struct nc_error err = { 0 };
	uint64_t rtt;

	cr_assert_eq(nc_announce("nope0", vm_mac, &ip, 1, 1, 10, &err),
	             -ENODEV);
	cr_assert_str_eq(err.msg, "no interface 'nope0'");
	memset(&err, 0, sizeof(err));
	errno = 0;
	cr_assert_null(nc_probe_responder_start("nope0", mac_b, tunnel, &err));
	cr_assert_eq(errno, ENODEV);
	cr_assert_eq(err.code, -ENODEV);
	cr_assert_str_eq(err.msg, "no interface 'nope0'");
	memset(&err, 0, sizeof(err));
	cr_assert_eq(
	    nc_probe_check("nope0", mac_a, mac_b, tunnel, 10, 100, &rtt, &err),
	    -ENODEV);
	cr_assert_str_eq(err.msg, "no interface 'nope0'");
	cr_assert_eq(nc_announce("a-name-too-long-for-linux", vm_mac, &ip, 1, 1,
	                         10, &err),
	             -ENODEV);
	cr_assert_eq(nc_announce(NULL, vm_mac, &ip, 1, 1, 10, &err), -ENODEV);
}

Test(nc_announce, link_down, .init = netns_setup)
{
	const struct nc_addr ip = addr(AF_INET, "198.18.1.10");
	struct nc_error err = { 0 };

	cr_assert_eq(sh("ip link set nca down"), 0);
	cr_assert_eq(nc_announce("nca", vm_mac, &ip, 1, 1, 10, &err),
	             -ENETDOWN);
	cr_assert_str_eq(err.msg, "link 'nca' is down");
}

/* Drop CAP_NET_RAW from this (forked) test process only. */
static void drop_net_raw(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	cr_assert_eq(syscall(SYS_capget, &hdr, data), 0);
	data[CAP_NET_RAW / 32].effective &= ~(1u << (CAP_NET_RAW % 32));
	cr_assert_eq(syscall(SYS_capset, &hdr, data), 0);
}

Test(nc_announce, needs_cap_net_raw, .init = netns_setup)
{
	const struct nc_addr ip = addr(AF_INET, "198.18.1.10");
	struct nc_error err = { 0 };
	uint64_t rtt;

	drop_net_raw();
	cr_assert_eq(nc_announce("nca", vm_mac, &ip, 1, 1, 10, &err), -EPERM);
	cr_assert_str_eq(err.msg, "a packet socket on 'nca' needs CAP_NET_RAW "
	                          "(run as root)");
	errno = 0;
	cr_assert_null(nc_probe_responder_start("ncb", mac_b, tunnel, &err));
	cr_assert_eq(errno, EPERM);
	cr_assert_eq(
	    nc_probe_check("nca", mac_a, mac_b, tunnel, 10, 100, &rtt, &err),
	    -EPERM);
	cr_assert(strstr(err.msg, "CAP_NET_RAW"), "%s", err.msg);
}

Test(nc_announce, probe_answered, .init = netns_setup)
{
	struct nc_probe_responder *r;
	struct nc_error err = { 0 };
	uint64_t rtt = 0;

	r = nc_probe_responder_start("ncb", mac_b, tunnel, &err);
	cr_assert_not_null(r, "%s", err.msg);
	cr_assert_eq(
	    nc_probe_check("nca", mac_a, mac_b, tunnel, 20, 2000, &rtt, &err),
	    0, "%s", err.msg);
	cr_assert_gt(rtt, 0);
	cr_assert_lt(rtt, 2000000);
	/* Again: a second check on the same responder. */
	cr_assert_eq(
	    nc_probe_check("nca", mac_a, mac_b, tunnel, 20, 2000, &rtt, &err),
	    0, "%s", err.msg);
	cr_assert_geq(nc_probe_responder_stop(r), 2);
}

/* The reply on the wire: same tunnel, seq and nonce, from the responder's
 * MAC to the requester's. */
Test(nc_announce, probe_reply_bytes, .init = netns_setup)
{
	struct nc_probe req = {
		.type = NC_PROBE_REQUEST,
		.seq = 0x01020304,
		.nonce = 0x1122334455667788ULL,
	}, got;
	struct nc_probe_responder *r;
	struct nc_error err = { 0 };
	uint8_t frame[NC_FRAME_MIN], buf[2048];
	int fd, replies = 0;
	size_t len;

	memcpy(req.dst, mac_b, 6);
	memcpy(req.src, vm_mac, 6); /* need not be the link's own MAC */
	memcpy(req.tunnel, tunnel, NC_TUNNEL_ID_LEN);
	cr_assert_eq(nc_frame_probe_build(frame, sizeof(frame), &req), 60);
	r = nc_probe_responder_start("ncb", mac_b, tunnel, &err);
	cr_assert_not_null(r, "%s", err.msg);
	fd = capture_open("nca");
	frame_send("nca", frame, sizeof(frame));
	while ((len = capture_next(fd, buf, sizeof(buf), 300, NULL))) {
		if (nc_frame_probe_parse(buf, len, &got) < 0)
			continue;
		cr_assert_eq(len, 60);
		cr_assert_eq(got.type, NC_PROBE_REPLY);
		cr_assert_arr_eq(got.dst, vm_mac, 6);
		cr_assert_arr_eq(got.src, mac_b, 6);
		cr_assert_arr_eq(got.tunnel, tunnel, NC_TUNNEL_ID_LEN);
		cr_assert_eq(got.seq, 0x01020304);
		cr_assert_eq(got.nonce, 0x1122334455667788ULL);
		replies++;
	}
	close(fd);
	cr_assert_eq(replies, 1);
	cr_assert_eq(nc_probe_responder_stop(r), 1);
}

/* Requests for another tunnel or MAC, replies and malformed probes are not
 * answered; a good check afterwards is, once. */
Test(nc_announce, responder_ignores_others, .init = netns_setup)
{
	struct nc_probe req = { .type = NC_PROBE_REQUEST, .seq = 1 };
	struct nc_probe_responder *r;
	struct nc_error err = { 0 };
	uint8_t frame[NC_FRAME_MIN], buf[2048];
	uint64_t rtt;
	size_t len;
	int fd;

	r = nc_probe_responder_start("ncb", mac_b, tunnel, &err);
	cr_assert_not_null(r, "%s", err.msg);
	fd = capture_open("nca");
	memcpy(req.src, mac_a, 6);
	memcpy(req.dst, mac_b, 6);
	memcpy(req.tunnel, other_tunnel, NC_TUNNEL_ID_LEN);
	nc_frame_probe_build(frame, sizeof(frame), &req);
	frame_send("nca", frame, sizeof(frame)); /* other tunnel */
	memcpy(req.tunnel, tunnel, NC_TUNNEL_ID_LEN);
	memcpy(req.dst, vm_mac, 6);
	nc_frame_probe_build(frame, sizeof(frame), &req);
	frame_send("nca", frame, sizeof(frame)); /* other MAC */
	memcpy(req.dst, mac_b, 6);
	req.type = NC_PROBE_REPLY;
	nc_frame_probe_build(frame, sizeof(frame), &req);
	frame_send("nca", frame, sizeof(frame)); /* a reply */
	req.type = NC_PROBE_REQUEST;
	nc_frame_probe_build(frame, sizeof(frame), &req);
	frame[18] = 2; /* version 2 */
	frame_send("nca", frame, sizeof(frame));
	frame[18] = 1;
	frame[20] = 1; /* reserved flags */
	frame_send("nca", frame, sizeof(frame));
	while ((len = capture_next(fd, buf, sizeof(buf), 300, NULL)))
		cr_assert_neq(nc_frame_probe_parse(buf, len, NULL), 0,
		              "the responder answered");
	close(fd);
	/* One request only: interval longer than the timeout. */
	cr_assert_eq(
	    nc_probe_check("nca", mac_a, mac_b, tunnel, 5000, 2000, &rtt, &err),
	    0, "%s", err.msg);
	cr_assert_eq(nc_probe_responder_stop(r), 1);
}

/* Nobody answers: -ETIMEDOUT on time, naming the link and the peer; the
 * requests go out every interval with increasing seq and fresh nonces. */
Test(nc_announce, probe_timeout, .init = netns_setup)
{
	struct nc_probe got[16];
	struct nc_error err = { 0 };
	uint8_t buf[2048];
	uint64_t start, took, rtt = 42;
	size_t len, n = 0, i;
	char want[128];
	int fd, rc;

	fd = capture_open("ncb");
	start = now_ms();
	rc = nc_probe_check("nca", mac_a, mac_b, tunnel, 100, 480, &rtt, &err);
	took = now_ms() - start;
	cr_assert_eq(rc, -ETIMEDOUT, "%d %s", rc, err.msg);
	cr_assert_eq(err.code, -ETIMEDOUT);
	cr_assert_eq(rtt, 42, "rtt written on failure");
	cr_assert_geq(took, 480);
	cr_assert_lt(took, 1000, "took %llu ms", (unsigned long long)took);
	snprintf(want, sizeof(want),
	         "no probe reply from 02:00:00:00:00:0b on 'nca' within "
	         "480 ms (5 requests sent)");
	cr_assert_str_eq(err.msg, want);
	while ((len = capture_next(fd, buf, sizeof(buf), 200, NULL)))
		if (n < 16 && nc_frame_probe_parse(buf, len, &got[n]) == 0)
			n++;
	close(fd);
	cr_assert_eq(n, 5);
	for (i = 0; i < n; i++) {
		cr_assert_eq(got[i].type, NC_PROBE_REQUEST);
		cr_assert_arr_eq(got[i].dst, mac_b, 6);
		cr_assert_arr_eq(got[i].src, mac_a, 6);
		cr_assert_arr_eq(got[i].tunnel, tunnel, NC_TUNNEL_ID_LEN);
		cr_assert_eq(got[i].seq, i + 1);
		if (i > 0)
			cr_assert_neq(got[i].nonce, got[i - 1].nonce);
	}
}

Test(nc_announce, probe_wrong_tunnel_or_peer, .init = netns_setup)
{
	static const uint8_t stranger[6] = { 0x02, 0, 0, 0, 0, 0x99 };
	struct nc_probe_responder *r;
	struct nc_error err = { 0 };
	uint64_t rtt;

	r = nc_probe_responder_start("ncb", mac_b, other_tunnel, &err);
	cr_assert_not_null(r, "%s", err.msg);
	cr_assert_eq(
	    nc_probe_check("nca", mac_a, mac_b, tunnel, 20, 200, &rtt, &err),
	    -ETIMEDOUT, "%s", err.msg);
	cr_assert_eq(nc_probe_check("nca", mac_a, stranger, other_tunnel, 20,
	                            200, &rtt, &err),
	             -ETIMEDOUT, "%s", err.msg);
	cr_assert(strstr(err.msg, "02:00:00:00:00:99"), "%s", err.msg);
	cr_assert_eq(nc_probe_responder_stop(r), 0);
}

Test(nc_announce, probe_bad_input, .init = netns_setup)
{
	struct nc_error err = { 0 };
	uint64_t rtt;

	cr_assert_eq(
	    nc_probe_check("nca", mac_a, mac_b, tunnel, 0, 100, &rtt, &err),
	    -EINVAL);
	cr_assert_eq(
	    nc_probe_check("nca", mac_a, mac_b, tunnel, 10, 0, &rtt, &err),
	    -EINVAL);
	cr_assert_eq(
	    nc_probe_check("nca", NULL, mac_b, tunnel, 10, 100, &rtt, &err),
	    -EINVAL);
	cr_assert_eq(
	    nc_probe_check("nca", mac_a, mac_b, NULL, 10, 100, &rtt, &err),
	    -EINVAL);
	errno = 0;
	cr_assert_null(nc_probe_responder_start("ncb", NULL, tunnel, &err));
	cr_assert_eq(errno, EINVAL);
	cr_assert_eq(nc_probe_responder_stop(NULL), 0);
}

/* Stop is prompt even on an idle link. */
Test(nc_announce, responder_stops_promptly, .init = netns_setup)
{
	struct nc_probe_responder *r;
	struct nc_error err = { 0 };
	uint64_t start;

	r = nc_probe_responder_start("ncb", mac_b, tunnel, &err);
	cr_assert_not_null(r, "%s", err.msg);
	usleep(50000);
	start = now_ms();
	cr_assert_eq(nc_probe_responder_stop(r), 0);
	cr_assert_lt(now_ms() - start, 100);
}

static const uint8_t mac_vxa[6] = { 0x02, 0x00, 0x00, 0x00, 0x01, 0x0a };
static const uint8_t mac_vxb[6] = { 0x02, 0x00, 0x00, 0x00, 0x01, 0x0b };

/*
 * The far end of the VXLAN test, in a forked child: a namespace of its
 * own, then (once the parent moved ncb in) ncb and vxb, and a responder
 * on vxb until the parent says stop. Exits 0 if it answered at least one
 * request; any other code says which step failed.
 */
static void vxlan_far_end(int from_parent, int to_parent)
{
	struct nc_probe_responder *r;
	char c;

	if (unshare(CLONE_NEWNET) != 0)
		_exit(10);
	if (write(to_parent, "n", 1) != 1 || read(from_parent, &c, 1) != 1)
		_exit(11);
	if (sh("ip link set lo up && ip addr add 10.99.0.2/24 dev ncb && "
	       "ip link set ncb up && ip link add name vxb address "
	       "02:00:00:00:01:0b type vxlan id 42 local 10.99.0.2 remote "
	       "10.99.0.1 dstport 4789 dev ncb && ip link set vxb up") != 0)
		_exit(12);
	if (link_wait_running("ncb") != 0 || link_wait_running("vxb") != 0)
		_exit(13);
	r = nc_probe_responder_start("vxb", mac_vxb, tunnel, NULL);
	if (!r)
		_exit(14);
	if (write(to_parent, "r", 1) != 1)
		_exit(15);
	if (read(from_parent, &c, 1) < 0)
		_exit(16);
	_exit(nc_probe_responder_stop(r) >= 1 ? 0 : 17);
}

/* Two namespaces joined by veth, a VXLAN (VNI 42, UDP 4789) over it: the
 * probe crosses the tunnel and comes back. */
Test(nc_announce, probe_over_vxlan, .init = netns_setup)
{
	int down[2], up[2], status = -1;
	struct nc_error err = { 0 };
	uint64_t rtt = 0;
	pid_t pid;
	char c;
	int rc;

	cr_assert_eq(pipe2(down, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(up, O_CLOEXEC), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		close(down[1]);
		close(up[0]);
		vxlan_far_end(down[0], up[1]);
	}
	close(down[0]);
	close(up[1]);
	cr_assert_eq(read(up[0], &c, 1), 1, "child failed to start");
	cr_assert_eq(sh("ip link set ncb netns %d", (int)pid), 0);
	cr_assert_eq(write(down[1], "m", 1), 1);
	cr_assert_eq(sh("ip addr add 10.99.0.1/24 dev nca && ip link add name "
	                "vxa address 02:00:00:00:01:0a type vxlan id 42 local "
	                "10.99.0.1 remote 10.99.0.2 dstport 4789 dev nca && "
	                "ip link set vxa up"),
	             0);
	cr_assert_eq(link_wait_running("vxa"), 0);
	if (read(up[0], &c, 1) != 1) {
		waitpid(pid, &status, 0);
		cr_assert_fail("far end failed: exit %d",
		               WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	}
	rc = nc_probe_check("vxa", mac_vxa, mac_vxb, tunnel, 50, 3000, &rtt,
	                    &err);
	cr_assert_eq(write(down[1], "s", 1), 1);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert_eq(rc, 0, "%s", err.msg);
	cr_assert_gt(rtt, 0);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	          "far end: status %d", status);
	close(down[1]);
	close(up[0]);
}
