/*
 * sf-cbt: drive changed-block tracking (hypervisor/backup.h) in the lab and
 * print what an NBD export says changed.
 *
 *   sf-cbt backup [--connect URI] --domain NAME --disk TARGET...
 *                 --checkpoint NEW [--since OLD] [--hold SECONDS]
 *       Begin a pull backup (full, or incremental since OLD) that creates
 *       checkpoint NEW, read each disk's extents, end the backup. With
 *       --hold, print "held" and keep the backup open that long first.
 *       Prints
 *         disk TARGET uri URI
 *         size BYTES context CONTEXT
 *         extent OFFSET LENGTH        (data for a full backup, dirty blocks
 *                                      for an incremental one)
 *         total BYTES
 *   sf-cbt extents --context CONTEXT -- SERVER ARGS...
 *       Start SERVER (e.g. qemu-nbd -r --bitmap=CHK -f qcow2 IMAGE) with
 *       systemd socket activation, print the extents of CONTEXT the same
 *       way (qemu:dirty-bitmap:*: dirty; base:allocation: data).
 *   sf-cbt delete [--connect URI] --domain NAME --prefix PREFIX
 *       Delete the domain's checkpoints named PREFIX*.
 *
 * Exit status 0, 1 on failure (with one line on stderr), 2 on bad usage.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libnbd.h>
#include <libvirt/libvirt.h>

#include "hypervisor/backup.h"
#include "hypervisor/virt.h"

#define CBT_MAX_DISKS 8
#define CBT_CHUNK     (1ull << 30) /* bytes asked per NBD_CMD_BLOCK_STATUS */

struct cbt_opts {
	const char *connect, *domain, *checkpoint, *since, *prefix, *context;
	const char *disks[CBT_MAX_DISKS];
	size_t n_disks;
	unsigned int hold_seconds;
};

/* Extents being merged and printed. */
struct cbt_walk {
	const char *context;
	uint32_t want_mask, want_value; /* an extent counts when
	                                   (flags & mask) == value */
	uint64_t next;                  /* offset after what was reported */
	uint64_t run_start, run_len;    /* the counted run not yet printed */
	uint64_t total;
};

static void usage(void)
{
	fprintf(stderr,
	        "usage: sf-cbt backup [--connect URI] --domain NAME "
	        "--disk TARGET... --checkpoint NEW [--since OLD]\n"
	        "                     [--hold SECONDS]\n"
	        "       sf-cbt extents --context CONTEXT -- SERVER ARGS...\n"
	        "       sf-cbt delete [--connect URI] --domain NAME "
	        "--prefix PREFIX\n");
	exit(2);
}

static void cbt_run_flush(struct cbt_walk *w)
{
	if (w->run_len)
		printf("extent %" PRIu64 " %" PRIu64 "\n", w->run_start,
		       w->run_len);
	w->total += w->run_len;
	w->run_len = 0;
}

static int cbt_extent_cb(void *arg, const char *context, uint64_t offset,
                         uint32_t *entries, size_t n, int *error)
{
	struct cbt_walk *w = arg;
	size_t i;

	(void)error;
	if (strcmp(context, w->context))
		return 0;
	for (i = 0; i + 1 < n; i += 2) {
		uint64_t len = entries[i];

		if ((entries[i + 1] & w->want_mask) == w->want_value) {
			if (w->run_len && w->run_start + w->run_len == offset)
				w->run_len += len;
			else {
				cbt_run_flush(w);
				w->run_start = offset;
				w->run_len = len;
			}
		}
		offset += len;
	}
	w->next = offset;
	return 0;
}

/* Print the counted extents of the connected export's context. */
static int cbt_extents(struct nbd_handle *h, const char *context)
{
	struct cbt_walk w = { .context = context };
	int64_t size = nbd_get_size(h);
	int can = nbd_can_meta_context(h, context);

	if (size < 0 || can < 0) {
		fprintf(stderr, "sf-cbt: %s\n", nbd_get_error());
		return -1;
	}
	if (can == 0) {
		fprintf(stderr, "sf-cbt: the export has no context %s\n",
		        context);
		return -1;
	}
	/* Bit 0 is "hole" in base:allocation and "dirty" in a bitmap. */
	w.want_mask = 1;
	w.want_value = strcmp(context, LIBNBD_CONTEXT_BASE_ALLOCATION) ? 1 : 0;
	printf("size %" PRId64 " context %s\n", size, context);
	while (w.next < (uint64_t)size) {
		uint64_t count = (uint64_t)size - w.next, before = w.next;

		if (count > CBT_CHUNK)
			count = CBT_CHUNK;
		if (nbd_block_status(
		        h, count, w.next,
		        (nbd_extent_callback){ .callback = cbt_extent_cb,
		                               .user_data = &w },
		        0) < 0) {
			fprintf(stderr,
			        "sf-cbt: block status at %" PRIu64 ": %s\n",
			        w.next, nbd_get_error());
			return -1;
		}
		if (w.next <= before) {
			fprintf(stderr, "sf-cbt: no progress at %" PRIu64 "\n",
			        before);
			return -1;
		}
	}
	cbt_run_flush(&w);
	printf("total %" PRIu64 "\n", w.total);
	return 0;
}

static struct nbd_handle *cbt_nbd_new(const char *context)
{
	struct nbd_handle *h = nbd_create();

	if (!h || nbd_add_meta_context(h, context) < 0) {
		fprintf(stderr, "sf-cbt: %s\n", nbd_get_error());
		nbd_close(h);
		return NULL;
	}
	return h;
}

static int cbt_read_disk(const struct hv_backup *b, const char *target)
{
	char uri[512], ctx_buf[128];
	const char *context;
	struct hv_error err = { 0, "" };
	struct nbd_handle *h;
	int rc = -1;

	context = hv_backup_bitmap_context(b, target, ctx_buf, sizeof(ctx_buf));
	if (!context)
		context = LIBNBD_CONTEXT_BASE_ALLOCATION;
	if (hv_backup_uri(b, target, uri, sizeof(uri), &err) < 0) {
		fprintf(stderr, "sf-cbt: %s\n", err.msg);
		return -1;
	}
	h = cbt_nbd_new(context);
	if (!h)
		return -1;
	printf("disk %s uri %s\n", target, uri);
	if (nbd_connect_uri(h, uri) < 0)
		fprintf(stderr, "sf-cbt: %s: %s\n", uri, nbd_get_error());
	else
		rc = cbt_extents(h, context);
	nbd_close(h);
	return rc;
}

static virDomainPtr cbt_domain(const struct cbt_opts *o, virConnectPtr *conn)
{
	struct hv_error err = { 0, "" };
	virDomainPtr dom;

	hv_virt_init();
	*conn = hv_virt_open(o->connect, &err);
	if (!*conn) {
		fprintf(stderr, "sf-cbt: %s\n", err.msg);
		return NULL;
	}
	dom = virDomainLookupByName(*conn, o->domain);
	if (!dom) {
		hv_virt_error(&err, -ENOENT, o->domain);
		fprintf(stderr, "sf-cbt: %s\n", err.msg);
	}
	return dom;
}

static int cbt_backup(const struct cbt_opts *o)
{
	struct hv_error err = { 0, "" };
	struct hv_backup *b = NULL;
	virConnectPtr conn = NULL;
	virDomainPtr dom;
	size_t i;
	int rc = 1;

	if (!o->domain || !o->n_disks || !o->checkpoint)
		usage();
	dom = cbt_domain(o, &conn);
	if (!dom)
		goto out;
	if (hv_backup_begin(dom, o->disks, o->n_disks, o->since, o->checkpoint,
	                    &b, &err) < 0) {
		fprintf(stderr, "sf-cbt: %s\n", err.msg);
		goto out;
	}
	rc = 0;
	if (o->hold_seconds) {
		printf("held\n");
		sleep(o->hold_seconds);
	}
	for (i = 0; i < o->n_disks; i++)
		if (cbt_read_disk(b, o->disks[i]) < 0)
			rc = 1;
	if (hv_backup_end(b, &err) < 0) {
		fprintf(stderr, "sf-cbt: %s\n", err.msg);
		rc = 1;
	}
out:
	if (dom)
		virDomainFree(dom);
	if (conn)
		virConnectClose(conn);
	return rc;
}

static int cbt_offline(const struct cbt_opts *o, char **server)
{
	struct nbd_handle *h;
	int rc = 1;

	if (!o->context || !server[0])
		usage();
	h = cbt_nbd_new(o->context);
	if (!h)
		return 1;
	if (nbd_connect_systemd_socket_activation(h, server) < 0)
		fprintf(stderr, "sf-cbt: %s: %s\n", server[0], nbd_get_error());
	else if (cbt_extents(h, o->context) == 0)
		rc = 0;
	nbd_close(h);
	return rc;
}

static int cbt_delete(const struct cbt_opts *o)
{
	struct hv_error err = { 0, "" };
	virConnectPtr conn = NULL;
	virDomainPtr dom;
	int rc = 1;

	if (!o->domain || !o->prefix)
		usage();
	dom = cbt_domain(o, &conn);
	if (dom && hv_checkpoint_delete_prefix(dom, o->prefix, &err) < 0)
		fprintf(stderr, "sf-cbt: %s\n", err.msg);
	else if (dom)
		rc = 0;
	if (dom)
		virDomainFree(dom);
	if (conn)
		virConnectClose(conn);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option long_opts[] = {
		{ "connect", required_argument, NULL, 'c' },
		{ "domain", required_argument, NULL, 'd' },
		{ "disk", required_argument, NULL, 'k' },
		{ "checkpoint", required_argument, NULL, 'n' },
		{ "since", required_argument, NULL, 's' },
		{ "prefix", required_argument, NULL, 'p' },
		{ "context", required_argument, NULL, 'x' },
		{ "hold", required_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cbt_opts o = { .connect = "qemu:///system" };
	const char *cmd;
	int opt;

	if (argc < 2)
		usage();
	cmd = argv[1];
	optind = 2;
	while ((opt = getopt_long(argc, argv, "+", long_opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			o.connect = optarg;
			break;
		case 'd':
			o.domain = optarg;
			break;
		case 'k':
			if (o.n_disks == CBT_MAX_DISKS)
				usage();
			o.disks[o.n_disks++] = optarg;
			break;
		case 'n':
			o.checkpoint = optarg;
			break;
		case 's':
			o.since = optarg;
			break;
		case 'p':
			o.prefix = optarg;
			break;
		case 'x':
			o.context = optarg;
			break;
		case 'h':
			o.hold_seconds =
			    (unsigned int)strtoul(optarg, NULL, 10);
			break;
		default:
			usage();
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(cmd, "backup") && optind == argc)
		return cbt_backup(&o);
	if (!strcmp(cmd, "extents") && optind < argc)
		return cbt_offline(&o, argv + optind);
	if (!strcmp(cmd, "delete") && optind == argc)
		return cbt_delete(&o);
	usage();
}
