/*
 * domguard.h: what a domain definition from a migration peer may ask of the
 * host that runs it.
 *
 * A receiver hands the peer's destination XML to its own libvirt, and
 * libvirt does what the XML says: run the <emulator> it names, open the
 * files and devices it names (as disks, kernels, firmware, console logs,
 * sockets), pass host devices through, join host networks, add QEMU
 * arguments. An authenticated peer is still not the receiver's
 * administrator, so hv_domguard_check() accepts a definition only if every
 * host resource it names is one the receiver chose or allows:
 *
 *   - disks: the files created for the session, one per planned target;
 *     read-only media (a cdrom, a read-only disk) may also be a file in one
 *     of the media directories;
 *   - <emulator>: one this host's libvirt offers;
 *   - <kernel>, <initrd>, <dtb>, <loader>, ACPI tables, <nvram template=>,
 *     fw_cfg files: files in the media directories;
 *   - <nvram>: NVRAM_DIR/NAME_VARS.fd, libvirt's own default;
 *   - file character devices and <log file=>: LOG_DIR/NAME-* or NAME.*,
 *     but not LOG_DIR/X.log of another domain X of this host;
 *     unix ones: under CHANNEL_DIR, or no path (libvirt makes one);
 *     pty, null, vc and SPICE ones; no tcp, udp, pipe or host device;
 *   - interfaces: bridge or network only, one of rules->bridges when
 *     that is given; no scripts, tap or vhost fds, ROM files or fixed tap
 *     names (libvirt's vnetN and macvtapN only);
 *   - <resource><partition>: /machine;
 *   - <seclabel>: dynamic only, with no label of the peer's choosing.
 *
 * Refused outright: <hostdev>, <filesystem>, <shmem>, evdev and passthrough
 * input, TPM passthrough, host smartcard certificates, disk secrets,
 * backing chains, mirrors and external data files, and every element in a
 * namespace (<qemu:commandline> and the like) outside <metadata>. Any other
 * attribute that names a host path (path, file, dir, dev, socket, ...) is
 * refused wherever it is not one of the places above.
 *
 * Paths are checked as text: clean (hv_path_is_clean: absolute, components
 * of letters, digits and "_.+-", no "." or ".."), under the directory
 * named. The check does not touch the file system.
 */
#ifndef SKYFERRY_HV_DOMGUARD_H
#define SKYFERRY_HV_DOMGUARD_H

#include <stdbool.h>
#include <stddef.h>

#include "hypervisor/hv_error.h"

/* A disk the session created: <target dev=> and its file. */
struct hv_guard_disk {
	const char *target;
	const char *path;
};

struct hv_guard_rules {
	const char *name; /* the planned domain name */
	const struct hv_guard_disk *disks;
	size_t n_disks;
	const char *const *emulators; /* this host's libvirt offers these */
	size_t n_emulators;
	const char *const *media_dirs; /* read-only files guests may use */
	size_t n_media_dirs;
	const char *const *bridges; /* bridges and networks interfaces may */
	size_t n_bridges;           /* join; none: any */
	const char *log_dir;        /* file character devices and logs */
	/* Is name another domain of this host? Then LOG_DIR/name.log is its
	   libvirt log, which the peer's VM may not write. NULL: not asked. */
	bool (*name_taken)(void *arg, const char *name);
	void *name_arg;
	const char *nvram_dir;   /* <nvram>: NVRAM_DIR/NAME_VARS.fd */
	const char *channel_dir; /* unix character devices */
};

#define HV_GUARD_EMULATORS_MAX 16

/* The emulators a host's libvirt offers, from its capabilities. */
struct hv_guard_emulators {
	char path[HV_GUARD_EMULATORS_MAX][256];
	const char *list[HV_GUARD_EMULATORS_MAX]; /* list[i] = path[i] */
	size_t n;
};

/*
 * Read every <guest>'s <emulator> (also those of its <domain>s) out of
 * libvirt's capabilities XML (virConnectGetCapabilities), without
 * duplicates. 0, or -EINVAL naming what is wrong (not XML, a root other
 * than <capabilities>, an emulator that is not a clean absolute path or
 * longer than 255 bytes, more than HV_GUARD_EMULATORS_MAX), -EMSGSIZE
 * (empty or over HV_DOMXML_MAX), -ENOMEM.
 */
int hv_guard_emulators_parse(const char *xml, size_t len,
                             struct hv_guard_emulators *out,
                             struct hv_error *err);

/*
 * The defaults of a Debian or Fedora libvirt: media in /var/lib/libvirt/boot
 * (kernels, ISOs) and the firmware packages' directories, logs in
 * /var/log/libvirt/qemu, NVRAM in /var/lib/libvirt/qemu/nvram, channels in
 * /var/lib/libvirt/qemu/channel. Fills everything but name, disks and
 * emulators (bridges: none, i.e. any).
 */
void hv_guard_rules_default(struct hv_guard_rules *rules);

/* path is a clean absolute path in one of rules' media directories. */
bool hv_guard_media_ok(const struct hv_guard_rules *rules, const char *path);

/*
 * Check len bytes of domain XML against rules. Returns 0, or -EPERM with
 * err naming the element (and its line) and what to do, or -EINVAL /
 * -EMSGSIZE for XML that does not parse, or -ENOMEM.
 */
int hv_domguard_check(const char *xml, size_t len,
                      const struct hv_guard_rules *rules, struct hv_error *err);

#endif
