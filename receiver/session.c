/*
 * session.c: receive one migration: plan, relays, commit or clean up.
 */
#include "receiver/session.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <libvirt/virterror.h>

#include "hypervisor/image.h"
#include "hypervisor/virt.h"
#include "netcontinuity/netctl.h"
#include "receiver/log.h"
#include "receiver/net.h"
#include "receiver/records.h"
#include "receiver/rpc.h"
#include "receiver/xfer.h"
#include "transport/tp_msg.h"

#define RCV_CONTROL_WAIT_MS 10000          /* channel after the handshake */
#define RCV_PLAN_WAIT_MS    30000          /* plan after the channel */
#define RCV_MEM_OVERHEAD    (256ull << 20) /* QEMU's own, per guest */
#define RCV_DISK_MARGIN     (64ull << 20)

struct rcv_session *rcv_session_new(struct rcv_server *srv,
                                    struct tp_session *tp)
{
	struct rcv_session *session = calloc(1, sizeof(*session));
	uint8_t raw[8];
	int i;

	if (!session)
		return NULL;
	if (getrandom(raw, sizeof(raw), 0) != sizeof(raw)) {
		free(session);
		return NULL;
	}
	for (i = 0; i < 8; i++)
		snprintf(session->id + 2 * i, 3, "%02x", raw[i]);
	session->srv = srv;
	session->tp = tp;
	session->control_fd = -1;
	pthread_mutex_init(&session->lock, NULL);
	pthread_cond_init(&session->cond, NULL);
	return session;
}

void rcv_session_free(struct rcv_session *session)
{
	if (!session)
		return;
	pthread_cond_destroy(&session->cond);
	pthread_mutex_destroy(&session->lock);
	free(session);
}

/* --- the libvirt relay ------------------------------------------------- */

static void rcv_session_rpc_log(void *arg, const char *line)
{
	struct rcv_session *session = arg;

	rcv_log(LOG_WARNING, "session %s (%s): libvirt relay: %s", session->id,
	        session->peer, line);
}

/* Is name a domain of this host's libvirt? */
static bool rcv_session_name_taken(void *arg, const char *name)
{
	struct rcv_session *session = arg;
	virDomainPtr d;

	if (!session->conn)
		return false;
	d = virDomainLookupByName(session->conn, name);
	if (!d) {
		virResetLastError();
		return false;
	}
	virDomainFree(d);
	return true;
}

/* What this receiver lets a peer's VM use: its options over the defaults. */
static void rcv_session_guard_rules(struct rcv_session *session,
                                    struct hv_guard_rules *rules)
{
	const struct rcv_opts *opts = session->srv->opts;

	hv_guard_rules_default(rules);
	if (opts->n_media_dirs) {
		rules->media_dirs = opts->media_dirs;
		rules->n_media_dirs = opts->n_media_dirs;
	}
	rules->bridges = opts->bridges;
	rules->n_bridges = opts->n_bridges;
	rules->name = session->plan.name;
	rules->name_taken = rcv_session_name_taken;
	rules->name_arg = session;
}

/*
 * A definition the peer hands to our libvirt must be the planned VM, and
 * every host resource it names must be one this receiver chose or allows
 * (hypervisor/domguard.h): its disks the ones this session created.
 */
static int rcv_session_check_xml(struct rcv_session *session, const char *what,
                                 const char *xml, char *why, size_t why_len)
{
	struct hv_guard_disk disks[HV_MAX_DISKS];
	struct hv_guard_emulators emus;
	struct hv_guard_rules rules = { 0 };
	struct hv_domain dom;
	struct hv_error herr = { 0 };
	size_t i;
	int rc = -EPERM;

	if (hv_domxml_parse(xml, strlen(xml), &dom, &herr) < 0) {
		snprintf(why, why_len, "%s: %s", what, herr.msg);
		return -EPERM;
	}
	if (strcmp(dom.uuid, session->plan.uuid) ||
	    strcmp(dom.name, session->plan.name)) {
		snprintf(why, why_len,
		         "%s is for '%s' (%s), not the planned '%s' (%s)", what,
		         dom.name, dom.uuid, session->plan.name,
		         session->plan.uuid);
		goto out;
	}
	if (hv_host_emulators(session->conn, &emus, &herr) < 0) {
		snprintf(why, why_len, "%s: %s", what, herr.msg);
		goto out;
	}
	for (i = 0; i < session->answer.n_disks; i++) {
		disks[i].target = session->answer.disks[i].target;
		disks[i].path = session->answer.disks[i].path;
	}
	rcv_session_guard_rules(session, &rules);
	rules.disks = disks;
	rules.n_disks = session->answer.n_disks;
	rules.emulators = emus.list;
	rules.n_emulators = emus.n;
	if (hv_domguard_check(xml, strlen(xml), &rules, &herr) < 0) {
		snprintf(why, why_len, "%s: %s", what, herr.msg);
		goto out;
	}
	rc = 0;
out:
	hv_domain_clear(&dom);
	return rc;
}

static int rcv_session_check_uri(struct rcv_session *session,
                                 const struct rcv_rpc_params *ps,
                                 const char *param, const char *sock,
                                 bool required, char *why, size_t why_len)
{
	const char *uri = rcv_rpc_params_string(ps, param);
	char want[320];

	if (!uri && !required)
		return 0;
	snprintf(want, sizeof(want), "unix://%s/%s",
	         session->answer.session_dir, sock);
	if (!uri || strcmp(uri, want)) {
		snprintf(why, why_len, "%s must be %s, not %s", param, want,
		         uri ? uri : "absent");
		return -EPERM;
	}
	return 0;
}

static int rcv_session_check_prepare(struct rcv_session *session,
                                     const uint8_t *body, size_t body_len,
                                     char *why, size_t why_len)
{
	struct rcv_rpc_params ps = { 0 };
	struct tp_error err = { 0 };
	const char *xml;
	int rc;

	if (rcv_rpc_prepare3_decode(body, body_len, &ps, &err) < 0) {
		snprintf(why, why_len, "%s", err.msg);
		return -EPERM;
	}
	rc = -EPERM;
	if (ps.cookie_len == 0) {
		/* libvirt 9.0's qemu driver dereferences the missing cookie */
		snprintf(why, why_len,
		         "no migration cookie: a libvirt source always sends "
		         "the one its Begin step made");
		goto out;
	}
	xml = rcv_rpc_params_string(&ps, "destination_xml");
	if (!xml) {
		snprintf(why, why_len, "no destination_xml");
		goto out;
	}
	if (rcv_session_check_xml(session, "destination_xml", xml, why,
	                          why_len) < 0)
		goto out;
	xml = rcv_rpc_params_string(&ps, "persistent_xml");
	if (xml && rcv_session_check_xml(session, "persistent_xml", xml, why,
	                                 why_len) < 0)
		goto out;
	if (rcv_session_check_uri(session, &ps, "migrate_uri", "mem.sock", true,
	                          why, why_len) < 0 ||
	    rcv_session_check_uri(session, &ps, "disks_uri", "nbd.sock",
	                          session->answer.n_disks > 0 &&
	                              !session->plan.postcopy_resume,
	                          why, why_len) < 0)
		goto out;
	rc = 0;
out:
	rcv_rpc_params_clear(&ps);
	return rc;
}

/*
 * The peer may open only the driver this receiver serves: the URI its own
 * libvirt connection uses, as a client sends it to the daemon.
 */
static int rcv_session_check_open(struct rcv_session *session,
                                  const uint8_t *body, size_t body_len,
                                  char *why, size_t why_len)
{
	const char *mine = session->srv->opts->libvirt_uri;
	struct tp_error err = { 0 };
	char want[RCV_RPC_URI_MAX];
	char *name = NULL;
	uint32_t flags;
	int rc = -EPERM;

	if (rcv_rpc_uri_daemon_name(mine, want, sizeof(want)) < 0) {
		snprintf(why, why_len,
		         "this receiver's libvirt URI %s is not local", mine);
		return -EPERM;
	}
	if (rcv_rpc_connect_open_decode(body, body_len, &name, &flags, &err) <
	    0) {
		snprintf(why, why_len, "%s", err.msg);
		return -EPERM;
	}
	if (!name)
		snprintf(why, why_len,
		         "connect without a URI (the daemon would choose a "
		         "driver); only %s may be opened",
		         want);
	else if (strcmp(name, want))
		snprintf(why, why_len, "connect to %s: only %s may be opened",
		         name, want);
	else
		rc = 0;
	free(name);
	return rc;
}

static int rcv_session_rpc_check(void *arg, const struct rcv_rpc_hdr *h,
                                 const char *name, const uint8_t *body,
                                 size_t body_len, char *why, size_t why_len)
{
	struct rcv_session *session = arg;

	(void)h;
	if (!strcmp(name, "REMOTE_PROC_CONNECT_OPEN"))
		return rcv_session_check_open(session, body, body_len, why,
		                              why_len);
	if (!strcmp(name, "REMOTE_PROC_DOMAIN_MIGRATE_PREPARE3_PARAMS"))
		return rcv_session_check_prepare(session, body, body_len, why,
		                                 why_len);
	return 0;
}

static void *rcv_relay_main(void *arg)
{
	struct rcv_relay *relay = arg;
	struct rcv_session *session = relay->session;
	struct rcv_rpc_policy policy = {
		.check = rcv_session_rpc_check,
		.log = rcv_session_rpc_log,
		.arg = session,
	};
	struct tp_error err = { 0 };

	if (rcv_rpc_relay(relay->client_fd, relay->daemon_fd, &policy, &err) <
	    0)
		rcv_log(LOG_INFO, "session %s: libvirt relay ended: %s",
		        session->id, err.msg);
	/* Closing our end tells the channel, and libvirtd, we are done. */
	shutdown(relay->client_fd, SHUT_RDWR);
	shutdown(relay->daemon_fd, SHUT_RDWR);
	return NULL;
}

static int rcv_unix_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	return fd;
}

/* Called with session->lock held. */
static int rcv_session_open_relay(struct rcv_session *session)
{
	struct rcv_relay *relay;
	int sv[2], dfd, rc;

	if (session->n_relays >= RCV_SESSION_RELAYS)
		return -EMFILE;
	dfd = rcv_unix_connect(session->srv->libvirt_sock);
	if (dfd < 0) {
		rcv_log(LOG_ERR, "session %s: libvirt at %s: %s", session->id,
		        session->srv->libvirt_sock, strerror(-dfd));
		return dfd;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		rc = -errno;
		close(dfd);
		return rc;
	}
	relay = &session->relays[session->n_relays];
	relay->client_fd = sv[0];
	relay->daemon_fd = dfd;
	relay->session = session;
	rc = pthread_create(&relay->thread, NULL, rcv_relay_main, relay);
	if (rc != 0) {
		close(sv[0]);
		close(sv[1]);
		close(dfd);
		return -rc;
	}
	session->n_relays++;
	return sv[1];
}

/* The transport asks for each channel the migrator opens. */
static int rcv_session_on_open(void *arg, const char *name,
                               unsigned int priority)
{
	struct rcv_session *session = arg;
	char path[512];
	int sv[2], fd = -EPERM;

	(void)priority;
	pthread_mutex_lock(&session->lock);
	if (!strcmp(name, "control")) {
		if (session->control_fd >= 0) {
			fd = -EEXIST;
		} else if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
		                      sv) < 0) {
			fd = -errno;
		} else {
			session->control_fd = sv[0];
			fd = sv[1];
			pthread_cond_broadcast(&session->cond);
		}
	} else if (!strncmp(name, "l2:", 3)) {
		fd = rcv_net_open_l2(session, name + 3);
	} else if (!strncmp(name, "disk", 4) && session->xfer) {
		fd = rcv_xfer_open_disk(session, name + 4);
	} else if (session->state != RCV_SESSION_PREPARED) {
		rcv_log(LOG_WARNING,
		        "session %s (%s): channel '%s' refused: no accepted "
		        "plan",
		        session->id, session->peer, name);
	} else if (!strcmp(name, "libvirt")) {
		fd = rcv_session_open_relay(session);
	} else if (!strcmp(name, "mem") || !strcmp(name, "nbd")) {
		snprintf(path, sizeof(path), "%s/%s.sock",
		         session->answer.session_dir, name);
		fd = rcv_unix_connect(path);
		if (fd < 0)
			rcv_log(LOG_WARNING, "session %s: %s: %s", session->id,
			        path, strerror(-fd));
	} else {
		rcv_log(LOG_WARNING, "session %s (%s): unknown channel '%s'",
		        session->id, session->peer, name);
		fd = -ECONNREFUSED;
	}
	pthread_mutex_unlock(&session->lock);
	return fd;
}

/* --- the plan -------------------------------------------------------- */

void rcv_session_check_line(struct rcv_session *session, const char *fmt, ...)
{
	struct hv_plan_answer *a = &session->answer;
	va_list ap;

	if (a->n_checks >= HV_PLAN_CHECKS_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(a->checks[a->n_checks], sizeof(a->checks[0]), fmt, ap);
	va_end(ap);
	a->n_checks++;
}

int rcv_session_refuse(struct rcv_session *session, const char *fmt, ...)
{
	struct hv_plan_answer *a = &session->answer;
	va_list ap;

	if (a->error[0])
		return -EPERM; /* keep the first reason */
	va_start(ap, fmt);
	vsnprintf(a->error, sizeof(a->error), fmt, ap);
	va_end(ap);
	return -EPERM;
}

const char *rcv_mib(uint64_t bytes, char *buf, size_t len)
{
	if (bytes >= (10ull << 30))
		snprintf(buf, len, "%" PRIu64 " GiB", bytes >> 30);
	else
		snprintf(buf, len, "%" PRIu64 " MiB", bytes >> 20);
	return buf;
}

int rcv_session_check_space(struct rcv_session *session, uint64_t need)
{
	const char *dir = session->srv->storage_dir;
	struct statvfs vfs;
	uint64_t avail;
	char a[32], b[32];

	if (statvfs(dir, &vfs) < 0)
		return rcv_session_refuse(session, "storage %s: %s", dir,
		                          strerror(errno));
	avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	if (avail < need)
		return rcv_session_refuse(
		    session, "disk space: %s needed in %s, %s free",
		    rcv_mib(need, a, sizeof(a)), dir,
		    rcv_mib(avail, b, sizeof(b)));
	rcv_session_check_line(session, "disk space: %s needed, %s free",
	                       rcv_mib(need, a, sizeof(a)),
	                       rcv_mib(avail, b, sizeof(b)));
	return 0;
}

/*
 * A shared disk of the plan: a read-only medium (an ISO) that this host
 * holds at the same path, in its media directories, or refused.
 */
static int rcv_session_check_media(struct rcv_session *session,
                                   const struct hv_plan_disk *d)
{
	struct hv_guard_rules rules;
	struct stat st;

	if (!d->media[0])
		return rcv_session_refuse(
		    session,
		    "disk %s is declared shared, but this receiver has no "
		    "shared storage; copy it instead",
		    d->target);
	rcv_session_guard_rules(session, &rules);
	if (!hv_guard_media_ok(&rules, d->media))
		return rcv_session_refuse(
		    session,
		    "disk %s: its read-only medium %s is not in this host's "
		    "media directories (--media-dir); eject it at the source, "
		    "or keep a copy in a media directory at the same path on "
		    "both hosts",
		    d->target, d->media);
	if (stat(d->media, &st) < 0 || !S_ISREG(st.st_mode))
		return rcv_session_refuse(
		    session,
		    "disk %s: the read-only medium %s is not on this host; "
		    "copy it there, or eject it at the source",
		    d->target, d->media);
	rcv_session_check_line(session, "disk %s: read-only medium %s is here",
	                       d->target, d->media);
	return 0;
}

/* The VM this session's plan is about, and its disks made here. */
static struct rcv_record *rcv_session_record(struct rcv_session *session)
{
	struct rcv_record *rec = calloc(1, sizeof(*rec));
	size_t i;

	if (!rec)
		return NULL;
	snprintf(rec->peer, sizeof(rec->peer), "%s",
	         tp_session_identity(session->tp));
	snprintf(rec->uuid, sizeof(rec->uuid), "%s", session->plan.uuid);
	snprintf(rec->name, sizeof(rec->name), "%s", session->plan.name);
	rec->postcopy = session->plan.postcopy;
	for (i = 0; i < session->answer.n_disks && i < RCV_RECORD_DISKS; i++)
		snprintf(rec->disks[i], sizeof(rec->disks[i]), "%s",
		         session->answer.disks[i].path);
	rec->n_disks = i;
	return rec;
}

int rcv_session_journal(struct rcv_session *session, struct rcv_record *rec)
{
	char path[4200];
	int rc;

	snprintf(rec->peer, sizeof(rec->peer), "%s",
	         tp_session_identity(session->tp));
	rcv_journal_path(session->srv->storage_dir, session->id, path,
	                 sizeof(path));
	rc = rcv_record_write(path, rec);
	if (rc < 0)
		return rcv_session_refuse(session, "cannot write %s: %s", path,
		                          strerror(-rc));
	session->journaled = true;
	return 0;
}

void rcv_session_journal_end(struct rcv_session *session)
{
	char path[4200];

	if (!session->journaled)
		return;
	rcv_journal_path(session->srv->storage_dir, session->id, path,
	                 sizeof(path));
	if (unlink(path) < 0 && errno != ENOENT)
		rcv_log(LOG_WARNING, "session %s: %s: %s", session->id, path,
		        strerror(errno));
	session->journaled = false;
}

/*
 * A post-copy that did not finish is kept for the peer that migrated it
 * (records.h), so that another peer cannot feed the VM a stream of its
 * own. Removed once a recovery commits.
 */
static void rcv_postcopy_record(struct rcv_session *session)
{
	struct rcv_record *rec = rcv_session_record(session);
	char path[4200];
	int rc = -ENOMEM;

	rcv_postcopy_path(session->srv->storage_dir, session->plan.uuid, path,
	                  sizeof(path));
	if (rec)
		rc = rcv_record_write(path, rec);
	free(rec);
	if (rc < 0)
		rcv_log(LOG_ERR,
		        "session %s: cannot record who may recover '%s' (%s): "
		        "%s",
		        session->id, session->plan.name, path, strerror(-rc));
}

/* 0 when this session's peer is the one that migrated the VM here. */
static int rcv_postcopy_check_peer(struct rcv_session *session)
{
	const char *me = tp_session_identity(session->tp);
	struct rcv_record *rec = malloc(sizeof(*rec));
	char path[4200], why[300];
	int rc;

	if (!rec)
		return rcv_session_refuse(session, "recover: out of memory");
	rcv_postcopy_path(session->srv->storage_dir, session->plan.uuid, path,
	                  sizeof(path));
	rc = rcv_record_read(path, rec, why, sizeof(why));
	if (rc == -EBADMSG)
		rc =
		    rcv_session_refuse(session,
		                       "recover: the record of '%s' is damaged "
		                       "(%s: %s); it cannot be recovered from "
		                       "here",
		                       session->plan.name, path, why);
	else if (rc < 0)
		rc = rcv_session_refuse(
		    session,
		    "recover: this receiver has no record of a failed "
		    "post-copy of '%s' (%s)",
		    session->plan.name, why);
	else if (strcmp(rec->peer, me) != 0)
		rc = rcv_session_refuse(session,
		                        "recover: '%s' was migrated here by "
		                        "%s, not %s; only that peer may "
		                        "resume it",
		                        session->plan.name, rec->peer, me);
	free(rec);
	return rc;
}

/* Map a disk the plan copies to the file an earlier session made for it. */
static int rcv_session_recover_disk(struct rcv_session *session,
                                    const struct hv_domain *dom,
                                    const struct hv_plan_disk *pd)
{
	struct hv_plan_answer *a = &session->answer;
	const char *store = session->srv->storage_dir;
	size_t len = strlen(store), j;

	for (j = 0; j < dom->n_disks; j++) {
		const struct hv_disk *d = &dom->disks[j];
		struct hv_plan_answer_disk *ad = &a->disks[a->n_disks];

		if (strcmp(d->target, pd->target) != 0)
			continue;
		if (strcmp(d->type, "file") != 0 ||
		    strncmp(d->source, store, len) != 0 ||
		    d->source[len] != '/' || strchr(d->source + len + 1, '/'))
			return rcv_session_refuse(
			    session,
			    "recover: disk %s of '%s' here is '%s', not a "
			    "file this receiver made in %s",
			    pd->target, dom->name, d->source, store);
		snprintf(ad->target, sizeof(ad->target), "%s", d->target);
		snprintf(ad->path, sizeof(ad->path), "%s", d->source);
		snprintf(ad->format, sizeof(ad->format), "%s",
		         d->format[0] ? d->format : pd->format);
		a->n_disks++;
		return 0;
	}
	return rcv_session_refuse(session, "recover: '%s' here has no disk %s",
	                          dom->name, pd->target);
}

/*
 * A plan to recover a post-copy that failed: the VM must be here, by that
 * UUID and name, in post-copy, and each disk the plan copies must be a file
 * an earlier session made in the storage directory. The answer maps them
 * to those files. Nothing is created, and nothing is removed if this
 * recovery fails too: the VM's newest state is here.
 */
static int rcv_session_check_recover(struct rcv_session *session)
{
	struct hv_plan *plan = &session->plan;
	struct hv_error herr = { 0 };
	struct tp_error terr = { 0 };
	struct hv_domain dom;
	int state = 0, reason = 0, rc = 0;
	size_t i;

	if (rcv_server_claim(session->srv, session, plan->uuid, &terr) < 0)
		return rcv_session_refuse(session, "%s", terr.msg);
	session->conn = hv_virt_open(session->srv->opts->libvirt_uri, &herr);
	if (!session->conn)
		return rcv_session_refuse(session, "%s", herr.msg);
	if (hv_domain_state(session->conn, plan->uuid, &state, &reason, &herr) <
	    0)
		return rcv_session_refuse(
		    session,
		    "recover: '%s' is not here: the destination never ran it, "
		    "so the source holds all of it (%s)",
		    plan->name, herr.msg);
	if (!rcv_state_in_postcopy(state, reason))
		return rcv_session_refuse(
		    session,
		    "recover: '%s' is here, but not in a post-copy that "
		    "failed (libvirt state %d, reason %d); nothing to resume",
		    plan->name, state, reason);
	if (rcv_postcopy_check_peer(session) < 0)
		return -EPERM;
	if (hv_domain_parse_live(session->conn, plan->uuid, &dom, &herr) < 0)
		return rcv_session_refuse(session, "recover: %s", herr.msg);
	if (strcmp(dom.name, plan->name) != 0)
		rc = rcv_session_refuse(session,
		                        "recover: the domain with UUID %s is "
		                        "named '%s' here, not '%s'",
		                        plan->uuid, dom.name, plan->name);
	for (i = 0; rc == 0 && i < plan->n_disks; i++)
		if (!plan->disks[i].shared)
			rc = rcv_session_recover_disk(session, &dom,
			                              &plan->disks[i]);
	hv_domain_clear(&dom);
	if (rc == 0)
		rcv_session_check_line(session,
		                       "recover: '%s' is here in post-copy, "
		                       "with %zu disk(s) of an earlier session",
		                       plan->name, session->answer.n_disks);
	return rc;
}

/* Can this host take the planned VM? Fills check lines; -EPERM if not. */
static int rcv_session_check_plan(struct rcv_session *session)
{
	struct hv_plan *plan = &session->plan;
	struct hv_error herr = { 0 };
	struct tp_error terr = { 0 };
	uint64_t free_mem = 0, need_disk = 0, need_mem;
	char a[32], b[32];
	size_t i;
	int rc = 0;

	if (rcv_server_claim(session->srv, session, plan->uuid, &terr) < 0)
		return rcv_session_refuse(session, "%s", terr.msg);
	for (i = 0; i < plan->n_disks; i++)
		if (plan->disks[i].shared &&
		    rcv_session_check_media(session, &plan->disks[i]) < 0)
			return -EPERM;
	session->conn = hv_virt_open(session->srv->opts->libvirt_uri, &herr);
	if (!session->conn)
		return rcv_session_refuse(session, "%s", herr.msg);
	if (hv_host_check_clash(session->conn, plan->name, plan->uuid, &herr) <
	    0)
		rc = rcv_session_refuse(session, "name/UUID: %s", herr.msg);
	else
		rcv_session_check_line(session,
		                       "name: '%s' and its UUID are "
		                       "free here",
		                       plan->name);
	if (hv_host_compare_cpu(session->conn, plan->virt_type, plan->arch,
	                        plan->machine, plan->cpu_xml, &herr) < 0)
		rc = rcv_session_refuse(session, "%s", herr.msg);
	else
		rcv_session_check_line(session, "cpu: compatible (%s, %s)",
		                       plan->virt_type, plan->arch);
	if (plan->postcopy) {
		char line[HV_ERROR_MSG_MAX];

		if (hv_host_check_postcopy(session->conn, line, sizeof(line),
		                           &herr) < 0)
			rc = rcv_session_refuse(session, "%s", herr.msg);
		else
			rcv_session_check_line(session, "%s", line);
	}
	need_mem = plan->memory_kib * 1024u + RCV_MEM_OVERHEAD;
	if (hv_host_free_memory(session->conn, &free_mem, &herr) < 0)
		rc = rcv_session_refuse(session, "%s", herr.msg);
	else if (free_mem < need_mem)
		rc = rcv_session_refuse(session,
		                        "memory: %s needed, %s free here",
		                        rcv_mib(need_mem, a, sizeof(a)),
		                        rcv_mib(free_mem, b, sizeof(b)));
	else
		rcv_session_check_line(session, "memory: %s needed, %s free",
		                       rcv_mib(need_mem, a, sizeof(a)),
		                       rcv_mib(free_mem, b, sizeof(b)));
	for (i = 0; i < plan->n_disks; i++)
		if (!plan->disks[i].shared)
			need_disk += plan->disks[i].allocation;
	need_disk += RCV_DISK_MARGIN;
	if (rcv_session_check_space(session, need_disk) < 0)
		rc = -EPERM;
	return rc;
}

/* The private socket directory: QEMU and us only. */
static int rcv_session_make_dir(struct rcv_session *session)
{
	struct hv_plan_answer *a = &session->answer;
	char *dir = a->session_dir;

	snprintf(dir, sizeof(a->session_dir), "%s/%s", RCV_RUN_DIR,
	         session->id);
	if (mkdir(dir, 0750) < 0)
		return rcv_session_refuse(session, "socket directory %s: %s",
		                          dir, strerror(errno));
	session->dir_made = true;
	if (chown(dir, session->srv->qemu_uid, session->srv->qemu_gid) < 0)
		return rcv_session_refuse(session, "socket directory %s: %s",
		                          dir, strerror(errno));
	return 0;
}

/* Name the disks the plan copies: disks[0..*n), not made yet. */
static int rcv_session_name_disks(struct rcv_session *session,
                                  struct hv_plan_answer_disk *disks, size_t *n)
{
	const struct hv_plan *plan = &session->plan;
	size_t i;

	*n = 0;
	for (i = 0; i < plan->n_disks; i++) {
		struct hv_plan_answer_disk *d = &disks[*n];

		if (plan->disks[i].shared)
			continue; /* a medium this host holds: not copied */
		snprintf(d->target, sizeof(d->target), "%s",
		         plan->disks[i].target);
		snprintf(d->format, sizeof(d->format), "%s",
		         plan->disks[i].format);
		if (snprintf(d->path, sizeof(d->path), "%s/%s-%s-%.8s.%s",
		             session->srv->storage_dir, plan->name,
		             plan->disks[i].target, session->id,
		             plan->disks[i].format) >= (int)sizeof(d->path))
			return rcv_session_refuse(
			    session, "disk %s: path too long", d->target);
		(*n)++;
	}
	return 0;
}

/*
 * Journal what the session will make (records.h): its disks, named; none
 * for a recovery, whose disks an earlier session made and its record
 * keeps.
 */
static int rcv_session_journal_disks(struct rcv_session *session,
                                     const struct hv_plan_answer_disk *disks,
                                     size_t n)
{
	struct rcv_record *rec = rcv_session_record(session);
	size_t i;
	int rc;

	if (!rec)
		return rcv_session_refuse(session, "out of memory");
	for (i = 0; i < n && i < RCV_RECORD_DISKS; i++)
		snprintf(rec->disks[i], sizeof(rec->disks[i]), "%s",
		         disks[i].path);
	rec->n_disks = i;
	rc = rcv_session_journal(session, rec);
	free(rec);
	return rc;
}

static int rcv_session_make_disks(struct rcv_session *session,
                                  const struct hv_plan_answer_disk *named,
                                  size_t n)
{
	struct hv_plan *plan = &session->plan;
	struct hv_plan_answer *a = &session->answer;
	struct hv_error herr = { 0 };
	size_t i;

	/* named[] holds the plan's disks that are not shared, in order. */
	for (i = 0; i < plan->n_disks && a->n_disks < n; i++) {
		struct hv_plan_answer_disk *d = &a->disks[a->n_disks];

		if (plan->disks[i].shared)
			continue;
		*d = named[a->n_disks];
		if (hv_image_create(d->path, d->format,
		                    plan->disks[i].virtual_size, &herr) < 0)
			return rcv_session_refuse(session, "%s", herr.msg);
		a->n_disks++; /* made: from now on cleanup removes it */
		rcv_session_check_line(session, "disk %s: created %s (%s)",
		                       d->target, d->path, d->format);
	}
	return 0;
}

/* An accepted plan: journal, then the socket directory and the disks. */
static int rcv_session_prepare(struct rcv_session *session)
{
	struct hv_plan_answer_disk named[HV_MAX_DISKS];
	bool recover = session->plan.postcopy_resume;
	size_t n = 0;
	int rc = 0;

	if (!recover)
		rc = rcv_session_name_disks(session, named, &n);
	if (rc == 0)
		rc = rcv_session_journal_disks(session, named, n);
	if (rc == 0)
		rc = rcv_session_make_dir(session);
	if (rc == 0 && !recover)
		rc = rcv_session_make_disks(session, named, n);
	return rc;
}

int rcv_session_send(struct rcv_session *session, char *json)
{
	struct tp_error err = { 0 };
	int rc;

	if (!json)
		return -ENOMEM;
	rc = tp_msg_send(session->control_fd, json, strlen(json), &err);
	free(json);
	if (rc < 0)
		rcv_log(LOG_WARNING, "session %s: control: %s", session->id,
		        err.msg);
	return rc;
}

int rcv_session_grant_resume(struct rcv_session *session, unsigned int asked,
                             unsigned int *granted)
{
	unsigned int max = session->srv->opts->max_resume_timeout_ms;
	unsigned int grant = asked < max ? asked : max;
	int rc;

	rc = tp_session_set_resume_timeout(session->tp, grant);
	if (rc < 0) {
		rcv_session_refuse(session, "resume limit: %s", strerror(-rc));
		return rc;
	}
	*granted = grant;
	rcv_log(LOG_INFO,
	        "session %s (%s): WAN outages of up to %u s are ridden out "
	        "(asked %u s, at most %u s here)",
	        session->id, session->peer, grant / 1000, asked / 1000,
	        max / 1000);
	return 0;
}

/* Wait for the control channel, read the plan, answer it. */
static int rcv_session_plan(struct rcv_session *session)
{
	struct hv_plan_answer *a = &session->answer;
	struct hv_error herr = { 0 };
	struct tp_error terr = { 0 };
	struct timespec until;
	char *msg = NULL, type[32] = "";
	ssize_t len;
	int rc;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += RCV_CONTROL_WAIT_MS / 1000;
	pthread_mutex_lock(&session->lock);
	while (session->control_fd < 0 &&
	       pthread_cond_timedwait(&session->cond, &session->lock, &until) !=
	           ETIMEDOUT)
		;
	pthread_mutex_unlock(&session->lock);
	if (session->control_fd < 0) {
		rcv_log(LOG_WARNING,
		        "session %s (%s): no control channel "
		        "within %d s",
		        session->id, session->peer, RCV_CONTROL_WAIT_MS / 1000);
		return -ETIMEDOUT;
	}
	len = tp_msg_recv(session->control_fd, &msg, RCV_PLAN_WAIT_MS, &terr);
	if (len < 0) {
		rcv_log(LOG_WARNING, "session %s (%s): no plan: %s",
		        session->id, session->peer, terr.msg);
		return (int)len;
	}
	if (nc_msg_type(msg, (size_t)len, type, sizeof(type)) == 0 &&
	    !strcmp(type, "tunnel-teardown")) {
		rcv_net_teardown_req(session, msg, (size_t)len);
		free(msg);
		return -ECANCELED; /* nothing else to serve */
	}
	if (!strcmp(type, "tunnel-keep")) {
		rcv_net_keep(session, msg, (size_t)len);
		free(msg);
		return -ECANCELED;
	}
	if (!strcmp(type, "xplan")) {
		rcv_xfer_run(session, msg, (size_t)len);
		free(msg);
		return -ECANCELED; /* served to the end */
	}
	rc = hv_plan_decode(msg, (size_t)len, &session->plan, &herr);
	free(msg);
	if (rc < 0) {
		rcv_log(LOG_WARNING, "session %s (%s): bad plan: %s",
		        session->id, session->peer, herr.msg);
		rcv_session_refuse(session, "%s", herr.msg);
		rcv_session_send(session, hv_plan_answer_encode(a, &herr));
		return rc;
	}
	rcv_log(LOG_INFO,
	        "session %s (%s): plan for '%s' (%s): %u vCPU, %" PRIu64
	        " MiB, %zu disk(s)%s%s",
	        session->id, session->peer, session->plan.name,
	        session->plan.uuid, session->plan.vcpus,
	        session->plan.memory_kib / 1024, session->plan.n_disks,
	        session->plan.postcopy_resume ? ", post-copy recovery" : "",
	        session->plan.dry_run ? ", dry run" : "");
	rc = session->plan.postcopy_resume ? rcv_session_check_recover(session)
	                                   : rcv_session_check_plan(session);
	if (rc == 0 && !session->plan.dry_run)
		rc = rcv_session_prepare(session);
	if (rc == 0 && session->plan.resume_timeout_ms)
		rc = rcv_session_grant_resume(session,
		                              session->plan.resume_timeout_ms,
		                              &a->resume_timeout_ms);
	a->ok = rc == 0;
	if (!a->ok) {
		a->session_dir[0] = '\0';
		rcv_log(LOG_WARNING, "session %s (%s): plan refused: %s",
		        session->id, session->peer, a->error);
	}
	pthread_mutex_lock(&session->lock);
	if (a->ok && !session->plan.dry_run)
		session->state = RCV_SESSION_PREPARED;
	pthread_mutex_unlock(&session->lock);
	if (rcv_session_send(session, hv_plan_answer_encode(a, &herr)) < 0)
		return -EPIPE;
	return rc;
}

/* --- after the plan -------------------------------------------------- */

/* The migrator says the migration finished: is the VM running here? */
static void rcv_session_commit(struct rcv_session *session)
{
	struct hv_ctl_msg reply = { .type = "result" };
	struct hv_error herr = { 0 };
	int state = 0, reason = 0;

	if (hv_domain_state(session->conn, session->plan.uuid, &state, &reason,
	                    &herr) < 0)
		snprintf(reply.reason, sizeof(reply.reason), "%s", herr.msg);
	else if (state != VIR_DOMAIN_RUNNING)
		snprintf(reply.reason, sizeof(reply.reason),
		         "'%s' is not running here (state %d)",
		         session->plan.name, state);
	else
		reply.ok = true;
	if (reply.ok) {
		pthread_mutex_lock(&session->lock);
		session->state = RCV_SESSION_COMMITTED;
		pthread_mutex_unlock(&session->lock);
		rcv_net_commit(session);
		rcv_log(LOG_INFO, "session %s: '%s' runs here now; committed",
		        session->id, session->plan.name);
		if (session->plan.postcopy_resume) {
			char path[4200];

			rcv_postcopy_path(session->srv->storage_dir,
			                  session->plan.uuid, path,
			                  sizeof(path));
			unlink(path);
		}
	}
	rcv_session_send(session, hv_ctl_msg_encode(&reply, &herr));
}

ssize_t rcv_session_next_msg(struct rcv_session *session, char **buf)
{
	struct pollfd pfd = { .fd = session->control_fd, .events = POLLIN };
	struct tp_error terr = { 0 }, rerr = { 0 };
	ssize_t len;

	while (!session->srv->stop) {
		if (tp_runner_wait(session->runner, 0, &terr)) {
			rcv_log(LOG_WARNING,
			        "session %s (%s): transport ended: %s",
			        session->id, session->peer, terr.msg);
			return -EPIPE;
		}
		if (poll(&pfd, 1, 500) <= 0)
			continue;
		len = tp_msg_recv(session->control_fd, buf, 10000, &terr);
		if (len >= 0)
			return len;
		/*
		 * A failed session closes its channels first: say why it
		 * failed (an outage past the resume limit, say), not "the
		 * peer closed the channel".
		 */
		if (tp_runner_wait(session->runner, 500, &rerr) && rerr.code)
			rcv_log(LOG_WARNING,
			        "session %s (%s): transport ended: %s",
			        session->id, session->peer, rerr.msg);
		else
			rcv_log(LOG_INFO, "session %s: control ended: %s",
			        session->id, terr.msg);
		return len;
	}
	return -ECANCELED;
}

/*
 * Serve control messages until commit, abort, the peer's end, or the
 * daemon stopping. Returns when the session is over.
 */
static void rcv_session_serve(struct rcv_session *session)
{
	struct hv_error herr = { 0 };
	struct hv_ctl_msg msg;
	char *buf = NULL, type[32];
	ssize_t len;

	while ((len = rcv_session_next_msg(session, &buf)) >= 0) {
		if (nc_msg_type(buf, (size_t)len, type, sizeof(type)) == 0 &&
		    !strcmp(type, "net")) {
			int rc = rcv_net_plan(session, buf, (size_t)len);

			free(buf);
			buf = NULL;
			if (rc < 0)
				return;
			continue;
		}
		if (hv_ctl_msg_decode(buf, (size_t)len, &msg, &herr) < 0) {
			rcv_log(LOG_WARNING, "session %s (%s): %s", session->id,
			        session->peer, herr.msg);
			free(buf);
			return;
		}
		free(buf);
		buf = NULL;
		if (!strcmp(msg.type, "commit")) {
			rcv_session_commit(session);
			if (session->state == RCV_SESSION_COMMITTED)
				return;
		} else if (!strcmp(msg.type, "abort")) {
			rcv_log(LOG_INFO, "session %s: migrator aborted: %s",
			        session->id, msg.reason[0] ? msg.reason : "-");
			session->aborted = true;
			return;
		} else {
			rcv_log(LOG_WARNING, "session %s (%s): unexpected '%s'",
			        session->id, session->peer, msg.type);
			return;
		}
	}
}

/* End the relays and channels: no peer may reach libvirt any more. */
static void rcv_session_close_relays(struct rcv_session *session)
{
	unsigned int i;

	for (i = 0; i < session->n_relays; i++) {
		shutdown(session->relays[i].client_fd, SHUT_RDWR);
		shutdown(session->relays[i].daemon_fd, SHUT_RDWR);
	}
	for (i = 0; i < session->n_relays; i++) {
		pthread_join(session->relays[i].thread, NULL);
		close(session->relays[i].client_fd);
		close(session->relays[i].daemon_fd);
	}
	session->n_relays = 0;
}

static void rcv_session_remove_dir(struct rcv_session *session)
{
	static const char *const socks[] = { "mem.sock", "nbd.sock" };
	char path[512];
	size_t i;

	if (!session->dir_made)
		return;
	for (i = 0; i < sizeof(socks) / sizeof(socks[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s",
		         session->answer.session_dir, socks[i]);
		unlink(path);
	}
	if (rmdir(session->answer.session_dir) < 0)
		rcv_log(LOG_WARNING, "session %s: remove %s: %s", session->id,
		        session->answer.session_dir, strerror(errno));
	session->dir_made = false;
}

/*
 * A destination domain in post-copy holds the VM's newest state. So may
 * one still here, paused, after the migrator vanished from a migration
 * that allowed post-copy: libvirt removes an incoming domain whose
 * migration failed before post-copy, and keeps one for recovery after.
 */
static bool rcv_state_postcopy(const struct rcv_session *session, int state,
                               int reason)
{
	return rcv_state_in_postcopy(state, reason) ||
	       (state == VIR_DOMAIN_PAUSED && session->plan.postcopy &&
	        !session->aborted);
}

/*
 * Remove what a failed migration left here. A VM that runs here is kept
 * with its disks: the migration reached the point where the source let go
 * of it, and the migrator only missed saying so.
 */
static void rcv_session_cleanup(struct rcv_session *session)
{
	struct hv_error herr = { 0 };
	int state = 0, reason = 0;
	bool keep = session->state == RCV_SESSION_COMMITTED, present;
	size_t i;

	rcv_session_close_relays(session);
	if (session->plan.postcopy_resume && !keep) {
		/* The VM and its disks are an earlier session's: keep them. */
		if (session->state == RCV_SESSION_PREPARED)
			rcv_log(
			    LOG_WARNING,
			    "session %s: recovering '%s' did not finish: it "
			    "stays here in post-copy, split with the "
			    "source; try again (migrator migrate "
			    "--postcopy-resume)",
			    session->id, session->plan.name);
		rcv_net_end(session, true);
		rcv_session_remove_dir(session);
		rcv_session_journal_end(session);
		return;
	}
	present = !keep && session->conn && session->uuid[0] &&
	          hv_domain_state(session->conn, session->uuid, &state, &reason,
	                          NULL) == 0;
	if (present) {
		if (rcv_state_postcopy(session, state, reason)) {
			rcv_log(LOG_WARNING,
			        "session %s: '%s' is here in a post-copy that "
			        "did not finish, its memory split with the "
			        "source; keeping it and its disks for recovery "
			        "(migrator migrate --postcopy-resume)",
			        session->id, session->plan.name);
			rcv_postcopy_record(session);
			keep = true;
		} else if (state == VIR_DOMAIN_RUNNING) {
			rcv_log(LOG_WARNING,
			        "session %s: '%s' runs here, but the migrator "
			        "never confirmed; keeping it",
			        session->id, session->plan.name);
			keep = true;
		}
		if (keep)
			rcv_net_commit(session);
	}
	if (!keep && !present && session->plan.postcopy && !session->aborted &&
	    session->state == RCV_SESSION_PREPARED)
		rcv_log(LOG_WARNING,
		        "session %s: the migrator went away from a migration "
		        "that allowed post-copy, and '%s' is not here: the "
		        "destination never ran it (libvirt keeps one that "
		        "did), so the source holds all of it",
		        session->id, session->plan.name);
	rcv_net_end(session, keep);
	if (!keep) {
		/* Before the plan was accepted no domain can be ours. */
		if (session->conn && session->state != RCV_SESSION_HELLO &&
		    hv_domain_remove(session->conn, session->uuid, &herr) < 0)
			rcv_log(LOG_ERR, "session %s: removing '%s': %s",
			        session->id, session->plan.name, herr.msg);
		for (i = 0; i < session->answer.n_disks; i++)
			if (hv_image_remove(session->answer.disks[i].path,
			                    &herr) < 0)
				rcv_log(LOG_ERR, "session %s: %s", session->id,
				        herr.msg);
		if (session->state != RCV_SESSION_HELLO)
			rcv_log(LOG_INFO, "session %s: removed what it created",
			        session->id);
	}
	rcv_session_remove_dir(session);
	rcv_session_journal_end(session);
}

void *rcv_session_main(void *arg)
{
	struct rcv_session *session = arg;
	struct rcv_server *srv = session->srv;
	struct tp_error err = { 0 };
	int rc;

	tp_session_set_on_open(session->tp, rcv_session_on_open, session);
	rc = tp_session_handshake(session->tp, &err);
	if (rc == -EALREADY)
		goto out; /* a stripe or a resume of a running session */
	if (rc < 0) {
		rcv_log(LOG_WARNING, "refused: %s", err.msg);
		goto out;
	}
	snprintf(session->peer, sizeof(session->peer), "%s",
	         tp_session_peer(session->tp));
	rcv_log(LOG_INFO, "session %s: %s authenticated", session->id,
	        session->peer);
	session->runner = tp_runner_start(session->tp, &err);
	if (!session->runner) {
		rcv_log(LOG_ERR, "session %s: %s", session->id, err.msg);
		goto out;
	}
	if (rcv_session_plan(session) == 0 && !session->plan.dry_run)
		rcv_session_serve(session);
	rcv_session_cleanup(session);
out:
	/*
	 * Stop the transport last, so the peer hears the answer or the
	 * result: it closes the session once it has read it.
	 */
	if (session->control_fd >= 0)
		shutdown(session->control_fd, SHUT_WR);
	if (session->runner)
		tp_runner_wait(session->runner, 5000, NULL);
	tp_runner_stop(session->runner, NULL);
	session->runner = NULL;
	if (session->control_fd >= 0)
		close(session->control_fd);
	session->control_fd = -1;
	if (session->conn)
		virConnectClose(session->conn);
	session->conn = NULL;
	hv_plan_clear(&session->plan);
	tp_session_free(session->tp);
	session->tp = NULL;
	pthread_mutex_lock(&srv->lock);
	session->done = true;
	pthread_mutex_unlock(&srv->lock);
	return NULL;
}
