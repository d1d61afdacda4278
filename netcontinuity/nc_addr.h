/*
 * nc_addr.h: IPv4/IPv6 addresses and MAC addresses, as netcontinuity passes
 * them around, with strict text forms.
 */
#ifndef SKYFERRY_NC_ADDR_H
#define SKYFERRY_NC_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NC_ADDR_STRLEN 46 /* INET6_ADDRSTRLEN */
#define NC_MAC_STRLEN  18 /* "52:54:00:12:34:56" + NUL */
#define NC_IFNAME_MAX  16 /* IFNAMSIZ, with the NUL */

/* family is 0 (none), AF_INET (first 4 bytes used) or AF_INET6. */
struct nc_addr {
	int family;
	uint8_t bytes[16];
};

/* Parse "198.18.1.10" or "fd00::10" (no prefix, no scope). 0 or -EINVAL. */
int nc_addr_parse(const char *s, struct nc_addr *out);

/* Text form into buf (>= NC_ADDR_STRLEN); "" for family 0. Returns buf. */
const char *nc_addr_format(const struct nc_addr *a, char *buf, size_t len);

bool nc_addr_equal(const struct nc_addr *a, const struct nc_addr *b);

/* The address of a socket address (sockaddr_in, sockaddr_in6; an
 * IPv4-mapped IPv6 address becomes IPv4); family 0 for anything else. */
struct sockaddr_storage;
void nc_addr_from_sockaddr(const struct sockaddr_storage *ss,
                           struct nc_addr *a);

/* Parse "52:54:00:12:34:56" (either case). 0 or -EINVAL. */
int nc_mac_parse(const char *s, uint8_t mac[6]);

/* Lower-case text form into buf (>= NC_MAC_STRLEN). Returns buf. */
const char *nc_mac_format(const uint8_t mac[6], char *buf, size_t len);

/*
 * A valid interface name: 1..15 printable ASCII bytes, no '/', ':', '%' or
 * blank; not "." or "..".
 */
bool nc_ifname_valid(const char *name);

#endif
