/*
 * test_image.c: images made through qemu-img, and the libvirt socket of a
 * URI.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hypervisor/image.h"
#include "hypervisor/virt.h"

Test(hv_image, create_qcow2_and_refuse_overwrite)
{
	char dir[] = "/tmp/sf-image-XXXXXX", path[64], cmd[160], out[256];
	struct hv_error err = { 0 };
	struct stat st;
	FILE *p;

	cr_assert(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/d.qcow2", dir);
	cr_assert_eq(hv_image_create(path, "qcow2", 64u << 20, &err), 0, "%s",
	             err.msg);
	cr_assert_eq(stat(path, &st), 0);
	snprintf(cmd, sizeof(cmd), "qemu-img info --output=json %s", path);
	p = popen(cmd, "r");
	cr_assert(p);
	memset(out, 0, sizeof(out));
	while (fgets(out, sizeof(out), p))
		if (strstr(out, "virtual-size") || strstr(out, "\"format\""))
			cr_assert(strstr(out, "67108864") ||
			              strstr(out, "qcow2"),
			          "%s", out);
	pclose(p);
	cr_assert_eq(hv_image_create(path, "qcow2", 1u << 20, &err), -EEXIST);
	cr_assert(strstr(err.msg, "not overwriting"), "%s", err.msg);
	cr_assert_eq(hv_image_remove(path, &err), 0);
	cr_assert_eq(hv_image_remove(path, &err), 0, "gone is fine");
	cr_assert_eq(rmdir(dir), 0);
}

Test(hv_image, bad_format_and_unwritable_dir)
{
	struct hv_error err = { 0 };

	cr_assert_eq(hv_image_create("/tmp/x.vmdk", "vmdk", 1u << 20, &err),
	             -EINVAL);
	cr_assert(strstr(err.msg, "vmdk"), "%s", err.msg);
	cr_assert_lt(hv_image_create("/nonexistent-dir/d.qcow2", "qcow2",
	                             1u << 20, &err),
	             0);
	cr_assert(strstr(err.msg, "qemu-img create"), "%s", err.msg);
}

Test(hv_virt, socket_path_from_uri)
{
	struct hv_error err = { 0 };
	char buf[64];

	cr_assert_eq(
	    hv_virt_socket_path("qemu+unix:///system?socket=/run/x.sock", buf,
	                        sizeof(buf), &err),
	    0);
	cr_assert_str_eq(buf, "/run/x.sock");
	cr_assert_eq(
	    hv_virt_socket_path("qemu+unix:///system?socket=/a.sock&no_tty=1",
	                        buf, sizeof(buf), &err),
	    0);
	cr_assert_str_eq(buf, "/a.sock");
	cr_assert_eq(hv_virt_socket_path("qemu+unix:///system?socket=rel.sock",
	                                 buf, sizeof(buf), &err),
	             -EINVAL);
	cr_assert_eq(hv_virt_socket_path("qemu+tcp://host/system", buf,
	                                 sizeof(buf), &err),
	             -ENOENT);
	cr_assert(strstr(err.msg, "socket=PATH"), "%s", err.msg);
}
