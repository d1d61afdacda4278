/* libFuzzer target: the serial log parser of sf-diskverify. */
#include <stddef.h>
#include <stdint.h>

#include "tests/lab/disklog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct disklog log;

	disklog_init(&log);
	disklog_parse(&log, (const char *)data, size, NULL);
	if (log.nacks > log.cap || log.nacks > DISKLOG_MAX_ACKS)
		__builtin_trap();
	disklog_fini(&log);
	return 0;
}
