/*
 * test_records.c: the receiver's session journals and post-copy records:
 * their format (golden, bad input) and how they are settled at start
 * against libvirt (its test driver: the domain "test" has TEST_UUID and
 * runs).
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
#include "receiver/records.h"
#include "tests/testdir.h"

#define TEST_UUID "6695eb01-f6a4-8304-79aa-97f2502e193f"
#define GONE_UUID "0b5d1c2e-7f3a-4e96-8d21-5a6c9e0f4b17"
#define JOURNAL1  "00112233aabbccdd"
#define JOURNAL2  "44556677eeff0011"
#define JOURNAL3  "8899aabbccddeeff"

static char dir[] = "/tmp/sf-test-records-XXXXXX";
static char outside[] = "/tmp/sf-test-records-out-XXXXXX";
static char run[] = "/tmp/sf-test-records-run-XXXXXX";
static struct rcv_record rec, back;

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

/* dir/name into buf. */
static const char *in(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
	return buf;
}

/* A record of the lab's peer east for uuid, with the given disks. */
static void record(struct rcv_record *r, const char *uuid, const char *name,
                   bool postcopy, const char *d1, const char *d2)
{
	memset(r, 0, sizeof(*r));
	strcpy(r->peer, "dns:east");
	strcpy(r->uuid, uuid);
	strcpy(r->name, name);
	r->postcopy = postcopy;
	if (d1)
		strcpy(r->disks[r->n_disks++], d1);
	if (d2)
		strcpy(r->disks[r->n_disks++], d2);
}

/* The whole of what the receiver logged. */
static char *logged(void)
{
	static char buf[16384];
	FILE *f = cr_get_redirected_stderr();
	size_t n;

	fflush(stderr);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	return buf;
}

Test(receiver_records, write_and_read)
{
	char path[4200], why[300], text[512];
	struct stat st;
	FILE *f;
	size_t n;

	testdir_make(dir);
	record(&rec, TEST_UUID, "vm1", true, "/srv/vm1-vda-1.qcow2",
	       "/srv/vm1-vdb-2.qcow2");
	rcv_journal_path(dir, JOURNAL1, path, sizeof(path));
	cr_assert_eq(rcv_record_write(path, &rec), 0);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
	f = fopen(path, "r");
	cr_assert_not_null(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	cr_assert_str_eq(text, "peer dns:east\n"
	                       "uuid " TEST_UUID "\n"
	                       "name vm1\n"
	                       "postcopy yes\n"
	                       "disk /srv/vm1-vda-1.qcow2\n"
	                       "disk /srv/vm1-vdb-2.qcow2\n");
	cr_assert_eq(rcv_record_read(path, &back, why, sizeof(why)), 0, "%s",
	             why);
	cr_assert_eq(memcmp(&rec, &back, sizeof(rec)), 0);
	rcv_postcopy_path(dir, GONE_UUID, path, sizeof(path));
	cr_assert_eq(rcv_record_read(path, &back, why, sizeof(why)), -ENOENT);
	cr_assert_eq(rcv_records_count(dir), 1);
	testdir_remove(dir);
}

static void parses(const char *text)
{
	char why[300] = "";

	cr_assert_eq(
	    rcv_record_parse(text, strlen(text), &rec, why, sizeof(why)), 0,
	    "%s: %s", text, why);
}

static void refused(const char *text, size_t len, const char *msg)
{
	char why[300] = "";

	cr_assert_eq(rcv_record_parse(text, len, &rec, why, sizeof(why)),
	             -EBADMSG, "accepted: %.*s", (int)len, text);
	cr_assert(strstr(why, msg), "'%s' not in '%s'", msg, why);
}

Test(receiver_records, parse_golden)
{
	parses("peer dns:east\nuuid " TEST_UUID "\nname vm1\npostcopy no\n"
	       "disk /s/vm1-vda-1.qcow2\n");
	cr_assert_str_eq(rec.peer, "dns:east");
	cr_assert_str_eq(rec.uuid, TEST_UUID);
	cr_assert_not(rec.postcopy);
	cr_assert_eq(rec.n_disks, 1);
	/* Any order; a CN with spaces; a cold move's directory. */
	parses("dir /s/vm2-00112233\nname vm2\npeer cn:Site East\n");
	cr_assert_str_eq(rec.peer, "cn:Site East");
	cr_assert_str_eq(rec.dir, "/s/vm2-00112233");
	parses("peer dns:east\n");
	cr_assert_eq(rec.n_disks, 0);
}

Test(receiver_records, parse_bad)
{
	static char big[RCV_RECORD_MAX + 2];
	char many[32 * 12 + 64] = "peer dns:east\n";
	int i;

	refused("", 0, "no peer");
	refused("name vm1\n", 9, "no peer");
	refused("peer dns:east", 13, "line 1: no newline at the end");
	refused("\n", 1, "line 1: unknown key ''");
	refused("peer\n", 5, "line 1: peer has no value");
	refused("peer \n", 6, "line 1: peer has no value");
	refused("peer a\npeer b\n", 14, "line 2: a second peer");
	refused("peer a\nsize 12\n", 15, "line 2: unknown key 'size'");
	refused("peer a\nuuid 6695EB01-F6A4-8304-79AA-97F2502E193F\n", 49,
	        "line 2: uuid is not canonical");
	refused("peer a\nuuid x\n", 14, "line 2: uuid");
	refused("peer a\npostcopy maybe\n", 22,
	        "line 2: postcopy is not yes or no");
	refused("peer a\ndisk vm1.qcow2\n", 22,
	        "line 2: disk is not an absolute path");
	refused("peer a\ndir ../x\n", 16, "line 2: dir is not an absolute");
	refused("peer a\x01\n", 8, "line 1: byte 7 is not printable");
	refused("peer a\nname a\0b\n", 16, "line 2: byte 7");
	for (i = 0; i < 33; i++)
		strcat(many, "disk /d\n");
	refused(many, strlen(many), "line 34: more than 32 disks");
	memset(big, 'a', sizeof(big) - 1);
	refused(big, sizeof(big) - 1, "longer than 65536 bytes");
	memcpy(big, "peer ", 5);
	memset(big + 5, 'a', 600);
	big[605] = '\n';
	refused(big, 606, "line 1: peer too long");
}

/*
 * Post-copy records: one whose VM libvirt still has is kept and named; one
 * whose VM is gone is removed, naming the disks still here, which stay.
 * Other files, and names that only look like records, are left.
 */
Test(receiver_records, postcopy_records, .init = cr_redirect_stderr)
{
	char kept_disk[4200], gone_disk[4200], other[4200], path[4200];
	virConnectPtr conn;
	const char *log;

	testdir_make(dir);
	in(kept_disk, sizeof(kept_disk), "test-vda-1.qcow2");
	in(gone_disk, sizeof(gone_disk), "vm2-vda-2.qcow2");
	in(other, sizeof(other), "vm2-vdb-3.qcow2"); /* gone already */
	touch(kept_disk);
	touch(gone_disk);
	record(&rec, TEST_UUID, "test", true, kept_disk, NULL);
	rcv_postcopy_path(dir, TEST_UUID, path, sizeof(path));
	cr_assert_eq(rcv_record_write(path, &rec), 0);
	record(&rec, GONE_UUID, "vm2", true, gone_disk, other);
	rcv_postcopy_path(dir, GONE_UUID, path, sizeof(path));
	cr_assert_eq(rcv_record_write(path, &rec), 0);
	touch(in(path, sizeof(path),
	         ".postcopy-6695EB01-F6A4-8304-79AA-97F2502E193F"));
	touch(in(path, sizeof(path), ".postcopy-notes"));
	touch(in(path, sizeof(path), ".session-notes"));
	cr_assert_eq(rcv_records_count(dir), 2);

	conn = hv_virt_open("test:///default", NULL);
	cr_assert_not_null(conn);
	cr_assert_eq(rcv_records_reconcile(dir, run, conn), 1);
	cr_assert_eq(rcv_records_reconcile(dir, run, NULL), 0);
	virConnectClose(conn);

	rcv_postcopy_path(dir, TEST_UUID, path, sizeof(path));
	cr_assert(exists(path), "the record of a VM libvirt has was removed");
	rcv_postcopy_path(dir, GONE_UUID, path, sizeof(path));
	cr_assert_not(exists(path), "the record of a gone VM stayed");
	cr_assert(exists(kept_disk) && exists(gone_disk), "a disk was removed");
	cr_assert(exists(in(path, sizeof(path), ".postcopy-notes")));
	cr_assert_eq(rcv_records_count(dir), 1);

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
	testdir_remove(dir);
}

/*
 * Journals a killed receiver left: a session whose VM never ran here loses
 * what it made (but never a file outside the storage directory); one whose
 * VM runs here keeps it; a cold move's directory goes.
 */
Test(receiver_records, journals, .init = cr_redirect_stderr)
{
	char d1[4200], d2[4300], d3[4200], foreign[4200], mv[4200], path[4200];
	virConnectPtr conn;
	const char *log;

	testdir_make(dir);
	testdir_make(outside);
	testdir_make(run);
	snprintf(path, sizeof(path), "%s/" JOURNAL2, run);
	cr_assert_eq(mkdir(path, 0750), 0);
	snprintf(path, sizeof(path), "%s/" JOURNAL2 "/mem.sock", run);
	touch(path);
	in(d1, sizeof(d1), "vm2-vda-44556677.qcow2");
	snprintf(foreign, sizeof(foreign), "%s/precious.img", outside);
	in(d3, sizeof(d3), "test-vda-00112233.qcow2");
	in(mv, sizeof(mv), "vm3-8899aabb");
	touch(d1);
	touch(foreign);
	touch(d3);
	cr_assert_eq(mkdir(mv, 0755), 0);
	snprintf(d2, sizeof(d2), "%s/vm3-disk0.vmdk", mv);
	touch(d2);

	record(&rec, GONE_UUID, "vm2", false, d1, foreign);
	rcv_journal_path(dir, JOURNAL2, path, sizeof(path));
	cr_assert_eq(rcv_record_write(path, &rec), 0);
	record(&rec, TEST_UUID, "test", false, d3, NULL);
	rcv_journal_path(dir, JOURNAL1, path, sizeof(path));
	cr_assert_eq(rcv_record_write(path, &rec), 0);
	record(&rec, "1d7e5b5c-2a8f-4c61-9f0e-3b4d6a7c8e90", "vm3", false, NULL,
	       NULL);
	strcpy(rec.dir, mv);
	rcv_journal_path(dir, JOURNAL3, path, sizeof(path));
	cr_assert_eq(rcv_record_write(path, &rec), 0);
	cr_assert_eq(rcv_records_count(dir), 3);

	conn = hv_virt_open("test:///default", NULL);
	cr_assert_not_null(conn);
	cr_assert_eq(rcv_records_reconcile(dir, run, conn), 3);
	virConnectClose(conn);

	cr_assert_eq(rcv_records_count(dir), 0, "a journal stayed");
	cr_assert_not(exists(d1), "a disk of a VM that never ran stayed");
	cr_assert(exists(foreign), "a file outside the storage was removed");
	cr_assert(exists(d3), "the disk of a VM that runs here was removed");
	cr_assert_not(exists(mv), "a cold move's directory stayed");
	snprintf(path, sizeof(path), "%s/" JOURNAL2, run);
	cr_assert_not(exists(path), "a session's socket directory stayed");

	log = logged();
	cr_assert(strstr(log, "session " JOURNAL2 " (dns:east): the receiver "
	                      "stopped before it finished and 'vm2' (" GONE_UUID
	                      ") never ran here, so the source holds it: "
	                      "removed what the session made"),
	          "%s", log);
	cr_assert(strstr(log, "left alone, not in"), "%s", log);
	cr_assert(strstr(log, "session " JOURNAL1 ": 'test' (" TEST_UUID
	                      ") runs here"),
	          "%s", log);
	testdir_remove(dir);
	testdir_remove(outside);
	testdir_remove(run);
}

/*
 * The journal of a recovery that did not finish: the VM and its disks are
 * an earlier session's, on record; the journal goes, they stay.
 */
Test(receiver_records, journal_of_a_recovery, .init = cr_redirect_stderr)
{
	char disk[4200], path[4200], why[300];
	virConnectPtr conn;
	int state, reason;

	testdir_make(dir);
	in(disk, sizeof(disk), "test-vda-00112233.qcow2");
	touch(disk);
	record(&rec, TEST_UUID, "test", true, disk, NULL);
	rcv_postcopy_path(dir, TEST_UUID, path, sizeof(path));
	cr_assert_eq(rcv_record_write(path, &rec), 0);
	record(&rec, TEST_UUID, "test", true, NULL, NULL);
	rcv_journal_path(dir, JOURNAL3, path, sizeof(path));
	cr_assert_eq(rcv_record_write(path, &rec), 0);

	conn = hv_virt_open("test:///default", NULL);
	cr_assert_not_null(conn);
	cr_assert_eq(rcv_records_reconcile(dir, run, conn), 1);
	cr_assert_eq(hv_domain_state(conn, TEST_UUID, &state, &reason, NULL),
	             0);
	virConnectClose(conn);
	cr_assert_eq(rcv_records_count(dir), 1);
	rcv_postcopy_path(dir, TEST_UUID, path, sizeof(path));
	cr_assert_eq(rcv_record_read(path, &back, why, sizeof(why)), 0, "%s",
	             why);
	cr_assert_eq(back.n_disks, 1, "the record lost its disk");
	cr_assert(exists(disk));
	cr_assert(strstr(logged(), "recovering 'test' (" TEST_UUID ") did "
	                           "not finish when the receiver stopped"));
	testdir_remove(dir);
}

/*
 * A journal whose VM libvirt keeps paused: with post-copy allowed it may
 * hold the newest state, so it becomes a post-copy record; without, it is
 * an incoming domain that never ran, removed with its disk.
 */
Test(receiver_records, journal_of_a_paused_vm, .init = cr_redirect_stderr)
{
	char disk[4200], path[4200];
	virConnectPtr conn;
	virDomainPtr dom;
	int state, reason;

	testdir_make(dir);
	conn = hv_virt_open("test:///default", NULL);
	cr_assert_not_null(conn);
	dom = virDomainLookupByUUIDString(conn, TEST_UUID);
	cr_assert_not_null(dom);
	cr_assert_eq(virDomainSuspend(dom), 0);

	in(disk, sizeof(disk), "test-vda-00112233.qcow2");
	touch(disk);
	record(&rec, TEST_UUID, "test", true, disk, NULL);
	rcv_journal_path(dir, JOURNAL1, path, sizeof(path));
	cr_assert_eq(rcv_record_write(path, &rec), 0);
	cr_assert_eq(rcv_records_reconcile(dir, run, conn), 1);
	rcv_postcopy_path(dir, TEST_UUID, path, sizeof(path));
	cr_assert(exists(path), "no post-copy record");
	cr_assert(exists(disk));
	cr_assert(strstr(logged(), "is here in a post-copy that did not "
	                           "finish when the receiver stopped"));
	unlink(path);

	record(&rec, TEST_UUID, "test", false, disk, NULL);
	rcv_journal_path(dir, JOURNAL1, path, sizeof(path));
	cr_assert_eq(rcv_record_write(path, &rec), 0);
	cr_assert_eq(rcv_records_reconcile(dir, run, conn), 1);
	cr_assert_not(exists(disk), "the disk of a VM that never ran stayed");
	/* Destroyed; the test driver cannot undefine with hv's flags. */
	cr_assert(hv_domain_state(conn, TEST_UUID, &state, &reason, NULL) ==
	                  -ENOENT ||
	              state == VIR_DOMAIN_SHUTOFF,
	          "the incoming domain stayed (%d %d)", state, reason);
	cr_assert_eq(rcv_records_count(dir), 0);
	virDomainFree(dom);
	virConnectClose(conn);
	testdir_remove(dir);
}
