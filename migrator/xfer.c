/*
 * xfer.c: `migrator migrate --mode cold|warm`: move a VM to another
 * hypervisor (or, cold, to the same one), converting its definition and
 * its disks on the way.
 *
 *   cold  shut the guest down, stream every disk (data only) into the
 *         receiver's images of the target format, commit: the receiver
 *         writes the definition and, if it can, defines and starts it.
 *   warm  while the guest runs, copy its disks through libvirt pull
 *         backups: a full one, then deltas since the last checkpoint;
 *         then shut it down and send the final delta read offline from
 *         the last checkpoint's persistent bitmap. Downtime is the final
 *         delta plus the start.
 *
 * Whatever fails, the VM ends up running at the source: a guest we shut
 * down is started again, and the receiver removes what it made.
 */
#include "migrator/xfer.h"

#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libvirt/virterror.h>

#include "hypervisor/backup.h"
#include "hypervisor/diskstream.h"
#include "hypervisor/domxml.h"
#include "hypervisor/hvprofile.h"
#include "hypervisor/nbdexport.h"
#include "hypervisor/plan.h"
#include "hypervisor/virt.h"
#include "hypervisor/vmdef_xml.h"
#include "hypervisor/xplan.h"
#include "migrator/connect.h"
#include "migrator/convert.h"
#include "migrator/events.h"
#include "migrator/migrate.h"
#include "transport/runner.h"
#include "transport/tp_msg.h"

#define XR_ANSWER_WAIT_MS 120000
#define XR_RESULT_WAIT_MS 300000 /* the receiver flushes and starts it */
#define XR_DISK_WAIT_MS   120000 /* the receiver flushes one disk */
#define XR_CHECKPOINT     "skyferry-warm-"

struct xr_run {
	const struct mig_opts *o;
	struct mig_events *ev;
	char host[256];
	uint64_t t0_ms, down_ms;
	/* the source */
	virConnectPtr conn;
	virDomainPtr dom;
	struct hv_domain hdom;
	struct hv_vmdef *src;
	enum hv_kind src_kind;
	char targets[HV_VMDEF_MAX_DISKS][32]; /* libvirt's name of each disk */
	bool was_running, stopped;
	unsigned int checkpoints; /* made so far: XR_CHECKPOINT1.. */
	/* the receiver */
	struct mig_creds creds;
	struct tp_session *tp;
	struct tp_runner *runner;
	int control_fd;
	struct hv_xplan *plan;
	struct hv_xplan_answer answer;
	uint64_t data_bytes, final_bytes;
	bool hold;     /* keep a failure until the disks are closed */
	int held_code; /* the failure kept, 0 if none */
	char held[1024];
};

/* Start the guest again if we stopped it; say where it runs. */
static const char *xr_where(struct xr_run *r, char *buf, size_t len)
{
	int state = 0, reason = 0;

	if (!r->dom) {
		snprintf(buf, len, "source (%s), untouched", r->host);
		return buf;
	}
	if (r->stopped && virDomainCreate(r->dom) == 0) {
		r->stopped = false;
		snprintf(buf, len, "source (%s), running (started again)",
		         r->host);
		return buf;
	}
	if (virDomainGetState(r->dom, &state, &reason, 0) < 0)
		snprintf(buf, len, "unknown: check the source");
	else
		snprintf(buf, len, "source (%s), %s", r->host,
		         state == VIR_DOMAIN_RUNNING ? "running"
		         : r->was_running            ? "NOT running: start it"
		                                     : "shut off, as it was");
	return buf;
}

static int xr_fail(struct xr_run *r, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Fail: say why and where the VM runs (starting it again if we stopped
 * it). While r->hold is set (an export of its disk is open, which would
 * keep QEMU from starting it) the first failure is kept for xr_unhold.
 */
static int xr_fail(struct xr_run *r, int code, const char *fmt, ...)
{
	char reason[1024], where[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (r->hold) {
		if (!r->held_code) {
			r->held_code = code;
			snprintf(r->held, sizeof(r->held), "%s", reason);
		}
		return code;
	}
	mig_events_failed(r->ev, reason, xr_where(r, where, sizeof(where)),
	                  code);
	return code;
}

/* The disks are closed again: report a failure held meanwhile. */
static int xr_unhold(struct xr_run *r, int rc)
{
	int code = r->held_code;

	r->hold = false;
	r->held_code = 0;
	return code ? xr_fail(r, code, "%s", r->held) : rc;
}

/* --- the source --------------------------------------------------------- */

/* libvirt's target name of each disk of r->src, by its image path. */
static int xr_map_targets(struct xr_run *r)
{
	size_t i, j;

	for (i = 0; i < r->src->n_disks; i++) {
		for (j = 0; j < r->hdom.n_disks; j++)
			if (!strcmp(r->hdom.disks[j].source,
			            r->src->disks[i].path) &&
			    strcmp(r->src->disks[i].path, ""))
				break;
		if (j < r->hdom.n_disks)
			snprintf(r->targets[i], sizeof(r->targets[i]), "%s",
			         r->hdom.disks[j].target);
		else if (r->src->disks[i].device != HV_DEV_CDROM)
			return xr_fail(
			    r, MIG_EXIT_FAILED,
			    "disk %zu (%s): not found in libvirt's view", i,
			    r->src->disks[i].path);
	}
	return 0;
}

static int xr_plan_disks(struct xr_run *r)
{
	struct hv_vmdef *def = &r->plan->def;
	struct hv_error herr = { 0 };
	enum hv_img_format format;
	char subformat[32];
	uint64_t alloc;
	size_t i;

	if (mig_target_format(r->o, def->kind, &format, subformat,
	                      sizeof(subformat)) < 0)
		return xr_fail(r, MIG_EXIT_USAGE, "--disk-format %s: unknown",
		               r->o->disk_format);
	for (i = 0; i < def->n_disks; i++) {
		struct hv_vmdisk *d = &def->disks[i];

		if (d->device == HV_DEV_CDROM) {
			if (d->path[0])
				hv_vmdef_note(def,
				              "cdrom %zu: its media (%s) is "
				              "not moved; the drive is "
				              "left empty",
				              i, d->path);
			d->path[0] = '\0';
			r->plan->disk_sizes[i] = 0;
			continue;
		}
		if (r->o->mode == MIG_MODE_WARM &&
		    r->src->disks[i].format != HV_IMG_QCOW2)
			return xr_fail(
			    r, MIG_EXIT_PREFLIGHT,
			    "disk %s is %s: warm mode tracks changed blocks "
			    "with "
			    "qcow2 bitmaps; use --mode cold",
			    r->targets[i],
			    hv_img_format_name(r->src->disks[i].format));
		if (hv_domain_disk_size(r->dom, r->targets[i],
		                        &r->plan->disk_sizes[i], &alloc,
		                        &herr) < 0)
			return xr_fail(r, MIG_EXIT_FAILED, "%s", herr.msg);
		d->format = format;
		snprintf(d->subformat, sizeof(d->subformat), "%s", subformat);
		d->path[0] = '\0';
	}
	return 0;
}

static int xr_local(struct xr_run *r)
{
	const struct mig_opts *o = r->o;
	struct hv_convert_opts copts = { .paravirt = o->paravirt };
	struct hv_error herr = { 0 };
	enum hv_img_format format;
	char *xml = NULL, subformat[32];
	int rc;

	r->conn = hv_virt_open(o->libvirt_uri, &herr);
	if (!r->conn)
		return xr_fail(r, MIG_EXIT_PREFLIGHT, "%s", herr.msg);
	r->dom = virDomainLookupByName(r->conn, o->domain);
	if (!r->dom)
		return xr_fail(r, MIG_EXIT_PREFLIGHT,
		               "no domain '%s' in %s; see 'virsh list --all'",
		               o->domain, o->libvirt_uri);
	r->was_running = virDomainIsActive(r->dom) == 1;
	if (o->mode == MIG_MODE_WARM && !r->was_running)
		return xr_fail(
		    r, MIG_EXIT_PREFLIGHT,
		    "'%s' is not running: warm mode copies a running VM; use "
		    "--mode cold",
		    o->domain);
	xml = virDomainGetXMLDesc(r->dom, 0);
	if (!xml)
		return xr_fail(
		    r, MIG_EXIT_FAILED, "%s",
		    (hv_virt_error(&herr, -EIO, "domain XML"), herr.msg));
	rc = hv_vmdef_xml_parse(xml, strlen(xml), r->src, &herr);
	if (rc == 0)
		rc = hv_domxml_parse(xml, strlen(xml), &r->hdom, &herr);
	free(xml);
	if (rc < 0)
		return xr_fail(r, MIG_EXIT_PREFLIGHT, "%s", herr.msg);
	r->src_kind = r->src->kind;
	copts.target =
	    o->target_kind >= 0 ? (enum hv_kind)o->target_kind : r->src_kind;
	if (mig_target_format(o, copts.target, &format, subformat,
	                      sizeof(subformat)) < 0)
		return xr_fail(r, MIG_EXIT_USAGE, "--disk-format %s: unknown",
		               o->disk_format);
	r->plan->def = *r->src;
	mig_retarget_disks(&r->plan->def, format, subformat);
	if (hv_vmdef_convert(&r->plan->def, &copts, &r->plan->def, &herr) < 0)
		return xr_fail(r, MIG_EXIT_PREFLIGHT, "%s", herr.msg);
	rc = xr_map_targets(r);
	if (rc == 0)
		rc = xr_plan_disks(r);
	if (rc != 0)
		return rc;
	r->plan->mode =
	    o->mode == MIG_MODE_WARM ? HV_XPLAN_WARM : HV_XPLAN_COLD;
	r->plan->start = !o->no_start;
	r->plan->dry_run = o->dry_run;
	r->plan->resume_timeout_ms = o->resume_timeout_ms;
	if (hv_xplan_check(r->plan, &herr) < 0)
		return xr_fail(r, MIG_EXIT_PREFLIGHT, "%s", herr.msg);
	return 0;
}

/* --- the receiver ------------------------------------------------------- */

static int xr_send_json(struct xr_run *r, char *json)
{
	return mig_ctl_send(r->control_fd, json);
}

static int xr_connect_plan(struct xr_run *r)
{
	struct hv_error herr = { 0 };
	struct tp_error err = { 0 };
	char why[512], *msg = NULL;
	ssize_t len;
	size_t i;
	int code = 0;

	r->tp = mig_connect_session(r->o, &r->creds, &code, why, sizeof(why));
	if (!r->tp)
		return xr_fail(r, code, "%s", why);
	r->runner = tp_runner_start(r->tp, &err);
	if (!r->runner)
		return xr_fail(r, MIG_EXIT_FAILED, "%s", err.msg);
	r->control_fd = mig_chan_post(r->tp, "control", TP_PRIO_CONTROL);
	if (r->control_fd < 0)
		return xr_fail(r, MIG_EXIT_FAILED, "control channel: %s",
		               strerror(-r->control_fd));
	mig_events_log(r->ev, "info", "connected to %s",
	               tp_session_peer(r->tp));
	if (xr_send_json(r, hv_xplan_encode(r->plan, &herr)) < 0)
		return xr_fail(r, MIG_EXIT_FAILED, "sending the plan: %s",
		               herr.msg[0] ? herr.msg : "control channel");
	len = tp_msg_recv(r->control_fd, &msg, XR_ANSWER_WAIT_MS, &err);
	if (len < 0)
		return xr_fail(r, MIG_EXIT_FAILED,
		               "no answer from the receiver: %s", err.msg);
	code = hv_xplan_answer_decode(msg, (size_t)len, &r->answer, &herr);
	free(msg);
	if (code < 0)
		return xr_fail(r, MIG_EXIT_FAILED, "receiver: %s", herr.msg);
	for (i = 0; i < r->answer.n_checks; i++)
		mig_events_log(r->ev, "info", "receiver: %s",
		               r->answer.checks[i]);
	if (!r->answer.ok)
		return xr_fail(r, MIG_EXIT_PREFLIGHT,
		               "the receiver refused the plan: %s",
		               r->answer.error);
	mig_resume_granted(r->ev, r->tp, r->plan->resume_timeout_ms,
	                   r->answer.resume_timeout_ms);
	return 0;
}

/* One disk stream on its own channel; the receiver says how it went. */
static int xr_stream(struct xr_run *r, size_t i, const char *uri,
                     enum hv_dstream_mode mode, const char *context,
                     struct hv_dstream_stats *st)
{
	struct hv_ctl_msg res = { 0 };
	struct hv_error herr = { 0 };
	struct tp_error terr = { 0 };
	char name[16], *buf = NULL;
	ssize_t len;
	int fd, rc;

	snprintf(name, sizeof(name), "disk%zu", i);
	fd = mig_chan_post(r->tp, name, TP_PRIO_BULK);
	if (fd < 0)
		return xr_fail(r, MIG_EXIT_FAILED, "disk %zu: channel: %s", i,
		               strerror(-fd));
	rc = hv_dstream_send(uri, mode, context, fd, st, &herr);
	if (rc < 0) {
		close(fd);
		return xr_fail(r, MIG_EXIT_FAILED, "disk %s: %s", r->targets[i],
		               herr.msg);
	}
	shutdown(fd, SHUT_WR);
	len = tp_msg_recv(fd, &buf, XR_DISK_WAIT_MS, &terr);
	close(fd);
	if (len < 0 || hv_ctl_msg_decode(buf, (size_t)len, &res, &herr) < 0) {
		free(buf);
		return xr_fail(r, MIG_EXIT_FAILED,
		               "disk %s: no result from the receiver: %s",
		               r->targets[i], len < 0 ? terr.msg : herr.msg);
	}
	free(buf);
	if (!res.ok)
		return xr_fail(r, MIG_EXIT_FAILED,
		               "disk %s at the receiver: %s", r->targets[i],
		               res.reason);
	r->data_bytes += st->data_bytes;
	return 0;
}

static bool xr_moves(const struct xr_run *r, size_t i)
{
	return r->plan->disk_sizes[i] > 0;
}

/* Every disk, read through its own qemu-nbd export (the VM is off). */
static int xr_send_offline(struct xr_run *r, const char *bitmap)
{
	struct hv_dstream_stats st;
	struct hv_error herr = { 0 };
	struct hv_export *exp = NULL;
	char context[128];
	size_t i;
	int rc = 0;

	snprintf(context, sizeof(context), "qemu:dirty-bitmap:%s",
	         bitmap ? bitmap : "");
	for (i = 0; rc == 0 && i < r->src->n_disks; i++) {
		if (!xr_moves(r, i))
			continue;
		if (hv_export_start(r->src->disks[i].path,
		                    r->src->disks[i].format, 0, bitmap, &exp,
		                    &herr) < 0)
			return xr_fail(r, MIG_EXIT_FAILED, "disk %s: %s",
			               r->targets[i], herr.msg);
		memset(&st, 0, sizeof(st));
		r->hold = true;
		rc = xr_stream(r, i, hv_export_uri(exp),
		               bitmap ? HV_DSTREAM_DELTA : HV_DSTREAM_FULL,
		               bitmap ? context : NULL, &st);
		hv_export_stop(exp, NULL);
		rc = xr_unhold(r, rc);
		if (rc == 0)
			mig_events_log(
			    r->ev, "info",
			    "disk %s: %s: %" PRIu64
			    " MiB of data sent, %" PRIu64
			    " MiB of holes skipped",
			    r->targets[i], bitmap ? "final delta" : "copied",
			    st.data_bytes >> 20, st.skipped_bytes >> 20);
		r->final_bytes += st.data_bytes;
	}
	return rc;
}

/* One warm round: a pull backup (full, or since the last checkpoint). */
static int xr_warm_round(struct xr_run *r)
{
	const char *targets[HV_VMDEF_MAX_DISKS];
	char since[64], checkpoint[64], uri[512], ctx[128];
	struct hv_dstream_stats st;
	struct hv_error herr = { 0 };
	struct hv_backup *b = NULL;
	uint64_t round_bytes = 0, t0 = mig_now_ms();
	size_t i, n = 0;
	int rc = 0;

	for (i = 0; i < r->src->n_disks; i++)
		if (xr_moves(r, i))
			targets[n++] = r->targets[i];
	snprintf(since, sizeof(since), XR_CHECKPOINT "%u", r->checkpoints);
	snprintf(checkpoint, sizeof(checkpoint), XR_CHECKPOINT "%u",
	         r->checkpoints + 1);
	if (hv_backup_begin(r->dom, targets, n, r->checkpoints ? since : NULL,
	                    checkpoint, &b, &herr) < 0)
		return xr_fail(r, MIG_EXIT_FAILED, "backup: %s", herr.msg);
	r->checkpoints++;
	r->hold = true;
	for (i = 0; rc == 0 && i < r->src->n_disks; i++) {
		if (!xr_moves(r, i))
			continue;
		rc = hv_backup_uri(b, r->targets[i], uri, sizeof(uri), &herr);
		if (rc < 0) {
			rc = xr_fail(r, MIG_EXIT_FAILED, "%s", herr.msg);
			break;
		}
		memset(&st, 0, sizeof(st));
		rc = xr_stream(r, i, uri,
		               r->checkpoints > 1 ? HV_DSTREAM_DELTA
		                                  : HV_DSTREAM_FULL,
		               hv_backup_bitmap_context(b, r->targets[i], ctx,
		                                        sizeof(ctx)),
		               &st);
		round_bytes += st.data_bytes;
	}
	if (hv_backup_end(b, &herr) < 0 && rc == 0)
		rc = xr_fail(r, MIG_EXIT_FAILED, "backup: %s", herr.msg);
	rc = xr_unhold(r, rc);
	if (rc == 0)
		mig_events_log(
		    r->ev, "info",
		    "warm round %u (%s): %" PRIu64
		    " MiB of data in %.1f s while it runs",
		    r->checkpoints, r->checkpoints > 1 ? "changes" : "full",
		    round_bytes >> 20, (double)(mig_now_ms() - t0) / 1000.0);
	return rc;
}

static int xr_shutdown(struct xr_run *r)
{
	const struct mig_opts *o = r->o;
	uint64_t until;
	int state = 0, reason = 0;

	if (!r->was_running)
		return 0;
	r->down_ms = mig_now_ms();
	mig_events_log(r->ev, "info", "shutting '%s' down (up to %u s)",
	               o->domain, o->shutdown_timeout_s);
	if (virDomainShutdown(r->dom) < 0)
		return xr_fail(r, MIG_EXIT_FAILED, "shutdown: %s",
		               virGetLastErrorMessage());
	until = r->down_ms + o->shutdown_timeout_s * 1000ull;
	while (mig_now_ms() < until && !mig_migrate_cancelled()) {
		if (virDomainGetState(r->dom, &state, &reason, 0) == 0 &&
		    state == VIR_DOMAIN_SHUTOFF) {
			r->stopped = true;
			return 0;
		}
		usleep(200000);
	}
	if (mig_migrate_cancelled())
		return xr_fail(r, MIG_EXIT_CANCELLED,
		               "cancelled while the guest shut down");
	if (!o->force_off)
		return xr_fail(r, MIG_EXIT_FAILED,
		               "the guest did not power off within %u s; give "
		               "it more time "
		               "(--shutdown-timeout) or --force-off",
		               o->shutdown_timeout_s);
	mig_events_log(
	    r->ev, "warn",
	    "the guest did not power off within %u s: powering it off",
	    o->shutdown_timeout_s);
	if (virDomainDestroy(r->dom) < 0)
		return xr_fail(r, MIG_EXIT_FAILED, "power off: %s",
		               virGetLastErrorMessage());
	r->stopped = true;
	return 0;
}

static int xr_commit(struct xr_run *r)
{
	struct hv_ctl_msg msg = { .type = "commit" }, res = { 0 };
	struct mig_result result = { 0 };
	struct hv_error herr = { 0 };
	struct tp_error err = { 0 };
	char *buf = NULL;
	ssize_t len;

	if (xr_send_json(r, hv_ctl_msg_encode(&msg, &herr)) < 0)
		return xr_fail(r, MIG_EXIT_FAILED, "commit: control channel");
	len = tp_msg_recv(r->control_fd, &buf, XR_RESULT_WAIT_MS, &err);
	if (len < 0 || hv_ctl_msg_decode(buf, (size_t)len, &res, &herr) < 0) {
		free(buf);
		return xr_fail(r, MIG_EXIT_FAILED,
		               "no result from the receiver: %s",
		               len < 0 ? err.msg : herr.msg);
	}
	free(buf);
	if (!res.ok)
		return xr_fail(r, MIG_EXIT_FAILED,
		               "the receiver could not finish: %s", res.reason);
	r->stopped = false; /* it lives at the destination now */
	mig_events_log(r->ev, "info", "receiver: %s", res.reason);
	if (r->o->undefine_source && hv_domain_undefine(r->dom, &herr) < 0)
		mig_events_log(r->ev, "warn", "at the source: %s", herr.msg);
	mig_transport_result(r->ev, r->runner, &result);
	result.downtime_ms = r->was_running ? mig_now_ms() - r->down_ms : 0;
	result.total_ms = mig_now_ms() - r->t0_ms;
	result.source_host = r->host;
	result.dest_host = r->o->to_host;
	result.source_undefined = r->o->undefine_source;
	result.dest_persistent = true;
	result.disk_bytes = r->data_bytes;
	mig_events_completed(r->ev, &result);
	return MIG_EXIT_OK;
}

static void xr_abort_remote(struct xr_run *r, const char *reason)
{
	mig_ctl_abort(r->control_fd, r->runner, reason);
}

static int xr_move(struct xr_run *r)
{
	char last[64];
	unsigned int round;
	int rc = 0;

	if (r->o->mode == MIG_MODE_WARM) {
		for (round = 0; rc == 0 && round < r->o->warm_rounds; round++) {
			if (mig_migrate_cancelled())
				return xr_fail(r, MIG_EXIT_CANCELLED,
				               "cancelled");
			rc = xr_warm_round(r);
		}
		if (rc == 0)
			rc = xr_shutdown(r);
		snprintf(last, sizeof(last), XR_CHECKPOINT "%u",
		         r->checkpoints);
		if (rc == 0)
			rc = xr_send_offline(r, last);
	} else {
		rc = xr_shutdown(r);
		if (rc == 0)
			rc = xr_send_offline(r, NULL);
	}
	if (rc == 0 && mig_migrate_cancelled())
		rc = xr_fail(r, MIG_EXIT_CANCELLED, "cancelled");
	if (rc == 0 && r->was_running)
		mig_events_log(r->ev, "info",
		               "switchover: %" PRIu64
		               " MiB final data in %.1f s",
		               r->final_bytes >> 20,
		               (double)(mig_now_ms() - r->down_ms) / 1000.0);
	return rc == 0 ? xr_commit(r) : rc;
}

static void xr_cleanup(struct xr_run *r)
{
	struct hv_error herr = { 0 };

	if (r->dom && r->checkpoints &&
	    hv_checkpoint_delete_prefix(r->dom, XR_CHECKPOINT, &herr) < 0)
		mig_events_log(r->ev, "warn", "checkpoints: %s", herr.msg);
	if (r->control_fd >= 0)
		close(r->control_fd);
	tp_runner_stop(r->runner, NULL);
	tp_session_free(r->tp);
	hv_domain_clear(&r->hdom);
	if (r->dom)
		virDomainFree(r->dom);
	if (r->conn)
		virConnectClose(r->conn);
	free(r->src);
	free(r->plan);
}

int mig_xfer_live_check(const struct mig_opts *o, char *why, size_t len)
{
	const struct hv_profile *p = NULL;

	if (o->target_kind < 0 ||
	    hv_profile_from_uri(o->libvirt_uri, &p, NULL) < 0 ||
	    p->kind == (enum hv_kind)o->target_kind)
		return 0;
	snprintf(
	    why, len,
	    "live migration from %s to %s is impossible: memory and device "
	    "state "
	    "cannot move between hypervisors; use --mode cold or --mode warm",
	    hv_kind_name(p->kind), hv_kind_name((enum hv_kind)o->target_kind));
	return -EINVAL;
}

int mig_xfer(const struct mig_opts *o)
{
	struct xr_run run = { .o = o, .control_fd = -1 };
	struct xr_run *r = &run;
	int rc;

	r->ev = mig_events_new(o->json ? stdout : stderr,
	                       o->json                 ? MIG_EVENTS_JSON
	                       : isatty(STDERR_FILENO) ? MIG_EVENTS_TTY
	                                               : MIG_EVENTS_PLAIN,
	                       o->domain);
	if (!r->ev)
		return MIG_EXIT_FAILED;
	r->t0_ms = mig_now_ms();
	gethostname(r->host, sizeof(r->host) - 1);
	r->src = calloc(1, sizeof(*r->src));
	r->plan = calloc(1, sizeof(*r->plan));
	if (!r->src || !r->plan) {
		rc = xr_fail(r, MIG_EXIT_FAILED, "out of memory");
		goto out;
	}
	hv_virt_init();
	rc = xr_local(r);
	if (rc == 0) {
		size_t i;

		for (i = 0; i < r->plan->def.n_notes; i++)
			mig_events_log(r->ev, "info", "note: %s",
			               r->plan->def.notes[i]);
		rc = xr_connect_plan(r);
	}
	if (rc == 0 && o->dry_run) {
		mig_events_log(r->ev, "info",
		               "dry run: '%s' can move %s to %s as %s; nothing "
		               "was changed",
		               o->domain, hv_xplan_mode_name(r->plan->mode),
		               o->to_host, hv_kind_name(r->plan->def.kind));
		goto out;
	}
	if (rc == 0)
		rc = xr_move(r);
	if (rc != 0)
		xr_abort_remote(r, "the move failed at the source");
out:
	xr_cleanup(r);
	mig_events_free(r->ev);
	return rc;
}
