/*
 * connect.c: see connect.h.
 */
#include "migrator/connect.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hypervisor/plan.h"
#include "netcontinuity/netctl.h"
#include "transport/runner.h"
#include "transport/tp_msg.h"

#define MIG_TUNNEL_REPLY_MS 30000

struct tp_session *mig_connect_session(const struct mig_opts *o,
                                       struct mig_creds *creds, int *exit_code,
                                       char *err, size_t errlen)
{
	struct tp_session_conf conf = { 0 };
	struct tp_error terr = { 0 };
	struct tp_session *tp;

	conf.codec = TP_CODEC_AUTO;
	if (o->keepalive_timeout_ms) {
		conf.dead_ms = o->keepalive_timeout_ms;
		conf.keepalive_ms = o->keepalive_timeout_ms / 4;
	}
	if (o->resume_timeout_ms)
		conf.resume_timeout_ms = o->resume_timeout_ms;
	if (o->bandwidth_bps)
		conf.rate_cap_bps = o->bandwidth_bps * 8u;
	*exit_code = MIG_EXIT_USAGE;
	if (o->psk) {
		if (tp_psk_file_load(o->psk, &creds->psk, &terr) < 0) {
			snprintf(err, errlen, "%s", terr.msg);
			return NULL;
		}
		conf.tls.psk_identity = creds->psk.identity;
		conf.tls.psk_hex = creds->psk.hex;
	} else {
		if (!o->cert || !o->key || !o->ca) {
			snprintf(err, errlen,
			         "credentials: give --cert, --key and --ca, "
			         "or --psk");
			return NULL;
		}
		creds->allow[0] = o->peer_id ? o->peer_id : o->to_host;
		creds->allow[1] = NULL;
		conf.tls.ca_file = o->ca;
		conf.tls.cert_file = o->cert;
		conf.tls.key_file = o->key;
		conf.tls.allow = creds->allow;
	}
	*exit_code = MIG_EXIT_PREFLIGHT;
	tp = tp_session_connect(&conf, o->to_host, o->to_port, &terr);
	if (!tp) {
		snprintf(err, errlen, "cannot reach the receiver at %s:%u: %s",
		         o->to_host, o->to_port, terr.msg);
		return NULL;
	}
	if (tp_session_handshake(tp, &terr) < 0) {
		snprintf(err, errlen,
		         "the receiver at %s:%u did not authenticate us, or "
		         "we it: %s",
		         o->to_host, o->to_port, terr.msg);
		tp_session_free(tp);
		return NULL;
	}
	return tp;
}

int mig_chan_post(struct tp_session *tp, const char *name,
                  unsigned int priority)
{
	int sv[2], rc;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	rc = tp_session_post_chan(tp, name, priority, sv[1]);
	if (rc < 0) {
		close(sv[0]);
		return rc;
	}
	return sv[0];
}

int mig_tunnel_request(int control_fd, const char *type, const char *id,
                       char *why, size_t why_len)
{
	struct hv_ctl_msg res = { 0 };
	struct hv_error herr = { 0 };
	struct nc_error nerr = { 0 };
	struct tp_error terr = { 0 };
	char *msg = NULL, *buf = NULL;
	ssize_t len;
	int rc = -EIO;

	msg = nc_tunnel_req_encode(type, id, &nerr);
	if (!msg) {
		snprintf(why, why_len, "%s", nerr.msg);
		goto out;
	}
	if (tp_msg_send(control_fd, msg, strlen(msg), &terr) < 0 ||
	    (len = tp_msg_recv(control_fd, &buf, MIG_TUNNEL_REPLY_MS, &terr)) <
	        0 ||
	    hv_ctl_msg_decode(buf, (size_t)len, &res, &herr) < 0)
		snprintf(why, why_len, "the receiver did not answer: %s",
		         terr.msg[0] ? terr.msg : herr.msg);
	else if (!res.ok)
		snprintf(why, why_len, "the receiver: %.480s", res.reason);
	else
		rc = 0;
out:
	free(msg);
	free(buf);
	return rc;
}

int mig_ctl_send(int fd, char *json)
{
	struct tp_error err = { 0 };
	int rc;

	if (!json)
		return -ENOMEM;
	rc = tp_msg_send(fd, json, strlen(json), &err);
	free(json);
	return rc;
}

void mig_ctl_abort(int control_fd, struct tp_runner *runner, const char *reason)
{
	struct hv_ctl_msg msg = { .type = "abort" };
	struct hv_error herr = { 0 };

	if (control_fd < 0 || !runner)
		return;
	snprintf(msg.reason, sizeof(msg.reason), "%s", reason);
	mig_ctl_send(control_fd, hv_ctl_msg_encode(&msg, &herr));
	shutdown(control_fd, SHUT_WR);
	mig_ctl_wait_eof(control_fd, MIG_CTL_CLOSE_WAIT_MS);
}

uint64_t mig_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int mig_ctl_wait_eof(int control_fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = control_fd, .events = POLLIN };
	uint64_t deadline = mig_now_ms() + (uint64_t)timeout_ms;
	char buf[4096];
	uint64_t now;
	ssize_t n;
	int rc;

	for (;;) {
		now = mig_now_ms();
		if (now >= deadline)
			return -ETIMEDOUT;
		rc = poll(&pfd, 1, (int)(deadline - now));
		if (rc < 0 && errno != EINTR)
			return -errno;
		if (rc <= 0)
			continue;
		if (pfd.revents & POLLNVAL)
			return -EBADF;
		n = read(control_fd, buf, sizeof(buf));
		if (n == 0)
			return 0;
		if (n < 0 && errno != EINTR && errno != EAGAIN)
			return -errno; /* reset: the session is gone too */
	}
}
