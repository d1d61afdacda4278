/*
 * receiver command line.
 *
 * rcv_opts_parse() only parses and validates; main() reports and exits.
 */
#ifndef RCV_OPTS_H
#define RCV_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum rcv_exit {
	RCV_EXIT_OK = 0,
	RCV_EXIT_FAILED = 1,	  /* could not start or a fatal error */
	RCV_EXIT_USAGE = 2,	  /* bad command line */
	RCV_EXIT_UNAVAILABLE = 5, /* not available in this build */
};

enum rcv_cmd {
	RCV_CMD_RUN = 0,
	RCV_CMD_HELP,
	RCV_CMD_VERSION,
};

#define RCV_MAX_ALLOW 64

struct rcv_opts {
	enum rcv_cmd cmd;
	char listen_host[256];
	uint16_t listen_port;
	const char *cert;
	const char *key;
	const char *ca;
	const char *psk;
	const char *allow[RCV_MAX_ALLOW];
	size_t n_allow;
	const char *libvirt_uri;
	const char *storage_dir;
	const char *config;
	bool syslog;
	int verbose;
	uint32_t max_sessions;
};

/*
 * Parse argv into *o. Returns 0, or -EINVAL with a message in err that names
 * the bad argument and what to do. Strings in *o point into argv.
 */
int rcv_opts_parse(struct rcv_opts *o, int argc, char **argv, char *err,
		   size_t errlen);

const char *rcv_opts_usage(void);

#endif
