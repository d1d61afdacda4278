/*
 * frame.c: build and parse the Ethernet frames of frame.h, byte by byte.
 */
#include "netcontinuity/frame.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#define FRAME_ETH_HDR        14
#define FRAME_ETHERTYPE_ARP  0x0806
#define FRAME_ETHERTYPE_IPV6 0x86dd

/* ARP for IPv4 over Ethernet: 8 bytes of header, then sha spa tha tpa. */
#define FRAME_ARP_LEN     28
#define FRAME_ARP_REQUEST 1
#define FRAME_ARP_REPLY   2

#define FRAME_IPV6_HDR       40
#define FRAME_IPPROTO_ICMPV6 58
#define FRAME_ICMPV6_NA      136
#define FRAME_NA_LEN         24 /* type, code, csum, flags, reserved, target */
#define FRAME_NA_ROUTER      0x80
#define FRAME_NA_SOLICITED   0x40
#define FRAME_NA_OVERRIDE    0x20
#define FRAME_OPT_TLLA       2 /* target link-layer address */
#define FRAME_OPT_TLLA_LEN   8
#define FRAME_UNA_LEN                                                          \
	(FRAME_ETH_HDR + FRAME_IPV6_HDR + FRAME_NA_LEN + FRAME_OPT_TLLA_LEN)

/* After the Ethernet header: magic, version, type, flags, tunnel, seq,
 * nonce. */
#define FRAME_PROBE_HDR (4 + 1 + 1 + 2 + NC_TUNNEL_ID_LEN + 4 + 8)

static const uint8_t frame_broadcast[6] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff
};
static const uint8_t frame_all_nodes_mac[6] = { 0x33, 0x33, 0x00,
	                                        0x00, 0x00, 0x01 };
static const uint8_t frame_all_nodes_ip[16] = { 0xff, 0x02, [15] = 0x01 };
static const uint8_t frame_probe_magic[4] = { 'S', 'F', 'N', 'C' };

static void frame_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t frame_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void frame_put_eth(uint8_t *p, const uint8_t dst[6],
                          const uint8_t src[6], uint16_t ethertype)
{
	memcpy(p, dst, 6);
	memcpy(p + 6, src, 6);
	frame_put16(p + 12, ethertype);
}

/* Add len bytes at p to a ones-complement sum, as 16-bit big-endian
 * words (an odd last byte is padded with zero). */
static uint32_t frame_sum(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += frame_get16(p + i);
	if (len % 2)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

/*
 * The ICMPv6 checksum (RFC 4443 2.3) of msg, len bytes from src to dst:
 * the ones-complement of the ones-complement sum over the pseudo-header
 * (src, dst, upper-layer length, next header) and the message. Over a
 * message whose checksum field is already right, this returns 0.
 */
static uint16_t frame_icmpv6_csum(const uint8_t src[16], const uint8_t dst[16],
                                  const uint8_t *msg, size_t len)
{
	uint32_t sum = 0;

	sum = frame_sum(sum, src, 16);
	sum = frame_sum(sum, dst, 16);
	sum += (uint32_t)(len >> 16) + (uint32_t)(len & 0xffff);
	sum += FRAME_IPPROTO_ICMPV6;
	sum = frame_sum(sum, msg, len);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

int nc_frame_garp(uint8_t *buf, size_t len, const uint8_t mac[6],
                  const struct nc_addr *ip)
{
	uint8_t *arp;

	if (!buf || !mac || !ip || ip->family != AF_INET || len < NC_FRAME_MIN)
		return -EINVAL;
	arp = buf + FRAME_ETH_HDR;
	memset(buf, 0, NC_FRAME_MIN);
	frame_put_eth(buf, frame_broadcast, mac, FRAME_ETHERTYPE_ARP);
	frame_put16(arp, 1);          /* hardware: Ethernet */
	frame_put16(arp + 2, 0x0800); /* protocol: IPv4 */
	arp[4] = 6;
	arp[5] = 4;
	frame_put16(arp + 6, FRAME_ARP_REQUEST);
	memcpy(arp + 8, mac, 6);
	memcpy(arp + 14, ip->bytes, 4);
	/* The target hardware address stays zero. */
	memcpy(arp + 24, ip->bytes, 4);
	return NC_FRAME_MIN;
}

int nc_frame_una(uint8_t *buf, size_t len, const uint8_t mac[6],
                 const struct nc_addr *ip, bool router)
{
	uint8_t *ip6, *na, *opt;
	uint16_t csum;

	if (!buf || !mac || !ip || ip->family != AF_INET6 ||
	    len < FRAME_UNA_LEN)
		return -EINVAL;
	ip6 = buf + FRAME_ETH_HDR;
	na = ip6 + FRAME_IPV6_HDR;
	opt = na + FRAME_NA_LEN;
	memset(buf, 0, FRAME_UNA_LEN);
	frame_put_eth(buf, frame_all_nodes_mac, mac, FRAME_ETHERTYPE_IPV6);
	ip6[0] = 0x60; /* version 6, traffic class and flow label 0 */
	frame_put16(ip6 + 4, FRAME_NA_LEN + FRAME_OPT_TLLA_LEN);
	ip6[6] = FRAME_IPPROTO_ICMPV6;
	ip6[7] = 255; /* hop limit: receivers drop anything less */
	memcpy(ip6 + 8, ip->bytes, 16);
	memcpy(ip6 + 24, frame_all_nodes_ip, 16);
	na[0] = FRAME_ICMPV6_NA;
	na[4] = FRAME_NA_OVERRIDE | (router ? FRAME_NA_ROUTER : 0);
	memcpy(na + 8, ip->bytes, 16);
	opt[0] = FRAME_OPT_TLLA;
	opt[1] = 1; /* in units of 8 bytes */
	memcpy(opt + 2, mac, 6);
	csum = frame_icmpv6_csum(ip6 + 8, ip6 + 24, na,
	                         FRAME_NA_LEN + FRAME_OPT_TLLA_LEN);
	frame_put16(na + 2, csum);
	return FRAME_UNA_LEN;
}

int nc_frame_probe_build(uint8_t *buf, size_t len, const struct nc_probe *p)
{
	uint8_t *body;
	int i;

	if (!buf || !p || len < NC_FRAME_MIN ||
	    (p->type != NC_PROBE_REQUEST && p->type != NC_PROBE_REPLY))
		return -EINVAL;
	body = buf + FRAME_ETH_HDR;
	memset(buf, 0, NC_FRAME_MIN);
	frame_put_eth(buf, p->dst, p->src, NC_PROBE_ETHERTYPE);
	memcpy(body, frame_probe_magic, 4);
	body[4] = NC_PROBE_VERSION;
	body[5] = p->type;
	/* body[6..7]: flags, zero */
	memcpy(body + 8, p->tunnel, NC_TUNNEL_ID_LEN);
	for (i = 0; i < 4; i++)
		body[24 + i] = (uint8_t)(p->seq >> (24 - 8 * i));
	for (i = 0; i < 8; i++)
		body[28 + i] = (uint8_t)(p->nonce >> (56 - 8 * i));
	return NC_FRAME_MIN;
}

/*
 * Trailing bytes after the probe header are Ethernet padding and are not
 * looked at; a frame longer than NC_FRAME_MAX is not one we built.
 */
int nc_frame_probe_parse(const uint8_t *buf, size_t len, struct nc_probe *p)
{
	struct nc_probe probe = { 0 };
	const uint8_t *body;
	int i;

	if (!buf || len < FRAME_ETH_HDR ||
	    frame_get16(buf + 12) != NC_PROBE_ETHERTYPE)
		return -ENOMSG;
	body = buf + FRAME_ETH_HDR;
	if (len < FRAME_ETH_HDR + FRAME_PROBE_HDR || len > NC_FRAME_MAX)
		return -EPROTO;
	if (memcmp(body, frame_probe_magic, 4) != 0 ||
	    body[4] != NC_PROBE_VERSION ||
	    (body[5] != NC_PROBE_REQUEST && body[5] != NC_PROBE_REPLY) ||
	    body[6] != 0 || body[7] != 0)
		return -EPROTO;
	memcpy(probe.dst, buf, 6);
	memcpy(probe.src, buf + 6, 6);
	probe.type = body[5];
	memcpy(probe.tunnel, body + 8, NC_TUNNEL_ID_LEN);
	for (i = 0; i < 4; i++)
		probe.seq = probe.seq << 8 | body[24 + i];
	for (i = 0; i < 8; i++)
		probe.nonce = probe.nonce << 8 | body[28 + i];
	if (p)
		*p = probe;
	return 0;
}

/* An ARP request or reply with sender IP == target IP. */
static int frame_garp_parse(const uint8_t *arp, size_t len, uint8_t mac[6],
                            struct nc_addr *ip)
{
	uint16_t oper;

	if (len < FRAME_ARP_LEN)
		return -EPROTO;
	if (frame_get16(arp) != 1 || frame_get16(arp + 2) != 0x0800)
		return -ENOMSG; /* not IPv4 over Ethernet */
	if (arp[4] != 6 || arp[5] != 4)
		return -EPROTO;
	oper = frame_get16(arp + 6);
	if (oper != FRAME_ARP_REQUEST && oper != FRAME_ARP_REPLY)
		return -ENOMSG;
	if (memcmp(arp + 14, arp + 24, 4) != 0)
		return -ENOMSG; /* an ordinary query or answer */
	memcpy(mac, arp + 8, 6);
	memset(ip, 0, sizeof(*ip));
	ip->family = AF_INET;
	memcpy(ip->bytes, arp + 14, 4);
	return 0;
}

/* Find the target link-layer address among the NA's options. */
static int frame_na_tlla(const uint8_t *opts, size_t len, uint8_t mac[6])
{
	const uint8_t *tlla = NULL;
	size_t pos = 0, opt_len;

	while (pos < len) {
		if (len - pos < 2 || opts[pos + 1] == 0)
			return -EPROTO;
		opt_len = (size_t)opts[pos + 1] * 8;
		if (opt_len > len - pos)
			return -EPROTO;
		if (opts[pos] == FRAME_OPT_TLLA) {
			if (opt_len != FRAME_OPT_TLLA_LEN)
				return -EPROTO; /* not an Ethernet address */
			tlla = opts + pos + 2;
		}
		pos += opt_len;
	}
	if (!tlla)
		return -ENOMSG; /* says nothing about a MAC */
	memcpy(mac, tlla, 6);
	return 0;
}

/* An unsolicited NA (solicited flag clear) with a target link-layer
 * option, without IPv6 extension headers. */
static int frame_una_parse(const uint8_t *ip6, size_t len, uint8_t mac[6],
                           struct nc_addr *ip)
{
	const uint8_t *na;
	size_t payload_len;
	int rc;

	if (len < FRAME_IPV6_HDR || ip6[0] >> 4 != 6)
		return -EPROTO;
	na = ip6 + FRAME_IPV6_HDR;
	if (ip6[6] != FRAME_IPPROTO_ICMPV6)
		return -ENOMSG;
	payload_len = frame_get16(ip6 + 4);
	if (payload_len > len - FRAME_IPV6_HDR || payload_len < 4)
		return -EPROTO;
	if (na[0] != FRAME_ICMPV6_NA)
		return -ENOMSG;
	if (payload_len < FRAME_NA_LEN || na[1] != 0 || ip6[7] != 255 ||
	    frame_icmpv6_csum(ip6 + 8, ip6 + 24, na, payload_len) != 0 ||
	    na[8] == 0xff) /* target is multicast */
		return -EPROTO;
	if (na[4] & FRAME_NA_SOLICITED)
		return -ENOMSG;
	rc = frame_na_tlla(na + FRAME_NA_LEN, payload_len - FRAME_NA_LEN, mac);
	if (rc < 0)
		return rc;
	memset(ip, 0, sizeof(*ip));
	ip->family = AF_INET6;
	memcpy(ip->bytes, na + 8, 16);
	return 0;
}

int nc_frame_announce_parse(const uint8_t *buf, size_t len, uint8_t mac[6],
                            struct nc_addr *ip)
{
	uint8_t found_mac[6];
	struct nc_addr found_ip;
	int rc;

	if (!buf || len < FRAME_ETH_HDR)
		return -ENOMSG;
	switch (frame_get16(buf + 12)) {
	case FRAME_ETHERTYPE_ARP:
		rc = frame_garp_parse(buf + FRAME_ETH_HDR, len - FRAME_ETH_HDR,
		                      found_mac, &found_ip);
		break;
	case FRAME_ETHERTYPE_IPV6:
		rc = frame_una_parse(buf + FRAME_ETH_HDR, len - FRAME_ETH_HDR,
		                     found_mac, &found_ip);
		break;
	default:
		rc = -ENOMSG;
		break;
	}
	if (rc < 0)
		return rc;
	if (mac)
		memcpy(mac, found_mac, 6);
	if (ip)
		*ip = found_ip;
	return 0;
}
