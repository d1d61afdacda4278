/*
 * test_migrate.c: reading libvirt's job statistics (hv_job_from_params),
 * as virDomainGetJobStats and the job-completed event give them.
 */
#include <criterion/criterion.h>

#include "hypervisor/migrate.h"

struct params {
	virTypedParameterPtr p;
	int n, max;
};

/* libvirt's calls keep their errors per thread, set up by virInitialize. */
static void init(void)
{
	cr_assert_eq(virInitialize(), 0);
}

static void add(struct params *ps, const char *name, unsigned long long v)
{
	cr_assert_eq(virTypedParamsAddULLong(&ps->p, &ps->n, &ps->max, name, v),
	             0);
}

Test(hv_job, completed_statistics, .init = init)
{
	struct params ps = { 0 };
	struct hv_job job;

	add(&ps, VIR_DOMAIN_JOB_MEMORY_TOTAL, 268435456);
	add(&ps, VIR_DOMAIN_JOB_MEMORY_PROCESSED, 389255842);
	add(&ps, VIR_DOMAIN_JOB_MEMORY_REMAINING, 0);
	add(&ps, VIR_DOMAIN_JOB_MEMORY_DIRTY_RATE, 2000); /* pages/s */
	add(&ps, VIR_DOMAIN_JOB_MEMORY_PAGE_SIZE, 4096);
	add(&ps, VIR_DOMAIN_JOB_MEMORY_ITERATION, 19);
	add(&ps, VIR_DOMAIN_JOB_DISK_TOTAL, 67108864);
	add(&ps, VIR_DOMAIN_JOB_DISK_PROCESSED, 67112960);
	add(&ps, VIR_DOMAIN_JOB_DOWNTIME, 619);
	cr_assert_eq(virTypedParamsAddString(&ps.p, &ps.n, &ps.max,
	                                     "some_future_field", "x"),
	             0);
	hv_job_from_params(ps.p, ps.n, VIR_DOMAIN_JOB_COMPLETED, &job);
	cr_assert_eq(job.type, VIR_DOMAIN_JOB_COMPLETED);
	cr_assert_eq(job.mem_total, 268435456);
	cr_assert_eq(job.mem_processed, 389255842);
	cr_assert_eq(job.mem_dirty_rate, 2000 * 4096); /* bytes/s */
	cr_assert_eq(job.mem_iteration, 19);
	cr_assert_eq(job.disk_total, 67108864);
	cr_assert_eq(job.disk_processed, 67112960);
	cr_assert(job.has_downtime);
	cr_assert_eq(job.downtime_ms, 619);
	virTypedParamsFree(ps.p, ps.n);
}

Test(hv_job, missing_fields, .init = init)
{
	struct params ps = { 0 };
	struct hv_job job;

	/* No page size: 4 KiB pages. No downtime: not a completed job's. */
	add(&ps, VIR_DOMAIN_JOB_MEMORY_DIRTY_RATE, 10);
	hv_job_from_params(ps.p, ps.n, VIR_DOMAIN_JOB_UNBOUNDED, &job);
	cr_assert_eq(job.mem_dirty_rate, 40960);
	cr_assert_not(job.has_downtime);
	cr_assert_eq(job.mem_total, 0);
	virTypedParamsFree(ps.p, ps.n);
	/* Huge pages count as their size; nothing at all is all zeros. */
	ps = (struct params){ 0 };
	add(&ps, VIR_DOMAIN_JOB_MEMORY_DIRTY_RATE, 3);
	add(&ps, VIR_DOMAIN_JOB_MEMORY_PAGE_SIZE, 2097152);
	hv_job_from_params(ps.p, ps.n, VIR_DOMAIN_JOB_UNBOUNDED, &job);
	cr_assert_eq(job.mem_dirty_rate, 3ull * 2097152);
	virTypedParamsFree(ps.p, ps.n);
	hv_job_from_params(NULL, 0, VIR_DOMAIN_JOB_NONE, &job);
	cr_assert_eq(job.type, VIR_DOMAIN_JOB_NONE);
	cr_assert_not(job.has_downtime);
	cr_assert_eq(job.mem_dirty_rate, 0);
}

/* What the migrator asks of virDomainMigrate3, and only what was set. */
Test(hv_migrate, params_carry_the_tuning_that_was_set, .init = init)
{
	struct hv_migrate_args a = { 0 };
	virTypedParameterPtr p = NULL;
	const char *s = NULL;
	int n = 0, v = 0;

	a.mem_uri = "unix:///run/skyferry/s-1/mem.sock";
	a.disks_uri = "unix:///run/skyferry/s-1/nbd.sock";
	a.disks[0] = "vdb";
	a.n_disks = 1;
	cr_assert_eq(hv_migrate_params(&a, &p, &n), 0);
	cr_assert_eq(virTypedParamsGetString(p, n, VIR_MIGRATE_PARAM_URI, &s),
	             1);
	cr_assert_str_eq(s, a.mem_uri);
	cr_assert_eq(
	    virTypedParamsGetString(p, n, VIR_MIGRATE_PARAM_DISKS_URI, &s), 1);
	cr_assert_eq(
	    virTypedParamsGetString(p, n, VIR_MIGRATE_PARAM_MIGRATE_DISKS, &s),
	    1);
	cr_assert_str_eq(s, "vdb");
	cr_assert_null(
	    virTypedParamsGet(p, n, VIR_MIGRATE_PARAM_AUTO_CONVERGE_INITIAL));
	cr_assert_null(
	    virTypedParamsGet(p, n, VIR_MIGRATE_PARAM_AUTO_CONVERGE_INCREMENT));
	cr_assert_null(
	    virTypedParamsGet(p, n, VIR_MIGRATE_PARAM_PARALLEL_CONNECTIONS));
	virTypedParamsFree(p, n);

	p = NULL;
	n = 0;
	a.ac_initial = 95;
	a.ac_increment = 2;
	a.parallel = 4;
	cr_assert_eq(hv_migrate_params(&a, &p, &n), 0);
	cr_assert_eq(virTypedParamsGetInt(
	                 p, n, VIR_MIGRATE_PARAM_AUTO_CONVERGE_INITIAL, &v),
	             1);
	cr_assert_eq(v, 95);
	cr_assert_eq(virTypedParamsGetInt(
	                 p, n, VIR_MIGRATE_PARAM_AUTO_CONVERGE_INCREMENT, &v),
	             1);
	cr_assert_eq(v, 2);
	cr_assert_eq(virTypedParamsGetInt(
	                 p, n, VIR_MIGRATE_PARAM_PARALLEL_CONNECTIONS, &v),
	             1);
	cr_assert_eq(v, 4);
	virTypedParamsFree(p, n);
}
