/*
 * sf-diskverify: checks a guest data disk against the disk writer's acks.
 *
 *   sf-diskverify --image RAW_IMAGE --log SERIAL_LOG
 *                 [--offset BYTES | --partition N] [--quiet]
 *
 * The image must be raw (qemu-img convert -O raw first). The data area is the
 * whole image, or what follows --offset BYTES, or primary partition N of the
 * image's MBR (a boot disk from scripts/mkbootdisk: --partition 2). Prints each
 * record that is not ok (up to a limit) and the summary line
 *
 *   diskverify: acked=N checked=N ok=N missing=N corrupt=N
 *
 * Exit 0 when every checked record is ok, 1 when some are not, 2 on bad
 * input (unreadable files, no acks in the log, mismatched geometry).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/guest/sf_disk.h"
#include "tests/guest/sf_mbr.h"
#include "tests/lab/diskcheck.h"
#include "tests/lab/disklog.h"

#define DISKVERIFY_LOG_MAX    (512ULL << 20)
#define DISKVERIFY_REPORT_MAX 20

struct diskverify_reports {
	bool quiet;
	unsigned printed;
	unsigned dropped;
};

static void usage(void)
{
	fprintf(stderr, "usage: sf-diskverify --image RAW_IMAGE "
	                "--log SERIAL_LOG\n"
	                "                     [--offset BYTES | --partition N] "
	                "[--quiet]\n");
	exit(2);
}

static void diskverify_report(void *arg, uint64_t seq, uint64_t slot,
                              const char *verdict, const char *detail)
{
	struct diskverify_reports *reports = arg;

	if (reports->quiet || reports->printed >= DISKVERIFY_REPORT_MAX) {
		reports->dropped++;
		return;
	}
	reports->printed++;
	printf("diskverify: seq=%" PRIu64 " slot=%" PRIu64 " %s: %s\n", seq,
	       slot, verdict, detail);
}

/* Read the whole log into *out (NUL-terminated); the caller frees it. */
static int diskverify_read_log(const char *path, char **out, size_t *len)
{
	struct stat st;
	size_t got = 0;
	char *buf = NULL;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = -EINVAL;
		goto out;
	}
	if ((uint64_t)st.st_size > DISKVERIFY_LOG_MAX) {
		ret = -EFBIG;
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			goto out;
		}
		if (n == 0)
			break; /* the file shrank: parse what we have */
		got += (size_t)n;
	}
	buf[got] = '\0';
	*out = buf;
	*len = got;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return ret;
}

/* A qcow2 image passed by mistake would only show "missing" everywhere. */
static bool diskverify_is_qcow2(int fd)
{
	unsigned char magic[4];

	return pread(fd, magic, sizeof(magic), 0) == sizeof(magic) &&
	       memcmp(magic, "QFI\xfb", 4) == 0;
}

/*
 * The data area within an image of image_bytes: from --offset to the end, or
 * partition part (if not 0) of its MBR. Returns 0 or -errno, err saying why.
 */
static int diskverify_area(int fd, uint64_t image_bytes, uint64_t offset,
                           unsigned part, uint64_t *area_offset,
                           uint64_t *area_bytes, struct sf_err *err)
{
	uint8_t sector[SF_MBR_SIZE];
	struct sf_mbr_part found;
	ssize_t n;
	int ret;

	if (part == 0) {
		if (offset >= image_bytes) {
			sf_err_set(err,
			           "offset %" PRIu64 " is not within %" PRIu64
			           " bytes",
			           offset, image_bytes);
			return -EINVAL;
		}
		*area_offset = offset;
		*area_bytes = image_bytes - offset;
		return 0;
	}
	n = pread(fd, sector, sizeof(sector), 0);
	if (n < 0) {
		ret = -errno;
		sf_err_set(err, "reading the MBR: %s", strerror(errno));
		return ret;
	}
	ret =
	    sf_mbr_part_find(sector, (size_t)n, part, image_bytes, &found, err);
	if (ret < 0)
		return ret;
	*area_offset = found.offset;
	*area_bytes = found.length;
	return 0;
}

static uint64_t diskverify_arg_u64(const char *arg, uint64_t max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno || end == arg || *end != '\0' || arg[0] == '-' || v > max)
		usage();
	return v;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "image", required_argument, NULL, 'i' },
		{ "log", required_argument, NULL, 'l' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "offset", required_argument, NULL, 'o' },
		{ "partition", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	const char *image_path = NULL, *log_path = NULL;
	struct diskverify_reports reports = { false, 0, 0 };
	struct diskcheck_result res;
	struct sf_err err = { "" };
	struct disklog log;
	uint64_t image_bytes = 0, offset = 0, area_offset = 0, area_bytes = 0;
	unsigned part = 0;
	bool have_offset = false;
	char *text = NULL;
	size_t len = 0;
	int opt, ret, fd = -1, status = 2;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'i':
			image_path = optarg;
			break;
		case 'l':
			log_path = optarg;
			break;
		case 'q':
			reports.quiet = true;
			break;
		case 'o':
			offset = diskverify_arg_u64(optarg, INT64_MAX);
			have_offset = true;
			break;
		case 'p':
			part =
			    (unsigned)diskverify_arg_u64(optarg, SF_MBR_PARTS);
			if (part == 0)
				usage();
			break;
		default:
			usage();
		}
	}
	if (optind != argc || image_path == NULL || log_path == NULL ||
	    (have_offset && part != 0))
		usage();

	disklog_init(&log);
	ret = diskverify_read_log(log_path, &text, &len);
	if (ret < 0) {
		fprintf(stderr, "sf-diskverify: log %s: %s\n", log_path,
		        ret == -EINVAL ? "not a regular file" : strerror(-ret));
		goto out;
	}
	ret = disklog_parse(&log, text, len, &err);
	if (ret < 0) {
		fprintf(stderr, "sf-diskverify: log %s: %s\n", log_path,
		        err.msg);
		goto out;
	}
	if (log.nacks == 0) {
		fprintf(
		    stderr, "sf-diskverify: log %s: no SF-DISK-ACK lines%s\n",
		    log_path, log.runs ? " after the last SF-DISK-START" : "");
		goto out;
	}
	fd = open(image_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || (ret = sf_disk_size(fd, &image_bytes)) < 0) {
		fprintf(stderr, "sf-diskverify: image %s: %s\n", image_path,
		        fd < 0 ? strerror(errno)
		               : (ret == -EINVAL ? "not a file or block device"
		                                 : strerror(-ret)));
		goto out;
	}
	if (diskverify_is_qcow2(fd)) {
		fprintf(stderr,
		        "sf-diskverify: image %s is qcow2; convert it first: "
		        "qemu-img convert -O raw IN OUT\n",
		        image_path);
		goto out;
	}
	ret = diskverify_area(fd, image_bytes, offset, part, &area_offset,
	                      &area_bytes, &err);
	if (ret < 0) {
		fprintf(stderr, "sf-diskverify: image %s: %s\n", image_path,
		        err.msg);
		goto out;
	}
	if (area_offset != 0)
		printf("diskverify: data area at byte %" PRIu64 ", %" PRIu64
		       " bytes\n",
		       area_offset, area_bytes);
	printf("diskverify: log runs=%u run=%s%016" PRIx64
	       " acks=%zu earlier_acks=%" PRIu64 " malformed=%" PRIu64 "\n",
	       log.runs, log.have_start ? "" : "unknown:", log.run, log.nacks,
	       log.earlier_acks, log.malformed);
	ret = diskcheck_run(&log, fd, area_offset, area_bytes, &res,
	                    diskverify_report, &reports, &err);
	if (ret < 0) {
		fprintf(stderr, "sf-diskverify: %s: %s\n", log_path, err.msg);
		goto out;
	}
	if (reports.dropped > 0)
		printf("diskverify: %u more bad records not shown\n",
		       reports.dropped);
	printf("diskverify: nslots=%" PRIu64 " last_ack=%" PRIu64
	       " overwritten=%" PRIu64 " in_flight=%" PRIu64 "\n",
	       res.nslots, res.last_ack, res.overwritten, res.in_flight);
	printf("diskverify: acked=%" PRIu64 " checked=%" PRIu64 " ok=%" PRIu64
	       " missing=%" PRIu64 " corrupt=%" PRIu64 "\n",
	       res.acked, res.checked, res.ok, res.missing, res.corrupt);
	status = res.checked == res.ok ? 0 : 1;
out:
	if (fd >= 0)
		close(fd);
	free(text);
	disklog_fini(&log);
	return status;
}
