/*
 * xplan.h: the plan of a move between hypervisors (cold or warm), and the
 * receiver's answer.
 *
 * The migrator converts the VM's definition for the target hypervisor
 * (hv_vmdef_convert) and sends it without disk paths: the receiver chooses
 * where images go, creates them in the target format, and answers with the
 * directory it made. The disks then flow as disk streams (diskstream.h),
 * one channel "disk<N>" per disk and round; {"type":"commit"} asks the
 * receiver to write the definition (and define and start the VM if its
 * libvirt runs that hypervisor), {"type":"abort"} to remove everything.
 *
 * Each message is one JSON object of at most HV_JSON_MSG_MAX bytes, decoded
 * strictly: unknown or missing keys, wrong types and out-of-range values
 * are -EPROTO naming the field; encoders apply the same checks (-EINVAL).
 */
#ifndef SKYFERRY_HV_XPLAN_H
#define SKYFERRY_HV_XPLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hypervisor/hv_error.h"
#include "hypervisor/vmdef.h"

#define HV_XPLAN_VERSION    1
#define HV_XPLAN_CHECKS_MAX 16

enum hv_xplan_mode {
	HV_XPLAN_COLD,
	HV_XPLAN_WARM,
};

struct hv_xplan {
	enum hv_xplan_mode mode;
	bool start;   /* define and start at the destination if it can */
	bool dry_run; /* check only: nothing is created */
	/* The converted definition: kind is the target; disk paths unused. */
	struct hv_vmdef def;
	uint64_t disk_sizes[HV_VMDEF_MAX_DISKS]; /* bytes; 0 = empty cdrom */
	/* Ride out WAN outages this long; 0: not asked (not sent). */
	unsigned int resume_timeout_ms;
};

struct hv_xplan_answer {
	bool ok;
	char error[512]; /* why not, when !ok */
	char checks[HV_XPLAN_CHECKS_MAX][160];
	size_t n_checks;
	char vm_dir[256]; /* where the VM's files go, "" for a dry run */
	bool can_start;   /* the receiver's libvirt runs the target */
	/* What it granted of the plan's resume_timeout_ms; 0: not asked. */
	unsigned int resume_timeout_ms;
};

const char *hv_xplan_mode_name(enum hv_xplan_mode mode); /* cold, warm */

/* Check every rule the decoder applies; 0 or -EINVAL. */
int hv_xplan_check(const struct hv_xplan *plan, struct hv_error *err);

/* Encode; the result is the caller's (free). NULL with err on failure. */
char *hv_xplan_encode(const struct hv_xplan *plan, struct hv_error *err);

/* Decode; *plan is filled on success only. */
int hv_xplan_decode(const char *buf, size_t len, struct hv_xplan *plan,
                    struct hv_error *err);

char *hv_xplan_answer_encode(const struct hv_xplan_answer *a,
                             struct hv_error *err);
int hv_xplan_answer_decode(const char *buf, size_t len,
                           struct hv_xplan_answer *a, struct hv_error *err);

#endif
