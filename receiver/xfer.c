/*
 * xfer.c: receive a VM moved cold or warm between hypervisors.
 *
 * The session thread answers the plan and then serves the control channel;
 * each "disk<N>" channel gets a thread that applies one disk stream to the
 * writable qemu-nbd export of image N. A commit waits for those threads,
 * closes the exports (qemu-nbd writes the image's last metadata, e.g. a
 * streamOptimized VMDK's footer), writes the definition and, if this
 * host's libvirt runs the target hypervisor, defines and starts the VM.
 */
#include "receiver/xfer.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "hypervisor/diskstream.h"
#include "hypervisor/hvprofile.h"
#include "hypervisor/image.h"
#include "hypervisor/nbdexport.h"
#include "hypervisor/virt.h"
#include "hypervisor/vmdef_file.h"
#include "hypervisor/xplan.h"
#include "receiver/log.h"
#include "receiver/records.h"
#include "receiver/session.h"
#include "transport/tp_msg.h"

#define XFER_MEM_OVERHEAD (256ull << 20)
#define XFER_DISK_MARGIN  (64ull << 20)

struct rcv_xfer_disk {
	struct rcv_xfer *x;
	size_t index;
	char path[4096];
	bool made;
	struct hv_export *exp;
	pthread_t thread;
	bool thread_live; /* joinable */
	bool busy;        /* a stream is being applied */
	int fd;           /* the thread's end of the channel, -1 */
	unsigned int streams;
	int error; /* the first failed stream's, latched */
	char why[HV_ERROR_MSG_MAX];
	uint64_t data_bytes;
};

struct rcv_xfer {
	struct rcv_session *session;
	struct hv_xplan plan;
	struct hv_xplan_answer answer;
	struct rcv_xfer_disk disks[HV_VMDEF_MAX_DISKS];
	pthread_mutex_t lock; /* disks' thread state */
	bool dir_made, defined, committed;
	char files[HV_VMDEF_FILES][4096];
	size_t n_files;
};

/* --- disk streams ------------------------------------------------------- */

static void xfer_disk_result(struct rcv_xfer_disk *d, int rc,
                             const struct hv_error *herr,
                             const struct hv_dstream_stats *st)
{
	struct hv_ctl_msg res = { .type = "result", .ok = rc == 0 };
	struct hv_error eerr = { 0 };
	struct tp_error terr = { 0 };
	char *json;

	if (rc == 0)
		snprintf(res.reason, sizeof(res.reason),
		         "%" PRIu64 " bytes of data, %" PRIu64
		         " of zeroes written",
		         st->data_bytes, st->zero_bytes);
	else
		snprintf(res.reason, sizeof(res.reason), "%s", herr->msg);
	json = hv_ctl_msg_encode(&res, &eerr);
	if (json)
		tp_msg_send(d->fd, json, strlen(json), &terr);
	free(json);
}

static void *xfer_disk_main(void *arg)
{
	struct rcv_xfer_disk *d = arg;
	struct rcv_session *session = d->x->session;
	struct hv_dstream_stats st = { 0 };
	struct hv_error herr = { 0 };
	int rc;

	rc = hv_dstream_recv(d->fd, hv_export_uri(d->exp), &st, &herr);
	xfer_disk_result(d, rc, &herr, &st);
	if (rc < 0)
		rcv_log(LOG_WARNING, "session %s: disk %zu: %s", session->id,
		        d->index, herr.msg);
	else
		rcv_log(LOG_INFO,
		        "session %s: disk %zu: stream applied: %" PRIu64
		        " bytes of data, %" PRIu64 " of zeroes, %" PRIu64
		        " skipped",
		        session->id, d->index, st.data_bytes, st.zero_bytes,
		        st.skipped_bytes);
	pthread_mutex_lock(&d->x->lock);
	if (rc == 0) {
		d->streams++;
		d->data_bytes += st.data_bytes;
	} else if (!d->error) {
		d->error = rc;
		snprintf(d->why, sizeof(d->why), "%s", herr.msg);
	}
	close(d->fd);
	d->fd = -1;
	d->busy = false;
	pthread_mutex_unlock(&d->x->lock);
	return NULL;
}

int rcv_xfer_open_disk(struct rcv_session *session, const char *index)
{
	struct rcv_xfer *x = session->xfer;
	struct rcv_xfer_disk *d;
	char *end = NULL;
	unsigned long i;
	int sv[2], rc = 0;

	errno = 0;
	i = strtoul(index, &end, 10);
	if (errno || end == index || *end || i >= x->plan.def.n_disks ||
	    !x->disks[i].exp) {
		rcv_log(LOG_WARNING, "session %s (%s): no disk '%s' to receive",
		        session->id, session->peer, index);
		return -ENOENT;
	}
	d = &x->disks[i];
	pthread_mutex_lock(&x->lock);
	if (d->busy) {
		rc = -EBUSY;
	} else {
		if (d->thread_live)
			pthread_join(d->thread, NULL);
		d->thread_live = false;
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) <
		    0) {
			rc = -errno;
		} else {
			d->fd = sv[0];
			d->busy = true;
			rc =
			    pthread_create(&d->thread, NULL, xfer_disk_main, d);
			if (rc != 0) {
				close(sv[0]);
				close(sv[1]);
				d->fd = -1;
				d->busy = false;
				rc = -rc;
			} else {
				d->thread_live = true;
				rc = sv[1];
			}
		}
	}
	pthread_mutex_unlock(&x->lock);
	return rc;
}

/* Stop every stream and wait for its thread. */
static void xfer_join_disks(struct rcv_xfer *x, bool interrupt)
{
	size_t i;

	for (i = 0; i < x->plan.def.n_disks; i++) {
		struct rcv_xfer_disk *d = &x->disks[i];

		pthread_mutex_lock(&x->lock);
		if (interrupt && d->fd >= 0)
			shutdown(d->fd, SHUT_RDWR);
		pthread_mutex_unlock(&x->lock);
		if (d->thread_live)
			pthread_join(d->thread, NULL);
		d->thread_live = false;
	}
}

/* --- the plan ----------------------------------------------------------- */

static bool xfer_can_start(struct rcv_xfer *x)
{
	const struct hv_profile *p = NULL;

	return hv_profile_from_uri(x->session->srv->opts->libvirt_uri, &p,
	                           NULL) == 0 &&
	       p->kind == x->plan.def.kind;
}

static int xfer_check(struct rcv_xfer *x)
{
	struct rcv_session *session = x->session;
	const struct hv_vmdef *def = &x->plan.def;
	struct hv_error herr = { 0 };
	struct tp_error terr = { 0 };
	uint64_t need_disk = XFER_DISK_MARGIN, free_mem = 0, need_mem;
	char a[32], b[32];
	size_t i;
	int rc = 0;

	if (rcv_server_claim(session->srv, session, def->uuid, &terr) < 0)
		return rcv_session_refuse(session, "%s", terr.msg);
	x->answer.can_start = xfer_can_start(x);
	if (!x->answer.can_start)
		rcv_session_check_line(
		    session,
		    "start: this receiver's libvirt (%s) does not run %s "
		    "guests; the VM will be written, not started",
		    session->srv->opts->libvirt_uri, hv_kind_name(def->kind));
	if (x->answer.can_start) {
		session->conn =
		    hv_virt_open(session->srv->opts->libvirt_uri, &herr);
		if (!session->conn)
			return rcv_session_refuse(session, "%s", herr.msg);
		if (hv_host_check_clash(session->conn, def->name, def->uuid,
		                        &herr) < 0)
			rc = rcv_session_refuse(session, "name/UUID: %s",
			                        herr.msg);
		else
			rcv_session_check_line(
			    session, "name: '%s' and its UUID are free here",
			    def->name);
		need_mem = def->memory_kib * 1024u + XFER_MEM_OVERHEAD;
		if (x->plan.start &&
		    hv_host_free_memory(session->conn, &free_mem, &herr) == 0 &&
		    free_mem < need_mem)
			rc = rcv_session_refuse(
			    session, "memory: %s needed, %s free here",
			    rcv_mib(need_mem, a, sizeof(a)),
			    rcv_mib(free_mem, b, sizeof(b)));
	}
	for (i = 0; i < def->n_disks; i++)
		need_disk += x->plan.disk_sizes[i];
	if (rcv_session_check_space(session, need_disk) < 0)
		rc = -EPERM;
	return rc;
}

/* Journal the VM's directory before making it (records.h). */
static int xfer_journal(struct rcv_xfer *x)
{
	struct rcv_record *rec = calloc(1, sizeof(*rec));
	int rc;

	if (!rec)
		return rcv_session_refuse(x->session, "out of memory");
	snprintf(rec->uuid, sizeof(rec->uuid), "%s", x->plan.def.uuid);
	snprintf(rec->name, sizeof(rec->name), "%s", x->plan.def.name);
	snprintf(rec->dir, sizeof(rec->dir), "%s", x->answer.vm_dir);
	rc = rcv_session_journal(x->session, rec);
	free(rec);
	return rc;
}

/* The VM's directory and its images, each exported writable. */
static int xfer_prepare(struct rcv_xfer *x)
{
	struct rcv_session *session = x->session;
	const struct hv_vmdef *def = &x->plan.def;
	struct hv_error herr = { 0 };
	char *dir = x->answer.vm_dir;
	size_t i;

	if (snprintf(dir, sizeof(x->answer.vm_dir), "%s/%s-%.8s",
	             session->srv->storage_dir, def->name,
	             session->id) >= (int)sizeof(x->answer.vm_dir))
		return rcv_session_refuse(session,
		                          "storage directory path too long");
	if (xfer_journal(x) < 0)
		return -EPERM;
	if (mkdir(dir, 0755) < 0)
		return rcv_session_refuse(session, "%s: %s", dir,
		                          strerror(errno));
	x->dir_made = true;
	for (i = 0; i < def->n_disks; i++) {
		const struct hv_vmdisk *vd = &def->disks[i];
		struct rcv_xfer_disk *d = &x->disks[i];

		if (x->plan.disk_sizes[i] == 0)
			continue; /* an empty cdrom drive */
		snprintf(d->path, sizeof(d->path), "%s/%s-disk%zu.%s", dir,
		         def->name, i, hv_img_format_ext(vd->format));
		if (hv_image_create_fmt(d->path, vd->format, vd->subformat,
		                        x->plan.disk_sizes[i], &herr) < 0)
			return rcv_session_refuse(session, "disk %zu: %s", i,
			                          herr.msg);
		d->made = true;
		if (hv_export_start(d->path, vd->format, HV_EXPORT_WRITABLE,
		                    NULL, &d->exp, &herr) < 0)
			return rcv_session_refuse(session, "disk %zu: %s", i,
			                          herr.msg);
		rcv_session_check_line(
		    session, "disk %zu: created %s (%s%s%s)", i, d->path,
		    hv_img_format_name(vd->format), vd->subformat[0] ? " " : "",
		    vd->subformat);
	}
	return 0;
}

static int xfer_answer(struct rcv_xfer *x, int rc)
{
	struct rcv_session *session = x->session;
	struct hv_plan_answer *pa = &session->answer;
	struct hv_xplan_answer *a = &x->answer;
	struct hv_error herr = { 0 };
	size_t i;

	a->ok = rc == 0;
	snprintf(a->error, sizeof(a->error), "%s", a->ok ? "" : pa->error);
	if (!a->ok && !a->error[0])
		snprintf(a->error, sizeof(a->error), "refused (%s)",
		         strerror(-rc));
	for (i = 0; i < pa->n_checks && i < HV_XPLAN_CHECKS_MAX; i++)
		snprintf(a->checks[i], sizeof(a->checks[i]), "%s",
		         pa->checks[i]);
	a->n_checks = i;
	if (!a->ok || x->plan.dry_run)
		a->vm_dir[0] = '\0';
	return rcv_session_send(session, hv_xplan_answer_encode(a, &herr));
}

/* --- commit ------------------------------------------------------------- */

/* Every disk got at least one stream, none failed; exports closed. */
static int xfer_disks_done(struct rcv_xfer *x, char *why, size_t len)
{
	struct hv_error herr = { 0 };
	size_t i;
	int rc = 0;

	xfer_join_disks(x, false);
	for (i = 0; i < x->plan.def.n_disks; i++) {
		struct rcv_xfer_disk *d = &x->disks[i];

		if (!d->exp)
			continue;
		if (rc == 0 && d->error) {
			snprintf(why, len, "disk %zu: %s", i, d->why);
			rc = d->error;
		} else if (rc == 0 && !d->streams) {
			snprintf(why, len, "disk %zu was never sent", i);
			rc = -ENODATA;
		}
		if (hv_export_stop(d->exp, &herr) < 0 && rc == 0) {
			snprintf(why, len, "disk %zu: %s", i, herr.msg);
			rc = -EIO;
		}
		d->exp = NULL;
	}
	return rc;
}

static int xfer_define(struct rcv_xfer *x, struct hv_vmdef *def, char *why,
                       size_t len)
{
	struct hv_error herr = { 0 };
	int rc;

	rc = hv_virt_define_vmdef(x->session->conn, def, x->plan.start,
	                          &x->defined, &herr);
	if (rc < 0)
		snprintf(why, len, "%s", herr.msg);
	return rc;
}

static void xfer_commit(struct rcv_xfer *x)
{
	struct rcv_session *session = x->session;
	struct hv_ctl_msg res = { .type = "result" };
	struct hv_error herr = { 0 };
	struct hv_vmdef *def = calloc(1, sizeof(*def));
	size_t i;
	int rc;

	if (!def) {
		snprintf(res.reason, sizeof(res.reason), "out of memory");
		goto out;
	}
	rc = xfer_disks_done(x, res.reason, sizeof(res.reason));
	if (rc < 0)
		goto out;
	*def = x->plan.def;
	for (i = 0; i < def->n_disks; i++)
		snprintf(def->disks[i].path, sizeof(def->disks[i].path), "%s",
		         x->disks[i].path);
	/* A file port writes where we say: into the VM's directory. */
	for (i = 0; i < def->n_serials; i++)
		if (def->serials[i].type == HV_SERIAL_FILE)
			snprintf(def->serials[i].path,
			         sizeof(def->serials[i].path),
			         "%s/%s-serial%zu.log", x->answer.vm_dir,
			         def->name, i);
	rc = hv_vmdef_save(def, x->answer.vm_dir, x->files, &x->n_files, &herr);
	if (rc < 0) {
		snprintf(res.reason, sizeof(res.reason), "%s", herr.msg);
		goto out;
	}
	if (x->answer.can_start) {
		rc = xfer_define(x, def, res.reason, sizeof(res.reason));
		if (rc < 0)
			goto out;
	}
	res.ok = true;
	snprintf(res.reason, sizeof(res.reason), "%s %.400s (%s)",
	         !x->answer.can_start ? "written, not started:"
	         : x->plan.start      ? "defined and started:"
	                              : "defined:",
	         x->files[0], hv_kind_name(def->kind));
	x->committed = true;
	rcv_session_journal_end(session);
	rcv_log(LOG_INFO, "session %s: '%s' %s", session->id, def->name,
	        res.reason);
out:
	free(def);
	if (!res.ok)
		rcv_log(LOG_WARNING, "session %s: commit failed: %s",
		        session->id, res.reason);
	rcv_session_send(session, hv_ctl_msg_encode(&res, &herr));
}

/* Control messages until commit, abort, the end of the peer or ours. */
static void xfer_serve(struct rcv_xfer *x)
{
	struct rcv_session *session = x->session;
	struct hv_error herr = { 0 };
	struct hv_ctl_msg msg;
	char *buf = NULL;
	ssize_t len;

	while ((len = rcv_session_next_msg(session, &buf)) >= 0) {
		if (hv_ctl_msg_decode(buf, (size_t)len, &msg, &herr) < 0) {
			rcv_log(LOG_WARNING, "session %s (%s): %s", session->id,
			        session->peer, herr.msg);
			free(buf);
			return;
		}
		free(buf);
		buf = NULL;
		if (!strcmp(msg.type, "commit")) {
			xfer_commit(x);
			return;
		}
		if (!strcmp(msg.type, "abort"))
			rcv_log(LOG_INFO, "session %s: migrator aborted: %s",
			        session->id, msg.reason[0] ? msg.reason : "-");
		else
			rcv_log(LOG_WARNING, "session %s (%s): unexpected '%s'",
			        session->id, session->peer, msg.type);
		return;
	}
}

/* --- cleanup ------------------------------------------------------------ */

static void xfer_cleanup(struct rcv_xfer *x)
{
	struct rcv_session *session = x->session;
	struct hv_error herr = { 0 };
	size_t i;

	xfer_join_disks(x, true);
	for (i = 0; i < x->plan.def.n_disks; i++) {
		hv_export_stop(x->disks[i].exp, NULL);
		x->disks[i].exp = NULL;
	}
	if (x->committed)
		return;
	if (x->defined &&
	    hv_domain_remove(session->conn, x->plan.def.uuid, &herr) < 0)
		rcv_log(LOG_ERR, "session %s: removing '%s': %s", session->id,
		        x->plan.def.name, herr.msg);
	for (i = 0; i < x->n_files; i++)
		unlink(x->files[i]);
	for (i = 0; i < x->plan.def.n_disks; i++) {
		const struct hv_vmdisk *vd = &x->plan.def.disks[i];

		if (x->disks[i].made &&
		    hv_image_remove_fmt(x->disks[i].path, vd->format,
		                        vd->subformat, &herr) < 0)
			rcv_log(LOG_ERR, "session %s: %s", session->id,
			        herr.msg);
	}
	if (x->dir_made && rmdir(x->answer.vm_dir) < 0)
		rcv_log(LOG_WARNING, "session %s: remove %s: %s", session->id,
		        x->answer.vm_dir, strerror(errno));
	if (x->dir_made)
		rcv_log(LOG_INFO, "session %s: removed what it created",
		        session->id);
	rcv_session_journal_end(session);
}

void rcv_xfer_run(struct rcv_session *session, const char *msg, size_t len)
{
	struct rcv_xfer *x = calloc(1, sizeof(*x));
	struct hv_error herr = { 0 };
	size_t i;
	int rc;

	if (!x) {
		rcv_log(LOG_ERR, "session %s: out of memory", session->id);
		return;
	}
	x->session = session;
	pthread_mutex_init(&x->lock, NULL);
	for (i = 0; i < HV_VMDEF_MAX_DISKS; i++) {
		x->disks[i].x = x;
		x->disks[i].index = i;
		x->disks[i].fd = -1;
	}
	rc = hv_xplan_decode(msg, len, &x->plan, &herr);
	if (rc < 0) {
		rcv_log(LOG_WARNING, "session %s (%s): bad plan: %s",
		        session->id, session->peer, herr.msg);
		rcv_session_refuse(session, "%s", herr.msg);
		xfer_answer(x, rc);
		goto out;
	}
	rcv_log(LOG_INFO,
	        "session %s (%s): %s move of '%s' (%s) as %s, %zu disk(s)%s",
	        session->id, session->peer, hv_xplan_mode_name(x->plan.mode),
	        x->plan.def.name, x->plan.def.uuid,
	        hv_kind_name(x->plan.def.kind), x->plan.def.n_disks,
	        x->plan.dry_run ? ", dry run" : "");
	rc = xfer_check(x);
	if (rc == 0 && !x->plan.dry_run)
		rc = xfer_prepare(x);
	if (rc == 0 && x->plan.resume_timeout_ms)
		rc =
		    rcv_session_grant_resume(session, x->plan.resume_timeout_ms,
		                             &x->answer.resume_timeout_ms);
	if (rc < 0)
		rcv_log(LOG_WARNING, "session %s (%s): plan refused: %s",
		        session->id, session->peer, session->answer.error);
	pthread_mutex_lock(&session->lock);
	if (rc == 0 && !x->plan.dry_run)
		session->xfer = x;
	pthread_mutex_unlock(&session->lock);
	if (xfer_answer(x, rc) == 0 && rc == 0 && !x->plan.dry_run)
		xfer_serve(x);
	pthread_mutex_lock(&session->lock);
	session->xfer = NULL;
	if (x->committed)
		session->state = RCV_SESSION_COMMITTED;
	pthread_mutex_unlock(&session->lock);
out:
	xfer_cleanup(x);
	pthread_mutex_destroy(&x->lock);
	free(x);
}
