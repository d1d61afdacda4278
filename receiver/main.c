/*
 * receiver: the destination daemon. Accepts authenticated migrators and
 * receives their VMs into the local libvirt.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hypervisor/virt.h"
#include "receiver/log.h"
#include "receiver/net.h"
#include "receiver/opts.h"
#include "receiver/server.h"

static struct rcv_server server;

static void on_signal(int sig)
{
	(void)sig;
	rcv_server_stop(&server);
}

static int run(const struct rcv_opts *opts)
{
	struct tp_error err = { 0 };
	struct sigaction sa;

	rcv_log_init(opts->syslog, opts->verbose);
	hv_virt_init();
	if (rcv_server_init(&server, opts, &err) < 0) {
		rcv_log(LOG_ERR, "cannot start: %s", err.msg);
		rcv_server_fini(&server);
		return RCV_EXIT_FAILED;
	}
	rcv_net_recover(&server);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	rcv_server_run(&server);
	rcv_server_fini(&server);
	rcv_log(LOG_INFO, "stopped");
	return RCV_EXIT_OK;
}

int main(int argc, char **argv)
{
	static struct rcv_opts opts;
	char err[256];

	/* A peer that goes away must fail a write, not kill the process. */
	signal(SIGPIPE, SIG_IGN);
	if (rcv_opts_parse(&opts, argc, argv, err, sizeof(err)) < 0) {
		fprintf(stderr, "receiver: %s\n\n%s", err, rcv_opts_usage());
		return RCV_EXIT_USAGE;
	}
	switch (opts.cmd) {
	case RCV_CMD_HELP:
		fputs(rcv_opts_usage(), stdout);
		return RCV_EXIT_OK;
	case RCV_CMD_VERSION:
		printf("receiver (skyferry) %s\n", SKYFERRY_VERSION);
		return RCV_EXIT_OK;
	case RCV_CMD_RUN:
		return run(&opts);
	default:
		abort();
	}
}
