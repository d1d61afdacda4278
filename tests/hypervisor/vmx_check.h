/*
 * vmx_check.h: what reading back a written .vmx must give, for
 * test_vmx.c and fuzz_vmx.c.
 */
#ifndef SKYFERRY_TESTS_VMX_CHECK_H
#define SKYFERRY_TESTS_VMX_CHECK_H

#include <string.h>
#include <strings.h>

#include "hypervisor/vmdef.h"

/*
 * The first field in which got, read back from the .vmx that def was
 * written as, is not what it should be; NULL if none. Notes are not
 * compared. The writer's documented changes are expected: memory rounded
 * up to a multiple of 4 MiB, "other-64" for an empty guest OS, no VMDK
 * subformat, no is_bridge, and a SCSI model only on the SCSI bus. The
 * only notes are for disks not named .vmdk. Serial ports (files: VMware
 * has no pty) come back as they were.
 */
static inline const char *vmx_check_round_trip(const struct hv_vmdef *def,
                                               const struct hv_vmdef *got)
{
	unsigned long long mib = (def->memory_kib + 1023) / 1024;
	const char *guest = def->guest_os[0] ? def->guest_os : "other-64";
	size_t i, notes = 0, n;

	if (got->kind != def->kind || strcmp(got->name, def->name) ||
	    strcmp(got->uuid, def->uuid) || strcmp(got->guest_os, guest))
		return "kind, name, uuid or guest_os";
	if (got->memory_kib != (mib + 3) / 4 * 4 * 1024 ||
	    got->vcpus != def->vcpus || got->firmware != def->firmware)
		return "memory_kib, vcpus or firmware";
	if (got->n_disks != def->n_disks || got->n_nics != def->n_nics ||
	    got->n_serials != def->n_serials)
		return "n_disks, n_nics or n_serials";
	for (i = 0; i < def->n_serials; i++)
		if (got->serials[i].type != def->serials[i].type ||
		    strcmp(got->serials[i].path, def->serials[i].path))
			return "a serial port";
	for (i = 0; i < def->n_disks; i++) {
		const struct hv_vmdisk *a = &def->disks[i], *b = &got->disks[i];

		if (strcmp(a->path, b->path) || a->format != b->format ||
		    b->subformat[0] || a->device != b->device ||
		    a->bus != b->bus || a->controller != b->controller ||
		    a->unit != b->unit || a->readonly != b->readonly)
			return "a disk";
		if (b->scsi_model !=
		    (a->bus == HV_BUS_SCSI ? a->scsi_model : HV_SCSI_DEFAULT))
			return "a disk's scsi_model";
		n = strlen(a->path);
		notes += a->device == HV_DEV_DISK &&
		         (n < 5 || strcasecmp(a->path + n - 5, ".vmdk"));
	}
	if (got->n_notes != notes)
		return "n_notes";
	for (i = 0; i < def->n_nics; i++) {
		const struct hv_vmnic *a = &def->nics[i], *b = &got->nics[i];

		if (strcmp(a->mac, b->mac) || a->model != b->model ||
		    strcmp(a->network, b->network) || b->is_bridge)
			return "a NIC";
	}
	return NULL;
}

#endif
