/*
 * test_hvprofile.c: the hypervisor profiles: look-up by kind and by
 * libvirt URI, and what each table promises.
 */
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>

#include "hypervisor/hvprofile.h"

static void uri_is(const char *uri, enum hv_kind kind)
{
	const struct hv_profile *p = NULL;
	struct hv_error err = { 0 };

	cr_assert_eq(hv_profile_from_uri(uri, &p, &err), 0, "%s: %s", uri,
	             err.msg);
	cr_assert_eq(p, hv_profile_get(kind), "%s", uri);
}

static void uri_refused(const char *uri, const char *what)
{
	const struct hv_profile *p = NULL;
	struct hv_error err = { 0 };

	cr_assert_eq(hv_profile_from_uri(uri, &p, &err), -EINVAL, "%s", uri);
	cr_assert_null(p);
	cr_assert_not_null(strstr(err.msg, what), "'%s' lacks '%s'", err.msg,
	                   what);
}

Test(hvprofile, uri_schemes)
{
	uri_is("qemu:///system", HV_KIND_KVM);
	uri_is("qemu+ssh://root@host/system", HV_KIND_KVM);
	uri_is("qemu+tls://host/system", HV_KIND_KVM);
	uri_is("xen:///system", HV_KIND_XEN);
	uri_is("xen+ssh://host/system", HV_KIND_XEN);
	uri_is("esx://esx1.example.com/?no_verify=1", HV_KIND_VMWARE);
	uri_is("vpx://vcenter/dc1/srv1", HV_KIND_VMWARE);
	uri_is("gsx://gsx.example.com", HV_KIND_VMWARE);
	uri_refused("lxc:///system", "libvirt URI scheme 'lxc' is not");
	uri_refused("esx+ssh://host", "'ssh' is not a transport VMware takes");
	uri_refused("qemu+pigeon://host/system", "'pigeon' is not a transport");
	uri_refused("qemu", "has no scheme");
	uri_refused("://x", "has no scheme");
	uri_refused(NULL, "none given");
}

Test(hvprofile, by_kind)
{
	cr_assert_eq(hv_profile_get(HV_KIND_KVM), &hv_profile_kvm);
	cr_assert_eq(hv_profile_get(HV_KIND_XEN), &hv_profile_xen);
	cr_assert_eq(hv_profile_get(HV_KIND_VMWARE), &hv_profile_vmware);
	cr_assert_null(hv_profile_get((enum hv_kind)3));
	for (int k = HV_KIND_KVM; k <= HV_KIND_VMWARE; k++) {
		const struct hv_profile *p = hv_profile_get((enum hv_kind)k);

		cr_assert_eq(p->kind, (enum hv_kind)k);
		cr_assert_str_eq(p->name, hv_kind_name(p->kind));
		cr_assert(hv_profile_reads(p, p->target_format));
		cr_assert(hv_profile_has_nic(p, HV_NIC_E1000), "%s", p->name);
		cr_assert(hv_profile_has_nic(p, p->pv_nic), "%s", p->name);
		cr_assert_not_null(hv_profile_bus(p, HV_BUS_IDE));
		cr_assert(p->uefi);
		cr_assert_not_null(p->map_disk);
		cr_assert_not_null(p->map_nic);
	}
}

Test(hvprofile, tables)
{
	const struct hv_profile *kvm = &hv_profile_kvm, *xen = &hv_profile_xen,
	                        *vmw = &hv_profile_vmware;

	cr_assert_str_eq(kvm->libvirt_drivers[0], "QEMU");
	cr_assert_str_eq(xen->libvirt_drivers[1], "libxl");
	cr_assert_str_eq(vmw->libvirt_drivers[0], "ESX");
	cr_assert(kvm->live_migration && xen->live_migration);
	cr_assert_not(vmw->live_migration);
	cr_assert_eq(kvm->target_format, HV_IMG_QCOW2);
	cr_assert_eq(xen->target_format, HV_IMG_VPC);
	cr_assert(hv_profile_reads(xen, HV_IMG_RAW) &&
	          hv_profile_reads(xen, HV_IMG_QCOW2));
	cr_assert_not(hv_profile_reads(xen, HV_IMG_VMDK));
	cr_assert_eq(vmw->target_format, HV_IMG_VMDK);
	cr_assert_str_eq(vmw->target_subformat, "monolithicSparse");
	cr_assert_str_eq(xen->definition_formats[1], "xl.cfg");
	cr_assert_str_eq(vmw->definition_formats[0], ".vmx");
	cr_assert_null(hv_profile_bus(kvm, HV_BUS_NVME));
	cr_assert_null(hv_profile_bus(xen, HV_BUS_SATA));
	cr_assert_null(hv_profile_bus(vmw, HV_BUS_VIRTIO));
	/* VMware's SCSI unit 7 is the controller; IDE is 2 x 2. */
	cr_assert_not(
	    hv_bus_slot_valid(hv_profile_bus(vmw, HV_BUS_SCSI), 0, 7));
	cr_assert(hv_bus_slot_valid(hv_profile_bus(vmw, HV_BUS_SCSI), 3, 15));
	cr_assert(hv_bus_slot_valid(hv_profile_bus(vmw, HV_BUS_SATA), 0, 29));
	cr_assert_not(hv_bus_slot_valid(hv_profile_bus(kvm, HV_BUS_IDE), 2, 0));
	cr_assert_not(
	    hv_bus_slot_valid(hv_profile_bus(kvm, HV_BUS_SATA), 0, 6));
	cr_assert(hv_profile_has_scsi(vmw, HV_SCSI_BUSLOGIC));
	cr_assert_not(hv_profile_has_scsi(kvm, HV_SCSI_LSILOGIC));
	cr_assert(hv_profile_has_nic(kvm, HV_NIC_VMXNET3));
	cr_assert_not(hv_profile_has_nic(xen, HV_NIC_VMXNET3));
	cr_assert_not(hv_profile_has_nic(vmw, HV_NIC_RTL8139));
}
