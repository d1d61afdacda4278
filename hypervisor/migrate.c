/*
 * migrate.c: virDomainMigrate3 with typed parameters, and job statistics.
 */
#include "hypervisor/migrate.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <libvirt/virterror.h>

#include "hypervisor/virt.h"

int hv_migrate_params(const struct hv_migrate_args *args,
                      virTypedParameterPtr *params, int *n)
{
	int max = 0;
	size_t i;

	if (virTypedParamsAddString(params, n, &max, VIR_MIGRATE_PARAM_URI,
	                            args->mem_uri) < 0)
		return -1;
	if (args->disks_uri && virTypedParamsAddString(
	                           params, n, &max, VIR_MIGRATE_PARAM_DISKS_URI,
	                           args->disks_uri) < 0)
		return -1;
	if (args->dest_xml &&
	    virTypedParamsAddString(params, n, &max, VIR_MIGRATE_PARAM_DEST_XML,
	                            args->dest_xml) < 0)
		return -1;
	if (args->persist_xml &&
	    virTypedParamsAddString(params, n, &max,
	                            VIR_MIGRATE_PARAM_PERSIST_XML,
	                            args->persist_xml) < 0)
		return -1;
	for (i = 0; i < args->n_disks; i++)
		if (virTypedParamsAddString(params, n, &max,
		                            VIR_MIGRATE_PARAM_MIGRATE_DISKS,
		                            args->disks[i]) < 0)
			return -1;
	if (args->bandwidth_mib &&
	    virTypedParamsAddULLong(params, n, &max,
	                            VIR_MIGRATE_PARAM_BANDWIDTH,
	                            args->bandwidth_mib) < 0)
		return -1;
	if (args->ac_initial &&
	    virTypedParamsAddInt(params, n, &max,
	                         VIR_MIGRATE_PARAM_AUTO_CONVERGE_INITIAL,
	                         (int)args->ac_initial) < 0)
		return -1;
	if (args->ac_increment &&
	    virTypedParamsAddInt(params, n, &max,
	                         VIR_MIGRATE_PARAM_AUTO_CONVERGE_INCREMENT,
	                         (int)args->ac_increment) < 0)
		return -1;
	if (args->parallel &&
	    virTypedParamsAddInt(params, n, &max,
	                         VIR_MIGRATE_PARAM_PARALLEL_CONNECTIONS,
	                         (int)args->parallel) < 0)
		return -1;
	return 0;
}

virDomainPtr hv_migrate_run(virDomainPtr dom, virConnectPtr dconn,
                            const struct hv_migrate_args *args,
                            struct hv_error *err)
{
	virTypedParameterPtr params = NULL;
	virDomainPtr ddom = NULL;
	int n = 0;

	if (hv_migrate_params(args, &params, &n) < 0) {
		hv_virt_error(err, -ENOMEM, "migration parameters");
		goto out;
	}
	ddom = virDomainMigrate3(dom, dconn, params, (unsigned int)n,
	                         (unsigned int)args->flags);
	if (!ddom)
		hv_virt_error(err, -EIO, "migration");
out:
	virTypedParamsFree(params, n);
	return ddom;
}

/* The unsigned job statistics we read, and where they go. */
static const struct {
	const char *name;
	size_t offset;
} hv_job_fields[] = {
	{ VIR_DOMAIN_JOB_MEMORY_TOTAL, offsetof(struct hv_job, mem_total) },
	{ VIR_DOMAIN_JOB_MEMORY_PROCESSED,
	  offsetof(struct hv_job, mem_processed) },
	{ VIR_DOMAIN_JOB_MEMORY_REMAINING,
	  offsetof(struct hv_job, mem_remaining) },
	{ VIR_DOMAIN_JOB_MEMORY_BPS, offsetof(struct hv_job, mem_bps) },
	{ VIR_DOMAIN_JOB_MEMORY_DIRTY_RATE,
	  offsetof(struct hv_job, mem_dirty_rate) },
	{ VIR_DOMAIN_JOB_MEMORY_ITERATION,
	  offsetof(struct hv_job, mem_iteration) },
	{ VIR_DOMAIN_JOB_DISK_TOTAL, offsetof(struct hv_job, disk_total) },
	{ VIR_DOMAIN_JOB_DISK_PROCESSED,
	  offsetof(struct hv_job, disk_processed) },
	{ VIR_DOMAIN_JOB_DISK_REMAINING,
	  offsetof(struct hv_job, disk_remaining) },
	{ VIR_DOMAIN_JOB_DOWNTIME, offsetof(struct hv_job, downtime_ms) },
};

void hv_job_from_params(virTypedParameterPtr p, int n, int type,
                        struct hv_job *job)
{
	unsigned long long v, page_size = 0;
	size_t i;

	memset(job, 0, sizeof(*job));
	job->type = type;
	for (i = 0; i < sizeof(hv_job_fields) / sizeof(hv_job_fields[0]); i++)
		if (virTypedParamsGetULLong(p, n, hv_job_fields[i].name, &v) ==
		    1)
			*(uint64_t *)((char *)job + hv_job_fields[i].offset) =
			    v;
	job->has_downtime =
	    virTypedParamsGet(p, n, VIR_DOMAIN_JOB_DOWNTIME) != NULL;
	/* libvirt counts dirty pages; we count bytes. */
	virTypedParamsGetULLong(p, n, VIR_DOMAIN_JOB_MEMORY_PAGE_SIZE,
	                        &page_size);
	job->mem_dirty_rate *= page_size ? page_size : 4096u;
}

int hv_job_sample(virDomainPtr dom, unsigned int flags, struct hv_job *job,
                  struct hv_error *err)
{
	virTypedParameterPtr p = NULL;
	int n = 0, type = 0;

	memset(job, 0, sizeof(*job));
	if (virDomainGetJobStats(dom, &type, &p, &n, flags) < 0)
		return hv_virt_error(err, -EIO, "job statistics");
	hv_job_from_params(p, n, type, job);
	virTypedParamsFree(p, n);
	return 0;
}
