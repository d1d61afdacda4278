/*
 * migrator command line parsing.
 */
#include "migrator/opts.h"
#include "hypervisor/vmdef.h"
#include "transport/tp_addr.h"

#include <arpa/inet.h>
#include <ctype.h>
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
	"                                    (or cold/warm to another hypervisor)\n"
	"  convert FILE --target HV --out-dir DIR\n"
	"                                    convert a definition and its disks\n"
	"                                    for kvm, xen or vmware, locally\n"
	"  tunnel list                       the network tunnels kept here\n"
	"  tunnel teardown ID|--all          remove tunnels (and, with --to,\n"
	"                                    the receiver's end too)\n"
	"  help [COMMAND]                    show help for a command\n"
	"  version                           print the version\n"
	"\n"
	"exit codes:\n"
	"  0  success: the VM runs at the destination\n"
	"  1  the migration failed; the VM still runs at the source\n"
	"  2  bad command line; nothing was done\n"
	"  3  cancelled by SIGINT or SIGTERM; the VM runs at the source\n"
	"  4  a preflight check blocks the migration (see --dry-run)\n"
	"  5  the command is not available in this build\n"
	"  6  post-copy had started when the migration failed: the VM is\n"
	"     paused at the source and, if the destination had started it,\n"
	"     there too, its memory split between them; recover it with\n"
	"     migrator migrate DOMAIN --to HOST --postcopy-resume\n";

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
	"      --resume-timeout S      ride out WAN outages of up to S s\n"
	"                              (default 30, with --postcopy 600; the\n"
	"                              receiver may allow less, see its\n"
	"                              --max-resume-timeout); a longer one\n"
	"                              fails the migration (every --mode)\n"
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
	"      --auto-converge-initial PCT\n"
	"                              first throttle (1-99, QEMU's default\n"
	"                              20); needs --auto-converge\n"
	"      --auto-converge-increment PCT\n"
	"                              each further step (1-99, default 10)\n"
	"      --postcopy              allow switching to post-copy (the\n"
	"                              receiver checks its host can)\n"
	"      --postcopy-after-precopy\n"
	"                              switch to post-copy once the first\n"
	"                              pass over RAM is done (needs\n"
	"                              --postcopy). From then on an outage\n"
	"                              longer than the transport's resume\n"
	"                              limit pauses the VM at both sites\n"
	"                              (exit 6)\n"
	"      --parallel N            QEMU multifd with N connections\n"
	"      --postcopy-resume       recover a post-copy that failed (exit\n"
	"                              6): the source is paused, the newest\n"
	"                              state is at the receiver, which kept\n"
	"                              it; resumes where it stopped\n"
	"between hypervisors (memory cannot move between them):\n"
	"      --target-hypervisor HV  kvm, xen or vmware (default: the\n"
	"                              source's); another one needs --mode\n"
	"      --mode MODE             live (default), cold (shut down, copy\n"
	"                              and convert, start there) or warm\n"
	"                              (copy while it runs, shut down, send\n"
	"                              the final delta, start there)\n"
	"      --paravirt              the guest has the target's paravirtual\n"
	"                              drivers (virtio; xvd and netfront;\n"
	"                              pvscsi and vmxnet3); without it disks\n"
	"                              and NICs get models every guest drives\n"
	"      --disk-format F[:SUB]   target image format: qcow2, raw, vmdk\n"
	"                              (monolithicSparse, streamOptimized,\n"
	"                              monolithicFlat), vpc, vhdx (default:\n"
	"                              qcow2 for kvm, vpc for xen, vmdk for\n"
	"                              vmware)\n"
	"      --shutdown-timeout S    wait S s for the guest to power off\n"
	"                              (default 120); then fail, VM running\n"
	"      --force-off             after the timeout, power it off\n"
	"      --warm-rounds N         warm: copy rounds while it runs (1-10,\n"
	"                              default 3)\n"
	"      --no-start              write the VM at the destination, do not\n"
	"                              start it\n"
	"network continuity (clients keep the VM's address):\n"
	"      --net [MAC=]MODE        l2-extend, l3 or encrypted, for the NIC\n"
	"                              with MAC, or for every NIC (repeatable)\n"
	"      --dest-bridge [MAC=]BR  the NIC's bridge at the destination\n"
	"                              (default: the same name as here)\n"
	"      --vm-ip [MAC=]ADDR      the VM's address on the NIC (default:\n"
	"                              found in this host's neighbour table)\n"
	"      --vni N                 VXLAN network identifier (default: a\n"
	"                              free one from the tunnel id)\n"
	"      --vxlan-port PORT       VXLAN UDP port (default 4789)\n"
	"      --tunnel-local ADDR     this end of the tunnel (default: the\n"
	"                              address we reach the receiver from)\n"
	"      --tunnel-dir DIR        tunnel records (default\n"
	"                              /var/lib/skyferry/tunnels)\n"
	"output:\n"
	"  -n, --dry-run               run the preflight checks only\n"
	"  -j, --json                  one JSON event per line on stdout\n"
	"  -h, --help                  this help\n";

static const char usage_tunnel[] =
	"usage: migrator tunnel list [--tunnel-dir DIR] [--json]\n"
	"       migrator tunnel teardown ID|--all [--tunnel-dir DIR]\n"
	"                [--to HOST[:PORT] CREDENTIALS]\n"
	"\n"
	"The tunnels that keep migrated VMs reachable at their old address\n"
	"stay up after the migration, until the clients have moved over.\n"
	"'list' shows the ends recorded at this host; 'teardown' removes one\n"
	"(or all) of them: every netlink object skyferry made, and nothing\n"
	"else. With --to and the credentials of 'migrate' (--cert, --key,\n"
	"--ca or --psk, --peer-id), the receiver removes its end too.\n";

static const char usage_convert[] =
	"usage: migrator convert FILE --target HV --out-dir DIR [OPTIONS]\n"
	"\n"
	"Convert a VM definition (libvirt domain XML, VMware .vmx or Xen\n"
	"xl.cfg) and its disks for another hypervisor, here. Disks are read\n"
	"and written through QEMU's block layer (qemu-nbd); holes are not\n"
	"copied. What cannot be mapped is reported.\n"
	"\n"
	"  -T, --target HV           kvm, xen or vmware (required)\n"
	"  -o, --out-dir DIR         where the definition and disks go\n"
	"                            (required; files are never replaced)\n"
	"      --from FORMAT         xml, vmx or xl (default: from the name)\n"
	"      --disk-format F[:SUB] target image format (see migrate)\n"
	"      --paravirt            the guest has the target's PV drivers\n"
	"      --define              define the result in --libvirt (kvm or\n"
	"                            xen)\n"
	"  -c, --libvirt URI         libvirt for --define (qemu:///system)\n"
	"      --json                one JSON object with the result\n";

const char *mig_opts_usage(const char *cmd)
{
	if (!cmd)
		return usage_top;
	if (strcmp(cmd, "migrate") == 0)
		return usage_migrate;
	if (strcmp(cmd, "tunnel") == 0)
		return usage_tunnel;
	if (strcmp(cmd, "convert") == 0)
		return usage_convert;
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
	OPT_RESUME_TIMEOUT,
	OPT_MAX_DOWNTIME,
	OPT_BANDWIDTH,
	OPT_COMPLETION_TIMEOUT,
	OPT_ON_TIMEOUT,
	OPT_AUTO_CONVERGE,
	OPT_AC_INITIAL,
	OPT_AC_INCREMENT,
	OPT_POSTCOPY,
	OPT_POSTCOPY_AFTER_PRECOPY,
	OPT_POSTCOPY_RESUME,
	OPT_PARALLEL,
	OPT_NET,
	OPT_DEST_BRIDGE,
	OPT_VM_IP,
	OPT_VNI,
	OPT_VXLAN_PORT,
	OPT_TUNNEL_LOCAL,
	OPT_TUNNEL_DIR,
	OPT_ALL,
	OPT_BRIDGE,
	OPT_VM_MAC,
	OPT_VM,
	OPT_UUID,
	OPT_MTU,
	OPT_TARGET_HV,
	OPT_MODE,
	OPT_PARAVIRT,
	OPT_DISK_FORMAT,
	OPT_SHUTDOWN_TIMEOUT,
	OPT_FORCE_OFF,
	OPT_WARM_ROUNDS,
	OPT_NO_START,
	OPT_FROM,
	OPT_DEFINE,
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
	{ "resume-timeout", required_argument, NULL, OPT_RESUME_TIMEOUT },
	{ "max-downtime", required_argument, NULL, OPT_MAX_DOWNTIME },
	{ "bandwidth", required_argument, NULL, OPT_BANDWIDTH },
	{ "completion-timeout", required_argument, NULL,
	  OPT_COMPLETION_TIMEOUT },
	{ "on-timeout", required_argument, NULL, OPT_ON_TIMEOUT },
	{ "auto-converge", no_argument, NULL, OPT_AUTO_CONVERGE },
	{ "auto-converge-initial", required_argument, NULL, OPT_AC_INITIAL },
	{ "auto-converge-increment", required_argument, NULL,
	  OPT_AC_INCREMENT },
	{ "postcopy", no_argument, NULL, OPT_POSTCOPY },
	{ "postcopy-after-precopy", no_argument, NULL,
	  OPT_POSTCOPY_AFTER_PRECOPY },
	{ "postcopy-resume", no_argument, NULL, OPT_POSTCOPY_RESUME },
	{ "parallel", required_argument, NULL, OPT_PARALLEL },
	{ "net", required_argument, NULL, OPT_NET },
	{ "dest-bridge", required_argument, NULL, OPT_DEST_BRIDGE },
	{ "vm-ip", required_argument, NULL, OPT_VM_IP },
	{ "vni", required_argument, NULL, OPT_VNI },
	{ "vxlan-port", required_argument, NULL, OPT_VXLAN_PORT },
	{ "tunnel-local", required_argument, NULL, OPT_TUNNEL_LOCAL },
	{ "tunnel-dir", required_argument, NULL, OPT_TUNNEL_DIR },
	{ "target-hypervisor", required_argument, NULL, OPT_TARGET_HV },
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "paravirt", no_argument, NULL, OPT_PARAVIRT },
	{ "disk-format", required_argument, NULL, OPT_DISK_FORMAT },
	{ "shutdown-timeout", required_argument, NULL, OPT_SHUTDOWN_TIMEOUT },
	{ "force-off", no_argument, NULL, OPT_FORCE_OFF },
	{ "warm-rounds", required_argument, NULL, OPT_WARM_ROUNDS },
	{ "no-start", no_argument, NULL, OPT_NO_START },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Options shared by migrate's cold/warm modes and convert. */
static int hv_opt(struct mig_opts *o, int c, char *err, size_t errlen)
{
	enum hv_img_format f;
	enum hv_kind kind;
	char fmt[16];
	uint64_t v;
	size_t n;

	switch (c) {
	case OPT_TARGET_HV:
	case 'T':
		if (hv_kind_parse(optarg, &kind) < 0)
			return fail(err, errlen,
				    "--target-hypervisor: unknown '%s': "
				    "expected kvm, xen or vmware",
				    optarg);
		o->target_kind = (int)kind;
		return 0;
	case OPT_MODE:
		if (strcmp(optarg, "live") == 0)
			o->mode = MIG_MODE_LIVE;
		else if (strcmp(optarg, "cold") == 0)
			o->mode = MIG_MODE_COLD;
		else if (strcmp(optarg, "warm") == 0)
			o->mode = MIG_MODE_WARM;
		else
			return fail(err, errlen,
				    "--mode: unknown '%s': expected live, "
				    "cold or warm",
				    optarg);
		return 0;
	case OPT_PARAVIRT:
		o->paravirt = true;
		return 0;
	case OPT_DISK_FORMAT:
		n = strcspn(optarg, ":");
		if (n >= sizeof(fmt))
			n = sizeof(fmt) - 1;
		memcpy(fmt, optarg, n);
		fmt[n] = '\0';
		if (hv_img_format_parse(fmt, &f) < 0)
			return fail(err, errlen,
				    "--disk-format: unknown format '%s': "
				    "expected raw, qcow2, vmdk, vpc or vhdx",
				    fmt);
		if (optarg[n] == ':' &&
		    !((f == HV_IMG_VMDK &&
		       (!strcmp(optarg + n + 1, "monolithicSparse") ||
			!strcmp(optarg + n + 1, "streamOptimized") ||
			!strcmp(optarg + n + 1, "monolithicFlat"))) ||
		      ((f == HV_IMG_VPC || f == HV_IMG_VHDX) &&
		       (!strcmp(optarg + n + 1, "dynamic") ||
			!strcmp(optarg + n + 1, "fixed")))))
			return fail(err, errlen,
				    "--disk-format: '%s': vmdk takes "
				    "monolithicSparse, streamOptimized or "
				    "monolithicFlat, vpc and vhdx take "
				    "dynamic or fixed, others none",
				    optarg);
		o->disk_format = optarg;
		return 0;
	case OPT_SHUTDOWN_TIMEOUT:
		if (parse_u64(optarg, 1, 3600, &v) < 0)
			return fail(err, errlen,
				    "--shutdown-timeout: bad value '%s': "
				    "expected seconds from 1 to 3600",
				    optarg);
		o->shutdown_timeout_s = (uint32_t)v;
		return 0;
	case OPT_FORCE_OFF:
		o->force_off = true;
		return 0;
	case OPT_WARM_ROUNDS:
		if (parse_u64(optarg, 1, 10, &v) < 0)
			return fail(err, errlen,
				    "--warm-rounds: bad value '%s': expected "
				    "1 to 10",
				    optarg);
		o->warm_rounds = (uint32_t)v;
		return 0;
	case OPT_NO_START:
		o->no_start = true;
		return 0;
	}
	return 1; /* not one of ours */
}

/*
 * "[MAC=]VALUE" into list: a MAC prefix is checked here, the value by the
 * caller.
 */
static int nic_opt(struct mig_nic_opt *list, size_t *n, size_t max,
		   const char *opt, const char *arg, char *err, size_t errlen)
{
	const char *eq = strchr(arg, '=');
	struct mig_nic_opt *e;
	size_t i;

	if (*n == max)
		return fail(err, errlen, "%s: at most %zu times", opt, max);
	e = &list[*n];
	memset(e, 0, sizeof(*e));
	e->value = arg;
	if (eq) {
		if (eq - arg != 17)
			return fail(err, errlen,
				    "%s: bad NIC '%.*s' in '%s': expected a "
				    "MAC such as 52:54:00:12:34:56",
				    opt, (int)(eq - arg), arg, arg);
		for (i = 0; i < 17; i++) {
			char ch = arg[i];

			if (i % 3 == 2 ? ch != ':' : !isxdigit((unsigned char)ch))
				return fail(err, errlen,
					    "%s: bad MAC in '%s': expected "
					    "xx:xx:xx:xx:xx:xx",
					    opt, arg);
			e->mac[i] = (char)tolower((unsigned char)ch);
		}
		e->value = eq + 1;
	}
	if (*e->value == '\0')
		return fail(err, errlen, "%s: empty value in '%s'", opt, arg);
	(*n)++;
	return 0;
}

static int net_opt(struct mig_opts *o, int c, char *err, size_t errlen)
{
	struct in6_addr a6;
	uint64_t v;
	const char *val;
	int rc;

	switch (c) {
	case OPT_NET:
		rc = nic_opt(o->nets, &o->n_nets, MIG_MAX_NET_OPTS, "--net",
			     optarg, err, errlen);
		if (rc < 0)
			return rc;
		val = o->nets[o->n_nets - 1].value;
		if (strcmp(val, "l2-extend") && strcmp(val, "l3") &&
		    strcmp(val, "encrypted"))
			return fail(err, errlen,
				    "--net: unknown mode '%s': expected "
				    "l2-extend, l3 or encrypted",
				    val);
		return 0;
	case OPT_DEST_BRIDGE:
		rc = nic_opt(o->bridges, &o->n_bridges, MIG_MAX_NET_OPTS,
			     "--dest-bridge", optarg, err, errlen);
		if (rc < 0)
			return rc;
		val = o->bridges[o->n_bridges - 1].value;
		if (strlen(val) > 15 || strpbrk(val, "/: \t"))
			return fail(err, errlen,
				    "--dest-bridge: '%s' is not an interface "
				    "name",
				    val);
		return 0;
	case OPT_VM_IP:
		rc = nic_opt(o->vm_ips, &o->n_vm_ips, MIG_MAX_VM_IPS,
			     "--vm-ip", optarg, err, errlen);
		if (rc < 0)
			return rc;
		val = o->vm_ips[o->n_vm_ips - 1].value;
		if (inet_pton(AF_INET, val, &a6) != 1 &&
		    inet_pton(AF_INET6, val, &a6) != 1)
			return fail(err, errlen,
				    "--vm-ip: '%s' is not an IPv4 or IPv6 "
				    "address",
				    val);
		return 0;
	case OPT_VNI:
		if (parse_u64(optarg, 1, 16777215, &v) < 0)
			return fail(err, errlen,
				    "--vni: bad value '%s': expected 1 to "
				    "16777215",
				    optarg);
		o->vni = (uint32_t)v;
		return 0;
	case OPT_VXLAN_PORT:
		if (parse_u64(optarg, 1, 65535, &v) < 0)
			return fail(err, errlen,
				    "--vxlan-port: bad port '%s': expected 1 "
				    "to 65535",
				    optarg);
		o->vxlan_port = (uint16_t)v;
		return 0;
	case OPT_TUNNEL_LOCAL:
		if (inet_pton(AF_INET, optarg, &a6) != 1 &&
		    inet_pton(AF_INET6, optarg, &a6) != 1)
			return fail(err, errlen,
				    "--tunnel-local: '%s' is not an IPv4 or "
				    "IPv6 address",
				    optarg);
		o->tunnel_local = optarg;
		return 0;
	case OPT_TUNNEL_DIR:
		if (optarg[0] != '/')
			return fail(err, errlen,
				    "--tunnel-dir: '%s' is not an absolute "
				    "path",
				    optarg);
		o->tunnel_dir = optarg;
		return 0;
	default:
		return 1; /* not a network option */
	}
}

/* Option argument checks for `migrate`; optarg is the argument. */
static int migrate_opt(struct mig_opts *o, int c, const char *name,
		       char *err, size_t errlen)
{
	uint64_t v;
	int rc = net_opt(o, c, err, errlen);

	if (rc <= 0)
		return rc;
	rc = hv_opt(o, c, err, errlen);
	if (rc <= 0)
		return rc;
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
	case OPT_RESUME_TIMEOUT:
		if (parse_u64(optarg, 1, 86400, &v) < 0)
			return fail(err, errlen,
				    "--resume-timeout: bad value '%s': "
				    "expected seconds from 1 to 86400",
				    optarg);
		o->resume_timeout_ms = (uint32_t)v * 1000u;
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
	case OPT_AC_INITIAL:
	case OPT_AC_INCREMENT:
		if (parse_u64(optarg, 1, 99, &v) < 0)
			return fail(err, errlen,
				    "--%s: bad value '%s': expected a "
				    "percentage from 1 to 99",
				    c == OPT_AC_INITIAL ?
					    "auto-converge-initial" :
					    "auto-converge-increment",
				    optarg);
		if (c == OPT_AC_INITIAL)
			o->ac_initial = (uint32_t)v;
		else
			o->ac_increment = (uint32_t)v;
		return 0;
	case OPT_POSTCOPY:
		o->postcopy = true;
		return 0;
	case OPT_POSTCOPY_AFTER_PRECOPY:
		o->postcopy_after_precopy = true;
		return 0;
	case OPT_POSTCOPY_RESUME:
		o->postcopy_resume = true;
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
	o->target_kind = -1;
	o->shutdown_timeout_s = 120;
	o->warm_rounds = 3;
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
	if (o->postcopy_resume &&
	    (o->n_nets || o->persistent || o->parallel || o->auto_converge ||
	     o->postcopy_after_precopy))
		return fail(err, errlen,
			    "migrate: --postcopy-resume continues the migration "
			    "that failed, as it was: --net (its tunnels stay "
			    "as they were), --persistent (libvirt does not "
			    "define the VM when it resumes), --parallel, "
			    "--auto-converge and --postcopy-after-precopy do "
			    "not apply");
	if ((o->ac_initial || o->ac_increment) && !o->auto_converge)
		return fail(err, errlen,
			    "migrate: --auto-converge-initial and "
			    "--auto-converge-increment need --auto-converge");
	if (o->postcopy && !o->resume_timeout_ms)
		o->resume_timeout_ms = MIG_POSTCOPY_RESUME_S * 1000u;
	if (o->postcopy_after_precopy && !o->postcopy)
		return fail(err, errlen,
			    "migrate: --postcopy-after-precopy needs "
			    "--postcopy");
	if (o->n_nets == 0 && (o->n_bridges || o->n_vm_ips || o->vni ||
			       o->vxlan_port || o->tunnel_local))
		return fail(err, errlen,
			    "migrate: --dest-bridge, --vm-ip, --vni, "
			    "--vxlan-port and --tunnel-local need --net");
	if (!o->vxlan_port)
		o->vxlan_port = 4789;
	if (o->mode == MIG_MODE_LIVE &&
	    (o->disk_format || o->force_off || o->no_start))
		return fail(err, errlen,
			    "migrate: --disk-format, --force-off and "
			    "--no-start need --mode cold or warm");
	if (o->mode != MIG_MODE_LIVE &&
	    (o->n_nets || o->postcopy || o->parallel || o->auto_converge))
		return fail(err, errlen,
			    "migrate: --net, --postcopy, --parallel and "
			    "--auto-converge are for live migration, not "
			    "--mode %s",
			    o->mode == MIG_MODE_COLD ? "cold" : "warm");
	return 0;
}

static const struct option convert_longopts[] = {
	{ "target", required_argument, NULL, 'T' },
	{ "out-dir", required_argument, NULL, 'o' },
	{ "from", required_argument, NULL, OPT_FROM },
	{ "disk-format", required_argument, NULL, OPT_DISK_FORMAT },
	{ "paravirt", no_argument, NULL, OPT_PARAVIRT },
	{ "define", no_argument, NULL, OPT_DEFINE },
	{ "libvirt", required_argument, NULL, 'c' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int parse_convert(struct mig_opts *o, int argc, char **argv,
			 char *err, size_t errlen)
{
	int c, rc;

	o->cmd = MIG_CMD_CONVERT;
	o->libvirt_uri = "qemu:///system";
	o->target_kind = -1;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":T:o:c:jh", convert_longopts,
				NULL)) != -1) {
		const char *name = argv[optind - 1];

		if (c == ':')
			return fail(err, errlen,
				    "convert: option '%s' needs an argument",
				    name);
		switch (c) {
		case 'o':
			o->out_dir = optarg;
			break;
		case 'c':
			o->libvirt_uri = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		case 'h':
			o->cmd = MIG_CMD_HELP;
			o->help_topic = "convert";
			return 0;
		case OPT_DEFINE:
			o->define = true;
			break;
		case OPT_FROM:
			if (strcmp(optarg, "xml") && strcmp(optarg, "vmx") &&
			    strcmp(optarg, "xl"))
				return fail(err, errlen,
					    "--from: unknown '%s': expected "
					    "xml, vmx or xl",
					    optarg);
			o->convert_from = optarg;
			break;
		case '?':
			return fail(err, errlen,
				    "convert: unknown option '%s'; see "
				    "'migrator help convert'",
				    name);
		default:
			rc = hv_opt(o, c, err, errlen);
			if (rc < 0)
				return rc;
		}
	}
	if (optind >= argc)
		return fail(err, errlen,
			    "convert: which definition? usage: migrator "
			    "convert FILE --target HV --out-dir DIR");
	o->convert_src = argv[optind++];
	if (optind < argc)
		return fail(err, errlen,
			    "convert: unexpected argument '%s'", argv[optind]);
	if (o->target_kind < 0)
		return fail(err, errlen,
			    "convert: --target kvm|xen|vmware is required");
	if (!o->out_dir)
		return fail(err, errlen,
			    "convert: --out-dir DIR is required: where the "
			    "converted files go");
	return 0;
}

static const struct option tunnel_longopts[] = {
	{ "tunnel-dir", required_argument, NULL, OPT_TUNNEL_DIR },
	{ "all", no_argument, NULL, OPT_ALL },
	{ "to", required_argument, NULL, 't' },
	{ "cert", required_argument, NULL, OPT_CERT },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "ca", required_argument, NULL, OPT_CA },
	{ "psk", required_argument, NULL, OPT_PSK },
	{ "peer-id", required_argument, NULL, OPT_PEER_ID },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ "keepalive-timeout", required_argument, NULL,
	  OPT_KEEPALIVE_TIMEOUT },
	{ "bridge", required_argument, NULL, OPT_BRIDGE },
	{ "vm-mac", required_argument, NULL, OPT_VM_MAC },
	{ "vm", required_argument, NULL, OPT_VM },
	{ "uuid", required_argument, NULL, OPT_UUID },
	{ "mtu", required_argument, NULL, OPT_MTU },
	{ NULL, 0, NULL, 0 },
};

/* The options only `tunnel keep` takes (the migrator passes them). */
static int keep_opt(struct mig_opts *o, int c, char *err, size_t errlen)
{
	uint64_t v;

	switch (c) {
	case OPT_BRIDGE:
		o->keep_bridge = optarg;
		return 0;
	case OPT_VM_MAC:
		o->keep_mac = optarg;
		return 0;
	case OPT_VM:
		o->keep_vm = optarg;
		return 0;
	case OPT_UUID:
		o->keep_uuid = optarg;
		return 0;
	case OPT_MTU:
		if (parse_u64(optarg, 576, 65535, &v) < 0)
			return fail(err, errlen, "--mtu: bad value '%s'",
				    optarg);
		o->keep_mtu = (uint32_t)v;
		return 0;
	default:
		return 1;
	}
}

static int parse_tunnel(struct mig_opts *o, int argc, char **argv, char *err,
			size_t errlen)
{
	const char *sub;
	int c, rc, idx = -1;

	if (argc < 2)
		return fail(err, errlen,
			    "tunnel: expected 'list' or 'teardown'");
	sub = argv[1];
	if (strcmp(sub, "list") == 0)
		o->cmd = MIG_CMD_TUNNEL_LIST;
	else if (strcmp(sub, "teardown") == 0)
		o->cmd = MIG_CMD_TUNNEL_TEARDOWN;
	else if (strcmp(sub, "keep") == 0)
		o->cmd = MIG_CMD_TUNNEL_KEEP;
	else
		return fail(err, errlen,
			    "tunnel: unknown subcommand '%s': expected list "
			    "or teardown",
			    sub);
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc - 1, argv + 1, ":t:jh", tunnel_longopts,
				&idx)) != -1) {
		/* the option itself, not its argument */
		const char *name = idx >= 0 ? tunnel_longopts[idx].name
				   : argv[optind];
		char dashed[64];

		if (idx >= 0) {
			snprintf(dashed, sizeof(dashed), "--%s", name);
			name = dashed;
		}
		idx = -1;

		if (c == ':' || c == '?')
			return fail(err, errlen,
				    "tunnel %s: bad option '%s'; see "
				    "'migrator help tunnel'",
				    sub, name);
		switch (c) {
		case OPT_ALL:
			o->tunnel_all = true;
			break;
		case 'j':
			o->json = true;
			break;
		case 'h':
			o->cmd = MIG_CMD_HELP;
			o->help_topic = "tunnel";
			return 0;
		case OPT_TUNNEL_DIR:
			rc = net_opt(o, c, err, errlen);
			if (rc < 0)
				return rc;
			break;
		case OPT_BRIDGE:
		case OPT_VM_MAC:
		case OPT_VM:
		case OPT_UUID:
		case OPT_MTU:
			if (o->cmd != MIG_CMD_TUNNEL_KEEP)
				return fail(err, errlen,
					    "tunnel %s: bad option '%s'; see "
					    "'migrator help tunnel'",
					    sub, name);
			rc = keep_opt(o, c, err, errlen);
			if (rc < 0)
				return rc;
			break;
		default:
			rc = migrate_opt(o, c, name, err, errlen);
			if (rc < 0)
				return rc;
		}
	}
	if (o->cmd == MIG_CMD_TUNNEL_LIST) {
		if (optind + 1 < argc)
			return fail(err, errlen,
				    "tunnel list: unexpected argument '%s'",
				    argv[optind + 1]);
		return 0;
	}
	if (optind + 1 < argc)
		o->tunnel_id = argv[++optind];
	if (optind + 1 < argc)
		return fail(err, errlen,
			    "tunnel teardown: unexpected argument '%s'",
			    argv[optind + 1]);
	if (o->cmd == MIG_CMD_TUNNEL_KEEP &&
	    (!o->tunnel_id || !o->to_host[0] || !o->keep_bridge ||
	     !o->keep_mac || !o->keep_vm || !o->keep_uuid || !o->keep_mtu))
		return fail(err, errlen,
			    "tunnel keep is started by 'migrator migrate "
			    "--net encrypted'; it needs ID, --to, --bridge, "
			    "--vm-mac, --vm, --uuid and --mtu");
	if (o->cmd != MIG_CMD_TUNNEL_KEEP && !o->tunnel_id == !o->tunnel_all)
		return fail(err, errlen,
			    "tunnel teardown: name one tunnel ID (see "
			    "'migrator tunnel list') or give --all");
	if (o->tunnel_id && (strlen(o->tunnel_id) != 32 ||
			     strspn(o->tunnel_id, "0123456789abcdef") != 32))
		return fail(err, errlen,
			    "tunnel teardown: '%s' is not a tunnel id (32 "
			    "hex digits, see 'migrator tunnel list')",
			    o->tunnel_id);
	if ((o->cert || o->key) && !(o->cert && o->key && o->ca))
		return fail(err, errlen,
			    "tunnel teardown: X.509 needs --cert, --key and "
			    "--ca together");
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
	if (strcmp(cmd, "tunnel") == 0)
		return parse_tunnel(o, argc - optind, argv + optind, err,
				    errlen);
	if (strcmp(cmd, "convert") == 0)
		return parse_convert(o, argc - optind, argv + optind, err,
				     errlen);
	return fail(err, errlen, "unknown command '%s'", cmd);
}
