/*
 * libFuzzer target: the xl.cfg reader and writer. What the reader accepts
 * must keep the promises of struct hv_vmdef, be written without error,
 * and read back as the same definition (notes aside).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hypervisor/domxml.h"
#include "hypervisor/xlcfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TERMINATED(s) (memchr((s), '\0', sizeof(s)) != NULL)

/* Large: kept out of the stack. libFuzzer runs one input at a time. */
static struct hv_vmdef def, again;

static void check_def(const struct hv_vmdef *d)
{
	size_t i;

	if (d->kind != HV_KIND_XEN || !d->name[0] || !TERMINATED(d->name) ||
	    (d->uuid[0] && !hv_uuid_is_canonical(d->uuid)) || !d->vcpus ||
	    !d->memory_kib || d->memory_kib % 1024 ||
	    d->n_disks > HV_VMDEF_MAX_DISKS || d->n_nics > HV_VMDEF_MAX_NICS ||
	    d->n_notes > HV_VMDEF_MAX_NOTES)
		__builtin_trap();
	for (i = 0; i < d->n_disks; i++)
		if (!TERMINATED(d->disks[i].path) ||
		    (!d->disks[i].path[0] &&
		     d->disks[i].device != HV_DEV_CDROM))
			__builtin_trap();
	for (i = 0; i < d->n_nics; i++)
		if ((d->nics[i].mac[0] &&
		     !hv_mac_is_canonical(d->nics[i].mac)) ||
		    !d->nics[i].network[0] || !d->nics[i].is_bridge)
			__builtin_trap();
	if (d->n_serials > HV_VMDEF_MAX_SERIALS)
		__builtin_trap();
	for (i = 0; i < d->n_serials; i++)
		if (!hv_vmserial_is_valid(&d->serials[i]))
			__builtin_trap();
}

static bool disk_same(const struct hv_vmdisk *a, const struct hv_vmdisk *b)
{
	return !strcmp(a->path, b->path) && a->format == b->format &&
	       a->device == b->device && a->bus == b->bus &&
	       a->controller == b->controller && a->unit == b->unit &&
	       a->readonly == b->readonly;
}

static bool serial_same(const struct hv_vmserial *a,
                        const struct hv_vmserial *b)
{
	return a->type == b->type && !strcmp(a->path, b->path);
}

static bool nic_same(const struct hv_vmnic *a, const struct hv_vmnic *b)
{
	return !strcmp(a->mac, b->mac) && a->model == b->model &&
	       !strcmp(a->network, b->network) && a->is_bridge == b->is_bridge;
}

static void check_round_trip(void)
{
	struct hv_error err = { 0 };
	char *out = NULL;
	size_t i;

	if (hv_xlcfg_write(&def, &out, &err) < 0)
		__builtin_trap(); /* what was read can be written */
	if (hv_xlcfg_parse(out, strlen(out), "written", &again, &err) < 0 ||
	    strcmp(again.name, def.name) || strcmp(again.uuid, def.uuid) ||
	    again.memory_kib != def.memory_kib || again.vcpus != def.vcpus ||
	    again.firmware != def.firmware || again.n_disks != def.n_disks ||
	    again.n_nics != def.n_nics || again.n_serials != def.n_serials)
		__builtin_trap();
	for (i = 0; i < def.n_serials; i++)
		if (!serial_same(&def.serials[i], &again.serials[i]))
			__builtin_trap();
	for (i = 0; i < def.n_disks; i++)
		if (!disk_same(&def.disks[i], &again.disks[i]))
			__builtin_trap();
	for (i = 0; i < def.n_nics; i++)
		if (!nic_same(&def.nics[i], &again.nics[i]))
			__builtin_trap();
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hv_error err = { 0 };

	if (hv_xlcfg_parse((const char *)data, size, "fuzz.cfg", &def, &err) <
	    0) {
		if (!err.msg[0] || def.name[0] || def.n_disks)
			__builtin_trap(); /* every error says why */
		return 0;
	}
	check_def(&def);
	check_round_trip();
	return 0;
}
