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
	RCV_EXIT_FAILED = 1,      /* could not start or a fatal error */
	RCV_EXIT_USAGE = 2,       /* bad command line */
	RCV_EXIT_UNAVAILABLE = 5, /* not available in this build */
};

enum rcv_cmd {
	RCV_CMD_RUN = 0,
	RCV_CMD_HELP,
	RCV_CMD_VERSION,
};

#define RCV_MAX_ALLOW 64
#define RCV_MAX_LIST  16 /* --media-dir, --bridge */

#define RCV_DEFAULT_MAX_RESUME_S 600 /* --max-resume-timeout */

/* Room for the strings a config file supplies (see receiver/config.h). */
#define RCV_OPTS_STRINGS_MAX (64 * 1024)

/* The settings, as named on the command line and in a config file. */
enum rcv_opt {
	RCV_OPT_LISTEN = 0,
	RCV_OPT_CERT,
	RCV_OPT_KEY,
	RCV_OPT_CA,
	RCV_OPT_PSK,
	RCV_OPT_ALLOW,
	RCV_OPT_LIBVIRT,
	RCV_OPT_STORAGE_DIR,
	RCV_OPT_MAX_SESSIONS,
	RCV_OPT_SYSLOG,
	RCV_OPT_VERBOSE,
	RCV_OPT_CONFIG,
	RCV_OPT_TUNNEL_DIR,
	RCV_OPT_TUNNEL_LOCAL,
	RCV_OPT_MEDIA_DIR,
	RCV_OPT_BRIDGE,
	RCV_OPT_MAX_RESUME_TIMEOUT,
	RCV_OPT_COUNT,
};

#define RCV_OPT_BIT(opt) (1u << (opt))

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
	const char *tunnel_dir;   /* tunnel records */
	const char *tunnel_local; /* our tunnel end, NULL: the accepted
	                             connection's address */
	/* Directories of read-only files (ISOs, kernels, firmware) a peer's
	   VM may use; none given: hv_guard_rules_default()'s. */
	const char *media_dirs[RCV_MAX_LIST];
	size_t n_media_dirs;
	/* Bridges and libvirt networks a peer's VM may join; none: any. */
	const char *bridges[RCV_MAX_LIST];
	size_t n_bridges;
	bool syslog;
	int verbose;
	uint32_t max_sessions;
	/* The longest WAN outage a session is held through when its
	   migrator asks for a longer one than the transport's default. */
	uint32_t max_resume_timeout_ms;
	/* RCV_OPT_BIT()s of the settings the command line gave. */
	uint32_t from_argv;
	/* Owned storage for strings that do not point into argv. */
	size_t strings_used;
	char strings[RCV_OPTS_STRINGS_MAX];
};

/* The long option name of opt ("storage-dir"), which is also its config key. */
const char *rcv_opt_name(enum rcv_opt opt);

/*
 * Reset *o to the defaults: nothing set, port 4870, qemu:///system, 4
 * sessions, RCV_DEFAULT_MAX_RESUME_S.
 */
void rcv_opts_init(struct rcv_opts *o);

/*
 * Parse argv into *o. With --config FILE, FILE is read first and the
 * command line overrides it setting by setting (a command-line --allow or
 * -v replaces the file's allow list or verbose level); the merged result is
 * then validated. Returns 0, or -EINVAL with a message in err that names
 * the bad argument (or file:line:column) and what to do, or another negative
 * errno when the config file cannot be read. Strings in *o point into argv
 * or into o->strings, so *o must not be copied and argv must outlive it;
 * nothing needs freeing.
 */
int rcv_opts_parse(struct rcv_opts *o, int argc, char **argv, char *err,
                   size_t errlen);

/*
 * Set one setting from its text value, as the command line and a config
 * file spell it: an address for RCV_OPT_LISTEN, a count 1..64 for
 * RCV_OPT_MAX_SESSIONS, 0..3 for RCV_OPT_VERBOSE, true/false for
 * RCV_OPT_SYSLOG; RCV_OPT_ALLOW appends. String settings keep the value
 * pointer, so value must live as long as *o. Returns 0, or -EINVAL with a
 * message in err that quotes the value but not the setting's name (the
 * caller adds "--name: " or "file:line:col: name: ").
 */
int rcv_opts_set(struct rcv_opts *o, enum rcv_opt opt, const char *value,
                 char *err, size_t errlen);

const char *rcv_opts_usage(void);

#endif
