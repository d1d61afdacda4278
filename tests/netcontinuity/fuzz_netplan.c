/*
 * libFuzzer target: the net plan and net answer decoders on arbitrary
 * bytes. A rejected input must leave a message and a zeroed structure; an
 * accepted one must encode again, and that encoding must decode to the
 * same structure.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netcontinuity/netplan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Large: kept off the stack. libFuzzer runs one input at a time. */
static struct nc_net_plan plan, plan_again;
static const struct nc_net_plan plan_zero;
static struct nc_net_answer answer, answer_again;
static const struct nc_net_answer answer_zero;

static void fuzz_plan(const char *buf, size_t size)
{
	struct nc_error err = { 0 };
	char *json;

	memset(&plan, 0, sizeof(plan));
	memset(&plan_again, 0, sizeof(plan_again));
	if (nc_net_plan_decode(buf, size, &plan, &err) < 0) {
		if (!err.msg[0] || err.code >= 0 ||
		    memcmp(&plan, &plan_zero, sizeof(plan)))
			__builtin_trap();
		return;
	}
	json = nc_net_plan_encode(&plan, &err);
	if (!json ||
	    nc_net_plan_decode(json, strlen(json), &plan_again, &err) < 0 ||
	    memcmp(&plan, &plan_again, sizeof(plan)))
		__builtin_trap();
	free(json);
}

static void fuzz_answer(const char *buf, size_t size)
{
	struct nc_error err = { 0 };
	char *json;

	memset(&answer, 0, sizeof(answer));
	memset(&answer_again, 0, sizeof(answer_again));
	if (nc_net_answer_decode(buf, size, &answer, &err) < 0) {
		if (!err.msg[0] || err.code >= 0 ||
		    memcmp(&answer, &answer_zero, sizeof(answer)))
			__builtin_trap();
		return;
	}
	json = nc_net_answer_encode(&answer, &err);
	if (!json ||
	    nc_net_answer_decode(json, strlen(json), &answer_again, &err) < 0 ||
	    memcmp(&answer, &answer_again, sizeof(answer)))
		__builtin_trap();
	free(json);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_plan((const char *)data, size);
	fuzz_answer((const char *)data, size);
	return 0;
}
