/*
 * nl.h: the netlink operations netcontinuity needs, on libnl-3 and
 * libnl-route-3. Each works in the calling thread's network namespace.
 *
 * Every call takes an open handle (one per thread), returns 0 or a negative
 * errno, and fills err with a line that names the object ("vxlan sfv0012ab:
 * VNI 4660 on UDP port 4789 is already used by sfv0012aa"). Removal of an
 * object that is already gone is not an error (returns 0): teardown must be
 * idempotent.
 */
#ifndef SKYFERRY_NC_NL_H
#define SKYFERRY_NC_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netcontinuity/nc_addr.h"
#include "netcontinuity/nc_error.h"

struct nc_nl;

/* Open a NETLINK_ROUTE socket. NULL with errno set, and err filled. */
struct nc_nl *nc_nl_open(struct nc_error *err);
void nc_nl_close(struct nc_nl *nl); /* NULL-safe */

/* --- links ----------------------------------------------------------- */

struct nc_link_info {
	int ifindex;
	char name[NC_IFNAME_MAX];
	char kind[16]; /* "bridge", "vxlan", "tun", "veth", "" ... */
	uint8_t mac[6];
	unsigned int mtu;
	bool up;    /* IFF_UP */
	int master; /* ifindex of the bridge it is attached to, or 0 */
	/* vxlan only */
	uint32_t vni;
	uint16_t port; /* UDP destination port */
	struct nc_addr local, remote;
};

/* Look a link up by name: 0, -ENODEV ("no interface 'x'"), or -errno. */
int nc_link_get(struct nc_nl *nl, const char *name, struct nc_link_info *out,
                struct nc_error *err);

/*
 * Call fn for each link; stops early and returns fn's value if it returns
 * non-zero. 0 or -errno.
 */
int nc_link_foreach(struct nc_nl *nl,
                    int (*fn)(void *arg, const struct nc_link_info *link),
                    void *arg, struct nc_error *err);

struct nc_vxlan_conf {
	char name[NC_IFNAME_MAX];
	uint32_t vni;          /* 1..16777215 */
	uint16_t port;         /* UDP destination port, e.g. 4789 */
	struct nc_addr local;  /* this end of the underlay */
	struct nc_addr remote; /* the other end: point to point, no flooding
	                          to a group, no learning of remote VTEPs */
	unsigned int mtu;      /* 0: leave the kernel's choice */
	uint8_t mac[6];        /* all zero: the kernel picks one */
};

/*
 * Create a VXLAN link, down. The outer packets leave without DF, so a
 * 1500-byte inner frame crosses a 1500-byte underlay in two fragments
 * rather than being dropped. -EEXIST if the name is taken; -EADDRINUSE
 * (message naming the link) if a vxlan link with the same VNI and port
 * exists, or if another program holds the UDP port.
 */
int nc_vxlan_create(struct nc_nl *nl, const struct nc_vxlan_conf *conf,
                    struct nc_error *err);

/*
 * Create a TAP link (no packet information header, IFF_NO_PI), down, with
 * the given MAC (all zero: the kernel's) and MTU (0: default). Returns the
 * open /dev/net/tun descriptor (O_CLOEXEC, blocking); the link lives while
 * it is open. -EEXIST if the name is taken.
 */
int nc_tap_create(const char *name, const uint8_t mac[6], unsigned int mtu,
                  struct nc_error *err);

/* Attach a link to a bridge, which must exist and be a bridge. */
int nc_link_set_master(struct nc_nl *nl, const char *name, const char *bridge,
                       struct nc_error *err);

int nc_link_set_up(struct nc_nl *nl, const char *name, struct nc_error *err);

/* Delete a link; 0 if it does not exist. */
int nc_link_delete(struct nc_nl *nl, const char *name, struct nc_error *err);

/* --- addresses, routes, rules, neighbours ---------------------------- */

/* Call fn for each address on link ifindex (0: all links). */
int nc_addr_foreach(struct nc_nl *nl, int ifindex,
                    int (*fn)(void *arg, int ifindex, const struct nc_addr *a,
                              unsigned int prefixlen),
                    void *arg, struct nc_error *err);

struct nc_route {
	struct nc_addr dst;   /* family set; all zero bytes + len 0: default */
	unsigned int dst_len; /* 0..32 or 0..128 */
	char dev[NC_IFNAME_MAX];
	struct nc_addr gw; /* family 0: directly connected */
	bool onlink;       /* RTNH_F_ONLINK: gw need not be on a subnet */
	uint32_t table;    /* 0: main */
};

/* Add (NLM_F_EXCL: -EEXIST if present) or delete (0 if absent) a route. */
int nc_route_add(struct nc_nl *nl, const struct nc_route *r,
                 struct nc_error *err);
int nc_route_del(struct nc_nl *nl, const struct nc_route *r,
                 struct nc_error *err);

/* Does table hold any route of family? (to pick a free table) */
int nc_route_table_used(struct nc_nl *nl, int family, uint32_t table,
                        bool *used, struct nc_error *err);

struct nc_rule {
	int family;         /* AF_INET or AF_INET6 */
	uint32_t priority;  /* > 0 */
	struct nc_addr src; /* from src/src_len */
	unsigned int src_len;
	char iif[NC_IFNAME_MAX]; /* "" for any */
	uint32_t table;
};

/* Add (-EEXIST if an identical rule exists) or delete (0 if absent). */
int nc_rule_add(struct nc_nl *nl, const struct nc_rule *r,
                struct nc_error *err);
int nc_rule_del(struct nc_nl *nl, const struct nc_rule *r,
                struct nc_error *err);

/* Is a rule with this priority present, for family? */
int nc_rule_priority_used(struct nc_nl *nl, int family, uint32_t priority,
                          bool *used, struct nc_error *err);

struct nc_neigh {
	struct nc_addr addr;
	char dev[NC_IFNAME_MAX];
	uint8_t mac[6]; /* permanent entries */
	bool proxy;     /* NTF_PROXY: answer ARP/NS for addr on dev; no mac */
	/* filled by nc_neigh_foreach only */
	uint16_t state; /* NUD_* */
};

/* Add a permanent (or proxy) entry, replacing one for the same address;
 * delete: 0 if absent. */
int nc_neigh_add(struct nc_nl *nl, const struct nc_neigh *n,
                 struct nc_error *err);
int nc_neigh_del(struct nc_nl *nl, const struct nc_neigh *n,
                 struct nc_error *err);

/* Call fn for each IPv4/IPv6 neighbour (not proxy) on link ifindex. */
int nc_neigh_foreach(struct nc_nl *nl, int ifindex,
                     int (*fn)(void *arg, const struct nc_neigh *n), void *arg,
                     struct nc_error *err);

/*
 * IPv4 proxy_arp (net.ipv4.conf.DEV.proxy_arp) of a link, over netlink
 * (IFLA_INET_CONF). get and set; *old may be NULL.
 */
int nc_link_proxy_arp_get(struct nc_nl *nl, const char *dev, int *value,
                          struct nc_error *err);
int nc_link_proxy_arp_set(struct nc_nl *nl, const char *dev, int value,
                          struct nc_error *err);

#endif
