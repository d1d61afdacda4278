/* libFuzzer target: the MBR reader (a boot disk's first sector). */
#include <stddef.h>
#include <stdint.h>

#include "tests/guest/sf_mbr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint64_t disk_bytes = 1ULL << 30;
	struct sf_mbr_part part;
	unsigned index;

	for (index = 0; index <= SF_MBR_PARTS + 1; index++) {
		if (sf_mbr_part_find(data, size, index, disk_bytes, &part,
		                     NULL) != 0)
			continue;
		/* Anything accepted lies within the disk, after sector 0. */
		if (part.offset < SF_MBR_SECTOR || part.length == 0 ||
		    part.offset + part.length > disk_bytes)
			__builtin_trap();
	}
	return 0;
}
