/*
 * vmx.c: VMware .vmx files, read into and written from struct hv_vmdef.
 *
 * Reading is two steps. The lexer turns the text into entries, each with
 * the line and column of its key, and refuses what is malformed or given
 * twice. The mapper then reads the keys it knows, gathers the device keys
 * (scsi0:1.fileName) by device, and notes, once a group, what it does not
 * map. The writer writes only what VMware can express and refuses the rest,
 * so that what it writes reads back as the same definition.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hypervisor/domxml.h"
#include "hypervisor/vmx.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#define VMX_MAX_KEYS     16384
#define VMX_KEY_MAX      255
#define VMX_MEMSIZE_MAX  (64ull << 20) /* MiB: 64 TiB */
#define VMX_VCPUS_MAX    768
#define VMX_ETHERNET_MAX 32 /* ethernet0..ethernet31 */
#define VMX_GROUPS_MAX   64
#define VMX_CTRL_MAX     4  /* controllers of one bus */
#define VMX_SERIAL_MAX   32 /* serial0..serial31 */

/* One `key = value` line; key and value point into the parser's buffer. */
struct vmx_entry {
	const char *key;        /* as written */
	const char *value;      /* escapes decoded */
	unsigned int line, col; /* where the key starts */
};

/* A disk bus as .vmx keys name it: <name><controller>:<unit>.<field>. */
struct vmx_bus {
	const char *name;
	enum hv_disk_bus bus;
	unsigned int n_ctrl, n_unit;
	bool ctrl_implicit; /* ide: there is no ideN.present */
	bool has_cdrom;
};

static const struct vmx_bus vmx_buses[] = {
	{ "scsi", HV_BUS_SCSI, 4, 64, false, true },
	{ "sata", HV_BUS_SATA, 4, 30, false, true },
	{ "ide", HV_BUS_IDE, 2, 2, true, true },
	{ "nvme", HV_BUS_NVME, 4, 15, false, false },
};

struct vmx_name {
	const char *name;
	int value;
};

static const struct vmx_name vmx_scsi_models[] = {
	{ "lsilogic", HV_SCSI_LSILOGIC },
	{ "lsisas1068", HV_SCSI_LSISAS1068 },
	{ "pvscsi", HV_SCSI_PVSCSI },
	{ "buslogic", HV_SCSI_BUSLOGIC },
};

/* The first name of each model is the one the writer uses. */
static const struct vmx_name vmx_nic_models[] = {
	{ "e1000", HV_NIC_E1000 },     { "e1000e", HV_NIC_E1000E },
	{ "vmxnet3", HV_NIC_VMXNET3 }, { "vlance", HV_NIC_PCNET },
	{ "vmxnet", HV_NIC_VMXNET3 },  { "vmxnet2", HV_NIC_VMXNET3 },
};

enum vmx_devtype {
	VMX_DISK,
	VMX_CDROM_IMAGE,
	VMX_CDROM_HOST,
	VMX_PASSTHRU,
};

static const struct vmx_name vmx_devtypes[] = {
	{ "scsi-hardDisk", VMX_DISK },
	{ "ata-hardDisk", VMX_DISK },
	{ "disk", VMX_DISK },
	{ "cdrom-image", VMX_CDROM_IMAGE },
	{ "cdrom-raw", VMX_CDROM_HOST },
	{ "atapi-cdrom", VMX_CDROM_HOST },
	{ "scsi-passthru", VMX_PASSTHRU },
};

/* The fields of a device that the mapper reads, and those it ignores. */
struct vmx_fieldset {
	const char *const *mapped;
	size_t n_mapped;
	const char *const *ignored;
	size_t n_ignored;
};

enum { DF_PRESENT, DF_FILENAME, DF_DEVICETYPE, DF_MODE, DF_READONLY, DF_N };
enum { CF_PRESENT, CF_VIRTUALDEV, CF_N };
enum { SF_PRESENT, SF_FILETYPE, SF_FILENAME, SF_N };
enum {
	NF_PRESENT,
	NF_VIRTUALDEV,
	NF_ADDRESSTYPE,
	NF_ADDRESS,
	NF_GENERATED,
	NF_NETWORK,
	NF_CONNECTION,
	NF_N
};

static const char *const unit_mapped[] = { "present", "fileName", "deviceType",
	                                   "mode", "readonly" };
static const char *const unit_ignored[] = {
	"redo",
	"ctkEnabled",
	"startConnected",
	"autodetect",
	"clientDevice",
	"writeThrough",
	"allowGuestConnectionControl",
};
static const char *const ctrl_mapped[] = { "present", "virtualDev" };
static const char *const ctrl_ignored[] = { "pciSlotNumber", "sasWWID" };
static const char *const nic_mapped[] = {
	"present",          "virtualDev",  "addressType",    "address",
	"generatedAddress", "networkName", "connectionType",
};
static const char *const nic_ignored[] = {
	"pciSlotNumber",
	"wakeOnPcktRcv",
	"uptCompatibility",
	"startConnected",
	"checkMACAddress",
	"generatedAddressOffset",
	"allowGuestConnectionControl",
	"features",
	"vnet",
};

static const char *const serial_mapped[] = { "present", "fileType",
	                                     "fileName" };
/* Settings of a file port, and the endpoints of the types not mapped. */
static const char *const serial_ignored[] = {
	"startConnected",
	"yieldOnMsrRead",
	"tryNoRxLoss",
	"autodetect",
	"allowGuestConnectionControl",
	"pipe.endPoint",
	"network.endPoint",
	"network.serviceURI",
	"vspc.uri",
	"hardwareFlowControl",
};

#define FIELDSET(m, i)                                                         \
	{                                                                      \
		m, ARRAY_LEN(m), i, ARRAY_LEN(i)                               \
	}
static const struct vmx_fieldset unit_fields =
    FIELDSET(unit_mapped, unit_ignored);
static const struct vmx_fieldset ctrl_fields =
    FIELDSET(ctrl_mapped, ctrl_ignored);
static const struct vmx_fieldset nic_fields = FIELDSET(nic_mapped, nic_ignored);
static const struct vmx_fieldset serial_fields =
    FIELDSET(serial_mapped, serial_ignored);

/* Keys read by the top-level mapping. */
static const char *const vmx_toplevel[] = {
	".encoding", "displayName", "uuid.bios", "memsize",
	"numvcpus",  "firmware",    "guestOS",
};

/*
 * Keys ignored without a note: bookkeeping, and settings at their default.
 * prefix: key starts with it; value: only when the value is that (NULL:
 * any value).
 */
static const struct vmx_ignore {
	const char *key;
	bool prefix;
	const char *value;
} vmx_ignored[] = {
	{ "config.version", false, NULL },
	{ "virtualHW.", true, NULL },
	{ "nvram", false, NULL },
	{ "extendedConfigFile", false, NULL },
	{ "checkpoint.", true, NULL },
	{ "tools.", true, NULL },
	{ "toolScripts.", true, NULL },
	{ "toolsInstallManager.", true, NULL },
	{ "vmci0.", true, NULL },
	{ "pciBridge", true, NULL },
	{ "hpet0.", true, NULL },
	{ "uuid.location", false, NULL },
	{ "uuid.action", false, NULL },
	{ "vc.uuid", false, NULL },
	{ "vm.genid", false, NULL },
	{ "vm.genidX", false, NULL },
	{ "vm.createDate", false, NULL },
	{ "cleanShutdown", false, NULL },
	{ "softPowerOff", false, NULL },
	{ "annotation", false, NULL },
	{ "guestOS.detailed.data", false, NULL },
	{ "guestinfo.", true, NULL },
	{ "isolation.", true, NULL },
	{ "migrate.", true, NULL },
	{ "vmotion.", true, NULL },
	{ "replay.", true, NULL },
	{ "gui.", true, NULL },
	{ "powerType.", true, NULL },
	{ "msg.autoAnswer", false, NULL },
	{ "vmxstats.filename", false, NULL },
	{ "RemoteDisplay.", true, NULL },
	{ "monitor.phys_bits_used", false, NULL },
	{ "numa.autosize.", true, NULL },
	{ "disk.EnableUUID", false, NULL },
	{ "sharedFolder.maxNum", false, NULL },
	{ "bios.bootRetry.", true, NULL },
	{ "sched.swap.derivedName", false, NULL },
	{ "sched.scsi", true, "normal" },
	{ "sched.cpu.units", false, "mhz" },
	{ "sched.cpu.min", false, "0" },
	{ "sched.cpu.shares", false, "normal" },
	{ "sched.cpu.affinity", false, "all" },
	{ "sched.cpu.latencySensitivity", false, "normal" },
	{ "sched.mem.min", false, "0" },
	{ "sched.mem.minSize", false, "0" },
	{ "sched.mem.shares", false, "normal" },
	{ "svga.present", false, "TRUE" },
	{ "svga.autodetect", false, NULL },
	{ "svga.guestBackedPrimaryAware", false, NULL },
	{ "svga.vramSize", false, "8388608" },
	{ "mks.enable3d", false, "FALSE" },
	{ "vhv.enable", false, "FALSE" },
	{ "uefi.secureBoot.enabled", false, "FALSE" },
	{ "mem.hotadd", false, "FALSE" },
	{ "vcpu.hotadd", false, "FALSE" },
};

/*
 * Device and setting groups that are not mapped: one note each. indexed:
 * the prefix takes a number (serial0); device: noted only when
 * <group>.present is TRUE.
 */
static const struct vmx_group {
	const char *prefix;
	bool indexed, device, plural;
	const char *what;
} vmx_groups[] = {
	{ "sound", false, true, false, "sound card" },
	{ "usb", false, true, false, "USB controller" },
	{ "ehci", false, true, false, "USB 2 controller" },
	{ "usb_xhci", false, true, false, "USB 3 controller" },
	{ "serial", true, true, false, "serial port" },
	{ "parallel", true, true, false, "parallel port" },
	{ "floppy", true, true, false, "floppy drive" },
	{ "pciPassthru", true, true, false, "PCI passthrough device" },
	{ "sharedFolder", true, true, false, "shared folder" },
	{ "svga", false, false, true, "display settings" },
	{ "mks", false, false, true, "3D settings" },
	{ "sched", false, false, true, "resource settings" },
	{ "cpuid", false, false, true, "CPU settings" },
	{ "numa", false, false, true, "NUMA settings" },
	{ "vhv", false, false, false, "nested virtualization" },
	{ "uefi", false, false, true, "UEFI settings" },
	{ "bios", false, false, true, "BIOS settings" },
	{ "mem", false, false, true, "memory settings" },
	{ "vcpu", false, false, true, "vCPU settings" },
};

/* A device key taken apart: scsi0:1.fileName, sata0.present, ethernet2.x */
struct vmx_devkey {
	const struct vmx_bus *bus; /* NULL for ethernetN */
	unsigned int ctrl, unit;   /* ethernetN: ctrl is N */
	bool has_unit;
	const char *field;
};

struct vmx_parser {
	const char *text;
	size_t len, pos, line_start;
	unsigned int line;
	char where[96]; /* origin, fit for messages */
	char quoted[64];
	struct hv_vmdef *def;
	struct hv_error *err;
	char *buf; /* keys and decoded values */
	size_t buf_used;
	struct vmx_entry *entries;
	size_t n_entries, cap_entries;
	struct vmx_entry **sorted;      /* by key, for lookups */
	const struct vmx_entry **units; /* [unit slot][DF_N] */
	const struct vmx_entry *ctrls[ARRAY_LEN(vmx_buses)][VMX_CTRL_MAX][CF_N];
	enum hv_scsi_model scsi_model[VMX_CTRL_MAX];
	const struct vmx_entry *nics[VMX_ETHERNET_MAX][NF_N];
	const struct vmx_entry *serials[VMX_SERIAL_MAX][SF_N];
	char groups[VMX_GROUPS_MAX][24]; /* device groups already noted */
	size_t n_groups;
	size_t n_unknown;
	char unknown[HV_VMDEF_NOTE_MAX]; /* ", key1, key2" */
	bool unknown_more;
};

/* ----- small helpers ----- */

static bool vmx_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool vmx_is_key_char(char c)
{
	return vmx_is_digit(c) || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') || c == '.' || c == ':' || c == '_' ||
	       c == '-';
}

static int vmx_hex(char c)
{
	if (vmx_is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool vmx_has_prefix(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static bool vmx_has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

/* Index of s in names[] (case-insensitive), or -1. */
static int vmx_name_index(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(names[i], s) == 0)
			return (int)i;
	return -1;
}

static const struct vmx_name *vmx_name_find(const struct vmx_name *names,
                                            size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(names[i].name, s) == 0)
			return &names[i];
	return NULL;
}

static const char *vmx_name_of(const struct vmx_name *names, size_t n,
                               int value)
{
	for (size_t i = 0; i < n; i++)
		if (names[i].value == value)
			return names[i].name;
	return NULL;
}

/*
 * A number of 1 to 3 digits at s, without leading zeros: the index in
 * "serial12.x" ("serial012.x" would alias it).
 */
static const char *vmx_index_parse(const char *s, unsigned int *index)
{
	unsigned int v = 0;
	size_t n;

	for (n = 0; vmx_is_digit(s[n]); n++)
		v = v * 10 + (unsigned int)(s[n] - '0');
	if (n == 0 || n > 3 || (n > 1 && s[0] == '0'))
		return NULL;
	*index = v;
	return s + n;
}

/* A decimal number without sign or blanks; saturates far above any limit. */
static bool vmx_decimal(const char *s, unsigned long long *out)
{
	unsigned long long v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (!vmx_is_digit(*s))
			return false;
		if (v < 1000000000000ull)
			v = v * 10 + (unsigned long long)(*s - '0');
	}
	*out = v;
	return true;
}

static const struct vmx_bus *vmx_bus_of(enum hv_disk_bus bus)
{
	for (size_t i = 0; i < ARRAY_LEN(vmx_buses); i++)
		if (vmx_buses[i].bus == bus)
			return &vmx_buses[i];
	return NULL;
}

/*
 * Why VMware (virtualHW 14) has no device at ctrl:unit of bus b with that
 * SCSI controller model, or NULL if it has.
 */
static const char *vmx_slot_problem(const struct vmx_bus *b,
                                    enum hv_scsi_model model, unsigned int ctrl,
                                    unsigned int unit)
{
	if (ctrl >= b->n_ctrl)
		return "the controller index is out of range";
	if (unit >= b->n_unit)
		return "the unit is out of range";
	if (b->bus == HV_BUS_SCSI && unit == 7)
		return "unit 7 is the SCSI controller's own";
	if (b->bus == HV_BUS_SCSI && model != HV_SCSI_PVSCSI && unit > 15)
		return "units above 15 need a pvscsi controller";
	return NULL;
}

/* VMware's static MAC range: 00:50:56:00:00:00 to 00:50:56:3f:ff:ff. */
static bool vmx_mac_is_static_range(const char *mac)
{
	return strncmp(mac, "00:50:56:", 9) == 0 && vmx_hex(mac[9]) >= 0 &&
	       vmx_hex(mac[9]) <= 3;
}

/* ----- errors ----- */

static int vmx_fail_at(struct vmx_parser *p, unsigned int line,
                       unsigned int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int vmx_fail(struct vmx_parser *p, const struct vmx_entry *e,
                    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* "origin:line:col: msg" (col 0: "origin:line: msg"); returns -EINVAL. */
static int vmx_fail_va(struct vmx_parser *p, unsigned int line,
                       unsigned int col, const char *fmt, va_list ap)
{
	char msg[HV_ERROR_MSG_MAX];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (col)
		return hv_error_set(p->err, -EINVAL, "%s:%u:%u: %s", p->where,
		                    line, col, msg);
	return hv_error_set(p->err, -EINVAL, "%s:%u: %s", p->where, line, msg);
}

/* A syntax error, at a line and column. */
static int vmx_fail_at(struct vmx_parser *p, unsigned int line,
                       unsigned int col, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vmx_fail_va(p, line, col, fmt, ap);
	va_end(ap);
	return rc;
}

/* A wrong value, at the line of its entry. */
static int vmx_fail(struct vmx_parser *p, const struct vmx_entry *e,
                    const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vmx_fail_va(p, e->line, 0, fmt, ap);
	va_end(ap);
	return rc;
}

static int vmx_no_memory(struct vmx_parser *p)
{
	return hv_error_set(p->err, -ENOMEM, "%s: out of memory", p->where);
}

/* An untrusted value, fit for one message (one at a time). */
static const char *vmx_q(struct vmx_parser *p, const char *s)
{
	return hv_error_quote(s, p->quoted, sizeof(p->quoted));
}

/* A byte for a message: 'c', or "byte 0x0d". */
static const char *vmx_char_name(char c, char *buf, size_t size)
{
	unsigned char u = (unsigned char)c;

	if (u >= 0x20 && u < 0x7f)
		snprintf(buf, size, "'%c'", c);
	else
		snprintf(buf, size, "byte 0x%02x", u);
	return buf;
}

/* ----- lexer ----- */

static unsigned int vmx_col(const struct vmx_parser *p)
{
	return (unsigned int)(p->pos - p->line_start) + 1;
}

static char vmx_cur(const struct vmx_parser *p)
{
	return p->pos < p->len ? p->text[p->pos] : '\0';
}

/* At "\n", "\r\n" or the end of the text. */
static bool vmx_at_eol(const struct vmx_parser *p)
{
	const char *s = p->text + p->pos;

	return p->pos >= p->len || s[0] == '\n' ||
	       (s[0] == '\r' && p->pos + 1 < p->len && s[1] == '\n');
}

static void vmx_skip_blanks(struct vmx_parser *p)
{
	while (p->pos < p->len &&
	       (p->text[p->pos] == ' ' || p->text[p->pos] == '\t'))
		p->pos++;
}

static void vmx_skip_to_eol(struct vmx_parser *p)
{
	while (!vmx_at_eol(p))
		p->pos++;
}

/* Decode one byte of a value at p->pos, a plain byte or |XX, into *out. */
static int vmx_lex_value_byte(struct vmx_parser *p, char *out)
{
	const char *s = p->text + p->pos;
	unsigned char c = (unsigned char)s[0];
	int hi, lo;

	if (c == '|') {
		hi = p->pos + 1 < p->len ? vmx_hex(s[1]) : -1;
		lo = p->pos + 2 < p->len ? vmx_hex(s[2]) : -1;
		if (hi < 0 || lo < 0)
			return vmx_fail_at(p, p->line, vmx_col(p),
			                   "'|' is not followed by two hex "
			                   "digits");
		if (hi == 0 && lo == 0)
			return vmx_fail_at(p, p->line, vmx_col(p),
			                   "the escape |00 (a NUL byte) is "
			                   "not allowed");
		*out = (char)(hi << 4 | lo);
		p->pos += 3;
		return 0;
	}
	if ((c < 0x20 && c != '\t') || c == 0x7f)
		return vmx_fail_at(p, p->line, vmx_col(p),
		                   "control character 0x%02x in a value", c);
	*out = (char)c;
	p->pos++;
	return 0;
}

/*
 * The value at p->pos, quoted or not, decoded into dst (which has room for
 * the raw bytes), then the rest of the line. Returns its length or -EINVAL.
 */
static int vmx_lex_value(struct vmx_parser *p, char *dst)
{
	unsigned int open_col = vmx_col(p);
	const char *after = "the value";
	char name[16];
	int n = 0, rc;

	if (vmx_cur(p) == '"') {
		for (p->pos++; vmx_cur(p) != '"'; n++) {
			if (vmx_at_eol(p))
				return vmx_fail_at(p, p->line, open_col,
				                   "unterminated quote");
			rc = vmx_lex_value_byte(p, dst + n);
			if (rc < 0)
				return rc;
		}
		p->pos++;
		after = "the closing quote";
	} else {
		for (; !vmx_at_eol(p) && !strchr(" \t#", vmx_cur(p)); n++) {
			if (vmx_cur(p) == '"')
				return vmx_fail_at(p, p->line, vmx_col(p),
				                   "a quote inside an unquoted "
				                   "value");
			rc = vmx_lex_value_byte(p, dst + n);
			if (rc < 0)
				return rc;
		}
	}
	dst[n] = '\0';
	vmx_skip_blanks(p);
	if (vmx_cur(p) == '#')
		vmx_skip_to_eol(p);
	if (!vmx_at_eol(p))
		return vmx_fail_at(
		    p, p->line, vmx_col(p), "unexpected %s after %s",
		    vmx_char_name(vmx_cur(p), name, sizeof(name)), after);
	return n;
}

static int vmx_entry_add(struct vmx_parser *p, const char *key,
                         const char *value, unsigned int col)
{
	struct vmx_entry *grown;
	size_t cap;

	if (p->n_entries == VMX_MAX_KEYS)
		return vmx_fail_at(p, p->line, col, "more than %d keys",
		                   VMX_MAX_KEYS);
	if (p->n_entries == p->cap_entries) {
		cap = p->cap_entries ? p->cap_entries * 2 : 64;
		grown = realloc(p->entries, cap * sizeof(*grown));
		if (!grown)
			return vmx_no_memory(p);
		p->entries = grown;
		p->cap_entries = cap;
	}
	p->entries[p->n_entries++] =
	    (struct vmx_entry){ key, value, p->line, col };
	return 0;
}

/* `key = value [# comment]` at p->pos. */
static int vmx_lex_entry(struct vmx_parser *p)
{
	char *key = p->buf + p->buf_used, *value, name[16];
	size_t start = p->pos, key_len;
	unsigned int col = vmx_col(p);
	int value_len;

	if (!vmx_is_key_char(vmx_cur(p)))
		return vmx_fail_at(
		    p, p->line, col, "expected a key, found %s",
		    vmx_char_name(vmx_cur(p), name, sizeof(name)));
	while (p->pos < p->len && vmx_is_key_char(p->text[p->pos]))
		p->pos++;
	key_len = p->pos - start;
	if (key_len > VMX_KEY_MAX)
		return vmx_fail_at(p, p->line, col,
		                   "a key is longer than %d bytes",
		                   VMX_KEY_MAX);
	memcpy(key, p->text + start, key_len);
	key[key_len] = '\0';
	if (!vmx_at_eol(p) && !strchr(" \t=", vmx_cur(p)))
		return vmx_fail_at(
		    p, p->line, vmx_col(p), "bad character %s in key '%s'",
		    vmx_char_name(vmx_cur(p), name, sizeof(name)), key);
	vmx_skip_blanks(p);
	if (vmx_at_eol(p) || vmx_cur(p) != '=')
		return vmx_fail_at(p, p->line, vmx_col(p),
		                   "expected '=' after key '%s'", key);
	p->pos++;
	vmx_skip_blanks(p);
	if (vmx_at_eol(p) || vmx_cur(p) == '#')
		return vmx_fail_at(p, p->line, vmx_col(p),
		                   "expected a value after '='");
	value = key + key_len + 1;
	value_len = vmx_lex_value(p, value);
	if (value_len < 0)
		return value_len;
	p->buf_used += key_len + 1 + (size_t)value_len + 1;
	return vmx_entry_add(p, key, value, col);
}

static int vmx_entry_cmp(const void *a, const void *b)
{
	const struct vmx_entry *x = *(struct vmx_entry *const *)a;
	const struct vmx_entry *y = *(struct vmx_entry *const *)b;
	int c = strcasecmp(x->key, y->key);

	if (c)
		return c;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* Sort the entries by key for lookups; a key given twice is an error. */
static int vmx_sort(struct vmx_parser *p)
{
	const struct vmx_entry *first = NULL, *again = NULL;
	size_t i;

	p->sorted = calloc(p->n_entries + 1, sizeof(*p->sorted));
	if (!p->sorted)
		return vmx_no_memory(p);
	for (i = 0; i < p->n_entries; i++)
		p->sorted[i] = &p->entries[i];
	qsort(p->sorted, p->n_entries, sizeof(*p->sorted), vmx_entry_cmp);
	for (i = 1; i < p->n_entries; i++) {
		if (strcasecmp(p->sorted[i - 1]->key, p->sorted[i]->key))
			continue;
		if (!again || p->sorted[i]->line < again->line) {
			first = p->sorted[i - 1];
			again = p->sorted[i];
		}
	}
	if (again)
		return vmx_fail_at(p, again->line, again->col,
		                   "duplicate key '%s' (first on line %u)",
		                   again->key, first->line);
	return 0;
}

/* Lines into entries. The text has been checked for NUL bytes. */
static int vmx_lex(struct vmx_parser *p)
{
	int rc;

	p->buf = malloc(p->len + 2);
	if (!p->buf)
		return vmx_no_memory(p);
	if (p->len >= 3 && memcmp(p->text, "\xef\xbb\xbf", 3) == 0)
		p->pos = p->line_start = 3; /* a UTF-8 byte order mark */
	for (p->line = 1; p->pos < p->len; p->line++) {
		vmx_skip_blanks(p);
		if (!vmx_at_eol(p) && vmx_cur(p) != '#') {
			rc = vmx_lex_entry(p);
			if (rc < 0)
				return rc;
		}
		vmx_skip_to_eol(p);
		if (vmx_cur(p) == '\r')
			p->pos++;
		if (p->pos < p->len)
			p->pos++;
		p->line_start = p->pos;
	}
	return vmx_sort(p);
}

/* ----- lookups and values ----- */

static const struct vmx_entry *vmx_get(const struct vmx_parser *p,
                                       const char *key)
{
	size_t lo = 0, hi = p->n_entries, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcasecmp(key, p->sorted[mid]->key);
		if (c == 0)
			return p->sorted[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* TRUE/FALSE (also yes/no, 1/0, any case); a missing entry is FALSE. */
static int vmx_bool(struct vmx_parser *p, const struct vmx_entry *e, bool *out)
{
	static const char *const yes[] = { "TRUE", "yes", "1" };
	static const char *const no[] = { "FALSE", "no", "0" };

	*out = false;
	if (!e || vmx_name_index(no, ARRAY_LEN(no), e->value) >= 0)
		return 0;
	if (vmx_name_index(yes, ARRAY_LEN(yes), e->value) >= 0) {
		*out = true;
		return 0;
	}
	return vmx_fail(p, e, "%s '%s' is not TRUE or FALSE", e->key,
	                vmx_q(p, e->value));
}

/* Copy e's value into dst[size]; too long is an error, not a cut. */
static int vmx_copy(struct vmx_parser *p, const struct vmx_entry *e, char *dst,
                    size_t size)
{
	size_t n = strlen(e->value);

	if (n >= size)
		return vmx_fail(p, e, "%s is longer than %zu bytes", e->key,
		                size - 1);
	memcpy(dst, e->value, n + 1);
	return 0;
}

/* ----- top-level keys ----- */

static int vmx_map_name(struct vmx_parser *p)
{
	const struct vmx_entry *e = vmx_get(p, "displayName");

	if (!e)
		return hv_error_set(p->err, -EINVAL,
		                    "%s: displayName is missing", p->where);
	if (!e->value[0])
		return vmx_fail(p, e, "%s is empty", e->key);
	return vmx_copy(p, e, p->def->name, sizeof(p->def->name));
}

/* "56 4d 12 34 56 78 9a bc-de f0 12 34 56 78 9a bc" to canonical form. */
static int vmx_map_uuid(struct vmx_parser *p)
{
	const struct vmx_entry *e = vmx_get(p, "uuid.bios");
	const char *s;
	char *out = p->def->uuid;
	int i, hi, lo;

	if (!e)
		return 0;
	for (i = 0, s = e->value; i < 16; i++, s += 3) {
		hi = vmx_hex(s[0]);
		lo = hi < 0 ? -1 : vmx_hex(s[1]);
		if (lo < 0 || s[2] != (i == 15 ? '\0' : i == 7 ? '-' : ' '))
			break;
		out += sprintf(out, "%s%c%c",
		               i == 4 || i == 6 || i == 8 || i == 10 ? "-" : "",
		               s[0] | 0x20, s[1] | 0x20);
	}
	if (i < 16) {
		p->def->uuid[0] = '\0';
		return vmx_fail(p, e,
		                "%s '%s' is not 16 hex bytes like "
		                "'56 4d 12 34 56 78 9a bc-de f0 ...'",
		                e->key, vmx_q(p, e->value));
	}
	return 0;
}

static int vmx_map_sizes(struct vmx_parser *p)
{
	const struct vmx_entry *e = vmx_get(p, "memsize");
	unsigned long long v;

	if (!e)
		return hv_error_set(p->err, -EINVAL, "%s: memsize is missing",
		                    p->where);
	if (!vmx_decimal(e->value, &v))
		return vmx_fail(p, e, "%s '%s' is not a number of MiB", e->key,
		                vmx_q(p, e->value));
	if (v == 0 || v > VMX_MEMSIZE_MAX)
		return vmx_fail(p, e, "%s '%s' is not 1..%llu MiB", e->key,
		                vmx_q(p, e->value), VMX_MEMSIZE_MAX);
	p->def->memory_kib = (uint64_t)v * 1024;
	p->def->vcpus = 1;
	e = vmx_get(p, "numvcpus");
	if (!e)
		return 0;
	if (!vmx_decimal(e->value, &v) || v == 0 || v > VMX_VCPUS_MAX)
		return vmx_fail(p, e, "%s '%s' is not 1..%d", e->key,
		                vmx_q(p, e->value), VMX_VCPUS_MAX);
	p->def->vcpus = (unsigned int)v;
	return 0;
}

static int vmx_map_system(struct vmx_parser *p)
{
	const struct vmx_entry *e = vmx_get(p, "firmware");

	p->def->firmware = HV_FW_BIOS;
	if (e && strcasecmp(e->value, "efi") == 0)
		p->def->firmware = HV_FW_UEFI;
	else if (e && strcasecmp(e->value, "bios") != 0)
		return vmx_fail(p, e, "%s '%s' is not bios or efi", e->key,
		                vmx_q(p, e->value));
	e = vmx_get(p, ".encoding");
	if (e && strcasecmp(e->value, "UTF-8") != 0)
		hv_vmdef_note(p->def,
		              "vmx: .encoding '%s' is not UTF-8; values were "
		              "read as bytes",
		              vmx_q(p, e->value));
	e = vmx_get(p, "guestOS");
	return e ? vmx_copy(p, e, p->def->guest_os, sizeof(p->def->guest_os))
	         : 0;
}

/* ----- sorting the other keys ----- */

static bool vmx_is_ignored(const struct vmx_entry *e)
{
	const struct vmx_ignore *ig;

	if (vmx_name_index(vmx_toplevel, ARRAY_LEN(vmx_toplevel), e->key) >= 0)
		return true;
	for (ig = vmx_ignored; ig < vmx_ignored + ARRAY_LEN(vmx_ignored);
	     ig++) {
		if (ig->prefix ? !vmx_has_prefix(e->key, ig->key)
		               : strcasecmp(e->key, ig->key) != 0)
			continue;
		if (!ig->value || strcasecmp(e->value, ig->value) == 0)
			return true;
	}
	return false;
}

/* Take key apart as a disk, controller or NIC key; false if it is not one. */
static bool vmx_devkey_parse(const char *key, struct vmx_devkey *k)
{
	const char *s = NULL;
	size_t i;

	memset(k, 0, sizeof(*k));
	if (vmx_has_prefix(key, "ethernet")) {
		s = vmx_index_parse(key + 8, &k->ctrl);
	} else {
		for (i = 0; i < ARRAY_LEN(vmx_buses) && !s; i++) {
			if (!vmx_has_prefix(key, vmx_buses[i].name))
				continue;
			k->bus = &vmx_buses[i];
			s = vmx_index_parse(key + strlen(k->bus->name),
			                    &k->ctrl);
		}
		if (s && *s == ':') {
			k->has_unit = true;
			s = vmx_index_parse(s + 1, &k->unit);
		}
	}
	if (!s || *s != '.')
		return false;
	k->field = s + 1;
	return true;
}

/*
 * Keep e in slot[] if its field is one fs maps. Returns 1 if e is taken or
 * ignored, 0 if the field is unknown.
 */
static int vmx_field_store(const struct vmx_fieldset *fs, const char *field,
                           const struct vmx_entry *e,
                           const struct vmx_entry **slot)
{
	int i = vmx_name_index(fs->mapped, fs->n_mapped, field);

	if (i >= 0) {
		slot[i] = e;
		return 1;
	}
	return vmx_name_index(fs->ignored, fs->n_ignored, field) >= 0;
}

/* Device slots of all buses: scsi0:0 .. nvme3:14. */
static size_t vmx_unit_slots(void)
{
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_LEN(vmx_buses); i++)
		n += vmx_buses[i].n_ctrl * vmx_buses[i].n_unit;
	return n;
}

static const struct vmx_entry **vmx_unit_slot(struct vmx_parser *p,
                                              const struct vmx_devkey *k)
{
	size_t slot = 0;

	for (const struct vmx_bus *b = vmx_buses; b != k->bus; b++)
		slot += b->n_ctrl * b->n_unit;
	slot += k->ctrl * k->bus->n_unit + k->unit;
	return &p->units[slot * DF_N];
}

/* A device key: into its slot. 1: taken, 0: not a device key, or -EINVAL. */
static int vmx_sort_device(struct vmx_parser *p, const struct vmx_entry *e)
{
	struct vmx_devkey k;
	const char *problem;

	if (!vmx_devkey_parse(e->key, &k))
		return 0;
	if (!k.bus) {
		if (k.ctrl >= VMX_ETHERNET_MAX)
			return vmx_fail(p, e,
			                "ethernet%u is out of range "
			                "(ethernet0..ethernet%d)",
			                k.ctrl, VMX_ETHERNET_MAX - 1);
		return vmx_field_store(&nic_fields, k.field, e,
		                       p->nics[k.ctrl]);
	}
	problem = vmx_slot_problem(k.bus, HV_SCSI_PVSCSI, k.ctrl, k.unit);
	if (problem)
		return vmx_fail(p, e, "%s: %s", e->key, problem);
	if (!k.has_unit)
		return vmx_field_store(&ctrl_fields, k.field, e,
		                       p->ctrls[k.bus - vmx_buses][k.ctrl]);
	return vmx_field_store(&unit_fields, k.field, e, vmx_unit_slot(p, &k));
}

static void vmx_unknown_add(struct vmx_parser *p, const struct vmx_entry *e);

/*
 * A serialN key (N < VMX_SERIAL_MAX): into its slot. An unknown field of
 * a present port is listed with the unknown keys. 1: taken, 0: not a
 * serial key, or -EINVAL.
 */
static int vmx_sort_serial(struct vmx_parser *p, const struct vmx_entry *e)
{
	const char *s;
	char present[32];
	unsigned int index;
	bool on;
	int rc;

	if (!vmx_has_prefix(e->key, "serial"))
		return 0;
	s = vmx_index_parse(e->key + 6, &index);
	if (!s || *s != '.' || index >= VMX_SERIAL_MAX)
		return 0;
	if (vmx_field_store(&serial_fields, s + 1, e, p->serials[index]))
		return 1;
	snprintf(present, sizeof(present), "serial%u.present", index);
	rc = vmx_bool(p, vmx_get(p, present), &on);
	if (rc == 0 && on)
		vmx_unknown_add(p, e);
	return rc < 0 ? rc : 1;
}

/* A key of a group that is not mapped: one note per group. */
static int vmx_sort_group(struct vmx_parser *p, const struct vmx_entry *e)
{
	const struct vmx_group *g;
	const char *s = NULL;
	char name[24], present[40];
	unsigned int index;
	bool on = true;
	size_t i;
	int rc;

	for (g = vmx_groups; g < vmx_groups + ARRAY_LEN(vmx_groups) && !s;
	     g++) {
		if (!vmx_has_prefix(e->key, g->prefix))
			continue;
		s = e->key + strlen(g->prefix);
		if (g->indexed)
			s = vmx_index_parse(s, &index);
		if (s && *s != '.' && *s != ':')
			s = NULL;
	}
	if (!s)
		return 0;
	g--;
	snprintf(name, sizeof(name), "%.*s", (int)(s - e->key), e->key);
	if (g->device) {
		snprintf(present, sizeof(present), "%s.present", name);
		rc = vmx_bool(p, vmx_get(p, present), &on);
		if (rc < 0)
			return rc;
	}
	for (i = 0; i < p->n_groups && on; i++)
		if (strcasecmp(p->groups[i], name) == 0)
			on = false;
	if (!on)
		return 1;
	if (p->n_groups == VMX_GROUPS_MAX) {
		p->def->notes_truncated = true;
		return 1;
	}
	strcpy(p->groups[p->n_groups++], name);
	hv_vmdef_note(p->def, "vmx: %s (%s.*) %s not mapped", g->what, name,
	              g->plural ? "are" : "is");
	return 1;
}

static void vmx_unknown_add(struct vmx_parser *p, const struct vmx_entry *e)
{
	size_t used = strlen(p->unknown), room = sizeof(p->unknown) - 40;

	p->n_unknown++;
	if (p->unknown_more || used + 2 + strlen(e->key) >= room)
		p->unknown_more = true;
	else
		snprintf(p->unknown + used, sizeof(p->unknown) - used, ", %s",
		         e->key);
}

/* Every key that is not top-level: devices, groups, the unknown. */
static int vmx_sort_keys(struct vmx_parser *p)
{
	const struct vmx_entry *e;
	int rc;

	for (e = p->entries; e < p->entries + p->n_entries; e++) {
		if (vmx_is_ignored(e))
			continue;
		rc = vmx_sort_device(p, e);
		if (rc == 0)
			rc = vmx_sort_serial(p, e);
		if (rc == 0)
			rc = vmx_sort_group(p, e);
		if (rc < 0)
			return rc;
		if (rc == 0)
			vmx_unknown_add(p, e);
	}
	return 0;
}

/* ----- disks ----- */

/* The model of each present SCSI controller. */
static int vmx_map_scsi_models(struct vmx_parser *p)
{
	const struct vmx_entry *const *c;
	const struct vmx_name *model;
	unsigned int i;
	bool on;
	int rc;

	for (i = 0; i < VMX_CTRL_MAX; i++) {
		c = p->ctrls[0][i]; /* vmx_buses[0] is scsi */
		p->scsi_model[i] = HV_SCSI_DEFAULT;
		rc = vmx_bool(p, c[CF_PRESENT], &on);
		if (rc < 0)
			return rc;
		if (!on || !c[CF_VIRTUALDEV])
			continue;
		model =
		    vmx_name_find(vmx_scsi_models, ARRAY_LEN(vmx_scsi_models),
		                  c[CF_VIRTUALDEV]->value);
		if (model)
			p->scsi_model[i] = (enum hv_scsi_model)model->value;
		else
			hv_vmdef_note(p->def,
			              "vmx: scsi%u.virtualDev '%s' is not "
			              "known; the controller model is left to "
			              "the target",
			              i, vmx_q(p, c[CF_VIRTUALDEV]->value));
	}
	return 0;
}

/* What the device at f is; -EINVAL for a deviceType we do not know. */
static int vmx_devtype(struct vmx_parser *p, const struct vmx_entry **f)
{
	const struct vmx_entry *t = f[DF_DEVICETYPE];
	const struct vmx_name *type;

	if (!t)
		return f[DF_FILENAME] &&
		               vmx_has_suffix(f[DF_FILENAME]->value, ".iso")
		           ? VMX_CDROM_IMAGE
		           : VMX_DISK;
	type = vmx_name_find(vmx_devtypes, ARRAY_LEN(vmx_devtypes), t->value);
	if (!type)
		return vmx_fail(p, t, "%s '%s' is not a disk or cdrom type",
		                t->key, vmx_q(p, t->value));
	return type->value;
}

/* The image of a disk or cdrom at f into d. */
static int vmx_map_image(struct vmx_parser *p, const char *dev, int type,
                         const struct vmx_entry **f, struct hv_vmdisk *d)
{
	const struct vmx_entry *file = f[DF_FILENAME];

	d->device = type == VMX_DISK ? HV_DEV_DISK : HV_DEV_CDROM;
	d->format = type == VMX_DISK ? HV_IMG_VMDK : HV_IMG_RAW;
	if (type == VMX_CDROM_HOST) {
		if (file && file->value[0] &&
		    strcasecmp(file->value, "auto detect") != 0)
			hv_vmdef_note(p->def,
			              "vmx: %s is the host's CD drive '%s'; "
			              "read as an empty cdrom",
			              dev, vmx_q(p, file->value));
		return 0;
	}
	if (!file || !file->value[0]) {
		if (type == VMX_DISK)
			return vmx_fail(p, f[DF_PRESENT], "%s has no fileName",
			                dev);
		return 0;
	}
	if (type == VMX_DISK && !vmx_has_suffix(file->value, ".vmdk"))
		hv_vmdef_note(p->def,
		              "vmx: %s fileName '%s' does not end in .vmdk; "
		              "read as a VMDK",
		              dev, vmx_q(p, file->value));
	return vmx_copy(p, file, d->path, sizeof(d->path));
}

/* The disk whose present key is e, if present, and on a present bus. */
static int vmx_map_disk(struct vmx_parser *p, const struct vmx_entry *e,
                        const struct vmx_devkey *k)
{
	const struct vmx_entry **f = vmx_unit_slot(p, k);
	const struct vmx_entry *mode = f[DF_MODE];
	struct hv_vmdisk *d = &p->def->disks[p->def->n_disks];
	enum hv_scsi_model model = HV_SCSI_DEFAULT;
	const char *problem;
	char dev[32];
	int type, rc;
	bool on;

	snprintf(dev, sizeof(dev), "%s%u:%u", k->bus->name, k->ctrl, k->unit);
	rc = vmx_bool(p, e, &on);
	if (rc < 0 || !on)
		return rc;
	rc =
	    vmx_bool(p, p->ctrls[k->bus - vmx_buses][k->ctrl][CF_PRESENT], &on);
	if (rc < 0)
		return rc;
	if (!on && !k->bus->ctrl_implicit) {
		hv_vmdef_note(p->def,
		              "vmx: %s is on %s%u, which is not present: "
		              "not mapped",
		              dev, k->bus->name, k->ctrl);
		return 0;
	}
	if (k->bus->bus == HV_BUS_SCSI)
		model = p->scsi_model[k->ctrl];
	problem = vmx_slot_problem(k->bus, model, k->ctrl, k->unit);
	if (problem)
		return vmx_fail(p, e, "%s: %s", dev, problem);
	type = vmx_devtype(p, f);
	if (type < 0)
		return type;
	if (type == VMX_PASSTHRU) {
		hv_vmdef_note(p->def, "vmx: %s (deviceType %s) is not mapped",
		              dev, f[DF_DEVICETYPE]->value);
		return 0;
	}
	if (type != VMX_DISK && !k->bus->has_cdrom)
		return vmx_fail(p, e, "%s: VMware has no %s cdrom", dev,
		                k->bus->name);
	if (p->def->n_disks == HV_VMDEF_MAX_DISKS)
		return vmx_fail(p, e, "more than %d disks", HV_VMDEF_MAX_DISKS);
	rc = vmx_map_image(p, dev, type, f, d);
	if (rc == 0)
		rc = vmx_bool(p, f[DF_READONLY], &d->readonly);
	if (rc < 0)
		return rc;
	if (mode && !vmx_has_suffix(mode->value, "persistent"))
		hv_vmdef_note(p->def,
		              "vmx: %s mode '%s' is not mapped; the disk is "
		              "copied as persistent",
		              dev, vmx_q(p, mode->value));
	else if (mode && vmx_has_suffix(mode->value, "nonpersistent"))
		hv_vmdef_note(p->def,
		              "vmx: %s is %s: VMware discards its writes at "
		              "power-off; the copy keeps them",
		              dev, vmx_q(p, mode->value));
	d->bus = k->bus->bus;
	d->scsi_model = model;
	d->controller = k->ctrl;
	d->unit = k->unit;
	p->def->n_disks++;
	return 0;
}

/* Disks in the order of their present keys. */
static int vmx_map_disks(struct vmx_parser *p)
{
	const struct vmx_entry *e;
	struct vmx_devkey k;
	int rc = vmx_map_scsi_models(p);

	for (e = p->entries; e < p->entries + p->n_entries && rc == 0; e++)
		if (vmx_devkey_parse(e->key, &k) && k.bus && k.has_unit &&
		    strcasecmp(k.field, "present") == 0)
			rc = vmx_map_disk(p, e, &k);
	return rc;
}

/* ----- NICs ----- */

/* A MAC address in any case into mac[18], lower case and unicast. */
static int vmx_mac(struct vmx_parser *p, const struct vmx_entry *e, char *mac)
{
	size_t i;

	if (strlen(e->value) == 17) {
		for (i = 0; i < 17; i++)
			mac[i] =
			    (char)(e->value[i] |
			           (vmx_hex(e->value[i]) >= 10 ? 0x20 : 0));
		mac[17] = '\0';
		if (hv_mac_is_canonical(mac))
			return 0;
	}
	mac[0] = '\0';
	return vmx_fail(p, e, "%s '%s' is not a unicast MAC address", e->key,
	                vmx_q(p, e->value));
}

static int vmx_map_nic_address(struct vmx_parser *p, unsigned int index,
                               struct hv_vmnic *n)
{
	const struct vmx_entry **f = p->nics[index];
	const struct vmx_entry *type = f[NF_ADDRESSTYPE];

	if (type && strcasecmp(type->value, "static") == 0) {
		if (!f[NF_ADDRESS])
			return vmx_fail(
			    p, type,
			    "%s is static but ethernet%u.address is "
			    "missing",
			    type->key, index);
		return vmx_mac(p, f[NF_ADDRESS], n->mac);
	}
	if (type && strcasecmp(type->value, "generated") != 0 &&
	    strcasecmp(type->value, "vpx") != 0)
		return vmx_fail(p, type,
		                "%s '%s' is not static, generated or vpx",
		                type->key, vmx_q(p, type->value));
	return f[NF_GENERATED] ? vmx_mac(p, f[NF_GENERATED], n->mac) : 0;
}

static int vmx_map_nic(struct vmx_parser *p, unsigned int index)
{
	const struct vmx_entry **f = p->nics[index];
	const struct vmx_entry *dev = f[NF_VIRTUALDEV],
	                       *conn = f[NF_CONNECTION];
	struct hv_vmnic *n = &p->def->nics[p->def->n_nics];
	const struct vmx_name *model = NULL;
	bool on;
	int rc;

	rc = vmx_bool(p, f[NF_PRESENT], &on);
	if (rc < 0 || !on)
		return rc;
	if (p->def->n_nics == HV_VMDEF_MAX_NICS)
		return vmx_fail(p, f[NF_PRESENT], "more than %d NICs",
		                HV_VMDEF_MAX_NICS);
	if (dev)
		model = vmx_name_find(vmx_nic_models, ARRAY_LEN(vmx_nic_models),
		                      dev->value);
	n->model = model ? (enum hv_nic_model)model->value : HV_NIC_E1000;
	if (!dev)
		hv_vmdef_note(p->def,
		              "vmx: ethernet%u has no virtualDev; read as "
		              "e1000",
		              index);
	else if (!model)
		hv_vmdef_note(p->def,
		              "vmx: ethernet%u virtualDev '%s' is not mapped; "
		              "read as e1000",
		              index, vmx_q(p, dev->value));
	else if (vmx_has_prefix(dev->value, "vmxnet") &&
	         strcasecmp(dev->value, "vmxnet3") != 0)
		hv_vmdef_note(p->def,
		              "vmx: ethernet%u virtualDev '%s' is read as "
		              "vmxnet3",
		              index, dev->value);
	if (conn && strcasecmp(conn->value, "bridged") != 0)
		hv_vmdef_note(p->def,
		              "vmx: ethernet%u connectionType '%s' is not "
		              "mapped",
		              index, vmx_q(p, conn->value));
	rc = vmx_map_nic_address(p, index, n);
	if (rc == 0 && f[NF_NETWORK])
		rc = vmx_copy(p, f[NF_NETWORK], n->network, sizeof(n->network));
	if (rc < 0)
		return rc;
	p->def->n_nics++;
	return 0;
}

static int vmx_map_nics(struct vmx_parser *p)
{
	int rc = 0;

	for (unsigned int i = 0; i < VMX_ETHERNET_MAX && rc == 0; i++)
		rc = vmx_map_nic(p, i);
	return rc;
}

/* ----- serial ports ----- */

/*
 * serialN with fileType "file" and a fileName, in index order; the other
 * types (pipe, network, device, thinprint) are noted.
 */
static int vmx_map_serial(struct vmx_parser *p, unsigned int index)
{
	const struct vmx_entry **f = p->serials[index];
	const struct vmx_entry *type = f[SF_FILETYPE], *file = f[SF_FILENAME];
	struct hv_vmdef *def = p->def;
	bool on;
	int rc;

	rc = vmx_bool(p, f[SF_PRESENT], &on);
	if (rc < 0 || !on)
		return rc;
	if (type && strcasecmp(type->value, "file") != 0) {
		hv_vmdef_note(def,
		              "vmx: serial port (serial%u.*) fileType '%s' is "
		              "not mapped",
		              index, vmx_q(p, type->value));
		return 0;
	}
	if (!type || !file || !file->value[0]) {
		hv_vmdef_note(def,
		              "vmx: serial port (serial%u.*) has no %s: not "
		              "mapped",
		              index, type ? "fileName" : "fileType");
		return 0;
	}
	if (def->n_serials == HV_VMDEF_MAX_SERIALS) {
		hv_vmdef_note(def,
		              "vmx: serial port (serial%u.*) is not mapped: at "
		              "most %d serial ports",
		              index, HV_VMDEF_MAX_SERIALS);
		return 0;
	}
	if (index != def->n_serials)
		hv_vmdef_note(def, "vmx: serial%u becomes serial port %zu",
		              index, def->n_serials);
	rc = vmx_copy(p, file, def->serials[def->n_serials].path,
	              sizeof(def->serials[0].path));
	if (rc < 0)
		return rc;
	def->serials[def->n_serials++].type = HV_SERIAL_FILE;
	return 0;
}

static int vmx_map_serials(struct vmx_parser *p)
{
	int rc = 0;

	for (unsigned int i = 0; i < VMX_SERIAL_MAX && rc == 0; i++)
		rc = vmx_map_serial(p, i);
	return rc;
}

/* ----- parse ----- */

static int vmx_map(struct vmx_parser *p)
{
	int rc;

	p->def->kind = HV_KIND_VMWARE;
	rc = vmx_map_name(p);
	if (rc == 0)
		rc = vmx_map_uuid(p);
	if (rc == 0)
		rc = vmx_map_sizes(p);
	if (rc == 0)
		rc = vmx_map_system(p);
	if (rc == 0)
		rc = vmx_sort_keys(p);
	if (rc == 0)
		rc = vmx_map_disks(p);
	if (rc == 0)
		rc = vmx_map_nics(p);
	if (rc == 0)
		rc = vmx_map_serials(p);
	if (rc == 0 && p->n_unknown)
		hv_vmdef_note(p->def, "vmx: %zu key%s not mapped: %s%s",
		              p->n_unknown, p->n_unknown == 1 ? "" : "s",
		              p->unknown + 2, p->unknown_more ? ", ..." : "");
	return rc;
}

/* Where the first NUL byte of the text is, as an error. */
static int vmx_fail_nul(struct vmx_parser *p, const char *nul)
{
	const char *s, *line_start = p->text;
	unsigned int line = 1;

	for (s = p->text; s < nul; s++) {
		if (*s == '\n') {
			line++;
			line_start = s + 1;
		}
	}
	return vmx_fail_at(p, line, (unsigned int)(nul - line_start) + 1,
	                   "NUL byte");
}

int hv_vmx_parse(const char *text, size_t len, const char *origin,
                 struct hv_vmdef *def, struct hv_error *err)
{
	struct vmx_parser *p;
	const char *nul;
	int rc;

	hv_vmdef_init(def);
	p = calloc(1, sizeof(*p));
	if (!p)
		return hv_error_set(err, -ENOMEM, "vmx: out of memory");
	p->text = text;
	p->len = len;
	p->def = def;
	p->err = err;
	hv_error_quote(origin ? origin : "vmx", p->where, sizeof(p->where));
	if (!text || len == 0 || len > HV_VMX_MAX) {
		rc = hv_error_set(err, -EMSGSIZE,
		                  "%s: %zu bytes, expected 1..%u", p->where,
		                  text ? len : 0, HV_VMX_MAX);
		goto out;
	}
	nul = memchr(text, '\0', len);
	rc = nul ? vmx_fail_nul(p, nul) : vmx_lex(p);
	if (rc < 0)
		goto out;
	p->units = calloc(DF_N * vmx_unit_slots(), sizeof(*p->units));
	rc = p->units ? vmx_map(p) : vmx_no_memory(p);
out:
	if (rc < 0)
		hv_vmdef_init(def);
	free(p->units);
	free(p->sorted);
	free(p->entries);
	free(p->buf);
	free(p);
	return rc;
}

/* ----- writer ----- */

/* Why VMware cannot have disk i of def, or NULL. */
static const char *vmx_disk_problem(const struct hv_vmdef *def, size_t i)
{
	const struct hv_vmdisk *d = &def->disks[i], *o;
	const struct vmx_bus *b = vmx_bus_of(d->bus);
	const char *problem;

	if (!b)
		return "its bus is not one VMware has";
	if (d->bus == HV_BUS_SCSI && d->scsi_model == HV_SCSI_VIRTIO)
		return "virtio-scsi is not a VMware controller";
	problem = vmx_slot_problem(b, d->scsi_model, d->controller, d->unit);
	if (problem)
		return problem;
	if (!memchr(d->path, '\0', sizeof(d->path)))
		return "its path is not terminated";
	if (d->device == HV_DEV_DISK && d->format != HV_IMG_VMDK)
		return "a VMware disk must be a vmdk";
	if (d->device == HV_DEV_DISK && !d->path[0])
		return "the disk has no path";
	if (d->device == HV_DEV_CDROM &&
	    (d->format != HV_IMG_RAW || !b->has_cdrom))
		return "a VMware cdrom is a raw ISO on scsi, sata or ide";
	if (d->device != HV_DEV_DISK && d->device != HV_DEV_CDROM)
		return "it is neither a disk nor a cdrom";
	for (o = def->disks; o < d; o++) {
		if (o->bus != d->bus || o->controller != d->controller)
			continue;
		if (o->unit == d->unit)
			return "another disk has the same slot";
		if (d->bus == HV_BUS_SCSI && o->scsi_model != d->scsi_model)
			return "another disk on its controller has another "
			       "model";
	}
	return NULL;
}

/* Why VMware cannot have serial port s, or NULL. */
static const char *vmx_serial_problem(const struct hv_vmserial *s)
{
	if (s->type == HV_SERIAL_PTY)
		return "VMware has no pty; convert for vmware first (it "
		       "becomes a file)";
	if (s->type != HV_SERIAL_FILE)
		return "its type is not known";
	if (!memchr(s->path, '\0', sizeof(s->path)) || !s->path[0])
		return "the file has no path, or it is not terminated";
	return NULL;
}

/* Refuse, naming it, what VMware cannot express. */
static int vmx_write_check(const struct hv_vmdef *def, struct hv_error *err)
{
	const struct hv_vmnic *n;
	const char *problem;
	char q[64];
	size_t i;

	if (def->kind != HV_KIND_VMWARE)
		return hv_error_set(err, -EINVAL,
		                    "vmx: the definition is for %s; convert it "
		                    "for vmware first",
		                    hv_kind_name(def->kind));
	if (!memchr(def->name, '\0', sizeof(def->name)) || !def->name[0] ||
	    !memchr(def->guest_os, '\0', sizeof(def->guest_os)))
		return hv_error_set(err, -EINVAL,
		                    "vmx: the name is empty or not terminated");
	if (def->uuid[0] && !hv_uuid_is_canonical(def->uuid))
		return hv_error_set(err, -EINVAL,
		                    "vmx: uuid '%s' is not canonical",
		                    hv_error_quote(def->uuid, q, sizeof(q)));
	if (def->memory_kib == 0 || def->memory_kib > VMX_MEMSIZE_MAX * 1024)
		return hv_error_set(err, -EINVAL,
		                    "vmx: memory %llu KiB is not 1 KiB..64 TiB",
		                    (unsigned long long)def->memory_kib);
	if (def->vcpus == 0 || def->vcpus > VMX_VCPUS_MAX)
		return hv_error_set(err, -EINVAL, "vmx: %u vCPUs is not 1..%d",
		                    def->vcpus, VMX_VCPUS_MAX);
	if (def->firmware != HV_FW_BIOS && def->firmware != HV_FW_UEFI)
		return hv_error_set(err, -EINVAL,
		                    "vmx: firmware %d is not known",
		                    (int)def->firmware);
	if (def->n_disks > HV_VMDEF_MAX_DISKS ||
	    def->n_nics > HV_VMDEF_MAX_NICS)
		return hv_error_set(err, -EINVAL, "vmx: %zu disks, %zu NICs",
		                    def->n_disks, def->n_nics);
	for (i = 0; i < def->n_disks; i++) {
		problem = vmx_disk_problem(def, i);
		if (problem)
			return hv_error_set(
			    err, -EINVAL, "vmx: disk %zu (%s %u:%u '%s'): %s",
			    i, hv_disk_bus_name(def->disks[i].bus),
			    def->disks[i].controller, def->disks[i].unit,
			    hv_error_quote(def->disks[i].path, q, sizeof(q)),
			    problem);
	}
	if (def->n_serials > HV_VMDEF_MAX_SERIALS)
		return hv_error_set(err, -EINVAL, "vmx: %zu serial ports",
		                    def->n_serials);
	for (i = 0; i < def->n_serials; i++) {
		problem = vmx_serial_problem(&def->serials[i]);
		if (problem)
			return hv_error_set(err, -EINVAL,
			                    "vmx: serial port %zu: %s", i,
			                    problem);
	}
	for (i = 0, n = def->nics; i < def->n_nics; i++, n++) {
		if (!vmx_name_of(vmx_nic_models, ARRAY_LEN(vmx_nic_models),
		                 n->model))
			return hv_error_set(
			    err, -EINVAL, "vmx: NIC %zu: VMware has no %s NIC",
			    i, hv_nic_model_name(n->model));
		if ((n->mac[0] && !hv_mac_is_canonical(n->mac)) ||
		    !memchr(n->network, '\0', sizeof(n->network)))
			return hv_error_set(
			    err, -EINVAL,
			    "vmx: NIC %zu: MAC '%s' is not a "
			    "unicast address",
			    i, hv_error_quote(n->mac, q, sizeof(q)));
	}
	return 0;
}

static void vmx_put(FILE *f, const char *value, const char *keyfmt, ...)
    __attribute__((format(printf, 3, 4)));
static void vmx_comment(FILE *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* keyfmt = "value", with '"', '|', '#' and control bytes as |XX. */
static void vmx_put(FILE *f, const char *value, const char *keyfmt, ...)
{
	unsigned char c;
	va_list ap;

	va_start(ap, keyfmt);
	vfprintf(f, keyfmt, ap);
	va_end(ap);
	fputs(" = \"", f);
	for (; *value; value++) {
		c = (unsigned char)*value;
		if (c < 0x20 || c == 0x7f || c == '"' || c == '|' || c == '#')
			fprintf(f, "|%02X", c);
		else
			fputc(c, f);
	}
	fputs("\"\n", f);
}

/* A comment line; control bytes become '?'. */
static void vmx_comment(FILE *f, const char *fmt, ...)
{
	char line[HV_VMDEF_NOTE_MAX + 128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	for (char *s = line; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
	fprintf(f, "# %s\n", line);
}

static void vmx_write_system(FILE *f, const struct hv_vmdef *def)
{
	uint64_t mib = (def->memory_kib + 1023) / 1024;
	const char *u = def->uuid;
	char num[32], bios[49];
	size_t i;

	vmx_put(f, "8", "config.version");
	vmx_put(f, "14", "virtualHW.version");
	vmx_put(f, def->name, "displayName");
	if (!def->guest_os[0])
		vmx_comment(f, "skyferry: the guest OS is not known; "
		               "other-64 written");
	vmx_put(f, def->guest_os[0] ? def->guest_os : "other-64", "guestOS");
	mib = (mib + 3) / 4 * 4;
	if (mib * 1024 != def->memory_kib)
		vmx_comment(f,
		            "skyferry: memory of %llu KiB rounded up to "
		            "%llu MiB (VMware needs a multiple of 4 MiB)",
		            (unsigned long long)def->memory_kib,
		            (unsigned long long)mib);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)mib);
	vmx_put(f, num, "memsize");
	snprintf(num, sizeof(num), "%u", def->vcpus);
	vmx_put(f, num, "numvcpus");
	vmx_put(f, def->firmware == HV_FW_UEFI ? "efi" : "bios", "firmware");
	if (def->uuid[0]) {
		/* Canonical and lower case: the hex digits in order. */
		for (i = 0; i < 16; i++, u += 2) {
			u += *u == '-';
			sprintf(bios + 3 * i, "%c%c%c", u[0], u[1],
			        i == 7 ? '-' : ' ');
		}
		bios[47] = '\0';
		vmx_put(f, bios, "uuid.bios");
	}
	vmx_put(f, "TRUE", "pciBridge0.present");
	for (i = 4; i < 8; i++) {
		vmx_put(f, "TRUE", "pciBridge%zu.present", i);
		vmx_put(f, "pcieRootPort", "pciBridge%zu.virtualDev", i);
		vmx_put(f, "8", "pciBridge%zu.functions", i);
	}
	vmx_put(f, "TRUE", "vmci0.present");
}

/* Disks, each controller before its first disk. */
static void vmx_write_disks(FILE *f, const struct hv_vmdef *def)
{
	bool ctrl_done[ARRAY_LEN(vmx_buses)][VMX_CTRL_MAX] = { { false } };
	const struct hv_vmdisk *d;
	const struct vmx_bus *b;
	const char *model;
	char dev[32];

	for (d = def->disks; d < def->disks + def->n_disks; d++) {
		b = vmx_bus_of(d->bus);
		if (!b->ctrl_implicit &&
		    !ctrl_done[b - vmx_buses][d->controller]) {
			ctrl_done[b - vmx_buses][d->controller] = true;
			vmx_put(f, "TRUE", "%s%u.present", b->name,
			        d->controller);
			model = vmx_name_of(vmx_scsi_models,
			                    ARRAY_LEN(vmx_scsi_models),
			                    d->scsi_model);
			if (d->bus == HV_BUS_SCSI && model)
				vmx_put(f, model, "%s%u.virtualDev", b->name,
				        d->controller);
		}
		snprintf(dev, sizeof(dev), "%s%u:%u", b->name, d->controller,
		         d->unit);
		vmx_put(f, "TRUE", "%s.present", dev);
		if (d->device == HV_DEV_CDROM && !d->path[0]) {
			vmx_put(f, "cdrom-raw", "%s.deviceType", dev);
			vmx_put(f, "auto detect", "%s.fileName", dev);
			vmx_put(f, "TRUE", "%s.autodetect", dev);
			vmx_put(f, "FALSE", "%s.startConnected", dev);
		} else {
			vmx_put(f, d->path, "%s.fileName", dev);
			if (d->device == HV_DEV_CDROM)
				vmx_put(f, "cdrom-image", "%s.deviceType", dev);
			else if (d->bus == HV_BUS_SCSI)
				vmx_put(f, "scsi-hardDisk", "%s.deviceType",
				        dev);
			else if (vmx_has_suffix(d->path, ".iso"))
				vmx_put(f, "disk", "%s.deviceType", dev);
		}
		if (d->readonly)
			vmx_put(f, "TRUE", "%s.readonly", dev);
	}
}

static void vmx_write_nics(FILE *f, const struct hv_vmdef *def)
{
	const struct hv_vmnic *n;
	size_t i;

	for (i = 0, n = def->nics; i < def->n_nics; i++, n++) {
		vmx_put(f, "TRUE", "ethernet%zu.present", i);
		vmx_put(f,
		        vmx_name_of(vmx_nic_models, ARRAY_LEN(vmx_nic_models),
		                    n->model),
		        "ethernet%zu.virtualDev", i);
		if (n->is_bridge)
			vmx_comment(f,
			            "skyferry: ethernet%zu: host bridge '%s' "
			            "written as a port group name",
			            i, n->network);
		if (n->network[0])
			vmx_put(f, n->network, "ethernet%zu.networkName", i);
		if (!n->mac[0]) {
			vmx_put(f, "generated", "ethernet%zu.addressType", i);
			continue;
		}
		vmx_put(f, "static", "ethernet%zu.addressType", i);
		vmx_put(f, n->mac, "ethernet%zu.address", i);
		if (!vmx_mac_is_static_range(n->mac))
			vmx_put(f, "FALSE", "ethernet%zu.checkMACAddress", i);
	}
}

static void vmx_write_serials(FILE *f, const struct hv_vmdef *def)
{
	for (size_t i = 0; i < def->n_serials; i++) {
		vmx_put(f, "TRUE", "serial%zu.present", i);
		vmx_put(f, "file", "serial%zu.fileType", i);
		vmx_put(f, def->serials[i].path, "serial%zu.fileName", i);
	}
}

int hv_vmx_write(const struct hv_vmdef *def, char **out, struct hv_error *err)
{
	char *text = NULL;
	size_t size = 0, i;
	FILE *f;
	int rc;

	rc = vmx_write_check(def, err);
	if (rc < 0)
		return rc;
	f = open_memstream(&text, &size);
	if (!f)
		return hv_error_set(err, -ENOMEM, "vmx: out of memory");
	vmx_put(f, "UTF-8", ".encoding");
	vmx_comment(f, "Written by skyferry.");
	for (i = 0; i < def->n_notes && i < HV_VMDEF_MAX_NOTES; i++)
		vmx_comment(f, "note: %.*s", HV_VMDEF_NOTE_MAX, def->notes[i]);
	vmx_write_system(f, def);
	vmx_write_disks(f, def);
	vmx_write_nics(f, def);
	vmx_write_serials(f, def);
	rc = ferror(f) ? -ENOMEM : 0;
	if (fclose(f) != 0 || rc < 0) {
		free(text);
		return hv_error_set(err, -ENOMEM, "vmx: out of memory");
	}
	*out = text;
	return 0;
}
