/*
 * libFuzzer target: the .vmx reader and writer. What the reader accepts
 * must keep the promises of struct hv_vmdef, be written by the writer, and
 * read back as the same definition.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hypervisor/domxml.h"
#include "hypervisor/vmx.h"
#include "tests/hypervisor/vmx_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TERMINATED(s) (memchr((s), '\0', sizeof(s)) != NULL)

/* Large: kept out of the stack. libFuzzer runs one input at a time. */
static struct hv_vmdef def, again;

static void check_def(const struct hv_vmdef *d)
{
	size_t i;

	if (d->kind != HV_KIND_VMWARE || !d->name[0] || !TERMINATED(d->name) ||
	    !TERMINATED(d->guest_os) || !d->vcpus || d->vcpus > 768 ||
	    !d->memory_kib || d->memory_kib % 1024 ||
	    d->n_disks > HV_VMDEF_MAX_DISKS || d->n_nics > HV_VMDEF_MAX_NICS ||
	    d->n_notes > HV_VMDEF_MAX_NOTES ||
	    (d->uuid[0] && !hv_uuid_is_canonical(d->uuid)))
		__builtin_trap();
	for (i = 0; i < d->n_disks; i++)
		if (!TERMINATED(d->disks[i].path) ||
		    (d->disks[i].device == HV_DEV_DISK &&
		     (!d->disks[i].path[0] ||
		      d->disks[i].format != HV_IMG_VMDK)))
			__builtin_trap();
	if (d->n_serials > HV_VMDEF_MAX_SERIALS)
		__builtin_trap();
	for (i = 0; i < d->n_serials; i++)
		if (d->serials[i].type != HV_SERIAL_FILE ||
		    !hv_vmserial_is_valid(&d->serials[i]))
			__builtin_trap(); /* VMware has files only */
	for (i = 0; i < d->n_nics; i++)
		if ((d->nics[i].mac[0] &&
		     !hv_mac_is_canonical(d->nics[i].mac)) ||
		    !TERMINATED(d->nics[i].network))
			__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hv_error err = { 0 };
	char *out = NULL;

	if (hv_vmx_parse((const char *)data, size, "fuzz.vmx", &def, &err) <
	    0) {
		if (!err.msg[0] || def.name[0] || def.n_disks || def.n_nics ||
		    def.n_notes)
			__builtin_trap(); /* every error says why */
		return 0;
	}
	check_def(&def);
	if (hv_vmx_write(&def, &out, &err) < 0)
		__builtin_trap(); /* what is read can be written */
	if (hv_vmx_parse(out, strlen(out), "out.vmx", &again, &err) < 0 ||
	    vmx_check_round_trip(&def, &again))
		__builtin_trap();
	free(out);
	return 0;
}
