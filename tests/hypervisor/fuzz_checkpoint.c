/*
 * libFuzzer target: the reader of libvirt's checkpoint XML (which disks a
 * checkpoint tracks, under which bitmap). What it accepts must keep its
 * promises: at most max disks, names that pass the same checks the
 * backup code applies, NUL-terminated.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hypervisor/backup_priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_DISKS 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hv_checkpoint_bitmap out[FUZZ_MAX_DISKS];
	struct hv_error err = { 0 };
	char *xml = malloc(size + 1);
	size_t n = 0, i;

	if (!xml)
		return 0;
	memcpy(xml, data, size);
	xml[size] = '\0';
	if (hv_checkpoint_xml_bitmaps(xml, out, FUZZ_MAX_DISKS, &n, &err) ==
	    0) {
		if (n > FUZZ_MAX_DISKS)
			__builtin_trap();
		for (i = 0; i < n; i++)
			if (!hv_backup_target_is_valid(out[i].target) ||
			    !hv_checkpoint_name_is_valid(out[i].bitmap))
				__builtin_trap();
	} else if (!err.msg[0]) {
		__builtin_trap(); /* every refusal says why */
	}
	free(xml);
	return 0;
}
