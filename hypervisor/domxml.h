/*
 * domxml.h: read a libvirt domain XML into a fixed-size summary, and rewrite
 * the disk sources of a domain XML for the destination host.
 *
 * The XML is parsed defensively (no network, no DTD, no entity definitions,
 * at most HV_DOMXML_MAX bytes). A value that does not fit its buffer is an
 * error, never silently truncated. While a call runs, libxml2's generic
 * error handler of the calling thread is silenced (libxml2 prints some
 * allocation failures there) and restored afterwards.
 */
#ifndef SKYFERRY_HV_DOMXML_H
#define SKYFERRY_HV_DOMXML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hypervisor/hv_error.h"

#define HV_MAX_DISKS  32
#define HV_MAX_NICS   16
#define HV_DOMXML_MAX (4u << 20) /* bytes of domain XML we accept */

struct hv_disk {
	char target[32];   /* <target dev=>, e.g. "vda" */
	char bus[16];      /* <target bus=>, "" if absent */
	char device[16];   /* disk|cdrom|floppy|lun */
	char type[16];     /* file|block|network|volume|dir */
	char source[4096]; /* file, dev, dir, network name or pool/volume; ""
	                      when the disk has no source (empty cdrom) */
	char format[16];   /* <driver type=>: raw|qcow2|...; "" if absent */
	bool readonly, shareable;
};

struct hv_nic {
	char mac[18];     /* lower case "52:54:00:..", "" if absent */
	char model[32];   /* <model type=>, "" if absent */
	char type[16];    /* bridge|network|direct|user|... */
	char source[256]; /* bridge, network or device name, "" if none */
};

struct hv_domain {
	char name[256];
	char uuid[37];      /* canonical, lower case */
	char virt_type[16]; /* <domain type=>: kvm|qemu|xen|vmware|... */
	char arch[32];      /* <os><type arch=>, "" if absent */
	char machine[64];   /* <os><type machine=>, "" if absent */
	uint64_t memory_kib;
	unsigned int vcpus;
	char *cpu_xml; /* the <cpu> element serialized, NULL if none; owned */
	struct hv_disk disks[HV_MAX_DISKS];
	size_t n_disks;
	struct hv_nic nics[HV_MAX_NICS];
	size_t n_nics;
};

/*
 * Parse len bytes of domain XML into *dom. Returns 0 or a negative errno:
 * -EMSGSIZE (empty or over HV_DOMXML_MAX), -EINVAL (malformed, or a missing,
 * duplicated or out-of-range element or attribute), -ENOMEM. *dom is
 * overwritten; it is the caller's on success only (release it with
 * hv_domain_clear), and left cleared on failure.
 */
int hv_domxml_parse(const char *xml, size_t len, struct hv_domain *dom,
                    struct hv_error *err);

/* Free what dom owns and zero it. NULL-safe. */
void hv_domain_clear(struct hv_domain *dom);

struct hv_disk_map {
	const char *target; /* <target dev=> of a disk in the XML */
	const char *path;   /* new file path: absolute, clean */
	const char *format; /* new <driver type=>, or NULL to keep it */
};

/*
 * Point the disks named by map[].target at new files: the disk becomes
 * type='file' with <source file=path/> (a 'block' disk's dev= is replaced),
 * its <backingStore> is dropped (the copy is flat) and, if map[].format is
 * set, its <driver type=> is rewritten. Everything else is kept as it was.
 * Disks of other types (network, volume, dir) cannot be mapped.
 *
 * Returns a new NUL-terminated XML string that the caller frees with free(),
 * or NULL with err filled: -ENOENT if a target is not in the XML, -EINVAL for
 * a bad map (duplicate target, bad path or format) or XML, -ENOMEM.
 */
char *hv_domxml_map_disks(const char *xml, size_t len,
                          const struct hv_disk_map *map, size_t n,
                          struct hv_error *err);

/*
 * Format predicates shared by the domain XML reader and the plan codec.
 */

/* s is a UUID in canonical 8-4-4-4-12 form, lower-case hex. */
bool hv_uuid_is_canonical(const char *s);

/* s is a unicast MAC address "xx:xx:xx:xx:xx:xx", lower-case hex. */
bool hv_mac_is_canonical(const char *s);

/*
 * s is an absolute path of at most max_len bytes whose components are
 * non-empty, neither "." nor "..", and made of [A-Za-z0-9_.+-] only.
 */
bool hv_path_is_clean(const char *s, size_t max_len);

#endif
