/*
 * net.h: the network side of `migrator migrate`: tunnels that keep the
 * VM's address reachable after it moves (netcontinuity/tunnel.h).
 *
 * The migrator makes the source end of each NIC's tunnel after the
 * receiver has made its end, checks frames cross it, switches traffic over
 * when libvirt pauses the source for switchover, and keeps the tunnels
 * after a successful migration (they are listed and removed with
 * `migrator tunnel`). A failed migration removes them.
 */
#ifndef MIG_NET_H
#define MIG_NET_H

#include <stddef.h>

#include "hypervisor/domxml.h"
#include "migrator/events.h"
#include "migrator/opts.h"
#include "transport/tp.h"

struct mig_net;

/*
 * Plan the tunnels of dom from the options: which NICs, which mode, the
 * bridges, the VM's addresses. *out is NULL if no --net was given.
 * 0, or -errno with a message in err (a usage or preflight problem).
 */
int mig_net_new(const struct mig_opts *o, const struct hv_domain *dom,
                struct mig_events *ev, struct mig_net **out, char *err,
                size_t errlen);

/*
 * Agree the tunnels with the receiver over control_fd (after the VM
 * plan), make this end of each and check it. 0, or -errno with err; on
 * failure this end is already removed (the receiver removes its end when
 * the migration is aborted).
 */
int mig_net_setup(struct mig_net *net, struct tp_session *tp, int control_fd,
                  char *err, size_t errlen);

/* The source paused for switchover: move the traffic (in a thread of its
 * own; returns at once). */
void mig_net_cutover(struct mig_net *net);

/* The migration finished: keep the tunnels, say how to remove them. */
void mig_net_commit(struct mig_net *net);

/* The migration failed: remove this end (and tell the segment the VM is
 * still here, if traffic had moved). */
void mig_net_abort(struct mig_net *net);

void mig_net_free(struct mig_net *net); /* NULL-safe */

#endif
