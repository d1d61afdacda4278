/*
 * converge.h: the convergence policy of a live migration. Pure: no libvirt,
 * no clock, no output.
 *
 * The migrator polls virDomainGetJobStats every 500 ms while
 * virDomainMigrate3 runs, converts each answer into a struct mig_sample and
 * feeds it here. The policy keeps smoothed rates, predicts when pre-copy will
 * converge and what switching over now would cost, and decides whether to
 * raise the allowed downtime or to give up. Giving up means "take the
 * configured action": the caller aborts, or starts post-copy.
 *
 * The model (all rates in bytes per second, all sizes in bytes):
 *
 *   R  send rate: wire_bps if known, else mem_bps, else the growth of
 *      mem_processed + disk_processed between samples; smoothed by an EWMA
 *      with a time constant of MIG_POLICY_TAU_MS. A transfer ramps up (TCP
 *      slow start; a disk mirror whose sparse start moves little data), so
 *      for one time constant after R is first measured, and again when
 *      memory starts after the disks, a faster sample replaces R instead
 *      of being averaged with the slow start.
 *   D  dirty rate as QEMU reports it, smoothed the same way. QEMU measures it
 *      at each bitmap sync, so it is unknown during the first pass over RAM
 *      (mem_iteration 1) and counts as 0 there.
 *   P  what a switchover now would have to send: mem_remaining, plus the
 *      pages dirtied since the last bitmap sync (D times the time since
 *      mem_iteration last moved), plus disk_remaining. While the disks are
 *      still being copied and memory has not started, P counts all of RAM.
 *   L  the allowed downtime. QEMU switches over once P <= R * L.
 *
 * Switching now costs P / R. As a fluid, dP/dt = D - R: with D < R pre-copy
 * converges after (P - R*L) / (R - D) seconds, with D >= R never. (Per
 * iteration, P shrinks by D/R each pass; the geometric sum is the same.)
 *
 * QEMU counts only pages dirtied afresh since the last sync, so a migration
 * stuck at a steady working set reports D close to R, whatever the guest's
 * real write rate. D >= MIG_POLICY_HOPELESS_PCT % of R, held for a while,
 * is therefore the signature of a migration that will not converge.
 */
#ifndef MIG_CONVERGE_H
#define MIG_CONVERGE_H

#include <stdbool.h>
#include <stdint.h>

/* Thresholds. Times in ms unless named _S. */
#define MIG_POLICY_TAU_MS            2500 /* EWMA time constant of R and D */
#define MIG_POLICY_DEFAULT_START_MS  300  /* QEMU's default downtime */
#define MIG_POLICY_DEFAULT_MAX_MS    1000 /* ceiling when the user set none */
#define MIG_POLICY_WARM_MS           5000 /* D known this long: warmed up */
#define MIG_POLICY_WARM_ITERS        2    /* ...or this many syncs seen, */
#define MIG_POLICY_WARM_MIN_MS       1000 /* ...but at least this long */
#define MIG_POLICY_SLOW_S            30   /* converging slower than this... */
#define MIG_POLICY_SOON_S            10   /* ...raise if a step gets it here */
#define MIG_POLICY_STALL_MS          5000 /* model says "switch", QEMU doesn't */
#define MIG_POLICY_RAISE_INTERVAL_MS 2000 /* at most one raise per interval */
#define MIG_POLICY_RAISE_MIN_STEP_MS 50   /* a raise is x1.5, at least this */
#define MIG_POLICY_HOPELESS_PCT      95   /* D at this % of R: not converging */
#define MIG_POLICY_HOPELESS_MS       10000 /* held this long: give up */
#define MIG_POLICY_HOPELESS_AC_MS    60000 /* with auto-converge */
#define MIG_POLICY_HOPELESS_AC_ITERS 4     /* ...and this many syncs */

/*
 * One poll of the job statistics. The caller converts libvirt's units:
 * mem_dirty_rate is pages/s times the page size; mem_total is the domain's
 * memory when libvirt still reports 0 (before memory migration starts).
 */
struct mig_sample {
	uint64_t t_ms; /* monotonic */
	uint64_t mem_total, mem_processed, mem_remaining;
	uint64_t mem_dirty_rate; /* bytes/s */
	uint64_t mem_iteration;  /* QEMU's dirty-sync-count: 1 in pass one */
	uint64_t mem_bps;        /* libvirt's memory_bandwidth, 0: unknown */
	uint64_t disk_total, disk_processed, disk_remaining;
	uint64_t wire_bps; /* raw bytes/s the transport accepts, 0: unknown */
	uint64_t downtime_limit_ms; /* currently allowed, 0: unknown */
	bool postcopy_active;
};

/*
 * What the user allows. GIVE_UP is action-neutral: the caller maps it to
 * --on-timeout (abort or post-copy), so the policy needs no action here.
 */
struct mig_policy_conf {
	uint32_t max_downtime_ms;   /* ceiling; 0: MIG_POLICY_DEFAULT_MAX_MS */
	uint32_t start_downtime_ms; /* first step; 0: ..._DEFAULT_START_MS;
	                             * capped at the ceiling */
	uint32_t completion_timeout_s; /* from the first sample; 0: none */
	bool auto_converge; /* QEMU throttles: wait longer before giving up */
	bool postcopy_after_precopy; /* POSTCOPY once pass one is done */
};

enum mig_decision_kind {
	MIG_DECIDE_NONE = 0,
	MIG_DECIDE_RAISE_DOWNTIME, /* set the limit to downtime_ms */
	MIG_DECIDE_GIVE_UP,        /* abort or start post-copy, as configured */
	MIG_DECIDE_POSTCOPY,       /* start post-copy: pass one is done */
};

struct mig_decision {
	enum mig_decision_kind kind;
	uint64_t downtime_ms; /* the new limit, for RAISE_DOWNTIME */
	char reason[256];     /* one line, for each kind but NONE: why, then
	                       * "guest dirties 14.2 MB/s, link moves 11.8
	                       * MB/s; switching now would take 3400 ms of
	                       * downtime (limit 1000 ms)" */
};

struct mig_prediction {
	bool known;           /* R measured: the fields below mean something */
	double converge_s;    /* until switchover can start; < 0: never */
	uint64_t downtime_ms; /* of switching over now */
	double rate_bps;      /* R, bytes/s */
	double dirty_bps;     /* D, bytes/s */
	double eta_s;         /* until done, switchover included; < 0: never */
	double percent;       /* of disks + RAM sent and not dirty, 0..100 */
	const char *phase;    /* "disks", "memory", "switchover", "postcopy" */
};

struct mig_policy;

/* A policy for one migration; conf is copied. NULL with errno (ENOMEM). */
struct mig_policy *mig_policy_new(const struct mig_policy_conf *conf);

/* NULL is fine. */
void mig_policy_free(struct mig_policy *p);

/* The downtime limit the caller sets before the migration starts. */
uint64_t mig_policy_initial_downtime(const struct mig_policy *p);

/*
 * Feed one sample (t_ms should grow; a sample that goes back in time only
 * updates the prediction). Fills *pred and *d.
 *
 * RAISE_DOWNTIME: after warm-up, at most once per
 * MIG_POLICY_RAISE_INTERVAL_MS, never above the ceiling, when converging at
 * the current limit would take more than MIG_POLICY_SLOW_S (or never) but
 * some limit within the ceiling would switch over within MIG_POLICY_SOON_S;
 * or when the model has said "switch now" for MIG_POLICY_STALL_MS and QEMU
 * still has not (its own estimate differs from ours).
 *
 * GIVE_UP, returned once and never while post-copy is active: when the
 * completion timeout has passed; or, after warm-up, when D has stayed at or
 * above MIG_POLICY_HOPELESS_PCT % of R with P / R above the ceiling for
 * MIG_POLICY_HOPELESS_MS (with auto-converge: MIG_POLICY_HOPELESS_AC_MS and
 * MIG_POLICY_HOPELESS_AC_ITERS syncs, giving the throttle time to bite).
 *
 * POSTCOPY, returned once, with postcopy_after_precopy: as soon as the
 * first pass over RAM is done (mem_iteration >= 2) and switching over now
 * would not fit the limit (else pre-copy is about to finish by itself).
 * Post-copy then sends each page still dirty once, where pre-copy would
 * send the working set again on every pass.
 *
 * Warm-up: memory migration has started (so the disks are mirrored), D is
 * known (mem_iteration >= 2), and it has been known for MIG_POLICY_WARM_MS
 * or for MIG_POLICY_WARM_ITERS more syncs (and MIG_POLICY_WARM_MIN_MS).
 */
void mig_policy_feed(struct mig_policy *p, const struct mig_sample *s,
                     struct mig_prediction *pred, struct mig_decision *d);

#endif
