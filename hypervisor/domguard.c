/*
 * domguard.c: hv_domguard_check(), the receiver's rules for a peer's domain
 * XML (domguard.h says what they are and why).
 *
 * One walk over the document. Elements that name host resources in known
 * places are checked where they are (guard_disk, guard_os_file,
 * guard_chardev, ...); then every element's attributes pass a generic
 * check that refuses any path-like attribute in a place not listed in
 * guard_exempt(), so a device model or option this file does not know
 * about cannot bring a host path in unnoticed.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>

#include "hypervisor/domguard.h"
#include "hypervisor/domxml.h"
#include "hypervisor/domxml_priv.h"

#define GUARD_MAX_DEPTH 64 /* libvirt's deepest elements are about 8 down */
#define GUARD_PATH_MAX  4095

static const char *const guard_media_default[] = {
	"/var/lib/libvirt/boot", "/usr/share/OVMF",    "/usr/share/AAVMF",
	"/usr/share/edk2",       "/usr/share/seabios", "/usr/share/qemu",
};

void hv_guard_rules_default(struct hv_guard_rules *rules)
{
	rules->media_dirs = guard_media_default;
	rules->n_media_dirs =
	    sizeof(guard_media_default) / sizeof(guard_media_default[0]);
	rules->log_dir = "/var/log/libvirt/qemu";
	rules->nvram_dir = "/var/lib/libvirt/qemu/nvram";
	rules->channel_dir = "/var/lib/libvirt/qemu/channel";
}

struct guard {
	const struct hv_guard_rules *r;
	struct hv_error *err;
	char media[512]; /* "DIR, DIR, ..." for messages */
};

static int guard_refuse(struct guard *g, const xmlNode *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int guard_refuse(struct guard *g, const xmlNode *n, const char *fmt, ...)
{
	char what[HV_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return hv_xml_fail(g->err, -EPERM, n, "%s", what);
}

static const char *guard_name(const xmlNode *n)
{
	return (const char *)n->name;
}

static bool guard_parent_is(const xmlNode *n, const char *name)
{
	return n->parent && n->parent->type == XML_ELEMENT_NODE &&
	       hv_xml_is(n->parent, name);
}

/* Attribute name of n, "" when absent; owned by the caller (xmlFree). */
static xmlChar *guard_attr(const xmlNode *n, const char *name)
{
	xmlChar *v = xmlGetNoNsProp(n, BAD_CAST name);

	return v ? v : xmlStrdup(BAD_CAST "");
}

static bool guard_has_attr(const xmlNode *n, const char *name)
{
	return xmlHasNsProp(n, BAD_CAST name, NULL) != NULL;
}

static bool guard_in(const char *s, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(s, list[i]))
			return true;
	return false;
}

/* "A, B, C" (as much as fits), or "none", for messages. */
static void guard_join(char *buf, size_t size, const char *const *list,
                       size_t n)
{
	size_t i, used = 0;
	int w;

	snprintf(buf, size, "none");
	for (i = 0; i < n && used < size; i++) {
		w = snprintf(buf + used, size - used, "%s%s", i ? ", " : "",
		             list[i]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

/* p is a clean absolute path strictly below directory dir. */
static bool guard_under(const char *p, const char *dir)
{
	size_t n = strlen(dir);

	return dir[0] && hv_path_is_clean(p, GUARD_PATH_MAX) &&
	       !strncmp(p, dir, n) && p[n] == '/' && p[n + 1] != '\0';
}

bool hv_guard_media_ok(const struct hv_guard_rules *rules, const char *path)
{
	size_t i;

	for (i = 0; i < rules->n_media_dirs; i++)
		if (guard_under(path, rules->media_dirs[i]))
			return true;
	return false;
}

/* LOG_DIR/NAME-x or LOG_DIR/NAME.x: a file named after this domain. */
static bool guard_log_ok(const struct guard *g, const char *p)
{
	const char *base;
	size_t n = strlen(g->r->name);

	if (!g->r->log_dir || !guard_under(p, g->r->log_dir))
		return false;
	base = p + strlen(g->r->log_dir) + 1;
	return !strchr(base, '/') && !strncmp(base, g->r->name, n) &&
	       (base[n] == '-' || base[n] == '.') && base[n + 1] != '\0';
}

/*
 * LOG_DIR/X.log is libvirt's own log of a domain X: is X another domain
 * of this host? Its name goes to owner.
 */
static bool guard_log_taken(const struct guard *g, const char *p, char *owner,
                            size_t size)
{
	const char *base = strrchr(p, '/') + 1;
	size_t n = strlen(base);

	if (!g->r->name_taken || n <= 4 || strcmp(base + n - 4, ".log") ||
	    n - 4 >= size)
		return false;
	memcpy(owner, base, n - 4);
	owner[n - 4] = '\0';
	return strcmp(owner, g->r->name) &&
	       g->r->name_taken(g->r->name_arg, owner);
}

/* A file character device's output or log: ours, and nobody else's. */
static int guard_log_file(struct guard *g, const xmlNode *n, const char *what,
                          const char *p)
{
	char owner[256];

	if (!guard_log_ok(g, p))
		return guard_refuse(g, n,
		                    "%s '%s': this host accepts %s/%s-* or "
		                    "%s.* only",
		                    what, p, g->r->log_dir, g->r->name,
		                    g->r->name);
	if (guard_log_taken(g, p, owner, sizeof(owner)))
		return guard_refuse(g, n,
		                    "%s '%s' is the log of this host's domain "
		                    "'%s'; name the file after '%s' alone",
		                    what, p, owner, g->r->name);
	return 0;
}

static int guard_media_file(struct guard *g, const xmlNode *n, const char *what,
                            const char *p)
{
	if (hv_guard_media_ok(g->r, p))
		return 0;
	return guard_refuse(g, n,
	                    "%s '%s' is not a file in this host's media "
	                    "directories (%s): put the file there on the "
	                    "receiver, or remove it from the domain",
	                    what, p, g->media);
}

/* <kernel>, <initrd>, <dtb>, <loader>, <acpi><table>: media files. */
static int guard_os_file(struct guard *g, const xmlNode *n)
{
	xmlChar *text = xmlNodeGetContent(n);
	char what[64];
	int rc;

	if (!text)
		return hv_error_set(g->err, -ENOMEM,
		                    "domain XML: out of memory");
	snprintf(what, sizeof(what), "<%s>", guard_name(n));
	rc = guard_media_file(g, n, what, (const char *)text);
	xmlFree(text);
	return rc;
}

static int guard_nvram(struct guard *g, const xmlNode *n)
{
	xmlChar *text = xmlNodeGetContent(n);
	xmlChar *tmpl = guard_attr(n, "template");
	const xmlNode *c;
	char want[512];
	int rc = 0;

	if (!text || !tmpl) {
		rc = hv_error_set(g->err, -ENOMEM, "domain XML: out of memory");
		goto out;
	}
	snprintf(want, sizeof(want), "%s/%s_VARS.fd", g->r->nvram_dir,
	         g->r->name);
	for (c = n->children; c && rc == 0; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			rc = guard_refuse(g, c,
			                  "<nvram><%s>: NVRAM from a source "
			                  "other than a local file is not "
			                  "accepted; remove it",
			                  guard_name(c));
	if (rc == 0 && text[0] && strcmp((const char *)text, want))
		rc = guard_refuse(g, n,
		                  "<nvram> '%s': this host keeps the NVRAM of "
		                  "'%s' in %s; remove the path and libvirt "
		                  "uses that one",
		                  (const char *)text, g->r->name, want);
	if (rc == 0 && tmpl[0])
		rc = guard_media_file(g, n, "<nvram template=>",
		                      (const char *)tmpl);
out:
	xmlFree(text);
	xmlFree(tmpl);
	return rc;
}

static int guard_emulator(struct guard *g, const xmlNode *n)
{
	xmlChar *text = xmlNodeGetContent(n);
	char offers[256];
	int rc = 0;

	if (!text)
		return hv_error_set(g->err, -ENOMEM,
		                    "domain XML: out of memory");
	guard_join(offers, sizeof(offers), g->r->emulators, g->r->n_emulators);
	if (!guard_in((const char *)text, g->r->emulators, g->r->n_emulators))
		rc = guard_refuse(g, n,
		                  "<emulator> '%s' is not one this host's "
		                  "libvirt offers (%s); remove <emulator> and "
		                  "libvirt picks its own",
		                  (const char *)text, offers);
	xmlFree(text);
	return rc;
}

/* The session's file for disk target, or NULL. */
static const char *guard_session_disk(const struct guard *g, const char *target)
{
	size_t i;

	for (i = 0; i < g->r->n_disks; i++)
		if (!strcmp(g->r->disks[i].target, target))
			return g->r->disks[i].path;
	return NULL;
}

static xmlNode *guard_child(const xmlNode *n, const char *name)
{
	xmlNode *c;

	for (c = n->children; c; c = c->next)
		if (hv_xml_is(c, name))
			return c;
	return NULL;
}

/* What a <disk> may hold besides its source and target. */
static int guard_disk_parts(struct guard *g, const xmlNode *disk,
                            const xmlNode *src, const char *target)
{
	static const char *const refused[] = { "auth", "encryption", "mirror" };
	const xmlNode *c;
	size_t i;

	for (c = disk->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE || c->ns)
			continue;
		for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
			if (hv_xml_is(c, refused[i]))
				return guard_refuse(
				    g, c,
				    "disk %s: <%s> is not accepted (it "
				    "would use this host's secrets or "
				    "files); migrate the disk without it",
				    target, refused[i]);
		if (hv_xml_is(c, "backingStore") &&
		    xmlFirstElementChild((xmlNode *)c))
			return guard_refuse(g, c,
			                    "disk %s: a backing chain names "
			                    "files on this host; the copy "
			                    "the session made is flat",
			                    target);
	}
	for (c = src ? src->children : NULL; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && !hv_xml_is(c, "seclabel") &&
		    !hv_xml_is(c, "slices"))
			return guard_refuse(g, c,
			                    "disk %s: <source><%s> is not "
			                    "accepted; only a plain file "
			                    "source is",
			                    target, guard_name(c));
	return 0;
}

/*
 * libvirt reads the first <name> child of n and ignores the others, which
 * the checks here would then not have looked at: refuse a second one.
 */
static int guard_single(struct guard *g, const xmlNode *n, const char *name)
{
	const xmlNode *c;
	int seen = 0;

	for (c = n->children; c; c = c->next)
		if (hv_xml_is(c, name) && ++seen > 1)
			return guard_refuse(g, c,
			                    "<%s> holds more than one <%s>",
			                    guard_name(n), name);
	return 0;
}

static int guard_disk(struct guard *g, const xmlNode *n)
{
	xmlChar *type = guard_attr(n, "type");
	xmlChar *target = NULL, *file = NULL;
	const xmlNode *src = guard_child(n, "source");
	const xmlNode *tgt = guard_child(n, "target");
	const char *want;
	bool readonly = guard_child(n, "readonly") != NULL;
	bool named;
	int rc;

	target = tgt ? guard_attr(tgt, "dev") : xmlStrdup(BAD_CAST "?");
	file = src ? guard_attr(src, "file") : xmlStrdup(BAD_CAST "");
	if (!type || !target || !file) {
		rc = hv_error_set(g->err, -ENOMEM, "domain XML: out of memory");
		goto out;
	}
	rc = guard_single(g, n, "source");
	if (rc == 0)
		rc = guard_single(g, n, "target");
	if (rc == 0)
		rc = guard_disk_parts(g, n, src, (const char *)target);
	if (rc < 0)
		goto out;
	named = src && src->properties;
	if (named &&
	    ((type[0] && xmlStrcmp(type, BAD_CAST "file")) ||
	     guard_has_attr(src, "dev") || guard_has_attr(src, "dir"))) {
		rc = guard_refuse(g, src,
		                  "disk %s: a '%s' disk names a host resource "
		                  "here; only files this session created (or "
		                  "read-only media files) are accepted",
		                  (const char *)target,
		                  type[0] ? (const char *)type : "file");
		goto out;
	}
	if (!named || !file[0])
		goto out; /* no source: an empty drive */
	want = guard_session_disk(g, (const char *)target);
	if (want && !strcmp(want, (const char *)file))
		goto out;
	if (!want && readonly && hv_guard_media_ok(g->r, (const char *)file))
		goto out;
	rc = guard_refuse(g, src,
	                  "disk %s uses '%s', which this session did not "
	                  "create%s%s%s",
	                  (const char *)target, (const char *)file,
	                  want ? "" : " (read-only media may be a file in ",
	                  want ? "" : g->media, want ? "" : ")");
out:
	xmlFree(type);
	xmlFree(target);
	xmlFree(file);
	return rc;
}

/* serial, parallel, console, channel, redirdev, smartcard, rng's egd. */
static bool guard_is_chardev(const xmlNode *n)
{
	static const char *const names[] = {
		"serial",  "parallel", "console",
		"channel", "redirdev", "smartcard"
	};
	size_t i;

	if (hv_xml_is(n, "backend") && guard_parent_is(n, "rng"))
		return guard_has_attr(n, "type");
	if (!guard_parent_is(n, "devices"))
		return false;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (hv_xml_is(n, names[i]))
			return guard_has_attr(n, "type") ||
			       !hv_xml_is(n, "smartcard");
	return false;
}

static int guard_chardev_path(struct guard *g, const xmlNode *dev,
                              const xmlNode *src, const char *type)
{
	xmlChar *path = guard_attr(src, "path");
	int rc = 0;

	if (!path)
		return hv_error_set(g->err, -ENOMEM,
		                    "domain XML: out of memory");
	if (!path[0] || !strcmp(type, "pty"))
		; /* libvirt picks it (a pty's path is only reported) */
	else if (!strcmp(type, "file")) {
		char what[64];

		snprintf(what, sizeof(what), "<%s type='file'> writes",
		         guard_name(dev));
		rc = guard_log_file(g, src, what, (const char *)path);
	} else if (!g->r->channel_dir ||
	           !guard_under((const char *)path, g->r->channel_dir)) {
		rc = guard_refuse(
		    g, src,
		    "<%s type='unix'> at '%s': give no path (libvirt "
		    "makes one) or one under %s",
		    guard_name(dev), (const char *)path,
		    g->r->channel_dir ? g->r->channel_dir : "-");
	}
	xmlFree(path);
	return rc;
}

static int guard_chardev(struct guard *g, const xmlNode *n)
{
	static const char *const plain[] = { "pty",       "null",
		                             "vc",        "spicevmc",
		                             "spiceport", "qemu-vdagent" };
	xmlChar *type = guard_attr(n, "type");
	xmlChar *file = NULL;
	const xmlNode *c;
	int rc = 0;

	if (!type)
		return hv_error_set(g->err, -ENOMEM,
		                    "domain XML: out of memory");
	if (!type[0] && !hv_xml_is(n, "smartcard")) {
		xmlFree(type);
		type = xmlStrdup(BAD_CAST "pty");
		if (!type)
			return hv_error_set(g->err, -ENOMEM,
			                    "domain XML: out of memory");
	}
	if (type[0] &&
	    !guard_in((const char *)type, plain,
	              sizeof(plain) / sizeof(plain[0])) &&
	    xmlStrcmp(type, BAD_CAST "file") &&
	    xmlStrcmp(type, BAD_CAST "unix")) {
		rc = guard_refuse(g, n,
		                  "<%s type='%s'> is not accepted: it would "
		                  "reach a device, pipe or network address of "
		                  "this host; use pty, file or unix",
		                  guard_name(n), (const char *)type);
		goto out;
	}
	for (c = n->children; c && rc == 0; c = c->next) {
		if (hv_xml_is(c, "source"))
			rc = guard_chardev_path(g, n, c, (const char *)type);
		else if (hv_xml_is(c, "log")) {
			file = guard_attr(c, "file");
			if (!file)
				rc = hv_error_set(g->err, -ENOMEM,
				                  "domain XML: out of memory");
			else if (file[0]) {
				char what[64];

				snprintf(what, sizeof(what), "<%s><log file=>",
				         guard_name(n));
				rc = guard_log_file(g, c, what,
				                    (const char *)file);
			}
			xmlFree(file);
			file = NULL;
		}
	}
out:
	xmlFree(type);
	return rc;
}

/* The bridge or network an interface joins is one the receiver allows. */
static int guard_joins(struct guard *g, const xmlNode *n, const char *type)
{
	const xmlNode *src = guard_child(n, "source");
	xmlChar *name;
	int rc = 0;

	if (g->r->n_bridges == 0)
		return 0;
	name = src ? guard_attr(src, type) : xmlStrdup(BAD_CAST "");
	if (!name)
		return hv_error_set(g->err, -ENOMEM,
		                    "domain XML: out of memory");
	if (!guard_in((const char *)name, g->r->bridges, g->r->n_bridges))
		rc =
		    guard_refuse(g, src ? src : n,
		                 "<interface type='%s'> joins '%s', which this "
		                 "host does not offer to migrated VMs; map it "
		                 "to one of its --bridge names",
		                 type, (const char *)name);
	xmlFree(name);
	return rc;
}

static int guard_interface(struct guard *g, const xmlNode *n)
{
	xmlChar *type = guard_attr(n, "type");
	xmlChar *dev = NULL;
	const xmlNode *tgt = guard_child(n, "target");
	const char *d;
	int rc = 0;

	if (!type)
		return hv_error_set(g->err, -ENOMEM,
		                    "domain XML: out of memory");
	if (xmlStrcmp(type, BAD_CAST "bridge") &&
	    xmlStrcmp(type, BAD_CAST "network")) {
		rc = guard_refuse(g, n,
		                  "<interface type='%s'> is not accepted: "
		                  "only bridge and network interfaces are",
		                  (const char *)type);
		goto out;
	}
	rc = guard_single(g, n, "target");
	if (rc == 0)
		rc = guard_single(g, n, "source");
	if (rc < 0)
		goto out;
	rc = guard_joins(g, n, (const char *)type);
	if (rc < 0)
		goto out;
	dev = tgt ? guard_attr(tgt, "dev") : xmlStrdup(BAD_CAST "");
	if (!dev) {
		rc = hv_error_set(g->err, -ENOMEM, "domain XML: out of memory");
		goto out;
	}
	d = (const char *)dev;
	if (!strncmp(d, "vnet", 4))
		d += 4;
	else if (!strncmp(d, "macvtap", 7))
		d += 7;
	if (dev[0] && (!*d || strspn(d, "0123456789") != strlen(d)))
		rc = guard_refuse(g, tgt,
		                  "<interface><target dev='%s'>: this host "
		                  "names its own tap devices; remove it",
		                  (const char *)dev);
out:
	xmlFree(type);
	xmlFree(dev);
	return rc;
}

static int guard_rng_backend(struct guard *g, const xmlNode *n)
{
	static const char *const ok[] = { "", "/dev/random", "/dev/urandom",
		                          "/dev/hwrng" };
	xmlChar *model = guard_attr(n, "model");
	xmlChar *text = xmlNodeGetContent(n);
	int rc = 0;

	if (!model || !text)
		rc = hv_error_set(g->err, -ENOMEM, "domain XML: out of memory");
	else if (!xmlStrcmp(model, BAD_CAST "random") &&
	         !guard_in((const char *)text, ok, sizeof(ok) / sizeof(ok[0])))
		rc = guard_refuse(g, n,
		                  "<rng><backend model='random'> reads '%s': "
		                  "use /dev/urandom, /dev/random or /dev/hwrng",
		                  (const char *)text);
	xmlFree(model);
	xmlFree(text);
	return rc;
}

static int guard_seclabel(struct guard *g, const xmlNode *n)
{
	xmlChar *type = guard_attr(n, "type");
	xmlChar *relabel = guard_attr(n, "relabel");
	const xmlNode *c;
	bool top = guard_parent_is(n, "domain");
	int rc = 0;

	if (!type || !relabel) {
		rc = hv_error_set(g->err, -ENOMEM, "domain XML: out of memory");
		goto out;
	}
	if (top && ((type[0] && xmlStrcmp(type, BAD_CAST "dynamic")) ||
	            !xmlStrcmp(relabel, BAD_CAST "no"))) {
		rc =
		    guard_refuse(g, n,
		                 "<seclabel type='%s' relabel='%s'>: this host "
		                 "confines its guests itself; use "
		                 "type='dynamic' or remove it",
		                 (const char *)type, (const char *)relabel);
		goto out;
	}
	for (c = n->children; c && rc == 0; c = c->next)
		if (hv_xml_is(c, "baselabel") ||
		    (!top && hv_xml_is(c, "label")))
			rc = guard_refuse(g, c,
			                  "<seclabel><%s>: this host chooses "
			                  "its security labels; remove it",
			                  guard_name(c));
out:
	xmlFree(type);
	xmlFree(relabel);
	return rc;
}

static int guard_partition(struct guard *g, const xmlNode *n)
{
	xmlChar *text = xmlNodeGetContent(n);
	int rc = 0;

	if (!text)
		return hv_error_set(g->err, -ENOMEM,
		                    "domain XML: out of memory");
	if (xmlStrcmp(text, BAD_CAST "/machine"))
		rc = guard_refuse(g, n,
		                  "<resource><partition>%s</partition>: this "
		                  "host places guests in /machine",
		                  (const char *)text);
	xmlFree(text);
	return rc;
}

/* Elements refused wherever they are. */
static int guard_refused_element(struct guard *g, const xmlNode *n)
{
	static const struct {
		const char *name, *why;
	} refused[] = {
		{ "hostdev", "it passes a device of this host through" },
		{ "filesystem", "it shares a directory of this host" },
		{ "shmem", "it shares memory with other guests of this host" },
		{ "script", "it runs a program on this host" },
		{ "downscript", "it runs a program on this host" },
		{ "path", "it names a file or device of this host" },
		{ "database", "it names a certificate store of this host" },
		{ "certificate", "it names certificates of this host" },
	};
	size_t i;

	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if (hv_xml_is(n, refused[i].name))
			return guard_refuse(
			    g, n,
			    "<%s> is not accepted: %s; remove it "
			    "from the domain",
			    refused[i].name, refused[i].why);
	return 0;
}

/*
 * Path-like attributes that one of the checks above has looked at, or that
 * name no host resource (a disk's target, a boot device).
 */
static bool guard_exempt(const xmlNode *n, const char *attr)
{
	const xmlNode *p = n->parent;

	if (hv_xml_is(n, "target") && !strcmp(attr, "dev"))
		return guard_parent_is(n, "disk") ||
		       guard_parent_is(n, "interface");
	if (hv_xml_is(n, "boot") && !strcmp(attr, "dev"))
		return guard_parent_is(n, "os");
	if (hv_xml_is(n, "source") && guard_parent_is(n, "disk"))
		return !strcmp(attr, "file") || !strcmp(attr, "dev") ||
		       !strcmp(attr, "dir");
	if (hv_xml_is(n, "source") && !strcmp(attr, "path"))
		return p && p->type == XML_ELEMENT_NODE && guard_is_chardev(p);
	if (hv_xml_is(n, "log") && !strcmp(attr, "file"))
		return p && p->type == XML_ELEMENT_NODE && guard_is_chardev(p);
	if (hv_xml_is(n, "nvram") && !strcmp(attr, "template"))
		return guard_parent_is(n, "os");
	if (hv_xml_is(n, "entry") && !strcmp(attr, "file"))
		return guard_parent_is(n, "sysinfo");
	return false;
}

static int guard_attrs(struct guard *g, const xmlNode *n)
{
	static const char *const pathish[] = {
		"path", "file",       "dir",   "dev",      "socket", "evdev",
		"tap",  "rendernode", "vhost", "template", "volume",
	};
	const xmlAttr *a;
	xmlChar *v;
	int rc;

	for (a = n->properties; a; a = a->next) {
		if (a->ns)
			return guard_refuse(g, n,
			                    "<%s %s:%s=>: attributes in a "
			                    "namespace are not accepted",
			                    guard_name(n),
			                    (const char *)a->ns->prefix,
			                    (const char *)a->name);
		if (!guard_in((const char *)a->name, pathish,
		              sizeof(pathish) / sizeof(pathish[0])) ||
		    guard_exempt(n, (const char *)a->name))
			continue;
		v = xmlGetNoNsProp(n, a->name);
		rc = guard_refuse(g, n,
		                  "<%s %s='%s'> names a host resource that a "
		                  "migration peer may not choose; remove it "
		                  "from the domain",
		                  guard_name(n), (const char *)a->name,
		                  v ? (const char *)v : "");
		xmlFree(v);
		return rc;
	}
	if (hv_xml_is(n, "entry") && guard_parent_is(n, "sysinfo") &&
	    guard_has_attr(n, "file")) {
		v = guard_attr(n, "file");
		rc = v ? guard_media_file(g, n, "<sysinfo><entry file=>",
		                          (const char *)v)
		       : hv_error_set(g->err, -ENOMEM,
		                      "domain XML: out of memory");
		xmlFree(v);
		return rc;
	}
	return 0;
}

/* The checks that depend on what n is and where. */
static int guard_specific(struct guard *g, const xmlNode *n)
{
	if (guard_parent_is(n, "os")) {
		if (hv_xml_is(n, "kernel") || hv_xml_is(n, "initrd") ||
		    hv_xml_is(n, "dtb") || hv_xml_is(n, "loader"))
			return guard_os_file(g, n);
		if (hv_xml_is(n, "nvram"))
			return guard_nvram(g, n);
	}
	if (hv_xml_is(n, "table") && guard_parent_is(n, "acpi"))
		return guard_os_file(g, n);
	if (hv_xml_is(n, "partition") && guard_parent_is(n, "resource"))
		return guard_partition(g, n);
	if (hv_xml_is(n, "seclabel"))
		return guard_seclabel(g, n);
	if (hv_xml_is(n, "backend") && guard_parent_is(n, "rng")) {
		int rc = guard_rng_backend(g, n);

		if (rc < 0 || !guard_is_chardev(n))
			return rc;
		return guard_chardev(g, n);
	}
	if (!guard_parent_is(n, "devices"))
		return 0;
	if (hv_xml_is(n, "emulator"))
		return guard_emulator(g, n);
	if (hv_xml_is(n, "disk"))
		return guard_disk(g, n);
	if (hv_xml_is(n, "interface"))
		return guard_interface(g, n);
	if (guard_is_chardev(n))
		return guard_chardev(g, n);
	return 0;
}

static int guard_node(struct guard *g, const xmlNode *n, int depth)
{
	const xmlNode *c;
	int rc;

	if (depth > GUARD_MAX_DEPTH)
		return guard_refuse(g, n, "elements nested deeper than %d",
		                    GUARD_MAX_DEPTH);
	if (n->ns)
		return guard_refuse(
		    g, n,
		    "<%s%s%s> (namespace %s) is not accepted outside "
		    "<metadata>: a migration peer may not pass "
		    "hypervisor-specific settings; remove it from the domain",
		    n->ns->prefix ? (const char *)n->ns->prefix : "",
		    n->ns->prefix ? ":" : "", guard_name(n),
		    n->ns->href ? (const char *)n->ns->href : "?");
	if (hv_xml_is(n, "metadata") && guard_parent_is(n, "domain"))
		return 0; /* the application's own, libvirt only stores it */
	rc = guard_refused_element(g, n);
	if (rc == 0)
		rc = guard_specific(g, n);
	if (rc == 0)
		rc = guard_attrs(g, n);
	for (c = n->children; c && rc == 0; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			rc = guard_node(g, c, depth + 1);
	return rc;
}

static int guard_emulators_walk(const xmlNode *n, int depth,
                                struct hv_guard_emulators *out,
                                struct hv_error *err)
{
	const xmlNode *c;
	xmlChar *text;
	size_t i;
	int rc = 0;

	if (depth > GUARD_MAX_DEPTH)
		return hv_error_set(err, -EINVAL,
		                    "capabilities XML: nested deeper than %d",
		                    GUARD_MAX_DEPTH);
	for (c = n->children; c && rc == 0; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (!hv_xml_is(c, "emulator")) {
			rc = guard_emulators_walk(c, depth + 1, out, err);
			continue;
		}
		text = xmlNodeGetContent(c);
		if (!text)
			return hv_error_set(err, -ENOMEM,
			                    "capabilities XML: out of memory");
		for (i = 0; i < out->n; i++)
			if (!strcmp(out->path[i], (const char *)text))
				break;
		if (!hv_path_is_clean((const char *)text, GUARD_PATH_MAX) ||
		    xmlStrlen(text) >= (int)sizeof(out->path[0]))
			rc = hv_error_set(
			    err, -EINVAL,
			    "capabilities XML line %ld: <emulator> "
			    "is not a clean absolute path of at "
			    "most %zu bytes",
			    xmlGetLineNo(c), sizeof(out->path[0]) - 1);
		else if (i == out->n && out->n == HV_GUARD_EMULATORS_MAX)
			rc = hv_error_set(err, -EINVAL,
			                  "capabilities XML: more than %d "
			                  "emulators",
			                  HV_GUARD_EMULATORS_MAX);
		else if (i == out->n) {
			snprintf(out->path[out->n], sizeof(out->path[0]), "%s",
			         (const char *)text);
			out->list[out->n] = out->path[out->n];
			out->n++;
		}
		xmlFree(text);
	}
	return rc;
}

int hv_guard_emulators_parse(const char *xml, size_t len,
                             struct hv_guard_emulators *out,
                             struct hv_error *err)
{
	struct hv_xml_quiet quiet;
	xmlDocPtr doc;
	xmlNode *root;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!xml || len == 0 || len > HV_DOMXML_MAX)
		return hv_error_set(err, -EMSGSIZE,
		                    "capabilities XML: %zu bytes, expected "
		                    "1..%u",
		                    len, HV_DOMXML_MAX);
	hv_xml_quiet_begin(&quiet);
	doc = xmlReadMemory(xml, (int)len, "capabilities.xml", NULL,
	                    XML_PARSE_NONET | XML_PARSE_NOERROR |
	                        XML_PARSE_NOWARNING);
	root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (!doc || doc->intSubset || doc->extSubset)
		rc = hv_error_set(err, -EINVAL,
		                  "capabilities XML: not well-formed, or with "
		                  "a DOCTYPE");
	else if (!root || !hv_xml_is(root, "capabilities"))
		rc = hv_error_set(err, -EINVAL,
		                  "capabilities XML: the root element is not "
		                  "<capabilities>");
	else
		rc = guard_emulators_walk(root, 0, out, err);
	xmlFreeDoc(doc);
	hv_xml_quiet_end(&quiet);
	if (rc < 0)
		memset(out, 0, sizeof(*out));
	return rc;
}

int hv_domguard_check(const char *xml, size_t len,
                      const struct hv_guard_rules *rules, struct hv_error *err)
{
	struct guard g = { .r = rules, .err = err };
	struct hv_xml_quiet quiet;
	xmlDocPtr doc = NULL;
	int rc;

	if (!rules->name || !rules->name[0] || strchr(rules->name, '/'))
		return hv_error_set(err, -EINVAL,
		                    "domain guard: no usable domain name");
	guard_join(g.media, sizeof(g.media), rules->media_dirs,
	           rules->n_media_dirs);
	hv_xml_quiet_begin(&quiet);
	rc = hv_xml_read(xml, len, &doc, err);
	if (rc == 0)
		rc = guard_node(&g, xmlDocGetRootElement(doc), 0);
	xmlFreeDoc(doc);
	hv_xml_quiet_end(&quiet);
	return rc;
}
