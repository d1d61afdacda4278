/*
 * libFuzzer target: receiver's command line parser. The input is split on
 * NUL and newline bytes into at most 32 arguments.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "receiver/opts.h"

#define MAX_ARGS 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	char *argv[MAX_ARGS + 2] = { "receiver" };
	struct rcv_opts o;
	char err[256];
	int argc = 1;
	size_t i, start = 0;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (i = 0; i <= size && argc <= MAX_ARGS; i++) {
		if (i == size || buf[i] == '\0' || buf[i] == '\n') {
			buf[i] = '\0';
			argv[argc++] = buf + start;
			start = i + 1;
		}
	}
	argv[argc] = NULL;
	if (rcv_opts_parse(&o, argc, argv, err, sizeof(err)) == 0 &&
	    o.cmd == RCV_CMD_RUN && !o.config &&
	    (o.listen_host[0] == '\0' || o.n_allow == 0 || !o.storage_dir))
		abort(); /* accepted a run without its required settings */
	free(buf);
	return 0;
}
