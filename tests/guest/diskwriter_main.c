/*
 * sf-diskwriter: writes sequence-numbered records (sf_diskrec.h) to the data
 * disk with O_DIRECT, fdatasync after each, and prints on the console:
 *
 *   SF-DISK-START run=HEX nslots=N dev=PATH    once, before the first record
 *   SF-DISK-ACK seq=N                          after record N is durable
 *   SF-DISK-ERROR seq=N op=OP err=TEXT         then the same record is retried
 *
 * Record seq goes to slot seq % nslots, nslots being the device size in
 * blocks. The host's sf-diskverify checks the image against the ACK lines.
 * The device "auto" is the boot disk's data area, or the first disk
 * (sf_disk.h); dev= names what it resolved to.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "sf_cmdline.h"
#include "sf_console.h"
#include "sf_disk.h"
#include "sf_diskrec.h"
#include "sf_hash.h"
#include "sf_pace.h"

#define DISKWRITER_OPEN_TIMEOUT_NS (10 * SF_NSEC_PER_SEC)

struct diskwriter {
	const char *path;
	int fd;
	struct sf_diskrec rec;
	uint8_t *block;
};

static void usage(void)
{
	fprintf(stderr, "usage: sf-diskwriter [--cmdline FILE] "
	                "[--device PATH|auto] "
	                "[--rate N]\n"
	                "                     [--count N] [--buffered] "
	                "[--ready-file PATH]\n");
	exit(2);
}

static uint64_t diskwriter_arg_u64(const char *arg, uint64_t min, uint64_t max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno || *end != '\0' || arg[0] == '-' || v < min || v > max)
		usage();
	return v;
}

static void diskwriter_sleep_ns(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / SF_NSEC_PER_SEC),
		               (long)(ns % SF_NSEC_PER_SEC) };

	nanosleep(&ts, NULL);
}

/* The device node may appear a moment after the driver loads. */
static int diskwriter_open(struct diskwriter *dw, int flags)
{
	uint64_t deadline =
	    sf_clock_ns(CLOCK_MONOTONIC) + DISKWRITER_OPEN_TIMEOUT_NS;

	for (;;) {
		dw->fd = open(dw->path, O_RDWR | O_CLOEXEC | flags);
		if (dw->fd >= 0)
			return 0;
		if (errno != ENOENT || sf_clock_ns(CLOCK_MONOTONIC) > deadline)
			return -errno;
		diskwriter_sleep_ns(50000000);
	}
}

static uint64_t diskwriter_run_id(void)
{
	uint64_t id = 0;

	if (getrandom(&id, sizeof(id), GRND_NONBLOCK) != sizeof(id))
		id = sf_fill_seed(sf_clock_ns(CLOCK_REALTIME),
		                  sf_clock_ns(CLOCK_MONOTONIC) ^
		                      (uint64_t)getpid());
	return id;
}

/* Write one record and make it durable. Returns 0 or -errno, naming op. */
static int diskwriter_put(struct diskwriter *dw, const char **op)
{
	off_t off = (off_t)sf_diskrec_offset(dw->rec.seq, dw->rec.nslots);
	ssize_t n;

	sf_diskrec_encode(&dw->rec, dw->block);
	*op = "write";
	n = pwrite(dw->fd, dw->block, SF_DISKREC_SIZE, off);
	if (n < 0)
		return -errno;
	if (n != SF_DISKREC_SIZE)
		return -EIO;
	*op = "fdatasync";
	return fdatasync(dw->fd) < 0 ? -errno : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cmdline", required_argument, NULL, 'c' },
		{ "device", required_argument, NULL, 'D' },
		{ "rate", required_argument, NULL, 'r' },
		{ "count", required_argument, NULL, 'n' },
		{ "buffered", no_argument, NULL, 'b' },
		{ "ready-file", required_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmdline_path = "/proc/cmdline", *ready_file = NULL;
	char auto_path[SF_DISK_PATH_MAX];
	uint64_t rate = 0, count = 0, bytes = 0;
	struct diskwriter dw = { .fd = -1 };
	struct sf_cmdline cmdline;
	struct sf_err err = { "" };
	int opt, ret, flags = O_DIRECT;
	struct sf_pace pace;
	void *block = NULL;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			cmdline_path = optarg;
			break;
		case 'D':
			dw.path = optarg;
			break;
		case 'r':
			rate =
			    diskwriter_arg_u64(optarg, 1, SF_CMDLINE_MAX_DRATE);
			break;
		case 'n':
			count = diskwriter_arg_u64(optarg, 1, UINT64_MAX);
			break;
		case 'b':
			flags = 0;
			break;
		case 'R':
			ready_file = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	if (sf_cmdline_read(&cmdline, cmdline_path, &err) < 0) {
		sf_console_printf(1, "SF-BOOT-ERROR tool=sf-diskwriter %s\n",
		                  err.msg);
		return 1;
	}
	if (dw.path == NULL && cmdline.have_disk)
		dw.path = cmdline.disk;
	if (dw.path == NULL) {
		sf_console_printf(1, "SF-BOOT-ERROR tool=sf-diskwriter "
		                     "no sf.disk= and no --device\n");
		return 1;
	}
	if (rate == 0)
		rate = cmdline.disk_rate;
	if (strcmp(dw.path, SF_DISK_AUTO) == 0) {
		ret =
		    sf_disk_find(sf_disk_candidates, DISKWRITER_OPEN_TIMEOUT_NS,
		                 auto_path, sizeof(auto_path), &err);
		if (ret < 0) {
			sf_console_printf(1,
			                  "SF-BOOT-ERROR tool=sf-diskwriter "
			                  "sf.disk=auto: %s\n",
			                  err.msg);
			return 1;
		}
		dw.path = auto_path;
	}

	if (posix_memalign(&block, SF_DISKREC_SIZE, SF_DISKREC_SIZE) != 0) {
		sf_console_printf(1, "SF-BOOT-ERROR tool=sf-diskwriter "
		                     "out of memory\n");
		return 1;
	}
	dw.block = block;
	ret = diskwriter_open(&dw, flags);
	if (ret == 0)
		ret = sf_disk_size(dw.fd, &bytes);
	if (ret < 0) {
		sf_console_printf(1,
		                  "SF-BOOT-ERROR tool=sf-diskwriter %s: %s\n",
		                  dw.path, strerror(-ret));
		return 1;
	}
	dw.rec.nslots = sf_diskrec_slots(bytes);
	if (dw.rec.nslots < SF_DISKREC_MIN_SLOTS) {
		sf_console_printf(1,
		                  "SF-BOOT-ERROR tool=sf-diskwriter %s: "
		                  "too small (%llu bytes)\n",
		                  dw.path, (unsigned long long)bytes);
		return 1;
	}
	dw.rec.run = diskwriter_run_id();
	sf_console_printf(1, "SF-DISK-START run=%016llx nslots=%llu dev=%s\n",
	                  (unsigned long long)dw.rec.run,
	                  (unsigned long long)dw.rec.nslots, dw.path);
	if (ready_file != NULL) {
		int fd = open(ready_file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

		if (fd >= 0)
			close(fd);
	}

	sf_pace_init(&pace, rate, sf_clock_ns(CLOCK_MONOTONIC));
	while (count == 0 || dw.rec.seq < count) {
		const char *op = "";

		if (sf_pace_take(&pace, sf_clock_ns(CLOCK_MONOTONIC), 1) == 0) {
			diskwriter_sleep_ns(SF_NSEC_PER_SEC / rate / 4 + 1);
			continue;
		}
		ret = diskwriter_put(&dw, &op);
		if (ret < 0) {
			sf_console_printf(
			    1, "SF-DISK-ERROR seq=%llu op=%s err=%s\n",
			    (unsigned long long)dw.rec.seq, op, strerror(-ret));
			diskwriter_sleep_ns(SF_NSEC_PER_SEC);
			continue;
		}
		sf_console_printf(1, "SF-DISK-ACK seq=%llu\n",
		                  (unsigned long long)dw.rec.seq);
		dw.rec.seq++;
	}
	close(dw.fd);
	free(block);
	return 0;
}
