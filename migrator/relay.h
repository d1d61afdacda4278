/*
 * relay.h: the migrator's local end of the per-session sockets.
 *
 * The receiver picks a socket directory; the migrator makes the same path
 * here and listens in it: libvirt.sock for our libvirt client (root only),
 * mem.sock and nbd.sock for the source QEMU. Each connection accepted
 * becomes a channel of the session, which the receiver joins to the same
 * name there.
 */
#ifndef MIG_RELAY_H
#define MIG_RELAY_H

#include <sys/types.h>

#include "transport/tp.h"

struct mig_relay;

/*
 * Make dir (it must not exist), listen in it, and start posting accepted
 * connections to session. qemu_uid/gid may use mem.sock and nbd.sock.
 * NULL with err filled; nothing is left behind then.
 */
struct mig_relay *mig_relay_start(struct tp_session *session, const char *dir,
                                  uid_t qemu_uid, gid_t qemu_gid,
                                  struct tp_error *err);

/* Connections accepted so far on the socket called name ("mem"...). */
unsigned int mig_relay_accepted(struct mig_relay *relay, const char *name);

/* Stop accepting, remove the sockets and the directory. NULL-safe. */
void mig_relay_stop(struct mig_relay *relay);

/*
 * Post-copy began: the destination now waits on each page it asks for
 * in the memory stream, so keep that stream's channel tight
 * (tp_session_tighten).
 */
void mig_relay_postcopy(struct mig_relay *relay);

#endif
