#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "migrator/opts.h"

#define ARGV(...) ((char *[]){ "migrator", __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ "migrator", __VA_ARGS__ }) / \
			 sizeof(char *)))
#define PARSE(o, err, ...) \
	mig_opts_parse(o, ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), err, \
		       sizeof(err))

Test(migrator_opts, top_level_help_and_version)
{
	struct mig_opts o;
	char err[256] = "";

	cr_assert_eq(PARSE(&o, err, "--help"), 0);
	cr_assert_eq(o.cmd, MIG_CMD_HELP);
	cr_assert_null(o.help_topic);
	cr_assert_eq(PARSE(&o, err, "--version"), 0);
	cr_assert_eq(o.cmd, MIG_CMD_VERSION);
	cr_assert_eq(PARSE(&o, err, "version"), 0);
	cr_assert_eq(o.cmd, MIG_CMD_VERSION);
	cr_assert_eq(PARSE(&o, err, "help", "migrate"), 0);
	cr_assert_eq(o.cmd, MIG_CMD_HELP);
	cr_assert_str_eq(o.help_topic, "migrate");
	cr_assert_not_null(mig_opts_usage("migrate"));
	cr_assert_null(mig_opts_usage("nonsense"));
}

Test(migrator_opts, unknown_command_and_option)
{
	struct mig_opts o;
	char err[256] = "";

	cr_assert_eq(PARSE(&o, err, "frobnicate"), -EINVAL);
	cr_assert(strstr(err, "unknown command 'frobnicate'"), "%s", err);
	cr_assert_eq(PARSE(&o, err, "--frob"), -EINVAL);
	cr_assert(strstr(err, "unknown option '--frob'"), "%s", err);
	cr_assert_eq(PARSE(&o, err, "migrate", "vm", "--to", "h", "--frob"),
		     -EINVAL);
	cr_assert(strstr(err, "--frob"), "%s", err);
}

Test(migrator_opts, no_command)
{
	struct mig_opts o;
	char err[256] = "";
	char *argv[] = { "migrator", NULL };

	cr_assert_eq(mig_opts_parse(&o, 1, argv, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "no command"), "%s", err);
}

Test(migrator_opts, migrate_full)
{
	struct mig_opts o;
	char err[256] = "";

	cr_assert_eq(PARSE(&o, err, "migrate", "--to", "west.example:9000",
			   "--libvirt", "qemu:///session", "--cert", "c.pem",
			   "--key", "k.pem", "--ca", "ca.pem", "--persistent",
			   "--undefine-source", "--max-downtime", "250",
			   "--bandwidth", "200mbit", "--completion-timeout",
			   "600", "--postcopy", "--on-timeout", "postcopy",
			   "--postcopy-after-precopy", "--auto-converge", "--parallel", "4",
			   "--auto-converge-initial", "90",
			   "--auto-converge-increment", "5",
			   "--shared-disk", "vdc", "--resume-timeout", "300",
			   "--json", "-n", "guest1"),
		     0, "%s", err);
	cr_assert_eq(o.cmd, MIG_CMD_MIGRATE);
	cr_assert_str_eq(o.domain, "guest1");
	cr_assert_str_eq(o.to_host, "west.example");
	cr_assert_eq(o.to_port, 9000);
	cr_assert_str_eq(o.libvirt_uri, "qemu:///session");
	cr_assert_str_eq(o.ca, "ca.pem");
	cr_assert(o.persistent && o.undefine_source && o.json && o.dry_run);
	cr_assert_eq(o.max_downtime_ms, 250);
	cr_assert_eq(o.bandwidth_bps, 25000000);
	cr_assert_eq(o.completion_timeout_s, 600);
	cr_assert_eq(o.on_timeout, MIG_ON_TIMEOUT_POSTCOPY);
	cr_assert(o.auto_converge && o.postcopy && o.postcopy_after_precopy);
	cr_assert_eq(o.parallel, 4);
	cr_assert_eq(o.n_shared_disks, 1);
	cr_assert_str_eq(o.shared_disks[0], "vdc");
	cr_assert_eq(o.resume_timeout_ms, 300000);
	cr_assert_eq(o.ac_initial, 90);
	cr_assert_eq(o.ac_increment, 5);
}

Test(migrator_opts, migrate_defaults)
{
	struct mig_opts o;
	char err[256] = "";

	cr_assert_eq(PARSE(&o, err, "migrate", "vm", "--to", "west"), 0,
		     "%s", err);
	cr_assert_str_eq(o.domain, "vm");
	cr_assert_eq(o.to_port, 4870);
	cr_assert_str_eq(o.libvirt_uri, "qemu:///system");
	cr_assert_eq(o.on_timeout, MIG_ON_TIMEOUT_ABORT);
	cr_assert_not(o.persistent || o.dry_run || o.json || o.postcopy ||
		      o.postcopy_after_precopy);
	cr_assert_eq(o.resume_timeout_ms, 0);
	cr_assert_eq(o.ac_initial, 0);
	cr_assert_eq(o.ac_increment, 0);
}

Test(migrator_opts, migrate_bad_values_name_the_option)
{
	static const char *cases[][3] = {
		{ "--max-downtime", "0", "--max-downtime" },
		{ "--max-downtime", "12ms", "--max-downtime" },
		{ "--bandwidth", "fast", "--bandwidth" },
		{ "--bandwidth", "-5mbit", "--bandwidth" },
		{ "--completion-timeout", "", "--completion-timeout" },
		{ "--on-timeout", "panic", "--on-timeout" },
		{ "--parallel", "256", "--parallel" },
		{ "--resume-timeout", "0", "--resume-timeout: bad value '0': "
		  "expected seconds from 1 to 86400" },
		{ "--resume-timeout", "86401", "--resume-timeout" },
		{ "--auto-converge-initial", "0", "--auto-converge-initial: bad "
		  "value '0': expected a percentage from 1 to 99" },
		{ "--auto-converge-initial", "100", "--auto-converge-initial" },
		{ "--auto-converge-increment", "5%", "--auto-converge-increment: "
		  "bad value '5%'" },
		{ "--resume-timeout", "30s", "--resume-timeout" },
		{ "--to", "::1", "--to" },
		{ "--to", "host:0", "--to" },
		{ "--to", "host:70000", "--to" },
	};
	struct mig_opts o;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[] = { "migrator", "migrate", "--to", "west",
				 (char *)cases[i][0], (char *)cases[i][1],
				 "vm", NULL };

		err[0] = '\0';
		cr_assert_eq(mig_opts_parse(&o, 7, argv, err, sizeof(err)),
			     -EINVAL, "case %zu accepted", i);
		cr_assert(strstr(err, cases[i][2]), "case %zu: %s", i, err);
	}
}

Test(migrator_opts, migrate_missing_pieces)
{
	struct mig_opts o;
	char err[256] = "";

	cr_assert_eq(PARSE(&o, err, "migrate", "--to", "west"), -EINVAL);
	cr_assert(strstr(err, "which domain"), "%s", err);
	cr_assert_eq(PARSE(&o, err, "migrate", "vm"), -EINVAL);
	cr_assert(strstr(err, "--to"), "%s", err);
	cr_assert_eq(PARSE(&o, err, "migrate", "vm", "--to"), -EINVAL);
	cr_assert(strstr(err, "needs an argument"), "%s", err);
	cr_assert_eq(PARSE(&o, err, "migrate", "vm", "extra", "--to", "w"),
		     -EINVAL);
	cr_assert_eq(PARSE(&o, err, "migrate", "vm", "--to", "w", "--cert",
			   "c"), -EINVAL);
	cr_assert(strstr(err, "--cert, --key and --ca"), "%s", err);
	cr_assert_eq(PARSE(&o, err, "migrate", "vm", "--to", "w", "--psk",
			   "p", "--ca", "c"), -EINVAL);
	cr_assert_eq(PARSE(&o, err, "migrate", "vm", "--to", "w",
			   "--on-timeout", "postcopy"), -EINVAL);
	cr_assert(strstr(err, "--postcopy"), "%s", err);
	cr_assert_eq(PARSE(&o, err, "migrate", "vm", "--to", "w",
			   "--postcopy-after-precopy"), -EINVAL);
	cr_assert_str_eq(err, "migrate: --postcopy-after-precopy needs "
			      "--postcopy");
}

Test(migrator_opts, postcopy_resume)
{
	struct mig_opts o;
	char err[256] = "";

	cr_assert_eq(PARSE(&o, err, "migrate", "vm", "--to", "west",
			   "--postcopy-resume", "--resume-timeout", "600",
			   "--undefine-source"),
		     0, "%s", err);
	cr_assert(o.postcopy_resume && o.postcopy && o.undefine_source);
	cr_assert_eq(o.resume_timeout_ms, 600000);
	/* post-copy rides out longer outages unless told otherwise */
	cr_assert_eq(PARSE(&o, err, "migrate", "vm", "--to", "west",
			   "--postcopy"),
		     0, "%s", err);
	cr_assert_eq(o.resume_timeout_ms, MIG_POSTCOPY_RESUME_S * 1000u);
	cr_assert_eq(PARSE(&o, err, "migrate", "vm", "--to", "west",
			   "--postcopy", "--resume-timeout", "45"),
		     0, "%s", err);
	cr_assert_eq(o.resume_timeout_ms, 45000);
	cr_assert_eq(PARSE(&o, err, "migrate", "vm", "--to", "west",
			   "--postcopy-resume", "--net", "l2-extend"),
		     -EINVAL);
	cr_assert(strstr(err, "--postcopy-resume continues the migration "
			 "that failed"), "%s", err);
	cr_assert_eq(PARSE(&o, err, "migrate", "vm", "--to", "west",
			   "--postcopy-resume", "--persistent"),
		     -EINVAL);
	cr_assert(strstr(err, "--persistent (libvirt does not define"),
		  "%s", err);
	cr_assert_eq(PARSE(&o, err, "migrate", "vm", "--to", "west",
			   "--mode", "cold", "--postcopy-resume"),
		     -EINVAL);
	cr_assert(strstr(err, "for live migration, not --mode cold"), "%s",
		  err);
}

Test(migrator_opts, migrate_help)
{
	struct mig_opts o;
	char err[256] = "";

	cr_assert_eq(PARSE(&o, err, "migrate", "--help"), 0);
	cr_assert_eq(o.cmd, MIG_CMD_HELP);
	cr_assert_str_eq(o.help_topic, "migrate");
}

Test(migrator_opts, rates)
{
	uint64_t v = 0;

	cr_assert_eq(mig_opts_parse_rate("100mbit", &v), 0);
	cr_assert_eq(v, 12500000);
	cr_assert_eq(mig_opts_parse_rate("1GBIT", &v), 0);
	cr_assert_eq(v, 125000000);
	cr_assert_eq(mig_opts_parse_rate("64kbit", &v), 0);
	cr_assert_eq(v, 8000);
	cr_assert_eq(mig_opts_parse_rate("40MiB", &v), 0);
	cr_assert_eq(v, 40ull << 20);
	cr_assert_eq(mig_opts_parse_rate("3", &v), 0);
	cr_assert_eq(v, 3ull << 20);
	cr_assert_eq(mig_opts_parse_rate("2GiB", &v), 0);
	cr_assert_eq(v, 2ull << 30);
	cr_assert_eq(mig_opts_parse_rate("", &v), -EINVAL);
	cr_assert_eq(mig_opts_parse_rate("mbit", &v), -EINVAL);
	cr_assert_eq(mig_opts_parse_rate("0mbit", &v), -EINVAL);
	cr_assert_eq(mig_opts_parse_rate("10 mbit", &v), -EINVAL);
	cr_assert_eq(mig_opts_parse_rate("10mbits", &v), -EINVAL);
	cr_assert_eq(mig_opts_parse_rate("99999999999999999999", &v), -EINVAL);
	cr_assert_eq(mig_opts_parse_rate(NULL, &v), -EINVAL);
}

/* ----- network continuity ----- */

#define MAC "52:54:00:aa:bb:cc"

Test(migrator_opts, migrate_net_options)
{
	struct mig_opts o;
	char err[256] = "";

	cr_assert_eq(PARSE(&o, err, "migrate", "vm", "--to", "west", "--net",
	                   "l3", "--net", "52:54:00:AA:bb:Cc=l2-extend",
	                   "--net", "52:54:00:aa:bb:cd=encrypted",
	                   "--dest-bridge", "br1", "--dest-bridge",
	                   MAC "=br-vm.2", "--vm-ip", "198.18.1.10", "--vm-ip",
	                   MAC "=fd00::10", "--vni", "4660", "--vxlan-port",
	                   "8472", "--tunnel-local", "2001:db8::1",
	                   "--tunnel-dir", "/srv/tunnels"),
	             0, "%s", err);
	cr_assert_eq(o.cmd, MIG_CMD_MIGRATE);
	cr_assert_eq(o.n_nets, 3);
	cr_assert_str_eq(o.nets[0].mac, "");
	cr_assert_str_eq(o.nets[0].value, "l3");
	cr_assert_str_eq(o.nets[1].mac, MAC); /* lower-cased */
	cr_assert_str_eq(o.nets[1].value, "l2-extend");
	cr_assert_str_eq(o.nets[2].mac, "52:54:00:aa:bb:cd");
	cr_assert_str_eq(o.nets[2].value, "encrypted");
	cr_assert_eq(o.n_bridges, 2);
	cr_assert_str_eq(o.bridges[0].mac, "");
	cr_assert_str_eq(o.bridges[0].value, "br1");
	cr_assert_str_eq(o.bridges[1].mac, MAC);
	cr_assert_str_eq(o.bridges[1].value, "br-vm.2");
	cr_assert_eq(o.n_vm_ips, 2);
	cr_assert_str_eq(o.vm_ips[0].mac, "");
	cr_assert_str_eq(o.vm_ips[0].value, "198.18.1.10");
	cr_assert_str_eq(o.vm_ips[1].mac, MAC);
	cr_assert_str_eq(o.vm_ips[1].value, "fd00::10");
	cr_assert_eq(o.vni, 4660);
	cr_assert_eq(o.vxlan_port, 8472);
	cr_assert_str_eq(o.tunnel_local, "2001:db8::1");
	cr_assert_str_eq(o.tunnel_dir, "/srv/tunnels");
}

Test(migrator_opts, migrate_net_defaults)
{
	struct mig_opts o;
	char err[256] = "";

	/* Without --net: nothing set, but the port has its default. */
	cr_assert_eq(PARSE(&o, err, "migrate", "vm", "--to", "west"), 0, "%s",
	             err);
	cr_assert_eq(o.n_nets + o.n_bridges + o.n_vm_ips, 0);
	cr_assert_eq(o.vni, 0);
	cr_assert_eq(o.vxlan_port, 4789);
	cr_assert_null(o.tunnel_local);
	cr_assert_null(o.tunnel_dir);
	cr_assert_eq(PARSE(&o, err, "migrate", "vm", "--to", "west", "--net",
	                   "l2-extend"),
	             0, "%s", err);
	cr_assert_eq(o.n_nets, 1);
	cr_assert_eq(o.vni, 0);
	cr_assert_eq(o.vxlan_port, 4789);
	/* --tunnel-dir alone is fine: it is where records are, whatever
	 * the mode. */
	cr_assert_eq(PARSE(&o, err, "migrate", "vm", "--to", "west",
	                   "--tunnel-dir", "/t"),
	             0, "%s", err);
	cr_assert_str_eq(o.tunnel_dir, "/t");
}

Test(migrator_opts, migrate_net_ranges)
{
	struct mig_opts o;
	char err[256] = "";

	cr_assert_eq(PARSE(&o, err, "migrate", "vm", "--to", "w", "--net", "l3",
	                   "--vni", "1", "--vxlan-port", "1"),
	             0, "%s", err);
	cr_assert_eq(o.vni, 1);
	cr_assert_eq(o.vxlan_port, 1);
	cr_assert_eq(PARSE(&o, err, "migrate", "vm", "--to", "w", "--net", "l3",
	                   "--vni", "16777215", "--vxlan-port", "65535"),
	             0, "%s", err);
	cr_assert_eq(o.vni, 16777215);
	cr_assert_eq(o.vxlan_port, 65535);
}

Test(migrator_opts, migrate_net_bad_values_name_the_option)
{
	static const char *cases[][3] = {
		{ "--net", "bogus", "--net: unknown mode 'bogus'" },
		{ "--net", "L3", "--net: unknown mode 'L3'" },
		{ "--net", "l2", "--net: unknown mode" },
		{ "--net", "", "--net: empty value" },
		{ "--net", MAC "=", "--net: empty value" },
		{ "--net", MAC "=l4", "--net: unknown mode 'l4'" },
		{ "--net", "=l3", "--net: bad NIC" },
		{ "--net", "52:54:00:aa:bb=l3",
		  "--net: bad NIC '52:54:00:aa:bb'" },
		{ "--net", "52:54:00:aa:bb:ccc=l3", "--net: bad NIC" },
		{ "--net", "52-54-00-aa-bb-cc=l3", "--net: bad MAC" },
		{ "--net", "52:54:00:aa:bb:cg=l3", "--net: bad MAC" },
		{ "--net", "52:54:00:aa:b:ccc=l3", "--net: bad MAC" },
		{ "--dest-bridge", "a/b", "--dest-bridge: 'a/b'" },
		{ "--dest-bridge", "br 0", "--dest-bridge: 'br 0'" },
		{ "--dest-bridge", "0123456789abcdef", "--dest-bridge" },
		{ "--dest-bridge", MAC "=", "--dest-bridge: empty value" },
		{ "--dest-bridge", "52:54:00:aa:bb:c=br0",
		  "--dest-bridge: bad" },
		{ "--vm-ip", "300.1.1.1", "--vm-ip: '300.1.1.1'" },
		{ "--vm-ip", "host.example", "--vm-ip" },
		{ "--vm-ip", "10.0.0.1/24", "--vm-ip" },
		{ "--vm-ip", MAC "=fd00::1%eth0", "--vm-ip" },
		{ "--vm-ip", "zz:54:00:aa:bb:cc=10.0.0.1", "--vm-ip: bad MAC" },
		{ "--vni", "0", "--vni: bad value '0'" },
		{ "--vni", "16777216", "--vni" },
		{ "--vni", "-1", "--vni" },
		{ "--vni", "0x10", "--vni" },
		{ "--vni", "", "--vni" },
		{ "--vxlan-port", "0", "--vxlan-port: bad port '0'" },
		{ "--vxlan-port", "65536", "--vxlan-port" },
		{ "--vxlan-port", "47 89", "--vxlan-port" },
		{ "--tunnel-local", "west.example", "--tunnel-local" },
		{ "--tunnel-local", "198.18.0.1:4789", "--tunnel-local" },
		{ "--tunnel-local", "", "--tunnel-local" },
		{ "--tunnel-dir", "tunnels", "--tunnel-dir: 'tunnels' is not" },
		{ "--tunnel-dir", "./t", "--tunnel-dir" },
		{ "--tunnel-dir", "", "--tunnel-dir" },
	};
	struct mig_opts o;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[] = { "migrator",
			         "migrate",
			         "--to",
			         "west",
			         "--net",
			         "l2-extend",
			         (char *)cases[i][0],
			         (char *)cases[i][1],
			         "vm",
			         NULL };

		err[0] = '\0';
		cr_assert_eq(mig_opts_parse(&o, 9, argv, err, sizeof(err)),
		             -EINVAL, "case %zu (%s %s) accepted", i,
		             cases[i][0], cases[i][1]);
		cr_assert(strstr(err, cases[i][2]), "case %zu: %s", i, err);
	}
}

Test(migrator_opts, migrate_net_options_need_net)
{
	static const char *cases[][2] = {
		{ "--dest-bridge", "br1" },   { "--dest-bridge", MAC "=br1" },
		{ "--vm-ip", "198.18.1.10" }, { "--vni", "4660" },
		{ "--vxlan-port", "4789" },   { "--tunnel-local", "10.0.0.1" },
	};
	struct mig_opts o;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[] = { "migrator",
			         "migrate",
			         "--to",
			         "west",
			         (char *)cases[i][0],
			         (char *)cases[i][1],
			         "vm",
			         NULL };

		err[0] = '\0';
		cr_assert_eq(mig_opts_parse(&o, 7, argv, err, sizeof(err)),
		             -EINVAL, "case %zu (%s) accepted", i, cases[i][0]);
		cr_assert(strstr(err, "need --net"), "case %zu: %s", i, err);
	}
}

Test(migrator_opts, migrate_net_repeat_limit)
{
	char *argv[4 + 2 * (MIG_MAX_NET_OPTS + 1) + 2];
	struct mig_opts o;
	char err[256] = "";
	int argc = 0, i;

	argv[argc++] = "migrator";
	argv[argc++] = "migrate";
	argv[argc++] = "--to";
	argv[argc++] = "west";
	for (i = 0; i < MIG_MAX_NET_OPTS; i++) {
		argv[argc++] = "--net";
		argv[argc++] = "l3";
	}
	argv[argc++] = "vm";
	argv[argc] = NULL;
	cr_assert_eq(mig_opts_parse(&o, argc, argv, err, sizeof(err)), 0, "%s",
	             err);
	cr_assert_eq(o.n_nets, MIG_MAX_NET_OPTS);
	argv[argc - 1] = "--net";
	argv[argc++] = "l3";
	argv[argc++] = "vm";
	argv[argc] = NULL;
	cr_assert_eq(mig_opts_parse(&o, argc, argv, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "--net: at most 16 times"), "%s", err);
}

#define TID "0123456789abcdef0123456789abcdef"

Test(migrator_opts, tunnel_list)
{
	struct mig_opts o;
	char err[256] = "";

	cr_assert_eq(PARSE(&o, err, "tunnel", "list"), 0, "%s", err);
	cr_assert_eq(o.cmd, MIG_CMD_TUNNEL_LIST);
	cr_assert_null(o.tunnel_dir);
	cr_assert_not(o.json);
	cr_assert_eq(
	    PARSE(&o, err, "tunnel", "list", "--tunnel-dir", "/d", "--json"), 0,
	    "%s", err);
	cr_assert_eq(o.cmd, MIG_CMD_TUNNEL_LIST);
	cr_assert_str_eq(o.tunnel_dir, "/d");
	cr_assert(o.json);
	cr_assert_eq(PARSE(&o, err, "tunnel", "list", "-j"), 0, "%s", err);
	cr_assert(o.json);
	cr_assert_eq(PARSE(&o, err, "tunnel", "list", TID), -EINVAL);
	cr_assert(strstr(err, "tunnel list: unexpected argument '" TID "'"),
	          "%s", err);
	cr_assert_eq(PARSE(&o, err, "tunnel", "list", "--tunnel-dir", "d"),
	             -EINVAL);
	cr_assert(strstr(err, "--tunnel-dir: 'd' is not an absolute path"),
	          "%s", err);
	cr_assert_eq(PARSE(&o, err, "tunnel", "list", "--tunnel-dir"), -EINVAL);
	cr_assert(strstr(err, "'--tunnel-dir'"), "%s", err);
	cr_assert_eq(PARSE(&o, err, "tunnel", "list", "--bridge", "br0"),
	             -EINVAL);
	cr_assert(strstr(err, "tunnel list: bad option '--bridge'"), "%s", err);
	cr_assert_eq(PARSE(&o, err, "tunnel", "list", "--frob"), -EINVAL);
	cr_assert(strstr(err, "tunnel list: bad option '--frob'"), "%s", err);
	cr_assert_eq(PARSE(&o, err, "tunnel", "list", "--help"), 0);
	cr_assert_eq(o.cmd, MIG_CMD_HELP);
	cr_assert_str_eq(o.help_topic, "tunnel");
}

Test(migrator_opts, tunnel_teardown)
{
	struct mig_opts o;
	char err[256] = "";

	cr_assert_eq(PARSE(&o, err, "tunnel", "teardown", TID), 0, "%s", err);
	cr_assert_eq(o.cmd, MIG_CMD_TUNNEL_TEARDOWN);
	cr_assert_str_eq(o.tunnel_id, TID);
	cr_assert_not(o.tunnel_all);
	cr_assert_str_eq(o.to_host, "");
	/* Options after the ID, and the receiver's end too. */
	cr_assert_eq(PARSE(&o, err, "tunnel", "teardown", TID, "--tunnel-dir",
	                   "/d", "--to", "west:9000", "--psk", "p", "--peer-id",
	                   "rcv"),
	             0, "%s", err);
	cr_assert_str_eq(o.tunnel_id, TID);
	cr_assert_str_eq(o.tunnel_dir, "/d");
	cr_assert_str_eq(o.to_host, "west");
	cr_assert_eq(o.to_port, 9000);
	cr_assert_str_eq(o.psk, "p");
	cr_assert_str_eq(o.peer_id, "rcv");
	cr_assert_eq(PARSE(&o, err, "tunnel", "teardown", "--all", "--to",
	                   "west", "--cert", "c", "--key", "k", "--ca", "ca"),
	             0, "%s", err);
	cr_assert_eq(o.cmd, MIG_CMD_TUNNEL_TEARDOWN);
	cr_assert_null(o.tunnel_id);
	cr_assert(o.tunnel_all);
	cr_assert_str_eq(o.ca, "ca");
}

Test(migrator_opts, tunnel_teardown_bad)
{
	static const char *bad_ids[] = {
		"0123456789ABCDEF0123456789abcdef",
		"0123456789abcdef0123456789abcde",
		"0123456789abcdef0123456789abcdef0",
		"0123456789abcdef0123456789abcdeg",
		"all",
	};
	struct mig_opts o;
	char err[256] = "";
	size_t i;

	cr_assert_eq(PARSE(&o, err, "tunnel", "teardown"), -EINVAL);
	cr_assert(strstr(err, "name one tunnel ID"), "%s", err);
	cr_assert_eq(PARSE(&o, err, "tunnel", "teardown", TID, "--all"),
	             -EINVAL);
	cr_assert(strstr(err, "name one tunnel ID"), "%s", err);
	cr_assert_eq(PARSE(&o, err, "tunnel", "teardown", TID, TID), -EINVAL);
	cr_assert(strstr(err, "tunnel teardown: unexpected argument"), "%s",
	          err);
	for (i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++) {
		char *argv[] = { "migrator", "tunnel", "teardown",
			         (char *)bad_ids[i], NULL };

		err[0] = '\0';
		cr_assert_eq(mig_opts_parse(&o, 4, argv, err, sizeof(err)),
		             -EINVAL, "'%s' accepted", bad_ids[i]);
		cr_assert(strstr(err, "is not a tunnel id"), "%s: %s",
		          bad_ids[i], err);
	}
	cr_assert_eq(PARSE(&o, err, "tunnel", "teardown", TID, "--cert", "c"),
	             -EINVAL);
	cr_assert(strstr(err, "--cert, --key and --ca"), "%s", err);
	cr_assert_eq(PARSE(&o, err, "tunnel", "teardown", TID, "--to", "::1"),
	             -EINVAL);
	cr_assert(strstr(err, "--to"), "%s", err);
	cr_assert_eq(PARSE(&o, err, "tunnel", "teardown", TID, "--vm", "x"),
	             -EINVAL);
	cr_assert(strstr(err, "tunnel teardown: bad option '--vm'"), "%s", err);
	cr_assert_eq(PARSE(&o, err, "tunnel", "teardown", TID, "--net", "l3"),
	             -EINVAL);
	cr_assert(strstr(err, "bad option '--net'"), "%s", err);
}

Test(migrator_opts, tunnel_keep)
{
	struct mig_opts o;
	char err[256] = "";

	cr_assert_eq(PARSE(&o, err, "tunnel", "keep", TID, "--to", "west",
	                   "--psk", "p", "--bridge", "br0", "--vm-mac", MAC,
	                   "--vm", "guest1", "--uuid",
	                   "8f0c3a52-2f4b-4f0e-9a77-0c1d2e3f4a5b", "--mtu",
	                   "1500", "--tunnel-dir", "/d"),
	             0, "%s", err);
	cr_assert_eq(o.cmd, MIG_CMD_TUNNEL_KEEP);
	cr_assert_str_eq(o.tunnel_id, TID);
	cr_assert_str_eq(o.to_host, "west");
	cr_assert_str_eq(o.keep_bridge, "br0");
	cr_assert_str_eq(o.keep_mac, MAC);
	cr_assert_str_eq(o.keep_vm, "guest1");
	cr_assert_str_eq(o.keep_uuid, "8f0c3a52-2f4b-4f0e-9a77-0c1d2e3f4a5b");
	cr_assert_eq(o.keep_mtu, 1500);
	cr_assert_str_eq(o.tunnel_dir, "/d");
}

Test(migrator_opts, tunnel_keep_needs_everything)
{
	/* The full command line; each case leaves one pair out. */
	static const char *full[] = { TID,      "--to",     "west", "--bridge",
		                      "br0",    "--vm-mac", MAC,    "--vm",
		                      "guest1", "--uuid",   "u",    "--mtu",
		                      "1500" };
	const size_t n_full = sizeof(full) / sizeof(full[0]);
	char *argv[3 + sizeof(full) / sizeof(full[0]) + 1];
	struct mig_opts o;
	char err[256];
	size_t skip, i;
	int argc;

	/* skip 0: the ID; then each option with its value. */
	for (skip = 0; skip < n_full; skip = skip ? skip + 2 : 1) {
		argc = 0;
		argv[argc++] = "migrator";
		argv[argc++] = "tunnel";
		argv[argc++] = "keep";
		for (i = 0; i < n_full; i++)
			if (i != skip && !(skip && i == skip + 1))
				argv[argc++] = (char *)full[i];
		argv[argc] = NULL;
		err[0] = '\0';
		cr_assert_eq(mig_opts_parse(&o, argc, argv, err, sizeof(err)),
		             -EINVAL, "without %s: accepted", full[skip]);
		cr_assert(strstr(err, "tunnel keep is started by"),
		          "without %s: %s", full[skip], err);
	}
	cr_assert_eq(PARSE(&o, err, "tunnel", "keep", TID, "--to", "west",
	                   "--bridge", "br0", "--vm-mac", MAC, "--vm", "g",
	                   "--uuid", "u", "--mtu", "575"),
	             -EINVAL);
	cr_assert(strstr(err, "--mtu: bad value '575'"), "%s", err);
	cr_assert_eq(PARSE(&o, err, "tunnel", "keep", "abc", "--to", "west",
	                   "--bridge", "br0", "--vm-mac", MAC, "--vm", "g",
	                   "--uuid", "u", "--mtu", "1500"),
	             -EINVAL);
	cr_assert(strstr(err, "is not a tunnel id"), "%s", err);
}

Test(migrator_opts, tunnel_bad_subcommand)
{
	struct mig_opts o;
	char err[256] = "";

	cr_assert_eq(PARSE(&o, err, "tunnel"), -EINVAL);
	cr_assert(strstr(err, "tunnel: expected 'list' or 'teardown'"), "%s",
	          err);
	cr_assert_eq(PARSE(&o, err, "tunnel", "frob"), -EINVAL);
	cr_assert(strstr(err, "tunnel: unknown subcommand 'frob'"), "%s", err);
	cr_assert_eq(PARSE(&o, err, "tunnel", "--all"), -EINVAL);
	cr_assert(strstr(err, "unknown subcommand '--all'"), "%s", err);
	cr_assert_eq(PARSE(&o, err, "help", "tunnel"), 0);
	cr_assert_str_eq(o.help_topic, "tunnel");
	cr_assert_not_null(mig_opts_usage("tunnel"));
	cr_assert(strstr(mig_opts_usage("migrate"), "--net [MAC=]MODE"));
	cr_assert(strstr(mig_opts_usage(NULL), "tunnel teardown"));
}

Test(migrator_opts, migrate_between_hypervisors)
{
	struct mig_opts o;
	char err[256] = "";

	cr_assert_eq(PARSE(&o, err, "migrate", "vm", "--to", "h", "--mode", "warm",
			   "--target-hypervisor", "vmware", "--paravirt",
			   "--disk-format", "vmdk:monolithicSparse",
			   "--shutdown-timeout", "30", "--force-off",
			   "--warm-rounds", "5", "--no-start"),
		     0, "%s", err);
	cr_assert_eq(o.mode, MIG_MODE_WARM);
	cr_assert_eq(o.target_kind, 2); /* HV_KIND_VMWARE */
	cr_assert(o.paravirt && o.force_off && o.no_start);
	cr_assert_str_eq(o.disk_format, "vmdk:monolithicSparse");
	cr_assert_eq(o.shutdown_timeout_s, 30);
	cr_assert_eq(o.warm_rounds, 5);
	cr_assert_eq(PARSE(&o, err, "migrate", "vm", "--to", "h"), 0);
	cr_assert_eq(o.mode, MIG_MODE_LIVE);
	cr_assert_eq(o.target_kind, -1);
	cr_assert_eq(o.shutdown_timeout_s, 120);
	cr_assert_eq(o.warm_rounds, 3);
}

Test(migrator_opts, migrate_between_hypervisors_bad)
{
	struct mig_opts o;
	char err[256] = "";

	cr_assert_eq(PARSE(&o, err, "migrate", "vm", "--to", "h", "--mode", "hot"),
		     -EINVAL);
	cr_assert(strstr(err, "--mode: unknown 'hot'"), "%s", err);
	cr_assert_eq(PARSE(&o, err, "migrate", "vm", "--to", "h",
			   "--target-hypervisor", "hyperv"), -EINVAL);
	cr_assert(strstr(err, "unknown 'hyperv'"), "%s", err);
	cr_assert_eq(PARSE(&o, err, "migrate", "vm", "--to", "h", "--mode", "cold",
			   "--disk-format", "qcow2:streamOptimized"), -EINVAL);
	cr_assert(strstr(err, "--disk-format: 'qcow2:streamOptimized'"), "%s", err);
	cr_assert_eq(PARSE(&o, err, "migrate", "vm", "--to", "h", "--mode", "cold",
			   "--disk-format", "ova"), -EINVAL);
	cr_assert(strstr(err, "unknown format 'ova'"), "%s", err);
	cr_assert_eq(PARSE(&o, err, "migrate", "vm", "--to", "h", "--force-off"),
		     -EINVAL);
	cr_assert(strstr(err, "need --mode cold or warm"), "%s", err);
	cr_assert_eq(PARSE(&o, err, "migrate", "vm", "--to", "h", "--mode", "cold",
			   "--net", "l3"), -EINVAL);
	cr_assert(strstr(err, "for live migration, not --mode cold"), "%s", err);
	cr_assert_eq(PARSE(&o, err, "migrate", "vm", "--to", "h", "--mode", "warm",
			   "--auto-converge"), -EINVAL);
	cr_assert(strstr(err, "--auto-converge are for live migration, not "
			 "--mode warm"), "%s", err);
	/* A long copy of disks wants to ride out outages as much as any. */
	cr_assert_eq(PARSE(&o, err, "migrate", "vm", "--to", "h", "--mode", "warm",
			   "--resume-timeout", "3600"), 0, "%s", err);
	cr_assert_eq(o.resume_timeout_ms, 3600000);
	cr_assert_eq(PARSE(&o, err, "migrate", "vm", "--to", "h", "--mode", "cold",
			   "--resume-timeout", "60"), 0, "%s", err);
	cr_assert_eq(o.resume_timeout_ms, 60000);
	cr_assert_eq(PARSE(&o, err, "migrate", "vm", "--to", "h",
			   "--auto-converge-initial", "90"), -EINVAL);
	cr_assert_str_eq(err, "migrate: --auto-converge-initial and "
			 "--auto-converge-increment need --auto-converge");
	cr_assert_eq(PARSE(&o, err, "migrate", "vm", "--to", "h", "--mode", "warm",
			   "--warm-rounds", "11"), -EINVAL);
	cr_assert(strstr(err, "--warm-rounds: bad value '11'"), "%s", err);
}

Test(migrator_opts, convert)
{
	struct mig_opts o;
	char err[256] = "";

	cr_assert_eq(PARSE(&o, err, "convert", "vm.vmx", "--target", "kvm",
			   "--out-dir", "/srv/out", "--from", "vmx", "--define",
			   "-c", "qemu:///session", "--paravirt", "--json"),
		     0, "%s", err);
	cr_assert_eq(o.cmd, MIG_CMD_CONVERT);
	cr_assert_str_eq(o.convert_src, "vm.vmx");
	cr_assert_eq(o.target_kind, 0); /* HV_KIND_KVM */
	cr_assert_str_eq(o.out_dir, "/srv/out");
	cr_assert_str_eq(o.convert_from, "vmx");
	cr_assert_str_eq(o.libvirt_uri, "qemu:///session");
	cr_assert(o.define && o.paravirt && o.json);
	cr_assert_eq(PARSE(&o, err, "convert", "vm.vmx", "--out-dir", "d"), -EINVAL);
	cr_assert(strstr(err, "--target kvm|xen|vmware is required"), "%s", err);
	cr_assert_eq(PARSE(&o, err, "convert", "vm.vmx", "-T", "xen"), -EINVAL);
	cr_assert(strstr(err, "--out-dir DIR is required"), "%s", err);
	cr_assert_eq(PARSE(&o, err, "convert", "-T", "xen", "-o", "d"), -EINVAL);
	cr_assert(strstr(err, "which definition?"), "%s", err);
	cr_assert_eq(PARSE(&o, err, "convert", "a", "-T", "xen", "-o", "d", "--from",
			   "ovf"), -EINVAL);
	cr_assert(strstr(err, "--from: unknown 'ovf'"), "%s", err);
	cr_assert_eq(PARSE(&o, err, "convert", "a", "b", "-T", "xen", "-o", "d"),
		     -EINVAL);
	cr_assert(strstr(err, "unexpected argument 'b'"), "%s", err);
	cr_assert_not_null(mig_opts_usage("convert"));
}
