/*
 * tunnel.h: one end of the tunnel that keeps a VM NIC's segment reachable
 * after the VM changes site. The three modes (see DESIGN.md, "Network
 * continuity"):
 *
 *  l2-extend  a VXLAN link per tunnel at each site, attached to the VM's
 *             bridge there: the segment spans both sites. At cutover the
 *             destination announces the VM (QEMU also sends its RARPs).
 *  l3         a VXLAN link per tunnel used as a routed point-to-point link.
 *             At cutover the source routes the VM's /32 into it, answers
 *             ARP for the VM on its bridge (proxy entry) and announces
 *             that. The destination routes the VM's /32 to its bridge,
 *             sends what the VM sends back into the tunnel (a source rule
 *             and a table of its own), answers ARP for everything else on
 *             the VM's subnet (proxy_arp on the bridge) and announces the
 *             VM's gateway and neighbours to it.
 *  encrypted  l2-extend with a TAP link instead of VXLAN; the caller pumps
 *             its frames over the transport (tapchan.h).
 *
 * Every object is recorded (record.h) before it is made. The steps are
 * prepare (before the migration), check (the source proves frames cross
 * both ways), cutover (at switchover) and teardown.
 */
#ifndef SKYFERRY_NC_TUNNEL_H
#define SKYFERRY_NC_TUNNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netcontinuity/announce.h"
#include "netcontinuity/netplan.h"
#include "netcontinuity/nl.h"
#include "netcontinuity/record.h"

#define NC_VXLAN_PORT_DEFAULT 4789
#define NC_VNI_MIN            4096
#define NC_VNI_MAX            16777215u
#define NC_STATE_DIR_DEFAULT  "/var/lib/skyferry/tunnels"

struct nc_tunnel_conf {
	enum nc_mode mode;
	enum nc_role role;
	uint8_t id[NC_TUNNEL_ID_LEN];
	const char *state_dir; /* where records live */
	const char *vm, *uuid; /* for the record */
	const char *peer;      /* the other site, for people */
	uint8_t vm_mac[6];
	char bridge[NC_IFNAME_MAX];   /* the VM's bridge at this site */
	uint32_t vni;                 /* l2-extend, l3 */
	uint16_t port;                /* l2-extend, l3 */
	unsigned int mtu;             /* of the VM's segment */
	struct nc_addr local, remote; /* underlay (l2-extend, l3) */
	const struct nc_addr *ips;    /* the VM's addresses */
	size_t n_ips;
	const struct nc_addr *peers; /* l3, destination: stand in for these */
	size_t n_peers;
};

struct nc_tunnel {
	struct nc_tunnel_conf conf;
	struct nc_record rec;
	char dev[NC_IFNAME_MAX];     /* this end's tunnel link */
	uint8_t mac[6], peer_mac[6]; /* of the two tunnel links */
	int tap_fd;                  /* encrypted: the TAP, -1 otherwise */
	struct nc_probe_responder *responder;
};

/* The tunnel link name for a conf: "sfv" + VNI in hex, or "sft" + id. */
void nc_tunnel_dev_name(const struct nc_tunnel_conf *conf, char *name);

/* The MAC of a tunnel end: locally administered, from id and role. */
void nc_tunnel_mac(const uint8_t id[NC_TUNNEL_ID_LEN], enum nc_role role,
                   uint8_t mac[6]);

/*
 * Check what prepare needs without changing anything: the bridge exists
 * and is one, the VNI/port and the link name are free, l3 has an IPv4
 * address to route. 0, or -errno with a message saying what to do.
 */
int nc_tunnel_precheck(struct nc_nl *nl, const struct nc_tunnel_conf *conf,
                       struct nc_error *err);

/*
 * Make this end: the record, then the link and (l3 destination) the routes,
 * rule, neighbour entries and proxy_arp. The destination also starts the
 * probe responder. On failure everything made so far is undone and the
 * record removed. *t is the caller's on success only (nc_tunnel_close).
 */
int nc_tunnel_prepare(struct nc_nl *nl, const struct nc_tunnel_conf *conf,
                      struct nc_tunnel *t, struct nc_error *err);

/* Source: probe the other end until it answers (timeout_ms). */
int nc_tunnel_check(struct nc_tunnel *t, unsigned int timeout_ms,
                    uint64_t *rtt_us, struct nc_error *err);

/* Switchover: move the traffic (see above) and record the new state. */
int nc_tunnel_cutover(struct nc_nl *nl, struct nc_tunnel *t,
                      struct nc_error *err);

/* The migration finished: mark the record committed. */
int nc_tunnel_commit(struct nc_tunnel *t, struct nc_error *err);

/*
 * Undo everything this end made, remove its record and, at the source of
 * a tunnel whose cutover happened, tell the segment the VM is back (a
 * failed migration). Closes the TAP. t stays valid for nc_tunnel_close.
 */
int nc_tunnel_teardown(struct nc_nl *nl, struct nc_tunnel *t,
                       struct nc_error *err);

/* Stop the responder and free what t holds (not the netlink objects:
 * a committed tunnel outlives the process that made it). NULL-safe. */
void nc_tunnel_close(struct nc_tunnel *t);

/* Tear down a recorded end found on disk (`tunnel teardown`, restart). */
int nc_tunnel_teardown_record(struct nc_nl *nl, const char *state_dir,
                              const struct nc_record *rec,
                              struct nc_error *err);

#endif
