/*
 * test_nc_addr.c: the strict text forms of IP and MAC addresses, and
 * interface names.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "netcontinuity/nc_addr.h"

/* What a rejected parse must leave in *out: the caller's bytes. */
static const uint8_t sentinel = 0xa5;

Test(nc_addr, parse_v4_golden)
{
	static const struct {
		const char *text;
		uint8_t bytes[4];
	} cases[] = {
		{ "198.18.1.10", { 198, 18, 1, 10 } },
		{ "0.0.0.0", { 0, 0, 0, 0 } },
		{ "255.255.255.255", { 255, 255, 255, 255 } },
		{ "10.0.0.1", { 10, 0, 0, 1 } },
	};
	char buf[NC_ADDR_STRLEN];
	struct nc_addr a;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&a, sentinel, sizeof(a));
		cr_assert_eq(nc_addr_parse(cases[i].text, &a), 0, "%s",
		             cases[i].text);
		cr_assert_eq(a.family, AF_INET);
		cr_assert_arr_eq(a.bytes, cases[i].bytes, 4, "%s",
		                 cases[i].text);
		/* The unused tail is cleared, not left as it was. */
		for (size_t j = 4; j < sizeof(a.bytes); j++)
			cr_assert_eq(a.bytes[j], 0);
		cr_assert_str_eq(nc_addr_format(&a, buf, sizeof(buf)),
		                 cases[i].text);
		cr_assert_eq(nc_addr_format(&a, buf, sizeof(buf)), buf);
	}
}

Test(nc_addr, parse_v6_golden)
{
	static const struct {
		const char *text;
		const char *canonical;
		uint8_t bytes[16];
	} cases[] = {
		{ "fd00::10",
		  "fd00::10",
		  { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10 } },
		{ "FD00:0:0:0:0:0:0:10",
		  "fd00::10",
		  { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10 } },
		{ "::", "::", { 0 } },
		{ "::1", "::1", { [15] = 1 } },
		{ "fe80::5054:ff:fe12:3456",
		  "fe80::5054:ff:fe12:3456",
		  { 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x50, 0x54, 0, 0xff, 0xfe,
		    0x12, 0x34, 0x56 } },
		{ "::ffff:198.18.1.10",
		  "::ffff:198.18.1.10",
		  { [10] = 0xff,
		    [11] = 0xff,
		    [12] = 198,
		    [13] = 18,
		    [14] = 1,
		    [15] = 10 } },
		{ "2001:db8:1:2:3:4:5:6",
		  "2001:db8:1:2:3:4:5:6",
		  { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0,
		    6 } },
	};
	char buf[NC_ADDR_STRLEN];
	struct nc_addr a;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&a, sentinel, sizeof(a));
		cr_assert_eq(nc_addr_parse(cases[i].text, &a), 0, "%s",
		             cases[i].text);
		cr_assert_eq(a.family, AF_INET6);
		cr_assert_arr_eq(a.bytes, cases[i].bytes, 16, "%s",
		                 cases[i].text);
		cr_assert_str_eq(nc_addr_format(&a, buf, sizeof(buf)),
		                 cases[i].canonical);
	}
}

Test(nc_addr, parse_rejects)
{
	static const char *const bad[] = {
		"",
		"198.18.1.10/32",
		"fd00::10/64",
		"fe80::1%eth0",
		" 198.18.1.10",
		"198.18.1.10 ",
		"198.18.1.10\n",
		"198.18.1",
		"127.1",
		"198.18.1.256",
		"198.018.1.10",
		"0x7f.0.0.1",
		"1.2.3.4.5",
		"1.2.3.-4",
		"fd00::10::1",
		"fd00:::10",
		"1:2:3:4:5:6:7:8:9",
		"12345::1",
		"gg::1",
		"fd00::10x",
		"abc",
		":",
		".",
		"[fd00::10]",
		"198.18.1.10:80",
		"localhost",
	};
	struct nc_addr a, untouched;
	size_t i;

	memset(&untouched, sentinel, sizeof(untouched));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		a = untouched;
		cr_assert_eq(nc_addr_parse(bad[i], &a), -EINVAL,
		             "'%s' accepted", bad[i]);
		cr_assert(memcmp(&a, &untouched, sizeof(a)) == 0,
		          "'%s' changed the output", bad[i]);
	}
	cr_assert_eq(nc_addr_parse(NULL, &a), -EINVAL);
}

Test(nc_addr, parse_rejects_too_long)
{
	/* 45 characters is the longest text form: accepted... */
	static const char longest[] = "ffff:ffff:ffff:ffff:ffff:ffff:"
	                              "255.255.255.255";
	char text[256];
	struct nc_addr a;

	cr_assert_eq(strlen(longest), NC_ADDR_STRLEN - 1);
	cr_assert_eq(nc_addr_parse(longest, &a), 0);
	cr_assert_eq(a.family, AF_INET6);
	/* ...and anything longer is not, nor read past its limit. */
	memset(text, '1', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	cr_assert_eq(nc_addr_parse(text, &a), -EINVAL);
}

Test(nc_addr, format_edges)
{
	struct nc_addr a = { 0 };
	char buf[NC_ADDR_STRLEN];
	char small[8];

	memset(buf, 'x', sizeof(buf));
	cr_assert_str_eq(nc_addr_format(&a, buf, sizeof(buf)), "");
	a.family = AF_UNIX;
	cr_assert_str_eq(nc_addr_format(&a, buf, sizeof(buf)), "");
	/* Too small a buffer gives "", never a cut address. */
	cr_assert_eq(nc_addr_parse("198.18.100.100", &a), 0);
	memset(small, 'x', sizeof(small));
	cr_assert_str_eq(nc_addr_format(&a, small, sizeof(small)), "");
	cr_assert_eq(nc_addr_format(&a, small, 0), small);
}

Test(nc_addr, equal)
{
	struct nc_addr a, b;

	cr_assert_eq(nc_addr_parse("198.18.1.10", &a), 0);
	cr_assert_eq(nc_addr_parse("198.18.1.10", &b), 0);
	cr_assert(nc_addr_equal(&a, &b));
	/* Only the first 4 bytes of an IPv4 address count. */
	b.bytes[9] = 7;
	cr_assert(nc_addr_equal(&a, &b));
	cr_assert_eq(nc_addr_parse("198.18.1.11", &b), 0);
	cr_assert_not(nc_addr_equal(&a, &b));
	cr_assert_eq(nc_addr_parse("::ffff:198.18.1.10", &b), 0);
	cr_assert_not(nc_addr_equal(&a, &b));
	cr_assert_eq(nc_addr_parse("fd00::10", &a), 0);
	cr_assert_eq(nc_addr_parse("fd00:0::10", &b), 0);
	cr_assert(nc_addr_equal(&a, &b));
	cr_assert_eq(nc_addr_parse("fd00::11", &b), 0);
	cr_assert_not(nc_addr_equal(&a, &b));
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	cr_assert(nc_addr_equal(&a, &b));
}

Test(nc_addr, mac_golden)
{
	static const struct {
		const char *text;
		const char *canonical;
		uint8_t mac[6];
	} cases[] = {
		{ "52:54:00:12:34:56",
		  "52:54:00:12:34:56",
		  { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 } },
		{ "52:54:00:AB:cd:Ef",
		  "52:54:00:ab:cd:ef",
		  { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef } },
		{ "ff:ff:ff:ff:ff:ff",
		  "ff:ff:ff:ff:ff:ff",
		  { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } },
		{ "00:00:00:00:00:00", "00:00:00:00:00:00", { 0 } },
	};
	char buf[NC_MAC_STRLEN];
	uint8_t mac[6];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(mac, sentinel, sizeof(mac));
		cr_assert_eq(nc_mac_parse(cases[i].text, mac), 0, "%s",
		             cases[i].text);
		cr_assert_arr_eq(mac, cases[i].mac, 6, "%s", cases[i].text);
		cr_assert_str_eq(nc_mac_format(mac, buf, sizeof(buf)),
		                 cases[i].canonical);
		cr_assert_eq(nc_mac_format(mac, buf, sizeof(buf)), buf);
	}
}

Test(nc_addr, mac_rejects)
{
	static const char *const bad[] = {
		"",
		"52:54:00:12:34",
		"52:54:00:12:34:",
		"52:54:00:12:34:5",
		"52:54:00:12:34:56:",
		"52:54:00:12:34:56:78",
		"52-54-00-12-34-56",
		"5254.0012.3456",
		"525400123456",
		"52:54:00:12:34:5g",
		"52:54:0:12:34:56:",
		"52:54:0:012:34:56",
		" 52:54:00:12:34:56",
		"52:54:00:12:34:56 ",
		"52:54:00:12:34:56\n",
		"+2:54:00:12:34:56",
		"52:54:00:12:34 56",
		"52::54:00:12:34:5",
		"0x:54:00:12:34:56",
	};
	uint8_t mac[6], untouched[6];
	size_t i;

	memset(untouched, sentinel, sizeof(untouched));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(mac, untouched, sizeof(mac));
		cr_assert_eq(nc_mac_parse(bad[i], mac), -EINVAL,
		             "'%s' accepted", bad[i]);
		cr_assert_arr_eq(mac, untouched, 6, "'%s' changed the output",
		                 bad[i]);
	}
	cr_assert_eq(nc_mac_parse(NULL, mac), -EINVAL);
}

Test(nc_addr, mac_format_truncates_safely)
{
	static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	char small[6];

	cr_assert_str_eq(nc_mac_format(mac, small, sizeof(small)), "52:54");
	cr_assert_eq(nc_mac_format(mac, small, 0), small);
}

Test(nc_addr, ifname_valid)
{
	static const char *const good[] = {
		"eth0",      "a",   "vmbr0",           "sfv0012ab",
		"br-lan.10", "...", "abcdefghijklmno", /* 15 */
	};
	static const char *const bad[] = {
		"",      "abcdefghijklmnop", /* 16 */
		"a/b",   "a:b",
		"a b",   "a\tb",
		"a\nb",  ".",
		"..",    "tap%d",
		"\x01",  "caf\xc3\xa9",
		"x\x7f",
	};
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		cr_assert(nc_ifname_valid(good[i]), "'%s' rejected", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_not(nc_ifname_valid(bad[i]), "'%s' accepted", bad[i]);
	cr_assert_not(nc_ifname_valid(NULL));
}
