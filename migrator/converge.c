/*
 * converge.c: the convergence policy. See converge.h for the model and the
 * thresholds.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migrator/converge.h"

#define MB 1e6 /* reasons print decimal megabytes */

struct mig_ewma {
	double value;
	bool seeded;
	uint64_t t_seed; /* sample time of the (re)seed */
};

struct mig_policy {
	uint64_t max_ms;
	uint64_t start_ms;
	uint64_t timeout_ms; /* 0: none */
	bool auto_converge;
	bool postcopy_after_precopy;

	struct mig_sample prev;
	bool have_prev;
	uint64_t t_first;

	struct mig_ewma rate;
	bool rate_mem; /* rate reseeded for the memory phase */
	struct mig_ewma dirty;
	bool dirty_known;
	uint64_t t_dirty_known;
	uint64_t syncs_since_known;
	uint64_t syncs;  /* bitmap syncs between the last two samples */
	uint64_t t_sync; /* estimated time of the last bitmap sync */

	uint64_t requested_ms; /* the last limit we asked for */
	uint64_t t_raise;
	bool raised;

	bool stalled;
	uint64_t t_stall;

	bool hopeless;
	uint64_t t_hopeless;
	uint64_t hopeless_syncs;

	bool gave_up;
	bool postcopy_asked;
};

/* What one sample says, once smoothed: the model of converge.h. */
struct mig_model {
	bool known;     /* rate > 0 */
	bool disks;     /* disks still copying, memory not started */
	bool warm;      /* enough history to decide on */
	double rate;    /* R */
	double dirty;   /* D, 0 while unknown */
	double pending; /* P */
	double limit_s; /* L */
	uint64_t limit_ms;
	uint64_t downtime_ms; /* P / R */
};

struct mig_policy *mig_policy_new(const struct mig_policy_conf *conf)
{
	struct mig_policy *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->max_ms = conf->max_downtime_ms ? conf->max_downtime_ms
	                                  : MIG_POLICY_DEFAULT_MAX_MS;
	p->start_ms = conf->start_downtime_ms ? conf->start_downtime_ms
	                                      : MIG_POLICY_DEFAULT_START_MS;
	if (p->start_ms > p->max_ms)
		p->start_ms = p->max_ms;
	p->timeout_ms = (uint64_t)conf->completion_timeout_s * 1000;
	p->auto_converge = conf->auto_converge;
	p->postcopy_after_precopy = conf->postcopy_after_precopy;
	p->requested_ms = p->start_ms;
	return p;
}

void mig_policy_free(struct mig_policy *p)
{
	free(p);
}

uint64_t mig_policy_initial_downtime(const struct mig_policy *p)
{
	return p->start_ms;
}

/* Time-weighted EWMA: a sample dt_s old weighs 1 - e^(-dt/tau). */
static void mig_ewma_add(struct mig_ewma *e, double sample, double dt_s)
{
	double alpha = 1.0 - exp(-dt_s * 1000.0 / MIG_POLICY_TAU_MS);

	if (!e->seeded) {
		e->value = sample;
		e->seeded = true;
		return;
	}
	e->value += alpha * (sample - e->value);
}

/*
 * The send rate ramps up: within one time constant of its (re)seed, a
 * faster sample is the rate; a slower one is averaged as usual.
 */
static void mig_rate_add(struct mig_ewma *e, double sample, double dt_s,
                         uint64_t t_ms)
{
	if (!e->seeded)
		e->t_seed = t_ms;
	else if (t_ms - e->t_seed < MIG_POLICY_TAU_MS && sample > e->value) {
		e->value = sample;
		return;
	}
	mig_ewma_add(e, sample, dt_s);
}

static bool mig_sample_in_disks(const struct mig_sample *s)
{
	return s->disk_total > 0 && s->mem_processed == 0 &&
	       !s->postcopy_active;
}

/*
 * libvirt has a job but no totals yet: the destination is being prepared
 * (its QEMU started, the disk mirrors set up) and nothing moves but RPCs.
 */
static bool mig_sample_starting(const struct mig_sample *s)
{
	return s->mem_total == 0 && s->disk_total == 0 && !s->postcopy_active;
}

/* RAM not yet sent in this pass; all of it before memory starts. */
static uint64_t mig_sample_mem_left(const struct mig_sample *s)
{
	if (s->mem_processed == 0 && s->mem_remaining == 0)
		return s->mem_total;
	return s->mem_remaining;
}

/* The raw send rate of this sample, 0 if it cannot be told. */
static double mig_policy_rate_now(const struct mig_policy *p,
                                  const struct mig_sample *s, double dt_s)
{
	uint64_t done, done_before;

	if (s->wire_bps)
		return (double)s->wire_bps;
	if (s->mem_bps)
		return (double)s->mem_bps;
	if (!p->have_prev || dt_s <= 0)
		return 0;
	done = s->mem_processed + s->disk_processed;
	done_before = p->prev.mem_processed + p->prev.disk_processed;
	return done > done_before ? (double)(done - done_before) / dt_s : 0;
}

/* Update the smoothed rates and the sync bookkeeping from one sample. */
static void mig_policy_observe(struct mig_policy *p, const struct mig_sample *s)
{
	double dt_s, rate;
	uint64_t syncs = 0, dt_ms = 0;

	p->syncs = 0;
	if (!p->have_prev)
		p->t_first = s->t_ms;
	else if (s->t_ms <= p->prev.t_ms)
		return;
	else
		dt_ms = s->t_ms - p->prev.t_ms;
	dt_s = dt_ms / 1000.0;

	/* The RPCs of the start would seed the rate far too low. */
	rate = mig_sample_starting(s) ? 0 : mig_policy_rate_now(p, s, dt_s);
	/* Memory ramps up again after the disks: measure it afresh. */
	if (rate > 0 && !p->rate_mem && !mig_sample_in_disks(s)) {
		p->rate_mem = true;
		p->rate.seeded = false;
	}
	if (rate > 0)
		mig_rate_add(&p->rate, rate, dt_s, s->t_ms);

	if (p->have_prev && s->mem_iteration > p->prev.mem_iteration)
		syncs = s->mem_iteration - p->prev.mem_iteration;
	p->syncs = syncs;
	/* The last of `syncs` syncs fell, on average, this far back. */
	if (syncs)
		p->t_sync = s->t_ms - dt_ms / (2 * syncs);
	else if (!p->have_prev)
		p->t_sync = s->t_ms;

	if (mig_sample_in_disks(s) || s->mem_iteration < 2)
		return;
	if (!p->dirty_known) {
		p->dirty_known = true;
		p->t_dirty_known = s->t_ms;
		p->syncs_since_known = 0;
	} else {
		p->syncs_since_known += syncs;
	}
	mig_ewma_add(&p->dirty, (double)s->mem_dirty_rate, dt_s);
}

static bool mig_policy_warm(const struct mig_policy *p,
                            const struct mig_sample *s)
{
	uint64_t known_ms;

	if (!p->dirty_known || mig_sample_in_disks(s))
		return false;
	known_ms = s->t_ms - p->t_dirty_known;
	if (known_ms >= MIG_POLICY_WARM_MS)
		return true;
	return p->syncs_since_known >= MIG_POLICY_WARM_ITERS &&
	       known_ms >= MIG_POLICY_WARM_MIN_MS;
}

/* The limit in force: as the caller reports it, else as we last asked. */
static uint64_t mig_policy_limit(const struct mig_policy *p,
                                 const struct mig_sample *s)
{
	return s->downtime_limit_ms ? s->downtime_limit_ms : p->requested_ms;
}

static void mig_policy_model(const struct mig_policy *p,
                             const struct mig_sample *s, struct mig_model *m)
{
	double since_sync_s;

	memset(m, 0, sizeof(*m));
	m->disks = mig_sample_in_disks(s);
	m->warm = mig_policy_warm(p, s);
	m->rate = p->rate.seeded ? p->rate.value : 0;
	m->known = m->rate > 0;
	m->dirty = p->dirty_known ? p->dirty.value : 0;
	m->limit_ms = mig_policy_limit(p, s);
	m->limit_s = m->limit_ms / 1000.0;
	m->pending = (double)mig_sample_mem_left(s) + (double)s->disk_remaining;
	if (!m->disks && p->dirty_known && s->t_ms > p->t_sync) {
		since_sync_s = (s->t_ms - p->t_sync) / 1000.0;
		m->pending += m->dirty * since_sync_s;
	}
	if (s->mem_total && m->pending > (double)(s->mem_total + s->disk_total))
		m->pending = (double)(s->mem_total + s->disk_total);
	if (m->known)
		m->downtime_ms = (uint64_t)llround(m->pending / m->rate * 1000);
}

/* Seconds until pending fits in limit_s at rate; < 0: never. */
static double mig_converge_s(double pending, double rate, double dirty,
                             double limit_s)
{
	double target = rate * limit_s;

	if (pending <= target)
		return 0;
	if (dirty >= rate)
		return -1;
	return (pending - target) / (rate - dirty);
}

/* The smallest limit, in ms, that switches over within horizon_s. */
static double mig_needed_limit_ms(const struct mig_model *m, double horizon_s)
{
	double drain = m->rate > m->dirty ? m->rate - m->dirty : 0;
	double left = m->pending - drain * horizon_s;

	return left > 0 ? left / m->rate * 1000 : 0;
}

static void mig_policy_predict(const struct mig_model *m,
                               const struct mig_sample *s,
                               struct mig_prediction *pred)
{
	double total = (double)s->mem_total + (double)s->disk_total;
	double left =
	    (double)mig_sample_mem_left(s) + (double)s->disk_remaining;
	double disk_s, mem_s;

	memset(pred, 0, sizeof(*pred));
	pred->known = m->known;
	pred->rate_bps = m->rate;
	pred->dirty_bps = m->dirty;
	pred->downtime_ms = m->downtime_ms;
	pred->percent = total > 0 ? 100.0 * (total - left) / total : 0;
	if (pred->percent < 0)
		pred->percent = 0;
	if (s->postcopy_active)
		pred->phase = "postcopy";
	else if (mig_sample_starting(s))
		pred->phase = "starting";
	else if (m->disks)
		pred->phase = "disks";
	else if (m->known && m->downtime_ms <= m->limit_ms)
		pred->phase = "switchover";
	else
		pred->phase = "memory";
	pred->converge_s = pred->eta_s = -1;
	if (!m->known)
		return;

	if (s->postcopy_active) {
		pred->converge_s = 0;
		pred->eta_s = left / m->rate;
		return;
	}
	if (m->disks) {
		/* Disks first, then one pass over RAM; D unknown yet. */
		disk_s = (double)s->disk_remaining / m->rate;
		mem_s = mig_converge_s((double)s->mem_total, m->rate, 0,
		                       m->limit_s);
		pred->converge_s = disk_s + mem_s;
	} else {
		pred->converge_s =
		    mig_converge_s(m->pending, m->rate, m->dirty, m->limit_s);
	}
	if (pred->converge_s < 0)
		return;
	if (pred->converge_s == 0)
		pred->eta_s = m->pending / m->rate;
	else
		pred->eta_s = pred->converge_s + m->limit_s;
}

/* "guest dirties 14.2 MB/s, link moves 11.8 MB/s; switching now would..." */
static void mig_model_explain(const struct mig_model *m, char *buf, size_t len,
                              uint64_t limit_ms)
{
	if (!m->known) {
		snprintf(buf, len, "send rate not measured yet");
		return;
	}
	snprintf(buf, len,
	         "guest dirties %.1f MB/s, link moves %.1f MB/s; switching "
	         "now would take %llu ms of downtime (limit %llu ms)",
	         m->dirty / MB, m->rate / MB,
	         (unsigned long long)m->downtime_ms,
	         (unsigned long long)limit_ms);
}

/* d->reason = "<why>: <the model's numbers>". */
static void mig_decision_explain(struct mig_decision *d, const char *why,
                                 const struct mig_model *m, uint64_t limit_ms)
{
	int n = snprintf(d->reason, sizeof(d->reason), "%s: ", why);

	if (n > 0 && (size_t)n < sizeof(d->reason))
		mig_model_explain(m, d->reason + n, sizeof(d->reason) - n,
		                  limit_ms);
}

static void mig_policy_give_up(struct mig_policy *p, struct mig_decision *d,
                               const char *why, const struct mig_model *m,
                               uint64_t limit_ms)
{
	mig_decision_explain(d, why, m, limit_ms);
	d->kind = MIG_DECIDE_GIVE_UP;
	p->gave_up = true;
}

/* D at MIG_POLICY_HOPELESS_PCT % of R: pre-copy stuck at its working set. */
static bool mig_model_saturated(const struct mig_model *m)
{
	return m->dirty * 100 >= m->rate * MIG_POLICY_HOPELESS_PCT;
}

/* Track how long the migration has looked hopeless; true once long enough. */
static bool mig_policy_hopeless(struct mig_policy *p,
                                const struct mig_sample *s,
                                const struct mig_model *m)
{
	uint64_t window;

	if (!m->warm || !m->known || !mig_model_saturated(m) ||
	    m->downtime_ms <= p->max_ms) {
		p->hopeless = false;
		return false;
	}
	if (!p->hopeless) {
		p->hopeless = true;
		p->t_hopeless = s->t_ms;
		p->hopeless_syncs = 0;
		return false;
	}
	p->hopeless_syncs += p->syncs;
	window = p->auto_converge ? MIG_POLICY_HOPELESS_AC_MS
	                          : MIG_POLICY_HOPELESS_MS;
	if (s->t_ms - p->t_hopeless < window)
		return false;
	return !p->auto_converge ||
	       p->hopeless_syncs >= MIG_POLICY_HOPELESS_AC_ITERS;
}

/* True once the model has said "switch now" for MIG_POLICY_STALL_MS. */
static bool mig_policy_stalled(struct mig_policy *p, const struct mig_sample *s,
                               const struct mig_model *m)
{
	if (!m->warm || !m->known || m->downtime_ms > m->limit_ms) {
		p->stalled = false;
		return false;
	}
	if (!p->stalled) {
		p->stalled = true;
		p->t_stall = s->t_ms;
	}
	return s->t_ms - p->t_stall >= MIG_POLICY_STALL_MS;
}

static void mig_policy_escalate(struct mig_policy *p,
                                const struct mig_sample *s,
                                const struct mig_model *m,
                                struct mig_decision *d)
{
	double at_limit_s;
	bool slow, stalled;
	uint64_t next;

	stalled = mig_policy_stalled(p, s, m);
	if (!m->warm || !m->known || m->limit_ms >= p->max_ms)
		return;
	if (p->raised && s->t_ms - p->t_raise < MIG_POLICY_RAISE_INTERVAL_MS)
		return;
	at_limit_s = mig_converge_s(m->pending, m->rate, m->dirty, m->limit_s);
	slow = at_limit_s < 0 || at_limit_s > MIG_POLICY_SLOW_S ||
	       mig_model_saturated(m);
	if (!stalled &&
	    !(slow && mig_needed_limit_ms(m, MIG_POLICY_SOON_S) <= p->max_ms))
		return;

	next = m->limit_ms * 3 / 2;
	if (next < m->limit_ms + MIG_POLICY_RAISE_MIN_STEP_MS)
		next = m->limit_ms + MIG_POLICY_RAISE_MIN_STEP_MS;
	if (next > p->max_ms)
		next = p->max_ms;
	d->kind = MIG_DECIDE_RAISE_DOWNTIME;
	d->downtime_ms = next;
	mig_decision_explain(
	    d, stalled ? "QEMU has not switched over" : "converging too slowly",
	    m, m->limit_ms);
	p->requested_ms = next;
	p->raised = true;
	p->t_raise = s->t_ms;
	p->t_stall = s->t_ms; /* give QEMU the new limit for a full stall */
}

/* --postcopy-after-precopy: pass one is done and QEMU will not switch now. */
static bool mig_policy_postcopy_due(const struct mig_policy *p,
                                    const struct mig_sample *s,
                                    const struct mig_model *m)
{
	return p->postcopy_after_precopy && !p->postcopy_asked && !m->disks &&
	       s->mem_iteration >= 2 && m->known &&
	       m->downtime_ms > m->limit_ms;
}

void mig_policy_feed(struct mig_policy *p, const struct mig_sample *s,
                     struct mig_prediction *pred, struct mig_decision *d)
{
	struct mig_model m;
	char why[64];
	bool fresh = !p->have_prev || s->t_ms > p->prev.t_ms;

	memset(d, 0, sizeof(*d));
	mig_policy_observe(p, s);
	mig_policy_model(p, s, &m);
	mig_policy_predict(&m, s, pred);

	if (fresh && !s->postcopy_active && !p->gave_up) {
		if (p->timeout_ms && s->t_ms - p->t_first >= p->timeout_ms) {
			snprintf(why, sizeof(why),
			         "not converged within %llu s",
			         (unsigned long long)(p->timeout_ms / 1000));
			mig_policy_give_up(p, d, why, &m, m.limit_ms);
		} else if (mig_policy_hopeless(p, s, &m)) {
			mig_policy_give_up(p, d, "will not converge", &m,
			                   p->max_ms);
		} else if (mig_policy_postcopy_due(p, s, &m)) {
			mig_decision_explain(d, "first pass over RAM done", &m,
			                     m.limit_ms);
			d->kind = MIG_DECIDE_POSTCOPY;
			p->postcopy_asked = true;
		} else {
			mig_policy_escalate(p, s, &m, d);
		}
	}
	if (fresh) {
		p->prev = *s;
		p->have_prev = true;
	}
}
