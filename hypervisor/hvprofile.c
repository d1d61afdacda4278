/*
 * hvprofile.c: find a hypervisor profile by kind or by libvirt URI, and
 * what every profile shares (table look-ups, the NIC mapping).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hypervisor/hvprofile.h"

#define ARRAY_LEN(a)  (sizeof(a) / sizeof((a)[0]))
#define HV_SCHEME_MAX 32

static const struct hv_profile *const profiles[] = {
	[HV_KIND_KVM] = &hv_profile_kvm,
	[HV_KIND_XEN] = &hv_profile_xen,
	[HV_KIND_VMWARE] = &hv_profile_vmware,
};

/* libvirt's remote transports, as in qemu+ssh:// */
static const char *const transports[] = { "ssh", "tls",    "tcp",    "unix",
	                                  "ext", "libssh", "libssh2" };

const struct hv_profile *hv_profile_get(enum hv_kind kind)
{
	return (unsigned int)kind < ARRAY_LEN(profiles) ? profiles[kind] : NULL;
}

static bool in_list(const char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; i < n && list[i]; i++)
		if (!strcmp(list[i], s))
			return true;
	return false;
}

/* The profile with scheme s, or NULL. */
static const struct hv_profile *by_scheme(const char *s)
{
	for (size_t i = 0; i < ARRAY_LEN(profiles); i++)
		if (in_list(profiles[i]->uri_schemes,
		            ARRAY_LEN(profiles[i]->uri_schemes), s))
			return profiles[i];
	return NULL;
}

int hv_profile_from_uri(const char *uri, const struct hv_profile **out,
                        struct hv_error *err)
{
	char scheme[HV_SCHEME_MAX], shown[48];
	const struct hv_profile *p;
	const char *end;
	char *plus;

	if (!uri)
		return hv_error_set(err, -EINVAL, "libvirt URI: none given");
	end = strstr(uri, "://");
	if (!end || end == uri || (size_t)(end - uri) >= sizeof(scheme))
		return hv_error_set(err, -EINVAL,
		                    "libvirt URI '%s' has no scheme",
		                    hv_error_quote(uri, shown, sizeof(shown)));
	memcpy(scheme, uri, (size_t)(end - uri));
	scheme[end - uri] = '\0';
	plus = strchr(scheme, '+');
	if (plus)
		*plus++ = '\0';
	p = by_scheme(scheme);
	if (!p)
		return hv_error_set(
		    err, -EINVAL,
		    "libvirt URI scheme '%s' is not kvm (qemu), xen (xen) or "
		    "vmware (esx, vpx, gsx)",
		    hv_error_quote(scheme, shown, sizeof(shown)));
	if (plus && (!p->uri_transports ||
	             !in_list(transports, ARRAY_LEN(transports), plus)))
		return hv_error_set(
		    err, -EINVAL,
		    "libvirt URI scheme '%s': '%s' is not a transport %s takes",
		    scheme, hv_error_quote(plus, shown, sizeof(shown)),
		    p->title);
	*out = p;
	return 0;
}

const struct hv_bus_slots *hv_profile_bus(const struct hv_profile *p,
                                          enum hv_disk_bus bus)
{
	for (size_t i = 0; i < p->n_buses; i++)
		if (p->buses[i].bus == bus)
			return &p->buses[i];
	return NULL;
}

bool hv_profile_has_nic(const struct hv_profile *p, enum hv_nic_model model)
{
	for (size_t i = 0; i < p->n_nic_models; i++)
		if (p->nic_models[i] == model)
			return true;
	return false;
}

bool hv_profile_has_scsi(const struct hv_profile *p, enum hv_scsi_model m)
{
	for (size_t i = 0; i < p->n_scsi_models; i++)
		if (p->scsi_models[i] == m)
			return true;
	return false;
}

bool hv_profile_reads(const struct hv_profile *p, enum hv_img_format f)
{
	for (size_t i = 0; i < p->n_formats; i++)
		if (p->formats[i] == f)
			return true;
	return false;
}

bool hv_bus_slot_valid(const struct hv_bus_slots *slots,
                       unsigned int controller, unsigned int unit)
{
	return controller < slots->controllers && unit < slots->units &&
	       (slots->reserved_unit < 0 ||
	        unit != (unsigned int)slots->reserved_unit);
}

void hv_disk_choice_keep(struct hv_disk_choice *out,
                         const struct hv_vmdisk *disk)
{
	memset(out, 0, sizeof(*out));
	out->bus = disk->bus;
	out->scsi_model = disk->scsi_model;
}

void hv_profile_map_nic(const struct hv_profile *self, enum hv_kind source,
                        enum hv_nic_model model, bool paravirt,
                        struct hv_nic_choice *out)
{
	(void)source;
	memset(out, 0, sizeof(*out));
	out->model = model;
	if (hv_profile_has_nic(self, model))
		return;
	out->model = paravirt ? self->pv_nic : HV_NIC_E1000;
	out->pv_hint = true;
	snprintf(out->why, sizeof(out->why), "%s has no %s NIC", self->title,
	         hv_nic_model_name(model));
}
