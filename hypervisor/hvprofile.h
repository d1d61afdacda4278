/*
 * hvprofile.h: what each hypervisor family offers a guest, and how a
 * device of another family is mapped onto it.
 *
 * One profile per family, each in its own file (hypervisor/kvm.c, xen.c,
 * vmware.c), all behind this one interface. A profile is constant data
 * plus two mapping functions that hv_vmdef_convert calls per disk and per
 * NIC: given the source device and whether the guest has the target's
 * paravirtual drivers, choose the target's bus, SCSI model or NIC model.
 */
#ifndef SKYFERRY_HV_HVPROFILE_H
#define SKYFERRY_HV_HVPROFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "hypervisor/hv_error.h"
#include "hypervisor/vmdef.h"

#define HV_PROFILE_MAX_BUSES  6
#define HV_PROFILE_MAX_SCSI   6
#define HV_PROFILE_MAX_NICS   7
#define HV_PROFILE_MAX_FORMAT 5
#define HV_PROFILE_WHY_MAX    128

/*
 * Where disks of one bus can sit: controllers 0..controllers-1, each with
 * units 0..units-1 except reserved_unit (the controller's own id, -1 for
 * none). For IDE a "controller" is a channel: primary 0, secondary 1.
 */
struct hv_bus_slots {
	enum hv_disk_bus bus;
	unsigned int controllers;
	unsigned int units;
	int reserved_unit;
};

/*
 * A mapping function's answer for one disk. why is "" when the disk
 * keeps its bus and model; otherwise a sentence saying why it had to
 * change ("KVM has no LSI Logic SAS/Parallel controller the guest can
 * drive"). pv_hint: the choice depended on opts->paravirt, so the note
 * says so. When bus has no free slot left, has_fallback lets the disk go
 * to fallback_bus instead (Xen: IDE's four slots, then xvd).
 */
struct hv_disk_choice {
	enum hv_disk_bus bus;
	enum hv_scsi_model scsi_model;
	char why[HV_PROFILE_WHY_MAX];
	bool pv_hint;
	bool has_fallback;
	enum hv_disk_bus fallback_bus;
};

/* A mapping function's answer for one NIC, as for disks. */
struct hv_nic_choice {
	enum hv_nic_model model;
	char why[HV_PROFILE_WHY_MAX];
	bool pv_hint;
};

struct hv_profile {
	const char *name;  /* "kvm", as hv_kind_name() */
	const char *title; /* "KVM", for notes */
	enum hv_kind kind;
	const char
	    *libvirt_drivers[3];    /* virConnectGetType names, NULL-ended */
	const char *uri_schemes[4]; /* libvirt URI schemes, NULL-ended */
	bool uri_transports;        /* scheme+ssh:// etc. are valid */
	const char *definition_formats[3]; /* NULL-ended */
	const char *pv_drivers;            /* the drivers --paravirt promises */

	/* Disk image formats the hypervisor reads, and the one we write. */
	enum hv_img_format formats[HV_PROFILE_MAX_FORMAT];
	size_t n_formats;
	enum hv_img_format target_format;
	const char *target_subformat; /* "" = the format's default */

	struct hv_bus_slots buses[HV_PROFILE_MAX_BUSES];
	size_t n_buses;
	enum hv_scsi_model scsi_models[HV_PROFILE_MAX_SCSI];
	size_t n_scsi_models;
	enum hv_nic_model nic_models[HV_PROFILE_MAX_NICS];
	size_t n_nic_models;
	enum hv_nic_model pv_nic; /* the NIC --paravirt gives */

	bool live_migration; /* libvirt can live-migrate between two hosts */
	bool uefi;
	bool serial_pty; /* a serial port can be a host pty (else a file) */

	/* The one internal interface: choose the target's device models. */
	void (*map_disk)(const struct hv_profile *self, enum hv_kind source,
	                 const struct hv_vmdisk *disk, bool paravirt,
	                 struct hv_disk_choice *out);
	void (*map_nic)(const struct hv_profile *self, enum hv_kind source,
	                enum hv_nic_model model, bool paravirt,
	                struct hv_nic_choice *out);
};

/* The profiles, defined in kvm.c, xen.c and vmware.c. */
extern const struct hv_profile hv_profile_kvm;
extern const struct hv_profile hv_profile_xen;
extern const struct hv_profile hv_profile_vmware;

/* The profile of kind, or NULL for an out-of-range kind. */
const struct hv_profile *hv_profile_get(enum hv_kind kind);

/*
 * The profile behind a libvirt connection URI, by its scheme:
 * qemu:///system and qemu+ssh://host/system are KVM, xen:///system is Xen,
 * esx://, vpx:// and gsx:// are VMware (which take no +transport). An
 * unknown scheme, a bad transport or no scheme at all is -EINVAL naming
 * it. *out is set on success only.
 */
int hv_profile_from_uri(const char *uri, const struct hv_profile **out,
                        struct hv_error *err);

/* Where disks of bus can sit on p, or NULL when p offers no such bus. */
const struct hv_bus_slots *hv_profile_bus(const struct hv_profile *p,
                                          enum hv_disk_bus bus);

/* p offers this NIC model, SCSI controller model, or reads this format. */
bool hv_profile_has_nic(const struct hv_profile *p, enum hv_nic_model model);
bool hv_profile_has_scsi(const struct hv_profile *p, enum hv_scsi_model m);
bool hv_profile_reads(const struct hv_profile *p, enum hv_img_format f);

/* (controller, unit) is a valid position of slots. */
bool hv_bus_slot_valid(const struct hv_bus_slots *slots,
                       unsigned int controller, unsigned int unit);

/* Start a disk choice that keeps disk's bus and model. */
void hv_disk_choice_keep(struct hv_disk_choice *out,
                         const struct hv_vmdisk *disk);

/*
 * The NIC mapping every profile shares: a model the target has is kept
 * (the guest drives it); any other becomes the target's paravirtual NIC
 * with paravirt, e1000 without.
 */
void hv_profile_map_nic(const struct hv_profile *self, enum hv_kind source,
                        enum hv_nic_model model, bool paravirt,
                        struct hv_nic_choice *out);

#endif
