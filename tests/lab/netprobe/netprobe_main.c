/*
 * sf-netprobe: the lab's client probe. Run in the client namespace while a
 * VM migrates, it measures whether the VM's clients stay connected:
 *
 *   sf-netprobe --target IP [--tcp-port 7000] [--udp-port 7001]
 *               [--probe-interval-ms 10] [--msg-interval-ms 20]
 *               [--duration-s N] [--ready-file PATH] [--json]
 *
 * One long-lived TCP connection to the guest's echo service carries a
 * numbered record every msg interval; it is never reconnected, so a break
 * is what a real client would have seen. A UDP probe goes to the guest's
 * responder every probe interval; the accounting (see netprobe.h) turns
 * the replies into loss windows.
 *
 * One thread, one epoll loop, timerfds for the pace. --ready-file is
 * created once the connection is up and the first UDP reply came back. A
 * progress line goes to stderr every 5 s; the summary goes to stdout at
 * the end of --duration-s (0: until SIGINT or SIGTERM). Exit 0 if the
 * connection held and nothing was lost, out of order or corrupt, 1 if
 * anything was (or the connection could not be made), 2 on a usage error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "tests/lab/netprobe/netprobe.h"

#define CONNECT_TIMEOUT_MS 5000
#define TCP_STALL_MAX_NS   (30 * 1000000000ull)
#define PROGRESS_NS        (5 * 1000000000ull)
#define TICK_MS            100
#define OUT_MAX            65536 /* records queued while TCP is stalled */
#define IN_BUF             65536
#define READ_ROUNDS        16
#define UDP_BUF            2048
#define UDP_BATCH          64
#define INTERVAL_MAX_MS    60000

enum tag {
	TAG_SIGNAL,
	TAG_TCP,
	TAG_UDP,
	TAG_TCP_TIMER,
	TAG_UDP_TIMER,
	TAG_TICK,
	TAG_END,
};

struct probe_opts {
	const char *target;
	uint16_t tcp_port;
	uint16_t udp_port;
	unsigned probe_ms;
	unsigned msg_ms;
	unsigned duration_s;
	const char *ready_file;
	bool json;
};

struct probe {
	struct probe_opts opt;
	struct sockaddr_storage tcp_addr, udp_addr;
	socklen_t addr_len;
	int epfd, sigfd, tcp_fd, udp_fd;
	int tcp_timer, udp_timer, tick_timer, end_timer;
	bool tcp_connected;
	bool tcp_broken;
	char broken_reason[128];
	uint64_t broken_ns;
	uint32_t tcp_events; /* registered with epoll */
	uint8_t out[OUT_MAX];
	size_t out_len;
	bool ready;
	uint64_t start_ns, end_ns, next_progress_ns;
	bool stop;
	struct netprobe_tcp tcp;
	struct netprobe_udp udp;
};

static uint8_t in_buf[IN_BUF];

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

	fputs("sf-netprobe: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void usage(const char *why)
{
	if (why != NULL)
		logmsg("%s", why);
	fprintf(stderr, "usage: sf-netprobe --target IP [--tcp-port 7000] "
	                "[--udp-port 7001]\n"
	                "                   [--probe-interval-ms 10] "
	                "[--msg-interval-ms 20]\n"
	                "                   [--duration-s N (0: until SIGINT)] "
	                "[--ready-file PATH] [--json]\n");
	exit(2);
}

static unsigned long arg_number(const char *name, const char *arg,
                                unsigned long min, unsigned long max)
{
	char why[128];
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || arg[0] == '-' ||
	    v < min || v > max) {
		snprintf(why, sizeof(why),
		         "--%s: '%s' is not a number in %lu..%lu", name, arg,
		         min, max);
		usage(why);
	}
	return v;
}

static void probe_args(struct probe *p, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "target", required_argument, NULL, 't' },
		{ "tcp-port", required_argument, NULL, 'T' },
		{ "udp-port", required_argument, NULL, 'U' },
		{ "probe-interval-ms", required_argument, NULL, 'p' },
		{ "msg-interval-ms", required_argument, NULL, 'm' },
		{ "duration-s", required_argument, NULL, 'd' },
		{ "ready-file", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct probe_opts *o = &p->opt;
	struct sockaddr_in *sin = (struct sockaddr_in *)&p->tcp_addr;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&p->tcp_addr;
	int opt;

	*o = (struct probe_opts){
		.tcp_port = 7000, .udp_port = 7001, .probe_ms = 10, .msg_ms = 20
	};
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 't':
			o->target = optarg;
			break;
		case 'T':
			o->tcp_port = arg_number("tcp-port", optarg, 1, 65535);
			break;
		case 'U':
			o->udp_port = arg_number("udp-port", optarg, 1, 65535);
			break;
		case 'p':
			o->probe_ms = arg_number("probe-interval-ms", optarg, 1,
			                         INTERVAL_MAX_MS);
			break;
		case 'm':
			o->msg_ms = arg_number("msg-interval-ms", optarg, 1,
			                       INTERVAL_MAX_MS);
			break;
		case 'd':
			o->duration_s =
			    arg_number("duration-s", optarg, 0, 100000000);
			break;
		case 'r':
			o->ready_file = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		case 'h':
			usage(NULL);
			break;
		default:
			usage(NULL);
		}
	}
	if (optind != argc)
		usage("unexpected arguments");
	if (o->target == NULL)
		usage("--target is required");
	memset(&p->tcp_addr, 0, sizeof(p->tcp_addr));
	if (inet_pton(AF_INET, o->target, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		p->addr_len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, o->target, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		p->addr_len = sizeof(*sin6);
	} else {
		usage("--target: not an IPv4 or IPv6 address");
	}
	p->udp_addr = p->tcp_addr;
	if (sin->sin_family == AF_INET) {
		sin->sin_port = htons(o->tcp_port);
		((struct sockaddr_in *)&p->udp_addr)->sin_port =
		    htons(o->udp_port);
	} else {
		sin6->sin6_port = htons(o->tcp_port);
		((struct sockaddr_in6 *)&p->udp_addr)->sin6_port =
		    htons(o->udp_port);
	}
}

static int epoll_watch(int epfd, int op, int fd, uint32_t events, enum tag tag)
{
	struct epoll_event ev = { .events = events, .data.u32 = tag };

	return epoll_ctl(epfd, op, fd, &ev);
}

/* A timerfd firing every interval_ms (once, if periodic is false). */
static int timer_open(int epfd, unsigned interval_ms, bool periodic,
                      enum tag tag)
{
	struct timespec ts = { interval_ms / 1000,
		               (long)(interval_ms % 1000) * 1000000 };
	struct itimerspec its = { .it_value = ts };
	int fd;

	if (periodic)
		its.it_interval = ts;
	fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (fd < 0)
		return -1;
	if (timerfd_settime(fd, 0, &its, NULL) < 0 ||
	    epoll_watch(epfd, EPOLL_CTL_ADD, fd, EPOLLIN, tag) < 0) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

static void timer_drain(int fd)
{
	uint64_t expirations;

	if (read(fd, &expirations, sizeof(expirations)) < 0)
		return; /* EAGAIN: nothing pending */
}

/*
 * Connects the TCP socket within CONNECT_TIMEOUT_MS. A signal meanwhile
 * gives up. Returns 0, or -1 with why filled.
 */
static int tcp_connect(struct probe *p, char *why, size_t why_len)
{
	struct pollfd pfd[2];
	int one = 1, zero = 0, soerr = 0, n;
	socklen_t len = sizeof(soerr);

	p->tcp_fd = socket(p->tcp_addr.ss_family,
	                   SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->tcp_fd < 0) {
		snprintf(why, why_len, "socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(p->tcp_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(p->tcp_fd, SOL_SOCKET, SO_KEEPALIVE, &zero, sizeof(zero));
	if (connect(p->tcp_fd, (struct sockaddr *)&p->tcp_addr, p->addr_len) ==
	    0)
		return 0;
	if (errno != EINPROGRESS) {
		snprintf(why, why_len, "%s", strerror(errno));
		return -1;
	}
	pfd[0] = (struct pollfd){ .fd = p->tcp_fd, .events = POLLOUT };
	pfd[1] = (struct pollfd){ .fd = p->sigfd, .events = POLLIN };
	do
		n = poll(pfd, 2, CONNECT_TIMEOUT_MS);
	while (n < 0 && errno == EINTR);
	if (n == 0) {
		snprintf(why, why_len, "timed out after %d s",
		         CONNECT_TIMEOUT_MS / 1000);
		return -1;
	}
	if (n < 0 || (pfd[1].revents & POLLIN)) {
		snprintf(why, why_len, "%s",
		         n < 0 ? strerror(errno) : "interrupted by a signal");
		return -1;
	}
	if (getsockopt(p->tcp_fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
		soerr = errno;
	if (soerr != 0) {
		snprintf(why, why_len, "%s", strerror(soerr));
		return -1;
	}
	return 0;
}

/* Latches the first reason the connection broke; closes it. */
static void tcp_break(struct probe *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void tcp_break(struct probe *p, const char *fmt, ...)
{
	va_list ap;

	if (p->tcp_broken)
		return;
	p->tcp_broken = true;
	p->broken_ns = now_ns();
	va_start(ap, fmt);
	vsnprintf(p->broken_reason, sizeof(p->broken_reason), fmt, ap);
	va_end(ap);
	netprobe_tcp_finish(&p->tcp, p->broken_ns);
	close(p->tcp_fd); /* also leaves the epoll set */
	p->tcp_fd = -1;
	logmsg("TCP connection broken after %.3f s: %s",
	       (double)(p->broken_ns - p->start_ns) / 1e9, p->broken_reason);
}

static const char *tcp_errno_reason(int err)
{
	return err == ECONNRESET ? "connection reset (RST)" : strerror(err);
}

/* Asks for EPOLLOUT only while records are queued. */
static void tcp_rearm(struct probe *p)
{
	uint32_t want = EPOLLIN | (p->out_len > 0 ? EPOLLOUT : 0);

	if (p->tcp_broken || want == p->tcp_events)
		return;
	if (epoll_watch(p->epfd, EPOLL_CTL_MOD, p->tcp_fd, want, TAG_TCP) < 0)
		tcp_break(p, "epoll: %s", strerror(errno));
	else
		p->tcp_events = want;
}

static void tcp_flush(struct probe *p)
{
	ssize_t n;

	while (!p->tcp_broken && p->out_len > 0) {
		n = send(p->tcp_fd, p->out, p->out_len,
		         MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0) {
			tcp_break(p, "send: %s", tcp_errno_reason(errno));
			return;
		}
		memmove(p->out, p->out + n, p->out_len - (size_t)n);
		p->out_len -= (size_t)n;
	}
	tcp_rearm(p);
}

/* Makes the next record, unless OUT_MAX bytes are already queued. */
static void tcp_tick(struct probe *p)
{
	if (p->tcp_broken || p->out_len + NETPROBE_REC_SIZE > OUT_MAX)
		return;
	netprobe_tcp_next(&p->tcp, now_ns(), p->out + p->out_len);
	p->out_len += NETPROBE_REC_SIZE;
	tcp_flush(p);
}

static void tcp_read(struct probe *p)
{
	int round;
	ssize_t n;

	for (round = 0; round < READ_ROUNDS && !p->tcp_broken; round++) {
		n = recv(p->tcp_fd, in_buf, sizeof(in_buf), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0) {
			tcp_break(p, "recv: %s", tcp_errno_reason(errno));
			return;
		}
		if (n == 0) {
			tcp_break(p, "connection closed by the peer (EOF)");
			return;
		}
		netprobe_tcp_feed(&p->tcp, in_buf, (size_t)n, now_ns());
	}
}

static void tcp_event(struct probe *p, uint32_t events)
{
	int soerr = 0;
	socklen_t len = sizeof(soerr);

	if (events & EPOLLERR) {
		if (getsockopt(p->tcp_fd, SOL_SOCKET, SO_ERROR, &soerr, &len) <
		        0 ||
		    soerr == 0)
			soerr = EIO;
		tcp_break(p, "socket error: %s", tcp_errno_reason(soerr));
		return;
	}
	if (events & (EPOLLIN | EPOLLHUP))
		tcp_read(p);
	if (!p->tcp_broken && (events & EPOLLOUT))
		tcp_flush(p);
}

static void ready_check(struct probe *p)
{
	int fd;

	if (p->ready || p->tcp_broken || p->udp.received == 0)
		return;
	p->ready = true;
	if (p->opt.ready_file == NULL)
		return;
	fd = open(p->opt.ready_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	          0644);
	if (fd < 0)
		logmsg("cannot create the ready file %s: %s", p->opt.ready_file,
		       strerror(errno));
	else
		close(fd);
}

static void udp_tick(struct probe *p)
{
	uint8_t probe[NETPROBE_REC_SIZE];
	uint64_t now = now_ns();

	netprobe_udp_judge(&p->udp, now);
	netprobe_udp_next(&p->udp, now, probe);
	/* A probe the kernel refuses (no route, full buffer) is lost. */
	if (send(p->udp_fd, probe, sizeof(probe), MSG_DONTWAIT) < 0)
		return;
}

static void udp_read(struct probe *p)
{
	uint8_t buf[UDP_BUF];
	ssize_t n;
	int i;

	for (i = 0; i < UDP_BATCH; i++) {
		n = recv(p->udp_fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n < 0)
			continue; /* ICMP errors: the probe just goes lost */
		netprobe_udp_reply(&p->udp, buf, (size_t)n, now_ns());
	}
	ready_check(p);
}

static double ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

static void progress(struct probe *p, uint64_t now)
{
	const struct netprobe_tcp *t = &p->tcp;
	const struct netprobe_udp *u = &p->udp;
	char tcp[160];

	if (p->tcp_broken)
		snprintf(tcp, sizeof(tcp), "BROKEN (%s)", p->broken_reason);
	else
		snprintf(tcp, sizeof(tcp),
		         "sent %" PRIu64 " echoed %" PRIu64 " lost %" PRIu64
		         " stall %.1f ms",
		         t->sent, t->echoed, t->lost, ms(t->max_stall_ns));
	logmsg("%.1f s: tcp %s | udp sent %" PRIu64 " received %" PRIu64
	       " lost %" PRIu64 " windows %" PRIu64 " longest %.1f ms",
	       (double)(now - p->start_ns) / 1e9, tcp, u->sent, u->received,
	       u->lost, u->windows, ms(u->max_window_ns));
}

/* Housekeeping: the stall watchdog and the progress line. */
static void tick(struct probe *p)
{
	uint64_t now = now_ns();

	if (!p->tcp_broken &&
	    netprobe_tcp_stall_ns(&p->tcp, now) > TCP_STALL_MAX_NS)
		tcp_break(p,
		          "no echo for %llu s with %" PRIu64
		          " records outstanding",
		          TCP_STALL_MAX_NS / 1000000000ull,
		          netprobe_tcp_outstanding(&p->tcp));
	if (now >= p->next_progress_ns) {
		progress(p, now);
		p->next_progress_ns += PROGRESS_NS;
	}
}

static void signal_event(struct probe *p)
{
	struct signalfd_siginfo si;

	if (read(p->sigfd, &si, sizeof(si)) == sizeof(si))
		logmsg("%s: stopping", strsignal((int)si.ssi_signo));
	p->stop = true;
}

static void dispatch(struct probe *p, const struct epoll_event *ev)
{
	switch ((enum tag)ev->data.u32) {
	case TAG_SIGNAL:
		signal_event(p);
		break;
	case TAG_TCP:
		if (!p->tcp_broken)
			tcp_event(p, ev->events);
		break;
	case TAG_UDP:
		udp_read(p);
		break;
	case TAG_TCP_TIMER:
		timer_drain(p->tcp_timer);
		tcp_tick(p);
		break;
	case TAG_UDP_TIMER:
		timer_drain(p->udp_timer);
		udp_tick(p);
		break;
	case TAG_TICK:
		timer_drain(p->tick_timer);
		tick(p);
		break;
	case TAG_END:
		timer_drain(p->end_timer);
		p->stop = true;
		break;
	}
}

static int probe_loop(struct probe *p)
{
	struct epoll_event events[16];
	int n, i;

	while (!p->stop) {
		n = epoll_wait(p->epfd, events, 16, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			logmsg("epoll_wait: %s", strerror(errno));
			return -1;
		}
		/* A callback may break the connection: dispatch re-checks. */
		for (i = 0; i < n && !p->stop; i++)
			dispatch(p, &events[i]);
	}
	return 0;
}

/* Sets up sockets and timers after the connection is up. */
static int probe_start(struct probe *p)
{
	p->udp_fd = socket(p->udp_addr.ss_family,
	                   SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->udp_fd < 0 || connect(p->udp_fd, (struct sockaddr *)&p->udp_addr,
	                             p->addr_len) < 0) {
		logmsg("udp socket: %s", strerror(errno));
		return -1;
	}
	p->tcp_events = EPOLLIN;
	if (epoll_watch(p->epfd, EPOLL_CTL_ADD, p->tcp_fd, EPOLLIN, TAG_TCP) <
	        0 ||
	    epoll_watch(p->epfd, EPOLL_CTL_ADD, p->udp_fd, EPOLLIN, TAG_UDP) <
	        0) {
		logmsg("epoll: %s", strerror(errno));
		return -1;
	}
	p->start_ns = now_ns();
	p->next_progress_ns = p->start_ns + PROGRESS_NS;
	p->tcp_timer = timer_open(p->epfd, p->opt.msg_ms, true, TAG_TCP_TIMER);
	p->udp_timer =
	    timer_open(p->epfd, p->opt.probe_ms, true, TAG_UDP_TIMER);
	p->tick_timer = timer_open(p->epfd, TICK_MS, true, TAG_TICK);
	if (p->opt.duration_s > 0)
		p->end_timer = timer_open(p->epfd, p->opt.duration_s * 1000,
		                          false, TAG_END);
	if (p->tcp_timer < 0 || p->udp_timer < 0 || p->tick_timer < 0 ||
	    (p->opt.duration_s > 0 && p->end_timer < 0)) {
		logmsg("timerfd: %s", strerror(errno));
		return -1;
	}
	tcp_tick(p);
	udp_tick(p);
	return 0;
}

static void summary_json(const struct probe *p)
{
	const struct netprobe_tcp *t = &p->tcp;
	const struct netprobe_udp *u = &p->udp;
	const char *c;

	printf("{\"tcp_connected\":%s,\"tcp_broken\":%s,\"tcp_broken_reason\":",
	       p->tcp_connected ? "true" : "false",
	       p->tcp_broken ? "true" : "false");
	if (!p->tcp_broken) {
		fputs("null", stdout);
	} else {
		putchar('"');
		for (c = p->broken_reason; *c != '\0'; c++) {
			if (*c == '"' || *c == '\\')
				printf("\\%c", *c);
			else if ((unsigned char)*c < 0x20)
				printf("\\u%04x", (unsigned char)*c);
			else
				putchar(*c);
		}
		putchar('"');
	}
	printf(",\"tcp_sent\":%" PRIu64 ",\"tcp_echoed\":%" PRIu64
	       ",\"tcp_lost\":%" PRIu64 ",\"tcp_out_of_order\":%" PRIu64
	       ",\"tcp_corrupt\":%" PRIu64
	       ",\"tcp_max_stall_ms\":%.3f,\"tcp_max_rtt_ms\":%.3f",
	       t->sent, t->echoed, t->lost, t->out_of_order, t->corrupt,
	       ms(t->max_stall_ns), ms(t->max_rtt_ns));
	printf(",\"udp_sent\":%" PRIu64 ",\"udp_received\":%" PRIu64
	       ",\"udp_lost\":%" PRIu64 ",\"udp_windows\":%" PRIu64
	       ",\"udp_max_window_ms\":%.3f,\"udp_max_gap_ms\":%.3f"
	       ",\"udp_rtt_p50_ms\":%.3f"
	       ",\"udp_rtt_p99_ms\":%.3f,\"udp_rtt_max_ms\":%.3f",
	       u->sent, u->received, u->lost, u->windows, ms(u->max_window_ns),
	       ms(u->max_gap_ns), ms(netprobe_hist_percentile(&u->rtt, 50)),
	       ms(netprobe_hist_percentile(&u->rtt, 99)), ms(u->rtt.max_ns));
	printf(",\"udp_late\":%" PRIu64 ",\"udp_duplicate\":%" PRIu64
	       ",\"udp_bad\":%" PRIu64 ",\"duration_ms\":%.3f}\n",
	       u->late, u->duplicate, u->bad, ms(p->end_ns - p->start_ns));
}

static void summary_text(const struct probe *p)
{
	const struct netprobe_tcp *t = &p->tcp;
	const struct netprobe_udp *u = &p->udp;

	printf("tcp connected: %s\n", p->tcp_connected ? "yes" : "no");
	printf("tcp broken: %s%s\n", p->tcp_broken ? "yes: " : "no",
	       p->tcp_broken ? p->broken_reason : "");
	printf("tcp records: sent %" PRIu64 ", echoed %" PRIu64
	       ", lost %" PRIu64 ", out of order %" PRIu64 ", corrupt %" PRIu64
	       "\n",
	       t->sent, t->echoed, t->lost, t->out_of_order, t->corrupt);
	printf("tcp longest stall: %.3f ms, max rtt %.3f ms\n",
	       ms(t->max_stall_ns), ms(t->max_rtt_ns));
	printf("udp probes: sent %" PRIu64 ", received %" PRIu64
	       ", lost %" PRIu64 " (late %" PRIu64 ", duplicate %" PRIu64
	       ", bad %" PRIu64 ")\n",
	       u->sent, u->received, u->lost, u->late, u->duplicate, u->bad);
	printf("udp loss windows: %" PRIu64 ", longest %.3f ms; longest "
	       "silence between replies %.3f ms\n",
	       u->windows, ms(u->max_window_ns), ms(u->max_gap_ns));
	printf("udp rtt: p50 %.3f ms, p99 %.3f ms, max %.3f ms\n",
	       ms(netprobe_hist_percentile(&u->rtt, 50)),
	       ms(netprobe_hist_percentile(&u->rtt, 99)), ms(u->rtt.max_ns));
	printf("duration: %.3f ms\n", ms(p->end_ns - p->start_ns));
}

static bool probe_clean(const struct probe *p)
{
	return p->tcp_connected && !p->tcp_broken && p->tcp.lost == 0 &&
	       p->tcp.out_of_order == 0 && p->tcp.corrupt == 0 &&
	       p->udp.lost == 0;
}

/* The probe is large (the RTT histogram): static, never on the stack. */
static struct probe the_probe;

int main(int argc, char **argv)
{
	struct probe *p = &the_probe;
	char why[160];
	sigset_t mask;
	int rc = 1;

	p->epfd = p->sigfd = p->tcp_fd = p->udp_fd = -1;
	p->tcp_timer = p->udp_timer = p->tick_timer = p->end_timer = -1;
	probe_args(p, argc, argv);
	netprobe_tcp_init(&p->tcp);
	netprobe_udp_init(&p->udp, NETPROBE_UDP_TIMEOUT_NS);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	p->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	p->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (p->sigfd < 0 || p->epfd < 0 ||
	    epoll_watch(p->epfd, EPOLL_CTL_ADD, p->sigfd, EPOLLIN, TAG_SIGNAL) <
	        0) {
		logmsg("setup: %s", strerror(errno));
		return 1;
	}
	if (tcp_connect(p, why, sizeof(why)) < 0) {
		logmsg("cannot connect to %s port %u: %s", p->opt.target,
		       p->opt.tcp_port, why);
		p->start_ns = p->end_ns = now_ns();
		if (p->opt.json)
			summary_json(p);
		return 1;
	}
	p->tcp_connected = true;
	if (probe_start(p) < 0 || probe_loop(p) < 0)
		goto out;
	p->end_ns = now_ns();
	if (!p->tcp_broken)
		netprobe_tcp_finish(&p->tcp, p->end_ns);
	netprobe_udp_finish(&p->udp, p->end_ns);
	if (p->opt.json)
		summary_json(p);
	else
		summary_text(p);
	rc = probe_clean(p) ? 0 : 1;
out:
	fflush(stdout);
	return rc;
}
