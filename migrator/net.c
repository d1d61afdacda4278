/*
 * net.c: the source end of the VM's tunnels during `migrator migrate`.
 */
#include "migrator/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/neighbour.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "migrator/keeper.h"
#include "netcontinuity/netplan.h"
#include "netcontinuity/nl.h"
#include "netcontinuity/tunnel.h"
#include "transport/tp_msg.h"

#define MIG_NET_ANSWER_WAIT_MS 60000
#define MIG_NET_CHECK_MS       10000
#define MIG_NET_SUBNET_MIN_LEN                                                 \
	24 /* stand in for every address of a                                  \
	      subnet this small (l3) */

struct mig_net {
	const struct mig_opts *o;
	struct mig_events *ev;
	const char *dir;
	struct nc_net_plan plan;
	struct nc_net_answer answer;
	char src_bridge[NC_NICS_MAX][NC_IFNAME_MAX];
	uint8_t ids[NC_NICS_MAX][NC_TUNNEL_ID_LEN];
	struct nc_tunnel tunnels[NC_NICS_MAX];
	bool made[NC_NICS_MAX];
	pid_t keepers[NC_NICS_MAX]; /* encrypted: the keeper process */
	pthread_t cut_thread;
	atomic_bool cut_started;
	char peer[256];
	char uuid[37];
};

static int mig_net_fail(char *err, size_t errlen, int code, const char *fmt,
                        ...) __attribute__((format(printf, 4, 5)));

static int mig_net_fail(char *err, size_t errlen, int code, const char *fmt,
                        ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return code;
}

/* The value of a [MAC=]VALUE option for mac: its own first, else the
 * one for every NIC, else NULL. */
static const char *mig_net_opt_for(const struct mig_nic_opt *list, size_t n,
                                   const char *mac)
{
	const char *any = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!strcmp(list[i].mac, mac))
			return list[i].value;
		if (!list[i].mac[0] && !any)
			any = list[i].value;
	}
	return any;
}

/* A neighbour that is a host we heard from, not a multicast mapping or a
 * failed lookup. */
static bool mig_net_neigh_real(const struct nc_neigh *n)
{
	return !(n->state & (NUD_NOARP | NUD_FAILED | NUD_INCOMPLETE));
}

struct mig_net_find {
	const uint8_t *mac;
	struct nc_nic_plan *nic;
};

/* A neighbour entry of the source bridge with the VM's MAC: its address. */
static int mig_net_find_ip(void *arg, const struct nc_neigh *n)
{
	struct mig_net_find *f = arg;

	if (memcmp(n->mac, f->mac, 6) || f->nic->n_ips >= NC_NIC_IPS_MAX ||
	    !mig_net_neigh_real(n))
		return 0;
	f->nic->ips[f->nic->n_ips++] = n->addr;
	return 0;
}

struct mig_net_subnet {
	const struct nc_addr *vm; /* the VM's IPv4 address */
	struct nc_addr prefix;
	unsigned int len;
	struct nc_addr own; /* the bridge's address there */
	bool found;
};

static uint32_t mig_net_v4(const struct nc_addr *a)
{
	uint32_t v;

	memcpy(&v, a->bytes, 4);
	return ntohl(v);
}

static void mig_net_set_v4(struct nc_addr *a, uint32_t v)
{
	memset(a, 0, sizeof(*a));
	a->family = AF_INET;
	v = htonl(v);
	memcpy(a->bytes, &v, 4);
}

static uint32_t mig_net_mask(unsigned int len)
{
	return len ? ~0u << (32 - len) : 0;
}

/* Which of the bridge's IPv4 subnets holds the VM's address? */
static int mig_net_find_subnet(void *arg, int ifindex, const struct nc_addr *a,
                               unsigned int len)
{
	struct mig_net_subnet *s = arg;
	uint32_t mask = mig_net_mask(len);

	(void)ifindex;
	if (s->found || a->family != AF_INET || len > 32)
		return 0;
	if ((mig_net_v4(a) & mask) != (mig_net_v4(s->vm) & mask))
		return 0;
	mig_net_set_v4(&s->prefix, mig_net_v4(a) & mask);
	s->len = len;
	s->own = *a;
	s->found = true;
	return 0;
}

struct mig_net_peers {
	struct nc_nic_plan *nic;
	uint32_t net, mask;
};

static bool mig_net_is_vm_ip(const struct nc_nic_plan *nic,
                             const struct nc_addr *a)
{
	size_t i;

	for (i = 0; i < nic->n_ips; i++)
		if (nc_addr_equal(&nic->ips[i], a))
			return true;
	return false;
}

static void mig_net_add_peer(struct nc_nic_plan *nic, const struct nc_addr *a)
{
	size_t i;

	if (nic->n_peers >= NC_NIC_PEERS_MAX || mig_net_is_vm_ip(nic, a))
		return;
	for (i = 0; i < nic->n_peers; i++)
		if (nc_addr_equal(&nic->peers[i], a))
			return;
	nic->peers[nic->n_peers++] = *a;
}

static int mig_net_neigh_peer(void *arg, const struct nc_neigh *n)
{
	struct mig_net_peers *p = arg;

	if (n->addr.family == AF_INET && mig_net_neigh_real(n) &&
	    (mig_net_v4(&n->addr) & p->mask) == p->net)
		mig_net_add_peer(p->nic, &n->addr);
	return 0;
}

/*
 * l3: what the destination must answer for on the VM's behalf: every
 * address of the VM's subnet when it is small (the VM may hold ARP entries
 * for any of them), else the gateway and the neighbours known here.
 */
static int mig_net_plan_peers(struct nc_nl *nl, int ifindex,
                              struct nc_nic_plan *nic, char *err, size_t errlen)
{
	struct mig_net_subnet s = { 0 };
	struct mig_net_peers p = { .nic = nic };
	struct nc_error nerr = { 0 };
	struct nc_addr a;
	uint32_t host, first, last;
	char buf[NC_ADDR_STRLEN];
	size_t i;

	for (i = 0; i < nic->n_ips && !s.found; i++) {
		if (nic->ips[i].family != AF_INET)
			continue;
		s.vm = &nic->ips[i];
		if (nc_addr_foreach(nl, ifindex, mig_net_find_subnet, &s,
		                    &nerr) < 0)
			return mig_net_fail(err, errlen, nerr.code, "%s",
			                    nerr.msg);
	}
	if (!s.found)
		return mig_net_fail(
		    err, errlen, -EINVAL,
		    "l3: no address of bridge %s is on the subnet of the VM's "
		    "%s; the source must be the VM's gateway",
		    nic->bridge, nc_addr_format(s.vm, buf, sizeof(buf)));
	mig_net_add_peer(nic, &s.own);
	p.mask = mig_net_mask(s.len);
	p.net = mig_net_v4(&s.prefix);
	if (s.len >= MIG_NET_SUBNET_MIN_LEN && s.len <= 30) {
		first = p.net + 1;
		last = (p.net | ~p.mask) - 1;
		for (host = first; host <= last; host++) {
			mig_net_set_v4(&a, host);
			mig_net_add_peer(nic, &a);
		}
		return 0;
	}
	if (nc_neigh_foreach(nl, ifindex, mig_net_neigh_peer, &p, &nerr) < 0)
		return mig_net_fail(err, errlen, nerr.code, "%s", nerr.msg);
	return 0;
}

static int mig_net_plan_nic(struct mig_net *net, struct nc_nl *nl,
                            const struct hv_nic *hn, const char *mode,
                            char *err, size_t errlen)
{
	const struct mig_opts *o = net->o;
	struct nc_nic_plan *nic = &net->plan.nics[net->plan.n_nics];
	char *src_bridge = net->src_bridge[net->plan.n_nics];
	uint8_t *id = net->ids[net->plan.n_nics];
	struct nc_error nerr = { 0 };
	struct nc_link_info br;
	struct mig_net_find f;
	uint8_t mac[6];
	const char *v;
	size_t i;
	int rc;

	if (strcmp(hn->type, "bridge") || !hn->source[0])
		return mig_net_fail(err, errlen, -EINVAL,
		                    "--net: NIC %s is a '%s' interface; "
		                    "skyferry extends bridged NICs only",
		                    hn->mac, hn->type);
	snprintf(nic->mac, sizeof(nic->mac), "%s", hn->mac);
	nc_mode_parse(mode, &nic->mode);
	snprintf(src_bridge, NC_IFNAME_MAX, "%s", hn->source);
	v = mig_net_opt_for(o->bridges, o->n_bridges, hn->mac);
	snprintf(nic->bridge, sizeof(nic->bridge), "%s", v ? v : hn->source);
	if (getrandom(id, NC_TUNNEL_ID_LEN, 0) != NC_TUNNEL_ID_LEN)
		return mig_net_fail(err, errlen, -EIO, "getrandom failed");
	nc_tunnel_id_hex(id, nic->tunnel);
	rc = nc_link_get(nl, src_bridge, &br, &nerr);
	if (rc < 0)
		return mig_net_fail(err, errlen, rc,
		                    "NIC %s: its bridge here: %s", hn->mac,
		                    nerr.msg);
	nic->mtu = br.mtu;
	if (nic->mode != NC_MODE_ENCRYPTED) {
		nic->port = o->vxlan_port;
		nic->vni = o->vni
		               ? o->vni + (uint32_t)net->plan.n_nics
		               : NC_VNI_MIN + ((uint32_t)id[3] << 16 |
		                               (uint32_t)id[4] << 8 | id[5]) %
		                                  (NC_VNI_MAX - NC_VNI_MIN);
	}
	for (i = 0; i < o->n_vm_ips; i++) {
		if (o->vm_ips[i].mac[0] && strcmp(o->vm_ips[i].mac, hn->mac))
			continue;
		if (nic->n_ips < NC_NIC_IPS_MAX &&
		    nc_addr_parse(o->vm_ips[i].value, &nic->ips[nic->n_ips]) ==
		        0)
			nic->n_ips++;
	}
	if (nic->n_ips == 0) {
		nc_mac_parse(hn->mac, mac);
		f.mac = mac;
		f.nic = nic;
		if (nc_neigh_foreach(nl, br.ifindex, mig_net_find_ip, &f,
		                     &nerr) < 0)
			return mig_net_fail(err, errlen, nerr.code, "%s",
			                    nerr.msg);
	}
	if (nic->n_ips == 0 && nic->mode == NC_MODE_L3)
		return mig_net_fail(
		    err, errlen, -EINVAL,
		    "l3: NIC %s has no address in this host's neighbour table "
		    "on %s; give it with --vm-ip %s=ADDR",
		    hn->mac, src_bridge, hn->mac);
	if (nic->mode == NC_MODE_L3) {
		rc = mig_net_plan_peers(nl, br.ifindex, nic, err, errlen);
		if (rc < 0)
			return rc;
	}
	net->plan.n_nics++;
	return 0;
}

int mig_net_new(const struct mig_opts *o, const struct hv_domain *dom,
                struct mig_events *ev, struct mig_net **out, char *err,
                size_t errlen)
{
	struct mig_net *net = NULL;
	struct nc_error nerr = { 0 };
	struct nc_nl *nl = NULL;
	const char *mode;
	size_t i, j;
	int rc = 0;

	*out = NULL;
	if (o->n_nets == 0)
		return 0;
	for (i = 0; i < o->n_nets; i++) {
		if (!o->nets[i].mac[0])
			continue;
		for (j = 0; j < dom->n_nics; j++)
			if (!strcmp(dom->nics[j].mac, o->nets[i].mac))
				break;
		if (j == dom->n_nics)
			return mig_net_fail(err, errlen, -EINVAL,
			                    "--net: '%s' has no NIC %s",
			                    dom->name, o->nets[i].mac);
	}
	net = calloc(1, sizeof(*net));
	if (!net)
		return mig_net_fail(err, errlen, -ENOMEM, "out of memory");
	net->o = o;
	net->ev = ev;
	net->dir = o->tunnel_dir ? o->tunnel_dir : NC_STATE_DIR_DEFAULT;
	snprintf(net->uuid, sizeof(net->uuid), "%s", dom->uuid);
	nl = nc_nl_open(&nerr);
	if (!nl) {
		rc = mig_net_fail(err, errlen, nerr.code, "%s", nerr.msg);
		goto out;
	}
	for (i = 0; i < dom->n_nics && i < NC_NICS_MAX; i++) {
		mode = mig_net_opt_for(o->nets, o->n_nets, dom->nics[i].mac);
		if (!mode)
			continue;
		rc =
		    mig_net_plan_nic(net, nl, &dom->nics[i], mode, err, errlen);
		if (rc < 0)
			goto out;
	}
	if (net->plan.n_nics == 0)
		rc =
		    mig_net_fail(err, errlen, -EINVAL,
		                 "--net: '%s' has no NIC to extend", dom->name);
out:
	nc_nl_close(nl);
	if (rc < 0) {
		free(net);
		return rc;
	}
	*out = net;
	return 0;
}

static int mig_net_exchange(struct mig_net *net, int control_fd, char *err,
                            size_t errlen)
{
	struct nc_error nerr = { 0 };
	struct tp_error terr = { 0 };
	char *msg = NULL;
	ssize_t len;
	size_t i;
	int rc;

	msg = nc_net_plan_encode(&net->plan, &nerr);
	if (!msg)
		return mig_net_fail(err, errlen, nerr.code, "net plan: %s",
		                    nerr.msg);
	rc = tp_msg_send(control_fd, msg, strlen(msg), &terr);
	free(msg);
	msg = NULL;
	if (rc < 0)
		return mig_net_fail(err, errlen, rc, "sending the net plan: %s",
		                    terr.msg);
	len = tp_msg_recv(control_fd, &msg, MIG_NET_ANSWER_WAIT_MS, &terr);
	if (len < 0)
		return mig_net_fail(err, errlen, (int)len,
		                    "no network answer from the receiver: %s",
		                    terr.msg);
	rc = nc_net_answer_decode(msg, (size_t)len, &net->answer, &nerr);
	free(msg);
	if (rc < 0)
		return mig_net_fail(err, errlen, rc, "receiver: %s", nerr.msg);
	for (i = 0; i < net->answer.n_checks; i++)
		mig_events_log(net->ev, "info", "receiver: %s",
		               net->answer.checks[i]);
	if (!net->answer.ok)
		return mig_net_fail(
		    err, errlen, -EPERM,
		    "the receiver cannot extend the network: %s",
		    net->answer.error);
	if (nc_net_answer_match(&net->plan, &net->answer, &nerr) < 0)
		return mig_net_fail(err, errlen, -EPROTO, "receiver: %s",
		                    nerr.msg);
	return 0;
}

static const char *mig_net_answer_dev(const struct mig_net *net,
                                      const char *mac)
{
	size_t i;

	for (i = 0; i < net->answer.n_nics; i++)
		if (!strcmp(net->answer.nics[i].mac, mac))
			return net->answer.nics[i].dev;
	return "?";
}

/* The conf of NIC i's source end; before the receiver answered, the
 * remote end is a stand-in of the same family. */
static void mig_net_conf(struct mig_net *net, size_t i,
                         struct nc_tunnel_conf *c)
{
	struct nc_nic_plan *nic = &net->plan.nics[i];

	memset(c, 0, sizeof(*c));
	c->mode = nic->mode;
	c->role = NC_ROLE_SOURCE;
	memcpy(c->id, net->ids[i], NC_TUNNEL_ID_LEN);
	c->state_dir = net->dir;
	c->vm = net->o->domain;
	c->uuid = net->uuid;
	c->peer = net->peer;
	nc_mac_parse(nic->mac, c->vm_mac);
	snprintf(c->bridge, sizeof(c->bridge), "%s", net->src_bridge[i]);
	c->vni = nic->vni;
	c->port = nic->port;
	c->mtu = nic->mtu;
	c->local = net->plan.underlay;
	c->remote = net->answer.underlay.family ? net->answer.underlay
	                                        : net->plan.underlay;
	c->ips = nic->ips;
	c->n_ips = nic->n_ips;
}

/* Can this end be made? Asked before the receiver makes its end. */
static int mig_net_precheck(struct mig_net *net, char *err, size_t errlen)
{
	struct nc_error nerr = { 0 };
	struct nc_nl *nl = nc_nl_open(&nerr);
	struct nc_tunnel_conf c;
	size_t i;
	int rc = 0;

	if (!nl)
		return mig_net_fail(err, errlen, nerr.code, "%s", nerr.msg);
	for (i = 0; i < net->plan.n_nics && rc == 0; i++) {
		mig_net_conf(net, i, &c);
		rc = nc_tunnel_precheck(nl, &c, &nerr);
		if (rc < 0)
			mig_net_fail(err, errlen, rc, "NIC %s, here: %s",
			             net->plan.nics[i].mac, nerr.msg);
	}
	nc_nl_close(nl);
	return rc;
}

/* An encrypted NIC: its keeper makes and checks this end. */
static int mig_net_keeper(struct mig_net *net, size_t i, char *err,
                          size_t errlen)
{
	struct nc_nic_plan *nic = &net->plan.nics[i];
	struct mig_keeper_args a = {
		.id = nic->tunnel,
		.bridge = net->src_bridge[i],
		.mac = nic->mac,
		.vm = net->o->domain,
		.uuid = net->uuid,
		.mtu = nic->mtu,
	};
	char why[512];
	int rc;

	rc = mig_keeper_spawn(net->o, &a, MIG_NET_CHECK_MS + 20000,
	                      &net->keepers[i], why, sizeof(why));
	if (rc < 0) {
		net->keepers[i] = 0;
		return mig_net_fail(err, errlen, rc, "NIC %s: %s", nic->mac,
		                    why);
	}
	mig_events_log(net->ev, "info",
	               "tunnel %s: encrypted for NIC %s, carried by keeper "
	               "pid %d through the transport, checked",
	               nic->tunnel, nic->mac, (int)net->keepers[i]);
	return 0;
}

/* Make and check this end of every tunnel. */
static int mig_net_make(struct mig_net *net, char *err, size_t errlen)
{
	struct nc_error nerr = { 0 };
	struct nc_nl *nl = nc_nl_open(&nerr);
	char mac[NC_MAC_STRLEN];
	uint64_t rtt_us = 0;
	size_t i;
	int rc = 0;

	if (!nl)
		return mig_net_fail(err, errlen, nerr.code, "%s", nerr.msg);
	for (i = 0; i < net->plan.n_nics && rc == 0; i++) {
		struct nc_nic_plan *nic = &net->plan.nics[i];
		struct nc_tunnel_conf c;

		mig_net_conf(net, i, &c);
		if (nic->mode == NC_MODE_ENCRYPTED) {
			rc = mig_net_keeper(net, i, err, errlen);
			continue;
		}
		rc = nc_tunnel_prepare(nl, &c, &net->tunnels[i], &nerr);
		if (rc < 0) {
			mig_net_fail(err, errlen, rc, "NIC %s: %s", nic->mac,
			             nerr.msg);
			break;
		}
		net->made[i] = true;
		rc = nc_tunnel_check(&net->tunnels[i], MIG_NET_CHECK_MS,
		                     &rtt_us, &nerr);
		if (rc < 0) {
			mig_net_fail(
			    err, errlen, rc,
			    "NIC %s: the tunnel does not carry frames "
			    "(is UDP port %u open between the sites?): "
			    "%s",
			    nic->mac, nic->port, nerr.msg);
			break;
		}
		nc_mac_format(c.vm_mac, mac, sizeof(mac));
		mig_events_log(net->ev, "info",
		               "tunnel %s: %s for NIC %s, %s <-> receiver's "
		               "%s, checked (round trip %.1f ms)",
		               nic->tunnel, nc_mode_name(nic->mode), mac,
		               net->tunnels[i].dev,
		               mig_net_answer_dev(net, nic->mac),
		               (double)rtt_us / 1000.0);
	}
	nc_nl_close(nl);
	return rc;
}

int mig_net_setup(struct mig_net *net, struct tp_session *tp, int control_fd,
                  char *err, size_t errlen)
{
	struct sockaddr_storage local;
	char addr[NC_ADDR_STRLEN];
	int rc;

	snprintf(net->peer, sizeof(net->peer), "%s", tp_session_peer(tp));
	if (net->o->tunnel_local) {
		nc_addr_parse(net->o->tunnel_local, &net->plan.underlay);
	} else {
		if (tp_session_addrs(tp, &local, NULL) < 0)
			return mig_net_fail(err, errlen, -ENOTCONN,
			                    "the transport has no address; "
			                    "give --tunnel-local");
		nc_addr_from_sockaddr(&local, &net->plan.underlay);
	}
	rc = mig_net_precheck(net, err, errlen);
	if (rc == 0)
		rc = mig_net_exchange(net, control_fd, err, errlen);
	if (rc == 0)
		rc = mig_net_make(net, err, errlen);
	if (rc < 0) {
		mig_net_abort(net);
		return rc;
	}
	mig_events_log(
	    net->ev, "info", "network: %zu tunnel(s) up between %s and %s",
	    net->plan.n_nics,
	    nc_addr_format(&net->plan.underlay, addr, sizeof(addr)), net->peer);
	return 0;
}

static void *mig_net_cutover_main(void *arg)
{
	struct mig_net *net = arg;
	struct nc_error nerr = { 0 };
	struct nc_nl *nl = nc_nl_open(&nerr);
	size_t i;

	for (i = 0; nl && i < net->plan.n_nics; i++) {
		if (!net->made[i] ||
		    net->tunnels[i].rec.state != NC_STATE_PREPARED)
			continue;
		if (nc_tunnel_cutover(nl, &net->tunnels[i], &nerr) < 0)
			mig_events_log(net->ev, "warn",
			               "tunnel %s: cutover: %s",
			               net->plan.nics[i].tunnel, nerr.msg);
	}
	if (!nl)
		mig_events_log(net->ev, "warn", "cutover: %s", nerr.msg);
	nc_nl_close(nl);
	return NULL;
}

void mig_net_cutover(struct mig_net *net)
{
	bool expected = false;

	if (!net ||
	    !atomic_compare_exchange_strong(&net->cut_started, &expected, true))
		return;
	if (pthread_create(&net->cut_thread, NULL, mig_net_cutover_main, net) !=
	    0) {
		net->cut_started = false;
		mig_net_cutover_main(net);
	}
}

static void mig_net_join(struct mig_net *net)
{
	if (net->cut_started) {
		pthread_join(net->cut_thread, NULL);
		net->cut_started = false;
	}
}

void mig_net_commit(struct mig_net *net)
{
	struct nc_error nerr = { 0 };
	size_t i;

	if (!net)
		return;
	mig_net_join(net);
	mig_net_cutover_main(net); /* if no pause event came */
	for (i = 0; i < net->plan.n_nics; i++) {
		if (net->keepers[i] > 0)
			mig_events_log(
			    net->ev, "info",
			    "tunnel %s (encrypted) stays up, carried "
			    "by pid %d; remove it with 'migrator "
			    "tunnel teardown %s'",
			    net->plan.nics[i].tunnel, (int)net->keepers[i],
			    net->plan.nics[i].tunnel);
		if (!net->made[i])
			continue;
		if (nc_tunnel_commit(&net->tunnels[i], &nerr) < 0)
			mig_events_log(net->ev, "warn", "tunnel %s: %s",
			               net->plan.nics[i].tunnel, nerr.msg);
		mig_events_log(net->ev, "info",
		               "tunnel %s (%s) stays up for the VM's clients; "
		               "remove it with 'migrator tunnel teardown %s'",
		               net->plan.nics[i].tunnel,
		               nc_mode_name(net->plan.nics[i].mode),
		               net->plan.nics[i].tunnel);
	}
}

void mig_net_abort(struct mig_net *net)
{
	struct nc_error nerr = { 0 };
	struct nc_nl *nl;
	size_t i;

	if (!net)
		return;
	mig_net_join(net);
	nl = nc_nl_open(&nerr);
	for (i = 0; i < net->plan.n_nics; i++) {
		if (net->keepers[i] > 0 &&
		    mig_keeper_stop(net->keepers[i], 15000) < 0)
			mig_events_log(net->ev, "warn",
			               "tunnel %s: its keeper (pid %d) did not "
			               "stop",
			               net->plan.nics[i].tunnel,
			               (int)net->keepers[i]);
		net->keepers[i] = 0;
		if (!net->made[i])
			continue;
		if (!nl || nc_tunnel_teardown(nl, &net->tunnels[i], &nerr) < 0)
			mig_events_log(net->ev, "warn",
			               "tunnel %s: removing it: %s",
			               net->plan.nics[i].tunnel, nerr.msg);
		nc_tunnel_close(&net->tunnels[i]);
		net->made[i] = false;
	}
	nc_nl_close(nl);
}

void mig_net_free(struct mig_net *net)
{
	size_t i;

	if (!net)
		return;
	mig_net_join(net);
	for (i = 0; i < net->plan.n_nics; i++)
		if (net->made[i])
			nc_tunnel_close(&net->tunnels[i]);
	free(net);
}
