/*
 * netplan.h: the network part of a migration, agreed between migrator and
 * receiver over the control channel after the VM plan.
 *
 *   migrator -> receiver  {"type":"net", ...}          struct nc_net_plan
 *   receiver -> migrator  {"type":"net-answer", ...}   struct nc_net_answer
 *
 * Same rules as hypervisor/plan.h: one JSON object of at most
 * NC_NETPLAN_MSG_MAX bytes; the decoders read untrusted input and reject
 * unknown keys, missing or mistyped fields and out-of-range values with a
 * message naming the field ("net: nics[0].vni 0 is not 1..16777215");
 * -EMSGSIZE for an empty or oversized buffer, -EPROTO otherwise, -ENOMEM.
 * Encoders check the same rules (-EINVAL).
 */
#ifndef SKYFERRY_NC_NETPLAN_H
#define SKYFERRY_NC_NETPLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netcontinuity/nc_addr.h"
#include "netcontinuity/nc_error.h"
#include "netcontinuity/record.h"

#define NC_NETPLAN_MSG_MAX    (64u << 10)
#define NC_NICS_MAX           16
#define NC_NIC_IPS_MAX        16  /* the VM's own addresses on a NIC */
#define NC_NIC_PEERS_MAX      256 /* l3: addresses to stand in for, e.g. a /24 */
#define NC_NETPLAN_CHECKS_MAX 32

struct nc_nic_plan {
	char mac[NC_MAC_STRLEN];       /* the VM NIC, canonical unicast */
	enum nc_mode mode;             /* not NC_MODE_NONE */
	char bridge[NC_IFNAME_MAX];    /* the NIC's bridge at the destination */
	char tunnel[NC_TUNNEL_ID_HEX]; /* this NIC's tunnel id */
	uint32_t vni;                  /* l2-extend, l3: 1..16777215 */
	uint16_t port;                 /* l2-extend, l3: UDP port, 1..65535 */
	unsigned int mtu;              /* of the VM's segment, 576..65535 */
	struct nc_addr ips[NC_NIC_IPS_MAX];     /* the VM's addresses */
	size_t n_ips;                           /* l3: at least one */
	struct nc_addr peers[NC_NIC_PEERS_MAX]; /* l3: the VM's gateway and
	                                on-link neighbours at the source */
	size_t n_peers;
};

struct nc_net_plan {
	struct nc_addr underlay; /* the source end of the tunnels */
	struct nc_nic_plan nics[NC_NICS_MAX];
	size_t n_nics; /* 1..NC_NICS_MAX, MACs unique */
};

struct nc_nic_answer {
	char mac[NC_MAC_STRLEN]; /* a NIC of the plan, each once */
	char dev[NC_IFNAME_MAX]; /* the tunnel link at the destination */
};

struct nc_net_answer {
	bool ok;
	char error[512]; /* when !ok (required); "" when ok */
	char checks[NC_NETPLAN_CHECKS_MAX][160];
	size_t n_checks;
	struct nc_addr underlay; /* the destination end; not sent !ok */
	struct nc_nic_answer nics[NC_NICS_MAX]; /* not sent when !ok */
	size_t n_nics;
};

char *nc_net_plan_encode(const struct nc_net_plan *p, struct nc_error *err);
int nc_net_plan_decode(const char *buf, size_t len, struct nc_net_plan *p,
                       struct nc_error *err);
char *nc_net_answer_encode(const struct nc_net_answer *a, struct nc_error *err);
int nc_net_answer_decode(const char *buf, size_t len, struct nc_net_answer *a,
                         struct nc_error *err);

/* An answer must be ok and name each NIC of p exactly once. 0 or -EPROTO. */
int nc_net_answer_match(const struct nc_net_plan *p,
                        const struct nc_net_answer *a, struct nc_error *err);

#endif
