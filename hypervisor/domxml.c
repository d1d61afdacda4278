/*
 * domxml.c: read a libvirt domain XML, and repoint its disks.
 *
 * The document is parsed with libxml2 into a tree. The parser never touches
 * the network, never loads a DTD and stops at the first DOCTYPE, so no entity
 * can be declared (no "billion laughs", no external entities). Every value is
 * copied into a fixed buffer only after its length has been checked.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "hypervisor/domxml.h"
#include "hypervisor/domxml_priv.h"

#define DX_PARSE_OPTS                                                          \
	(XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |           \
	 XML_PARSE_BIG_LINES)

/* Say what is wrong, and where in the document when a node is known. */
int hv_xml_fail(struct hv_error *err, int code, const xmlNode *n,
                const char *fmt, ...)
{
	char what[HV_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (n && xmlGetLineNo(n) > 0)
		return hv_error_set(err, code, "domain XML line %ld: %s",
		                    xmlGetLineNo(n), what);
	return hv_error_set(err, code, "domain XML: %s", what);
}

/* What the parser's hooks saw, through the context's _private. */
struct dx_parse_state {
	bool doctype;     /* a <!DOCTYPE> was seen: refused */
	int first_code;   /* libxml2's code of the first error, 0 if none */
	int first_line;   /* and where it was */
	int first_column; /* and column */
	char first[160];  /* and what it said, made printable */
};

/* The SAX hook for <!DOCTYPE ...>: refuse the document. */
static void dx_reject_doctype(void *user, const xmlChar *name,
                              const xmlChar *external_id,
                              const xmlChar *system_id)
{
	xmlParserCtxtPtr ctxt = user;
	struct dx_parse_state *state = ctxt->_private;

	(void)name;
	(void)external_id;
	(void)system_id;
	state->doctype = true;
	xmlStopParser(ctxt);
}

/* Keep libxml2's first error: later ones are mostly its consequences. */
static void dx_record_error(void *user, xmlErrorPtr e)
{
	xmlParserCtxtPtr ctxt = user;
	struct dx_parse_state *state = ctxt->_private;

	if (e->level < XML_ERR_ERROR || state->first_code)
		return;
	state->first_code = e->code ? e->code : -1;
	state->first_line = e->line;
	state->first_column = e->int2;
	hv_error_quote(e->message ? e->message : "not well-formed",
	               state->first, sizeof(state->first));
}

/*
 * Parse len bytes into a document whose root is <domain>. *out is the
 * caller's on success only.
 */
int hv_xml_read(const char *xml, size_t len, xmlDocPtr *out,
                struct hv_error *err)
{
	struct dx_parse_state state = { 0 };
	xmlParserCtxtPtr ctxt;
	xmlDocPtr doc;
	xmlNodePtr root;
	int rc = 0;

	if (!xml || len == 0 || len > HV_DOMXML_MAX)
		return hv_error_set(err, -EMSGSIZE,
		                    "domain XML: %zu bytes, expected 1..%u",
		                    len, HV_DOMXML_MAX);
	ctxt = xmlNewParserCtxt();
	if (!ctxt)
		return hv_error_set(err, -ENOMEM, "domain XML: out of memory");
	ctxt->sax->internalSubset = dx_reject_doctype;
	ctxt->sax->serror = dx_record_error;
	ctxt->_private = &state;
	doc = xmlCtxtReadMemory(ctxt, xml, (int)len, "domain.xml", NULL,
	                        DX_PARSE_OPTS);
	root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (state.doctype || (doc && (doc->intSubset || doc->extSubset)))
		rc = hv_error_set(err, -EINVAL,
		                  "domain XML: a DOCTYPE is not allowed");
	else if (state.first_code == XML_ERR_NO_MEMORY)
		rc = hv_error_set(err, -ENOMEM, "domain XML: out of memory");
	else if (!doc || state.first_code)
		rc = hv_error_set(
		    err, -EINVAL, "domain XML line %d: %s (column %d)",
		    state.first_line,
		    state.first_code ? state.first : "not well-formed",
		    state.first_column);
	else if (!root || root->ns ||
	         !xmlStrEqual(root->name, BAD_CAST "domain"))
		rc = hv_xml_fail(err, -EINVAL, root,
		                 "the root element is not <domain>");
	xmlFreeParserCtxt(ctxt);
	if (rc < 0)
		xmlFreeDoc(doc);
	else
		*out = doc;
	return rc;
}

bool hv_xml_is(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && !n->ns &&
	       xmlStrEqual(n->name, BAD_CAST name);
}

/*
 * Find the child element <name> of parent: *out is NULL when there is none.
 * Two of them is an error: the document would mean two different things.
 */
int hv_xml_child(const xmlNode *parent, const char *name, xmlNode **out,
                 struct hv_error *err)
{
	xmlNode *n;

	*out = NULL;
	for (n = parent->children; n; n = n->next) {
		if (!hv_xml_is(n, name))
			continue;
		if (*out)
			return hv_xml_fail(err, -EINVAL, n,
			                   "<%s> appears twice in <%s>", name,
			                   (const char *)parent->name);
		*out = n;
	}
	return 0;
}

/* Copy val into dst, or fail naming what (e.g. "<source file=>"). */
static int dx_copy(char *dst, size_t size, const char *val, const char *what,
                   const xmlNode *n, struct hv_error *err)
{
	size_t len = strlen(val);

	if (len >= size)
		return hv_xml_fail(err, -EINVAL, n,
		                   "%s is longer than %zu bytes", what,
		                   size - 1);
	memcpy(dst, val, len + 1);
	return 0;
}

/* Copy attribute name of n into dst; dst is def if there is none. */
int hv_xml_attr(const xmlNode *n, const char *name, const char *def, char *dst,
                size_t size, struct hv_error *err)
{
	char what[64];
	xmlChar *val;
	int rc;

	snprintf(what, sizeof(what), "<%s %s=>", (const char *)n->name, name);
	if (!xmlHasNsProp(n, BAD_CAST name, NULL))
		return dx_copy(dst, size, def, what, n, err);
	val = xmlGetNoNsProp(n, BAD_CAST name);
	if (!val)
		return hv_xml_fail(err, -ENOMEM, n, "out of memory");
	rc = dx_copy(dst, size, (const char *)val, what, n, err);
	xmlFree(val);
	return rc;
}

/* Copy the text of element n into dst; it must not be empty. */
int hv_xml_text(const xmlNode *n, char *dst, size_t size, struct hv_error *err)
{
	char what[64];
	xmlChar *val = xmlNodeGetContent(n);
	int rc;

	if (!val)
		return hv_xml_fail(err, -ENOMEM, n, "out of memory");
	snprintf(what, sizeof(what), "<%s>", (const char *)n->name);
	rc = dx_copy(dst, size, (const char *)val, what, n, err);
	xmlFree(val);
	if (rc == 0 && dst[0] == '\0')
		rc = hv_xml_fail(err, -EINVAL, n, "%s has no value", what);
	return rc;
}

/* The text of n as a decimal number, white space around it allowed. */
int hv_xml_number(const xmlNode *n, uint64_t *out, struct hv_error *err)
{
	char text[32], shown[48];
	const char *p;
	uint64_t value = 0;
	int rc;

	rc = hv_xml_text(n, text, sizeof(text), err);
	if (rc < 0)
		return rc;
	for (p = text; isspace((unsigned char)*p); p++)
		;
	if (!isdigit((unsigned char)*p))
		goto bad;
	for (; isdigit((unsigned char)*p); p++) {
		if (value > (UINT64_MAX - (unsigned)(*p - '0')) / 10)
			return hv_xml_fail(err, -EINVAL, n,
			                   "<%s> is out of range",
			                   (const char *)n->name);
		value = value * 10 + (unsigned)(*p - '0');
	}
	while (isspace((unsigned char)*p))
		p++;
	if (*p)
		goto bad;
	*out = value;
	return 0;
bad:
	return hv_xml_fail(err, -EINVAL, n, "<%s> '%s' is not a number",
	                   (const char *)n->name,
	                   hv_error_quote(text, shown, sizeof(shown)));
}

/*
 * Bytes per unit, as libvirt's virScaleInteger reads them: b/byte/bytes,
 * k/KiB/M/MiB/... are powers of 1024, KB/MB/... powers of 1000, case
 * insensitive. No unit means KiB. Returns 0 for an unknown unit.
 */
static uint64_t dx_unit_scale(const char *unit)
{
	static const char order[] = "kmgtpe";
	uint64_t base, scale = 1;
	const char *pos;
	size_t power;

	if (!unit[0])
		return 1024;
	if (!strcasecmp(unit, "b") || !strcasecmp(unit, "byte") ||
	    !strcasecmp(unit, "bytes"))
		return 1;
	if (!unit[1] || !strcasecmp(unit + 1, "iB"))
		base = 1024;
	else if (tolower((unsigned char)unit[1]) == 'b' && !unit[2])
		base = 1000;
	else
		return 0;
	pos = strchr(order, tolower((unsigned char)unit[0]));
	if (!pos)
		return 0;
	for (power = 0; power <= (size_t)(pos - order); power++)
		scale *= base;
	return scale;
}

/* <memory unit='...'>N</memory> in KiB, rounded up as libvirt does. */
int hv_xml_memory(const xmlNode *n, uint64_t *kib, struct hv_error *err)
{
	char unit[16];
	uint64_t value, scale, bytes;
	int rc;

	rc = hv_xml_attr(n, "unit", "", unit, sizeof(unit), err);
	if (rc == 0)
		rc = hv_xml_number(n, &value, err);
	if (rc < 0)
		return rc;
	scale = dx_unit_scale(unit);
	if (!scale)
		return hv_xml_fail(err, -EINVAL, n,
		                   "<memory unit='%s'> is not a known unit",
		                   unit);
	if (value > UINT64_MAX / scale)
		return hv_xml_fail(err, -EINVAL, n, "<memory> is out of range");
	bytes = value * scale;
	if (bytes == 0)
		return hv_xml_fail(err, -EINVAL, n, "<memory> is zero");
	*kib = bytes / 1024 + (bytes % 1024 != 0);
	return 0;
}

/* Lower-case s in place. */
static void dx_lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* Read <disk>'s source: which attribute holds it depends on the type. */
static int dx_disk_source(const xmlNode *n, struct hv_disk *disk,
                          struct hv_error *err)
{
	static const char *const attr_of_type[][2] = {
		{ "file", "file" },
		{ "block", "dev" },
		{ "dir", "dir" },
		{ "network", "name" },
	};
	char pool[256], volume[256];
	xmlNode *src;
	size_t i;
	int rc;

	rc = hv_xml_child(n, "source", &src, err);
	if (rc < 0 || !src)
		return rc;
	for (i = 0; i < sizeof(attr_of_type) / sizeof(attr_of_type[0]); i++)
		if (!strcmp(disk->type, attr_of_type[i][0]))
			return hv_xml_attr(src, attr_of_type[i][1], "",
			                   disk->source, sizeof(disk->source),
			                   err);
	if (strcmp(disk->type, "volume"))
		return 0; /* nvme, vhostuser...: nothing we can name */
	rc = hv_xml_attr(src, "pool", "", pool, sizeof(pool), err);
	if (rc == 0)
		rc =
		    hv_xml_attr(src, "volume", "", volume, sizeof(volume), err);
	if (rc == 0 && (pool[0] || volume[0]))
		snprintf(disk->source, sizeof(disk->source), "%s/%s", pool,
		         volume);
	return rc;
}

static int dx_disk(const xmlNode *n, struct hv_disk *disk, struct hv_error *err)
{
	xmlNode *driver, *target, *flag = NULL;
	int rc;

	rc =
	    hv_xml_attr(n, "type", "file", disk->type, sizeof(disk->type), err);
	if (rc == 0)
		rc = hv_xml_attr(n, "device", "disk", disk->device,
		                 sizeof(disk->device), err);
	if (rc == 0)
		rc = dx_disk_source(n, disk, err);
	if (rc == 0)
		rc = hv_xml_child(n, "driver", &driver, err);
	if (rc == 0 && driver)
		rc = hv_xml_attr(driver, "type", "", disk->format,
		                 sizeof(disk->format), err);
	if (rc == 0)
		rc = hv_xml_child(n, "target", &target, err);
	if (rc == 0 && !target)
		rc = hv_xml_fail(err, -EINVAL, n, "<disk> has no <target>");
	if (rc == 0)
		rc = hv_xml_attr(target, "dev", "", disk->target,
		                 sizeof(disk->target), err);
	if (rc == 0 && !disk->target[0])
		rc = hv_xml_fail(err, -EINVAL, target, "<target> has no dev=");
	if (rc == 0)
		rc = hv_xml_attr(target, "bus", "", disk->bus,
		                 sizeof(disk->bus), err);
	if (rc == 0)
		rc = hv_xml_child(n, "readonly", &flag, err);
	disk->readonly = rc == 0 && flag;
	if (rc == 0)
		rc = hv_xml_child(n, "shareable", &flag, err);
	disk->shareable = rc == 0 && flag;
	return rc;
}

static int dx_nic(const xmlNode *n, struct hv_nic *nic, struct hv_error *err)
{
	static const char *const source_attrs[] = { "bridge", "network", "dev",
		                                    NULL };
	const char *const *attr;
	char shown[48];
	xmlNode *mac, *model, *src;
	int rc;

	rc = hv_xml_attr(n, "type", "", nic->type, sizeof(nic->type), err);
	if (rc == 0)
		rc = hv_xml_child(n, "mac", &mac, err);
	if (rc == 0 && mac)
		rc = hv_xml_attr(mac, "address", "", nic->mac, sizeof(nic->mac),
		                 err);
	dx_lower(nic->mac);
	if (rc == 0 && mac && !hv_mac_is_canonical(nic->mac))
		rc = hv_xml_fail(
		    err, -EINVAL, mac,
		    "<mac address='%s'> is not a unicast MAC address",
		    hv_error_quote(nic->mac, shown, sizeof(shown)));
	if (rc == 0)
		rc = hv_xml_child(n, "model", &model, err);
	if (rc == 0 && model)
		rc = hv_xml_attr(model, "type", "", nic->model,
		                 sizeof(nic->model), err);
	if (rc == 0)
		rc = hv_xml_child(n, "source", &src, err);
	for (attr = source_attrs; rc == 0 && src && *attr; attr++) {
		if (xmlHasNsProp(src, (const xmlChar *)*attr, NULL))
			return hv_xml_attr(src, *attr, "", nic->source,
			                   sizeof(nic->source), err);
	}
	return rc;
}

/* Read <devices>: disks (with unique targets) and interfaces. */
static int dx_devices(const xmlNode *devices, struct hv_domain *dom,
                      struct hv_error *err)
{
	const xmlNode *n;
	size_t i;
	int rc;

	for (n = devices->children; n; n = n->next) {
		if (hv_xml_is(n, "disk")) {
			if (dom->n_disks == HV_MAX_DISKS)
				return hv_xml_fail(
				    err, -EINVAL, n,
				    "more than %d <disk> elements",
				    HV_MAX_DISKS);
			rc = dx_disk(n, &dom->disks[dom->n_disks], err);
			if (rc < 0)
				return rc;
			for (i = 0; i < dom->n_disks; i++)
				if (!strcmp(dom->disks[i].target,
				            dom->disks[dom->n_disks].target))
					return hv_xml_fail(
					    err, -EINVAL, n,
					    "disk target '%s' appears twice",
					    dom->disks[i].target);
			dom->n_disks++;
		} else if (hv_xml_is(n, "interface")) {
			if (dom->n_nics == HV_MAX_NICS)
				return hv_xml_fail(
				    err, -EINVAL, n,
				    "more than %d <interface> elements",
				    HV_MAX_NICS);
			rc = dx_nic(n, &dom->nics[dom->n_nics], err);
			if (rc < 0)
				return rc;
			dom->n_nics++;
		}
	}
	return 0;
}

/* A required child element of the root, or an error naming it. */
static int dx_required(const xmlNode *root, const char *name, xmlNode **out,
                       struct hv_error *err)
{
	int rc = hv_xml_child(root, name, out, err);

	if (rc == 0 && !*out)
		rc = hv_xml_fail(err, -EINVAL, NULL, "<domain> has no <%s>",
		                 name);
	return rc;
}

static int dx_identity(const xmlNode *root, struct hv_domain *dom,
                       struct hv_error *err)
{
	char shown[48];
	xmlNode *n;
	int rc;

	rc = hv_xml_attr(root, "type", "", dom->virt_type,
	                 sizeof(dom->virt_type), err);
	if (rc == 0 && !dom->virt_type[0])
		rc = hv_xml_fail(err, -EINVAL, root, "<domain> has no type=");
	if (rc == 0)
		rc = dx_required(root, "name", &n, err);
	if (rc == 0)
		rc = hv_xml_text(n, dom->name, sizeof(dom->name), err);
	if (rc == 0)
		rc = dx_required(root, "uuid", &n, err);
	if (rc == 0)
		rc = hv_xml_text(n, dom->uuid, sizeof(dom->uuid), err);
	dx_lower(dom->uuid);
	if (rc == 0 && !hv_uuid_is_canonical(dom->uuid))
		rc = hv_xml_fail(
		    err, -EINVAL, n, "<uuid> '%s' is not a canonical UUID",
		    hv_error_quote(dom->uuid, shown, sizeof(shown)));
	return rc;
}

int hv_xml_resources(const xmlNode *root, uint64_t *memory_kib,
                     unsigned int *vcpus, struct hv_error *err)
{
	uint64_t count = 1; /* libvirt's default */
	xmlNode *n;
	int rc;

	rc = dx_required(root, "memory", &n, err);
	if (rc == 0)
		rc = hv_xml_memory(n, memory_kib, err);
	if (rc == 0)
		rc = hv_xml_child(root, "vcpu", &n, err);
	if (rc == 0 && n)
		rc = hv_xml_number(n, &count, err);
	if (rc == 0 && (count == 0 || count > 65535))
		rc = hv_xml_fail(err, -EINVAL, n, "<vcpu> %llu is not 1..65535",
		                 (unsigned long long)count);
	*vcpus = (unsigned int)count;
	return rc;
}

static int dx_resources(const xmlNode *root, struct hv_domain *dom,
                        struct hv_error *err)
{
	xmlNode *n, *type = NULL;
	int rc;

	rc = hv_xml_resources(root, &dom->memory_kib, &dom->vcpus, err);
	if (rc == 0)
		rc = hv_xml_child(root, "os", &n, err);
	if (rc == 0 && n)
		rc = hv_xml_child(n, "type", &type, err);
	if (rc == 0 && type)
		rc = hv_xml_attr(type, "arch", "", dom->arch, sizeof(dom->arch),
		                 err);
	if (rc == 0 && type)
		rc = hv_xml_attr(type, "machine", "", dom->machine,
		                 sizeof(dom->machine), err);
	return rc;
}

/*
 * Serialize element n of doc into a new malloc'd string. (xmlNodeDump
 * into an xmlBuffer can hand back freed memory when an allocation fails
 * in libxml2 2.9; an output buffer reports the failure instead.)
 */
char *hv_xml_dump(xmlDocPtr doc, xmlNode *n, bool indent, struct hv_error *err)
{
	xmlOutputBufferPtr buf = xmlAllocOutputBuffer(NULL);
	const xmlChar *content;
	char *out = NULL;

	if (buf) {
		xmlNodeDumpOutput(buf, doc, n, 0, indent, NULL);
		content = xmlOutputBufferGetContent(buf);
		if (!buf->error && content)
			out = strndup((const char *)content,
			              xmlOutputBufferGetSize(buf));
		xmlOutputBufferClose(buf);
	}
	if (!out)
		hv_xml_fail(err, -ENOMEM, n, "out of memory serializing <%s>",
		            (const char *)n->name);
	return out;
}

static void dx_silent(void *ctx, const char *fmt, ...)
{
	(void)ctx;
	(void)fmt;
}

/*
 * libxml2 prints some errors (failed allocations in its buffers) through
 * its generic error handler, which is per thread. Silence it while we use
 * libxml2, and give the caller's handler back afterwards.
 */
void hv_xml_quiet_begin(struct hv_xml_quiet *q)
{
	xmlInitParser();
	q->func = xmlGenericError;
	q->ctx = xmlGenericErrorContext;
	xmlSetGenericErrorFunc(NULL, dx_silent);
}

void hv_xml_quiet_end(const struct hv_xml_quiet *q)
{
	xmlSetGenericErrorFunc(q->ctx, q->func);
}

static int dx_parse(const char *xml, size_t len, struct hv_domain *dom,
                    struct hv_error *err)
{
	xmlDocPtr doc;
	xmlNode *root, *n;
	int rc;

	memset(dom, 0, sizeof(*dom));
	rc = hv_xml_read(xml, len, &doc, err);
	if (rc < 0)
		return rc;
	root = xmlDocGetRootElement(doc);
	rc = dx_identity(root, dom, err);
	if (rc == 0)
		rc = dx_resources(root, dom, err);
	if (rc == 0)
		rc = hv_xml_child(root, "cpu", &n, err);
	if (rc == 0 && n) {
		dom->cpu_xml = hv_xml_dump(doc, n, false, err);
		if (!dom->cpu_xml)
			rc = -ENOMEM;
	}
	if (rc == 0)
		rc = hv_xml_child(root, "devices", &n, err);
	if (rc == 0 && n)
		rc = dx_devices(n, dom, err);
	xmlFreeDoc(doc);
	if (rc < 0)
		hv_domain_clear(dom);
	return rc;
}

int hv_domxml_parse(const char *xml, size_t len, struct hv_domain *dom,
                    struct hv_error *err)
{
	struct hv_xml_quiet quiet;
	int rc;

	hv_xml_quiet_begin(&quiet);
	rc = dx_parse(xml, len, dom, err);
	hv_xml_quiet_end(&quiet);
	return rc;
}

void hv_domain_clear(struct hv_domain *dom)
{
	if (!dom)
		return;
	free(dom->cpu_xml);
	memset(dom, 0, sizeof(*dom));
}

/* A disk format name: 1..15 of [a-z0-9]. */
static bool dx_format_ok(const char *s)
{
	size_t len = strlen(s);

	return len > 0 && len < sizeof(((struct hv_disk *)0)->format) &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789") == len;
}

static int dx_map_check(const struct hv_disk_map *map, size_t n,
                        struct hv_error *err)
{
	char shown[48];
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (!map[i].target || !map[i].target[0] || !map[i].path)
			return hv_error_set(err, -EINVAL,
			                    "disk map[%zu]: no target or path",
			                    i);
		if (!hv_path_is_clean(map[i].path, 4095))
			return hv_error_set(
			    err, -EINVAL,
			    "disk map[%zu]: path '%s' is not a clean absolute "
			    "path",
			    i,
			    hv_error_quote(map[i].path, shown, sizeof(shown)));
		if (map[i].format && !dx_format_ok(map[i].format))
			return hv_error_set(
			    err, -EINVAL,
			    "disk map[%zu]: format '%s' is not a format name",
			    i,
			    hv_error_quote(map[i].format, shown,
			                   sizeof(shown)));
		for (j = 0; j < i; j++)
			if (!strcmp(map[i].target, map[j].target))
				return hv_error_set(
				    err, -EINVAL,
				    "disk map: target '%s' appears twice",
				    hv_error_quote(map[i].target, shown,
				                   sizeof(shown)));
	}
	return 0;
}

/* The <disk> under devices whose <target dev=> is target, or NULL. */
static xmlNode *dx_find_disk(xmlNode *devices, const char *target)
{
	xmlNode *n, *t;
	xmlChar *dev;
	bool match;

	for (n = devices ? devices->children : NULL; n; n = n->next) {
		if (!hv_xml_is(n, "disk"))
			continue;
		for (t = n->children; t; t = t->next) {
			if (!hv_xml_is(t, "target"))
				continue;
			dev = xmlGetNoNsProp(t, BAD_CAST "dev");
			match = dev && !strcmp((const char *)dev, target);
			xmlFree(dev);
			if (match)
				return n;
		}
	}
	return NULL;
}

/* Drop every <backingStore> child of disk: the copy has no backing chain. */
static void dx_drop_backing(xmlNode *disk)
{
	xmlNode *n, *next;

	for (n = disk->children; n; n = next) {
		next = n->next;
		if (hv_xml_is(n, "backingStore")) {
			xmlUnlinkNode(n);
			xmlFreeNode(n);
		}
	}
}

/*
 * Set attribute name of n to value. libxml2 2.9 can keep the attribute but
 * lose its value when an allocation fails, so read it back.
 */
bool hv_xml_set(xmlNode *n, const char *name, const char *value)
{
	xmlAttr *attr = xmlSetProp(n, BAD_CAST name, BAD_CAST value);

	return attr && attr->children &&
	       attr->children->type == XML_TEXT_NODE && !attr->children->next &&
	       xmlStrEqual(attr->children->content, BAD_CAST value);
}

/* Point one <disk> at map->path (and map->format). */
static int dx_repoint(xmlNode *disk, const struct hv_disk_map *map,
                      struct hv_error *err)
{
	char type[16];
	xmlNode *src, *driver;
	int rc;

	rc = hv_xml_attr(disk, "type", "file", type, sizeof(type), err);
	if (rc == 0 && strcmp(type, "file") && strcmp(type, "block"))
		rc = hv_xml_fail(
		    err, -EINVAL, disk,
		    "disk %s: a '%s' disk cannot be mapped to a file",
		    map->target, type);
	if (rc == 0)
		rc = hv_xml_child(disk, "source", &src, err);
	if (rc == 0 && !src)
		rc = hv_xml_fail(err, -EINVAL, disk, "disk %s has no <source>",
		                 map->target);
	if (rc == 0 && map->format)
		rc = hv_xml_child(disk, "driver", &driver, err);
	if (rc < 0)
		return rc;
	xmlUnsetProp(src, BAD_CAST "dev");
	if (!hv_xml_set(disk, "type", "file") ||
	    !hv_xml_set(src, "file", map->path))
		return hv_xml_fail(err, -ENOMEM, disk, "out of memory");
	dx_drop_backing(disk);
	if (!map->format)
		return 0;
	if (!driver)
		driver = xmlNewChild(disk, NULL, BAD_CAST "driver", NULL);
	if (!driver || !hv_xml_set(driver, "type", map->format))
		return hv_xml_fail(err, -ENOMEM, disk, "out of memory");
	return 0;
}

static char *dx_map(const char *xml, size_t len, const struct hv_disk_map *map,
                    size_t n, struct hv_error *err)
{
	xmlDocPtr doc = NULL;
	xmlNode *root, *devices = NULL, *disk;
	char shown[48], *out = NULL;
	size_t i;

	if (hv_xml_read(xml, len, &doc, err) < 0)
		return NULL;
	root = xmlDocGetRootElement(doc);
	if (hv_xml_child(root, "devices", &devices, err) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		disk = dx_find_disk(devices, map[i].target);
		if (!disk) {
			hv_error_set(err, -ENOENT,
			             "domain XML: no disk with target '%s'",
			             hv_error_quote(map[i].target, shown,
			                            sizeof(shown)));
			goto out;
		}
		if (dx_repoint(disk, &map[i], err) < 0)
			goto out;
	}
	out = hv_xml_dump(doc, root, false, err);
out:
	xmlFreeDoc(doc);
	return out;
}

char *hv_domxml_map_disks(const char *xml, size_t len,
                          const struct hv_disk_map *map, size_t n,
                          struct hv_error *err)
{
	struct hv_xml_quiet quiet;
	char *out;

	if (n > 0 && !map) {
		hv_error_set(err, -EINVAL, "disk map: NULL map");
		return NULL;
	}
	if (dx_map_check(map, n, err) < 0)
		return NULL;
	hv_xml_quiet_begin(&quiet);
	out = dx_map(xml, len, map, n, err);
	hv_xml_quiet_end(&quiet);
	return out;
}

bool hv_uuid_is_canonical(const char *s)
{
	size_t i;

	if (strlen(s) != 36)
		return false;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!strchr("0123456789abcdef", s[i])) {
			return false;
		}
	}
	return true;
}

bool hv_mac_is_canonical(const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	if (strlen(s) != 17)
		return false;
	for (i = 0; i < 17; i++) {
		if (i % 3 == 2) {
			if (s[i] != ':')
				return false;
		} else if (!strchr(hex, s[i])) {
			return false;
		}
	}
	/* The low bit of the first octet marks a multicast address. */
	return ((strchr(hex, s[1]) - hex) & 1) == 0;
}

bool hv_path_is_clean(const char *s, size_t max_len)
{
	static const char allowed[] = "abcdefghijklmnopqrstuvwxyz"
	                              "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                              "0123456789_.+-";
	size_t len, comp;

	len = strnlen(s, max_len + 1);
	if (len < 2 || len > max_len || s[0] != '/')
		return false;
	while (*s == '/') {
		s++;
		comp = strspn(s, allowed);
		if (comp == 0 || (comp == 1 && s[0] == '.') ||
		    (comp == 2 && s[0] == '.' && s[1] == '.'))
			return false;
		s += comp;
	}
	return *s == '\0';
}
