/*
 * server.c: the receiver daemon's listener and its sessions.
 */
#include "receiver/server.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include "hypervisor/virt.h"
#include "receiver/log.h"
#include "receiver/net.h"
#include "receiver/records.h"
#include "receiver/session.h"

#define RCV_ACCEPT_SLICE_MS 200

/* mkdir -p for the directories the daemon owns. */
static int rcv_mkdirs(const char *path, mode_t mode, struct tp_error *err)
{
	char buf[PATH_MAX];
	char *p;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return tp_error_set(err, -ENAMETOOLONG, "%s: path too long",
		                    path);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return tp_error_set(err, -errno, "mkdir %s: %s", buf,
			                    strerror(errno));
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return tp_error_set(err, -errno, "mkdir %s: %s", buf,
		                    strerror(errno));
	return 0;
}

static int rcv_server_creds(struct rcv_server *srv, struct tp_error *err)
{
	const struct rcv_opts *o = srv->opts;
	size_t i;
	int rc;

	if (o->psk) {
		rc = tp_psk_file_load(o->psk, &srv->psk, err);
		if (rc < 0)
			return rc;
		srv->conf.tls.psk_identity = srv->psk.identity;
		srv->conf.tls.psk_hex = srv->psk.hex;
		return 0;
	}
	for (i = 0; i < o->n_allow && i < RCV_MAX_ALLOW; i++)
		srv->allow[i] = o->allow[i];
	srv->allow[i] = NULL;
	srv->conf.tls.ca_file = o->ca;
	srv->conf.tls.cert_file = o->cert;
	srv->conf.tls.key_file = o->key;
	srv->conf.tls.allow = srv->allow;
	return 0;
}

int rcv_server_init(struct rcv_server *srv, const struct rcv_opts *opts,
                    struct tp_error *err)
{
	struct hv_error herr = { 0 };
	int rc;

	memset(srv, 0, sizeof(*srv));
	srv->opts = opts;
	pthread_mutex_init(&srv->lock, NULL);
	LIST_INIT(&srv->sessions);
	srv->taps = rcv_taps_new();
	if (!srv->taps)
		return tp_error_set(err, -ENOMEM, "out of memory");
	srv->conf.codec = TP_CODEC_AUTO;
	/* Until a plan asks for longer (rcv_session_grant_resume). */
	srv->conf.resume_timeout_ms =
	    opts->max_resume_timeout_ms < TP_DEFAULT_RESUME_MS
	        ? opts->max_resume_timeout_ms
	        : TP_DEFAULT_RESUME_MS;
	rc = rcv_server_creds(srv, err);
	if (rc < 0)
		return rc;
	if (hv_virt_socket_path(opts->libvirt_uri, srv->libvirt_sock,
	                        sizeof(srv->libvirt_sock), &herr) < 0)
		return tp_error_set(err, herr.code, "%s", herr.msg);
	rc = rcv_mkdirs(opts->storage_dir, 0711, err);
	if (rc < 0)
		return rc;
	if (!realpath(opts->storage_dir, srv->storage_dir))
		return tp_error_set(err, -errno, "storage dir %s: %s",
		                    opts->storage_dir, strerror(errno));
	rc = rcv_mkdirs(RCV_RUN_DIR, 0711, err);
	if (rc < 0)
		return rc;
	hv_qemu_user(&srv->qemu_uid, &srv->qemu_gid);
	srv->listener = tp_listener_new(&srv->conf, opts->listen_host,
	                                opts->listen_port, err);
	if (!srv->listener)
		return err ? err->code : -EIO;
	return 0;
}

int rcv_server_claim(struct rcv_server *srv, struct rcv_session *session,
                     const char *uuid, struct tp_error *err)
{
	struct rcv_session *other;
	unsigned int active = 0;
	int rc = 0;

	pthread_mutex_lock(&srv->lock);
	LIST_FOREACH(other, &srv->sessions, entry)
	{
		if (other == session || other->done || !other->uuid[0])
			continue;
		active++;
		if (!strcmp(other->uuid, uuid)) {
			rc = tp_error_set(err, -EBUSY,
			                  "VM %s is already being received by "
			                  "session %s",
			                  uuid, other->id);
			break;
		}
	}
	if (rc == 0 && active >= srv->opts->max_sessions)
		rc = tp_error_set(err, -EBUSY,
		                  "receiver busy: %u migrations running (its "
		                  "--max-sessions); retry later",
		                  active);
	if (rc == 0)
		snprintf(session->uuid, sizeof(session->uuid), "%s", uuid);
	pthread_mutex_unlock(&srv->lock);
	return rc;
}

/* Join and free the sessions whose thread has ended (all: wait for them). */
static void rcv_server_reap(struct rcv_server *srv, bool all)
{
	struct rcv_session *session, *next;

	for (;;) {
		pthread_mutex_lock(&srv->lock);
		for (session = LIST_FIRST(&srv->sessions); session;
		     session = next) {
			next = LIST_NEXT(session, entry);
			if (session->done || all)
				break;
		}
		if (session)
			LIST_REMOVE(session, entry);
		pthread_mutex_unlock(&srv->lock);
		if (!session)
			return;
		pthread_join(session->thread, NULL);
		rcv_session_free(session);
	}
}

/* What earlier runs left: journals and post-copy records (records.h). */
static void rcv_server_postcopy_records(struct rcv_server *srv)
{
	struct hv_error herr = { 0 };
	virConnectPtr conn;

	if (rcv_records_count(srv->storage_dir) == 0)
		return;
	conn = hv_virt_open(srv->opts->libvirt_uri, &herr);
	if (!conn) {
		rcv_log(LOG_WARNING,
		        "records in %s not settled: %s; the next start "
		        "settles them",
		        srv->storage_dir, herr.msg);
		return;
	}
	rcv_records_reconcile(srv->storage_dir, RCV_RUN_DIR, conn);
	virConnectClose(conn);
}

void rcv_server_run(struct rcv_server *srv)
{
	struct tp_error err = { 0 };
	struct rcv_session *session;
	struct tp_session *tp;

	rcv_log(LOG_INFO, "listening on %s:%u; storage %s; libvirt %s",
	        srv->opts->listen_host[0] ? srv->opts->listen_host : "*",
	        tp_listener_port(srv->listener), srv->storage_dir,
	        srv->opts->libvirt_uri);
	rcv_server_postcopy_records(srv);
	while (!srv->stop) {
		rcv_server_reap(srv, false);
		tp = tp_listener_accept(srv->listener, RCV_ACCEPT_SLICE_MS,
		                        &err);
		if (!tp) {
			if (err.code != -ETIMEDOUT && err.code != -EINTR)
				rcv_log(LOG_WARNING, "accept: %s", err.msg);
			continue;
		}
		session = rcv_session_new(srv, tp);
		if (!session) {
			rcv_log(LOG_ERR, "accept: out of memory");
			tp_session_free(tp);
			continue;
		}
		pthread_mutex_lock(&srv->lock);
		LIST_INSERT_HEAD(&srv->sessions, session, entry);
		if (pthread_create(&session->thread, NULL, rcv_session_main,
		                   session) != 0) {
			LIST_REMOVE(session, entry);
			pthread_mutex_unlock(&srv->lock);
			rcv_log(LOG_ERR, "accept: cannot start a thread");
			tp_session_free(tp);
			rcv_session_free(session);
			continue;
		}
		pthread_mutex_unlock(&srv->lock);
	}
	rcv_log(LOG_INFO, "stopping: ending the sessions still running");
	rcv_server_reap(srv, true);
}

void rcv_server_stop(struct rcv_server *srv)
{
	srv->stop = 1;
}

void rcv_server_fini(struct rcv_server *srv)
{
	tp_listener_free(srv->listener);
	srv->listener = NULL;
	OPENSSL_cleanse(&srv->psk, sizeof(srv->psk));
	rcv_taps_free(srv->taps);
	srv->taps = NULL;
	pthread_mutex_destroy(&srv->lock);
}
