/*
 * migrator: moves a running VM to a skyferry receiver at another site.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "migrator/opts.h"

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
		fprintf(stderr,
			"migrator: live migration is not in this build yet; "
			"the VM '%s' was not touched\n",
			opts.domain);
		return MIG_EXIT_UNAVAILABLE;
	default:
		abort();
	}
}
