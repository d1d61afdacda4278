/*
 * tunnel.c: make, switch over and remove one end of a VM NIC's tunnel.
 * See tunnel.h for what each mode does at each site.
 */
#include "netcontinuity/tunnel.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/neighbour.h>
#include <sys/syscall.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NC_L3_TABLE_BASE  0x5f000000u /* per-tunnel routing tables */
#define NC_L3_TABLE_TRIES 4096
#define NC_L3_RULE_PRIO   9000 /* before main (32766) */
#define NC_L3_RULE_TRIES  1000
#define NC_L3_GW4                                                              \
	"169.254.95.1" /* the source end, seen from                            \
	                   the destination's table */
#define NC_ANNOUNCE_ROUNDS   3
#define NC_ANNOUNCE_INTERVAL 100 /* ms */
#define NC_PROBE_INTERVAL_MS 100

void nc_tunnel_dev_name(const struct nc_tunnel_conf *conf, char *name)
{
	char hex[NC_TUNNEL_ID_HEX];

	if (conf->mode == NC_MODE_ENCRYPTED) {
		nc_tunnel_id_hex(conf->id, hex);
		snprintf(name, NC_IFNAME_MAX, "sft%.8s", hex);
	} else {
		snprintf(name, NC_IFNAME_MAX, "sfv%06x", conf->vni & 0xffffffu);
	}
}

void nc_tunnel_mac(const uint8_t id[NC_TUNNEL_ID_LEN], enum nc_role role,
                   uint8_t mac[6])
{
	/*
	 * Locally administered unicast, and above libvirt's fe:54:.. taps:
	 * a bridge without a fixed address takes the lowest of its ports'
	 * MACs, and a tunnel port must not become the gateway's MAC.
	 */
	mac[0] = 0xfe;
	mac[1] = 0x5f;
	mac[2] = id[0];
	mac[3] = id[1];
	mac[4] = id[2];
	mac[5] = role == NC_ROLE_SOURCE ? 0x01 : 0x02;
}

static bool nc_tunnel_has_vxlan(const struct nc_tunnel_conf *conf)
{
	return conf->mode == NC_MODE_L2_EXTEND || conf->mode == NC_MODE_L3;
}

static int nc_read_sysctl_int(const char *path, int *value)
{
	char buf[32];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	*value = atoi(buf);
	return 0;
}

static size_t nc_count_family(const struct nc_addr *a, size_t n, int family)
{
	size_t i, count = 0;

	for (i = 0; i < n; i++)
		count += a[i].family == family;
	return count;
}

/* Do we hold CAP_NET_ADMIN now (not merely as root)? */
static bool nc_have_net_admin(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) < 0)
		return false;
	return data[CAP_TO_INDEX(CAP_NET_ADMIN)].effective &
	       CAP_TO_MASK(CAP_NET_ADMIN);
}

int nc_tunnel_precheck(struct nc_nl *nl, const struct nc_tunnel_conf *conf,
                       struct nc_error *err)
{
	struct nc_link_info link;
	char name[NC_IFNAME_MAX];
	int rc, forward = 0;

	if (conf->mode == NC_MODE_NONE)
		return nc_error_set(err, -EINVAL, "no network mode");
	if (!nc_have_net_admin())
		return nc_error_set(err, -EPERM,
		                    "making tunnels needs CAP_NET_ADMIN (and "
		                    "CAP_NET_RAW): run as root");
	rc = nc_link_get(nl, conf->bridge, &link, err);
	if (rc == -ENODEV)
		return nc_error_set(err, rc,
		                    "bridge '%s' does not exist here: create "
		                    "it, or map the NIC to another bridge",
		                    conf->bridge);
	if (rc < 0)
		return rc;
	if (strcmp(link.kind, "bridge"))
		return nc_error_set(err, -EINVAL,
		                    "'%s' is not a bridge (it is a %s link): "
		                    "the VM's NIC must be on a bridge",
		                    conf->bridge,
		                    link.kind[0] ? link.kind : "plain");
	nc_tunnel_dev_name(conf, name);
	rc = nc_link_get(nl, name, &link, NULL);
	if (rc == 0)
		return nc_error_set(err, -EEXIST,
		                    "link %s already exists: VNI %u is in use "
		                    "by another tunnel here; choose another "
		                    "VNI or tear that tunnel down",
		                    name, conf->vni);
	if (nc_tunnel_has_vxlan(conf)) {
		if (conf->vni < 1 || conf->vni > NC_VNI_MAX)
			return nc_error_set(err, -EINVAL, "VNI %u is not 1..%u",
			                    conf->vni, NC_VNI_MAX);
		if (conf->local.family == 0 || conf->remote.family == 0 ||
		    conf->local.family != conf->remote.family)
			return nc_error_set(err, -EINVAL,
			                    "the tunnel needs a local and a "
			                    "remote underlay address of one "
			                    "family");
	}
	if (conf->mode == NC_MODE_L3) {
		if (nc_count_family(conf->ips, conf->n_ips, AF_INET) == 0)
			return nc_error_set(err, -EINVAL,
			                    "l3 mode needs the VM's IPv4 "
			                    "address: none is known for NIC "
			                    "%02x:%02x:%02x:%02x:%02x:%02x",
			                    conf->vm_mac[0], conf->vm_mac[1],
			                    conf->vm_mac[2], conf->vm_mac[3],
			                    conf->vm_mac[4], conf->vm_mac[5]);
		if (nc_count_family(conf->ips, conf->n_ips, AF_INET6))
			return nc_error_set(err, -EOPNOTSUPP,
			                    "l3 mode routes IPv4 only: use "
			                    "l2-extend for a NIC with IPv6 "
			                    "addresses");
		if (nc_read_sysctl_int("/proc/sys/net/ipv4/ip_forward",
		                       &forward) < 0 ||
		    forward != 1)
			return nc_error_set(err, -EPERM,
			                    "l3 mode needs IPv4 forwarding "
			                    "here: sysctl -w "
			                    "net.ipv4.ip_forward=1");
	}
	return 0;
}

/*
 * Record obj before it is made. Each nc_tunnel_obj_* then makes it, and
 * drops it from the record if that fails: an object that existed before
 * (-EEXIST) is not ours to remove later.
 */
static int nc_tunnel_add(struct nc_tunnel *t, const struct nc_obj *obj,
                         struct nc_error *err)
{
	return nc_record_add_obj(t->conf.state_dir, &t->rec, obj, err);
}

struct nc_tunnel_perm {
	const struct nc_addr *addr;
	bool found;
};

static int nc_tunnel_find_perm(void *arg, const struct nc_neigh *n)
{
	struct nc_tunnel_perm *p = arg;

	if ((n->state & NUD_PERMANENT) && nc_addr_equal(&n->addr, p->addr))
		p->found = true;
	return 0;
}

/*
 * A permanent neighbour entry someone else made must not become ours (a
 * replace would take it over, and teardown would delete it): -EEXIST.
 */
static int nc_tunnel_neigh_free(struct nc_nl *nl, const struct nc_neigh *n,
                                struct nc_error *err)
{
	struct nc_tunnel_perm p = { .addr = &n->addr };
	struct nc_link_info link;
	char a[NC_ADDR_STRLEN];
	int rc;

	if (n->proxy)
		return 0;
	rc = nc_link_get(nl, n->dev, &link, err);
	if (rc < 0)
		return rc;
	rc = nc_neigh_foreach(nl, link.ifindex, nc_tunnel_find_perm, &p, err);
	if (rc < 0)
		return rc;
	if (p.found)
		return nc_error_set(err, -EEXIST,
		                    "a permanent neighbour entry for %s on %s "
		                    "exists already and is not skyferry's: "
		                    "remove it first",
		                    nc_addr_format(&n->addr, a, sizeof(a)),
		                    n->dev);
	return 0;
}

/* Record obj, then make it; drop it from the record if that fails. */
static int nc_tunnel_make(struct nc_nl *nl, struct nc_tunnel *t,
                          const struct nc_obj *obj, struct nc_error *err)
{
	int rc = 0;

	if (obj->kind == NC_OBJ_NEIGH)
		rc = nc_tunnel_neigh_free(nl, &obj->neigh, err);
	if (rc == 0)
		rc = nc_tunnel_add(t, obj, err);
	if (rc < 0)
		return rc;
	switch (obj->kind) {
	case NC_OBJ_ROUTE:
		rc = nc_route_add(nl, &obj->route, err);
		break;
	case NC_OBJ_RULE:
		rc = nc_rule_add(nl, &obj->rule, err);
		break;
	case NC_OBJ_NEIGH:
		rc = nc_neigh_add(nl, &obj->neigh, err);
		break;
	default:
		rc = nc_error_set(err, -EINVAL, "internal: object kind %d",
		                  obj->kind);
	}
	if (rc < 0)
		nc_record_drop_last(t->conf.state_dir, &t->rec, NULL);
	return rc;
}

static int nc_tunnel_obj_route(struct nc_nl *nl, struct nc_tunnel *t,
                               const struct nc_route *r, struct nc_error *err)
{
	struct nc_obj obj = { .kind = NC_OBJ_ROUTE, .route = *r };

	return nc_tunnel_make(nl, t, &obj, err);
}

static int nc_tunnel_obj_rule(struct nc_nl *nl, struct nc_tunnel *t,
                              const struct nc_rule *r, struct nc_error *err)
{
	struct nc_obj obj = { .kind = NC_OBJ_RULE, .rule = *r };

	return nc_tunnel_make(nl, t, &obj, err);
}

static int nc_tunnel_obj_neigh(struct nc_nl *nl, struct nc_tunnel *t,
                               const struct nc_neigh *n, struct nc_error *err)
{
	struct nc_obj obj = { .kind = NC_OBJ_NEIGH, .neigh = *n };

	return nc_tunnel_make(nl, t, &obj, err);
}

static int nc_tunnel_obj_link(struct nc_nl *nl, struct nc_tunnel *t,
                              struct nc_error *err)
{
	const struct nc_tunnel_conf *c = &t->conf;
	struct nc_obj obj = { .kind = NC_OBJ_LINK };
	struct nc_vxlan_conf vx = { 0 };
	int rc;

	snprintf(obj.link, sizeof(obj.link), "%s", t->dev);
	rc = nc_tunnel_add(t, &obj, err);
	if (rc < 0)
		return rc;
	if (c->mode == NC_MODE_ENCRYPTED) {
		rc = nc_tap_create(t->dev, t->mac, c->mtu, err);
		if (rc >= 0) {
			t->tap_fd = rc;
			rc = 0;
		}
	} else {
		snprintf(vx.name, sizeof(vx.name), "%s", t->dev);
		vx.vni = c->vni;
		vx.port = c->port;
		vx.local = c->local;
		vx.remote = c->remote;
		vx.mtu = c->mtu;
		memcpy(vx.mac, t->mac, 6);
		rc = nc_vxlan_create(nl, &vx, err);
	}
	if (rc < 0) {
		nc_record_drop_last(c->state_dir, &t->rec, NULL);
		return rc;
	}
	if (c->mode != NC_MODE_L3)
		rc = nc_link_set_master(nl, t->dev, c->bridge, err);
	if (rc == 0)
		rc = nc_link_set_up(nl, t->dev, err);
	return rc;
}

/* Pick a routing table and a rule priority nobody uses. */
static int nc_tunnel_l3_slots(struct nc_nl *nl, struct nc_tunnel *t,
                              uint32_t *table, uint32_t *prio,
                              struct nc_error *err)
{
	bool used = true;
	unsigned int i;
	int rc;

	for (i = 0; i < NC_L3_TABLE_TRIES && used; i++) {
		*table = NC_L3_TABLE_BASE + ((t->conf.vni + i) & 0xffffffu);
		rc = nc_route_table_used(nl, AF_INET, *table, &used, err);
		if (rc < 0)
			return rc;
	}
	if (used)
		return nc_error_set(err, -ENOSPC, "no free routing table");
	used = true;
	for (i = 0; i < NC_L3_RULE_TRIES && used; i++) {
		*prio = NC_L3_RULE_PRIO + i;
		rc = nc_rule_priority_used(nl, AF_INET, *prio, &used, err);
		if (rc < 0)
			return rc;
	}
	if (used)
		return nc_error_set(err, -ENOSPC, "no free rule priority");
	return 0;
}

/*
 * The destination of an l3 tunnel: the VM's /32 goes to the bridge; what
 * the VM sends goes to the tunnel; ARP for anything else on the VM's
 * subnet is answered here.
 */
static int nc_tunnel_l3_dest(struct nc_nl *nl, struct nc_tunnel *t,
                             struct nc_error *err)
{
	const struct nc_tunnel_conf *c = &t->conf;
	struct nc_route r = { 0 };
	struct nc_rule rule = { 0 };
	struct nc_neigh n = { 0 };
	struct nc_obj obj = { .kind = NC_OBJ_PROXY_ARP };
	uint32_t table = 0, prio = 0;
	int rc, old = 0;
	size_t i;

	rc = nc_tunnel_l3_slots(nl, t, &table, &prio, err);
	if (rc < 0)
		return rc;
	nc_addr_parse(NC_L3_GW4, &n.addr);
	snprintf(n.dev, sizeof(n.dev), "%s", t->dev);
	memcpy(n.mac, t->peer_mac, 6);
	rc = nc_tunnel_obj_neigh(nl, t, &n, err);
	if (rc < 0)
		return rc;
	r.dst.family = AF_INET;
	r.dst_len = 0;
	snprintf(r.dev, sizeof(r.dev), "%s", t->dev);
	r.gw = n.addr;
	r.onlink = true;
	r.table = table;
	rc = nc_tunnel_obj_route(nl, t, &r, err);
	if (rc < 0)
		return rc;
	for (i = 0; i < c->n_ips; i++) {
		if (c->ips[i].family != AF_INET)
			continue;
		memset(&r, 0, sizeof(r));
		r.dst = c->ips[i];
		r.dst_len = 32;
		snprintf(r.dev, sizeof(r.dev), "%s", c->bridge);
		rc = nc_tunnel_obj_route(nl, t, &r, err);
		if (rc < 0)
			return rc;
		memset(&n, 0, sizeof(n));
		n.addr = c->ips[i];
		snprintf(n.dev, sizeof(n.dev), "%s", c->bridge);
		memcpy(n.mac, c->vm_mac, 6);
		rc = nc_tunnel_obj_neigh(nl, t, &n, err);
		if (rc < 0)
			return rc;
		memset(&rule, 0, sizeof(rule));
		rule.family = AF_INET;
		rule.priority = prio;
		rule.src = c->ips[i];
		rule.src_len = 32;
		snprintf(rule.iif, sizeof(rule.iif), "%s", c->bridge);
		rule.table = table;
		rc = nc_tunnel_obj_rule(nl, t, &rule, err);
		if (rc < 0)
			return rc;
	}
	rc = nc_link_proxy_arp_get(nl, c->bridge, &old, err);
	if (rc < 0 || old == 1)
		return rc;
	snprintf(obj.dev, sizeof(obj.dev), "%s", c->bridge);
	obj.old_value = old;
	obj.new_value = 1;
	rc = nc_tunnel_add(t, &obj, err);
	if (rc < 0)
		return rc;
	return nc_link_proxy_arp_set(nl, c->bridge, 1, err);
}

static int nc_tunnel_set_state(struct nc_tunnel *t, enum nc_state state,
                               struct nc_error *err)
{
	t->rec.state = state;
	return nc_record_save(t->conf.state_dir, &t->rec, err);
}

int nc_tunnel_prepare(struct nc_nl *nl, const struct nc_tunnel_conf *conf,
                      struct nc_tunnel *t, struct nc_error *err)
{
	struct nc_record *rec;
	char mac[NC_MAC_STRLEN];
	int rc;

	memset(t, 0, sizeof(*t));
	t->conf = *conf;
	t->tap_fd = -1;
	rc = nc_tunnel_precheck(nl, conf, err);
	if (rc < 0)
		return rc;
	nc_tunnel_dev_name(conf, t->dev);
	nc_tunnel_mac(conf->id, conf->role, t->mac);
	nc_tunnel_mac(conf->id,
	              conf->role == NC_ROLE_SOURCE ? NC_ROLE_DEST
	                                           : NC_ROLE_SOURCE,
	              t->peer_mac);
	rec = &t->rec;
	rec->version = NC_RECORD_VERSION;
	nc_tunnel_id_hex(conf->id, rec->id);
	rec->mode = conf->mode;
	rec->role = conf->role;
	rec->state = NC_STATE_PREPARED;
	snprintf(rec->vm, sizeof(rec->vm), "%s", conf->vm);
	snprintf(rec->uuid, sizeof(rec->uuid), "%s", conf->uuid);
	nc_mac_format(conf->vm_mac, mac, sizeof(mac));
	snprintf(rec->nic_mac, sizeof(rec->nic_mac), "%s", mac);
	snprintf(rec->peer, sizeof(rec->peer), "%s", conf->peer);
	if (nc_tunnel_has_vxlan(conf)) {
		rec->local = conf->local;
		rec->remote = conf->remote;
		rec->vni = conf->vni;
		rec->port = conf->port;
	}
	rec->created = (int64_t)time(NULL);
	rc = nc_record_save(conf->state_dir, rec, err);
	if (rc < 0)
		return rc;
	rc = nc_tunnel_obj_link(nl, t, err);
	if (rc == 0 && conf->mode == NC_MODE_L3 && conf->role == NC_ROLE_DEST)
		rc = nc_tunnel_l3_dest(nl, t, err);
	if (rc == 0 && conf->role == NC_ROLE_DEST) {
		t->responder =
		    nc_probe_responder_start(t->dev, t->mac, conf->id, err);
		if (!t->responder)
			rc = err && err->code ? err->code : -EIO;
	}
	if (rc < 0) {
		struct nc_error uerr = { 0 };

		nc_tunnel_teardown(nl, t, &uerr);
		nc_tunnel_close(t);
		return rc;
	}
	return 0;
}

int nc_tunnel_check(struct nc_tunnel *t, unsigned int timeout_ms,
                    uint64_t *rtt_us, struct nc_error *err)
{
	return nc_probe_check(t->dev, t->mac, t->peer_mac, t->conf.id,
	                      NC_PROBE_INTERVAL_MS, timeout_ms, rtt_us, err);
}

/* The source of an l3 tunnel at switchover: the VM's /32 into the tunnel,
 * and this host answers ARP for it on the bridge. */
static int nc_tunnel_l3_source_cutover(struct nc_nl *nl, struct nc_tunnel *t,
                                       struct nc_error *err)
{
	const struct nc_tunnel_conf *c = &t->conf;
	struct nc_route r;
	struct nc_neigh n;
	size_t i;
	int rc;

	for (i = 0; i < c->n_ips; i++) {
		if (c->ips[i].family != AF_INET)
			continue;
		memset(&n, 0, sizeof(n));
		n.addr = c->ips[i];
		snprintf(n.dev, sizeof(n.dev), "%s", t->dev);
		memcpy(n.mac, t->peer_mac, 6);
		rc = nc_tunnel_obj_neigh(nl, t, &n, err);
		if (rc < 0)
			return rc;
		memset(&r, 0, sizeof(r));
		r.dst = c->ips[i];
		r.dst_len = 32;
		snprintf(r.dev, sizeof(r.dev), "%s", t->dev);
		rc = nc_tunnel_obj_route(nl, t, &r, err);
		if (rc < 0)
			return rc;
		memset(&n, 0, sizeof(n));
		n.addr = c->ips[i];
		snprintf(n.dev, sizeof(n.dev), "%s", c->bridge);
		n.proxy = true;
		rc = nc_tunnel_obj_neigh(nl, t, &n, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int nc_tunnel_cutover(struct nc_nl *nl, struct nc_tunnel *t,
                      struct nc_error *err)
{
	const struct nc_tunnel_conf *c = &t->conf;
	struct nc_link_info br;
	int rc = 0;

	if (c->mode == NC_MODE_L3) {
		rc = nc_link_get(nl, c->bridge, &br, err);
		if (rc == 0 && c->role == NC_ROLE_SOURCE)
			rc = nc_tunnel_l3_source_cutover(nl, t, err);
		if (rc == 0 && c->role == NC_ROLE_SOURCE)
			rc = nc_announce(c->bridge, br.mac, c->ips, c->n_ips,
			                 NC_ANNOUNCE_ROUNDS,
			                 NC_ANNOUNCE_INTERVAL, err);
		else if (rc == 0 && c->n_peers)
			rc = nc_announce(c->bridge, br.mac, c->peers,
			                 c->n_peers, NC_ANNOUNCE_ROUNDS,
			                 NC_ANNOUNCE_INTERVAL, err);
	} else if (c->role == NC_ROLE_DEST && c->n_ips) {
		rc = nc_announce(c->bridge, c->vm_mac, c->ips, c->n_ips,
		                 NC_ANNOUNCE_ROUNDS, NC_ANNOUNCE_INTERVAL, err);
	}
	if (rc < 0)
		return rc;
	return nc_tunnel_set_state(t, NC_STATE_CUTOVER, err);
}

int nc_tunnel_commit(struct nc_tunnel *t, struct nc_error *err)
{
	nc_probe_responder_stop(t->responder);
	t->responder = NULL;
	return nc_tunnel_set_state(t, NC_STATE_COMMITTED, err);
}

int nc_tunnel_teardown(struct nc_nl *nl, struct nc_tunnel *t,
                       struct nc_error *err)
{
	const struct nc_tunnel_conf *c = &t->conf;
	bool was_cut = t->rec.state != NC_STATE_PREPARED;
	int rc;

	nc_probe_responder_stop(t->responder);
	t->responder = NULL;
	if (t->tap_fd >= 0)
		close(t->tap_fd);
	t->tap_fd = -1;
	rc = nc_record_undo(nl, &t->rec, err);
	if (rc == 0)
		rc = nc_record_remove(c->state_dir, t->rec.id, err);
	/* The VM stays here after all: the segment must hear it is. */
	if (was_cut && c->role == NC_ROLE_SOURCE && c->n_ips)
		nc_announce(c->bridge, c->vm_mac, c->ips, c->n_ips,
		            NC_ANNOUNCE_ROUNDS, NC_ANNOUNCE_INTERVAL, NULL);
	return rc;
}

void nc_tunnel_close(struct nc_tunnel *t)
{
	if (!t)
		return;
	nc_probe_responder_stop(t->responder);
	t->responder = NULL;
	if (t->tap_fd >= 0)
		close(t->tap_fd);
	t->tap_fd = -1;
}

int nc_tunnel_teardown_record(struct nc_nl *nl, const char *state_dir,
                              const struct nc_record *rec, struct nc_error *err)
{
	int rc = nc_record_undo(nl, rec, err);

	if (rc == 0)
		rc = nc_record_remove(state_dir, rec->id, err);
	return rc;
}
