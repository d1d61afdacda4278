/*
 * libFuzzer target: the receiver's domain XML guard and the capabilities
 * reader. The first byte picks which one reads the rest. Every input must
 * end in a known result, with a message on failure; the capabilities
 * reader must hand back only clean absolute paths, none twice.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hypervisor/domguard.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const emulators[] = { "/usr/bin/qemu-system-x86_64" };
static const struct hv_guard_disk disks[] = {
	{ "vdb", "/var/lib/libvirt/images/skyferry/sfguest-vdb-1.qcow2" },
};

static void check_emulators(const struct hv_guard_emulators *e)
{
	size_t i, j;

	if (e->n > HV_GUARD_EMULATORS_MAX)
		__builtin_trap();
	for (i = 0; i < e->n; i++) {
		if (e->list[i] != e->path[i] || e->path[i][0] != '/' ||
		    strstr(e->path[i], "/../") || strstr(e->path[i], "//") ||
		    !memchr(e->path[i], '\0', sizeof(e->path[i])))
			__builtin_trap();
		for (j = 0; j < i; j++)
			if (!strcmp(e->path[i], e->path[j]))
				__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hv_guard_rules rules = { 0 };
	struct hv_guard_emulators emus;
	struct hv_error err = { 0 };
	int rc;

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		rc = hv_guard_emulators_parse((const char *)data + 1, size - 1,
		                              &emus, &err);
		if (rc == 0)
			check_emulators(&emus);
		else if (emus.n != 0)
			__builtin_trap();
	} else {
		hv_guard_rules_default(&rules);
		rules.name = "sfguest";
		rules.disks = disks;
		rules.n_disks = 1;
		rules.emulators = emulators;
		rules.n_emulators = 1;
		rc = hv_domguard_check((const char *)data + 1, size - 1, &rules,
		                       &err);
	}
	if (rc != 0 && rc != -EPERM && rc != -EINVAL && rc != -EMSGSIZE &&
	    rc != -ENOMEM)
		__builtin_trap();
	if (rc != 0 && (!err.msg[0] || !memchr(err.msg, '\0', sizeof(err.msg))))
		__builtin_trap();
	return 0;
}
