/*
 * keeper.h: the process that carries an encrypted tunnel's frames.
 *
 * `migrator migrate --net encrypted` starts one keeper per encrypted NIC
 * (`migrator tunnel keep`, an internal subcommand). The keeper opens its
 * own transport session to the receiver, makes the TAP end here, pumps
 * frames between it and the channel "l2:<id>", checks that they cross,
 * says "ready" on its standard output and then outlives the migrator: the
 * tunnel lives as long as the keeper. SIGTERM (from `migrator tunnel
 * teardown` or a failed migration) ends it, and it removes its end.
 */
#ifndef MIG_KEEPER_H
#define MIG_KEEPER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "migrator/opts.h"

struct mig_keeper_args {
	const char *id;     /* tunnel id, 32 hex */
	const char *bridge; /* the VM's bridge here */
	const char *mac;    /* the VM NIC */
	const char *vm, *uuid;
	unsigned int mtu;
};

/*
 * Start a keeper with the connection options of o and wait (up to
 * timeout_ms) until it says ready. *pid is set once it runs. 0, or -errno
 * with err (the keeper is then stopped).
 */
int mig_keeper_spawn(const struct mig_opts *o, const struct mig_keeper_args *a,
                     unsigned int timeout_ms, pid_t *pid, char *err,
                     size_t errlen);

/* Stop a keeper (SIGTERM) and wait up to timeout_ms for it; its own
 * teardown runs meanwhile. 0, or -ETIMEDOUT. */
int mig_keeper_stop(pid_t pid, unsigned int timeout_ms);

/* Is pid a keeper of tunnel id? (checks its command line) */
bool mig_keeper_is(pid_t pid, const char *id);

/* `migrator tunnel keep`: run the keeper. Returns an exit code. */
int mig_tunnel_keep(const struct mig_opts *o);

#endif
