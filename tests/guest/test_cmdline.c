/* Tests for the guest's kernel command line parser. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sf_cmdline.h"

static int parse(struct sf_cmdline *c, const char *text, struct sf_err *err)
{
	sf_cmdline_init(c);
	return sf_cmdline_parse(c, text, strlen(text), err);
}

Test(cmdline, golden_lab_line)
{
	struct sf_cmdline c;
	char ip[16];

	cr_assert_eq(parse(&c,
	                   "BOOT_IMAGE=/vmlinuz console=ttyS0 "
	                   "sf.ip=198.18.1.10/24 sf.gw=198.18.1.1 sf.mem=64 "
	                   "sf.rate=2000 sf.disk=/dev/vdb sf.diskrate=50\n",
	                   NULL),
	             0);
	cr_assert(c.have_ip);
	cr_assert_eq(c.ip, 0xc612010a);
	cr_assert_eq(c.prefix, 24);
	cr_assert(c.have_gw);
	cr_assert_eq(c.gw, 0xc6120101);
	cr_assert_eq(c.mem_mib, 64);
	cr_assert_eq(c.rate, 2000);
	cr_assert(c.have_disk);
	cr_assert_str_eq(c.disk, "/dev/vdb");
	cr_assert_eq(c.disk_rate, 50);
	cr_assert_str_eq(c.unknown, "");
	sf_cmdline_format_ip(c.ip, ip, sizeof(ip));
	cr_assert_str_eq(ip, "198.18.1.10");
}

Test(cmdline, defaults)
{
	struct sf_cmdline c;

	cr_assert_eq(parse(&c, "console=ttyS0 quiet", NULL), 0);
	cr_assert_not(c.have_ip);
	cr_assert_not(c.have_gw);
	cr_assert_not(c.have_disk);
	cr_assert_eq(c.mem_mib, 0);
	cr_assert_eq(c.rate, 2000);
	cr_assert_eq(c.sweep, 1000);
	cr_assert_eq(c.disk_rate, 20);
	cr_assert_eq(parse(&c, "", NULL), 0);
}

Test(cmdline, quotes_last_wins_unknown)
{
	struct sf_cmdline c;

	cr_assert_eq(parse(&c,
	                   "\"sf.mem=8\" sf.mem=16 sf.x.y=1 sf.z=2 "
	                   "foo=\"a b sf.mem=99\"",
	                   NULL),
	             0);
	cr_assert_eq(c.mem_mib, 16);
	cr_assert_str_eq(c.unknown, "sf.x.y");
}

Test(cmdline, nul_and_length_end_the_text)
{
	struct sf_cmdline c;
	const char text[] = "sf.mem=12\0sf.mem=bad";

	sf_cmdline_init(&c);
	cr_assert_eq(sf_cmdline_parse(&c, text, sizeof(text) - 1, NULL), 0);
	cr_assert_eq(c.mem_mib, 12);
	/* Not NUL terminated: "sf.mem=345" cut after 8 bytes is "sf.mem=3". */
	sf_cmdline_init(&c);
	cr_assert_eq(sf_cmdline_parse(&c, "sf.mem=345", 8, NULL), 0);
	cr_assert_eq(c.mem_mib, 3);
}

Test(cmdline, bad_values)
{
	static const char *const bad[] = {
		"sf.ip=198.18.1.10",
		"sf.ip=198.18.1.10/33",
		"sf.ip=198.18.1/24",
		"sf.ip=198.18.1.256/24",
		"sf.ip=198.018.1.1/24",
		"sf.ip=198.18.1.1.1/24",
		"sf.ip=198.18.1.1/",
		"sf.ip=198.18.1.1/024",
		"sf.ip=/24",
		"sf.gw=1.2.3",
		"sf.gw=1.2.3.4/8",
		"sf.mem=-1",
		"sf.mem=65537",
		"sf.mem=1x",
		"sf.mem=",
		"sf.mem",
		"sf.rate=1000001",
		"sf.rate=99999999999999999999999",
		"sf.diskrate=0",
		"sf.diskrate=10001",
		"sf.disk=vdb",
		"sf.disk=/dev/",
		"sf.disk=/dev/../etc/x",
		"sf.disk=\"/dev/vd b\"",
		"sf.disk=/dev/vdb;reboot",
		"sf.disk=/dev/vdb/",
		"sf.disk=Auto",
		"sf.disk=autox",
		"sf.disk=/dev/"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};
	struct sf_cmdline c;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sf_err err = { "" };

		cr_assert_eq(parse(&c, bad[i], &err), -EINVAL, "accepted %s",
		             bad[i]);
		cr_assert_neq(err.msg[0], '\0');
	}
}

/* The boot disk's data area, found by the disk writer (sf_disk.h). */
Test(cmdline, disk_auto)
{
	struct sf_cmdline c;

	cr_assert_eq(parse(&c, "sf.disk=/dev/vdb sf.disk=auto", NULL), 0);
	cr_assert(c.have_disk);
	cr_assert_str_eq(c.disk, "auto");
}

Test(cmdline, overlong_parameter)
{
	char text[600];
	struct sf_cmdline c;
	struct sf_err err = { "" };

	memset(text, 'a', sizeof(text));
	memcpy(text, "sf.disk=/dev/", 13);
	text[sizeof(text) - 1] = '\0';
	cr_assert_eq(parse(&c, text, &err), -EINVAL);
	/* Overlong non-sf parameters are the kernel's business. */
	memcpy(text, "xx.disk=/dev/", 13);
	cr_assert_eq(parse(&c, text, NULL), 0);
}

Test(cmdline, read_file)
{
	char path[] = "/tmp/sf-test-cmdline.XXXXXX";
	struct sf_cmdline c;
	struct sf_err err = { "" };
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "sf.mem=64 sf.rate=10\n", 21), 21);
	close(fd);
	cr_assert_eq(sf_cmdline_read(&c, path, &err), 0);
	cr_assert_eq(c.mem_mib, 64);
	cr_assert_eq(c.rate, 10);
	unlink(path);
	cr_assert_eq(sf_cmdline_read(&c, path, &err), -ENOENT);
	cr_assert(strstr(err.msg, path) != NULL);
}
