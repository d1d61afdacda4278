/*
 * migrate.h: `migrator migrate`: one live migration, start to finish.
 */
#ifndef MIG_MIGRATE_H
#define MIG_MIGRATE_H

#include <stdbool.h>

#include "migrator/opts.h"

/* Set by SIGINT/SIGTERM: abort, and leave the VM running at the source. */
void mig_migrate_cancel(void);

/* A cancel was asked for (SIGINT or SIGTERM). */
bool mig_migrate_cancelled(void);

/* Run the migration opts describes; returns an enum mig_exit. */
int mig_migrate(const struct mig_opts *opts);

#endif
