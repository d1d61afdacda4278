/*
 * server.h: the receiver daemon: a listener and one thread per migration
 * session, sharing the settings and the set of VMs being received.
 */
#ifndef RCV_SERVER_H
#define RCV_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/queue.h>
#include <sys/types.h>

#include "receiver/opts.h"
#include "transport/psk_file.h"
#include "transport/tp.h"

/* Where per-session socket directories live. */
#define RCV_RUN_DIR "/run/skyferry/sessions"

struct rcv_session;

struct rcv_taps;

struct rcv_server {
	const struct rcv_opts *opts;
	struct tp_session_conf conf;
	struct tp_psk psk;
	const char *allow[RCV_MAX_ALLOW + 1]; /* opts' allowlist, NULL-ended */
	struct tp_listener *listener;
	char libvirt_sock[256]; /* the local daemon's socket, for the relay */
	char storage_dir[4096]; /* absolute */
	uid_t qemu_uid; /* the user QEMU runs as: may use session dirs */
	gid_t qemu_gid;
	atomic_int stop;
	pthread_mutex_t lock;
	LIST_HEAD(, rcv_session) sessions; /* under lock */
	struct rcv_taps *taps; /* encrypted tunnels' TAP ends (net.c) */
};

/* Set up from opts (which must outlive the server): credentials, the
 * listener, directories. 0 or -errno with err filled. */
int rcv_server_init(struct rcv_server *srv, const struct rcv_opts *opts,
                    struct tp_error *err);

/* Accept and serve peers until rcv_server_stop(); then abort every session
 * still running (cleaning up what it created) and return. */
void rcv_server_run(struct rcv_server *srv);

/* Async-signal-safe. */
void rcv_server_stop(struct rcv_server *srv);

void rcv_server_fini(struct rcv_server *srv);

/*
 * Claim uuid for a session: -EBUSY (err says by whom) when another session
 * is receiving it. Released by rcv_server_release().
 */
int rcv_server_claim(struct rcv_server *srv, struct rcv_session *session,
                     const char *uuid, struct tp_error *err);

#endif
