/*
 * libFuzzer target for sf-cpusample's parsers. The input is parsed as a
 * stat line, and, cut at its first NUL, as a --netns argument. A line that
 * parses is fed to the accounting twice, which must count it once.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/lab/cpusample/cpusample.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_stat(const uint8_t *data, size_t size)
{
	struct cpusample_stat st;
	struct cpusample cs;
	uint64_t ticks;

	if (cpusample_stat_parse((const char *)data, size, &st) != 0)
		return;
	if (st.tid <= 0 || strlen(st.comm) >= CPUSAMPLE_COMM_MAX)
		__builtin_trap();
	cpusample_init(&cs);
	if (cpusample_group_add(&cs, "f", 1, 1) != 0)
		__builtin_trap();
	cpusample_start(&cs, 1000);
	if (cpusample_task_seen(&cs, 0, st.tid, st.comm, &st) != 0 ||
	    cpusample_task_seen(&cs, 0, st.tid, st.comm, &st) != 0)
		__builtin_trap();
	cpusample_sum(&cs);
	ticks =
	    st.utime + st.stime < st.utime ? UINT64_MAX : st.utime + st.stime;
	if (cs.excluded > 0) {
		if (cs.count != 0 || cs.excluded != 2)
			__builtin_trap();
	} else if (cs.groups[0].tasks != 1 ||
	           cs.groups[0].ticks != (st.starttime >= 1000 ? ticks : 0)) {
		__builtin_trap();
	}
	cpusample_free(&cs);
}

static void fuzz_arg(const uint8_t *data, size_t size)
{
	char name[CPUSAMPLE_NAME_MAX];
	const char *path;
	char *arg;

	arg = malloc(size + 1);
	if (arg == NULL)
		return;
	memcpy(arg, data, size);
	arg[size] = '\0';
	if (cpusample_netns_arg_parse(arg, name, sizeof(name), &path) == 0) {
		if (name[0] == '\0' || path < arg || *path == '\0' ||
		    path[-1] != '=' || strlen(name) != (size_t)(path - arg - 1))
			__builtin_trap();
	}
	free(arg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_stat(data, size);
	fuzz_arg(data, size);
	return 0;
}
