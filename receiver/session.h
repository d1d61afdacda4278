/*
 * session.h: one migration being received.
 *
 * A session thread owns everything it creates: the transport session, the
 * per-session socket directory, the disks and, until the migrator commits,
 * the destination domain. Whatever ends it (a refused plan, an abort, the
 * peer gone past the resume limit, the daemon stopping), it removes what a
 * failed migration left, and never a VM that runs here.
 */
#ifndef RCV_SESSION_H
#define RCV_SESSION_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/queue.h>
#include <sys/types.h>

#include <libvirt/libvirt.h>

#include "hypervisor/plan.h"
#include "receiver/server.h"
#include "transport/runner.h"

#define RCV_SESSION_RELAYS 16

struct rcv_net;
struct rcv_xfer;

enum rcv_session_state {
	RCV_SESSION_HELLO,     /* authenticated, waiting for the plan */
	RCV_SESSION_PREPARED,  /* plan accepted: disks made, relay open */
	RCV_SESSION_COMMITTED, /* the VM runs here; keep everything */
	RCV_SESSION_ENDED,
};

struct rcv_relay {
	pthread_t thread;
	int client_fd; /* our end of the channel */
	int daemon_fd; /* libvirtd */
	struct rcv_session *session;
};

struct rcv_session {
	LIST_ENTRY(rcv_session) entry; /* srv->sessions, under srv->lock */
	struct rcv_server *srv;
	struct tp_session *tp;
	struct tp_runner *runner;
	pthread_t thread;
	char id[17];          /* 16 hex digits, names the socket directory */
	char peer[256];       /* for the log */
	char uuid[37];        /* claimed UUID, "" before the plan */
	bool done;            /* thread finished; srv->lock */
	pthread_mutex_t lock; /* state, control_fd, relays */
	pthread_cond_t cond;
	enum rcv_session_state state;
	int control_fd; /* our end of the control channel, -1 */
	struct rcv_relay relays[RCV_SESSION_RELAYS];
	unsigned int n_relays;
	struct hv_plan plan;
	struct hv_plan_answer answer; /* its disks[0..n_disks) exist here */
	bool dir_made;
	bool journaled; /* STORAGE/.session-ID written (records.h) */
	bool aborted; /* the migrator said abort: the VM runs at the source */
	virConnectPtr conn;
	struct rcv_net *net;   /* tunnels, if the migrator asked (net.c) */
	char keep_id[33];      /* the tunnel a keeper session carries */
	struct rcv_xfer *xfer; /* a move between hypervisors (xfer.c) */
};

/* Take tp (accepted, not yet handshaken). NULL on ENOMEM. */
struct rcv_session *rcv_session_new(struct rcv_server *srv,
                                    struct tp_session *tp);

/* The session's thread: handshake, plan, relay, end, clean up. */
void *rcv_session_main(void *arg);

/* Send one control message; takes json (NULL: -ENOMEM). 0 or -errno,
 * logged. */
int rcv_session_send(struct rcv_session *session, char *json);

/*
 * The next control message (*buf is the caller's), or a negative errno
 * once the transport or the control channel ended (logged), or the daemon
 * is stopping (-ECANCELED).
 */
ssize_t rcv_session_next_msg(struct rcv_session *session, char **buf);

/* Add a line to the answer's checks (plan and xplan alike). */
void rcv_session_check_line(struct rcv_session *session, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Record why the plan is refused (the first reason wins); -EPERM. */
int rcv_session_refuse(struct rcv_session *session, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Is there need bytes of room in the storage directory? A check line,
 * or a refusal (-EPERM). */
int rcv_session_check_space(struct rcv_session *session, uint64_t need);

struct rcv_record;

/*
 * Journal what the session is about to make (records.h): rec gets the
 * peer, and the caller's uuid, name, postcopy, dir and disks are written to
 * STORAGE/.session-ID before anything is made. Refuses the plan if it
 * cannot. rcv_session_journal_end() removes the journal (idempotent).
 */
int rcv_session_journal(struct rcv_session *session, struct rcv_record *rec);
void rcv_session_journal_end(struct rcv_session *session);

/*
 * The migrator asked its plan to ride out WAN outages of up to asked ms:
 * grant it, up to --max-resume-timeout, apply it to the session, log what
 * was granted and put it in *granted. Refuses the plan if it cannot.
 */
int rcv_session_grant_resume(struct rcv_session *session, unsigned int asked,
                             unsigned int *granted);

/* "512 MiB" or "12 GiB", into buf. */
const char *rcv_mib(uint64_t bytes, char *buf, size_t len);

/* Join-side teardown after the thread ended. NULL-safe. */
void rcv_session_free(struct rcv_session *session);

#endif
