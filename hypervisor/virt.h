/*
 * virt.h: libvirt connections, and the host facts and domain operations
 * that a migration needs on either side.
 *
 * Every call fills the caller's struct hv_error with libvirt's own message
 * when libvirt fails. hv_virt_init() once per process stops libvirt from
 * printing errors itself.
 */
#ifndef SKYFERRY_HV_VIRT_H
#define SKYFERRY_HV_VIRT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <libvirt/libvirt.h>

#include "hypervisor/hv_error.h"
#include "hypervisor/domguard.h"
#include "hypervisor/domxml.h"
#include "hypervisor/vmdef.h"

void hv_virt_init(void);

/* Fill err with "what: <libvirt's last error>" and return code. */
int hv_virt_error(struct hv_error *err, int code, const char *what);

/* Open uri read-write. NULL with err filled. */
virConnectPtr hv_virt_open(const char *uri, struct hv_error *err);

/*
 * The unix socket of the local daemon that serves uri: the socket=
 * parameter when given, else the driver's daemon socket (modular daemon
 * first, then libvirtd). 0, or -ENOENT when uri is not local.
 */
int hv_virt_socket_path(const char *uri, char *buf, size_t len,
                        struct hv_error *err);

/*
 * The user and group QEMU runs as under the system driver (libvirt-qemu on
 * Debian, qemu elsewhere; root when neither exists): sockets QEMU must use
 * are made reachable for them.
 */
void hv_qemu_user(uid_t *uid, gid_t *gid);

/* 0 when no domain has this name or UUID, -EEXIST (err says which) else. */
int hv_host_check_clash(virConnectPtr conn, const char *name, const char *uuid,
                        struct hv_error *err);

/* Free plus reclaimable host memory, bytes. */
int hv_host_free_memory(virConnectPtr conn, uint64_t *bytes,
                        struct hv_error *err);

/*
 * Can this host run a guest CPU described by cpu_xml (a <cpu> element)
 * under virt_type/arch/machine? 0 yes (also when cpu_xml is NULL: the
 * hypervisor's default), -ENOTSUP with libvirt's reason.
 */
int hv_host_compare_cpu(virConnectPtr conn, const char *virt_type,
                        const char *arch, const char *machine,
                        const char *cpu_xml, struct hv_error *err);

/* Domain state by UUID: 0 and *state (VIR_DOMAIN_*), or -ENOENT. */
int hv_domain_state(virConnectPtr conn, const char *uuid, int *state,
                    int *reason, struct hv_error *err);

/* The live definition of the domain with this UUID, parsed (-ENOENT: none). */
int hv_domain_parse_live(virConnectPtr conn, const char *uuid,
                         struct hv_domain *out, struct hv_error *err);

/*
 * Undefine dom if it is persistent, with its managed save, snapshot and
 * checkpoint metadata and NVRAM (not its disks). 0 for a transient one.
 */
int hv_domain_undefine(virDomainPtr dom, struct hv_error *err);

/*
 * Remove the domain with this UUID: destroy it if it runs, undefine it if
 * it is defined (keeping no storage: disks are the caller's). 0 also when
 * there is no such domain.
 */
int hv_domain_remove(virConnectPtr conn, const char *uuid,
                     struct hv_error *err);

/* Capacity (virtual size) and allocation of a domain's disk, bytes. */
int hv_domain_disk_size(virDomainPtr dom, const char *target,
                        uint64_t *capacity, uint64_t *allocation,
                        struct hv_error *err);

/*
 * Decide, for each NIC of def that names a network, whether this host has
 * a libvirt network (is_bridge false) or a bridge (true) of that name: a
 * .vmx or xl.cfg cannot say which. Returns how many it found neither for
 * (each gets a note).
 */
int hv_vmdef_resolve_networks(virConnectPtr conn, struct hv_vmdef *def);

/*
 * Can a destination QEMU here take post-copy? It needs userfaultfd. QEMU
 * before 8.1 opens one with the userfaultfd(2) system call, which the kernel
 * grants a process without CAP_SYS_PTRACE (libvirt clears QEMU's
 * capabilities, even when it runs as root) only while
 * vm.unprivileged_userfaultfd is 1; QEMU 8.1 and later can open
 * /dev/userfaultfd instead.
 *
 * hv_postcopy_possible is the rule: qemu_version as libvirt encodes it
 * (major * 1000000 + minor * 1000 + micro), unpriv the sysctl's value or -1
 * when this kernel has none (before 5.2, where everyone may). It writes one
 * line for the preflight to msg: why it can, or why not and what to do.
 *
 * hv_host_check_postcopy reads both facts off this host: 0 when post-copy
 * can work, -ENOTSUP (err says why) when not, other negatives when a fact
 * cannot be read.
 */
bool hv_postcopy_possible(unsigned long qemu_version, int unpriv, char *msg,
                          size_t len);
int hv_host_check_postcopy(virConnectPtr conn, char *msg, size_t len,
                           struct hv_error *err);

/* The emulators this host's libvirt offers (hv_guard_emulators_parse). */
int hv_host_emulators(virConnectPtr conn, struct hv_guard_emulators *out,
                      struct hv_error *err);

/* /dev/kvm answers KVM_GET_API_VERSION as this kernel's KVM should. */
bool hv_host_kvm_usable(void);

/*
 * Define def (kind KVM or Xen) in conn from its domain XML, with its NICs
 * resolved here (hv_vmdef_resolve_networks) and, for KVM on a host without
 * usable KVM, as a TCG ("qemu") domain; start it if asked. *defined says
 * whether it now exists in libvirt, also on failure (to start).
 */
int hv_virt_define_vmdef(virConnectPtr conn, struct hv_vmdef *def, bool start,
                         bool *defined, struct hv_error *err);

#endif
