/*
 * receiver: the destination daemon. Accepts authenticated migrators and
 * receives their VMs into the local libvirt.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "receiver/opts.h"

int main(int argc, char **argv)
{
	struct rcv_opts opts;
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
		fprintf(stderr, "receiver: serving migrations is not in this "
				"build yet\n");
		return RCV_EXIT_UNAVAILABLE;
	default:
		abort();
	}
}
