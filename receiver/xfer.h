/*
 * xfer.h: receive a VM moved cold or warm from another hypervisor
 * (hypervisor/xplan.h): create its images in the target format, apply the
 * disk streams to them through qemu-nbd, then write its definition and,
 * when this host's libvirt runs that hypervisor, define and start it.
 * Whatever fails, everything made for the session is removed.
 */
#ifndef RCV_XFER_H
#define RCV_XFER_H

#include <stddef.h>

struct rcv_session;

/*
 * Serve a session whose first message is an xplan (msg, len), to its end:
 * answer, receive the disks, commit or clean up. Runs in the session's
 * thread; sets session->xfer while it runs.
 */
void rcv_xfer_run(struct rcv_session *session, const char *msg, size_t len);

/*
 * A channel "disk<N>" opened: return the fd for the transport, whose other
 * end a thread applies to disk N as one disk stream. -errno to refuse.
 * Called with session->lock held.
 */
int rcv_xfer_open_disk(struct rcv_session *session, const char *index);

#endif
