#include <criterion/criterion.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "receiver/config.h"
#include "receiver/opts.h"

/* rcv_opts_parse() on "receiver" and the NULL-terminated arguments. */
static int parse_args(struct rcv_opts *o, char *err, size_t errlen, ...)
{
	char *argv[32] = { "receiver" };
	const char *arg;
	int argc = 1;
	va_list ap;

	va_start(ap, errlen);
	while (argc < 31 && (arg = va_arg(ap, const char *)) != NULL)
		argv[argc++] = (char *)arg;
	va_end(ap);
	cr_assert_lt(argc, 31, "too many arguments");
	err[0] = '\0';
	return rcv_opts_parse(o, argc, argv, err, errlen);
}

/* Every setting, in every spelling the format allows. */
static const char golden[] = "# receiver settings\n"
                             "\n"
                             "listen = [::]:5000\n"
                             "  cert=/etc/sf/r.pem\n"
                             "key =\t\"/etc/sf/with space.key\"  \n"
                             "   # indented comment\n"
                             "ca = /etc/sf/ca.pem \t\n"
                             "allow = east, spiffe://lab/west ,north\n"
                             "allow = \"CN=a, O=b \\\"q\\\" \\\\\"\n"
                             "libvirt = qemu:///session\n"
                             "storage-dir = /srv/sf # not a comment\n"
                             "max-sessions = 8\n"
                             "max-resume-timeout = 120\n"
                             "syslog = true\n"
                             "verbose = 3";

/* Write text to a new temp file; the path is static. */
static const char *cfg_tmp(const char *text, size_t len)
{
	static char path[64];
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "/tmp/sf-cfg-XXXXXX");
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	f = fdopen(fd, "w");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(text, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
	return path;
}

static const char *cfg_tmp_str(const char *text)
{
	return cfg_tmp(text, strlen(text));
}

static int cfg_parse(struct rcv_opts *o, const char *text, char *err,
                     size_t errlen)
{
	rcv_opts_init(o);
	err[0] = '\0';
	return rcv_config_parse(o, "r.conf", text, strlen(text), err, errlen);
}

static bool in_strings(const struct rcv_opts *o, const char *s)
{
	return s >= o->strings && s < o->strings + o->strings_used;
}

Test(receiver_config, golden)
{
	static struct rcv_opts o;
	char err[256];

	cr_assert_eq(cfg_parse(&o, golden, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(o.listen_host, "::");
	cr_assert_eq(o.listen_port, 5000);
	cr_assert_str_eq(o.cert, "/etc/sf/r.pem");
	cr_assert_str_eq(o.key, "/etc/sf/with space.key");
	cr_assert_str_eq(o.ca, "/etc/sf/ca.pem");
	cr_assert_null(o.psk);
	cr_assert_eq(o.n_allow, 4);
	cr_assert_str_eq(o.allow[0], "east");
	cr_assert_str_eq(o.allow[1], "spiffe://lab/west");
	cr_assert_str_eq(o.allow[2], "north");
	cr_assert_str_eq(o.allow[3], "CN=a, O=b \"q\" \\");
	cr_assert_str_eq(o.libvirt_uri, "qemu:///session");
	cr_assert_str_eq(o.storage_dir, "/srv/sf # not a comment");
	cr_assert_eq(o.max_sessions, 8);
	cr_assert_eq(o.max_resume_timeout_ms, 120000);
	cr_assert(o.syslog);
	cr_assert_eq(o.verbose, 3);
	cr_assert(in_strings(&o, o.cert));
	cr_assert(in_strings(&o, o.allow[3]));
	cr_assert(in_strings(&o, o.storage_dir));
	cr_assert_eq(o.from_argv, 0);
}

Test(receiver_config, empty_and_defaults)
{
	static struct rcv_opts o;
	char err[256];

	cr_assert_eq(cfg_parse(&o, "", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cfg_parse(&o, "\n\n# nothing\n", err, sizeof(err)), 0);
	cr_assert_eq(o.listen_port, 4870);
	cr_assert_str_eq(o.libvirt_uri, "qemu:///system");
	cr_assert_eq(o.max_sessions, 4);
	cr_assert_eq(o.n_allow, 0);
	cr_assert_eq(cfg_parse(&o, "psk = \"/k\"\nsyslog = false\nverbose=0\n",
	                       err, sizeof(err)),
	             0, "%s", err);
	cr_assert_str_eq(o.psk, "/k");
	cr_assert(!o.syslog);
	cr_assert_eq(o.verbose, 0);
}

Test(receiver_config, bad_input_named)
{
	static const struct {
		const char *text;
		const char *where; /* the message starts with this */
		const char *what;  /* and contains this */
	} cases[] = {
		{ "lisen = x\n", "r.conf:1:1: ",
		  "unknown key 'lisen'; keys are the receiver's long option" },
		{ "# c\n\n  Listen = x\n",
		  "r.conf:3:3: ", "unknown key 'Listen'" },
		{ "config = /etc/other\n",
		  "r.conf:1:1: ", "unknown key 'config'" },
		{ "help = true\n", "r.conf:1:1: ", "unknown key 'help'" },
		{ "listen x\n", "r.conf:1:8: ", "expected '=' after 'listen'" },
		{ "listen\n", "r.conf:1:7: ", "expected '=' after 'listen'" },
		{ "= x\n", "r.conf:1:1: ", "expected a key before '='" },
		{ "cert =\n", "r.conf:1:7: ", "'cert' needs a value" },
		{ "cert =   \t\n", "r.conf:1:11: ", "'cert' needs a value" },
		{ "cert = \"\"\n", "r.conf:1:8: ", "cert: empty value" },
		{ "cert = \"/a\n", "r.conf:1:8: ",
		  "unterminated quoted value; close it with '\"'" },
		{ "cert = \"/a\\\"\n", "r.conf:1:8: ", "unterminated" },
		{ "cert = \"/a\\nb\"\n", "r.conf:1:11: ",
		  "bad escape in a quoted value; only \\\" and \\\\" },
		{ "cert = \"/a\\", "r.conf:1:11: ", "bad escape" },
		{ "cert = \"/a\" b\n",
		  "r.conf:1:13: ", "unexpected text after the closing quote" },
		{ "cert = \"/a\" # c\n", "r.conf:1:13: ", "after the closing" },
		{ "cert = a\ncert = b\n", "r.conf:2:1: ",
		  "duplicate key 'cert' (first set on line 1); keep one" },
		{ "verbose = 1\n\nverbose = 1\n", "r.conf:3:1: ",
		  "duplicate key 'verbose' (first set on line 1)" },
		{ "listen = h:99999\n", "r.conf:1:10: ",
		  "listen: bad address 'h:99999': expected ADDR" },
		{ "listen = ::1\n", "r.conf:1:10: ", "listen: bad address" },
		{ "max-sessions = 0\n", "r.conf:1:16: ",
		  "max-sessions: bad count '0': expected 1 to 64" },
		{ "max-sessions = 65\n", "r.conf:1:16: ", "bad count '65'" },
		{ "max-sessions = 8x\n", "r.conf:1:16: ", "bad count '8x'" },
		{ "max-sessions = -1\n", "r.conf:1:16: ", "bad count '-1'" },
		{ "max-resume-timeout = 0\n", "r.conf:1:22: ",
		  "max-resume-timeout: bad time '0': expected 1 to 86400 "
		  "seconds" },
		{ "max-sessions = +1\n", "r.conf:1:16: ", "bad count '+1'" },
		{ "max-sessions = 8 8\n", "r.conf:1:16: ", "bad count '8 8'" },
		{ "max-sessions = 18446744073709551617\n",
		  "r.conf:1:16: ", "bad count" },
		{ "verbose = 4\n",
		  "r.conf:1:11: ", "verbose: bad level '4': expected 0 to 3" },
		{ "syslog = yes\n", "r.conf:1:10: ",
		  "syslog: bad value 'yes': expected true or false" },
		{ "syslog = TRUE\n",
		  "r.conf:1:10: ", "expected true or false" },
		{ "allow = a,,b\n", "r.conf:1:11: ", "allow: empty identity" },
		{ "allow = a, \n", "r.conf:1:11: ", "allow: empty identity" },
		{ "allow = ,a\n", "r.conf:1:9: ", "allow: empty identity" },
		{ "allow = \"\"\n", "r.conf:1:9: ", "allow: empty identity" },
		{ "cert = a\r\n",
		  "r.conf:1:9: ", "carriage return; convert DOS line endings" },
		{ "cert = a\x01\n", "r.conf:1:9: ", "control character 0x01" },
		{ "cert = a\x7f\n", "r.conf:1:9: ", "control character 0x7f" },
		{ "\x1b[0m\n", "r.conf:1:1: ", "control character 0x1b" },
	};
	static struct rcv_opts o;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_assert_eq(cfg_parse(&o, cases[i].text, err, sizeof(err)),
		             -EINVAL, "case %zu accepted", i);
		cr_assert_eq(
		    strncmp(err, cases[i].where, strlen(cases[i].where)), 0,
		    "case %zu: %s", i, err);
		cr_assert(strstr(err, cases[i].what), "case %zu: %s", i, err);
	}
}

Test(receiver_config, nul_byte)
{
	static const char text[] = "cert = /a\0b\n";
	static struct rcv_opts o;
	char err[256];

	rcv_opts_init(&o);
	cr_assert_eq(rcv_config_parse(&o, "r.conf", text, sizeof(text) - 1, err,
	                              sizeof(err)),
	             -EINVAL);
	cr_assert_str_eq(err, "r.conf:1:10: NUL byte; the file must be text");
}

Test(receiver_config, allow_merging)
{
	static struct rcv_opts o;
	char text[1024];
	char err[256];
	size_t i, n = 0;

	/* Lines and lists add up, up to RCV_MAX_ALLOW... */
	cr_assert_eq(cfg_parse(&o, "allow = a\nallow=b,c\n\nallow = \"d,e\"\n",
	                       err, sizeof(err)),
	             0, "%s", err);
	cr_assert_eq(o.n_allow, 4);
	cr_assert_str_eq(o.allow[1], "b");
	cr_assert_str_eq(o.allow[2], "c");
	cr_assert_str_eq(o.allow[3], "d,e");
	n += (size_t)snprintf(text, sizeof(text), "allow = i0");
	for (i = 1; i < RCV_MAX_ALLOW; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
		                      i % 2 ? ",i%zu" : "\nallow=i%zu", i);
	cr_assert_eq(cfg_parse(&o, text, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(o.n_allow, RCV_MAX_ALLOW);
	cr_assert_str_eq(o.allow[RCV_MAX_ALLOW - 1], "i63");
	/* ...and not one more. */
	snprintf(text + n, sizeof(text) - n, ",i64\n");
	cr_assert_eq(cfg_parse(&o, text, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "allow: at most 64 identities"), "%s", err);
}

Test(receiver_config, long_key_quoted_short)
{
	static struct rcv_opts o;
	char text[200];
	char want[64];
	char err[256];

	memset(text, 'k', sizeof(text) - 5);
	strcpy(text + sizeof(text) - 5, " = 1");
	cr_assert_eq(cfg_parse(&o, text, err, sizeof(err)), -EINVAL);
	/* Only the first 40 characters of the key are quoted back. */
	memset(want, 'k', sizeof(want));
	memcpy(want + 40, "'; keys", 8);
	cr_assert(strstr(err, want), "%s", err);
	cr_assert(strlen(err) < 150, "%s", err);
}

Test(receiver_config, oversize)
{
	static struct rcv_opts o;
	static char text[RCV_CONFIG_MAX + 1];
	char err[256];
	const char *path;

	/* A file of exactly the limit is fine... */
	memset(text, '#', sizeof(text));
	text[RCV_CONFIG_MAX - 1] = '\n';
	rcv_opts_init(&o);
	cr_assert_eq(rcv_config_parse(&o, "r.conf", text, RCV_CONFIG_MAX, err,
	                              sizeof(err)),
	             0, "%s", err);
	path = cfg_tmp(text, RCV_CONFIG_MAX);
	cr_assert_eq(rcv_config_load(&o, path, err, sizeof(err)), 0, "%s", err);
	unlink(path);
	/* ...one byte more is not. */
	cr_assert_eq(rcv_config_parse(&o, "r.conf", text, RCV_CONFIG_MAX + 1,
	                              err, sizeof(err)),
	             -EINVAL);
	cr_assert(strstr(err, "larger than 65536 bytes"), "%s", err);
	path = cfg_tmp(text, RCV_CONFIG_MAX + 1);
	cr_assert_eq(rcv_config_load(&o, path, err, sizeof(err)), -EFBIG);
	cr_assert(strstr(err, path), "%s", err);
	cr_assert(strstr(err, "larger than 65536 bytes"), "%s", err);
	unlink(path);
}

Test(receiver_config, fills_strings_exactly)
{
	static struct rcv_opts o;
	static char text[RCV_CONFIG_MAX];
	char err[256];

	/* One value as long as the file allows: the storage must hold it. */
	memcpy(text, "cert=", 5);
	memset(text + 5, 'c', sizeof(text) - 5);
	rcv_opts_init(&o);
	cr_assert_eq(rcv_config_parse(&o, "r.conf", text, sizeof(text), err,
	                              sizeof(err)),
	             0, "%s", err);
	cr_assert_eq(strlen(o.cert), sizeof(text) - 5);
	/* With the storage already full, the parser refuses, not overflows. */
	o.strings_used = sizeof(o.strings) - 4;
	cr_assert_eq(
	    rcv_config_parse(&o, "r.conf", "key = abcd", 10, err, sizeof(err)),
	    -EINVAL);
	cr_assert(strstr(err, "r.conf:1:7: too many settings"), "%s", err);
	cr_assert_eq(
	    rcv_config_parse(&o, "r.conf", "key = abc", 9, err, sizeof(err)), 0,
	    "%s", err);
	cr_assert_eq(o.strings_used, sizeof(o.strings));
}

Test(receiver_config, load_errors)
{
	static struct rcv_opts o;
	char dir[] = "/tmp/sf-cfg-dir-XXXXXX";
	char fifo[64];
	char err[256];
	const char *path;

	rcv_opts_init(&o);
	cr_assert_eq(
	    rcv_config_load(&o, "/nonexistent/r.conf", err, sizeof(err)),
	    -ENOENT);
	cr_assert_str_eq(err, "config file /nonexistent/r.conf: cannot open: "
	                      "No such file or directory");
	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(rcv_config_load(&o, dir, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "not a regular file"), "%s", err);
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	cr_assert_eq(mkfifo(fifo, 0600), 0);
	cr_assert_eq(rcv_config_load(&o, fifo, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "not a regular file"), "%s", err);
	unlink(fifo);
	rmdir(dir);
	/* A malformed file is reported with its own name. */
	path = cfg_tmp_str("listen = h\nbogus = 1\n");
	cr_assert_eq(rcv_config_load(&o, path, err, sizeof(err)), -EINVAL);
	cr_assert_eq(strncmp(err, path, strlen(path)), 0, "%s", err);
	cr_assert(strstr(err, ":2:1: unknown key 'bogus'"), "%s", err);
	unlink(path);
}

/* Command line and config file together, through rcv_opts_parse(). */

Test(receiver_config_merge, file_alone)
{
	static struct rcv_opts o;
	const char *path = cfg_tmp(golden, sizeof(golden) - 1);
	char err[256] = "";

	cr_assert_eq(parse_args(&o, err, sizeof(err), "--config", path, NULL),
	             0, "%s", err);
	cr_assert_str_eq(o.config, path);
	cr_assert_str_eq(o.listen_host, "::");
	cr_assert_str_eq(o.key, "/etc/sf/with space.key");
	cr_assert_eq(o.n_allow, 4);
	cr_assert_eq(o.verbose, 3);
	cr_assert(in_strings(&o, o.key));
	cr_assert_eq(o.from_argv, RCV_OPT_BIT(RCV_OPT_CONFIG));
	unlink(path);
}

Test(receiver_config_merge, command_line_overrides)
{
	static struct rcv_opts o;
	const char *path = cfg_tmp(golden, sizeof(golden) - 1);
	char err[256] = "";

	/* Options before and after --config both win over the file. */
	cr_assert_eq(parse_args(&o, err, sizeof(err), "-l", "10.0.0.1:7000",
	                        "--config", path, "--cert", "/cli.pem", "-a",
	                        "cli-a", "--allow", "cli-b", "-v",
	                        "--max-sessions", "2", "-s", "/cli/dir", "-c",
	                        "test:///default", NULL),
	             0, "%s", err);
	cr_assert_str_eq(o.listen_host, "10.0.0.1");
	cr_assert_eq(o.listen_port, 7000);
	cr_assert_str_eq(o.cert, "/cli.pem");
	cr_assert_str_eq(o.key, "/etc/sf/with space.key"); /* from the file */
	cr_assert_str_eq(o.ca, "/etc/sf/ca.pem");          /* from the file */
	/* The command line's --allow list replaces the file's. */
	cr_assert_eq(o.n_allow, 2);
	cr_assert_str_eq(o.allow[0], "cli-a");
	cr_assert_str_eq(o.allow[1], "cli-b");
	/* -v counts from zero, not from the file's level. */
	cr_assert_eq(o.verbose, 1);
	cr_assert_eq(o.max_sessions, 2);
	cr_assert_str_eq(o.storage_dir, "/cli/dir");
	cr_assert_str_eq(o.libvirt_uri, "test:///default");
	cr_assert(o.syslog); /* from the file */
	unlink(path);
}

Test(receiver_config_merge, media_dirs_and_bridges)
{
	static struct rcv_opts o;
	const char *path = cfg_tmp_str("listen = h\npsk = p\nallow = x\n"
	                               "storage-dir = /d\n"
	                               "media-dir = /srv/iso, /srv/fw\n"
	                               "bridge = vmbr0\nbridge = br1, br2\n");
	char err[256] = "";

	cr_assert_eq(parse_args(&o, err, sizeof(err), "--config", path, NULL),
	             0, "%s", err);
	cr_assert_eq(o.n_media_dirs, 2);
	cr_assert_str_eq(o.media_dirs[1], "/srv/fw");
	cr_assert_eq(o.n_bridges, 3);
	cr_assert_str_eq(o.bridges[2], "br2");
	/* The command line's list replaces the file's. */
	cr_assert_eq(parse_args(&o, err, sizeof(err), "--config", path,
	                        "--bridge", "cli0", NULL),
	             0, "%s", err);
	cr_assert_eq(o.n_bridges, 1);
	cr_assert_str_eq(o.bridges[0], "cli0");
	cr_assert_eq(o.n_media_dirs, 2);
	unlink(path);
	path = cfg_tmp_str("media-dir = /srv/iso, relative\n");
	cr_assert_eq(parse_args(&o, err, sizeof(err), "--config", path, NULL),
	             -EINVAL);
	cr_assert(strstr(err, ":1:23: media-dir: 'relative' is not a clean "
	                      "absolute directory"),
	          "%s", err);
	unlink(path);
}

Test(receiver_config_merge, file_fills_gaps)
{
	static struct rcv_opts o;
	const char *path = cfg_tmp_str("allow = east\nstorage-dir = /srv\n");
	char err[256] = "";

	cr_assert_eq(parse_args(&o, err, sizeof(err), "--config", path, "-l",
	                        "h", "--psk", "/p", NULL),
	             0, "%s", err);
	cr_assert_str_eq(o.psk, "/p");
	cr_assert_eq(o.n_allow, 1);
	cr_assert_str_eq(o.allow[0], "east");
	cr_assert_str_eq(o.storage_dir, "/srv");
	unlink(path);
}

Test(receiver_config_merge, validated_after_merging)
{
	static struct rcv_opts o;
	const char *path = cfg_tmp_str("listen = h\npsk = /p\nallow = a\n");
	char err[256] = "";

	/* Neither the file nor the command line names a storage dir. */
	cr_assert_eq(parse_args(&o, err, sizeof(err), "--config", path, NULL),
	             -EINVAL);
	cr_assert(strstr(err, "--storage-dir DIR is required (on the command "
	                      "line or in "),
	          "%s", err);
	cr_assert(strstr(err, path), "%s", err);
	cr_assert_eq(parse_args(&o, err, sizeof(err), "--config", path, "-s",
	                        "/d", NULL),
	             0, "%s", err);
	/* PSK from the file and X.509 from the command line conflict. */
	cr_assert_eq(parse_args(&o, err, sizeof(err), "--config", path, "-s",
	                        "/d", "--cert", "c", "--key", "k", "--ca", "ca",
	                        NULL),
	             -EINVAL);
	cr_assert(strstr(err, "either --psk or --cert/--key/--ca"), "%s", err);
	unlink(path);
	path = cfg_tmp_str("psk = /p\nallow = a\nstorage-dir = /d\n");
	cr_assert_eq(parse_args(&o, err, sizeof(err), "--config", path, NULL),
	             -EINVAL);
	cr_assert(strstr(err, "--listen ADDR[:PORT] is required"), "%s", err);
	unlink(path);
}

Test(receiver_config_merge, file_errors_reported)
{
	static struct rcv_opts o;
	const char *path = cfg_tmp_str("listen = h\nverbose = 9\n");
	char err[256] = "";
	char want[256];

	/* A bad file fails even when the command line overrides the key. */
	cr_assert_eq(
	    parse_args(&o, err, sizeof(err), "--config", path, "-v", NULL),
	    -EINVAL);
	snprintf(want, sizeof(want),
	         "%s:2:11: verbose: bad level '9': expected 0 to 3", path);
	cr_assert_str_eq(err, want);
	unlink(path);
	cr_assert_eq(parse_args(&o, err, sizeof(err), "--config",
	                        "/nonexistent/r.conf", NULL),
	             -ENOENT);
	cr_assert(strstr(err, "/nonexistent/r.conf"), "%s", err);
	/* Help and command-line errors come before reading the file. */
	cr_assert_eq(parse_args(&o, err, sizeof(err), "--config",
	                        "/nonexistent/r.conf", "-h", NULL),
	             0);
	cr_assert_eq(o.cmd, RCV_CMD_HELP);
	cr_assert_eq(parse_args(&o, err, sizeof(err), "--config",
	                        "/nonexistent/r.conf", "--max-sessions", "0",
	                        NULL),
	             -EINVAL);
	cr_assert(strstr(err, "--max-sessions: bad count '0'"), "%s", err);
}
