/*
 * libFuzzer target: the domain XML reader of struct hv_vmdef. What it
 * accepts must keep the promises of the definition, convert for KVM and
 * Xen, and, converted, be written as domain XML that reads back as the
 * same definition (but for its notes).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hypervisor/domxml.h"
#include "hypervisor/vmdef.h"
#include "hypervisor/vmdef_xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TERMINATED(s) (memchr((s), '\0', sizeof(s)) != NULL)

/* Large: kept out of the stack. libFuzzer runs one input at a time. */
static struct hv_vmdef def, conv, back;

static void check_def(const struct hv_vmdef *d)
{
	size_t i;

	if (d->n_disks > HV_VMDEF_MAX_DISKS || d->n_nics > HV_VMDEF_MAX_NICS ||
	    d->n_notes > HV_VMDEF_MAX_NOTES || !d->name[0] || !d->vcpus ||
	    !d->memory_kib || !TERMINATED(d->name) || !TERMINATED(d->uuid) ||
	    (d->uuid[0] && !hv_uuid_is_canonical(d->uuid)))
		__builtin_trap();
	for (i = 0; i < d->n_disks; i++)
		if (!TERMINATED(d->disks[i].path) ||
		    (d->disks[i].device == HV_DEV_DISK && !d->disks[i].path[0]))
			__builtin_trap();
	for (i = 0; i < d->n_nics; i++)
		if (d->nics[i].mac[0] && !hv_mac_is_canonical(d->nics[i].mac))
			__builtin_trap();
	for (i = 0; i < d->n_notes; i++)
		if (!TERMINATED(d->notes[i]))
			__builtin_trap();
	if (d->n_serials > HV_VMDEF_MAX_SERIALS)
		__builtin_trap();
	for (i = 0; i < d->n_serials; i++)
		if (!hv_vmserial_is_valid(&d->serials[i]))
			__builtin_trap();
}

/* a and b are the same definition, notes aside. */
static void check_same(const struct hv_vmdef *a, const struct hv_vmdef *b)
{
	size_t i;

	if (a->kind != b->kind || strcmp(a->name, b->name) ||
	    strcmp(a->uuid, b->uuid) || a->memory_kib != b->memory_kib ||
	    a->vcpus != b->vcpus || a->firmware != b->firmware ||
	    strcmp(a->guest_os, b->guest_os) || a->n_disks != b->n_disks ||
	    a->n_nics != b->n_nics || a->n_serials != b->n_serials)
		__builtin_trap();
	for (i = 0; i < a->n_serials; i++)
		if (a->serials[i].type != b->serials[i].type ||
		    strcmp(a->serials[i].path, b->serials[i].path))
			__builtin_trap();
	for (i = 0; i < a->n_disks; i++) {
		const struct hv_vmdisk *x = &a->disks[i], *y = &b->disks[i];

		if (strcmp(x->path, y->path) || x->format != y->format ||
		    x->device != y->device || x->bus != y->bus ||
		    x->scsi_model != y->scsi_model ||
		    x->controller != y->controller || x->unit != y->unit ||
		    x->readonly != y->readonly)
			__builtin_trap();
	}
	for (i = 0; i < a->n_nics; i++) {
		const struct hv_vmnic *x = &a->nics[i], *y = &b->nics[i];

		if (strcmp(x->mac, y->mac) || x->model != y->model ||
		    strcmp(x->network, y->network) ||
		    x->is_bridge != y->is_bridge)
			__builtin_trap();
	}
}

/* Convert for kind; write and read back what the target can take. */
static void check_kind(enum hv_kind kind, bool paravirt)
{
	struct hv_convert_opts opts = { kind, paravirt };
	struct hv_error err = { 0 };
	char *xml = NULL;
	size_t i;

	if (hv_vmdef_convert(&def, &opts, &conv, &err) < 0) {
		if (!err.msg[0])
			__builtin_trap();
		return;
	}
	check_def(&conv);
	/* Formats are the caller's to convert: pick one Xen reads. */
	for (i = 0; i < conv.n_disks; i++)
		if (kind == HV_KIND_XEN && conv.disks[i].format != HV_IMG_RAW &&
		    conv.disks[i].format != HV_IMG_QCOW2)
			conv.disks[i].format = HV_IMG_VPC;
	if (hv_vmdef_xml_write(&conv, &xml, &err) < 0) {
		/* Only text libxml2 cannot carry may stop the writer. */
		if (!strstr(err.msg, "UTF-8"))
			__builtin_trap();
		return;
	}
	if (hv_vmdef_xml_parse(xml, strlen(xml), &back, &err) < 0)
		__builtin_trap();
	check_same(&conv, &back);
	free(xml);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hv_error err = { 0 };

	if (hv_vmdef_xml_parse((const char *)data, size, &def, &err) < 0) {
		if (!err.msg[0])
			__builtin_trap(); /* every error says why */
		return 0;
	}
	check_def(&def);
	check_kind(HV_KIND_KVM, false);
	check_kind(HV_KIND_KVM, true);
	check_kind(HV_KIND_XEN, false);
	check_kind(HV_KIND_XEN, true);
	return 0;
}
