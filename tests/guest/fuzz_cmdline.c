/* libFuzzer target: the guest's kernel command line parser. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tests/guest/sf_cmdline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sf_cmdline c;
	struct sf_err err = { "" };

	sf_cmdline_init(&c);
	if (sf_cmdline_parse(&c, (const char *)data, size, &err) == 0) {
		/* What a successful parse promises its callers. */
		if (c.prefix > 32 || c.mem_mib > SF_CMDLINE_MAX_MEM ||
		    c.rate > SF_CMDLINE_MAX_RATE ||
		    c.disk_rate > SF_CMDLINE_MAX_DRATE || c.disk_rate == 0 ||
		    (c.have_disk && strcmp(c.disk, "auto") != 0 &&
		     strncmp(c.disk, "/dev/", 5) != 0) ||
		    memchr(c.disk, '\0', sizeof(c.disk)) == NULL)
			__builtin_trap();
	} else if (err.msg[0] == '\0') {
		__builtin_trap(); /* every error says why */
	}
	return 0;
}
