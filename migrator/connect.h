/*
 * connect.h: open an authenticated transport session to a receiver with
 * the credentials of the command line (--cert/--key/--ca or --psk).
 */
#ifndef MIG_CONNECT_H
#define MIG_CONNECT_H

#include <stddef.h>
#include <stdint.h>

#include "migrator/opts.h"
#include "transport/psk_file.h"
#include "transport/runner.h"
#include "transport/tp.h"

struct mig_creds {
	struct tp_psk psk;
	const char *allow[2];
};

/*
 * Connect to o->to_host:o->to_port and finish the handshake. creds must
 * outlive the session. NULL with *exit_code (MIG_EXIT_USAGE for missing
 * credentials, MIG_EXIT_PREFLIGHT otherwise) and a message in err.
 */
struct tp_session *mig_connect_session(const struct mig_opts *o,
                                       struct mig_creds *creds, int *exit_code,
                                       char *err, size_t errlen);

/*
 * Open a channel named name on tp (from any thread) and return our end of
 * it, or -errno. The session owns the other end, even on failure.
 */
int mig_chan_post(struct tp_session *tp, const char *name,
                  unsigned int priority);

/*
 * Over a control channel, ask the receiver for type ("tunnel-keep",
 * "tunnel-teardown") on tunnel id and read its result. 0, or -errno with
 * why filled.
 */
int mig_tunnel_request(int control_fd, const char *type, const char *id,
                       char *why, size_t why_len);

#define MIG_CTL_CLOSE_WAIT_MS 20000 /* the receiver cleans up, then closes */

/*
 * Tell the receiver to remove what it made for this session, and wait
 * until it has (it closes its end of the control channel then; at most
 * MIG_CTL_CLOSE_WAIT_MS). The caller then closes the session.
 */
void mig_ctl_abort(int control_fd, struct tp_runner *runner,
                   const char *reason);

/* Milliseconds on the monotonic clock. */
uint64_t mig_now_ms(void);

/*
 * Read and drop what arrives on control_fd until the peer closes its end
 * (0), the channel fails (-errno) or timeout_ms pass (-ETIMEDOUT).
 */
int mig_ctl_wait_eof(int control_fd, int timeout_ms);

/* Send json (taken, even on failure; NULL: -ENOMEM) as one message on fd. */
int mig_ctl_send(int fd, char *json);

#endif
