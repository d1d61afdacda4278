/*
 * image.h: disk images, made and removed through QEMU's own tools.
 */
#ifndef SKYFERRY_HV_IMAGE_H
#define SKYFERRY_HV_IMAGE_H

#include <stdint.h>

#include "hypervisor/hv_error.h"

/*
 * Create an empty image of format (raw or qcow2) and virtual_size bytes at
 * path with qemu-img. Refuses to overwrite: -EEXIST when path exists.
 */
int hv_image_create(const char *path, const char *format, uint64_t virtual_size,
                    struct hv_error *err);

/* Remove an image we created; 0 also when it is already gone. */
int hv_image_remove(const char *path, struct hv_error *err);

#endif
