/*
 * libFuzzer target: the parser of the receiver's post-copy records on
 * arbitrary bytes. What it accepts must write back (rcv_postcopy_write's
 * format) to text that parses to the same record; what it refuses must say
 * why.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "receiver/postcopy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rcv_postcopy_rec rec, again;
	static char text[RCV_POSTCOPY_MAX + 4096];
	char why[300] = "";
	size_t i, used;

	if (rcv_postcopy_parse((const char *)data, size, &rec, why,
	                       sizeof(why)) < 0) {
		if (!why[0])
			abort();
		return 0;
	}
	if (!rec.peer[0] || rec.n_disks > RCV_POSTCOPY_DISKS)
		abort();
	used = (size_t)snprintf(text, sizeof(text), "%s\n", rec.peer);
	if (rec.name[0])
		used += (size_t)snprintf(text + used, sizeof(text) - used,
		                         "name %s\n", rec.name);
	for (i = 0; i < rec.n_disks; i++) {
		if (rec.disks[i][0] != '/')
			abort();
		used += (size_t)snprintf(text + used, sizeof(text) - used,
		                         "disk %s\n", rec.disks[i]);
	}
	if (used >= sizeof(text) ||
	    rcv_postcopy_parse(text, used, &again, why, sizeof(why)) < 0 ||
	    memcmp(&rec, &again, sizeof(rec)) != 0)
		abort();
	return 0;
}
