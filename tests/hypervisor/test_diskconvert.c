/*
 * test_diskconvert.c: images converted through qemu-nbd and libnbd, any
 * format to any format, checked with qemu-img compare; a sparse disk
 * streamed over a socketpair; a delta from a dirty bitmap; exports.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hypervisor/diskstream.h"
#include "hypervisor/image.h"
#include "hypervisor/nbdexport.h"

extern char **environ;

#define MIB (1u << 20)

/* The base image's data: 3 MiB, 64 KiB, and 100 KiB not block aligned. */
#define BASE_SIZE       (64u * MIB)
#define BASE_DATA_BYTES (3u * MIB + 65536 + 131072)

struct fmt {
	const char *tag; /* file suffix */
	enum hv_img_format format;
	const char *subformat;
};

static const struct fmt fmts[] = {
	{ "raw", HV_IMG_RAW, "" },
	{ "qcow2", HV_IMG_QCOW2, "" },
	{ "sparse.vmdk", HV_IMG_VMDK, "monolithicSparse" },
	{ "stream.vmdk", HV_IMG_VMDK, "streamOptimized" },
	{ "flat.vmdk", HV_IMG_VMDK, "monolithicFlat" },
	{ "vhd", HV_IMG_VPC, "" },
	{ "vhdx", HV_IMG_VHDX, "" },
};

#define NFMTS (sizeof(fmts) / sizeof(fmts[0]))

static char dir[] = "/tmp/sf-dconv-XXXXXX";
static bool dir_made;

/* Run argv quietly; its exit status, or -1. */
static int run(const char *const argv[])
{
	posix_spawn_file_actions_t fa;
	int status;
	pid_t pid;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	if (posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv,
	                 environ) != 0)
		return -1;
	posix_spawn_file_actions_destroy(&fa);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static void path_of(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

/* Remove every file in dir, then dir. */
static void cleanup(void)
{
	const char *const argv[] = { "rm", "-rf", dir, NULL };

	if (dir_made)
		run(argv);
}

static void setup(void)
{
	cr_assert(mkdtemp(dir));
	dir_made = true;
}

/* 64 MiB qcow2 with data, an explicit zero region, and holes. */
static void make_base(const char *path)
{
	const char *const create[] = { "qemu-img", "create", "-q",  "-f",
		                       "qcow2",    path,     "64M", NULL };
	const char *const io[] = { "qemu-io",
		                   "-f",
		                   "qcow2",
		                   "-c",
		                   "write -P 0x5a 1M 3M",
		                   "-c",
		                   "write -P 0xa5 40M 64k",
		                   "-c",
		                   "write -z 8M 2M",
		                   "-c",
		                   "write -P 0x33 20975616 102400",
		                   path,
		                   NULL };

	cr_assert_eq(run(create), 0);
	cr_assert_eq(run(io), 0);
}

/* Setup conversion with qemu-img itself, so sources do not depend on us. */
static void make_source(const char *base, const struct fmt *f, char *out,
                        size_t len)
{
	char name[64], opts[64];
	const char *argv[] = { "qemu-img",
		               "convert",
		               "-q",
		               "-f",
		               "qcow2",
		               "-O",
		               hv_img_format_name(f->format),
		               "-o",
		               opts,
		               base,
		               out,
		               NULL };

	snprintf(name, sizeof(name), "src.%s", f->tag);
	path_of(out, len, name);
	if (f->format == HV_IMG_VPC)
		snprintf(opts, sizeof(opts), "force_size=on");
	else if (f->subformat[0])
		snprintf(opts, sizeof(opts), "subformat=%s", f->subformat);
	else /* drop "-o" */
		memmove(&argv[7], &argv[9], 3 * sizeof(argv[0]));
	cr_assert_eq(run(argv), 0, "qemu-img convert to %s", f->tag);
}

static int compare(const char *a, enum hv_img_format fa, const char *b,
                   enum hv_img_format fb)
{
	const char *const argv[] = { "qemu-img",
		                     "compare",
		                     "-q",
		                     "-f",
		                     hv_img_format_name(fa),
		                     "-F",
		                     hv_img_format_name(fb),
		                     a,
		                     b,
		                     NULL };

	return run(argv);
}

/* Convert the base, as source format si, into every format. */
static void convert_from(size_t si)
{
	char base[128], src[128], dst[128], name[64];
	struct hv_dstream_stats st;
	struct hv_error err = { 0 };
	size_t di;

	path_of(base, sizeof(base), "base.qcow2");
	make_base(base);
	make_source(base, &fmts[si], src, sizeof(src));
	for (di = 0; di < NFMTS; di++) {
		snprintf(name, sizeof(name), "dst-%zu.%s", di, fmts[di].tag);
		path_of(dst, sizeof(dst), name);
		cr_assert_eq(
		    hv_disk_convert(src, fmts[si].format, dst, fmts[di].format,
		                    fmts[di].subformat, &st, &err),
		    0, "%s -> %s: %s", fmts[si].tag, fmts[di].tag, err.msg);
		cr_assert_eq(
		    compare(src, fmts[si].format, dst, fmts[di].format), 0,
		    "%s -> %s: contents differ", fmts[si].tag, fmts[di].tag);
		cr_assert_eq(st.virtual_size, BASE_SIZE);
		cr_assert_eq(st.data_bytes, BASE_DATA_BYTES, "%s -> %s: %llu",
		             fmts[si].tag, fmts[di].tag,
		             (unsigned long long)st.data_bytes);
		cr_assert_eq(st.zero_bytes, 0);
		cr_assert_eq(st.skipped_bytes, BASE_SIZE - BASE_DATA_BYTES);
	}
}

TestSuite(diskconvert, .init = setup, .fini = cleanup, .timeout = 120);

Test(diskconvert, from_raw)
{
	convert_from(0);
}

Test(diskconvert, from_qcow2)
{
	convert_from(1);
}

Test(diskconvert, from_vmdk_monolithic_sparse)
{
	convert_from(2);
}

Test(diskconvert, from_vmdk_stream_optimized)
{
	convert_from(3);
}

Test(diskconvert, from_vmdk_monolithic_flat)
{
	convert_from(4);
}

Test(diskconvert, from_vpc)
{
	convert_from(5);
}

Test(diskconvert, from_vhdx)
{
	convert_from(6);
}

/*
 * qemu rounds every size up to 512-byte sectors, raw files too, so the
 * only sizes a target cannot hold are the CHS-rounded ones of vpc; a vpc
 * target is made with force_size and keeps the size exactly.
 */
Test(diskconvert, odd_size_to_vpc_keeps_size)
{
	char src[128], dst[128];
	struct hv_error err = { 0 };
	enum hv_img_format f = HV_IMG_VPC;
	uint64_t size = 0;
	int fd;

	path_of(src, sizeof(src), "odd.raw");
	path_of(dst, sizeof(dst), "odd.vhd");
	fd = open(src, O_CREAT | O_WRONLY | O_EXCL, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(ftruncate(fd, 1000000), 0);
	cr_assert_eq(pwrite(fd, "x", 1, 999999), 1);
	close(fd);
	cr_assert_eq(
	    hv_disk_convert(src, HV_IMG_RAW, dst, HV_IMG_VPC, "", NULL, &err),
	    0, "%s", err.msg);
	cr_assert_eq(hv_image_info(dst, &f, &size, NULL, &err), 0);
	cr_assert_eq(size, 1000448, "not the CHS size 1009664");
	cr_assert_eq(compare(src, HV_IMG_RAW, dst, HV_IMG_VPC), 0);
	/* A short last grain is the one partial write streamOptimized takes. */
	path_of(dst, sizeof(dst), "odd.stream.vmdk");
	cr_assert_eq(hv_disk_convert(src, HV_IMG_RAW, dst, HV_IMG_VMDK,
	                             "streamOptimized", NULL, &err),
	             0, "%s", err.msg);
	cr_assert_eq(compare(src, HV_IMG_RAW, dst, HV_IMG_VMDK), 0);
}

Test(diskconvert, refuses_existing_bad_subformat_and_cleans_up)
{
	char base[128], src[128], dst[128], flat[128];
	const char *const mkbase[] = { "qemu-img", "create", "-q", "-f",
		                       "qcow2",    base,     "1M", NULL };
	const char *const mkover[] = { "qemu-img", "create", "-q", "-f",
		                       "qcow2",    "-b",     base, "-F",
		                       "qcow2",    src,      NULL };
	struct hv_error err = { 0 };
	struct stat sb;

	path_of(base, sizeof(base), "gone.qcow2");
	path_of(src, sizeof(src), "overlay.qcow2");
	path_of(dst, sizeof(dst), "out.vmdk");
	path_of(flat, sizeof(flat), "out-flat.vmdk");
	/* An overlay whose backing file is gone: qemu-nbd cannot open it. */
	cr_assert_eq(run(mkbase), 0);
	cr_assert_eq(run(mkover), 0);
	cr_assert_eq(unlink(base), 0);
	cr_assert_eq(hv_disk_convert(src, HV_IMG_QCOW2, dst, HV_IMG_VMDK,
	                             "monolithicFlat", NULL, &err),
	             -EIO, "%s", err.msg);
	cr_assert(strstr(err.msg, "qemu-nbd did not start"), "%s", err.msg);
	cr_assert(strstr(err.msg, "gone.qcow2"), "%s", err.msg);
	cr_assert_neq(stat(dst, &sb), 0, "dst removed on failure");
	cr_assert_neq(stat(flat, &sb), 0, "flat extent removed too");

	cr_assert_eq(hv_disk_convert(src, HV_IMG_QCOW2, src, HV_IMG_QCOW2, "",
	                             NULL, &err),
	             -EEXIST);
	cr_assert_eq(hv_disk_convert(src, HV_IMG_QCOW2, dst, HV_IMG_VMDK,
	                             "twoGbMaxExtentFlat", NULL, &err),
	             -EINVAL);
	cr_assert(strstr(err.msg, "twoGbMaxExtentFlat"), "%s", err.msg);
	cr_assert_neq(stat(dst, &sb), 0);
	cr_assert_lt(hv_disk_convert(base, HV_IMG_QCOW2, dst, HV_IMG_RAW, "",
	                             NULL, &err),
	             0, "missing source");
	cr_assert_neq(stat(dst, &sb), 0);
}

Test(diskconvert, image_info_and_vpc_exact_size)
{
	enum hv_img_format f = HV_IMG_VPC, got;
	char path[128];
	struct hv_error err = { 0 };
	uint64_t size = 0;

	/* A fixed VHD is a raw file with a footer: qemu probes it as raw. */
	path_of(path, sizeof(path), "x.vhd");
	cr_assert_eq(
	    hv_image_create_fmt(path, HV_IMG_VPC, "dynamic", 5000000 * 2, &err),
	    0, "%s", err.msg);
	cr_assert_eq(hv_image_info(path, &f, &size, &got, &err), 0, "%s",
	             err.msg);
	cr_assert_eq(size, 10000384, "force_size keeps the sectors asked");
	cr_assert_eq(got, HV_IMG_VPC);
	cr_assert_eq(hv_image_info(path, NULL, &size, &got, &err), 0, "%s",
	             err.msg);
	cr_assert_eq(got, HV_IMG_VPC, "probed");
	f = HV_IMG_QCOW2;
	cr_assert_lt(hv_image_info(path, &f, &size, &got, &err), 0);
	cr_assert(strstr(err.msg, "qemu-img info"), "%s", err.msg);
	cr_assert_eq(hv_image_create_fmt(path, HV_IMG_QCOW2, "", MIB, &err),
	             -EEXIST);
	cr_assert_eq(hv_image_create_fmt(path, HV_IMG_RAW, "fixed", MIB, &err),
	             -EINVAL);
}

Test(diskconvert, export_reports_qemu_nbd_failure)
{
	struct hv_export *exp = NULL;
	struct hv_error err = { 0 };
	char path[128];

	path_of(path, sizeof(path), "missing.qcow2");
	cr_assert_eq(hv_export_start(path, HV_IMG_QCOW2, 0, NULL, &exp, &err),
	             -EIO);
	cr_assert_null(exp);
	cr_assert(strstr(err.msg, "qemu-nbd did not start"), "%s", err.msg);
	cr_assert(strstr(err.msg, "missing.qcow2"), "%s", err.msg);
	cr_assert_eq(hv_export_stop(NULL, &err), 0);
}

/* hv_dstream_send on one end of a socketpair, in a thread. */
struct sender {
	const char *uri;
	enum hv_dstream_mode mode;
	const char *bitmap;
	int fd;
	int rc;
	struct hv_dstream_stats st;
	struct hv_error err;
};

static void *send_thread(void *arg)
{
	struct sender *s = arg;

	s->rc =
	    hv_dstream_send(s->uri, s->mode, s->bitmap, s->fd, &s->st, &s->err);
	close(s->fd);
	return NULL;
}

/* Stream src's export into dst's; both exports are stopped after. */
static int stream(struct hv_export *src, enum hv_dstream_mode mode,
                  const char *bitmap, struct hv_export *dst, struct sender *s,
                  struct hv_dstream_stats *rst, struct hv_error *rerr)
{
	pthread_t th;
	int sv[2], rc;

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	*s = (struct sender){ .uri = hv_export_uri(src),
		              .mode = mode,
		              .bitmap = bitmap,
		              .fd = sv[0] };
	cr_assert_eq(pthread_create(&th, NULL, send_thread, s), 0);
	rc = hv_dstream_recv(sv[1], hv_export_uri(dst), rst, rerr);
	close(sv[1]);
	pthread_join(th, NULL);
	cr_assert_eq(hv_export_stop(src, rerr), 0, "%s", rerr->msg);
	cr_assert_eq(hv_export_stop(dst, rerr), 0, "%s", rerr->msg);
	return rc;
}

Test(diskconvert, sparse_image_does_not_inflate_wire_bytes)
{
	const char *const io[] = {
		"qemu-io", "-f", "qcow2", "-c", "write -P 0x77 700M 1M",
		NULL,      NULL
	};
	char src[128], dst[128];
	struct hv_export *sexp = NULL, *dexp = NULL;
	struct hv_dstream_stats rst;
	struct hv_error err = { 0 };
	struct sender s;

	path_of(src, sizeof(src), "big.qcow2");
	path_of(dst, sizeof(dst), "big-copy.stream.vmdk");
	cr_assert_eq(
	    hv_image_create_fmt(src, HV_IMG_QCOW2, "", 1ull << 30, &err), 0);
	((const char **)io)[5] = src;
	cr_assert_eq(run(io), 0);
	cr_assert_eq(hv_image_create_fmt(dst, HV_IMG_VMDK, "streamOptimized",
	                                 1ull << 30, &err),
	             0);
	cr_assert_eq(hv_export_start(src, HV_IMG_QCOW2, 0, NULL, &sexp, &err),
	             0, "%s", err.msg);
	cr_assert_eq(hv_export_start(dst, HV_IMG_VMDK, HV_EXPORT_WRITABLE, NULL,
	                             &dexp, &err),
	             0, "%s", err.msg);
	cr_assert(strncmp(hv_export_uri(sexp), "nbd+unix:///?socket=/", 21) ==
	          0);
	cr_assert_eq(stream(sexp, HV_DSTREAM_FULL, NULL, dexp, &s, &rst, &err),
	             0, "recv: %s / send: %s", err.msg, s.err.msg);
	cr_assert_eq(s.rc, 0, "%s", s.err.msg);
	cr_assert_eq(s.st.virtual_size, 1ull << 30);
	cr_assert_eq(s.st.data_bytes, MIB);
	cr_assert_eq(s.st.zero_bytes, 0);
	cr_assert_eq(s.st.skipped_bytes, (1ull << 30) - MIB);
	cr_assert_leq(s.st.wire_bytes, MIB + 4096, "%llu",
	              (unsigned long long)s.st.wire_bytes);
	cr_assert_eq(s.st.wire_bytes, MIB + HV_DSTREAM_HDR_LEN +
	                                  s.st.records * HV_DSTREAM_REC_LEN);
	cr_assert_eq(rst.wire_bytes, s.st.wire_bytes);
	cr_assert_eq(rst.data_bytes, MIB);
	cr_assert_eq(rst.records, s.st.records);
	cr_assert_eq(compare(src, HV_IMG_QCOW2, dst, HV_IMG_VMDK), 0);
}

Test(diskconvert, delta_from_dirty_bitmap)
{
	char a[128], t[128];
	const char *const seed[] = {
		"qemu-io", "-f", "qcow2", "-c", "write -P 0x11 0 4M", a, NULL
	};
	const char *const copy[] = { "qemu-img", "convert", "-q", "-f", "qcow2",
		                     "-O",       "raw",     a,    t,    NULL };
	const char *const bitmap[] = { "qemu-img", "bitmap", "--add",
		                       a,          "b0",     NULL };
	const char *const dirty[] = { "qemu-io",
		                      "-f",
		                      "qcow2",
		                      "-c",
		                      "write -P 0x22 1M 64k",
		                      "-c",
		                      "write -z 2M 128k",
		                      a,
		                      NULL };
	struct hv_export *sexp = NULL, *dexp = NULL;
	struct hv_dstream_stats rst;
	struct hv_error err = { 0 };
	struct sender s;

	path_of(a, sizeof(a), "a.qcow2");
	path_of(t, sizeof(t), "t.raw");
	cr_assert_eq(hv_image_create_fmt(a, HV_IMG_QCOW2, "", 8 * MIB, &err),
	             0);
	cr_assert_eq(run(seed), 0);
	cr_assert_eq(run(copy), 0);
	cr_assert_eq(run(bitmap), 0);
	cr_assert_eq(run(dirty), 0);
	cr_assert_neq(compare(a, HV_IMG_QCOW2, t, HV_IMG_RAW), 0);
	cr_assert_eq(hv_export_start(a, HV_IMG_QCOW2, 0, "b0", &sexp, &err), 0,
	             "%s", err.msg);
	cr_assert_eq(hv_export_start(t, HV_IMG_RAW, HV_EXPORT_WRITABLE, NULL,
	                             &dexp, &err),
	             0, "%s", err.msg);
	cr_assert_eq(stream(sexp, HV_DSTREAM_DELTA, "qemu:dirty-bitmap:b0",
	                    dexp, &s, &rst, &err),
	             0, "recv: %s / send: %s", err.msg, s.err.msg);
	cr_assert_eq(s.st.data_bytes, 65536);
	cr_assert_eq(s.st.zero_bytes, 131072);
	cr_assert_eq(s.st.records, 3, "DATA, ZERO, END");
	cr_assert_eq(rst.zero_bytes, 131072);
	cr_assert_eq(compare(a, HV_IMG_QCOW2, t, HV_IMG_RAW), 0);
}

Test(diskconvert, recv_rejects_size_mismatch_and_garbage)
{
	char a[128], b[128];
	struct hv_export *sexp = NULL, *dexp = NULL;
	struct hv_dstream_stats rst;
	struct hv_error err = { 0 };
	struct sender s;
	int pfd[2];

	path_of(a, sizeof(a), "one.qcow2");
	path_of(b, sizeof(b), "two.raw");
	cr_assert_eq(hv_image_create_fmt(a, HV_IMG_QCOW2, "", MIB, &err), 0);
	cr_assert_eq(hv_image_create_fmt(b, HV_IMG_RAW, "", 2 * MIB, &err), 0);
	cr_assert_eq(hv_export_start(a, HV_IMG_QCOW2, 0, NULL, &sexp, &err), 0);
	cr_assert_eq(hv_export_start(b, HV_IMG_RAW, HV_EXPORT_WRITABLE, NULL,
	                             &dexp, &err),
	             0);
	cr_assert_eq(stream(sexp, HV_DSTREAM_FULL, NULL, dexp, &s, &rst, &err),
	             -EINVAL);
	cr_assert(strstr(err.msg, "target size 2097152 differs from the "
	                          "virtual size 1048576"),
	          "%s", err.msg);

	cr_assert_eq(hv_export_start(b, HV_IMG_RAW, HV_EXPORT_WRITABLE, NULL,
	                             &dexp, &err),
	             0);
	cr_assert_eq(pipe(pfd), 0);
	cr_assert_eq(write(pfd[1], "SFDX0123456789abcdefghij", 24), 24);
	close(pfd[1]);
	cr_assert_eq(hv_dstream_recv(pfd[0], hv_export_uri(dexp), NULL, &err),
	             -EPROTO);
	cr_assert(strstr(err.msg, "bad magic"), "%s", err.msg);
	close(pfd[0]);
	cr_assert_eq(hv_export_stop(dexp, &err), 0);
	/* The peer is gone: EPIPE, not SIGPIPE. */
	cr_assert_eq(hv_export_start(a, HV_IMG_QCOW2, 0, NULL, &sexp, &err), 0);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, pfd), 0);
	close(pfd[1]);
	cr_assert_eq(hv_dstream_send(hv_export_uri(sexp), HV_DSTREAM_FULL, NULL,
	                             pfd[0], &rst, &err),
	             -EPIPE);
	cr_assert(strstr(err.msg, "disk stream: write"), "%s", err.msg);
	close(pfd[0]);
	cr_assert_eq(hv_export_stop(sexp, &err), 0);
	cr_assert_lt(hv_dstream_send("nbd+unix:///?socket=/nonexistent",
	                             HV_DSTREAM_FULL, NULL, 1, NULL, &err),
	             0);
	cr_assert(strstr(err.msg, "/nonexistent"), "%s", err.msg);
	cr_assert_eq(hv_dstream_send("nbd+unix:///?socket=/nonexistent",
	                             HV_DSTREAM_DELTA, NULL, 1, NULL, &err),
	             -EINVAL);
}
