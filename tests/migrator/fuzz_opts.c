/*
 * libFuzzer target: migrator's command line parser. The input is split on
 * NUL and newline bytes into at most 32 arguments; the rate parser also gets
 * the whole input as one string.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "migrator/opts.h"

#define MAX_ARGS 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	char *argv[MAX_ARGS + 2] = { "migrator" };
	struct mig_opts o;
	char err[256];
	uint64_t rate;
	int argc = 1;
	size_t i, start = 0;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	if (mig_opts_parse_rate(buf, &rate) == 0 && rate == 0)
		abort();
	for (i = 0; i <= size && argc <= MAX_ARGS; i++) {
		if (i == size || buf[i] == '\0' || buf[i] == '\n') {
			buf[i] = '\0';
			argv[argc++] = buf + start;
			start = i + 1;
		}
	}
	argv[argc] = NULL;
	if (mig_opts_parse(&o, argc, argv, err, sizeof(err)) == 0 &&
	    o.cmd == MIG_CMD_MIGRATE &&
	    (!o.domain || o.to_host[0] == '\0' || o.to_port == 0))
		abort(); /* accepted a migrate without its required parts */
	free(buf);
	return 0;
}
