/*
 * net.c: the destination end of a migration's tunnels.
 */
#include "receiver/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hypervisor/virt.h"
#include "netcontinuity/netctl.h"
#include "netcontinuity/netplan.h"
#include "netcontinuity/tapchan.h"
#include "netcontinuity/tunnel.h"
#include "receiver/log.h"
#include "receiver/records.h"
#include "receiver/session.h"
#include "transport/tp_msg.h"

#define RCV_NET_POLL_US 10000 /* how often the watcher asks libvirt */

struct rcv_net {
	struct rcv_session *session;
	struct nc_net_plan plan;
	struct nc_net_answer answer;
	struct nc_tunnel tunnels[NC_NICS_MAX];
	size_t n; /* tunnels[0..n) are made */
	pthread_t watcher;
	bool watching;
	atomic_bool stop, cut;
	pthread_mutex_t cut_lock;
};

static int rcv_taps_add(struct rcv_taps *taps, const char *id, int fd);
static void rcv_taps_remove(struct rcv_taps *taps, const char *id);

const char *rcv_net_dir(const struct rcv_server *srv)
{
	return srv->opts->tunnel_dir ? srv->opts->tunnel_dir
	                             : NC_STATE_DIR_DEFAULT;
}

/* --- startup --------------------------------------------------------- */

struct rcv_net_recover {
	const struct rcv_server *srv;
	struct nc_nl *nl;
	virConnectPtr conn; /* opened for the first prepared tunnel */
	bool tried;
};

/*
 * A tunnel of a migration that never committed is still needed if its VM
 * runs here, or is kept here in post-copy: the migration got past the
 * switchover before the receiver stopped (records.h keeps such a VM too).
 */
static bool rcv_net_vm_here(struct rcv_net_recover *rr,
                            const struct nc_record *rec)
{
	int state = 0, reason = 0;

	if (!rr->tried) {
		rr->tried = true;
		rr->conn = hv_virt_open(rr->srv->opts->libvirt_uri, NULL);
	}
	return rr->conn &&
	       hv_domain_state(rr->conn, rec->uuid, &state, &reason, NULL) ==
	           0 &&
	       (state == VIR_DOMAIN_RUNNING ||
	        rcv_state_in_postcopy(state, reason));
}

static void rcv_net_bad(void *arg, const char *path, const char *why)
{
	(void)arg;
	rcv_log(LOG_WARNING, "tunnel record %s is unreadable, left alone: %s",
	        path, why);
}

static int rcv_net_recover_one(void *arg, const struct nc_record *rec)
{
	struct rcv_net_recover *rr = arg;
	struct nc_error err = { 0 };

	if (rec->state != NC_STATE_PREPARED || rcv_net_vm_here(rr, rec)) {
		rcv_log(LOG_INFO,
		        "tunnel %s (%s, VM '%s', NIC %s, from %s) is kept: %s",
		        rec->id, nc_mode_name(rec->mode), rec->vm, rec->nic_mac,
		        rec->peer,
		        rec->state != NC_STATE_PREPARED
		            ? "its migration finished"
		            : "the VM is here, its migration past the "
		              "switchover when the receiver stopped");
		return 0;
	}
	if (nc_tunnel_teardown_record(rr->nl, rcv_net_dir(rr->srv), rec, &err) <
	    0)
		rcv_log(LOG_ERR, "tunnel %s: removing it: %s", rec->id,
		        err.msg);
	else
		rcv_log(LOG_INFO,
		        "tunnel %s (VM '%s') removed: its migration never "
		        "finished",
		        rec->id, rec->vm);
	return 0;
}

void rcv_net_recover(const struct rcv_server *srv)
{
	struct rcv_net_recover rr = { .srv = srv };
	struct nc_error err = { 0 };

	rr.nl = nc_nl_open(&err);
	if (!rr.nl) {
		rcv_log(LOG_ERR, "tunnels: %s", err.msg);
		return;
	}
	if (nc_record_foreach(rcv_net_dir(srv), rcv_net_recover_one,
	                      rcv_net_bad, &rr, &err) < 0)
		rcv_log(LOG_ERR, "tunnels in %s: %s", rcv_net_dir(srv),
		        err.msg);
	if (rr.conn)
		virConnectClose(rr.conn);
	nc_nl_close(rr.nl);
}

/* --- the plan -------------------------------------------------------- */

static void rcv_net_check(struct nc_net_answer *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void rcv_net_check(struct nc_net_answer *a, const char *fmt, ...)
{
	va_list ap;

	if (a->n_checks >= NC_NETPLAN_CHECKS_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(a->checks[a->n_checks++], sizeof(a->checks[0]), fmt, ap);
	va_end(ap);
}

/* No --bridge given: any bridge; else one of them. */
static bool rcv_net_bridge_offered(const struct rcv_opts *o, const char *br)
{
	size_t i;

	for (i = 0; i < o->n_bridges; i++)
		if (!strcmp(o->bridges[i], br))
			return true;
	return o->n_bridges == 0;
}

/* Make this end of every NIC's tunnel; fills the answer. */
static int rcv_net_make(struct rcv_net *net, struct nc_nl *nl)
{
	struct rcv_session *session = net->session;
	struct nc_net_answer *a = &net->answer;
	struct nc_error err = { 0 };
	char l[NC_ADDR_STRLEN], r[NC_ADDR_STRLEN];
	size_t i;
	int rc;

	for (i = 0; i < net->plan.n_nics; i++) {
		struct nc_nic_plan *nic = &net->plan.nics[i];
		struct nc_tunnel_conf c = { 0 };

		c.mode = nic->mode;
		c.role = NC_ROLE_DEST;
		nc_tunnel_id_parse(nic->tunnel, c.id);
		c.state_dir = rcv_net_dir(session->srv);
		c.vm = session->plan.name;
		c.uuid = session->plan.uuid;
		c.peer = session->peer;
		nc_mac_parse(nic->mac, c.vm_mac);
		if (!rcv_net_bridge_offered(session->srv->opts, nic->bridge)) {
			snprintf(
			    a->error, sizeof(a->error),
			    "NIC %s: bridge '%s' is not offered to migrated "
			    "VMs here; map it to one of this receiver's "
			    "--bridge names",
			    nic->mac, nic->bridge);
			return -EPERM;
		}
		snprintf(c.bridge, sizeof(c.bridge), "%s", nic->bridge);
		c.vni = nic->vni;
		c.port = nic->port;
		c.mtu = nic->mtu;
		c.local = a->underlay;
		c.remote = net->plan.underlay;
		c.ips = nic->ips;
		c.n_ips = nic->n_ips;
		c.peers = nic->peers;
		c.n_peers = nic->n_peers;
		rc = nc_tunnel_prepare(nl, &c, &net->tunnels[i], &err);
		if (rc < 0) {
			snprintf(a->error, sizeof(a->error), "NIC %s: %s",
			         nic->mac, err.msg);
			return rc;
		}
		net->n = i + 1;
		if (nic->mode == NC_MODE_ENCRYPTED) {
			rc = rcv_taps_add(session->srv->taps, nic->tunnel,
			                  net->tunnels[i].tap_fd);
			net->tunnels[i].tap_fd = -1;
			if (rc < 0) {
				snprintf(a->error, sizeof(a->error),
				         "NIC %s: too many encrypted tunnels",
				         nic->mac);
				return rc;
			}
		}
		snprintf(a->nics[i].mac, sizeof(a->nics[i].mac), "%s",
		         nic->mac);
		snprintf(a->nics[i].dev, sizeof(a->nics[i].dev), "%s",
		         net->tunnels[i].dev);
		a->n_nics = i + 1;
		if (nic->mode == NC_MODE_ENCRYPTED)
			rcv_net_check(a, "NIC %s: %s on %s", nic->mac,
			              net->tunnels[i].dev, nic->bridge);
		else
			rcv_net_check(
			    a, "NIC %s: %s %s on %s, VNI %u, UDP %u, %s <-> %s",
			    nic->mac, nc_mode_name(nic->mode),
			    net->tunnels[i].dev, nic->bridge, nic->vni,
			    nic->port, nc_addr_format(&c.local, l, sizeof(l)),
			    nc_addr_format(&c.remote, r, sizeof(r)));
	}
	return 0;
}

static void rcv_net_cutover(struct rcv_net *net)
{
	struct nc_error err = { 0 };
	struct nc_nl *nl;
	size_t i;

	pthread_mutex_lock(&net->cut_lock);
	if (net->cut) {
		pthread_mutex_unlock(&net->cut_lock);
		return;
	}
	net->cut = true;
	nl = nc_nl_open(&err);
	for (i = 0; nl && i < net->n; i++)
		if (nc_tunnel_cutover(nl, &net->tunnels[i], &err) < 0)
			rcv_log(LOG_WARNING, "session %s: tunnel %s: %s",
			        net->session->id, net->plan.nics[i].tunnel,
			        err.msg);
	if (!nl)
		rcv_log(LOG_WARNING, "session %s: cutover: %s",
		        net->session->id, err.msg);
	else
		rcv_log(LOG_INFO, "session %s: network switched over",
		        net->session->id);
	nc_nl_close(nl);
	pthread_mutex_unlock(&net->cut_lock);
}

/* Switch the traffic over as soon as the VM runs here. */
static void *rcv_net_watch(void *arg)
{
	struct rcv_net *net = arg;
	struct rcv_session *session = net->session;
	virConnectPtr conn;
	int state = 0, reason = 0;

	conn = hv_virt_open(session->srv->opts->libvirt_uri, NULL);
	while (conn && !net->stop && !net->cut) {
		if (hv_domain_state(conn, session->plan.uuid, &state, &reason,
		                    NULL) == 0 &&
		    state == VIR_DOMAIN_RUNNING) {
			rcv_net_cutover(net);
			break;
		}
		usleep(RCV_NET_POLL_US);
	}
	if (conn)
		virConnectClose(conn);
	return NULL;
}

int rcv_net_plan(struct rcv_session *session, const char *buf, size_t len)
{
	struct sockaddr_storage local;
	struct nc_error err = { 0 };
	struct rcv_net *net;
	struct nc_nl *nl = NULL;
	int rc;

	if (session->net) {
		rcv_log(LOG_WARNING, "session %s (%s): a second net plan",
		        session->id, session->peer);
		return -EPROTO;
	}
	net = calloc(1, sizeof(*net));
	if (!net)
		return -ENOMEM;
	net->session = session;
	pthread_mutex_init(&net->cut_lock, NULL);
	session->net = net;
	rc = nc_net_plan_decode(buf, len, &net->plan, &err);
	if (rc < 0) {
		rcv_log(LOG_WARNING, "session %s (%s): bad net plan: %s",
		        session->id, session->peer, err.msg);
		snprintf(net->answer.error, sizeof(net->answer.error), "%s",
		         err.msg);
		goto answer;
	}
	if (session->srv->opts->tunnel_local)
		nc_addr_parse(session->srv->opts->tunnel_local,
		              &net->answer.underlay);
	else if (tp_session_addrs(session->tp, &local, NULL) == 0)
		nc_addr_from_sockaddr(&local, &net->answer.underlay);
	nl = nc_nl_open(&err);
	if (!nl) {
		rc = err.code;
		snprintf(net->answer.error, sizeof(net->answer.error), "%s",
		         err.msg);
		goto answer;
	}
	rc = rcv_net_make(net, nl);
	if (rc == 0 &&
	    pthread_create(&net->watcher, NULL, rcv_net_watch, net) == 0)
		net->watching = true;
	else if (rc == 0) {
		rc = -EAGAIN;
		snprintf(net->answer.error, sizeof(net->answer.error),
		         "cannot start a thread");
	}
answer:
	net->answer.ok = rc == 0;
	if (rc < 0)
		rcv_log(LOG_WARNING, "session %s (%s): network refused: %s",
		        session->id, session->peer, net->answer.error);
	else
		rcv_log(LOG_INFO, "session %s: %zu tunnel(s) up", session->id,
		        net->n);
	nc_nl_close(nl);
	if (rcv_session_send(session,
	                     nc_net_answer_encode(&net->answer, &err)) < 0)
		return -EPIPE;
	return rc;
}

static void rcv_net_stop_watch(struct rcv_net *net)
{
	net->stop = true;
	if (net->watching)
		pthread_join(net->watcher, NULL);
	net->watching = false;
}

void rcv_net_commit(struct rcv_session *session)
{
	struct rcv_net *net = session->net;
	struct nc_error err = { 0 };
	size_t i;

	if (!net)
		return;
	rcv_net_stop_watch(net);
	rcv_net_cutover(net);
	for (i = 0; i < net->n; i++) {
		if (nc_tunnel_commit(&net->tunnels[i], &err) < 0)
			rcv_log(LOG_WARNING, "session %s: tunnel %s: %s",
			        session->id, net->plan.nics[i].tunnel, err.msg);
		else
			rcv_log(LOG_INFO,
			        "session %s: tunnel %s (%s, %s) kept for the "
			        "VM's clients",
			        session->id, net->plan.nics[i].tunnel,
			        nc_mode_name(net->plan.nics[i].mode),
			        net->tunnels[i].dev);
	}
}

void rcv_net_end(struct rcv_session *session, bool keep)
{
	struct rcv_net *net = session->net;
	struct nc_error err = { 0 };
	struct nc_nl *nl = NULL;
	size_t i;

	if (!net)
		return;
	rcv_net_stop_watch(net);
	if (!keep) {
		nl = nc_nl_open(&err);
		for (i = 0; i < net->n; i++) {
			if (net->plan.nics[i].mode == NC_MODE_ENCRYPTED)
				rcv_taps_remove(session->srv->taps,
				                net->plan.nics[i].tunnel);
			if (!nl ||
			    nc_tunnel_teardown(nl, &net->tunnels[i], &err) < 0)
				rcv_log(LOG_ERR,
				        "session %s: removing tunnel %s: %s",
				        session->id, net->plan.nics[i].tunnel,
				        err.msg);
		}
		if (net->n)
			rcv_log(LOG_INFO, "session %s: tunnels removed",
			        session->id);
		nc_nl_close(nl);
	}
	for (i = 0; i < net->n; i++)
		nc_tunnel_close(&net->tunnels[i]);
	pthread_mutex_destroy(&net->cut_lock);
	free(net);
	session->net = NULL;
}

/* --- teardown requests ------------------------------------------------ */

void rcv_net_teardown_req(struct rcv_session *session, const char *buf,
                          size_t len)
{
	struct hv_ctl_msg reply = { .type = "result" };
	struct hv_error herr = { 0 };
	struct nc_error err = { 0 };
	struct nc_record *rec = NULL;
	struct nc_nl *nl = NULL;
	char id[NC_TUNNEL_ID_HEX];
	const char *dir = rcv_net_dir(session->srv);

	if (nc_tunnel_req_decode(buf, len, "tunnel-teardown", id, &err) < 0) {
		snprintf(reply.reason, sizeof(reply.reason), "%s", err.msg);
		goto out;
	}
	rec = calloc(1, sizeof(*rec));
	if (!rec) {
		snprintf(reply.reason, sizeof(reply.reason), "out of memory");
		goto out;
	}
	if (nc_record_load(dir, id, rec, &err) < 0) {
		snprintf(reply.reason, sizeof(reply.reason),
		         "no tunnel %s here: %s", id, err.msg);
		goto out;
	}
	rcv_taps_remove(session->srv->taps, id);
	nl = nc_nl_open(&err);
	if (!nl || nc_tunnel_teardown_record(nl, dir, rec, &err) < 0) {
		snprintf(reply.reason, sizeof(reply.reason), "%s", err.msg);
		goto out;
	}
	reply.ok = true;
	rcv_log(LOG_INFO,
	        "tunnel %s (%s, VM '%s') removed at the request of %s", id,
	        nc_mode_name(rec->mode), rec->vm, session->peer);
out:
	if (!reply.ok)
		rcv_log(LOG_WARNING, "session %s (%s): tunnel teardown: %s",
		        session->id, session->peer, reply.reason);
	nc_nl_close(nl);
	free(rec);
	rcv_session_send(session, hv_ctl_msg_encode(&reply, &herr));
}

/* --- encrypted tunnels: the TAP ends and their keepers ------------------ */

#define RCV_TAPS_MAX     64
#define RCV_KEEP_POLL_US 200000

struct rcv_tap {
	char id[NC_TUNNEL_ID_HEX]; /* "" for a free slot */
	int tap_fd;                /* until a pump takes it, else -1 */
	struct nc_tapchan *pump;
	bool kept; /* a keeper session carries it */
};

struct rcv_taps {
	pthread_mutex_t lock;
	struct rcv_tap t[RCV_TAPS_MAX];
};

struct rcv_taps *rcv_taps_new(void)
{
	struct rcv_taps *taps = calloc(1, sizeof(*taps));
	size_t i;

	if (!taps)
		return NULL;
	pthread_mutex_init(&taps->lock, NULL);
	for (i = 0; i < RCV_TAPS_MAX; i++)
		taps->t[i].tap_fd = -1;
	return taps;
}

static void rcv_tap_clear(struct rcv_tap *t)
{
	nc_tapchan_stop(t->pump); /* closes the TAP it took */
	if (t->tap_fd >= 0)
		close(t->tap_fd);
	memset(t, 0, sizeof(*t));
	t->tap_fd = -1;
}

void rcv_taps_free(struct rcv_taps *taps)
{
	size_t i;

	if (!taps)
		return;
	for (i = 0; i < RCV_TAPS_MAX; i++)
		if (taps->t[i].id[0])
			rcv_tap_clear(&taps->t[i]);
	pthread_mutex_destroy(&taps->lock);
	free(taps);
}

/* Called with taps->lock held. */
static struct rcv_tap *rcv_taps_find(struct rcv_taps *taps, const char *id)
{
	size_t i;

	for (i = 0; i < RCV_TAPS_MAX; i++)
		if (taps->t[i].id[0] && !strcmp(taps->t[i].id, id))
			return &taps->t[i];
	return NULL;
}

/* Keep the TAP end of tunnel id; takes fd, even on failure. */
static int rcv_taps_add(struct rcv_taps *taps, const char *id, int fd)
{
	size_t i;

	pthread_mutex_lock(&taps->lock);
	for (i = 0; i < RCV_TAPS_MAX && taps->t[i].id[0]; i++)
		;
	if (i == RCV_TAPS_MAX) {
		pthread_mutex_unlock(&taps->lock);
		close(fd);
		return -ENOSPC;
	}
	snprintf(taps->t[i].id, sizeof(taps->t[i].id), "%s", id);
	taps->t[i].tap_fd = fd;
	pthread_mutex_unlock(&taps->lock);
	return 0;
}

static void rcv_taps_remove(struct rcv_taps *taps, const char *id)
{
	struct rcv_tap *t;

	pthread_mutex_lock(&taps->lock);
	t = rcv_taps_find(taps, id);
	if (t)
		rcv_tap_clear(t);
	pthread_mutex_unlock(&taps->lock);
}

/* Is tunnel id still carried? (its pump running) */
static bool rcv_taps_alive(struct rcv_taps *taps, const char *id,
                           struct nc_error *why)
{
	struct rcv_tap *t;
	bool alive;

	pthread_mutex_lock(&taps->lock);
	t = rcv_taps_find(taps, id);
	alive = t && !(t->pump && nc_tapchan_ended(t->pump, why));
	pthread_mutex_unlock(&taps->lock);
	return alive;
}

int rcv_net_open_l2(struct rcv_session *session, const char *id)
{
	struct rcv_taps *taps = session->srv->taps;
	struct nc_error err = { 0 };
	struct rcv_tap *t;
	int sv[2], fd = -EPERM;

	if (!session->keep_id[0] || strcmp(session->keep_id, id)) {
		rcv_log(LOG_WARNING,
		        "session %s (%s): channel 'l2:%.32s' refused: not a "
		        "keeper of that tunnel",
		        session->id, session->peer, id);
		return -EPERM;
	}
	pthread_mutex_lock(&taps->lock);
	t = rcv_taps_find(taps, id);
	if (!t || t->tap_fd < 0) {
		fd = -ENOENT;
	} else if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		fd = -errno;
	} else {
		t->pump = nc_tapchan_start(t->tap_fd, sv[0], &err);
		t->tap_fd = -1; /* the pump took it, or closed it */
		if (t->pump) {
			fd = sv[1];
		} else {
			close(sv[1]);
			fd = err.code ? err.code : -EIO;
		}
	}
	pthread_mutex_unlock(&taps->lock);
	if (fd < 0)
		rcv_log(LOG_WARNING, "session %s: tunnel %.32s: no frames: %s",
		        session->id, id, strerror(-fd));
	return fd;
}

void rcv_net_keep(struct rcv_session *session, const char *buf, size_t len)
{
	struct rcv_server *srv = session->srv;
	struct hv_ctl_msg reply = { .type = "result" };
	struct hv_error herr = { 0 };
	struct nc_error err = { 0 }, why = { 0 };
	struct tp_error terr = { 0 };
	struct nc_record *rec = NULL;
	struct nc_nl *nl = NULL;
	char id[NC_TUNNEL_ID_HEX];
	struct rcv_tap *t;

	if (nc_tunnel_req_decode(buf, len, "tunnel-keep", id, &err) < 0) {
		snprintf(reply.reason, sizeof(reply.reason), "%s", err.msg);
		goto refuse;
	}
	pthread_mutex_lock(&srv->taps->lock);
	t = rcv_taps_find(srv->taps, id);
	if (t && !t->kept)
		t->kept = true;
	else
		t = NULL;
	pthread_mutex_unlock(&srv->taps->lock);
	if (!t) {
		snprintf(reply.reason, sizeof(reply.reason),
		         "no encrypted tunnel %s waits for a keeper here", id);
		goto refuse;
	}
	pthread_mutex_lock(&session->lock);
	snprintf(session->keep_id, sizeof(session->keep_id), "%s", id);
	pthread_mutex_unlock(&session->lock);
	reply.ok = true;
	rcv_log(LOG_INFO, "session %s: %s carries tunnel %s", session->id,
	        session->peer, id);
	rcv_session_send(session, hv_ctl_msg_encode(&reply, &herr));
	/* The tunnel lives as long as its keeper. */
	while (!srv->stop && !tp_runner_wait(session->runner, 0, &terr) &&
	       rcv_taps_alive(srv->taps, id, &why))
		usleep(RCV_KEEP_POLL_US);
	rcv_taps_remove(srv->taps, id);
	rec = calloc(1, sizeof(*rec));
	nl = nc_nl_open(&err);
	if (rec && nl && nc_record_load(rcv_net_dir(srv), id, rec, &err) == 0 &&
	    nc_tunnel_teardown_record(nl, rcv_net_dir(srv), rec, &err) == 0)
		rcv_log(
		    LOG_INFO,
		    "tunnel %s (VM '%s') removed: its keeper %s is gone%s%s",
		    id, rec->vm, session->peer, why.msg[0] ? ": " : "",
		    why.msg);
	else if (err.code && err.code != -ENOENT)
		rcv_log(LOG_WARNING, "tunnel %s: removing it: %s", id, err.msg);
	nc_nl_close(nl);
	free(rec);
	return;
refuse:
	rcv_log(LOG_WARNING, "session %s (%s): tunnel-keep: %s", session->id,
	        session->peer, reply.reason);
	rcv_session_send(session, hv_ctl_msg_encode(&reply, &herr));
}
