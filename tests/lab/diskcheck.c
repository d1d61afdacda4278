/* Disk image check against the acks of a serial log: see diskcheck.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/guest/sf_diskrec.h"
#include "tests/lab/diskcheck.h"

struct diskcheck_slot {
	uint64_t slot;
	uint64_t seq;
};

/* By slot, then newest seq first. */
static int diskcheck_slot_cmp(const void *a, const void *b)
{
	const struct diskcheck_slot *x = a, *y = b;

	if (x->slot != y->slot)
		return x->slot < y->slot ? -1 : 1;
	if (x->seq != y->seq)
		return x->seq > y->seq ? -1 : 1;
	return 0;
}

/* Classify the block found in slot for acked record seq. */
static const char *diskcheck_block(const struct disklog *log,
                                   const struct diskcheck_result *res,
                                   const uint8_t *block, size_t got,
                                   uint64_t seq, uint64_t slot, char *detail,
                                   size_t size)
{
	struct sf_diskrec rec;
	struct sf_err err = { "" };
	int ret;

	if (got < SF_DISKREC_SIZE) {
		snprintf(detail, size, "slot is beyond the end of the image");
		return "missing";
	}
	ret = sf_diskrec_decode(block, SF_DISKREC_SIZE, &rec, &err);
	if (ret == -ENODATA) {
		snprintf(detail, size, "slot was never written");
		return "missing";
	}
	if (ret < 0) {
		snprintf(detail, size, "%s", err.msg);
		return "corrupt";
	}
	if (log->have_start && rec.run != log->run) {
		snprintf(detail, size, "slot holds run %016" PRIx64, rec.run);
		return "missing";
	}
	if (rec.nslots != res->nslots || rec.seq % res->nslots != slot) {
		snprintf(detail, size,
		         "misplaced record seq=%" PRIu64 " nslots=%" PRIu64,
		         rec.seq, rec.nslots);
		return "corrupt";
	}
	if (rec.seq < seq) {
		snprintf(detail, size, "slot holds older seq=%" PRIu64,
		         rec.seq);
		return "missing";
	}
	return NULL;
}

/* Read a whole block, or as much as the image has. */
static ssize_t diskcheck_read(int fd, uint8_t *block, uint64_t off)
{
	size_t got = 0;

	while (got < SF_DISKREC_SIZE) {
		ssize_t n = pread(fd, block + got, SF_DISKREC_SIZE - got,
		                  (off_t)(off + got));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int diskcheck_run(const struct disklog *log, int image_fd, uint64_t area_offset,
                  uint64_t area_bytes, struct diskcheck_result *result,
                  diskcheck_report_fn report, void *arg, struct sf_err *err)
{
	uint64_t image_slots = sf_diskrec_slots(area_bytes), in_flight;
	struct diskcheck_slot *slots = NULL;
	uint8_t block[SF_DISKREC_SIZE];
	size_t i, n = 0;
	int ret = 0;

	memset(result, 0, sizeof(*result));
	if (log->nacks == 0) {
		sf_err_set(err, "no SF-DISK-ACK lines in the log");
		return -ENODATA;
	}
	result->nslots = log->have_start ? log->nslots : image_slots;
	if (result->nslots < SF_DISKREC_MIN_SLOTS ||
	    result->nslots > SF_DISKREC_MAX_SLOTS) {
		sf_err_set(err, "bad slot count %" PRIu64, result->nslots);
		return -EINVAL;
	}
	if (result->nslots > image_slots) {
		sf_err_set(err,
		           "image has %" PRIu64
		           " slots, the writer used %" PRIu64
		           " (wrong image, or not converted to raw?)",
		           image_slots, result->nslots);
		return -EINVAL;
	}
	slots = calloc(log->nacks, sizeof(*slots));
	if (slots == NULL) {
		sf_err_set(err, "out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < log->nacks; i++) {
		slots[i].seq = log->acks[i];
		slots[i].slot = log->acks[i] % result->nslots;
		if (log->acks[i] > result->last_ack)
			result->last_ack = log->acks[i];
	}
	qsort(slots, log->nacks, sizeof(*slots), diskcheck_slot_cmp);
	/* Drop duplicate acks (e.g. a log concatenated twice). */
	for (i = 0; i < log->nacks; i++)
		if (n == 0 || slots[i].seq != slots[n - 1].seq)
			slots[n++] = slots[i];
	result->acked = n;
	in_flight = (result->last_ack + 1) % result->nslots;

	for (i = 0; i < n; i++) {
		const char *verdict;
		char detail[160];
		ssize_t got;

		if (i > 0 && slots[i].slot == slots[i - 1].slot) {
			result->overwritten++;
			continue;
		}
		if (slots[i].slot == in_flight) {
			result->in_flight++;
			continue;
		}
		got = diskcheck_read(image_fd, block,
		                     area_offset +
		                         slots[i].slot * SF_DISKREC_SIZE);
		if (got < 0) {
			ret = (int)got;
			sf_err_set(err, "reading slot %" PRIu64 ": %s",
			           slots[i].slot, strerror(-ret));
			goto out;
		}
		result->checked++;
		verdict = diskcheck_block(log, result, block, (size_t)got,
		                          slots[i].seq, slots[i].slot, detail,
		                          sizeof(detail));
		if (verdict == NULL) {
			result->ok++;
			continue;
		}
		if (strcmp(verdict, "missing") == 0)
			result->missing++;
		else
			result->corrupt++;
		if (report != NULL)
			report(arg, slots[i].seq, slots[i].slot, verdict,
			       detail);
	}
out:
	free(slots);
	return ret;
}
