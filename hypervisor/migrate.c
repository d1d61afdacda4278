/*
 * migrate.c: virDomainMigrate3 with typed parameters, and job statistics.
 */
#include "hypervisor/migrate.h"

#include <errno.h>
#include <string.h>

#include <libvirt/virterror.h>

#include "hypervisor/virt.h"

static int hv_migrate_params(const struct hv_migrate_args *args,
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

static uint64_t hv_job_ull(virTypedParameterPtr params, int n, const char *name,
                           bool *found)
{
	unsigned long long v = 0;

	if (virTypedParamsGetULLong(params, n, name, &v) == 1) {
		if (found)
			*found = true;
		return v;
	}
	return 0;
}

int hv_job_sample(virDomainPtr dom, unsigned int flags, struct hv_job *job,
                  struct hv_error *err)
{
	virTypedParameterPtr p = NULL;
	uint64_t page_size;
	int n = 0, type = 0, op = 0;

	memset(job, 0, sizeof(*job));
	if (virDomainGetJobStats(dom, &type, &p, &n, flags) < 0)
		return hv_virt_error(err, -EIO, "job statistics");
	job->type = type;
	virTypedParamsGetInt(p, n, VIR_DOMAIN_JOB_OPERATION, &op);
	job->operation = op;
	job->time_elapsed_ms =
	    hv_job_ull(p, n, VIR_DOMAIN_JOB_TIME_ELAPSED, NULL);
	job->data_total = hv_job_ull(p, n, VIR_DOMAIN_JOB_DATA_TOTAL, NULL);
	job->data_processed =
	    hv_job_ull(p, n, VIR_DOMAIN_JOB_DATA_PROCESSED, NULL);
	job->data_remaining =
	    hv_job_ull(p, n, VIR_DOMAIN_JOB_DATA_REMAINING, NULL);
	job->mem_total = hv_job_ull(p, n, VIR_DOMAIN_JOB_MEMORY_TOTAL, NULL);
	job->mem_processed =
	    hv_job_ull(p, n, VIR_DOMAIN_JOB_MEMORY_PROCESSED, NULL);
	job->mem_remaining =
	    hv_job_ull(p, n, VIR_DOMAIN_JOB_MEMORY_REMAINING, NULL);
	job->mem_bps = hv_job_ull(p, n, VIR_DOMAIN_JOB_MEMORY_BPS, NULL);
	page_size = hv_job_ull(p, n, VIR_DOMAIN_JOB_MEMORY_PAGE_SIZE, NULL);
	job->mem_dirty_rate =
	    hv_job_ull(p, n, VIR_DOMAIN_JOB_MEMORY_DIRTY_RATE, NULL) *
	    (page_size ? page_size : 4096u);
	job->mem_iteration =
	    hv_job_ull(p, n, VIR_DOMAIN_JOB_MEMORY_ITERATION, NULL);
	job->mem_postcopy_reqs =
	    hv_job_ull(p, n, VIR_DOMAIN_JOB_MEMORY_POSTCOPY_REQS, NULL);
	job->disk_total = hv_job_ull(p, n, VIR_DOMAIN_JOB_DISK_TOTAL, NULL);
	job->disk_processed =
	    hv_job_ull(p, n, VIR_DOMAIN_JOB_DISK_PROCESSED, NULL);
	job->disk_remaining =
	    hv_job_ull(p, n, VIR_DOMAIN_JOB_DISK_REMAINING, NULL);
	job->downtime_ms =
	    hv_job_ull(p, n, VIR_DOMAIN_JOB_DOWNTIME, &job->has_downtime);
	job->setup_ms = hv_job_ull(p, n, VIR_DOMAIN_JOB_SETUP_TIME, NULL);
	{
		int throttle = 0;

		if (virTypedParamsGetInt(p, n,
		                         VIR_DOMAIN_JOB_AUTO_CONVERGE_THROTTLE,
		                         &throttle) == 1)
			job->auto_converge_throttle = (uint64_t)throttle;
	}
	virTypedParamsFree(p, n);
	return 0;
}
