/*
 * test_postcopy.c: the records of post-copies that did not finish, and how
 * the receiver reconciles them with libvirt at start (libvirt's test
 * driver: its domain "test" has TEST_UUID).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/redirect.h>

#include "hypervisor/virt.h"
#include "receiver/postcopy.h"
#include "tests/testdir.h"

#define TEST_UUID "6695eb01-f6a4-8304-79aa-97f2502e193f"
#define GONE_UUID "0b5d1c2e-7f3a-4e96-8d21-5a6c9e0f4b17"

static char dir[] = "/tmp/sf-test-postcopy-XXXXXX";

static void setup(void)
{
	testdir_make(dir);
}

static void teardown(void)
{
	testdir_remove(dir);
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static void touch(const char *path)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "%s", path);
	fclose(f);
}

/* The whole of what the receiver logged. */
static char *logged(void)
{
	static char buf[8192];
	FILE *f = cr_get_redirected_stderr();
	size_t n;

	fflush(stderr);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	return buf;
}

Test(receiver_postcopy, record_round_trip)
{
	const char *disks[] = { "/srv/a-vda-1.qcow2", "/srv/a-vdb-2.qcow2" };
	static struct rcv_postcopy_rec rec;
	char path[4200], why[300], text[512];
	struct stat st;
	FILE *f;
	size_t n;

	setup();
	cr_assert_eq(
	    rcv_postcopy_write(dir, TEST_UUID, "dns:east", "vm1", disks, 2), 0);
	rcv_postcopy_path(dir, TEST_UUID, path, sizeof(path));
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
	f = fopen(path, "r");
	cr_assert_not_null(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	cr_assert_str_eq(text, "dns:east\nname vm1\n"
	                       "disk /srv/a-vda-1.qcow2\n"
	                       "disk /srv/a-vdb-2.qcow2\n");
	cr_assert_eq(rcv_postcopy_read(dir, TEST_UUID, &rec, why, sizeof(why)),
	             0, "%s", why);
	cr_assert_str_eq(rec.peer, "dns:east");
	cr_assert_str_eq(rec.name, "vm1");
	cr_assert_eq(rec.n_disks, 2);
	cr_assert_str_eq(rec.disks[1], "/srv/a-vdb-2.qcow2");
	cr_assert_eq(rcv_postcopy_read(dir, GONE_UUID, &rec, why, sizeof(why)),
	             -ENOENT);
	cr_assert_eq(rcv_postcopy_count(dir), 1);
	teardown();
}

/*
 * A record whose VM libvirt still has is kept and named; one whose VM is
 * gone is removed, saying which of its disks are still here, and they
 * stay. Other files, and names that only look like records, are left.
 */
Test(receiver_postcopy, reconcile, .init = cr_redirect_stderr)
{
	char kept_disk[4200], gone_disk[4200], other[4200], path[4200];
	const char *kept[1] = { kept_disk }, *gone[2] = { gone_disk, other };
	virConnectPtr conn;
	const char *log;

	setup();
	snprintf(kept_disk, sizeof(kept_disk), "%s/test-vda-1.qcow2", dir);
	snprintf(gone_disk, sizeof(gone_disk), "%s/vm2-vda-2.qcow2", dir);
	snprintf(other, sizeof(other), "%s/vm2-vdb-3.qcow2", dir); /* gone */
	touch(kept_disk);
	touch(gone_disk);
	cr_assert_eq(
	    rcv_postcopy_write(dir, TEST_UUID, "dns:east", "test", kept, 1), 0);
	cr_assert_eq(
	    rcv_postcopy_write(dir, GONE_UUID, "dns:north", "vm2", gone, 2), 0);
	snprintf(path, sizeof(path), "%s/.postcopy-%s", dir,
	         "6695EB01-F6A4-8304-79AA-97F2502E193F");
	touch(path);
	snprintf(path, sizeof(path), "%s/.postcopy-notes", dir);
	touch(path);
	cr_assert_eq(rcv_postcopy_count(dir), 2);

	conn = hv_virt_open("test:///default", NULL);
	cr_assert_not_null(conn);
	cr_assert_eq(rcv_postcopy_reconcile(dir, conn), 1);
	cr_assert_eq(rcv_postcopy_reconcile(dir, NULL), 0);
	virConnectClose(conn);

	rcv_postcopy_path(dir, TEST_UUID, path, sizeof(path));
	cr_assert(exists(path), "the record of a VM libvirt has was removed");
	rcv_postcopy_path(dir, GONE_UUID, path, sizeof(path));
	cr_assert_not(exists(path), "the record of a gone VM stayed");
	cr_assert(exists(kept_disk) && exists(gone_disk), "a disk was removed");
	snprintf(path, sizeof(path), "%s/.postcopy-notes", dir);
	cr_assert(exists(path));
	cr_assert_eq(rcv_postcopy_count(dir), 1);

	log = logged();
	cr_assert(strstr(log, "keeping 'test' (" TEST_UUID "), a post-copy "
	                      "that did not finish, for recovery by "
	                      "dns:east"),
	          "%s", log);
	cr_assert(strstr(log, "'vm2' (" GONE_UUID "), kept here after a "
	                      "post-copy that did not finish, is gone from "
	                      "libvirt"),
	          "%s", log);
	cr_assert(strstr(log, gone_disk), "%s", log);
	cr_assert_null(strstr(log, other), "a disk that is gone is named: %s",
	               log);
	teardown();
}

static void parses(const char *text, const char *peer, const char *name,
                   size_t n_disks)
{
	static struct rcv_postcopy_rec rec;
	char why[300] = "";

	cr_assert_eq(
	    rcv_postcopy_parse(text, strlen(text), &rec, why, sizeof(why)), 0,
	    "%s: %s", text, why);
	cr_assert_str_eq(rec.peer, peer);
	cr_assert_str_eq(rec.name, name);
	cr_assert_eq(rec.n_disks, n_disks);
}

static void refused(const char *text, size_t len, const char *msg)
{
	static struct rcv_postcopy_rec rec;
	char why[300] = "";

	cr_assert_eq(rcv_postcopy_parse(text, len, &rec, why, sizeof(why)),
	             -EBADMSG, "accepted: %.*s", (int)len, text);
	cr_assert(strstr(why, msg), "'%s' not in '%s'", msg, why);
}

Test(receiver_postcopy, parse_golden)
{
	parses("dns:east\nname vm1\ndisk /s/vm1-vda-1.qcow2\n", "dns:east",
	       "vm1", 1);
	/* A record of session 13 had the peer only. */
	parses("dns:east\n", "dns:east", "", 0);
	parses("cn:Site East\ndisk /a\ndisk /b\nname x\n", "cn:Site East", "x",
	       2);
}

Test(receiver_postcopy, parse_bad)
{
	static char big[RCV_POSTCOPY_MAX + 2];
	char many[64 * 12 + 32] = "dns:east\n";
	int i;

	refused("", 0, "empty: no peer");
	refused("\n", 1, "line 1: the peer is empty");
	refused("dns:east", 8, "line 1: no newline at the end");
	refused("dns:east\nname vm1", 17, "line 2: no newline");
	refused("dns:east\nsize 12\n", 17, "line 2: expected 'name NAME'");
	refused("dns:east\nname a\nname b\n", 23, "line 3: a second name");
	refused("dns:east\ndisk vm1.qcow2\n", 24,
	        "line 2: disk is not an absolute path");
	refused("dns:east\nname \n", 15, "line 2: expected");
	refused("dns:\001east\n", 10, "line 1: byte 5 is not printable");
	refused("dns:east\nname a\0b\n", 18, "line 2: byte 7");
	for (i = 0; i < 33; i++)
		strcat(many, "disk /d\n");
	refused(many, strlen(many), "line 34: more than 32 disks");
	memset(big, 'a', sizeof(big) - 1);
	refused(big, sizeof(big) - 1, "longer than 65536 bytes");
	memset(big, 'a', 600);
	big[600] = '\n';
	refused(big, 601, "line 1: the peer is empty or too long");
}
