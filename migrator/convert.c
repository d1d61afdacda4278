/*
 * convert.c: `migrator convert`: a VM definition and its disks, converted
 * for another hypervisor on this host.
 */
#include "migrator/convert.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <libvirt/libvirt.h>

#include "hypervisor/diskstream.h"
#include "hypervisor/hvprofile.h"
#include "hypervisor/image.h"
#include "hypervisor/virt.h"
#include "hypervisor/vmdef_file.h"

int mig_target_format(const struct mig_opts *o, enum hv_kind target,
                      enum hv_img_format *format, char *subformat, size_t len)
{
	const struct hv_profile *p = hv_profile_get(target);
	char name[16];
	size_t n;

	if (!o->disk_format) {
		*format = p->target_format;
		snprintf(subformat, len, "%s", p->target_subformat);
		return 0;
	}
	n = strcspn(o->disk_format, ":");
	snprintf(name, sizeof(name), "%.*s", (int)n, o->disk_format);
	if (hv_img_format_parse(name, format) < 0)
		return -EINVAL;
	snprintf(subformat, len, "%s",
	         o->disk_format[n] ? o->disk_format + n + 1 : "");
	return 0;
}

void mig_retarget_disks(struct hv_vmdef *def, enum hv_img_format format,
                        const char *subformat)
{
	size_t i;

	for (i = 0; i < def->n_disks; i++) {
		if (def->disks[i].device == HV_DEV_CDROM)
			continue;
		def->disks[i].format = format;
		snprintf(def->disks[i].subformat,
		         sizeof(def->disks[i].subformat), "%s", subformat);
	}
}

void mig_print_notes(FILE *out, const struct hv_vmdef *def)
{
	size_t i;

	for (i = 0; i < def->n_notes; i++)
		fprintf(out, "note: %s\n", def->notes[i]);
	if (def->notes_truncated)
		fprintf(out, "note: (more notes were cut)\n");
}

/* The converted disks, one JSON object each. */
static json_t *convert_json(const struct hv_vmdef *dst, char files[][4096],
                            size_t n_files, const uint64_t *data_bytes)
{
	json_t *root = json_object(), *disks = json_array(),
	       *notes = json_array(), *jfiles = json_array();
	size_t i;

	for (i = 0; i < dst->n_disks; i++)
		json_array_append_new(
		    disks, json_pack("{s:s,s:s,s:s,s:I}", "path",
		                     dst->disks[i].path, "format",
		                     hv_img_format_name(dst->disks[i].format),
		                     "bus", hv_disk_bus_name(dst->disks[i].bus),
		                     "data_bytes", (json_int_t)data_bytes[i]));
	for (i = 0; i < dst->n_notes; i++)
		json_array_append_new(notes, json_string(dst->notes[i]));
	for (i = 0; i < n_files; i++)
		json_array_append_new(jfiles, json_string(files[i]));
	json_object_set_new(root, "event", json_string("converted"));
	json_object_set_new(root, "name", json_string(dst->name));
	json_object_set_new(root, "target",
	                    json_string(hv_kind_name(dst->kind)));
	json_object_set_new(root, "definition", jfiles);
	json_object_set_new(root, "disks", disks);
	json_object_set_new(root, "notes", notes);
	return root;
}

static int convert_define(const struct mig_opts *o, struct hv_vmdef *dst)
{
	struct hv_error herr = { 0 };
	virConnectPtr conn = NULL;
	bool defined = false;
	int rc = MIG_EXIT_FAILED;

	if (dst->kind == HV_KIND_VMWARE) {
		fprintf(
		    stderr,
		    "migrator: convert: --define: libvirt's ESX driver cannot "
		    "define a VM from a .vmx here; register it in vSphere\n");
		return MIG_EXIT_USAGE;
	}
	hv_virt_init();
	conn = hv_virt_open(o->libvirt_uri, &herr);
	if (conn &&
	    hv_virt_define_vmdef(conn, dst, false, &defined, &herr) == 0) {
		fprintf(stderr, "migrator: convert: defined '%s' in %s\n",
		        dst->name, o->libvirt_uri);
		rc = MIG_EXIT_OK;
	} else {
		fprintf(stderr, "migrator: convert: --define: %s\n", herr.msg);
	}
	if (conn)
		virConnectClose(conn);
	return rc;
}

/* Convert every disk of src into out_dir; dst's paths and formats follow. */
static int convert_disks(const struct mig_opts *o, const struct hv_vmdef *src,
                         struct hv_vmdef *dst, uint64_t *data_bytes,
                         size_t *made)
{
	struct hv_dstream_stats st;
	struct hv_error herr = { 0 };
	enum hv_img_format format;
	char subformat[32];
	size_t i;

	if (mig_target_format(o, dst->kind, &format, subformat,
	                      sizeof(subformat)) < 0)
		return MIG_EXIT_USAGE;
	for (i = 0; i < src->n_disks; i++) {
		struct hv_vmdisk *d = &dst->disks[i];

		if (!src->disks[i].path[0] ||
		    src->disks[i].device == HV_DEV_CDROM)
			continue; /* media stay where they are */
		snprintf(d->path, sizeof(d->path), "%s/%s-disk%zu.%s",
		         o->out_dir, dst->name, i, hv_img_format_ext(format));
		d->format = format;
		snprintf(d->subformat, sizeof(d->subformat), "%s", subformat);
		memset(&st, 0, sizeof(st));
		if (hv_disk_convert(src->disks[i].path, src->disks[i].format,
		                    d->path, format, subformat, &st,
		                    &herr) < 0) {
			fprintf(stderr,
			        "migrator: convert: disk %zu (%s): %s\n", i,
			        src->disks[i].path, herr.msg);
			return MIG_EXIT_FAILED;
		}
		*made = i + 1;
		data_bytes[i] = st.data_bytes;
		if (!o->json)
			fprintf(stderr,
			        "disk %zu: %s (%s) -> %s (%s%s%s): %" PRIu64
			        " MiB of data, %" PRIu64 " MiB virtual\n",
			        i, src->disks[i].path,
			        hv_img_format_name(src->disks[i].format),
			        d->path, hv_img_format_name(format),
			        subformat[0] ? " " : "", subformat,
			        st.data_bytes >> 20, st.virtual_size >> 20);
	}
	return MIG_EXIT_OK;
}

int mig_convert(const struct mig_opts *o)
{
	struct hv_convert_opts copts = { .target = (enum hv_kind)o->target_kind,
		                         .paravirt = o->paravirt };
	struct hv_vmdef *src = calloc(1, sizeof(*src)),
	                *dst = calloc(1, sizeof(*dst));
	uint64_t data_bytes[HV_VMDEF_MAX_DISKS] = { 0 };
	char files[HV_VMDEF_FILES][4096];
	struct hv_error herr = { 0 };
	enum hv_img_format format;
	enum hv_def_format from;
	char subformat[32];
	size_t n_files = 0, made = 0, i;
	int rc = MIG_EXIT_FAILED;

	if (!src || !dst)
		goto out;
	if (o->convert_from && hv_def_format_parse(o->convert_from, &from) < 0)
		goto out;
	if (hv_vmdef_load(o->convert_src, o->convert_from ? &from : NULL, src,
	                  &herr) < 0) {
		fprintf(stderr, "migrator: convert: %s\n", herr.msg);
		rc = MIG_EXIT_USAGE;
		goto out;
	}
	if (mig_target_format(o, copts.target, &format, subformat,
	                      sizeof(subformat)) < 0) {
		rc = MIG_EXIT_USAGE;
		goto out;
	}
	/* The disks are converted too: the target reads what it gets. */
	*dst = *src;
	mig_retarget_disks(dst, format, subformat);
	if (hv_vmdef_convert(dst, &copts, dst, &herr) < 0) {
		fprintf(stderr, "migrator: convert: %s\n", herr.msg);
		goto out;
	}
	if (mkdir(o->out_dir, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "migrator: convert: %s: %s\n", o->out_dir,
		        strerror(errno));
		goto out;
	}
	rc = convert_disks(o, src, dst, data_bytes, &made);
	if (rc == MIG_EXIT_OK &&
	    hv_vmdef_save(dst, o->out_dir, files, &n_files, &herr) < 0) {
		fprintf(stderr, "migrator: convert: %s\n", herr.msg);
		rc = MIG_EXIT_FAILED;
	}
	if (rc == MIG_EXIT_OK && o->define)
		rc = convert_define(o, dst);
	if (rc != MIG_EXIT_OK) {
		for (i = 0; i < n_files; i++)
			unlink(files[i]);
		for (i = 0; i < made; i++)
			if (dst->disks[i].path[0] &&
			    src->disks[i].device != HV_DEV_CDROM)
				hv_image_remove_fmt(
				    dst->disks[i].path, dst->disks[i].format,
				    dst->disks[i].subformat, NULL);
		goto out;
	}
	if (o->json) {
		json_t *j = convert_json(dst, files, n_files, data_bytes);

		json_dumpf(j, stdout, JSON_COMPACT);
		fputc('\n', stdout);
		json_decref(j);
	} else {
		mig_print_notes(stderr, dst);
		for (i = 0; i < n_files; i++)
			printf("%s\n", files[i]);
	}
out:
	free(src);
	free(dst);
	return rc;
}
