/*
 * net.h: the destination end of a migration's tunnels (see
 * netcontinuity/tunnel.h), and the tunnel requests a receiver serves.
 *
 * A session's tunnels are made when the migrator sends its net plan after
 * the VM plan; their traffic is switched over as soon as the VM runs here;
 * they are kept when the migration commits, and removed otherwise. They
 * are recorded under --tunnel-dir, so a restarted receiver finds them: it
 * keeps those whose migration finished, and removes those whose migration
 * never did.
 */
#ifndef RCV_NET_H
#define RCV_NET_H

#include <stdbool.h>
#include <stddef.h>

#include "receiver/server.h"

struct rcv_session;
struct rcv_net;

/* The tunnel directory of the server. */
const char *rcv_net_dir(const struct rcv_server *srv);

/* Startup: look at the records left by an earlier run (logs what it does). */
void rcv_net_recover(const struct rcv_server *srv);

/*
 * A {"type":"net"} message from the session's migrator: make the tunnels,
 * answer. 0, or -errno when the session cannot go on.
 */
int rcv_net_plan(struct rcv_session *session, const char *buf, size_t len);

/* The migration committed: switch over if not done yet, keep the tunnels. */
void rcv_net_commit(struct rcv_session *session);

/* The session ends: remove its tunnels unless keep (the VM runs here).
 * NULL-safe on session->net; frees it. */
void rcv_net_end(struct rcv_session *session, bool keep);

/*
 * Encrypted tunnels: the destination's TAP end outlives the migration
 * session that made it. The server keeps it, and a second session from the
 * migrator's tunnel keeper carries its frames ("tunnel-keep", then the
 * channel "l2:<id>"). The tunnel ends with the keeper's session.
 */
struct rcv_taps *rcv_taps_new(void);
void rcv_taps_free(struct rcv_taps *taps); /* stops pumps, closes TAPs */

/* A {"type":"tunnel-keep"} request as a session's first message: carry
 * that tunnel until the keeper goes, then remove it. */
void rcv_net_keep(struct rcv_session *session, const char *buf, size_t len);

/* The keeper's channel "l2:<id>" (name without the prefix); called with
 * session->lock held. Returns our end of the channel, or -errno. */
int rcv_net_open_l2(struct rcv_session *session, const char *id);

/* A {"type":"tunnel-teardown"} request as a session's first message. */
void rcv_net_teardown_req(struct rcv_session *session, const char *buf,
                          size_t len);

#endif
