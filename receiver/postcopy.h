/*
 * postcopy.h: the receiver's records of post-copies that did not finish.
 *
 * A destination domain left in a post-copy that failed holds the VM's newest
 * state, split with the paused source; the receiver keeps it, and the disks
 * it made for it, until the peer that migrated it recovers it (migrator
 * migrate --postcopy-resume). STORAGE/.postcopy-UUID says who that peer is,
 * and what was kept:
 *
 *   PEER-IDENTITY          the peer that may recover it (tp_session_identity)
 *   name NAME              the VM's name, for the log
 *   disk PATH              each disk kept for it, one line each
 *
 * Only the first line decides; the rest is for the operator and for
 * rcv_postcopy_reconcile(). Mode 0600.
 */
#ifndef RCV_POSTCOPY_H
#define RCV_POSTCOPY_H

#include <stddef.h>

#include <libvirt/libvirt.h>

#define RCV_POSTCOPY_PREFIX   ".postcopy-"
#define RCV_POSTCOPY_MAX      (64 * 1024) /* bytes of a record */
#define RCV_POSTCOPY_DISKS    32          /* HV_MAX_DISKS */
#define RCV_POSTCOPY_PATH_MAX 4096

struct rcv_postcopy_rec {
	char peer[512];
	char name[256];
	char disks[RCV_POSTCOPY_DISKS][RCV_POSTCOPY_PATH_MAX];
	size_t n_disks;
};

/*
 * Parse a record's text into *rec: 0, or -EBADMSG with why (e.g. "line 3:
 * unknown key 'size'"). The peer line is printable and not empty; then at
 * most one name and RCV_POSTCOPY_DISKS disks, each an absolute path, every
 * line printable and ended by a newline.
 */
int rcv_postcopy_parse(const char *text, size_t len,
                       struct rcv_postcopy_rec *rec, char *why, size_t why_len);

/* STORAGE/.postcopy-UUID into buf. */
void rcv_postcopy_path(const char *storage_dir, const char *uuid, char *buf,
                       size_t len);

/* Write the record (replacing one); 0 or -errno. */
int rcv_postcopy_write(const char *storage_dir, const char *uuid,
                       const char *peer, const char *name,
                       const char *const *disks, size_t n_disks);

/*
 * Read and parse the record of uuid (rec is large: heap it); 0, -ENOENT
 * when there is none, or another -errno with why.
 */
int rcv_postcopy_read(const char *storage_dir, const char *uuid,
                      struct rcv_postcopy_rec *rec, char *why, size_t why_len);

/* How many records storage_dir holds. */
int rcv_postcopy_count(const char *storage_dir);

/*
 * At start: for each record in storage_dir, log the VM it keeps for
 * recovery, or, when conn has no domain with its UUID any more (someone
 * removed it by hand), say which of its disks are still here and remove
 * the record: nothing is left to recover. The disks are never removed here:
 * they may hold the only copy of what the VM wrote after the switchover.
 * Returns how many records were removed.
 */
int rcv_postcopy_reconcile(const char *storage_dir, virConnectPtr conn);

#endif
