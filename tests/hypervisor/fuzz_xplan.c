/*
 * libFuzzer target: the cross-hypervisor plan and answer decoders. What
 * they accept must encode again and decode to the same encoding.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hypervisor/xplan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct hv_xplan plan, again;
static struct hv_xplan_answer answer;

static void same(char *a, char *b)
{
	if (!a || !b || strcmp(a, b))
		__builtin_trap();
	free(a);
	free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct hv_error err = { 0 };
	char *json;

	if (hv_xplan_decode(buf, size, &plan, &err) == 0) {
		json = hv_xplan_encode(&plan, &err);
		if (!json ||
		    hv_xplan_decode(json, strlen(json), &again, &err) < 0)
			__builtin_trap();
		same(json, hv_xplan_encode(&again, &err));
	} else if (!err.msg[0]) {
		__builtin_trap();
	}
	memset(&err, 0, sizeof(err));
	if (hv_xplan_answer_decode(buf, size, &answer, &err) == 0) {
		json = hv_xplan_answer_encode(&answer, &err);
		if (!json || hv_xplan_answer_decode(json, strlen(json), &answer,
		                                    &err) < 0)
			__builtin_trap();
		same(json, hv_xplan_answer_encode(&answer, &err));
	} else if (!err.msg[0] || answer.n_checks) {
		__builtin_trap();
	}
	return 0;
}
