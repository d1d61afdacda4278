/*
 * convert.c: convert a neutral VM definition for another hypervisor.
 *
 * The target's profile chooses each disk's bus and each NIC's model (keep
 * what the target has and the guest already drives; otherwise SATA/IDE
 * and e1000, or the target's paravirtual devices with opts->paravirt).
 * Then every disk gets a position on its new bus: a disk that kept its bus
 * keeps its position when the target has it free, the others take the
 * lowest free one. Serial ports stay as they are, but on a target
 * without host ptys (VMware) a pty becomes a file next to the definition,
 * NAME-serialN.log. Every change is one note on the result.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hypervisor/hvprofile.h"
#include "hypervisor/vmdef.h"
#include "hypervisor/vmdef_xml.h"

#define CV_BUSES       (HV_BUS_XEN + 1)
#define CV_CONTROLLERS 8
#define CV_UNITS       HV_VMDEF_MAX_DISKS

/* The positions taken on the target, and each SCSI controller's model. */
struct cv_slots {
	const struct hv_profile *profile;
	bool used[CV_BUSES][CV_CONTROLLERS][CV_UNITS];
	bool scsi_set[CV_CONTROLLERS];
	enum hv_scsi_model scsi_model[CV_CONTROLLERS];
};

/* Where a disk sits, and on what. */
struct cv_pos {
	enum hv_disk_bus bus;
	enum hv_scsi_model scsi_model;
	unsigned int controller, unit;
};

/* What one disk was, and what it becomes. */
struct cv_disk {
	char label[16];
	struct cv_pos was, now;
	enum hv_img_format format;
	struct hv_disk_choice choice;
	bool placed, fell_back;
};

static const char *const scsi_names[] = {
	[HV_SCSI_DEFAULT] = "default",   [HV_SCSI_VIRTIO] = "virtio-scsi",
	[HV_SCSI_LSILOGIC] = "lsilogic", [HV_SCSI_LSISAS1068] = "lsisas1068",
	[HV_SCSI_PVSCSI] = "pvscsi",     [HV_SCSI_BUSLOGIC] = "buslogic",
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Refuse a source whose counts or enums are out of range. */
static int cv_check(const struct hv_vmdef *src, struct hv_error *err)
{
	size_t i;

	if (src->n_disks > HV_VMDEF_MAX_DISKS ||
	    src->n_nics > HV_VMDEF_MAX_NICS)
		return hv_error_set(err, -EINVAL,
		                    "convert: %zu disks and %zu NICs, at most "
		                    "%d and %d",
		                    src->n_disks, src->n_nics,
		                    HV_VMDEF_MAX_DISKS, HV_VMDEF_MAX_NICS);
	for (i = 0; i < src->n_disks; i++) {
		const struct hv_vmdisk *d = &src->disks[i];

		if ((unsigned int)d->bus >= CV_BUSES ||
		    (unsigned int)d->scsi_model >= ARRAY_LEN(scsi_names) ||
		    (unsigned int)d->device > HV_DEV_CDROM)
			return hv_error_set(err, -EINVAL,
			                    "convert: disk %zu has an unknown "
			                    "bus, model or device",
			                    i);
	}
	for (i = 0; i < src->n_nics; i++)
		if (!strcmp(hv_nic_model_name(src->nics[i].model), "?"))
			return hv_error_set(
			    err, -EINVAL,
			    "convert: nic %zu has an unknown model", i);
	if (src->n_serials > HV_VMDEF_MAX_SERIALS)
		return hv_error_set(err, -EINVAL,
		                    "convert: %zu serial ports, at most %d",
		                    src->n_serials, HV_VMDEF_MAX_SERIALS);
	for (i = 0; i < src->n_serials; i++)
		if (!strcmp(hv_serial_type_name(src->serials[i].type), "?"))
			return hv_error_set(
			    err, -EINVAL,
			    "convert: serial port %zu has an unknown type", i);
	return 0;
}

/* "sata", or "scsi (lsilogic)" for a SCSI bus. */
static const char *cv_bus_text(enum hv_disk_bus bus, enum hv_scsi_model m,
                               char *buf, size_t size)
{
	if (bus != HV_BUS_SCSI)
		return hv_disk_bus_name(bus);
	snprintf(buf, size, "scsi (%s)", scsi_names[m]);
	return buf;
}

static bool cv_free(const struct cv_slots *s, enum hv_disk_bus bus,
                    enum hv_scsi_model model, unsigned int c, unsigned int u)
{
	const struct hv_bus_slots *slots = hv_profile_bus(s->profile, bus);

	if (!slots || !hv_bus_slot_valid(slots, c, u) || c >= CV_CONTROLLERS ||
	    u >= CV_UNITS || s->used[bus][c][u])
		return false;
	return bus != HV_BUS_SCSI || !s->scsi_set[c] ||
	       s->scsi_model[c] == model;
}

static void cv_take(struct cv_slots *s, const struct cv_pos *d)
{
	s->used[d->bus][d->controller][d->unit] = true;
	if (d->bus == HV_BUS_SCSI) {
		s->scsi_set[d->controller] = true;
		s->scsi_model[d->controller] = d->scsi_model;
	}
}

/* Put d at the lowest free position of bus; false when there is none. */
static bool cv_place(struct cv_slots *s, struct cv_pos *d, enum hv_disk_bus bus)
{
	for (unsigned int c = 0; c < CV_CONTROLLERS; c++) {
		for (unsigned int u = 0; u < CV_UNITS; u++) {
			if (!cv_free(s, bus, d->scsi_model, c, u))
				continue;
			d->bus = bus;
			d->controller = c;
			d->unit = u;
			cv_take(s, d);
			return true;
		}
	}
	return false;
}

/*
 * Position every disk: first those that keep bus and position, then those
 * with no fall-back bus, then the rest (so that Xen's CD-ROMs get IDE
 * slots before disks that could go to xvd).
 */
static int cv_renumber(struct cv_slots *s, struct cv_disk *cd, size_t n,
                       struct hv_error *err)
{
	const struct hv_bus_slots *slots;
	struct cv_pos *d;
	size_t i;
	int pass;

	for (i = 0; i < n; i++) {
		d = &cd[i].now;
		if (d->bus == cd[i].was.bus &&
		    cv_free(s, d->bus, d->scsi_model, d->controller, d->unit)) {
			cv_take(s, d);
			cd[i].placed = true;
		}
	}
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < n; i++) {
			d = &cd[i].now;
			if (cd[i].placed || cd[i].choice.has_fallback != pass)
				continue;
			cd[i].placed = cv_place(s, d, d->bus);
			if (!cd[i].placed && cd[i].choice.has_fallback)
				cd[i].placed = cd[i].fell_back =
				    cv_place(s, d, cd[i].choice.fallback_bus);
			if (cd[i].placed)
				continue;
			slots = hv_profile_bus(s->profile, d->bus);
			return hv_error_set(
			    err, -EINVAL,
			    "convert: disk %s: no free position on %s's %s bus "
			    "(%u controllers of %u)",
			    cd[i].label, s->profile->title,
			    hv_disk_bus_name(d->bus),
			    slots ? slots->controllers : 0,
			    slots ? slots->units : 0);
		}
	}
	return 0;
}

/* "; use --paravirt if the guest has virtio drivers", or its opposite. */
static void cv_hint(const struct hv_profile *p, bool pv_hint, bool paravirt,
                    char *buf, size_t size)
{
	if (!pv_hint)
		buf[0] = '\0';
	else if (paravirt)
		snprintf(buf, size, "; the guest has %s drivers (--paravirt)",
		         p->pv_drivers);
	else
		snprintf(buf, size,
		         "; use --paravirt if the guest has %s drivers",
		         p->pv_drivers);
}

static void cv_disk_note(struct hv_vmdef *dst, const struct hv_profile *p,
                         const struct cv_disk *cd, bool paravirt)
{
	char from[32], to[32], hint[96];
	const struct cv_pos *was = &cd->was, *d = &cd->now;

	cv_hint(p, cd->choice.pv_hint, paravirt, hint, sizeof(hint));
	if (was->bus != d->bus || was->scsi_model != d->scsi_model) {
		hv_vmdef_note(
		    dst, "disk %s: bus %s -> %s: %s%s%s", cd->label,
		    cv_bus_text(was->bus, was->scsi_model, from, sizeof(from)),
		    cv_bus_text(d->bus, d->scsi_model, to, sizeof(to)),
		    cd->choice.why,
		    cd->fell_back ? "; the IDE slots are taken" : "", hint);
	} else if (was->controller != d->controller || was->unit != d->unit) {
		hv_vmdef_note(dst,
		              "disk %s: %s %u:%u -> %u:%u: that position is "
		              "taken or does not exist on %s",
		              cd->label, hv_disk_bus_name(d->bus),
		              was->controller, was->unit, d->controller,
		              d->unit, p->title);
	}
	if (!hv_profile_reads(p, cd->format))
		hv_vmdef_note(dst,
		              "disk %s: %s cannot read %s; convert the "
		              "image to %s",
		              cd->label, p->title,
		              hv_img_format_name(cd->format),
		              hv_img_format_name(p->target_format));
}

/* Choose and place every disk; dst changes only on success. */
static int cv_disks(struct hv_vmdef *dst, const struct hv_profile *p,
                    enum hv_kind source, bool paravirt, struct hv_error *err)
{
	struct cv_disk cd[HV_VMDEF_MAX_DISKS];
	struct cv_slots slots;
	struct hv_vmdisk *d;
	size_t i;
	int rc;

	memset(&slots, 0, sizeof(slots));
	slots.profile = p;
	for (i = 0; i < dst->n_disks; i++) {
		d = &dst->disks[i];
		hv_vmdef_disk_name(dst, i, cd[i].label, sizeof(cd[i].label));
		cd[i].was = (struct cv_pos){ d->bus, d->scsi_model,
			                     d->controller, d->unit };
		cd[i].format = d->format;
		cd[i].placed = cd[i].fell_back = false;
		p->map_disk(p, source, d, paravirt, &cd[i].choice);
		cd[i].now = cd[i].was;
		cd[i].now.bus = cd[i].choice.bus;
		cd[i].now.scsi_model = cd[i].choice.scsi_model;
	}
	rc = cv_renumber(&slots, cd, dst->n_disks, err);
	if (rc < 0)
		return rc;
	for (i = 0; i < dst->n_disks; i++) {
		d = &dst->disks[i];
		d->bus = cd[i].now.bus;
		d->scsi_model = cd[i].now.scsi_model;
		d->controller = cd[i].now.controller;
		d->unit = cd[i].now.unit;
		cv_disk_note(dst, p, &cd[i], paravirt);
	}
	return 0;
}

static void cv_nics(struct hv_vmdef *dst, const struct hv_profile *p,
                    enum hv_kind source, bool paravirt)
{
	struct hv_nic_choice choice;
	struct hv_vmnic *nic;
	char hint[96];

	for (size_t i = 0; i < dst->n_nics; i++) {
		nic = &dst->nics[i];
		p->map_nic(p, source, nic->model, paravirt, &choice);
		if (!nic->mac[0])
			hv_vmdef_note(
			    dst,
			    "nic %zu: no MAC address; %s will generate "
			    "one, so the guest sees a new NIC",
			    i, p->title);
		if (choice.model == nic->model)
			continue;
		cv_hint(p, choice.pv_hint, paravirt, hint, sizeof(hint));
		hv_vmdef_note(
		    dst, "nic %zu%s%s%s: model %s -> %s: %s%s", i,
		    nic->mac[0] ? " (" : "", nic->mac, nic->mac[0] ? ")" : "",
		    hv_nic_model_name(nic->model),
		    hv_nic_model_name(choice.model), choice.why, hint);
		nic->model = choice.model;
	}
}

/*
 * A pty on a target without host ptys becomes the file NAME-serialN.log,
 * relative: next to the definition. '/' and control bytes in the name
 * become '_', so the file stays in that directory.
 */
static void cv_serials(struct hv_vmdef *dst, const struct hv_profile *p)
{
	struct hv_vmserial *s;
	char *c;

	for (size_t i = 0; i < dst->n_serials; i++) {
		s = &dst->serials[i];
		if (s->type != HV_SERIAL_PTY || p->serial_pty)
			continue;
		snprintf(s->path, sizeof(s->path), "%.*s-serial%zu.log",
		         (int)strnlen(dst->name, sizeof(dst->name)), dst->name,
		         i);
		for (c = s->path; *c; c++)
			if (*c == '/' || (unsigned char)*c < 0x20 || *c == 0x7f)
				*c = '_';
		s->type = HV_SERIAL_FILE;
		hv_vmdef_note(dst,
		              "serial %zu: pty -> file %s: %s has no pty; the "
		              "console output goes to that file, next to the "
		              "definition",
		              i, s->path, p->title);
	}
}

int hv_vmdef_convert(const struct hv_vmdef *src,
                     const struct hv_convert_opts *opts, struct hv_vmdef *dst,
                     struct hv_error *err)
{
	const struct hv_profile *p;
	enum hv_kind source;
	int rc;

	if (!src || !opts || !dst)
		return hv_error_set(err, -EINVAL, "convert: NULL argument");
	p = hv_profile_get(opts->target);
	if (!p)
		return hv_error_set(
		    err, -EINVAL, "convert: target kind %d is not a hypervisor",
		    (int)opts->target);
	rc = cv_check(src, err);
	if (rc < 0)
		return rc;
	source = src->kind;
	if (dst != src)
		*dst = *src;
	rc = cv_disks(dst, p, source, opts->paravirt, err);
	if (rc < 0)
		return rc;
	dst->kind = p->kind;
	if (dst->firmware == HV_FW_UEFI && !p->uefi)
		hv_vmdef_note(dst,
		              "firmware: %s has no UEFI; kept, the guest "
		              "may not boot",
		              p->title);
	cv_nics(dst, p, source, opts->paravirt);
	cv_serials(dst, p);
	return 0;
}
