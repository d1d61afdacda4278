/* Tests for the MBR reader (sf_mbr.h) and the data area finder (sf_disk.h). */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/guest/sf_disk.h"
#include "tests/guest/sf_mbr.h"

#define DISK_BYTES (256ULL << 20)

/*
 * Sector 0 of a 256 MiB disk from scripts/mkbootdisk, from byte 440 (boot
 * code before it left out): what sfdisk wrote, as in the image.
 */
static const uint8_t golden_table[72] = {
	0x4b, 0x42, 0x46, 0x53, /* disk id 0x5346424b */
	0x00, 0x00,             /* reserved */
	/* 1: bootable, CHS 0/32/33, type 0x0e, CHS, LBA 2048, 98304 sectors */
	0x80, 0x20, 0x21, 0x00, 0x0e, 0x3e, 0x38, 0x06, 0x00, 0x08, 0x00, 0x00,
	0x00, 0x80, 0x01, 0x00,
	/* 2: type 0xda, LBA 100352, 423936 sectors (to the end) */
	0x00, 0x3e, 0x39, 0x06, 0xda, 0xa2, 0x02, 0x20, 0x00, 0x88, 0x01, 0x00,
	0x00, 0x78, 0x06, 0x00,
	/* 3 and 4: unused */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 3 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 4 */
	0x55, 0xaa,                                     /* signature */
};

static void boot_sector(uint8_t *sector)
{
	memset(sector, 0xfa, 440); /* stands for mbr.bin's code */
	memcpy(sector + 440, golden_table, sizeof(golden_table));
}

Test(mbr, golden_boot_disk)
{
	uint8_t sector[SF_MBR_SIZE];
	struct sf_mbr_part part;

	boot_sector(sector);
	cr_assert_eq(sf_mbr_part_find(sector, sizeof(sector), 1, DISK_BYTES,
	                              &part, NULL),
	             0);
	cr_assert_eq(part.offset, 1ULL << 20);
	cr_assert_eq(part.length, 48ULL << 20);
	cr_assert_eq(part.type, 0x0e);
	cr_assert_eq(sf_mbr_part_find(sector, sizeof(sector), 2, DISK_BYTES,
	                              &part, NULL),
	             0);
	cr_assert_eq(part.offset, 49ULL << 20);
	cr_assert_eq(part.length, DISK_BYTES - (49ULL << 20));
	cr_assert_eq(part.type, 0xda);
	/* Size unknown: not checked. */
	cr_assert_eq(
	    sf_mbr_part_find(sector, sizeof(sector), 2, 0, &part, NULL), 0);
}

Test(mbr, no_table_is_a_whole_disk)
{
	uint8_t sector[SF_MBR_SIZE];
	struct sf_mbr_part part;
	struct sf_err err = { "" };

	memset(sector, 0, sizeof(sector));
	cr_assert_eq(sf_mbr_part_find(sector, sizeof(sector), 2, DISK_BYTES,
	                              &part, &err),
	             -ENODATA);
	cr_assert(strstr(err.msg, "signature") != NULL, "%s", err.msg);
	/* A boot sector with code where the table would be. */
	boot_sector(sector);
	sector[SF_MBR_OFF_PARTS + 16] = 0xeb;
	cr_assert_eq(sf_mbr_part_find(sector, sizeof(sector), 2, DISK_BYTES,
	                              &part, &err),
	             -ENODATA);
	cr_assert(strstr(err.msg, "status") != NULL, "%s", err.msg);
	/* Truncated. */
	boot_sector(sector);
	cr_assert_eq(sf_mbr_part_find(sector, SF_MBR_SIZE - 1, 2, DISK_BYTES,
	                              &part, NULL),
	             -ENODATA);
}

Test(mbr, bad_entries)
{
	uint8_t sector[SF_MBR_SIZE];
	struct sf_mbr_part part;
	struct sf_err err = { "" };

	boot_sector(sector);
	cr_assert_eq(sf_mbr_part_find(sector, sizeof(sector), 3, DISK_BYTES,
	                              &part, &err),
	             -ENOENT);
	cr_assert_eq(sf_mbr_part_find(sector, sizeof(sector), 0, DISK_BYTES,
	                              &part, NULL),
	             -EINVAL);
	cr_assert_eq(sf_mbr_part_find(sector, sizeof(sector), 5, DISK_BYTES,
	                              &part, NULL),
	             -EINVAL);
	/* The disk is one sector smaller than the table says. */
	cr_assert_eq(sf_mbr_part_find(sector, sizeof(sector), 2,
	                              DISK_BYTES - 512, &part, &err),
	             -EBADMSG);
	cr_assert(strstr(err.msg, "not within") != NULL, "%s", err.msg);
	/* Largest LBA and count: no overflow, still beyond the disk. */
	memset(sector + SF_MBR_OFF_PARTS + 16 + 8, 0xff, 8);
	cr_assert_eq(sf_mbr_part_find(sector, sizeof(sector), 2, DISK_BYTES,
	                              &part, NULL),
	             -EBADMSG);
	/* Starting at sector 0, over the table itself. */
	boot_sector(sector);
	memset(sector + SF_MBR_OFF_PARTS + 16 + 8, 0, 4);
	cr_assert_eq(sf_mbr_part_find(sector, sizeof(sector), 2, DISK_BYTES,
	                              &part, NULL),
	             -EBADMSG);
}

Test(disk, part_path)
{
	char path[SF_DISK_PATH_MAX];

	cr_assert_eq(sf_disk_part_path("/dev/vda", 2, path, sizeof(path)), 0);
	cr_assert_str_eq(path, "/dev/vda2");
	cr_assert_eq(sf_disk_part_path("/dev/xvda", 2, path, sizeof(path)), 0);
	cr_assert_str_eq(path, "/dev/xvda2");
	cr_assert_eq(sf_disk_part_path("/dev/nvme0n1", 2, path, sizeof(path)),
	             0);
	cr_assert_str_eq(path, "/dev/nvme0n1p2");
	cr_assert_eq(sf_disk_part_path("/dev/vda", 2, path, 9), -ENAMETOOLONG);
}

/* A disk file named name in dir, of DISK_BYTES, sparse; with sector 0. */
static void disk_file(const char *dir, const char *name, const uint8_t *sector)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(ftruncate(fd, (off_t)DISK_BYTES), 0);
	if (sector != NULL)
		cr_assert_eq(pwrite(fd, sector, SF_MBR_SIZE, 0), SF_MBR_SIZE);
	close(fd);
}

struct disk_dir {
	char dir[32];
	char vda[64], sda[64];
	const char *candidates[3];
};

static void disk_dir_init(struct disk_dir *d)
{
	strcpy(d->dir, "/tmp/sf-test-disk.XXXXXX");
	cr_assert_not_null(mkdtemp(d->dir));
	snprintf(d->vda, sizeof(d->vda), "%s/vda", d->dir);
	snprintf(d->sda, sizeof(d->sda), "%s/sda", d->dir);
	d->candidates[0] = d->vda;
	d->candidates[1] = d->sda;
	d->candidates[2] = NULL;
}

static void disk_dir_fini(struct disk_dir *d)
{
	unlink(d->vda);
	unlink(d->sda);
	rmdir(d->dir);
}

Test(disk, boot_disk_on_any_bus)
{
	uint8_t sector[SF_MBR_SIZE];
	char path[SF_DISK_PATH_MAX], want[80];
	struct disk_dir d;

	disk_dir_init(&d);
	boot_sector(sector);
	/* Only the second candidate exists (a SCSI disk): its partition 2. */
	disk_file(d.dir, "sda", sector);
	cr_assert_eq(sf_disk_find(d.candidates, 0, path, sizeof(path), NULL),
	             0);
	snprintf(want, sizeof(want), "%s2", d.sda);
	cr_assert_str_eq(path, want);
	/* A plain data disk comes first: used whole, as before. */
	disk_file(d.dir, "vda", NULL);
	cr_assert_eq(sf_disk_find(d.candidates, 0, path, sizeof(path), NULL),
	             0);
	cr_assert_str_eq(path, d.vda);
	disk_dir_fini(&d);
}

Test(disk, no_disk_and_bad_tables)
{
	uint8_t sector[SF_MBR_SIZE];
	char path[SF_DISK_PATH_MAX];
	struct sf_err err = { "" };
	struct disk_dir d;

	disk_dir_init(&d);
	cr_assert_eq(
	    sf_disk_find(d.candidates, 100000000, path, sizeof(path), &err),
	    -ENOENT);
	cr_assert(strstr(err.msg, "no disk") != NULL, "%s", err.msg);
	/* An MBR without partition 2 is not ours to overwrite. */
	boot_sector(sector);
	memset(sector + SF_MBR_OFF_PARTS + 16, 0, 16);
	disk_file(d.dir, "vda", sector);
	cr_assert_eq(sf_disk_find(d.candidates, 0, path, sizeof(path), &err),
	             -EBADMSG);
	cr_assert(strstr(err.msg, "no partition 2") != NULL, "%s", err.msg);
	disk_dir_fini(&d);
}
