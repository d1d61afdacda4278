/*
 * migrator command line: subcommands and their options.
 *
 * mig_opts_parse() only parses and validates; it never prints or exits, so
 * main() decides what to say and tests can drive it with any argv.
 */
#ifndef MIG_OPTS_H
#define MIG_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Exit codes: stable, documented in --help and the README. */
enum mig_exit {
	MIG_EXIT_OK = 0,	  /* done; for migrate: VM runs at the destination */
	MIG_EXIT_FAILED = 1,	  /* failed; the VM still runs at the source */
	MIG_EXIT_USAGE = 2,	  /* bad command line; nothing was done */
	MIG_EXIT_CANCELLED = 3,	  /* cancelled by a signal; VM runs at the source */
	MIG_EXIT_PREFLIGHT = 4,	  /* a preflight check blocks the migration */
	MIG_EXIT_UNAVAILABLE = 5, /* not available in this build */
	MIG_EXIT_POSTCOPY_FAILED = 6, /* failed in post-copy: paused at the
	                               * source, maybe split with the
	                               * destination */
};

enum mig_cmd {
	MIG_CMD_NONE = 0,
	MIG_CMD_HELP,
	MIG_CMD_VERSION,
	MIG_CMD_MIGRATE,
	MIG_CMD_TUNNEL_LIST,
	MIG_CMD_TUNNEL_TEARDOWN,
	MIG_CMD_TUNNEL_KEEP, /* internal: carries an encrypted tunnel */
	MIG_CMD_CONVERT,
};

/* How migrate moves the VM. */
enum mig_mode {
	MIG_MODE_LIVE = 0, /* memory and disks, the VM keeps running */
	MIG_MODE_COLD,     /* shut down, copy and convert, start there */
	MIG_MODE_WARM,     /* copy while running, then the final delta */
};

enum mig_on_timeout {
	MIG_ON_TIMEOUT_ABORT = 0,
	MIG_ON_TIMEOUT_POSTCOPY,
};

/*
 * --resume-timeout when --postcopy is given without one: once in post-copy
 * an outage the transport gives up on leaves the VM split (exit 6), while
 * waiting costs nothing more than the outage itself.
 */
#define MIG_POSTCOPY_RESUME_S 600

#define MIG_MAX_SHARED_DISKS 16
#define MIG_MAX_NET_OPTS     16
#define MIG_MAX_VM_IPS       16

/* A "[MAC=]VALUE" option: mac "" applies to every NIC. */
struct mig_nic_opt {
	char mac[18];
	const char *value;
};

struct mig_opts {
	enum mig_cmd cmd;
	const char *help_topic;	 /* subcommand named with help, or NULL */

	/* migrate */
	const char *domain;
	char to_host[256];	 /* host part of --to */
	uint16_t to_port;	 /* port of --to, or the default port */
	const char *libvirt_uri;
	const char *cert;
	const char *key;
	const char *ca;
	const char *psk;	 /* path of the PSK file */
	uint32_t keepalive_timeout_ms; /* 0: the transport's default */
	uint32_t resume_timeout_ms;    /* 0: the transport's default; with
	                                  --postcopy MIG_POSTCOPY_RESUME_S */
	const char *peer_id;	 /* expected receiver identity, NULL: to_host */
	const char *shared_disks[MIG_MAX_SHARED_DISKS];
	size_t n_shared_disks;
	bool persistent;
	bool undefine_source;
	bool dry_run;
	bool json;
	uint32_t max_downtime_ms;	/* 0: libvirt's default */
	uint64_t bandwidth_bps;		/* bytes per second, 0: unlimited */
	uint32_t completion_timeout_s;	/* 0: none */
	enum mig_on_timeout on_timeout;
	bool auto_converge;
	uint32_t ac_initial;		/* first vCPU throttle %, 0: QEMU's */
	uint32_t ac_increment;		/* each step up %, 0: QEMU's */
	bool postcopy;
	bool postcopy_after_precopy;	/* switch once pass one is done */
	bool postcopy_resume;		/* recover a post-copy that failed */
	uint32_t parallel;		/* multifd connections, 0: off */

	/* network continuity (migrate) */
	struct mig_nic_opt nets[MIG_MAX_NET_OPTS];   /* --net [MAC=]MODE */
	size_t n_nets;
	struct mig_nic_opt bridges[MIG_MAX_NET_OPTS]; /* --dest-bridge */
	size_t n_bridges;
	struct mig_nic_opt vm_ips[MIG_MAX_VM_IPS];   /* --vm-ip [MAC=]ADDR */
	size_t n_vm_ips;
	uint32_t vni;			/* --vni, 0: pick one */
	uint16_t vxlan_port;		/* --vxlan-port, default 4789 */
	const char *tunnel_local;	/* --tunnel-local ADDR, NULL: ours */
	const char *tunnel_dir;		/* --tunnel-dir (migrate, tunnel) */

	/* between hypervisors (migrate --mode cold|warm, convert) */
	enum mig_mode mode;
	int target_kind;		/* enum hv_kind, -1: the source's */
	bool paravirt;			/* the guest has the target's PV drivers */
	const char *disk_format;	/* FORMAT[:SUBFORMAT], NULL: default */
	uint32_t shutdown_timeout_s;	/* wait for the guest to power off */
	bool force_off;			/* then power it off */
	uint32_t warm_rounds;		/* copy rounds before the shutdown */
	bool no_start;			/* do not start it at the destination */
	const char *convert_src;	/* convert: the definition file */
	const char *convert_from;	/* convert: xml, vmx or xl; NULL: guess */
	const char *out_dir;		/* convert: where the results go */
	bool define;			/* convert: define in --libvirt */

	/* tunnel list / teardown / keep */
	const char *tunnel_id;		/* teardown ID, NULL with --all */
	bool tunnel_all;
	const char *keep_bridge;	/* keep: the VM's bridge here */
	const char *keep_mac;		/* keep: the VM NIC's MAC */
	const char *keep_vm;		/* keep: VM name and UUID, for the record */
	const char *keep_uuid;
	uint32_t keep_mtu;
};

/*
 * Parse argv into *o. Returns 0, or -EINVAL with a message in err that names
 * the bad argument and what to do. Strings in *o point into argv.
 */
int mig_opts_parse(struct mig_opts *o, int argc, char **argv, char *err,
		   size_t errlen);

/*
 * Parse "RATE" for --bandwidth: a number with a unit of kbit, mbit or gbit
 * (bits per second) or KiB, MiB or GiB (bytes per second); a bare number is
 * MiB/s, as libvirt counts. Stores bytes per second. Returns 0 or -EINVAL.
 */
int mig_opts_parse_rate(const char *s, uint64_t *bytes_per_s);

/* The usage text for a subcommand, NULL for an unknown one; cmd NULL: the
 * top-level usage. */
const char *mig_opts_usage(const char *cmd);

#endif
