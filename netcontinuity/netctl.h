/*
 * netctl.h: small control messages about tunnels, after or instead of a
 * migration plan, and how a receiver tells them apart.
 *
 *   {"type":"tunnel-teardown","tunnel":"<32 hex>"}  remove a tunnel's end
 *   {"type":"tunnel-keep","tunnel":"<32 hex>"}      carry an encrypted
 *                                                   tunnel's frames
 *
 * Same rules as netplan.h: at most NC_NETPLAN_MSG_MAX bytes, unknown keys
 * and bad values refused with a message naming the field.
 */
#ifndef SKYFERRY_NC_NETCTL_H
#define SKYFERRY_NC_NETCTL_H

#include <stddef.h>

#include "netcontinuity/nc_error.h"
#include "netcontinuity/record.h"

/*
 * The "type" of a JSON control message into type (size len): "" for an
 * object without one (a migration plan), -EPROTO if buf is not a JSON
 * object or its type is not a short string.
 */
int nc_msg_type(const char *buf, size_t len, char *type, size_t type_len);

/* A request of type ("tunnel-teardown" or "tunnel-keep") for a tunnel. */
char *nc_tunnel_req_encode(const char *type, const char *tunnel_id,
                           struct nc_error *err);

/* Decode a request that must be of type; tunnel_id is "" on failure. */
int nc_tunnel_req_decode(const char *buf, size_t len, const char *type,
                         char tunnel_id[NC_TUNNEL_ID_HEX],
                         struct nc_error *err);

#endif
