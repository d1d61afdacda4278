/*
 * migrator command line parsing.
 */
#include "migrator/opts.h"
#include "transport/tp_addr.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char usage_top[] =
	"usage: migrator [--help] [--version] COMMAND [ARGS...]\n"
	"\n"
	"Move running virtual machines between sites.\n"
	"\n"
	"commands:\n"
	"  migrate DOMAIN --to HOST[:PORT]   live-migrate DOMAIN to a receiver\n"
	"  help [COMMAND]                    show help for a command\n"
	"  version                           print the version\n"
	"\n"
	"exit codes:\n"
	"  0  success: the VM runs at the destination\n"
	"  1  the migration failed; the VM still runs at the source\n"
	"  2  bad command line; nothing was done\n"
	"  3  cancelled by SIGINT or SIGTERM; the VM runs at the source\n"
	"  4  a preflight check blocks the migration (see --dry-run)\n"
	"  5  the command is not available in this build\n";

static const char usage_migrate[] =
	"usage: migrator migrate DOMAIN --to HOST[:PORT] [OPTIONS]\n"
	"\n"
	"Live-migrate DOMAIN, with its memory and local disks, to the receiver\n"
	"at HOST (default port 4870). The VM keeps running at the source until\n"
	"switchover; on any failure it stays there.\n"
	"\n"
	"destination and credentials:\n"
	"  -t, --to HOST[:PORT]        receiver address (required)\n"
	"  -c, --libvirt URI           local libvirt (default qemu:///system)\n"
	"      --cert FILE             our certificate (PEM)\n"
	"      --key FILE              our private key (PEM)\n"
	"      --ca FILE               CA bundle that signs the receiver\n"
	"      --psk FILE              TLS 1.3 external PSK instead of X.509\n"
	"                              (one line IDENTITY:HEX, mode 0600)\n"
	"      --peer-id IDENTITY      the receiver's identity (SAN DNS/URI or\n"
	"                              CN; default: HOST of --to)\n"
	"      --keepalive-timeout MS  a WAN connection silent this long is\n"
	"                              re-established (default 5000)\n"
	"what moves:\n"
	"      --shared-disk TARGET    disk TARGET (e.g. vdb) is on shared\n"
	"                              storage: do not copy it (repeatable)\n"
	"      --persistent            define the VM persistently at the target\n"
	"      --undefine-source       undefine the VM at the source afterwards\n"
	"tuning:\n"
	"      --max-downtime MS       allowed switchover downtime\n"
	"      --bandwidth RATE        cap, e.g. 200mbit, 40MiB (bare: MiB/s)\n"
	"      --completion-timeout S  act after S seconds (see --on-timeout)\n"
	"      --on-timeout ACTION     abort (default) or postcopy\n"
	"      --auto-converge         throttle vCPUs when not converging\n"
	"      --postcopy              allow switching to post-copy\n"
	"      --parallel N            QEMU multifd with N connections\n"
	"output:\n"
	"  -n, --dry-run               run the preflight checks only\n"
	"  -j, --json                  one JSON event per line on stdout\n"
	"  -h, --help                  this help\n";

const char *mig_opts_usage(const char *cmd)
{
	if (!cmd)
		return usage_top;
	if (strcmp(cmd, "migrate") == 0)
		return usage_migrate;
	return NULL;
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

/* Parse a decimal in [min, max]; the whole string must be the number. */
static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end = NULL;
	unsigned long long v;

	if (!s || *s == '\0' || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end != '\0' || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int mig_opts_parse_rate(const char *s, uint64_t *bytes_per_s)
{
	static const struct {
		const char *unit;
		uint64_t mult;	/* bytes per second per unit */
		uint64_t div;
	} units[] = {
		{ "kbit", 1000, 8 },	{ "mbit", 1000000, 8 },
		{ "gbit", 1000000000, 8 }, { "KiB", 1024, 1 },
		{ "MiB", 1048576, 1 },	{ "GiB", 1073741824, 1 },
		{ "", 1048576, 1 },
	};
	char num[32];
	size_t digits = 0;
	uint64_t v;
	size_t i;

	if (!s)
		return -EINVAL;
	while (s[digits] >= '0' && s[digits] <= '9')
		digits++;
	if (digits == 0 || digits >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, digits);
	num[digits] = '\0';
	if (parse_u64(num, 1, UINT32_MAX, &v) < 0)
		return -EINVAL;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcasecmp(s + digits, units[i].unit) == 0) {
			*bytes_per_s = v * units[i].mult / units[i].div;
			return *bytes_per_s ? 0 : -EINVAL;
		}
	}
	return -EINVAL;
}

enum {
	OPT_CERT = 256,
	OPT_KEY,
	OPT_CA,
	OPT_PSK,
	OPT_PEER_ID,
	OPT_KEEPALIVE_TIMEOUT,
	OPT_SHARED_DISK,
	OPT_PERSISTENT,
	OPT_UNDEFINE_SOURCE,
	OPT_MAX_DOWNTIME,
	OPT_BANDWIDTH,
	OPT_COMPLETION_TIMEOUT,
	OPT_ON_TIMEOUT,
	OPT_AUTO_CONVERGE,
	OPT_POSTCOPY,
	OPT_PARALLEL,
};

static const struct option migrate_longopts[] = {
	{ "to", required_argument, NULL, 't' },
	{ "libvirt", required_argument, NULL, 'c' },
	{ "cert", required_argument, NULL, OPT_CERT },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "ca", required_argument, NULL, OPT_CA },
	{ "psk", required_argument, NULL, OPT_PSK },
	{ "peer-id", required_argument, NULL, OPT_PEER_ID },
	{ "keepalive-timeout", required_argument, NULL,
	  OPT_KEEPALIVE_TIMEOUT },
	{ "shared-disk", required_argument, NULL, OPT_SHARED_DISK },
	{ "persistent", no_argument, NULL, OPT_PERSISTENT },
	{ "undefine-source", no_argument, NULL, OPT_UNDEFINE_SOURCE },
	{ "max-downtime", required_argument, NULL, OPT_MAX_DOWNTIME },
	{ "bandwidth", required_argument, NULL, OPT_BANDWIDTH },
	{ "completion-timeout", required_argument, NULL,
	  OPT_COMPLETION_TIMEOUT },
	{ "on-timeout", required_argument, NULL, OPT_ON_TIMEOUT },
	{ "auto-converge", no_argument, NULL, OPT_AUTO_CONVERGE },
	{ "postcopy", no_argument, NULL, OPT_POSTCOPY },
	{ "parallel", required_argument, NULL, OPT_PARALLEL },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Option argument checks for `migrate`; optarg is the argument. */
static int migrate_opt(struct mig_opts *o, int c, const char *name,
		       char *err, size_t errlen)
{
	uint64_t v;

	switch (c) {
	case 't':
		if (tp_addr_parse(optarg, TP_DEFAULT_PORT, o->to_host,
				  sizeof(o->to_host), &o->to_port) < 0)
			return fail(err, errlen,
				    "--to: bad address '%s': expected HOST, "
				    "HOST:PORT or [IPV6]:PORT",
				    optarg);
		return 0;
	case 'c':
		o->libvirt_uri = optarg;
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
	case OPT_PEER_ID:
		o->peer_id = optarg;
		return 0;
	case OPT_SHARED_DISK:
		if (o->n_shared_disks == MIG_MAX_SHARED_DISKS)
			return fail(err, errlen,
				    "--shared-disk: at most %d disks",
				    MIG_MAX_SHARED_DISKS);
		o->shared_disks[o->n_shared_disks++] = optarg;
		return 0;
	case OPT_PERSISTENT:
		o->persistent = true;
		return 0;
	case OPT_UNDEFINE_SOURCE:
		o->undefine_source = true;
		return 0;
	case OPT_KEEPALIVE_TIMEOUT:
		if (parse_u64(optarg, 1000, 600000, &v) < 0)
			return fail(err, errlen,
				    "--keepalive-timeout: bad value '%s': "
				    "expected milliseconds from 1000 to 600000",
				    optarg);
		o->keepalive_timeout_ms = (uint32_t)v;
		return 0;
	case OPT_MAX_DOWNTIME:
		if (parse_u64(optarg, 1, 600000, &v) < 0)
			return fail(err, errlen,
				    "--max-downtime: bad value '%s': expected "
				    "milliseconds from 1 to 600000",
				    optarg);
		o->max_downtime_ms = (uint32_t)v;
		return 0;
	case OPT_BANDWIDTH:
		if (mig_opts_parse_rate(optarg, &o->bandwidth_bps) < 0)
			return fail(err, errlen,
				    "--bandwidth: bad rate '%s': expected a "
				    "number with kbit, mbit, gbit, KiB, MiB or "
				    "GiB (per second), e.g. 200mbit",
				    optarg);
		return 0;
	case OPT_COMPLETION_TIMEOUT:
		if (parse_u64(optarg, 1, 86400, &v) < 0)
			return fail(err, errlen,
				    "--completion-timeout: bad value '%s': "
				    "expected seconds from 1 to 86400",
				    optarg);
		o->completion_timeout_s = (uint32_t)v;
		return 0;
	case OPT_ON_TIMEOUT:
		if (strcmp(optarg, "abort") == 0)
			o->on_timeout = MIG_ON_TIMEOUT_ABORT;
		else if (strcmp(optarg, "postcopy") == 0)
			o->on_timeout = MIG_ON_TIMEOUT_POSTCOPY;
		else
			return fail(err, errlen,
				    "--on-timeout: bad action '%s': expected "
				    "abort or postcopy",
				    optarg);
		return 0;
	case OPT_AUTO_CONVERGE:
		o->auto_converge = true;
		return 0;
	case OPT_POSTCOPY:
		o->postcopy = true;
		return 0;
	case OPT_PARALLEL:
		if (parse_u64(optarg, 1, 255, &v) < 0)
			return fail(err, errlen,
				    "--parallel: bad count '%s': expected 1 "
				    "to 255 connections",
				    optarg);
		o->parallel = (uint32_t)v;
		return 0;
	case 'n':
		o->dry_run = true;
		return 0;
	case 'j':
		o->json = true;
		return 0;
	case 'h':
		o->cmd = MIG_CMD_HELP;
		o->help_topic = "migrate";
		return 0;
	default:
		return fail(err, errlen, "migrate: unknown option '%s'; see "
			    "'migrator help migrate'", name);
	}
}

static int parse_migrate(struct mig_opts *o, int argc, char **argv,
			 char *err, size_t errlen)
{
	int c;
	int rc;

	o->cmd = MIG_CMD_MIGRATE;
	o->libvirt_uri = "qemu:///system";
	o->on_timeout = MIG_ON_TIMEOUT_ABORT;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":t:c:njh", migrate_longopts,
				NULL)) != -1) {
		const char *name = argv[optind - 1];

		if (c == ':')
			return fail(err, errlen,
				    "migrate: option '%s' needs an argument",
				    name);
		if (c == '?')
			return fail(err, errlen,
				    "migrate: unknown option '%s'; see "
				    "'migrator help migrate'", name);
		rc = migrate_opt(o, c, name, err, errlen);
		if (rc < 0)
			return rc;
		if (o->cmd == MIG_CMD_HELP)
			return 0;
	}
	if (optind >= argc)
		return fail(err, errlen,
			    "migrate: which domain? usage: migrator migrate "
			    "DOMAIN --to HOST[:PORT]");
	o->domain = argv[optind++];
	if (optind < argc)
		return fail(err, errlen,
			    "migrate: unexpected argument '%s' after the "
			    "domain name", argv[optind]);
	if (o->to_host[0] == '\0')
		return fail(err, errlen,
			    "migrate: --to HOST[:PORT] is required: name the "
			    "receiver to migrate to");
	if ((o->cert || o->key) && !(o->cert && o->key && o->ca))
		return fail(err, errlen,
			    "migrate: X.509 needs --cert, --key and --ca "
			    "together");
	if (o->psk && (o->cert || o->key || o->ca))
		return fail(err, errlen,
			    "migrate: use either --psk or --cert/--key/--ca, "
			    "not both");
	if (o->on_timeout == MIG_ON_TIMEOUT_POSTCOPY && !o->postcopy)
		return fail(err, errlen,
			    "migrate: --on-timeout postcopy needs --postcopy");
	return 0;
}

static const struct option top_longopts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

int mig_opts_parse(struct mig_opts *o, int argc, char **argv, char *err,
		   size_t errlen)
{
	const char *cmd;
	int c;

	memset(o, 0, sizeof(*o));
	o->to_port = TP_DEFAULT_PORT;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+hV", top_longopts, NULL)) != -1) {
		if (c == 'h') {
			o->cmd = MIG_CMD_HELP;
			return 0;
		}
		if (c == 'V') {
			o->cmd = MIG_CMD_VERSION;
			return 0;
		}
		return fail(err, errlen, "unknown option '%s'",
			    argv[optind - 1]);
	}
	if (optind >= argc)
		return fail(err, errlen, "no command given");
	cmd = argv[optind];
	if (strcmp(cmd, "help") == 0) {
		o->cmd = MIG_CMD_HELP;
		o->help_topic = optind + 1 < argc ? argv[optind + 1] : NULL;
		return 0;
	}
	if (strcmp(cmd, "version") == 0) {
		o->cmd = MIG_CMD_VERSION;
		return 0;
	}
	if (strcmp(cmd, "migrate") == 0)
		return parse_migrate(o, argc - optind, argv + optind, err,
				     errlen);
	return fail(err, errlen, "unknown command '%s'", cmd);
}
