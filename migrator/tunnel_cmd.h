/*
 * tunnel_cmd.h: `migrator tunnel list` and `migrator tunnel teardown`.
 */
#ifndef MIG_TUNNEL_CMD_H
#define MIG_TUNNEL_CMD_H

#include "migrator/opts.h"

/* Print the tunnel ends recorded here. Returns an exit code. */
int mig_tunnel_list(const struct mig_opts *o);

/* Remove one or all recorded ends (and the receiver's, with --to).
 * Returns an exit code. */
int mig_tunnel_teardown(const struct mig_opts *o);

#endif
