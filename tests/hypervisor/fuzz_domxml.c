/*
 * libFuzzer target: the domain XML reader. What it accepts must keep the
 * promises of struct hv_domain, survive a disk remap and read back the
 * same, and, when it can be planned, give a plan that encodes and decodes.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hypervisor/domxml.h"
#include "hypervisor/plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TERMINATED(s) (memchr((s), '\0', sizeof(s)) != NULL)

/* Large: kept out of the stack. libFuzzer runs one input at a time. */
static struct hv_domain dom, again;
static struct hv_plan plan, back;

static void check_domain(const struct hv_domain *d)
{
	size_t i, j;

	if (d->n_disks > HV_MAX_DISKS || d->n_nics > HV_MAX_NICS ||
	    !d->name[0] || !hv_uuid_is_canonical(d->uuid) || !d->vcpus ||
	    !d->memory_kib || !d->virt_type[0] || !TERMINATED(d->name) ||
	    !TERMINATED(d->arch) || !TERMINATED(d->machine))
		__builtin_trap();
	for (i = 0; i < d->n_disks; i++) {
		if (!d->disks[i].target[0] || !TERMINATED(d->disks[i].source) ||
		    !TERMINATED(d->disks[i].format))
			__builtin_trap();
		for (j = 0; j < i; j++)
			if (!strcmp(d->disks[i].target, d->disks[j].target))
				__builtin_trap();
	}
	for (i = 0; i < d->n_nics; i++)
		if (d->nics[i].mac[0] && !hv_mac_is_canonical(d->nics[i].mac))
			__builtin_trap();
}

/* Repoint the first file or block disk; the rest must read back as is. */
static void check_map(const uint8_t *data, size_t size)
{
	struct hv_disk_map map = { NULL, "/fuzz/mapped.img", "raw" };
	struct hv_error err = { 0 };
	size_t i;
	char *out;

	for (i = 0; i < dom.n_disks && !map.target; i++)
		if ((!strcmp(dom.disks[i].type, "file") ||
		     !strcmp(dom.disks[i].type, "block")) &&
		    dom.disks[i].source[0])
			map.target = dom.disks[i].target;
	if (!map.target)
		return;
	out = hv_domxml_map_disks((const char *)data, size, &map, 1, &err);
	if (!out)
		__builtin_trap();
	if (hv_domxml_parse(out, strlen(out), &again, &err) < 0 ||
	    strcmp(again.name, dom.name) || strcmp(again.uuid, dom.uuid) ||
	    again.n_disks != dom.n_disks || again.n_nics != dom.n_nics ||
	    again.memory_kib != dom.memory_kib ||
	    strcmp(again.disks[i - 1].source, map.path) ||
	    strcmp(again.disks[i - 1].type, "file") ||
	    strcmp(again.disks[i - 1].format, "raw"))
		__builtin_trap();
	hv_domain_clear(&again);
	free(out);
}

static void check_plan(void)
{
	struct hv_error err = { 0 };
	char *json;
	size_t i;

	if (hv_plan_from_domain(&dom, &plan, &err) < 0) {
		if (!err.msg[0] || plan.cpu_xml)
			__builtin_trap();
		return;
	}
	for (i = 0; i < plan.n_disks; i++)
		plan.disks[i].virtual_size = 1;
	json = hv_plan_encode(&plan, &err);
	if (!json && err.code != -EMSGSIZE)
		__builtin_trap();
	if (json && hv_plan_decode(json, strlen(json), &back, &err) < 0)
		__builtin_trap();
	if (json &&
	    (strcmp(back.name, plan.name) || back.n_disks != plan.n_disks))
		__builtin_trap();
	free(json);
	hv_plan_clear(&back);
	hv_plan_clear(&plan);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hv_error err = { 0 };

	if (hv_domxml_parse((const char *)data, size, &dom, &err) < 0) {
		if (!err.msg[0] || dom.cpu_xml || dom.n_disks)
			__builtin_trap(); /* every error says why */
		return 0;
	}
	check_domain(&dom);
	check_map(data, size);
	check_plan();
	hv_domain_clear(&dom);
	return 0;
}
