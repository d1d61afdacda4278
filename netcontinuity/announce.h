/*
 * announce.h: sending the frames of frame.h on a link (AF_PACKET), and the
 * tunnel check built on them.
 */
#ifndef SKYFERRY_NC_ANNOUNCE_H
#define SKYFERRY_NC_ANNOUNCE_H

#include <stddef.h>
#include <stdint.h>

#include "netcontinuity/frame.h"
#include "netcontinuity/nc_error.h"

/*
 * Announce that ips are at mac, on link dev: a gratuitous ARP for each IPv4
 * address and an unsolicited NA for each IPv6 one, `rounds` times,
 * interval_ms apart (the first at once). Blocks for (rounds-1)*interval_ms.
 * 0 or -errno (no such link, no CAP_NET_RAW, ...).
 */
int nc_announce(const char *dev, const uint8_t mac[6],
                const struct nc_addr *ips, size_t n_ips, unsigned int rounds,
                unsigned int interval_ms, struct nc_error *err);

/*
 * The responder end of a tunnel check: a thread that answers every probe
 * request for tunnel that arrives on dev (addressed to mac) with a reply
 * from mac, until nc_probe_responder_stop. NULL with err on failure.
 */
struct nc_probe_responder;
struct nc_probe_responder *
nc_probe_responder_start(const char *dev, const uint8_t mac[6],
                         const uint8_t tunnel[NC_TUNNEL_ID_LEN],
                         struct nc_error *err);
/* Stop the thread, close the socket, free; returns how many requests it
 * answered. NULL-safe. */
unsigned int nc_probe_responder_stop(struct nc_probe_responder *r);

/*
 * The checking end: send probe requests from mac to peer_mac on dev every
 * interval_ms until a matching reply (same tunnel, seq and nonce) arrives,
 * or timeout_ms passes. On success *rtt_us is the round trip of the
 * answered request. -ETIMEDOUT with a message naming dev and the peer.
 */
int nc_probe_check(const char *dev, const uint8_t mac[6],
                   const uint8_t peer_mac[6],
                   const uint8_t tunnel[NC_TUNNEL_ID_LEN],
                   unsigned int interval_ms, unsigned int timeout_ms,
                   uint64_t *rtt_us, struct nc_error *err);

#endif
