/*
 * receiver command line parsing.
 */
#include "receiver/opts.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hypervisor/domxml.h"
#include "netcontinuity/nc_addr.h"
#include "receiver/config.h"
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
    "      --config FILE          read settings (key = value, keys are the\n"
    "                             long option names) from FILE; options\n"
    "                             on the command line override it\n"
    "      --tunnel-dir DIR       network tunnel records (default\n"
    "                             /var/lib/skyferry/tunnels)\n"
    "      --tunnel-local ADDR    our end of VXLAN tunnels (default: the\n"
    "                             address the migrator reached)\n"
    "      --media-dir DIR        read-only files (ISOs, kernels, firmware)\n"
    "                             a migrated VM may use are in DIR\n"
    "                             (repeatable; default /var/lib/libvirt/boot\n"
    "                             and the firmware packages' directories)\n"
    "      --bridge NAME          a bridge or libvirt network a migrated\n"
    "                             VM may join (repeatable; default: any)\n"
    "      --max-resume-timeout S the longest WAN outage a session is held\n"
    "                             through when its migrator asks for more\n"
    "                             than 30 s (--resume-timeout; default 600,\n"
    "                             1 to 86400)\n"
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

/* getopt values of the long options: OPT_BASE + enum rcv_opt. */
#define OPT_BASE 256

/* Indexed by enum rcv_opt, so longopts[opt].name is opt's name. */
static const struct option longopts[] = {
	{ "listen", required_argument, NULL, OPT_BASE + RCV_OPT_LISTEN },
	{ "cert", required_argument, NULL, OPT_BASE + RCV_OPT_CERT },
	{ "key", required_argument, NULL, OPT_BASE + RCV_OPT_KEY },
	{ "ca", required_argument, NULL, OPT_BASE + RCV_OPT_CA },
	{ "psk", required_argument, NULL, OPT_BASE + RCV_OPT_PSK },
	{ "allow", required_argument, NULL, OPT_BASE + RCV_OPT_ALLOW },
	{ "libvirt", required_argument, NULL, OPT_BASE + RCV_OPT_LIBVIRT },
	{ "storage-dir", required_argument, NULL,
	  OPT_BASE + RCV_OPT_STORAGE_DIR },
	{ "max-sessions", required_argument, NULL,
	  OPT_BASE + RCV_OPT_MAX_SESSIONS },
	{ "syslog", no_argument, NULL, OPT_BASE + RCV_OPT_SYSLOG },
	{ "verbose", no_argument, NULL, OPT_BASE + RCV_OPT_VERBOSE },
	{ "config", required_argument, NULL, OPT_BASE + RCV_OPT_CONFIG },
	{ "tunnel-dir", required_argument, NULL,
	  OPT_BASE + RCV_OPT_TUNNEL_DIR },
	{ "tunnel-local", required_argument, NULL,
	  OPT_BASE + RCV_OPT_TUNNEL_LOCAL },
	{ "media-dir", required_argument, NULL, OPT_BASE + RCV_OPT_MEDIA_DIR },
	{ "bridge", required_argument, NULL, OPT_BASE + RCV_OPT_BRIDGE },
	{ "max-resume-timeout", required_argument, NULL,
	  OPT_BASE + RCV_OPT_MAX_RESUME_TIMEOUT },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

_Static_assert(sizeof(longopts) / sizeof(longopts[0]) == RCV_OPT_COUNT + 3,
               "longopts must list every enum rcv_opt, in order");

const char *rcv_opt_name(enum rcv_opt opt)
{
	if ((unsigned)opt >= RCV_OPT_COUNT)
		abort();
	return longopts[opt].name;
}

void rcv_opts_init(struct rcv_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->listen_port = TP_DEFAULT_PORT;
	o->libvirt_uri = "qemu:///system";
	o->max_sessions = 4;
	o->max_resume_timeout_ms = RCV_DEFAULT_MAX_RESUME_S * 1000u;
}

/* The const char * member that holds string setting opt, or NULL. */
static const char **string_field(struct rcv_opts *o, enum rcv_opt opt)
{
	switch (opt) {
	case RCV_OPT_CERT:
		return &o->cert;
	case RCV_OPT_KEY:
		return &o->key;
	case RCV_OPT_CA:
		return &o->ca;
	case RCV_OPT_PSK:
		return &o->psk;
	case RCV_OPT_LIBVIRT:
		return &o->libvirt_uri;
	case RCV_OPT_STORAGE_DIR:
		return &o->storage_dir;
	case RCV_OPT_CONFIG:
		return &o->config;
	case RCV_OPT_TUNNEL_DIR:
		return &o->tunnel_dir;
	case RCV_OPT_TUNNEL_LOCAL:
		return &o->tunnel_local;
	default:
		return NULL;
	}
}

/* Parse a decimal count in [min, max], digits only. */
static bool parse_count(const char *s, unsigned long min, unsigned long max,
                        unsigned long *out)
{
	char *end = NULL;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno == 0 && *end == '\0' && *out >= min && *out <= max;
}

/* Append value to a list setting of at most max items. */
static int list_add(const char **list, size_t *n, size_t max, const char *value,
                    const char *items, char *err, size_t errlen)
{
	if (*n == max)
		return fail(err, errlen, "at most %zu %s", max, items);
	list[(*n)++] = value;
	return 0;
}

int rcv_opts_set(struct rcv_opts *o, enum rcv_opt opt, const char *value,
                 char *err, size_t errlen)
{
	const char **field = string_field(o, opt);
	unsigned long v;

	if (field) {
		struct in6_addr a;

		if (*value == '\0')
			return fail(err, errlen, "empty value");
		if (opt == RCV_OPT_TUNNEL_LOCAL &&
		    inet_pton(AF_INET, value, &a) != 1 &&
		    inet_pton(AF_INET6, value, &a) != 1)
			return fail(err, errlen,
			            "'%s' is not an IPv4 or IPv6 address",
			            value);
		if (opt == RCV_OPT_TUNNEL_DIR && value[0] != '/')
			return fail(err, errlen, "'%s' is not an absolute path",
			            value);
		*field = value;
		return 0;
	}
	switch (opt) {
	case RCV_OPT_LISTEN:
		if (tp_addr_parse(value, TP_DEFAULT_PORT, o->listen_host,
		                  sizeof(o->listen_host), &o->listen_port) < 0)
			return fail(err, errlen,
			            "bad address '%s': expected ADDR, "
			            "ADDR:PORT or [IPV6]:PORT",
			            value);
		return 0;
	case RCV_OPT_ALLOW:
		if (*value == '\0')
			return fail(err, errlen, "empty identity");
		return list_add(o->allow, &o->n_allow, RCV_MAX_ALLOW, value,
		                "identities", err, errlen);
	case RCV_OPT_MEDIA_DIR:
		if (!hv_path_is_clean(value, PATH_MAX - 1))
			return fail(err, errlen,
			            "'%s' is not a clean absolute directory "
			            "(no '.', '..', '//' or trailing '/')",
			            value);
		return list_add(o->media_dirs, &o->n_media_dirs, RCV_MAX_LIST,
		                value, "directories", err, errlen);
	case RCV_OPT_BRIDGE:
		if (!nc_ifname_valid(value))
			return fail(
			    err, errlen,
			    "'%s' is not a bridge or network name (1 "
			    "to 15 printable characters, no '/', ':' or "
			    "'%%')",
			    value);
		return list_add(o->bridges, &o->n_bridges, RCV_MAX_LIST, value,
		                "bridges", err, errlen);
	case RCV_OPT_MAX_SESSIONS:
		if (!parse_count(value, 1, 64, &v))
			return fail(err, errlen,
			            "bad count '%s': expected 1 to 64", value);
		o->max_sessions = (uint32_t)v;
		return 0;
	case RCV_OPT_MAX_RESUME_TIMEOUT:
		if (!parse_count(value, 1, 86400, &v))
			return fail(
			    err, errlen,
			    "bad time '%s': expected 1 to 86400 seconds",
			    value);
		o->max_resume_timeout_ms = (uint32_t)v * 1000u;
		return 0;
	case RCV_OPT_VERBOSE:
		if (!parse_count(value, 0, 3, &v))
			return fail(err, errlen,
			            "bad level '%s': expected 0 to 3", value);
		o->verbose = (int)v;
		return 0;
	case RCV_OPT_SYSLOG:
		if (strcmp(value, "true") && strcmp(value, "false"))
			return fail(err, errlen,
			            "bad value '%s': expected true or false",
			            value);
		o->syslog = strcmp(value, "true") == 0;
		return 0;
	default:
		return fail(err, errlen, "not a setting");
	}
}

/* Map a short option to its setting; -1 for -h, -V and errors. */
static int short_opt(int c)
{
	switch (c) {
	case 'l':
		return RCV_OPT_LISTEN;
	case 'a':
		return RCV_OPT_ALLOW;
	case 'c':
		return RCV_OPT_LIBVIRT;
	case 's':
		return RCV_OPT_STORAGE_DIR;
	case 'v':
		return RCV_OPT_VERBOSE;
	default:
		return c >= OPT_BASE ? c - OPT_BASE : -1;
	}
}

/*
 * Apply one command-line setting. The first --allow, --media-dir, --bridge
 * or -v on the command line replaces what a config file gave instead of
 * adding to it.
 */
static int parse_one(struct rcv_opts *o, int c, const char *name, char *err,
                     size_t errlen)
{
	int opt = short_opt(c);
	char msg[256];

	if (opt < 0 || opt >= RCV_OPT_COUNT) {
		if (c == 'h')
			o->cmd = RCV_CMD_HELP;
		else if (c == 'V')
			o->cmd = RCV_CMD_VERSION;
		else if (c == ':')
			return fail(err, errlen,
			            "option '%s' needs an argument", name);
		else
			return fail(err, errlen, "unknown option '%s'", name);
		return 0;
	}
	if (!(o->from_argv & RCV_OPT_BIT(opt))) {
		if (opt == RCV_OPT_ALLOW)
			o->n_allow = 0;
		if (opt == RCV_OPT_MEDIA_DIR)
			o->n_media_dirs = 0;
		if (opt == RCV_OPT_BRIDGE)
			o->n_bridges = 0;
		if (opt == RCV_OPT_VERBOSE)
			o->verbose = 0;
	}
	o->from_argv |= RCV_OPT_BIT(opt);
	if (opt == RCV_OPT_SYSLOG) {
		o->syslog = true;
		return 0;
	}
	if (opt == RCV_OPT_VERBOSE) {
		o->verbose++;
		return 0;
	}
	if (rcv_opts_set(o, opt, optarg, msg, sizeof(msg)) < 0)
		return fail(err, errlen, "--%s: %s", rcv_opt_name(opt), msg);
	return 0;
}

/* One getopt pass over argv into *o. */
static int parse_argv(struct rcv_opts *o, int argc, char **argv, char *err,
                      size_t errlen)
{
	int c;
	int rc;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:l:a:c:s:vhV", longopts, NULL)) !=
	       -1) {
		rc = parse_one(o, c, argv[optind - 1], err, errlen);
		if (rc < 0)
			return rc;
		if (o->cmd != RCV_CMD_RUN)
			return 0;
	}
	if (optind < argc)
		return fail(err, errlen, "unexpected argument '%s'",
		            argv[optind]);
	return 0;
}

/* Check the merged settings; name the option and, with a file, the key. */
static int validate(const struct rcv_opts *o, char *err, size_t errlen)
{
	const char *hint = o->config ? " (on the command line or in " : "";
	const char *file = o->config ? o->config : "";
	const char *close = o->config ? ")" : "";

	if (o->listen_host[0] == '\0')
		return fail(err, errlen,
		            "--listen ADDR[:PORT] is required%s%s%s: the "
		            "address migrators connect to",
		            hint, file, close);
	if (!o->psk && !(o->cert && o->key && o->ca))
		return fail(err, errlen,
		            "credentials are required%s%s%s: --cert, --key "
		            "and --ca, or --psk",
		            hint, file, close);
	if (o->psk && (o->cert || o->key || o->ca))
		return fail(err, errlen,
		            "use either --psk or --cert/--key/--ca, not "
		            "both%s%s%s",
		            hint, file, close);
	if (o->n_allow == 0)
		return fail(err, errlen,
		            "--allow IDENTITY is required%s%s%s: name the "
		            "peers that may migrate here",
		            hint, file, close);
	if (!o->storage_dir)
		return fail(err, errlen,
		            "--storage-dir DIR is required%s%s%s: where "
		            "received disks are created",
		            hint, file, close);
	return 0;
}

int rcv_opts_parse(struct rcv_opts *o, int argc, char **argv, char *err,
                   size_t errlen)
{
	const char *config;
	int rc;

	rcv_opts_init(o);
	rc = parse_argv(o, argc, argv, err, errlen);
	if (rc < 0 || o->cmd != RCV_CMD_RUN)
		return rc;
	if (o->config) {
		/* The file first, then the command line over it. */
		config = o->config;
		rcv_opts_init(o);
		rc = rcv_config_load(o, config, err, errlen);
		if (rc < 0)
			return rc;
		rc = parse_argv(o, argc, argv, err, errlen);
		if (rc < 0)
			return rc;
	}
	return validate(o, err, errlen);
}
