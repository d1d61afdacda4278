/*
 * migrator: moves a running VM to a skyferry receiver at another site.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migrator/convert.h"
#include "migrator/migrate.h"
#include "migrator/keeper.h"
#include "migrator/opts.h"
#include "migrator/tunnel_cmd.h"

static void on_signal(int sig)
{
	(void)sig;
	mig_migrate_cancel();
}

static int cmd_migrate(const struct mig_opts *opts)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	return mig_migrate(opts);
}

static int cmd_help(const char *topic)
{
	if (topic && !mig_opts_usage(topic)) {
		fprintf(stderr, "migrator: no help for '%s'\n", topic);
		return MIG_EXIT_USAGE;
	}
	fputs(mig_opts_usage(topic), stdout);
	return MIG_EXIT_OK;
}

int main(int argc, char **argv)
{
	struct mig_opts opts;
	char err[256];

	/* A peer that goes away must fail a write, not kill the process. */
	signal(SIGPIPE, SIG_IGN);
	if (mig_opts_parse(&opts, argc, argv, err, sizeof(err)) < 0) {
		fprintf(stderr, "migrator: %s\n\n%s", err,
		        mig_opts_usage(opts.cmd == MIG_CMD_MIGRATE ? "migrate"
		                       : opts.cmd == MIG_CMD_TUNNEL_LIST ||
		                               opts.cmd == MIG_CMD_TUNNEL_TEARDOWN ||
		                               opts.cmd == MIG_CMD_TUNNEL_KEEP
		                           ? "tunnel"
		                       : opts.cmd == MIG_CMD_CONVERT ? "convert"
		                                                     : NULL));
		return MIG_EXIT_USAGE;
	}
	switch (opts.cmd) {
	case MIG_CMD_HELP:
		return cmd_help(opts.help_topic);
	case MIG_CMD_VERSION:
		printf("migrator (skyferry) %s\n", SKYFERRY_VERSION);
		return MIG_EXIT_OK;
	case MIG_CMD_MIGRATE:
		return cmd_migrate(&opts);
	case MIG_CMD_TUNNEL_LIST:
		return mig_tunnel_list(&opts);
	case MIG_CMD_TUNNEL_TEARDOWN:
		return mig_tunnel_teardown(&opts);
	case MIG_CMD_TUNNEL_KEEP:
		return mig_tunnel_keep(&opts);
	case MIG_CMD_CONVERT:
		return mig_convert(&opts);
	default:
		abort();
	}
}
