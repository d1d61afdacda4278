/*
 * sf-statebound FILE...: the non-zero 4 KiB pages of the files (a guest's
 * memory dump, its disks as raw images), compressed with zstd level 3 in
 * 1 MiB chunks. Prints total_bytes=, nonzero_bytes= and compressed_bytes=.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "statebound.h"

#define READ_SIZE (1u << 20)

static int feed_file(struct statebound *sb, const char *path, uint8_t *buf)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "sf-statebound: %s: %s\n", path,
		        strerror(errno));
		return -1;
	}
	while ((n = read(fd, buf, READ_SIZE)) > 0)
		if (statebound_feed(sb, buf, (size_t)n) < 0) {
			fprintf(stderr, "sf-statebound: zstd failed\n");
			close(fd);
			return -1;
		}
	close(fd);
	if (n < 0) {
		fprintf(stderr, "sf-statebound: %s: %s\n", path,
		        strerror(errno));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct statebound sb;
	uint8_t *buf;
	int i, rc = 0;

	if (argc < 2 || !strcmp(argv[1], "--help")) {
		fprintf(stderr, "usage: sf-statebound FILE...\n");
		return 2;
	}
	buf = malloc(READ_SIZE);
	if (!buf || statebound_init(&sb) < 0) {
		fprintf(stderr, "sf-statebound: out of memory\n");
		return 1;
	}
	for (i = 1; i < argc && rc == 0; i++) {
		/* each file starts on a page boundary of its own */
		if (statebound_finish(&sb) < 0 ||
		    feed_file(&sb, argv[i], buf) < 0)
			rc = 1;
	}
	if (rc == 0 && statebound_finish(&sb) < 0)
		rc = 1;
	if (rc == 0)
		printf("total_bytes=%" PRIu64 "\nnonzero_bytes=%" PRIu64
		       "\ncompressed_bytes=%" PRIu64 "\n",
		       sb.total_bytes, sb.nonzero_bytes, sb.compressed_bytes);
	statebound_free(&sb);
	free(buf);
	return rc;
}
