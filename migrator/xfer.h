/*
 * xfer.h: `migrator migrate --mode cold|warm`, moves that convert the VM
 * for another hypervisor (memory does not move between hypervisors).
 */
#ifndef MIG_XFER_H
#define MIG_XFER_H

#include <stddef.h>

#include "migrator/opts.h"

/* Move o->domain cold or warm to the receiver: an exit code. */
int mig_xfer(const struct mig_opts *o);

/*
 * A live migration to o->target_kind: -EINVAL with why when the source
 * (by o->libvirt_uri) runs another hypervisor, 0 otherwise.
 */
int mig_xfer_live_check(const struct mig_opts *o, char *why, size_t len);

#endif
