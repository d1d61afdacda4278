/*
 * virt.c: libvirt connections, host checks and domain removal.
 */
#include "hypervisor/virt.h"
#include "hypervisor/vmdef_xml.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/kvm.h>

#include <libvirt/virterror.h>

static void hv_virt_quiet(void *arg, virErrorPtr error)
{
	(void)arg;
	(void)error;
}

void hv_virt_init(void)
{
	virSetErrorFunc(NULL, hv_virt_quiet);
	virInitialize();
}

int hv_virt_error(struct hv_error *err, int code, const char *what)
{
	const char *msg = virGetLastErrorMessage();

	return hv_error_set(err, code, "%s: %s", what,
	                    msg ? msg : "unknown libvirt error");
}

virConnectPtr hv_virt_open(const char *uri, struct hv_error *err)
{
	virConnectPtr conn = virConnectOpen(uri);

	if (!conn) {
		char what[300];

		snprintf(what, sizeof(what), "libvirt %s", uri);
		hv_virt_error(err, -ECONNREFUSED, what);
	}
	return conn;
}

int hv_virt_socket_path(const char *uri, char *buf, size_t len,
                        struct hv_error *err)
{
	static const char *const daemons[] = { "/run/libvirt/virtqemud-sock",
		                               "/run/libvirt/libvirt-sock" };
	const char *p = strstr(uri, "socket=");
	size_t i, n;

	if (p) {
		p += strlen("socket=");
		n = strcspn(p, "&");
		if (n == 0 || n >= len || p[0] != '/')
			return hv_error_set(err, -EINVAL,
			                    "libvirt URI %s: bad socket= path",
			                    uri);
		memcpy(buf, p, n);
		buf[n] = '\0';
		return 0;
	}
	if (strncmp(uri, "qemu:///system", 14) != 0 &&
	    strncmp(uri, "qemu+unix:///system", 19) != 0)
		return hv_error_set(
		    err, -ENOENT,
		    "libvirt URI %s is not a local qemu:///system "
		    "URI; give its socket with ?socket=PATH",
		    uri);
	for (i = 0; i < sizeof(daemons) / sizeof(daemons[0]); i++)
		if (access(daemons[i], F_OK) == 0) {
			snprintf(buf, len, "%s", daemons[i]);
			return 0;
		}
	return hv_error_set(err, -ENOENT,
	                    "no libvirt daemon socket for %s (is libvirtd "
	                    "running?)",
	                    uri);
}

void hv_qemu_user(uid_t *uid, gid_t *gid)
{
	static const char *const users[] = { "libvirt-qemu", "qemu" };
	struct passwd *pw;
	size_t i;

	*uid = 0;
	*gid = 0;
	for (i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
		pw = getpwnam(users[i]);
		if (pw) {
			*uid = pw->pw_uid;
			*gid = pw->pw_gid;
			return;
		}
	}
}

int hv_host_check_clash(virConnectPtr conn, const char *name, const char *uuid,
                        struct hv_error *err)
{
	virDomainPtr dom;

	dom = virDomainLookupByUUIDString(conn, uuid);
	if (dom) {
		char other[256];
		const char *n = virDomainGetName(dom);

		snprintf(other, sizeof(other), "%s", n ? n : "?");
		virDomainFree(dom);
		return hv_error_set(err, -EEXIST,
		                    "a domain with UUID %s already exists here "
		                    "('%s')",
		                    uuid, other);
	}
	dom = virDomainLookupByName(conn, name);
	if (dom) {
		virDomainFree(dom);
		return hv_error_set(err, -EEXIST,
		                    "a domain named '%s' already exists here",
		                    name);
	}
	virResetLastError();
	return 0;
}

int hv_host_free_memory(virConnectPtr conn, uint64_t *bytes,
                        struct hv_error *err)
{
	virNodeMemoryStatsPtr stats = NULL;
	uint64_t free_kib = 0;
	int n = 0, i;

	if (virNodeGetMemoryStats(conn, VIR_NODE_MEMORY_STATS_ALL_CELLS, NULL,
	                          &n, 0) < 0 ||
	    n <= 0)
		return hv_virt_error(err, -EIO, "host memory");
	stats = calloc((size_t)n, sizeof(*stats));
	if (!stats)
		return hv_error_set(err, -ENOMEM, "host memory: out of memory");
	if (virNodeGetMemoryStats(conn, VIR_NODE_MEMORY_STATS_ALL_CELLS, stats,
	                          &n, 0) < 0) {
		free(stats);
		return hv_virt_error(err, -EIO, "host memory");
	}
	for (i = 0; i < n; i++)
		if (!strcmp(stats[i].field, VIR_NODE_MEMORY_STATS_FREE) ||
		    !strcmp(stats[i].field, VIR_NODE_MEMORY_STATS_BUFFERS) ||
		    !strcmp(stats[i].field, VIR_NODE_MEMORY_STATS_CACHED))
			free_kib += stats[i].value;
	free(stats);
	*bytes = free_kib * 1024u;
	return 0;
}

int hv_host_compare_cpu(virConnectPtr conn, const char *virt_type,
                        const char *arch, const char *machine,
                        const char *cpu_xml, struct hv_error *err)
{
	int rc;

	if (!cpu_xml || !*cpu_xml)
		return 0;
	rc = virConnectCompareHypervisorCPU(
	    conn, NULL, arch && *arch ? arch : NULL,
	    machine && *machine ? machine : NULL,
	    virt_type && *virt_type ? virt_type : NULL, cpu_xml, 0);
	if (rc == VIR_CPU_COMPARE_ERROR)
		return hv_virt_error(err, -ENOTSUP, "CPU");
	if (rc == VIR_CPU_COMPARE_INCOMPATIBLE)
		return hv_error_set(err, -ENOTSUP,
		                    "CPU: this host cannot run the guest's CPU "
		                    "model");
	return 0;
}

int hv_domain_state(virConnectPtr conn, const char *uuid, int *state,
                    int *reason, struct hv_error *err)
{
	virDomainPtr dom = virDomainLookupByUUIDString(conn, uuid);
	int rc = 0;

	if (!dom) {
		virResetLastError();
		return hv_error_set(err, -ENOENT, "no domain with UUID %s",
		                    uuid);
	}
	if (virDomainGetState(dom, state, reason, 0) < 0)
		rc = hv_virt_error(err, -EIO, "domain state");
	virDomainFree(dom);
	return rc;
}

int hv_domain_parse_live(virConnectPtr conn, const char *uuid,
                         struct hv_domain *out, struct hv_error *err)
{
	virDomainPtr dom = virDomainLookupByUUIDString(conn, uuid);
	char *xml;
	int rc;

	if (!dom) {
		virResetLastError();
		return hv_error_set(err, -ENOENT, "no domain with UUID %s",
		                    uuid);
	}
	xml = virDomainGetXMLDesc(dom, 0);
	virDomainFree(dom);
	if (!xml)
		return hv_virt_error(err, -EIO, "domain XML");
	rc = hv_domxml_parse(xml, strlen(xml), out, err);
	free(xml);
	return rc;
}

int hv_domain_undefine(virDomainPtr dom, struct hv_error *err)
{
	if (virDomainIsPersistent(dom) == 1 &&
	    virDomainUndefineFlags(
	        dom, VIR_DOMAIN_UNDEFINE_MANAGED_SAVE |
	                 VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA |
	                 VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA |
	                 VIR_DOMAIN_UNDEFINE_NVRAM) < 0)
		return hv_virt_error(err, -EIO, "undefine");
	return 0;
}

int hv_domain_remove(virConnectPtr conn, const char *uuid, struct hv_error *err)
{
	virDomainPtr dom = virDomainLookupByUUIDString(conn, uuid);
	int rc = 0;

	if (!dom) {
		virResetLastError();
		return 0;
	}
	if (virDomainIsActive(dom) == 1 && virDomainDestroy(dom) < 0 &&
	    virDomainIsActive(dom) == 1)
		rc = hv_virt_error(err, -EIO, "destroy");
	if (rc == 0)
		rc = hv_domain_undefine(dom, err);
	virDomainFree(dom);
	return rc;
}

int hv_domain_disk_size(virDomainPtr dom, const char *target,
                        uint64_t *capacity, uint64_t *allocation,
                        struct hv_error *err)
{
	virDomainBlockInfo info;
	char what[64];

	if (virDomainGetBlockInfo(dom, target, &info, 0) < 0) {
		snprintf(what, sizeof(what), "disk %s", target);
		return hv_virt_error(err, -EIO, what);
	}
	*capacity = info.capacity;
	*allocation =
	    info.physical > info.allocation ? info.physical : info.allocation;
	return 0;
}

int hv_vmdef_resolve_networks(virConnectPtr conn, struct hv_vmdef *def)
{
	char path[512];
	size_t i;
	int unresolved = 0;

	for (i = 0; i < def->n_nics; i++) {
		struct hv_vmnic *n = &def->nics[i];
		virNetworkPtr net;

		if (!n->network[0])
			continue;
		net = virNetworkLookupByName(conn, n->network);
		if (net) {
			virNetworkFree(net);
			n->is_bridge = false;
			continue;
		}
		snprintf(path, sizeof(path), "/sys/class/net/%s/bridge",
		         n->network);
		if (!strchr(n->network, '/') && access(path, F_OK) == 0) {
			n->is_bridge = true;
			continue;
		}
		hv_vmdef_note(def,
		              "nic %zu: no libvirt network or bridge '%s' here",
		              i, n->network);
		unresolved++;
	}
	return unresolved;
}

#define HV_UFFD_SYSCTL   "/proc/sys/vm/unprivileged_userfaultfd"
#define HV_QEMU_DEV_UFFD 8001000ul /* QEMU 8.1: /dev/userfaultfd */

bool hv_postcopy_possible(unsigned long qemu_version, int unpriv, char *msg,
                          size_t len)
{
	unsigned long major = qemu_version / 1000000;
	unsigned long minor = qemu_version / 1000 % 1000;

	if (unpriv < 0) {
		snprintf(msg, len,
		         "post-copy: this kernel lets any process use "
		         "userfaultfd");
		return true;
	}
	if (unpriv > 0) {
		snprintf(msg, len,
		         "post-copy: userfaultfd is open to QEMU "
		         "(vm.unprivileged_userfaultfd=%d)",
		         unpriv);
		return true;
	}
	if (qemu_version >= HV_QEMU_DEV_UFFD) {
		snprintf(msg, len,
		         "post-copy: QEMU %lu.%lu uses /dev/userfaultfd "
		         "(vm.unprivileged_userfaultfd=0)",
		         major, minor);
		return true;
	}
	snprintf(msg, len,
	         "post-copy: QEMU %lu.%lu here needs userfaultfd, which "
	         "vm.unprivileged_userfaultfd=0 keeps from it; set it to 1 "
	         "on this host (sysctl -w vm.unprivileged_userfaultfd=1) or "
	         "migrate without --postcopy",
	         major, minor);
	return false;
}

int hv_host_emulators(virConnectPtr conn, struct hv_guard_emulators *out,
                      struct hv_error *err)
{
	char *caps = virConnectGetCapabilities(conn);
	int rc;

	if (!caps)
		return hv_virt_error(err, -EIO,
		                     "cannot read host capabilities");
	rc = hv_guard_emulators_parse(caps, strlen(caps), out, err);
	free(caps);
	return rc;
}

int hv_host_check_postcopy(virConnectPtr conn, char *msg, size_t len,
                           struct hv_error *err)
{
	unsigned long version = 0;
	int unpriv = -1;
	FILE *f;

	if (virConnectGetVersion(conn, &version) < 0)
		return hv_virt_error(err, -EIO, "QEMU version");
	f = fopen(HV_UFFD_SYSCTL, "re");
	if (f) {
		if (fscanf(f, "%d", &unpriv) != 1 || unpriv < 0)
			unpriv = 0; /* unreadable: assume the strict default */
		fclose(f);
	} else if (errno != ENOENT) {
		return hv_error_set(err, -errno, "%s: %s", HV_UFFD_SYSCTL,
		                    strerror(errno));
	}
	if (!hv_postcopy_possible(version, unpriv, msg, len))
		return hv_error_set(err, -ENOTSUP, "%s", msg);
	return 0;
}

bool hv_host_kvm_usable(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int version = -1;

	if (fd >= 0) {
		version = ioctl(fd, KVM_GET_API_VERSION, 0);
		close(fd);
	}
	return version == KVM_API_VERSION;
}

int hv_virt_define_vmdef(virConnectPtr conn, struct hv_vmdef *def, bool start,
                         bool *defined, struct hv_error *err)
{
	virDomainPtr dom = NULL;
	char *xml = NULL, *at;
	int rc;

	*defined = false;
	hv_vmdef_resolve_networks(conn, def);
	rc = hv_vmdef_xml_write(def, &xml, err);
	if (rc < 0)
		return rc;
	/*
	 * Our own writer's output, so the first "<domain type=" is the
	 * domain's. Without a usable /dev/kvm the VM runs under TCG.
	 */
	at = strstr(xml, "<domain type=\"kvm\"");
	if (def->kind == HV_KIND_KVM && at && !hv_host_kvm_usable()) {
		char *tcg = NULL;

		if (asprintf(&tcg, "%.*s<domain type=\"qemu\"%s",
		             (int)(at - xml), xml,
		             at + strlen("<domain type=\"kvm\"")) < 0) {
			free(xml);
			return hv_error_set(err, -ENOMEM,
			                    "define: out of memory");
		}
		free(xml);
		xml = tcg;
	}
	dom = virDomainDefineXML(conn, xml);
	free(xml);
	if (!dom)
		return hv_virt_error(err, -EIO, "define");
	*defined = true;
	if (start && virDomainCreate(dom) < 0)
		rc = hv_virt_error(err, -EIO, "start");
	virDomainFree(dom);
	return rc;
}
