/*
 * image.h: disk images, made and removed through QEMU's own tools.
 */
#ifndef SKYFERRY_HV_IMAGE_H
#define SKYFERRY_HV_IMAGE_H

#include <stdint.h>

#include "hypervisor/hv_error.h"
#include "hypervisor/vmdef.h"

/*
 * Create an empty image of format (raw or qcow2 only) and virtual_size bytes at
 * path with qemu-img. Refuses to overwrite: -EEXIST when path exists.
 */
int hv_image_create(const char *path, const char *format, uint64_t virtual_size,
                    struct hv_error *err);

/*
 * Create an empty image of any format. subformat (NULL or "" for the
 * default) is checked against a fixed list: vmdk monolithicSparse,
 * streamOptimized or monolithicFlat; vpc and vhdx dynamic or fixed; none
 * for raw and qcow2 (-EINVAL otherwise). A vpc image keeps virtual_size
 * exactly (force_size=on) instead of rounding it up to CHS geometry, as
 * Azure and Hyper-V expect. Sizes are rounded up to 512 bytes by qemu-img.
 * Refuses to overwrite: -EEXIST when path exists.
 */
int hv_image_create_fmt(const char *path, enum hv_img_format format,
                        const char *subformat, uint64_t virtual_size,
                        struct hv_error *err);

/*
 * Ask qemu-img info --output=json about path. format NULL lets qemu-img
 * probe (only for images we trust); otherwise it is the format to open the
 * image as. *virtual_size and *actual (each may be NULL) are set on success
 * only. A format skyferry does not handle is -ENOTSUP.
 */
int hv_image_info(const char *path, const enum hv_img_format *format,
                  uint64_t *virtual_size, enum hv_img_format *actual,
                  struct hv_error *err);

/* Remove an image we created; 0 also when it is already gone. */
int hv_image_remove(const char *path, struct hv_error *err);

/*
 * Remove an image and, for a vmdk monolithicFlat, its "-flat" extent file
 * beside it. 0 also when they are already gone.
 */
int hv_image_remove_fmt(const char *path, enum hv_img_format format,
                        const char *subformat, struct hv_error *err);

#endif
