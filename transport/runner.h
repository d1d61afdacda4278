/*
 * runner.h: a thread that drives one session.
 *
 * Programs that do blocking work elsewhere (libvirt calls, a control
 * dialogue) run the session's event loop on a thread of its own. Other
 * threads reach the session only through tp_session_post_chan(),
 * tp_session_stop() and the snapshots here.
 */
#ifndef SKYFERRY_TP_RUNNER_H
#define SKYFERRY_TP_RUNNER_H

#include <stdbool.h>

#include "transport/tp.h"

struct tp_runner;

/*
 * Start running session (already handshaken) on a new thread. The session
 * stays the caller's; free it only after tp_runner_stop(). NULL with err
 * filled on failure.
 */
struct tp_runner *tp_runner_start(struct tp_session *session,
                                  struct tp_error *err);

/* Counters as of the loop's last pass (at most ~100 ms old). */
void tp_runner_stats(struct tp_runner *runner, struct tp_stats *stats);

/* Bytes buffered in the session's channels as of the last pass. */
size_t tp_runner_buffered(struct tp_runner *runner);

/*
 * Wait up to timeout_ms (-1: for ever) for the session to end. Returns
 * true when it has ended (failed or closed); its error is then in err.
 */
bool tp_runner_wait(struct tp_runner *runner, int timeout_ms,
                    struct tp_error *err);

/*
 * Stop the loop, join the thread and free the runner (NULL-safe).
 * Returns the session's latched error (0 if none), copied into err.
 */
int tp_runner_stop(struct tp_runner *runner, struct tp_error *err);

#endif
