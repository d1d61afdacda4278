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

struct mig_events;
struct mig_result;
struct tp_runner;
struct tp_session;

/*
 * A move is done: log what the transport went through (resumes, frames
 * resent) and put its raw and wire bytes and their ratio in *result.
 */
void mig_transport_result(struct mig_events *ev, struct tp_runner *runner,
                          struct mig_result *result);

/*
 * The plan asked the receiver to ride out WAN outages of up to asked ms (0:
 * not asked) and it granted granted (0: it said nothing, so its default).
 * The receiver holds the session through outages of at most what it
 * granted, and waiting longer here would only find the session gone: if
 * that is less, lower tp's limit to it and warn.
 */
void mig_resume_granted(struct mig_events *ev, struct tp_session *tp,
                        unsigned int asked, unsigned int granted);

#endif
