/* libFuzzer target: the disk record decoder (data read back from disks). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tests/guest/sf_diskrec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t again[SF_DISKREC_SIZE];
	struct sf_diskrec rec;

	if (sf_diskrec_decode(data, size, &rec, NULL) == 0) {
		/* Anything accepted must be exactly what encode produces. */
		sf_diskrec_encode(&rec, again);
		if (memcmp(again, data, SF_DISKREC_SIZE) != 0)
			__builtin_trap();
	}
	return 0;
}
