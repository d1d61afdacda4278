/* The data area for sf.disk=auto: see sf_disk.h. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sf_disk.h"
#include "sf_mbr.h"

#define SF_DISK_POLL_NS 50000000ULL

const char *const sf_disk_candidates[] = { "/dev/vda", "/dev/sda", "/dev/xvda",
	                                   "/dev/hda", NULL };

static uint64_t sf_disk_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* The first candidate that exists now, or NULL. */
static const char *sf_disk_first(const char *const *candidates)
{
	struct stat st;

	for (; *candidates != NULL; candidates++)
		if (stat(*candidates, &st) == 0)
			return *candidates;
	return NULL;
}

int sf_disk_part_path(const char *disk, unsigned index, char *path, size_t size)
{
	size_t len = strlen(disk);
	bool digit = len > 0 && disk[len - 1] >= '0' && disk[len - 1] <= '9';
	int n = snprintf(path, size, "%s%s%u", disk, digit ? "p" : "", index);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int sf_disk_size(int fd, uint64_t *bytes)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISBLK(st.st_mode))
		return ioctl(fd, BLKGETSIZE64, bytes) < 0 ? -errno : 0;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	*bytes = (uint64_t)st.st_size;
	return 0;
}

/* Read the first sector and the size of the disk at path. */
static int sf_disk_read_head(const char *path, uint8_t *sector, uint64_t *bytes)
{
	ssize_t n;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = sf_disk_size(fd, bytes);
	if (ret < 0)
		goto out;
	memset(sector, 0, SF_MBR_SIZE);
	n = pread(fd, sector, SF_MBR_SIZE, 0);
	if (n < 0)
		ret = -errno;
out:
	close(fd);
	return ret;
}

int sf_disk_find(const char *const *candidates, uint64_t timeout_ns, char *path,
                 size_t size, struct sf_err *err)
{
	uint64_t deadline = sf_disk_now_ns() + timeout_ns, bytes = 0;
	uint8_t sector[SF_MBR_SIZE];
	struct sf_mbr_part part;
	struct sf_err mbr_err = { "" };
	const char *disk;
	int ret;

	while ((disk = sf_disk_first(candidates)) == NULL) {
		struct timespec ts = { 0, (long)SF_DISK_POLL_NS };

		if (sf_disk_now_ns() >= deadline) {
			sf_err_set(err, "no disk appeared (%s and others)",
			           candidates[0] ? candidates[0] : "none");
			return -ENOENT;
		}
		nanosleep(&ts, NULL);
	}
	ret = sf_disk_read_head(disk, sector, &bytes);
	if (ret < 0) {
		sf_err_set(err, "%s: %s", disk, strerror(-ret));
		return ret;
	}
	ret = sf_mbr_part_find(sector, sizeof(sector), SF_MBR_DATA_PART, bytes,
	                       &part, &mbr_err);
	if (ret == -ENODATA) {
		/* No partition table: a plain data disk, used whole. */
		if (snprintf(path, size, "%s", disk) >= (int)size) {
			sf_err_set(err, "%s: path too long", disk);
			return -ENAMETOOLONG;
		}
		return 0;
	}
	if (ret < 0) {
		sf_err_set(err, "%s: %s", disk, mbr_err.msg);
		return -EBADMSG;
	}
	ret = sf_disk_part_path(disk, SF_MBR_DATA_PART, path, size);
	if (ret < 0)
		sf_err_set(err, "%s: partition path too long", disk);
	return ret;
}
