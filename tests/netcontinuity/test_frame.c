/*
 * test_frame.c: golden bytes for the gratuitous ARP, the unsolicited NA and
 * the tunnel probe; the NA checksum against a reference sum; the parsers'
 * rejections (truncated at every length, oversized, wrong magic, version,
 * type, flags, other ethertypes, inconsistent ARP and NA).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>

#include "netcontinuity/frame.h"

static const uint8_t test_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

static const uint8_t golden_garp[60] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* dst broadcast */
	0x52, 0x54, 0x00, 0x12, 0x34, 0x56, /* src mac */
	0x08, 0x06,                         /* ethertype ARP */
	0x00, 0x01,                         /* hardware Ethernet */
	0x08, 0x00,                         /* protocol IPv4 */
	0x06,                               /* hardware length 6 */
	0x04,                               /* protocol length 4 */
	0x00, 0x01,                         /* operation request */
	0x52, 0x54, 0x00, 0x12, 0x34, 0x56, /* sender mac */
	0xc6, 0x12, 0x01, 0x0a,             /* sender ip 198.18.1.10 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* target mac, zero */
	0xc6, 0x12, 0x01, 0x0a,             /* target ip 198.18.1.10 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* padding to 60 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* (padding) */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* (padding) */
};

/* The checksum 0xd5c1 was computed apart from frame.c (a Python
 * ones-complement sum); the test also re-derives it below. */
static const uint8_t golden_una[86] = {
	0x33, 0x33, 0x00, 0x00, 0x00, 0x01, /* dst all-nodes multicast */
	0x52, 0x54, 0x00, 0x12, 0x34, 0x56, /* src mac */
	0x86, 0xdd,                         /* ethertype IPv6 */
	0x60, 0x00, 0x00, 0x00,             /* version 6, class 0, flow 0 */
	0x00, 0x20,                         /* payload length 32 */
	0x3a,                               /* next header ICMPv6 */
	0xff,                               /* hop limit 255 */
	0xfd, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* src fd00::10 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, /* (src) */
	0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* dst ff02::1 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, /* (dst) */
	0x88,                                           /* type 136, NA */
	0x00,                                           /* code 0 */
	0xd5, 0xc1,                                     /* checksum */
	0x20, 0x00, 0x00, 0x00,                         /* flags O, reserved */
	0xfd, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* target fd00::10 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, /* (target) */
	0x02,                               /* option: target link-layer */
	0x01,                               /* length 1 (8 bytes) */
	0x52, 0x54, 0x00, 0x12, 0x34, 0x56, /* mac */
};

static const uint8_t golden_probe[60] = {
	0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc, /* dst: the peer */
	0x52, 0x54, 0x00, 0x12, 0x34, 0x56, /* src */
	0x88, 0xb5,                         /* ethertype local exp. 1 */
	'S',  'F',  'N',  'C',              /* magic */
	0x01,                               /* version 1 */
	0x01,                               /* type request */
	0x00, 0x00,                         /* flags */
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, /* tunnel id */
	0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, /* (tunnel id) */
	0x01, 0x02, 0x03, 0x04,                         /* seq 0x01020304 */
	0xde, 0xad, 0xbe, 0xef, 0x00, 0xc0, 0xff, 0xee, /* nonce */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* padding to 60 */
	0x00, 0x00,                                     /* (padding) */
};

static const struct nc_probe golden_probe_fields = {
	.dst = { 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc },
	.src = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 },
	.type = NC_PROBE_REQUEST,
	.tunnel = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99,
	            0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff },
	.seq = 0x01020304,
	.nonce = 0xdeadbeef00c0ffeeULL,
};

static struct nc_addr test_addr(int family, const char *text)
{
	struct nc_addr a = { .family = family };

	cr_assert_eq(inet_pton(family, text, a.bytes), 1, "%s", text);
	return a;
}

/*
 * Reference: the folded ones-complement sum, written out the long way, of
 * the IPv6 pseudo-header and the ICMPv6 message of frame (taken from the
 * IPv6 header's payload length). A correct checksum makes it 0xffff.
 */
static uint16_t ref_icmpv6_sum(const uint8_t *frame)
{
	uint8_t pseudo[40 + 4 + 4 + NC_FRAME_MAX] = { 0 };
	size_t icmp_len = (size_t)frame[18] << 8 | frame[19];
	size_t total = 48 + icmp_len, i;
	uint32_t sum = 0;

	cr_assert_leq(icmp_len, NC_FRAME_MAX);
	memcpy(pseudo, frame + 22, 16);      /* source */
	memcpy(pseudo + 16, frame + 38, 16); /* destination */
	pseudo[32] = (uint8_t)(icmp_len >> 24);
	pseudo[33] = (uint8_t)(icmp_len >> 16);
	pseudo[34] = (uint8_t)(icmp_len >> 8);
	pseudo[35] = (uint8_t)icmp_len;
	pseudo[39] = 58; /* next header */
	memcpy(pseudo + 40, frame + 54, icmp_len);
	for (i = 0; i < total; i += 2)
		sum += (uint32_t)pseudo[i] << 8 | pseudo[i + 1];
	while (sum > 0xffff)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Rewrite the checksum of an NA edited by a test, with the reference. */
static void ref_fix_csum(uint8_t *frame)
{
	uint16_t csum;

	frame[56] = frame[57] = 0;
	csum = (uint16_t)~ref_icmpv6_sum(frame);
	frame[56] = (uint8_t)(csum >> 8);
	frame[57] = (uint8_t)csum;
}

Test(nc_frame, garp_golden)
{
	struct nc_addr ip = test_addr(AF_INET, "198.18.1.10");
	uint8_t buf[NC_FRAME_MAX];

	memset(buf, 0xa5, sizeof(buf));
	cr_assert_eq(nc_frame_garp(buf, sizeof(buf), test_mac, &ip), 60);
	cr_assert_arr_eq(buf, golden_garp, sizeof(golden_garp));
	/* Exactly NC_FRAME_MIN is enough. */
	cr_assert_eq(nc_frame_garp(buf, NC_FRAME_MIN, test_mac, &ip), 60);
	cr_assert_arr_eq(buf, golden_garp, sizeof(golden_garp));
}

Test(nc_frame, garp_bad_args)
{
	struct nc_addr v6 = test_addr(AF_INET6, "fd00::10");
	struct nc_addr v4 = test_addr(AF_INET, "198.18.1.10");
	struct nc_addr none = { 0 };
	uint8_t buf[NC_FRAME_MAX];

	cr_assert_eq(nc_frame_garp(buf, sizeof(buf), test_mac, &v6), -EINVAL);
	cr_assert_eq(nc_frame_garp(buf, sizeof(buf), test_mac, &none), -EINVAL);
	cr_assert_eq(nc_frame_garp(buf, NC_FRAME_MIN - 1, test_mac, &v4),
	             -EINVAL);
	cr_assert_eq(nc_frame_garp(NULL, sizeof(buf), test_mac, &v4), -EINVAL);
	cr_assert_eq(nc_frame_garp(buf, sizeof(buf), NULL, &v4), -EINVAL);
	cr_assert_eq(nc_frame_garp(buf, sizeof(buf), test_mac, NULL), -EINVAL);
}

Test(nc_frame, una_golden)
{
	struct nc_addr ip = test_addr(AF_INET6, "fd00::10");
	uint8_t buf[NC_FRAME_MAX];

	memset(buf, 0xa5, sizeof(buf));
	cr_assert_eq(nc_frame_una(buf, sizeof(buf), test_mac, &ip, false),
	             (int)sizeof(golden_una));
	cr_assert_arr_eq(buf, golden_una, sizeof(golden_una));
	cr_assert_eq(ref_icmpv6_sum(golden_una), 0xffff);
}

Test(nc_frame, una_router_flag)
{
	struct nc_addr ip = test_addr(AF_INET6, "fd00::10");
	uint8_t buf[NC_FRAME_MAX], expect[sizeof(golden_una)];

	memcpy(expect, golden_una, sizeof(expect));
	expect[56] = 0x55; /* checksum 0x55c1: the flags word gained 0x8000 */
	expect[57] = 0xc1;
	expect[58] = 0xa0; /* flags R | O */
	cr_assert_eq(nc_frame_una(buf, sizeof(buf), test_mac, &ip, true),
	             (int)sizeof(golden_una));
	cr_assert_arr_eq(buf, expect, sizeof(expect));
	cr_assert_eq(ref_icmpv6_sum(buf), 0xffff);
}

/* The checksum over many addresses and MACs, including ones whose sum
 * carries many times or is all ones, matches the reference. */
Test(nc_frame, una_checksum_reference)
{
	static const char *const ips[] = {
		"::1",
		"fd00::10",
		"2001:db8::1",
		"fe80::5054:ff:fe12:3456",
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe",
		"8000::",
		"2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
	};
	static const uint8_t macs[][6] = {
		{ 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 },
		{ 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe },
		{ 0x00, 0x00, 0x00, 0x00, 0x00, 0x01 },
	};
	uint8_t buf[NC_FRAME_MAX], copy[NC_FRAME_MAX];
	struct nc_addr ip;
	size_t i, j;
	int len;

	for (i = 0; i < sizeof(ips) / sizeof(ips[0]); i++) {
		for (j = 0; j < sizeof(macs) / sizeof(macs[0]); j++) {
			ip = test_addr(AF_INET6, ips[i]);
			len =
			    nc_frame_una(buf, sizeof(buf), macs[j], &ip, j % 2);
			cr_assert_eq(len, 86);
			cr_assert_eq(ref_icmpv6_sum(buf), 0xffff, "%s", ips[i]);
			memcpy(copy, buf, (size_t)len);
			ref_fix_csum(copy);
			cr_assert_arr_eq(copy, buf, (size_t)len, "%s", ips[i]);
		}
	}
}

Test(nc_frame, una_bad_args)
{
	struct nc_addr v4 = test_addr(AF_INET, "198.18.1.10");
	struct nc_addr v6 = test_addr(AF_INET6, "fd00::10");
	uint8_t buf[NC_FRAME_MAX];

	cr_assert_eq(nc_frame_una(buf, sizeof(buf), test_mac, &v4, false),
	             -EINVAL);
	cr_assert_eq(nc_frame_una(buf, 85, test_mac, &v6, false), -EINVAL);
	cr_assert_eq(nc_frame_una(buf, 86, test_mac, &v6, false), 86);
	cr_assert_eq(nc_frame_una(NULL, sizeof(buf), test_mac, &v6, false),
	             -EINVAL);
	cr_assert_eq(nc_frame_una(buf, sizeof(buf), NULL, &v6, false), -EINVAL);
	cr_assert_eq(nc_frame_una(buf, sizeof(buf), test_mac, NULL, false),
	             -EINVAL);
}

static void probe_assert_eq(const struct nc_probe *a, const struct nc_probe *b)
{
	cr_assert_arr_eq(a->dst, b->dst, 6);
	cr_assert_arr_eq(a->src, b->src, 6);
	cr_assert_eq(a->type, b->type);
	cr_assert_arr_eq(a->tunnel, b->tunnel, NC_TUNNEL_ID_LEN);
	cr_assert_eq(a->seq, b->seq);
	cr_assert_eq(a->nonce, b->nonce);
}

Test(nc_frame, probe_golden)
{
	uint8_t buf[NC_FRAME_MAX];
	struct nc_probe p;

	memset(buf, 0xa5, sizeof(buf));
	cr_assert_eq(
	    nc_frame_probe_build(buf, sizeof(buf), &golden_probe_fields), 60);
	cr_assert_arr_eq(buf, golden_probe, sizeof(golden_probe));
	memset(&p, 0xa5, sizeof(p));
	cr_assert_eq(
	    nc_frame_probe_parse(golden_probe, sizeof(golden_probe), &p), 0);
	probe_assert_eq(&p, &golden_probe_fields);
}

Test(nc_frame, probe_round_trip)
{
	struct nc_probe in = golden_probe_fields, out;
	uint8_t buf[NC_FRAME_MIN];
	int i;

	for (i = 0; i < 4; i++) {
		in.type = i % 2 ? NC_PROBE_REPLY : NC_PROBE_REQUEST;
		in.seq = i < 2 ? 0 : 0xffffffffu;
		in.nonce = i % 3 ? ~0ULL : 0;
		memset(in.tunnel, i * 0x55, NC_TUNNEL_ID_LEN);
		in.dst[5] = (uint8_t)i;
		cr_assert_eq(nc_frame_probe_build(buf, sizeof(buf), &in), 60);
		cr_assert_eq(nc_frame_probe_parse(buf, sizeof(buf), &out), 0);
		probe_assert_eq(&out, &in);
	}
}

Test(nc_frame, probe_build_bad_args)
{
	struct nc_probe p = golden_probe_fields;
	uint8_t buf[NC_FRAME_MIN];

	cr_assert_eq(nc_frame_probe_build(buf, NC_FRAME_MIN - 1, &p), -EINVAL);
	cr_assert_eq(nc_frame_probe_build(NULL, sizeof(buf), &p), -EINVAL);
	cr_assert_eq(nc_frame_probe_build(buf, sizeof(buf), NULL), -EINVAL);
	p.type = 0;
	cr_assert_eq(nc_frame_probe_build(buf, sizeof(buf), &p), -EINVAL);
	p.type = 3;
	cr_assert_eq(nc_frame_probe_build(buf, sizeof(buf), &p), -EINVAL);
}

/* Parse buf, expecting rc; a failed parse must leave *p alone. */
static void probe_parse_expect(const uint8_t *buf, size_t len, int rc,
                               const char *what)
{
	struct nc_probe p, untouched;

	memset(&p, 0x5a, sizeof(p));
	untouched = p;
	cr_assert_eq(nc_frame_probe_parse(buf, len, &p), rc, "%s (len %zu)",
	             what, len);
	if (rc < 0)
		cr_assert_arr_eq(&p, &untouched, sizeof(p), "%s", what);
}

/* Below 14 bytes it is no frame of ours; a cut probe header is malformed;
 * only the padding (bytes 50..59) may be missing. */
Test(nc_frame, probe_parse_truncated)
{
	size_t len;

	for (len = 0; len < sizeof(golden_probe); len++)
		probe_parse_expect(golden_probe, len,
		                   len < 14   ? -ENOMSG
		                   : len < 50 ? -EPROTO
		                              : 0,
		                   "truncated");
	probe_parse_expect(NULL, 60, -ENOMSG, "NULL");
}

Test(nc_frame, probe_parse_oversized)
{
	uint8_t buf[NC_FRAME_MAX + 1] = { 0 };

	memcpy(buf, golden_probe, sizeof(golden_probe));
	probe_parse_expect(buf, NC_FRAME_MAX, 0, "largest");
	probe_parse_expect(buf, NC_FRAME_MAX + 1, -EPROTO, "oversized");
}

Test(nc_frame, probe_parse_bad_fields)
{
	static const struct {
		size_t offset;
		uint8_t value;
		int rc;
		const char *what;
	} cases[] = {
		{ 12, 0x08, -ENOMSG, "ethertype 0x08b5" },
		{ 13, 0xb6, -ENOMSG, "ethertype 0x88b6" },
		{ 14, 's', -EPROTO, "magic byte 0" },
		{ 15, 'X', -EPROTO, "magic byte 1" },
		{ 16, 0, -EPROTO, "magic byte 2" },
		{ 17, 'c', -EPROTO, "magic byte 3" },
		{ 18, 0, -EPROTO, "version 0" },
		{ 18, 2, -EPROTO, "version 2" },
		{ 18, 0xff, -EPROTO, "version 255" },
		{ 19, 0, -EPROTO, "type 0" },
		{ 19, 3, -EPROTO, "type 3" },
		{ 19, 0x81, -EPROTO, "type 0x81" },
		{ 20, 0x80, -EPROTO, "flags 0x8000" },
		{ 21, 0x01, -EPROTO, "flags 0x0001" },
		{ 19, 2, 0, "type reply" },
		{ 59, 0xff, 0, "garbage padding" },
	};
	uint8_t buf[sizeof(golden_probe)];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(buf, golden_probe, sizeof(buf));
		buf[cases[i].offset] = cases[i].value;
		probe_parse_expect(buf, sizeof(buf), cases[i].rc,
		                   cases[i].what);
	}
	probe_parse_expect(golden_garp, sizeof(golden_garp), -ENOMSG, "GARP");
	probe_parse_expect(golden_una, sizeof(golden_una), -ENOMSG, "NA");
	memset(buf, 0x88, sizeof(buf));
	probe_parse_expect(buf, sizeof(buf), -ENOMSG, "garbage");
	memset(buf, 0xb5, sizeof(buf));
	buf[12] = 0x88;
	probe_parse_expect(buf, sizeof(buf), -EPROTO, "garbage, our type");
}

/* Parse buf as an announcement, expecting rc; a failure leaves the
 * outputs alone, a success yields mac and the text ip. */
static void announce_expect(const uint8_t *buf, size_t len, int rc,
                            const uint8_t *mac, int family, const char *ip,
                            const char *what)
{
	struct nc_addr got_ip, untouched_ip, want_ip;
	uint8_t got_mac[6];

	memset(got_mac, 0x5a, sizeof(got_mac));
	memset(&got_ip, 0x5a, sizeof(got_ip));
	untouched_ip = got_ip;
	cr_assert_eq(nc_frame_announce_parse(buf, len, got_mac, &got_ip), rc,
	             "%s (len %zu)", what, len);
	if (rc < 0) {
		cr_assert_arr_eq(got_mac, "\x5a\x5a\x5a\x5a\x5a\x5a", 6);
		cr_assert_arr_eq(&got_ip, &untouched_ip, sizeof(got_ip));
		return;
	}
	want_ip = test_addr(family, ip);
	cr_assert_arr_eq(got_mac, mac, 6, "%s", what);
	cr_assert_eq(got_ip.family, family, "%s", what);
	cr_assert_arr_eq(got_ip.bytes, want_ip.bytes, sizeof(want_ip.bytes),
	                 "%s", what);
}

Test(nc_frame, announce_parse_built)
{
	static const uint8_t mac2[6] = { 0x02, 0, 0, 0, 0, 0x42 };
	struct nc_addr ip = test_addr(AF_INET, "10.1.2.3");
	uint8_t buf[NC_FRAME_MAX];
	int len;

	announce_expect(golden_garp, sizeof(golden_garp), 0, test_mac, AF_INET,
	                "198.18.1.10", "golden GARP");
	announce_expect(golden_una, sizeof(golden_una), 0, test_mac, AF_INET6,
	                "fd00::10", "golden NA");
	len = nc_frame_garp(buf, sizeof(buf), mac2, &ip);
	announce_expect(buf, (size_t)len, 0, mac2, AF_INET, "10.1.2.3", "GARP");
	/* Without the padding, as some hosts hand it over. */
	announce_expect(buf, 42, 0, mac2, AF_INET, "10.1.2.3", "GARP, 42");
	ip = test_addr(AF_INET6, "2001:db8::7");
	len = nc_frame_una(buf, sizeof(buf), mac2, &ip, true);
	announce_expect(buf, (size_t)len, 0, mac2, AF_INET6, "2001:db8::7",
	                "NA, router");
	/* Trailing bytes after the IPv6 payload are padding. */
	announce_expect(buf, sizeof(buf), 0, mac2, AF_INET6, "2001:db8::7",
	                "NA, padded");
	/* NULL outputs are allowed. */
	cr_assert_eq(
	    nc_frame_announce_parse(golden_una, sizeof(golden_una), NULL, NULL),
	    0);
}

Test(nc_frame, announce_parse_arp_variants)
{
	uint8_t buf[sizeof(golden_garp)];

	/* A gratuitous reply (target mac = sender, as Linux arping -A). */
	memcpy(buf, golden_garp, sizeof(buf));
	buf[21] = 2;
	memcpy(buf + 32, test_mac, 6);
	announce_expect(buf, sizeof(buf), 0, test_mac, AF_INET, "198.18.1.10",
	                "gratuitous reply");
	/* An ordinary request: who has 198.18.1.1? */
	memcpy(buf, golden_garp, sizeof(buf));
	buf[41] = 0x01;
	announce_expect(buf, sizeof(buf), -ENOMSG, NULL, 0, NULL, "query");
	/* An RFC 5227 probe: sender IP 0. */
	memcpy(buf, golden_garp, sizeof(buf));
	memset(buf + 28, 0, 4);
	announce_expect(buf, sizeof(buf), -ENOMSG, NULL, 0, NULL, "probe");
}

Test(nc_frame, announce_parse_arp_bad)
{
	static const struct {
		size_t offset;
		uint8_t value;
		int rc;
		const char *what;
	} cases[] = {
		{ 15, 6, -ENOMSG, "hardware IEEE 802" },
		{ 16, 0x86, -ENOMSG, "protocol 0x86dd" },
		{ 18, 8, -EPROTO, "hardware length 8" },
		{ 19, 16, -EPROTO, "protocol length 16" },
		{ 21, 0, -ENOMSG, "operation 0" },
		{ 21, 3, -ENOMSG, "operation 3 (RARP)" },
		{ 20, 1, -ENOMSG, "operation 0x0101" },
	};
	uint8_t buf[sizeof(golden_garp)];
	size_t i, len;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(buf, golden_garp, sizeof(buf));
		buf[cases[i].offset] = cases[i].value;
		announce_expect(buf, sizeof(buf), cases[i].rc, NULL, 0, NULL,
		                cases[i].what);
	}
	for (len = 0; len < 42; len++)
		announce_expect(golden_garp, len, len < 14 ? -ENOMSG : -EPROTO,
		                NULL, 0, NULL, "truncated GARP");
	announce_expect(NULL, 60, -ENOMSG, NULL, 0, NULL, "NULL");
	announce_expect(golden_probe, sizeof(golden_probe), -ENOMSG, NULL, 0,
	                NULL, "probe");
}

Test(nc_frame, announce_parse_na_truncated)
{
	size_t len;

	for (len = 0; len < sizeof(golden_una); len++)
		announce_expect(golden_una, len, len < 14 ? -ENOMSG : -EPROTO,
		                NULL, 0, NULL, "truncated NA");
}

/* One edit of the golden NA, then (if fix) a right checksum again. */
struct na_case {
	size_t offset;
	uint8_t value;
	bool fix;
	int rc;
	const char *what;
};

Test(nc_frame, announce_parse_na_bad)
{
	static const struct na_case cases[] = {
		{ 14, 0x40, true, -EPROTO, "IP version 4" },
		{ 20, 0x00, true, -ENOMSG, "hop-by-hop header" },
		{ 20, 0x11, true, -ENOMSG, "UDP" },
		{ 21, 254, true, -EPROTO, "hop limit 254" },
		{ 54, 135, true, -ENOMSG, "ICMPv6 NS" },
		{ 54, 134, true, -ENOMSG, "ICMPv6 RA" },
		{ 55, 1, true, -EPROTO, "code 1" },
		{ 57, 0xc2, false, -EPROTO, "checksum off by one" },
		{ 85, 0x57, false, -EPROTO, "mac changed, checksum not" },
		{ 58, 0x60, true, -ENOMSG, "solicited" },
		{ 62, 0xff, true, -EPROTO, "multicast target" },
		{ 78, 1, true, -ENOMSG, "source link-layer option" },
		{ 79, 0, true, -EPROTO, "option length 0" },
		{ 79, 2, true, -EPROTO, "option past the end" },
		{ 58, 0x00, true, 0, "no flags" },
		{ 59, 0xff, true, 0, "reserved bits" },
	};
	uint8_t buf[sizeof(golden_una)];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(buf, golden_una, sizeof(buf));
		buf[cases[i].offset] = cases[i].value;
		if (cases[i].fix)
			ref_fix_csum(buf);
		announce_expect(buf, sizeof(buf), cases[i].rc, test_mac,
		                AF_INET6, "fd00::10", cases[i].what);
	}
}

/* Option walks: a shorter payload, another option first, a TLLA of the
 * wrong size, a payload length past the frame. */
Test(nc_frame, announce_parse_na_options)
{
	uint8_t buf[NC_FRAME_MAX] = { 0 };
	size_t len = sizeof(golden_una);

	/* No options at all: says nothing about a MAC. */
	memcpy(buf, golden_una, len);
	buf[19] = 24;
	ref_fix_csum(buf);
	announce_expect(buf, 78, -ENOMSG, NULL, 0, NULL, "no option");
	/* ICMPv6 shorter than an NA. */
	buf[19] = 20;
	ref_fix_csum(buf);
	announce_expect(buf, 74, -EPROTO, NULL, 0, NULL, "short NA");
	buf[19] = 3;
	announce_expect(buf, 57, -EPROTO, NULL, 0, NULL, "3-byte ICMPv6");
	/* A nonce option (type 14) before the TLLA. */
	memcpy(buf, golden_una, 78);
	memcpy(buf + 78, "\x0e\x01\x01\x02\x03\x04\x05\x06", 8);
	memcpy(buf + 86, golden_una + 78, 8);
	buf[19] = 40;
	ref_fix_csum(buf);
	announce_expect(buf, 94, 0, test_mac, AF_INET6, "fd00::10",
	                "nonce, then TLLA");
	/* A 16-byte TLLA: not an Ethernet address. */
	memcpy(buf, golden_una, len);
	buf[79] = 2;
	memset(buf + 86, 0, 8);
	buf[19] = 40;
	ref_fix_csum(buf);
	announce_expect(buf, 94, -EPROTO, NULL, 0, NULL, "16-byte TLLA");
	/* A trailing lone byte after the TLLA: an option cut short. */
	memcpy(buf, golden_una, len);
	buf[19] = 33;
	buf[86] = 1;
	ref_fix_csum(buf);
	announce_expect(buf, 87, -EPROTO, NULL, 0, NULL, "odd trailing byte");
	/* Payload length larger than the frame. */
	memcpy(buf, golden_una, len);
	buf[19] = 0xff;
	announce_expect(buf, len, -EPROTO, NULL, 0, NULL, "payload past end");
}
