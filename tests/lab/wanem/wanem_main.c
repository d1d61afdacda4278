/*
 * sf-wanem: the lab's WAN emulator, a shaped L2 wire between two
 * interfaces, and its control client.
 *
 *   sf-wanem run --east IF --west IF --ctl SOCKPATH [--profile NAME]
 *                [--seed N]
 *   sf-wanem ctl SOCKPATH set [dir=ew|we|both] rate=.. delay=.. loss=..
 *                             [limit=..]
 *   sf-wanem ctl SOCKPATH profile lan|metro|wan|far
 *   sf-wanem ctl SOCKPATH cut SECONDS
 *   sf-wanem ctl SOCKPATH show
 *
 * One thread runs one epoll loop: frames are read in batches (recvmmsg),
 * scheduled by the shaper of their direction into a FIFO, and sent in
 * batches (sendmmsg) when due; the loop sleeps until the next frame is due
 * (epoll_pwait2, nanosecond timeout).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <linux/if_packet.h>

#include "wanem_ctl.h"
#include "wanem_port.h"
#include "wanem_ring.h"
#include "wanem_shaper.h"
#include "wanem_spec.h"

#define BATCH          64
#define RX_ROUNDS      8 /* batches read per wake-up, per port */
#define CONNS_MAX      16
#define CTL_TIMEOUT_S  5
#define TIMER_SLACK_NS 1000
/*
 * While frames are moving, the loop sleeps this long between rounds and
 * then drains everything in batches, instead of waking for every frame: at
 * 1 Gbit/s a frame is due every 12 us. Frames leave at most this late.
 * When a round moves fewer than POLL_MIN_FRAMES (a ping, an ACK), the loop
 * blocks until the next frame is due, so sparse traffic is timed exactly.
 */
#define POLL_QUANTUM_NS 100000
#define POLL_MIN_FRAMES 8

enum tag_kind {
	TAG_PORT = 1,
	TAG_SIGNAL,
	TAG_LISTEN,
	TAG_CONN,
};

#define TAG(kind, value) (((uint64_t)(kind) << 32) | (uint32_t)(value))

struct port {
	const char *ifname;
	int fd;
	bool tx_blocked;  /* waiting for EPOLLOUT */
	bool warned_csum; /* a frame with an unfinished checksum was seen */
	bool warned_size; /* a frame over WANEM_FRAME_MAX was seen */
	bool warned_tx;
};

/* port[WANEM_EW] is east: direction d reads port[d], sends on port[!d]. */
struct wanem_run {
	struct port port[WANEM_NDIRS];
	struct wanem_ring ring[WANEM_NDIRS];
	struct wanem_state st;
	int epfd;
	int sigfd;
	int listen_fd;
	int nconns;
	const char *ctl_path;
	bool ctl_bound;
	bool cut_logged;
	bool stop;
};

static struct mmsghdr rx_msgs[BATCH];
static struct iovec rx_iov[BATCH];
static unsigned char rx_bufs[BATCH][WANEM_FRAME_MAX];
static union {
	struct cmsghdr align;
	char buf[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
} rx_cmsg[BATCH];
static struct mmsghdr tx_msgs[BATCH];
static struct iovec tx_iov[BATCH];

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void logmsg(const char *fmt, ...)
{
	va_list ap;

	fputs("wanem: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int epoll_watch(int epfd, int op, int fd, uint32_t events, uint64_t tag)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.u64 = tag;
	return epoll_ctl(epfd, op, fd, &ev);
}

/* True if the frame came with its checksum left to the hardware. */
static bool frame_csum_partial(struct msghdr *msg)
{
	struct cmsghdr *cmsg;
	struct tpacket_auxdata aux;

	for (cmsg = CMSG_FIRSTHDR(msg); cmsg; cmsg = CMSG_NXTHDR(msg, cmsg)) {
		if (cmsg->cmsg_level != SOL_PACKET ||
		    cmsg->cmsg_type != PACKET_AUXDATA ||
		    cmsg->cmsg_len < CMSG_LEN(sizeof(aux)))
			continue;
		memcpy(&aux, CMSG_DATA(cmsg), sizeof(aux));
		return aux.tp_status & TP_STATUS_CSUMNOTREADY;
	}
	return false;
}

static void frame_admit(struct wanem_run *run, int dir, struct mmsghdr *m,
                        uint64_t now, bool cut)
{
	struct wanem_shaper *sh = &run->st.dir[dir];
	struct port *port = &run->port[dir];
	size_t len = m->msg_len;
	uint64_t delivery;
	int ret;

	if (len > WANEM_FRAME_MAX) {
		sh->counters.rx_frames++;
		sh->counters.rx_bytes += len;
		sh->counters.drop_oversize++;
		if (!port->warned_size)
			logmsg("%s: dropping a %zu-byte frame: turn off TSO, "
			       "GSO and GRO at the sender",
			       port->ifname, len);
		port->warned_size = true;
		return;
	}
	if (!port->warned_csum && frame_csum_partial(&m->msg_hdr)) {
		logmsg("%s: frames arrive with checksums left to offload; "
		       "the far side will drop them: run 'ethtool -K IF tx "
		       "off' on the sender's interface",
		       port->ifname);
		port->warned_csum = true;
	}
	if (wanem_shaper_admit(sh, now, len, cut, &delivery) != WANEM_PASS)
		return;
	ret = wanem_ring_push(&run->ring[dir], rx_bufs[m - rx_msgs], len,
	                      delivery);
	if (ret < 0)
		sh->counters.drop_queue++;
}

/* Reads what port dir has received, up to RX_ROUNDS batches. */
static int port_rx(struct wanem_run *run, int dir)
{
	int fd = run->port[dir].fd, round, i, n, total = 0;
	uint64_t now;
	bool cut;

	for (round = 0; round < RX_ROUNDS; round++) {
		for (i = 0; i < BATCH; i++) {
			rx_iov[i].iov_base = rx_bufs[i];
			rx_iov[i].iov_len = WANEM_FRAME_MAX;
			memset(&rx_msgs[i].msg_hdr, 0, sizeof(struct msghdr));
			rx_msgs[i].msg_hdr.msg_iov = &rx_iov[i];
			rx_msgs[i].msg_hdr.msg_iovlen = 1;
			rx_msgs[i].msg_hdr.msg_control = rx_cmsg[i].buf;
			rx_msgs[i].msg_hdr.msg_controllen =
			    sizeof(rx_cmsg[i].buf);
		}
		n = recvmmsg(fd, rx_msgs, BATCH, MSG_DONTWAIT | MSG_TRUNC,
		             NULL);
		if (n <= 0)
			break;
		now = now_ns();
		cut = wanem_state_cut(&run->st, now);
		for (i = 0; i < n; i++)
			frame_admit(run, dir, &rx_msgs[i], now, cut);
		total += n;
		if (n < BATCH)
			break;
	}
	return total;
}

static void port_tx_block(struct wanem_run *run, int portno, bool blocked)
{
	struct port *port = &run->port[portno];
	uint32_t events = EPOLLIN | (blocked ? EPOLLOUT : 0);

	port->tx_blocked = blocked;
	if (epoll_watch(run->epfd, EPOLL_CTL_MOD, port->fd, events,
	                TAG(TAG_PORT, portno)) < 0)
		logmsg("%s: epoll: %s", port->ifname, strerror(errno));
}

/* Sends every frame of direction dir that is due at now; returns how many
 * frames left the ring. */
static size_t dir_flush(struct wanem_run *run, int dir, uint64_t now)
{
	struct wanem_ring *ring = &run->ring[dir];
	struct wanem_counters *c = &run->st.dir[dir].counters;
	struct port *port = &run->port[!dir];
	bool cut = wanem_state_cut(&run->st, now);
	uint64_t delivery;
	size_t len, n, i, moved = 0;
	int sent;

	while (ring->count && !port->tx_blocked) {
		for (n = 0; n < BATCH && n < ring->count; n++) {
			tx_iov[n].iov_base =
			    wanem_ring_frame(ring, n, &len, &delivery);
			tx_iov[n].iov_len = len;
			if (delivery > now)
				break;
			memset(&tx_msgs[n].msg_hdr, 0, sizeof(struct msghdr));
			tx_msgs[n].msg_hdr.msg_iov = &tx_iov[n];
			tx_msgs[n].msg_hdr.msg_iovlen = 1;
		}
		if (!n)
			break;
		moved += n;
		if (cut) {
			c->drop_cut += n;
			wanem_ring_pop(ring, n);
			continue;
		}
		sent =
		    sendmmsg(port->fd, tx_msgs, (unsigned int)n, MSG_DONTWAIT);
		if (sent < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				port_tx_block(run, !dir, true);
				break;
			}
			/* The frame is lost, as on a congested link. */
			if (!port->warned_tx)
				logmsg("%s: send: %s", port->ifname,
				       strerror(errno));
			port->warned_tx = true;
			c->drop_tx++;
			wanem_ring_pop(ring, 1);
			continue;
		}
		for (i = 0; i < (size_t)sent; i++) {
			c->fwd_frames++;
			c->fwd_bytes += tx_iov[i].iov_len;
		}
		wanem_ring_pop(ring, (size_t)sent);
		moved -= n - (size_t)sent;
	}
	return moved;
}

/* Nanoseconds until something is due, or -1 for nothing. */
static int64_t run_next_timeout(struct wanem_run *run, uint64_t now)
{
	uint64_t next = UINT64_MAX, delivery;
	size_t len;
	int dir;

	for (dir = 0; dir < WANEM_NDIRS; dir++) {
		if (!run->ring[dir].count || run->port[!dir].tx_blocked)
			continue;
		wanem_ring_frame(&run->ring[dir], 0, &len, &delivery);
		if (delivery < next)
			next = delivery;
	}
	if (wanem_state_cut(&run->st, now) && run->st.cut_until_ns < next)
		next = run->st.cut_until_ns;
	if (next == UINT64_MAX)
		return -1;
	return next > now ? (int64_t)(next - now) : 0;
}

static void run_rx_drops_collect(struct wanem_run *run)
{
	int dir;

	for (dir = 0; dir < WANEM_NDIRS; dir++)
		run->st.dir[dir].counters.drop_rxbuf +=
		    wanem_port_rx_drops(run->port[dir].fd);
}

static void run_settings_log(struct wanem_run *run, const char *why)
{
	char line[160];
	int dir;

	for (dir = 0; dir < WANEM_NDIRS; dir++) {
		wanem_link_format(&run->st.dir[dir], line, sizeof(line));
		logmsg("%s: profile=%s %s %s", why,
		       wanem_profile_name(run->st.profile), wanem_dir_name(dir),
		       line);
	}
}

static void ctl_req_log(struct wanem_run *run, const struct wanem_req *req,
                        uint64_t cuts_before)
{
	switch (req->cmd) {
	case WANEM_CMD_CUT:
		if (run->st.cuts != cuts_before)
			logmsg("ctl: link cut for %" PRIu64 " ms",
			       req->cut_ns / 1000000);
		else
			logmsg("ctl: cut ended");
		run->cut_logged = false;
		break;
	case WANEM_CMD_SET:
	case WANEM_CMD_PROFILE:
		run_settings_log(run, "ctl");
		break;
	case WANEM_CMD_SHOW:
		break;
	}
}

/* Serves one control request on a connection, then closes it. */
static void ctl_conn_serve(struct wanem_run *run, int fd)
{
	char msg[WANEM_REQ_MAX + 1], reply[WANEM_REPLY_MAX];
	uint64_t cuts = run->st.cuts;
	struct wanem_req req;
	ssize_t n;
	int ret;

	n = recv(fd, msg, sizeof(msg), MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0) {
		run_rx_drops_collect(run);
		ret = wanem_ctl_handle(&run->st, msg, (size_t)n, now_ns(),
		                       reply, sizeof(reply));
		if (ret < 0)
			logmsg("ctl: rejected: %.*s",
			       (int)strcspn(reply + 7, "\n"), reply + 7);
		else if (wanem_req_parse(msg, (size_t)n, &req, NULL, 0) == 0)
			ctl_req_log(run, &req, cuts);
		if (send(fd, reply, strlen(reply),
		         MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
			logmsg("ctl: reply: %s", strerror(errno));
	}
	epoll_ctl(run->epfd, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
	run->nconns--;
}

static void ctl_accept(struct wanem_run *run)
{
	int fd;

	fd = accept4(run->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (run->nconns >= CONNS_MAX ||
	    epoll_watch(run->epfd, EPOLL_CTL_ADD, fd, EPOLLIN,
	                TAG(TAG_CONN, fd)) < 0) {
		close(fd);
		return;
	}
	run->nconns++;
}

static int unix_addr_make(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path)) {
		logmsg("control socket path '%s' is longer than %zu bytes",
		       path, sizeof(sun->sun_path) - 1);
		return -ENAMETOOLONG;
	}
	memcpy(sun->sun_path, path, strlen(path));
	return 0;
}

/* Listens on path, replacing a stale socket but not a live emulator. */
static int ctl_listen(struct wanem_run *run)
{
	struct sockaddr_un sun;
	struct stat sb;
	int fd;

	if (unix_addr_make(run->ctl_path, &sun) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
		logmsg("another emulator is listening on %s", run->ctl_path);
		close(fd);
		return -1;
	}
	close(fd);
	if (lstat(run->ctl_path, &sb) == 0 && S_ISSOCK(sb.st_mode))
		unlink(run->ctl_path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		close(fd);
		goto fail;
	}
	run->ctl_bound = true;
	if (listen(fd, 8) < 0) {
		close(fd);
		goto fail;
	}
	run->listen_fd = fd;
	return 0;
fail:
	logmsg("control socket %s: %s", run->ctl_path, strerror(errno));
	return -1;
}

static int run_setup(struct wanem_run *run, const char *east, const char *west)
{
	char err[WANEM_ERR_MAX];
	const char *names[WANEM_NDIRS] = { east, west };
	sigset_t mask;
	bool gro_changed;
	int dir, fd;

	prctl(PR_SET_TIMERSLACK, TIMER_SLACK_NS);
	for (dir = 0; dir < WANEM_NDIRS; dir++) {
		if (wanem_ring_init(&run->ring[dir]) < 0) {
			logmsg("out of memory");
			return -1;
		}
		run->port[dir].ifname = names[dir];
		fd =
		    wanem_port_open(names[dir], &gro_changed, err, sizeof(err));
		if (fd < 0) {
			logmsg("%s", err);
			return -1;
		}
		run->port[dir].fd = fd;
		if (gro_changed)
			logmsg("%s: turned GRO off", names[dir]);
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	run->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	run->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (run->sigfd < 0 || run->epfd < 0) {
		logmsg("epoll/signalfd: %s", strerror(errno));
		return -1;
	}
	if (ctl_listen(run) < 0)
		return -1;
	if (epoll_watch(run->epfd, EPOLL_CTL_ADD, run->sigfd, EPOLLIN,
	                TAG(TAG_SIGNAL, 0)) < 0 ||
	    epoll_watch(run->epfd, EPOLL_CTL_ADD, run->listen_fd, EPOLLIN,
	                TAG(TAG_LISTEN, 0)) < 0)
		goto fail;
	for (dir = 0; dir < WANEM_NDIRS; dir++)
		if (epoll_watch(run->epfd, EPOLL_CTL_ADD, run->port[dir].fd,
		                EPOLLIN, TAG(TAG_PORT, dir)) < 0)
			goto fail;
	return 0;
fail:
	logmsg("epoll: %s", strerror(errno));
	return -1;
}

static void run_teardown(struct wanem_run *run)
{
	int dir;

	for (dir = 0; dir < WANEM_NDIRS; dir++) {
		if (run->port[dir].fd >= 0)
			close(run->port[dir].fd);
		wanem_ring_free(&run->ring[dir]);
	}
	if (run->listen_fd >= 0)
		close(run->listen_fd);
	if (run->ctl_bound)
		unlink(run->ctl_path);
	if (run->sigfd >= 0)
		close(run->sigfd);
	if (run->epfd >= 0)
		close(run->epfd);
}

/* Returns the number of frames received. */
static int run_dispatch(struct wanem_run *run, struct epoll_event *ev)
{
	uint32_t kind = (uint32_t)(ev->data.u64 >> 32);
	int value = (int)(uint32_t)ev->data.u64;
	struct signalfd_siginfo si;
	int received = 0;

	switch (kind) {
	case TAG_PORT:
		if ((ev->events & EPOLLOUT) && run->port[value].tx_blocked)
			port_tx_block(run, value, false);
		if (ev->events & EPOLLIN)
			received = port_rx(run, value);
		if (ev->events & (EPOLLERR | EPOLLHUP)) {
			logmsg("%s: socket error or hang-up",
			       run->port[value].ifname);
			run->stop = true;
		}
		break;
	case TAG_SIGNAL:
		if (read(run->sigfd, &si, sizeof(si)) == sizeof(si)) {
			logmsg("signal %u: stopping", si.ssi_signo);
			run->stop = true;
		}
		break;
	case TAG_LISTEN:
		ctl_accept(run);
		break;
	case TAG_CONN:
		ctl_conn_serve(run, value);
		break;
	}
	return received;
}

static int run_loop(struct wanem_run *run)
{
	static const struct timespec quantum = { 0, POLL_QUANTUM_NS };
	struct epoll_event evs[16];
	struct timespec ts, zero = { 0, 0 };
	size_t moved = 0;
	int64_t timeout;
	uint64_t now;
	int dir, n, i;

	while (!run->stop) {
		now = now_ns();
		for (dir = 0; dir < WANEM_NDIRS; dir++)
			moved += dir_flush(run, dir, now);
		if (run->st.cut_until_ns && !wanem_state_cut(&run->st, now) &&
		    !run->cut_logged) {
			logmsg("cut over, link restored");
			run->cut_logged = true;
		}
		timeout = run_next_timeout(run, now);
		if (moved >= POLL_MIN_FRAMES && timeout != 0) {
			/* Busy: let frames gather, then poll. */
			clock_nanosleep(CLOCK_MONOTONIC, 0, &quantum, NULL);
			n = epoll_pwait2(run->epfd, evs, 16, &zero, NULL);
		} else {
			ts.tv_sec = timeout / 1000000000;
			ts.tv_nsec = timeout % 1000000000;
			n = epoll_pwait2(run->epfd, evs, 16,
			                 timeout < 0 ? NULL : &ts, NULL);
		}
		if (n < 0 && errno != EINTR) {
			logmsg("epoll_pwait2: %s", strerror(errno));
			return -1;
		}
		moved = 0;
		for (i = 0; i < n && !run->stop; i++)
			moved += (size_t)run_dispatch(run, &evs[i]);
	}
	return 0;
}

static void run_counters_log(struct wanem_run *run)
{
	const struct wanem_counters *c;
	int dir;

	run_rx_drops_collect(run);
	for (dir = 0; dir < WANEM_NDIRS; dir++) {
		c = &run->st.dir[dir].counters;
		logmsg("%s: fwd %" PRIu64 " frames %" PRIu64 " bytes; drop "
		       "loss %" PRIu64 " queue %" PRIu64 " cut %" PRIu64
		       " oversize %" PRIu64 " tx %" PRIu64 " rxbuf %" PRIu64,
		       wanem_dir_name(dir), c->fwd_frames, c->fwd_bytes,
		       c->drop_loss, c->drop_queue, c->drop_cut,
		       c->drop_oversize, c->drop_tx, c->drop_rxbuf);
	}
}

static void usage(FILE *f)
{
	fputs("usage: sf-wanem run --east IF --west IF --ctl SOCKPATH "
	      "[--profile lan|metro|wan|far] [--seed N]\n"
	      "       sf-wanem ctl SOCKPATH set [dir=ew|we|both] [rate=R] "
	      "[delay=D] [loss=L] [limit=N|auto]\n"
	      "       sf-wanem ctl SOCKPATH profile lan|metro|wan|far\n"
	      "       sf-wanem ctl SOCKPATH cut SECONDS\n"
	      "       sf-wanem ctl SOCKPATH show\n"
	      "rate: 0|unlimited or N{bit,kbit,mbit,gbit}; delay: one way, "
	      "N{us,ms,s}; loss: per direction, N%;\n"
	      "limit: tail-drop queue in bytes (b,kb,mb,kib,mib), default "
	      "auto = max(128kib, rate x 2 x delay)\n",
	      f);
}

static int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "east", required_argument, NULL, 'e' },
		{ "west", required_argument, NULL, 'w' },
		{ "ctl", required_argument, NULL, 'c' },
		{ "profile", required_argument, NULL, 'p' },
		{ "seed", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *east = NULL, *west = NULL, *profile_name = "lan";
	const char *ctl_path = NULL;
	char err[WANEM_ERR_MAX], *end;
	struct wanem_run run;
	uint64_t seed = 1;
	int opt, profile, ret = 1;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'e':
			east = optarg;
			break;
		case 'w':
			west = optarg;
			break;
		case 'c':
			ctl_path = optarg;
			break;
		case 'p':
			profile_name = optarg;
			break;
		case 's':
			errno = 0;
			seed = strtoull(optarg, &end, 0);
			if (errno || end == optarg || *end) {
				logmsg("bad seed '%s': expected an integer",
				       optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		logmsg("run: unexpected argument '%s'", argv[optind]);
		return 2;
	}
	if (!east || !west || !ctl_path) {
		logmsg("run: --east IF, --west IF and --ctl SOCKPATH are "
		       "required");
		return 2;
	}
	profile = wanem_profile_find(profile_name, err, sizeof(err));
	if (profile < 0) {
		logmsg("%s", err);
		return 2;
	}
	memset(&run, 0, sizeof(run));
	run.ctl_path = ctl_path;
	run.port[0].fd = run.port[1].fd = -1;
	run.epfd = run.sigfd = run.listen_fd = -1;
	wanem_state_init(&run.st, profile, seed);
	if (run_setup(&run, east, west) == 0) {
		logmsg("forwarding %s <-> %s, control on %s", east, west,
		       run.ctl_path);
		run_settings_log(&run, "start");
		if (run_loop(&run) == 0)
			ret = 0;
		run_counters_log(&run);
	}
	run_teardown(&run);
	return ret;
}

/* Joins argv into "wanem/1 arg arg ..."; returns -1 if too long. */
static int ctl_msg_build(int argc, char **argv, char *msg, size_t msglen)
{
	size_t off;
	int i, n;

	off = (size_t)snprintf(msg, msglen, "%s", WANEM_PROTO);
	for (i = 0; i < argc; i++) {
		n = snprintf(msg + off, msglen - off, " %s", argv[i]);
		if (n < 0 || (size_t)n >= msglen - off)
			return -1;
		off += (size_t)n;
	}
	return (int)off;
}

static int cmd_ctl(int argc, char **argv)
{
	char msg[WANEM_REQ_MAX + 1], reply[WANEM_REPLY_MAX + 1];
	char err[WANEM_ERR_MAX];
	struct timeval tv = { CTL_TIMEOUT_S, 0 };
	struct sockaddr_un sun;
	struct wanem_req req;
	const char *path;
	int fd = -1, len, ret = 1;
	ssize_t n;

	if (argc < 3) {
		logmsg("ctl: expected SOCKPATH and a command (set, profile, "
		       "cut or show)");
		return 2;
	}
	path = argv[1];
	len = ctl_msg_build(argc - 2, argv + 2, msg, sizeof(msg));
	if (len < 0) {
		logmsg("request is longer than %d bytes", WANEM_REQ_MAX);
		return 2;
	}
	/* Check locally first, so bad input is reported without a server. */
	if (wanem_req_parse(msg, (size_t)len, &req, err, sizeof(err)) < 0) {
		logmsg("%s", err);
		return 2;
	}
	if (unix_addr_make(path, &sun) < 0)
		return 2;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		logmsg("cannot reach the emulator at %s: %s", path,
		       strerror(errno));
		goto out;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (send(fd, msg, (size_t)len, MSG_NOSIGNAL) != len) {
		logmsg("sending to %s: %s", path, strerror(errno));
		goto out;
	}
	n = recv(fd, reply, sizeof(reply) - 1, 0);
	if (n <= 0) {
		logmsg("no reply from %s: %s", path,
		       n == 0 ? "connection closed" : strerror(errno));
		goto out;
	}
	reply[n] = '\0';
	if (!strncmp(reply, "ok\n", 3)) {
		fputs(reply + 3, stdout);
		ret = 0;
	} else if (!strncmp(reply, "error: ", 7)) {
		fprintf(stderr, "wanem: %s", reply + 7);
	} else {
		logmsg("malformed reply from %s", path);
	}
out:
	if (fd >= 0)
		close(fd);
	return ret;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "ctl"))
		return cmd_ctl(argc - 1, argv + 1);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	logmsg("unknown command '%s': expected run or ctl", argv[1]);
	usage(stderr);
	return 2;
}
