/*
 * migrate.c: `migrator migrate`: plan with the receiver, relay, let
 * libvirt migrate through the transport, steer convergence, report.
 *
 * Whatever fails, the VM ends up running at the source: libvirt resumes it
 * when a migration fails, this file resumes it if it was left paused, and
 * the receiver removes what it created when told to (or when we vanish).
 */
#include "migrator/migrate.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libvirt/virterror.h>

#include "hypervisor/domxml.h"
#include "hypervisor/migrate.h"
#include "hypervisor/plan.h"
#include "hypervisor/virt.h"
#include "migrator/connect.h"
#include "migrator/converge.h"
#include "migrator/events.h"
#include "migrator/net.h"
#include "migrator/relay.h"
#include "migrator/xfer.h"
#include "transport/psk_file.h"
#include "transport/runner.h"
#include "transport/tp_msg.h"

#define MIG_POLL_MS        500    /* job statistics, at least this often */
#define MIG_ABORT_WAIT_MS  30000  /* an aborted job must end within this */
/* a recovery's stream must start within this of asking libvirt */
#define MIG_RESUME_START_MS   60000
#define MIG_ANSWER_WAIT_MS 120000 /* the receiver creates disks first */
#define MIG_RESULT_WAIT_MS 30000
#define MIG_JOB_EVENT_WAIT_MS 2000 /* the job-completed event, if late */

static atomic_int mig_cancelled;

void mig_migrate_cancel(void)
{
	mig_cancelled = 1;
}

bool mig_migrate_cancelled(void)
{
	return mig_cancelled != 0;
}

struct mig_run {
	const struct mig_opts *o;
	struct mig_events *ev;
	char host[256]; /* this host, for "where the VM runs" */
	uint64_t t0_ms;
	/* libvirt */
	virConnectPtr conn, dconn;
	virDomainPtr dom;
	struct hv_domain hdom;
	char *xml, *inactive_xml;
	bool persistent_src;
	/* receiver */
	struct mig_creds creds;
	struct tp_session *tp;
	struct tp_runner *runner;
	int control_fd;
	struct hv_plan plan;
	struct hv_plan_answer answer;
	struct mig_relay *relay;
	/* the migration */
	pthread_t thread;
	atomic_bool finished;
	bool stuck; /* the source's job outlived its abort: thread left */
	virDomainPtr ddom;
	struct hv_error merr;
	atomic_bool switched; /* libvirt said: source paused for switchover */
	atomic_uint_fast64_t switch_ms;
	bool postcopy;
	char reason[512]; /* why we stopped it, "" if we did not */
	bool gave_up;
	struct hv_job done_job; /* completed job statistics, if any */
	/* The same, as libvirt's job-completed event brought them: the only
	   copy left once a transient source is gone. */
	pthread_mutex_t job_lock;
	bool job_heard;
	struct hv_job heard_job;
	int job_cb;             /* its callback, -1 if none */
	struct mig_net *net;    /* tunnels, if --net */
};

/* Fail: say what went wrong and where the VM runs; return code. */
static int mig_fail(struct mig_run *r, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Where the VM runs now, for the failure report. A source the failed
 * migration left paused is resumed first: the VM keeps running at the
 * source.
 */
static const char *mig_where_resume(struct mig_run *r, char *buf, size_t len)
{
	int state = 0, reason = 0;

	if (!r->dom) {
		snprintf(buf, len, "source (%s), untouched", r->host);
		return buf;
	}
	if (virDomainGetState(r->dom, &state, &reason, 0) < 0) {
		snprintf(buf, len,
		         "unknown: the source lost it; check both "
		         "sites");
		return buf;
	}
	if (state == VIR_DOMAIN_PAUSED && virDomainResume(r->dom) == 0)
		snprintf(buf, len, "source (%s), running (resumed)", r->host);
	else if (state == VIR_DOMAIN_RUNNING || state == VIR_DOMAIN_PAUSED)
		snprintf(buf, len, "source (%s), %s", r->host,
		         state == VIR_DOMAIN_RUNNING ? "running" : "paused");
	else
		snprintf(buf, len, "source (%s), not running (state %d)",
		         r->host, state);
	return buf;
}

static int mig_fail(struct mig_run *r, int code, const char *fmt, ...)
{
	char reason[1024], where[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	mig_events_failed(r->ev, reason,
	                  mig_where_resume(r, where, sizeof(where)), code);
	return code;
}

/*
 * After a failure with post-copy asked for: did QEMU get there? Asking only
 * sets a flag, and a failure before QEMU acted on it cancels the migration
 * and leaves the VM running at the source. A source paused for post-copy
 * means the VM is split; so does a source we cannot ask (removing the
 * destination then could lose the only copy).
 */
static bool mig_paused_in_postcopy(virDomainPtr dom, bool unknown)
{
	int state = 0, reason = 0;

	if (virDomainGetState(dom, &state, &reason, 0) < 0)
		return unknown;
	return state == VIR_DOMAIN_PAUSED &&
	       (reason == VIR_DOMAIN_PAUSED_POSTCOPY ||
	        reason == VIR_DOMAIN_PAUSED_POSTCOPY_FAILED);
}

static bool mig_split(struct mig_run *r)
{
	return mig_paused_in_postcopy(r->dom, true);
}

/* The migration failed after post-copy began: report, touch nothing. */
static int mig_fail_split(struct mig_run *r, const char *why)
{
	char where[2048];

	snprintf(where, sizeof(where),
	         "split: paused at the source (%s) in post-copy. If the "
	         "destination (%s) had started it, its newest state is "
	         "there and the receiver keeps it: neither side may be "
	         "resumed alone; recover it once both sites reach each "
	         "other (migrator migrate %s --to %s --postcopy-resume, "
	         "with the same credentials). If the receiver logs that "
	         "the destination never ran it, the source holds all of it",
	         r->host, r->o->to_host, r->o->domain, r->o->to_host);
	mig_events_failed(r->ev, why, where, MIG_EXIT_POSTCOPY_FAILED);
	return MIG_EXIT_POSTCOPY_FAILED;
}

/* --- the source VM and the plan --------------------------------------- */

static bool mig_shared(const struct mig_opts *o, const char *target)
{
	size_t i;

	for (i = 0; i < o->n_shared_disks; i++)
		if (!strcmp(o->shared_disks[i], target))
			return true;
	return false;
}

static int mig_local(struct mig_run *r)
{
	const struct mig_opts *o = r->o;
	struct hv_error herr = { 0 };
	char why[512];
	size_t i, j;
	int active;

	r->conn = hv_virt_open(o->libvirt_uri, &herr);
	if (!r->conn)
		return mig_fail(r, MIG_EXIT_PREFLIGHT, "%s", herr.msg);
	r->dom = virDomainLookupByName(r->conn, o->domain);
	if (!r->dom)
		return mig_fail(r, MIG_EXIT_PREFLIGHT,
		                "no domain '%s' in %s; see 'virsh list --all'",
		                o->domain, o->libvirt_uri);
	active = virDomainIsActive(r->dom);
	if (active != 1) {
		virDomainFree(r->dom);
		r->dom = NULL;
		return mig_fail(r, MIG_EXIT_PREFLIGHT,
		                "domain '%s' is not running; live migration "
		                "moves running VMs",
		                o->domain);
	}
	if (o->postcopy_resume != mig_paused_in_postcopy(r->dom, false))
		return mig_fail(
		    r, MIG_EXIT_PREFLIGHT, "%s",
		    o->postcopy_resume
		        ? "there is no failed post-copy to resume here: "
		          "--postcopy-resume is for a migration that exited 6, "
		          "its VM paused in post-copy at the source"
		        : "the VM is paused in a post-copy that failed, its "
		          "memory split with the destination: recover it "
		          "with --postcopy-resume");
	r->postcopy = o->postcopy_resume;
	r->persistent_src = virDomainIsPersistent(r->dom) == 1;
	r->xml = virDomainGetXMLDesc(r->dom, VIR_DOMAIN_XML_MIGRATABLE);
	if (!r->xml)
		return mig_fail(
		    r, MIG_EXIT_FAILED, "%s",
		    (hv_virt_error(&herr, -EIO, "domain XML"), herr.msg));
	if (o->persistent) {
		r->inactive_xml = virDomainGetXMLDesc(
		    r->dom,
		    VIR_DOMAIN_XML_MIGRATABLE |
		        (r->persistent_src ? VIR_DOMAIN_XML_INACTIVE : 0));
		if (!r->inactive_xml)
			return mig_fail(
			    r, MIG_EXIT_FAILED, "%s",
			    (hv_virt_error(&herr, -EIO, "persistent XML"),
			     herr.msg));
	}
	if (hv_domxml_parse(r->xml, strlen(r->xml), &r->hdom, &herr) < 0 ||
	    hv_plan_from_domain(&r->hdom, &r->plan, &herr) < 0)
		return mig_fail(r, MIG_EXIT_PREFLIGHT, "%s", herr.msg);
	for (i = 0; i < o->n_shared_disks; i++) {
		for (j = 0; j < r->plan.n_disks; j++)
			if (!strcmp(r->plan.disks[j].target,
			            o->shared_disks[i]))
				break;
		if (j == r->plan.n_disks)
			return mig_fail(
			    r, MIG_EXIT_USAGE,
			    "--shared-disk %s: '%s' has no such disk",
			    o->shared_disks[i], o->domain);
	}
	for (i = 0; i < r->plan.n_disks; i++) {
		struct hv_plan_disk *d = &r->plan.disks[i];

		if (mig_shared(o, d->target))
			d->shared = true;
		if (d->shared)
			continue;
		if (hv_domain_disk_size(r->dom, d->target, &d->virtual_size,
		                        &d->allocation, &herr) < 0)
			return mig_fail(r, MIG_EXIT_FAILED, "%s", herr.msg);
		if (d->allocation > d->virtual_size + d->virtual_size / 8)
			d->allocation = d->virtual_size;
	}
	r->plan.persistent = o->persistent;
	r->plan.undefine_source = o->undefine_source;
	r->plan.postcopy = o->postcopy;
	r->plan.postcopy_resume = o->postcopy_resume;
	r->plan.dry_run = o->dry_run;
	r->plan.parallel = o->parallel ? o->parallel : 1;
	r->plan.resume_timeout_ms = o->resume_timeout_ms;
	if (hv_plan_check(&r->plan, &herr) < 0)
		return mig_fail(r, MIG_EXIT_PREFLIGHT, "%s", herr.msg);
	if (mig_net_new(o, &r->hdom, r->ev, &r->net, why, sizeof(why)) < 0)
		return mig_fail(r, MIG_EXIT_PREFLIGHT, "%s", why);
	return 0;
}

/* --- the receiver ----------------------------------------------------- */

static int mig_connect(struct mig_run *r)
{
	struct tp_error err = { 0 };
	char why[512];
	int fd, code = 0;

	r->tp = mig_connect_session(r->o, &r->creds, &code, why, sizeof(why));
	if (!r->tp)
		return mig_fail(r, code, "%s", why);
	r->runner = tp_runner_start(r->tp, &err);
	if (!r->runner)
		return mig_fail(r, MIG_EXIT_FAILED, "%s", err.msg);
	fd = mig_chan_post(r->tp, "control", TP_PRIO_CONTROL);
	if (fd < 0)
		return mig_fail(r, MIG_EXIT_FAILED, "control channel: %s",
		                strerror(-fd));
	r->control_fd = fd;
	mig_events_log(r->ev, "info", "connected to %s",
	               tp_session_peer(r->tp));
	return 0;
}

static int mig_send_json(struct mig_run *r, char *json)
{
	return mig_ctl_send(r->control_fd, json);
}

static void mig_print_checks(struct mig_run *r)
{
	size_t i;

	for (i = 0; i < r->answer.n_checks; i++)
		mig_events_log(r->ev, "info", "receiver: %s",
		               r->answer.checks[i]);
}

void mig_transport_result(struct mig_events *ev, struct tp_runner *runner,
                          struct mig_result *result)
{
	struct tp_stats st;

	tp_runner_stats(runner, &st);
	mig_events_log(ev, "info",
	               "transport: %" PRIu64 " resumes, %" PRIu64
	               " frames resent",
	               st.resumes, st.tx_resent);
	result->raw_bytes = st.tx_raw;
	result->wire_bytes = st.tx_wire;
	result->compression =
	    st.tx_wire ? (double)st.tx_raw / (double)st.tx_wire : 1.0;
}

void mig_resume_granted(struct mig_events *ev, struct tp_session *tp,
                        unsigned int asked, unsigned int granted)
{
	if (!asked)
		return;
	if (!granted)
		granted = TP_DEFAULT_RESUME_MS; /* it said nothing */
	if (granted >= asked)
		return;
	tp_session_set_resume_timeout(tp, granted);
	mig_events_log(ev, "warn",
	               "the receiver rides out WAN outages of at most %u s "
	               "(its --max-resume-timeout), not the %u s asked; a "
	               "longer one fails the migration",
	               granted / 1000, asked / 1000);
}

static int mig_plan(struct mig_run *r)
{
	char why[512];
	struct hv_error herr = { 0 };
	struct tp_error err = { 0 };
	char *msg = NULL;
	ssize_t len;

	if (mig_send_json(r, hv_plan_encode(&r->plan, &herr)) < 0)
		return mig_fail(r, MIG_EXIT_FAILED, "sending the plan: %s",
		                herr.msg[0] ? herr.msg : "control channel");
	len = tp_msg_recv(r->control_fd, &msg, MIG_ANSWER_WAIT_MS, &err);
	if (len < 0) {
		struct tp_error serr = { 0 };

		if (tp_runner_wait(r->runner, 0, &serr))
			return mig_fail(r, MIG_EXIT_FAILED,
			                "no answer from the receiver: %s",
			                serr.msg);
		return mig_fail(r, MIG_EXIT_FAILED,
		                "no answer from the receiver: %s", err.msg);
	}
	if (hv_plan_answer_decode(msg, (size_t)len, &r->answer, &herr) < 0) {
		free(msg);
		return mig_fail(r, MIG_EXIT_FAILED, "receiver: %s", herr.msg);
	}
	free(msg);
	mig_print_checks(r);
	if (!r->answer.ok)
		return mig_fail(r, MIG_EXIT_PREFLIGHT,
		                "the receiver refused the plan: %s",
		                r->answer.error);
	mig_resume_granted(r->ev, r->tp, r->plan.resume_timeout_ms,
	                   r->answer.resume_timeout_ms);
	if (r->o->dry_run)
		return 0;
	if (hv_plan_answer_match(&r->plan, &r->answer, &herr) < 0)
		return mig_fail(r, MIG_EXIT_FAILED, "receiver: %s", herr.msg);
	if (r->net && mig_net_setup(r->net, r->tp, r->control_fd, why,
	                            sizeof(why)) < 0)
		return mig_fail(r, MIG_EXIT_PREFLIGHT, "network: %s", why);
	return 0;
}

/* --- the migration ---------------------------------------------------- */

static void mig_on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event,
                             int detail, void *opaque)
{
	struct mig_run *r = opaque;

	(void)conn;
	(void)dom;
	if (event == VIR_DOMAIN_EVENT_SUSPENDED &&
	    (detail == VIR_DOMAIN_EVENT_SUSPENDED_MIGRATED ||
	     detail == VIR_DOMAIN_EVENT_SUSPENDED_POSTCOPY) &&
	    !r->switched) {
		r->switch_ms = mig_now_ms();
		r->switched = true;
		mig_net_cutover(r->net);
	}
}

static void mig_on_job_completed(virConnectPtr conn, virDomainPtr dom,
                                 virTypedParameterPtr params, int nparams,
                                 void *opaque)
{
	struct mig_run *r = opaque;

	(void)conn;
	(void)dom;
	pthread_mutex_lock(&r->job_lock);
	hv_job_from_params(params, nparams, VIR_DOMAIN_JOB_COMPLETED,
	                   &r->heard_job);
	r->job_heard = true;
	pthread_mutex_unlock(&r->job_lock);
}

/* The job-completed event's statistics, waiting up to wait_ms for it. */
static bool mig_heard_job(struct mig_run *r, unsigned int wait_ms,
                          struct hv_job *job)
{
	const struct timespec step = { 0, 50 * 1000000L };
	unsigned int waited = 0;
	bool heard;

	for (;;) {
		pthread_mutex_lock(&r->job_lock);
		heard = r->job_heard;
		if (heard)
			*job = r->heard_job;
		pthread_mutex_unlock(&r->job_lock);
		if (heard || waited >= wait_ms)
			return heard;
		nanosleep(&step, NULL);
		waited += 50;
	}
}

static void mig_event_wake(int timer, void *opaque)
{
	(void)opaque;
	virEventRemoveTimeout(timer);
}

static void *mig_event_loop(void *arg)
{
	atomic_bool *stop = arg;

	while (!*stop)
		if (virEventRunDefaultImpl() < 0)
			break;
	return NULL;
}

static void *mig_migrate_main(void *arg)
{
	struct mig_run *r = arg;
	const struct mig_opts *o = r->o;
	struct hv_migrate_args a = { 0 };
	struct hv_error herr = { 0 };
	char mem_uri[320], disks_uri[320];
	char *dest_xml = NULL, *persist_xml = NULL;
	struct hv_disk_map map[HV_MAX_DISKS];
	size_t i;

	for (i = 0; i < r->answer.n_disks; i++) {
		map[i].target = r->answer.disks[i].target;
		map[i].path = r->answer.disks[i].path;
		map[i].format = r->answer.disks[i].format;
		if (!r->o->postcopy_resume) /* the disks were copied before */
			a.disks[a.n_disks++] = r->answer.disks[i].target;
	}
	dest_xml = hv_domxml_map_disks(r->xml, strlen(r->xml), map,
	                               r->answer.n_disks, &herr);
	if (dest_xml && r->inactive_xml)
		persist_xml = hv_domxml_map_disks(r->inactive_xml,
		                                  strlen(r->inactive_xml), map,
		                                  r->answer.n_disks, &herr);
	if (!dest_xml || (r->inactive_xml && !persist_xml)) {
		r->merr = herr;
		goto out;
	}
	snprintf(mem_uri, sizeof(mem_uri), "unix://%s/mem.sock",
	         r->answer.session_dir);
	snprintf(disks_uri, sizeof(disks_uri), "unix://%s/nbd.sock",
	         r->answer.session_dir);
	a.mem_uri = mem_uri;
	a.disks_uri = a.n_disks ? disks_uri : NULL;
	a.dest_xml = dest_xml;
	a.persist_xml = persist_xml;
	a.parallel = o->parallel;
	a.ac_initial = o->ac_initial;
	a.ac_increment = o->ac_increment;
	a.flags = VIR_MIGRATE_LIVE | VIR_MIGRATE_ABORT_ON_ERROR;
	if (a.n_disks)
		/*
		 * Synchronous mirroring: at WAN latency an asynchronous
		 * mirror never catches up with a guest that writes.
		 */
		a.flags |= VIR_MIGRATE_NON_SHARED_DISK |
		           VIR_MIGRATE_NON_SHARED_SYNCHRONOUS_WRITES;
	if (o->persistent)
		a.flags |= VIR_MIGRATE_PERSIST_DEST;
	if (o->auto_converge)
		a.flags |= VIR_MIGRATE_AUTO_CONVERGE;
	if (o->postcopy || o->on_timeout == MIG_ON_TIMEOUT_POSTCOPY)
		a.flags |= VIR_MIGRATE_POSTCOPY;
	if (o->postcopy_resume)
		a.flags |= VIR_MIGRATE_POSTCOPY_RESUME;
	if (o->parallel)
		a.flags |= VIR_MIGRATE_PARALLEL;
	r->ddom = hv_migrate_run(r->dom, r->dconn, &a, &r->merr);
out:
	free(dest_xml);
	free(persist_xml);
	r->finished = true;
	return NULL;
}

/*
 * Ask QEMU to switch to post-copy: the destination runs the VM from now on,
 * and fetches the pages still dirty as it touches them, while the source
 * pushes the rest.
 */
static int mig_start_postcopy(struct mig_run *r, const char *why,
                              struct hv_error *herr)
{
	if (virDomainMigrateStartPostCopy(r->dom, 0) < 0)
		return hv_virt_error(herr, -EIO, "post-copy");
	r->postcopy = true;
	mig_relay_postcopy(r->relay);
	mig_events_log(r->ev, "warn", "switching to post-copy: %s", why);
	return 0;
}

/* One poll: statistics, the policy, progress. */
static void mig_poll(struct mig_run *r, struct mig_policy *policy,
                     uint64_t *limit_ms, struct tp_stats *last,
                     uint64_t *last_ms)
{
	struct hv_error herr = { 0 };
	struct mig_prediction pred = { 0 };
	struct mig_decision d = { 0 };
	struct mig_sample s = { 0 };
	struct tp_stats st;
	struct hv_job job;
	uint64_t now = mig_now_ms();
	double ratio;

	if (hv_job_sample(r->dom, 0, &job, NULL) < 0 ||
	    job.type == VIR_DOMAIN_JOB_NONE)
		return;
	if (*limit_ms == 0) {
		*limit_ms = mig_policy_initial_downtime(policy);
		virDomainMigrateSetMaxDowntime(r->dom, *limit_ms, 0);
	}
	tp_runner_stats(r->runner, &st);
	s.t_ms = now;
	s.mem_total = job.mem_total;
	s.mem_processed = job.mem_processed;
	s.mem_remaining = job.mem_remaining;
	s.mem_dirty_rate = job.mem_dirty_rate;
	s.mem_iteration = job.mem_iteration;
	s.mem_bps = job.mem_bps;
	s.disk_total = job.disk_total;
	s.disk_processed = job.disk_processed;
	s.disk_remaining = job.disk_remaining;
	if (now > *last_ms && st.tx_raw >= last->tx_raw)
		s.wire_bps =
		    (st.tx_raw - last->tx_raw) * 1000u / (now - *last_ms);
	s.downtime_limit_ms = *limit_ms;
	s.postcopy_active = r->postcopy;
	mig_policy_feed(policy, &s, &pred, &d);
	ratio = st.tx_wire ? (double)st.tx_raw / (double)st.tx_wire : 1.0;
	mig_events_progress(r->ev, &pred, &s, ratio,
	                    now > *last_ms ? (st.tx_wire - last->tx_wire) *
	                                         1000u / (now - *last_ms)
	                                   : 0);
	*last = st;
	*last_ms = now;
	if (d.kind == MIG_DECIDE_RAISE_DOWNTIME) {
		if (virDomainMigrateSetMaxDowntime(r->dom, d.downtime_ms, 0) ==
		    0) {
			*limit_ms = d.downtime_ms;
			mig_events_log(r->ev, "info",
			               "allowed downtime raised to %" PRIu64
			               " ms: %s",
			               d.downtime_ms, d.reason);
		}
	} else if (d.kind == MIG_DECIDE_POSTCOPY) {
		if (mig_start_postcopy(r, d.reason, &herr) < 0)
			mig_events_log(r->ev, "warn", "%s; pre-copy goes on",
			               herr.msg);
	} else if (d.kind == MIG_DECIDE_GIVE_UP && !r->gave_up) {
		if (r->o->on_timeout == MIG_ON_TIMEOUT_POSTCOPY) {
			if (mig_start_postcopy(r, d.reason, &herr) == 0)
				return;
			mig_events_log(r->ev, "warn", "%s; aborting instead",
			               herr.msg);
		}
		r->gave_up = true;
		snprintf(r->reason, sizeof(r->reason), "%s", d.reason);
		virDomainAbortJob(r->dom);
	}
}

static int mig_watch(struct mig_run *r)
{
	struct mig_policy_conf pc = { 0 };
	struct mig_policy *policy;
	struct tp_stats last = { 0 };
	struct tp_error err = { 0 };
	uint64_t limit_ms = 0, last_ms = mig_now_ms(), next = 0, now;
	uint64_t abort_ms = 0, start_ms = mig_now_ms();
	bool aborted = false, switch_told = false, cancel_ignored = false;

	pc.max_downtime_ms = r->o->max_downtime_ms;
	pc.completion_timeout_s = r->o->completion_timeout_s;
	pc.auto_converge = r->o->auto_converge;
	pc.postcopy_after_precopy = r->o->postcopy_after_precopy;
	policy = mig_policy_new(&pc);
	if (!policy)
		return -ENOMEM;
	while (!r->finished) {
		usleep(50000);
		if (r->switched && !switch_told) {
			mig_events_switchover(r->ev, r->switch_ms - r->t0_ms);
			switch_told = true;
		}
		if (mig_cancelled && !aborted && !cancel_ignored &&
		    r->postcopy) {
			mig_events_log(r->ev, "warn",
			               "cancel ignored: in post-copy the VM "
			               "already runs at the destination, and "
			               "the migration must finish");
			cancel_ignored = true;
		} else if (mig_cancelled && !aborted && !cancel_ignored) {
			mig_events_log(r->ev, "warn",
			               "cancelled: aborting the migration");
			snprintf(r->reason, sizeof(r->reason),
			         "cancelled by a signal");
			virDomainAbortJob(r->dom);
			aborted = true;
		}
		if (!aborted && tp_runner_wait(r->runner, 0, &err)) {
			snprintf(r->reason, sizeof(r->reason),
			         "the transport to the receiver failed: %s",
			         err.msg);
			virDomainAbortJob(r->dom);
			aborted = true;
		}
		now = mig_now_ms();
		if ((aborted || r->gave_up) && !abort_ms)
			abort_ms = now;
		/*
		 * QEMU 7.2 can hang in a migration (multifd) and then never
		 * finish cancelling it. The VM runs on at the source; say so
		 * and stop waiting for a call that will not return.
		 */
		if (abort_ms && now - abort_ms > MIG_ABORT_WAIT_MS &&
		    !r->finished) {
			size_t n = strlen(r->reason);

			snprintf(r->reason + n, sizeof(r->reason) - n,
			         "%sthe source's migration job did not end "
			         "within %d s of the abort (see 'virsh "
			         "domjobinfo %s' there)",
			         n ? "; " : "", MIG_ABORT_WAIT_MS / 1000,
			         r->o->domain);
			r->stuck = true;
			break;
		}
		/*
		 * A recovery waits first on libvirt at the destination, whose
		 * QEMU may never answer: QEMU 7.2's main loop can be stuck
		 * behind a vCPU waiting on a page only the broken stream
		 * could bring. Nothing moved: the VM is split as it was.
		 */
		if (r->o->postcopy_resume && !aborted &&
		    !mig_relay_accepted(r->relay, "mem") &&
		    now - start_ms > MIG_RESUME_START_MS && !r->finished) {
			snprintf(
			    r->reason, sizeof(r->reason),
			    "the recovery did not start within %d s: "
			    "libvirt at the destination did not get its "
			    "QEMU ready to resume (see its libvirtd log; a "
			    "QEMU blocked on a page never answers)",
			    MIG_RESUME_START_MS / 1000);
			r->stuck = true;
			break;
		}
		if (now < next || aborted || r->gave_up)
			continue;
		next = now + MIG_POLL_MS;
		mig_poll(r, policy, &limit_ms, &last, &last_ms);
	}
	if (r->switched && !switch_told)
		mig_events_switchover(r->ev, r->switch_ms - r->t0_ms);
	mig_policy_free(policy);
	return 0;
}

static int mig_run_migration(struct mig_run *r)
{
	struct tp_error err = { 0 };
	char uri[512];
	uid_t uid;
	gid_t gid;
	int cb;

	hv_qemu_user(&uid, &gid);
	r->relay =
	    mig_relay_start(r->tp, r->answer.session_dir, uid, gid, &err);
	if (!r->relay)
		return mig_fail(r, MIG_EXIT_FAILED, "local relay: %s", err.msg);
	if (r->postcopy)
		mig_relay_postcopy(r->relay); /* resuming one */
	snprintf(uri, sizeof(uri), "qemu+unix:///system?socket=%s/libvirt.sock",
	         r->answer.session_dir);
	r->dconn = virConnectOpen(uri);
	if (!r->dconn) {
		struct hv_error herr = { 0 };

		hv_virt_error(&herr, -EIO, "the receiver's libvirt");
		return mig_fail(r, MIG_EXIT_FAILED, "%s", herr.msg);
	}
	cb = virConnectDomainEventRegisterAny(
	    r->conn, r->dom, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
	    VIR_DOMAIN_EVENT_CALLBACK(mig_on_lifecycle), r, NULL);
	r->job_cb = virConnectDomainEventRegisterAny(
	    r->conn, r->dom, VIR_DOMAIN_EVENT_ID_JOB_COMPLETED,
	    VIR_DOMAIN_EVENT_CALLBACK(mig_on_job_completed), r, NULL);
	mig_events_log(r->ev, "info", "%s '%s' to %s",
	               r->o->postcopy_resume ? "resuming the post-copy of"
	                                     : "migrating",
	               r->o->domain, r->o->to_host);
	if (pthread_create(&r->thread, NULL, mig_migrate_main, r) != 0)
		return mig_fail(r, MIG_EXIT_FAILED, "cannot start a thread");
	mig_watch(r);
	if (r->stuck)
		pthread_detach(r->thread); /* blocked in libvirt; we exit */
	else
		pthread_join(r->thread, NULL);
	if (cb >= 0)
		virConnectDomainEventDeregisterAny(r->conn, cb);
	return 0;
}

/* The migration worked: let the receiver keep it, and report. */
static int mig_commit(struct mig_run *r)
{
	struct hv_ctl_msg msg = { .type = "commit" }, res = { 0 };
	struct mig_result result = { 0 };
	struct hv_error herr = { 0 };
	struct tp_error err = { 0 };
	struct hv_job job;
	char *buf = NULL;
	ssize_t len;

	if (hv_job_sample(r->dom, VIR_DOMAIN_JOB_STATS_COMPLETED, &job, NULL) ==
	        0 &&
	    job.has_downtime)
		r->done_job = job;
	else if (mig_heard_job(r, MIG_JOB_EVENT_WAIT_MS, &job) &&
	         job.has_downtime)
		r->done_job = job; /* a transient source: gone with its job */
	if (mig_send_json(r, hv_ctl_msg_encode(&msg, &herr)) < 0 ||
	    (len = tp_msg_recv(r->control_fd, &buf, MIG_RESULT_WAIT_MS, &err)) <
	        0 ||
	    hv_ctl_msg_decode(buf, (size_t)len, &res, &herr) < 0 || !res.ok)
		mig_events_log(r->ev, "warn",
		               "the receiver did not confirm the VM (%s); "
		               "libvirt reports it running there",
		               res.reason[0] ? res.reason
		               : herr.msg[0] ? herr.msg
		                             : err.msg);
	free(buf);
	mig_net_commit(r->net);
	if (r->o->undefine_source && hv_domain_undefine(r->dom, &herr) < 0)
		mig_events_log(r->ev, "warn", "at the source: %s", herr.msg);
	mig_transport_result(r->ev, r->runner, &result);
	result.downtime_ms = r->done_job.downtime_ms;
	result.total_ms = mig_now_ms() - r->t0_ms;
	result.source_host = r->host;
	result.dest_host = r->o->to_host;
	result.source_undefined = r->o->undefine_source;
	result.dest_persistent = r->o->persistent;
	result.mem_bytes = r->done_job.mem_processed;
	result.disk_bytes = r->done_job.disk_processed;
	mig_events_completed(r->ev, &result);
	return MIG_EXIT_OK;
}

/* Tell the receiver to remove what it made, and wait until it has. */
static void mig_abort_remote(struct mig_run *r, const char *reason)
{
	mig_ctl_abort(r->control_fd, r->runner, reason);
}

static void mig_cleanup(struct mig_run *r)
{
	mig_net_free(r->net);
	mig_relay_stop(r->relay);
	if (r->control_fd >= 0)
		close(r->control_fd);
	tp_runner_stop(r->runner, NULL);
	tp_session_free(r->tp);
	hv_plan_clear(&r->plan);
	hv_domain_clear(&r->hdom);
	free(r->xml);
	free(r->inactive_xml);
	if (r->stuck)
		return; /* the migration thread still holds them */
	if (r->dom)
		virDomainFree(r->dom);
	if (r->conn)
		virConnectClose(r->conn);
}

int mig_migrate(const struct mig_opts *o)
{
	struct mig_run run = { .o = o,
		               .control_fd = -1,
		               .job_lock = PTHREAD_MUTEX_INITIALIZER,
		               .job_cb = -1 };
	struct mig_run *r = &run;
	enum mig_event_mode mode;
	atomic_bool loop_stop = false;
	pthread_t loop;
	bool loop_started = false;
	char why[256];
	int rc;

	if (o->mode != MIG_MODE_LIVE)
		return mig_xfer(o);
	mode = o->json                 ? MIG_EVENTS_JSON
	       : isatty(STDERR_FILENO) ? MIG_EVENTS_TTY
	                               : MIG_EVENTS_PLAIN;
	r->ev = mig_events_new(o->json ? stdout : stderr, mode, o->domain);
	if (!r->ev)
		return MIG_EXIT_FAILED;
	r->t0_ms = mig_now_ms();
	gethostname(r->host, sizeof(r->host) - 1);
	hv_virt_init();
	virEventRegisterDefaultImpl();
	if (pthread_create(&loop, NULL, mig_event_loop, &loop_stop) == 0)
		loop_started = true;
	rc = mig_xfer_live_check(o, why, sizeof(why)) < 0
	         ? mig_fail(r, MIG_EXIT_USAGE, "%s", why)
	         : mig_local(r);
	if (rc == 0)
		rc = mig_connect(r);
	if (rc == 0)
		rc = mig_plan(r);
	if (rc == 0 && o->dry_run) {
		mig_events_log(r->ev, "info",
		               "dry run: '%s' can move to %s; nothing was "
		               "changed",
		               o->domain, o->to_host);
		goto out;
	}
	if (rc != 0) {
		mig_abort_remote(r, "preflight failed");
		mig_net_abort(r->net);
		goto out;
	}
	rc = mig_run_migration(r);
	if (r->dconn && !r->ddom && !r->stuck) {
		virConnectClose(r->dconn);
		r->dconn = NULL;
	}
	if (rc == 0 && r->ddom) {
		mig_events_log(r->ev, "info",
		               "libvirt finished the migration (%" PRIu64
		               " ms after the switchover began); confirming "
		               "with the receiver",
		               r->switched ? mig_now_ms() - r->switch_ms : 0);
		virDomainFree(r->ddom);
		r->ddom = NULL;
		virConnectClose(r->dconn);
		r->dconn = NULL;
		rc = mig_commit(r);
	} else if (rc == 0 && r->postcopy && mig_split(r)) {
		/*
		 * QEMU was in post-copy: if the destination had started the
		 * VM it holds the newest state, and neither side may be
		 * removed or resumed alone. The receiver tells which.
		 */
		rc = mig_fail_split(r, r->reason[0] ? r->reason : r->merr.msg);
	} else if (rc == 0) {
		mig_abort_remote(r, r->reason[0] ? r->reason : r->merr.msg);
		mig_net_abort(r->net);
		if (mig_cancelled && !r->stuck)
			rc = mig_fail(r, MIG_EXIT_CANCELLED,
			              "cancelled; the migration was aborted");
		else if (mig_cancelled)
			rc = mig_fail(r, MIG_EXIT_CANCELLED, "cancelled: %s",
			              r->reason);
		else
			rc = mig_fail(r, MIG_EXIT_FAILED, "%s",
			              r->reason[0] ? r->reason : r->merr.msg);
	} else {
		mig_abort_remote(r, "migration setup failed");
		mig_net_abort(r->net);
	}
out:
	if (r->job_cb >= 0 && r->conn)
		virConnectDomainEventDeregisterAny(r->conn, r->job_cb);
	mig_cleanup(r);
	if (loop_started) {
		loop_stop = true;
		virEventAddTimeout(0, mig_event_wake, NULL, NULL);
		pthread_join(loop, NULL);
	}
	mig_events_free(r->ev);
	return rc;
}
