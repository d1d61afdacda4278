/*
 * vmdef_file.h: read a VM definition file of any format skyferry knows,
 * and write the definition files of a target hypervisor.
 *
 *   kvm     NAME.xml  (libvirt domain XML)
 *   xen     NAME.cfg  (xl.cfg) and NAME.xml (libvirt domain XML, libxl)
 *   vmware  NAME.vmx
 */
#ifndef SKYFERRY_HV_VMDEF_FILE_H
#define SKYFERRY_HV_VMDEF_FILE_H

#include <stddef.h>

#include "hypervisor/hv_error.h"
#include "hypervisor/vmdef.h"

#define HV_VMDEF_FILE_MAX (4u << 20) /* bytes of a definition file */
#define HV_VMDEF_FILES    2          /* files one definition writes, at most */

enum hv_def_format {
	HV_DEF_XML,   /* libvirt domain XML */
	HV_DEF_VMX,   /* VMware .vmx */
	HV_DEF_XLCFG, /* Xen xl.cfg */
};

const char *hv_def_format_name(enum hv_def_format f); /* xml, vmx, xl.cfg */

/* "xml", "vmx", "xl"/"xlcfg"/"xl.cfg"; -EINVAL otherwise. */
int hv_def_format_parse(const char *s, enum hv_def_format *out);

/*
 * The format of path: by its extension (.xml, .vmx, .cfg/.xl/.conf), else
 * by its first non-blank byte ('<': XML). -EINVAL naming the file when
 * neither tells.
 */
int hv_def_format_guess(const char *path, const char *text, size_t len,
                        enum hv_def_format *out, struct hv_error *err);

/*
 * Read and parse a definition file (at most HV_VMDEF_FILE_MAX bytes).
 * format NULL: guess it. Relative disk and serial port file paths are
 * made absolute against the file's directory. Errors carry the parser's line
 * and column.
 */
int hv_vmdef_load(const char *path, const enum hv_def_format *format,
                  struct hv_vmdef *def, struct hv_error *err);

/* The definition text of def in format; *out is the caller's (free). */
int hv_vmdef_format(const struct hv_vmdef *def, enum hv_def_format format,
                    char **out, struct hv_error *err);

/*
 * Write def's files for def->kind into dir as NAME.EXT, never replacing a
 * file (-EEXIST). paths receives what was written (n_paths of them); on
 * failure nothing written is left.
 */
int hv_vmdef_save(const struct hv_vmdef *def, const char *dir,
                  char paths[HV_VMDEF_FILES][4096], size_t *n_paths,
                  struct hv_error *err);

/* The usual file extension of an image format: img, qcow2, vmdk, vhd, vhdx. */
const char *hv_img_format_ext(enum hv_img_format f);

#endif
