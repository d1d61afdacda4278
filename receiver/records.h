/*
 * records.h: what the receiver writes down in its storage directory so that
 * nothing it made is lost track of, even if it is killed.
 *
 *   STORAGE/.session-ID     a session's journal, written before it creates
 *                           anything on disk and removed when the session
 *                           commits or has cleaned up. One left behind
 *                           means the receiver stopped without cleaning up
 *                           (killed, a crash, the host went down).
 *   STORAGE/.postcopy-UUID  a VM kept after a post-copy that did not finish:
 *                           its destination domain holds the newest state,
 *                           split with the paused source, until the peer
 *                           that migrated it recovers it (migrator migrate
 *                           --postcopy-resume). Only that peer may.
 *
 * Both are text, mode 0600, one "key value" per line, each line printable
 * and ended by a newline; peer is required, every key but disk appears at
 * most once:
 *
 *   peer IDENTITY      the peer's authenticated identity
 *   uuid UUID          the VM's
 *   name NAME          the VM's, for the log
 *   postcopy yes|no    the plan allowed post-copy
 *   dir PATH           a cold or warm move's directory (made for it)
 *   disk PATH          a disk made for it, one line each
 *
 * At start, before serving, the receiver reconciles what it finds with
 * libvirt (rcv_records_reconcile).
 */
#ifndef RCV_RECORDS_H
#define RCV_RECORDS_H

#include <stdbool.h>
#include <stddef.h>

#include <libvirt/libvirt.h>

#define RCV_RECORD_MAX      (64 * 1024) /* bytes of a record */
#define RCV_RECORD_DISKS    32          /* HV_MAX_DISKS */
#define RCV_RECORD_PATH_MAX 4096
#define RCV_POSTCOPY_PREFIX ".postcopy-"
#define RCV_JOURNAL_PREFIX  ".session-"

struct rcv_record {
	char peer[512];
	char uuid[37];
	char name[256];
	bool postcopy;
	char dir[RCV_RECORD_PATH_MAX];
	char disks[RCV_RECORD_DISKS][RCV_RECORD_PATH_MAX];
	size_t n_disks;
};

/*
 * Parse a record's text into *rec: 0, or -EBADMSG with why ("line 3:
 * unknown key 'size'"). Paths are absolute, the UUID canonical.
 */
int rcv_record_parse(const char *text, size_t len, struct rcv_record *rec,
                     char *why, size_t why_len);

/* Write rec to path (a new file renamed over it); 0 or -errno. */
int rcv_record_write(const char *path, const struct rcv_record *rec);

/* Read and parse path; 0, -ENOENT when there is none, or -errno with why. */
int rcv_record_read(const char *path, struct rcv_record *rec, char *why,
                    size_t why_len);

/* STORAGE/.postcopy-UUID and STORAGE/.session-ID into buf. */
void rcv_postcopy_path(const char *storage_dir, const char *uuid, char *buf,
                       size_t len);
void rcv_journal_path(const char *storage_dir, const char *session_id,
                      char *buf, size_t len);

/* A domain state libvirt keeps for post-copy recovery. */
bool rcv_state_in_postcopy(int state, int reason);

/* How many records (journals and post-copy records) storage_dir holds. */
int rcv_records_count(const char *storage_dir);

/*
 * At start, before any session: settle every record in storage_dir against
 * conn.
 *
 * A journal left behind: if its VM is here in post-copy, it becomes a
 * post-copy record (kept for recovery; an existing one, a recovery's, is
 * kept as it is); if it runs here, the migration got past the switchover
 * and the VM and its disks are kept; otherwise (not here, or an incoming
 * domain that never ran) what the session made is removed, domain, disks
 * and directory, since the source holds the VM. In every case the session's
 * socket directory, run_dir/ID, goes.
 *
 * A post-copy record: if libvirt still has its VM, it is logged and kept;
 * if an operator removed the VM, the record goes (nothing is left to
 * recover) and its disks stay, named in the log: they may hold the only
 * copy of what the VM wrote after the switchover, so only the operator
 * removes them.
 *
 * Each decision is logged. Returns how many records were settled (removed
 * or turned into a post-copy record); damaged ones are logged and left.
 */
int rcv_records_reconcile(const char *storage_dir, const char *run_dir,
                          virConnectPtr conn);

#endif
