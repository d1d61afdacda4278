/*
 * keeper.c: see keeper.h.
 */
#include "migrator/keeper.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hypervisor/plan.h"
#include "migrator/connect.h"
#include "netcontinuity/netctl.h"
#include "netcontinuity/tapchan.h"
#include "netcontinuity/tunnel.h"
#include "transport/runner.h"
#include "transport/tp_msg.h"

#define MIG_KEEP_CHECK_MS 10000
#define MIG_KEEP_POLL_US  200000
#define MIG_KEEP_ARGS_MAX 40
#define MIG_KEEP_CLOSE_WAIT_MS 5000 /* the receiver removes its end */

int mig_keeper_spawn(const struct mig_opts *o, const struct mig_keeper_args *a,
                     unsigned int timeout_ms, pid_t *pid, char *err,
                     size_t errlen)
{
	char to[300], mtu[16], ka[16], line[512];
	const char *argv[MIG_KEEP_ARGS_MAX];
	struct pollfd pfd;
	uint64_t deadline;
	size_t n = 0, got = 0;
	int pipefd[2], devnull;
	ssize_t r;

	snprintf(to, sizeof(to), strchr(o->to_host, ':') ? "[%s]:%u" : "%s:%u",
	         o->to_host, o->to_port);
	snprintf(mtu, sizeof(mtu), "%u", a->mtu);
	argv[n++] = "migrator";
	argv[n++] = "tunnel";
	argv[n++] = "keep";
	argv[n++] = a->id;
	argv[n++] = "--to";
	argv[n++] = to;
	if (o->psk) {
		argv[n++] = "--psk";
		argv[n++] = o->psk;
	} else {
		argv[n++] = "--cert";
		argv[n++] = o->cert;
		argv[n++] = "--key";
		argv[n++] = o->key;
		argv[n++] = "--ca";
		argv[n++] = o->ca;
	}
	if (o->peer_id) {
		argv[n++] = "--peer-id";
		argv[n++] = o->peer_id;
	}
	if (o->keepalive_timeout_ms) {
		snprintf(ka, sizeof(ka), "%u", o->keepalive_timeout_ms);
		argv[n++] = "--keepalive-timeout";
		argv[n++] = ka;
	}
	if (o->tunnel_dir) {
		argv[n++] = "--tunnel-dir";
		argv[n++] = o->tunnel_dir;
	}
	argv[n++] = "--bridge";
	argv[n++] = a->bridge;
	argv[n++] = "--vm-mac";
	argv[n++] = a->mac;
	argv[n++] = "--vm";
	argv[n++] = a->vm;
	argv[n++] = "--uuid";
	argv[n++] = a->uuid;
	argv[n++] = "--mtu";
	argv[n++] = mtu;
	argv[n] = NULL;
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -errno;
	}
	*pid = fork();
	if (*pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(pipefd[0]);
		close(pipefd[1]);
		return -EAGAIN;
	}
	if (*pid == 0) {
		devnull = open("/dev/null", O_RDONLY);
		if (devnull >= 0)
			dup2(devnull, STDIN_FILENO);
		dup2(pipefd[1], STDOUT_FILENO);
		execv("/proc/self/exe", (char *const *)argv);
		_exit(127);
	}
	close(pipefd[1]);
	pfd.fd = pipefd[0];
	pfd.events = POLLIN;
	deadline = mig_now_ms() + timeout_ms;
	line[0] = '\0';
	while (got < sizeof(line) - 1 && !strchr(line, '\n')) {
		uint64_t now = mig_now_ms();

		if (now >= deadline ||
		    poll(&pfd, 1, (int)(deadline - now)) <= 0)
			break;
		r = read(pipefd[0], line + got, sizeof(line) - 1 - got);
		if (r <= 0)
			break;
		got += (size_t)r;
		line[got] = '\0';
	}
	close(pipefd[0]);
	line[strcspn(line, "\n")] = '\0';
	if (!strncmp(line, "ready", 5))
		return 0;
	snprintf(err, errlen, "the tunnel keeper: %s",
	         line[0] ? line : "no answer");
	mig_keeper_stop(*pid, 10000);
	return -EIO;
}

int mig_keeper_stop(pid_t pid, unsigned int timeout_ms)
{
	uint64_t deadline = mig_now_ms() + timeout_ms;
	pid_t r;

	if (pid <= 0)
		return 0;
	kill(pid, SIGTERM);
	while (mig_now_ms() < deadline) {
		r = waitpid(pid, NULL, WNOHANG);
		if (r == pid || (r < 0 && errno == ECHILD)) {
			/* not our child (teardown): wait for it to go */
			if (r < 0 && kill(pid, 0) == 0) {
				usleep(50000);
				continue;
			}
			return 0;
		}
		usleep(50000);
	}
	return -ETIMEDOUT;
}

bool mig_keeper_is(pid_t pid, const char *id)
{
	char path[64], buf[4096];
	bool keep = false, has_id = false;
	ssize_t n, i;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	for (i = 0; i < n; i += (ssize_t)strlen(buf + i) + 1) {
		if (!strcmp(buf + i, "keep"))
			keep = true;
		if (!strcmp(buf + i, id))
			has_id = true;
	}
	return keep && has_id;
}

/* --- the keeper itself --------------------------------------------------- */

static atomic_int mig_keep_stop;

static void mig_keep_on_signal(int sig)
{
	(void)sig;
	mig_keep_stop = 1;
}

/* Tell the migrator (our standard output) and stop talking to it. */
static void mig_keep_say(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static void mig_keep_say(const char *fmt, ...)
{
	va_list ap;
	int devnull;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	devnull = open("/dev/null", O_WRONLY);
	if (devnull >= 0) {
		dup2(devnull, STDOUT_FILENO);
		close(devnull);
	}
}

int mig_tunnel_keep(const struct mig_opts *o)
{
	struct mig_creds creds = { 0 };
	struct nc_tunnel_conf c = { 0 };
	struct nc_tunnel *t = NULL;
	struct nc_tapchan *pump = NULL;
	struct nc_error nerr = { 0 };
	struct tp_error terr = { 0 };
	struct tp_runner *runner = NULL;
	struct tp_session *tp = NULL;
	struct nc_nl *nl = NULL;
	struct sigaction sa;
	char why[640], chan[40];
	int ctl = -1, frames, code = 0;
	int rc = MIG_EXIT_FAILED;
	uint64_t rtt_us = 0;
	bool made = false;

	setsid();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = mig_keep_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGHUP, SIG_IGN);
	t = calloc(1, sizeof(*t));
	if (!t) {
		mig_keep_say("error: out of memory");
		return MIG_EXIT_FAILED;
	}
	tp = mig_connect_session(o, &creds, &code, why, sizeof(why));
	if (!tp) {
		mig_keep_say("error: %s", why);
		goto out;
	}
	runner = tp_runner_start(tp, &terr);
	if (runner)
		ctl = mig_chan_post(tp, "control", TP_PRIO_CONTROL);
	if (ctl < 0) {
		mig_keep_say("error: cannot open a control channel");
		goto out;
	}
	if (mig_tunnel_request(ctl, "tunnel-keep", o->tunnel_id, why,
	                       sizeof(why)) < 0) {
		mig_keep_say("error: %s", why);
		goto out;
	}
	c.mode = NC_MODE_ENCRYPTED;
	c.role = NC_ROLE_SOURCE;
	nc_tunnel_id_parse(o->tunnel_id, c.id);
	c.state_dir = o->tunnel_dir ? o->tunnel_dir : NC_STATE_DIR_DEFAULT;
	c.vm = o->keep_vm;
	c.uuid = o->keep_uuid;
	c.peer = tp_session_peer(tp);
	nc_mac_parse(o->keep_mac, c.vm_mac);
	snprintf(c.bridge, sizeof(c.bridge), "%s", o->keep_bridge);
	c.mtu = o->keep_mtu;
	nl = nc_nl_open(&nerr);
	if (!nl || nc_tunnel_prepare(nl, &c, t, &nerr) < 0) {
		mig_keep_say("error: %s", nerr.msg);
		goto out;
	}
	made = true;
	t->rec.keeper = getpid();
	if (nc_record_save(c.state_dir, &t->rec, &nerr) < 0) {
		mig_keep_say("error: %s", nerr.msg);
		goto out;
	}
	snprintf(chan, sizeof(chan), "l2:%s", o->tunnel_id);
	frames = mig_chan_post(tp, chan, TP_PRIO_CONTROL);
	if (frames < 0) {
		mig_keep_say("error: cannot open the frame channel");
		goto out;
	}
	pump = nc_tapchan_start(t->tap_fd, frames, &nerr);
	t->tap_fd = -1; /* the pump took both */
	if (!pump ||
	    nc_tunnel_check(t, MIG_KEEP_CHECK_MS, &rtt_us, &nerr) < 0) {
		mig_keep_say("error: frames do not cross the tunnel: %s",
		             nerr.msg);
		goto out;
	}
	mig_keep_say("ready %s rtt_us=%llu", t->dev,
	             (unsigned long long)rtt_us);
	while (!mig_keep_stop && !tp_runner_wait(runner, 0, &terr) &&
	       !nc_tapchan_ended(pump, &nerr))
		usleep(MIG_KEEP_POLL_US);
	rc = MIG_EXIT_OK;
out:
	nc_tapchan_stop(pump);
	if (made && nc_tunnel_teardown(nl, t, &nerr) < 0)
		fprintf(stderr, "migrator: tunnel %s: removing it: %s\n",
		        o->tunnel_id, nerr.msg);
	nc_tunnel_close(t);
	free(t);
	nc_nl_close(nl);
	/* The receiver removes its end, then closes the channel. */
	if (ctl >= 0 && runner) {
		shutdown(ctl, SHUT_WR);
		mig_ctl_wait_eof(ctl, MIG_KEEP_CLOSE_WAIT_MS);
	}
	tp_runner_stop(runner, NULL);
	if (ctl >= 0)
		close(ctl);
	tp_session_free(tp);
	return rc;
}
