/*
 * migrate.h: one live migration through libvirt (source side), and the job
 * statistics that steer it.
 */
#ifndef SKYFERRY_HV_MIGRATE_H
#define SKYFERRY_HV_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libvirt/libvirt.h>

#include "hypervisor/hv_error.h"

#define HV_MIGRATE_MAX_DISKS 32

struct hv_migrate_args {
	const char *mem_uri;   /* VIR_MIGRATE_PARAM_URI */
	const char *disks_uri; /* VIR_MIGRATE_PARAM_DISKS_URI, or NULL */
	const char *dest_xml;  /* live definition for the destination */
	const char
	    *persist_xml; /* persistent one, with VIR_MIGRATE_PERSIST_DEST */
	const char *disks[HV_MIGRATE_MAX_DISKS]; /* targets to copy */
	size_t n_disks;
	uint64_t bandwidth_mib; /* MiB/s, 0: unlimited */
	unsigned int parallel;  /* multifd connections, 0: off */
	/* auto-converge: first vCPU throttle and each step up, in %;
	   0: QEMU's (20 and 10) */
	unsigned int ac_initial, ac_increment;
	unsigned long flags;    /* VIR_MIGRATE_* */
};

/*
 * The typed parameters for virDomainMigrate3 (URIs, definitions, disks, and
 * the tuning fields that are set); the caller frees them with
 * virTypedParamsFree(*params, *n), also on failure (-1: out of memory).
 */
int hv_migrate_params(const struct hv_migrate_args *args,
                      virTypedParameterPtr *params, int *n);

/*
 * Run virDomainMigrate3 to dconn. Blocks until the migration ends. Returns
 * the domain at the destination (the caller frees it), or NULL with err
 * holding libvirt's reason; libvirt then resumes the source.
 */
virDomainPtr hv_migrate_run(virDomainPtr dom, virConnectPtr dconn,
                            const struct hv_migrate_args *args,
                            struct hv_error *err);

/* A job statistics sample; fields libvirt did not report are 0. */
struct hv_job {
	int type; /* VIR_DOMAIN_JOB_*; NONE: no job */
	uint64_t mem_total, mem_processed, mem_remaining;
	uint64_t mem_bps;        /* bytes/s */
	uint64_t mem_dirty_rate; /* bytes/s */
	uint64_t mem_iteration;
	uint64_t disk_total, disk_processed, disk_remaining;
	uint64_t downtime_ms; /* completed jobs, when has_downtime */
	bool has_downtime;
};

/*
 * Read libvirt's job statistics (of virDomainGetJobStats, or of a
 * VIR_DOMAIN_EVENT_ID_JOB_COMPLETED event) into *job, of job type type.
 */
void hv_job_from_params(virTypedParameterPtr p, int n, int type,
                        struct hv_job *job);

/* Sample the current job (flags 0) or the completed one
 * (VIR_DOMAIN_JOB_STATS_COMPLETED). */
int hv_job_sample(virDomainPtr dom, unsigned int flags, struct hv_job *job,
                  struct hv_error *err);

#endif
