#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "receiver/opts.h"

#define ARGV(...) ((char *[]){ "receiver", __VA_ARGS__, NULL })
#define ARGC(...)                                                              \
	((int)(sizeof((char *[]){ "receiver", __VA_ARGS__ }) / sizeof(char *)))
#define PARSE(o, err, ...)                                                     \
	rcv_opts_parse(o, ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), err,           \
	               sizeof(err))

Test(receiver_opts, full)
{
	struct rcv_opts o;
	char err[256] = "";

	cr_assert_eq(PARSE(&o, err, "--listen", "[::]:5000", "--cert", "c",
	                   "--key", "k", "--ca", "ca", "--allow", "east", "-a",
	                   "spiffe://lab/east", "--libvirt", "qemu:///session",
	                   "--storage-dir", "/srv/sf", "--max-sessions", "8",
	                   "--max-resume-timeout", "3600", "--syslog", "-vv"),
	             0, "%s", err);
	cr_assert_str_eq(o.listen_host, "::");
	cr_assert_eq(o.listen_port, 5000);
	cr_assert_eq(o.n_allow, 2);
	cr_assert_str_eq(o.allow[1], "spiffe://lab/east");
	cr_assert_str_eq(o.libvirt_uri, "qemu:///session");
	cr_assert_str_eq(o.storage_dir, "/srv/sf");
	cr_assert_eq(o.max_sessions, 8);
	cr_assert_eq(o.max_resume_timeout_ms, 3600000);
	cr_assert(o.syslog);
	cr_assert_eq(o.verbose, 2);
}

Test(receiver_opts, defaults_with_psk)
{
	struct rcv_opts o;
	char err[256] = "";

	cr_assert_eq(PARSE(&o, err, "-l", "0.0.0.0", "--psk", "p", "-a", "x",
	                   "-s", "/d"),
	             0, "%s", err);
	cr_assert_eq(o.listen_port, 4870);
	cr_assert_str_eq(o.libvirt_uri, "qemu:///system");
	cr_assert_eq(o.max_sessions, 4);
	cr_assert_eq(o.max_resume_timeout_ms, 600000);
}

Test(receiver_opts, help_version)
{
	struct rcv_opts o;
	char err[256] = "";

	cr_assert_eq(PARSE(&o, err, "--help"), 0);
	cr_assert_eq(o.cmd, RCV_CMD_HELP);
	cr_assert_eq(PARSE(&o, err, "-V"), 0);
	cr_assert_eq(o.cmd, RCV_CMD_VERSION);
}

Test(receiver_opts, bad_input_named)
{
	struct rcv_opts o;
	char err[256] = "";

	cr_assert_eq(PARSE(&o, err, "--bogus"), -EINVAL);
	cr_assert(strstr(err, "--bogus"), "%s", err);
	cr_assert_eq(PARSE(&o, err, "-l", "h:99999", "--psk", "p", "-a", "x",
	                   "-s", "/d"),
	             -EINVAL);
	cr_assert(strstr(err, "--listen"), "%s", err);
	cr_assert_eq(PARSE(&o, err, "-l", "h", "-a", "x", "-s", "/d"), -EINVAL);
	cr_assert(strstr(err, "credentials"), "%s", err);
	cr_assert_eq(PARSE(&o, err, "-l", "h", "--psk", "p", "-s", "/d"),
	             -EINVAL);
	cr_assert(strstr(err, "--allow"), "%s", err);
	cr_assert_eq(PARSE(&o, err, "-l", "h", "--psk", "p", "-a", "x"),
	             -EINVAL);
	cr_assert(strstr(err, "--storage-dir"), "%s", err);
	cr_assert_eq(PARSE(&o, err, "--psk", "p", "-a", "x", "-s", "/d"),
	             -EINVAL);
	cr_assert(strstr(err, "--listen"), "%s", err);
	cr_assert_eq(PARSE(&o, err, "-l", "h", "--max-sessions", "0"), -EINVAL);
	cr_assert(strstr(err, "--max-sessions"), "%s", err);
	cr_assert_eq(PARSE(&o, err, "-l", "h", "--max-resume-timeout", "0"),
	             -EINVAL);
	cr_assert_str_eq(err, "--max-resume-timeout: bad time '0': expected 1 "
	                      "to 86400 seconds");
	cr_assert_eq(PARSE(&o, err, "-l", "h", "--max-resume-timeout", "86401"),
	             -EINVAL);
	cr_assert(strstr(err, "bad time '86401'"), "%s", err);
	cr_assert_eq(PARSE(&o, err, "-l", "h", "--max-resume-timeout", "30s"),
	             -EINVAL);
	cr_assert(strstr(err, "bad time '30s'"), "%s", err);
	cr_assert_eq(PARSE(&o, err, "-l", "h", "--psk", "p", "--cert", "c",
	                   "-a", "x", "-s", "/d"),
	             -EINVAL);
	cr_assert_eq(PARSE(&o, err, "-l", "h", "stray"), -EINVAL);
	cr_assert(strstr(err, "stray"), "%s", err);
	cr_assert_eq(PARSE(&o, err, "--allow"), -EINVAL);
	cr_assert(strstr(err, "needs an argument"), "%s", err);
}

Test(receiver_opts, empty_values_refused)
{
	struct rcv_opts o;
	char err[256] = "";

	cr_assert_eq(PARSE(&o, err, "-l", "h", "--cert", "", "--key", "k",
	                   "--ca", "ca", "-a", "x", "-s", "/d"),
	             -EINVAL);
	cr_assert_str_eq(err, "--cert: empty value");
	cr_assert_eq(
	    PARSE(&o, err, "-l", "h", "--psk", "p", "-a", "", "-s", "/d"),
	    -EINVAL);
	cr_assert_str_eq(err, "--allow: empty identity");
	cr_assert_eq(
	    PARSE(&o, err, "-l", "h", "--psk", "p", "-a", "x", "-s", ""),
	    -EINVAL);
	cr_assert_str_eq(err, "--storage-dir: empty value");
}

Test(receiver_opts, every_setting_is_a_long_option)
{
	struct rcv_opts o;
	char err[256] = "";
	char name[64];
	int opt;

	/* rcv_opt_name() and the getopt table must agree, in order. */
	cr_assert_str_eq(rcv_opt_name(RCV_OPT_LISTEN), "listen");
	cr_assert_str_eq(rcv_opt_name(RCV_OPT_STORAGE_DIR), "storage-dir");
	cr_assert_str_eq(rcv_opt_name(RCV_OPT_MAX_SESSIONS), "max-sessions");
	cr_assert_str_eq(rcv_opt_name(RCV_OPT_CONFIG), "config");
	for (opt = 0; opt < RCV_OPT_CONFIG; opt++) {
		snprintf(name, sizeof(name), "--%s", rcv_opt_name(opt));
		if (opt == RCV_OPT_SYSLOG || opt == RCV_OPT_VERBOSE)
			PARSE(&o, err, name);
		else
			PARSE(&o, err, name, "1");
		cr_assert(!strstr(err, "unknown option"), "%s", err);
		cr_assert_eq(o.from_argv, RCV_OPT_BIT(opt), "%s", name);
	}
}

Test(receiver_opts, repeated_allow_and_verbose_add_up)
{
	struct rcv_opts o;
	char err[256] = "";

	cr_assert_eq(PARSE(&o, err, "-l", "h", "--psk", "p", "-a", "x", "-v",
	                   "-a", "y", "-vv", "-a", "z", "-s", "/d"),
	             0, "%s", err);
	cr_assert_eq(o.n_allow, 3);
	cr_assert_str_eq(o.allow[2], "z");
	cr_assert_eq(o.verbose, 3);
	cr_assert_null(o.config);
	cr_assert_eq(o.strings_used, 0);
}

Test(receiver_opts, usage_mentions_config)
{
	cr_assert(strstr(rcv_opts_usage(), "--config FILE"));
	cr_assert(strstr(rcv_opts_usage(), "override"));
}

Test(receiver_opts, tunnel_options)
{
	struct rcv_opts o;
	char err[256] = "";

	cr_assert_eq(
	    PARSE(&o, err, "-l", "h", "--psk", "p", "-a", "x", "-s", "/d"), 0,
	    "%s", err);
	cr_assert_null(o.tunnel_dir);
	cr_assert_null(o.tunnel_local);
	cr_assert_eq(PARSE(&o, err, "-l", "h", "--psk", "p", "-a", "x", "-s",
	                   "/d", "--tunnel-dir", "/srv/tunnels",
	                   "--tunnel-local", "198.18.0.2"),
	             0, "%s", err);
	cr_assert_str_eq(o.tunnel_dir, "/srv/tunnels");
	cr_assert_str_eq(o.tunnel_local, "198.18.0.2");
	cr_assert_eq(o.from_argv, RCV_OPT_BIT(RCV_OPT_LISTEN) |
	                              RCV_OPT_BIT(RCV_OPT_PSK) |
	                              RCV_OPT_BIT(RCV_OPT_ALLOW) |
	                              RCV_OPT_BIT(RCV_OPT_STORAGE_DIR) |
	                              RCV_OPT_BIT(RCV_OPT_TUNNEL_DIR) |
	                              RCV_OPT_BIT(RCV_OPT_TUNNEL_LOCAL));
	cr_assert_eq(PARSE(&o, err, "-l", "h", "--psk", "p", "-a", "x", "-s",
	                   "/d", "--tunnel-local", "2001:db8::2"),
	             0, "%s", err);
	cr_assert_str_eq(o.tunnel_local, "2001:db8::2");
	cr_assert_str_eq(rcv_opt_name(RCV_OPT_TUNNEL_DIR), "tunnel-dir");
	cr_assert_str_eq(rcv_opt_name(RCV_OPT_TUNNEL_LOCAL), "tunnel-local");
	cr_assert(strstr(rcv_opts_usage(), "--tunnel-dir DIR"));
	cr_assert(strstr(rcv_opts_usage(), "--tunnel-local ADDR"));
}

Test(receiver_opts, tunnel_options_bad)
{
	static const char *cases[][3] = {
		{ "--tunnel-dir", "tunnels",
		  "--tunnel-dir: 'tunnels' is not an absolute path" },
		{ "--tunnel-dir", "./t", "--tunnel-dir: './t' is not" },
		{ "--tunnel-dir", "", "--tunnel-dir: empty value" },
		{ "--tunnel-local", "west.example",
		  "--tunnel-local: 'west.example' is not an IPv4 or IPv6 "
		  "address" },
		{ "--tunnel-local", "198.18.0.2:4789", "--tunnel-local: '" },
		{ "--tunnel-local", "198.18.0.256", "--tunnel-local: '" },
		{ "--tunnel-local", "10.0.0.0/8", "--tunnel-local: '" },
		{ "--tunnel-local", "[::1]", "--tunnel-local: '" },
		{ "--tunnel-local", "", "--tunnel-local: empty value" },
	};
	struct rcv_opts o;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[] = { "receiver",
			         "-l",
			         "h",
			         "--psk",
			         "p",
			         "-a",
			         "x",
			         "-s",
			         "/d",
			         (char *)cases[i][0],
			         (char *)cases[i][1],
			         NULL };

		err[0] = '\0';
		cr_assert_eq(rcv_opts_parse(&o, 11, argv, err, sizeof(err)),
		             -EINVAL, "case %zu (%s %s) accepted", i,
		             cases[i][0], cases[i][1]);
		cr_assert(strstr(err, cases[i][2]), "case %zu: %s", i, err);
	}
	/* The same checks for a config file's values. */
	rcv_opts_init(&o);
	cr_assert_eq(
	    rcv_opts_set(&o, RCV_OPT_TUNNEL_DIR, "rel", err, sizeof(err)),
	    -EINVAL);
	cr_assert_str_eq(err, "'rel' is not an absolute path");
	cr_assert_eq(
	    rcv_opts_set(&o, RCV_OPT_TUNNEL_LOCAL, "nowhere", err, sizeof(err)),
	    -EINVAL);
	cr_assert_str_eq(err, "'nowhere' is not an IPv4 or IPv6 address");
	cr_assert_null(o.tunnel_dir);
	cr_assert_null(o.tunnel_local);
	cr_assert_eq(
	    rcv_opts_set(&o, RCV_OPT_TUNNEL_DIR, "/t", err, sizeof(err)), 0);
	cr_assert_str_eq(o.tunnel_dir, "/t");
}

Test(receiver_opts, media_dirs_and_bridges)
{
	struct rcv_opts o;
	char err[256] = "";

	cr_assert_eq(PARSE(&o, err, "-l", "h", "--psk", "p", "-a", "x", "-s",
	                   "/d", "--media-dir", "/srv/iso", "--bridge", "vmbr0",
	                   "--media-dir", "/usr/share/OVMF", "--bridge",
	                   "br-vm.10"),
	             0, "%s", err);
	cr_assert_eq(o.n_media_dirs, 2);
	cr_assert_str_eq(o.media_dirs[0], "/srv/iso");
	cr_assert_str_eq(o.media_dirs[1], "/usr/share/OVMF");
	cr_assert_eq(o.n_bridges, 2);
	cr_assert_str_eq(o.bridges[1], "br-vm.10");
	cr_assert(strstr(rcv_opts_usage(), "--media-dir DIR"));
	cr_assert(strstr(rcv_opts_usage(), "--bridge NAME"));
}

Test(receiver_opts, media_dirs_and_bridges_bad)
{
	static const char *const bad_dirs[] = { "iso",         "/",
		                                "/srv/",       "/srv//iso",
		                                "/srv/../etc", "/srv/./iso" };
	struct rcv_opts o;
	char err[256] = "", want[128];
	size_t i;

	for (i = 0; i < sizeof(bad_dirs) / sizeof(bad_dirs[0]); i++) {
		cr_assert_eq(PARSE(&o, err, "--media-dir", (char *)bad_dirs[i]),
		             -EINVAL, "%s", bad_dirs[i]);
		snprintf(want, sizeof(want),
		         "--media-dir: '%s' is not a clean absolute directory",
		         bad_dirs[i]);
		cr_assert(strstr(err, want), "%s", err);
	}
	cr_assert_eq(PARSE(&o, err, "--bridge", "br 0"), -EINVAL);
	cr_assert(
	    strstr(err, "--bridge: 'br 0' is not a bridge or network name"),
	    "%s", err);
	cr_assert_eq(PARSE(&o, err, "--bridge", "a23456789012345x"), -EINVAL);
	cr_assert_eq(PARSE(&o, err, "--bridge", ""), -EINVAL);
	cr_assert_eq(PARSE(&o, err, "--bridge", "a", "--bridge", "b",
	                   "--bridge", "c", "--bridge", "d", "--bridge", "e",
	                   "--bridge", "f", "--bridge", "g", "--bridge", "h",
	                   "--bridge", "i", "--bridge", "j", "--bridge", "k",
	                   "--bridge", "l", "--bridge", "m", "--bridge", "n",
	                   "--bridge", "o", "--bridge", "p", "--bridge", "q"),
	             -EINVAL);
	cr_assert(strstr(err, "--bridge: at most 16 bridges"), "%s", err);
}
