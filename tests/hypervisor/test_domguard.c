/*
 * test_domguard.c: the receiver's rules for a peer's domain XML. Golden
 * definitions that must pass (the lab guest as libvirt writes it, a UEFI
 * guest with the usual extras), then one host resource at a time put into
 * a passing definition, each of which must be refused with a message that
 * names it; and the capabilities reader.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "hypervisor/domguard.h"

#define NAME "sfguest"
#define DISK "/var/lib/libvirt/images/skyferry/" NAME "-vdb-4e37ac44.qcow2"

static const char *const emulators[] = { "/usr/bin/qemu-system-x86_64",
	                                 "/usr/bin/qemu-system-i386" };
static const struct hv_guard_disk disks[] = { { "vdb", DISK } };

static struct hv_guard_rules rules(void)
{
	struct hv_guard_rules r = { 0 };

	hv_guard_rules_default(&r);
	r.name = NAME;
	r.disks = disks;
	r.n_disks = 1;
	r.emulators = emulators;
	r.n_emulators = 2;
	return r;
}

/* The lab guest's migratable XML as libvirt 9.0 wrote it, disk mapped. */
static const char lab_guest[] =
    "<domain type='qemu'>\n"
    "  <name>" NAME "</name>\n"
    "  <uuid>30863c27-cdca-40d8-b2f0-b50517d96e6e</uuid>\n"
    "  <memory unit='KiB'>262144</memory>\n"
    "  <vcpu placement='static'>1</vcpu>\n"
    "  <resource><partition>/machine</partition></resource>\n"
    "  <os>\n"
    "    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>\n"
    "    <kernel>/var/lib/libvirt/boot/vmlinuz</kernel>\n"
    "    <initrd>/var/lib/libvirt/boot/initrd.img</initrd>\n"
    "    <cmdline>console=ttyS0 sf.disk=/dev/vda</cmdline>\n"
    "    <boot dev='hd'/>\n"
    "  </os>\n"
    "  <cpu mode='custom' match='exact' check='none'>\n"
    "    <model fallback='forbid'>qemu64</model>\n"
    "  </cpu>\n"
    "  <devices>\n"
    "    <emulator>/usr/bin/qemu-system-x86_64</emulator>\n"
    "    <disk type='file' device='disk'>\n"
    "      <driver name='qemu' type='qcow2' cache='none' io='native'/>\n"
    "      <source file='" DISK "'/>\n"
    "      <backingStore/>\n"
    "      <target dev='vdb' bus='virtio'/>\n"
    "    </disk>\n"
    "    <controller type='usb' index='0' model='qemu-xhci'/>\n"
    "    <interface type='bridge'>\n"
    "      <mac address='52:54:00:5f:d3:60'/>\n"
    "      <source bridge='vmbr0'/>\n"
    "      <model type='virtio'/>\n"
    "    </interface>\n"
    "    <serial type='file'>\n"
    "      <source path='/var/log/libvirt/qemu/" NAME "-serial.log' "
    "append='on'/>\n"
    "      <target type='isa-serial' port='0'/>\n"
    "    </serial>\n"
    "    <console type='file'>\n"
    "      <source path='/var/log/libvirt/qemu/" NAME "-serial.log' "
    "append='on'/>\n"
    "      <target type='serial' port='0'/>\n"
    "    </console>\n"
    "    <input type='mouse' bus='ps2'/>\n"
    "    <memballoon model='none'/>\n"
    "  </devices>\n"
    "</domain>\n";

/* A UEFI guest with the extras a cloud image usually carries. */
static const char uefi_guest[] =
    "<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/"
    "1.0'>\n"
    "  <name>" NAME "</name>\n"
    "  <uuid>30863c27-cdca-40d8-b2f0-b50517d96e6e</uuid>\n"
    "  <metadata><app:owner xmlns:app='urn:example:app'>ops</app:owner>"
    "</metadata>\n"
    "  <memory unit='GiB'>2</memory>\n"
    "  <os>\n"
    "    <type arch='x86_64' machine='q35'>hvm</type>\n"
    "    <loader readonly='yes' type='pflash'>/usr/share/OVMF/"
    "OVMF_CODE_4M.fd</loader>\n"
    "    <nvram template='/usr/share/OVMF/OVMF_VARS_4M.fd'>/var/lib/"
    "libvirt/qemu/nvram/" NAME "_VARS.fd</nvram>\n"
    "  </os>\n"
    "  <seclabel type='dynamic' model='apparmor' relabel='yes'/>\n"
    "  <devices>\n"
    "    <disk type='file' device='disk'>\n"
    "      <source file='" DISK "'><seclabel model='dac' relabel='no'/>"
    "</source>\n"
    "      <target dev='vdb' bus='virtio'/>\n"
    "    </disk>\n"
    "    <disk type='file' device='cdrom'>\n"
    "      <source file='/var/lib/libvirt/boot/seed.iso'/>\n"
    "      <target dev='sda' bus='sata'/><readonly/>\n"
    "    </disk>\n"
    "    <disk type='file' device='cdrom'>\n"
    "      <target dev='sdb' bus='sata'/><readonly/>\n"
    "    </disk>\n"
    "    <interface type='network'>\n"
    "      <source network='default'/><target dev='vnet12'/>\n"
    "    </interface>\n"
    "    <serial type='pty'><source path='/dev/pts/3'/>"
    "<log file='/var/log/libvirt/qemu/" NAME ".console.log'/></serial>\n"
    "    <console type='pty' tty='/dev/pts/3'><source path='/dev/pts/3'/>"
    "</console>\n"
    "    <channel type='unix'><target type='virtio' "
    "name='org.qemu.guest_agent.0'/></channel>\n"
    "    <channel type='unix'><source mode='bind' path='/var/lib/libvirt/"
    "qemu/channel/target/domain-3-" NAME "/org.qemu.guest_agent.1'/>"
    "<target type='virtio' name='org.qemu.guest_agent.1'/></channel>\n"
    "    <channel type='spicevmc'><target type='virtio' "
    "name='com.redhat.spice.0'/></channel>\n"
    "    <graphics type='vnc' port='-1' autoport='yes'><listen "
    "type='address' address='127.0.0.1'/></graphics>\n"
    "    <rng model='virtio'><backend model='random'>/dev/urandom"
    "</backend></rng>\n"
    "    <tpm model='tpm-crb'><backend type='emulator' version='2.0'/>"
    "</tpm>\n"
    "  </devices>\n"
    "</domain>\n";

static int check(const char *xml, struct hv_error *err)
{
	struct hv_guard_rules r = rules();

	memset(err, 0, sizeof(*err));
	return hv_domguard_check(xml, strlen(xml), &r, err);
}

Test(domguard, lab_guest_passes)
{
	struct hv_error err;

	cr_assert_eq(check(lab_guest, &err), 0, "%s", err.msg);
}

Test(domguard, uefi_guest_passes)
{
	struct hv_error err;

	cr_assert_eq(check(uefi_guest, &err), 0, "%s", err.msg);
}

/* lab_guest with the text at marker replaced (or inserted after it). */
static char *mutate(const char *marker, const char *text, bool replace)
{
	const char *at = strstr(lab_guest, marker);
	size_t head, n;
	char *out;

	cr_assert_not_null(at, "marker %s", marker);
	head = (size_t)(at - lab_guest) + (replace ? 0 : strlen(marker));
	n = strlen(lab_guest) + strlen(text) + 1;
	out = malloc(n);
	cr_assert_not_null(out);
	memcpy(out, lab_guest, head);
	strcpy(out + head, text);
	strcat(out, lab_guest + head + (replace ? strlen(marker) : 0));
	return out;
}

struct bad {
	const char *marker; /* where */
	bool replace;       /* replace the marker, or insert after it */
	const char *text;
	const char *want; /* in the message */
};

#define DEVICES "<devices>\n"
#define OS      "<os>\n"
#define TOP     "<vcpu placement='static'>1</vcpu>\n"

static const struct bad bads[] = {
	/* QEMU arguments and other namespaces */
	{ TOP, false,
	  "<qemu:commandline xmlns:qemu='http://libvirt.org/schemas/domain/"
	  "qemu/1.0'><qemu:arg value='-chardev'/></qemu:commandline>",
	  "<qemu:commandline> (namespace http://libvirt.org/schemas/domain/"
	  "qemu/1.0) is not accepted" },
	{ DEVICES, false,
	  "<watchdog model='x' "
	  "xmlns:q='urn:q' q:file='/etc/passwd'/>",
	  "attributes in a namespace are not accepted" },
	{ DEVICES, false,
	  "<video><model type='virtio'/><metadata><q:arg xmlns:q='urn:q'/>"
	  "</metadata></video>",
	  "namespace urn:q" },
	/* the emulator */
	{ "<emulator>/usr/bin/qemu-system-x86_64</emulator>", true,
	  "<emulator>/tmp/qemu</emulator>",
	  "<emulator> '/tmp/qemu' is not one this host's libvirt offers "
	  "(/usr/bin/qemu-system-x86_64, /usr/bin/qemu-system-i386); remove "
	  "<emulator>" },
	/* boot files */
	{ "<kernel>/var/lib/libvirt/boot/vmlinuz</kernel>", true,
	  "<kernel>/etc/shadow</kernel>",
	  "<kernel> '/etc/shadow' is not a file in this host's media "
	  "directories (/var/lib/libvirt/boot, /usr/share/OVMF" },
	{ "<kernel>/var/lib/libvirt/boot/vmlinuz</kernel>", true,
	  "<kernel>/var/lib/libvirt/boot/../../../../etc/shadow</kernel>",
	  "'/var/lib/libvirt/boot/../../../../etc/shadow' is not a file" },
	{ "<kernel>/var/lib/libvirt/boot/vmlinuz</kernel>", true,
	  "<kernel>/var/lib/libvirt/boot</kernel>", "<kernel> '/var/lib/" },
	{ "<initrd>/var/lib/libvirt/boot/initrd.img</initrd>", true,
	  "<initrd>/var/lib/libvirt/boot//x</initrd>", "<initrd> '" },
	{ OS, false, "<dtb>/root/dtb</dtb>", "<dtb> '/root/dtb'" },
	{ OS, false, "<loader>/home/x/OVMF.fd</loader>", "<loader> '" },
	{ OS, false, "<nvram>/etc/passwd</nvram>",
	  "<nvram> '/etc/passwd': this host keeps the NVRAM of 'sfguest' in "
	  "/var/lib/libvirt/qemu/nvram/sfguest_VARS.fd" },
	{ OS, false, "<nvram template='/etc/shadow'/>",
	  "<nvram template=> '/etc/shadow'" },
	{ OS, false,
	  "<nvram><source file='/var/lib/libvirt/qemu/nvram/sfguest_VARS.fd'"
	  "/></nvram>",
	  "<nvram><source>" },
	{ TOP, false,
	  "<features><acpi/></features><os><acpi><table "
	  "type='slic'>/etc/shadow</table></acpi></os>",
	  "<table> '/etc/shadow'" },
	{ TOP, false,
	  "<sysinfo type='fwcfg'><entry name='opt/x' file='/etc/shadow'/>"
	  "</sysinfo>",
	  "<sysinfo><entry file=> '/etc/shadow'" },
	/* disks */
	{ "<source file='" DISK "'/>", true,
	  "<source file='/var/lib/libvirt/images/other.qcow2'/>",
	  "disk vdb uses '/var/lib/libvirt/images/other.qcow2', which this "
	  "session did not create" },
	{ DEVICES, false,
	  "<disk type='file' device='cdrom'><source file='/etc/shadow'/>"
	  "<target dev='sdc' bus='sata'/><readonly/></disk>",
	  "disk sdc uses '/etc/shadow', which this session did not create "
	  "(read-only media may be a file in /var/lib/libvirt/boot" },
	{ DEVICES, false,
	  "<disk type='file' device='disk'><source file='/var/lib/libvirt/"
	  "boot/x.img'/><target dev='vdc' bus='virtio'/></disk>",
	  "disk vdc uses '/var/lib/libvirt/boot/x.img'" },
	{ DEVICES, false,
	  "<disk type='block' device='disk'><source dev='/dev/sda'/>"
	  "<target dev='vdc' bus='virtio'/></disk>",
	  "disk vdc: a 'block' disk names a host resource" },
	{ DEVICES, false,
	  "<disk type='network' device='disk'><source protocol='nbd' "
	  "name='x'><host name='10.0.0.1' port='10809'/></source>"
	  "<target dev='vdc' bus='virtio'/></disk>",
	  "disk vdc: <source><host> is not accepted" },
	{ DEVICES, false,
	  "<disk type='volume' device='disk'><source pool='p' volume='v'/>"
	  "<target dev='vdc' bus='virtio'/></disk>",
	  "disk vdc: a 'volume' disk names a host resource" },
	{ DEVICES, false,
	  "<disk type='file' device='disk'><source file='" DISK "' "
	  "dev='/dev/sda'/><target dev='vdb' bus='virtio'/></disk>",
	  "disk vdb: a 'file' disk names a host resource" },
	{ "<backingStore/>", true,
	  "<backingStore type='file'><format type='raw'/><source "
	  "file='/etc/shadow'/></backingStore>",
	  "disk vdb: a backing chain names files on this host" },
	{ "<backingStore/>", true,
	  "<auth username='x'><secret type='ceph' usage='y'/></auth>",
	  "disk vdb: <auth> is not accepted" },
	{ "<backingStore/>", true,
	  "<encryption format='luks'><secret type='passphrase' "
	  "uuid='30863c27-cdca-40d8-b2f0-b50517d96e6e'/></encryption>",
	  "disk vdb: <encryption> is not accepted" },
	{ "<backingStore/>", true, "<mirror type='file' file='/etc/x'/>",
	  "disk vdb: <mirror> is not accepted" },
	{ "<source file='" DISK "'/>", true,
	  "<source file='" DISK "'><dataStore type='file'><format "
	  "type='raw'/><source file='/etc/shadow'/></dataStore></source>",
	  "disk vdb: <source><dataStore> is not accepted" },
	{ "<source file='" DISK "'/>", false, "<source file='/etc/shadow'/>",
	  "<disk> holds more than one <source>" },
	{ "<target dev='vdb' bus='virtio'/>", false,
	  "<target dev='vdc' bus='virtio'/>",
	  "<disk> holds more than one <target>" },
	{ "<source bridge='vmbr0'/>", false,
	  "<target dev='vnet1'/><target dev='eth0'/>",
	  "<interface> holds more than one <target>" },
	{ "<source bridge='vmbr0'/>", false, "<source bridge='br-mgmt'/>",
	  "<interface> holds more than one <source>" },
	/* whole device kinds */
	{ DEVICES, false,
	  "<hostdev mode='subsystem' type='pci'><source><address "
	  "domain='0' bus='1' slot='0' function='0'/></source></hostdev>",
	  "<hostdev> is not accepted: it passes a device of this host "
	  "through" },
	{ DEVICES, false,
	  "<filesystem type='mount'><source dir='/'/><target dir='root'/>"
	  "</filesystem>",
	  "<filesystem> is not accepted" },
	{ DEVICES, false,
	  "<shmem name='ivshmem'><model type='ivshmem-plain'/>"
	  "</shmem>",
	  "<shmem> is not accepted" },
	{ DEVICES, false,
	  "<input type='evdev'><source dev='/dev/input/event1'/></input>",
	  "<source dev='/dev/input/event1'> names a host resource" },
	{ DEVICES, false,
	  "<input type='passthrough' bus='virtio'><source "
	  "evdev='/dev/input/event1'/></input>",
	  "<source evdev='/dev/input/event1'>" },
	{ DEVICES, false,
	  "<tpm model='tpm-tis'><backend type='passthrough'><device "
	  "path='/dev/tpm0'/></backend></tpm>",
	  "<device path='/dev/tpm0'> names a host resource" },
	{ DEVICES, false,
	  "<smartcard mode='host-certificates'><certificate>c1</certificate>"
	  "<database>/etc/pki/nssdb</database></smartcard>",
	  "<certificate> is not accepted" },
	{ DEVICES, false,
	  "<memory model='nvdimm'><source><path>/dev/pmem0</path></source>"
	  "<target><size unit='KiB'>524288</size></target></memory>",
	  "<path> is not accepted" },
	{ TOP, false,
	  "<blkiotune><device><path>/dev/sda</path><weight>500</weight>"
	  "</device></blkiotune>",
	  "<path> is not accepted" },
	{ DEVICES, false,
	  "<graphics type='vnc'><listen type='socket' "
	  "socket='/tmp/vnc.sock'/></graphics>",
	  "<listen socket='/tmp/vnc.sock'>" },
	{ DEVICES, false, "<audio id='1' type='file' path='/etc/cron.d/x'/>",
	  "<audio path='/etc/cron.d/x'>" },
	/* character devices */
	{ DEVICES, false,
	  "<serial type='tcp'><source mode='connect' host='10.0.0.1' "
	  "service='22'/></serial>",
	  "<serial type='tcp'> is not accepted" },
	{ DEVICES, false,
	  "<serial type='dev'><source path='/dev/ttyS0'/>"
	  "</serial>",
	  "<serial type='dev'> is not accepted" },
	{ DEVICES, false,
	  "<channel type='pipe'><source path='/tmp/p'/>"
	  "<target type='virtio' name='x'/></channel>",
	  "<channel type='pipe'>" },
	{ DEVICES, false,
	  "<serial type='file'><source path='/etc/cron.d/x'/>"
	  "</serial>",
	  "<serial type='file'> writes '/etc/cron.d/x': this host accepts "
	  "/var/log/libvirt/qemu/sfguest-* or sfguest.* only" },
	{ DEVICES, false,
	  "<serial type='file'><source path='/var/log/libvirt/qemu/other-"
	  "serial.log'/></serial>",
	  "writes '/var/log/libvirt/qemu/other-serial.log'" },
	{ DEVICES, false,
	  "<serial type='file'><source path='/var/log/libvirt/qemu/"
	  "sfguestx.log'/></serial>",
	  "writes '/var/log/libvirt/qemu/sfguestx.log'" },
	{ DEVICES, false,
	  "<serial type='file'><source path='/var/log/libvirt/qemu/sfguest-"
	  "/../../../../etc/x'/></serial>",
	  "writes '/var/log/libvirt/qemu/sfguest-/../" },
	{ DEVICES, false,
	  "<serial type='pty'><log file='/etc/cron.d/x'/></serial>",
	  "<serial><log file=> '/etc/cron.d/x'" },
	{ DEVICES, false,
	  "<channel type='unix'><source mode='bind' path='/run/x.sock'/>"
	  "<target type='virtio' name='x'/></channel>",
	  "<channel type='unix'> at '/run/x.sock': give no path" },
	{ DEVICES, false,
	  "<redirdev bus='usb' type='tcp'><source mode='connect' "
	  "host='10.0.0.1' service='4000'/></redirdev>",
	  "<redirdev type='tcp'> is not accepted" },
	{ DEVICES, false,
	  "<rng model='virtio'><backend model='random'>/etc/shadow</backend>"
	  "</rng>",
	  "<rng><backend model='random'> reads '/etc/shadow'" },
	{ DEVICES, false,
	  "<rng model='virtio'><backend model='egd' type='udp'><source "
	  "mode='bind' service='1234'/></backend></rng>",
	  "<backend type='udp'> is not accepted" },
	/* interfaces */
	{ DEVICES, false,
	  "<interface type='ethernet'><target dev='tap0' managed='no'/>"
	  "</interface>",
	  "<interface type='ethernet'> is not accepted" },
	{ DEVICES, false,
	  "<interface type='direct'><source dev='eth0' mode='bridge'/>"
	  "</interface>",
	  "<interface type='direct'> is not accepted" },
	{ DEVICES, false,
	  "<interface type='bridge'><source bridge='vmbr0'/><script "
	  "path='/tmp/x.sh'/></interface>",
	  "<script> is not accepted: it runs a program on this host" },
	{ DEVICES, false,
	  "<interface type='bridge'><source bridge='vmbr0'/><target "
	  "dev='eth0'/></interface>",
	  "<interface><target dev='eth0'>: this host names its own tap" },
	{ DEVICES, false,
	  "<interface type='bridge'><source bridge='vmbr0'/><target "
	  "dev='vnet'/></interface>",
	  "<target dev='vnet'>" },
	{ DEVICES, false,
	  "<interface type='bridge'><source bridge='vmbr0'/><backend "
	  "tap='/dev/net/tun' vhost='/dev/vhost-net'/></interface>",
	  "<backend tap='/dev/net/tun'>" },
	{ DEVICES, false,
	  "<interface type='bridge'><source bridge='vmbr0'/><rom "
	  "file='/etc/shadow'/></interface>",
	  "<rom file='/etc/shadow'>" },
	/* confinement and placement */
	{ TOP, false,
	  "<seclabel type='static' model='dac' relabel='no'><label>+0:+0"
	  "</label></seclabel>",
	  "<seclabel type='static' relabel='no'>: this host confines its "
	  "guests itself" },
	{ TOP, false, "<seclabel type='none'/>", "<seclabel type='none'" },
	{ TOP, false,
	  "<seclabel type='dynamic' model='selinux'><baselabel>system_u:"
	  "system_r:unconfined_t:s0</baselabel></seclabel>",
	  "<seclabel><baselabel>: this host chooses its security labels" },
	{ "<source file='" DISK "'/>", true,
	  "<source file='" DISK "'><seclabel model='dac'><label>+0:+0</label>"
	  "</seclabel></source>",
	  "<seclabel><label>" },
	{ "<partition>/machine</partition>", true,
	  "<partition>/system.slice</partition>",
	  "<resource><partition>/system.slice</partition>: this host places "
	  "guests in /machine" },
};

#define N_BADS (sizeof(bads) / sizeof(bads[0]))

/*
 * The cases go by index: Criterion may run each in a new process, where
 * the addresses of the strings differ.
 */
static size_t bad_index[N_BADS];

ParameterizedTestParameters(domguard, refuses)
{
	size_t i;

	for (i = 0; i < N_BADS; i++)
		bad_index[i] = i;
	return cr_make_param_array(size_t, bad_index, N_BADS);
}

ParameterizedTest(const size_t *i, domguard, refuses)
{
	const struct bad *b = &bads[*i];
	struct hv_error err;
	char *xml = mutate(b->marker, b->text, b->replace);
	int rc = check(xml, &err);

	cr_assert_eq(rc, -EPERM, "case %zu accepted (rc %d): %s", *i, rc,
	             b->text);
	cr_assert_not_null(strstr(err.msg, b->want),
	                   "case %zu message: %s\nwant: %s", *i, err.msg,
	                   b->want);
	cr_assert_not_null(strstr(err.msg, "domain XML line "), "%s", err.msg);
	free(xml);
}

Test(domguard, refuses_a_session_disk_under_another_target)
{
	struct hv_error err;
	char *xml = mutate("<target dev='vdb' bus='virtio'/>",
	                   "<target dev='vdc' bus='virtio'/>", true);

	cr_assert_eq(check(xml, &err), -EPERM);
	cr_assert_not_null(strstr(err.msg, "disk vdc uses '" DISK "'"), "%s",
	                   err.msg);
	free(xml);
}

/* With bridges given, an interface joins one of them, bridge or network. */
Test(domguard, bridges_when_given)
{
	static const char *const bridges[] = { "vmbr0", "default" };
	struct hv_guard_rules r = rules();
	struct hv_error err = { 0 };
	char *xml;

	r.bridges = bridges;
	r.n_bridges = 2;
	cr_assert_eq(hv_domguard_check(lab_guest, strlen(lab_guest), &r, &err),
	             0, "%s", err.msg);
	cr_assert_eq(
	    hv_domguard_check(uefi_guest, strlen(uefi_guest), &r, &err), 0,
	    "%s", err.msg);
	xml = mutate("<source bridge='vmbr0'/>", "<source bridge='br-mgmt'/>",
	             true);
	cr_assert_eq(hv_domguard_check(xml, strlen(xml), &r, &err), -EPERM);
	cr_assert(strstr(err.msg, "<interface type='bridge'> joins 'br-mgmt', "
	                          "which this host does not offer"),
	          "%s", err.msg);
	free(xml);
	xml = mutate("<interface type='bridge'>", "<interface type='network'>",
	             true);
	cr_assert_eq(hv_domguard_check(xml, strlen(xml), &r, &err), -EPERM);
	cr_assert(strstr(err.msg, "joins ''"), "%s", err.msg);
	free(xml);
	r.n_bridges = 1;
	cr_assert_eq(
	    hv_domguard_check(uefi_guest, strlen(uefi_guest), &r, &err),
	    -EPERM);
	cr_assert(strstr(err.msg, "<interface type='network'> joins 'default'"),
	          "%s", err.msg);
}

/* This host's other domains, for name_taken. */
static bool taken(void *arg, const char *name)
{
	(void)arg;
	return !strcmp(name, NAME "-db") || !strcmp(name, NAME);
}

/* LOG_DIR/X.log is libvirt's log of domain X: another's is refused. */
Test(domguard, another_domains_log)
{
	struct hv_guard_rules r = rules();
	struct hv_error err = { 0 };
	char *xml;

	r.name_taken = taken;
	cr_assert_eq(hv_domguard_check(lab_guest, strlen(lab_guest), &r, &err),
	             0, "%s", err.msg);
	xml = mutate("<devices>\n",
	             "<serial type='file'><source path='/var/log/libvirt/"
	             "qemu/" NAME "-db.log'/></serial>",
	             false);
	cr_assert_eq(hv_domguard_check(xml, strlen(xml), &r, &err), -EPERM);
	cr_assert(strstr(err.msg, "<serial type='file'> writes '/var/log/"
	                          "libvirt/qemu/" NAME "-db.log' is the log of "
	                          "this host's domain '" NAME "-db'"),
	          "%s", err.msg);
	free(xml);
	/* its own name's log, and other names' files, are not asked about */
	xml = mutate("<devices>\n",
	             "<serial type='pty'><log file='/var/log/libvirt/qemu/" NAME
	             "-web.log'/></serial>",
	             false);
	cr_assert_eq(hv_domguard_check(xml, strlen(xml), &r, &err), 0, "%s",
	             err.msg);
	free(xml);
	r.name_taken = NULL;
	xml = mutate("<devices>\n",
	             "<serial type='file'><source path='/var/log/libvirt/"
	             "qemu/" NAME "-db.log'/></serial>",
	             false);
	cr_assert_eq(hv_domguard_check(xml, strlen(xml), &r, &err), 0, "%s",
	             err.msg);
	free(xml);
}

/* libvirt's default disk type is file. */
Test(domguard, disk_type_defaults_to_file)
{
	struct hv_error err;
	char *xml = mutate("<disk type='file' device='disk'>",
	                   "<disk device='disk'>", true);

	cr_assert_eq(check(xml, &err), 0, "%s", err.msg);
	free(xml);
}

Test(domguard, refuses_media_without_media_dirs)
{
	struct hv_guard_rules r = rules();
	struct hv_error err = { 0 };

	r.n_media_dirs = 0;
	cr_assert_eq(hv_domguard_check(lab_guest, strlen(lab_guest), &r, &err),
	             -EPERM);
	cr_assert_not_null(strstr(err.msg, "media directories (none)"), "%s",
	                   err.msg);
}

Test(domguard, bad_xml)
{
	struct hv_guard_rules r = rules();
	struct hv_error err = { 0 };

	cr_assert_eq(hv_domguard_check("<domain>", 8, &r, &err), -EINVAL);
	cr_assert_eq(hv_domguard_check("", 0, &r, &err), -EMSGSIZE);
	cr_assert_eq(hv_domguard_check("<x/>", 4, &r, &err), -EINVAL);
	cr_assert_not_null(strstr(err.msg, "not <domain>"), "%s", err.msg);
	cr_assert_eq(hv_domguard_check("<!DOCTYPE domain [<!ENTITY e 'x'>]>"
	                               "<domain/>",
	                               44, &r, &err),
	             -EINVAL);
	r.name = "a/b";
	cr_assert_eq(hv_domguard_check(lab_guest, strlen(lab_guest), &r, &err),
	             -EINVAL);
}

Test(domguard, refuses_deep_nesting)
{
	char xml[4096] = "<domain><devices>";
	struct hv_error err;
	int i;

	for (i = 0; i < 70; i++)
		strcat(xml, "<a>");
	for (i = 0; i < 70; i++)
		strcat(xml, "</a>");
	strcat(xml, "</devices></domain>");
	cr_assert_eq(check(xml, &err), -EPERM);
	cr_assert_not_null(strstr(err.msg, "nested deeper"), "%s", err.msg);
}

/* ----- the capabilities reader ----- */

static const char caps[] =
    "<capabilities>\n"
    "  <host><uuid>x</uuid><cpu><arch>x86_64</arch></cpu></host>\n"
    "  <guest><os_type>hvm</os_type>\n"
    "    <arch name='i686'><wordsize>32</wordsize>\n"
    "      <emulator>/usr/bin/qemu-system-i386</emulator>\n"
    "      <domain type='qemu'/>\n"
    "    </arch></guest>\n"
    "  <guest><os_type>hvm</os_type>\n"
    "    <arch name='x86_64'><wordsize>64</wordsize>\n"
    "      <emulator>/usr/bin/qemu-system-x86_64</emulator>\n"
    "      <domain type='qemu'/>\n"
    "      <domain type='kvm'><emulator>/usr/libexec/qemu-kvm</emulator>"
    "</domain>\n"
    "    </arch></guest>\n"
    "  <guest><arch name='x86_64'>"
    "<emulator>/usr/bin/qemu-system-x86_64</emulator></arch></guest>\n"
    "</capabilities>\n";

Test(domguard_emulators, golden)
{
	struct hv_guard_emulators e;
	struct hv_error err = { 0 };

	cr_assert_eq(hv_guard_emulators_parse(caps, strlen(caps), &e, &err), 0,
	             "%s", err.msg);
	cr_assert_eq(e.n, 3);
	cr_assert_str_eq(e.list[0], "/usr/bin/qemu-system-i386");
	cr_assert_str_eq(e.list[1], "/usr/bin/qemu-system-x86_64");
	cr_assert_str_eq(e.list[2], "/usr/libexec/qemu-kvm");
}

Test(domguard_emulators, bad)
{
	static const char *const bad[] = {
		"<capabilities><guest><emulator>qemu</emulator></guest>"
		"</capabilities>",
		"<capabilities><guest><emulator>/usr/bin/../x</emulator>"
		"</guest></capabilities>",
		"<domain/>",
		"<capabilities>",
		"not xml",
	};
	struct hv_guard_emulators e;
	struct hv_error err;
	char many[4096] = "<capabilities>";
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		cr_assert_eq(
		    hv_guard_emulators_parse(bad[i], strlen(bad[i]), &e, &err),
		    -EINVAL, "%s", bad[i]);
		cr_assert(err.msg[0]);
		cr_assert_eq(e.n, 0);
	}
	for (i = 0; i <= HV_GUARD_EMULATORS_MAX; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many),
		         "<emulator>/usr/bin/q%zu</emulator>", i);
	strcat(many, "</capabilities>");
	cr_assert_eq(hv_guard_emulators_parse(many, strlen(many), &e, &err),
	             -EINVAL);
	cr_assert_not_null(strstr(err.msg, "more than 16"), "%s", err.msg);
	cr_assert_eq(hv_guard_emulators_parse("", 0, &e, &err), -EMSGSIZE);
}
