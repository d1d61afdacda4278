/*
 * test_backup.c: the libvirt-free parts of changed-block tracking: name
 * checks, golden backup and checkpoint XML, and reading a checkpoint's
 * bitmaps back.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hypervisor/backup_priv.h"

static const struct hv_backup_disk two_disks[] = {
	{ "vda", "/var/lib/skyferry/backup-AbC123/vda.qcow2" },
	{ "sdb", "/var/lib/skyferry/backup-AbC123/sdb.qcow2" },
};

Test(backup, checkpoint_names)
{
	char longest[HV_CHECKPOINT_NAME_MAX + 2];

	cr_assert(hv_checkpoint_name_is_valid("sf-sync-1"));
	cr_assert(hv_checkpoint_name_is_valid("A.b_C-9"));
	cr_assert(hv_checkpoint_name_is_valid("1"));
	cr_assert_not(hv_checkpoint_name_is_valid(NULL));
	cr_assert_not(hv_checkpoint_name_is_valid(""));
	cr_assert_not(hv_checkpoint_name_is_valid("-x"), "an option");
	cr_assert_not(hv_checkpoint_name_is_valid(".x"));
	cr_assert_not(hv_checkpoint_name_is_valid("a/b"));
	cr_assert_not(hv_checkpoint_name_is_valid("a b"));
	cr_assert_not(hv_checkpoint_name_is_valid("a:b"), "NBD context");
	cr_assert_not(hv_checkpoint_name_is_valid("a'b"));
	cr_assert_not(hv_checkpoint_name_is_valid("caf\xc3\xa9"));
	memset(longest, 'c', sizeof(longest));
	longest[HV_CHECKPOINT_NAME_MAX] = '\0';
	cr_assert(hv_checkpoint_name_is_valid(longest));
	longest[HV_CHECKPOINT_NAME_MAX] = 'c';
	longest[HV_CHECKPOINT_NAME_MAX + 1] = '\0';
	cr_assert_not(hv_checkpoint_name_is_valid(longest));
}

Test(backup, target_names)
{
	cr_assert(hv_backup_target_is_valid("vda"));
	cr_assert(hv_backup_target_is_valid("xvdb"));
	cr_assert(hv_backup_target_is_valid("nvme0n1"));
	cr_assert_not(hv_backup_target_is_valid(NULL));
	cr_assert_not(hv_backup_target_is_valid(""));
	cr_assert_not(hv_backup_target_is_valid("0vda"));
	cr_assert_not(hv_backup_target_is_valid("VDA"));
	cr_assert_not(hv_backup_target_is_valid("vd/a"));
	cr_assert_not(hv_backup_target_is_valid("vda?socket=x"));
	cr_assert_not(hv_backup_target_is_valid("../vda"));
	cr_assert(hv_backup_target_is_valid("abcdefghijklmnopqrstuvwxyz01234"));
	cr_assert_not(
	    hv_backup_target_is_valid("abcdefghijklmnopqrstuvwxyz012345"));
}

Test(backup, full_backup_xml)
{
	static const char want[] =
	    "<domainbackup mode=\"pull\">\n"
	    "  <server transport=\"unix\" "
	    "socket=\"/run/skyferry/backup-AbC123/nbd.sock\"/>\n"
	    "  <disks>\n"
	    "    <disk name=\"vda\" backup=\"yes\" type=\"file\">\n"
	    "      <driver type=\"qcow2\"/>\n"
	    "      <scratch "
	    "file=\"/var/lib/skyferry/backup-AbC123/vda.qcow2\"/>\n"
	    "    </disk>\n"
	    "    <disk name=\"sdb\" backup=\"yes\" type=\"file\">\n"
	    "      <driver type=\"qcow2\"/>\n"
	    "      <scratch "
	    "file=\"/var/lib/skyferry/backup-AbC123/sdb.qcow2\"/>\n"
	    "    </disk>\n"
	    "  </disks>\n"
	    "</domainbackup>";
	struct hv_error err = { 0 };
	char *xml;

	xml = hv_backup_xml("/run/skyferry/backup-AbC123/nbd.sock", NULL,
	                    two_disks, 2, &err);
	cr_assert_not_null(xml, "%s", err.msg);
	cr_assert_str_eq(xml, want);
	free(xml);
}

Test(backup, incremental_backup_xml)
{
	static const char want[] =
	    "<domainbackup mode=\"pull\">\n"
	    "  <server transport=\"unix\" socket=\"/run/s/nbd.sock\"/>\n"
	    "  <incremental>sf-sync-1</incremental>\n"
	    "  <disks>\n"
	    "    <disk name=\"vda\" backup=\"yes\" type=\"file\">\n"
	    "      <driver type=\"qcow2\"/>\n"
	    "      <scratch "
	    "file=\"/var/lib/skyferry/backup-AbC123/vda.qcow2\"/>\n"
	    "    </disk>\n"
	    "  </disks>\n"
	    "</domainbackup>";
	struct hv_error err = { 0 };
	char *xml;

	xml = hv_backup_xml("/run/s/nbd.sock", "sf-sync-1", two_disks, 1, &err);
	cr_assert_not_null(xml, "%s", err.msg);
	cr_assert_str_eq(xml, want);
	free(xml);
}

/* Paths are ours, but whatever they hold comes out escaped. */
Test(backup, backup_xml_escapes_attributes)
{
	static const struct hv_backup_disk odd[] = {
		{ "vda", "/tmp/a\"b<c>&d'e.qcow2" },
	};
	struct hv_error err = { 0 };
	char *xml;

	xml = hv_backup_xml("/run/x&y/nbd.sock", NULL, odd, 1, &err);
	cr_assert_not_null(xml, "%s", err.msg);
	cr_assert(strstr(xml, "socket=\"/run/x&amp;y/nbd.sock\""), "%s", xml);
	cr_assert(strstr(xml, "file=\"/tmp/a&quot;b&lt;c&gt;&amp;d'e.qcow2\""),
	          "%s", xml);
	free(xml);
}

Test(backup, checkpoint_xml)
{
	static const char want[] = "<domaincheckpoint>\n"
	                           "  <name>sf-sync-2</name>\n"
	                           "  <disks>\n"
	                           "    <disk name=\"vda\" "
	                           "checkpoint=\"bitmap\"/>\n"
	                           "    <disk name=\"sdb\" "
	                           "checkpoint=\"bitmap\"/>\n"
	                           "  </disks>\n"
	                           "</domaincheckpoint>";
	struct hv_error err = { 0 };
	char *xml;

	xml = hv_checkpoint_xml("sf-sync-2", two_disks, 2, &err);
	cr_assert_not_null(xml, "%s", err.msg);
	cr_assert_str_eq(xml, want);
	free(xml);
}

Test(backup, xml_rejects_bad_input)
{
	static const struct hv_backup_disk bad_target[] = {
		{ "vda'/><x", "/s/vda.qcow2" },
	};
	static const struct hv_backup_disk dup[] = {
		{ "vda", "/s/a.qcow2" },
		{ "vda", "/s/b.qcow2" },
	};
	static const struct hv_backup_disk relative[] = {
		{ "vda", "s/vda.qcow2" },
	};
	static const struct hv_backup_disk no_scratch[] = {
		{ "vda", NULL },
	};
	struct hv_error err = { 0 };

	cr_assert_null(hv_backup_xml("/s/n.sock", NULL, bad_target, 1, &err));
	cr_assert_eq(err.code, -EINVAL);
	cr_assert(strstr(err.msg, "bad disk target 'vda'/><x'"), "%s", err.msg);
	cr_assert_null(hv_backup_xml("/s/n.sock", NULL, dup, 2, &err));
	cr_assert(strstr(err.msg, "vda given twice"), "%s", err.msg);
	cr_assert_null(hv_backup_xml("/s/n.sock", NULL, relative, 1, &err));
	cr_assert(strstr(err.msg, "absolute"), "%s", err.msg);
	cr_assert_null(hv_backup_xml("/s/n.sock", NULL, no_scratch, 1, &err));
	cr_assert_null(hv_backup_xml("n.sock", NULL, two_disks, 1, &err));
	cr_assert_eq(err.code, -EINVAL);
	cr_assert_null(hv_backup_xml("/s/n.sock", "a b", two_disks, 1, &err));
	cr_assert_eq(err.code, -EINVAL);
	cr_assert_null(hv_backup_xml("/s/n.sock", NULL, two_disks, 0, &err));
	cr_assert(strstr(err.msg, "0 disks"), "%s", err.msg);
	cr_assert_null(hv_backup_xml("/s/n.sock", NULL, two_disks,
	                             HV_BACKUP_MAX_DISKS + 1, &err));
	cr_assert_null(hv_checkpoint_xml("-rm", two_disks, 2, &err));
	cr_assert_eq(err.code, -EINVAL);
	cr_assert_null(hv_checkpoint_xml(NULL, two_disks, 2, &err));
	cr_assert_null(hv_checkpoint_xml("ok", bad_target, 1, &err));
	cr_assert_eq(err.code, -EINVAL);
}

/* As virDomainCheckpointGetXMLDesc(NO_DOMAIN) gives it (libvirt 9.0). */
static const char libvirt_checkpoint[] =
    "<domaincheckpoint>\n"
    "  <name>cbt-2</name>\n"
    "  <parent>\n"
    "    <name>cbt-1</name>\n"
    "  </parent>\n"
    "  <creationTime>1795237720</creationTime>\n"
    "  <disks>\n"
    "    <disk name='vdb' checkpoint='bitmap' bitmap='cbt-2'/>\n"
    "    <disk name='vdc' checkpoint='no'/>\n"
    "    <disk name='sda' checkpoint='bitmap'/>\n"
    "  </disks>\n"
    "</domaincheckpoint>\n";

Test(backup, checkpoint_bitmaps_read)
{
	struct hv_checkpoint_bitmap b[4];
	struct hv_error err = { 0 };
	size_t n = 99;

	cr_assert_eq(
	    hv_checkpoint_xml_bitmaps(libvirt_checkpoint, b, 4, &n, &err), 0,
	    "%s", err.msg);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(b[0].target, "vdb");
	cr_assert_str_eq(b[0].bitmap, "cbt-2");
	cr_assert_str_eq(b[1].target, "sda");
	cr_assert_str_eq(b[1].bitmap, "cbt-2", "defaults to the name");
	cr_assert_eq(
	    hv_checkpoint_xml_bitmaps(libvirt_checkpoint, b, 1, &n, &err),
	    -E2BIG);
	cr_assert_eq(n, 0);
}

Test(backup, checkpoint_bitmaps_reject)
{
	static const char *const bad[] = {
		"",
		"<domaincheckpoint>",
		"<domain><name>x</name></domain>",
		"<domaincheckpoint><disks/></domaincheckpoint>",
		"<domaincheckpoint><name>-x</name></domaincheckpoint>",
		"<domaincheckpoint><name>x</name><disks><disk "
		"checkpoint='bitmap'/></disks></domaincheckpoint>",
		"<domaincheckpoint><name>x</name><disks><disk name='../a' "
		"checkpoint='bitmap'/></disks></domaincheckpoint>",
		"<domaincheckpoint><name>x</name><disks><disk name='vda' "
		"checkpoint='bitmap' bitmap='--force'/></disks>"
		"</domaincheckpoint>",
		"<!DOCTYPE d [<!ENTITY e 'vda'>]><domaincheckpoint><name>x"
		"</name></domaincheckpoint>",
	};
	struct hv_checkpoint_bitmap b[4];
	struct hv_error err = { 0 };
	size_t i, n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = 99;
		cr_assert_eq(hv_checkpoint_xml_bitmaps(bad[i], b, 4, &n, &err),
		             -EINVAL, "case %zu", i);
		cr_assert_eq(n, 0);
	}
	cr_assert_eq(hv_checkpoint_xml_bitmaps(NULL, b, 4, &n, &err), -EINVAL);
}
