/*
 * receiver command line parsing.
 */
#include "receiver/opts.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transport/tp_addr.h"

static const char usage[] =
	"usage: receiver --listen ADDR[:PORT] (--cert F --key F --ca F | --psk F)\n"
	"                --allow IDENTITY... --storage-dir DIR [OPTIONS]\n"
	"\n"
	"Accept authenticated skyferry migrators and receive their VMs into\n"
	"the local libvirt. Runs in the foreground and logs to stderr.\n"
	"\n"
	"  -l, --listen ADDR[:PORT]   address to listen on (default port 4870)\n"
	"      --cert FILE            our certificate (PEM)\n"
	"      --key FILE             our private key (PEM)\n"
	"      --ca FILE              CA bundle that signs our peers\n"
	"      --psk FILE             TLS 1.3 external PSK instead of X.509\n"
	"  -a, --allow IDENTITY       peer identity (SAN DNS/URI or CN) that may\n"
	"                             migrate here (repeatable)\n"
	"  -c, --libvirt URI          local libvirt (default qemu:///system)\n"
	"  -s, --storage-dir DIR      where received disks are created\n"
	"      --max-sessions N       concurrent migrations (default 4)\n"
	"      --config FILE          read settings from FILE\n"
	"      --syslog               log to syslog instead of stderr\n"
	"  -v, --verbose              more log detail (repeatable)\n"
	"  -h, --help                 this help\n"
	"  -V, --version              print the version\n"
	"\n"
	"exit codes: 0 clean shutdown, 1 fatal error, 2 bad command line,\n"
	"5 not available in this build\n";

const char *rcv_opts_usage(void)
{
	return usage;
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

enum {
	OPT_CERT = 256,
	OPT_KEY,
	OPT_CA,
	OPT_PSK,
	OPT_MAX_SESSIONS,
	OPT_CONFIG,
	OPT_SYSLOG,
};

static const struct option longopts[] = {
	{ "listen", required_argument, NULL, 'l' },
	{ "cert", required_argument, NULL, OPT_CERT },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "ca", required_argument, NULL, OPT_CA },
	{ "psk", required_argument, NULL, OPT_PSK },
	{ "allow", required_argument, NULL, 'a' },
	{ "libvirt", required_argument, NULL, 'c' },
	{ "storage-dir", required_argument, NULL, 's' },
	{ "max-sessions", required_argument, NULL, OPT_MAX_SESSIONS },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "syslog", no_argument, NULL, OPT_SYSLOG },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static int parse_one(struct rcv_opts *o, int c, const char *name, char *err,
		     size_t errlen)
{
	char *end = NULL;
	unsigned long v;

	switch (c) {
	case 'l':
		if (tp_addr_parse(optarg, TP_DEFAULT_PORT, o->listen_host,
				  sizeof(o->listen_host), &o->listen_port) < 0)
			return fail(err, errlen,
				    "--listen: bad address '%s': expected "
				    "ADDR, ADDR:PORT or [IPV6]:PORT",
				    optarg);
		return 0;
	case OPT_CERT:
		o->cert = optarg;
		return 0;
	case OPT_KEY:
		o->key = optarg;
		return 0;
	case OPT_CA:
		o->ca = optarg;
		return 0;
	case OPT_PSK:
		o->psk = optarg;
		return 0;
	case 'a':
		if (*optarg == '\0')
			return fail(err, errlen, "--allow: empty identity");
		if (o->n_allow == RCV_MAX_ALLOW)
			return fail(err, errlen,
				    "--allow: at most %d identities",
				    RCV_MAX_ALLOW);
		o->allow[o->n_allow++] = optarg;
		return 0;
	case 'c':
		o->libvirt_uri = optarg;
		return 0;
	case 's':
		o->storage_dir = optarg;
		return 0;
	case OPT_MAX_SESSIONS:
		errno = 0;
		v = strtoul(optarg, &end, 10);
		if (errno || *optarg < '0' || *optarg > '9' || *end ||
		    v < 1 || v > 64)
			return fail(err, errlen,
				    "--max-sessions: bad count '%s': "
				    "expected 1 to 64",
				    optarg);
		o->max_sessions = (uint32_t)v;
		return 0;
	case OPT_CONFIG:
		o->config = optarg;
		return 0;
	case OPT_SYSLOG:
		o->syslog = true;
		return 0;
	case 'v':
		o->verbose++;
		return 0;
	case 'h':
		o->cmd = RCV_CMD_HELP;
		return 0;
	case 'V':
		o->cmd = RCV_CMD_VERSION;
		return 0;
	case ':':
		return fail(err, errlen, "option '%s' needs an argument",
			    name);
	default:
		return fail(err, errlen, "unknown option '%s'", name);
	}
}

int rcv_opts_parse(struct rcv_opts *o, int argc, char **argv, char *err,
		   size_t errlen)
{
	int c;
	int rc;

	memset(o, 0, sizeof(*o));
	o->listen_port = TP_DEFAULT_PORT;
	o->libvirt_uri = "qemu:///system";
	o->max_sessions = 4;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:l:a:c:s:vhV", longopts,
				NULL)) != -1) {
		rc = parse_one(o, c, argv[optind - 1], err, errlen);
		if (rc < 0)
			return rc;
		if (o->cmd != RCV_CMD_RUN)
			return 0;
	}
	if (optind < argc)
		return fail(err, errlen, "unexpected argument '%s'",
			    argv[optind]);
	if (o->config)
		return 0; /* the file supplies what the command line lacks */
	if (o->listen_host[0] == '\0')
		return fail(err, errlen,
			    "--listen ADDR[:PORT] is required: the address "
			    "migrators connect to");
	if (!o->psk && !(o->cert && o->key && o->ca))
		return fail(err, errlen,
			    "credentials are required: --cert, --key and --ca, "
			    "or --psk");
	if (o->psk && (o->cert || o->key || o->ca))
		return fail(err, errlen,
			    "use either --psk or --cert/--key/--ca, not both");
	if (o->n_allow == 0)
		return fail(err, errlen,
			    "--allow IDENTITY is required: name the peers that "
			    "may migrate here");
	if (!o->storage_dir)
		return fail(err, errlen,
			    "--storage-dir DIR is required: where received "
			    "disks are created");
	return 0;
}
