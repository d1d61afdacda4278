/*
 * libFuzzer target: the parser of the receiver's journals and post-copy
 * records on arbitrary bytes. What it accepts must write back
 * (rcv_record_write's format) to a file that reads as the same record; what
 * it refuses must say why.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "receiver/records.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rcv_record rec, again;
	static char path[64];
	char why[300] = "";
	size_t i;

	if (!path[0])
		snprintf(path, sizeof(path), "/tmp/sf-fuzz-records-%d",
		         (int)getpid());
	if (rcv_record_parse((const char *)data, size, &rec, why, sizeof(why)) <
	    0) {
		if (!why[0])
			abort();
		return 0;
	}
	if (!rec.peer[0] || rec.n_disks > RCV_RECORD_DISKS ||
	    (rec.dir[0] && rec.dir[0] != '/'))
		abort();
	for (i = 0; i < rec.n_disks; i++)
		if (rec.disks[i][0] != '/')
			abort();
	if (rcv_record_write(path, &rec) < 0 ||
	    rcv_record_read(path, &again, why, sizeof(why)) < 0 ||
	    memcmp(&rec, &again, sizeof(rec)) != 0)
		abort();
	unlink(path);
	return 0;
}
