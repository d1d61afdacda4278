/* Tests for the serial log parser and the disk image check. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/guest/sf_diskrec.h"
#include "tests/lab/diskcheck.h"
#include "tests/lab/disklog.h"

static int parse(struct disklog *log, const char *text)
{
	disklog_init(log);
	return disklog_parse(log, text, strlen(text), NULL);
}

Test(disklog, golden_noisy_log)
{
	static const char text[] =
	    "[    1.371256] Run /init as init process\r\n"
	    "SF-DISK-ACK seq=999\r\n" /* a previous boot's */
	    "SF-DISK-START run=00000000000000aa nslots=8 dev=/dev/vdb\r\n"
	    "SF-DISK-ACK seq=0\r\n"
	    "SF-DISK-ACK seq=1\n"
	    "[   12.000000] some kernel noise SF-DISK-ACK seq=2\r\n"
	    "SF-DISK-ACK seq=3x\r\n" /* number not ending at a blank */
	    "SF-DISK-ACK seq=\r\n"
	    "SF-DISK-ACK seq=99999999999999999999\r\n" /* 20 digits */
	    "SF-DISK-ACK seq=4SF-DISK-ACK seq=5\r\n"
	    "SF-HB seq=7 uptime_ms=1\r\n"
	    "SF-DISK-ACK seq=6"; /* cut last line: ignored */
	struct disklog log;

	cr_assert_eq(parse(&log, text), 0);
	cr_assert_eq(log.runs, 1);
	cr_assert(log.have_start);
	cr_assert_eq(log.run, 0xaa);
	cr_assert_eq(log.nslots, 8);
	cr_assert_eq(log.earlier_acks, 1);
	cr_assert_eq(log.malformed, 4);
	cr_assert_eq(log.nacks, 4);
	cr_assert_eq(log.acks[0], 0);
	cr_assert_eq(log.acks[1], 1);
	cr_assert_eq(log.acks[2], 2);
	cr_assert_eq(log.acks[3], 5);
	disklog_fini(&log);
}

Test(disklog, two_runs_keep_the_last)
{
	struct disklog log;

	cr_assert_eq(parse(&log, "SF-DISK-START run=1 nslots=4 dev=x\n"
	                         "SF-DISK-ACK seq=0\n"
	                         "SF-DISK-START run=2 nslots=16 dev=x\n"
	                         "SF-DISK-ACK seq=0\nSF-DISK-ACK seq=1\n"
	                         "SF-DISK-START run=zz nslots=16\n"
	                         "SF-DISK-START run=3 nslots=\n"),
	             0);
	cr_assert_eq(log.runs, 2);
	cr_assert_eq(log.run, 2);
	cr_assert_eq(log.nslots, 16);
	cr_assert_eq(log.nacks, 2);
	cr_assert_eq(log.earlier_acks, 1);
	cr_assert_eq(log.malformed, 2);
	disklog_fini(&log);
	cr_assert_eq(parse(&log, ""), 0);
	cr_assert_eq(log.nacks, 0);
	cr_assert_not(log.have_start);
	disklog_fini(&log);
}

/*
 * A raw image whose data area of nslots slots, at byte offset off (the bytes
 * before it 0xff), holds records run/seq first..last.
 */
static int image_at(uint64_t off, uint64_t nslots, uint64_t run, uint64_t first,
                    uint64_t last)
{
	FILE *f = tmpfile();
	uint8_t block[SF_DISKREC_SIZE];
	uint64_t seq;
	int fd;

	cr_assert_not_null(f);
	fd = dup(fileno(f));
	fclose(f);
	cr_assert_eq(ftruncate(fd, (off_t)(off + nslots * SF_DISKREC_SIZE)), 0);
	memset(block, 0xff, sizeof(block));
	for (seq = 0; seq < off; seq += sizeof(block))
		cr_assert_eq(pwrite(fd, block, sizeof(block), (off_t)seq),
		             (ssize_t)sizeof(block));
	for (seq = first; seq <= last; seq++) {
		struct sf_diskrec rec = { run, seq, nslots };

		sf_diskrec_encode(&rec, block);
		cr_assert_eq(
		    pwrite(fd, block, sizeof(block),
		           (off_t)(off + sf_diskrec_offset(seq, nslots))),
		    (ssize_t)sizeof(block));
	}
	return fd;
}

static int image(uint64_t nslots, uint64_t run, uint64_t first, uint64_t last)
{
	return image_at(0, nslots, run, first, last);
}

/* Log for run 0xaa, nslots slots, acks first..last. */
static void acked(struct disklog *log, uint64_t nslots, uint64_t first,
                  uint64_t last)
{
	char line[128];
	uint64_t seq;

	disklog_init(log);
	snprintf(line, sizeof(line),
	         "SF-DISK-START run=aa nslots=%llu dev=/dev/vdb\n",
	         (unsigned long long)nslots);
	cr_assert_eq(disklog_parse(log, line, strlen(line), NULL), 0);
	for (seq = first; seq <= last; seq++) {
		snprintf(line, sizeof(line), "SF-DISK-ACK seq=%llu\r\n",
		         (unsigned long long)seq);
		cr_assert_eq(disklog_parse(log, line, strlen(line), NULL), 0);
	}
}

struct reports {
	int n;
	char last[256];
};

static void collect(void *arg, uint64_t seq, uint64_t slot, const char *verdict,
                    const char *detail)
{
	struct reports *r = arg;

	r->n++;
	snprintf(r->last, sizeof(r->last), "%llu/%llu %s: %s",
	         (unsigned long long)seq, (unsigned long long)slot, verdict,
	         detail);
}

Test(diskcheck, all_ok_with_wrap_and_in_flight)
{
	struct diskcheck_result res;
	struct reports r = { 0, "" };
	struct disklog log;
	int fd = image(16, 0xaa, 0, 39);

	acked(&log, 16, 0, 38); /* seq 39 written, its ack line lost */
	cr_assert_eq(
	    diskcheck_run(&log, fd, 0, 16 * 4096, &res, collect, &r, NULL), 0);
	cr_assert_eq(res.acked, 39);
	cr_assert_eq(res.last_ack, 38);
	cr_assert_eq(res.overwritten, 23);
	cr_assert_eq(res.in_flight, 1); /* slot 39 % 16 = 7, held seq 23 */
	cr_assert_eq(res.checked, 15);
	cr_assert_eq(res.ok, 15);
	cr_assert_eq(r.n, 0);
	disklog_fini(&log);
	close(fd);
}

Test(diskcheck, missing_and_corrupt)
{
	uint8_t block[SF_DISKREC_SIZE];
	struct diskcheck_result res;
	struct reports r = { 0, "" };
	struct disklog log;
	int fd = image(16, 0xaa, 0, 9);

	acked(&log, 16, 0, 9);
	/* Lost write: slot 3 zero. Torn/corrupt: one byte in slot 5. */
	memset(block, 0, sizeof(block));
	cr_assert_eq(pwrite(fd, block, sizeof(block), 3 * 4096), 4096);
	cr_assert_eq(pread(fd, block, sizeof(block), 5 * 4096), 4096);
	block[2000] ^= 1;
	cr_assert_eq(pwrite(fd, block, sizeof(block), 5 * 4096), 4096);
	cr_assert_eq(
	    diskcheck_run(&log, fd, 0, 16 * 4096, &res, collect, &r, NULL), 0);
	cr_assert_eq(res.checked, 10);
	cr_assert_eq(res.ok, 8);
	cr_assert_eq(res.missing, 1);
	cr_assert_eq(res.corrupt, 1);
	cr_assert_eq(r.n, 2);
	cr_assert(strstr(r.last, "5/5 corrupt") != NULL, "%s", r.last);
	disklog_fini(&log);
	close(fd);
}

Test(diskcheck, stale_and_foreign_records)
{
	struct diskcheck_result res;
	struct disklog log;
	int fd = image(8, 0xaa, 0, 5);
	int other = image(8, 0xbb, 0, 5);

	/* Acks up to 13 but the image stopped at 5: 8-13 are stale. */
	acked(&log, 8, 0, 13);
	cr_assert_eq(
	    diskcheck_run(&log, fd, 0, 8 * 4096, &res, NULL, NULL, NULL), 0);
	cr_assert_eq(res.checked, 7); /* slot 14 % 8 = 6 may be in flight */
	cr_assert_eq(res.missing, 7); /* slot 7 (seq 7) was never written */
	cr_assert_eq(res.ok, 0);
	disklog_fini(&log);
	/* Another run's records do not count. */
	acked(&log, 8, 0, 3);
	cr_assert_eq(
	    diskcheck_run(&log, other, 0, 8 * 4096, &res, NULL, NULL, NULL), 0);
	cr_assert_eq(res.missing, 4);
	disklog_fini(&log);
	close(fd);
	close(other);
}

Test(diskcheck, bad_input)
{
	struct diskcheck_result res;
	struct sf_err err = { "" };
	struct disklog log;
	int fd = image(8, 0xaa, 0, 3);

	disklog_init(&log);
	cr_assert_eq(
	    diskcheck_run(&log, fd, 0, 8 * 4096, &res, NULL, NULL, &err),
	    -ENODATA);
	cr_assert(strstr(err.msg, "no SF-DISK-ACK") != NULL);
	acked(&log, 16, 0, 3); /* writer saw 16 slots, image has 8 */
	cr_assert_eq(
	    diskcheck_run(&log, fd, 0, 8 * 4096, &res, NULL, NULL, &err),
	    -EINVAL);
	disklog_fini(&log);
	close(fd);
}

/* A boot disk's data area: partition 2, at an offset into the image. */
Test(diskcheck, area_at_an_offset)
{
	struct diskcheck_result res;
	struct disklog log;
	int fd = image_at(3 * 4096, 8, 0xaa, 0, 5);

	acked(&log, 8, 0, 5);
	cr_assert_eq(
	    diskcheck_run(&log, fd, 3 * 4096, 8 * 4096, &res, NULL, NULL, NULL),
	    0);
	cr_assert_eq(res.checked, 6);
	cr_assert_eq(res.ok, 6);
	/* Read from the start of the image, the same area is garbage. */
	cr_assert_eq(
	    diskcheck_run(&log, fd, 0, 11 * 4096, &res, NULL, NULL, NULL), 0);
	cr_assert_eq(res.ok, 0);
	cr_assert_eq(res.corrupt + res.missing, 6);
	disklog_fini(&log);
	close(fd);
}
