/*
 * libFuzzer target: the plan, answer and control message decoders. A
 * message one of them accepts must encode again, and its encoding must
 * decode to the same encoding.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hypervisor/plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Large: kept out of the stack. libFuzzer runs one input at a time. */
static struct hv_plan plan;
static struct hv_plan_answer answer;

/* json re-encodes to itself through decode: then free it. */
static void same_again(char *json, char *again)
{
	if (!json || !again || strcmp(json, again))
		__builtin_trap();
	free(json);
	free(again);
}

static void fuzz_plan(const char *buf, size_t size)
{
	struct hv_error err = { 0 };
	char *json;

	if (hv_plan_decode(buf, size, &plan, &err) < 0) {
		if (!err.msg[0] || plan.cpu_xml)
			__builtin_trap();
		return;
	}
	json = hv_plan_encode(&plan, &err);
	hv_plan_clear(&plan);
	if (!json || hv_plan_decode(json, strlen(json), &plan, &err) < 0)
		__builtin_trap();
	same_again(json, hv_plan_encode(&plan, &err));
	hv_plan_clear(&plan);
}

static void fuzz_answer(const char *buf, size_t size)
{
	struct hv_error err = { 0 };
	char *json;

	if (hv_plan_answer_decode(buf, size, &answer, &err) < 0) {
		if (!err.msg[0] || answer.n_disks || answer.n_checks)
			__builtin_trap();
		return;
	}
	json = hv_plan_answer_encode(&answer, &err);
	if (!json ||
	    hv_plan_answer_decode(json, strlen(json), &answer, &err) < 0)
		__builtin_trap();
	same_again(json, hv_plan_answer_encode(&answer, &err));
}

static void fuzz_ctl(const char *buf, size_t size)
{
	struct hv_ctl_msg msg;
	struct hv_error err = { 0 };
	char *json;

	if (hv_ctl_msg_decode(buf, size, &msg, &err) < 0) {
		if (!err.msg[0] || msg.type[0])
			__builtin_trap();
		return;
	}
	json = hv_ctl_msg_encode(&msg, &err);
	if (!json || hv_ctl_msg_decode(json, strlen(json), &msg, &err) < 0)
		__builtin_trap();
	same_again(json, hv_ctl_msg_encode(&msg, &err));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_plan((const char *)data, size);
	fuzz_answer((const char *)data, size);
	fuzz_ctl((const char *)data, size);
	return 0;
}
