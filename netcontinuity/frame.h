/*
 * frame.h: the Ethernet frames netcontinuity sends itself, built and parsed
 * byte by byte (no structs on the wire).
 *
 *  - Gratuitous ARP: an ARP request from mac for ip, sender IP = target IP,
 *    to ff:ff:ff:ff:ff:ff, padded to 60 bytes. Neighbours update an entry
 *    they hold for ip; switches learn where mac is.
 *  - Unsolicited neighbour advertisement (RFC 4861 7.2.6): ICMPv6 type 136
 *    from ip (IPv6), to ff02::1 / 33:33:00:00:00:01, hop limit 255, flags
 *    Override (and Router if asked), target ip, target link-layer address
 *    option mac, with the ICMPv6 checksum.
 *  - Tunnel probe: how the two ends of a tunnel check, before switchover,
 *    that frames cross it both ways. Ethertype NC_PROBE_ETHERTYPE (IEEE
 *    local experimental 1), then:
 *        magic   4  "SFNC"
 *        version 1  NC_PROBE_VERSION
 *        type    1  1 = request, 2 = reply
 *        flags   2  0 (reserved, must be zero)
 *        tunnel  16 tunnel id (raw bytes)
 *        seq     4  big endian
 *        nonce   8  echoed by the reply
 *    padded with zeros to 60 bytes.
 */
#ifndef SKYFERRY_NC_FRAME_H
#define SKYFERRY_NC_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netcontinuity/nc_addr.h"

#define NC_FRAME_MIN       60  /* without FCS */
#define NC_FRAME_MAX       128 /* every frame built here fits */
#define NC_PROBE_ETHERTYPE 0x88b5
#define NC_PROBE_VERSION   1
#define NC_PROBE_REQUEST   1
#define NC_PROBE_REPLY     2
#define NC_TUNNEL_ID_LEN   16

/* Build a gratuitous ARP into buf (>= NC_FRAME_MIN). Returns its length,
 * or -EINVAL (ip not IPv4, buf too small). */
int nc_frame_garp(uint8_t *buf, size_t len, const uint8_t mac[6],
                  const struct nc_addr *ip);

/* Build an unsolicited NA into buf. Returns its length, or -EINVAL. */
int nc_frame_una(uint8_t *buf, size_t len, const uint8_t mac[6],
                 const struct nc_addr *ip, bool router);

struct nc_probe {
	uint8_t dst[6], src[6];
	uint8_t type; /* NC_PROBE_REQUEST or NC_PROBE_REPLY */
	uint8_t tunnel[NC_TUNNEL_ID_LEN];
	uint32_t seq;
	uint64_t nonce;
};

/* Build a probe frame. Returns NC_FRAME_MIN, or -EINVAL. */
int nc_frame_probe_build(uint8_t *buf, size_t len, const struct nc_probe *p);

/*
 * Parse a received frame as a probe. 0 if it is one; -ENOMSG if it is
 * another kind of frame (other ethertype, too short for the header);
 * -EPROTO if it carries our ethertype but is malformed (bad magic, version,
 * type, reserved flags).
 */
int nc_frame_probe_parse(const uint8_t *buf, size_t len, struct nc_probe *p);

/*
 * Parse a gratuitous ARP or unsolicited NA (as built above, or as a host
 * sends it) into the announced mac and ip. 0, -ENOMSG (not one), or
 * -EPROTO (truncated or inconsistent). For tests and for the lab tools.
 */
int nc_frame_announce_parse(const uint8_t *buf, size_t len, uint8_t mac[6],
                            struct nc_addr *ip);

#endif
