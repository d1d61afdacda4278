/* MBR partition table reader: see sf_mbr.h. */
#include <errno.h>
#include <inttypes.h>

#include "sf_mbr.h"

#define SF_MBR_ENTRY_SIZE      16
#define SF_MBR_ENTRY_OFF_TYPE  4
#define SF_MBR_ENTRY_OFF_LBA   8
#define SF_MBR_ENTRY_OFF_COUNT 12

static uint32_t sf_mbr_get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

int sf_mbr_part_find(const uint8_t *sector, size_t len, unsigned index,
                     uint64_t disk_bytes, struct sf_mbr_part *part,
                     struct sf_err *err)
{
	const uint8_t *entry;
	uint64_t first, count;
	unsigned i;

	if (index < 1 || index > SF_MBR_PARTS) {
		sf_err_set(err, "partition %u: an MBR has partitions 1-%d",
		           index, SF_MBR_PARTS);
		return -EINVAL;
	}
	if (len < SF_MBR_SIZE || sector[SF_MBR_OFF_SIG] != 0x55 ||
	    sector[SF_MBR_OFF_SIG + 1] != 0xaa) {
		sf_err_set(err, "no MBR: no boot signature");
		return -ENODATA;
	}
	/* A FAT or other boot sector has the signature too, but code here. */
	for (i = 0; i < SF_MBR_PARTS; i++) {
		uint8_t status =
		    sector[SF_MBR_OFF_PARTS + i * SF_MBR_ENTRY_SIZE];

		if (status != 0x00 && status != 0x80) {
			sf_err_set(err, "no MBR: entry %u has status 0x%02x",
			           i + 1, status);
			return -ENODATA;
		}
	}
	entry = sector + SF_MBR_OFF_PARTS + (index - 1) * SF_MBR_ENTRY_SIZE;
	first = sf_mbr_get_le32(entry + SF_MBR_ENTRY_OFF_LBA);
	count = sf_mbr_get_le32(entry + SF_MBR_ENTRY_OFF_COUNT);
	if (entry[SF_MBR_ENTRY_OFF_TYPE] == 0 || count == 0) {
		sf_err_set(err, "the MBR has no partition %u", index);
		return -ENOENT;
	}
	if (first == 0 ||
	    (disk_bytes != 0 && (first + count) * SF_MBR_SECTOR > disk_bytes)) {
		sf_err_set(err,
		           "partition %u (sectors %" PRIu64 "+%" PRIu64
		           ") is not within the disk of %" PRIu64 " bytes",
		           index, first, count, disk_bytes);
		return -EBADMSG;
	}
	part->offset = first * SF_MBR_SECTOR;
	part->length = count * SF_MBR_SECTOR;
	part->type = entry[SF_MBR_ENTRY_OFF_TYPE];
	return 0;
}
