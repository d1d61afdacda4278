/*
 * convert.h: `migrator convert`, and what it shares with cold and warm
 * moves: the target image format and the conversion notes.
 */
#ifndef MIG_CONVERT_H
#define MIG_CONVERT_H

#include <stddef.h>
#include <stdio.h>

#include "hypervisor/vmdef.h"
#include "migrator/opts.h"

/* Convert o->convert_src for o->target_kind into o->out_dir: an exit code. */
int mig_convert(const struct mig_opts *o);

/*
 * The image format for disks bound for target: --disk-format, else the
 * target profile's. 0 or -EINVAL.
 */
int mig_target_format(const struct mig_opts *o, enum hv_kind target,
                      enum hv_img_format *format, char *subformat, size_t len);

/* Every disk of def but cdroms gets format and subformat. */
void mig_retarget_disks(struct hv_vmdef *def, enum hv_img_format format,
                        const char *subformat);

/* "note: ..." lines of def, to out. */
void mig_print_notes(FILE *out, const struct hv_vmdef *def);

#endif
