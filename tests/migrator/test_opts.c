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
			   "--auto-converge", "--parallel", "4",
			   "--shared-disk", "vdc", "--json", "-n", "guest1"),
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
	cr_assert(o.auto_converge && o.postcopy);
	cr_assert_eq(o.parallel, 4);
	cr_assert_eq(o.n_shared_disks, 1);
	cr_assert_str_eq(o.shared_disks[0], "vdc");
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
	cr_assert_not(o.persistent || o.dry_run || o.json);
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
